/* clairvoyant.c - the clairvoyant yardstick: per customer, the action of highest expected net margin to the horizon's end in the true simulator, from its latent state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_heapsort.h>

#include "agent_internal.h"
#include "clvsim/parallel.h"
#include "clvsim/policy.h"

/* The method (clvsim/policy.h): at each epoch, for luck draw k = 0..K-1
 * and every action a, two rollouts start from the true state with its
 * future luck drawn anew with key k: the true state is copied into a state
 * of the budget-free world (clv_sim_copy) and relucked once per k
 * (clv_sim_reluck), and every rollout of that k starts from it (common
 * random numbers).  One applies a to every existing customer for this
 * epoch and no campaign after it; for the constant policies of the
 * comparison (blanket-K, price-K) the other holds a to the horizon's end;
 * each gives every customer's margins to the end into its row of value.  A
 * customer's action is the first action of its best row: rollout with base
 * policies no campaign and the constant policies.  Customers never interact
 * without a budget, so each is rolled out on its own, its record at hand
 * through all its epochs (clv_sim_rollout: what clv_sim_copy and
 * clv_sim_step to the end give it).  The rollouts of one row run on one
 * worker, k in order: the values do not depend on the thread count. */

typedef struct gain {
    double g;       /* estimated gain of the chosen action over no campaign (mean over the lucks) */
    uint32_t i;
} gain;

typedef struct clairvoyant {
    char name[CLV_NAME_MAX + 16];
    int lucks, workers;
    size_t n_actions, n_prices;
    size_t n_rows;              /* the rows rolled out (row_used) */
    uint16_t row[2 * (CLV_MAX_COUPONS + 1) * CLV_MAX_PRICES]; /* ... in the order the workers take them: the coupon rows held to
                                   the end first (they wake every customer every epoch), so that no
                                   long row is left to run alone at the end */
    int list, budget;           /* the list price's index; whether the real world has a budget */
    clv_world *world;           /* the scenario's world with the budgets lifted */
    clv_sim_rollout_ws **ws;    /* per worker: its rollouts' workspace (clv_sim_rollout) */
    clv_sim **luck;             /* per luck draw k: the true state copied and relucked with key k, which
                                   every row's rollout of k starts from (one reluck per draw, not per row) */
    size_t cap;                 /* customers the buffers hold (the world's capacity) */
    float *value;               /* rows u = 2a (action a, then none) and 2a + 1 (a held to the end), per luck k:
                                   value[(u K + k) cap + i], customer i's margins to the horizon's end */
    double *total;              /* per row: the margins of all customers, summed over the lucks */
    gain *rank;                 /* per customer: its gain, sorted into the budget order */
    clv_error *err;             /* per worker */
    /* the call being served */
    const clv_sim *s;           /* the true state */
    size_t n;
} clairvoyant;

/* whether row u is rolled out: every action then none (u even), and held
 * to the end (u odd) the constant policies of the comparison, a coupon at
 * list price (blanket-K) or a price level other than list without one
 * (price-K, price-up, price-down) */
static int row_used(const clairvoyant *p, size_t u)
{
    const size_t a = u / 2, coupon = a / p->n_prices, price = a % p->n_prices;
    if (u % 2 == 0)
        return 1;
    return coupon > 0 ? price == (size_t)p->list : price != (size_t)p->list;
}

/* the rollouts of unit u on worker w: action a = u / 2 at this epoch,
 * then no campaign (u even) or a held to the horizon's end (u odd, the
 * rows row_used keeps), one per luck draw k, customer by customer
 * (clv_sim_rollout) */
static int rollout_unit(size_t q, int w, void *ctx)
{
    clairvoyant *p = ctx;
    const size_t u = p->row[q], a = u / 2;
    const clv_action x = {(uint8_t)(a / p->n_prices), (uint8_t)(a % p->n_prices)};
    for (int k = 0; k < p->lucks; k++) {
        const int st = clv_sim_rollout(p->ws[w], p->luck[k], x, (int)(u % 2), p->n,
                                       p->value + (u * (size_t)p->lucks + (size_t)k) * p->cap,
                                       clv_sim_progress(p->s), &p->err[w]);
        if (st == CLV_ECANCELLED)
            return clv_error_set(&p->err[w], st, NULL, 0, NULL, "%s: cancelled", p->name);
        if (st != CLV_OK)
            return st;
    }
    return CLV_OK;
}

