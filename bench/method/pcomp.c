// The sample driver: method dispatch, the final question over the merged cache (with
// calibration), generation, and result bookkeeping.
#include "bench/method/pcomp.h"

#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/base/sysinfo.h"
#include "bench/engine/forward.h"
#include "bench/engine/generate.h"
#include "bench/method/attn_observe.h"
#include "bench/method/calibration.h"
#include "bench/method/pcomp_internal.h"

void pcomp_track_kv(pcomp_result *r, size_t bytes) {
    if (bytes > r->kv_peak_bytes) r->kv_peak_bytes = bytes;
}

// The final question at positions P.. over the merged cache, every slot visible.
static int question_prefill(const model *m, const pcomp_input *in, const pcomp_options *o, attn_observe *obs,
                            pcomp_state *st, pcomp_result *r) {
    int n = in->n_question;
    int32_t *pos = pcb_malloc(sizeof(int32_t) * n), last = n - 1;
    for (int i = 0; i < n; i++) pos[i] = st->next_pos + i;
    st->logits = pcb_malloc(sizeof(float) * m->cfg.vocab_size);
    calibration cal;
    if (o->calibrate) calibration_init(&cal, m, o, r->calib_evicted);
    forward_batch fb = {.n = n,
                        .tokens = in->question,
                        .pos = pos,
                        .logit_rows = &last,
                        .n_logit_rows = 1,
                        .logits = st->logits,
                        .before_attention = o->calibrate ? calibration_hook : NULL,
                        .hook_user = o->calibrate ? &cal : NULL};
    if (obs) {  // the observer runs calibration first, then looks
        obs->inner = fb.before_attention, obs->inner_user = fb.hook_user;
        fb.before_attention = attn_observe_hook, fb.hook_user = obs;
    }
    r->prompt_tokens += n;
    // exact room for the question and the answer
    int rc = kv_cache_reserve(st->cache, n + o->max_new_tokens + 1) ? -1 : forward(m, st->cache, &fb);
    if (o->calibrate && calibration_finish(&cal, st->cache)) rc = -1;
    if (obs) obs->inner = NULL, obs->inner_user = NULL;
    pcomp_track_kv(r, kv_cache_bytes(st->cache));
    st->next_pos += n;
    free(pos);
    return rc;
}

static int prefill(const model *m, const pcomp_input *in, const pcomp_options *o, attn_observe *obs, pcomp_state *st,
                   pcomp_result *r) {
    *st = (pcomp_state){0};
    *r = (pcomp_result){0};
    pcomp_options opt = *o;
    if (pcomp_resolve(m, in, &opt)) return -1;
    if (obs && obs->obs->rows < 1) return pcb_fail("attention observer: rows must be >= 1 (got %d)", obs->obs->rows);
    int L = m->cfg.n_layers;
    r->n_layers = L;
    r->kv_slots = pcb_calloc((size_t)L, sizeof(long));
    r->calib_evicted = pcb_calloc((size_t)L, sizeof(long));
    double t0 = now_ms();
    int rc;
    if (pcomp_method_is_chunked(opt.method)) {
        rc = chunked_prefill(m, in, &opt, st, r);
        if (rc == 0) {
            r->question_pos = st->next_pos;
            rc = question_prefill(m, in, &opt, obs, st, r);
        }
    } else {
        rc = single_window_prefill(m, in, &opt, obs ? attn_observe_hook : NULL, obs, st, r);
    }
    r->prefill_ms = now_ms() - t0;
    if (rc == 0)
        for (int l = 0; l < L; l++)
            for (int g = 0; g < st->cache->n_kv_heads; g++) r->kv_slots[l] += kv_cache_head(st->cache, l, g)->n;
    if (rc) pcomp_state_free(st);
    return rc;
}

int pcomp_prefill(const model *m, const pcomp_input *in, const pcomp_options *o, pcomp_state *st, pcomp_result *r) {
    return prefill(m, in, o, NULL, st, r);
}

int pcomp_prefill_observed(const model *m, const pcomp_input *in, const pcomp_options *o, const pcomp_observer *obs,
                           pcomp_state *st, pcomp_result *r) {
    attn_observe a;
    attn_observe_init(&a, obs, NULL, NULL);
    int rc = prefill(m, in, o, obs ? &a : NULL, st, r);
    attn_observe_free(&a);
    return rc;
}

int pcomp_run_observed(const model *m, const pcomp_input *in, const pcomp_options *o, const int32_t *stop_ids,
                       int n_stop, const pcomp_observer *obs, pcomp_result *r) {
    pcomp_state st;
    attn_observe a;
    attn_observe_init(&a, obs, NULL, NULL);
    int rc = prefill(m, in, o, obs ? &a : NULL, &st, r);
    if (rc == 0) {
        generate_options g = {.max_new_tokens = o->max_new_tokens, .stop_ids = stop_ids, .n_stop = n_stop};
        if (obs && obs->generated) g.before_attention = attn_observe_hook, g.hook_user = &a;
        generate_result gr = {0};
        rc = generate_continue(m, st.cache, st.logits, st.next_pos, &g, &gr);
        if (rc == 0) {
            r->answer = gr.tokens, r->n_answer = gr.n_tokens, r->stopped = gr.stopped, r->decode_ms = gr.decode_ms;
            pcomp_track_kv(r, kv_cache_bytes(st.cache));
        }
        pcomp_state_free(&st);
    }
    attn_observe_free(&a);
    return rc;
}

int pcomp_run(const model *m, const pcomp_input *in, const pcomp_options *o, const int32_t *stop_ids, int n_stop,
              pcomp_result *r) {
    return pcomp_run_observed(m, in, o, stop_ids, n_stop, NULL, r);
}

void pcomp_state_free(pcomp_state *st) {
    kv_cache_free(st->cache);
    free(st->logits);
    *st = (pcomp_state){0};
}

void pcomp_result_free(pcomp_result *r) {
    free(r->answer), free(r->chunks), free(r->kv_slots), free(r->calib_evicted);
    *r = (pcomp_result){0};
}
