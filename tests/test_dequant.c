// dequantize_row and the fp16/bf16 helpers against an independent reference: the llama.cpp
// project's Python gguf package (tests/golden/make_quant_golden.py wrote quant_golden.json).
// Dequantisation is exact arithmetic on exactly representable values (d*q is exact in fp32,
// Q4_1 adds m with one rounding), so any correct implementation matches bit for bit.
// The same file checks that the quantisers in tests/tiny_gguf.c (used to build test models)
// produce gguf-py's bytes.
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>

#include "bench/base/text_file.h"
#include "bench/model/gguf.h"
#include "kernels/kernels.h"
#include "tests/test.h"
#include "tests/tiny_gguf.h"

#define GOLDEN_PATH "tests/golden/quant_golden.json"
#define N_GOLDEN 256

static cJSON *golden;

static cJSON *load_golden(void) {
    size_t n;
    char *s = read_text_file(GOLDEN_PATH, &n);
    if (!s) return NULL;
    cJSON *j = cJSON_Parse(s);
    free(s);
    return j;
}

// Decodes a hex string into exactly `n` bytes; 0 on success.
static int unhex(const char *hex, uint8_t *out, size_t n) {
    if (!hex || strlen(hex) != 2 * n) return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

static uint32_t bits_of(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static float float_of(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static const char *const type_names[] = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1"};
#define N_TYPES 5

typedef struct {
    int type;
    uint8_t bytes[N_GOLDEN * 2];  // the largest: F16/BF16
    size_t nbytes;
    float deq[N_GOLDEN];
} golden_case;

static int get_case(const char *name, golden_case *c) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(golden, "types"), name);
    const cJSON *gt = cJSON_GetObjectItemCaseSensitive(t, "ggml_type");
    const cJSON *bh = cJSON_GetObjectItemCaseSensitive(t, "bytes_hex");
    const cJSON *dh = cJSON_GetObjectItemCaseSensitive(t, "dequant_f32_hex");
    if (!cJSON_IsNumber(gt) || !cJSON_IsString(bh) || !cJSON_IsString(dh)) return -1;
    c->type = gt->valueint;
    c->nbytes = strlen(bh->valuestring) / 2;
    if (c->nbytes > sizeof c->bytes || c->nbytes != tiny_type_bytes((ggml_type)c->type, N_GOLDEN)) return -1;
    uint8_t d[N_GOLDEN * 4];
    if (unhex(bh->valuestring, c->bytes, c->nbytes) || unhex(dh->valuestring, d, sizeof d)) return -1;
    memcpy(c->deq, d, sizeof d);
    return 0;
}

static int get_input(float *x) {
    const cJSON *ih = cJSON_GetObjectItemCaseSensitive(golden, "input_f32_hex");
    uint8_t d[N_GOLDEN * 4];
    if (!cJSON_IsString(ih) || unhex(ih->valuestring, d, sizeof d)) return -1;
    memcpy(x, d, sizeof d);
    return 0;
}

// Counts bitwise mismatches, printing the first few.
static int compare_bits(const char *what, const float *got, const float *want, int n) {
    int bad = 0;
    for (int i = 0; i < n; i++)
        if (bits_of(got[i]) != bits_of(want[i]) && bad++ < 5)
            fprintf(stderr, "  %s[%d]: got %.9g (0x%08x), want %.9g (0x%08x)\n", what, i, got[i], bits_of(got[i]),
                    want[i], bits_of(want[i]));
    return bad;
}

static void test_golden_file_loads(void) {
    CHECK_MSG(golden != NULL, "cannot read or parse %s (run from the repo root)", GOLDEN_PATH);
    if (!golden) return;
    CHECK(cJSON_GetObjectItemCaseSensitive(golden, "n")->valueint == N_GOLDEN);
    float x[N_GOLDEN];
    CHECK(get_input(x) == 0);
    for (int i = 0; i < N_TYPES; i++) {
        golden_case c;
        CHECK_MSG(get_case(type_names[i], &c) == 0, "golden entry %s malformed", type_names[i]);
    }
}

static void test_dequant_matches_gguf_py(void) {
    if (!golden) FAIL_TEST("tests/golden/quant_golden.json");
    for (int i = 0; i < N_TYPES; i++) {
        golden_case c;
        if (get_case(type_names[i], &c)) {
            CHECK_MSG(0, "golden entry %s malformed", type_names[i]);
            continue;
        }
        float out[N_GOLDEN];
        memset(out, 0xff, sizeof out);  // NaN fill: an element left unwritten cannot match
        CHECK(dequantize_row(c.type, c.bytes, out, N_GOLDEN) == 0);
        int bad = compare_bits(type_names[i], out, c.deq, N_GOLDEN);
        CHECK_MSG(bad == 0, "%s: %d of %d values differ from gguf-py", type_names[i], bad, N_GOLDEN);
    }
}

// Row by row (one block at a time) must give the same values as one long call: no state
// carried across blocks, correct block strides.
static void test_dequant_blockwise(void) {
    if (!golden) FAIL_TEST("tests/golden/quant_golden.json");
    for (int i = 0; i < N_TYPES; i++) {
        golden_case c;
        if (get_case(type_names[i], &c)) continue;
        size_t bb = tiny_type_bytes((ggml_type)c.type, 32);
        float out[N_GOLDEN];
        for (int b = 0; b < N_GOLDEN / 32; b++) CHECK(dequantize_row(c.type, c.bytes + b * bb, out + b * 32, 32) == 0);
        CHECK_MSG(compare_bits(type_names[i], out, c.deq, N_GOLDEN) == 0, "%s block by block", type_names[i]);
    }
}

static void test_quantizers_match_gguf_py(void) {
    if (!golden) FAIL_TEST("tests/golden/quant_golden.json");
    float x[N_GOLDEN];
    if (get_input(x)) FAIL_TEST("a well-formed golden input");
    for (int i = 0; i < N_TYPES; i++) {
        golden_case c;
        if (get_case(type_names[i], &c)) continue;
        uint8_t q[N_GOLDEN * 2];
        size_t n = tiny_quantize((ggml_type)c.type, x, q, N_GOLDEN);
        CHECK_MSG(n == c.nbytes, "%s: %zu bytes, gguf-py %zu", type_names[i], n, c.nbytes);
        int first = -1;
        for (size_t k = 0; k < c.nbytes && first < 0; k++)
            if (q[k] != c.bytes[k]) first = (int)k;
        CHECK_MSG(first < 0, "%s: quantised bytes differ from gguf-py from byte %d (0x%02x vs 0x%02x)", type_names[i],
                  first, first < 0 ? 0 : q[first], first < 0 ? 0 : c.bytes[first]);
    }
}

static void test_f32_passthrough_and_unknown_types(void) {
    float x[64], y[64];
    for (int i = 0; i < 64; i++) x[i] = (float)i * -0.375f;
    x[3] = -0.0f;
    CHECK(dequantize_row(GGML_TYPE_F32, x, y, 64) == 0);
    CHECK(compare_bits("F32", y, x, 64) == 0);
    uint8_t junk[256] = {0};
    const int unknown[] = {4, 5, 6, 7, 9, 10, 12, 14, 29, 31, 99, -1};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        CHECK_MSG(dequantize_row(unknown[i], junk, y, 32) == -1, "type %d accepted", unknown[i]);
}

static void test_fp16_edge_cases(void) {
    // half -> float
    CHECK(bits_of(fp16_to_fp32(0x0000)) == 0x00000000u);
    CHECK(bits_of(fp16_to_fp32(0x8000)) == 0x80000000u);  // -0 keeps its sign
    CHECK(fp16_to_fp32(0x0001) == 0x1p-24f);              // smallest subnormal
    CHECK(fp16_to_fp32(0x8001) == -0x1p-24f);
    CHECK(fp16_to_fp32(0x03ff) == 1023 * 0x1p-24f);  // largest subnormal
    CHECK(fp16_to_fp32(0x0400) == 0x1p-14f);         // smallest normal
    CHECK(fp16_to_fp32(0x3c00) == 1.0f);
    CHECK(fp16_to_fp32(0xc000) == -2.0f);
    CHECK(fp16_to_fp32(0x7bff) == 65504.0f);
    CHECK(fp16_to_fp32(0xfbff) == -65504.0f);
    CHECK(isinf(fp16_to_fp32(0x7c00)) && fp16_to_fp32(0x7c00) > 0);
    CHECK(isinf(fp16_to_fp32(0xfc00)) && fp16_to_fp32(0xfc00) < 0);
    CHECK(isnan(fp16_to_fp32(0x7e00)));
    CHECK(isnan(fp16_to_fp32(0x7c01)));  // signalling-NaN pattern is still NaN, not inf
    CHECK(isnan(fp16_to_fp32(0xffff)));

    // float -> half (round to nearest, ties to even)
    CHECK(fp32_to_fp16(0.0f) == 0x0000);
    CHECK(fp32_to_fp16(-0.0f) == 0x8000);
    CHECK(fp32_to_fp16(1.0f) == 0x3c00);
    CHECK(fp32_to_fp16(65504.0f) == 0x7bff);
    CHECK(fp32_to_fp16(65519.996f) == 0x7bff);  // just below the midpoint to 2^16
    CHECK(fp32_to_fp16(65520.0f) == 0x7c00);    // the midpoint: ties to even = inf
    CHECK(fp32_to_fp16(1e10f) == 0x7c00);
    CHECK(fp32_to_fp16(-1e10f) == 0xfc00);
    CHECK(fp32_to_fp16(INFINITY) == 0x7c00);
    CHECK(fp32_to_fp16(-INFINITY) == 0xfc00);
    uint16_t hn = fp32_to_fp16(NAN);
    CHECK((hn & 0x7c00) == 0x7c00 && (hn & 0x03ff) != 0);  // NaN, not inf
    CHECK(fp32_to_fp16(0x1p-24f) == 0x0001);
    CHECK(fp32_to_fp16(0x1p-25f) == 0x0000);         // tie between 0 and 2^-24: even
    CHECK(fp32_to_fp16(0x1.000002p-25f) == 0x0001);  // just above the tie
    CHECK(fp32_to_fp16(0x3p-25f) == 0x0002);         // 1.5 units: tie to even (2)
    CHECK(fp32_to_fp16(0x5p-25f) == 0x0002);         // 2.5 units: tie to even (2)
    CHECK(fp32_to_fp16(1023 * 0x1p-24f) == 0x03ff);
    CHECK(fp32_to_fp16(0x1p-14f) == 0x0400);
    CHECK(fp32_to_fp16(0x1.ff8p-15f) == 0x03ff);  // largest subnormal, exact
    CHECK(fp32_to_fp16(0x1.ffbp-15f) == 0x03ff);  // below the midpoint to 2^-14
    CHECK(fp32_to_fp16(0x1.ffcp-15f) == 0x0400);  // the midpoint: up into the normals
    CHECK(fp32_to_fp16(1e-10f) == 0x0000);
    CHECK(fp32_to_fp16(-1e-10f) == 0x8000);
    CHECK(fp32_to_fp16(1.0f + 0x1p-11f) == 0x3c00);  // tie, even mantissa stays
    CHECK(fp32_to_fp16(1.0f + 0x3p-11f) == 0x3c02);  // tie, odd mantissa rounds up

    // bf16 -> float is a shift
    CHECK(bits_of(bf16_to_fp32(0x8000)) == 0x80000000u);
    CHECK(bf16_to_fp32(0x3f80) == 1.0f);
    CHECK(isinf(bf16_to_fp32(0x7f80)));
    CHECK(isnan(bf16_to_fp32(0x7fc0)));
    CHECK(bits_of(bf16_to_fp32(0x0001)) == 0x00010000u);  // subnormal kept, not flushed
}

// All 65536 halves: the kernel's conversion agrees with tests/tiny_gguf.c's and survives the
// round trip back to half; every midpoint between neighbours rounds to the even one.
static void test_fp16_exhaustive(void) {
    int bad_conv = 0, bad_rt = 0, bad_mid = 0;
    for (uint32_t h = 0; h < 0x10000; h++) {
        float f = fp16_to_fp32((uint16_t)h);
        int nan = ((h & 0x7c00) == 0x7c00) && (h & 0x3ff);
        if (nan) {
            if (!isnan(f) || !isnan(tiny_fp16_to_fp32((uint16_t)h)) || !isnan(fp16_to_fp32(fp32_to_fp16(f))))
                bad_conv++;
            continue;
        }
        if (bits_of(f) != bits_of(tiny_fp16_to_fp32((uint16_t)h)) && bad_conv++ < 3)
            fprintf(stderr, "  fp16 0x%04x -> %g, reference %g\n", h, f, tiny_fp16_to_fp32((uint16_t)h));
        if (fp32_to_fp16(f) != h && bad_rt++ < 3)
            fprintf(stderr, "  fp16 0x%04x -> %g -> 0x%04x\n", h, f, fp32_to_fp16(f));
        // Midpoint to the next half of the same sign (exact in fp32: 12 significant bits).
        if ((h & 0x7fff) < 0x7bff) {
            float g = fp16_to_fp32((uint16_t)(h + 1));
            float mid = (f + g) / 2;  // both share an exponent or are adjacent: exact
            uint16_t even = (h & 1) ? (uint16_t)(h + 1) : (uint16_t)h;
            if (fp32_to_fp16(mid) != even && bad_mid++ < 3)
                fprintf(stderr, "  midpoint of 0x%04x and 0x%04x: got 0x%04x\n", h, h + 1, fp32_to_fp16(mid));
        }
    }
    CHECK_MSG(bad_conv == 0, "%d halves convert differently from the reference", bad_conv);
    CHECK_MSG(bad_rt == 0, "%d halves do not round-trip", bad_rt);
    CHECK_MSG(bad_mid == 0, "%d midpoints not rounded to even", bad_mid);
}

// Random float bit patterns (exponents concentrated around the half range): the kernel's
// fp32 -> fp16 equals the independent one in tests/tiny_gguf.c.
static void test_fp32_to_fp16_random(void) {
    uint64_t s = 0x243F6A8885A308D3ull;
    int bad = 0;
    for (int i = 0; i < 2000000; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        uint32_t u = (uint32_t)s;
        if (i & 1) u = (u & 0x807fffffu) | ((uint32_t)(95 + (s >> 40) % 50) << 23);  // exponent 2^-32..2^17
        float f = float_of(u);
        if (isnan(f)) continue;
        if (fp32_to_fp16(f) != tiny_fp32_to_fp16(f) && bad++ < 3)
            fprintf(stderr, "  %a: kernel 0x%04x, reference 0x%04x\n", f, fp32_to_fp16(f), tiny_fp32_to_fp16(f));
    }
    CHECK_MSG(bad == 0, "%d values convert differently", bad);
}

int main(void) {
    golden = load_golden();
    RUN_TEST(test_golden_file_loads);
    RUN_TEST(test_dequant_matches_gguf_py);
    RUN_TEST(test_dequant_blockwise);
    RUN_TEST(test_quantizers_match_gguf_py);
    RUN_TEST(test_f32_passthrough_and_unknown_types);
    RUN_TEST(test_fp16_edge_cases);
    RUN_TEST(test_fp16_exhaustive);
    RUN_TEST(test_fp32_to_fp16_random);
    cJSON_Delete(golden);
    return test_summary();
}
