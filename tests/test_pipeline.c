// ParallelComp pipeline and baselines on the tiny random-weight model: chunk plan and
// positions, one chunk == full attention, batched == sequential caches, chunk scores against
// an independent NLL, KV eviction against a naive re-selection from probed attention,
// calibration against the attention observed by a probe, baseline budgets, bad knobs.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/base/error.h"
#include "bench/engine/forward.h"
#include "bench/method/calibration.h"
#include "bench/method/kv_evict.h"
#include "bench/method/pcomp.h"
#include "bench/method/perplexity.h"
#include "bench/model/model.h"
#include "bench/model/tokenizer.h"
#include "kernels/kernels.h"
#include "tests/test.h"
#include "tests/tiny_gguf.h"

static model *tiny;
static tokenizer *tok;
static char tiny_path[64];

static void tokens(int32_t *t, int n, int salt) {
    for (int i = 0; i < n; i++) t[i] = 3 + (i * 37 + salt * 101 + (i * i) % 13) % (tiny->cfg.vocab_size - 3);
}

// Document of n tokens followed by a query of q tokens; bos >= 0 forces a BOS per chunk.
static void make_input(pcomp_input *in, int n, int q, int32_t bos) {
    int32_t *w = malloc(sizeof(int32_t) * (n + q));
    tokens(w, n + q, 1);
    pcomp_input_from_tokens(tok, w, n, w + n, q, in);
    free(w);
    if (bos >= 0) {
        in->bos = bos;
        free(in->full_prefix);
        in->full_prefix = malloc(sizeof(int32_t));
        in->full_prefix[0] = bos, in->n_full_prefix = 1;
    }
}

static pcomp_options opts(pcomp_method m) {
    pcomp_options o;
    pcomp_options_default(&o);
    o.method = m, o.max_new_tokens = 4;
    return o;
}

// Same slots (metadata exact, K/V within tol) in every head.
static int caches_equal(const kv_cache *a, const kv_cache *b, float tol) {
    if (a->n_layers != b->n_layers || a->n_kv_heads != b->n_kv_heads) return 0;
    for (int i = 0; i < a->n_layers * a->n_kv_heads; i++) {
        const kv_head *x = &a->heads[i], *y = &b->heads[i];
        if (x->n != y->n) return 0;
        for (int j = 0; j < x->n; j++)
            if (x->pos[j] != y->pos[j] || x->chunk[j] != y->chunk[j] || x->doc[j] != y->doc[j]) return 0;
        // written as !(d <= tol) so that NaN counts as a difference
        if (!(max_abs_diff(x->k, y->k, (size_t)x->n * a->head_dim) <= tol) ||
            !(max_abs_diff(x->v, y->v, (size_t)x->n * a->head_dim) <= tol))
            return 0;
    }
    return 1;
}

static void test_chunk_plan(void) {
    pcomp_input in;
    make_input(&in, 100, 5, 7);
    pcomp_options o = opts(METHOD_PCW);
    o.chunk_tokens = 31;  // BOS + 30 document tokens at most
    CHECK(pcomp_resolve(tiny, &in, &o) == 0);
    pcomp_chunk *c;
    int n;
    CHECK(pcomp_plan_chunks(&in, &o, &c, &n) == 0);
    CHECK_MSG(n == 4, "%d chunks", n);
    int covered = 0;
    for (int i = 0; i < n; i++) {
        int len = c[i].doc_end - c[i].doc_begin;
        CHECK(len == 25);  // balanced: 100 / 4
        CHECK(c[i].doc_begin == covered && c[i].n_context == len + 1);
        covered = c[i].doc_end;
    }
    CHECK(covered == 100);
    free(c);
    pcomp_input_free(&in);
}

