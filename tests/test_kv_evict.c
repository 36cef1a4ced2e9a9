// The eviction policies behind every comparison table, on hand-built caches and scores: the
// exact slots StreamingLLM, SnapKV, H2O, PyramidKV and ParallelComp's in-chunk eviction keep per
// layer and KV head; PyramidKV's budgets worked out by hand from the documented rule;
// calibration's evictions and equalisation (which slots, not how many) from hand-made attention;
// the chunk-eviction queue's tie rule and a NaN score. Every expectation is written out here,
// never computed by the code under test.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/method/calibration.h"
#include "bench/method/kv_evict.h"
#include "bench/method/pcomp_internal.h"
#include "tests/test.h"

enum { L = 2, G = 2, HEADS = 4, HD = 2, MAX_SLOTS = 16 };

static const model_config cfg = {.n_layers = L, .n_heads = HEADS, .n_kv_heads = G, .head_dim = HD};

// A cache of n slots in every head; slot j carries k = (j, head), v = (-j, head), so the kept
// index set can be read back from the K/V data (which must travel with the metadata).
static kv_cache *make_cache(int n, const int32_t *chunk, const int32_t *pos) {
    kv_cache *c = kv_cache_new(L, G, HD);
    for (int l = 0; l < L; l++)
        for (int g = 0; g < G; g++)
            for (int j = 0; j < n; j++) {
                float k[HD] = {(float)j, (float)(l * G + g)}, v[HD] = {(float)-j, (float)(l * G + g)};
                kv_head_append(kv_cache_head(c, l, g), HD, k, v, pos ? pos[j] : j, chunk ? chunk[j] : -1, j);
            }
    return c;
}

// 1 when head (l, g) holds exactly the original slots want[0..n_want), in order, with their
// K/V and metadata; prints what it holds otherwise.
static int head_is(const kv_cache *c, int l, int g, const int *want, int n_want, const char *what) {
    const kv_head *h = kv_cache_head(c, l, g);
    int ok = h->n == n_want;
    for (int i = 0; ok && i < n_want; i++)
        ok = h->k[i * HD] == (float)want[i] && h->v[i * HD] == (float)-want[i] &&
             h->k[i * HD + 1] == (float)(l * G + g) && h->doc[i] == want[i];
    if (!ok) {
        fprintf(stderr, "  %s layer %d head %d keeps {", what, l, g);
        for (int i = 0; i < h->n; i++) fprintf(stderr, "%s%g", i ? "," : "", h->k[i * HD]);
        fprintf(stderr, "}, want {");
        for (int i = 0; i < n_want; i++) fprintf(stderr, "%s%d", i ? "," : "", want[i]);
        fprintf(stderr, "}\n");
    }
    return ok;
}

#define HEAD_IS(c, l, g, what, ...)                                                \
    do {                                                                           \
        static const int want_[] = {__VA_ARGS__};                                  \
        CHECK(head_is(c, l, g, want_, (int)(sizeof want_ / sizeof *want_), what)); \
    } while (0)

// Ten slots; the same hand scores for every test, one row per (layer, KV head).
static const float scores10[L][G][10] = {
    {{0.1f, 0.9f, 0.2f, 0.8f, 0.3f, 0.7f, 0.05f, 0.0f, 5, 5}, {0.5f, 0.5f, 0.5f, 0.5f, 0.1f, 0.1f, 0.1f, 0.6f, 0, 0}},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 0, 0.3f, 0.2f, 1, 1}},
};

static kv_scores *make_scores(int n, const float *per_head /* [L][G][n] */) {
    kv_scores *s = kv_scores_new(&cfg, n);
    for (int l = 0; l < L; l++)
        for (int g = 0; g < G; g++)
            memcpy(kv_scores_at(s, l, g), per_head + ((size_t)l * G + g) * n, sizeof(float) * n);
    return s;
}

