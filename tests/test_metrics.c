// LongBench / InfiniteBench metrics (bench/metrics*.c): hand-worked cases, values from the official
// Python code (tests/golden/metric_golden.json, written by tests/golden/make_metric_golden.py) and
// the example predictions shipped with MiniLongBench (the project data; missing data fails).
//
// Golden tolerance: |C - Python| <= 1e-9 per value. The C code repeats Python's floating-point
// operations in the same order, so the results are in fact bit-identical; the test reports how
// many were, and the tolerance only leaves room for a compiler that contracts a*b+c into an FMA.
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/base/text_file.h"
#include "bench/tasks/metrics.h"
#include "bench/tasks/metrics_text.h"
#include "tests/test.h"

#define GOLDEN_TOL 1e-9

static double score1(metric_kind m, const char *pred, const char *gold) { return metric_score(m, pred, gold, NULL, 0); }

// ---------------------------------------------------------------------------------------------
// Hand-worked cases

static void test_qa_f1_by_hand(void) {
    // "the cat sat" -> [cat, sat]; "a cat sat down" -> [cat, sat, down]. Shared 2.
    // P = 2/2 = 1, R = 2/3, F1 = 2*1*(2/3) / (1 + 2/3) = (4/3) / (5/3) = 0.8.
    CHECK_NEAR(score1(METRIC_QA_F1, "the cat sat", "a cat sat down"), 0.8, 1e-15);
    // [paris, paris, paris] vs [paris, france]: Counter intersection = min(3, 1) = 1.
    // P = 1/3, R = 1/2, F1 = 2*(1/6) / (5/6) = 0.4.
    CHECK_NEAR(score1(METRIC_QA_F1, "paris paris paris", "Paris, France"), 0.4, 1e-15);
    // Punctuation and articles vanish; an empty side scores 0 (num_same == 0).
    CHECK(score1(METRIC_QA_F1, "?!...", "yes") == 0.0);
    CHECK(score1(METRIC_QA_F1, "The a an", "the") == 0.0);
    CHECK(score1(METRIC_QA_F1, "", "") == 0.0);
    // "theater" is not an article; "an" inside "anathema" is not a whole word.
    CHECK(score1(METRIC_QA_F1, "theater anathema", "theater anathema") == 1.0);
    // Unicode lower(): É -> é; NBSP and U+3000 split words.
    CHECK(score1(METRIC_QA_F1, "ÉMILE\u00a0ZOLA", "émile zola") == 1.0);
    CHECK(score1(METRIC_QA_F1, "New\u3000York", "new york") == 1.0);
    // Curly quotes are not string.punctuation: "“the" keeps the quote, drops the article.
    // [“, hobbit”] vs [hobbit]: nothing shared.
    CHECK(score1(METRIC_QA_F1, "“The Hobbit”", "The Hobbit") == 0.0);
}

static void test_answer_recall_by_hand(void) {
    // Gold [eat, sandwich, and, sit, in, dolores, park, on, sunny, day] (a, a dropped): 10 words.
    const char *gold = "eat a sandwich and sit in Dolores Park on a sunny day";
    // A verbose but complete answer: all 10 found.
    CHECK(answer_token_recall("The best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a "
                              "sunny day.",
                              gold) == 1.0);
    // [eat, sandwich] found: 2/10.
    CHECK_NEAR(answer_token_recall("Eat a sandwich!", gold), 0.2, 1e-15);
    // Multiplicity: gold [day, day] vs prediction [day] -> 1/2.
    CHECK_NEAR(answer_token_recall("day", "day day"), 0.5, 1e-15);
    CHECK(answer_token_recall("Golden Gate Bridge", gold) == 0.0);
    CHECK(answer_token_recall("anything", "the") == 0.0);  // empty gold after normalisation
}

