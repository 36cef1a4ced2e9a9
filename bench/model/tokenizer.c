// Tokenizers read from GGUF metadata: byte-level BPE ("gpt2") and SentencePiece-style BPE
// ("llama"). The behaviour follows Hugging Face `tokenizers` (the reference for the golden test)
// and llama.cpp where HF has no equivalent (parse_special, SPM space prefix after specials).
// This file loads a tokenizer and builds its lookup tables; tokenizer_internal.h lists the others.
#include "bench/model/tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/base/utf8.h"
#include "bench/model/tokenizer_internal.h"

#define MAX_VOCAB (1 << 24)  // far beyond any real vocabulary; bounds hash-table sizes

// ---------------------------------------------------------------------------------------------
// Hash tables

uint64_t tok_hash_bytes(const char *p, size_t n) {
    uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

static uint64_t hash_u64(uint64_t x) {  // splitmix64 finaliser
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint32_t table_size(uint64_t n) {  // power of two, load factor <= 1/2
    uint32_t s = 16;
    while (s < 2 * n) s <<= 1;
    return s;
}

int32_t tok_vocab_lookup(const tokenizer *t, const char *p, size_t n) {
    for (uint32_t i = (uint32_t)tok_hash_bytes(p, n) & t->vmask;; i = (i + 1) & t->vmask) {
        int32_t s = t->vslot[i];
        if (!s) return -1;
        if (t->len[s - 1] == n && memcmp(tok_text(t, s - 1), p, n) == 0) return s - 1;
    }
}

static void vocab_build(tokenizer *t) {
    uint32_t size = table_size((uint64_t)t->n_vocab);
    t->vslot = pcb_calloc(size, sizeof(int32_t));
    t->vmask = size - 1;
    for (int32_t id = 0; id < t->n_vocab; id++) {
        const char *p = tok_text(t, id);
        uint32_t i = (uint32_t)tok_hash_bytes(p, t->len[id]) & t->vmask;
        for (;; i = (i + 1) & t->vmask) {
            int32_t s = t->vslot[i];
            if (!s) {
                t->vslot[i] = id + 1;
                break;
            }
            if (t->len[s - 1] == t->len[id] && memcmp(tok_text(t, s - 1), p, t->len[id]) == 0)
                break;  // duplicate: first id wins
        }
    }
}

int tok_merge_lookup(const tokenizer *t, int32_t a, int32_t b, int32_t *res) {
    uint64_t key = (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
    for (uint32_t i = (uint32_t)hash_u64(key) & t->mmask;; i = (i + 1) & t->mmask) {
        if (t->mrank[i] < 0) return -1;
        if (t->mkey[i] == key) {
            *res = t->mres[i];
            return t->mrank[i];
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Loading

static int is_bpe_type(int type) {
    return type == TT_NORMAL || type == TT_UNDEFINED || type == TT_USER || type == TT_UNUSED;
}

static int get_bool(const gguf_file *g, const char *key, int *out) {
    const gguf_kv *kv = gguf_find_kv(g, key);
    if (!kv) return 0;
    if (kv->type == GGUF_VAL_BOOL) *out = kv->v.b;
    else {
        uint64_t u;
        if (gguf_get_u64(g, key, &u, 0))
            return pcb_fail("%s: metadata '%s' has type %s, expected a bool", g->path, key,
                            gguf_value_type_name(kv->type));
        *out = u != 0;
    }
    return 0;
}

static int get_id(const gguf_file *g, const tokenizer *t, const char *key, int32_t *out) {
    *out = -1;
    if (!gguf_find_kv(g, key)) return 0;
    uint64_t u;
    if (gguf_get_u64(g, key, &u, 1)) return -1;
    // Some converters write -1 as uint32 for "none".
    if (u == 0xFFFFFFFFull) return 0;
    if (u >= (uint64_t)t->n_vocab)
        return pcb_fail("%s: metadata '%s' = %llu is outside the vocabulary (%d tokens)", g->path, key,
                        (unsigned long long)u, t->n_vocab);
    *out = (int32_t)u;
    return 0;
}

static const gguf_kv *get_array(const gguf_file *g, const char *key, int required, uint64_t n_expect,
                                gguf_value_type t1, gguf_value_type t2, int *err) {
    *err = 0;
    const gguf_kv *kv = gguf_find_kv(g, key);
    if (!kv) {
        if (required) *err = pcb_fail("%s: required metadata key '%s' is missing", g->path, key);
        return NULL;
    }
    if (kv->type != GGUF_VAL_ARRAY || (kv->elem_type != t1 && kv->elem_type != t2)) {
        *err =
            pcb_fail("%s: metadata '%s' has type %s%s%s, expected an array of %s", g->path, key,
                     gguf_value_type_name(kv->type), kv->type == GGUF_VAL_ARRAY ? " of " : "",
                     kv->type == GGUF_VAL_ARRAY ? gguf_value_type_name(kv->elem_type) : "", gguf_value_type_name(t1));
        return NULL;
    }
    if (n_expect && kv->n != n_expect) {
        *err = pcb_fail("%s: metadata '%s' has %llu entries but the vocabulary has %llu tokens", g->path, key,
                        (unsigned long long)kv->n, (unsigned long long)n_expect);
        return NULL;
    }
    return kv;
}

// Whitespace as HF's regex engine (Oniguruma) and Rust define it: Unicode White_Space. PCRE2's
// \s would also match U+180E.
#define WS "\\t-\\r \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}"
static const char RE_GPT2[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^" WS "\\p{L}\\p{N}]+|[" WS "]+(?![^" WS "])|[" WS "]+";
#define RE_LLAMA3_(NUM)                                                          \
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|" NUM "| ?[^" WS \
    "\\p{L}\\p{N}]+[\\r\\n]*"                                                    \
    "|[" WS "]*[\\r\\n]+|[" WS "]+(?![^" WS "])|[" WS "]+"
static const char RE_LLAMA3[] = RE_LLAMA3_("\\p{N}{1,3}");
static const char RE_QWEN2[] = RE_LLAMA3_("\\p{N}");
static const char RE_DIGIT[] = "\\p{N}";  // HF Digits(individual_digits=True)

static int add_regex(tokenizer *t, const char *pat, const gguf_file *g) {
    int err;
    PCRE2_SIZE erroff;
    uint32_t opts = PCRE2_UTF | PCRE2_UCP;
#ifdef PCRE2_MATCH_INVALID_UTF
    opts |= PCRE2_MATCH_INVALID_UTF;  // byte-level BPE encodes any bytes: invalid UTF-8 just never matches
#endif
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, opts, &err, &erroff, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        return pcb_fail("%s: tokenizer: cannot compile pre-tokenizer regex at offset %zu: %s", g->path, (size_t)erroff,
                        (char *)msg);
    }
    (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);  // falls back to the interpreter when JIT is unavailable
    t->re[t->n_re++] = re;
    return 0;
}

static int cmp_spec_ctx_len(const tokenizer *t, int32_t a, int32_t b) {
    unsigned char fa = t->len[a] ? (unsigned char)tok_text(t, a)[0] : 0,
                  fb = t->len[b] ? (unsigned char)tok_text(t, b)[0] : 0;
    if (fa != fb) return fa < fb ? -1 : 1;
    if (t->len[a] != t->len[b]) return t->len[a] > t->len[b] ? -1 : 1;
    return a < b ? -1 : a > b;
}

static void sort_specials(tokenizer *t) {  // insertion sort: few specials
    for (int i = 1; i < t->n_spec; i++) {
        int32_t x = t->spec[i];
        int j = i;
        for (; j > 0 && cmp_spec_ctx_len(t, t->spec[j - 1], x) > 0; j--) t->spec[j] = t->spec[j - 1];
        t->spec[j] = x;
    }
    int k = 0;
    for (int c = 0; c <= 256; c++) {
        while (k < t->n_spec && (unsigned char)tok_text(t, t->spec[k])[0] < c) k++;
        t->spec_start[c] = k;
    }
}

static int load_merges(tokenizer *t, const gguf_file *g) {
    int err;
    const gguf_kv *kv = get_array(g, "tokenizer.ggml.merges", 1, 0, GGUF_VAL_STRING, GGUF_VAL_STRING, &err);
    if (!kv) return -1;
    if (kv->n > (uint64_t)MAX_VOCAB * 4)
        return pcb_fail("%s: metadata 'tokenizer.ggml.merges' has an implausible %llu entries", g->path,
                        (unsigned long long)kv->n);
    uint32_t size = table_size(kv->n);
    t->mmask = size - 1;
    t->mkey = pcb_malloc((size_t)size * sizeof(uint64_t));
    t->mres = pcb_malloc((size_t)size * sizeof(int32_t));
    t->mrank = pcb_malloc((size_t)size * sizeof(int32_t));
    memset(t->mrank, 0xFF, (size_t)size * sizeof(int32_t));
    char *buf = NULL;
    size_t cap = 0;
    for (uint64_t r = 0; r < kv->n; r++) {
        gguf_str s = kv->strs[r];
        // Split at the first space after the first byte (the left part is never empty).
        const char *sp = s.len > 1 ? memchr(s.ptr + 1, ' ', (size_t)s.len - 1) : NULL;
        if (!sp || sp == s.ptr + s.len - 1) {
            free(buf);
            return pcb_fail(
                "%s: metadata 'tokenizer.ggml.merges' entry %llu ('%.*s') is not two tokens separated by a space",
                g->path, (unsigned long long)r, (int)(s.len > 80 ? 80 : s.len), s.ptr);
        }
        size_t la = (size_t)(sp - s.ptr), lb = (size_t)s.len - la - 1;
        int32_t a = tok_vocab_lookup(t, s.ptr, la), b = tok_vocab_lookup(t, sp + 1, lb);
        if (la + lb > cap) {
            cap = 2 * (la + lb);
            buf = pcb_realloc(buf, cap);
        }
        memcpy(buf, s.ptr, la);
        memcpy(buf + la, sp + 1, lb);
        int32_t c = tok_vocab_lookup(t, buf, la + lb);
        // Merges whose parts or result are not (ordinary) tokens can never apply: skip, as llama.cpp does.
        if (a < 0 || b < 0 || c < 0 || !is_bpe_type(t->type[c])) continue;
        uint64_t key = (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
        for (uint32_t i = (uint32_t)hash_u64(key) & t->mmask;; i = (i + 1) & t->mmask) {
            if (t->mrank[i] < 0) {
                t->mkey[i] = key;
                t->mrank[i] = (int32_t)r;
                t->mres[i] = c;
                break;
            }
            if (t->mkey[i] == key) break;  // duplicate pair: the lower rank stays
        }
    }
    free(buf);
    return 0;
}

tokenizer *tokenizer_from_gguf(const gguf_file *g) {
    tokenizer *t = pcb_calloc(1, sizeof *t);
    char model[64], pre[64];
    int err;
    if (gguf_get_str(g, "tokenizer.ggml.model", model, sizeof model, 1)) goto fail;
    if (!strcmp(model, "gpt2")) t->kind = KIND_BPE;
    else if (!strcmp(model, "llama")) t->kind = KIND_SPM;
    else {
        pcb_fail("%s: metadata 'tokenizer.ggml.model' = '%s' is not supported (supported: gpt2, llama)", g->path,
                 model);
        goto fail;
    }

    const gguf_kv *toks = get_array(g, "tokenizer.ggml.tokens", 1, 0, GGUF_VAL_STRING, GGUF_VAL_STRING, &err);
    if (!toks) goto fail;
    if (toks->n == 0 || toks->n > MAX_VOCAB) {
        pcb_fail("%s: metadata 'tokenizer.ggml.tokens' has %llu entries (expected 1..%d)", g->path,
                 (unsigned long long)toks->n, MAX_VOCAB);
        goto fail;
    }
    t->n_vocab = (int32_t)toks->n;
    t->off = pcb_malloc((size_t)t->n_vocab * sizeof(uint64_t));
    t->len = pcb_malloc((size_t)t->n_vocab * sizeof(uint32_t));
    uint64_t total = 0;
    for (int32_t i = 0; i < t->n_vocab; i++) {
        if (toks->strs[i].len > 65536) {
            pcb_fail("%s: metadata 'tokenizer.ggml.tokens' entry %d is %llu bytes long", g->path, i,
                     (unsigned long long)toks->strs[i].len);
            goto fail;
        }
        t->off[i] = total;
        t->len[i] = (uint32_t)toks->strs[i].len;
        total += toks->strs[i].len + 1;
    }
    t->arena = pcb_malloc((size_t)total);
    for (int32_t i = 0; i < t->n_vocab; i++) {
        memcpy(t->arena + t->off[i], toks->strs[i].ptr, t->len[i]);
        t->arena[t->off[i] + t->len[i]] = 0;
    }

    t->type = pcb_malloc((size_t)t->n_vocab);
    memset(t->type, TT_NORMAL, (size_t)t->n_vocab);
    const gguf_kv *tt = get_array(g, "tokenizer.ggml.token_type", 0, toks->n, GGUF_VAL_INT32, GGUF_VAL_UINT32, &err);
    if (err) goto fail;
    if (tt) {
        for (int32_t i = 0; i < t->n_vocab; i++) {
            int32_t v;
            memcpy(&v, tt->raw + 4 * (size_t)i, 4);
            if (v < 0 || v > TT_BYTE) {
                pcb_fail("%s: metadata 'tokenizer.ggml.token_type' entry %d has invalid type %d (0..6)", g->path, i, v);
                goto fail;
            }
            t->type[i] = (uint8_t)v;
        }
    }
    const gguf_kv *sc = get_array(g, "tokenizer.ggml.scores", 0, toks->n, GGUF_VAL_FLOAT32, GGUF_VAL_FLOAT32, &err);
    if (err) goto fail;
    if (sc) {
        t->score = pcb_malloc((size_t)t->n_vocab * sizeof(float));
        memcpy(t->score, sc->raw, (size_t)t->n_vocab * sizeof(float));
    }
    vocab_build(t);

    if (get_id(g, t, "tokenizer.ggml.bos_token_id", &t->bos) || get_id(g, t, "tokenizer.ggml.eos_token_id", &t->eos) ||
        get_id(g, t, "tokenizer.ggml.unknown_token_id", &t->unk))
        goto fail;
    // llama.cpp defaults: SentencePiece vocabularies add BOS and a leading space; GPT-2 ones neither.
    t->add_bos = t->kind == KIND_SPM;
    t->add_space_prefix = t->kind == KIND_SPM;
    if (get_bool(g, "tokenizer.ggml.add_bos_token", &t->add_bos) ||
        get_bool(g, "tokenizer.ggml.add_space_prefix", &t->add_space_prefix))
        goto fail;

    if (t->kind == KIND_BPE) {
        for (int i = 0; i < 324; i++) t->cp_byte[i] = -1;
        for (unsigned b = 0; b < 256; b++) t->cp_byte[gpt2_byte_to_cp(b)] = (int16_t)b;
        for (unsigned b = 0; b < 256; b++) {
            char u[4];
            size_t n = utf8_put(u, gpt2_byte_to_cp(b));
            t->byte_id[b] = tok_vocab_lookup(t, u, n);
        }
        if (load_merges(t, g)) goto fail;
        if (gguf_find_kv(g, "tokenizer.ggml.pre")) {
            if (gguf_get_str(g, "tokenizer.ggml.pre", pre, sizeof pre, 1)) goto fail;
        } else {
            strcpy(pre, "default");
        }
        int rc;
        if (!strcmp(pre, "smollm")) rc = add_regex(t, RE_DIGIT, g) || add_regex(t, RE_GPT2, g);
        else if (!strcmp(pre, "gpt2") || !strcmp(pre, "default")) rc = add_regex(t, RE_GPT2, g);
        else if (!strcmp(pre, "llama-bpe") || !strcmp(pre, "llama3")) rc = add_regex(t, RE_LLAMA3, g);
        else if (!strcmp(pre, "qwen2")) rc = add_regex(t, RE_QWEN2, g);
        else {
            pcb_fail(
                "%s: metadata 'tokenizer.ggml.pre' = '%s' is not a known pre-tokenizer (supported: smollm, gpt2, "
                "default, "
                "llama-bpe, llama3, qwen2)",
                g->path, pre);
            goto fail;
        }
        if (rc) goto fail;
    } else {
        for (unsigned b = 0; b < 256; b++) {
            char name[8];
            snprintf(name, sizeof name, "<0x%02X>", b);
            t->byte_id[b] = tok_vocab_lookup(t, name, 6);
        }
    }

    t->spec = pcb_malloc((size_t)t->n_vocab * sizeof(int32_t));
    for (int32_t i = 0; i < t->n_vocab; i++)
        if ((t->type[i] == TT_CONTROL || t->type[i] == TT_USER) && t->len[i] > 0) t->spec[t->n_spec++] = i;
    sort_specials(t);

    const gguf_kv *tpl = gguf_find_kv(g, "tokenizer.chat_template");
    if (tpl && tpl->type == GGUF_VAL_STRING)
        t->default_system = tok_default_system(tpl->v.str.ptr, (size_t)tpl->v.str.len);
    return t;
fail:
    tokenizer_free(t);
    return NULL;
}

void tokenizer_free(tokenizer *t) {
    if (!t) return;
    for (int i = 0; i < t->n_re; i++) pcre2_code_free(t->re[i]);
    free(t->arena);
    free(t->off);
    free(t->len);
    free(t->type);
    free(t->score);
    free(t->vslot);
    free(t->mkey);
    free(t->mrank);
    free(t->mres);
    free(t->spec);
    free(t->default_system);
    free(t);
}

int tokenizer_vocab_size(const tokenizer *t) { return t->n_vocab; }
int32_t tokenizer_bos(const tokenizer *t) { return t->bos; }
int32_t tokenizer_eos(const tokenizer *t) { return t->eos; }
int tokenizer_add_bos(const tokenizer *t) { return t->add_bos; }
int32_t tokenizer_find(const tokenizer *t, const char *piece) { return tok_vocab_lookup(t, piece, strlen(piece)); }
int tokenizer_stop_ids(const tokenizer *t, int32_t out[2]) {
    int n = 0;
    if (t->eos >= 0) out[n++] = t->eos;
    int32_t im_end = tokenizer_find(t, "<|im_end|>");
    if (im_end >= 0 && im_end != t->eos) out[n++] = im_end;
    return n;
}

int tokenizer_is_control(const tokenizer *t, int32_t id) {
    return id >= 0 && id < t->n_vocab && t->type[id] == TT_CONTROL;
}
