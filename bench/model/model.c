#include "bench/model/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "kernels/kernels.h"

static int get_int(const gguf_file *g, const char *arch, const char *suffix, int *out, int required, int min, int max) {
    char key[128];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    if (!required && !gguf_find_kv(g, key)) return 0;  // optional and absent: keep the default
    uint64_t v;
    if (gguf_get_u64(g, key, &v, 1)) return -1;  // missing when required, or of the wrong type
    if (v < (uint64_t)min || v > (uint64_t)max)
        return pcb_fail("%s: metadata '%s' = %llu is out of range [%d, %d]", g->path, key, (unsigned long long)v, min,
                        max);
    *out = (int)v;
    return 0;
}

int model_config_from_gguf(const gguf_file *g, model_config *c) {
    memset(c, 0, sizeof *c);
    if (gguf_get_str(g, "general.architecture", c->arch, sizeof c->arch, 1)) return -1;
    if (strcmp(c->arch, "llama") != 0)
        return pcb_fail("%s: architecture '%s' is not supported (supported: llama)", g->path, c->arch);
    if (gguf_get_str(g, "general.name", c->name, sizeof c->name, 0)) snprintf(c->name, sizeof c->name, "(unnamed)");
    const char *a = c->arch;
    if (get_int(g, a, "block_count", &c->n_layers, 1, 1, 1024) ||
        get_int(g, a, "embedding_length", &c->dim, 1, 1, 1 << 16) ||
        get_int(g, a, "attention.head_count", &c->n_heads, 1, 1, 1024) ||
        get_int(g, a, "feed_forward_length", &c->ffn_dim, 1, 1, 1 << 18) ||
        get_int(g, a, "context_length", &c->context_length, 1, 1, 1 << 24))
        return -1;
    c->n_kv_heads = c->n_heads;
    if (get_int(g, a, "attention.head_count_kv", &c->n_kv_heads, 0, 1, 1024)) return -1;
    if (c->dim % c->n_heads)
        return pcb_fail("%s: embedding_length %d is not divisible by head_count %d", g->path, c->dim, c->n_heads);
    if (c->n_heads % c->n_kv_heads)
        return pcb_fail("%s: head_count %d is not a multiple of head_count_kv %d", g->path, c->n_heads, c->n_kv_heads);
    c->head_dim = c->dim / c->n_heads;
    if (c->head_dim % 2 || c->head_dim > 1024)
        return pcb_fail("%s: head dimension %d must be even and <= 1024", g->path, c->head_dim);
    int rope_dims = c->head_dim;
    if (get_int(g, a, "rope.dimension_count", &rope_dims, 0, 1, 1 << 16)) return -1;
    if (rope_dims != c->head_dim)
        return pcb_fail("%s: partial rotary embeddings (rope.dimension_count %d < head dim %d) are not supported",
                        g->path, rope_dims, c->head_dim);
    char key[128];
    c->rope_theta = 10000.0f;
    snprintf(key, sizeof key, "%s.rope.freq_base", a);
    if (gguf_find_kv(g, key) && gguf_get_f32(g, key, &c->rope_theta, 1)) return -1;
    c->norm_eps = 1e-5f;
    snprintf(key, sizeof key, "%s.attention.layer_norm_rms_epsilon", a);
    if (gguf_find_kv(g, key) && gguf_get_f32(g, key, &c->norm_eps, 1)) return -1;
    if (!(c->rope_theta > 0) || !(c->norm_eps > 0) || c->norm_eps > 1)
        return pcb_fail("%s: invalid rope.freq_base %g or layer_norm_rms_epsilon %g", g->path, c->rope_theta,
                        c->norm_eps);
    snprintf(key, sizeof key, "%s.rope.scaling.type", a);
    char scaling[32] = "";
    if (gguf_find_kv(g, key) && gguf_get_str(g, key, scaling, sizeof scaling, 1)) return -1;
    if (scaling[0] && strcmp(scaling, "none") != 0)
        return pcb_fail("%s: rope scaling '%s' is not supported yet", g->path, scaling);
    // vocab size: metadata if present, else the token list; the embedding shape must agree.
    const gguf_kv *toks = gguf_find_kv(g, "tokenizer.ggml.tokens");
    const gguf_tensor *emb = gguf_find_tensor(g, "token_embd.weight");
    if (!emb) return pcb_fail("%s: tensor 'token_embd.weight' is missing", g->path);
    if (emb->n_dims != 2 || emb->ne[0] != (uint64_t)c->dim)
        return pcb_fail("%s: token_embd.weight has shape [%llu, %llu], expected [%d, vocab]", g->path,
                        (unsigned long long)emb->ne[0], (unsigned long long)emb->ne[1], c->dim);
    c->vocab_size = (int)emb->ne[1];
    int meta_vocab = c->vocab_size;
    if (get_int(g, a, "vocab_size", &meta_vocab, 0, 1, 1 << 24)) return -1;
    if (meta_vocab != c->vocab_size)
        return pcb_fail("%s: %s.vocab_size = %d disagrees with token_embd.weight rows %d", g->path, a, meta_vocab,
                        c->vocab_size);
    if (toks && toks->type == GGUF_VAL_ARRAY && toks->n != (uint64_t)c->vocab_size)
        return pcb_fail("%s: tokenizer.ggml.tokens has %llu entries, the embedding has %d rows", g->path,
                        (unsigned long long)toks->n, c->vocab_size);
    c->tied_embeddings = gguf_find_tensor(g, "output.weight") == NULL;
    // Llama-3.1-style frequency scaling comes as a tensor, without a rope.scaling key: running
    // without it would give wrong logits silently.
    if (gguf_find_tensor(g, "rope_freqs.weight"))
        return pcb_fail("%s: tensor 'rope_freqs.weight' (Llama-3.1 RoPE frequency scaling) is not supported yet",
                        g->path);
    return 0;
}