static void test_rouge_by_hand(void) {
    // One sentence each. Distinct words: hyp {the, cat, sat, on, mat} n = 5,
    // ref {the, cat, lay, on, mat} m = 5. LCS "the cat on the mat" has the distinct words
    // {the, cat, on, mat} = 4. P = R = 4/5; F = 2 * (P*R / (P + R + 1e-8)) = 0.799999995.
    double want = 2.0 * ((0.8 * 0.8) / (0.8 + 0.8 + 1e-8));
    CHECK_NEAR(score1(METRIC_ROUGE_L, "the cat sat on the mat", "the cat lay on the mat"), want, 1e-15);
    CHECK_NEAR(want, 0.799999995, 1e-12);
    // Ref "a b" against hyp sentences "b a" and "a": the LCS read-out of ("a b", "b a") walks
    // left on a tie and picks "b"; the second sentence adds "a": 2 distinct hits,
    // P = R = 2/2, F = 2 * (1 / (2 + 1e-8)). Picking "a" first would give 1 hit (F = 0.5).
    CHECK_NEAR(score1(METRIC_ROUGE_L, "b a. a", "a b"), 2.0 * (1.0 / (2.0 + 1e-8)), 1e-15);
    // No lower-casing; an empty hypothesis (or only '.') raises in Python -> 0.
    CHECK(score1(METRIC_ROUGE_L, "The Cat", "the cat") == 0.0);
    CHECK(score1(METRIC_ROUGE_L, "", "a") == 0.0);
    CHECK(score1(METRIC_ROUGE_L, "...", "a") == 0.0);
}

static void test_classification_by_hand(void) {
    const char *classes[] = {"Other", "Oth", "Other location"};
    // All three classes occur in the prediction. The loop removes "Other" (a substring of the
    // gold, not equal to it); the list shifts, so the iterator skips "Oth", which stays.
    // Final list [Oth, Other location] contains the gold: 1/2.
    CHECK(metric_score(METRIC_CLASSIFICATION, "Other location", "Other location", classes, 3) == 0.5);
    const char *dup[] = {"A", "A", "AB"};
    // list.remove() drops the first "A"; the second is skipped: [A, AB] -> 1/2.
    CHECK(metric_score(METRIC_CLASSIFICATION, "AB", "AB", dup, 3) == 0.5);
    CHECK(metric_score(METRIC_CLASSIFICATION, "Date", "Food", classes, 3) == 0.0);
    CHECK(metric_score(METRIC_CLASSIFICATION, "Food", "Food", NULL, 0) == 0.0);
}

static void test_retrieval_count_by_hand(void) {
    // Numbers [1, 19, 19]; two equal the gold id 19: 2/3.
    CHECK_NEAR(score1(METRIC_RETRIEVAL, "Paragraph 1, Paragraph 19 and paragraph 19", "Paragraph 19"), 2.0 / 3, 1e-15);
    CHECK(score1(METRIC_RETRIEVAL, "Paragraph 007", "Paragraph 7") == 0.0);  // string comparison
    CHECK(score1(METRIC_RETRIEVAL_ZH, "段落3和段落5", "段落5") == 0.5);
    CHECK(score1(METRIC_COUNT, "11 or 12", "11") == 0.5);
    CHECK(score1(METRIC_COUNT, "no numbers", "11") == 0.0);
    // Arabic-Indic "٣" is a \d number, but not equal to "3": 1 of 2 numbers.
    CHECK(score1(METRIC_COUNT, "3 or \u0663", "3") == 0.5);
    // A gold without "Paragraph N" makes LongBench raise IndexError: an error here.
    pcb_clear_error();
    CHECK(score1(METRIC_RETRIEVAL, "Paragraph 1", "no id") == -1);
    CHECK(strstr(pcb_last_error(), "Paragraph") != NULL);
}

static void test_code_sim_by_hand(void) {
    // Only 'h' is shared: ratio = 2*1 / (8+8) = 0.125, 100*ratio = 12.5, round() half to even = 12.
    CHECK(score1(METRIC_CODE_SIM, "abcdefgh", "hijklmno") == 0.12);
    // "abc" shared: 2*3/16 = 0.375 -> 37.5 -> 38.
    CHECK(score1(METRIC_CODE_SIM, "abcdefgh", "abcijklm") == 0.38);
    // Leading newlines are dropped; lines with `, # or // are skipped: candidate "x = 1".
    CHECK(score1(METRIC_CODE_SIM, "\n\n```py\n# c\n// d\nx = 1\n", "x = 1") == 1.0);
    CHECK(score1(METRIC_CODE_SIM, "# only comments", "x = 1") == 0.0);  // candidate "" -> 0
    CHECK(score1(METRIC_CODE_SIM, "", "") == 1.0);                      // equal strings first
}

