// Attention pattern classifier on hand-made distributions whose labels and features are known.
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/classify/attn_classify.h"
#include "bench/base/error.h"
#include "tests/test.h"

// Heap rows of exactly `keys` floats, so ASan catches any read past the end.
static float *row_alloc(int keys) { return calloc((size_t)keys, sizeof(float)); }
static void fill(float *p, int lo, int hi, double total_mass) {
    for (int i = lo; i < hi; i++) p[i] = (float)(total_mass / (hi - lo));
}
static void gaussian(float *p, int keys, double centre, double sigma) {
    for (int i = 0; i < keys; i++) p[i] = (float)exp(-0.5 * (i - centre) * (i - centre) / (sigma * sigma));
}

// Computes features with the default thresholds and returns the label; -1 on an unexpected error.
static int label_of(const float *p, int keys, const int32_t *starts, int n_starts, attn_features *f,
                    double *start_mass) {
    attn_thresholds t;
    attn_thresholds_default(&t);
    if (attn_features_compute(p, keys, starts, n_starts, &t, f, start_mass)) {
        fprintf(stderr, "  unexpected error: %s\n", pcb_last_error());
        return -1;
    }
    return attn_classify(f, &t);
}

#define CHECK_LABEL(got, want) \
    CHECK_MSG((got) == (want), "label %s, want %s", attn_class_name((attn_class)(got)), attn_class_name(want))

static void test_class_names(void) {
    const char *names[] = {"other", "u-shaped", "peak", "uniform", "multi-sink"};
    for (int c = 0; c < ATTN_CLASS_COUNT; c++) {
        CHECK(strcmp(attn_class_name((attn_class)c), names[c]) == 0);
        attn_class back = ATTN_CLASS_COUNT;
        CHECK(attn_class_parse(names[c], &back) == 0 && back == (attn_class)c);
    }
    attn_class out;
    CHECK(attn_class_parse("mountain", &out) == -1);
    CHECK(strstr(pcb_last_error(), "mountain") != NULL);
}

static void test_uniform(void) {
    int keys = 2000;
    float *p = row_alloc(keys);
    fill(p, 0, keys, keys);  // 1.0 per slot: every mass below is an exact ratio
    attn_features f;
    CHECK_LABEL(label_of(p, keys, NULL, 0, &f, NULL), ATTN_UNIFORM);
    CHECK(f.edge == 100 && f.bins == 32);
    CHECK_NEAR(f.entropy, 1.0, 1e-4);  // bins of 62 and 63 slots: not exactly 1
    CHECK_NEAR(f.sink_mass, 0.05, 1e-12);
    CHECK_NEAR(f.recent_mass, 0.05, 1e-12);
    CHECK_NEAR(f.middle_mass, 0.90, 1e-12);
    CHECK_NEAR(f.peak_width, 0.5, 1e-12);  // 1000 of 2000 slots hold half the mass
    free(p);
}

static void test_u_shaped(void) {
    int keys = 2000;
    float *p = row_alloc(keys);
    fill(p, 0, 100, 0.3);
    fill(p, 100, 1900, 0.4);
    fill(p, 1900, 2000, 0.3);
    attn_features f;
    CHECK_LABEL(label_of(p, keys, NULL, 0, &f, NULL), ATTN_U_SHAPED);
    CHECK_NEAR(f.sink_mass, 0.3, 1e-6);
    CHECK_NEAR(f.recent_mass, 0.3, 1e-6);
    CHECK_NEAR(f.middle_mass, 0.4, 1e-6);
    CHECK(f.entropy < 0.9);
    free(p);
}

static void test_peak_in_middle(void) {
    int keys = 2000;
    float *p = row_alloc(keys);
    gaussian(p, keys, 1000, 0.01 * keys);
    attn_features f;
    CHECK_LABEL(label_of(p, keys, NULL, 0, &f, NULL), ATTN_PEAK);
    CHECK(f.max_bin_in_middle);
    CHECK_NEAR(f.peak_pos, 0.5, 2e-3);
    // Half a Gaussian's mass lies within +-0.674 sigma: about 27 of 2000 slots.
    CHECK_NEAR(f.peak_width, 27.0 / keys, 2.0 / keys);
    CHECK_NEAR(f.max_bin_pos, 0.5, 0.02);
    free(p);
}

