#include "generate.h"

#include <stdlib.h>

#include "error.h"
#include "forward.h"
#include "sysinfo.h"

static int is_stop(const generate_options *o, int32_t id) {
    for (int i = 0; i < o->n_stop; i++)
        if (o->stop_ids[i] == id) return 1;
    return 0;
}

int generate(const model *m, const int32_t *prompt, int n_prompt, generate_options *opt, generate_result *out) {
    *out = (generate_result){0};
    if (n_prompt <= 0) return pcb_fail("generate: empty prompt");
    int vocab = m->cfg.vocab_size;
    kv_cache *cache = model_new_cache(m);
    float *logits = pcb_malloc(sizeof(float) * vocab);
    out->tokens = pcb_malloc(sizeof(int32_t) * (opt->max_new_tokens > 0 ? opt->max_new_tokens : 1));
    double t0 = now_ms();
    int rc = forward_sequence(m, cache, prompt, n_prompt, 0, logits);
    out->prefill_ms = now_ms() - t0;
    t0 = now_ms();
    while (rc == 0 && out->n_tokens < opt->max_new_tokens) {
        int32_t next = sampler_next(&opt->smp, logits, vocab);
        if (is_stop(opt, next)) {
            out->stopped = 1;
            break;
        }
        out->tokens[out->n_tokens++] = next;
        if (out->n_tokens == opt->max_new_tokens) break;
        rc = forward_sequence(m, cache, &next, 1, n_prompt + out->n_tokens - 1, logits);
        out->n_forward++;
    }
    out->decode_ms = now_ms() - t0;
    free(logits);
    kv_cache_free(cache);
    if (rc) generate_result_free(out);
    return rc;
}

void generate_result_free(generate_result *r) {
    free(r->tokens);
    r->tokens = NULL;
    r->n_tokens = 0;
}
