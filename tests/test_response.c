/* test_response.c - the response to contact: the estimators against
 * numbers worked out by hand on a small experiment, the modified Poisson
 * model on a saturated design (where its robust variance is the delta
 * method's), parameter recovery on 100 simulated experiments, the state
 * map and the intensity multiplier kappa. */
#include <math.h>
#include <stdlib.h>

#include "clvsim/response.h"
#include "clvsim/rng.h"
#include "harness.h"

/* ---- the hand fixture ----
 * Arms C (control), T1, T2, 10 customers each; covariate g with levels A
 * (rows 0-4 of each arm) and B (rows 5-9).
 *   C : spends 10, 30 (row 0 in A, row 5 in B), the other 8 rows 0
 *   T1: spends 20, 40, 30 (rows 0-2, A), 10 (row 5, B)
 *   T2: spend 50 (row 0, A)
 * A row converted when its spend is > 0. */
static const double fixture_spend[3][10] = {
    {10, 0, 0, 0, 0, 30, 0, 0, 0, 0},
    {20, 40, 30, 0, 0, 10, 0, 0, 0, 0},
    {50, 0, 0, 0, 0, 0, 0, 0, 0, 0},
};

static clv_experiment *fixture(int arms)
{
    const char *arm_names[] = {"C", "T1", "T2"};
    const char *cov[] = {"g"};
    const char *lv[] = {"1", "2"};
    const char *const *levels[] = {lv};
    const int nl[] = {2};
    clv_experiment *e = NULL;
    clv_error err;
    int st = clv_experiment_alloc((size_t)arms * 10, arms, arm_names, 0, 1, cov, nl, levels, &e, &err);
    CHECK_INT(st, CLV_OK);
    if (st != CLV_OK)
        return NULL;
    for (int a = 0; a < arms; a++)
        for (int i = 0; i < 10; i++) {
            size_t r = (size_t)a * 10 + (size_t)i;
            e->arm[r] = a;
            e->spend[r] = fixture_spend[a][i];
            e->converted[r] = fixture_spend[a][i] > 0;
            e->level[r] = i < 5 ? 0 : 1;
        }
    return e;
}

#define Z95 1.959963984540054 /* the standard normal's 0.975 quantile */

