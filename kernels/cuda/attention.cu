// Fused causal attention over an arbitrary key set (merged multi-chunk, evicted caches), on
// tensor cores through WMMA (bf16 in, fp32 accumulate), flash-style: a block holds BM query
// rows of one head and streams the KV head's slots in tiles of BN with an online softmax, so
// no N x N matrix is ever formed. Visibility is decided per (row, key) from position ids and
// chunk ids (as kernels/cpu/attention.c); whole key tiles that no row of the block can see
// (every key later than the block's last position, or of another chunk) are skipped using
// per-tile summaries, which is what makes causal and block-diagonal (batched chunks) prefill
// cost about half and 1/chunks of the dense product.
#include <cuda_pipeline.h>
#include <limits.h>
#include <math.h>
#include <mma.h>

#include "kernels/cuda/kcuda_internal.cuh"

using namespace nvcuda;

#define WARPS 8
#define BM (16 * WARPS)  // query rows per block: every warp owns 16 (K/V tiles are shared by all)
#define BN 64            // keys per tile
#define THREADS (32 * WARPS)

// Per KV head and key tile: smallest position, smallest and largest chunk id.
__global__ static void tile_info_kernel(int4 *tiles, kcuda_kv_layer kv, int max_tiles) {
    int g = blockIdx.y, t = blockIdx.x, j = t * BN + threadIdx.x;
    __shared__ int mn_pos, mn_c, mx_c;
    if (threadIdx.x == 0) mn_pos = INT_MAX, mn_c = INT_MAX, mx_c = INT_MIN;
    __syncthreads();
    if (j < kv.n_keys[g]) {
        atomicMin(&mn_pos, kv.pos[g][j]);
        atomicMin(&mn_c, kv.chunk[g][j]);
        atomicMax(&mx_c, kv.chunk[g][j]);
    }
    __syncthreads();
    if (threadIdx.x == 0) tiles[(size_t)g * max_tiles + t] = make_int4(mn_pos, mn_c, mx_c, 0);
}

template <int HD>
struct flash_smem {
    static constexpr int QLD = HD + 8, SLD = BN + 4, PLD = BN + 8;  // padded leading dims
    static constexpr size_t bytes = sizeof(__nv_bfloat16) * (BM * QLD + 4 * BN * QLD + BM * PLD) +
                                    sizeof(float) * (BM * SLD + 3 * BM + 256) + sizeof(int) * (2 * BM + 4 * BN);
};

__device__ static float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}
__device__ static float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// First key tile at or after t that some row of the block can see (block-uniform).
__device__ static int next_tile(const int4 *info, int t, int n_tiles, int q_max, bool one_seq, int seq) {
    for (; t < n_tiles; t++) {
        int4 s = info[t];
        if (s.x > q_max) continue;                          // every key is in the future
        if (one_seq && (s.z < seq || s.y > seq)) continue;  // no key of the block's chunk
        return t;
    }
    return n_tiles;
}

