// Official evaluation metrics of LongBench (THUDM/LongBench metrics.py + eval.py) and InfiniteBench
// (OpenBMB/InfiniteBench src/compute_scores.py), re-implemented to give the same numbers as the
// Python code, checked against it by tests/golden/make_metric_golden.py.
//
// Text is UTF-8 and handled as Python str (code points): str.split()/strip()/lower() and the
// regex classes \w \d use Unicode 14.0 tables (Python 3.11). Invalid UTF-8 bytes are kept as
// U+DC80+byte, like Python's surrogateescape. Known differences from Python, all on unusual text:
//   - Greek capital sigma lower-cases to final sigma by a simpler context rule than Python's;
//   - longdialogue_qa_eng upper-cases only a-z and the ten non-ASCII letters whose upper case is
//     ASCII, so it is exact for ASCII labels (the real data) but not for non-ASCII ones;
//   - code points unassigned in Unicode 14.0 may count as word characters (\w) when they sit
//     between letters of a script (Python versions already disagree on those);
//   - the `rouge` package (LongBench's ROUGE-L) raises RecursionError, and LongBench then scores
//     0, when the LCS read-out of one hypothesis sentence against one reference sentence takes
//     ~990+ steps (e.g. two equal 995-word sentences); we return the real ROUGE-L value;
//   - inputs are NUL-terminated, so a NUL character ends the text.
// code_sim follows fuzzywuzzy without python-Levenshtein (difflib), which is what a plain
// `pip install fuzzywuzzy` gives; with python-Levenshtein installed fuzz.ratio differs on about a
// third of lcc / repobench-p lines.
// Chinese word-level metrics (qa_f1_zh, rouge_zh for multifieldqa_zh, dureader, vcsum) need jieba
// segmentation and are not implemented: metric_for_task() rejects those tasks.
//
// Scores are in [0, 1]. Functions returning a score return -1 and set pcb_last_error() where the
// Python code would raise (e.g. a passage_retrieval gold without "Paragraph N", an unknown task).
#ifndef PCB_METRICS_H
#define PCB_METRICS_H

typedef enum {
    METRIC_QA_F1,            // qa_f1_score: normalised bag-of-words F1 (also longbook_qa_eng)
    METRIC_ROUGE_L,          // rouge_score: `rouge` package ROUGE-L F (summary level, '.' sentences)
    METRIC_CLASSIFICATION,   // classification_score (trec, lsht), with LongBench's list-removal quirk
    METRIC_RETRIEVAL,        // retrieval_score: gold "Paragraph N"
    METRIC_RETRIEVAL_ZH,     // retrieval_zh_score: gold "段落N"
    METRIC_COUNT,            // count_score (passage_count)
    METRIC_CODE_SIM,         // code_sim_score: fuzzywuzzy fuzz.ratio (difflib) of the first code line
    METRIC_IB_PASSKEY,       // passkey, number_string: first run of ASCII digits equals the label
    METRIC_IB_KV_RETRIEVAL,  // kv_retrieval: label is one of the words
    METRIC_IB_MATH_FIND,     // math_find: first number (int or float label)
    METRIC_IB_MATH_CALC,     // math_calc: length of the correct prefix / number of labels
    METRIC_IB_CODE_RUN,      // code_run: last word as int
    METRIC_IB_CODE_DEBUG,    // code_debug: labels = [function name, option letter]
    METRIC_IB_CHOICE,        // longbook_choice_eng: labels = [option text, option letter]
    METRIC_IB_DIALOGUE,      // longdialogue_qa_eng: label among the upper-cased words
    METRIC_IB_QA_F1_ZH,      // longbook_qa_chn: character-level F1 (no segmentation needed)
    METRIC_IB_ROUGE_LSUM,    // longbook_sum_eng: rouge_score's ROUGE-Lsum F ('\n' sentences)
    METRIC_N_KINDS
} metric_kind;

// Short name ("qa_f1", "rouge", ..., "ib_passkey"); NULL for an invalid kind.
const char *metric_name(metric_kind m);
// Kind whose metric_name() is name; -1 with an error if there is none.
int metric_from_name(const char *name, metric_kind *out);

// Metric of a LongBench task (dataset2metric; "<task>_e" LongBench-E names too) or an
// InfiniteBench task. -1 with an error naming the task for unknown tasks and for the Chinese
// tasks that need jieba (multifieldqa_zh, dureader, vcsum).
int metric_for_task(const char *task, metric_kind *out);

// Score of one prediction against one gold answer. all_classes is used by classification only
// (NULL otherwise). For the InfiniteBench kinds this is the official scorer with label [gold].
double metric_score(metric_kind m, const char *prediction, const char *gold, const char *const *all_classes,
                    int n_classes);

// Score against a whole answer list. LongBench kinds: the max over golds (0 for none).
// InfiniteBench kinds: the official scorer given the list as its label (numbers as JSON text):
// passkey/number_string/math_find/code_run/longdialogue use the first label, code_debug needs
// [function name, letter], longbook_choice_eng checks membership in the list, math_calc reads the
// list as the expected numbers, kv_retrieval/longbook_qa_*/longbook_sum_eng take the max over labels.
double metric_score_labels(metric_kind m, const char *prediction, const char *const *labels, int n_labels,
                           const char *const *all_classes, int n_classes);

// LongBench eval.py per-sample score: for trec, triviaqa, samsum, lsht only the first line of the
// prediction (after leading newlines) counts; then the max over the gold answers.
double longbench_sample_score(const char *task, const char *prediction, const char *const *golds, int n_golds,
                              const char *const *all_classes, int n_classes);

// InfiniteBench per-sample score with the task's answer list as the label (see metric_score_labels).
double infinitebench_sample_score(const char *task, const char *prediction, const char *const *labels, int n_labels);

// Not an official benchmark metric (needle in a haystack has none; the usual judge is an LLM):
// the share of the gold's LongBench-normalised words (with multiplicity) that the prediction
// contains, so a verbose but correct answer scores 1. 0 for an empty gold.
double answer_token_recall(const char *prediction, const char *gold);
// Task score as LongBench's scorer() prints it: round(100 * sum / n, 2), summed in order.
// -1 with an error when n <= 0.
double metric_task_score(const double *sample_scores, int n);

#endif
