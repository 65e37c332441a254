/* test_response.c - the response to contact: the estimators against
 * numbers worked out by hand on a small experiment, the modified Poisson
 * model on a saturated design (where its robust variance is the delta
 * method's), parameter recovery on 100 simulated experiments, the state
 * map and the intensity multiplier kappa. */
#include <math.h>
#include <stdlib.h>

#include "clvsim/response.h"
#include "clvsim/scenario.h"
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
    CHECK_INT(clv_contact_covariate_name(clv_response_map_observable(CLV_MAP_NEW_WITHIN_DAYS)) != NULL, 1);
    CHECK_STR(clv_contact_covariate_name(clv_response_map_observable(CLV_MAP_SPEND_BAND)), "spend");
    CHECK_STR(clv_contact_covariate_name(clv_response_map_observable(CLV_MAP_RECENCY_DAYS)), "recency");
    CHECK_STR(clv_contact_covariate_name(clv_response_map_observable(CLV_MAP_NEW_WITHIN_DAYS)), "age");
}

/* ---- the reader ---- */

#include <libconfig.h>
#include <unistd.h>
#include <zlib.h>

/* write text to dir/name, gzip-compressed when gz; returns the path (static buffer per call site) */
static void put_file(char *path, size_t n, const char *dir, const char *name, const char *text, int gz)
{
    snprintf(path, n, "%s/%s", dir, name);
    if (gz) {
        gzFile g = gzopen(path, "wb9");
        CHECK(g != NULL);
        if (g) {
            CHECK_INT(gzwrite(g, text, (unsigned)strlen(text)), (int)strlen(text));
            gzclose(g);
        }
        return;
    }
    FILE *fp = fopen(path, "wb");
    CHECK(fp != NULL);
    if (fp) {
        fputs(text, fp);
        fclose(fp);
    }
}

static clv_experiment_opts reader_opts(const char *const *cov, int n_cov)
{
    clv_experiment_opts o = {"arm", "none", "bought", "spend", n_cov, cov};
    return o;
}

/* A small experiment: CRLF, a BOM, quoted fields with commas, a blank line;
 * levels that are numbers (sorted numerically), bands (sorted by their
 * leading number) and words (in order of appearance).  The same text
 * gzip-compressed, under a name that does not say so, reads the same. */
