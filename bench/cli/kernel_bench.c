// `pcbench kernels`: achieved throughput of the GPU attention kernel and the bf16 GEMM against
// the device's dense bf16 peak (H100 SXM: 989 TFLOP/s), timed in this process after a warm-up.
// Causal attention FLOPs count only the visible (lower-triangle) products: 4 * hd * heads * N(N+1)/2.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/cli/cli.h"
#include "bench/base/error.h"
#include "bench/base/stats.h"
#ifdef PCB_HAVE_CUDA
#include "kernels/kernels_cuda.h"
#endif

static void help(void) {
    printf("usage: pcbench kernels --backend cuda [--lengths N[,N...]] [--peak TFLOPS] [--json]\n\n"
           "Times the fused causal attention kernel (query heads/KV heads/head dim 32/8/128 as Llama-3-8B\n"
           "and 9/3/64 as SmolLM2) and the bf16 GEMM at the given sequence lengths (default\n"
           "4096,16384,65536), median of 5 runs after a warm-up, and prints TFLOP/s and the fraction\n"
           "of --peak (default 989, the H100 SXM dense bf16 peak). JSON lines: {kernel, shape, tokens,\n"
           "ms, tflops, peak_fraction, device}.\n");
}

#ifdef PCB_HAVE_CUDA
static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

typedef struct {
    const char *name;
    int n_heads, n_kv, hd;
} attn_shape;

static void report(int json, const char *kernel, const char *shape, int n, double ms, double flops, double peak,
                   const char *dev) {
    double tf = flops / (ms * 1e-3) / 1e12;
    if (json) {
        printf("{\"kernel\":\"%s\",\"shape\":\"%s\",\"tokens\":%d,\"ms\":%.3f,\"tflops\":%.2f,\"peak_fraction\":%.4f,"
               "\"device\":\"%s\"}\n", kernel, shape, n, ms, tf, tf / peak, dev);
    } else {
        printf("%-10s %-28s %7d %10.3f ms %8.1f TFLOP/s %6.1f%% of peak\n", kernel, shape, n, ms, tf, 100 * tf / peak);
    }
    fflush(stdout);
}

// Median time of `runs` calls of the attention kernel over a causal sequence of n tokens.
static int time_attention(const attn_shape *s, int n, double *ms) {
    size_t qd = (size_t)s->n_heads * s->hd;
    bf16_t *q = kcuda_malloc(sizeof(bf16_t) * n * qd);
    float *out = kcuda_malloc(sizeof(float) * n * qd);
    int32_t *pos = kcuda_malloc(sizeof(int32_t) * n), *chunk = kcuda_malloc(sizeof(int32_t) * n);
    int32_t *hp = malloc(sizeof(int32_t) * n), *hc = malloc(sizeof(int32_t) * n);
    for (int i = 0; i < n; i++) hp[i] = i, hc[i] = -1;
    kcuda_kv_layer kv = {.n_kv_heads = s->n_kv, .head_dim = s->hd};
    int rc = !q || !out || !pos || !chunk || kcuda_upload(pos, hp, sizeof(int32_t) * n) ||
             kcuda_upload(chunk, hc, sizeof(int32_t) * n) || kcuda_fill_random_bf16(q, n * qd, 1, 1.0f);
    for (int g = 0; g < s->n_kv && !rc; g++) {
        bf16_t *k = kcuda_malloc(sizeof(bf16_t) * n * s->hd), *v = kcuda_malloc(sizeof(bf16_t) * n * s->hd);
        kv.k[g] = k, kv.v[g] = v, kv.pos[g] = pos, kv.chunk[g] = chunk, kv.n_keys[g] = n;
        rc = !k || !v || kcuda_fill_random_bf16(k, (size_t)n * s->hd, 2 + g, 1.0f) ||
             kcuda_fill_random_bf16(v, (size_t)n * s->hd, 100 + g, 1.0f);
    }
    double t[5];
    float scale = 1.0f / sqrtf((float)s->hd);
    rc = rc || kcuda_attention(out, q, pos, NULL, n, s->n_heads, &kv, scale) || kcuda_sync();
    for (int r = 0; r < 5 && !rc; r++) {
        double t0 = now_ms();
        rc = kcuda_attention(out, q, pos, NULL, n, s->n_heads, &kv, scale) || kcuda_sync();
        t[r] = now_ms() - t0;
    }
    if (!rc) *ms = pcb_median(t, 5);
    for (int g = 0; g < s->n_kv; g++) kcuda_free((void *)kv.k[g]), kcuda_free((void *)kv.v[g]);
    kcuda_free(q), kcuda_free(out), kcuda_free(pos), kcuda_free(chunk), free(hp), free(hc);
    return rc;
}

