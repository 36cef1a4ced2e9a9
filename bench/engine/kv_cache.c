#include "bench/engine/kv_cache.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#ifdef PCB_HAVE_CUDA
#include "kernels/kernels_cuda.h"
#endif

kv_cache *kv_cache_new(int n_layers, int n_kv_heads, int head_dim) {
    kv_cache *c = pcb_calloc(1, sizeof *c);
    c->n_layers = n_layers;
    c->n_kv_heads = n_kv_heads;
    c->head_dim = head_dim;
    c->heads = pcb_calloc((size_t)n_layers * n_kv_heads, sizeof(kv_head));
    return c;
}

kv_cache *kv_cache_new_device(int n_layers, int n_kv_heads, int head_dim) {
    kv_cache *c = kv_cache_new(n_layers, n_kv_heads, head_dim);
    c->device = 1;
    for (int i = 0; i < n_layers * n_kv_heads; i++) c->heads[i].device = 1;
    return c;
}

#ifdef PCB_HAVE_CUDA
static void device_free(kv_head *h) {
    kcuda_free(h->dk), kcuda_free(h->dv), kcuda_free(h->dpos), kcuda_free(h->dchunk);
    h->dk = h->dv = NULL, h->dpos = h->dchunk = NULL;
}

// New device buffers of `cap` slots holding the first `keep` slots of the old ones.
static int device_resize(kv_head *h, int head_dim, int cap, int keep) {
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
    device_free(h);
    h->dk = k, h->dv = v, h->dpos = pos, h->dchunk = chunk;
    return 0;
}
#else
static void device_free(kv_head *h) { (void)h; }
static int device_resize(kv_head *h, int head_dim, int cap, int keep) {
    (void)h, (void)head_dim, (void)cap, (void)keep;
    return pcb_fail("kv cache: this build has no CUDA support");
}
#endif

static void head_free(kv_head *h) {
    int device = h->device;
    if (device) device_free(h);
    free(h->k);
    free(h->v);
    free(h->pos);
    free(h->chunk);
    free(h->doc);
    memset(h, 0, sizeof *h);
    h->device = device;
}

void kv_cache_free(kv_cache *c) {
    if (!c) return;
    for (int i = 0; i < c->n_layers * c->n_kv_heads; i++) head_free(&c->heads[i]);
    free(c->heads);
    free(c);
}

kv_head *kv_cache_head(const kv_cache *c, int layer, int h) { return &c->heads[(size_t)layer * c->n_kv_heads + h]; }

static int head_resize(kv_head *h, int head_dim, int cap) {
    if (h->device) {
        if (device_resize(h, head_dim, cap, h->n < cap ? h->n : cap)) return -1;
    } else {
        h->k = pcb_realloc(h->k, sizeof(float) * (size_t)cap * head_dim);
        h->v = pcb_realloc(h->v, sizeof(float) * (size_t)cap * head_dim);
    }
    h->pos = pcb_realloc(h->pos, sizeof(int32_t) * (size_t)cap);
    h->chunk = pcb_realloc(h->chunk, sizeof(int32_t) * (size_t)cap);
    h->doc = pcb_realloc(h->doc, sizeof(int32_t) * (size_t)cap);
    h->cap = cap;
    return 0;
}

static int head_reserve(kv_head *h, int head_dim, int extra) {
    if (h->n + extra <= h->cap) return 0;
    // Exactly what a batch append asks for (reported memory stays honest); 1.5x growth for
    // the one-token appends of decoding.
    int grown = extra > 1 ? h->n + extra : h->cap + h->cap / 2 + 16;
    return head_resize(h, head_dim, grown);
}

int kv_cache_reserve(kv_cache *c, int extra) {
    for (int i = 0; i < c->n_layers * c->n_kv_heads; i++)
        if (head_reserve(&c->heads[i], c->head_dim, extra)) return -1;
    return 0;
}

void kv_head_append(kv_head *h, int head_dim, const float *k, const float *v, int32_t pos, int32_t chunk,
                    int32_t doc) {
    assert(!h->device);
    head_reserve(h, head_dim, 1);
    memcpy(h->k + (size_t)h->n * head_dim, k, sizeof(float) * head_dim);
    memcpy(h->v + (size_t)h->n * head_dim, v, sizeof(float) * head_dim);
    h->pos[h->n] = pos;
    h->chunk[h->n] = chunk;
    h->doc[h->n] = doc;
    h->n++;
}

