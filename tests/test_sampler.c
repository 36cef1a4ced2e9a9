// Next-token sampling (bench/model/sampler.c): greedy is the argmax; temperature sampling draws
// token i with probability softmax(logits / T)_i, checked by a chi-square goodness-of-fit test
// on a small vocabulary with a fixed seed (so the test is repeatable).
#include <math.h>
#include <stdint.h>

#include "bench/model/sampler.h"
#include "tests/test.h"

enum { V = 6, DRAWS = 100000 };
static const float logits[V] = {2.0f, 1.0f, 0.5f, 0.0f, -1.0f, -3.0f};

// Pearson's statistic of DRAWS samples at temperature t against softmax(logits / t).
static double chi_square(float t, uint64_t seed, double *expected_min) {
    sampler s;
    sampler_init(&s, t, seed);
    long count[V] = {0};
    *expected_min = 0;
    for (int i = 0; i < DRAWS; i++) {
        int32_t id = sampler_next(&s, logits, V);
        if (id < 0 || id >= V) return INFINITY;
        count[id]++;
    }
    double z = 0, p[V];
    for (int i = 0; i < V; i++) z += exp(logits[i] / (double)t);
    double x2 = 0;
    *expected_min = DRAWS;
    for (int i = 0; i < V; i++) {
        p[i] = exp(logits[i] / (double)t) / z;
        double e = DRAWS * p[i];
        *expected_min = fmin(*expected_min, e);
        x2 += (count[i] - e) * (count[i] - e) / e;
    }
    return x2;
}

static void test_greedy(void) {
    sampler s;
    sampler_init(&s, 0.0f, 7);
    const float x[5] = {0.5f, 3.0f, -1.0f, 3.0f, 2.9f};
    CHECK(sampler_next(&s, x, 5) == 1);  // the first of equal maxima
    CHECK(argmax(logits, V) == 0);
}

// With 5 degrees of freedom, P(chi2 > 30) = 1.5e-5 for a correct sampler: the bound is that
// quantile. A sampler off by the temperature (softmax(l) at T = 0.7, or l * T instead of l / T)
// or by one token gives statistics in the thousands at this many draws; every expected count is
// >= 50, where the chi-square approximation holds.
static void test_temperature_frequencies(void) {
    const float temps[3] = {0.7f, 1.0f, 1.6f};
    for (int i = 0; i < 3; i++) {
        double e_min, x2 = chi_square(temps[i], 12345 + i, &e_min);
        CHECK_MSG(x2 < 30.0, "T = %g: chi-square %.1f over %d draws (5 dof, bound 30)", temps[i], x2, DRAWS);
        CHECK(e_min >= 50);
        printf("  T = %.1f: chi-square %.2f (5 dof)\n", temps[i], x2);
    }
    // The test has power: the frequencies of T = 0.7 are far from softmax(logits) at T = 1.
    sampler s;
    sampler_init(&s, 0.7f, 99);
    long top = 0;
    for (int i = 0; i < DRAWS; i++) top += sampler_next(&s, logits, V) == 0;
    double z1 = 0;
    for (int i = 0; i < V; i++) z1 += exp(logits[i]);
    double p1 = exp(logits[0]) / z1;  // 0.561 at T = 1; 0.700 at T = 0.7
    CHECK_MSG(fabs((double)top / DRAWS - p1) > 0.1, "token 0 drawn %.4f of the time at T = 0.7", (double)top / DRAWS);
}

static void test_seeded(void) {
    sampler a, b;
    sampler_init(&a, 0.8f, 3), sampler_init(&b, 0.8f, 3);
    int same = 1;
    for (int i = 0; i < 1000; i++) same &= sampler_next(&a, logits, V) == sampler_next(&b, logits, V);
    CHECK(same);
}

int main(void) {
    RUN_TEST(test_greedy);
    RUN_TEST(test_temperature_frequencies);
    RUN_TEST(test_seeded);
    return test_summary();
}
