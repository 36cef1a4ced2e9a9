#include "bench/engine/peak_memory.h"

#include "bench/base/sysinfo.h"
#ifdef PCB_HAVE_CUDA
#include "kernels/kernels_cuda.h"
#endif

void peak_memory_reset(const model *m) {
    peak_rss_reset();
#ifdef PCB_HAVE_CUDA
    if (m->cuda) kcuda_peak_reset();
#endif
    (void)m;
}

size_t peak_device_bytes(const model *m) {
#ifdef PCB_HAVE_CUDA
    if (m->cuda) return kcuda_peak_bytes();
#endif
    (void)m;
    return 0;
}
