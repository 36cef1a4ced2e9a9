// Results store: one SQLite file per sweep (DESIGN.md "Results store"). WAL mode, busy
// timeout, one transaction per finished row, schema version in PRAGMA user_version.
//
//   runs      one row per `pcbench run` invocation: environment (code version, backend, device,
//             threads, model, model sha256, host, shard, dates)
//   variants  variant_hash -> canonical config text, method, display label
//   samples   one row per (variant, model, dataset, task, sample, length, depth), keyed by
//             row_key = sha256 of those; status pending | done | failed; prediction, score,
//             prefill/decode time, peak memory, kept chunks, kept KV slots, error
//
// Resume: the plan is inserted with INSERT OR IGNORE (finished rows are never touched again);
// a row becomes done in one transaction after its sample finished, so a run killed at any
// moment leaves every row either done (complete) or pending/failed (redone next time).
#ifndef PCB_RESULTS_STORE_H
#define PCB_RESULTS_STORE_H

#include <stdint.h>

#define RESULTS_SCHEMA_VERSION 1

typedef struct results_store results_store;

typedef struct {
    const char *config_name, *config_path, *config_sha256, *code_version, *backend, *device, *model, *model_sha256,
        *host, *shard;
    int threads;
} results_run_info;

typedef struct {
    const char *row_key;  // 64 hex digits
    const char *variant_hash, *task, *sample_id, *model_sha256, *dataset_sha256;
    int context_length;  // 0: as in the data
    double depth;        // < 0: none
} results_plan_row;

typedef struct {
    const char *prediction;
    double score;
    double prefill_ms, decode_ms;
    int64_t peak_bytes;         // peak host RSS during the row (VmHWM reset before it)
    int64_t kv_peak_bytes;      // largest KV-cache allocation alive at once
    int64_t device_peak_bytes;  // peak GPU memory during the row (0 on the CPU)
    const char *kept_chunks;    // JSON array of chunk indices
    int n_chunks;
    int64_t kv_slots;  // slots over all layers and KV heads before generation
    int prompt_tokens;
} results_sample;

// Opens (creating or migrating) the store. NULL + error naming the file (e.g. a newer schema).
results_store *results_open(const char *path);
void results_close(results_store *s);
// Records a run; returns its id (> 0) or -1.
int64_t results_begin_run(results_store *s, const results_run_info *info);
int results_finish_run(results_store *s, int64_t run_id);
// label: the display name ("parallelcomp method.calibration.layers=0-7"), first one recorded wins.
int results_add_variant(results_store *s, const char *hash, const char *canonical, const char *method,
                        const char *label);
// Inserts the plan rows that are not there yet, in one transaction; *added = how many were new.
int results_plan(results_store *s, const results_plan_row *rows, int n, int *added);
// Row state: 0 pending, 1 done, 2 failed; -1 + error if the key is unknown.
int results_status(results_store *s, const char *row_key);
int results_mark_done(results_store *s, const char *row_key, int64_t run_id, const results_sample *r);
int results_mark_failed(results_store *s, const char *row_key, int64_t run_id, const char *error);
typedef struct {
    int status;  // 0 pending, 1 done, 2 failed
    double score, prefill_ms;
} results_row_view;
// One row's state; -1 + error if the key is unknown.
int results_get(results_store *s, const char *row_key, results_row_view *out);
// Counts of the rows by status.
int results_counts(results_store *s, int *pending, int *done, int *failed);

// Merges shard stores into `out` (created if missing): runs and variants are copied, a sample row
// is taken done-over-failed-over-pending. -1 + error naming the bad input.
int results_merge(const char *out, const char *const *inputs, int n);

#endif
