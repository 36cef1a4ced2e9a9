#include "bench/base/paths.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/base/error.h"

void pcb_exe_dir(char *out, size_t cap) {
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) n = 0;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (slash) *slash = 0;
    snprintf(out, cap, "%s", exe);
}

// Tries env, then DIR/beside, then DIR/../share/pcbench/beside; want_dir: a folder, else a file.
static int locate(const char *env, const char *beside, int want_dir, const char *what, char *out, size_t cap) {
    char tried[4 * PATH_MAX] = "";
    const char *e = getenv(env);
    if (e && *e) {
        struct stat st;
        if (stat(e, &st) == 0 && (want_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode))) {
            snprintf(out, cap, "%s", e);
            return 0;
        }
        return pcb_fail("%s: $%s=%s is not %s", what, env, e, want_dir ? "a folder" : "a file");
    }
    snprintf(tried, sizeof tried, "$%s (not set)", env);
    char dir[PATH_MAX];
    pcb_exe_dir(dir, sizeof dir);
    const char *prefixes[] = {"", "/../share/pcbench"};
    for (int i = 0; dir[0] && i < 2; i++) {
        char p[2 * PATH_MAX];  // room for dir (up to PATH_MAX) and what follows; stat refuses the overlong
        snprintf(p, sizeof p, "%s%s/%s", dir, prefixes[i], beside);
        struct stat st;
        if (stat(p, &st) == 0 && (want_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode))) {
            char *r = realpath(p, NULL);
            snprintf(out, cap, "%s", r ? r : p);
            free(r);
            return 0;
        }
        size_t len = strlen(tried);
        snprintf(tried + len, sizeof tried - len, ", %s", p);
    }
    return pcb_fail("%s not found; tried %s (set $%s)", what, tried, env);
}

int pcb_data_dir(char *out, size_t cap) { return locate("PCB_DATA", "data", 1, "data folder", out, cap); }

int pcb_data_file(const char *rel, char *out, size_t cap) {
    char dir[PATH_MAX];
    if (pcb_data_dir(dir, sizeof dir)) return -1;
    snprintf(out, cap, "%s/%s", dir, rel);
    return 0;
}

const char *pcb_data_path_or(const char *given, const char *rel, char *buf, size_t cap) {
    if (given) return given;
    return pcb_data_file(rel, buf, cap) ? NULL : buf;
}

int pcb_default_model(char *out, size_t cap) {
    return locate("PCB_MODEL", "models/" PCB_DEFAULT_MODEL_FILE, 0, "default model", out, cap);
}