static void test_streaming(void) {
    kv_cache *c = make_cache(10, NULL, NULL);
    CHECK(evict_streaming(c, 6, 2) == 0);  // 2 sinks + the 4 most recent
    for (int l = 0; l < L; l++)
        for (int g = 0; g < G; g++) HEAD_IS(c, l, g, "streamingllm", 0, 1, 6, 7, 8, 9);
    kv_cache_free(c);
    c = make_cache(5, NULL, NULL);
    CHECK(evict_streaming(c, 6, 2) == 0);  // fits: untouched
    HEAD_IS(c, 1, 1, "streamingllm (fits)", 0, 1, 2, 3, 4);
    kv_cache_free(c);
    c = make_cache(10, NULL, NULL);
    CHECK(evict_streaming(c, 6, 8) == 0);  // more sinks than capacity: the first 6
    HEAD_IS(c, 0, 1, "streamingllm (sinks > capacity)", 0, 1, 2, 3, 4, 5);
    kv_cache_free(c);
}

static void test_snapkv(void) {
    kv_scores *s = make_scores(10, &scores10[0][0][0]);
    // Capacity 5, window 2: slots 8, 9 plus the 3 best of slots 0..7 (lower index on ties).
    kv_cache *c = make_cache(10, NULL, NULL);
    CHECK(evict_snapkv(c, s, 5, NULL, 2, 1) == 0);
    HEAD_IS(c, 0, 0, "snapkv", 1, 3, 5, 8, 9);
    HEAD_IS(c, 0, 1, "snapkv", 0, 1, 7, 8, 9);
    HEAD_IS(c, 1, 0, "snapkv", 0, 1, 2, 8, 9);
    HEAD_IS(c, 1, 1, "snapkv", 0, 6, 7, 8, 9);
    kv_cache_free(c);
    // Max-pooled over 3 neighbours within slots 0..7 (the window is not pooled into them):
    // (0,0) pooled .9 .9 .9 .8 .8 .7 .7 .05; (0,1) .5 .5 .5 .5 .5 .1 .6 .6; (1,1) 0 0 0 0 0 .3 .3 .3.
    c = make_cache(10, NULL, NULL);
    CHECK(evict_snapkv(c, s, 5, NULL, 2, 3) == 0);
    HEAD_IS(c, 0, 0, "snapkv pooled", 0, 1, 2, 8, 9);
    HEAD_IS(c, 0, 1, "snapkv pooled", 0, 6, 7, 8, 9);
    HEAD_IS(c, 1, 0, "snapkv pooled", 0, 1, 2, 8, 9);
    HEAD_IS(c, 1, 1, "snapkv pooled", 5, 6, 7, 8, 9);
    kv_cache_free(c);
    // Fewer slots than the capacity: untouched.
    c = make_cache(4, NULL, NULL);
    kv_scores *s4 = kv_scores_new(&cfg, 4);
    CHECK(evict_snapkv(c, s4, 5, NULL, 2, 1) == 0);
    HEAD_IS(c, 1, 0, "snapkv (fits)", 0, 1, 2, 3);
    kv_scores_free(s4);
    kv_cache_free(c);
    kv_scores_free(s);
}

static void test_h2o(void) {
    kv_scores *s = make_scores(10, &scores10[0][0][0]);
    // Capacity 6, 3 heavy hitters: slots 7, 8, 9 plus the 3 best of slots 0..6.
    kv_cache *c = make_cache(10, NULL, NULL);
    CHECK(evict_h2o(c, s, 6, 3) == 0);
    HEAD_IS(c, 0, 0, "h2o", 1, 3, 5, 7, 8, 9);
    HEAD_IS(c, 0, 1, "h2o", 0, 1, 2, 7, 8, 9);
    HEAD_IS(c, 1, 0, "h2o", 0, 1, 2, 7, 8, 9);
    HEAD_IS(c, 1, 1, "h2o", 0, 1, 6, 7, 8, 9);
    kv_cache_free(c);
    // Heavy share above the capacity: all 4 slots by score, none by recency.
    c = make_cache(10, NULL, NULL);
    CHECK(evict_h2o(c, s, 4, 9) == 0);
    HEAD_IS(c, 0, 0, "h2o (heavy > capacity)", 1, 3, 8, 9);  // top 4 of all ten: 5, 5, .9, .8
    kv_cache_free(c);
    kv_scores_free(s);
}

