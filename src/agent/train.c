/* train.c - training the tabular agents on episodes of the environment. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clvsim/agent.h"
#include "agent_internal.h"
#include "clvsim/btyd.h"
#include "clvsim/parallel.h"
#include "clvsim/streams.h"

/* an (advantage, customer) pair; the scratch of clv_agent_budget_order holds them */
typedef struct {
    double adv;
    uint32_t i;
} keyed;

_Static_assert(sizeof(keyed) <= 2 * sizeof(double), "a keyed pair must fit in two doubles");

static int by_advantage(const void *x, const void *y)
{
    const keyed *a = x, *b = y;
    if (a->adv != b->adv)
        return a->adv > b->adv ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

/* x first in by_advantage's order (a total order without NaN: no two
 * pairs have the same customer) */
static inline int first(const keyed *x, const keyed *y)
{
    return x->adv > y->adv || (x->adv == y->adv && x->i < y->i);
}

static inline void swap_keyed(keyed *x, keyed *y)
{
    const keyed t = *x;
    *x = *y;
    *y = t;
}

/* Partial selection: reorder k[0..n) so that its first m (0 < m < n) are
 * the m first in by_advantage's order (in any order among themselves).
 * Quickselect on the median of three (O(n) expected), with qsort of what
 * is left after 128 rounds against the quadratic worst case. */
static void select_first(keyed *k, size_t n, size_t m)
{
    size_t lo = 0, hi = n, depth = 0;
    while (hi - lo > 16) {
        if (++depth > 128) {
            qsort(k + lo, hi - lo, sizeof *k, by_advantage);
            return;
        }
        /* median of three to k[lo], then Lomuto's partition around it */
        const size_t mid = lo + (hi - lo) / 2;
        if (first(&k[mid], &k[lo]))
            swap_keyed(&k[mid], &k[lo]);
        if (first(&k[hi - 1], &k[lo]))
            swap_keyed(&k[hi - 1], &k[lo]);
        if (first(&k[hi - 1], &k[mid]))
            swap_keyed(&k[hi - 1], &k[mid]);
        swap_keyed(&k[lo], &k[mid]); /* the median */
        size_t p = lo;
        for (size_t q = lo + 1; q < hi; q++)
            if (first(&k[q], &k[lo]))
                swap_keyed(&k[++p], &k[q]);
        swap_keyed(&k[lo], &k[p]); /* k[lo..p) first, k[p] the pivot, k(p..hi) after */
        if (p == m || p + 1 == m)
            return;
        if (m < p)
            hi = p;
        else
            lo = p + 1;
    }
    qsort(k + lo, hi - lo, sizeof *k, by_advantage);
}

void clv_agent_budget_order(const clv_qtable *t, const size_t *st, const int *a, size_t n, size_t n_prices,
                            const clv_sim *s, double *scratch, uint32_t *order)
{
    keyed *k = (keyed *)scratch;
    if (!s || n != clv_sim_customers(s) || t->n_actions / n_prices > 256) {
        /* the reference: every customer in the full order */
        for (size_t i = 0; i < n; i++) {
            const size_t coupon = (size_t)a[i] / n_prices, price = (size_t)a[i] % n_prices;
            const double *q = t->q + st[i] * t->n_actions;
            k[i].adv = coupon ? q[a[i]] - q[price] : -INFINITY; /* action `price` is no coupon at that price */
            k[i].i = (uint32_t)i;
        }
        qsort(k, n, sizeof *k, by_advantage);
        for (size_t q = 0; q < n; q++)
            order[q] = k[q].i;
        return;
    }
    /* Only the coupons' claims depend on the order (a price level is set
     * whatever it is), and only until no further claim can be accepted:
     * the customers asking for a coupon, in the full order, up to where
     * clv_sim_claims_closed says that nothing costing the least any of
     * them costs can pass; the rest of them in any order, then the
     * customers without a coupon in index order.  The sorted prefix is
     * taken in chunks (partial selection, then qsort of the chunk). */
    clv_sim_claims c;
    clv_sim_claims_begin(s, &c);
    const size_t n_coupons = t->n_actions / n_prices - 1; /* <= 255 */
    double costs[256];
    for (size_t coupon = 1; coupon <= n_coupons; coupon++)
        costs[coupon] = clv_sim_claim_cost(s, (int)coupon);
    size_t m = 0;
    double sum = 0, min_cost = INFINITY;
    for (size_t i = 0; i < n; i++) {
        const size_t coupon = (size_t)a[i] / n_prices;
        if (coupon) {
            const double cost = costs[coupon];
            sum += cost;
            min_cost = cost < min_cost ? cost : min_cost;
            m++;
        }
    }
    if (clv_sim_claims_fit(s, &c, sum, m) || clv_sim_claims_closed(s, &c, min_cost)) {
        /* every claim accepted, or every one refused, whatever the order */
        for (size_t i = 0; i < n; i++)
            order[i] = (uint32_t)i;
        return;
    }
    m = 0;
    for (size_t i = 0; i < n; i++) {
        const size_t coupon = (size_t)a[i] / n_prices, price = (size_t)a[i] % n_prices;
        if (coupon) {
            const double *q = t->q + st[i] * t->n_actions;
            k[m].adv = q[a[i]] - q[price];
            k[m++].i = (uint32_t)i;
        }
    }
    /* chunks of 256, 512, ...: O(m) selection work per chunk */
    size_t pos = 0, done = 0, chunk = 256;
    for (int open = 1; open && done < m; chunk *= 2) {
        const size_t hi = m - done > chunk ? done + chunk : m;
        if (hi < m)
            select_first(k + done, m - done, hi - done);
        qsort(k + done, hi - done, sizeof *k, by_advantage);
        for (; done < hi && open; done++) {
            const size_t i = k[done].i;
            order[pos++] = (uint32_t)i;
            clv_sim_claim(s, &c, i, a[i] / (int)n_prices);
            open = !clv_sim_claims_closed(s, &c, min_cost);
        }
    }
    for (; done < m; done++)
        order[pos++] = k[done].i;
    for (size_t i = 0; i < n; i++)
        if ((size_t)a[i] < n_prices)
            order[pos++] = (uint32_t)i;
}

void clv_train_result_free(clv_train_result *r)
{
    if (!r)
        return;
    clv_qtable_free(r->table);
    free(r->returns);
    free(r->epsilon);
    memset(r, 0, sizeof *r);
}

/* clv__agent_see: observations, LTV estimates and states are pure functions
 * of the simulator's state, so blocks of customers go to the workers and the
 * result does not depend on their number. */
enum { SEE_BLOCK = 1024 };

typedef struct {
    const clv_sim *s;           /* NULL: the observations are given (obs) */
    clv_ltv_source *ltv;
    const clv_state_map *map;
    const clv_sim_obs *obs;
    clv_sim_obs *obs_out;       /* with s: where they are observed (obs) */
    double *phi, *pbuy;
    size_t *state;
    size_t n;
    int need_phi, phase;
    /* the error of the first failing block, by worker (a worker runs its blocks in increasing order) */
    clv_error *err;
    size_t *failed;
} see_job;

static int see_unit(size_t unit, int worker, void *ctx)
{
    const see_job *j = ctx;
    const size_t lo = unit * SEE_BLOCK, hi = lo + SEE_BLOCK < j->n ? lo + SEE_BLOCK : j->n;
    clv_error *err = &j->err[worker];
    int st = j->s ? clv_sim_observe(j->s, lo, hi - lo, j->obs_out + lo, err) : CLV_OK;
    if (st == CLV_OK && j->need_phi)
        st = clv_ltv_source_fill(j->ltv, worker, j->obs + lo, hi - lo, j->phi + lo, j->pbuy ? j->pbuy + lo : NULL,
                                 err);
    if (st == CLV_ENUMERIC && strncmp(err->field, "observation ", 12) == 0) /* of the block: of the world */
        snprintf(err->field, sizeof err->field, "customer %zu", lo + (size_t)strtoull(err->field + 12, NULL, 10));
    for (size_t i = lo; st == CLV_OK && i < hi; i++) {
        if (!j->need_phi)
            j->phi[i] = 0;
        j->state[i] = clv_state_of(j->map, &j->obs[i], j->phi[i], j->pbuy ? j->pbuy[i] : 0, j->phase);
    }
    if (st != CLV_OK && unit < j->failed[worker])
        j->failed[worker] = unit;
    return st;
}

int clv__agent_executed(const clv_sim *s, size_t i, clv_action requested, size_t n_prices)
{
    return (int)((size_t)clv_sim_sent(s, i) * n_prices + requested.price);
}

double clv__agent_shaped(const clv_scn_agent *ag, double r, double phi2, double phi)
{
    return r + (ag->shaping ? ag->gamma * phi2 - phi : 0);
}

/* The paired targets (agent.targets = "paired", clvsim/agent.h).  The
 * paired differences d of this epoch's replays go into the target
 * statistics of every action of customer i's state st: visits, sum d and
 * sum d^2, and the weight 1/n of each in their mean (the base's d is 0:
 * its statistics say that its advantage over itself is known exactly). */
static void paired_see(clv_qtable *t, const clv__paired *pr, int base, size_t st, size_t i)
{
    const size_t A = t->n_actions;
    const double vb = clv__paired_value(pr, (size_t)base)[i];
    for (size_t a = 0; a < A; a++) {
        const size_t k = st * A + a;
        const double d = (int)a == base ? 0 : clv__paired_value(pr, a)[i] - vb;
        if (t->visits[k] < UINT32_MAX)
            t->visits[k]++;
        double *x = t->stats + k * CLV_QSTATS;
        x[CLV_QSTAT_SUM] += d;
        x[CLV_QSTAT_SUMSQ] += d * d;
        x[CLV_QSTAT_WSQ] = 1 / (double)t->visits[k];
    }
}

/* Q(s, a) = Q(s, base) + the mean paired difference of (s, a), for the
 * actions seen in s */
static void paired_row(clv_qtable *t, int base, size_t s)
{
    const size_t A = t->n_actions;
    double *q = t->q + s * A;
    for (size_t a = 0; a < A; a++)
        if ((int)a != base && t->visits[s * A + a])
            q[a] = q[base] + t->stats[(s * A + a) * CLV_QSTATS + CLV_QSTAT_SUM] / (double)t->visits[s * A + a];
}

/* A transition (s, a, reward r, s', a'): the classic update of Q(s, a), or
 * with paired targets the TD update of Q(s, base) with the reward
 * corrected to the base's, r - d (d: the paired difference of the action
 * executed for this customer at s), and its step size by the visits of
 * (s, base) */
static void learn(clv_qtable *t, const clv_agent_params *p, int paired, int base, size_t s, int a, double r,
                  double d, size_t s2, int a2, int terminal)
{
    if (!paired) {
        clv_agent_update(t, p, s, a, r, s2, a2, terminal);
        return;
    }
    double *q = t->q + s * t->n_actions;
    const uint32_t n = t->visits[s * t->n_actions + (size_t)base];
    const double y = r - d + (terminal ? 0 : p->gamma * clv__agent_next_value(t, p, s2, a2));
    q[base] += clv__agent_step_size(p, n ? n : 1) * (y - q[base]);
    paired_row(t, base, s);
}

double clv__agent_terminal(const clv_scn_agent *ag, double r, double phi, double phi_end)
{
    return r - (ag->shaping ? phi : 0) + (ag->terminal_value ? ag->gamma * phi_end : 0);
}

double clv__agent_epsilon(const clv_scn_agent *ag, int e)
{
    const double f = ag->epsilon_decay_episodes > 0 ? fmin(1.0, (double)e / ag->epsilon_decay_episodes) : 1.0;
    return ag->epsilon_start + f * (ag->epsilon_end - ag->epsilon_start);
}

int clv__agent_states(clv__see *v, const clv_sim *s, size_t n, int phase, const clv_state_map *map, int need_phi,
                      const clv_sim_obs *obs, clv_sim_obs *obs_out, double *phi, double *pbuy, size_t *state,
                      clv_error *err)
{
    const int W = clv_ltv_source_workers(v->ltv), want_pbuy = map->n_pbuy > 1 || pbuy;
    for (int w = 0; w < W; w++)
        v->failed[w] = SIZE_MAX;
    if (map->n_pbuy > 1 && !pbuy)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "the states have P(buy) bins: give the array of it");
    see_job j = {s,   v->ltv, map,   s ? obs_out : obs, obs_out, phi, pbuy, state, n, need_phi || want_pbuy, phase,
                 v->err, v->failed};
    const int st = clv_parallel_for(W, (n + SEE_BLOCK - 1) / SEE_BLOCK, see_unit, &j);
    if (st == CLV_OK)
        return CLV_OK;
    /* the smallest failing block's error, as a serial run would give */
    int first = 0;
    for (int w = 1; w < W; w++)
        if (v->failed[w] < v->failed[first])
            first = w;
    if (v->failed[first] == SIZE_MAX)
        return clv_error_set(err, st, NULL, 0, NULL, "observing the customers failed");
    if (err)
        *err = v->err[first];
    return st;
}

