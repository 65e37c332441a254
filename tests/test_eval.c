/* test_eval.c - the evaluation of policies on common random numbers, its
 * statistics, and the policies built from tables and models. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clvsim/agent.h"
#include "clvsim/btyd.h"
#include "clvsim/evaluate.h"
#include "clvsim/policy.h"
#include "harness.h"

/* the holiday scenario at a test's size */
static int small_holiday(clv_scenario *scn, int64_t customers, int replications)
{
    clv_error err;
    if (clv_scn_load("scenarios/holiday.cfg", NULL, 0, scn, &err) != CLV_OK) {
        harness_fail(__FILE__, __LINE__, "%s", err.msg);
        return 0;
    }
    scn->population.customers = customers;
    scn->evaluation.replications = replications;
    return 1;
}

/* a world of scn at its start, drawn for seed, with every customer's
 * observation and room for an action each */
static clv_sim *observed_world(const clv_scenario *scn, uint64_t seed, clv_sim_obs **obs, clv_action **act)
{
    clv_error err;
    clv_sim_opts so;
    clv_sim_opts_default(&so);
    clv_sim *s = NULL;
    *obs = NULL, *act = NULL;
    if (clv_sim_alloc(scn, &so, &s, &err) != CLV_OK || clv_sim_reset(s, seed, 0, &err) != CLV_OK) {
        harness_fail(__FILE__, __LINE__, "%s", err.msg);
        clv_sim_free(s);
        return NULL;
    }
    const size_t n = clv_sim_customers(s);
    *obs = malloc(n * sizeof **obs);
    *act = malloc(n * sizeof **act);
    CHECK_INT(clv_sim_observe(s, 0, n, *obs, &err), CLV_OK);
    return s;
}

/* Student t interval against the textbook value: t(0.975, 4) = 2.776445 */
TEST(test_eval_interval)
{
    const double x[5] = {1, 2, 3, 4, 5};
    clv_interval iv;
    clv_interval_of(x, 5, 1, 0.95, &iv);
    const double half = 2.776445105 * sqrt(2.5) / sqrt(5.0);
    CHECK_NEAR(iv.mean, 3, 1e-12);
    CHECK_NEAR(iv.sd, sqrt(2.5), 1e-12);
    CHECK_NEAR(iv.lo, 3 - half, 1e-8);
    CHECK_NEAR(iv.hi, 3 + half, 1e-8);
    CHECK_INT((int)iv.n, 5);
    /* a stride picks every other value: 1, 3, 5 */
    clv_interval_of(x, 3, 2, 0.95, &iv);
    CHECK_NEAR(iv.mean, 3, 1e-12);
    CHECK_NEAR(iv.sd, 2, 1e-12);
    CHECK_NEAR(iv.hi - iv.mean, 4.302652730 * 2 / sqrt(3.0), 1e-8); /* t(0.975, 2) */
    /* one value: no spread, the interval is the value */
    clv_interval_of(x + 3, 1, 1, 0.95, &iv);
    CHECK_NEAR(iv.lo, 4, 0);
    CHECK_NEAR(iv.hi, 4, 0);
}

/* Invariants of an evaluation that would fail if accounting, pairing or
 * indexing were wrong: two identical policies differ by exactly zero in every
 * replication (common random numbers); per-customer ground truth adds up to
 * the environment's daily totals; budgets hold; and the thread count changes
 * nothing. */
