// `pcbench speed`: prefill and decode throughput of the engine, median of several runs, and
// the process's peak RSS. `make bench` runs it once per (threads, length) in fresh processes so
// each row's peak memory is its own.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "forward.h"
#include "kernels.h"
#include "model.h"
#include "sampler.h"
#include "sysinfo.h"
#include "tokenizer.h"

#define DEFAULT_TEXT "../shared/data/text/pg19/pg19_10985_infant_system.txt"

static void help(void) {
    puts("usage: pcbench speed [--prefill N] [--decode D] [--runs R] [--text FILE] [-m MODEL] [-t T] [--json]\n\n"
         "Prefill: N tokens of real text (default 512; FILE defaults to a PG19 book) in one forward\n"
         "call from an empty cache, until the last row's logits; median of R runs (default 3) after\n"
         "one warm-up. Decode: after a 128-token prompt, D greedy tokens one at a time (default 64);\n"
         "tokens/s of the median run. JSON: {threads, prefill_tokens, prefill_ms, prefill_tok_s,\n"
         "decode_tokens, decode_tok_s, runs, peak_rss_bytes, model_bytes, cpu}.");
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Prefill of n tokens; returns milliseconds or -1.
static double time_prefill(const model *m, const int32_t *ids, int n) {
    int32_t *pos = pcb_malloc(sizeof(int32_t) * n), last = n - 1;
    for (int i = 0; i < n; i++) pos[i] = i;
    float *logits = pcb_malloc(sizeof(float) * m->cfg.vocab_size);
    kv_cache *c = model_new_cache(m);
    double t0 = now_ms();
    forward_batch b = {.n = n, .tokens = ids, .pos = pos, .logit_rows = &last, .n_logit_rows = 1, .logits = logits};
    int rc = forward(m, c, &b);
    double ms = now_ms() - t0;
    kv_cache_free(c);
    free(logits);
    free(pos);
    return rc ? -1 : ms;
}

// Decode d tokens after a prompt of n_prompt; returns milliseconds for the d steps or -1.
static double time_decode(const model *m, const int32_t *ids, int n_prompt, int d) {
    int32_t *pos = pcb_malloc(sizeof(int32_t) * n_prompt), last = n_prompt - 1, zero = 0;
    for (int i = 0; i < n_prompt; i++) pos[i] = i;
    float *logits = pcb_malloc(sizeof(float) * m->cfg.vocab_size);
    kv_cache *c = model_new_cache(m);
    forward_batch b = {.n = n_prompt, .tokens = ids, .pos = pos, .logit_rows = &last, .n_logit_rows = 1, .logits = logits};
    int rc = forward(m, c, &b);
    double t0 = now_ms();
    for (int i = 0; i < d && rc == 0; i++) {
        int32_t next = argmax(logits, m->cfg.vocab_size), p = n_prompt + i;
        forward_batch s = {.n = 1, .tokens = &next, .pos = &p, .logit_rows = &zero, .n_logit_rows = 1, .logits = logits};
        rc = forward(m, c, &s);
    }
    double ms = now_ms() - t0;
    kv_cache_free(c);
    free(logits);
    free(pos);
    return rc ? -1 : ms;
}

int cmd_speed(int argc, char **argv) {
    cli_common c;
    long n_prefill = 512, n_decode = 64, runs = 3;
    const char *text_path = DEFAULT_TEXT;
    const cli_opt opts[] = {
        {"--prefill", NULL, OPT_INT, &n_prefill, 1, 1 << 22}, {"--decode", NULL, OPT_INT, &n_decode, 0, 1 << 16},
        {"--runs", NULL, OPT_INT, &runs, 1, 1000},            {"--text", NULL, OPT_STRING, &text_path, 0, 0},
    };
    int r = cli_parse("speed", argc, argv, &c, opts, 4, help, NULL, 0, NULL);
    if (r) return r == 1 ? 0 : 2;
    kernels_set_num_threads(c.threads);
    model *m = model_load(c.model_path);
    if (!m) return cli_error("speed");
    tokenizer *tok = tokenizer_from_gguf(&m->gguf);
    size_t len = 0, n_ids = 0;
    char *text = tok ? read_text_file(text_path, &len) : NULL;
    int32_t *ids = NULL;
    if (!text || tokenizer_encode(tok, text, len, 0, &ids, &n_ids)) {
        free(text);
        tokenizer_free(tok);
        model_free(m);
        return cli_error("speed");
    }
    // Texts shorter than the request repeat (the content barely matters for timing).
    long need = n_prefill > 128 ? n_prefill : 128;
    int32_t *buf = pcb_malloc(sizeof(int32_t) * need);
    for (long i = 0; i < need; i++) buf[i] = ids[i % n_ids];
    double *t = pcb_malloc(sizeof(double) * runs), *d = pcb_malloc(sizeof(double) * runs);
    int rc = 0;
    if (time_prefill(m, buf, (int)(n_prefill < 512 ? n_prefill : 512)) < 0) rc = -1;  // warm-up
    for (long r = 0; r < runs && !rc; r++) {
        t[r] = time_prefill(m, buf, (int)n_prefill);
        d[r] = n_decode ? time_decode(m, buf, 128, (int)n_decode) : 0;
        if (t[r] < 0 || d[r] < 0) rc = -1;
    }
    if (rc) {
        cli_error("speed");
    } else {
        double pm = median(t, (int)runs), dm = median(d, (int)runs);
        char cpu[128];
        cpu_model_name(cpu, sizeof cpu);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "threads", kernels_num_threads());
        cJSON_AddNumberToObject(o, "prefill_tokens", (double)n_prefill);
        cJSON_AddNumberToObject(o, "prefill_ms", pm);
        cJSON_AddNumberToObject(o, "prefill_tok_s", n_prefill / (pm / 1e3));
        cJSON_AddNumberToObject(o, "decode_tokens", (double)n_decode);
        cJSON_AddNumberToObject(o, "decode_tok_s", n_decode ? n_decode / (dm / 1e3) : 0);
        cJSON_AddNumberToObject(o, "runs", (double)runs);
        cJSON_AddNumberToObject(o, "peak_rss_bytes", (double)peak_rss_bytes());
        cJSON_AddNumberToObject(o, "model_bytes", (double)m->weight_bytes);
        cJSON_AddStringToObject(o, "cpu", cpu);
        if (c.json) {
            cli_print_json(o);
        } else {
            printf("threads %d: prefill %ld tokens %.1f ms (%.1f tok/s), decode %.2f tok/s, peak RSS %.0f MiB\n",
                   kernels_num_threads(), n_prefill, pm, n_prefill / (pm / 1e3), n_decode ? n_decode / (dm / 1e3) : 0,
                   peak_rss_bytes() / 1048576.0);
            cJSON_Delete(o);
        }
    }
    free(t), free(d), free(buf), free(ids), free(text);
    tokenizer_free(tok);
    model_free(m);
    return rc ? 1 : 0;
}
