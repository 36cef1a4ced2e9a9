#include "bench/method/kv_evict.h"

#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "kernels/kernels.h"

kv_scores *kv_scores_new(const model_config *c, int cap) {
    kv_scores *s = pcb_calloc(1, sizeof *s);
    s->n_layers = c->n_layers, s->n_kv_heads = c->n_kv_heads, s->group = c->n_heads / c->n_kv_heads;
    s->cap = cap > 0 ? cap : 1;
    s->s = pcb_calloc((size_t)s->n_layers * s->n_kv_heads * s->cap, sizeof(float));
    return s;
}

void kv_scores_free(kv_scores *s) {
    if (!s) return;
    free(s->s);
    free(s);
}

float *kv_scores_at(const kv_scores *s, int layer, int kv_head) {
    return s->s + ((size_t)layer * s->n_kv_heads + kv_head) * s->cap;
}

static void on_sum(void *user, int layer, int q_head, const float *sums, const kv_head *slots) {
    kv_scores *s = user;
    float *dst = kv_scores_at(s, layer, q_head / s->group);
    int n = slots->n < s->cap ? slots->n : s->cap;
    for (int j = 0; j < n; j++) dst[j] += sums[j];
}

void kv_scores_probe(kv_scores *s, probe *p, const int32_t *rows, int n_rows) {
    *p = (probe){.rows = rows, .n_rows = n_rows, .on_sum = on_sum, .user = s};
}

// Applies keep lists built by `select` for every (layer, head). select fills keep and returns
// its length, or -1 (error set).
typedef int (*select_fn)(const void *ctx, int layer, int g, const kv_head *h, int32_t *keep);

static int evict_each_head(kv_cache *c, select_fn select, const void *ctx) {
    for (int l = 0; l < c->n_layers; l++)
        for (int g = 0; g < c->n_kv_heads; g++) {
            kv_head *h = kv_cache_head(c, l, g);
            int32_t *keep = pcb_malloc(sizeof(int32_t) * (h->n > 0 ? h->n : 1));
            int n_keep = select(ctx, l, g, h, keep);
            int rc = n_keep < 0 ? -1 : kv_head_gather(h, c->head_dim, keep, n_keep);
            free(keep);
            if (rc) return -1;
        }
    return 0;
}

// Top `k` of scores[0..n) after max-pooling, as indices offset by `base`, appended to keep.
static int keep_pooled_topk(int32_t *keep, const float *scores, int n, int k, int pool_kernel, int base) {
    if (k >= n) {
        for (int i = 0; i < n; i++) keep[i] = base + i;
        return n;
    }
    float *pooled = pcb_malloc(sizeof(float) * (n > 0 ? n : 1));
    if (pool_kernel > 1) maxpool1d(pooled, scores, n, pool_kernel);
    else memcpy(pooled, scores, sizeof(float) * n);
    int got = topk_indices(keep, pooled, n, k);
    free(pooled);
    if (got < 0) return pcb_fail("eviction: out of memory");
    for (int i = 0; i < got; i++) keep[i] += base;
    return got;
}

typedef struct {
    const kv_scores *s;
    const int *context_len;
    int capacity, pool_kernel;
} chunk_ctx;

static int select_chunk_context(const void *vctx, int layer, int g, const kv_head *h, int32_t *keep) {
    const chunk_ctx *x = vctx;
    const float *sc = x->s ? kv_scores_at(x->s, layer, g) : NULL;
    int n_keep = 0;
    for (int j = 0; j < h->n;) {  // one run of slots per chunk, in position order
        int chunk = h->chunk[j], end = j;
        while (end < h->n && h->chunk[end] == chunk) end++;
        int n_ctx = 0;  // context slots come first in a freshly prefilled chunk
        while (j + n_ctx < end && h->pos[j + n_ctx] < x->context_len[chunk]) n_ctx++;
        if (x->capacity > 0 && sc) {
            int got = keep_pooled_topk(keep + n_keep, sc + j, n_ctx, x->capacity, x->pool_kernel, j);
            if (got < 0) return -1;
            n_keep += got;
        } else
            for (int i = 0; i < n_ctx; i++) keep[n_keep++] = j + i;
        j = end;
    }
    return n_keep;
}

