// KV cache: an explicit object, per layer and KV head. Every slot remembers the position id
// its key was rotated with, the chunk it came from and its index in the original document,
// because after ParallelComp's chunk merge and evictions slot order says nothing about them.
// Eviction (gather) really shrinks the arrays and returns memory.
// A cache lives on the host (float32 K/V) or on the GPU (bf16 K/V plus device copies of the
// position and chunk ids for the attention kernels); the slot metadata is always on the host
// too, so probes, calibration and eviction read it the same way for both.
#ifndef PCB_KV_CACHE_H
#define PCB_KV_CACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int n, cap;              // slots used / allocated
    float *k, *v;            // [cap, head_dim]
    int32_t *pos;            // [cap] position id
    int32_t *chunk;          // [cap] source chunk id (-1: shared, e.g. the question or a single sequence)
    int32_t *doc;            // [cap] index of the token in the original document (-1: none)
    int device;              // 1: K/V are dk/dv on the GPU (k, v stay NULL)
    void *dk, *dv;           // device [cap, head_dim] bf16
    int32_t *dpos, *dchunk;  // device [cap] copies of pos and chunk
} kv_head;

typedef struct {
    int n_layers, n_kv_heads, head_dim;
    int device;      // every head on the GPU
    kv_head *heads;  // [n_layers * n_kv_heads]
} kv_cache;

kv_cache *kv_cache_new(int n_layers, int n_kv_heads, int head_dim);
// A cache on the GPU (model_new_cache makes one for a model on the CUDA engine); its device
// side is the engine's (kv_cache_cuda.c).
kv_cache *kv_cache_new_device(int n_layers, int n_kv_heads, int head_dim);
void kv_cache_free(kv_cache *c);
kv_head *kv_cache_head(const kv_cache *c, int layer, int kv_head_index);

// Makes room for `extra` more slots in every head: exactly that many for a batch (extra > 1),
// amortised 1.5x growth for single slots (decoding). -1 + error when device memory runs out.
int kv_cache_reserve(kv_cache *c, int extra);
// Appends one slot to one head (host caches).
void kv_head_append(kv_head *h, int head_dim, const float *k, const float *v, int32_t pos, int32_t chunk, int32_t doc);
// Keeps only slots keep[0..n_keep) (strictly increasing indices) of one head, in that order;
// the allocation shrinks to fit. Returns -1 (error set) on bad indices, leaving h untouched.
int kv_head_gather(kv_head *h, int head_dim, const int32_t *keep, int n_keep);
// A new cache holding, per layer and head, the slots of caches[0], then caches[1], ...
// All must have the same shape. Returns NULL (error set) on a shape mismatch.
kv_cache *kv_cache_concat(kv_cache *const *caches, int n);
// Appends src's slots after dst's in every head (dst grows exactly). -1 on a shape mismatch.
int kv_cache_append(kv_cache *dst, const kv_cache *src);
// Deep copy.
kv_cache *kv_cache_clone(const kv_cache *c);
// Drops every slot but keeps the allocation, for reuse by a same-sized next sequence.
void kv_cache_reset(kv_cache *c);

int kv_cache_max_len(const kv_cache *c);  // longest head
long kv_cache_total_slots(const kv_cache *c);
size_t kv_cache_bytes(const kv_cache *c);  // bytes allocated for slots (K, V, metadata; host + device)

#endif