// Budgets from the rule (kv_evict.h): avg = capacity - window; min = avg / beta at the last
// layer, max = 2 avg - min at layer 0, linear in between, rounded to the nearest, + window.
static void test_pyramid_budgets(void) {
    int b[4];
    pyramid_budgets(b, 4, 40, 8, 2.0);  // avg 32: 48, 37.33, 26.67, 16
    CHECK_MSG(b[0] == 56 && b[1] == 45 && b[2] == 35 && b[3] == 24, "%d %d %d %d", b[0], b[1], b[2], b[3]);
    pyramid_budgets(b, 2, 40, 8, 20.0);  // avg 32: 62.4, 1.6
    CHECK_MSG(b[0] == 70 && b[1] == 10, "%d %d", b[0], b[1]);
    pyramid_budgets(b, 3, 20, 4, 4.0);  // avg 16: 28, 16, 4
    CHECK_MSG(b[0] == 32 && b[1] == 20 && b[2] == 8, "%d %d %d", b[0], b[1], b[2]);
    pyramid_budgets(b, 1, 40, 8, 20.0);  // one layer: the capacity
    CHECK(b[0] == 40);
}

static void test_pyramidkv(void) {
    kv_scores *s = make_scores(10, &scores10[0][0][0]);
    // Layer 0 keeps 6 (4 best + window 2), layer 1 keeps 3 (1 best + window 2).
    int per_layer[L] = {6, 3};
    kv_cache *c = make_cache(10, NULL, NULL);
    CHECK(evict_snapkv(c, s, 5, per_layer, 2, 1) == 0);
    HEAD_IS(c, 0, 0, "pyramidkv", 1, 3, 4, 5, 8, 9);
    HEAD_IS(c, 0, 1, "pyramidkv", 0, 1, 2, 7, 8, 9);
    HEAD_IS(c, 1, 0, "pyramidkv", 0, 8, 9);
    HEAD_IS(c, 1, 1, "pyramidkv", 6, 8, 9);
    kv_cache_free(c);
    // A layer budget below the window: the window shrinks to it.
    int tight[L] = {6, 1};
    c = make_cache(10, NULL, NULL);
    CHECK(evict_snapkv(c, s, 5, tight, 2, 1) == 0);
    HEAD_IS(c, 1, 0, "pyramidkv (budget < window)", 9);
    HEAD_IS(c, 1, 1, "pyramidkv (budget < window)", 9);
    kv_cache_free(c);
    kv_scores_free(s);
}

