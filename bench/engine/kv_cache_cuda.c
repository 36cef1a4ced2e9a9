// Device side of the KV cache on the CUDA engine: bf16 K/V rows and the device copies of the
// position and chunk ids; kv_cache.c keeps the host-side slot metadata.
#include <assert.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/engine/backend_internal.h"
#include "bench/engine/cuda_internal.h"
#include "kernels/kernels_cuda.h"

void kv_device_free(kv_head *h) {
    kcuda_free(h->dk), kcuda_free(h->dv), kcuda_free(h->dpos), kcuda_free(h->dchunk);
    h->dk = h->dv = NULL, h->dpos = h->dchunk = NULL;
}

static void set_rows(kv_head *h, void *k, void *v, int32_t *pos, int32_t *chunk) {
    kv_device_free(h);
    h->dk = k, h->dv = v, h->dpos = pos, h->dchunk = chunk;
}

int kv_device_resize(kv_head *h, int head_dim, int cap, int keep) {
    size_t row = sizeof(uint16_t) * head_dim;
    void *k = kcuda_malloc(row * cap), *v = kcuda_malloc(row * cap);
    int32_t *pos = kcuda_malloc(sizeof(int32_t) * cap), *chunk = kcuda_malloc(sizeof(int32_t) * cap);
    int rc = !k || !v || !pos || !chunk;
    if (!rc && keep > 0)
        rc = kcuda_copy(k, h->dk, row * keep) || kcuda_copy(v, h->dv, row * keep) ||
             kcuda_copy(pos, h->dpos, sizeof(int32_t) * keep) || kcuda_copy(chunk, h->dchunk, sizeof(int32_t) * keep);
    if (rc) {
        kcuda_free(k), kcuda_free(v), kcuda_free(pos), kcuda_free(chunk);
        return pcb_fail("kv cache: %s", kcuda_error());
    }
    set_rows(h, k, v, pos, chunk);
    return 0;
}

int kv_device_gather(kv_head *h, int head_dim, const int32_t *keep, int n_keep) {
    size_t row = sizeof(uint16_t) * head_dim;
    int32_t *d_keep = kcuda_malloc(sizeof(int32_t) * n_keep);
    void *k = kcuda_malloc(row * n_keep), *v = kcuda_malloc(row * n_keep);
    int32_t *pos = kcuda_malloc(sizeof(int32_t) * n_keep), *chunk = kcuda_malloc(sizeof(int32_t) * n_keep);
    int rc = !d_keep || !k || !v || !pos || !chunk;
    if (!rc)
        rc = kcuda_upload(d_keep, keep, sizeof(int32_t) * n_keep) || kcuda_gather_rows(k, h->dk, d_keep, n_keep, row) ||
             kcuda_gather_rows(v, h->dv, d_keep, n_keep, row) ||
             kcuda_gather_rows(pos, h->dpos, d_keep, n_keep, sizeof(int32_t)) ||
             kcuda_gather_rows(chunk, h->dchunk, d_keep, n_keep, sizeof(int32_t)) || kcuda_sync();
    kcuda_free(d_keep);
    if (rc) {
        kcuda_free(k), kcuda_free(v), kcuda_free(pos), kcuda_free(chunk);
        return pcb_fail("kv cache gather: %s", kcuda_error());
    }
    set_rows(h, k, v, pos, chunk);
    return 0;
}

int kv_device_append(kv_head *dst, const kv_head *src, int head_dim) {
    size_t row = sizeof(uint16_t) * head_dim;
    if (kcuda_copy((char *)dst->dk + row * dst->n, src->dk, row * src->n) ||
        kcuda_copy((char *)dst->dv + row * dst->n, src->dv, row * src->n) ||
        kcuda_copy(dst->dpos + dst->n, src->dpos, sizeof(int32_t) * src->n) ||
        kcuda_copy(dst->dchunk + dst->n, src->dchunk, sizeof(int32_t) * src->n))
        return pcb_fail("kv cache append: %s", kcuda_error());
    return 0;
}

int kv_cache_append_device(kv_cache *c, int layer, const float *d_k, const float *d_v, int n, const int32_t *pos,
                           const int32_t *chunk, const int32_t *doc, const int32_t *d_pos, const int32_t *d_chunk) {
    int hd = c->head_dim;
    for (int g = 0; g < c->n_kv_heads; g++) {
        kv_head *h = kv_cache_head(c, layer, g);
        assert(h->device && h->n + n <= h->cap);
        size_t row = sizeof(uint16_t) * hd;
        if (kcuda_kv_store((bf16_t *)((char *)h->dk + row * h->n), (bf16_t *)((char *)h->dv + row * h->n), d_k, d_v, n,
                           c->n_kv_heads * hd, g, hd) ||
            kcuda_copy(h->dpos + h->n, d_pos, sizeof(int32_t) * n) ||
            kcuda_copy(h->dchunk + h->n, d_chunk, sizeof(int32_t) * n))
            return pcb_fail("kv cache append: %s", kcuda_error());
        memcpy(h->pos + h->n, pos, sizeof(int32_t) * n);
        memcpy(h->chunk + h->n, chunk, sizeof(int32_t) * n);
        memcpy(h->doc + h->n, doc, sizeof(int32_t) * n);
        h->n += n;
    }
    return 0;
}
