#include "tests/tiny_gguf.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"

// ---- growable byte buffer ------------------------------------------------------------------
typedef struct {
    uint8_t *p;
    size_t n, cap;
} tg_buf;

static void buf_put(tg_buf *b, const void *src, size_t n) {
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n) cap *= 2;
        b->p = pcb_realloc(b->p, cap);
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, src, n);
    b->n += n;
}
static void buf_u32(tg_buf *b, uint32_t v) { buf_put(b, &v, 4); }  // hosts are little-endian
static void buf_u64(tg_buf *b, uint64_t v) { buf_put(b, &v, 8); }
static void buf_str(tg_buf *b, const char *s, size_t n) {
    buf_u64(b, n);
    buf_put(b, s, n);
}
static void buf_zeros(tg_buf *b, size_t n) {
    static const uint8_t z[64];
    while (n) {
        size_t k = n < sizeof z ? n : sizeof z;
        buf_put(b, z, k);
        n -= k;
    }
}

// ---- writer --------------------------------------------------------------------------------
#define TG_MAX_DIMS 8  // more than GGUF allows, so tests can write invalid n_dims

typedef struct {
    char *name;
    uint32_t type, n_dims;
    uint64_t ne[TG_MAX_DIMS];
    uint8_t *data;
    size_t nbytes;
    int has_offset;
    uint64_t offset;
} tg_tensor;

struct tg_writer {
    uint32_t version, alignment;
    tg_buf kv;
    uint64_t n_kv;
    int has_align_key;
    tg_tensor *t;
    int n_t, cap_t;
};

tg_writer *tg_new(uint32_t version, uint32_t alignment) {
    tg_writer *w = pcb_calloc(1, sizeof *w);
    w->version = version;
    w->alignment = alignment ? alignment : 32;
    return w;
}

void tg_free(tg_writer *w) {
    if (!w) return;
    for (int i = 0; i < w->n_t; i++) {
        free(w->t[i].name);
        free(w->t[i].data);
    }
    free(w->t);
    free(w->kv.p);
    free(w);
}

static void kv_head(tg_writer *w, const char *key, uint32_t type) {
    buf_str(&w->kv, key, strlen(key));
    buf_u32(&w->kv, type);
    w->n_kv++;
    if (!strcmp(key, "general.alignment")) w->has_align_key = 1;
}

static void kv_scalar(tg_writer *w, const char *key, gguf_value_type t, const void *v, size_t n) {
    kv_head(w, key, t);
    buf_put(&w->kv, v, n);
}

void tg_add_u8(tg_writer *w, const char *key, uint8_t v) { kv_scalar(w, key, GGUF_VAL_UINT8, &v, 1); }
void tg_add_i8(tg_writer *w, const char *key, int8_t v) { kv_scalar(w, key, GGUF_VAL_INT8, &v, 1); }
void tg_add_u16(tg_writer *w, const char *key, uint16_t v) { kv_scalar(w, key, GGUF_VAL_UINT16, &v, 2); }
void tg_add_i16(tg_writer *w, const char *key, int16_t v) { kv_scalar(w, key, GGUF_VAL_INT16, &v, 2); }
void tg_add_u32(tg_writer *w, const char *key, uint32_t v) { kv_scalar(w, key, GGUF_VAL_UINT32, &v, 4); }
void tg_add_i32(tg_writer *w, const char *key, int32_t v) { kv_scalar(w, key, GGUF_VAL_INT32, &v, 4); }
void tg_add_f32(tg_writer *w, const char *key, float v) { kv_scalar(w, key, GGUF_VAL_FLOAT32, &v, 4); }
void tg_add_u64(tg_writer *w, const char *key, uint64_t v) { kv_scalar(w, key, GGUF_VAL_UINT64, &v, 8); }
void tg_add_i64(tg_writer *w, const char *key, int64_t v) { kv_scalar(w, key, GGUF_VAL_INT64, &v, 8); }
void tg_add_f64(tg_writer *w, const char *key, double v) { kv_scalar(w, key, GGUF_VAL_FLOAT64, &v, 8); }
void tg_add_bool(tg_writer *w, const char *key, int v) {
    uint8_t b = v ? 1 : 0;
    kv_scalar(w, key, GGUF_VAL_BOOL, &b, 1);
}
void tg_add_str(tg_writer *w, const char *key, const char *s) {
    kv_head(w, key, GGUF_VAL_STRING);
    buf_str(&w->kv, s, strlen(s));
}

