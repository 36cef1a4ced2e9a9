// Chunked prefill (pcw, parallelcomp): chunks with reused positions, scored by the query's
// NLL, evicted whole (top-k) and inside (KV eviction), merged into one cache.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/engine/forward.h"
#include "bench/method/kv_evict.h"
#include "bench/method/pcomp_internal.h"
#include "kernels/kernels.h"

// One forward call's worth of chunks [c0, c1): tokens, positions, chunk ids, document indices.
typedef struct {
    int n;
    int32_t *tokens, *pos, *seq, *doc;
    int32_t *logit_rows, *targets;  // query rows whose logits score a chunk, and the token each predicts
    int *row_chunk;                 // chunk of each logit row
    int n_logit_rows;
    int32_t *window_rows;  // observation rows for KV eviction
    int n_window_rows;
} chunk_batch;

static void batch_free(chunk_batch *b) {
    free(b->tokens), free(b->pos), free(b->seq), free(b->doc), free(b->logit_rows), free(b->targets);
    free(b->row_chunk), free(b->window_rows);
}

static void push(chunk_batch *b, int32_t tok, int32_t pos, int32_t seq, int32_t doc) {
    b->tokens[b->n] = tok, b->pos[b->n] = pos, b->seq[b->n] = seq, b->doc[b->n] = doc;
    b->n++;
}

static void build_batch(const pcomp_input *in, const pcomp_options *o, const pcomp_chunk *ch, int c0, int c1,
                        int n_chunks, int score, chunk_batch *b) {
    int total = 0, q = score ? in->n_query : 0;
    for (int c = c0; c < c1; c++) total += ch[c].n_context + q;
    *b = (chunk_batch){0};
    b->tokens = pcb_malloc(sizeof(int32_t) * total), b->pos = pcb_malloc(sizeof(int32_t) * total);
    b->seq = pcb_malloc(sizeof(int32_t) * total), b->doc = pcb_malloc(sizeof(int32_t) * total);
    b->logit_rows = pcb_malloc(sizeof(int32_t) * (total + 1)), b->targets = pcb_malloc(sizeof(int32_t) * (total + 1));
    b->row_chunk = pcb_malloc(sizeof(int) * (total + 1)), b->window_rows = pcb_malloc(sizeof(int32_t) * (total + 1));
    for (int c = c0; c < c1; c++) {
        int start = b->n, p = 0;
        if (in->bos >= 0) push(b, in->bos, p++, c, -1);
        if (o->repeat_head || c == 0)
            for (int i = 0; i < in->n_chunk_head; i++) push(b, in->chunk_head[i], p++, c, -1);
        for (int i = ch[c].doc_begin; i < ch[c].doc_end; i++) push(b, in->doc[i], p++, c, i);
        if (o->repeat_head || c == n_chunks - 1)
            for (int i = 0; i < in->n_chunk_tail; i++) push(b, in->chunk_tail[i], p++, c, -1);
        // The query: row t-1 predicts query token t (the first from the last context row).
        int scored_from = o->query_recent > 0 && o->query_recent < q ? q - o->query_recent : 0;
        for (int i = 0; i < q; i++) {
            if (i >= scored_from) {
                b->logit_rows[b->n_logit_rows] = b->n - 1, b->targets[b->n_logit_rows] = in->query[i];
                b->row_chunk[b->n_logit_rows++] = c;
            }
            push(b, in->query[i], p++, c, -1);
        }
        if (o->kv_eviction) {
            int len = b->n - start, w = o->window < len ? o->window : len;
            for (int i = b->n - w; i < b->n; i++) b->window_rows[b->n_window_rows++] = i;
        }
    }
}

// Mean NLL of each chunk's query tokens from the logits of its query rows.
static void score_chunks(const chunk_batch *b, const float *logits, int vocab, pcomp_chunk *ch, int c0, int c1) {
    for (int c = c0; c < c1; c++) {
        double nll = 0;
        int cnt = 0;
        for (int r = 0; r < b->n_logit_rows; r++) {
            if (b->row_chunk[r] != c) continue;
            const float *row = logits + (size_t)r * vocab;
            nll += logsumexp_row(row, vocab) - row[b->targets[r]];
            cnt++;
        }
        ch[c].score = cnt ? nll / cnt : NAN;
    }
}

// A NaN score (no finite NLL) ranks above every number: such a chunk goes first.
static int scores_worse(double a, double b) { return isnan(b) ? 0 : isnan(a) || a > b; }

