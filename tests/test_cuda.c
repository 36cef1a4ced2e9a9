// CUDA backend against the CPU path (as ggml's test-backend-ops): every kernel on random data
// with a normalised mean squared error bound (NMSE = sum (gpu - cpu)^2 / sum cpu^2): 1e-7 for
// fp32 ops and for bf16 GEMMs fed the same bf16-rounded inputs (products are exact, only the
// summation order differs), 5e-4 for attention (its probabilities pass through bf16 before the
// P.V product). Then the default model end to end: top-1 agreement of logits, and parallelcomp
// keeping the same chunks and KV slots as on the CPU. Every test skips, saying why, where no
// GPU is usable. Built only with the CUDA engine (it calls the kernels directly); a build
// without it runs tests/skip_cuda.c under this name instead (Makefile).
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/engine/backend.h"
#include "bench/engine/cuda_internal.h"
#include "bench/engine/forward.h"
#include "bench/engine/kv_cache.h"
#include "bench/method/pcomp.h"
#include "bench/model/model.h"
#include "bench/model/tokenizer.h"
#include "kernels/kernels.h"
#include "kernels/kernels_cuda.h"
#include "tests/test.h"

static char no_gpu[256];
static int have_gpu;

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static float frand(void) {  // uniform [-1, 1)
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (float)((rng >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}
static void fill(float *x, size_t n, float scale) {
    for (size_t i = 0; i < n; i++) x[i] = frand() * scale;
}
static float bf16_round(float f) {  // as the device stores it (nearest even)
    uint32_t u;
    memcpy(&u, &f, 4);
    u += 0x7fffu + ((u >> 16) & 1u);
    u &= 0xffff0000u;
    memcpy(&f, &u, 4);
    return f;
}
static void round_bf16(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = bf16_round(x[i]);
}
static double nmse(const float *got, const float *want, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)got[i] - want[i];
        num += d * d, den += (double)want[i] * want[i];
    }
    return den > 0 ? num / den : num;
}

// Device copies of host arrays (freed by the caller).
static float *dev_f32(const float *x, size_t n) {
    float *d = kcuda_malloc(sizeof(float) * n);
    kcuda_upload(d, x, sizeof(float) * n);
    return d;
}
static bf16_t *dev_bf16(const float *x, size_t n) {
    bf16_t *d = kcuda_malloc(sizeof(bf16_t) * n);
    kcuda_upload_bf16(d, x, n);
    return d;
}
static int32_t *dev_i32(const int32_t *x, size_t n) {
    int32_t *d = kcuda_malloc(sizeof(int32_t) * (n ? n : 1));
    kcuda_upload(d, x, sizeof(int32_t) * n);
    return d;
}
static float *host_f32(const float *d, size_t n) {
    float *x = malloc(sizeof(float) * n);
    kcuda_download(x, d, sizeof(float) * n);
    return x;
}

#define NEED_GPU() \
    if (!have_gpu) SKIP_TEST(no_gpu)

