#include "bench/tasks/longbench_data.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/base/text_file.h"

static void add_failure(task_samples *s, const char *where, const char *message) {
    s->failures = pcb_realloc(s->failures, sizeof *s->failures * (size_t)(s->n_failures + 1));
    s->failures[s->n_failures++] = (task_failure){pcb_strdup(where), pcb_strdup(message)};
}

static task_sample *new_sample(task_samples *s) {
    s->samples = pcb_realloc(s->samples, sizeof *s->samples * (size_t)(s->n + 1));
    task_sample *t = &s->samples[s->n++];
    *t = (task_sample){0};
    return t;
}

static void sample_free(task_sample *t) {
    free(t->id), free(t->context), free(t->input);
    for (int i = 0; i < t->n_answers; i++) free(t->answers[i]);
    for (int i = 0; i < t->n_classes; i++) free(t->all_classes[i]);
    free(t->answers), free(t->all_classes);
}

// A JSON array of strings into a malloc'ed list; -1 if it is not one.
static int string_list(const cJSON *a, char ***out, int *n) {
    *out = NULL, *n = 0;
    if (!cJSON_IsArray(a)) return -1;
    int count = cJSON_GetArraySize(a);
    char **list = pcb_calloc((size_t)count + 1, sizeof *list);
    for (int i = 0; i < count; i++) {
        const cJSON *e = cJSON_GetArrayItem(a, i);
        if (!cJSON_IsString(e)) {
            for (int j = 0; j < i; j++) free(list[j]);
            free(list);
            return -1;
        }
        list[i] = pcb_strdup(e->valuestring);
    }
    *out = list, *n = count;
    return 0;
}

// One raw record; on failure *why says what is wrong.
static int parse_record(const cJSON *o, task_sample *t, const char **why) {
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(o, "input");
    const cJSON *context = cJSON_GetObjectItemCaseSensitive(o, "context");
    const cJSON *answers = cJSON_GetObjectItemCaseSensitive(o, "answers");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "_id");
    const cJSON *classes = cJSON_GetObjectItemCaseSensitive(o, "all_classes");
    const cJSON *length = cJSON_GetObjectItemCaseSensitive(o, "length");
    if (!cJSON_IsObject(o)) return *why = "not a JSON object", -1;
    if (!cJSON_IsString(input) || !cJSON_IsString(context)) return *why = "'input' and 'context' must be strings", -1;
    if (!cJSON_IsString(id)) return *why = "'_id' must be a string", -1;
    if (string_list(answers, &t->answers, &t->n_answers) || t->n_answers == 0)
        return *why = "'answers' must be a non-empty list of strings", -1;
    if (classes && !cJSON_IsNull(classes) && string_list(classes, &t->all_classes, &t->n_classes))
        return *why = "'all_classes' must be null or a list of strings", -1;
    t->id = pcb_strdup(id->valuestring);
    t->context = pcb_strdup(context->valuestring), t->input = pcb_strdup(input->valuestring);
    t->length = cJSON_IsNumber(length) ? length->valueint : 0;
    return 0;
}

int longbench_load_jsonl(const char *path, task_samples *out) {
    *out = (task_samples){0};
    size_t len;
    char *text = read_text_file(path, &len);
    if (!text) return -1;
    char where[1100];
    int line = 0;
    for (char *p = text; p < text + len;) {
        char *end = memchr(p, '\n', (size_t)(text + len - p));
        if (!end) end = text + len;
        *end = 0;
        line++;
        if (strspn(p, " \t\r") != strlen(p)) {  // blank lines are not records
            snprintf(where, sizeof where, "%s:%d", path, line);
            cJSON *o = cJSON_ParseWithLength(p, (size_t)(end - p));
            const char *why = NULL;
            task_sample t = {0};
            if (!o) why = "malformed JSON";
            else if (parse_record(o, &t, &why) == 0) *new_sample(out) = t;
            if (why) {
                sample_free(&t);
                add_failure(out, where, why);
            }
            cJSON_Delete(o);
        }
        p = end + 1;
    }
    free(text);
    return 0;
}

char *longbench_prompt_template(const char *config_dir, const char *task) {
    char path[1024];
    snprintf(path, sizeof path, "%s/dataset2prompt.json", config_dir);
    size_t len;
    char *text = read_text_file(path, &len);
    if (!text) return NULL;
    cJSON *o = cJSON_ParseWithLength(text, len);
    free(text);
    const cJSON *t = o ? cJSON_GetObjectItemCaseSensitive(o, task) : NULL;
    char *out = NULL;
    if (!o) pcb_fail("%s: malformed JSON", path);
    else if (!cJSON_IsString(t)) pcb_fail("%s: no prompt template for task '%s'", path, task);
    else out = pcb_strdup(t->valuestring);
    cJSON_Delete(o);
    return out;
}

