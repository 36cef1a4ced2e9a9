// Dense matmul against a weight matrix stored [d_out, d_in]. OpenBLAS runs single-threaded
// and OpenMP splits the output columns across threads: mixing OpenBLAS's own thread pool with
// OpenMP's spinning workers on the same cores made decode ~8x slower.
#include <cblas.h>
#include <omp.h>

#include "kernels/kernels.h"

void matmul_wt(float *out, const float *x, const float *w, int n, int d_in, int d_out) {
    int nt = kernels_num_threads();
    if ((long)n * d_in * d_out < 32768) nt = 1;  // not worth waking threads
#pragma omp parallel num_threads(nt)
    {
        int t = omp_get_thread_num(), k = omp_get_num_threads();
        // Slices rounded to 16 columns keep each thread's rows cache-line aligned.
        int per = ((d_out + k - 1) / k + 15) / 16 * 16;
        int o0 = t * per, o1 = o0 + per < d_out ? o0 + per : d_out;
        if (o0 < o1) {
            if (n == 1)  // decode: matrix-vector
                cblas_sgemv(CblasRowMajor, CblasNoTrans, o1 - o0, d_in, 1.0f, w + (size_t)o0 * d_in, d_in, x, 1, 0.0f,
                            out + o0, 1);
            else
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, o1 - o0, d_in, 1.0f, x, d_in,
                            w + (size_t)o0 * d_in, d_in, 0.0f, out + o0, d_out);
        }
    }
}
