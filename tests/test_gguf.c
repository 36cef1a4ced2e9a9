// GGUF reader tests: files built with the test writer (tests/tiny_gguf.c) round-trip through
// gguf_parse / gguf_open, and every way a file can be broken gives -1 with a message that
// names the problem, never a crash (images are parsed from exact-size heap copies so ASan
// sees any read past the end).
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/base/error.h"
#include "bench/model/gguf.h"
#include "tests/test.h"
#include "tests/tiny_gguf.h"

#include "tests/fuzz/fuzz_gguf.c"  // fuzz_gguf_check(): the fuzz target's checks, reused below

#define MODEL_PATH "models/SmolLM2-135M-Instruct.Q4_1.gguf"

// ---- helpers ---------------------------------------------------------------------------------
static uint8_t *take(tg_writer *w, size_t *n) {
    uint8_t *img = tg_serialize(w, n);
    tg_free(w);
    return img;
}

// Parses an exact-size copy; expects failure with `want` in the message.
static int expect_fail_(const uint8_t *img, size_t n, const char *want, const char *label, int line) {
    uint8_t *copy = malloc(n ? n : 1);
    if (n) memcpy(copy, img, n);
    pcb_clear_error();
    gguf_file f;
    int rc = gguf_parse(&f, copy, n, "img");
    int ok = rc == -1 && strstr(pcb_last_error(), want) != NULL;
    if (!ok)
        fprintf(stderr, "  line %d: %s: rc=%d, message '%s' (expected '%s')\n", line, label, rc,
                rc ? pcb_last_error() : "(none)", want);
    gguf_close(&f);
    free(copy);
    return ok;
}
#define EXPECT_FAIL(img, n, want, label) CHECK(expect_fail_(img, n, want, label, __LINE__))

// Writer with one tensor `t` in front of it; caller adds more then serialises.
static const float ones[256] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};

static void patch_u32(uint8_t *img, size_t off, uint32_t v) { memcpy(img + off, &v, 4); }
static void patch_u64(uint8_t *img, size_t off, uint64_t v) { memcpy(img + off, &v, 8); }

// Offset of the first occurrence of `needle` in img (for patching fields), or SIZE_MAX.
static size_t find_bytes(const uint8_t *img, size_t n, const void *needle, size_t len) {
    for (size_t i = 0; i + len <= n; i++)
        if (!memcmp(img + i, needle, len)) return i;
    return SIZE_MAX;
}

static char tmp_dir[256];

static const char *tmp_path(const char *name) {
    static char buf[512];
    if (!tmp_dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(tmp_dir, sizeof tmp_dir, "%s/pcb_test_gguf_XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(tmp_dir)) {
            snprintf(tmp_dir, sizeof tmp_dir, "/tmp");
        }
    }
    snprintf(buf, sizeof buf, "%s/%s", tmp_dir, name);
    return buf;
}

// ---- round trip ------------------------------------------------------------------------------
typedef struct {
    const char *name;
    ggml_type type;
    uint32_t n_dims;
    uint64_t ne[4];
} tensor_spec;

static const tensor_spec specs[] = {
    {"t.f32.odd", GGML_TYPE_F32, 1, {3}},  // 12 bytes: the next tensor needs padding
    {"t.f16", GGML_TYPE_F16, 2, {5, 3}},    {"t.bf16", GGML_TYPE_BF16, 3, {2, 3, 4}},
    {"t.q8_0", GGML_TYPE_Q8_0, 2, {64, 2}}, {"t.q4_0", GGML_TYPE_Q4_0, 4, {32, 1, 2, 2}},
    {"t.q4_1", GGML_TYPE_Q4_1, 2, {96, 1}}, {"t.f32.last", GGML_TYPE_F32, 2, {4, 2}},
};
#define N_SPECS (int)(sizeof specs / sizeof specs[0])

static uint64_t spec_elems(const tensor_spec *s) {
    uint64_t n = 1;
    for (uint32_t d = 0; d < s->n_dims; d++) n *= s->ne[d];
    return n;
}

// Deterministic bytes for tensor i (the reader does not interpret data, so any bytes do).
static void spec_data(int i, uint8_t *buf, size_t n) {
    for (size_t k = 0; k < n; k++) buf[k] = (uint8_t)(k * 31 + (size_t)i * 7 + 1);
}

static const uint8_t arr_u8[] = {0, 1, 255};
static const int8_t arr_i8[] = {-128, 0, 127};
static const uint16_t arr_u16[] = {0, 65535};
static const int16_t arr_i16[] = {-32768, 32767};
static const uint32_t arr_u32[] = {0, 4294967295u, 7};
static const int32_t arr_i32[] = {-2147483647 - 1, 2147483647};
static const float arr_f32[] = {0.5f, -1e30f, 3.25f};
static const uint8_t arr_bool[] = {1, 0};
static const uint64_t arr_u64[] = {UINT64_MAX, 0};
static const int64_t arr_i64[] = {INT64_MIN, INT64_MAX};
static const double arr_f64[] = {1e300, -0.25};
static const char *const arr_str[] = {"", "x", "Ġthe", "<|im_end|>"};

