// `pcbench attn`: the attention log (log one sample to HDF5), its pattern classes and
// gnuplot-ready exports.
#include <stdio.h>
#include <string.h>

#include "bench/cli/cli.h"

static void help(void) {
    printf(
        "usage: pcbench attn log|classify|export [options]   (pcbench attn SUB --help)\n\n"
        "  log       run one sample through a method and log its attention to HDF5\n"
        "  classify  label every sample x layer x head (and layer) as u-shaped / peak / uniform /\n"
        "            multi-sink / other; features and labels into the HDF5 file and SQLite\n"
        "  export    gnuplot data files: per-layer attention vs normalised position with chunk\n"
        "            boundaries; class counts by layer range\n\n"
        "HDF5 layout (version 1): one group per sample, one per layer with the question's\n"
        "attention over the cache slots; described in the source, analysis/store/attn_log.h\n"
        "(h5dump -H FILE shows a file's).\n");
}

int cmd_attn_log(int argc, char **argv);
int cmd_attn_classify(int argc, char **argv);
int cmd_attn_export(int argc, char **argv);

int cmd_attn(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        help();
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "log")) return cmd_attn_log(argc - 1, argv + 1);
    if (!strcmp(argv[1], "classify")) return cmd_attn_classify(argc - 1, argv + 1);
    if (!strcmp(argv[1], "export")) return cmd_attn_export(argc - 1, argv + 1);
    fprintf(stderr, "pcbench attn: unknown subcommand '%s' (log, classify, export)\n", argv[1]);
    return 2;
}