TEST(test_eval_common_random_numbers)
{
    clv_scenario scn;
    if (!small_holiday(&scn, 3000, 3))
        return;
    scn.interventions.budget_per_epoch = 300; /* binding at this size */
    scn.interventions.budget_total = 4000;
    clv_error err;
    clv_policy pol[4];
    CHECK_INT(clv_policy_fixed(&scn, "none", 1, &pol[0], &err), CLV_OK);
    CHECK_INT(clv_policy_fixed(&scn, "none", 1, &pol[1], &err), CLV_OK);
    CHECK_INT(clv_policy_fixed(&scn, "blanket-2", 1, &pol[2], &err), CLV_OK);
    CHECK_INT(clv_policy_fixed(&scn, "rfm", 1, &pol[3], &err), CLV_OK);
    clv_evaluation ev, ev2;
    clv_eval_opts one = {.threads = 1}, two = {.threads = 2};
    CHECK_INT(clv_evaluate(&scn, pol, 4, &one, &ev, &err), CLV_OK);
    CHECK_INT(clv_evaluate(&scn, pol, 4, &two, &ev2, &err), CLV_OK);
    if (!ev.totals || !ev2.totals)
        goto done;
    CHECK_INT((int)ev.n_days, 151);
    CHECK(memcmp(ev.totals, ev2.totals, 4 * 3 * CLV_M_N * sizeof *ev.totals) == 0);
    CHECK(memcmp(ev.segments, ev2.segments, 4 * 3 * CLV_SEGMENTS * sizeof *ev.segments) == 0);
    CHECK(memcmp(ev.days, ev2.days, 4 * 3 * ev.n_days * sizeof *ev.days) == 0);

    for (int m = 0; m < CLV_M_N; m++) {
        clv_interval d;
        clv_eval_paired(&ev, 0, 1, m, 0.95, &d);
        CHECK_NEAR(d.mean, 0, 0);
        CHECK_NEAR(d.hi - d.lo, 0, 0);
    }
    /* the campaign changes the worlds; no campaign leaves the replications different from each other */
    CHECK(clv_eval_value(&ev, 2, 0, CLV_M_NET_MARGIN) != clv_eval_value(&ev, 0, 0, CLV_M_NET_MARGIN));
    CHECK(clv_eval_value(&ev, 0, 0, CLV_M_NET_MARGIN) != clv_eval_value(&ev, 0, 1, CLV_M_NET_MARGIN));

    int per_epoch_ok = 1;
    for (size_t p = 0; p < 4; p++)
        for (size_t r = 0; r < 3; r++) {
            const clv_eval_segment *g = ev.segments + (p * 3 + r) * CLV_SEGMENTS;
            const clv_sim_day *days = ev.days + (p * 3 + r) * ev.n_days;
            double customers = 0, spend = 0, repeats = 0, churned = 0, firsts = 0, sent = 0;
            for (int k = 0; k < CLV_SEGMENTS; k++)
                customers += g[k].customers, spend += g[k].coupon_spend, repeats += g[k].purchases,
                    churned += g[k].churned;
            for (size_t d = 0; d < ev.n_days; d++)
                firsts += days[d].first_purchases, sent += days[d].coupons_sent;
            CHECK_NEAR(customers, clv_eval_value(&ev, p, r, CLV_M_CUSTOMERS), 0);
            CHECK_NEAR(churned, clv_eval_value(&ev, p, r, CLV_M_CHURNED), 0);
            /* every purchase is a repeat purchase of someone or a new customer's first */
            CHECK_NEAR(repeats + firsts, clv_eval_value(&ev, p, r, CLV_M_PURCHASES), 0);
            /* per-customer coupon spend (single precision) against the daily totals */
            CHECK_NEAR(spend, clv_eval_value(&ev, p, r, CLV_M_COUPON_SPEND),
                       1e-4 * clv_eval_value(&ev, p, r, CLV_M_COUPON_SPEND) + 1e-6);
            CHECK_NEAR(sent, clv_eval_value(&ev, p, r, CLV_M_COUPONS_SENT), 0);
            CHECK(clv_eval_value(&ev, p, r, CLV_M_COUPON_SPEND) <= 4000 + 1e-9);
            /* an epoch's coupons reserve at least the cheapest coupon's most each */
            for (size_t d = 0; d < ev.n_days; d += 7)
                per_epoch_ok &= days[d].coupons_sent * (0.05 + 10.0) <= 300 + 1e-9;
            double margin = 0;
            for (size_t d = 0; d < ev.n_days; d++)
                margin += days[d].net_margin;
            CHECK_NEAR(margin, clv_eval_value(&ev, p, r, CLV_M_NET_MARGIN), 1e-9 * fabs(margin));
            CHECK_NEAR(clv_eval_value(&ev, p, r, CLV_M_CLV), margin / customers, 1e-12);
        }
    CHECK(per_epoch_ok);
    /* calibration: deciles in increasing order of the estimate, and the top
     * decile realises more than the bottom one */
    for (size_t k = 0; k < 4 * 3; k++) {
        const clv_eval_calibration *c = &ev.calibration[k];
        int sorted = 1;
        for (int d = 1; d < CLV_DECILES; d++)
            sorted &= c->predicted[d] >= c->predicted[d - 1];
        CHECK(sorted);
        CHECK(c->realised[CLV_DECILES - 1] > c->realised[0]);
        CHECK(c->predicted[0] > 0);
    }
    CHECK(clv_eval_value(&ev, 0, 0, CLV_M_COUPONS_SENT) == 0);
    CHECK(clv_eval_value(&ev, 2, 0, CLV_M_COUPONS_SENT) > 0);
    CHECK(clv_eval_value(&ev, 2, 0, CLV_M_COUPONS_REFUSED) > 0); /* the budget binds */
    /* the no-campaign policy spends nothing: its ROI has no replications */
    clv_interval roi;
    clv_eval_roi(&ev, 1, 0, 0.95, &roi);
    CHECK_INT((int)roi.n, 0);
    clv_eval_roi(&ev, 2, 0, 0.95, &roi);
    CHECK_INT((int)roi.n, 3);
    double x[3];
    for (int r = 0; r < 3; r++)
        x[r] = (clv_eval_value(&ev, 2, (size_t)r, CLV_M_NET_MARGIN) - clv_eval_value(&ev, 0, (size_t)r, CLV_M_NET_MARGIN)) /
               clv_eval_value(&ev, 2, (size_t)r, CLV_M_COUPON_SPEND);
    CHECK_NEAR(roi.mean, (x[0] + x[1] + x[2]) / 3, 1e-12);
done:
    clv_evaluation_free(&ev);
    clv_evaluation_free(&ev2);
    for (int k = 0; k < 4; k++)
        clv_policy_free(&pol[k]);
}

