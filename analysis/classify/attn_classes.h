// Pattern classes of a logged sample: every layer x query head, and every layer's head-averaged
// distribution (head = -1), with the features the label came from; stored into the HDF5 log
// (/sample_<id>/classes) and into SQLite (table attn_classes).
#ifndef PCB_ATTN_CLASSES_H
#define PCB_ATTN_CLASSES_H

#include "analysis/classify/attn_classify.h"
#include "analysis/read/attn_log_read.h"

typedef struct {
    int step, layer, head;  // head -1: the layer's head-averaged distribution
    attn_class label;
    attn_features f;
    double *start_mass;  // [f.n_chunk_starts] mass of each chunk start
} attn_class_row;

// Classifies every layer of sample s at `step` (0 = the question). Rows in (layer, head) order,
// the head-averaged row first in each layer. -1 + error naming the sample, layer and head.
int attn_classify_sample(hid_t file, const char *path, const attn_sample_info *s, int step, const attn_thresholds *t,
                         attn_class_row **rows, int *n);
void attn_class_rows_free(attn_class_row *rows, int n);

// /sample_<id>/classes: compound rows {step, layer, head, label, keys, edge, bins, sink_mass,
// recent_mass, middle_mass, entropy, max_bin_pos, max_bin_in_middle, peak_pos, peak_width,
// n_chunk_starts, hot_chunk_starts, max_chunk_start_mass}, attribute `thresholds`; and
// /sample_<id>/chunk_start_mass float64 [rows, max starts] (NaN-padded). Replaces earlier ones.
int attn_classes_write_h5(hid_t file, const char *path, const attn_sample_info *s, const attn_class_row *rows, int n,
                          const attn_thresholds *t);

// SQLite table attn_classes (created if missing), one row per (attn_file, sample_id, step, layer,
// head), replaced on re-classification; all rows of one call in one transaction.
int attn_classes_write_db(const char *db_path, const char *attn_file, const char *model, const attn_sample_info *s,
                          const attn_class_row *rows, int n, const attn_thresholds *t);

#endif
