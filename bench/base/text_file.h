// Whole-file reading: the one reader every loader uses (configs, JSON, JSONL, texts).
#ifndef PCB_BASE_TEXT_FILE_H
#define PCB_BASE_TEXT_FILE_H

#include <stddef.h>

// Reads a whole file into a NUL-terminated malloc'ed copy (*len excludes the NUL).
// NULL + error ("PATH: cannot open: why", "PATH: read error: why") on failure.
char *read_text_file(const char *path, size_t *len);
// The same, refusing files over max_bytes: "PATH: larger than N MiB (expected WHAT)".
char *read_text_file_max(const char *path, size_t max_bytes, const char *what, size_t *len);

#endif
