// Python str semantics for the benchmark metrics: UTF-8 -> code points, whitespace splitting,
// lower-casing, LongBench's normalize_answer, bag-of-tokens F1, LCS tables and difflib's
// SequenceMatcher ratio. See metrics_text.h.
#include "bench/tasks/metrics_text.h"

#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/base/utf8.h"

// ---------------------------------------------------------------------------------------------
// Code-point strings

// Strings filled by these helpers always own a buffer, so an empty one is never a NULL pointer
// (which memmove/memcmp must not get, even with a zero length).
static void ustr_reserve(ustr *s, size_t extra) {
    if (s->n + extra <= s->cap && s->cp) return;
    size_t cap = s->cap ? s->cap : 64;
    while (cap < s->n + extra) cap *= 2;
    s->cp = pcb_realloc(s->cp, cap * sizeof *s->cp);
    s->cap = cap;
}

void ustr_push(ustr *s, uint32_t c) {
    ustr_reserve(s, 1);
    s->cp[s->n++] = c;
}

void ustr_append(ustr *s, const uint32_t *cp, size_t n) {
    ustr_reserve(s, n);
    for (size_t i = 0; i < n; i++) s->cp[s->n++] = cp[i];
}

void ustr_free(ustr *s) {
    free(s->cp);
    s->cp = NULL;
    s->n = s->cap = 0;
}

// utf8_get() accepts overlong forms and encoded surrogates; Python's decoder does not, so those
// bytes are escaped like any other invalid byte.
static int strict_utf8(size_t len, uint32_t cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
    if (len == 2) return cp >= 0x80;
    if (len == 3) return cp >= 0x800;
    if (len == 4) return cp >= 0x10000 && cp <= 0x10FFFF;
    return 1;
}

void ustr_from_utf8(ustr *out, const char *s) {
    out->n = 0;
    const unsigned char *p = (const unsigned char *)s;
    size_t avail = strlen(s);
    ustr_reserve(out, avail);  // never more code points than bytes
    while (avail) {
        uint32_t c = 0;
        size_t len = utf8_get(p, avail, &c);
        if (len == 0 || !strict_utf8(len, c)) c = 0xDC00 + *p, len = 1;  // surrogateescape
        ustr_push(out, c);
        p += len, avail -= len;
    }
}

// ---------------------------------------------------------------------------------------------
// Case mapping

static int is_letter(uint32_t c) { return c != '_' && py_isword(c) && py_decimal(c) < 0; }

static uint32_t lower_one(uint32_t c);  // table lookup, at the end of the file

// Python lowers U+03A3 to final sigma when it ends a word ("cased letter, case-ignorables, Σ,
// no cased letter after"). Approximated: a letter right before it and none right after.
void py_lower(ustr *out, const uint32_t *s, size_t n) {
    ustr_reserve(out, n);
    for (size_t i = 0; i < n; i++) {
        uint32_t c = s[i];
        if (c < 0x80) {
            ustr_push(out, c >= 'A' && c <= 'Z' ? c + 32 : c);
        } else if (c == 0x130) {  // İ -> i + combining dot above: the one two-code-point lower()
            ustr_push(out, 'i');
            ustr_push(out, 0x307);
        } else if (c == 0x3A3) {
            int final = i > 0 && is_letter(s[i - 1]) && !(i + 1 < n && is_letter(s[i + 1]));
            ustr_push(out, final ? 0x3C2 : 0x3C3);
        } else {
            ustr_push(out, lower_one(c));
        }
    }
}

void py_upper_to_ascii(ustr *out, const uint32_t *s, size_t n) {
    ustr_reserve(out, n);
    for (size_t i = 0; i < n; i++) {
        uint32_t c = s[i];
        const char *up = NULL;
        switch (c) {
        case 0xDF:
            up = "SS";
            break;
        case 0x131:
            up = "I";
            break;
        case 0x17F:
            up = "S";
            break;
        case 0xFB00:
            up = "FF";
            break;
        case 0xFB01:
            up = "FI";
            break;
        case 0xFB02:
            up = "FL";
            break;
        case 0xFB03:
            up = "FFI";
            break;
        case 0xFB04:
            up = "FFL";
            break;
        case 0xFB05:
        case 0xFB06:
            up = "ST";
            break;
        }
        if (up) {
            for (; *up; up++) ustr_push(out, (unsigned char)*up);
        } else {
            ustr_push(out, c >= 'a' && c <= 'z' ? c - 32 : c);
        }
    }
}

int py_is_ascii_punct(uint32_t c) {
    static const char punct[] = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";  // string.punctuation
    return c > 0 && c < 0x80 && memchr(punct, (int)c, sizeof punct - 1) != NULL;
}

// ---------------------------------------------------------------------------------------------
// Tokens and searching

void utoks_push(utoks *t, const uint32_t *p, size_t n) {
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 32;
        t->v = pcb_realloc(t->v, t->cap * sizeof *t->v);
    }
    t->v[t->n++] = (utok){p, n};
}

void utoks_free(utoks *t) {
    free(t->v);
    t->v = NULL;
    t->n = t->cap = 0;
}

int utok_eq(utok a, utok b) { return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n * sizeof *a.p) == 0); }

int utok_eq_ascii(utok a, const char *s) {
    size_t n = strlen(s);
    if (a.n != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (a.p[i] != (unsigned char)s[i]) return 0;
    return 1;
}

void py_split(utoks *out, const uint32_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        while (i < n && py_isspace(s[i])) i++;
        size_t start = i;
        while (i < n && !py_isspace(s[i])) i++;
        if (i > start) utoks_push(out, s + start, i - start);
    }
}

