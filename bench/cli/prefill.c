// `pcbench prefill`: prefill time and peak memory of several methods at several lengths, in
// one process, so speedups are ratios measured side by side (DESIGN decision 18: from token
// ids ready to the first generated token's logits; median of R runs after a warm-up).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/base/paths.h"
#include "bench/base/stats.h"
#include "bench/base/sysinfo.h"
#include "bench/cli/cli.h"
#include "bench/cli/pcomp_knobs.h"
#include "bench/engine/backend.h"
#include "bench/engine/peak_memory.h"
#include "bench/method/pcomp.h"
#include "bench/model/tokenizer.h"
#include "kernels/kernels.h"

#define QUERY_TOKENS 32

static void help(void) {
    printf(
        "usage: pcbench prefill --lengths N[,N...] [--methods M[,M...]] [--runs R] [--text FILE] [knobs]\n"
        "                       [-m MODEL.gguf] [-t THREADS] [--backend cpu|cuda]\n"
        "                       [--random-model SHAPE [--seed S]] [--json]\n\n"
        "For each length N: the first N tokens of FILE (default a PG19 book) — a document of N - %d\n"
        "tokens and a %d-token question — go through each method (default full-untruncated,pcw,\n"
        "parallelcomp); the time from token ids to the first answer token's logits is the median of R\n"
        "runs (default 3; 1 at >= 16384 tokens) after a warm-up. Peak RSS is reset before each\n"
        "method (Linux clear_refs), and the largest KV-cache allocation is tracked exactly.\n"
        "Other knobs apply to every method. A text shorter than N tokens is repeated (noted on stderr).\n"
        "--random-model SHAPE (with --backend cuda; shapes: %s) runs a model of that shape\n"
        "with random weights made on the GPU, for speed at scales whose weights we do not ship; the\n"
        "tokenizer still comes from -m. On the GPU the peak device memory is reset per method too.\n\n%s\n"
        "JSON lines: {method, tokens, runs, prefill_ms, speedup (vs the first method at that length),\n"
        "peak_rss_bytes, kv_peak_bytes, peak_device_bytes, chunks, kept_chunks, threads, backend, model}.\n",
        QUERY_TOKENS, QUERY_TOKENS, model_random_shapes(), PCOMP_KNOBS_HELP);
}

static int split_list(char *s, char **out, int cap) {
    int n = 0;
    for (char *t = strtok(s, ","); t && n < cap; t = strtok(NULL, ",")) out[n++] = t;
    return n;
}

