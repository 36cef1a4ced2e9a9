// Minimal test harness. Each test binary runs its tests with RUN_TEST(fn); each prints
// "ok - name" or "not ok - name" (or "skip - name: why"). tests/run_tests.sh adds the lines up
// over all binaries and prints the closing "N passed, N failed" line that CI reads.
#ifndef PCB_TEST_H
#define PCB_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failed_checks_;
static int test_n_pass_, test_n_fail_, test_n_skip_;
static const char *test_skip_reason_;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            test_failed_checks_++;                                                     \
        }                                                                              \
    } while (0)

#define CHECK_MSG(cond, ...)                                                           \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "  %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                              \
            fputc('\n', stderr);                                                       \
            test_failed_checks_++;                                                     \
        }                                                                              \
    } while (0)

#define CHECK_NEAR(a, b, tol) \
    CHECK_MSG(fabs((double)(a) - (double)(b)) <= (tol), "%g vs %g (tol %g)", (double)(a), (double)(b), (double)(tol))

// Comparisons that cannot pass on NaN or Inf: fmax(m, NaN) returns m, so a plain running max
// of |a - b| would call an all-NaN result "equal". These return NaN instead, and NaN fails
// every < / <= / > / == check.
static inline double max_nan(double worst, double d) { return isnan(worst) || isnan(d) ? NAN : fmax(worst, d); }

// Largest |a[i] - b[i]|; NaN when any value on either side is NaN or infinite.
static inline double max_abs_diff(const float *a, const float *b, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(a[i]) || !isfinite(b[i])) return NAN;
        m = fmax(m, fabs((double)a[i] - (double)b[i]));
    }
    return m;
}

// Stop the current test and report it as skipped (e.g. model not downloaded, no GPU).
#define SKIP_TEST(why)           \
    do {                         \
        test_skip_reason_ = why; \
        return;                  \
    } while (0)

// Stop the current test as failed: what it needs is part of the project (a committed fixture,
// the data folder), so its absence is a defect, never a reason to skip.
#define FAIL_TEST(why)                                                      \
    do {                                                                    \
        fprintf(stderr, "  %s:%d: missing: %s\n", __FILE__, __LINE__, why); \
        test_failed_checks_++;                                              \
        return;                                                             \
    } while (0)

// The project's data folder: $PCB_DATA, else data/ of the checkout (tests run from its root).
static inline const char *test_data_dir(void) {
    const char *d = getenv("PCB_DATA");
    return d && *d ? d : "data";
}

#define RUN_TEST(fn)                                           \
    do {                                                       \
        test_failed_checks_ = 0;                               \
        test_skip_reason_ = NULL;                              \
        fn();                                                  \
        if (test_skip_reason_) {                               \
            printf("skip - %s: %s\n", #fn, test_skip_reason_); \
            test_n_skip_++;                                    \
        } else if (test_failed_checks_) {                      \
            printf("not ok - %s\n", #fn);                      \
            test_n_fail_++;                                    \
        } else {                                               \
            printf("ok - %s\n", #fn);                          \
            test_n_pass_++;                                    \
        }                                                      \
        fflush(stdout);                                        \
    } while (0)

static inline int test_summary(void) {
    fprintf(stderr, "  (%d passed, %d failed, %d skipped)\n", test_n_pass_, test_n_fail_, test_n_skip_);
    return test_n_fail_ ? 1 : 0;
}

#endif