/* A table policy: a visited state's best visited action, no coupon at list
 * price where nothing was visited, and a budget claimed by advantage. */
TEST(test_eval_table_policy)
{
    clv_scenario scn;
    if (!small_holiday(&scn, 4000, 2))
        return;
    clv_error err;
    clv_state_map map;
    CHECK_INT(clv_agent_state_map(&scn, NULL, 1, &map, &err), CLV_OK);
    const size_t P = (size_t)scn.interventions.n_prices, A = (size_t)(scn.interventions.n_coupons + 1) * P;
    clv_qtable *t = clv_qtable_alloc(map.n_states, A, 0, &err);
    clv_sim_obs *obs;
    clv_action *act;
    clv_sim *s = observed_world(&scn, 3, &obs, &act);
    if (!s) {
        clv_qtable_free(t);
        return;
    }
    const size_t n = clv_sim_customers(s);
    size_t *st = malloc(n * sizeof *st);
    uint32_t *order = malloc(n * sizeof *order);
    clv_btyd_value v;
    clv_btyd_value_init(&v, &scn);
    for (size_t i = 0; i < n; i++)
        st[i] = clv_state_of(&map, &obs[i], clv_btyd_value_of(&v, &obs[i]), 0, clv_sim_season_phase(s));
    /* state of customer 0: coupon 2 at price level 2 is best among the visited;
     * an unvisited action with a higher Q is never taken */
    const size_t s0 = st[0];
    const int best = (int)(2 * P + 2), other = (int)(1 * P + 0), unvisited = (int)(3 * P + 1);
    t->q[s0 * A + (size_t)best] = 5, t->visits[s0 * A + (size_t)best] = 10;
    t->q[s0 * A + (size_t)other] = 1, t->visits[s0 * A + (size_t)other] = 10;
    t->q[s0 * A + (size_t)unvisited] = 50;
    /* with confidence, a state whose base action (no coupon at list price)
     * was never tried deploys the base action */
    clv_policy p;
    CHECK_INT(clv_policy_table(&scn, NULL, t, &map, "test", 2, &p, &err), CLV_OK);
    CHECK_INT(p.act(p.ctx, s, obs, n, act, &err), CLV_OK);
    CHECK(act[0].coupon == 0 && act[0].price == (uint8_t)clv_sim_list_price(s));
    clv_policy_free(&p);
    /* without, the best visited action */
    scn.agent.confidence = 0;
    CHECK_INT(clv_policy_table(&scn, NULL, t, &map, "test", 2, &p, &err), CLV_OK);
    CHECK_STR(p.name, "test");
    CHECK_INT(p.act(p.ctx, s, obs, n, act, &err), CLV_OK);
    size_t in_s0 = 0, wrong = 0;
    for (size_t i = 0; i < n; i++) {
        if (st[i] == s0) {
            in_s0++;
            wrong += act[i].coupon != 2 || act[i].price != 2;
        } else {
            wrong += act[i].coupon != 0 || act[i].price != (uint8_t)clv_sim_list_price(s);
        }
    }
    CHECK(in_s0 >= 1);
    CHECK_INT((int)wrong, 0);
    /* with a budget, the coupons claim it first: the order is a permutation
     * that starts with the customers of s0 */
    CHECK_INT(p.order(p.ctx, s, act, n, order, &err), CLV_OK);
    char *seen = calloc(n, 1);
    int perm = 1;
    for (size_t k = 0; k < n; k++) {
        perm &= order[k] < n && !seen[order[k]];
        if (order[k] < n)
            seen[order[k]] = 1;
    }
    CHECK(perm);
    for (size_t k = 0; k < in_s0; k++)
        CHECK(st[order[k]] == s0);
    free(seen);
    /* a table of another shape is refused */
    clv_qtable *wrong_shape = clv_qtable_alloc(map.n_states, A - 1, 0, &err);
    clv_policy q;
    CHECK_INT(clv_policy_table(&scn, NULL, wrong_shape, &map, "bad", 1, &q, &err), CLV_EINPUT);
    CHECK(strstr(err.msg, "states x") != NULL);
    clv_qtable_free(wrong_shape);
    clv_policy_free(&p);
    clv_qtable_free(t);
    clv_sim_free(s);
    free(obs), free(act), free(st), free(order);
}

