// SwiGLU activation of the Llama MLP: silu(gate) * up, in place into gate.
#include <math.h>

#include "kernels/cpu/vector_math.h"
#include "kernels/kernels.h"

void swiglu(float *gate, const float *up, int64_t n) {
#pragma omp parallel for simd if (n > 65536)
    for (int64_t i = 0; i < n; i++) {
        float g = gate[i];
        gate[i] = g / (1.0f + expf(-g)) * up[i];
    }
}
