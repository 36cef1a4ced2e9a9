// The knob table: every method and attention-log knob declared once (config key, command-line
// flag, type, default, range, help, where its value lives). pcomp_options_default, the command
// line (bench/cli/pcomp_knobs.c: flags, parsing, --help), the config schema (bench/sweep:
// method.* / attention_log.* keys, the configs/README.md key table, the conversion of a variant
// to options) all read it, so both front ends accept the same values.
#ifndef PCB_KNOBS_H
#define PCB_KNOBS_H

#include <stddef.h>

typedef enum {
    KNOB_METHOD,
    KNOB_MODEL_BUDGET,
    KNOB_CHUNK_TOKENS,
    KNOB_BATCH_CHUNKS,
    KNOB_TOPK_CHUNKS,
    KNOB_QUERY_RECENT,
    KNOB_REPEAT_HEAD,
    KNOB_KV_EVICTION,
    KNOB_CAPACITY,
    KNOB_WINDOW,
    KNOB_POOL_KERNEL,
    KNOB_SINK_TOKENS,
    KNOB_H2O_HEAVY,
    KNOB_PYRAMID_BETA,
    KNOB_CALIB_ENABLED,
    KNOB_CALIB_LAYERS,
    KNOB_CALIB_REGION,
    KNOB_CALIB_THRESHOLD,
    KNOB_CALIB_ROWS,
    KNOB_CALIB_WIDTH,
    KNOB_CALIB_EQUALIZE,
    KNOB_CALIB_CURRENT_STEP,
    KNOB_ATTN_ENABLED,
    KNOB_ATTN_ROWS,
    KNOB_ATTN_GENERATED,
    KNOB_COUNT
} knob_id;

typedef enum {
    KNOB_INT,     // int field
    KNOB_FLOAT,   // double field
    KNOB_BOOL,    // int field, 0 / 1
    KNOB_ENUM,    // int field: index into values
    KNOB_LAYERS,  // "A-B" (both in lo..hi, A <= B) or "": two int fields (calib_lo, calib_hi)
} knob_type;

// Range flags (bits left free for the config schema's own flags).
enum {
    KNOB_LO_OPEN = 1 << 4,  // value > lo
    KNOB_HI_OPEN = 1 << 5,  // value < hi
    KNOB_ODD = 1 << 6,      // ints: odd only
};
#define KNOB_RANGE_FLAGS (KNOB_LO_OPEN | KNOB_HI_OPEN | KNOB_ODD)
// An int range whose hi is at least this is shown without its upper end ("an int >= 0").
#define KNOB_UNBOUNDED 2147483647.0

typedef enum { KNOB_IN_OPTIONS, KNOB_IN_ATTN_LOG } knob_home;  // pcomp_options / attn_log_options

// The attention log's knobs (attention_log.* in a config; --attn-log, --attn-rows, --attn-generated).
typedef struct {
    int enabled, rows, generated;
} attn_log_options;

typedef struct {
    const char *key;      // config key, "method.capacity"
    const char *flag;     // command-line flag, "--capacity"; NULL: none
    const char *metavar;  // "N" in --help
    knob_type type;
    double def;                 // default: the value (BOOL 0 / 1, ENUM the index)
    double lo, hi;              // INT / FLOAT value range, LAYERS layer numbers
    unsigned range;             // KNOB_LO_OPEN | KNOB_HI_OPEN | KNOB_ODD
    const char *const *values;  // ENUM: the names, NULL-terminated
    const char *help;           // what the value means (ENUM: a noun, "unknown <help> 'x'")
    const char *flag_help;      // BOOL with a flag: what the flag does (it sets the other value)
    knob_home home;
    size_t offset;  // the field in its struct (LAYERS: calib_lo; calib_hi follows)
} knob;

const knob *knob_get(knob_id id);

void attn_log_options_default(attn_log_options *a);
// Writes the knob's default into its struct (pcomp_options or attn_log_options).
void knob_set_default(const knob *k, void *target);
// Parses text as the knob's value and stores it into target; -1 with *why ("out of range
// (expected an int in 1..16777216)") when the text is not a value the knob accepts.
int knob_set_text(const knob *k, const char *text, void *target, char *why, size_t why_size);
// Stores a number (INT / BOOL / ENUM index / FLOAT) into target, no checks.
void knob_store(const knob *k, void *target, double value);

// Ranges, shared by every numeric key of the config and the command line: 0 when x lies in
// lo..hi (flags: KNOB_LO_OPEN, KNOB_HI_OPEN, KNOB_ODD), -1 outside, -2 an even int.
int knob_range_check(double lo, double hi, unsigned flags, double x);
// "WHAT in 1..1023", "WHAT >= 0", "WHAT > 0 and < 1" (ints printed as ints).
void knob_range_text(double lo, double hi, unsigned flags, int is_int, const char *what, char *buf, size_t size);
// What the knob accepts: "an int in 1..16777216", "one of sink, recent, ...", ...
void knob_expected(const knob *k, char *buf, size_t size);
// The default as config text: "512", "0.1", "true", "parallelcomp", "\"\"".
void knob_default_text(const knob *k, char *buf, size_t size);
// "A-B" with lo <= A <= B <= hi -> *a, *b; "" -> -1, -1. 0, -1 not of the form A-B, -2 out of
// range or A > B.
int knob_parse_layers(const char *text, double lo, double hi, int *a, int *b);

#endif