/* The model tables: greedy's Q with a lookahead of one epoch is the mean
 * reward of each (s, a), with two the reward and an epoch of no campaign
 * after it; the oracle's is backward induction's over the horizon; visits
 * are the counts, unvisited pairs have none. */
TEST(test_eval_mdp_tables)
{
    clv_error err;
    clv_mdp_estimate *m = clv_mdp_estimate_alloc(2, 2, &err);
    /* state 0: action 0 pays 1 and stays; action 1 pays 0 then 2 (mean 1)
     * and moves to state 1, which pays 10 under action 0 and ends there */
    CHECK_INT(clv_mdp_estimate_add(m, 0, 0, 1, 0, 1), CLV_OK);
    CHECK_INT(clv_mdp_estimate_add(m, 0, 1, 0, 1, 1), CLV_OK);
    CHECK_INT(clv_mdp_estimate_add(m, 0, 1, 2, 1, 1), CLV_OK);
    CHECK_INT(clv_mdp_estimate_add(m, 1, 0, 10, 1, 0), CLV_OK);
    clv_qtable *my = NULL, *g2 = NULL, *opt[2] = {NULL, NULL};
    CHECK_INT(clv_mdp_greedy(m, 1, 0, &my, &err), CLV_OK);
    CHECK_INT(clv_mdp_greedy(m, 2, 0, &g2, &err), CLV_OK);
    CHECK_INT(clv_mdp_plan(m, 2, 0, 0, opt, &err), CLV_OK);
    if (my && g2 && opt[0]) {
        CHECK_NEAR(my->q[0], 1, 0);
        CHECK_NEAR(my->q[1], 1, 0);
        CHECK_NEAR(my->q[2], 10, 0);
        CHECK_INT((int)my->visits[1], 2);
        CHECK_INT((int)my->visits[3], 0);
        /* W_1 = R(., 0) = (1, 10): Q(0,0) = 1 + 1, Q(0,1) = 1 + 10, Q(1,0) = 20 */
        CHECK_NEAR(g2->q[0], 2, 1e-12);
        CHECK_NEAR(g2->q[1], 11, 1e-12);
        CHECK_NEAR(g2->q[2], 20, 1e-12);
        /* over 2 epochs: the last's Q is R, V1 = (1, 10), and the first's
         * Q(0,0) = 1 + 1, Q(0,1) = 1 + 10, Q(1,0) = 10 + 10 */
        CHECK_NEAR(opt[1]->q[0], 1, 1e-12);
        CHECK_NEAR(opt[1]->q[2], 10, 1e-12);
        CHECK_NEAR(opt[0]->q[2], 20, 1e-12);
        CHECK_NEAR(opt[0]->q[1], 11, 1e-12);
        CHECK_NEAR(opt[0]->q[0], 2, 1e-12);
        CHECK_NEAR(opt[0]->q[3], 0, 0); /* unvisited */
        CHECK_INT((int)opt[0]->visits[3], 0);
    }
    clv_qtable_free(my);
    clv_qtable_free(g2);
    clv_qtable_free(opt[0]);
    clv_qtable_free(opt[1]);
    clv_mdp_estimate_free(m);
}