static void test_bump_at_start_is_not_peak(void) {
    int keys = 2000;
    float *p = row_alloc(keys);
    gaussian(p, keys, 40, 10);  // inside the first w = 100 slots
    attn_features f;
    int label = label_of(p, keys, NULL, 0, &f, NULL);
    CHECK(label != ATTN_PEAK);
    CHECK_LABEL(label, ATTN_OTHER);  // recent mass ~0, so not U-shaped either
    CHECK(!f.max_bin_in_middle);
    CHECK(f.peak_width <= 0.1);  // narrow enough: only its place keeps it from being a peak
    CHECK(f.sink_mass > 0.99);
    free(p);
}

// 0.6 on slots 40..44 of 100, 0.4 spread over the other 95: worked by hand.
static void test_peak_hand_worked(void) {
    int keys = 100;
    float *p = row_alloc(keys);
    fill(p, 0, 40, 0.4 * 40 / 95);
    fill(p, 45, 100, 0.4 * 55 / 95);
    fill(p, 40, 45, 0.6);
    attn_features f;
    CHECK_LABEL(label_of(p, keys, NULL, 0, &f, NULL), ATTN_PEAK);
    CHECK(f.edge == 5);                     // round(0.05 * 100)
    CHECK_NEAR(f.peak_width, 0.05, 1e-12);  // 4 slots hold 0.48 + 0.004 < 0.5, 5 slots hold 0.6
    CHECK_NEAR(f.peak_pos, 0.425, 1e-12);   // window [40, 45)
    // Bin 13 = slots [ceil(13*100/32), ceil(14*100/32)) = [41, 44): 0.36, the heaviest.
    CHECK_NEAR(f.max_bin_pos, 0.425, 1e-12);
    CHECK(f.max_bin_in_middle);
    CHECK_NEAR(f.sink_mass, 5 * 0.4 / 95, 1e-7);
    free(p);
}

// 64 keys in 32 bins of 2 slots; mass flat on the first 32 slots = 16 bins: entropy log 16 / log 32.
static void test_entropy_half_bins(void) {
    int keys = 64;
    float *p = row_alloc(keys);
    fill(p, 0, 32, 32);
    attn_features f;
    CHECK(label_of(p, keys, NULL, 0, &f, NULL) >= 0);
    CHECK(f.bins == 32 && f.edge == 3);  // w = round(0.05 * 64) = 3
    CHECK_NEAR(f.entropy, 0.8, 1e-12);
    CHECK_NEAR(f.sink_mass, 3.0 / 32, 1e-12);
    CHECK_NEAR(f.recent_mass, 0.0, 1e-12);
    CHECK_NEAR(f.middle_mass, 29.0 / 32, 1e-12);
    CHECK_NEAR(f.max_bin_pos, 1.0 / 64, 1e-12);  // all bins tie: the first, slots [0, 2)
    CHECK_NEAR(f.peak_width, 0.25, 1e-12);       // 16 slots hold 0.5
    CHECK_NEAR(f.peak_pos, 0.125, 1e-12);        // first of the equal windows: [0, 16)
    // Renormalisation: scaling the row changes nothing.
    for (int i = 0; i < keys; i++) p[i] *= 3.7f;
    attn_features g;
    CHECK(label_of(p, keys, NULL, 0, &g, NULL) >= 0);
    CHECK_NEAR(g.entropy, f.entropy, 1e-12);
    CHECK_NEAR(g.sink_mass, f.sink_mass, 1e-12);
    CHECK_NEAR(g.peak_width, f.peak_width, 1e-12);
    free(p);
}

static const int32_t four_starts[4] = {0, 500, 1000, 1500};

// Four chunk starts, each with `per_start` of the mass on its first 4 slots, the rest flat.
static float *chunk_start_row(int keys, double per_start) {
    float *p = row_alloc(keys);
    double flat = (1.0 - 4 * per_start) / (keys - 16);
    for (int i = 0; i < keys; i++) p[i] = (float)flat;
    for (int c = 0; c < 4; c++) fill(p, four_starts[c], four_starts[c] + 4, per_start);
    return p;
}

