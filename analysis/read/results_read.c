#include "analysis/read/results_read.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/store/results_store.h"
#include "bench/base/error.h"
#include "bench/base/stats.h"

static char *dup_col(sqlite3_stmt *st, int i) {
    const char *v = (const char *)sqlite3_column_text(st, i);
    return v ? pcb_strdup(v) : NULL;
}

// Which of `names` the table has: bit i set for names[i]. -1 + error when the table is missing.
static int table_columns(sqlite3 *db, const char *path, const char *table, const char *const *names, int n,
                         unsigned *have) {
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA table_info(%s)", table);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return pcb_fail("%s: not a pcbench results file: %s", path, sqlite3_errmsg(db));
    int cols = 0;
    *have = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        cols++;
        const char *name = (const char *)sqlite3_column_text(st, 1);
        for (int i = 0; i < n && name; i++)
            if (!strcmp(name, names[i])) *have |= 1u << i;
    }
    sqlite3_finalize(st);
    return cols ? 0 : pcb_fail("%s: not a pcbench results file (no table '%s')", path, table);
}

// Every column of the version-1 schema must be there, except the two added to it later.
static int check_schema(sqlite3 *db, const char *path, int *has_label, int *has_device) {
    static const char *const samples[] = {
        "variant_hash",  "task",      "sample_id",        "context_length", "depth",       "status",   "score",
        "prefill_ms",    "decode_ms", "peak_bytes",       "kv_peak_bytes",  "kept_chunks", "n_chunks", "kv_slots",
        "prompt_tokens", "error",     "device_peak_bytes"};
    static const char *const variants[] = {"variant_hash", "canonical", "method", "label"};
    static const char *const runs[] = {"run_id",  "config_name", "config_path", "config_sha256", "code_version",
                                       "backend", "device",      "threads",     "model",         "model_sha256",
                                       "host",    "shard",       "started_utc", "finished_utc"};
    struct {
        const char *table;
        const char *const *names;
        int n, optional_last;
    } t[] = {{"samples", samples, 17, 1}, {"variants", variants, 4, 1}, {"runs", runs, 14, 0}};
    unsigned have[3];
    for (int k = 0; k < 3; k++) {
        if (table_columns(db, path, t[k].table, t[k].names, t[k].n, &have[k])) return -1;
        for (int i = 0; i < t[k].n - t[k].optional_last; i++)
            if (!(have[k] >> i & 1))
                return pcb_fail("%s: not a pcbench results file (table '%s' has no column '%s')", path, t[k].table,
                                t[k].names[i]);
    }
    *has_device = have[0] >> 16 & 1;
    *has_label = have[1] >> 3 & 1;
    return 0;
}

static int read_runs(sqlite3 *db, results_db *out) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT run_id, config_name, config_path, config_sha256, code_version, backend, device,"
                           " threads, model, model_sha256, host, shard, started_utc, finished_utc FROM runs"
                           " ORDER BY run_id",
                           -1, &st, NULL) != SQLITE_OK)
        return pcb_fail("%s: reading runs: %s", out->path, sqlite3_errmsg(db));
    int cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n_runs == cap)
            out->runs = pcb_realloc(out->runs, (size_t)(cap = cap ? 2 * cap : 4) * sizeof *out->runs);
        results_run *r = &out->runs[out->n_runs++];
        r->id = sqlite3_column_int64(st, 0);
        r->config_name = dup_col(st, 1), r->config_path = dup_col(st, 2), r->config_sha256 = dup_col(st, 3);
        r->code_version = dup_col(st, 4), r->backend = dup_col(st, 5), r->device = dup_col(st, 6);
        r->threads = sqlite3_column_int(st, 7);
        r->model = dup_col(st, 8), r->model_sha256 = dup_col(st, 9), r->host = dup_col(st, 10);
        r->shard = dup_col(st, 11), r->started_utc = dup_col(st, 12), r->finished_utc = dup_col(st, 13);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : pcb_fail("%s: reading runs: %s", out->path, sqlite3_errmsg(db));
}

static void add_variant(results_db *out, int *cap, const char *hash, const char *canonical, const char *method,
                        const char *label) {
    if (out->n_variants == *cap)
        out->variants = pcb_realloc(out->variants, (size_t)(*cap = *cap ? 2 * *cap : 8) * sizeof *out->variants);
    results_variant *v = &out->variants[out->n_variants++];
    v->hash = pcb_strdup(hash);
    v->canonical = pcb_strdup(canonical ? canonical : "");
    v->method = method ? pcb_strdup(method) : NULL;
    v->label = pcb_strdup(label && *label ? label : method && *method ? method : hash);
}

