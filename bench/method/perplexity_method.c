// Perplexity under a method (DESIGN decision 18): each window of `ctx` tokens is split into a
// document, a query of `n_query` tokens (the "question" that scores chunks and follows the
// merged cache) and a continuation of `n_cont` tokens whose NLL is measured. Full attention
// and ParallelComp see exactly the same tokens; only how the document reaches the cache differs.
#include <math.h>
#include <stdlib.h>

#include "bench/base/error.h"
#include "bench/base/sysinfo.h"
#include "bench/engine/forward.h"
#include "bench/method/perplexity.h"
#include "kernels/kernels.h"

static double nll(const float *row, int vocab, int32_t target) { return logsumexp_row(row, vocab) - row[target]; }

static int window_nll(const model *m, const tokenizer *tok, const int32_t *w, int n_doc, int n_query, int n_cont,
                      const pcomp_options *opts, ppl_stats *acc) {
    pcomp_input in;
    pcomp_input_from_tokens(tok, w, n_doc, w + n_doc, n_query, &in);
    const int32_t *cont = w + n_doc + n_query;
    pcomp_options o = *opts;
    o.max_new_tokens = n_cont;  // the continuation's positions must fit the budget like generated tokens
    pcomp_state st;
    pcomp_result r;
    int rc = pcomp_prefill(m, &in, &o, &st, &r);
    int vocab = m->cfg.vocab_size;
    if (rc == 0) {
        acc->nll_sum += nll(st.logits, vocab, cont[0]);
        acc->n_predicted++;
        int n = n_cont - 1;
        if (n > 0) {
            int32_t *pos = pcb_malloc(sizeof(int32_t) * n), *rows = pcb_malloc(sizeof(int32_t) * n);
            float *logits = pcb_malloc(sizeof(float) * (size_t)n * vocab);
            for (int i = 0; i < n; i++) pos[i] = st.next_pos + i, rows[i] = i;
            forward_batch b = {
                .n = n, .tokens = cont, .pos = pos, .logit_rows = rows, .n_logit_rows = n, .logits = logits};
            rc = forward(m, st.cache, &b);
            for (int i = 0; rc == 0 && i < n; i++) acc->nll_sum += nll(logits + (size_t)i * vocab, vocab, cont[i + 1]);
            if (rc == 0) acc->n_predicted += n;
            free(pos), free(rows), free(logits);
        }
        acc->n_windows++;
        pcomp_state_free(&st);
    }
    pcomp_result_free(&r);
    pcomp_input_free(&in);
    return rc;
}

int perplexity_method_accumulate(const model *m, const tokenizer *tok, const int32_t *ids, long n, int ctx, int n_query,
                                 int n_cont, const pcomp_options *opts, ppl_stats *acc,
                                 void (*progress)(void *user, long done, long total), void *user) {
    if (n_query < 1 || n_cont < 1) return pcb_fail("ppl: query and continuation need at least one token each");
    if (ctx <= n_query + n_cont)
        return pcb_fail(
            "ppl: --ctx %d leaves no document before the %d query and %d "
            "continuation tokens",
            ctx, n_query, n_cont);
    if (n < ctx) return pcb_fail("ppl: the text has %ld tokens, fewer than one window of %d", n, ctx);
    double t0 = now_ms();
    for (long s = 0; s + ctx <= n; s += ctx) {  // whole windows only: every window measures the same length
        if (window_nll(m, tok, ids + s, ctx - n_query - n_cont, n_query, n_cont, opts, acc)) return -1;
        if (progress) progress(user, s + ctx, n);
    }
    acc->ms += now_ms() - t0;
    return 0;
}
