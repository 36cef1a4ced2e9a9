// `pcbench info`: model config and tensor table, read from the GGUF without loading weights.
#include <stdio.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/cli/cli.h"
#include "bench/engine/backend.h"
#include "bench/model/gguf.h"
#include "bench/model/model.h"

static void help(void) {
    puts(
        "usage: pcbench info [-m MODEL.gguf] [--json]\n\n"
        "Prints the model configuration (from GGUF metadata) and its tensor table.\n"
        "JSON: {file, gguf_version, config:{...}, tensors:[{name,type,shape,bytes}], cuda}");
}

int cmd_info(int argc, char **argv) {
    cli_common c;
    int r = cli_parse("info", argc, argv, &c, NULL, 0, help, NULL, 0, NULL);
    if (r) return r == 1 ? 0 : 2;
    gguf_file g;
    if (cli_model_path_ok(&c) || gguf_open(&g, c.model_path)) return cli_error("info");
    model_config cfg;
    if (model_config_from_gguf(&g, &cfg)) {
        gguf_close(&g);
        return cli_error("info");
    }
    char cuda[256];
    backend_describe_device(cuda, sizeof cuda);
    if (c.json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "file", c.model_path);
        cJSON_AddNumberToObject(o, "gguf_version", g.version);
        cJSON *jc = cJSON_AddObjectToObject(o, "config");
        cJSON_AddStringToObject(jc, "architecture", cfg.arch);
        cJSON_AddStringToObject(jc, "name", cfg.name);
        cJSON_AddNumberToObject(jc, "n_layers", cfg.n_layers);
        cJSON_AddNumberToObject(jc, "dim", cfg.dim);
        cJSON_AddNumberToObject(jc, "n_heads", cfg.n_heads);
        cJSON_AddNumberToObject(jc, "n_kv_heads", cfg.n_kv_heads);
        cJSON_AddNumberToObject(jc, "head_dim", cfg.head_dim);
        cJSON_AddNumberToObject(jc, "ffn_dim", cfg.ffn_dim);
        cJSON_AddNumberToObject(jc, "vocab_size", cfg.vocab_size);
        cJSON_AddNumberToObject(jc, "context_length", cfg.context_length);
        cJSON_AddNumberToObject(jc, "rope_theta", cfg.rope_theta);
        cJSON_AddNumberToObject(jc, "norm_eps", cfg.norm_eps);
        cJSON_AddBoolToObject(jc, "tied_embeddings", cfg.tied_embeddings);
        cJSON *jt = cJSON_AddArrayToObject(o, "tensors");
        for (uint64_t i = 0; i < g.n_tensors; i++) {
            const gguf_tensor *t = &g.tensors[i];
            cJSON *e = cJSON_CreateObject();
            char name[256];
            snprintf(name, sizeof name, "%.*s", (int)t->name.len, t->name.ptr);
            cJSON_AddStringToObject(e, "name", name);
            cJSON_AddStringToObject(e, "type", ggml_type_name(t->type));
            cJSON *sh = cJSON_AddArrayToObject(e, "shape");
            for (uint32_t d = 0; d < t->n_dims; d++) cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)t->ne[d]));
            cJSON_AddNumberToObject(e, "bytes", (double)t->n_bytes);
            cJSON_AddItemToArray(jt, e);
        }
        cJSON_AddStringToObject(o, "cuda", cuda);
        cli_print_json(o);
    } else {
        printf("file            %s (GGUF v%u, %llu tensors, %llu metadata keys)\n", c.model_path, g.version,
               (unsigned long long)g.n_tensors, (unsigned long long)g.n_kv);
        printf("name            %s\narchitecture    %s\n", cfg.name, cfg.arch);
        printf("layers          %d\ndim             %d\nheads           %d (kv heads %d, head dim %d)\n", cfg.n_layers,
               cfg.dim, cfg.n_heads, cfg.n_kv_heads, cfg.head_dim);
        printf("ffn dim         %d\nvocab           %d\ncontext length  %d (trained)\n", cfg.ffn_dim, cfg.vocab_size,
               cfg.context_length);
        printf("rope theta      %g\nnorm eps        %g\ntied embeddings %s\ncuda            %s\n\n", cfg.rope_theta,
               cfg.norm_eps, cfg.tied_embeddings ? "yes" : "no", cuda);
        printf("%-28s %-5s %-16s %12s\n", "tensor", "type", "shape", "bytes");
        for (uint64_t i = 0; i < g.n_tensors; i++) {
            const gguf_tensor *t = &g.tensors[i];
            char shape[64] = "";
            for (uint32_t d = 0; d < t->n_dims; d++) {
                char part[24];
                snprintf(part, sizeof part, d ? "x%llu" : "%llu", (unsigned long long)t->ne[d]);
                strncat(shape, part, sizeof shape - strlen(shape) - 1);
            }
            printf("%-28.*s %-5s %-16s %12llu\n", (int)t->name.len, t->name.ptr, ggml_type_name(t->type), shape,
                   (unsigned long long)t->n_bytes);
        }
    }
    gguf_close(&g);
    return 0;
}
