// The results plots of the HTML report (report.h), drawn with gnuplot_lines / gnuplot_render
// from the aggregates of results_read.h. Each returns the number of plots it tried and records
// every drawn or missing one in the report's plot list.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/report/gnuplot.h"
#include "analysis/report/report_internal.h"
#include "bench/base/error.h"

void report_plot_done(report_plots *p, const char *dir, const char *name, const char *caption, int rc) {
    if (p->n == p->cap) p->cap = p->cap ? 2 * p->cap : 16, p->v = pcb_realloc(p->v, sizeof *p->v * (size_t)p->cap);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    p->v[p->n++] = (report_plot){
        .name = pcb_strdup(path), .caption = pcb_strdup(caption), .error = rc ? pcb_strdup(pcb_last_error()) : NULL};
}

static int is_ppl(const results_row *r, void *ctx) { return results_task_is_ppl(r->task) && r->context_length > 0; }
static int not_ppl(const results_row *r, void *ctx) { return !results_task_is_ppl(r->task); }
static int has_length(const results_row *r, void *ctx) { return r->context_length > 0; }

// One series per variant over the lengths of groups g (grouped by variant and length): y = f(group).
static void lines_by_variant(const results_db *db, const results_group *g, int n,
                             double (*f)(const results_group *, void *), void *ctx, const char *dir, const char *name,
                             const char *title, const char *ylabel, int logy, report_plots *out, const char *caption) {
    gnuplot_series *s = pcb_calloc((size_t)db->n_variants + 1, sizeof *s);
    double *x = pcb_calloc((size_t)n + 1, sizeof *x), *y = pcb_calloc((size_t)n + 1, sizeof *y);
    int ns = 0, at = 0;
    for (int v = 0; v < db->n_variants; v++) {
        int first = at;
        for (int i = 0; i < n; i++)
            if (g[i].variant == v && g[i].n_done > 0) x[at] = g[i].context_length, y[at] = f(&g[i], ctx), at++;
        if (at > first) s[ns++] = (gnuplot_series){db->variants[v].label, at - first, x + first, y + first};
    }
    if (ns)
        report_plot_done(out, "plots", name, caption,
                         gnuplot_lines(dir, name, title, "context length (tokens)", ylabel, 1, logy, s, ns));
    free(s), free(x), free(y);
}

static double g_score(const results_group *g, void *ctx) { return g->score; }
static double g_prefill_s(const results_group *g, void *ctx) { return g->prefill_ms_median / 1000; }
static double g_peak_mib(const results_group *g, void *ctx) { return g->peak_bytes_max / 1048576.0; }
static double g_kv_mib(const results_group *g, void *ctx) { return g->kv_peak_bytes_max / 1048576.0; }
static double g_gpu_mib(const results_group *g, void *ctx) { return g->device_peak_bytes_max / 1048576.0; }

// Speedup against the baseline variant at the same length (NAN where the baseline has no time).
static double g_speedup(const results_group *g, void *ctx) {
    const struct {
        const results_group *g;
        int n, base;
    } *c = ctx;
    const results_group *b = results_group_find(c->g, c->n, c->base, NULL, g->context_length, NAN);
    return b && b->n_done && g->prefill_ms_median > 0 ? b->prefill_ms_median / g->prefill_ms_median : NAN;
}

static int find_variant(const results_db *db, const char *method) {
    for (int v = 0; v < db->n_variants; v++)
        if (db->variants[v].method && !strcmp(db->variants[v].method, method)) return v;
    return -1;
}

// Score vs a per-variant x (mean kept chunks or KV slots), one point per variant and task:
// points, labelled by variant, one series per task.
static void score_scatter(const results_db *db, const results_group *g, int n, int kv, const char *dir,
                          report_plots *out) {
    const char *name = kv ? "score_vs_kv_slots" : "score_vs_kept_chunks";
    char path[1200];
    snprintf(path, sizeof path, "%s/%s.dat", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        pcb_fail("%s: cannot write", path);
        report_plot_done(out, "plots", name, "", -1);
        return;
    }
    // One block per task: "x score "variant"" lines; plotted with `index` per task.
    const char *tasks[64];
    int n_tasks = 0, points = 0;
    for (int i = 0; i < n && n_tasks < 64; i++) {
        int seen = 0;
        for (int t = 0; t < n_tasks; t++) seen |= !strcmp(tasks[t], g[i].task);
        if (!seen) tasks[n_tasks++] = g[i].task;
    }
    char *body = pcb_strdup("plot ");
    int blocks = 0;
    for (int t = 0; t < n_tasks; t++) {
        int wrote = 0;
        for (int i = 0; i < n; i++) {
            if (strcmp(g[i].task, tasks[t]) || !g[i].n_done || g[i].score_kind != RESULTS_SCORE_PERCENT) continue;
            double x = kv ? g[i].kv_slots_mean : g[i].n_kept_mean;
            if (!isfinite(x) || (!kv && g[i].n_chunks_mean <= 0)) continue;  // no chunks: single-window method
            if (!wrote) fprintf(f, "%s# task %s\n", blocks ? "\n\n" : "", tasks[t]);
            char *q = gnuplot_quote(db->variants[g[i].variant].label);
            fprintf(f, "%.17g %.17g %s\n", x, g[i].score, q);
            free(q);
            wrote = 1, points++;
        }
        if (!wrote) continue;
        char *qt = gnuplot_quote(tasks[t]), item[512];
        snprintf(item, sizeof item,
                 "%s'%s.dat' index %d using 1:2 with points pointsize 1.6 title %s, "
                 "'' index %d using 1:2:3 with labels offset 0.8,0.6 left font ',8' notitle",
                 blocks ? ", " : "", name, blocks, qt, blocks);
        free(qt);
        body = pcb_realloc(body, strlen(body) + strlen(item) + 1);
        strcat(body, item);
        blocks++;
    }
    fclose(f);
    if (points) {
        gnuplot_plot p = {.title = kv ? "Score vs KV-cache size (mean slots kept, all layers and KV heads)"
                                      : "Score vs chunks kept (chunked methods)",
                          .xlabel = kv ? "KV slots kept (mean per sample)" : "chunks kept (mean per sample)",
                          .ylabel = "score (100 x mean)",
                          .logx = kv,
                          .setup = "set yrange [0:*]\nset offsets graph 0.05, graph 0.3, graph 0.08, 0",
                          .body = body};
        report_plot_done(out, "plots", name,
                         kv ? "Each point is one variant on one task: its score against the KV-cache slots it kept."
                            : "Each point is one chunked variant on one task: its score against the chunks it kept.",
                         gnuplot_render(&p, dir, name));
    } else {
        remove(path);
    }
    free(body);
}