static tg_writer *full_writer(uint32_t version, uint32_t alignment, int align_key) {
    tg_writer *w = tg_new(version, alignment);
    if (align_key == 1) tg_add_u32(w, "general.alignment", alignment);
    if (align_key == 2) tg_add_u64(w, "general.alignment", alignment);
    tg_add_u8(w, "k.u8", 250);
    tg_add_i8(w, "k.i8", -7);
    tg_add_u16(w, "k.u16", 65000);
    tg_add_i16(w, "k.i16", -32000);
    tg_add_u32(w, "k.u32", 4000000000u);
    tg_add_i32(w, "k.i32", -123456789);
    tg_add_f32(w, "k.f32", -0.375f);
    tg_add_bool(w, "k.bool1", 1);
    tg_add_bool(w, "k.bool0", 0);
    tg_add_str(w, "k.str", "héllo wörld");
    tg_add_str(w, "k.empty", "");
    tg_add_u64(w, "k.u64", 0xfedcba9876543210ull);
    tg_add_i64(w, "k.i64", INT64_MIN + 1);
    tg_add_f64(w, "k.f64", 3.141592653589793);
    tg_add_array(w, "a.u8", GGUF_VAL_UINT8, arr_u8, 3);
    tg_add_array(w, "a.i8", GGUF_VAL_INT8, arr_i8, 3);
    tg_add_array(w, "a.u16", GGUF_VAL_UINT16, arr_u16, 2);
    tg_add_array(w, "a.i16", GGUF_VAL_INT16, arr_i16, 2);
    tg_add_array(w, "a.u32", GGUF_VAL_UINT32, arr_u32, 3);
    tg_add_array(w, "a.i32", GGUF_VAL_INT32, arr_i32, 2);
    tg_add_array(w, "a.f32", GGUF_VAL_FLOAT32, arr_f32, 3);
    tg_add_array(w, "a.bool", GGUF_VAL_BOOL, arr_bool, 2);
    tg_add_array(w, "a.u64", GGUF_VAL_UINT64, arr_u64, 2);
    tg_add_array(w, "a.i64", GGUF_VAL_INT64, arr_i64, 2);
    tg_add_array(w, "a.f64", GGUF_VAL_FLOAT64, arr_f64, 2);
    tg_add_array(w, "a.empty", GGUF_VAL_UINT32, NULL, 0);
    tg_add_str_array(w, "a.str", arr_str, 4);
    tg_add_str_array(w, "a.str_empty", NULL, 0);
    for (int i = 0; i < N_SPECS; i++) {
        size_t nb =
            tiny_type_bytes(specs[i].type, (int64_t)specs[i].ne[0]) * (size_t)(spec_elems(&specs[i]) / specs[i].ne[0]);
        uint8_t *d = malloc(nb);
        spec_data(i, d, nb);
        CHECK(tg_add_tensor(w, specs[i].name, specs[i].type, specs[i].n_dims, specs[i].ne, d, nb) == i);
        free(d);
    }
    return w;
}

static const gguf_kv *kv_of(const gguf_file *f, const char *key, gguf_value_type type) {
    const gguf_kv *kv = gguf_find_kv(f, key);
    CHECK_MSG(kv && kv->type == type, "key %s missing or type %d", key, kv ? (int)kv->type : -1);
    return kv && kv->type == type ? kv : NULL;
}

static void check_array(const gguf_file *f, const char *key, gguf_value_type et, const void *want, uint64_t n,
                        size_t esz) {
    const gguf_kv *kv = kv_of(f, key, GGUF_VAL_ARRAY);
    if (!kv) return;
    CHECK_MSG(kv->elem_type == et && kv->n == n, "%s: elem type %d n %llu", key, (int)kv->elem_type,
              (unsigned long long)kv->n);
    if (kv->n == n && n) CHECK_MSG(!memcmp(kv->raw, want, n * esz), "%s: elements differ", key);
}

static void check_full(const gguf_file *f, uint32_t version, uint32_t alignment) {
    CHECK(f->version == version);
    CHECK(f->alignment == alignment);
    CHECK(f->n_tensors == (uint64_t)N_SPECS);
    CHECK(f->data_offset % alignment == 0);
    const gguf_kv *kv;
    if ((kv = kv_of(f, "k.u8", GGUF_VAL_UINT8))) CHECK(kv->v.u64 == 250);
    if ((kv = kv_of(f, "k.i8", GGUF_VAL_INT8))) CHECK(kv->v.i64 == -7);
    if ((kv = kv_of(f, "k.u16", GGUF_VAL_UINT16))) CHECK(kv->v.u64 == 65000);
    if ((kv = kv_of(f, "k.i16", GGUF_VAL_INT16))) CHECK(kv->v.i64 == -32000);
    if ((kv = kv_of(f, "k.u32", GGUF_VAL_UINT32))) CHECK(kv->v.u64 == 4000000000u);
    if ((kv = kv_of(f, "k.i32", GGUF_VAL_INT32))) CHECK(kv->v.i64 == -123456789);
    if ((kv = kv_of(f, "k.f32", GGUF_VAL_FLOAT32))) CHECK(kv->v.f64 == -0.375);
    if ((kv = kv_of(f, "k.bool1", GGUF_VAL_BOOL))) CHECK(kv->v.b == 1);
    if ((kv = kv_of(f, "k.bool0", GGUF_VAL_BOOL))) CHECK(kv->v.b == 0);
    if ((kv = kv_of(f, "k.str", GGUF_VAL_STRING))) CHECK(gguf_str_eq(kv->v.str, "héllo wörld"));
    if ((kv = kv_of(f, "k.empty", GGUF_VAL_STRING))) CHECK(kv->v.str.len == 0);
    if ((kv = kv_of(f, "k.u64", GGUF_VAL_UINT64))) CHECK(kv->v.u64 == 0xfedcba9876543210ull);
    if ((kv = kv_of(f, "k.i64", GGUF_VAL_INT64))) CHECK(kv->v.i64 == INT64_MIN + 1);
    if ((kv = kv_of(f, "k.f64", GGUF_VAL_FLOAT64))) CHECK(kv->v.f64 == 3.141592653589793);
    check_array(f, "a.u8", GGUF_VAL_UINT8, arr_u8, 3, 1);
    check_array(f, "a.i8", GGUF_VAL_INT8, arr_i8, 3, 1);
    check_array(f, "a.u16", GGUF_VAL_UINT16, arr_u16, 2, 2);
    check_array(f, "a.i16", GGUF_VAL_INT16, arr_i16, 2, 2);
    check_array(f, "a.u32", GGUF_VAL_UINT32, arr_u32, 3, 4);
    check_array(f, "a.i32", GGUF_VAL_INT32, arr_i32, 2, 4);
    check_array(f, "a.f32", GGUF_VAL_FLOAT32, arr_f32, 3, 4);
    check_array(f, "a.bool", GGUF_VAL_BOOL, arr_bool, 2, 1);
    check_array(f, "a.u64", GGUF_VAL_UINT64, arr_u64, 2, 8);
    check_array(f, "a.i64", GGUF_VAL_INT64, arr_i64, 2, 8);
    check_array(f, "a.f64", GGUF_VAL_FLOAT64, arr_f64, 2, 8);
    check_array(f, "a.empty", GGUF_VAL_UINT32, NULL, 0, 4);
    if ((kv = kv_of(f, "a.str", GGUF_VAL_ARRAY))) {
        CHECK(kv->elem_type == GGUF_VAL_STRING && kv->n == 4);
        for (uint64_t i = 0; i < 4 && kv->n == 4 && kv->strs; i++)
            CHECK_MSG(gguf_str_eq(kv->strs[i], arr_str[i]), "a.str[%llu]", (unsigned long long)i);
    }
    if ((kv = kv_of(f, "a.str_empty", GGUF_VAL_ARRAY))) CHECK(kv->elem_type == GGUF_VAL_STRING && kv->n == 0);

    for (int i = 0; i < N_SPECS; i++) {
        const tensor_spec *s = &specs[i];
        const gguf_tensor *t = gguf_find_tensor(f, s->name);
        CHECK_MSG(t != NULL, "tensor %s missing", s->name);
        if (!t) continue;
        CHECK(t == &f->tensors[i]);  // file order kept
        CHECK(t->type == s->type && t->n_dims == s->n_dims);
        for (uint32_t d = 0; d < 4; d++) CHECK(t->ne[d] == (d < s->n_dims ? s->ne[d] : 1));
        CHECK(t->n_elements == spec_elems(s));
        size_t nb = tiny_type_bytes(s->type, (int64_t)s->ne[0]) * (size_t)(spec_elems(s) / s->ne[0]);
        CHECK_MSG(t->n_bytes == nb, "%s: n_bytes %llu, want %zu", s->name, (unsigned long long)t->n_bytes, nb);
        CHECK(t->offset % alignment == 0);
        CHECK((size_t)(t->data - f->base) % alignment == 0);
        CHECK(t->data == f->base + f->data_offset + t->offset);
        uint8_t *want = malloc(nb);
        spec_data(i, want, nb);
        CHECK_MSG(t->n_bytes == nb && !memcmp(t->data, want, nb), "%s: data differs", s->name);
        free(want);
    }
    CHECK(gguf_find_tensor(f, "nope") == NULL);
    CHECK(gguf_find_kv(f, "nope") == NULL);
}