void tg_add_array(tg_writer *w, const char *key, gguf_value_type elem_type, const void *elems, uint64_t n) {
    kv_head(w, key, GGUF_VAL_ARRAY);
    buf_u32(&w->kv, elem_type);
    buf_u64(&w->kv, n);
    buf_put(&w->kv, elems, (size_t)n * gguf_value_type_size(elem_type));
}

void tg_add_str_array(tg_writer *w, const char *key, const char *const *strs, uint64_t n) {
    kv_head(w, key, GGUF_VAL_ARRAY);
    buf_u32(&w->kv, GGUF_VAL_STRING);
    buf_u64(&w->kv, n);
    for (uint64_t i = 0; i < n; i++) buf_str(&w->kv, strs[i], strlen(strs[i]));
}

void tg_add_raw_kv(tg_writer *w, const char *key, uint32_t type, const void *payload, size_t len) {
    kv_head(w, key, type);
    buf_put(&w->kv, payload, len);
}

int tg_add_raw_tensor(tg_writer *w, const char *name, uint32_t type, uint32_t n_dims, const uint64_t *ne,
                      const void *data, size_t nbytes) {
    if (n_dims > TG_MAX_DIMS) return pcb_fail("tg_add_raw_tensor: %u dims (max %d)", n_dims, TG_MAX_DIMS);
    if (w->n_t == w->cap_t) {
        w->cap_t = w->cap_t ? w->cap_t * 2 : 16;
        w->t = pcb_realloc(w->t, (size_t)w->cap_t * sizeof *w->t);
    }
    tg_tensor *t = &w->t[w->n_t];
    memset(t, 0, sizeof *t);
    t->name = pcb_strdup(name);
    t->type = type;
    t->n_dims = n_dims;
    for (uint32_t d = 0; d < n_dims; d++) t->ne[d] = ne[d];
    t->data = pcb_malloc(nbytes);
    if (nbytes) memcpy(t->data, data, nbytes);
    t->nbytes = nbytes;
    return w->n_t++;
}

static int known_type(ggml_type t) {
    return t == GGML_TYPE_F32 || t == GGML_TYPE_F16 || t == GGML_TYPE_BF16 || t == GGML_TYPE_Q8_0 ||
           t == GGML_TYPE_Q4_0 || t == GGML_TYPE_Q4_1;
}

// Bytes of a valid tensor of this type and shape; 0 (error set) when invalid.
static size_t tensor_bytes(const char *name, ggml_type type, uint32_t n_dims, const uint64_t *ne) {
    if (!known_type(type)) {
        pcb_fail("tensor '%s': unknown type %d", name, (int)type);
        return 0;
    }
    if (n_dims < 1 || n_dims > 4) {
        pcb_fail("tensor '%s': %u dims", name, n_dims);
        return 0;
    }
    uint64_t rows = 1;
    for (uint32_t d = 1; d < n_dims; d++) rows *= ne[d];
    size_t row = tiny_type_bytes(type, (int64_t)ne[0]);
    if (!row || !rows) {
        pcb_fail("tensor '%s': shape does not fit %s blocks", name, ggml_type_name(type));
        return 0;
    }
    return row * (size_t)rows;
}

int tg_add_tensor(tg_writer *w, const char *name, ggml_type type, uint32_t n_dims, const uint64_t *ne, const void *data,
                  size_t nbytes) {
    size_t want = tensor_bytes(name, type, n_dims, ne);
    if (!want) return -1;
    if (want != nbytes) return pcb_fail("tensor '%s': %zu data bytes given, %zu needed", name, nbytes, want);
    return tg_add_raw_tensor(w, name, type, n_dims, ne, data, nbytes);
}

