// Dequantisation of ggml block formats to float32 (done once, at model load).
#include <math.h>
#include <string.h>

#include "kernels/kernels.h"

#define QK 32

float fp16_to_fp32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t mant = h & 0x3ff;
    uint32_t bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {  // subnormal: normalise
            int e = -1;
            do {
                mant <<= 1;
                e++;
            } while (!(mant & 0x400));
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((mant & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t fp32_to_fp16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    int32_t exp = (int32_t)((x >> 23) & 0xff) - 127 + 15;
    uint32_t mant = x & 0x7fffff;
    if (((x >> 23) & 0xff) == 0xff) return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 : 0));
    if (exp >= 31) return (uint16_t)(sign | 0x7c00);
    if (exp <= 0) {
        if (exp < -10) return (uint16_t)sign;
        mant |= 0x800000;
        uint32_t shift = (uint32_t)(14 - exp);
        uint32_t half = mant >> shift;
        uint32_t rem = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = sign | ((uint32_t)exp << 10) | (mant >> 13);
    uint32_t rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) half++;  // round to nearest even
    return (uint16_t)half;
}

float bf16_to_fp32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static uint16_t load_u16(const uint8_t *p) {
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

int dequantize_row(int type, const void *src_, float *dst, int64_t n) {
    const uint8_t *src = src_;
    switch (type) {
    case GGML_TYPE_F32:
        memcpy(dst, src, (size_t)n * 4);
        return 0;
    case GGML_TYPE_F16:
        for (int64_t i = 0; i < n; i++) dst[i] = fp16_to_fp32(load_u16(src + 2 * i));
        return 0;
    case GGML_TYPE_BF16:
        for (int64_t i = 0; i < n; i++) dst[i] = bf16_to_fp32(load_u16(src + 2 * i));
        return 0;
    case GGML_TYPE_Q8_0:  // block: f16 d, int8 q[32]; x = d * q
        for (int64_t b = 0; b < n / QK; b++) {
            const uint8_t *blk = src + b * 34;
            float d = fp16_to_fp32(load_u16(blk));
            const int8_t *q = (const int8_t *)(blk + 2);
            for (int j = 0; j < QK; j++) dst[b * QK + j] = d * q[j];
        }
        return 0;
    case GGML_TYPE_Q4_0:  // block: f16 d, 16 bytes; low nibbles are elements 0..15, high 16..31; x = d*(q-8)
        for (int64_t b = 0; b < n / QK; b++) {
            const uint8_t *blk = src + b * 18;
            float d = fp16_to_fp32(load_u16(blk));
            const uint8_t *qs = blk + 2;
            for (int j = 0; j < QK / 2; j++) {
                dst[b * QK + j] = d * ((qs[j] & 0x0f) - 8);
                dst[b * QK + j + QK / 2] = d * ((qs[j] >> 4) - 8);
            }
        }
        return 0;
    case GGML_TYPE_Q4_1:  // block: f16 d, f16 m, 16 bytes; x = d*q + m
        for (int64_t b = 0; b < n / QK; b++) {
            const uint8_t *blk = src + b * 20;
            float d = fp16_to_fp32(load_u16(blk));
            float m = fp16_to_fp32(load_u16(blk + 2));
            const uint8_t *qs = blk + 4;
            for (int j = 0; j < QK / 2; j++) {
                dst[b * QK + j] = d * (qs[j] & 0x0f) + m;
                dst[b * QK + j + QK / 2] = d * (qs[j] >> 4) + m;
            }
        }
        return 0;
    }
    return -1;
}
