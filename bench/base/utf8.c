// UTF-8 and the GPT-2 byte <-> unicode table.
#include "bench/base/utf8.h"

size_t utf8_put(char *o, uint32_t cp) {
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

// Length of the UTF-8 sequence starting at p (1 for invalid bytes, so any input advances).
size_t utf8_len(const unsigned char *p, size_t avail) {
    size_t n = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : (*p >> 3) == 30 ? 4 : 1;
    if (n > avail) return 1;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80) return 1;
    return n;
}

// Decodes one code point; returns its length, or 0 when p does not start a valid sequence.
size_t utf8_get(const unsigned char *p, size_t avail, uint32_t *cp) {
    size_t n = utf8_len(p, avail);
    if (n == 1) {
        if (*p >= 0x80) return 0;
        *cp = *p;
        return 1;
    }
    uint32_t c = *p & (0x7F >> n);
    for (size_t i = 1; i < n; i++) c = c << 6 | (p[i] & 0x3F);
    *cp = c;
    return n;
}

// GPT-2's bytes_to_unicode(): printable Latin-1 bytes map to themselves, the other 68 bytes to
// U+0100.. in byte order, so every byte becomes a visible character.
uint32_t gpt2_byte_to_cp(unsigned b) {
    if ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174)) return b;
    uint32_t n = 0;
    for (unsigned x = 0; x < b; x++)
        if (!((x >= 33 && x <= 126) || (x >= 161 && x <= 172) || (x >= 174))) n++;
    return 256 + n;
}
