// `pcbench attn classify` and `pcbench attn export`: pattern classes of a logged run and the
// gnuplot data files drawn from it.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/classify/attn_classes.h"
#include "analysis/report/attn_export.h"
#include "analysis/store/h5_util.h"
#include "bench/base/error.h"
#include "bench/cli/cli.h"

#define THRESHOLDS_HELP                                                                         \
    "  --thresholds K=V,... override classifier settings (defaults: DESIGN.md):\n"              \
    "                      entropy_bins=32 edge_width=100 edge_fraction=0.05 peak_window=0.1\n" \
    "                      chunk_start_width=4 uniform_entropy=0.9 u_total=0.5 u_each=0.1\n"    \
    "                      peak_mass=0.5 chunk_start_mass=0.05 multi_sink_min=2\n"

static void classify_help(void) {
    printf(
        "usage: pcbench attn classify FILE.h5 [--db results.sqlite] [--thresholds K=V,...] [--json]\n\n"
        "Labels the question's attention of every sample x layer x query head, and of every layer's\n"
        "head-averaged distribution, as u-shaped, peak, uniform, multi-sink or other (ties in that\n"
        "order: multi-sink, u-shaped, peak, uniform). The features behind each label (sink / recent /\n"
        "middle mass, entropy, heaviest bin, peak position and width, chunk-start masses) are stored\n"
        "with it, so thresholds can be re-applied without the model:\n"
        "  in FILE.h5: /sample_<id>/classes (one row per layer x head, head -1 = head average;\n"
        "  attribute `thresholds`) and /sample_<id>/chunk_start_mass [rows, starts]; the file is\n"
        "  rewritten through a temporary copy, so a failure leaves it as it was;\n"
        "  with --db: SQLite table attn_classes (attn_file, sample_id, method, config_hash, model,\n"
        "  step, layer, head, label, keys, edge, bins, sink_mass, recent_mass, middle_mass, entropy,\n"
        "  max_bin_pos, max_bin_in_middle, peak_pos, peak_width, n_chunk_starts, hot_chunk_starts,\n"
        "  max_chunk_start_mass, chunk_start_mass (JSON), thresholds, classified_utc); rows of a\n"
        "  re-classified file are replaced.\n"
        "Prints a layer x class table per sample (--json: the same as JSON).\n\n" THRESHOLDS_HELP);
}

static void export_help(void) {
    printf(
        "usage: pcbench attn export FILE.h5 --out DIR [--bins N] [--layer-ranges A-B,...]\n"
        "                           [--thresholds K=V,...]\n\n"
        "Writes gnuplot data files per sample into DIR (created if missing):\n"
        "  sample_<id>_attn.dat          layer x mass: head-averaged attention in N bins of normalised\n"
        "                                slot position (default 100), one block per layer\n"
        "  sample_<id>_chunks.dat        layer x chunk: normalised position of each chunk start\n"
        "  sample_<id>_head_classes.dat  layer head class_index class\n"
        "  sample_<id>_class_counts.dat  heads per class by layer range (default: 4 equal ranges)\n\n" THRESHOLDS_HELP);
}

static int parse_thresholds(const char *text, attn_thresholds *t) {
    attn_thresholds_default(t);
    if (!text) return 0;
    char *copy = pcb_strdup(text), *save = NULL;
    int rc = 0;
    for (char *item = strtok_r(copy, ",", &save); item && !rc; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (!eq) rc = pcb_fail("--thresholds: '%s' is not KEY=VALUE", item);
        else *eq = 0, rc = attn_thresholds_set(t, item, eq + 1);
    }
    free(copy);
    return rc;
}

static int copy_file(const char *from, const char *to) {
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
    if (!in || !out) {
        if (in) fclose(in);
        return pcb_fail("%s: cannot copy to %s: %s", from, to, strerror(errno));
    }
    char buf[1 << 16];
    size_t n;
    int rc = 0;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) rc = -1;
    if (ferror(in)) rc = -1;
    fclose(in);
    if (fclose(out)) rc = -1;
    return rc ? pcb_fail("%s: copy to %s failed", from, to) : 0;
}

