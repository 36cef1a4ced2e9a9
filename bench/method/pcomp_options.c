// Method names, option defaults and the checks that turn impossible budgets into errors.
#include <stdio.h>

#include "bench/base/error.h"
#include "bench/base/names.h"
#include "bench/method/knobs.h"
#include "bench/method/pcomp.h"

_Static_assert(METHOD_COUNT == PCB_N_METHODS && REGION_COUNT == PCB_N_REGIONS,
               "pcomp_method / calib_region follow bench/base/names.c");

void pcomp_options_default(pcomp_options *o) {
    *o = (pcomp_options){.calib_lo = 0, .calib_hi = -1 /* no layers given: up to the last */, .max_new_tokens = 32};
    for (int i = 0; i < KNOB_COUNT; i++)
        if (knob_get(i)->home == KNOB_IN_OPTIONS) knob_set_default(knob_get(i), o);
}

int pcomp_task_topk(const char *task) {
    const pcb_task *t = pcb_task_find(task);
    return t && t->keeps_one_chunk ? 1 : 0;
}

const char *pcomp_method_name(pcomp_method m) { return m >= 0 && m < METHOD_COUNT ? pcb_method_names[m] : "?"; }
const char *calib_region_name(calib_region r) { return r >= 0 && r < REGION_COUNT ? pcb_region_names[r] : "?"; }
int pcomp_method_is_chunked(pcomp_method m) { return m == METHOD_PCW || m == METHOD_PARALLELCOMP; }

int pcomp_method_parse(const char *name, pcomp_method *out) {
    int i = pcb_name_index(pcb_method_names, name);
    if (i >= 0) return *out = (pcomp_method)i, 0;
    char names[256];
    pcb_names_join(pcb_method_names, ", ", names, sizeof names);
    return pcb_fail("unknown method '%s' (%s)", name, names);
}

int calib_region_parse(const char *name, calib_region *out) {
    int i = pcb_name_index(pcb_region_names, name);
    if (i >= 0) return *out = (calib_region)i, 0;
    char names[256];
    pcb_names_join(pcb_region_names, ", ", names, sizeof names);
    return pcb_fail("unknown calibration region '%s' (%s)", name, names);
}