int clv__agent_see(const clv_sim *s, clv__see *v, const clv_state_map *map, int need_phi, clv_sim_obs *obs,
                   double *phi, double *pbuy, size_t *state, clv_error *err)
{
    return clv__agent_states(v, s, clv_sim_customers(s), clv_sim_season_phase(s), map, need_phi, NULL, obs, phi, pbuy,
                             state, err);
}

int clv__see_init(clv__see *v, const clv_scenario *scn, const clv_ltv_source *ltv, int threads, clv_error *err)
{
    memset(v, 0, sizeof *v);
    v->ltv = ltv ? clv_ltv_source_copy(ltv, threads, err) : clv_ltv_source_new(scn, NULL, threads, err);
    if (!v->ltv)
        return err ? err->code : CLV_ENOMEM;
    const size_t W = (size_t)clv_ltv_source_workers(v->ltv);
    v->err = malloc(W * sizeof *v->err);
    v->failed = malloc(W * sizeof *v->failed);
    if (!v->err || !v->failed) {
        clv__see_free(v);
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    return CLV_OK;
}

void clv__see_free(clv__see *v)
{
    clv_ltv_source_free(v->ltv);
    free(v->err), free(v->failed);
    memset(v, 0, sizeof *v);
}

/* FNV-1a over what gives a table its meaning: the algorithm, the bins, the
 * fitted LTV cuts, each coupon's discount, cap and validity, the prices */
static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *b = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3u;
    return h;
}

