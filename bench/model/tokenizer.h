// Tokenizer read from GGUF metadata (tokenizer.ggml.*):
//  - "gpt2": byte-level BPE (GPT-2 / SmolLM2 / Llama-3 / Qwen2 families). Pre-tokenizer regex
//    chosen by tokenizer.ggml.pre, run through PCRE2 (UTF-8 + Unicode properties); bytes mapped
//    through the GPT-2 byte-to-unicode table; merges applied by rank.
//  - "llama": SentencePiece-style BPE (Llama-2): scores as merge priority, "▁" for spaces,
//    byte fallback <0xXX>.
// Special tokens are matched verbatim in the input: control ones when parse_special is set,
// user-defined ones always (as HF and llama.cpp do); BPE never produces either.
#ifndef PCB_TOKENIZER_H
#define PCB_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "bench/model/gguf.h"

typedef struct tokenizer tokenizer;

// Returns NULL with pcb_last_error() set (naming the file and key) on malformed metadata.
tokenizer *tokenizer_from_gguf(const gguf_file *g);
void tokenizer_free(tokenizer *t);

int tokenizer_vocab_size(const tokenizer *t);
int32_t tokenizer_bos(const tokenizer *t);  // -1 when the model has none
int32_t tokenizer_eos(const tokenizer *t);
int tokenizer_add_bos(const tokenizer *t);  // tokenizer.ggml.add_bos_token
// Id of a token given its exact text (e.g. "<|im_end|>"), or -1.
int32_t tokenizer_find(const tokenizer *t, const char *piece);
// 1 for control tokens (token_type 3) such as <|im_start|>: generation stops on EOS/<|im_end|>.
int tokenizer_is_control(const tokenizer *t, int32_t id);

// Tokens that end generation: EOS and, for chat models, <|im_end|>. Returns the count (<= 2).
int tokenizer_stop_ids(const tokenizer *t, int32_t out[2]);
// Encodes UTF-8 text (need not be NUL-terminated). Does NOT add BOS; callers decide.
// *out is malloc'ed (caller frees). Returns 0, or -1 on invalid input (error set).
int tokenizer_encode(const tokenizer *t, const char *text, size_t len, int parse_special, int32_t **out, size_t *n_out);
// Decodes ids to UTF-8 (malloc'ed, NUL-terminated). Control tokens are rendered as their
// text when render_special is set, else skipped.
char *tokenizer_decode(const tokenizer *t, const int32_t *ids, size_t n, int render_special);

// ChatML prompt (SmolLM2-Instruct, Qwen2 use it): an optional system turn, one user turn, then
// "<|im_start|>assistant\n". When `system` is NULL the default system message is taken from
// the model's tokenizer.chat_template (SmolLM2's template injects one when the conversation has
// none), so the prompt equals what the template renders. malloc'ed, NUL-terminated.
char *tokenizer_chat_prompt(const tokenizer *t, const char *system, const char *user);

#endif
