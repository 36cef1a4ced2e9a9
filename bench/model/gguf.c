#include "bench/model/gguf.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/base/error.h"

// Sanity limits: far beyond any real model, small enough that a corrupt count cannot make
// us allocate gigabytes before the bounds check on the data catches it.
#define GGUF_MAX_KV 1000000u
#define GGUF_MAX_TENSORS 1000000u
#define GGUF_MAX_DIMS 4u

typedef struct {
    const uint8_t *p;
    size_t pos, size;
    const char *name;
} cursor;

static int need(cursor *c, uint64_t n, const char *what) {
    if (n > c->size - c->pos)
        return pcb_fail("%s: truncated file: %s needs %llu bytes at offset %zu but only %zu remain", c->name, what,
                        (unsigned long long)n, c->pos, c->size - c->pos);
    return 0;
}

#define READ_FN(fname, T)                                   \
    static int fname(cursor *c, T *out, const char *what) { \
        if (need(c, sizeof(T), what)) return -1;            \
        memcpy(out, c->p + c->pos, sizeof(T));              \
        c->pos += sizeof(T);                                \
        return 0;                                           \
    }
READ_FN(read_u32, uint32_t)
READ_FN(read_u64, uint64_t)

static int read_str(cursor *c, gguf_str *s, const char *what) {
    uint64_t len;
    if (read_u64(c, &len, what)) return -1;
    if (len > c->size - c->pos)
        return pcb_fail(
            "%s: %s has length %llu at offset %zu, beyond the end of the file (%zu bytes; truncated or corrupt)",
            c->name, what, (unsigned long long)len, c->pos - 8, c->size);
    s->len = len;
    s->ptr = (const char *)c->p + c->pos;
    c->pos += len;
    return 0;
}

const char *gguf_value_type_name(gguf_value_type t) {
    static const char *names[] = {"uint8", "int8",   "uint16", "int16",  "uint32", "int32",  "float32",
                                  "bool",  "string", "array",  "uint64", "int64",  "float64"};
    return (unsigned)t < GGUF_VAL_COUNT ? names[t] : "invalid";
}