// Finds a tensor, checks its shape (ggml order: ne0 = input/contiguous dim), dequantises it.
// `view` (may be NULL) receives the mapped blocks for decode.
static float *load_tensor_view(model *m, const char *name, int ne0, int ne1, quant_view *view) {
    const gguf_file *g = &m->gguf;
    const gguf_tensor *t = gguf_find_tensor(g, name);
    if (!t) {
        pcb_fail("%s: tensor '%s' is missing", g->path, name);
        return NULL;
    }
    uint64_t want1 = ne1 > 0 ? (uint64_t)ne1 : 1;
    int dims_ok = ne1 > 0 ? t->n_dims == 2 : t->n_dims == 1;
    if (!dims_ok || t->ne[0] != (uint64_t)ne0 || t->ne[1] != want1) {
        pcb_fail("%s: tensor '%s' has shape [%llu, %llu] (%u dims), expected [%d, %llu]", g->path, name,
                 (unsigned long long)t->ne[0], (unsigned long long)t->ne[1], t->n_dims, ne0, (unsigned long long)want1);
        return NULL;
    }
    float *out = pcb_malloc(sizeof(float) * t->n_elements);
    // Row by row, in parallel: load time is dominated by dequantisation.
    uint64_t row_bytes = ggml_row_bytes(t->type, t->ne[0]);
    int64_t rows = (int64_t)(t->n_elements / t->ne[0]);
    int bad = 0;
#pragma omp parallel for reduction(| : bad)
    for (int64_t r = 0; r < rows; r++)
        bad |= dequantize_row(t->type, t->data + r * row_bytes, out + r * (int64_t)t->ne[0], (int64_t)t->ne[0]) != 0;
    if (bad) {
        free(out);
        pcb_fail("%s: tensor '%s' has type %s which cannot be dequantised", g->path, name, ggml_type_name(t->type));
        return NULL;
    }
    m->weight_bytes += sizeof(float) * t->n_elements;
    m->n_tensors_used++;
    if (view) *view = (quant_view){.data = t->data, .type = (int)t->type};
    return out;
}

static float *load_tensor(model *m, const char *name, int ne0, int ne1) {
    return load_tensor_view(m, name, ne0, ne1, NULL);
}

