#include "analysis/report/plots_attn_data.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"

FILE *plot_attn_open(const char *dir, const char *sample, const char *suffix, char *path, size_t size) {
    snprintf(path, size, "%s/%s%s", dir, sample, suffix);
    FILE *f = fopen(path, "r");
    if (!f)
        pcb_fail("%s: cannot read the exported attention data (run `pcbench attn export`?): %s", path, strerror(errno));
    return f;
}

// "# <log path> <id> (<method>): ...": the path may hold spaces, so work back from "): ".
static void parse_header(const char *line, plot_attn_dat *d) {
    snprintf(d->id, sizeof d->id, "?");
    snprintf(d->method, sizeof d->method, "?");
    const char *close = strstr(line, "): ");
    if (strncmp(line, "# ", 2) || !close) return;
    const char *open = close;
    while (open > line && strncmp(open, " (", 2)) open--;
    if (open == line) return;
    snprintf(d->method, sizeof d->method, "%.*s", (int)(close - open - 2), open + 2);
    const char *id = open;
    while (id > line && id[-1] != ' ') id--;
    snprintf(d->id, sizeof d->id, "%.*s", (int)(open - id), id);
}

static int is_blank(const char *s) { return s[strspn(s, " \t\r\n")] == 0; }

int plot_attn_dat_read(const char *dir, const char *sample, plot_attn_dat *out) {
    memset(out, 0, sizeof *out);
    char path[4096], *line = NULL;
    size_t line_cap = 0;
    FILE *f = plot_attn_open(dir, sample, "_attn.dat", path, sizeof path);
    if (!f) return -1;
    int cap = 0, in_block = 0, line_no = 0, rc = 0;
    out->max_layer = -1;
    while (getline(&line, &line_cap, f) > 0) {
        line_no++;
        if (line_no == 1) parse_header(line, out);
        if (line[0] == '#') continue;
        if (is_blank(line)) {
            in_block = 0;
            continue;
        }
        int layer;
        double x, mass;
        if (sscanf(line, "%d %lf %lf", &layer, &x, &mass) != 3 || layer < 0) {
            rc = pcb_fail("%s line %d: expected 'layer x mass'", path, line_no);
            break;
        }
        if (in_block && layer != out->layer[out->n_blocks - 1]) {
            rc = pcb_fail("%s line %d: layer %d inside the block of layer %d", path, line_no, layer,
                          out->layer[out->n_blocks - 1]);
            break;
        }
        if (!in_block) {
            if (out->n_blocks == cap) {
                cap = cap ? 2 * cap : 64;
                out->layer = pcb_realloc(out->layer, sizeof(int) * (size_t)cap);
                out->bins = pcb_realloc(out->bins, sizeof(int) * (size_t)cap);
            }
            out->layer[out->n_blocks] = layer, out->bins[out->n_blocks] = 0;
            out->n_blocks++, in_block = 1;
            if (layer > out->max_layer) out->max_layer = layer;
        }
        out->bins[out->n_blocks - 1]++;
    }
    free(line);
    fclose(f);
    if (!rc && out->n_blocks == 0) rc = pcb_fail("%s: no attention data", path);
    if (rc) plot_attn_dat_free(out);
    return rc;
}

void plot_attn_dat_free(plot_attn_dat *d) {
    free(d->layer), free(d->bins);
    d->layer = d->bins = NULL, d->n_blocks = 0;
}

int plot_attn_dat_block(const plot_attn_dat *d, int layer) {
    for (int b = 0; b < d->n_blocks; b++)
        if (d->layer[b] == layer) return b;
    return -1;
}

int plot_attn_dat_regular(const plot_attn_dat *d) {
    for (int b = 1; b < d->n_blocks; b++)
        if (d->bins[b] != d->bins[0]) return 0;
    return 1;
}

