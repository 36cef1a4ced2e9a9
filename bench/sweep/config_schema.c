// The experiment-config schema: every key, its type, range, default and where its value lives.
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench/base/paths.h"
#include "bench/sweep/config.h"

static const char *const backends[] = {"cpu", "cuda", NULL};
static const char *const task_names[] = {
    // LongBench
    "narrativeqa", "qasper", "multifieldqa_en", "hotpotqa", "2wikimqa", "musique", "gov_report", "qmsum",
    "multi_news", "trec", "triviaqa", "samsum", "passage_count", "passage_retrieval_en", "lcc", "repobench-p",
    // InfiniteBench synthetic
    "passkey", "number_string", "kv_retrieval",
    // others
    "ppl", "needle", NULL};
static const char *const sources[] = {"longbench", "minilongbench", "generated", "pg19", NULL};
static const char *const methods[] = {"full",         "full-untruncated", "pcw", "parallelcomp",
                                      "streamingllm", "snapkv",           "h2o", "pyramidkv", NULL};
static const char *const regions[] = {"sink", "recent", "middle", "all", "chunk_sinks", NULL};

#define ROOT(f) CT_ROOT, offsetof(experiment_config, f), 0
#define TASK(f) CT_TASK, offsetof(config_task, f), 0
#define TASKL(f) CT_TASK, offsetof(config_task, f), offsetof(config_task, n_##f)
#define VAR(f) CT_VARIANT, offsetof(config_variant, f), 0
#define NONE CT_NONE, 0, 0
#define IMAX ((double)INT_MAX)

