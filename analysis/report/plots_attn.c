#include "analysis/report/plots_attn.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analysis/classify/attn_classify.h"
#include "analysis/report/gnuplot.h"
#include "analysis/report/plots_attn_data.h"
#include "bench/base/error.h"
#include "bench/base/fs.h"

// One colour per class, in enum order: the class map and the range bars agree.
static const char *const class_colour[ATTN_CLASS_COUNT] = {"#bdbdbd", "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e"};

// Viridis: perceptually even, readable in grey, the zero-mass floor stays dark.
static const char *const viridis =
    "set palette defined (0 '#440154', 1 '#482878', 2 '#3e4989', 3 '#31688e', "
    "4 '#26828e', 5 '#1f9e89', 6 '#35b779', 7 '#6ece58', 8 '#b5de2b', 9 '#fde725')\n";

static FILE *text_buffer(char **text, size_t *len) {
    FILE *f = open_memstream(text, len);
    if (!f) abort();
    return f;
}

static int same_dir(const char *a, const char *b) {
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// <out>/<stem><suffix> from <dir>/<sample><suffix> (written under a temporary name, then renamed),
// unless it is that very file.
static int stage(const char *dir, const char *sample, const char *suffix, const char *out_dir, const char *stem) {
    if (!strcmp(sample, stem) && same_dir(dir, out_dir)) return 0;
    char src[4096], dst[4096], tmp[4200];
    FILE *in = plot_attn_open(dir, sample, suffix, src, sizeof src);
    if (!in) return -1;
    snprintf(dst, sizeof dst, "%s/%s%s", out_dir, stem, suffix);
    snprintf(tmp, sizeof tmp, "%s.tmp", dst);
    FILE *out = fopen(tmp, "w");
    if (!out) {
        fclose(in);
        return pcb_fail("%s: cannot write: %s", tmp, strerror(errno));
    }
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) break;
    int bad = ferror(in) || ferror(out);
    fclose(in);
    if ((fclose(out) | bad) || rename(tmp, dst)) {
        remove(tmp);
        return pcb_fail("%s: cannot copy %s there: %s", dst, src, strerror(errno));
    }
    return 0;
}

static int prepare(const char *export_dir, const char *sample, const char *out_dir) {
    if (!gnuplot_valid_name(sample)) return pcb_fail("sample name '%s': expected sample_<id>", sample);
    return pcb_mkdir(out_dir);
}

// Label of a sample in titles: "pcw, sample 0" (the method and id from the data's header).
static void sample_label(const plot_attn_dat *d, const char *sample, char *out, size_t size) {
    if (strcmp(d->method, "?")) snprintf(out, size, "%s, sample %s", d->method, d->id);
    else snprintf(out, size, "%s", sample);
}

static int tic_step(int n) { return n <= 16 ? 1 : (n + 15) / 16; }

// Colour floor of the log scale: a decade under the uniform level of the finest layer.
static double mass_floor(const plot_attn_dat *d) {
    int bins = 1;
    for (int b = 0; b < d->n_blocks; b++)
        if (d->bins[b] > bins) bins = d->bins[b];
    return pow(10, floor(log10(0.1 / bins)));
}

static void heatmap_axes(FILE *b, const plot_attn_dat *d, double floor_mass) {
    fprintf(b,
            "set xrange [0:1]\nset yrange [-0.5:%g]\nset ytics %d\nset xtics 0.1\nset tics out nomirror\n"
            "set logscale cb\nset cbrange [%g:1]\nset format cb \"10^{%%L}\"\nunset grid\n",
            d->max_layer + 0.5, tic_step(d->max_layer + 1), floor_mass);
}

// The plot command of one heatmap: every layer block as a row of cells coloured by mass (bins
// clamped to the floor so empty ones show as its colour), chunk starts as short marks.
static void heatmap_plot(FILE *b, const char *attn_file, const char *chunks_file, const plot_attn_dat *d,
                         const plot_attn_chunks *c, double floor_mass) {
    if (plot_attn_dat_regular(d)) {
        fprintf(b, "plot '%s' using 2:1:($3 > %g ? $3 : %g) with image notitle", attn_file, floor_mass, floor_mass);
    } else {
        // Layers binned differently (fewer keys than bins): one box per bin, its half-width the
        // block's first bin centre, 2 % wider so antialiased edges leave no seams.
        fprintf(b,
                "pcb_block = -1; pcb_half = 0\n"
                "plot '%s' using 2:1:(column(-1) != pcb_block ? "
                "(pcb_block = column(-1), pcb_half = 1.02 * $2) : pcb_half):(0.5):($3 > %g ? $3 : %g) "
                "with boxxyerror fs solid 1.0 noborder lc palette notitle",
                attn_file, floor_mass, floor_mass);
    }
    if (plot_attn_chunks_inner_any(c))
        fprintf(b,
                ", \\\n     '%s' using ($2 > 0 ? $2 : NaN):($1 - 0.42):(0):(0.84) with vectors nohead "
                "lc rgb '#60ff3030' lw 2 title \"chunk start\"",
                chunks_file);
    fputc('\n', b);
}

