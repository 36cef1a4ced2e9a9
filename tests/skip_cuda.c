// Stands in for tests/test_cuda.c in a build without the CUDA engine (the Makefile builds it as
// BUILD/tests/test_cuda then): that test calls the CUDA kernels directly, so it cannot link here.
// Reports its tests as skipped, with the reason the backend contract gives.
#include <stdio.h>

#include "bench/engine/backend.h"

int main(void) {
    char why[256];
    if (backend_available(BACKEND_CUDA, why, sizeof why)) {
        printf("not ok - test_cuda: this build has the CUDA engine but ran the stand-in (Makefile)\n");
        return 1;
    }
    printf("skip - test_cuda (kernel parity, device KV cache, model on the GPU): %s\n", why);
    return 0;
}
