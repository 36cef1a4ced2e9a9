// LongBench samples from the two formats we have (see data/SOURCES.md):
//   raw LongBench v1 JSONL (one object per line: input, context, answers, length, dataset,
//   language, all_classes, _id), and MiniLongBench JSON ({"0": {origin_prompt, gold, ...}, ...})
//   whose full prompt is split back into context and question by matching LongBench's template
//   (config/dataset2prompt.json). The pipeline then builds its own prompt from ParallelComp's
//   templates, so both formats reach the model the same way.
// A malformed record does not stop the load: it is returned as a failure with its line (JSONL)
// or key (MiniLongBench) so the run can record that sample as failed and go on.
#ifndef PCB_LONGBENCH_DATA_H
#define PCB_LONGBENCH_DATA_H

typedef struct {
    char *id;  // LongBench _id, or "<task>-<key>" for MiniLongBench
    char *context, *input;
    char **answers;
    int n_answers;
    char **all_classes;  // classification tasks (trec, lsht), else NULL
    int n_classes;
    int length;  // LongBench `length` (words), 0 if unknown
} task_sample;

typedef struct {
    char *where;  // "FILE:LINE" or "FILE: key K"
    char *message;
} task_failure;

typedef struct {
    task_sample *samples;
    int n;
    task_failure *failures;
    int n_failures;
} task_samples;

// Raw LongBench JSONL. -1 + error only when the file cannot be read at all.
int longbench_load_jsonl(const char *path, task_samples *out);
// MiniLongBench_<task>.json, each prompt split with the first of `templates` that matches it
// (templates: head{context}middle{input}tail, or head{context}tail for tasks without a question).
// -1 + error when the file or a template is unusable; unmatched prompts become failures.
int minilongbench_load(const char *path, const char *task, const char *const *templates, int n_templates,
                       task_samples *out);
// MiniLongBench's prompts come from OpenCompass, whose wording differs from LongBench's config in
// three ways we know of: narrativeqa without LongBench's "asconcisely" typo, qasper with the
// multi-document QA template, and multi_news with a final newline. *out gets the candidate templates (malloc'ed, free each and the
// array); returns their count or -1.
int minilongbench_templates(const char *config_dir, const char *task, char ***out);
// The task's entry of LongBench's config/dataset2prompt.json (malloc'ed), NULL + error.
char *longbench_prompt_template(const char *config_dir, const char *task);
void task_samples_free(task_samples *s);

#endif
