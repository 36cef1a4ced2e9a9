// Experiment configs: YAML files (libyaml) describing a base variant, tasks and a sweep.
//
//   experiment_config c;
//   if (config_load("configs/demo.yaml", overrides, n_overrides, &c)) die(pcb_last_error());
//   for (int v = 0; v < c.n_variants; v++) ... c.variants[v].method, .hash ...
//   config_free(&c);
//
// The schema (every key, its type, range and default) is the table in config_schema.c, its
// method.* and attention_log.* keys made from the knob table (bench/method/knobs.c);
// configs/demo.yaml shows a whole file. Rules, all strict:
//   - Unknown keys (at any depth: tasks items, sweep keys, method.calibration), duplicate keys,
//     wrong types, out-of-range or unknown enum values, missing required keys (name, tasks,
//     tasks.N.name), an empty file, more than one YAML document and YAML syntax errors fail.
//   - Anchors, aliases and explicit tags (!!str ...) are not supported: an error.
//   - Null values (`key:`, `~`, `null`) are errors: leave the key out to get its default.
//   - Booleans are `true` or `false` only (lowercase, unquoted); yes/no/on/off/True are errors.
//   - Ints are unquoted decimal ([-]digits, no leading zeros, no 0x / 1e3 / 1_000 / 4.0);
//     floats are unquoted decimals with optional exponent (ints accepted; no .inf / .nan).
//   - String, path and enum keys take any non-null scalar, quoted or not.
// Every error is "FILE:LINE: key 'dotted.key': what is wrong (expected ...)" with a 1-based
// line; errors coming from an override read "command line 'KEY=VALUE': key '...': ...".
// Task items are named tasks.N (0-based), list items KEY[N] (tasks.0.lengths[1]); errors about
// the whole document (empty file, not a mapping, a second document, bad UTF-8) name key '(root)'.
// Sources: generated only for passkey / number_string / kv_retrieval / needle (their default),
// longbench (default) or minilongbench for the LongBench tasks; pg19 only (its default) for ppl.
//
// Sweep: `sweep:` maps a dotted method.* or attention_log.* key to a non-empty list of values;
// the variants are the grid product over the base, sweep keys in file order, the last key
// varying fastest (at most CONFIG_MAX_VARIANTS). Without a sweep there is one variant.
//
// Overrides ("KEY=VALUE", applied in order before validation; the value is parsed as YAML, so
// a scalar or a flow list / mapping):
//   threads=4  method.capacity=256  method.calibration.layers=8-15  output.db=x.sqlite
//   tasks.0.samples=2  tasks.1.lengths=[4096,8192]   (N must be an existing task)
//   sweep.method.name=[full,pcw]      adds the sweep key (at the end) or replaces its list
//   sweep={}                          removes the sweep;  tasks=[{name: passkey}]  replaces the tasks
// A missing mapping on the way (method, method.calibration, output, ...) is created.
//
// Variant identity: canonical = every method.* and attention_log.* key with its resolved value
// (defaults included), sorted by key, "key=value" lines joined by '\n' (no trailing newline),
// floats as %.17g, bools true/false; hash = the first 16 hex digits of its SHA-256. Key order,
// comments, spelling of numbers (20 vs 20.0) and explicit defaults do not change it. One knob
// means more when unset: method.topk_chunks left out takes the task's default (1 chunk on the
// retrieval tasks, pcomp_task_topk), set to 3 it keeps 3 there, under the same canonical text:
// keep such two variants in different results files.
#ifndef PCB_CONFIG_H
#define PCB_CONFIG_H

#include <stddef.h>

#include "bench/method/knobs.h"
#include "bench/method/pcomp.h"

#define CONFIG_MAX_VARIANTS 100000
#define CONFIG_HASH_LEN 16

typedef struct {
    const char *name;    // one of pcb_tasks (bench/base/names.h)
    const char *source;  // longbench | minilongbench | generated (default: by the task's name)
    int samples;         // 0 = all the data set has (default for data sets); generated: default 1
    int *lengths;        // context lengths in tokens (n_lengths 0 = as in the data)
    int n_lengths;
    double *depths;  // needle / passkey depths in [0, 1] (default [0.5])
    int n_depths;
    int max_new_tokens;  // 0 = the task's default
} config_task;

typedef struct {
    char text[16];  // "A-B" as normalised ("8-15"), or "" (none)
    int lo, hi;     // -1 when text is ""
} config_layers;

typedef struct {
    int enabled;
    config_layers layers;  // required when enabled
    const char *region;    // one of pcb_region_names (bench/base/names.h)
    double threshold;
    int rows, width, equalize, current_step;
} config_calibration;

