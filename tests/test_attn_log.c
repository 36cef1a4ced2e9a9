// Attention log: the HDF5 file read back with the plain HDF5 C API (independently of the
// writer and reader code), crash safety of the temporary name, the union key axis, the
// observer's attention against a forward probe, and the pattern classes on the real model.
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analysis/classify/attn_classes.h"
#include "analysis/read/attn_log_read.h"
#include "analysis/store/attn_log.h"
#include "bench/base/error.h"
#include "bench/engine/forward.h"
#include "bench/method/pcomp.h"
#include "bench/model/model.h"
#include "bench/model/tokenizer.h"
#include "bench/sweep/attn_record.h"
#include "kernels/kernels.h"
#include "tests/test.h"
#include "tests/tiny_gguf.h"

static char dir[64], tiny_path[96];
static model *tiny;
static tokenizer *tiny_tok;

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static void path_in_dir(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", dir, name); }

enum { H = 4, G = 2, K = 10, L = 2 };

// A two-layer sample with known values: attn[h][j] = (h + 1) * 100 + j + layer / 10.
static int write_small_log(const char *path, int close_it, attn_log **out) {
    attn_log_meta meta = {.created_by = "test", .model = "tiny.gguf"};
    attn_log *lg = attn_log_create(path, &meta);
    if (!lg) return -1;
    attn_log_sample s = {.id = "a-1",
                         .method = "pcw",
                         .config_hash = "0123456789abcdef",
                         .config = "method=pcw",
                         .n_layers = L,
                         .n_heads = H,
                         .n_kv_heads = G,
                         .observed_rows = 1,
                         .doc_tokens = 7};
    if (attn_log_begin_sample(lg, &s)) return -1;
    float attn[H * K];
    int32_t pos[K], chunk[K], doc[K], starts[2] = {0, 5};
    uint8_t kept[G * K];
    for (int l = 0; l < L; l++) {
        for (int h = 0; h < H; h++)
            for (int j = 0; j < K; j++) attn[h * K + j] = (float)((h + 1) * 100 + j + l / 10.0);
        for (int j = 0; j < K; j++) pos[j] = j % 5, chunk[j] = j < 5 ? 0 : 1, doc[j] = j == 0 ? -1 : 10 * j;
        for (int g = 0; g < G; g++)
            for (int j = 0; j < K; j++) kept[g * K + j] = (uint8_t)((j + g) % 3 != 0);
        attn_log_layer ll = {.step = 0,
                             .layer = l,
                             .keys = K,
                             .attn = attn,
                             .pos = pos,
                             .chunk = chunk,
                             .doc = doc,
                             .kept = kept,
                             .chunk_starts = starts,
                             .n_chunk_starts = 2};
        if (attn_log_write_layer(lg, &ll)) return -1;
    }
    attn_log_chunk ch[2] = {{0, 0, 4, 5, 1, 1.5}, {1, 4, 9, 5, 0, 2.5}};
    if (attn_log_end_sample(lg, "answer text", 5, ch, 2)) return -1;
    if (out) *out = lg;
    return close_it ? attn_log_close(lg) : 0;
}

static int read_attr_int(hid_t loc, const char *name) {
    int v = -12345;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a >= 0) H5Aread(a, H5T_NATIVE_INT, &v), H5Aclose(a);
    return v;
}

static void read_attr_str(hid_t loc, const char *name, char *buf, size_t n) {
    buf[0] = 0;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return;
    hid_t t = H5Aget_type(a);
    if (H5Tget_size(t) < n) H5Aread(a, t, buf);
    H5Tclose(t), H5Aclose(a);
}