// With one chunk and nothing evicted, pcw is full attention: same cache, same logits.
static void test_one_chunk_equals_full(void) {
    pcomp_input in;
    make_input(&in, 60, 6, -1);
    pcomp_options a = opts(METHOD_PCW), b = opts(METHOD_FULL);
    pcomp_state sa, sb;
    pcomp_result ra, rb;
    CHECK(pcomp_prefill(tiny, &in, &a, &sa, &ra) == 0);
    CHECK(pcomp_prefill(tiny, &in, &b, &sb, &rb) == 0);
    CHECK(ra.n_chunks == 1 && ra.n_kept == 1 && ra.question_pos == 60);
    float d = max_abs_diff(sa.logits, sb.logits, tiny->cfg.vocab_size);
    CHECK_MSG(d < 1e-4f, "pcw(1 chunk) vs full: max |logit diff| %g", d);
    CHECK(sa.next_pos == sb.next_pos && kv_cache_total_slots(sa.cache) == kv_cache_total_slots(sb.cache));
    pcomp_state_free(&sa), pcomp_state_free(&sb);
    pcomp_result_free(&ra), pcomp_result_free(&rb);
    pcomp_input_free(&in);
}

// Merged pcw cache: chunks in document order, positions reused from 0, later chunks without
// their BOS, question at P = the longest chunk's context part.
static void test_positions_and_order(void) {
    pcomp_input in;
    make_input(&in, 70, 5, 7);
    pcomp_options o = opts(METHOD_PCW);
    o.chunk_tokens = 25;
    pcomp_state st;
    pcomp_result r;
    CHECK(pcomp_prefill(tiny, &in, &o, &st, &r) == 0);
    CHECK(r.n_chunks == 3);  // 24 document tokens per chunk at most: 24 + 23 + 23
    CHECK_MSG(r.question_pos == 25, "P = %d", r.question_pos);
    for (int i = 0; i < tiny->cfg.n_layers * tiny->cfg.n_kv_heads; i++) {
        const kv_head *h = &st.cache->heads[i];
        CHECK(h->n == 25 + 23 + 23 + 5);  // BOS only in chunk 0, then the question
        int ok = 1, j = 0;
        for (int c = 0; c < 3; c++) {
            int first = c == 0 ? 0 : 1;
            for (int p = first; p < r.chunks[c].n_context; p++, j++)
                ok &= h->chunk[j] == c && h->pos[j] == p && h->doc[j] == (p == 0 ? -1 : r.chunks[c].doc_begin + p - 1);
        }
        for (int t = 0; t < 5; t++, j++) ok &= h->chunk[j] == -1 && h->pos[j] == 25 + t;
        CHECK(ok);
    }
    pcomp_state_free(&st), pcomp_result_free(&r);
    pcomp_input_free(&in);
}

// Several chunks per forward call give the same merged cache and scores as one per call.
static void test_batched_equals_sequential(void) {
    pcomp_input in;
    make_input(&in, 90, 6, 7);
    for (int variant = 0; variant < 2; variant++) {
        pcomp_options a = opts(variant ? METHOD_PARALLELCOMP : METHOD_PCW);
        a.chunk_tokens = 24, a.topk_chunks = 2, a.kv_eviction = variant, a.capacity = 9, a.window = 4;
        pcomp_options b = a;
        b.batch_chunks = 3;
        pcomp_state sa, sb;
        pcomp_result ra, rb;
        CHECK(pcomp_prefill(tiny, &in, &a, &sa, &ra) == 0);
        CHECK(pcomp_prefill(tiny, &in, &b, &sb, &rb) == 0);
        CHECK_MSG(caches_equal(sa.cache, sb.cache, 1e-5f), "variant %d: batched cache differs", variant);
        int same = ra.n_chunks == rb.n_chunks;
        for (int c = 0; same && c < ra.n_chunks; c++)
            same = ra.chunks[c].kept == rb.chunks[c].kept &&
                   (variant == 0 || fabs(ra.chunks[c].score - rb.chunks[c].score) < 1e-5);
        CHECK(same);
        CHECK(max_abs_diff(sa.logits, sb.logits, tiny->cfg.vocab_size) < 1e-4f);
        pcomp_state_free(&sa), pcomp_state_free(&sb);
        pcomp_result_free(&ra), pcomp_result_free(&rb);
    }
    pcomp_input_free(&in);
}

