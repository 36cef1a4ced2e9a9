// Device weights of a model on the CUDA backend (bench/engine/model_cuda.c, bench/engine/forward_cuda.c).
#ifndef PCB_MODEL_CUDA_INTERNAL_H
#define PCB_MODEL_CUDA_INTERNAL_H

#include <stddef.h>

#include "kernels/kernels_cuda.h"

enum { W_Q, W_K, W_V, W_O, W_GATE, W_UP, W_DOWN };

typedef struct {
    float *attn_norm, *ffn_norm;  // [dim] fp32
    bf16_t *mat[7];               // W_Q..W_DOWN, each [d_out, d_in] bf16 (as the host copies)
} cuda_layer;

struct cuda_weights {
    int n_layers, tied;
    bf16_t *token_embd;  // [vocab, dim]
    bf16_t *output;      // [vocab, dim] (== token_embd when tied)
    float *output_norm;  // [dim]
    cuda_layer *layers;
    size_t bytes;        // device bytes held
};

#endif
