// The CUDA engine's entry: whether a GPU is usable, a model's weights copied there (or random
// ones made there), its device memory counters; forward_cuda.c runs the forward pass.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/engine/backend_internal.h"
#include "bench/engine/cuda_internal.h"
#include "kernels/kernels_cuda.h"

static size_t weight_bytes(const model *m) {
    const cuda_weights *w = m->backend_weights;
    return w ? w->bytes : 0;
}

const backend_ops backend_cuda = {.kind = BACKEND_CUDA,
                                  .name = "cuda",
                                  .on_device = 1,
                                  .forward = forward_cuda,
                                  .weight_bytes = weight_bytes,
                                  .peak_reset = kcuda_peak_reset,
                                  .peak_bytes = kcuda_peak_bytes};

int cuda_available(char *why, size_t cap) {
    if (kcuda_init() == 0) return 1;
    snprintf(why, cap, "%s", kcuda_error());
    return 0;
}

void backend_describe_device(char *out, size_t cap) { kcuda_describe(out, cap); }

static bf16_t *upload_matrix(const float *host, size_t n, int *rc) {
    if (*rc) return NULL;
    bf16_t *d = kcuda_malloc(sizeof(bf16_t) * n);
    if (!d || kcuda_upload_bf16(d, host, n)) *rc = -1;
    return d;
}

static float *upload_f32(const float *host, size_t n, int *rc) {
    if (*rc) return NULL;
    float *d = kcuda_malloc(sizeof(float) * n);
    if (!d || kcuda_upload(d, host, sizeof(float) * n)) *rc = -1;
    return d;
}

static cuda_weights *weights_new(const model_config *c) {
    cuda_weights *w = pcb_calloc(1, sizeof *w);
    w->layers = pcb_calloc(c->n_layers, sizeof *w->layers);
    w->n_layers = c->n_layers;
    w->tied = c->tied_embeddings;
    return w;
}

static size_t layer_matrix_elems(const model_config *c, size_t *sizes) {
    size_t qd = (size_t)c->n_heads * c->head_dim, kvd = (size_t)c->n_kv_heads * c->head_dim;
    sizes[0] = qd * c->dim, sizes[1] = kvd * c->dim, sizes[2] = kvd * c->dim, sizes[3] = (size_t)c->dim * qd;
    sizes[4] = (size_t)c->ffn_dim * c->dim, sizes[5] = (size_t)c->ffn_dim * c->dim,
    sizes[6] = (size_t)c->dim * c->ffn_dim;
    return sizes[0] + sizes[1] + sizes[2] + sizes[3] + sizes[4] + sizes[5] + sizes[6];
}

static void weights_free(model *m) {
    cuda_weights *w = m->backend_weights;
    if (!w) return;
    kcuda_sync();
    for (int l = 0; l < w->n_layers; l++) {
        kcuda_free(w->layers[l].attn_norm), kcuda_free(w->layers[l].ffn_norm);
        for (int i = 0; i < 7; i++) kcuda_free(w->layers[l].mat[i]);
    }
    if (w->output != w->token_embd) kcuda_free(w->output);
    kcuda_free(w->token_embd);
    kcuda_free(w->output_norm);
    free(w->layers);
    free(w);
    m->backend = NULL, m->backend_weights = NULL, m->free_backend = NULL;  // back on the CPU
}

// The engine runs the model from here on; weights_free undoes that (model_free calls it).
static void attach(model *m, cuda_weights *w) {
    m->backend = &backend_cuda;
    m->backend_weights = w;
    m->free_backend = weights_free;
}

int cuda_select(model *m) {
    if (kcuda_init()) return pcb_fail("%s", kcuda_error());
    const model_config *c = &m->cfg;
    size_t before = kcuda_bytes_in_use(), sizes[7];
    layer_matrix_elems(c, sizes);
    cuda_weights *w = weights_new(c);
    int rc = 0;
    w->token_embd = upload_matrix(m->token_embd, (size_t)c->vocab_size * c->dim, &rc);
    w->output = c->tied_embeddings ? w->token_embd : upload_matrix(m->output, (size_t)c->vocab_size * c->dim, &rc);
    w->output_norm = upload_f32(m->output_norm, c->dim, &rc);
    for (int l = 0; l < c->n_layers && !rc; l++) {
        const layer_weights *h = &m->layers[l];
        cuda_layer *d = &w->layers[l];
        d->attn_norm = upload_f32(h->attn_norm, c->dim, &rc);
        d->ffn_norm = upload_f32(h->ffn_norm, c->dim, &rc);
        const float *src[7] = {h->wq, h->wk, h->wv, h->wo, h->w_gate, h->w_up, h->w_down};
        for (int i = 0; i < 7; i++) d->mat[i] = upload_matrix(src[i], sizes[i], &rc);
    }
    w->bytes = kcuda_bytes_in_use() - before;
    attach(m, w);
    if (rc) {
        weights_free(m);
        return pcb_fail("%s: moving the weights to the GPU: %s", m->gguf.path[0] ? m->gguf.path : "model",
                        kcuda_error());
    }
    return 0;
}