// ParallelComp inside chunks: two freshly prefilled chunks, each with its appended query.
static void test_chunk_context(void) {
    // chunk 0: positions 0..5, context 0..3; chunk 1: positions 0..4, context 0..2
    const int32_t chunk[11] = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1}, pos[11] = {0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4};
    const int context_len[2] = {4, 3};
    float per_head[L * G * 11];
    const float sc[11] = {0.1f, 0.4f, 0.3f, 0.2f, 9, 9, 0.5f, 0.1f, 0.6f, 9, 9};  // query slots score high
    for (int i = 0; i < L * G; i++) memcpy(per_head + i * 11, sc, sizeof sc);
    kv_scores *s = make_scores(11, per_head);
    kv_cache *c = make_cache(11, chunk, pos);
    CHECK(evict_chunk_context(c, s, context_len, 2, 1) == 0);  // 2 best context slots per chunk
    for (int l = 0; l < L; l++)
        for (int g = 0; g < G; g++) HEAD_IS(c, l, g, "chunk context", 1, 2, 6, 8);
    kv_cache_free(c);
    // Pooled within each chunk (not across the boundary): chunk 0 .4 .4 .4 .3, chunk 1 .5 .6 .6.
    c = make_cache(11, chunk, pos);
    CHECK(evict_chunk_context(c, s, context_len, 2, 3) == 0);
    HEAD_IS(c, 1, 1, "chunk context pooled", 0, 1, 7, 8);
    kv_cache_free(c);
    // No capacity, or more than the context: only the queries go.
    for (int cap = 0; cap <= 5; cap += 5) {
        c = make_cache(11, chunk, pos);
        CHECK(evict_chunk_context(c, s, context_len, cap, 1) == 0);
        HEAD_IS(c, 0, 1, "chunk context (queries only)", 0, 1, 2, 3, 6, 7, 8);
        kv_cache_free(c);
    }
    kv_scores_free(s);
    // Whole chunks: keep 0 and 2, chunk 2 loses its first slot (its BOS).
    const int32_t ch3[8] = {0, 0, 0, 1, 1, 2, 2, 2}, pos3[8] = {0, 1, 2, 0, 1, 0, 1, 2};
    const uint8_t keep[3] = {1, 0, 1}, drop_first[3] = {0, 0, 1};
    c = make_cache(8, ch3, pos3);
    CHECK(evict_chunks(c, keep, drop_first) == 0);
    HEAD_IS(c, 1, 0, "evict_chunks", 0, 1, 2, 6, 7);
    kv_cache_free(c);
}

// ---- calibration ---------------------------------------------------------------------------
// Attention is what a forward call would report at the calibrated layer: [q head][row][slot],
// three question rows of which calibration averages the last two (row 0 is set to 1 everywhere
// so that reading it shows). Values are multiples of 1/16: the means are exact.
enum { CAL_ROWS = 3, CAL_SLOTS = 8 };
static const float cal_probs[HEADS][CAL_ROWS][CAL_SLOTS] = {
    // KV head 0 = max of q heads 0, 1: means .375 .375 .0625 .25 0 .25 .25 .3125
    {{1, 1, 1, 1, 1, 1, 1, 1}, {.5f, 0, 0, .25f, 0, 0, .125f, .125f}, {.25f, 0, 0, .25f, 0, 0, .375f, .125f}},
    {{1, 1, 1, 1, 1, 1, 1, 1}, {0, .5f, 0, 0, 0, .25f, 0, .25f}, {0, .25f, .125f, 0, 0, .25f, 0, .375f}},
    // KV head 1 = max of q heads 2, 3: means .125 .0625 .125 .125 .6875 .125 .0625 .1875
    {{1, 1, 1, 1, 1, 1, 1, 1}, {0, 0, 0, 0, .75f, 0, 0, .25f}, {.125f, 0, 0, 0, .625f, 0, .0625f, .125f}},
    {{1, 1, 1, 1, 1, 1, 1, 1},
     {.125f, .0625f, .125f, .125f, .125f, .125f, .0625f, .125f},
     {.125f, .0625f, .125f, .125f, .125f, .125f, .0625f, .125f}},
};

static int fake_row_probs(const forward_attn *a, int q_head, int first_row, int n_rows, float *probs) {
    for (int i = 0; i < n_rows; i++)
        memcpy(probs + i * CAL_SLOTS, cal_probs[q_head][first_row + i], sizeof(float) * CAL_SLOTS);
    return 0;
}

// Slots 0..3 chunk 0 (positions 0..3), 4..5 chunk 1 (positions 0..1), 6..7 the question.
static const int32_t cal_chunk[CAL_SLOTS] = {0, 0, 0, 0, 1, 1, -1, -1}, cal_pos[CAL_SLOTS] = {0, 1, 2, 3, 0, 1, 4, 5};

