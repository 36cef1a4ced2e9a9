// ParallelComp pipeline and the baselines it is compared with, on one engine and one prompt.
//
// Chunked methods (pcw, parallelcomp):
//   1. the document's tokens are split into chunks whose context part (BOS + instruction head +
//      text + tail) fits `chunk_tokens`; every chunk gets positions 0.. (position reuse);
//   2. each chunk is prefilled with the scoring query appended; its score is the mean NLL of
//      the query tokens given the chunk (logits only at the query rows);
//   3. parallelcomp keeps the `topk_chunks` lowest-scoring chunks (document order kept) and may
//      evict KV slots inside each chunk (SnapKV-style window scores, max-pooled, per KV head);
//   4. the kept chunks form one cache (later chunks' BOS dropped by token id); the final
//      question is prefilled at positions P.. with P = the longest kept chunk's context part,
//      optionally calibrating (evicting extremely attended slots in layers lo..hi);
//   5. greedy generation continues the positions.
// Single-window methods (full, full-untruncated, streamingllm, snapkv, h2o, pyramidkv) prefill
// prefix + document + suffix as one sequence (middle of the document cut to the budget unless
// untruncated); the KV baselines then compress the cache before generation.
#ifndef PCB_PCOMP_H
#define PCB_PCOMP_H

#include <stddef.h>
#include <stdint.h>

#include "bench/engine/kv_cache.h"
#include "bench/model/model.h"
#include "bench/model/tokenizer.h"

typedef enum {
    METHOD_FULL,              // single window, document middle-truncated to the model budget
    METHOD_FULL_UNTRUNCATED,  // single window, positions beyond the trained length
    METHOD_PCW,               // chunks, position reuse, nothing evicted
    METHOD_PARALLELCOMP,      // chunks + chunk eviction (+ optional KV eviction, calibration)
    METHOD_STREAMINGLLM,      // single window, keep sinks + recent slots
    METHOD_SNAPKV,            // single window, keep pooled window-scored slots + window
    METHOD_H2O,               // single window, keep heavy hitters (column sums) + recent slots
    METHOD_PYRAMIDKV,         // single window, SnapKV with budgets decreasing over layers
    METHOD_COUNT
} pcomp_method;

typedef enum { REGION_SINK, REGION_RECENT, REGION_MIDDLE, REGION_ALL, REGION_CHUNK_SINKS, REGION_COUNT } calib_region;

typedef struct {
    pcomp_method method;
    // Budgets in tokens; 0 = derived from the model's trained context (see pcomp_resolve).
    int model_budget;  // longest position span of one window (default: trained context)
    int chunk_tokens;  // context part of one chunk (default: budget - question - max_new_tokens)
    int batch_chunks;  // chunks prefilled per forward call (same caches as 1)
    int topk_chunks;   // parallelcomp: chunks kept (0 = all)
    int query_recent;  // score with the last k query tokens only (0 = all)
    int repeat_head;   // instruction head in every chunk (1, as the reference) or the first only
    // KV eviction: parallelcomp's in-chunk eviction, and the capacity of the KV baselines.
    int kv_eviction;      // parallelcomp: evict inside chunks
    int capacity;         // slots kept per KV head (per chunk for parallelcomp)
    int window;           // observation window rows (SnapKV / PyramidKV / in-chunk eviction)
    int pool_kernel;      // max-pool width over window scores (odd)
    int sink_tokens;      // StreamingLLM: attention-sink slots kept
    double h2o_heavy;     // H2O: fraction of the capacity given to heavy hitters
    double pyramid_beta;  // PyramidKV: min layer budget = (capacity - window) / beta
    // Attention-bias calibration at the final question prefill.
    int calibrate;
    int calib_lo, calib_hi;  // layer range, inclusive, 0-based
    calib_region region;
    double calib_threshold;  // evict slots whose attention exceeds this
    int calib_rows;          // mean over the last r question rows
    int calib_width;         // region width (sink / recent / chunk_sinks), tokens
    int calib_equalize;      // every KV head of a layer drops the same number of slots
    int calib_current_step;  // 1: the question's own attention already skips them; 0: cache only
    // Generation.
    int max_new_tokens;
} pcomp_options;

// Token-level input of one sample. Chunked methods use chunk_head/chunk_tail/query/question;
// single-window methods prefill full_prefix + doc + full_suffix.
typedef struct {
    int32_t *doc;  // document (the long context) without special tokens
    int n_doc;
    int32_t *chunk_head;  // instruction head, repeated per chunk (BOS goes before it)
    int n_chunk_head;
    int32_t *chunk_tail;  // text after the document inside the context template
    int n_chunk_tail;
    int32_t *query;  // appended to every chunk to score it (the raw question tail)
    int n_query;
    int32_t *question;  // final question after the merged cache (chat-wrapped when asked)
    int n_question;
    int32_t *full_prefix;  // single window: [BOS] (+ chat opening) + instruction head
    int n_full_prefix;
    int32_t *full_suffix;  // single window: tail + question (+ chat closing)
    int n_full_suffix;
    int32_t bos;  // BOS id when the model adds one, else -1
} pcomp_input;

