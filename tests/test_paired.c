/* test_paired.c - the paired targets of training (agent.targets = "paired"):
 * the replays against closed forms, the table's advantages and standard
 * errors, determinism across thread counts, and the classic targets
 * unchanged. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clvsim/agent.h"
#include "clvsim/btyd.h"
#include "clvsim/qfunc.h"
#include "harness.h"

#include "../src/agent/agent_internal.h"

/* The known-answer world (c) of tests/worlds, made small: Pareto/NBD
 * dropout in calendar time, one elasticity e = -1.5 for everyone, no
 * seasonality, a coupon that is a contact without effect (factor 1, never
 * redeemed) at a cost of 0.05, valid one epoch (lookahead 1).  In the
 * expected-reward mode a customer's margin of an epoch at price level P
 * is its alive time x lambda P^e x E[basket] (P - 0.7), and its alive time
 * does not depend on the action: so the paired replay of price level P is
 * exactly (P^e (P - 0.7) / 0.3) times the replay at list price, and the
 * coupon costs exactly its contact cost.  (Exactly up to the single
 * precision of the simulator's per-customer intensity factors: relative
 * 1e-6 below, where a wrong formula is off by percents.) */
static int small_world(clv_scenario *scn, int targets)
{
    if (!HARNESS_LOAD("tests/worlds/c-price.cfg", scn))
        return 0;
    scn->calendar.horizon_days = 28;
    scn->agent.customers = 400;
    scn->agent.episodes = 4;
    scn->agent.epsilon_decay_episodes = 3;
    scn->agent.targets = targets;
    return 1;
}

static double price_ratio(double P) { return pow(P, -1.5) * (P - 0.7) / 0.3; }

TEST(test_paired_replay_closed_form)
{
    clv_scenario scn;
    clv_error err;
    if (!small_world(&scn, CLV_TARGETS_PAIRED))
        return;
    scn.population.customers = 400;
    clv_sim *s = NULL;
    clv__paired *p = NULL;
    CHECK_INT(clv_sim_alloc(&scn, NULL, &s, &err), CLV_OK);
    CHECK_INT(clv__paired_alloc(&scn, 2, 0.99, &p, &err), CLV_OK);
    if (!s || !p)
        goto done;
    CHECK_INT(clv__paired_lookahead(p), 1);
    CHECK_INT(clv_sim_reset(s, 5, 0, &err), CLV_OK);
    CHECK_INT(clv_sim_step(s, NULL, NULL, &err), CLV_OK); /* an epoch in: arrivals, histories */
    const size_t n = clv_sim_customers(s), P = 3, list = 1;
    const double prices[3] = {0.95, 1.0, 1.05};
    CHECK_INT(clv__paired_replay(p, s, NULL, &err), CLV_OK);
    const double *vb = clv__paired_value(p, list);
    size_t positive = 0;
    for (size_t i = 0; i < n; i++) {
        positive += vb[i] > 0;
        for (size_t a = 0; a < 2 * P; a++) {
            const double want = vb[i] * price_ratio(prices[a % P]) - (a >= P ? 0.05 : 0);
            const double got = clv__paired_value(p, a)[i];
            if (!(fabs(got - want) <= 1e-6 * (1 + fabs(want))))
                harness_fail(__FILE__, __LINE__, "customer %zu, action %zu: replay %.17g, closed form %.17g", i, a,
                             got, want);
        }
    }
    CHECK(positive > n / 4); /* the replays saw purchases to compare */
    /* the replay does not touch the state it copies: the same values again */
    double first = clv__paired_value(p, 2 * P - 1)[n - 1];
    CHECK_INT(clv__paired_replay(p, s, NULL, &err), CLV_OK);
    CHECK(clv__paired_value(p, 2 * P - 1)[n - 1] == first);
done:
    clv__paired_free(p);
    clv_sim_free(s);
}

/* The table of paired training in the same world: every visited state's
 * advantages A(s, a) = Q(s, a) - Q(s, base) are means of paired
 * differences, so the coupon at list price is exactly its cost (-0.05,
 * with standard error 0), the coupon at price P is A(s, P) - 0.05, and the
 * two price levels' advantages stand in the closed form's ratio
 * (r(1.05) - 1) / (r(0.95) - 1); the base's standard error is 0 and the
 * deployment (clv_agent_confident) raises the price wherever the state was
 * seen often. */
