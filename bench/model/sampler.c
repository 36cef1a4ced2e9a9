#include "bench/model/sampler.h"

#include <math.h>
#include <stdlib.h>

#include "bench/base/error.h"

void sampler_init(sampler *s, float temperature, uint64_t seed) {
    s->temperature = temperature;
    s->rng = seed ? seed : 0x9E3779B97F4A7C15ull;
}

int32_t argmax(const float *x, int n) {
    int32_t best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

static double next_uniform(sampler *s) {
    s->rng ^= s->rng >> 12;
    s->rng ^= s->rng << 25;
    s->rng ^= s->rng >> 27;
    return (double)((s->rng * 0x2545F4914F6CDD1Dull) >> 11) / (double)(1ull << 53);
}

int32_t sampler_next(sampler *s, const float *logits, int vocab) {
    if (s->temperature <= 0.0f) return argmax(logits, vocab);
    float mx = logits[argmax(logits, vocab)];
    double total = 0.0;
    for (int i = 0; i < vocab; i++) total += exp((double)(logits[i] - mx) / s->temperature);
    double r = next_uniform(s) * total, acc = 0.0;
    for (int i = 0; i < vocab; i++) {
        acc += exp((double)(logits[i] - mx) / s->temperature);
        if (acc >= r) return i;
    }
    return vocab - 1;
}
