#include "bench/base/file_list.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

char **file_list(const char *dir, const char *suffix, int *n) {
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return pcb_fail("%s: cannot open the folder: %s", dir, strerror(errno)), NULL;
    char **names = pcb_malloc(sizeof *names);
    size_t sl = strlen(suffix);
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len <= sl || strcmp(e->d_name + len - sl, suffix)) continue;
        names = pcb_realloc(names, sizeof *names * (size_t)(*n + 1));
        names[(*n)++] = pcb_strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)*n, sizeof *names, name_cmp);
    return names;
}

void file_list_free(char **names, int n) {
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
}