TEST(test_response_reader)
{
    char dir[] = "/tmp/clvsim-response-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    static const char text[] =
        "\xef\xbb\xbf" "id,arm,months,band,town,bought,spend\r\n"
        "1,mail,10,\"2) $100 - $1,000\",Rural,1,25.5\r\n"
        "2,none,9,\"1) $0 - $100\",Urban,0,0\r\n"
        "\r\n"
        "3,\"mail\",2,\"10) $1,000 +\",Rural,0,0\r\n"
        "4,none,10,\"1) $0 - $100\",\"Sub, urban\",1,3\r\n"
        "5,sms,2,\"2) $100 - $1,000\",Urban,0,0\r\n";
    char plain[600], gz[600];
    put_file(plain, sizeof plain, dir, "exp.csv", text, 0);
    put_file(gz, sizeof gz, dir, "exp.txt", text, 1);
    const char *cov[] = {"months", "band", "town"};
    const clv_experiment_opts o = reader_opts(cov, 3);
    for (int pass = 0; pass < 2; pass++) {
        clv_experiment *e = NULL;
        clv_error err;
        int st = clv_experiment_read(pass ? gz : plain, &o, NULL, &e, &err);
        CHECK_INT(st, CLV_OK);
        if (st != CLV_OK) {
            char buf[1024];
            harness_fail(__FILE__, __LINE__, "%s", clv_error_format(&err, buf, sizeof buf));
            continue;
        }
        CHECK_INT(e->n, 5);
        CHECK_INT(e->n_arms, 3);
        CHECK_STR(e->arm_names[0], "mail");
        CHECK_STR(e->arm_names[1], "none");
        CHECK_STR(e->arm_names[2], "sms");
        CHECK_INT(e->control, 1);
        /* months: 2, 9, 10 */
        CHECK_INT(e->n_levels[0], 3);
        CHECK_STR(e->level_names[0][0], "2");
        CHECK_STR(e->level_names[0][2], "10");
        /* bands by their leading number: 1), 2), 10) */
        CHECK_STR(e->level_names[1][0], "1) $0 - $100");
        CHECK_STR(e->level_names[1][1], "2) $100 - $1,000");
        CHECK_STR(e->level_names[1][2], "10) $1,000 +");
        /* words as they came */
        CHECK_STR(e->level_names[2][0], "Rural");
        CHECK_STR(e->level_names[2][2], "Sub, urban");
        /* row 3 (line 5): mail, months 2, band 10), Rural */
        CHECK_INT(e->line[2], 5);
        CHECK_INT(e->arm[2], 0);
        CHECK_INT(e->level[2 * 3 + 0], 0);
        CHECK_INT(e->level[2 * 3 + 1], 2);
        CHECK_NEAR(e->spend[0], 25.5, 0);
        CHECK_INT(e->converted[3], 1);
        clv_experiment_free(e);
    }

    /* bad files: each message with the file, the line and what is accepted */
    static const struct {
        const char *text, *msg;
        int line, gz;
    } bad[] = {
        {"", "expected a header line naming the columns and one row per customer, got an empty file", 0, 0},
        {"id,arm,months,band,town,bought,spend\n", "expected one row per customer after the header, got none", 0, 0},
        {"id,arm,months,band,town,bought\n1,none,1,a,b,0\n",
         "expected a column \"spend\" (--spend-column) in the header, which has: id, arm, months, band, town, bought", 1,
         0},
        {"id,arm,months,band,town,bought,spend\n1,none,1,a,b,2,0\n",
         "expected 0 or 1 (did the customer buy in the window) in column 6, got \"2\"", 2, 0},
        {"id,arm,months,band,town,bought,spend\n1,none,1,a,b,1,-3\n",
         "expected a spend: a number in [0, 1e+15] in column 7, got \"-3\"", 2, 0},
        {"id,arm,months,band,town,bought,spend\n1,none,1,a,b,1,lots\n",
         "expected a spend: a number in [0, 1e+15] in column 7, got \"lots\"", 2, 0},
        {"id,arm,months,band,town,bought,spend\n1,none,1,a,b,0,7\n",
         "expected a spend of 0 on a row that did not convert (bought = 0), got \"7\"", 2, 0},
        {"id,arm,months,band,town,bought,spend\n1,mail,1,a,b,0,0\n2,sms,1,a,b,0,0\n",
         "expected the control arm's label (--control) among the labels of column arm, got \"none\"; the labels "
         "found: \"mail\", \"sms\"",
         0, 0},
        {"id,arm,months,band,town,bought,spend\n1,none,1,a,b,0,0\n2,none,1,a,b,0,0\n",
         "expected customers in a treated arm besides the control \"none\", got none: every row is in the control arm",
         0, 0},
        {"id,arm,months,band,town,bought,spend\n1,none,1,a\n", "expected at least 7 columns, got 4", 2, 0},
        {"id,arm,months,band,town,bought,spend\n1,none,1,\"a,b,0,0\n",
         "expected a closing double quote in column 4, got the end of the line (a quoted field must end on its line)",
         2, 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char path[600], name[32];
        snprintf(name, sizeof name, "bad%zu.csv", i);
        put_file(path, sizeof path, dir, name, bad[i].text, bad[i].gz);
        clv_experiment *e = (clv_experiment *)&e; /* not NULL: the call must reset it */
        clv_error err;
        clv_error_clear(&err);
        int st = clv_experiment_read(path, &o, NULL, &e, &err);
        CHECK_INT(st, CLV_EINPUT);
        CHECK(e == NULL);
        CHECK_STR(err.msg, bad[i].msg);
        CHECK_STR(err.file, path);
        CHECK_INT(err.line, bad[i].line);
    }
    /* a truncated gzip stream */
    {
        char path[600], cut[600];
        put_file(path, sizeof path, dir, "whole.gz", text, 1);
        char *whole = NULL;
        FILE *fp = fopen(path, "rb");
        long size = 0;
        if (fp) {
            fseek(fp, 0, SEEK_END);
            size = ftell(fp);
            rewind(fp);
            whole = malloc((size_t)size);
            CHECK(whole && fread(whole, 1, (size_t)size, fp) == (size_t)size);
            fclose(fp);
        }
        snprintf(cut, sizeof cut, "%s/cut.gz", dir);
        fp = fopen(cut, "wb");
        if (fp && whole) {
            fwrite(whole, 1, (size_t)size - 12, fp);
            fclose(fp);
        }
        free(whole);
        clv_experiment *e = NULL;
        clv_error err;
        CHECK_INT(clv_experiment_read(cut, &o, NULL, &e, &err), CLV_EINPUT);
        CHECK(strstr(err.msg, "expected a complete gzip stream, got a damaged or truncated one") != NULL);
        CHECK(e == NULL);
    }
    CHECK_INT(harness_rm_rf(dir), 0);
}

/* ---- the command ---- */

/* the hand fixture of test_response_estimators_by_hand as a file */
static void fixture_file(char *path, size_t n, const char *dir)
{
    char text[4096];
    size_t o = (size_t)snprintf(text, sizeof text, "arm,g,bought,spend\n");
    static const char *const names[3] = {"C", "T1", "T2"};
    for (int a = 0; a < 3; a++)
        for (int i = 0; i < 10; i++)
            o += (size_t)snprintf(text + o, sizeof text - o, "%s,%d,%d,%g\n", names[a], i < 5 ? 1 : 2,
                                  fixture_spend[a][i] > 0, fixture_spend[a][i]);
    put_file(path, n, dir, "fixture.csv", text, 0);
}

static char *read_in(const char *dir, const char *name)
{
    char p[1600];
    snprintf(p, sizeof p, "%.700s/%.700s", dir, name);
    return harness_read_file(p);
}

/* The command on the hand fixture: exit 0, its files, the hand numbers in
 * arms.csv and effects.csv, a level without a conversion in an arm written
 * as empty fields, response.cfg that libconfig reads with floats; then the
 * bad inputs of the command line, each with exit 2 and its message. */
TEST(test_cli_fit_response)
{
    char dir[] = "/tmp/clvsim-fitresp-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[600], out[700];
    fixture_file(path, sizeof path, dir);
    snprintf(out, sizeof out, "%s/out", dir);
    /* the model of T2 has a level without conversions when g is mapped:
     * unmapped, g is reported only, and each model is its arm's factor */
    harness_proc r = harness_run(ARGS("fit-response", path, "--arm-column", "arm", "--control", "C",
                                      "--converted-column", "bought", "--spend-column", "spend", "--window-days", "14",
                                      "--covariates", "g", "-o", out, "--quiet"));
    CHECK_INT(r.status, 0);
    CHECK(r.out && strstr(r.out, "Experiment ") && strstr(r.out, "30 customers in 3 arms"));
    CHECK(r.out && strstr(r.out, "T1") && strstr(r.out, "ratio 2.000 [0.467, 8.557]"));
    CHECK(r.out && strstr(r.out, "g (not mapped to the simulator's state: reported only)"));
    CHECK(r.out && strstr(r.out, "not in the model (not observable by the simulator): g"));
    CHECK(r.out && !strstr(r.out, "nan") && !strstr(r.out, "inf"));
    harness_proc_free(&r);
    static const char *const files[] = {"arms.csv", "effects.csv", "heterogeneity.csv", "model.csv",
                                        "response.cfg", "report.txt", "effect_g.csv"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *t = read_in(out, files[i]);
        CHECK(t != NULL);
        if (t && (strstr(t, "nan") || strstr(t, "inf")))
            harness_fail(__FILE__, __LINE__, "%s holds a non-finite number", files[i]);
        free(t);
    }
    char *arms = read_in(out, "arms.csv");
    CHECK(arms && strstr(arms, "\nC,1,10,2,0.2,0.05668215145,0.5098375285,4,-1.987788879,9.987788879,"));
    /* T2's single buyer: spend per buyer 50, no interval, no sd: empty fields */
    CHECK(arms && strstr(arms, "\nT2,0,10,1,0.1,0.0178762131,0.4041500268,5,"));
    CHECK(arms && strstr(arms, ",50,,,\n"));
    free(arms);
    char *eff = read_in(out, "effects.csv");
    CHECK(eff && strstr(eff, "\nT1,C,0.2,-0.1869620829,0.5210862319,0.9759000729,0.329114,2,0.4674789242,8.556535477,6,"));
    free(eff);
    char *het = read_in(out, "heterogeneity.csv");
    /* T2 in level 2: no conversion, no ratio, out of Q, Q undefined */
    CHECK(het && strstr(het, "\ng,,T2,2,2,5,5,1,0,0.2,0,,,,"));
    CHECK(het && strstr(het, "\ng,,T1,1,1,5,5,1,3,0.2,0.6,3,0.4516296416,19.92783283,"));
    CHECK(het && strstr(het, ",1,0.4764272214,1,0.490045\n"));
    free(het);
    char *cfg = read_in(out, "response.cfg");
    CHECK(cfg && strncmp(cfg, "# clvsim fit-response ", 22) == 0);
    CHECK(cfg && strstr(cfg, " --control C --converted-column bought "));
    free(cfg);
    /* libconfig reads the block: window_days, and floats for every number */
    {
        config_t c;
        config_init(&c);
        char p[1600];
        snprintf(p, sizeof p, "%.700s/response.cfg", out);
        CHECK_INT(config_read_file(&c, p), CONFIG_TRUE);
        int w = 0;
        CHECK(config_lookup_int(&c, "contact.window_days", &w) == CONFIG_TRUE && w == 14);
        config_setting_t *eff_list = config_lookup(&c, "contact.effects");
        CHECK(eff_list && config_setting_length(eff_list) == 2);
        for (int i = 0; eff_list && i < config_setting_length(eff_list); i++) {
            config_setting_t *row = config_setting_get_elem(eff_list, (unsigned)i);
            static const char *const fl[] = {"upper", "factor", "ratio", "ratio_lo", "ratio_hi", "control_rate",
                                             "treated_rate"};
            for (size_t k = 0; k < sizeof fl / sizeof fl[0]; k++) {
                config_setting_t *x = config_setting_get_member(row, fl[k]);
                CHECK(x && config_setting_type(x) == CONFIG_TYPE_FLOAT);
            }
            const char *cv = NULL;
            CHECK(config_setting_lookup_string(row, "covariate", &cv) && strcmp(cv, "all") == 0);
        }
        double f = 0;
        config_setting_t *row0 = eff_list ? config_setting_get_elem(eff_list, 0) : NULL;
        CHECK(row0 && config_setting_lookup_float(row0, "ratio", &f) && fabs(f - 2) < 1e-12);
        CHECK(row0 && config_setting_lookup_float(row0, "factor", &f) && fabs(f - 2) < 1e-5);
        config_destroy(&c);
    }

    /* mapped, the model of T2 cannot be fitted: level 2 has no T2 conversion */
    r = harness_run(ARGS("fit-response", path, "--arm-column", "arm", "--control", "C", "--converted-column", "bought",
                         "--spend-column", "spend", "--window-days", "14", "--covariates", "g", "--state-map",
                         "g=recency-days", "-o", out, "--quiet"));
    CHECK_INT(r.status, 2);
    CHECK(r.err && strstr(r.err, "fixture.csv: g: level \"2\" has 0 conversions among 5 customers of arm \"T2\""));
    harness_proc_free(&r);

    /* the command line's bad inputs */
    static const struct {
        const char *opt, *val, *msg;
    } bad[] = {
        {"--window-days", "0", "clvsim fit-response: --window-days: expected an integer in [1, 365], got '0'"},
        {"--window-days", "400", "clvsim fit-response: --window-days: expected an integer in [1, 365], got '400'"},
        {"--state-map", "g=age", "state-map g: expected a kind recency-months, recency-days, spend-band, spend or "
                                 "new-within-days:N (N days in [1, 36500]), got \"age\""},
        {"--state-map", "h=spend", "state-map: expected a column of --covariates, got \"h\""},
        {"--state-map", "g=spend-band", "fixture.csv: g: spend-band: expected levels \"k) $a - $b\" or \"k) $a +\", "
                                        "got \"1\""},
        {"--control", "X", "fixture.csv: control: expected the control arm's label (--control) among the labels of "
                           "column arm, got \"X\"; the labels found: \"C\", \"T1\", \"T2\""},
        {"--spend-column", "amount", "fixture.csv:1: spend_column: expected a column \"amount\" (--spend-column) in "
                                     "the header, which has: arm, g, bought, spend"},
        {"--confidence", "1", "clvsim fit-response: --confidence: expected a number in [0.5, 0.9999], got '1'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *argv_[24] = {"fit-response", path, "--arm-column", "arm", "--control", "C",
                                 "--converted-column", "bought", "--spend-column", "spend", "--window-days", "14",
                                 "--covariates", "g", "-o", out, "--quiet"};
        int n = 17;
        /* the option replaces the default one, or is added */
        int found = 0;
        for (int k = 2; k < n; k += 2)
            if (strcmp(argv_[k], bad[i].opt) == 0)
                argv_[k + 1] = bad[i].val, found = 1;
        if (!found) {
            argv_[n++] = bad[i].opt;
            argv_[n++] = bad[i].val;
        }
        argv_[n] = NULL;
        r = harness_run(argv_);
        CHECK_INT(r.status, 2);
        if (!r.err || !strstr(r.err, bad[i].msg))
            harness_fail(__FILE__, __LINE__, "%s %s: stderr\n      %s\n      expected to hold\n      %s", bad[i].opt,
                         bad[i].val, r.err ? r.err : "(none)", bad[i].msg);
        harness_proc_free(&r);
    }
    /* a required option missing */
    r = harness_run(ARGS("fit-response", path, "--arm-column", "arm", "--control", "C", "--converted-column", "bought",
                         "--spend-column", "spend", "-o", out));
    CHECK_INT(r.status, 2);
    CHECK(r.err && strstr(r.err, "clvsim fit-response: --window-days is required"));
    harness_proc_free(&r);
    /* the failed runs left the first run's files as they were */
    char *rep = read_in(out, "report.txt");
    CHECK(rep && strstr(rep, "30 customers in 3 arms"));
    free(rep);
    CHECK_INT(harness_rm_rf(dir), 0);
}

/* the README's command on the Hillstrom file into out, with a --state-map
 * when map is not NULL */
static harness_proc fit_hillstrom(const char *gz, const char *out, const char *map)
{
    const char *argv[] = {"fit-response", gz, "--arm-column", "segment", "--control", "No E-Mail",
                          "--converted-column", "conversion", "--spend-column", "spend", "--window-days", "14",
                          "--covariates", "recency,history_segment,newbie,channel,zip_code,mens,womens", "-o", out,
                          "--quiet", map ? "--state-map" : NULL, map, NULL};
    return harness_run(argv);
}

/* The Hillstrom e-mail experiment end to end (../shared/data): the arms'
 * counts of its README, the rates and spends against values computed here
 * from the decompressed file (gzip -dc), the files, and the block of
 * response.cfg: 2 arms x (1 + 12 months + 7 bands + 2 newbie levels) rows,
 * each (arm, covariate) in increasing upper bound. */
TEST(test_cli_fit_response_hillstrom)
{
    char *gz = harness_shared_data("hillstrom.csv.gz");
    if (!gz)
        return;
    /* the independent count: a quote-aware split of each line */
    static const char *const arms[3] = {"Mens E-Mail", "Womens E-Mail", "No E-Mail"};
    long n[3] = {0}, conv[3] = {0}, rows = 0;
    double spend[3] = {0};
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "gzip -dc '%s'", gz);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    char line[4096];
    while (p && fgets(line, sizeof line, p)) {
        if (rows++ == 0)
            continue; /* the header */
        char *field[16];
        int k = 0, quoted = 0;
        field[k++] = line;
        for (char *c = line; *c && k < 16; c++) {
            if (*c == '"')
                quoted = !quoted;
            else if (*c == ',' && !quoted) {
                *c = '\0';
                field[k++] = c + 1;
            }
        }
        CHECK_INT(k, 12);
        if (k < 12)
            break;
        for (int a = 0; a < 3; a++)
            if (strcmp(field[8], arms[a]) == 0) {
                n[a]++;
                conv[a] += atoi(field[10]);
                spend[a] += strtod(field[11], NULL);
            }
    }
    if (p)
        CHECK_INT(pclose(p), 0);
    CHECK_INT(rows, 64001);
    CHECK_INT(n[0], 21307);
    CHECK_INT(n[1], 21387);
    CHECK_INT(n[2], 21306);

    char dir[] = "/tmp/clvsim-hillstrom-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char out[700];
    snprintf(out, sizeof out, "%s/out", dir);
    harness_proc r = fit_hillstrom(gz, out, NULL);
    CHECK_INT(r.status, 0);
    CHECK(r.out && strstr(r.out, "64000 customers in 3 arms, purchases in a 14-day window; intervals at 95%"));
    CHECK(r.out && strstr(r.out, "Q Womens E-Mail: ") && strstr(r.out, "history_segment (mapped: spend-band"));
    CHECK(r.out && strstr(r.out, "not in the model (not observable by the simulator): channel, zip_code, mens, womens"));
    harness_proc_free(&r);

    /* arms.csv against the independent sums */
    char *csv = read_in(out, "arms.csv");
    CHECK(csv != NULL);
    for (int a = 0; csv && a < 3; a++) {
        char key[64];
        snprintf(key, sizeof key, "\n%s,%d,", arms[a], a == 2);
        const char *row = strstr(csv, key);
        CHECK(row != NULL);
        if (!row)
            continue;
        long cn = 0, cb = 0;
        double rate = NAN, lo = NAN, hi = NAN, sp = NAN;
        CHECK_INT(sscanf(row + strlen(key), "%ld,%ld,%lf,%lf,%lf,%lf", &cn, &cb, &rate, &lo, &hi, &sp), 6);
        CHECK_INT(cn, n[a]);
        CHECK_INT(cb, conv[a]);
        CHECK_NEAR(rate, (double)conv[a] / (double)n[a], 1e-10);
        CHECK_NEAR(sp, spend[a] / (double)n[a], 1e-8);
        CHECK(lo < rate && rate < hi);
    }
    free(csv);

    /* the block */
    config_t c;
    config_init(&c);
    char path[1600];
    snprintf(path, sizeof path, "%.700s/response.cfg", out);
    CHECK_INT(config_read_file(&c, path), CONFIG_TRUE);
    config_setting_t *list = config_lookup(&c, "contact.effects");
    CHECK(list && config_setting_length(list) == 44);
    const char *prev_arm = "", *prev_cov = "";
    double prev_upper = -2;
    for (int i = 0; list && i < config_setting_length(list); i++) {
        config_setting_t *row = config_setting_get_elem(list, (unsigned)i);
        const char *arm = "", *cov = "";
        double upper = 0, factor = 0, ratio = 0;
        int customers = 0;
        CHECK(config_setting_lookup_string(row, "arm", &arm) && config_setting_lookup_string(row, "covariate", &cov));
        CHECK(config_setting_lookup_float(row, "upper", &upper) && config_setting_lookup_float(row, "factor", &factor) &&
              config_setting_lookup_float(row, "ratio", &ratio) &&
              config_setting_lookup_int(row, "customers", &customers));
        CHECK(factor > 0 && ratio > 0 && customers > 0);
        if (strcmp(arm, prev_arm) == 0 && strcmp(cov, prev_cov) == 0)
            CHECK(prev_upper >= 0 && (upper < 0 || upper > prev_upper)); /* increasing, the unbounded last */
        else
            CHECK(strcmp(cov, "all") == 0 || strcmp(prev_cov, cov) != 0);
        CHECK(strcmp(cov, "all") == 0 || strcmp(cov, "recency") == 0 || strcmp(cov, "spend") == 0 ||
              strcmp(cov, "age") == 0);
        prev_arm = arm, prev_cov = cov, prev_upper = upper;
    }
    config_destroy(&c);
    char *txt = read_in(out, "response.cfg");
    CHECK(txt && strstr(txt, "{ arm = \"Mens E-Mail\"; covariate = \"recency\"; level = \"1\"; upper = 30.4375; "
                             "factor = 1.0;"));
    CHECK(txt && strstr(txt, "covariate = \"spend\"; level = \"7) $1,000 +\"; upper = -1.0;"));
    CHECK(txt && strstr(txt, "covariate = \"age\"; level = \"1\"; upper = 365.0;"));
    CHECK(txt && strstr(txt, "--control 'No E-Mail'"));
    free(txt);
    static const char *const files[] = {"effects.csv", "heterogeneity.csv", "model.csv", "report.txt",
                                        "effect_recency.csv", "effect_history_segment.csv", "effect_womens.csv"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *t = read_in(out, files[i]);
        CHECK(t != NULL);
        free(t);
    }
    free(gz);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_INT(system(cmd), 0);
}

