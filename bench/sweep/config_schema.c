// The experiment-config schema: every key, its type, range, default and where its value lives.
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/names.h"
#include "bench/base/paths.h"
#include "bench/sweep/config.h"

static const char *const backends[] = {"cpu", "cuda", NULL};

// target, offset, offset_n, knob (none)
#define ROOT(f) CT_ROOT, offsetof(experiment_config, f), 0, -1
#define TASK(f) CT_TASK, offsetof(config_task, f), 0, -1
#define TASKL(f) CT_TASK, offsetof(config_task, f), offsetof(config_task, n_##f), -1
#define NONE CT_NONE, 0, 0, -1
#define IMAX ((double)INT_MAX)

// The keys that are not knobs, before the method.* / attention_log.* keys of the knob table.
static const config_key head[] = {
    {"name", CK_NAME, 0, 0, CKF_REQUIRED, NULL, "", "experiment name", ROOT(name)},
    {"model", CK_PATH, 0, 0, 0, NULL, "",
     "GGUF model file (default: $PCB_MODEL, else models/" PCB_DEFAULT_MODEL_FILE " beside the pcbench binary)",
     ROOT(model)},
    {"backend", CK_ENUM, 0, 0, 0, backends, "cpu", "engine backend", ROOT(backend)},
    {"threads", CK_INT, 0, 1024, 0, NULL, "0", "CPU threads (0 = all cores)", ROOT(threads)},
    {"seed", CK_INT, 0, IMAX, 0, NULL, "1", "seed of generated data", ROOT(seed)},
    {"output", CK_MAP, 0, 0, 0, NULL, "", "where results go", NONE},
    {"output.db", CK_PATH, 0, 0, 0, NULL, "results/results.sqlite", "SQLite results database", ROOT(db)},
    {"output.attn_dir", CK_PATH, 0, 0, 0, NULL, "results/attn", "folder of attention logs", ROOT(attn_dir)},
    {"tasks", CK_TASKS, 0, 0, CKF_REQUIRED, NULL, "", "tasks to run", NONE},
    {"tasks.*.name", CK_ENUM, 0, 0, CKF_REQUIRED, pcb_task_names, "", "task", TASK(name)},
    {"tasks.*.source", CK_ENUM, 0, 0, 0, pcb_source_names, "",
     "data source [generated for passkey, number_string, kv_retrieval, needle; pg19 for ppl; longbench or "
     "minilongbench otherwise]",
     TASK(source)},
    {"tasks.*.samples", CK_INT, 1, 100000, 0, NULL, "", "samples [all of a data set; 1 generated]", TASK(samples)},
    {"tasks.*.lengths", CK_INT_LIST, 64, 4194304, 0, NULL, "[]", "context lengths in tokens ([] = as in the data)",
     TASKL(lengths)},
    {"tasks.*.depths", CK_FLOAT_LIST, 0, 1, CKF_NONEMPTY, NULL, "[0.5]", "needle / passkey depths", TASKL(depths)},
    {"tasks.*.max_new_tokens", CK_INT, 0, 65536, 0, NULL, "0", "answer tokens (0 = the task's default)",
     TASK(max_new_tokens)},
};
static const config_key tail[] = {
    {"sweep", CK_SWEEP, 0, 0, 0, NULL, "{}", "dotted method.* / attention_log.* key -> list of values", NONE},
};

// The mappings the knob keys sit in.
static const struct {
    const char *key, *help;
} groups[] = {{"method", "method and its knobs"},
              {"method.calibration", "attention-bias calibration"},
              {"attention_log", "HDF5 attention log"}};

