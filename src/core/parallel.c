/* parallel.c - a fork-join loop over units of work on a persistent pool of POSIX threads. */
#include "clvsim/parallel.h"

#include "clvsim/error.h"

#include <pthread.h>
#include <signal.h>
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

/* ---- the persistent pool ----
 *
 * Helper threads are created on first need (as many as the largest thread
 * count asked for so far, less the caller) and then parked on a condition
 * variable between calls: a call posts a job, wakes them, runs worker 0
 * itself, closes the job and waits only for the helpers that joined it.  A
 * helper that wakes after the job was closed goes back to sleep, so a
 * descheduled helper never delays a call whose units are all done.  One
 * call at a time owns the pool (in_use); a nested call (from a unit) or a
 * concurrent one (from another caller thread) creates and joins threads of
 * its own (clv_parallel_for; clv_parallel_for_keyed runs it on its caller's
 * thread in unit order), which gives the same results. */

typedef struct job job;
struct job {
    void (*body)(job *j, int worker);
    void *arg;
    int want;                 /* helpers wanted: threads - 1 */
    int joined;               /* helpers that joined so far; their workers are 1..joined */
};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    job *job;                 /* the open job, or NULL */
    unsigned long gen;        /* incremented per job posted */
    int active;               /* helpers running the current job's body */
    int shutdown;
    int n;                    /* helpers created */
    pthread_t tid[CLV_THREADS_MAX];
} P = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, 0, 0, 0, {0}};

static atomic_flag in_use = ATOMIC_FLAG_INIT;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* arg: the P.gen of the last job posted before the helper was created (a
 * job posted later, even before the helper first runs, is one to join; a
 * later value is as good, since every job up to it is closed) */
static void *helper_main(void *arg)
{
    pthread_mutex_lock(&P.mu);
    unsigned long seen = *(const unsigned long *)arg;
    for (;;) {
        while (!P.shutdown && !(P.job && P.gen != seen && P.job->joined < P.job->want))
            pthread_cond_wait(&P.work, &P.mu);
        if (P.shutdown)
            break;
        seen = P.gen;
        job *j = P.job;
        int worker = ++j->joined;
        P.active++;
        pthread_mutex_unlock(&P.mu);
        j->body(j, worker);
        pthread_mutex_lock(&P.mu);
        if (--P.active == 0 && !P.job)
            pthread_cond_signal(&P.done);
    }
    pthread_mutex_unlock(&P.mu);
    return NULL;
}

/* a forked child has none of the parent's helpers: it starts afresh (a
 * call in flight in another of the parent's threads leaves in_use set, so
 * the child then runs every call on its caller's thread) */
static void pool_atfork_prepare(void) { pthread_mutex_lock(&P.mu); }
static void pool_atfork_parent(void) { pthread_mutex_unlock(&P.mu); }
static void pool_atfork_child(void)
{
    pthread_mutex_unlock(&P.mu);
    P.n = 0;
    P.job = NULL;
    P.active = 0;
    P.shutdown = 0;
}

static void pool_atexit(void) { clv_parallel_shutdown(); }

static void pool_once(void)
{
    pthread_atfork(pool_atfork_prepare, pool_atfork_parent, pool_atfork_child);
    atexit(pool_atexit);
}

/* make sure there are `helpers` helper threads (fewer if the system refuses
 * them); called by the owner of the pool, returns how many there are */
