/* oracle.c - the model-based oracle: the discretised MDP estimated from simulation, solved by value iteration. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clvsim/agent.h"
#include "agent_internal.h"
#include "clvsim/btyd.h"
#include "clvsim/streams.h"

/* transitions in an open-addressing hash table keyed by (s, a, s') */
typedef struct {
    uint64_t key;       /* (s * A + a) * S + s' + 1; 0: empty */
    double count;
} slot;

struct clv_mdp_estimate {
    size_t S, A;
    slot *slots;
    size_t cap, used;
    double *n_sa, *r_sa, *r2_sa; /* visits, reward sums and sums of squares per (s, a) */
    double *start;          /* starts per state */
    /* the compressed model, built on demand: per (s, a) a range of (s', p) */
    size_t *row;            /* S*A + 1 offsets */
    uint32_t *col;
    double *prob;
    int built;
};

clv_mdp_estimate *clv_mdp_estimate_alloc(size_t n_states, size_t n_actions, clv_error *err)
{
    clv_mdp_estimate *m = calloc(1, sizeof *m);
    if (m) {
        m->S = n_states, m->A = n_actions;
        m->cap = 1 << 16;
        m->slots = calloc(m->cap, sizeof *m->slots);
        m->n_sa = calloc(n_states * n_actions, sizeof *m->n_sa);
        m->r_sa = calloc(n_states * n_actions, sizeof *m->r_sa);
        m->r2_sa = calloc(n_states * n_actions, sizeof *m->r2_sa);
        m->start = calloc(n_states, sizeof *m->start);
    }
    if (!m || !m->slots || !m->n_sa || !m->r_sa || !m->r2_sa || !m->start) {
        clv_mdp_estimate_free(m);
        clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory for the MDP estimate");
        return NULL;
    }
    return m;
}

void clv_mdp_estimate_free(clv_mdp_estimate *m)
{
    if (!m)
        return;
    free(m->slots), free(m->n_sa), free(m->r_sa), free(m->r2_sa), free(m->start), free(m->row), free(m->col), free(m->prob);
    free(m);
}

static size_t hash(uint64_t k, size_t cap)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (size_t)k & (cap - 1);
}

static int grow(clv_mdp_estimate *m)
{
    size_t cap = m->cap * 2;
    slot *ns = calloc(cap, sizeof *ns);
    if (!ns)
        return CLV_ENOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].key)
            continue;
        size_t h = hash(m->slots[i].key, cap);
        while (ns[h].key)
            h = (h + 1) & (cap - 1);
        ns[h] = m->slots[i];
    }
    free(m->slots);
    m->slots = ns;
    m->cap = cap;
    return CLV_OK;
}

int clv_mdp_estimate_add(clv_mdp_estimate *m, size_t s, int a, double reward, size_t s2, int start)
{
    if (2 * (m->used + 1) > m->cap && grow(m) != CLV_OK)
        return CLV_ENOMEM;
    uint64_t key = ((uint64_t)s * m->A + (uint64_t)a) * m->S + s2 + 1;
    size_t h = hash(key, m->cap);
    while (m->slots[h].key && m->slots[h].key != key)
        h = (h + 1) & (m->cap - 1);
    if (!m->slots[h].key) {
        m->slots[h].key = key;
        m->used++;
    }
    m->slots[h].count += 1;
    m->n_sa[s * m->A + (size_t)a] += 1;
    m->r_sa[s * m->A + (size_t)a] += reward;
    m->r2_sa[s * m->A + (size_t)a] += reward * reward;
    if (start)
        m->start[s] += 1;
    m->built = 0;
    return CLV_OK;
}

size_t clv_mdp_estimate_transitions(const clv_mdp_estimate *m) { return m->used; }

/* the compressed rows of P, from the hash table */
static int build(clv_mdp_estimate *m)
{
    if (m->built)
        return CLV_OK;
    const size_t SA = m->S * m->A;
    free(m->row), free(m->col), free(m->prob);
    m->row = calloc(SA + 1, sizeof *m->row);
    m->col = malloc((m->used ? m->used : 1) * sizeof *m->col);
    m->prob = malloc((m->used ? m->used : 1) * sizeof *m->prob);
    if (!m->row || !m->col || !m->prob)
        return CLV_ENOMEM;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key)
            m->row[(m->slots[i].key - 1) / m->S + 1]++;
    for (size_t k = 0; k < SA; k++)
        m->row[k + 1] += m->row[k];
    size_t *fill = calloc(SA, sizeof *fill);
    if (!fill)
        return CLV_ENOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].key)
            continue;
        size_t sa = (m->slots[i].key - 1) / m->S, s2 = (m->slots[i].key - 1) % m->S;
        size_t at = m->row[sa] + fill[sa]++;
        m->col[at] = (uint32_t)s2;
        m->prob[at] = m->slots[i].count / m->n_sa[sa];
    }
    free(fill);
    m->built = 1;
    return CLV_OK;
}

