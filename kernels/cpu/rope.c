// Rotary position embedding with explicit position ids. GGUF llama-arch Q/K weights are
// permuted by the converter so that rotation pairs are adjacent elements (2i, 2i+1).
#include <math.h>

#include "kernels/kernels.h"

void rope_interleaved(float *x, const int32_t *pos, int n, int n_heads, int head_dim, float theta) {
    int half = head_dim / 2;
    float inv_freq[512];
    for (int i = 0; i < half && i < 512; i++) inv_freq[i] = powf(theta, -2.0f * i / head_dim);
#pragma omp parallel for if (n > 16)
    for (int t = 0; t < n; t++) {
        float cs[512], sn[512];
        for (int i = 0; i < half; i++) {
            // double for the angle: positions reach 10^5+, float phase error would grow with them
            double a = (double)pos[t] * inv_freq[i];
            cs[i] = (float)cos(a);
            sn[i] = (float)sin(a);
        }
        float *row = x + (size_t)t * n_heads * head_dim;
        for (int h = 0; h < n_heads; h++) {
            float *v = row + h * head_dim;
            for (int i = 0; i < half; i++) {
                float a = v[2 * i], b = v[2 * i + 1];
                v[2 * i] = a * cs[i] - b * sn[i];
                v[2 * i + 1] = a * sn[i] + b * cs[i];
            }
        }
    }
}
