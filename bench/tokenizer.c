// Tokenizers read from GGUF metadata: byte-level BPE ("gpt2") and SentencePiece-style BPE
// ("llama"). The behaviour follows Hugging Face `tokenizers` (the reference for the golden test)
// and llama.cpp where HF has no equivalent (parse_special, SPM space prefix after specials).
#include "tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

// llama.cpp token types (tokenizer.ggml.token_type).
enum { TT_UNDEFINED = 0, TT_NORMAL = 1, TT_UNKNOWN = 2, TT_CONTROL = 3, TT_USER = 4, TT_UNUSED = 5, TT_BYTE = 6 };
enum { KIND_BPE, KIND_SPM };

#define MAX_RE 2
#define MAX_VOCAB (1 << 24)   // far beyond any real vocabulary; bounds hash-table sizes

struct tokenizer {
    int kind;
    int32_t n_vocab;
    char *arena;                // token texts, each NUL-terminated (texts may contain NULs)
    uint64_t *off;
    uint32_t *len;
    uint8_t *type;
    float *score;               // SPM merge priority (NULL: all 0)
    int32_t *vslot;             // vocab hash: id+1 per slot, 0 = empty
    uint32_t vmask;
    uint64_t *mkey;             // merge hash (BPE): (left id << 32 | right id) -> rank, result
    int32_t *mrank, *mres;      // mrank -1 = empty slot
    uint32_t mmask;
    int16_t cp_byte[324];       // BPE: inverse of byte_to_cp (U+0000..U+0143), -1 elsewhere
    int32_t byte_id[256];       // BPE: id of the byte's GPT-2 unicode char; SPM: id of <0xXX>
    int32_t bos, eos, unk;
    int add_bos, add_space_prefix;
    pcre2_code *re[MAX_RE];     // pre-tokenizer splits, applied in sequence (HF Sequence)
    int n_re;
    int32_t *spec;              // control + user-defined ids, by (first byte, length desc)
    int n_spec;
    int spec_start[257];
    char *default_system;       // from the chat template; NULL when it injects none
};

// ---------------------------------------------------------------------------------------------
// UTF-8 and the GPT-2 byte <-> unicode table

static size_t utf8_put(char *o, uint32_t cp) {
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | cp >> 6); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12); o[1] = (char)(0x80 | (cp >> 6 & 0x3F)); o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18); o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

// Length of the UTF-8 sequence starting at p (1 for invalid bytes, so any input advances).
static size_t utf8_len(const unsigned char *p, size_t avail) {
    size_t n = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : (*p >> 3) == 30 ? 4 : 1;
    if (n > avail) return 1;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80) return 1;
    return n;
}

// Decodes one code point; returns its length, or 0 when p does not start a valid sequence.
static size_t utf8_get(const unsigned char *p, size_t avail, uint32_t *cp) {
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
static uint32_t byte_to_cp(unsigned b) {
    if ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174)) return b;
    uint32_t n = 0;
    for (unsigned x = 0; x < b; x++)
        if (!((x >= 33 && x <= 126) || (x >= 161 && x <= 172) || (x >= 174))) n++;
    return 256 + n;
}


// ---------------------------------------------------------------------------------------------
// Hash tables

