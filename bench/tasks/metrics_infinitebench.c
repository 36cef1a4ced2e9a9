// InfiniteBench scorers, following OpenBMB/InfiniteBench src/compute_scores.py (the revision that
// unwraps list labels, strips predictions and adds "correct option is:", commit 88b3daa).
// `labels` is the official label list; numbers are given as their JSON text ("83", "2.5", "-7").
// Where Python would raise (missing label, int("3.5") for an int math_find label) we say so:
// an error (-1) for malformed labels, 0 for a malformed prediction.
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/tasks/metrics_text.h"

// ---------------------------------------------------------------------------------------------
// Helpers

// Replaces each code point listed in chars (ASCII) by a space: the official code does this with
// one str.replace(c, " ") per character, which for single characters is the same thing.
static void blank_chars(ustr *s, const char *chars) {
    for (size_t i = 0; i < s->n; i++)
        if (s->cp[i] < 0x80 && s->cp[i] && strchr(chars, (int)s->cp[i])) s->cp[i] = ' ';
}

// while "  " in pred: pred = pred.replace("  ", " ")  -> every run of spaces becomes one space.
static void squeeze_spaces(ustr *s) {
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (!(s->cp[i] == ' ' && n > 0 && s->cp[n - 1] == ' ')) s->cp[n++] = s->cp[i];
    s->n = n;
}

// pred = pred.strip(), in place.
static void strip_in_place(ustr *s) {
    utok t = py_strip(s->cp, s->n);
    memmove(s->cp, t.p, t.n * sizeof *s->cp);
    s->n = t.n;
}

static int ustr_eq_utf8(const uint32_t *p, size_t n, const char *utf8) {
    ustr u = {0};
    ustr_from_utf8(&u, utf8);
    int eq = utok_eq((utok){p, n}, (utok){u.cp, u.n});
    ustr_free(&u);
    return eq;
}

static int starts_with_utf8(const uint32_t *p, size_t n, const char *utf8) {
    ustr u = {0};
    ustr_from_utf8(&u, utf8);
    int yes = ustr_starts_with(p, n, u.cp, u.n);
    ustr_free(&u);
    return yes;
}

// An integer as sign + ASCII digits without leading zeros ("0" for zero), for exact comparison of
// Python ints of any size.
typedef struct {
    int negative;
    char *digits;
} bigint;

// Digits (any Unicode decimal digits, optionally separated by single '_' when allow_underscore, as
// int() accepts) to a bigint. Returns 0 if the text is not such a number.
static int bigint_parse(const uint32_t *p, size_t n, int allow_sign, int allow_underscore, bigint *out) {
    size_t i = 0;
    int negative = 0;
    if (allow_sign && i < n && (p[i] == '+' || p[i] == '-')) negative = p[i++] == '-';
    char *d = pcb_malloc(n + 2);
    size_t nd = 0;
    int prev_digit = 0;
    for (; i < n; i++) {
        int v = py_decimal(p[i]);
        if (v >= 0) {
            if (nd > 0 || v != 0) d[nd++] = (char)('0' + v);
            prev_digit = 1;
        } else if (p[i] == '_' && allow_underscore && prev_digit && i + 1 < n && py_decimal(p[i + 1]) >= 0) {
            prev_digit = 0;
        } else {
            free(d);
            return 0;
        }
    }
    if (!prev_digit) {  // empty, sign only, or trailing '_'
        free(d);
        return 0;
    }
    if (nd == 0) d[nd++] = '0', negative = 0;
    d[nd] = 0;
    *out = (bigint){negative, d};
    return 1;
}

static int bigint_parse_utf8(const char *s, bigint *out) {
    ustr u = {0};
    ustr_from_utf8(&u, s);
    int ok = bigint_parse(u.cp, u.n, 1, 0, out);
    ustr_free(&u);
    return ok;
}

static int bigint_eq(bigint a, bigint b) { return a.negative == b.negative && strcmp(a.digits, b.digits) == 0; }

// A JSON number's type as Python's json module decides it: int unless it has '.', 'e' or 'E'.
static int json_number_is_int(const char *s) { return strpbrk(s, ".eE") == NULL; }

static int json_number_valid(const char *s) {
    char *end;
    if (!*s) return 0;
    strtod(s, &end);
    return *end == 0;
}

// ---------------------------------------------------------------------------------------------
// Scorers