TEST(test_response_estimators_by_hand)
{
    /* Wilson, x = 2, n = 10, z^2 = 3.841458820694124:
     *   centre = (0.2 + z^2/20) / (1 + z^2/10) = 0.3920729410347062 / 1.3841458820694124
     *   half   = z / 1.3841458820694124 * sqrt(0.2 * 0.8 / 10 + z^2 / 400)
     *   -> [0.0566821514543752, 0.509837528463358];
     * x = 4: [0.168180329706236, 0.687326230266342]; x = 1: [0.0178762130950729, 0.404150026795238]. */
    clv_estimate w = clv_wilson(2, 10, Z95);
    CHECK_NEAR(w.est, 0.2, 1e-15);
    CHECK_NEAR(w.lo, 0.0566821514543752, 1e-13);
    CHECK_NEAR(w.hi, 0.509837528463358, 1e-13);
    w = clv_wilson(0, 10, Z95);
    CHECK(w.lo == 0 && w.hi > 0.2 && w.hi < 0.4);
    CHECK(isnan(clv_wilson(0, 0, Z95).est));

    clv_experiment *e = fixture(3);
    if (!e)
        return;
    clv_response_opts o;
    clv_response_opts_default(&o);
    clv_response r;
    clv_error err;
    int st = clv_response_estimate(e, &o, &r, &err);
    CHECK_INT(st, CLV_OK);
    if (st != CLV_OK) {
        char buf[1024];
        harness_fail(__FILE__, __LINE__, "%s", clv_error_format(&err, buf, sizeof buf));
        clv_response_free(&r);
        clv_experiment_free(e);
        return;
    }
    CHECK_NEAR(r.z, Z95, 1e-12);
    CHECK_INT(r.arm[0].n, 10);
    CHECK_INT(r.arm[1].buyers, 4);
    CHECK_NEAR(r.arm[1].rate.lo, 0.168180329706236, 1e-13);
    CHECK_NEAR(r.arm[2].rate.hi, 0.404150026795238, 1e-13);

    /* spend per customer of C: mean 4, sd sqrt((36 + 676 + 8 x 16) / 9)
     * = sqrt(840/9) = 9.66091783079296, 4 -+ z sd / sqrt(10) =
     * [-1.98778887902804, 9.98778887902804]; T1: mean 10, sd
     * sqrt(2000/9) = 14.9071198499986 -> [0.760641171002149, 19.2393588289979] */
    CHECK_NEAR(r.arm[0].spend.est, 4, 1e-12);
    CHECK_NEAR(r.arm[0].sd_spend, 9.66091783079296, 1e-12);
    CHECK_NEAR(r.arm[0].spend.lo, -1.98778887902804, 1e-12);
    CHECK_NEAR(r.arm[1].spend.hi, 19.2393588289979, 1e-12);
    /* spend per buyer: C 20 (sd sqrt(200) = 14.142135623731) -> [0.400360154599461, 39.5996398454005];
     * T1 25 (sd sqrt(500/3) = 12.9099444873581) -> [12.3484868811834, 37.6515131188166];
     * T2 one buyer: 50, no sd, no interval */
    CHECK_NEAR(r.arm[0].spend_buyer.lo, 0.400360154599461, 1e-12);
    CHECK_NEAR(r.arm[1].spend_buyer.hi, 37.6515131188166, 1e-12);
    CHECK_NEAR(r.arm[2].spend_buyer.est, 50, 1e-12);
    CHECK(isnan(r.arm[2].spend_buyer.lo) && isnan(r.arm[2].sd_spend_buyer));

    CHECK_INT(r.n_effects, 2);
    const clv_response_effect *ef = &r.effect[0];
    CHECK_INT(ef->arm, 1);
    /* Newcombe: d = 0.2; lo = 0.2 - sqrt((0.4 - 0.168180329706236)^2 + (0.509837528463358 - 0.2)^2)
     * = -0.186962082870391; hi = 0.2 + sqrt((0.687326230266342 - 0.4)^2 + (0.2 - 0.0566821514543752)^2)
     * = 0.521086231892327 */
    CHECK_NEAR(ef->rate_diff.est, 0.2, 1e-15);
    CHECK_NEAR(ef->rate_diff.lo, -0.186962082870391, 1e-13);
    CHECK_NEAR(ef->rate_diff.hi, 0.521086231892327, 1e-13);
    /* pooled z: p = 6/20 = 0.3, se = sqrt(0.3 x 0.7 x (1/10 + 1/10)) = sqrt(0.042),
     * z = 0.2 / 0.204939015319192 = 0.975900072948533, p = erfc(z / sqrt 2) = 0.329113985978608 */
    CHECK_NEAR(ef->rate_z, 0.975900072948533, 1e-12);
    CHECK_NEAR(ef->rate_p, 0.329113985978608, 1e-12);
    /* RR = 0.4 / 0.2 = 2; se log = sqrt(1/4 - 1/10 + 1/2 - 1/10) = sqrt(0.55);
     * 2 exp(-+ z sqrt 0.55) = [0.467478924229872, 8.55653547716536] */
    CHECK_NEAR(ef->rate_ratio.est, 2, 1e-14);
    CHECK_NEAR(ef->rate_ratio.lo, 0.467478924229872, 1e-12);
    CHECK_NEAR(ef->rate_ratio.hi, 8.55653547716536, 1e-11);
    /* Welch, spend per customer: d = 6, v1 = (2000/9)/10, v0 = (840/9)/10,
     * se = sqrt(v1 + v0) = 5.61743122160... , t = 1.06810349237447,
     * df = (v1 + v0)^2 / (v1^2/9 + v0^2/9) = 15.426385583135; p = 2 P(T_df > t)
     * = 0.301904029503936 (numerical integration of the t density);
     * t_{0.975, df} = 2.12632982444948 -> [-5.94451571198876, 17.9445157119888] */
    CHECK_NEAR(ef->spend_diff.est, 6, 1e-12);
    CHECK_NEAR(ef->spend_t, 1.06810349237447, 1e-12);
    CHECK_NEAR(ef->spend_df, 15.426385583135, 1e-10);
    CHECK_NEAR(ef->spend_p, 0.301904029503936, 1e-7);
    CHECK_NEAR(ef->spend_diff.lo, -5.94451571198876, 1e-5);
    CHECK_NEAR(ef->spend_diff.hi, 17.9445157119888, 1e-5);
    /* spend ratio 10/4 = 2.5, se log = sqrt((2000/9)/(10 x 100) + (840/9)/(10 x 16))
     * -> [0.430490173887565, 14.5183337021587] */
    CHECK_NEAR(ef->spend_ratio.est, 2.5, 1e-14);
    CHECK_NEAR(ef->spend_ratio.lo, 0.430490173887565, 1e-12);
    CHECK_NEAR(ef->spend_ratio.hi, 14.5183337021587, 1e-10);
    /* Welch over buyers: 25 (n 4, var 500/3) - 20 (n 2, var 200) = 5,
     * se = sqrt(500/12 + 100) = 11.9023807142381, t = 0.420084025208403,
     * df = 141.666...^2 / ((500/12)^2/3 + 100^2/1) = 1.89715536105033, p = 0.717191624572058 */
    CHECK_NEAR(ef->buyer_diff.est, 5, 1e-12);
    CHECK_NEAR(ef->buyer_t, 0.420084025208403, 1e-12);
    CHECK_NEAR(ef->buyer_df, 1.89715536105033, 1e-10);
    CHECK_NEAR(ef->buyer_p, 0.717191624572058, 1e-7);

    /* heterogeneity of T1 by g: level 1: 3/5 vs 1/5 -> RR 3, var log = 1/3 - 1/5 + 1 - 1/5
     * = 0.9333..., interval 3 exp(-+ z sqrt .9333) = [0.451629641639054, 19.927832830762];
     * level 2: 1/5 vs 1/5 -> RR 1, var 1.6.  Weights 1.0714285714285714 and 0.625,
     * pooled = 1.0714285714 ln 3 / 1.6964285714 = 0.693860392843017,
     * Q = 1.0714 (ln 3 - pooled)^2 + 0.625 pooled^2 = 0.476427221373388, df 1,
     * p = erfc(sqrt(Q/2)) = 0.490045111013092 */
    const clv_response_het *h = clv_response_het_of(&r, 0, 0);
    CHECK_INT(h->arm, 1);
    CHECK_INT(h->level[0].n_treated, 5);
    CHECK_INT(h->level[0].conv_treated, 3);
    CHECK_INT(h->level[0].conv_control, 1);
    CHECK_NEAR(h->level[0].ratio.est, 3, 1e-14);
    CHECK_NEAR(h->level[0].ratio.lo, 0.451629641639054, 1e-12);
    CHECK_NEAR(h->level[0].ratio.hi, 19.927832830762, 1e-10);
    CHECK_NEAR(h->level[1].ratio.est, 1, 1e-14);
    CHECK_NEAR(h->q, 0.476427221373388, 1e-12);
    CHECK_INT(h->df, 1);
    CHECK_NEAR(h->p, 0.490045111013092, 1e-12);
    CHECK_INT(h->q_excluded, 0);
    /* T2 by g: level 2 has no T2 conversion: no ratio, out of Q, which is then undefined */
    h = clv_response_het_of(&r, 0, 1);
    CHECK_INT(h->arm, 2);
    CHECK(isnan(h->level[1].ratio.est));
    CHECK_INT(h->level[1].in_q, 0);
    CHECK_INT(h->q_excluded, 1);
    CHECK_INT(h->df, 0);
    CHECK(isnan(h->q) && isnan(h->p));
    /* without a map each model is g0 alone: the overall log rate ratio
     * (saturated in treatment), its robust variance the delta method's */
    CHECK_INT(r.n_models, 2);
    CHECK_INT(r.model[0].n_terms, 1);
    CHECK_NEAR(r.model[0].term[0].factor.est, 2, 1e-8);
    CHECK_NEAR(r.model[0].term[0].se, sqrt(0.55), 1e-8);
    clv_response_free(&r);

    /* a 99% level changes the quantile and so the intervals */
    o.confidence = 0.99;
    st = clv_response_estimate(e, &o, &r, &err);
    CHECK_INT(st, CLV_OK);
    CHECK_NEAR(r.z, 2.5758293035489, 1e-9);
    CHECK(r.arm[0].rate.lo < 0.0566821514543752);
    clv_response_free(&r);
    clv_experiment_free(e);
}

