// CPU kernels against straightforward double-precision references.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/model/gguf.h"
#include "kernels/kernels.h"
#include "tests/test.h"
#include "tests/tiny_gguf.h"

static uint64_t rng_state = 12345;
static float frand(void) {  // uniform in [-1, 1)
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((rng_state >> 40) / (double)(1ull << 24)) * 2.0f - 1.0f;
}
static void fill(float *x, int n) {
    for (int i = 0; i < n; i++) x[i] = frand();
}

static void test_matmul_wt(void) {
    int shapes[][3] = {{1, 64, 48}, {7, 33, 5}, {64, 128, 96}};
    for (int s = 0; s < 3; s++) {
        int n = shapes[s][0], din = shapes[s][1], dout = shapes[s][2];
        float *x = malloc(sizeof(float) * n * din), *w = malloc(sizeof(float) * dout * din);
        float *out = malloc(sizeof(float) * n * dout);
        fill(x, n * din);
        fill(w, dout * din);
        matmul_wt(out, x, w, n, din, dout);
        double maxerr = 0;
        for (int i = 0; i < n; i++)
            for (int o = 0; o < dout; o++) {
                double ref = 0;
                for (int k = 0; k < din; k++) ref += (double)x[i * din + k] * w[o * din + k];
                maxerr = max_nan(maxerr, fabs(ref - out[i * dout + o]));
            }
        CHECK_MSG(maxerr < 1e-4, "shape %d: max error %g", s, maxerr);
        free(x), free(w), free(out);
    }
}

static void test_rmsnorm(void) {
    int n = 3, d = 96;
    float x[3 * 96], w[96], out[3 * 96];
    fill(x, n * d);
    fill(w, d);
    rmsnorm(out, x, w, n, d, 1e-5f);
    for (int i = 0; i < n; i++) {
        double ss = 0;
        for (int j = 0; j < d; j++) ss += (double)x[i * d + j] * x[i * d + j];
        double inv = 1.0 / sqrt(ss / d + 1e-5);
        for (int j = 0; j < d; j++) CHECK_NEAR(out[i * d + j], x[i * d + j] * inv * w[j], 1e-5);
    }
}

static void test_rope(void) {
    int n = 4, heads = 3, hd = 8;
    int32_t pos[4] = {0, 1, 17, 100000};
    float x[4 * 3 * 8], ref[4 * 3 * 8];
    fill(x, n * heads * hd);
    for (int t = 0; t < n; t++)
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < hd / 2; i++) {
                double ang = pos[t] * pow(10000.0, -2.0 * i / hd);
                const float *v = x + (t * heads + h) * hd;
                ref[(t * heads + h) * hd + 2 * i] = (float)(v[2 * i] * cos(ang) - v[2 * i + 1] * sin(ang));
                ref[(t * heads + h) * hd + 2 * i + 1] = (float)(v[2 * i] * sin(ang) + v[2 * i + 1] * cos(ang));
            }
    rope_interleaved(x, pos, n, heads, hd, 10000.0f);
    for (int i = 0; i < n * heads * hd; i++) CHECK_NEAR(x[i], ref[i], 2e-4);
    // position 0 is the identity
    float y[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int32_t p0 = 0;
    rope_interleaved(y, &p0, 1, 1, 8, 10000.0f);
    for (int i = 0; i < 8; i++) CHECK(y[i] == (float)(i + 1));
}

static void test_softmax(void) {
    float x[5] = {1, 2, 3, -INFINITY, 1000};
    float lse = logsumexp_row(x, 5);
    float l2 = softmax_row(x, 5);
    CHECK_NEAR(lse, l2, 1e-3);
    CHECK_NEAR(lse, 1000.0, 1e-3);
    CHECK(x[3] == 0.0f);
    CHECK_NEAR(x[4], 1.0, 1e-6);
    float allmasked[3] = {-INFINITY, -INFINITY, -INFINITY};
    softmax_row(allmasked, 3);
    for (int i = 0; i < 3; i++) CHECK(allmasked[i] == 0.0f);
}

static void test_swiglu(void) {
    float g[4] = {-2, 0, 1, 3}, u[4] = {1, 2, 3, -1};
    float ref[4];
    for (int i = 0; i < 4; i++) ref[i] = g[i] / (1 + expf(-g[i])) * u[i];
    swiglu(g, u, 4);
    for (int i = 0; i < 4; i++) CHECK_NEAR(g[i], ref[i], 1e-6);
}

