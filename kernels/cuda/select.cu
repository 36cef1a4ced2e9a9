// Selection on the device (KV eviction): max-pooling of scores and top-k indices.
#include <cub/cub.cuh>

#include "kernels/cuda/kcuda_internal.cuh"

__global__ static void maxpool_kernel(float *out, const float *in, int n, int half) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    int lo = i - half < 0 ? 0 : i - half, hi = i + half >= n ? n - 1 : i + half;
    float m = in[lo];
    for (int j = lo + 1; j <= hi; j++) m = fmaxf(m, in[j]);
    out[i] = m;
}

extern "C" int kcuda_maxpool1d(float *d_out, const float *d_in, int n, int kernel) {
    if (n <= 0) return 0;
    maxpool_kernel<<<kcuda_blocks(n, 256), 256, 0, kcuda_stream()>>>(d_out, d_in, n, kernel / 2);
    return KCUDA_LAUNCHED("maxpool1d");
}

__global__ static void iota_kernel(int32_t *x, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] = i;
}

// Stable radix sort by descending score keeps equal scores in index order, so the first k
// are exactly topk_indices' choice (ties to the lower index); a second sort restores index order.
extern "C" int kcuda_topk_indices(int32_t *d_out, const float *d_scores, int n, int k) {
    if (k < 0 || k > n) return kcuda_fail("cuda: topk: k = %d outside [0, %d]", k, n);
    if (k == 0) return 0;
    cudaStream_t s = kcuda_stream();
    size_t tmp1 = 0, tmp2 = 0;
    cub::DeviceRadixSort::SortPairsDescending(NULL, tmp1, d_scores, (float *)NULL, (int32_t *)NULL, (int32_t *)NULL, n,
                                              0, 32, s);
    cub::DeviceRadixSort::SortKeys(NULL, tmp2, (int32_t *)NULL, (int32_t *)NULL, k, 0, 32, s);
    size_t tmp = ((tmp1 > tmp2 ? tmp1 : tmp2) + 255) & ~(size_t)255;  // the arrays after it stay aligned
    char *buf = (char *)kcuda_malloc(tmp + sizeof(float) * n + 2 * sizeof(int32_t) * (size_t)n);
    if (!buf) return -1;
    float *keys_out = (float *)(buf + tmp);
    int32_t *idx_in = (int32_t *)(keys_out + n), *idx_out = idx_in + n;
    iota_kernel<<<kcuda_blocks(n, 256), 256, 0, s>>>(idx_in, n);
    int rc = KCUDA_LAUNCHED("topk iota");
    if (!rc)
        rc = kcuda_check(
            cub::DeviceRadixSort::SortPairsDescending(buf, tmp, d_scores, keys_out, idx_in, idx_out, n, 0, 32, s),
            "topk sort");
    if (!rc) rc = kcuda_check(cub::DeviceRadixSort::SortKeys(buf, tmp, idx_out, d_out, k, 0, 32, s), "topk index sort");
    kcuda_free(buf);  // stream-ordered reuse (kcuda_malloc's cache)
    return rc;
}
