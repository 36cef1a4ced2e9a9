// Device, stream, errors and counted memory of the CUDA backend.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unordered_map>
#include <vector>

#include "kernels/cuda/kcuda_internal.cuh"

static char g_error[512];
static cudaStream_t g_stream;
static int g_ready;
// Caching allocator (as PyTorch's): a freed block goes to a free list of its size class and is
// handed out again without cudaMalloc/cudaFree, which would otherwise cost a device-wide sync
// per KV-cache resize. Size classes: 512-byte steps up to 4 KiB, then 8 per power of two (at
// most 12.5% rounding). "In use" counts live blocks at their requested size: what the memory
// columns report; cached blocks are returned to the driver when an allocation fails.
struct live_block {
    size_t requested, rounded;
};
static std::unordered_map<void *, live_block> g_live;
static std::unordered_map<size_t, std::vector<void *>> g_cached;
static size_t g_in_use, g_peak, g_cached_bytes;

static size_t size_class(size_t bytes) {
    if (bytes <= 4096) return (bytes + 511) & ~(size_t)511;
    size_t p = (size_t)1 << (63 - __builtin_clzll(bytes));
    size_t step = p / 8;
    return (bytes + step - 1) / step * step;
}

static void release_cached(void) {
    cudaStreamSynchronize(g_stream);
    for (auto &kv : g_cached)
        for (void *d : kv.second) cudaFree(d);
    g_cached.clear();
    g_cached_bytes = 0;
}

cudaStream_t kcuda_stream(void) { return g_stream; }

int kcuda_fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_error, sizeof g_error, fmt, ap);
    va_end(ap);
    return -1;
}

int kcuda_check(cudaError_t err, const char *what) {
    if (err == cudaSuccess) return 0;
    return kcuda_fail("cuda: %s: %s", what, cudaGetErrorString(err));
}

extern "C" const char *kcuda_error(void) { return g_error; }

int kcuda_blas_init(void);  // blas.cu

extern "C" int kcuda_init(void) {
    if (g_ready) return 0;
    int n = 0;
    cudaError_t err = cudaGetDeviceCount(&n);
    if (err != cudaSuccess || n == 0)
        return kcuda_fail("cuda: no usable GPU (%s)", err != cudaSuccess ? cudaGetErrorString(err) : "0 devices");
    if (kcuda_check(cudaSetDevice(0), "cudaSetDevice") ||
        kcuda_check(cudaStreamCreateWithFlags(&g_stream, cudaStreamNonBlocking), "cudaStreamCreate") ||
        kcuda_blas_init())
        return -1;
    g_ready = 1;
    return 0;
}

extern "C" int kcuda_device_name(char *out, size_t cap) {
    cudaDeviceProp p;
    if (kcuda_check(cudaGetDeviceProperties(&p, 0), "cudaGetDeviceProperties")) return -1;
    snprintf(out, cap, "%s", p.name);
    return 0;
}

extern "C" void *kcuda_malloc(size_t bytes) {
    void *d = NULL;
    if (bytes == 0) bytes = 16;
    size_t rounded = size_class(bytes);
    auto it = g_cached.find(rounded);
    if (it != g_cached.end() && !it->second.empty()) {
        d = it->second.back();
        it->second.pop_back();
        g_cached_bytes -= rounded;
    } else {
        cudaError_t err = cudaMalloc(&d, rounded);
        if (err != cudaSuccess && g_cached_bytes) {  // give the cache back and try once more
            cudaGetLastError();
            release_cached();
            err = cudaMalloc(&d, rounded);
        }
        if (err != cudaSuccess) {
            cudaGetLastError();  // clear the error so later calls still work
            size_t free_b = 0, total_b = 0;
            cudaMemGetInfo(&free_b, &total_b);
            kcuda_fail("cuda: out of device memory: asked for %.1f MiB, %.1f MiB free of %.1f MiB (%s)",
                       bytes / 1048576.0, free_b / 1048576.0, total_b / 1048576.0, cudaGetErrorString(err));
            return NULL;
        }
    }
    g_live[d] = live_block{bytes, rounded};
    g_in_use += bytes;
    if (g_in_use > g_peak) g_peak = g_in_use;
    return d;
}