// first_int_match(): the first item of re.split("[^0-9]", pred) that is not empty (ASCII digits).
static double score_passkey(const ustr *pred, const char *label) {
    size_t i = 0;
    while (i < pred->n && !(pred->cp[i] >= '0' && pred->cp[i] <= '9')) i++;
    size_t j = i;
    while (j < pred->n && pred->cp[j] >= '0' && pred->cp[j] <= '9') j++;
    return ustr_eq_utf8(pred->cp + i, j - i, label);
}

static double score_kv_retrieval(const ustr *pred_in, const char *const *labels, int n_labels) {
    ustr pred = {0};
    ustr_append(&pred, pred_in->cp, pred_in->n);
    blank_chars(&pred, "\n:\"'.,?!{}");
    utoks words = {0};
    py_split(&words, pred.cp, pred.n);
    double score = 0.0;
    for (int l = 0; l < n_labels && score == 0.0; l++)
        for (size_t w = 0; w < words.n; w++)
            if (ustr_eq_utf8(words.v[w].p, words.v[w].n, labels[l])) {
                score = 1.0;
                break;
            }
    utoks_free(&words);
    ustr_free(&pred);
    return score;
}

// re.search(r"\d+\.\d+|\d+", pred) then int(...) == label or float(...) == label.
static double score_math_find(const ustr *pred, const char *label) {
    if (!json_number_valid(label))
        return pcb_fail("math_find label '%.40s' is not a number (InfiniteBench raises TypeError)", label);
    size_t i = 0;
    while (i < pred->n && py_decimal(pred->cp[i]) < 0) i++;
    if (i == pred->n) return 0.0;
    size_t j = i;
    while (j < pred->n && py_decimal(pred->cp[j]) >= 0) j++;
    int has_fraction = j + 1 < pred->n && pred->cp[j] == '.' && py_decimal(pred->cp[j + 1]) >= 0;
    size_t k = j;
    if (has_fraction) {
        k = j + 1;
        while (k < pred->n && py_decimal(pred->cp[k]) >= 0) k++;
    }
    if (json_number_is_int(label)) {
        if (has_fraction) return 0.0;  // int("3.5") raises ValueError in the official code
        bigint want, got;
        if (!bigint_parse_utf8(label, &want)) return pcb_fail("math_find label '%.40s' is not an integer", label);
        bigint_parse(pred->cp + i, j - i, 0, 0, &got);
        double s = bigint_eq(want, got);
        free(want.digits), free(got.digits);
        return s;
    }
    // float(): map the (possibly non-ASCII) digits to ASCII; strtod rounds correctly, like Python.
    char *text = pcb_malloc(k - i + 1);
    for (size_t t = i; t < k; t++) text[t - i] = pred->cp[t] == '.' ? '.' : (char)('0' + py_decimal(pred->cp[t]));
    text[k - i] = 0;
    double s = strtod(text, NULL) == strtod(label, NULL);
    free(text);
    return s;
}

// Length of the correct prefix of re.split("[^0-9]", pred) numbers, over the number of labels.
static double score_math_calc(const ustr *pred, const char *const *labels, int n_labels) {
    if (n_labels <= 0) return pcb_fail("math_calc with no labels (InfiniteBench divides by zero)");
    size_t i = 0;
    int correct = 0;
    for (int l = 0; l < n_labels; l++) {
        while (i < pred->n && !(pred->cp[i] >= '0' && pred->cp[i] <= '9')) i++;
        if (i == pred->n) break;
        size_t j = i;
        while (j < pred->n && pred->cp[j] >= '0' && pred->cp[j] <= '9') j++;
        bigint want, got;
        if (!bigint_parse_utf8(labels[l], &want))
            return pcb_fail("math_calc label '%.40s' is not an integer", labels[l]);
        bigint_parse(pred->cp + i, j - i, 0, 0, &got);
        int eq = bigint_eq(want, got);
        free(want.digits), free(got.digits);
        if (!eq) break;
        correct++;
        i = j;
    }
    return (double)correct / n_labels;
}

// int(last word) == label, after turning "\n . ` ' \" :" into spaces. Non-integer labels never
// equal an int here (the data's labels are ints).
static double score_code_run(const ustr *pred_in, const char *label) {
    ustr pred = {0};
    utok t = py_strip(pred_in->cp, pred_in->n);
    ustr_append(&pred, t.p, t.n);
    blank_chars(&pred, "\n.`'\":");
    utoks words = {0};
    py_split(&words, pred.cp, pred.n);
    double score = 0.0;
    bigint want, got;
    if (words.n > 0 && bigint_parse_utf8(label, &want)) {
        utok last = words.v[words.n - 1];
        if (bigint_parse(last.p, last.n, 1, 1, &got)) {
            score = bigint_eq(want, got);
            free(got.digits);
        }
        free(want.digits);
    }
    utoks_free(&words);
    ustr_free(&pred);
    return score;
}