static void test_multi_sink(void) {
    int keys = 2000;
    float *p = chunk_start_row(keys, 0.15);
    attn_features f;
    double mass[4];
    CHECK_LABEL(label_of(p, keys, four_starts, 4, &f, mass), ATTN_MULTI_SINK);
    CHECK(f.n_chunk_starts == 4 && f.hot_chunk_starts == 4);
    for (int c = 0; c < 4; c++) CHECK_NEAR(mass[c], 0.15, 1e-6);
    CHECK_NEAR(f.max_chunk_start_mass, 0.15, 1e-6);
    free(p);
}

static void test_weak_chunk_starts_not_multi_sink(void) {
    int keys = 2000;
    float *p = chunk_start_row(keys, 0.01);
    attn_features f;
    double mass[4];
    int label = label_of(p, keys, four_starts, 4, &f, mass);
    CHECK(label != ATTN_MULTI_SINK);
    CHECK_LABEL(label, ATTN_UNIFORM);  // otherwise nearly flat
    CHECK(f.hot_chunk_starts == 0);
    for (int c = 0; c < 4; c++) CHECK_NEAR(mass[c], 0.01, 1e-7);
    free(p);
}

// Relabel stored features with a lower chunk_start_mass: the per-start masses make it multi-sink.
static void test_classify_masses_reapplies_start_mass(void) {
    int keys = 2000;
    float *p = chunk_start_row(keys, 0.01);
    attn_features f;
    double mass[4];
    CHECK(label_of(p, keys, four_starts, 4, &f, mass) == ATTN_UNIFORM);
    attn_thresholds t;
    attn_thresholds_default(&t);
    CHECK_LABEL(attn_classify_masses(&f, mass, &t), ATTN_UNIFORM);  // defaults: same as attn_classify
    CHECK(attn_thresholds_set(&t, "chunk_start_mass", "0.005") == 0);
    CHECK_LABEL(attn_classify_masses(&f, mass, &t), ATTN_MULTI_SINK);
    CHECK_LABEL(attn_classify(&f, &t), ATTN_UNIFORM);            // stored hot count is from compute time
    CHECK(attn_thresholds_set(&t, "multi_sink_min", "5") == 0);  // only 4 starts
    CHECK_LABEL(attn_classify_masses(&f, mass, &t), ATTN_UNIFORM);
    free(p);
}

// Hot first chunk start + recent mass: both multi-sink and U-shaped; multi-sink wins.
static void test_tie_multi_sink_over_u_shaped(void) {
    int keys = 2000;
    float *p = row_alloc(keys);
    fill(p, 0, keys, 0.3);
    fill(p, 0, 4, 0.3);
    fill(p, 1000, 1004, 0.1);
    fill(p, 1900, 2000, 0.3);
    int32_t starts[2] = {0, 1000};
    attn_features f;
    attn_thresholds t;
    attn_thresholds_default(&t);
    CHECK_LABEL(label_of(p, keys, starts, 2, &f, NULL), ATTN_MULTI_SINK);
    CHECK(f.hot_chunk_starts == 2);
    CHECK(f.sink_mass + f.recent_mass >= t.u_total && f.sink_mass >= t.u_each && f.recent_mass >= t.u_each);
    t.multi_sink_min = 3;  // without the multi-sink condition it is U-shaped
    CHECK_LABEL(attn_classify(&f, &t), ATTN_U_SHAPED);
    free(p);
}