typedef struct {
    int index;               // chunk number in document order
    int n_context;           // context part length C_c (BOS + head + text + tail)
    int doc_begin, doc_end;  // document token range [begin, end)
    double score;            // mean NLL of the query given the chunk
    int kept;
} pcomp_chunk;

typedef struct {
    int32_t *answer;  // generated ids
    int n_answer;
    int stopped;          // a stop token ended generation
    pcomp_chunk *chunks;  // chunked methods: every chunk
    int n_chunks, n_kept;
    int n_layers;
    long *kv_slots;       // [n_layers] slots over the layer's KV heads before generation
    long *calib_evicted;  // [n_layers] slots evicted by calibration
    int question_pos;     // P: position of the first question token (single window: prompt start)
    int prompt_tokens;    // tokens prefilled (all chunks + queries + question, or the window)
    int doc_tokens_used;  // document tokens that reached the model (after truncation)
    double prefill_ms, decode_ms;
    size_t kv_peak_bytes;  // largest KV-cache allocation alive at once
} pcomp_result;

// The cache after the prompt: generation or a scored continuation goes on from here.
typedef struct {
    kv_cache *cache;
    float *logits;  // [vocab] logits of the last prompt row
    int next_pos;   // position of the next token
} pcomp_state;

// Attention observation (the attention log): the mean attention of the question's last `rows`
// rows over the cache, per layer and query head, seen after that layer's calibration; with
// `generated`, also the attention of every generated token as it is fed back (steps 1, 2, ...).
// Single-window methods are observed at their one prefill (whose last rows are the question's).
typedef struct {
    int rows;  // >= 1
    int generated;
    // attn + h * stride: query head h's attention over its KV head's slots
    // (kv_cache_head(cache, layer, h / group)->n values). Non-zero aborts the sample (error set).
    int (*on_layer)(void *user, int step, int layer, const float *attn, int stride, const kv_cache *cache);
    void *user;
} pcomp_observer;

void pcomp_options_default(pcomp_options *o);
// Canonical "key=value;..." form of the options (every knob, fixed order, resolved values as
// given) and its 64-bit FNV-1a hash as 16 hex digits: the identity of a method variant.
void pcomp_options_canonical(const pcomp_options *o, char *buf, size_t size);
void pcomp_options_hash(const pcomp_options *o, char hex[17]);
// The reference's per-task chunk budget: retrieval tasks keep a single chunk (pcb_task's
// keeps_one_chunk: passkey, number_string, kv_retrieval, passage_retrieval_en). Returns the
// topk_chunks to use when the knob was not set, or 0 (the knob's default applies).
int pcomp_task_topk(const char *task);
const char *pcomp_method_name(pcomp_method m);
int pcomp_method_parse(const char *name, pcomp_method *out);  // -1 (error set) if unknown
const char *calib_region_name(calib_region r);
int calib_region_parse(const char *name, calib_region *out);
int pcomp_method_is_chunked(pcomp_method m);

// Fills derived budgets and checks every knob against the model and the input; an impossible
// budget is an error naming the knob. `o` is updated in place.
int pcomp_resolve(const model *m, const pcomp_input *in, pcomp_options *o);

// Runs the prompt part of a sample: prefill (and evictions), leaving the state ready for
// generation. r->chunks, kv_slots, prefill_ms... are filled. Returns 0 or -1 (error set).
int pcomp_prefill(const model *m, const pcomp_input *in, const pcomp_options *o, pcomp_state *st, pcomp_result *r);
// Prefill then greedy generation with stop tokens.
int pcomp_run(const model *m, const pcomp_input *in, const pcomp_options *o, const int32_t *stop_ids, int n_stop,
              pcomp_result *r);
// The same, reporting attention to `obs` (NULL: none).
int pcomp_prefill_observed(const model *m, const pcomp_input *in, const pcomp_options *o, const pcomp_observer *obs,
                           pcomp_state *st, pcomp_result *r);
int pcomp_run_observed(const model *m, const pcomp_input *in, const pcomp_options *o, const int32_t *stop_ids,
                       int n_stop, const pcomp_observer *obs, pcomp_result *r);

void pcomp_state_free(pcomp_state *st);
void pcomp_result_free(pcomp_result *r);
void pcomp_input_free(pcomp_input *in);

// Chunk plan: how the document splits under `o` (resolved). *out malloc'ed. Balanced sizes:
// every chunk holds floor or ceil of n_doc / n_chunks document tokens.
int pcomp_plan_chunks(const pcomp_input *in, const pcomp_options *o, pcomp_chunk **out, int *n_out);

// Text-level prompt of a sample, turned into tokens: the instruction head and tail of the
// context template, the document and the filled question template. chat: wrap the final
// question (and the single-window prompt) in the model's chat template.
typedef struct {
    const char *head, *tail, *document, *question;
    int chat;
} pcomp_prompt;
int pcomp_input_from_prompt(const tokenizer *tok, const pcomp_prompt *p, pcomp_input *in);
// Token-level input for perplexity: document, then `n_query` tokens that act as the question.
int pcomp_input_from_tokens(const tokenizer *tok, const int32_t *doc, int n_doc, const int32_t *query, int n_query,
                            pcomp_input *in);

#endif