// labels = [function name, option letter].
static double score_code_debug(const ustr *pred_in, const char *fn_name, const char *letter) {
    ustr pred = {0};
    ustr_append(&pred, pred_in->cp, pred_in->n);
    strip_in_place(&pred);
    ustr head = {0};  // f"{label_c}." and f"{label_c}:" against pred[:2]
    ustr_from_utf8(&head, letter);
    size_t n2 = pred.n < 2 ? pred.n : 2;
    int hit = 0;
    for (const char *sep = ".:"; *sep && !hit; sep++) {
        ustr_push(&head, (uint32_t)*sep);
        hit = utok_eq((utok){pred.cp, n2}, (utok){head.cp, head.n});
        head.n--;
    }
    ustr_free(&head);
    static const char *const replaced[] = {"\n", "`", "'", "\"", "-", "*", "Option", "option"};
    static const char *const prefixes[] = {"answer is:", "is:", "answer:", "correct option is:"};
    if (!hit) {
        for (size_t r = 0; r < sizeof replaced / sizeof *replaced; r++) ustr_replace_ascii(&pred, replaced[r], " ");
        squeeze_spaces(&pred);
        for (size_t p = 0; p < sizeof prefixes / sizeof *prefixes; p++) {
            long idx = ustr_find_ascii(pred.cp, pred.n, prefixes[p]);
            if (idx < 0) continue;
            size_t from = (size_t)idx + strlen(prefixes[p]) + 1;  // skips the character after the prefix
            if (pred.n >= from)
                hit = starts_with_utf8(pred.cp + from, pred.n - from, letter) ||
                      starts_with_utf8(pred.cp + from, pred.n - from, fn_name);
            break;
        }
    }
    ustr_free(&pred);
    return hit;
}

static int in_labels(const uint32_t *p, size_t n, const char *const *labels, int n_labels) {
    for (int l = 0; l < n_labels; l++)
        if (ustr_eq_utf8(p, n, labels[l])) return 1;
    return 0;
}

// labels = [option text, option letter]; `x in label` is list membership.
static double score_choice(const ustr *pred_in, const char *const *labels, int n_labels) {
    ustr pred = {0};
    ustr_append(&pred, pred_in->cp, pred_in->n);
    strip_in_place(&pred);
    double score = 0.0;
    static const char *const prefixes[] = {"answer is:", "answer:", "answer is", "option is"};
    if (pred.n == 0) {
        score = 0.0;
    } else if (pred.cp[0] >= 'A' && pred.cp[0] <= 'D') {  // pred[0] in "ABCD"
        score = in_labels(pred.cp, 1, labels, n_labels);
    } else if (in_labels(pred.cp, pred.n, labels, n_labels)) {
        score = 1.0;
    } else {
        blank_chars(&pred, "\n\"'.,?!{}");
        squeeze_spaces(&pred);
        int decided = 0;
        for (size_t p = 0; p < sizeof prefixes / sizeof *prefixes && !decided; p++) {
            long idx = ustr_find_ascii(pred.cp, pred.n, prefixes[p]);
            if (idx < 0) continue;
            decided = 1;
            size_t from = (size_t)idx + strlen(prefixes[p]) + 1;
            if (pred.n < from) break;
            for (int l = 0; l < n_labels && score == 0.0; l++)
                score = starts_with_utf8(pred.cp + from, pred.n - from, labels[l]);
        }
        if (!decided) {
            // The first word that is a substring of "ABCD" ("B", but also "AB", "BCD") decides.
            utoks words = {0};
            py_split(&words, pred.cp, pred.n);
            for (size_t w = 0; w < words.n; w++) {
                static const uint32_t abcd[] = {'A', 'B', 'C', 'D'};
                if (ustr_find(abcd, 4, words.v[w].p, words.v[w].n) >= 0) {
                    score = in_labels(words.v[w].p, words.v[w].n, labels, n_labels);
                    break;
                }
            }
            utoks_free(&words);
        }
    }
    ustr_free(&pred);
    return score;
}