/* luck draw k: the true state copied into the rollouts' world and relucked with key k */
static int luck_unit(size_t k, int w, void *ctx)
{
    clairvoyant *p = ctx;
    clv_error *err = &p->err[w];
    const int st = clv_sim_copy(p->luck[k], p->s, err);
    return st == CLV_OK ? clv_sim_reluck(p->luck[k], (uint64_t)k, err) : st;
}

static void unprepare(clairvoyant *p);

/* the buffers, workspaces and luck states, made at the first call (sized to the world's capacity) */
static int prepare(clairvoyant *p, clv_error *err)
{
    if (p->ws)
        return CLV_OK;
    clv_sim_opts o;
    clv_sim_opts_default(&o);
    o.threads = 1;
    p->cap = clv_world_capacity(p->world);
    p->ws = calloc((size_t)p->workers, sizeof *p->ws);
    p->err = calloc((size_t)p->workers, sizeof *p->err);
    p->luck = calloc((size_t)p->lucks, sizeof *p->luck);
    p->value = malloc(2 * p->n_actions * (size_t)p->lucks * p->cap * sizeof *p->value);
    p->total = malloc(2 * p->n_actions * sizeof *p->total);
    p->rank = malloc(p->cap * sizeof *p->rank);
    int st = p->ws && p->err && p->luck && p->value && p->total && p->rank
                 ? CLV_OK
                 : clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory for the clairvoyant's rollouts");
    for (int w = 0; st == CLV_OK && w < p->workers; w++)
        if (!(p->ws[w] = clv_sim_rollout_ws_alloc(p->world, err)))
            st = CLV_ENOMEM;
    for (int k = 0; st == CLV_OK && k < p->lucks; k++)
        st = clv_sim_alloc_in(p->world, &o, &p->luck[k], err);
    if (st != CLV_OK)
        unprepare(p); /* nothing half made: the next call tries again */
    return st;
}

/* The actions from the rollouts' values.  The base is the best constant
 * action (the row "a held to the end" of the largest total over all
 * customers, no campaign on ties); a customer deviates from it to the
 * action of another row only when that row's mean advantage over the
 * base, paired by luck, exceeds two standard errors, and then to the
 * largest such advantage: per customer many noisy estimates of small
 * differences would otherwise lose to the base by the winner's curse.  */
static void decide(clairvoyant *p, clv_action *act)
{
    const size_t K = (size_t)p->lucks, n = p->n, rows = 2 * p->n_actions, none = 2 * (size_t)p->list;
    size_t base = none;
    for (size_t u = 0; u < rows; u++) {
        p->total[u] = 0;
        for (size_t k = 0; row_used(p, u) && k < K; k++)
            for (size_t i = 0; i < n; i++)
                p->total[u] += p->value[(u * K + k) * p->cap + i];
    }
    for (size_t u = 1; u < rows; u += 2)
        if (row_used(p, u) && p->total[u] > p->total[base])
            base = u;
    for (size_t i = 0; i < n; i++) {
        size_t best = base;
        double best_gain = 0, v_none = 0, v_best = 0;
        for (size_t u = 0; u < rows; u++) {
            if (!row_used(p, u) || u == base)
                continue;
            double s = 0, ss = 0;
            for (size_t k = 0; k < K; k++) {
                const double d = (double)p->value[(u * K + k) * p->cap + i] - p->value[(base * K + k) * p->cap + i];
                s += d, ss += d * d;
            }
            const double mean = s / (double)K, var = (ss - s * mean) / (double)(K - 1);
            if (mean > best_gain && mean * mean * (double)K > 4 * (var > 0 ? var : 0))
                best_gain = mean, best = u;
        }
        for (size_t k = 0; k < K; k++) {
            v_none += p->value[(none * K + k) * p->cap + i];
            v_best += p->value[(best * K + k) * p->cap + i];
        }
        p->rank[i] = (gain){(v_best - v_none) / (double)K, (uint32_t)i};
        act[i] = (clv_action){(uint8_t)(best / 2 / p->n_prices), (uint8_t)(best / 2 % p->n_prices)};
    }
}