/* The model with g mapped, over C and T1 only: saturated (intercept, level
 * 2, treatment, treatment x level 2), so g0 = ln RR of level 1 = ln 3 and
 * g_2 = ln RR_2 - ln RR_1 = -ln 3, and the robust variance of g0 is the
 * delta method's 1/3 - 1/5 + 1 - 1/5 (the sandwich of a saturated binary
 * cell is n p (1-p) / (n p)^2 = 1/x - 1/n); a level without treated
 * conversions is an error naming it. */
TEST(test_response_model_saturated)
{
    clv_experiment *e = fixture(2);
    if (!e)
        return;
    clv_response_map map[1] = {{CLV_MAP_RECENCY_DAYS, 0}};
    clv_response_opts o;
    clv_response_opts_default(&o);
    o.map = map;
    clv_response r;
    clv_error err;
    int st = clv_response_estimate(e, &o, &r, &err);
    CHECK_INT(st, CLV_OK);
    if (st == CLV_OK) {
        const clv_response_model *m = &r.model[0];
        CHECK_INT(m->params, 4);
        CHECK_INT(m->n_terms, 3);
        CHECK_INT(m->term[0].cov, -1);
        CHECK_NEAR(m->term[0].coef, log(3), 1e-8);
        CHECK_NEAR(m->term[0].se, sqrt(1.0 / 3 - 0.2 + 1 - 0.2), 1e-8);
        CHECK_INT(m->term[1].level, 0);
        CHECK(m->term[1].coef == 0 && m->term[1].factor.est == 1);
        CHECK_NEAR(m->term[2].coef, -log(3), 1e-8);
        /* var(g_2) = var(ln RR_2) + var(ln RR_1) = 1.6 + 0.9333 */
        CHECK_NEAR(m->term[2].se, sqrt(1.6 + 1.0 / 3 - 0.2 + 1 - 0.2), 1e-8);
    }
    clv_response_free(&r);
    clv_experiment_free(e);

    e = fixture(3);
    if (!e)
        return;
    st = clv_response_estimate(e, &o, &r, &err);
    CHECK_INT(st, CLV_EINPUT);
    CHECK_STR(err.field, "g");
    CHECK(strstr(err.msg, "level \"2\" has 0 conversions among 5 customers of arm \"T2\"") != NULL);
    CHECK(strstr(err.msg, "merge the level") != NULL);
    clv_response_free(&r);

    /* rows out of range, spend on a row that did not convert, an arm without customers */
    e->spend[3] = 5;
    st = clv_response_estimate(e, &o, &r, &err);
    CHECK_INT(st, CLV_EINPUT);
    CHECK_STR(err.msg, "row 4: expected a spend of 0 on a row that did not convert, got 5");
    clv_response_free(&r);
    e->spend[3] = 0;
    e->converted[3] = 2;
    CHECK_INT(clv_experiment_check(e, &err), CLV_EINPUT);
    CHECK_STR(err.msg, "row 4: expected 0 or 1, got 2");
    e->converted[3] = 0;
    for (int i = 20; i < 30; i++)
        e->arm[i] = 1;
    CHECK_INT(clv_experiment_check(e, &err), CLV_EINPUT);
    CHECK_STR(err.msg, "expected customers in every arm, got none in arm \"T2\"");
    clv_experiment_free(e);
}

