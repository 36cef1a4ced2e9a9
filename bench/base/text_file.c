#include "bench/base/text_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"

char *read_text_file_max(const char *path, size_t max_bytes, const char *what, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return pcb_fail("%s: cannot open: %s", path, strerror(errno)), NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = pcb_malloc(cap);
    for (;;) {
        if (n + 1 == cap) buf = pcb_realloc(buf, cap *= 2);
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (max_bytes && n > max_bytes) {
            free(buf);
            fclose(f);
            return pcb_fail("%s: larger than %zu MiB (expected %s)", path, max_bytes >> 20, what), NULL;
        }
        if (got == 0) break;
    }
    int bad = ferror(f), err = errno;
    fclose(f);
    if (bad) {
        free(buf);
        return pcb_fail("%s: read error: %s", path, strerror(err)), NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

char *read_text_file(const char *path, size_t *len) { return read_text_file_max(path, 0, NULL, len); }
