// The two engines behind backend.h as the engine's own files see them; the layers above the
// engine include backend.h only.
#ifndef PCB_BACKEND_INTERNAL_H
#define PCB_BACKEND_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "bench/engine/backend.h"
#include "bench/engine/kv_cache.h"

// The CPU engine (forward.c).
extern const backend_ops backend_cpu;

// ---- The CUDA engine: backend_cuda.c, forward_cuda.c, kv_cache_cuda.c, kernel_timing_cuda.c.
// In a build without CUDA, backend_cuda_absent.c answers each of these (and the CUDA functions
// of backend.h) with the reason instead.
int cuda_available(char *why, size_t cap);
// Copies m's weights to the GPU and makes the CUDA engine run it. -1 + error.
int cuda_select(model *m);

// Device side of a cache head; kv_cache.c keeps the host-side slot metadata of every head.
void kv_device_free(kv_head *h);
// New device buffers of cap slots holding the first keep slots of the old ones.
int kv_device_resize(kv_head *h, int head_dim, int cap, int keep);
// Replaces the device rows by exactly the n_keep (>= 1) rows keep[]; h is untouched on failure.
int kv_device_gather(kv_head *h, int head_dim, const int32_t *keep, int n_keep);
// Copies src's device rows after dst's first dst->n (dst has the room).
int kv_device_append(kv_head *dst, const kv_head *src, int head_dim);

#endif