// The label (not upper-cased itself) among the upper-cased words.
static double score_dialogue(const ustr *pred_in, const char *label) {
    ustr pred = {0};
    utok t = py_strip(pred_in->cp, pred_in->n);
    ustr_append(&pred, t.p, t.n);
    blank_chars(&pred, "\n:\"'.,?!{}");
    utoks words = {0};
    py_split(&words, pred.cp, pred.n);
    double score = 0.0;
    ustr up = {0};
    for (size_t w = 0; w < words.n && score == 0.0; w++) {
        up.n = 0;
        py_upper_to_ascii(&up, words.v[w].p, words.v[w].n);
        score = ustr_eq_utf8(up.cp, up.n, label);
    }
    ustr_free(&up);
    utoks_free(&words);
    ustr_free(&pred);
    return score;
}

// normalize_zh_answer(): lower, drop ASCII and Chinese punctuation, drop all whitespace; each
// remaining character is a token.
static void normalize_zh_chars(const char *s, ustr *out) {
    static const char cn_punctuation[] =
        "！？｡。＂＃＄％＆＇（）＊＋，－／：；＜＝＞＠［＼］＾＿｀｛｜｝～｟｠｢｣､、〃》「」『』【】〔〕〖〗〘〙〚〛〜〝"
        "〞〟〰〾〿–—‘’‛“”„‟…‧﹏.";
    ustr raw = {0}, low = {0}, cn = {0};
    ustr_from_utf8(&raw, s);
    ustr_from_utf8(&cn, cn_punctuation);
    py_lower(&low, raw.cp, raw.n);
    out->n = 0;
    for (size_t i = 0; i < low.n; i++) {
        uint32_t c = low.cp[i];
        if (py_is_ascii_punct(c) || py_isspace(c) || ustr_find(cn.cp, cn.n, &c, 1) >= 0) continue;
        ustr_push(out, c);
    }
    ustr_free(&raw), ustr_free(&low), ustr_free(&cn);
}

static double score_qa_f1_zh(const char *prediction, const char *label) {
    ustr p = {0}, g = {0};
    normalize_zh_chars(prediction, &p);
    normalize_zh_chars(label, &g);
    utoks all = {0};
    for (size_t i = 0; i < p.n; i++) utoks_push(&all, p.cp + i, 1);
    for (size_t i = 0; i < g.n; i++) utoks_push(&all, g.cp + i, 1);
    int *ids = pcb_malloc((all.n + 1) * sizeof *ids);
    int n_ids = tokens_intern(all.v, all.n, ids);
    double f1 = bag_f1(ids, p.n, ids + p.n, g.n, n_ids);
    free(ids);
    utoks_free(&all);
    ustr_free(&p), ustr_free(&g);
    return f1;
}

// ROUGE-Lsum of Google's rouge_score (what `evaluate.load("rouge")` runs), no stemming: sentences
// are the non-empty lines; tokens are the runs of [a-z0-9] after lower(). Hits are the union-LCS
// tokens of each reference sentence against all candidate sentences, each token counted at most
// as often as it occurs in both texts.

