// Generated tasks (bench/tasks/synthetic_tasks.h) with the default model's tokenizer: lengths in tokens,
// needle depths, determinism, distinct keys per grid cell, labels found where they were put, and
// the scorers on hand-worked predictions.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/model/gguf.h"
#include "bench/tasks/synthetic_tasks.h"
#include "tests/test.h"

static const char *data_dir(void) { return test_data_dir(); }

static gguf_file g;
static tokenizer *tok;

static int open_tokenizer(void) {
    if (tok) return 1;
    const char *p = getenv("PCB_MODEL");
    if (gguf_open(&g, p && *p ? p : "models/SmolLM2-135M-Instruct.Q4_1.gguf")) return 0;
    tok = tokenizer_from_gguf(&g);
    return tok != NULL;
}

static int count(const char *text) {
    int32_t *ids = NULL;
    size_t n = 0;
    if (tokenizer_encode(tok, text, strlen(text), 0, &ids, &n)) return -1;
    free(ids);
    return (int)n;
}

// Lengths land just under the request (generators fill whole lines / pairs / sentences).
static void test_lengths(void) {
    if (!open_tokenizer()) SKIP_TEST("model not found (set PCB_MODEL)");
    const char *tasks[] = {"passkey", "number_string", "kv_retrieval", "needle"};
    const int lengths[] = {512, 2048};
    for (int t = 0; t < 4; t++)
        for (int l = 0; l < 2; l++) {
            synthetic_sample s;
            int rc = synthetic_make(tasks[t], tok, data_dir(), lengths[l], 0.5, 0, 1, &s);
            CHECK_MSG(rc == 0, "%s %d: %s", tasks[t], lengths[l], pcb_last_error());
            if (rc) continue;
            int n = count(s.context);
            // Filler lines are ~25 tokens, UUID pairs ~50: within 64 tokens of the request.
            CHECK_MSG(n == s.n_tokens && n <= lengths[l] + 2 && n >= lengths[l] - 64, "%s %d: %d tokens", tasks[t],
                      lengths[l], n);
            CHECK_MSG(strstr(s.context, s.label) != NULL || !strcmp(tasks[t], "needle"), "%s: label not in context",
                      tasks[t]);
            synthetic_free(&s);
        }
}

// The needle sits at the requested depth (at a sentence boundary at or before it).
static void test_needle_depth(void) {
    if (!open_tokenizer()) SKIP_TEST("model not found (set PCB_MODEL)");
    const double depths[] = {0.0, 0.25, 0.5, 0.75, 1.0};
    for (int i = 0; i < 5; i++) {
        synthetic_sample s;
        if (synthetic_make("needle", tok, data_dir(), 4096, depths[i], 0, 1, &s)) {
            CHECK_MSG(0, "needle %g: %s", depths[i], pcb_last_error());
            continue;
        }
        const char *at = strstr(s.context, NEEDLE_SENTENCE);
        CHECK(at != NULL && strstr(at + 1, NEEDLE_SENTENCE) == NULL);  // exactly once
        if (at) {
            double frac = (double)(at - s.context) / (double)(strlen(s.context) - strlen(NEEDLE_SENTENCE));
            // Sentences in the essays are < 2% of 4K tokens long.
            CHECK_MSG(frac <= depths[i] + 0.005 && frac >= depths[i] - 0.03, "depth %g: needle at %.3f", depths[i],
                      frac);
        }
        CHECK(!strcmp(s.input, NEEDLE_QUESTION) && !strcmp(s.label, NEEDLE_ANSWER));
        synthetic_free(&s);
    }
}

// kv_retrieval: the asked key and its value are one pair of the JSON, at the requested depth.
static void test_kv_pair(void) {
    if (!open_tokenizer()) SKIP_TEST("model not found (set PCB_MODEL)");
    synthetic_sample s;
    if (synthetic_make("kv_retrieval", tok, data_dir(), 2048, 0.25, 0, 7, &s)) {
        CHECK_MSG(0, "%s", pcb_last_error());
        return;
    }
    CHECK(!strncmp(s.context, "JSON data:\n{", 12) && s.context[strlen(s.context) - 1] == '}');
    char key[40];
    CHECK(sscanf(s.input, "Key: \"%36[^\"]\"", key) == 1 && strlen(key) == 36);
    char pair[100];
    snprintf(pair, sizeof pair, "\"%s\": \"%s\"", key, s.label);
    const char *at = strstr(s.context, pair);
    CHECK_MSG(at != NULL, "pair %s not in the JSON", pair);
    if (at) {
        double frac = (double)(at - s.context) / (double)strlen(s.context);
        CHECK_MSG(frac > 0.2 && frac < 0.3, "pair at %.3f of the JSON, asked 0.25", frac);
    }
    CHECK(key[14] == '4');  // UUID version 4
    synthetic_free(&s);
}

