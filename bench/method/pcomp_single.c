// Single-window methods: full attention (middle-truncated or not) and the KV-compression
// baselines that prefill the whole window and then shrink its cache before generation.
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/engine/forward.h"
#include "bench/method/kv_evict.h"
#include "bench/method/pcomp_internal.h"

int single_window_prefill(const model *m, const pcomp_input *in, const pcomp_options *o, forward_hook_fn observe_hook,
                          void *observe_user, pcomp_state *st, pcomp_result *r) {
    // Middle truncation of the document only: the instruction and the question always survive.
    int keep = in->n_doc;
    if (o->method != METHOD_FULL_UNTRUNCATED) {
        int room = o->model_budget - in->n_full_prefix - in->n_full_suffix - o->max_new_tokens;
        if (keep > room) keep = room;
    }
    int head = keep / 2, tail = keep - head;
    int n = in->n_full_prefix + keep + in->n_full_suffix;
    int32_t *tok = pcb_malloc(sizeof(int32_t) * n), *pos = pcb_malloc(sizeof(int32_t) * n);
    int32_t *doc = pcb_malloc(sizeof(int32_t) * n), at = 0;
    for (int i = 0; i < in->n_full_prefix; i++) tok[at] = in->full_prefix[i], doc[at++] = -1;
    for (int i = 0; i < in->n_doc; i++)
        if (i < head || i >= in->n_doc - tail) tok[at] = in->doc[i], doc[at++] = i;
    for (int i = 0; i < in->n_full_suffix; i++) tok[at] = in->full_suffix[i], doc[at++] = -1;
    for (int i = 0; i < n; i++) pos[i] = i;
    r->doc_tokens_used = keep, r->prompt_tokens = n;

    // Observed rows: SnapKV / PyramidKV the last window, H2O every row.
    kv_scores *ks = NULL;
    int32_t *rows = NULL, n_rows = 0;
    int observe = o->method == METHOD_SNAPKV || o->method == METHOD_PYRAMIDKV || o->method == METHOD_H2O;
    if (observe) {
        int w = o->method == METHOD_H2O ? n : (o->window < n ? o->window : n);
        rows = pcb_malloc(sizeof(int32_t) * w);
        for (int i = 0; i < w; i++) rows[n_rows++] = n - w + i;
        ks = kv_scores_new(&m->cfg, n);
    }
    probe pr;
    if (ks) kv_scores_probe(ks, &pr, rows, n_rows);
    int32_t last = n - 1;
    st->cache = model_new_cache(m);
    st->logits = pcb_malloc(sizeof(float) * m->cfg.vocab_size);
    int rc = kv_cache_reserve(st->cache, n + o->max_new_tokens + 1);  // exact room for the prompt and the answer
    forward_batch fb = {.n = n,
                        .tokens = tok,
                        .pos = pos,
                        .doc = doc,
                        .logit_rows = &last,
                        .n_logit_rows = 1,
                        .logits = st->logits,
                        .probe = ks ? &pr : NULL,
                        .before_attention = observe_hook,
                        .hook_user = observe_user};
    if (rc == 0) rc = forward(m, st->cache, &fb);
    pcomp_track_kv(r, kv_cache_bytes(st->cache));
    st->next_pos = n;
    if (rc == 0) switch (o->method) {
        case METHOD_STREAMINGLLM:
            rc = evict_streaming(st->cache, o->capacity, o->sink_tokens);
            break;
        case METHOD_SNAPKV:
            rc = evict_snapkv(st->cache, ks, o->capacity, NULL, o->window, o->pool_kernel);
            break;
        case METHOD_PYRAMIDKV: {
            int *budget = pcb_malloc(sizeof(int) * m->cfg.n_layers);
            pyramid_budgets(budget, m->cfg.n_layers, o->capacity, o->window, o->pyramid_beta);
            rc = evict_snapkv(st->cache, ks, o->capacity, budget, o->window, o->pool_kernel);
            free(budget);
            break;
        }
        case METHOD_H2O:
            rc = evict_h2o(st->cache, ks, o->capacity, (int)(o->capacity * o->h2o_heavy + 0.5));
            break;
        default:
            break;
        }
    kv_scores_free(ks);
    free(rows), free(tok), free(pos), free(doc);
    return rc;
}
