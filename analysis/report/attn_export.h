// Plot-ready exports of a classified sample, as gnuplot data files (the report draws them):
//   <out>/<sample>_attn.dat            "layer x mass": head-averaged attention summed into `bins`
//                                      bins of normalised slot position x (bin centres), one
//                                      block per layer (blank-line separated: heatmap or curves)
//   <out>/<sample>_chunks.dat          "layer x chunk": normalised slot position of each chunk start
//   <out>/<sample>_head_classes.dat    "layer head class_index class": the layer x head class map
//   <out>/<sample>_class_counts.dat    "range other u-shaped peak uniform multi-sink": head labels
//                                      counted per layer range
#ifndef PCB_ATTN_EXPORT_H
#define PCB_ATTN_EXPORT_H

#include "analysis/classify/attn_classes.h"

typedef struct {
    int lo, hi;  // inclusive
} layer_range;

// Default ranges: the layers split into 4 contiguous ranges (30 layers: 0-7, 8-15, 16-23, 24-29).
int layer_ranges_default(int n_layers, layer_range *out, int max);
// "0-7,8-15": -1 + error naming the bad item.
int layer_ranges_parse(const char *text, int n_layers, layer_range *out, int max, int *n);

int attn_export_sample(hid_t file, const char *path, const attn_sample_info *s, const attn_class_row *rows, int n_rows,
                       int bins, const layer_range *ranges, int n_ranges, const char *out_dir);

#endif