/* A stop asked through the progress: the reader stops (every 4096 rows),
 * the estimates stop before a model, and each says so with
 * CLV_ECANCELLED; reports name their phases. */
typedef struct stop_after {
    int reports, stop_at;
    char phase[64];
} stop_after;

static int stop_fn(void *ctx, const char *phase, double done, double total)
{
    (void)done, (void)total;
    stop_after *s = ctx;
    snprintf(s->phase, sizeof s->phase, "%s", phase);
    return ++s->reports >= s->stop_at;
}

TEST(test_response_cancel)
{
    clv_experiment *e = simulate(0, (const double[3]){0.02, 0.02, 0.02}, (const double[3]){1.5, 1.5, 1.5});
    CHECK(e != NULL);
    if (!e)
        return;
    stop_after s = {0, 1, ""};
    clv_progress p = {stop_fn, &s, NULL};
    clv_response_opts o;
    clv_response_opts_default(&o);
    o.progress = &p;
    clv_response r;
    clv_error err;
    CHECK_INT(clv_response_estimate(e, &o, &r, &err), CLV_ECANCELLED);
    CHECK_STR(s.phase, "fitting the response model");
    clv_response_free(&r);
    s = (stop_after){0, 1000, ""};
    CHECK_INT(clv_response_estimate(e, &o, &r, &err), CLV_OK);
    CHECK_INT(s.reports, 2);
    clv_response_free(&r);

    /* the reader: 40000 rows, a stop at the first report */
    char dir[] = "/tmp/clvsim-rcancel-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[600];
    snprintf(path, sizeof path, "%s/big.csv", dir);
    FILE *fp = fopen(path, "w");
    CHECK(fp != NULL);
    if (fp) {
        fputs("arm,recency,bought,spend\n", fp);
        for (size_t i = 0; i < e->n; i++)
            fprintf(fp, "%s,%s,%d,%.2f\n", e->arm_names[e->arm[i]], e->level_names[0][e->level[i]], e->converted[i],
                    e->spend[i]);
        fclose(fp);
    }
    const char *cov[] = {"recency"};
    const clv_experiment_opts ro = {"arm", "control", "bought", "spend", 1, cov};
    clv_experiment *back = NULL;
    s = (stop_after){0, 1, ""};
    CHECK_INT(clv_experiment_read(path, &ro, &p, &back, &err), CLV_ECANCELLED);
    CHECK(back == NULL);
    CHECK_STR(s.phase, "reading");
    /* read in full, it is the experiment written */
    s = (stop_after){0, 1000, ""};
    CHECK_INT(clv_experiment_read(path, &ro, &p, &back, &err), CLV_OK);
    CHECK(s.reports >= 9);
    if (back) {
        CHECK_INT(back->n, e->n);
        long same = 0;
        for (size_t i = 0; i < e->n; i++)
            same += back->arm[i] == e->arm[i] && back->converted[i] == e->converted[i] &&
                    fabs(back->spend[i] - e->spend[i]) < 0.006 &&
                    strcmp(back->level_names[0][back->level[i]], e->level_names[0][e->level[i]]) == 0;
        CHECK_INT(same, (long)e->n);
        /* numeric levels in numeric order: 30, 90, 365 */
        CHECK_STR(back->level_names[0][0], "30");
        CHECK_STR(back->level_names[0][2], "365");
    }
    clv_experiment_free(back);
    clv_experiment_free(e);
    CHECK_INT(harness_rm_rf(dir), 0);
}

