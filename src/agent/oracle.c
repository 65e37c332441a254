/* oracle.c - the model-based oracle and the greedy table: the discretised MDP estimated from simulation, solved by backward induction over the horizon. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clvsim/agent.h"
#include "agent_internal.h"
#include "clvsim/btyd.h"
#include "clvsim/parallel.h"
#include "clvsim/streams.h"

/* transitions in an open-addressing hash table keyed by (s, a, s') */
typedef struct {
    uint64_t key;       /* (s * A + a) * S + s' + 1; 0: empty */
    double count, rsum; /* transitions and the sum of their rewards */
} slot;

struct clv_mdp_estimate {
    size_t S, A;
    int epochs;             /* the horizon of the episodes it was estimated from (0: unknown) */
    slot *slots;
    size_t cap, used;
    double *n_sa, *r_sa, *r2_sa; /* visits, reward sums and sums of squares per (s, a) */
    double *start;          /* starts per state */
    /* the compressed model, built on demand: per (s, a) a range of (s', count, reward sum) */
    size_t *row;            /* S*A + 1 offsets */
    uint32_t *col;
    double *cnt, *rs;
    int built;
};

clv_mdp_estimate *clv_mdp_estimate_alloc(size_t n_states, size_t n_actions, clv_error *err)
{
    clv_mdp_estimate *m = calloc(1, sizeof *m);
    const size_t K = n_states * n_actions;
    if (m) {
        m->S = n_states, m->A = n_actions;
        m->cap = 1 << 16;
        m->slots = calloc(m->cap, sizeof *m->slots);
        m->n_sa = calloc(K, sizeof *m->n_sa);
        m->r_sa = calloc(K, sizeof *m->r_sa);
        m->r2_sa = calloc(K, sizeof *m->r2_sa);
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
    free(m->slots), free(m->n_sa), free(m->r_sa), free(m->r2_sa), free(m->start), free(m->row), free(m->col);
    free(m->cnt), free(m->rs);
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
    const size_t k = s * m->A + (size_t)a;
    uint64_t key = (uint64_t)k * m->S + s2 + 1;
    size_t h = hash(key, m->cap);
    while (m->slots[h].key && m->slots[h].key != key)
        h = (h + 1) & (m->cap - 1);
    if (!m->slots[h].key) {
        m->slots[h].key = key;
        m->used++;
    }
    m->slots[h].count += 1;
    m->slots[h].rsum += reward;
    m->n_sa[k] += 1;
    m->r_sa[k] += reward;
    m->r2_sa[k] += reward * reward;
    if (start)
        m->start[s] += 1;
    m->built = 0;
    return CLV_OK;
}

size_t clv_mdp_estimate_transitions(const clv_mdp_estimate *m) { return m->used; }

int clv_mdp_estimate_epochs(const clv_mdp_estimate *m) { return m->epochs; }

/* the compressed rows of the model, from the hash table */
static int build(clv_mdp_estimate *m)
{
    if (m->built)
        return CLV_OK;
    const size_t K = m->S * m->A;
    free(m->row), free(m->col), free(m->cnt), free(m->rs);
    m->row = calloc(K + 1, sizeof *m->row);
    m->col = malloc((m->used ? m->used : 1) * sizeof *m->col);
    m->cnt = malloc((m->used ? m->used : 1) * sizeof *m->cnt);
    m->rs = malloc((m->used ? m->used : 1) * sizeof *m->rs);
    size_t *fill = calloc(K, sizeof *fill);
    if (!m->row || !m->col || !m->cnt || !m->rs || !fill) {
        free(fill);
        return CLV_ENOMEM;
    }
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key)
            m->row[(m->slots[i].key - 1) / m->S + 1]++;
    for (size_t k = 0; k < K; k++)
        m->row[k + 1] += m->row[k];
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].key)
            continue;
        size_t k = (m->slots[i].key - 1) / m->S, s2 = (m->slots[i].key - 1) % m->S;
        size_t at = m->row[k] + fill[k]++;
        m->col[at] = (uint32_t)s2;
        m->cnt[at] = m->slots[i].count;
        m->rs[at] = m->slots[i].rsum;
    }
    free(fill);
    m->built = 1;
    return CLV_OK;
}

