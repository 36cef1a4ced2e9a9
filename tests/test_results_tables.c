// Paper-shape tables from a small results file written through the results store: Markdown and
// LaTeX against golden files, and the numbers that matter checked by hand (avg, pooled ppl,
// speedup, memory, incomplete-cell notes) so the goldens do not only confirm themselves.
//
// Regenerate the goldens after an intended change of the output (then review the diff):
//   make -s build/tests/test_results_tables && PCB_UPDATE_GOLDEN=1 build/tests/test_results_tables
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis/read/results_read.h"
#include "analysis/report/results_tables.h"
#include "analysis/store/results_store.h"
#include "bench/base/error.h"
#include "bench/base/text_file.h"
#include "tests/test.h"

#define MIB (1024 * 1024)
#define GOLDEN_MD "tests/golden/tables_small.md"
#define GOLDEN_TEX "tests/golden/tables_small.tex"

static char dir[64], db_path[128];

// The fixture: 3 variants x (hotpotqa, trec: 2 samples as in the data; passkey at 4K / 8K, depths
// 0.25 / 0.75; ppl at 4K / 8K, 2 books). Variant pc's second trec row failed, its second 8K
// passkey row is still pending.
enum { FU, FL, PC, N_VARIANTS };
static const char *const HASH[] = {"aaaa000000000001", "aaaa000000000002", "aaaa000000000003"};
static const char *const METHOD[] = {"full-untruncated", "full", "parallelcomp"};
static const char *const LABEL[] = {"full-untruncated", "full", "parallelcomp method.topk_chunks=1"};

// Scores by hand: hotpotqa means 40 / 50 / 60, trec 50 / 100 / 100 (pc: 1 of 2 done); passkey
// 4K 100 / 50 / 100, 8K 0 / 50 / 100 (pc: 1 of 2 done); ppl pooled = sqrt(a * b): 4K 20 / 12 / 10,
// 8K 200 / 12 / 10.
static const double HOTPOTQA[3][2] = {{0.5, 0.3}, {0.6, 0.4}, {0.7, 0.5}};
static const double TREC[3][2] = {{1, 0}, {1, 1}, {1, -1}};                                      // -1: failed
static const double PASSKEY[3][2][2] = {{{1, 1}, {0, 0}}, {{1, 0}, {0, 1}}, {{1, 1}, {1, -2}}};  // -2: pending
static const double PPL[3][2][2] = {{{10, 40}, {100, 400}}, {{8, 18}, {9, 16}}, {{5, 20}, {4, 25}}};

// Prefill per (variant, length as in data / 4K / 8K) = base x {0.5, 1, 1, 3} over the 4 rows there
// in plan order, so the median is the base whichever single row is missing: speedups against
// full-untruncated are fl 1 / 1 / 2, pc 2 / 2.5 / 8.
static const double BASE_MS[3][3] = {{1000, 2000, 8000}, {1000, 2000, 4000}, {500, 800, 1000}};
static const double FACTOR[4] = {0.5, 1, 1, 3};
// Host peak = HOST_MIB + 10 x (row index at its length); KV peak = KV_MIB[length] + row index.
static const int HOST_MIB[3] = {1000, 900, 600};
static const int KV_MIB[3][3] = {{100, 200, 400}, {100, 200, 200}, {50, 60, 70}};

static char keys[64][65];
static int n_keys;

static const char *plan_one(results_store *s, int v, const char *task, const char *sample, int len, double depth) {
    snprintf(keys[n_keys], sizeof keys[n_keys], "%064d", n_keys);
    results_plan_row row = {keys[n_keys], HASH[v], task, sample, "ab12", "cd34", len, depth};
    int added = 0;
    CHECK(results_plan(s, &row, 1, &added) == 0 && added == 1);
    return keys[n_keys++];
}

// One row: done with `score` (row index `i` at its length), failed (score -1) or left pending (-2).
static void finish_one(results_store *s, int64_t run, const char *key, int v, int li, int i, double score) {
    if (score == -2) return;
    if (score == -1) {
        CHECK(results_mark_failed(s, key, run, "sample longer than any budget") == 0);
        return;
    }
    results_sample r = {.prediction = "x",
                        .score = score,
                        .prefill_ms = BASE_MS[v][li] * FACTOR[i],
                        .decode_ms = 10,
                        .peak_bytes = (int64_t)(HOST_MIB[v] + 10 * i) * MIB,
                        .kv_peak_bytes = (int64_t)(KV_MIB[v][li] + i) * MIB,
                        .device_peak_bytes = (int64_t)(2048 + v * 1024 + li) * MIB,
                        .kept_chunks = v == PC ? "[1]" : "[]",
                        .n_chunks = v == PC ? 2 : 0,
                        .kv_slots = 1000,
                        .prompt_tokens = li == 0 ? 3000 : 4096 * li};
    CHECK(results_mark_done(s, key, run, &r) == 0);
}

