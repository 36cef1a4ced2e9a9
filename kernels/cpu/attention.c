// Block attention with explicit positions: S = q k^T * scale, mask, softmax, out = P v.
// Two GEMMs over the span of keys that any row of the block can see.
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "kernels/kernels.h"

static int visible(int32_t kp, int32_t kc, int32_t qp, int32_t qs) { return kp <= qp && (qs < 0 || kc == qs); }

void attention_block(float *out, float *probs, int full_rows, const float *q, const int32_t *q_pos,
                     const int32_t *q_seq, int n_q, const float *k, const float *v, const int32_t *key_pos,
                     const int32_t *key_chunk, int n_keys, int head_dim, float scale) {
    // Span [lo, hi) of keys visible to at least one row: for causal single-sequence prefill
    // this skips the upper triangle's columns block by block.
    // A key is in the span when some row could see it: its position is not after the block's
    // last position and its chunk is one the rows attend to (few distinct ones per block).
    int32_t max_pos = INT32_MIN, any_all = 0, seqs[8];
    int n_seqs = 0, many_seqs = 0;
    for (int i = 0; i < n_q; i++) {
        if (q_pos[i] > max_pos) max_pos = q_pos[i];
        if (q_seq[i] < 0) any_all = 1;
        int known = 0;
        for (int s = 0; s < n_seqs && !known; s++) known = seqs[s] == q_seq[i];
        if (!known) {
            if (n_seqs < 8) seqs[n_seqs++] = q_seq[i];
            else many_seqs = 1;
        }
    }
    int lo = n_keys, hi = 0;
    for (int j = 0; j < n_keys; j++) {
        if (key_pos[j] > max_pos) continue;
        int ok = any_all;
        if (!many_seqs)
            for (int s = 0; s < n_seqs && !ok; s++) ok = key_chunk[j] == seqs[s];
        else
            for (int i = 0; i < n_q && !ok; i++) ok = visible(key_pos[j], key_chunk[j], q_pos[i], q_seq[i]);
        if (ok) {
            if (j < lo) lo = j;
            hi = j + 1;
        }
    }
    if (lo >= hi) {  // nothing visible: output zeros (callers never ask for this in practice)
        if (full_rows) memset(probs, 0, sizeof(float) * (size_t)n_q * n_keys);
        memset(out, 0, sizeof(float) * (size_t)n_q * head_dim);
        return;
    }
    int span = hi - lo;
    int32_t span_max_pos = INT32_MIN;
    for (int j = lo; j < hi; j++)
        if (key_pos[j] > span_max_pos) span_max_pos = key_pos[j];
    float *s = probs + lo;  // rows of the span, leading dimension n_keys
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n_q, span, head_dim, scale, q, head_dim,
                k + (size_t)lo * head_dim, head_dim, 0.0f, s, n_keys);
    for (int i = 0; i < n_q; i++) {
        float *row = probs + (size_t)i * n_keys;
        // Rows that see every chunk and come after every key of the span need no mask (decode,
        // question rows over a merged cache).
        if (q_seq[i] >= 0 || q_pos[i] < span_max_pos)
            for (int j = lo; j < hi; j++)
                if (!visible(key_pos[j], key_chunk[j], q_pos[i], q_seq[i])) row[j] = -INFINITY;
        softmax_row(row + lo, span);
        if (full_rows) {  // outside the span every key is masked
            memset(row, 0, sizeof(float) * lo);
            memset(row + hi, 0, sizeof(float) * (n_keys - hi));
        }
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n_q, head_dim, span, 1.0f, s, n_keys,
                v + (size_t)lo * head_dim, head_dim, 0.0f, out, head_dim);
}
