// The backend contract: which engine runs a model, chosen once after loading (backend_select),
// and everything the layers above the engine (method, tasks, sweep, cli) and the tests may ask
// about it. Two sibling engines implement it: the CPU one (forward.c, kv_cache.c) and the CUDA
// one (the *_cuda.c files of this folder, over kernels/kernels_cuda.h). Whether a build has the
// CUDA engine is the Makefile's decision alone: without nvcc it links backend_cuda_absent.c in
// place of the *_cuda.c files, and every CUDA answer then says why there is none.
#ifndef PCB_BACKEND_H
#define PCB_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "bench/engine/forward.h"
#include "bench/model/model.h"

typedef enum { BACKEND_CPU, BACKEND_CUDA } backend_kind;

// One engine (bench/model/model.h keeps a pointer to it in the model it runs).
struct backend_ops {
    backend_kind kind;
    const char *name;  // "cpu", "cuda"
    int on_device;     // weights and caches live on the GPU
    int (*forward)(const model *m, kv_cache *cache, const forward_batch *b);
    size_t (*weight_bytes)(const model *m);  // the engine's own copy of the weights (0: none)
    void (*peak_reset)(void);                // device memory peak := in use
    size_t (*peak_bytes)(void);              // device memory peak since the last reset (0: no device)
};

// "cpu" or "cuda"; -1 + error naming the value otherwise.
int backend_parse(const char *name, backend_kind *kind);
// 1 when this build has that engine and it can run here (a usable GPU for cuda); 0 and the
// reason in why otherwise.
int backend_available(backend_kind kind, char *why, size_t cap);
// Runs m on that engine from now on (cuda: every weight is copied to the GPU as bf16, norms
// fp32). -1 + error (no CUDA in this build, no GPU, out of device memory, already on another).
int backend_select(model *m, backend_kind kind);

// The engine running m: the CPU one until backend_select chose another.
const backend_ops *backend_of(const model *m);
const char *backend_name(const model *m);  // "cpu" / "cuda"
int backend_on_device(const model *m);
size_t backend_weight_bytes(const model *m);
// Per-measurement device memory peak (0 and a no-op on the CPU; host memory is sysinfo.h's).
void backend_peak_reset(const model *m);
size_t backend_peak_bytes(const model *m);

// The GPU as results files and `pcbench info` name it: "NVIDIA H100 80GB HBM3 (1 device, ...)",
// "no CUDA device (why)" or "not built (...)"; needs no backend_select.
void backend_describe_device(char *out, size_t cap);

// A model of a named shape with deterministic random bf16 weights, directly on the GPU, for
// speed runs at a scale whose weights we do not have ("llama3-8b": 32 layers, 4096 wide,
// 32/8 heads of 128, FFN 14336, vocab 128256, RoPE 500000, trained context 8192).
model *model_random_cuda(const char *shape, uint64_t seed);
const char *model_random_shapes(void);  // "llama3-8b, ..."

// Kernel timing on the GPU for `pcbench kernels` (needs backend_available(BACKEND_CUDA)): the
// median ms of 5 calls after a warm-up, on random bf16 data. -1 + error naming the kernel.
int backend_device_name(char *out, size_t cap);
// Fused causal attention over n tokens: n_heads query heads over n_kv_heads KV heads of head_dim.
int backend_time_attention(int n_heads, int n_kv_heads, int head_dim, int n, double *ms);
// bf16 GEMM y[n, d_out] = x[n, d_in] W^T.
int backend_time_gemm(int n, int d_in, int d_out, double *ms);

#endif
