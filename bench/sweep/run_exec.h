// Executing a plan: every row not done yet goes through its variant's method on the loaded model,
// is scored with its task's official metric and written to the results store in one transaction
// (resume = run again). A sample that fails (impossible budget, malformed record) is recorded
// as failed with the message and the run goes on.
#ifndef PCB_RUN_EXEC_H
#define PCB_RUN_EXEC_H

#include "analysis/store/results_store.h"
#include "bench/model/model.h"
#include "bench/model/tokenizer.h"
#include "bench/sweep/config.h"
#include "bench/sweep/run_plan.h"

typedef struct {
    const char *data_dir;  // shared data root (prompt templates under parallelcomp_config/)
    int progress_tty;      // 1: one updating status line; 0: a plain line per row
    int64_t run_id;
} run_exec_options;

typedef struct {
    int done, failed, skipped;  // this call; skipped = already done before
} run_exec_counts;

int run_execute(const experiment_config *c, const run_plan *p, const model *m, const tokenizer *tok, results_store *s,
                const run_exec_options *o, run_exec_counts *counts);

#endif
