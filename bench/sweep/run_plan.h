// The plan of a sweep: every (variant, task, sample, context length, depth) row a config asks
// for, each with its identity in the results store: row_key = SHA-256 of variant hash, model
// sha256, dataset sha256, task, sample id, length and depth. Samples are loaded (LongBench,
// MiniLongBench) or generated (passkey) here, once per task, and shared by the variants.
#ifndef PCB_RUN_PLAN_H
#define PCB_RUN_PLAN_H

#include "bench/model/tokenizer.h"
#include "bench/sweep/config.h"
#include "bench/tasks/longbench_data.h"

typedef struct {
    char *task;               // task name
    char *source;             // longbench | minilongbench | generated
    char dataset_sha256[65];  // of the data file, or of the generator's name and version
    task_samples data;        // loaded samples (not for generated tasks)
    int max_new_tokens;
} plan_task;

typedef struct {
    char row_key[65];
    int variant, task;  // indices into config variants / plan tasks
    int sample;         // index into the task's samples (generated: the k-th)
    char *sample_id;
    int length;    // context tokens (0: as in the data)
    double depth;  // < 0: none
    char *failed;  // the sample could not be read: recorded failed, never run
} plan_row;

typedef struct {
    plan_task *tasks;
    int n_tasks;
    plan_row *rows;
    int n_rows;
    char model_sha256[65];
} run_plan;

// data_dir: the shared data root (LongBench under longbench/, templates under parallelcomp_config/).
// shard_i / shard_n: keep rows whose index in the full plan is i mod n (n = 1: all).
int run_plan_build(const experiment_config *c, const char *data_dir, int shard_i, int shard_n, run_plan *p);
void run_plan_free(run_plan *p);

#endif