// attention_block against a naive per-row implementation, with masking by position and chunk.
static void test_attention_block(void) {
    int n_q = 9, n_keys = 40, hd = 16;
    float *q = malloc(sizeof(float) * n_q * hd), *k = malloc(sizeof(float) * n_keys * hd);
    float *v = malloc(sizeof(float) * n_keys * hd), *out = malloc(sizeof(float) * n_q * hd);
    float *probs = malloc(sizeof(float) * n_q * n_keys);
    int32_t qpos[9], qseq[9], kpos[40], kch[40];
    fill(q, n_q * hd);
    fill(k, n_keys * hd);
    fill(v, n_keys * hd);
    for (int j = 0; j < n_keys; j++) {
        kch[j] = j % 3 == 0 ? 1 : 0;  // two interleaved chunks: slot order is not position order
        kpos[j] = j / 2;
    }
    for (int i = 0; i < n_q; i++) {
        qpos[i] = 2 + 2 * i;
        qseq[i] = i % 3 == 2 ? -1 : i % 2;  // some rows see every chunk
    }
    float scale = 0.25f;
    attention_block(out, probs, 1, q, qpos, qseq, n_q, k, v, kpos, kch, n_keys, hd, scale);
    for (int i = 0; i < n_q; i++) {
        double s[40], mx = -1e300, sum = 0;
        for (int j = 0; j < n_keys; j++) {
            int vis = kpos[j] <= qpos[i] && (qseq[i] < 0 || kch[j] == qseq[i]);
            if (!vis) {
                s[j] = NAN;
                continue;
            }
            double d = 0;
            for (int c = 0; c < hd; c++) d += (double)q[i * hd + c] * k[j * hd + c];
            s[j] = d * scale;
            mx = fmax(mx, s[j]);
        }
        for (int j = 0; j < n_keys; j++) sum += isnan(s[j]) ? 0 : exp(s[j] - mx);
        double psum = 0;
        for (int j = 0; j < n_keys; j++) {
            double p = isnan(s[j]) ? 0 : exp(s[j] - mx) / sum;
            CHECK_NEAR(probs[i * n_keys + j], p, 1e-5);
            psum += probs[i * n_keys + j];
        }
        CHECK_NEAR(psum, 1.0, 1e-5);
        for (int c = 0; c < hd; c++) {
            double o = 0;
            for (int j = 0; j < n_keys; j++)
                if (!isnan(s[j])) o += exp(s[j] - mx) / sum * v[j * hd + c];
            CHECK_NEAR(out[i * hd + c], o, 1e-5);
        }
    }
    // Without full rows only the output is promised: it must not change.
    float *out2 = malloc(sizeof(float) * n_q * hd);
    attention_block(out2, probs, 0, q, qpos, qseq, n_q, k, v, kpos, kch, n_keys, hd, scale);
    CHECK(memcmp(out, out2, sizeof(float) * n_q * hd) == 0);
    free(out2);
    free(q), free(k), free(v), free(out), free(probs);
}

// Decode matvec straight from Q8_0 / Q4_1 blocks against dequantise-then-dot in double.
static void test_matvec_quant(void) {
    enum { D_IN = 96, D_OUT = 300 };  // D_OUT > 256 takes the threaded path
    ggml_type types[] = {GGML_TYPE_Q8_0, GGML_TYPE_Q4_1};
    float *w = malloc(sizeof(float) * D_IN * D_OUT), x[D_IN], deq[D_IN], out[D_OUT];
    uint8_t *blocks = malloc(34 * (D_IN / 32) * D_OUT);
    fill(w, D_IN * D_OUT);
    fill(x, D_IN);
    for (size_t t = 0; t < 2; t++) {
        size_t row_bytes = tiny_type_bytes(types[t], D_IN);
        for (int o = 0; o < D_OUT; o++)
            CHECK(tiny_quantize(types[t], w + o * D_IN, blocks + o * row_bytes, D_IN) == row_bytes);
        CHECK(matvec_quant_supported(types[t]));
        CHECK(matvec_quant(out, blocks, types[t], x, D_IN, D_OUT) == 0);
        double worst = 0;
        for (int o = 0; o < D_OUT; o++) {
            dequantize_row(types[t], blocks + o * row_bytes, deq, D_IN);
            double ref = 0;
            for (int i = 0; i < D_IN; i++) ref += (double)deq[i] * x[i];
            worst = max_nan(worst, fabs(ref - out[o]));
        }
        CHECK_MSG(worst < 1e-4, "%s: max error %g", ggml_type_name(types[t]), worst);
    }
    CHECK(matvec_quant(out, blocks, GGML_TYPE_Q4_0, x, D_IN, D_OUT) == -1);  // no kernel: caller falls back
    free(w), free(blocks);
}

int main(void) {
    kernels_set_num_threads(2);
    RUN_TEST(test_matmul_wt);
    RUN_TEST(test_rmsnorm);
    RUN_TEST(test_rope);
    RUN_TEST(test_softmax);
    RUN_TEST(test_swiglu);
    RUN_TEST(test_attention_block);
    RUN_TEST(test_matvec_quant);
    return test_summary();
}