int report_results_plots(const results_db *db, const char *dir, report_plots *out) {
    int before = out->n;
    results_group *g = NULL;
    int n = 0;
    // Score vs length per variant (tasks with a length axis, ppl aside).
    if (results_group_rows(db, RESULTS_BY_VARIANT | RESULTS_BY_TASK | RESULTS_BY_LENGTH, not_ppl, NULL, &g, &n))
        return -1;
    const char *tasks[64];
    int n_tasks = 0;
    for (int i = 0; i < n && n_tasks < 64; i++) {
        int seen = 0;
        for (int t = 0; t < n_tasks; t++) seen |= !strcmp(tasks[t], g[i].task);
        if (!seen && g[i].context_length > 0) tasks[n_tasks++] = g[i].task;
    }
    for (int t = 0; t < n_tasks; t++) {
        results_group *sub = pcb_calloc((size_t)n + 1, sizeof *sub);
        int m = 0, lengths = 0;
        for (int i = 0; i < n; i++)
            if (!strcmp(g[i].task, tasks[t]) && g[i].context_length > 0) sub[m++] = g[i];
        for (int i = 0; i < m; i++) lengths += i == 0 || sub[i].context_length != sub[0].context_length;
        char name[128], title[200], caption[300];
        snprintf(name, sizeof name, "score_vs_length_%s", tasks[t]);
        for (char *c = name; *c; c++)
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-", *c)) *c = '_';
        snprintf(title, sizeof title, "%s: score vs context length", tasks[t]);
        snprintf(caption, sizeof caption, "%s: 100 x mean score (over depths and samples) by context length.",
                 tasks[t]);
        lines_by_variant(db, sub, m, g_score, NULL, dir, name, title, "score (100 x mean)", 0, out, caption);
        free(sub);
    }
    free(g);
    // Score vs what the method kept, per variant and task.
    if (results_group_rows(db, RESULTS_BY_VARIANT | RESULTS_BY_TASK, not_ppl, NULL, &g, &n)) return -1;
    score_scatter(db, g, n, 0, dir, out);
    score_scatter(db, g, n, 1, dir, out);
    free(g);
    // Perplexity vs length.
    if (results_group_rows(db, RESULTS_BY_VARIANT | RESULTS_BY_LENGTH, is_ppl, NULL, &g, &n)) return -1;
    lines_by_variant(db, g, n, g_score, NULL, dir, "ppl_vs_length", "Perplexity vs context length", "perplexity", 1,
                     out,
                     "Pooled perplexity of the predicted continuation (exp of the mean log PPL) by context length.");
    free(g);
    // Prefill time, speedup and memory vs length, every task pooled.
    if (results_group_rows(db, RESULTS_BY_VARIANT | RESULTS_BY_LENGTH, has_length, NULL, &g, &n)) return -1;
    lines_by_variant(db, g, n, g_prefill_s, NULL, dir, "prefill_vs_length", "Prefill time vs context length",
                     "prefill time (s, median)", 1, out,
                     "Median prefill time (token ids ready to the first answer token's logits) by context length.");
    int base = find_variant(db, "full-untruncated");
    const char *base_name = "full-untruncated";
    if (base < 0) base = find_variant(db, "full"), base_name = "full";
    if (base >= 0) {
        struct {
            const results_group *g;
            int n, base;
        } ctx = {g, n, base};
        char title[128], caption[256];
        snprintf(title, sizeof title, "Prefill speedup vs context length (against %s)", base_name);
        snprintf(caption, sizeof caption, "Median prefill time of %s divided by the variant's, at the same length.",
                 base_name);
        lines_by_variant(db, g, n, g_speedup, &ctx, dir, "speedup_vs_length", title, "speedup (x)", 1, out, caption);
    }
    lines_by_variant(db, g, n, g_peak_mib, NULL, dir, "peak_memory_vs_length", "Peak host memory vs context length",
                     "peak RSS (MiB, max over rows)", 0, out,
                     "Peak resident memory of the process during a row (weights included), largest over the rows.");
    lines_by_variant(db, g, n, g_kv_mib, NULL, dir, "kv_memory_vs_length", "KV-cache peak vs context length",
                     "KV-cache peak (MiB)", 0, out, "Largest KV-cache allocation alive at once during a row.");
    int gpu = 0;
    for (int i = 0; i < n; i++) gpu |= g[i].device_peak_bytes_max > 0;
    if (gpu)
        lines_by_variant(db, g, n, g_gpu_mib, NULL, dir, "gpu_memory_vs_length", "Peak GPU memory vs context length",
                         "GPU peak (MiB)", 0, out, "Peak device memory of the caching allocator during a row.");
    free(g);
    return out->n - before;
}