// U-shaped and uniform at once: possible when the edge regions are a large share of the keys
// (short rows under the defaults, or a wide edge), since the ends then need no sharp spike.
static void test_tie_u_shaped_over_uniform(void) {
    attn_thresholds t;
    attn_thresholds_default(&t);
    attn_features f;

    // keys = 5: w = 1, one bin per key; {0.3, 0.4/3 x3, 0.3} has entropy ~0.950.
    float *p = row_alloc(5);
    fill(p, 0, 1, 0.3), fill(p, 1, 4, 0.4), fill(p, 4, 5, 0.3);
    CHECK_LABEL(label_of(p, 5, NULL, 0, &f, NULL), ATTN_U_SHAPED);
    CHECK(f.entropy >= t.uniform_entropy);
    CHECK_NEAR(f.entropy, 0.949614, 1e-5);
    free(p);

    // 2000 keys with w = 400: 0.3 | 0.4 | 0.3 over 400 | 1200 | 400 slots, entropy ~0.978.
    CHECK(attn_thresholds_set(&t, "edge_width", "400") == 0);
    CHECK(attn_thresholds_set(&t, "edge_fraction", "0.2") == 0);
    p = row_alloc(2000);
    fill(p, 0, 400, 0.3), fill(p, 400, 1600, 0.4), fill(p, 1600, 2000, 0.3);
    CHECK(attn_features_compute(p, 2000, NULL, 0, &t, &f, NULL) == 0);
    CHECK(f.edge == 400);
    CHECK_LABEL(attn_classify(&f, &t), ATTN_U_SHAPED);
    CHECK(f.entropy >= t.uniform_entropy);
    t.u_total = 0.7;  // drop the U condition: uniform shows through
    CHECK_LABEL(attn_classify(&f, &t), ATTN_UNIFORM);
    free(p);
}

// Peak and uniform at once: also possible, narrowly. A 10% window is 3.2 bin widths and can touch
// 5 bins; spikes on the window's two end slots let 5 bins hold ~0.1 each, the rest spread over 27
// bins: entropy ~0.905 >= 0.9 while 302 of 3200 slots hold 0.505. Peak wins.
static void test_tie_peak_over_uniform(void) {
    int keys = 3200;  // 32 bins of 100 slots
    float *p = row_alloc(keys);
    fill(p, 0, 1000, 0.495 * 1000 / 2700);
    fill(p, 1500, 3200, 0.495 * 1700 / 2700);
    fill(p, 1099, 1100, 0.101);
    fill(p, 1100, 1400, 0.303);
    fill(p, 1400, 1401, 0.101);
    attn_features f;
    attn_thresholds t;
    attn_thresholds_default(&t);
    CHECK_LABEL(label_of(p, keys, NULL, 0, &f, NULL), ATTN_PEAK);
    CHECK(f.max_bin_in_middle);
    CHECK_NEAR(f.peak_width, 302.0 / keys, 1e-12);
    CHECK_NEAR(f.entropy, 0.905234, 1e-5);
    CHECK(f.entropy >= t.uniform_entropy);
    t.peak_window = 0.05;
    CHECK_LABEL(attn_classify(&f, &t), ATTN_UNIFORM);
    free(p);
}

