// Building the paper-shape tables (the numbers and notes); results_tables_print.c renders them.
#include "analysis/report/results_tables.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/base/names.h"

// Table columns follow the task table (bench/base/names.c): LongBench in its own order with the
// categories of its paper (Table 2 groups columns by them), then the generated tasks.
static int task_of_kind(const char *task, pcb_task_kind kind) {
    const pcb_task *t = pcb_task_find(task);
    return t && t->kind == kind;
}

static char *fmt(const char *f, ...) PCB_PRINTF(1, 2);
static char *fmt(const char *f, ...) {
    va_list a, b;
    va_start(a, f);
    va_copy(b, a);
    int n = vsnprintf(NULL, 0, f, a);
    va_end(a);
    char *s = pcb_malloc((size_t)n + 1);
    vsnprintf(s, (size_t)n + 1, f, b);
    va_end(b);
    return s;
}

static int is_longbench(const results_row *r, void *ctx) { return task_of_kind(r->task, TASK_LONGBENCH); }
static int is_synthetic(const results_row *r, void *ctx) { return task_of_kind(r->task, TASK_GENERATED); }
static int is_ppl(const results_row *r, void *ctx) { return results_task_is_ppl(r->task); }

void results_format_length(int len, char *buf, size_t size) {
    if (len == 0) snprintf(buf, size, "as in data");
    else if (len % (1 << 20) == 0) snprintf(buf, size, "%dM", len >> 20);
    else if (len % 1024 == 0) snprintf(buf, size, "%dK", len / 1024);
    else snprintf(buf, size, "%d", len);
}

void results_note_mark(int n, char *buf) {
    char tmp[8];
    int k = 0;
    for (n = n - 1; k < 7; n = n / 26 - 1) {  // bijective base 26: a..z, aa..zz, ...
        tmp[k++] = (char)('a' + n % 26);
        if (n < 26) break;
    }
    for (int i = 0; i < k; i++) buf[i] = tmp[k - 1 - i];
    buf[k] = 0;
}

// Distinct lengths of the groups, ascending with 0 ("as in the data") last. *n_out of them.
static int *distinct_lengths(const results_group *g, int n, int *n_out) {
    int *l = pcb_malloc((size_t)(n ? n : 1) * sizeof *l), k = 0;
    for (int i = 0; i < n; i++) {
        int j = 0;
        while (j < k && l[j] != g[i].context_length) j++;
        if (j == k) l[k++] = g[i].context_length;
    }
    for (int i = 1; i < k; i++)  // insertion sort; 0 sorts as the largest
        for (int j = i; j > 0 && (unsigned)(l[j] - 1) < (unsigned)(l[j - 1] - 1); j--) {
            int t = l[j];
            l[j] = l[j - 1], l[j - 1] = t;
        }
    *n_out = k;
    return l;
}

static results_table *new_table(results_tables *ts, char *id, char *caption) {
    ts->t = pcb_realloc(ts->t, (size_t)(ts->n + 1) * sizeof *ts->t);
    results_table *t = &ts->t[ts->n++];
    memset(t, 0, sizeof *t);
    t->id = id, t->caption = caption;
    return t;
}

static void add_col(results_table *t, char *header, const char *group, char *name, char *what, const char *task,
                    int len, results_measure m) {
    t->cols = pcb_realloc(t->cols, (size_t)(t->n_cols + 1) * sizeof *t->cols);
    t->cols[t->n_cols++] = (results_column){header, group ? pcb_strdup(group) : NULL, name, what, task, len, m};
}

static void add_avg_col(results_table *t) {
    add_col(t, pcb_strdup("avg"), NULL, pcb_strdup("avg"), pcb_strdup("avg"), NULL, -1, RT_AVG);
}

// Rows: the variants that have any of the groups' rows, in first-seen order. Then the cells.
static void add_rows(results_table *t, const results_db *db, const results_group *g, int n, int length) {
    for (int v = 0; v < db->n_variants; v++) {
        int any = 0;
        for (int i = 0; i < n && !any; i++) any = g[i].variant == v && (length < 0 || g[i].context_length == length);
        if (!any) continue;
        t->row_variant = pcb_realloc(t->row_variant, (size_t)(t->n_rows + 1) * sizeof *t->row_variant);
        t->row_label = pcb_realloc(t->row_label, (size_t)(t->n_rows + 1) * sizeof *t->row_label);
        t->row_variant[t->n_rows] = v;
        t->row_label[t->n_rows++] = pcb_strdup(db->variants[v].label);
    }
    t->cells = pcb_calloc((size_t)(t->n_rows ? t->n_rows : 1) * (size_t)(t->n_cols ? t->n_cols : 1), sizeof *t->cells);
    for (int i = 0; i < t->n_rows * t->n_cols; i++) t->cells[i].value = NAN;
}

