// LongBench metrics (THUDM/LongBench metrics.py, eval.py), the task -> metric tables and the
// per-sample / per-task entry points. InfiniteBench scorers are in metrics_infinitebench.c.
#include "bench/tasks/metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/tasks/metrics_text.h"

static const char *const kind_names[METRIC_N_KINDS] = {
    [METRIC_QA_F1] = "qa_f1",
    [METRIC_ROUGE_L] = "rouge",
    [METRIC_CLASSIFICATION] = "classification",
    [METRIC_RETRIEVAL] = "retrieval",
    [METRIC_RETRIEVAL_ZH] = "retrieval_zh",
    [METRIC_COUNT] = "count",
    [METRIC_CODE_SIM] = "code_sim",
    [METRIC_IB_PASSKEY] = "ib_passkey",
    [METRIC_IB_KV_RETRIEVAL] = "ib_kv_retrieval",
    [METRIC_IB_MATH_FIND] = "ib_math_find",
    [METRIC_IB_MATH_CALC] = "ib_math_calc",
    [METRIC_IB_CODE_RUN] = "ib_code_run",
    [METRIC_IB_CODE_DEBUG] = "ib_code_debug",
    [METRIC_IB_CHOICE] = "ib_choice",
    [METRIC_IB_DIALOGUE] = "ib_dialogue",
    [METRIC_IB_QA_F1_ZH] = "ib_qa_f1_zh",
    [METRIC_IB_ROUGE_LSUM] = "ib_rouge_lsum",
};

typedef enum { LONGBENCH, INFINITEBENCH } benchmark;

static const struct task_metric {
    const char *task;
    metric_kind kind;
    benchmark bench;
} task_metrics[] = {
    // LongBench dataset2metric
    {"narrativeqa", METRIC_QA_F1, LONGBENCH},
    {"qasper", METRIC_QA_F1, LONGBENCH},
    {"multifieldqa_en", METRIC_QA_F1, LONGBENCH},
    {"hotpotqa", METRIC_QA_F1, LONGBENCH},
    {"2wikimqa", METRIC_QA_F1, LONGBENCH},
    {"musique", METRIC_QA_F1, LONGBENCH},
    {"gov_report", METRIC_ROUGE_L, LONGBENCH},
    {"qmsum", METRIC_ROUGE_L, LONGBENCH},
    {"multi_news", METRIC_ROUGE_L, LONGBENCH},
    {"trec", METRIC_CLASSIFICATION, LONGBENCH},
    {"triviaqa", METRIC_QA_F1, LONGBENCH},
    {"samsum", METRIC_ROUGE_L, LONGBENCH},
    {"lsht", METRIC_CLASSIFICATION, LONGBENCH},
    {"passage_retrieval_en", METRIC_RETRIEVAL, LONGBENCH},
    {"passage_count", METRIC_COUNT, LONGBENCH},
    {"passage_retrieval_zh", METRIC_RETRIEVAL_ZH, LONGBENCH},
    {"lcc", METRIC_CODE_SIM, LONGBENCH},
    {"repobench-p", METRIC_CODE_SIM, LONGBENCH},
    // InfiniteBench compute_scores.py NAME_TO_SCORE_GETTER
    {"passkey", METRIC_IB_PASSKEY, INFINITEBENCH},
    {"number_string", METRIC_IB_PASSKEY, INFINITEBENCH},
    {"kv_retrieval", METRIC_IB_KV_RETRIEVAL, INFINITEBENCH},
    {"kv_retrieval_prefix", METRIC_IB_KV_RETRIEVAL, INFINITEBENCH},
    {"kv_retrieval_both", METRIC_IB_KV_RETRIEVAL, INFINITEBENCH},
    {"code_run", METRIC_IB_CODE_RUN, INFINITEBENCH},
    {"code_debug", METRIC_IB_CODE_DEBUG, INFINITEBENCH},
    {"longdialogue_qa_eng", METRIC_IB_DIALOGUE, INFINITEBENCH},
    {"longbook_qa_eng", METRIC_QA_F1, INFINITEBENCH},
    {"longbook_sum_eng", METRIC_IB_ROUGE_LSUM, INFINITEBENCH},
    {"longbook_choice_eng", METRIC_IB_CHOICE, INFINITEBENCH},
    {"longbook_qa_chn", METRIC_IB_QA_F1_ZH, INFINITEBENCH},
    {"math_find", METRIC_IB_MATH_FIND, INFINITEBENCH},
    {"math_calc", METRIC_IB_MATH_CALC, INFINITEBENCH},
};

