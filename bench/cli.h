// Shared pieces of the `pcbench` command line: default model path, common options, JSON output.
#ifndef PCB_CLI_H
#define PCB_CLI_H

#include <cjson/cJSON.h>
#include <stddef.h>

#define PCB_DEFAULT_MODEL "models/SmolLM2-135M-Instruct.Q4_1.gguf"
#define PCB_VERSION "0.1.0"

typedef struct {
    const char *model_path;
    int threads;
    int json;
} cli_common;

// Handles -m/--model, -t/--threads, --json for a command; returns 1 if argv[*i] was one of
// them (advancing *i past its value), 0 if not, -1 on a missing or bad value (message printed).
int cli_common_option(cli_common *c, int argc, char **argv, int *i);
void cli_common_init(cli_common *c);
// Prints the JSON object (and frees it).
void cli_print_json(cJSON *obj);
// Prints "pcbench <cmd>: <last error>" to stderr and returns exit code 1.
int cli_error(const char *cmd);
// Reads a whole file (NUL-terminated copy; *len excludes the NUL). NULL + error on failure.
char *read_text_file(const char *path, size_t *len);

int cmd_info(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_ppl(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_speed(int argc, char **argv);

#endif