typedef struct {
    const char *name;  // one of pcb_method_names (bench/base/names.h)
    int model_budget, chunk_tokens, batch_chunks, topk_chunks, query_recent;
    int repeat_head, kv_eviction;
    int capacity, window, pool_kernel, sink_tokens;
    double h2o_heavy, pyramid_beta;
    config_calibration calibration;
} config_method;

typedef attn_log_options config_attention_log;

typedef struct {
    config_method method;  // resolved for this variant
    config_attention_log attention_log;
    char *label;      // the swept values, "method.name=full method.calibration.layers=0-7" ("" without sweep)
    char *canonical;  // see above
    char hash[CONFIG_HASH_LEN + 1];
    // Per knob: 1 when the file, an override or the sweep set it (not for the canonical text:
    // a knob left at its default may mean a per-task default, as topk_chunks does).
    unsigned char given[KNOB_COUNT];
} config_variant;

typedef struct {
    char *path;  // the file loaded
    char *name, *model;
    const char *backend;  // cpu | cuda
    int threads, seed;    // threads 0 = all cores
    char *db, *attn_dir;  // output.db, output.attn_dir
    config_task *tasks;
    int n_tasks;
    char **sweep_keys;  // dotted keys in grid order (last fastest)
    int *sweep_sizes;   // values per key
    int n_sweep;
    config_variant *variants;  // grid product (1 without a sweep)
    int n_variants;
} experiment_config;

// Loads and validates PATH with the overrides applied ("KEY=VALUE", may be NULL when n is 0).
// Returns 0, or -1 with the error set (pcb_last_error); *out is then empty (config_free is
// harmless either way).
int config_load(const char *path, const char *const *overrides, int n_overrides, experiment_config *out);
void config_free(experiment_config *c);

// Canonical text of a method + attention_log (malloc'ed) and its 16-hex-digit hash.
char *config_canonical(const config_method *m, const config_attention_log *a);
void config_hash(const char *canonical, char hash[CONFIG_HASH_LEN + 1]);
// Display name: the method, then the swept values other than method.name
// ("parallelcomp method.calibration.layers=0-7").
void config_variant_name(const config_variant *v, char *buf, size_t size);

// The variant's method knobs as pipeline options (pcomp_options_default for the rest:
// max_new_tokens is the task's). calibration layers A-B -> calib_lo/calib_hi when enabled.
int config_variant_options(const config_variant *v, pcomp_options *o);

// ---- the schema (config_schema.c), also for help texts ----------------------------------
typedef enum {
    CK_MAP,         // a mapping of further keys
    CK_STRING,      // any text
    CK_NAME,        // [A-Za-z0-9_.-]+
    CK_PATH,        // non-empty text
    CK_ENUM,        // one of values
    CK_INT,         // decimal int in lo..hi
    CK_FLOAT,       // number in lo..hi (lo exclusive with CKF_LO_OPEN)
    CK_BOOL,        // true | false
    CK_LAYERS,      // "A-B" (A <= B, both in lo..hi) or ""
    CK_INT_LIST,    // list of CK_INT items
    CK_FLOAT_LIST,  // list of CK_FLOAT items
    CK_TASKS,       // non-empty list of task mappings (keys "tasks.*.KEY")
    CK_SWEEP,       // mapping dotted key -> non-empty list
} config_key_type;

enum {
    CKF_REQUIRED = 1,            // must be present
    CKF_NONEMPTY = 8,            // list: at least one item
    CKF_LO_OPEN = KNOB_LO_OPEN,  // value > lo (the range rules are the knobs': knob_range_check)
    CKF_HI_OPEN = KNOB_HI_OPEN,  // value < hi
    CKF_ODD = KNOB_ODD,          // int: odd
};

typedef enum { CT_NONE, CT_ROOT, CT_TASK, CT_VARIANT } config_target;  // struct a value lives in

typedef struct {
    const char *key;  // dotted; task keys as "tasks.*.samples"
    config_key_type type;
    double lo, hi;  // ints / floats / list items / layer numbers
    unsigned flags;
    const char *const *values;  // CK_ENUM: NULL-terminated
    const char *def;            // default as YAML text ("" computed or none)
    const char *help;
    config_target target;
    size_t offset, offset_n;  // field in the target struct (lists: pointer and count)
    int knob;                 // the knob_id of a method.* / attention_log.* key, else -1
} config_key;

const config_key *config_schema(int *n);
const config_key *config_schema_find(const char *schema_key);  // NULL if unknown
const config_key *config_schema_knob(knob_id id);              // the key of a knob
// "an int in 0..1024", "one of cpu, cuda", ... (what the key expects).
void config_key_expected(const config_key *k, char *buf, size_t size);
// The value of a CT_VARIANT or scalar CT_ROOT / CT_TASK key in canonical text form.
void config_key_format(const config_key *k, const void *target, char *buf, size_t size);

#endif
