// ParallelComp's per-task prompt templates, loaded as data (DESIGN: never retyped):
// dataset2prompt_context.json ("instruction head{context}tail", one per chunk) and
// dataset2prompt_quesiton.json [sic] (the question tail, usually with "{input}").
#ifndef PCB_PROMPT_TEMPLATES_H
#define PCB_PROMPT_TEMPLATES_H

// The templates' folder inside the data folder (bench/base/paths.h finds that).
#define PROMPT_TEMPLATES_SUBDIR "parallelcomp_config"

typedef struct {
    char *head, *tail;  // context template around "{context}"
    char *question;     // question template (placeholders unfilled)
} prompt_template;

// Loads task `task` from `dir`. Errors name the file and the task.
int prompt_template_load(const char *dir, const char *task, prompt_template *t);
void prompt_template_free(prompt_template *t);
// The question template with every "{input}" replaced by `input` (malloc'ed).
char *prompt_template_fill(const char *question_template, const char *input);

#endif
