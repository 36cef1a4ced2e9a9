// Selection kernels of KV eviction: max-pooling of slot scores and top-k slot indices.
#include <stdlib.h>

#include "kernels/kernels.h"

void maxpool1d(float *out, const float *in, int n, int kernel) {
    int half = kernel / 2;
    for (int i = 0; i < n; i++) {
        int lo = i - half < 0 ? 0 : i - half, hi = i + half >= n ? n - 1 : i + half;
        float best = in[lo];
        for (int j = lo + 1; j <= hi; j++)
            if (in[j] > best) best = in[j];
        out[i] = best;
    }
}

typedef struct {
    float score;
    int32_t index;
} scored;

// Higher score first; equal scores: the earlier slot first (deterministic).
static int by_score_desc(const void *a, const void *b) {
    const scored *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static int by_index(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int topk_indices(int32_t *out, const float *scores, int n, int k) {
    if (k > n) k = n;
    if (k <= 0) return 0;
    scored *tmp = malloc(sizeof(scored) * (size_t)n);
    if (!tmp) return -1;
    for (int i = 0; i < n; i++) tmp[i] = (scored){scores[i], i};
    qsort(tmp, (size_t)n, sizeof *tmp, by_score_desc);
    for (int i = 0; i < k; i++) out[i] = tmp[i].index;
    free(tmp);
    qsort(out, (size_t)k, sizeof *out, by_index);
    return k;
}