results_cell *results_table_cell(const results_table *t, int r, int c) {
    return &t->cells[(size_t)r * (size_t)t->n_cols + (size_t)c];
}

static void set_counts(results_cell *c, const results_group *g) {
    if (!g) return;
    c->n_rows = g->n_rows, c->n_done = g->n_done, c->n_failed = g->n_failed, c->n_pending = g->n_pending;
}

// Score cells (and ppl): straight from the (variant, task, length) groups.
static void fill_scores(results_table *t, const results_group *g, int n) {
    for (int r = 0; r < t->n_rows; r++)
        for (int c = 0; c < t->n_cols; c++) {
            const results_column *col = &t->cols[c];
            if (col->measure != RT_SCORE && col->measure != RT_PPL) continue;
            const results_group *x = results_group_find(g, n, t->row_variant[r], col->task, col->context_length, NAN);
            set_counts(results_table_cell(t, r, c), x);
            if (x) results_table_cell(t, r, c)->value = x->score;
        }
}

// avg = mean of the row's score columns that have a value; counts summed over them.
static void fill_avg(results_table *t, int r, int c) {
    double sum = 0;
    int k = 0;
    results_cell *a = results_table_cell(t, r, c);
    for (int j = 0; j < t->n_cols; j++) {
        const results_cell *x = results_table_cell(t, r, j);
        if (t->cols[j].measure != RT_SCORE) continue;
        a->n_rows += x->n_rows, a->n_done += x->n_done, a->n_failed += x->n_failed, a->n_pending += x->n_pending;
        if (!isnan(x->value)) sum += x->value, k++;
    }
    a->value = k ? sum / k : NAN;
}

static int add_note(results_table *t, char *text) {
    for (int i = 0; i < t->n_notes; i++)
        if (!strcmp(t->notes[i], text)) {
            free(text);
            return i + 1;
        }
    t->notes = pcb_realloc(t->notes, (size_t)(t->n_notes + 1) * sizeof *t->notes);
    t->notes[t->n_notes++] = text;
    return t->n_notes;
}

static char *count_note(const char *label, const char *what, const results_cell *x) {
    char extra[64] = "";
    if (x->n_failed && x->n_pending)
        snprintf(extra, sizeof extra, " (%d failed, %d pending)", x->n_failed, x->n_pending);
    else if (x->n_failed) snprintf(extra, sizeof extra, " (%d failed)", x->n_failed);
    else if (x->n_pending) snprintf(extra, sizeof extra, " (%d pending)", x->n_pending);
    return fmt("%s, %s: %d of %d rows done%s", label, what, x->n_done, x->n_rows, extra);
}

// Footnotes in reading order: incomplete cells, and avg cells over fewer columns than the table has.
static void finish(results_table *t) {
    for (int r = 0; r < t->n_rows; r++)
        for (int c = 0; c < t->n_cols; c++)
            if (t->cols[c].measure == RT_AVG) fill_avg(t, r, c);
    for (int r = 0; r < t->n_rows; r++)
        for (int c = 0; c < t->n_cols; c++) {
            results_cell *x = results_table_cell(t, r, c);
            if (t->cols[c].measure == RT_AVG) {
                int k = 0, of = 0;
                for (int j = 0; j < t->n_cols; j++)
                    if (t->cols[j].measure == RT_SCORE) of++, k += !isnan(results_table_cell(t, r, j)->value);
                const char *also = x->n_done < x->n_rows ? "; not every row done" : "";
                if (k < of && k > 0)
                    x->note = add_note(
                        t, fmt("%s, avg: mean of the %d of %d columns with done rows%s", t->row_label[r], k, of, also));
                else if (*also)
                    x->note = add_note(
                        t, fmt("%s, avg: %d of %d rows done over its columns", t->row_label[r], x->n_done, x->n_rows));
            } else if (x->n_rows && x->n_done < x->n_rows) {
                x->note = add_note(t, count_note(t->row_label[r], t->cols[c].what, x));
            }
        }
}

