// `pcbench pcomp`: one sample through a method, with chunks, scores, kept KV slots, time and memory.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/store/attn_log.h"
#include "bench/base/error.h"
#include "bench/base/paths.h"
#include "bench/base/sysinfo.h"
#include "bench/cli/cli.h"
#include "bench/cli/pcomp_knobs.h"
#include "bench/method/pcomp.h"
#include "bench/sweep/attn_record.h"
#include "bench/tasks/prompt_templates.h"
#include "kernels/kernels.h"

void attn_log_help(void);

static void help(void) {
    char rows[512], generated[512];
    printf(
        "usage: pcbench pcomp --context FILE --question TEXT [--task NAME] [--method M] [knobs]\n"
        "                     [-n N] [--chat] [--attn-log FILE.h5] [-m MODEL.gguf] [-t THREADS] [--json]\n\n"
        "  --context FILE      the long document\n"
        "  --question TEXT     the question (fills {input} of the task's question template)\n"
        "  --task NAME         prompt templates of a LongBench / InfiniteBench task (e.g. passkey,\n"
        "                      hotpotqa); without it the document and question are used as they are\n"
        "  --templates DIR     template folder [%s]\n"
        "  --context-tokens N  use only the first N tokens of the document (length sweeps)\n"
        "  --chat              wrap the final question (and the single-window prompt) in the chat template\n"
        "  -n N                max new tokens [32]\n\n"
        "attention log (HDF5; layout: analysis/store/attn_log.h):\n"
        "  --attn-log FILE.h5  log the question's attention over the cache at every layer\n%s%s"
        "  --sample-id ID      sample name in the log [0]\n\n%s\n"
        "JSON: {method, answer, chunks[{index, tokens, doc_begin, doc_end, score, kept}], kept_chunks,\n"
        "kv_slots[layer], calib_evicted[layer], prompt_tokens, question_pos, doc_tokens, doc_tokens_used,\n"
        "prefill_ms, decode_ms, peak_bytes (process peak RSS), kv_peak_bytes}.\n",
        "$PCB_DATA or data/ beside pcbench, then " PROMPT_TEMPLATES_SUBDIR,
        pcomp_knob_help_line(KNOB_ATTN_ROWS, NULL, rows, sizeof rows),
        pcomp_knob_help_line(KNOB_ATTN_GENERATED, NULL, generated, sizeof generated), PCOMP_KNOBS_HELP);
}

static cJSON *result_json(const pcomp_options *o, const pcomp_result *r, const char *answer, int n_doc) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "method", pcomp_method_name(o->method));
    cJSON_AddStringToObject(j, "answer", answer);
    cJSON *chunks = cJSON_AddArrayToObject(j, "chunks"), *kept = cJSON_AddArrayToObject(j, "kept_chunks");
    for (int i = 0; i < r->n_chunks; i++) {
        const pcomp_chunk *c = &r->chunks[i];
        cJSON *cj = cJSON_CreateObject();
        cJSON_AddNumberToObject(cj, "index", c->index);
        cJSON_AddNumberToObject(cj, "tokens", c->n_context);
        cJSON_AddNumberToObject(cj, "doc_begin", c->doc_begin);
        cJSON_AddNumberToObject(cj, "doc_end", c->doc_end);
        if (isnan(c->score)) cJSON_AddNullToObject(cj, "score");
        else cJSON_AddNumberToObject(cj, "score", c->score);
        cJSON_AddBoolToObject(cj, "kept", c->kept);
        cJSON_AddItemToArray(chunks, cj);
        if (c->kept) cJSON_AddItemToArray(kept, cJSON_CreateNumber(c->index));
    }
    cJSON *slots = cJSON_AddArrayToObject(j, "kv_slots"), *cal = cJSON_AddArrayToObject(j, "calib_evicted");
    for (int l = 0; l < r->n_layers; l++) {
        cJSON_AddItemToArray(slots, cJSON_CreateNumber((double)r->kv_slots[l]));
        cJSON_AddItemToArray(cal, cJSON_CreateNumber((double)r->calib_evicted[l]));
    }
    cJSON_AddNumberToObject(j, "prompt_tokens", r->prompt_tokens);
    cJSON_AddNumberToObject(j, "question_pos", r->question_pos);
    cJSON_AddNumberToObject(j, "doc_tokens", n_doc);
    cJSON_AddNumberToObject(j, "doc_tokens_used", r->doc_tokens_used);
    cJSON_AddNumberToObject(j, "answer_tokens", r->n_answer);
    cJSON_AddBoolToObject(j, "stopped", r->stopped);
    cJSON_AddNumberToObject(j, "prefill_ms", r->prefill_ms);
    cJSON_AddNumberToObject(j, "decode_ms", r->decode_ms);
    cJSON_AddNumberToObject(j, "peak_bytes", (double)peak_rss_bytes());
    cJSON_AddNumberToObject(j, "kv_peak_bytes", (double)r->kv_peak_bytes);
    return j;
}

