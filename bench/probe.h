// Attention probe: a request to observe, for chosen layers and query rows of one forward
// call, the attention probabilities of every query head over its KV head's cache slots.
// One mechanism for three users: KV eviction (window scores), attention-bias calibration
// (extremely attended tokens) and the attention log.
#ifndef PCB_PROBE_H
#define PCB_PROBE_H

#include <stdint.h>

#include "kv_cache.h"

typedef struct probe probe;

// Called once per (layer, query head, observed row) on the thread that called forward(), after
// the layer's attention, in (head, row) order: deterministic, never concurrent.
//   probs[slots->n]: attention of that row over the slots of its KV head (0 for masked slots);
//   slots: the KV head's slots (positions, chunks, document indices) as they are at this layer.
//   row_index: index into probe->rows.
typedef void (*probe_fn)(void *user, int layer, int q_head, int row_index, const float *probs,
                         const kv_head *slots);

struct probe {
    const uint8_t *layers;  // [n_layers]: 1 = observe this layer; NULL = every layer
    const int32_t *rows;    // rows (indices into this call's tokens) to observe, increasing
    int n_rows;
    probe_fn on_row;
    void *user;
};

#endif
