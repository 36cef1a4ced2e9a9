#include "analysis/store/results_store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/base/error.h"

struct results_store {
    sqlite3 *db;
    char *path;
};

static const char SCHEMA_V1[] =
    "CREATE TABLE IF NOT EXISTS runs ("
    " run_id INTEGER PRIMARY KEY, config_name TEXT, config_path TEXT, config_sha256 TEXT, code_version TEXT,"
    " backend TEXT, device TEXT, threads INTEGER, model TEXT, model_sha256 TEXT, host TEXT, shard TEXT,"
    " started_utc TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')), finished_utc TEXT);"
    "CREATE TABLE IF NOT EXISTS variants ("
    " variant_hash TEXT PRIMARY KEY, canonical TEXT NOT NULL, method TEXT, label TEXT);"
    "CREATE TABLE IF NOT EXISTS samples ("
    " row_key TEXT PRIMARY KEY, variant_hash TEXT NOT NULL, task TEXT NOT NULL, sample_id TEXT NOT NULL,"
    " context_length INTEGER, depth REAL, model_sha256 TEXT, dataset_sha256 TEXT,"
    " status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),"
    " prediction TEXT, score REAL, prefill_ms REAL, decode_ms REAL, peak_bytes INTEGER, kv_peak_bytes INTEGER,"
    " device_peak_bytes INTEGER, kept_chunks TEXT, n_chunks INTEGER, kv_slots INTEGER, prompt_tokens INTEGER, error "
    "TEXT, run_id INTEGER,"
    " finished_utc TEXT);"
    "CREATE INDEX IF NOT EXISTS samples_by_variant ON samples (variant_hash, task, status);";

static int db_fail(results_store *s, const char *what) {
    return pcb_fail("%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

static int exec(results_store *s, const char *sql, const char *what) {
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : db_fail(s, what);
}

static int user_version(results_store *s, int *v) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, "schema version");
    int rc = sqlite3_step(st) == SQLITE_ROW ? (*v = sqlite3_column_int(st, 0), 0) : db_fail(s, "schema version");
    sqlite3_finalize(st);
    return rc;
}

// Columns added to schema 1 after its first files were written: added in place (NULL in old rows).
static int add_missing_columns(results_store *s) {
    static const char *const cols[][3] = {{"variants", "label", "TEXT"}, {"samples", "device_peak_bytes", "INTEGER"}};
    for (size_t i = 0; i < sizeof cols / sizeof *cols; i++) {
        char sql[160];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s'", cols[i][0],
                 cols[i][1]);
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return db_fail(s, "read the schema");
        int have = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
        sqlite3_finalize(st);
        if (have) continue;
        snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN %s %s", cols[i][0], cols[i][1], cols[i][2]);
        if (exec(s, sql, "add a column")) return -1;
    }
    return 0;
}

results_store *results_open(const char *path) {
    results_store *s = pcb_calloc(1, sizeof *s);
    s->path = pcb_strdup(path);
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        pcb_fail("%s: cannot open the results database: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
        results_close(s);
        return NULL;
    }
    sqlite3_busy_timeout(s->db, 30000);  // shards of one sweep may share a file
    int v = 0;
    if (exec(s, "PRAGMA journal_mode=WAL", "WAL mode") || user_version(s, &v)) goto fail;
    if (v > RESULTS_SCHEMA_VERSION) {
        pcb_fail("%s: results schema version %d is newer than this pcbench (%d)", path, v, RESULTS_SCHEMA_VERSION);
        goto fail;
    }
    if (v < RESULTS_SCHEMA_VERSION) {  // fresh file (or, later, an older schema to migrate forward)
        if (exec(s, "BEGIN IMMEDIATE", "begin") || exec(s, SCHEMA_V1, "create the schema") ||
            exec(s, "PRAGMA user_version = 1", "schema version") || exec(s, "COMMIT", "commit")) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            goto fail;
        }
    } else if (add_missing_columns(s)) {
        goto fail;
    }
    return s;