int evict_chunk_context(kv_cache *c, const kv_scores *s, const int *context_len, int capacity, int pool_kernel) {
    chunk_ctx x = {s, context_len, capacity, pool_kernel};
    return evict_each_head(c, select_chunk_context, &x);
}

typedef struct {
    const uint8_t *keep_chunk, *drop_first;
} chunks_ctx;

static int select_chunks(const void *vctx, int layer, int g, const kv_head *h, int32_t *keep) {
    const chunks_ctx *x = vctx;
    int n_keep = 0;
    for (int j = 0; j < h->n; j++) {
        int ch = h->chunk[j];
        if (ch < 0 || !x->keep_chunk[ch]) continue;
        if (x->drop_first && x->drop_first[ch] && h->pos[j] == 0) continue;
        keep[n_keep++] = j;
    }
    return n_keep;
}

int evict_chunks(kv_cache *c, const uint8_t *keep_chunk, const uint8_t *drop_first) {
    chunks_ctx x = {keep_chunk, drop_first};
    return evict_each_head(c, select_chunks, &x);
}

typedef struct {
    const kv_scores *s;
    int capacity, sinks, window, pool_kernel, heavy;
    const int *per_layer;
} single_ctx;

static int select_streaming(const void *vctx, int layer, int g, const kv_head *h, int32_t *keep) {
    const single_ctx *x = vctx;
    if (h->n <= x->capacity) {
        for (int j = 0; j < h->n; j++) keep[j] = j;
        return h->n;
    }
    int n_keep = 0;
    for (int j = 0; j < x->sinks; j++) keep[n_keep++] = j;
    for (int j = h->n - (x->capacity - x->sinks); j < h->n; j++) keep[n_keep++] = j;
    return n_keep;
}

int evict_streaming(kv_cache *c, int capacity, int sinks) {
    if (sinks > capacity) sinks = capacity;
    single_ctx x = {.capacity = capacity, .sinks = sinks};
    return evict_each_head(c, select_streaming, &x);
}

// `best` of the prefix [0, n - recent) by (pooled) score, then the last `recent` slots.
static int select_scored_plus_recent(const float *sc, const kv_head *h, int best, int recent, int pool_kernel,
                                     int32_t *keep) {
    if (best + recent >= h->n) {
        for (int j = 0; j < h->n; j++) keep[j] = j;
        return h->n;
    }
    int prefix = h->n - recent;
    int got = keep_pooled_topk(keep, sc, prefix, best, pool_kernel, 0);
    if (got < 0) return -1;
    for (int j = prefix; j < h->n; j++) keep[got++] = j;
    return got;
}

static int select_snapkv(const void *vctx, int layer, int g, const kv_head *h, int32_t *keep) {
    const single_ctx *x = vctx;
    int cap = x->per_layer ? x->per_layer[layer] : x->capacity;
    int window = x->window < cap ? x->window : cap;
    return select_scored_plus_recent(kv_scores_at(x->s, layer, g), h, cap - window, window, x->pool_kernel, keep);
}

int evict_snapkv(kv_cache *c, const kv_scores *s, int capacity, const int *per_layer, int window, int pool_kernel) {
    single_ctx x = {.s = s, .capacity = capacity, .per_layer = per_layer, .window = window, .pool_kernel = pool_kernel};
    return evict_each_head(c, select_snapkv, &x);
}

static int select_h2o(const void *vctx, int layer, int g, const kv_head *h, int32_t *keep) {
    const single_ctx *x = vctx;
    return select_scored_plus_recent(kv_scores_at(x->s, layer, g), h, x->heavy, x->capacity - x->heavy, 1, keep);
}

int evict_h2o(kv_cache *c, const kv_scores *s, int capacity, int heavy) {
    if (heavy > capacity) heavy = capacity;
    single_ctx x = {.s = s, .capacity = capacity, .heavy = heavy};
    return evict_each_head(c, select_h2o, &x);
}

void pyramid_budgets(int *out, int n_layers, int capacity, int window, double beta) {
    double avg = capacity - window, lo = avg / beta, hi = 2 * avg - lo;
    for (int l = 0; l < n_layers; l++) {
        double b = n_layers > 1 ? hi - (hi - lo) * l / (n_layers - 1) : avg;
        out[l] = (int)(b + 0.5) + window;
    }
}
