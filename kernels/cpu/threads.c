// Thread count for the OpenMP regions. OpenBLAS is kept single-threaded: every parallel loop
// is ours (see matmul.c).
#include <cblas.h>
#include <omp.h>

#include "kernels/kernels.h"

static int n_threads = 0;

// Callers that never chose a count (library users, tests) still get a single-threaded OpenBLAS:
// a threaded BLAS inside our parallel loops oversubscribes the cores (10x slower on 16 cores).
int kernels_num_threads(void) {
    if (n_threads <= 0 && !omp_in_parallel()) kernels_set_num_threads(0);
    return n_threads > 0 ? n_threads : omp_get_max_threads();
}

void kernels_set_num_threads(int n) {
    if (n <= 0) n = omp_get_num_procs();
    n_threads = n;
    omp_set_num_threads(n);
    openblas_set_num_threads(1);
}