fail:
    results_close(s);
    return NULL;
}

void results_close(results_store *s) {
    if (!s) return;
    sqlite3_close(s->db);
    free(s->path);
    free(s);
}

static void bind_text(sqlite3_stmt *st, int i, const char *v) {
    if (v) sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, i);
}

int64_t results_begin_run(results_store *s, const results_run_info *r) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO runs (config_name, config_path, config_sha256, code_version, backend, device,"
                           " threads, model, model_sha256, host, shard) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, "record the run");
    bind_text(st, 1, r->config_name), bind_text(st, 2, r->config_path), bind_text(st, 3, r->config_sha256);
    bind_text(st, 4, r->code_version), bind_text(st, 5, r->backend), bind_text(st, 6, r->device);
    sqlite3_bind_int(st, 7, r->threads);
    bind_text(st, 8, r->model), bind_text(st, 9, r->model_sha256), bind_text(st, 10, r->host);
    bind_text(st, 11, r->shard);
    int ok = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    return ok ? sqlite3_last_insert_rowid(s->db) : db_fail(s, "record the run");
}

int results_finish_run(results_store *s, int64_t run_id) {
    char sql[160];
    snprintf(sql, sizeof sql,
             "UPDATE runs SET finished_utc = strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ','now') WHERE run_id = %lld",
             (long long)run_id);
    return exec(s, sql, "finish the run");
}

int results_add_variant(results_store *s, const char *hash, const char *canonical, const char *method,
                        const char *label) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO variants (variant_hash, canonical, method, label) VALUES (?,?,?,?)"
                           " ON CONFLICT (variant_hash) DO UPDATE SET label = coalesce(label, excluded.label)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, "record a variant");
    bind_text(st, 1, hash), bind_text(st, 2, canonical), bind_text(st, 3, method), bind_text(st, 4, label);
    int ok = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    return ok ? 0 : db_fail(s, "record a variant");
}

int results_plan(results_store *s, const results_plan_row *rows, int n, int *added) {
    sqlite3_stmt *st = NULL;
    *added = 0;
    if (exec(s, "BEGIN IMMEDIATE", "begin the plan")) return -1;
    int rc = sqlite3_prepare_v2(s->db,
                                "INSERT OR IGNORE INTO samples (row_key, variant_hash, task, sample_id, context_length,"
                                " depth, model_sha256, dataset_sha256) VALUES (?,?,?,?,?,?,?,?)",
                                -1, &st, NULL) != SQLITE_OK;
    for (int i = 0; i < n && !rc; i++) {
        const results_plan_row *r = &rows[i];
        bind_text(st, 1, r->row_key), bind_text(st, 2, r->variant_hash), bind_text(st, 3, r->task);
        bind_text(st, 4, r->sample_id);
        sqlite3_bind_int(st, 5, r->context_length);
        if (r->depth >= 0) sqlite3_bind_double(st, 6, r->depth);
        else sqlite3_bind_null(st, 6);
        bind_text(st, 7, r->model_sha256), bind_text(st, 8, r->dataset_sha256);
        rc = sqlite3_step(st) != SQLITE_DONE;
        if (!rc) *added += sqlite3_changes(s->db);
        sqlite3_reset(st);
    }
    if (rc) db_fail(s, "insert the plan");
    sqlite3_finalize(st);
    if (!rc && exec(s, "COMMIT", "commit the plan")) rc = 1;
    if (rc) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL), *added = 0;
    return rc ? -1 : 0;
}

int results_get(results_store *s, const char *row_key, results_row_view *out) {
    sqlite3_stmt *st;
    *out = (results_row_view){0};
    if (sqlite3_prepare_v2(s->db, "SELECT status, score, prefill_ms FROM samples WHERE row_key = ?", -1, &st, NULL) !=
        SQLITE_OK)
        return db_fail(s, "read a row");
    bind_text(st, 1, row_key);
    int rc = -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        out->status = !strcmp(v, "done") ? 1 : !strcmp(v, "failed") ? 2 : 0;
        out->score = sqlite3_column_double(st, 1), out->prefill_ms = sqlite3_column_double(st, 2);
        rc = 0;
    } else {
        pcb_fail("%s: no planned row %s", s->path, row_key);
    }
    sqlite3_finalize(st);
    return rc;
}

