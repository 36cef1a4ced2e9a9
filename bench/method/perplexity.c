#include "bench/method/perplexity.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/base/sysinfo.h"
#include "bench/engine/forward.h"
#include "kernels/kernels.h"

// Logits rows per forward call: bounds the [rows, vocab] buffer (vocab is 49K for SmolLM2).
#define PPL_LOGIT_ROWS 256

int perplexity_accumulate(const model *m, const int32_t *ids, long n, int ctx, int32_t bos, ppl_stats *acc,
                          void (*progress)(void *user, long done, long total), void *user) {
    if (ctx < 2) return pcb_fail("perplexity: context must be at least 2 tokens (got %d)", ctx);
    if (n < 2) return pcb_fail("perplexity: the text has %ld token%s, at least 2 are needed", n, n == 1 ? "" : "s");
    int vocab = m->cfg.vocab_size, lead = bos >= 0;  // lead: window slots taken by the BOS
    int32_t *pos = pcb_malloc(sizeof(int32_t) * ctx), *win = pcb_malloc(sizeof(int32_t) * ctx);
    for (int i = 0; i < ctx; i++) pos[i] = i;
    float *logits = pcb_malloc(sizeof(float) * (size_t)PPL_LOGIT_ROWS * vocab);
    int32_t rows[PPL_LOGIT_ROWS];
    kv_cache *cache = model_new_cache(m);
    int rc = 0;
    double t0 = now_ms();
    for (long start = 0; start + 1 - lead < n && rc == 0; start += ctx - lead) {
        int text = (int)(n - start < ctx - lead ? n - start : ctx - lead), len = text + lead;
        if (lead) win[0] = bos;
        memcpy(win + lead, ids + start, sizeof(int32_t) * text);
        kv_cache_reset(cache);
        // Feed the window in pieces of PPL_LOGIT_ROWS tokens: same result as one call (causal),
        // without a [ctx, vocab] logits buffer.
        for (int s = 0; s < len && rc == 0; s += PPL_LOGIT_ROWS) {
            int cnt = len - s < PPL_LOGIT_ROWS ? len - s : PPL_LOGIT_ROWS;
            for (int i = 0; i < cnt; i++) rows[i] = i;
            forward_batch b = {
                .n = cnt, .tokens = win + s, .pos = pos + s, .logit_rows = rows, .n_logit_rows = cnt, .logits = logits};
            rc = forward(m, cache, &b);
            for (int i = 0; i < cnt && rc == 0; i++) {
                int t = s + i;  // row t predicts token t+1 of the window
                if (t + 1 >= len) break;
                const float *row = logits + (size_t)i * vocab;
                acc->nll_sum += logsumexp_row(row, vocab) - row[win[t + 1]];
                acc->n_predicted++;
            }
        }
        acc->n_windows++;
        if (progress) progress(user, start + text, n);
    }
    acc->ms += now_ms() - t0;
    kv_cache_free(cache);
    free(logits);
    free(win);
    free(pos);
    return rc;
}

double ppl_value(const ppl_stats *s) { return s->n_predicted ? exp(s->nll_sum / s->n_predicted) : NAN; }
