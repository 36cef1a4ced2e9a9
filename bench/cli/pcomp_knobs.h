// Command-line knobs of the ParallelComp pipeline, shared by `pcbench pcomp`, `passkey`, `ppl`,
// `prefill` and `attn log`: their flags, ranges, defaults and help come from the knob table
// (bench/method/knobs.h).
#ifndef PCB_CLI_PCOMP_KNOBS_H
#define PCB_CLI_PCOMP_KNOBS_H

#include "bench/cli/cli.h"
#include "bench/method/knobs.h"
#include "bench/method/pcomp.h"

// What the command line gave per knob: the text of a value knob (NULL: not given, the default
// or, for --topk, the task's default applies) and whether a flag knob was given.
typedef struct {
    const char *text[KNOB_COUNT];
    int flag[KNOB_COUNT];
    const char *flag_name[KNOB_COUNT];  // the flag its cli_opt row answers to (errors name it)
} pcomp_knobs;

// The pcomp_options knobs that have a flag (a test checks the table agrees).
#define PCOMP_KNOB_COUNT 21

// Clears the knobs and writes their cli_opt rows (PCOMP_KNOB_COUNT).
void pcomp_knobs_init(pcomp_knobs *k, cli_opt *opts);
// The cli_opt row of one knob under its own flag, or under `flag` when not NULL (attn log's --rows).
cli_opt pcomp_knob_opt(pcomp_knobs *k, knob_id id, const char *flag);
// Converts the given knobs into options (pcomp_options_default for the rest); errors name the flag.
// A --calib-layers range also enables calibration.
int pcomp_knobs_apply(const pcomp_knobs *k, pcomp_options *o);
// The same for the attention-log knobs (--attn-rows, --attn-generated; enabled stays 0).
int pcomp_knobs_apply_attn(const pcomp_knobs *k, attn_log_options *a);
// "  --capacity N        KV slots kept per KV head ... [512]" lines of the pcomp_options knobs,
// after a "method and knobs" title; and the line of one knob (flag: as in pcomp_knob_opt).
const char *pcomp_knobs_help(void);
const char *pcomp_knob_help_line(knob_id id, const char *flag, char *buf, size_t size);
#define PCOMP_KNOBS_HELP pcomp_knobs_help()

#endif