void pcomp_evict_worst_chunks(pcomp_chunk *ch, int n_seen, int k) {
    int alive = 0;
    for (int c = 0; c < n_seen; c++) alive += ch[c].kept;
    while (k > 0 && alive > k) {
        int worst = -1;  // strictly worse only: among equal scores the earliest stays the choice
        for (int c = 0; c < n_seen; c++)
            if (ch[c].kept && (worst < 0 || scores_worse(ch[c].score, ch[worst].score))) worst = c;
        ch[worst].kept = 0, alive--;
    }
}

int chunked_prefill(const model *m, const pcomp_input *in, const pcomp_options *o, pcomp_state *st, pcomp_result *r) {
    if (pcomp_plan_chunks(in, o, &r->chunks, &r->n_chunks)) return -1;
    int n = r->n_chunks, vocab = m->cfg.vocab_size, score = o->method == METHOD_PARALLELCOMP, rc = 0;
    int k = score ? o->topk_chunks : 0;
    int *context_len = pcb_malloc(sizeof(int) * n);
    for (int c = 0; c < n; c++) context_len[c] = r->chunks[c].n_context;
    kv_cache *merged = model_new_cache(m);
    for (int c0 = 0; c0 < n && rc == 0; c0 += o->batch_chunks) {
        int c1 = c0 + o->batch_chunks < n ? c0 + o->batch_chunks : n;
        chunk_batch b;
        build_batch(in, o, r->chunks, c0, c1, n, score, &b);
        float *logits = b.n_logit_rows ? pcb_malloc(sizeof(float) * (size_t)b.n_logit_rows * vocab) : NULL;
        kv_scores *ks = o->kv_eviction ? kv_scores_new(&m->cfg, b.n) : NULL;
        probe pr;
        if (ks) kv_scores_probe(ks, &pr, b.window_rows, b.n_window_rows);
        kv_cache *part = model_new_cache(m);
        forward_batch fb = {.n = b.n,
                            .tokens = b.tokens,
                            .pos = b.pos,
                            .seq = b.seq,
                            .doc = b.doc,
                            .logit_rows = b.logit_rows,
                            .n_logit_rows = b.n_logit_rows,
                            .logits = logits,
                            .probe = ks ? &pr : NULL};
        r->prompt_tokens += b.n;
        rc = forward(m, part, &fb);
        pcomp_track_kv(r, kv_cache_bytes(merged) + kv_cache_bytes(part));
        if (rc == 0) {
            if (score) score_chunks(&b, logits, vocab, r->chunks, c0, c1);
            else
                for (int c = c0; c < c1; c++) r->chunks[c].score = NAN;
            // The appended queries go; with KV eviction only `capacity` context slots per chunk stay.
            rc = evict_chunk_context(part, ks, context_len, o->kv_eviction ? o->capacity : 0, o->pool_kernel);
        }
        if (rc == 0) {
            rc = kv_cache_append(merged, part);
            pcomp_track_kv(r, kv_cache_bytes(merged) + kv_cache_bytes(part));
            pcomp_evict_worst_chunks(r->chunks, c1, k);
            uint8_t *keep = pcb_calloc((size_t)n, 1);
            for (int c = 0; c < c1; c++) keep[c] = (uint8_t)r->chunks[c].kept;
            if (rc == 0) rc = evict_chunks(merged, keep, NULL);
            free(keep);
        }
        kv_cache_free(part);
        kv_scores_free(ks);
        free(logits);
        batch_free(&b);
    }
    // Merge: chunks are already in document order; later kept chunks lose their BOS.
    if (rc == 0) {
        uint8_t *keep = pcb_calloc((size_t)n, 1), *drop_first = pcb_calloc((size_t)n, 1);
        int first = -1;
        st->next_pos = 0;
        for (int c = 0; c < n; c++) {
            if (!r->chunks[c].kept) continue;
            keep[c] = 1, r->n_kept++;
            if (first < 0) first = c;
            else drop_first[c] = in->bos >= 0;  // slot at position 0 holds the BOS id by construction
            if (r->chunks[c].n_context > st->next_pos) st->next_pos = r->chunks[c].n_context;
        }
        rc = evict_chunks(merged, keep, drop_first);
        free(keep), free(drop_first);
        for (int c = 0; c < n; c++)
            if (r->chunks[c].kept) r->doc_tokens_used += r->chunks[c].doc_end - r->chunks[c].doc_begin;
    }
    free(context_len);
    if (rc) {
        kv_cache_free(merged);
        return -1;
    }
    st->cache = merged;
    return 0;
}