// Mean NLL of the query after chunk c, computed independently with a plain sequence forward.
static double reference_score(const pcomp_input *in, const pcomp_chunk *c) {
    int n = c->n_context + in->n_query, V = tiny->cfg.vocab_size, at = 0;
    int32_t *t = malloc(sizeof(int32_t) * n), *pos = malloc(sizeof(int32_t) * n), *rows = malloc(sizeof(int32_t) * n);
    if (in->bos >= 0) t[at++] = in->bos;
    for (int i = c->doc_begin; i < c->doc_end; i++) t[at++] = in->doc[i];
    for (int i = 0; i < in->n_query; i++) t[at++] = in->query[i];
    for (int i = 0; i < n; i++) pos[i] = i, rows[i] = i;
    float *logits = malloc(sizeof(float) * (size_t)n * V);
    kv_cache *cache = model_new_cache(tiny);
    forward_batch b = {.n = n, .tokens = t, .pos = pos, .logit_rows = rows, .n_logit_rows = n, .logits = logits};
    forward(tiny, cache, &b);
    double nll = 0;
    for (int i = c->n_context; i < n; i++) {
        const float *row = logits + (size_t)(i - 1) * V;
        double mx = row[0], s = 0;
        for (int v = 1; v < V; v++) mx = fmax(mx, row[v]);
        for (int v = 0; v < V; v++) s += exp(row[v] - mx);
        nll += mx + log(s) - row[t[i]];
    }
    kv_cache_free(cache);
    free(t), free(pos), free(rows), free(logits);
    return nll / in->n_query;
}

static void test_chunk_scores_and_topk(void) {
    pcomp_input in;
    make_input(&in, 120, 8, 7);
    pcomp_options o = opts(METHOD_PARALLELCOMP);
    o.chunk_tokens = 31, o.topk_chunks = 2;
    pcomp_state st;
    pcomp_result r;
    CHECK(pcomp_prefill(tiny, &in, &o, &st, &r) == 0);
    CHECK(r.n_chunks == 4 && r.n_kept == 2);
    double worst_kept = -1, best_dropped = 1e30;
    for (int c = 0; c < r.n_chunks; c++) {
        double ref = reference_score(&in, &r.chunks[c]);
        CHECK_MSG(fabs(ref - r.chunks[c].score) < 1e-4, "chunk %d: score %g, reference %g", c, r.chunks[c].score, ref);
        if (r.chunks[c].kept) worst_kept = fmax(worst_kept, r.chunks[c].score);
        else best_dropped = fmin(best_dropped, r.chunks[c].score);
    }
    CHECK_MSG(worst_kept <= best_dropped, "kept chunks are not the lowest-NLL ones");
    // Only kept chunks' slots remain, in document order.
    const kv_head *h = &st.cache->heads[0];
    int last = -1, ok = 1;
    for (int j = 0; j < h->n; j++)
        if (h->chunk[j] >= 0) ok &= r.chunks[h->chunk[j]].kept && h->chunk[j] >= last, last = h->chunk[j];
    CHECK(ok);
    pcomp_state_free(&st), pcomp_result_free(&r);
    pcomp_input_free(&in);
}

// KV eviction: exactly `capacity` context slots per chunk and KV head, and they are the ones a
// naive re-selection picks from attention observed by a per-row probe on the same chunk.
typedef struct {
    float *sum;  // [layers, kv heads, slots]
    int slots, group;
} row_acc;

