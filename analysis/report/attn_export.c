#include "analysis/report/attn_export.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/base/fs.h"

int layer_ranges_default(int n_layers, layer_range *out, int max) {
    int n = n_layers < 4 ? n_layers : 4;
    if (n > max) n = max;
    int size = (n_layers + n - 1) / n;  // 30 layers: 8, 8, 8, 6
    for (int i = 0; i < n; i++) {
        out[i].lo = i * size;
        out[i].hi = (i + 1) * size - 1 < n_layers - 1 ? (i + 1) * size - 1 : n_layers - 1;
    }
    return n;
}

int layer_ranges_parse(const char *text, int n_layers, layer_range *out, int max, int *n) {
    *n = 0;
    const char *p = text;
    while (*p) {
        char *end;
        long lo = strtol(p, &end, 10), hi = lo;
        if (end == p) return pcb_fail("layer ranges '%s': expected a layer number at '%s'", text, p);
        if (*end == '-') {
            const char *q = end + 1;
            hi = strtol(q, &end, 10);
            if (end == q) return pcb_fail("layer ranges '%s': expected a layer number after '-'", text);
        }
        if (lo < 0 || hi < lo || hi >= n_layers)
            return pcb_fail("layer ranges '%s': %ld-%ld is not within 0..%d", text, lo, hi, n_layers - 1);
        if (*n == max) return pcb_fail("layer ranges '%s': more than %d ranges", text, max);
        out[(*n)++] = (layer_range){(int)lo, (int)hi};
        if (*end == ',') end++;
        else if (*end) return pcb_fail("layer ranges '%s': unexpected '%c'", text, *end);
        p = end;
    }
    return *n ? 0 : pcb_fail("layer ranges: empty");
}

static FILE *open_out(const char *dir, const attn_sample_info *s, const char *suffix, char *path, size_t size) {
    snprintf(path, size, "%s/%s%s", dir, s->group, suffix);
    FILE *f = fopen(path, "w");
    if (!f) pcb_fail("%s: cannot write: %s", path, strerror(errno));
    return f;
}

int attn_export_sample(hid_t file, const char *path, const attn_sample_info *s, const attn_class_row *rows, int n_rows,
                       int bins, const layer_range *ranges, int n_ranges, const char *out_dir) {
    if (pcb_mkdir(out_dir)) return -1;
    char name[1024];
    FILE *fa = open_out(out_dir, s, "_attn.dat", name, sizeof name);
    if (!fa) return -1;
    FILE *fc = open_out(out_dir, s, "_chunks.dat", name, sizeof name);
    if (!fc) return fclose(fa), -1;
    fprintf(fa,
            "# %s %s (%s): head-averaged attention of the question, per layer; x = normalised slot "
            "position (bin centre), mass = attention summed over the bin\n# layer x mass\n",
            path, s->id, s->method);
    fprintf(fc, "# %s %s (%s): chunk starts\n# layer x chunk\n", path, s->id, s->method);
    double *mass = pcb_malloc(sizeof(double) * (size_t)bins);
    int rc = 0;
    for (int l = 0; l < s->n_layers && rc == 0; l++) {
        attn_layer_data d;
        if ((rc = attn_log_read_layer(file, path, s, 0, l, &d))) break;
        int b = d.keys < bins ? d.keys : bins;
        memset(mass, 0, sizeof(double) * (size_t)bins);
        for (int h = 0; h < d.n_heads; h++)
            for (int j = 0; j < d.keys; j++) mass[(size_t)j * b / d.keys] += d.attn[(size_t)h * d.keys + j] / d.n_heads;
        for (int i = 0; i < b; i++) fprintf(fa, "%d %.6f %.6e\n", l, (i + 0.5) / b, mass[i]);
        fputc('\n', fa);
        for (int i = 0; i < d.n_chunk_starts; i++)
            fprintf(fc, "%d %.6f %d\n", l, (double)d.chunk_starts[i] / d.keys, d.chunk[d.chunk_starts[i]]);
        attn_layer_data_free(&d);
    }
    free(mass);
    if ((fclose(fa) | fclose(fc)) && !rc) rc = pcb_fail("%s: write error", out_dir);
    if (rc) return -1;

    FILE *fh = open_out(out_dir, s, "_head_classes.dat", name, sizeof name);
    if (!fh) return -1;
    fprintf(fh, "# %s %s (%s): class of every layer x head (%s)\n# layer head class_index class\n", path, s->id,
            s->method, "0 other, 1 u-shaped, 2 peak, 3 uniform, 4 multi-sink");
    for (int i = 0; i < n_rows; i++)
        if (rows[i].head >= 0)
            fprintf(fh, "%d %d %d %s\n", rows[i].layer, rows[i].head, (int)rows[i].label,
                    attn_class_name(rows[i].label));
    FILE *fk = open_out(out_dir, s, "_class_counts.dat", name, sizeof name);
    if (!fk) return fclose(fh), -1;
    fprintf(fk, "# %s %s (%s): heads per class by layer range\n# range", path, s->id, s->method);
    for (int c = 0; c < ATTN_CLASS_COUNT; c++) fprintf(fk, " %s", attn_class_name((attn_class)c));
    fputc('\n', fk);
    for (int r = 0; r < n_ranges; r++) {
        int count[ATTN_CLASS_COUNT] = {0};
        for (int i = 0; i < n_rows; i++)
            if (rows[i].head >= 0 && rows[i].layer >= ranges[r].lo && rows[i].layer <= ranges[r].hi)
                count[rows[i].label]++;
        fprintf(fk, "%d-%d", ranges[r].lo, ranges[r].hi);
        for (int c = 0; c < ATTN_CLASS_COUNT; c++) fprintf(fk, " %d", count[c]);
        fputc('\n', fk);
    }
    if (fclose(fh) | fclose(fk)) return pcb_fail("%s: write error", out_dir);
    return 0;
}