// LongBench tasks whose metric needs jieba word segmentation (qa_f1_zh, rouge_zh).
static const char *const jieba_tasks[] = {"multifieldqa_zh", "dureader", "vcsum"};

const char *metric_name(metric_kind m) { return (unsigned)m < METRIC_N_KINDS ? kind_names[m] : NULL; }

int metric_from_name(const char *name, metric_kind *out) {
    for (int m = 0; m < METRIC_N_KINDS; m++)
        if (strcmp(name, kind_names[m]) == 0) return *out = (metric_kind)m, 0;
    return pcb_fail("unknown metric '%s'", name);
}

// LongBench-E files are the same tasks with "_e" appended; the base name decides the metric and
// the first-line rule.
static int task_name_is(const char *task, const char *base, int allow_e) {
    size_t k = strlen(base);
    return strncmp(task, base, k) == 0 && (task[k] == 0 || (allow_e && strcmp(task + k, "_e") == 0));
}

static const struct task_metric *task_or_fail(const char *task) {
    for (size_t i = 0; i < sizeof task_metrics / sizeof *task_metrics; i++)
        if (task_name_is(task, task_metrics[i].task, task_metrics[i].bench == LONGBENCH)) return &task_metrics[i];
    for (size_t i = 0; i < sizeof jieba_tasks / sizeof *jieba_tasks; i++)
        if (task_name_is(task, jieba_tasks[i], 1)) {
            pcb_fail(
                "task '%s': its metric (qa_f1_zh / rouge_zh) needs jieba Chinese word segmentation, "
                "which pcbench does not implement",
                task);
            return NULL;
        }
    pcb_fail("unknown task '%s' (not a LongBench or InfiniteBench task)", task);
    return NULL;
}

int metric_for_task(const char *task, metric_kind *out) {
    const struct task_metric *t = task_or_fail(task);
    if (!t) return -1;
    *out = t->kind;
    return 0;
}

// ---------------------------------------------------------------------------------------------
// qa_f1_score

// LongBench-normalised tokens of prediction and gold as interned ids: f(pred ids, gold ids).
static double on_answer_tokens(const char *prediction, const char *gold,
                               double (*f)(const int *, size_t, const int *, size_t, int)) {
    ustr pbuf = {0}, gbuf = {0};
    utoks ptok = {0}, gtok = {0}, all = {0};
    normalize_answer_tokens(prediction, &pbuf, &ptok);
    normalize_answer_tokens(gold, &gbuf, &gtok);
    for (size_t i = 0; i < ptok.n; i++) utoks_push(&all, ptok.v[i].p, ptok.v[i].n);
    for (size_t i = 0; i < gtok.n; i++) utoks_push(&all, gtok.v[i].p, gtok.v[i].n);
    int *ids = pcb_malloc((all.n + 1) * sizeof *ids);
    int n_ids = tokens_intern(all.v, all.n, ids);
    double v = f(ids, ptok.n, ids + ptok.n, gtok.n, n_ids);
    free(ids);
    utoks_free(&ptok), utoks_free(&gtok), utoks_free(&all);
    ustr_free(&pbuf), ustr_free(&gbuf);
    return v;
}

static double qa_f1_score(const char *prediction, const char *gold) {
    return on_answer_tokens(prediction, gold, bag_f1);
}

static double bag_recall(const int *pred, size_t n_pred, const int *gold, size_t n_gold, int n_ids) {
    return n_gold ? (double)bag_common(pred, n_pred, gold, n_gold, n_ids) / (double)n_gold : 0.0;
}

double answer_token_recall(const char *prediction, const char *gold) {
    return on_answer_tokens(prediction, gold, bag_recall);
}

// ---------------------------------------------------------------------------------------------
// rouge_score: Rouge().get_scores([hyp], [ref], avg=True)["rouge-l"]["f"] of the `rouge` package.
// Sentences are the non-empty pieces of text.split("."); a sentence's words are
// " ".join(piece.split()).split(" "), i.e. its whitespace tokens, or one empty word if it has none.
// ROUGE-L (summary level, exclusive mode) counts *distinct words*: m and n are the numbers of
// distinct reference / hypothesis words, and the hit count is the number of distinct words in the
// union, over every (reference sentence, hypothesis sentence) pair, of the LCS that the package's
// recursive read-out picks.

