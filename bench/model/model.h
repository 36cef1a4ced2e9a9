// Model: config read from GGUF metadata and weights dequantised to float32 at load.
// Llama architecture (SmolLM2, Llama-2/3): RMSNorm, RoPE, GQA attention, SwiGLU MLP.
#ifndef PCB_MODEL_H
#define PCB_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "bench/model/gguf.h"

typedef struct {
    char arch[32];
    char name[128];
    int n_layers;
    int dim;         // embedding width
    int n_heads;     // query heads
    int n_kv_heads;  // key/value heads (GQA groups)
    int head_dim;    // dim / n_heads
    int ffn_dim;
    int vocab_size;
    int context_length;  // trained context (llama.context_length)
    float rope_theta;
    float norm_eps;
    int tied_embeddings;  // output projection shares token_embd
} model_config;

// A weight matrix as stored in the GGUF (mapped, not copied): decode reads these blocks
// directly when the type allows (kernels matvec_quant), prefill uses the float32 copy.
typedef struct {
    const uint8_t *data;
    int type;  // ggml type
} quant_view;

typedef struct {
    float *attn_norm;  // [dim]
    float *wq;         // [n_heads*head_dim, dim]   (rows = outputs)
    float *wk;         // [n_kv_heads*head_dim, dim]
    float *wv;         // [n_kv_heads*head_dim, dim]
    float *wo;         // [dim, n_heads*head_dim]
    float *ffn_norm;   // [dim]
    float *w_gate;     // [ffn_dim, dim]
    float *w_up;       // [ffn_dim, dim]
    float *w_down;     // [dim, ffn_dim]
    quant_view qwq, qwk, qwv, qwo, qw_gate, qw_up, qw_down;
} layer_weights;

typedef struct backend_ops backend_ops;  // bench/engine/backend.h

typedef struct model {
    model_config cfg;
    float *token_embd;   // [vocab, dim]
    float *output_norm;  // [dim]
    float *output;       // [vocab, dim] (== token_embd when tied)
    quant_view qoutput;
    layer_weights *layers;
    gguf_file gguf;       // kept open: tokenizer metadata, info
    size_t weight_bytes;  // float32 bytes held
    uint64_t n_tensors_used;
    int quant_decode;  // 1 (default): single-row matmuls read the GGUF blocks directly
    // The engine that runs the model, chosen once after loading (bench/engine/backend.h's
    // backend_select; NULL: the CPU), and that engine's own copy of the weights, which
    // free_backend releases. The model room knows no engine.
    const backend_ops *backend;
    void *backend_weights;
    void (*free_backend)(struct model *m);
} model;

// Loads and validates (tensor presence, types, shapes against the config). Returns NULL with
// pcb_last_error() naming the file and the problem.
model *model_load(const char *path);
void model_free(model *m);
// Reads only the config from an open GGUF (used by `info` and by model_load).
int model_config_from_gguf(const gguf_file *g, model_config *cfg);

#endif
