/* test_noalloc.c - no reset, step, observation, clv_sim_sent, copy or reluck allocates:
 * malloc, calloc and realloc are counted inside a window around those
 * calls, over whole replications with coupons, price levels, budgets and
 * recording.
 *
 * The test binary defines malloc, calloc, realloc and free; they forward to
 * the next definition (the C library's, or the sanitizer's under make
 * test-asan) found with dlsym(RTLD_NEXT), and count while the window is
 * open.  dlsym may itself allocate before the real functions are known:
 * those few requests are served from a static arena that free ignores. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "clvsim/policy.h"
#include "clvsim/rng.h"
#include "clvsim/sim.h"
#include "harness.h"

#include "../src/agent/agent_internal.h"

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);

static atomic_int window;         /* 1 while counting */
static atomic_size_t counted;     /* calls inside the window */

/* the arena for the requests made while dlsym looks the functions up */
static _Alignas(max_align_t) unsigned char arena[4096];
static size_t arena_used;
static int resolving;

static int in_arena(const void *p)
{
    return (const unsigned char *)p >= arena && (const unsigned char *)p < arena + sizeof arena;
}

static void *arena_alloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n > sizeof arena - arena_used)
        return NULL;
    void *p = arena + arena_used;
    arena_used += n;
    return p; /* static storage: already zero */
}

static void resolve(void)
{
    if (real_free || resolving)
        return;
    resolving = 1;
    real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    resolving = 0;
}

static void count(void)
{
    if (atomic_load_explicit(&window, memory_order_relaxed))
        atomic_fetch_add_explicit(&counted, 1, memory_order_relaxed);
}

void *malloc(size_t n)
{
    resolve();
    if (!real_malloc)
        return arena_alloc(n);
    count();
    return real_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    resolve();
    if (!real_calloc)
        return size && n > SIZE_MAX / size ? NULL : arena_alloc(n * size);
    count();
    return real_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    resolve();
    if (!real_realloc)
        return NULL;
    count();
    if (in_arena(p)) {
        void *q = real_malloc(n);
        const size_t avail = (size_t)(arena + sizeof arena - (unsigned char *)p);
        if (q)
            memcpy(q, p, n < avail ? n : avail);
        return q;
    }
    return real_realloc(p, n);
}

void free(void *p)
{
    if (!p || in_arena(p))
        return;
    resolve();
    if (real_free)
        real_free(p);
}

static void window_open(void)
{
    atomic_store(&counted, 0);
    atomic_store(&window, 1);
}

static size_t window_close(void)
{
    atomic_store(&window, 0);
    return atomic_load(&counted);
}

static int count_tx(void *ctx, const clv_sim_tx *tx)
{
    (void)tx;
    ++*(size_t *)ctx;
    return 0;
}

TEST(test_noalloc_counter_counts)
{
    /* the counter itself: a window around allocations sees them all (or
     * the test below could pass by counting nothing) */
    static void *volatile keep[3]; /* (so that the compiler cannot drop the calls) */
    window_open();
    keep[0] = malloc(32);
    keep[1] = calloc(4, 8);
    keep[2] = realloc(keep[0], 64);
    size_t n = window_close();
    free(keep[1]), free(keep[2]);
    CHECK_INT((int)n, 3);
}

