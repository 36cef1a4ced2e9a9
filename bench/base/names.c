// The name tables of bench/base/names.h.
#include "bench/base/names.h"

#include <stdio.h>
#include <string.h>

const char *const pcb_method_names[PCB_N_METHODS + 1] = {
    "full", "full-untruncated", "pcw", "parallelcomp", "streamingllm", "snapkv", "h2o", "pyramidkv", NULL};
const char *const pcb_region_names[PCB_N_REGIONS + 1] = {"sink", "recent", "middle", "all", "chunk_sinks", NULL};
const char *const pcb_source_names[] = {"longbench", "minilongbench", "generated", "pg19", NULL};

// One list, two shapes: the task rows and the plain name list the config enum needs.
#define TASK_LIST(X)                                          \
    X("narrativeqa", TASK_LONGBENCH, "Single-Doc QA", 0)      \
    X("qasper", TASK_LONGBENCH, "Single-Doc QA", 0)           \
    X("multifieldqa_en", TASK_LONGBENCH, "Single-Doc QA", 0)  \
    X("hotpotqa", TASK_LONGBENCH, "Multi-Doc QA", 0)          \
    X("2wikimqa", TASK_LONGBENCH, "Multi-Doc QA", 0)          \
    X("musique", TASK_LONGBENCH, "Multi-Doc QA", 0)           \
    X("gov_report", TASK_LONGBENCH, "Summarization", 0)       \
    X("qmsum", TASK_LONGBENCH, "Summarization", 0)            \
    X("multi_news", TASK_LONGBENCH, "Summarization", 0)       \
    X("trec", TASK_LONGBENCH, "Few-shot", 0)                  \
    X("triviaqa", TASK_LONGBENCH, "Few-shot", 0)              \
    X("samsum", TASK_LONGBENCH, "Few-shot", 0)                \
    X("passage_count", TASK_LONGBENCH, "Synthetic", 0)        \
    X("passage_retrieval_en", TASK_LONGBENCH, "Synthetic", 1) \
    X("lcc", TASK_LONGBENCH, "Code", 0)                       \
    X("repobench-p", TASK_LONGBENCH, "Code", 0)               \
    X("passkey", TASK_GENERATED, NULL, 1)                     \
    X("number_string", TASK_GENERATED, NULL, 1)               \
    X("kv_retrieval", TASK_GENERATED, NULL, 1)                \
    X("ppl", TASK_PPL, NULL, 0)                               \
    X("needle", TASK_GENERATED, NULL, 0)

#define TASK_ROW(name, kind, group, one) {name, kind, group, one},
#define TASK_NAME(name, kind, group, one) name,
const pcb_task pcb_tasks[] = {TASK_LIST(TASK_ROW)};
const int pcb_n_tasks = (int)(sizeof pcb_tasks / sizeof *pcb_tasks);
const char *const pcb_task_names[] = {TASK_LIST(TASK_NAME) NULL};

const pcb_task *pcb_task_find(const char *name) {
    for (int i = 0; name && i < pcb_n_tasks; i++)
        if (!strcmp(pcb_tasks[i].name, name)) return &pcb_tasks[i];
    return NULL;
}

const char *pcb_task_default_source(const pcb_task *t) {
    return t->kind == TASK_GENERATED ? "generated" : t->kind == TASK_PPL ? "pg19" : "longbench";
}

int pcb_name_index(const char *const *names, const char *name) {
    for (int i = 0; name && names[i]; i++)
        if (!strcmp(names[i], name)) return i;
    return -1;
}

void pcb_names_join(const char *const *names, const char *sep, char *buf, size_t size) {
    size_t at = 0;
    buf[0] = 0;
    for (int i = 0; names[i] && at < size; i++)
        at += (size_t)snprintf(buf + at, size - at, "%s%s", i ? sep : "", names[i]);
}
