#include "analysis/classify/attn_classify.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"

// ----------------------------------------------------------------------------
// class names

static const char *class_names[ATTN_CLASS_COUNT] = {"other", "u-shaped", "peak", "uniform", "multi-sink"};

const char *attn_class_name(attn_class c) { return (c >= 0 && c < ATTN_CLASS_COUNT) ? class_names[c] : "?"; }

int attn_class_parse(const char *name, attn_class *out) {
    for (int c = 0; name && c < ATTN_CLASS_COUNT; c++)
        if (strcmp(name, class_names[c]) == 0) {
            *out = (attn_class)c;
            return 0;
        }
    return pcb_fail("unknown attention class '%s' (expected other, u-shaped, peak, uniform or multi-sink)",
                    name ? name : "(null)");
}

// ----------------------------------------------------------------------------
// thresholds: one table drives set, format and validation, so the three never disagree

typedef enum { FIELD_COUNT, FIELD_FRACTION } field_kind;  // counts >= 1, fractions in [0,1]
typedef struct {
    const char *name;
    field_kind kind;
    size_t offset;
} threshold_field;

#define FIELD(name, kind) \
    { #name, kind, offsetof(attn_thresholds, name) }
static const threshold_field fields[] = {
    FIELD(entropy_bins, FIELD_COUNT),      FIELD(edge_width, FIELD_COUNT),
    FIELD(edge_fraction, FIELD_FRACTION),  FIELD(peak_window, FIELD_FRACTION),
    FIELD(chunk_start_width, FIELD_COUNT), FIELD(uniform_entropy, FIELD_FRACTION),
    FIELD(u_total, FIELD_FRACTION),        FIELD(u_each, FIELD_FRACTION),
    FIELD(peak_mass, FIELD_FRACTION),      FIELD(chunk_start_mass, FIELD_FRACTION),
    FIELD(multi_sink_min, FIELD_COUNT),
};
#undef FIELD
#define N_FIELDS ((int)(sizeof fields / sizeof fields[0]))

static int *field_int(attn_thresholds *t, const threshold_field *f) { return (int *)((char *)t + f->offset); }
static double *field_double(attn_thresholds *t, const threshold_field *f) { return (double *)((char *)t + f->offset); }
static int get_int(const attn_thresholds *t, const threshold_field *f) {
    return *(const int *)((const char *)t + f->offset);
}
static double get_double(const attn_thresholds *t, const threshold_field *f) {
    return *(const double *)((const char *)t + f->offset);
}

void attn_thresholds_default(attn_thresholds *t) {
    *t = (attn_thresholds){
        .entropy_bins = 32,
        .edge_width = 100,
        .edge_fraction = 0.05,
        .peak_window = 0.10,
        .chunk_start_width = 4,
        .uniform_entropy = 0.9,
        .u_total = 0.5,
        .u_each = 0.1,
        .peak_mass = 0.5,
        .chunk_start_mass = 0.05,
        .multi_sink_min = 2,
    };
}

int attn_thresholds_set(attn_thresholds *t, const char *key, const char *value) {
    const threshold_field *f = NULL;
    for (int i = 0; key && i < N_FIELDS; i++)
        if (strcmp(key, fields[i].name) == 0) f = &fields[i];
    if (!f) return pcb_fail("unknown attention threshold '%s'", key ? key : "(null)");
    // Strict parsing: no empty string, no leading blanks, no trailing junk.
    if (!value || !*value || value[0] == ' ' || value[0] == '\t')
        return pcb_fail("attention threshold %s: malformed number '%s'", key, value ? value : "(null)");
    char *end;
    errno = 0;
    if (f->kind == FIELD_COUNT) {
        long v = strtol(value, &end, 10);
        if (*end || errno) return pcb_fail("attention threshold %s: malformed integer '%s'", key, value);
        if (v < 1 || v > INT_MAX)
            return pcb_fail("attention threshold %s: %s is out of range (must be >= 1)", key, value);
        *field_int(t, f) = (int)v;
    } else {
        double v = strtod(value, &end);
        if (*end || errno) return pcb_fail("attention threshold %s: malformed number '%s'", key, value);
        if (!(v >= 0.0 && v <= 1.0))  // also rejects NaN
            return pcb_fail("attention threshold %s: %s is out of range (must be in [0, 1])", key, value);
        *field_double(t, f) = v;
    }
    return 0;
}

// Shortest "%.Ng" that reads back to the same double, so stored thresholds stay readable ("0.1").
static void format_double(char *out, size_t size, double v) {
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(out, size, "%.*g", digits, v);
        if (strtod(out, NULL) == v) return;
    }
}