static int read_variants(sqlite3 *db, int has_label, results_db *out, int *cap) {
    sqlite3_stmt *st;
    const char *sql = has_label ? "SELECT variant_hash, canonical, method, label FROM variants ORDER BY rowid"
                                : "SELECT variant_hash, canonical, method, NULL FROM variants ORDER BY rowid";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return pcb_fail("%s: reading variants: %s", out->path, sqlite3_errmsg(db));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *hash = (const char *)sqlite3_column_text(st, 0);
        if (hash)
            add_variant(out, cap, hash, (const char *)sqlite3_column_text(st, 1),
                        (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : pcb_fail("%s: reading variants: %s", out->path, sqlite3_errmsg(db));
}

// Rows come in variant runs, so the last hit answers most lookups; a hash missing from the
// variants table (a hand-made file) becomes a variant named by its hash.
static int variant_index(results_db *out, int *cap, const char *hash, int *last) {
    if (*last >= 0 && !strcmp(out->variants[*last].hash, hash)) return *last;
    for (int i = 0; i < out->n_variants; i++)
        if (!strcmp(out->variants[i].hash, hash)) return *last = i;
    add_variant(out, cap, hash, NULL, NULL, NULL);
    return *last = out->n_variants - 1;
}

static int kept_count(const char *json) {
    if (!json) return -1;
    cJSON *a = cJSON_Parse(json);
    int n = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : -1;
    cJSON_Delete(a);
    return n;
}

static int read_samples(sqlite3 *db, int has_device, results_db *out, int *vcap) {
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT variant_hash, task, sample_id, context_length, depth, status, score, prefill_ms, decode_ms,"
             " peak_bytes, kv_peak_bytes, %s, kept_chunks, n_chunks, kv_slots, prompt_tokens, error"
             " FROM samples ORDER BY rowid",
             has_device ? "device_peak_bytes" : "0");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return pcb_fail("%s: reading samples: %s", out->path, sqlite3_errmsg(db));
    int cap = 0, last = -1, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n_rows == cap)
            out->rows = pcb_realloc(out->rows, (size_t)(cap = cap ? 2 * cap : 64) * sizeof *out->rows);
        results_row *r = &out->rows[out->n_rows++];
        const char *hash = (const char *)sqlite3_column_text(st, 0), *status = (const char *)sqlite3_column_text(st, 5);
        r->variant = variant_index(out, vcap, hash ? hash : "", &last);
        r->task = pcb_strdup(sqlite3_column_text(st, 1) ? (const char *)sqlite3_column_text(st, 1) : "");
        r->sample_id = pcb_strdup(sqlite3_column_text(st, 2) ? (const char *)sqlite3_column_text(st, 2) : "");
        r->context_length = sqlite3_column_int(st, 3);
        r->depth = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_double(st, 4);
        r->status = !status                     ? RESULTS_PENDING
                    : !strcmp(status, "done")   ? RESULTS_DONE
                    : !strcmp(status, "failed") ? RESULTS_FAILED
                                                : RESULTS_PENDING;
        r->score = sqlite3_column_double(st, 6);
        r->prefill_ms = sqlite3_column_double(st, 7), r->decode_ms = sqlite3_column_double(st, 8);
        r->peak_bytes = sqlite3_column_int64(st, 9), r->kv_peak_bytes = sqlite3_column_int64(st, 10);
        r->device_peak_bytes = sqlite3_column_int64(st, 11);
        r->n_kept = kept_count((const char *)sqlite3_column_text(st, 12));
        r->n_chunks = sqlite3_column_int(st, 13);
        r->kv_slots = sqlite3_column_int64(st, 14);
        r->prompt_tokens = sqlite3_column_int(st, 15);
        r->error = dup_col(st, 16);
        if (r->status == RESULTS_DONE) out->n_done++;
        else if (r->status == RESULTS_FAILED) out->n_failed++;
        else out->n_pending++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : pcb_fail("%s: reading samples: %s", out->path, sqlite3_errmsg(db));
}