static void test_short_key_sets(void) {
    attn_features f;
    double *mass = malloc(3 * sizeof(double));
    int32_t *starts = malloc(3 * sizeof(int32_t));

    float *p = row_alloc(1);  // keys = 1: all sink, no entropy, no middle
    p[0] = 0.7f;
    starts[0] = 0;
    CHECK_LABEL(label_of(p, 1, starts, 1, &f, mass), ATTN_OTHER);
    CHECK(f.edge == 1 && f.bins == 1 && !f.max_bin_in_middle);
    CHECK_NEAR(f.sink_mass, 1.0, 1e-12);
    CHECK_NEAR(f.recent_mass, 0.0, 1e-12);
    CHECK_NEAR(f.middle_mass, 0.0, 1e-12);
    CHECK_NEAR(f.entropy, 0.0, 1e-12);
    CHECK_NEAR(f.peak_width, 1.0, 1e-12);
    CHECK_NEAR(f.peak_pos, 0.5, 1e-12);
    CHECK_NEAR(mass[0], 1.0, 1e-12);
    free(p);

    p = row_alloc(2);  // keys = 2: one sink slot, one recent slot
    p[0] = 0.25f, p[1] = 0.75f;
    CHECK_LABEL(label_of(p, 2, NULL, 0, &f, NULL), ATTN_U_SHAPED);
    CHECK(f.edge == 1 && f.bins == 2);
    CHECK_NEAR(f.sink_mass, 0.25, 1e-12);
    CHECK_NEAR(f.recent_mass, 0.75, 1e-12);
    CHECK_NEAR(f.entropy, -(0.25 * log(0.25) + 0.75 * log(0.75)) / log(2), 1e-12);
    CHECK_NEAR(f.peak_width, 0.5, 1e-12);
    CHECK_NEAR(f.peak_pos, 0.75, 1e-12);
    free(p);

    p = row_alloc(5);  // keys = 5, starts cut by the next start and by the end of the cache
    fill(p, 0, 5, 5);
    starts[0] = 0, starts[1] = 2, starts[2] = 4;
    CHECK_LABEL(label_of(p, 5, starts, 3, &f, mass), ATTN_MULTI_SINK);
    CHECK(f.edge == 1 && f.bins == 5 && f.hot_chunk_starts == 3);
    CHECK_NEAR(mass[0], 0.4, 1e-12);
    CHECK_NEAR(mass[1], 0.4, 1e-12);
    CHECK_NEAR(mass[2], 0.2, 1e-12);
    CHECK_NEAR(f.entropy, 1.0, 1e-12);
    free(p);

    p = row_alloc(31);  // keys = 31: w = round(1.55) = 2, one bin per key
    fill(p, 0, 31, 31);
    CHECK_LABEL(label_of(p, 31, NULL, 0, &f, NULL), ATTN_UNIFORM);
    CHECK(f.edge == 2 && f.bins == 31);
    CHECK_NEAR(f.sink_mass, 2.0 / 31, 1e-12);
    CHECK_NEAR(f.recent_mass, 2.0 / 31, 1e-12);
    CHECK_NEAR(f.entropy, 1.0, 1e-12);
    CHECK_NEAR(f.peak_width, 16.0 / 31, 1e-12);
    free(p);

    // Every length 1..80 with random rows (some zeros) and random starts: invariants hold, and
    // ASan sees every read.
    uint64_t rng = 99;
    for (int keys = 1; keys <= 80; keys++) {
        p = row_alloc(keys);
        for (int i = 0; i < keys; i++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            p[i] = (rng >> 61) ? (float)((rng >> 40) & 0xffff) : 0.0f;
        }
        p[keys - 1] += 1.0f;  // never all zero
        int n = 0;
        for (int s = 0; s < keys && n < 3; s += 1 + keys / 3) starts[n++] = s;
        int label = label_of(p, keys, starts, n, &f, mass);
        CHECK_MSG(label >= 0 && label < ATTN_CLASS_COUNT, "keys %d", keys);
        CHECK_NEAR(f.sink_mass + f.middle_mass + f.recent_mass, 1.0, 1e-12);
        CHECK_MSG(f.entropy >= 0 && f.entropy <= 1, "keys %d: entropy %g", keys, f.entropy);
        CHECK_MSG(f.peak_width > 0 && f.peak_width <= 1, "keys %d: peak width %g", keys, f.peak_width);
        CHECK_MSG(f.peak_pos > 0 && f.peak_pos < 1, "keys %d: peak pos %g", keys, f.peak_pos);
        CHECK_MSG(f.max_bin_pos > 0 && f.max_bin_pos < 1, "keys %d: max bin pos %g", keys, f.max_bin_pos);
        free(p);
    }
    free(mass), free(starts);
}

#define CHECK_FAILS_WITH(call, ...)                                                                          \
    do {                                                                                                     \
        pcb_clear_error();                                                                                   \
        CHECK((call) == -1);                                                                                 \
        const char *want_[] = {__VA_ARGS__};                                                                 \
        for (size_t k_ = 0; k_ < sizeof want_ / sizeof want_[0]; k_++)                                       \
            CHECK_MSG(strstr(pcb_last_error(), want_[k_]), "'%s' not in '%s'", want_[k_], pcb_last_error()); \
    } while (0)

