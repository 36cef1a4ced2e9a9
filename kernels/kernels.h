// Numeric kernels behind one small interface. The CPU implementations live in kernels/cpu
// (C + OpenMP + OpenBLAS); kernels/cuda holds the CUDA side. Nothing here knows about models,
// files or configs. Shapes are row-major: [rows, cols] means cols is contiguous.
#ifndef PCB_KERNELS_H
#define PCB_KERNELS_H

#include <stddef.h>
#include <stdint.h>

// ---- ggml tensor types --------------------------------------------------------------------
// Element type ids in ggml's numbering (as GGUF files store them): the ones pcbench reads.
// Defined here, once: bench/model/gguf.h uses them too.
typedef enum {
    GGML_TYPE_F32 = 0,
    GGML_TYPE_F16 = 1,
    GGML_TYPE_Q4_0 = 2,
    GGML_TYPE_Q4_1 = 3,
    GGML_TYPE_Q8_0 = 8,
    GGML_TYPE_BF16 = 30
} ggml_type;

// ---- dequantisation (ggml block formats) --------------------------------------------------
// Converts n elements (a whole number of blocks) to float32. Returns 0, -1 for an unknown type.
int dequantize_row(int ggml_type, const void *src, float *dst, int64_t n);
float fp16_to_fp32(uint16_t h);
uint16_t fp32_to_fp16(float f);
float bf16_to_fp32(uint16_t h);

// ---- dense linear algebra ---------------------------------------------------------------
// out[n, d_out] = x[n, d_in] @ W^T, with W stored [d_out, d_in] (ggml / PyTorch layout).
void matmul_wt(float *out, const float *x, const float *w, int n, int d_in, int d_out);

// Decode (one row): out[d_out] = W x with W in ggml blocks, rows of d_in elements, read without
// dequantising the matrix. Supported: Q8_0, Q4_1. Returns -1 (nothing written) otherwise.
int matvec_quant(float *out, const void *w, int ggml_type, const float *x, int d_in, int d_out);
int matvec_quant_supported(int ggml_type);

// ---- elementwise / row ops -----------------------------------------------------------------
// out[i, :] = x[i, :] / rms(x[i, :]) * weight   for n rows of d
void rmsnorm(float *out, const float *x, const float *weight, int n, int d, float eps);
// In-place rotary embedding on n rows of n_heads * head_dim, rotating adjacent pairs
// (2i, 2i+1) by pos[row] * theta^(-2i/head_dim): the pairing of GGUF llama-arch weights.
void rope_interleaved(float *x, const int32_t *pos, int n, int n_heads, int head_dim, float theta);
// gate[i] = silu(gate[i]) * up[i]
void swiglu(float *gate, const float *up, int64_t n);
// In-place softmax of one row; returns the log of the normaliser (max + log(sum exp)).
float softmax_row(float *x, int n);
float logsumexp_row(const float *x, int n);

// ---- attention ---------------------------------------------------------------------------
// Attention of a block of query rows that share one KV head, over that head's key slots.
// Keys are an arbitrary set (merged multi-chunk caches, evicted caches): visibility comes from
// explicit positions and chunk ids, never from slot order:
//   key j is visible to row i  iff  key_pos[j] <= q_pos[i]  and  (q_seq[i] < 0 || key_chunk[j] == q_seq[i])
//   q:      [n_q, head_dim] rotated queries          q_pos, q_seq: [n_q]
//   k, v:   [n_keys, head_dim]                       key_pos, key_chunk: [n_keys]
//   out:    [n_q, head_dim]
//   probs:  [n_q, n_keys] scratch; on return the attention probabilities (0 where masked) when
//           full_rows is set; otherwise only the columns of the visible span are defined (saves
//           zeroing n_q x n_keys floats per block of a long prefill).
// Single-threaded: callers parallelise over blocks.
void attention_block(float *out, float *probs, int full_rows, const float *q, const int32_t *q_pos,
                     const int32_t *q_seq, int n_q, const float *k, const float *v, const int32_t *key_pos,
                     const int32_t *key_chunk, int n_keys, int head_dim, float scale);

// ---- selection (KV eviction) --------------------------------------------------------------
// out[i] = max(in[i - kernel/2 .. i + kernel/2]) clipped to [0, n): stride 1, "same" padding.
void maxpool1d(float *out, const float *in, int n, int kernel);
// The k (<= n) highest-scoring indices, returned in increasing index order; among equal
// scores the lower index wins. Returns the count written, or -1 when out of memory.
int topk_indices(int32_t *out, const float *scores, int n, int k);

int kernels_num_threads(void);
void kernels_set_num_threads(int n);

#endif