TEST(test_paired_table_advantages)
{
    clv_scenario scn;
    clv_error err;
    if (!small_world(&scn, CLV_TARGETS_PAIRED))
        return;
    const double want_ratio = (price_ratio(1.05) - 1) / (price_ratio(0.95) - 1);
    for (int algo = 0; algo < 3; algo++) {
        clv_train_result res;
        if (clv_agent_train(&scn, algo, &(clv_train_opts){.threads = 2}, &res, &err) != CLV_OK) {
            harness_fail(__FILE__, __LINE__, "%s", err.msg);
            continue;
        }
        const clv_qtable *t = res.table;
        const size_t A = t->n_actions, base = 1;
        size_t seen = 0, often = 0;
        for (size_t s = 0; s < t->n_states; s++) {
            const double *q = t->q + s * A;
            const uint32_t *v = t->visits + s * A;
            if (!v[base])
                continue;
            seen++;
            for (size_t a = 0; a < A; a++)
                CHECK(v[a] == v[base]); /* every action replayed for every customer-epoch */
            CHECK(clv_agent_q_se(t, s, (int)base) == 0 || v[base] < 2);
            CHECK_NEAR(q[4] - q[base], -0.05, 1e-12);
            if (v[base] >= 2)
                CHECK(clv_agent_q_se(t, s, 4) <= 1e-6); /* rounding only: the sums' cancellation */
            CHECK_NEAR(q[5] - q[base], q[2] - q[base] - 0.05, 1e-9);
            CHECK_NEAR(q[3] - q[base], q[0] - q[base] - 0.05, 1e-9);
            if (q[0] - q[base] != 0)
                CHECK_NEAR((q[2] - q[base]) / (q[0] - q[base]), want_ratio, 1e-5);
            if (v[base] >= 200) {
                often++;
                CHECK(q[2] > q[base] && q[0] < q[base]);
                CHECK_INT(clv_agent_confident(t, s, (int)base, 0.95), 2);
            }
        }
        CHECK(seen > 1 && often > 0);
        clv_train_result_free(&res);
    }
}

/* Paired training gives the same table, bit for bit, on 1 and 2 threads;
 * a table of classic training is not resumed with paired targets (nor the
 * reverse): their layouts differ. */
TEST(test_paired_threads_and_layout)
{
    clv_scenario scn;
    clv_error err;
    if (!small_world(&scn, CLV_TARGETS_PAIRED))
        return;
    scn.agent.episodes = 2;
    clv_train_result one, two, other, refused;
    CHECK_INT(clv_agent_train(&scn, CLV_ALGO_SARSA, &(clv_train_opts){.threads = 1}, &one, &err), CLV_OK);
    CHECK_INT(clv_agent_train(&scn, CLV_ALGO_SARSA, &(clv_train_opts){.threads = 2}, &two, &err), CLV_OK);
    if (one.table && two.table) {
        const size_t n = one.table->n_states * one.n_actions;
        CHECK(memcmp(one.table->q, two.table->q, n * sizeof(double)) == 0);
        CHECK(memcmp(one.table->visits, two.table->visits, n * sizeof(uint32_t)) == 0);
        CHECK(memcmp(one.table->stats, two.table->stats, n * CLV_QSTATS * sizeof(double)) == 0);
        CHECK(one.returns[1] == two.returns[1]);
        scn.agent.targets = CLV_TARGETS_CLASSIC;
        CHECK_INT(clv_agent_train(&scn, CLV_ALGO_SARSA, &(clv_train_opts){.threads = 1, .resume = one.table}, &other,
                                  &err),
                  CLV_EINPUT);
        CHECK(strstr(err.msg, "agent.targets") != NULL);
        CHECK_INT(clv_agent_train(&scn, CLV_ALGO_SARSA, &(clv_train_opts){.threads = 1}, &other, &err),
                  CLV_OK);
        scn.agent.targets = CLV_TARGETS_PAIRED;
        if (other.table)
            CHECK_INT(clv_agent_train(&scn, CLV_ALGO_SARSA, &(clv_train_opts){.threads = 1, .resume = other.table},
                                      &refused, &err),
                      CLV_EINPUT);
        clv_train_result_free(&other);
    }
    clv_train_result_free(&one);
    clv_train_result_free(&two);
}

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *b = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3u;
    return h;
}

/* The classic targets are those of before paired targets existed: the
 * tables of the three algorithms in the small world hash to the values
 * recorded on the main branch before agent.targets was added (Q, visits,
 * target statistics, layout and the episodes' returns), with the BTYD
 * value of today. */
TEST(test_paired_classic_unchanged)
{
    /* re-recorded when the agents' BTYD LTV (their state's value bins) became `clvsim fit`'s model
     * (issue 17: the repeat purchases' mean spend, T of the history to the end of the observed day);
     * before it, 0x82f01ecb6b37d142, 0x6b7a2002f8f1a022, 0x1002e9850e073acc */
    static const uint64_t want[3] = {0x341f2ac236638deeu, 0x28cd443ba85dcbd7u, 0x4d0935b2a0f7b673u};
    clv_scenario scn;
    clv_error err;
    if (!small_world(&scn, CLV_TARGETS_CLASSIC))
        return;
    for (int algo = 0; algo < 3; algo++) {
        clv_train_result res;
        if (clv_agent_train(&scn, algo, &(clv_train_opts){.threads = 2}, &res, &err) != CLV_OK) {
            harness_fail(__FILE__, __LINE__, "%s", err.msg);
            continue;
        }
        const clv_qtable *t = res.table;
        const size_t n = t->n_states * t->n_actions;
        uint64_t h = 0xcbf29ce484222325u;
        h = fnv(h, t->q, n * sizeof *t->q);
        h = fnv(h, t->visits, n * sizeof *t->visits);
        h = fnv(h, t->stats, n * CLV_QSTATS * sizeof *t->stats);
        h = fnv(h, &t->layout, sizeof t->layout);
        h = fnv(h, res.returns, (size_t)res.episodes * sizeof *res.returns);
        if (h != want[algo])
            harness_fail(__FILE__, __LINE__, "algorithm %d: the classic table hashes to 0x%016llx, recorded "
                         "0x%016llx", algo, (unsigned long long)h, (unsigned long long)want[algo]);
        clv_train_result_free(&res);
    }
}

