// Numerically stable softmax and log-sum-exp of one row.
#include <math.h>

#include "kernels/cpu/vector_math.h"
#include "kernels/kernels.h"

float logsumexp_row(const float *x, int n) {
    float mx = -INFINITY;
    for (int i = 0; i < n; i++) mx = x[i] > mx ? x[i] : mx;
    if (mx == -INFINITY) return -INFINITY;
    double s = 0.0;
    for (int i = 0; i < n; i++) s += exp((double)(x[i] - mx));
    return mx + (float)log(s);
}

float softmax_row(float *x, int n) {
    float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
    for (int i = 0; i < n; i++) mx = x[i] > mx ? x[i] : mx;
    if (mx == -INFINITY) {  // every key masked: define the row as all zeros
        for (int i = 0; i < n; i++) x[i] = 0.0f;
        return -INFINITY;
    }
    float s = 0.0f;
    // omp simd + -fno-math-errno let gcc call glibc's vector expf (libmvec).
#pragma omp simd reduction(+ : s)
    for (int i = 0; i < n; i++) {
        x[i] = expf(x[i] - mx);
        s += x[i];
    }
    float inv = 1.0f / s;
#pragma omp simd
    for (int i = 0; i < n; i++) x[i] *= inv;
    return mx + logf(s);
}
