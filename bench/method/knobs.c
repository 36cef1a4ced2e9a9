// The knob table (bench/method/knobs.h) and the value rules every front end shares.
#include "bench/method/knobs.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench/base/names.h"
#include "bench/base/number_text.h"
#include "bench/method/pcomp.h"

#define OPT(f) KNOB_IN_OPTIONS, offsetof(pcomp_options, f)
#define LOG(f) KNOB_IN_ATTN_LOG, offsetof(attn_log_options, f)
#define ANY KNOB_UNBOUNDED

_Static_assert(sizeof(pcomp_method) == sizeof(int) && sizeof(calib_region) == sizeof(int),
               "ENUM knobs are stored as int");
_Static_assert(offsetof(pcomp_options, calib_hi) == offsetof(pcomp_options, calib_lo) + sizeof(int),
               "the LAYERS knob stores calib_lo then calib_hi");

// Order: the config schema's (and configs/README.md's) key order.
static const knob table[KNOB_COUNT] = {
    [KNOB_METHOD] = {"method.name", "--method", "M", KNOB_ENUM, METHOD_PARALLELCOMP, 0, 0, 0, pcb_method_names,
                     "method", NULL, OPT(method)},
    [KNOB_MODEL_BUDGET] = {"method.model_budget", "--budget", "N", KNOB_INT, 0, 0, ANY, 0, NULL,
                           "positions one window may span (0 = the model's trained context)", NULL, OPT(model_budget)},
    [KNOB_CHUNK_TOKENS] = {"method.chunk_tokens", "--chunk-tokens", "N", KNOB_INT, 0, 0, ANY, 0, NULL,
                           "context part per chunk (0 = budget - question - max new tokens)", NULL, OPT(chunk_tokens)},
    [KNOB_BATCH_CHUNKS] = {"method.batch_chunks", "--batch-chunks", "N", KNOB_INT, 1, 1, 65536, 0, NULL,
                           "chunks prefilled per forward call", NULL, OPT(batch_chunks)},
    // 3: the README setting of the reference (topk_windows = -3); its per-task default is pcomp_task_topk.
    [KNOB_TOPK_CHUNKS] = {"method.topk_chunks", "--topk", "N", KNOB_INT, 3, 0, ANY, 0, NULL,
                          "parallelcomp: chunks kept, lowest query NLL first (0 = all); not set: 1 for passkey, "
                          "number_string, kv_retrieval, passage_retrieval_en (the reference's retrieval tasks)",
                          NULL, OPT(topk_chunks)},
    [KNOB_QUERY_RECENT] = {"method.query_recent", "--query-recent", "N", KNOB_INT, 0, 0, ANY, 0, NULL,
                           "score chunks with the last N query tokens (0 = all)", NULL, OPT(query_recent)},
    [KNOB_REPEAT_HEAD] = {"method.repeat_head", "--no-repeat-head", NULL, KNOB_BOOL, 1, 0, 0, 0, NULL,
                          "instruction head in every chunk (false: the first chunk only)",
                          "instruction head in the first chunk only", OPT(repeat_head)},
    [KNOB_KV_EVICTION] = {"method.kv_eviction", "--kv-eviction", NULL, KNOB_BOOL, 0, 0, 0, 0, NULL,
                          "parallelcomp: evict KV slots inside every chunk", NULL, OPT(kv_eviction)},
    [KNOB_CAPACITY] = {"method.capacity", "--capacity", "N", KNOB_INT, 512, 1, 1 << 24, 0, NULL,
                       "KV slots kept per KV head (per chunk for parallelcomp)", NULL, OPT(capacity)},
    [KNOB_WINDOW] = {"method.window", "--window", "N", KNOB_INT, 8, 1, 100000, 0, NULL, "observation window rows", NULL,
                     OPT(window)},
    [KNOB_POOL_KERNEL] = {"method.pool_kernel", "--pool", "N", KNOB_INT, 7, 1, 1023, KNOB_ODD, NULL,
                          "max-pool width over window scores", NULL, OPT(pool_kernel)},
    [KNOB_SINK_TOKENS] = {"method.sink_tokens", "--sinks", "N", KNOB_INT, 4, 0, 100000, 0, NULL,
                          "streamingllm: sink slots", NULL, OPT(sink_tokens)},
    [KNOB_H2O_HEAVY] = {"method.h2o_heavy", "--h2o-heavy", "F", KNOB_FLOAT, 0.5, 0, 1, 0, NULL,
                        "h2o: fraction of the capacity for heavy hitters", NULL, OPT(h2o_heavy)},
    [KNOB_PYRAMID_BETA] = {"method.pyramid_beta", "--pyramid-beta", "F", KNOB_FLOAT, 20, 1, HUGE_VAL, 0, NULL,
                           "pyramidkv: min layer budget = (capacity - window) / beta", NULL, OPT(pyramid_beta)},
    [KNOB_CALIB_ENABLED] = {"method.calibration.enabled", NULL, NULL, KNOB_BOOL, 0, 0, 0, 0, NULL,
                            "calibrate at the question (on the command line: when --calib-layers is given)", NULL,
                            OPT(calibrate)},
    [KNOB_CALIB_LAYERS] = {"method.calibration.layers", "--calib-layers", "A-B", KNOB_LAYERS, 0, 0, 100000, 0, NULL,
                           "calibrated layers A-B, 0-based, inclusive (needed by calibration; --calib-layers "
                           "turns it on)",
                           NULL, OPT(calib_lo)},
    [KNOB_CALIB_REGION] = {"method.calibration.region", "--calib-region", "R", KNOB_ENUM, REGION_ALL, 0, 0, 0,
                           pcb_region_names, "calibration region", NULL, OPT(region)},
    [KNOB_CALIB_THRESHOLD] = {"method.calibration.threshold", "--calib-threshold", "F", KNOB_FLOAT, 0.1, 0, 1,
                              KNOB_LO_OPEN | KNOB_HI_OPEN, NULL, "calibration: evict slots attended above this", NULL,
                              OPT(calib_threshold)},
    [KNOB_CALIB_ROWS] = {"method.calibration.rows", "--calib-rows", "N", KNOB_INT, 1, 1, ANY, 0, NULL,
                         "calibration: mean over the last N question rows", NULL, OPT(calib_rows)},
    [KNOB_CALIB_WIDTH] = {"method.calibration.width", "--calib-width", "N", KNOB_INT, 100, 1, ANY, 0, NULL,
                          "calibration: region width in slots (sink, recent, chunk_sinks)", NULL, OPT(calib_width)},
    [KNOB_CALIB_EQUALIZE] = {"method.calibration.equalize", "--no-equalize", NULL, KNOB_BOOL, 1, 0, 0, 0, NULL,
                             "calibration: every KV head of a layer drops the same count",
                             "do not make every KV head drop the same count", OPT(calib_equalize)},
    [KNOB_CALIB_CURRENT_STEP] = {"method.calibration.current_step", "--calib-cache-only", NULL, KNOB_BOOL, 1, 0, 0, 0,
                                 NULL, "calibration: the question's own attention already skips the evicted slots",
                                 "keep this step's attention; evict from the cache afterwards",
                                 OPT(calib_current_step)},
    [KNOB_ATTN_ENABLED] = {"attention_log.enabled", NULL, NULL, KNOB_BOOL, 0, 0, 0, 0, NULL,
                           "write the attention log (command line: --attn-log FILE.h5)", NULL, LOG(enabled)},
    [KNOB_ATTN_ROWS] = {"attention_log.rows", "--attn-rows", "N", KNOB_INT, 1, 1, ANY, 0, NULL,
                        "log the mean attention of the question's last N rows", NULL, LOG(rows)},
    [KNOB_ATTN_GENERATED] = {"attention_log.generated", "--attn-generated", NULL, KNOB_BOOL, 0, 0, 0, 0, NULL,
                             "also log every generated token's attention", NULL, LOG(generated)},
};

