// Private to the tokenizer's files: the tokenizer struct, its lookup tables and the encoder's
// scratch state. The public API is tokenizer.h.
//   tokenizer.c         loading from GGUF (vocab, types, merges, specials, pre-tokenizer regexes),
//                       lookup tables, getters, tokenizer_free
//   tokenizer_encode.c  tokenizer_encode: special-token splitting, encoder state, merge heap
//   tokenizer_bpe.c     byte-level BPE: pre-tokenizer regexes, word cache, rank-order merging
//   tokenizer_spm.c     SentencePiece-style BPE
//   tokenizer_decode.c  tokenizer_decode
//   chat_prompt.c       tokenizer_chat_prompt and the template's default system message
#ifndef PCB_TOKENIZER_INTERNAL_H
#define PCB_TOKENIZER_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/model/tokenizer.h"

// llama.cpp token types (tokenizer.ggml.token_type).
enum { TT_UNDEFINED = 0, TT_NORMAL = 1, TT_UNKNOWN = 2, TT_CONTROL = 3, TT_USER = 4, TT_UNUSED = 5, TT_BYTE = 6 };
enum { KIND_BPE, KIND_SPM };

#define MAX_RE 2

struct tokenizer {
    int kind;
    int32_t n_vocab;
    char *arena;  // token texts, each NUL-terminated (texts may contain NULs)
    uint64_t *off;
    uint32_t *len;
    uint8_t *type;
    float *score;    // SPM merge priority (NULL: all 0)
    int32_t *vslot;  // vocab hash: id+1 per slot, 0 = empty
    uint32_t vmask;
    uint64_t *mkey;         // merge hash (BPE): (left id << 32 | right id) -> rank, result
    int32_t *mrank, *mres;  // mrank -1 = empty slot
    uint32_t mmask;
    int16_t cp_byte[324];  // BPE: inverse of gpt2_byte_to_cp (U+0000..U+0143), -1 elsewhere
    int32_t byte_id[256];  // BPE: id of the byte's GPT-2 unicode char; SPM: id of <0xXX>
    int32_t bos, eos, unk;
    int add_bos, add_space_prefix;
    pcre2_code *re[MAX_RE];  // pre-tokenizer splits, applied in sequence (HF Sequence)
    int n_re;
    int32_t *spec;  // control + user-defined ids, by (first byte, length desc)
    int n_spec;
    int spec_start[257];
    char *default_system;  // from the chat template; NULL when it injects none
};

static inline const char *tok_text(const tokenizer *t, int32_t id) { return t->arena + t->off[id]; }

// Lookup tables (tokenizer.c).
uint64_t tok_hash_bytes(const char *p, size_t n);
// Id of the token whose text is p[0..n), or -1.
int32_t tok_vocab_lookup(const tokenizer *t, const char *p, size_t n);
// Rank of the merge (a, b) with its result in *res, or -1 when there is none.
int tok_merge_lookup(const tokenizer *t, int32_t a, int32_t b, int32_t *res);

// ---------------------------------------------------------------------------------------------
// Encoder state for one tokenizer_encode call (tokenizer_encode.c)

typedef struct {
    double key;       // BPE: merge rank; SPM: -score (min-heap either way)
    int32_t l, r;     // left / right symbol index
    int32_t a, b, c;  // BPE: left id, right id, merged id; SPM: left len, right len
} tok_cand;

typedef struct {
    const char *p;
    uint32_t n, off, cnt;
} tok_cache_ent;

typedef struct {
    const tokenizer *t;
    int32_t *out;
    size_t n_out, cap_out;
    int32_t *sym, *next, *prev, *start;
    size_t cap_sym;
    tok_cand *heap;
    size_t n_heap, cap_heap;
    char *buf;
    size_t cap_buf;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jstack;
    // Word cache: pre-token bytes (pointing into the input) -> ids in `cache_ids`. Text repeats
    // words constantly, so most pre-tokens skip BPE entirely.
    tok_cache_ent *cache;
    uint32_t cache_mask, cache_used;
    int32_t *cache_ids;
    size_t n_cache_ids, cap_cache_ids;
} tok_enc;

void tok_push_id(tok_enc *e, int32_t id);
// Room for n symbols in sym / next / prev / start.
void tok_reserve_syms(tok_enc *e, size_t n);
// Min-heap of merge candidates (ties: leftmost first).
void tok_heap_push(tok_enc *e, tok_cand c);
tok_cand tok_heap_pop(tok_enc *e);

// Byte-level BPE (tokenizer_bpe.c). tok_bpe_begin creates the PCRE2 match state (0, or -1 with
// the error set); tok_bpe_end frees it and the word cache (also after a failed begin).
int tok_bpe_begin(tok_enc *e);
void tok_bpe_end(tok_enc *e);
int tok_bpe_text(tok_enc *e, const char *p, size_t n);

// SentencePiece-style BPE (tokenizer_spm.c); prefix: start with a space (U+2581).
void tok_spm_text(tok_enc *e, const char *p, size_t n, int prefix);

// Growable NUL-terminated string (decode, chat prompt).
typedef struct {
    char *p;
    size_t n, cap;
} tok_sbuf;

static inline void tok_sb_put(tok_sbuf *s, const char *p, size_t n) {
    if (s->n + n + 1 > s->cap) {
        s->cap = 2 * (s->n + n + 1) + 64;
        s->p = pcb_realloc(s->p, s->cap);
    }
    memcpy(s->p + s->n, p, n);
    s->n += n;
    s->p[s->n] = 0;
}

// Default system message from a chat template, malloc'ed, or NULL (chat_prompt.c).
char *tok_default_system(const char *tpl, size_t n);

#endif
