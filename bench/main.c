// pcbench: ParallelComp research benchmark — command dispatch.
#include <stdio.h>
#include <string.h>

#include "bench/base/paths.h"
#include "bench/cli/cli.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    {"info", cmd_info, "model config and tensor table"},
    {"generate", cmd_generate, "generate text from a prompt (greedy by default)"},
    {"ppl", cmd_ppl, "perplexity of text files with fixed windows"},
    {"tokenize", cmd_tokenize, "token ids of a text (tokenizer check)"},
    {"pcomp", cmd_pcomp, "one sample through ParallelComp or a baseline (chunks, KV slots, time)"},
    {"attn", cmd_attn, "attention log (HDF5), pattern classes, gnuplot exports"},
    {"merge", cmd_merge, "merge the results files of sweep shards"},
    {"run", cmd_run, "run a sweep from a YAML config into the SQLite results store (resumable)"},
    {"status", cmd_status, "done / failed / pending rows of a config's sweep"},
    {"tables", cmd_tables, "paper-shape tables (Markdown / LaTeX / JSON) from a results file"},
    {"report", cmd_report, "HTML report (tables, gnuplot plots, attention) of a results file"},
    {"passkey", cmd_passkey, "passkey retrieval accuracy of a method over lengths and depths"},
    {"prefill", cmd_prefill, "prefill time and peak memory of methods by length (make bench)"},
    {"kernels", cmd_kernels, "GPU attention / GEMM throughput against the device peak (--backend cuda)"},
    {"speed", cmd_speed, "prefill / decode throughput and peak memory (make bench)"},
};

static void usage(FILE *out) {
    fprintf(out,
            "pcbench %s — ParallelComp benchmark and analysis toolkit\n\n"
            "usage: pcbench COMMAND [options]   (pcbench COMMAND --help for details)\n\ncommands:\n",
            PCB_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(out,
            "\ncommon options: -m/--model FILE.gguf (default $PCB_MODEL, else models/%s beside pcbench),\n"
            "                -t/--threads N, --backend cpu|cuda (default cpu), --json (JSON on stdout)\n"
            "data folder:    $PCB_DATA, else data/ beside pcbench\n",
            PCB_DEFAULT_MODEL_FILE);
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("pcbench %s\n", PCB_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "pcbench: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