uint64_t clv_agent_layout(int algo, int targets, const clv_state_map *m, const clv_scn_interventions *iv)
{
    uint64_t h = 0xcbf29ce484222325u;
    if (targets != CLV_TARGETS_CLASSIC)
        h = fnv(h, &targets, sizeof targets);
    const int ints[7] = {algo, m->use_stage, m->use_season, m->n_rec, m->n_freq, m->n_age, m->n_ltv};
    h = fnv(h, ints, sizeof ints);
    h = fnv(h, m->rec, (size_t)m->n_rec * sizeof *m->rec);
    h = fnv(h, m->freq, (size_t)m->n_freq * sizeof *m->freq);
    h = fnv(h, m->age, (size_t)m->n_age * sizeof *m->age);
    h = fnv(h, m->ltv_cut, (size_t)(m->n_ltv - 1) * sizeof *m->ltv_cut);
    if (m->n_pbuy > 1) { /* (without P(buy) bins, the fingerprint of the maps before them) */
        h = fnv(h, &m->n_pbuy, sizeof m->n_pbuy);
        h = fnv(h, m->pbuy_cut, (size_t)(m->n_pbuy - 1) * sizeof *m->pbuy_cut);
    }
    for (int c = 0; c < iv->n_coupons; c++) {
        const double v[3] = {iv->coupons[c].discount, iv->coupons[c].max_value, iv->coupons[c].validity_days};
        h = fnv(h, v, sizeof v);
    }
    h = fnv(h, iv->prices, (size_t)iv->n_prices * sizeof *iv->prices);
    return h ? h : 1;
}