/* Q of (s, a) against the next values v (NULL: 0), as the mean of
 * the targets y = r + v(s') of its n transitions, with their statistics
 * (x, CLV_QSTATS doubles; may be NULL): sum y = sum r + sum_s' count v(s'),
 * sum y^2 = sum r^2 + 2 sum_s' rsum(s') v(s') + sum_s' count v(s')^2, and
 * the squared weights 1/n^2 of a mean, n of them: 1/n */
static double targets(const clv_mdp_estimate *m, size_t sa, const double *v, double *x)
{
    const double n = m->n_sa[sa];
    double sy = m->r_sa[sa], syy = m->r2_sa[sa];
    for (size_t j = m->row[sa]; v && j < m->row[sa + 1]; j++) {
        const double c = m->cnt[j], w = v[m->col[j]];
        sy += c * w;
        syy += 2 * m->rs[j] * w + c * w * w;
    }
    if (x) {
        x[CLV_QSTAT_SUM] = sy;
        x[CLV_QSTAT_SUMSQ] = syy;
        x[CLV_QSTAT_WSQ] = 1 / n;
    }
    return sy / n;
}

/* the start-weighted average of v */
static double start_value(const clv_mdp_estimate *m, const double *v)
{
    double sum = 0, w = 0;
    for (size_t s = 0; s < m->S; s++)
        sum += m->start[s] * v[s], w += m->start[s];
    return w > 0 ? sum / w : 0;
}

/* Fill table t with Q and the target statistics of every (s, a) against
 * next values v (NULL: 0); unvisited pairs Q 0, no visits, no statistics. */
static void fill_table(const clv_mdp_estimate *m, const double *v, clv_qtable *t)
{
    for (size_t sa = 0; sa < m->S * m->A; sa++) {
        const double n = m->n_sa[sa];
        double *x = t->stats + sa * CLV_QSTATS;
        t->visits[sa] = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
        if (n > 0) {
            t->q[sa] = targets(m, sa, v, x);
        } else {
            t->q[sa] = 0;
            x[CLV_QSTAT_SUM] = x[CLV_QSTAT_SUMSQ] = x[CLV_QSTAT_WSQ] = 0;
        }
    }
}

/* The action a policy takes in state s of table t: `fixed`'s greedy action
 * among t's visited ones (-1 when none) when fixed is non-NULL, else the
 * confidence rule's (clv_agent_confident; confidence 0 is the best visited
 * action). */
static int choose(const clv_qtable *t, const clv_qtable *fixed, size_t s, int base, double confidence)
{
    const size_t A = t->n_actions;
    if (!fixed)
        return clv_agent_confident(t, s, base, confidence);
    int best = -1;
    for (size_t a = 0; a < A; a++)
        if (t->visits[s * A + a] &&
            (best < 0 || fixed->q[s * fixed->n_actions + a] > fixed->q[s * fixed->n_actions + (size_t)best]))
            best = (int)a;
    return best;
}

/* Backward induction over `horizon` epochs, undiscounted as the evaluation's
 * net margin is: V_horizon = 0, Q_t(s,a) = mean of r + V_{t+1}(s') over the
 * transitions of (s, a), V_t(s) = Q_t(s, pi_t(s)) with pi_t the rule of
 * `choose` (0 for a state whose chosen action was never seen).  tables
 * (may be NULL): horizon tables allocated here, tables[t] the epoch t's.
 * q (may be NULL): Q_0, unvisited pairs -inf.  value: the start-weighted V_0. */
