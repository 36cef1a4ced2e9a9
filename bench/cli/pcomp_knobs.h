// Command-line knobs of the ParallelComp pipeline, shared by `pcbench pcomp` and `pcbench ppl`.
#ifndef PCB_CLI_PCOMP_KNOBS_H
#define PCB_CLI_PCOMP_KNOBS_H

#include "bench/cli/cli.h"
#include "bench/method/pcomp.h"

typedef struct {
    const char *method, *calib_layers, *region;
    long budget, chunk_tokens, batch, topk, query_recent, capacity, window, pool, sinks, calib_rows, calib_width;
    int no_repeat_head, kv_eviction, no_equalize, cache_only;
    double h2o_heavy, beta, threshold;
} pcomp_knobs;

#define PCOMP_KNOB_COUNT 21

// Fills the knobs with the pipeline defaults and writes their cli_opt rows (PCOMP_KNOB_COUNT).
void pcomp_knobs_init(pcomp_knobs *k, cli_opt *opts);
// Converts parsed knobs into options (errors name the option).
int pcomp_knobs_apply(const pcomp_knobs *k, pcomp_options *o);
extern const char PCOMP_KNOBS_HELP[];

#endif
