// A sample as tokens: prompt texts → the pieces each method assembles, and the chunk plan.
#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"
#include "bench/method/pcomp.h"

static int encode(const tokenizer *tok, const char *text, int parse_special, int32_t **ids, int *n) {
    size_t len = 0;
    *ids = NULL, *n = 0;
    if (tokenizer_encode(tok, text ? text : "", text ? strlen(text) : 0, parse_special, ids, &len)) return -1;
    *n = (int)len;
    return 0;
}

static int32_t *join(const int32_t *a, int na, const int32_t *b, int nb, const int32_t *c, int nc, int *n) {
    *n = na + nb + nc;
    int32_t *out = pcb_malloc(sizeof(int32_t) * (*n > 0 ? *n : 1));
    if (na > 0) memcpy(out, a, sizeof(int32_t) * (size_t)na);
    if (nb > 0) memcpy(out + na, b, sizeof(int32_t) * (size_t)nb);
    if (nc > 0) memcpy(out + na + nb, c, sizeof(int32_t) * (size_t)nc);
    return out;
}

// Splits a chat prompt around a marker so the single-window prompt can hold the document
// between the chat opening (+ head) and the question (+ chat closing) as token pieces.
static char *chat_around(const tokenizer *tok, const char *user_before, const char *user_after, char **closing) {
    static const char marker[] = "\x01PCB_DOCUMENT\x01";
    size_t nb = strlen(user_before), na = strlen(user_after);
    char *user = pcb_malloc(nb + sizeof marker + na);
    memcpy(user, user_before, nb);
    memcpy(user + nb, marker, sizeof marker - 1);
    memcpy(user + nb + sizeof marker - 1, user_after, na + 1);
    char *full = tokenizer_chat_prompt(tok, NULL, user);
    free(user);
    char *at = full ? strstr(full, marker) : NULL;
    if (!at) {
        free(full);
        return NULL;
    }
    *at = 0;
    *closing = pcb_strdup(at + sizeof marker - 1);
    return full;
}

int pcomp_input_from_prompt(const tokenizer *tok, const pcomp_prompt *p, pcomp_input *in) {
    *in = (pcomp_input){.bos = tokenizer_add_bos(tok) ? tokenizer_bos(tok) : -1};
    int32_t *bos = in->bos >= 0 ? &in->bos : NULL, *b = NULL;
    int nbos = bos ? 1 : 0, nb = 0, rc = -1;
    if (encode(tok, p->document, 0, &in->doc, &in->n_doc) ||
        encode(tok, p->head, 0, &in->chunk_head, &in->n_chunk_head) ||
        encode(tok, p->tail, 0, &in->chunk_tail, &in->n_chunk_tail) ||
        encode(tok, p->question, 0, &in->query, &in->n_query))
        goto out;
    if (!p->chat) {
        in->question = join(in->query, in->n_query, NULL, 0, NULL, 0, &in->n_question);
        in->full_prefix = join(bos, nbos, in->chunk_head, in->n_chunk_head, NULL, 0, &in->n_full_prefix);
        in->full_suffix = join(in->chunk_tail, in->n_chunk_tail, in->query, in->n_query, NULL, 0, &in->n_full_suffix);
        rc = 0;
        goto out;
    }
    // Chat: the document sits inside one user turn. Every chunk opens it (system turn + user
    // header + instruction head), the final question closes it, so one chunk with nothing
    // evicted is exactly the single-window prompt.
    char *closing = NULL, *opening = chat_around(tok, "", "", &closing);
    if (!opening) {
        pcb_fail("chat template: cannot place the document inside the user turn");
        goto out;
    }
    const char *head = p->head ? p->head : "", *tail = p->tail ? p->tail : "", *q = p->question ? p->question : "";
    size_t lo = strlen(opening), lh = strlen(head), lt = strlen(tail), lq = strlen(q), lc = strlen(closing);
    char *head_text = pcb_malloc(lo + lh + 1), *question_text = pcb_malloc(lq + lc + 1);
    char *suffix_text = pcb_malloc(lt + lq + lc + 1);
    memcpy(head_text, opening, lo), memcpy(head_text + lo, head, lh + 1);
    memcpy(question_text, q, lq), memcpy(question_text + lq, closing, lc + 1);
    memcpy(suffix_text, tail, lt), memcpy(suffix_text + lt, question_text, lq + lc + 1);
    free(in->chunk_head);
    int bad = encode(tok, head_text, 1, &in->chunk_head, &in->n_chunk_head) ||
              encode(tok, question_text, 1, &in->question, &in->n_question) || encode(tok, suffix_text, 1, &b, &nb);
    free(opening), free(closing), free(head_text), free(question_text), free(suffix_text);
    if (bad) goto out;
    in->full_prefix = join(bos, nbos, in->chunk_head, in->n_chunk_head, NULL, 0, &in->n_full_prefix);
    in->full_suffix = join(b, nb, NULL, 0, NULL, 0, &in->n_full_suffix);
    rc = 0;
out:
    free(b);
    if (rc) pcomp_input_free(in);
    return rc;
}

int pcomp_input_from_tokens(const tokenizer *tok, const int32_t *doc, int n_doc, const int32_t *query, int n_query,
                            pcomp_input *in) {
    *in = (pcomp_input){.bos = tokenizer_add_bos(tok) ? tokenizer_bos(tok) : -1};
    int32_t *bos = in->bos >= 0 ? &in->bos : NULL;
    in->doc = join(doc, n_doc, NULL, 0, NULL, 0, &in->n_doc);
    in->query = join(query, n_query, NULL, 0, NULL, 0, &in->n_query);
    in->question = join(query, n_query, NULL, 0, NULL, 0, &in->n_question);
    in->chunk_head = join(NULL, 0, NULL, 0, NULL, 0, &in->n_chunk_head);
    in->chunk_tail = join(NULL, 0, NULL, 0, NULL, 0, &in->n_chunk_tail);
    in->full_prefix = join(bos, bos ? 1 : 0, NULL, 0, NULL, 0, &in->n_full_prefix);
    in->full_suffix = join(query, n_query, NULL, 0, NULL, 0, &in->n_full_suffix);
    return 0;
}

void pcomp_input_free(pcomp_input *in) {
    free(in->doc), free(in->chunk_head), free(in->chunk_tail), free(in->query), free(in->question);
    free(in->full_prefix), free(in->full_suffix);
    *in = (pcomp_input){.bos = -1};
}

int pcomp_plan_chunks(const pcomp_input *in, const pcomp_options *o, pcomp_chunk **out, int *n_out) {
    *out = NULL, *n_out = 0;
    int fixed = (in->bos >= 0) + in->n_chunk_head + in->n_chunk_tail;
    int room = o->chunk_tokens - fixed;
    if (room < 1)
        return pcb_fail("impossible budget: chunk_tokens %d leaves no room for the document", o->chunk_tokens);
    int n = (in->n_doc + room - 1) / room;
    pcomp_chunk *c = pcb_calloc((size_t)n, sizeof *c);
    int base = in->n_doc / n, extra = in->n_doc % n, at = 0;
    for (int i = 0; i < n; i++) {
        int len = base + (i < extra);  // balanced: sizes differ by at most one token
        int head = (in->bos >= 0) + (o->repeat_head || i == 0 ? in->n_chunk_head : 0);
        int tail = o->repeat_head || i == n - 1 ? in->n_chunk_tail : 0;
        c[i] = (pcomp_chunk){
            .index = i, .n_context = head + len + tail, .doc_begin = at, .doc_end = at + len, .score = 0, .kept = 1};
        at += len;
    }
    *out = c, *n_out = n;
    return 0;
}
