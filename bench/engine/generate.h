// Prompt prefill + token-by-token decode with stop tokens.
#ifndef PCB_GENERATE_H
#define PCB_GENERATE_H

#include <stdint.h>

#include "bench/engine/forward.h"
#include "bench/engine/kv_cache.h"
#include "bench/model/model.h"
#include "bench/model/sampler.h"

typedef struct {
    int max_new_tokens;
    const int32_t *stop_ids;  // generation ends when one of these is produced (not included)
    int n_stop;
    sampler smp;
    forward_hook_fn before_attention;  // or NULL: run in every decode step (attention log)
    void *hook_user;
} generate_options;

typedef struct {
    int32_t *tokens;  // generated ids (malloc'ed)
    int n_tokens;
    int stopped;    // 1 = a stop token ended it, 0 = max_new_tokens reached
    int n_forward;  // single-token decode steps run (decode_ms covers these)
    double prefill_ms, decode_ms;
} generate_result;

// Prefills `prompt` at positions 0..n-1 in a fresh cache and decodes greedily or by sampling.
// max_new_tokens = 0 runs the prefill only.
int generate(const model *m, const int32_t *prompt, int n_prompt, generate_options *opt, generate_result *out);
// Decodes from an existing cache: `logits` [vocab] are the last forward's output (overwritten),
// the first new token goes to position next_pos. Fills tokens, stopped, n_forward, decode_ms.
int generate_continue(const model *m, kv_cache *cache, float *logits, int next_pos, generate_options *opt,
                      generate_result *out);
void generate_result_free(generate_result *r);

#endif
