/* test_policy.c - the fixed policies: what each sends to whom, their errors,
 * and their independence of the thread count. */
#include <stdlib.h>

#include "clvsim/policy.h"
#include "clvsim/sim.h"
#include "harness.h"

/* a world at the start of the holiday season, 12,000 customers, no budget */
static clv_sim *world(clv_scenario *scn, int threads)
{
    clv_error err;
    if (clv_scn_load("scenarios/holiday.cfg", NULL, 0, scn, &err) != CLV_OK)
        return NULL;
    scn->population.customers = 12000;
    scn->interventions.budget_per_epoch = scn->interventions.budget_total = -1;
    clv_sim_opts o;
    clv_sim_opts_default(&o);
    o.threads = threads;
    clv_sim *s = NULL;
    if (clv_sim_alloc(scn, &o, &s, &err) != CLV_OK || clv_sim_reset(s, 8, 0, &err) != CLV_OK) {
        harness_fail(__FILE__, __LINE__, "%s", err.msg);
        clv_sim_free(s);
        return NULL;
    }
    return s;
}

TEST(test_policy_fixed_actions)
{
    clv_scenario scn;
    clv_sim *s = world(&scn, 1);
    if (!s)
        return;
    size_t n = clv_sim_customers(s);
    clv_sim_obs *obs = malloc(n * sizeof *obs);
    clv_action *act = malloc(n * sizeof *act);
    clv_error err;
    CHECK_INT(clv_sim_observe(s, 0, n, obs, &err), CLV_OK);
    clv_policy p;

    CHECK_INT(clv_policy_fixed(&scn, "none", 1, &p, &err), CLV_OK);
    CHECK_INT(p.act(p.ctx, s, obs, n, act, &err), CLV_OK);
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += act[i].coupon != 0 || act[i].price != 1; /* holiday's list price is level 1 */
    CHECK_INT(bad, 0);
    clv_policy_free(&p);

    CHECK_INT(clv_policy_fixed(&scn, "blanket-3", 1, &p, &err), CLV_OK);
    CHECK_STR(p.name, "blanket-3");
    CHECK_INT(p.act(p.ctx, s, obs, n, act, &err), CLV_OK);
    bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += act[i].coupon != 3 || act[i].price != 1;
    CHECK_INT(bad, 0);
    clv_policy_free(&p);

    /* random: a share random_coupon_probability (0.2) gets a coupon */
    CHECK_INT(clv_policy_fixed(&scn, "random", 5, &p, &err), CLV_OK);
    CHECK_INT(p.act(p.ctx, s, obs, n, act, &err), CLV_OK);
    double got = 0, levels[4] = {0};
    bad = 0;
    for (size_t i = 0; i < n; i++) {
        got += act[i].coupon > 0;
        levels[act[i].coupon]++;
        bad += act[i].coupon == 0 && act[i].price != 1;
    }
    CHECK_INT(bad, 0);
    CHECK_NEAR(got / n, 0.2, 5 * sqrt(0.2 * 0.8 / n));
    for (int k = 1; k <= 3; k++)
        CHECK_NEAR(levels[k] / got, 1.0 / 3, 5 * sqrt(2.0 / 9 / got));
    /* the same seed, the same draws */
    clv_action *again = malloc(n * sizeof *again);
    CHECK_INT(p.act(p.ctx, s, obs, n, again, &err), CLV_OK);
    CHECK(memcmp(act, again, n * sizeof *act) == 0);
    clv_policy_free(&p);

    /* rfm: coupon 1 to at-risk customers at or above the median spend of the at-risk */
    CHECK_INT(clv_policy_fixed(&scn, "rfm", 1, &p, &err), CLV_OK);
    CHECK_INT(p.act(p.ctx, s, obs, n, act, &err), CLV_OK);
    double at_risk = 0, sent = 0;
    bad = 0;
    for (size_t i = 0; i < n; i++) {
        at_risk += obs[i].stage == CLV_STAGE_AT_RISK;
        sent += act[i].coupon == 1;
        bad += act[i].coupon && obs[i].stage != CLV_STAGE_AT_RISK;
    }
    CHECK_INT(bad, 0);
    CHECK(at_risk > 100);
    CHECK(sent >= at_risk / 2 && sent < at_risk / 2 + at_risk * 0.05); /* ties at the median count in */
    clv_policy_free(&p);

    /* welcome: coupon evaluation.welcome.coupon to the customers in the stage new, nothing to the others */
    scn.evaluation.welcome_coupon = 2;
    CHECK_INT(clv_policy_fixed(&scn, "welcome", 1, &p, &err), CLV_OK);
    CHECK_INT(p.act(p.ctx, s, obs, n, act, &err), CLV_OK);
    double fresh = 0;
    bad = 0;
    for (size_t i = 0; i < n; i++) {
        fresh += obs[i].stage == CLV_STAGE_NEW;
        bad += act[i].price != 1 || act[i].coupon != (obs[i].stage == CLV_STAGE_NEW ? 2 : 0);
    }
    CHECK_INT(bad, 0);
    CHECK(fresh > 10 && fresh < n);
    clv_policy_free(&p);
    scn.evaluation.welcome_coupon = 4; /* past the three coupons */
    CHECK_INT(clv_policy_fixed(&scn, "welcome", 1, &p, &err), CLV_EINPUT);
    CHECK_STR(err.field, "evaluation.welcome.coupon");
    scn.evaluation.welcome_coupon = 1;

    /* the price levels (holiday's 0.95, 1.0, 1.05): every customer at the
     * level, no coupon */
    static const struct { const char *name; int level; } price_pol[] = {
        {"price-up", 2}, {"price-down", 0}, {"price-3", 2}, {"price-1", 0}};
    for (size_t k = 0; k < sizeof price_pol / sizeof price_pol[0]; k++) {
        CHECK_INT(clv_policy_fixed(&scn, price_pol[k].name, 1, &p, &err), CLV_OK);
        CHECK_STR(p.name, price_pol[k].name);
        CHECK_INT(p.act(p.ctx, s, obs, n, act, &err), CLV_OK);
        bad = 0;
        for (size_t i = 0; i < n; i++)
            bad += act[i].coupon != 0 || act[i].price != price_pol[k].level;
        CHECK_INT(bad, 0);
        clv_policy_free(&p);
    }

    /* names */
    CHECK_INT(clv_policy_fixed(&scn, "price-2", 1, &p, &err), CLV_EINPUT); /* the list price is none's */
    CHECK_STR(err.msg, "expected price-K with K a price level in 1..3 other than list (2), got \"price-2\"");
    CHECK_INT(clv_policy_fixed(&scn, "price-4", 1, &p, &err), CLV_EINPUT);
    CHECK_INT(clv_policy_fixed(&scn, "price-x", 1, &p, &err), CLV_EINPUT);
    CHECK_INT(clv_policy_fixed(&scn, "prices", 1, &p, &err), CLV_EINPUT); /* STEM-K only */
    CHECK(strstr(err.msg, "unknown policy \"prices\"") != NULL);
    CHECK_INT(clv_policy_fixed(&scn, "blanket-4", 1, &p, &err), CLV_EINPUT);
    CHECK_STR(err.msg, "expected blanket-K with K a coupon level in 1..3, got \"blanket-4\"");
    CHECK_INT(clv_policy_fixed(&scn, "sarsa", 1, &p, &err), CLV_EINPUT);
    CHECK_INT(clv_policy_fixed(&scn, "genius", 1, &p, &err), CLV_EINPUT);
    CHECK_STR(err.msg, "unknown policy \"genius\"; expected none, blanket-K (K in 1..3), random, rfm, "
                       "ltv-threshold, price-up, price-down, price-K (K in 1..3, not 2) or welcome");
    clv_policy_free(&p); /* a zeroed policy */

    /* no level above list: price-up says so, price-down still works */
    scn.interventions.prices[2] = 0.9;
    CHECK_INT(clv_policy_fixed(&scn, "price-up", 1, &p, &err), CLV_EINPUT);
    CHECK_STR(err.msg, "\"price-up\" sets the nearest price level above list, but interventions.prices has no level "
                       "above 1.0; expected a level above 1.0 in interventions.prices");
    CHECK_INT(clv_policy_fixed(&scn, "price-down", 1, &p, &err), CLV_OK);
    CHECK_INT(p.act(p.ctx, s, obs, n, act, &err), CLV_OK);
    CHECK_INT(act[0].price, 0); /* 0.95, the nearest below, not 0.9 */
    clv_policy_free(&p);
    free(obs);
    free(act);
    free(again);
    clv_sim_free(s);
}

