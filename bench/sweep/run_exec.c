#include "bench/sweep/run_exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/base/fs.h"
#include "bench/base/sysinfo.h"
#include "bench/engine/peak_memory.h"
#include "bench/method/pcomp.h"
#include "bench/method/perplexity.h"
#include "bench/sweep/attn_record.h"
#include "bench/tasks/metrics.h"
#include "bench/tasks/prompt_templates.h"
#include "bench/tasks/synthetic_tasks.h"

// One row's prompt and gold answers, as text.
typedef struct {
    char *context, *input;  // owned
    const char *const *golds;
    int n_golds;
    const char *const *classes;
    int n_classes;
    synthetic_sample gen;  // generated tasks: owns the texts
} row_text;

// The first n tokens of text, decoded back (length sweeps over data sets).
static char *first_tokens(const tokenizer *tok, const char *text, int n, const char *sample_id) {
    int32_t *ids = NULL;
    size_t got = 0;
    if (tokenizer_encode(tok, text, strlen(text), 0, &ids, &got)) return NULL;
    char *out = NULL;
    if ((int)got < n)
        pcb_fail("sample %s has %zu context tokens, fewer than the length %d asked for", sample_id, got, n);
    else out = tokenizer_decode(tok, ids, (size_t)n, 0);
    free(ids);
    return out;
}

static int row_prompt(const run_plan *p, const plan_row *r, const tokenizer *tok, const char *data_dir, uint64_t seed,
                      row_text *t) {
    const plan_task *pt = &p->tasks[r->task];
    *t = (row_text){0};
    if (!strcmp(pt->source, "generated")) {
        if (synthetic_make(pt->task, tok, data_dir, r->length, r->depth, r->sample, seed, &t->gen)) return -1;
        t->golds = (const char *const *)&t->gen.label, t->n_golds = 1;
        return 0;
    }
    const task_sample *s = &pt->data.samples[r->sample];
    t->context = r->length > 0 ? first_tokens(tok, s->context, r->length, r->sample_id) : pcb_strdup(s->context);
    if (!t->context) return -1;
    t->input = pcb_strdup(s->input);
    t->golds = (const char *const *)s->answers, t->n_golds = s->n_answers;
    t->classes = (const char *const *)s->all_classes, t->n_classes = s->n_classes;
    return 0;
}

static void row_text_free(row_text *t) {
    free(t->context), free(t->input);
    synthetic_free(&t->gen);
}

static double row_score(const plan_task *pt, const row_text *t, const char *prediction) {
    if (t->gen.label) return synthetic_score(pt->task, prediction, t->gen.label);
    return longbench_sample_score(pt->task, prediction, t->golds, t->n_golds, t->classes, t->n_classes);
}

static void kept_json(const pcomp_result *r, char *buf, size_t size) {
    size_t at = (size_t)snprintf(buf, size, "[");
    for (int i = 0, first = 1; i < r->n_chunks && at + 16 < size; i++)
        if (r->chunks[i].kept) at += (size_t)snprintf(buf + at, size - at, "%s%d", first ? "" : ",", i), first = 0;
    snprintf(buf + at, size - at, "]");
}

// Perplexity protocol (DESIGN decision 18): the first `length` tokens of the book are one window:
// document, PPL_QUERY_TOKENS of query, PPL_CONTINUATION predicted tokens. Score = the window's PPL.
#define PPL_QUERY_TOKENS 32
#define PPL_CONTINUATION 512

