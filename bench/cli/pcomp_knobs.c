#include "bench/cli/pcomp_knobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/base/names.h"

#define HELP_INDENT 22  // column of the help text after "  --flag META"
#define HELP_WIDTH 100

cli_opt pcomp_knob_opt(pcomp_knobs *k, knob_id id, const char *flag) {
    const knob *kb = knob_get(id);
    k->flag_name[id] = flag ? flag : kb->flag;
    if (kb->type == KNOB_BOOL) return (cli_opt){k->flag_name[id], NULL, OPT_FLAG, &k->flag[id], 0, 0};
    return (cli_opt){k->flag_name[id], NULL, OPT_STRING, &k->text[id], 0, 0};
}

void pcomp_knobs_init(pcomp_knobs *k, cli_opt *opts) {
    memset(k, 0, sizeof *k);
    int n = 0;
    for (int i = 0; i < KNOB_COUNT; i++) {
        const knob *kb = knob_get(i);
        if (kb->home != KNOB_IN_OPTIONS || !kb->flag) continue;
        if (n == PCOMP_KNOB_COUNT) break;
        opts[n++] = pcomp_knob_opt(k, i, NULL);
    }
    int all = n;
    for (int i = 0; i < KNOB_COUNT; i++) all -= knob_get(i)->home == KNOB_IN_OPTIONS && knob_get(i)->flag;
    if (n != PCOMP_KNOB_COUNT || all) {
        fprintf(stderr, "pcbench: internal error: PCOMP_KNOB_COUNT %d disagrees with the knob table\n",
                PCOMP_KNOB_COUNT);
        abort();
    }
}

// One knob from the command line into target; BOOL flags set the other value than the default.
static int apply_one(const pcomp_knobs *k, knob_id id, void *target) {
    const knob *kb = knob_get(id);
    const char *flag = k->flag_name[id] ? k->flag_name[id] : kb->flag;
    if (kb->type == KNOB_BOOL) {
        if (k->flag[id]) knob_store(kb, target, !kb->def);
        return 0;
    }
    char why[512];
    if (k->text[id] && knob_set_text(kb, k->text[id], target, why, sizeof why)) return pcb_fail("%s: %s", flag, why);
    return 0;
}

int pcomp_knobs_apply(const pcomp_knobs *k, pcomp_options *o) {
    pcomp_options_default(o);
    for (int i = 0; i < KNOB_COUNT; i++)
        if (knob_get(i)->home == KNOB_IN_OPTIONS && apply_one(k, i, o)) return -1;
    // The command line has no enable switch: a layer range asks for calibration.
    if (k->text[KNOB_CALIB_LAYERS] && *k->text[KNOB_CALIB_LAYERS]) o->calibrate = 1;
    return 0;
}

int pcomp_knobs_apply_attn(const pcomp_knobs *k, attn_log_options *a) {
    attn_log_options_default(a);
    for (int i = 0; i < KNOB_COUNT; i++)
        if (knob_get(i)->home == KNOB_IN_ATTN_LOG && apply_one(k, i, a)) return -1;
    return 0;
}

// "  --flag META" then text from column HELP_INDENT, wrapped at HELP_WIDTH; ends with a newline.
static void help_line(char *buf, size_t size, const char *left, const char *text) {
    size_t at = (size_t)snprintf(buf, size, "  %-*s ", HELP_INDENT - 3, left), col = at;
    int line_start = 1;
    while (*text && at < size) {
        size_t n = strcspn(text, " ");
        if (!line_start && col + 1 + n > HELP_WIDTH) {
            at += (size_t)snprintf(buf + at, size - at, "\n%*s", HELP_INDENT, "");
            col = HELP_INDENT, line_start = 1;
        }
        if (at < size) at += (size_t)snprintf(buf + at, size - at, "%s%.*s", line_start ? "" : " ", (int)n, text);
        col += n + !line_start, line_start = 0;
        text += n;
        while (*text == ' ') text++;
    }
    if (at < size) snprintf(buf + at, size - at, "\n");
}

const char *pcomp_knob_help_line(knob_id id, const char *flag, char *buf, size_t size) {
    const knob *kb = knob_get(id);
    char left[64], text[640], def[64], names[256];
    snprintf(left, sizeof left, "%s%s%s", flag ? flag : kb->flag, kb->metavar ? " " : "",
             kb->metavar ? kb->metavar : "");
    knob_default_text(kb, def, sizeof def);
    switch (kb->type) {
    case KNOB_BOOL:
        snprintf(text, sizeof text, "%s", kb->flag_help ? kb->flag_help : kb->help);
        break;
    case KNOB_LAYERS:
        snprintf(text, sizeof text, "%s [none; A, B in %.0f..%.0f]", kb->help, kb->lo, kb->hi);
        break;
    case KNOB_ENUM:
        pcb_names_join(kb->values, " | ", names, sizeof names);
        snprintf(text, sizeof text, "%s: %s [%s]", kb->help, names, def);
        break;
    default: {  // numbers: "[default; range]", the range as "1..1023", ">= 0" or "> 0 and < 1"
        char r[96];
        knob_range_text(kb->lo, kb->hi, kb->range, kb->type == KNOB_INT, "", r, sizeof r);
        const char *range = r + (r[0] == ' ');
        if (!strncmp(range, "in ", 3)) range += 3;
        snprintf(text, sizeof text, "%s [%s; %s%s]", kb->help, def, kb->range & KNOB_ODD ? "odd, " : "", range);
        break;
    }
    }
    help_line(buf, size, left, text);
    return buf;
}

const char *pcomp_knobs_help(void) {
    static char help[8192];
    if (help[0]) return help;
    size_t at = (size_t)snprintf(help, sizeof help, "method and knobs ([default; range]):\n");
    for (int i = 0; i < KNOB_COUNT && at < sizeof help; i++) {
        const knob *kb = knob_get(i);
        if (kb->home != KNOB_IN_OPTIONS || !kb->flag) continue;
        char line[1024];
        at += (size_t)snprintf(help + at, sizeof help - at, "%s", pcomp_knob_help_line(i, NULL, line, sizeof line));
    }
    return help;
}