/* A policy of one table per epoch acts on the table of the epoch the
 * environment is in, and on the last one after the last table. */
TEST(test_eval_table_policy_epochs)
{
    clv_scenario scn;
    if (!small_holiday(&scn, 300, 2))
        return;
    scn.agent.confidence = 0;
    scn.interventions.budget_per_epoch = scn.interventions.budget_total = -1;
    clv_error err;
    clv_state_map map;
    CHECK_INT(clv_agent_state_map(&scn, NULL, 1, &map, &err), CLV_OK);
    const size_t P = (size_t)scn.interventions.n_prices, A = clv_agent_n_actions(&scn.interventions);
    const size_t list = (size_t)clv_scn_list_price(&scn);
    /* table k: coupon k + 1 at list price is best in every state */
    clv_qtable *tab[2];
    for (int k = 0; k < 2; k++) {
        tab[k] = clv_qtable_alloc(map.n_states, A, 0, &err);
        for (size_t s = 0; tab[k] && s < map.n_states; s++) {
            tab[k]->visits[s * A + list] = 5;
            tab[k]->visits[s * A + (size_t)(k + 1) * P + list] = 5;
            tab[k]->q[s * A + (size_t)(k + 1) * P + list] = 1;
        }
    }
    clv_sim_opts so;
    clv_sim_opts_default(&so);
    clv_sim *s = NULL;
    CHECK_INT(clv_sim_alloc(&scn, &so, &s, &err), CLV_OK);
    if (!s || !tab[0] || !tab[1]) {
        clv_sim_free(s), clv_qtable_free(tab[0]), clv_qtable_free(tab[1]);
        return;
    }
    CHECK_INT(clv_sim_reset(s, 5, 0, &err), CLV_OK);
    const size_t cap = clv_sim_capacity(s);
    clv_sim_obs *obs = malloc(cap * sizeof *obs);
    clv_action *act = malloc(cap * sizeof *act);
    clv_policy p;
    CHECK_INT(clv_policy_table_epochs(&scn, NULL, (const clv_qtable *const *)tab, 2, &map, "epochs", 1, &p, &err), CLV_OK);
    for (int e = 0; e < 3; e++) {
        const size_t n = clv_sim_customers(s);
        CHECK_INT(clv_sim_observe(s, 0, n, obs, &err), CLV_OK);
        CHECK_INT(p.act(p.ctx, s, obs, n, act, &err), CLV_OK);
        size_t wrong = 0;
        for (size_t i = 0; i < n; i++)
            wrong += act[i].coupon != (e == 0 ? 1 : 2) || act[i].price != list;
        if (wrong)
            harness_fail(__FILE__, __LINE__, "epoch %d: %zu of %zu customers not on the epoch's table", e, wrong, n);
        CHECK_INT(clv_sim_step(s, act, NULL, &err), CLV_OK);
    }
    clv_policy_free(&p);
    CHECK_INT(clv_policy_table_epochs(&scn, NULL, (const clv_qtable *const *)tab, 0, &map, "none", 1, &p, &err),
              CLV_EINPUT);
    free(obs), free(act);
    clv_sim_free(s);
    clv_qtable_free(tab[0]);
    clv_qtable_free(tab[1]);
}

