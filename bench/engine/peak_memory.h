// Peak memory of one measured run: the host's VmHWM and, for a model on the GPU, the device
// allocator's peak. Every measurement starts both again, so a peak belongs to one run only.
#ifndef PCB_ENGINE_PEAK_MEMORY_H
#define PCB_ENGINE_PEAK_MEMORY_H

#include <stddef.h>

#include "bench/model/model.h"

// Starts new peaks: host VmHWM drops to the current RSS (bench/base/sysinfo.h peak_rss_reset) and
// the GPU peak to the bytes in use when m runs on the GPU.
void peak_memory_reset(const model *m);
// The GPU allocator's peak since the last reset; 0 when m runs on the CPU.
size_t peak_device_bytes(const model *m);

#endif