static int pool_grow(int helpers)
{
    if (P.n >= helpers)
        return helpers;
    pthread_once(&once, pool_once);
    /* helpers block every signal, so that Ctrl-C and friends reach the
     * caller's threads as before */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    static unsigned long born;    /* read by the helper at its start, under P.mu */
    pthread_mutex_lock(&P.mu);
    born = P.gen;
    pthread_mutex_unlock(&P.mu);
    while (P.n < helpers) {
        pthread_t t;
        if (pthread_create(&t, NULL, helper_main, &born) != 0)
            break;
        pthread_mutex_lock(&P.mu);
        P.tid[P.n++] = t;
        pthread_mutex_unlock(&P.mu);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return P.n < helpers ? P.n : helpers;
}

/* run j->body on the caller (worker 0) and up to `helpers` parked helpers;
 * returns when every worker that joined has left the body.  The caller
 * owns the pool. */
static void pool_run(job *j, int helpers)
{
    j->want = pool_grow(helpers);
    j->joined = 0;
    if (j->want > 0) {
        pthread_mutex_lock(&P.mu);
        P.job = j;
        P.gen++;
        pthread_cond_broadcast(&P.work);
        pthread_mutex_unlock(&P.mu);
    }
    j->body(j, 0);
    if (j->want > 0) {
        pthread_mutex_lock(&P.mu);
        P.job = NULL;         /* no more helpers join */
        while (P.active > 0)
            pthread_cond_wait(&P.done, &P.mu);
        pthread_mutex_unlock(&P.mu);
    }
}

int clv_parallel_shutdown(void)
{
    if (atomic_flag_test_and_set(&in_use))
        return CLV_EINPUT;    /* a call is running: the helpers stay */
    pthread_mutex_lock(&P.mu);
    P.shutdown = 1;
    pthread_cond_broadcast(&P.work);
    int n = P.n;
    pthread_mutex_unlock(&P.mu);
    for (int i = 0; i < n; i++)
        pthread_join(P.tid[i], NULL);
    pthread_mutex_lock(&P.mu);
    P.n = 0;
    P.shutdown = 0;
    pthread_mutex_unlock(&P.mu);
    atomic_flag_clear(&in_use);
    return CLV_OK;
}

int clv_parallel_helpers(void)
{
    pthread_mutex_lock(&P.mu);
    int n = P.n;
    pthread_mutex_unlock(&P.mu);
    return n;
}

/* ---- the loop over units ---- */

typedef struct {
    int status;               /* status of this worker's first failure */
    size_t failed_unit;
} worker_out;

typedef struct {
    clv_unit_fn fn;
    void *ctx;
    size_t n_units;
    atomic_size_t next;       /* next unit to claim */
    atomic_int stop;          /* set after a failure: claim no more units */
    worker_out out[CLV_THREADS_MAX];
} loop;

static void loop_body(job *j, int worker)
{
    loop *p = j->arg;
    worker_out *w = &p->out[worker];
    while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
        size_t u = atomic_fetch_add(&p->next, 1);
        if (u >= p->n_units)
            break;
        int st = p->fn(u, worker, p->ctx);
        if (st != CLV_OK) {
            w->status = st;
            w->failed_unit = u;
            atomic_store(&p->stop, 1);
            break;
        }
    }
}

static int serial_for(size_t n_units, clv_unit_fn fn, void *ctx)
{
    for (size_t u = 0; u < n_units; u++) {
        int st = fn(u, 0, ctx);
        if (st != CLV_OK)
            return st;
    }
    return CLV_OK;
}

static void loop_init(loop *p, clv_unit_fn fn, void *ctx, size_t n_units, int threads)
{
    p->fn = fn;
    p->ctx = ctx;
    p->n_units = n_units;
    atomic_init(&p->next, 0);
    atomic_init(&p->stop, 0);
    for (int i = 0; i < threads; i++)
        p->out[i] = (worker_out){CLV_OK, n_units};
}

/* the status of the smallest failing unit of workers 0..last */
static int loop_status(const loop *p, int last)
{
    int status = CLV_OK;
    size_t best = p->n_units;
    for (int i = 0; i <= last; i++) {
        if (p->out[i].status != CLV_OK && p->out[i].failed_unit < best) {
            best = p->out[i].failed_unit;
            status = p->out[i].status;
        }
    }
    return status;
}