static void test_errors(void) {
    attn_thresholds t;
    attn_thresholds_default(&t);
    attn_features f;
    float *p = row_alloc(10);
    fill(p, 0, 10, 1);
    int32_t starts[3] = {0, 4, 8};

    CHECK_FAILS_WITH(attn_features_compute(p, 0, NULL, 0, &t, &f, NULL), "keys", "0");
    CHECK_FAILS_WITH(attn_features_compute(p, -3, NULL, 0, &t, &f, NULL), "keys", "-3");
    float *zero = row_alloc(10);
    CHECK_FAILS_WITH(attn_features_compute(zero, 10, NULL, 0, &t, &f, NULL), "all zero");
    free(zero);

    p[3] = NAN;
    CHECK_FAILS_WITH(attn_features_compute(p, 10, NULL, 0, &t, &f, NULL), "index 3", "NaN");
    p[3] = INFINITY;
    CHECK_FAILS_WITH(attn_features_compute(p, 10, NULL, 0, &t, &f, NULL), "index 3", "infinite");
    p[3] = 0.1f, p[2] = -0.01f;
    CHECK_FAILS_WITH(attn_features_compute(p, 10, NULL, 0, &t, &f, NULL), "index 2", "negative");
    p[2] = 0.1f;
    CHECK(attn_features_compute(p, 10, starts, 3, &t, &f, NULL) == 0);

    starts[2] = 10;
    CHECK_FAILS_WITH(attn_features_compute(p, 10, starts, 3, &t, &f, NULL), "chunk start 2", "out of range");
    starts[2] = -1;
    CHECK_FAILS_WITH(attn_features_compute(p, 10, starts, 3, &t, &f, NULL), "chunk start 2", "out of range");
    starts[2] = 4;
    CHECK_FAILS_WITH(attn_features_compute(p, 10, starts, 3, &t, &f, NULL), "not increasing", "start 2");

    t.entropy_bins = 0;  // a hand-filled struct that bypassed set()
    CHECK_FAILS_WITH(attn_features_compute(p, 10, NULL, 0, &t, &f, NULL), "entropy_bins");
    free(p);
}

static void test_thresholds_default(void) {
    attn_thresholds t;
    attn_thresholds_default(&t);
    CHECK(t.entropy_bins == 32);
    CHECK(t.edge_width == 100);
    CHECK(t.edge_fraction == 0.05);
    CHECK(t.peak_window == 0.10);
    CHECK(t.chunk_start_width == 4);
    CHECK(t.uniform_entropy == 0.9);
    CHECK(t.u_total == 0.5);
    CHECK(t.u_each == 0.1);
    CHECK(t.peak_mass == 0.5);
    CHECK(t.chunk_start_mass == 0.05);
    CHECK(t.multi_sink_min == 2);
}

static void test_thresholds_set(void) {
    attn_thresholds t;
    attn_thresholds_default(&t);
    CHECK(attn_thresholds_set(&t, "uniform_entropy", "0.85") == 0 && t.uniform_entropy == 0.85);
    CHECK(attn_thresholds_set(&t, "entropy_bins", "64") == 0 && t.entropy_bins == 64);
    CHECK(attn_thresholds_set(&t, "u_each", "0") == 0 && t.u_each == 0);
    CHECK(attn_thresholds_set(&t, "peak_mass", "1") == 0 && t.peak_mass == 1);

    CHECK_FAILS_WITH(attn_thresholds_set(&t, "uniform_entropyy", "0.5"), "uniform_entropyy", "unknown");
    CHECK_FAILS_WITH(attn_thresholds_set(&t, "uniform_entropy", "1.5"), "uniform_entropy", "range");
    CHECK_FAILS_WITH(attn_thresholds_set(&t, "u_total", "-0.1"), "u_total", "range");
    CHECK_FAILS_WITH(attn_thresholds_set(&t, "u_total", "nan"), "u_total", "range");
    CHECK_FAILS_WITH(attn_thresholds_set(&t, "multi_sink_min", "0"), "multi_sink_min", "range");
    CHECK_FAILS_WITH(attn_thresholds_set(&t, "peak_window", "0.1x"), "peak_window", "malformed");
    CHECK_FAILS_WITH(attn_thresholds_set(&t, "peak_window", ""), "peak_window", "malformed");
    CHECK_FAILS_WITH(attn_thresholds_set(&t, "chunk_start_width", "2.5"), "chunk_start_width", "malformed");
    CHECK_FAILS_WITH(attn_thresholds_set(&t, "edge_width", "99999999999999"), "edge_width");
    // Failed sets leave the value alone.
    CHECK(t.uniform_entropy == 0.85 && t.u_total == 0.5 && t.multi_sink_min == 2 && t.peak_window == 0.10);
}

