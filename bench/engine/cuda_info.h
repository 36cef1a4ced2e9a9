// Whether a CUDA device is usable: built with nvcc (kernels/cuda) when available, and a
// host-only answer otherwise.
#ifndef PCB_CUDA_INFO_H
#define PCB_CUDA_INFO_H

#include <stddef.h>

// Writes e.g. "NVIDIA H100 80GB HBM3 (1 device, CUDA runtime 13000)", "no CUDA device
// (no CUDA-capable device is detected)" or "not built (nvcc not found at build time)".
void cuda_describe(char *out, size_t cap);

#endif
