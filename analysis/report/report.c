#include "analysis/report/report.h"

#include <dirent.h>
#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "analysis/classify/attn_classes.h"
#include "analysis/report/attn_export.h"
#include "analysis/report/gnuplot.h"
#include "analysis/report/plots_attn.h"
#include "analysis/report/report_internal.h"
#include "analysis/report/results_tables.h"
#include "bench/base/error.h"
#include "bench/base/fs.h"

#define ATTN_BINS 100

static void html_text(FILE *f, const char *s) {
    for (; s && *s; s++) {
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else if (*s == '"') fputs("&quot;", f);
        else fputc(*s, f);
    }
}

static const char *base_name(const char *path) {
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

// ---- attention logs ---------------------------------------------------------------------------

typedef struct {
    char *path, *stem;  // the .h5 file; its name without .h5 (the export folder under attn/)
    char *method, *group, *config_hash;
    int n_layers, n_heads;
    int counts[ATTN_CLASS_COUNT];  // layer x head labels by class
} attn_entry;

static int str_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

// *.h5 in dir and its sub-folders (one level), sorted by path.
static char **find_logs(const char *dir, int *n) {
    char **v = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return NULL;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st)) continue;
        size_t len = strlen(e->d_name);
        if (S_ISREG(st.st_mode) && len > 3 && !strcmp(e->d_name + len - 3, ".h5")) {
            v = pcb_realloc(v, sizeof *v * (size_t)(*n + 1)), v[(*n)++] = pcb_strdup(p);
        } else if (S_ISDIR(st.st_mode)) {
            int m;
            char **sub = find_logs(p, &m);  // one level: logs of sub-folders only
            for (int i = 0; i < m; i++) {
                if (strchr(sub[i] + strlen(p) + 1, '/')) {
                    free(sub[i]);
                    continue;
                }
                v = pcb_realloc(v, sizeof *v * (size_t)(*n + 1)), v[(*n)++] = sub[i];
            }
            free(sub);
        }
    }
    closedir(d);
    if (*n) qsort(v, (size_t)*n, sizeof *v, str_cmp);
    return v;
}

// Classifies and exports the first sample of one log, then draws its four plots.
static int attn_one(const char *path, const char *out_dir, attn_entry *e, report_plots *plots) {
    hid_t f = attn_log_open(path, 0);
    if (f < 0) return -1;
    attn_sample_info *samples = NULL;
    int n_samples = 0, rc = -1;
    attn_class_row *rows = NULL;
    int n_rows = 0;
    if (attn_log_samples(f, path, &samples, &n_samples)) goto out;
    if (n_samples == 0) {
        pcb_fail("%s: no samples", path);
        goto out;
    }
    attn_thresholds t;
    attn_thresholds_default(&t);
    layer_range ranges[64];
    int n_ranges = layer_ranges_default(samples[0].n_layers, ranges, 64);
    char dir[1200];
    snprintf(dir, sizeof dir, "%s/attn/%s", out_dir, e->stem);
    if (pcb_mkdir(dir) || attn_classify_sample(f, path, &samples[0], 0, &t, &rows, &n_rows) ||
        attn_export_sample(f, path, &samples[0], rows, n_rows, ATTN_BINS, ranges, n_ranges, dir))
        goto out;
    for (int i = 0; i < n_rows; i++)
        if (rows[i].head >= 0 && rows[i].label >= 0 && rows[i].label < ATTN_CLASS_COUNT) e->counts[rows[i].label]++;
    e->method = pcb_strdup(samples[0].method ? samples[0].method : "?");
    e->group = pcb_strdup(samples[0].group);
    e->config_hash = pcb_strdup(samples[0].config_hash ? samples[0].config_hash : "");
    e->n_layers = samples[0].n_layers, e->n_heads = samples[0].n_heads;
    static const struct {
        const char *suffix, *caption;
        int (*draw)(const char *, const char *, const char *);
    } kinds[] = {
        {"heatmap",
         "Head-averaged attention of the question over the cache: layer x normalised key position "
         "(log colour scale); red marks are chunk starts.",
         plot_attn_heatmap},
        {"class_map", "Pattern class of every layer x query head.", plot_attn_class_map},
        {"class_ranges", "Share of heads per pattern class in each layer range.", plot_attn_class_ranges},
    };
    char rel[1100], name[256];
    snprintf(rel, sizeof rel, "attn/%s", e->stem);
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        snprintf(name, sizeof name, "%s_%s", e->group, kinds[k].suffix);
        report_plot_done(plots, rel, name, kinds[k].caption, kinds[k].draw(dir, e->group, dir));
    }
    snprintf(name, sizeof name, "%s_layers", e->group);
    report_plot_done(plots, rel, name,
                     "Attention mass over key position in four layers (first, a quarter, half way, last); dashed: "
                     "chunk starts; dotted: uniform.",
                     plot_attn_layers(dir, e->group, NULL, 0, dir));
    rc = 0;
