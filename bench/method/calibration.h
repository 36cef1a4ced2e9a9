// Attention-bias calibration at the final question prefill (spec §5, DESIGN decisions 10-12).
// In layers lo..hi, for every KV head, a slot is "extremely attended" when some query head of
// its group gives it more than `threshold` attention (mean over the last r question rows);
// those in the chosen region are evicted. With equalisation every KV head of the layer then
// drops the same count (its lowest-attended extra slots). The attention is computed before the
// layer's own attention, from the rotated queries, so the "current step" variant can evict
// before this step attends; the "cache only" variant evicts after the forward.
#ifndef PCB_CALIBRATION_H
#define PCB_CALIBRATION_H

#include <stdint.h>

#include "bench/engine/forward.h"
#include "bench/method/pcomp.h"

typedef struct {
    const model *m;
    const pcomp_options *o;
    long *evicted;      // [n_layers] slots evicted (all KV heads)
    int32_t **pending;  // cache-only variant: keep lists [n_layers * n_kv_heads], NULL = untouched
    int *n_pending;
} calibration;

void calibration_init(calibration *c, const model *m, const pcomp_options *o, long *evicted);
// forward hook (forward_batch.before_attention, hook_user = the calibration).
int calibration_hook(void *user, int layer, const forward_attn *att, const forward_batch *b, kv_cache *cache);
// Cache-only variant: applies the recorded evictions. Frees the pending lists either way.
int calibration_finish(calibration *c, kv_cache *cache);

// 1 when slot j of a head with n slots (slot position pos) lies in the region.
int calib_in_region(calib_region r, int width, int j, int n, int32_t pos, int32_t chunk);

#endif
