// Plots through gnuplot: a hand-made data set drawn to PNG + SVG and redrawn by the script alone
// in a moved folder; the missing-gnuplot and gnuplot-error paths (no images left behind); the
// line and bar helpers; the attention plots of a synthetic log that was classified and exported
// with the real code. Tests that need gnuplot skip when it is not installed.
#include <hdf5.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis/classify/attn_classes.h"
#include "analysis/read/attn_log_read.h"
#include "analysis/report/attn_export.h"
#include "analysis/report/gnuplot.h"
#include "analysis/report/plots_attn.h"
#include "analysis/store/attn_log.h"
#include "bench/base/error.h"
#include "bench/base/text_file.h"
#include "tests/test.h"

static char dir[64];
static int have_gnuplot;

#define NEED_GNUPLOT() \
    if (!have_gnuplot) SKIP_TEST("gnuplot not found")

static void path_in(char *out, size_t n, const char *sub, const char *name) {
    snprintf(out, n, "%s/%s/%s", dir, sub, name);
}

static long size_of(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

// Whole file, NUL-terminated; NULL if unreadable.
static char *slurp(const char *path, long *len) {
    size_t n = 0;
    char *buf = read_text_file(path, &n);
    if (len) *len = (long)n;
    return buf;
}

static int is_png(const char *path) {
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    long n;
    char *b = slurp(path, &n);
    int ok = b && n > 8 && memcmp(b, sig, 8) == 0;
    free(b);
    return ok;
}

static int is_svg(const char *path) {
    char *b = slurp(path, NULL);
    int ok = b && strstr(b, "<svg") && strstr(b, "</svg>");
    free(b);
    return ok;
}

// <sub>/<name>.{gp,png,svg} all there, the images real PNG / SVG.
static void check_drawn(const char *sub, const char *name) {
    char p[512], f[256];
    snprintf(f, sizeof f, "%s.gp", name);
    path_in(p, sizeof p, sub, f);
    CHECK_MSG(size_of(p) > 0, "%s", p);
    snprintf(f, sizeof f, "%s.png", name);
    path_in(p, sizeof p, sub, f);
    CHECK_MSG(is_png(p), "%s is not a PNG", p);
    snprintf(f, sizeof f, "%s.svg", name);
    path_in(p, sizeof p, sub, f);
    CHECK_MSG(is_svg(p), "%s is not an SVG", p);
}

static void check_no_images(const char *sub, const char *name) {
    char p[512], f[256];
    snprintf(f, sizeof f, "%s.png", name);
    path_in(p, sizeof p, sub, f);
    CHECK_MSG(size_of(p) < 0, "%s left behind", p);
    snprintf(f, sizeof f, "%s.svg", name);
    path_in(p, sizeof p, sub, f);
    CHECK_MSG(size_of(p) < 0, "%s left behind", p);
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (f) fputs(text, f), fclose(f);
}

static const char small_data[] = "# x y1 y2\n1 1 2\n2 4 3\n3 9 5\n4 16 6\n";

static void make_small(const char *sub) {
    char p[512];
    path_in(p, sizeof p, sub, "");
    mkdir(p, 0777);
    path_in(p, sizeof p, sub, "pts.dat");
    write_text(p, small_data);
}

static const gnuplot_plot small_plot = {
    .title = "squares_and \"friends\"",
    .xlabel = "x",
    .ylabel = "y",
    .setup = "set arrow from 2.5, graph 0 to 2.5, graph 1 nohead dt 2\n",
    .body =
        "plot 'pts.dat' using 1:2 with linespoints title \"x^2\", \\\n"
        "     '' using 1:3 with linespoints title \"other\"",
};

static void test_render_and_rerun(void) {
    NEED_GNUPLOT();
    make_small("small");
    char out[256], p[512];
    snprintf(out, sizeof out, "%s/small", dir);
    CHECK_MSG(gnuplot_render(&small_plot, out, "squares") == 0, "%s", pcb_last_error());
    check_drawn("small", "squares");
    path_in(p, sizeof p, "small", "pts.dat");
    CHECK(size_of(p) == (long)strlen(small_data));
    path_in(p, sizeof p, "small", "squares.gp");
    char *gp = slurp(p, NULL);
    CHECK(gp && strstr(gp, "pngcairo") && strstr(gp, "set terminal svg") && strstr(gp, "'pts.dat'"));
    CHECK_MSG(gp && !strstr(gp, dir), "the script names its folder: it could not be moved");
    CHECK(gp && strstr(gp, "set arrow from 2.5"));
    CHECK(gp && strstr(gp, "\"squares_and \\\"friends\\\"\" noenhanced"));
    free(gp);
    path_in(p, sizeof p, "small", "squares.svg");
    char *svg1 = slurp(p, NULL), *png1 = NULL;
    long png1_len = 0;
    path_in(p, sizeof p, "small", "squares.png");
    png1 = slurp(p, &png1_len);

    // Move the folder, drop the images, run the script alone there: the same images come back.
    char moved[256], cmd[1024];
    snprintf(moved, sizeof moved, "%s/small-moved", dir);
    CHECK(rename(out, moved) == 0);
    path_in(p, sizeof p, "small-moved", "squares.png");
    remove(p);
    path_in(p, sizeof p, "small-moved", "squares.svg");
    remove(p);
    const char *exe = getenv("PCB_GNUPLOT");
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' squares.gp 2>&1", moved, exe && *exe ? exe : "gnuplot");
    CHECK(system(cmd) == 0);
    check_drawn("small-moved", "squares");
    path_in(p, sizeof p, "small-moved", "squares.svg");
    char *svg2 = slurp(p, NULL);
    CHECK(svg1 && svg2 && strcmp(svg1, svg2) == 0);
    long png2_len = 0;
    path_in(p, sizeof p, "small-moved", "squares.png");
    char *png2 = slurp(p, &png2_len);
    CHECK(png1 && png2 && png1_len == png2_len && memcmp(png1, png2, (size_t)png1_len) == 0);
    free(svg1), free(svg2), free(png1), free(png2);

    // Rendering again replaces the images.
    CHECK_MSG(gnuplot_render(&small_plot, moved, "squares") == 0, "%s", pcb_last_error());
    check_drawn("small-moved", "squares");
}

static void test_available(void) {
    NEED_GNUPLOT();
    char version[128];
    CHECK(gnuplot_available(version, sizeof version) == 1);
    CHECK_MSG(strncmp(version, "gnuplot ", 8) == 0, "'%s'", version);
    CHECK(!strchr(version, '\n'));
    CHECK(gnuplot_available(NULL, 0) == 1);
}

// Stale images from an earlier run must go too, or a caller would show an old plot.
static void plant_stale_images(const char *sub, const char *name) {
    char p[512], f[256];
    snprintf(f, sizeof f, "%s.png", name);
    path_in(p, sizeof p, sub, f);
    write_text(p, "stale");
    snprintf(f, sizeof f, "%s.svg", name);
    path_in(p, sizeof p, sub, f);
    write_text(p, "stale");
}

static void test_missing_gnuplot(void) {
    make_small("missing");
    plant_stale_images("missing", "squares");
    char out[256];
    snprintf(out, sizeof out, "%s/missing", dir);
    const char *old = getenv("PCB_GNUPLOT");
    char *saved = old ? strdup(old) : NULL;
    setenv("PCB_GNUPLOT", "/nonexistent", 1);
    char version[64] = "x";
    pcb_clear_error();
    CHECK(gnuplot_available(version, sizeof version) == 0);
    CHECK(version[0] == 0);
    CHECK_MSG(strstr(pcb_last_error(), "gnuplot") && strstr(pcb_last_error(), "/nonexistent"), "%s", pcb_last_error());
    pcb_clear_error();
    CHECK(gnuplot_render(&small_plot, out, "squares") == -1);
    const char *e = pcb_last_error();
    CHECK_MSG(strstr(e, "gnuplot not found") && strstr(e, "squares") && strstr(e, "gnuplot-nox"), "%s", e);
    check_no_images("missing", "squares");
    pcb_clear_error();
    CHECK(gnuplot_lines(out, "lines", "t", "x", "y", 0, 0,
                        &(gnuplot_series){"a", 2, (double[]){1, 2}, (double[]){3, 4}}, 1) == -1);
    CHECK_MSG(strstr(pcb_last_error(), "gnuplot not found"), "%s", pcb_last_error());
    check_no_images("missing", "lines");
    if (saved) setenv("PCB_GNUPLOT", saved, 1), free(saved);
    else unsetenv("PCB_GNUPLOT");
}

static void test_gnuplot_error(void) {
    NEED_GNUPLOT();
    make_small("broken");
    plant_stale_images("broken", "typo");
    char out[256];
    snprintf(out, sizeof out, "%s/broken", dir);
    gnuplot_plot p = {.title = "typo", .body = "plot 'pts.dat' using 1:2 wiht lines"};
    pcb_clear_error();
    CHECK(gnuplot_render(&p, out, "typo") == -1);
    const char *e = pcb_last_error();
    CHECK_MSG(strstr(e, "gnuplot failed on") && strstr(e, "typo.gp") && strstr(e, "wiht"), "%s", e);
    check_no_images("broken", "typo");
    char gp[512];
    path_in(gp, sizeof gp, "broken", "typo.gp");
    CHECK_MSG(size_of(gp) > 0, "the failing script stays for debugging");

    // A missing data file is gnuplot's error too.
    p.body = "plot 'absent.dat' using 1:2 with lines";
    CHECK(gnuplot_render(&p, out, "absent") == -1);
    CHECK_MSG(strstr(pcb_last_error(), "absent.dat"), "%s", pcb_last_error());
    check_no_images("broken", "absent");

    // gnuplot exits 0 without drawing: an empty image is not a plot.
    p.body = "exit";
    CHECK(gnuplot_render(&p, out, "quits") == -1);
    CHECK_MSG(strstr(pcb_last_error(), "did not draw"), "%s", pcb_last_error());
    check_no_images("broken", "quits");
}

static void test_bad_arguments(void) {
    char out[256];
    snprintf(out, sizeof out, "%s/args", dir);
    CHECK(gnuplot_render(&small_plot, out, "../escape") == -1);
    CHECK(strstr(pcb_last_error(), "../escape") != NULL);
    CHECK(gnuplot_render(&small_plot, out, "a'b") == -1);
    CHECK(gnuplot_render(&small_plot, out, "") == -1);
    CHECK(gnuplot_render(&(gnuplot_plot){.title = "x"}, out, "empty") == -1);
    CHECK(strstr(pcb_last_error(), "no plot commands") != NULL);
    CHECK(gnuplot_render(&small_plot, "/nonexistent-dir/deeper", "x") == -1);
    CHECK(strstr(pcb_last_error(), "/nonexistent-dir/deeper") != NULL);
    CHECK(gnuplot_lines(out, "none", "t", "x", "y", 0, 0, NULL, 0) == -1);
    CHECK(gnuplot_bars(out, "none", "t", "x", "y", 0, NULL, 0, NULL, 0, NULL) == -1);
    char *q = gnuplot_quote("a\"b\\c\nd");
    CHECK(strcmp(q, "\"a\\\"b\\\\c\\nd\"") == 0);
    free(q);
}

static void test_lines(void) {
    NEED_GNUPLOT();
    char out[256], p[512];
    snprintf(out, sizeof out, "%s/lines", dir);
    double len[5] = {1024, 2048, 4096, 8192, 16384};
    double full[5] = {0.11, 0.35, 1.2, 4.6, 19.0}, pc[5] = {0.1, 0.2, 0.41, NAN, 1.7};
    gnuplot_series s[3] = {{"full", 5, len, full}, {"parallelcomp", 5, len, pc}, {"empty", 0, NULL, NULL}};
    CHECK_MSG(gnuplot_lines(out, "prefill", "Prefill time vs length", "context tokens", "seconds", 1, 1, s, 3) == 0,
              "%s", pcb_last_error());
    check_drawn("lines", "prefill");
    path_in(p, sizeof p, "lines", "prefill.dat");
    char *dat = slurp(p, NULL);
    CHECK(dat && strstr(dat, "# series 0: full\n1024 0.11\n"));
    CHECK(dat && strstr(dat, "16384 19\n\n\n# series 1: parallelcomp\n"));
    CHECK(dat && strstr(dat, "8192 NaN\n"));
    CHECK(dat && strstr(dat, "\n\n\n# series 2: empty\nNaN NaN\n"));
    free(dat);
    path_in(p, sizeof p, "lines", "prefill.gp");
    char *gp = slurp(p, NULL);
    CHECK(gp && strstr(gp, "index 1 using 1:2 with linespoints title \"parallelcomp\""));
    CHECK(gp && strstr(gp, "set logscale x") && strstr(gp, "set logscale y"));
    CHECK(gp && strstr(gp, "\"16K\" 16384"));
    free(gp);

    // Linear axes, a budget-style x.
    double budget[4] = {0.1, 0.25, 0.5, 1.0}, score[4] = {31, 38, 41, 42};
    gnuplot_series one = {"parallelcomp", 4, budget, score};
    CHECK_MSG(gnuplot_lines(out, "score", "Score vs budget", "KV budget", "score", 0, 0, &one, 1) == 0, "%s",
              pcb_last_error());
    check_drawn("lines", "score");
}

static void test_bars(void) {
    NEED_GNUPLOT();
    char out[256], p[512];
    snprintf(out, sizeof out, "%s/bars", dir);
    const char *tasks[3] = {"single-doc QA", "multi \"doc\" QA", "summ"}, *methods[2] = {"full", "parallelcomp"};
    double v[6] = {30, 28, 20, 22, 24, NAN};
    for (int stacked = 0; stacked < 2; stacked++) {
        const char *name = stacked ? "stacked" : "clustered";
        CHECK_MSG(gnuplot_bars(out, name, "LongBench", "task", "score", stacked, tasks, 3, methods, 2, v) == 0, "%s",
                  pcb_last_error());
        check_drawn("bars", name);
    }
    path_in(p, sizeof p, "bars", "clustered.dat");
    char *dat = slurp(p, NULL);
    CHECK(dat && strstr(dat, "\"single-doc QA\" 30 28\n\"multi 'doc' QA\" 20 22\n\"summ\" 24 NaN\n"));
    free(dat);
}

// ---- attention plots of a synthetic log ----

enum { L = 8, H = 4, G = 2 };

// Head h of layer l over `keys` slots with chunks starting at starts[0..n): early layers
// uniform, then u-shaped, then sinks at every chunk start; head 3 of the late layers a peak.
static void fill_layer(float *attn, int keys, int l, const int32_t *starts, int n) {
    for (int h = 0; h < H; h++) {
        float *p = attn + (size_t)h * keys;
        for (int j = 0; j < keys; j++) p[j] = 1.0f;
        if (l >= 2 && l < 4) {
            for (int j = 0; j < keys / 20; j++) p[j] += 40.0f, p[keys - 1 - j] += 30.0f;
        } else if (l >= 4 && h == 3) {
            for (int j = keys / 2 - keys / 40; j < keys / 2 + keys / 40; j++) p[j] += 200.0f;
        } else if (l >= 4) {
            for (int c = 0; c < n; c++)
                for (int j = starts[c]; j < starts[c] + 4 && j < keys; j++) p[j] += 60.0f;
            p[keys - 1] += 50.0f;
        }
        double sum = 0;
        for (int j = 0; j < keys; j++) sum += p[j];
        for (int j = 0; j < keys; j++) p[j] = (float)(p[j] / sum);
    }
}

// One sample: keys_of(l) slots at layer l, n_chunks equal chunks.
static int write_sample(attn_log *lg, const char *id, const char *method, int n_chunks, int keys_even, int keys_odd,
                        int layers) {
    attn_log_sample s = {.id = id,
                         .method = method,
                         .config_hash = "0123456789abcdef",
                         .config = method,
                         .n_layers = layers,
                         .n_heads = H,
                         .n_kv_heads = G,
                         .observed_rows = 1,
                         .doc_tokens = 500};
    if (attn_log_begin_sample(lg, &s)) return -1;
    for (int l = 0; l < layers; l++) {
        int keys = l % 2 ? keys_odd : keys_even;
        float *attn = malloc(sizeof(float) * H * keys);
        int32_t *pos = malloc(sizeof(int32_t) * keys), *chunk = malloc(sizeof(int32_t) * keys);
        int32_t *doc = malloc(sizeof(int32_t) * keys), starts[8];
        uint8_t *kept = malloc((size_t)G * keys);
        for (int c = 0; c < n_chunks; c++) starts[c] = c * (keys / n_chunks);
        for (int j = 0; j < keys; j++) {
            chunk[j] = n_chunks > 1 ? j / (keys / n_chunks) : -1;
            if (chunk[j] >= n_chunks) chunk[j] = n_chunks - 1;
            pos[j] = j, doc[j] = j;
        }
        memset(kept, 1, (size_t)G * keys);
        fill_layer(attn, keys, l, starts, n_chunks);
        attn_log_layer ll = {.step = 0,
                             .layer = l,
                             .keys = keys,
                             .attn = attn,
                             .pos = pos,
                             .chunk = chunk,
                             .doc = doc,
                             .kept = kept,
                             .chunk_starts = starts,
                             .n_chunk_starts = n_chunks};
        int rc = attn_log_write_layer(lg, &ll);
        free(attn), free(pos), free(chunk), free(doc), free(kept);
        if (rc) return -1;
    }
    return attn_log_end_sample(lg, "an answer", keys_even, NULL, 0);
}

// The log written, classified and exported as `pcbench attn export` does.
static int make_export(const char *h5, const char *export_dir) {
    attn_log *lg = attn_log_create(h5, &(attn_log_meta){.created_by = "test_plots", .model = "synthetic"});
    if (!lg) return -1;
    if (write_sample(lg, "full", "full", 1, 600, 600, L) || write_sample(lg, "pc", "pcw", 3, 600, 600, L) ||
        write_sample(lg, "odd", "pcw", 2, 40, 64, 4)) {
        attn_log_abort(lg);
        return -1;
    }
    if (attn_log_close(lg)) return -1;
    hid_t f = attn_log_open(h5, 0);
    if (f < 0) return -1;
    attn_sample_info *samples = NULL;
    int n = 0, rc = attn_log_samples(f, h5, &samples, &n);
    attn_thresholds t;
    attn_thresholds_default(&t);
    for (int i = 0; i < n && rc == 0; i++) {
        layer_range ranges[8];
        int n_ranges = layer_ranges_default(samples[i].n_layers, ranges, 8);
        attn_class_row *rows = NULL;
        int n_rows = 0;
        rc = attn_classify_sample(f, h5, &samples[i], 0, &t, &rows, &n_rows) ||
             attn_export_sample(f, h5, &samples[i], rows, n_rows, 100, ranges, n_ranges, export_dir);
        attn_class_rows_free(rows, n_rows);
    }
    attn_samples_free(samples, n);
    H5Fclose(f);
    return rc ? -1 : 0;
}

static int export_ready;

static void test_synthetic_export(void) {
    char h5[256], export_dir[256], p[512];
    snprintf(h5, sizeof h5, "%s/synthetic.h5", dir);
    snprintf(export_dir, sizeof export_dir, "%s/export", dir);
    export_ready = make_export(h5, export_dir) == 0;
    CHECK_MSG(export_ready, "%s", pcb_last_error());
    // The sample really has several classes (the map and the bars have something to show).
    path_in(p, sizeof p, "export", "sample_pc_head_classes.dat");
    char *classes = slurp(p, NULL);
    CHECK(classes && strstr(classes, " uniform\n") && strstr(classes, " u-shaped\n") &&
          strstr(classes, " multi-sink\n") && strstr(classes, " peak\n"));
    free(classes);
}

static void test_attention_plots(void) {
    NEED_GNUPLOT();
    if (!export_ready) FAIL_TEST("the synthetic export (test_synthetic_export failed)");
    char export_dir[256], out[256], p[512];
    snprintf(export_dir, sizeof export_dir, "%s/export", dir);
    snprintf(out, sizeof out, "%s/attn-plots", dir);

    CHECK_MSG(plot_attn_all(export_dir, "sample_pc", out) == 0, "%s", pcb_last_error());
    const char *names[4] = {"sample_pc_heatmap", "sample_pc_layers", "sample_pc_class_map", "sample_pc_class_ranges"};
    for (int i = 0; i < 4; i++) check_drawn("attn-plots", names[i]);
    // The data came along, byte for byte, so the folder stands alone.
    const char *kinds[4] = {"attn", "chunks", "head_classes", "class_counts"};
    for (int i = 0; i < 4; i++) {
        char f[128], q[512];
        snprintf(f, sizeof f, "sample_pc_%s.dat", kinds[i]);
        path_in(p, sizeof p, "attn-plots", f);
        path_in(q, sizeof q, "export", f);
        char *a = slurp(p, NULL), *b = slurp(q, NULL);
        CHECK_MSG(a && b && strcmp(a, b) == 0, "%s", f);
        free(a), free(b);
    }
    path_in(p, sizeof p, "attn-plots", "sample_pc_heatmap.gp");
    char *gp = slurp(p, NULL);
    CHECK(gp && strstr(gp, "with image") && strstr(gp, "'sample_pc_chunks.dat'") && strstr(gp, "pcw, sample pc"));
    CHECK(gp && !strstr(gp, dir));
    free(gp);
    path_in(p, sizeof p, "attn-plots", "sample_pc_class_map.gp");
    gp = slurp(p, NULL);
    CHECK(gp && strstr(gp, "\"multi-sink (") && strstr(gp, "\"u-shaped (") && strstr(gp, "\"other ("));
    free(gp);
    path_in(p, sizeof p, "attn-plots", "sample_pc_layers.gp");
    gp = slurp(p, NULL);  // first, a quarter, half way, last of 8 layers
    CHECK(gp && strstr(gp, "\"layer 0\"") && strstr(gp, "\"layer 1\"") && strstr(gp, "\"layer 3\"") &&
          strstr(gp, "\"layer 7\""));
    free(gp);

    // Drawn in the export folder itself: nothing copied over itself, the plots still there.
    CHECK_MSG(plot_attn_all(export_dir, "sample_full", export_dir) == 0, "%s", pcb_last_error());
    for (int i = 0; i < 4; i++) {
        char name[64];
        snprintf(name, sizeof name, "sample_full_%s", strchr(names[i], '_') + 4);
        check_drawn("export", name);
    }

    // Standard vs parallel, side by side, both data sets under their own names.
    CHECK_MSG(plot_attn_heatmap_pair(export_dir, "sample_full", export_dir, "sample_pc", out, "full_vs_pcw") == 0, "%s",
              pcb_last_error());
    check_drawn("attn-plots", "full_vs_pcw");
    path_in(p, sizeof p, "attn-plots", "full_vs_pcw_a_attn.dat");
    CHECK(size_of(p) > 0);
    path_in(p, sizeof p, "attn-plots", "full_vs_pcw_b_chunks.dat");
    CHECK(size_of(p) > 0);

    // Chosen layers.
    CHECK_MSG(plot_attn_layers(export_dir, "sample_pc", (int[]){2, 5, 6}, 3, out) == 0, "%s", pcb_last_error());
    check_drawn("attn-plots", "sample_pc_layers");
}

// Fewer keys than bins, and a different count per layer: the heatmap cannot be an image.
static void test_irregular_heatmap(void) {
    NEED_GNUPLOT();
    if (!export_ready) FAIL_TEST("the synthetic export (test_synthetic_export failed)");
    char export_dir[256], out[256], p[512];
    snprintf(export_dir, sizeof export_dir, "%s/export", dir);
    snprintf(out, sizeof out, "%s/attn-plots", dir);
    CHECK_MSG(plot_attn_heatmap(export_dir, "sample_odd", out) == 0, "%s", pcb_last_error());
    check_drawn("attn-plots", "sample_odd_heatmap");
    path_in(p, sizeof p, "attn-plots", "sample_odd_heatmap.gp");
    char *gp = slurp(p, NULL);
    CHECK(gp && strstr(gp, "boxxyerror") && !strstr(gp, "with image"));
    free(gp);
    CHECK_MSG(plot_attn_all(export_dir, "sample_odd", out) == 0, "%s", pcb_last_error());
}

static void test_attention_plot_errors(void) {
    char export_dir[256], out[256];
    snprintf(export_dir, sizeof export_dir, "%s/export", dir);
    snprintf(out, sizeof out, "%s/attn-errors", dir);
    pcb_clear_error();
    CHECK(plot_attn_heatmap(export_dir, "sample_nope", out) == -1);
    CHECK_MSG(strstr(pcb_last_error(), "sample_nope_attn.dat") && strstr(pcb_last_error(), "attn export"), "%s",
              pcb_last_error());
    CHECK(plot_attn_class_map(export_dir, "sample_nope", out) == -1);
    CHECK(strstr(pcb_last_error(), "sample_nope_head_classes.dat") != NULL);
    CHECK(plot_attn_class_ranges(export_dir, "sample_nope", out) == -1);
    CHECK(plot_attn_heatmap(export_dir, "../sample_pc", out) == -1);
    CHECK(strstr(pcb_last_error(), "../sample_pc") != NULL);
    if (!export_ready) FAIL_TEST("the synthetic export (test_synthetic_export failed)");
    CHECK(plot_attn_layers(export_dir, "sample_pc", (int[]){3, 99}, 2, out) == -1);
    CHECK_MSG(strstr(pcb_last_error(), "layer 99") && strstr(pcb_last_error(), "0..7"), "%s", pcb_last_error());
    CHECK(plot_attn_heatmap_pair(export_dir, "sample_pc", export_dir, "sample_full", out, "bad/name") == -1);

    // Malformed data files: errors name the file and line.
    char bad[256], p[512];
    snprintf(bad, sizeof bad, "%s/bad-export", dir);
    mkdir(bad, 0777);
    path_in(p, sizeof p, "bad-export", "sample_x_attn.dat");
    write_text(p, "# header\n0 0.5 0.1\n0 zz\n");
    CHECK(plot_attn_heatmap(bad, "sample_x", out) == -1);
    CHECK_MSG(strstr(pcb_last_error(), "sample_x_attn.dat line 3"), "%s", pcb_last_error());
    path_in(p, sizeof p, "bad-export", "sample_x_head_classes.dat");
    write_text(p, "0 0 1 mountain\n");
    CHECK(plot_attn_class_map(bad, "sample_x", out) == -1);
    CHECK_MSG(strstr(pcb_last_error(), "mountain"), "%s", pcb_last_error());
    path_in(p, sizeof p, "bad-export", "sample_x_class_counts.dat");
    write_text(p, "# range other peak\n0-3 1 2\n");
    CHECK(plot_attn_class_ranges(bad, "sample_x", out) == -1);
    CHECK_MSG(strstr(pcb_last_error(), "expected 'u-shaped'"), "%s", pcb_last_error());
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/pcb_plots_%d", (int)getpid());
    mkdir(dir, 0777);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    have_gnuplot = gnuplot_available(NULL, 0);
    RUN_TEST(test_available);
    RUN_TEST(test_render_and_rerun);
    RUN_TEST(test_missing_gnuplot);
    RUN_TEST(test_gnuplot_error);
    RUN_TEST(test_bad_arguments);
    RUN_TEST(test_lines);
    RUN_TEST(test_bars);
    RUN_TEST(test_synthetic_export);
    RUN_TEST(test_attention_plots);
    RUN_TEST(test_irregular_heatmap);
    RUN_TEST(test_attention_plot_errors);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (!getenv("PCB_KEEP_PLOTS") && system(cmd)) fprintf(stderr, "  could not remove %s\n", dir);
    return test_summary();
}