int plot_attn_heatmap(const char *export_dir, const char *sample, const char *out_dir) {
    if (prepare(export_dir, sample, out_dir)) return -1;
    plot_attn_dat d;
    plot_attn_chunks c;
    if (plot_attn_dat_read(export_dir, sample, &d)) return -1;
    if (plot_attn_chunks_read(export_dir, sample, &c)) return plot_attn_dat_free(&d), -1;
    int rc = stage(export_dir, sample, "_attn.dat", out_dir, sample) ||
             stage(export_dir, sample, "_chunks.dat", out_dir, sample);
    if (!rc) {
        char label[256], title[512], attn_file[512], chunks_file[512], name[512];
        sample_label(&d, sample, label, sizeof label);
        snprintf(title, sizeof title, "%s: head-averaged attention of the question", label);
        snprintf(attn_file, sizeof attn_file, "%s_attn.dat", sample);
        snprintf(chunks_file, sizeof chunks_file, "%s_chunks.dat", sample);
        snprintf(name, sizeof name, "%s_heatmap", sample);
        double floor_mass = mass_floor(&d);
        char *setup = NULL, *body = NULL;
        size_t n = 0;
        FILE *b = text_buffer(&setup, &n);
        fputs(viridis, b);
        heatmap_axes(b, &d, floor_mass);
        fputs("set cblabel \"attention mass per bin\"\nset key below left\n", b);
        fclose(b);
        b = text_buffer(&body, &n);
        heatmap_plot(b, attn_file, chunks_file, &d, &c, floor_mass);
        fclose(b);
        gnuplot_plot p = {.title = title,
                          .xlabel = "normalised key position (slot / number of slots)",
                          .ylabel = "layer",
                          .setup = setup,
                          .body = body};
        rc = gnuplot_render(&p, out_dir, name);
        free(setup), free(body);
    }
    plot_attn_dat_free(&d);
    plot_attn_chunks_free(&c);
    return rc ? -1 : 0;
}

