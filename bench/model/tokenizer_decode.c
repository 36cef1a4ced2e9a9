// tokenizer_decode: ids back to UTF-8 text (GPT-2 unicode characters back to bytes for byte-level
// BPE; U+2581 back to spaces and <0xXX> back to bytes for SentencePiece).
#include "bench/model/tokenizer.h"

#include <string.h>

#include "bench/base/utf8.h"
#include "bench/model/tokenizer_internal.h"

static int hexval(char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                  : -1;
}

char *tokenizer_decode(const tokenizer *t, const int32_t *ids, size_t n, int render_special) {
    tok_sbuf s = {0};
    tok_sb_put(&s, "", 0);
    int first = 1;  // SPM: drop the space that add_space_prefix put before the first word
    for (size_t i = 0; i < n; i++) {
        int32_t id = ids[i];
        if (id < 0 || id >= t->n_vocab) continue;  // out-of-range ids have no text
        const char *p = tok_text(t, id);
        size_t len = t->len[id];
        int type = t->type[id];
        if (type == TT_CONTROL || type == TT_UNKNOWN) {
            if (render_special) tok_sb_put(&s, p, len);
            continue;
        }
        if (type == TT_USER) {  // added tokens are stored as plain text in either vocabulary
            tok_sb_put(&s, p, len);
            first = 0;
            continue;
        }
        if (t->kind == KIND_BPE) {
            for (size_t k = 0; k < len;) {
                uint32_t cp;
                size_t cl = utf8_get((const unsigned char *)p + k, len - k, &cp);
                int b = cl && cp < 324 ? t->cp_byte[cp] : -1;
                if (b >= 0) {
                    char c = (char)b;
                    tok_sb_put(&s, &c, 1);
                } else {  // not a byte-level character: keep it as is
                    if (!cl) cl = 1;
                    tok_sb_put(&s, p + k, cl);
                }
                k += cl;
            }
            continue;
        }
        if (type == TT_BYTE && len == 6 && !memcmp(p, "<0x", 3) && p[5] == '>' && hexval(p[3]) >= 0 &&
            hexval(p[4]) >= 0) {
            char c = (char)(hexval(p[3]) * 16 + hexval(p[4]));
            tok_sb_put(&s, &c, 1);
            first = 0;
            continue;
        }
        for (size_t k = 0; k < len;) {
            if (len - k >= 3 && !memcmp(p + k, "\xE2\x96\x81", 3)) {
                if (!(first && k == 0 && t->add_space_prefix)) tok_sb_put(&s, " ", 1);
                k += 3;
            } else {
                tok_sb_put(&s, p + k, 1);
                k++;
            }
        }
        first = 0;
    }
    return s.p;
}