/* The linear Q-function agents with paired targets in the same world: the
 * coupon at list price costs exactly its contact cost (d = -0.05 for every
 * customer-epoch), so the advantage regressed on the paired differences of
 * every action recovers it, Q(x, coupon) - Q(x, base) = -0.05, for every
 * customer of a fresh world of the same scenario, with a standard error
 * from its residuals near 0 (the base's: 0); the coupon at a price costs
 * the same over that price; the price rise, which pays for everyone alive
 * (r(1.05) > 1), has a positive mean advantage and the cut a negative one;
 * and the parameters are the same, bit for bit, on 1 and 2 threads.  (To
 * 10% of the cost: a regression on raw rewards, whose spread is about 2.4
 * USD, or one that missed the shared terms, is off by more.) */
TEST(test_paired_linear_advantage)
{
    clv_scenario scn;
    clv_error err;
    if (!small_world(&scn, CLV_TARGETS_PAIRED))
        return;
    const size_t base = 1;
    for (int algo = CLV_QF_Q_LINEAR; algo <= CLV_QF_SARSA_LINEAR; algo++) {
        clv_qf_train_result r1, r2;
        if (clv_qf_train(&scn, algo, &(clv_train_opts){.threads = 1}, &r1, &err) != CLV_OK) {
            harness_fail(__FILE__, __LINE__, "%s", err.msg);
            continue;
        }
        if (clv_qf_train(&scn, algo, &(clv_train_opts){.threads = 2}, &r2, &err) != CLV_OK) {
            harness_fail(__FILE__, __LINE__, "%s", err.msg);
            clv_qf_train_result_free(&r1);
            continue;
        }
        const size_t np = clv_qf_n_params(r1.agent.q);
        double *p1 = malloc(np * sizeof *p1), *p2 = malloc(np * sizeof *p2);
        clv_scenario s2 = scn;
        s2.population.customers = 400;
        clv_sim *s = NULL;
        clv_sim_obs *obs = NULL;
        CHECK_INT(clv_sim_alloc(&s2, NULL, &s, &err), CLV_OK);
        if (!p1 || !p2 || !s)
            goto next;
        clv_qf_get_params(r1.agent.q, p1);
        clv_qf_get_params(r2.agent.q, p2);
        CHECK(memcmp(p1, p2, np * sizeof *p1) == 0);
        CHECK(r1.agent.se[base] == 0);
        CHECK(r1.agent.se[4] <= 1e-4);
        CHECK(isfinite(r1.agent.se[2]) && r1.agent.se[2] > 0);
        CHECK_INT(clv_sim_reset(s, 77, 0, &err), CLV_OK);
        CHECK_INT(clv_sim_step(s, NULL, NULL, &err), CLV_OK);
        const size_t n = clv_sim_customers(s);
        obs = malloc(n * sizeof *obs);
        if (!obs)
            goto next;
        CHECK_INT(clv_sim_observe(s, 0, n, obs, &err), CLV_OK);
        clv_btyd_value ltv;
        clv_btyd_value_init(&ltv, &s2);
        double up = 0, down = 0;
        for (size_t i = 0; i < n; i++) {
            double x[CLV_QF_N_FEATURES], q[6];
            const double left = (double)(clv_sim_epochs(s) - clv_sim_epoch(s)) / clv_sim_epochs(s);
            clv_qf_features(&obs[i], clv_btyd_value_of(&ltv, &obs[i]), clv_btyd_palive_of(&ltv, &obs[i]),
                            clv_sim_season_phase(s), left, x);
            clv_standardize_apply(x, 1, CLV_QF_N_FEATURES, r1.agent.mean, r1.agent.sd);
            CHECK_INT(clv_qf_values(r1.agent.q, x, 1, q, &err), CLV_OK);
            const double e1 = fabs(q[4] - q[base] + 0.05), e2 = fabs(q[5] - q[2] + 0.05);
            if (!(e1 <= 5e-3 && e2 <= 5e-3))
                harness_fail(__FILE__, __LINE__, "%s, customer %zu: coupon advantage %.6f, over price-up %.6f; "
                             "want -0.05", clv_qf_algo_name(algo), i, q[4] - q[base], q[5] - q[2]);
            up += (q[2] - q[base]) / (double)n, down += (q[0] - q[base]) / (double)n;
        }
        CHECK(up > 0 && down < 0); /* the mean advantages of the price rise and cut */
    next:
        free(obs);
        clv_sim_free(s);
        free(p1), free(p2);
        clv_qf_train_result_free(&r1);
        clv_qf_train_result_free(&r2);
    }
}