static int make_fixture(void) {
    results_store *s = results_open(db_path);
    CHECK(s != NULL);
    if (!s) return -1;
    int64_t run = results_begin_run(
        s, &(results_run_info){.config_name = "small",
                               .config_path = "configs/small.yaml",
                               .code_version = "0.1.0",
                               .backend = "cuda",
                               .device = "NVIDIA H100 80GB HBM3",
                               .model = "models/tiny.gguf",
                               .model_sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                               .host = "testhost",
                               .shard = "0/1",
                               .threads = 2});
    CHECK(run > 0);
    for (int v = 0; v < N_VARIANTS; v++) {
        char canonical[64];
        snprintf(canonical, sizeof canonical, "method.name=%s", METHOD[v]);
        CHECK(results_add_variant(s, HASH[v], canonical, METHOD[v], LABEL[v]) == 0);
        int at[3] = {0, 0, 0};  // rows so far at each length (as in data, 4K, 8K)
        for (int k = 0; k < 2; k++) {
            char id[32];
            snprintf(id, sizeof id, "hotpotqa-%d", k);
            finish_one(s, run, plan_one(s, v, "hotpotqa", id, 0, -1), v, 0, at[0]++, HOTPOTQA[v][k]);
        }
        for (int k = 0; k < 2; k++) {
            char id[32];
            snprintf(id, sizeof id, "trec-%d", k);
            finish_one(s, run, plan_one(s, v, "trec", id, 0, -1), v, 0, at[0]++, TREC[v][k]);
        }
        for (int l = 1; l <= 2; l++)
            for (int d = 0; d < 2; d++) {
                char id[32];
                snprintf(id, sizeof id, "passkey-%d-%d", 4096 * l, d);
                finish_one(s, run, plan_one(s, v, "passkey", id, 4096 * l, d ? 0.75 : 0.25), v, l, at[l]++,
                           PASSKEY[v][l - 1][d]);
            }
        for (int l = 1; l <= 2; l++)
            for (int b = 0; b < 2; b++) {
                char id[32];
                snprintf(id, sizeof id, "book%d-%d", b, 4096 * l);
                finish_one(s, run, plan_one(s, v, "ppl", id, 4096 * l, -1), v, l, at[l]++, PPL[v][l - 1][b]);
            }
    }
    CHECK(results_finish_run(s, run) == 0);
    results_close(s);
    return 0;
}

static char *render(const results_db *db, const results_tables *t, results_format fmt) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    results_tables_print(f, db, t, fmt);
    fclose(f);
    return buf;
}

static char *slurp(const char *path) {
    size_t len;
    return read_text_file(path, &len);
}

// Equal to the golden file, or (PCB_UPDATE_GOLDEN=1) rewrites it.
static void check_golden(const char *text, const char *path) {
    if (getenv("PCB_UPDATE_GOLDEN")) {
        FILE *f = fopen(path, "w");
        CHECK_MSG(f != NULL, "cannot write %s", path);
        if (f) fputs(text, f), fclose(f);
        printf("  # wrote %s\n", path);
        return;
    }
    char *want = slurp(path);
    CHECK_MSG(want != NULL, "%s missing (run from the repo root; PCB_UPDATE_GOLDEN=1 writes it)", path);
    if (!want) return;
    if (strcmp(want, text)) {
        size_t i = 0;
        while (want[i] && want[i] == text[i]) i++;
        size_t from = i > 60 ? i - 60 : 0;
        CHECK_MSG(0, "%s differs at byte %zu:\n  want: ...%.120s\n  got:  ...%.120s", path, i, want + from,
                  text + from);
    }
    free(want);
}

static const results_table *find_table(const results_tables *t, const char *id) {
    for (int k = 0; k < t->n; k++)
        if (!strcmp(t->t[k].id, id)) return &t->t[k];
    return NULL;
}

// The cell of (row label, column header), or NULL.
static const results_cell *cell_at(const results_table *t, const char *label, const char *header) {
    if (!t) return NULL;
    for (int r = 0; r < t->n_rows; r++)
        for (int c = 0; c < t->n_cols; c++)
            if (!strcmp(t->row_label[r], label) && !strcmp(t->cols[c].header, header))
                return &t->cells[r * t->n_cols + c];
    return NULL;
}