int tg_add_tensor_f32(tg_writer *w, const char *name, ggml_type type, uint32_t n_dims, const uint64_t *ne,
                      const float *values) {
    size_t nbytes = tensor_bytes(name, type, n_dims, ne);
    if (!nbytes) return -1;
    int64_t n = 1;
    for (uint32_t d = 0; d < n_dims; d++) n *= (int64_t)ne[d];
    void *q = pcb_malloc(nbytes);
    tiny_quantize(type, values, q, n);
    int idx = tg_add_raw_tensor(w, name, type, n_dims, ne, q, nbytes);
    free(q);
    return idx;
}

void tg_set_tensor_offset(tg_writer *w, int idx, uint64_t offset) {
    if (idx < 0 || idx >= w->n_t) return;
    w->t[idx].has_offset = 1;
    w->t[idx].offset = offset;
}

static uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

uint8_t *tg_serialize(const tg_writer *w, size_t *size) {
    // Alignment used for placement; a non-power-of-two value (for error tests) still works.
    uint64_t al = w->alignment;
    int add_align = al != 32 && !w->has_align_key;
    tg_buf b = {0};
    buf_put(&b, "GGUF", 4);
    buf_u32(&b, w->version);
    buf_u64(&b, (uint64_t)w->n_t);
    buf_u64(&b, w->n_kv + (add_align ? 1 : 0));
    buf_put(&b, w->kv.p, w->kv.n);
    if (add_align) {
        buf_str(&b, "general.alignment", 17);
        buf_u32(&b, GGUF_VAL_UINT32);
        buf_u32(&b, w->alignment);
    }
    uint64_t *off = pcb_calloc((size_t)w->n_t, sizeof *off);
    uint64_t cur = 0;
    for (int i = 0; i < w->n_t; i++) {
        const tg_tensor *t = &w->t[i];
        off[i] = align_up(cur, al);
        cur = off[i] + t->nbytes;
        buf_str(&b, t->name, strlen(t->name));
        buf_u32(&b, t->n_dims);
        for (uint32_t d = 0; d < t->n_dims; d++) buf_u64(&b, t->ne[d]);
        buf_u32(&b, t->type);
        buf_u64(&b, t->has_offset ? t->offset : off[i]);
    }
    buf_zeros(&b, (size_t)(align_up(b.n, al) - b.n));
    size_t data_start = b.n;
    for (int i = 0; i < w->n_t; i++) {
        buf_zeros(&b, (size_t)(data_start + off[i] - b.n));
        buf_put(&b, w->t[i].data, w->t[i].nbytes);
    }
    // Pad the end as GGUFWriter / llama.cpp do (the last tensor's padding is part of the file).
    if (w->n_t) buf_zeros(&b, (size_t)(align_up(b.n - data_start, al) - (b.n - data_start)));
    free(off);
    *size = b.n;
    return b.p ? b.p : pcb_malloc(1);
}

int tg_write_file(const tg_writer *w, const char *path) {
    size_t n;
    uint8_t *img = tg_serialize(w, &n);
    size_t plen = strlen(path) + 5;
    char *tmp = pcb_malloc(plen);
    snprintf(tmp, plen, "%s.tmp", path);
    FILE *fp = fopen(tmp, "wb");
    int rc = -1;
    if (!fp) {
        pcb_fail("%s: cannot create: %s", tmp, strerror(errno));
    } else {
        size_t wr = fwrite(img, 1, n, fp);
        int cl = fclose(fp);
        if (wr != n || cl != 0) pcb_fail("%s: write failed", tmp);
        else if (rename(tmp, path) != 0) pcb_fail("%s: cannot rename to %s", tmp, path);
        else rc = 0;
        if (rc) remove(tmp);
    }
    free(tmp);
    free(img);
    return rc;
}