static void build_longbench(const results_db *db, results_tables *ts) {
    results_group *g;
    int n, n_len;
    results_group_rows(db, RESULTS_BY_VARIANT | RESULTS_BY_TASK | RESULTS_BY_LENGTH, is_longbench, NULL, &g, &n);
    int *lens = distinct_lengths(g, n, &n_len);
    for (int l = 0; l < n_len; l++) {
        char len[32];
        results_format_length(lens[l], len, sizeof len);
        results_table *t =
            new_table(ts, lens[l] ? fmt("longbench_%s", len) : pcb_strdup("longbench"),
                      fmt("LongBench (score = 100 × mean of the official per-sample metric; avg = mean of the task "
                          "columns)%s%s%s",
                          lens[l] ? "; contexts cut to the first " : "", lens[l] ? len : "", lens[l] ? " tokens" : ""));
        for (int k = 0; k < pcb_n_tasks; k++) {
            const pcb_task *tk = &pcb_tasks[k];
            int present = 0;
            for (int i = 0; i < n && !present && tk->kind == TASK_LONGBENCH; i++)
                present = g[i].context_length == lens[l] && !strcmp(g[i].task, tk->name);
            if (present)
                add_col(t, pcb_strdup(tk->name), tk->group, pcb_strdup(tk->name), pcb_strdup(tk->name), tk->name,
                        lens[l], RT_SCORE);
        }
        add_avg_col(t);
        add_rows(t, db, g, n, lens[l]);
        fill_scores(t, g, n);
        finish(t);
    }
    free(lens), free(g);
}

static void build_synthetic(const results_db *db, results_tables *ts) {
    results_group *g;
    int n;
    results_group_rows(db, RESULTS_BY_VARIANT | RESULTS_BY_TASK | RESULTS_BY_LENGTH, is_synthetic, NULL, &g, &n);
    if (n) {
        results_table *t =
            new_table(ts, pcb_strdup("synthetic"),
                      pcb_strdup("InfiniteBench synthetic tasks and needle (score = 100 × mean over depths "
                                 "and samples; avg = mean of the columns)"));
        for (int k = 0; k < pcb_n_tasks; k++) {
            const char *task = pcb_tasks[k].name;
            if (pcb_tasks[k].kind != TASK_GENERATED) continue;
            results_group *mine = pcb_malloc((size_t)n * sizeof *mine);
            int m = 0, n_len;
            for (int i = 0; i < n; i++)
                if (!strcmp(g[i].task, task)) mine[m++] = g[i];
            int *lens = distinct_lengths(mine, m, &n_len);
            for (int l = 0; l < n_len; l++) {
                char len[32];
                results_format_length(lens[l], len, sizeof len);
                add_col(t, fmt("%s %s", task, len), task, pcb_strdup(len), fmt("%s %s", task, len), task, lens[l],
                        RT_SCORE);
            }
            free(lens), free(mine);
        }
        add_avg_col(t);
        add_rows(t, db, g, n, -1);
        fill_scores(t, g, n);
        finish(t);
    }
    free(g);
}

static void build_ppl(const results_db *db, results_tables *ts) {
    results_group *g;
    int n, n_len;
    results_group_rows(db, RESULTS_BY_VARIANT | RESULTS_BY_TASK | RESULTS_BY_LENGTH, is_ppl, NULL, &g, &n);
    int *lens = distinct_lengths(g, n, &n_len);
    if (n) {
        results_table *t =
            new_table(ts, pcb_strdup("ppl"),
                      pcb_strdup("Perplexity by context length (pooled over windows: exp of the mean log "
                                 "PPL; lower is better)"));
        for (int l = 0; l < n_len; l++) {
            char len[32];
            results_format_length(lens[l], len, sizeof len);
            add_col(t, pcb_strdup(len), NULL, pcb_strdup(len), pcb_strdup(len), "ppl", lens[l], RT_PPL);
        }
        add_rows(t, db, g, n, -1);
        fill_scores(t, g, n);
        finish(t);
    }
    free(lens), free(g);
}

// Speedup baseline: the first full-untruncated variant with done rows, else the first full one.
static int speed_baseline(const results_db *db, const results_group *g, int n) {
    const char *const methods[] = {"full-untruncated", "full"};
    for (int m = 0; m < 2; m++)
        for (int i = 0; i < n; i++) {
            const char *method = db->variants[g[i].variant].method;
            if (g[i].n_done && method && !strcmp(method, methods[m])) return g[i].variant;
        }
    return -1;
}