int results_read(const char *path, results_db *out) {
    memset(out, 0, sizeof *out);
    // SQLite's own message for a missing file ("unable to open database file") names no file.
    if (access(path, R_OK)) return pcb_fail("%s: no such results file (%s)", path, strerror(errno));
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        pcb_fail("%s: cannot open the results file: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return -1;
    }
    sqlite3_busy_timeout(db, 30000);  // a sweep may be writing it
    out->path = pcb_strdup(path);
    sqlite3_stmt *st = NULL;
    int v = -1, has_label = 0, has_device = 0, vcap = 0, rc = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
        pcb_fail("%s: not a pcbench results file (%s)", path, sqlite3_errmsg(db));
    } else if ((v = sqlite3_column_int(st, 0)) != RESULTS_SCHEMA_VERSION) {
        if (v > RESULTS_SCHEMA_VERSION)
            pcb_fail("%s: results schema version %d is newer than this pcbench (%d)", path, v, RESULTS_SCHEMA_VERSION);
        else
            pcb_fail("%s: not a pcbench results file of schema version %d (found %d)", path, RESULTS_SCHEMA_VERSION, v);
    } else {
        rc = check_schema(db, path, &has_label, &has_device) || read_runs(db, out) ||
                     read_variants(db, has_label, out, &vcap) || read_samples(db, has_device, out, &vcap)
                 ? -1
                 : 0;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (rc) results_db_free(out);
    return rc;
}

void results_db_free(results_db *db) {
    for (int i = 0; i < db->n_runs; i++) {
        results_run *r = &db->runs[i];
        char *s[] = {r->config_name, r->config_path, r->config_sha256, r->code_version,
                     r->backend,     r->device,      r->model,         r->model_sha256,
                     r->host,        r->shard,       r->started_utc,   r->finished_utc};
        for (size_t k = 0; k < sizeof s / sizeof *s; k++) free(s[k]);
    }
    for (int i = 0; i < db->n_variants; i++) {
        results_variant *v = &db->variants[i];
        free(v->hash), free(v->canonical), free(v->method), free(v->label);
    }
    for (int i = 0; i < db->n_rows; i++) free(db->rows[i].task), free(db->rows[i].sample_id), free(db->rows[i].error);
    free(db->runs), free(db->variants), free(db->rows), free(db->path);
    memset(db, 0, sizeof *db);
}

int results_task_is_ppl(const char *task) { return task && !strcmp(task, "ppl"); }

void results_score_add(results_score_sum *s, const char *task, double score) {
    if (results_task_is_ppl(task)) s->n_ppl++, s->sum_log += log(score);
    else s->n_other++, s->sum += score;
}

double results_score_value(const results_score_sum *s, int *kind) {
    int k = s->n_ppl && s->n_other ? RESULTS_SCORE_MIXED
            : s->n_ppl             ? RESULTS_SCORE_PPL
            : s->n_other           ? RESULTS_SCORE_PERCENT
                                   : RESULTS_SCORE_NONE;
    if (kind) *kind = k;
    return k == RESULTS_SCORE_PPL       ? exp(s->sum_log / s->n_ppl)
           : k == RESULTS_SCORE_PERCENT ? 100 * s->sum / s->n_other
                                        : NAN;
}

// Sort key of one row under a grouping; fields not in the key are equal for every row.
typedef struct {
    int variant, task, length;
    double depth;
    int row;
} group_key;

static int cmp_key(const void *a, const void *b) {
    const group_key *x = a, *y = b;
    if (x->variant != y->variant) return x->variant < y->variant ? -1 : 1;
    if (x->task != y->task) return x->task < y->task ? -1 : 1;
    if (x->length != y->length) return x->length < y->length ? -1 : 1;
    if (x->depth != y->depth) return x->depth < y->depth ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);  // stable: rowid order inside a group
}

static int same_group(const group_key *a, const group_key *b) {
    return a->variant == b->variant && a->task == b->task && a->length == b->length && a->depth == b->depth;
}