static void test_round_trip_all_types(void) {
    // (version, alignment, how the alignment key is written: 0 none/auto, 1 u32, 2 u64)
    const uint32_t cases[][3] = {{3, 32, 0}, {2, 32, 0}, {3, 32, 1},  {3, 64, 0}, {2, 64, 1},
                                 {3, 64, 2}, {3, 8, 1},  {3, 256, 0}, {2, 1, 1}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t n;
        uint8_t *img = take(full_writer(cases[c][0], cases[c][1], (int)cases[c][2]), &n);
        uint8_t *copy = malloc(n);
        memcpy(copy, img, n);
        gguf_file f;
        int rc = gguf_parse(&f, copy, n, "round-trip");
        CHECK_MSG(rc == 0, "v%u align %u key %u: %s", cases[c][0], cases[c][1], cases[c][2], pcb_last_error());
        if (rc == 0) {
            check_full(&f, cases[c][0], cases[c][1]);
            uint64_t al = 0;
            if (cases[c][1] != 32 || cases[c][2]) {
                CHECK(gguf_get_u64(&f, "general.alignment", &al, 1) == 0 && al == cases[c][1]);
            } else {
                CHECK(gguf_find_kv(&f, "general.alignment") == NULL);  // the default needs no key
            }
            CHECK(fuzz_gguf_check(copy, n) == 0);
        }
        gguf_close(&f);
        free(copy);
        free(img);
    }
}

static void test_round_trip_file(void) {
    tg_writer *w = full_writer(3, 64, 0);
    const char *path = tmp_path("full.gguf");
    CHECK(tg_write_file(w, path) == 0);
    tg_free(w);
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CHECK(access(tmp, F_OK) != 0);  // renamed into place, nothing left behind
    gguf_file f;
    int rc = gguf_open(&f, path);
    CHECK_MSG(rc == 0, "%s", pcb_last_error());
    if (rc == 0) {
        CHECK(f.mapped == 1);
        check_full(&f, 3, 64);
    }
    gguf_close(&f);
    CHECK(f.base == NULL && f.kv == NULL);  // close resets the struct
    remove(path);
}