static int run_ppl_row(const run_plan *p, const plan_row *r, const model *m, const tokenizer *tok,
                       const pcomp_options *opt, results_sample *out, char **prediction, double *score) {
    const task_sample *s = &p->tasks[r->task].data.samples[r->sample];
    int32_t *ids = NULL;
    size_t n = 0;
    if (tokenizer_encode(tok, s->context, strlen(s->context), 0, &ids, &n)) return -1;
    ppl_stats acc = {0};
    int rc = (int)n < r->length ? pcb_fail("%s has %zu tokens, fewer than the length %d", s->id, n, r->length)
                                : perplexity_method_accumulate(m, tok, ids, r->length, r->length, PPL_QUERY_TOKENS,
                                                               PPL_CONTINUATION, opt, &acc, NULL, NULL);
    free(ids);
    if (rc) return -1;
    *score = ppl_value(&acc);
    char text[160];
    snprintf(text, sizeof text, "{\"nll_sum\": %.17g, \"tokens\": %ld}", acc.nll_sum, acc.n_predicted);
    *prediction = pcb_strdup(text);
    *out = (results_sample){.prediction = *prediction,
                            .score = *score,
                            .prefill_ms = acc.ms,
                            .peak_bytes = (int64_t)peak_rss_bytes(),
                            .device_peak_bytes = (int64_t)peak_device_bytes(m),
                            .kept_chunks = "[]",
                            .prompt_tokens = r->length};
    return 0;
}

// Runs one sample; fills *out (prediction malloc'ed, kept_chunks in the caller's kept[kept_size])
// or returns -1 with the error set.
static int run_row(const experiment_config *c, const run_plan *p, const plan_row *r, const model *m,
                   const tokenizer *tok, const run_exec_options *o, results_sample *out, char **prediction,
                   double *score, char *kept, size_t kept_size) {
    const plan_task *pt = &p->tasks[r->task];
    const config_variant *v = &c->variants[r->variant];
    char templates[1024];
    snprintf(templates, sizeof templates, "%s/parallelcomp_config", o->data_dir);
    pcomp_options opt;
    if (config_variant_options(v, &opt)) return -1;
    opt.max_new_tokens = pt->max_new_tokens;
    // The reference's per-task chunk budget, only where the config left topk_chunks unset: a value
    // set in the file, an override or the sweep is the one used (and the one the variant records).
    if (!v->given[KNOB_TOPK_CHUNKS] && pcomp_task_topk(pt->task)) opt.topk_chunks = pcomp_task_topk(pt->task);
    if (!strcmp(pt->task, "ppl")) return run_ppl_row(p, r, m, tok, &opt, out, prediction, score);
    row_text t = {0};
    prompt_template tpl = {0};
    *prediction = NULL;
    pcomp_input in = {.bos = -1};
    pcomp_result res = {0};
    char *question = NULL;
    int rc = -1;
    if (row_prompt(p, r, tok, o->data_dir, (uint64_t)c->seed, &t) || synthetic_template(pt->task, templates, &tpl))
        goto out;
    question = prompt_template_fill(tpl.question, t.gen.input ? t.gen.input : t.input);
    // ChatML models get the chat wrapping (SmolLM2-Instruct answers nothing useful without it).
    pcomp_prompt pp = {.head = tpl.head,
                       .tail = tpl.tail,
                       .document = t.gen.context ? t.gen.context : t.context,
                       .question = question,
                       .chat = tokenizer_find(tok, "<|im_start|>") >= 0};
    if (pcomp_input_from_prompt(tok, &pp, &in)) goto out;
    int32_t stops[2];
    int n_stop = tokenizer_stop_ids(tok, stops);
    if (v->attention_log.enabled) {  // one file per row: a resumed sweep never appends to a half-written log
        char dir[1200], log_path[1400];
        snprintf(dir, sizeof dir, "%s/%s", c->attn_dir, c->name);
        if (pcb_mkdir(c->attn_dir) || pcb_mkdir(dir)) goto out;
        snprintf(log_path, sizeof log_path, "%s/%.16s.h5", dir, r->row_key);
        attn_record_request rq = {.path = log_path,
                                  .model = c->model,
                                  .model_sha256 = p->model_sha256,
                                  .sample_id = "0",
                                  .config_hash = v->hash,
                                  .config = v->canonical,
                                  .rows = v->attention_log.rows,
                                  .generated = v->attention_log.generated};
        if (attn_record_run(&rq, m, tok, &in, &opt, stops, n_stop, &res, prediction)) goto out;
    } else {
        if (pcomp_run(m, &in, &opt, stops, n_stop, &res)) goto out;
        *prediction = tokenizer_decode(tok, res.answer, res.n_answer, 0);
    }
    *score = row_score(pt, &t, *prediction);
    kept_json(&res, kept, kept_size);
    long slots = 0;
    for (int l = 0; l < res.n_layers; l++) slots += res.kv_slots[l];
    *out = (results_sample){.prediction = *prediction,
                            .score = *score,
                            .prefill_ms = res.prefill_ms,
                            .decode_ms = res.decode_ms,
                            .peak_bytes = (int64_t)peak_rss_bytes(),
                            .device_peak_bytes = (int64_t)peak_device_bytes(m),
                            .kv_peak_bytes = (int64_t)res.kv_peak_bytes,
                            .kept_chunks = kept,
                            .n_chunks = res.n_chunks,
                            .kv_slots = slots,
                            .prompt_tokens = res.prompt_tokens};
    rc = 0;
out:
    if (rc && *prediction) free(*prediction), *prediction = NULL;
    row_text_free(&t);
    free(question);
    prompt_template_free(&tpl);
    pcomp_input_free(&in);
    pcomp_result_free(&res);
    return rc;
}