static void test_row_ops(void) {
    NEED_GPU();
    int n = 37, d = 576;
    float *x = malloc(sizeof(float) * n * d), *w = malloc(sizeof(float) * d), *ref = malloc(sizeof(float) * n * d);
    fill(x, (size_t)n * d, 3.0f), fill(w, d, 1.0f);
    float *dx = dev_f32(x, (size_t)n * d), *dw = dev_f32(w, d), *dout = kcuda_malloc(sizeof(float) * n * d);
    // rmsnorm
    rmsnorm(ref, x, w, n, d, 1e-5f);
    CHECK(kcuda_rmsnorm(dout, dx, dw, n, d, 1e-5f) == 0);
    float *got = host_f32(dout, (size_t)n * d);
    double e = nmse(got, ref, (size_t)n * d);
    CHECK_MSG(e <= 1e-7, "rmsnorm NMSE %g", e);
    free(got);
    // rope at long positions (the angle is where float phase error would show)
    int32_t pos[37];
    for (int i = 0; i < n; i++) pos[i] = i * 3547 + (i % 5);  // up to ~128K
    int32_t *dpos = dev_i32(pos, n);
    memcpy(ref, x, sizeof(float) * n * d);
    rope_interleaved(ref, pos, n, 9, 64, 100000.0f);
    kcuda_upload(dout, x, sizeof(float) * n * d);
    CHECK(kcuda_rope_interleaved(dout, dpos, n, 9, 64, 100000.0f) == 0);
    got = host_f32(dout, (size_t)n * d);
    e = nmse(got, ref, (size_t)n * d);
    CHECK_MSG(e <= 1e-7, "rope NMSE %g", e);
    free(got);
    // swiglu and add
    memcpy(ref, x, sizeof(float) * n * d);
    swiglu(ref, w, d);
    kcuda_upload(dout, x, sizeof(float) * n * d);
    CHECK(kcuda_swiglu(dout, dw, d) == 0);
    got = host_f32(dout, d);
    e = nmse(got, ref, d);
    CHECK_MSG(e <= 1e-7, "swiglu NMSE %g", e);
    free(got);
    kcuda_upload(dout, x, sizeof(float) * d);
    CHECK(kcuda_add(dout, dw, d) == 0);
    got = host_f32(dout, d);
    for (int i = 0; i < d; i++) ref[i] = x[i] + w[i];
    CHECK(nmse(got, ref, d) == 0);
    free(got);
    // softmax rows
    memcpy(ref, x, sizeof(float) * n * d);
    for (int r = 0; r < n; r++) softmax_row(ref + (size_t)r * d, d);
    kcuda_upload(dout, x, sizeof(float) * n * d);
    CHECK(kcuda_softmax_rows(dout, n, d) == 0);
    got = host_f32(dout, (size_t)n * d);
    e = nmse(got, ref, (size_t)n * d);
    CHECK_MSG(e <= 1e-7, "softmax NMSE %g", e);
    free(got);
    // embedding of bf16 rows is exact
    int vocab = 50;
    float *table = malloc(sizeof(float) * vocab * d);
    fill(table, (size_t)vocab * d, 1.0f), round_bf16(table, (size_t)vocab * d);
    int32_t toks[37];
    for (int i = 0; i < n; i++) toks[i] = (i * 7) % vocab;
    bf16_t *dtable = dev_bf16(table, (size_t)vocab * d);
    int32_t *dtoks = dev_i32(toks, n);
    CHECK(kcuda_embed(dout, dtable, dtoks, n, d) == 0);
    got = host_f32(dout, (size_t)n * d);
    int exact = 1;
    for (int i = 0; i < n; i++) exact &= !memcmp(got + (size_t)i * d, table + (size_t)toks[i] * d, sizeof(float) * d);
    CHECK(exact);
    free(got);
    kcuda_free(dx), kcuda_free(dw), kcuda_free(dout), kcuda_free(dpos), kcuda_free(dtable), kcuda_free(dtoks);
    free(x), free(w), free(ref), free(table);
}

static void gemm_case(int n, int d_in, int d_out) {
    float *x = malloc(sizeof(float) * n * d_in), *w = malloc(sizeof(float) * d_out * d_in);
    float *ref = malloc(sizeof(float) * n * d_out);
    fill(x, (size_t)n * d_in, 1.0f), fill(w, (size_t)d_out * d_in, 0.05f);
    round_bf16(x, (size_t)n * d_in), round_bf16(w, (size_t)d_out * d_in);
    matmul_wt(ref, x, w, n, d_in, d_out);
    bf16_t *dx = dev_bf16(x, (size_t)n * d_in), *dw = dev_bf16(w, (size_t)d_out * d_in);
    float *dy = kcuda_malloc(sizeof(float) * n * d_out);
    CHECK(kcuda_gemm_bf16(dy, dx, dw, n, d_in, d_out) == 0);
    float *got = host_f32(dy, (size_t)n * d_out);
    double e = nmse(got, ref, (size_t)n * d_out);
    CHECK_MSG(e <= 1e-7, "gemm %dx%d @ %dx%d^T NMSE %g", n, d_in, d_out, d_in, e);
    kcuda_free(dx), kcuda_free(dw), kcuda_free(dy);
    free(x), free(w), free(ref), free(got);
}

static void test_gemm(void) {
    NEED_GPU();
    gemm_case(1, 576, 1536);
    gemm_case(33, 576, 1536);
    gemm_case(300, 1536, 576);
}

// One attention case: n query rows (heads x hd), a key set per KV head with explicit positions
// and chunk ids; GPU output and probe rows against attention_block on the same bf16 data.
typedef struct {
    int n, n_heads, n_kv, hd, n_keys;
    int32_t *q_pos, *q_seq, *k_pos, *k_chunk;  // [n], [n] or NULL, [n_keys], [n_keys]
} attn_case;

