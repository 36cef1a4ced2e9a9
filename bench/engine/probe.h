// Attention probe: a request to observe, for chosen layers and query rows of one forward
// call, the attention probabilities of every query head over its KV head's cache slots.
// Its user is KV eviction (kv_evict.c: SnapKV / PyramidKV window scores, H2O column sums, and
// parallelcomp's eviction); the tests use it as an independent reference. Calibration and the
// attention log read attention rows through forward_attn.row_probs in the before_attention hook
// instead (forward.h): calibration evicts before the layer's attention, and the log sees the
// cache as calibration left it.
#ifndef PCB_PROBE_H
#define PCB_PROBE_H

#include <stdint.h>

#include "bench/engine/kv_cache.h"

typedef struct probe probe;

// Called once per (layer, query head, observed row) on the thread that called forward(), after
// the layer's attention, in (head, row) order: deterministic, never concurrent.
//   probs[slots->n]: attention of that row over the slots of its KV head (0 for masked slots);
//   slots: the KV head's slots (positions, chunks, document indices) as they are at this layer.
//   row_index: index into probe->rows.
typedef void (*probe_fn)(void *user, int layer, int q_head, int row_index, const float *probs, const kv_head *slots);

// Sum mode: called once per (layer, query head) with the attention probabilities summed over
// every observed row (sums[slots->n]). Costs O(keys) memory per head instead of O(rows x keys),
// so all rows of a long prefill can be observed (H2O's column sums).
typedef void (*probe_sum_fn)(void *user, int layer, int q_head, const float *sums, const kv_head *slots);

struct probe {
    const uint8_t *layers;  // [n_layers]: 1 = observe this layer; NULL = every layer
    const int32_t *rows;    // rows (indices into this call's tokens) to observe, increasing
    int n_rows;
    probe_fn on_row;      // per-row delivery, or NULL
    probe_sum_fn on_sum;  // summed delivery, or NULL (both may be set)
    void *user;
};

#endif
