// RMSNorm: y = x / sqrt(mean(x^2) + eps) * weight, per row.
#include <math.h>

#include "kernels/kernels.h"

void rmsnorm(float *out, const float *x, const float *weight, int n, int d, float eps) {
#pragma omp parallel for if (n > 16)
    for (int i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * d;
        float *oi = out + (size_t)i * d;
        float ss = 0.0f;
#pragma omp simd reduction(+ : ss)
        for (int j = 0; j < d; j++) ss += xi[j] * xi[j];
        float scale = 1.0f / sqrtf(ss / d + eps);
        for (int j = 0; j < d; j++) oi[j] = xi[j] * scale * weight[j];
    }
}