static int lsum_alnum(uint32_t c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// A line's tokens (of the lower-cased text): its runs of [a-z0-9].
static void lsum_words(utoks *out, const uint32_t *line, size_t n) {
    for (size_t i = 0; i < n;) {
        if (!lsum_alnum(line[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && lsum_alnum(line[j])) j++;
        utoks_push(out, line + i, j - i);
        i = j;
    }
}

static int cmp_size(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

static double score_rouge_lsum(const char *prediction, const char *label) {
    ustr raw = {0}, can_low = {0}, ref_low = {0};
    ustr_from_utf8(&raw, prediction);
    py_lower(&can_low, raw.cp, raw.n);
    ustr_from_utf8(&raw, label);
    py_lower(&ref_low, raw.cp, raw.n);
    ustr_free(&raw);
    usentences can, ref;
    usentences_split(&can, can_low.cp, can_low.n, '\n', lsum_words);
    usentences_split(&ref, ref_low.cp, ref_low.n, '\n', lsum_words);
    size_t n = can.words.n, m = ref.words.n;
    double f = 0.0;
    if (can.n_sent > 0 && ref.n_sent > 0 && n > 0 && m > 0) {
        utoks all = {0};
        for (size_t i = 0; i < n; i++) utoks_push(&all, can.words.v[i].p, can.words.v[i].n);
        for (size_t i = 0; i < m; i++) utoks_push(&all, ref.words.v[i].p, ref.words.v[i].n);
        int *ids = pcb_malloc(all.n * sizeof *ids);
        int n_ids = tokens_intern(all.v, all.n, ids);
        const int *cid = ids, *rid = ids + n;
        int *cnt_c = pcb_calloc((size_t)n_ids, sizeof *cnt_c), *cnt_r = pcb_calloc((size_t)n_ids, sizeof *cnt_r);
        for (size_t i = 0; i < n; i++) cnt_c[cid[i]]++;
        for (size_t i = 0; i < m; i++) cnt_r[rid[i]]++;
        size_t hits = 0;
        for (size_t rs = 0; rs < ref.n_sent; rs++) {
            const int *r = rid + ref.first[rs];
            size_t nr = ref.first[rs + 1] - ref.first[rs];
            // _union_lcs: sorted union of the LCS index sets (into r) over all candidate sentences.
            size_t *idx = pcb_malloc((nr + 1) * sizeof *idx), nidx = 0;
            char *in_set = pcb_calloc(nr + 1, 1);
            for (size_t cs = 0; cs < can.n_sent; cs++) {
                const int *c = cid + can.first[cs];
                size_t nc = can.first[cs + 1] - can.first[cs], w = nc + 1;
                int *t = lcs_table(r, nr, c, nc);
                for (size_t i = nr, j = nc; i > 0 && j > 0;) {  // _backtrack_norec
                    if (r[i - 1] == c[j - 1]) {
                        if (!in_set[i - 1]) in_set[i - 1] = 1, idx[nidx++] = i - 1;
                        i--, j--;
                    } else if (t[i * w + j - 1] > t[(i - 1) * w + j]) {
                        j--;
                    } else {
                        i--;
                    }
                }
                free(t);
            }
            qsort(idx, nidx, sizeof *idx, cmp_size);
            for (size_t k = 0; k < nidx; k++) {
                int tok = r[idx[k]];
                if (cnt_c[tok] > 0 && cnt_r[tok] > 0) hits++, cnt_c[tok]--, cnt_r[tok]--;
            }
            free(idx), free(in_set);
        }
        double recall = (double)hits / (double)m, precision = (double)hits / (double)n;
        f = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
        free(cnt_c), free(cnt_r), free(ids);
        utoks_free(&all);
    }
    usentences_free(&can), usentences_free(&ref);
    ustr_free(&can_low), ustr_free(&ref_low);
    return f;
}

// ---------------------------------------------------------------------------------------------

double infinitebench_score_labels(metric_kind m, const char *prediction, const char *const *labels, int n_labels) {
    const char *name = metric_name(m);
    int first_label_only =
        m == METRIC_IB_PASSKEY || m == METRIC_IB_MATH_FIND || m == METRIC_IB_CODE_RUN || m == METRIC_IB_DIALOGUE;
    if (first_label_only && n_labels < 1) return pcb_fail("%s: no label (InfiniteBench raises IndexError)", name);
    if (m == METRIC_IB_CODE_DEBUG && n_labels < 2)
        return pcb_fail("ib_code_debug needs the labels [function name, option letter], got %d", n_labels);
    ustr pred = {0};
    ustr_from_utf8(&pred, prediction);
    double s = 0.0;
    switch (m) {
    case METRIC_IB_PASSKEY:
        s = score_passkey(&pred, labels[0]);
        break;
    case METRIC_IB_KV_RETRIEVAL:
        s = score_kv_retrieval(&pred, labels, n_labels);
        break;
    case METRIC_IB_MATH_FIND:
        s = score_math_find(&pred, labels[0]);
        break;
    case METRIC_IB_MATH_CALC:
        s = score_math_calc(&pred, labels, n_labels);
        break;
    case METRIC_IB_CODE_RUN:
        s = score_code_run(&pred, labels[0]);
        break;
    case METRIC_IB_CODE_DEBUG:
        s = score_code_debug(&pred, labels[0], labels[1]);
        break;
    case METRIC_IB_CHOICE:
        s = score_choice(&pred, labels, n_labels);
        break;
    case METRIC_IB_DIALOGUE:
        s = score_dialogue(&pred, labels[0]);
        break;
    case METRIC_IB_QA_F1_ZH:
    case METRIC_IB_ROUGE_LSUM:  // max over the labels (qa_f1_score_zh's loop; evaluate's multi-reference max)
        for (int l = 0; l < n_labels; l++) {
            double v = m == METRIC_IB_QA_F1_ZH ? score_qa_f1_zh(prediction, labels[l])
                                               : score_rouge_lsum(prediction, labels[l]);
            if (v > s) s = v;
        }
        break;
    default:
        s = pcb_fail("metric %d is not an InfiniteBench metric", (int)m);
        break;
    }
    ustr_free(&pred);
    return s;
}