static void print_text(const pcomp_options *o, const pcomp_result *r, const char *answer, int n_doc) {
    printf("%s\n", answer);
    if (r->n_chunks) {
        fprintf(stderr, "\nchunk  tokens  document tokens   query NLL  kept\n");
        for (int i = 0; i < r->n_chunks; i++) {
            const pcomp_chunk *c = &r->chunks[i];
            fprintf(stderr, "%5d  %6d  %6d..%-7d  %10.4f  %s\n", c->index, c->n_context, c->doc_begin, c->doc_end,
                    c->score, c->kept ? "yes" : "-");
        }
    }
    long total = 0, cal = 0;
    for (int l = 0; l < r->n_layers; l++) total += r->kv_slots[l], cal += r->calib_evicted[l];
    fprintf(stderr, "\nKV slots per layer (all KV heads):");
    for (int l = 0; l < r->n_layers; l++) fprintf(stderr, "%s%ld", l % 10 ? " " : "\n  ", r->kv_slots[l]);
    fprintf(stderr, "\n[%s: %d of %d document tokens used, %d prompt tokens, question at position %d, %ld KV slots",
            pcomp_method_name(o->method), r->doc_tokens_used, n_doc, r->prompt_tokens, r->question_pos, total);
    if (o->calibrate) fprintf(stderr, ", %ld evicted by calibration", cal);
    fprintf(stderr, "; prefill %.0f ms, decode %.0f ms, peak RSS %.0f MiB, KV peak %.1f MiB]\n", r->prefill_ms,
            r->decode_ms, peak_rss_bytes() / 1048576.0, r->kv_peak_bytes / 1048576.0);
}

// Reads the document, keeping only its first max_tokens tokens when asked (decoded back to text).
static char *load_document(const tokenizer *tok, const char *path, long max_tokens) {
    size_t len;
    char *text = read_text_file(path, &len);
    if (!text || max_tokens <= 0) return text;
    int32_t *ids = NULL;
    size_t n = 0;
    if (tokenizer_encode(tok, text, len, 0, &ids, &n)) {
        free(text);
        return NULL;
    }
    if ((long)n < max_tokens) {
        pcb_fail("%s has %zu tokens, fewer than --context-tokens %ld", path, n, max_tokens);
        free(text), free(ids);
        return NULL;
    }
    char *cut = tokenizer_decode(tok, ids, (size_t)max_tokens, 0);
    free(text), free(ids);
    return cut;
}