int clv__agent_env(const clv_scenario *scn0, int threads, const clv_progress *progress, clv_scenario *scn, clv_sim **s,
                   clv_error *err)
{
    *scn = *scn0;
    scn->population.customers = scn0->agent.customers;
    clv_sim_opts so;
    clv_sim_opts_default(&so);
    so.threads = threads;
    so.progress = progress;
    return clv_sim_alloc(scn, &so, s, err);
}

/* the LTV and P(buy) quantile bins, from world 0's customers at the start
 * (obs, values and pbuy: scratch of the environment's capacity) */
static int fit_map(clv_sim *s, int64_t seed, clv__see *v, clv_state_map *map, clv_sim_obs *obs, double *values,
                   double *pbuy, size_t *state, clv_error *err)
{
    if (map->n_ltv < 2 && map->n_pbuy < 2)
        return CLV_OK;
    int st = clv_sim_reset(s, (uint64_t)seed, clv_world_training(0), err);
    if (st == CLV_OK)
        st = clv__agent_see(s, v, map, 1, obs, values, map->n_pbuy > 1 ? pbuy : NULL, state, err);
    if (st != CLV_OK)
        return st;
    clv_state_map_fit_ltv(map, values, clv_sim_customers(s));
    clv_state_map_fit_pbuy(map, pbuy, clv_sim_customers(s));
    return CLV_OK;
}