static int act_clairvoyant(void *ctx, const clv_sim *s, const clv_sim_obs *obs, size_t n, clv_action *act,
                           clv_error *err)
{
    (void)obs; /* it sees the state itself */
    clairvoyant *p = ctx;
    int st = prepare(p, err);
    if (st != CLV_OK)
        return st;
    if (n > p->cap || n != clv_sim_customers(s))
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "policy", "%s: asked for %zu of the state's %zu customers",
                             p->name, n, clv_sim_customers(s));
    p->s = s, p->n = n;
    for (int w = 0; w < p->workers; w++)
        memset(&p->err[w], 0, sizeof p->err[w]);
    st = clv_parallel_for(p->workers, (size_t)p->lucks, luck_unit, p);
    if (st == CLV_OK)
        st = clv_parallel_for(p->workers, p->n_rows, rollout_unit, p);
    if (st != CLV_OK) {
        for (int w = 0; w < p->workers; w++)
            if (p->err[w].code != CLV_OK) {
                *err = p->err[w];
                return st;
            }
        return clv_error_set(err, st, NULL, 0, NULL, "%s: the rollouts failed", p->name);
    }
    decide(p, act);
    return CLV_OK;
}

/* decreasing gain, then increasing index: a total order, so the sort's
 * result is fixed (GSL's heapsort: in place, no allocation, unlike qsort) */
static int by_gain(const void *x, const void *y)
{
    const gain *a = x, *b = y;
    if (a->g != b->g)
        return a->g > b->g ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

/* the real budget is claimed by decreasing estimated gain over no campaign */
static int order_clairvoyant(void *ctx, const clv_sim *s, const clv_action *act, size_t n, uint32_t *order,
                             clv_error *err)
{
    (void)s, (void)act;
    clairvoyant *p = ctx;
    if (n != p->n)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "%s: order asked for %zu customers, acted for %zu",
                             p->name, n, p->n);
    if (p->budget)
        gsl_heapsort(p->rank, n, sizeof *p->rank, by_gain);
    for (size_t q = 0; q < n; q++)
        order[q] = p->budget ? p->rank[q].i : (uint32_t)q;
    return CLV_OK;
}

/* free the workspaces, luck states and buffers (prepare makes them again) */
static void unprepare(clairvoyant *p)
{
    for (int w = 0; p->ws && w < p->workers; w++)
        clv_sim_rollout_ws_free(p->ws[w]);
    for (int k = 0; p->luck && k < p->lucks; k++)
        clv_sim_free(p->luck[k]);
    free(p->ws), free(p->err), free(p->luck);
    free(p->value), free(p->total), free(p->rank);
    p->ws = NULL, p->err = NULL, p->luck = NULL;
    p->value = NULL, p->total = NULL, p->rank = NULL;
}

static void release_clairvoyant(void *ctx)
{
    clairvoyant *p = ctx;
    if (!p)
        return;
    unprepare(p);
    clv_world_free(p->world);
    free(p);
}

static int make_clairvoyant(const clv_scenario *scn, const clv_policy_args *args, clv_policy *out, clv_error *err)
{
    memset(out, 0, sizeof *out);
    clairvoyant *p = calloc(1, sizeof *p);
    if (!p)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    snprintf(p->name, sizeof p->name, "%s", args->name);
    p->lucks = scn->evaluation.clairvoyant_lucks;
    p->workers = clv_threads_resolve(args->threads);
    p->n_prices = (size_t)scn->interventions.n_prices;
    p->n_actions = clv_agent_n_actions(&scn->interventions);
    p->list = clv_scn_list_price(scn);
    p->budget = scn->interventions.budget_per_epoch >= 0 || scn->interventions.budget_total >= 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t u = 0; u < 2 * p->n_actions; u++) {
            const int long_row = u % 2 == 1 && u / 2 / p->n_prices > 0;
            if (row_used(p, u) && long_row == (pass == 0))
                p->row[p->n_rows++] = (uint16_t)u;
        }
    /* the rollouts' world: the scenario with its budgets lifted, so that a
     * coupon's value is not hidden by a refusal */
    int st = p->lucks >= 2 ? clv__world_budget_free(scn, &p->world, err)
                           : clv_error_set(err, CLV_EINPUT, NULL, 0, "evaluation.clairvoyant.lucks",
                                           "expected at least 2 luck draws (for the standard errors), got %d",
                                           p->lucks);
    if (st != CLV_OK) {
        release_clairvoyant(p);
        return st;
    }
    out->name = p->name;
    out->act = act_clairvoyant;
    out->order = order_clairvoyant;
    out->ctx = p;
    out->release = release_clairvoyant;
    return CLV_OK;
}

const clv_policy_type clv__policy_clairvoyant = {
    "clairvoyant", "a yardstick that sees the latent state: per customer the action of highest expected net margin "
    "to the horizon's end, by rollouts in the true simulator", CLV_POLICY_CLAIRVOYANT, CLV_PK_BOUND, CLV_PER_NONE,
    NULL, -1, -1, make_clairvoyant, 0};
