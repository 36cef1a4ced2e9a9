// Tokenizer tests: byte-level BPE and SentencePiece on small vocabularies built in memory (as
// GGUF images, so tokenizer_from_gguf is exercised too), malformed metadata, long inputs, and
// the golden ids from HF `tokenizers` (tests/golden/tokens.json) on the real SmolLM2 model.
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/base/text_file.h"
#include "bench/model/gguf.h"
#include "bench/model/tokenizer.h"
#include "tests/test.h"

// ---------------------------------------------------------------------------------------------
// A minimal GGUF writer (metadata only), local so these tests depend on nothing else.

typedef struct {
    uint8_t *p;
    size_t n, cap;
    uint64_t n_kv;
    gguf_file g;
} gb;

static void gb_raw(gb *b, const void *d, size_t n) {
    if (b->n + n > b->cap) {
        b->cap = 2 * (b->n + n) + 256;
        b->p = pcb_realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}
static void gb_u32(gb *b, uint32_t v) { gb_raw(b, &v, 4); }
static void gb_u64(gb *b, uint64_t v) { gb_raw(b, &v, 8); }
static void gb_strn(gb *b, const char *s, size_t n) {
    gb_u64(b, n);
    gb_raw(b, s, n);
}
static void gb_str(gb *b, const char *s) { gb_strn(b, s, strlen(s)); }

static void gb_init(gb *b) {
    memset(b, 0, sizeof *b);
    gb_raw(b, "GGUF", 4);
    gb_u32(b, 3);
    gb_u64(b, 0);  // tensors
    gb_u64(b, 0);  // kv count, patched by gb_parse
}
static void gb_key(gb *b, const char *key, gguf_value_type t) {
    gb_str(b, key);
    gb_u32(b, t);
    b->n_kv++;
}
static void gb_kv_str(gb *b, const char *key, const char *v) {
    gb_key(b, key, GGUF_VAL_STRING);
    gb_str(b, v);
}
static void gb_kv_u32(gb *b, const char *key, uint32_t v) {
    gb_key(b, key, GGUF_VAL_UINT32);
    gb_u32(b, v);
}
static void gb_kv_bool(gb *b, const char *key, int v) {
    uint8_t x = (uint8_t)v;
    gb_key(b, key, GGUF_VAL_BOOL);
    gb_raw(b, &x, 1);
}
static void gb_kv_strs(gb *b, const char *key, const char *const *s, size_t n) {
    gb_key(b, key, GGUF_VAL_ARRAY);
    gb_u32(b, GGUF_VAL_STRING);
    gb_u64(b, n);
    for (size_t i = 0; i < n; i++) gb_str(b, s[i]);
}
static void gb_kv_arr(gb *b, const char *key, gguf_value_type et, const void *d, size_t n) {  // 4-byte elements
    gb_key(b, key, GGUF_VAL_ARRAY);
    gb_u32(b, et);
    gb_u64(b, n);
    gb_raw(b, d, 4 * n);
}

// Parses the image and builds a tokenizer from it (NULL on error, message in pcb_last_error()).
static tokenizer *gb_tokenizer(gb *b) {
    memcpy(b->p + 16, &b->n_kv, 8);
    if (gguf_parse(&b->g, b->p, b->n, "test.gguf")) {
        fprintf(stderr, "  gguf_parse: %s\n", pcb_last_error());
        return NULL;
    }
    pcb_clear_error();
    return tokenizer_from_gguf(&b->g);
}
static void gb_free(gb *b) {
    gguf_close(&b->g);
    free(b->p);
}

// ---------------------------------------------------------------------------------------------
// Helpers

// GPT-2 bytes_to_unicode(), written independently of bench/model/tokenizer.c (as in the Python).
static uint32_t ref_byte_to_cp(int byte) {
    int bs[256], n = 0;
    for (int b = '!'; b <= '~'; b++) bs[n++] = b;
    for (int b = 0xA1; b <= 0xAC; b++) bs[n++] = b;
    for (int b = 0xAE; b <= 0xFF; b++) bs[n++] = b;
    for (int i = 0; i < n; i++)
        if (bs[i] == byte) return (uint32_t)byte;
    int extra = 0;
    for (int b = 0; b < 256; b++) {
        int in = 0;
        for (int i = 0; i < n; i++) in |= bs[i] == b;
        if (in) continue;
        if (b == byte) return 256u + (uint32_t)extra;
        extra++;
    }
    return 0;
}

static void put_utf8(char *o, uint32_t cp) {  // cp < 0x800 here
    if (cp < 0x80) {
        o[0] = (char)cp;
        o[1] = 0;
    } else {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        o[2] = 0;
    }
}

// The 256 byte characters, as token strings; freed with free_byte_tokens.
static char **byte_tokens(void) {
    char **t = pcb_malloc(256 * sizeof(char *));
    for (int b = 0; b < 256; b++) {
        t[b] = pcb_malloc(4);
        put_utf8(t[b], ref_byte_to_cp(b));
    }
    return t;
}
static void free_byte_tokens(char **t) {
    for (int b = 0; b < 256; b++) free(t[b]);
    free(t);
}

// Builds a byte-level BPE tokenizer: the 256 byte characters (ids 0..255), then `extra`
// tokens (types from `types`, 1 when NULL), merges as given.
static tokenizer *make_bpe(gb *b, const char *pre, const char *const *extra, const int32_t *types, int n_extra,
                           const char *const *merges, int n_merges) {
    char **bt = byte_tokens();
    int n = 256 + n_extra;
    const char **toks = pcb_malloc((size_t)n * sizeof(char *));
    int32_t *tt = pcb_malloc((size_t)n * sizeof(int32_t));
    for (int i = 0; i < 256; i++) {
        toks[i] = bt[i];
        tt[i] = 1;
    }
    for (int i = 0; i < n_extra; i++) {
        toks[256 + i] = extra[i];
        tt[256 + i] = types ? types[i] : 1;
    }
    gb_init(b);
    gb_kv_str(b, "tokenizer.ggml.model", "gpt2");
    if (pre) gb_kv_str(b, "tokenizer.ggml.pre", pre);
    gb_kv_strs(b, "tokenizer.ggml.tokens", toks, (size_t)n);
    gb_kv_arr(b, "tokenizer.ggml.token_type", GGUF_VAL_INT32, tt, (size_t)n);
    gb_kv_strs(b, "tokenizer.ggml.merges", merges, (size_t)n_merges);
    tokenizer *t = gb_tokenizer(b);
    free(toks);
    free(tt);
    free_byte_tokens(bt);
    return t;
}

// Encodes a C string; returns the count (ids in *ids, caller frees), -1 on error.
static int enc(const tokenizer *t, const char *s, int parse_special, int32_t **ids) {
    size_t n;
    if (tokenizer_encode(t, s, strlen(s), parse_special, ids, &n)) return -1;
    return (int)n;
}

// 1 when encoding `s` gives exactly the token texts in `want` (NULL-terminated).
static int encodes_to(const tokenizer *t, const char *s, int parse_special, const char *const *want) {
    int32_t *ids;
    int n = enc(t, s, parse_special, &ids), ok = n >= 0;
    int k = 0;
    for (; ok && want[k]; k++) ok = k < n && ids[k] == tokenizer_find(t, want[k]);
    ok = ok && k == n;
    if (!ok) {
        fprintf(stderr, "  '%s' ->", s);
        for (int i = 0; i < n; i++) fprintf(stderr, " %d", ids[i]);
        fprintf(stderr, ", wanted");
        for (int i = 0; want[i]; i++) fprintf(stderr, " %d(%s)", tokenizer_find(t, want[i]), want[i]);
        fputc('\n', stderr);
    }
    free(ids);
    return ok;
}

// encode(s) then decode(ids) gives s back.
static int round_trips(const tokenizer *t, const char *s, size_t len, int special) {
    int32_t *ids;
    size_t n;
    if (tokenizer_encode(t, s, len, special, &ids, &n)) return 0;
    char *d = tokenizer_decode(t, ids, n, special);
    int ok = strlen(d) == len && memcmp(d, s, len) == 0;
    free(ids);
    free(d);
    return ok;
}

static const char *model_path(void) {
    const char *p = getenv("PCB_MODEL");
    return p && *p ? p : "models/SmolLM2-135M-Instruct.Q4_1.gguf";
}

static char *read_file(const char *path, size_t *size) { return read_text_file(path, size); }

// ---------------------------------------------------------------------------------------------
// Byte-level BPE

static void test_byte_table_round_trip(void) {
    gb b;
    tokenizer *t = make_bpe(&b, "gpt2", NULL, NULL, 0, NULL, 0);
    CHECK(t != NULL);
    if (!t) {
        gb_free(&b);
        return;
    }
    // Every byte on its own becomes its GPT-2 character's token and decodes back.
    for (int byte = 0; byte < 256; byte++) {
        char s[1] = {(char)byte};
        int32_t *ids;
        size_t n;
        CHECK(tokenizer_encode(t, s, 1, 0, &ids, &n) == 0);
        CHECK_MSG(n == 1 && ids[0] == byte, "byte %d -> %zu ids, first %d", byte, n, n ? ids[0] : -1);
        char *d = tokenizer_decode(t, ids, n, 0);
        CHECK_MSG(d[0] == (char)byte && (byte == 0 || d[1] == 0), "byte %d decodes wrong", byte);
        free(ids);
        free(d);
    }
    // Known points of the table.
    CHECK(tokenizer_find(t, "\xC4\xA0") == ' ');   // U+0120 'Ġ'
    CHECK(tokenizer_find(t, "\xC4\x8A") == '\n');  // U+010A 'Ċ'
    CHECK(tokenizer_find(t, "\xC4\x80") == 0);     // U+0100 'Ā'
    CHECK(tokenizer_find(t, "\xC5\x83") == 0xAD);  // U+0143, the last one
    CHECK(tokenizer_find(t, "A") == 'A');
    // All bytes at once (not valid UTF-8) survive encode + decode (NUL aside: decode's
    // result is a C string).
    char all[255];
    for (int i = 0; i < 255; i++) all[i] = (char)(255 - i);
    CHECK(round_trips(t, all, 255, 0));
    tokenizer_free(t);
    gb_free(&b);
}

static void test_bpe_merges(void) {
    static const char *extra[] = {"he",          "ll", "hell",          "hello", "\xC4\xA0w", "or",
                                  "\xC4\xA0wor", "ld", "\xC4\xA0world", "ab",    "bc"};
    static const char *merges[] = {"h e",          "l l", "he ll",          "hell o", "\xC4\xA0 w", "o r",
                                   "\xC4\xA0w or", "l d", "\xC4\xA0wor ld", "a b",    "b c"};
    gb b;
    tokenizer *t = make_bpe(&b, "gpt2", extra, NULL, 11, merges, 11);
    CHECK(t != NULL);
    if (!t) {
        gb_free(&b);
        return;
    }
    CHECK(tokenizer_vocab_size(t) == 256 + 11);
    CHECK(encodes_to(t, "hello world", 0, (const char *[]){"hello", "\xC4\xA0world", NULL}));
    CHECK(encodes_to(t, "hell", 0, (const char *[]){"hell", NULL}));
    // Rank decides: "a b" (rank 9) beats "b c" (rank 10).
    CHECK(encodes_to(t, "abc", 0, (const char *[]){"ab", "c", NULL}));
    CHECK(encodes_to(t, "", 0, (const char *[]){NULL}));
    CHECK(round_trips(t, "hello world, hello!", 19, 0));
    tokenizer_free(t);
    gb_free(&b);

    // Same vocabulary, "b c" ranked first: the other split.
    static const char *merges2[] = {"b c", "a b"};
    t = make_bpe(&b, "gpt2", extra + 9, NULL, 2, merges2, 2);
    CHECK(t && encodes_to(t, "abc", 0, (const char *[]){"a", "bc", NULL}));
    tokenizer_free(t);
    gb_free(&b);
}

// Pre-tokenizer differences that change ids: smollm isolates digits (HF Digits) before the
// GPT-2 regex; the GPT-2 regex leaves a space attached to the number.
static void test_pretokenizers(void) {
    static const char *extra[] = {"\xC4\xA0\xC4\xA0",
                                  ("\xC4\xA0"
                                   "1"),
                                  "12", "123"};
    static const char *merges[] = {"\xC4\xA0 \xC4\xA0", "\xC4\xA0 1", "1 2", "12 3"};
    const char *G = "\xC4\xA0", *GG = "\xC4\xA0\xC4\xA0";
    gb b;
    tokenizer *t = make_bpe(&b, "smollm", extra, NULL, 4, merges, 4);
    CHECK(t != NULL);
    if (t) {
        // Digits split first: "a  " then "1", "2"; the GPT-2 regex then sees "  " at the end of its piece.
        CHECK(encodes_to(t, "a  12", 0, (const char *[]){"a", GG, "1", "2", NULL}));
        CHECK(encodes_to(t, "a 1", 0, (const char *[]){"a", G, "1", NULL}));
        CHECK(encodes_to(t, "x\xC2\xB2", 0,
                         (const char *[]){"x", "\xC3\x82", "\xC2\xB2", NULL}));  // ² is \p{N}: bytes C2 B2
    }
    tokenizer_free(t);
    gb_free(&b);

    t = make_bpe(&b, "gpt2", extra, NULL, 4, merges, 4);
    CHECK(t != NULL);
    if (t) {
        CHECK(encodes_to(t, "a  12", 0,
                         (const char *[]){"a", G,
                                          "\xC4\xA0"
                                          "1",
                                          "2", NULL}));
        CHECK(
            encodes_to(t, "a   b", 0, (const char *[]){"a", GG, G, "b", NULL}));  // \s+(?!\S) leaves one space for " b"
    }
    tokenizer_free(t);
    gb_free(&b);

    t = make_bpe(&b, "llama-bpe", extra, NULL, 4, merges, 4);
    CHECK(t != NULL);
    if (t) {
        CHECK(encodes_to(t, "12345", 0, (const char *[]){"123", "4", "5", NULL}));  // \p{N}{1,3}: "123" "45"
        CHECK(encodes_to(t, "x  1", 0, (const char *[]){"x", G, G, "1", NULL}));
    }
    tokenizer_free(t);
    gb_free(&b);

    t = make_bpe(&b, "qwen2", extra, NULL, 4, merges, 4);
    CHECK(t && encodes_to(t, "123", 0, (const char *[]){"1", "2", "3", NULL}));
    tokenizer_free(t);
    gb_free(&b);
}

// A pre-token of 10,000 spaces (and 100,000 letters) must not be quadratic.
static void test_long_runs(void) {
    static const char *extra[] = {"\xC4\xA0\xC4\xA0", "\xC4\xA0\xC4\xA0\xC4\xA0\xC4\xA0", "aa", "aaaa"};
    static const char *merges[] = {"\xC4\xA0 \xC4\xA0", "\xC4\xA0\xC4\xA0 \xC4\xA0\xC4\xA0", "a a", "aa aa"};
    gb b;
    tokenizer *t = make_bpe(&b, "smollm", extra, NULL, 4, merges, 4);
    CHECK(t != NULL);
    if (!t) {
        gb_free(&b);
        return;
    }
    size_t n = 100000;
    char *s = pcb_malloc(n + 2);
    memset(s, ' ', 10000);
    s[10000] = 'x';
    int32_t *ids;
    size_t k;
    // \s+(?!\S) takes 9,999 spaces (2,499 x 4 + 2 + 1 after merging); " x" is Ġ, x.
    CHECK(tokenizer_encode(t, s, 10001, 0, &ids, &k) == 0);
    int32_t g4 = tokenizer_find(t, extra[1]);
    size_t n4 = 0;
    for (size_t i = 0; i < k; i++) n4 += ids[i] == g4;
    CHECK_MSG(n4 == 2499 && k == 2499 + 2 + 2, "%zu tokens, %zu of 4 spaces", k, n4);
    free(ids);
    CHECK(round_trips(t, s, 10000, 0));
    CHECK(round_trips(t, s, 10001, 0));
    memset(s, 'a', n);
    CHECK(tokenizer_encode(t, s, n, 0, &ids, &k) == 0);
    CHECK(k == n / 4);
    free(ids);
    for (size_t i = 0; i < n; i++) s[i] = "\t\n \r"[i % 4];
    CHECK(round_trips(t, s, n, 0));
    free(s);
    tokenizer_free(t);
    gb_free(&b);
}

static void test_special_tokens(void) {
    static const char *extra[] = {"<s>", "<s>x", "</s>", "@@", "ab"};
    static const int32_t types[] = {3, 3, 3, 4, 1};
    static const char *merges[] = {"a b"};
    gb b;
    tokenizer *t = make_bpe(&b, "gpt2", extra, types, 5, merges, 1);
    CHECK(t != NULL);
    if (!t) {
        gb_free(&b);
        return;
    }
    int32_t s = tokenizer_find(t, "<s>"), sx = tokenizer_find(t, "<s>x"), es = tokenizer_find(t, "</s>");
    CHECK(tokenizer_is_control(t, s) && tokenizer_is_control(t, es) && !tokenizer_is_control(t, 'a'));
    CHECK(!tokenizer_is_control(t, -1) && !tokenizer_is_control(t, 100000));
    // Longest match first; text around specials is encoded separately.
    CHECK(encodes_to(t, "1<s>x2", 1, (const char *[]){"1", "<s>x", "2", NULL}));
    CHECK(encodes_to(t, "<s>ab</s>", 1, (const char *[]){"<s>", "ab", "</s>", NULL}));
    CHECK(encodes_to(t, "<s><s></s", 1, (const char *[]){"<s>", "<s>", "<", "/", "s", NULL}));
    // Without parse_special, control tokens are plain text; user-defined ones still match.
    CHECK(encodes_to(t, "<s>", 0, (const char *[]){"<", "s", ">", NULL}));
    CHECK(encodes_to(t, "a@@b", 0, (const char *[]){"a", "@@", "b", NULL}));
    // BPE never produces a special token even when merges would spell one.
    int32_t *ids;
    int n = enc(t, "<s>x</s>", 0, &ids);
    for (int i = 0; i < n; i++) CHECK(ids[i] != s && ids[i] != sx && ids[i] != es);
    free(ids);
    // Decode: control tokens only with render_special.
    int32_t seq[] = {s, 'h', 'i', es, sx};
    char *d = tokenizer_decode(t, seq, 5, 0);
    CHECK(strcmp(d, "hi") == 0);
    free(d);
    d = tokenizer_decode(t, seq, 5, 1);
    CHECK(strcmp(d, "<s>hi</s><s>x") == 0);
    free(d);
    int32_t bad[] = {-1, 'o', 1 << 30, 'k'};
    d = tokenizer_decode(t, bad, 4, 1);  // out-of-range ids are skipped
    CHECK(strcmp(d, "ok") == 0);
    free(d);
    CHECK(round_trips(t, "x<s>x</s>@@ab<s", 15, 1));
    CHECK(round_trips(t, "x<s>x</s>@@ab<s", 15, 0));
    tokenizer_free(t);
    gb_free(&b);
}

// ---------------------------------------------------------------------------------------------
// SentencePiece

static tokenizer *make_spm(gb *b, const char *const *toks, const float *scores, const int32_t *types, int n,
                           int add_space_prefix) {
    gb_init(b);
    gb_kv_str(b, "tokenizer.ggml.model", "llama");
    gb_kv_strs(b, "tokenizer.ggml.tokens", toks, (size_t)n);
    gb_kv_arr(b, "tokenizer.ggml.scores", GGUF_VAL_FLOAT32, scores, (size_t)n);
    gb_kv_arr(b, "tokenizer.ggml.token_type", GGUF_VAL_INT32, types, (size_t)n);
    gb_kv_u32(b, "tokenizer.ggml.bos_token_id", 1);
    gb_kv_u32(b, "tokenizer.ggml.eos_token_id", 2);
    gb_kv_u32(b, "tokenizer.ggml.unknown_token_id", 0);
    if (add_space_prefix >= 0) gb_kv_bool(b, "tokenizer.ggml.add_space_prefix", add_space_prefix);
    return gb_tokenizer(b);
}

// <unk> <s> </s> <0x00>..<0xFF> then `words` (scores from `ws`): the llama-2 layout.
static tokenizer *make_spm_words(gb *b, const char *const *words, const float *ws, int n_words, int add_space_prefix) {
    int n = 3 + 256 + n_words;
    const char **toks = pcb_malloc((size_t)n * sizeof(char *));
    float *sc = pcb_calloc((size_t)n, sizeof(float));
    int32_t *tt = pcb_malloc((size_t)n * sizeof(int32_t));
    char(*bytes)[8] = pcb_malloc(256 * 8);
    toks[0] = "<unk>";
    tt[0] = 2;
    toks[1] = "<s>";
    tt[1] = 3;
    toks[2] = "</s>";
    tt[2] = 3;
    for (int i = 0; i < 256; i++) {
        snprintf(bytes[i], 8, "<0x%02X>", i);
        toks[3 + i] = bytes[i];
        tt[3 + i] = 6;
    }
    for (int i = 0; i < n_words; i++) {
        toks[259 + i] = words[i];
        sc[259 + i] = ws[i];
        tt[259 + i] = 1;
    }
    tokenizer *t = make_spm(b, toks, sc, tt, n, add_space_prefix);
    free(toks);
    free(sc);
    free(tt);
    free(bytes);
    return t;
}

#define SP "\xE2\x96\x81"  // U+2581, SentencePiece's space

static void test_spm_small(void) {
    static const char *w[] = {SP,   "h",    "e",      "l",  "o",        "w",    "r",     "d",
                              "a",  "b",    "c",      "he", "ll",       "hell", "hello", SP "hello",
                              "or", SP "w", SP "wor", "ld", SP "world", "ab",   "bc"};
    static const float ws[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -2, -3, -4, -5, -6, -7, -8, -8.5f, -9, -20, -10};
    enum { NW = sizeof w / sizeof w[0] };
    _Static_assert(sizeof ws / sizeof ws[0] == NW, "one score per word");
    gb b;
    tokenizer *t = make_spm_words(&b, w, ws, NW, -1);  // add_space_prefix defaults to true
    CHECK(t != NULL);
    if (!t) {
        gb_free(&b);
        return;
    }
    CHECK(tokenizer_bos(t) == 1 && tokenizer_eos(t) == 2 && tokenizer_add_bos(t) == 1);
    CHECK(encodes_to(t, "hello world", 0, (const char *[]){SP "hello", SP "world", NULL}));
    // Higher score first: "bc" (-10) beats "ab" (-20).
    CHECK(encodes_to(t, "abc", 0, (const char *[]){SP, "a", "bc", NULL}));
    // Byte fallback for characters not in the vocabulary: 日 = E6 97 A5.
    CHECK(encodes_to(t, "a\xE6\x97\xA5", 0, (const char *[]){SP, "a", "<0xE6>", "<0x97>", "<0xA5>", NULL}));
    // Control tokens in the text with parse_special; the space prefix starts each text run.
    CHECK(encodes_to(t, "<s>hello</s>", 1, (const char *[]){"<s>", SP "hello", "</s>", NULL}));
    // Decode: "▁" -> space, the prefix space dropped at the very start only, bytes reassembled.
    CHECK(round_trips(t, "hello world", 11, 0));
    CHECK(round_trips(t, " hello  world ", 14, 0));
    CHECK(round_trips(t, "\xE6\x97\xA5 \xF0\x9F\x99\x82 hello\n", 15, 0));
    int32_t *ids;
    int n = enc(t, "<s>hello", 1, &ids);
    char *d = tokenizer_decode(t, ids, (size_t)n, 1);
    CHECK(strcmp(d, "<s>hello") == 0);
    free(d);
    d = tokenizer_decode(t, ids, (size_t)n, 0);
    CHECK(strcmp(d, "hello") == 0);
    free(d);
    free(ids);
    tokenizer_free(t);
    gb_free(&b);

    t = make_spm_words(&b, w, ws, NW, 0);
    CHECK(t && encodes_to(t, "hello world", 0, (const char *[]){"hello", SP "world", NULL}));
    CHECK(t && round_trips(t, " hello world", 12, 0));
    tokenizer_free(t);
    gb_free(&b);
}

// Real SentencePiece model: llama2.c's stories260K tokenizer (tok512.bin), ids from the
// `sentencepiece` library (tests/golden/make_spm_golden.py).
static const struct {
    const char *text;
    int ids[20];
    int n;
} spm_golden[] = {
    // Generated by tests/golden/make_spm_golden.py (sentencepiece 0.2.3).
    {"Hello world", {346, 306, 414, 263, 304, 341}, 6},
    {"Once upon a time, there was a little girl named Lily.",
     {403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426},
     15},
    {"h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x99\x82",
     {270, 485, 306, 414, 410, 233, 154, 168, 233, 159, 175, 410, 243, 162, 156, 133},
     16},
    {"a\nb", {261, 13, 430}, 3},
    {"Zebra QUIZ xyz", {410, 469, 411, 430, 420, 412, 410, 473, 471, 442, 469, 410, 444, 422, 451}, 15},
    {"She said: \"Don't go!\" and ran.",
     {338, 336, 467, 313, 455, 289, 439, 413, 298, 414, 443, 436, 269, 352, 303, 426},
     16},
    {"Tim had 3 apples and 12 pears.",
     {326, 381, 410, 472, 261, 339, 305, 419, 269, 410, 475, 479, 282, 411, 295, 419, 426},
     17},
    {"The cat's hat.", {291, 280, 294, 439, 419, 270, 294, 426}, 8},
    {"x", {410, 444}, 2},
    {"\xe2\x84\xa2~[]", {410, 507, 510, 508, 509}, 5},
    {"tab\tend", {259, 412, 430, 12, 367}, 5},
    {"\xe2\x80\x8a hair", {410, 511, 300, 315}, 4},
};

static void test_spm_stories260k(void) {
    const char *path = getenv("PCB_TOK512");
    if (!path || !*path) path = "tests/fixtures/stories260K/tok512.bin";
    size_t size;
    char *buf = read_file(path, &size);
    if (!buf) FAIL_TEST("tests/fixtures/stories260K/tok512.bin");
    // llama2.c format: int max_len, then per token: float score, int len, bytes. Its exporter
    // wrote "▁" as " " and <s>/</s> as "\n<s>\n"/"\n</s>\n": undo that.
    enum { N = 512 };
    char *toks[N];
    float sc[N];
    int32_t tt[N];
    size_t o = 4;
    int n = 0;
    for (; n < N && o + 8 <= size; n++) {
        int32_t len;
        memcpy(&sc[n], buf + o, 4);
        memcpy(&len, buf + o + 4, 4);
        o += 8;
        if (len < 0 || (size_t)len > size - o) break;
        toks[n] = pcb_malloc(3 * (size_t)len + 1);
        char *p = toks[n];
        for (int i = 0; i < len; i++) {
            if (buf[o + i] == ' ') {
                memcpy(p, SP, 3);
                p += 3;
            } else *p++ = buf[o + i];
        }
        *p = 0;
        o += (size_t)len;
        tt[n] = n == 0 ? 2 : n <= 2 ? 3 : n <= 258 ? 6 : 1;
    }
    CHECK(n == N);
    if (n == N) {
        strcpy(toks[1], "<s>");
        strcpy(toks[2], "</s>");
        gb b;
        tokenizer *t = make_spm(&b, (const char *const *)toks, sc, tt, N, -1);
        CHECK(t != NULL);
        for (size_t c = 0; t && c < sizeof spm_golden / sizeof spm_golden[0]; c++) {
            int32_t *ids;
            int k = enc(t, spm_golden[c].text, 0, &ids);
            int ok = k == spm_golden[c].n;
            for (int i = 0; ok && i < k; i++) ok = ids[i] == spm_golden[c].ids[i];
            CHECK_MSG(ok, "case %zu '%s': %d ids", c, spm_golden[c].text, k);
            char *d = tokenizer_decode(t, ids, (size_t)k, 0);
            CHECK_MSG(strcmp(d, spm_golden[c].text) == 0, "decode '%s' -> '%s'", spm_golden[c].text, d);
            free(d);
            free(ids);
        }
        tokenizer_free(t);
        gb_free(&b);
    }
    for (int i = 0; i < n; i++) free(toks[i]);
    free(buf);
}

// ---------------------------------------------------------------------------------------------
// Malformed metadata: NULL with a message naming the file and key, never a crash.

static int fails_with(gb *b, const char *what) {
    tokenizer *t = gb_tokenizer(b);
    const char *err = pcb_last_error();
    int ok = t == NULL && strstr(err, "test.gguf") && strstr(err, what);
    if (!ok) fprintf(stderr, "  expected an error about '%s', got %s: %s\n", what, t ? "a tokenizer" : "NULL", err);
    tokenizer_free(t);
    gb_free(b);
    return ok;
}

static void test_bad_metadata(void) {
    static const char *toks[] = {"a", "b", "ab"};
    static const int32_t tt3[] = {1, 1, 1}, tt2[] = {1, 1}, tt_bad[] = {1, 9, 1};
    static const char *merges_ok[] = {"a b"}, *merges_nospace[] = {"ab"}, *merges_trailing[] = {"a "};
    gb b;

    gb_init(&b);  // no model key
    gb_kv_strs(&b, "tokenizer.ggml.tokens", toks, 3);
    CHECK(fails_with(&b, "tokenizer.ggml.model"));

    gb_init(&b);
    gb_kv_str(&b, "tokenizer.ggml.model", "bert");
    gb_kv_strs(&b, "tokenizer.ggml.tokens", toks, 3);
    CHECK(fails_with(&b, "'bert'"));

    gb_init(&b);  // no tokens
    gb_kv_str(&b, "tokenizer.ggml.model", "gpt2");
    gb_kv_strs(&b, "tokenizer.ggml.merges", merges_ok, 1);
    CHECK(fails_with(&b, "tokenizer.ggml.tokens"));

    gb_init(&b);  // tokens of the wrong type
    gb_kv_str(&b, "tokenizer.ggml.model", "gpt2");
    gb_kv_str(&b, "tokenizer.ggml.tokens", "abc");
    CHECK(fails_with(&b, "tokenizer.ggml.tokens"));

    gb_init(&b);  // empty vocabulary
    gb_kv_str(&b, "tokenizer.ggml.model", "gpt2");
    gb_kv_strs(&b, "tokenizer.ggml.tokens", toks, 0);
    CHECK(fails_with(&b, "tokenizer.ggml.tokens"));

    gb_init(&b);  // no merges
    gb_kv_str(&b, "tokenizer.ggml.model", "gpt2");
    gb_kv_strs(&b, "tokenizer.ggml.tokens", toks, 3);
    CHECK(fails_with(&b, "tokenizer.ggml.merges"));

    gb_init(&b);
    gb_kv_str(&b, "tokenizer.ggml.model", "gpt2");
    gb_kv_strs(&b, "tokenizer.ggml.tokens", toks, 3);
    gb_kv_strs(&b, "tokenizer.ggml.merges", merges_nospace, 1);
    CHECK(fails_with(&b, "tokenizer.ggml.merges"));

    gb_init(&b);
    gb_kv_str(&b, "tokenizer.ggml.model", "gpt2");
    gb_kv_strs(&b, "tokenizer.ggml.tokens", toks, 3);
    gb_kv_strs(&b, "tokenizer.ggml.merges", merges_trailing, 1);
    CHECK(fails_with(&b, "tokenizer.ggml.merges"));

    gb_init(&b);  // token_type array of the wrong length
    gb_kv_str(&b, "tokenizer.ggml.model", "gpt2");
    gb_kv_strs(&b, "tokenizer.ggml.tokens", toks, 3);
    gb_kv_arr(&b, "tokenizer.ggml.token_type", GGUF_VAL_INT32, tt2, 2);
    gb_kv_strs(&b, "tokenizer.ggml.merges", merges_ok, 1);
    CHECK(fails_with(&b, "tokenizer.ggml.token_type"));

    gb_init(&b);  // token_type of the wrong element type
    gb_kv_str(&b, "tokenizer.ggml.model", "gpt2");
    gb_kv_strs(&b, "tokenizer.ggml.tokens", toks, 3);
    gb_kv_arr(&b, "tokenizer.ggml.token_type", GGUF_VAL_FLOAT32, tt3, 3);
    gb_kv_strs(&b, "tokenizer.ggml.merges", merges_ok, 1);
    CHECK(fails_with(&b, "tokenizer.ggml.token_type"));

    gb_init(&b);  // invalid token type value
    gb_kv_str(&b, "tokenizer.ggml.model", "gpt2");
    gb_kv_strs(&b, "tokenizer.ggml.tokens", toks, 3);
    gb_kv_arr(&b, "tokenizer.ggml.token_type", GGUF_VAL_INT32, tt_bad, 3);
    gb_kv_strs(&b, "tokenizer.ggml.merges", merges_ok, 1);
    CHECK(fails_with(&b, "tokenizer.ggml.token_type"));

    gb_init(&b);  // unknown pre-tokenizer: the message names the value
    gb_kv_str(&b, "tokenizer.ggml.model", "gpt2");
    gb_kv_str(&b, "tokenizer.ggml.pre", "no-such-pre");
    gb_kv_strs(&b, "tokenizer.ggml.tokens", toks, 3);
    gb_kv_strs(&b, "tokenizer.ggml.merges", merges_ok, 1);
    CHECK(fails_with(&b, "'no-such-pre'"));

    gb_init(&b);  // special token id outside the vocabulary
    gb_kv_str(&b, "tokenizer.ggml.model", "gpt2");
    gb_kv_strs(&b, "tokenizer.ggml.tokens", toks, 3);
    gb_kv_strs(&b, "tokenizer.ggml.merges", merges_ok, 1);
    gb_kv_u32(&b, "tokenizer.ggml.eos_token_id", 3);
    CHECK(fails_with(&b, "tokenizer.ggml.eos_token_id"));

    gb_init(&b);  // scores of the wrong length (SPM)
    gb_kv_str(&b, "tokenizer.ggml.model", "llama");
    gb_kv_strs(&b, "tokenizer.ggml.tokens", toks, 3);
    gb_kv_arr(&b, "tokenizer.ggml.scores", GGUF_VAL_FLOAT32, tt2, 2);
    CHECK(fails_with(&b, "tokenizer.ggml.scores"));

    gb_init(&b);  // bool of the wrong type
    gb_kv_str(&b, "tokenizer.ggml.model", "llama");
    gb_kv_strs(&b, "tokenizer.ggml.tokens", toks, 3);
    gb_kv_str(&b, "tokenizer.ggml.add_space_prefix", "yes");
    CHECK(fails_with(&b, "tokenizer.ggml.add_space_prefix"));

    // Sanity: the same minimal file without the defects loads; "ab" merges.
    gb_init(&b);
    gb_kv_str(&b, "tokenizer.ggml.model", "gpt2");
    gb_kv_strs(&b, "tokenizer.ggml.tokens", toks, 3);
    gb_kv_arr(&b, "tokenizer.ggml.token_type", GGUF_VAL_INT32, tt3, 3);
    gb_kv_strs(&b, "tokenizer.ggml.merges", merges_ok, 1);
    tokenizer *t = gb_tokenizer(&b);
    CHECK(t && encodes_to(t, "ab", 0, (const char *[]){"ab", NULL}));
    CHECK(t && tokenizer_bos(t) == -1 && tokenizer_add_bos(t) == 0);
    tokenizer_free(t);
    gb_free(&b);
}

// ---------------------------------------------------------------------------------------------
// Real model

static int open_model(gguf_file *g, tokenizer **t) {
    if (gguf_open(g, model_path())) return 0;
    *t = tokenizer_from_gguf(g);
    if (!*t) {
        fprintf(stderr, "  %s\n", pcb_last_error());
        gguf_close(g);
        return -1;
    }
    return 1;
}

static void test_model_basics(void) {
    gguf_file g;
    tokenizer *t;
    int rc = open_model(&g, &t);
    if (rc == 0) SKIP_TEST("model not found (set PCB_MODEL)");
    CHECK(rc == 1);
    if (rc != 1) return;
    CHECK(tokenizer_vocab_size(t) == 49152);
    CHECK(tokenizer_bos(t) == 1 && tokenizer_eos(t) == 2 && tokenizer_add_bos(t) == 0);
    CHECK(tokenizer_find(t, "<|im_start|>") == 1 && tokenizer_find(t, "<|im_end|>") == 2);
    CHECK(tokenizer_find(t, "<|endoftext|>") == 0 && tokenizer_find(t, "no such token") == -1);
    CHECK(tokenizer_is_control(t, 2) && !tokenizer_is_control(t, 100));
    char *p = tokenizer_chat_prompt(t, NULL, "Hi");
    CHECK(strcmp(p,
                 "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
                 "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n") == 0);
    free(p);
    p = tokenizer_chat_prompt(t, "Be brief.", "Hi");
    CHECK(
        strcmp(p, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n") ==
        0);
    free(p);

    // Bytes without a token (21 of them, e.g. 0x04, 0xC0, 0xFF) are dropped, as HF does.
    int32_t *ids;
    CHECK(enc(t,
              "a\x04\xFF"
              "b",
              0, &ids) == 2 &&
          ids[0] == 81 && ids[1] == 82);
    free(ids);
    CHECK(enc(t, "\xF1\x80\x80\x80", 0, &ids) == 3 && ids[0] == 218);  // U+40000: F1 has no token
    free(ids);

    // Any other bytes (invalid UTF-8 included; not NUL: decode returns a C string) survive
    // encode + decode without specials.
    unsigned char have[256];
    int n_have = 0;
    for (int c = 1; c < 256; c++) {
        char u[4];
        put_utf8(u, ref_byte_to_cp(c));
        if (tokenizer_find(t, u) >= 0) have[n_have++] = (unsigned char)c;
    }
    CHECK(n_have == 255 - 21);
    uint64_t x = 88172645463325252ull;
    char buf[300];
    for (int r = 0; r < 300; r++) {
        size_t n = (size_t)(r % 97) * 3;
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Mostly ASCII letters, spaces, digits and punctuation, with raw bytes mixed in.
            buf[i] =
                (x >> 32) % 4 == 0 ? (char)have[(x >> 40) % (uint64_t)n_have] : " aZ9.'\n\t\xC3\xA9"[(x >> 24) % 10];
        }
        CHECK_MSG(round_trips(t, buf, n, 0), "random string %d", r);
    }
    tokenizer_free(t);
    gguf_close(&g);
}

// Chat templates without a default system message give no system turn.
static void test_chat_template_parsing(void) {
    static const char *toks[] = {"a", "b", "ab"};
    static const char *merges[] = {"a b"};
    static const struct {
        const char *tpl, *sys;
    } cases[] = {
        {"{{ '<|im_start|>system\\nYou are X.<|im_end|>\\n' }}", "You are X."},  // escaped \n
        {"{% if x %}{{ \"<|im_start|>system\nSay \\\"Y\\\".<|im_end|>\n\" }}{% endif %}",
         "Say \"Y\"."},  // escaped quotes
        {"{{ '<|im_start|>system\n' + message['content'] + '<|im_end|>' }}", NULL},
        {"{{ bos_token }}{% for m in messages %}{{ m['content'] }}{% endfor %}", NULL},
        {"{{ '<|im_start|>system\n' + m }}{{ '<|im_start|>system\nDefault one.<|im_end|>\n' }}", "Default one."},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        gb b;
        gb_init(&b);
        gb_kv_str(&b, "tokenizer.ggml.model", "gpt2");
        gb_kv_strs(&b, "tokenizer.ggml.tokens", toks, 3);
        gb_kv_strs(&b, "tokenizer.ggml.merges", merges, 1);
        gb_kv_str(&b, "tokenizer.chat_template", cases[c].tpl);
        tokenizer *t = gb_tokenizer(&b);
        CHECK(t != NULL);
        if (t) {
            char *p = tokenizer_chat_prompt(t, NULL, "u");
            char want[256];
            if (cases[c].sys)
                snprintf(want, sizeof want,
                         "<|im_start|>system\n%s<|im_end|>\n<|im_start|>user\nu<|im_end|>\n<|im_start|>assistant\n",
                         cases[c].sys);
            else snprintf(want, sizeof want, "<|im_start|>user\nu<|im_end|>\n<|im_start|>assistant\n");
            CHECK_MSG(strcmp(p, want) == 0, "template %zu gave '%s'", c, p);
            free(p);
        }
        tokenizer_free(t);
        gb_free(&b);
    }
}

static int ids_equal(const int32_t *ids, size_t n, const cJSON *arr) {
    if (!cJSON_IsArray(arr) || (size_t)cJSON_GetArraySize(arr) != n) return 0;
    size_t i = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, arr) {
        if (!cJSON_IsNumber(v) || v->valueint != ids[i]) return 0;
        i++;
    }
    return 1;
}

