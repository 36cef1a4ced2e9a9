// `pcbench tokenize`: token ids of a text, for checking the tokenizer by hand.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/cli/cli.h"
#include "bench/model/gguf.h"
#include "bench/model/tokenizer.h"

static void help(void) {
    puts(
        "usage: pcbench tokenize (-p TEXT | -f FILE) [--special] [-m MODEL.gguf] [--json]\n\n"
        "Prints the token ids of the text (no BOS). --special matches special tokens such as\n"
        "<|im_start|> in the text. JSON: {tokens:[...], n}.");
}

int cmd_tokenize(int argc, char **argv) {
    cli_common c;
    const char *text = NULL, *file = NULL;
    int special = 0;
    const cli_opt opts[] = {
        {"--prompt", "-p", OPT_STRING, &text, 0, 0},
        {"--file", "-f", OPT_STRING, &file, 0, 0},
        {"--special", NULL, OPT_FLAG, &special, 0, 0},
    };
    int r = cli_parse("tokenize", argc, argv, &c, opts, 3, help, NULL, 0, NULL);
    if (r) return r == 1 ? 0 : 2;
    if (!text == !file) {
        fprintf(stderr, "pcbench tokenize: give exactly one of -p TEXT or -f FILE\n");
        return 2;
    }
    gguf_file g;
    if (cli_model_path_ok(&c) || gguf_open(&g, c.model_path)) return cli_error("tokenize");
    tokenizer *tok = tokenizer_from_gguf(&g);
    size_t len = 0;
    char *buf = NULL;
    int32_t *ids = NULL;
    size_t n = 0;
    int rc = 1;
    if (tok && (text || (buf = read_text_file(file, &len)))) {
        if (text) len = strlen(text);
        if (!tokenizer_encode(tok, text ? text : buf, len, special, &ids, &n)) rc = 0;
    }
    if (rc) {
        cli_error("tokenize");
    } else if (c.json) {
        cJSON *o = cJSON_CreateObject();
        cJSON *a = cJSON_AddArrayToObject(o, "tokens");
        for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(ids[i]));
        cJSON_AddNumberToObject(o, "n", (double)n);
        cli_print_json(o);
    } else {
        for (size_t i = 0; i < n; i++) printf("%s%d", i ? " " : "", ids[i]);
        printf("\n");
    }
    free(ids);
    free(buf);
    tokenizer_free(tok);
    gguf_close(&g);
    return rc;
}
