#include "analysis/report/gnuplot.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bench/base/error.h"
#include "bench/base/fs.h"
#include "bench/base/stats.h"

static const char *gnuplot_exe(void) {
    const char *e = getenv("PCB_GNUPLOT");
    return e && *e ? e : "gnuplot";
}

// Single-quoted for sh: ' becomes '\''.
static void shell_quote(FILE *f, const char *s) {
    fputc('\'', f);
    for (; *s; s++) *s == '\'' ? fputs("'\\''", f) : fputc(*s, f);
    fputc('\'', f);
}

char *gnuplot_quote(const char *s) {
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    if (!f) abort();
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        if (*s == '\n') fputs("\\n", f);
        else fputc(*s, f);
    }
    fputc('"', f);
    fclose(f);
    return out;
}

// Runs cmd (sh) and keeps the start of what it printed; the rest is drained so it never blocks.
static int run_capture(const char *cmd, char *out, size_t size, int *status) {
    FILE *p = popen(cmd, "r");
    if (!p) return pcb_fail("cannot start a shell for gnuplot: %s", strerror(errno));
    size_t len = 0;
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, p)) > 0) {
        size_t take = got < size - 1 - len ? got : size - 1 - len;
        memcpy(out + len, chunk, take);
        len += take;
    }
    out[len] = 0;
    *status = pclose(p);
    if (*status == -1) return pcb_fail("waiting for gnuplot: %s", strerror(errno));
    return 0;
}

// What gnuplot said went wrong: its `"NAME.gp" line N: ...` error line when there is one (the
// lines before it echo the command and point a caret at it), else the first non-blank line;
// with the last warning before it, which often names the cause ("Cannot find or open file").
static void error_line(const char *out, char *line, size_t size) {
    const char *pick = NULL, *first = NULL, *warning = NULL;
    for (const char *p = out; *p && !pick;) {
        const char *end = strchr(p, '\n');
        if (!end) end = p + strlen(p);
        size_t len = (size_t)(end - p);
        if (!first && strspn(p, " \t\r") < len) first = p;
        const char *w = memmem(p, len, "warning: ", 9);
        if (w) warning = w + 9;
        else if (memmem(p, len, "\" line ", 7)) pick = p;
        p = *end ? end + 1 : end;
    }
    if (!pick) pick = first, warning = NULL;
    if (!pick) {
        snprintf(line, size, "no error output");
        return;
    }
    int len = (int)strcspn(pick, "\r\n");
    if (warning) snprintf(line, size, "%.*s (after: %.*s)", len, pick, (int)strcspn(warning, "\r\n"), warning);
    else snprintf(line, size, "%.*s", len, pick);
}

int gnuplot_available(char *version, size_t n) {
    char *cmd = NULL, out[512];
    size_t len = 0;
    FILE *f = open_memstream(&cmd, &len);
    if (!f) abort();
    fputs("exec ", f);
    shell_quote(f, gnuplot_exe());
    fputs(" --version </dev/null 2>&1", f);
    fclose(f);
    int status = 0,
        ok = run_capture(cmd, out, sizeof out, &status) == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && out[0];
    free(cmd);
    if (version && n) snprintf(version, n, "%.*s", (int)strcspn(out, "\r\n"), ok ? out : "");
    if (!ok)
        pcb_fail("gnuplot not found or not runnable ('%s --version' failed; install gnuplot-nox or set PCB_GNUPLOT)",
                 gnuplot_exe());
    return ok;
}

int gnuplot_valid_name(const char *name) {
    if (!name || !*name || !strcmp(name, ".") || !strcmp(name, "..")) return 0;
    for (const char *c = name; *c; c++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-", *c)) return 0;
    return 1;
}

static void path_of(char *out, size_t size, const char *dir, const char *name, const char *ext) {
    snprintf(out, size, "%s/%s%s", dir, name, ext);
}

static void remove_images(const char *dir, const char *name) {
    char path[4096];
    path_of(path, sizeof path, dir, name, ".png");
    remove(path);
    path_of(path, sizeof path, dir, name, ".svg");
    remove(path);
}

static long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) ? (long)st.st_size : -1;
}

static void quoted_line(FILE *f, const char *cmd, const char *text, const char *extra) {
    if (!text || !*text) return;
    char *q = gnuplot_quote(text);
    fprintf(f, "%s %s noenhanced%s\n", cmd, q, extra);
    free(q);
}