// ---- reference quantisers ------------------------------------------------------------------
uint16_t tiny_fp32_to_fp16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return sign | 0x7e00u | (uint16_t)((ax >> 13) & 0x3ffu);  // NaN stays NaN
    if (ax >= 0x477ff000u) return sign | 0x7c00u;                                   // >= 65520 (and inf) rounds to inf
    if (ax >= 0x38800000u) {  // normal half: rebias exponent by 127-15
        uint32_t h = (ax >> 13) - (112u << 10), rem = ax & 0x1fffu;
        if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) h++;  // carry into exponent is right
        return sign | (uint16_t)h;
    }
    uint32_t e = ax >> 23;     // subnormal half: count units of 2^-24
    if (e < 102) return sign;  // below 2^-25: rounds to zero
    uint32_t m = (ax & 0x7fffffu) | 0x800000u, shift = 126 - e;
    uint32_t r = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (r & 1u))) r++;
    return sign | (uint16_t)r;
}

float tiny_fp16_to_fp32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, x;
    if (e == 0) {
        float v = (float)m * 0x1p-24f;  // zero or subnormal: exact
        return sign ? -v : v;
    }
    x = sign | (e == 31 ? 0x7f800000u | (m << 13) : ((e + 112u) << 23) | (m << 13));
    float f;
    memcpy(&f, &x, 4);
    return f;
}

uint16_t tiny_fp32_to_bf16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 64u);  // quiet NaN
    return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

float tiny_bf16_to_fp32(uint16_t h) {
    uint32_t x = (uint32_t)h << 16;
    float f;
    memcpy(&f, &x, 4);
    return f;
}

size_t tiny_type_bytes(ggml_type type, int64_t n) {
    if (n < 0) return 0;
    switch (type) {
    case GGML_TYPE_F32:
        return (size_t)n * 4;
    case GGML_TYPE_F16:
    case GGML_TYPE_BF16:
        return (size_t)n * 2;
    case GGML_TYPE_Q8_0:
        return n % 32 ? 0 : (size_t)n / 32 * 34;
    case GGML_TYPE_Q4_0:
        return n % 32 ? 0 : (size_t)n / 32 * 18;
    case GGML_TYPE_Q4_1:
        return n % 32 ? 0 : (size_t)n / 32 * 20;
    }
    return 0;
}

// Forces a float product to be rounded on its own: ggml and gguf-py round x*id before adding
// the 8.5 / 0.5 offset, and a fused multiply-add here would change a few nibbles.
static float rounded(float x) {
    volatile float v = x;
    return v;
}

static void put_fp16(uint8_t *p, float f) {
    uint16_t h = tiny_fp32_to_fp16(f);
    memcpy(p, &h, 2);
}

static void quant_q8_0(const float *x, uint8_t *b) {
    float amax = 0.0f;
    for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[j]));
    float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    put_fp16(b, d);  // the scale is computed in fp32, only stored as fp16 (as ggml)
    for (int j = 0; j < 32; j++) b[2 + j] = (uint8_t)(int8_t)roundf(x[j] * id);
}

static void quant_q4_0(const float *x, uint8_t *b) {
    float amax = 0.0f, max = 0.0f;  // max: the signed value of largest magnitude (first wins)
    for (int j = 0; j < 32; j++)
        if (amax < fabsf(x[j])) {
            amax = fabsf(x[j]);
            max = x[j];
        }
    float d = max / -8.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    put_fp16(b, d);
    for (int j = 0; j < 16; j++) {
        int q0 = (int8_t)(rounded(x[j] * id) + 8.5f), q1 = (int8_t)(rounded(x[j + 16] * id) + 8.5f);
        q0 = q0 < 15 ? q0 : 15;
        q1 = q1 < 15 ? q1 : 15;
        b[2 + j] = (uint8_t)(q0 | q1 << 4);
    }
}

