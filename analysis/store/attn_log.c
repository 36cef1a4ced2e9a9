// HDF5 writer of the attention log (layout in attn_log.h).
#include "analysis/store/attn_log.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analysis/store/h5_util.h"
#include "bench/base/error.h"

struct attn_log {
    char *path, *tmp;
    hid_t file, sample;  // sample: the open /sample_<id> group, or -1
    hid_t generated;     // /sample_<id>/generated, created on first use, or -1
    int n_heads, n_kv_heads, n_layers;
    int failed;  // a write failed: close removes the temporary file
};

static int log_fail(attn_log *lg, const char *what) {
    lg->failed = 1;
    return pcb_fail("%s: HDF5 could not write %s", lg->path, what);
}

attn_log *attn_log_create(const char *path, const attn_log_meta *meta) {
    h5_quiet();
    attn_log *lg = pcb_calloc(1, sizeof *lg);
    lg->path = pcb_strdup(path);
    size_t n = strlen(path) + 5;
    lg->tmp = pcb_malloc(n);
    snprintf(lg->tmp, n, "%s.tmp", path);
    lg->sample = lg->generated = -1;
    lg->file = H5Fcreate(lg->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (lg->file < 0) {
        pcb_fail("%s: cannot create the attention log (HDF5 refused %s)", path, lg->tmp);
        free(lg->path), free(lg->tmp), free(lg);
        return NULL;
    }
    char stamp[32];
    time_t now = time(NULL);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    int rc = h5_attr_int(lg->file, "layout_version", ATTN_LOG_LAYOUT_VERSION);
    rc |= h5_attr_str(lg->file, "created_by", meta && meta->created_by ? meta->created_by : "pcbench");
    rc |= h5_attr_str(lg->file, "model", meta && meta->model ? meta->model : "");
    rc |= h5_attr_str(lg->file, "model_sha256", meta && meta->model_sha256 ? meta->model_sha256 : "");
    rc |= h5_attr_str(lg->file, "created_utc", stamp);
    if (rc) {
        log_fail(lg, "the file attributes");
        attn_log_abort(lg);
        return NULL;
    }
    return lg;
}

static int valid_id(const char *id) {
    if (!id || !*id) return 0;
    for (const char *c = id; *c; c++)
        if (!(('a' <= *c && *c <= 'z') || ('A' <= *c && *c <= 'Z') || ('0' <= *c && *c <= '9') || *c == '_' ||
              *c == '-' || *c == '.'))
            return 0;
    return 1;
}

static int write_chunks(hid_t group, const attn_log_chunk *chunks, int n) {
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(attn_log_chunk));
    H5Tinsert(t, "index", HOFFSET(attn_log_chunk, index), H5T_NATIVE_INT);
    H5Tinsert(t, "doc_begin", HOFFSET(attn_log_chunk, doc_begin), H5T_NATIVE_INT);
    H5Tinsert(t, "doc_end", HOFFSET(attn_log_chunk, doc_end), H5T_NATIVE_INT);
    H5Tinsert(t, "n_context", HOFFSET(attn_log_chunk, n_context), H5T_NATIVE_INT);
    H5Tinsert(t, "kept", HOFFSET(attn_log_chunk, kept), H5T_NATIVE_INT);
    H5Tinsert(t, "score", HOFFSET(attn_log_chunk, score), H5T_NATIVE_DOUBLE);
    hsize_t dims[1] = {(hsize_t)n};
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t d = H5Dcreate2(group, "chunks", t, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = d < 0 || (n > 0 && H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, chunks) < 0);
    if (d >= 0) H5Dclose(d);
    H5Sclose(space), H5Tclose(t);
    return rc ? -1 : 0;
}

