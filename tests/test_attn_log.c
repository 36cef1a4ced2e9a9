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

#include "attn_classes.h"
#include "attn_log.h"
#include "attn_record.h"
#include "error.h"
#include "forward.h"
#include "kernels.h"
#include "model.h"
#include "pcomp.h"
#include "test.h"
#include "tiny_gguf.h"
#include "tokenizer.h"

static char dir[64];

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
    attn_log_sample s = {.id = "a-1", .method = "pcw", .config_hash = "0123456789abcdef", .config = "method=pcw",
                         .n_layers = L, .n_heads = H, .n_kv_heads = G, .observed_rows = 1, .doc_tokens = 7};
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
        attn_log_layer ll = {.step = 0, .layer = l, .keys = K, .attn = attn, .pos = pos, .chunk = chunk, .doc = doc,
                             .kept = kept, .chunk_starts = starts, .n_chunk_starts = 2};
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

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/pcb_attn_log_%d", (int)getpid());
    mkdir(dir, 0777);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    RUN_TEST(test_roundtrip_plain_hdf5);
    RUN_TEST(test_crash_leaves_no_final_file);
    RUN_TEST(test_writer_errors);
    RUN_TEST(test_union_keys);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) fprintf(stderr, "  could not remove %s\n", dir);
    return test_summary();
}