// The tiny llama model: keys and tensor shapes as the engine expects them.
static void test_tiny_llama_model(void) {
    const ggml_type types[] = {GGML_TYPE_F32,  GGML_TYPE_F16,  GGML_TYPE_BF16,
                               GGML_TYPE_Q8_0, GGML_TYPE_Q4_0, GGML_TYPE_Q4_1};
    for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
        tiny_llama_config cfg = tiny_llama_default();
        cfg.wtype = types[ti];
        cfg.tied = ti % 2;  // both layouts
        cfg.n_layer = 2;
        cfg.version = ti == 3 ? 2 : 3;
        const char *path = tmp_path("tiny.gguf");
        CHECK_MSG(tiny_llama_write(path, &cfg) == 0, "%s", pcb_last_error());
        gguf_file f;
        if (gguf_open(&f, path) != 0) {
            CHECK_MSG(0, "%s", pcb_last_error());
            continue;
        }
        char s[64];
        uint64_t u;
        float x;
        CHECK(gguf_get_str(&f, "general.architecture", s, sizeof s, 1) == 0 && !strcmp(s, "llama"));
        CHECK(gguf_get_str(&f, "tokenizer.ggml.model", s, sizeof s, 1) == 0 && !strcmp(s, "gpt2"));
        CHECK(gguf_get_u64(&f, "llama.block_count", &u, 1) == 0 && u == 2);
        CHECK(gguf_get_u64(&f, "llama.embedding_length", &u, 1) == 0 && u == 64);
        CHECK(gguf_get_u64(&f, "llama.attention.head_count_kv", &u, 1) == 0 && u == 2);
        CHECK(gguf_get_u64(&f, "llama.rope.dimension_count", &u, 1) == 0 && u == 16);
        CHECK(gguf_get_u64(&f, "llama.vocab_size", &u, 1) == 0 && u == (uint64_t)tiny_vocab_size());
        CHECK(gguf_get_f32(&f, "llama.rope.freq_base", &x, 1) == 0 && x == 10000.0f);
        CHECK(gguf_get_f32(&f, "llama.attention.layer_norm_rms_epsilon", &x, 1) == 0 && x == 1e-5f);
        CHECK(gguf_get_u64(&f, "tokenizer.ggml.bos_token_id", &u, 1) == 0 && u == TINY_BOS_ID);
        CHECK(gguf_get_u64(&f, "tokenizer.ggml.eos_token_id", &u, 1) == 0 && u == TINY_EOS_ID);
        const gguf_kv *tok = gguf_find_kv(&f, "tokenizer.ggml.tokens");
        const gguf_kv *tt = gguf_find_kv(&f, "tokenizer.ggml.token_type");
        const gguf_kv *mg = gguf_find_kv(&f, "tokenizer.ggml.merges");
        CHECK(tok && tok->n == (uint64_t)tiny_vocab_size() && tt && tt->n == tok->n && tt->elem_type == GGUF_VAL_INT32);
        if (tok && tt && mg && tok->n == tt->n) {
            CHECK(gguf_str_eq(tok->strs[TINY_TOK_IM_END], "<|im_end|>"));
            int32_t ty;
            memcpy(&ty, tt->raw + 4 * TINY_TOK_IM_START, 4);
            CHECK(ty == 3);
            memcpy(&ty, tt->raw + 4 * 100, 4);
            CHECK(ty == 1);
            // Every merge's parts and result are tokens.
            for (uint64_t m = 0; m < mg->n; m++) {
                char merge[64], left[64], right[64], joined[128];
                snprintf(merge, sizeof merge, "%.*s", (int)mg->strs[m].len, mg->strs[m].ptr);
                CHECK(sscanf(merge, "%63s %63s", left, right) == 2);
                snprintf(joined, sizeof joined, "%s%s", left, right);
                int found = 0;
                for (uint64_t k = 0; k < tok->n; k++)
                    found += gguf_str_eq(tok->strs[k], left) + 2 * gguf_str_eq(tok->strs[k], right) +
                             4 * gguf_str_eq(tok->strs[k], joined);
                CHECK_MSG(found == 7 || (found == 5 && !strcmp(left, right)), "merge '%s'", merge);
            }
        }
        const gguf_tensor *t = gguf_find_tensor(&f, "token_embd.weight");
        CHECK(t && t->ne[0] == 64 && t->ne[1] == (uint64_t)tiny_vocab_size() && t->type == types[ti]);
        t = gguf_find_tensor(&f, "blk.1.attn_k.weight");
        CHECK(t && t->n_dims == 2 && t->ne[0] == 64 && t->ne[1] == 32 && t->type == types[ti]);
        t = gguf_find_tensor(&f, "blk.1.ffn_down.weight");
        CHECK(t && t->ne[0] == 128 && t->ne[1] == 64);
        t = gguf_find_tensor(&f, "blk.0.ffn_norm.weight");
        CHECK(t && t->n_dims == 1 && t->type == GGML_TYPE_F32);
        CHECK((gguf_find_tensor(&f, "output.weight") == NULL) == (cfg.tied != 0));
        CHECK(f.n_tensors == (uint64_t)(2 + 9 * 2 + (cfg.tied ? 0 : 1)));
        gguf_close(&f);
        remove(path);
    }
    tiny_llama_config bad = tiny_llama_default();
    bad.wtype = GGML_TYPE_Q4_0;
    bad.dim = 48;
    bad.n_head = 3;
    bad.n_kv_head = 1;
    CHECK(tiny_llama_write(tmp_path("bad.gguf"), &bad) == -1 && strstr(pcb_last_error(), "multiples of 32"));
    CHECK(access(tmp_path("bad.gguf"), F_OK) != 0);
}

