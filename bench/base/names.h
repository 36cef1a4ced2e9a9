// The names pcbench knows, each list written once: methods, calibration regions, tasks (with the
// data they read and the reference's per-task chunk budget) and data sources. The enums of
// bench/method/pcomp.h (pcomp_method, calib_region) follow these orders.
#ifndef PCB_NAMES_H
#define PCB_NAMES_H

#include <stddef.h>

#define PCB_N_METHODS 8
#define PCB_N_REGIONS 5

// NULL-terminated (the config schema's enum values), in pcomp_method / calib_region order.
extern const char *const pcb_method_names[PCB_N_METHODS + 1];
extern const char *const pcb_region_names[PCB_N_REGIONS + 1];
// longbench | minilongbench | generated | pg19, NULL-terminated.
extern const char *const pcb_source_names[];

typedef enum {
    TASK_LONGBENCH,  // a LongBench data set (source longbench or minilongbench)
    TASK_GENERATED,  // generated on the fly (InfiniteBench synthetic tasks, needle)
    TASK_PPL,        // perplexity over PG19 books
} pcb_task_kind;

typedef struct {
    const char *name;
    pcb_task_kind kind;
    const char *group;    // LongBench: the paper's category (Table 2 column groups); else NULL
    int keeps_one_chunk;  // retrieval task: the reference keeps a single chunk (topk_chunks 1)
} pcb_task;

// LongBench in its own order, then the InfiniteBench synthetic tasks, ppl and needle.
extern const pcb_task pcb_tasks[];
extern const int pcb_n_tasks;
extern const char *const pcb_task_names[];  // the same names, NULL-terminated

const pcb_task *pcb_task_find(const char *name);  // NULL when unknown
// The source a task reads when its config names none: generated, pg19 or longbench.
const char *pcb_task_default_source(const pcb_task *t);
// Index of name in a NULL-terminated list, or -1.
int pcb_name_index(const char *const *names, const char *name);
// "a, b, c" (sep ", ") or "a | b | c" into buf.
void pcb_names_join(const char *const *names, const char *sep, char *buf, size_t size);

#endif