static const config_key schema[] = {
    {"name", CK_NAME, 0, 0, CKF_REQUIRED, NULL, "", "experiment name", ROOT(name)},
    {"model", CK_PATH, 0, 0, 0, NULL, "", "GGUF model file (default: $PCB_MODEL, else models/" PCB_DEFAULT_MODEL_FILE " beside the pcbench binary)", ROOT(model)},
    {"backend", CK_ENUM, 0, 0, 0, backends, "cpu", "engine backend", ROOT(backend)},
    {"threads", CK_INT, 0, 1024, 0, NULL, "0", "CPU threads (0 = all cores)", ROOT(threads)},
    {"seed", CK_INT, 0, IMAX, 0, NULL, "1", "seed of generated data", ROOT(seed)},
    {"output", CK_MAP, 0, 0, 0, NULL, "", "where results go", NONE},
    {"output.db", CK_PATH, 0, 0, 0, NULL, "results/results.sqlite", "SQLite results database", ROOT(db)},
    {"output.attn_dir", CK_PATH, 0, 0, 0, NULL, "results/attn", "folder of attention logs", ROOT(attn_dir)},
    {"tasks", CK_TASKS, 0, 0, CKF_REQUIRED, NULL, "", "tasks to run", NONE},
    {"tasks.*.name", CK_ENUM, 0, 0, CKF_REQUIRED, task_names, "", "task", TASK(name)},
    {"tasks.*.source", CK_ENUM, 0, 0, 0, sources, "",
     "data source [generated for passkey, number_string, kv_retrieval, needle; pg19 for ppl; longbench or minilongbench otherwise]", TASK(source)},
    {"tasks.*.samples", CK_INT, 1, 100000, 0, NULL, "", "samples [all of a data set; 1 generated]", TASK(samples)},
    {"tasks.*.lengths", CK_INT_LIST, 64, 4194304, 0, NULL, "[]", "context lengths in tokens ([] = as in the data)",
     TASKL(lengths)},
    {"tasks.*.depths", CK_FLOAT_LIST, 0, 1, CKF_NONEMPTY, NULL, "[0.5]", "needle / passkey depths", TASKL(depths)},
    {"tasks.*.max_new_tokens", CK_INT, 0, 65536, 0, NULL, "0", "answer tokens (0 = the task's default)",
     TASK(max_new_tokens)},
    {"method", CK_MAP, 0, 0, 0, NULL, "", "method and its knobs", NONE},
    {"method.name", CK_ENUM, 0, 0, 0, methods, "parallelcomp", "method", VAR(method.name)},
    {"method.model_budget", CK_INT, 0, IMAX, 0, NULL, "0", "positions per window (0 = trained context)",
     VAR(method.model_budget)},
    {"method.chunk_tokens", CK_INT, 0, IMAX, 0, NULL, "0", "context part per chunk (0 = from the budget)",
     VAR(method.chunk_tokens)},
    {"method.batch_chunks", CK_INT, 1, 4096, 0, NULL, "1", "chunks per forward call", VAR(method.batch_chunks)},
    {"method.topk_chunks", CK_INT, 0, IMAX, 0, NULL, "3", "chunks kept (0 = all)", VAR(method.topk_chunks)},
    {"method.query_recent", CK_INT, 0, IMAX, 0, NULL, "0", "score with the last N query tokens (0 = all)",
     VAR(method.query_recent)},
    {"method.repeat_head", CK_BOOL, 0, 0, 0, NULL, "true", "instruction head in every chunk",
     VAR(method.repeat_head)},
    {"method.kv_eviction", CK_BOOL, 0, 0, 0, NULL, "false", "evict KV slots inside chunks", VAR(method.kv_eviction)},
    {"method.capacity", CK_INT, 1, 10000000, 0, NULL, "512", "KV slots kept per KV head", VAR(method.capacity)},
    {"method.window", CK_INT, 1, 100000, 0, NULL, "8", "observation window rows", VAR(method.window)},
    {"method.pool_kernel", CK_INT, 1, 1001, CKF_ODD, NULL, "7", "max-pool width", VAR(method.pool_kernel)},
    {"method.sink_tokens", CK_INT, 0, 100000, 0, NULL, "4", "streamingllm sink slots", VAR(method.sink_tokens)},
    {"method.h2o_heavy", CK_FLOAT, 0, 1, 0, NULL, "0.5", "h2o heavy-hitter share of the capacity",
     VAR(method.h2o_heavy)},
    {"method.pyramid_beta", CK_FLOAT, 0, HUGE_VAL, CKF_LO_OPEN, NULL, "20", "pyramidkv budget ratio",
     VAR(method.pyramid_beta)},
    {"method.calibration", CK_MAP, 0, 0, 0, NULL, "", "attention-bias calibration", NONE},
    {"method.calibration.enabled", CK_BOOL, 0, 0, 0, NULL, "false", "calibrate at the question",
     VAR(method.calibration.enabled)},
    {"method.calibration.layers", CK_LAYERS, 0, 100000, 0, NULL, "\"\"", "layers A-B (required when enabled)",
     VAR(method.calibration.layers)},
    {"method.calibration.region", CK_ENUM, 0, 0, 0, regions, "all", "slot region", VAR(method.calibration.region)},
    {"method.calibration.threshold", CK_FLOAT, 0, 1, 0, NULL, "0.1", "evict slots attended above this",
     VAR(method.calibration.threshold)},
    {"method.calibration.rows", CK_INT, 1, IMAX, 0, NULL, "1", "mean over the last N question rows",
     VAR(method.calibration.rows)},
    {"method.calibration.width", CK_INT, 1, IMAX, 0, NULL, "100", "region width in slots",
     VAR(method.calibration.width)},
    {"method.calibration.equalize", CK_BOOL, 0, 0, 0, NULL, "true", "same count per KV head",
     VAR(method.calibration.equalize)},
    {"method.calibration.current_step", CK_BOOL, 0, 0, 0, NULL, "true",
     "the question's own attention skips evicted slots", VAR(method.calibration.current_step)},
    {"attention_log", CK_MAP, 0, 0, 0, NULL, "", "HDF5 attention log", NONE},
    {"attention_log.enabled", CK_BOOL, 0, 0, 0, NULL, "false", "write the attention log",
     VAR(attention_log.enabled)},
    {"attention_log.rows", CK_INT, 1, IMAX, 0, NULL, "1", "question rows averaged", VAR(attention_log.rows)},
    {"attention_log.generated", CK_BOOL, 0, 0, 0, NULL, "false", "also log generated tokens",
     VAR(attention_log.generated)},
    {"sweep", CK_SWEEP, 0, 0, 0, NULL, "{}", "dotted method.* / attention_log.* key -> list of values", NONE},
};

