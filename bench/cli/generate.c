// `pcbench generate`: text generation on the model (greedy by default).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/cli/cli.h"
#include "bench/engine/generate.h"
#include "bench/model/model.h"
#include "bench/model/tokenizer.h"
#include "kernels/kernels.h"

static void help(void) {
    puts(
        "usage: pcbench generate -p TEXT [--chat] [--system TEXT] [-n N] [--temp T] [--seed S]\n"
        "                        [-m MODEL.gguf] [-t THREADS] [--json]\n\n"
        "  -p, --prompt TEXT  prompt text (required)\n"
        "  --chat             wrap the prompt in the model's ChatML template (user turn)\n"
        "  --system TEXT      system message for --chat (default: the template's own)\n"
        "  -n N               max new tokens (default 128)\n"
        "  --temp T           sampling temperature (default 0 = greedy)\n"
        "  --seed S           RNG seed for sampling (default 1)\n\n"
        "Stops on EOS or <|im_end|>. JSON: {text, tokens, prompt_tokens, stopped, prefill_ms,\n"
        "decode_ms, decode_tok_s}.");
}

int cmd_generate(int argc, char **argv) {
    cli_common c;
    const char *prompt = NULL, *system = NULL;
    int chat = 0;
    long n_new = 128;
    double temp = 0;
    long seed = 1;
    const cli_opt opts[] = {
        {"--prompt", "-p", OPT_STRING, &prompt, 0, 0}, {"--system", NULL, OPT_STRING, &system, 0, 0},
        {"--chat", NULL, OPT_FLAG, &chat, 0, 0},       {"-n", NULL, OPT_INT, &n_new, 1, 1 << 20},
        {"--temp", NULL, OPT_DOUBLE, &temp, 0, 100},   {"--seed", NULL, OPT_INT, &seed, 0, 9007199254740992.0},
    };
    int r = cli_parse("generate", argc, argv, &c, opts, sizeof opts / sizeof *opts, help, NULL, 0, NULL);
    if (r) return r == 1 ? 0 : 2;
    if (!prompt) {
        fprintf(stderr, "pcbench generate: -p/--prompt is required (see --help)\n");
        return 2;
    }
    if (system && !chat) {
        fprintf(stderr, "pcbench generate: --system needs --chat\n");
        return 2;
    }
    kernels_set_num_threads(c.threads);
    model *m = cli_load_model(&c);
    if (!m) return cli_error("generate");
    tokenizer *tok = tokenizer_from_gguf(&m->gguf);
    if (!tok) {
        model_free(m);
        return cli_error("generate");
    }
    int rc = 1;
    int32_t *ids = NULL, *prompt_ids = NULL;
    size_t n_ids = 0;
    char *text = NULL;
    generate_result res = {0};
    char *formatted = chat ? tokenizer_chat_prompt(tok, system, prompt) : NULL;
    if (tokenizer_encode(tok, chat ? formatted : prompt, strlen(chat ? formatted : prompt), chat, &ids, &n_ids))
        goto out;
    // BOS only where the model asks for it (tokenizer.ggml.add_bos_token); SmolLM2 does not.
    int bos = tokenizer_add_bos(tok) && tokenizer_bos(tok) >= 0;
    prompt_ids = pcb_malloc(sizeof(int32_t) * (n_ids + 1));
    if (bos) prompt_ids[0] = tokenizer_bos(tok);
    memcpy(prompt_ids + bos, ids, sizeof(int32_t) * n_ids);
    int n_prompt = (int)n_ids + bos;
    if (n_prompt == 0) {
        pcb_fail("the prompt encodes to no tokens");
        goto out;
    }
    int32_t stops[2];
    int n_stop = tokenizer_stop_ids(tok, stops);
    if (n_prompt + n_new > m->cfg.context_length)
        fprintf(stderr,
                "pcbench generate: note: %d prompt + %ld new tokens exceed the trained context %d "
                "(positions beyond it extrapolate)\n",
                n_prompt, n_new, m->cfg.context_length);
    generate_options opt = {.max_new_tokens = (int)n_new, .stop_ids = stops, .n_stop = n_stop};
    sampler_init(&opt.smp, (float)temp, (uint64_t)seed);
    if (generate(m, prompt_ids, n_prompt, &opt, &res)) goto out;
    text = tokenizer_decode(tok, res.tokens, res.n_tokens, 0);
    double tok_s = res.n_forward ? res.n_forward / (res.decode_ms / 1e3) : 0;
    if (c.json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "text", text);
        cJSON *jt = cJSON_AddArrayToObject(o, "tokens");
        for (int i = 0; i < res.n_tokens; i++) cJSON_AddItemToArray(jt, cJSON_CreateNumber(res.tokens[i]));
        cJSON_AddNumberToObject(o, "prompt_tokens", n_prompt);
        cJSON_AddBoolToObject(o, "stopped", res.stopped);
        cJSON_AddNumberToObject(o, "prefill_ms", res.prefill_ms);
        cJSON_AddNumberToObject(o, "decode_ms", res.decode_ms);
        cJSON_AddNumberToObject(o, "decode_tok_s", tok_s);
        cli_print_json(o);
    } else {
        printf("%s\n", text);
        fprintf(stderr, "[%d prompt tokens, %d new, prefill %.0f ms, decode %.1f tok/s%s]\n", n_prompt, res.n_tokens,
                res.prefill_ms, tok_s, res.stopped ? "" : ", hit -n limit");
    }
    rc = 0;
out:
    if (rc) cli_error("generate");
    free(text);
    free(formatted);
    free(ids);
    free(prompt_ids);
    generate_result_free(&res);
    tokenizer_free(tok);
    model_free(m);
    return rc;
}