// Splits prompt = head + CONTEXT + middle + INPUT + tail for a template head{context}middle{input}tail
// (or head + CONTEXT + tail when the template has no {input}). The middle is searched from the
// end, since contexts may quote the instruction. 0, or -1 with *why.
static int split_prompt(const char *prompt, const char *tpl, char **context, char **input, const char **why) {
    const char *c = strstr(tpl, "{context}"), *i = strstr(tpl, "{input}");
    const char *after_c = c + 9, *end_mid = i ? i : tpl + strlen(tpl);
    size_t head = (size_t)(c - tpl), mid = (size_t)(end_mid - after_c), tail = i ? strlen(i + 7) : 0;
    size_t n = strlen(prompt);
    if (n < head + mid + tail || strncmp(prompt, tpl, head)) return *why = "prompt does not start as the template", -1;
    if (strcmp(prompt + n - tail, i ? i + 7 : "")) return *why = "prompt does not end as the template", -1;
    const char *at = NULL;
    for (const char *p = prompt + n - tail - mid; p >= prompt + head && !at; p--)  // last match of the middle
        if (!strncmp(p, after_c, mid)) at = p;
    if (!at || (!i && at != prompt + n - mid))
        return *why = "the template's text between context and question is not in the prompt", -1;
    *context = strndup(prompt + head, (size_t)(at - prompt - (long)head));
    *input = strndup(at + mid, (size_t)(prompt + n - tail - (at + mid)));
    return 0;
}

int minilongbench_load(const char *path, const char *task, const char *const *templates, int n_templates,
                       task_samples *out) {
    *out = (task_samples){0};
    for (int k = 0; k < n_templates; k++) {
        const char *c = strstr(templates[k], "{context}"), *i = strstr(templates[k], "{input}");
        if (!c || (i && i < c + 9))
            return pcb_fail("prompt template %d of '%s' lacks {context} (before any {input})", k + 1, task);
    }
    size_t len;
    char *text = read_text_file(path, &len);
    if (!text) return -1;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return pcb_fail("%s: not a MiniLongBench JSON object", path);
    }
    char where[1100], id[256];
    for (const cJSON *e = root->child; e; e = e->next) {
        snprintf(where, sizeof where, "%s: key %s", path, e->string);
        const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(e, "origin_prompt");
        const cJSON *gold = cJSON_GetObjectItemCaseSensitive(e, "gold");
        const char *why = NULL;
        task_sample t = {0};
        const cJSON *answers = cJSON_IsObject(gold) ? cJSON_GetObjectItemCaseSensitive(gold, "answers") : gold;
        const cJSON *classes = cJSON_IsObject(gold) ? cJSON_GetObjectItemCaseSensitive(gold, "all_classes") : NULL;
        if (!cJSON_IsString(prompt)) why = "'origin_prompt' must be a string";
        else if (string_list(answers, &t.answers, &t.n_answers) || !t.n_answers)
            why = "'gold' must be a non-empty list of strings (or {answers, all_classes})";
        else if (classes && string_list(classes, &t.all_classes, &t.n_classes))
            why = "'gold.all_classes' must be a list of strings";
        else {
            for (int k = 0; k < n_templates; k++)  // the first template that matches
                if (split_prompt(prompt->valuestring, templates[k], &t.context, &t.input, &why) == 0) {
                    why = NULL;
                    break;
                }
            if (!why) {
                snprintf(id, sizeof id, "%s-%s", task, e->string);
                t.id = pcb_strdup(id);
                *new_sample(out) = t;
            }
        }
        if (why) {
            sample_free(&t);
            add_failure(out, where, why);
        }
    }
    cJSON_Delete(root);
    return 0;
}

void task_samples_free(task_samples *s) {
    for (int i = 0; i < s->n; i++) sample_free(&s->samples[i]);
    for (int i = 0; i < s->n_failures; i++) free(s->failures[i].where), free(s->failures[i].message);
    free(s->samples), free(s->failures);
    *s = (task_samples){0};
}

// Replaces every `from` in s by `to` (malloc'ed).
static char *replace_all(const char *s, const char *from, const char *to) {
    size_t nf = strlen(from), nt = strlen(to), count = 0;
    for (const char *p = s; (p = strstr(p, from)); p += nf) count++;
    char *out = pcb_malloc(strlen(s) + count * (nt > nf ? nt - nf : 0) + 1), *w = out;
    for (const char *p = s, *q;; p = q + nf) {
        q = strstr(p, from);
        size_t n = q ? (size_t)(q - p) : strlen(p);
        memcpy(w, p, n), w += n;
        if (!q) break;
        memcpy(w, to, nt), w += nt;
    }
    *w = 0;
    return out;
}

int minilongbench_templates(const char *config_dir, const char *task, char ***out) {
    char *own = longbench_prompt_template(config_dir, task);
    if (!own) return -1;
    char **t = pcb_calloc(4, sizeof *t);
    int n = 0;
    t[n++] = own;
    if (strstr(own, "asconcisely")) t[n++] = replace_all(own, "asconcisely", "as concisely");
    size_t len = strlen(own);  // multi_news prompts end with one more newline
    t[n] = pcb_malloc(len + 2);
    memcpy(t[n], own, len), memcpy(t[n] + len, "\n", 2), n++;
    if (!strcmp(task, "qasper")) {
        char *qa = longbench_prompt_template(config_dir, "hotpotqa");
        if (!qa) {
            for (int i = 0; i < n; i++) free(t[i]);
            free(t);
            return -1;
        }
        t[n++] = qa;
    }
    *out = t;
    return n;
}
