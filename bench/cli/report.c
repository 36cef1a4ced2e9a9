// `pcbench report`: the HTML report of a results file (analysis/report/report.h).
#include <stdio.h>

#include "analysis/report/report.h"
#include "bench/base/error.h"
#include "bench/cli/cli.h"

static void help(void) {
    printf(
        "usage: pcbench report --db RESULTS.sqlite --out DIR [--attn LOGDIR] [--title TEXT] [--max-attn N]\n\n"
        "Writes DIR/index.html, a report that opens offline: run metadata and variants, the paper-shape\n"
        "tables (as pcbench tables prints them), plots drawn by gnuplot into DIR/plots (score vs length,\n"
        "vs chunks kept and vs KV-cache size; perplexity, prefill time, speedup and peak memory vs\n"
        "length), and with --attn the attention logs found in LOGDIR (and its sub-folders): their\n"
        "pattern classes, heatmaps, standard vs parallel side by side, layer curves, class maps.\n"
        "Every plot keeps its .gp script and .dat files beside its .png and .svg, so it can be re-drawn\n"
        "or restyled (cd DIR/plots && gnuplot NAME.gp). Without gnuplot (or when it fails) the report\n"
        "is still written and lists the missing plots; the exit status is then 3.\n\n"
        "  --db FILE       results file (pcbench run)\n"
        "  --out DIR       report folder (created)\n"
        "  --attn DIR      attention logs (*.h5), e.g. results/attn/<config name>\n"
        "  --title TEXT    page title\n"
        "  --max-attn N    attention logs drawn at most (default 12)\n"
        "  --json          {index, plots, missing, first_missing}\n");
}

int cmd_report(int argc, char **argv) {
    cli_common c;
    const char *db = NULL, *out = NULL, *attn = NULL, *title = NULL;
    long max_attn = 12;
    const cli_opt opts[] = {{"--db", NULL, OPT_STRING, &db, 0, 0},
                            {"--out", "-o", OPT_STRING, &out, 0, 0},
                            {"--attn", NULL, OPT_STRING, &attn, 0, 0},
                            {"--title", NULL, OPT_STRING, &title, 0, 0},
                            {"--max-attn", NULL, OPT_INT, &max_attn, 1, 10000}};
    int r = cli_parse("report", argc, argv, &c, opts, 5, help, NULL, 0, NULL);
    if (r) return r == 1 ? 0 : 2;
    if (!db || !out) {
        fprintf(stderr, "pcbench report: give the results file and the report folder: --db FILE --out DIR\n");
        return 2;
    }
    report_result res;
    report_options o = {
        .db_path = db, .attn_dir = attn, .out_dir = out, .title = title, .max_attn_logs = (int)max_attn};
    if (report_write(&o, &res)) return cli_error("report");
    if (c.json) {
        cJSON *j = cJSON_CreateObject();
        char index[1100];
        snprintf(index, sizeof index, "%s/index.html", out);
        cJSON_AddStringToObject(j, "index", index);
        cJSON_AddNumberToObject(j, "plots", res.n_plots);
        cJSON_AddNumberToObject(j, "missing", res.n_missing);
        if (res.first_missing) cJSON_AddStringToObject(j, "first_missing", res.first_missing);
        cli_print_json(j);
    } else {
        printf("report: %s/index.html (%d plots", out, res.n_plots);
        if (res.n_missing) printf(", %d missing", res.n_missing);
        printf(")\n");
    }
    if (res.n_missing)
        fprintf(stderr, "pcbench report: %d plot%s not drawn (listed in the report); first: %s\n", res.n_missing,
                res.n_missing == 1 ? "" : "s", res.first_missing ? res.first_missing : "?");
    int missing = res.n_missing;
    report_result_free(&res);
    return missing ? 3 : 0;
}