int plot_attn_chunks_read(const char *dir, const char *sample, plot_attn_chunks *out) {
    memset(out, 0, sizeof *out);
    char path[4096], *line = NULL;
    size_t line_cap = 0;
    FILE *f = plot_attn_open(dir, sample, "_chunks.dat", path, sizeof path);
    if (!f) return -1;
    int cap = 0, line_no = 0, rc = 0;
    while (getline(&line, &line_cap, f) > 0) {
        line_no++;
        if (line[0] == '#' || is_blank(line)) continue;
        int layer, chunk;
        double x;
        if (sscanf(line, "%d %lf %d", &layer, &x, &chunk) != 3) {
            rc = pcb_fail("%s line %d: expected 'layer x chunk'", path, line_no);
            break;
        }
        if (out->n == cap) {
            cap = cap ? 2 * cap : 64;
            out->layer = pcb_realloc(out->layer, sizeof(int) * (size_t)cap);
            out->x = pcb_realloc(out->x, sizeof(double) * (size_t)cap);
        }
        out->layer[out->n] = layer, out->x[out->n] = x, out->n++;
    }
    free(line);
    fclose(f);
    if (rc) plot_attn_chunks_free(out);
    return rc;
}

void plot_attn_chunks_free(plot_attn_chunks *c) {
    free(c->layer), free(c->x);
    c->layer = NULL, c->x = NULL, c->n = 0;
}

int plot_attn_chunks_inner(const plot_attn_chunks *c, int layer) {
    int n = 0;
    for (int i = 0; i < c->n; i++) n += c->layer[i] == layer && c->x[i] > 0;
    return n;
}

int plot_attn_chunks_inner_any(const plot_attn_chunks *c) {
    for (int i = 0; i < c->n; i++)
        if (c->x[i] > 0) return 1;
    return 0;
}

int plot_attn_head_classes_read(const char *dir, const char *sample, plot_attn_head_classes *out) {
    memset(out, 0, sizeof *out);
    char path[4096], *line = NULL, name[64];
    size_t line_cap = 0;
    FILE *f = plot_attn_open(dir, sample, "_head_classes.dat", path, sizeof path);
    if (!f) return -1;
    int line_no = 0, rc = 0, rows = 0;
    while (getline(&line, &line_cap, f) > 0) {
        line_no++;
        if (line[0] == '#' || is_blank(line)) continue;
        int layer, head, c;
        if (sscanf(line, "%d %d %d %63s", &layer, &head, &c, name) != 4 || layer < 0 || head < 0) {
            rc = pcb_fail("%s line %d: expected 'layer head class_index class'", path, line_no);
            break;
        }
        if (c < 0 || c >= ATTN_CLASS_COUNT || strcmp(name, attn_class_name((attn_class)c))) {
            rc = pcb_fail("%s line %d: class %d '%s' is not one of this build's classes", path, line_no, c, name);
            break;
        }
        if (layer >= out->n_layers) out->n_layers = layer + 1;
        if (head >= out->n_heads) out->n_heads = head + 1;
        out->count[c]++, rows++;
    }
    free(line);
    fclose(f);
    if (!rc && rows == 0) rc = pcb_fail("%s: no head classes", path);
    return rc;
}

int plot_attn_class_counts_read(const char *dir, const char *sample, int *n_ranges) {
    *n_ranges = 0;
    char path[4096], *line = NULL;
    size_t line_cap = 0;
    FILE *f = plot_attn_open(dir, sample, "_class_counts.dat", path, sizeof path);
    if (!f) return -1;
    int line_no = 0, rc = 0, header = 0;
    while (rc == 0 && getline(&line, &line_cap, f) > 0) {
        line_no++;
        if (!strncmp(line, "# range", 7)) {
            // The plot names columns 2.. by class: they must be in this build's order.
            char *p = line + 7;
            header = 1;
            for (int c = 0; c < ATTN_CLASS_COUNT && rc == 0; c++) {
                p += strspn(p, " ");
                size_t len = strcspn(p, " \r\n");
                const char *want = attn_class_name((attn_class)c);
                if (len != strlen(want) || strncmp(p, want, len))
                    rc = pcb_fail("%s line %d: column %d is '%.*s', expected '%s'", path, line_no, c + 2, (int)len, p,
                                  want);
                p += len;
            }
            continue;
        }
        if (line[0] == '#' || is_blank(line)) continue;
        (*n_ranges)++;
    }
    free(line);
    fclose(f);
    if (!rc && !header) rc = pcb_fail("%s: no '# range <classes>' header", path);
    if (!rc && *n_ranges == 0) rc = pcb_fail("%s: no layer ranges", path);
    return rc;
}