/* a whole season under each fixed policy: the same bytes with 1 and 2
 * threads, and coupons that cost what they should */
TEST(test_policy_season_deterministic)
{
    const char *names[] = {"blanket-1", "random", "rfm"};
    for (int k = 0; k < 3; k++) {
        clv_scenario scn;
        clv_sim *a = world(&scn, 1), *b = world(&scn, 2);
        if (!a || !b) {
            clv_sim_free(a);
            clv_sim_free(b);
            return;
        }
        clv_policy p;
        clv_error err;
        CHECK_INT(clv_policy_fixed(&scn, names[k], 3, &p, &err), CLV_OK);
        CHECK_INT(clv_sim_run(a, &p, NULL, &err), CLV_OK);
        CHECK_INT(clv_sim_run(b, &p, NULL, &err), CLV_OK);
        size_t na, nb;
        const clv_sim_day *da = clv_sim_days(a, &na), *db = clv_sim_days(b, &nb);
        CHECK(na == nb && memcmp(da, db, na * sizeof *da) == 0);
        double sent = 0, redeemed = 0, cost = 0, revenue = 0, cogs = 0, margin = 0;
        for (size_t d = 0; d < na; d++)
            sent += da[d].coupons_sent, redeemed += da[d].redemptions, cost += da[d].coupon_cost,
                revenue += da[d].revenue, cogs += da[d].cost_of_goods, margin += da[d].net_margin;
        CHECK(sent > 0 && redeemed > 0 && redeemed <= sent);
        CHECK_NEAR(margin, revenue - cogs - cost, 1e-6 * revenue);
        /* every coupon costs its contact, and each redemption at most its cap + redemption cost */
        CHECK(cost >= 0.05 * sent - 1e-6 && cost <= 0.05 * sent + 20.0 * redeemed + 1e-6);
        clv_policy_free(&p);
        clv_sim_free(a);
        clv_sim_free(b);
    }
}