// ---- getters -------------------------------------------------------------------------------
static void test_getters(void) {
    tg_writer *w = tg_new(3, 32);
    tg_add_u8(w, "u8", 200);
    tg_add_u16(w, "u16", 60000);
    tg_add_u32(w, "u32", 4000000000u);
    tg_add_u64(w, "u64", UINT64_MAX);
    tg_add_i8(w, "i8", 5);
    tg_add_i16(w, "i16", 300);
    tg_add_i32(w, "i32", 70000);
    tg_add_i64(w, "i64", 1ll << 40);
    tg_add_i32(w, "neg", -3);
    tg_add_f32(w, "f32", 2.5f);
    tg_add_f64(w, "f64", 0.1);
    tg_add_bool(w, "bool", 1);
    tg_add_str(w, "str", "hello");
    tg_add_array(w, "arr", GGUF_VAL_UINT32, arr_u32, 3);
    size_t n;
    uint8_t *img = take(w, &n);
    gguf_file f;
    if (gguf_parse(&f, img, n, "getters.gguf") != 0) {
        CHECK_MSG(0, "%s", pcb_last_error());
        free(img);
        return;
    }
    uint64_t u = 0;
    float x = 0;
    char s[8];
    // Integers of every width, signed ones when not negative.
    CHECK(gguf_get_u64(&f, "u8", &u, 1) == 0 && u == 200);
    CHECK(gguf_get_u64(&f, "u16", &u, 1) == 0 && u == 60000);
    CHECK(gguf_get_u64(&f, "u32", &u, 1) == 0 && u == 4000000000u);
    CHECK(gguf_get_u64(&f, "u64", &u, 1) == 0 && u == UINT64_MAX);
    CHECK(gguf_get_u64(&f, "i8", &u, 1) == 0 && u == 5);
    CHECK(gguf_get_u64(&f, "i16", &u, 1) == 0 && u == 300);
    CHECK(gguf_get_u64(&f, "i32", &u, 1) == 0 && u == 70000);
    CHECK(gguf_get_u64(&f, "i64", &u, 1) == 0 && u == 1ull << 40);
    CHECK(gguf_get_u64(&f, "neg", &u, 1) == -1 && strstr(pcb_last_error(), "'neg'") &&
          strstr(pcb_last_error(), "negative"));
    CHECK(gguf_get_u64(&f, "f32", &u, 0) == -1 && strstr(pcb_last_error(), "expected an integer"));
    CHECK(gguf_get_u64(&f, "str", &u, 1) == -1 && strstr(pcb_last_error(), "type string"));
    CHECK(gguf_get_u64(&f, "bool", &u, 1) == -1 && strstr(pcb_last_error(), "type bool"));
    CHECK(gguf_get_u64(&f, "arr", &u, 1) == -1 && strstr(pcb_last_error(), "type array"));
    // Floats: f32, f64 (narrowed), integers converted.
    CHECK(gguf_get_f32(&f, "f32", &x, 1) == 0 && x == 2.5f);
    CHECK(gguf_get_f32(&f, "f64", &x, 1) == 0 && x == 0.1f);
    CHECK(gguf_get_f32(&f, "u32", &x, 1) == 0 && x == 4e9f);
    CHECK(gguf_get_f32(&f, "str", &x, 1) == -1 && strstr(pcb_last_error(), "expected a float"));
    CHECK(gguf_get_f32(&f, "bool", &x, 1) == -1 && strstr(pcb_last_error(), "'bool'"));
    // Strings: copied, NUL-terminated, truncated to the buffer.
    CHECK(gguf_get_str(&f, "str", s, sizeof s, 1) == 0 && !strcmp(s, "hello"));
    CHECK(gguf_get_str(&f, "str", s, 4, 1) == 0 && !strcmp(s, "hel"));
    CHECK(gguf_get_str(&f, "str", s, 1, 1) == 0 && s[0] == 0);
    CHECK(gguf_get_str(&f, "u8", s, sizeof s, 1) == -1 && strstr(pcb_last_error(), "expected a string"));
    // Missing keys: an error naming the key only when required; otherwise the old message stays.
    CHECK(gguf_get_u64(&f, "nope.key", &u, 1) == -1 && strstr(pcb_last_error(), "'nope.key'") &&
          strstr(pcb_last_error(), "missing") && strstr(pcb_last_error(), "getters.gguf"));
    CHECK(gguf_get_f32(&f, "nope.f", &x, 1) == -1 && strstr(pcb_last_error(), "nope.f"));
    CHECK(gguf_get_str(&f, "nope.s", s, sizeof s, 1) == -1 && strstr(pcb_last_error(), "nope.s"));
    pcb_fail("sentinel");
    u = 77;
    CHECK(gguf_get_u64(&f, "nope", &u, 0) == -1 && u == 77);
    CHECK(gguf_get_f32(&f, "nope", &x, 0) == -1);
    CHECK(gguf_get_str(&f, "nope", s, sizeof s, 0) == -1);
    CHECK(!strcmp(pcb_last_error(), "sentinel"));
    gguf_close(&f);
    free(img);

    // Name helpers.
    CHECK(!strcmp(gguf_value_type_name(GGUF_VAL_FLOAT64), "float64"));
    CHECK(!strcmp(gguf_value_type_name((gguf_value_type)13), "invalid"));
    // Scalar sizes from the GGUF spec, written out here: the reader and tiny_gguf's writer share one table.
    static const size_t spec_size[GGUF_VAL_COUNT] = {
        [GGUF_VAL_UINT8] = 1,  [GGUF_VAL_INT8] = 1,  [GGUF_VAL_UINT16] = 2,  [GGUF_VAL_INT16] = 2,
        [GGUF_VAL_UINT32] = 4, [GGUF_VAL_INT32] = 4, [GGUF_VAL_FLOAT32] = 4, [GGUF_VAL_BOOL] = 1,
        [GGUF_VAL_UINT64] = 8, [GGUF_VAL_INT64] = 8, [GGUF_VAL_FLOAT64] = 8};
    for (int t = 0; t < GGUF_VAL_COUNT; t++)
        CHECK_MSG(gguf_value_type_size((gguf_value_type)t) == spec_size[t], "%s",
                  gguf_value_type_name((gguf_value_type)t));
    CHECK(gguf_value_type_size((gguf_value_type)13) == 0);
    CHECK(!strcmp(ggml_type_name(GGML_TYPE_Q4_1), "Q4_1") && ggml_type_name((ggml_type)6) == NULL);
    CHECK(ggml_row_bytes(GGML_TYPE_Q4_1, 64) == 40 && ggml_row_bytes(GGML_TYPE_Q8_0, 32) == 34);
    CHECK(ggml_row_bytes(GGML_TYPE_Q4_0, 33) == 0 && ggml_row_bytes(GGML_TYPE_F16, 3) == 6);
    gguf_str gs = {3, "abc"};
    CHECK(gguf_str_eq(gs, "abc") && !gguf_str_eq(gs, "ab") && !gguf_str_eq(gs, "abcd"));
}

// ---- failure paths ---------------------------------------------------------------------------
static void test_bad_header(void) {
    EXPECT_FAIL((const uint8_t *)"", 0, "not a GGUF file", "empty");
    EXPECT_FAIL((const uint8_t *)"GGU", 3, "not a GGUF file", "3 bytes");
    size_t n;
    uint8_t *img = take(tg_new(3, 32), &n);  // minimal valid file: header + padding
    CHECK(n >= 24);
    CHECK(fuzz_gguf_check(img, n) == 0);
    img[3] = 'G';
    EXPECT_FAIL(img, n, "bad magic", "magic GGUG");
    memcpy(img, "\x47\x47\x55\x46", 4);
    const uint32_t versions[] = {0, 1, 4, 0xffffffffu};
    for (size_t i = 0; i < 4; i++) {
        patch_u32(img, 4, versions[i]);
        EXPECT_FAIL(img, n, "unsupported GGUF version", "version");
    }
    patch_u32(img, 4, 3);
    patch_u64(img, 8, 1ull << 40);
    EXPECT_FAIL(img, n, "implausible tensor count", "tensor count 2^40");
    patch_u64(img, 8, UINT64_MAX);
    EXPECT_FAIL(img, n, "implausible tensor count", "tensor count 2^64-1");
    patch_u64(img, 8, 0);
    patch_u64(img, 16, 1ull << 62);
    EXPECT_FAIL(img, n, "implausible metadata count", "kv count 2^62");
    // Counts within the sanity limit but far beyond what the bytes hold: truncation.
    patch_u64(img, 16, 1000000);
    EXPECT_FAIL(img, n, "truncated", "kv count 1e6 in a 24-byte file");
    patch_u64(img, 16, 0);
    patch_u64(img, 8, 1000000);
    EXPECT_FAIL(img, n, "truncated", "tensor count 1e6 in a 24-byte file");
    free(img);
}

// A small image whose last tensor ends exactly at EOF (no trailing padding), so every
// proper prefix is missing something.
static uint8_t *small_image(size_t *n) {
    tg_writer *w = tg_new(3, 32);
    tg_add_str(w, "general.architecture", "llama");
    tg_add_u32(w, "llama.block_count", 2);
    const char *toks[] = {"a", "bc", ""};
    tg_add_str_array(w, "tokenizer.ggml.tokens", toks, 3);
    tg_add_array(w, "a.f32", GGUF_VAL_FLOAT32, arr_f32, 3);
    tg_add_bool(w, "b", 1);
    uint64_t ne1[1] = {32}, ne2[2] = {8, 1};
    tg_add_tensor_f32(w, "q", GGML_TYPE_Q4_1, 1, ne1, ones);
    tg_add_tensor_f32(w, "last", GGML_TYPE_F32, 2, ne2, ones);  // 32 bytes = one alignment unit
    return take(w, n);
}

