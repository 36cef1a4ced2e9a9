// Row and elementwise ops of the forward pass, fp32 like the CPU path (kernels/cpu).
#include <math.h>

#include "kernels/cuda/kcuda_internal.cuh"

__global__ static void embed_kernel(float *x, const __nv_bfloat16 *table, const int32_t *tokens, int dim) {
    const __nv_bfloat16 *row = table + (size_t)tokens[blockIdx.x] * dim;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) x[(size_t)blockIdx.x * dim + i] = __bfloat162float(row[i]);
}

extern "C" int kcuda_embed(float *d_x, const bf16_t *d_table, const int32_t *d_tokens, int n, int dim) {
    if (n <= 0) return 0;
    embed_kernel<<<n, 256, 0, kcuda_stream()>>>(d_x, (const __nv_bfloat16 *)d_table, d_tokens, dim);
    return KCUDA_LAUNCHED("embed");
}

// Block-wide sum of one value per thread (blockDim.x a multiple of 32, at most 1024).
__device__ static float block_sum(float v) {
    __shared__ float part[32];
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    if ((threadIdx.x & 31) == 0) part[threadIdx.x >> 5] = v;
    __syncthreads();
    int nw = blockDim.x >> 5;
    v = threadIdx.x < (unsigned)nw ? part[threadIdx.x] : 0.0f;
    if (threadIdx.x < 32)
        for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    if (threadIdx.x == 0) part[0] = v;
    __syncthreads();
    float total = part[0];
    __syncthreads();  // part[] is reused by the next call
    return total;
}

__device__ static float block_max(float v) {
    __shared__ float part[32];
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    if ((threadIdx.x & 31) == 0) part[threadIdx.x >> 5] = v;
    __syncthreads();
    int nw = blockDim.x >> 5;
    v = threadIdx.x < (unsigned)nw ? part[threadIdx.x] : -INFINITY;
    if (threadIdx.x < 32)
        for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    if (threadIdx.x == 0) part[0] = v;
    __syncthreads();
    float m = part[0];
    __syncthreads();
    return m;
}

__global__ static void rmsnorm_kernel(float *out, const float *x, const float *w, int d, float eps) {
    const float *xr = x + (size_t)blockIdx.x * d;
    float ss = 0;
    for (int i = threadIdx.x; i < d; i += blockDim.x) ss += xr[i] * xr[i];
    ss = block_sum(ss);
    float inv = 1.0f / sqrtf(ss / d + eps);
    for (int i = threadIdx.x; i < d; i += blockDim.x) out[(size_t)blockIdx.x * d + i] = xr[i] * inv * w[i];
}

extern "C" int kcuda_rmsnorm(float *d_out, const float *d_x, const float *d_w, int n, int d, float eps) {
    if (n <= 0) return 0;
    rmsnorm_kernel<<<n, 256, 0, kcuda_stream()>>>(d_out, d_x, d_w, d, eps);
    return KCUDA_LAUNCHED("rmsnorm");
}

// One thread per rotated pair (2i, 2i+1) of one head of one row. The frequencies come from the
// host (powf there, as the CPU path) and the angle is formed in double: positions reach 10^5+,
// where a one-ulp difference in a float frequency or phase would show.
typedef struct {
    float f[256];
} rope_freqs;

__global__ static void rope_kernel(float *x, const int32_t *pos, long long pairs, int n_heads, int head_dim,
                                   rope_freqs inv) {
    long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (t >= pairs) return;
    int half = head_dim / 2;
    int i = (int)(t % half);
    long long rh = t / half;  // row * n_heads + head
    long long row = rh / n_heads;
    double s, c;
    sincos((double)pos[row] * inv.f[i], &s, &c);
    float *p = x + rh * head_dim + 2 * i;
    float a = p[0], b = p[1];
    p[0] = a * (float)c - b * (float)s;
    p[1] = a * (float)s + b * (float)c;
}

extern "C" int kcuda_rope_interleaved(float *d_x, const int32_t *d_pos, int n, int n_heads, int head_dim, float theta) {
    long long pairs = (long long)n * n_heads * (head_dim / 2);
    if (pairs <= 0) return 0;
    if (head_dim > 512) return kcuda_fail("cuda: rope: head_dim %d > 512", head_dim);
    rope_freqs inv;
    for (int i = 0; i < head_dim / 2; i++) inv.f[i] = powf(theta, -2.0f * i / head_dim);
    rope_kernel<<<kcuda_blocks(pairs, 256), 256, 0, kcuda_stream()>>>(d_x, d_pos, pairs, n_heads, head_dim, inv);
    return KCUDA_LAUNCHED("rope");
}

__global__ static void swiglu_kernel(float *g, const float *u, long long n) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i < n) g[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
}

extern "C" int kcuda_swiglu(float *d_gate, const float *d_up, int64_t n) {
    if (n <= 0) return 0;
    swiglu_kernel<<<kcuda_blocks(n, 256), 256, 0, kcuda_stream()>>>(d_gate, d_up, n);
    return KCUDA_LAUNCHED("swiglu");
}

__global__ static void add_kernel(float *x, const float *y, long long n) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i < n) x[i] += y[i];
}

extern "C" int kcuda_add(float *d_x, const float *d_y, int64_t n) {
    if (n <= 0) return 0;
    add_kernel<<<kcuda_blocks(n, 256), 256, 0, kcuda_stream()>>>(d_x, d_y, n);
    return KCUDA_LAUNCHED("add");
}

__global__ static void to_bf16_kernel(__nv_bfloat16 *dst, const float *src, long long n) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i < n) dst[i] = __float2bfloat16(src[i]);
}

extern "C" int kcuda_to_bf16(bf16_t *d_dst, const float *d_src, int64_t n) {
    if (n <= 0) return 0;
    to_bf16_kernel<<<kcuda_blocks(n, 256), 256, 0, kcuda_stream()>>>((__nv_bfloat16 *)d_dst, d_src, n);
    return KCUDA_LAUNCHED("to_bf16");
}

__global__ static void softmax_kernel(float *x, int n) {
    float *r = x + (size_t)blockIdx.x * n;
    float m = -INFINITY;
    for (int i = threadIdx.x; i < n; i += blockDim.x) m = fmaxf(m, r[i]);
    m = block_max(m);
    float s = 0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) s += expf(r[i] - m);
    s = block_sum(s);
    for (int i = threadIdx.x; i < n; i += blockDim.x) r[i] = expf(r[i] - m) / s;
}

extern "C" int kcuda_softmax_rows(float *d_x, int rows, int n) {
    if (rows <= 0 || n <= 0) return 0;
    softmax_kernel<<<rows, 256, 0, kcuda_stream()>>>(d_x, n);
    return KCUDA_LAUNCHED("softmax");
}

__global__ static void gather_f32_kernel(float *out, const float *x, const int32_t *rows, int d) {
    const float *src = x + (size_t)rows[blockIdx.x] * d;
    for (int i = threadIdx.x; i < d; i += blockDim.x) out[(size_t)blockIdx.x * d + i] = src[i];
}

extern "C" int kcuda_gather_rows_f32(float *d_out, const float *d_x, const int32_t *d_rows, int n_rows, int d) {
    if (n_rows <= 0) return 0;
    gather_f32_kernel<<<n_rows, 256, 0, kcuda_stream()>>>(d_out, d_x, d_rows, d);
    return KCUDA_LAUNCHED("gather_rows_f32");
}