size_t gguf_value_type_size(gguf_value_type t) {
    static const unsigned char sizes[GGUF_VAL_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    return (unsigned)t < GGUF_VAL_COUNT ? sizes[t] : 0;
}

const char *ggml_type_name(ggml_type t) {
    switch (t) {
    case GGML_TYPE_F32:
        return "F32";
    case GGML_TYPE_F16:
        return "F16";
    case GGML_TYPE_BF16:
        return "BF16";
    case GGML_TYPE_Q4_0:
        return "Q4_0";
    case GGML_TYPE_Q4_1:
        return "Q4_1";
    case GGML_TYPE_Q8_0:
        return "Q8_0";
    }
    return NULL;
}

uint64_t ggml_row_bytes(ggml_type t, uint64_t n) {
    switch (t) {
    case GGML_TYPE_F32:
        return n * 4;
    case GGML_TYPE_F16:
    case GGML_TYPE_BF16:
        return n * 2;
    case GGML_TYPE_Q4_0:
        return n % 32 ? 0 : n / 32 * 18;  // f16 scale + 16 bytes of nibbles
    case GGML_TYPE_Q4_1:
        return n % 32 ? 0 : n / 32 * 20;  // f16 scale, f16 min, 16 bytes
    case GGML_TYPE_Q8_0:
        return n % 32 ? 0 : n / 32 * 34;  // f16 scale + 32 int8
    }
    return 0;
}

static void describe_key(char *buf, size_t cap, const gguf_str *key) {
    int n = key->len > 200 ? 200 : (int)key->len;
    snprintf(buf, cap, "value of key '%.*s'", n, key->ptr);
}

static int read_value(cursor *c, gguf_kv *kv, gguf_value_type type) {
    char what[256];
    describe_key(what, sizeof what, &kv->key);
    if ((unsigned)type >= GGUF_VAL_COUNT) return pcb_fail("%s: %s has invalid type %u", c->name, what, (unsigned)type);
    kv->type = type;
    size_t sz = gguf_value_type_size(type);
    if (sz) {
        if (need(c, sz, what)) return -1;
        const uint8_t *p = c->p + c->pos;
        c->pos += sz;
        switch (type) {
        case GGUF_VAL_UINT8:
            kv->v.u64 = p[0];
            break;
        case GGUF_VAL_INT8:
            kv->v.i64 = (int8_t)p[0];
            break;
        case GGUF_VAL_BOOL:
            if (p[0] > 1) return pcb_fail("%s: %s is a bool with value %u", c->name, what, p[0]);
            kv->v.b = p[0];
            break;
        case GGUF_VAL_UINT16: {
            uint16_t x;
            memcpy(&x, p, 2);
            kv->v.u64 = x;
            break;
        }
        case GGUF_VAL_INT16: {
            int16_t x;
            memcpy(&x, p, 2);
            kv->v.i64 = x;
            break;
        }
        case GGUF_VAL_UINT32: {
            uint32_t x;
            memcpy(&x, p, 4);
            kv->v.u64 = x;
            break;
        }
        case GGUF_VAL_INT32: {
            int32_t x;
            memcpy(&x, p, 4);
            kv->v.i64 = x;
            break;
        }
        case GGUF_VAL_FLOAT32: {
            float x;
            memcpy(&x, p, 4);
            kv->v.f64 = x;
            break;
        }
        case GGUF_VAL_UINT64:
            memcpy(&kv->v.u64, p, 8);
            break;
        case GGUF_VAL_INT64:
            memcpy(&kv->v.i64, p, 8);
            break;
        case GGUF_VAL_FLOAT64:
            memcpy(&kv->v.f64, p, 8);
            break;
        default:
            break;
        }
        return 0;
    }
    if (type == GGUF_VAL_STRING) return read_str(c, &kv->v.str, what);
    // Array: element type, count, elements.
    uint32_t et;
    uint64_t n;
    if (read_u32(c, &et, what) || read_u64(c, &n, what)) return -1;
    if (et >= GGUF_VAL_COUNT) return pcb_fail("%s: %s is an array of invalid type %u", c->name, what, et);
    kv->elem_type = (gguf_value_type)et;
    kv->n = n;
    kv->raw = c->p + c->pos;
    size_t esz = gguf_value_type_size(kv->elem_type);
    if (esz) {
        if (n > (c->size - c->pos) / esz)
            return pcb_fail("%s: %s: array of %llu %s elements runs past the end of the file (truncated or corrupt)",
                            c->name, what, (unsigned long long)n, gguf_value_type_name(kv->elem_type));
        c->pos += n * esz;
    } else if (kv->elem_type == GGUF_VAL_STRING) {
        // Each string takes at least 8 bytes: bound n before allocating.
        if (n > (c->size - c->pos) / 8)
            return pcb_fail("%s: %s: array of %llu strings runs past the end of the file (truncated or corrupt)",
                            c->name, what, (unsigned long long)n);
        kv->strs = pcb_malloc((size_t)n * sizeof(gguf_str));
        for (uint64_t i = 0; i < n; i++)
            if (read_str(c, &kv->strs[i], what)) return -1;
    } else {
        // Arrays of arrays: no model uses them; an empty one is harmless.
        if (n) return pcb_fail("%s: %s: arrays nested too deeply", c->name, what);
    }
    return 0;
}

int gguf_str_eq(gguf_str s, const char *cstr) {
    size_t n = strlen(cstr);
    return s.len == n && memcmp(s.ptr, cstr, n) == 0;
}

static int name_printable(gguf_str s) {
    for (uint64_t i = 0; i < s.len; i++)
        if ((unsigned char)s.ptr[i] < 0x20) return 0;
    return 1;
}

static int parse(gguf_file *f, const void *buf, size_t size, const char *name);

static int cmp_str_ptr(const void *a, const void *b) {
    const gguf_str *x = *(const gguf_str *const *)a, *y = *(const gguf_str *const *)b;
    size_t n = x->len < y->len ? (size_t)x->len : (size_t)y->len;
    int c = memcmp(x->ptr, y->ptr, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

// The first of two equal strings found at `offset` inside n records of `stride` bytes, or NULL.
// Sorting pointers keeps it O(n log n) for files with a million entries.
static const gguf_str *find_duplicate(const void *records, uint64_t n, size_t stride, size_t offset) {
    if (n < 2) return NULL;
    const gguf_str **v = pcb_malloc(sizeof *v * (size_t)n);
    for (uint64_t i = 0; i < n; i++) v[i] = (const gguf_str *)((const char *)records + i * stride + offset);
    qsort(v, (size_t)n, sizeof *v, cmp_str_ptr);
    const gguf_str *dup = NULL;
    for (uint64_t i = 1; i < n && !dup; i++)
        if (cmp_str_ptr(&v[i - 1], &v[i]) == 0) dup = v[i];
    free(v);
    return dup;
}

static void free_tables(gguf_file *f) {
    if (f->kv)
        for (uint64_t i = 0; i < f->n_kv; i++) free(f->kv[i].strs);
    free(f->kv);
    free(f->tensors);
    f->kv = NULL;
    f->tensors = NULL;
    f->n_kv = f->n_tensors = 0;
}

int gguf_parse(gguf_file *f, const void *buf, size_t size, const char *name) {
    if (parse(f, buf, size, name) == 0) return 0;
    free_tables(f);  // the caller owns only the buffer after a failure
    return -1;
}

static int parse(gguf_file *f, const void *buf, size_t size, const char *name) {
    memset(f, 0, sizeof *f);
    f->base = buf;
    f->size = size;
    snprintf(f->path, sizeof f->path, "%s", name);
    cursor c = {.p = buf, .pos = 0, .size = size, .name = f->path};

    uint32_t magic;
    if (size < 4 || read_u32(&c, &magic, "magic"))
        return pcb_fail("%s: not a GGUF file (only %zu bytes)", f->path, size);
    if (memcmp(buf, "GGUF", 4) != 0)
        return pcb_fail("%s: not a GGUF file (bad magic %02x %02x %02x %02x, expected 'GGUF')", f->path, c.p[0], c.p[1],
                        c.p[2], c.p[3]);
    if (read_u32(&c, &f->version, "version")) goto fail;
    if (f->version != 2 && f->version != 3)
        return pcb_fail("%s: unsupported GGUF version %u (supported: 2, 3)", f->path, f->version);
    if (read_u64(&c, &f->n_tensors, "tensor count") || read_u64(&c, &f->n_kv, "metadata count")) goto fail;
    if (f->n_tensors > GGUF_MAX_TENSORS)
        return pcb_fail("%s: implausible tensor count %llu", f->path, (unsigned long long)f->n_tensors);
    if (f->n_kv > GGUF_MAX_KV)
        return pcb_fail("%s: implausible metadata count %llu", f->path, (unsigned long long)f->n_kv);

    // Smallest entries: a kv is 8 (key length) + 1 (key) + 4 (type) bytes, a tensor info 33.
    // Checking before allocating keeps a 24-byte file from costing 100 MB.
    if (f->n_kv > (size - c.pos) / 13)
        return pcb_fail("%s: truncated file: %llu metadata entries cannot fit in %zu bytes", f->path,
                        (unsigned long long)f->n_kv, size);
    if (f->n_tensors > (size - c.pos) / 33)
        return pcb_fail("%s: truncated file: %llu tensor infos cannot fit in %zu bytes", f->path,
                        (unsigned long long)f->n_tensors, size);
    f->kv = pcb_calloc((size_t)f->n_kv, sizeof(gguf_kv));
    for (uint64_t i = 0; i < f->n_kv; i++) {
        gguf_kv *kv = &f->kv[i];
        uint32_t type;
        char what[64];
        snprintf(what, sizeof what, "key of metadata entry %llu", (unsigned long long)i);
        if (read_str(&c, &kv->key, what) || read_u32(&c, &type, what)) goto fail;
        if (kv->key.len == 0)
            return pcb_fail("%s: metadata entry %llu has an empty key", f->path, (unsigned long long)i);
        if (read_value(&c, kv, (gguf_value_type)type)) goto fail;
    }

    f->alignment = 32;
    const gguf_kv *al = gguf_find_kv(f, "general.alignment");
    if (al) {
        if (al->type != GGUF_VAL_UINT32 && al->type != GGUF_VAL_UINT64)
            return pcb_fail("%s: general.alignment has type %s, expected uint32", f->path,
                            gguf_value_type_name(al->type));
        if (al->v.u64 == 0 || (al->v.u64 & (al->v.u64 - 1)) || al->v.u64 > 65536)
            return pcb_fail("%s: general.alignment = %llu is not a power of two <= 65536", f->path,
                            (unsigned long long)al->v.u64);
        f->alignment = al->v.u64;
    }

    f->tensors = pcb_calloc((size_t)f->n_tensors, sizeof(gguf_tensor));
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        gguf_tensor *t = &f->tensors[i];
        char what[64];
        snprintf(what, sizeof what, "info of tensor %llu", (unsigned long long)i);
        uint32_t type;
        if (read_str(&c, &t->name, what) || read_u32(&c, &t->n_dims, what)) goto fail;
        int nl = t->name.len > 200 ? 200 : (int)t->name.len;
        if (t->name.len == 0 || !name_printable(t->name))
            return pcb_fail("%s: tensor %llu has an empty or unprintable name", f->path, (unsigned long long)i);
        if (t->n_dims == 0 || t->n_dims > GGUF_MAX_DIMS)
            return pcb_fail("%s: tensor '%.*s' has %u dimensions (1..4 allowed)", f->path, nl, t->name.ptr, t->n_dims);
        t->n_elements = 1;
        for (uint32_t d = 0; d < GGUF_MAX_DIMS; d++) t->ne[d] = 1;
        for (uint32_t d = 0; d < t->n_dims; d++) {
            if (read_u64(&c, &t->ne[d], what)) goto fail;
            if (t->ne[d] == 0 || t->ne[d] > (1ull << 40) || t->n_elements > (1ull << 40) / t->ne[d])
                return pcb_fail("%s: tensor '%.*s' has invalid dimension %u = %llu", f->path, nl, t->name.ptr, d,
                                (unsigned long long)t->ne[d]);
            t->n_elements *= t->ne[d];
        }
        if (read_u32(&c, &type, what) || read_u64(&c, &t->offset, what)) goto fail;
        t->type = (ggml_type)type;
        if (!ggml_type_name(t->type))
            return pcb_fail("%s: tensor '%.*s' has unsupported type %u (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1)",
                            f->path, nl, t->name.ptr, type);
        uint64_t row = ggml_row_bytes(t->type, t->ne[0]);
        if (row == 0)
            return pcb_fail("%s: tensor '%.*s': row of %llu elements is not a whole number of %s blocks", f->path, nl,
                            t->name.ptr, (unsigned long long)t->ne[0], ggml_type_name(t->type));
        t->n_bytes = row * (t->n_elements / t->ne[0]);
        if (t->offset % f->alignment)
            return pcb_fail("%s: tensor '%.*s' offset %llu is not aligned to %llu", f->path, nl, t->name.ptr,
                            (unsigned long long)t->offset, (unsigned long long)f->alignment);
    }

    const gguf_str *dup;
    if ((dup = find_duplicate(f->kv, f->n_kv, sizeof(gguf_kv), offsetof(gguf_kv, key))))
        return pcb_fail("%s: duplicate metadata key '%.*s'", f->path, (int)(dup->len > 200 ? 200 : dup->len), dup->ptr);
    if ((dup = find_duplicate(f->tensors, f->n_tensors, sizeof(gguf_tensor), offsetof(gguf_tensor, name))))
        return pcb_fail("%s: duplicate tensor name '%.*s'", f->path, (int)(dup->len > 200 ? 200 : dup->len), dup->ptr);

    uint64_t pad = (f->alignment - c.pos % f->alignment) % f->alignment;
    f->data_offset = c.pos + pad;
    if (f->n_tensors && f->data_offset > size)
        return pcb_fail("%s: truncated file: data section would start at %llu, file has %zu bytes", f->path,
                        (unsigned long long)f->data_offset, size);
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        gguf_tensor *t = &f->tensors[i];
        uint64_t avail = size - f->data_offset;
        if (t->offset > avail || t->n_bytes > avail - t->offset)
            return pcb_fail(
                "%s: truncated file: tensor '%.*s' (%llu bytes at data offset %llu) ends past the end of the file "
                "(%zu bytes)",
                f->path, (int)(t->name.len > 200 ? 200 : t->name.len), t->name.ptr, (unsigned long long)t->n_bytes,
                (unsigned long long)t->offset, size);
        t->data = f->base + f->data_offset + t->offset;
    }
    return 0;
fail:
    return -1;
}

int gguf_open(gguf_file *f, const char *path) {
    memset(f, 0, sizeof *f);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return pcb_fail("%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return pcb_fail("%s: not a regular file", path);
    }
    if (st.st_size == 0) {
        close(fd);
        return pcb_fail("%s: empty file, not a GGUF model", path);
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return pcb_fail("%s: mmap failed: %s", path, strerror(errno));
    if (gguf_parse(f, map, (size_t)st.st_size, path) != 0) {
        f->base = map;
        f->mapped = 1;
        gguf_close(f);
        return -1;
    }
    f->mapped = 1;
    return 0;
}

void gguf_close(gguf_file *f) {
    free_tables(f);
    if (f->mapped && f->base) munmap((void *)f->base, f->size);
    memset(f, 0, sizeof *f);
}

const gguf_kv *gguf_find_kv(const gguf_file *f, const char *key) {
    for (uint64_t i = 0; i < f->n_kv; i++)
        if (gguf_str_eq(f->kv[i].key, key)) return &f->kv[i];
    return NULL;
}

const gguf_tensor *gguf_find_tensor(const gguf_file *f, const char *name) {
    for (uint64_t i = 0; i < f->n_tensors; i++)
        if (gguf_str_eq(f->tensors[i].name, name)) return &f->tensors[i];
    return NULL;
}

static int missing(const gguf_file *f, const char *key, int required) {
    return required ? pcb_fail("%s: required metadata key '%s' is missing", f->path, key) : -1;
}

int gguf_get_u64(const gguf_file *f, const char *key, uint64_t *out, int required) {
    const gguf_kv *kv = gguf_find_kv(f, key);
    if (!kv) return missing(f, key, required);
    switch (kv->type) {
    case GGUF_VAL_UINT8:
    case GGUF_VAL_UINT16:
    case GGUF_VAL_UINT32:
    case GGUF_VAL_UINT64:
        *out = kv->v.u64;
        return 0;
    case GGUF_VAL_INT8:
    case GGUF_VAL_INT16:
    case GGUF_VAL_INT32:
    case GGUF_VAL_INT64:
        if (kv->v.i64 < 0) return pcb_fail("%s: metadata '%s' = %lld is negative", f->path, key, (long long)kv->v.i64);
        *out = (uint64_t)kv->v.i64;
        return 0;
    default:
        return pcb_fail("%s: metadata '%s' has type %s, expected an integer", f->path, key,
                        gguf_value_type_name(kv->type));
    }
}

int gguf_get_f32(const gguf_file *f, const char *key, float *out, int required) {
    const gguf_kv *kv = gguf_find_kv(f, key);
    if (!kv) return missing(f, key, required);
    switch (kv->type) {
    case GGUF_VAL_FLOAT32:
    case GGUF_VAL_FLOAT64:
        *out = (float)kv->v.f64;
        return 0;
    case GGUF_VAL_INT8:
    case GGUF_VAL_INT16:
    case GGUF_VAL_INT32:
    case GGUF_VAL_INT64:
        *out = (float)kv->v.i64;
        return 0;
    case GGUF_VAL_UINT8:
    case GGUF_VAL_UINT16:
    case GGUF_VAL_UINT32:
    case GGUF_VAL_UINT64:
        *out = (float)kv->v.u64;
        return 0;
    default:
        break;
    }
    return pcb_fail("%s: metadata '%s' has type %s, expected a float", f->path, key, gguf_value_type_name(kv->type));
}

int gguf_get_str(const gguf_file *f, const char *key, char *out, size_t cap, int required) {
    const gguf_kv *kv = gguf_find_kv(f, key);
    if (!kv) return missing(f, key, required);
    if (kv->type != GGUF_VAL_STRING)
        return pcb_fail("%s: metadata '%s' has type %s, expected a string", f->path, key,
                        gguf_value_type_name(kv->type));
    if (cap == 0) return pcb_fail("%s: metadata '%s': zero-size output buffer", f->path, key);
    size_t n = kv->v.str.len < cap - 1 ? (size_t)kv->v.str.len : cap - 1;
    memcpy(out, kv->v.str.ptr, n);
    out[n] = 0;
    return 0;
}