/* one backup of (s, a) against the values v */
static double backup(const clv_mdp_estimate *m, size_t sa, double gamma, const double *v)
{
    double x = m->r_sa[sa] / m->n_sa[sa];
    for (size_t k = m->row[sa]; k < m->row[sa + 1]; k++)
        x += gamma * m->prob[k] * v[m->col[k]];
    return x;
}

/* the start-weighted average of v */
static double start_value(const clv_mdp_estimate *m, const double *v)
{
    double sum = 0, w = 0;
    for (size_t s = 0; s < m->S; s++)
        sum += m->start[s] * v[s], w += m->start[s];
    return w > 0 ? sum / w : 0;
}

/* value iteration (policy == NULL: the optimum) or policy evaluation */
static int iterate(clv_mdp_estimate *m, const int *policy, double gamma, double tol, int max_iter, double *q,
                   double *value, clv_error *err)
{
    if (build(m) != CLV_OK)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    double *v = calloc(m->S, sizeof *v), *nv = malloc(m->S * sizeof *nv);
    if (!v || !nv) {
        free(v), free(nv);
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    int st = CLV_ENUMERIC;
    for (int it = 0; it < max_iter; it++) {
        double change = 0;
        for (size_t s = 0; s < m->S; s++) {
            double best = -INFINITY;
            if (policy) {
                size_t sa = s * m->A + (size_t)(policy[s] >= 0 ? policy[s] : 0);
                best = policy[s] >= 0 ? backup(m, sa, gamma, v) : 0;
            } else {
                for (size_t a = 0; a < m->A; a++) {
                    size_t sa = s * m->A + a;
                    double x = m->n_sa[sa] > 0 ? backup(m, sa, gamma, v) : -INFINITY;
                    if (q)
                        q[sa] = x;
                    best = x > best ? x : best;
                }
                if (best == -INFINITY)
                    best = 0; /* a state never left: no value beyond it */
            }
            nv[s] = best;
            change = fmax(change, fabs(best - v[s]));
        }
        memcpy(v, nv, m->S * sizeof *v);
        if (change < tol) {
            st = CLV_OK;
            break;
        }
    }
    *value = start_value(m, v);
    free(v), free(nv);
    if (st != CLV_OK)
        return clv_error_set(err, st, NULL, 0, "oracle", "value iteration did not converge to %g in %d sweeps", tol,
                             max_iter);
    return CLV_OK;
}

int clv_mdp_solve(clv_mdp_estimate *m, double gamma, double tol, int max_iter, double *q, double *value,
                  clv_error *err)
{
    return iterate(m, NULL, gamma, tol, max_iter, q, value, err);
}

int clv_mdp_evaluate(clv_mdp_estimate *m, const clv_qtable *t, double gamma, double tol, int max_iter,
                     double *value, clv_error *err)
{
    int *policy = malloc(m->S * sizeof *policy);
    if (!policy)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    /* the table's greedy action among the actions the estimate has seen */
    for (size_t s = 0; s < m->S; s++) {
        int best = -1;
        for (size_t a = 0; a < m->A; a++)
            if (m->n_sa[s * m->A + a] > 0 && (best < 0 || t->q[s * t->n_actions + a] > t->q[s * t->n_actions + (size_t)best]))
                best = (int)a;
        policy[s] = best;
    }
    int st = iterate(m, policy, gamma, tol, max_iter, NULL, value, err);
    free(policy);
    return st;
}

int clv_oracle_estimate(const clv_scenario *scn0, const clv_state_map *map, int episodes, int threads,
                        const clv_progress *progress, clv_mdp_estimate **out, clv_error *err)
{
    *out = NULL;
    clv_scenario scn;
    clv_sim *s = NULL;
    int st = clv_stream_space_check(CLV_SPACE_ORACLE, episodes > 0 ? (uint64_t)episodes : 0, "agent.episodes", err);
    if (st != CLV_OK || (st = clv__agent_env(scn0, threads, progress, &scn, &s, err)) != CLV_OK)
        return st;
    const size_t cap = clv_sim_capacity(s), P = (size_t)scn.interventions.n_prices;
    const size_t A = clv_agent_n_actions(&scn.interventions);
    clv_mdp_estimate *m = clv_mdp_estimate_alloc(map->n_states, A, err);
    clv_sim_obs *obs = malloc(cap * sizeof *obs);
    clv_action *act = malloc(cap * sizeof *act);
    double *margin = malloc(cap * sizeof *margin);
    size_t *ps = malloc(cap * sizeof *ps), *cur = malloc(cap * sizeof *cur);
    double *phi = malloc(cap * sizeof *phi);
    int *pa = malloc(cap * sizeof *pa);
    uint8_t *first = malloc(cap);
    clv_btyd_value ltv;
    clv_btyd_value_init(&ltv, &scn);
    if (!m || !obs || !act || !margin || !ps || !cur || !phi || !pa || !first)
        st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    for (int e = 0; e < episodes && st == CLV_OK; e++) {
        /* worlds after the training ones, random actions from their own stream */
        const uint64_t rep = clv_world_oracle((uint64_t)e);
        clv_rng rng;
        clv_rng_seed(&rng, (clv_stream_key){(uint64_t)scn.scenario.seed, CLV_STREAM_EXPLORATION, rep, 0});
        if ((st = clv_sim_reset(s, (uint64_t)scn.scenario.seed, rep, err)) != CLV_OK)
            break;
        size_t have_prev = 0;
        for (;;) {
            const size_t n = clv_sim_customers(s);
            const int last = clv_sim_done(s);
            if ((st = clv__agent_see(s, &ltv, map, map->n_ltv > 1, threads, obs, phi, cur, err)) != CLV_OK)
                break;
            for (size_t i = 0; i < n && st == CLV_OK; i++) {
                const size_t si = cur[i];
                if (i < have_prev &&
                    clv_mdp_estimate_add(m, ps[i], pa[i], margin[i], si, first[i]) != CLV_OK)
                    st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
                first[i] = i >= have_prev ? clv_sim_epoch(s) == 0 : 0;
                const int a = (int)(clv_rng_next(&rng) % A);
                ps[i] = si;
                act[i] = (clv_action){(uint8_t)((size_t)a / P), (uint8_t)((size_t)a % P)};
            }
            if (last || st != CLV_OK)
                break;
            if ((st = clv_sim_step(s, act, margin, err)) != CLV_OK)
                break;
            if (clv_progress_poll(progress) != CLV_OK) {
                st = clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "cancelled");
                break;
            }
            /* the transition is the action executed: a coupon the budget
             * refused is no coupon at the price that was set */
            for (size_t i = 0; i < n; i++)
                pa[i] = clv__agent_executed(s, i, act[i], P);
            have_prev = n;
        }
        if (st == CLV_OK && clv_progress_report(progress, "estimating the oracle", e + 1, episodes) != CLV_OK)
            st = clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "cancelled");
    }
    free(obs), free(act), free(margin), free(ps), free(cur), free(phi), free(pa), free(first);
    clv_sim_free(s);
    if (st != CLV_OK) {
        clv_mdp_estimate_free(m);
        return st;
    }
    *out = m;
    return CLV_OK;
}