// Indents every line of text (the body reads as the loop's block).
static void indented(FILE *f, const char *text) {
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, "\n");
        fprintf(f, "    %.*s\n", (int)len, p);
        p += len + (p[len] == '\n');
    }
}

static int write_script(const gnuplot_plot *p, const char *path, const char *name) {
    FILE *f = fopen(path, "w");
    if (!f) return pcb_fail("%s: cannot write the gnuplot script: %s", path, strerror(errno));
    int w = p->width > 0 ? p->width : 900, h = p->height > 0 ? p->height : 600;
    fprintf(f,
            "# %s.gp, written by pcbench: draws %s.png and %s.svg from the data files beside it.\n"
            "# Redraw with:  cd <this folder> && gnuplot %s.gp\n",
            name, name, name, name);
    fputs("reset\nset encoding utf8\n", f);
    quoted_line(f, "set title", p->title, " font \",13\"");
    quoted_line(f, "set xlabel", p->xlabel, "");
    quoted_line(f, "set ylabel", p->ylabel, "");
    if (p->logx) fputs("set logscale x\n", f);
    if (p->logy) fputs("set logscale y\n", f);
    // Defaults a plot's setup may override: light grid, key outside, distinguishable lines.
    fputs(
        "set grid back lt 1 lc rgb '#e5e5e5' lw 1\n"
        "set key outside right top Left reverse noenhanced spacing 1.2\n"
        "set border lc rgb '#404040'\n"
        "set linetype 1 lc rgb '#1f77b4' lw 2 pt 7 ps 0.9\n"
        "set linetype 2 lc rgb '#d62728' lw 2 pt 5 ps 0.9\n"
        "set linetype 3 lc rgb '#2ca02c' lw 2 pt 9 ps 1.1\n"
        "set linetype 4 lc rgb '#ff7f0e' lw 2 pt 11 ps 1.1\n"
        "set linetype 5 lc rgb '#9467bd' lw 2 pt 13 ps 1.1\n"
        "set linetype 6 lc rgb '#8c564b' lw 2 pt 7 ps 0.9\n"
        "set linetype 7 lc rgb '#e377c2' lw 2 pt 5 ps 0.9\n"
        "set linetype 8 lc rgb '#7f7f7f' lw 2 pt 9 ps 1.1\n"
        "set linetype cycle 8\n",
        f);
    if (p->setup && *p->setup) {
        fputs("# plot settings\n", f);
        fputs(p->setup, f);
        if (p->setup[strlen(p->setup) - 1] != '\n') fputc('\n', f);
    }
    // The body once, run for both terminals.
    fprintf(f,
            "do for [pcb_format in \"png svg\"] {\n"
            "    if (pcb_format eq \"png\") {\n"
            "        set terminal pngcairo size %d,%d enhanced font \"Sans,11\" linewidth 1.2\n"
            "    } else {\n"
            "        set terminal svg size %d,%d dynamic enhanced font \"Sans,11\" linewidth 1.2 "
            "background \"white\"\n"
            "    }\n"
            "    set output \"%s.\" . pcb_format\n",
            w, h, w, h, name);
    indented(f, p->body);
    fputs("    unset output\n}\n", f);
    if (fclose(f)) return pcb_fail("%s: write error", path);
    return 0;
}