void usentences_split(usentences *out, const uint32_t *s, size_t n, uint32_t sep,
                      void (*words_of)(utoks *out, const uint32_t *piece, size_t n)) {
    size_t cap = 16;
    *out = (usentences){.first = pcb_malloc(cap * sizeof *out->first)};
    for (size_t start = 0; start <= n;) {
        size_t end = start;
        while (end < n && s[end] != sep) end++;
        if (end > start) {
            if (out->n_sent + 2 > cap) out->first = pcb_realloc(out->first, (cap *= 2) * sizeof *out->first);
            out->first[out->n_sent++] = out->words.n;
            words_of(&out->words, s + start, end - start);
        }
        start = end + 1;
    }
    out->first[out->n_sent] = out->words.n;
}

void usentences_free(usentences *t) {
    utoks_free(&t->words);
    free(t->first);
    *t = (usentences){0};
}

utok py_strip(const uint32_t *s, size_t n) {
    size_t lo = 0, hi = n;
    while (lo < hi && py_isspace(s[lo])) lo++;
    while (hi > lo && py_isspace(s[hi - 1])) hi--;
    return (utok){s + lo, hi - lo};
}

long ustr_find(const uint32_t *hay, size_t nh, const uint32_t *needle, size_t nn) {
    if (nn > nh) return -1;
    for (size_t i = 0; i + nn <= nh; i++)
        if (nn == 0 || memcmp(hay + i, needle, nn * sizeof *hay) == 0) return (long)i;
    return -1;
}

long ustr_find_ascii(const uint32_t *hay, size_t nh, const char *needle) {
    size_t nn = strlen(needle);
    for (size_t i = 0; i + nn <= nh; i++) {
        size_t k = 0;
        while (k < nn && hay[i + k] == (unsigned char)needle[k]) k++;
        if (k == nn) return (long)i;
    }
    return -1;
}

int ustr_starts_with(const uint32_t *s, size_t n, const uint32_t *prefix, size_t np) {
    return np <= n && (np == 0 || memcmp(s, prefix, np * sizeof *s) == 0);
}

void ustr_replace_ascii(ustr *s, const char *from, const char *to) {
    size_t nf = strlen(from), nt = strlen(to);
    if (nf == 0 || ustr_find_ascii(s->cp, s->n, from) < 0) return;
    ustr out = {0};
    size_t i = 0;
    while (i < s->n) {
        size_t k = 0;
        while (k < nf && i + k < s->n && s->cp[i + k] == (unsigned char)from[k]) k++;
        if (k == nf) {
            for (size_t t = 0; t < nt; t++) ustr_push(&out, (unsigned char)to[t]);
            i += nf;
        } else {
            ustr_push(&out, s->cp[i++]);
        }
    }
    ustr_free(s);
    *s = out;
}

typedef struct {
    utok tok;
    size_t index;
} tok_ref;

static int cmp_tok_ref(const void *pa, const void *pb) {
    const tok_ref *a = pa, *b = pb;
    size_t n = a->tok.n < b->tok.n ? a->tok.n : b->tok.n;
    for (size_t i = 0; i < n; i++)
        if (a->tok.p[i] != b->tok.p[i]) return a->tok.p[i] < b->tok.p[i] ? -1 : 1;
    if (a->tok.n != b->tok.n) return a->tok.n < b->tok.n ? -1 : 1;
    return 0;
}

// Sorting groups equal tokens; a hash table would be faster but answers are short.
int tokens_intern(const utok *toks, size_t n, int *ids) {
    if (n == 0) return 0;
    tok_ref *refs = pcb_malloc(n * sizeof *refs);
    for (size_t i = 0; i < n; i++) refs[i] = (tok_ref){toks[i], i};
    qsort(refs, n, sizeof *refs, cmp_tok_ref);
    int next = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && !utok_eq(refs[i].tok, refs[i - 1].tok)) next++;
        ids[refs[i].index] = next;
    }
    free(refs);
    return next + 1;
}

// ---------------------------------------------------------------------------------------------
// LongBench normalize_answer and f1_score

static int is_article(const uint32_t *w, size_t n) {
    utok t = {w, n};
    return utok_eq_ascii(t, "a") || utok_eq_ascii(t, "an") || utok_eq_ascii(t, "the");
}

// white_space_fix(remove_articles(remove_punc(lower(s)))).split(): the join in white_space_fix
// does not change what split() returns, so it is skipped.
void normalize_answer_tokens(const char *s, ustr *buf, utoks *tokens) {
    ustr raw = {0}, low = {0};
    ustr_from_utf8(&raw, s);
    py_lower(&low, raw.cp, raw.n);
    size_t n = 0;  // remove_punc in place
    for (size_t i = 0; i < low.n; i++)
        if (!py_is_ascii_punct(low.cp[i])) low.cp[n++] = low.cp[i];
    low.n = n;
    // re.sub(r"\b(a|an|the)\b", " ", text): an article is a whole run of word characters.
    buf->n = 0;
    ustr_reserve(buf, low.n);
    for (size_t i = 0; i < low.n;) {
        if (!py_isword(low.cp[i])) {
            ustr_push(buf, low.cp[i++]);
            continue;
        }
        size_t j = i;
        while (j < low.n && py_isword(low.cp[j])) j++;
        if (is_article(low.cp + i, j - i)) ustr_push(buf, ' ');
        else ustr_append(buf, low.cp + i, j - i);
        i = j;
    }
    tokens->n = 0;
    py_split(tokens, buf->cp, buf->n);
    ustr_free(&raw);
    ustr_free(&low);
}

