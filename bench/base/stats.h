// Small statistics over arrays of doubles, for timings and result tables.
#ifndef PCB_BASE_STATS_H
#define PCB_BASE_STATS_H

// qsort comparator: ascending doubles (NaNs compare equal to everything; callers keep them out).
int pcb_cmp_double(const void *a, const void *b);
// Median of v[0..n) (sorts v in place; an even count takes the mean of the middle two); NAN when n <= 0.
double pcb_median(double *v, int n);

#endif
