// Attention pattern classes: our operational definitions (DESIGN.md "Attention log and pattern classes").
// The paper names the shapes (U-shaped, peak/mountain, uniform, multi-sink) but gives no formula, so
// every number here is a config value, stored beside each label. Features are computed once from a
// distribution; labels are a cheap function of (features, thresholds) and can be re-applied later.
#ifndef PCB_ATTN_CLASSIFY_H
#define PCB_ATTN_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

typedef enum { ATTN_OTHER, ATTN_U_SHAPED, ATTN_PEAK, ATTN_UNIFORM, ATTN_MULTI_SINK, ATTN_CLASS_COUNT } attn_class;
const char *attn_class_name(attn_class c);                // "other", "u-shaped", "peak", "uniform", "multi-sink"
int attn_class_parse(const char *name, attn_class *out);  // -1 + error if unknown

typedef struct {
    // structural parameters (used to compute features)
    int entropy_bins;  // 32: position bins for the entropy (fewer keys: one bin per key)
    int edge_width;    // w = 100 slots at each end ...
    double
        edge_fraction;  // ... or 5% of the keys when that is smaller: w = min(edge_width, max(1, round(edge_fraction*keys)))
    double peak_window;     // 0.10: the peak window spans at most this fraction of the slots
    int chunk_start_width;  // s = 4: first s slots of a chunk count as its start
    // label thresholds (re-applied to stored features without recomputing them)
    double uniform_entropy;   // 0.9
    double u_total;           // 0.5: sink + recent mass
    double u_each;            // 0.1: each of sink and recent
    double peak_mass;         // 0.5
    double chunk_start_mass;  // 0.05
    int multi_sink_min;       // 2 chunk starts
} attn_thresholds;
void attn_thresholds_default(attn_thresholds *t);
// key=value override by field name above (e.g. "uniform_entropy", "0.85"); -1 + error naming the key
// for an unknown key, a malformed number, or an out-of-range value (fractions in [0,1], counts >= 1).
int attn_thresholds_set(attn_thresholds *t, const char *key, const char *value);
// Writes "key=value" pairs, comma separated, canonical order, into buf (for storing beside labels).
// Numbers are written in the shortest form that reads back exactly. -1 + error if buf is too small
// (buf then holds a truncated, terminated string).
int attn_thresholds_format(const attn_thresholds *t, char *buf, size_t size);

typedef struct {
    int keys, edge, bins;
    double sink_mass, recent_mass, middle_mass;  // first w slots, last w slots, the rest
    double entropy;                              // normalised Shannon entropy over the bins, in [0,1] (0 when bins < 2)
    double max_bin_pos;                          // normalised centre (0..1) of the heaviest bin
    int max_bin_in_middle;                       // heaviest bin's centre slot lies in [w, keys - w)
    double peak_pos;       // normalised centre of the shortest contiguous slot window holding >= peak_mass
    double peak_width;     // that window's length / keys (1 when no shorter window exists)
    int n_chunk_starts;    // chunk starts given
    int hot_chunk_starts;  // starts whose first-s-slots mass >= chunk_start_mass
    double max_chunk_start_mass;
} attn_features;

// p[keys]: one attention distribution over cache slots (need not sum exactly to 1: it is
// renormalised; mass of evicted slots may be 0). chunk_starts[n]: slot indices (increasing) where a
// chunk begins; start_mass[n] (optional out, may be NULL) gets each start's mass (first s slots, not
// past the next start). Errors (-1 + message): keys <= 0, a NaN/Inf/negative value (message names the
// index), an all-zero distribution, chunk starts out of range or not increasing.
// When 2w > keys (only keys = 1 under the defaults) the recent region is the last w slots not already
// in the sink region, so sink + recent + middle = 1 always. t may be NULL (defaults).
int attn_features_compute(const float *p, int keys, const int32_t *chunk_starts, int n_chunk_starts,
                          const attn_thresholds *t, attn_features *f, double *start_mass);
// Label from stored features. Ties resolved in the order multi-sink, u-shaped, peak, uniform, other:
//   multi-sink: hot_chunk_starts >= multi_sink_min (hot computed with the thresholds passed to compute;
//               to re-apply a different chunk_start_mass, use attn_classify_masses below)
//   u-shaped:   sink+recent >= u_total and each >= u_each
//   peak:       max_bin_in_middle and peak_width <= peak_window
//   uniform:    entropy >= uniform_entropy
// peak_mass, like the structural parameters, shapes the stored peak window and takes effect only in compute.
attn_class attn_classify(const attn_features *f, const attn_thresholds *t);
// Same, recounting hot chunk starts from stored per-start masses with t->chunk_start_mass.
attn_class attn_classify_masses(const attn_features *f, const double *start_mass, const attn_thresholds *t);

#endif
