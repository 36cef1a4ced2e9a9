#include "bench/engine/kv_cache.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/engine/backend_internal.h"

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

static void head_free(kv_head *h) {
    int device = h->device;
    if (device) kv_device_free(h);
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

// The host-side slot metadata (both kinds of head) to cap slots.
static void metadata_resize(kv_head *h, int cap) {
    h->pos = pcb_realloc(h->pos, sizeof(int32_t) * (size_t)cap);
    h->chunk = pcb_realloc(h->chunk, sizeof(int32_t) * (size_t)cap);
    h->doc = pcb_realloc(h->doc, sizeof(int32_t) * (size_t)cap);
    h->cap = cap;
}

static int head_resize(kv_head *h, int head_dim, int cap) {
    if (h->device) {
        if (kv_device_resize(h, head_dim, cap, h->n < cap ? h->n : cap)) return -1;
    } else {
        h->k = pcb_realloc(h->k, sizeof(float) * (size_t)cap * head_dim);
        h->v = pcb_realloc(h->v, sizeof(float) * (size_t)cap * head_dim);
    }
    metadata_resize(h, cap);
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

void kv_head_append(kv_head *h, int head_dim, const float *k, const float *v, int32_t pos, int32_t chunk, int32_t doc) {
    assert(!h->device);
    head_reserve(h, head_dim, 1);
    memcpy(h->k + (size_t)h->n * head_dim, k, sizeof(float) * head_dim);
    memcpy(h->v + (size_t)h->n * head_dim, v, sizeof(float) * head_dim);
    h->pos[h->n] = pos;
    h->chunk[h->n] = chunk;
    h->doc[h->n] = doc;
    h->n++;
}

int kv_head_gather(kv_head *h, int head_dim, const int32_t *keep, int n_keep) {
    for (int i = 0; i < n_keep; i++)
        if (keep[i] < 0 || keep[i] >= h->n || (i > 0 && keep[i] <= keep[i - 1]))
            return pcb_fail(
                "kv cache gather: index %d (entry %d) is out of range or not increasing (head has %d slots)", keep[i],
                i, h->n);
    if (n_keep == 0) {
        head_free(h);
        return 0;
    }
    // Device heads: the kept rows are gathered into new exact-size buffers, the old ones freed.
    if (h->device && kv_device_gather(h, head_dim, keep, n_keep)) return -1;
    // Indices increase, so an in-place forward copy never overwrites a slot still to be read.
    for (int i = 0; i < n_keep; i++) {
        int j = keep[i];
        if (i == j) continue;
        if (!h->device) {
            memcpy(h->k + (size_t)i * head_dim, h->k + (size_t)j * head_dim, sizeof(float) * head_dim);
            memcpy(h->v + (size_t)i * head_dim, h->v + (size_t)j * head_dim, sizeof(float) * head_dim);
        }
        h->pos[i] = h->pos[j];
        h->chunk[i] = h->chunk[j];
        h->doc[i] = h->doc[j];
    }
    h->n = n_keep;
    if (h->device) metadata_resize(h, n_keep);
    else if (n_keep < h->cap) head_resize(h, head_dim, n_keep);  // evicted slots go back to the allocator
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
            if (kv_device_append(d, h, hd)) return -1;
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

size_t kv_cache_bytes(const kv_cache *c) {
    // host: float32 K and V + 3 ids; device: bf16 K and V + 2 ids there, 3 ids on the host
    size_t per_slot = c->device ? sizeof(uint16_t) * 2 * (size_t)c->head_dim + 5 * sizeof(int32_t)
                                : sizeof(float) * 2 * (size_t)c->head_dim + 3 * sizeof(int32_t);
    size_t t = 0;
    for (int i = 0; i < c->n_layers * c->n_kv_heads; i++) t += (size_t)c->heads[i].cap * per_slot;
    return t;
}