static void print_table(const attn_sample_info *s, const attn_class_row *rows, int n) {
    printf("sample %s (%s): %d layers x %d heads\nlayer  head-avg    ", s->id, s->method, s->n_layers, s->n_heads);
    for (int c = 0; c < ATTN_CLASS_COUNT; c++) printf(" %10s", attn_class_name((attn_class)c));
    printf("\n");
    int total[ATTN_CLASS_COUNT] = {0}, layer_total[ATTN_CLASS_COUNT] = {0};
    for (int i = 0; i < n;) {
        int count[ATTN_CLASS_COUNT] = {0}, l = rows[i].layer;
        attn_class avg = ATTN_OTHER;
        for (; i < n && rows[i].layer == l; i++) {
            if (rows[i].head < 0) avg = rows[i].label, layer_total[avg]++;
            else count[rows[i].label]++, total[rows[i].label]++;
        }
        printf("%5d  %-10s  ", l, attn_class_name(avg));
        for (int c = 0; c < ATTN_CLASS_COUNT; c++) printf(" %10d", count[c]);
        printf("\n");
    }
    printf("heads              ");
    for (int c = 0; c < ATTN_CLASS_COUNT; c++) printf(" %10d", total[c]);
    printf("\nlayers (head-avg)  ");
    for (int c = 0; c < ATTN_CLASS_COUNT; c++) printf(" %10d", layer_total[c]);
    printf("\n\n");
}

static cJSON *sample_json(const attn_sample_info *s, const attn_class_row *rows, int n) {
    cJSON *j = cJSON_CreateObject(), *layers;
    cJSON_AddStringToObject(j, "id", s->id);
    cJSON_AddStringToObject(j, "method", s->method);
    layers = cJSON_AddArrayToObject(j, "layers");
    int total[ATTN_CLASS_COUNT] = {0};
    for (int i = 0; i < n;) {
        int count[ATTN_CLASS_COUNT] = {0}, l = rows[i].layer;
        cJSON *lj = cJSON_CreateObject();
        cJSON_AddNumberToObject(lj, "layer", l);
        for (; i < n && rows[i].layer == l; i++) {
            if (rows[i].head < 0) {
                cJSON_AddStringToObject(lj, "label", attn_class_name(rows[i].label));
                cJSON_AddNumberToObject(lj, "sink_mass", rows[i].f.sink_mass);
                cJSON_AddNumberToObject(lj, "recent_mass", rows[i].f.recent_mass);
                cJSON_AddNumberToObject(lj, "entropy", rows[i].f.entropy);
                cJSON_AddNumberToObject(lj, "hot_chunk_starts", rows[i].f.hot_chunk_starts);
            } else {
                count[rows[i].label]++, total[rows[i].label]++;
            }
        }
        cJSON *heads = cJSON_AddObjectToObject(lj, "heads");
        for (int c = 0; c < ATTN_CLASS_COUNT; c++)
            cJSON_AddNumberToObject(heads, attn_class_name((attn_class)c), count[c]);
        cJSON_AddItemToArray(layers, lj);
    }
    cJSON *tj = cJSON_AddObjectToObject(j, "head_totals");
    for (int c = 0; c < ATTN_CLASS_COUNT; c++) cJSON_AddNumberToObject(tj, attn_class_name((attn_class)c), total[c]);
    return j;
}

int cmd_attn_classify(int argc, char **argv) {
    cli_common c;
    const char *db = NULL, *thresholds = NULL, *pos[1];
    int n_pos = 0;
    const cli_opt opts[] = {{"--db", NULL, OPT_STRING, &db, 0, 0},
                            {"--thresholds", NULL, OPT_STRING, &thresholds, 0, 0}};
    int r = cli_parse("attn classify", argc, argv, &c, opts, 2, classify_help, pos, 1, &n_pos);
    if (r) return r == 1 ? 0 : 2;
    if (n_pos != 1) {
        fprintf(stderr, "pcbench attn classify: give one FILE.h5 (see --help)\n");
        return 2;
    }
    attn_thresholds t;
    if (parse_thresholds(thresholds, &t)) {
        fprintf(stderr, "pcbench attn classify: %s\n", pcb_last_error());
        return 2;
    }
    const char *path = pos[0];
    size_t len = strlen(path) + 16;
    char *tmp = pcb_malloc(len);
    snprintf(tmp, len, "%s.classify.tmp", path);
    attn_sample_info *samples = NULL;
    int n_samples = 0, rc = -1;
    attn_class_row **rows = NULL;
    int *n_rows = NULL;
    char *model = NULL;
    hid_t f = attn_log_open(path, 0);  // checks the file before copying it
    if (f < 0) goto out;
    H5Fclose(f);
    if (copy_file(path, tmp) || (f = attn_log_open(tmp, 1)) < 0) goto out;
    model = h5_get_str(f, "model");
    if (attn_log_samples(f, path, &samples, &n_samples)) goto close;
    if (n_samples == 0) {
        pcb_fail("%s: no samples in the attention log", path);
        goto close;
    }
    rows = pcb_calloc((size_t)n_samples, sizeof *rows);
    n_rows = pcb_calloc((size_t)n_samples, sizeof *n_rows);
    for (int i = 0; i < n_samples; i++)
        if (attn_classify_sample(f, path, &samples[i], 0, &t, &rows[i], &n_rows[i]) ||
            attn_classes_write_h5(f, path, &samples[i], rows[i], n_rows[i], &t))
            goto close;
    rc = 0;
close:
    if (H5Fclose(f) < 0 && rc == 0) rc = pcb_fail("%s: HDF5 close failed", tmp);
    for (int i = 0; db && rc == 0 && i < n_samples; i++)
        rc = attn_classes_write_db(db, path, model, &samples[i], rows[i], n_rows[i], &t);
    if (rc == 0 && rename(tmp, path)) rc = pcb_fail("%s: cannot replace it with %s: %s", path, tmp, strerror(errno));
    if (rc == 0) {
        if (c.json) {
            cJSON *j = cJSON_CreateObject(), *arr;
            char tb[512];
            attn_thresholds_format(&t, tb, sizeof tb);
            cJSON_AddStringToObject(j, "file", path);
            cJSON_AddStringToObject(j, "thresholds", tb);
            if (db) cJSON_AddStringToObject(j, "db", db);
            arr = cJSON_AddArrayToObject(j, "samples");
            for (int i = 0; i < n_samples; i++) cJSON_AddItemToArray(arr, sample_json(&samples[i], rows[i], n_rows[i]));
            cli_print_json(j);
        } else {
            for (int i = 0; i < n_samples; i++) print_table(&samples[i], rows[i], n_rows[i]);
        }
    }
out:
    unlink(tmp);  // gone after the rename; removes the copy on failure
    for (int i = 0; rows && i < n_samples; i++) attn_class_rows_free(rows[i], n_rows[i]);
    free(rows), free(n_rows), free(model), free(tmp);
    attn_samples_free(samples, n_samples);
    if (rc) return cli_error("attn classify");
    return 0;
}

