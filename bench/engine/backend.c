// The backend contract's choice and questions (backend.h); the engines answer through their
// backend_ops, the CUDA one's other entries are in backend_cuda.c (or backend_cuda_absent.c).
#include <string.h>

#include "bench/base/error.h"
#include "bench/engine/backend_internal.h"

int backend_parse(const char *name, backend_kind *kind) {
    if (!strcmp(name, "cpu")) return *kind = BACKEND_CPU, 0;
    if (!strcmp(name, "cuda")) return *kind = BACKEND_CUDA, 0;
    return pcb_fail("unknown backend '%s' (expected cpu or cuda)", name);
}

int backend_available(backend_kind kind, char *why, size_t cap) {
    if (kind == BACKEND_CUDA) return cuda_available(why, cap);
    if (cap) why[0] = 0;
    return 1;
}

const backend_ops *backend_of(const model *m) { return m->backend ? m->backend : &backend_cpu; }

int backend_select(model *m, backend_kind kind) {
    const backend_ops *now = backend_of(m);
    if (now->kind == kind) return 0;
    if (now != &backend_cpu)
        return pcb_fail("backend %s: the model already runs on %s (chosen once, after loading)",
                        kind == BACKEND_CUDA ? "cuda" : "cpu", now->name);
    return cuda_select(m);
}

const char *backend_name(const model *m) { return backend_of(m)->name; }
int backend_on_device(const model *m) { return backend_of(m)->on_device; }

size_t backend_weight_bytes(const model *m) {
    const backend_ops *b = backend_of(m);
    return b->weight_bytes ? b->weight_bytes(m) : 0;
}

void backend_peak_reset(const model *m) {
    const backend_ops *b = backend_of(m);
    if (b->peak_reset) b->peak_reset();
}

size_t backend_peak_bytes(const model *m) {
    const backend_ops *b = backend_of(m);
    return b->peak_bytes ? b->peak_bytes() : 0;
}
