// CUDA side of the kernel interface (kernels/cuda/*.cu), callable from C. Built only when the
// Makefile finds nvcc; every function but kcuda_describe is usable only after kcuda_init() succeeded.
// Storage is bf16 (weights, KV cache, GEMM inputs) with fp32 accumulation; activations that
// the CPU path keeps in fp32 (residual stream, q/k before the cache, MLP gate) stay fp32.
// Pointers named d_* are device pointers. Functions return 0, or -1 with kcuda_error() set.
// All work is queued on one stream; kcuda_download / kcuda_sync wait for it.
#ifndef PCB_KERNELS_CUDA_H
#define PCB_KERNELS_CUDA_H

#include <stddef.h>
#include <stdint.h>

typedef uint16_t bf16_t;

// Most KV heads a layer may have (Llama-3-70B: 8; every model we know stays far below).
#define KCUDA_MAX_KV_HEADS 32

int kcuda_init(void);           // device 0, stream, cuBLAS (loaded with dlopen)
const char *kcuda_error(void);  // the last failure, naming the call
int kcuda_device_name(char *out, size_t cap);
// Without kcuda_init: "<name> (N devices, compute X.Y, M GiB, CUDA runtime R)" or "no CUDA device
// (why)". Returns the number of devices.
int kcuda_describe(char *out, size_t cap);

// ---- memory (every allocation is counted: in use and peak, for the memory columns) ----------
// A caching allocator: freed blocks are reused by later allocations of their size class (no
// cudaMalloc/cudaFree, no device sync); reuse is safe because all work runs on one stream.
void *kcuda_malloc(size_t bytes);  // NULL + error when the device is out of memory
void kcuda_free(void *d);
size_t kcuda_bytes_in_use(void);
size_t kcuda_peak_bytes(void);
void kcuda_peak_reset(void);  // peak := in use
int kcuda_upload(void *d_dst, const void *src, size_t bytes);
int kcuda_download(void *dst, const void *d_src, size_t bytes);  // waits for queued work
int kcuda_copy(void *d_dst, const void *d_src, size_t bytes);
int kcuda_sync(void);
// Host float32 -> device bf16 (round to nearest even), staged in pieces.
int kcuda_upload_bf16(bf16_t *d_dst, const float *src, size_t n);
// Deterministic uniform values in [-scale, scale] (random-weight models for speed runs).
int kcuda_fill_random_bf16(bf16_t *d_dst, size_t n, uint64_t seed, float scale);
int kcuda_fill_f32(float *d_dst, size_t n, float value);

// ---- row ops (same semantics as kernels.h) -------------------------------------------------
int kcuda_embed(float *d_x, const bf16_t *d_table, const int32_t *d_tokens, int n, int dim);
int kcuda_rmsnorm(float *d_out, const float *d_x, const float *d_w, int n, int d, float eps);
int kcuda_rope_interleaved(float *d_x, const int32_t *d_pos, int n, int n_heads, int head_dim, float theta);
int kcuda_swiglu(float *d_gate, const float *d_up, int64_t n);
int kcuda_add(float *d_x, const float *d_y, int64_t n);
int kcuda_to_bf16(bf16_t *d_dst, const float *d_src, int64_t n);
int kcuda_softmax_rows(float *d_x, int rows, int n);
// Copies rows[i] of x [*, d] into out [n_rows, d] (rows: device indices).
int kcuda_gather_rows_f32(float *d_out, const float *d_x, const int32_t *d_rows, int n_rows, int d);

// ---- GEMM (cuBLAS): y[n, d_out] = x[n, d_in] @ W^T, W stored [d_out, d_in], fp32 accumulate -
int kcuda_gemm_bf16(float *d_y, const bf16_t *d_x, const bf16_t *d_w, int n, int d_in, int d_out);

// ---- KV cache --------------------------------------------------------------------------------
// Appends one KV head's slice of this call's keys/values: k, v are [n, kv_dim] fp32 rows; the
// columns [head*head_dim, (head+1)*head_dim) go to d_kdst/d_vdst [n, head_dim] as bf16.
int kcuda_kv_store(bf16_t *d_kdst, bf16_t *d_vdst, const float *d_k, const float *d_v, int n, int kv_dim, int head,
                   int head_dim);
// out[i] = src[idx[i]] for rows of row_bytes (a multiple of 4), idx on the device.
int kcuda_gather_rows(void *d_out, const void *d_src, const int32_t *d_idx, int n_idx, size_t row_bytes);

// One layer's cache as the attention kernels see it: per KV head, n_keys slots of bf16 K, V
// [n_keys, head_dim] with their position ids and chunk ids (visibility as attention_block).
typedef struct {
    int n_kv_heads, head_dim;
    const bf16_t *k[KCUDA_MAX_KV_HEADS], *v[KCUDA_MAX_KV_HEADS];
    const int32_t *pos[KCUDA_MAX_KV_HEADS], *chunk[KCUDA_MAX_KV_HEADS];
    int n_keys[KCUDA_MAX_KV_HEADS];
} kcuda_kv_layer;

// Fused causal attention (flash-style tiling on tensor cores, never materialising N x N):
//   q   [n, n_heads * head_dim] bf16 rotated queries; q_pos, q_seq [n] (q_seq NULL = all -1)
//   out [n, n_heads * head_dim] fp32; query head h reads KV head h / (n_heads / n_kv_heads).
//   key j visible to row i iff pos[j] <= q_pos[i] and (q_seq[i] < 0 or chunk[j] == q_seq[i]);
//   a row that sees no key gets zeros. head_dim 64 or 128.
int kcuda_attention(float *d_out, const bf16_t *d_q, const int32_t *d_qpos, const int32_t *d_qseq, int n, int n_heads,
                    const kcuda_kv_layer *kv, float scale);

// Attention probabilities of chosen query rows over every slot (the probe), exact softmax in
// fp32 from the same bf16 q/k: rows [n_rows] device indices into q.
//   per-row mode (sums == NULL): probs[(r * n_heads + h) * stride + j]
//   sum mode (probs == NULL):    sums[h * stride + j] = sum over rows of the probability
// Masked slots get 0; stride >= the longest head. heads: only head_lo..head_hi-1 are written.
int kcuda_attention_probs(float *d_probs, float *d_sums, int stride, const bf16_t *d_q, const int32_t *d_qpos,
                          const int32_t *d_qseq, const int32_t *d_rows, int n_rows, int n_heads, int head_lo,
                          int head_hi, const kcuda_kv_layer *kv, float scale);

// ---- selection -------------------------------------------------------------------------------
int kcuda_maxpool1d(float *d_out, const float *d_in, int n, int kernel);
// The k highest-scoring indices in increasing order, ties to the lower index (as topk_indices).
int kcuda_topk_indices(int32_t *d_out, const float *d_scores, int n, int k);

#endif
