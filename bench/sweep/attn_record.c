#include "bench/sweep/attn_record.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/base/version.h"

void attn_record_init(attn_record *r, attn_log *log, const model_config *c) {
    *r = (attn_record){.log = log, .n_heads = c->n_heads, .n_kv_heads = c->n_kv_heads};
}

static void free_scratch(attn_record *r) {
    free(r->attn), free(r->pos), free(r->chunk), free(r->doc), free(r->starts), free(r->map), free(r->kept);
}

void attn_record_free(attn_record *r) {
    free_scratch(r);
    *r = (attn_record){0};
}

// Cache order: chunks in increasing id, then the shared slots (chunk -1); positions inside.
static int64_t order_key(int32_t chunk, int32_t pos) {
    return ((int64_t)(chunk < 0 ? INT_MAX : chunk) << 32) | (uint32_t)pos;
}

int attn_union_keys(const kv_cache *cache, int layer, int stride, int32_t *pos, int32_t *chunk, int32_t *doc,
                    int32_t *map) {
    int G = cache->n_kv_heads, at[KV_UNION_MAX_HEADS] = {0}, keys = 0;
    if (G > KV_UNION_MAX_HEADS) return pcb_fail("attention log: %d KV heads (at most %d)", G, KV_UNION_MAX_HEADS);
    for (int g = 0; g < G; g++) {
        const kv_head *h = kv_cache_head(cache, layer, g);
        for (int j = 1; j < h->n; j++)
            if (order_key(h->chunk[j], h->pos[j]) <= order_key(h->chunk[j - 1], h->pos[j - 1]))
                return pcb_fail(
                    "attention log: layer %d KV head %d: slot %d (chunk %d, position %d) is out of cache "
                    "order",
                    layer, g, j, h->chunk[j], h->pos[j]);
    }
    for (;;) {  // k-way merge of the heads' ordered slot lists, equal slots merged
        int64_t best = INT64_MAX;
        for (int g = 0; g < G; g++) {
            const kv_head *h = kv_cache_head(cache, layer, g);
            if (at[g] < h->n) {
                int64_t k = order_key(h->chunk[at[g]], h->pos[at[g]]);
                if (k < best) best = k;
            }
        }
        if (best == INT64_MAX) break;
        for (int g = 0, first = 1; g < G; g++) {
            const kv_head *h = kv_cache_head(cache, layer, g);
            if (at[g] < h->n && order_key(h->chunk[at[g]], h->pos[at[g]]) == best) {
                if (first) pos[keys] = h->pos[at[g]], chunk[keys] = h->chunk[at[g]], doc[keys] = h->doc[at[g]];
                first = 0;
                map[(size_t)g * stride + at[g]] = keys;
                at[g]++;
            }
        }
        keys++;
    }
    return keys;
}

int attn_record_layer(void *user, int step, int layer, const float *attn, int stride, const kv_cache *cache) {
    attn_record *r = user;
    int G = r->n_kv_heads, H = r->n_heads, group = H / G;
    size_t union_max = (size_t)stride * G;  // no more keys than all heads' slots together
    if (union_max > r->cap) {
        free_scratch(r);
        r->cap = union_max;
        r->attn = pcb_malloc(sizeof(float) * H * union_max);
        r->kept = pcb_malloc((size_t)G * union_max);
        r->pos = pcb_malloc(sizeof(int32_t) * union_max), r->chunk = pcb_malloc(sizeof(int32_t) * union_max);
        r->doc = pcb_malloc(sizeof(int32_t) * union_max), r->starts = pcb_malloc(sizeof(int32_t) * union_max);
        r->map = pcb_malloc(sizeof(int32_t) * union_max);
    }
    int keys = attn_union_keys(cache, layer, stride, r->pos, r->chunk, r->doc, r->map);
    if (keys < 0) return -1;
    memset(r->attn, 0, sizeof(float) * H * keys);
    memset(r->kept, 0, (size_t)G * keys);
    for (int g = 0; g < G; g++) {
        const kv_head *kh = kv_cache_head(cache, layer, g);
        const int32_t *map = r->map + (size_t)g * stride;
        for (int j = 0; j < kh->n; j++) r->kept[(size_t)g * keys + map[j]] = 1;
        for (int q = g * group; q < (g + 1) * group; q++)
            for (int j = 0; j < kh->n; j++) r->attn[(size_t)q * keys + map[j]] = attn[(size_t)q * stride + j];
    }
    // A chunk starts where the chunk id changes to a real chunk; slot 0 always starts one.
    int n_starts = 0;
    for (int i = 0; i < keys; i++)
        if (i == 0 || (r->chunk[i] != r->chunk[i - 1] && r->chunk[i] >= 0)) r->starts[n_starts++] = i;
    attn_log_layer l = {.step = step,
                        .layer = layer,
                        .keys = keys,
                        .attn = r->attn,
                        .pos = r->pos,
                        .chunk = r->chunk,
                        .doc = r->doc,
                        .kept = r->kept,
                        .chunk_starts = r->starts,
                        .n_chunk_starts = n_starts};
    return attn_log_write_layer(r->log, &l);
}

int attn_record_run(const attn_record_request *q, const model *m, const tokenizer *tok, const pcomp_input *in,
                    const pcomp_options *o, const int32_t *stops, int n_stop, pcomp_result *res, char **answer) {
    *answer = NULL;
    pcomp_options resolved = *o;
    if (pcomp_resolve(m, in, &resolved)) return -1;
    char canonical[1024], hash[17];
    pcomp_options_canonical(&resolved, canonical, sizeof canonical);
    pcomp_options_hash(&resolved, hash);
    attn_log_meta meta = {.created_by = "pcbench " PCB_VERSION, .model = q->model, .model_sha256 = q->model_sha256};
    attn_log *lg = attn_log_create(q->path, &meta);
    if (!lg) return -1;
    attn_log_sample s = {.id = q->sample_id,
                         .method = pcomp_method_name(o->method),
                         .config_hash = q->config_hash ? q->config_hash : hash,
                         .config = q->config ? q->config : canonical,
                         .n_layers = m->cfg.n_layers,
                         .n_heads = m->cfg.n_heads,
                         .n_kv_heads = m->cfg.n_kv_heads,
                         .observed_rows = q->rows,
                         .generated = q->generated,
                         .doc_tokens = in->n_doc};
    attn_record rec;
    attn_record_init(&rec, lg, &m->cfg);
    pcomp_observer obs = {.rows = q->rows, .generated = q->generated, .on_layer = attn_record_layer, .user = &rec};
    int rc = attn_log_begin_sample(lg, &s) || pcomp_run_observed(m, in, o, stops, n_stop, &obs, res) ? -1 : 0;
    if (rc == 0) {
        *answer = tokenizer_decode(tok, res->answer, res->n_answer, 0);
        // Chunks and the question position are known only now: stored as the sample closes.
        attn_log_chunk *ch = pcb_calloc((size_t)res->n_chunks + 1, sizeof *ch);
        for (int i = 0; i < res->n_chunks; i++) {
            const pcomp_chunk *c = &res->chunks[i];
            ch[i] = (attn_log_chunk){c->index, c->doc_begin, c->doc_end, c->n_context, c->kept, c->score};
        }
        rc = attn_log_end_sample(lg, *answer, res->question_pos, ch, res->n_chunks);
        free(ch);
    }
    attn_record_free(&rec);
    if (rc) {
        attn_log_abort(lg);
        free(*answer), *answer = NULL;
        return -1;
    }
    return attn_log_close(lg);
}