TEST(test_noalloc_steps)
{
    clv_scenario scn;
    clv_error err;
    char buf[1024];
    if (clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err) != CLV_OK) {
        harness_fail(__FILE__, __LINE__, "%s", clv_error_format(&err, buf, sizeof buf));
        return;
    }
    scn.run.scale = 1.0; /* 10,000 customers and their arrivals: several blocks, each its own chain of the log */
    CHECK(scn.interventions.n_coupons >= 1 && scn.interventions.n_prices >= 2 && scn.response.enabled);
    CHECK(scn.interventions.budget_per_epoch >= 0 && scn.interventions.budget_total >= 0);
    clv_sim_opts o;
    clv_sim_opts_default(&o);
    o.threads = 1; /* (more: the C library may allocate when a step starts its first threads) */
    clv_world *w = NULL;
    clv_sim *s = NULL;
    clv_sim_log *log = NULL;
    CHECK_INT(clv_world_alloc(&scn, &o, &w, &err), CLV_OK);
    CHECK_INT(clv_sim_alloc_in(w, &o, &s, &err), CLV_OK);
    CHECK_INT(clv_sim_log_alloc(w, 0, &log, &err), CLV_OK);
    CHECK_INT(clv_sim_record_into(s, log, &err), CLV_OK);
    const size_t cap = clv_world_capacity(w);
    clv_sim_obs *obs = malloc(cap * sizeof *obs);
    clv_action *act = malloc(cap * sizeof *act);
    uint32_t *order = malloc(cap * sizeof *order);
    CHECK(obs && act && order);
    if (!w || !s || !log || !obs || !act || !order)
        goto done;
    double sent = 0, priced = 0, redeemed = 0;
    size_t txs = 0, allocations = 0;
    for (uint64_t rep = 0; rep < 2; rep++) {
        window_open();
        int st = clv_sim_reset(s, 11, rep, &err);
        allocations += window_close();
        CHECK_INT(st, CLV_OK);
        CHECK_INT(clv_sim_transactions(s, count_tx, &txs), CLV_OK);
        while (st == CLV_OK && !clv_sim_done(s)) {
            const size_t n = clv_sim_customers(s);
            window_open();
            st = clv_sim_observe(s, 0, n, obs, &err);
            allocations += window_close();
            /* coupons of every level and every price level, to a third of
             * the customers each, the budgets claimed in reverse order
             * every other epoch */
            clv_rng r;
            clv_rng_seed(&r, (clv_stream_key){5, 0, rep, (uint64_t)clv_sim_epoch(s)});
            for (size_t i = 0; i < n; i++) {
                uint64_t u = clv_rng_next(&r);
                act[i].coupon = u % 3 == 0 ? (uint8_t)(1 + (u >> 8) % (uint64_t)scn.interventions.n_coupons) : 0;
                act[i].price = (uint8_t)((u >> 16) % (uint64_t)scn.interventions.n_prices);
                priced += act[i].price != clv_sim_list_price(s);
                order[i] = (uint32_t)(n - 1 - i);
            }
            window_open();
            if (st == CLV_OK)
                st = clv_sim_epoch(s) % 2 ? clv_sim_step_ordered(s, act, order, NULL, &err)
                                          : clv_sim_step(s, act, NULL, &err);
            /* and what it executed: every coupon it sent, of a level asked for */
            size_t executed = 0, asked = 0;
            for (size_t i = 0; st == CLV_OK && i < n; i++) {
                const int c = clv_sim_sent(s, i);
                executed += c > 0;
                asked += c > 0 && c != act[i].coupon;
            }
            allocations += window_close();
            CHECK_INT(st, CLV_OK);
            size_t nd_now;
            const clv_sim_day *now = clv_sim_days(s, &nd_now);
            CHECK(asked == 0 && nd_now > 0 &&
                  (double)executed == now[(size_t)(clv_sim_epoch(s) - 1) * (size_t)scn.calendar.epoch_days].coupons_sent);
            CHECK_INT(clv_sim_transactions(s, count_tx, &txs), CLV_OK);
            CHECK_INT((int)clv_sim_lost_transactions(s), 0);
        }
        size_t nd;
        const clv_sim_day *d = clv_sim_days(s, &nd);
        for (size_t k = 0; k < nd; k++)
            sent += d[k].coupons_sent, redeemed += d[k].redemptions;
    }
    /* a copy into a budget-free world, fresh luck and a step of it
     * (the clairvoyant's rollout) allocate nothing either */
    {
        clv_scenario fs = scn;
        fs.interventions.budget_per_epoch = fs.interventions.budget_total = -1;
        clv_world *wf = NULL;
        clv_sim *f = NULL;
        CHECK_INT(clv_world_alloc(&fs, &o, &wf, &err), CLV_OK);
        CHECK_INT(clv_sim_alloc_in(wf, &o, &f, &err), CLV_OK);
        CHECK_INT(clv_sim_reset(s, 11, 0, &err), CLV_OK);
        CHECK_INT(clv_sim_step(s, NULL, NULL, &err), CLV_OK);
        for (size_t i = 0; i < clv_sim_customers(s); i++)
            act[i] = (clv_action){1, 0};
        double *margin = malloc(cap * sizeof *margin);
        if (f && margin) {
            window_open();
            int st = clv_sim_copy(f, s, &err);
            if (st == CLV_OK)
                st = clv_sim_reluck(f, 3, &err);
            if (st == CLV_OK)
                st = clv_sim_step(f, act, margin, &err);
            allocations += window_close();
            CHECK_INT(st, CLV_OK);
        }
        free(margin);
        clv_sim_free(f);
        clv_world_free(wf);
    }
    /* the replications did what the window was to watch */
    CHECK(sent > 0 && priced > 0 && redeemed > 0 && txs > 1000);
    if (allocations)
        harness_fail(__FILE__, __LINE__, "resets, observations, steps, copies and relucks made %zu allocations", allocations);