int gnuplot_render(const gnuplot_plot *p, const char *out_dir, const char *name) {
    if (!gnuplot_valid_name(name))
        return pcb_fail("plot name '%s': use letters, digits and _.+- only", name ? name : "(null)");
    if (!p || !p->body || !*p->body) return pcb_fail("plot %s: no plot commands", name);
    if (pcb_mkdir(out_dir)) return -1;
    char gp[4096], png[4096], svg[4096];
    path_of(gp, sizeof gp, out_dir, name, ".gp");
    path_of(png, sizeof png, out_dir, name, ".png");
    path_of(svg, sizeof svg, out_dir, name, ".svg");
    remove_images(out_dir, name);
    if (write_script(p, gp, name)) return -1;

    char *cmd = NULL, out[8192];
    size_t len = 0;
    FILE *f = open_memstream(&cmd, &len);
    if (!f) abort();
    fputs("cd ", f);
    shell_quote(f, out_dir);
    fputs(" && exec ", f);
    shell_quote(f, gnuplot_exe());
    fprintf(f, " %s.gp </dev/null 2>&1", name);
    fclose(f);
    int status = 0, rc = run_capture(cmd, out, sizeof out, &status);
    free(cmd);
    if (rc) return remove_images(out_dir, name), pcb_fail_context("plot %s not drawn", name);

    char line[512];
    error_line(out, line, sizeof line);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        rc = pcb_fail("gnuplot not found (tried '%s'; install gnuplot-nox or set PCB_GNUPLOT): plot %s not drawn",
                      gnuplot_exe(), name);
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 126)
        rc = pcb_fail("gnuplot '%s' cannot be run (%s): plot %s not drawn", gnuplot_exe(), line, name);
    else if (WIFSIGNALED(status))
        rc = pcb_fail("gnuplot was killed by signal %d on %s/%s.gp", WTERMSIG(status), out_dir, name);
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        rc = pcb_fail("gnuplot failed on %s/%s.gp (exit %d): %s", out_dir, name, WEXITSTATUS(status), line);
    else if (file_size(png) <= 0 || file_size(svg) <= 0)
        rc = pcb_fail("gnuplot exited 0 on %s/%s.gp but did not draw %s.%s", out_dir, name, name,
                      file_size(png) <= 0 ? "png" : "svg");
    if (rc) remove_images(out_dir, name);
    return rc;
}

// ---- data files and the plots of them ----

static void put_number(FILE *f, double v, const char *sep) {
    fputs(sep, f);
    if (isfinite(v)) fprintf(f, "%.10g", v);
    else fputs("NaN", f);
}

// Text usable as a quoted column of a data file (no quote or line break inside).
static void put_label(FILE *f, const char *s) {
    fputc('"', f);
    for (; s && *s; s++) fputc(*s == '"' ? '\'' : *s == '\n' || *s == '\r' ? ' ' : *s, f);
    fputc('"', f);
}

static FILE *open_data(const char *out_dir, const char *name, char *path, size_t size) {
    if (!gnuplot_valid_name(name)) {
        pcb_fail("plot name '%s': use letters, digits and _.+- only", name ? name : "(null)");
        return NULL;
    }
    if (pcb_mkdir(out_dir)) return NULL;
    path_of(path, size, out_dir, name, ".dat");
    FILE *f = fopen(path, "w");
    if (!f) pcb_fail("%s: cannot write: %s", path, strerror(errno));
    return f;
}

static void one_line(FILE *f, const char *s) {
    for (; s && *s; s++) fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
}

// Renders a plot whose body was built in a memstream (freed here).
static int render_built(gnuplot_plot *p, char *setup, char *body, const char *out_dir, const char *name) {
    p->setup = setup, p->body = body;
    int rc = gnuplot_render(p, out_dir, name);
    free(setup), free(body);
    return rc;
}

// A log x axis over a few lengths (1K..128K) gets one or two decade tics from gnuplot; label
// the data's own x values instead when there are few, multiples of 1024 as "4K".
static void log_x_tics(FILE *b, const gnuplot_series *series, int n) {
    double xs[13];
    int m = 0;
    for (int s = 0; s < n; s++)
        for (int i = 0; i < series[s].n; i++) {
            double x = series[s].x[i];
            if (!isfinite(x) || x <= 0) continue;
            int seen = 0;
            for (int k = 0; k < m && !seen; k++) seen = xs[k] == x;
            if (seen) continue;
            if (m == 12) return;
            xs[m++] = x;
        }
    if (m < 2) return;
    qsort(xs, (size_t)m, sizeof xs[0], pcb_cmp_double);
    fputs("set xtics (", b);
    for (int k = 0; k < m; k++) {
        double x = xs[k];
        if (x >= 1024 && fmod(x, 1024) == 0) fprintf(b, "%s\"%gK\" %.10g", k ? ", " : "", x / 1024, x);
        else fprintf(b, "%s\"%g\" %.10g", k ? ", " : "", x, x);
    }
    fputs(")\nset mxtics default\n", b);
}

