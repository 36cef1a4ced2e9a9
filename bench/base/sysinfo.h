// Wall clock and process memory, for timings and peak-memory reports.
#ifndef PCB_SYSINFO_H
#define PCB_SYSINFO_H

#include <stddef.h>

double now_ms(void);
// Peak resident set size of this process in bytes (VmHWM), 0 if unknown.
size_t peak_rss_bytes(void);
size_t current_rss_bytes(void);
// Starts a new peak (Linux clear_refs "5"): VmHWM drops to the current RSS. -1 if unsupported.
int peak_rss_reset(void);
// CPU model name from /proc/cpuinfo ("unknown" if absent).
void cpu_model_name(char *out, size_t cap);

#endif