static void test_roundtrip_plain_hdf5(void) {
    char path[128], tmp[160];
    path_in_dir(path, sizeof path, "small.h5");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CHECK_MSG(write_small_log(path, 1, NULL) == 0, "%s", pcb_last_error());
    CHECK(exists(path) && !exists(tmp));
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0);
    if (f < 0) return;
    CHECK(read_attr_int(f, "layout_version") == 1);
    char s[64];
    read_attr_str(f, "model", s, sizeof s);
    CHECK(!strcmp(s, "tiny.gguf"));
    hid_t g = H5Gopen2(f, "/sample_a-1", H5P_DEFAULT);
    CHECK(g >= 0);
    read_attr_str(g, "method", s, sizeof s);
    CHECK(!strcmp(s, "pcw"));
    read_attr_str(g, "answer", s, sizeof s);
    CHECK(!strcmp(s, "answer text"));
    CHECK(read_attr_int(g, "n_heads") == H && read_attr_int(g, "question_pos") == 5);
    // attn of layer 1, all heads
    hid_t d = H5Dopen2(f, "/sample_a-1/layer_01/attn", H5P_DEFAULT);
    CHECK(d >= 0);
    hid_t sp = H5Dget_space(d);
    hsize_t dims[2] = {0, 0};
    CHECK(H5Sget_simple_extent_ndims(sp) == 2);
    H5Sget_simple_extent_dims(sp, dims, NULL);
    CHECK(dims[0] == H && dims[1] == K);
    float got[H * K];
    CHECK(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, got) >= 0);
    int same = 1;
    for (int h = 0; h < H; h++)
        for (int j = 0; j < K; j++) same &= got[h * K + j] == (float)((h + 1) * 100 + j + 0.1);
    CHECK(same);
    // chunked with shuffle + deflate
    hid_t dcpl = H5Dget_create_plist(d);
    CHECK(H5Pget_layout(dcpl) == H5D_CHUNKED);
    int n_filters = H5Pget_nfilters(dcpl), shuffle = 0, deflate = 0;
    for (int i = 0; i < n_filters; i++) {
        unsigned flags, cd[4];
        size_t ncd = 4;
        H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cd, 0, NULL, NULL);
        shuffle |= id == H5Z_FILTER_SHUFFLE, deflate |= id == H5Z_FILTER_DEFLATE;
    }
    CHECK(shuffle && deflate);
    H5Pclose(dcpl), H5Sclose(sp), H5Dclose(d);
    int32_t ints[K];
    d = H5Dopen2(f, "/sample_a-1/layer_00/doc", H5P_DEFAULT);
    CHECK(d >= 0 && H5Dread(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, ints) >= 0);
    CHECK(ints[0] == -1 && ints[3] == 30 && ints[9] == 90);
    H5Dclose(d);
    uint8_t kept[G * K];
    d = H5Dopen2(f, "/sample_a-1/layer_00/kept", H5P_DEFAULT);
    CHECK(d >= 0 && H5Dread(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, kept) >= 0);
    CHECK(kept[0] == 0 && kept[1] == 1 && kept[K + 2] == 0 && kept[K + 0] == 1);
    H5Dclose(d);
    hid_t lg = H5Gopen2(f, "/sample_a-1/layer_00", H5P_DEFAULT);
    hid_t a = H5Aopen(lg, "chunk_starts", H5P_DEFAULT);
    int32_t starts[2] = {-1, -1};
    CHECK(a >= 0 && H5Aread(a, H5T_NATIVE_INT32, starts) >= 0);
    CHECK(starts[0] == 0 && starts[1] == 5);
    H5Aclose(a), H5Gclose(lg);
    // chunks: our own compound type, matched by field name
    typedef struct {
        int kept;
        double score;
        int index;
    } chunk_view;
    hid_t ct = H5Tcreate(H5T_COMPOUND, sizeof(chunk_view));
    H5Tinsert(ct, "kept", HOFFSET(chunk_view, kept), H5T_NATIVE_INT);
    H5Tinsert(ct, "score", HOFFSET(chunk_view, score), H5T_NATIVE_DOUBLE);
    H5Tinsert(ct, "index", HOFFSET(chunk_view, index), H5T_NATIVE_INT);
    chunk_view cv[2];
    d = H5Dopen2(f, "/sample_a-1/chunks", H5P_DEFAULT);
    CHECK(d >= 0 && H5Dread(d, ct, H5S_ALL, H5S_ALL, H5P_DEFAULT, cv) >= 0);
    CHECK(cv[0].kept == 1 && cv[1].kept == 0 && cv[1].index == 1 && cv[1].score == 2.5);
    H5Dclose(d), H5Tclose(ct), H5Gclose(g), H5Fclose(f);
}