static void on_row(void *user, int layer, int q_head, int row, const float *probs, const kv_head *slots) {
    row_acc *a = user;
    float *dst = a->sum + ((size_t)layer * tiny->cfg.n_kv_heads + q_head / a->group) * a->slots;
    for (int j = 0; j < slots->n && j < a->slots; j++) dst[j] += probs[j];
}

static void test_kv_eviction_keeps_capacity(void) {
    pcomp_input in;
    make_input(&in, 40, 6, -1);
    pcomp_options o = opts(METHOD_PARALLELCOMP);
    o.chunk_tokens = 40, o.kv_eviction = 1, o.capacity = 11, o.window = 4, o.topk_chunks = 0;
    pcomp_state st;
    pcomp_result r;
    CHECK(pcomp_prefill(tiny, &in, &o, &st, &r) == 0);
    CHECK(r.n_chunks == 1);
    // Independent: forward the chunk + query, probe the last 4 rows, naive pool + top-k.
    int n = 40 + 6, L = tiny->cfg.n_layers, G = tiny->cfg.n_kv_heads;
    int32_t t[46], pos[46], rows[4] = {42, 43, 44, 45};
    for (int i = 0; i < 40; i++) t[i] = in.doc[i];
    for (int i = 0; i < 6; i++) t[40 + i] = in.query[i];
    for (int i = 0; i < n; i++) pos[i] = i;
    row_acc acc = {calloc((size_t)L * G * n, sizeof(float)), n, tiny->cfg.n_heads / G};
    probe p = {.rows = rows, .n_rows = 4, .on_row = on_row, .user = &acc};
    kv_cache *c = model_new_cache(tiny);
    forward_batch b = {.n = n, .tokens = t, .pos = pos, .probe = &p};
    CHECK(forward(tiny, c, &b) == 0);
    int all_ok = 1;
    for (int l = 0; l < L; l++)
        for (int g = 0; g < G; g++) {
            const float *s = acc.sum + ((size_t)l * G + g) * n;
            float pooled[40];
            for (int j = 0; j < 40; j++) {
                pooled[j] = -1;
                for (int d = -3; d <= 3; d++)
                    if (j + d >= 0 && j + d < 40 && s[j + d] > pooled[j]) pooled[j] = s[j + d];
            }
            uint8_t chosen[40] = {0};
            for (int k = 0; k < 11; k++) {  // repeated argmax, lowest index on ties
                int best = -1;
                for (int j = 0; j < 40; j++)
                    if (!chosen[j] && (best < 0 || pooled[j] > pooled[best])) best = j;
                chosen[best] = 1;
            }
            const kv_head *h = kv_cache_head(st.cache, l, g);
            int ctx_slots = 0, match = 1;
            for (int j = 0; j < h->n; j++)
                if (h->chunk[j] == 0) ctx_slots++, match &= chosen[h->pos[j]];
            all_ok &= ctx_slots == 11 && match && h->n == 11 + 6;
        }
    CHECK_MSG(all_ok, "in-chunk eviction differs from the naive selection");
    // The cache really shrank: KV bytes of 17 slots per head, not 46.
    CHECK(kv_cache_total_slots(st.cache) == (long)L * G * 17);
    kv_cache_free(c);
    free(acc.sum);
    pcomp_state_free(&st), pcomp_result_free(&r);
    pcomp_input_free(&in);
}

// Calibration: builds a two-chunk merged cache by hand, observes the last question row with
// a probe (no calibration), then calibrates a clone (cache only, no equalisation) and checks
// the evicted slots are exactly those above the threshold in the chosen layers and region.
typedef struct {
    float *max_att;  // [layers, kv heads, slots]: max over the group's heads
    int slots, group;
} max_acc;

static void on_row_max(void *user, int layer, int q_head, int row, const float *probs, const kv_head *slots) {
    max_acc *a = user;
    float *dst = a->max_att + ((size_t)layer * tiny->cfg.n_kv_heads + q_head / a->group) * a->slots;
    for (int j = 0; j < slots->n; j++) dst[j] = fmaxf(dst[j], probs[j]);
}