int results_status(results_store *s, const char *row_key) {
    results_row_view v;
    return results_get(s, row_key, &v) ? -1 : v.status;
}

// One row's outcome in its own transaction: a kill before COMMIT leaves it as it was.
static int update_row(results_store *s, const char *row_key, int64_t run_id, const char *status,
                      const results_sample *r, const char *error) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(
            s->db,
            "UPDATE samples SET status = ?, prediction = ?, score = ?, prefill_ms = ?, decode_ms = ?,"
            " peak_bytes = ?, kv_peak_bytes = ?, kept_chunks = ?, n_chunks = ?, kv_slots = ?,"
            " prompt_tokens = ?, error = ?, run_id = ?, device_peak_bytes = ?15,"
            " finished_utc = strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE row_key = ?14 AND status != 'done'",
            -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, "store a result");
    bind_text(st, 1, status);
    if (r) {
        bind_text(st, 2, r->prediction);
        sqlite3_bind_double(st, 3, r->score), sqlite3_bind_double(st, 4, r->prefill_ms);
        sqlite3_bind_double(st, 5, r->decode_ms), sqlite3_bind_int64(st, 6, r->peak_bytes);
        sqlite3_bind_int64(st, 7, r->kv_peak_bytes);
        bind_text(st, 8, r->kept_chunks);
        sqlite3_bind_int(st, 9, r->n_chunks), sqlite3_bind_int64(st, 10, r->kv_slots);
        sqlite3_bind_int(st, 11, r->prompt_tokens);
        sqlite3_bind_int64(st, 15, r->device_peak_bytes);
    }
    bind_text(st, 12, error);
    sqlite3_bind_int64(st, 13, run_id);
    bind_text(st, 14, row_key);
    int ok = sqlite3_step(st) == SQLITE_DONE;
    int changed = sqlite3_changes(s->db);
    sqlite3_finalize(st);
    if (!ok) return db_fail(s, "store a result");
    return changed == 1 ? 0 : pcb_fail("%s: row %s is not pending (unknown or already done)", s->path, row_key);
}

int results_mark_done(results_store *s, const char *row_key, int64_t run_id, const results_sample *r) {
    return update_row(s, row_key, run_id, "done", r, NULL);
}

int results_mark_failed(results_store *s, const char *row_key, int64_t run_id, const char *error) {
    return update_row(s, row_key, run_id, "failed", NULL, error);
}

int results_counts(results_store *s, int *pending, int *done, int *failed) {
    sqlite3_stmt *st;
    *pending = *done = *failed = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT status, count(*) FROM samples GROUP BY status", -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, "count rows");
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        int n = sqlite3_column_int(st, 1);
        if (!strcmp(v, "done")) *done = n;
        else if (!strcmp(v, "failed")) *failed = n;
        else *pending = n;
    }
    sqlite3_finalize(st);
    return 0;
}

#define SAMPLE_COLUMNS                                                                                                 \
    "row_key, variant_hash, task, sample_id, context_length, depth, model_sha256, dataset_sha256, status, prediction," \
    " score, prefill_ms, decode_ms, peak_bytes, kv_peak_bytes, device_peak_bytes, kept_chunks, n_chunks, kv_slots,"    \
    " prompt_tokens, error, finished_utc"