/* ltv-threshold: the coupon goes to exactly the customers whose LTV estimate
 * reaches the quantile of everyone's */
TEST(test_eval_ltv_threshold)
{
    clv_scenario scn;
    if (!small_holiday(&scn, 5000, 2))
        return;
    scn.evaluation.ltv_quantile = 0.8;
    scn.evaluation.ltv_coupon = 3;
    clv_error err;
    clv_sim_obs *obs;
    clv_action *act;
    clv_sim *s = observed_world(&scn, 11, &obs, &act);
    if (!s)
        return;
    const size_t n = clv_sim_customers(s);
    clv_policy p;
    CHECK_INT(clv_policy_fixed(&scn, "ltv-threshold", 1, &p, &err), CLV_OK);
    CHECK_INT(p.act(p.ctx, s, obs, n, act, &err), CLV_OK);
    clv_btyd_value v;
    clv_btyd_value_init(&v, &scn);
    double lo_in = INFINITY, hi_out = -INFINITY;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const double x = clv_btyd_value_of(&v, &obs[i]);
        CHECK(act[i].coupon == 0 || act[i].coupon == 3);
        if (act[i].coupon)
            k++, lo_in = isnan(x) ? NAN : fmin(lo_in, x);
        else
            hi_out = harness_max(hi_out, x);
    }
    CHECK(lo_in > hi_out);
    CHECK(fabs((double)k / (double)n - 0.2) < 0.01);
    clv_policy_free(&p);
    clv_sim_free(s);
    free(obs), free(act);
}

/* a policy that fails from epoch 3 on, with its name in the message */
static int fail_late(void *ctx, const clv_sim *s, const clv_sim_obs *obs, size_t n, clv_action *act, clv_error *err)
{
    (void)obs, (void)n, (void)act;
    if (clv_sim_epoch(s) >= 3)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "%s gave up", (const char *)ctx);
    return CLV_OK;
}

/* The replications run in parallel over one shared world: every value of
 * an evaluation is the same bit for bit on 1, 2 and 3 threads (with more
 * runs than threads and policies of unequal cost, so the runs finish out of
 * order), and a failure reports the run a serial evaluation would. */
TEST(test_eval_thread_count)
{
    clv_scenario scn;
    if (!small_holiday(&scn, 2000, 3))
        return;
    scn.interventions.budget_per_epoch = 200;
    clv_error err;
    enum { P = 5, R = 3 };
    static const char *const names[P] = {"none", "blanket-1", "random", "rfm", "ltv-threshold"};
    clv_policy pol[P];
    for (int p = 0; p < P; p++)
        CHECK_INT(clv_policy_fixed(&scn, names[p], 1, &pol[p], &err), CLV_OK);
    clv_evaluation ev[3];
    for (int t = 0; t < 3; t++)
        CHECK_INT(clv_evaluate(&scn, pol, P, &(clv_eval_opts){.threads = t + 1}, &ev[t], &err), CLV_OK);
    for (int t = 1; t < 3; t++) {
        if (!ev[0].totals || !ev[t].totals)
            break;
        CHECK(memcmp(ev[0].totals, ev[t].totals, P * R * CLV_M_N * sizeof *ev[0].totals) == 0);
        CHECK(memcmp(ev[0].segments, ev[t].segments, P * R * CLV_SEGMENTS * sizeof *ev[0].segments) == 0);
        CHECK(memcmp(ev[0].days, ev[t].days, P * R * ev[0].n_days * sizeof *ev[0].days) == 0);
        CHECK(memcmp(ev[0].calibration, ev[t].calibration, P * R * sizeof *ev[0].calibration) == 0);
    }
    /* the runs differ from each other (a comparison of nothing with nothing cannot pass) */
    if (ev[0].totals) {
        CHECK(clv_eval_value(&ev[0], 1, 0, CLV_M_NET_MARGIN) != clv_eval_value(&ev[0], 0, 0, CLV_M_NET_MARGIN));
        CHECK(clv_eval_value(&ev[0], 0, 1, CLV_M_NET_MARGIN) != clv_eval_value(&ev[0], 0, 2, CLV_M_NET_MARGIN));
        CHECK(clv_eval_value(&ev[0], 1, 2, CLV_M_COUPONS_SENT) > 0);
    }
    for (int t = 0; t < 3; t++)
        clv_evaluation_free(&ev[t]);

    /* policies 2 and 3 fail in every run: the error is that of replication
     * 0 of policy 2, the first failing run in serial order */
    clv_policy bad[P] = {pol[0], pol[1], {"bad-a", fail_late, (void *)"bad-a", NULL, NULL},
                         {"bad-b", fail_late, (void *)"bad-b", NULL, NULL}, pol[4]};
    for (int t = 1; t <= 3; t++) {
        clv_evaluation e;
        err.msg[0] = 0;
        CHECK_INT(clv_evaluate(&scn, bad, P, &(clv_eval_opts){.threads = t}, &e, &err), CLV_EINPUT);
        CHECK_STR(err.msg, "bad-a gave up");
        CHECK(e.totals == NULL);
    }
    for (int p = 0; p < P; p++)
        clv_policy_free(&pol[p]);
}