static kv_cache *two_chunk_cache(void) {
    kv_cache *c = model_new_cache(tiny);
    int32_t t[60], pos[60], seq[60];
    tokens(t, 60, 3);
    for (int i = 0; i < 60; i++) pos[i] = i % 30, seq[i] = i / 30;
    forward_batch b = {.n = 60, .tokens = t, .pos = pos, .seq = seq};
    forward(tiny, c, &b);
    return c;
}

static void calibrate_and_check(calib_region region, int lo, int hi, double frac) {
    int L = tiny->cfg.n_layers, G = tiny->cfg.n_kv_heads, nq = 5, n = 60 + nq;
    int32_t q[5], pos[5], last = nq - 1;
    tokens(q, nq, 9);
    for (int i = 0; i < nq; i++) pos[i] = 30 + i;
    kv_cache *base = two_chunk_cache(), *observed = kv_cache_clone(base), *cal = kv_cache_clone(base);
    max_acc acc = {calloc((size_t)L * G * n, sizeof(float)), n, tiny->cfg.n_heads / G};
    probe p = {.rows = &last, .n_rows = 1, .on_row = on_row_max, .user = &acc};
    float *la = malloc(sizeof(float) * tiny->cfg.vocab_size), *lb = malloc(sizeof(float) * tiny->cfg.vocab_size);
    forward_batch fo = {
        .n = nq, .tokens = q, .pos = pos, .logit_rows = &last, .n_logit_rows = 1, .logits = la, .probe = &p};
    CHECK(forward(tiny, observed, &fo) == 0);
    // Threshold: a fraction of the largest attention in range, so some slots are above it
    // whatever the random weights make of the distribution.
    float top = 0;
    for (int l = lo; l <= hi; l++)
        for (int g = 0; g < G; g++) {
            const kv_head *h = kv_cache_head(observed, l, g);
            for (int j = 0; j < h->n; j++)
                if (calib_in_region(region, 12, j, h->n, h->pos[j], h->chunk[j]))
                    top = fmaxf(top, acc.max_att[((size_t)l * G + g) * n + j]);
        }
    double thr = frac * top;
    pcomp_options o = opts(METHOD_PCW);
    o.calibrate = 1, o.calib_lo = lo, o.calib_hi = hi, o.region = region, o.calib_threshold = thr;
    o.calib_width = 12, o.calib_equalize = 0, o.calib_current_step = 0;
    long evicted[8] = {0};
    calibration cs;
    calibration_init(&cs, tiny, &o, evicted);
    forward_batch fc = {.n = nq,
                        .tokens = q,
                        .pos = pos,
                        .logit_rows = &last,
                        .n_logit_rows = 1,
                        .logits = lb,
                        .before_attention = calibration_hook,
                        .hook_user = &cs};
    CHECK(forward(tiny, cal, &fc) == 0);
    CHECK(calibration_finish(&cs, cal) == 0);
    // Cache only: this step's logits are untouched.
    CHECK(max_abs_diff(la, lb, tiny->cfg.vocab_size) < 1e-5f);
    int exact = 1;
    long expected_total = 0;
    for (int l = 0; l < L; l++)
        for (int g = 0; g < G; g++) {
            const kv_head *full = kv_cache_head(observed, l, g), *h = kv_cache_head(cal, l, g);
            const float *a = acc.max_att + ((size_t)l * G + g) * n;
            int k = 0;
            for (int j = 0; j < full->n; j++) {
                if (fabsf(a[j] - (float)thr) < 1e-5f) continue;  // too close to call between two code paths
                int drop = l >= lo && l <= hi && a[j] > thr &&
                           calib_in_region(region, 12, j, full->n, full->pos[j], full->chunk[j]);
                expected_total += drop;
                int present = k < h->n && h->pos[k] == full->pos[j] && h->chunk[k] == full->chunk[j];
                if (present) k++;
                exact &= present == !drop;
            }
        }
    long got_total = 0;
    for (int l = 0; l < L; l++) got_total += evicted[l];
    CHECK_MSG(exact && got_total == expected_total, "region %s layers %d-%d: calibration evicted %ld, expected %ld",
              calib_region_name(region), lo, hi, got_total, expected_total);
    CHECK_MSG(expected_total > 0, "nothing above the threshold: the test checks nothing");
    // Current step: the same evictions change this step's logits.
    kv_cache *cur = kv_cache_clone(base);
    o.calib_current_step = 1;
    long ev2[8] = {0};
    calibration_init(&cs, tiny, &o, ev2);
    fc.hook_user = &cs;
    CHECK(forward(tiny, cur, &fc) == 0);
    CHECK(calibration_finish(&cs, cur) == 0);
    CHECK(expected_total == 0 || max_abs_diff(la, lb, tiny->cfg.vocab_size) > 1e-6f);
    kv_cache_free(cur);
    kv_cache_free(base), kv_cache_free(observed), kv_cache_free(cal);
    free(acc.max_att), free(la), free(lb);
}

