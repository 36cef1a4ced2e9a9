// Python str semantics that the official benchmark metrics are written in (internal to metrics*.c).
// The metrics are defined by Python code (LongBench metrics.py, the `rouge` package, difflib,
// InfiniteBench compute_scores.py), so every helper here works on code points the way Python's
// str does: str.split() / strip() / lower() / isdecimal(), and the regex classes \w, \d, \s.
// Unicode properties come from tables generated from Python 3.11 (Unicode 14.0).
#ifndef PCB_METRICS_TEXT_H
#define PCB_METRICS_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "bench/tasks/metrics.h"

// A code-point string (a Python str). Invalid UTF-8 bytes become U+DC80+byte, as Python's
// "surrogateescape" decoder does, so no input is lost and such bytes never equal real text.
typedef struct {
    uint32_t *cp;
    size_t n, cap;
} ustr;

void ustr_from_utf8(ustr *out, const char *s);  // replaces the contents of out
void ustr_push(ustr *s, uint32_t c);
void ustr_append(ustr *s, const uint32_t *cp, size_t n);
void ustr_free(ustr *s);

// Character classes (regex semantics for str patterns, as Python's re module defines them).
int py_isspace(uint32_t c);         // str.isspace(): what str.split()/strip() and \s treat as whitespace
int py_isword(uint32_t c);          // \w: str.isalnum() or '_'
int py_decimal(uint32_t c);         // \d / str.isdecimal(): the digit's value 0..9, or -1
int py_is_ascii_punct(uint32_t c);  // c in string.punctuation

// str.lower() of s[0..n) appended to out (full Unicode mapping; final sigma approximated, see .c).
void py_lower(ustr *out, const uint32_t *s, size_t n);
// str.upper() for the cases that can produce ASCII: a-z plus the ten non-ASCII code points whose
// upper case is ASCII (ß -> SS, ı -> I, ſ -> S, ligatures ﬀ..ﬆ). Other code points are kept.
void py_upper_to_ascii(ustr *out, const uint32_t *s, size_t n);

// Slices and searches on code-point arrays (patterns are ASCII C strings).
typedef struct {
    const uint32_t *p;
    size_t n;
} utok;

typedef struct {
    utok *v;
    size_t n, cap;
} utoks;

void utoks_push(utoks *t, const uint32_t *p, size_t n);
void utoks_free(utoks *t);
int utok_eq(utok a, utok b);
int utok_eq_ascii(utok a, const char *s);
// str.split() with no argument: maximal runs of non-whitespace, appended to out.
void py_split(utoks *out, const uint32_t *s, size_t n);

// Text cut into sentences of word tokens (both ROUGE-L variants): sentence s is
// words.v[first[s] .. first[s + 1]).
typedef struct {
    utoks words;
    size_t *first;  // n_sent + 1 entries
    size_t n_sent;
} usentences;

// The non-empty pieces of s[0..n) between separators `sep` are the sentences, in order; each
// piece's words are what words_of appends for it (it may append none). Free with usentences_free.
void usentences_split(usentences *out, const uint32_t *s, size_t n, uint32_t sep,
                      void (*words_of)(utoks *out, const uint32_t *piece, size_t n));
void usentences_free(usentences *t);

// str.strip() with no argument.
utok py_strip(const uint32_t *s, size_t n);
// Index of the first occurrence of needle in hay (str.find), or -1.
long ustr_find(const uint32_t *hay, size_t nh, const uint32_t *needle, size_t nn);
long ustr_find_ascii(const uint32_t *hay, size_t nh, const char *needle);
int ustr_starts_with(const uint32_t *s, size_t n, const uint32_t *prefix, size_t np);
// s = s.replace(from, to) for ASCII from/to (non-overlapping, left to right, as Python).
void ustr_replace_ascii(ustr *s, const char *from, const char *to);

// Gives equal tokens equal ids 0..k-1 (ids[i] for toks[i]); returns k, the number of distinct tokens.
int tokens_intern(const utok *toks, size_t n, int *ids);

// LongBench normalize_answer(s).split(): lower-case, drop string.punctuation, replace the words
// a/an/the by a space, split on whitespace. Tokens point into buf.
void normalize_answer_tokens(const char *s, ustr *buf, utoks *tokens);

// collections.Counter intersection F1 of two token-id lists (LongBench f1_score); 0 when nothing
// is shared (which also covers an empty list).
double bag_f1(const int *pred, size_t n_pred, const int *gold, size_t n_gold, int n_ids);
// Size of the Counter intersection of the two lists (0 when either is empty).
size_t bag_common(const int *pred, size_t n_pred, const int *gold, size_t n_gold, int n_ids);

// Longest-common-subsequence length table, (nx+1) x (ny+1) row-major: t[i*(ny+1)+j] is the LCS
// length of x[0..i) and y[0..j). Caller frees.
int *lcs_table(const int *x, size_t nx, const int *y, size_t ny);

// difflib.SequenceMatcher(None, a, b).ratio(), including difflib's default autojunk rule
// (when b has 200+ elements, elements occurring more than 1% + 1 times never start a match).
double sequence_matcher_ratio(const uint32_t *a, size_t na, const uint32_t *b, size_t nb);

// The InfiniteBench scorers (metrics_infinitebench.c), reached through metric_score_labels().
double infinitebench_score_labels(metric_kind m, const char *prediction, const char *const *labels, int n_labels);

#endif