// A '.'-piece's words: its whitespace tokens, or one empty word when it has none.
static void rouge_words(utoks *out, const uint32_t *piece, size_t n) {
    size_t before = out->n;
    py_split(out, piece, n);
    if (out->n == before) utoks_push(out, piece, 0);
}

static size_t count_distinct(const int *ids, size_t n, int n_ids) {
    char *seen = pcb_calloc((size_t)n_ids + 1, 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!seen[ids[i]]) seen[ids[i]] = 1, k++;
    free(seen);
    return k;
}

static double rouge_l_score(const char *prediction, const char *gold) {
    ustr hyp = {0}, ref = {0};
    ustr_from_utf8(&hyp, prediction);
    ustr_from_utf8(&ref, gold);
    usentences h, r;
    usentences_split(&h, hyp.cp, hyp.n, '.', rouge_words);
    usentences_split(&r, ref.cp, ref.n, '.', rouge_words);
    double f = 0.0;  // an empty hypothesis or reference raises ValueError -> LongBench returns 0
    if (h.n_sent > 0 && r.n_sent > 0) {
        utoks all = {0};
        for (size_t i = 0; i < h.words.n; i++) utoks_push(&all, h.words.v[i].p, h.words.v[i].n);
        for (size_t i = 0; i < r.words.n; i++) utoks_push(&all, r.words.v[i].p, r.words.v[i].n);
        int *ids = pcb_malloc(all.n * sizeof *ids);
        int n_ids = tokens_intern(all.v, all.n, ids);
        const int *hid = ids, *rid = ids + h.words.n;
        size_t n = count_distinct(hid, h.words.n, n_ids), m = count_distinct(rid, r.words.n, n_ids);
        char *in_union = pcb_calloc((size_t)n_ids, 1);
        size_t llcs = 0;
        for (size_t rs = 0; rs < r.n_sent; rs++) {
            const int *x = rid + r.first[rs];
            size_t nx = r.first[rs + 1] - r.first[rs];
            for (size_t hs = 0; hs < h.n_sent; hs++) {
                const int *y = hid + h.first[hs];
                size_t ny = h.first[hs + 1] - h.first[hs], w = ny + 1;
                int *t = lcs_table(x, nx, y, ny);
                // _recon_lcs(): walk back from (nx, ny), preferring "up" only when strictly larger.
                for (size_t i = nx, j = ny; i > 0 && j > 0;) {
                    if (x[i - 1] == y[j - 1]) {
                        if (!in_union[x[i - 1]]) in_union[x[i - 1]] = 1, llcs++;
                        i--, j--;
                    } else if (t[(i - 1) * w + j] > t[i * w + j - 1]) {
                        i--;
                    } else {
                        j--;
                    }
                }
                free(t);
            }
        }
        double r_lcs = (double)llcs / (double)m, p_lcs = (double)llcs / (double)n;
        f = 2.0 * ((p_lcs * r_lcs) / (p_lcs + r_lcs + 1e-8));
        free(in_union), free(ids);
        utoks_free(&all);
    }
    usentences_free(&h), usentences_free(&r);
    ustr_free(&hyp), ustr_free(&ref);
    return f;
}

// ---------------------------------------------------------------------------------------------
// classification_score

static int ustr_contains(const ustr *hay, const ustr *needle) {
    return ustr_find(hay->cp, hay->n, needle->cp, needle->n) >= 0;
}

static int ustr_equal(const ustr *a, const ustr *b) { return utok_eq((utok){a->cp, a->n}, (utok){b->cp, b->n}); }

