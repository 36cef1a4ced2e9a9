// `pcbench run CONFIG [key=value ...]` and `pcbench status CONFIG`: sweeps from YAML configs into
// the SQLite results store, resumable and shardable.
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/read/results_read.h"
#include "analysis/store/results_store.h"
#include "bench/base/error.h"
#include "bench/base/paths.h"
#include "bench/base/sha256.h"
#include "bench/cli/cli.h"
#include "bench/engine/backend.h"
#include "bench/sweep/config.h"
#include "bench/sweep/run_exec.h"
#include "bench/sweep/run_plan.h"
#include "kernels/kernels.h"

static void run_help(void) {
    printf(
        "usage: pcbench run CONFIG.yaml [KEY=VALUE ...] [--shard I/N] [--json]\n"
        "       pcbench run --keys      (every config key, its type, range and default, as Markdown)\n\n"
        "Runs every (variant, task, sample, length, depth) row of the config that is not done yet in its\n"
        "results file (output.db), writing each row when it finishes (one SQLite transaction), so a\n"
        "killed run resumes where it stopped when started again. KEY=VALUE overrides config keys\n"
        "(method.capacity=256, sweep.method.name=[full,pcw], tasks.0.samples=2; -m / -t / --backend are\n"
        "model= / threads= / backend=). --shard I/N runs the\n"
        "rows whose position in the plan is I mod N (merge the files with pcbench merge). Data from\n"
        "$PCB_DATA, else data/ beside the pcbench binary. Progress on stderr; a summary table at the end.\n"
        "Config keys and their ranges: configs/README.md.\n");
}

static void status_help(void) {
    printf(
        "usage: pcbench status CONFIG.yaml [KEY=VALUE ...] [--shard I/N] [--json]\n\n"
        "Counts the config's rows that are done, failed and pending in its results file, per variant\n"
        "and task, without running anything.\n");
}

// The config schema as a Markdown table (configs/README.md embeds this output).
static void print_keys(void) {
    int n;
    const config_key *k = config_schema(&n);
    printf("| key | expects | default | meaning |\n|---|---|---|---|\n");
    for (int i = 0; i < n; i++) {
        char exp[512];
        config_key_expected(&k[i], exp, sizeof exp);
        const char *def = k[i].def && *k[i].def ? k[i].def : k[i].flags & CKF_REQUIRED ? "(required)" : "";
        printf("| `%s` | %s | %s%s%s | %s |\n", k[i].key, exp, *def && *def != '(' ? "`" : "", def,
               *def && *def != '(' ? "`" : "", k[i].help);
    }
}

// "model=PATH", "threads=N" or "backend=B": an override made from a common option.
typedef char common_override[1100];

// Separates KEY=VALUE overrides and --shard from the config path. The common -m / -t / --backend
// options become the overrides model= / threads= / backend= (applied before the others), written
// into the caller's common[3], which must live as long as overrides.
static int parse_args(const char *cmd, int argc, char **argv, cli_common *c, const char **config,
                      const char **overrides, common_override common[3], int *n_over, int *shard_i, int *shard_n,
                      int *keys, void (*help)(void)) {
    const char *pos[64], *shard = NULL;
    char *rest[128];
    int n_pos = 0, n_rest = 0, n_common = 0;
    *config = NULL, *n_over = 0, *shard_i = 0, *shard_n = 1, *keys = 0;
    for (int i = 0; i < argc && n_rest < 128; i++) {
        const char *a = argv[i], *key = !strcmp(a, "-m") || !strcmp(a, "--model")     ? "model"
                                        : !strcmp(a, "-t") || !strcmp(a, "--threads") ? "threads"
                                        : !strcmp(a, "--backend")                     ? "backend"
                                                                                      : NULL;
        if (key && i > 0 && i + 1 < argc && n_common < 3) {
            snprintf(common[n_common], sizeof common[n_common], "%s=%s", key, argv[++i]);
            overrides[(*n_over)++] = common[n_common++];
        } else {
            rest[n_rest++] = argv[i];
        }
    }
    const cli_opt opts[] = {{"--shard", NULL, OPT_STRING, &shard, 0, 0}, {"--keys", NULL, OPT_FLAG, keys, 0, 0}};
    int r = cli_parse(cmd, n_rest, rest, c, opts, 2, help, pos, 64, &n_pos);
    if (r || *keys) return r;
    for (int i = 0; i < n_pos; i++) {
        if (strchr(pos[i], '=')) {
            if (*n_over == 64) return fprintf(stderr, "pcbench %s: more than 64 overrides\n", cmd), 2;
            overrides[(*n_over)++] = pos[i];
        } else if (!*config) {
            *config = pos[i];
        } else {
            return fprintf(stderr, "pcbench %s: one config file, not '%s' too\n", cmd, pos[i]), 2;
        }
    }
    if (!*config) return fprintf(stderr, "pcbench %s: give a config file (see --help)\n", cmd), 2;
    if (shard &&
        (sscanf(shard, "%d/%d", shard_i, shard_n) != 2 || *shard_n < 1 || *shard_i < 0 || *shard_i >= *shard_n))
        return fprintf(stderr, "pcbench %s: --shard '%s': want I/N with 0 <= I < N\n", cmd, shard), 2;
    return 0;
}