// One run in two files: every column but the file's run id and the finish date, which the
// shard may have gained since an earlier merge (IS: NULLs compare equal).
#define RUN_SAME                                                                                               \
    "m.config_name IS r.config_name AND m.config_path IS r.config_path AND m.config_sha256 IS r.config_sha256" \
    " AND m.code_version IS r.code_version AND m.backend IS r.backend AND m.device IS r.device"                \
    " AND m.threads IS r.threads AND m.model IS r.model AND m.model_sha256 IS r.model_sha256"                  \
    " AND m.host IS r.host AND m.shard IS r.shard AND m.started_utc IS r.started_utc"

// An input of a merge must be a results file of exactly this schema; it is only read.
static int check_input(const char *path) {
    if (access(path, R_OK)) return pcb_fail("merge: %s: no such results file", path);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (v != RESULTS_SCHEMA_VERSION)
        return pcb_fail("merge: %s: not a pcbench results file of schema version %d (%s %d)", path,
                        RESULTS_SCHEMA_VERSION, v < 0 ? "unreadable," : "found", v);
    return 0;
}

int results_merge(const char *out, const char *const *inputs, int n) {
    for (int i = 0; i < n; i++)  // before `out` is created or touched
        if (check_input(inputs[i])) return -1;
    results_store *s = results_open(out);
    if (!s) return -1;
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        char *sql = sqlite3_mprintf("ATTACH DATABASE %Q AS shard", inputs[i]);
        rc = exec(s, sql, "attach a shard");
        sqlite3_free(sql);
        if (rc) break;
        // Rank: done 2 > failed 1 > pending 0; a row is replaced only by a better-ranked one.
        rc = exec(s,
                  "BEGIN IMMEDIATE;"
                  "INSERT INTO runs (config_name, config_path, config_sha256, code_version, backend, device, threads,"
                  " model, model_sha256, host, shard, started_utc, finished_utc)"
                  " SELECT config_name, config_path, config_sha256, code_version, backend, device, threads, model,"
                  " model_sha256, host, shard, started_utc, finished_utc FROM shard.runs AS r"
                  // a run already copied (same shard merged again) is not copied twice; one that has
                  // finished since it was copied gets its finish date
                  " WHERE NOT EXISTS (SELECT 1 FROM main.runs AS m WHERE " RUN_SAME
                  ");"
                  "UPDATE main.runs AS m SET finished_utc = r.finished_utc FROM shard.runs AS r"
                  " WHERE m.finished_utc IS NULL AND r.finished_utc IS NOT NULL AND " RUN_SAME
                  ";"
                  "INSERT OR IGNORE INTO variants (variant_hash, canonical, method, label)"
                  " SELECT variant_hash, canonical, method, label FROM shard.variants;"
                  // run ids are per file: merged rows keep their dates, not a dangling run id
                  "INSERT INTO samples (" SAMPLE_COLUMNS ", run_id) SELECT " SAMPLE_COLUMNS
                  ", NULL"
                  " FROM shard.samples WHERE true"
                  " ON CONFLICT (row_key) DO UPDATE SET status = excluded.status, prediction = excluded.prediction,"
                  " score = excluded.score, prefill_ms = excluded.prefill_ms, decode_ms = excluded.decode_ms,"
                  " peak_bytes = excluded.peak_bytes, kv_peak_bytes = excluded.kv_peak_bytes,"
                  " device_peak_bytes = excluded.device_peak_bytes,"
                  " kept_chunks = excluded.kept_chunks, n_chunks = excluded.n_chunks, kv_slots = excluded.kv_slots,"
                  " prompt_tokens = excluded.prompt_tokens, error = excluded.error, run_id = NULL,"
                  " finished_utc = excluded.finished_utc"
                  " WHERE (CASE excluded.status WHEN 'done' THEN 2 WHEN 'failed' THEN 1 ELSE 0 END) >"
                  " (CASE samples.status WHEN 'done' THEN 2 WHEN 'failed' THEN 1 ELSE 0 END);"
                  "COMMIT;",
                  inputs[i]);
        if (rc) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_exec(s->db, "DETACH DATABASE shard", NULL, NULL, NULL);
    }
    results_close(s);
    return rc;
}
