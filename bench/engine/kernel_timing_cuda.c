// Kernel timing on the GPU for `pcbench kernels` (backend.h): the attention kernel and the bf16
// GEMM on random data, median of 5 synchronised calls after a warm-up.
#include <math.h>
#include <stdlib.h>

#include "bench/base/error.h"
#include "bench/base/stats.h"
#include "bench/base/sysinfo.h"
#include "bench/engine/backend.h"
#include "kernels/kernels_cuda.h"

#define RUNS 5

int backend_device_name(char *out, size_t cap) {
    if (kcuda_init() || kcuda_device_name(out, cap)) return pcb_fail("%s", kcuda_error());
    return 0;
}

int backend_time_attention(int n_heads, int n_kv_heads, int head_dim, int n, double *ms) {
    if (n_kv_heads > KCUDA_MAX_KV_HEADS)
        return pcb_fail("attention timing: %d KV heads > %d", n_kv_heads, KCUDA_MAX_KV_HEADS);
    size_t qd = (size_t)n_heads * head_dim;
    bf16_t *q = kcuda_malloc(sizeof(bf16_t) * n * qd);
    float *out = kcuda_malloc(sizeof(float) * n * qd);
    int32_t *pos = kcuda_malloc(sizeof(int32_t) * n), *chunk = kcuda_malloc(sizeof(int32_t) * n);
    int32_t *hp = malloc(sizeof(int32_t) * n), *hc = malloc(sizeof(int32_t) * n);
    for (int i = 0; i < n; i++) hp[i] = i, hc[i] = -1;
    kcuda_kv_layer kv = {.n_kv_heads = n_kv_heads, .head_dim = head_dim};
    int rc = !q || !out || !pos || !chunk || kcuda_upload(pos, hp, sizeof(int32_t) * n) ||
             kcuda_upload(chunk, hc, sizeof(int32_t) * n) || kcuda_fill_random_bf16(q, n * qd, 1, 1.0f);
    for (int g = 0; g < n_kv_heads && !rc; g++) {
        bf16_t *k = kcuda_malloc(sizeof(bf16_t) * n * head_dim), *v = kcuda_malloc(sizeof(bf16_t) * n * head_dim);
        kv.k[g] = k, kv.v[g] = v, kv.pos[g] = pos, kv.chunk[g] = chunk, kv.n_keys[g] = n;
        rc = !k || !v || kcuda_fill_random_bf16(k, (size_t)n * head_dim, 2 + g, 1.0f) ||
             kcuda_fill_random_bf16(v, (size_t)n * head_dim, 100 + g, 1.0f);
    }
    double t[RUNS];
    float scale = 1.0f / sqrtf((float)head_dim);
    rc = rc || kcuda_attention(out, q, pos, NULL, n, n_heads, &kv, scale) || kcuda_sync();
    for (int r = 0; r < RUNS && !rc; r++) {
        double t0 = now_ms();
        rc = kcuda_attention(out, q, pos, NULL, n, n_heads, &kv, scale) || kcuda_sync();
        t[r] = now_ms() - t0;
    }
    if (!rc) *ms = pcb_median(t, RUNS);
    for (int g = 0; g < n_kv_heads; g++) kcuda_free((void *)kv.k[g]), kcuda_free((void *)kv.v[g]);
    kcuda_free(q), kcuda_free(out), kcuda_free(pos), kcuda_free(chunk), free(hp), free(hc);
    return rc ? pcb_fail("attention %d/%dx%d at %d tokens: %s", n_heads, n_kv_heads, head_dim, n, kcuda_error()) : 0;
}

int backend_time_gemm(int n, int d_in, int d_out, double *ms) {
    bf16_t *x = kcuda_malloc(sizeof(bf16_t) * n * d_in), *w = kcuda_malloc(sizeof(bf16_t) * d_out * d_in);
    float *y = kcuda_malloc(sizeof(float) * n * d_out);
    int rc = !x || !w || !y || kcuda_fill_random_bf16(x, (size_t)n * d_in, 7, 1.0f) ||
             kcuda_fill_random_bf16(w, (size_t)d_out * d_in, 8, 0.02f) || kcuda_gemm_bf16(y, x, w, n, d_in, d_out) ||
             kcuda_sync();
    double t[RUNS];
    for (int r = 0; r < RUNS && !rc; r++) {
        double t0 = now_ms();
        rc = kcuda_gemm_bf16(y, x, w, n, d_in, d_out) || kcuda_sync();
        t[r] = now_ms() - t0;
    }
    if (!rc) *ms = pcb_median(t, RUNS);
    kcuda_free(x), kcuda_free(w), kcuda_free(y);
    return rc ? pcb_fail("gemm x[%d,%d] W[%d,%d]^T: %s", n, d_in, d_out, d_in, kcuda_error()) : 0;
}