static void attention_case(const attn_case *ac, const char *name) {
    int n = ac->n, hd = ac->hd, nk = ac->n_keys, group = ac->n_heads / ac->n_kv, qd = ac->n_heads * hd;
    float scale = 1.0f / sqrtf((float)hd);
    float *q = malloc(sizeof(float) * n * qd), *k = malloc(sizeof(float) * ac->n_kv * nk * hd);
    float *v = malloc(sizeof(float) * ac->n_kv * nk * hd), *ref = calloc((size_t)n * qd, sizeof(float));
    float *ref_probs = calloc((size_t)n * ac->n_heads * nk, sizeof(float));
    fill(q, (size_t)n * qd, 2.0f), fill(k, (size_t)ac->n_kv * nk * hd, 2.0f), fill(v, (size_t)ac->n_kv * nk * hd, 1.0f);
    round_bf16(q, (size_t)n * qd), round_bf16(k, (size_t)ac->n_kv * nk * hd), round_bf16(v, (size_t)ac->n_kv * nk * hd);
    int32_t *seq = malloc(sizeof(int32_t) * n);
    for (int i = 0; i < n; i++) seq[i] = ac->q_seq ? ac->q_seq[i] : -1;
    // CPU reference, one query head at a time
    float *qh = malloc(sizeof(float) * n * hd), *oh = malloc(sizeof(float) * n * hd),
          *ph = malloc(sizeof(float) * n * nk);
    for (int h = 0; h < ac->n_heads; h++) {
        int g = h / group;
        for (int i = 0; i < n; i++)
            memcpy(qh + (size_t)i * hd, q + (size_t)i * qd + (size_t)h * hd, sizeof(float) * hd);
        attention_block(oh, ph, 1, qh, ac->q_pos, seq, n, k + (size_t)g * nk * hd, v + (size_t)g * nk * hd, ac->k_pos,
                        ac->k_chunk, nk, hd, scale);
        for (int i = 0; i < n; i++) {
            memcpy(ref + (size_t)i * qd + (size_t)h * hd, oh + (size_t)i * hd, sizeof(float) * hd);
            memcpy(ref_probs + ((size_t)i * ac->n_heads + h) * nk, ph + (size_t)i * nk, sizeof(float) * nk);
        }
    }
    // GPU
    kcuda_kv_layer kv = {.n_kv_heads = ac->n_kv, .head_dim = hd};
    int32_t *dkpos = dev_i32(ac->k_pos, nk), *dkchunk = dev_i32(ac->k_chunk, nk);
    for (int g = 0; g < ac->n_kv; g++) {
        kv.k[g] = dev_bf16(k + (size_t)g * nk * hd, (size_t)nk * hd);
        kv.v[g] = dev_bf16(v + (size_t)g * nk * hd, (size_t)nk * hd);
        kv.pos[g] = dkpos, kv.chunk[g] = dkchunk, kv.n_keys[g] = nk;
    }
    bf16_t *dq = dev_bf16(q, (size_t)n * qd);
    int32_t *dqpos = dev_i32(ac->q_pos, n), *dqseq = ac->q_seq ? dev_i32(ac->q_seq, n) : NULL;
    float *dout = kcuda_malloc(sizeof(float) * n * qd);
    CHECK(kcuda_attention(dout, dq, dqpos, dqseq, n, ac->n_heads, &kv, scale) == 0);
    float *got = host_f32(dout, (size_t)n * qd);
    double e = nmse(got, ref, (size_t)n * qd);
    CHECK_MSG(e <= 5e-4, "%s: attention NMSE %g", name, e);
    // probe: every row, per-row and summed
    int32_t *rows = malloc(sizeof(int32_t) * n);
    for (int i = 0; i < n; i++) rows[i] = i;
    int32_t *drows = dev_i32(rows, n);
    float *dprobs = kcuda_malloc(sizeof(float) * n * ac->n_heads * nk),
          *dsums = kcuda_malloc(sizeof(float) * ac->n_heads * nk);
    CHECK(kcuda_attention_probs(dprobs, NULL, nk, dq, dqpos, dqseq, drows, n, ac->n_heads, 0, ac->n_heads, &kv,
                                scale) == 0);
    CHECK(kcuda_attention_probs(NULL, dsums, nk, dq, dqpos, dqseq, drows, n, ac->n_heads, 0, ac->n_heads, &kv, scale) ==
          0);
    float *probs = host_f32(dprobs, (size_t)n * ac->n_heads * nk), *sums = host_f32(dsums, (size_t)ac->n_heads * nk);
    e = nmse(probs, ref_probs, (size_t)n * ac->n_heads * nk);
    CHECK_MSG(e <= 1e-7, "%s: probe rows NMSE %g", name, e);
    float *ref_sums = calloc((size_t)ac->n_heads * nk, sizeof(float));
    for (int i = 0; i < n; i++)
        for (int h = 0; h < ac->n_heads; h++)
            for (int j = 0; j < nk; j++)
                ref_sums[(size_t)h * nk + j] += ref_probs[((size_t)i * ac->n_heads + h) * nk + j];
    e = nmse(sums, ref_sums, (size_t)ac->n_heads * nk);
    CHECK_MSG(e <= 1e-7, "%s: probe sums NMSE %g", name, e);
    for (int g = 0; g < ac->n_kv; g++) kcuda_free((void *)kv.k[g]), kcuda_free((void *)kv.v[g]);
    kcuda_free(dkpos), kcuda_free(dkchunk), kcuda_free(dq), kcuda_free(dqpos), kcuda_free(dqseq), kcuda_free(dout);
    kcuda_free(drows), kcuda_free(dprobs), kcuda_free(dsums);
    free(q), free(k), free(v), free(ref), free(ref_probs), free(seq), free(qh), free(oh), free(ph), free(got),
        free(rows);
    free(probs), free(sums), free(ref_sums);
}

