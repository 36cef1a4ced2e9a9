#include "bench/engine/forward.h"

#include <assert.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/engine/backend_internal.h"
#include "kernels/kernels.h"

// Query rows (tokens) per attention task; the task holds this many rows for each query head
// of one GQA group, so its GEMMs are (group * ATTN_BLOCK) x keys x head_dim.
#define ATTN_BLOCK 32
// The MLP runs over blocks of this many rows: its [rows, ffn] activations are the largest
// buffers of a long prefill, and bounding them keeps peak-memory comparisons about the cache.
#define MLP_ROWS 512

kv_cache *model_new_cache(const model *m) {
    const model_config *c = &m->cfg;
    return backend_on_device(m) ? kv_cache_new_device(c->n_layers, c->n_kv_heads, c->head_dim)
                                : kv_cache_new(c->n_layers, c->n_kv_heads, c->head_dim);
}

// forward_attn.row_probs on the CPU: attention_block with full rows over the slots.
static int cpu_row_probs(const forward_attn *a, int q_head, int first_row, int n_rows, float *probs) {
    const model_config *c = &a->m->cfg;
    int hd = c->head_dim, qd = c->n_heads * hd;
    const kv_head *h = kv_cache_head(a->cache, a->layer, q_head / (c->n_heads / c->n_kv_heads));
    float *qr = pcb_malloc(sizeof(float) * (size_t)n_rows * hd), *out = pcb_malloc(sizeof(float) * (size_t)n_rows * hd);
    int32_t *qpos = pcb_malloc(sizeof(int32_t) * n_rows), *qseq = pcb_malloc(sizeof(int32_t) * n_rows);
    for (int i = 0; i < n_rows; i++) {
        int t = first_row + i;
        memcpy(qr + (size_t)i * hd, a->q + (size_t)t * qd + (size_t)q_head * hd, sizeof(float) * hd);
        qpos[i] = a->b->pos[t], qseq[i] = a->b->seq ? a->b->seq[t] : -1;
    }
    attention_block(out, probs, 1, qr, qpos, qseq, n_rows, h->k, h->v, h->pos, h->chunk, h->n, hd,
                    1.0f / sqrtf((float)hd));
    free(qr), free(out), free(qpos), free(qseq);
    return 0;
}

// out[n, d_out] = x W^T: one row reads the GGUF blocks directly when possible (decode is
// bound by weight traffic), more rows use the float32 copy through BLAS.
static void linear(const model *m, float *out, const float *x, const float *w, const quant_view *qv, int n, int d_in,
                   int d_out) {
    if (n == 1 && m->quant_decode && qv->data && matvec_quant(out, qv->data, qv->type, x, d_in, d_out) == 0) return;
    matmul_wt(out, x, w, n, d_in, d_out);
}

static void add_inplace(float *x, const float *y, int64_t n) {
#pragma omp parallel for simd if (n > 65536)
    for (int64_t i = 0; i < n; i++) x[i] += y[i];
}

static int layer_observed(const probe *p, int layer) {
    return p && (p->on_row || p->on_sum) && (!p->layers || p->layers[layer]);
}

