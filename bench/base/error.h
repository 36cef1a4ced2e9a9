// Error reporting: a thread-local "last error" message. Functions that can fail return
// an error code (-1 / NULL) and leave a human-readable message naming the file, key or
// value that was wrong; the CLI prints it and exits non-zero.
#ifndef PCB_ERROR_H
#define PCB_ERROR_H

#include <stddef.h>

#if defined(__GNUC__)
#define PCB_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define PCB_PRINTF(a, b)
#endif

// Sets the message (printf-style). Always returns -1 so callers can `return pcb_fail(...)`.
int pcb_fail(const char *fmt, ...) PCB_PRINTF(1, 2);
// Prefixes the current message with more context ("loading model.gguf: <old message>").
int pcb_fail_context(const char *fmt, ...) PCB_PRINTF(1, 2);
const char *pcb_last_error(void);
void pcb_clear_error(void);

// Allocation helpers that abort with a message on out-of-memory (never return NULL).
void *pcb_malloc(size_t n);
void *pcb_calloc(size_t count, size_t size);
void *pcb_realloc(void *p, size_t n);
char *pcb_strdup(const char *s);

#endif