int gnuplot_lines(const char *out_dir, const char *name, const char *title, const char *xlabel, const char *ylabel,
                  int logx, int logy, const gnuplot_series *series, int n) {
    if (n <= 0) return pcb_fail("plot %s: no series", name ? name : "(null)");
    char path[4096];
    FILE *f = open_data(out_dir, name, path, sizeof path);
    if (!f) return -1;
    fputs("# ", f);
    one_line(f, title ? title : name);
    fputs("\n# x y; one block per series (gnuplot index i)\n", f);
    for (int s = 0; s < n; s++) {
        if (s) fputs("\n\n", f);
        fprintf(f, "# series %d: ", s);
        one_line(f, series[s].title);
        fputc('\n', f);
        // An empty series still gets its block, so index i stays series i.
        if (series[s].n <= 0) fputs("NaN NaN\n", f);
        for (int i = 0; i < series[s].n; i++) {
            put_number(f, series[s].x[i], "");
            put_number(f, series[s].y[i], " ");
            fputc('\n', f);
        }
    }
    if (fclose(f)) return pcb_fail("%s: write error", path);

    char *body = NULL;
    size_t len = 0;
    FILE *b = open_memstream(&body, &len);
    if (!b) abort();
    for (int s = 0; s < n; s++) {
        char *t = gnuplot_quote(series[s].title ? series[s].title : "");
        fprintf(b, "%s'%s.dat' index %d using 1:2 with linespoints title %s", s ? ", \\\n     " : "plot ", name, s, t);
        free(t);
    }
    fputc('\n', b);
    fclose(b);
    char *setup = NULL;
    b = open_memstream(&setup, &len);
    if (!b) abort();
    // Points on the ends of the range rather than a decade of empty axis, with a little air.
    fputs("set autoscale xfix\nset offsets graph 0.03, graph 0.03, 0, 0\n", b);
    if (logx) log_x_tics(b, series, n);
    fclose(b);
    gnuplot_plot p = {.title = title, .xlabel = xlabel, .ylabel = ylabel, .logx = logx, .logy = logy};
    return render_built(&p, setup, body, out_dir, name);
}

int gnuplot_bars(const char *out_dir, const char *name, const char *title, const char *xlabel, const char *ylabel,
                 int stacked, const char *const *categories, int n_categories, const char *const *series, int n_series,
                 const double *values) {
    if (n_categories <= 0 || n_series <= 0) return pcb_fail("plot %s: no bars", name ? name : "(null)");
    char path[4096];
    FILE *f = open_data(out_dir, name, path, sizeof path);
    if (!f) return -1;
    fputs("# ", f);
    one_line(f, title ? title : name);
    fputs("\n# category", f);
    for (int s = 0; s < n_series; s++) fputs(" | ", f), one_line(f, series[s]);
    fputc('\n', f);
    for (int c = 0; c < n_categories; c++) {
        put_label(f, categories[c]);
        for (int s = 0; s < n_series; s++) put_number(f, values[(size_t)c * n_series + s], " ");
        fputc('\n', f);
    }
    if (fclose(f)) return pcb_fail("%s: write error", path);

    char *setup = NULL, *body = NULL;
    size_t len = 0;
    FILE *b = open_memstream(&setup, &len);
    if (!b) abort();
    // Stacked: the key inverted, so it lists the series top down as the bars show them.
    fprintf(b,
            "set style data histograms\n"
            "set style histogram %s\n"
            "set style fill solid 0.85 border rgb '#404040'\n"
            "set boxwidth 0.85 relative\n"
            "set xtics noenhanced nomirror scale 0\n"
            "set grid noxtics ytics\n"
            "set yrange [0:*]\n"
            "set offsets 0, 0, graph 0.05, 0\n",
            stacked ? "rowstacked\nset key invert" : "clustered gap 1");
    fclose(b);
    b = open_memstream(&body, &len);
    if (!b) abort();
    for (int s = 0; s < n_series; s++) {
        char *t = gnuplot_quote(series[s]);
        if (s == 0) fprintf(b, "plot '%s.dat' using 2:xtic(1) title %s", name, t);
        else fprintf(b, ", \\\n     '' using %d title %s", s + 2, t);
        free(t);
    }
    fputc('\n', b);
    fclose(b);
    gnuplot_plot p = {.title = title, .xlabel = xlabel, .ylabel = ylabel};
    return render_built(&p, setup, body, out_dir, name);
}