static void test_calibration_exact(void) {
    calibrate_and_check(REGION_ALL, 0, 1, 0.6);
    calibrate_and_check(REGION_SINK, 1, 1, 0.5);
    calibrate_and_check(REGION_RECENT, 0, 0, 0.5);
    calibrate_and_check(REGION_MIDDLE, 0, 1, 0.7);
    calibrate_and_check(REGION_CHUNK_SINKS, 0, 1, 0.5);
}

// Equalisation: every KV head of a calibrated layer drops the same count.
static void test_calibration_equalised(void) {
    pcomp_input in;
    make_input(&in, 80, 5, -1);
    pcomp_options o = opts(METHOD_PCW);
    o.chunk_tokens = 30, o.calibrate = 1, o.calib_lo = 1, o.calib_hi = 1, o.calib_threshold = 0.0125;
    pcomp_state st;
    pcomp_result r;
    CHECK(pcomp_prefill(tiny, &in, &o, &st, &r) == 0);
    CHECK(r.calib_evicted[0] == 0 && r.calib_evicted[1] > 0);
    int n0 = kv_cache_head(st.cache, 1, 0)->n, same = 1;
    for (int g = 1; g < tiny->cfg.n_kv_heads; g++) same &= kv_cache_head(st.cache, 1, g)->n == n0;
    CHECK(same && kv_cache_head(st.cache, 0, 0)->n == 80 + 5);
    pcomp_state_free(&st), pcomp_result_free(&r);
    pcomp_input_free(&in);
}

// Single-window baselines keep their budgets.
static void test_baseline_budgets(void) {
    pcomp_input in;
    make_input(&in, 150, 5, -1);
    int L = tiny->cfg.n_layers, G = tiny->cfg.n_kv_heads;
    pcomp_method methods[] = {METHOD_STREAMINGLLM, METHOD_SNAPKV, METHOD_H2O, METHOD_PYRAMIDKV};
    for (int i = 0; i < 4; i++) {
        pcomp_options o = opts(methods[i]);
        o.capacity = 40, o.window = 8;
        pcomp_state st;
        pcomp_result r;
        CHECK(pcomp_prefill(tiny, &in, &o, &st, &r) == 0);
        // PyramidKV by hand (kv_evict.h): avg 40 - 8 = 32, last layer 32 / beta 20 = 1.6, first
        // 2 * 32 - 1.6 = 62.4; rounded, plus the window of 8.
        int ok = L == 2 && o.pyramid_beta == 20, budget[2] = {62 + 8, 2 + 8};
        for (int l = 0; l < L; l++)
            for (int g = 0; g < G; g++) {
                const kv_head *h = kv_cache_head(st.cache, l, g);
                int want = methods[i] == METHOD_PYRAMIDKV ? budget[l < 2 ? l : 1] : 40;
                ok &= h->n == want;
                for (int j = 1; j < h->n; j++) ok &= h->pos[j] > h->pos[j - 1];  // order kept
                if (methods[i] == METHOD_STREAMINGLLM) ok &= h->pos[0] == 0 && h->pos[3] == 3 && h->pos[4] == 155 - 36;
                if (methods[i] != METHOD_H2O) ok &= h->pos[h->n - 1] == 154 && h->pos[h->n - 8] == 147;
            }
        CHECK_MSG(ok, "%s: wrong slots kept", pcomp_method_name(methods[i]));
        pcomp_state_free(&st), pcomp_result_free(&r);
    }
    pcomp_input_free(&in);
}