// Where a variant keeps each method knob (config_method spells them its own way); attention_log.*
// knobs sit in the variant's attn_log_options at the knob's own offset.
#define VAR(f) offsetof(config_variant, f)
static const struct {
    knob_id id;
    size_t offset;
} method_fields[] = {
    {KNOB_METHOD, VAR(method.name)},
    {KNOB_MODEL_BUDGET, VAR(method.model_budget)},
    {KNOB_CHUNK_TOKENS, VAR(method.chunk_tokens)},
    {KNOB_BATCH_CHUNKS, VAR(method.batch_chunks)},
    {KNOB_TOPK_CHUNKS, VAR(method.topk_chunks)},
    {KNOB_QUERY_RECENT, VAR(method.query_recent)},
    {KNOB_REPEAT_HEAD, VAR(method.repeat_head)},
    {KNOB_KV_EVICTION, VAR(method.kv_eviction)},
    {KNOB_CAPACITY, VAR(method.capacity)},
    {KNOB_WINDOW, VAR(method.window)},
    {KNOB_POOL_KERNEL, VAR(method.pool_kernel)},
    {KNOB_SINK_TOKENS, VAR(method.sink_tokens)},
    {KNOB_H2O_HEAVY, VAR(method.h2o_heavy)},
    {KNOB_PYRAMID_BETA, VAR(method.pyramid_beta)},
    {KNOB_CALIB_ENABLED, VAR(method.calibration.enabled)},
    {KNOB_CALIB_LAYERS, VAR(method.calibration.layers)},
    {KNOB_CALIB_REGION, VAR(method.calibration.region)},
    {KNOB_CALIB_THRESHOLD, VAR(method.calibration.threshold)},
    {KNOB_CALIB_ROWS, VAR(method.calibration.rows)},
    {KNOB_CALIB_WIDTH, VAR(method.calibration.width)},
    {KNOB_CALIB_EQUALIZE, VAR(method.calibration.equalize)},
    {KNOB_CALIB_CURRENT_STEP, VAR(method.calibration.current_step)},
};

#define N_GROUPS (sizeof groups / sizeof *groups)
#define N_HEAD (sizeof head / sizeof *head)
#define N_TAIL (sizeof tail / sizeof *tail)
#define MAX_KEYS (N_HEAD + N_GROUPS + KNOB_COUNT + N_TAIL)

static config_key schema[MAX_KEYS];
static const config_key *knob_keys[KNOB_COUNT];
static char defaults[KNOB_COUNT][32];
static int n_schema;

static _Noreturn void schema_bug(const char *what, const char *key) {
    fprintf(stderr, "pcbench: internal error: config schema: %s '%s'\n", what, key);
    abort();
}

static size_t variant_offset(const knob *k, knob_id id) {
    if (k->home == KNOB_IN_ATTN_LOG) return offsetof(config_variant, attention_log) + k->offset;
    for (size_t i = 0; i < sizeof method_fields / sizeof *method_fields; i++)
        if (method_fields[i].id == id) return method_fields[i].offset;
    schema_bug("no variant field for knob", k->key);
}

// Adds the mapping rows of every parent of key ("method", "method.calibration") not yet there.
static void add_parents(const char *key) {
    for (const char *dot = strchr(key, '.'); dot; dot = strchr(dot + 1, '.')) {
        size_t n = (size_t)(dot - key);
        int have = 0;
        for (int i = 0; i < n_schema && !have; i++)
            have = strlen(schema[i].key) == n && !strncmp(schema[i].key, key, n);
        if (have) continue;
        size_t g = 0;
        while (g < N_GROUPS && (strlen(groups[g].key) != n || strncmp(groups[g].key, key, n))) g++;
        if (g == N_GROUPS) schema_bug("no mapping for the parent of", key);
        schema[n_schema++] = (config_key){groups[g].key, CK_MAP, 0, 0, 0, NULL, "", groups[g].help, NONE};
    }
}

static const config_key_type key_type[] = {[KNOB_INT] = CK_INT,
                                           [KNOB_FLOAT] = CK_FLOAT,
                                           [KNOB_BOOL] = CK_BOOL,
                                           [KNOB_ENUM] = CK_ENUM,
                                           [KNOB_LAYERS] = CK_LAYERS};