// Names model_load reads: token_embd, output_norm, output, blk.N.{attn,ffn}_*.
static int is_known_tensor(const char *name, int n_layers) {
    static const char *top[] = {"token_embd.weight", "output_norm.weight", "output.weight"};
    static const char *per_layer[] = {"attn_norm", "attn_q",   "attn_k", "attn_v",  "attn_output",
                                      "ffn_norm",  "ffn_gate", "ffn_up", "ffn_down"};
    for (size_t i = 0; i < sizeof top / sizeof *top; i++)
        if (!strcmp(name, top[i])) return 1;
    int l, used = 0;
    char part[64];
    if (sscanf(name, "blk.%d.%63[a-z_].weight%n", &l, part, &used) != 2 || name[used] || l < 0 || l >= n_layers)
        return 0;
    for (size_t i = 0; i < sizeof per_layer / sizeof *per_layer; i++)
        if (!strcmp(part, per_layer[i])) return 1;
    return 0;
}

model *model_load(const char *path) {
    model *m = pcb_calloc(1, sizeof *m);
    if (gguf_open(&m->gguf, path)) {
        free(m);
        return NULL;
    }
    model_config *c = &m->cfg;
    if (model_config_from_gguf(&m->gguf, c)) goto fail;
    int qd = c->n_heads * c->head_dim, kvd = c->n_kv_heads * c->head_dim;
    m->quant_decode = 1;
    quant_view embd_view;
    if (!(m->token_embd = load_tensor_view(m, "token_embd.weight", c->dim, c->vocab_size, &embd_view))) goto fail;
    if (!(m->output_norm = load_tensor(m, "output_norm.weight", c->dim, 0))) goto fail;
    if (c->tied_embeddings) {
        m->output = m->token_embd;
        m->qoutput = embd_view;
    } else if (!(m->output = load_tensor_view(m, "output.weight", c->dim, c->vocab_size, &m->qoutput))) {
        goto fail;
    }
    m->layers = pcb_calloc(c->n_layers, sizeof(layer_weights));
    for (int l = 0; l < c->n_layers; l++) {
        layer_weights *w = &m->layers[l];
        char name[96];
#define LOAD(field, view, suffix, ne0, ne1)                     \
    snprintf(name, sizeof name, "blk.%d.%s.weight", l, suffix); \
    if (!(w->field = load_tensor_view(m, name, ne0, ne1, view))) goto fail;
        LOAD(attn_norm, NULL, "attn_norm", c->dim, 0)
        LOAD(wq, &w->qwq, "attn_q", c->dim, qd)
        LOAD(wk, &w->qwk, "attn_k", c->dim, kvd)
        LOAD(wv, &w->qwv, "attn_v", c->dim, kvd)
        LOAD(wo, &w->qwo, "attn_output", qd, c->dim)
        LOAD(ffn_norm, NULL, "ffn_norm", c->dim, 0)
        LOAD(w_gate, &w->qw_gate, "ffn_gate", c->dim, c->ffn_dim)
        LOAD(w_up, &w->qw_up, "ffn_up", c->dim, c->ffn_dim)
        LOAD(w_down, &w->qw_down, "ffn_down", c->ffn_dim, c->dim)
#undef LOAD
    }
    // A tensor we did not load is part of an architecture we do not implement (biases, extra
    // norms): refuse rather than compute something else.
    if (m->n_tensors_used != m->gguf.n_tensors) {
        for (uint64_t i = 0; i < m->gguf.n_tensors; i++) {
            const gguf_tensor *t = &m->gguf.tensors[i];
            char name[128];
            snprintf(name, sizeof name, "%.*s", (int)(t->name.len > 100 ? 100 : t->name.len), t->name.ptr);
            if (!is_known_tensor(name, c->n_layers)) {
                pcb_fail("%s: tensor '%s' is not used by the %s architecture as implemented", m->gguf.path, name,
                         c->arch);
                goto fail;
            }
        }
    }
    return m;
fail:
    pcb_fail_context("loading model");
    model_free(m);
    return NULL;
}

void model_free(model *m) {
    if (!m) return;
    if (m->free_backend) m->free_backend(m);
    if (m->layers) {
        for (int l = 0; l < m->cfg.n_layers; l++) {
            layer_weights *w = &m->layers[l];
            float *ptrs[] = {w->attn_norm, w->wq, w->wk, w->wv, w->wo, w->ffn_norm, w->w_gate, w->w_up, w->w_down};
            for (size_t i = 0; i < sizeof ptrs / sizeof *ptrs; i++) free(ptrs[i]);
        }
        free(m->layers);
    }
    if (m->output != m->token_embd) free(m->output);
    free(m->token_embd);
    free(m->output_norm);
    gguf_close(&m->gguf);
    free(m);
}
