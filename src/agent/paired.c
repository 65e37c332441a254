/* paired.c - replays of every customer-epoch under every action on copies of the simulator (common random numbers), for the paired targets of training. */
#include <stdlib.h>
#include <string.h>

#include "agent_internal.h"
#include "clvsim/parallel.h"

int clv__world_budget_free(const clv_scenario *scn, clv_world **out, clv_error *err)
{
    *out = NULL;
    clv_scenario *free_scn = malloc(sizeof *free_scn);
    if (!free_scn)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    *free_scn = *scn;
    free_scn->interventions.budget_per_epoch = free_scn->interventions.budget_total = -1;
    const int st = clv_world_alloc(free_scn, NULL, out, err);
    free(free_scn);
    return st;
}

struct clv__paired {
    int workers, lookahead;
    size_t n_actions, n_prices, cap;
    double gamma;
    clv_world *world;   /* the scenario's world with the budgets lifted */
    clv_sim **copy;     /* per worker: the replay's state (expected rewards) */
    double **margin;    /* per worker: a step's margins */
    clv_action **act;   /* per worker: the replay's first actions */
    clv_error *err;     /* per worker */
    double *value;      /* per action a: value[a cap + i], customer i's discounted expected margins */
    /* the call being served */
    const clv_sim *s;
    const clv_progress *progress;
    size_t n;
};

void clv__paired_free(clv__paired *p)
{
    if (!p)
        return;
    for (int w = 0; w < p->workers; w++) {
        if (p->copy)
            clv_sim_free(p->copy[w]);
        if (p->margin)
            free(p->margin[w]);
        if (p->act)
            free(p->act[w]);
    }
    free(p->copy), free(p->margin), free(p->act), free(p->err), free(p->value);
    clv_world_free(p->world);
    free(p);
}

int clv__paired_alloc(const clv_scenario *scn, int threads, double gamma, clv__paired **out, clv_error *err)
{
    *out = NULL;
    clv__paired *p = calloc(1, sizeof *p);
    if (!p)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory for the paired replays");
    p->workers = clv_threads_resolve(threads);
    p->lookahead = clv_mdp_lookahead(scn);
    p->n_actions = clv_agent_n_actions(&scn->interventions);
    p->n_prices = (size_t)scn->interventions.n_prices;
    p->gamma = gamma;
    int st = clv__world_budget_free(scn, &p->world, err);
    if (st == CLV_OK) {
        p->cap = clv_world_capacity(p->world);
        p->copy = calloc((size_t)p->workers, sizeof *p->copy);
        p->margin = calloc((size_t)p->workers, sizeof *p->margin);
        p->act = calloc((size_t)p->workers, sizeof *p->act);
        p->err = calloc((size_t)p->workers, sizeof *p->err);
        p->value = malloc(p->n_actions * p->cap * sizeof *p->value);
        if (!p->copy || !p->margin || !p->act || !p->err || !p->value)
            st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory for the paired replays");
    }
    clv_sim_opts o;
    clv_sim_opts_default(&o);
    o.threads = 1;
    for (int w = 0; st == CLV_OK && w < p->workers; w++) {
        st = clv_sim_alloc_in(p->world, &o, &p->copy[w], err);
        if (st == CLV_OK)
            st = clv_sim_set_reward(p->copy[w], CLV_SIM_REWARD_EXPECTED, err);
        p->margin[w] = malloc(p->cap * sizeof *p->margin[w]);
        p->act[w] = malloc(p->cap * sizeof *p->act[w]);
        if (st == CLV_OK && (!p->margin[w] || !p->act[w]))
            st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory for the paired replays");
    }
    if (st != CLV_OK) {
        clv__paired_free(p);
        return st;
    }
    *out = p;
    return CLV_OK;
}

int clv__paired_lookahead(const clv__paired *p) { return p->lookahead; }

/* the replay of action a on worker w: a copy of the state, a for every
 * existing customer in this epoch, then no campaign for lookahead - 1 more
 * epochs (fewer at the horizon's end) */
static int replay_unit(size_t a, int w, void *ctx)
{
    clv__paired *p = ctx;
    const size_t n = p->n;
    clv_sim *c = p->copy[w];
    clv_error *err = &p->err[w];
    double *m = p->margin[w], *v = p->value + a * p->cap;
    clv_action *act = p->act[w];
    const clv_action x = {(uint8_t)(a / p->n_prices), (uint8_t)(a % p->n_prices)};
    for (size_t i = 0; i < n; i++)
        act[i] = x;
    int st = clv_sim_copy(c, p->s, err);
    double disc = 1;
    for (int k = 0; st == CLV_OK && k < p->lookahead && !clv_sim_done(c); k++, disc *= p->gamma) {
        if (clv_progress_poll(p->progress) != CLV_OK)
            return clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "training cancelled");
        st = clv_sim_step(c, k == 0 ? act : NULL, m, err);
        for (size_t i = 0; st == CLV_OK && i < n; i++)
            v[i] = k == 0 ? m[i] : v[i] + disc * m[i];
    }
    return st;
}

int clv__paired_replay(clv__paired *p, const clv_sim *s, const clv_progress *progress, clv_error *err)
{
    p->s = s, p->n = clv_sim_customers(s), p->progress = progress;
    if (p->n > p->cap)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "paired replays: %zu customers, room for %zu", p->n,
                             p->cap);
    for (int w = 0; w < p->workers; w++)
        memset(&p->err[w], 0, sizeof p->err[w]);
    const int st = clv_parallel_for(p->workers, p->n_actions, replay_unit, p);
    if (st == CLV_OK)
        return CLV_OK;
    /* the error of the smallest failing action's worker (the one a serial run meets first is not known) */
    for (int w = 0; w < p->workers; w++)
        if (p->err[w].code != CLV_OK) {
            *err = p->err[w];
            return st;
        }
    return clv_error_set(err, st, NULL, 0, NULL, "the paired replays failed");
}

const double *clv__paired_value(const clv__paired *p, size_t a) { return p->value + a * p->cap; }
