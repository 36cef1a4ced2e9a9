// Rendering the tables of results_tables.c: Markdown (GitHub), LaTeX (booktabs) and JSON.
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "analysis/report/results_tables.h"

static const char *const MEASURE_NAME[] = {"score",   "avg",      "ppl",    "prefill_ms",
                                           "speedup", "host_mib", "kv_mib", "gpu_mib"};

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

// The distinct values of one string field of the runs, joined by ", " (sha256s cut to 12 digits).
static void runs_field(const results_db *db, size_t offset, int cut, char *buf, size_t size) {
    size_t at = 0;
    buf[0] = 0;
    for (int i = 0; i < db->n_runs; i++) {
        const char *v = *(char *const *)((const char *)&db->runs[i] + offset);
        if (!v || !*v) continue;
        int seen = 0;
        for (int j = 0; j < i && !seen; j++) {
            const char *w = *(char *const *)((const char *)&db->runs[j] + offset);
            seen = w && !strcmp(v, w);
        }
        if (!seen && at < size)
            at += (size_t)snprintf(buf + at, size - at, "%s%.*s", at ? ", " : "", cut ? cut : (int)strlen(v), v);
    }
    if (!at) snprintf(buf, size, "?");
}

static void source_line(FILE *f, const results_db *db, const char *prefix) {
    char model[512], sha[256], backend[128], device[256], version[128];
    runs_field(db, offsetof(results_run, model), 0, model, sizeof model);
    runs_field(db, offsetof(results_run, model_sha256), 12, sha, sizeof sha);
    runs_field(db, offsetof(results_run, backend), 0, backend, sizeof backend);
    runs_field(db, offsetof(results_run, device), 0, device, sizeof device);
    runs_field(db, offsetof(results_run, code_version), 0, version, sizeof version);
    fprintf(f,
            "%sSource: %s: %d variant%s, %d rows (%d done, %d failed, %d pending); model %s (sha256 %s); backend %s; "
            "device %s; pcbench %s.\n",
            prefix, base_name(db->path), db->n_variants, db->n_variants == 1 ? "" : "s", db->n_rows, db->n_done,
            db->n_failed, db->n_pending, model, sha, backend, device, version);
}

void results_cell_text(const results_column *col, const results_cell *x, results_format fmt, char *buf, size_t size) {
    double v = x->value;
    if (isnan(v)) {
        snprintf(buf, size, "%s", fmt == RESULTS_LATEX ? "--" : "–");
    } else if (col->measure == RT_PREFILL_MS) {
        snprintf(buf, size, v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.2f", v);
    } else if (col->measure == RT_SPEEDUP) {
        snprintf(buf, size, "%.2f%s", v, fmt == RESULTS_LATEX ? "$\\times$" : "×");
    } else if (col->measure == RT_HOST_MIB || col->measure == RT_KV_MIB || col->measure == RT_GPU_MIB) {
        snprintf(buf, size, "%.1f", v);
    } else {
        snprintf(buf, size, "%.2f", v);
    }
    if (x->note) {
        char mark[8];
        results_note_mark(x->note, mark);
        size_t n = strlen(buf);
        snprintf(buf + n, size - n, fmt == RESULTS_LATEX ? "\\textsuperscript{%s}" : "<sup>%s</sup>", mark);
    }
}

// Markdown: a '|' would end the cell and '<' could open HTML.
static void md_text(FILE *f, const char *s) {
    for (; *s; s++)
        if (*s == '|') fputs("\\|", f);
        else if (*s == '<') fputs("&lt;", f);
        else fputc(*s, f);
}

static void latex_text(FILE *f, const char *s) {
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (strchr("_%&#${}", c)) fprintf(f, "\\%c", c);
        else if (c == '\\') fputs("\\textbackslash{}", f);
        else if (c == '^') fputs("\\textasciicircum{}", f);
        else if (c == '~') fputs("\\textasciitilde{}", f);
        else if (c == '<') fputs("\\textless{}", f);
        else if (c == '>') fputs("\\textgreater{}", f);
        else if (c == '|') fputs("\\textbar{}", f);
        else if (!strncmp(s, "×", strlen("×"))) fputs("$\\times$", f), s += strlen("×") - 1;
        else if (!strncmp(s, "–", strlen("–"))) fputs("--", f), s += strlen("–") - 1;
        else fputc(c, f);
    }
}

