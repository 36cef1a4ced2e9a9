// The attention probe on the device: exact softmax probabilities of chosen query rows over
// every slot of their KV head, in fp32 from the bf16 q and K the attention kernel reads.
// Two passes: the log-normaliser of each (row, head), then one thread per key walks the rows,
// so the per-row output is written coalesced and the sum mode (H2O's column sums over every
// row of a prefill) needs no atomics and no [rows x keys] buffer.
#include <limits.h>
#include <math.h>

#include "kernels/cuda/kcuda_internal.cuh"

#define THREADS 128
#define ROWS_PER_PASS 16

__device__ static inline bool visible(int kpos, int kchunk, int qpos, int qseq) {
    return kpos <= qpos && (qseq < 0 || kchunk == qseq);
}

__device__ static float dot_bf16(const float *q, const __nv_bfloat16 *k, int hd) {
    float s = 0.0f;
    for (int c = 0; c < hd; c += 2) {
        float2 kf = __bfloat1622float2(*(const __nv_bfloat162 *)(k + c));
        s += q[c] * kf.x + q[c + 1] * kf.y;
    }
    return s;
}

// lse[r * n_heads + h] = log sum_j exp(scale q_r . k_j) over visible j (-inf when none).
__global__ static void row_lse_kernel(float *lse, const __nv_bfloat16 *q, const int32_t *q_pos, const int32_t *q_seq,
                                      const int32_t *rows, int n_heads, int head_lo, int group, kcuda_kv_layer kv,
                                      float scale) {
    __shared__ float qs[256];
    __shared__ float red_m[THREADS / 32], red_l[THREADS / 32];
    const int r = blockIdx.x, h = head_lo + blockIdx.y, g = h / group, hd = kv.head_dim;
    const int row = rows[r], qpos = q_pos[row], qseq = q_seq ? q_seq[row] : -1;
    for (int c = threadIdx.x; c < hd; c += THREADS)
        qs[c] = __bfloat162float(q[(size_t)row * n_heads * hd + (size_t)h * hd + c]);
    __syncthreads();
    float m = -INFINITY, l = 0.0f;
    const __nv_bfloat16 *K = (const __nv_bfloat16 *)kv.k[g];
    for (int j = threadIdx.x; j < kv.n_keys[g]; j += THREADS) {
        if (!visible(kv.pos[g][j], kv.chunk[g][j], qpos, qseq)) continue;
        float s = dot_bf16(qs, K + (size_t)j * hd, hd) * scale;
        if (s > m) l = l * expf(m - s) + 1.0f, m = s;
        else l += expf(s - m);
    }
    // combine (m, l) pairs: warp, then block
    for (int o = 16; o > 0; o >>= 1) {
        float m2 = __shfl_xor_sync(0xffffffffu, m, o), l2 = __shfl_xor_sync(0xffffffffu, l, o);
        float mm = fmaxf(m, m2);
        l = mm == -INFINITY ? 0.0f : l * expf(m - mm) + l2 * expf(m2 - mm);
        m = mm;
    }
    if ((threadIdx.x & 31) == 0) red_m[threadIdx.x >> 5] = m, red_l[threadIdx.x >> 5] = l;
    __syncthreads();
    if (threadIdx.x == 0) {
        float M = -INFINITY, S = 0.0f;
        for (int w = 0; w < THREADS / 32; w++) M = fmaxf(M, red_m[w]);
        for (int w = 0; w < THREADS / 32; w++)
            if (red_m[w] != -INFINITY) S += red_l[w] * expf(red_m[w] - M);
        lse[(size_t)r * n_heads + h] = M == -INFINITY ? -INFINITY : M + logf(S);
    }
}

