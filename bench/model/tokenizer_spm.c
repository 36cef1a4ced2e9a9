// SentencePiece-style BPE (tokenizer.ggml.model "llama"): scores as merge priority, U+2581 for
// spaces, byte fallback to <0xXX> tokens.
#include <string.h>

#include "bench/base/error.h"
#include "bench/base/utf8.h"
#include "bench/model/tokenizer_internal.h"

static int spm_mergeable(int type) { return type == TT_NORMAL || type == TT_UNDEFINED || type == TT_USER; }

static void spm_try(tok_enc *e, int32_t l, int32_t r) {
    const tokenizer *t = e->t;
    int32_t id = tok_vocab_lookup(t, e->buf + e->start[l], (size_t)(e->sym[l] + e->sym[r]));
    if (id >= 0 && spm_mergeable(t->type[id]))
        tok_heap_push(
            e, (tok_cand){
                   .key = -(double)(t->score ? t->score[id] : 0.0f), .l = l, .r = r, .a = e->sym[l], .b = e->sym[r]});
}

// SentencePiece BPE (as llama.cpp's llm_tokenizer_spm): start from UTF-8 characters, merge the
// adjacent pair whose concatenation is the highest-scoring token (leftmost on ties); symbols
// left that are not tokens fall back to <0xXX> byte tokens.
void tok_spm_text(tok_enc *e, const char *p, size_t n, int prefix) {
    const tokenizer *t = e->t;
    size_t need = 3 * n + 3;  // every space may become U+2581 (3 bytes)
    if (need > e->cap_buf) {
        e->cap_buf = need;
        e->buf = pcb_realloc(e->buf, need);
    }
    size_t bl = 0;
    if (prefix) {
        memcpy(e->buf, "\xE2\x96\x81", 3);
        bl = 3;
    }
    for (size_t i = 0; i < n; i++) {
        if (p[i] == ' ') {
            memcpy(e->buf + bl, "\xE2\x96\x81", 3);
            bl += 3;
        } else e->buf[bl++] = p[i];
    }
    if (bl == 0) return;
    tok_reserve_syms(e, bl);
    int32_t m = 0;
    for (size_t i = 0; i < bl;) {
        size_t cl = utf8_len((const unsigned char *)e->buf + i, bl - i);
        e->start[m] = (int32_t)i;
        e->sym[m] = (int32_t)cl;  // symbol length in bytes; 0 once merged away
        m++;
        i += cl;
    }
    for (int32_t i = 0; i < m; i++) {
        e->prev[i] = i - 1;
        e->next[i] = i + 1 < m ? i + 1 : -1;
    }
    e->n_heap = 0;
    for (int32_t i = 0; i + 1 < m; i++) spm_try(e, i, i + 1);
    while (e->n_heap) {
        tok_cand c = tok_heap_pop(e);
        if (e->sym[c.l] != c.a || e->sym[c.r] != c.b || e->next[c.l] != c.r) continue;
        e->sym[c.l] += e->sym[c.r];
        e->sym[c.r] = 0;
        int32_t nx = e->next[c.r];
        e->next[c.l] = nx;
        if (nx >= 0) e->prev[nx] = c.l;
        if (e->prev[c.l] >= 0) spm_try(e, e->prev[c.l], c.l);
        if (nx >= 0) spm_try(e, c.l, nx);
    }
    for (int32_t i = 0; i >= 0; i = e->next[i]) {
        const char *s = e->buf + e->start[i];
        int32_t id = tok_vocab_lookup(t, s, (size_t)e->sym[i]);
        if (id >= 0 && t->type[id] != TT_CONTROL && t->type[id] != TT_UNKNOWN && t->type[id] != TT_BYTE) {
            tok_push_id(e, id);
            continue;
        }
        for (int32_t k = 0; k < e->sym[i]; k++) {
            int32_t b = t->byte_id[(unsigned char)s[k]];
            if (b < 0) b = t->unk;
            if (b >= 0) tok_push_id(e, b);
        }
    }
}
