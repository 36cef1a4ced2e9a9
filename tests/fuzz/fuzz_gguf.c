// libFuzzer target for the GGUF reader: parse the input as a GGUF image and, when the reader
// accepts it, touch everything it promises is in bounds (every key, string, array element
// range, tensor's first and last data byte) and check the invariants callers rely on.
// Build: make fuzz (clang -fsanitize=fuzzer,address,undefined). tests/test_gguf.c also
// #includes this file and runs fuzz_gguf_check() on mutated images in the normal test suite.
//
// Seeds (tests/fuzz/seeds, all < 20 KB) were written by build/tests/make_tiny_gguf (M):
//   M llama_f32_dim8.gguf --type F32 --dim 8 --heads 2 --kv-heads 1 --ffn 16 --layers 1 --ctx 64 --no-chat-template
//   M llama_q4_1.gguf --type Q4_1 --dim 32 --heads 2 --kv-heads 1 --ffn 32 --layers 1 --ctx 64 --no-chat-template --seed 2
//   M llama_q4_0_v2_untied_chat.gguf --type Q4_0 --dim 32 --heads 4 --kv-heads 2 --ffn 32 --layers 1 --ctx 64
//     --version 2 --untied --seed 3
//   M showcase_v3.gguf --showcase;   M showcase_v2_align64.gguf --showcase --version 2 --alignment 64
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench/model/gguf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned fuzz_sink_;  // keeps the touching reads from being optimised away

// A violated invariant is a reader bug: crash so the fuzzer records the input.
#define FUZZ_ASSERT(c)     \
    do {                   \
        if (!(c)) abort(); \
    } while (0)

static void fuzz_touch(const gguf_file *f, const void *p, uint64_t len) {
    if (!len) return;
    const uint8_t *b = p;
    FUZZ_ASSERT(b >= f->base && len <= f->size && (size_t)(b - f->base) <= f->size - len);
    fuzz_sink_ += b[0] + b[len - 1];
}

// Returns gguf_parse's result (0 / -1); the image must be exactly `size` bytes long.
static int fuzz_gguf_check(const uint8_t *data, size_t size) {
    gguf_file f;
    int rc = gguf_parse(&f, data, size, "fuzz-input");
    if (rc == 0) {
        FUZZ_ASSERT(f.version == 2 || f.version == 3);
        FUZZ_ASSERT(f.alignment && !(f.alignment & (f.alignment - 1)));
        for (uint64_t i = 0; i < f.n_kv; i++) {
            const gguf_kv *kv = &f.kv[i];
            FUZZ_ASSERT(kv->key.len > 0);
            fuzz_touch(&f, kv->key.ptr, kv->key.len);
            if (kv->type == GGUF_VAL_STRING) fuzz_touch(&f, kv->v.str.ptr, kv->v.str.len);
            if (kv->type == GGUF_VAL_ARRAY) {
                if (kv->elem_type == GGUF_VAL_STRING) {
                    FUZZ_ASSERT(kv->n == 0 || kv->strs);
                    for (uint64_t j = 0; j < kv->n; j++) fuzz_touch(&f, kv->strs[j].ptr, kv->strs[j].len);
                } else if (gguf_value_type_size(kv->elem_type)) {
                    fuzz_touch(&f, kv->raw, kv->n * gguf_value_type_size(kv->elem_type));
                }
            }
            // Getters by name (keys with NUL bytes cannot be named by a C string).
            char key[128], s[16];
            if (kv->key.len < sizeof key && !memchr(kv->key.ptr, 0, kv->key.len)) {
                memcpy(key, kv->key.ptr, kv->key.len);
                key[kv->key.len] = 0;
                FUZZ_ASSERT(gguf_find_kv(&f, key) != NULL);
                uint64_t u;
                float x;
                (void)gguf_get_u64(&f, key, &u, 1);
                (void)gguf_get_f32(&f, key, &x, 1);
                if (gguf_get_str(&f, key, s, sizeof s, 1) == 0) FUZZ_ASSERT(strlen(s) < sizeof s);
            }
        }
        for (uint64_t i = 0; i < f.n_tensors; i++) {
            const gguf_tensor *t = &f.tensors[i];
            FUZZ_ASSERT(t->n_dims >= 1 && t->n_dims <= 4 && ggml_type_name(t->type));
            uint64_t n = 1;
            for (int d = 0; d < 4; d++) {
                FUZZ_ASSERT(t->ne[d] >= 1);
                n *= t->ne[d];
            }
            FUZZ_ASSERT(n == t->n_elements);
            FUZZ_ASSERT(t->n_bytes == ggml_row_bytes(t->type, t->ne[0]) * (n / t->ne[0]));
            FUZZ_ASSERT((uint64_t)(t->data - f.base) % f.alignment == 0);
            fuzz_touch(&f, t->data, t->n_bytes);
            fuzz_touch(&f, t->name.ptr, t->name.len);
            char name[128];
            if (t->name.len < sizeof name && !memchr(t->name.ptr, 0, t->name.len)) {
                memcpy(name, t->name.ptr, t->name.len);
                name[t->name.len] = 0;
                FUZZ_ASSERT(gguf_find_tensor(&f, name) == t);  // names are unique
            }
        }
    }
    gguf_close(&f);  // also after a failure: frees what the parse had allocated
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_gguf_check(data, size);
    return 0;
}