// Index of the first observed row >= t (rows are increasing): binary search.
static int first_row_at_or_after(const probe *p, int t) {
    int lo = 0, hi = p->n_rows;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (p->rows[mid] < t) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

// Per-thread scratch of the attention tasks, allocated once per forward call (not per layer:
// fresh large allocations cost page faults on every use).
typedef struct {
    int n_threads, rows_max, keys_max;
    float *q, *o, *probs;  // per thread: [rows_max, hd], [rows_max, hd], [rows_max, keys_max]
    int32_t *pos, *seq;    // per thread: [rows_max]
    float *observed;       // probe rows: [probe n_rows, n_heads, keys_max], or NULL
    float *sums;           // probe sums per thread: [n_threads, n_heads, keys_max], or NULL
} attn_workspace;

static void attn_workspace_init(attn_workspace *w, const model *m, int keys_max, const probe *p) {
    int hd = m->cfg.head_dim;
    w->n_threads = kernels_num_threads();
    w->rows_max = m->cfg.n_heads / m->cfg.n_kv_heads * ATTN_BLOCK;
    w->keys_max = keys_max > 0 ? keys_max : 1;
    size_t nt = (size_t)w->n_threads, rows = (size_t)w->rows_max;
    w->q = pcb_malloc(sizeof(float) * nt * rows * hd);
    w->o = pcb_malloc(sizeof(float) * nt * rows * hd);
    w->probs = pcb_malloc(sizeof(float) * nt * rows * w->keys_max);
    w->pos = pcb_malloc(sizeof(int32_t) * nt * rows);
    w->seq = pcb_malloc(sizeof(int32_t) * nt * rows);
    size_t per_head = (size_t)m->cfg.n_heads * w->keys_max;
    w->observed = p && p->on_row && p->n_rows ? pcb_malloc(sizeof(float) * p->n_rows * per_head) : NULL;
    w->sums = p && p->on_sum && p->n_rows ? pcb_malloc(sizeof(float) * nt * per_head) : NULL;
}

static void attn_workspace_free(attn_workspace *w) {
    free(w->q), free(w->o), free(w->probs), free(w->pos), free(w->seq), free(w->observed), free(w->sums);
}

// Attention of all heads of one layer: q [n, n_heads*hd] against the layer's cache slots
// (already holding this call's keys), result into att [n, n_heads*hd].
static void attention_layer(const model *m, const kv_cache *cache, int layer, const forward_batch *b, const float *q,
                            float *att, attn_workspace *ws) {
    const model_config *c = &m->cfg;
    int hd = c->head_dim, qd = c->n_heads * hd, group = c->n_heads / c->n_kv_heads;
    int n = b->n, n_blocks = (n + ATTN_BLOCK - 1) / ATTN_BLOCK;
    float scale = 1.0f / sqrtf((float)hd);
    const probe *p = layer_observed(b->probe, layer) ? b->probe : NULL;
    int n_tasks = c->n_kv_heads * n_blocks;
    size_t per_head = (size_t)c->n_heads * ws->keys_max;
    if (p && p->on_sum) memset(ws->sums, 0, sizeof(float) * ws->n_threads * per_head);

#pragma omp parallel num_threads(ws->n_threads)
    {
        size_t tid = (size_t)omp_get_thread_num(), rows = (size_t)ws->rows_max;
        float *qbuf = ws->q + tid * rows * hd, *obuf = ws->o + tid * rows * hd;
        float *probs = ws->probs + tid * rows * ws->keys_max;
        int32_t *qpos = ws->pos + tid * rows, *qseq = ws->seq + tid * rows;
#pragma omp for schedule(dynamic)
        for (int task = 0; task < n_tasks; task++) {
            int g = task % c->n_kv_heads, blk = task / c->n_kv_heads;
            int t0 = blk * ATTN_BLOCK, t1 = t0 + ATTN_BLOCK < n ? t0 + ATTN_BLOCK : n, bt = t1 - t0;
            const kv_head *kh = kv_cache_head(cache, layer, g);
            assert(kh->n <= ws->keys_max);
            // Gather: row (r, t) = query head g*group + r of token t.
            for (int r = 0; r < group; r++)
                for (int t = t0; t < t1; t++) {
                    int row = r * bt + (t - t0);
                    memcpy(qbuf + (size_t)row * hd, q + (size_t)t * qd + (size_t)(g * group + r) * hd,
                           sizeof(float) * hd);
                    qpos[row] = b->pos[t];
                    qseq[row] = b->seq ? b->seq[t] : -1;
                }
            int first = p ? first_row_at_or_after(p, t0) : 0;
            int observed = p && first < p->n_rows && p->rows[first] < t1;
            attention_block(obuf, probs, observed, qbuf, qpos, qseq, group * bt, kh->k, kh->v, kh->pos, kh->chunk,
                            kh->n, hd, scale);
            for (int r = 0; r < group; r++)
                for (int t = t0; t < t1; t++)
                    memcpy(att + (size_t)t * qd + (size_t)(g * group + r) * hd, obuf + (size_t)(r * bt + t - t0) * hd,
                           sizeof(float) * hd);
            if (p && p->on_row)  // keep the observed rows; delivered after the parallel region
                for (int pi = first; pi < p->n_rows && p->rows[pi] < t1; pi++)
                    for (int r = 0; r < group; r++)
                        memcpy(ws->observed + ((size_t)pi * c->n_heads + g * group + r) * ws->keys_max,
                               probs + (size_t)(r * bt + p->rows[pi] - t0) * kh->n, sizeof(float) * kh->n);
            if (p && p->on_sum)  // this thread's partial sums; reduced after the parallel region
                for (int pi = first; pi < p->n_rows && p->rows[pi] < t1; pi++)
                    for (int r = 0; r < group; r++) {
                        float *acc = ws->sums + tid * per_head + (size_t)(g * group + r) * ws->keys_max;
                        const float *row = probs + (size_t)(r * bt + p->rows[pi] - t0) * kh->n;
                        for (int j = 0; j < kh->n; j++) acc[j] += row[j];
                    }
        }
    }
    // Deliver on the calling thread in (head, row) order: deterministic, and the callback may
    // block, allocate or set an error without touching the worker threads.
    if (p && p->on_row)
        for (int h = 0; h < c->n_heads; h++) {
            const kv_head *kh = kv_cache_head(cache, layer, h / group);
            for (int pi = 0; pi < p->n_rows; pi++)
                p->on_row(p->user, layer, h, pi, ws->observed + ((size_t)pi * c->n_heads + h) * ws->keys_max, kh);
        }
    if (p && p->on_sum)
        for (int h = 0; h < c->n_heads; h++) {
            const kv_head *kh = kv_cache_head(cache, layer, h / group);
            float *total = ws->sums + (size_t)h * ws->keys_max;  // thread 0's buffer collects the rest
            for (int t = 1; t < ws->n_threads; t++) {
                const float *part = ws->sums + t * per_head + (size_t)h * ws->keys_max;
                for (int j = 0; j < kh->n; j++) total[j] += part[j];
            }
            p->on_sum(p->user, layer, h, total, kh);
        }
}

static int validate(const model *m, const kv_cache *cache, const forward_batch *b) {
    const model_config *c = &m->cfg;
    if (b->n <= 0) return pcb_fail("forward: empty batch");
    if (cache->n_layers != c->n_layers || cache->n_kv_heads != c->n_kv_heads || cache->head_dim != c->head_dim)
        return pcb_fail("forward: cache shape does not match the model");
    if (cache->device != backend_on_device(m))
        return pcb_fail("forward: the cache is on the %s but the model on the %s", cache->device ? "GPU" : "host",
                        backend_on_device(m) ? "GPU" : "host");
    for (int i = 0; i < b->n; i++) {
        if (b->tokens[i] < 0 || b->tokens[i] >= c->vocab_size)
            return pcb_fail("forward: token id %d at row %d is outside the vocabulary (0..%d)", b->tokens[i], i,
                            c->vocab_size - 1);
        if (b->pos[i] < 0) return pcb_fail("forward: negative position id %d at row %d", b->pos[i], i);
    }
    for (int i = 0; i < b->n_logit_rows; i++)
        if (b->logit_rows[i] < 0 || b->logit_rows[i] >= b->n)
            return pcb_fail("forward: logit row %d is outside the batch (%d tokens)", b->logit_rows[i], b->n);
    if (b->n_logit_rows > 0 && !b->logits) return pcb_fail("forward: logit rows requested without an output buffer");
    if (b->probe)
        for (int i = 0; i < b->probe->n_rows; i++)
            if (b->probe->rows[i] < 0 || b->probe->rows[i] >= b->n || (i && b->probe->rows[i] <= b->probe->rows[i - 1]))
                return pcb_fail("forward: probe row %d is outside the batch or not increasing", b->probe->rows[i]);
    return 0;
}

int forward(const model *m, kv_cache *cache, const forward_batch *b) {
    if (validate(m, cache, b)) return -1;
    return backend_of(m)->forward(m, cache, b);
}

// The CPU engine's forward pass (the CUDA one is forward_cuda.c).
static int forward_cpu(const model *m, kv_cache *cache, const forward_batch *b) {
    const model_config *c = &m->cfg;
    int n = b->n, dim = c->dim, hd = c->head_dim;
    int qd = c->n_heads * hd, kvd = c->n_kv_heads * hd, ffn = c->ffn_dim;
    kv_cache_reserve(cache, n);  // host caches grow with realloc (aborts on exhaustion, never fails)
    float *x = pcb_malloc(sizeof(float) * (size_t)n * dim);
    float *xb = pcb_malloc(sizeof(float) * (size_t)n * dim);
    float *q = pcb_malloc(sizeof(float) * (size_t)n * qd);
    float *att = pcb_malloc(sizeof(float) * (size_t)n * qd);
    float *k = pcb_malloc(sizeof(float) * (size_t)n * kvd);
    float *v = pcb_malloc(sizeof(float) * (size_t)n * kvd);
    int mlp_rows = n < MLP_ROWS ? n : MLP_ROWS;
    float *h1 = pcb_malloc(sizeof(float) * (size_t)mlp_rows * ffn);
    float *h2 = pcb_malloc(sizeof(float) * (size_t)mlp_rows * ffn);

    for (int t = 0; t < n; t++)
        memcpy(x + (size_t)t * dim, m->token_embd + (size_t)b->tokens[t] * dim, sizeof(float) * dim);
    attn_workspace ws;
    attn_workspace_init(&ws, m, kv_cache_max_len(cache) + n, b->probe);

    int rc = 0;
    for (int l = 0; l < c->n_layers; l++) {
        const layer_weights *w = &m->layers[l];
        // Attention block: x += Wo · attn(rope(Wq·norm(x)), rope(Wk·norm(x)), Wv·norm(x))
        rmsnorm(xb, x, w->attn_norm, n, dim, c->norm_eps);
        linear(m, q, xb, w->wq, &w->qwq, n, dim, qd);
        linear(m, k, xb, w->wk, &w->qwk, n, dim, kvd);
        linear(m, v, xb, w->wv, &w->qwv, n, dim, kvd);
        rope_interleaved(q, b->pos, n, c->n_heads, hd, c->rope_theta);
        rope_interleaved(k, b->pos, n, c->n_kv_heads, hd, c->rope_theta);
        for (int g = 0; g < c->n_kv_heads; g++) {
            kv_head *kh = kv_cache_head(cache, l, g);
            for (int t = 0; t < n; t++)
                kv_head_append(kh, hd, k + (size_t)t * kvd + (size_t)g * hd, v + (size_t)t * kvd + (size_t)g * hd,
                               b->pos[t], b->seq ? b->seq[t] : -1, b->doc ? b->doc[t] : -1);
        }
        forward_attn fa = {.row_probs = cpu_row_probs, .m = m, .cache = cache, .b = b, .layer = l, .q = q};
        if (b->before_attention && b->before_attention(b->hook_user, l, &fa, b, cache)) {
            rc = -1;
            break;
        }
        attention_layer(m, cache, l, b, q, att, &ws);
        linear(m, xb, att, w->wo, &w->qwo, n, qd, dim);
        add_inplace(x, xb, (int64_t)n * dim);
        // MLP block: x += W_down · (silu(W_gate·norm(x)) * W_up·norm(x))
        rmsnorm(xb, x, w->ffn_norm, n, dim, c->norm_eps);
        for (int r0 = 0; r0 < n; r0 += mlp_rows) {
            int rn = n - r0 < mlp_rows ? n - r0 : mlp_rows;
            float *xr = xb + (size_t)r0 * dim;
            linear(m, h1, xr, w->w_gate, &w->qw_gate, rn, dim, ffn);
            linear(m, h2, xr, w->w_up, &w->qw_up, rn, dim, ffn);
            swiglu(h1, h2, (int64_t)rn * ffn);
            linear(m, xr, h1, w->w_down, &w->qw_down, rn, ffn, dim);  // xr is consumed: reuse it for the output
        }
        add_inplace(x, xb, (int64_t)n * dim);
    }

    if (rc == 0 && b->n_logit_rows > 0) {
        float *sel = pcb_malloc(sizeof(float) * (size_t)b->n_logit_rows * dim);
        for (int i = 0; i < b->n_logit_rows; i++)
            rmsnorm(sel + (size_t)i * dim, x + (size_t)b->logit_rows[i] * dim, m->output_norm, 1, dim, c->norm_eps);
        linear(m, b->logits, sel, m->output, &m->qoutput, b->n_logit_rows, dim, c->vocab_size);
        free(sel);
    }
    attn_workspace_free(&ws);
    free(x);
    free(xb);
    free(q);
    free(att);
    free(k);
    free(v);
    free(h1);
    free(h2);
    return rc;
}

const backend_ops backend_cpu = {.kind = BACKEND_CPU, .name = "cpu", .forward = forward_cpu};

int forward_sequence(const model *m, kv_cache *cache, const int32_t *tokens, int n, int start_pos, float *last_logits) {
    if (n <= 0) return pcb_fail("forward: empty sequence");
    int32_t *pos = pcb_malloc(sizeof(int32_t) * n), last = n - 1;
    for (int i = 0; i < n; i++) pos[i] = start_pos + i;
    forward_batch b = {.n = n,
                       .tokens = tokens,
                       .pos = pos,
                       .doc = pos,
                       .logit_rows = &last,
                       .n_logit_rows = last_logits ? 1 : 0,
                       .logits = last_logits};
    int rc = forward(m, cache, &b);
    free(pos);
    return rc;
}