// Same (seed, length, depth, sample): the same text; any of them changed: another key.
static void test_determinism(void) {
    if (!open_tokenizer()) SKIP_TEST("model not found (set PCB_MODEL)");
    synthetic_sample a, b, c, d, e;
    int rc = synthetic_make("passkey", tok, data_dir(), 1024, 0.5, 0, 1, &a) ||
             synthetic_make("passkey", tok, data_dir(), 1024, 0.5, 0, 1, &b) ||
             synthetic_make("passkey", tok, data_dir(), 2048, 0.5, 0, 1, &c) ||
             synthetic_make("passkey", tok, data_dir(), 1024, 0.5, 1, 1, &d) ||
             synthetic_make("passkey", tok, data_dir(), 1024, 0.5, 0, 2, &e);
    CHECK(rc == 0);
    if (rc) return;
    CHECK(!strcmp(a.context, b.context) && !strcmp(a.label, b.label));
    CHECK(strcmp(a.label, c.label) && strcmp(a.label, d.label) && strcmp(a.label, e.label));
    synthetic_free(&a), synthetic_free(&b), synthetic_free(&c), synthetic_free(&d), synthetic_free(&e);
}

static void test_bad_input(void) {
    if (!open_tokenizer()) SKIP_TEST("model not found (set PCB_MODEL)");
    synthetic_sample s;
    CHECK(synthetic_make("passkey", tok, data_dir(), 1024, 1.5, 0, 1, &s) == -1 && strstr(pcb_last_error(), "depth"));
    CHECK(synthetic_make("kv_retrieval", tok, data_dir(), 20, 0.5, 0, 1, &s) == -1 &&
          strstr(pcb_last_error(), "too short"));
    CHECK(synthetic_make("needle", tok, "/nonexistent", 1024, 0.5, 0, 1, &s) == -1 &&
          strstr(pcb_last_error(), "/nonexistent"));
    CHECK(synthetic_make("trec", tok, data_dir(), 1024, 0.5, 0, 1, &s) == -1 &&
          strstr(pcb_last_error(), "not a generated task"));
}

static void test_scores(void) {
    // InfiniteBench: the first run of digits equals the label.
    CHECK(synthetic_score("passkey", "The pass key is 31604.", "31604") == 1.0);
    CHECK(synthetic_score("passkey", "It is 3 then 31604", "31604") == 0.0);
    CHECK(synthetic_score("number_string", "2672308879", "2672308879") == 1.0);
    // kv_retrieval: the label is one of the words once punctuation becomes spaces.
    CHECK(synthetic_score("kv_retrieval", "The value is \"9b7c1f0e-1c2d-4e5f-8a9b-0c1d2e3f4a5b\".",
                          "9b7c1f0e-1c2d-4e5f-8a9b-0c1d2e3f4a5b") == 1.0);
    CHECK(synthetic_score("kv_retrieval", "9b7c1f0e-1c2d", "9b7c1f0e-1c2d-4e5f-8a9b-0c1d2e3f4a5b") == 0.0);
    // needle: 10 answer words (articles dropped); sandwich, in, dolores, park found = 4 of 10.
    CHECK_NEAR(synthetic_score("needle", "A sandwich in Dolores Park?", NEEDLE_ANSWER), 0.4, 1e-12);
}

static void test_dataset_identity(void) {
    char a[65], b[65], c[65];
    CHECK(synthetic_dataset_sha256("passkey", data_dir(), a) == 0 &&
          synthetic_dataset_sha256("number_string", data_dir(), b) == 0);
    CHECK(strcmp(a, b) != 0 && strlen(a) == 64);
    if (synthetic_dataset_sha256("needle", data_dir(), c) == 0) CHECK(strcmp(a, c) != 0);
    else CHECK_MSG(0, "%s", pcb_last_error());
    CHECK(synthetic_dataset_sha256("ppl", data_dir(), c) == -1);
}

int main(void) {
    RUN_TEST(test_lengths);
    RUN_TEST(test_needle_depth);
    RUN_TEST(test_kv_pair);
    RUN_TEST(test_determinism);
    RUN_TEST(test_bad_input);
    RUN_TEST(test_scores);
    RUN_TEST(test_dataset_identity);
    if (tok) tokenizer_free(tok), gguf_close(&g);
    return test_summary();
}