size_t bag_common(const int *pred, size_t n_pred, const int *gold, size_t n_gold, int n_ids) {
    if (n_pred == 0 || n_gold == 0 || n_ids <= 0) return 0;
    int *count = pcb_calloc((size_t)n_ids, sizeof *count);
    for (size_t i = 0; i < n_gold; i++) count[gold[i]]++;
    size_t same = 0;
    for (size_t i = 0; i < n_pred; i++)
        if (count[pred[i]] > 0) count[pred[i]]--, same++;  // min(count_pred, count_gold) per token
    free(count);
    return same;
}

double bag_f1(const int *pred, size_t n_pred, const int *gold, size_t n_gold, int n_ids) {
    size_t same = bag_common(pred, n_pred, gold, n_gold, n_ids);
    if (same == 0) return 0.0;
    // Same operation order as Python: 1.0 * num_same / len(...), then (2 * p * r) / (p + r).
    double precision = 1.0 * (double)same / (double)n_pred;
    double recall = 1.0 * (double)same / (double)n_gold;
    return (2 * precision * recall) / (precision + recall);
}

// ---------------------------------------------------------------------------------------------
// LCS and difflib

int *lcs_table(const int *x, size_t nx, const int *y, size_t ny) {
    size_t w = ny + 1;
    int *t = pcb_calloc((nx + 1) * w, sizeof *t);
    for (size_t i = 1; i <= nx; i++)
        for (size_t j = 1; j <= ny; j++) {
            int up = t[(i - 1) * w + j], left = t[i * w + j - 1];
            t[i * w + j] = x[i - 1] == y[j - 1] ? t[(i - 1) * w + j - 1] + 1 : (up > left ? up : left);
        }
    return t;
}

// difflib's b2j: for each distinct element of b, its positions in increasing order. Stored as the
// positions of b sorted by (element, position); popular elements are dropped (autojunk).
typedef struct {
    const uint32_t *a, *b;
    size_t na, nb;
    size_t *pos;  // positions of b sorted by (b[pos], pos), popular elements removed
    size_t npos;
    int *prev_len, *cur_len;  // j2len / newj2len, indexed by j, zero outside the touched entries
    size_t *prev_touched, *cur_touched;
    size_t n_prev, n_cur;
} seq_matcher;

typedef struct {
    uint32_t elem;
    size_t pos;
} elem_pos;