static void test_truncated_every_prefix(void) {
    size_t n;
    uint8_t *img = small_image(&n);
    CHECK(fuzz_gguf_check(img, n) == 0);
    int bad = 0;
    for (size_t len = 0; len < n; len++) {
        uint8_t *p = malloc(len ? len : 1);
        memcpy(p, img, len);
        pcb_clear_error();
        gguf_file f;
        int rc = gguf_parse(&f, p, len, "prefix");
        const char *want = len < 4 ? "not a GGUF file" : "truncated";
        if ((rc != -1 || !strstr(pcb_last_error(), want)) && bad++ < 8)
            fprintf(stderr, "  prefix %zu/%zu: rc=%d '%s'\n", len, n, rc, pcb_last_error());
        gguf_close(&f);
        free(p);
    }
    CHECK_MSG(bad == 0, "%d of %zu prefixes did not fail with a 'truncated' message", bad, n);
    free(img);
}

static uint8_t *one_raw_kv(uint32_t type, const void *payload, size_t len, size_t *n) {
    tg_writer *w = tg_new(3, 32);
    tg_add_u32(w, "ok.before", 1);
    tg_add_raw_kv(w, "bad.key", type, payload, len);
    return take(w, n);
}

static void test_bad_values(void) {
    size_t n;
    uint8_t *img, pl[64];
    {  // The same key twice: which one wins would be arbitrary, so it is an error.
        tg_writer *w = tg_new(3, 0);
        tg_add_u32(w, "general.alignment", 32);
        tg_add_u32(w, "llama.block_count", 2);
        tg_add_u32(w, "llama.block_count", 3);
        img = tg_serialize(w, &n);
        tg_free(w);
        EXPECT_FAIL(img, n, "duplicate metadata key 'llama.block_count'", "duplicate key");
        free(img);
    }
    // String whose length runs past the end (as a value, and as a key).
    uint64_t big = 1000;
    memcpy(pl, &big, 8);
    memcpy(pl + 8, "abc", 3);
    img = one_raw_kv(GGUF_VAL_STRING, pl, 11, &n);
    EXPECT_FAIL(img, n, "length 1000", "string length past EOF");
    CHECK(expect_fail_(img, n, "bad.key", "string error names the key", __LINE__));
    size_t at = find_bytes(img, n, "\x07\0\0\0\0\0\0\0bad.key", 15);
    CHECK(at != SIZE_MAX);
    if (at != SIZE_MAX) {
        patch_u64(img, at, UINT64_MAX - 3);  // overflow-prone length
        EXPECT_FAIL(img, n, "key of metadata entry 1", "key length past EOF");
    }
    free(img);
    // Invalid value types.
    const uint32_t bad_types[] = {13, 100, 0xffffffffu};
    for (size_t i = 0; i < 3; i++) {
        img = one_raw_kv(bad_types[i], pl, 8, &n);
        char want[64];
        snprintf(want, sizeof want, "invalid type %u", bad_types[i]);
        EXPECT_FAIL(img, n, want, "invalid value type");
        free(img);
    }
    // Array of an invalid element type; array of arrays (not used by models).
    uint32_t et = 13;
    uint64_t cnt = 0;
    memcpy(pl, &et, 4);
    memcpy(pl + 4, &cnt, 8);
    img = one_raw_kv(GGUF_VAL_ARRAY, pl, 12, &n);
    EXPECT_FAIL(img, n, "array of invalid type 13", "invalid array type");
    free(img);
    // Array counts beyond the file: scalars (including a count whose byte size overflows) and strings.
    et = GGUF_VAL_UINT32;
    cnt = 1000;
    memcpy(pl, &et, 4);
    memcpy(pl + 4, &cnt, 8);
    img = one_raw_kv(GGUF_VAL_ARRAY, pl, 12, &n);
    EXPECT_FAIL(img, n, "past the end", "u32 array past EOF");
    free(img);
    cnt = (UINT64_MAX / 4) + 2;  // n * 4 wraps to a small number
    memcpy(pl + 4, &cnt, 8);
    img = one_raw_kv(GGUF_VAL_ARRAY, pl, 12, &n);
    EXPECT_FAIL(img, n, "past the end", "u32 array with wrapping size");
    free(img);
    et = GGUF_VAL_STRING;
    cnt = 1ull << 60;
    memcpy(pl, &et, 4);
    memcpy(pl + 4, &cnt, 8);
    img = one_raw_kv(GGUF_VAL_ARRAY, pl, 12, &n);
    EXPECT_FAIL(img, n, "past the end", "string array count 2^60");
    free(img);
    // Bool that is neither 0 nor 1.
    pl[0] = 2;
    img = one_raw_kv(GGUF_VAL_BOOL, pl, 1, &n);
    EXPECT_FAIL(img, n, "bool with value 2", "bool 2");
    free(img);
    // Empty key.
    tg_writer *w = tg_new(3, 32);
    tg_add_u32(w, "", 1);
    img = take(w, &n);
    EXPECT_FAIL(img, n, "empty key", "empty key");
    free(img);
}

// Nested arrays are legal GGUF; the reader may accept or refuse them but must not misbehave.
static void test_nested_arrays(void) {
    uint8_t pl[64];
    size_t len = 0;
    uint32_t outer = GGUF_VAL_ARRAY, inner = GGUF_VAL_UINT8;
    uint64_t n_outer = 2, n_inner = 3;
    memcpy(pl + len, &outer, 4), len += 4;
    memcpy(pl + len, &n_outer, 8), len += 8;
    for (int i = 0; i < 2; i++) {
        memcpy(pl + len, &inner, 4), len += 4;
        memcpy(pl + len, &n_inner, 8), len += 8;
        memcpy(pl + len, "xyz", 3), len += 3;
    }
    size_t n;
    uint8_t *img = one_raw_kv(GGUF_VAL_ARRAY, pl, len, &n);
    pcb_clear_error();
    int rc = fuzz_gguf_check(img, n);
    CHECK(rc == 0 || strstr(pcb_last_error(), "nested"));
    free(img);
}

