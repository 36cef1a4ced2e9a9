// InfiniteBench-style passkey retrieval: a pass key hidden at a chosen depth in repeated filler
// text, generated deterministically for a length in tokens, and the official scorer.
#ifndef PCB_PASSKEY_H
#define PCB_PASSKEY_H

#include <stdint.h>

#include "bench/model/tokenizer.h"

#define PASSKEY_QUESTION "What is the pass key?"

typedef struct {
    char *document;   // filler lines with the needle line inserted
    char key[16];     // the 5-digit pass key (number_string: 10 digits)
    int n_tokens;     // document tokens (within one filler line of the target)
    int needle_line;  // filler lines before the needle
} passkey_sample;

// depth in [0, 1]: fraction of filler lines before the needle. Returns 0 or -1 (error set).
int passkey_make(const tokenizer *tok, int n_tokens, double depth, uint64_t seed, passkey_sample *out);
// InfiniteBench number_string: the same filler with a 10-digit sequence as the needle (key[]).
#define NUMBER_STRING_QUESTION "What is the sequence of digits?"
int number_string_make(const tokenizer *tok, int n_tokens, double depth, uint64_t seed, passkey_sample *out);
void passkey_free(passkey_sample *s);
// Shared by the generated tasks (synthetic_tasks.c): the splitmix64 stream behind every key, and
// the token count of a text (0 or -1 + error).
uint64_t splitmix64(uint64_t *state);
int count_tokens(const tokenizer *tok, const char *text, int *n);
// Official rule (InfiniteBench compute_scores): the first run of digits in the prediction
// equals the label. Returns 1 or 0.
int passkey_score(const char *prediction, const char *label);

#endif