static void test_attention(void) {
    NEED_GPU();
    enum { N = 300, NK = 1000 };
    static int32_t qp[NK], qs[NK], kp[NK], kc[NK];
    // 1. causal prefill of one sequence (keys = the rows), SmolLM2 shape
    for (int i = 0; i < N; i++) qp[i] = kp[i] = i, kc[i] = -1;
    attention_case(&(attn_case){N, 9, 3, 64, N, qp, NULL, kp, kc}, "causal");
    // 2. three chunks prefilled in one call: positions reused from 0, each sees its own chunk
    for (int i = 0; i < N; i++) qs[i] = kc[i] = i / 100, qp[i] = kp[i] = i % 100;
    attention_case(&(attn_case){N, 9, 3, 64, N, qp, qs, kp, kc}, "batched chunks");
    // 3. question rows at P.. over a merged, evicted cache (gaps, repeated positions) + itself
    int nk = 0;
    for (int c = 0; c < 4; c++)
        for (int p = 0; p < 240; p++)
            if (p < 4 || (p * 7 + c) % 3) kp[nk] = p, kc[nk++] = c;
    int P = 240, nq = 40;
    for (int i = 0; i < nq; i++) qp[i] = kp[nk + i] = P + i, kc[nk + i] = -1;
    attention_case(&(attn_case){nq, 9, 3, 64, nk + nq, qp, NULL, kp, kc}, "merged cache");
    // 4. Llama-3-8B head shape (32/8 heads of 128), rows not a multiple of the tile
    for (int i = 0; i < 130; i++) qp[i] = 870 + i;
    for (int j = 0; j < NK; j++) kp[j] = j, kc[j] = -1;
    attention_case(&(attn_case){130, 32, 8, 128, NK, qp, NULL, kp, kc}, "hd128");
}

