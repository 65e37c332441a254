/* test_parallel.c - clv_parallel_for_keyed: every unit runs once, units of
 * one key never at the same time, and failures report the unit a serial
 * run would; the persistent pool behind both loops: identical slots for
 * every thread count, many short calls, failing units, concurrent and
 * nested callers, shutdown. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "clvsim/error.h"
#include "clvsim/parallel.h"
#include "clvsim/rng.h"
#include "harness.h"

enum { UNITS = 60, KEYS = 4 };

typedef struct {
    atomic_int ran[UNITS];
    atomic_int running[KEYS];   /* units of each key running now */
    atomic_int overlap;         /* a key seen running twice */
    atomic_int most;            /* the most units running at once */
    atomic_int now;
    int fail_from;              /* units >= it with u % 7 == 5 fail */
} keyed;

static int keyed_unit(size_t unit, int worker, void *ctx)
{
    (void)worker;
    keyed *k = ctx;
    atomic_fetch_add(&k->ran[unit], 1);
    if (atomic_fetch_add(&k->running[unit % KEYS], 1) != 0)
        atomic_store(&k->overlap, 1);
    int now = atomic_fetch_add(&k->now, 1) + 1;
    for (int m = atomic_load(&k->most); now > m && !atomic_compare_exchange_weak(&k->most, &m, now);)
        ;
    /* long enough for the other threads to claim units meanwhile */
    nanosleep(&(struct timespec){0, 2000000}, NULL);
    atomic_fetch_sub(&k->now, 1);
    atomic_fetch_sub(&k->running[unit % KEYS], 1);
    if ((int)unit >= k->fail_from && unit % 7 == 5)
        return unit == 26 ? CLV_EIO : CLV_EINPUT;
    return CLV_OK;
}

TEST(test_parallel_keyed)
{
    for (int threads = 1; threads <= 3; threads++) {
        keyed k;
        memset(&k, 0, sizeof k);
        k.fail_from = UNITS;
        CHECK_INT(clv_parallel_for_keyed(threads, UNITS, KEYS, keyed_unit, &k), CLV_OK);
        for (int u = 0; u < UNITS; u++)
            CHECK_INT(atomic_load(&k.ran[u]), 1);
        CHECK_INT(atomic_load(&k.overlap), 0);
        /* the threads did run side by side (on different keys) */
        CHECK_INT(atomic_load(&k.most), threads);
        /* failures at 26 (CLV_EIO), 33, 40, ...: 26 is the answer, whatever
         * finished first */
        memset(&k, 0, sizeof k);
        k.fail_from = 20;
        CHECK_INT(clv_parallel_for_keyed(threads, UNITS, KEYS, keyed_unit, &k), CLV_EIO);
        for (int u = 0; u <= 26; u++)
            CHECK_INT(atomic_load(&k.ran[u]), 1);
        CHECK_INT(atomic_load(&k.overlap), 0);
    }
    /* more threads than keys: at most one per key */
    keyed k;
    memset(&k, 0, sizeof k);
    k.fail_from = UNITS;
    CHECK_INT(clv_parallel_for_keyed(8, UNITS, 2, keyed_unit, &k), CLV_OK);
    CHECK(atomic_load(&k.most) <= 2);
    CHECK_INT(clv_parallel_for_keyed(2, UNITS, 0, keyed_unit, &k), CLV_EINPUT);
}

/* ---- the persistent pool behind clv_parallel_for ---- */


/* a unit's value: a short draw from its own stream, keyed by (call, unit),
 * so that a slot written by the wrong call or unit shows */
static double unit_value(uint64_t call, size_t unit, int draws)
{
    clv_rng r;
    clv_rng_seed(&r, (clv_stream_key){7, CLV_STREAM_BEHAVIOUR, call, unit});
    double s = 0;
    for (int i = 0; i < draws; i++)
        s += clv_rng_uniform_pos(&r);
    return s;
}

typedef struct {
    double *slot;
    uint64_t call;
    int draws, threads;
    atomic_int bad_worker;      /* a worker index outside [0, threads) */
    atomic_int ran;             /* units run */
    int fail_at;                /* units u >= fail_at with u % 3 == 1 fail */
    int nested;                 /* a unit makes a call of its own and checks it */
    atomic_int nested_bad;
} pctx;

