// Glue between the pipeline's attention observer and the HDF5 attention log: puts every layer's
// per-head attention on one key axis (the union of the KV heads' slots, in cache order) and
// writes it with the slots' position ids, chunks, document indices and chunk starts.
#ifndef PCB_ATTN_RECORD_H
#define PCB_ATTN_RECORD_H

#include "analysis/store/attn_log.h"
#include "bench/engine/kv_cache.h"
#include "bench/method/pcomp.h"
#include "bench/model/tokenizer.h"

#define KV_UNION_MAX_HEADS 64

typedef struct {
    attn_log *log;
    int n_heads, n_kv_heads;
    // scratch, grown as needed
    float *attn;
    int32_t *pos, *chunk, *doc, *starts, *map;
    uint8_t *kept;
    size_t cap;
} attn_record;

void attn_record_init(attn_record *r, attn_log *log, const model_config *c);
// pcomp_observer.on_layer with user = attn_record.
int attn_record_layer(void *user, int step, int layer, const float *attn, int stride, const kv_cache *cache);
void attn_record_free(attn_record *r);

// One sample through the pipeline with the attention observer attached, its attention written to
// an HDF5 log while it runs (callers without a log run pcomp_run directly: the observer costs a
// probe per layer). The log is written to <path>.tmp and renamed when complete; on failure
// nothing is left. *answer: the decoded answer (malloc'ed).
typedef struct {
    const char *path;                  // the .h5 file
    const char *model, *model_sha256;  // file attributes (sha256 may be NULL)
    const char *sample_id;             // [A-Za-z0-9_.-]+
    const char *config_hash, *config;  // variant identity; NULL: from the resolved options
    int rows, generated;               // pcomp_observer's
} attn_record_request;

int attn_record_run(const attn_record_request *q, const model *m, const tokenizer *tok, const pcomp_input *in,
                    const pcomp_options *o, const int32_t *stops, int n_stop, pcomp_result *res, char **answer);

// Union key axis of one layer (exposed for tests). Slot identity is (chunk, position); slots are
// ordered chunk by chunk (chunk -1, the question and generated tokens, last) and by position.
// map[g * stride + j] = union index of KV head g's slot j. Returns the key count, or -1 (error
// set) when a head's slots are not in that order.
int attn_union_keys(const kv_cache *cache, int layer, int stride, int32_t *pos, int32_t *chunk, int32_t *doc,
                    int32_t *map);

#endif