// Perplexity under `full` is a plain forward of each whole window: the NLL of its last n_cont
// tokens, each predicted by the row before it (document and query only condition them).
static void test_method_ppl_full_equals_forward(void) {
    enum { CTX = 48, NQ = 5, NC = 7, N = 2 * CTX + 10 };  // two whole windows; the last 10 tokens are not scored
    int V = tiny->cfg.vocab_size;
    int32_t ids[N], pos[CTX], rows[CTX];
    tokens(ids, N, 5);
    pcomp_options o = opts(METHOD_FULL);
    ppl_stats acc = {0};
    CHECK_MSG(perplexity_method_accumulate(tiny, tok, ids, N, CTX, NQ, NC, &o, &acc, NULL, NULL) == 0, "%s",
              pcb_last_error());
    CHECK_MSG(acc.n_windows == 2 && acc.n_predicted == 2 * NC, "%d windows, %ld predicted", acc.n_windows,
              acc.n_predicted);
    for (int i = 0; i < CTX; i++) pos[i] = i, rows[i] = i;
    float *logits = malloc(sizeof(float) * (size_t)CTX * V);
    double want = 0;
    for (int w = 0; w < 2; w++) {
        const int32_t *t = ids + w * CTX;
        kv_cache *c = model_new_cache(tiny);
        forward_batch b = {
            .n = CTX, .tokens = t, .pos = pos, .logit_rows = rows, .n_logit_rows = CTX, .logits = logits};
        CHECK(forward(tiny, c, &b) == 0);
        for (int i = CTX - NC; i < CTX; i++) {
            const float *row = logits + (size_t)(i - 1) * V;
            double mx = row[0], z = 0;
            for (int v = 1; v < V; v++) mx = fmax(mx, row[v]);
            for (int v = 0; v < V; v++) z += exp(row[v] - mx);
            want += mx + log(z) - row[t[i]];
        }
        kv_cache_free(c);
    }
    CHECK_NEAR(acc.nll_sum, want, 1e-4);
    free(logits);
}

static void test_full_truncation(void) {
    pcomp_input in;
    make_input(&in, 300, 5, -1);  // longer than the tiny model's 256 positions
    pcomp_options o = opts(METHOD_FULL);
    pcomp_state st;
    pcomp_result r;
    CHECK(pcomp_prefill(tiny, &in, &o, &st, &r) == 0);
    CHECK_MSG(r.doc_tokens_used == 256 - 5 - 4 && st.next_pos == 256 - 4, "used %d", r.doc_tokens_used);
    // the middle was cut: first and last document tokens are both there
    const kv_head *h = &st.cache->heads[0];
    CHECK(h->doc[0] == 0 && h->doc[h->n - 6] == 299);
    pcomp_state_free(&st), pcomp_result_free(&r);
    o.method = METHOD_FULL_UNTRUNCATED;
    CHECK(pcomp_prefill(tiny, &in, &o, &st, &r) == 0);
    CHECK(r.doc_tokens_used == 300 && st.next_pos == 305);
    pcomp_state_free(&st), pcomp_result_free(&r);
    pcomp_input_free(&in);
}

