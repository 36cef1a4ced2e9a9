// KV-cache data movement on the device: storing a call's keys/values and gathering kept slots.
#include "kernels/cuda/kcuda_internal.cuh"

__global__ static void kv_store_kernel(__nv_bfloat16 *kd, __nv_bfloat16 *vd, const float *k, const float *v,
                                       long long total, int kv_dim, int head, int head_dim) {
    long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (t >= total) return;
    long long row = t / head_dim;
    int c = (int)(t % head_dim);
    size_t src = (size_t)row * kv_dim + (size_t)head * head_dim + c;
    kd[t] = __float2bfloat16(k[src]);
    vd[t] = __float2bfloat16(v[src]);
}

extern "C" int kcuda_kv_store(bf16_t *d_kdst, bf16_t *d_vdst, const float *d_k, const float *d_v, int n, int kv_dim,
                              int head, int head_dim) {
    long long total = (long long)n * head_dim;
    if (total <= 0) return 0;
    kv_store_kernel<<<kcuda_blocks(total, 256), 256, 0, kcuda_stream()>>>(
        (__nv_bfloat16 *)d_kdst, (__nv_bfloat16 *)d_vdst, d_k, d_v, total, kv_dim, head, head_dim);
    return KCUDA_LAUNCHED("kv_store");
}

__global__ static void gather_kernel(uint32_t *out, const uint32_t *src, const int32_t *idx, int words) {
    const uint32_t *s = src + (size_t)idx[blockIdx.x] * words;
    for (int i = threadIdx.x; i < words; i += blockDim.x) out[(size_t)blockIdx.x * words + i] = s[i];
}

extern "C" int kcuda_gather_rows(void *d_out, const void *d_src, const int32_t *d_idx, int n_idx, size_t row_bytes) {
    if (n_idx <= 0) return 0;
    if (row_bytes % 4) return kcuda_fail("cuda: gather_rows: row of %zu bytes is not a multiple of 4", row_bytes);
    gather_kernel<<<n_idx, 128, 0, kcuda_stream()>>>((uint32_t *)d_out, (const uint32_t *)d_src, d_idx,
                                                     (int)(row_bytes / 4));
    return KCUDA_LAUNCHED("gather_rows");
}