template <int HD>
__global__ static void __launch_bounds__(THREADS, 1)
    flash_kernel(float *out, const __nv_bfloat16 *q, const int32_t *q_pos, const int32_t *q_seq, int n, int n_heads,
                 int group, kcuda_kv_layer kv, const int4 *tiles, int max_tiles, float scale_log2) {
    typedef flash_smem<HD> L;
    constexpr int VEC = 8;  // bf16 per 16-byte copy
    extern __shared__ __align__(128) unsigned char smem[];
    __nv_bfloat16 *Qs = (__nv_bfloat16 *)smem;                        // [BM, QLD]
    __nv_bfloat16 *KV = Qs + BM * L::QLD;                             // 2 buffers x (K [BN, QLD], V [BN, QLD])
    __nv_bfloat16 *P = KV + 4 * BN * L::QLD;                          // [BM, PLD] probabilities of the tile
    float *S = (float *)(P + BM * L::PLD);                            // [BM, SLD] scores of the tile
    float *row_m = S + BM * L::SLD, *row_l = row_m + BM;              // running max (log2 units) and sum
    float *row_a = row_l + BM;                                        // this tile's rescale factor of each row
    float *rid_tab = row_a + BM;                                      // [16, 16]: element (r, c) = r
    int *qp = (int *)(rid_tab + 256), *qs = qp + BM, *kpc = qs + BM;  // kpc: 2 x (pos [BN], chunk [BN])
    __shared__ int q_info[3];  // largest position, smallest and largest chunk id of the block

    const int h = blockIdx.y, g = h / group, q0 = blockIdx.x * BM;
    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31, qd = n_heads * HD;
    const int nk = kv.n_keys[g];
    const __nv_bfloat16 *K = (const __nv_bfloat16 *)kv.k[g], *V = (const __nv_bfloat16 *)kv.v[g];
    const int32_t *KP = kv.pos[g], *KC = kv.chunk[g];
    const int4 *info = tiles + (size_t)g * max_tiles;

    for (int i = tid; i < BM * HD / VEC; i += THREADS) {
        int r = i / (HD / VEC), c = (i % (HD / VEC)) * VEC;
        int4 val = make_int4(0, 0, 0, 0);
        if (q0 + r < n) val = *(const int4 *)(q + (size_t)(q0 + r) * qd + (size_t)h * HD + c);
        *(int4 *)(Qs + r * L::QLD + c) = val;
    }
    for (int r = tid; r < BM; r += THREADS) {
        bool ok = q0 + r < n;
        qp[r] = ok ? q_pos[q0 + r] : -1;  // padding rows see nothing
        qs[r] = ok && q_seq ? q_seq[q0 + r] : -1;
        row_m[r] = -INFINITY;
        row_l[r] = 0.0f;
    }
    for (int i = tid; i < 256; i += THREADS) rid_tab[i] = (float)(i / 16);
    __syncthreads();
    if (tid == 0) {
        int mx = -1, mn = INT_MAX, mxs = INT_MIN;
        for (int r = 0; r < BM && q0 + r < n; r++) mx = max(mx, qp[r]), mn = min(mn, qs[r]), mxs = max(mxs, qs[r]);
        q_info[0] = mx, q_info[1] = mn, q_info[2] = mxs;
    }
    // The warp's 16 x HD output block stays in registers for the whole key loop; rid tells each
    // lane which row its accumulator elements belong to (the fragment layout is opaque).
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> o[HD / 16], rid;
#pragma unroll
    for (int c = 0; c < HD / 16; c++) wmma::fill_fragment(o[c], 0.0f);
    __syncthreads();
    wmma::load_matrix_sync(rid, rid_tab, 16, wmma::mem_row_major);
    const int q_max = q_info[0], seq = q_info[1];
    const bool one_seq = q_info[1] == q_info[2] && seq >= 0;
    const int n_tiles = (nk + BN - 1) / BN;

    // Copies key tile t into buffer b: K/V rows with cp.async (zeros past the end), and the
    // tile's positions and chunk ids into registers of the first BN threads (stored later).
    auto issue = [&](int t, int b, int &kpos, int &kchunk) {
        __nv_bfloat16 *Kb = KV + (size_t)b * 2 * BN * L::QLD, *Vb = Kb + BN * L::QLD;
        const int k0 = t * BN;
        for (int i = tid; i < BN * HD / VEC; i += THREADS) {
            int r = i / (HD / VEC), c = (i % (HD / VEC)) * VEC;
            if (k0 + r < nk) {
                __pipeline_memcpy_async(Kb + r * L::QLD + c, K + (size_t)(k0 + r) * HD + c, 16);
                __pipeline_memcpy_async(Vb + r * L::QLD + c, V + (size_t)(k0 + r) * HD + c, 16);
            } else {
                *(int4 *)(Kb + r * L::QLD + c) = make_int4(0, 0, 0, 0);
                *(int4 *)(Vb + r * L::QLD + c) = make_int4(0, 0, 0, 0);
            }
        }
        __pipeline_commit();
        if (tid < BN) {
            bool ok = k0 + tid < nk;
            kpos = ok ? KP[k0 + tid] : INT_MAX;
            kchunk = ok ? KC[k0 + tid] : INT_MIN;
        }
    };

    int cur = next_tile(info, 0, n_tiles, q_max, one_seq, seq), buf = 0, kpos = INT_MAX, kchunk = INT_MIN;
    if (cur < n_tiles) {
        issue(cur, 0, kpos, kchunk);
        if (tid < BN) kpc[tid] = kpos, kpc[BN + tid] = kchunk;
    }
    while (cur < n_tiles) {
        const int nxt = next_tile(info, cur + 1, n_tiles, q_max, one_seq, seq);
        if (nxt < n_tiles) issue(nxt, buf ^ 1, kpos, kchunk);  // overlaps with this tile's math
        else __pipeline_commit();
        __pipeline_wait_prior(1);  // this tile's copies are done (the next one may still fly)
        __syncthreads();
        const __nv_bfloat16 *Ks = KV + (size_t)buf * 2 * BN * L::QLD, *Vs = Ks + BN * L::QLD;
        const int *kp = kpc + buf * 2 * BN, *kc = kp + BN;

        // S = Q K^T for this warp's 16 rows.
#pragma unroll
        for (int j = 0; j < BN / 16; j++) {
            wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
            wmma::fill_fragment(acc, 0.0f);
#pragma unroll
            for (int kk = 0; kk < HD / 16; kk++) {
                wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> a;
                wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::col_major> b;
                wmma::load_matrix_sync(a, Qs + warp * 16 * L::QLD + kk * 16, L::QLD);
                wmma::load_matrix_sync(b, Ks + j * 16 * L::QLD + kk * 16, L::QLD);
                wmma::mma_sync(acc, a, b, acc);
            }
            wmma::store_matrix_sync(S + warp * 16 * L::SLD + j * 16, acc, L::SLD, wmma::mem_row_major);
        }
        __syncwarp();

        // Online softmax of the warp's rows; each lane holds keys lane and lane + 32.
        const int kp0 = kp[lane], kp1 = kp[lane + 32], kc0 = kc[lane], kc1 = kc[lane + 32];
        for (int r = 0; r < 16; r++) {
            const int row = warp * 16 + r, qpr = qp[row], qsr = qs[row];
            bool v0 = kp0 <= qpr && (qsr < 0 || kc0 == qsr);
            bool v1 = kp1 <= qpr && (qsr < 0 || kc1 == qsr);
            float s0 = v0 ? S[row * L::SLD + lane] * scale_log2 : -INFINITY;
            float s1 = v1 ? S[row * L::SLD + lane + 32] * scale_log2 : -INFINITY;
            float m_old = row_m[row], m_new = fmaxf(m_old, warp_max(fmaxf(s0, s1)));
            float p0 = 0.0f, p1 = 0.0f, alpha = 1.0f;
            if (m_new != -INFINITY) p0 = exp2f(s0 - m_new), p1 = exp2f(s1 - m_new), alpha = exp2f(m_old - m_new);
            float sum = warp_sum(p0 + p1);
            P[row * L::PLD + lane] = __float2bfloat16(p0);
            P[row * L::PLD + lane + 32] = __float2bfloat16(p1);
            __syncwarp();  // every lane has read row_m before lane 0 moves it
            if (lane == 0) row_m[row] = m_new, row_l[row] = row_l[row] * alpha + sum, row_a[row] = alpha;
        }
        __syncwarp();

        // O = diag(alpha) O + P V for the warp's rows, in registers.
        float a_e[8];
#pragma unroll
        for (int i = 0; i < rid.num_elements; i++) a_e[i] = row_a[warp * 16 + (int)rid.x[i]];
#pragma unroll
        for (int c = 0; c < HD / 16; c++) {
#pragma unroll
            for (int i = 0; i < o[c].num_elements; i++) o[c].x[i] *= a_e[i];
#pragma unroll
            for (int kk = 0; kk < BN / 16; kk++) {
                wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> a;
                wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::row_major> b;
                wmma::load_matrix_sync(a, P + warp * 16 * L::PLD + kk * 16, L::PLD);
                wmma::load_matrix_sync(b, Vs + kk * 16 * L::QLD + c * 16, L::QLD);
                wmma::mma_sync(o[c], a, b, o[c]);
            }
        }
        __syncthreads();  // buffer `buf` is free for the copy after next
        if (nxt < n_tiles && tid < BN)
            kpc[(buf ^ 1) * 2 * BN + tid] = kpos, kpc[(buf ^ 1) * 2 * BN + BN + tid] = kchunk;
        cur = nxt, buf ^= 1;
    }
    __pipeline_wait_prior(0);
    __syncthreads();
    // Normalise and write: each 16 x 16 block goes through the warp's score rows in shared memory.
    float *stage = S + warp * 16 * L::SLD;
    for (int c = 0; c < HD / 16; c++) {
        wmma::store_matrix_sync(stage, o[c], L::SLD, wmma::mem_row_major);
        __syncwarp();
        for (int i = lane; i < 256; i += 32) {
            int r = i / 16, col = i % 16, row = warp * 16 + r;
            if (q0 + row >= n) continue;
            float l = row_l[row];
            out[(size_t)(q0 + row) * qd + (size_t)h * HD + c * 16 + col] =
                l > 0.0f ? stage[r * L::SLD + col] / l : 0.0f;
        }
        __syncwarp();
    }
}