/* The yardsticks of evaluate.h.  The per-customer hindsight bound against a
 * computation by hand from separate runs of each policy (the same bits),
 * at least every policy in every replication, the same on 1 and 2 threads;
 * a policy's share between no campaign and a bound against the ratio of
 * paired means and its delta-method interval. */
TEST(test_eval_hindsight_bounds)
{
    clv_scenario scn;
    if (!small_holiday(&scn, 2000, 3))
        return;
    scn.interventions.budget_per_epoch = 200;
    clv_error err;
    enum { P = 4, R = 3 };
    static const char *const names[P] = {"none", "blanket-1", "price-up", "random"};
    clv_policy pol[P];
    for (int p = 0; p < P; p++)
        CHECK_INT(clv_policy_fixed(&scn, names[p], 1, &pol[p], &err), CLV_OK);
    clv_evaluation ev[3];
    CHECK_INT(clv_evaluate(&scn, pol, P, &(clv_eval_opts){.threads = 1, .hindsight = 1}, &ev[0], &err), CLV_OK);
    CHECK_INT(clv_evaluate(&scn, pol, P, &(clv_eval_opts){.threads = 2, .hindsight = 1}, &ev[1], &err), CLV_OK);
    CHECK_INT(clv_evaluate(&scn, pol, P, &(clv_eval_opts){.threads = 2}, &ev[2], &err), CLV_OK);
    if (!ev[0].hindsight || !ev[1].hindsight || !ev[2].totals)
        goto done;
    CHECK(ev[2].hindsight == NULL);
    CHECK(memcmp(ev[0].hindsight, ev[1].hindsight, R * sizeof *ev[0].hindsight) == 0);
    CHECK(memcmp(ev[0].totals, ev[2].totals, P * R * CLV_M_N * sizeof *ev[0].totals) == 0);

    /* by hand: each policy on its own state of each evaluation world */
    clv_sim_opts so;
    clv_sim_opts_default(&so);
    clv_sim *s = NULL;
    CHECK_INT(clv_sim_alloc(&scn, &so, &s, &err), CLV_OK);
    if (!s)
        goto done;
    const size_t cap = clv_sim_capacity(s);
    double *m = malloc(P * cap * sizeof *m);
    size_t n[P] = {0};
    for (size_t r = 0; m && r < R; r++) {
        double rest = -INFINITY;
        for (size_t p = 0; p < P; p++) {
            double *mp = m + p * cap;
            memset(mp, 0, cap * sizeof *mp);
            CHECK_INT(clv_sim_reset(s, (uint64_t)scn.scenario.seed, clv_world_evaluation(r), &err), CLV_OK);
            CHECK_INT(clv_sim_run_margins(s, &pol[p], NULL, mp, &err), CLV_OK);
            n[p] = clv_sim_customers(s);
            double held = 0;
            for (size_t i = 0; i < n[p]; i++)
                held += mp[i];
            const double x = clv_eval_value(&ev[0], p, r, CLV_M_NET_MARGIN) - held;
            rest = x > rest ? x : rest;
        }
        double h = rest;
        for (size_t i = 0; i < n[0]; i++) {
            double best = -INFINITY;
            for (size_t p = 0; p < P; p++)
                best = m[p * cap + i] > best ? m[p * cap + i] : best;
            h += best;
        }
        for (size_t p = 1; p < P; p++)
            CHECK_INT((int)n[p], (int)n[0]); /* the same arrivals under every policy */
        CHECK(h == ev[0].hindsight[r]);
        int above_all = 1, above_one = 0;
        for (size_t p = 0; p < P; p++) {
            above_all &= ev[0].hindsight[r] >= clv_eval_value(&ev[0], p, r, CLV_M_NET_MARGIN);
            above_one |= ev[0].hindsight[r] > clv_eval_value(&ev[0], p, r, CLV_M_NET_MARGIN) + 1;
        }
        CHECK(above_all);
        CHECK(above_one);
    }
    free(m);
    clv_sim_free(s);

    /* shares: the bound (policy 2, price-up) at 1, none at 0, blanket-1 by hand */
    clv_eval_bound b;
    clv_eval_bound_of(&ev[0], 2, 0, 2, 0.95, &b);
    CHECK_NEAR(b.share, 1, 1e-12);
    CHECK_NEAR(b.share_hi - b.share_lo, 0, 1e-9);
    clv_eval_bound_of(&ev[0], 0, 0, 2, 0.95, &b);
    CHECK_NEAR(b.share, 0, 0);
    CHECK_NEAR(b.diff.mean, 0, 0);
    clv_eval_bound_of(&ev[0], 1, 0, 2, 0.95, &b);
    double dn[R], dd[R], mn = 0, md = 0;
    for (size_t r = 0; r < R; r++) {
        const double z = clv_eval_value(&ev[0], 0, r, CLV_M_NET_MARGIN);
        dn[r] = clv_eval_value(&ev[0], 1, r, CLV_M_NET_MARGIN) - z;
        dd[r] = clv_eval_value(&ev[0], 2, r, CLV_M_NET_MARGIN) - z;
        mn += dn[r] / R, md += dd[r] / R;
    }
    double vn = 0, vd = 0, c = 0;
    for (size_t r = 0; r < R; r++)
        vn += (dn[r] - mn) * (dn[r] - mn) / (R - 1), vd += (dd[r] - md) * (dd[r] - md) / (R - 1),
            c += (dn[r] - mn) * (dd[r] - md) / (R - 1);
    const double q = mn / md, half = 4.302652730 * sqrt((vn - 2 * q * c + q * q * vd) / (R * md * md));
    CHECK(md > 0);
    CHECK_NEAR(b.share, q, 1e-12);
    CHECK_NEAR(b.share_lo, q - half, 1e-8);
    CHECK_NEAR(b.share_hi, q + half, 1e-8);
    CHECK_NEAR(b.diff.mean, mn, 1e-9 * fabs(mn));
    /* without a bound there is no share; the hindsight bound's share is above 1 */
    clv_eval_bound_of(&ev[0], 1, 0, -1, 0.95, &b);
    CHECK(isnan(b.share) && isnan(b.share_lo) && isnan(b.share_hi));
    clv_eval_bound_of(&ev[0], CLV_EVAL_HINDSIGHT, 0, 2, 0.95, &b);
    CHECK(b.share > 1);
    clv_eval_bound_of(&ev[2], CLV_EVAL_HINDSIGHT, 0, 2, 0.95, &b);
    CHECK(isnan(b.value.mean) && isnan(b.share)); /* not computed: NaN, never a number */
done:
    for (int t = 0; t < 3; t++)
        clv_evaluation_free(&ev[t]);
    for (int p = 0; p < P; p++)
        clv_policy_free(&pol[p]);
}
