#include "analysis/store/h5_util.h"

#include <stdlib.h>
#include <string.h>

#include "bench/base/error.h"

void h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

static int write_attr(hid_t loc, const char *name, hid_t type, hid_t space, const void *data) {
    if (H5Aexists(loc, name) > 0) H5Adelete(loc, name);
    hid_t a = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a < 0 || H5Awrite(a, type, data) < 0;
    if (a >= 0) H5Aclose(a);
    return rc ? -1 : 0;
}

int h5_attr_int(hid_t loc, const char *name, int value) {
    hid_t s = H5Screate(H5S_SCALAR);
    int rc = write_attr(loc, name, H5T_NATIVE_INT, s, &value);
    H5Sclose(s);
    return rc;
}

int h5_attr_double(hid_t loc, const char *name, double value) {
    hid_t s = H5Screate(H5S_SCALAR);
    int rc = write_attr(loc, name, H5T_NATIVE_DOUBLE, s, &value);
    H5Sclose(s);
    return rc;
}

int h5_attr_ints(hid_t loc, const char *name, const int32_t *values, int n) {
    hsize_t dims[1] = {(hsize_t)n};
    hid_t s = n > 0 ? H5Screate_simple(1, dims, NULL) : H5Screate(H5S_NULL);
    int32_t none = 0;
    int rc = write_attr(loc, name, H5T_NATIVE_INT32, s, n > 0 ? values : &none);
    H5Sclose(s);
    return rc;
}

int h5_attr_str(hid_t loc, const char *name, const char *value) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, strlen(value) + 1);  // fixed-length, NUL-terminated: h5dump prints it plainly
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t s = H5Screate(H5S_SCALAR);
    int rc = write_attr(loc, name, t, s, value);
    H5Sclose(s), H5Tclose(t);
    return rc;
}

int h5_get_int(hid_t loc, const char *name, int *out) {
    if (H5Aexists(loc, name) <= 0) return -1;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    int rc = a < 0 || H5Aread(a, H5T_NATIVE_INT, out) < 0;
    if (a >= 0) H5Aclose(a);
    return rc ? -1 : 0;
}

int h5_get_ints(hid_t loc, const char *name, int32_t **out, int *n) {
    *out = NULL, *n = 0;
    if (H5Aexists(loc, name) <= 0) return -1;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return -1;
    hid_t s = H5Aget_space(a);
    hssize_t count = H5Sget_simple_extent_npoints(s);
    int rc = 0;
    if (H5Sget_simple_extent_type(s) != H5S_NULL && count > 0) {
        *out = pcb_malloc(sizeof(int32_t) * (size_t)count);
        *n = (int)count;
        rc = H5Aread(a, H5T_NATIVE_INT32, *out) < 0 ? -1 : 0;
    }
    H5Sclose(s), H5Aclose(a);
    if (rc) free(*out), *out = NULL, *n = 0;
    return rc;
}

char *h5_get_str(hid_t loc, const char *name) {
    if (H5Aexists(loc, name) <= 0) return NULL;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return NULL;
    hid_t t = H5Aget_type(a);
    char *out = NULL;
    if (H5Tget_class(t) == H5T_STRING && !H5Tis_variable_str(t)) {
        size_t size = H5Tget_size(t);
        out = pcb_calloc(1, size + 1);
        if (H5Aread(a, t, out) < 0) free(out), out = NULL;
    }
    H5Tclose(t), H5Aclose(a);
    return out;
}
