#include "bench/engine/peak_memory.h"

#include "bench/base/sysinfo.h"
#include "bench/engine/backend.h"

void peak_memory_reset(const model *m) {
    peak_rss_reset();
    backend_peak_reset(m);
}

size_t peak_device_bytes(const model *m) { return backend_peak_bytes(m); }
