// Experiment-config loader (bench/sweep/config.c) on the fixtures in tests/configs/ and configs/demo.yaml,
// and SHA-256 (bench/base/sha256.c) on the FIPS 180-4 vectors. Run from the repository root.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/base/error.h"
#include "bench/base/sha256.h"
#include "bench/sweep/config.h"
#include "tests/test.h"

#define FIXTURES "tests/configs/"

static int contains(const char *s, const char *sub) { return s && sub && strstr(s, sub) != NULL; }

// Loads FILE, expects failure with "tests/configs/FILE:LINE: key 'KEY': ...WHAT...".
static void expect_error(const char *file, int line, const char *key, const char *what) {
    char path[256], loc[300], k[300];
    snprintf(path, sizeof path, FIXTURES "%s", file);
    experiment_config c;
    int rc = config_load(path, NULL, 0, &c);
    const char *msg = pcb_last_error();
    CHECK_MSG(rc == -1, "%s: loaded without an error", file);
    snprintf(loc, sizeof loc, "%s:%d: ", path, line);
    snprintf(k, sizeof k, "key '%s': ", key);
    CHECK_MSG(!strncmp(msg, loc, strlen(loc)), "%s: message does not start with '%s': %s", file, loc, msg);
    CHECK_MSG(contains(msg, k), "%s: message does not name %s: %s", file, k, msg);
    CHECK_MSG(contains(msg, what), "%s: message does not say '%s': %s", file, what, msg);
    CHECK_MSG(contains(msg, "expected"), "%s: message does not say what is expected: %s", file, msg);
    CHECK(c.n_variants == 0 && !c.variants && !c.tasks && !c.name);
    config_free(&c);
}

// Loads the demo with overrides, expects "command line 'OVR': key 'KEY': ...WHAT...".
static void expect_override_error(const char *ovr, const char *key, const char *what) {
    experiment_config c;
    const char *o[2] = {"threads=1", ovr};
    int rc = config_load("configs/demo.yaml", o, 2, &c);
    const char *msg = pcb_last_error();
    char loc[300], k[300];
    snprintf(loc, sizeof loc, "command line '%s': ", ovr);
    CHECK_MSG(rc == -1, "override %s accepted", ovr);
    CHECK_MSG(!strncmp(msg, loc, strlen(loc)), "%s: message does not start with \"%s\": %s", ovr, loc, msg);
    if (key) {
        snprintf(k, sizeof k, "key '%s': ", key);
        CHECK_MSG(contains(msg, k), "%s: message does not name %s: %s", ovr, k, msg);
    }
    CHECK_MSG(contains(msg, what), "%s: message does not say '%s': %s", ovr, what, msg);
    config_free(&c);
}

static int load_ok(const char *path, const char *const *o, int n, experiment_config *c) {
    int rc = config_load(path, o, n, c);
    CHECK_MSG(rc == 0, "%s: %s", path, pcb_last_error());
    return rc;
}

// ---- SHA-256 ------------------------------------------------------------------------------------

static void hex_of(const void *data, size_t n, char hex[65]) {
    uint8_t d[32];
    sha256(data, n, d);
    sha256_hex(d, hex);
}

