// Perplexity of a token stream with fixed windows.
// Protocol: consecutive non-overlapping windows of `ctx` tokens (stride = ctx); the last partial
// window counts if it has >= 2 tokens; each window starts from an empty cache at position 0;
// every token but the window's first is predicted. PPL = exp(total NLL / predicted tokens).
// Models that want a BOS (tokenizer.ggml.add_bos_token, e.g. Llama-2) get it as the first
// token of every window instead: windows then hold ctx-1 text tokens, all of them predicted.
#ifndef PCB_PERPLEXITY_H
#define PCB_PERPLEXITY_H

#include <stdint.h>

#include "bench/method/pcomp.h"
#include "bench/model/model.h"
#include "bench/model/tokenizer.h"

typedef struct {
    double nll_sum;  // natural log
    long n_predicted;
    int n_windows;
    double ms;
} ppl_stats;

// Adds the windows of `ids` to *acc (so several files can be pooled). progress may be NULL.
// bos < 0: no BOS. Returns -1 (error set) when the text has fewer than 2 tokens.
int perplexity_accumulate(const model *m, const int32_t *ids, long n, int ctx, int32_t bos, ppl_stats *acc,
                          void (*progress)(void *user, long done, long total), void *user);
double ppl_value(const ppl_stats *s);

// Perplexity under a method (DESIGN decision 18): whole windows of ctx tokens, each split into
// document (ctx - n_query - n_cont tokens), query and continuation; the document goes through
// the method (chunked, evicted, truncated...), the query follows as the question and only the
// n_cont continuation tokens are predicted. The same tokens are scored for every method.
int perplexity_method_accumulate(const model *m, const tokenizer *tok, const int32_t *ids, long n, int ctx, int n_query,
                                 int n_cont, const pcomp_options *opts, ppl_stats *acc,
                                 void (*progress)(void *user, long done, long total), void *user);

#endif