static void expect_error(pcomp_options o, int n_doc, const char *needle) {
    pcomp_input in;
    make_input(&in, n_doc, 5, -1);
    if (n_doc == 0) in.n_doc = 0;
    pcomp_state st;
    pcomp_result r;
    int rc = pcomp_prefill(tiny, &in, &o, &st, &r);
    CHECK_MSG(rc == -1 && strstr(pcb_last_error(), needle), "expected an error with '%s', got rc %d: %s", needle, rc,
              pcb_last_error());
    pcomp_result_free(&r);
    pcomp_input_free(&in);
}

static void test_bad_knobs(void) {
    pcomp_options o = opts(METHOD_PARALLELCOMP);
    o.max_new_tokens = 260;  // the derived chunk budget goes negative
    expect_error(o, 50, "impossible budget");
    o = opts(METHOD_FULL);
    o.max_new_tokens = 300;
    expect_error(o, 50, "impossible budget");
    o = opts(METHOD_PCW);
    expect_error(o, 0, "document");
    o.calibrate = 1, o.calib_lo = 0, o.calib_hi = 5;
    expect_error(o, 50, "calibration layers");
    o = opts(METHOD_FULL);
    o.kv_eviction = 1;
    expect_error(o, 50, "kv_eviction");
    o = opts(METHOD_SNAPKV);
    o.capacity = 8, o.window = 8;
    expect_error(o, 50, "window");
    o = opts(METHOD_PARALLELCOMP);
    o.kv_eviction = 1, o.pool_kernel = 4;
    expect_error(o, 50, "pool_kernel");
    pcomp_method m;
    CHECK(pcomp_method_parse("parallelcomp", &m) == 0 && m == METHOD_PARALLELCOMP);
    CHECK(pcomp_method_parse("snap", &m) == -1 && strstr(pcb_last_error(), "unknown method"));
}

// Selection kernels against hand-worked cases.
static void test_select_kernels(void) {
    float in[7] = {0, 5, 1, 0, 0, 2, 0}, out[7];
    maxpool1d(out, in, 7, 3);
    float want[7] = {5, 5, 5, 1, 2, 2, 2};
    CHECK(max_abs_diff(out, want, 7) == 0);
    int32_t idx[3];
    float s[6] = {1, 3, 3, 0, 2, 3};
    CHECK(topk_indices(idx, s, 6, 3) == 3 && idx[0] == 1 && idx[1] == 2 && idx[2] == 5);
    CHECK(topk_indices(idx, s, 6, 0) == 0);
}

int main(void) {
    snprintf(tiny_path, sizeof tiny_path, "/tmp/pcb_tiny_pipeline_%d.gguf", (int)getpid());
    if (tiny_llama_write(tiny_path, NULL) != 0 || !(tiny = model_load(tiny_path)) ||
        !(tok = tokenizer_from_gguf(&tiny->gguf))) {
        printf("not ok - tiny model: %s\n", pcb_last_error());
        return 1;
    }
    kernels_set_num_threads(2);
    RUN_TEST(test_select_kernels);
    RUN_TEST(test_chunk_plan);
    RUN_TEST(test_one_chunk_equals_full);
    RUN_TEST(test_positions_and_order);
    RUN_TEST(test_batched_equals_sequential);
    RUN_TEST(test_chunk_scores_and_topk);
    RUN_TEST(test_kv_eviction_keeps_capacity);
    RUN_TEST(test_calibration_exact);
    RUN_TEST(test_calibration_equalised);
    RUN_TEST(test_baseline_budgets);
    RUN_TEST(test_method_ppl_full_equals_forward);
    RUN_TEST(test_full_truncation);
    RUN_TEST(test_bad_knobs);
    tokenizer_free(tok);
    model_free(tiny);
    unlink(tiny_path);
    return test_summary();
}