int cmd_prefill(int argc, char **argv) {
    cli_common c;
    pcomp_knobs k;
    const char *lengths_s = NULL, *methods_s = "full-untruncated,pcw,parallelcomp", *text_path = NULL;
    const char *random_shape = NULL;
    long runs = 3, seed = 1;
    cli_opt opts[PCOMP_KNOB_COUNT + 6];
    pcomp_knobs_init(&k, opts);
    const cli_opt own[] = {
        {"--lengths", NULL, OPT_STRING, &lengths_s, 0, 0},
        {"--methods", NULL, OPT_STRING, &methods_s, 0, 0},
        {"--runs", NULL, OPT_INT, &runs, 1, 100},
        {"--text", NULL, OPT_STRING, &text_path, 0, 0},
        {"--random-model", NULL, OPT_STRING, &random_shape, 0, 0},
        {"--seed", NULL, OPT_INT, &seed, 0, 1e9},
    };
    memcpy(opts + PCOMP_KNOB_COUNT, own, sizeof own);
    int r = cli_parse("prefill", argc, argv, &c, opts, PCOMP_KNOB_COUNT + 6, help, NULL, 0, NULL);
    if (r) return r == 1 ? 0 : 2;
    char default_text[4096];
    if (!(text_path = pcb_data_path_or(text_path, PCB_DEFAULT_TEXT, default_text, sizeof default_text)))
        return cli_error("prefill");
    if (random_shape && !c.cuda) {
        fprintf(stderr, "pcbench prefill: --random-model needs --backend cuda\n");
        return 2;
    }
    if (!lengths_s) {
        fprintf(stderr, "pcbench prefill: --lengths is required (see --help)\n");
        return 2;
    }
    char *ls = pcb_strdup(lengths_s), *ms = pcb_strdup(methods_s), *len_items[32], *method_items[METHOD_COUNT];
    int n_len = split_list(ls, len_items, 32), n_methods = split_list(ms, method_items, METHOD_COUNT), rc = 1;
    long lengths[32];
    pcomp_options o[METHOD_COUNT];
    for (int i = 0; i < n_len; i++) {
        char *end;
        lengths[i] = strtol(len_items[i], &end, 10);
        if (*end || lengths[i] <= QUERY_TOKENS + 1) {
            fprintf(stderr, "pcbench prefill: --lengths item '%s' must be an integer > %d\n", len_items[i],
                    QUERY_TOKENS + 1);
            return free(ls), free(ms), 2;
        }
    }
    for (int i = 0; i < n_methods; i++) {
        k.text[KNOB_METHOD] = method_items[i];
        if (pcomp_knobs_apply(&k, &o[i])) {
            fprintf(stderr, "pcbench prefill: %s\n", pcb_last_error());
            return free(ls), free(ms), 2;
        }
        o[i].max_new_tokens = 1;
    }
    kernels_set_num_threads(c.threads);
    gguf_file tok_file = {0};
    model *m = random_shape ? model_random_cuda(random_shape, (uint64_t)seed) : cli_load_model(&c);
    int tok_open = m && random_shape && !cli_model_path_ok(&c) ? gguf_open(&tok_file, c.model_path) == 0 : 0;
    tokenizer *tok = !m ? NULL : tokenizer_from_gguf(random_shape ? &tok_file : &m->gguf);
    size_t text_len;
    char *text = tok ? read_text_file(text_path, &text_len) : NULL;
    int32_t *ids = NULL;
    size_t n_ids = 0;
    if (!text || tokenizer_encode(tok, text, text_len, 0, &ids, &n_ids) || n_ids == 0) goto out;
    long longest = 0;
    for (int li = 0; li < n_len; li++) longest = lengths[li] > longest ? lengths[li] : longest;
    if ((long)n_ids < longest) {  // repeat the text: speed does not depend on what the tokens say
        fprintf(stderr, "pcbench prefill: %s has %zu tokens; repeated to %ld\n", text_path, n_ids, longest);
        ids = pcb_realloc(ids, sizeof(int32_t) * longest);
        for (long i = (long)n_ids; i < longest; i++) ids[i] = ids[i % n_ids];
        n_ids = (size_t)longest;
    }
    {  // warm-up: page in the weights, spin up the thread pool
        pcomp_input in;
        pcomp_input_from_tokens(tok, ids, 480, ids + 480, QUERY_TOKENS, &in);
        pcomp_options w = o[0];
        w.method = METHOD_FULL;
        pcomp_state st;
        pcomp_result res;
        int bad = pcomp_prefill(m, &in, &w, &st, &res);
        pcomp_state_free(&st), pcomp_result_free(&res), pcomp_input_free(&in);
        if (bad) goto out;
    }
    if (!c.json)
        printf("%-18s %7s %4s %11s %8s %10s %10s %7s\n", "method", "tokens", "runs", "prefill ms", "speedup",
               "peak RSS", "KV peak", "chunks");
    for (int li = 0; li < n_len; li++) {
        int n = (int)lengths[li], reps = n >= 16384 && runs > 1 ? 1 : (int)runs;
        double base_ms = 0;
        for (int mi = 0; mi < n_methods; mi++) {
            double times[100];
            size_t peak = 0, kv_peak = 0, dev_peak = 0;
            int chunks = 0, kept = 0;
            for (int rep = 0; rep < reps; rep++) {
                pcomp_input in;
                pcomp_input_from_tokens(tok, ids, n - QUERY_TOKENS, ids + n - QUERY_TOKENS, QUERY_TOKENS, &in);
                peak_memory_reset(m);
                pcomp_state st;
                pcomp_result res;
                int bad = pcomp_prefill(m, &in, &o[mi], &st, &res);
                size_t p = peak_rss_bytes(), dp = peak_device_bytes(m);
                if (p > peak) peak = p;
                if (dp > dev_peak) dev_peak = dp;
                times[rep] = res.prefill_ms, kv_peak = res.kv_peak_bytes, chunks = res.n_chunks, kept = res.n_kept;
                pcomp_state_free(&st), pcomp_result_free(&res), pcomp_input_free(&in);
                if (bad) {
                    pcb_fail_context("%s at %d tokens", method_items[mi], n);
                    goto out;
                }
            }
            double ms = pcb_median(times, reps);
            if (mi == 0) base_ms = ms;
            if (c.json) {
                cJSON *j = cJSON_CreateObject();
                cJSON_AddStringToObject(j, "method", method_items[mi]);
                cJSON_AddNumberToObject(j, "tokens", n);
                cJSON_AddNumberToObject(j, "runs", reps);
                cJSON_AddNumberToObject(j, "prefill_ms", ms);
                cJSON_AddNumberToObject(j, "speedup", base_ms / ms);
                cJSON_AddNumberToObject(j, "peak_rss_bytes", (double)peak);
                cJSON_AddNumberToObject(j, "kv_peak_bytes", (double)kv_peak);
                cJSON_AddNumberToObject(j, "chunks", chunks);
                cJSON_AddNumberToObject(j, "kept_chunks", kept);
                cJSON_AddNumberToObject(j, "threads", kernels_num_threads());
                cJSON_AddNumberToObject(j, "peak_device_bytes", (double)dev_peak);
                cJSON_AddStringToObject(j, "backend", backend_name(m));
                cJSON_AddStringToObject(j, "model", random_shape ? m->cfg.name : c.model_path);
                cli_print_json(j);
            } else
                printf("%-18s %7d %4d %11.0f %7.2fx %7.0f MiB %6.0f MiB %3d/%-3d%s\n", method_items[mi], n, reps, ms,
                       base_ms / ms, (backend_on_device(m) ? dev_peak : peak) / 1048576.0, kv_peak / 1048576.0, kept,
                       chunks, backend_on_device(m) ? " (device peak)" : "");
            fflush(stdout);
        }
    }
    rc = 0;
out:
    if (rc) cli_error("prefill");
    free(ids), free(text), free(ls), free(ms);
    tokenizer_free(tok);
    if (tok_open) gguf_close(&tok_file);
    model_free(m);
    return rc;
}
