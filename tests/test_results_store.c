// Results store: schema and version, idempotent plans, one transaction per finished row, a
// writer killed with SIGKILL at random moments, shard merging, bad files.
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "analysis/store/results_store.h"
#include "bench/base/error.h"
#include "tests/test.h"

static char dir[64];

static void path_in_dir(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", dir, name); }

enum { ROWS = 40 };
static char keys[ROWS][65];

static void make_plan(results_plan_row *rows) {
    for (int i = 0; i < ROWS; i++) {
        snprintf(keys[i], sizeof keys[i], "%064d", i);
        rows[i] = (results_plan_row){.row_key = keys[i],
                                     .variant_hash = i % 2 ? "v1" : "v2",
                                     .task = "passkey",
                                     .sample_id = keys[i] + 60,
                                     .context_length = 4096,
                                     .depth = 0.5};
    }
}

static results_sample sample_for(int i) {
    static char pred[32];
    snprintf(pred, sizeof pred, "answer %d", i);
    return (results_sample){.prediction = pred,
                            .score = i % 3 == 0,
                            .prefill_ms = 10 + i,
                            .decode_ms = 1,
                            .peak_bytes = 1000 + i,
                            .kv_peak_bytes = 100 + i,
                            .device_peak_bytes = 5000 + i,
                            .kept_chunks = "[0,2]",
                            .n_chunks = 3,
                            .kv_slots = 999,
                            .prompt_tokens = 4096};
}

static int sql_int(const char *path, const char *sql) {
    sqlite3 *db;
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_open(path, &db) == SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return v;
}

static void test_schema_and_plan(void) {
    char path[128];
    path_in_dir(path, sizeof path, "a.sqlite");
    results_store *s = results_open(path);
    CHECK(s != NULL);
    if (!s) return;
    CHECK(sql_int(path, "PRAGMA user_version") == RESULTS_SCHEMA_VERSION);
    results_plan_row rows[ROWS];
    make_plan(rows);
    int added = -1;
    CHECK(results_add_variant(s, "v1", "method=full", "full", "full") == 0);
    CHECK(results_add_variant(s, "v1", "method=full", "full", "full") == 0);  // idempotent
    CHECK(results_plan(s, rows, ROWS, &added) == 0 && added == ROWS);
    CHECK(results_plan(s, rows, ROWS, &added) == 0 && added == 0);
    results_sample r = sample_for(3);
    int64_t run = results_begin_run(s, &(results_run_info){.config_name = "t", .backend = "cpu", .threads = 2});
    CHECK(run > 0);
    CHECK(results_status(s, keys[3]) == 0);
    CHECK(results_mark_done(s, keys[3], run, &r) == 0);
    CHECK(results_status(s, keys[3]) == 1);
    CHECK(results_mark_done(s, keys[3], run, &r) != 0 && strstr(pcb_last_error(), "not pending"));
    CHECK(results_mark_failed(s, keys[4], run, "sample longer than any budget") == 0 &&
          results_status(s, keys[4]) == 2);
    CHECK(results_status(s, "nope") < 0 && strstr(pcb_last_error(), "no planned row"));
    int p, d, f;
    CHECK(results_counts(s, &p, &d, &f) == 0 && p == ROWS - 2 && d == 1 && f == 1);
    CHECK(results_finish_run(s, run) == 0);
    results_close(s);
    CHECK(sql_int(path, "SELECT count(*) FROM samples") == ROWS);
    CHECK(sql_int(path, "SELECT peak_bytes FROM samples WHERE status = 'done'") == 1003);
    CHECK(sql_int(path, "SELECT device_peak_bytes FROM samples WHERE status = 'done'") == 5003);
    CHECK(sql_int(path, "SELECT count(*) FROM runs WHERE finished_utc IS NOT NULL") == 1);
}

static void test_bad_files(void) {
    char path[128];
    path_in_dir(path, sizeof path, "newer.sqlite");
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
    sqlite3_close(db);
    CHECK(results_open(path) == NULL && strstr(pcb_last_error(), "newer.sqlite") && strstr(pcb_last_error(), "99"));
    path_in_dir(path, sizeof path, "text.sqlite");
    FILE *f = fopen(path, "w");
    fputs("this is not a database, it is a text file long enough to have a header .........", f);
    fclose(f);
    CHECK(results_open(path) == NULL && strstr(pcb_last_error(), "text.sqlite"));
    CHECK(results_open("/nonexistent-dir/r.sqlite") == NULL && strstr(pcb_last_error(), "/nonexistent-dir/r.sqlite"));
}

// A child finishes rows one by one; the parent kills it with SIGKILL at a random moment, then
// a second "run" finishes the rest. Every row ends done exactly once with its full data.
static void test_kill_and_resume(void) {
    char path[128];
    path_in_dir(path, sizeof path, "kill.sqlite");
    results_plan_row rows[ROWS];
    make_plan(rows);
    srand((unsigned)time(NULL));
    for (int attempt = 0; attempt < 3; attempt++) {
        unlink(path);
        pid_t child = fork();
        if (child == 0) {
            results_store *s = results_open(path);
            int added;
            if (!s || results_plan(s, rows, ROWS, &added)) _exit(3);
            int64_t run = results_begin_run(s, &(results_run_info){.config_name = "kill"});
            for (int i = 0; i < ROWS; i++) {
                results_sample r = sample_for(i);
                if (results_mark_done(s, keys[i], run, &r)) _exit(4);
            }
            results_close(s);
            _exit(0);
        }
        usleep((useconds_t)(2000 + rand() % 20000));
        kill(child, SIGKILL);
        int status;
        waitpid(child, &status, 0);
        results_store *s = results_open(path);
        CHECK(s != NULL);
        if (!s) return;
        int added = 0;
        CHECK(results_plan(s, rows, ROWS, &added) == 0);
        int64_t run = results_begin_run(s, &(results_run_info){.config_name = "resume"});
        int redone = 0;
        for (int i = 0; i < ROWS; i++)
            if (results_status(s, keys[i]) != 1) {
                results_sample r = sample_for(i);
                CHECK(results_mark_done(s, keys[i], run, &r) == 0);
                redone++;
            }
        results_close(s);
        printf("  # attempt %d: killed %s; %d rows planned anew, %d finished by the resume\n", attempt,
               WIFSIGNALED(status) ? "mid-run" : "after the end", added, redone);
        CHECK(sql_int(path, "SELECT count(*) FROM samples") == ROWS);
        CHECK(sql_int(path, "SELECT count(*) FROM samples WHERE status = 'done'") == ROWS);
        // every row carries its own data, written once
        CHECK(sql_int(path,
                      "SELECT count(*) FROM samples WHERE prediction = 'answer ' || CAST(peak_bytes - 1000 AS TEXT)"
                      " AND kv_peak_bytes = peak_bytes - 900") == ROWS);
    }
}

static void test_merge_shards(void) {
    char a[128], b[128], out[128];
    path_in_dir(a, sizeof a, "shard0.sqlite");
    path_in_dir(b, sizeof b, "shard1.sqlite");
    path_in_dir(out, sizeof out, "merged.sqlite");
    results_plan_row rows[ROWS];
    make_plan(rows);
    for (int shard = 0; shard < 2; shard++) {
        results_store *s = results_open(shard ? b : a);
        int added;
        CHECK(s && results_plan(s, rows, ROWS, &added) == 0);  // both know the whole plan
        if (!s) return;
        CHECK(results_add_variant(s, "v1", "method=full", "full", "full") == 0);
        int64_t run = results_begin_run(s, &(results_run_info){.config_name = "m", .shard = shard ? "1/2" : "0/2"});
        for (int i = shard; i < ROWS; i += 2) {  // each shard finishes its half
            results_sample r = sample_for(i);
            CHECK(results_mark_done(s, keys[i], run, &r) == 0);
        }
        if (shard == 0) CHECK(results_mark_failed(s, keys[1], run, "oom") == 0);  // shard 1 did it
        results_close(s);
    }
    const char *in[2] = {a, b};
    CHECK_MSG(results_merge(out, in, 2) == 0, "%s", pcb_last_error());
    CHECK(sql_int(out, "SELECT count(*) FROM samples") == ROWS);
    CHECK(sql_int(out, "SELECT count(*) FROM samples WHERE status = 'done'") == ROWS);
    CHECK(sql_int(out, "SELECT count(*) FROM runs") == 2 && sql_int(out, "SELECT count(*) FROM variants") == 1);
    CHECK(results_merge(out, in, 2) == 0);  // again: same samples, same runs
    CHECK(sql_int(out, "SELECT count(*) FROM samples WHERE status = 'done'") == ROWS);
    CHECK_MSG(sql_int(out, "SELECT count(*) FROM runs") == 2, "merging a shard twice: %d runs",
              sql_int(out, "SELECT count(*) FROM runs"));
    // A shard whose run finished after the first merge: its run is updated, not added.
    results_store *s0 = results_open(a);
    CHECK(s0 && results_finish_run(s0, 1) == 0);
    results_close(s0);
    CHECK(results_merge(out, in, 1) == 0);
    CHECK(sql_int(out, "SELECT count(*) FROM runs") == 2);
    CHECK(sql_int(out, "SELECT count(*) FROM runs WHERE shard = '0/2' AND finished_utc IS NOT NULL") == 1);
    char missing[128];
    path_in_dir(missing, sizeof missing, "missing.sqlite");
    const char *bad[1] = {missing};
    CHECK(results_merge(out, bad, 1) != 0 && strstr(pcb_last_error(), "missing.sqlite"));
    CHECK(access(missing, F_OK) != 0);  // not created by the attempt
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/pcb_results_%d", (int)getpid());
    mkdir(dir, 0777);
    RUN_TEST(test_schema_and_plan);
    RUN_TEST(test_bad_files);
    RUN_TEST(test_kill_and_resume);
    RUN_TEST(test_merge_shards);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) fprintf(stderr, "  could not remove %s\n", dir);
    return test_summary();
}