int plot_attn_heatmap_pair(const char *export_dir_a, const char *sample_a, const char *export_dir_b,
                           const char *sample_b, const char *out_dir, const char *name) {
    if (prepare(export_dir_a, sample_a, out_dir) || prepare(export_dir_b, sample_b, out_dir)) return -1;
    if (!gnuplot_valid_name(name)) return pcb_fail("plot name '%s': use letters, digits and _.+- only", name);
    const char *dirs[2] = {export_dir_a, export_dir_b}, *samples[2] = {sample_a, sample_b};
    plot_attn_dat d[2];
    plot_attn_chunks c[2];
    memset(d, 0, sizeof d), memset(c, 0, sizeof c);
    char stems[2][300];
    int rc = 0;
    for (int i = 0; i < 2 && !rc; i++) {
        snprintf(stems[i], sizeof stems[i], "%.280s_%c", name, 'a' + i);
        rc = plot_attn_dat_read(dirs[i], samples[i], &d[i]) || plot_attn_chunks_read(dirs[i], samples[i], &c[i]) ||
             stage(dirs[i], samples[i], "_attn.dat", out_dir, stems[i]) ||
             stage(dirs[i], samples[i], "_chunks.dat", out_dir, stems[i]);
    }
    if (!rc) {
        // One colour scale for both, so equal colours mean equal mass.
        double floor_mass = fmin(mass_floor(&d[0]), mass_floor(&d[1]));
        char *body = NULL;
        size_t n = 0;
        FILE *b = text_buffer(&body, &n);
        char label[2][256];
        sample_label(&d[0], sample_a, label[0], sizeof label[0]);
        sample_label(&d[1], sample_b, label[1], sizeof label[1]);
        char title[600];
        snprintf(title, sizeof title, "Head-averaged attention of the question: %s vs %s", label[0], label[1]);
        char *qt = gnuplot_quote(title);
        fprintf(b,
                "set multiplot layout 1,2 title %s noenhanced font \",13\" margins 0.06,0.89,0.16,0.88 "
                "spacing 0.06,0\n",
                qt);
        free(qt);
        for (int i = 0; i < 2; i++) {
            char *panel = gnuplot_quote(label[i]);
            fprintf(b, "set title %s noenhanced\n", panel);
            free(panel);
            heatmap_axes(b, &d[i], floor_mass);
            fputs(i == 0 ? "unset colorbox\nset ylabel \"layer\"\n"
                         : "set colorbox\nset cblabel \"attention mass per bin\"\nunset ylabel\n",
                  b);
            int keyed = i == 1 && plot_attn_chunks_inner_any(&c[0]);
            fputs(!keyed && plot_attn_chunks_inner_any(&c[i]) ? "set key at screen 0.89, screen 0.02 right bottom\n"
                                                              : "unset key\n",
                  b);
            char attn_file[640], chunks_file[640];
            snprintf(attn_file, sizeof attn_file, "%s_attn.dat", stems[i]);
            snprintf(chunks_file, sizeof chunks_file, "%s_chunks.dat", stems[i]);
            heatmap_plot(b, attn_file, chunks_file, &d[i], &c[i], floor_mass);
        }
        fputs("unset multiplot\n", b);
        fclose(b);
        gnuplot_plot p = {.xlabel = "normalised key position (slot / number of slots)",
                          .width = 1400,
                          .height = 620,
                          .setup = viridis,
                          .body = body};
        rc = gnuplot_render(&p, out_dir, name);
        free(body);
    }
    for (int i = 0; i < 2; i++) plot_attn_dat_free(&d[i]), plot_attn_chunks_free(&c[i]);
    return rc ? -1 : 0;
}

