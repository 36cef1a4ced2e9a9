// Plots drawn by gnuplot through a pipe (no Python). Every plot is a folder-local triple:
//   <out>/<name>.gp    a standalone script: `cd <out> && gnuplot <name>.gp` redraws both images
//   <out>/<name>.png   pngcairo
//   <out>/<name>.svg   svg
// next to the data files it reads, which the script names relatively, so the folder can be moved.
// The executable is $PCB_GNUPLOT when set, else `gnuplot` on PATH (Debian: gnuplot-nox).
#ifndef PCB_GNUPLOT_H
#define PCB_GNUPLOT_H

#include <stddef.h>

typedef struct {
    const char *title;  // above the plot; NULL or "": none (multiplots title themselves)
    const char *xlabel, *ylabel;
    int logx, logy;     // log-scale axes
    int width, height;  // pixels (svg: the same size); 0: 900 x 600
    const char *setup;  // extra lines run before the body ("set arrow ...", "set palette ..."), or NULL
    const char *body;   // the plot command(s), data files named relative to the output folder
} gnuplot_plot;

// 1 when the gnuplot executable runs (`gnuplot --version`), its first output line in version
// (may be NULL); 0 otherwise, with an error message saying which executable was tried.
int gnuplot_available(char *version, size_t n);

// Writes <out_dir>/<name>.gp (creating out_dir if missing) and runs gnuplot on it in out_dir.
// 0 only when gnuplot exited 0 and both <name>.png and <name>.svg exist and are non-empty; else
// -1 + error naming gnuplot and the plot ("gnuplot failed on NAME.gp: <its error line>"), and
// neither image is left behind (old ones are removed first). The .gp stays for debugging.
// name: [A-Za-z0-9_.+-]+ (it is used inside the script and the shell command).
int gnuplot_render(const gnuplot_plot *p, const char *out_dir, const char *name);

// 1 when name is usable as a plot or data file name: [A-Za-z0-9_.+-]+, not "." or "..".
int gnuplot_valid_name(const char *name);

// The quoted gnuplot string literal for s ("..." with " and \ escaped); malloc'ed.
char *gnuplot_quote(const char *s);

// One line of a line plot: n points (x[i], y[i]); non-finite values become gaps.
typedef struct {
    const char *title;  // key entry
    int n;
    const double *x, *y;
} gnuplot_series;

// <name>.dat (one block per series, two blank lines apart, each headed "# series i: title") and
// the plot of every series (index i) with linespoints. For score vs budget, perplexity or
// prefill time vs length (log axes), memory vs length.
int gnuplot_lines(const char *out_dir, const char *name, const char *title, const char *xlabel, const char *ylabel,
                  int logx, int logy, const gnuplot_series *series, int n);

// <name>.dat (one row per category: the quoted label, then one value per series) and a clustered
// histogram of it (stacked: bars of one category stacked). values[c * n_series + s]; non-finite: no bar.
int gnuplot_bars(const char *out_dir, const char *name, const char *title, const char *xlabel, const char *ylabel,
                 int stacked, const char *const *categories, int n_categories, const char *const *series, int n_series,
                 const double *values);

#endif
