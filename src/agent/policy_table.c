/* policy_table.c - the policy of a Q table or of one table per epoch (learned agents, the oracle, greedy) in the environment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clvsim/agent.h"
#include "agent_internal.h"
#include "clvsim/parallel.h"
#include "clvsim/policy.h"

enum { TABLE_BLOCK = 1024 };

typedef struct table_policy {
    const clv_qtable *const *tables; /* one per epoch, the last for every later epoch */
    size_t n_tables;
    const clv_qtable *one;           /* the single table of clv_policy_table */
    const clv_qtable *t;             /* the table of the epoch being served */
    clv_state_map map;
    clv__see see;               /* the policy's own copy of the LTV source */
    int need_ltv, threads, list, budget;
    double confidence;          /* agent.confidence */
    size_t n_prices;
    char name[CLV_NAME_MAX + 16];
    /* per customer, grown to the environment's capacity on first use */
    size_t cap;
    size_t *state;
    double *value, *pbuy;       /* the LTV source's */
    int *a;
    double *scratch;    /* 2 per customer: the budget order's sort keys */
    /* the call being served */
    const clv_sim_obs *obs;
    clv_action *act;
    size_t n;
    int phase;
} table_policy;

static int table_unit(size_t unit, int worker, void *ctx)
{
    (void)worker;
    table_policy *p = ctx;
    const size_t lo = unit * TABLE_BLOCK, hi = lo + TABLE_BLOCK < p->n ? lo + TABLE_BLOCK : p->n;
    for (size_t i = lo; i < hi; i++) {
        /* the base action, no coupon (coupon 0) at list price, is index list */
        const int a = clv_agent_confident(p->t, p->state[i], p->list, p->confidence);
        p->a[i] = a;
        p->act[i] = (clv_action){(uint8_t)((size_t)a / p->n_prices), (uint8_t)((size_t)a % p->n_prices)};
    }
    return CLV_OK;
}

static int grow(table_policy *p, size_t n, clv_error *err)
{
    if (n <= p->cap)
        return CLV_OK;
    free(p->state), free(p->a), free(p->scratch), free(p->value), free(p->pbuy);
    p->state = malloc(n * sizeof *p->state);
    p->a = malloc(n * sizeof *p->a);
    p->value = malloc(n * sizeof *p->value);
    p->pbuy = p->map.n_pbuy > 1 ? malloc(n * sizeof *p->pbuy) : NULL;
    p->scratch = p->budget ? malloc(2 * n * sizeof *p->scratch) : NULL;
    if (!p->state || !p->a || !p->value || (p->map.n_pbuy > 1 && !p->pbuy) || (p->budget && !p->scratch)) {
        p->cap = 0;
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    p->cap = n;
    return CLV_OK;
}

static int act_table(void *ctx, const clv_sim *s, const clv_sim_obs *obs, size_t n, clv_action *act, clv_error *err)
{
    table_policy *p = ctx;
    int st = grow(p, clv_sim_capacity(s) > n ? clv_sim_capacity(s) : n, err);
    if (st != CLV_OK)
        return st;
    p->obs = obs, p->act = act, p->n = n;
    p->list = clv_sim_list_price(s);
    const size_t e = (size_t)clv_sim_epoch(s);
    p->t = p->tables[e < p->n_tables ? e : p->n_tables - 1];
    p->phase = clv_sim_season_phase(s);
    if ((st = clv__agent_states(&p->see, NULL, n, p->phase, &p->map, p->need_ltv, obs, NULL, p->value, p->pbuy,
                                p->state, err)) != CLV_OK)
        return st;
    st = clv_parallel_for(p->threads, (n + TABLE_BLOCK - 1) / TABLE_BLOCK, table_unit, p);
    return st == CLV_OK ? CLV_OK : clv_error_set(err, st, NULL, 0, NULL, "policy %s failed", p->name);
}

static int order_table(void *ctx, const clv_sim *s, const clv_action *act, size_t n, uint32_t *order,
                       clv_error *err)
{
    (void)act;
    const table_policy *p = ctx;
    return clv__agent_policy_order(p->name, p->n, p->budget, p->t, p->state, p->a, n, p->n_prices, s, p->scratch,
                                   order, err);
}

int clv__agent_policy_order(const char *name, size_t n_acted, int budget, const clv_qtable *t, const size_t *st,
                            const int *a, size_t n, size_t n_prices, const clv_sim *s, double *scratch,
                            uint32_t *order, clv_error *err)
{
    if (n != n_acted)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "policy %s: order asked for %zu customers, acted for %zu",
                             name, n, n_acted);
    if (!budget) {
        for (size_t i = 0; i < n; i++)
            order[i] = (uint32_t)i;
        return CLV_OK;
    }
    clv_agent_budget_order(t, st, a, n, n_prices, s, scratch, order);
    return CLV_OK;
}