// Runs the hook at both layers (only layer 1 is calibrated) and applies the evictions.
static kv_cache *calibrate(calib_region region, double threshold, int equalize, int current_step, long *evicted) {
    model m = {.cfg = cfg};
    pcomp_options o;
    pcomp_options_default(&o);
    o.calibrate = 1, o.calib_lo = 1, o.calib_hi = 1, o.region = region, o.calib_threshold = threshold;
    o.calib_rows = 2, o.calib_width = 2, o.calib_equalize = equalize, o.calib_current_step = current_step;
    kv_cache *c = make_cache(CAL_SLOTS, cal_chunk, cal_pos);
    forward_attn fa = {.row_probs = fake_row_probs, .m = &m, .cache = c};
    forward_batch b = {.n = CAL_ROWS};
    calibration cs;
    calibration_init(&cs, &m, &o, evicted);
    for (int l = 0; l < L; l++) {
        fa.layer = l;
        CHECK(calibration_hook(&cs, l, &fa, &b, c) == 0);
        if (!current_step) CHECK(kv_cache_total_slots(c) == (long)L * G * CAL_SLOTS);  // cache only: later
    }
    CHECK(calibration_finish(&cs, c) == 0);
    return c;
}

static void test_calibration_by_hand(void) {
    long ev[L];
    // All slots, threshold .3: head 0 drops .375 .375 .3125 (slots 0, 1, 7), head 1 drops .6875 (4).
    for (int step = 0; step < 2; step++) {
        memset(ev, 0, sizeof ev);
        kv_cache *c = calibrate(REGION_ALL, 0.3, 0, step, ev);
        HEAD_IS(c, 1, 0, "calibration all", 2, 3, 4, 5, 6);
        HEAD_IS(c, 1, 1, "calibration all", 0, 1, 2, 3, 5, 6, 7);
        HEAD_IS(c, 0, 0, "calibration (layer not calibrated)", 0, 1, 2, 3, 4, 5, 6, 7);
        HEAD_IS(c, 0, 1, "calibration (layer not calibrated)", 0, 1, 2, 3, 4, 5, 6, 7);
        CHECK_MSG(ev[0] == 0 && ev[1] == 4, "evicted %ld %ld", ev[0], ev[1]);
        kv_cache_free(c);
    }
    // Strictly above: .25 at the threshold stays.
    memset(ev, 0, sizeof ev);
    kv_cache *c = calibrate(REGION_ALL, 0.25, 0, 0, ev);
    HEAD_IS(c, 1, 0, "calibration at threshold", 2, 3, 4, 5, 6);
    kv_cache_free(c);
    // Regions of width 2.
    c = calibrate(REGION_SINK, 0.3, 0, 0, ev);
    HEAD_IS(c, 1, 0, "calibration sink", 2, 3, 4, 5, 6, 7);
    HEAD_IS(c, 1, 1, "calibration sink", 0, 1, 2, 3, 4, 5, 6, 7);
    kv_cache_free(c);
    c = calibrate(REGION_RECENT, 0.3, 0, 0, ev);
    HEAD_IS(c, 1, 0, "calibration recent", 0, 1, 2, 3, 4, 5, 6);
    HEAD_IS(c, 1, 1, "calibration recent", 0, 1, 2, 3, 4, 5, 6, 7);
    kv_cache_free(c);
    c = calibrate(REGION_MIDDLE, 0.3, 0, 0, ev);
    HEAD_IS(c, 1, 0, "calibration middle", 0, 1, 2, 3, 4, 5, 6, 7);
    HEAD_IS(c, 1, 1, "calibration middle", 0, 1, 2, 3, 5, 6, 7);
    kv_cache_free(c);
    // Chunk sinks: positions 0, 1 of every chunk (slots 0, 1, 4, 5), never the question.
    c = calibrate(REGION_CHUNK_SINKS, 0.3, 0, 0, ev);
    HEAD_IS(c, 1, 0, "calibration chunk sinks", 2, 3, 4, 5, 6, 7);
    HEAD_IS(c, 1, 1, "calibration chunk sinks", 0, 1, 2, 3, 5, 6, 7);
    kv_cache_free(c);
}

