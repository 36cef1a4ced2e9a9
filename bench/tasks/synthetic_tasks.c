#include "bench/tasks/synthetic_tasks.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/base/file_list.h"
#include "bench/base/names.h"
#include "bench/base/sha256.h"
#include "bench/base/text_file.h"
#include "bench/tasks/metrics.h"
#include "bench/tasks/passkey.h"

// Bump a version when a generator's output changes: it is part of every row's identity.
#define GEN_PASSKEY "pcbench passkey generator v1 (filler lines, 5-digit key, splitmix64)"
#define GEN_NUMBER_STRING "pcbench number_string generator v1 (filler lines, 10 digits, splitmix64)"
#define GEN_KV_RETRIEVAL "pcbench kv_retrieval generator v1 (JSON of UUID4 pairs, splitmix64)"
#define GEN_NEEDLE "pcbench needle generator v1 (paul_graham_essays in name order, sentence boundary)"

#define ESSAYS_DIR "text/paul_graham_essays"

int synthetic_is_task(const char *task) {
    const pcb_task *t = pcb_task_find(task);
    return t && t->kind == TASK_GENERATED;
}

// ---- kv_retrieval ---------------------------------------------------------------------------

static void uuid4(uint64_t *s, char out[37]) {
    uint64_t a = splitmix64(s), b = splitmix64(s);
    a = (a & ~0xF000ull) | 0x4000ull;                  // version 4
    b = (b & ~(0xC000ull << 48)) | (0x8000ull << 48);  // variant 10xx
    snprintf(out, 37, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(a >> 32), (unsigned)((a >> 16) & 0xFFFF),
             (unsigned)(a & 0xFFFF), (unsigned)(b >> 48), (unsigned long long)(b & 0xFFFFFFFFFFFFull));
}

// "JSON data:\n{"k": "v", ...}" with n pairs; the pair at index `target` is returned in key/value.
static char *kv_document(uint64_t seed, int n, int target, char key[37], char value[37]) {
    uint64_t s = seed;
    size_t cap = 16 + (size_t)n * 80, at = 0;
    char *doc = pcb_malloc(cap);
    at += (size_t)snprintf(doc, cap, "JSON data:\n{");
    for (int i = 0; i < n; i++) {
        char k[37], v[37];
        uuid4(&s, k), uuid4(&s, v);
        if (i == target) memcpy(key, k, 37), memcpy(value, v, 37);
        at += (size_t)snprintf(doc + at, cap - at, "%s\"%s\": \"%s\"", i ? ", " : "", k, v);
    }
    snprintf(doc + at, cap - at, "}");
    return doc;
}

static int kv_retrieval_make(const tokenizer *tok, int n_tokens, double depth, uint64_t seed, synthetic_sample *out) {
    char key[37], value[37];
    // Tokens per pair measured on 1 and 9 pairs, then corrected on the real text (UUIDs tokenize unevenly).
    int t1, t9;
    char *d1 = kv_document(seed, 1, 0, key, value), *d9 = kv_document(seed, 9, 0, key, value);
    int rc = count_tokens(tok, d1, &t1) || count_tokens(tok, d9, &t9);
    free(d1), free(d9);
    if (rc) return -1;
    double per = (t9 - t1) / 8.0;
    if (per <= 0) return pcb_fail("kv_retrieval: pairs encode to no tokens");
    // The largest pair count that fits: lo fits, hi does not; each step jumps by the estimate,
    // kept inside (lo, hi), so it ends in a few encodes (UUIDs tokenize unevenly).
    int lo = 0, hi = INT_MAX, n = (int)((n_tokens - t1) / per) + 1;
    for (int attempt = 0; attempt < 32 && hi > lo + 1; attempt++) {
        char *doc = kv_document(seed, n, 0, key, value);
        int got;
        if (count_tokens(tok, doc, &got)) return free(doc), -1;
        free(doc);
        if (got <= n_tokens) lo = n;
        else hi = n;
        double jump = (n_tokens - got) / per;
        n += (int)(jump >= 0 ? jump + 0.5 : jump - 0.5);
        if (n <= lo || n >= hi) n = hi == INT_MAX ? lo + 1 : lo + (hi - lo) / 2;
        if (n <= lo) n = lo + 1;
    }
    int best_n = lo;
    if (best_n < 1)
        return pcb_fail("kv_retrieval: %d tokens is too short for one key-value pair (%d tokens)", n_tokens, t1);
    int target = (int)(depth * (best_n - 1) + 0.5);
    char *doc = kv_document(seed, best_n, target, key, value);
    if (count_tokens(tok, doc, &out->n_tokens)) return free(doc), -1;
    out->context = doc, out->label = pcb_strdup(value);
    size_t len = strlen(key) + 80;
    out->input = pcb_malloc(len);
    snprintf(out->input, len, "Key: \"%s\"\nThe value associated with the specified key is: ", key);
    return 0;
}

