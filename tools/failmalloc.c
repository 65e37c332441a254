/* failmalloc.c - an LD_PRELOAD library that makes one allocation fail, to
 * find the out-of-memory paths of clvsim that crash or say something wrong.
 *
 *   cc -shared -fPIC -O2 -o build/failmalloc.so tools/failmalloc.c
 *   FAILMALLOC_AT=N LD_PRELOAD=build/failmalloc.so build/clvsim ...
 *
 * The N-th call (1-based) of malloc, calloc or realloc in the process
 * returns NULL with errno ENOMEM, and so does every later one when
 * FAILMALLOC_STICKY=1 (memory that stays exhausted, as under ulimit -v).
 * FAILMALLOC_AT=0 fails nothing; at exit the library then prints the number
 * of calls to stderr when FAILMALLOC_COUNT=1, the range to sweep
 * (tools/failmalloc.sh does).  FAILMALLOC_TRACE=1 prints the stack of the
 * failing call to stderr (build clvsim with -rdynamic or read it with
 * addr2line).  The dynamic loader's own allocations before
 * the constructor are not counted, nor are those of programs clvsim runs
 * (LD_PRELOAD is removed from the environment). */
#include <errno.h>
#include <execinfo.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);

static atomic_long calls;
static long fail_at, sticky, counting, tracing;
static _Thread_local int in_trace;

static void report(void)
{
    char buf[64];
    int k = snprintf(buf, sizeof buf, "failmalloc: %ld calls\n", atomic_load(&calls));
    if (write(2, buf, (size_t)k) < 0)
        return;
}

__attribute__((constructor)) static void init(void)
{
    const char *s = getenv("FAILMALLOC_AT");
    fail_at = s ? atol(s) : 0;
    s = getenv("FAILMALLOC_STICKY");
    sticky = s && *s == '1';
    s = getenv("FAILMALLOC_COUNT");
    counting = s && *s == '1';
    s = getenv("FAILMALLOC_TRACE");
    tracing = s && *s == '1';
    if (tracing) { /* backtrace loads libgcc, which allocates: once, now */
        void *f[2];
        in_trace = 1;
        backtrace(f, 2);
        in_trace = 0;
    }
    if (counting)
        atexit(report);
    /* programs clvsim runs (gnuplot) are not part of the experiment */
    unsetenv("LD_PRELOAD");
}

static int fail_now(void)
{
    if (in_trace)
        return 0;
    const long k = atomic_fetch_add(&calls, 1) + 1;
    if (fail_at > 0 && (k == fail_at || (sticky && k > fail_at))) {
        if (tracing && k == fail_at) {
            void *f[32];
            char msg[64];
            int len = snprintf(msg, sizeof msg, "failmalloc: call %ld fails here:\n", k);
            if (write(2, msg, (size_t)len) < 0)
                return 1;
            in_trace = 1;
            backtrace_symbols_fd(f, backtrace(f, 32), 2);
            in_trace = 0;
        }
        errno = ENOMEM;
        return 1;
    }
    return 0;
}

void *malloc(size_t n) { return fail_now() ? NULL : __libc_malloc(n); }
void *calloc(size_t n, size_t size) { return fail_now() ? NULL : __libc_calloc(n, size); }
void *realloc(void *p, size_t n) { return fail_now() ? NULL : __libc_realloc(p, n); }