static uint8_t *one_tensor(uint32_t type, uint32_t n_dims, const uint64_t *ne, size_t nbytes, int64_t offset,
                           size_t *n) {
    tg_writer *w = tg_new(3, 32);
    tg_add_str(w, "general.architecture", "llama");
    uint8_t *d = calloc(1, nbytes ? nbytes : 1);
    tg_add_raw_tensor(w, "w", type, n_dims, ne, d, nbytes);
    free(d);
    if (offset >= 0) tg_set_tensor_offset(w, 0, (uint64_t)offset);
    return take(w, n);
}

static void test_bad_tensors(void) {
    size_t n;
    uint8_t *img;
    uint64_t ne[8] = {32, 2, 1, 1, 1, 1, 1, 1};
    img = one_tensor(GGML_TYPE_F32, 2, ne, 256, -1, &n);
    CHECK(fuzz_gguf_check(img, n) == 0);  // the unbroken version is fine
    free(img);
    img = one_tensor(GGML_TYPE_F32, 0, ne, 256, -1, &n);
    EXPECT_FAIL(img, n, "0 dimensions", "n_dims 0");
    free(img);
    img = one_tensor(GGML_TYPE_F32, 5, ne, 256, -1, &n);
    EXPECT_FAIL(img, n, "5 dimensions", "n_dims 5");
    free(img);
    uint64_t zero[2] = {32, 0};
    img = one_tensor(GGML_TYPE_F32, 2, zero, 0, -1, &n);
    EXPECT_FAIL(img, n, "invalid dimension 1 = 0", "zero dimension");
    free(img);
    uint64_t huge[4] = {1ull << 30, 1ull << 30, 1, 1};  // 2^60 elements
    img = one_tensor(GGML_TYPE_F32, 2, huge, 0, -1, &n);
    EXPECT_FAIL(img, n, "invalid dimension", "2^60 elements");
    free(img);
    const uint32_t unsupported[] = {6, 7, 12, 14, 29, 31, 0xffffffffu};
    for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++) {
        img = one_tensor(unsupported[i], 2, ne, 256, -1, &n);
        EXPECT_FAIL(img, n, "unsupported type", "unsupported tensor type");
        free(img);
    }
    uint64_t ne48[2] = {48, 2};
    img = one_tensor(GGML_TYPE_Q4_0, 2, ne48, 54, -1, &n);
    EXPECT_FAIL(img, n, "not a whole number of Q4_0 blocks", "row 48 in Q4_0");
    free(img);
    img = one_tensor(GGML_TYPE_Q8_0, 1, ne48, 51, -1, &n);
    EXPECT_FAIL(img, n, "not a whole number of Q8_0 blocks", "row 48 in Q8_0");
    free(img);
    img = one_tensor(GGML_TYPE_F32, 2, ne, 256, 4, &n);
    EXPECT_FAIL(img, n, "not aligned to 32", "misaligned offset");
    free(img);
    img = one_tensor(GGML_TYPE_F32, 2, ne, 256, 1 << 20, &n);
    EXPECT_FAIL(img, n, "past the end of the file", "data past EOF");
    free(img);
    img = one_tensor(GGML_TYPE_F32, 2, ne, 256, (int64_t)(UINT64_MAX & ~(uint64_t)31 & INT64_MAX), &n);
    EXPECT_FAIL(img, n, "past the end of the file", "offset near 2^63");
    free(img);
    // Data cut short by one byte.
    img = one_tensor(GGML_TYPE_F32, 2, ne, 256, -1, &n);
    EXPECT_FAIL(img, n - 1, "truncated", "last tensor one byte short");
    free(img);
    // Names: duplicate, empty, with a control character.
    tg_writer *w = tg_new(3, 32);
    tg_add_tensor_f32(w, "dup", GGML_TYPE_F32, 1, ne, ones);
    tg_add_tensor_f32(w, "other", GGML_TYPE_F32, 1, ne, ones);
    tg_add_tensor_f32(w, "dup", GGML_TYPE_F32, 1, ne, ones);
    img = take(w, &n);
    EXPECT_FAIL(img, n, "duplicate tensor name 'dup'", "duplicate name");
    free(img);
    w = tg_new(3, 32);
    tg_add_tensor_f32(w, "", GGML_TYPE_F32, 1, ne, ones);
    img = take(w, &n);
    EXPECT_FAIL(img, n, "empty or unprintable name", "empty name");
    free(img);
    w = tg_new(3, 32);
    tg_add_tensor_f32(w, "a\nb", GGML_TYPE_F32, 1, ne, ones);
    img = take(w, &n);
    EXPECT_FAIL(img, n, "empty or unprintable name", "name with newline");
    free(img);
}

static void test_bad_alignment(void) {
    const uint64_t bad[] = {0, 3, 48, 100, 131072, 1ull << 40};
    uint64_t ne[1] = {8};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tg_writer *w = tg_new(3, 32);
        tg_add_u64(w, "general.alignment", bad[i]);
        tg_add_tensor_f32(w, "t", GGML_TYPE_F32, 1, ne, ones);
        size_t n;
        uint8_t *img = take(w, &n);
        EXPECT_FAIL(img, n, "not a power of two", "alignment");
        free(img);
    }
    tg_writer *w = tg_new(3, 32);
    tg_add_str(w, "general.alignment", "32");
    size_t n;
    uint8_t *img = take(w, &n);
    EXPECT_FAIL(img, n, "general.alignment has type string", "alignment as string");
    free(img);
    w = tg_new(3, 32);
    tg_add_i32(w, "general.alignment", 32);
    img = take(w, &n);
    EXPECT_FAIL(img, n, "general.alignment has type int32", "alignment as int32");
    free(img);
}

// ---- files -----------------------------------------------------------------------------------
static int copy_prefix(const char *src, const char *dst, long len) {
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    int rc = in && out ? 0 : -1;
    char buf[1 << 16];
    while (!rc && len > 0) {
        size_t want = len < (long)sizeof buf ? (size_t)len : sizeof buf;
        size_t got = fread(buf, 1, want, in);
        if (got == 0 || fwrite(buf, 1, got, out) != got) rc = -1;
        len -= (long)got;
    }
    if (in) fclose(in);
    if (out && fclose(out)) rc = -1;
    return rc;
}

