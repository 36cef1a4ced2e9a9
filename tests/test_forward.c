// Forward pass and KV cache semantics on a tiny random-weight model (tests/tiny_gguf.c):
// prefill == incremental decode, batched chunks == separate chunks, gather/concat, probes.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/base/error.h"
#include "bench/engine/forward.h"
#include "bench/method/perplexity.h"
#include "bench/model/model.h"
#include "kernels/kernels.h"
#include "tests/test.h"
#include "tests/tiny_gguf.h"

static model *tiny;
static char tiny_path[64];

static void seq_tokens(int32_t *t, int n, int salt) {
    for (int i = 0; i < n; i++) t[i] = 3 + (i * 37 + salt * 101) % (tiny->cfg.vocab_size - 3);
}

// The shared comparison helpers (tests/test.h) fail on NaN and Inf: an all-NaN side must
// never look equal to a finite one, nor "different enough" where a change is expected.
static void test_compare_helpers_reject_nan(void) {
    float a[4] = {1, 2, 3, 4}, b[4] = {1, 2, 3, 4}, nan4[4] = {NAN, NAN, NAN, NAN};
    CHECK(max_abs_diff(a, b, 4) == 0);
    b[3] = 4.5f;
    CHECK(max_abs_diff(a, b, 4) == 0.5);
    CHECK(!(max_abs_diff(a, nan4, 4) < 1e-4) && !(max_abs_diff(nan4, a, 4) < 1e-4));
    CHECK(!(max_abs_diff(nan4, nan4, 4) <= 1e-4));
    CHECK(!(max_abs_diff(a, nan4, 4) > 1e-6));  // nor does NaN count as "the logits changed"
    float inf[4] = {1, 2, INFINITY, 4}, ninf[4] = {1, 2, -INFINITY, 4};
    CHECK(!(max_abs_diff(a, inf, 4) < 1e-4) && !(max_abs_diff(inf, inf, 4) < 1e-4));
    CHECK(!(max_abs_diff(ninf, ninf, 4) <= 0) && !(max_abs_diff(inf, ninf, 4) > 1));
    // The running max used over rows: NaN sticks instead of being dropped by fmax.
    double worst = 0;
    worst = max_nan(worst, 0.25);
    worst = max_nan(worst, NAN);
    worst = max_nan(worst, 0.5);
    CHECK(isnan(worst) && !(worst < 1e-4));
    CHECK(max_nan(0.5, 0.25) == 0.5 && max_nan(0.25, 0.5) == 0.5);
}

// Runs tokens at positions start.. with chunk id `seq`, logits for every row.
static int run(kv_cache *c, const int32_t *tok, int n, int start, int seq, float *logits) {
    int32_t pos[256], seqs[256], rows[256];
    for (int i = 0; i < n; i++) pos[i] = start + i, seqs[i] = seq, rows[i] = i;
    forward_batch b = {.n = n,
                       .tokens = tok,
                       .pos = pos,
                       .seq = seqs,
                       .logit_rows = rows,
                       .n_logit_rows = logits ? n : 0,
                       .logits = logits};
    return forward(tiny, c, &b);
}

static void test_prefill_equals_decode(void) {
    int n = 40, V = tiny->cfg.vocab_size;
    int32_t tok[40];
    seq_tokens(tok, n, 0);
    float *all = malloc(sizeof(float) * n * V), *one = malloc(sizeof(float) * V);
    kv_cache *a = model_new_cache(tiny), *b = model_new_cache(tiny);
    CHECK(run(a, tok, n, 0, -1, all) == 0);
    double worst = 0;
    for (int i = 0; i < n; i++) {
        CHECK(run(b, tok + i, 1, i, -1, one) == 0);
        worst = max_nan(worst, max_abs_diff(all + (size_t)i * V, one, V));
    }
    CHECK_MSG(worst < 1e-4f, "prefill vs decode max |diff| %g", worst);
    // Two prefill calls (25 + 15) give the same last row as one.
    kv_cache *c = model_new_cache(tiny);
    CHECK(run(c, tok, 25, 0, -1, NULL) == 0);
    float *rest = malloc(sizeof(float) * 15 * V);
    CHECK(run(c, tok + 25, 15, 25, -1, rest) == 0);
    CHECK(max_abs_diff(rest + 14 * V, all + 39 * V, V) < 1e-4f);
    CHECK(kv_cache_max_len(c) == 40 && kv_cache_total_slots(c) == 40L * tiny->cfg.n_layers * tiny->cfg.n_kv_heads);
    kv_cache_free(a), kv_cache_free(b), kv_cache_free(c);
    free(all), free(one), free(rest);
}