static void quant_q4_1(const float *x, uint8_t *b) {
    float min = x[0], max = x[0];
    for (int j = 1; j < 32; j++) {
        min = fminf(min, x[j]);
        max = fmaxf(max, x[j]);
    }
    float d = (max - min) / 15.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    put_fp16(b, d);
    put_fp16(b + 2, min);
    for (int j = 0; j < 16; j++) {
        int q0 = (int8_t)(rounded((x[j] - min) * id) + 0.5f), q1 = (int8_t)(rounded((x[j + 16] - min) * id) + 0.5f);
        q0 = q0 < 15 ? q0 : 15;
        q1 = q1 < 15 ? q1 : 15;
        b[4 + j] = (uint8_t)(q0 | q1 << 4);
    }
}

size_t tiny_quantize(ggml_type type, const float *src, void *dst, int64_t n) {
    size_t nb = tiny_type_bytes(type, n);
    if (!nb) return 0;
    uint8_t *o = dst;
    for (int64_t i = 0; i < n; i++) {
        switch (type) {
        case GGML_TYPE_F32:
            memcpy(o + i * 4, &src[i], 4);
            break;
        case GGML_TYPE_F16: {
            uint16_t h = tiny_fp32_to_fp16(src[i]);
            memcpy(o + i * 2, &h, 2);
            break;
        }
        case GGML_TYPE_BF16: {
            uint16_t h = tiny_fp32_to_bf16(src[i]);
            memcpy(o + i * 2, &h, 2);
            break;
        }
        case GGML_TYPE_Q8_0:
            if (i % 32 == 0) quant_q8_0(src + i, o + i / 32 * 34);
            break;
        case GGML_TYPE_Q4_0:
            if (i % 32 == 0) quant_q4_0(src + i, o + i / 32 * 18);
            break;
        case GGML_TYPE_Q4_1:
            if (i % 32 == 0) quant_q4_1(src + i, o + i / 32 * 20);
            break;
        }
    }
    return nb;
}

int tiny_dequantize(ggml_type type, const void *src, float *dst, int64_t n) {
    if (!tiny_type_bytes(type, n)) return -1;
    const uint8_t *b = src;
    for (int64_t i = 0; i < n; i++) {
        uint16_t h;
        switch (type) {
        case GGML_TYPE_F32:
            memcpy(&dst[i], b + i * 4, 4);
            break;
        case GGML_TYPE_F16:
            memcpy(&h, b + i * 2, 2), dst[i] = tiny_fp16_to_fp32(h);
            break;
        case GGML_TYPE_BF16:
            memcpy(&h, b + i * 2, 2), dst[i] = tiny_bf16_to_fp32(h);
            break;
        case GGML_TYPE_Q8_0: {  // d, 32 x int8: d * q
            const uint8_t *blk = b + i / 32 * 34;
            memcpy(&h, blk, 2);
            dst[i] = tiny_fp16_to_fp32(h) * (float)(int8_t)blk[2 + i % 32];
            break;
        }
        case GGML_TYPE_Q4_0: {  // d, 16 bytes: low nibbles are values 0..15, high nibbles 16..31; (q - 8) * d
            const uint8_t *blk = b + i / 32 * 18;
            int j = (int)(i % 32), q = j < 16 ? blk[2 + j] & 0x0F : blk[2 + j - 16] >> 4;
            memcpy(&h, blk, 2);
            dst[i] = (float)(q - 8) * tiny_fp16_to_fp32(h);
            break;
        }
        case GGML_TYPE_Q4_1: {  // d, m, 16 bytes of nibbles as Q4_0: q * d + m
            const uint8_t *blk = b + i / 32 * 20;
            int j = (int)(i % 32), q = j < 16 ? blk[4 + j] & 0x0F : blk[4 + j - 16] >> 4;
            uint16_t hm;
            memcpy(&h, blk, 2), memcpy(&hm, blk + 2, 2);
            dst[i] = (float)q * tiny_fp16_to_fp32(h) + tiny_fp16_to_fp32(hm);
            break;
        }
        }
    }
    return 0;
}

// ---- tiny vocabulary -----------------------------------------------------------------------
static const char *const control_tokens[] = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};
#define N_CONTROL 3
// Each merge joins two tokens already in the vocab (byte symbols or earlier merges); the
// result becomes the next token. "Ġ" is GPT-2's symbol for the space byte.
static const char *const merges[] = {"Ġ t", "Ġ a", "i n",   "h e", "Ġt he", "e r", "o n", "Ġ s",
                                     "r e", "n d", "Ġa nd", "Ġ i", "Ġi s",  "o r", "l l", "Ġ w"};