int clv_mdp_table(clv_mdp_estimate *m, int myopic, double gamma, double tol, int max_iter, clv_qtable **out,
                  clv_error *err)
{
    *out = NULL;
    clv_qtable *t = clv_qtable_alloc(m->S, m->A, 0, err);
    if (!t)
        return CLV_ENOMEM;
    int st = CLV_OK;
    double value;
    if (!myopic)
        st = clv_mdp_solve(m, gamma, tol, max_iter, t->q, &value, err);
    for (size_t sa = 0; st == CLV_OK && sa < m->S * m->A; sa++) {
        const double n = m->n_sa[sa];
        t->visits[sa] = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
        if (myopic && n > 0) {
            /* Q is the mean reward: its target statistics are the rewards' */
            double *x = t->stats + sa * CLV_QSTATS;
            t->q[sa] = m->r_sa[sa] / n;
            x[CLV_QSTAT_SUM] = m->r_sa[sa];
            x[CLV_QSTAT_SUMSQ] = m->r2_sa[sa];
            x[CLV_QSTAT_WSQ] = 1 / n;
        }
        else if (n == 0)
            t->q[sa] = 0; /* unvisited: value iteration's -inf, never chosen */
    }
    if (st != CLV_OK) {
        clv_qtable_free(t);
        return st;
    }
    *out = t;
    return CLV_OK;
}