// A linear ramp over 2000 keys: entropy ~0.945, uniform by default; stricter 0.99 relabels it.
static void test_reapply_stricter_uniform(void) {
    int keys = 2000;
    float *p = row_alloc(keys);
    for (int i = 0; i < keys; i++) p[i] = (float)(i + 1);
    attn_features f;
    CHECK_LABEL(label_of(p, keys, NULL, 0, &f, NULL), ATTN_UNIFORM);
    CHECK_NEAR(f.entropy, 0.944539, 1e-5);
    const attn_features stored = f;
    attn_thresholds t;
    attn_thresholds_default(&t);
    CHECK(attn_thresholds_set(&t, "uniform_entropy", "0.99") == 0);
    CHECK_LABEL(attn_classify(&stored, &t), ATTN_OTHER);
    attn_thresholds_default(&t);  // and back: the stored features were never recomputed
    CHECK_LABEL(attn_classify(&stored, &t), ATTN_UNIFORM);
    free(p);
}

static void test_thresholds_format_roundtrip(void) {
    attn_thresholds t;
    attn_thresholds_default(&t);
    char buf[512];
    CHECK(attn_thresholds_format(&t, buf, sizeof buf) == 0);
    CHECK_MSG(strcmp(buf,
                     "entropy_bins=32,edge_width=100,edge_fraction=0.05,peak_window=0.1,chunk_start_width=4,"
                     "uniform_entropy=0.9,u_total=0.5,u_each=0.1,peak_mass=0.5,chunk_start_mass=0.05,"
                     "multi_sink_min=2") == 0,
              "%s", buf);

    // Awkward values (1/3 needs 17 digits) must read back exactly.
    t.entropy_bins = 17, t.edge_width = 7, t.edge_fraction = 1.0 / 3, t.peak_window = 0.125;
    t.chunk_start_width = 9, t.uniform_entropy = 0.875, t.u_total = 0.61, t.u_each = 1e-7;
    t.peak_mass = 0.55, t.chunk_start_mass = 0.0123, t.multi_sink_min = 5;
    CHECK(attn_thresholds_format(&t, buf, sizeof buf) == 0);
    attn_thresholds back;
    attn_thresholds_default(&back);
    char copy[512];
    strcpy(copy, buf);
    for (char *pair = strtok(copy, ","); pair; pair = strtok(NULL, ",")) {
        char *eq = strchr(pair, '=');
        CHECK(eq != NULL);
        if (!eq) break;
        *eq = 0;
        CHECK_MSG(attn_thresholds_set(&back, pair, eq + 1) == 0, "%s", pcb_last_error());
    }
    CHECK(back.entropy_bins == t.entropy_bins && back.edge_width == t.edge_width);
    CHECK(back.edge_fraction == t.edge_fraction && back.peak_window == t.peak_window);
    CHECK(back.chunk_start_width == t.chunk_start_width && back.uniform_entropy == t.uniform_entropy);
    CHECK(back.u_total == t.u_total && back.u_each == t.u_each && back.peak_mass == t.peak_mass);
    CHECK(back.chunk_start_mass == t.chunk_start_mass && back.multi_sink_min == t.multi_sink_min);

    char small[16];
    CHECK_FAILS_WITH(attn_thresholds_format(&t, small, sizeof small), "16 bytes");
    CHECK(strlen(small) < sizeof small);
}

int main(void) {
    RUN_TEST(test_class_names);
    RUN_TEST(test_uniform);
    RUN_TEST(test_u_shaped);
    RUN_TEST(test_peak_in_middle);
    RUN_TEST(test_bump_at_start_is_not_peak);
    RUN_TEST(test_peak_hand_worked);
    RUN_TEST(test_entropy_half_bins);
    RUN_TEST(test_multi_sink);
    RUN_TEST(test_weak_chunk_starts_not_multi_sink);
    RUN_TEST(test_classify_masses_reapplies_start_mass);
    RUN_TEST(test_tie_multi_sink_over_u_shaped);
    RUN_TEST(test_tie_u_shaped_over_uniform);
    RUN_TEST(test_tie_peak_over_uniform);
    RUN_TEST(test_short_key_sets);
    RUN_TEST(test_errors);
    RUN_TEST(test_thresholds_default);
    RUN_TEST(test_thresholds_set);
    RUN_TEST(test_reapply_stricter_uniform);
    RUN_TEST(test_thresholds_format_roundtrip);
    return test_summary();
}
