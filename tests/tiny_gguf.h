// Test-side GGUF *writer*: builds small, valid (or deliberately broken) GGUF images in
// memory or on disk, plus reference quantisers (ggml's formulas) and a generator for a
// tiny random-weight llama model shaped exactly like the real SmolLM2 file. Tests use it
// so they never depend on the 100 MB model, and the fuzz seeds come from it.
#ifndef PCB_TINY_GGUF_H
#define PCB_TINY_GGUF_H

#include <stddef.h>
#include <stdint.h>

#include "bench/model/gguf.h"

// ---- writer ----------------------------------------------------------------------------
typedef struct tg_writer tg_writer;

// version: 2 or 3 (same little-endian layout; only the header differs). alignment: 0 means
// the GGUF default 32. When it is not 32 and no "general.alignment" key was added
// explicitly, tg_serialize adds one (uint32) so readers find the data.
tg_writer *tg_new(uint32_t version, uint32_t alignment);
void tg_free(tg_writer *w);

// Metadata, appended in call order. Keys are NUL-terminated; values little-endian.
void tg_add_u8(tg_writer *w, const char *key, uint8_t v);
void tg_add_i8(tg_writer *w, const char *key, int8_t v);
void tg_add_u16(tg_writer *w, const char *key, uint16_t v);
void tg_add_i16(tg_writer *w, const char *key, int16_t v);
void tg_add_u32(tg_writer *w, const char *key, uint32_t v);
void tg_add_i32(tg_writer *w, const char *key, int32_t v);
void tg_add_f32(tg_writer *w, const char *key, float v);
void tg_add_bool(tg_writer *w, const char *key, int v);
void tg_add_str(tg_writer *w, const char *key, const char *s);
void tg_add_u64(tg_writer *w, const char *key, uint64_t v);
void tg_add_i64(tg_writer *w, const char *key, int64_t v);
void tg_add_f64(tg_writer *w, const char *key, double v);
// Array of a scalar type: `elems` holds n packed values of that type (host = little-endian).
void tg_add_array(tg_writer *w, const char *key, gguf_value_type elem_type, const void *elems, uint64_t n);
void tg_add_str_array(tg_writer *w, const char *key, const char *const *strs, uint64_t n);
// Escape hatch for corrupt files: writes key, `type` (any number) and `len` payload bytes
// verbatim.
void tg_add_raw_kv(tg_writer *w, const char *key, uint32_t type, const void *payload, size_t len);

// Tensors. ne[0] is the contiguous dimension (ggml order). `data` is copied; its size must
// be exactly what the type and shape need. Returns the tensor's index, or -1 (pcb error set).
int tg_add_tensor(tg_writer *w, const char *name, ggml_type type, uint32_t n_dims, const uint64_t *ne, const void *data,
                  size_t nbytes);
// Same from float32 values, quantised with tiny_quantize().
int tg_add_tensor_f32(tg_writer *w, const char *name, ggml_type type, uint32_t n_dims, const uint64_t *ne,
                      const float *values);
// No validation at all (any type id, 0..8 dims, any byte count): for corrupt-file tests.
int tg_add_raw_tensor(tg_writer *w, const char *name, uint32_t type, uint32_t n_dims, const uint64_t *ne,
                      const void *data, size_t nbytes);
// Records `offset` in tensor idx's info instead of the real one (data stays where it was).
void tg_set_tensor_offset(tg_writer *w, int idx, uint64_t offset);

// Serialises to a malloc'ed buffer (caller frees). Layout: header, kvs, tensor infos, zero
// padding to the alignment, then each tensor's data at an aligned offset, padded after.
uint8_t *tg_serialize(const tg_writer *w, size_t *size);
// Writes PATH.tmp then renames it to PATH, so readers never see half a file. 0 or -1.
int tg_write_file(const tg_writer *w, const char *path);

// ---- reference quantisers (ggml-quants.c formulas, blocks of 32) --------------------------
uint16_t tiny_fp32_to_fp16(float f);  // IEEE half, round to nearest even
float tiny_fp16_to_fp32(uint16_t h);
uint16_t tiny_fp32_to_bf16(float f);  // round to nearest even, NaN quietened (as ggml)
float tiny_bf16_to_fp32(uint16_t h);
// Quantises n values (a whole number of blocks for Q*) into dst; returns the bytes written,
// 0 when n does not fit the block size or the type is unknown.
size_t tiny_quantize(ggml_type type, const float *src, void *dst, int64_t n);
// Bytes needed for n values of `type` (0 as above).
size_t tiny_type_bytes(ggml_type type, int64_t n);
// Inverse of tiny_quantize (ggml's dequantisation formulas): n values from src into dst.
// Returns 0, or -1 when n does not fit the block size or the type is unknown.
int tiny_dequantize(ggml_type type, const void *src, float *dst, int64_t n);

// ---- tiny llama model ---------------------------------------------------------------------
typedef struct {
    int n_layer, dim, n_head, n_kv_head, ffn, ctx;
    float rope_theta, norm_eps;
    ggml_type wtype;  // 2-D matrices (token_embd included); norms are always F32
    int tied;         // 1: no output.weight (the logits use token_embd, like SmolLM2)
    // 1: the matrices are written as F32 holding exactly the values a `wtype` file dequantises
    // to (same seed, same draws): the float32 twin of a quantised model.
    int store_dequantised;
    uint64_t seed;
    uint32_t version;    // GGUF version (3)
    uint32_t alignment;  // 0 = 32
    int chat_template;   // 1: add SmolLM2's tokenizer.chat_template
} tiny_llama_config;

// n_layer 2, dim 64, n_head 4, n_kv_head 2, ffn 128, ctx 256, theta 1e4, eps 1e-5, F32,
// tied, seed 1, v3, alignment 32, chat template on.
tiny_llama_config tiny_llama_default(void);
// cfg NULL = defaults. Returns 0, or -1 with pcb_last_error() set (bad config, I/O error).
int tiny_llama_write(const char *path, const tiny_llama_config *cfg);
// Same into a writer (caller serialises / frees); NULL on a bad config.
tg_writer *tiny_llama_build(const tiny_llama_config *cfg);

// Vocabulary of the tiny model: control tokens first (ids 0..2 as in SmolLM2), then the 256
// GPT-2 byte symbols, then one token per merge (in merge order).
#define TINY_TOK_ENDOFTEXT 0
#define TINY_TOK_IM_START 1
#define TINY_TOK_IM_END 2
#define TINY_BOS_ID TINY_TOK_IM_START
#define TINY_EOS_ID TINY_TOK_IM_END
int tiny_vocab_size(void);
// Token text (UTF-8, NUL-terminated, static storage) of id, NULL when out of range.
const char *tiny_vocab_token(int id);
int tiny_n_merges(void);
const char *tiny_merge(int i);  // "left right"

#endif