static int time_gemm(int n, int d_in, int d_out, double *ms) {
    bf16_t *x = kcuda_malloc(sizeof(bf16_t) * n * d_in), *w = kcuda_malloc(sizeof(bf16_t) * d_out * d_in);
    float *y = kcuda_malloc(sizeof(float) * n * d_out);
    int rc = !x || !w || !y || kcuda_fill_random_bf16(x, (size_t)n * d_in, 7, 1.0f) ||
             kcuda_fill_random_bf16(w, (size_t)d_out * d_in, 8, 0.02f) || kcuda_gemm_bf16(y, x, w, n, d_in, d_out) ||
             kcuda_sync();
    double t[5];
    for (int r = 0; r < 5 && !rc; r++) {
        double t0 = now_ms();
        rc = kcuda_gemm_bf16(y, x, w, n, d_in, d_out) || kcuda_sync();
        t[r] = now_ms() - t0;
    }
    if (!rc) *ms = pcb_median(t, 5);
    kcuda_free(x), kcuda_free(w), kcuda_free(y);
    return rc;
}
#endif

int cmd_kernels(int argc, char **argv) {
    cli_common c;
    const char *lengths_s = "4096,16384,65536";
    double peak = 989.0;
    const cli_opt opts[] = {{"--lengths", NULL, OPT_STRING, &lengths_s, 0, 0}, {"--peak", NULL, OPT_DOUBLE, &peak, 1, 1e5}};
    int r = cli_parse("kernels", argc, argv, &c, opts, 2, help, NULL, 0, NULL);
    if (r) return r == 1 ? 0 : 2;
    if (!c.cuda) {
        fprintf(stderr, "pcbench kernels: only the CUDA kernels are timed here: pass --backend cuda\n");
        return 2;
    }
#ifdef PCB_HAVE_CUDA
    if (kcuda_init()) {
        pcb_fail("%s", kcuda_error());
        return cli_error("kernels");
    }
    char dev[128];
    kcuda_device_name(dev, sizeof dev);
    static const attn_shape shapes[] = {{"llama3-8b 32/8x128", 32, 8, 128}, {"smollm2 9/3x64", 9, 3, 64}};
    char *ls = pcb_strdup(lengths_s);
    for (char *t = strtok(ls, ","); t; t = strtok(NULL, ",")) {
        int n = atoi(t);
        if (n <= 0) {
            fprintf(stderr, "pcbench kernels: bad length '%s'\n", t);
            free(ls);
            return 2;
        }
        for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
            double ms;
            if (time_attention(&shapes[i], n, &ms)) {
                pcb_fail("attention %s at %d tokens: %s", shapes[i].name, n, kcuda_error());
                free(ls);
                return cli_error("kernels");
            }
            double flops = 4.0 * shapes[i].hd * shapes[i].n_heads * ((double)n * (n + 1) / 2);
            report(c.json, "attention", shapes[i].name, n, ms, flops, peak, dev);
        }
        double ms;  // the largest GEMM of a Llama-3-8B layer (MLP up/gate), up to 16K rows
        int rows = n < 16384 ? n : 16384;
        if (time_gemm(rows, 4096, 14336, &ms)) {
            pcb_fail("gemm: %s", kcuda_error());
            free(ls);
            return cli_error("kernels");
        }
        report(c.json, "gemm", "x[N,4096] W[14336,4096]^T", rows, ms, 2.0 * rows * 4096.0 * 14336.0, peak, dev);
    }
    free(ls);
    return 0;
#else
    fprintf(stderr, "pcbench kernels: this pcbench was built without CUDA\n");
    return 1;
#endif
}