// Equalisation: head 1 drops 1 by the threshold, head 0 drops 3, so head 1 also drops its two
// least-attended other slots: 1 and 6 (.0625), not the lowest indices.
static void test_calibration_equalised_by_hand(void) {
    long ev[L] = {0};
    kv_cache *c = calibrate(REGION_ALL, 0.3, 1, 0, ev);
    HEAD_IS(c, 1, 0, "equalised", 2, 3, 4, 5, 6);
    HEAD_IS(c, 1, 1, "equalised", 0, 2, 3, 5, 7);
    CHECK_MSG(ev[1] == 6, "evicted %ld", ev[1]);
    kv_cache_free(c);
}

// ---- chunk eviction queue --------------------------------------------------------------------
static void run_queue(const double *scores, int n, int k, int incremental, uint8_t *kept) {
    pcomp_chunk ch[8];
    for (int c = 0; c < n; c++) ch[c] = (pcomp_chunk){.index = c, .score = scores[c], .kept = 1};
    if (incremental)  // as the pipeline: after every chunk that arrives
        for (int seen = 1; seen <= n; seen++) pcomp_evict_worst_chunks(ch, seen, k);
    else pcomp_evict_worst_chunks(ch, n, k);
    for (int c = 0; c < n; c++) kept[c] = (uint8_t)ch[c].kept;
}

static void test_chunk_queue(void) {
    uint8_t kept[8];
    // Highest NLL goes; equal scores: the earlier chunk goes.
    run_queue((double[]){2, 2, 2}, 3, 1, 0, kept);
    CHECK_MSG(!kept[0] && !kept[1] && kept[2], "ties: kept %d %d %d", kept[0], kept[1], kept[2]);
    run_queue((double[]){1.0, 2.0, 2.0, 0.5}, 4, 2, 1, kept);  // chunk 1 goes at arrival 3, chunk 2 at 4
    CHECK_MSG(kept[0] && !kept[1] && !kept[2] && kept[3], "kept %d %d %d %d", kept[0], kept[1], kept[2], kept[3]);
    run_queue((double[]){3, 1, 2}, 3, 0, 1, kept);  // k = 0 keeps all
    CHECK(kept[0] && kept[1] && kept[2]);
    // A NaN score ranks above every number, wherever it arrives.
    run_queue((double[]){0.5, NAN, 1.0}, 3, 2, 0, kept);
    CHECK_MSG(kept[0] && !kept[1] && kept[2], "NaN in the middle: kept %d %d %d", kept[0], kept[1], kept[2]);
    run_queue((double[]){0.5, 1.0, NAN}, 3, 2, 1, kept);
    CHECK_MSG(kept[0] && kept[1] && !kept[2], "NaN last: kept %d %d %d", kept[0], kept[1], kept[2]);
    run_queue((double[]){NAN, 0.5, NAN, 1.0}, 4, 1, 0, kept);  // both NaN go (the earlier first), then 1.0
    CHECK_MSG(!kept[0] && kept[1] && !kept[2] && !kept[3], "two NaN: kept %d %d %d %d", kept[0], kept[1], kept[2],
              kept[3]);
}

int main(void) {
    RUN_TEST(test_streaming);
    RUN_TEST(test_snapkv);
    RUN_TEST(test_h2o);
    RUN_TEST(test_pyramid_budgets);
    RUN_TEST(test_pyramidkv);
    RUN_TEST(test_chunk_context);
    RUN_TEST(test_calibration_by_hand);
    RUN_TEST(test_calibration_equalised_by_hand);
    RUN_TEST(test_chunk_queue);
    return test_summary();
}