static double value_at(const results_table *t, const char *label, const char *header) {
    const results_cell *c = cell_at(t, label, header);
    return c ? c->value : -12345;
}

static const char *note_of(const results_table *t, const char *label, const char *header) {
    const results_cell *c = cell_at(t, label, header);
    return c && c->note ? t->notes[c->note - 1] : "";
}

static void test_numbers_by_hand(void) {
    results_db db;
    CHECK_MSG(results_read(db_path, &db) == 0, "%s", pcb_last_error());
    results_tables t;
    CHECK(results_tables_build(&db, &t) == 0);
    CHECK(t.n == 5);
    const char *order[] = {"longbench", "synthetic", "ppl", "speed", "memory"};
    for (int k = 0; k < 5 && k < t.n; k++) CHECK_MSG(!strcmp(t.t[k].id, order[k]), "table %d is %s", k, t.t[k].id);
    const char *pc = LABEL[PC];

    // LongBench: columns in LongBench's order (hotpotqa before trec), avg = mean of the task cells
    const results_table *lb = find_table(&t, "longbench");
    CHECK(lb && lb->n_cols == 3 && !strcmp(lb->cols[0].header, "hotpotqa") && !strcmp(lb->cols[1].header, "trec"));
    CHECK_NEAR(value_at(lb, "full-untruncated", "hotpotqa"), 100 * (0.5 + 0.3) / 2, 1e-9);
    CHECK_NEAR(value_at(lb, "full-untruncated", "avg"), (40.0 + 50.0) / 2, 1e-9);
    CHECK_NEAR(value_at(lb, "full", "avg"), (50.0 + 100.0) / 2, 1e-9);
    CHECK_NEAR(value_at(lb, pc, "trec"), 100.0, 1e-9);  // the failed row does not count
    CHECK_NEAR(value_at(lb, pc, "avg"), (60.0 + 100.0) / 2, 1e-9);
    CHECK(!strcmp(note_of(lb, pc, "trec"), "parallelcomp method.topk_chunks=1, trec: 1 of 2 rows done (1 failed)"));
    CHECK(!strcmp(note_of(lb, pc, "avg"), "parallelcomp method.topk_chunks=1, avg: 3 of 4 rows done over its columns"));
    CHECK(!strcmp(note_of(lb, "full", "trec"), ""));
    CHECK(lb && lb->n_notes == 2);

    // synthetic: mean over depths; pending row marked
    const results_table *syn = find_table(&t, "synthetic");
    CHECK(syn && syn->n_cols == 3 && !strcmp(syn->cols[0].header, "passkey 4K") &&
          !strcmp(syn->cols[1].header, "passkey 8K"));
    CHECK_NEAR(value_at(syn, "full", "passkey 4K"), 50.0, 1e-9);
    CHECK_NEAR(value_at(syn, "full-untruncated", "passkey 8K"), 0.0, 1e-9);
    CHECK_NEAR(value_at(syn, pc, "passkey 8K"), 100.0, 1e-9);
    CHECK_NEAR(value_at(syn, "full-untruncated", "avg"), 50.0, 1e-9);
    CHECK(!strcmp(note_of(syn, pc, "passkey 8K"),
                  "parallelcomp method.topk_chunks=1, passkey 8K: 1 of 2 rows done (1 pending)"));

    // ppl: pooled = exp(mean(log ppl)) = sqrt(a b) for two windows
    const results_table *ppl = find_table(&t, "ppl");
    CHECK(ppl && ppl->n_cols == 2);
    CHECK_NEAR(value_at(ppl, "full-untruncated", "4K"), exp((log(10) + log(40)) / 2), 1e-9);
    CHECK_NEAR(value_at(ppl, "full-untruncated", "4K"), 20.0, 1e-9);
    CHECK_NEAR(value_at(ppl, "full-untruncated", "8K"), 200.0, 1e-9);
    CHECK_NEAR(value_at(ppl, "full", "4K"), 12.0, 1e-9);
    CHECK_NEAR(value_at(ppl, pc, "8K"), 10.0, 1e-9);

    // speed: median prefill over every task at a length, speedup against full-untruncated
    const results_table *sp = find_table(&t, "speed");
    CHECK(sp && strstr(sp->caption, "of full-untruncated /"));
    CHECK(sp && sp->n_cols == 6 && !strcmp(sp->cols[0].header, "4K ms") &&
          !strcmp(sp->cols[4].header, "as in data ms"));
    CHECK_NEAR(value_at(sp, "full-untruncated", "8K ms"), 8000, 1e-9);
    CHECK_NEAR(value_at(sp, pc, "8K ms"), 1000, 1e-9);  // median of 500, 1000, 3000 (one row pending)
    CHECK_NEAR(value_at(sp, pc, "8K speedup"), 8.0, 1e-9);
    CHECK_NEAR(value_at(sp, pc, "4K speedup"), 2.5, 1e-9);
    CHECK_NEAR(value_at(sp, "full", "8K speedup"), 2.0, 1e-9);
    CHECK_NEAR(value_at(sp, "full-untruncated", "4K speedup"), 1.0, 1e-9);
    CHECK(!strcmp(note_of(sp, pc, "8K ms"), note_of(sp, pc, "8K speedup")));  // one note for both cells
    CHECK(!strcmp(note_of(sp, pc, "as in data ms"),
                  "parallelcomp method.topk_chunks=1, as in data: 3 of 4 rows done (1 failed)"));

    // memory: the largest peak over the done rows at the length (the failed 4th row is skipped)
    const results_table *mem = find_table(&t, "memory");
    CHECK(mem && mem->n_cols == 9 && strstr(mem->caption, "GPU"));
    CHECK_NEAR(value_at(mem, "full", "4K host"), 900 + 30, 1e-9);
    CHECK_NEAR(value_at(mem, pc, "as in data host"), 600 + 20, 1e-9);
    CHECK_NEAR(value_at(mem, "full-untruncated", "8K KV"), 400 + 3, 1e-9);
    CHECK_NEAR(value_at(mem, pc, "4K GPU"), 2048 + 2 * 1024 + 1, 1e-9);

    results_tables_free(&t);
    results_db_free(&db);
}

