// The forward pass on the GPU: the same computation as bench/engine/forward.c with bf16 weights and
// KV cache, fp32 activations and accumulation, cuBLAS GEMMs and the fused attention kernel.
// Probes and hooks see exactly what they see on the CPU: probabilities are computed on the
// device and handed to the same callbacks, with the cache's host-side slot metadata.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/engine/cuda_internal.h"
#include "kernels/kernels_cuda.h"

// MLP rows per pass: bounds the [rows, ffn] activations of a long prefill (3 x 8192 x 14336
// floats for an 8B model) while keeping the GEMMs large enough to run at full speed.
#define MLP_ROWS 8192

typedef struct {
    const model *m;
    int n;
    float *x, *xb, *q, *k, *v, *h1, *h2;  // fp32 [n, dim], [n, dim], [n, qd], [n, kvd] x2, [mlp, ffn] x2
    bf16_t *act16, *q16, *h16;            // bf16 [n, max(dim, qd)], [n, qd], [mlp, ffn]
    int32_t *tokens, *pos, *chunk;        // device [n]; chunk = seq or -1 (also the rows' q_seq)
    int32_t *chunk_host, *doc_host;       // host [n]
} cuda_forward;

static int cuda_fail(const char *what) { return pcb_fail("forward (cuda): %s: %s", what, kcuda_error()); }

static void kv_view(const kv_cache *cache, int layer, kcuda_kv_layer *kv, int *longest) {
    kv->n_kv_heads = cache->n_kv_heads;
    kv->head_dim = cache->head_dim;
    *longest = 0;
    for (int g = 0; g < cache->n_kv_heads; g++) {
        const kv_head *h = kv_cache_head(cache, layer, g);
        kv->k[g] = h->dk, kv->v[g] = h->dv, kv->pos[g] = h->dpos, kv->chunk[g] = h->dchunk, kv->n_keys[g] = h->n;
        if (h->n > *longest) *longest = h->n;
    }
}

static int32_t *upload_rows(const int32_t *rows, int n) {
    int32_t *d = kcuda_malloc(sizeof(int32_t) * n);
    if (d && kcuda_upload(d, rows, sizeof(int32_t) * n)) kcuda_free(d), d = NULL;
    return d;
}

// forward_attn.row_probs on the GPU (calibration hooks).
static int cuda_row_probs(const forward_attn *a, int q_head, int first_row, int n_rows, float *probs) {
    const cuda_forward *f = a->backend;
    const model_config *c = &a->m->cfg;
    kcuda_kv_layer kv;
    int longest;
    kv_view(a->cache, a->layer, &kv, &longest);
    const kv_head *h = kv_cache_head(a->cache, a->layer, q_head / (c->n_heads / c->n_kv_heads));
    if (n_rows <= 0 || h->n == 0) return 0;
    int32_t *rows = pcb_malloc(sizeof(int32_t) * n_rows);
    for (int i = 0; i < n_rows; i++) rows[i] = first_row + i;
    int32_t *d_rows = upload_rows(rows, n_rows);
    float *d_probs = kcuda_malloc(sizeof(float) * (size_t)n_rows * c->n_heads * longest);
    int rc = !d_rows || !d_probs;
    if (!rc)
        rc = kcuda_attention_probs(d_probs, NULL, longest, f->q16, f->pos, f->chunk, d_rows, n_rows, c->n_heads, q_head,
                                   q_head + 1, &kv, 1.0f / sqrtf((float)c->head_dim));
    for (int i = 0; i < n_rows && !rc; i++)
        rc = kcuda_download(probs + (size_t)i * h->n, d_probs + ((size_t)i * c->n_heads + q_head) * longest,
                            sizeof(float) * h->n);
    kcuda_free(d_rows), kcuda_free(d_probs), free(rows);
    return rc ? cuda_fail("attention rows for a hook") : 0;
}

