#include "analysis/read/attn_log_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/store/attn_log.h"
#include "analysis/store/h5_util.h"
#include "bench/base/error.h"

hid_t attn_log_open(const char *path, int writable) {
    h5_quiet();
    if (H5Fis_hdf5(path) <= 0) return pcb_fail("%s: not an HDF5 file (or missing)", path);
    hid_t f = H5Fopen(path, writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return pcb_fail("%s: HDF5 cannot open it%s", path, writable ? " for writing" : "");
    int version;
    if (h5_get_int(f, "layout_version", &version) || version != ATTN_LOG_LAYOUT_VERSION) {
        H5Fclose(f);
        return pcb_fail("%s: not a pcbench attention log (layout_version %s, want %d)", path,
                        h5_get_int(f, "layout_version", &version) ? "missing" : "different", ATTN_LOG_LAYOUT_VERSION);
    }
    return f;
}

typedef struct {
    char **names;
    int n, cap;
} name_list;

static herr_t collect(hid_t g, const char *name, const H5L_info_t *info, void *user) {
    name_list *l = user;
    if (strncmp(name, "sample_", 7)) return 0;
    if (l->n == l->cap) l->cap = l->cap ? 2 * l->cap : 8, l->names = pcb_realloc(l->names, sizeof(char *) * l->cap);
    l->names[l->n++] = pcb_strdup(name);
    return 0;
}

int attn_log_samples(hid_t file, const char *path, attn_sample_info **out, int *n) {
    name_list l = {0};
    hsize_t idx = 0;
    *out = NULL, *n = 0;
    if (H5Literate(file, H5_INDEX_NAME, H5_ITER_INC, &idx, collect, &l) < 0)
        return pcb_fail("%s: cannot list the samples", path);
    attn_sample_info *s = pcb_calloc((size_t)l.n + 1, sizeof *s);
    int rc = 0;
    for (int i = 0; i < l.n && rc == 0; i++) {
        s[i].group = l.names[i];
        hid_t g = H5Gopen2(file, l.names[i], H5P_DEFAULT);
        if (g < 0) {
            rc = pcb_fail("%s: cannot open group %s", path, l.names[i]);
            continue;
        }
        s[i].id = h5_get_str(g, "sample_id"), s[i].method = h5_get_str(g, "method");
        s[i].config_hash = h5_get_str(g, "config_hash");
        if (!s[i].id || !s[i].method || h5_get_int(g, "n_layers", &s[i].n_layers) ||
            h5_get_int(g, "n_heads", &s[i].n_heads) || h5_get_int(g, "n_kv_heads", &s[i].n_kv_heads))
            rc = pcb_fail("%s: %s lacks sample attributes (sample_id, method, n_layers, n_heads, n_kv_heads)", path,
                          l.names[i]);
        H5Gclose(g);
    }
    for (int i = 0; i < l.n; i++)
        if (!s[i].group) free(l.names[i]);
    free(l.names);
    if (rc) {
        attn_samples_free(s, l.n);
        return -1;
    }
    *out = s, *n = l.n;
    return 0;
}

void attn_samples_free(attn_sample_info *s, int n) {
    for (int i = 0; s && i < n; i++) free(s[i].group), free(s[i].id), free(s[i].method), free(s[i].config_hash);
    free(s);
}

// Reads a whole dataset of `want` elements of `type`; -1 if its size differs.
static int read_all(hid_t g, const char *name, hid_t type, size_t want, void *buf) {
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t s = H5Dget_space(d);
    int rc =
        (size_t)H5Sget_simple_extent_npoints(s) != want || H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0;
    H5Sclose(s), H5Dclose(d);
    return rc ? -1 : 0;
}

int attn_log_read_layer(hid_t file, const char *path, const attn_sample_info *s, int step, int layer,
                        attn_layer_data *out) {
    *out = (attn_layer_data){.layer = layer, .n_heads = s->n_heads};
    char name[160];
    if (step == 0) snprintf(name, sizeof name, "%s/layer_%02d", s->group, layer);
    else snprintf(name, sizeof name, "%s/generated/token_%04d/layer_%02d", s->group, step, layer);
    if (H5Lexists(file, s->group, H5P_DEFAULT) <= 0 || H5Oexists_by_name(file, name, H5P_DEFAULT) <= 0)
        return pcb_fail("%s: no group %s", path, name);
    hid_t g = H5Gopen2(file, name, H5P_DEFAULT);
    if (g < 0) return pcb_fail("%s: cannot open %s", path, name);
    int rc = h5_get_int(g, "keys", &out->keys) || out->keys <= 0;
    if (!rc) {
        size_t k = (size_t)out->keys;
        out->attn = pcb_malloc(sizeof(float) * k * s->n_heads);
        out->pos = pcb_malloc(sizeof(int32_t) * k), out->chunk = pcb_malloc(sizeof(int32_t) * k);
        out->doc = pcb_malloc(sizeof(int32_t) * k);
        rc = read_all(g, "attn", H5T_NATIVE_FLOAT, k * s->n_heads, out->attn) ||
             read_all(g, "pos", H5T_NATIVE_INT32, k, out->pos) ||
             read_all(g, "chunk", H5T_NATIVE_INT32, k, out->chunk) ||
             read_all(g, "doc", H5T_NATIVE_INT32, k, out->doc) ||
             h5_get_ints(g, "chunk_starts", &out->chunk_starts, &out->n_chunk_starts);
    }
    H5Gclose(g);
    if (rc) {
        attn_layer_data_free(out);
        return pcb_fail("%s: %s is incomplete or malformed (keys, attn [heads, keys], pos, chunk, doc, chunk_starts)",
                        path, name);
    }
    return 0;
}

void attn_layer_data_free(attn_layer_data *d) {
    free(d->attn), free(d->pos), free(d->chunk), free(d->doc), free(d->chunk_starts);
    *d = (attn_layer_data){0};
}
