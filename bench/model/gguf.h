// GGUF reader (versions 2 and 3). The file is memory-mapped; every count, length, offset
// and size is validated against the mapping before use, so a truncated or corrupt file
// produces an error message, never an out-of-bounds read.
#ifndef PCB_GGUF_H
#define PCB_GGUF_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/kernels.h"

typedef enum {
    GGUF_VAL_UINT8 = 0,
    GGUF_VAL_INT8 = 1,
    GGUF_VAL_UINT16 = 2,
    GGUF_VAL_INT16 = 3,
    GGUF_VAL_UINT32 = 4,
    GGUF_VAL_INT32 = 5,
    GGUF_VAL_FLOAT32 = 6,
    GGUF_VAL_BOOL = 7,
    GGUF_VAL_STRING = 8,
    GGUF_VAL_ARRAY = 9,
    GGUF_VAL_UINT64 = 10,
    GGUF_VAL_INT64 = 11,
    GGUF_VAL_FLOAT64 = 12,
    GGUF_VAL_COUNT
} gguf_value_type;

// Tensor element types: ggml_type (kernels/kernels.h). Only the ones we can dequantise are accepted.

// A string inside the mapping: not NUL-terminated.
typedef struct {
    uint64_t len;
    const char *ptr;
} gguf_str;

typedef struct {
    gguf_str key;
    gguf_value_type type;
    // Scalars: value decoded here. Arrays: elem_type, n and a pointer to the raw elements
    // (strings: `strs`, an array of n gguf_str pointing into the mapping).
    union {
        uint64_t u64;
        int64_t i64;
        double f64;
        int b;
        gguf_str str;
    } v;
    gguf_value_type elem_type;
    uint64_t n;
    const uint8_t *raw;
    gguf_str *strs;
} gguf_kv;

typedef struct {
    gguf_str name;
    uint32_t n_dims;
    uint64_t ne[4];  // ne[0] is the contiguous (fastest) dimension, as in ggml
    ggml_type type;
    uint64_t offset;  // relative to the data section
    uint64_t n_elements;
    uint64_t n_bytes;
    const uint8_t *data;  // points into the mapping
} gguf_tensor;

typedef struct {
    const uint8_t *base;  // mapping (or caller's buffer)
    size_t size;
    int mapped;  // 1 when base must be munmap'ed
    uint32_t version;
    uint64_t n_kv, n_tensors;
    gguf_kv *kv;
    gguf_tensor *tensors;
    uint64_t alignment;
    uint64_t data_offset;
    char path[512];
} gguf_file;

// Parse an in-memory image (the fuzz target uses this). The buffer must outlive `f`.
// On failure nothing stays allocated (gguf_close is then optional).
int gguf_parse(gguf_file *f, const void *buf, size_t size, const char *name);
// mmap + parse. Returns 0 or -1 with pcb_last_error() naming the file and the problem.
int gguf_open(gguf_file *f, const char *path);
void gguf_close(gguf_file *f);

const gguf_kv *gguf_find_kv(const gguf_file *f, const char *key);
const gguf_tensor *gguf_find_tensor(const gguf_file *f, const char *name);

// Typed getters: return 0 on success; -1 if missing (when `required`, with an error) or of
// an incompatible type (always an error). Integers of any width convert when they fit.
int gguf_get_u64(const gguf_file *f, const char *key, uint64_t *out, int required);
int gguf_get_f32(const gguf_file *f, const char *key, float *out, int required);
// Copies a string value into `out` (NUL-terminated, truncated to cap-1 bytes).
int gguf_get_str(const gguf_file *f, const char *key, char *out, size_t cap, int required);

int gguf_str_eq(gguf_str s, const char *c);
const char *gguf_value_type_name(gguf_value_type t);
// Bytes of one scalar of type t (reader, writer and fuzz checks share it); 0 for string, array
// and invalid types.
size_t gguf_value_type_size(gguf_value_type t);
const char *ggml_type_name(ggml_type t);
// Bytes for n elements of type t, or 0 when n is not a whole number of blocks.
uint64_t ggml_row_bytes(ggml_type t, uint64_t n);

#endif