static void test_open_errors(void) {
    gguf_file f;
    CHECK(gguf_open(&f, "/nonexistent/dir/model.gguf") == -1 && strstr(pcb_last_error(), "cannot open") &&
          strstr(pcb_last_error(), "/nonexistent/dir/model.gguf"));
    CHECK(f.base == NULL);
    CHECK(gguf_open(&f, "tests") == -1 && strstr(pcb_last_error(), "not a regular file"));
    const char *empty = tmp_path("empty.gguf");
    FILE *fp = fopen(empty, "wb");
    if (fp) fclose(fp);
    CHECK(gguf_open(&f, empty) == -1 && strstr(pcb_last_error(), "empty file"));
    remove(empty);
    // A file with a broken header is released properly (ASan would flag a leak / bad munmap).
    const char *bad = tmp_path("bad.gguf");
    fp = fopen(bad, "wb");
    if (fp) {
        fwrite("GGUF\x09\0\0\0", 1, 8, fp);
        fclose(fp);
    }
    CHECK(gguf_open(&f, bad) == -1 && strstr(pcb_last_error(), "unsupported GGUF version 9") &&
          strstr(pcb_last_error(), bad));
    remove(bad);
}

static void test_real_model_truncated(void) {
    struct stat st;
    if (stat(MODEL_PATH, &st) != 0) SKIP_TEST("model not downloaded (make model)");
    gguf_file f;
    int rc = gguf_open(&f, MODEL_PATH);
    CHECK_MSG(rc == 0, "%s", pcb_last_error());
    if (rc == 0) {
        CHECK(f.version == 3 && f.n_tensors == 272);
        char arch[16];
        CHECK(gguf_get_str(&f, "general.architecture", arch, sizeof arch, 1) == 0 && !strcmp(arch, "llama"));
        const gguf_tensor *t = gguf_find_tensor(&f, "blk.0.ffn_down.weight");
        CHECK(t && t->type == GGML_TYPE_Q4_1 && t->ne[0] == 1536 && t->ne[1] == 576);
    }
    gguf_close(&f);
    const long cuts[] = {1 << 20, (long)st.st_size - 100, 30, (long)st.st_size - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        const char *path = tmp_path("truncated.gguf");
        if (copy_prefix(MODEL_PATH, path, cuts[i]) != 0) {
            CHECK_MSG(0, "cannot write %s", path);
            continue;
        }
        rc = gguf_open(&f, path);
        CHECK_MSG(rc == -1 && strstr(pcb_last_error(), "truncated"), "first %ld bytes: rc=%d '%s'", cuts[i], rc,
                  pcb_last_error());
        CHECK(f.base == NULL && f.kv == NULL);
        remove(path);
    }
}

// ---- robustness ------------------------------------------------------------------------------
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

// Seeded single-byte flips / overwrites / inserts / deletes (and the odd 8-byte field
// overwrite) of small valid images; every result must parse or fail cleanly with a message.
static void test_random_mutations(void) {
    size_t n_small, n_full;
    uint8_t *bases[2];
    bases[0] = small_image(&n_small);
    bases[1] = take(full_writer(3, 64, 0), &n_full);
    const size_t sizes[2] = {n_small, n_full};
    static const uint64_t interesting[] = {0,          1,          2,          4,          5,
                                           31,         32,         255,        0x7fffffff, 0xffffffff,
                                           1ull << 32, 1ull << 40, 1ull << 62, UINT64_MAX, UINT64_MAX - 7};
    int n_ok = 0, n_fail = 0, no_msg = 0;
    for (int iter = 0; iter < 6000; iter++) {
        const uint8_t *base = bases[iter & 1];
        size_t n = sizes[iter & 1];
        uint8_t *m = malloc(n + 16);
        memcpy(m, base, n);
        int n_mut = 1 + (int)(rnd() % 3);
        for (int k = 0; k < n_mut; k++) {
            size_t pos = (size_t)(rnd() % n);
            switch (rnd() % 5) {
            case 0:
                m[pos] ^= (uint8_t)(1u << (rnd() % 8));
                break;
            case 1:
                m[pos] = (uint8_t)rnd();
                break;
            case 2:  // insert
                memmove(m + pos + 1, m + pos, n - pos);
                m[pos] = (uint8_t)rnd();
                n++;
                break;
            case 3:  // delete
                memmove(m + pos, m + pos + 1, n - pos - 1);
                n--;
                break;
            default:
                if (pos + 8 <= n) {
                    uint64_t v = interesting[rnd() % (sizeof interesting / sizeof interesting[0])];
                    memcpy(m + pos, &v, (size_t)(1u << (rnd() % 4)));  // 1, 2, 4 or 8 bytes
                }
            }
        }
        uint8_t *exact = malloc(n ? n : 1);  // exact size: ASan flags any over-read
        memcpy(exact, m, n);
        pcb_clear_error();
        if (fuzz_gguf_check(exact, n) == 0) {
            n_ok++;
        } else {
            n_fail++;
            if (!strcmp(pcb_last_error(), "unknown error")) no_msg++;
        }
        free(exact);
        free(m);
    }
    CHECK_MSG(no_msg == 0, "%d failures without a message", no_msg);
    CHECK(n_ok > 0 && n_fail > 0);  // the mutations exercise both outcomes
    fprintf(stderr, "  (%d mutants parsed, %d rejected)\n", n_ok, n_fail);
    free(bases[0]);
    free(bases[1]);
}

// The committed fuzz seeds stay valid files.
static void test_fuzz_seeds_parse(void) {
    DIR *d = opendir("tests/fuzz/seeds");
    if (!d) FAIL_TEST("tests/fuzz/seeds (run from the repo root)");
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[512];
        snprintf(path, sizeof path, "tests/fuzz/seeds/%s", e->d_name);
        gguf_file f;
        int rc = gguf_open(&f, path);
        CHECK_MSG(rc == 0, "%s", pcb_last_error());
        gguf_close(&f);
        count++;
    }
    closedir(d);
    CHECK(count >= 3);
}

int main(void) {
    RUN_TEST(test_round_trip_all_types);
    RUN_TEST(test_round_trip_file);
    RUN_TEST(test_tiny_llama_model);
    RUN_TEST(test_getters);
    RUN_TEST(test_bad_header);
    RUN_TEST(test_truncated_every_prefix);
    RUN_TEST(test_bad_values);
    RUN_TEST(test_nested_arrays);
    RUN_TEST(test_bad_tensors);
    RUN_TEST(test_bad_alignment);
    RUN_TEST(test_open_errors);
    RUN_TEST(test_real_model_truncated);
    RUN_TEST(test_random_mutations);
    RUN_TEST(test_fuzz_seeds_parse);
    if (tmp_dir[0] && strcmp(tmp_dir, "/tmp")) rmdir(tmp_dir);
    return test_summary();
}