/* ---- parameter recovery ---- */

/* The keys of the recovery's simulated experiments: a researcher's purpose
 * (clvsim/streams.h), replication = the seed's index. */
enum { RECOVERY_PURPOSE = CLV_STREAM_USER + 13, RECOVERY_SEEDS = 100, RECOVERY_PER_ARM = 20000 };
static const uint64_t recovery_master_seed = 20261201;

/* One simulated experiment: arms control and treated, RECOVERY_PER_ARM
 * each; covariate "recency" with levels 30, 90, 365 (days) drawn uniformly;
 * control rate base[l], treated rate rr[l] base[l]. */
static clv_experiment *simulate(uint64_t rep, const double *base, const double *rr)
{
    const char *arms[] = {"control", "treated"};
    const char *cov[] = {"recency"};
    const char *lv[] = {"30", "90", "365"};
    const char *const *levels[] = {lv};
    const int nl[] = {3};
    clv_experiment *e = NULL;
    clv_error err;
    if (clv_experiment_alloc(2 * RECOVERY_PER_ARM, 2, arms, 0, 1, cov, nl, levels, &e, &err) != CLV_OK)
        return NULL;
    clv_rng g;
    clv_rng_seed(&g, (clv_stream_key){recovery_master_seed, RECOVERY_PURPOSE, rep, 0});
    for (size_t i = 0; i < e->n; i++) {
        const int a = i >= RECOVERY_PER_ARM;
        const int l = (int)(clv_rng_uniform(&g) * 3);
        const double p = base[l] * (a ? rr[l] : 1);
        e->arm[i] = a;
        e->level[i] = l;
        e->converted[i] = clv_rng_uniform(&g) < p;
        e->spend[i] = e->converted[i] ? 20 + 100 * clv_rng_uniform(&g) : 0;
    }
    return e;
}