// Computes the probe's rows (or sums) of this layer on the device and delivers them on this
// thread in (head, row) order, as the CPU path does.
static int deliver_probe(const cuda_forward *f, const probe *p, int layer, const kv_cache *cache) {
    const model_config *c = &f->m->cfg;
    int group = c->n_heads / c->n_kv_heads, longest, rc = 0;
    kcuda_kv_layer kv;
    kv_view(cache, layer, &kv, &longest);
    if (longest == 0 || p->n_rows == 0) return 0;
    float scale = 1.0f / sqrtf((float)c->head_dim);
    int32_t *d_rows = upload_rows(p->rows, p->n_rows);
    if (!d_rows) return cuda_fail("probe rows");
    if (p->on_row) {
        size_t count = (size_t)p->n_rows * c->n_heads * longest;
        float *d = kcuda_malloc(sizeof(float) * count), *host = pcb_malloc(sizeof(float) * count);
        rc = !d ||
             kcuda_attention_probs(d, NULL, longest, f->q16, f->pos, f->chunk, d_rows, p->n_rows, c->n_heads, 0,
                                   c->n_heads, &kv, scale) ||
             kcuda_download(host, d, sizeof(float) * count);
        if (!rc)
            for (int h = 0; h < c->n_heads; h++)
                for (int pi = 0; pi < p->n_rows; pi++)
                    p->on_row(p->user, layer, h, pi, host + ((size_t)pi * c->n_heads + h) * longest,
                              kv_cache_head(cache, layer, h / group));
        kcuda_free(d), free(host);
    }
    if (p->on_sum && !rc) {
        size_t count = (size_t)c->n_heads * longest;
        float *d = kcuda_malloc(sizeof(float) * count), *host = pcb_malloc(sizeof(float) * count);
        rc = !d ||
             kcuda_attention_probs(NULL, d, longest, f->q16, f->pos, f->chunk, d_rows, p->n_rows, c->n_heads, 0,
                                   c->n_heads, &kv, scale) ||
             kcuda_download(host, d, sizeof(float) * count);
        if (!rc)
            for (int h = 0; h < c->n_heads; h++)
                p->on_sum(p->user, layer, h, host + (size_t)h * longest, kv_cache_head(cache, layer, h / group));
        kcuda_free(d), free(host);
    }
    kcuda_free(d_rows);
    return rc ? cuda_fail("attention probe") : 0;
}

static void release(cuda_forward *f) {
    void *dev[] = {f->x, f->xb, f->q, f->k, f->v, f->h1, f->h2, f->act16, f->q16, f->h16, f->tokens, f->pos, f->chunk};
    for (size_t i = 0; i < sizeof dev / sizeof *dev; i++) kcuda_free(dev[i]);
    free(f->chunk_host), free(f->doc_host);
}

static int allocate(cuda_forward *f, const model_config *c, int n) {
    size_t hd = c->head_dim, qd = c->n_heads * hd, kvd = c->n_kv_heads * hd, dim = c->dim;
    size_t mlp = n < MLP_ROWS ? n : MLP_ROWS, wide = dim > qd ? dim : qd;
    f->x = kcuda_malloc(sizeof(float) * n * dim), f->xb = kcuda_malloc(sizeof(float) * n * dim);
    f->q = kcuda_malloc(sizeof(float) * n * qd), f->q16 = kcuda_malloc(sizeof(bf16_t) * n * qd);
    f->k = kcuda_malloc(sizeof(float) * n * kvd), f->v = kcuda_malloc(sizeof(float) * n * kvd);
    f->act16 = kcuda_malloc(sizeof(bf16_t) * n * wide);
    f->h1 = kcuda_malloc(sizeof(float) * mlp * c->ffn_dim), f->h2 = kcuda_malloc(sizeof(float) * mlp * c->ffn_dim);
    f->h16 = kcuda_malloc(sizeof(bf16_t) * mlp * c->ffn_dim);
    f->tokens = kcuda_malloc(sizeof(int32_t) * n), f->pos = kcuda_malloc(sizeof(int32_t) * n);
    f->chunk = kcuda_malloc(sizeof(int32_t) * n);
    return f->x && f->xb && f->q && f->q16 && f->k && f->v && f->act16 && f->h1 && f->h2 && f->h16 && f->tokens &&
                   f->pos && f->chunk
               ? 0
               : -1;
}

// x += W_down (silu(W_gate xn) * W_up xn) over row blocks; xn = rmsnorm(x) as bf16 in act16.
static int mlp(cuda_forward *f, const cuda_layer *w, const model_config *c) {
    int n = f->n, dim = c->dim, ffn = c->ffn_dim;
    for (int r0 = 0; r0 < n; r0 += MLP_ROWS) {
        int rn = n - r0 < MLP_ROWS ? n - r0 : MLP_ROWS;
        const bf16_t *xr = f->act16 + (size_t)r0 * dim;
        if (kcuda_gemm_bf16(f->h1, xr, w->mat[W_GATE], rn, dim, ffn) ||
            kcuda_gemm_bf16(f->h2, xr, w->mat[W_UP], rn, dim, ffn) || kcuda_swiglu(f->h1, f->h2, (int64_t)rn * ffn) ||
            kcuda_to_bf16(f->h16, f->h1, (int64_t)rn * ffn) ||
            kcuda_gemm_bf16(f->xb + (size_t)r0 * dim, f->h16, w->mat[W_DOWN], rn, ffn, dim))
            return -1;
    }
    return kcuda_add(f->x, f->xb, (int64_t)n * dim);
}

static int logits(cuda_forward *f, const forward_batch *b, const model_config *c) {
    const cuda_weights *w = f->m->backend_weights;
    int nl = b->n_logit_rows, dim = c->dim;
    int32_t *d_rows = upload_rows(b->logit_rows, nl);
    float *d_logits = kcuda_malloc(sizeof(float) * (size_t)nl * c->vocab_size);
    int rc = !d_rows || !d_logits || kcuda_gather_rows_f32(f->xb, f->x, d_rows, nl, dim) ||
             kcuda_rmsnorm(f->xb, f->xb, w->output_norm, nl, dim, c->norm_eps) ||
             kcuda_to_bf16(f->act16, f->xb, (int64_t)nl * dim) ||
             kcuda_gemm_bf16(d_logits, f->act16, w->output, nl, dim, c->vocab_size) ||
             kcuda_download(b->logits, d_logits, sizeof(float) * (size_t)nl * c->vocab_size);
    kcuda_free(d_rows), kcuda_free(d_logits);
    return rc ? -1 : 0;
}