// Time and memory over every done row at a length, whatever its task (Table 5 shape).
static void build_speed_memory(const results_db *db, results_tables *ts) {
    results_group *g;
    int n, n_len, gpu = 0;
    results_group_rows(db, RESULTS_BY_VARIANT | RESULTS_BY_LENGTH, NULL, NULL, &g, &n);
    int *lens = distinct_lengths(g, n, &n_len);
    for (int i = 0; i < n; i++) gpu |= g[i].device_peak_bytes_max > 0;
    int base = speed_baseline(db, g, n);
    if (n) {
        results_table *t = new_table(
            ts, pcb_strdup("speed"),
            base >= 0
                ? fmt("Prefill time by context length (ms, median over the done rows of every task) and speedup = "
                      "median prefill time of %s / that of the row, at the same length",
                      db->variants[base].label)
                : pcb_strdup("Prefill time by context length (ms, median over the done rows of every task); no "
                             "full-untruncated or full variant, so no speedup"));
        for (int l = 0; l < n_len; l++) {
            char len[32];
            results_format_length(lens[l], len, sizeof len);
            add_col(t, fmt("%s ms", len), len, pcb_strdup("ms"), pcb_strdup(len), NULL, lens[l], RT_PREFILL_MS);
            if (base >= 0)
                add_col(t, fmt("%s speedup", len), len, pcb_strdup("speedup"), pcb_strdup(len), NULL, lens[l],
                        RT_SPEEDUP);
        }
        add_rows(t, db, g, n, -1);
        for (int r = 0; r < t->n_rows; r++)
            for (int c = 0; c < t->n_cols; c++) {
                const results_column *col = &t->cols[c];
                const results_group *x = results_group_find(g, n, t->row_variant[r], NULL, col->context_length, NAN);
                const results_group *b = results_group_find(g, n, base, NULL, col->context_length, NAN);
                set_counts(results_table_cell(t, r, c), x);
                if (!x) continue;
                results_table_cell(t, r, c)->value = col->measure == RT_PREFILL_MS ? x->prefill_ms_median
                                                     : b && x->n_done && b->n_done
                                                         ? b->prefill_ms_median / x->prefill_ms_median
                                                         : NAN;
            }
        finish(t);

        t = new_table(ts, pcb_strdup("memory"),
                      fmt("Peak memory by context length (MiB, largest over the done rows of every task): host = peak "
                          "RSS, KV = KV-cache peak%s",
                          gpu ? ", GPU = peak device memory" : ""));
        for (int l = 0; l < n_len; l++) {
            char len[32];
            results_format_length(lens[l], len, sizeof len);
            add_col(t, fmt("%s host", len), len, pcb_strdup("host"), pcb_strdup(len), NULL, lens[l], RT_HOST_MIB);
            add_col(t, fmt("%s KV", len), len, pcb_strdup("KV"), pcb_strdup(len), NULL, lens[l], RT_KV_MIB);
            if (gpu) add_col(t, fmt("%s GPU", len), len, pcb_strdup("GPU"), pcb_strdup(len), NULL, lens[l], RT_GPU_MIB);
        }
        add_rows(t, db, g, n, -1);
        for (int r = 0; r < t->n_rows; r++)
            for (int c = 0; c < t->n_cols; c++) {
                const results_column *col = &t->cols[c];
                const results_group *x = results_group_find(g, n, t->row_variant[r], NULL, col->context_length, NAN);
                set_counts(results_table_cell(t, r, c), x);
                if (!x || !x->n_done) continue;
                int64_t b = col->measure == RT_HOST_MIB ? x->peak_bytes_max
                            : col->measure == RT_KV_MIB ? x->kv_peak_bytes_max
                                                        : x->device_peak_bytes_max;
                results_table_cell(t, r, c)->value = (double)b / (1024.0 * 1024.0);
            }
        finish(t);
    }
    free(lens), free(g);
}

int results_tables_build(const results_db *db, results_tables *out) {
    memset(out, 0, sizeof *out);
    if (!db->n_done) return 0;
    build_longbench(db, out);
    build_synthetic(db, out);
    build_ppl(db, out);
    build_speed_memory(db, out);
    return 0;
}

void results_tables_free(results_tables *ts) {
    for (int k = 0; k < ts->n; k++) {
        results_table *t = &ts->t[k];
        for (int c = 0; c < t->n_cols; c++)
            free(t->cols[c].header), free(t->cols[c].group), free(t->cols[c].name), free(t->cols[c].what);
        for (int r = 0; r < t->n_rows; r++) free(t->row_label[r]);
        for (int i = 0; i < t->n_notes; i++) free(t->notes[i]);
        free(t->id), free(t->caption), free(t->cols), free(t->row_variant), free(t->row_label), free(t->cells),
            free(t->notes);
    }
    free(ts->t);
    memset(ts, 0, sizeof *ts);
}
