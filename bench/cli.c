#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "kernels.h"

void cli_common_init(cli_common *c) {
    const char *env = getenv("PCB_MODEL");
    c->model_path = env && *env ? env : PCB_DEFAULT_MODEL;
    c->threads = 0;
    c->json = 0;
}

int cli_common_option(cli_common *c, int argc, char **argv, int *i) {
    const char *a = argv[*i];
    if (!strcmp(a, "--json")) {
        c->json = 1;
        return 1;
    }
    int is_model = !strcmp(a, "-m") || !strcmp(a, "--model");
    int is_threads = !strcmp(a, "-t") || !strcmp(a, "--threads");
    if (!is_model && !is_threads) return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "pcbench: option %s needs a value\n", a);
        return -1;
    }
    const char *v = argv[++*i];
    if (is_model) {
        c->model_path = v;
    } else {
        char *end;
        long t = strtol(v, &end, 10);
        if (*end || t < 1 || t > 1024) {
            fprintf(stderr, "pcbench: --threads expects an integer in 1..1024, got '%s'\n", v);
            return -1;
        }
        c->threads = (int)t;
    }
    return 1;
}

void cli_print_json(cJSON *obj) {
    char *s = cJSON_PrintUnformatted(obj);
    puts(s);
    free(s);
    cJSON_Delete(obj);
}

int cli_error(const char *cmd) {
    fprintf(stderr, "pcbench %s: error: %s\n", cmd, pcb_last_error());
    return 1;
}

char *read_text_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        pcb_fail("%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = pcb_malloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) buf = pcb_realloc(buf, cap *= 2);
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        pcb_fail("%s: read error", path);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}
