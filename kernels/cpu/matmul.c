// Dense matmul against a weight matrix stored [d_out, d_in], through OpenBLAS.
#include <cblas.h>

#include "kernels.h"

void matmul_wt(float *out, const float *x, const float *w, int n, int d_in, int d_out) {
    if (n == 1) {  // decode: matrix-vector is cheaper than a 1-row GEMM
        cblas_sgemv(CblasRowMajor, CblasNoTrans, d_out, d_in, 1.0f, w, d_in, x, 1, 0.0f, out, 1);
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, d_out, d_in, 1.0f, x, d_in, w, d_in, 0.0f, out,
                d_out);
}
