// Attention log: one HDF5 file per run holding, per sample and layer, the attention mass of the
// observed query rows over the cache slots, with the slots' position ids, source chunks and
// document indices beside it.
//
// The layout is documented here and only here (README, `pcbench attn --help` and the reader,
// analysis/read/attn_log_read.h, point to this comment); `h5dump -H FILE` shows a file's.
// Layout version 1 (attribute layout_version; readers refuse other versions). Integer attributes
// are int32 scalars, text attributes UTF-8 strings.
//
//   /                         attrs layout_version, created_by ("pcbench 0.1.0"), model (the model
//                             file: its name from pcbench pcomp / attn log, the config's path from a
//                             sweep row), model_sha256 (hex; "" where the writer did not hash the
//                             model: pcbench pcomp / attn log), created_utc ("2025-01-31T12:00:00Z")
//   /sample_<id>/             attrs sample_id, method, config_hash, config (canonical knobs),
//                             n_layers, n_heads, n_kv_heads, observed_rows, generated, doc_tokens,
//                             and once the sample ran: question_pos, answer
//     chunks                  compound [n_chunks] {index, doc_begin, doc_end, n_context, kept: int32;
//                             score: float64}
//     layer_<LL>/             the question's attention at layer LL (two digits); attrs layer, step
//                             (0), keys, chunk_starts (int32 array: slot indices where a chunk begins)
//       attn                  float32 [n_heads, keys]   mean attention of the observed rows
//       pos, chunk, doc       int32 [keys]   slot position id, source chunk (-1: none), doc index (-1)
//       kept                  uint8 [n_kv_heads, keys]  1 = this KV head holds the slot
//     generated/token_<TTTT>/layer_<LL>/   the same for generated token TTTT (1-based, step TTTT),
//                             when generated tokens are logged
//     classes, chunk_start_mass   added by `pcbench attn classify` (fields: attn_classes_write_h5 in
//                             analysis/classify/attn_classes.h)
//
// The key axis of a layer is the union of its KV heads' slots in cache order, so heads that
// evicted different slots share one axis (0 attention, kept = 0 where a head lacks a slot).
// Datasets are chunked (at most 16384 keys per chunk) with shuffle + deflate (level 4). The file
// is written as <path>.tmp and renamed to <path> by attn_log_close, so a crash never leaves a
// half-written file under the final name; `attn classify` rewrites a log through a temporary copy
// (<path>.classify.tmp) in the same way.
#ifndef PCB_ATTN_LOG_H
#define PCB_ATTN_LOG_H

#include <stdint.h>

#define ATTN_LOG_LAYOUT_VERSION 1

typedef struct attn_log attn_log;

typedef struct {
    const char *created_by;    // "pcbench 0.1.0"
    const char *model;         // model file name
    const char *model_sha256;  // or NULL
} attn_log_meta;

typedef struct {
    int index, doc_begin, doc_end, n_context, kept;
    double score;
} attn_log_chunk;

typedef struct {
    const char *id;  // [A-Za-z0-9_.-]+ (group name sample_<id>)
    const char *method, *config_hash, *config;
    int n_layers, n_heads, n_kv_heads;
    int observed_rows, generated;
    int doc_tokens;
} attn_log_sample;

// One layer of one step on the union key axis.
typedef struct {
    int step, layer;  // step 0 = the question, t >= 1 = generated token t
    int keys;
    const float *attn;                 // [n_heads, keys]
    const int32_t *pos, *chunk, *doc;  // [keys]
    const uint8_t *kept;               // [n_kv_heads, keys]
    const int32_t *chunk_starts;
    int n_chunk_starts;
} attn_log_layer;

// Creates <path>.tmp (replacing a stale one). NULL + error naming the file on failure.
attn_log *attn_log_create(const char *path, const attn_log_meta *meta);
int attn_log_begin_sample(attn_log *lg, const attn_log_sample *s);
int attn_log_write_layer(attn_log *lg, const attn_log_layer *l);
// What is known once the sample ran: the answer, the question's first position, the chunks.
int attn_log_end_sample(attn_log *lg, const char *answer, int question_pos, const attn_log_chunk *chunks, int n_chunks);
// Closes and renames <path>.tmp to <path>. On any failure (or after an earlier failed write) the
// temporary file is removed and -1 returned. Frees lg in every case.
int attn_log_close(attn_log *lg);
// Closes and removes the temporary file (the final name is never touched). Frees lg.
void attn_log_abort(attn_log *lg);

#endif
