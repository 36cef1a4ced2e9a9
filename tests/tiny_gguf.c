#include "tiny_gguf.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

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
static void buf_u32(tg_buf *b, uint32_t v) { buf_put(b, &v, 4); }   // hosts are little-endian
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
#define TG_MAX_DIMS 8   // more than GGUF allows, so tests can write invalid n_dims

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

static size_t val_size(gguf_value_type t) {
    switch (t) {
    case GGUF_VAL_UINT8: case GGUF_VAL_INT8: case GGUF_VAL_BOOL: return 1;
    case GGUF_VAL_UINT16: case GGUF_VAL_INT16: return 2;
    case GGUF_VAL_UINT32: case GGUF_VAL_INT32: case GGUF_VAL_FLOAT32: return 4;
    case GGUF_VAL_UINT64: case GGUF_VAL_INT64: case GGUF_VAL_FLOAT64: return 8;
    default: return 0;
    }
}

void tg_add_array(tg_writer *w, const char *key, gguf_value_type elem_type, const void *elems, uint64_t n) {
    kv_head(w, key, GGUF_VAL_ARRAY);
    buf_u32(&w->kv, elem_type);
    buf_u64(&w->kv, n);
    buf_put(&w->kv, elems, (size_t)n * val_size(elem_type));
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

int tg_add_tensor(tg_writer *w, const char *name, ggml_type type, uint32_t n_dims, const uint64_t *ne,
                  const void *data, size_t nbytes) {
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
        if (wr != n || cl != 0)
            pcb_fail("%s: write failed", tmp);
        else if (rename(tmp, path) != 0)
            pcb_fail("%s: cannot rename to %s", tmp, path);
        else
            rc = 0;
        if (rc) remove(tmp);
    }
    free(tmp);
    free(img);
    return rc;
}