int attn_log_begin_sample(attn_log *lg, const attn_log_sample *s) {
    if (lg->sample >= 0) return pcb_fail("%s: sample begun before the previous one ended", lg->path);
    if (!valid_id(s->id))
        return pcb_fail("%s: sample id '%s' must be letters, digits, '_', '-' or '.'", lg->path, s->id ? s->id : "");
    if (s->n_heads <= 0 || s->n_kv_heads <= 0 || s->n_heads % s->n_kv_heads || s->n_layers <= 0)
        return pcb_fail("%s: sample %s: bad head counts %d/%d or %d layers", lg->path, s->id, s->n_heads, s->n_kv_heads,
                        s->n_layers);
    char name[256];
    snprintf(name, sizeof name, "sample_%s", s->id);
    if (H5Lexists(lg->file, name, H5P_DEFAULT) > 0)
        return pcb_fail("%s: sample id '%s' is already in the log", lg->path, s->id);
    lg->sample = H5Gcreate2(lg->file, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (lg->sample < 0) return log_fail(lg, name);
    lg->n_heads = s->n_heads, lg->n_kv_heads = s->n_kv_heads, lg->n_layers = s->n_layers;
    hid_t g = lg->sample;
    int rc = h5_attr_str(g, "sample_id", s->id);
    rc |= h5_attr_str(g, "method", s->method ? s->method : "");
    rc |= h5_attr_str(g, "config_hash", s->config_hash ? s->config_hash : "");
    rc |= h5_attr_str(g, "config", s->config ? s->config : "");
    rc |= h5_attr_int(g, "n_layers", s->n_layers);
    rc |= h5_attr_int(g, "n_heads", s->n_heads);
    rc |= h5_attr_int(g, "n_kv_heads", s->n_kv_heads);
    rc |= h5_attr_int(g, "observed_rows", s->observed_rows);
    rc |= h5_attr_int(g, "generated", s->generated);
    rc |= h5_attr_int(g, "doc_tokens", s->doc_tokens);
    return rc ? log_fail(lg, "the sample attributes") : 0;
}

// Chunked, shuffle + deflate dataset of rank 1 or 2 with the last axis `keys` long.
static int write_dataset(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims, const void *data) {
    hsize_t chunk[2];
    for (int i = 0; i < rank; i++) chunk[i] = dims[i];
    if (chunk[rank - 1] > 16384) chunk[rank - 1] = 16384;  // bounded chunks: partial reads stay cheap
    hid_t space = H5Screate_simple(rank, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, rank, chunk);
    H5Pset_shuffle(dcpl);
    H5Pset_deflate(dcpl, 4);
    hid_t d = H5Dcreate2(loc, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int rc = d < 0 || H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0;
    if (d >= 0) H5Dclose(d);
    H5Pclose(dcpl), H5Sclose(space);
    return rc ? -1 : 0;
}

int attn_log_write_layer(attn_log *lg, const attn_log_layer *l) {
    if (lg->sample < 0) return pcb_fail("%s: layer written outside a sample", lg->path);
    if (l->keys <= 0) return pcb_fail("%s: layer %d: no keys", lg->path, l->layer);
    if (l->layer < 0 || l->layer >= lg->n_layers || l->step < 0)
        return pcb_fail("%s: layer %d / step %d out of range", lg->path, l->layer, l->step);
    hid_t parent = lg->sample;
    char name[64];
    if (l->step > 0) {
        if (lg->generated < 0 &&
            (lg->generated = H5Gcreate2(lg->sample, "generated", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0)
            return log_fail(lg, "the generated group");
        snprintf(name, sizeof name, "token_%04d", l->step);
        htri_t exists = H5Lexists(lg->generated, name, H5P_DEFAULT);
        parent = exists > 0 ? H5Gopen2(lg->generated, name, H5P_DEFAULT)
                            : H5Gcreate2(lg->generated, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (parent < 0) return log_fail(lg, name);
    }
    snprintf(name, sizeof name, "layer_%02d", l->layer);
    hid_t g = H5Gcreate2(parent, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (parent != lg->sample) H5Gclose(parent);
    if (g < 0) return log_fail(lg, name);
    hsize_t heads[2] = {(hsize_t)lg->n_heads, (hsize_t)l->keys}, kv[2] = {(hsize_t)lg->n_kv_heads, (hsize_t)l->keys};
    hsize_t keys[1] = {(hsize_t)l->keys};
    int rc = h5_attr_int(g, "layer", l->layer);
    rc |= h5_attr_int(g, "step", l->step);
    rc |= h5_attr_int(g, "keys", l->keys);
    rc |= h5_attr_ints(g, "chunk_starts", l->chunk_starts, l->n_chunk_starts);
    rc |= write_dataset(g, "attn", H5T_NATIVE_FLOAT, 2, heads, l->attn);
    rc |= write_dataset(g, "pos", H5T_NATIVE_INT32, 1, keys, l->pos);
    rc |= write_dataset(g, "chunk", H5T_NATIVE_INT32, 1, keys, l->chunk);
    rc |= write_dataset(g, "doc", H5T_NATIVE_INT32, 1, keys, l->doc);
    rc |= write_dataset(g, "kept", H5T_NATIVE_UINT8, 2, kv, l->kept);
    H5Gclose(g);
    return rc ? log_fail(lg, name) : 0;
}

int attn_log_end_sample(attn_log *lg, const char *answer, int question_pos, const attn_log_chunk *chunks,
                        int n_chunks) {
    if (lg->sample < 0) return pcb_fail("%s: no sample to end", lg->path);
    int rc = h5_attr_str(lg->sample, "answer", answer ? answer : "");
    rc |= h5_attr_int(lg->sample, "question_pos", question_pos);
    rc |= write_chunks(lg->sample, chunks, n_chunks);
    if (lg->generated >= 0) H5Gclose(lg->generated);
    H5Gclose(lg->sample);
    lg->sample = lg->generated = -1;
    return rc ? log_fail(lg, "the sample's answer and chunks") : 0;
}

static void release(attn_log *lg) {
    if (lg->generated >= 0) H5Gclose(lg->generated);
    if (lg->sample >= 0) H5Gclose(lg->sample);
    lg->generated = lg->sample = -1;
}

int attn_log_close(attn_log *lg) {
    release(lg);
    int rc = H5Fclose(lg->file) < 0 ? log_fail(lg, "the file on close") : 0;
    if (!lg->failed && rename(lg->tmp, lg->path) != 0)
        rc = pcb_fail("%s: cannot rename %s into place", lg->path, lg->tmp), lg->failed = 1;
    if (lg->failed) {
        unlink(lg->tmp);
        rc = -1;
    }
    free(lg->path), free(lg->tmp), free(lg);
    return rc;
}

void attn_log_abort(attn_log *lg) {
    release(lg);
    H5Fclose(lg->file);
    unlink(lg->tmp);
    free(lg->path), free(lg->tmp), free(lg);
}
