#include "bench/engine/cuda_info.h"

#include <stdio.h>

#ifdef PCB_HAVE_CUDA
int pcb_cuda_describe(char *out, size_t cap);  // kernels/cuda/device_info.cu
#endif

void cuda_describe(char *out, size_t cap) {
#ifdef PCB_HAVE_CUDA
    pcb_cuda_describe(out, cap);
#else
    snprintf(out, cap, "not built (nvcc not found at build time)");
#endif
}