static int cmp_elem_pos(const void *pa, const void *pb) {
    const elem_pos *x = pa, *y = pb;
    if (x->elem != y->elem) return x->elem < y->elem ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

// Positions of element c in b: sm->pos[*lo .. *hi).
static void b2j_lookup(const seq_matcher *sm, uint32_t c, size_t *lo, size_t *hi) {
    size_t l = 0, h = sm->npos;
    while (l < h) {
        size_t m = (l + h) / 2;
        if (sm->b[sm->pos[m]] < c) l = m + 1;
        else h = m;
    }
    *lo = l;
    h = sm->npos;
    while (l < h) {
        size_t m = (l + h) / 2;
        if (sm->b[sm->pos[m]] <= c) l = m + 1;
        else h = m;
    }
    *hi = l;
}

static void find_longest_match(seq_matcher *sm, size_t alo, size_t ahi, size_t blo, size_t bhi, size_t *out_i,
                               size_t *out_j, size_t *out_k) {
    const uint32_t *a = sm->a, *b = sm->b;
    size_t besti = alo, bestj = blo, bestsize = 0;
    for (size_t i = alo; i < ahi; i++) {
        size_t lo, hi;
        b2j_lookup(sm, a[i], &lo, &hi);
        for (size_t p = lo; p < hi; p++) {
            size_t j = sm->pos[p];
            if (j < blo) continue;
            if (j >= bhi) break;
            int k = (j > 0 ? sm->prev_len[j - 1] : 0) + 1;
            sm->cur_len[j] = k;
            sm->cur_touched[sm->n_cur++] = j;
            if ((size_t)k > bestsize) besti = i - k + 1, bestj = j - k + 1, bestsize = (size_t)k;
        }
        for (size_t t = 0; t < sm->n_prev; t++) sm->prev_len[sm->prev_touched[t]] = 0;
        int *tl = sm->prev_len;
        sm->prev_len = sm->cur_len;
        sm->cur_len = tl;
        size_t *tt = sm->prev_touched;
        sm->prev_touched = sm->cur_touched;
        sm->cur_touched = tt;
        sm->n_prev = sm->n_cur;
        sm->n_cur = 0;
    }
    for (size_t t = 0; t < sm->n_prev; t++) sm->prev_len[sm->prev_touched[t]] = 0;
    sm->n_prev = 0;
    // Popular elements never start a match but may extend one (they are not "junk").
    while (besti > alo && bestj > blo && a[besti - 1] == b[bestj - 1]) besti--, bestj--, bestsize++;
    while (besti + bestsize < ahi && bestj + bestsize < bhi && a[besti + bestsize] == b[bestj + bestsize]) bestsize++;
    *out_i = besti, *out_j = bestj, *out_k = bestsize;
}

double sequence_matcher_ratio(const uint32_t *a, size_t na, const uint32_t *b, size_t nb) {
    if (na + nb == 0) return 1.0;
    seq_matcher sm = {.a = a, .b = b, .na = na, .nb = nb};
    elem_pos *order = pcb_malloc((nb + 1) * sizeof *order);
    for (size_t j = 0; j < nb; j++) order[j] = (elem_pos){b[j], j};
    qsort(order, nb, sizeof *order, cmp_elem_pos);
    sm.pos = pcb_malloc((nb + 1) * sizeof *sm.pos);
    for (size_t j = 0; j < nb; j++) sm.pos[j] = order[j].pos;
    free(order);
    sm.npos = nb;
    if (nb >= 200) {  // autojunk: drop elements that occur more than nb/100 + 1 times
        size_t ntest = nb / 100 + 1, kept = 0;
        for (size_t s = 0; s < nb;) {
            size_t e = s;
            while (e < nb && b[sm.pos[e]] == b[sm.pos[s]]) e++;
            if (e - s <= ntest)
                for (size_t k = s; k < e; k++) sm.pos[kept++] = sm.pos[k];
            s = e;
        }
        sm.npos = kept;
    }
    sm.prev_len = pcb_calloc(nb + 1, sizeof *sm.prev_len);
    sm.cur_len = pcb_calloc(nb + 1, sizeof *sm.cur_len);
    sm.prev_touched = pcb_malloc((nb + 1) * sizeof *sm.prev_touched);
    sm.cur_touched = pcb_malloc((nb + 1) * sizeof *sm.cur_touched);

    // get_matching_blocks(): recurse left and right of each longest match (a stack of ranges).
    // Only the total matched length matters for ratio(), so the visiting order is irrelevant.
    size_t cap = 64, top = 0, matches = 0;
    size_t(*stack)[4] = pcb_malloc(cap * sizeof *stack);
    stack[top][0] = 0, stack[top][1] = na, stack[top][2] = 0, stack[top][3] = nb, top++;
    while (top) {
        top--;
        size_t alo = stack[top][0], ahi = stack[top][1], blo = stack[top][2], bhi = stack[top][3];
        size_t i, j, k;
        find_longest_match(&sm, alo, ahi, blo, bhi, &i, &j, &k);
        if (!k) continue;
        matches += k;
        if (top + 2 > cap) stack = pcb_realloc(stack, (cap *= 2) * sizeof *stack);
        if (alo < i && blo < j) stack[top][0] = alo, stack[top][1] = i, stack[top][2] = blo, stack[top][3] = j, top++;
        if (i + k < ahi && j + k < bhi)
            stack[top][0] = i + k, stack[top][1] = ahi, stack[top][2] = j + k, stack[top][3] = bhi, top++;
    }
    free(stack);
    free(sm.pos), free(sm.prev_len), free(sm.cur_len), free(sm.prev_touched), free(sm.cur_touched);
    return 2.0 * (double)matches / (double)(na + nb);
}

// ---------------------------------------------------------------------------------------------
// Unicode properties

int py_isspace(uint32_t c) {
    if (c < 0x80) return (c >= 9 && c <= 13) || (c >= 28 && c <= 32);
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

struct lower_run {
    uint32_t first;
    uint16_t count;
    uint8_t stride;
    int32_t delta;
};

// ---- generated by tests/golden/make_metric_golden.py --unicode-tables (Python 3.11.7, Unicode 14.0.0) ----
// Regex \w: str.isalnum() or '_' (unassigned code points merged into neighbouring ranges).
static const uint32_t word_ranges[][2] = {
    {0x30, 0x39},       {0x41, 0x5A},       {0x5F, 0x5F},       {0x61, 0x7A},       {0xAA, 0xAA},
    {0xB2, 0xB3},       {0xB5, 0xB5},       {0xB9, 0xBA},       {0xBC, 0xBE},       {0xC0, 0xD6},
    {0xD8, 0xF6},       {0xF8, 0x2C1},      {0x2C6, 0x2D1},     {0x2E0, 0x2E4},     {0x2EC, 0x2EC},
    {0x2EE, 0x2EE},     {0x370, 0x374},     {0x376, 0x37D},     {0x37F, 0x37F},     {0x386, 0x386},
    {0x388, 0x3F5},     {0x3F7, 0x481},     {0x48A, 0x559},     {0x560, 0x588},     {0x5D0, 0x5F2},
    {0x620, 0x64A},     {0x660, 0x669},     {0x66E, 0x66F},     {0x671, 0x6D3},     {0x6D5, 0x6D5},
    {0x6E5, 0x6E6},     {0x6EE, 0x6FC},     {0x6FF, 0x6FF},     {0x710, 0x710},     {0x712, 0x72F},
    {0x74D, 0x7A5},     {0x7B1, 0x7EA},     {0x7F4, 0x7F5},     {0x7FA, 0x7FA},     {0x800, 0x815},
    {0x81A, 0x81A},     {0x824, 0x824},     {0x828, 0x828},     {0x840, 0x858},     {0x860, 0x887},
    {0x889, 0x88E},     {0x8A0, 0x8C9},     {0x904, 0x939},     {0x93D, 0x93D},     {0x950, 0x950},
    {0x958, 0x961},     {0x966, 0x96F},     {0x971, 0x980},     {0x985, 0x9B9},     {0x9BD, 0x9BD},
    {0x9CE, 0x9CE},     {0x9DC, 0x9E1},     {0x9E6, 0x9F1},     {0x9F4, 0x9F9},     {0x9FC, 0x9FC},
    {0xA05, 0xA39},     {0xA59, 0xA6F},     {0xA72, 0xA74},     {0xA85, 0xAB9},     {0xABD, 0xABD},
    {0xAD0, 0xAE1},     {0xAE6, 0xAEF},     {0xAF9, 0xAF9},     {0xB05, 0xB39},     {0xB3D, 0xB3D},
    {0xB5C, 0xB61},     {0xB66, 0xB6F},     {0xB71, 0xB77},     {0xB83, 0xBB9},     {0xBD0, 0xBD0},
    {0xBE6, 0xBF2},     {0xC05, 0xC39},     {0xC3D, 0xC3D},     {0xC58, 0xC61},     {0xC66, 0xC6F},
    {0xC78, 0xC7E},     {0xC80, 0xC80},     {0xC85, 0xCB9},     {0xCBD, 0xCBD},     {0xCDD, 0xCE1},
    {0xCE6, 0xCF2},     {0xD04, 0xD3A},     {0xD3D, 0xD3D},     {0xD4E, 0xD4E},     {0xD54, 0xD56},
    {0xD58, 0xD61},     {0xD66, 0xD78},     {0xD7A, 0xD7F},     {0xD85, 0xDC6},     {0xDE6, 0xDEF},
    {0xE01, 0xE30},     {0xE32, 0xE33},     {0xE40, 0xE46},     {0xE50, 0xE59},     {0xE81, 0xEB0},
    {0xEB2, 0xEB3},     {0xEBD, 0xEC6},     {0xED0, 0xF00},     {0xF20, 0xF33},     {0xF40, 0xF6C},
    {0xF88, 0xF8C},     {0x1000, 0x102A},   {0x103F, 0x1049},   {0x1050, 0x1055},   {0x105A, 0x105D},
    {0x1061, 0x1061},   {0x1065, 0x1066},   {0x106E, 0x1070},   {0x1075, 0x1081},   {0x108E, 0x108E},
    {0x1090, 0x1099},   {0x10A0, 0x10FA},   {0x10FC, 0x135A},   {0x1369, 0x138F},   {0x13A0, 0x13FD},
    {0x1401, 0x166C},   {0x166F, 0x167F},   {0x1681, 0x169A},   {0x16A0, 0x16EA},   {0x16EE, 0x1711},
    {0x171F, 0x1731},   {0x1740, 0x1751},   {0x1760, 0x1770},   {0x1780, 0x17B3},   {0x17D7, 0x17D7},
    {0x17DC, 0x17DC},   {0x17E0, 0x17F9},   {0x1810, 0x1884},   {0x1887, 0x18A8},   {0x18AA, 0x191E},
    {0x1946, 0x19DA},   {0x1A00, 0x1A16},   {0x1A20, 0x1A54},   {0x1A80, 0x1A99},   {0x1AA7, 0x1AA7},
    {0x1B05, 0x1B33},   {0x1B45, 0x1B59},   {0x1B83, 0x1BA0},   {0x1BAE, 0x1BE5},   {0x1C00, 0x1C23},
    {0x1C40, 0x1C7D},   {0x1C80, 0x1CBF},   {0x1CE9, 0x1CEC},   {0x1CEE, 0x1CF3},   {0x1CF5, 0x1CF6},
    {0x1CFA, 0x1DBF},   {0x1E00, 0x1FBC},   {0x1FBE, 0x1FBE},   {0x1FC2, 0x1FCC},   {0x1FD0, 0x1FDB},
    {0x1FE0, 0x1FEC},   {0x1FF2, 0x1FFC},   {0x2070, 0x2079},   {0x207F, 0x2089},   {0x2090, 0x209C},
    {0x2102, 0x2102},   {0x2107, 0x2107},   {0x210A, 0x2113},   {0x2115, 0x2115},   {0x2119, 0x211D},
    {0x2124, 0x2124},   {0x2126, 0x2126},   {0x2128, 0x2128},   {0x212A, 0x212D},   {0x212F, 0x2139},
    {0x213C, 0x213F},   {0x2145, 0x2149},   {0x214E, 0x214E},   {0x2150, 0x2189},   {0x2460, 0x249B},
    {0x24EA, 0x24FF},   {0x2776, 0x2793},   {0x2C00, 0x2CE4},   {0x2CEB, 0x2CEE},   {0x2CF2, 0x2CF3},
    {0x2CFD, 0x2CFD},   {0x2D00, 0x2D6F},   {0x2D80, 0x2DDE},   {0x2E2F, 0x2E2F},   {0x3005, 0x3007},
    {0x3021, 0x3029},   {0x3031, 0x3035},   {0x3038, 0x303C},   {0x3041, 0x3096},   {0x309D, 0x309F},
    {0x30A1, 0x30FA},   {0x30FC, 0x318E},   {0x3192, 0x3195},   {0x31A0, 0x31BF},   {0x31F0, 0x31FF},
    {0x3220, 0x3229},   {0x3248, 0x324F},   {0x3251, 0x325F},   {0x3280, 0x3289},   {0x32B1, 0x32BF},
    {0x3400, 0x4DBF},   {0x4E00, 0xA48C},   {0xA4D0, 0xA4FD},   {0xA500, 0xA60C},   {0xA610, 0xA66E},
    {0xA67F, 0xA69D},   {0xA6A0, 0xA6EF},   {0xA717, 0xA71F},   {0xA722, 0xA788},   {0xA78B, 0xA801},
    {0xA803, 0xA805},   {0xA807, 0xA80A},   {0xA80C, 0xA822},   {0xA830, 0xA835},   {0xA840, 0xA873},
    {0xA882, 0xA8B3},   {0xA8D0, 0xA8D9},   {0xA8F2, 0xA8F7},   {0xA8FB, 0xA8FB},   {0xA8FD, 0xA8FE},
    {0xA900, 0xA925},   {0xA930, 0xA946},   {0xA960, 0xA97C},   {0xA984, 0xA9B2},   {0xA9CF, 0xA9D9},
    {0xA9E0, 0xA9E4},   {0xA9E6, 0xAA28},   {0xAA40, 0xAA42},   {0xAA44, 0xAA4B},   {0xAA50, 0xAA59},
    {0xAA60, 0xAA76},   {0xAA7A, 0xAA7A},   {0xAA7E, 0xAAAF},   {0xAAB1, 0xAAB1},   {0xAAB5, 0xAAB6},
    {0xAAB9, 0xAABD},   {0xAAC0, 0xAAC0},   {0xAAC2, 0xAADD},   {0xAAE0, 0xAAEA},   {0xAAF2, 0xAAF4},
    {0xAB01, 0xAB5A},   {0xAB5C, 0xAB69},   {0xAB70, 0xABE2},   {0xABF0, 0xD7FB},   {0xF900, 0xFB1D},
    {0xFB1F, 0xFB28},   {0xFB2A, 0xFBB1},   {0xFBD3, 0xFD3D},   {0xFD50, 0xFDC7},   {0xFDF0, 0xFDFB},
    {0xFE70, 0xFEFC},   {0xFF10, 0xFF19},   {0xFF21, 0xFF3A},   {0xFF41, 0xFF5A},   {0xFF66, 0xFFDC},
    {0x10000, 0x100FA}, {0x10107, 0x10133}, {0x10140, 0x10178}, {0x1018A, 0x1018B}, {0x10280, 0x102D0},
    {0x102E1, 0x10375}, {0x10380, 0x1039D}, {0x103A0, 0x103CF}, {0x103D1, 0x10563}, {0x10570, 0x10855},
    {0x10858, 0x10876}, {0x10879, 0x1091B}, {0x10920, 0x10939}, {0x10980, 0x10A00}, {0x10A10, 0x10A35},
    {0x10A40, 0x10A48}, {0x10A60, 0x10A7E}, {0x10A80, 0x10AC7}, {0x10AC9, 0x10AE4}, {0x10AEB, 0x10AEF},
    {0x10B00, 0x10B35}, {0x10B40, 0x10B91}, {0x10BA9, 0x10D23}, {0x10D30, 0x10EA9}, {0x10EB0, 0x10F45},
    {0x10F51, 0x10F54}, {0x10F70, 0x10F81}, {0x10FB0, 0x10FF6}, {0x11003, 0x11037}, {0x11052, 0x1106F},
    {0x11071, 0x11072}, {0x11075, 0x11075}, {0x11083, 0x110AF}, {0x110D0, 0x110F9}, {0x11103, 0x11126},
    {0x11136, 0x1113F}, {0x11144, 0x11144}, {0x11147, 0x11172}, {0x11176, 0x11176}, {0x11183, 0x111B2},
    {0x111C1, 0x111C4}, {0x111D0, 0x111DA}, {0x111DC, 0x111DC}, {0x111E1, 0x1122B}, {0x11280, 0x112A8},
    {0x112B0, 0x112DE}, {0x112F0, 0x112F9}, {0x11305, 0x11339}, {0x1133D, 0x1133D}, {0x11350, 0x11350},
    {0x1135D, 0x11361}, {0x11400, 0x11434}, {0x11447, 0x1144A}, {0x11450, 0x11459}, {0x1145F, 0x114AF},
    {0x114C4, 0x114C5}, {0x114C7, 0x115AE}, {0x115D8, 0x115DB}, {0x11600, 0x1162F}, {0x11644, 0x11659},
    {0x11680, 0x116AA}, {0x116B8, 0x116B8}, {0x116C0, 0x1171A}, {0x11730, 0x1173B}, {0x11740, 0x1182B},
    {0x118A0, 0x1192F}, {0x1193F, 0x1193F}, {0x11941, 0x11941}, {0x11950, 0x119D0}, {0x119E1, 0x119E1},
    {0x119E3, 0x119E3}, {0x11A00, 0x11A00}, {0x11A0B, 0x11A32}, {0x11A3A, 0x11A3A}, {0x11A50, 0x11A50},
    {0x11A5C, 0x11A89}, {0x11A9D, 0x11A9D}, {0x11AB0, 0x11C2E}, {0x11C40, 0x11C40}, {0x11C50, 0x11C6C},
    {0x11C72, 0x11C8F}, {0x11D00, 0x11D30}, {0x11D46, 0x11D46}, {0x11D50, 0x11D89}, {0x11D98, 0x11EF2},
    {0x11FB0, 0x11FD4}, {0x12000, 0x1246E}, {0x12480, 0x12FF0}, {0x13000, 0x1342E}, {0x14400, 0x16A69},
    {0x16A70, 0x16AED}, {0x16B00, 0x16B2F}, {0x16B40, 0x16B43}, {0x16B50, 0x16E96}, {0x16F00, 0x16F4A},
    {0x16F50, 0x16F50}, {0x16F93, 0x16FE1}, {0x16FE3, 0x16FE3}, {0x17000, 0x1BC99}, {0x1D2E0, 0x1D2F3},
    {0x1D360, 0x1D6C0}, {0x1D6C2, 0x1D6DA}, {0x1D6DC, 0x1D6FA}, {0x1D6FC, 0x1D714}, {0x1D716, 0x1D734},
    {0x1D736, 0x1D74E}, {0x1D750, 0x1D76E}, {0x1D770, 0x1D788}, {0x1D78A, 0x1D7A8}, {0x1D7AA, 0x1D7C2},
    {0x1D7C4, 0x1D7FF}, {0x1DF00, 0x1DF1E}, {0x1E100, 0x1E12C}, {0x1E137, 0x1E14E}, {0x1E290, 0x1E2AD},
    {0x1E2C0, 0x1E2EB}, {0x1E2F0, 0x1E2F9}, {0x1E7E0, 0x1E8CF}, {0x1E900, 0x1E943}, {0x1E94B, 0x1E959},
    {0x1EC71, 0x1ECAB}, {0x1ECAD, 0x1ECAF}, {0x1ECB1, 0x1ED2D}, {0x1ED2F, 0x1EEBB}, {0x1F100, 0x1F10C},
    {0x1FBF0, 0x3134A},
};
// str.isdecimal() (regex \d); every range starts at a digit zero.
static const uint32_t decimal_ranges[][2] = {
    {0x30, 0x39},       {0x660, 0x669},     {0x6F0, 0x6F9},     {0x7C0, 0x7C9},     {0x966, 0x96F},
    {0x9E6, 0x9EF},     {0xA66, 0xA6F},     {0xAE6, 0xAEF},     {0xB66, 0xB6F},     {0xBE6, 0xBEF},
    {0xC66, 0xC6F},     {0xCE6, 0xCEF},     {0xD66, 0xD6F},     {0xDE6, 0xDEF},     {0xE50, 0xE59},
    {0xED0, 0xED9},     {0xF20, 0xF29},     {0x1040, 0x1049},   {0x1090, 0x1099},   {0x17E0, 0x17E9},
    {0x1810, 0x1819},   {0x1946, 0x194F},   {0x19D0, 0x19D9},   {0x1A80, 0x1A89},   {0x1A90, 0x1A99},
    {0x1B50, 0x1B59},   {0x1BB0, 0x1BB9},   {0x1C40, 0x1C49},   {0x1C50, 0x1C59},   {0xA620, 0xA629},
    {0xA8D0, 0xA8D9},   {0xA900, 0xA909},   {0xA9D0, 0xA9D9},   {0xA9F0, 0xA9F9},   {0xAA50, 0xAA59},
    {0xABF0, 0xABF9},   {0xFF10, 0xFF19},   {0x104A0, 0x104A9}, {0x10D30, 0x10D39}, {0x11066, 0x1106F},
    {0x110F0, 0x110F9}, {0x11136, 0x1113F}, {0x111D0, 0x111D9}, {0x112F0, 0x112F9}, {0x11450, 0x11459},
    {0x114D0, 0x114D9}, {0x11650, 0x11659}, {0x116C0, 0x116C9}, {0x11730, 0x11739}, {0x118E0, 0x118E9},
    {0x11950, 0x11959}, {0x11C50, 0x11C59}, {0x11D50, 0x11D59}, {0x11DA0, 0x11DA9}, {0x16A60, 0x16A69},
    {0x16AC0, 0x16AC9}, {0x16B50, 0x16B59}, {0x1D7CE, 0x1D7FF}, {0x1E140, 0x1E149}, {0x1E2F0, 0x1E2F9},
    {0x1E950, 0x1E959}, {0x1FBF0, 0x1FBF9},
};
// str.lower() with a one-code-point result: {first, count, stride, delta}.
static const struct lower_run lower_runs[] = {
    {0x41, 26, 1, 32},      {0xC0, 23, 1, 32},      {0xD8, 7, 1, 32},       {0x100, 24, 2, 1},
    {0x132, 3, 2, 1},       {0x139, 8, 2, 1},       {0x14A, 23, 2, 1},      {0x178, 1, 1, -121},
    {0x179, 3, 2, 1},       {0x181, 1, 1, 210},     {0x182, 2, 2, 1},       {0x186, 1, 1, 206},
    {0x187, 1, 1, 1},       {0x189, 2, 1, 205},     {0x18B, 1, 1, 1},       {0x18E, 1, 1, 79},
    {0x18F, 1, 1, 202},     {0x190, 1, 1, 203},     {0x191, 1, 1, 1},       {0x193, 1, 1, 205},
    {0x194, 1, 1, 207},     {0x196, 1, 1, 211},     {0x197, 1, 1, 209},     {0x198, 1, 1, 1},
    {0x19C, 1, 1, 211},     {0x19D, 1, 1, 213},     {0x19F, 1, 1, 214},     {0x1A0, 3, 2, 1},
    {0x1A6, 1, 1, 218},     {0x1A7, 1, 1, 1},       {0x1A9, 1, 1, 218},     {0x1AC, 1, 1, 1},
    {0x1AE, 1, 1, 218},     {0x1AF, 1, 1, 1},       {0x1B1, 2, 1, 217},     {0x1B3, 2, 2, 1},
    {0x1B7, 1, 1, 219},     {0x1B8, 1, 1, 1},       {0x1BC, 1, 1, 1},       {0x1C4, 1, 1, 2},
    {0x1C5, 1, 1, 1},       {0x1C7, 1, 1, 2},       {0x1C8, 1, 1, 1},       {0x1CA, 1, 1, 2},
    {0x1CB, 9, 2, 1},       {0x1DE, 9, 2, 1},       {0x1F1, 1, 1, 2},       {0x1F2, 2, 2, 1},
    {0x1F6, 1, 1, -97},     {0x1F7, 1, 1, -56},     {0x1F8, 20, 2, 1},      {0x220, 1, 1, -130},
    {0x222, 9, 2, 1},       {0x23A, 1, 1, 10795},   {0x23B, 1, 1, 1},       {0x23D, 1, 1, -163},
    {0x23E, 1, 1, 10792},   {0x241, 1, 1, 1},       {0x243, 1, 1, -195},    {0x244, 1, 1, 69},
    {0x245, 1, 1, 71},      {0x246, 5, 2, 1},       {0x370, 2, 2, 1},       {0x376, 1, 1, 1},
    {0x37F, 1, 1, 116},     {0x386, 1, 1, 38},      {0x388, 3, 1, 37},      {0x38C, 1, 1, 64},
    {0x38E, 2, 1, 63},      {0x391, 17, 1, 32},     {0x3A3, 9, 1, 32},      {0x3CF, 1, 1, 8},
    {0x3D8, 12, 2, 1},      {0x3F4, 1, 1, -60},     {0x3F7, 1, 1, 1},       {0x3F9, 1, 1, -7},
    {0x3FA, 1, 1, 1},       {0x3FD, 3, 1, -130},    {0x400, 16, 1, 80},     {0x410, 32, 1, 32},
    {0x460, 17, 2, 1},      {0x48A, 27, 2, 1},      {0x4C0, 1, 1, 15},      {0x4C1, 7, 2, 1},
    {0x4D0, 48, 2, 1},      {0x531, 38, 1, 48},     {0x10A0, 38, 1, 7264},  {0x10C7, 1, 1, 7264},
    {0x10CD, 1, 1, 7264},   {0x13A0, 80, 1, 38864}, {0x13F0, 6, 1, 8},      {0x1C90, 43, 1, -3008},
    {0x1CBD, 3, 1, -3008},  {0x1E00, 75, 2, 1},     {0x1E9E, 1, 1, -7615},  {0x1EA0, 48, 2, 1},
    {0x1F08, 8, 1, -8},     {0x1F18, 6, 1, -8},     {0x1F28, 8, 1, -8},     {0x1F38, 8, 1, -8},
    {0x1F48, 6, 1, -8},     {0x1F59, 4, 2, -8},     {0x1F68, 8, 1, -8},     {0x1F88, 8, 1, -8},
    {0x1F98, 8, 1, -8},     {0x1FA8, 8, 1, -8},     {0x1FB8, 2, 1, -8},     {0x1FBA, 2, 1, -74},
    {0x1FBC, 1, 1, -9},     {0x1FC8, 4, 1, -86},    {0x1FCC, 1, 1, -9},     {0x1FD8, 2, 1, -8},
    {0x1FDA, 2, 1, -100},   {0x1FE8, 2, 1, -8},     {0x1FEA, 2, 1, -112},   {0x1FEC, 1, 1, -7},
    {0x1FF8, 2, 1, -128},   {0x1FFA, 2, 1, -126},   {0x1FFC, 1, 1, -9},     {0x2126, 1, 1, -7517},
    {0x212A, 1, 1, -8383},  {0x212B, 1, 1, -8262},  {0x2132, 1, 1, 28},     {0x2160, 16, 1, 16},
    {0x2183, 1, 1, 1},      {0x24B6, 26, 1, 26},    {0x2C00, 48, 1, 48},    {0x2C60, 1, 1, 1},
    {0x2C62, 1, 1, -10743}, {0x2C63, 1, 1, -3814},  {0x2C64, 1, 1, -10727}, {0x2C67, 3, 2, 1},
    {0x2C6D, 1, 1, -10780}, {0x2C6E, 1, 1, -10749}, {0x2C6F, 1, 1, -10783}, {0x2C70, 1, 1, -10782},
    {0x2C72, 1, 1, 1},      {0x2C75, 1, 1, 1},      {0x2C7E, 2, 1, -10815}, {0x2C80, 50, 2, 1},
    {0x2CEB, 2, 2, 1},      {0x2CF2, 1, 1, 1},      {0xA640, 23, 2, 1},     {0xA680, 14, 2, 1},
    {0xA722, 7, 2, 1},      {0xA732, 31, 2, 1},     {0xA779, 2, 2, 1},      {0xA77D, 1, 1, -35332},
    {0xA77E, 5, 2, 1},      {0xA78B, 1, 1, 1},      {0xA78D, 1, 1, -42280}, {0xA790, 2, 2, 1},
    {0xA796, 10, 2, 1},     {0xA7AA, 1, 1, -42308}, {0xA7AB, 1, 1, -42319}, {0xA7AC, 1, 1, -42315},
    {0xA7AD, 1, 1, -42305}, {0xA7AE, 1, 1, -42308}, {0xA7B0, 1, 1, -42258}, {0xA7B1, 1, 1, -42282},
    {0xA7B2, 1, 1, -42261}, {0xA7B3, 1, 1, 928},    {0xA7B4, 8, 2, 1},      {0xA7C4, 1, 1, -48},
    {0xA7C5, 1, 1, -42307}, {0xA7C6, 1, 1, -35384}, {0xA7C7, 2, 2, 1},      {0xA7D0, 1, 1, 1},
    {0xA7D6, 2, 2, 1},      {0xA7F5, 1, 1, 1},      {0xFF21, 26, 1, 32},    {0x10400, 40, 1, 40},
    {0x104B0, 36, 1, 40},   {0x10570, 11, 1, 39},   {0x1057C, 15, 1, 39},   {0x1058C, 7, 1, 39},
    {0x10594, 2, 1, 39},    {0x10C80, 51, 1, 64},   {0x118A0, 32, 1, 32},   {0x16E40, 32, 1, 32},
    {0x1E900, 34, 1, 34},
};
// ---- end of generated tables ----

static long find_range(const uint32_t (*r)[2], size_t n, uint32_t c) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t m = (lo + hi) / 2;
        if (r[m][1] < c) lo = m + 1;
        else hi = m;
    }
    return lo < n && r[lo][0] <= c ? (long)lo : -1;
}

int py_isword(uint32_t c) {
    if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    return find_range(word_ranges, sizeof word_ranges / sizeof *word_ranges, c) >= 0;
}

int py_decimal(uint32_t c) {
    if (c < 0x80) return c >= '0' && c <= '9' ? (int)(c - '0') : -1;
    long r = find_range(decimal_ranges, sizeof decimal_ranges / sizeof *decimal_ranges, c);
    return r < 0 ? -1 : (int)((c - decimal_ranges[r][0]) % 10);
}

static uint32_t lower_one(uint32_t c) {
    size_t lo = 0, hi = sizeof lower_runs / sizeof *lower_runs;
    while (lo < hi) {  // last run starting at or before c
        size_t m = (lo + hi) / 2;
        if (lower_runs[m].first <= c) lo = m + 1;
        else hi = m;
    }
    if (lo == 0) return c;
    const struct lower_run *r = &lower_runs[lo - 1];
    uint32_t off = c - r->first;
    if (off % r->stride == 0 && off / r->stride < r->count) return (uint32_t)((int32_t)c + r->delta);
    return c;
}
