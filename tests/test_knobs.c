// The knob table (bench/method/knobs.c) and the name tables (bench/base/names.c): defaults, the
// two front ends (YAML config, command line) accepting exactly the same values at the edges of
// every range, the --help text, and the enums following the name lists. Run from the repository root.
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/base/names.h"
#include "bench/cli/pcomp_knobs.h"
#include "bench/method/knobs.h"
#include "bench/sweep/config.h"
#include "bench/tasks/synthetic_tasks.h"
#include "tests/test.h"

#define BASE_CONFIG "tests/configs/valid_min.yaml"

static void test_defaults(void) {
    pcomp_options o;
    pcomp_options_default(&o);
    char canonical[1024], hash[17];
    pcomp_options_canonical(&o, canonical, sizeof canonical);
    pcomp_options_hash(&o, hash);
    // Written by the code before the knob table: the defaults and their identity did not move.
    const char *want =
        "method=parallelcomp;model_budget=0;chunk_tokens=0;batch_chunks=1;topk_chunks=3;query_recent=0;repeat_head=1;"
        "kv_eviction=0;capacity=512;window=8;pool_kernel=7;sink_tokens=4;h2o_heavy=0.5;pyramid_beta=20;calibrate=0;"
        "calib_lo=0;calib_hi=-1;calib_region=all;calib_threshold=0.10000000000000001;calib_rows=1;calib_width=100;"
        "calib_equalize=1;calib_current_step=1;max_new_tokens=32";
    CHECK_MSG(!strcmp(canonical, want), "%s", canonical);
    CHECK_MSG(!strcmp(hash, "8c9b377f8073f4f3"), "%s", hash);
    attn_log_options a;
    attn_log_options_default(&a);
    CHECK(a.enabled == 0 && a.rows == 1 && a.generated == 0);
    // Every knob in its range, with its config key and an offset inside its struct.
    for (int i = 0; i < KNOB_COUNT; i++) {
        const knob *k = knob_get(i);
        size_t size = k->home == KNOB_IN_OPTIONS ? sizeof(pcomp_options) : sizeof(attn_log_options);
        CHECK_MSG(k->key && k->help && k->offset < size, "knob %d", i);
        if (k->type == KNOB_INT || k->type == KNOB_FLOAT)
            CHECK_MSG(knob_range_check(k->lo, k->hi, k->range, k->def) == 0, "%s default %g", k->key, k->def);
        if (k->type == KNOB_ENUM) CHECK_MSG(k->def >= 0 && k->values[(int)k->def], "%s", k->key);
        const config_key *ck = config_schema_knob(i);
        CHECK_MSG(ck && !strcmp(ck->key, k->key) && ck->knob == i && config_schema_find(k->key) == ck, "%s", k->key);
    }
}

static void test_names(void) {
    for (int m = 0; m < METHOD_COUNT; m++) {
        pcomp_method back;
        CHECK(pcomp_method_parse(pcomp_method_name(m), &back) == 0 && back == (pcomp_method)m);
    }
    CHECK(!strcmp(pcomp_method_name(METHOD_FULL), "full") && !strcmp(pcomp_method_name(METHOD_PCW), "pcw"));
    CHECK(!strcmp(pcomp_method_name(METHOD_PARALLELCOMP), "parallelcomp"));
    CHECK(!strcmp(pcomp_method_name(METHOD_PYRAMIDKV), "pyramidkv") && !pcb_method_names[METHOD_COUNT]);
    CHECK(!strcmp(calib_region_name(REGION_ALL), "all") &&
          !strcmp(calib_region_name(REGION_CHUNK_SINKS), "chunk_sinks"));
    CHECK(!pcb_region_names[REGION_COUNT]);
    int n = 0;
    while (pcb_task_names[n]) n++;
    CHECK(n == pcb_n_tasks);
    int longbench = 0, generated = 0, keep_one = 0;
    for (int i = 0; i < pcb_n_tasks; i++) {
        const pcb_task *t = &pcb_tasks[i];
        CHECK(!strcmp(pcb_task_names[i], t->name) && pcb_task_find(t->name) == t);
        CHECK_MSG(!t->group == (t->kind != TASK_LONGBENCH), "%s", t->name);
        CHECK_MSG(synthetic_is_task(t->name) == (t->kind == TASK_GENERATED), "%s", t->name);
        CHECK(pcb_name_index(pcb_source_names, pcb_task_default_source(t)) >= 0);
        longbench += t->kind == TASK_LONGBENCH, generated += t->kind == TASK_GENERATED;
        keep_one += pcomp_task_topk(t->name) == 1;
    }
    CHECK(longbench == 16 && generated == 4 && keep_one == 4);
    const char *one[] = {"passkey", "number_string", "kv_retrieval", "passage_retrieval_en"};
    for (int i = 0; i < 4; i++) CHECK_MSG(pcomp_task_topk(one[i]) == 1, "%s", one[i]);
    CHECK(pcomp_task_topk("needle") == 0 && pcomp_task_topk("triviaqa") == 0 && pcomp_task_topk(NULL) == 0);
    CHECK(!strcmp(pcb_task_default_source(pcb_task_find("ppl")), "pg19") && !pcb_task_find("passkey2"));
}

