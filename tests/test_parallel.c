/* test_parallel.c - clv_parallel_for_keyed: every unit runs once, units of
 * one key never at the same time, and failures report the unit a serial
 * run would. */
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "clvsim/error.h"
#include "clvsim/parallel.h"
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