int plot_attn_layers(const char *export_dir, const char *sample, const int *layers, int n, const char *out_dir) {
    if (prepare(export_dir, sample, out_dir)) return -1;
    if (n > 9) return pcb_fail("%s layer curves: at most 9 layers, %d given", sample, n);
    plot_attn_dat d;
    plot_attn_chunks c;
    if (plot_attn_dat_read(export_dir, sample, &d)) return -1;
    if (plot_attn_chunks_read(export_dir, sample, &c)) return plot_attn_dat_free(&d), -1;
    int pick[9], n_pick = 0, rc = 0;
    if (layers && n > 0) {
        for (int i = 0; i < n && !rc; i++) {
            if (plot_attn_dat_block(&d, layers[i]) < 0)
                rc = pcb_fail("%s layer curves: layer %d is not in %s/%s_attn.dat (layers 0..%d)", sample, layers[i],
                              export_dir, sample, d.max_layer);
            pick[n_pick++] = layers[i];
        }
    } else {
        int last = d.max_layer, want[4] = {0, last / 4, last / 2, last};
        for (int i = 0; i < 4; i++)
            if (plot_attn_dat_block(&d, want[i]) >= 0 && (n_pick == 0 || pick[n_pick - 1] != want[i]))
                pick[n_pick++] = want[i];
        if (n_pick == 0) pick[n_pick++] = d.layer[0];
    }
    if (!rc)
        rc = stage(export_dir, sample, "_attn.dat", out_dir, sample) ||
             stage(export_dir, sample, "_chunks.dat", out_dir, sample);
    if (!rc) {
        int cols = n_pick <= 1 ? 1 : n_pick <= 4 ? 2 : 3, rows = (n_pick + cols - 1) / cols;
        double floor_mass = mass_floor(&d);
        char label[256], title[512], name[512];
        sample_label(&d, sample, label, sizeof label);
        snprintf(title, sizeof title, "%s: attention over the keys by layer", label);
        snprintf(name, sizeof name, "%s_layers", sample);
        char *setup = NULL, *body = NULL;
        size_t len = 0;
        FILE *b = text_buffer(&setup, &len);
        fprintf(b,
                "set xrange [0:1]\nset yrange [%g:1]\nset format y \"10^{%%L}\"\nset xtics 0.2\n"
                "set key noautotitle samplen 3 spacing 1 width 0\npcb_height = %d\n",
                floor_mass, rows == 1 ? 450 : 380 * rows);
        fclose(b);
        b = text_buffer(&body, &len);
        char *qt = gnuplot_quote(title);
        // Room at the top for the key (under the title, shared by the panels).
        double top = 1 - 95.0 / (rows == 1 ? 450 : 380 * rows);
        fprintf(b,
                "set multiplot layout %d,%d title %s noenhanced font \",13\" margins 0.07,0.97,%g,%g "
                "spacing 0.08,%g\n",
                rows, cols, qt, 55.0 / (rows == 1 ? 450 : 380 * rows), top, 95.0 / (rows == 1 ? 450 : 380 * rows));
        free(qt);
        for (int i = 0; i < n_pick; i++) {
            int block = plot_attn_dat_block(&d, pick[i]);
            fprintf(b, "set title \"layer %d\"\n%s", pick[i],
                    i == 0 ? "set key at screen 0.5, screen 0.985 - 30.0 / pcb_height center top horizontal\n"
                           : "unset key\n");
            fprintf(b, "plot '%s_attn.dat' every :::%d::%d using 2:3 with lines lt 1 lw 1.5 title \"head average\"",
                    sample, block, block);
            if (plot_attn_chunks_inner(&c, pick[i]))
                fprintf(b,
                        ", \\\n     '%s_chunks.dat' using ($1 == %d && $2 > 0 ? $2 : NaN):(%g):(0):(%g) "
                        "with vectors nohead dt 2 lw 1.2 lc rgb '#555555' title \"chunk start\"",
                        sample, pick[i], floor_mass, 1 - floor_mass);
            fprintf(b, ", \\\n     %g with lines dt 3 lw 1.2 lc rgb '#2ca02c' title \"uniform level\"\n",
                    1.0 / d.bins[block]);
        }
        fputs("unset multiplot\n", b);
        fclose(b);
        gnuplot_plot p = {.xlabel = "normalised key position",
                          .ylabel = "attention mass per bin",
                          .logy = 1,
                          .width = cols == 1   ? 900
                                   : cols == 2 ? 1100
                                               : 1400,
                          .height = rows == 1 ? 450 : 380 * rows,
                          .setup = setup,
                          .body = body};
        rc = gnuplot_render(&p, out_dir, name);
        free(setup), free(body);
    }
    plot_attn_dat_free(&d);
    plot_attn_chunks_free(&c);
    return rc ? -1 : 0;
}

// Title label from the header of any of the sample's files (read just for the method and id).
static void label_from_attn(const char *export_dir, const char *sample, char *out, size_t size) {
    plot_attn_dat d;
    if (plot_attn_dat_read(export_dir, sample, &d) == 0) {
        sample_label(&d, sample, out, size);
        plot_attn_dat_free(&d);
    } else {
        snprintf(out, size, "%s", sample);
        pcb_clear_error();
    }
}

// The categorical palette: class k owns the band [k - 0.5, k + 0.5] of the colour range.
static void class_palette(FILE *b) {
    fputs("set palette defined (", b);
    for (int k = 0; k < ATTN_CLASS_COUNT; k++)
        fprintf(b, "%s%d '%s', %d '%s'", k ? ", " : "", k, class_colour[k], k + 1, class_colour[k]);
    fprintf(b, ")\nset cbrange [-0.5:%g]\n", ATTN_CLASS_COUNT - 0.5);
}

