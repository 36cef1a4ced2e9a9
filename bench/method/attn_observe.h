// Attention observation for the attention log: a forward hook that, at every layer, computes
// the mean attention of the call's last `rows` rows per query head over the KV head's current
// slots and hands it to a pcomp_observer. It runs after an inner hook (calibration), so what it
// sees is what the rows really attend to in that step.
#ifndef PCB_ATTN_OBSERVE_H
#define PCB_ATTN_OBSERVE_H

#include "bench/engine/forward.h"
#include "bench/method/pcomp.h"

typedef struct {
    const pcomp_observer *obs;
    forward_hook_fn inner;  // runs first (or NULL)
    void *inner_user;
    int calls;           // forward calls seen; step = calls - 1 (0 = the question)
    float *mean, *rows;  // [n_heads, stride], [rows, stride] scratch
    size_t mean_cap, rows_cap;
} attn_observe;

void attn_observe_init(attn_observe *a, const pcomp_observer *obs, forward_hook_fn inner, void *inner_user);
int attn_observe_hook(void *user, int layer, const forward_attn *att, const forward_batch *b, kv_cache *cache);
void attn_observe_free(attn_observe *a);

#endif
