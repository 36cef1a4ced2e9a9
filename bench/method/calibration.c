#include "bench/method/calibration.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "kernels/kernels.h"

void calibration_init(calibration *c, const model *m, const pcomp_options *o, long *evicted) {
    int n = m->cfg.n_layers * m->cfg.n_kv_heads;
    *c = (calibration){.m = m, .o = o, .evicted = evicted};
    c->pending = pcb_calloc((size_t)n, sizeof(int32_t *));
    c->n_pending = pcb_calloc((size_t)n, sizeof(int));
}

int calib_in_region(calib_region r, int width, int j, int n, int32_t pos, int32_t chunk) {
    switch (r) {
    case REGION_SINK:
        return j < width;
    case REGION_RECENT:
        return j >= n - width;
    case REGION_MIDDLE:
        return j >= width && j < n - width;
    case REGION_ALL:
        return 1;
    case REGION_CHUNK_SINKS:
        return chunk >= 0 && pos < width;  // first tokens of every kept chunk
    default:
        return 0;
    }
}

// a[j] = max over the group's query heads of the mean attention of the last r rows.
static int group_attention(const calibration *c, int g, const forward_attn *att, const forward_batch *b,
                           const kv_head *h, float *a) {
    const model_config *mc = &c->m->cfg;
    int group = mc->n_heads / mc->n_kv_heads;
    int r = c->o->calib_rows < b->n ? c->o->calib_rows : b->n, first = b->n - r;
    float *probs = pcb_malloc(sizeof(float) * (size_t)r * (h->n ? h->n : 1));
    for (int j = 0; j < h->n; j++) a[j] = 0;
    int rc = 0;
    for (int k = 0; k < group && rc == 0; k++) {
        if ((rc = att->row_probs(att, g * group + k, first, r, probs))) break;
        for (int j = 0; j < h->n; j++) {
            float mean = 0;
            for (int i = 0; i < r; i++) mean += probs[(size_t)i * h->n + j];
            mean /= (float)r;
            if (mean > a[j]) a[j] = mean;
        }
    }
    free(probs);
    return rc;
}

int calibration_hook(void *user, int layer, const forward_attn *fa, const forward_batch *b, kv_cache *cache) {
    calibration *c = user;
    const pcomp_options *o = c->o;
    if (layer < o->calib_lo || layer > o->calib_hi) return 0;
    int n_kv = cache->n_kv_heads;
    float **att = pcb_calloc((size_t)n_kv, sizeof(float *));
    uint8_t **drop = pcb_calloc((size_t)n_kv, sizeof(uint8_t *));
    int *count = pcb_calloc((size_t)n_kv, sizeof(int)), most = 0, rc = 0;
    for (int g = 0; g < n_kv && rc == 0; g++) {
        const kv_head *h = kv_cache_head(cache, layer, g);
        att[g] = pcb_malloc(sizeof(float) * (h->n ? h->n : 1));
        drop[g] = pcb_calloc((size_t)(h->n ? h->n : 1), 1);
        if ((rc = group_attention(c, g, fa, b, h, att[g]))) break;
        for (int j = 0; j < h->n; j++)
            if (att[g][j] > o->calib_threshold &&
                calib_in_region(o->region, o->calib_width, j, h->n, h->pos[j], h->chunk[j]))
                drop[g][j] = 1, count[g]++;
        if (count[g] > most) most = count[g];
    }
    for (int g = 0; g < n_kv && rc == 0; g++) {
        kv_head *h = kv_cache_head(cache, layer, g);
        if (o->calib_equalize)  // drop the lowest-attended other slots until this head drops `most`
            while (count[g] < most && count[g] < h->n) {
                int worst = -1;
                for (int j = 0; j < h->n; j++)
                    if (!drop[g][j] && (worst < 0 || att[g][j] < att[g][worst])) worst = j;
                drop[g][worst] = 1, count[g]++;
            }
        int32_t *keep = pcb_malloc(sizeof(int32_t) * (h->n ? h->n : 1));
        int n_keep = 0;
        for (int j = 0; j < h->n; j++)
            if (!drop[g][j]) keep[n_keep++] = j;
        c->evicted[layer] += h->n - n_keep;
        if (o->calib_current_step) {
            rc = kv_head_gather(h, cache->head_dim, keep, n_keep);
            free(keep);
        } else {
            size_t at = (size_t)layer * n_kv + g;
            free(c->pending[at]);
            c->pending[at] = keep, c->n_pending[at] = n_keep;
        }
    }
    for (int g = 0; g < n_kv; g++) free(att[g]), free(drop[g]);
    free(att), free(drop), free(count);
    return rc;
}

int calibration_finish(calibration *c, kv_cache *cache) {
    int rc = 0, n = cache->n_layers * cache->n_kv_heads;
    for (int i = 0; i < n; i++) {
        if (c->pending[i] && rc == 0)
            rc = kv_head_gather(&cache->heads[i], cache->head_dim, c->pending[i], c->n_pending[i]);
        free(c->pending[i]);
    }
    free(c->pending), free(c->n_pending);
    c->pending = NULL, c->n_pending = NULL;
    return rc;
}
