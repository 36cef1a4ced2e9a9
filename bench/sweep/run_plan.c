#include "bench/sweep/run_plan.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/base/error.h"
#include "bench/base/file_list.h"
#include "bench/base/sha256.h"
#include "bench/base/text_file.h"
#include "bench/tasks/synthetic_tasks.h"

static int task_max_new_tokens(const char *data_dir, const char *task, int configured) {
    if (configured > 0) return configured;
    char path[1024];
    snprintf(path, sizeof path, "%s/parallelcomp_config/dataset2maxlen.json", data_dir);
    size_t len;
    char *text = read_text_file(path, &len);
    int n = 32;  // tasks the reference does not list
    cJSON *o = text ? cJSON_ParseWithLength(text, len) : NULL;
    const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, task) : NULL;
    if (cJSON_IsNumber(v) && v->valueint > 0) n = v->valueint;
    cJSON_Delete(o);
    free(text);
    return n;
}

// PG19 books (text/pg19/*.txt in name order) as samples for ppl: id = file name without .txt,
// context = the text. The dataset hash covers every file's name and content.
static int load_pg19(const char *data_dir, plan_task *pt) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/text/pg19", data_dir);
    int n;
    char **names = file_list(dir, ".txt", &n);
    if (!names) return pcb_fail_context("task 'ppl'");
    if (n == 0) return file_list_free(names, 0), pcb_fail("task 'ppl': no .txt books in %s", dir);
    pt->data.samples = pcb_calloc((size_t)n, sizeof *pt->data.samples);
    sha256_ctx c;
    sha256_init(&c);
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        char path[1200], hex[65];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t len;
        task_sample *s = &pt->data.samples[pt->data.n];
        if (!(s->context = read_text_file(path, &len)) || sha256_file(path, hex)) {
            rc = -1;
            break;
        }
        pt->data.n++;
        s->id = pcb_strdup(names[i]);
        s->id[strlen(s->id) - 4] = 0;
        sha256_update(&c, names[i], strlen(names[i]) + 1);
        sha256_update(&c, hex, 64);
    }
    file_list_free(names, n);
    uint8_t dg[32];
    sha256_final(&c, dg);
    sha256_hex(dg, pt->dataset_sha256);
    return rc;
}

static int load_task(const config_task *t, const char *data_dir, plan_task *pt) {
    char path[1024];
    pt->task = pcb_strdup(t->name);
    pt->source = pcb_strdup(t->source);
    pt->max_new_tokens = task_max_new_tokens(data_dir, t->name, t->max_new_tokens);
    if (!strcmp(pt->source, "generated") || !strcmp(pt->source, "pg19")) {
        if (t->n_lengths == 0) return pcb_fail("task '%s': give tasks.N.lengths (context lengths in tokens)", t->name);
        if (!strcmp(pt->source, "pg19")) return load_pg19(data_dir, pt);
        return synthetic_dataset_sha256(t->name, data_dir, pt->dataset_sha256);
    }
    if (!strcmp(pt->source, "longbench")) {
        snprintf(path, sizeof path, "%s/longbench/%s.jsonl", data_dir, t->name);
        if (longbench_load_jsonl(path, &pt->data)) {
            char mini[1024];
            snprintf(mini, sizeof mini, "%s/longbench/minilongbench/MiniLongBench_%s.json", data_dir, t->name);
            if (access(path, F_OK) && !access(mini, R_OK))
                return pcb_fail(
                    "%s: no such file (the MiniLongBench subset has task '%s': set its source: minilongbench)", path,
                    t->name);
            return -1;
        }
    } else if (!strcmp(pt->source, "minilongbench")) {
        char cfg[1024], **tpl = NULL;
        snprintf(cfg, sizeof cfg, "%s/longbench/config", data_dir);
        snprintf(path, sizeof path, "%s/longbench/minilongbench/MiniLongBench_%s.json", data_dir, t->name);
        int n = minilongbench_templates(cfg, t->name, &tpl);
        if (n < 0) return -1;
        int rc = minilongbench_load(path, t->name, (const char *const *)tpl, n, &pt->data);
        for (int i = 0; i < n; i++) free(tpl[i]);
        free(tpl);
        if (rc) return -1;
    } else {
        return pcb_fail("task '%s': unknown source '%s'", t->name, pt->source);
    }
    if (pt->data.n == 0 && pt->data.n_failures == 0) return pcb_fail("task '%s': %s has no samples", t->name, path);
    return sha256_file(path, pt->dataset_sha256);
}

