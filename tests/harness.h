/* harness.h - a small test harness: one PASS/FAIL/SKIP line per test,
 * details of every failed check, and the closing line "N passed, N failed,
 * N skipped"; the runner exits non-zero when any test failed. */
#ifndef CLVSIM_TEST_HARNESS_H
#define CLVSIM_TEST_HARNESS_H

#include <math.h>
#include <stdio.h>
#include <string.h>

/* failures of the test that is running (reset by the runner) */
extern int harness_failures;

void harness_fail(const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond))                                                       \
            harness_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);          \
    } while (0)

#define CHECK_INT(a, b)                                                    \
    do {                                                                   \
        long long a_ = (long long)(a), b_ = (long long)(b);                \
        if (a_ != b_)                                                      \
            harness_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a, a_, #b, b_); \
    } while (0)

#define CHECK_STR(a, b)                                                    \
    do {                                                                   \
        const char *a_ = (a), *b_ = (b);                                   \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                             \
            harness_fail(__FILE__, __LINE__, "%s\n      got:      \"%s\"\n      expected: \"%s\"", \
                         #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)");      \
    } while (0)

/* The larger of a and b, NaN when either is NaN (C's fmax drops a NaN, so
 * "worst = fmax(worst, err)" would pass a NaN error): for the running
 * maxima of errors that a test then compares with a tolerance. */
static inline double harness_max(double a, double b)
{
    return isnan(a) || isnan(b) ? NAN : a > b ? a : b;
}

/* |a - b| <= tol (false when either is NaN) */
#define CHECK_NEAR(a, b, tol)                                              \
    do {                                                                   \
        double a_ = (a), b_ = (b), t_ = (tol);                             \
        if (!(fabs(a_ - b_) <= t_))                                        \
            harness_fail(__FILE__, __LINE__, "%s = %.17g, expected %.17g within %g", #a, a_, b_, t_); \
    } while (0)

#define TEST(name) void name(void)

/* the declarations of every test */
#define T(name) void name(void);
#include "tests.def"
#undef T

/* read a whole file into a NUL-terminated heap buffer (NULL if it cannot) */
char *harness_read_file(const char *path);

/* Load the scenario file at path (from the repository's root) into *scn:
 * 1, or 0 with a failure naming what is wrong. */
struct clv_scenario;
int harness_load_scenario(const char *file, int line, const char *path, struct clv_scenario *scn);
#define HARNESS_LOAD(path, scn) harness_load_scenario(__FILE__, __LINE__, (path), (scn))

/* the name of the test that is running (set by the runner) */
extern const char *harness_test_name;

/* The path of `file` in the shared real data, ../shared/data beside the
 * repository (tests run from the repository's root), as a heap string to
 * free.  NULL when the directory is missing: a failure when the environment
 * variable CI is set (CI must run the real-data checks), else a line
 * "SKIP <test>: ..." and no failure (a clone without ../shared); also NULL,
 * with a failure, when the directory is there but the file is not. */
char *harness_shared_data(const char *file);

/* Mark the running test skipped, with the reason on its SKIP line (printf
 * conventions).  A skipped test that has no failure is counted apart:
 * neither passed nor failed. */
void harness_skip(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* monotonic seconds */
double harness_now(void);
/* remove dir and everything in it (rm -rf): 0, or the command's status */
int harness_rm_rf(const char *dir);
/* the entries of dir other than . and .., or -1 when it cannot be read */
int harness_count_entries(const char *dir);

/* ---- running the clvsim command ---- */

typedef struct harness_proc {
    int status;     /* exit status, or -1 when it did not exit normally */
    int signal;     /* the signal that ended it (0 when it exited) */
    int timed_out;  /* killed after the time limit */
    double seconds; /* wall time */
    char *out;      /* stdout */
    char *err;      /* stderr, without the price-coherence warnings */
    char *warn;     /* those warnings ("clvsim CMD: warning: FILE: the list price is not the profit-maximising
                     * price ..."), which every command prints on loading a scenario such as holiday.cfg:
                     * kept apart so that a test of another message does not depend on them */
} harness_proc;

/* Run the built clvsim (the environment variable CLVSIM_BIN) with args
 * (NULL-terminated; ARGS(...) builds them), stdin from /dev/null, both
 * streams captured.  A run that takes longer than timeout seconds is
 * killed (SIGKILL) and reported as a failure of the test; timeout <= 0
 * means 600 s.  env: extra "NAME=VALUE" settings of the child's
 * environment, NULL-terminated, or NULL. */
harness_proc harness_run_env(const char *const *args, const char *const *env, double timeout);

/* The same in two steps, for a command that runs while the test acts on
 * it (signals, races): start it, then wait for it (its seconds count from
 * the start).  Options (all may be 0/NULL): env as above; an address-space
 * limit of as_mb MB (RLIMIT_AS); gate, a pipe whose write end the caller
 * closes to let every gated job exec at the same instant; out_to, a file
 * for stdout in place of the captured one.  harness_start returns 0, or
 * -1 after a failure (reported). */
typedef struct harness_job {
    int pid;
    char out[32], err[32];
    double t0;
} harness_job;
typedef struct harness_job_opts {
    const char *const *env;
    long as_mb;
    const int *gate;
    const char *out_to;
} harness_job_opts;
int harness_start(harness_job *j, const char *const *args, const harness_job_opts *o);
harness_proc harness_wait(harness_job *j, double timeout);
harness_proc harness_run(const char *const *args);
/* Move the price-coherence warning lines of err (a heap string, may be
 * NULL) into a new heap string, which it returns (NULL for NULL). */
char *harness_split_warnings(char *err);
void harness_proc_free(harness_proc *r);

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

#endif
