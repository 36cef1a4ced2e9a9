// HTML report of a results file: one folder that opens offline (index.html, plots/ with every
// plot's .png, .svg, .gp and .dat so it can be re-drawn or restyled, attn/ with the attention
// exports). Sections: run metadata, the paper-shape tables (results_tables.h), plots of the
// results (score vs length, vs kept chunks and vs KV-cache size; perplexity, prefill time,
// speedup and peak memory vs length), and with attention logs their pattern classes and plots
// (heatmaps, standard vs parallel side by side, layer curves, class maps, classes by layer range).
//
// A plot gnuplot cannot draw (gnuplot missing, or failing) does not stop the report: it is
// listed in the report's "Missing plots" section and in report_result.missing with the reason.
#ifndef PCB_REPORT_H
#define PCB_REPORT_H

typedef struct {
    const char *db_path;   // results file (pcbench run)
    const char *attn_dir;  // folder of attention logs (*.h5, searched one level deep), or NULL
    const char *out_dir;   // created if missing; index.html goes there
    const char *title;     // NULL: "pcbench report: <db file name>"
    int max_attn_logs;     // attention logs drawn at most (0: 12)
} report_options;

typedef struct {
    int n_plots, n_missing;  // plots drawn / not drawn
    char *first_missing;     // the first plot not drawn and why (malloc'ed), or NULL
} report_result;

// 0 when index.html was written (even with missing plots), -1 + error when the results file
// cannot be read or the folder not written.
int report_write(const report_options *o, report_result *r);
void report_result_free(report_result *r);

#endif