static void test_markdown_golden(void) {
    results_db db;
    CHECK_MSG(results_read(db_path, &db) == 0, "%s", pcb_last_error());
    results_tables t;
    CHECK(results_tables_build(&db, &t) == 0);
    char *md = render(&db, &t, RESULTS_MARKDOWN);
    check_golden(md, GOLDEN_MD);
    // a few cells as a reader sees them
    CHECK(strstr(md, "| full | 50.00 | 100.00 | 75.00 |"));
    CHECK(strstr(md, "| parallelcomp method.topk_chunks=1 | 60.00 | 100.00<sup>a</sup> | 80.00<sup>b</sup> |"));
    CHECK(strstr(md, "- <sup>a</sup> parallelcomp method.topk_chunks=1, trec: 1 of 2 rows done (1 failed)"));
    CHECK(strstr(md, "| full-untruncated | 20.00 | 200.00 |"));
    CHECK(strstr(md, "8.00×"));
    free(md);
    results_tables_free(&t);
    results_db_free(&db);
}

static void test_latex_golden(void) {
    results_db db;
    CHECK_MSG(results_read(db_path, &db) == 0, "%s", pcb_last_error());
    results_tables t;
    CHECK(results_tables_build(&db, &t) == 0);
    char *tex = render(&db, &t, RESULTS_LATEX);
    check_golden(tex, GOLDEN_TEX);
    CHECK(strstr(tex, "\\toprule") && strstr(tex, "\\midrule") && strstr(tex, "\\bottomrule"));
    CHECK(strstr(
        tex,
        "parallelcomp method.topk\\_chunks=1 & 60.00 & 100.00\\textsuperscript{a} & 80.00\\textsuperscript{b} \\\\"));
    CHECK(strstr(tex, "8.00$\\times$"));
    CHECK(!strstr(tex, "topk_chunks"));  // every underscore escaped
    int begins = 0, ends = 0;
    for (const char *p = tex; (p = strstr(p, "\\begin{table}")); p++) begins++;
    for (const char *p = tex; (p = strstr(p, "\\end{table}")); p++) ends++;
    CHECK(begins == 5 && ends == 5);
    free(tex);
    results_tables_free(&t);
    results_db_free(&db);
}

static void test_json(void) {
    results_db db;
    CHECK_MSG(results_read(db_path, &db) == 0, "%s", pcb_last_error());
    results_tables t;
    CHECK(results_tables_build(&db, &t) == 0);
    cJSON *j = results_tables_json(&db, &t);
    cJSON *tables = cJSON_GetObjectItem(j, "tables");
    CHECK(cJSON_GetArraySize(tables) == 5);
    cJSON *ppl = cJSON_GetArrayItem(tables, 2);
    CHECK(!strcmp(cJSON_GetObjectItem(ppl, "id")->valuestring, "ppl"));
    cJSON *row0 = cJSON_GetArrayItem(cJSON_GetObjectItem(ppl, "rows"), 0);
    CHECK(!strcmp(cJSON_GetObjectItem(row0, "variant")->valuestring, HASH[FU]));
    CHECK_NEAR(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(row0, "cells"), 0), "value")->valuedouble,
               20.0, 1e-9);
    CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "rows"), "failed")->valueint == 1);
    CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "rows"), "pending")->valueint == 1);
    cJSON_Delete(j);
    results_tables_free(&t);
    results_db_free(&db);
}