// Per (variant, task): rows, done, failed, the task score (analysis/read/results_read.h
// results_score_value: percent, or pooled perplexity for ppl) and the mean prefill time.
static void summary(const char *db_path, const experiment_config *c, const run_plan *p, int json) {
    results_store *s = results_open(db_path);
    if (!s) return;
    cJSON *arr = json ? cJSON_CreateArray() : NULL;
    if (!json) printf("%-44s %-22s %7s %6s %8s %12s\n", "variant", "task", "done", "failed", "score", "prefill ms");
    for (int v = 0; v < c->n_variants; v++)
        for (int t = 0; t < p->n_tasks; t++) {
            int done = 0, failed = 0, rows = 0, ppl = results_task_is_ppl(p->tasks[t].task);
            results_score_sum score = {0};
            double prefill = 0;
            for (int i = 0; i < p->n_rows; i++) {
                const plan_row *r = &p->rows[i];
                if (r->variant != v || r->task != t) continue;
                rows++;
                results_row_view rv;
                if (results_get(s, r->row_key, &rv)) continue;
                if (rv.status == 1) {
                    done++, prefill += rv.prefill_ms;
                    results_score_add(&score, p->tasks[t].task, rv.score);
                } else if (rv.status == 2) {
                    failed++;
                }
            }
            if (!rows) continue;
            char name[256];
            config_variant_name(&c->variants[v], name, sizeof name);
            double mean = results_score_value(&score, NULL), ms = done ? prefill / done : 0;
            if (json) {
                cJSON *j = cJSON_CreateObject();
                cJSON_AddStringToObject(j, "variant", c->variants[v].hash);
                cJSON_AddStringToObject(j, "label", name);
                cJSON_AddStringToObject(j, "task", p->tasks[t].task);
                cJSON_AddStringToObject(j, "score_kind", ppl ? "perplexity" : "percent");
                cJSON_AddNumberToObject(j, "rows", rows);
                cJSON_AddNumberToObject(j, "done", done);
                cJSON_AddNumberToObject(j, "failed", failed);
                cJSON_AddNumberToObject(j, "pending", rows - done - failed);
                if (done) cJSON_AddNumberToObject(j, "score", mean);
                else cJSON_AddNullToObject(j, "score");
                cJSON_AddNumberToObject(j, "prefill_ms", ms);
                cJSON_AddItemToArray(arr, j);
            } else {
                char sc[32] = "-";
                if (done) snprintf(sc, sizeof sc, ppl ? "%.3f" : "%.2f", mean);
                printf("%-44.44s %-22.22s %3d/%-3d %6d %8s %12.0f\n", name, p->tasks[t].task, done, rows, failed, sc,
                       ms);
            }
        }
    if (json) cli_print_json(arr);
    results_close(s);
}

// Loads the config and builds its plan over the data folder (found into data[PATH_MAX]); a
// config without `model:` runs the default model.
static int load(const char *config, const char **overrides, int n_over, int shard_i, int shard_n, experiment_config *c,
                run_plan *p, char *data) {
    *p = (run_plan){0};
    if (config_load(config, overrides, n_over, c)) return -1;
    if (!c->model[0]) {
        char path[PATH_MAX];
        if (pcb_default_model(path, sizeof path)) return pcb_fail_context("%s: model", config);
        free(c->model);
        c->model = pcb_strdup(path);
    }
    if (pcb_data_dir(data, PATH_MAX)) return -1;
    return run_plan_build(c, data, shard_i, shard_n, p);
}

