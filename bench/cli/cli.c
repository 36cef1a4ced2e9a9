#include "bench/cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/base/paths.h"
#include "bench/engine/backend.h"
#include "kernels/kernels.h"

static void cli_common_init(cli_common *c) {
    c->model_path = NULL;
    c->model_found[0] = c->model_error[0] = 0;
    c->threads = 0;
    c->json = 0;
    c->cuda = 0;
}

static int parse_number(const char *cmd, const cli_opt *o, const char *v) {
    char *end;
    double x = strtod(v, &end);
    if (!*v || *end || !(x >= o->lo && x <= o->hi) || (o->kind == OPT_INT && x != (double)(long)x)) {
        fprintf(stderr, "pcbench %s: %s expects %s in [%g, %g], got '%s'\n", cmd, o->name,
                o->kind == OPT_INT ? "an integer" : "a number", o->lo, o->hi, v);
        return -1;
    }
    if (o->kind == OPT_INT) *(long *)o->dst = (long)x;
    else *(double *)o->dst = x;
    return 0;
}

int cli_parse(const char *cmd, int argc, char **argv, cli_common *c, const cli_opt *opts, int n_opts,
              void (*help)(void), const char **positional, int max_pos, int *n_pos) {
    static const cli_opt common_threads = {"--threads", "-t", OPT_INT, NULL, 1, 1024};
    cli_common_init(c);
    if (n_pos) *n_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help();
            return 1;
        }
        if (!strcmp(a, "--json")) {
            c->json = 1;
            continue;
        }
        const cli_opt *o = NULL;
        for (int k = 0; k < n_opts && !o; k++)
            if (!strcmp(a, opts[k].name) || (opts[k].alias && !strcmp(a, opts[k].alias))) o = &opts[k];
        int is_model = !strcmp(a, "-m") || !strcmp(a, "--model");
        int is_threads = !strcmp(a, "-t") || !strcmp(a, "--threads");
        int is_backend = !strcmp(a, "--backend");
        if (!o && !is_model && !is_threads && !is_backend) {
            if (a[0] != '-' && positional && *n_pos < max_pos) {
                positional[(*n_pos)++] = a;
                continue;
            }
            fprintf(stderr, "pcbench %s: unknown argument '%s' (see --help)\n", cmd, a);
            return 2;
        }
        if (o && o->kind == OPT_FLAG) {
            *(int *)o->dst = 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "pcbench %s: option %s needs a value\n", cmd, a);
            return 2;
        }
        const char *v = argv[++i];
        if (is_model) {
            c->model_path = v;
        } else if (is_backend) {
            backend_kind kind;
            if (backend_parse(v, &kind)) {
                fprintf(stderr, "pcbench %s: --backend: %s\n", cmd, pcb_last_error());
                return 2;
            }
            c->cuda = kind == BACKEND_CUDA;
        } else if (is_threads) {
            long t;
            cli_opt th = common_threads;
            th.dst = &t;
            if (parse_number(cmd, &th, v)) return 2;
            c->threads = (int)t;
        } else if (o->kind == OPT_STRING) {
            *(const char **)o->dst = v;
        } else if (parse_number(cmd, o, v)) {
            return 2;
        }
    }
    if (!c->model_path) {
        // Looked up only now, so commands without a model never depend on finding one.
        if (pcb_default_model(c->model_found, sizeof c->model_found) == 0) c->model_path = c->model_found;
        else snprintf(c->model_error, sizeof c->model_error, "%s", pcb_last_error());
    }
    return 0;
}

int cli_model_path_ok(const cli_common *c) { return c->model_path ? 0 : pcb_fail("%s", c->model_error); }

model *cli_load_model(const cli_common *c) {
    if (cli_model_path_ok(c)) return NULL;
    model *m = model_load(c->model_path);
    if (m && backend_select(m, c->cuda ? BACKEND_CUDA : BACKEND_CPU)) {
        model_free(m);
        return NULL;
    }
    return m;
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