static void test_kv_cache_device(void) {
    NEED_GPU();
    int layers = 2, heads = 3, hd = 64, n = 50;
    kv_cache *host = kv_cache_new(layers, heads, hd), *dev = kv_cache_new_device(layers, heads, hd);
    float *k = malloc(sizeof(float) * n * heads * hd), *v = malloc(sizeof(float) * n * heads * hd);
    int32_t pos[50], chunk[50], doc[50];
    for (int i = 0; i < n; i++) pos[i] = i % 20, chunk[i] = i / 20, doc[i] = i;
    int32_t *dpos = dev_i32(pos, n), *dchunk = dev_i32(chunk, n);
    kv_cache_reserve(host, n);
    CHECK(kv_cache_reserve(dev, n) == 0);
    for (int l = 0; l < layers; l++) {
        fill(k, (size_t)n * heads * hd, 1.0f), fill(v, (size_t)n * heads * hd, 1.0f);
        round_bf16(k, (size_t)n * heads * hd), round_bf16(v, (size_t)n * heads * hd);
        for (int g = 0; g < heads; g++)
            for (int i = 0; i < n; i++)
                kv_head_append(kv_cache_head(host, l, g), hd, k + ((size_t)i * heads + g) * hd,
                               v + ((size_t)i * heads + g) * hd, pos[i], chunk[i], doc[i]);
        float *dk = dev_f32(k, (size_t)n * heads * hd), *dv = dev_f32(v, (size_t)n * heads * hd);
        CHECK(kv_cache_append_device(dev, l, dk, dv, n, pos, chunk, doc, dpos, dchunk) == 0);
        kcuda_free(dk), kcuda_free(dv);
    }
    int32_t keep[] = {0, 3, 4, 19, 20, 33, 49};
    CHECK(kv_head_gather(kv_cache_head(host, 1, 2), hd, keep, 7) == 0);
    CHECK(kv_head_gather(kv_cache_head(dev, 1, 2), hd, keep, 7) == 0);
    kv_cache *parts[2] = {dev, dev}, *both = kv_cache_concat(parts, 2);
    CHECK(both && both->device && kv_cache_total_slots(both) == 2 * kv_cache_total_slots(dev));
    size_t before = kcuda_bytes_in_use();
    CHECK(kv_head_gather(kv_cache_head(both, 0, 0), hd, keep, 3) == 0);
    CHECK(kcuda_bytes_in_use() < before);  // eviction returns device memory
    for (int l = 0; l < layers; l++)
        for (int g = 0; g < heads; g++) {
            const kv_head *a = kv_cache_head(host, l, g), *b = kv_cache_head(dev, l, g);
            CHECK(a->n == b->n && !memcmp(a->pos, b->pos, sizeof(int32_t) * a->n) &&
                  !memcmp(a->doc, b->doc, sizeof(int32_t) * a->n));
            uint16_t *bk = malloc(sizeof(uint16_t) * b->n * hd);
            int32_t *bp = malloc(sizeof(int32_t) * b->n), *bc = malloc(sizeof(int32_t) * b->n);
            kcuda_download(bk, b->dk, sizeof(uint16_t) * b->n * hd);
            kcuda_download(bp, b->dpos, sizeof(int32_t) * b->n), kcuda_download(bc, b->dchunk, sizeof(int32_t) * b->n);
            int same = !memcmp(bp, a->pos, sizeof(int32_t) * a->n) && !memcmp(bc, a->chunk, sizeof(int32_t) * a->n);
            for (int i = 0; i < a->n * hd && same; i++) {
                uint32_t u = (uint32_t)bk[i] << 16;
                float f;
                memcpy(&f, &u, 4);
                same = f == a->k[i];
            }
            CHECK_MSG(same, "layer %d head %d: device slots differ from the host cache", l, g);
            free(bk), free(bp), free(bc);
        }
    kv_cache *mixed[2] = {host, dev};
    CHECK(kv_cache_concat(mixed, 2) == NULL);  // host and device caches do not mix
    kv_cache_free(host), kv_cache_free(dev), kv_cache_free(both);
    kcuda_free(dpos), kcuda_free(dchunk);
    free(k), free(v);
}

static void test_select(void) {
    NEED_GPU();
    int n = 5000;
    float *s = malloc(sizeof(float) * n), *pooled = malloc(sizeof(float) * n);
    for (int i = 0; i < n; i++) s[i] = (float)((i * 7919) % 97) / 97.0f;  // many ties
    maxpool1d(pooled, s, n, 7);
    float *ds = dev_f32(s, n), *dp = kcuda_malloc(sizeof(float) * n);
    CHECK(kcuda_maxpool1d(dp, ds, n, 7) == 0);
    float *got = host_f32(dp, n);
    CHECK(nmse(got, pooled, n) == 0);
    int32_t want[700], have[700];
    for (int k = 1; k <= 700; k += 233) {
        CHECK(topk_indices(want, s, n, k) == k);
        int32_t *dout = kcuda_malloc(sizeof(int32_t) * k);
        CHECK_MSG(kcuda_topk_indices(dout, ds, n, k) == 0, "%s", kcuda_error());
        kcuda_download(have, dout, sizeof(int32_t) * k);
        CHECK_MSG(!memcmp(want, have, sizeof(int32_t) * k), "top-%d differs from topk_indices", k);
        kcuda_free(dout);
    }
    CHECK(kcuda_topk_indices(NULL, ds, n, n + 1) == -1);
    kcuda_free(ds), kcuda_free(dp);
    free(s), free(pooled), free(got);
}

