// `pcbench attn`: the attention log (log one sample to HDF5), its pattern classes and
// gnuplot-ready exports.
#include <stdio.h>
#include <string.h>

#include "bench/cli/cli.h"

static void help(void) {
    printf("usage: pcbench attn log|classify|export [options]   (pcbench attn SUB --help)\n\n"
           "  log       run one sample through a method and log its attention to HDF5\n"
           "  classify  label every sample x layer x head (and layer) as u-shaped / peak / uniform /\n"
           "            multi-sink / other; features and labels into the HDF5 file and SQLite\n"
           "  export    gnuplot data files: per-layer attention vs normalised position with chunk\n"
           "            boundaries; class counts by layer range\n\n"
           "HDF5 layout (version 1; h5dump -H FILE shows it):\n"
           "  /                          attrs layout_version, created_by, model, created_utc\n"
           "  /sample_<id>/              attrs sample_id, method, config_hash, config, n_layers, n_heads,\n"
           "                             n_kv_heads, observed_rows, generated, question_pos, doc_tokens, answer\n"
           "    chunks                   {index, doc_begin, doc_end, n_context, kept, score} per chunk\n"
           "    layer_<LL>/              attrs layer, step, keys, chunk_starts (slot indices)\n"
           "      attn  float32 [n_heads, keys]   mean attention of the observed question rows\n"
           "      pos, chunk, doc  int32 [keys]   slot position id, source chunk (-1: none), doc index (-1)\n"
           "      kept  uint8 [n_kv_heads, keys]  1 = the KV head holds the slot\n"
           "    generated/token_<TTTT>/layer_<LL>/  the same per generated token (--generated)\n"
           "    classes, chunk_start_mass         written by classify\n");
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