// The value of knob id in the struct a front end filled (ints as doubles).
static double field(const knob *k, const void *target) {
    const char *p = (const char *)target + k->offset;
    return k->type == KNOB_FLOAT ? *(const double *)p : *(const int *)p;
}

// Gives `text` to knob id through a config override and through its command-line flag: both
// accept it (with the same value) or both reject it. Returns 1 when accepted.
static int both(knob_id id, const char *text) {
    const knob *k = knob_get(id);
    char ovr[256], ovr_enable[] = "method.calibration.enabled=true";
    snprintf(ovr, sizeof ovr, "%s=%s", k->key, text);
    const char *ovrs[2] = {ovr, ovr_enable};
    experiment_config c;
    int yaml_ok = config_load(BASE_CONFIG, ovrs, k->type == KNOB_LAYERS ? 2 : 1, &c) == 0;
    char yaml_err[512];
    snprintf(yaml_err, sizeof yaml_err, "%s", yaml_ok ? "" : pcb_last_error());
    pcomp_options yo, co;
    attn_log_options ya = {0}, ca;
    if (yaml_ok) {
        CHECK(config_variant_options(&c.variants[0], &yo) == 0);
        ya = c.variants[0].attention_log;
    }
    config_free(&c);

    pcomp_knobs kn;
    cli_opt opts[PCOMP_KNOB_COUNT];
    pcomp_knobs_init(&kn, opts);
    kn.text[id] = text;
    int cli_ok = pcomp_knobs_apply(&kn, &co) == 0 && pcomp_knobs_apply_attn(&kn, &ca) == 0;
    CHECK_MSG(yaml_ok == cli_ok, "%s '%s': config %s, command line %s (%s)", k->key, text,
              yaml_ok ? "accepts" : "rejects", cli_ok ? "accepts" : "rejects", yaml_ok ? pcb_last_error() : yaml_err);
    if (!yaml_ok || !cli_ok) return 0;
    const void *yt = k->home == KNOB_IN_OPTIONS ? (const void *)&yo : &ya;
    const void *ct = k->home == KNOB_IN_OPTIONS ? (const void *)&co : &ca;
    if (k->type == KNOB_LAYERS) {
        CHECK_MSG(co.calibrate && yo.calib_lo == co.calib_lo && yo.calib_hi == co.calib_hi, "%s '%s'", k->key, text);
    } else {
        CHECK_MSG(field(k, yt) == field(k, ct), "%s '%s': config %.17g, command line %.17g", k->key, text, field(k, yt),
                  field(k, ct));
    }
    return 1;
}

static void accept(knob_id id, const char *text) {
    CHECK_MSG(both(id, text) == 1, "%s '%s' rejected", knob_get(id)->key, text);
}
static void reject(knob_id id, const char *text) {
    CHECK_MSG(both(id, text) == 0, "%s '%s' accepted", knob_get(id)->key, text);
}

static void numbers(knob_id id, double lo, double hi, int is_int, double outside_lo, double outside_hi) {
    char t[64];
    const char *fmt = is_int ? "%.0f" : "%.17g";
    snprintf(t, sizeof t, fmt, lo), accept(id, t);
    snprintf(t, sizeof t, fmt, hi), accept(id, t);
    snprintf(t, sizeof t, fmt, outside_lo), reject(id, t);
    if (isfinite(outside_hi)) snprintf(t, sizeof t, fmt, outside_hi), reject(id, t);
}