static void test_golden(void) {
    const char *gpath = getenv("PCB_GOLDEN_TOKENS");
    if (!gpath || !*gpath) gpath = "tests/golden/tokens.json";
    size_t size;
    char *json = read_file(gpath, &size);
    if (!json) FAIL_TEST("tests/golden/tokens.json");
    gguf_file g;
    tokenizer *t;
    int rc = open_model(&g, &t);
    if (rc == 0) {
        free(json);
        SKIP_TEST("model not found (set PCB_MODEL)");
    }
    CHECK(rc == 1);
    cJSON *root = cJSON_Parse(json);
    CHECK_MSG(root != NULL, "cannot parse %s", gpath);
    if (rc != 1 || !root) {
        cJSON_Delete(root);
        free(json);
        if (rc == 1) {
            tokenizer_free(t);
            gguf_close(&g);
        }
        return;
    }
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases"), *c;
    CHECK(cJSON_GetArraySize(cases) > 0);
    int idx = 0;
    cJSON_ArrayForEach(c, cases) {
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(c, "text");
        const cJSON *ids_j = cJSON_GetObjectItemCaseSensitive(c, "ids");
        int special = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "parse_special"));
        CHECK(cJSON_IsString(text) && cJSON_IsArray(ids_j));
        if (!cJSON_IsString(text)) continue;
        const char *s = text->valuestring;  // the fixture has no NULs in its texts
        int32_t *ids;
        size_t n;
        CHECK(tokenizer_encode(t, s, strlen(s), special, &ids, &n) == 0);
        CHECK_MSG(ids_equal(ids, n, ids_j), "case %d (%.40s...): ids differ (%zu ids, want %d)", idx, s, n,
                  cJSON_GetArraySize(ids_j));
        char *d = tokenizer_decode(t, ids, n, special);
        CHECK_MSG(strcmp(d, s) == 0, "case %d: decode does not round-trip", idx);
        free(d);
        free(ids);
        idx++;
    }
    const cJSON *chats = cJSON_GetObjectItemCaseSensitive(root, "chat");
    CHECK(cJSON_GetArraySize(chats) > 0);
    idx = 0;
    cJSON_ArrayForEach(c, chats) {
        const cJSON *sys = cJSON_GetObjectItemCaseSensitive(c, "system");
        const cJSON *user = cJSON_GetObjectItemCaseSensitive(c, "user");
        const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(c, "prompt");
        const cJSON *ids_j = cJSON_GetObjectItemCaseSensitive(c, "ids");
        CHECK(cJSON_IsString(user) && cJSON_IsString(prompt));
        if (!cJSON_IsString(user) || !cJSON_IsString(prompt)) continue;
        char *p = tokenizer_chat_prompt(t, cJSON_IsString(sys) ? sys->valuestring : NULL, user->valuestring);
        CHECK_MSG(strcmp(p, prompt->valuestring) == 0, "chat %d: prompt '%s'", idx, p);
        int32_t *ids;
        size_t n;
        CHECK(tokenizer_encode(t, p, strlen(p), 1, &ids, &n) == 0);
        CHECK_MSG(ids_equal(ids, n, ids_j), "chat %d: ids differ", idx);
        char *d = tokenizer_decode(t, ids, n, 1);
        CHECK(strcmp(d, p) == 0);
        free(d);
        free(ids);
        free(p);
        idx++;
    }
    cJSON_Delete(root);
    free(json);
    tokenizer_free(t);
    gguf_close(&g);
}

int main(void) {
    RUN_TEST(test_byte_table_round_trip);
    RUN_TEST(test_bpe_merges);
    RUN_TEST(test_pretokenizers);
    RUN_TEST(test_long_runs);
    RUN_TEST(test_special_tokens);
    RUN_TEST(test_spm_small);
    RUN_TEST(test_spm_stories260k);
    RUN_TEST(test_bad_metadata);
    RUN_TEST(test_chat_template_parsing);
    RUN_TEST(test_model_basics);
    RUN_TEST(test_golden);
    return test_summary();
}
