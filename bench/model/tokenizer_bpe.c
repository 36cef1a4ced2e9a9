// Byte-level BPE (tokenizer.ggml.model "gpt2"): the pre-tokenizer regexes split the text into
// pre-tokens; each pre-token starts as the tokens of its bytes' GPT-2 unicode characters, which
// merges then join, lowest rank first.
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/base/utf8.h"
#include "bench/model/tokenizer_internal.h"

int tok_bpe_begin(tok_enc *e) {
    e->md = pcre2_match_data_create(1, NULL);
    e->mctx = pcre2_match_context_create(NULL);
    // JIT's default 32 KiB stack can be too small for very long pieces.
    e->jstack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, NULL);
    if (!e->md || !e->mctx || !e->jstack) return pcb_fail("tokenizer_encode: out of memory creating PCRE2 match data");
    pcre2_jit_stack_assign(e->mctx, NULL, e->jstack);
    return 0;
}

void tok_bpe_end(tok_enc *e) {
    free(e->cache);
    free(e->cache_ids);
    if (e->md) pcre2_match_data_free(e->md);
    if (e->mctx) pcre2_match_context_free(e->mctx);
    if (e->jstack) pcre2_jit_stack_free(e->jstack);
}

static void bpe_try(tok_enc *e, int32_t l, int32_t r) {
    int32_t res, rank = tok_merge_lookup(e->t, e->sym[l], e->sym[r], &res);
    if (rank >= 0) tok_heap_push(e, (tok_cand){.key = rank, .l = l, .r = r, .a = e->sym[l], .b = e->sym[r], .c = res});
}

// Lowest-rank-first merging over a linked list of symbols with a heap of candidate pairs:
// O(n log n), so a pre-token of 10,000 spaces is no problem. Stale candidates are skipped.
static void bpe_word(tok_enc *e, const unsigned char *p, size_t n) {
    const tokenizer *t = e->t;
    tok_reserve_syms(e, n);
    int32_t m = 0;
    for (size_t i = 0; i < n; i++) {
        // Bytes missing from the vocabulary (SmolLM2 lacks 21, e.g. 0x04 and 0xC0) are dropped,
        // as HF's BPE without unk_token and llama.cpp do.
        int32_t id = t->byte_id[p[i]];
        if (id >= 0) e->sym[m++] = id;
    }
    if (m == 0) return;
    for (int32_t i = 0; i < m; i++) {
        e->prev[i] = i - 1;
        e->next[i] = i + 1 < m ? i + 1 : -1;
    }
    e->n_heap = 0;
    for (int32_t i = 0; i + 1 < m; i++) bpe_try(e, i, i + 1);
    while (e->n_heap) {
        tok_cand c = tok_heap_pop(e);
        if (e->sym[c.l] != c.a || e->sym[c.r] != c.b || e->next[c.l] != c.r) continue;
        e->sym[c.l] = c.c;
        e->sym[c.r] = -1;
        int32_t nx = e->next[c.r];
        e->next[c.l] = nx;
        if (nx >= 0) e->prev[nx] = c.l;
        if (e->prev[c.l] >= 0) bpe_try(e, e->prev[c.l], c.l);
        if (nx >= 0) bpe_try(e, c.l, nx);
    }
    for (int32_t i = 0; i >= 0; i = e->next[i]) tok_push_id(e, e->sym[i]);  // symbol 0 is never merged away
}

static void bpe_word_cached(tok_enc *e, const char *p, size_t n) {
    if (n > 256) {
        bpe_word(e, (const unsigned char *)p, n);
        return;
    }                                          // long runs rarely repeat
    if (e->cache_used * 2 >= e->cache_mask) {  // grow (also the first allocation)
        uint32_t old = e->cache ? e->cache_mask + 1 : 0, size = old ? 2 * old : 4096;
        tok_cache_ent *oc = e->cache, *nc = pcb_calloc(size, sizeof *nc);
        for (uint32_t i = 0; i < old; i++) {
            if (!e->cache[i].p) continue;
            uint32_t j = (uint32_t)tok_hash_bytes(e->cache[i].p, e->cache[i].n) & (size - 1);
            while (nc[j].p) j = (j + 1) & (size - 1);
            nc[j] = e->cache[i];
        }
        free(oc);
        e->cache = nc;
        e->cache_mask = size - 1;
    }
    uint32_t j = (uint32_t)tok_hash_bytes(p, n) & e->cache_mask;
    for (; e->cache[j].p; j = (j + 1) & e->cache_mask) {
        if (e->cache[j].n == n && memcmp(e->cache[j].p, p, n) == 0) {
            for (uint32_t k = 0; k < e->cache[j].cnt; k++) tok_push_id(e, e->cache_ids[e->cache[j].off + k]);
            return;
        }
    }
    size_t before = e->n_out;
    bpe_word(e, (const unsigned char *)p, n);
    size_t cnt = e->n_out - before;
    if (e->n_cache_ids + cnt > e->cap_cache_ids) {
        e->cap_cache_ids = 2 * (e->n_cache_ids + cnt) + 1024;
        e->cache_ids = pcb_realloc(e->cache_ids, e->cap_cache_ids * sizeof(int32_t));
    }
    memcpy(e->cache_ids + e->n_cache_ids, e->out + before, cnt * sizeof(int32_t));
    e->cache[j].p = p;
    e->cache[j].n = (uint32_t)n;
    e->cache[j].off = (uint32_t)e->n_cache_ids;
    e->cache[j].cnt = (uint32_t)cnt;
    e->n_cache_ids += cnt;
    e->cache_used++;
}

// Applies pre-tokenizer regex `level` to p[0..n): matches and the gaps between them are both
// pre-tokens (HF Split "isolated"), each passed on to the next level, the last level to BPE.
// The subject ends at n, so lookaheads like \s+(?!\S) see the end of this piece, as in HF.
static int pretok(tok_enc *e, int level, const char *p, size_t n) {
    const tokenizer *t = e->t;
    if (n == 0) return 0;
    if (level == t->n_re) {
        bpe_word_cached(e, p, n);
        return 0;
    }
    size_t pos = 0;
    while (pos < n) {
        int rc = pcre2_match(t->re[level], (PCRE2_SPTR)p, n, pos, 0, e->md, e->mctx);
        if (rc == PCRE2_ERROR_NOMATCH) break;
        if (rc < 0) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(rc, msg, sizeof msg);
            return pcb_fail("tokenizer: pre-tokenizer regex failed at byte %zu of a %zu-byte piece: %s", pos, n,
                            (char *)msg);
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(e->md);
        size_t s = ov[0], end = ov[1];
        if (end <= s) {  // empty match (our patterns have none): step over one character
            if (s >= n) break;
            end = s + utf8_len((const unsigned char *)p + s, n - s);
        }
        if (s > pos && pretok(e, level + 1, p + pos, s - pos)) return -1;
        if (pretok(e, level + 1, p + s, end - s)) return -1;
        pos = end;
    }
    return pretok(e, level + 1, p + pos, n - pos);
}

int tok_bpe_text(tok_enc *e, const char *p, size_t n) { return pretok(e, 0, p, n); }