static int induct(clv_mdp_estimate *m, int horizon, const clv_qtable *fixed, int base, double confidence,
                  clv_qtable **tables, double *q, double *value, clv_error *err)
{
    if (horizon < 1)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "oracle", "expected a horizon of at least 1 epoch, got %d",
                             horizon);
    if (build(m) != CLV_OK)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    double *v = calloc(m->S, sizeof *v), *nv = malloc(m->S * sizeof *nv);
    clv_qtable *scratch = tables ? NULL : clv_qtable_alloc(m->S, m->A, 0, err);
    if (!v || !nv || (!tables && !scratch)) {
        free(v), free(nv), clv_qtable_free(scratch);
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    int st = CLV_OK;
    for (int t = horizon - 1; t >= 0 && st == CLV_OK; t--) {
        clv_qtable *tab = scratch;
        if (tables && !(tab = tables[t] = clv_qtable_alloc(m->S, m->A, 0, err))) {
            st = CLV_ENOMEM;
            break;
        }
        fill_table(m, t == horizon - 1 ? NULL : v, tab);
        for (size_t s = 0; s < m->S; s++) {
            const int a = choose(tab, fixed, s, base, confidence);
            nv[s] = a >= 0 && tab->visits[s * m->A + (size_t)a] ? tab->q[s * m->A + (size_t)a] : 0;
        }
        if (t == 0 && q)
            for (size_t sa = 0; sa < m->S * m->A; sa++)
                q[sa] = tab->visits[sa] ? tab->q[sa] : -INFINITY;
        double *w = v;
        v = nv, nv = w;
    }
    if (st == CLV_OK)
        *value = start_value(m, v);
    else
        for (int t = 0; t < horizon; t++)
            clv_qtable_free(tables[t]), tables[t] = NULL;
    free(v), free(nv), clv_qtable_free(scratch);
    return st;
}

int clv_mdp_solve(clv_mdp_estimate *m, int horizon, double *q, double *value, clv_error *err)
{
    return induct(m, horizon, NULL, 0, 0, NULL, q, value, err);
}

int clv_mdp_evaluate(clv_mdp_estimate *m, const clv_qtable *t, int horizon, double *value, clv_error *err)
{
    return induct(m, horizon, t, 0, 0, NULL, NULL, value, err);
}

int clv_mdp_plan(clv_mdp_estimate *m, int horizon, int base, double confidence, clv_qtable **tables,
                 clv_error *err)
{
    for (int t = 0; t < horizon; t++)
        tables[t] = NULL;
    if (base < 0 || (size_t)base >= m->A)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "oracle", "expected a base action in 0..%zu, got %d",
                             m->A - 1, base);
    double value;
    return induct(m, horizon, NULL, base, confidence, tables, NULL, &value, err);
}

int clv_mdp_greedy(clv_mdp_estimate *m, int lookahead, int base, clv_qtable **out, clv_error *err)
{
    *out = NULL;
    if (lookahead < 1)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "greedy", "expected a lookahead of at least 1 epoch, got %d",
                             lookahead);
    if (base < 0 || (size_t)base >= m->A)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "greedy", "expected a base action in 0..%zu, got %d",
                             m->A - 1, base);
    if (build(m) != CLV_OK)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    clv_qtable *t = clv_qtable_alloc(m->S, m->A, 0, err);
    double *w = calloc(m->S, sizeof *w), *nw = malloc(m->S * sizeof *nw);
    if (!t || !w || !nw) {
        clv_qtable_free(t), free(w), free(nw);
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    /* W_k: the value of k epochs of no campaign (base in every state; 0
     * where base was never seen), W_0 = 0 */
    for (int k = 1; k < lookahead; k++) {
        for (size_t s = 0; s < m->S; s++) {
            const size_t sa = s * m->A + (size_t)base;
            nw[s] = m->n_sa[sa] > 0 ? targets(m, sa, w, NULL) : 0;
        }
        double *x = w;
        w = nw, nw = x;
    }
    /* Q(s, a): the epoch's reward and the L - 1 epochs of no campaign after it */
    fill_table(m, lookahead > 1 ? w : NULL, t);
    free(w), free(nw);
    *out = t;
    return CLV_OK;
}

int clv_mdp_lookahead(const clv_scenario *scn)
{
    int days = 0;
    for (int c = 0; c < scn->interventions.n_coupons; c++)
        days = scn->interventions.coupons[c].validity_days > days ? scn->interventions.coupons[c].validity_days : days;
    const int e = scn->calendar.epoch_days, L = e > 0 ? (days + e - 1) / e : 1;
    return L > 1 ? L : 1;
}

/* clv_oracle_estimate: the episodes run in batches, one episode per unit
 * on its own environment (simulator, observations, LTV source: one per
 * worker); each episode's transitions go to its own list, and the lists
 * enter the estimate in episode order, so that the estimate (its hash
 * table and its floating sums) is that of a serial run whatever the
 * number of workers. */
