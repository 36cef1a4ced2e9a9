// Shared pieces of the `pcbench` command line: default model path, common options, JSON output.
#ifndef PCB_CLI_H
#define PCB_CLI_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "bench/base/text_file.h"
#include "bench/base/version.h"
#include "bench/model/model.h"

typedef struct {
    const char
        *model_path;  // -m, else the default model (NULL when it was not found: model_error says where it looked)
    char model_found[4096];
    char model_error[2048];
    int threads;
    int json;
    int cuda;  // --backend cuda
} cli_common;

// A command's own options, parsed by cli_parse together with the common ones.
typedef enum { OPT_FLAG, OPT_STRING, OPT_INT, OPT_DOUBLE } cli_opt_kind;
typedef struct {
    const char *name;   // "--prompt"
    const char *alias;  // "-p" or NULL
    cli_opt_kind kind;
    void *dst;      // int* (FLAG: set to 1), const char**, long*, double*
    double lo, hi;  // allowed range for INT / DOUBLE
} cli_opt;

// Parses argv[1..] of command `cmd`: -h/--help (prints help, returns 1), -m/--model,
// -t/--threads, --backend cpu|cuda, --json, then `opts`; other arguments not starting with '-' go to positional
// (up to max_pos; NULL when none are accepted). Returns 0 to go on, 1 after --help, 2 on a bad
// argument (message printed, naming the option and the value).
int cli_parse(const char *cmd, int argc, char **argv, cli_common *c, const cli_opt *opts, int n_opts,
              void (*help)(void), const char **positional, int max_pos, int *n_pos);
// 0 when c has a model path; -1 + the error listing the places the default model was looked for.
int cli_model_path_ok(const cli_common *c);
// Loads c->model_path and, with --backend cuda, moves it to the GPU. NULL + error.
model *cli_load_model(const cli_common *c);
// Prints the JSON object (and frees it).
void cli_print_json(cJSON *obj);
// Prints "pcbench <cmd>: <last error>" to stderr and returns exit code 1.
int cli_error(const char *cmd);

int cmd_info(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_ppl(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_speed(int argc, char **argv);
int cmd_pcomp(int argc, char **argv);
int cmd_passkey(int argc, char **argv);
int cmd_prefill(int argc, char **argv);
int cmd_kernels(int argc, char **argv);
int cmd_attn(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_tables(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
