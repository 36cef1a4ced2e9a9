// SHA-256 (FIPS 180-4): one-shot, streaming, and whole files (model / data identity).
#ifndef PCB_SHA256_H
#define PCB_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t h[8];
    uint64_t bytes;     // message length so far
    uint8_t block[64];  // pending input
    size_t fill;        // bytes in block
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t n);
void sha256_final(sha256_ctx *c, uint8_t digest[32]);  // the context must be re-initialised after
void sha256(const void *data, size_t n, uint8_t digest[32]);
// 64 lowercase hex digits + NUL.
void sha256_hex(const uint8_t digest[32], char hex[65]);
// Hashes a file in 1 MiB reads. Returns 0, or -1 with the error set (names the file).
int sha256_file(const char *path, char hex[65]);

#endif
