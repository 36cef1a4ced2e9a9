// UTF-8 encoding and decoding, and GPT-2's byte <-> unicode mapping (byte-level BPE vocabularies
// store every byte as a visible character).
#ifndef PCB_UTF8_H
#define PCB_UTF8_H

#include <stddef.h>
#include <stdint.h>

// Writes cp as UTF-8 to o (room for 4 bytes); returns the number of bytes written.
size_t utf8_put(char *o, uint32_t cp);
// Length of the UTF-8 sequence starting at p (1 for invalid bytes, so any input advances).
size_t utf8_len(const unsigned char *p, size_t avail);
// Decodes one code point; returns its length, or 0 when p does not start a valid sequence.
size_t utf8_get(const unsigned char *p, size_t avail, uint32_t *cp);

// GPT-2's bytes_to_unicode(): the code point (U+0021..U+0143) that stands for byte b.
uint32_t gpt2_byte_to_cp(unsigned b);

#endif