const knob *knob_get(knob_id id) { return id >= 0 && id < KNOB_COUNT ? &table[id] : NULL; }

void knob_store(const knob *k, void *target, double value) {
    char *p = (char *)target + k->offset;
    if (k->type == KNOB_FLOAT) *(double *)p = value;
    else *(int *)p = (int)value;
}

void knob_set_default(const knob *k, void *target) {
    if (k->type == KNOB_LAYERS) return;  // none: the struct's own "no layers" (pcomp_options: 0 .. last)
    knob_store(k, target, k->def);
}

void attn_log_options_default(attn_log_options *a) {
    *a = (attn_log_options){0};
    for (int i = 0; i < KNOB_COUNT; i++)
        if (table[i].home == KNOB_IN_ATTN_LOG) knob_set_default(&table[i], a);
}

int knob_range_check(double lo, double hi, unsigned flags, double x) {
    if (!(x >= lo && x <= hi)) return -1;
    if (((flags & KNOB_LO_OPEN) && x == lo) || ((flags & KNOB_HI_OPEN) && x == hi)) return -1;
    if ((flags & KNOB_ODD) && fmod(x, 2) == 0) return -2;
    return 0;
}

void knob_range_text(double lo, double hi, unsigned flags, int is_int, const char *what, char *buf, size_t size) {
    const char *fmt = is_int ? "%.0f" : "%g";
    char a[32], b[32];
    snprintf(a, sizeof a, fmt, lo);
    snprintf(b, sizeof b, fmt, hi);
    const char *ge = flags & KNOB_LO_OPEN ? ">" : ">=", *le = flags & KNOB_HI_OPEN ? "<" : "<=";
    if (hi >= KNOB_UNBOUNDED) snprintf(buf, size, "%s %s %s", what, ge, a);
    else if (!(flags & (KNOB_LO_OPEN | KNOB_HI_OPEN))) snprintf(buf, size, "%s in %s..%s", what, a, b);
    else snprintf(buf, size, "%s %s %s and %s %s", what, ge, a, le, b);
}

