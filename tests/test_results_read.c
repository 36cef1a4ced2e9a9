// Reading results files back: the current schema and the older one (no variants.label, no
// samples.device_peak_bytes), files that are not results files, the file left unchanged, and
// the grouping / aggregation helpers (counts, mean score, pooled ppl, medians, maxima).
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis/read/results_read.h"
#include "analysis/store/results_store.h"
#include "bench/base/error.h"
#include "bench/base/stats.h"
#include "bench/base/text_file.h"
#include "tests/test.h"

static char dir[64];

static void path_in_dir(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", dir, name); }

static int sql(const char *path, const char *text) {
    sqlite3 *db;
    char *err = NULL;
    int rc = sqlite3_open(path, &db) == SQLITE_OK && sqlite3_exec(db, text, NULL, NULL, &err) == SQLITE_OK ? 0 : -1;
    if (rc) fprintf(stderr, "  %s: %s\n", path, err ? err : sqlite3_errmsg(db));
    sqlite3_free(err);
    sqlite3_close(db);
    return rc;
}

static char *slurp(const char *path, long *n) {
    size_t len = 0;
    char *s = read_text_file(path, &len);
    *n = (long)len;
    return s;
}

// The schema of the first demo files, before variants.label and samples.device_peak_bytes.
static const char OLD_SCHEMA[] =
    "CREATE TABLE runs ( run_id INTEGER PRIMARY KEY, config_name TEXT, config_path TEXT, config_sha256 TEXT,"
    " code_version TEXT, backend TEXT, device TEXT, threads INTEGER, model TEXT, model_sha256 TEXT, host TEXT,"
    " shard TEXT, started_utc TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')), finished_utc TEXT);"
    "CREATE TABLE variants ( variant_hash TEXT PRIMARY KEY, canonical TEXT NOT NULL, method TEXT);"
    "CREATE TABLE samples ( row_key TEXT PRIMARY KEY, variant_hash TEXT NOT NULL, task TEXT NOT NULL,"
    " sample_id TEXT NOT NULL, context_length INTEGER, depth REAL, model_sha256 TEXT, dataset_sha256 TEXT,"
    " status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')), prediction TEXT,"
    " score REAL, prefill_ms REAL, decode_ms REAL, peak_bytes INTEGER, kv_peak_bytes INTEGER, kept_chunks TEXT,"
    " n_chunks INTEGER, kv_slots INTEGER, prompt_tokens INTEGER, error TEXT, run_id INTEGER, finished_utc TEXT);"
    "PRAGMA user_version = 1;";

static void test_old_schema(void) {
    char path[128];
    path_in_dir(path, sizeof path, "old.sqlite");
    CHECK(sql(path, OLD_SCHEMA) == 0);
    CHECK(sql(path,
              "INSERT INTO runs (config_name, code_version, backend, device, threads, model, model_sha256, host, shard,"
              " started_utc, finished_utc) VALUES ('demo', '0.1.0', 'cpu', 'cpu', 2, 'm.gguf', 'b179', 'vm', '0/1',"
              " '2026-11-23T01:19:01Z', '2026-11-23T01:24:50Z');"
              "INSERT INTO variants VALUES ('h2', 'method.name=pcw', 'pcw'), ('h1', 'method.name=full', 'full');"
              "INSERT INTO samples (row_key, variant_hash, task, sample_id, context_length, depth, status, score,"
              " prefill_ms, decode_ms, peak_bytes, kv_peak_bytes, kept_chunks, n_chunks, kv_slots, prompt_tokens)"
              " VALUES ('k1', 'h1', 'passkey', 'p-0', 4096, 0.5, 'done', 1.0, 7000.5, 400, 900000000, 190000000,"
              " '[]', 0, 373950, 4155),"
              " ('k2', 'h2', 'triviaqa', 't-0', 0, NULL, 'done', 0.25, 5000, 300, 1000, 500, '[0,1,2]', 3, 10, 5228),"
              " ('k3', 'h9', 'passkey', 'p-1', 8192, 0.5, 'pending', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
              " NULL);"
              "INSERT INTO samples (row_key, variant_hash, task, sample_id, context_length, depth, status, error)"
              " VALUES ('k4', 'h2', 'passkey', 'p-0', 4096, 0.5, 'failed', 'out of memory');") == 0);
    long n0 = 0, n1 = 0;
    char *before = slurp(path, &n0);
    results_db db;
    CHECK_MSG(results_read(path, &db) == 0, "%s", pcb_last_error());
    char *after = slurp(path, &n1);
    CHECK(before && after && n0 == n1 && !memcmp(before, after, (size_t)n0));  // read-only
    free(before), free(after);
    CHECK(access(path, F_OK) == 0 && !strcmp(db.path, path));
    CHECK(db.n_runs == 1 && !strcmp(db.runs[0].config_name, "demo") && db.runs[0].threads == 2 &&
          !strcmp(db.runs[0].finished_utc, "2026-11-23T01:24:50Z") && db.runs[0].config_path == NULL);
    // variants in table order, labels from the method; a hash only rows name comes last
    CHECK(db.n_variants == 3);
    if (db.n_variants == 3) {
        CHECK(!strcmp(db.variants[0].hash, "h2") && !strcmp(db.variants[0].label, "pcw"));
        CHECK(!strcmp(db.variants[1].hash, "h1") && !strcmp(db.variants[1].label, "full") &&
              !strcmp(db.variants[1].canonical, "method.name=full"));
        CHECK(!strcmp(db.variants[2].hash, "h9") && !strcmp(db.variants[2].label, "h9") && !db.variants[2].method);
    }
    CHECK(db.n_rows == 4 && db.n_done == 2 && db.n_pending == 1 && db.n_failed == 1);
    if (db.n_rows == 4) {
        const results_row *r = &db.rows[0];
        CHECK(r->variant == 1 && !strcmp(r->task, "passkey") && !strcmp(r->sample_id, "p-0") &&
              r->context_length == 4096 && r->depth == 0.5 && r->status == RESULTS_DONE && r->score == 1.0);
        CHECK(r->prefill_ms == 7000.5 && r->decode_ms == 400 && r->peak_bytes == 900000000 &&
              r->kv_peak_bytes == 190000000 && r->device_peak_bytes == 0 && r->n_chunks == 0 && r->n_kept == 0 &&
              r->kv_slots == 373950 && r->prompt_tokens == 4155 && !r->error);
        CHECK(db.rows[1].variant == 0 && db.rows[1].depth < 0 && db.rows[1].n_kept == 3 && db.rows[1].n_chunks == 3);
        CHECK(db.rows[2].variant == 2 && db.rows[2].status == RESULTS_PENDING && db.rows[2].n_kept == -1);
        CHECK(db.rows[3].status == RESULTS_FAILED && !strcmp(db.rows[3].error, "out of memory"));
    }
    results_db_free(&db);
    CHECK(db.n_rows == 0 && db.rows == NULL);
}

// The current schema through the store: label and device peak come back.
static void test_current_schema(void) {
    char path[128];
    path_in_dir(path, sizeof path, "new.sqlite");
    results_store *s = results_open(path);
    CHECK(s != NULL);
    if (!s) return;
    CHECK(results_add_variant(s, "v1", "method.name=parallelcomp\nmethod.calibration.layers=0-7", "parallelcomp",
                              "parallelcomp method.calibration.layers=0-7") == 0);
    char key[65];
    snprintf(key, sizeof key, "%064d", 7);
    results_plan_row row = {key, "v1", "needle", "n-0", "m", "d", 8192, 0.1};
    int added;
    CHECK(results_plan(s, &row, 1, &added) == 0);
    int64_t run = results_begin_run(s, &(results_run_info){.config_name = "c", .backend = "cuda", .device = "H100"});
    results_sample r = {.prediction = "p",
                        .score = 0.5,
                        .prefill_ms = 12.5,
                        .peak_bytes = 3,
                        .kv_peak_bytes = 2,
                        .device_peak_bytes = 123456789012,
                        .kept_chunks = "[4, 7]",
                        .n_chunks = 9};
    CHECK(results_mark_done(s, key, run, &r) == 0);
    results_close(s);
    results_db db;
    CHECK_MSG(results_read(path, &db) == 0, "%s", pcb_last_error());
    CHECK(db.n_variants == 1 && !strcmp(db.variants[0].label, "parallelcomp method.calibration.layers=0-7"));
    CHECK(db.n_rows == 1 && db.rows[0].device_peak_bytes == 123456789012 && db.rows[0].n_kept == 2 &&
          db.rows[0].depth == 0.1);
    CHECK(db.n_runs == 1 && !strcmp(db.runs[0].device, "H100") && db.runs[0].started_utc != NULL);
    results_db_free(&db);
}

static void expect_error(const char *path, const char *a, const char *b) {
    results_db db;
    int rc = results_read(path, &db);
    CHECK_MSG(rc == -1 && strstr(pcb_last_error(), path) && strstr(pcb_last_error(), a) &&
                  (!b || strstr(pcb_last_error(), b)),
              "%s: got '%s'", path, rc ? pcb_last_error() : "success");
    CHECK(db.n_rows == 0 && db.rows == NULL && db.variants == NULL && db.path == NULL);
}

static void test_bad_files(void) {
    char path[128];
    path_in_dir(path, sizeof path, "missing.sqlite");
    expect_error(path, "no such results file", NULL);
    CHECK(access(path, F_OK) != 0);  // not created
    path_in_dir(path, sizeof path, "text.sqlite");
    FILE *f = fopen(path, "w");
    fputs("this is not a database, it is a text file long enough to have a header .........", f);
    fclose(f);
    expect_error(path, "not a pcbench results file", NULL);
    path_in_dir(path, sizeof path, "empty.sqlite");
    f = fopen(path, "w");
    fclose(f);
    expect_error(path, "not a pcbench results file of schema version 1", "found 0");
    path_in_dir(path, sizeof path, "other.sqlite");
    CHECK(sql(path, "CREATE TABLE t (x); PRAGMA user_version = 7;") == 0);
    expect_error(path, "schema version 7 is newer", NULL);
    path_in_dir(path, sizeof path, "v1_no_tables.sqlite");
    CHECK(sql(path, "CREATE TABLE t (x); PRAGMA user_version = 1;") == 0);
    expect_error(path, "not a pcbench results file", "no table 'samples'");
    path_in_dir(path, sizeof path, "v1_no_score.sqlite");
    CHECK(sql(path, "CREATE TABLE samples (variant_hash, task, sample_id); PRAGMA user_version = 1;") == 0);
    expect_error(path, "not a pcbench results file", "has no column 'context_length'");
    path_in_dir(path, sizeof path, "a_directory");
    mkdir(path, 0777);
    expect_error(path, "a_directory", NULL);
}

// Rows by hand: variant A passkey 4K at two depths, ppl 4K; variant B passkey 4K.
static void add(results_db *db, int variant, const char *task, int len, double depth, int status, double score,
                double prefill, int64_t peak, int n_kept) {
    db->rows = realloc(db->rows, (size_t)(db->n_rows + 1) * sizeof *db->rows);
    db->rows[db->n_rows++] = (results_row){.variant = variant,
                                           .task = (char *)task,
                                           .sample_id = (char *)"s",
                                           .context_length = len,
                                           .depth = depth,
                                           .status = status,
                                           .score = score,
                                           .prefill_ms = prefill,
                                           .decode_ms = prefill / 10,
                                           .peak_bytes = peak,
                                           .kv_peak_bytes = peak / 2,
                                           .n_kept = n_kept,
                                           .n_chunks = 4,
                                           .prompt_tokens = len};
}

static int only_passkey(const results_row *r, void *ctx) { return !strcmp(r->task, (const char *)ctx); }

static void test_grouping(void) {
    results_db db = {0};
    add(&db, 0, "passkey", 4096, 0.25, RESULTS_DONE, 1, 100, 10, 1);
    add(&db, 0, "passkey", 4096, 0.75, RESULTS_DONE, 0, 300, 30, 3);
    add(&db, 0, "passkey", 4096, 0.75, RESULTS_DONE, 1, 200, 20, -1);
    add(&db, 0, "passkey", 4096, 0.25, RESULTS_FAILED, 0, 0, 0, -1);
    add(&db, 0, "ppl", 4096, -1, RESULTS_DONE, 10, 50, 40, 1);
    add(&db, 0, "ppl", 4096, -1, RESULTS_DONE, 1000, 70, 5, 1);
    add(&db, 1, "passkey", 4096, 0.25, RESULTS_PENDING, 0, 0, 0, -1);
    add(&db, 1, "passkey", 8192, 0.25, RESULTS_DONE, 0.5, 10, 1, 2);
    db.n_variants = 2;

    results_group *g;
    int n;
    CHECK(results_group_rows(&db, RESULTS_BY_VARIANT | RESULTS_BY_TASK | RESULTS_BY_LENGTH, NULL, NULL, &g, &n) == 0);
    CHECK(n == 4);
    const results_group *a = results_group_find(g, n, 0, "passkey", 4096, NAN);
    CHECK(a == &g[0]);  // sorted: variant, task first seen, length
    CHECK(a && a->n_rows == 4 && a->n_done == 3 && a->n_failed == 1 && a->n_pending == 0);
    CHECK(a && a->score_kind == RESULTS_SCORE_PERCENT);
    CHECK_NEAR(a ? a->score : 0, 100.0 * 2 / 3, 1e-9);
    CHECK_NEAR(a ? a->prefill_ms_median : 0, 200, 1e-9);
    CHECK_NEAR(a ? a->prefill_ms_mean : 0, 200, 1e-9);
    CHECK_NEAR(a ? a->decode_ms_median : 0, 20, 1e-9);
    CHECK(a && a->peak_bytes_max == 30 && a->kv_peak_bytes_max == 15 && a->device_peak_bytes_max == 0);
    CHECK_NEAR(a ? a->n_kept_mean : 0, 2.0, 1e-9);  // the row without kept chunks does not count
    CHECK(a && isnan(a->depth) && a->variant == 0 && a->context_length == 4096);
    const results_group *p = results_group_find(g, n, 0, "ppl", 4096, NAN);
    CHECK(p == &g[1] && p->score_kind == RESULTS_SCORE_PPL);
    CHECK_NEAR(p ? p->score : 0, 100.0, 1e-9);  // exp(mean(log 10, log 1000))
    CHECK_NEAR(p ? p->prefill_ms_median : 0, 60, 1e-9);
    const results_group *b = results_group_find(g, n, 1, "passkey", 4096, NAN);
    CHECK(b == &g[2] && b->n_done == 0 && b->score_kind == RESULTS_SCORE_NONE && isnan(b->score) &&
          isnan(b->prefill_ms_median));
    CHECK(results_group_find(g, n, 1, "passkey", 8192, NAN) == &g[3]);
    CHECK(results_group_find(g, n, 1, "ppl", 4096, NAN) == NULL);
    CHECK(results_group_find(g, n, 0, "passkey", 4096, 0.25) == NULL);  // depth is not in this key
    free(g);

    // by depth too, with a filter
    CHECK(results_group_rows(&db, RESULTS_BY_VARIANT | RESULTS_BY_LENGTH | RESULTS_BY_DEPTH, only_passkey, "passkey",
                             &g, &n) == 0);
    CHECK(n == 4);
    const results_group *d = results_group_find(g, n, 0, NULL, 4096, 0.75);
    CHECK(d && d->n_done == 2 && d->task == NULL);
    CHECK_NEAR(d ? d->score : 0, 50, 1e-9);
    CHECK_NEAR(d ? d->prefill_ms_median : 0, 250, 1e-9);            // even count: mean of the middle two
    CHECK(results_group_find(g, n, 0, NULL, 4096, 0.25) == &g[0]);  // 0.25 sorts before 0.75
    free(g);

    // by length only: passkey and ppl together have no single score
    CHECK(results_group_rows(&db, RESULTS_BY_LENGTH, NULL, NULL, &g, &n) == 0);
    CHECK(n == 2 && g[0].context_length == 4096 && g[1].context_length == 8192 && g[0].variant == -1);
    CHECK(g[0].n_rows == 7 && g[0].score_kind == RESULTS_SCORE_MIXED && isnan(g[0].score));
    CHECK(g[0].peak_bytes_max == 40);
    free(g);

    // nothing kept: no groups
    CHECK(results_group_rows(&db, RESULTS_BY_TASK, only_passkey, "needle", &g, &n) == 0 && n == 0);
    free(g);
    free(db.rows);

    double v[] = {5, 1, 4, 2, 3};  // the median the groups take (bench/base/stats.h)
    CHECK(pcb_median(v, 5) == 3 && pcb_median(v, 4) == 2.5 && isnan(pcb_median(v, 0)));
    CHECK(results_task_is_ppl("ppl") && !results_task_is_ppl("passkey") && !results_task_is_ppl(NULL));
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/pcb_read_%d", (int)getpid());
    mkdir(dir, 0777);
    RUN_TEST(test_old_schema);
    RUN_TEST(test_current_schema);
    RUN_TEST(test_bad_files);
    RUN_TEST(test_grouping);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) fprintf(stderr, "  could not remove %s\n", dir);
    return test_summary();
}
