// Attention plots of an exported sample, drawn by gnuplot (gnuplot.h) from the data files
// attn_export_sample wrote into export_dir (sample = its group name, "sample_<id>"):
//   <out>/<sample>_heatmap       layer x normalised key position, head-averaged attention mass
//                                (log colour scale), chunk starts marked
//   <out>/<sample>_layers        mass over key position for a few layers (small multiples, log y),
//                                chunk starts as dashed lines, the uniform level for reference
//   <out>/<sample>_class_map     layer x head map of the pattern classes (attn_classify.h)
//   <out>/<sample>_class_ranges  share of heads per class in each layer range (stacked bars)
// each as .gp + .png + .svg. The .dat files a plot reads are copied next to it when export_dir
// is not out_dir, so the output folder stands alone. Two logs usually both hold "sample_0":
// draw them into different folders (or use plot_attn_heatmap_pair, which names its copies).
#ifndef PCB_PLOTS_ATTN_H
#define PCB_PLOTS_ATTN_H

int plot_attn_heatmap(const char *export_dir, const char *sample, const char *out_dir);

// Standard vs parallel attention: two samples' heatmaps side by side on one colour scale
// (<out>/<name>.{gp,png,svg}; the data copied as <name>_a_*.dat and <name>_b_*.dat).
int plot_attn_heatmap_pair(const char *export_dir_a, const char *sample_a, const char *export_dir_b,
                           const char *sample_b, const char *out_dir, const char *name);

// layers[n] (at most 9) to draw; NULL or n = 0: the first, a quarter, half way and the last.
int plot_attn_layers(const char *export_dir, const char *sample, const int *layers, int n, const char *out_dir);

int plot_attn_class_map(const char *export_dir, const char *sample, const char *out_dir);
int plot_attn_class_ranges(const char *export_dir, const char *sample, const char *out_dir);

// All four above (the first error stops it).
int plot_attn_all(const char *export_dir, const char *sample, const char *out_dir);

#endif