static int run_sample(const char *cmd, int argc, char **argv, int attn_mode) {
    cli_common c;
    pcomp_knobs k;
    const char *context = NULL, *question = NULL, *task = NULL, *templates = NULL;
    const char *log_path = NULL, *sample_id = "0";
    long n_new = 32, context_tokens = 0;
    int chat = 0;
    enum { OWN = 11 };
    cli_opt opts[PCOMP_KNOB_COUNT + OWN];
    pcomp_knobs_init(&k, opts);
    const cli_opt own[OWN] = {
        {"--context", NULL, OPT_STRING, &context, 0, 0},
        {"--question", NULL, OPT_STRING, &question, 0, 0},
        {"--task", NULL, OPT_STRING, &task, 0, 0},
        {"--templates", NULL, OPT_STRING, &templates, 0, 0},
        {"--chat", NULL, OPT_FLAG, &chat, 0, 0},
        {"-n", NULL, OPT_INT, &n_new, 0, 1 << 20},
        {"--context-tokens", NULL, OPT_INT, &context_tokens, 1, 1 << 26},
        {attn_mode ? "--out" : "--attn-log", NULL, OPT_STRING, &log_path, 0, 0},
        pcomp_knob_opt(&k, KNOB_ATTN_ROWS, attn_mode ? "--rows" : NULL),
        pcomp_knob_opt(&k, KNOB_ATTN_GENERATED, attn_mode ? "--generated" : NULL),
        {"--sample-id", NULL, OPT_STRING, &sample_id, 0, 0},
    };
    memcpy(opts + PCOMP_KNOB_COUNT, own, sizeof own);
    int r =
        cli_parse(cmd, argc, argv, &c, opts, PCOMP_KNOB_COUNT + OWN, attn_mode ? attn_log_help : help, NULL, 0, NULL);
    if (r) return r == 1 ? 0 : 2;
    char default_templates[4096];
    templates = pcb_data_path_or(templates, PROMPT_TEMPLATES_SUBDIR, default_templates, sizeof default_templates);
    if (!templates) return cli_error(cmd);
    if (!context || !question || (attn_mode && !log_path)) {
        fprintf(stderr, "pcbench %s: --context, --question%s are required (see --help)\n", cmd,
                attn_mode ? " and --out" : "");
        return 2;
    }
    pcomp_options o;
    attn_log_options al;
    if (pcomp_knobs_apply(&k, &o) || pcomp_knobs_apply_attn(&k, &al)) {
        fprintf(stderr, "pcbench %s: %s\n", cmd, pcb_last_error());
        return 2;
    }
    o.max_new_tokens = (int)n_new;
    if (!k.text[KNOB_TOPK_CHUNKS] && pcomp_task_topk(task)) o.topk_chunks = pcomp_task_topk(task);  // not given
    kernels_set_num_threads(c.threads);

    int rc = 1;
    model *m = NULL;
    tokenizer *tok = NULL;
    prompt_template tpl = {0};
    char *doc = NULL, *filled = NULL, *answer = NULL;
    pcomp_input in = {.bos = -1};
    pcomp_result res = {0};
    if (task && prompt_template_load(templates, task, &tpl)) goto out;
    if (!(m = cli_load_model(&c)) || !(tok = tokenizer_from_gguf(&m->gguf))) goto out;
    if (!(doc = load_document(tok, context, context_tokens))) goto out;
    filled = task ? prompt_template_fill(tpl.question, question) : pcb_strdup(question);
    pcomp_prompt p = {
        .head = task ? tpl.head : "", .tail = task ? tpl.tail : "", .document = doc, .question = filled, .chat = chat};
    if (pcomp_input_from_prompt(tok, &p, &in)) goto out;
    int32_t stops[2];
    int n_stop = tokenizer_stop_ids(tok, stops);
    if (log_path) {
        const char *base = strrchr(c.model_path, '/');
        attn_record_request rq = {.path = log_path,
                                  .model = base ? base + 1 : c.model_path,
                                  .sample_id = sample_id,
                                  .rows = al.rows,
                                  .generated = al.generated};
        if (attn_record_run(&rq, m, tok, &in, &o, stops, n_stop, &res, &answer)) goto out;
    } else {
        if (pcomp_run(m, &in, &o, stops, n_stop, &res)) goto out;
        answer = tokenizer_decode(tok, res.answer, res.n_answer, 0);
    }
    if (pcomp_resolve(m, &in, &o)) goto out;  // resolved knobs for the report
    if (c.json) {
        cJSON *j = result_json(&o, &res, answer, in.n_doc);
        if (log_path) cJSON_AddStringToObject(j, "attn_log", log_path);
        cli_print_json(j);
    } else {
        print_text(&o, &res, answer, in.n_doc);
        if (log_path) fprintf(stderr, "attention log: %s\n", log_path);
    }
    rc = 0;
out:
    if (rc) cli_error(cmd);
    free(answer), free(doc), free(filled);
    pcomp_result_free(&res);
    pcomp_input_free(&in);
    prompt_template_free(&tpl);
    tokenizer_free(tok);
    model_free(m);
    return rc;
}

int cmd_pcomp(int argc, char **argv) { return run_sample("pcomp", argc, argv, 0); }

void attn_log_help(void) {
    printf(
        "usage: pcbench attn log --context FILE --question TEXT --out FILE.h5 [--method M] [knobs]\n"
        "                        [--rows R] [--generated] [--sample-id ID] [--task NAME] [--chat] [-n N]\n\n"
        "Runs one sample through a method (as pcbench pcomp) and logs, at every layer, the attention\n"
        "of the question's last R rows (mean; default 1) over the cache slots to an HDF5 file: per\n"
        "query head over the union of the KV heads' slots, with position ids, chunks, document\n"
        "indices and chunk starts (layout: analysis/store/attn_log.h). --generated adds every\n"
        "generated token's attention. The file is written as FILE.h5.tmp and renamed when complete.\n\n%s\n",
        PCOMP_KNOBS_HELP);
}

int cmd_attn_log(int argc, char **argv) { return run_sample("attn log", argc, argv, 1); }