static int covers(clv_estimate x, double truth) { return x.lo <= truth && truth <= x.hi; }

TEST(test_response_recovery)
{
    /* homogeneous: control 0.02 at every level, RR 1.6 */
    const double base1[3] = {0.02, 0.02, 0.02}, rr1[3] = {1.6, 1.6, 1.6};
    /* heterogeneous: control 0.03, 0.02, 0.01 and RR 2.0, 1.5, 1.0 by level */
    const double base2[3] = {0.03, 0.02, 0.01}, rr2[3] = {2.0, 1.5, 1.0};
    int cov_rr = 0, cov_diff = 0, cov_g0 = 0, cov_lv[3] = {0}, cov_strat[3] = {0}, fitted = 0, reject_q = 0;
    clv_response_map map[1] = {{CLV_MAP_RECENCY_DAYS, 0}};
    for (int s = 0; s < RECOVERY_SEEDS; s++) {
        clv_experiment *e = simulate((uint64_t)s, base1, rr1);
        clv_response_opts o;
        clv_response_opts_default(&o);
        clv_response r;
        clv_error err;
        if (!e || clv_response_estimate(e, &o, &r, &err) != CLV_OK) {
            clv_experiment_free(e);
            clv_response_free(&r);
            continue;
        }
        cov_rr += covers(r.effect[0].rate_ratio, 1.6);
        cov_diff += covers(r.effect[0].rate_diff, 0.6 * 0.02);
        cov_g0 += covers(r.model[0].term[0].factor, 1.6);
        clv_response_free(&r);
        clv_experiment_free(e);

        e = simulate((uint64_t)(RECOVERY_SEEDS + s), base2, rr2);
        o.map = map;
        if (!e || clv_response_estimate(e, &o, &r, &err) != CLV_OK) {
            clv_experiment_free(e);
            clv_response_free(&r);
            continue;
        }
        fitted++;
        /* the model's factors: g0 = RR of level 30 (2.0), then the levels'
         * factors relative to it: 1, 1.5/2, 1/2 */
        const clv_response_model *m = &r.model[0];
        const double truth[3] = {1.0, 1.5 / 2.0, 1.0 / 2.0};
        cov_lv[0] += covers(m->term[0].factor, 2.0);
        for (int l = 1; l < 3; l++)
            cov_lv[l] += covers(m->term[1 + l].factor, truth[l]);
        const clv_response_het *h = clv_response_het_of(&r, 0, 0);
        for (int l = 0; l < 3; l++)
            cov_strat[l] += covers(h->level[l].ratio, rr2[l]);
        reject_q += h->p < 0.05;
        clv_response_free(&r);
        clv_experiment_free(e);
    }
    CHECK_INT(fitted, RECOVERY_SEEDS);
    printf("    recovery of 100 seeds: RR %d, difference %d, model g0 %d; heterogeneous: g0 %d, g90 %d, "
           "g365 %d, strata %d %d %d, Q rejects %d\n",
           cov_rr, cov_diff, cov_g0, cov_lv[0], cov_lv[1], cov_lv[2], cov_strat[0], cov_strat[1], cov_strat[2],
           reject_q);
    CHECK(cov_rr >= 90);
    CHECK(cov_diff >= 90);
    CHECK(cov_g0 >= 90);
    for (int l = 0; l < 3; l++) {
        CHECK(cov_lv[l] >= 90);
        CHECK(cov_strat[l] >= 90);
    }
    /* RR 2 against 1 at these sizes: Q's power is about 0.9 (the level of
     * 365 days has about 67 conversions per arm: se of its log RR 0.17,
     * of level 30's 0.09), so it rejects at 5% in most seeds; a Q that
     * ignored the levels' differences would reject in about 5 */
    CHECK(reject_q >= 75);
}