int forward_cuda(const model *m, kv_cache *cache, const forward_batch *b) {
    const model_config *c = &m->cfg;
    const cuda_weights *w = m->backend_weights;
    int n = b->n, dim = c->dim, hd = c->head_dim, qd = c->n_heads * hd, kvd = c->n_kv_heads * hd;
    float scale = 1.0f / sqrtf((float)hd);
    if (c->n_kv_heads > KCUDA_MAX_KV_HEADS)
        return pcb_fail("forward (cuda): %d KV heads > %d", c->n_kv_heads, KCUDA_MAX_KV_HEADS);
    if (kv_cache_reserve(cache, n)) return -1;
    cuda_forward f = {.m = m, .n = n};
    f.chunk_host = pcb_malloc(sizeof(int32_t) * n), f.doc_host = pcb_malloc(sizeof(int32_t) * n);
    for (int i = 0; i < n; i++) f.chunk_host[i] = b->seq ? b->seq[i] : -1, f.doc_host[i] = b->doc ? b->doc[i] : -1;
    int rc = allocate(&f, c, n) || kcuda_upload(f.tokens, b->tokens, sizeof(int32_t) * n) ||
             kcuda_upload(f.pos, b->pos, sizeof(int32_t) * n) ||
             kcuda_upload(f.chunk, f.chunk_host, sizeof(int32_t) * n) ||
             kcuda_embed(f.x, w->token_embd, f.tokens, n, dim);
    if (rc) {
        release(&f);
        return cuda_fail("setting up the forward pass");
    }
    for (int l = 0; l < c->n_layers && rc == 0; l++) {
        const cuda_layer *lw = &w->layers[l];
        // x += Wo attn(rope(Wq xn), rope(Wk xn), Wv xn), xn = rmsnorm(x)
        if (kcuda_rmsnorm(f.xb, f.x, lw->attn_norm, n, dim, c->norm_eps) ||
            kcuda_to_bf16(f.act16, f.xb, (int64_t)n * dim) || kcuda_gemm_bf16(f.q, f.act16, lw->mat[W_Q], n, dim, qd) ||
            kcuda_gemm_bf16(f.k, f.act16, lw->mat[W_K], n, dim, kvd) ||
            kcuda_gemm_bf16(f.v, f.act16, lw->mat[W_V], n, dim, kvd) ||
            kcuda_rope_interleaved(f.q, f.pos, n, c->n_heads, hd, c->rope_theta) ||
            kcuda_rope_interleaved(f.k, f.pos, n, c->n_kv_heads, hd, c->rope_theta) ||
            kcuda_to_bf16(f.q16, f.q, (int64_t)n * qd)) {
            rc = cuda_fail("q/k/v projections");
            break;
        }
        if ((rc = kv_cache_append_device(cache, l, f.k, f.v, n, b->pos, f.chunk_host, f.doc_host, f.pos, f.chunk)))
            break;
        forward_attn fa = {.row_probs = cuda_row_probs, .m = m, .cache = cache, .b = b, .layer = l, .backend = &f};
        if (b->before_attention && (rc = b->before_attention(b->hook_user, l, &fa, b, cache))) break;
        kcuda_kv_layer kv;
        int longest;
        kv_view(cache, l, &kv, &longest);
        if (kcuda_attention(f.q, f.q16, f.pos, f.chunk, n, c->n_heads, &kv, scale)) {
            rc = cuda_fail("attention");
            break;
        }
        const probe *p = b->probe;
        if (p && (p->on_row || p->on_sum) && (!p->layers || p->layers[l]) && (rc = deliver_probe(&f, p, l, cache)))
            break;
        if (kcuda_to_bf16(f.act16, f.q, (int64_t)n * qd) || kcuda_gemm_bf16(f.xb, f.act16, lw->mat[W_O], n, qd, dim) ||
            kcuda_add(f.x, f.xb, (int64_t)n * dim) ||
            // x += mlp(rmsnorm(x))
            kcuda_rmsnorm(f.xb, f.x, lw->ffn_norm, n, dim, c->norm_eps) ||
            kcuda_to_bf16(f.act16, f.xb, (int64_t)n * dim) || mlp(&f, lw, c)) {
            rc = cuda_fail("output projection and MLP");
            break;
        }
    }
    if (rc == 0 && b->n_logit_rows > 0 && logits(&f, b, c)) rc = cuda_fail("logits");
    if (rc == 0 && kcuda_sync()) rc = cuda_fail("synchronise");
    release(&f);
    return rc ? -1 : 0;
}