static void test_sequence_matcher_by_hand(void) {
    const uint32_t abcd[] = {'a', 'b', 'c', 'd'}, bcde[] = {'b', 'c', 'd', 'e'};
    // Longest block "bcd": ratio = 2*3 / 8.
    CHECK(sequence_matcher_ratio(abcd, 4, bcde, 4) == 0.75);
    // Autojunk (values from Python's difflib): b = 200 x 'a', so 'a' (200 > 200/100 + 1 times)
    // never starts a match, but the empty match at (0, 0) is still extended over equal elements:
    // 3 matched, ratio 2*3 / 203.
    uint32_t a200[200], x[5] = {'x', 'a', 'a', 'a', 'y'}, b[200];
    for (int i = 0; i < 200; i++) a200[i] = 'a', b[i] = 'a';
    CHECK(sequence_matcher_ratio(a200, 3, a200, 200) == 2.0 * 3 / 203);
    CHECK(sequence_matcher_ratio(a200, 3, a200, 199) == 2.0 * 3 / 202);  // 199 < 200: no autojunk
    // "xaaay" vs "x" + 198 'a' + "y": "x" starts a match, extended to "xaaa"; then "y": 5 matched.
    b[0] = 'x', b[199] = 'y';
    CHECK(sequence_matcher_ratio(x, 5, b, 200) == 2.0 * 5 / 205);
    CHECK(sequence_matcher_ratio(NULL, 0, NULL, 0) == 1.0);
}

static void test_first_line_rule(void) {
    const char *golds[] = {"London"};
    // triviaqa keeps only "Paris" (after the leading newlines): 0.
    CHECK(longbench_sample_score("triviaqa", "\n\nParis\nLondon", golds, 1, NULL, 0) == 0.0);
    // qasper scores the whole text: [paris, london] vs [london]: P = 1/2, R = 1, F1 = 2/3.
    CHECK_NEAR(longbench_sample_score("qasper", "\n\nParis\nLondon", golds, 1, NULL, 0), 2.0 / 3, 1e-15);
    CHECK_NEAR(longbench_sample_score("qasper_e", "\n\nParis\nLondon", golds, 1, NULL, 0), 2.0 / 3, 1e-15);
    // Max over golds.
    const char *two[] = {"Paris", "London"};
    CHECK(longbench_sample_score("triviaqa", "London", two, 2, NULL, 0) == 1.0);
    CHECK(longbench_sample_score("triviaqa", "London", two, 0, NULL, 0) == 0.0);
}

static void test_infinitebench_by_hand(void) {
    const char *key[] = {"71432"};
    CHECK(infinitebench_sample_score("passkey", "The pass key is 71432.", key, 1) == 1.0);
    CHECK(infinitebench_sample_score("passkey", "7 1432", key, 1) == 0.0);  // first digit run "7"
    const char *dbg[] = {"repack_carchive", "B"};
    CHECK(infinitebench_sample_score("code_debug", "B. because", dbg, 2) == 1.0);
    CHECK(infinitebench_sample_score("code_debug", "The answer is: repack_carchive", dbg, 2) == 1.0);
    pcb_clear_error();
    CHECK(infinitebench_sample_score("code_debug", "B.", dbg, 1) == -1);  // needs [name, letter]
    const char *opt[] = {"Paris", "B"};
    CHECK(infinitebench_sample_score("longbook_choice_eng", "B", opt, 2) == 1.0);
    CHECK(infinitebench_sample_score("longbook_choice_eng", "C", opt, 2) == 0.0);
    // math_find: an int label and a prediction starting "3.5": Python's int("3.5") raises; 0 here.
    const char *three[] = {"3"}, *three_f[] = {"3.5"};
    CHECK(infinitebench_sample_score("math_find", "3.5", three, 1) == 0.0);
    CHECK(infinitebench_sample_score("math_find", "3.50", three_f, 1) == 1.0);
    CHECK(infinitebench_sample_score("math_find", "007", three, 1) == 0.0);
    const char *seven[] = {"7"};
    CHECK(infinitebench_sample_score("math_find", "007", seven, 1) == 1.0);  // int("007") == 7
    const char *calc[] = {"1", "3", "6", "10"};
    CHECK(infinitebench_sample_score("math_calc", "1 3 7 10", calc, 4) == 0.5);  // prefix 2 of 4
    const char *john[] = {"JOHN"};
    CHECK(infinitebench_sample_score("longdialogue_qa_eng", "it was john.", john, 1) == 1.0);
    const char *bj[] = {"北京"};
    // Characters 是 北 京 市 vs 北 京: P = 2/4, R = 2/2, F1 = 2*(1/2)*1 / (3/2) = 2/3.
    CHECK_NEAR(infinitebench_sample_score("longbook_qa_chn", "是北京市", bj, 1), 2.0 / 3, 1e-15);
    // ROUGE-Lsum: tokens [the cat sat] / [on the mat] vs one reference sentence of 6 tokens:
    // union LCS covers all 6; hits 6, P = R = 1.
    const char *sum[] = {"the cat sat on the mat"};
    CHECK(infinitebench_sample_score("longbook_sum_eng", "The cat sat.\nOn the mat!", sum, 1) == 1.0);
    pcb_clear_error();
    CHECK(infinitebench_sample_score("passkey", "1", NULL, 0) == -1);
}