static uint64_t hash_bytes(const char *p, size_t n) {
    uint64_t h = 1469598103934665603ull;   // FNV-1a
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

static uint64_t hash_u64(uint64_t x) {   // splitmix64 finaliser
    x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27; x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint32_t table_size(uint64_t n) {   // power of two, load factor <= 1/2
    uint32_t s = 16;
    while (s < 2 * n) s <<= 1;
    return s;
}

static const char *tok_text(const tokenizer *t, int32_t id) { return t->arena + t->off[id]; }

static int32_t vocab_lookup(const tokenizer *t, const char *p, size_t n) {
    for (uint32_t i = (uint32_t)hash_bytes(p, n) & t->vmask;; i = (i + 1) & t->vmask) {
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
        uint32_t i = (uint32_t)hash_bytes(p, t->len[id]) & t->vmask;
        for (;; i = (i + 1) & t->vmask) {
            int32_t s = t->vslot[i];
            if (!s) { t->vslot[i] = id + 1; break; }
            if (t->len[s - 1] == t->len[id] && memcmp(tok_text(t, s - 1), p, t->len[id]) == 0) break;   // duplicate: first id wins
        }
    }
}

static int merge_lookup(const tokenizer *t, int32_t a, int32_t b, int32_t *res) {
    uint64_t key = (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
    for (uint32_t i = (uint32_t)hash_u64(key) & t->mmask;; i = (i + 1) & t->mmask) {
        if (t->mrank[i] < 0) return -1;
        if (t->mkey[i] == key) { *res = t->mres[i]; return t->mrank[i]; }
    }
}

// ---------------------------------------------------------------------------------------------
// Loading

static int is_bpe_type(int type) { return type == TT_NORMAL || type == TT_UNDEFINED || type == TT_USER || type == TT_UNUSED; }

static int get_bool(const gguf_file *g, const char *key, int *out) {
    const gguf_kv *kv = gguf_find_kv(g, key);
    if (!kv) return 0;
    if (kv->type == GGUF_VAL_BOOL) *out = kv->v.b;
    else {
        uint64_t u;
        if (gguf_get_u64(g, key, &u, 0)) return pcb_fail("%s: metadata '%s' has type %s, expected a bool", g->path, key, gguf_value_type_name(kv->type));
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
        return pcb_fail("%s: metadata '%s' = %llu is outside the vocabulary (%d tokens)", g->path, key, (unsigned long long)u, t->n_vocab);
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
        *err = pcb_fail("%s: metadata '%s' has type %s%s%s, expected an array of %s", g->path, key, gguf_value_type_name(kv->type),
                        kv->type == GGUF_VAL_ARRAY ? " of " : "", kv->type == GGUF_VAL_ARRAY ? gguf_value_type_name(kv->elem_type) : "",
                        gguf_value_type_name(t1));
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
#define RE_LLAMA3_(NUM)                                                                         \
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|" NUM "| ?[^" WS "\\p{L}\\p{N}]+[\\r\\n]*" \
    "|[" WS "]*[\\r\\n]+|[" WS "]+(?![^" WS "])|[" WS "]+"
static const char RE_LLAMA3[] = RE_LLAMA3_("\\p{N}{1,3}");
static const char RE_QWEN2[] = RE_LLAMA3_("\\p{N}");
static const char RE_DIGIT[] = "\\p{N}";   // HF Digits(individual_digits=True)

static int add_regex(tokenizer *t, const char *pat, const gguf_file *g) {
    int err;
    PCRE2_SIZE erroff;
    uint32_t opts = PCRE2_UTF | PCRE2_UCP;
#ifdef PCRE2_MATCH_INVALID_UTF
    opts |= PCRE2_MATCH_INVALID_UTF;   // byte-level BPE encodes any bytes: invalid UTF-8 just never matches
#endif
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, opts, &err, &erroff, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        return pcb_fail("%s: tokenizer: cannot compile pre-tokenizer regex at offset %zu: %s", g->path, (size_t)erroff, (char *)msg);
    }
    (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);   // falls back to the interpreter when JIT is unavailable
    t->re[t->n_re++] = re;
    return 0;
}

static int cmp_spec_ctx_len(const tokenizer *t, int32_t a, int32_t b) {
    unsigned char fa = t->len[a] ? (unsigned char)tok_text(t, a)[0] : 0, fb = t->len[b] ? (unsigned char)tok_text(t, b)[0] : 0;
    if (fa != fb) return fa < fb ? -1 : 1;
    if (t->len[a] != t->len[b]) return t->len[a] > t->len[b] ? -1 : 1;
    return a < b ? -1 : a > b;
}

static void sort_specials(tokenizer *t) {   // insertion sort: few specials
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

// Default system message: the string literal '<|im_start|>system\n...<|im_end|>' that templates
// such as SmolLM2's emit when the conversation has no system turn. A literal that is closed
// before <|im_end|> (e.g. '<|im_start|>system\n' + message['content']) is the rendering of a
// given system message, not a default, and is skipped.
static char *extract_default_system(const char *tpl, size_t n) {
    static const char head[] = "<|im_start|>system", tail[] = "<|im_end|>";
    const size_t hl = sizeof head - 1, tl = sizeof tail - 1;
    for (size_t i = 1; i + hl <= n; i++) {
        if (memcmp(tpl + i, head, hl) != 0) continue;
        char q = tpl[i - 1];
        if (q != '\'' && q != '"') continue;
        size_t p = i + hl;
        if (p < n && tpl[p] == '\n') p += 1;                                  // real newline in the GGUF
        else if (p + 1 < n && tpl[p] == '\\' && tpl[p + 1] == 'n') p += 2;    // escaped, as in the jinja source
        else continue;
        size_t e = p;
        while (e + tl <= n && memcmp(tpl + e, tail, tl) != 0 && tpl[e] != q) e += tpl[e] == '\\' ? 2 : 1;
        if (e + tl > n || tpl[e] == q) continue;
        char *out = pcb_malloc(e - p + 1), *o = out;
        for (size_t k = p; k < e; k++) {
            if (tpl[k] == '\\' && k + 1 < e) {
                char c = tpl[++k];
                *o++ = c == 'n' ? '\n' : c == 't' ? '\t' : c;
            } else {
                *o++ = tpl[k];
            }
        }
        *o = 0;
        return out;
    }
    return NULL;
}

static int load_merges(tokenizer *t, const gguf_file *g) {
    int err;
    const gguf_kv *kv = get_array(g, "tokenizer.ggml.merges", 1, 0, GGUF_VAL_STRING, GGUF_VAL_STRING, &err);
    if (!kv) return -1;
    if (kv->n > (uint64_t)MAX_VOCAB * 4)
        return pcb_fail("%s: metadata 'tokenizer.ggml.merges' has an implausible %llu entries", g->path, (unsigned long long)kv->n);
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
            return pcb_fail("%s: metadata 'tokenizer.ggml.merges' entry %llu ('%.*s') is not two tokens separated by a space",
                            g->path, (unsigned long long)r, (int)(s.len > 80 ? 80 : s.len), s.ptr);
        }
        size_t la = (size_t)(sp - s.ptr), lb = (size_t)s.len - la - 1;
        int32_t a = vocab_lookup(t, s.ptr, la), b = vocab_lookup(t, sp + 1, lb);
        if (la + lb > cap) { cap = 2 * (la + lb); buf = pcb_realloc(buf, cap); }
        memcpy(buf, s.ptr, la);
        memcpy(buf + la, sp + 1, lb);
        int32_t c = vocab_lookup(t, buf, la + lb);
        // Merges whose parts or result are not (ordinary) tokens can never apply: skip, as llama.cpp does.
        if (a < 0 || b < 0 || c < 0 || !is_bpe_type(t->type[c])) continue;
        uint64_t key = (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
        for (uint32_t i = (uint32_t)hash_u64(key) & t->mmask;; i = (i + 1) & t->mmask) {
            if (t->mrank[i] < 0) {
                t->mkey[i] = key; t->mrank[i] = (int32_t)r; t->mres[i] = c;
                break;
            }
            if (t->mkey[i] == key) break;   // duplicate pair: the lower rank stays
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
        pcb_fail("%s: metadata 'tokenizer.ggml.model' = '%s' is not supported (supported: gpt2, llama)", g->path, model);
        goto fail;
    }

    const gguf_kv *toks = get_array(g, "tokenizer.ggml.tokens", 1, 0, GGUF_VAL_STRING, GGUF_VAL_STRING, &err);
    if (!toks) goto fail;
    if (toks->n == 0 || toks->n > MAX_VOCAB) {
        pcb_fail("%s: metadata 'tokenizer.ggml.tokens' has %llu entries (expected 1..%d)", g->path, (unsigned long long)toks->n, MAX_VOCAB);
        goto fail;
    }
    t->n_vocab = (int32_t)toks->n;
    t->off = pcb_malloc((size_t)t->n_vocab * sizeof(uint64_t));
    t->len = pcb_malloc((size_t)t->n_vocab * sizeof(uint32_t));
    uint64_t total = 0;
    for (int32_t i = 0; i < t->n_vocab; i++) {
        if (toks->strs[i].len > 65536) {
            pcb_fail("%s: metadata 'tokenizer.ggml.tokens' entry %d is %llu bytes long", g->path, i, (unsigned long long)toks->strs[i].len);
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
    if (get_bool(g, "tokenizer.ggml.add_bos_token", &t->add_bos) || get_bool(g, "tokenizer.ggml.add_space_prefix", &t->add_space_prefix))
        goto fail;

    if (t->kind == KIND_BPE) {
        for (int i = 0; i < 324; i++) t->cp_byte[i] = -1;
        for (unsigned b = 0; b < 256; b++) t->cp_byte[byte_to_cp(b)] = (int16_t)b;
        for (unsigned b = 0; b < 256; b++) {
            char u[4];
            size_t n = utf8_put(u, byte_to_cp(b));
            t->byte_id[b] = vocab_lookup(t, u, n);
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
            pcb_fail("%s: metadata 'tokenizer.ggml.pre' = '%s' is not a known pre-tokenizer (supported: smollm, gpt2, default, "
                     "llama-bpe, llama3, qwen2)", g->path, pre);
            goto fail;
        }
        if (rc) goto fail;
    } else {
        for (unsigned b = 0; b < 256; b++) {
            char name[8];
            snprintf(name, sizeof name, "<0x%02X>", b);
            t->byte_id[b] = vocab_lookup(t, name, 6);
        }
    }

    t->spec = pcb_malloc((size_t)t->n_vocab * sizeof(int32_t));
    for (int32_t i = 0; i < t->n_vocab; i++)
        if ((t->type[i] == TT_CONTROL || t->type[i] == TT_USER) && t->len[i] > 0) t->spec[t->n_spec++] = i;
    sort_specials(t);

    const gguf_kv *tpl = gguf_find_kv(g, "tokenizer.chat_template");
    if (tpl && tpl->type == GGUF_VAL_STRING) t->default_system = extract_default_system(tpl->v.str.ptr, (size_t)tpl->v.str.len);
    return t;
fail:
    tokenizer_free(t);
    return NULL;
}

void tokenizer_free(tokenizer *t) {
    if (!t) return;
    for (int i = 0; i < t->n_re; i++) pcre2_code_free(t->re[i]);
    free(t->arena); free(t->off); free(t->len); free(t->type); free(t->score); free(t->vslot);
    free(t->mkey); free(t->mrank); free(t->mres); free(t->spec); free(t->default_system);
    free(t);
}

int tokenizer_vocab_size(const tokenizer *t) { return t->n_vocab; }
int32_t tokenizer_bos(const tokenizer *t) { return t->bos; }
int32_t tokenizer_eos(const tokenizer *t) { return t->eos; }
int tokenizer_add_bos(const tokenizer *t) { return t->add_bos; }
int32_t tokenizer_find(const tokenizer *t, const char *piece) { return vocab_lookup(t, piece, strlen(piece)); }
int tokenizer_is_control(const tokenizer *t, int32_t id) { return id >= 0 && id < t->n_vocab && t->type[id] == TT_CONTROL; }

// ---------------------------------------------------------------------------------------------
// Encoding

typedef struct {
    double key;            // BPE: merge rank; SPM: -score (min-heap either way)
    int32_t l, r;          // left / right symbol index
    int32_t a, b, c;       // BPE: left id, right id, merged id; SPM: left len, right len
} cand;

typedef struct { const char *p; uint32_t n, off, cnt; } cache_ent;

typedef struct {
    const tokenizer *t;
    int32_t *out; size_t n_out, cap_out;
    int32_t *sym, *next, *prev, *start; size_t cap_sym;
    cand *heap; size_t n_heap, cap_heap;
    char *buf; size_t cap_buf;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jstack;
    // Word cache: pre-token bytes (pointing into the input) -> ids in `cache_ids`. Text repeats
    // words constantly, so most pre-tokens skip BPE entirely.
    cache_ent *cache; uint32_t cache_mask, cache_used;
    int32_t *cache_ids; size_t n_cache_ids, cap_cache_ids;
} enc;

static void push_id(enc *e, int32_t id) {
    if (e->n_out == e->cap_out) { e->cap_out = e->cap_out ? 2 * e->cap_out : 256; e->out = pcb_realloc(e->out, e->cap_out * sizeof(int32_t)); }
    e->out[e->n_out++] = id;
}

static void reserve_syms(enc *e, size_t n) {
    if (n <= e->cap_sym) return;
    e->cap_sym = n < 64 ? 64 : 2 * n;
    e->sym = pcb_realloc(e->sym, e->cap_sym * sizeof(int32_t));
    e->next = pcb_realloc(e->next, e->cap_sym * sizeof(int32_t));
    e->prev = pcb_realloc(e->prev, e->cap_sym * sizeof(int32_t));
    e->start = pcb_realloc(e->start, e->cap_sym * sizeof(int32_t));
}

static int cand_before(const cand *x, const cand *y) { return x->key < y->key || (x->key == y->key && x->l < y->l); }

static void heap_push(enc *e, cand c) {
    if (e->n_heap == e->cap_heap) { e->cap_heap = e->cap_heap ? 2 * e->cap_heap : 64; e->heap = pcb_realloc(e->heap, e->cap_heap * sizeof(cand)); }
    size_t i = e->n_heap++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!cand_before(&c, &e->heap[p])) break;
        e->heap[i] = e->heap[p];
        i = p;
    }
    e->heap[i] = c;
}

static cand heap_pop(enc *e) {
    cand top = e->heap[0], last = e->heap[--e->n_heap];
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

static void bpe_try(enc *e, int32_t l, int32_t r) {
    int32_t res, rank = merge_lookup(e->t, e->sym[l], e->sym[r], &res);
    if (rank >= 0) heap_push(e, (cand){.key = rank, .l = l, .r = r, .a = e->sym[l], .b = e->sym[r], .c = res});
}

// Lowest-rank-first merging over a linked list of symbols with a heap of candidate pairs:
// O(n log n), so a pre-token of 10,000 spaces is no problem. Stale candidates are skipped.
static void bpe_word(enc *e, const unsigned char *p, size_t n) {
    const tokenizer *t = e->t;
    reserve_syms(e, n);
    int32_t m = 0;
    for (size_t i = 0; i < n; i++) {
        // Bytes missing from the vocabulary (SmolLM2 lacks 21, e.g. 0x04 and 0xC0) are dropped,
        // as HF's BPE without unk_token and llama.cpp do.
        int32_t id = t->byte_id[p[i]];
        if (id >= 0) e->sym[m++] = id;
    }
    if (m == 0) return;
    for (int32_t i = 0; i < m; i++) { e->prev[i] = i - 1; e->next[i] = i + 1 < m ? i + 1 : -1; }
    e->n_heap = 0;
    for (int32_t i = 0; i + 1 < m; i++) bpe_try(e, i, i + 1);
    while (e->n_heap) {
        cand c = heap_pop(e);
        if (e->sym[c.l] != c.a || e->sym[c.r] != c.b || e->next[c.l] != c.r) continue;
        e->sym[c.l] = c.c;
        e->sym[c.r] = -1;
        int32_t nx = e->next[c.r];
        e->next[c.l] = nx;
        if (nx >= 0) e->prev[nx] = c.l;
        if (e->prev[c.l] >= 0) bpe_try(e, e->prev[c.l], c.l);
        if (nx >= 0) bpe_try(e, c.l, nx);
    }
    for (int32_t i = 0; i >= 0; i = e->next[i]) push_id(e, e->sym[i]);   // symbol 0 is never merged away
}

static void bpe_word_cached(enc *e, const char *p, size_t n) {
    if (n > 256) { bpe_word(e, (const unsigned char *)p, n); return; }   // long runs rarely repeat
    if (e->cache_used * 2 >= e->cache_mask) {   // grow (also the first allocation)
        uint32_t old = e->cache ? e->cache_mask + 1 : 0, size = old ? 2 * old : 4096;
        cache_ent *oc = e->cache, *nc = pcb_calloc(size, sizeof *nc);
        for (uint32_t i = 0; i < old; i++) {
            if (!e->cache[i].p) continue;
            uint32_t j = (uint32_t)hash_bytes(e->cache[i].p, e->cache[i].n) & (size - 1);
            while (nc[j].p) j = (j + 1) & (size - 1);
            nc[j] = e->cache[i];
        }
        free(oc);
        e->cache = nc;
        e->cache_mask = size - 1;
    }
    uint32_t j = (uint32_t)hash_bytes(p, n) & e->cache_mask;
    for (; e->cache[j].p; j = (j + 1) & e->cache_mask) {
        if (e->cache[j].n == n && memcmp(e->cache[j].p, p, n) == 0) {
            for (uint32_t k = 0; k < e->cache[j].cnt; k++) push_id(e, e->cache_ids[e->cache[j].off + k]);
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
static int pretok(enc *e, int level, const char *p, size_t n) {
    const tokenizer *t = e->t;
    if (n == 0) return 0;
    if (level == t->n_re) { bpe_word_cached(e, p, n); return 0; }
    size_t pos = 0;
    while (pos < n) {
        int rc = pcre2_match(t->re[level], (PCRE2_SPTR)p, n, pos, 0, e->md, e->mctx);
        if (rc == PCRE2_ERROR_NOMATCH) break;
        if (rc < 0) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(rc, msg, sizeof msg);
            return pcb_fail("tokenizer: pre-tokenizer regex failed at byte %zu of a %zu-byte piece: %s", pos, n, (char *)msg);
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(e->md);
        size_t s = ov[0], end = ov[1];
        if (end <= s) {   // empty match (our patterns have none): step over one character
            if (s >= n) break;
            end = s + utf8_len((const unsigned char *)p + s, n - s);
        }
        if (s > pos && pretok(e, level + 1, p + pos, s - pos)) return -1;
        if (pretok(e, level + 1, p + s, end - s)) return -1;
        pos = end;
    }
    return pretok(e, level + 1, p + pos, n - pos);
}

static int spm_mergeable(int type) { return type == TT_NORMAL || type == TT_UNDEFINED || type == TT_USER; }

static void spm_try(enc *e, int32_t l, int32_t r) {
    const tokenizer *t = e->t;
    int32_t id = vocab_lookup(t, e->buf + e->start[l], (size_t)(e->sym[l] + e->sym[r]));
    if (id >= 0 && spm_mergeable(t->type[id]))
        heap_push(e, (cand){.key = -(double)(t->score ? t->score[id] : 0.0f), .l = l, .r = r, .a = e->sym[l], .b = e->sym[r]});
}

// SentencePiece BPE (as llama.cpp's llm_tokenizer_spm): start from UTF-8 characters, merge the
// adjacent pair whose concatenation is the highest-scoring token (leftmost on ties); symbols
// left that are not tokens fall back to <0xXX> byte tokens.
static void spm_fragment(enc *e, const char *p, size_t n, int prefix) {
    const tokenizer *t = e->t;
    size_t need = 3 * n + 3;   // every space may become U+2581 (3 bytes)
    if (need > e->cap_buf) { e->cap_buf = need; e->buf = pcb_realloc(e->buf, need); }
    size_t bl = 0;
    if (prefix) { memcpy(e->buf, "\xE2\x96\x81", 3); bl = 3; }
    for (size_t i = 0; i < n; i++) {
        if (p[i] == ' ') { memcpy(e->buf + bl, "\xE2\x96\x81", 3); bl += 3; }
        else e->buf[bl++] = p[i];
    }
    if (bl == 0) return;
    reserve_syms(e, bl);
    int32_t m = 0;
    for (size_t i = 0; i < bl;) {
        size_t cl = utf8_len((const unsigned char *)e->buf + i, bl - i);
        e->start[m] = (int32_t)i;
        e->sym[m] = (int32_t)cl;   // symbol length in bytes; 0 once merged away
        m++;
        i += cl;
    }
    for (int32_t i = 0; i < m; i++) { e->prev[i] = i - 1; e->next[i] = i + 1 < m ? i + 1 : -1; }
    e->n_heap = 0;
    for (int32_t i = 0; i + 1 < m; i++) spm_try(e, i, i + 1);
    while (e->n_heap) {
        cand c = heap_pop(e);
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
        int32_t id = vocab_lookup(t, s, (size_t)e->sym[i]);
        if (id >= 0 && t->type[id] != TT_CONTROL && t->type[id] != TT_UNKNOWN && t->type[id] != TT_BYTE) {
            push_id(e, id);
            continue;
        }
        for (int32_t k = 0; k < e->sym[i]; k++) {
            int32_t b = t->byte_id[(unsigned char)s[k]];
            if (b < 0) b = t->unk;
            if (b >= 0) push_id(e, b);
        }
    }
}

static int encode_text(enc *e, const char *p, size_t n, int after_special) {
    if (e->t->kind == KIND_SPM) {
        spm_fragment(e, p, n, e->t->add_space_prefix && after_special);
        return 0;
    }
    return pretok(e, 0, p, n);
}

int tokenizer_encode(const tokenizer *t, const char *text, size_t len, int parse_special, int32_t **out, size_t *n_out) {
    *out = NULL;
    *n_out = 0;
    if (!text && len) return pcb_fail("tokenizer_encode: NULL text with length %zu", len);
    if (len > INT32_MAX) return pcb_fail("tokenizer_encode: text of %zu bytes is too long (max %d)", len, INT32_MAX);   // int32 symbol indices
    enc e = {.t = t};
    int rc = 0;
    if (t->kind == KIND_BPE) {
        e.md = pcre2_match_data_create(1, NULL);
        e.mctx = pcre2_match_context_create(NULL);
        // JIT's default 32 KiB stack can be too small for very long pieces.
        e.jstack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, NULL);
        if (!e.md || !e.mctx || !e.jstack) {
            rc = pcb_fail("tokenizer_encode: out of memory creating PCRE2 match data");
            goto done;
        }
        pcre2_jit_stack_assign(e.mctx, NULL, e.jstack);
    }
    // Split around special tokens: user-defined ones always (as llama.cpp), control ones only
    // with parse_special. Leftmost match, longest first.
    size_t seg = 0;
    int after_special = 1;   // SPM: a space prefix starts the text and follows each special
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        int32_t hit = -1;
        for (int k = t->spec_start[c]; k < t->spec_start[c + 1]; k++) {
            int32_t id = t->spec[k];
            if (t->type[id] == TT_CONTROL && !parse_special) continue;
            if (t->len[id] <= len - i && memcmp(text + i, tok_text(t, id), t->len[id]) == 0) { hit = id; break; }
        }
        if (hit < 0) continue;
        if (i > seg && (rc = encode_text(&e, text + seg, i - seg, after_special))) goto done;
        push_id(&e, hit);
        after_special = 1;
        seg = i + t->len[hit];
        i = seg - 1;
    }
    if (len > seg) {
        if ((rc = encode_text(&e, text + seg, len - seg, after_special))) goto done;
    }
done:
    free(e.sym); free(e.next); free(e.prev); free(e.start); free(e.heap); free(e.buf);
    free(e.cache); free(e.cache_ids);
    if (e.md) pcre2_match_data_free(e.md);
    if (e.mctx) pcre2_match_context_free(e.mctx);
    if (e.jstack) pcre2_jit_stack_free(e.jstack);
    if (rc) { free(e.out); return -1; }
    *out = e.out ? e.out : pcb_malloc(sizeof(int32_t));   // non-NULL even when empty
    *n_out = e.n_out;
    return 0;
}

// ---------------------------------------------------------------------------------------------
// Decoding

typedef struct { char *p; size_t n, cap; } sbuf;

static void sb_put(sbuf *s, const char *p, size_t n) {
    if (s->n + n + 1 > s->cap) { s->cap = 2 * (s->n + n + 1) + 64; s->p = pcb_realloc(s->p, s->cap); }
    memcpy(s->p + s->n, p, n);
    s->n += n;
    s->p[s->n] = 0;
}

static int hexval(char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; }

char *tokenizer_decode(const tokenizer *t, const int32_t *ids, size_t n, int render_special) {
    sbuf s = {0};
    sb_put(&s, "", 0);
    int first = 1;   // SPM: drop the space that add_space_prefix put before the first word
    for (size_t i = 0; i < n; i++) {
        int32_t id = ids[i];
        if (id < 0 || id >= t->n_vocab) continue;   // out-of-range ids have no text
        const char *p = tok_text(t, id);
        size_t len = t->len[id];
        int type = t->type[id];
        if (type == TT_CONTROL || type == TT_UNKNOWN) {
            if (render_special) sb_put(&s, p, len);
            continue;
        }
        if (type == TT_USER) {   // added tokens are stored as plain text in either vocabulary
            sb_put(&s, p, len);
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
                    sb_put(&s, &c, 1);
                } else {   // not a byte-level character: keep it as is
                    if (!cl) cl = 1;
                    sb_put(&s, p + k, cl);
                }
                k += cl;
            }
            continue;
        }
        if (type == TT_BYTE && len == 6 && !memcmp(p, "<0x", 3) && p[5] == '>' && hexval(p[3]) >= 0 && hexval(p[4]) >= 0) {
            char c = (char)(hexval(p[3]) * 16 + hexval(p[4]));
            sb_put(&s, &c, 1);
            first = 0;
            continue;
        }
        for (size_t k = 0; k < len;) {
            if (len - k >= 3 && !memcmp(p + k, "\xE2\x96\x81", 3)) {
                if (!(first && k == 0 && t->add_space_prefix)) sb_put(&s, " ", 1);
                k += 3;
            } else {
                sb_put(&s, p + k, 1);
                k++;
            }
        }
        first = 0;
    }
    return s.p;
}

// ---------------------------------------------------------------------------------------------
// Chat prompt

char *tokenizer_chat_prompt(const tokenizer *t, const char *system, const char *user) {
    if (!system) system = t->default_system;
    sbuf s = {0};
    sb_put(&s, "", 0);
    if (system) {
        sb_put(&s, "<|im_start|>system\n", 19);
        sb_put(&s, system, strlen(system));
        sb_put(&s, "<|im_end|>\n", 11);
    }
    sb_put(&s, "<|im_start|>user\n", 17);
    sb_put(&s, user, strlen(user));
    sb_put(&s, "<|im_end|>\n<|im_start|>assistant\n", 33);
    return s.p;
}
