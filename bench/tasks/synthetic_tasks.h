// Generated long-context samples for any length in tokens, deterministic in (seed, length, depth):
//   passkey, number_string  InfiniteBench format: a key in repeated filler lines (passkey.h);
//   kv_retrieval            InfiniteBench format: a JSON object of UUID -> UUID pairs, the asked
//                           key at the given depth; scored by the official rule (label is a word);
//   needle                  needle in a haystack: Paul Graham essays (text/paul_graham_essays, in
//                           name order, sample k starting at essay k) with one sentence inserted
//                           at a sentence boundary at the given depth; scored by answer recall.
// Every sample has its context, its question (`input`, filled into the task's prompt template)
// and one gold label.
#ifndef PCB_SYNTHETIC_TASKS_H
#define PCB_SYNTHETIC_TASKS_H

#include <stdint.h>

#include "bench/model/tokenizer.h"
#include "bench/tasks/prompt_templates.h"

#define NEEDLE_SENTENCE \
    "The best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a sunny day."
#define NEEDLE_QUESTION "What is the best thing to do in San Francisco?"
#define NEEDLE_ANSWER "eat a sandwich and sit in Dolores Park on a sunny day"

typedef struct {
    char *context;  // the document
    char *input;    // the question
    char *label;    // the gold answer
    int n_tokens;   // context tokens
} synthetic_sample;

int synthetic_is_task(const char *task);
// data_dir: the shared data root (needle reads text/paul_graham_essays there). sample: the k-th
// sample of this length and depth (needle: the essay it starts at). Errors name the task.
int synthetic_make(const char *task, const tokenizer *tok, const char *data_dir, int n_tokens, double depth, int sample,
                   uint64_t seed, synthetic_sample *out);
void synthetic_free(synthetic_sample *s);

// Score of a prediction in [0, 1]: passkey / number_string / kv_retrieval by the InfiniteBench
// rules; needle by answer_token_recall against NEEDLE_ANSWER.
double synthetic_score(const char *task, const char *prediction, const char *label);

// Identity of the generator and its inputs (for the results store's dataset column): SHA-256 of
// the generator's name and version, and for needle of every haystack file's name and content.
int synthetic_dataset_sha256(const char *task, const char *data_dir, char hex[65]);

// The task's prompt template: ParallelComp's for passkey / number_string / kv_retrieval (from
// `templates_dir`), a built-in one for needle (the LLMTest_NeedleInAHaystack wording).
int synthetic_template(const char *task, const char *templates_dir, prompt_template *t);

#endif
