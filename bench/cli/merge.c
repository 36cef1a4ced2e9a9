// `pcbench merge`: shard result files of one sweep into one.
#include <stdio.h>

#include "analysis/store/results_store.h"
#include "bench/base/error.h"
#include "bench/cli/cli.h"

static void help(void) {
    printf(
        "usage: pcbench merge A.sqlite B.sqlite ... -o OUT.sqlite [--json]\n\n"
        "Merges the results files of the shards of a sweep (pcbench run --shard i/n) into OUT (created if\n"
        "missing, else merged into): runs and variants are copied; a sample row is taken from the file\n"
        "where it is done, else failed, else pending, so merging again or in another order gives the same\n"
        "rows. Inputs must exist and have a schema this pcbench reads.\n");
}

int cmd_merge(int argc, char **argv) {
    cli_common c;
    const char *out = NULL, *inputs[256];
    int n = 0;
    const cli_opt opts[] = {{"-o", "--out", OPT_STRING, &out, 0, 0}};
    int r = cli_parse("merge", argc, argv, &c, opts, 1, help, inputs, 256, &n);
    if (r) return r == 1 ? 0 : 2;
    if (!out || n < 1) {
        fprintf(stderr, "pcbench merge: give the shard files and -o OUT.sqlite (see --help)\n");
        return 2;
    }
    if (results_merge(out, inputs, n)) return cli_error("merge");
    results_store *s = results_open(out);
    int pending = 0, done = 0, failed = 0;
    if (!s || results_counts(s, &pending, &done, &failed)) {
        results_close(s);
        return cli_error("merge");
    }
    results_close(s);
    if (c.json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "out", out);
        cJSON_AddNumberToObject(j, "inputs", n);
        cJSON_AddNumberToObject(j, "done", done);
        cJSON_AddNumberToObject(j, "failed", failed);
        cJSON_AddNumberToObject(j, "pending", pending);
        cli_print_json(j);
    } else {
        printf("%s: merged %d file%s: %d done, %d failed, %d pending\n", out, n, n == 1 ? "" : "s", done, failed,
               pending);
    }
    return 0;
}