int attn_thresholds_format(const attn_thresholds *t, char *buf, size_t size) {
    size_t used = 0;
    int fits = size > 0;
    if (fits) buf[0] = 0;
    for (int i = 0; i < N_FIELDS && fits; i++) {
        char num[32];
        if (fields[i].kind == FIELD_COUNT) snprintf(num, sizeof num, "%d", get_int(t, &fields[i]));
        else format_double(num, sizeof num, get_double(t, &fields[i]));
        int n = snprintf(buf + used, size - used, "%s%s=%s", i ? "," : "", fields[i].name, num);
        if (n < 0 || (size_t)n >= size - used) fits = 0;
        else used += (size_t)n;
    }
    return fits ? 0 : pcb_fail("attention thresholds do not fit in %zu bytes", size);
}

// Hand-filled structs bypass set(), so compute() re-checks ranges before it divides or indexes.
static int thresholds_check(const attn_thresholds *t) {
    for (int i = 0; i < N_FIELDS; i++) {
        if (fields[i].kind == FIELD_COUNT) {
            int v = get_int(t, &fields[i]);
            if (v < 1) return pcb_fail("attention threshold %s: %d is out of range (must be >= 1)", fields[i].name, v);
        } else {
            double v = get_double(t, &fields[i]);
            if (!(v >= 0.0 && v <= 1.0))
                return pcb_fail("attention threshold %s: %g is out of range (must be in [0, 1])", fields[i].name, v);
        }
    }
    return 0;
}

// ----------------------------------------------------------------------------
// features

// Bin b holds slots i with floor(i*bins/keys) == b, i.e. [first_slot_of_bin(b), first_slot_of_bin(b+1)).
static int first_slot_of_bin(int b, int bins, int keys) { return (int)(((int64_t)b * keys + bins - 1) / bins); }

