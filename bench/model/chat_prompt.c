// ChatML prompt (tokenizer_chat_prompt) and the default system message that the model's chat
// template injects when the conversation has no system turn.
#include "bench/model/tokenizer.h"

#include <string.h>

#include "bench/base/error.h"
#include "bench/model/tokenizer_internal.h"

// Default system message: the string literal '<|im_start|>system\n...<|im_end|>' that templates
// such as SmolLM2's emit when the conversation has no system turn. A literal that is closed
// before <|im_end|> (e.g. '<|im_start|>system\n' + message['content']) is the rendering of a
// given system message, not a default, and is skipped.
char *tok_default_system(const char *tpl, size_t n) {
    static const char head[] = "<|im_start|>system", tail[] = "<|im_end|>";
    const size_t hl = sizeof head - 1, tl = sizeof tail - 1;
    for (size_t i = 1; i + hl <= n; i++) {
        if (memcmp(tpl + i, head, hl) != 0) continue;
        char q = tpl[i - 1];
        if (q != '\'' && q != '"') continue;
        size_t p = i + hl;
        if (p < n && tpl[p] == '\n') p += 1;                                // real newline in the GGUF
        else if (p + 1 < n && tpl[p] == '\\' && tpl[p + 1] == 'n') p += 2;  // escaped, as in the jinja source
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

char *tokenizer_chat_prompt(const tokenizer *t, const char *system, const char *user) {
    if (!system) system = t->default_system;
    tok_sbuf s = {0};
    tok_sb_put(&s, "", 0);
    if (system) {
        tok_sb_put(&s, "<|im_start|>system\n", 19);
        tok_sb_put(&s, system, strlen(system));
        tok_sb_put(&s, "<|im_end|>\n", 11);
    }
    tok_sb_put(&s, "<|im_start|>user\n", 17);
    tok_sb_put(&s, user, strlen(user));
    tok_sb_put(&s, "<|im_end|>\n<|im_start|>assistant\n", 33);
    return s.p;
}