// ---- the default model end to end ----------------------------------------------------------

static model *cpu_m, *gpu_m;
static tokenizer *tok;

static int load_models(void) {
    static int state;  // 0 not tried, 1 loaded, -1 failed
    if (state) return state > 0;
    const char *path = getenv("PCB_MODEL");
    if (!path || !*path) path = "models/SmolLM2-135M-Instruct.Q4_1.gguf";
    if (!(cpu_m = model_load(path)) || !(gpu_m = model_load(path)) || backend_select(gpu_m, BACKEND_CUDA) ||
        !(tok = tokenizer_from_gguf(&cpu_m->gguf))) {
        fprintf(stderr, "  model: %s\n", pcb_last_error());
        model_free(cpu_m), model_free(gpu_m), tokenizer_free(tok);
        cpu_m = gpu_m = NULL, tok = NULL;
        state = -1;
        return 0;
    }
    state = 1;
    return 1;
}

static int32_t *text_tokens(int want, int *got) {
    char path[512];
    snprintf(path, sizeof path, "%s/text/pg19/pg19_10985_infant_system.txt", test_data_dir());
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = calloc(1, 400001);
    size_t len = fread(buf, 1, 400000, f);
    fclose(f);
    int32_t *ids = NULL;
    size_t n = 0;
    tokenizer_encode(tok, buf, len, 0, &ids, &n);
    free(buf);
    *got = (int)n < want ? (int)n : want;
    return ids;
}

static void test_model_logits_agree(void) {
    NEED_GPU();
    if (!load_models()) SKIP_TEST("default model not available (make model)");
    int n;
    int32_t *ids = text_tokens(600, &n);
    if (!ids || n < 600) FAIL_TEST("PG19 text in the data folder");
    enum { ROWS = 64 };
    int32_t pos[600], rows[ROWS];
    for (int i = 0; i < n; i++) pos[i] = i;
    for (int i = 0; i < ROWS; i++) rows[i] = i * (n / ROWS) + (n / ROWS - 1);
    int vocab = cpu_m->cfg.vocab_size;
    float *lc = malloc(sizeof(float) * ROWS * vocab), *lg = malloc(sizeof(float) * ROWS * vocab);
    forward_batch b = {.n = n, .tokens = ids, .pos = pos, .doc = pos, .logit_rows = rows, .n_logit_rows = ROWS};
    kv_cache *cc = model_new_cache(cpu_m), *cg = model_new_cache(gpu_m);
    b.logits = lc;
    CHECK(forward(cpu_m, cc, &b) == 0);
    b.logits = lg;
    CHECK(forward(gpu_m, cg, &b) == 0);
    CHECK(cg->device && kv_cache_total_slots(cg) == kv_cache_total_slots(cc));
    int agree = 0, decided = 0, decided_agree = 0;
    for (int r = 0; r < ROWS; r++) {
        const float *a = lc + (size_t)r * vocab, *g = lg + (size_t)r * vocab;
        int ia = 0, ig = 0, second = -1;
        for (int j = 1; j < vocab; j++) {
            if (a[j] > a[ia]) ia = j;
            if (g[j] > g[ig]) ig = j;
        }
        for (int j = 0; j < vocab; j++)
            if (j != ia && (second < 0 || a[j] > a[second])) second = j;
        agree += ia == ig;
        if (a[ia] - a[second] > 0.5f) decided++, decided_agree += ia == ig;  // clear CPU winner
    }
    double e = nmse(lg, lc, (size_t)ROWS * vocab);
    printf(
        "  # %d-token prefill, %d rows: top-1 agreement %d/%d (%d/%d where the CPU margin > 0.5), logits NMSE %.2e\n",
        n, ROWS, agree, ROWS, decided_agree, decided, e);
    CHECK_MSG(decided_agree == decided, "top-1 differs on a row with a clear winner");
    CHECK_MSG(agree >= ROWS * 9 / 10, "top-1 agreement %d/%d", agree, ROWS);
    CHECK_MSG(e <= 1e-3, "logits NMSE %g", e);  // measured 8e-5 (bf16 weights and KV cache); 1e-2 hid real errors
    kv_cache_free(cc), kv_cache_free(cg);
    free(lc), free(lg), free(ids);
}

