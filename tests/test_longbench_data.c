// LongBench loaders on the project data (data/): raw JSONL (every record), MiniLongBench prompts split
// back into context and question by LongBench's templates (re-assembling them must give the
// prompt byte for byte), malformed records reported with their line and skipped.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/base/error.h"
#include "bench/tasks/longbench_data.h"
#include "tests/test.h"

static char data[512];

static int have_data(void) {
    char p[600];
    snprintf(p, sizeof p, "%s/longbench/config/dataset2prompt.json", data);
    return access(p, R_OK) == 0;
}

static void test_raw_jsonl(void) {
    if (!have_data()) FAIL_TEST("the data folder (longbench/)");
    char p[600];
    snprintf(p, sizeof p, "%s/longbench/multi_news.jsonl", data);
    task_samples s;
    CHECK_MSG(longbench_load_jsonl(p, &s) == 0, "%s", pcb_last_error());
    CHECK_MSG(s.n == 200 && s.n_failures == 0, "%d samples, %d failures", s.n, s.n_failures);
    CHECK(s.n && strlen(s.samples[0].context) > 1000 && s.samples[0].n_answers >= 1 && s.samples[0].length > 0);
    task_samples_free(&s);
    snprintf(p, sizeof p, "%s/longbench/longbench_en_longctx_shortans.jsonl", data);
    CHECK(longbench_load_jsonl(p, &s) == 0 && s.n == 42 && s.n_failures == 0);
    task_samples_free(&s);
}

static void test_malformed_lines(void) {
    char p[64];
    snprintf(p, sizeof p, "/tmp/pcb_lb_%d.jsonl", (int)getpid());
    FILE *f = fopen(p, "w");
    fputs(
        "{\"input\": \"q1\", \"context\": \"c1\", \"answers\": [\"a\"], \"_id\": \"x1\", \"all_classes\": null}\n"
        "{\"input\": \"q2\", \"context\": \"c2\", \"answers\": [\"a\"]\n"               // line 2: truncated
        "\n"                                                                            // line 3: blank
        "{\"input\": \"q4\", \"context\": \"c4\", \"answers\": [], \"_id\": \"x4\"}\n"  // line 4: no answer
        "{\"input\": 5, \"context\": \"c5\", \"answers\": [\"a\"], \"_id\": \"x5\"}\n"  // line 5: bad type
        "{\"input\": \"q6\", \"context\": \"c6\", \"answers\": [\"a\", \"b\"], \"_id\": \"x6\","
        " \"all_classes\": [\"k1\", \"k2\"], \"length\": 12}",  // line 6: no newline
        f);
    fclose(f);
    task_samples s;
    CHECK(longbench_load_jsonl(p, &s) == 0);
    CHECK_MSG(s.n == 2 && s.n_failures == 3, "%d samples, %d failures", s.n, s.n_failures);
    if (s.n_failures == 3) {
        CHECK(strstr(s.failures[0].where, ":2") && strstr(s.failures[0].message, "malformed JSON"));
        CHECK(strstr(s.failures[1].where, ":4") && strstr(s.failures[1].message, "answers"));
        CHECK(strstr(s.failures[2].where, ":5") && strstr(s.failures[2].message, "'input'"));
    }
    if (s.n == 2) CHECK(!strcmp(s.samples[1].id, "x6") && s.samples[1].n_classes == 2 && s.samples[1].length == 12);
    task_samples_free(&s);
    unlink(p);
    CHECK(longbench_load_jsonl("/nonexistent/x.jsonl", &s) != 0 && strstr(pcb_last_error(), "/nonexistent/x.jsonl"));
}

static const char *english[] = {"narrativeqa",
                                "qasper",
                                "multifieldqa_en",
                                "hotpotqa",
                                "2wikimqa",
                                "musique",
                                "gov_report",
                                "qmsum",
                                "multi_news",
                                "trec",
                                "triviaqa",
                                "samsum",
                                "passage_count",
                                "passage_retrieval_en",
                                "lcc",
                                "repobench-p"};

static void test_minilongbench_split(void) {
    if (!have_data()) FAIL_TEST("the data folder (longbench/)");
    char cfg[600], p[700];
    snprintf(cfg, sizeof cfg, "%s/longbench/config", data);
    int total = 0, failed = 0;
    for (size_t k = 0; k < sizeof english / sizeof *english; k++) {
        const char *task = english[k];
        char **tpl = NULL;
        int n_tpl = minilongbench_templates(cfg, task, &tpl);
        CHECK_MSG(n_tpl > 0, "%s", pcb_last_error());
        if (n_tpl <= 0) continue;
        snprintf(p, sizeof p, "%s/longbench/minilongbench/MiniLongBench_%s.json", data, task);
        task_samples s;
        CHECK_MSG(minilongbench_load(p, task, (const char *const *)tpl, n_tpl, &s) == 0, "%s", pcb_last_error());
        for (int f = 0; f < s.n_failures; f++) printf("  # %s: %s\n", s.failures[f].where, s.failures[f].message);
        total += s.n, failed += s.n_failures;
        for (int i = 0; i < s.n; i++) {
            const task_sample *t = &s.samples[i];
            CHECK(strlen(t->context) > 0);
            if (!strcmp(task, "trec")) CHECK(t->n_classes > 10);
            if (!strcmp(task, "hotpotqa") && i == 0) {  // the question and the context's ends, by hand
                CHECK(!strcmp(t->input,
                              "Name a member of a British-American supergroup who recored a version of "
                              "Nobody's child in 1990"));
                CHECK(!strncmp(t->context, "Passage 1:\nNobody for Everybody", 30));
                CHECK(strstr(t->context, "Other collaborations between members\nNotes") + 42 ==
                      t->context + strlen(t->context));
            }
            if (!strcmp(task, "gov_report")) CHECK(t->input && !*t->input);  // no question in summaries
        }
        task_samples_free(&s);
        for (int i = 0; i < n_tpl; i++) free(tpl[i]);
        free(tpl);
    }
    printf("  # MiniLongBench English: %d samples split, %d could not be\n", total, failed);
    CHECK_MSG(total == 187 && failed == 0, "%d samples, %d failures", total, failed);
    CHECK(longbench_prompt_template(cfg, "no_such_task") == NULL && strstr(pcb_last_error(), "no_such_task"));
}

int main(void) {
    snprintf(data, sizeof data, "%s", test_data_dir());
    RUN_TEST(test_raw_jsonl);
    RUN_TEST(test_malformed_lines);
    RUN_TEST(test_minilongbench_split);
    return test_summary();
}
