// What `pcbench info` and results files say about the GPU. Asks the runtime directly, without
// kcuda_init (no stream, no cuBLAS), so it answers even where no device can be used.
#include <cuda_runtime.h>
#include <stdio.h>

#include "kernels/cuda/kcuda_internal.cuh"

extern "C" int kcuda_describe(char *out, size_t cap) {
    int n = 0;
    cudaError_t err = cudaGetDeviceCount(&n);
    if (err == cudaErrorInsufficientDriver || err == cudaErrorNoDevice || (err == cudaSuccess && n == 0)) {
        snprintf(out, cap, "no CUDA device (no usable NVIDIA driver or GPU on this machine)");
        return 0;
    }
    if (err != cudaSuccess) {
        snprintf(out, cap, "no CUDA device (%s)", cudaGetErrorString(err));
        return 0;
    }
    cudaDeviceProp prop;
    int runtime = 0;
    cudaGetDeviceProperties(&prop, 0);
    cudaRuntimeGetVersion(&runtime);
    snprintf(out, cap, "%s (%d device%s, compute %d.%d, %.1f GiB, CUDA runtime %d)", prop.name, n, n > 1 ? "s" : "",
             prop.major, prop.minor, prop.totalGlobalMem / 1073741824.0, runtime);
    return n;
}
