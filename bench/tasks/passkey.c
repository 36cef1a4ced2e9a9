#include "bench/tasks/passkey.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"

static const char FILLER[] =
    "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.\n";

uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int count_tokens(const tokenizer *tok, const char *text, int *n) {
    int32_t *ids = NULL;
    size_t len = 0;
    if (tokenizer_encode(tok, text, strlen(text), 0, &ids, &len)) return -1;
    free(ids);
    *n = (int)len;
    return 0;
}

// Filler lines with `needle` after depth * lines of them, about n_tokens long in all.
static int needle_in_filler(const tokenizer *tok, int n_tokens, double depth, const char *needle, passkey_sample *out) {
    if (!(depth >= 0 && depth <= 1)) return pcb_fail("needle: depth %g is outside [0, 1]", depth);
    // Tokens per filler line measured in context (two lines minus one), so lines add up exactly.
    char two[2 * sizeof FILLER];
    snprintf(two, sizeof two, "%s%s", FILLER, FILLER);
    int one_n, two_n, needle_n;
    if (count_tokens(tok, FILLER, &one_n) || count_tokens(tok, two, &two_n) || count_tokens(tok, needle, &needle_n))
        return -1;
    int per_line = two_n - one_n;
    if (per_line <= 0) return pcb_fail("needle: filler text encodes to no tokens");
    int lines = (n_tokens - needle_n) / per_line;
    if (lines < 1)
        return pcb_fail("needle: %d tokens is too short for the needle (%d tokens) and one filler line", n_tokens,
                        needle_n);
    out->needle_line = (int)(depth * lines + 0.5);
    size_t fl = strlen(FILLER), nl = strlen(needle);
    out->document = pcb_malloc(fl * (size_t)lines + nl + 1);
    char *p = out->document;
    for (int i = 0; i <= lines; i++) {
        if (i == out->needle_line) memcpy(p, needle, nl), p += nl;
        if (i < lines) memcpy(p, FILLER, fl), p += fl;
    }
    *p = 0;
    if (count_tokens(tok, out->document, &out->n_tokens)) {
        passkey_free(out);
        return -1;
    }
    return 0;
}

int passkey_make(const tokenizer *tok, int n_tokens, double depth, uint64_t seed, passkey_sample *out) {
    *out = (passkey_sample){0};
    uint64_t s = seed;
    snprintf(out->key, sizeof out->key, "%05d", (int)(10000 + splitmix64(&s) % 90000));
    char needle[160];
    snprintf(needle, sizeof needle, "The pass key is %s. Remember it. %s is the pass key.\n", out->key, out->key);
    return needle_in_filler(tok, n_tokens, depth, needle, out);
}

int number_string_make(const tokenizer *tok, int n_tokens, double depth, uint64_t seed, passkey_sample *out) {
    *out = (passkey_sample){0};
    uint64_t s = seed;
    for (int i = 0; i < 10; i++) out->key[i] = (char)('0' + splitmix64(&s) % 10);
    out->key[10] = 0;
    char needle[160];
    snprintf(needle, sizeof needle, "The sequence of digits is %s. Remember it. %s is the sequence of digits.\n",
             out->key, out->key);
    return needle_in_filler(tok, n_tokens, depth, needle, out);
}

void passkey_free(passkey_sample *s) {
    free(s->document);
    *s = (passkey_sample){0};
}

int passkey_score(const char *prediction, const char *label) {
    const char *p = prediction;
    while (*p && !isdigit((unsigned char)*p)) p++;
    const char *q = p;
    while (*q && isdigit((unsigned char)*q)) q++;
    return q > p && (size_t)(q - p) == strlen(label) && !strncmp(p, label, (size_t)(q - p));
}