// The schema, made once: the head rows, a row per knob (their mappings first), the tail rows.
static void build(void) {
    if (n_schema) return;
    for (size_t i = 0; i < N_HEAD; i++) schema[n_schema++] = head[i];
    for (int id = 0; id < KNOB_COUNT; id++) {
        const knob *k = knob_get(id);
        add_parents(k->key);
        knob_default_text(k, defaults[id], sizeof defaults[id]);
        schema[n_schema] =
            (config_key){k->key,     key_type[k->type],     k->lo, k->hi, k->range, k->values, defaults[id], k->help,
                         CT_VARIANT, variant_offset(k, id), 0,     id};
        knob_keys[id] = &schema[n_schema++];
    }
    for (size_t i = 0; i < N_TAIL; i++) schema[n_schema++] = tail[i];
}

const config_key *config_schema(int *n) {
    build();
    *n = n_schema;
    return schema;
}

const config_key *config_schema_find(const char *key) {
    build();
    for (int i = 0; i < n_schema; i++)
        if (!strcmp(schema[i].key, key)) return &schema[i];
    return NULL;
}

const config_key *config_schema_knob(knob_id id) {
    build();
    return id >= 0 && id < KNOB_COUNT ? knob_keys[id] : NULL;
}

static void range_text(const config_key *k, const char *what, char *buf, size_t size) {
    int is_int = k->type != CK_FLOAT && k->type != CK_FLOAT_LIST;
    knob_range_text(k->lo, k->hi, k->flags & KNOB_RANGE_FLAGS, is_int, what, buf, size);
}

void config_key_expected(const config_key *k, char *buf, size_t size) {
    char r[96];
    switch (k->type) {
    case CK_MAP: {
        size_t n = (size_t)snprintf(buf, size, "a mapping of");
        size_t plen = strlen(k->key);
        const char *sep = " ";
        build();
        for (int i = 0; i < n_schema && n < size; i++) {
            const char *s = schema[i].key;
            if (strncmp(s, k->key, plen) || s[plen] != '.' || strchr(s + plen + 1, '.')) continue;
            n += (size_t)snprintf(buf + n, size - n, "%s%s", sep, s + plen + 1);
            sep = ", ";
        }
        break;
    }
    case CK_STRING:
        snprintf(buf, size, "a string");
        break;
    case CK_NAME:
        snprintf(buf, size, "a name of letters, digits, '_', '.' and '-'");
        break;
    case CK_PATH:
        snprintf(buf, size, "a file path");
        break;
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
    case CK_FLOAT:
        range_text(k, "a number", buf, size);
        break;
    case CK_BOOL:
        snprintf(buf, size, "true or false");
        break;
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
    case CK_TASKS:
        snprintf(buf, size, "a non-empty list of task mappings (each with at least name)");
        break;
    case CK_SWEEP:
        snprintf(buf, size, "a mapping of dotted method.* / attention_log.* keys to non-empty lists of values");
        break;
    }
}

void config_key_format(const config_key *k, const void *target, char *buf, size_t size) {
    const char *p = (const char *)target + k->offset;
    switch (k->type) {
    case CK_INT:
        snprintf(buf, size, "%d", *(const int *)p);
        break;
    case CK_BOOL:
        snprintf(buf, size, "%s", *(const int *)p ? "true" : "false");
        break;
    case CK_FLOAT:
        snprintf(buf, size, "%.17g", *(const double *)p);
        break;
    case CK_ENUM:
    case CK_STRING:
    case CK_NAME:
    case CK_PATH: {
        const char *s = *(const char *const *)p;
        snprintf(buf, size, "%s", s ? s : "");
        break;
    }
    case CK_LAYERS:
        snprintf(buf, size, "%s", ((const config_layers *)p)->text);
        break;
    default:
        snprintf(buf, size, "?");
        break;
    }
}