static void test_parallelcomp_same_choices(void) {
    NEED_GPU();
    if (!load_models()) SKIP_TEST("default model not available (make model)");
    int n;
    int32_t *ids = text_tokens(3032, &n);
    if (!ids || n < 3032) FAIL_TEST("PG19 text in the data folder");
    pcomp_input in;
    CHECK(pcomp_input_from_tokens(tok, ids, 3000, ids + 3000, 32, &in) == 0);
    pcomp_options o;
    pcomp_options_default(&o);
    o.method = METHOD_PARALLELCOMP;
    o.chunk_tokens = 500;
    o.topk_chunks = 3;
    o.kv_eviction = 1;
    o.capacity = 256;
    o.calibrate = 1, o.calib_lo = 0, o.calib_hi = 29;
    o.max_new_tokens = 1;
    pcomp_state sc, sg;
    pcomp_result rc, rg;
    CHECK(pcomp_prefill(cpu_m, &in, &o, &sc, &rc) == 0);
    CHECK(pcomp_prefill(gpu_m, &in, &o, &sg, &rg) == 0);
    CHECK(rc.n_chunks == rg.n_chunks && rc.n_kept == rg.n_kept);
    int same_chunks = rc.n_chunks == rg.n_chunks;
    for (int i = 0; i < rc.n_chunks && same_chunks; i++) same_chunks = rc.chunks[i].kept == rg.chunks[i].kept;
    CHECK_MSG(same_chunks, "kept chunks differ between CPU and GPU");
    long slots_c = 0, slots_g = 0, same_slots = 0, cal_c = 0, cal_g = 0, layers_differ = 0;
    for (int l = 0; l < rc.n_layers; l++) {
        slots_c += rc.kv_slots[l], slots_g += rg.kv_slots[l], cal_c += rc.calib_evicted[l],
            cal_g += rg.calib_evicted[l];
        // Calibration evicts tokens above a hard threshold (0.1): one whose fp32 attention sits at the
        // threshold can flip under bf16 attention. Tolerance: one token per KV head in a layer.
        long d = labs(rc.kv_slots[l] - rg.kv_slots[l]);
        CHECK_MSG(d <= sc.cache->n_kv_heads, "layer %d: %ld KV slots on CPU, %ld on GPU", l, rc.kv_slots[l],
                  rg.kv_slots[l]);
        layers_differ += d != 0;
        for (int g = 0; g < sc.cache->n_kv_heads; g++) {  // which document tokens each head kept
            const kv_head *a = kv_cache_head(sc.cache, l, g), *b = kv_cache_head(sg.cache, l, g);
            for (int i = 0, j = 0; i < a->n && j < b->n;) {
                if (a->doc[i] == b->doc[j] && a->pos[i] == b->pos[j]) same_slots++, i++, j++;
                else if (a->doc[i] < b->doc[j]) i++;
                else j++;
            }
        }
    }
    double overlap = slots_c ? (double)same_slots / slots_c : 1.0;
    printf(
        "  # parallelcomp: %d/%d chunks kept on both; %ld KV slots (CPU) vs %ld (GPU), %.2f%% the same slots; "
        "calibration evicted %ld vs %ld (%ld layers differ)\n",
        rc.n_kept, rc.n_chunks, slots_c, slots_g, 100 * overlap, cal_c, cal_g, layers_differ);
    CHECK_MSG(overlap >= 0.98, "only %.2f%% of the kept KV slots agree", 100 * overlap);
    CHECK_MSG(layers_differ <= rc.n_layers / 10, "%ld layers keep a different number of slots", layers_differ);
    pcomp_state_free(&sc), pcomp_state_free(&sg), pcomp_result_free(&rc), pcomp_result_free(&rg);
    pcomp_input_free(&in);
    free(ids);
}

int main(void) {
    have_gpu = backend_available(BACKEND_CUDA, no_gpu, sizeof no_gpu);
    RUN_TEST(test_row_ops);
    RUN_TEST(test_gemm);
    RUN_TEST(test_attention);
    RUN_TEST(test_kv_cache_device);
    RUN_TEST(test_select);
    RUN_TEST(test_model_logits_agree);
    RUN_TEST(test_parallelcomp_same_choices);
    model_free(cpu_m), model_free(gpu_m), tokenizer_free(tok);
    return test_n_fail_ ? 1 : 0;
}
