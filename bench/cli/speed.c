// `pcbench speed`: prefill and decode throughput of the engine, median of several runs, and
// the process's peak RSS. `make bench` runs it once per (threads, length) in fresh processes so
// each row's peak memory is its own.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/base/error.h"
#include "bench/base/paths.h"
#include "bench/base/stats.h"
#include "bench/base/sysinfo.h"
#include "bench/cli/cli.h"
#include "bench/engine/generate.h"
#include "bench/model/model.h"
#include "bench/model/sampler.h"
#include "bench/model/tokenizer.h"
#include "kernels/kernels.h"

static void help(void) {
    puts(
        "usage: pcbench speed [--prefill N] [--decode D] [--runs R] [--text FILE] [-m MODEL] [-t T] [--json]\n\n"
        "Prefill: N tokens of real text (default 512; FILE defaults to a PG19 book) in one forward\n"
        "call from an empty cache, until the last row's logits; median of R runs (default 3) after\n"
        "one warm-up. Decode: after a 128-token prompt, D greedy tokens one at a time (default 64);\n"
        "tokens/s of the median run. JSON: {threads, prefill_tokens, prefill_ms, prefill_tok_s,\n"
        "decode_tokens, decode_tok_s, runs, peak_rss_bytes, model_bytes, cpu}.");
}

// One run: prefill of n tokens (ms into *prefill_ms) and, when d > 0, d decode steps after a
// 128-token prompt (tokens/s into *decode_tok_s).
static int timed_run(const model *m, const int32_t *ids, int n, int d, double *prefill_ms, double *decode_tok_s) {
    generate_options opt = {.max_new_tokens = 0};
    sampler_init(&opt.smp, 0, 1);
    generate_result r;
    if (generate(m, ids, n, &opt, &r)) return -1;
    *prefill_ms = r.prefill_ms;
    generate_result_free(&r);
    *decode_tok_s = 0;
    if (d <= 0) return 0;
    opt.max_new_tokens = d + 1;  // the first new token comes from the prefill's logits
    if (generate(m, ids, 128, &opt, &r)) return -1;
    *decode_tok_s = r.n_forward / (r.decode_ms / 1e3);
    generate_result_free(&r);
    return 0;
}

int cmd_speed(int argc, char **argv) {
    cli_common c;
    long n_prefill = 512, n_decode = 64, runs = 3;
    const char *text_path = NULL;
    const cli_opt opts[] = {
        {"--prefill", NULL, OPT_INT, &n_prefill, 1, 1 << 22},
        {"--decode", NULL, OPT_INT, &n_decode, 0, 1 << 16},
        {"--runs", NULL, OPT_INT, &runs, 1, 1000},
        {"--text", NULL, OPT_STRING, &text_path, 0, 0},
    };
    int r = cli_parse("speed", argc, argv, &c, opts, 4, help, NULL, 0, NULL);
    if (r) return r == 1 ? 0 : 2;
    kernels_set_num_threads(c.threads);
    model *m = cli_load_model(&c);
    if (!m) return cli_error("speed");
    // Real text when there is some; the default book missing (no data folder found) falls back to
    // deterministic pseudo-random ids: timing barely depends on the content.
    char default_text[4096];
    int fallback = !text_path && (pcb_data_file(PCB_DEFAULT_TEXT, default_text, sizeof default_text) ||
                                  access(default_text, R_OK) != 0);
    if (!text_path) text_path = default_text;
    int32_t *ids = NULL;
    size_t n_ids = 0;
    if (fallback) {
        fprintf(stderr, "pcbench speed: note: %s not found, timing pseudo-random token ids\n", PCB_DEFAULT_TEXT);
        n_ids = 4096;
        ids = pcb_malloc(sizeof(int32_t) * n_ids);
        uint64_t x = 0x9E3779B97F4A7C15ull;
        for (size_t i = 0; i < n_ids; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            ids[i] = (int32_t)(x % (uint64_t)m->cfg.vocab_size);
        }
    } else {
        tokenizer *tok = tokenizer_from_gguf(&m->gguf);
        size_t len = 0;
        char *text = tok ? read_text_file(text_path, &len) : NULL;
        int bad = !text || tokenizer_encode(tok, text, len, 0, &ids, &n_ids);
        if (!bad && n_ids == 0) bad = pcb_fail("%s: the text encodes to no tokens", text_path);
        free(text);
        tokenizer_free(tok);
        if (bad) {
            free(ids);
            model_free(m);
            return cli_error("speed");
        }
    }
    // Texts shorter than the request repeat.
    long need = n_prefill > 128 ? n_prefill : 128;
    int32_t *buf = pcb_malloc(sizeof(int32_t) * need);
    for (long i = 0; i < need; i++) buf[i] = ids[i % n_ids];
    double *t = pcb_malloc(sizeof(double) * runs), *d = pcb_malloc(sizeof(double) * runs);
    double warm_ms, warm_tok_s;
    int rc = timed_run(m, buf, (int)(n_prefill < 512 ? n_prefill : 512), 0, &warm_ms, &warm_tok_s);  // warm-up
    for (long r = 0; r < runs && !rc; r++) rc = timed_run(m, buf, (int)n_prefill, (int)n_decode, &t[r], &d[r]);
    if (rc) {
        cli_error("speed");
    } else {
        double pm = pcb_median(t, (int)runs), dtok = pcb_median(d, (int)runs);
        char cpu[128];
        cpu_model_name(cpu, sizeof cpu);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "threads", kernels_num_threads());
        cJSON_AddNumberToObject(o, "prefill_tokens", (double)n_prefill);
        cJSON_AddNumberToObject(o, "prefill_ms", pm);
        cJSON_AddNumberToObject(o, "prefill_tok_s", n_prefill / (pm / 1e3));
        cJSON_AddNumberToObject(o, "decode_tokens", (double)n_decode);
        cJSON_AddNumberToObject(o, "decode_tok_s", dtok);
        cJSON_AddNumberToObject(o, "runs", (double)runs);
        cJSON_AddNumberToObject(o, "peak_rss_bytes", (double)peak_rss_bytes());
        cJSON_AddNumberToObject(o, "model_bytes", (double)m->weight_bytes);
        cJSON_AddStringToObject(o, "cpu", cpu);
        if (c.json) {
            cli_print_json(o);
        } else {
            printf("threads %d: prefill %ld tokens %.1f ms (%.1f tok/s), decode %.2f tok/s, peak RSS %.0f MiB\n",
                   kernels_num_threads(), n_prefill, pm, n_prefill / (pm / 1e3), dtok, peak_rss_bytes() / 1048576.0);
            cJSON_Delete(o);
        }
    }
    free(t), free(d), free(buf), free(ids);
    model_free(m);
    return rc ? 1 : 0;
}