static void test_sha256_vectors(void) {
    char hex[65];
    hex_of("abc", 3, hex);
    CHECK(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    hex_of("", 0, hex);
    CHECK(!strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hex_of(m448, strlen(m448), hex);
    CHECK_MSG(!strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"), "%s", hex);
    // 896-bit vector (two blocks of padding) and one million 'a' fed in uneven pieces.
    const char *m896 =
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
        "mnopqrstnopqrstu";
    hex_of(m896, strlen(m896), hex);
    CHECK(!strcmp(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"));
    char *a = malloc(1000000);
    memset(a, 'a', 1000000);
    sha256_ctx c;
    sha256_init(&c);
    for (size_t off = 0, step = 1; off < 1000000; off += step, step = step * 3 % 997 + 1)
        sha256_update(&c, a + off, off + step > 1000000 ? 1000000 - off : step);
    uint8_t d[32];
    sha256_final(&c, d);
    sha256_hex(d, hex);
    CHECK(!strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    free(a);
}

static void test_sha256_file(void) {
    char path[] = "/tmp/pcb_sha256_XXXXXX", hex[65];
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) return;
    FILE *f = fdopen(fd, "wb");
    for (int i = 0; i < 1000000 / 8; i++) fputs("aaaaaaaa", f);
    fclose(f);
    CHECK_MSG(sha256_file(path, hex) == 0, "%s", pcb_last_error());
    CHECK(!strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    unlink(path);
    CHECK(sha256_file(path, hex) == -1);
    CHECK(contains(pcb_last_error(), path));
}

// ---- valid configs ------------------------------------------------------------------------------

static void test_demo(void) {
    experiment_config c;
    if (load_ok("configs/demo.yaml", NULL, 0, &c)) return;
    CHECK(!strcmp(c.path, "configs/demo.yaml"));
    CHECK(!strcmp(c.name, "demo"));
    CHECK(c.model && !strcmp(c.model, ""));  // the shipped configs run the default model
    CHECK(!strcmp(c.backend, "cpu"));
    CHECK(c.threads == 2 && c.seed == 1);
    CHECK(!strcmp(c.db, "results/results.sqlite") && !strcmp(c.attn_dir, "results/attn"));
    CHECK(c.n_tasks == 2);
    if (c.n_tasks == 2) {
        config_task *p = &c.tasks[0], *h = &c.tasks[1];
        CHECK(!strcmp(p->name, "passkey") && !strcmp(p->source, "generated") && p->samples == 2);
        CHECK(p->n_lengths == 2 && p->lengths[0] == 4096 && p->lengths[1] == 8192);
        CHECK(p->n_depths == 1 && p->depths[0] == 0.5 && p->max_new_tokens == 0);
        CHECK(!strcmp(h->name, "triviaqa") && !strcmp(h->source, "minilongbench") && h->samples == 3);
        CHECK(h->n_lengths == 0 && h->n_depths == 1 && h->depths[0] == 0.5);
    }
    CHECK(c.n_sweep == 1 && !strcmp(c.sweep_keys[0], "method.name") && c.sweep_sizes[0] == 3);
    CHECK(c.n_variants == 3);
    const char *names[3] = {"full", "pcw", "parallelcomp"};
    for (int v = 0; v < c.n_variants && v < 3; v++) {
        config_variant *x = &c.variants[v];
        CHECK_MSG(!strcmp(x->method.name, names[v]), "variant %d: %s", v, x->method.name);
        CHECK(x->method.chunk_tokens == 2048 && x->method.topk_chunks == 3);
        char label[64];
        snprintf(label, sizeof label, "method.name=%s", names[v]);
        CHECK(!strcmp(x->label, label));
        CHECK(strlen(x->hash) == CONFIG_HASH_LEN && strspn(x->hash, "0123456789abcdef") == CONFIG_HASH_LEN);
        CHECK(contains(x->canonical, "method.chunk_tokens=2048\n"));
        char line[64];
        snprintf(line, sizeof line, "method.name=%s\n", names[v]);
        CHECK(contains(x->canonical, line));
        for (int w = 0; w < v; w++) CHECK(strcmp(x->hash, c.variants[w].hash));
    }
    config_free(&c);
    config_free(&c);  // harmless twice
    CHECK(c.n_variants == 0 && !c.variants);
}

static void test_defaults(void) {
    experiment_config c;
    if (load_ok(FIXTURES "valid_min.yaml", NULL, 0, &c)) return;
    CHECK(!strcmp(c.name, "minimal"));
    CHECK(!strcmp(c.model, ""));  // "": the default model, found when the plan is built
    CHECK(!strcmp(c.backend, "cpu") && c.threads == 0 && c.seed == 1);
    CHECK(!strcmp(c.db, "results/results.sqlite") && !strcmp(c.attn_dir, "results/attn"));
    CHECK(c.n_tasks == 2);
    if (c.n_tasks == 2) {
        CHECK(!strcmp(c.tasks[0].source, "longbench") && c.tasks[0].samples == 0);  // all of the data set
        CHECK(!strcmp(c.tasks[1].source, "generated") && c.tasks[1].samples == 1);  // needle
        for (int t = 0; t < 2; t++)
            CHECK(c.tasks[t].n_lengths == 0 && c.tasks[t].n_depths == 1 && c.tasks[t].depths[0] == 0.5 &&
                  c.tasks[t].max_new_tokens == 0);
    }
    CHECK(c.n_sweep == 0 && c.n_variants == 1);
    if (c.n_variants != 1) return config_free(&c);
    const config_method *m = &c.variants[0].method;
    CHECK(!strcmp(m->name, "parallelcomp"));
    CHECK(m->model_budget == 0 && m->chunk_tokens == 0 && m->batch_chunks == 1 && m->topk_chunks == 3);
    CHECK(m->query_recent == 0 && m->repeat_head == 1 && m->kv_eviction == 0);
    CHECK(m->capacity == 512 && m->window == 8 && m->pool_kernel == 7 && m->sink_tokens == 4);
    CHECK(m->h2o_heavy == 0.5 && m->pyramid_beta == 20);
    const config_calibration *k = &m->calibration;
    CHECK(k->enabled == 0 && !strcmp(k->layers.text, "") && k->layers.lo == -1 && k->layers.hi == -1);
    CHECK(!strcmp(k->region, "all") && k->threshold == 0.1 && k->rows == 1 && k->width == 100);
    CHECK(k->equalize == 1 && k->current_step == 1);
    const config_attention_log *a = &c.variants[0].attention_log;
    CHECK(a->enabled == 0 && a->rows == 1 && a->generated == 0);
    CHECK(!strcmp(c.variants[0].label, ""));
    // The canonical text of the defaults, exactly: sorted keys, %.17g floats, true/false, no final newline.
    const char *want =
        "attention_log.enabled=false\nattention_log.generated=false\nattention_log.rows=1\n"
        "method.batch_chunks=1\nmethod.calibration.current_step=true\nmethod.calibration.enabled=false\n"
        "method.calibration.equalize=true\nmethod.calibration.layers=\nmethod.calibration.region=all\n"
        "method.calibration.rows=1\nmethod.calibration.threshold=0.10000000000000001\n"
        "method.calibration.width=100\nmethod.capacity=512\nmethod.chunk_tokens=0\nmethod.h2o_heavy=0.5\n"
        "method.kv_eviction=false\nmethod.model_budget=0\nmethod.name=parallelcomp\nmethod.pool_kernel=7\n"
        "method.pyramid_beta=20\nmethod.query_recent=0\nmethod.repeat_head=true\nmethod.sink_tokens=4\n"
        "method.topk_chunks=3\nmethod.window=8";
    CHECK_MSG(!strcmp(c.variants[0].canonical, want), "canonical:\n%s", c.variants[0].canonical);
    char h[CONFIG_HASH_LEN + 1], hex[65];
    config_hash(want, h);
    hex_of(want, strlen(want), hex);
    CHECK(!strcmp(h, c.variants[0].hash) && !strncmp(hex, h, CONFIG_HASH_LEN));
    config_free(&c);
}

static void test_variant_options(void) {
    experiment_config c;
    if (load_ok(FIXTURES "valid_sweep.yaml", NULL, 0, &c)) return;
    CHECK(c.n_variants == 4);
    if (c.n_variants != 4) return config_free(&c);
    pcomp_options o;
    CHECK(config_variant_options(&c.variants[3], &o) == 0);
    CHECK(o.method == METHOD_PARALLELCOMP && o.capacity == 256 && o.calibrate == 1);
    CHECK(o.calib_lo == 8 && o.calib_hi == 15 && o.region == REGION_ALL && o.topk_chunks == 3);
    CHECK(config_variant_options(&c.variants[0], &o) == 0);
    CHECK(o.method == METHOD_FULL && o.calib_lo == 0 && o.calib_hi == 7);
    config_free(&c);
}

static void test_sweep_grid(void) {
    experiment_config c;
    if (load_ok(FIXTURES "valid_sweep.yaml", NULL, 0, &c)) return;
    CHECK(c.n_sweep == 2 && c.n_variants == 4);
    if (c.n_variants != 4) return config_free(&c);
    CHECK(!strcmp(c.sweep_keys[0], "method.name") && !strcmp(c.sweep_keys[1], "method.calibration.layers"));
    CHECK(c.sweep_sizes[0] == 2 && c.sweep_sizes[1] == 2);
    // file order, last key fastest
    const char *names[4] = {"full", "full", "parallelcomp", "parallelcomp"};
    const char *layers[4] = {"0-7", "8-15", "0-7", "8-15"};
    for (int v = 0; v < 4; v++) {
        const config_variant *x = &c.variants[v];
        CHECK_MSG(!strcmp(x->method.name, names[v]) && !strcmp(x->method.calibration.layers.text, layers[v]),
                  "variant %d: %s %s", v, x->method.name, x->method.calibration.layers.text);
        char label[128];
        snprintf(label, sizeof label, "method.name=%s method.calibration.layers=%s", names[v], layers[v]);
        CHECK_MSG(!strcmp(x->label, label), "%s", x->label);
        CHECK(x->method.capacity == 256 && x->method.calibration.enabled);  // the base stays under the sweep
        for (int w = 0; w < v; w++) CHECK(strcmp(x->hash, c.variants[w].hash));
    }
    CHECK(c.variants[1].method.calibration.layers.lo == 8 && c.variants[1].method.calibration.layers.hi == 15);
    CHECK(c.n_tasks == 1 && c.tasks[0].n_depths == 3 && c.tasks[0].depths[2] == 0.9 && c.tasks[0].lengths[1] == 32768);
    config_free(&c);
}

static void test_hash_invariance(void) {
    experiment_config a, b;
    if (load_ok(FIXTURES "hash_a.yaml", NULL, 0, &a)) return;
    if (load_ok(FIXTURES "hash_b.yaml", NULL, 0, &b)) return config_free(&a);
    CHECK(a.n_variants == 1 && b.n_variants == 1);
    CHECK(!strcmp(a.variants[0].canonical, b.variants[0].canonical));
    CHECK(!strcmp(a.variants[0].hash, b.variants[0].hash));
    // The same method reached through overrides on the minimal config.
    experiment_config m;
    const char *o[] = {"method.name=snapkv", "method.h2o_heavy=2.5e-1", "method.capacity=256"};
    if (!load_ok(FIXTURES "valid_min.yaml", o, 3, &m)) {
        CHECK(!strcmp(m.variants[0].hash, a.variants[0].hash));
        config_free(&m);
    }
    // A sweep value equal to the base gives the base's hash.
    const char *s[] = {"sweep.method.capacity=[256, 512]"};
    if (!load_ok(FIXTURES "hash_a.yaml", s, 1, &m)) {
        CHECK(m.n_variants == 2 && !strcmp(m.variants[0].hash, a.variants[0].hash));
        CHECK(strcmp(m.variants[1].hash, a.variants[0].hash));
        config_free(&m);
    }
    config_free(&a);
    config_free(&b);
}

static void test_hash_sensitivity(void) {
    experiment_config base;
    if (load_ok(FIXTURES "hash_a.yaml", NULL, 0, &base)) return;
    const char *knobs[] = {"method.capacity=257",
                           "method.h2o_heavy=0.26",
                           "method.name=h2o",
                           "method.calibration.equalize=false",
                           "method.calibration.threshold=0.1000001",
                           "attention_log.enabled=true",
                           "attention_log.rows=2",
                           "method.calibration.layers=0-1",
                           "method.pyramid_beta=20.000000001"};
    int n = (int)(sizeof knobs / sizeof *knobs);
    char(*hashes)[CONFIG_HASH_LEN + 1] = calloc((size_t)n, sizeof *hashes);
    for (int i = 0; i < n; i++) {
        experiment_config c;
        if (load_ok(FIXTURES "hash_a.yaml", &knobs[i], 1, &c)) continue;
        CHECK_MSG(strcmp(c.variants[0].hash, base.variants[0].hash), "%s left the hash unchanged", knobs[i]);
        memcpy(hashes[i], c.variants[0].hash, sizeof hashes[i]);
        for (int j = 0; j < i; j++) CHECK_MSG(strcmp(hashes[i], hashes[j]), "%s vs %s", knobs[i], knobs[j]);
        config_free(&c);
    }
    free(hashes);
    // Non-method keys do not take part.
    const char *other[] = {"threads=7", "seed=9", "tasks.0.samples=4", "name=other", "output.db=x.sqlite"};
    experiment_config c;
    if (!load_ok(FIXTURES "hash_a.yaml", other, 5, &c)) {
        CHECK(!strcmp(c.variants[0].hash, base.variants[0].hash));
        CHECK(c.threads == 7 && c.seed == 9 && c.tasks[0].samples == 4 && !strcmp(c.name, "other"));
        config_free(&c);
    }
    config_free(&base);
}

// ---- errors ------------------------------------------------------------------------------------

static void test_error_unknown_key(void) {
    expect_error("err_unknown_key.yaml", 6, "method.capcity", "unknown key");
    expect_error("err_unknown_task_key.yaml", 5, "tasks.1.sample", "unknown key");
    expect_error("err_unknown_calib_key.yaml", 6, "method.calibration.layer", "unknown key");
    expect_error("err_unknown_sweep_key.yaml", 6, "sweep.method.capcity", "unknown key");
    expect_error("err_sweep_not_sweepable.yaml", 5, "sweep.threads", "cannot be swept");
    expect_error("err_dotted_key.yaml", 4, "method.capacity", "unknown key");
}

static void test_error_type(void) {
    expect_error("err_string_for_int.yaml", 2, "threads", "'two' is not a decimal int");
    expect_error("err_quoted_int.yaml", 2, "seed", "quoted string");
    expect_error("err_float_for_int.yaml", 5, "method.capacity", "'512.0' is not a decimal int");
    expect_error("err_list_for_scalar.yaml", 5, "method.window", "got a list");
    expect_error("err_scalar_for_list.yaml", 4, "tasks.0.lengths", "is not a list");
    expect_error("err_scalar_for_map.yaml", 4, "method", "a mapping of");
    expect_error("err_string_for_float.yaml", 5, "method.h2o_heavy", "'half' is not a number");
    expect_error("err_task_not_mapping.yaml", 3, "tasks.0", "is not a mapping");
    expect_error("err_root_list.yaml", 1, "(root)", "the document is a list");
}

static void test_error_range(void) {
    expect_error("err_range.yaml", 2, "threads", "out of range (expected an int in 0..1024)");
    expect_error("err_range_list.yaml", 4, "tasks.0.lengths[1]", "out of range");
    expect_error("err_range_float.yaml", 5, "method.h2o_heavy", "out of range (expected a number in 0..1)");
    expect_error("err_range_beta.yaml", 5, "method.pyramid_beta", "expected a number >= 1");
    expect_error("err_even_pool.yaml", 5, "method.pool_kernel", "8 is even");
    expect_error("err_layers.yaml", 7, "method.calibration.layers", "A > B");
    expect_error("err_layers_format.yaml", 6, "method.calibration.layers", "not a layer range");
    expect_error("err_depths_empty.yaml", 4, "tasks.0.depths", "empty list");
    expect_error("err_empty_tasks.yaml", 2, "tasks", "empty list");
    expect_error("err_name_chars.yaml", 1, "name", "the character ' '");
}

static void test_error_enum_bool(void) {
    expect_error("err_enum.yaml", 2, "backend", "unknown value 'gpu' (expected one of cpu, cuda)");
    expect_error("err_task_name.yaml", 3, "tasks.0.name", "unknown value 'passkey2'");
    expect_error("err_method_name.yaml", 5, "method.name", "unknown value 'Full'");
    expect_error("err_bool.yaml", 5, "method.repeat_head", "'yes' is not a boolean (expected true or false)");
    expect_error("err_source.yaml", 5, "tasks.1.source", "no source 'longbench'");
}

static void test_error_duplicate_missing(void) {
    expect_error("err_duplicate.yaml", 7, "method.capacity", "duplicate key (first at line 5");
    expect_error("err_duplicate_sweep.yaml", 6, "sweep.method.name", "duplicate key");
    expect_error("err_missing_name.yaml", 2, "name", "missing required key");
    expect_error("err_missing_tasks.yaml", 1, "tasks", "missing required key");
    expect_error("err_missing_task_name.yaml", 4, "tasks.1.name", "missing required key");
    expect_error("err_calib_no_layers.yaml", 7, "method.calibration.layers",
                 "required when method.calibration.enabled is true");
    expect_error("err_calib_sweep.yaml", 8, "method.calibration.layers", "variant 1");
}

static void test_error_yaml(void) {
    expect_error("err_syntax.yaml", 6, "method.name", "malformed YAML: did not find expected ',' or ']'");
    expect_error("err_syntax_indent.yaml", 5, "tasks", "malformed YAML");
    expect_error("err_utf8.yaml", 4, "(root)", "malformed YAML: invalid");
    expect_error("err_empty.yaml", 1, "(root)", "empty file");
    expect_error("err_empty0.yaml", 1, "(root)", "empty file");
    expect_error("err_two_docs.yaml", 3, "(root)", "a second YAML document");
    expect_error("err_alias.yaml", 3, "tasks.0", "anchors and aliases are not supported");
    expect_error("err_alias_only.yaml", 5, "method.capacity", "anchors and aliases are not supported");
    expect_error("err_tag.yaml", 2, "threads", "tags are not supported");
    expect_error("err_null.yaml", 5, "method.capacity", "no value");
    expect_error("err_null_empty.yaml", 5, "output.db", "no value");
    experiment_config c;
    CHECK(config_load(FIXTURES "does_not_exist.yaml", NULL, 0, &c) == -1);
    CHECK(contains(pcb_last_error(), "does_not_exist.yaml: cannot open"));
}

static void test_error_sweep(void) {
    expect_error("err_sweep_bad_value.yaml", 5, "sweep.method.capacity[1]", "out of range");
    expect_error("err_sweep_not_list.yaml", 5, "sweep.method.name", "expected a non-empty list of values");
    expect_error("err_sweep_empty_list.yaml", 5, "sweep.attention_log.rows", "empty list");
}

// ---- overrides ---------------------------------------------------------------------------------

// Which knobs a variant had set (file, override, sweep): the per-task topk default applies only
// where topk_chunks was not set, while the canonical text stays the same either way.
static void test_knobs_given(void) {
    experiment_config c;
    if (load_ok(FIXTURES "valid_min.yaml", NULL, 0, &c)) return;
    for (int i = 0; i < KNOB_COUNT; i++) CHECK_MSG(!c.variants[0].given[i], "%s", knob_get(i)->key);
    char *unset = pcb_strdup(c.variants[0].canonical);
    config_free(&c);
    const char *explicit_default[] = {"method.topk_chunks=3"};
    if (!load_ok(FIXTURES "valid_min.yaml", explicit_default, 1, &c)) {
        CHECK(c.variants[0].given[KNOB_TOPK_CHUNKS] && !c.variants[0].given[KNOB_CAPACITY]);
        CHECK(!strcmp(c.variants[0].canonical, unset));
        config_free(&c);
    }
    const char *swept[] = {"sweep.method.topk_chunks=[1, 2]"};
    if (!load_ok(FIXTURES "valid_min.yaml", swept, 1, &c)) {
        CHECK(c.n_variants == 2 && c.variants[0].given[KNOB_TOPK_CHUNKS] && c.variants[1].given[KNOB_TOPK_CHUNKS]);
        CHECK(c.variants[1].method.topk_chunks == 2 && !c.variants[1].given[KNOB_METHOD]);
        config_free(&c);
    }
    // In the file (valid_sweep.yaml sets method.capacity and the calibration; it sweeps method.name).
    if (!load_ok(FIXTURES "valid_sweep.yaml", NULL, 0, &c)) {
        const config_variant *v = &c.variants[c.n_variants - 1];
        CHECK(v->given[KNOB_CAPACITY] && v->given[KNOB_METHOD] && v->given[KNOB_CALIB_ENABLED]);
        CHECK(!v->given[KNOB_TOPK_CHUNKS] && !v->given[KNOB_ATTN_ROWS]);
        config_free(&c);
    }
    free(unset);
}

static void test_overrides(void) {
    experiment_config c;
    const char *o[] = {"method.capacity=256",
                       "threads=4",
                       "backend=cuda",
                       "tasks.0.samples=5",
                       "tasks.1.lengths=[1024, 2048]",
                       "method.calibration.enabled=true",
                       "method.calibration.layers=8-15",
                       "attention_log.enabled=true",
                       "sweep.method.calibration.region=[sink, recent]",
                       "output.attn_dir=/tmp/attn dir"};
    if (load_ok("configs/demo.yaml", o, (int)(sizeof o / sizeof *o), &c)) return;
    CHECK(c.threads == 4 && !strcmp(c.backend, "cuda") && !strcmp(c.attn_dir, "/tmp/attn dir"));
    CHECK(c.tasks[0].samples == 5 && c.tasks[1].n_lengths == 2 && c.tasks[1].lengths[1] == 2048);
    CHECK(c.n_sweep == 2 && !strcmp(c.sweep_keys[1], "method.calibration.region") && c.n_variants == 6);
    if (c.n_variants == 6) {
        const config_variant *x = &c.variants[3];  // pcw x recent
        CHECK(!strcmp(x->method.name, "pcw") && !strcmp(x->method.calibration.region, "recent"));
        CHECK(x->method.capacity == 256 && x->method.calibration.enabled && x->method.calibration.layers.lo == 8);
        CHECK(x->attention_log.enabled && x->method.chunk_tokens == 2048);
        CHECK(!strcmp(x->label, "method.name=pcw method.calibration.region=recent"));
    }
    config_free(&c);
    // Replacing a sweep list keeps its place; sweep={} removes the sweep; later overrides win.
    const char *r[] = {"sweep.attention_log.rows=[1,2]", "sweep.method.name=[h2o, snapkv]", "threads=3", "threads=5"};
    if (!load_ok("configs/demo.yaml", r, 4, &c)) {
        CHECK(c.n_variants == 4 && !strcmp(c.sweep_keys[0], "method.name") && c.threads == 5);
        CHECK(!strcmp(c.variants[1].label, "method.name=h2o attention_log.rows=2"));
        config_free(&c);
    }
    const char *e[] = {"sweep={}"};
    if (!load_ok("configs/demo.yaml", e, 1, &c)) {
        CHECK(c.n_variants == 1 && c.n_sweep == 0 && !strcmp(c.variants[0].method.name, "parallelcomp"));
        config_free(&c);
    }
    const char *t[] = {"tasks=[{name: passkey, lengths: [65536]}, {name: ppl}]"};
    if (!load_ok("configs/demo.yaml", t, 1, &c)) {
        CHECK(c.n_tasks == 2 && c.tasks[0].lengths[0] == 65536 && !strcmp(c.tasks[1].name, "ppl"));
        CHECK(!strcmp(c.tasks[1].source, "pg19") && c.tasks[1].samples == 0);  // ppl: every PG19 book
        config_free(&c);
    }
    // Sources by task: ppl reads only pg19, generated tasks only generate, LongBench tasks never pg19.
    expect_override_error("tasks=[{name: ppl, source: longbench}]", "tasks.0.source", "no source 'longbench'");
    expect_override_error("tasks=[{name: needle, source: pg19}]", "tasks.0.source", "no source 'pg19'");
    expect_override_error("tasks=[{name: trec, source: pg19}]", "tasks.0.source", "longbench or minilongbench");
    // An override can supply a key the file misses.
    const char *n[] = {"name=from_cli"};
    if (!load_ok(FIXTURES "err_missing_name.yaml", n, 1, &c)) {
        CHECK(!strcmp(c.name, "from_cli"));
        config_free(&c);
    }
}

static void test_override_errors(void) {
    expect_override_error("method.capcity=3", "method.capcity", "unknown key");
    expect_override_error("methd.capacity=3", "methd", "unknown key");
    expect_override_error("method.capacity=abc", "method.capacity", "'abc' is not a decimal int");
    expect_override_error("method.capacity=0", "method.capacity", "out of range");
    expect_override_error("method.capacity=", "method.capacity", "no value");
    expect_override_error("method.capacity=[1,2]", "method.capacity", "got a list");
    expect_override_error("method.kv_eviction=yes", "method.kv_eviction", "not a boolean");
    expect_override_error("backend=gpu", "backend", "unknown value 'gpu'");
    expect_override_error("sweep.method.name=[full, pcw", "sweep.method.name", "malformed YAML");
    expect_override_error("sweep.method.name=[full, nope]", "sweep.method.name[1]", "unknown value 'nope'");
    expect_override_error("sweep.threads=[1,2]", "sweep.threads", "cannot be swept");
    expect_override_error("sweep.method.name=full", "sweep.method.name", "non-empty list");
    expect_override_error("tasks.2.samples=1", "tasks.2", "no such item");
    expect_override_error("tasks.x.samples=1", "tasks.x", "no such item");
    expect_override_error("tasks.0.samples=0", "tasks.0.samples", "out of range");
    expect_override_error("name.x=1", "name", "is a scalar value (configs/demo.yaml:5)");
    expect_override_error("method..capacity=1", "method.", "empty key component");
    expect_override_error("method.calibration.enabled=true", "method.calibration.layers", "required when");
    expect_override_error("threads", NULL, "expected KEY=VALUE");
    expect_override_error("=3", NULL, "expected KEY=VALUE");
    expect_override_error("threads=&a 3", "threads", "anchors and aliases are not supported");
    expect_override_error("threads=99999999999999999999", "threads", "out of range");
    char deep[128] = "threads=";
    for (int i = 0; i < 40; i++) strcat(deep, "[");
    for (int i = 0; i < 40; i++) strcat(deep, "]");
    expect_override_error(deep, NULL, "nested more than 32 levels");
}

int main(void) {
    RUN_TEST(test_sha256_vectors);
    RUN_TEST(test_sha256_file);
    RUN_TEST(test_demo);
    RUN_TEST(test_defaults);
    RUN_TEST(test_variant_options);
    RUN_TEST(test_sweep_grid);
    RUN_TEST(test_hash_invariance);
    RUN_TEST(test_hash_sensitivity);
    RUN_TEST(test_error_unknown_key);
    RUN_TEST(test_error_type);
    RUN_TEST(test_error_range);
    RUN_TEST(test_error_enum_bool);
    RUN_TEST(test_error_duplicate_missing);
    RUN_TEST(test_error_yaml);
    RUN_TEST(test_error_sweep);
    RUN_TEST(test_knobs_given);
    RUN_TEST(test_overrides);
    RUN_TEST(test_override_errors);
    return test_summary();
}