done:
    free(obs), free(act), free(order);
    clv_sim_free(s);
    clv_sim_log_free(log);
    clv_world_free(w);
}

/* A log too small loses transactions and says so, and never changes what
 * is simulated; a log belongs to its world; states of one world share it
 * read-only and give the same replication as a state with its own world. */
TEST(test_sim_log_and_shared_world)
{
    clv_scenario scn;
    clv_error err;
    if (clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err) != CLV_OK) {
        harness_fail(__FILE__, __LINE__, "%s", err.msg);
        return;
    }
    scn.run.scale = 0.5;
    clv_world *w = NULL, *w2 = NULL;
    clv_sim *a = NULL, *b = NULL, *own = NULL;
    clv_sim_log *tiny = NULL, *other = NULL;
    clv_sim_opts o;
    clv_sim_opts_default(&o);
    CHECK_INT(clv_world_alloc(&scn, &o, &w, &err), CLV_OK);
    CHECK_INT(clv_world_alloc(&scn, &o, &w2, &err), CLV_OK);
    CHECK_INT(clv_sim_alloc_in(w, &o, &a, &err), CLV_OK);
    CHECK_INT(clv_sim_alloc_in(w, &o, &b, &err), CLV_OK);
    o.record = 1;
    CHECK_INT(clv_sim_alloc(&scn, &o, &own, &err), CLV_OK);
    CHECK_INT(clv_sim_log_alloc(w, 1, &tiny, &err), CLV_OK);
    CHECK_INT(clv_sim_log_alloc(w2, 0, &other, &err), CLV_OK);
    if (!a || !b || !own || !tiny || !other)
        goto done;
    CHECK(clv_sim_log_size(other) >= 1024 && clv_sim_log_size(tiny) == 1);
    CHECK(clv_world_capacity(w) == clv_sim_capacity(a) && clv_world_customers(w) == 5000);
    CHECK_INT(clv_sim_record_into(a, other, &err), CLV_EINPUT);
    CHECK_INT(clv_sim_record_into(a, tiny, &err), CLV_OK);
    CHECK_INT(clv_sim_reset(a, 3, 1, &err), CLV_OK);
    CHECK_INT(clv_sim_reset(b, 3, 1, &err), CLV_OK);
    CHECK_INT(clv_sim_reset(own, 3, 1, &err), CLV_OK);
    size_t txs = 0;
    CHECK(clv_sim_lost_transactions(a) > 0);
    CHECK_INT(clv_sim_transactions(a, count_tx, &txs), CLV_ENOMEM);
    CHECK_INT(clv_sim_log_check(a, &err), CLV_ENOMEM);
    CHECK(err.code == CLV_ENOMEM && strstr(err.msg, "transactions were not recorded") != NULL);
    CHECK_INT(clv_sim_log_check(own, &err), CLV_OK);
    CHECK_INT(clv_sim_transactions(b, count_tx, &txs), CLV_EINPUT); /* b records nothing */
    CHECK_INT(clv_sim_transactions(own, count_tx, &txs), CLV_OK);
    CHECK_INT((int)clv_sim_lost_transactions(own), 0);
    CHECK(txs > 5000);
    /* the two states of w, one losing its log, and the state of its own world, stepped in turn */
    while (!clv_sim_done(a)) {
        CHECK_INT(clv_sim_step(a, NULL, NULL, &err), CLV_OK);
        CHECK_INT(clv_sim_step(b, NULL, NULL, &err), CLV_OK);
        CHECK_INT(clv_sim_step(own, NULL, NULL, &err), CLV_OK);
    }
    size_t na, nb, no;
    const clv_sim_day *da = clv_sim_days(a, &na), *db = clv_sim_days(b, &nb), *dn = clv_sim_days(own, &no);
    CHECK(na == 151 && nb == na && no == na);
    CHECK(memcmp(da, db, na * sizeof *da) == 0);
    CHECK(memcmp(da, dn, na * sizeof *da) == 0);
    CHECK(da[na - 1].purchases > 0);