// matches = classes contained in the prediction; then LongBench iterates over the list while
// removing matches that are substrings of (but not equal to) the gold. Removing during a Python
// for-loop skips the element after each removed one, and list.remove() drops the first equal
// element: both are reproduced, since they change scores.
static double classification_score(const char *prediction, const char *gold, const char *const *all_classes,
                                   int n_classes) {
    ustr pred = {0}, g = {0};
    ustr_from_utf8(&pred, prediction);
    ustr_from_utf8(&g, gold);
    ustr *match = pcb_calloc((size_t)(n_classes > 0 ? n_classes : 1), sizeof *match);
    size_t n_match = 0;
    for (int c = 0; c < n_classes; c++) {
        ustr_from_utf8(&match[n_match], all_classes[c]);
        if (ustr_contains(&pred, &match[n_match])) n_match++;
        else ustr_free(&match[n_match]);
    }
    for (size_t it = 0; it < n_match;) {
        ustr term = match[it++];  // the list iterator's next item (a shallow copy)
        if (ustr_contains(&g, &term) && !ustr_equal(&term, &g)) {
            size_t k = 0;
            while (!ustr_equal(&match[k], &term)) k++;
            ustr_free(&match[k]);
            memmove(&match[k], &match[k + 1], (n_match - k - 1) * sizeof *match);
            n_match--;
        }
    }
    double score = 0.0;
    for (size_t k = 0; k < n_match; k++)
        if (ustr_equal(&match[k], &g)) {
            score = 1.0 / (double)n_match;
            break;
        }
    for (size_t k = 0; k < n_match; k++) ustr_free(&match[k]);
    free(match);
    ustr_free(&pred), ustr_free(&g);
    return score;
}

// ---------------------------------------------------------------------------------------------
// retrieval_score, retrieval_zh_score, count_score

// Fraction of re.findall(r"\d+", prediction) equal to id (0 when there are no numbers).
static double fraction_of_numbers_equal(const char *prediction, utok id) {
    ustr p = {0};
    ustr_from_utf8(&p, prediction);
    size_t numbers = 0, right = 0;
    for (size_t i = 0; i < p.n;) {
        if (py_decimal(p.cp[i]) < 0) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < p.n && py_decimal(p.cp[j]) >= 0) j++;
        numbers++;
        if (utok_eq((utok){p.cp + i, j - i}, id)) right++;
        i = j;
    }
    ustr_free(&p);
    return numbers == 0 ? 0.0 : (double)right / (double)numbers;
}

// re.findall(marker + r"(\d+)", gold)[0]: the digits after the leftmost marker followed by a digit.
static double retrieval_score(const char *prediction, const char *gold, const char *marker) {
    ustr g = {0}, mk = {0};
    ustr_from_utf8(&g, gold);
    ustr_from_utf8(&mk, marker);
    double score = -1;
    for (size_t i = 0; i + mk.n < g.n; i++) {
        if (!ustr_starts_with(g.cp + i, g.n - i, mk.cp, mk.n) || py_decimal(g.cp[i + mk.n]) < 0) continue;
        size_t j = i + mk.n;
        while (j < g.n && py_decimal(g.cp[j]) >= 0) j++;
        score = fraction_of_numbers_equal(prediction, (utok){g.cp + i + mk.n, j - i - mk.n});
        break;
    }
    if (score < 0) pcb_fail("retrieval gold '%.80s' has no '%s<number>' (LongBench raises IndexError)", gold, marker);
    ustr_free(&g), ustr_free(&mk);
    return score;
}

static double count_score(const char *prediction, const char *gold) {
    ustr g = {0};
    ustr_from_utf8(&g, gold);
    double score = fraction_of_numbers_equal(prediction, (utok){g.cp, g.n});
    ustr_free(&g);
    return score;
}

// ---------------------------------------------------------------------------------------------
// code_sim_score: fuzz.ratio(first code line, gold) / 100. fuzzywuzzy without python-Levenshtein
// (a plain `pip install fuzzywuzzy`, as LongBench's setup does) computes
// difflib.SequenceMatcher(None, a, b).ratio() and rounds 100 * ratio half-to-even (round());
// equal strings score 100 (checked first, so "" vs "" too), an empty one 0.

static double code_sim_score(const char *prediction, const char *gold) {
    ustr p = {0}, g = {0};
    ustr_from_utf8(&p, prediction);
    ustr_from_utf8(&g, gold);
    size_t start = 0;
    while (start < p.n && p.cp[start] == '\n') start++;  // lstrip('\n')
    utok cand = {p.cp, 0};                               // "" when no line qualifies
    for (size_t i = start; i <= p.n;) {
        size_t j = i;
        while (j < p.n && p.cp[j] != '\n') j++;
        utok line = {p.cp + i, j - i};
        if (ustr_find_ascii(line.p, line.n, "`") < 0 && ustr_find_ascii(line.p, line.n, "#") < 0 &&
            ustr_find_ascii(line.p, line.n, "//") < 0) {
            cand = line;
            break;
        }
        i = j + 1;
    }
    double score;
    if (utok_eq(cand, (utok){g.cp, g.n})) score = 1.0;
    else if (cand.n == 0 || g.n == 0) score = 0.0;
    else score = nearbyint(100 * sequence_matcher_ratio(cand.p, cand.n, g.cp, g.n)) / 100;
    ustr_free(&p), ustr_free(&g);
    return score;
}