// ---- needle ---------------------------------------------------------------------------------

// The essay file names in name order (*n of them).
static char **essay_files(const char *data_dir, int *n) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/" ESSAYS_DIR, data_dir);
    char **names = file_list(dir, ".txt", n);
    if (names && *n == 0) file_list_free(names, 0), names = NULL, pcb_fail("needle: no .txt essays in %s", dir);
    return names;
}

// Essays from `first` on (cycling), joined by blank lines, until about `chars` characters.
static char *haystack_text(const char *data_dir, char **names, int n, int first, size_t chars) {
    size_t cap = chars + 1, at = 0;
    char *text = pcb_malloc(cap);
    for (int i = 0; at < chars; i++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/" ESSAYS_DIR "/%s", data_dir, names[(first + i) % n]);
        size_t len;
        char *essay = read_text_file(path, &len);
        if (!essay) return free(text), NULL;
        if (at + len + 3 > cap) cap = at + len + 3, text = pcb_realloc(text, cap);
        if (at) text[at++] = '\n', text[at++] = '\n';
        memcpy(text + at, essay, len), at += len;
        free(essay);
    }
    text[at] = 0;
    return text;
}

static int needle_make(const tokenizer *tok, const char *data_dir, int n_tokens, double depth, int sample,
                       synthetic_sample *out) {
    int n_files, needle_n;
    if (count_tokens(tok, " " NEEDLE_SENTENCE, &needle_n)) return -1;
    if (n_tokens <= needle_n + 16)
        return pcb_fail("needle: %d tokens is too short for the needle (%d tokens)", n_tokens, needle_n);
    char **names = essay_files(data_dir, &n_files);
    if (!names) return -1;
    // English prose is 3-5 characters per token: 6 per token always covers the length.
    char *hay = haystack_text(data_dir, names, n_files, sample % n_files, (size_t)n_tokens * 6);
    file_list_free(names, n_files);
    if (!hay) return -1;
    int32_t *ids = NULL;
    size_t n_ids = 0;
    int rc = tokenizer_encode(tok, hay, strlen(hay), 0, &ids, &n_ids);
    free(hay);
    if (rc) return -1;
    int keep = n_tokens - needle_n;
    if ((int)n_ids < keep) return free(ids), pcb_fail("needle: the haystack has only %zu tokens", n_ids);
    char *cut = tokenizer_decode(tok, ids, (size_t)keep, 0);
    free(ids);
    // Insert after the last sentence end at or before depth * length (as LLMTest_NeedleInAHaystack).
    size_t len = strlen(cut), at = (size_t)(depth * (double)len + 0.5);
    while (at > 0 && !(cut[at - 1] == '.' && (at == len || cut[at] == ' ' || cut[at] == '\n'))) at--;
    size_t nl = strlen(" " NEEDLE_SENTENCE);
    out->context = pcb_malloc(len + nl + 1);
    memcpy(out->context, cut, at);
    memcpy(out->context + at, " " NEEDLE_SENTENCE, nl);
    memcpy(out->context + at + nl, cut + at, len - at + 1);
    free(cut);
    out->input = pcb_strdup(NEEDLE_QUESTION);
    out->label = pcb_strdup(NEEDLE_ANSWER);
    return count_tokens(tok, out->context, &out->n_tokens);
}

// ---- dispatch -------------------------------------------------------------------------------