typedef struct {
    size_t s, s2;
    double r;
    int a, first;
} oracle_tr;

typedef struct {
    clv_sim *s;
    clv__see see;
    clv_sim_obs *obs;
    clv_action *act;
    double *margin, *phi, *pbuy;
    size_t *ps, *cur;
    int *pa;
    uint8_t *first;
} oracle_env;

typedef struct {
    oracle_tr *tr;
    size_t n, cap;
    clv_error err;
} oracle_list;

typedef struct {
    const clv_scenario *scn;
    const clv_state_map *map;
    const clv_progress *progress;
    oracle_env *env;   /* per worker */
    oracle_list *list; /* per unit of the batch */
    int e0;
    size_t A, P;
} oracle_job;

static int oracle_push(oracle_list *l, size_t s, int a, double r, size_t s2, int first)
{
    if (l->n == l->cap) {
        const size_t cap = l->cap ? 2 * l->cap : 4096;
        oracle_tr *tr = realloc(l->tr, cap * sizeof *tr);
        if (!tr)
            return CLV_ENOMEM;
        l->tr = tr, l->cap = cap;
    }
    l->tr[l->n++] = (oracle_tr){s, s2, r, a, first};
    return CLV_OK;
}

static int oracle_episode(size_t unit, int worker, void *ctx)
{
    const oracle_job *j = ctx;
    oracle_env *v = &j->env[worker];
    oracle_list *l = &j->list[unit];
    clv_error *err = &l->err;
    clv_sim *s = v->s;
    const clv_state_map *map = j->map;
    const size_t A = j->A, P = j->P;
    l->n = 0;
    l->err.code = CLV_OK;
    /* worlds after the training ones, random actions from their own stream */
    const uint64_t rep = clv_world_oracle((uint64_t)j->e0 + unit);
    clv_rng rng;
    clv_rng_seed(&rng, (clv_stream_key){(uint64_t)j->scn->scenario.seed, CLV_STREAM_EXPLORATION, rep, 0});
    int st = clv_sim_reset(s, (uint64_t)j->scn->scenario.seed, rep, err);
    size_t have_prev = 0;
    while (st == CLV_OK) {
        const size_t n = clv_sim_customers(s);
        const int last = clv_sim_done(s);
        if ((st = clv__agent_see(s, &v->see, map, map->n_ltv > 1, v->obs, v->phi, v->pbuy, v->cur, err)) != CLV_OK)
            break;
        for (size_t i = 0; i < n && st == CLV_OK; i++) {
            const size_t si = v->cur[i];
            if (i < have_prev && oracle_push(l, v->ps[i], v->pa[i], v->margin[i], si, v->first[i]) != CLV_OK)
                st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
            v->first[i] = i >= have_prev ? clv_sim_epoch(s) == 0 : 0;
            const int a = (int)(clv_rng_next(&rng) % A);
            v->ps[i] = si;
            v->act[i] = (clv_action){(uint8_t)((size_t)a / P), (uint8_t)((size_t)a % P)};
        }
        if (last || st != CLV_OK)
            break;
        if ((st = clv_sim_step(s, v->act, v->margin, err)) != CLV_OK)
            break;
        if (clv_progress_poll(j->progress) != CLV_OK) {
            st = clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "cancelled");
            break;
        }
        /* the transition is the action executed: a coupon the budget
         * refused is no coupon at the price that was set */
        for (size_t i = 0; i < n; i++)
            v->pa[i] = clv__agent_executed(s, i, v->act[i], P);
        have_prev = n;
    }
    return st;
}

static void oracle_env_free(oracle_env *v)
{
    free(v->obs), free(v->act), free(v->margin), free(v->ps), free(v->cur), free(v->phi), free(v->pbuy), free(v->pa),
        free(v->first);
    clv__see_free(&v->see);
    clv_sim_free(v->s);
}

