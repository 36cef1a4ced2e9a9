// The CUDA engine's answers in a build without it: the Makefile links this file in place of
// the *_cuda.c files when nvcc (or its static runtime) is not found, or with CUDA=0. Every
// answer says so; no device cache or CUDA model can exist in such a build.
#include <stdio.h>

#include "bench/base/error.h"
#include "bench/engine/backend_internal.h"

#define NO_CUDA "this build has no CUDA backend (nvcc not found at build time, or CUDA=0)"

int cuda_available(char *why, size_t cap) {
    snprintf(why, cap, "%s", NO_CUDA);
    return 0;
}

int cuda_select(model *m) { return pcb_fail("--backend cuda: %s", NO_CUDA); }

void backend_describe_device(char *out, size_t cap) {
    snprintf(out, cap, "not built (nvcc not found at build time, or CUDA=0)");
}

model *model_random_cuda(const char *shape, uint64_t seed) {
    pcb_fail("random model '%s' on the GPU: %s", shape, NO_CUDA);
    return NULL;
}

const char *model_random_shapes(void) { return "(none: no CUDA backend in this build)"; }

int backend_device_name(char *out, size_t cap) {
    snprintf(out, cap, "none");
    return pcb_fail("%s", NO_CUDA);
}

int backend_time_attention(int n_heads, int n_kv_heads, int head_dim, int n, double *ms) {
    return pcb_fail("attention timing: %s", NO_CUDA);
}

int backend_time_gemm(int n, int d_in, int d_out, double *ms) { return pcb_fail("gemm timing: %s", NO_CUDA); }

// A head on the device cannot have been filled here: freeing one is a no-op, growing one fails.
void kv_device_free(kv_head *h) {}

int kv_device_resize(kv_head *h, int head_dim, int cap, int keep) {
    return pcb_fail("kv cache on the GPU: %s", NO_CUDA);
}

int kv_device_gather(kv_head *h, int head_dim, const int32_t *keep, int n_keep) {
    return pcb_fail("kv cache gather on the GPU: %s", NO_CUDA);
}

int kv_device_append(kv_head *dst, const kv_head *src, int head_dim) {
    return pcb_fail("kv cache append on the GPU: %s", NO_CUDA);
}