extern "C" void kcuda_free(void *d) {
    if (!d) return;
    auto it = g_live.find(d);
    if (it == g_live.end()) return;  // not ours: never hand a foreign pointer to the cache
    g_in_use -= it->second.requested;
    g_cached[it->second.rounded].push_back(d);
    g_cached_bytes += it->second.rounded;
    g_live.erase(it);
}

extern "C" size_t kcuda_bytes_in_use(void) { return g_in_use; }
extern "C" size_t kcuda_peak_bytes(void) { return g_peak; }
extern "C" void kcuda_peak_reset(void) { g_peak = g_in_use; }

extern "C" int kcuda_upload(void *d_dst, const void *src, size_t bytes) {
    if (!bytes) return 0;
    return kcuda_check(cudaMemcpyAsync(d_dst, src, bytes, cudaMemcpyHostToDevice, g_stream), "upload") ||
           kcuda_check(cudaStreamSynchronize(g_stream), "upload");  // src may be freed right after
}

extern "C" int kcuda_download(void *dst, const void *d_src, size_t bytes) {
    if (!bytes) return 0;
    return kcuda_check(cudaMemcpyAsync(dst, d_src, bytes, cudaMemcpyDeviceToHost, g_stream), "download") ||
           kcuda_check(cudaStreamSynchronize(g_stream), "download");
}

extern "C" int kcuda_copy(void *d_dst, const void *d_src, size_t bytes) {
    if (!bytes) return 0;
    return kcuda_check(cudaMemcpyAsync(d_dst, d_src, bytes, cudaMemcpyDeviceToDevice, g_stream), "device copy");
}

extern "C" int kcuda_sync(void) { return kcuda_check(cudaStreamSynchronize(g_stream), "synchronize"); }

static uint16_t to_bf16_host(float f) {  // round to nearest even; NaN stays NaN
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

extern "C" int kcuda_upload_bf16(bf16_t *d_dst, const float *src, size_t n) {
    const size_t piece = (size_t)1 << 22;
    uint16_t *stage = (uint16_t *)malloc(sizeof(uint16_t) * (n < piece ? n : piece));
    if (!stage) return kcuda_fail("cuda: out of host memory staging an upload");
    int rc = 0;
    for (size_t at = 0; at < n && rc == 0; at += piece) {
        size_t m = n - at < piece ? n - at : piece;
        for (size_t i = 0; i < m; i++) stage[i] = to_bf16_host(src[at + i]);
        rc = kcuda_upload(d_dst + at, stage, sizeof(uint16_t) * m);
    }
    free(stage);
    return rc;
}

// splitmix64 of (seed, index): reproducible on any launch shape.
__global__ static void fill_random_kernel(__nv_bfloat16 *dst, size_t n, uint64_t seed, float scale) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
        uint64_t z = seed + 0x9e3779b97f4a7c15ull * (i + 1);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        float u = (float)(z >> 40) * (1.0f / 16777216.0f);  // [0, 1)
        dst[i] = __float2bfloat16((2.0f * u - 1.0f) * scale);
    }
}

extern "C" int kcuda_fill_random_bf16(bf16_t *d_dst, size_t n, uint64_t seed, float scale) {
    fill_random_kernel<<<4096, 256, 0, g_stream>>>((__nv_bfloat16 *)d_dst, n, seed, scale);
    return KCUDA_LAUNCHED("fill_random");
}

__global__ static void fill_kernel(float *dst, size_t n, float value) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
        dst[i] = value;
}

extern "C" int kcuda_fill_f32(float *d_dst, size_t n, float value) {
    fill_kernel<<<1024, 256, 0, g_stream>>>(d_dst, n, value);
    return KCUDA_LAUNCHED("fill");
}