// A terminal gets one line redrawn in place with a bar; a pipe or file gets a plain line per row.
static void progress(const run_exec_options *o, const experiment_config *c, const run_plan *p, const plan_row *r,
                     int at, int total, double eta, const char *what) {
    char name[256], bar[23] = "";
    config_variant_name(&c->variants[r->variant], name, sizeof name);
    if (o->progress_tty) {
        int fill = total ? 20 * at / total : 20;
        bar[0] = '[';
        for (int i = 0; i < 20; i++) bar[1 + i] = i < fill ? '#' : '.';
        bar[21] = ']', bar[22] = 0;
        fprintf(stderr, "\r\033[K%s %d/%d ETA %.0f s | %s %s %s: %.60s", bar, at, total, eta, name,
                p->tasks[r->task].task, r->sample_id, what);
    } else {
        fprintf(stderr, "[%d/%d] %s %s %s: %s  (ETA %.0f s)\n", at, total, name, p->tasks[r->task].task, r->sample_id,
                what, eta);
    }
}

// Seconds left: the mean time of the rows run so far (skipped ones cost nothing) x rows left.
static double eta(double t0, int n_run, int left) { return n_run ? (now_ms() - t0) / n_run * left / 1000 : 0; }

int run_execute(const experiment_config *c, const run_plan *p, const model *m, const tokenizer *tok, results_store *s,
                const run_exec_options *o, run_exec_counts *counts) {
    *counts = (run_exec_counts){0};
    double t0 = now_ms();
    for (int i = 0; i < p->n_rows; i++) {
        const plan_row *r = &p->rows[i];
        int st = results_status(s, r->row_key);
        if (st < 0) return -1;
        if (st == 1) {
            counts->skipped++;
            continue;
        }
        char what[160];
        if (r->failed) {
            if (results_mark_failed(s, r->row_key, o->run_id, r->failed)) return -1;
            counts->failed++;
            snprintf(what, sizeof what, "failed: %s", r->failed);
        } else {
            results_sample out;
            char *prediction = NULL, kept[4096];
            double score = 0;
            if (o->progress_tty)
                progress(o, c, p, r, i, p->n_rows, eta(t0, counts->done + counts->failed, p->n_rows - i), "running");
            peak_memory_reset(m);  // peaks are per row
            if (run_row(c, p, r, m, tok, o, &out, &prediction, &score, kept, sizeof kept)) {
                char msg[512];
                snprintf(msg, sizeof msg, "%s", pcb_last_error());
                if (results_mark_failed(s, r->row_key, o->run_id, msg)) return -1;
                counts->failed++;
                snprintf(what, sizeof what, "failed: %.120s", msg);
            } else {
                int rc = results_mark_done(s, r->row_key, o->run_id, &out);
                free(prediction);
                if (rc) return -1;
                counts->done++;
                snprintf(what, sizeof what, "score %.2f, prefill %.0f ms", score, out.prefill_ms);
            }
        }
        progress(o, c, p, r, i + 1, p->n_rows, eta(t0, counts->done + counts->failed, p->n_rows - i - 1), what);
    }
    if (o->progress_tty) fputc('\n', stderr);
    return 0;
}