// Aggregates of the rows keys[0..n) (one group); `tmp` has room for n doubles.
static void aggregate(const results_db *db, const group_key *keys, int n, double *tmp, results_group *g) {
    int kept_rows = 0;
    results_score_sum score = {0};
    double prefill = 0, tokens = 0, chunks = 0, kept = 0, slots = 0;
    for (int i = 0; i < n; i++) {
        const results_row *r = &db->rows[keys[i].row];
        g->n_rows++;
        if (r->status == RESULTS_FAILED) g->n_failed++;
        if (r->status == RESULTS_PENDING) g->n_pending++;
        if (r->status != RESULTS_DONE) continue;
        g->n_done++;
        results_score_add(&score, r->task, r->score);
        prefill += r->prefill_ms, tokens += r->prompt_tokens, chunks += r->n_chunks, slots += (double)r->kv_slots;
        if (r->n_kept >= 0) kept += r->n_kept, kept_rows++;
        if (r->peak_bytes > g->peak_bytes_max) g->peak_bytes_max = r->peak_bytes;
        if (r->kv_peak_bytes > g->kv_peak_bytes_max) g->kv_peak_bytes_max = r->kv_peak_bytes;
        if (r->device_peak_bytes > g->device_peak_bytes_max) g->device_peak_bytes_max = r->device_peak_bytes;
    }
    int d = g->n_done;
    g->score = results_score_value(&score, &g->score_kind);
    g->prefill_ms_mean = d ? prefill / d : NAN;
    g->prompt_tokens_mean = d ? tokens / d : NAN;
    g->n_chunks_mean = d ? chunks / d : NAN;
    g->kv_slots_mean = d ? slots / d : NAN;
    g->n_kept_mean = kept_rows ? kept / kept_rows : NAN;
    int m = 0;
    for (int i = 0; i < n; i++)
        if (db->rows[keys[i].row].status == RESULTS_DONE) tmp[m++] = db->rows[keys[i].row].prefill_ms;
    g->prefill_ms_median = pcb_median(tmp, m);
    m = 0;
    for (int i = 0; i < n; i++)
        if (db->rows[keys[i].row].status == RESULTS_DONE) tmp[m++] = db->rows[keys[i].row].decode_ms;
    g->decode_ms_median = pcb_median(tmp, m);
}

int results_group_rows(const results_db *db, unsigned by, results_row_filter keep, void *ctx, results_group **out,
                       int *n_out) {
    *out = NULL, *n_out = 0;
    group_key *keys = pcb_malloc((size_t)(db->n_rows ? db->n_rows : 1) * sizeof *keys);
    const char **tasks = pcb_malloc((size_t)(db->n_rows ? db->n_rows : 1) * sizeof *tasks);  // first-seen order
    int n = 0, n_tasks = 0;
    for (int i = 0; i < db->n_rows; i++) {
        const results_row *r = &db->rows[i];
        if (keep && !keep(r, ctx)) continue;
        int t = 0;
        while (t < n_tasks && strcmp(tasks[t], r->task)) t++;
        if (t == n_tasks) tasks[n_tasks++] = r->task;
        keys[n++] =
            (group_key){by & RESULTS_BY_VARIANT ? r->variant : -1, by & RESULTS_BY_TASK ? t : -1,
                        by & RESULTS_BY_LENGTH ? r->context_length : -1, by & RESULTS_BY_DEPTH ? r->depth : 0, i};
    }
    qsort(keys, (size_t)n, sizeof *keys, cmp_key);
    results_group *g = pcb_calloc((size_t)(n ? n : 1), sizeof *g);
    double *tmp = pcb_malloc((size_t)(n ? n : 1) * sizeof *tmp);
    int n_groups = 0;
    for (int i = 0; i < n;) {
        int j = i + 1;
        while (j < n && same_group(&keys[i], &keys[j])) j++;
        results_group *x = &g[n_groups++];
        const results_row *r = &db->rows[keys[i].row];
        x->variant = by & RESULTS_BY_VARIANT ? r->variant : -1;
        x->task = by & RESULTS_BY_TASK ? r->task : NULL;
        x->context_length = by & RESULTS_BY_LENGTH ? r->context_length : -1;
        x->depth = by & RESULTS_BY_DEPTH ? r->depth : NAN;
        aggregate(db, keys + i, j - i, tmp, x);
        i = j;
    }
    free(tmp), free(keys), free(tasks);
    *out = g, *n_out = n_groups;
    return 0;
}

const results_group *results_group_find(const results_group *g, int n, int variant, const char *task,
                                        int context_length, double depth) {
    for (int i = 0; i < n; i++) {
        const results_group *x = &g[i];
        if (x->variant != variant || x->context_length != context_length) continue;
        if ((x->task == NULL) != (task == NULL) || (task && strcmp(x->task, task))) continue;
        if (isnan(x->depth) != isnan(depth) || (!isnan(depth) && x->depth != depth)) continue;
        return x;
    }
    return NULL;
}
