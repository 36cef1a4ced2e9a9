// `pcbench passkey`: passkey retrieval accuracy of one method over lengths x depths.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/base/paths.h"
#include "bench/cli/cli.h"
#include "bench/cli/pcomp_knobs.h"
#include "bench/method/pcomp.h"
#include "bench/tasks/passkey.h"
#include "bench/tasks/prompt_templates.h"
#include "kernels/kernels.h"

static void help(void) {
    printf(
        "usage: pcbench passkey --lengths N[,N...] [--depths D[,D...]] [--seed S] [--method M] [knobs]\n"
        "                       [--chat] [-m MODEL.gguf] [-t THREADS] [--json]\n\n"
        "  --lengths LIST   document lengths in tokens, e.g. 16384,32768\n"
        "  --depths LIST    needle depths in [0, 1] [0.1,0.5,0.9]\n"
        "  --seed S         pass keys are drawn from S (per sample S + index) [1]\n"
        "  --templates DIR  template folder (task 'passkey') [%s]\n"
        "  --chat           wrap the final question in the chat template\n\n%s\n"
        "Prompts use ParallelComp's passkey templates; scoring is InfiniteBench's (first integer of\n"
        "the answer equals the key). Text: one line per sample and accuracy per length. JSON: one\n"
        "object per sample (JSON lines) and a final summary object.\n",
        "$PCB_DATA or data/ beside pcbench, then " PROMPT_TEMPLATES_SUBDIR, PCOMP_KNOBS_HELP);
}

// Parses "a,b,c" into doubles. Returns the count, or -1 (error set).
static int parse_list(const char *name, const char *text, double *out, int cap) {
    int n = 0;
    const char *p = text;
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || (*end && *end != ',') || n == cap)
            return pcb_fail("%s '%s': expected a comma-separated list of at most %d numbers", name, text, cap);
        out[n++] = v;
        p = *end ? end + 1 : end;
    }
    return n ? n : pcb_fail("%s is empty", name);
}

int cmd_passkey(int argc, char **argv) {
    cli_common c;
    pcomp_knobs k;
    const char *lengths_s = NULL, *depths_s = "0.1,0.5,0.9", *templates = NULL;
    long seed = 1;
    int chat = 0;
    cli_opt opts[PCOMP_KNOB_COUNT + 5];
    pcomp_knobs_init(&k, opts);
    const cli_opt own[] = {
        {"--lengths", NULL, OPT_STRING, &lengths_s, 0, 0}, {"--depths", NULL, OPT_STRING, &depths_s, 0, 0},
        {"--seed", NULL, OPT_INT, &seed, 0, 1e15},         {"--templates", NULL, OPT_STRING, &templates, 0, 0},
        {"--chat", NULL, OPT_FLAG, &chat, 0, 0},
    };
    memcpy(opts + PCOMP_KNOB_COUNT, own, sizeof own);
    int r = cli_parse("passkey", argc, argv, &c, opts, PCOMP_KNOB_COUNT + 5, help, NULL, 0, NULL);
    if (r) return r == 1 ? 0 : 2;
    char default_templates[4096];
    templates = pcb_data_path_or(templates, PROMPT_TEMPLATES_SUBDIR, default_templates, sizeof default_templates);
    if (!templates) return cli_error("passkey");
    double lengths[64], depths[64];
    int n_len, n_dep;
    pcomp_options o;
    if (!lengths_s) pcb_fail("--lengths is required (see --help)");
    if (!lengths_s || (n_len = parse_list("--lengths", lengths_s, lengths, 64)) < 0 ||
        (n_dep = parse_list("--depths", depths_s, depths, 64)) < 0 || pcomp_knobs_apply(&k, &o)) {
        fprintf(stderr, "pcbench passkey: %s\n", pcb_last_error());
        return 2;
    }
    o.max_new_tokens = 16;
    if (!k.text[KNOB_TOPK_CHUNKS]) o.topk_chunks = pcomp_task_topk("passkey");  // not given: the task's default
    kernels_set_num_threads(c.threads);
    int rc = 1, sample = 0;
    model *m = NULL;
    tokenizer *tok = NULL;
    prompt_template tpl = {0};
    char *question = NULL;
    if (prompt_template_load(templates, "passkey", &tpl) || !(m = cli_load_model(&c)) ||
        !(tok = tokenizer_from_gguf(&m->gguf)))
        goto out;
    question = prompt_template_fill(tpl.question, PASSKEY_QUESTION);
    int32_t stops[2];
    int n_stop = tokenizer_stop_ids(tok, stops), total_ok = 0;
    if (!c.json)
        printf("%-17s %7s %6s %7s  %-6s %-24s %10s\n", "method", "tokens", "depth", "key", "ok", "answer",
               "prefill ms");
    for (int li = 0; li < n_len; li++) {
        int ok_len = 0;
        for (int di = 0; di < n_dep; di++, sample++) {
            passkey_sample s;
            if (passkey_make(tok, (int)lengths[li], depths[di], (uint64_t)seed + sample, &s)) goto out;
            pcomp_prompt p = {
                .head = tpl.head, .tail = tpl.tail, .document = s.document, .question = question, .chat = chat};
            pcomp_input in;
            pcomp_result res = {0};
            int bad = pcomp_input_from_prompt(tok, &p, &in) || pcomp_run(m, &in, &o, stops, n_stop, &res);
            char *answer = bad ? NULL : tokenizer_decode(tok, res.answer, res.n_answer, 0);
            int ok = answer && passkey_score(answer, s.key);
            for (char *q = answer; q && *q; q++)
                if (*q == '\n') *q = ' ';
            if (!bad && c.json) {
                cJSON *j = cJSON_CreateObject();
                cJSON_AddStringToObject(j, "method", pcomp_method_name(o.method));
                cJSON_AddNumberToObject(j, "tokens", s.n_tokens);
                cJSON_AddNumberToObject(j, "depth", depths[di]);
                cJSON_AddStringToObject(j, "key", s.key);
                cJSON_AddStringToObject(j, "answer", answer);
                cJSON_AddBoolToObject(j, "correct", ok);
                cJSON_AddNumberToObject(j, "kept_chunks", res.n_kept);
                cJSON_AddNumberToObject(j, "chunks", res.n_chunks);
                cJSON_AddNumberToObject(j, "prefill_ms", res.prefill_ms);
                cli_print_json(j);
            } else if (!bad)
                printf("%-17s %7d %6.2f %7s  %-6s %-24.24s %10.0f\n", pcomp_method_name(o.method), s.n_tokens,
                       depths[di], s.key, ok ? "yes" : "no", answer, res.prefill_ms);
            fflush(stdout);
            free(answer);
            pcomp_result_free(&res);
            pcomp_input_free(&in);
            passkey_free(&s);
            if (bad) goto out;
            ok_len += ok;
        }
        total_ok += ok_len;
        if (!c.json)
            printf("accuracy %s at %d tokens: %d/%d\n", pcomp_method_name(o.method), (int)lengths[li], ok_len, n_dep);
    }
    if (c.json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "method", pcomp_method_name(o.method));
        cJSON_AddNumberToObject(j, "correct", total_ok);
        cJSON_AddNumberToObject(j, "samples", sample);
        cli_print_json(j);
    }
    rc = 0;
out:
    if (rc) cli_error("passkey");
    free(question);
    prompt_template_free(&tpl);
    tokenizer_free(tok);
    model_free(m);
    return rc;
}