// Grow-only scratch for the tile summaries (a few KB per layer).
static int4 *g_tiles;
static size_t g_tiles_cap;

static int tile_summaries(const kcuda_kv_layer *kv, int *max_tiles) {
    int longest = 0;
    for (int g = 0; g < kv->n_kv_heads; g++) longest = max(longest, kv->n_keys[g]);
    *max_tiles = (longest + BN - 1) / BN;
    size_t need = (size_t)kv->n_kv_heads * (*max_tiles > 0 ? *max_tiles : 1);
    if (need > g_tiles_cap) {
        kcuda_free(g_tiles);  // stream-ordered reuse: earlier launches finish first
        g_tiles = (int4 *)kcuda_malloc(sizeof(int4) * need * 2);
        if (!g_tiles) return g_tiles_cap = 0, -1;
        g_tiles_cap = need * 2;
    }
    if (*max_tiles == 0) return 0;
    tile_info_kernel<<<dim3(*max_tiles, kv->n_kv_heads), BN, 0, kcuda_stream()>>>(g_tiles, *kv, *max_tiles);
    return KCUDA_LAUNCHED("attention tile summaries");
}

template <int HD>
static int launch_flash(float *out, const bf16_t *q, const int32_t *qpos, const int32_t *qseq, int n, int n_heads,
                        const kcuda_kv_layer *kv, int max_tiles, float scale) {
    static int configured;
    size_t bytes = flash_smem<HD>::bytes;
    if (!configured) {
        if (kcuda_check(cudaFuncSetAttribute(flash_kernel<HD>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)bytes),
                        "attention shared memory"))
            return -1;
        configured = 1;
    }
    dim3 grid((n + BM - 1) / BM, n_heads);
    flash_kernel<HD><<<grid, THREADS, bytes, kcuda_stream()>>>(out, (const __nv_bfloat16 *)q, qpos, qseq, n, n_heads,
                                                               n_heads / kv->n_kv_heads, *kv, g_tiles, max_tiles,
                                                               scale * 1.4426950408889634f);
    return KCUDA_LAUNCHED("attention");
}

extern "C" int kcuda_attention(float *d_out, const bf16_t *d_q, const int32_t *d_qpos, const int32_t *d_qseq, int n,
                               int n_heads, const kcuda_kv_layer *kv, float scale) {
    if (n <= 0) return 0;
    if (kv->n_kv_heads <= 0 || kv->n_kv_heads > KCUDA_MAX_KV_HEADS || n_heads % kv->n_kv_heads)
        return kcuda_fail("cuda: attention: %d query heads over %d KV heads", n_heads, kv->n_kv_heads);
    int max_tiles;
    if (tile_summaries(kv, &max_tiles)) return -1;
    switch (kv->head_dim) {
    case 64:
        return launch_flash<64>(d_out, d_q, d_qpos, d_qseq, n, n_heads, kv, max_tiles, scale);
    case 128:
        return launch_flash<128>(d_out, d_q, d_qpos, d_qseq, n, n_heads, kv, max_tiles, scale);
    default:
        return kcuda_fail("cuda: attention: head_dim %d (supported: 64, 128)", kv->head_dim);
    }
}
