// Pieces of the pipeline shared between its files (not part of the public interface).
#ifndef PCB_PCOMP_INTERNAL_H
#define PCB_PCOMP_INTERNAL_H

#include "bench/engine/forward.h"
#include "bench/method/pcomp.h"

// Builds st->cache (and st->next_pos) from the document; fills the chunk fields of r.
int chunked_prefill(const model *m, const pcomp_input *in, const pcomp_options *o, pcomp_state *st, pcomp_result *r);
// Prefills prefix + document + suffix as one window, then applies the method's KV policy.
// `observe`: a forward hook for the window's prefill (attention log), or NULL.
int single_window_prefill(const model *m, const pcomp_input *in, const pcomp_options *o, forward_hook_fn observe,
                          void *observe_user, pcomp_state *st, pcomp_result *r);
// Chunk eviction in arrival order, as the reference's fixed-size queue: while more than k of
// chunks [0, n_seen) are kept, the highest NLL goes (a NaN score counts as the highest); among
// equal scores the earlier chunk goes first. k <= 0 keeps all.
void pcomp_evict_worst_chunks(pcomp_chunk *ch, int n_seen, int k);
// Records a KV allocation size; r->kv_peak_bytes keeps the largest.
void pcomp_track_kv(pcomp_result *r, size_t bytes);

#endif
