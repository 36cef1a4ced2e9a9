// Reading a results file (analysis/store/results_store.h) back into memory for tables and plots, and
// the aggregates they share. The file is opened read-only and never changed; files written
// before variants.label or samples.device_peak_bytes existed read as label = method and
// device peak = 0.
//
// Aggregates count only done rows; every group still carries its pending / failed counts, so
// a table can mark a cell that is not complete.
#ifndef PCB_RESULTS_READ_H
#define PCB_RESULTS_READ_H

#include <stdint.h>

enum { RESULTS_PENDING = 0, RESULTS_DONE = 1, RESULTS_FAILED = 2 };  // as results_status()

typedef struct {
    char *hash, *canonical, *method;
    char *label;  // display name: variants.label, else the method, else the hash
} results_variant;

typedef struct {
    int64_t id;
    char *config_name, *config_path, *config_sha256, *code_version, *backend, *device, *model, *model_sha256, *host,
        *shard, *started_utc, *finished_utc;  // NULL where not recorded
    int threads;
} results_run;

typedef struct {
    int variant;  // index into results_db.variants
    char *task, *sample_id;
    int context_length;  // 0: as in the data
    double depth;        // < 0: none
    int status;          // RESULTS_PENDING | RESULTS_DONE | RESULTS_FAILED
    double score;        // in [0, 1]; task ppl: the window's perplexity
    double prefill_ms, decode_ms;
    int64_t peak_bytes;  // host, per row
    int64_t kv_peak_bytes;
    int64_t device_peak_bytes;  // GPU; 0 on the CPU and in older files
    int n_chunks;
    int n_kept;  // length of the kept_chunks array; -1 when none was recorded
    int64_t kv_slots;
    int prompt_tokens;
    char *error;  // failed rows: why (NULL otherwise)
} results_row;

typedef struct {
    char *path;
    results_run *runs;  // in run id order
    int n_runs;
    results_variant *variants;  // first-seen order (variants rowid), then hashes only rows name
    int n_variants;
    results_row *rows;  // samples in rowid order
    int n_rows;
    int n_done, n_failed, n_pending;
} results_db;

// Reads the whole file. -1 + error naming the file (missing, not SQLite, not a pcbench results
// file, a schema version this pcbench does not read); *db is then empty.
int results_read(const char *path, results_db *db);
void results_db_free(results_db *db);

// Task ppl scores windows by perplexity: pooled as exp(mean log ppl), lower is better.
int results_task_is_ppl(const char *task);

// The task score rule, the one place that says it (the tables and `pcbench run`'s summary both
// use it): 100 x the mean sample score, or for ppl the perplexity of the pooled windows, exp of
// the mean log PPL (every window predicts the same number of tokens).
enum { RESULTS_SCORE_NONE, RESULTS_SCORE_PERCENT, RESULTS_SCORE_PPL, RESULTS_SCORE_MIXED };
typedef struct {
    int n_ppl, n_other;
    double sum, sum_log;
} results_score_sum;
// Adds one done row's sample score.
void results_score_add(results_score_sum *s, const char *task, double score);
// The pooled score: NAN without rows (RESULTS_SCORE_NONE) and for ppl and other tasks together
// (RESULTS_SCORE_MIXED). The kind goes into *kind when kind is not NULL.
double results_score_value(const results_score_sum *s, int *kind);

// Keys of a grouping: a field not in the key is -1 / NULL / NAN in the group.
enum { RESULTS_BY_VARIANT = 1, RESULTS_BY_TASK = 2, RESULTS_BY_LENGTH = 4, RESULTS_BY_DEPTH = 8 };

typedef struct {
    int variant;         // -1 when not in the key
    const char *task;    // NULL when not in the key (points into the db)
    int context_length;  // -1 when not in the key
    double depth;        // NAN when not in the key; < 0: none
    int n_rows, n_done, n_failed, n_pending;
    int score_kind;  // NONE: no done rows; MIXED: ppl and other tasks together
    double score;    // PERCENT: 100 x mean; PPL: exp(mean log ppl); else NAN
    double prefill_ms_median, prefill_ms_mean, decode_ms_median;  // NAN without done rows
    int64_t peak_bytes_max, kv_peak_bytes_max, device_peak_bytes_max;
    double prompt_tokens_mean, n_chunks_mean, n_kept_mean, kv_slots_mean;  // n_kept: rows that recorded it
} results_group;

// Optional row filter of a grouping: nonzero keeps the row.
typedef int (*results_row_filter)(const results_row *r, void *ctx);

// Groups the rows that `keep` accepts (all when NULL) by the fields in `by`. Groups are sorted by
// variant (first-seen), task (first-seen), length, depth. *out malloc'ed (free()); 0 or -1.
int results_group_rows(const results_db *db, unsigned by, results_row_filter keep, void *ctx, results_group **out,
                       int *n);
// The group with exactly these key fields (use -1 / NULL / NAN for fields not in the key), or NULL.
const results_group *results_group_find(const results_group *g, int n, int variant, const char *task,
                                        int context_length, double depth);

#endif
