// Glue between the pipeline's attention observer and the HDF5 attention log: puts every layer's
// per-head attention on one key axis (the union of the KV heads' slots, in cache order) and
// writes it with the slots' position ids, chunks, document indices and chunk starts.
#ifndef PCB_ATTN_RECORD_H
#define PCB_ATTN_RECORD_H

#include "attn_log.h"
#include "kv_cache.h"
#include "pcomp.h"

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

// Union key axis of one layer (exposed for tests). Slot identity is (chunk, position); slots are
// ordered chunk by chunk (chunk -1, the question and generated tokens, last) and by position.
// map[g * stride + j] = union index of KV head g's slot j. Returns the key count, or -1 (error
// set) when a head's slots are not in that order.
int attn_union_keys(const kv_cache *cache, int layer, int stride, int32_t *pos, int32_t *chunk, int32_t *doc,
                    int32_t *map);

#endif
