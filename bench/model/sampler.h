// Next-token choice: greedy (temperature 0) or temperature sampling with a seeded RNG.
#ifndef PCB_SAMPLER_H
#define PCB_SAMPLER_H

#include <stdint.h>

typedef struct {
    float temperature;  // 0 = greedy (argmax)
    uint64_t rng;       // xorshift64* state
} sampler;

void sampler_init(sampler *s, float temperature, uint64_t seed);
int32_t sampler_next(sampler *s, const float *logits, int vocab);
int32_t argmax(const float *x, int n);

#endif