// Decision 7: chunks prefilled together (seq ids) give exactly the caches of separate prefills.
static void test_batched_chunks_equal_separate(void) {
    int n1 = 20, n2 = 13, V = tiny->cfg.vocab_size;
    int32_t tok[33], pos[33], seq[33], rows[33];
    seq_tokens(tok, n1, 1);
    seq_tokens(tok + n1, n2, 2);
    for (int i = 0; i < n1 + n2; i++) {
        pos[i] = i < n1 ? i : i - n1;  // positions reused from 0 in every chunk
        seq[i] = i < n1 ? 0 : 1;
        rows[i] = i;
    }
    float *lb = malloc(sizeof(float) * (n1 + n2) * V), *l1 = malloc(sizeof(float) * n1 * V);
    float *l2 = malloc(sizeof(float) * n2 * V);
    kv_cache *batched = model_new_cache(tiny), *c1 = model_new_cache(tiny), *c2 = model_new_cache(tiny);
    forward_batch b = {
        .n = n1 + n2, .tokens = tok, .pos = pos, .seq = seq, .logit_rows = rows, .n_logit_rows = n1 + n2, .logits = lb};
    CHECK(forward(tiny, batched, &b) == 0);
    CHECK(run(c1, tok, n1, 0, 0, l1) == 0);
    CHECK(run(c2, tok + n1, n2, 0, 1, l2) == 0);
    CHECK(max_abs_diff(lb, l1, n1 * V) < 1e-4f);
    CHECK(max_abs_diff(lb + (size_t)n1 * V, l2, n2 * V) < 1e-4f);
    kv_cache *parts[2] = {c1, c2};
    kv_cache *cat = kv_cache_concat(parts, 2);
    int hd = tiny->cfg.head_dim;
    for (int s = 0; s < tiny->cfg.n_layers * tiny->cfg.n_kv_heads; s++) {
        kv_head *x = &batched->heads[s], *y = &cat->heads[s];
        CHECK(x->n == n1 + n2 && y->n == n1 + n2);
        CHECK(max_abs_diff(x->k, y->k, x->n * hd) < 1e-5f && max_abs_diff(x->v, y->v, x->n * hd) < 1e-5f);
        CHECK(!memcmp(x->pos, y->pos, sizeof(int32_t) * x->n) && !memcmp(x->chunk, y->chunk, sizeof(int32_t) * x->n));
    }
    kv_cache_free(batched), kv_cache_free(c1), kv_cache_free(c2), kv_cache_free(cat);
    free(lb), free(l1), free(l2);
}

