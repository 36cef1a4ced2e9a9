// Shared between report.c (the HTML) and report_plots.c (the results plots).
#ifndef PCB_REPORT_INTERNAL_H
#define PCB_REPORT_INTERNAL_H

#include "analysis/read/results_read.h"

typedef struct {
    char *name;  // plots/<name>.{png,svg,gp}
    char *caption;
    char *error;  // not drawn: why (NULL when drawn)
} report_plot;

typedef struct {
    report_plot *v;
    int n, cap;
} report_plots;

// Records the plot DIR/NAME (DIR relative to the report folder): drawn when rc == 0, else missing with pcb_last_error() as the reason.
void report_plot_done(report_plots *p, const char *dir, const char *name, const char *caption, int rc);
// Draws the results plots into dir; returns how many it tried, or -1 + error.
int report_results_plots(const results_db *db, const char *dir, report_plots *out);

#endif