int cmd_run(int argc, char **argv) {
    cli_common cc;
    const char *config, *overrides[64];
    common_override common[3];
    int n_over, si, sn, keys;
    int r = parse_args("run", argc, argv, &cc, &config, overrides, common, &n_over, &si, &sn, &keys, run_help);
    if (r) return r == 1 ? 0 : 2;
    if (keys) return print_keys(), 0;
    experiment_config c = {0};
    char data[PATH_MAX];
    run_plan p = {0};
    model *m = NULL;
    tokenizer *tok = NULL;
    results_store *s = NULL;
    int rc = -1;
    if (load(config, overrides, n_over, si, sn, &c, &p, data)) goto out;
    kernels_set_num_threads(c.threads);
    cli_common mc = {.model_path = c.model, .threads = c.threads, .cuda = !strcmp(c.backend, "cuda")};
    if (!(m = cli_load_model(&mc)) || !(tok = tokenizer_from_gguf(&m->gguf))) goto out;
    if (!(s = results_open(c.db))) goto out;
    char shard[32], host[128] = "", device[256] = "cpu", config_sha[65];
    if (sha256_file(config, config_sha)) goto out;
    snprintf(shard, sizeof shard, "%d/%d", si, sn);
    gethostname(host, sizeof host - 1);
    if (mc.cuda) backend_describe_device(device, sizeof device);
    int64_t run = results_begin_run(s, &(results_run_info){.config_name = c.name,
                                                           .config_path = config,
                                                           .config_sha256 = config_sha,
                                                           .code_version = PCB_VERSION,
                                                           .backend = c.backend,
                                                           .device = device,
                                                           .threads = kernels_num_threads(),
                                                           .model = c.model,
                                                           .model_sha256 = p.model_sha256,
                                                           .host = host,
                                                           .shard = shard});
    if (run < 0) goto out;
    for (int v = 0; v < c.n_variants; v++) {
        char label[256];
        config_variant_name(&c.variants[v], label, sizeof label);
        if (results_add_variant(s, c.variants[v].hash, c.variants[v].canonical, c.variants[v].method.name, label))
            goto out;
    }
    results_plan_row *rows = pcb_calloc((size_t)p.n_rows + 1, sizeof *rows);
    for (int i = 0; i < p.n_rows; i++) {
        const plan_row *pr = &p.rows[i];
        rows[i] = (results_plan_row){.row_key = pr->row_key,
                                     .variant_hash = c.variants[pr->variant].hash,
                                     .task = p.tasks[pr->task].task,
                                     .sample_id = pr->sample_id,
                                     .model_sha256 = p.model_sha256,
                                     .dataset_sha256 = p.tasks[pr->task].dataset_sha256,
                                     .context_length = pr->length,
                                     .depth = pr->depth};
    }
    int added = 0;
    int prc = results_plan(s, rows, p.n_rows, &added);
    free(rows);
    if (prc) goto out;
    fprintf(stderr, "pcbench run %s: %d variants, %d rows in shard %s (%d new), results in %s\n", c.name, c.n_variants,
            p.n_rows, shard, added, c.db);
    run_exec_options eo = {.data_dir = data, .progress_tty = isatty(2), .run_id = run};
    run_exec_counts counts;
    if (run_execute(&c, &p, m, tok, s, &eo, &counts) || results_finish_run(s, run)) goto out;
    fprintf(stderr, "pcbench run %s: %d done, %d failed, %d already done\n", c.name, counts.done, counts.failed,
            counts.skipped);
    results_close(s), s = NULL;
    summary(c.db, &c, &p, cc.json);
    rc = 0;
out:
    if (rc) cli_error("run");
    results_close(s);
    tokenizer_free(tok);
    model_free(m);
    run_plan_free(&p);
    config_free(&c);
    return rc ? 1 : 0;
}

int cmd_status(int argc, char **argv) {
    cli_common cc;
    const char *config, *overrides[64];
    common_override common[3];
    int n_over, si, sn, keys;
    int r = parse_args("status", argc, argv, &cc, &config, overrides, common, &n_over, &si, &sn, &keys, status_help);
    if (r) return r == 1 ? 0 : 2;
    if (keys) return print_keys(), 0;
    experiment_config c = {0};
    run_plan p = {0};
    char data[PATH_MAX];
    int rc = load(config, overrides, n_over, si, sn, &c, &p, data);
    if (rc == 0 && access(c.db, R_OK)) printf("%s: no results yet (%d rows planned)\n", c.db, p.n_rows);
    else if (rc == 0) summary(c.db, &c, &p, cc.json);
    if (rc) cli_error("status");
    run_plan_free(&p);
    config_free(&c);
    return rc ? 1 : 0;
}