int plot_attn_class_map(const char *export_dir, const char *sample, const char *out_dir) {
    if (prepare(export_dir, sample, out_dir)) return -1;
    plot_attn_head_classes m;
    if (plot_attn_head_classes_read(export_dir, sample, &m) ||
        stage(export_dir, sample, "_head_classes.dat", out_dir, sample))
        return -1;
    char label[256], title[512], name[512];
    label_from_attn(export_dir, sample, label, sizeof label);
    snprintf(title, sizeof title, "%s: attention pattern class of every head", label);
    snprintf(name, sizeof name, "%s_class_map", sample);
    char *setup = NULL, *body = NULL;
    size_t len = 0;
    FILE *b = text_buffer(&setup, &len);
    class_palette(b);
    // The colour bar is the legend: each class's band labelled with its name and head count.
    fputs("set cbtics (", b);
    for (int k = 0; k < ATTN_CLASS_COUNT; k++)
        fprintf(b, "%s\"%s (%d)\" %d", k ? ", " : "", attn_class_name((attn_class)k), m.count[k], k);
    fputs(") scale 0\n", b);
    fprintf(b,
            "set xrange [-0.5:%g]\nset yrange [-0.5:%g]\nset xtics %d scale 0\nset ytics %d scale 0\n"
            "unset grid\nunset key\nset colorbox user origin graph 1.04, graph 0.15 size character 2, graph 0.7\n"
            "set rmargin 18\n",
            m.n_heads - 0.5, m.n_layers - 0.5, tic_step(m.n_heads), tic_step(m.n_layers));
    fclose(b);
    b = text_buffer(&body, &len);
    fprintf(b,
            "plot '%s_head_classes.dat' using 2:1:(0.5):(0.5):3 with boxxyerror fs solid 1.0 "
            "border lc rgb 'white' lc palette notitle\n",
            sample);
    fclose(b);
    // Cells near square: the heads axis is usually much shorter than the layers axis.
    int height = 640, width = 260 + (int)(480.0 * m.n_heads / (m.n_layers > 0 ? m.n_layers : 1) + 0.5);
    if (width < 600) width = 600;
    if (width > 1600) width = 1600;
    gnuplot_plot p = {.title = title,
                      .xlabel = "query head",
                      .ylabel = "layer",
                      .width = width,
                      .height = height,
                      .setup = setup,
                      .body = body};
    int rc = gnuplot_render(&p, out_dir, name);
    free(setup), free(body);
    return rc;
}

int plot_attn_class_ranges(const char *export_dir, const char *sample, const char *out_dir) {
    if (prepare(export_dir, sample, out_dir)) return -1;
    int n_ranges;
    if (plot_attn_class_counts_read(export_dir, sample, &n_ranges) ||
        stage(export_dir, sample, "_class_counts.dat", out_dir, sample))
        return -1;
    char label[256], title[512], name[512];
    label_from_attn(export_dir, sample, label, sizeof label);
    snprintf(title, sizeof title, "%s: attention pattern classes by layer range", label);
    snprintf(name, sizeof name, "%s_class_ranges", sample);
    char *setup = NULL, *body = NULL;
    size_t len = 0;
    FILE *b = text_buffer(&setup, &len);
    fputs(
        "set style data histograms\nset style histogram rowstacked\n"
        "set style fill solid 0.9 border rgb 'white'\nset boxwidth 0.6\n"
        "set yrange [0:1]\nset ytics 0.2\nset grid noxtics ytics\nset xtics nomirror scale 0\n"
        "set key outside right top reverse Left invert\nset bmargin 5\nset xlabel offset 0,-0.5\n",
        b);
    fclose(b);
    b = text_buffer(&body, &len);
    // Shares of the range's heads (ranges differ in size); the tic says how many heads.
    char total[128] = "";
    for (int k = 0; k < ATTN_CLASS_COUNT; k++)
        snprintf(total + strlen(total), sizeof total - strlen(total), "%s$%d", k ? " + " : "", k + 2);
    for (int k = 0; k < ATTN_CLASS_COUNT; k++) {
        if (k == 0)
            fprintf(b,
                    "plot '%s_class_counts.dat' using ($2 / (%s)):xtic(sprintf(\"%%s\\n(%%d heads)\", "
                    "strcol(1), %s))",
                    sample, total, total);
        else fprintf(b, ", \\\n     '' using ($%d / (%s))", k + 2, total);
        fprintf(b, " title \"%s\" lc rgb '%s'", attn_class_name((attn_class)k), class_colour[k]);
    }
    fputc('\n', b);
    fclose(b);
    gnuplot_plot p = {.title = title,
                      .xlabel = "layer range",
                      .ylabel = "share of heads",
                      .width = 700 + 80 * (n_ranges > 4 ? n_ranges - 4 : 0),
                      .height = 560,
                      .setup = setup,
                      .body = body};
    int rc = gnuplot_render(&p, out_dir, name);
    free(setup), free(body);
    return rc;
}

int plot_attn_all(const char *export_dir, const char *sample, const char *out_dir) {
    return plot_attn_heatmap(export_dir, sample, out_dir) || plot_attn_layers(export_dir, sample, NULL, 0, out_dir) ||
                   plot_attn_class_map(export_dir, sample, out_dir) ||
                   plot_attn_class_ranges(export_dir, sample, out_dir)
               ? -1
               : 0;
}