// Device heads: the kept slots are gathered into new exact-size buffers and the old ones freed.
static int device_gather(kv_head *h, int head_dim, const int32_t *keep, int n_keep) {
#ifdef PCB_HAVE_CUDA
    if (n_keep == 0) {
        head_free(h);
        return 0;
    }
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
    device_free(h);
    h->dk = k, h->dv = v, h->dpos = pos, h->dchunk = chunk;
    for (int i = 0; i < n_keep; i++) {
        int j = keep[i];
        h->pos[i] = h->pos[j], h->chunk[i] = h->chunk[j], h->doc[i] = h->doc[j];
    }
    h->n = n_keep;
    h->pos = pcb_realloc(h->pos, sizeof(int32_t) * n_keep);
    h->chunk = pcb_realloc(h->chunk, sizeof(int32_t) * n_keep);
    h->doc = pcb_realloc(h->doc, sizeof(int32_t) * n_keep);
    h->cap = n_keep;
    return 0;
#else
    (void)h, (void)head_dim, (void)keep, (void)n_keep;
    return pcb_fail("kv cache gather: this build has no CUDA support");
#endif
}

int kv_head_gather(kv_head *h, int head_dim, const int32_t *keep, int n_keep) {
    for (int i = 0; i < n_keep; i++)
        if (keep[i] < 0 || keep[i] >= h->n || (i > 0 && keep[i] <= keep[i - 1]))
            return pcb_fail("kv cache gather: index %d (entry %d) is out of range or not increasing (head has %d slots)",
                            keep[i], i, h->n);
    if (h->device) return device_gather(h, head_dim, keep, n_keep);
    // Indices increase, so an in-place forward copy never overwrites a slot still to be read.
    for (int i = 0; i < n_keep; i++) {
        int j = keep[i];
        if (i == j) continue;
        memcpy(h->k + (size_t)i * head_dim, h->k + (size_t)j * head_dim, sizeof(float) * head_dim);
        memcpy(h->v + (size_t)i * head_dim, h->v + (size_t)j * head_dim, sizeof(float) * head_dim);
        h->pos[i] = h->pos[j];
        h->chunk[i] = h->chunk[j];
        h->doc[i] = h->doc[j];
    }
    h->n = n_keep;
    if (n_keep == 0) {
        head_free(h);
    } else if (n_keep < h->cap) {
        head_resize(h, head_dim, n_keep);  // evicted slots go back to the allocator
    }
    return 0;
}

// Appends src's slots after dst's, head by head (shapes and placement already checked).
static int append_slots(kv_cache *dst, const kv_cache *src) {
    int hd = dst->head_dim;
    for (int s = 0; s < dst->n_layers * dst->n_kv_heads; s++) {
        kv_head *d = &dst->heads[s];
        const kv_head *h = &src->heads[s];
        if (!h->n) continue;
        if (d->n + h->n > d->cap && head_resize(d, hd, d->n + h->n)) return -1;
        if (d->device) {
#ifdef PCB_HAVE_CUDA
            size_t row = sizeof(uint16_t) * hd;
            if (kcuda_copy((char *)d->dk + row * d->n, h->dk, row * h->n) ||
                kcuda_copy((char *)d->dv + row * d->n, h->dv, row * h->n) ||
                kcuda_copy(d->dpos + d->n, h->dpos, sizeof(int32_t) * h->n) ||
                kcuda_copy(d->dchunk + d->n, h->dchunk, sizeof(int32_t) * h->n))
                return pcb_fail("kv cache append: %s", kcuda_error());
#endif
        } else {
            memcpy(d->k + (size_t)d->n * hd, h->k, sizeof(float) * (size_t)h->n * hd);
            memcpy(d->v + (size_t)d->n * hd, h->v, sizeof(float) * (size_t)h->n * hd);
        }
        memcpy(d->pos + d->n, h->pos, sizeof(int32_t) * h->n);
        memcpy(d->chunk + d->n, h->chunk, sizeof(int32_t) * h->n);
        memcpy(d->doc + d->n, h->doc, sizeof(int32_t) * h->n);
        d->n += h->n;
    }
    return 0;
}

static int same_shape(const kv_cache *a, const kv_cache *b, int index) {
    if (b->device != a->device) {
        pcb_fail("kv cache concat: cache %d is on the %s, cache 0 on the %s", index, b->device ? "GPU" : "host",
                 a->device ? "GPU" : "host");
        return 0;
    }
    if (b->n_layers == a->n_layers && b->n_kv_heads == a->n_kv_heads && b->head_dim == a->head_dim) return 1;
    pcb_fail("kv cache concat: cache %d has shape %dx%dx%d, cache 0 has %dx%dx%d", index, b->n_layers, b->n_kv_heads,
             b->head_dim, a->n_layers, a->n_kv_heads, a->head_dim);
    return 0;
}

