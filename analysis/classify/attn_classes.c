#include "analysis/classify/attn_classes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/store/h5_util.h"
#include "bench/base/error.h"

static int classify_row(const float *p, const attn_layer_data *d, const attn_thresholds *t, attn_class_row *row,
                        const char *path, const attn_sample_info *s) {
    row->start_mass = pcb_calloc((size_t)d->n_chunk_starts + 1, sizeof(double));
    if (attn_features_compute(p, d->keys, d->chunk_starts, d->n_chunk_starts, t, &row->f, row->start_mass)) {
        if (row->head < 0) return pcb_fail_context("%s: sample %s layer %d (head average)", path, s->id, row->layer);
        return pcb_fail_context("%s: sample %s layer %d head %d", path, s->id, row->layer, row->head);
    }
    row->label = attn_classify(&row->f, t);
    return 0;
}

int attn_classify_sample(hid_t file, const char *path, const attn_sample_info *s, int step, const attn_thresholds *t,
                         attn_class_row **rows, int *n) {
    int per_layer = s->n_heads + 1, total = s->n_layers * per_layer;
    attn_class_row *r = pcb_calloc((size_t)total, sizeof *r);
    int rc = 0, done = 0;
    for (int l = 0; l < s->n_layers && rc == 0; l++) {
        attn_layer_data d;
        if ((rc = attn_log_read_layer(file, path, s, step, l, &d))) break;
        float *mean = pcb_calloc((size_t)d.keys, sizeof(float));
        for (int h = 0; h < s->n_heads; h++)
            for (int j = 0; j < d.keys; j++) mean[j] += d.attn[(size_t)h * d.keys + j] / s->n_heads;
        for (int h = -1; h < s->n_heads && rc == 0; h++) {
            attn_class_row *row = &r[done++];
            row->step = step, row->layer = l, row->head = h;
            rc = classify_row(h < 0 ? mean : d.attn + (size_t)h * d.keys, &d, t, row, path, s);
        }
        free(mean);
        attn_layer_data_free(&d);
    }
    if (rc) {
        attn_class_rows_free(r, done);
        return -1;
    }
    *rows = r, *n = done;
    return 0;
}

void attn_class_rows_free(attn_class_row *rows, int n) {
    for (int i = 0; rows && i < n; i++) free(rows[i].start_mass);
    free(rows);
}

// Flat record of one row for the HDF5 compound type.
typedef struct {
    int step, layer, head;
    char label[16];
    int keys, edge, bins;
    double sink_mass, recent_mass, middle_mass, entropy, max_bin_pos;
    int max_bin_in_middle;
    double peak_pos, peak_width;
    int n_chunk_starts, hot_chunk_starts;
    double max_chunk_start_mass;
} class_record;

static hid_t class_record_type(void) {
    hid_t label = H5Tcopy(H5T_C_S1);
    H5Tset_size(label, 16);
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(class_record));
#define FIELD(name, type) H5Tinsert(t, #name, HOFFSET(class_record, name), type)
    FIELD(step, H5T_NATIVE_INT), FIELD(layer, H5T_NATIVE_INT), FIELD(head, H5T_NATIVE_INT), FIELD(label, label);
    FIELD(keys, H5T_NATIVE_INT), FIELD(edge, H5T_NATIVE_INT), FIELD(bins, H5T_NATIVE_INT);
    FIELD(sink_mass, H5T_NATIVE_DOUBLE), FIELD(recent_mass, H5T_NATIVE_DOUBLE), FIELD(middle_mass, H5T_NATIVE_DOUBLE);
    FIELD(entropy, H5T_NATIVE_DOUBLE), FIELD(max_bin_pos, H5T_NATIVE_DOUBLE), FIELD(max_bin_in_middle, H5T_NATIVE_INT);
    FIELD(peak_pos, H5T_NATIVE_DOUBLE), FIELD(peak_width, H5T_NATIVE_DOUBLE);
    FIELD(n_chunk_starts, H5T_NATIVE_INT), FIELD(hot_chunk_starts, H5T_NATIVE_INT);
    FIELD(max_chunk_start_mass, H5T_NATIVE_DOUBLE);
#undef FIELD
    H5Tclose(label);
    return t;
}

static int replace_dataset(hid_t g, const char *name, hid_t type, int rank, const hsize_t *dims, const void *data,
                           hid_t *out) {
    if (H5Lexists(g, name, H5P_DEFAULT) > 0 && H5Ldelete(g, name, H5P_DEFAULT) < 0) return -1;
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t d = H5Dcreate2(g, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = d < 0 || H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0;
    H5Sclose(space);
    if (d >= 0 && (rc || !out)) H5Dclose(d);
    else if (out) *out = d;
    return rc ? -1 : 0;
}

int attn_classes_write_h5(hid_t file, const char *path, const attn_sample_info *s, const attn_class_row *rows, int n,
                          const attn_thresholds *t) {
    hid_t g = H5Gopen2(file, s->group, H5P_DEFAULT);
    if (g < 0) return pcb_fail("%s: cannot open %s", path, s->group);
    class_record *rec = pcb_calloc((size_t)n + 1, sizeof *rec);
    int max_starts = 1;
    for (int i = 0; i < n; i++) {
        const attn_class_row *r = &rows[i];
        const attn_features *f = &r->f;
        rec[i] = (class_record){r->step,
                                r->layer,
                                r->head,
                                "",
                                f->keys,
                                f->edge,
                                f->bins,
                                f->sink_mass,
                                f->recent_mass,
                                f->middle_mass,
                                f->entropy,
                                f->max_bin_pos,
                                f->max_bin_in_middle,
                                f->peak_pos,
                                f->peak_width,
                                f->n_chunk_starts,
                                f->hot_chunk_starts,
                                f->max_chunk_start_mass};
        snprintf(rec[i].label, sizeof rec[i].label, "%s", attn_class_name(r->label));
        if (f->n_chunk_starts > max_starts) max_starts = f->n_chunk_starts;
    }
    double *mass = pcb_malloc(sizeof(double) * (size_t)(n ? n : 1) * max_starts);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < max_starts; k++)
            mass[(size_t)i * max_starts + k] = k < rows[i].f.n_chunk_starts ? rows[i].start_mass[k] : NAN;
    char thresholds[512];
    attn_thresholds_format(t, thresholds, sizeof thresholds);
    hid_t type = class_record_type(), classes = -1;
    hsize_t dims[2] = {(hsize_t)n, (hsize_t)max_starts};
    int rc = replace_dataset(g, "classes", type, 1, dims, rec, &classes);
    if (rc == 0) rc = h5_attr_str(classes, "thresholds", thresholds), H5Dclose(classes);
    if (rc == 0) rc = replace_dataset(g, "chunk_start_mass", H5T_NATIVE_DOUBLE, 2, dims, mass, NULL);
    H5Tclose(type), H5Gclose(g);
    free(rec), free(mass);
    return rc ? pcb_fail("%s: cannot write the classes of %s", path, s->group) : 0;
}
