// Transformer forward pass (Llama architecture) on the model's engine: the CPU, or the GPU
// after backend_select (bench/engine/backend.h; same semantics). Tokens carry explicit position ids
// (that is how ParallelComp's position reuse is expressed) and an optional sequence id that
// restricts which cache slots they see, so several chunks can be prefilled in one call.
#ifndef PCB_FORWARD_H
#define PCB_FORWARD_H

#include <stdint.h>

#include "bench/engine/kv_cache.h"
#include "bench/engine/probe.h"
#include "bench/model/model.h"

typedef struct forward_batch forward_batch;
typedef struct forward_attn forward_attn;

// What a hook can ask of this call's attention at one layer, on either backend.
struct forward_attn {
    // probs[n_rows, slots]: attention probabilities of query head q_head for rows
    // first..first+n_rows-1 of this call over the KV head's current slots (0 where masked).
    int (*row_probs)(const forward_attn *a, int q_head, int first_row, int n_rows, float *probs);
    const model *m;
    const kv_cache *cache;
    const forward_batch *b;
    int layer;
    const float *q;  // CPU: [n, n_heads * head_dim] rotated queries
    void *backend;   // CUDA: the forward call's device state
};

// Called per layer after this call's keys/values were appended and before the layer's
// attention. The hook may shrink the layer's cache heads (kv_head_gather), which then also
// changes this call's attention (calibration "current step"). Non-zero aborts the forward
// (error set by the hook).
typedef int (*forward_hook_fn)(void *user, int layer, const forward_attn *att, const forward_batch *b, kv_cache *cache);

struct forward_batch {
    int n;                  // tokens in this call
    const int32_t *tokens;  // [n]
    const int32_t *pos;     // [n] position ids (rotary)
    // [n] or NULL (= all -1). Token i is stored with chunk id seq[i] and sees slot j iff
    // slot.pos <= pos[i] and (seq[i] < 0 or slot.chunk == seq[i]).
    const int32_t *seq;
    const int32_t *doc;  // [n] or NULL: document index stored with each slot (-1 if NULL)
    // Logits only for these rows (indices into the call's tokens); out: [n_logit_rows, vocab].
    const int32_t *logit_rows;
    int n_logit_rows;
    float *logits;
    const probe *probe;                // or NULL
    forward_hook_fn before_attention;  // or NULL
    void *hook_user;
};

// Appends the batch's keys/values to `cache` (every layer) and computes the requested logits.
// Returns 0, or -1 with an error (bad token id, shape mismatch).
int forward(const model *m, kv_cache *cache, const forward_batch *b);

// Convenience for one sequence: tokens at positions start_pos.. (seq -1, doc = position), with
// the last row's logits into last_logits[vocab] (NULL: none).
int forward_sequence(const model *m, kv_cache *cache, const int32_t *tokens, int n, int start_pos, float *last_logits);

// A cache shaped for the model.
kv_cache *model_new_cache(const model *m);

#endif
