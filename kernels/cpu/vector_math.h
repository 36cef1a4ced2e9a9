// glibc's libmvec has vector variants of expf; math.h announces them only under -ffast-math,
// which would also break the -INFINITY handling of the softmax. Announce them here instead, so
// `#pragma omp simd` loops calling expf get vectorised.
#ifndef PCB_VECTOR_MATH_H
#define PCB_VECTOR_MATH_H

#include <math.h>

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
__attribute__((__simd__("notinbranch"))) extern float expf(float);
#endif

#endif
