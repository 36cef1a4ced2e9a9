#include "bench/tasks/prompt_templates.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/base/text_file.h"

// The string value of `task` in the JSON object file dir/name (malloc'ed), or NULL + error.
static char *task_string(const char *dir, const char *name, const char *task) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t len;
    char *text = read_text_file(path, &len);
    if (!text) return NULL;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        pcb_fail("%s: not a JSON object of templates", path);
        return NULL;
    }
    cJSON *v = cJSON_GetObjectItemCaseSensitive(root, task);
    char *out = cJSON_IsString(v) ? pcb_strdup(v->valuestring) : NULL;
    cJSON_Delete(root);
    if (!out) pcb_fail("%s: no template for task '%s'", path, task);
    return out;
}

int prompt_template_load(const char *dir, const char *task, prompt_template *t) {
    *t = (prompt_template){0};
    char *ctx = task_string(dir, "dataset2prompt_context.json", task);
    if (!ctx) return -1;
    char *at = strstr(ctx, "{context}");
    if (!at) {
        free(ctx);
        return pcb_fail("%s/dataset2prompt_context.json: the template of '%s' has no {context}", dir, task);
    }
    t->tail = pcb_strdup(at + strlen("{context}"));
    *at = 0;
    t->head = ctx;
    t->question = task_string(dir, "dataset2prompt_quesiton.json", task);
    if (!t->question) {
        prompt_template_free(t);
        return -1;
    }
    return 0;
}

void prompt_template_free(prompt_template *t) {
    free(t->head), free(t->tail), free(t->question);
    *t = (prompt_template){0};
}

char *prompt_template_fill(const char *tpl, const char *input) {
    static const char key[] = "{input}";
    size_t n_in = strlen(input), cap = strlen(tpl) + 1, uses = 0;
    for (const char *p = strstr(tpl, key); p; p = strstr(p + 1, key)) uses++;
    cap += uses * n_in;
    char *out = pcb_malloc(cap), *o = out;
    for (const char *p = tpl; *p;) {
        if (!strncmp(p, key, sizeof key - 1)) {
            memcpy(o, input, n_in), o += n_in, p += sizeof key - 1;
        } else *o++ = *p++;
    }
    *o = 0;
    return out;
}
