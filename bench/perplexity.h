// Perplexity of a token stream with fixed windows.
// Protocol: consecutive non-overlapping windows of `ctx` tokens (stride = ctx); the last partial
// window counts if it has >= 2 tokens; each window starts from an empty cache at position 0;
// every token but the window's first is predicted. PPL = exp(total NLL / predicted tokens).
#ifndef PCB_PERPLEXITY_H
#define PCB_PERPLEXITY_H

#include <stdint.h>

#include "model.h"

typedef struct {
    double nll_sum;   // natural log
    long n_predicted;
    int n_windows;
    double ms;
} ppl_stats;

// Adds the windows of `ids` to *acc (so several files can be pooled). progress may be NULL.
int perplexity_accumulate(const model *m, const int32_t *ids, long n, int ctx, ppl_stats *acc,
                          void (*progress)(void *user, long done, long total), void *user);
double ppl_value(const ppl_stats *s);

#endif
