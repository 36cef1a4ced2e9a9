// `pcbench tables`: paper-shape tables (ParallelComp Tables 2-5) from a results file.
#include <stdio.h>
#include <string.h>

#include "analysis/read/results_read.h"
#include "analysis/report/results_tables.h"
#include "bench/base/error.h"
#include "bench/cli/cli.h"

static void help(void) {
    printf(
        "usage: pcbench tables --db RESULTS.sqlite [--format md|latex] [--json]\n\n"
        "Prints the tables a results file (pcbench run) has rows for, in the shape of ParallelComp's\n"
        "Tables 2-5: LongBench per task + avg (100 x mean of the official metric), the InfiniteBench\n"
        "synthetic tasks and needle by length (100 x mean over depths and samples), perplexity by\n"
        "length (pooled: exp of the mean log PPL), prefill time (median) with the speedup against\n"
        "full-untruncated (else full), and peak host / KV-cache / GPU memory by length.\n"
        "Only done rows count; a cell with failed or pending rows gets a marker and a note\n"
        "\"n of m rows done\". The file is opened read-only.\n\n"
        "  --db FILE        results file (required)\n"
        "  --format FMT     md (GitHub Markdown, default) or latex (booktabs)\n"
        "  --json           the same tables as one JSON object\n");
}

int cmd_tables(int argc, char **argv) {
    cli_common c;
    const char *path = NULL, *format = "md";
    const cli_opt opts[] = {{"--db", NULL, OPT_STRING, &path, 0, 0}, {"--format", NULL, OPT_STRING, &format, 0, 0}};
    int r = cli_parse("tables", argc, argv, &c, opts, 2, help, NULL, 0, NULL);
    if (r) return r == 1 ? 0 : 2;
    if (!path) {
        fprintf(stderr, "pcbench tables: give the results file with --db FILE (see --help)\n");
        return 2;
    }
    results_format fmt;
    if (!strcmp(format, "md") || !strcmp(format, "markdown")) fmt = RESULTS_MARKDOWN;
    else if (!strcmp(format, "latex") || !strcmp(format, "tex")) fmt = RESULTS_LATEX;
    else {
        fprintf(stderr, "pcbench tables: --format: expected md or latex, got '%s'\n", format);
        return 2;
    }
    results_db db;
    if (results_read(path, &db)) return cli_error("tables");
    results_tables t;
    if (results_tables_build(&db, &t)) {
        results_db_free(&db);
        return cli_error("tables");
    }
    // An empty sweep is not an error: say so and print nothing (JSON: no tables).
    if (!db.n_done)
        fprintf(stderr, "pcbench tables: %s: no done rows (%d pending, %d failed): no tables\n", path, db.n_pending,
                db.n_failed);
    if (c.json) cli_print_json(results_tables_json(&db, &t));
    else if (t.n) results_tables_print(stdout, &db, &t, fmt);
    results_tables_free(&t);
    results_db_free(&db);
    return 0;
}