static void add_row(run_plan *p, int *cap, int variant, int task, int sample, const char *id, int length, double depth,
                    const char *failed) {
    if (p->n_rows == *cap) *cap = *cap ? 2 * *cap : 256, p->rows = pcb_realloc(p->rows, sizeof *p->rows * (size_t)*cap);
    p->rows[p->n_rows++] = (plan_row){.variant = variant,
                                      .task = task,
                                      .sample = sample,
                                      .sample_id = pcb_strdup(id),
                                      .length = length,
                                      .depth = depth,
                                      .failed = failed ? pcb_strdup(failed) : NULL};
}

static void row_key(const run_plan *p, const experiment_config *c, plan_row *r) {
    char text[2048];
    snprintf(text, sizeof text, "%s\n%s\n%s\n%s\n%s\n%d\n%.17g", c->variants[r->variant].hash, p->model_sha256,
             p->tasks[r->task].dataset_sha256, p->tasks[r->task].task, r->sample_id, r->length, r->depth);
    uint8_t d[32];
    sha256(text, strlen(text), d);
    sha256_hex(d, r->row_key);
}

int run_plan_build(const experiment_config *c, const char *data_dir, int shard_i, int shard_n, run_plan *p) {
    if (shard_n < 1 || shard_i < 0 || shard_i >= shard_n)
        return pcb_fail("shard %d/%d: want 0 <= i < n", shard_i, shard_n);
    if (sha256_file(c->model, p->model_sha256)) return -1;
    p->tasks = pcb_calloc((size_t)c->n_tasks, sizeof *p->tasks);
    p->n_tasks = c->n_tasks;
    for (int t = 0; t < c->n_tasks; t++)
        if (load_task(&c->tasks[t], data_dir, &p->tasks[t])) return pcb_fail_context("%s: tasks.%d", c->path, t);
    run_plan full = {0};
    int cap = 0;
    memcpy(full.model_sha256, p->model_sha256, sizeof p->model_sha256);
    full.tasks = p->tasks, full.n_tasks = p->n_tasks;
    for (int v = 0; v < c->n_variants; v++)
        for (int t = 0; t < c->n_tasks; t++) {
            const config_task *ct = &c->tasks[t];
            const plan_task *pt = &p->tasks[t];
            int n_len = ct->n_lengths ? ct->n_lengths : 1;
            char id[64];
            if (!strcmp(pt->source, "generated")) {
                int k_max = ct->samples > 0 ? ct->samples : 1;
                for (int l = 0; l < ct->n_lengths; l++)
                    for (int d = 0; d < ct->n_depths; d++)
                        for (int k = 0; k < k_max; k++) {
                            snprintf(id, sizeof id, "%s-%d-%g-%d", pt->task, ct->lengths[l], ct->depths[d], k);
                            add_row(&full, &cap, v, t, k, id, ct->lengths[l], ct->depths[d], NULL);
                        }
                continue;
            }
            int take = ct->samples > 0 && ct->samples < pt->data.n ? ct->samples : pt->data.n;
            for (int l = 0; l < n_len; l++) {
                int length = ct->n_lengths ? ct->lengths[l] : 0;
                for (int s = 0; s < take; s++) add_row(&full, &cap, v, t, s, pt->data.samples[s].id, length, -1, NULL);
                for (int f = 0; f < pt->data.n_failures; f++)  // unreadable records: failed rows
                    add_row(&full, &cap, v, t, -1, pt->data.failures[f].where, length, -1,
                            pt->data.failures[f].message);
            }
        }
    for (int i = 0; i < full.n_rows; i++) row_key(&full, c, &full.rows[i]);
    // Shard by position in the full plan: every shard computes the same plan.
    for (int i = 0; i < full.n_rows; i++) {
        if (i % shard_n == shard_i) {
            if (p->n_rows % 256 == 0) p->rows = pcb_realloc(p->rows, sizeof *p->rows * (size_t)(p->n_rows + 256));
            p->rows[p->n_rows++] = full.rows[i];
        } else {
            free(full.rows[i].sample_id), free(full.rows[i].failed);
        }
    }
    free(full.rows);
    return 0;
}

void run_plan_free(run_plan *p) {
    for (int t = 0; t < p->n_tasks; t++) {
        free(p->tasks[t].task), free(p->tasks[t].source);
        task_samples_free(&p->tasks[t].data);
    }
    for (int i = 0; i < p->n_rows; i++) free(p->rows[i].sample_id), free(p->rows[i].failed);
    free(p->tasks), free(p->rows);
    *p = (run_plan){0};
}