int clv_agent_state_map(const clv_scenario *scn0, const clv_ltv_source *ltv, int threads, clv_state_map *map,
                        clv_error *err)
{
    clv_scenario scn;
    clv_sim *s = NULL;
    int st = clv__agent_env(scn0, threads, NULL, &scn, &s, err);
    if (st != CLV_OK)
        return st;
    clv_state_map_init(map, &scn);
    clv__see v;
    if ((st = clv__see_init(&v, &scn, ltv, threads, err)) != CLV_OK) {
        clv_sim_free(s);
        return st;
    }
    const size_t cap = clv_sim_capacity(s);
    clv_sim_obs *obs = malloc(cap * sizeof *obs);
    double *values = malloc(cap * sizeof *values), *pbuy = malloc(cap * sizeof *pbuy);
    size_t *state = malloc(cap * sizeof *state);
    if (!obs || !values || !pbuy || !state)
        st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    else
        st = fit_map(s, scn.scenario.seed, &v, map, obs, values, pbuy, state, err);
    free(obs), free(values), free(pbuy), free(state);
    clv__see_free(&v);
    clv_sim_free(s);
    return st;
}

int clv_agent_train(const clv_scenario *scn0, int algo, const clv_train_opts *opts, clv_train_result *out,
                    clv_error *err)
{
    memset(out, 0, sizeof *out);
    clv_train_opts none = {0, NULL, NULL, NULL, NULL, NULL};
    if (!opts)
        opts = &none;
    const int threads = opts->threads;
    const clv_progress *progress = opts->progress;
    const clv_scn_agent *ag = &scn0->agent;
    clv_scenario scn;
    clv_sim *s = NULL;
    int st = clv_stream_space_check(CLV_SPACE_TRAINING, ag->episodes > 0 ? (uint64_t)ag->episodes : 0,
                                    "agent.episodes", err);
    if (st != CLV_OK || (st = clv__agent_env(scn0, threads, progress, &scn, &s, err)) != CLV_OK)
        return st;
    const size_t cap = clv_sim_capacity(s), P = (size_t)scn.interventions.n_prices;
    const size_t A = clv_agent_n_actions(&scn.interventions);
    clv_state_map_init(&out->map, &scn);
    out->n_actions = A;
    out->episodes = ag->episodes;
    out->table = clv_qtable_alloc(out->map.n_states, A, 0, err);
    out->returns = calloc((size_t)ag->episodes, sizeof *out->returns);
    out->epsilon = calloc((size_t)ag->episodes, sizeof *out->epsilon);
    clv_sim_obs *obs = malloc(cap * sizeof *obs);
    clv_action *act = malloc(cap * sizeof *act);
    /* per customer: the LTV estimate now and at its last transition, the
     * last transition's state, executed action and reward (margin), and
     * the action chosen now */
    double *phi = malloc(cap * sizeof *phi), *pphi = malloc(cap * sizeof *pphi), *pbuy = malloc(cap * sizeof *pbuy);
    size_t *scratch_state = malloc(cap * sizeof *scratch_state);
    clv__see see;
    memset(&see, 0, sizeof see);
    double *margin = malloc(cap * sizeof *margin), *pr = malloc(cap * sizeof *pr);
    const int budget = scn.interventions.budget_per_epoch >= 0 || scn.interventions.budget_total >= 0;
    double *scratch = budget ? malloc(2 * cap * sizeof *scratch) : NULL;
    uint32_t *order = budget ? malloc(cap * sizeof *order) : NULL;
    size_t *ps = malloc(cap * sizeof *ps), *cur = malloc(cap * sizeof *cur);
    int *pa = malloc(cap * sizeof *pa), *na = malloc(cap * sizeof *na);
    /* paired targets: the replays, and per customer the paired difference
     * of its last transition's executed action */
    const int paired = ag->targets == CLV_TARGETS_PAIRED, base = clv_scn_list_price(&scn);
    clv__paired *rp = NULL;
    double *pd = paired ? calloc(cap, sizeof *pd) : NULL;
    if (!out->table || !out->returns || !out->epsilon || !obs || !act || !phi || !pphi || !pbuy || !scratch_state ||
        !margin || !pr || !ps || !cur || !pa || !na || (budget && (!scratch || !order)) || (paired && !pd)) {
        st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
        goto done;
    }
    if ((st = clv__see_init(&see, &scn, opts->ltv, threads, err)) != CLV_OK)
        goto done;
    if (paired && (st = clv__paired_alloc(&scn, threads, ag->gamma, &rp, err)) != CLV_OK)
        goto done;
    /* SARSA's target is Q of the next action taken.  Under a budget a
     * coupon may be refused, and then the action taken is no coupon at the
     * price set, which only the step tells: the update of a transition
     * whose next action asks for a coupon waits until after the step.  (Q-
     * learning's and Expected SARSA's targets do not depend on the next
     * action, and without a budget nothing is refused.) */
    const int wait = budget && algo == CLV_ALGO_SARSA;
    const int need_phi = ag->shaping || ag->terminal_value || ag->bins_ltv_quantiles > 1;
    clv_agent_params p = {algo == CLV_ALGO_Q ? CLV_RULE_Q : algo == CLV_ALGO_SARSA ? CLV_RULE_SARSA
                                                                                    : CLV_RULE_EXPECTED_SARSA,
                          ag->gamma, ag->learning_rate, ag->learning_rate_schedule == CLV_ALPHA_VISITS, ag->omega,
                          ag->exploration == CLV_EXPLORE_SOFTMAX, ag->epsilon_start, ag->temperature};
    if ((st = fit_map(s, scn.scenario.seed, &see, &out->map, obs, margin, pbuy, scratch_state, err)) != CLV_OK)
        goto done;
    out->table->layout = clv_agent_layout(algo, ag->targets, &out->map, &scn.interventions);
    const clv_qtable *from = opts->resume;
    if (from) {
        if (from->n_states != out->map.n_states || from->n_actions != A) {
            st = clv_error_set(err, CLV_EINPUT, NULL, 0, "resume",
                               "the table to resume is %zu states x %zu actions; this scenario's agent has %zu x %zu",
                               from->n_states, from->n_actions, out->map.n_states, A);
            goto done;
        }
        if (from->episodes > (uint64_t)(CLV_WORLDS_PER_SPACE - ag->episodes)) {
            st = clv_error_set(err, CLV_EINPUT, NULL, 0, "resume",
                               "the table to resume has %llu episodes behind it; with %d more that exceeds the %d "
                               "worlds of training (clvsim/streams.h)",
                               (unsigned long long)from->episodes, ag->episodes, (int)CLV_WORLDS_PER_SPACE);
            goto done;
        }
        if (from->layout && from->layout != out->table->layout) {
            st = clv_error_set(err, CLV_EINPUT, NULL, 0, "resume",
                               "the table to resume was trained by another algorithm or on other states or actions "
                               "(agent.bins, the LTV cuts fitted from population and seed, the coupons' discount, cap or "
                               "validity, or the prices), or with other targets (agent.targets); resume "
                               "with the scenario it was trained on");
            goto done;
        }
        memcpy(out->table->q, from->q, from->n_states * A * sizeof *from->q);
        memcpy(out->table->visits, from->visits, from->n_states * A * sizeof *from->visits);
        memcpy(out->table->stats, from->stats, from->n_states * A * CLV_QSTATS * sizeof *from->stats);
        out->table->episodes = from->episodes;
    }
    const int e0 = (int)out->table->episodes;
    for (int k = 0; k < ag->episodes && st == CLV_OK; k++) {
        const int e = e0 + k;
        p.epsilon = clv__agent_epsilon(ag, e);
        out->epsilon[k] = p.epsilon;
        clv_rng rng;
        clv_rng_seed(&rng, (clv_stream_key){(uint64_t)scn.scenario.seed, CLV_STREAM_EXPLORATION,
                                            clv_world_training((uint64_t)e), (uint64_t)algo});
        if ((st = clv_sim_reset(s, (uint64_t)scn.scenario.seed, clv_world_training((uint64_t)e), err)) != CLV_OK)
            break;
        size_t have_prev = 0; /* customers [0, have_prev) have a transition waiting for its next state */
        double total = 0;
        for (;;) {
            const size_t n = clv_sim_customers(s);
            const int last = clv_sim_done(s);
            if ((st = clv__agent_see(s, &see, &out->map, need_phi, obs, phi, out->map.n_pbuy > 1 ? pbuy : NULL, cur,
                                     err)) != CLV_OK)
                break;
            if (paired && !last) {
                if ((st = clv__paired_replay(rp, s, progress, err)) != CLV_OK)
                    break;
                for (size_t i = 0; i < n; i++)
                    paired_see(out->table, rp, base, cur[i], i);
                for (size_t i = 0; i < n; i++)
                    paired_row(out->table, base, cur[i]);
            }
            for (size_t i = 0; i < n; i++) {
                const size_t si = cur[i];
                if (last) {
                    /* the end of the episode: the potential of the end is 0,
                     * and the terminal value stands for what lies beyond */
                    if (i < have_prev) {
                        learn(out->table, &p, paired, base, ps[i], pa[i], clv__agent_terminal(ag, pr[i], pphi[i], phi[i]),
                              paired ? pd[i] : 0, si, 0, 1);
                    }
                    continue;
                }
                const int a = clv_agent_act(out->table, &p, si, &rng);
                if (i < have_prev && !(wait && (size_t)a >= P))
                    learn(out->table, &p, paired, base, ps[i], pa[i], clv__agent_shaped(ag, pr[i], phi[i], pphi[i]),
                          paired ? pd[i] : 0, si, a, 0);
                na[i] = a;
                act[i] = (clv_action){(uint8_t)((size_t)a / P), (uint8_t)((size_t)a % P)};
            }
            if (last || st != CLV_OK)
                break;
            if (budget)
                clv_agent_budget_order(out->table, cur, na, n, P, s, scratch, order);
            if ((st = clv_sim_step_ordered(s, act, budget ? order : NULL, margin, err)) != CLV_OK)
                break;
            if (clv_progress_poll(progress) != CLV_OK) {
                st = clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "training cancelled");
                break;
            }
            /* the transitions from here on are credited to the executed
             * actions; the updates that waited for them are made now */
            for (size_t i = 0; i < n; i++) {
                const int x = clv__agent_executed(s, i, act[i], P);
                if (wait && i < have_prev && (size_t)na[i] >= P)
                    learn(out->table, &p, paired, base, ps[i], pa[i], clv__agent_shaped(ag, pr[i], phi[i], pphi[i]),
                          paired ? pd[i] : 0, cur[i], x, 0);
                ps[i] = cur[i], pa[i] = x, pphi[i] = phi[i];
                if (paired)
                    pd[i] = clv__paired_value(rp, (size_t)x)[i] - clv__paired_value(rp, (size_t)base)[i];
                pr[i] = margin[i];
                total += margin[i];
            }
            have_prev = n;
        }
        out->returns[k] = total / (double)clv_sim_customers(s);
        out->table->episodes = (uint64_t)e + 1;
        if (st == CLV_OK && opts->checkpoint && ag->checkpoint_every > 0 && (k + 1) % ag->checkpoint_every == 0 &&
            opts->checkpoint(opts->ctx, out->table) != 0)
            st = clv_error_set(err, CLV_EIO, NULL, 0, "checkpoint", "writing a checkpoint failed");
        if (st == CLV_OK && clv_progress_report(progress, "training", k + 1, ag->episodes) != CLV_OK)
            st = clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "training cancelled");
    }
done:
    /* one word for a stop, wherever in the episode (a reset, a step) it landed */
    if (st == CLV_ECANCELLED)
        clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "training cancelled");
    free(obs), free(act), free(phi), free(pphi), free(pbuy), free(scratch_state), free(margin), free(pr), free(ps);
    free(cur), free(pa), free(na);
    clv__see_free(&see);
    free(scratch), free(order), free(pd);
    clv__paired_free(rp);
    clv_sim_free(s);
    if (st != CLV_OK)
        clv_train_result_free(out);
    return st;
}
