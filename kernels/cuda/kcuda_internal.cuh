// Shared by the kernels/cuda translation units: the stream, error reporting, launch checks.
#ifndef PCB_KCUDA_INTERNAL_CUH
#define PCB_KCUDA_INTERNAL_CUH

#include <cuda_bf16.h>
#include <cuda_runtime.h>

extern "C" {
#include "kernels/kernels_cuda.h"
}

cudaStream_t kcuda_stream(void);
int kcuda_fail(const char *fmt, ...);  // sets kcuda_error(), returns -1
// Checks a runtime call or the last launch; on failure records `what` and the CUDA message.
int kcuda_check(cudaError_t err, const char *what);
#define KCUDA_LAUNCHED(what) kcuda_check(cudaGetLastError(), what)

static inline unsigned kcuda_blocks(long long n, int threads) { return (unsigned)((n + threads - 1) / threads); }

#endif