static int pool_unit(size_t unit, int worker, void *ctx)
{
    pctx *c = ctx;
    if (worker < 0 || worker >= c->threads)
        atomic_store(&c->bad_worker, 1);
    atomic_fetch_add(&c->ran, 1);
    if (c->fail_at >= 0 && (int)unit >= c->fail_at && unit % 3 == 1) {
        nanosleep(&(struct timespec){0, 200000}, NULL);
        return unit % 2 ? CLV_EIO : CLV_ENUMERIC;
    }
    if (c->nested) {
        /* a call from inside a unit: it runs on threads of its own, and is right */
        double inner[5];
        pctx in;
        memset(&in, 0, sizeof in);
        in.slot = inner;
        in.call = 1000 + unit;
        in.draws = 3;
        in.threads = 2;
        in.fail_at = -1;
        if (clv_parallel_for(2, 5, pool_unit, &in) != CLV_OK || atomic_load(&in.bad_worker))
            atomic_store(&c->nested_bad, 1);
        for (size_t u = 0; u < 5; u++)
            if (inner[u] != unit_value(1000 + unit, u, 3))
                atomic_store(&c->nested_bad, 1);
    }
    if (c->fail_at >= 0)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    c->slot[unit] = unit_value(c->call, unit, c->draws);
    return CLV_OK;
}

static void pctx_init(pctx *c, double *slot, uint64_t call, int draws, int threads)
{
    memset(c, 0, sizeof *c);
    c->slot = slot;
    c->call = call;
    c->draws = draws;
    c->threads = threads;
    c->fail_at = -1;
}

/* thread counts 1..4 fill the same slots, bit for bit, on the pool and on
 * the old create/join loop; the pool keeps its helpers across calls */
TEST(test_parallel_pool_threads_identical)
{
    enum { N = 203 };
    double ref[N], got[N];
    pctx c;
    pctx_init(&c, ref, 1, 50, 1);
    CHECK_INT(clv_parallel_for(1, N, pool_unit, &c), CLV_OK);
    for (size_t u = 0; u < N; u++)
        CHECK(ref[u] == unit_value(1, u, 50));
    for (int t = 1; t <= 4; t++) {
        memset(got, 0, sizeof got);
        pctx_init(&c, got, 1, 50, t);
        CHECK_INT(clv_parallel_for(t, N, pool_unit, &c), CLV_OK);
        CHECK(memcmp(ref, got, sizeof ref) == 0);
        CHECK_INT(atomic_load(&c.bad_worker), 0);
        CHECK_INT(atomic_load(&c.ran), N);
        memset(got, 0, sizeof got);
        pctx_init(&c, got, 1, 50, t);
        CHECK_INT(clv__parallel_for_create_join(t, N, pool_unit, &c), CLV_OK);
        CHECK(memcmp(ref, got, sizeof ref) == 0);
    }
    CHECK(clv_parallel_helpers() >= 3);
    /* shut down, then used again: helpers made afresh, same slots */
    CHECK_INT(clv_parallel_shutdown(), CLV_OK);
    CHECK_INT(clv_parallel_helpers(), 0);
    memset(got, 0, sizeof got);
    pctx_init(&c, got, 1, 50, 2);
    CHECK_INT(clv_parallel_for(2, N, pool_unit, &c), CLV_OK);
    CHECK(memcmp(ref, got, sizeof ref) == 0);
    CHECK_INT(clv_parallel_helpers(), 1);
}

/* many short calls in a row (the simulator's pattern): every slot right in
 * every call, and no thread made per call */
TEST(test_parallel_pool_many_calls)
{
    enum { N = 7, CALLS = 20000 };
    double got[N];
    int wrong = 0;
    pctx c;
    pctx_init(&c, got, 0, 1, 2);
    CHECK_INT(clv_parallel_for(2, N, pool_unit, &c), CLV_OK);
    const int helpers = clv_parallel_helpers();
    CHECK(helpers >= 1);
    for (uint64_t call = 0; call < CALLS; call++) {
        const int t = 2 + (int)(call % 2);
        pctx_init(&c, got, call, 1, t);
        memset(got, 0, sizeof got);
        if (clv_parallel_for(t, N, pool_unit, &c) != CLV_OK || atomic_load(&c.bad_worker))
            wrong++;
        for (size_t u = 0; u < N; u++)
            if (got[u] != unit_value(call, u, 1))
                wrong++;
    }
    CHECK_INT(wrong, 0);
    CHECK(clv_parallel_helpers() <= (helpers > 2 ? helpers : 2));
}