static int oracle_env_init(oracle_env *v, const clv_scenario *scn0, const clv_ltv_source *ltv,
                           const clv_state_map *map, const clv_progress *progress, clv_scenario *scn, clv_error *err)
{
    memset(v, 0, sizeof *v);
    int st = clv__agent_env(scn0, 1, progress, scn, &v->s, err);
    if (st != CLV_OK)
        return st;
    /* the rewards are the expected margins of the epochs given the state
     * (clv_sim_set_reward): the same means as the realised margins, without
     * the lottery of purchases, so R(s, a) and the targets r + V(s') have
     * far smaller standard errors */
    clv_sim_set_reward(v->s, CLV_SIM_REWARD_EXPECTED, NULL);
    const size_t cap = clv_sim_capacity(v->s);
    v->obs = malloc(cap * sizeof *v->obs);
    v->act = malloc(cap * sizeof *v->act);
    v->margin = malloc(cap * sizeof *v->margin);
    v->ps = malloc(cap * sizeof *v->ps), v->cur = malloc(cap * sizeof *v->cur);
    v->phi = malloc(cap * sizeof *v->phi), v->pbuy = map->n_pbuy > 1 ? malloc(cap * sizeof *v->pbuy) : NULL;
    v->pa = malloc(cap * sizeof *v->pa);
    v->first = malloc(cap);
    if (!v->obs || !v->act || !v->margin || !v->ps || !v->cur || !v->phi || !v->pa || !v->first ||
        (map->n_pbuy > 1 && !v->pbuy))
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    return clv__see_init(&v->see, scn, ltv, 1, err);
}

int clv_oracle_estimate(const clv_scenario *scn0, const clv_ltv_source *ltv, const clv_state_map *map, int episodes,
                        int threads, const clv_progress *progress, clv_mdp_estimate **out, clv_error *err)
{
    *out = NULL;
    int st = clv_stream_space_check(CLV_SPACE_ORACLE, episodes > 0 ? (uint64_t)episodes : 0, "agent.model_episodes", err);
    if (st != CLV_OK)
        return st;
    int W = clv_threads_resolve(threads);
    if (episodes < W)
        W = episodes > 1 ? episodes : 1;
    clv_scenario scn;
    oracle_env *env = calloc((size_t)W, sizeof *env);
    oracle_list *list = calloc((size_t)W, sizeof *list);
    clv_mdp_estimate *m = NULL;
    if (!env || !list)
        st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    int made = 0;
    while (st == CLV_OK && made < W) /* a failed one is freed below with the others */
        st = oracle_env_init(&env[made++], scn0, ltv, map, progress, &scn, err);
    if (st == CLV_OK) {
        m = clv_mdp_estimate_alloc(map->n_states, clv_agent_n_actions(&scn.interventions), err);
        if (!m)
            st = err ? err->code : CLV_ENOMEM;
        else
            m->epochs = clv_sim_epochs(env[0].s);
    }
    oracle_job j = {&scn, map, progress, env, list, 0, clv_agent_n_actions(&scn.interventions),
                    (size_t)scn.interventions.n_prices};
    for (int e0 = 0; e0 < episodes && st == CLV_OK; e0 += W) {
        const int nb = episodes - e0 < W ? episodes - e0 : W;
        j.e0 = e0;
        st = clv_parallel_for(W, (size_t)nb, oracle_episode, &j);
        if (st != CLV_OK) {
            /* the smallest failing episode's error, as a serial run would give */
            for (int u = 0; u < nb; u++)
                if (list[u].err.code != CLV_OK) {
                    if (err)
                        *err = list[u].err;
                    break;
                }
            break;
        }
        for (int u = 0; u < nb && st == CLV_OK; u++) {
            const oracle_list *l = &list[u];
            for (size_t k = 0; k < l->n && st == CLV_OK; k++)
                if (clv_mdp_estimate_add(m, l->tr[k].s, l->tr[k].a, l->tr[k].r, l->tr[k].s2, l->tr[k].first) != CLV_OK)
                    st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
            if (st == CLV_OK &&
                clv_progress_report(progress, "estimating the oracle", e0 + u + 1, episodes) != CLV_OK)
                st = clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "cancelled");
        }
    }
    for (int w = 0; w < made; w++)
        oracle_env_free(&env[w]);
    for (int u = 0; list && u < W; u++)
        free(list[u].tr);
    free(env), free(list);
    if (st != CLV_OK) {
        clv_mdp_estimate_free(m);
        return st;
    }
    *out = m;
    return CLV_OK;
}