// Evicting a whole chunk by gather leaves exactly the cache of the other chunk: a question
// attending to it gets the same logits, and the memory really shrinks.
static void test_gather_evicts(void) {
    int n1 = 16, n2 = 24, V = tiny->cfg.vocab_size;
    int32_t t1[16], t2[24], q[3];
    seq_tokens(t1, n1, 3);
    seq_tokens(t2, n2, 4);
    seq_tokens(q, 3, 5);
    kv_cache *c1 = model_new_cache(tiny), *c2 = model_new_cache(tiny);
    run(c1, t1, n1, 0, 0, NULL);
    run(c2, t2, n2, 0, 1, NULL);
    kv_cache *parts[2] = {c1, c2};
    kv_cache *merged = kv_cache_concat(parts, 2);
    size_t before = kv_cache_bytes(merged);
    int32_t keep[16];
    for (int i = 0; i < n1; i++) keep[i] = i;
    for (int s = 0; s < tiny->cfg.n_layers * tiny->cfg.n_kv_heads; s++)
        CHECK(kv_head_gather(&merged->heads[s], tiny->cfg.head_dim, keep, n1) == 0);
    CHECK(kv_cache_bytes(merged) < before);
    CHECK(kv_cache_max_len(merged) == n1);
    float *la = malloc(sizeof(float) * 3 * V), *lb = malloc(sizeof(float) * 3 * V);
    run(merged, q, 3, 30, -1, la);  // question after the longest chunk
    run(c1, q, 3, 30, -1, lb);
    CHECK(max_abs_diff(la, lb, 3 * V) < 1e-4f);
    // Bad gather indices are rejected and leave the head untouched.
    int32_t bad[2] = {5, 5};
    int n_before = merged->heads[0].n;
    CHECK(kv_head_gather(&merged->heads[0], tiny->cfg.head_dim, bad, 2) == -1);
    CHECK(strstr(pcb_last_error(), "not increasing") != NULL);
    CHECK(merged->heads[0].n == n_before);
    kv_cache_free(c1), kv_cache_free(c2), kv_cache_free(merged);
    free(la), free(lb);
}

typedef struct {
    int calls;
    double max_sum_err;
    int masked_nonzero;
    int n_slots_seen;
    float first_probs[64];
    int last_key, out_of_order;  // calls must come in (head, row) order
} probe_acc;

static void on_row(void *user, int layer, int q_head, int row, const float *probs, const kv_head *slots) {
    probe_acc *a = user;
    double s = 0;
    for (int j = 0; j < slots->n; j++) {
        s += probs[j];
        if (slots->chunk[j] == 1 && probs[j] != 0.0f) a->masked_nonzero++;  // rows observed are chunk 0's
    }
    a->max_sum_err = max_nan(a->max_sum_err, fabs(s - 1.0));
    int key = (layer * 1000 + q_head) * 1000 + row;
    if (a->calls && key <= a->last_key) a->out_of_order++;
    a->last_key = key;
    if (a->calls == 0) {
        a->n_slots_seen = slots->n;
        memcpy(a->first_probs, probs, sizeof(float) * (slots->n < 64 ? slots->n : 64));
    }
    a->calls++;
}

static void test_probe(void) {
    int n1 = 10, n2 = 10;
    int32_t tok[20], pos[20], seq[20];
    seq_tokens(tok, 20, 6);
    for (int i = 0; i < 20; i++) pos[i] = i % 10, seq[i] = i < n1 ? 0 : 1;
    uint8_t layers[64] = {0};
    layers[1] = 1;
    int32_t rows[2] = {3, 9};  // rows of chunk 0
    probe_acc acc = {0};
    probe p = {.layers = layers, .rows = rows, .n_rows = 2, .on_row = on_row, .user = &acc};
    kv_cache *c = model_new_cache(tiny);
    forward_batch b = {.n = n1 + n2, .tokens = tok, .pos = pos, .seq = seq, .probe = &p};
    CHECK(forward(tiny, c, &b) == 0);
    CHECK(acc.calls == 2 * tiny->cfg.n_heads);  // one layer x 2 rows x heads
    CHECK(acc.max_sum_err < 1e-5);
    CHECK(acc.masked_nonzero == 0);
    CHECK(acc.out_of_order == 0);
    CHECK(acc.n_slots_seen == n1 + n2);
    // row 3 sees slots 0..3 of chunk 0 only
    for (int j = 4; j < acc.n_slots_seen && j < 64; j++) CHECK(acc.first_probs[j] == 0.0f);
    // bad probe rows are rejected
    int32_t bad_rows[1] = {25};
    probe pb = {.rows = bad_rows, .n_rows = 1, .on_row = on_row, .user = &acc};
    forward_batch bb = {.n = 1, .tokens = tok, .pos = pos, .probe = &pb};
    CHECK(forward(tiny, c, &bb) == -1);
    kv_cache_free(c);
}

