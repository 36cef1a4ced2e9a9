// Reading the attention log back (classify, export, tests of the layout use the plain HDF5 API
// instead); the layout is documented in analysis/store/attn_log.h. Errors name the file and the
// object.
#ifndef PCB_ATTN_LOG_READ_H
#define PCB_ATTN_LOG_READ_H

#include <hdf5.h>
#include <stdint.h>

typedef struct {
    char *group;  // "sample_<id>"
    char *id, *method, *config_hash;
    int n_layers, n_heads, n_kv_heads;
} attn_sample_info;

typedef struct {
    int layer, keys, n_heads;
    float *attn;  // [n_heads, keys]
    int32_t *pos, *chunk, *doc;
    int32_t *chunk_starts;
    int n_chunk_starts;
} attn_layer_data;

// Opens a log read-only (or read-write) after checking its layout version. -1 + error.
hid_t attn_log_open(const char *path, int writable);
// Samples in the file, in name order. *out malloc'ed; free with attn_samples_free.
int attn_log_samples(hid_t file, const char *path, attn_sample_info **out, int *n);
void attn_samples_free(attn_sample_info *s, int n);
// The question's attention at one layer (step 0), or a generated token's (step >= 1).
int attn_log_read_layer(hid_t file, const char *path, const attn_sample_info *s, int step, int layer,
                        attn_layer_data *out);
void attn_layer_data_free(attn_layer_data *d);

#endif