int synthetic_make(const char *task, const tokenizer *tok, const char *data_dir, int n_tokens, double depth, int sample,
                   uint64_t seed, synthetic_sample *out) {
    *out = (synthetic_sample){0};
    if (!(depth >= 0 && depth <= 1)) return pcb_fail("%s: depth %g is outside [0, 1]", task, depth);
    // One stream per (seed, length, depth, sample): different cells of a grid get different keys.
    uint64_t s = seed ^ 0x5DEECE66Dull;
    splitmix64(&s);
    s ^= (uint64_t)n_tokens * 0x9E3779B97F4A7C15ull ^ (uint64_t)(depth * 1e6) * 0xC2B2AE3D27D4EB4Full ^
         (uint64_t)sample * 0x165667B19E3779F9ull;
    uint64_t sample_seed = splitmix64(&s);
    int rc;
    if (!strcmp(task, "passkey") || !strcmp(task, "number_string")) {
        passkey_sample p;
        int is_pk = !strcmp(task, "passkey");
        rc = is_pk ? passkey_make(tok, n_tokens, depth, sample_seed, &p)
                   : number_string_make(tok, n_tokens, depth, sample_seed, &p);
        if (rc == 0) {
            out->context = p.document, out->n_tokens = p.n_tokens, out->label = pcb_strdup(p.key);
            out->input = pcb_strdup(is_pk ? PASSKEY_QUESTION : NUMBER_STRING_QUESTION);
        }
    } else if (!strcmp(task, "kv_retrieval")) {
        rc = kv_retrieval_make(tok, n_tokens, depth, sample_seed, out);
    } else if (!strcmp(task, "needle")) {
        rc = needle_make(tok, data_dir, n_tokens, depth, sample, out);
    } else {
        return pcb_fail("task '%s' is not a generated task (passkey, number_string, kv_retrieval, needle)", task);
    }
    if (rc) synthetic_free(out);
    return rc;
}

void synthetic_free(synthetic_sample *s) {
    free(s->context), free(s->input), free(s->label);
    *s = (synthetic_sample){0};
}

double synthetic_score(const char *task, const char *prediction, const char *label) {
    if (!strcmp(task, "needle")) return answer_token_recall(prediction, label);
    const char *labels[1] = {label};
    return infinitebench_sample_score(task, prediction, labels, 1);
}

int synthetic_dataset_sha256(const char *task, const char *data_dir, char hex[65]) {
    const char *gen = !strcmp(task, "passkey")         ? GEN_PASSKEY
                      : !strcmp(task, "number_string") ? GEN_NUMBER_STRING
                      : !strcmp(task, "kv_retrieval")  ? GEN_KV_RETRIEVAL
                      : !strcmp(task, "needle")        ? GEN_NEEDLE
                                                       : NULL;
    if (!gen) return pcb_fail("task '%s' is not a generated task", task);
    sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, gen, strlen(gen));
    if (!strcmp(task, "needle")) {  // the haystack is data: its files are part of the identity
        int n;
        char **names = essay_files(data_dir, &n);
        if (!names) return -1;
        for (int i = 0; i < n; i++) {
            char path[1200], file_hex[65];
            snprintf(path, sizeof path, "%s/" ESSAYS_DIR "/%s", data_dir, names[i]);
            if (sha256_file(path, file_hex)) return file_list_free(names, n), -1;
            sha256_update(&c, names[i], strlen(names[i]) + 1);
            sha256_update(&c, file_hex, 64);
        }
        file_list_free(names, n);
    }
    uint8_t d[32];
    sha256_final(&c, d);
    sha256_hex(d, hex);
    return 0;
}

int synthetic_template(const char *task, const char *templates_dir, prompt_template *t) {
    if (strcmp(task, "needle")) return prompt_template_load(templates_dir, task, t);
    *t = (prompt_template){
        .head = pcb_strdup("You are a helpful AI bot that answers questions for a user. Keep your response short and "
                           "direct.\n\n<context>\n"),
        .tail = pcb_strdup("\n</context>\n"),
        .question = pcb_strdup("\n{input} Don't give information outside the document or repeat your findings.\n")};
    return 0;
}