static void test_bad_batches(void) {
    kv_cache *c = model_new_cache(tiny);
    int32_t tok = tiny->cfg.vocab_size, pos = 0, neg = -1, zero = 0;
    forward_batch b = {.n = 1, .tokens = &tok, .pos = &pos};
    CHECK(forward(tiny, c, &b) == -1 && strstr(pcb_last_error(), "outside the vocabulary"));
    forward_batch b2 = {.n = 1, .tokens = &zero, .pos = &neg};
    CHECK(forward(tiny, c, &b2) == -1 && strstr(pcb_last_error(), "negative position"));
    forward_batch b3 = {.n = 0, .tokens = &zero, .pos = &zero};
    CHECK(forward(tiny, c, &b3) == -1);
    CHECK(kv_cache_total_slots(c) == 0);  // rejected batches append nothing
    kv_cache_free(c);
}

// The default tiny model with its matrices stored as `type` (or, dequantised, as the F32 values
// that type decodes to), loaded; the file is removed again.
static model *load_tiny_as(ggml_type type, int dequantised) {
    tiny_llama_config cfg = tiny_llama_default();
    cfg.wtype = type, cfg.store_dequantised = dequantised;
    char path[80];
    snprintf(path, sizeof path, "/tmp/pcb_tiny_%s%s_%d.gguf", ggml_type_name(type), dequantised ? "_deq" : "",
             (int)getpid());
    model *mq = tiny_llama_write(path, &cfg) == 0 ? model_load(path) : NULL;
    if (!mq) fprintf(stderr, "  tiny %s model: %s\n", ggml_type_name(type), pcb_last_error());
    unlink(path);  // the model keeps its mapping; the name is no longer needed
    return mq;
}
static model *load_tiny_variant(ggml_type type) { return load_tiny_as(type, 0); }

// Logits of 8 prefilled rows, then of one decode step (token 8 at position 8) of model mm.
static void prefill_and_decode(model *mm, const int32_t *tok, float *rows8, float *decoded) {
    kv_cache *c = model_new_cache(mm);
    model *saved = tiny;
    tiny = mm;
    CHECK(run(c, tok, 8, 0, -1, rows8) == 0);
    CHECK(run(c, tok + 8, 1, 8, -1, decoded) == 0);
    tiny = saved;
    kv_cache_free(c);
}

// Each quantised variant against its float32 twin holding the dequantised weights: the same
// function, so the logits agree to float32 rounding (measured <= 2.1e-7; logits are ~0.1),
// in the prefill and in the decode step (which reads the quantised blocks directly).
static void test_quantised_tiny_models(void) {
    ggml_type types[] = {GGML_TYPE_F16, GGML_TYPE_BF16, GGML_TYPE_Q8_0, GGML_TYPE_Q4_0, GGML_TYPE_Q4_1};
    int32_t tok[9];
    seq_tokens(tok, 9, 7);
    int V = tiny->cfg.vocab_size;
    float *ref = malloc(sizeof(float) * 9 * V), *got = malloc(sizeof(float) * 9 * V);
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        model *mq = load_tiny_variant(types[i]), *mf = load_tiny_as(types[i], 1);
        CHECK(mq != NULL && mf != NULL);
        if (mq && mf) {
            CHECK(mf->layers[0].qwq.type == GGML_TYPE_F32 && mq->layers[0].qwq.type == (int)types[i]);
            prefill_and_decode(mf, tok, ref, ref + (size_t)8 * V);
            prefill_and_decode(mq, tok, got, got + (size_t)8 * V);
            double d = max_abs_diff(ref, got, (size_t)8 * V),
                   dd = max_abs_diff(ref + (size_t)8 * V, got + (size_t)8 * V, V);
            CHECK_MSG(d < 1e-5 && dd < 1e-5,
                      "%s vs its dequantised F32 twin: max |logit diff| %g (prefill), %g (decode)",
                      ggml_type_name(types[i]), d, dd);
            printf("  %s vs dequantised F32: max |logit diff| %.1e prefill, %.1e decode\n", ggml_type_name(types[i]), d,
                   dd);
            // The twin really differs from the unquantised model (else this compares nothing).
            float *plain = malloc(sizeof(float) * 9 * V);
            prefill_and_decode(tiny, tok, plain, plain + (size_t)8 * V);
            CHECK_MSG(max_abs_diff(plain, ref, (size_t)8 * V) > 0, "%s: quantisation changed no logit",
                      ggml_type_name(types[i]));
            free(plain);
        }
        model_free(mq), model_free(mf);
    }
    free(ref), free(got);
}