/* The shipped scenarios' contact effects are what the command in their
 * comment gives on the Hillstrom file: every row, every field. */
TEST(test_scenarios_response_block)
{
    char *gz = harness_shared_data("hillstrom.csv.gz");
    if (!gz)
        return;
    char dir[] = "/tmp/clvsim-block-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char out[700];
    snprintf(out, sizeof out, "%s/out", dir);
    harness_proc r = fit_hillstrom(gz, out, "newbie=new-within-days:365");
    CHECK_INT(r.status, 0);
    harness_proc_free(&r);
    /* the block as a scenario's response section */
    char *block = read_in(out, "response.cfg");
    CHECK(block != NULL);
    char cfg[800];
    snprintf(cfg, sizeof cfg, "%s/fitted.cfg", dir);
    FILE *fp = fopen(cfg, "w");
    CHECK(fp != NULL);
    if (fp && block) {
        fprintf(fp, "response = {\n%s\n};\n", block);
        fclose(fp);
    }
    clv_scenario fitted, shipped;
    clv_error err;
    CHECK_INT(clv_scn_load(cfg, NULL, 0, &fitted, &err), CLV_OK);
    static const char *const files[3] = {"scenarios/holiday.cfg", "scenarios/baseline.cfg", "scenarios/tight-budget.cfg"};
    for (int f = 0; f < 3; f++) {
        CHECK_INT(clv_scn_load(files[f], NULL, 0, &shipped, &err), CLV_OK);
        const clv_scn_response *a = &shipped.response, *b = &fitted.response;
        CHECK_INT(a->contact_window_days, b->contact_window_days);
        CHECK_INT(a->n_contact, b->n_contact);
        CHECK_INT(a->n_contact, 6); /* two arms: all, new, not new */
        for (int e = 0; e < a->n_contact && e < b->n_contact; e++) {
            const clv_scn_contact_effect *x = &a->contact[e], *y = &b->contact[e];
            CHECK_STR(x->arm, y->arm);
            CHECK_STR(x->level, y->level);
            CHECK_INT(x->covariate, y->covariate);
            CHECK_INT(x->customers, y->customers);
            const double u[8] = {x->upper, x->factor, x->ratio, x->ratio_lo, x->ratio_hi, x->control_rate,
                                 x->treated_rate, 0};
            const double w[8] = {y->upper, y->factor, y->ratio, y->ratio_lo, y->ratio_hi, y->control_rate,
                                 y->treated_rate, 0};
            for (int k = 0; k < 7; k++)
                CHECK_NEAR(u[k], w[k], 0);
        }
        /* the coupons' contact is the women's e-mail */
        for (int k = 0; k < shipped.interventions.n_coupons; k++)
            CHECK_STR(shipped.interventions.coupons[k].contact_arm, "Womens E-Mail");
    }
    free(block);
    CHECK_INT(harness_rm_rf(dir), 0);
    free(gz);
}