// Speedup falls back to `full` without a full-untruncated variant, and says so; no GPU column
// when no row used a GPU; no done rows -> no tables.
static void test_baseline_fallback_and_empty(void) {
    char path[128];
    snprintf(path, sizeof path, "%s/fallback.sqlite", dir);
    results_store *s = results_open(path);
    CHECK(s != NULL);
    if (!s) return;
    int64_t run = results_begin_run(s, &(results_run_info){.config_name = "fb", .backend = "cpu"});
    char k[3][65];
    for (int v = 0; v < 3; v++) {
        CHECK(results_add_variant(s, HASH[v], "x", METHOD[v], NULL) == 0);  // no label: the method shows
        snprintf(k[v], sizeof k[v], "%064d", 100 + v);
        results_plan_row row = {k[v], HASH[v], "passkey", "p0", "m", "d", 4096, 0.5};
        int added;
        CHECK(results_plan(s, &row, 1, &added) == 0);
    }
    results_close(s);
    results_db db;
    results_tables t;
    CHECK(results_read(path, &db) == 0);
    CHECK(results_tables_build(&db, &t) == 0 && t.n == 0);  // every row pending
    results_tables_free(&t);
    results_db_free(&db);

    s = results_open(path);
    for (int v = FL; v <= PC; v++) {
        results_sample r = {
            .prediction = "1", .score = 1, .prefill_ms = v == FL ? 300 : 100, .peak_bytes = MIB, .kept_chunks = "[]"};
        CHECK(results_mark_done(s, k[v], run, &r) == 0);
    }
    results_close(s);
    CHECK(results_read(path, &db) == 0);
    CHECK(results_tables_build(&db, &t) == 0);
    const results_table *sp = find_table(&t, "speed"), *mem = find_table(&t, "memory");
    CHECK(sp && strstr(sp->caption, "median prefill time of full /"));
    CHECK_NEAR(value_at(sp, "parallelcomp", "4K speedup"), 3.0, 1e-9);
    CHECK(isnan(value_at(sp, "full-untruncated", "4K speedup")));
    CHECK(!strcmp(note_of(sp, "full-untruncated", "4K ms"), "full-untruncated, 4K: 0 of 1 rows done (1 pending)"));
    CHECK(mem && mem->n_cols == 2 && !strstr(mem->caption, "GPU"));
    results_tables_free(&t);
    results_db_free(&db);
}

static void test_helpers(void) {
    char b[16];
    results_note_mark(1, b);
    CHECK(!strcmp(b, "a"));
    results_note_mark(26, b);
    CHECK(!strcmp(b, "z"));
    results_note_mark(27, b);
    CHECK(!strcmp(b, "aa"));
    results_note_mark(28, b);
    CHECK(!strcmp(b, "ab"));
    results_note_mark(26 * 27, b);
    CHECK(!strcmp(b, "zz"));
    results_note_mark(26 * 27 + 1, b);
    CHECK(!strcmp(b, "aaa"));
    results_format_length(4096, b, sizeof b);
    CHECK(!strcmp(b, "4K"));
    results_format_length(131072, b, sizeof b);
    CHECK(!strcmp(b, "128K"));
    results_format_length(1 << 20, b, sizeof b);
    CHECK(!strcmp(b, "1M"));
    results_format_length(3000, b, sizeof b);
    CHECK(!strcmp(b, "3000"));
    results_format_length(0, b, sizeof b);
    CHECK(!strcmp(b, "as in data"));
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/pcb_tables_%d", (int)getpid());
    mkdir(dir, 0777);
    snprintf(db_path, sizeof db_path, "%s/small.sqlite", dir);
    if (make_fixture() == 0) {
        RUN_TEST(test_numbers_by_hand);
        RUN_TEST(test_markdown_golden);
        RUN_TEST(test_latex_golden);
        RUN_TEST(test_json);
    }
    RUN_TEST(test_baseline_fallback_and_empty);
    RUN_TEST(test_helpers);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) fprintf(stderr, "  could not remove %s\n", dir);
    return test_summary();
}