#define N_MERGES ((int)(sizeof merges / sizeof merges[0]))

static char byte_sym[256][3];  // UTF-8 of the GPT-2 byte-to-unicode code point (< 0x800)
static char merge_tok[N_MERGES][16];
static int vocab_ready;

static void vocab_init(void) {
    if (vocab_ready) return;
    int extra = 0;
    for (int b = 0; b < 256; b++) {
        // GPT-2: printable Latin-1 bytes map to themselves, the rest to 256, 257, ... in order.
        int printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        int cp = printable ? b : 256 + extra++;
        if (cp < 0x80) {
            byte_sym[b][0] = (char)cp;
        } else {
            byte_sym[b][0] = (char)(0xC0 | (cp >> 6));
            byte_sym[b][1] = (char)(0x80 | (cp & 0x3F));
        }
    }
    for (int i = 0; i < N_MERGES; i++) {
        const char *sp = strchr(merges[i], ' ');
        snprintf(merge_tok[i], sizeof merge_tok[i], "%.*s%s", (int)(sp - merges[i]), merges[i], sp + 1);
    }
    vocab_ready = 1;
}

int tiny_vocab_size(void) { return N_CONTROL + 256 + N_MERGES; }
int tiny_n_merges(void) { return N_MERGES; }
const char *tiny_merge(int i) { return i >= 0 && i < N_MERGES ? merges[i] : NULL; }

const char *tiny_vocab_token(int id) {
    vocab_init();
    if (id < 0 || id >= tiny_vocab_size()) return NULL;
    if (id < N_CONTROL) return control_tokens[id];
    if (id < N_CONTROL + 256) return byte_sym[id - N_CONTROL];
    return merge_tok[id - N_CONTROL - 256];
}

// ---- tiny llama ----------------------------------------------------------------------------
static const char smollm2_chat_template[] =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ "
    "'<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
    "Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + "
    "'<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% "
    "endif %}";

tiny_llama_config tiny_llama_default(void) {
    tiny_llama_config c = {
        .n_layer = 2,
        .dim = 64,
        .n_head = 4,
        .n_kv_head = 2,
        .ffn = 128,
        .ctx = 256,
        .rope_theta = 10000.0f,
        .norm_eps = 1e-5f,
        .wtype = GGML_TYPE_F32,
        .tied = 1,
        .seed = 1,
        .version = 3,
        .alignment = 32,
        .chat_template = 1,
    };
    return c;
}

typedef struct {
    uint64_t s;
} tiny_rng;

static uint64_t rng_next(tiny_rng *r) {  // xorshift64*
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}