kv_cache *kv_cache_concat(kv_cache *const *caches, int n) {
    if (n <= 0) {
        pcb_fail("kv cache concat: no caches given");
        return NULL;
    }
    for (int i = 1; i < n; i++)
        if (!same_shape(caches[0], caches[i], i)) return NULL;
    const kv_cache *a = caches[0];
    kv_cache *out = a->device ? kv_cache_new_device(a->n_layers, a->n_kv_heads, a->head_dim)
                              : kv_cache_new(a->n_layers, a->n_kv_heads, a->head_dim);
    int rc = 0;
    for (int s = 0; s < a->n_layers * a->n_kv_heads && rc == 0; s++) {  // one exact allocation per head
        int total = 0;
        for (int i = 0; i < n; i++) total += caches[i]->heads[s].n;
        if (total) rc = head_resize(&out->heads[s], a->head_dim, total);
    }
    for (int i = 0; i < n && rc == 0; i++) rc = append_slots(out, caches[i]);
    if (rc) {
        kv_cache_free(out);
        return NULL;
    }
    return out;
}

int kv_cache_append(kv_cache *dst, const kv_cache *src) {
    if (!same_shape(dst, src, 1)) return -1;
    return append_slots(dst, src);
}

kv_cache *kv_cache_clone(const kv_cache *c) {
    kv_cache *const one[1] = {(kv_cache *)c};
    return kv_cache_concat(one, 1);
}

void kv_cache_reset(kv_cache *c) {
    for (int i = 0; i < c->n_layers * c->n_kv_heads; i++) c->heads[i].n = 0;
}

int kv_cache_max_len(const kv_cache *c) {
    int m = 0;
    for (int i = 0; i < c->n_layers * c->n_kv_heads; i++)
        if (c->heads[i].n > m) m = c->heads[i].n;
    return m;
}

long kv_cache_total_slots(const kv_cache *c) {
    long t = 0;
    for (int i = 0; i < c->n_layers * c->n_kv_heads; i++) t += c->heads[i].n;
    return t;
}

int kv_cache_append_device(kv_cache *c, int layer, const float *d_k, const float *d_v, int n, const int32_t *pos,
                           const int32_t *chunk, const int32_t *doc, const int32_t *d_pos, const int32_t *d_chunk) {
#ifdef PCB_HAVE_CUDA
    int hd = c->head_dim;
    for (int g = 0; g < c->n_kv_heads; g++) {
        kv_head *h = kv_cache_head(c, layer, g);
        assert(h->device && h->n + n <= h->cap);
        size_t row = sizeof(uint16_t) * hd;
        if (kcuda_kv_store((bf16_t *)((char *)h->dk + row * h->n), (bf16_t *)((char *)h->dv + row * h->n), d_k, d_v, n,
                           c->n_kv_heads * hd, g, hd) ||
            kcuda_copy(h->dpos + h->n, d_pos, sizeof(int32_t) * n) || kcuda_copy(h->dchunk + h->n, d_chunk, sizeof(int32_t) * n))
            return pcb_fail("kv cache append: %s", kcuda_error());
        memcpy(h->pos + h->n, pos, sizeof(int32_t) * n);
        memcpy(h->chunk + h->n, chunk, sizeof(int32_t) * n);
        memcpy(h->doc + h->n, doc, sizeof(int32_t) * n);
        h->n += n;
    }
    return 0;
#else
    (void)c, (void)layer, (void)d_k, (void)d_v, (void)n, (void)pos, (void)chunk, (void)doc, (void)d_pos, (void)d_chunk;
    return pcb_fail("kv cache append: this build has no CUDA support");
#endif
}

size_t kv_cache_bytes(const kv_cache *c) {
    // host: float32 K and V + 3 ids; device: bf16 K and V + 2 ids there, 3 ids on the host
    size_t per_slot = c->device ? sizeof(uint16_t) * 2 * (size_t)c->head_dim + 5 * sizeof(int32_t)
                                : sizeof(float) * 2 * (size_t)c->head_dim + 3 * sizeof(int32_t);
    size_t t = 0;
    for (int i = 0; i < c->n_layers * c->n_kv_heads; i++) t += (size_t)c->heads[i].cap * per_slot;
    return t;
}
