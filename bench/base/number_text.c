#include "bench/base/number_text.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

int number_text_int(const char *s, long long *v) {
    const char *d = s + (*s == '-');
    if (!*d || (d[0] == '0' && d[1])) return -1;
    for (const char *q = d; *q; q++)
        if (*q < '0' || *q > '9') return -1;
    errno = 0;
    *v = strtoll(s, NULL, 10);
    return errno ? -2 : 0;
}

int number_text_float(const char *s, double *v) {
    const char *q = s;
    if (*q == '-' || *q == '+') q++;
    int digits = 0;
    while (*q >= '0' && *q <= '9') q++, digits++;
    if (*q == '.') {
        q++;
        while (*q >= '0' && *q <= '9') q++, digits++;
    }
    if (!digits) return -1;
    if (*q == 'e' || *q == 'E') {
        q++;
        if (*q == '-' || *q == '+') q++;
        if (*q < '0' || *q > '9') return -1;
        while (*q >= '0' && *q <= '9') q++;
    }
    if (*q) return -1;
    *v = strtod(s, NULL);
    return isfinite(*v) ? 0 : -2;
}