static void test_task_names(void) {
    metric_kind m;
    CHECK(metric_for_task("hotpotqa", &m) == 0 && m == METRIC_QA_F1);
    CHECK(metric_for_task("gov_report_e", &m) == 0 && m == METRIC_ROUGE_L);
    CHECK(metric_for_task("repobench-p", &m) == 0 && m == METRIC_CODE_SIM);
    CHECK(metric_for_task("lsht", &m) == 0 && m == METRIC_CLASSIFICATION);
    CHECK(metric_for_task("passage_retrieval_zh", &m) == 0 && m == METRIC_RETRIEVAL_ZH);
    CHECK(metric_for_task("number_string", &m) == 0 && m == METRIC_IB_PASSKEY);
    CHECK(metric_for_task("longbook_qa_eng", &m) == 0 && m == METRIC_QA_F1);
    CHECK(metric_for_task("longbook_choice_eng", &m) == 0 && m == METRIC_IB_CHOICE);
    CHECK(metric_for_task("passkey_e", &m) == -1);  // "_e" only for LongBench
    const char *jieba_tasks[] = {"multifieldqa_zh", "dureader", "vcsum", "vcsum_e"};
    for (int i = 0; i < 4; i++) {
        const char *zh = jieba_tasks[i];
        pcb_clear_error();
        CHECK(metric_for_task(zh, &m) == -1);
        CHECK_MSG(strstr(pcb_last_error(), zh) && strstr(pcb_last_error(), "jieba"), "%s", pcb_last_error());
    }
    pcb_clear_error();
    CHECK(metric_for_task("no_such_task", &m) == -1 && strstr(pcb_last_error(), "no_such_task"));
    const char *g[] = {"x"};
    CHECK(longbench_sample_score("passkey", "x", g, 1, NULL, 0) == -1);
    CHECK(infinitebench_sample_score("hotpotqa", "x", g, 1) == -1);
    for (int k = 0; k < METRIC_N_KINDS; k++) {
        metric_kind back;
        CHECK(metric_name((metric_kind)k) != NULL);
        CHECK(metric_from_name(metric_name((metric_kind)k), &back) == 0 && back == (metric_kind)k);
    }
    CHECK(metric_name(METRIC_N_KINDS) == NULL);
    CHECK(metric_score(METRIC_N_KINDS, "a", "a", NULL, 0) == -1);
}

static void test_task_score_rounding(void) {
    double s[8] = {0.01};
    // 100 * 0.01 = 1.0 exactly in binary, / 8 = 0.125: a true tie, Python's round() gives 0.12.
    CHECK(metric_task_score(s, 8) == 0.12);
    double third[3] = {1.0 / 3, 1.0 / 3, 1.0 / 3};
    CHECK(metric_task_score(third, 3) == 33.33);
    CHECK(metric_task_score(s, 0) == -1);
}

