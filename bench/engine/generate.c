#include "bench/engine/generate.h"

#include <stdlib.h>

#include "bench/base/error.h"
#include "bench/base/sysinfo.h"
#include "bench/engine/forward.h"

static int is_stop(const generate_options *o, int32_t id) {
    for (int i = 0; i < o->n_stop; i++)
        if (o->stop_ids[i] == id) return 1;
    return 0;
}

int generate_continue(const model *m, kv_cache *cache, float *logits, int next_pos, generate_options *opt,
                      generate_result *out) {
    int vocab = m->cfg.vocab_size, rc = 0;
    out->tokens = pcb_malloc(sizeof(int32_t) * (opt->max_new_tokens > 0 ? opt->max_new_tokens : 1));
    out->n_tokens = 0;
    double t0 = now_ms();
    while (out->n_tokens < opt->max_new_tokens) {
        int32_t next = sampler_next(&opt->smp, logits, vocab);
        if (is_stop(opt, next)) {
            out->stopped = 1;
            break;
        }
        out->tokens[out->n_tokens++] = next;
        if (out->n_tokens == opt->max_new_tokens) break;
        // A generated token belongs to no chunk and to no document position.
        int32_t pos = next_pos++, row = 0;
        forward_batch b = {.n = 1,
                           .tokens = &next,
                           .pos = &pos,
                           .logit_rows = &row,
                           .n_logit_rows = 1,
                           .logits = logits,
                           .before_attention = opt->before_attention,
                           .hook_user = opt->hook_user};
        if ((rc = forward(m, cache, &b))) break;
        out->n_forward++;
    }
    out->decode_ms = now_ms() - t0;
    if (rc) generate_result_free(out);
    return rc;
}

int generate(const model *m, const int32_t *prompt, int n_prompt, generate_options *opt, generate_result *out) {
    *out = (generate_result){0};
    if (n_prompt <= 0) return pcb_fail("generate: empty prompt");
    kv_cache *cache = model_new_cache(m);
    float *logits = pcb_malloc(sizeof(float) * m->cfg.vocab_size);
    double t0 = now_ms();
    int rc = forward_sequence(m, cache, prompt, n_prompt, 0, logits);
    out->prefill_ms = now_ms() - t0;
    if (rc == 0) rc = generate_continue(m, cache, logits, n_prompt, opt, out);
    free(logits);
    kv_cache_free(cache);
    return rc;
}

void generate_result_free(generate_result *r) {
    free(r->tokens);
    r->tokens = NULL;
    r->n_tokens = 0;
}
