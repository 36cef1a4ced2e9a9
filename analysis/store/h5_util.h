// Small HDF5 helpers shared by the attention log's writer and reader: scalar and array
// attributes, with HDF5's own error printing switched off (our messages name the file).
#ifndef PCB_H5_UTIL_H
#define PCB_H5_UTIL_H

#include <hdf5.h>
#include <stdint.h>

void h5_quiet(void);  // no HDF5 error stacks on stderr
int h5_attr_int(hid_t loc, const char *name, int value);
int h5_attr_ints(hid_t loc, const char *name, const int32_t *values, int n);  // n may be 0
int h5_attr_double(hid_t loc, const char *name, double value);
int h5_attr_str(hid_t loc, const char *name, const char *value);
// Readers: 0 or -1 (missing or wrong type). Strings and arrays are malloc'ed.
int h5_get_int(hid_t loc, const char *name, int *out);
int h5_get_ints(hid_t loc, const char *name, int32_t **out, int *n);
char *h5_get_str(hid_t loc, const char *name);

#endif