done:
    clv_sim_free(a);
    clv_sim_free(b);
    clv_sim_free(own);
    clv_sim_log_free(tiny);
    clv_sim_log_free(other);
    clv_world_free(w);
    clv_world_free(w2);
}

/* The clairvoyant allocates its rollout states and buffers at its first
 * call; its later calls (and its budget order) allocate nothing. */
TEST(test_noalloc_clairvoyant)
{
    clv_scenario scn;
    clv_error err;
    if (clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err) != CLV_OK) {
        harness_fail(__FILE__, __LINE__, "%s", err.msg);
        return;
    }
    scn.run.scale = 0.05;
    scn.evaluation.clairvoyant_lucks = 2;
    clv_sim *s = NULL;
    clv_policy p;
    memset(&p, 0, sizeof p);
    const clv_policy_type *t = clv_policy_type_of(CLV_POLICY_CLAIRVOYANT);
    CHECK_INT(clv_sim_alloc(&scn, NULL, &s, &err), CLV_OK);
    CHECK_INT(t->make(&scn, &(clv_policy_args){.name = "clairvoyant", .seed = 1, .threads = 1}, &p, &err), CLV_OK);
    const size_t cap = s ? clv_sim_capacity(s) : 0;
    clv_sim_obs *obs = malloc(cap * sizeof *obs);
    clv_action *act = malloc(cap * sizeof *act);
    uint32_t *order = malloc(cap * sizeof *order);
    size_t allocations = 0;
    int coupons = 0;
    if (s && p.act && obs && act && order && clv_sim_reset(s, 2, 0, &err) == CLV_OK) {
        for (int e = 0; e < 4; e++) {
            const size_t n = clv_sim_customers(s);
            CHECK_INT(clv_sim_observe(s, 0, n, obs, &err), CLV_OK);
            if (e > 0)
                window_open();
            int st = p.act(p.ctx, s, obs, n, act, &err);
            if (st == CLV_OK)
                st = p.order(p.ctx, s, act, n, order, &err);
            if (e > 0)
                allocations += window_close();
            CHECK_INT(st, CLV_OK);
            for (size_t i = 0; i < n; i++)
                coupons += act[i].coupon > 0;
            CHECK_INT(clv_sim_step_ordered(s, act, order, NULL, &err), CLV_OK);
        }
    }
    CHECK(coupons > 0);
    if (allocations)
        harness_fail(__FILE__, __LINE__, "the clairvoyant's later calls made %zu allocations", allocations);
    free(obs), free(act), free(order);
    clv_policy_free(&p);
    clv_sim_free(s);
}

/* The paired replays of training allocate their copies once
 * (clv__paired_alloc); a replay allocates nothing. */
TEST(test_noalloc_paired)
{
    clv_scenario scn;
    clv_error err;
    if (!HARNESS_LOAD("scenarios/holiday.cfg", &scn))
        return;
    scn.run.scale = 0.05;
    clv_sim *s = NULL;
    clv__paired *p = NULL;
    CHECK_INT(clv_sim_alloc(&scn, NULL, &s, &err), CLV_OK);
    CHECK_INT(clv__paired_alloc(&scn, 1, 0.99, &p, &err), CLV_OK);
    size_t allocations = 0;
    if (s && p && clv_sim_reset(s, 2, 0, &err) == CLV_OK) {
        for (int e = 0; e < 3; e++) {
            window_open();
            const int st = clv__paired_replay(p, s, NULL, &err);
            allocations += window_close();
            CHECK_INT(st, CLV_OK);
            CHECK_INT(clv_sim_step(s, NULL, NULL, &err), CLV_OK);
        }
    }
    if (allocations)
        harness_fail(__FILE__, __LINE__, "the paired replays made %zu allocations", allocations);
    clv__paired_free(p);
    clv_sim_free(s);
}
