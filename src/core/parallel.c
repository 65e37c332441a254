/* parallel.c - a fork-join loop over units of work on POSIX threads. */
#include "clvsim/parallel.h"

#include "clvsim/error.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

int clv_threads_resolve(int requested)
{
    if (requested >= 1)
        return requested > CLV_THREADS_MAX ? CLV_THREADS_MAX : requested;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    return n > CLV_THREADS_MAX ? CLV_THREADS_MAX : (int)n;
}

typedef struct {
    clv_unit_fn fn;
    void *ctx;
    size_t n_units;
    atomic_size_t next;       /* next unit to claim */
    atomic_int stop;          /* set after a failure: claim no more units */
} pool;

typedef struct {
    pool *p;
    int worker;
    int status;               /* status of this worker's first failure */
    size_t failed_unit;
} worker_arg;

static void *worker_main(void *arg)
{
    worker_arg *w = arg;
    pool *p = w->p;
    w->status = CLV_OK;
    w->failed_unit = p->n_units;
    while (!atomic_load(&p->stop)) {
        size_t u = atomic_fetch_add(&p->next, 1);
        if (u >= p->n_units)
            break;
        int st = p->fn(u, w->worker, p->ctx);
        if (st != CLV_OK) {
            w->status = st;
            w->failed_unit = u;
            atomic_store(&p->stop, 1);
            break;
        }
    }
    return NULL;
}

int clv_parallel_for(int threads, size_t n_units, clv_unit_fn fn, void *ctx)
{
    threads = clv_threads_resolve(threads);
    if ((size_t)threads > n_units)
        threads = n_units > 0 ? (int)n_units : 1;

    /* one thread: plain loop, no thread creation */
    if (threads == 1) {
        for (size_t u = 0; u < n_units; u++) {
            int st = fn(u, 0, ctx);
            if (st != CLV_OK)
                return st;
        }
        return CLV_OK;
    }

    pool p;
    p.fn = fn;
    p.ctx = ctx;
    p.n_units = n_units;
    atomic_init(&p.next, 0);
    atomic_init(&p.stop, 0);

    pthread_t tid[CLV_THREADS_MAX];
    worker_arg args[CLV_THREADS_MAX];
    int started = 0;
    /* worker 0 is the calling thread; the others are created.  If a thread
     * cannot be created the units still all run, on fewer threads: a loss of
     * speed, never of results. */
    for (int i = 1; i < threads; i++) {
        args[i].p = &p;
        args[i].worker = i;
        if (pthread_create(&tid[i], NULL, worker_main, &args[i]) != 0)
            break;
        started = i;
    }
    args[0].p = &p;
    args[0].worker = 0;
    worker_main(&args[0]);
    for (int i = 1; i <= started; i++)
        pthread_join(tid[i], NULL);

    /* report the failure of the smallest unit index.  Units are claimed in
     * increasing order, so every unit below the first failing unit of a
     * sequential run was claimed and ran: the answer is the same as with
     * one thread, whatever the scheduling. */
    int status = CLV_OK;
    size_t best = n_units;
    for (int i = 0; i <= started; i++) {
        if (args[i].status != CLV_OK && args[i].failed_unit < best) {
            best = args[i].failed_unit;
            status = args[i].status;
        }
    }
    return status;
}