// Python str semantics that the tables are for.
static void test_text_primitives(void) {
    CHECK(py_decimal('7') == 7 && py_decimal(0x0663) == 3 && py_decimal(0xFF19) == 9);
    CHECK(py_decimal(0x1D7CE) == 0 && py_decimal(0x1D7FF) == 9 && py_decimal(0xB2) == -1);  // '²' is not decimal
    CHECK(py_isword(0xE9) && py_isword(0x4E2D) && py_isword(0xB2) && !py_isword(0x201C) && !py_isword(' '));
    CHECK(py_isspace(0xA0) && py_isspace(0x1F) && py_isspace(0x3000) && !py_isspace(0x200B));
    uint32_t in[] = {0x130, 0x212A, 0x3A3, 0x391, 0x3A3, 0x3A3, 'A'};  // İ K Σ Α Σ Σ A
    ustr out = {0};
    py_lower(&out, in, 7);
    // İ -> i + U+0307; Kelvin sign -> k; every Σ here has a letter after it -> σ (not final ς).
    uint32_t want[] = {'i', 0x307, 'k', 0x3C3, 0x3B1, 0x3C3, 0x3C3, 'a'};
    CHECK(out.n == 8 && memcmp(out.cp, want, sizeof want) == 0);
    uint32_t word[] = {0x391, 0x3A3, ' '};  // "ΑΣ " -> "ας "
    out.n = 0;
    py_lower(&out, word, 3);
    CHECK(out.n == 3 && out.cp[1] == 0x3C2);
    ustr_free(&out);
    // Invalid UTF-8 bytes become U+DC80+byte (surrogateescape); encoded surrogates are invalid too.
    ustr u = {0};
    ustr_from_utf8(&u, "a\xe9\xed\xa0\x80");
    CHECK(u.n == 5 && u.cp[0] == 'a' && u.cp[1] == 0xDCE9 && u.cp[2] == 0xDCED && u.cp[4] == 0xDC80);
    ustr_free(&u);
    CHECK(score1(METRIC_QA_F1, "caf\xe9", "caf\xe9") == 1.0);
    CHECK(score1(METRIC_QA_F1, "caf\xe9", "café") == 0.0);
}

// ---------------------------------------------------------------------------------------------
// Golden values from the official Python code

static cJSON *load_json(const char *path) {
    size_t n;
    char *buf = read_text_file(path, &n);
    if (!buf) return NULL;
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    return j;
}

// A JSON array of strings as a NULL-free pointer array (pointing into the cJSON tree).
static const char **strings_of(const cJSON *arr, int *n) {
    *n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
    const char **v = pcb_calloc((size_t)*n + 1, sizeof *v);
    for (int i = 0; i < *n; i++) v[i] = cJSON_GetArrayItem(arr, i)->valuestring;
    return v;
}

typedef struct {
    int n, exact;
    double max_diff;
} golden_stats;

static void compare(golden_stats *st, double c, double py, const char *what, int index) {
    double d = fabs(c - py);
    st->n++;
    st->exact += c == py;
    if (d > st->max_diff || c < 0) st->max_diff = c < 0 ? INFINITY : d;
    CHECK_MSG(c >= 0 && d <= GOLDEN_TOL, "%s #%d: C %.17g, Python %.17g%s%s", what, index, c, py, c < 0 ? ": " : "",
              c < 0 ? pcb_last_error() : "");
}

static void test_golden_cases(void) {
    cJSON *doc = load_json("tests/golden/metric_golden.json");
    CHECK_MSG(doc != NULL, "tests/golden/metric_golden.json missing or unreadable (run from the repo root)");
    if (!doc) return;
    golden_stats st = {0};
    const cJSON *c;
    int index = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(doc, "cases")) {
        const char *kind = cJSON_GetObjectItem(c, "kind")->valuestring;
        const char *name = cJSON_GetObjectItem(c, "name")->valuestring;
        const cJSON *pred_j = cJSON_GetObjectItem(c, "prediction");
        const char *pred = pred_j ? pred_j->valuestring : NULL;
        double want = cJSON_GetObjectItem(c, "expected")->valuedouble, got = -1;
        int ng = 0, nc = 0;
        const char **golds =
            strings_of(cJSON_GetObjectItem(c, strcmp(kind, "infinitebench") ? "golds" : "labels"), &ng);
        const char **classes = strings_of(cJSON_GetObjectItem(c, "all_classes"), &nc);
        metric_kind m;
        if (!strcmp(kind, "metric")) {
            if (metric_from_name(name, &m) == 0) got = metric_score(m, pred, golds[0], classes, nc);
        } else if (!strcmp(kind, "longbench")) {
            got = longbench_sample_score(name, pred, golds, ng, classes, nc);
        } else if (!strcmp(kind, "infinitebench")) {
            got = infinitebench_sample_score(name, pred, golds, ng);
        } else if (!strcmp(kind, "task_score")) {
            const cJSON *arr = cJSON_GetObjectItem(c, "scores");
            int n = cJSON_GetArraySize(arr);
            double *s = pcb_malloc((size_t)n * sizeof *s);
            for (int i = 0; i < n; i++) s[i] = cJSON_GetArrayItem(arr, i)->valuedouble;
            got = metric_task_score(s, n);
            free(s);
        }
        char what[128];
        snprintf(what, sizeof what, "%s %s", kind, name);
        compare(&st, got, want, what, index++);
        free(golds), free(classes);
    }
    CHECK(st.n >= 60);
    fprintf(stderr, "  golden cases: %d compared, %d bit-identical to Python, max |diff| %.3g (tolerance %g)\n", st.n,
            st.exact, st.max_diff, GOLDEN_TOL);
    cJSON_Delete(doc);
}

