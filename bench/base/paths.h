// Where pcbench finds what it ships: the evaluation data folder and the default model. Both are
// found wherever pcbench is started from: the environment first ($PCB_DATA / $PCB_MODEL), then
// beside the running binary (DIR/data, DIR/models/...), then its install prefix
// (DIR/../share/pcbench/...). The working directory alone is never the answer.
#ifndef PCB_BASE_PATHS_H
#define PCB_BASE_PATHS_H

#include <stddef.h>

#define PCB_DEFAULT_MODEL_FILE "SmolLM2-135M-Instruct.Q4_1.gguf"
// The text that speed and prefill runs encode by default (inside the data folder).
#define PCB_DEFAULT_TEXT "text/pg19/pg19_10985_infant_system.txt"

// The data folder (holds longbench/, parallelcomp_config/, text/ ...) into out.
// -1 + an error that lists every place tried.
int pcb_data_dir(char *out, size_t cap);
// The data folder's file rel ("text/pg19/x.txt") into out; -1 + error as pcb_data_dir.
int pcb_data_file(const char *rel, char *out, size_t cap);
// given when it is set, else the data folder's file rel written into buf; NULL + error (the
// places tried) when the data folder is not found. For options that default into the data.
const char *pcb_data_path_or(const char *given, const char *rel, char *buf, size_t cap);
// The default model file into out. -1 + an error that lists every place tried.
int pcb_default_model(char *out, size_t cap);
// The folder of the running binary (from /proc/self/exe) into out, "" when unknown.
void pcb_exe_dir(char *out, size_t cap);

#endif
