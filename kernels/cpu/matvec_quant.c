// Decode-time matrix-vector product straight from ggml blocks (Q8_0, Q4_1): y = W x.
// One token's decode streams every weight once, so reading 20-34 bytes per 32 weights instead
// of 128 (float32) is what bounds its speed. The activations stay float32 (no activation
// quantisation), so results equal the float32 path up to summation order.
#include <omp.h>
#include <string.h>
#if (defined(__AVX2__) && defined(__FMA__)) || defined(__F16C__)
#include <immintrin.h>
#endif

#include "kernels/kernels.h"

#define QK 32

static inline float load_f16(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
#if defined(__F16C__)
    return _cvtsh_ss(h);  // one instruction; the portable converter branches per call
#else
    return fp16_to_fp32(h);
#endif
}

#if defined(__AVX2__) && defined(__FMA__)
static inline float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
#endif

// Q4_1 block: f16 d, f16 m, 16 bytes (element j in the low nibble of byte j, j+16 in the high).
// sum_j (d q_j + m) x_j = d * sum_j q_j x_j + m * sum_j x_j; sum_j x_j is per block of x.
static float row_q4_1(const uint8_t *row, const float *x, const float *xsum, int n_blocks) {
    float offsets = 0.0f;
#if defined(__AVX2__) && defined(__FMA__)
    // Two accumulators and a product tree per block: a single fma chain per row was bound by
    // its latency, not by memory.
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    const __m128i mask = _mm_set1_epi8(0x0f);
    for (int b = 0; b < n_blocks; b++) {
        const uint8_t *blk = row + b * 20;
        const float *xb = x + b * QK;
        __m128i q = _mm_loadu_si128((const __m128i *)(blk + 4));
        __m128i lo = _mm_and_si128(q, mask), hi = _mm_and_si128(_mm_srli_epi16(q, 4), mask);
        __m256 p0 = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(lo)), _mm256_loadu_ps(xb));
        __m256 p1 =
            _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(lo, 8))), _mm256_loadu_ps(xb + 8));
        p0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(hi)), _mm256_loadu_ps(xb + 16), p0);
        p1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(hi, 8))), _mm256_loadu_ps(xb + 24),
                             p1);
        acc[b & 1] = _mm256_fmadd_ps(_mm256_set1_ps(load_f16(blk)), _mm256_add_ps(p0, p1), acc[b & 1]);
        offsets += load_f16(blk + 2) * xsum[b];
    }
    return hsum256(_mm256_add_ps(acc[0], acc[1])) + offsets;
#else
    float acc = 0.0f;
    for (int b = 0; b < n_blocks; b++) {
        const uint8_t *blk = row + b * 20, *qs = blk + 4;
        const float *xb = x + b * QK;
        float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
        for (int j = 0; j < QK / 2; j++) dot += (float)(qs[j] & 0x0f) * xb[j] + (float)(qs[j] >> 4) * xb[j + QK / 2];
        acc += load_f16(blk) * dot;
        offsets += load_f16(blk + 2) * xsum[b];
    }
    return acc + offsets;
#endif
}

// Q8_0 block: f16 d, 32 int8.
static float row_q8_0(const uint8_t *row, const float *x, int n_blocks) {
#if defined(__AVX2__) && defined(__FMA__)
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
#define Q8_PART(k) _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(qs + (k)))))
    for (int b = 0; b < n_blocks; b++) {
        const uint8_t *blk = row + b * 34, *qs = blk + 2;
        const float *xb = x + b * QK;
        __m256 p0 = _mm256_mul_ps(Q8_PART(0), _mm256_loadu_ps(xb));
        __m256 p1 = _mm256_mul_ps(Q8_PART(8), _mm256_loadu_ps(xb + 8));
        p0 = _mm256_fmadd_ps(Q8_PART(16), _mm256_loadu_ps(xb + 16), p0);
        p1 = _mm256_fmadd_ps(Q8_PART(24), _mm256_loadu_ps(xb + 24), p1);
        acc[b & 1] = _mm256_fmadd_ps(_mm256_set1_ps(load_f16(blk)), _mm256_add_ps(p0, p1), acc[b & 1]);
    }
#undef Q8_PART
    return hsum256(_mm256_add_ps(acc[0], acc[1]));
#else
    float acc = 0.0f;
    for (int b = 0; b < n_blocks; b++) {
        const uint8_t *blk = row + b * 34;
        const int8_t *qs = (const int8_t *)(blk + 2);
        const float *xb = x + b * QK;
        float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
        for (int j = 0; j < QK; j++) dot += (float)qs[j] * xb[j];
        acc += load_f16(blk) * dot;
    }
    return acc;
#endif
}

int matvec_quant_supported(int type) { return type == GGML_TYPE_Q4_1 || type == GGML_TYPE_Q8_0; }

int matvec_quant(float *out, const void *w, int type, const float *x, int d_in, int d_out) {
    if (!matvec_quant_supported(type) || d_in % QK) return -1;
    int n_blocks = d_in / QK;
    size_t row_bytes = (size_t)n_blocks * (type == GGML_TYPE_Q4_1 ? 20 : 34);
    float xsum[1024];  // per-block sums of x (Q4_1's offset term); d_in <= 32768
    if (n_blocks > 1024) return -1;
    for (int b = 0; b < n_blocks; b++) {
        float s = 0.0f;
        for (int j = 0; j < QK; j++) s += x[b * QK + j];
        xsum[b] = s;
    }
    const uint8_t *base = w;
#pragma omp parallel for schedule(static) if (d_out >= 256)
    for (int o = 0; o < d_out; o++) {
        const uint8_t *row = base + (size_t)o * row_bytes;
        out[o] = type == GGML_TYPE_Q4_1 ? row_q4_1(row, x, xsum, n_blocks) : row_q8_0(row, x, n_blocks);
    }
    return 0;
}