const config_key *config_schema(int *n) {
    *n = (int)(sizeof schema / sizeof *schema);
    return schema;
}

const config_key *config_schema_find(const char *key) {
    for (size_t i = 0; i < sizeof schema / sizeof *schema; i++)
        if (!strcmp(schema[i].key, key)) return &schema[i];
    return NULL;
}

static void range_text(const config_key *k, const char *what, char *buf, size_t size) {
    const char *fmt = k->type == CK_FLOAT || k->type == CK_FLOAT_LIST ? "%g" : "%.0f";
    char lo[32], hi[32];
    snprintf(lo, sizeof lo, fmt, k->lo);
    snprintf(hi, sizeof hi, fmt, k->hi);
    if (k->hi >= IMAX)
        snprintf(buf, size, "%s %s %s", what, k->flags & CKF_LO_OPEN ? ">" : ">=", lo);
    else
        snprintf(buf, size, "%s in %s..%s", what, lo, hi);
}

void config_key_expected(const config_key *k, char *buf, size_t size) {
    char r[96];
    switch (k->type) {
    case CK_MAP: {
        size_t n = (size_t)snprintf(buf, size, "a mapping of");
        size_t plen = strlen(k->key);
        const char *sep = " ";
        for (size_t i = 0; i < sizeof schema / sizeof *schema && n < size; i++) {
            const char *s = schema[i].key;
            if (strncmp(s, k->key, plen) || s[plen] != '.' || strchr(s + plen + 1, '.')) continue;
            n += (size_t)snprintf(buf + n, size - n, "%s%s", sep, s + plen + 1);
            sep = ", ";
        }
        break;
    }
    case CK_STRING: snprintf(buf, size, "a string"); break;
    case CK_NAME: snprintf(buf, size, "a name of letters, digits, '_', '.' and '-'"); break;
    case CK_PATH: snprintf(buf, size, "a file path"); break;
    case CK_ENUM: {
        size_t n = (size_t)snprintf(buf, size, "one of");
        for (int i = 0; k->values[i] && n < size; i++)
            n += (size_t)snprintf(buf + n, size - n, "%s %s", i ? "," : "", k->values[i]);
        break;
    }
    case CK_INT:
        range_text(k, k->flags & CKF_ODD ? "an odd int" : "an int", r, sizeof r);
        snprintf(buf, size, "%s", r);
        break;
    case CK_FLOAT: range_text(k, "a number", buf, size); break;
    case CK_BOOL: snprintf(buf, size, "true or false"); break;
    case CK_LAYERS:
        snprintf(buf, size, "a layer range \"A-B\" of ints in %.0f..%.0f with A <= B, or \"\"", k->lo, k->hi);
        break;
    case CK_INT_LIST:
        range_text(k, "ints", r, sizeof r);
        snprintf(buf, size, "a %slist of %s", k->flags & CKF_NONEMPTY ? "non-empty " : "", r);
        break;
    case CK_FLOAT_LIST:
        range_text(k, "numbers", r, sizeof r);
        snprintf(buf, size, "a %slist of %s", k->flags & CKF_NONEMPTY ? "non-empty " : "", r);
        break;
    case CK_TASKS: snprintf(buf, size, "a non-empty list of task mappings (each with at least name)"); break;
    case CK_SWEEP:
        snprintf(buf, size, "a mapping of dotted method.* / attention_log.* keys to non-empty lists of values");
        break;
    }
}

void config_key_format(const config_key *k, const void *target, char *buf, size_t size) {
    const char *p = (const char *)target + k->offset;
    switch (k->type) {
    case CK_INT: snprintf(buf, size, "%d", *(const int *)p); break;
    case CK_BOOL: snprintf(buf, size, "%s", *(const int *)p ? "true" : "false"); break;
    case CK_FLOAT: snprintf(buf, size, "%.17g", *(const double *)p); break;
    case CK_ENUM:
    case CK_STRING:
    case CK_NAME:
    case CK_PATH: {
        const char *s = *(const char *const *)p;
        snprintf(buf, size, "%s", s ? s : "");
        break;
    }
    case CK_LAYERS: snprintf(buf, size, "%s", ((const config_layers *)p)->text); break;
    default: snprintf(buf, size, "?"); break;
    }
}