// ---------------------------------------------------------------------------------------------
// Entry points

static int is_infinitebench_kind(metric_kind m) { return m >= METRIC_IB_PASSKEY && m < METRIC_N_KINDS; }

static double longbench_metric(metric_kind m, const char *prediction, const char *gold, const char *const *all_classes,
                               int n_classes) {
    switch (m) {
    case METRIC_QA_F1:
        return qa_f1_score(prediction, gold);
    case METRIC_ROUGE_L:
        return rouge_l_score(prediction, gold);
    case METRIC_CLASSIFICATION:
        return classification_score(prediction, gold, all_classes, n_classes);
    case METRIC_RETRIEVAL:
        return retrieval_score(prediction, gold, "Paragraph ");
    case METRIC_RETRIEVAL_ZH:
        return retrieval_score(prediction, gold, "段落");
    case METRIC_COUNT:
        return count_score(prediction, gold);
    case METRIC_CODE_SIM:
        return code_sim_score(prediction, gold);
    default:
        return pcb_fail("metric %d is not a LongBench metric", (int)m);
    }
}

double metric_score(metric_kind m, const char *prediction, const char *gold, const char *const *all_classes,
                    int n_classes) {
    if ((unsigned)m >= METRIC_N_KINDS) return pcb_fail("invalid metric kind %d", (int)m);
    if (is_infinitebench_kind(m)) return infinitebench_score_labels(m, prediction, &gold, 1);
    return longbench_metric(m, prediction, gold, all_classes, n_classes);
}

double metric_score_labels(metric_kind m, const char *prediction, const char *const *labels, int n_labels,
                           const char *const *all_classes, int n_classes) {
    if ((unsigned)m >= METRIC_N_KINDS) return pcb_fail("invalid metric kind %d", (int)m);
    if (is_infinitebench_kind(m)) return infinitebench_score_labels(m, prediction, labels, n_labels);
    double best = 0.0;  // eval.py: score = 0.; score = max(score, metric(...)) per gold
    for (int i = 0; i < n_labels; i++) {
        double s = longbench_metric(m, prediction, labels[i], all_classes, n_classes);
        if (s < 0) return -1;
        if (s > best) best = s;
    }
    return best;
}

static int first_line_task(const char *base) {
    return !strcmp(base, "trec") || !strcmp(base, "triviaqa") || !strcmp(base, "samsum") || !strcmp(base, "lsht");
}

double longbench_sample_score(const char *task, const char *prediction, const char *const *golds, int n_golds,
                              const char *const *all_classes, int n_classes) {
    const struct task_metric *t = task_or_fail(task);
    if (!t) return -1;
    if (t->bench != LONGBENCH) return pcb_fail("task '%s' is an InfiniteBench task, not LongBench", task);
    if (!first_line_task(t->task))
        return metric_score_labels(t->kind, prediction, golds, n_golds, all_classes, n_classes);
    // prediction.lstrip('\n').split('\n')[0]
    while (*prediction == '\n') prediction++;
    size_t len = strcspn(prediction, "\n");
    char *line = pcb_malloc(len + 1);
    memcpy(line, prediction, len);
    line[len] = 0;
    double s = metric_score_labels(t->kind, line, golds, n_golds, all_classes, n_classes);
    free(line);
    return s;
}

double infinitebench_sample_score(const char *task, const char *prediction, const char *const *labels, int n_labels) {
    const struct task_metric *t = task_or_fail(task);
    if (!t) return -1;
    if (t->bench != INFINITEBENCH) return pcb_fail("task '%s' is a LongBench task, not InfiniteBench", task);
    return metric_score_labels(t->kind, prediction, labels, n_labels, NULL, 0);
}

double metric_task_score(const double *sample_scores, int n) {
    if (n <= 0) return pcb_fail("task score of %d samples", n);
    double total = 0.0;
    for (int i = 0; i < n; i++) total += sample_scores[i];
    // Python's round(x, 2) rounds the exact binary value to 2 decimals, half to even, as printf does.
    char buf[512];  // room for any double in %.2f
    snprintf(buf, sizeof buf, "%.2f", 100 * total / n);
    return strtod(buf, NULL);
}