__global__ static void probs_kernel(float *probs, float *sums, int stride, const float *lse, const __nv_bfloat16 *q,
                                    const int32_t *q_pos, const int32_t *q_seq, const int32_t *rows, int n_rows,
                                    int n_heads, int head_lo, int group, kcuda_kv_layer kv, float scale) {
    __shared__ float qs[ROWS_PER_PASS][256];
    __shared__ int qp[ROWS_PER_PASS], qq[ROWS_PER_PASS];
    __shared__ float ql[ROWS_PER_PASS];
    const int h = head_lo + blockIdx.y, g = h / group, hd = kv.head_dim;
    const int j = blockIdx.x * THREADS + threadIdx.x, nk = kv.n_keys[g];
    const bool have = j < nk;
    const int kpos = have ? kv.pos[g][j] : INT_MAX, kchunk = have ? kv.chunk[g][j] : INT_MIN;
    const __nv_bfloat16 *kj = (const __nv_bfloat16 *)kv.k[g] + (size_t)(have ? j : 0) * hd;
    float total = 0.0f;
    for (int r0 = 0; r0 < n_rows; r0 += ROWS_PER_PASS) {
        int nr = min(ROWS_PER_PASS, n_rows - r0);
        __syncthreads();
        for (int i = threadIdx.x; i < nr * hd; i += THREADS) {
            int rr = i / hd, c = i % hd, row = rows[r0 + rr];
            qs[rr][c] = __bfloat162float(q[(size_t)row * n_heads * hd + (size_t)h * hd + c]);
        }
        for (int rr = threadIdx.x; rr < nr; rr += THREADS) {
            int row = rows[r0 + rr];
            qp[rr] = q_pos[row], qq[rr] = q_seq ? q_seq[row] : -1, ql[rr] = lse[(size_t)(r0 + rr) * n_heads + h];
        }
        __syncthreads();
        if (!have) continue;
        for (int rr = 0; rr < nr; rr++) {
            float p = 0.0f;
            if (visible(kpos, kchunk, qp[rr], qq[rr]) && ql[rr] != -INFINITY)
                p = expf(dot_bf16(qs[rr], kj, hd) * scale - ql[rr]);
            if (probs) probs[((size_t)(r0 + rr) * n_heads + h) * stride + j] = p;
            total += p;
        }
    }
    if (sums && have) sums[(size_t)h * stride + j] = total;
}

extern "C" int kcuda_attention_probs(float *d_probs, float *d_sums, int stride, const bf16_t *d_q,
                                     const int32_t *d_qpos, const int32_t *d_qseq, const int32_t *d_rows, int n_rows,
                                     int n_heads, int head_lo, int head_hi, const kcuda_kv_layer *kv, float scale) {
    if (n_rows <= 0 || head_hi <= head_lo) return 0;
    if (kv->head_dim > 256 || kv->head_dim % 2) return kcuda_fail("cuda: attention probe: head_dim %d", kv->head_dim);
    if (n_heads % kv->n_kv_heads)
        return kcuda_fail("cuda: attention probe: %d heads over %d KV heads", n_heads, kv->n_kv_heads);
    int longest = 0;
    for (int g = 0; g < kv->n_kv_heads; g++) longest = max(longest, kv->n_keys[g]);
    if (longest > stride) return kcuda_fail("cuda: attention probe: stride %d < %d slots", stride, longest);
    if (longest == 0) return 0;
    float *lse = (float *)kcuda_malloc(sizeof(float) * (size_t)n_rows * n_heads);
    if (!lse) return -1;
    int group = n_heads / kv->n_kv_heads, nh = head_hi - head_lo;
    row_lse_kernel<<<dim3(n_rows, nh), THREADS, 0, kcuda_stream()>>>(lse, (const __nv_bfloat16 *)d_q, d_qpos, d_qseq,
                                                                     d_rows, n_heads, head_lo, group, *kv, scale);
    int rc = KCUDA_LAUNCHED("attention probe normaliser");
    if (!rc) {
        probs_kernel<<<dim3(kcuda_blocks(longest, THREADS), nh), THREADS, 0, kcuda_stream()>>>(
            d_probs, d_sums, stride, lse, (const __nv_bfloat16 *)d_q, d_qpos, d_qseq, d_rows, n_rows, n_heads, head_lo,
            group, *kv, scale);
        rc = KCUDA_LAUNCHED("attention probe");
    }
    kcuda_free(lse);  // stream-ordered reuse: later work on the stream runs after these kernels
    return rc;
}
