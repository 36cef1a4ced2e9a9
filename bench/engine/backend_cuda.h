// The CUDA backend seen from the rest of pcbench: a model's weights on the GPU and the forward
// pass there. The pipeline code is the same for both backends: forward() dispatches on
// model->cuda, and a model on the GPU makes GPU caches (model_new_cache).
#ifndef PCB_BACKEND_CUDA_H
#define PCB_BACKEND_CUDA_H

#include <stdint.h>

#include "bench/engine/forward.h"
#include "bench/model/model.h"

// "cpu" or "cuda"; -1 + error naming the value otherwise.
int backend_parse(const char *name, int *is_cuda);
// Whether this build has the CUDA backend and a usable GPU (message into why when not).
int backend_cuda_available(char *why, size_t cap);

// Copies every weight to the GPU as bf16 (norms fp32); the forward pass runs there from now on.
// -1 + error (no CUDA build, no GPU, out of device memory).
int model_to_cuda(model *m);
void model_cuda_free(model *m);
size_t model_cuda_weight_bytes(const model *m);

// A model of a named shape with deterministic random bf16 weights, directly on the GPU, for
// speed runs at a scale whose weights we do not have ("llama3-8b": 32 layers, 4096 wide,
// 32/8 heads of 128, FFN 14336, vocab 128256, RoPE 500000, trained context 8192).
model *model_random_cuda(const char *shape, uint64_t seed);
const char *model_random_shapes(void);  // "llama3-8b, ..."

int forward_cuda(const model *m, kv_cache *cache, const forward_batch *b);

#endif