int cmd_attn_export(int argc, char **argv) {
    cli_common c;
    const char *out_dir = NULL, *thresholds = NULL, *ranges_text = NULL, *pos[1];
    long bins = 100;
    int n_pos = 0;
    const cli_opt opts[] = {{"--out", NULL, OPT_STRING, &out_dir, 0, 0},
                            {"--thresholds", NULL, OPT_STRING, &thresholds, 0, 0},
                            {"--layer-ranges", NULL, OPT_STRING, &ranges_text, 0, 0},
                            {"--bins", NULL, OPT_INT, &bins, 1, 1 << 20}};
    int r = cli_parse("attn export", argc, argv, &c, opts, 4, export_help, pos, 1, &n_pos);
    if (r) return r == 1 ? 0 : 2;
    if (n_pos != 1 || !out_dir) {
        fprintf(stderr, "pcbench attn export: give FILE.h5 and --out DIR (see --help)\n");
        return 2;
    }
    attn_thresholds t;
    if (parse_thresholds(thresholds, &t)) {
        fprintf(stderr, "pcbench attn export: %s\n", pcb_last_error());
        return 2;
    }
    const char *path = pos[0];
    attn_sample_info *samples = NULL;
    int n_samples = 0, rc = -1;
    hid_t f = attn_log_open(path, 0);
    if (f < 0) return cli_error("attn export");
    if (attn_log_samples(f, path, &samples, &n_samples)) goto out;
    if (n_samples == 0) {
        pcb_fail("%s: no samples in the attention log", path);
        goto out;
    }
    rc = 0;
    for (int i = 0; i < n_samples && rc == 0; i++) {
        layer_range ranges[64];
        int n_ranges = layer_ranges_default(samples[i].n_layers, ranges, 64);
        if (ranges_text && layer_ranges_parse(ranges_text, samples[i].n_layers, ranges, 64, &n_ranges)) {
            rc = -1;
            break;
        }
        attn_class_row *rows = NULL;
        int n_rows = 0;
        rc = attn_classify_sample(f, path, &samples[i], 0, &t, &rows, &n_rows) ||
                     attn_export_sample(f, path, &samples[i], rows, n_rows, (int)bins, ranges, n_ranges, out_dir)
                 ? -1
                 : 0;
        attn_class_rows_free(rows, n_rows);
        if (rc == 0 && !c.json)
            printf("%s/%s_{attn,chunks,head_classes,class_counts}.dat\n", out_dir, samples[i].group);
    }
    if (rc == 0 && c.json) {
        cJSON *j = cJSON_CreateObject(), *arr = NULL;
        cJSON_AddStringToObject(j, "file", path);
        cJSON_AddStringToObject(j, "out", out_dir);
        arr = cJSON_AddArrayToObject(j, "samples");
        for (int i = 0; i < n_samples; i++) cJSON_AddItemToArray(arr, cJSON_CreateString(samples[i].group));
        cli_print_json(j);
    }
out:
    H5Fclose(f);
    attn_samples_free(samples, n_samples);
    return rc ? cli_error("attn export") : 0;
}