static float rng_normal(tiny_rng *r) {  // Box-Muller; u1 in (0,1] so the log is finite
    double u1 = ((double)(rng_next(r) >> 11) + 1.0) * 0x1p-53, u2 = (double)(rng_next(r) >> 11) * 0x1p-53;
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

// dequantised: write F32 holding what `type` would dequantise to (the draws are the same).
static int add_random(tg_writer *w, tiny_rng *r, const char *name, ggml_type type, uint64_t ne0, uint64_t ne1,
                      float mean, float std, int dequantised) {
    uint64_t ne[2] = {ne0, ne1};
    size_t n = (size_t)(ne0 * ne1);
    float *v = pcb_malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = mean + std * rng_normal(r);
    if (dequantised && type != GGML_TYPE_F32) {
        void *q = pcb_malloc(tiny_type_bytes(type, (int64_t)n));
        tiny_quantize(type, v, q, (int64_t)n);
        tiny_dequantize(type, q, v, (int64_t)n);
        free(q);
        type = GGML_TYPE_F32;
    }
    int rc = tg_add_tensor_f32(w, name, type, ne1 > 1 ? 2 : 1, ne, v);
    free(v);
    return rc < 0 ? -1 : 0;
}

static uint32_t file_type_of(ggml_type t) {  // llama_ftype numbering (general.file_type)
    switch (t) {
    case GGML_TYPE_F32:
        return 0;
    case GGML_TYPE_F16:
        return 1;
    case GGML_TYPE_Q4_0:
        return 2;
    case GGML_TYPE_Q4_1:
        return 3;
    case GGML_TYPE_Q8_0:
        return 7;
    case GGML_TYPE_BF16:
        return 32;
    }
    return 0;
}

tg_writer *tiny_llama_build(const tiny_llama_config *cfg_in) {
    tiny_llama_config cfg = cfg_in ? *cfg_in : tiny_llama_default();
    if (cfg.n_layer < 1 || cfg.dim < 2 || cfg.n_head < 1 || cfg.n_kv_head < 1 || cfg.ffn < 1 || cfg.ctx < 1) {
        pcb_fail("tiny llama: layers, dim, heads, kv heads, ffn and ctx must be positive");
        return NULL;
    }
    if (cfg.dim % cfg.n_head || (cfg.dim / cfg.n_head) % 2 || cfg.n_head % cfg.n_kv_head) {
        pcb_fail("tiny llama: dim %d must split into %d heads of even size, and heads %d into %d kv heads", cfg.dim,
                 cfg.n_head, cfg.n_head, cfg.n_kv_head);
        return NULL;
    }
    if ((cfg.version != 2 && cfg.version != 3) || (cfg.alignment & (cfg.alignment - 1))) {
        pcb_fail("tiny llama: version %u (2 or 3) / alignment %u (a power of two) not supported", cfg.version,
                 cfg.alignment);
        return NULL;
    }
    if (!known_type(cfg.wtype)) {
        pcb_fail("tiny llama: unsupported weight type %d", (int)cfg.wtype);
        return NULL;
    }
    // Every matrix has ne[0] = dim or ffn: those must be whole blocks for the Q types.
    if (!tiny_type_bytes(cfg.wtype, cfg.dim) || !tiny_type_bytes(cfg.wtype, cfg.ffn)) {
        pcb_fail("tiny llama: dim %d and ffn %d must be multiples of 32 for %s", cfg.dim, cfg.ffn,
                 ggml_type_name(cfg.wtype));
        return NULL;
    }
    vocab_init();
    const int n_vocab = tiny_vocab_size(), hd = cfg.dim / cfg.n_head;
    tg_writer *w = tg_new(cfg.version, cfg.alignment);

    tg_add_str(w, "general.architecture", "llama");
    tg_add_str(w, "general.name", "tiny-llama");
    tg_add_u32(w, "llama.block_count", (uint32_t)cfg.n_layer);
    tg_add_u32(w, "llama.context_length", (uint32_t)cfg.ctx);
    tg_add_u32(w, "llama.embedding_length", (uint32_t)cfg.dim);
    tg_add_u32(w, "llama.feed_forward_length", (uint32_t)cfg.ffn);
    tg_add_u32(w, "llama.attention.head_count", (uint32_t)cfg.n_head);
    tg_add_u32(w, "llama.attention.head_count_kv", (uint32_t)cfg.n_kv_head);
    tg_add_f32(w, "llama.rope.freq_base", cfg.rope_theta);
    tg_add_f32(w, "llama.attention.layer_norm_rms_epsilon", cfg.norm_eps);
    tg_add_u32(w, "general.file_type", file_type_of(cfg.store_dequantised ? GGML_TYPE_F32 : cfg.wtype));
    tg_add_u32(w, "llama.vocab_size", (uint32_t)n_vocab);
    tg_add_u32(w, "llama.rope.dimension_count", (uint32_t)hd);
    tg_add_bool(w, "tokenizer.ggml.add_space_prefix", 0);
    tg_add_bool(w, "tokenizer.ggml.add_bos_token", 0);
    tg_add_str(w, "tokenizer.ggml.model", "gpt2");
    tg_add_str(w, "tokenizer.ggml.pre", "gpt2");
    const char **toks = pcb_malloc((size_t)n_vocab * sizeof *toks);
    int32_t *types = pcb_malloc((size_t)n_vocab * sizeof *types);
    for (int i = 0; i < n_vocab; i++) {
        toks[i] = tiny_vocab_token(i);
        types[i] = i < N_CONTROL ? 3 : 1;  // 3 = control, 1 = normal
    }
    tg_add_str_array(w, "tokenizer.ggml.tokens", toks, (uint64_t)n_vocab);
    tg_add_array(w, "tokenizer.ggml.token_type", GGUF_VAL_INT32, types, (uint64_t)n_vocab);
    tg_add_str_array(w, "tokenizer.ggml.merges", (const char *const *)merges, N_MERGES);
    free(toks);
    free(types);
    tg_add_u32(w, "tokenizer.ggml.bos_token_id", TINY_BOS_ID);
    tg_add_u32(w, "tokenizer.ggml.eos_token_id", TINY_EOS_ID);
    tg_add_u32(w, "tokenizer.ggml.unknown_token_id", TINY_TOK_ENDOFTEXT);
    tg_add_u32(w, "tokenizer.ggml.padding_token_id", TINY_TOK_IM_END);
    if (cfg.chat_template) tg_add_str(w, "tokenizer.chat_template", smollm2_chat_template);
    tg_add_u32(w, "general.quantization_version", 2);

    // splitmix-style scramble so seeds 0, 1, 2... give unrelated, non-zero xorshift states.
    tiny_rng r = {cfg.seed * 0x9E3779B97F4A7C15ull + 0xD1B54A32D192ED03ull};
    if (!r.s) r.s = 1;
    const ggml_type wt = cfg.wtype;
    const uint64_t dim = (uint64_t)cfg.dim, ffn = (uint64_t)cfg.ffn, q_out = (uint64_t)(cfg.n_head * hd),
                   kv_out = (uint64_t)(cfg.n_kv_head * hd);
    const float sd = 0.02f, norm_sd = 0.02f;
    const int dq = cfg.store_dequantised;
    int err = add_random(w, &r, "token_embd.weight", wt, dim, (uint64_t)n_vocab, 0.0f, sd, dq);
    char name[64];
#define T(suffix, type, ne0, ne1, mean, s)                                      \
    do {                                                                        \
        snprintf(name, sizeof name, "blk.%d." suffix, l);                       \
        err = err ? err : add_random(w, &r, name, type, ne0, ne1, mean, s, dq); \
    } while (0)
    for (int l = 0; l < cfg.n_layer; l++) {
        T("attn_norm.weight", GGML_TYPE_F32, dim, 1, 1.0f, norm_sd);
        T("attn_q.weight", wt, dim, q_out, 0.0f, sd);
        T("attn_k.weight", wt, dim, kv_out, 0.0f, sd);
        T("attn_v.weight", wt, dim, kv_out, 0.0f, sd);
        T("attn_output.weight", wt, q_out, dim, 0.0f, sd);
        T("ffn_norm.weight", GGML_TYPE_F32, dim, 1, 1.0f, norm_sd);
        T("ffn_gate.weight", wt, dim, ffn, 0.0f, sd);
        T("ffn_up.weight", wt, dim, ffn, 0.0f, sd);
        T("ffn_down.weight", wt, ffn, dim, 0.0f, sd);
    }
#undef T
    if (!err) err = add_random(w, &r, "output_norm.weight", GGML_TYPE_F32, dim, 1, 1.0f, norm_sd, dq);
    if (!err && !cfg.tied) err = add_random(w, &r, "output.weight", wt, dim, (uint64_t)n_vocab, 0.0f, sd, dq);
    if (err) {
        tg_free(w);
        return NULL;
    }
    return w;
}

int tiny_llama_write(const char *path, const tiny_llama_config *cfg) {
    tg_writer *w = tiny_llama_build(cfg);
    if (!w) return -1;
    int rc = tg_write_file(w, path);
    tg_free(w);
    return rc;
}