static void test_crash_leaves_no_final_file(void) {
    char path[128], tmp[160];
    path_in_dir(path, sizeof path, "crash.h5");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    pid_t child = fork();
    if (child == 0) {  // writes everything but never closes: a crash at the worst moment
        write_small_log(path, 0, NULL);
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    CHECK(exists(tmp));
    CHECK_MSG(!exists(path), "a killed writer left %s", path);
    // abort removes the temporary file and never creates the final one
    attn_log *lg = NULL;
    CHECK(write_small_log(path, 0, &lg) == 0);
    if (lg) attn_log_abort(lg);
    CHECK(!exists(path) && !exists(tmp));
}

static void test_writer_errors(void) {
    char path[128];
    attn_log *bad = attn_log_create("/nonexistent-dir/x.h5", NULL);
    CHECK(!bad && strstr(pcb_last_error(), "/nonexistent-dir/x.h5"));
    path_in_dir(path, sizeof path, "errors.h5");
    attn_log *lg = attn_log_create(path, NULL);
    CHECK(lg != NULL);
    if (!lg) return;
    attn_log_sample s = {.id = "bad id", .method = "full", .n_layers = 1, .n_heads = 2, .n_kv_heads = 1};
    CHECK(attn_log_begin_sample(lg, &s) != 0 && strstr(pcb_last_error(), "bad id"));
    float a[2] = {1, 1};
    int32_t z = 0;
    uint8_t one = 1;
    attn_log_layer l = {.keys = 1, .attn = a, .pos = &z, .chunk = &z, .doc = &z, .kept = &one};
    CHECK(attn_log_write_layer(lg, &l) != 0);  // outside a sample
    s.id = "ok";
    CHECK(attn_log_begin_sample(lg, &s) == 0);
    l.layer = 3;
    CHECK(attn_log_write_layer(lg, &l) != 0 && strstr(pcb_last_error(), "layer 3"));
    l.layer = 0;
    CHECK(attn_log_write_layer(lg, &l) == 0);
    CHECK(attn_log_end_sample(lg, "", 0, NULL, 0) == 0);
    CHECK(attn_log_begin_sample(lg, &s) != 0 && strstr(pcb_last_error(), "already"));
    CHECK(attn_log_close(lg) == 0 && exists(path));
}

// Two KV heads that evicted different slots share one key axis in cache order.
static void test_union_keys(void) {
    kv_cache *c = kv_cache_new(1, 2, 4);
    float kv[4] = {0};
    // {chunk, position}: head 0 kept c0p0 c0p2 c1p0 q5, head 1 kept c0p1 c0p2 c1p1 q5
    int32_t h0[4][2] = {{0, 0}, {0, 2}, {1, 0}, {-1, 5}}, h1[4][2] = {{0, 1}, {0, 2}, {1, 1}, {-1, 5}};
    kv_cache_reserve(c, 4);
    for (int j = 0; j < 4; j++) {
        kv_head_append(kv_cache_head(c, 0, 0), 4, kv, kv, h0[j][1], h0[j][0], 100 + j);
        kv_head_append(kv_cache_head(c, 0, 1), 4, kv, kv, h1[j][1], h1[j][0], 200 + j);
    }
    int32_t pos[8], chunk[8], doc[8], map[8];
    int n = attn_union_keys(c, 0, 4, pos, chunk, doc, map);
    CHECK_MSG(n == 6, "%d keys", n);
    int32_t want_pos[6] = {0, 1, 2, 0, 1, 5}, want_chunk[6] = {0, 0, 0, 1, 1, -1};
    int32_t want_map0[4] = {0, 2, 3, 5}, want_map1[4] = {1, 2, 4, 5};
    for (int i = 0; i < 6 && n == 6; i++)
        CHECK_MSG(pos[i] == want_pos[i] && chunk[i] == want_chunk[i], "key %d: chunk %d pos %d", i, chunk[i], pos[i]);
    for (int j = 0; j < 4; j++) CHECK(map[j] == want_map0[j] && map[4 + j] == want_map1[j]);
    CHECK(doc[0] == 100 && doc[1] == 200 && doc[5] == 103);  // shared slot: the first head's metadata
    // a head out of cache order is an error, not a silently wrong axis
    kv_head *h = kv_cache_head(c, 0, 1);
    h->pos[0] = 3;
    CHECK(attn_union_keys(c, 0, 4, pos, chunk, doc, map) < 0 && strstr(pcb_last_error(), "out of cache order"));
    kv_cache_free(c);
}

// ---- the observer against an independent forward probe (tiny random-weight model) ----------

enum { OBS_LAYER = 1 };
typedef struct {
    float *attn;  // [n_heads, stride] copy of the observed layer, step 0
    int stride, calls, steps;
} observed;

static int keep_layer(void *user, int step, int layer, const float *attn, int stride, const kv_cache *cache) {
    observed *o = user;
    o->calls++;
    if (step > o->steps) o->steps = step;
    if (step == 0 && layer == OBS_LAYER) {
        free(o->attn);
        o->attn = malloc(sizeof(float) * tiny->cfg.n_heads * stride);
        memcpy(o->attn, attn, sizeof(float) * tiny->cfg.n_heads * stride);
        o->stride = stride;
    }
    return 0;
}

typedef struct {
    float *rows;  // [n_heads, keys] of the probed row
    int keys;
} probed;

static void probe_row(void *user, int layer, int q_head, int row_index, const float *probs, const kv_head *slots) {
    probed *p = user;
    if (!p->rows) p->rows = calloc((size_t)tiny->cfg.n_heads * slots->n, sizeof(float)), p->keys = slots->n;
    memcpy(p->rows + (size_t)q_head * p->keys, probs, sizeof(float) * slots->n);
}

static void test_observer_matches_probe(void) {
    int32_t w[260];
    for (int i = 0; i < 260; i++) w[i] = 3 + (i * 37 + (i * i) % 13) % (tiny->cfg.vocab_size - 3);
    pcomp_input in;
    CHECK(pcomp_input_from_tokens(tiny_tok, w, 250, w + 250, 10, &in) == 0);
    pcomp_options o;
    pcomp_options_default(&o);
    o.method = METHOD_FULL_UNTRUNCATED, o.max_new_tokens = 3;  // the window below is the whole input
    observed ob = {0};
    pcomp_observer obs = {.rows = 1, .generated = 1, .on_layer = keep_layer, .user = &ob};
    pcomp_result r;
    int32_t stop = -1;
    CHECK(pcomp_run_observed(tiny, &in, &o, &stop, 0, &obs, &r) == 0);
    CHECK_MSG(ob.steps == r.n_answer - 1 && ob.calls == tiny->cfg.n_layers * r.n_answer,
              "%d calls, last step %d, %d answer tokens", ob.calls, ob.steps, r.n_answer);
    // independent: the same window through forward() with a probe on its last row
    int n = in.n_full_prefix + in.n_doc + in.n_full_suffix;
    int32_t *tok = malloc(sizeof(int32_t) * n), *pos = malloc(sizeof(int32_t) * n), last = n - 1;
    memcpy(tok, in.full_prefix, sizeof(int32_t) * in.n_full_prefix);
    memcpy(tok + in.n_full_prefix, in.doc, sizeof(int32_t) * in.n_doc);
    memcpy(tok + in.n_full_prefix + in.n_doc, in.full_suffix, sizeof(int32_t) * in.n_full_suffix);
    for (int i = 0; i < n; i++) pos[i] = i;
    uint8_t layers[64] = {0};
    layers[OBS_LAYER] = 1;
    probed pr = {0};
    probe p = {.layers = layers, .rows = &last, .n_rows = 1, .on_row = probe_row, .user = &pr};
    forward_batch b = {.n = n, .tokens = tok, .pos = pos, .probe = &p};
    kv_cache *c = model_new_cache(tiny);
    CHECK(forward(tiny, c, &b) == 0);
    CHECK(ob.attn && pr.rows && pr.keys == n && r.prompt_tokens == n);
    double worst = 0;
    for (int h = 0; ob.attn && pr.rows && h < tiny->cfg.n_heads; h++)
        for (int j = 0; j < pr.keys; j++)
            worst = max_nan(worst, fabs(ob.attn[(size_t)h * ob.stride + j] - pr.rows[(size_t)h * pr.keys + j]));
    CHECK_MSG(worst < 1e-5, "observer vs probe: max |diff| %g", worst);
    kv_cache_free(c);
    free(tok), free(pos), free(ob.attn), free(pr.rows);
    pcomp_result_free(&r);
    pcomp_input_free(&in);
}

// ---- the real model: standard vs parallel attention patterns -----------------------------

static int layers_with(const attn_class_row *rows, int n, int (*pred)(const attn_class_row *)) {
    int count = 0;
    for (int i = 0; i < n; i++) count += rows[i].head < 0 && pred(&rows[i]);
    return count;
}
static int u_or_sink(const attn_class_row *r) { return r->label == ATTN_U_SHAPED || r->f.sink_mass >= 0.3; }
static int multi_sink(const attn_class_row *r) { return r->label == ATTN_MULTI_SINK; }

// Logs one sample of the real model under `method` and classifies it (head-averaged rows used).
static int log_and_classify(model *m, tokenizer *tk, pcomp_method method, const char *path, attn_class_row **rows,
                            int *n) {
    char text_path[512];
    snprintf(text_path, sizeof text_path, "%s/text/pg19/pg19_10985_infant_system.txt", test_data_dir());
    FILE *f = fopen(text_path, "rb");
    if (!f) return 1;
    char *buf = calloc(1, 30001);
    size_t len = fread(buf, 1, 30000, f);
    fclose(f);
    int32_t *ids = NULL;
    size_t n_ids = 0;
    tokenizer_encode(tk, buf, len, 0, &ids, &n_ids);
    free(buf);
    if (n_ids < 2100) return free(ids), 1;
    pcomp_input in;
    pcomp_input_from_tokens(tk, ids, 2048, ids + 2048, 24, &in);
    free(ids);
    pcomp_options o;
    pcomp_options_default(&o);
    o.method = method, o.max_new_tokens = 1, o.chunk_tokens = 512, o.topk_chunks = 0;
    attn_log *lg = attn_log_create(path, &(attn_log_meta){.model = "SmolLM2"});
    attn_log_sample s = {.id = "0",
                         .method = pcomp_method_name(method),
                         .n_layers = m->cfg.n_layers,
                         .n_heads = m->cfg.n_heads,
                         .n_kv_heads = m->cfg.n_kv_heads,
                         .observed_rows = 1};
    attn_record rec;
    attn_record_init(&rec, lg, &m->cfg);
    pcomp_observer obs = {.rows = 1, .on_layer = attn_record_layer, .user = &rec};
    pcomp_result r;
    int32_t stop = -1;
    int rc = !lg || attn_log_begin_sample(lg, &s) || pcomp_run_observed(m, &in, &o, &stop, 0, &obs, &r) ||
             attn_log_end_sample(lg, "", r.question_pos, NULL, 0) || attn_log_close(lg);
    if (!rc && r.n_chunks) CHECK_MSG(method != METHOD_PCW || r.n_chunks >= 4, "%d chunks", r.n_chunks);
    attn_record_free(&rec);
    pcomp_result_free(&r);
    pcomp_input_free(&in);
    if (rc) return -1;
    hid_t file = attn_log_open(path, 0);
    attn_sample_info *samples = NULL;
    int n_samples = 0;
    attn_thresholds t;
    attn_thresholds_default(&t);
    rc = file < 0 || attn_log_samples(file, path, &samples, &n_samples) || n_samples != 1 ||
         attn_classify_sample(file, path, &samples[0], 0, &t, rows, n);
    attn_samples_free(samples, n_samples);
    if (file >= 0) H5Fclose(file);
    return rc ? -1 : 0;
}

static void test_real_model_patterns(void) {
    const char *mp = getenv("PCB_MODEL");
    model *m = model_load(mp && *mp ? mp : "models/SmolLM2-135M-Instruct.Q4_1.gguf");
    if (!m) SKIP_TEST("default model not available (make model)");
    tokenizer *tk = tokenizer_from_gguf(&m->gguf);
    char full_path[128], pcw_path[128];
    path_in_dir(full_path, sizeof full_path, "full.h5");
    path_in_dir(pcw_path, sizeof pcw_path, "pcw.h5");
    attn_class_row *full = NULL, *par = NULL;
    int n_full = 0, n_par = 0;
    int a = log_and_classify(m, tk, METHOD_FULL, full_path, &full, &n_full);
    int b = a ? a : log_and_classify(m, tk, METHOD_PCW, pcw_path, &par, &n_par);
    if (a > 0 || b > 0) {
        tokenizer_free(tk), model_free(m);
        FAIL_TEST("PG19 text in the data folder");
    }
    CHECK_MSG(a == 0 && b == 0, "%s", pcb_last_error());
    int L = m->cfg.n_layers;
    int full_u = layers_with(full, n_full, u_or_sink), full_multi = layers_with(full, n_full, multi_sink);
    int par_multi = layers_with(par, n_par, multi_sink);
    printf(
        "  # full attention: %d/%d layers u-shaped or sink mass >= 0.3, %d multi-sink; parallel (4+ chunks): "
        "%d/%d layers multi-sink\n",
        full_u, L, full_multi, par_multi, L);
    CHECK_MSG(full_u * 2 >= L, "standard attention u-shaped / sink-dominated in only %d of %d layers", full_u, L);
    CHECK(full_multi == 0);  // one window has one chunk start
    CHECK_MSG(par_multi >= 1, "parallel attention shows no multi-sink layer");
    attn_class_rows_free(full, n_full), attn_class_rows_free(par, n_par);
    tokenizer_free(tk), model_free(m);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/pcb_attn_log_%d", (int)getpid());
    mkdir(dir, 0777);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    RUN_TEST(test_roundtrip_plain_hdf5);
    RUN_TEST(test_crash_leaves_no_final_file);
    RUN_TEST(test_writer_errors);
    RUN_TEST(test_union_keys);
    snprintf(tiny_path, sizeof tiny_path, "%s/tiny.gguf", dir);
    if (tiny_llama_write(tiny_path, NULL) != 0 || !(tiny = model_load(tiny_path)) ||
        !(tiny_tok = tokenizer_from_gguf(&tiny->gguf))) {
        printf("not ok - tiny model: %s\n", pcb_last_error());
        return 1;
    }
    kernels_set_num_threads(2);
    RUN_TEST(test_observer_matches_probe);
    RUN_TEST(test_real_model_patterns);
    tokenizer_free(tiny_tok), model_free(tiny);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) fprintf(stderr, "  could not remove %s\n", dir);
    return test_summary();
}
