// tokenizer_encode: splits the text around special tokens and hands the pieces in between to
// byte-level BPE (tokenizer_bpe.c) or SentencePiece BPE (tokenizer_spm.c). Also the encoder
// state both share: the output ids, the symbol list and the heap of merge candidates.
#include "bench/model/tokenizer.h"

#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/model/tokenizer_internal.h"

void tok_push_id(tok_enc *e, int32_t id) {
    if (e->n_out == e->cap_out) {
        e->cap_out = e->cap_out ? 2 * e->cap_out : 256;
        e->out = pcb_realloc(e->out, e->cap_out * sizeof(int32_t));
    }
    e->out[e->n_out++] = id;
}

void tok_reserve_syms(tok_enc *e, size_t n) {
    if (n <= e->cap_sym) return;
    e->cap_sym = n < 64 ? 64 : 2 * n;
    e->sym = pcb_realloc(e->sym, e->cap_sym * sizeof(int32_t));
    e->next = pcb_realloc(e->next, e->cap_sym * sizeof(int32_t));
    e->prev = pcb_realloc(e->prev, e->cap_sym * sizeof(int32_t));
    e->start = pcb_realloc(e->start, e->cap_sym * sizeof(int32_t));
}

static int cand_before(const tok_cand *x, const tok_cand *y) {
    return x->key < y->key || (x->key == y->key && x->l < y->l);
}

void tok_heap_push(tok_enc *e, tok_cand c) {
    if (e->n_heap == e->cap_heap) {
        e->cap_heap = e->cap_heap ? 2 * e->cap_heap : 64;
        e->heap = pcb_realloc(e->heap, e->cap_heap * sizeof(tok_cand));
    }
    size_t i = e->n_heap++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!cand_before(&c, &e->heap[p])) break;
        e->heap[i] = e->heap[p];
        i = p;
    }
    e->heap[i] = c;
}

tok_cand tok_heap_pop(tok_enc *e) {
    tok_cand top = e->heap[0], last = e->heap[--e->n_heap];
    size_t i = 0, n = e->n_heap;
    for (;;) {
        size_t k = 2 * i + 1;
        if (k >= n) break;
        if (k + 1 < n && cand_before(&e->heap[k + 1], &e->heap[k])) k++;
        if (!cand_before(&e->heap[k], &last)) break;
        e->heap[i] = e->heap[k];
        i = k;
    }
    if (n) e->heap[i] = last;
    return top;
}

static int encode_text(tok_enc *e, const char *p, size_t n, int after_special) {
    if (e->t->kind == KIND_SPM) {
        tok_spm_text(e, p, n, e->t->add_space_prefix && after_special);
        return 0;
    }
    return tok_bpe_text(e, p, n);
}

int tokenizer_encode(const tokenizer *t, const char *text, size_t len, int parse_special, int32_t **out,
                     size_t *n_out) {
    *out = NULL;
    *n_out = 0;
    if (!text && len) return pcb_fail("tokenizer_encode: NULL text with length %zu", len);
    if (len > INT32_MAX)
        return pcb_fail("tokenizer_encode: text of %zu bytes is too long (max %d)", len,
                        INT32_MAX);  // int32 symbol indices
    tok_enc e = {.t = t};
    int rc = 0;
    if (t->kind == KIND_BPE && (rc = tok_bpe_begin(&e))) goto done;
    // Split around special tokens: user-defined ones always (as llama.cpp), control ones only
    // with parse_special. Leftmost match, longest first.
    size_t seg = 0;
    int after_special = 1;  // SPM: a space prefix starts the text and follows each special
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        int32_t hit = -1;
        for (int k = t->spec_start[c]; k < t->spec_start[c + 1]; k++) {
            int32_t id = t->spec[k];
            if (t->type[id] == TT_CONTROL && !parse_special) continue;
            if (t->len[id] <= len - i && memcmp(text + i, tok_text(t, id), t->len[id]) == 0) {
                hit = id;
                break;
            }
        }
        if (hit < 0) continue;
        if (i > seg && (rc = encode_text(&e, text + seg, i - seg, after_special))) goto done;
        tok_push_id(&e, hit);
        after_special = 1;
        seg = i + t->len[hit];
        i = seg - 1;
    }
    if (len > seg) {
        if ((rc = encode_text(&e, text + seg, len - seg, after_special))) goto done;
    }
done:
    free(e.sym);
    free(e.next);
    free(e.prev);
    free(e.start);
    free(e.heap);
    free(e.buf);
    tok_bpe_end(&e);
    if (rc) {
        free(e.out);
        return -1;
    }
    *out = e.out ? e.out : pcb_malloc(sizeof(int32_t));  // non-NULL even when empty
    *n_out = e.n_out;
    return 0;
}
