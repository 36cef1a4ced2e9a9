#include "bench/base/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char last_error[1024];

int pcb_fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return -1;
}

int pcb_fail_context(const char *fmt, ...) {
    char prefix[256], old[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, last_error, sizeof old);
    // Truncation is fine: the message is for humans, and the prefix comes first.
    size_t n = strlen(prefix);
    memcpy(last_error, prefix, n);
    last_error[n] = ':';
    last_error[n + 1] = ' ';
    size_t room = sizeof last_error - n - 3;
    size_t m = strnlen(old, room);
    memcpy(last_error + n + 2, old, m);
    last_error[n + 2 + m] = 0;
    return -1;
}

const char *pcb_last_error(void) { return last_error[0] ? last_error : "unknown error"; }

void pcb_clear_error(void) { last_error[0] = 0; }

static void *check_alloc(void *p, size_t n) {
    if (!p && n) {
        fprintf(stderr, "pcbench: out of memory allocating %zu bytes\n", n);
        abort();
    }
    return p;
}

void *pcb_malloc(size_t n) { return check_alloc(malloc(n ? n : 1), n); }
void *pcb_calloc(size_t count, size_t size) {
    return check_alloc(calloc(count ? count : 1, size ? size : 1), count * size);
}
void *pcb_realloc(void *p, size_t n) { return check_alloc(realloc(p, n ? n : 1), n); }
char *pcb_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = pcb_malloc(n);
    memcpy(d, s, n);
    return d;
}
