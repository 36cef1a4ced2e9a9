// `pcbench ppl`: perplexity of text files, fixed windows (protocol in perplexity.h).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/base/error.h"
#include "bench/cli/cli.h"
#include "bench/cli/pcomp_knobs.h"
#include "bench/method/perplexity.h"
#include "bench/model/model.h"
#include "bench/model/tokenizer.h"
#include "kernels/kernels.h"

static void help(void) {
    printf(
        "usage: pcbench ppl [--ctx N] [--max-tokens M] [--method M [knobs]] [-m MODEL.gguf] [-t THREADS]\n"
        "                   [--json] FILE...\n\n"
        "Perplexity of UTF-8 text files. Each file is tokenized whole (no BOS) and split into\n"
        "consecutive non-overlapping windows of N tokens (stride = N, default 2048); a final partial\n"
        "window counts when it has >= 2 tokens; every window starts from an empty cache at position 0\n"
        "and all its tokens but the first are predicted. Files are pooled: PPL = exp(total NLL /\n"
        "predicted tokens). --max-tokens keeps only the first M tokens of each file.\n"
        "\n"
        "With --method the windows are measured under a method (DESIGN.md, decision 18): each whole\n"
        "window of N tokens is document + query (--query-tokens, default 32) + continuation\n"
        "(--continuation, default 512); the document is chunked / evicted / truncated by the method, the\n"
        "query follows as the question, and only the continuation is predicted, so every method is\n"
        "scored on the same tokens.\n\n%s\n"
        "JSON: {ppl, tokens, windows, ctx, stride, method, files:[{file, ppl, tokens}], seconds}.\n",
        PCOMP_KNOBS_HELP);
}

static void progress(void *user, long done, long total) {
    if (isatty(2)) fprintf(stderr, "\r  %s: %ld / %ld tokens", (const char *)user, done, total);
}

int cmd_ppl(int argc, char **argv) {
    cli_common c;
    long ctx = 2048, max_tokens = 0, n_query = 32, n_cont = 512;
    const char **files = calloc(argc, sizeof *files);
    int n_files = 0;
    pcomp_knobs k;
    cli_opt opts[PCOMP_KNOB_COUNT + 4];
    pcomp_knobs_init(&k, opts);
    const cli_opt own[] = {
        {"--ctx", NULL, OPT_INT, &ctx, 2, 1 << 24},
        {"--max-tokens", NULL, OPT_INT, &max_tokens, 2, 1L << 30},
        {"--query-tokens", NULL, OPT_INT, &n_query, 1, 1 << 20},
        {"--continuation", NULL, OPT_INT, &n_cont, 1, 1 << 20},
    };
    memcpy(opts + PCOMP_KNOB_COUNT, own, sizeof own);
    int r = cli_parse("ppl", argc, argv, &c, opts, PCOMP_KNOB_COUNT + 4, help, files, argc, &n_files);
    if (r) return free(files), r == 1 ? 0 : 2;
    pcomp_options po;
    const char *method = k.text[KNOB_METHOD];  // no --method: the plain window protocol
    if (!method) k.text[KNOB_METHOD] = "full";
    if (pcomp_knobs_apply(&k, &po)) {
        fprintf(stderr, "pcbench ppl: %s\n", pcb_last_error());
        return free(files), 2;
    }
    if (!n_files) {
        fprintf(stderr, "pcbench ppl: give at least one text file (see --help)\n");
        return free(files), 2;
    }
    kernels_set_num_threads(c.threads);
    model *m = cli_load_model(&c);
    if (!m) return free(files), cli_error("ppl");
    tokenizer *tok = tokenizer_from_gguf(&m->gguf);
    if (!tok) return free(files), model_free(m), cli_error("ppl");
    if (ctx > m->cfg.context_length)
        fprintf(stderr, "pcbench ppl: note: --ctx %ld exceeds the trained context %d (extrapolation)\n", ctx,
                m->cfg.context_length);
    ppl_stats total = {0};
    cJSON *jfiles = cJSON_CreateArray();
    int rc = 0;
    for (int f = 0; f < n_files && !rc; f++) {
        size_t len;
        char *text = read_text_file(files[f], &len);
        int32_t *ids = NULL;
        size_t n = 0;
        if (!text || tokenizer_encode(tok, text, len, 0, &ids, &n)) {
            rc = -1;
        } else {
            if (max_tokens && (long)n > max_tokens) n = (size_t)max_tokens;
            ppl_stats one = {0};
            int32_t bos = tokenizer_add_bos(tok) ? tokenizer_bos(tok) : -1;
            if (method)
                rc = perplexity_method_accumulate(m, tok, ids, (long)n, (int)ctx, (int)n_query, (int)n_cont, &po, &one,
                                                  c.json ? NULL : progress, (void *)files[f]);
            else
                rc = perplexity_accumulate(m, ids, (long)n, (int)ctx, bos, &one, c.json ? NULL : progress,
                                           (void *)files[f]);
            if (rc) pcb_fail_context("%s", files[f]);
            if (!rc) {
                if (!c.json) fprintf(stderr, "%s", isatty(2) ? "\n" : "");
                if (!c.json)
                    printf("%-60s ppl %8.4f  (%ld predicted tokens, %d windows)\n", files[f], ppl_value(&one),
                           one.n_predicted, one.n_windows);
                cJSON *e = cJSON_CreateObject();
                cJSON_AddStringToObject(e, "file", files[f]);
                cJSON_AddNumberToObject(e, "ppl", ppl_value(&one));
                cJSON_AddNumberToObject(e, "tokens", (double)one.n_predicted);
                cJSON_AddItemToArray(jfiles, e);
                total.nll_sum += one.nll_sum;
                total.n_predicted += one.n_predicted;
                total.n_windows += one.n_windows;
                total.ms += one.ms;
            }
        }
        free(ids);
        free(text);
    }
    if (rc) {
        cJSON_Delete(jfiles);
        cli_error("ppl");
    } else if (c.json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "ppl", ppl_value(&total));
        cJSON_AddNumberToObject(o, "tokens", (double)total.n_predicted);
        cJSON_AddNumberToObject(o, "windows", total.n_windows);
        cJSON_AddNumberToObject(o, "ctx", (double)ctx);
        cJSON_AddNumberToObject(o, "stride", (double)ctx);
        cJSON_AddStringToObject(o, "method", method ? method : "windows");
        if (method) {
            cJSON_AddNumberToObject(o, "query_tokens", (double)n_query);
            cJSON_AddNumberToObject(o, "continuation", (double)n_cont);
        }
        cJSON_AddItemToObject(o, "files", jfiles);
        cJSON_AddNumberToObject(o, "seconds", total.ms / 1e3);
        cli_print_json(o);
    } else {
        cJSON_Delete(jfiles);
        printf("pooled ppl %.4f over %ld predicted tokens (%d windows of %ld, stride %ld%s%s) in %.1f s\n",
               ppl_value(&total), total.n_predicted, total.n_windows, ctx, ctx, method ? ", method " : "",
               method ? method : "", total.ms / 1e3);
    }
    tokenizer_free(tok);
    model_free(m);
    free(files);
    return rc ? 1 : 0;
}