// Every numeric knob with a flag: the lowest and highest value pass both front ends, the next
// value outside fails both (open ends, odd-only ints, unbounded tops included).
static void test_same_ranges(void) {
    int tested = 0;
    for (int id = 0; id < KNOB_COUNT; id++) {
        const knob *k = knob_get(id);
        if (!k->flag) continue;
        if (k->type == KNOB_INT) {
            double lo = k->lo + !!(k->range & KNOB_LO_OPEN), hi = k->hi >= KNOB_UNBOUNDED ? INT_MAX : k->hi;
            hi -= !!(k->range & KNOB_HI_OPEN);
            if ((k->range & KNOB_ODD) && fmod(hi, 2) == 0) hi--;
            numbers(id, lo, hi, 1, lo - 1, hi + (k->range & KNOB_ODD ? 2 : 1));
            if (k->range & KNOB_ODD) {
                char even[32];
                snprintf(even, sizeof even, "%.0f", lo + 1);
                reject(id, even);
            }
        } else if (k->type == KNOB_FLOAT) {
            double lo = k->range & KNOB_LO_OPEN ? nextafter(k->lo, HUGE_VAL) : k->lo;
            double hi = !isfinite(k->hi) ? DBL_MAX : k->range & KNOB_HI_OPEN ? nextafter(k->hi, -HUGE_VAL) : k->hi;
            double below = k->range & KNOB_LO_OPEN ? k->lo : nextafter(k->lo, -HUGE_VAL);
            double above = !isfinite(k->hi) ? HUGE_VAL : k->range & KNOB_HI_OPEN ? k->hi : nextafter(k->hi, HUGE_VAL);
            numbers(id, lo, hi, 0, below, above);
            reject(id, "1e999");  // not finite
        } else if (k->type == KNOB_ENUM) {
            for (int v = 0; k->values[v]; v++) accept(id, k->values[v]);
            reject(id, "bogus");
        } else if (k->type == KNOB_LAYERS) {
            char t[64];
            snprintf(t, sizeof t, "%.0f-%.0f", k->lo, k->hi), accept(id, t);
            accept(id, "3-7"), accept(id, "0-0");
            snprintf(t, sizeof t, "%.0f-%.0f", k->lo, k->hi + 1), reject(id, t);
            reject(id, "7-3"), reject(id, "3"), reject(id, "-1-3"), reject(id, "3--4"), reject(id, "a-b");
        } else {
            continue;
        }
        tested++;
    }
    CHECK(tested == 18);  // every flag that takes a value (the flag-only booleans: test_flags)
    // One spelling of numbers for both: no leading zeros, exponents or fractions for ints.
    const char *bad_ints[] = {"08", "1e3", "512.0", "0x10", "+5", "5k", ""};
    for (size_t i = 0; i < sizeof bad_ints / sizeof *bad_ints; i++) reject(KNOB_CAPACITY, bad_ints[i]);
    accept(KNOB_H2O_HEAVY, ".25"), accept(KNOB_H2O_HEAVY, "2.5e-1"), reject(KNOB_H2O_HEAVY, "half");
}

// A flag-only boolean on the command line means the same as the other value in a config.
static void test_flags(void) {
    for (int id = 0; id < KNOB_COUNT; id++) {
        const knob *k = knob_get(id);
        if (k->type != KNOB_BOOL || !k->flag) continue;
        char ovr[128];
        snprintf(ovr, sizeof ovr, "%s=%s", k->key, k->def ? "false" : "true");
        const char *ovrs[1] = {ovr};
        experiment_config c;
        pcomp_options yo, co;
        attn_log_options ca;
        CHECK_MSG(config_load(BASE_CONFIG, ovrs, 1, &c) == 0, "%s", pcb_last_error());
        if (!c.n_variants) continue;
        config_variant_options(&c.variants[0], &yo);
        attn_log_options ya = c.variants[0].attention_log;
        config_free(&c);
        pcomp_knobs kn;
        cli_opt opts[PCOMP_KNOB_COUNT];
        pcomp_knobs_init(&kn, opts);
        kn.flag[id] = 1;
        CHECK(pcomp_knobs_apply(&kn, &co) == 0 && pcomp_knobs_apply_attn(&kn, &ca) == 0);
        const void *yt = k->home == KNOB_IN_OPTIONS ? (const void *)&yo : &ya;
        const void *ct = k->home == KNOB_IN_OPTIONS ? (const void *)&co : &ca;
        CHECK_MSG(field(k, yt) == !k->def && field(k, ct) == !k->def, "%s", k->flag);
    }
}

static void test_help(void) {
    const char *help = pcomp_knobs_help();
    int n = 0;
    for (int id = 0; id < KNOB_COUNT; id++) {
        const knob *k = knob_get(id);
        if (k->home != KNOB_IN_OPTIONS || !k->flag) continue;
        char want[64];
        snprintf(want, sizeof want, "\n  %s ", k->flag);
        CHECK_MSG(strstr(help, want), "--help lacks %s", k->flag);
        n++;
    }
    CHECK(n == PCOMP_KNOB_COUNT);
    CHECK(
        strstr(help, "--capacity N        KV slots kept per KV head (per chunk for parallelcomp) [512; 1..16777216]"));
    CHECK(strstr(help, "[7; odd, 1..1023]") && strstr(help, "[0.1; > 0 and < 1]") && strstr(help, "[20; >= 1]"));
    CHECK(strstr(help, "full | full-untruncated | pcw | parallelcomp"));
    for (const char *line = help; *line; line = strchr(line, '\n') + 1) {
        size_t len = strcspn(line, "\n");
        CHECK_MSG(len <= 100, "line longer than 100 columns: %.*s", (int)len, line);
        if (!line[len]) break;
    }
    char buf[256];
    CHECK(strstr(pcomp_knob_help_line(KNOB_ATTN_ROWS, "--rows", buf, sizeof buf), "  --rows N "));
}

int main(void) {
    RUN_TEST(test_defaults);
    RUN_TEST(test_names);
    RUN_TEST(test_same_ranges);
    RUN_TEST(test_flags);
    RUN_TEST(test_help);
    return test_summary();
}
