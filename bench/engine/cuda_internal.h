// The CUDA engine's own declarations, shared by its *_cuda.c files (and tests/test_cuda.c, which
// is built only with them): the model's device weights, the forward pass, device cache appends.
#ifndef PCB_CUDA_INTERNAL_H
#define PCB_CUDA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "bench/engine/backend.h"
#include "bench/engine/kv_cache.h"
#include "kernels/kernels_cuda.h"

enum { W_Q, W_K, W_V, W_O, W_GATE, W_UP, W_DOWN };

typedef struct {
    float *attn_norm, *ffn_norm;  // [dim] fp32
    bf16_t *mat[7];               // W_Q..W_DOWN, each [d_out, d_in] bf16 (as the host copies)
} cuda_layer;

// model->backend_weights of a model on the CUDA engine.
typedef struct {
    int n_layers, tied;
    bf16_t *token_embd;  // [vocab, dim]
    bf16_t *output;      // [vocab, dim] (== token_embd when tied)
    float *output_norm;  // [dim]
    cuda_layer *layers;
    size_t bytes;  // device bytes held
} cuda_weights;

extern const backend_ops backend_cuda;  // backend_cuda.c

int forward_cuda(const model *m, kv_cache *cache, const forward_batch *b);

// Device caches: appends n slots to every head of `layer` from this call's device K/V rows
// [n, n_kv_heads * head_dim] (fp32, stored as bf16), with host metadata pos/chunk/doc [n] and
// the device copies d_pos/d_chunk [n]. Space must have been reserved. -1 + error on failure.
int kv_cache_append_device(kv_cache *c, int layer, const float *d_k, const float *d_v, int n, const int32_t *pos,
                           const int32_t *chunk, const int32_t *doc, const int32_t *d_pos, const int32_t *d_chunk);

#endif