// Real model outputs: every MiniLongBench example prediction scored by eval.py's rule, per sample
// and as the task score.
static void test_golden_minilongbench(void) {
    cJSON *doc = load_json("tests/golden/metric_golden.json");
    if (!doc) FAIL_TEST("tests/golden/metric_golden.json");
    const char *data = test_data_dir();
    golden_stats st = {0};
    int tasks = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(doc, "minilongbench")) {
        const char *task = cJSON_GetObjectItem(t, "task")->valuestring;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", data, cJSON_GetObjectItem(t, "file")->valuestring);
        cJSON *samples = load_json(path);
        if (!samples) {
            cJSON_Delete(doc);
            FAIL_TEST("MiniLongBench files in the data folder");
        }
        const cJSON *expected = cJSON_GetObjectItem(t, "expected");
        CHECK(cJSON_GetArraySize(samples) == cJSON_GetArraySize(expected));
        int n = cJSON_GetArraySize(expected), i = 0;
        double *scores = pcb_calloc((size_t)n + 1, sizeof *scores);
        const cJSON *s;
        cJSON_ArrayForEach(s, samples) {
            if (i >= n) break;
            const cJSON *gold = cJSON_GetObjectItem(s, "gold");
            int ng = 0, nc = 0;
            const cJSON *answers = cJSON_IsObject(gold) ? cJSON_GetObjectItem(gold, "answers") : gold;
            const char **golds = strings_of(answers, &ng);
            const char **classes = strings_of(cJSON_GetObjectItem(gold, "all_classes"), &nc);
            const char *pred = cJSON_GetObjectItem(s, "prediction")->valuestring;
            scores[i] = longbench_sample_score(task, pred, golds, ng, classes, nc);
            compare(&st, scores[i], cJSON_GetArrayItem(expected, i)->valuedouble, task, i);
            free(golds), free(classes);
            i++;
        }
        double want = cJSON_GetObjectItem(t, "task_score")->valuedouble;
        CHECK_MSG(metric_task_score(scores, n) == want, "%s task score %.2f vs Python %.2f", task,
                  metric_task_score(scores, n), want);
        free(scores);
        cJSON_Delete(samples);
        tasks++;
    }
    CHECK(tasks >= 15);
    fprintf(stderr, "  MiniLongBench: %d samples in %d tasks, %d bit-identical, max |diff| %.3g\n", st.n, tasks,
            st.exact, st.max_diff);
    cJSON_Delete(doc);
}

int main(void) {
    RUN_TEST(test_qa_f1_by_hand);
    RUN_TEST(test_answer_recall_by_hand);
    RUN_TEST(test_rouge_by_hand);
    RUN_TEST(test_classification_by_hand);
    RUN_TEST(test_retrieval_count_by_hand);
    RUN_TEST(test_code_sim_by_hand);
    RUN_TEST(test_sequence_matcher_by_hand);
    RUN_TEST(test_first_line_rule);
    RUN_TEST(test_infinitebench_by_hand);
    RUN_TEST(test_task_names);
    RUN_TEST(test_task_score_rounding);
    RUN_TEST(test_text_primitives);
    RUN_TEST(test_golden_cases);
    RUN_TEST(test_golden_minilongbench);
    return test_summary();
}
