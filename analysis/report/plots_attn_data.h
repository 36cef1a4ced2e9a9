// What the attention plots need to know about an exported sample before drawing it (the plot
// scripts read the numbers themselves): the method and id from the header comment, the layer
// blocks of <sample>_attn.dat, the chunk starts, the class map's size. Internal to plots_attn.c.
#ifndef PCB_PLOTS_ATTN_DATA_H
#define PCB_PLOTS_ATTN_DATA_H

#include <stdio.h>

#include "analysis/classify/attn_classify.h"

typedef struct {
    char id[128], method[64];  // from "# <log> <id> (<method>): ..."; "?" when absent
    int n_blocks;              // layer blocks in <sample>_attn.dat, in file order
    int *layer;                // [n_blocks] the layer of each block
    int *bins;                 // [n_blocks] points in each block
    int max_layer;
} plot_attn_dat;

// <dir>/<sample>_attn.dat; -1 + error naming the file and line.
int plot_attn_dat_read(const char *dir, const char *sample, plot_attn_dat *out);
void plot_attn_dat_free(plot_attn_dat *d);
int plot_attn_dat_block(const plot_attn_dat *d, int layer);  // block index of layer, -1 if absent
int plot_attn_dat_regular(const plot_attn_dat *d);           // every block has the same bin count

typedef struct {
    int n;
    int *layer;  // [n]
    double *x;   // [n] normalised slot position of a chunk start
} plot_attn_chunks;

// <dir>/<sample>_chunks.dat.
int plot_attn_chunks_read(const char *dir, const char *sample, plot_attn_chunks *out);
void plot_attn_chunks_free(plot_attn_chunks *c);
// Chunk starts of layer inside the key axis (x > 0: the first chunk's start is the axis itself).
int plot_attn_chunks_inner(const plot_attn_chunks *c, int layer);
int plot_attn_chunks_inner_any(const plot_attn_chunks *c);

typedef struct {
    int n_layers, n_heads;  // 1 + the largest layer and head seen
    int count[ATTN_CLASS_COUNT];
} plot_attn_head_classes;

// <dir>/<sample>_head_classes.dat: class indices checked against attn_class_name.
int plot_attn_head_classes_read(const char *dir, const char *sample, plot_attn_head_classes *out);

// <dir>/<sample>_class_counts.dat: the column header must name the classes in enum order.
int plot_attn_class_counts_read(const char *dir, const char *sample, int *n_ranges);

// Opens <dir>/<sample><suffix> for reading, path written into path. NULL + error.
FILE *plot_attn_open(const char *dir, const char *sample, const char *suffix, char *path, size_t size);

#endif