/* ---- the map and kappa ---- */

TEST(test_response_state_map)
{
    clv_response_map m;
    clv_error err;
    CHECK_INT(clv_response_map_parse("recency-months", "recency", &m, &err), CLV_OK);
    CHECK_INT(m.kind, CLV_MAP_RECENCY_MONTHS);
    CHECK_INT(clv_response_map_parse("new-within-days:365", "newbie", &m, &err), CLV_OK);
    CHECK_INT(m.kind, CLV_MAP_NEW_WITHIN_DAYS);
    CHECK_INT(m.param, 365);
    CHECK_INT(clv_response_map_parse("new-within-days:0", "newbie", &m, &err), CLV_EINPUT);
    CHECK_INT(clv_response_map_parse("age", "x", &m, &err), CLV_EINPUT);
    CHECK_STR(err.field, "x");
    CHECK(strstr(err.msg, "got \"age\"") && strstr(err.msg, "spend-band"));

    double u;
    m = (clv_response_map){CLV_MAP_RECENCY_MONTHS, 0};
    CHECK_INT(clv_response_level_upper(&m, "3", 0, "recency", &u, &err), CLV_OK);
    CHECK_NEAR(u, 3 * 30.4375, 1e-12);
    CHECK_INT(clv_response_level_upper(&m, "x", 0, "recency", &u, &err), CLV_EINPUT);
    m = (clv_response_map){CLV_MAP_SPEND_BAND, 0};
    CHECK_INT(clv_response_level_upper(&m, "2) $100 - $200", 0, "h", &u, &err), CLV_OK);
    CHECK_NEAR(u, 200, 0);
    CHECK_INT(clv_response_level_upper(&m, "6) $750 - $1,000", 0, "h", &u, &err), CLV_OK);
    CHECK_NEAR(u, 1000, 0);
    CHECK_INT(clv_response_level_upper(&m, "7) $1,000 +", 1, "h", &u, &err), CLV_OK);
    CHECK_NEAR(u, -1, 0);
    CHECK_INT(clv_response_level_upper(&m, "6) $750 - $1,000", 1, "h", &u, &err), CLV_OK);
    CHECK_NEAR(u, -1, 0); /* the last band is unbounded */
    CHECK_INT(clv_response_level_upper(&m, "$100 - $200", 0, "h", &u, &err), CLV_EINPUT);
    m = (clv_response_map){CLV_MAP_NEW_WITHIN_DAYS, 365};
    CHECK_INT(clv_response_level_upper(&m, "1", 0, "n", &u, &err), CLV_OK);
    CHECK_NEAR(u, 365, 0);
    CHECK_INT(clv_response_level_upper(&m, "0", 1, "n", &u, &err), CLV_OK);
    CHECK_NEAR(u, -1, 0);
    CHECK_INT(clv_observable_name(clv_response_map_observable(CLV_MAP_NEW_WITHIN_DAYS)) != NULL, 1);
    CHECK_STR(clv_observable_name(clv_response_map_observable(CLV_MAP_SPEND_BAND)), "spend");
    CHECK_STR(clv_observable_name(clv_response_map_observable(CLV_MAP_RECENCY_DAYS)), "recency");
    CHECK_STR(clv_observable_name(clv_response_map_observable(CLV_MAP_NEW_WITHIN_DAYS)), "age");
}