int pcomp_resolve(const model *m, const pcomp_input *in, pcomp_options *o) {
    int n_layers = m->cfg.n_layers, trained = m->cfg.context_length;
    if (o->method < 0 || o->method >= METHOD_COUNT) return pcb_fail("bad method");
    if (o->model_budget == 0) o->model_budget = trained;
    if (o->model_budget < 2) return pcb_fail("model_budget %d: the model needs at least 2 positions", o->model_budget);
    if (o->max_new_tokens < 0) return pcb_fail("max_new_tokens %d must be >= 0", o->max_new_tokens);
    if (in->n_doc <= 0) return pcb_fail("the document (context) is empty");
    if (in->n_question <= 0) return pcb_fail("the question is empty");
    int head = (in->bos >= 0) + in->n_chunk_head + in->n_chunk_tail;
    if (pcomp_method_is_chunked(o->method)) {
        int after = in->n_question + o->max_new_tokens;
        if (o->method == METHOD_PARALLELCOMP && in->n_query > after) after = in->n_query;
        if (o->chunk_tokens == 0) o->chunk_tokens = o->model_budget - after;
        if (o->chunk_tokens <= head)
            return pcb_fail(
                "impossible budget: chunk_tokens %d leaves no room for the document after the %d-token "
                "instruction head (model_budget %d, question %d, max_new_tokens %d)",
                o->chunk_tokens, head, o->model_budget, in->n_question, o->max_new_tokens);
        if (o->chunk_tokens > o->model_budget)
            return pcb_fail("chunk_tokens %d exceeds model_budget %d", o->chunk_tokens, o->model_budget);
        if (o->batch_chunks < 1) return pcb_fail("batch_chunks %d must be >= 1", o->batch_chunks);
        if (o->topk_chunks < 0) return pcb_fail("topk_chunks %d must be >= 0 (0 keeps every chunk)", o->topk_chunks);
        if (o->method == METHOD_PARALLELCOMP && in->n_query <= 0)
            return pcb_fail("parallelcomp scores chunks with the query, which is empty");
        if (o->query_recent < 0) return pcb_fail("query_recent %d must be >= 0", o->query_recent);
        if (o->kv_eviction && o->method != METHOD_PARALLELCOMP)
            return pcb_fail("kv_eviction inside chunks belongs to parallelcomp, not %s", pcomp_method_name(o->method));
    } else {
        if (o->kv_eviction) return pcb_fail("kv_eviction inside chunks needs a chunked method (parallelcomp)");
        if (o->calibrate)
            return pcb_fail("calibration acts at the question after merged chunks: use pcw or parallelcomp");
        int fixed = in->n_full_prefix + in->n_full_suffix + o->max_new_tokens;
        if (o->method != METHOD_FULL_UNTRUNCATED && fixed >= o->model_budget)
            return pcb_fail(
                "impossible budget: prompt prefix, question and max_new_tokens (%d tokens) leave no room "
                "for the document in model_budget %d",
                fixed, o->model_budget);
    }
    int uses_capacity = o->kv_eviction || o->method == METHOD_STREAMINGLLM || o->method == METHOD_SNAPKV ||
                        o->method == METHOD_H2O || o->method == METHOD_PYRAMIDKV;
    if (uses_capacity) {
        if (o->capacity < 1) return pcb_fail("capacity %d must be >= 1", o->capacity);
        if (o->window < 1) return pcb_fail("window %d must be >= 1", o->window);
        if (o->pool_kernel < 1 || o->pool_kernel % 2 == 0)
            return pcb_fail("pool_kernel %d must be odd and >= 1", o->pool_kernel);
        if ((o->method == METHOD_SNAPKV || o->method == METHOD_PYRAMIDKV) && o->window >= o->capacity)
            return pcb_fail("capacity %d must exceed the window %d", o->capacity, o->window);
        if (o->h2o_heavy < 0 || o->h2o_heavy > 1) return pcb_fail("h2o_heavy %g must lie in [0, 1]", o->h2o_heavy);
        if (o->pyramid_beta < 1) return pcb_fail("pyramid_beta %g must be >= 1", o->pyramid_beta);
        if (o->sink_tokens < 0) return pcb_fail("sink_tokens %d must be >= 0", o->sink_tokens);
    }
    if (o->calibrate) {
        if (o->calib_hi < 0) o->calib_hi = n_layers - 1;
        if (o->calib_lo < 0 || o->calib_lo > o->calib_hi || o->calib_hi >= n_layers)
            return pcb_fail("calibration layers %d-%d are outside the model's 0-%d", o->calib_lo, o->calib_hi,
                            n_layers - 1);
        if (o->calib_rows < 1) return pcb_fail("calib_rows %d must be >= 1", o->calib_rows);
        if (o->calib_width < 1) return pcb_fail("calib_width %d must be >= 1", o->calib_width);
        if (!(o->calib_threshold > 0 && o->calib_threshold < 1))
            return pcb_fail("calib_threshold %g must lie in (0, 1)", o->calib_threshold);
        if (o->region < 0 || o->region >= REGION_COUNT) return pcb_fail("bad calibration region");
    }
    return 0;
}

void pcomp_options_canonical(const pcomp_options *o, char *buf, size_t size) {
    snprintf(buf, size,
             "method=%s;model_budget=%d;chunk_tokens=%d;batch_chunks=%d;topk_chunks=%d;query_recent=%d;"
             "repeat_head=%d;kv_eviction=%d;capacity=%d;window=%d;pool_kernel=%d;sink_tokens=%d;h2o_heavy=%.17g;"
             "pyramid_beta=%.17g;calibrate=%d;calib_lo=%d;calib_hi=%d;calib_region=%s;calib_threshold=%.17g;"
             "calib_rows=%d;calib_width=%d;calib_equalize=%d;calib_current_step=%d;max_new_tokens=%d",
             pcomp_method_name(o->method), o->model_budget, o->chunk_tokens, o->batch_chunks, o->topk_chunks,
             o->query_recent, o->repeat_head, o->kv_eviction, o->capacity, o->window, o->pool_kernel, o->sink_tokens,
             o->h2o_heavy, o->pyramid_beta, o->calibrate, o->calib_lo, o->calib_hi, calib_region_name(o->region),
             o->calib_threshold, o->calib_rows, o->calib_width, o->calib_equalize, o->calib_current_step,
             o->max_new_tokens);
}

void pcomp_options_hash(const pcomp_options *o, char hex[17]) {
    char buf[1024];
    pcomp_options_canonical(o, buf, sizeof buf);
    uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64
    for (const unsigned char *c = (const unsigned char *)buf; *c; c++) h = (h ^ *c) * 0x100000001b3ull;
    snprintf(hex, 17, "%016llx", (unsigned long long)h);
}