out:
    attn_class_rows_free(rows, n_rows);
    attn_samples_free(samples, n_samples);
    H5Fclose(f);
    return rc;
}

static int is_parallel(const char *method) {
    return method && (!strcmp(method, "pcw") || !strcmp(method, "parallelcomp"));
}
static int is_standard(const char *method) {
    return method && (!strcmp(method, "full") || !strcmp(method, "full-untruncated"));
}

// ---- HTML -------------------------------------------------------------------------------------

static const char CSS[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:1200px;"
    "color:#222;padding:0 1em}h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}"
    "table{border-collapse:collapse;margin:0.6em 0 1.2em;font-size:0.92em}"
    "th,td{border:1px solid #ccc;padding:0.25em 0.6em}td.num{text-align:right;font-variant-numeric:tabular-nums}"
    "th{background:#f3f3f3}caption{caption-side:top;text-align:left;font-weight:600;padding:0.3em 0}"
    "figure{margin:1.2em 0}figure img{max-width:100%;border:1px solid #ddd}figcaption{font-size:0.9em;color:#444}"
    "h3.tcap{font-size:0.95em;margin:1.2em 0 "
    "0.2em}.notes{font-size:0.85em;color:#555}.missing{color:#a00}code{font-size:0.9em}";

// Marks the body with the number of images and of those that did not load (the browser test
// reads these attributes; a reader sees a broken image anyway).
static const char IMAGE_CHECK[] =
    "window.addEventListener('load',function(){var im=document.images,bad=0;"
    "for(var i=0;i<im.length;i++)if(!im[i].complete||im[i].naturalWidth===0)bad++;"
    "document.body.setAttribute('data-images',im.length);document.body.setAttribute('data-broken',bad);});";

static void html_table(FILE *f, const results_table *t) {
    // The caption as a heading: a <caption> would wrap at the width of a narrow table.
    fputs("<h3 class=\"tcap\">", f);
    html_text(f, t->caption);
    fprintf(f, "</h3>\n<table id=\"table-%s\">\n<tr><th>method</th>", t->id);
    for (int c = 0; c < t->n_cols; c++) {
        fputs("<th>", f);
        html_text(f, t->cols[c].header);
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    for (int r = 0; r < t->n_rows; r++) {
        fputs("<tr><td>", f);
        html_text(f, t->row_label[r]);
        fputs("</td>", f);
        for (int c = 0; c < t->n_cols; c++) {
            char buf[96];
            // Markdown cell text is digits, "×", "–" and <sup>mark</sup>: valid HTML as it is.
            results_cell_text(&t->cols[c], results_table_cell(t, r, c), RESULTS_MARKDOWN, buf, sizeof buf);
            fprintf(f, "<td class=\"num\">%s</td>", buf);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    if (t->n_notes) {
        fputs("<div class=\"notes\">", f);
        for (int i = 0; i < t->n_notes; i++) {
            char mark[8];
            results_note_mark(i + 1, mark);
            fprintf(f, "<sup>%s</sup> ", mark);
            html_text(f, t->notes[i]);
            fputs("<br>\n", f);
        }
        fputs("</div>\n", f);
    }
}

static void html_figure(FILE *f, const report_plot *p) {
    if (p->error) return;
    fprintf(f, "<figure><a href=\"%s.svg\"><img src=\"%s.png\" alt=\"", p->name, p->name);
    html_text(f, base_name(p->name));
    fputs("\"></a><figcaption>", f);
    html_text(f, p->caption);
    fprintf(f,
            " <a href=\"%s.svg\">svg</a> · <a href=\"%s.gp\">gnuplot script</a> (re-draw: <code>cd %.*s &amp;&amp; "
            "gnuplot %s.gp</code>)</figcaption></figure>\n",
            p->name, p->name, (int)(base_name(p->name) - p->name - 1), p->name, base_name(p->name));
}

static void html_runs(FILE *f, const results_db *db) {
    fputs(
        "<table id=\"runs\"><caption>Runs (one per pcbench run invocation)</caption>\n<tr><th>run</th><th>config</th>"
        "<th>pcbench</th><th>backend</th><th>device</th><th>threads</th><th>model</th><th>model sha256</th>"
        "<th>host</th><th>shard</th><th>started (UTC)</th><th>finished (UTC)</th></tr>\n",
        f);
    for (int i = 0; i < db->n_runs; i++) {
        const results_run *r = &db->runs[i];
        const char *cells[] = {r->config_name, r->code_version, r->backend, r->device};
        fprintf(f, "<tr><td class=\"num\">%lld</td>", (long long)r->id);
        for (size_t c = 0; c < 4; c++) {
            fputs("<td>", f);
            html_text(f, cells[c] ? cells[c] : "");
            fputs("</td>", f);
        }
        fprintf(f, "<td class=\"num\">%d</td><td>", r->threads);
        html_text(f, r->model ? base_name(r->model) : "");
        fprintf(f, "</td><td><code>%.12s</code></td><td>", r->model_sha256 ? r->model_sha256 : "");
        const char *rest[] = {r->host, r->shard, r->started_utc, r->finished_utc ? r->finished_utc : "(not finished)"};
        for (size_t c = 0; c < 4; c++) {
            html_text(f, rest[c] ? rest[c] : "");
            fputs(c < 3 ? "</td><td>" : "</td></tr>\n", f);
        }
    }
    fputs("</table>\n", f);
}

static void html_variants(FILE *f, const results_db *db) {
    fputs(
        "<table id=\"variants\"><caption>Variants (canonical knobs; the hash identifies a variant)</caption>\n"
        "<tr><th>label</th><th>hash</th><th>knobs</th></tr>\n",
        f);
    for (int v = 0; v < db->n_variants; v++) {
        fputs("<tr><td>", f);
        html_text(f, db->variants[v].label);
        fprintf(f, "</td><td><code>%s</code></td><td><code style=\"white-space:pre-wrap\">", db->variants[v].hash);
        // Canonical text is one key=value per line: show it compactly on one line.
        for (const char *c = db->variants[v].canonical ? db->variants[v].canonical : ""; *c; c++) {
            if (*c == '\n') fputs("  ", f);
            else html_text(f, (char[]){*c, 0});
        }
        fputs("</code></td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void html_attn_table(FILE *f, const attn_entry *e, int n) {
    fputs(
        "<table id=\"attn-classes\"><caption>Pattern classes of the logged samples (layer x head labels, thresholds "
        "of analysis/classify/attn_classify.h)</caption>\n<tr><th>log</th><th>method</th><th>variant</th>",
        f);
    for (int c = 0; c < ATTN_CLASS_COUNT; c++) fprintf(f, "<th>%s</th>", attn_class_name((attn_class)c));
    fputs("</tr>\n", f);
    for (int i = 0; i < n; i++) {
        if (!e[i].method) continue;
        fputs("<tr><td>", f);
        html_text(f, base_name(e[i].path));
        fputs("</td><td>", f);
        html_text(f, e[i].method);
        fprintf(f, "</td><td><code>%s</code></td>", e[i].config_hash);
        for (int c = 0; c < ATTN_CLASS_COUNT; c++) fprintf(f, "<td class=\"num\">%d</td>", e[i].counts[c]);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void plots_section(FILE *f, const report_plots *p, int from, int to) {
    for (int i = from; i < to; i++) html_figure(f, &p->v[i]);
}

int report_write(const report_options *o, report_result *res) {
    *res = (report_result){0};
    results_db db;
    results_tables tables = {0};
    report_plots plots = {0};
    attn_entry *logs = NULL;
    char **paths = NULL;
    int n_paths = 0, n_logs = 0, rc = -1;
    FILE *f = NULL;
    char dir[1100], index[1200], tmp[1300];
    if (results_read(o->db_path, &db)) return -1;
    snprintf(dir, sizeof dir, "%s/plots", o->out_dir);
    if (pcb_mkdir(o->out_dir) || pcb_mkdir(dir) || results_tables_build(&db, &tables)) goto out;
    char version[128] = "";
    int have_gnuplot = gnuplot_available(version, sizeof version);
    char gnuplot_problem[512] = "";
    if (!have_gnuplot) snprintf(gnuplot_problem, sizeof gnuplot_problem, "%s", pcb_last_error());
    if (report_results_plots(&db, dir, &plots) < 0) goto out;
    int n_result_plots = plots.n;
    // Attention logs: classified, exported and drawn; then standard vs parallel side by side.
    if (o->attn_dir) {
        paths = find_logs(o->attn_dir, &n_paths);
        if (!paths && n_paths == 0) {
            DIR *d = opendir(o->attn_dir);
            if (!d) {
                pcb_fail("%s: cannot open the attention log folder", o->attn_dir);
                goto out;
            }
            closedir(d);
        }
        int max = o->max_attn_logs > 0 ? o->max_attn_logs : 12;
        n_logs = n_paths < max ? n_paths : max;
        logs = pcb_calloc((size_t)n_logs + 1, sizeof *logs);
        snprintf(tmp, sizeof tmp, "%s/attn", o->out_dir);
        if (n_logs && pcb_mkdir(tmp)) goto out;
        for (int i = 0; i < n_logs; i++) {
            logs[i].path = pcb_strdup(paths[i]);
            const char *b = base_name(paths[i]);
            logs[i].stem = pcb_strdup(b);
            logs[i].stem[strlen(b) - 3] = 0;
            for (char *c = logs[i].stem; *c; c++)
                if (!gnuplot_valid_name((char[]){*c, 0})) *c = '_';
            if (attn_one(paths[i], o->out_dir, &logs[i], &plots)) {
                report_plot_done(&plots, "attn", logs[i].stem, "attention log", -1);  // the reason, listed
                free(logs[i].method), logs[i].method = NULL;
            }
        }
        int a = -1, b = -1;
        for (int i = 0; i < n_logs; i++) {
            if (a < 0 && is_standard(logs[i].method)) a = i;
            if (b < 0 && is_parallel(logs[i].method)) b = i;
        }
        if (a >= 0 && b >= 0) {
            char da[1300], dbb[1300];
            snprintf(da, sizeof da, "%s/attn/%s", o->out_dir, logs[a].stem);
            snprintf(dbb, sizeof dbb, "%s/attn/%s", o->out_dir, logs[b].stem);
            snprintf(tmp, sizeof tmp, "%s/attn", o->out_dir);
            char caption[300];
            snprintf(caption, sizeof caption,
                     "Standard (%s) vs parallel (%s) attention of the question, one colour scale.", logs[a].method,
                     logs[b].method);
            report_plot_done(
                &plots, "attn", "standard_vs_parallel", caption,
                plot_attn_heatmap_pair(da, logs[a].group, dbb, logs[b].group, tmp, "standard_vs_parallel"));
        }
    }
    for (int i = 0; i < plots.n; i++) {
        if (plots.v[i].error && !res->first_missing) {
            size_t len = strlen(plots.v[i].name) + strlen(plots.v[i].error) + 4;
            res->first_missing = pcb_malloc(len);
            snprintf(res->first_missing, len, "%s: %s", plots.v[i].name, plots.v[i].error);
        }
        plots.v[i].error ? res->n_missing++ : res->n_plots++;
    }
    // index.html through a temporary name: a reader never sees half a report.
    snprintf(index, sizeof index, "%s/index.html", o->out_dir);
    snprintf(tmp, sizeof tmp, "%s/index.html.tmp", o->out_dir);
    if (!(f = fopen(tmp, "w"))) {
        pcb_fail("%s: cannot write: %s", tmp, strerror(errno));
        goto out;
    }
    char title[512], stamp[32];
    snprintf(title, sizeof title, "%s", o->title ? o->title : "");
    if (!o->title) snprintf(title, sizeof title, "pcbench report: %s", base_name(o->db_path));
    time_t now = time(NULL);
    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M UTC", gmtime(&now));
    fputs("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>", f);
    html_text(f, title);
    fprintf(f, "</title>\n<style>%s</style></head>\n<body>\n<h1>", CSS);
    html_text(f, title);
    fputs("</h1>\n<p>Results file <code>", f);
    html_text(f, o->db_path);
    fprintf(f, "</code>: %d variants, %d rows (%d done, %d failed, %d pending). Written %s by pcbench; plots by ",
            db.n_variants, db.n_rows, db.n_done, db.n_failed, db.n_pending, stamp);
    html_text(f, have_gnuplot ? version : "(gnuplot not available)");
    fputs(".</p>\n", f);
    if (res->n_missing) {
        fprintf(
            f, "<div id=\"missing\" class=\"missing\"><h2>Missing plots</h2><p>%d plot%s could not be drawn:</p><ul>\n",
            res->n_missing, res->n_missing == 1 ? "" : "s");
        if (*gnuplot_problem) {
            fputs("<li>", f);
            html_text(f, gnuplot_problem);
            fputs("</li>\n", f);
        }
        for (int i = 0; i < plots.n; i++) {
            if (!plots.v[i].error) continue;
            fputs("<li><code>", f);
            html_text(f, plots.v[i].name);
            fputs("</code>: ", f);
            html_text(f, plots.v[i].error);
            fputs("</li>\n", f);
        }
        fputs("</ul></div>\n", f);
    }
    fputs("<h2>Runs</h2>\n", f);
    html_runs(f, &db);
    html_variants(f, &db);
    fputs("<h2>Tables</h2>\n", f);
    if (!tables.n) fputs("<p>No done rows yet.</p>\n", f);
    for (int i = 0; i < tables.n; i++) html_table(f, &tables.t[i]);
    fputs(
        "<p class=\"notes\">The same tables as Markdown or LaTeX: <code>pcbench tables --db FILE [--format "
        "latex]</code>."
        "</p>\n<h2>Plots</h2>\n",
        f);
    if (!n_result_plots) fputs("<p>No plots: the results have no length axis, KV or chunk data yet.</p>\n", f);
    plots_section(f, &plots, 0, n_result_plots);
    if (o->attn_dir) {
        fputs("<h2>Attention</h2>\n<p>Logs from <code>", f);
        html_text(f, o->attn_dir);
        fprintf(f, "</code>: %d found, %d drawn%s.</p>\n", n_paths, n_logs,
                n_paths > n_logs ? " (the first ones by name)" : "");
        if (n_logs) html_attn_table(f, logs, n_logs);
        // The pair first, then each log's plots.
        for (int i = n_result_plots; i < plots.n; i++)
            if (!strcmp(base_name(plots.v[i].name), "standard_vs_parallel")) html_figure(f, &plots.v[i]);
        for (int i = n_result_plots; i < plots.n; i++)
            if (strcmp(base_name(plots.v[i].name), "standard_vs_parallel")) html_figure(f, &plots.v[i]);
    }
    fprintf(f, "<script>%s</script>\n</body></html>\n", IMAGE_CHECK);
    int bad = ferror(f);
    if (fclose(f) || bad) {
        f = NULL;
        pcb_fail("%s: write failed", tmp);
        remove(tmp);
        goto out;
    }
    f = NULL;
    if (rename(tmp, index)) {
        pcb_fail("%s: cannot rename to %s: %s", tmp, index, strerror(errno));
        remove(tmp);
        goto out;
    }
    rc = 0;
out:
    if (f) fclose(f), remove(tmp);
    for (int i = 0; i < plots.n; i++) free(plots.v[i].name), free(plots.v[i].caption), free(plots.v[i].error);
    free(plots.v);
    for (int i = 0; i < n_logs; i++)
        free(logs[i].path), free(logs[i].stem), free(logs[i].method), free(logs[i].group), free(logs[i].config_hash);
    free(logs);
    for (int i = 0; i < n_paths; i++) free(paths[i]);
    free(paths);
    results_tables_free(&tables);
    results_db_free(&db);
    if (rc) report_result_free(res);
    return rc;
}

void report_result_free(report_result *r) {
    free(r->first_missing);
    *r = (report_result){0};
}