void knob_expected(const knob *k, char *buf, size_t size) {
    char r[96];
    switch (k->type) {
    case KNOB_INT:
        knob_range_text(k->lo, k->hi, k->range, 1, k->range & KNOB_ODD ? "an odd int" : "an int", buf, size);
        break;
    case KNOB_FLOAT:
        knob_range_text(k->lo, k->hi, k->range, 0, "a number", buf, size);
        break;
    case KNOB_BOOL:
        snprintf(buf, size, "true or false");
        break;
    case KNOB_ENUM: {
        size_t n = (size_t)snprintf(buf, size, "one of ");
        if (n < size) pcb_names_join(k->values, ", ", buf + n, size - n);
        break;
    }
    case KNOB_LAYERS:
        knob_range_text(k->lo, k->hi, 0, 1, "ints", r, sizeof r);
        snprintf(buf, size, "A-B, e.g. 8-15: %s with A <= B, or \"\" for none", r);
        break;
    }
}

void knob_default_text(const knob *k, char *buf, size_t size) {
    switch (k->type) {
    case KNOB_INT:
        snprintf(buf, size, "%.0f", k->def);
        break;
    case KNOB_FLOAT:
        snprintf(buf, size, "%g", k->def);
        break;
    case KNOB_BOOL:
        snprintf(buf, size, "%s", k->def ? "true" : "false");
        break;
    case KNOB_ENUM:
        snprintf(buf, size, "%s", k->values[(int)k->def]);
        break;
    case KNOB_LAYERS:
        snprintf(buf, size, "\"\"");
        break;
    }
}

int knob_parse_layers(const char *text, double lo, double hi, int *a, int *b) {
    if (!*text) return *a = *b = -1, 0;
    const char *dash = strchr(text, '-');
    char first[32];
    size_t n = dash ? (size_t)(dash - text) : 0;
    long long x, y;
    if (!dash || n >= sizeof first || dash[1] == '-') return -1;
    memcpy(first, text, n);
    first[n] = 0;
    if (first[0] == '-' || number_text_int(first, &x) || number_text_int(dash + 1, &y)) return -1;
    if (x < lo || y > hi || x > y) return -2;
    *a = (int)x, *b = (int)y;
    return 0;
}

int knob_set_text(const knob *k, const char *text, void *target, char *why, size_t why_size) {
    char exp[256];
    knob_expected(k, exp, sizeof exp);
    double x = 0;
    int rc = 0;
    switch (k->type) {
    case KNOB_INT: {
        long long v;
        rc = number_text_int(text, &v);
        if (rc == -1) return snprintf(why, why_size, "'%s' is not a decimal int (expected %s)", text, exp), -1;
        x = (double)v;
        break;
    }
    case KNOB_FLOAT:
        rc = number_text_float(text, &x);
        if (rc == -1) return snprintf(why, why_size, "'%s' is not a number (expected %s)", text, exp), -1;
        break;
    case KNOB_BOOL:
        if (strcmp(text, "true") && strcmp(text, "false"))
            return snprintf(why, why_size, "'%s' is not a boolean (expected %s)", text, exp), -1;
        knob_store(k, target, !strcmp(text, "true"));
        return 0;
    case KNOB_ENUM: {
        int i = pcb_name_index(k->values, text);
        if (i < 0) return snprintf(why, why_size, "unknown %s '%s' (expected %s)", k->help, text, exp), -1;
        knob_store(k, target, i);
        return 0;
    }
    case KNOB_LAYERS: {
        int a, b;
        rc = knob_parse_layers(text, k->lo, k->hi, &a, &b);
        if (rc == -1) return snprintf(why, why_size, "'%s' is not a layer range (expected %s)", text, exp), -1;
        if (rc == -2) return snprintf(why, why_size, "'%s': layers out of range or A > B (expected %s)", text, exp), -1;
        int *p = (int *)((char *)target + k->offset);
        if (a >= 0) p[0] = a, p[1] = b;
        return 0;
    }
    }
    if (rc == 0) {  // rc -2 from parsing: too large for any range
        rc = knob_range_check(k->lo, k->hi, k->range, x);
        if (rc == -2) return snprintf(why, why_size, "%s is even (expected %s)", text, exp), -1;
    }
    if (rc) return snprintf(why, why_size, "'%s' is out of range (expected %s)", text, exp), -1;
    knob_store(k, target, x);
    return 0;
}
