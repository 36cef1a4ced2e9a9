// KV-cache eviction policies. Scores come from attention probes (sum mode) and are kept per
// layer and KV head, summed over the query heads of the GQA group, so selection is per KV head
// and the cache stays GQA-sized (DESIGN decision 8). Every policy really shrinks the cache
// (kv_head_gather), slot order (= position order within a chunk) is kept.
#ifndef PCB_KV_EVICT_H
#define PCB_KV_EVICT_H

#include <stdint.h>

#include "bench/engine/kv_cache.h"
#include "bench/engine/probe.h"
#include "bench/model/model.h"

typedef struct {
    int n_layers, n_kv_heads, group, cap;
    float *s;  // [n_layers, n_kv_heads, cap] attention mass per slot
} kv_scores;

// Scores for caches of at most `cap` slots per head, all zero.
kv_scores *kv_scores_new(const model_config *c, int cap);
void kv_scores_free(kv_scores *s);
float *kv_scores_at(const kv_scores *s, int layer, int kv_head);
// A sum-mode probe over `rows` that accumulates into s (p->on_sum, p->user set).
void kv_scores_probe(kv_scores *s, probe *p, const int32_t *rows, int n_rows);

// ParallelComp inside chunks: for every run of slots of one chunk, slots at positions >=
// context_len[chunk] (the appended query) are dropped; when `capacity` > 0 only the `capacity`
// context slots with the highest max-pooled scores are kept. chunk ids index context_len.
int evict_chunk_context(kv_cache *c, const kv_scores *s, const int *context_len, int capacity, int pool_kernel);

// Keeps only slots whose chunk has keep_chunk[chunk] set, and drops the slot at position 0 of
// every chunk with drop_first[chunk] set (a later chunk's BOS). Chunk ids index both arrays.
int evict_chunks(kv_cache *c, const uint8_t *keep_chunk, const uint8_t *drop_first);

// StreamingLLM: the first `sinks` slots and the most recent capacity - sinks.
int evict_streaming(kv_cache *c, int capacity, int sinks);
// SnapKV: the last `window` slots plus the capacity - window best max-pooled scores of the
// rest; capacity per layer (PyramidKV) or one for all when per_layer is NULL.
int evict_snapkv(kv_cache *c, const kv_scores *s, int capacity, const int *per_layer, int window, int pool_kernel);
// H2O: the most recent capacity - heavy slots plus the `heavy` best-scored of the rest.
int evict_h2o(kv_cache *c, const kv_scores *s, int capacity, int heavy);
// PyramidKV budgets: average capacity - window per layer, linear from max at layer 0 to
// min = (capacity - window) / beta at the last layer, each plus the window.
void pyramid_budgets(int *out, int n_layers, int capacity, int window, double beta);

#endif