int clv_parallel_for(int threads, size_t n_units, clv_unit_fn fn, void *ctx)
{
    threads = clv_threads_resolve(threads);
    if ((size_t)threads > n_units)
        threads = n_units > 0 ? (int)n_units : 1;

    /* one thread: plain loop on the caller's thread; the pool busy (a
     * nested or concurrent call): threads of the call's own, created and
     * joined as before the pool (a nested call on one thread would leave
     * the cores idle while the outer loop's last long units run, e.g. the
     * evaluation's clairvoyant replications, each of whose rollouts is a
     * parallel call) */
    if (threads == 1)
        return serial_for(n_units, fn, ctx);
    if (atomic_flag_test_and_set(&in_use))
        return clv__parallel_for_create_join(threads, n_units, fn, ctx);

    loop p;
    loop_init(&p, fn, ctx, n_units, threads);
    /* if helpers cannot be created the units still all run, on fewer
     * threads: a loss of speed, never of results */
    job j = {loop_body, &p, 0, 0};
    pool_run(&j, threads - 1);
    atomic_flag_clear(&in_use);

    /* report the failure of the smallest unit index.  Units are claimed in
     * increasing order, so every unit below the first failing unit of a
     * sequential run was claimed and ran: the answer is the same as with
     * one thread, whatever the scheduling. */
    return loop_status(&p, j.joined);
}

/* the old fork-join loop (threads created and joined per call), kept as the
 * reference of the pool's cost (make bench SECTIONS=parallel) */
typedef struct {
    loop *p;
    int worker;
} ref_arg;

static void *ref_main(void *arg)
{
    ref_arg *a = arg;
    job j = {loop_body, a->p, 0, 0};
    loop_body(&j, a->worker);
    return NULL;
}

int clv__parallel_for_create_join(int threads, size_t n_units, clv_unit_fn fn, void *ctx)
{
    threads = clv_threads_resolve(threads);
    if ((size_t)threads > n_units)
        threads = n_units > 0 ? (int)n_units : 1;
    if (threads == 1)
        return serial_for(n_units, fn, ctx);
    loop p;
    loop_init(&p, fn, ctx, n_units, threads);
    pthread_t tid[CLV_THREADS_MAX];
    ref_arg args[CLV_THREADS_MAX];
    int started = 0;
    for (int i = 1; i < threads; i++) {
        args[i] = (ref_arg){&p, i};
        if (pthread_create(&tid[i], NULL, ref_main, &args[i]) != 0)
            break;
        started = i;
    }
    args[0] = (ref_arg){&p, 0};
    ref_main(&args[0]);
    for (int i = 1; i <= started; i++)
        pthread_join(tid[i], NULL);
    return loop_status(&p, started);
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

static void kbody(job *j, int worker)
{
    kpool *p = j->arg;
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
        int st = p->fn(u, worker, p->ctx);
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
    if (threads == 1 || atomic_flag_test_and_set(&in_use))
        return serial_for(n_units, fn, ctx);

    kpool p;
    p.fn = fn;
    p.ctx = ctx;
    p.n_units = n_units;
    p.n_keys = n_keys;
    p.lo = 0;
    p.stop = n_units;
    p.status = CLV_OK;
    int st = CLV_ENOMEM;
    p.claimed = calloc(n_units + n_keys, 1);
    if (!p.claimed)
        goto out;
    p.busy = p.claimed + n_units;
    if (pthread_mutex_init(&p.mu, NULL) != 0)
        goto out_free;
    if (pthread_cond_init(&p.cv, NULL) != 0)
        goto out_mutex;
    /* as in clv_parallel_for: worker 0 is the caller, and a helper that
     * cannot be created costs speed, not results */
    job j = {kbody, &p, 0, 0};
    pool_run(&j, threads - 1);
    /* every unit below the smallest failing one ran (units below p.stop
     * are all claimed before anyone leaves), so this is the sequential
     * answer whatever the scheduling */
    st = p.status;
    pthread_cond_destroy(&p.cv);
out_mutex:
    pthread_mutex_destroy(&p.mu);
out_free:
    free(p.claimed);
out:
    atomic_flag_clear(&in_use);
    return st;
}