// An untied output.weight: rows 2 * token_embd[perm(v)]. Everything before the output
// projection is the tied model's (the same draws), so logit v must be twice the tied
// model's logit perm(v) - which fails if the engine reads token_embd instead, or transposes.
static void test_untied_output(void) {
    int V = tiny->cfg.vocab_size, D = tiny->cfg.dim;
    CHECK(tiny->cfg.tied_embeddings);
    float *w = malloc(sizeof(float) * (size_t)V * D);
    for (int v = 0; v < V; v++)  // 7 is prime to the vocabulary size (275): a permutation
        for (int d = 0; d < D; d++) w[(size_t)v * D + d] = 2.0f * tiny->token_embd[(size_t)((v * 7 + 3) % V) * D + d];
    tiny_llama_config cfg = tiny_llama_default();
    tg_writer *wr = tiny_llama_build(&cfg);
    uint64_t ne[2] = {(uint64_t)D, (uint64_t)V};
    CHECK(tg_add_tensor_f32(wr, "output.weight", GGML_TYPE_F32, 2, ne, w) >= 0);
    char path[64];
    snprintf(path, sizeof path, "/tmp/pcb_tiny_untied_%d.gguf", (int)getpid());
    CHECK(tg_write_file(wr, path) == 0);
    tg_free(wr);
    model *mu = model_load(path);
    unlink(path);
    CHECK_MSG(mu != NULL, "%s", pcb_last_error());
    if (!mu) {
        free(w);
        return;
    }
    CHECK(!mu->cfg.tied_embeddings && mu->output != mu->token_embd);
    int32_t tok[9];
    seq_tokens(tok, 9, 11);
    float *a = malloc(sizeof(float) * 9 * V), *b = malloc(sizeof(float) * 9 * V);
    prefill_and_decode(tiny, tok, a, a + (size_t)8 * V);
    prefill_and_decode(mu, tok, b, b + (size_t)8 * V);
    double worst = 0;
    for (int r = 0; r < 9; r++)
        for (int v = 0; v < V; v++)
            worst = max_nan(worst, fabs(b[(size_t)r * V + v] - 2.0 * a[(size_t)r * V + (v * 7 + 3) % V]));
    CHECK_MSG(worst < 1e-5, "untied logits vs 2 x tied logits permuted: max |diff| %g", worst);
    model_free(mu);
    free(w), free(a), free(b);
}

// Window bookkeeping of the perplexity protocol, with and without a BOS per window, and the
// NLL of the first window equal to a hand computation from full logits.
static void test_perplexity_windows(void) {
    int32_t tok[10];
    seq_tokens(tok, 10, 8);
    ppl_stats a = {0}, b = {0};
    CHECK(perplexity_accumulate(tiny, tok, 10, 4, -1, &a, NULL, NULL) == 0);
    CHECK(a.n_windows == 3 && a.n_predicted == 3 + 3 + 1);
    CHECK(perplexity_accumulate(tiny, tok, 10, 4, TINY_BOS_ID, &b, NULL, NULL) == 0);
    CHECK(b.n_windows == 4 && b.n_predicted == 10);  // windows of BOS + 3 text tokens
    int V = tiny->cfg.vocab_size;
    float *l = malloc(sizeof(float) * 4 * V);
    kv_cache *c = model_new_cache(tiny);
    run(c, tok, 4, 0, -1, l);
    double nll = 0;
    for (int t = 0; t < 3; t++) nll += logsumexp_row(l + (size_t)t * V, V) - l[(size_t)t * V + tok[t + 1]];
    ppl_stats one = {0};
    CHECK(perplexity_accumulate(tiny, tok, 4, 4, -1, &one, NULL, NULL) == 0);
    CHECK_NEAR(one.nll_sum, nll, 1e-3);
    ppl_stats none = {0};
    CHECK(perplexity_accumulate(tiny, tok, 1, 4, -1, &none, NULL, NULL) == -1);
    kv_cache_free(c);
    free(l);
}