static void print_markdown(FILE *f, const results_table *t) {
    fputs("**Table: ", f);
    md_text(f, t->caption);
    fputs("**\n\n| method |", f);
    for (int c = 0; c < t->n_cols; c++) fputc(' ', f), md_text(f, t->cols[c].header), fputs(" |", f);
    fputs("\n|---|", f);
    for (int c = 0; c < t->n_cols; c++) fputs("---:|", f);
    fputc('\n', f);
    for (int r = 0; r < t->n_rows; r++) {
        fputs("| ", f);
        md_text(f, t->row_label[r]);
        fputs(" |", f);
        for (int c = 0; c < t->n_cols; c++) {
            char buf[96];
            results_cell_text(&t->cols[c], results_table_cell(t, r, c), RESULTS_MARKDOWN, buf, sizeof buf);
            fprintf(f, " %s |", buf);
        }
        fputc('\n', f);
    }
    if (t->n_notes) fputc('\n', f);
    for (int i = 0; i < t->n_notes; i++) {
        char mark[8];
        results_note_mark(i + 1, mark);
        fprintf(f, "- <sup>%s</sup> ", mark);
        md_text(f, t->notes[i]);
        fputc('\n', f);
    }
}

static int same_group(const char *a, const char *b) { return a && b && !strcmp(a, b); }

// Group header row (\multicolumn over runs of one group, \cmidrule under each), when any.
static void latex_group_header(FILE *f, const results_table *t) {
    int any = 0;
    for (int c = 0; c < t->n_cols; c++) any |= t->cols[c].group != NULL;
    if (!any) return;
    for (int c = 0; c < t->n_cols;) {
        int e = c + 1;
        while (e < t->n_cols && same_group(t->cols[c].group, t->cols[e].group)) e++;
        fputs(" & ", f);
        if (t->cols[c].group) {
            fprintf(f, "\\multicolumn{%d}{c}{", e - c);
            latex_text(f, t->cols[c].group);
            fputc('}', f);
        }
        c = e;
    }
    fputs(" \\\\\n", f);
    for (int c = 0; c < t->n_cols;) {
        int e = c + 1;
        while (e < t->n_cols && same_group(t->cols[c].group, t->cols[e].group)) e++;
        if (t->cols[c].group) fprintf(f, "\\cmidrule(lr){%d-%d}", c + 2, e + 1);
        c = e;
    }
    fputc('\n', f);
}

static void print_latex(FILE *f, const results_table *t) {
    fputs("% Table: ", f);
    fputs(t->caption, f);
    fprintf(f, "\n\\begin{table}[t]\n\\centering\n\\caption{");
    latex_text(f, t->caption);
    fprintf(f, ".}\n\\label{tab:%s}\n\\begin{tabular}{l", t->id);
    for (int c = 0; c < t->n_cols; c++) fputc('r', f);
    fputs("}\n\\toprule\n", f);
    latex_group_header(f, t);
    fputs("Method", f);
    for (int c = 0; c < t->n_cols; c++) fputs(" & ", f), latex_text(f, t->cols[c].name);
    fputs(" \\\\\n\\midrule\n", f);
    for (int r = 0; r < t->n_rows; r++) {
        latex_text(f, t->row_label[r]);
        for (int c = 0; c < t->n_cols; c++) {
            char buf[96];
            results_cell_text(&t->cols[c], results_table_cell(t, r, c), RESULTS_LATEX, buf, sizeof buf);
            fprintf(f, " & %s", buf);
        }
        fputs(" \\\\\n", f);
    }
    fputs("\\bottomrule\n\\end{tabular}\n", f);
    if (t->n_notes) fputs("\\par\\smallskip\n{\\footnotesize\n", f);
    for (int i = 0; i < t->n_notes; i++) {
        char mark[8];
        results_note_mark(i + 1, mark);
        fprintf(f, "\\textsuperscript{%s}~", mark);
        latex_text(f, t->notes[i]);
        fputs(".\\par\n", f);
    }
    if (t->n_notes) fputs("}\n", f);
    fputs("\\end{table}\n", f);
}

void results_tables_print(FILE *f, const results_db *db, const results_tables *t, results_format fmt) {
    source_line(f, db, fmt == RESULTS_LATEX ? "% " : "");
    if (fmt == RESULTS_LATEX) fputs("% needs \\usepackage{booktabs}\n", f);
    for (int k = 0; k < t->n; k++) {
        fputc('\n', f);
        if (fmt == RESULTS_LATEX) print_latex(f, &t->t[k]);
        else print_markdown(f, &t->t[k]);
    }
}