/* failing units: the status of the smallest failing unit (unit 4 of
 * 4, 7, 10, ...: CLV_ENUMERIC), every unit below it ran, and the loop
 * stops claiming units soon after (not all 400 run) */
TEST(test_parallel_pool_failing_unit)
{
    enum { N = 400 };
    static double got[N];
    for (int t = 1; t <= 4; t++) {
        pctx c;
        pctx_init(&c, got, 3, 1, t);
        memset(got, 0, sizeof got);
        c.fail_at = 4;
        CHECK_INT(clv_parallel_for(t, N, pool_unit, &c), CLV_ENUMERIC);
        for (size_t u = 0; u < 4; u++)
            CHECK(got[u] == unit_value(3, u, 1));
        CHECK(atomic_load(&c.ran) < N / 2);
        if (t == 1)
            CHECK_INT(atomic_load(&c.ran), 5);
        /* the first failure at unit 7 (odd: CLV_EIO) */
        pctx_init(&c, got, 3, 1, t);
        c.fail_at = 5;
        CHECK_INT(clv_parallel_for(t, N, pool_unit, &c), CLV_EIO);
        pctx_init(&c, got, 3, 1, t);
        c.fail_at = 5;
        CHECK_INT(clv__parallel_for_create_join(t, N, pool_unit, &c), CLV_EIO);
    }
}

/* several caller threads at once, each of whose units makes a nested call:
 * whoever gets the pool, the others run on their own threads, and every
 * slot is what one thread gives */
enum { CALLERS = 3, CALLER_UNITS = 64, CALLER_ROUNDS = 40 };
typedef struct {
    int id;
    int wrong;
} caller_arg;

static void *caller_main(void *arg)
{
    caller_arg *a = arg;
    double got[CALLER_UNITS];
    for (int round = 0; round < CALLER_ROUNDS; round++) {
        const uint64_t call = (uint64_t)a->id * 1000 + (uint64_t)round;
        pctx c;
        pctx_init(&c, got, call, 20, 2 + round % 3);
        c.nested = round % 4 == 0;
        memset(got, 0, sizeof got);
        if (clv_parallel_for(c.threads, CALLER_UNITS, pool_unit, &c) != CLV_OK || atomic_load(&c.bad_worker) ||
            atomic_load(&c.nested_bad))
            a->wrong++;
        for (size_t u = 0; u < CALLER_UNITS; u++)
            if (got[u] != unit_value(call, u, 20))
                a->wrong++;
    }
    return NULL;
}

TEST(test_parallel_pool_concurrent_callers)
{
    pthread_t tid[CALLERS];
    caller_arg args[CALLERS];
    int started = 0;
    for (int i = 0; i < CALLERS; i++) {
        args[i] = (caller_arg){i + 1, 0};
        if (pthread_create(&tid[i], NULL, caller_main, &args[i]) == 0)
            started++;
        else
            break;
    }
    CHECK_INT(started, CALLERS);
    /* the main thread calls too, and shutdown refuses while a call runs
     * (or succeeds between calls: either way later calls still work) */
    caller_arg me = {CALLERS + 1, 0};
    caller_main(&me);
    int st = clv_parallel_shutdown();
    CHECK(st == CLV_OK || st == CLV_EINPUT);
    for (int i = 0; i < started; i++) {
        pthread_join(tid[i], NULL);
        CHECK_INT(args[i].wrong, 0);
    }
    CHECK_INT(me.wrong, 0);
    /* the keyed loop shares the pool: a keyed call while others run is
     * still right (test_parallel_keyed checks it alone) */
    keyed k;
    memset(&k, 0, sizeof k);
    k.fail_from = UNITS;
    CHECK_INT(clv_parallel_for_keyed(3, UNITS, KEYS, keyed_unit, &k), CLV_OK);
    for (int u = 0; u < UNITS; u++)
        CHECK_INT(atomic_load(&k.ran[u]), 1);
    CHECK_INT(atomic_load(&k.overlap), 0);
}
