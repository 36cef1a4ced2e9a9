#include "bench/method/attn_observe.h"

#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"

void attn_observe_init(attn_observe *a, const pcomp_observer *obs, forward_hook_fn inner, void *inner_user) {
    *a = (attn_observe){.obs = obs, .inner = inner, .inner_user = inner_user};
}

static float *grow(float *p, size_t *cap, size_t want) {
    if (want <= *cap) return p;
    *cap = want;
    free(p);
    return pcb_malloc(sizeof(float) * want);
}

int attn_observe_hook(void *user, int layer, const forward_attn *att, const forward_batch *b, kv_cache *cache) {
    attn_observe *a = user;
    if (a->inner && a->inner(a->inner_user, layer, att, b, cache)) return -1;
    if (layer == 0) a->calls++;
    int step = a->calls - 1;
    if (step > 0 && !a->obs->generated) return 0;
    const model_config *c = &att->m->cfg;
    int group = c->n_heads / c->n_kv_heads;
    int rows = a->obs->rows < b->n ? a->obs->rows : b->n, first = b->n - rows;
    int stride = kv_cache_max_len(cache);
    a->mean = grow(a->mean, &a->mean_cap, (size_t)c->n_heads * stride);
    a->rows = grow(a->rows, &a->rows_cap, (size_t)rows * stride);
    for (int h = 0; h < c->n_heads; h++) {
        int n = kv_cache_head(cache, layer, h / group)->n;
        float *mean = a->mean + (size_t)h * stride;
        if (att->row_probs(att, h, first, rows, a->rows)) return -1;
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int r = 0; r < rows; r++) s += a->rows[(size_t)r * n + j];
            mean[j] = (float)(s / rows);
        }
    }
    return a->obs->on_layer(a->obs->user, step, layer, a->mean, stride, cache);
}

void attn_observe_free(attn_observe *a) {
    free(a->mean), free(a->rows);
    *a = (attn_observe){0};
}