typedef struct {
    const char *name;
    model_config cfg;
} random_shape;

static const random_shape shapes[] = {
    {"llama3-8b",
     {.arch = "llama",
      .name = "random Llama-3-8B shape",
      .n_layers = 32,
      .dim = 4096,
      .n_heads = 32,
      .n_kv_heads = 8,
      .head_dim = 128,
      .ffn_dim = 14336,
      .vocab_size = 128256,
      .context_length = 8192,
      .rope_theta = 500000.0f,
      .norm_eps = 1e-5f}},
    {"smollm2-135m",
     {.arch = "llama",
      .name = "random SmolLM2-135M shape",
      .n_layers = 30,
      .dim = 576,
      .n_heads = 9,
      .n_kv_heads = 3,
      .head_dim = 64,
      .ffn_dim = 1536,
      .vocab_size = 49152,
      .context_length = 8192,
      .rope_theta = 100000.0f,
      .norm_eps = 1e-5f,
      .tied_embeddings = 1}},
};

const char *model_random_shapes(void) { return "llama3-8b, smollm2-135m"; }

static bf16_t *random_matrix(size_t n, uint64_t seed, float scale, int *rc) {
    if (*rc) return NULL;
    bf16_t *d = kcuda_malloc(sizeof(bf16_t) * n);
    if (!d || kcuda_fill_random_bf16(d, n, seed, scale)) *rc = -1;
    return d;
}

static float *ones(size_t n, int *rc) {
    if (*rc) return NULL;
    float *d = kcuda_malloc(sizeof(float) * n);
    if (!d || kcuda_fill_f32(d, n, 1.0f)) *rc = -1;
    return d;
}

model *model_random_cuda(const char *shape, uint64_t seed) {
    const random_shape *s = NULL;
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
        if (!strcmp(shapes[i].name, shape)) s = &shapes[i];
    if (!s) {
        pcb_fail("unknown random model shape '%s' (known: %s)", shape, model_random_shapes());
        return NULL;
    }
    if (kcuda_init()) {
        pcb_fail("%s", kcuda_error());
        return NULL;
    }
    model *m = pcb_calloc(1, sizeof *m);
    m->cfg = s->cfg;
    const model_config *c = &m->cfg;
    size_t before = kcuda_bytes_in_use(), sizes[7];
    layer_matrix_elems(c, sizes);
    cuda_weights *w = weights_new(c);
    int rc = 0;
    // Uniform(+-1/sqrt(d_in)) keeps activations O(1) through the layers, like a trained net.
    w->token_embd = random_matrix((size_t)c->vocab_size * c->dim, seed, 1.0f, &rc);
    w->output =
        c->tied_embeddings ? w->token_embd : random_matrix((size_t)c->vocab_size * c->dim, seed + 1, 0.02f, &rc);
    w->output_norm = ones(c->dim, &rc);
    for (int l = 0; l < c->n_layers && !rc; l++) {
        cuda_layer *d = &w->layers[l];
        d->attn_norm = ones(c->dim, &rc), d->ffn_norm = ones(c->dim, &rc);
        for (int i = 0; i < 7; i++) {
            int d_in = i == 3 ? c->n_heads * c->head_dim : i == 6 ? c->ffn_dim : c->dim;
            d->mat[i] = random_matrix(sizes[i], seed + 100 + 7 * (uint64_t)l + i, 1.0f / sqrtf((float)d_in), &rc);
        }
    }
    w->bytes = kcuda_bytes_in_use() - before;
    attach(m, w);
    if (rc) {
        pcb_fail("random %s model on the GPU: %s", shape, kcuda_error());
        model_free(m);
        return NULL;
    }
    return m;
}
