/* parallel.c - a fork-join loop over units of work on POSIX threads. */
#include "clvsim/parallel.h"

#include "clvsim/error.h"

#include <pthread.h>
#include <stdlib.h>
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

/* ---- units that share a key never run at once ---- */

typedef struct {
    clv_unit_fn fn;
    void *ctx;
    size_t n_units, n_keys;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned char *claimed;   /* per unit */
    unsigned char *busy;      /* per key: a unit of it is running */
    size_t lo;                /* every unit below lo is claimed */
    size_t stop;              /* claim no unit at or above it: the smallest failing unit so far */
    int status;               /* the status of that unit */
} kpool;

typedef struct {
    kpool *p;
    int worker;
} kworker_arg;

/* the smallest unclaimed unit below p->stop whose key is free, claimed;
 * n_units when every unit below p->stop is claimed; n_units + 1 when the
 * ones left wait for their keys (called with the lock held) */
static size_t kclaim(kpool *p)
{
    while (p->lo < p->stop && p->claimed[p->lo])
        p->lo++;
    if (p->lo >= p->stop)
        return p->n_units;
    for (size_t u = p->lo; u < p->stop; u++) {
        if (p->claimed[u] || p->busy[u % p->n_keys])
            continue;
        p->claimed[u] = 1;
        p->busy[u % p->n_keys] = 1;
        return u;
    }
    return p->n_units + 1;
}

static void *kworker_main(void *arg)
{
    kworker_arg *w = arg;
    kpool *p = w->p;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        size_t u = kclaim(p);
        if (u == p->n_units)
            break;
        if (u > p->n_units) {
            pthread_cond_wait(&p->cv, &p->mu);
            continue;
        }
        pthread_mutex_unlock(&p->mu);
        int st = p->fn(u, w->worker, p->ctx);
        pthread_mutex_lock(&p->mu);
        p->busy[u % p->n_keys] = 0;
        if (st != CLV_OK && u < p->stop) {
            p->stop = u;
            p->status = st;
        }
        pthread_cond_broadcast(&p->cv);
    }
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int clv_parallel_for_keyed(int threads, size_t n_units, size_t n_keys, clv_unit_fn fn, void *ctx)
{
    if (n_keys == 0)
        return CLV_EINPUT;
    threads = clv_threads_resolve(threads);
    if ((size_t)threads > n_keys)
        threads = (int)n_keys;
    if ((size_t)threads > n_units)
        threads = n_units > 0 ? (int)n_units : 1;
    if (threads == 1)
        return clv_parallel_for(1, n_units, fn, ctx);

    kpool p;
    p.fn = fn;
    p.ctx = ctx;
    p.n_units = n_units;
    p.n_keys = n_keys;
    p.lo = 0;
    p.stop = n_units;
    p.status = CLV_OK;
    p.claimed = calloc(n_units + n_keys, 1);
    if (!p.claimed)
        return CLV_ENOMEM;
    p.busy = p.claimed + n_units;
    if (pthread_mutex_init(&p.mu, NULL) != 0) {
        free(p.claimed);
        return CLV_ENOMEM;
    }
    if (pthread_cond_init(&p.cv, NULL) != 0) {
        pthread_mutex_destroy(&p.mu);
        free(p.claimed);
        return CLV_ENOMEM;
    }
    pthread_t tid[CLV_THREADS_MAX];
    kworker_arg args[CLV_THREADS_MAX];
    int started = 0;
    /* as in clv_parallel_for: worker 0 is the caller, and a thread that
     * cannot be created costs speed, not results */
    for (int i = 1; i < threads; i++) {
        args[i] = (kworker_arg){&p, i};
        if (pthread_create(&tid[i], NULL, kworker_main, &args[i]) != 0)
            break;
        started = i;
    }
    args[0] = (kworker_arg){&p, 0};
    kworker_main(&args[0]);
    for (int i = 1; i <= started; i++)
        pthread_join(tid[i], NULL);
    pthread_cond_destroy(&p.cv);
    pthread_mutex_destroy(&p.mu);
    free(p.claimed);
    /* every unit below the smallest failing one ran (units below p.stop
     * are all claimed before anyone leaves), so this is the sequential
     * answer whatever the scheduling */
    return p.status;
}