// Tensors of architectures we do not implement are refused, not ignored.
static void test_unknown_tensors_rejected(void) {
    const char *extra[] = {"blk.0.attn_q.bias", "rope_freqs.weight"};
    const char *expect[] = {"not used by the llama architecture", "rope_freqs"};
    for (int i = 0; i < 2; i++) {
        tiny_llama_config cfg = tiny_llama_default();
        tg_writer *w = tiny_llama_build(&cfg);
        uint64_t ne[1] = {32};
        float zeros[32] = {0};
        CHECK(tg_add_tensor_f32(w, extra[i], GGML_TYPE_F32, 1, ne, zeros) >= 0);
        char path[64];
        snprintf(path, sizeof path, "/tmp/pcb_tiny_extra_%d.gguf", (int)getpid());
        CHECK(tg_write_file(w, path) == 0);
        tg_free(w);
        model *bad = model_load(path);
        CHECK(bad == NULL);
        CHECK_MSG(strstr(pcb_last_error(), expect[i]) != NULL, "%s", pcb_last_error());
        model_free(bad);
        unlink(path);
    }
}

// Decode through the Q4_1 / Q8_0 blocks equals decode through the float32 copy.
static void test_quant_decode_matches_f32(void) {
    ggml_type types[] = {GGML_TYPE_Q4_1, GGML_TYPE_Q8_0};
    for (int i = 0; i < 2; i++) {
        model *mq = load_tiny_variant(types[i]);
        CHECK(mq != NULL);
        if (!mq) continue;
        int V = mq->cfg.vocab_size;
        float *a = malloc(sizeof(float) * V), *b = malloc(sizeof(float) * V);
        int32_t tok[6];
        seq_tokens(tok, 6, 9);
        for (int pass = 0; pass < 2; pass++) {
            mq->quant_decode = pass == 0;
            kv_cache *c = model_new_cache(mq);
            CHECK(forward_sequence(mq, c, tok, 5, 0, NULL) == 0);
            CHECK(forward_sequence(mq, c, tok + 5, 1, 5, pass == 0 ? a : b) == 0);  // one row: decode path
            kv_cache_free(c);
        }
        CHECK_MSG(max_abs_diff(a, b, V) < 1e-4f, "%s: %g", ggml_type_name(types[i]), max_abs_diff(a, b, V));
        free(a), free(b);
        model_free(mq);
    }
}

int main(void) {
    kernels_set_num_threads(2);
    snprintf(tiny_path, sizeof tiny_path, "/tmp/pcb_tiny_%d.gguf", (int)getpid());
    if (tiny_llama_write(tiny_path, NULL) != 0 || !(tiny = model_load(tiny_path))) {
        fprintf(stderr, "cannot build the tiny model: %s\n", pcb_last_error());
        printf("not ok - tiny_model_setup\n");
        return 1;
    }
    RUN_TEST(test_compare_helpers_reject_nan);
    RUN_TEST(test_prefill_equals_decode);
    RUN_TEST(test_batched_chunks_equal_separate);
    RUN_TEST(test_gather_evicts);
    RUN_TEST(test_probe);
    RUN_TEST(test_bad_batches);
    RUN_TEST(test_quantised_tiny_models);
    RUN_TEST(test_untied_output);
    RUN_TEST(test_perplexity_windows);
    RUN_TEST(test_unknown_tensors_rejected);
    RUN_TEST(test_quant_decode_matches_f32);
    model_free(tiny);
    unlink(tiny_path);
    return test_summary();
}