static void release_table(void *ctx)
{
    table_policy *p = ctx;
    if (p) {
        free(p->state), free(p->a), free(p->scratch), free(p->value), free(p->pbuy);
        clv__see_free(&p->see);
    }
    free(p);
}

int clv_policy_table_epochs(const clv_scenario *scn, const clv_ltv_source *ltv, const clv_qtable *const *tables,
                            size_t n_tables, const clv_state_map *map, const char *name, int threads, clv_policy *out,
                            clv_error *err)
{
    memset(out, 0, sizeof *out);
    const clv_scn_interventions *iv = &scn->interventions;
    const size_t A = clv_agent_n_actions(iv);
    if (n_tables == 0)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "policy", "policy %s: no table", name);
    for (size_t k = 0; k < n_tables; k++)
        if (tables[k]->n_states != map->n_states || tables[k]->n_actions != A)
            return clv_error_set(err, CLV_EINPUT, NULL, 0, "policy",
                                 "policy %s: the table is %zu states x %zu actions; the scenario's state map and "
                                 "interventions give %zu x %zu",
                                 name, tables[k]->n_states, tables[k]->n_actions, map->n_states, A);
    table_policy *p = calloc(1, sizeof *p);
    if (!p)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    p->tables = tables;
    p->n_tables = n_tables;
    p->t = tables[0];
    p->map = *map;
    int st = clv__see_init(&p->see, scn, ltv, threads, err);
    if (st != CLV_OK) {
        free(p);
        return st;
    }
    p->need_ltv = map->n_ltv > 1;
    p->threads = threads;
    p->confidence = scn->agent.confidence;
    p->n_prices = (size_t)iv->n_prices;
    p->budget = iv->budget_per_epoch >= 0 || iv->budget_total >= 0;
    snprintf(p->name, sizeof p->name, "%s", name);
    out->name = p->name;
    out->act = act_table;
    out->order = order_table;
    out->release = release_table;
    out->ctx = p;
    return CLV_OK;
}

int clv_policy_table(const clv_scenario *scn, const clv_ltv_source *ltv, const clv_qtable *t,
                     const clv_state_map *map, const char *name, int threads, clv_policy *out, clv_error *err)
{
    int st = clv_policy_table_epochs(scn, ltv, &t, 1, map, name, threads, out, err);
    if (st == CLV_OK) {
        /* the array of one is the policy's own */
        table_policy *p = out->ctx;
        p->one = t;
        p->tables = &p->one;
    }
    return st;
}

/* ---- the learned and planned kinds of the policy type table (policy_types.c) ---- */

static int make_table(const clv_scenario *scn, const clv_policy_args *a, clv_policy *out, clv_error *err)
{
    if (!a->table || !a->map)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "policy",
                             "\"%s\" acts on a table: train or plan it first (clv_agent_train, clv_mdp_plan, "
                             "clv_mdp_greedy)", a->name);
    if (a->n_tables > 0)
        return clv_policy_table_epochs(scn, a->ltv, a->tables, (size_t)a->n_tables, a->map, a->name, a->threads, out,
                                       err);
    return clv_policy_table(scn, a->ltv, a->table, a->map, a->name, a->threads, out, err);
}

const clv_policy_type clv__policy_greedy = {"greedy",
                                            "the best estimated reward of the epoch and of what the action causes "
                                            "while a coupon is valid, on the estimated MDP",
                                            CLV_POLICY_GREEDY, CLV_PK_PLANNED, CLV_PER_NONE, NULL, -1, 1, make_table, 0};
const clv_policy_type clv__policy_q = {"q-learning", "tabular Q-learning", CLV_POLICY_Q, CLV_PK_LEARNED, CLV_PER_NONE,
                                       NULL, CLV_ALGO_Q, -1, make_table, 0};
const clv_policy_type clv__policy_sarsa = {"sarsa", "tabular SARSA", CLV_POLICY_SARSA, CLV_PK_LEARNED, CLV_PER_NONE,
                                           NULL, CLV_ALGO_SARSA, -1, make_table, 0};
const clv_policy_type clv__policy_expected_sarsa = {"expected-sarsa", "tabular Expected SARSA",
                                                    CLV_POLICY_EXPECTED_SARSA, CLV_PK_LEARNED, CLV_PER_NONE,
                                                    NULL, CLV_ALGO_EXPECTED_SARSA, -1, make_table, 0};
const clv_policy_type clv__policy_oracle = {"oracle",
                                            "the best action of backward induction over the horizon's epochs on the "
                                            "estimated MDP",
                                            CLV_POLICY_ORACLE, CLV_PK_PLANNED, CLV_PER_NONE, NULL, -1, 0, make_table, 0};