/* the policy type table: one entry per clv_policy_kind, in its order, named
 * as the schema names them; fixed rules build, tables are refused as rules */
TEST(test_policy_type_table)
{
    clv_scenario scn;
    clv_error err;
    CHECK_INT(clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err), CLV_OK);
    size_t n = 0, fixed = 0, learned = 0, planned = 0, bound = 0, qf = 0;
    for (; clv_policy_types[n]; n++) {
        const clv_policy_type *t = clv_policy_types[n];
        CHECK_INT(t->id, (int)n);
        CHECK(clv_policy_type_of(t->id) == t);
        CHECK_STR(t->name, clv_scn_enum_name("evaluation.policies", t->id));
        CHECK(t->doc && t->doc[0] && t->make);
        int level = -1;
        CHECK(clv_policy_type_named(t->name, &level) == t);
        CHECK_INT(level, 0);
        fixed += t->how == CLV_PK_FIXED, learned += t->how == CLV_PK_LEARNED, planned += t->how == CLV_PK_PLANNED;
        bound += t->how == CLV_PK_BOUND;
        /* a learned kind names the algorithm that trains it (a table's clv_algo, or 1 + a Q-function's
         * clv_qf_algo, never both), a planned one its table */
        CHECK(t->how == CLV_PK_LEARNED && t->qf == 0 ? t->algo >= 0 && t->algo < CLV_MAX_ALGOS : t->algo == -1);
        CHECK(t->qf == 0 || (t->how == CLV_PK_LEARNED && t->qf >= 1 && t->qf <= CLV_QF_ALGOS &&
                             strcmp(clv_qf_algo_name(t->qf - 1), t->name) == 0));
        qf += t->qf > 0;
        CHECK(t->how == CLV_PK_PLANNED ? t->myopic == 0 || t->myopic == 1 : t->myopic == -1);
        clv_policy p;
        const char *as = t->per_level == CLV_PER_COUPON ? "blanket-2" : t->per_level == CLV_PER_PRICE ? "price-3"
                                                                                                   : t->name;
        CHECK((t->per_level == CLV_PER_NONE) == (t->stem == NULL));
        const int rc = clv_policy_fixed(&scn, as, 1, &p, &err);
        CHECK_INT(rc, t->how == CLV_PK_FIXED ? CLV_OK : CLV_EINPUT);
        clv_policy_free(&p);
        /* a table kind without its table says so */
        if (t->how == CLV_PK_LEARNED || t->how == CLV_PK_PLANNED) {
            const clv_policy_args a = {.name = t->name, .seed = 1, .threads = 1};
            CHECK_INT(t->make(&scn, &a, &p, &err), CLV_EINPUT);
        }
    }
    CHECK_INT((int)n, CLV_POLICY_N_KINDS); /* one entry per line of clvsim/policy_kinds.h */
    CHECK_INT((int)fixed, 9);
    CHECK_INT((int)learned, 7);
    CHECK_INT((int)qf, CLV_QF_ALGOS);
    CHECK_INT((int)planned, 2);
    CHECK_INT((int)bound, 1);
    CHECK(clv_policy_type_named("clairvoyant", NULL) == clv_policy_type_of(CLV_POLICY_CLAIRVOYANT));
    CHECK_INT(clv_policy_type_of(CLV_POLICY_CLAIRVOYANT)->how, CLV_PK_BOUND);
    CHECK(clv_policy_type_of(-1) == NULL && clv_policy_type_of((int)n) == NULL);
    CHECK(clv_policy_type_named("genius", NULL) == NULL);
    int level = 0;
    CHECK(clv_policy_type_named("blanket-3", &level) == clv_policy_type_of(CLV_POLICY_BLANKET));
    CHECK_INT(level, 3);
    CHECK(clv_policy_type_named("blanket-x", &level) == clv_policy_type_of(CLV_POLICY_BLANKET));
    CHECK_INT(level, 0);
    CHECK(clv_policy_type_named("price-3", &level) == clv_policy_type_of(CLV_POLICY_PRICES));
    CHECK_INT(level, 3);
    CHECK(clv_policy_type_named("price-up", &level) == clv_policy_type_of(CLV_POLICY_PRICE_UP));
    CHECK_INT(level, 0);
    CHECK(clv_policy_type_named("price-down", &level) == clv_policy_type_of(CLV_POLICY_PRICE_DOWN));
    /* the labels of the tables and figures */
    char label[64];
    static const char *const labels[][2] = {{"blanket-2", "blanket 20%"}, {"price-3", "price x1.05"},
                                            {"price-up", "price-up x1.05"}, {"price-down", "price-down x0.95"},
                                            {"sarsa", "sarsa"}};
    for (size_t k = 0; k < sizeof labels / sizeof labels[0]; k++) {
        clv_policy_label(&scn, labels[k][0], label, sizeof label);
        CHECK_STR(label, labels[k][1]);
    }
    clv_policy p;
    CHECK_INT(clv_policy_fixed(&scn, "blanket", 1, &p, &err), CLV_EINPUT); /* NAME-K only */
    CHECK(strstr(err.msg, "unknown policy \"blanket\"") != NULL);
    CHECK_INT(clv_policy_fixed(&scn, "oracle", 1, &p, &err), CLV_EINPUT);
    CHECK_STR(err.msg, "\"oracle\" is learned from simulated episodes, not a fixed rule: clvsim run trains and "
                       "evaluates it (C API: clv_policy_table)");
    CHECK_INT(clv_policy_fixed(&scn, "clairvoyant", 1, &p, &err), CLV_EINPUT);
    CHECK_STR(err.msg, "\"clairvoyant\" is a yardstick that sees the latent state, not a fixed rule: clvsim run "
                       "evaluates it (C API: its entry of clv_policy_types)");
}