int attn_features_compute(const float *p, int keys, const int32_t *chunk_starts, int n_chunk_starts,
                          const attn_thresholds *t, attn_features *f, double *start_mass) {
    attn_thresholds defaults;
    if (!t) attn_thresholds_default(&defaults), t = &defaults;
    if (keys <= 0) return pcb_fail("attention distribution: keys must be positive (got %d)", keys);
    if (!p || !f) return pcb_fail("attention distribution: no data");
    if (n_chunk_starts < 0) return pcb_fail("attention distribution: negative chunk start count %d", n_chunk_starts);
    if (n_chunk_starts > 0 && !chunk_starts)
        return pcb_fail("attention distribution: %d chunk starts but no array", n_chunk_starts);
    if (thresholds_check(t)) return -1;
    for (int i = 0; i < keys; i++) {
        if (isnan(p[i])) return pcb_fail("attention value at index %d is NaN", i);
        if (isinf(p[i])) return pcb_fail("attention value at index %d is infinite", i);
        if (p[i] < 0) return pcb_fail("attention value at index %d is negative (%g)", i, (double)p[i]);
    }
    for (int c = 0; c < n_chunk_starts; c++) {
        if (chunk_starts[c] < 0 || chunk_starts[c] >= keys)
            return pcb_fail("chunk start %d is slot %d, out of range [0, %d)", c, (int)chunk_starts[c], keys);
        if (c > 0 && chunk_starts[c] <= chunk_starts[c - 1])
            return pcb_fail("chunk starts not increasing: start %d is slot %d after slot %d", c, (int)chunk_starts[c],
                            (int)chunk_starts[c - 1]);
    }

    // Prefix sums in double: every mass below is a difference of two, so float rounding never piles up.
    double *prefix = pcb_malloc(sizeof(double) * ((size_t)keys + 1));
    prefix[0] = 0;
    for (int i = 0; i < keys; i++) prefix[i + 1] = prefix[i] + p[i];
    double total = prefix[keys];
    if (!(total > 0)) {
        free(prefix);
        return pcb_fail("attention distribution is all zero (%d keys)", keys);
    }
#define MASS(lo, hi) ((prefix[hi] - prefix[lo]) / total)  // normalised mass of slots [lo, hi)

    memset(f, 0, sizeof *f);
    f->keys = keys;

    // Edges: w slots each end; the recent region never overlaps the sink region.
    long scaled = lround(t->edge_fraction * keys);
    int w = (int)(scaled < 1 ? 1 : scaled);
    if (w > t->edge_width) w = t->edge_width;
    if (w > keys) w = keys;
    int recent_lo = keys - w > w ? keys - w : w;
    f->edge = w;
    f->sink_mass = MASS(0, w);
    f->middle_mass = MASS(w, recent_lo);
    f->recent_mass = MASS(recent_lo, keys);

    // Entropy over position bins, and the heaviest bin (first one on ties).
    int bins = t->entropy_bins < keys ? t->entropy_bins : keys;
    f->bins = bins;
    double entropy = 0, max_bin = -1;
    int max_lo = 0, max_hi = keys;
    for (int b = 0; b < bins; b++) {
        int lo = first_slot_of_bin(b, bins, keys), hi = first_slot_of_bin(b + 1, bins, keys);
        double q = MASS(lo, hi);
        if (q > 0) entropy -= q * log(q);
        if (q > max_bin) max_bin = q, max_lo = lo, max_hi = hi;
    }
    entropy = bins >= 2 ? entropy / log((double)bins) : 0;
    f->entropy = fmin(1.0, fmax(0.0, entropy));  // rounding can step just outside [0,1]
    f->max_bin_pos = 0.5 * (max_lo + max_hi) / keys;
    int centre_slot = (max_lo + max_hi - 1) / 2;
    f->max_bin_in_middle = centre_slot >= w && centre_slot < keys - w;

    // Shortest window holding >= peak_mass: two pointers, for each right end the largest left end
    // that still holds enough. Among equally short windows keep the heaviest. The 1e-12 slack keeps
    // exact hand-made cases (a window holding exactly peak_mass) from losing to rounding.
    double target = t->peak_mass - 1e-12;
    int best_lo = 0, best_len = keys;
    double best_mass = 1.0;
    for (int lo = 0, hi = 1; hi <= keys; hi++) {
        while (lo + 1 < hi && MASS(lo + 1, hi) >= target) lo++;
        double m = MASS(lo, hi);
        if (m >= target && (hi - lo < best_len || (hi - lo == best_len && m > best_mass)))
            best_lo = lo, best_len = hi - lo, best_mass = m;
    }
    f->peak_pos = (best_lo + 0.5 * best_len) / keys;
    f->peak_width = (double)best_len / keys;

    // Chunk starts: first s slots of each chunk, cut at the next start and at the end of the cache.
    f->n_chunk_starts = n_chunk_starts;
    for (int c = 0; c < n_chunk_starts; c++) {
        int lo = chunk_starts[c];
        int hi = lo + t->chunk_start_width < keys ? lo + t->chunk_start_width : keys;
        if (c + 1 < n_chunk_starts && hi > chunk_starts[c + 1]) hi = chunk_starts[c + 1];
        double m = MASS(lo, hi);
        if (start_mass) start_mass[c] = m;
        if (m >= t->chunk_start_mass) f->hot_chunk_starts++;
        if (m > f->max_chunk_start_mass) f->max_chunk_start_mass = m;
    }
#undef MASS
    free(prefix);
    return 0;
}

// ----------------------------------------------------------------------------
// labels

static attn_class classify_with_hot(const attn_features *f, int hot, const attn_thresholds *t) {
    if (hot >= t->multi_sink_min) return ATTN_MULTI_SINK;
    if (f->sink_mass + f->recent_mass >= t->u_total && f->sink_mass >= t->u_each && f->recent_mass >= t->u_each)
        return ATTN_U_SHAPED;
    if (f->max_bin_in_middle && f->peak_width <= t->peak_window) return ATTN_PEAK;
    if (f->entropy >= t->uniform_entropy) return ATTN_UNIFORM;
    return ATTN_OTHER;
}

attn_class attn_classify(const attn_features *f, const attn_thresholds *t) {
    return classify_with_hot(f, f->hot_chunk_starts, t);
}

attn_class attn_classify_masses(const attn_features *f, const double *start_mass, const attn_thresholds *t) {
    int hot = 0;
    for (int c = 0; start_mass && c < f->n_chunk_starts; c++) hot += start_mass[c] >= t->chunk_start_mass;
    return classify_with_hot(f, hot, t);
}