TEST(test_response_kappa)
{
    /* the closed form: lambda w = 0.5, p0 = 1 - e^-0.5 = 0.393469340287367,
     * RR 1.5: 1 - RR p0 = 0.409795989568950, kappa = -ln(0.40979598956895) / 0.5
     * = 1.78419165907636; computed here from the formula with exp and log */
    const double p0 = 1 - exp(-0.5);
    CHECK_NEAR(clv_response_kappa(1.5, 0.5), -log(1 - 1.5 * p0) / 0.5, 1e-13);
    CHECK_NEAR(clv_response_kappa(1.5, 0.5), 1.78419165907636, 1e-12);
    /* it reproduces the window probability: 1 - exp(-kappa lw) = RR p0 */
    for (double lw = 1e-6; lw < 3; lw *= 3) {
        const double rr = 1.7, k = clv_response_kappa(rr, lw), q = -expm1(-lw);
        if (rr * q < 1)
            CHECK_NEAR(-expm1(-k * lw), rr * q, 1e-12);
    }
    /* the limit lambda w -> 0: kappa -> RR (kappa = RR + RR(RR-1) lw / 2 + O(lw^2)) */
    CHECK_NEAR(clv_response_kappa(1.6, 1e-9), 1.6, 1e-8);
    CHECK_NEAR(clv_response_kappa(1.6, 1e-4), 1.6 + 1.6 * 0.6 * 1e-4 / 2, 1e-7);
    CHECK_NEAR(clv_response_kappa(0.5, 1e-9), 0.5, 1e-8);
    /* a ratio below 1 lowers the intensity; RR 1 and RR 0 exactly */
    CHECK(clv_response_kappa(0.8, 0.3) < 0.8 && clv_response_kappa(0.8, 0.3) > 0);
    CHECK(clv_response_kappa(1, 0.3) == 1);
    CHECK(clv_response_kappa(0, 0.3) == 0);
    /* RR p0 >= 1 is capped at a probability of 1 - 1e-12 */
    CHECK_NEAR(clv_response_kappa(3, 1.0), -log1p(-(1 - 1e-12)) / 1.0, 1e-9);
    CHECK_NEAR(clv_response_kappa(3, 1.0), 27.631, 1e-3);
    CHECK(isnan(clv_response_kappa(1.5, 0)) && isnan(clv_response_kappa(NAN, 1)));
}