static void add_str(cJSON *o, const char *key, const char *v) {
    if (v) cJSON_AddStringToObject(o, key, v);
    else cJSON_AddNullToObject(o, key);
}

static void add_num(cJSON *o, const char *key, double v) {
    if (isfinite(v)) cJSON_AddNumberToObject(o, key, v);
    else cJSON_AddNullToObject(o, key);
}

static cJSON *table_json(const results_db *db, const results_table *t) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", t->id);
    cJSON_AddStringToObject(j, "caption", t->caption);
    cJSON *cols = cJSON_AddArrayToObject(j, "columns");
    for (int c = 0; c < t->n_cols; c++) {
        const results_column *col = &t->cols[c];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "header", col->header);
        add_str(o, "group", col->group);
        cJSON_AddStringToObject(o, "name", col->name);
        add_str(o, "task", col->task);
        if (col->context_length >= 0) cJSON_AddNumberToObject(o, "context_length", col->context_length);
        else cJSON_AddNullToObject(o, "context_length");
        cJSON_AddStringToObject(o, "measure", MEASURE_NAME[col->measure]);
        cJSON_AddItemToArray(cols, o);
    }
    cJSON *rows = cJSON_AddArrayToObject(j, "rows");
    for (int r = 0; r < t->n_rows; r++) {
        const results_variant *v = &db->variants[t->row_variant[r]];
        cJSON *o = cJSON_CreateObject(), *cells = cJSON_CreateArray();
        cJSON_AddStringToObject(o, "label", t->row_label[r]);
        cJSON_AddStringToObject(o, "variant", v->hash);
        add_str(o, "method", v->method);
        for (int c = 0; c < t->n_cols; c++) {
            const results_cell *x = results_table_cell(t, r, c);
            cJSON *e = cJSON_CreateObject();
            add_num(e, "value", x->value);
            cJSON_AddNumberToObject(e, "rows", x->n_rows);
            cJSON_AddNumberToObject(e, "done", x->n_done);
            cJSON_AddNumberToObject(e, "failed", x->n_failed);
            cJSON_AddNumberToObject(e, "pending", x->n_pending);
            if (x->note) {
                char mark[8];
                results_note_mark(x->note, mark);
                cJSON_AddStringToObject(e, "note", mark);
            }
            cJSON_AddItemToArray(cells, e);
        }
        cJSON_AddItemToObject(o, "cells", cells);
        cJSON_AddItemToArray(rows, o);
    }
    cJSON *notes = cJSON_AddArrayToObject(j, "notes");
    for (int i = 0; i < t->n_notes; i++) {
        char mark[8];
        results_note_mark(i + 1, mark);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "mark", mark);
        cJSON_AddStringToObject(o, "text", t->notes[i]);
        cJSON_AddItemToArray(notes, o);
    }
    return j;
}

cJSON *results_tables_json(const results_db *db, const results_tables *t) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "file", db->path);
    cJSON *counts = cJSON_AddObjectToObject(j, "rows");
    cJSON_AddNumberToObject(counts, "done", db->n_done);
    cJSON_AddNumberToObject(counts, "failed", db->n_failed);
    cJSON_AddNumberToObject(counts, "pending", db->n_pending);
    cJSON *runs = cJSON_AddArrayToObject(j, "runs");
    for (int i = 0; i < db->n_runs; i++) {
        const results_run *r = &db->runs[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", (double)r->id);
        add_str(o, "config_name", r->config_name), add_str(o, "code_version", r->code_version);
        add_str(o, "backend", r->backend), add_str(o, "device", r->device);
        cJSON_AddNumberToObject(o, "threads", r->threads);
        add_str(o, "model", r->model), add_str(o, "model_sha256", r->model_sha256), add_str(o, "host", r->host);
        add_str(o, "shard", r->shard), add_str(o, "started_utc", r->started_utc);
        add_str(o, "finished_utc", r->finished_utc);
        cJSON_AddItemToArray(runs, o);
    }
    cJSON *variants = cJSON_AddArrayToObject(j, "variants");
    for (int i = 0; i < db->n_variants; i++) {
        const results_variant *v = &db->variants[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "hash", v->hash);
        add_str(o, "method", v->method);
        cJSON_AddStringToObject(o, "label", v->label);
        cJSON_AddStringToObject(o, "canonical", v->canonical);
        cJSON_AddItemToArray(variants, o);
    }
    cJSON *tables = cJSON_AddArrayToObject(j, "tables");
    for (int k = 0; k < t->n; k++) cJSON_AddItemToArray(tables, table_json(db, &t->t[k]));
    return j;
}
