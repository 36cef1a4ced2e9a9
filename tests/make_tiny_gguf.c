// make_tiny_gguf: writes a tiny random-weight llama GGUF (see tests/tiny_gguf.h), or with
// --showcase a small file holding every metadata value type and every tensor type (used as
// a fuzz seed). Run without arguments for usage.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "tests/tiny_gguf.h"

static void usage(void) {
    fprintf(stderr,
            "usage: make_tiny_gguf OUT.gguf [--type F32|F16|BF16|Q8_0|Q4_0|Q4_1] [--layers N] [--dim D]\n"
            "                      [--heads H] [--kv-heads K] [--ffn F] [--ctx C] [--seed S] [--untied]\n"
            "                      [--theta T] [--eps E] [--version 2|3] [--alignment A] [--no-chat-template]\n"
            "                      [--dequantised]  (F32 matrices holding what --type dequantises to)\n"
            "       make_tiny_gguf OUT.gguf --showcase [--version 2|3] [--alignment A]\n");
}

static int parse_type(const char *s, ggml_type *out) {
    static const ggml_type all[] = {GGML_TYPE_F32,  GGML_TYPE_F16,  GGML_TYPE_BF16,
                                    GGML_TYPE_Q8_0, GGML_TYPE_Q4_0, GGML_TYPE_Q4_1};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!strcmp(s, ggml_type_name(all[i]))) {
            *out = all[i];
            return 0;
        }
    return -1;
}

static int parse_int(const char *opt, const char *s, long long lo, long long hi, long long *out) {
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*s == 0 || *end || v < lo || v > hi) {
        fprintf(stderr, "make_tiny_gguf: %s expects an integer in [%lld, %lld], got '%s'\n", opt, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

// One entry of every value type, scalar and string arrays, and a small tensor of each type.
static tg_writer *showcase(uint32_t version, uint32_t alignment) {
    tg_writer *w = tg_new(version, alignment);
    tg_add_str(w, "general.architecture", "showcase");
    tg_add_u8(w, "t.u8", 200);
    tg_add_i8(w, "t.i8", -100);
    tg_add_u16(w, "t.u16", 60000);
    tg_add_i16(w, "t.i16", -30000);
    tg_add_u32(w, "t.u32", 4000000000u);
    tg_add_i32(w, "t.i32", -2000000000);
    tg_add_f32(w, "t.f32", 0.125f);
    tg_add_bool(w, "t.bool", 1);
    tg_add_str(w, "t.str", "hello");
    tg_add_u64(w, "t.u64", 1ull << 40);
    tg_add_i64(w, "t.i64", -(1ll << 40));
    tg_add_f64(w, "t.f64", -2.5);
    const int32_t ai[] = {1, -2, 3};
    const float af[] = {0.5f, -1.5f};
    const uint8_t ab[] = {1, 0, 1, 1};
    const char *as[] = {"a", "", "Ġthe"};
    tg_add_array(w, "t.arr_i32", GGUF_VAL_INT32, ai, 3);
    tg_add_array(w, "t.arr_f32", GGUF_VAL_FLOAT32, af, 2);
    tg_add_array(w, "t.arr_bool", GGUF_VAL_BOOL, ab, 4);
    tg_add_str_array(w, "t.arr_str", as, 3);
    static const ggml_type types[] = {GGML_TYPE_F32,  GGML_TYPE_F16,  GGML_TYPE_BF16,
                                      GGML_TYPE_Q8_0, GGML_TYPE_Q4_0, GGML_TYPE_Q4_1};
    float v[64];
    for (int i = 0; i < 64; i++) v[i] = (float)(i - 31) / 16.0f;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "w.%s", ggml_type_name(types[i]));
        uint64_t ne[2] = {32, 2};
        tg_add_tensor_f32(w, name, types[i], 2, ne, v);
    }
    return w;
}

int main(int argc, char **argv) {
    if (argc < 2 || argv[1][0] == '-') {
        usage();
        return 2;
    }
    const char *out = argv[1];
    tiny_llama_config cfg = tiny_llama_default();
    int show = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        long long v;
        if (!strcmp(a, "--untied")) {
            cfg.tied = 0;
            continue;
        }
        if (!strcmp(a, "--dequantised")) {
            cfg.store_dequantised = 1;
            continue;
        }
        if (!strcmp(a, "--showcase")) {
            show = 1;
            continue;
        }
        if (!strcmp(a, "--no-chat-template")) {
            cfg.chat_template = 0;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "make_tiny_gguf: unknown option or missing value: %s\n", a);
            usage();
            return 2;
        }
        const char *s = argv[++i];
        int bad = 0;
        if (!strcmp(a, "--type")) {
            if (parse_type(s, &cfg.wtype)) {
                fprintf(stderr, "make_tiny_gguf: unknown --type '%s'\n", s);
                bad = 1;
            }
        } else if (!strcmp(a, "--theta") || !strcmp(a, "--eps")) {
            char *end;
            float f = strtof(s, &end);
            if (*s == 0 || *end || !(f > 0)) {
                fprintf(stderr, "make_tiny_gguf: %s expects a positive number, got '%s'\n", a, s);
                bad = 1;
            } else if (a[2] == 't') {
                cfg.rope_theta = f;
            } else {
                cfg.norm_eps = f;
            }
        } else if (!strcmp(a, "--seed")) {
            char *end;
            unsigned long long u = strtoull(s, &end, 10);
            if (*s == 0 || *end) {
                fprintf(stderr, "make_tiny_gguf: --seed expects an integer, got '%s'\n", s);
                bad = 1;
            }
            cfg.seed = u;
        } else if (!strcmp(a, "--layers")) {
            bad = parse_int(a, s, 1, 1000, &v);
            cfg.n_layer = (int)v;
        } else if (!strcmp(a, "--dim")) {
            bad = parse_int(a, s, 2, 1 << 16, &v);
            cfg.dim = (int)v;
        } else if (!strcmp(a, "--heads")) {
            bad = parse_int(a, s, 1, 1024, &v);
            cfg.n_head = (int)v;
        } else if (!strcmp(a, "--kv-heads")) {
            bad = parse_int(a, s, 1, 1024, &v);
            cfg.n_kv_head = (int)v;
        } else if (!strcmp(a, "--ffn")) {
            bad = parse_int(a, s, 1, 1 << 18, &v);
            cfg.ffn = (int)v;
        } else if (!strcmp(a, "--ctx")) {
            bad = parse_int(a, s, 1, 1 << 24, &v);
            cfg.ctx = (int)v;
        } else if (!strcmp(a, "--version")) {
            bad = parse_int(a, s, 2, 3, &v);
            cfg.version = (uint32_t)v;
        } else if (!strcmp(a, "--alignment")) {
            bad = parse_int(a, s, 1, 65536, &v);
            if (!bad && (v & (v - 1))) {
                fprintf(stderr, "make_tiny_gguf: --alignment must be a power of two, got %lld\n", v);
                bad = 1;
            }
            cfg.alignment = (uint32_t)v;
        } else {
            fprintf(stderr, "make_tiny_gguf: unknown option %s\n", a);
            usage();
            return 2;
        }
        if (bad) return 2;
    }
    int rc;
    if (show) {
        tg_writer *w = showcase(cfg.version, cfg.alignment);
        rc = tg_write_file(w, out);
        tg_free(w);
    } else {
        rc = tiny_llama_write(out, &cfg);
    }
    if (rc) {
        fprintf(stderr, "make_tiny_gguf: %s\n", pcb_last_error());
        return 1;
    }
    return 0;
}
