/* test_sim.c - the environment against the closed-form distributions of the
 * models it simulates, its accounting identities, and its independence of
 * the thread count. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>

#include "clvsim/btyd.h"
#include "clvsim/date.h"
#include "clvsim/evaluate.h"
#include "clvsim/policy.h"
#include "clvsim/rng.h"
#include "clvsim/sim.h"
#include "clvsim/txlog.h"
#include "harness.h"

/* a scenario of n existing customers, no seasonality, no acquisition,
 * first purchases during the day before the start (burn-in 0) */
static void cohort_scenario(clv_scenario *s, int model, size_t n, int horizon)
{
    clv_error err;
    CHECK_INT(clv_scn_defaults(s, &err), CLV_OK);
    snprintf(s->scenario.name, sizeof s->scenario.name, "test");
    s->population.model = model;
    s->population.customers = (int64_t)n;
    s->population.burn_in_days = 0;
    s->seasonality.enabled = 0;
    s->acquisition.rate_per_day = 0;
    s->calendar.horizon_days = horizon;
    s->calendar.epoch_days = 7;
}

static clv_sim *make(const clv_scenario *scn, int threads, uint64_t seed)
{
    clv_sim_opts o;
    clv_sim_opts_default(&o);
    o.threads = threads;
    clv_sim *s = NULL;
    clv_error err;
    char buf[1024];
    if (clv_sim_alloc(scn, &o, &s, &err) != CLV_OK) {
        harness_fail(__FILE__, __LINE__, "alloc: %s", clv_error_format(&err, buf, sizeof buf));
        return NULL;
    }
    if (clv_sim_reset(s, seed, 0, &err) != CLV_OK || clv_sim_run(s, NULL, NULL, &err) != CLV_OK) {
        harness_fail(__FILE__, __LINE__, "run: %s", clv_error_format(&err, buf, sizeof buf));
        clv_sim_free(s);
        return NULL;
    }
    return s;
}

/* Repeat purchases of a cohort against the model's P(X(t) = x).  Every
 * customer's first purchase is at a uniform time of the day before the
 * start, so its observation time t is uniform on (H, H + 1] days: the
 * expected frequencies average the pmf over that day (16-point midpoint
 * rule; the pmf barely moves within a day).  Chi-square over 0..11 and 12+
 * against its 99.9% quantile, at a fixed seed. */
static void check_counts(int model, const clv_btyd *m, const clv_scenario *scn, clv_sim *s, double unit_days)
{
    enum { K = 13 };
    size_t n = clv_sim_customers(s);
    clv_sim_obs *obs = malloc(n * sizeof *obs);
    clv_error err;
    CHECK_INT(clv_sim_observe(s, 0, n, obs, &err), CLV_OK);
    long count[K] = {0};
    for (size_t i = 0; i < n; i++) {
        int x = obs[i].purchases - 1;
        count[x < K - 1 ? x : K - 1]++;
    }
    free(obs);
    double H = scn->calendar.horizon_days, p[K] = {0}, rest = 1;
    for (int k = 0; k < K - 1; k++) {
        for (int q = 0; q < 16; q++)
            p[k] += clv_btyd_pmf(m, (H + (q + 0.5) / 16) / unit_days, k) / 16;
        rest -= p[k];
    }
    p[K - 1] = rest;
    double chi2 = 0;
    for (int k = 0; k < K; k++) {
        double e = (double)n * p[k];
        chi2 += (count[k] - e) * (count[k] - e) / e;
    }
    if (!(chi2 < gsl_cdf_chisq_Pinv(0.999, K - 1)))
        harness_fail(__FILE__, __LINE__, "%s: chi-square %.1f of simulated repeat purchases against P(X(t)=x)",
                     model == CLV_MODEL_BGNBD ? "BG/NBD" : "Pareto/NBD", chi2);
}

TEST(test_sim_counts_match_models)
{
    /* BG/NBD and Pareto/NBD fitted to CDNOW (weeks), 60,000 customers over 52 weeks */
    for (int model = 0; model < 2; model++) {
        clv_scenario scn;
        cohort_scenario(&scn, model, 60000, 364);
        clv_btyd m;
        clv_btyd_from_scenario(&m, &scn.population);
        clv_sim *s = make(&scn, 2, 11);
        if (!s)
            continue;
        check_counts(model, &m, &scn, s, 7.0);
        clv_sim_free(s);
    }
    /* rates in days give the same process as rates in weeks scaled by 7 */
    clv_scenario scn;
    cohort_scenario(&scn, CLV_MODEL_BGNBD, 40000, 90);
    scn.population.unit = CLV_UNIT_DAY;
    scn.population.bgnbd.alpha = 4.414 * 7;
    clv_btyd m;
    clv_btyd_from_scenario(&m, &scn.population);
    clv_sim *s = make(&scn, 1, 12);
    if (s)
        check_counts(0, &m, &scn, s, 1.0);
    clv_sim_free(s);
}

/* With seasonal windows a BG/NBD customer's purchases are the model's in
 * "season time", the integral of the multipliers: a window doubling the
 * intensity for 30 days and one halving it for 20 days change the time
 * at which the pmf is read, and nothing else. */
TEST(test_sim_seasonality_time_change)
{
    clv_scenario scn;
    cohort_scenario(&scn, CLV_MODEL_BGNBD, 40000, 120);
    snprintf(scn.calendar.start, sizeof scn.calendar.start, "2026-02-01");
    scn.seasonality.enabled = 1;
    scn.seasonality.n_windows = 2;
    scn.seasonality.windows[0] = (clv_scn_window){"peak", "03-01", "03-30", 2.0, 1.0};
    scn.seasonality.windows[1] = (clv_scn_window){"lull", "04-11", "04-30", 0.5, 1.0};
    /* season time from the start of the day before the start to the end:
     * 121 days, 30 of them count twice, 20 count half */
    const double tau_days = 121 + 30 * (2.0 - 1) + 20 * (0.5 - 1);
    clv_btyd m;
    clv_btyd_from_scenario(&m, &scn.population);
    clv_sim *s = make(&scn, 2, 13);
    if (!s)
        return;
    /* the first purchase is uniform within the first (unit-multiplier) day,
     * so season time is uniform on (tau - 1, tau]: check_counts reads the
     * pmf on (H, H + 1] with H = tau - 1 */
    clv_scenario shifted = scn;
    shifted.calendar.horizon_days = (int)(tau_days - 1);
    check_counts(0, &m, &shifted, s, 7.0);
    clv_sim_free(s);
}

/* Pareto/NBD under seasonal windows: dropout runs in calendar time, so the
 * share alive at the end is E[(beta/(beta+t))^s] whatever the windows, while
 * purchases follow the multipliers: E[X] = r/alpha int_0^t m(u)
 * (beta/(beta+u))^s du, summed here day by day in closed form. */
TEST(test_sim_pareto_seasonal)
{
    enum { N = 60000 };
    clv_scenario scn;
    cohort_scenario(&scn, CLV_MODEL_PARETO, N, 120);
    snprintf(scn.calendar.start, sizeof scn.calendar.start, "2026-02-01");
    scn.seasonality.enabled = 1;
    scn.seasonality.n_windows = 1;
    scn.seasonality.windows[0] = (clv_scn_window){"peak", "03-01", "03-30", 3.0, 1.0};
    clv_sim *s = make(&scn, 2, 17);
    if (!s)
        return;
    const clv_pnbd_params *p = &scn.population.pareto;
    const double r = p->r, al = p->alpha * 7, sh = p->s, be = p->beta * 7; /* per day */
    /* a customer's life starts at a uniform time of day 0 (the day before
     * the start); day k of its life has multiplier 3 in the peak
     * (2026-03-01 is day 29 after 2026-01-31) */
    double ex = 0, alive = 0;
    for (int q = 0; q < 16; q++) {
        double u0 = (q + 0.5) / 16, e = 0; /* time of the first purchase within day 0 */
        for (int k = 0; k <= 120; k++) {
            double a = k == 0 ? 0 : k - u0, b = k + 1 - u0; /* the day in the customer's time */
            double m = k >= 29 && k <= 58 ? 3.0 : 1.0;
            /* int_a^b (be/(be+u))^sh du */
            double I = pow(be, sh) * (pow(be + b, 1 - sh) - pow(be + a, 1 - sh)) / (1 - sh);
            e += m * I;
        }
        ex += r / al * e / 16;
        alive += pow(be / (be + 121 - u0), sh) / 16;
    }
    size_t n = clv_sim_customers(s);
    clv_sim_obs *obs = malloc(n * sizeof *obs);
    clv_error err;
    CHECK_INT(clv_sim_observe(s, 0, n, obs, &err), CLV_OK);
    double sx = 0, sxx = 0, al_count = 0;
    for (size_t i = 0; i < n; i++) {
        double x = obs[i].purchases - 1;
        sx += x, sxx += x * x;
        al_count += clv_sim_alive(s, i);
    }
    double mean = sx / N, se = sqrt((sxx / N - mean * mean) / N);
    CHECK_NEAR(mean, ex, 5 * se);
    CHECK_NEAR(al_count / N, alive, 5 * sqrt(alive * (1 - alive) / N));
    free(obs);
    clv_sim_free(s);
}

/* the sums of the daily totals, the customers' records and the identities
 * between them */
TEST(test_sim_accounting)
{
    clv_scenario scn;
    clv_error err;
    CHECK_INT(clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err), CLV_OK);
    scn.population.customers = 20000;
    scn.population.model = CLV_MODEL_PARETO;
    clv_sim *s = make(&scn, 2, 5);
    if (!s)
        return;
    size_t nd, n = clv_sim_customers(s);
    const clv_sim_day *d = clv_sim_days(s, &nd);
    CHECK_INT(nd, scn.calendar.horizon_days);
    CHECK_INT(d[0].day, clv_date_from_ymd(2026, 11, 1));
    double purchases = 0, first = 0, revenue = 0, margin = 0, cogs = 0;
    int bad_day = 0;
    for (size_t k = 0; k < nd; k++) {
        purchases += d[k].purchases;
        first += d[k].first_purchases;
        revenue += d[k].revenue;
        margin += d[k].net_margin;
        cogs += d[k].cost_of_goods;
        double staged = 0;
        for (int q = 0; q < CLV_STAGE_N; q++)
            staged += d[k].stage[q];
        /* every acquired customer is in exactly one stage; the alive are among them */
        bad_day += staged != d[k].customers || d[k].alive > d[k].customers || d[k].alive < 0 ||
                   (k > 0 && d[k].customers < d[k - 1].customers) || d[k].coupon_cost != 0;
    }
    CHECK_INT(bad_day, 0);
    CHECK_NEAR(margin, revenue * scn.economics.margin_rate, 1e-6 * revenue);
    CHECK_NEAR(revenue - cogs - margin, 0, 1e-6 * revenue);
    /* purchases in the horizon: the repeats of every customer plus the new customers' first ones */
    double rep = 0, alive = 0;
    for (size_t i = 0; i < n; i++) {
        rep += clv_sim_repeat_purchases(s, i);
        alive += clv_sim_alive(s, i);
    }
    CHECK_NEAR(purchases, rep + first, 0);
    CHECK_NEAR(d[nd - 1].customers, (double)n, 0);
    CHECK_NEAR(d[nd - 1].alive, alive, 0);
    CHECK_NEAR(first, (double)(n - 20000), 0);
    /* arrivals: a Poisson total around the seasonal expectation (10 a day,
     * twice as many in the holiday peak, 0.6 times in the lull) */
    double expect = 0;
    for (size_t k = 0; k < nd; k++) {
        int y, mo, dd;
        clv_date_to_ymd(d[k].day, &y, &mo, &dd);
        int32_t bf = 0;
        CHECK_INT(clv_datespec_resolve("black-friday", y, &bf), 0);
        double f = (d[k].day >= bf && mo == 11) || mo == 12 ? 2.0 : (mo == 1 && dd >= 2) ? 0.6 : 1.0;
        expect += 10 * f;
    }
    CHECK_NEAR(first, expect, 5 * sqrt(expect));
    /* spend per transaction: the population mean p gamma / (q - 1) */
    CHECK_NEAR(revenue / purchases, scn.population.spend.p * scn.population.spend.gamma / (scn.population.spend.q - 1),
               0.05 * revenue / purchases);
    clv_sim_free(s);
}

/* the same seed gives the same bytes with 1, 2 and 3 threads */
TEST(test_sim_thread_count_independence)
{
    clv_scenario scn;
    clv_error err;
    CHECK_INT(clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err), CLV_OK);
    scn.population.customers = 12000; /* three blocks of customers and a part */
    for (int model = 0; model < 2; model++) {
        scn.population.model = model;
        clv_sim *ref = make(&scn, 1, 42);
        for (int t = 2; ref && t <= 3; t++) {
            clv_sim *s = make(&scn, t, 42);
            if (!s)
                continue;
            size_t na, nb;
            const clv_sim_day *a = clv_sim_days(ref, &na), *b = clv_sim_days(s, &nb);
            CHECK(na == nb && memcmp(a, b, na * sizeof *a) == 0);
            CHECK_INT(clv_sim_customers(s), clv_sim_customers(ref));
            int diff = 0;
            for (size_t i = 0; i < clv_sim_customers(s); i++)
                diff += clv_sim_repeat_purchases(s, i) != clv_sim_repeat_purchases(ref, i) ||
                        clv_sim_alive(s, i) != clv_sim_alive(ref, i);
            CHECK_INT(diff, 0);
            clv_sim_free(s);
        }
        /* and another seed gives another world */
        clv_sim *other = make(&scn, 1, 43);
        if (ref && other) {
            size_t na, nb;
            const clv_sim_day *a = clv_sim_days(ref, &na), *b = clv_sim_days(other, &nb);
            CHECK(memcmp(a, b, na * sizeof *a) != 0);
        }
        clv_sim_free(other);
        clv_sim_free(ref);
    }
}

/* what a policy sees, and what the environment refuses */
TEST(test_sim_observe_and_actions)
{
    clv_scenario scn;
    cohort_scenario(&scn, CLV_MODEL_BGNBD, 3000, 28);
    scn.population.burn_in_days = 200;
    clv_sim_opts o;
    clv_sim_opts_default(&o);
    clv_sim *s = NULL;
    clv_error err;
    CHECK_INT(clv_sim_alloc(&scn, &o, &s, &err), CLV_OK);
    if (!s)
        return;
    CHECK_INT(clv_sim_reset(s, 7, 0, &err), CLV_OK);
    CHECK_INT(clv_sim_epochs(s), 4);
    size_t n = clv_sim_customers(s);
    CHECK_INT(n, 3000);
    clv_sim_obs *obs = malloc(n * sizeof *obs);
    CHECK_INT(clv_sim_observe(s, 0, n, obs, &err), CLV_OK);
    int bad = 0, stages[CLV_STAGE_N] = {0};
    for (size_t i = 0; i < n; i++) {
        const clv_sim_obs *q = &obs[i];
        bad += q->purchases < 1 || q->recency_days < 0 || q->recency_days > q->age_days || q->age_days >= 200 ||
               q->recent[0] > q->recent[1] || q->recent[1] > q->recent[2] || q->recent[2] > q->purchases ||
               q->max_spend < q->last_spend || q->total_spend < q->max_spend - 1e-3 || q->mean_gap_days < 0 ||
               (q->purchases == 1 && (q->mean_gap_days != 0 || q->age_days != q->recency_days));
        stages[q->stage]++;
        /* the stage follows the documented rules */
        int expect = q->age_days <= 30 ? CLV_STAGE_NEW
                     : q->recency_days <= 90 ? (q->purchases >= 4 ? CLV_STAGE_LOYAL : CLV_STAGE_ACTIVE)
                     : q->recency_days <= 365 ? CLV_STAGE_AT_RISK : CLV_STAGE_CHURNED;
        bad += q->stage != expect;
    }
    CHECK_INT(bad, 0);
    /* after a 200-day burn-in every stage but churned is populated */
    CHECK(stages[CLV_STAGE_NEW] > 0 && stages[CLV_STAGE_ACTIVE] > 0 && stages[CLV_STAGE_LOYAL] > 0 &&
          stages[CLV_STAGE_AT_RISK] > 0);
    CHECK_INT(stages[CLV_STAGE_CHURNED], 0);
    CHECK_STR(clv_stage_name(CLV_STAGE_AT_RISK), "at-risk");
    /* segments are treatment effects: with no contact effect (the default)
     * nobody is persuadable or a sleeping dog, and both other strata occur */
    double segs[4] = {0};
    for (size_t i = 0; i < n; i++)
        segs[clv_sim_segment(s, i)] += 1;
    CHECK_NEAR(segs[CLV_SEG_PERSUADABLE] + segs[CLV_SEG_SLEEPING_DOG], 0, 0);
    CHECK(segs[CLV_SEG_SURE_THING] > 0 && segs[CLV_SEG_LOST_CAUSE] > 0);
    CHECK_STR(clv_segment_name(CLV_SEG_SLEEPING_DOG), "sleeping-dog");

    /* an action out of range is refused with what is accepted */
    CHECK_INT(clv_sim_list_price(s), 0); /* the default prices are [1.0] */
    clv_action *act = calloc(n, sizeof *act);
    act[17].coupon = 3;
    CHECK_INT(clv_sim_step(s, act, NULL, &err), CLV_EINPUT);
    CHECK_STR(err.msg, "customer 17: coupon 3 of 0..2, price level 0 of 0..0");
    act[17].coupon = 0;
    double *margin = calloc(n, sizeof *margin);
    act[5].coupon = 1;
    CHECK_INT(clv_sim_step(s, act, margin, &err), CLV_OK);
    /* coupon exposure is observable */
    CHECK_INT(clv_sim_observe(s, 0, n, obs, &err), CLV_OK);
    CHECK_INT(obs[5].coupons, 1);
    CHECK_NEAR(obs[5].coupon_age_days, 6, 0); /* sent on the epoch's first day, observed at its last */
    CHECK_INT(obs[6].coupons, 0);
    CHECK_NEAR(obs[6].coupon_age_days, -1, 0);
    CHECK_INT(obs[6].holds_coupon, 0);
    /* the rewards add up to the epoch's net margin of existing customers */
    size_t nd;
    const clv_sim_day *d = clv_sim_days(s, &nd);
    double sum = 0, day_sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += margin[i];
    for (size_t k = 0; k < nd; k++)
        day_sum += d[k].net_margin;
    CHECK_INT(nd, 7);
    CHECK_NEAR(sum, day_sum, 1e-6 * (day_sum + 1));
    CHECK(sum > 0);
    while (!clv_sim_done(s))
        CHECK_INT(clv_sim_step(s, NULL, NULL, &err), CLV_OK);
    CHECK_INT(clv_sim_step(s, NULL, NULL, &err), CLV_EINPUT);
    free(obs);
    free(act);
    free(margin);
    clv_sim_free(s);
}

/* write the recorded transactions of the last reset or step as CSV rows */
static int write_tx(void *ctx, const clv_sim_tx *tx)
{
    char d[16];
    fprintf(ctx, "c%u,%s,%.2f\n", tx->customer, clv_date_format(tx->day, d), tx->amount);
    return 0;
}

/* the simulator's own transaction log, read by clv_rfm_read and fitted,
 * gives back the population it was simulated from: every parameter within
 * 4 standard errors (the log is at day resolution, so two purchases on one
 * day merge, as in real logs; at these rates that is rare) */
TEST(test_sim_refit_own_log)
{
    for (int model = 0; model < 2; model++) {
        clv_scenario scn;
        cohort_scenario(&scn, model, 20000, 273);
        scn.population.burn_in_days = 273;
        clv_sim_opts o;
        clv_sim_opts_default(&o);
        o.record = 1;
        o.threads = 2;
        clv_sim *s = NULL;
        clv_error err;
        CHECK_INT(clv_sim_alloc(&scn, &o, &s, &err), CLV_OK);
        if (!s)
            return;
        char path[] = "/tmp/clvsim-simlog-XXXXXX";
        int fd = mkstemp(path);
        FILE *fp = fdopen(fd, "w");
        fprintf(fp, "customer,date,amount\n");
        CHECK_INT(clv_sim_reset(s, 99, 0, &err), CLV_OK);
        CHECK_INT(clv_sim_transactions(s, write_tx, fp), CLV_OK);
        while (!clv_sim_done(s)) {
            CHECK_INT(clv_sim_step(s, NULL, NULL, &err), CLV_OK);
            CHECK_INT(clv_sim_transactions(s, write_tx, fp), CLV_OK);
        }
        fclose(fp);
        size_t nd;
        const clv_sim_day *days = clv_sim_days(s, &nd);
        int32_t end = days[nd - 1].day;
        clv_txlog_opts ro;
        clv_txlog_opts_default(&ro);
        clv_rfm_table *t = NULL;
        CHECK_INT(clv_rfm_read(path, &ro, end, -1, CLV_UNIT_WEEK, NULL, &t, &err), CLV_OK);
        unlink(path);
        if (!t) {
            clv_sim_free(s);
            continue;
        }
        CHECK_INT(t->n, 20000);
        clv_fit_opts fo;
        clv_fit_opts_default(&fo);
        clv_fit_result r;
        const double *truth = model == 0 ? &scn.population.bgnbd.r : &scn.population.pareto.r;
        CHECK_INT(model == 0 ? clv_bgnbd_fit(t->c, t->n, &fo, &r, &err) : clv_pnbd_fit(t->c, t->n, &fo, &r, &err),
                  CLV_OK);
        for (int k = 0; k < 4; k++)
            if (!(fabs(r.par[k] - truth[k]) <= 4 * r.se[k]))
                harness_fail(__FILE__, __LINE__, "%s %s = %g (se %g), simulated with %g", model ? "Pareto/NBD" : "BG/NBD",
                             r.names[k], r.par[k], r.se[k], truth[k]);
        /* the spend model too */
        CHECK_INT(clv_gg_fit(t->c, t->n, &fo, &r, &err), CLV_OK);
        const double *gt = &scn.population.spend.p;
        for (int k = 0; k < 3; k++)
            if (!(fabs(r.par[k] - gt[k]) <= 4 * r.se[k]))
                harness_fail(__FILE__, __LINE__, "Gamma-Gamma %s = %g (se %g), simulated with %g", r.names[k], r.par[k],
                             r.se[k], gt[k]);
        clv_rfm_free(t);
        clv_sim_free(s);
    }
}

static int leave_alone(void *ctx, const clv_sim *s, const clv_sim_obs *obs, size_t n, clv_action *act, clv_error *err)
{
    (void)obs, (void)err;
    int *calls = ctx;
    ++*calls;
    for (size_t i = 0; i < n; i++)
        act[i] = (clv_action){0, (uint8_t)clv_sim_list_price(s)};
    return CLV_OK;
}

/* a policy that leaves everyone alone, through the callback, is the world
 * with no policy at all, byte for byte (holiday.cfg's list price is level 1) */
TEST(test_sim_policy_callback)
{
    clv_scenario scn;
    clv_error err;
    CHECK_INT(clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err), CLV_OK);
    scn.population.customers = 5000;
    clv_sim *a = make(&scn, 1, 3);
    clv_sim_opts o;
    clv_sim_opts_default(&o);
    clv_sim *b = NULL;
    CHECK_INT(clv_sim_alloc(&scn, &o, &b, &err), CLV_OK);
    if (!a || !b)
        return;
    CHECK_INT(clv_sim_list_price(b), 1);
    int calls = 0;
    clv_policy pol = {"leave-alone", leave_alone, &calls, NULL, NULL};
    CHECK_INT(clv_sim_reset(b, 3, 0, &err), CLV_OK);
    CHECK_INT(clv_sim_run(b, &pol, NULL, &err), CLV_OK);
    CHECK_INT(calls, clv_sim_epochs(b));
    size_t na, nb;
    const clv_sim_day *da = clv_sim_days(a, &na), *db = clv_sim_days(b, &nb);
    CHECK(na == nb && memcmp(da, db, na * sizeof *da) == 0);
    clv_sim_free(a);
    clv_sim_free(b);
}

/* ---- interventions ---- */

/* The contact's intensity multiplier against its definition: the
 * probability of buying within w, p0 = 1 - exp(-lambda w), times rr, capped
 * so that not buying falls at most by the factor rr. */
TEST(test_sim_kappa)
{
    /* the closed form: rr = 1.8, lambda w = 0.28 */
    const double p0 = 1 - exp(-0.28);
    CHECK_NEAR(clv_sim_kappa(1.8, 0.28), -log(1 - 1.8 * p0) / 0.28, 1e-12);
    CHECK_NEAR(1 - exp(-clv_sim_kappa(1.8, 0.28) * 0.28), 1.8 * p0, 1e-12);
    /* a rare buyer: kappa tends to rr (the difference is O(lambda w)) */
    CHECK_NEAR(clv_sim_kappa(1.8, 1e-6), 1.8, 1e-5);
    CHECK_NEAR(clv_sim_kappa(1.8, 1e-9), 1.8, 1e-8);
    /* NaN propagates */
    CHECK(isnan(clv_sim_kappa(NAN, 0.1)));
    CHECK(isnan(clv_sim_kappa(1.8, NAN)));
    CHECK_NEAR(clv_sim_kappa(1.8, 0), 1.8, 0);
    CHECK(clv_sim_kappa(1.8, 0.28) > 1.8); /* a frequent buyer needs more intensity for the same ratio */
    /* the cap: rr = 2, p0 = 0.6 would make p1 = 1.2; not buying falls from
     * 0.4 to 0.2, so kappa = ln(0.2) / ln(0.4) = ln(5) / ln(2.5) */
    CHECK_NEAR(clv_sim_kappa(2, -log(0.4)), log(5.0) / log(2.5), 1e-12);
    /* and stays finite for a frequent buyer (exp(-lambda w) below the
     * rounding of 1 - p0): ln(exp(-50) / 2) / -50 */
    CHECK_NEAR(clv_sim_kappa(2, 50), 1 + log(2.0) / 50, 1e-12);
    CHECK_NEAR(clv_sim_kappa(100, 700), 1 + log(100.0) / 700, 1e-12);
    CHECK_NEAR(log(5.0) / log(2.5), 1.7564707973660301, 1e-12); /* by hand: 1.6094379 / 0.9162907 */
    /* a contact that puts customers off: p1 = 0.5 p0, never capped */
    CHECK_NEAR(clv_sim_kappa(0.5, 0.28), -log(1 - 0.5 * p0) / 0.28, 1e-12);
    CHECK(clv_sim_kappa(0.5, 0.28) > 0 && clv_sim_kappa(0.5, 0.28) < 0.5); /* below rr, as it is above rr > 1 */
    CHECK_NEAR(clv_sim_kappa(0.5, 50), -log(1 - 0.5 * (1 - exp(-50.0))) / 50, 1e-12);
    /* no effect: exactly 1 */
    const double lws[] = {0, 1e-9, 0.01, 0.28, 3, 40};
    for (size_t k = 0; k < sizeof lws / sizeof lws[0]; k++)
        CHECK(clv_sim_kappa(1, lws[k]) == 1);
    /* the bound ln(rr + 1) / ln(1 + 1 / rr) over a grid, attained where the
     * cap starts to bind (1 - p0 = rr / (rr + 1)); rr > 1 never lowers
     * intensity, a larger rr never gives a smaller kappa; the probability
     * it gives is rr p0 or the cap */
    int bad = 0;
    double worst = 0;
    for (int a = 0; a <= 60; a++) {
        const double rr = 1.01 * pow(100 / 1.01, a / 60.0), bound = log(rr + 1) / log1p(1 / rr);
        for (int b = 0; b <= 80; b++) {
            const double lw = 1e-6 * pow(5e7, b / 80.0), k = clv_sim_kappa(rr, lw), q0 = exp(-lw);
            const double p1 = fmin(rr * (1 - q0), 1 - q0 / rr);
            bad += !(k <= bound * (1 + 1e-12)) || !(k >= 1) || !(clv_sim_kappa(rr * 1.01, lw) >= k);
            worst = harness_max(worst, fabs(-expm1(-k * lw) - p1));
        }
        CHECK_NEAR(clv_sim_kappa(rr, log1p(1 / rr)), bound, 1e-9 * bound);
    }
    CHECK_INT(bad, 0);
    CHECK_NEAR(worst, 0, 1e-12);
}

/* A population whose purchase rate is known: BG/NBD in days with a gamma
 * of shape 2000 (a spread of 2%) around lambda and no dropout to speak of
 * (a = 1e-5, b = 1e5: p about 1e-10), no seasonality, no acquisition, first
 * purchases on the day before the start (burn-in 0), epochs of epoch_days;
 * one coupon "c" of a tiny discount that nobody uses (redeem_probability
 * 0), valid for one epoch, the dynamics off and no contact effect until a
 * test adds one. */
static void known_rate(clv_scenario *s, size_t n, double lambda, int epoch_days, int epochs)
{
    cohort_scenario(s, CLV_MODEL_BGNBD, n, epoch_days * epochs);
    s->calendar.epoch_days = epoch_days;
    s->population.unit = CLV_UNIT_DAY;
    s->population.bgnbd = (clv_bgnbd_params){2000, 2000 / lambda, 1e-5, 1e5};
    clv_scn_response *r = &s->response;
    r->redeem_probability = 0;
    r->deal_enabled = r->fatigue_enabled = r->carryover_enabled = 0;
    r->n_contact = 0;
    r->contact_window_days = epoch_days;
    s->interventions.n_coupons = 1;
    s->interventions.coupons[0] = (clv_scn_coupon){"c", 1e-6, 1e9, epoch_days, 0.0, 0.0, ""};
    s->interventions.n_prices = 1;
    s->interventions.prices[0] = 1.0;
    s->interventions.budget_per_epoch = s->interventions.budget_total = -1;
}

/* E[exp(-lambda k w)] for known_rate's lambda ~ Gamma(2000, rate 2000 / lambda) */
static double no_purchase(double lambda, double k, double w)
{
    return pow(1 + lambda * k * w / 2000, -2000);
}

/* add a row of response.contact.effects */
static void add_effect(clv_scenario *s, const char *arm, int covariate, const char *level, double upper, double factor)
{
    clv_scn_contact_effect *e = &s->response.contact[s->response.n_contact++];
    memset(e, 0, sizeof *e);
    snprintf(e->arm, sizeof e->arm, "%s", arm);
    snprintf(e->level, sizeof e->level, "%s", level);
    e->covariate = covariate;
    e->upper = upper;
    e->factor = e->ratio = factor;
}

typedef struct {
    double purchases, revenue, coupon_cost, margin, alive_end, sent, refused, redemptions, buyers;
} outcome;

/* Reset with seed and run the epochs, every customer given act[e] in epoch
 * e: out[e] the sums of the epoch's days and its buyers (customers with a
 * purchase in it).  before (may be NULL): what was observable at the
 * reset; bought (may be NULL): whether each customer bought in the first
 * epoch; segment (may be NULL): each customer's segment. */
static void run_epochs(const clv_scenario *scn, int epochs, const clv_action *act, uint64_t seed, outcome *out,
                       clv_sim_obs *before, unsigned char *bought, int *segment)
{
    memset(out, 0, (size_t)epochs * sizeof *out);
    clv_sim_opts so;
    clv_sim_opts_default(&so);
    so.threads = 2;
    clv_sim *s = NULL;
    clv_error err;
    if (clv_sim_alloc(scn, &so, &s, &err) != CLV_OK || clv_sim_reset(s, seed, 0, &err) != CLV_OK) {
        harness_fail(__FILE__, __LINE__, "%s", err.msg);
        clv_sim_free(s);
        return;
    }
    size_t n = clv_sim_customers(s);
    clv_action *a = malloc(n * sizeof *a);
    clv_sim_obs *o0 = malloc(n * sizeof *o0), *o1 = malloc(n * sizeof *o1);
    CHECK_INT(clv_sim_observe(s, 0, n, o0, &err), CLV_OK);
    if (before)
        memcpy(before, o0, n * sizeof *o0);
    for (size_t i = 0; segment && i < n; i++)
        segment[i] = clv_sim_segment(s, i);
    size_t seen = 0;
    for (int e = 0; e < epochs && !clv_sim_done(s); e++) {
        for (size_t i = 0; i < n; i++)
            a[i] = act[e];
        if (clv_sim_step(s, a, NULL, &err) != CLV_OK)
            harness_fail(__FILE__, __LINE__, "step: %s", err.msg);
        size_t nd;
        const clv_sim_day *d = clv_sim_days(s, &nd); /* the days so far: this epoch's are the last */
        outcome *q = &out[e];
        for (size_t k = seen; k < nd; k++) {
            q->purchases += d[k].purchases, q->revenue += d[k].revenue, q->coupon_cost += d[k].coupon_cost;
            q->margin += d[k].net_margin, q->sent += d[k].coupons_sent, q->refused += d[k].coupons_refused;
            q->redemptions += d[k].redemptions;
        }
        q->alive_end = nd ? d[nd - 1].alive : 0;
        CHECK_INT(clv_sim_observe(s, 0, n, o1, &err), CLV_OK);
        for (size_t i = 0; i < n; i++) {
            q->buyers += o1[i].purchases > o0[i].purchases;
            if (bought && e == 0)
                bought[i] = o1[i].purchases > o0[i].purchases;
        }
        memcpy(o0, o1, n * sizeof *o0);
        seen = nd;
    }
    free(a);
    free(o0);
    free(o1);
    clv_sim_free(s);
}

/* a share against its expectation p, within 4 binomial standard errors */
static void check_share(const char *what, double count, double n, double p)
{
    const double tol = 4 * sqrt(p * (1 - p) / n);
    if (!(fabs(count / n - p) <= tol))
        harness_fail(__FILE__, __LINE__, "%s: share %.5f of %.0f, expected %.5f within %.5f", what, count / n, n, p,
                     tol);
}

/* a count of purchases against its expectation: Poisson-like totals, 5
 * standard errors and 5% for the small spread of rates */
static void check_count(const char *what, double count, double expect)
{
    const double tol = 5 * sqrt(expect) * 1.05;
    if (!(fabs(count - expect) <= tol))
        harness_fail(__FILE__, __LINE__, "%s: %.0f purchases, expected %.1f within %.1f", what, count, expect, tol);
}

/* The contact in the world: a coupon that nobody uses (its only effect is
 * the contact) multiplies the share of customers who buy within the
 * experiment's window by the arm's rate ratio, the definition of the
 * fitted effect; with covariate levels, by the product of the factors of
 * the levels the customer's state falls into when the coupon arrives. */
TEST(test_sim_contact_effect)
{
    enum { N = 60000 };
    const double lambda = 0.02, w = 14, p0 = 1 - no_purchase(lambda, 1, w);
    CHECK_NEAR(p0, 1 - exp(-lambda * w), 1e-4); /* the spread barely matters */
    const clv_action none = {0, 0}, coupon = {1, 0};
    clv_scenario scn;
    known_rate(&scn, N, lambda, 14, 1);
    add_effect(&scn, "treated", CLV_CONTACT_ALL, "all", -1, 1.8);
    outcome base, up;
    run_epochs(&scn, 1, &none, 1, &base, NULL, NULL, NULL);
    run_epochs(&scn, 1, &coupon, 2, &up, NULL, NULL, NULL);
    CHECK_NEAR(up.sent, N, 0);
    CHECK_NEAR(up.redemptions, 0, 0);
    CHECK_NEAR(up.coupon_cost, 0, 0);
    check_share("no contact", base.buyers, N, p0);
    check_share("contact of rate ratio 1.8", up.buyers, N, 1.8 * p0);
    /* the contact switched off, or the response as a whole: no effect */
    scn.response.contact_enabled = 0;
    run_epochs(&scn, 1, &coupon, 2, &up, NULL, NULL, NULL);
    check_share("contact disabled", up.buyers, N, p0);
    scn.response.contact_enabled = 1;
    /* a rate ratio below 1 (sleeping dogs on average) */
    scn.response.contact[0].factor = 0.6;
    run_epochs(&scn, 1, &coupon, 3, &up, NULL, NULL, NULL);
    check_share("contact of rate ratio 0.6", up.buyers, N, 0.6 * p0);

    /* levels: after a burn-in of 120 days recency and age vary; the arm's
     * factor 1.4 times 1.8 for recency over 30 days and times 0.6 for an
     * age of at most 60 days.  The reset's state is observed at the end of
     * the day before the start, the coupon arrives on the start day: one
     * day more of recency and age. */
    known_rate(&scn, N, lambda, 14, 1);
    scn.population.burn_in_days = 120;
    add_effect(&scn, "treated", CLV_CONTACT_ALL, "all", -1, 1.4);
    add_effect(&scn, "treated", CLV_CONTACT_RECENCY, "0-30", 30, 1.0);
    add_effect(&scn, "treated", CLV_CONTACT_RECENCY, "31+", -1, 1.8);
    add_effect(&scn, "treated", CLV_CONTACT_AGE, "new", 60, 0.6);
    add_effect(&scn, "treated", CLV_CONTACT_AGE, "old", -1, 1.0);
    clv_sim_obs *obs = malloc(N * sizeof *obs);
    unsigned char *bought = malloc(N);
    double n[2][2] = {{0}}, b[2][2] = {{0}};
    run_epochs(&scn, 1, &coupon, 4, &up, obs, bought, NULL);
    for (size_t i = 0; i < N; i++) {
        const int lapsed = obs[i].recency_days + 1 > 30, young = obs[i].age_days + 1 <= 60;
        n[lapsed][young] += 1;
        b[lapsed][young] += bought[i];
    }
    const double rr[2][2] = {{1.4, 1.4 * 0.6}, {1.4 * 1.8, 1.4 * 1.8 * 0.6}};
    const char *names[2][2] = {{"recent, old", "recent, young"}, {"lapsed, old", "lapsed, young"}};
    for (int l = 0; l < 2; l++)
        for (int y = 0; y < 2; y++) {
            CHECK(n[l][y] > 3000); /* every cell is populated */
            check_share(names[l][y], b[l][y], n[l][y], rr[l][y] * p0);
        }
    /* and without the contact every cell buys at the base rate (the rate
     * does not depend on recency: no dropout, a memoryless clock) */
    run_epochs(&scn, 1, &none, 4, &base, obs, bought, NULL);
    memset(n, 0, sizeof n), memset(b, 0, sizeof b);
    for (size_t i = 0; i < N; i++) {
        const int lapsed = obs[i].recency_days + 1 > 30, young = obs[i].age_days + 1 <= 60;
        n[lapsed][young] += 1;
        b[lapsed][young] += bought[i];
    }
    for (int l = 0; l < 2; l++)
        for (int y = 0; y < 2; y++)
            check_share(names[l][y], b[l][y], n[l][y], p0);

    /* spend: past-year spend at list price, the total for a customer of at
     * most a year, scaled to a year beyond */
    CHECK_NEAR(clv_contact_spend(100, 200), 100, 0);
    CHECK_NEAR(clv_contact_spend(730, 730), 365, 1e-12);
    known_rate(&scn, N, lambda, 14, 1);
    scn.population.burn_in_days = 120;
    add_effect(&scn, "treated", CLV_CONTACT_ALL, "all", -1, 1.2);
    add_effect(&scn, "treated", CLV_CONTACT_SPEND, "low", 50, 1.0);
    add_effect(&scn, "treated", CLV_CONTACT_SPEND, "high", -1, 2.0);
    run_epochs(&scn, 1, &coupon, 5, &up, obs, bought, NULL);
    double ns[2] = {0}, bs[2] = {0};
    for (size_t i = 0; i < N; i++) {
        const int high = obs[i].total_spend > 50;
        ns[high] += 1;
        bs[high] += bought[i];
    }
    CHECK(ns[0] > 3000 && ns[1] > 3000);
    check_share("spend up to 50", bs[0], ns[0], 1.2 * p0);
    check_share("spend over 50", bs[1], ns[1], 2.4 * p0);
    free(obs);
    free(bought);
}

/* One price response: a holder who will use a coupon of depth d buys at
 * the intensity of price level 1 - d, P^elasticity, until it redeems it on
 * its first purchase; so the share who buy within the coupon's validity is
 * that of the price level 1 - d, 1 - E[exp(-lambda (1 - d)^e w)].  A price
 * level holds for the whole epoch: its purchases scale by P^e, and each
 * basket is charged P times list. */
TEST(test_sim_price_response)
{
    enum { N = 60000 };
    const double lambda = 0.01, w = 28, e = -2.62;
    clv_scenario scn;
    known_rate(&scn, N, lambda, 28, 1);
    scn.response.price_enabled = 1, scn.response.elasticity_mean = e, scn.response.elasticity_sd = 0;
    scn.response.redeem_probability = 1;
    scn.interventions.coupons[0] = (clv_scn_coupon){"20%", 0.2, 1e9, 28, 0.0, 0.0, ""};
    scn.interventions.n_prices = 3;
    scn.interventions.prices[0] = 0.8, scn.interventions.prices[1] = 1.0, scn.interventions.prices[2] = 1.25;
    const double k = pow(0.8, e); /* 1.794 */
    outcome base, cheap, coupon, dear;
    run_epochs(&scn, 1, &(clv_action){0, 1}, 1, &base, NULL, NULL, NULL);
    run_epochs(&scn, 1, &(clv_action){0, 0}, 2, &cheap, NULL, NULL, NULL);
    run_epochs(&scn, 1, &(clv_action){1, 1}, 3, &coupon, NULL, NULL, NULL);
    run_epochs(&scn, 1, &(clv_action){0, 2}, 4, &dear, NULL, NULL, NULL);
    check_share("list price", base.buyers, N, 1 - no_purchase(lambda, 1, w));
    check_share("price level 0.8", cheap.buyers, N, 1 - no_purchase(lambda, k, w));
    check_share("coupon of 20%", coupon.buyers, N, 1 - no_purchase(lambda, k, w));
    /* every holder who buys while it is valid redeems, once */
    CHECK_NEAR(coupon.redemptions, coupon.buyers, 0);
    /* price levels: purchases x P^e over the epoch, baskets x P */
    check_count("price level 0.8", cheap.purchases, N * lambda * w * k);
    check_count("price level 1.25", dear.purchases, N * lambda * w * pow(1.25, e));
    check_count("list price", base.purchases, N * lambda * w);
    CHECK_NEAR(dear.revenue / dear.purchases, 1.25 * base.revenue / base.purchases, 0.05 * base.revenue / base.purchases);
    CHECK_NEAR(cheap.revenue / cheap.purchases, 0.8 * base.revenue / base.purchases, 0.05 * base.revenue / base.purchases);
    /* a coupon's holder pays list price and gets the discount back as coupon cost */
    CHECK_NEAR(coupon.revenue / coupon.purchases, base.revenue / base.purchases, 0.05 * base.revenue / base.purchases);
    /* without a price response the coupon's discount changes nothing */
    scn.response.price_enabled = 0;
    run_epochs(&scn, 1, &(clv_action){1, 1}, 3, &coupon, NULL, NULL, NULL);
    check_share("coupon, no price response", coupon.buyers, N, 1 - no_purchase(lambda, 1, w));
}

/* The price levers as policies (clvsim/policy.h): price-up and price-down
 * put everyone at the nearest level above or below list for the whole
 * run, so with elasticity e (sd 0) a population buying at rate lambda
 * makes N lambda w P^e purchases over w days (a Poisson-gamma total:
 * check_count's 5 standard errors), no coupon is sent, and each basket z
 * is charged z P against its cost z (1 - m): margin / revenue is exactly
 * 1 - (1 - m) / P. */
TEST(test_sim_price_policies_known_answer)
{
    enum { N = 100000 };
    const double lambda = 0.01, e = -1.7, m = 0.35;
    const int epoch_days = 14, epochs = 2;
    clv_scenario scn;
    known_rate(&scn, N, lambda, epoch_days, epochs);
    scn.response.price_enabled = 1, scn.response.elasticity_mean = e, scn.response.elasticity_sd = 0;
    scn.economics.margin_rate = m;
    scn.interventions.n_prices = 3;
    scn.interventions.prices[0] = 0.9, scn.interventions.prices[1] = 1.0, scn.interventions.prices[2] = 1.08;
    static const struct { const char *name; double P; } pol[] = {{"none", 1.0}, {"price-up", 1.08}, {"price-down", 0.9}};
    for (size_t k = 0; k < sizeof pol / sizeof pol[0]; k++) {
        clv_policy p;
        clv_error err;
        clv_sim *s = NULL;
        clv_sim_opts so;
        clv_sim_opts_default(&so);
        so.threads = 2;
        CHECK_INT(clv_policy_fixed(&scn, pol[k].name, 1, &p, &err), CLV_OK);
        if (clv_sim_alloc(&scn, &so, &s, &err) != CLV_OK || clv_sim_reset(s, 11, 0, &err) != CLV_OK ||
            clv_sim_run(s, &p, NULL, &err) != CLV_OK) {
            harness_fail(__FILE__, __LINE__, "%s: %s", pol[k].name, err.msg);
            clv_sim_free(s);
            clv_policy_free(&p);
            return;
        }
        size_t nd;
        const clv_sim_day *d = clv_sim_days(s, &nd);
        double purchases = 0, revenue = 0, margin = 0, sent = 0, cost = 0;
        for (size_t i = 0; i < nd; i++)
            purchases += d[i].purchases, revenue += d[i].revenue, margin += d[i].net_margin,
                sent += d[i].coupons_sent, cost += d[i].coupon_cost;
        CHECK_INT((int)nd, epoch_days * epochs);
        check_count(pol[k].name, purchases, N * lambda * epoch_days * epochs * pow(pol[k].P, e));
        CHECK(sent == 0 && cost == 0);
        CHECK(revenue > 0);
        CHECK_NEAR(margin / revenue, 1 - (1 - m) / pol[k].P, 1e-9);
        clv_sim_free(s);
        clv_policy_free(&p);
    }
}

/* Redemption: a holder will use its coupon with redeem_probability q,
 * drawn when it arrives, and does on its first purchase while the coupon
 * is valid, at the coupon's price: the share of holders who redeem is
 * q (1 - E[exp(-lambda (1 - d)^e w)]); each redemption costs the discount
 * on its basket.  With q = 0 nobody redeems and no discount is paid. */
TEST(test_sim_redemption)
{
    enum { N = 60000 };
    const double lambda = 0.01, w = 28, e = -2.62, q = 0.3;
    clv_scenario scn;
    known_rate(&scn, N, lambda, 28, 1);
    scn.response.price_enabled = 1, scn.response.elasticity_mean = e, scn.response.elasticity_sd = 0;
    scn.response.redeem_probability = q;
    scn.interventions.coupons[0] = (clv_scn_coupon){"20%", 0.2, 1e9, 28, 0.0, 0.0, ""};
    outcome up;
    run_epochs(&scn, 1, &(clv_action){1, 0}, 5, &up, NULL, NULL, NULL);
    const double p_use = 1 - no_purchase(lambda, pow(0.8, e), w);
    check_share("redemptions", up.redemptions, N, q * p_use);
    /* the holders who will not use it buy at the list price's rate */
    check_share("buyers", up.buyers, N, q * p_use + (1 - q) * (1 - no_purchase(lambda, 1, w)));
    /* the cost: 20% of the basket of each redemption (baskets are drawn as
     * for any purchase), and the margin identity */
    const double basket = up.revenue / up.purchases;
    CHECK(up.coupon_cost > 0.19 * basket * up.redemptions && up.coupon_cost < 0.21 * basket * up.redemptions);
    CHECK_NEAR(up.margin, up.revenue * scn.economics.margin_rate - up.coupon_cost, 1e-6 * up.revenue);
    /* a fixed cost per redemption and per contact add up exactly */
    scn.interventions.coupons[0].redemption_cost = 0.5;
    scn.interventions.coupons[0].contact_cost = 0.05;
    scn.interventions.coupons[0].max_value = 1e-3; /* the discount capped at 0.001 */
    run_epochs(&scn, 1, &(clv_action){1, 0}, 5, &up, NULL, NULL, NULL);
    CHECK(up.redemptions > 0);
    CHECK_NEAR(up.coupon_cost, up.redemptions * (0.5 + 1e-3) + 0.05 * N, 1e-6 * up.coupon_cost);
    /* q = 0: nobody redeems, nothing is paid, the margin is that of the baskets */
    scn.interventions.coupons[0] = (clv_scn_coupon){"20%", 0.2, 1e9, 28, 0.0, 0.0, ""};
    scn.response.redeem_probability = 0;
    run_epochs(&scn, 1, &(clv_action){1, 0}, 5, &up, NULL, NULL, NULL);
    CHECK_NEAR(up.sent, N, 0);
    CHECK_NEAR(up.redemptions, 0, 0);
    CHECK_NEAR(up.coupon_cost, 0, 0);
    CHECK_NEAR(up.margin, up.revenue * scn.economics.margin_rate, 1e-9 * up.revenue);
    check_share("buyers, q = 0", up.buyers, N, 1 - no_purchase(lambda, 1, w));
}

/* Carry-over: when the coupon expires, share x (kappa - 1) of its lift
 * stays, held for the epoch and halved per half-life at each epoch start:
 * after a contact of rate ratio 1.8 (kappa from its closed form), the next
 * epoch buys at 1 + share (kappa - 1) and the one after at 1 + share
 * (kappa - 1) / 2.  A share of 0 is the world without carry-over, bit for
 * bit. */
TEST(test_sim_carryover)
{
    enum { N = 60000 };
    const double lambda = 0.02, w = 14, rr = 1.8;
    const double p0 = 1 - exp(-lambda * w), kappa = -log(1 - rr * p0) / (lambda * w), base = N * lambda * w;
    clv_scenario scn;
    known_rate(&scn, N, lambda, 14, 3);
    add_effect(&scn, "treated", CLV_CONTACT_ALL, "all", -1, rr);
    scn.response.carryover_enabled = 1, scn.response.carryover_share = 0.5;
    scn.response.carryover_half_life_days = 14;
    const clv_action once[3] = {{1, 0}, {0, 0}, {0, 0}}, never[3] = {{0, 0}, {0, 0}, {0, 0}};
    outcome c[3], n[3];
    run_epochs(&scn, 3, once, 6, c, NULL, NULL, NULL);
    run_epochs(&scn, 3, never, 6, n, NULL, NULL, NULL);
    check_count("the contact's epoch", c[0].purchases, base * kappa);
    check_count("the epoch after expiry", c[1].purchases, base * (1 + 0.5 * (kappa - 1)));
    check_count("one half-life later", c[2].purchases, base * (1 + 0.25 * (kappa - 1)));
    for (int e = 0; e < 3; e++)
        check_count("no contact", n[e].purchases, base);
    CHECK(c[1].purchases > n[1].purchases && c[2].purchases > n[2].purchases && c[1].purchases > c[2].purchases);
    /* a contact that puts customers off leaves a dip */
    scn.response.contact[0].factor = 0.6;
    const double kd = -log(1 - 0.6 * p0) / (lambda * w);
    run_epochs(&scn, 3, once, 7, c, NULL, NULL, NULL);
    check_count("a dip after expiry", c[1].purchases, base * (1 + 0.5 * (kd - 1)));
    /* share 0: exactly the world without carry-over */
    scn.response.carryover_share = 0;
    clv_sim *a = NULL, *b = NULL;
    clv_error err;
    CHECK_INT(clv_sim_alloc(&scn, NULL, &a, &err), CLV_OK);
    scn.response.carryover_enabled = 0;
    CHECK_INT(clv_sim_alloc(&scn, NULL, &b, &err), CLV_OK);
    if (a && b) {
        CHECK_INT(clv_sim_reset(a, 8, 0, &err), CLV_OK);
        CHECK_INT(clv_sim_reset(b, 8, 0, &err), CLV_OK);
        clv_action *act = malloc(N * sizeof *act);
        int same = 1;
        for (int e = 0; e < 3; e++) {
            for (size_t i = 0; i < N; i++)
                act[i] = once[e];
            CHECK_INT(clv_sim_step(a, act, NULL, &err), CLV_OK);
            CHECK_INT(clv_sim_step(b, act, NULL, &err), CLV_OK);
            size_t na, nb;
            const clv_sim_day *da = clv_sim_days(a, &na), *db = clv_sim_days(b, &nb);
            same &= na == nb && memcmp(da, db, na * sizeof *da) == 0;
        }
        CHECK(same);
        free(act);
    }
    clv_sim_free(a);
    clv_sim_free(b);
}

/* Deal expectation and fatigue, both off by default.  Deal expectation
 * from one coupon (valid 1 day, gain 1, no decay to speak of, penalty 0.5)
 * divides intensity without a valid coupon by 1 + 0.5 over the rest of the
 * epoch.  Fatigue (gain 1 per coupon, no decay to speak of) divides the
 * lift kappa - 1 by 1 + fatigue, the fatigue of the earlier contacts (a
 * first contact has the experiment's effect): by 1 on the first contact
 * and by 2 on the second. */
TEST(test_sim_deal_fatigue)
{
    enum { N = 60000 };
    const double lambda = 0.02, w = 14, rr = 1.8, base = N * lambda * w;
    const double kappa = -log(1 - rr * (1 - exp(-lambda * w))) / (lambda * w);
    clv_scenario scn;
    known_rate(&scn, N, lambda, 28, 1);
    scn.interventions.coupons[0].validity_days = 1;
    scn.response.deal_enabled = 1, scn.response.deal_gain = 1, scn.response.deal_half_life_days = 1e6;
    scn.response.deal_full_price_penalty = 0.5;
    outcome none, waiting;
    run_epochs(&scn, 1, &(clv_action){0, 0}, 9, &none, NULL, NULL, NULL);
    run_epochs(&scn, 1, &(clv_action){1, 0}, 9, &waiting, NULL, NULL, NULL);
    check_count("no coupon, deal expectation on", none.purchases, N * lambda * 28);
    check_count("deal expectation", waiting.purchases, N * lambda * (1 + 27 / 1.5));

    known_rate(&scn, N, lambda, 14, 2);
    add_effect(&scn, "treated", CLV_CONTACT_ALL, "all", -1, rr);
    const clv_action twice[2] = {{1, 0}, {1, 0}};
    outcome o[2];
    run_epochs(&scn, 2, twice, 10, o, NULL, NULL, NULL);
    check_count("first contact, no fatigue", o[0].purchases, base * kappa);
    check_count("second contact, no fatigue", o[1].purchases, base * kappa);
    scn.response.fatigue_enabled = 1, scn.response.fatigue_gain = 1, scn.response.fatigue_half_life_days = 1e6;
    run_epochs(&scn, 2, twice, 10, o, NULL, NULL, NULL);
    check_count("first contact, no earlier one", o[0].purchases, base * kappa);
    check_count("second contact, fatigue 1", o[1].purchases, base * (1 + (kappa - 1) / 2));
    CHECK(o[1].purchases < o[0].purchases);
}

/* Segments are the principal strata of the reference contact over the
 * window w from the start, by each customer's own clocks.  For a
 * homogeneous population that is alive, with p0 = 1 - exp(-lambda w')
 * (w' the window in season time) and the contact's kappa from its closed
 * form (rr times the probability of buying in w calendar days): sure
 * things p0, persuadables exp(-lambda w') - exp(-kappa lambda w'), lost
 * causes the rest (rr > 1); for rr < 1 sleeping dogs exp(-kappa lambda w')
 * - exp(-lambda w').  Segments do not depend on the policy. */
TEST(test_sim_segments)
{
    enum { N = 60000 };
    const double lambda = 0.02, w = 14;
    int *seg = malloc(N * sizeof *seg);
    outcome o;
    for (int seasonal = 0; seasonal < 2; seasonal++)
        for (int dog = 0; dog < 2; dog++) {
            clv_scenario scn;
            known_rate(&scn, N, lambda, 14, 1);
            const double rr = dog ? 0.5 : 1.8;
            add_effect(&scn, "treated", CLV_CONTACT_ALL, "all", -1, rr);
            double ws = w;
            if (seasonal) {
                /* the window's first 7 days count twice: 21 days of season time */
                snprintf(scn.calendar.start, sizeof scn.calendar.start, "2026-02-01");
                scn.seasonality.enabled = 1;
                scn.seasonality.n_windows = 1;
                scn.seasonality.windows[0] = (clv_scn_window){"peak", "02-01", "02-07", 2.0, 1.0};
                ws = 21;
            }
            const double kappa = -log(1 - rr * (1 - exp(-lambda * w))) / (lambda * w);
            const double q0 = exp(-lambda * ws), q1 = exp(-kappa * lambda * ws);
            double share[4] = {0};
            share[CLV_SEG_SURE_THING] = 1 - (dog ? q1 : q0);
            share[CLV_SEG_PERSUADABLE] = dog ? 0 : q0 - q1;
            share[CLV_SEG_SLEEPING_DOG] = dog ? q1 - q0 : 0;
            share[CLV_SEG_LOST_CAUSE] = dog ? q0 : q1;
            run_epochs(&scn, 1, &(clv_action){0, 0}, 11, &o, NULL, NULL, seg);
            double count[4] = {0};
            for (size_t i = 0; i < N; i++)
                count[seg[i]] += 1;
            for (int k = 0; k < 4; k++) {
                char what[64];
                snprintf(what, sizeof what, "%s, rr %g%s", clv_segment_name(k), rr, seasonal ? ", seasonal" : "");
                if (share[k] == 0)
                    CHECK_NEAR(count[k], 0, 0);
                else
                    check_share(what, count[k], N, share[k]);
            }
            /* a sure thing is a customer who buys in the window without the contact */
            if (!seasonal)
                check_share("buyers in the window", o.buyers, N, 1 - q0);
        }
    free(seg);

    /* policy independence: a population with spread, acquisition and
     * levels, under no policy and under coupons and prices every epoch */
    clv_scenario scn;
    cohort_scenario(&scn, CLV_MODEL_BGNBD, 8000, 42);
    scn.population.burn_in_days = 200;
    scn.acquisition.rate_per_day = 40;
    scn.interventions.n_prices = 2, scn.interventions.prices[0] = 0.9, scn.interventions.prices[1] = 1.0;
    add_effect(&scn, "treated", CLV_CONTACT_ALL, "all", -1, 1.6);
    add_effect(&scn, "treated", CLV_CONTACT_RECENCY, "0-60", 60, 1.0);
    add_effect(&scn, "treated", CLV_CONTACT_RECENCY, "61+", -1, 0.5);
    add_effect(&scn, "treated", CLV_CONTACT_SPEND, "low", 100, 1.0);
    add_effect(&scn, "treated", CLV_CONTACT_SPEND, "high", -1, 1.5);
    clv_sim *s[2] = {NULL, NULL};
    clv_error err;
    for (int p = 0; p < 2; p++) {
        CHECK_INT(clv_sim_alloc(&scn, NULL, &s[p], &err), CLV_OK);
        if (!s[p])
            break;
        CHECK_INT(clv_sim_reset(s[p], 12, 0, &err), CLV_OK);
        for (int e = 0; !clv_sim_done(s[p]); e++) {
            size_t n = clv_sim_customers(s[p]);
            clv_action *act = malloc(n * sizeof *act);
            for (size_t i = 0; i < n; i++)
                act[i] = p ? (clv_action){(uint8_t)(1 + (i + (size_t)e) % 2), (uint8_t)(e % 2)} : (clv_action){0, 1};
            CHECK_INT(clv_sim_step(s[p], act, NULL, &err), CLV_OK);
            free(act);
        }
    }
    if (s[0] && s[1]) {
        const size_t n = clv_sim_customers(s[0]);
        CHECK_INT(clv_sim_customers(s[1]), n);
        CHECK(n > 8000 + 40 * 42 / 2);
        int diff = 0;
        double count[2][4] = {{0}};
        for (size_t i = 0; i < n && i < clv_sim_customers(s[1]); i++) {
            diff += clv_sim_segment(s[0], i) != clv_sim_segment(s[1], i);
            count[i >= 8000][clv_sim_segment(s[0], i)] += 1;
        }
        CHECK_INT(diff, 0);
        /* every segment is there among the existing customers (the levels
         * make both persuadables and sleeping dogs), and the arrivals have
         * strata of their own */
        for (int k = 0; k < 4; k++)
            CHECK(count[0][k] > 0);
        CHECK(count[1][CLV_SEG_SURE_THING] + count[1][CLV_SEG_PERSUADABLE] > 0);
    }
    clv_sim_free(s[0]);
    clv_sim_free(s[1]);
}

/* budgets: never more reserved at an epoch than its budget, never more
 * spent in all than the total */
TEST(test_sim_budgets)
{
    clv_scenario scn;
    clv_error err;
    CHECK_INT(clv_scn_load("scenarios/tight-budget.cfg", NULL, 0, &scn, &err), CLV_OK);
    scn.population.customers = 20000;
    clv_sim_opts so;
    clv_sim_opts_default(&so);
    so.threads = 2;
    clv_sim *s = NULL;
    CHECK_INT(clv_sim_alloc(&scn, &so, &s, &err), CLV_OK);
    if (!s)
        return;
    CHECK_INT(clv_sim_reset(s, 4, 0, &err), CLV_OK);
    double spent = 0;
    int epochs_refusing = 0;
    while (!clv_sim_done(s)) {
        size_t n = clv_sim_customers(s);
        clv_action *act = malloc(n * sizeof *act);
        for (size_t i = 0; i < n; i++)
            act[i] = (clv_action){3, 1}; /* everyone the 30% coupon, capped at 20 off */
        CHECK_INT(clv_sim_step(s, act, NULL, &err), CLV_OK);
        free(act);
        size_t nd;
        const clv_sim_day *d = clv_sim_days(s, &nd);
        const clv_sim_day *first = &d[(size_t)(clv_sim_epoch(s) - 1) * 7]; /* the epoch's first day */
        /* each coupon reserved its worst cost (contact 0.05 + redemption 0 +
         * at most 20 off): what an epoch sent fits its budget of 400, and
         * in the first epoch exactly floor(400 / 20.05) = 19 coupons went */
        CHECK(first->coupons_sent * 20.05 <= 400 + 1e-9);
        if (clv_sim_epoch(s) == 1)
            CHECK_NEAR(first->coupons_sent, 19, 0);
        CHECK(first->coupons_sent + first->coupons_refused > 0);
        epochs_refusing += first->coupons_refused > 0;
    }
    size_t nd;
    const clv_sim_day *d = clv_sim_days(s, &nd);
    for (size_t k = 0; k < nd; k++)
        spent += d[k].coupon_cost;
    CHECK(spent <= 5000 + 1e-6);
    CHECK(spent > 0);
    CHECK(epochs_refusing > 0);
    clv_sim_free(s);
}

/* clv_sim_sent: what the last step executed.  An epoch budget of 45 holds
 * two 30% coupons (each reserves 20.05) and a 10% one beside one 30% coupon
 * (10.05 + 20.05); the rest are refused, in customer order or in the
 * order given. */
TEST(test_sim_sent)
{
    clv_scenario scn;
    clv_error err;
    CHECK_INT(clv_scn_load("scenarios/tight-budget.cfg", NULL, 0, &scn, &err), CLV_OK);
    scn.population.customers = 200;
    scn.interventions.budget_per_epoch = 45;
    scn.interventions.budget_total = -1;
    clv_sim *s = NULL;
    CHECK_INT(clv_sim_alloc(&scn, NULL, &s, &err), CLV_OK);
    if (!s)
        return;
    CHECK_INT(clv_sim_reset(s, 4, 0, &err), CLV_OK);
    CHECK_INT(clv_sim_sent(s, 1), 0); /* no step yet */
    const int list = clv_sim_list_price(s);
    const size_t cap = clv_sim_capacity(s);
    clv_action *act = malloc(cap * sizeof *act);
    uint32_t *order = malloc(cap * sizeof *order);
    clv_sim_obs o;
    if (!act || !order) {
        harness_fail(__FILE__, __LINE__, "out of memory");
        goto done;
    }
    /* epoch 1, customer order: 0 asks for nothing, 1 and 2 get their 30%
     * coupons, 3 (at price level 0) and 4 are refused */
    size_t n = clv_sim_customers(s);
    for (size_t i = 0; i < n; i++)
        act[i] = (clv_action){0, (uint8_t)list};
    for (size_t i = 1; i <= 4; i++)
        act[i].coupon = 3;
    act[3].price = 0;
    CHECK_INT(clv_sim_step(s, act, NULL, &err), CLV_OK);
    const int want1[5] = {0, 3, 3, 0, 0};
    for (size_t i = 0; i < 5; i++)
        CHECK_INT(clv_sim_sent(s, i), want1[i]);
    /* the refused coupon's customer holds none but got its price level */
    CHECK_INT(clv_sim_observe(s, 3, 1, &o, &err), CLV_OK);
    CHECK(!o.holds_coupon && o.coupons == 0 && o.price_level == 0);
    size_t nd, sent = 0;
    const clv_sim_day *d = clv_sim_days(s, &nd);
    for (size_t i = 0; i < clv_sim_customers(s); i++)
        sent += clv_sim_sent(s, i) > 0;
    CHECK(sent == 2 && d[0].coupons_sent == 2 && d[0].coupons_refused == 2);
    /* customers acquired during the step, and indices out of range: none */
    CHECK(clv_sim_customers(s) > n);
    for (size_t i = n; i < clv_sim_customers(s); i++)
        CHECK_INT(clv_sim_sent(s, i), 0);
    CHECK_INT(clv_sim_sent(s, clv_sim_customers(s)), 0);
    CHECK_INT(clv_sim_sent(s, SIZE_MAX), 0);

    /* epoch 2, in reverse order: 5's 10% coupon and 4's 30% one go, 3, 2
     * and 1 are refused (the coupons of epoch 1 have expired: nothing is
     * replaced); the coupons of the last step no longer count */
    n = clv_sim_customers(s);
    for (size_t i = 0; i < n; i++) {
        act[i] = (clv_action){0, (uint8_t)list};
        order[i] = (uint32_t)(n - 1 - i);
    }
    for (size_t i = 1; i <= 4; i++)
        act[i].coupon = 3;
    act[5].coupon = 1;
    CHECK_INT(clv_sim_step_ordered(s, act, order, NULL, &err), CLV_OK);
    const int want2[6] = {0, 0, 0, 0, 3, 1};
    for (size_t i = 0; i < 6; i++)
        CHECK_INT(clv_sim_sent(s, i), want2[i]);
    d = clv_sim_days(s, &nd);
    CHECK(d[7].coupons_sent == 2 && d[7].coupons_refused == 3);
    CHECK_INT(clv_sim_observe(s, 1, 1, &o, &err), CLV_OK);
    CHECK(o.coupons == 1); /* 1 has received its coupon of epoch 1 only */

    /* epoch 3, no actions: nothing sent */
    CHECK_INT(clv_sim_step(s, NULL, NULL, &err), CLV_OK);
    for (size_t i = 0; i < clv_sim_customers(s); i++)
        if (clv_sim_sent(s, i) != 0)
            harness_fail(__FILE__, __LINE__, "customer %zu: coupon %d sent by a step without actions", i,
                         clv_sim_sent(s, i));
    /* a reset forgets the last step */
    CHECK_INT(clv_sim_reset(s, 4, 0, &err), CLV_OK);
    CHECK_INT(clv_sim_sent(s, 4), 0);
done:
    free(act), free(order);
    clv_sim_free(s);
}

/* the season phase of holiday.cfg: before Black Friday, during the peak,
 * before again on 1 January (the lull starts on the 2nd), after February */
TEST(test_sim_season_phase)
{
    clv_scenario scn;
    clv_error err;
    CHECK_INT(clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err), CLV_OK);
    scn.population.customers = 100;
    scn.calendar.epoch_days = 1;
    clv_sim *s = NULL;
    CHECK_INT(clv_sim_alloc(&scn, NULL, &s, &err), CLV_OK);
    if (!s)
        return;
    CHECK_INT(clv_sim_reset(s, 1, 0, &err), CLV_OK);
    int bad = 0, days = 0, seen[3] = {0, 0, 0};
    while (!clv_sim_done(s) && days < 1000) {
        int y, m, d;
        clv_date_to_ymd(clv_sim_today(s), &y, &m, &d);
        int expect = (m == 11 && d >= 27) || m == 12 || (m == 1 && d >= 2) ? CLV_SEASON_DURING
                     : m >= 2 && m <= 3                                   ? CLV_SEASON_AFTER
                                                                          : CLV_SEASON_BEFORE;
        bad += clv_sim_season_phase(s) != expect;
        seen[expect]++;
        days++;
        CHECK_INT(clv_sim_step(s, NULL, NULL, &err), CLV_OK);
    }
    CHECK_INT(bad, 0);
    /* every day of the calendar was looked at, and every phase came up */
    CHECK_INT(days, 151);
    CHECK(seen[CLV_SEASON_BEFORE] > 0 && seen[CLV_SEASON_DURING] > 0 && seen[CLV_SEASON_AFTER] > 0);
    clv_sim_free(s);
}

/* ---- copies and fresh luck (clv_sim_copy, clv_sim_reluck) ---- */

/* holiday at a small scale: 2,000 customers, their arrivals, coupons, prices, budgets */
static int small_holiday(clv_scenario *scn, double scale)
{
    clv_error err;
    if (clv_scn_load("scenarios/holiday.cfg", NULL, 0, scn, &err) != CLV_OK) {
        harness_fail(__FILE__, __LINE__, "%s", err.msg);
        return 0;
    }
    scn->run.scale = scale;
    return 1;
}

/* the actions of epoch e: a coupon to every third customer, every price level */
static void mixed_actions(const clv_scenario *scn, size_t n, int e, clv_action *act)
{
    clv_rng r;
    clv_rng_seed(&r, (clv_stream_key){9, CLV_STREAM_USER, (uint64_t)e, 0});
    for (size_t i = 0; i < n; i++) {
        uint64_t u = clv_rng_next(&r);
        act[i].coupon = u % 3 == 0 ? (uint8_t)(1 + (u >> 8) % (uint64_t)scn->interventions.n_coupons) : 0;
        act[i].price = (uint8_t)((u >> 16) % (uint64_t)scn->interventions.n_prices);
    }
}

static int count_tx_cb(void *ctx, const clv_sim_tx *tx)
{
    (void)tx;
    ++*(size_t *)ctx;
    return 0;
}

/* A copy steps bit-identically with its source: days, margins, what was
 * sent, observations, to the end of the horizon; into a budget-free world
 * it is the same until a budget would refuse; worlds of another shape are
 * refused, naming what differs. */
TEST(test_sim_copy_identical)
{
    clv_scenario scn, free_scn, other;
    if (!small_holiday(&scn, 0.2))
        return;
    free_scn = scn;
    free_scn.interventions.budget_per_epoch = free_scn.interventions.budget_total = -1;
    clv_error err;
    clv_sim_opts o;
    clv_sim_opts_default(&o);
    clv_world *w = NULL, *wf = NULL, *wx = NULL;
    clv_sim *a = NULL, *b = NULL, *f = NULL, *x = NULL;
    CHECK_INT(clv_world_alloc(&scn, &o, &w, &err), CLV_OK);
    CHECK_INT(clv_world_alloc(&free_scn, &o, &wf, &err), CLV_OK);
    CHECK_INT(clv_sim_alloc_in(w, &o, &a, &err), CLV_OK);
    o.record = 1; /* b records into its own log */
    o.threads = 2;
    CHECK_INT(clv_sim_alloc_in(w, &o, &b, &err), CLV_OK);
    o.record = 0;
    o.threads = 1;
    CHECK_INT(clv_sim_alloc_in(wf, &o, &f, &err), CLV_OK);
    const size_t cap = w ? clv_world_capacity(w) : 0;
    clv_action *act = malloc(cap * sizeof *act);
    double *ma = malloc(cap * sizeof *ma), *mb = malloc(cap * sizeof *mb);
    /* zeroed: observe fills the fields, so the padding compares equal */
    clv_sim_obs *oa = calloc(cap, sizeof *oa), *ob = calloc(cap, sizeof *ob);
    uint32_t *order = malloc(cap * sizeof *order);
    if (!a || !b || !f || !act || !ma || !mb || !oa || !ob || !order)
        goto done;
    CHECK_INT(clv_sim_reset(a, 5, 3, &err), CLV_OK);
    CHECK_INT(clv_sim_reset(b, 5, 4, &err), CLV_OK); /* another world's customers, overwritten by the copy */
    for (int e = 0; e < 5; e++) {
        mixed_actions(&scn, clv_sim_customers(a), e, act);
        CHECK_INT(clv_sim_step(a, act, NULL, &err), CLV_OK);
    }
    CHECK_INT(clv_sim_step(b, NULL, NULL, &err), CLV_OK);
    CHECK_INT(clv_sim_copy(b, a, &err), CLV_OK);
    CHECK_INT(clv_sim_copy(a, a, &err), CLV_OK);
    size_t txs = 0;
    CHECK_INT(clv_sim_transactions(b, count_tx_cb, &txs), CLV_OK);
    CHECK_INT((int)txs, 0); /* the copy's log starts empty */
    CHECK_INT(clv_sim_epoch(b), 5);
    CHECK_INT((int)clv_sim_customers(b), (int)clv_sim_customers(a));
    CHECK_INT(clv_sim_copy(f, a, &err), CLV_OK);
    double refused = 0, sent_a = 0, sent_f = 0;
    while (!clv_sim_done(a)) {
        const size_t n = clv_sim_customers(a);
        CHECK_INT(clv_sim_observe(a, 0, n, oa, &err), CLV_OK);
        CHECK_INT(clv_sim_observe(b, 0, n, ob, &err), CLV_OK);
        CHECK(memcmp(oa, ob, n * sizeof *oa) == 0);
        mixed_actions(&scn, n, clv_sim_epoch(a), act);
        for (size_t i = 0; i < n; i++)
            order[i] = (uint32_t)(n - 1 - i);
        CHECK_INT(clv_sim_step_ordered(a, act, order, ma, &err), CLV_OK);
        CHECK_INT(clv_sim_step_ordered(b, act, order, mb, &err), CLV_OK);
        CHECK_INT(clv_sim_step(f, act, NULL, &err), CLV_OK);
        CHECK(memcmp(ma, mb, n * sizeof *ma) == 0);
        for (size_t i = 0; i < n; i++) {
            CHECK_INT(clv_sim_sent(a, i), clv_sim_sent(b, i));
            sent_a += clv_sim_sent(a, i) > 0;
            sent_f += clv_sim_sent(f, i) > 0;
        }
        txs = 0;
        CHECK_INT(clv_sim_transactions(b, count_tx_cb, &txs), CLV_OK);
        CHECK(txs > 0);
    }
    size_t na, nb, nf;
    const clv_sim_day *da = clv_sim_days(a, &na), *db = clv_sim_days(b, &nb), *df = clv_sim_days(f, &nf);
    CHECK(na == 151 && nb == na && nf == na);
    CHECK(memcmp(da, db, na * sizeof *da) == 0);
    for (size_t k = 0; k < na; k++)
        refused += da[k].coupons_refused;
    /* the budget refused coupons in a's world, none in f's, which sent them all */
    CHECK(refused > 0 && sent_f > sent_a);
    CHECK(memcmp(da, df, 35 * sizeof *da) == 0); /* the five epochs before the copy */
    /* worlds of another shape */
    static const char *const fields[] = {"calendar", "population.customers", "interventions", "history"};
    for (size_t k = 0; k < sizeof fields / sizeof *fields; k++) {
        other = scn;
        clv_sim_opts_default(&o);
        if (k == 0)
            other.calendar.horizon_days = 140;
        else if (k == 1)
            other.population.customers += 100;
        else if (k == 2)
            other.interventions.n_coupons -= 1;
        else
            o.history = 16;
        wx = NULL, x = NULL;
        CHECK_INT(clv_world_alloc(&other, &o, &wx, &err), CLV_OK);
        CHECK_INT(clv_sim_alloc_in(wx, &o, &x, &err), CLV_OK);
        if (x) {
            CHECK_INT(clv_sim_copy(x, a, &err), CLV_EINPUT);
            CHECK_STR(err.field, fields[k]);
            CHECK(strstr(err.msg, "interventions.budget") != NULL);
        }
        clv_sim_free(x);
        clv_world_free(wx);
    }
done:
    free(act), free(ma), free(mb), free(oa), free(ob), free(order);
    clv_sim_free(a), clv_sim_free(b), clv_sim_free(f);
    clv_world_free(w), clv_world_free(wf);
}

/* per customer of [0, n): the net margin and repeat purchases of the next
 * `epochs` epochs under everyone's action act (NULL: none) */
static void future(clv_sim *s, const clv_action *act, int epochs, double *margin, double *buys, double *scratch)
{
    clv_error err;
    const size_t n = clv_sim_customers(s);
    for (size_t i = 0; i < n; i++)
        margin[i] = 0, buys[i] = -clv_sim_repeat_purchases(s, i);
    for (int e = 0; e < epochs && !clv_sim_done(s); e++) {
        CHECK_INT(clv_sim_step(s, e == 0 ? act : NULL, scratch, &err), CLV_OK);
        for (size_t i = 0; i < n; i++)
            margin[i] += scratch[i];
    }
    for (size_t i = 0; i < n; i++)
        buys[i] += clv_sim_repeat_purchases(s, i);
}

/* mean and standard error of x[0..n) - y[0..n) */
static void mean_se(const double *x, const double *y, size_t n, double *mean, double *se)
{
    double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i] - y[i];
    *mean = s / (double)n;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - y[i] - *mean) * (x[i] - y[i] - *mean);
    *se = sqrt(ss / (double)(n - 1) / (double)n);
}

/* Fresh luck keeps the latent state and the distribution of the future:
 * the means of the next epochs' net margin and purchases per customer,
 * under no campaign and under a coupon with a price cut for everyone,
 * agree between the original and relucked copies within 4 standard
 * errors, in BG/NBD (holiday, with coupons already held) and in
 * Pareto/NBD (whose remaining lifetimes are redrawn); two keys give other
 * luck, one key twice the same bits, whatever the threads. */
TEST(test_sim_reluck_distribution)
{
    for (int model = 0; model < 2; model++) {
        clv_scenario scn;
        if (!small_holiday(&scn, 2.0))
            return;
        scn.interventions.budget_per_epoch = scn.interventions.budget_total = -1;
        if (model == 1)
            scn.population.model = CLV_MODEL_PARETO;
        clv_error err;
        clv_sim_opts o;
        clv_sim_opts_default(&o);
        clv_world *w = NULL;
        clv_sim *s = NULL, *c = NULL, *d = NULL;
        CHECK_INT(clv_world_alloc(&scn, &o, &w, &err), CLV_OK);
        CHECK_INT(clv_sim_alloc_in(w, &o, &s, &err), CLV_OK);
        o.threads = 2;
        CHECK_INT(clv_sim_alloc_in(w, &o, &c, &err), CLV_OK);
        o.threads = 1;
        CHECK_INT(clv_sim_alloc_in(w, &o, &d, &err), CLV_OK);
        const size_t cap = w ? clv_world_capacity(w) : 0;
        clv_action *act = malloc(cap * sizeof *act);
        double *m0 = malloc(cap * sizeof *m0), *b0 = malloc(cap * sizeof *b0), *m1 = malloc(cap * sizeof *m1),
               *b1 = malloc(cap * sizeof *b1), *m2 = malloc(cap * sizeof *m2), *b2 = malloc(cap * sizeof *b2),
               *scratch = malloc(cap * sizeof *scratch);
        clv_sim_obs *o1 = calloc(cap, sizeof *o1), *o2 = calloc(cap, sizeof *o2); /* (zeroed padding) */
        if (!s || !c || !d || !act || !m0 || !b0 || !m1 || !b1 || !m2 || !b2 || !scratch || !o1 || !o2)
            goto next;
        /* four epochs with a coupon to everyone (holders of valid coupons at the reluck) */
        CHECK_INT(clv_sim_reset(s, 21, 2, &err), CLV_OK);
        for (int e = 0; e < 4; e++) {
            const size_t n = clv_sim_customers(s);
            for (size_t i = 0; i < n; i++)
                act[i] = (clv_action){(uint8_t)(e == 3 ? 2 : 0), (uint8_t)clv_sim_list_price(s)};
            CHECK_INT(clv_sim_step(s, act, NULL, &err), CLV_OK);
        }
        const size_t n = clv_sim_customers(s);
        int holders = 0;
        CHECK_INT(clv_sim_observe(s, 0, n, o1, &err), CLV_OK);
        for (size_t i = 0; i < n; i++)
            holders += o1[i].holds_coupon;
        CHECK(holders > 1000);
        for (int arm = 0; arm < 2; arm++) {
            /* arm 1: coupon 1 and the lowest price level, to everyone */
            for (size_t i = 0; i < n; i++)
                act[i] = arm ? (clv_action){1, 0} : (clv_action){0, (uint8_t)clv_sim_list_price(s)};
            CHECK(scn.interventions.prices[0] < 1);
            double sum_m = 0, sum_b = 0;
            CHECK_INT(clv_sim_copy(c, s, &err), CLV_OK);
            future(c, act, 12, m0, b0, scratch); /* the original luck */
            /* relucked: the latent state and the observations unchanged */
            CHECK_INT(clv_sim_copy(c, s, &err), CLV_OK);
            CHECK_INT(clv_sim_reluck(c, 1, &err), CLV_OK);
            CHECK_INT(clv_sim_observe(c, 0, n, o2, &err), CLV_OK);
            CHECK(memcmp(o1, o2, n * sizeof *o1) == 0);
            for (size_t i = 0; i < n; i += 97) {
                double l1, d1, n1, l2, d2, n2;
                clv_sim_traits(s, i, &l1, &d1, &n1);
                clv_sim_traits(c, i, &l2, &d2, &n2);
                CHECK(l1 == l2 && d1 == d2 && n1 == n2 && clv_sim_alive(s, i) == clv_sim_alive(c, i));
            }
            /* Pareto/NBD, no campaign: a customer alive now with dropout
             * rate mu is alive 84 days on with probability exp(-84 mu) */
            double expect = 0, var = 0;
            uint8_t *was = malloc(n);
            for (size_t i = 0; was && i < n; i++) {
                double l, mu, nu;
                clv_sim_traits(c, i, &l, &mu, &nu);
                was[i] = (uint8_t)clv_sim_alive(c, i);
                const double p = was[i] ? exp(-84 * mu) : 0;
                expect += p, var += p * (1 - p);
            }
            future(c, act, 12, m1, b1, scratch);
            if (model == 1 && arm == 0 && was) {
                double alive = 0;
                for (size_t i = 0; i < n; i++)
                    alive += was[i] && clv_sim_alive(c, i);
                if (!(fabs(alive - expect) <= 4 * sqrt(var)) || !(var > 100))
                    harness_fail(__FILE__, __LINE__, "%g customers alive after 84 days, expected %g (sd %g)", alive,
                                 expect, sqrt(var));
            }
            free(was);
            for (size_t i = 0; i < n; i++)
                sum_m += m0[i], sum_b += b0[i];
            double mean, se;
            mean_se(m0, m1, n, &mean, &se);
            if (!(fabs(mean) <= 4 * se) || !(se > 0))
                harness_fail(__FILE__, __LINE__, "model %d arm %d: net margin per customer differs by %g (se %g)",
                             model, arm, mean, se);
            mean_se(b0, b1, n, &mean, &se);
            if (!(fabs(mean) <= 4 * se) || !(se > 0))
                harness_fail(__FILE__, __LINE__, "model %d arm %d: purchases per customer differ by %g (se %g)",
                             model, arm, mean, se);
            CHECK(sum_m > 0 && sum_b > 100);
            /* another key: other luck; the same key, also twice and with
             * another thread count: the same bits */
            CHECK_INT(clv_sim_copy(d, s, &err), CLV_OK);
            CHECK_INT(clv_sim_reluck(d, 2, &err), CLV_OK);
            future(d, act, 12, m2, b2, scratch);
            CHECK(memcmp(m1, m2, n * sizeof *m1) != 0);
            CHECK_INT(clv_sim_copy(d, s, &err), CLV_OK);
            CHECK_INT(clv_sim_reluck(d, 1, &err), CLV_OK);
            CHECK_INT(clv_sim_reluck(d, 1, &err), CLV_OK);
            future(d, act, 12, m2, b2, scratch);
            CHECK(memcmp(m1, m2, n * sizeof *m1) == 0 && memcmp(b1, b2, n * sizeof *b1) == 0);
            size_t nc, nd;
            const clv_sim_day *dc = clv_sim_days(c, &nc), *dd = clv_sim_days(d, &nd);
            CHECK(nc == nd && memcmp(dc, dd, nc * sizeof *dc) == 0);
        }
    next:
        free(act), free(m0), free(b0), free(m1), free(b1), free(m2), free(b2), free(scratch), free(o1), free(o2);
        clv_sim_free(s), clv_sim_free(c), clv_sim_free(d);
        clv_world_free(w);
    }
}

/* No campaign (NULL actions) returns everyone to the list price, whatever
 * an earlier step set */
TEST(test_sim_null_actions_list_price)
{
    clv_scenario scn;
    if (!small_holiday(&scn, 0.1))
        return;
    clv_error err;
    clv_sim *s = NULL;
    CHECK_INT(clv_sim_alloc(&scn, NULL, &s, &err), CLV_OK);
    if (!s)
        return;
    CHECK_INT(clv_sim_reset(s, 3, 0, &err), CLV_OK);
    const size_t n = clv_sim_customers(s);
    clv_action *act = malloc(n * sizeof *act);
    clv_sim_obs *obs = malloc(n * sizeof *obs);
    for (size_t i = 0; act && i < n; i++)
        act[i] = (clv_action){0, 0};
    CHECK_INT(clv_sim_step(s, act, NULL, &err), CLV_OK);
    CHECK_INT(clv_sim_observe(s, 0, n, obs, &err), CLV_OK);
    CHECK(obs[0].price_level == 0 && obs[n - 1].price_level == 0);
    CHECK_INT(clv_sim_step(s, NULL, NULL, &err), CLV_OK);
    CHECK_INT(clv_sim_observe(s, 0, n, obs, &err), CLV_OK);
    int at_list = 0;
    for (size_t i = 0; i < n; i++)
        at_list += obs[i].price_level == clv_sim_list_price(s);
    CHECK_INT(at_list, (int)n);
    free(act), free(obs);
    clv_sim_free(s);
}

/* CLV_SIM_REWARD_EXPECTED: the same environment (the days' totals bit for
 * bit), and per customer group an unbiased estimate of the realised margin
 * (the mean difference over replications within 4 standard errors) with a
 * smaller spread, in the holiday world (BG/NBD, seasons, coupons redeemed
 * with capped discounts, contact effects, prices) and in its Pareto/NBD
 * variant, and with coupons valid 3 days, which expire within an epoch
 * (the span before the expiry has purchases only while the customer is
 * alive: not for one who dropped out earlier).  A wrong expected margin of
 * a purchase (without the discount, say) is many standard errors off. */
TEST(test_sim_expected_reward)
{
    for (int model = 0; model < 3; model++) {
        clv_scenario scn;
        clv_error err;
        if (clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err) != CLV_OK) {
            harness_fail(__FILE__, __LINE__, "%s", err.msg);
            return;
        }
        scn.population.customers = 1200;
        scn.acquisition.rate_per_day = 1;
        scn.interventions.budget_per_epoch = scn.interventions.budget_total = -1;
        if (model == 1)
            scn.population.model = CLV_MODEL_PARETO;
        for (int k = 0; model == 2 && k < scn.interventions.n_coupons; k++)
            scn.interventions.coupons[k].validity_days = 3;
        clv_world *w = NULL;
        clv_sim *a = NULL, *b = NULL;
        CHECK_INT(clv_world_alloc(&scn, NULL, &w, &err), CLV_OK);
        if (!w)
            return;
        CHECK_INT(clv_sim_alloc_in(w, NULL, &a, &err), CLV_OK);
        CHECK_INT(clv_sim_alloc_in(w, NULL, &b, &err), CLV_OK);
        CHECK_INT(clv_sim_set_reward(b, CLV_SIM_REWARD_EXPECTED, &err), CLV_OK);
        CHECK_INT(clv_sim_set_reward(b, 7, &err), CLV_EINPUT);
        const size_t cap = clv_world_capacity(w);
        clv_action *act = malloc(cap * sizeof *act);
        double *ma = malloc(cap * sizeof *ma), *mb = malloc(cap * sizeof *mb);
        enum { R = 40, G = 4 };
        /* per group of customers (i mod 4: nothing; coupon 1; coupon 3 below list; above list) */
        double diff[G][R], sqa[G] = {0}, sqb[G] = {0}, cnt[G] = {0};
        int same_days = 1;
        for (int r = 0; a && b && act && ma && mb && r < R; r++) {
            CHECK_INT(clv_sim_reset(a, 9, 500 + (uint64_t)r, &err), CLV_OK);
            CHECK_INT(clv_sim_reset(b, 9, 500 + (uint64_t)r, &err), CLV_OK);
            for (int g = 0; g < G; g++)
                diff[g][r] = 0;
            while (!clv_sim_done(a)) {
                const size_t n = clv_sim_customers(a);
                const int list = clv_sim_list_price(a);
                for (size_t i = 0; i < n; i++) {
                    const int g = (int)(i % G);
                    act[i] = (clv_action){(uint8_t)(g == 1 ? 1 : g == 2 ? 3 : 0),
                                          (uint8_t)(g == 2 ? list - 1 : g == 3 ? list + 1 : list)};
                }
                CHECK_INT(clv_sim_step(a, act, ma, &err), CLV_OK);
                CHECK_INT(clv_sim_step(b, act, mb, &err), CLV_OK);
                for (size_t i = 0; i < n; i++) {
                    const int g = (int)(i % G);
                    diff[g][r] += ma[i] - mb[i];
                    sqa[g] += ma[i] * ma[i], sqb[g] += mb[i] * mb[i], cnt[g] += 1;
                    CHECK(isfinite(mb[i]));
                }
            }
            size_t na, nb;
            const clv_sim_day *da = clv_sim_days(a, &na), *db = clv_sim_days(b, &nb);
            same_days &= na == nb && memcmp(da, db, na * sizeof *da) == 0;
        }
        CHECK(same_days);
        for (int g = 0; g < G; g++) {
            clv_interval iv;
            clv_interval_of(diff[g], R, 1, 0.95, &iv);
            const double se = iv.sd / sqrt((double)R);
            if (!(fabs(iv.mean) < 4 * se))
                harness_fail(__FILE__, __LINE__, "model %d group %d: realised - expected margin %g, standard error %g",
                             model, g, iv.mean, se);
            /* the per-customer epochs' margins spread less (second moments; the means are equal) */
            CHECK(sqb[g] < 0.5 * sqa[g]);
        }
        free(act), free(ma), free(mb);
        clv_sim_free(a), clv_sim_free(b);
        clv_world_free(w);
    }
}

/* clv_sim_rollout against what it stands for: a copy of the state into the
 * world without budgets (relucked first, for both) and stepped to the end
 * with expected rewards (the action at the first epoch, then none or the
 * action held), each customer's margins summed in epoch order.  For both
 * population models and with 3-day coupons (which expire within an epoch),
 * from a state of the world with budgets 5 epochs in: every value within
 * 1e-6 of the reference (the contact cost enters as itself, not as a
 * difference of the block's sum: the last bits can differ) and nearly all
 * of them the same float.  And its refusals: a world with a budget, an
 * action outside the scenario's, more customers than the state has. */
TEST(test_sim_rollout_per_customer)
{
    for (int variant = 0; variant < 3; variant++) {
        clv_scenario scn;
        clv_error err;
        if (!HARNESS_LOAD("scenarios/holiday.cfg", &scn))
            return;
        scn.population.customers = 1500;
        scn.acquisition.rate_per_day = 2;
        if (variant == 1)
            scn.population.model = CLV_MODEL_PARETO;
        for (int k = 0; variant == 2 && k < scn.interventions.n_coupons; k++)
            scn.interventions.coupons[k].validity_days = 3;
        clv_scenario free_scn = scn;
        free_scn.interventions.budget_per_epoch = free_scn.interventions.budget_total = -1;
        clv_world *wa = NULL, *wb = NULL;
        clv_sim *s = NULL, *r = NULL, *lk = NULL;
        clv_sim_rollout_ws *ws = NULL, *wsa = NULL;
        CHECK_INT(clv_world_alloc(&scn, NULL, &wa, &err), CLV_OK);
        CHECK_INT(clv_world_alloc(&free_scn, NULL, &wb, &err), CLV_OK);
        if (wa && wb) {
            CHECK_INT(clv_sim_alloc_in(wa, NULL, &s, &err), CLV_OK);
            CHECK_INT(clv_sim_alloc_in(wb, NULL, &r, &err), CLV_OK);
            CHECK_INT(clv_sim_alloc_in(wb, NULL, &lk, &err), CLV_OK);
            ws = clv_sim_rollout_ws_alloc(wb, &err);
            wsa = clv_sim_rollout_ws_alloc(wa, &err);
        }
        const size_t cap = wa ? clv_world_capacity(wa) : 0;
        clv_action *act = malloc(cap * sizeof *act);
        double *m = malloc(cap * sizeof *m), *sum = malloc(cap * sizeof *sum);
        float *v = malloc(cap * sizeof *v);
        if (!s || !r || !lk || !ws || !wsa || !act || !m || !sum || !v) {
            harness_fail(__FILE__, __LINE__, "setup failed");
        } else {
            CHECK_INT(clv_sim_set_reward(r, CLV_SIM_REWARD_EXPECTED, &err), CLV_OK);
            CHECK_INT(clv_sim_reset(s, 4, 11, &err), CLV_OK);
            const int list = clv_sim_list_price(s);
            for (int e = 0; e < 5; e++) {
                const size_t n = clv_sim_customers(s);
                for (size_t i = 0; i < n; i++)
                    act[i] = (clv_action){(uint8_t)(i % 3 == 0 ? 1 + i % 2 : 0), (uint8_t)(i % 5 == 0 ? list + 1 : list)};
                CHECK_INT(clv_sim_step(s, act, NULL, &err), CLV_OK);
            }
            const size_t n = clv_sim_customers(s);
            const clv_action xs[4] = {{0, (uint8_t)list}, {1, (uint8_t)list}, {3, (uint8_t)(list + 1)},
                                      {0, (uint8_t)(list - 1)}};
            size_t total = 0, exact = 0;
            double worst = 0;
            for (int q = 0; q < 4; q++)
                for (int hold = 0; hold < 2; hold++)
                    for (uint64_t luck = 0; luck < 4; luck += 3) {
                        CHECK_INT(clv_sim_copy(r, s, &err), CLV_OK);
                        CHECK_INT(clv_sim_reluck(r, luck, &err), CLV_OK);
                        for (size_t i = 0; i < n; i++)
                            sum[i] = 0;
                        for (int first = 1; !clv_sim_done(r); first = 0) {
                            const size_t nr = clv_sim_customers(r);
                            for (size_t i = 0; i < nr; i++)
                                act[i] = i < n ? xs[q] : (clv_action){0, (uint8_t)list};
                            CHECK_INT(clv_sim_step(r, first || hold ? act : NULL, m, &err), CLV_OK);
                            for (size_t i = 0; i < n; i++)
                                sum[i] += m[i];
                        }
                        CHECK_INT(clv_sim_copy(lk, s, &err), CLV_OK);
                        CHECK_INT(clv_sim_reluck(lk, luck, &err), CLV_OK);
                        CHECK_INT(clv_sim_rollout(ws, lk, xs[q], hold, n, v, NULL, &err), CLV_OK);
                        for (size_t i = 0; i < n; i++) {
                            const float ref = (float)sum[i];
                            const double d = fabs((double)v[i] - ref) / (1 + fabs((double)ref));
                            worst = d > worst || isnan(d) ? d : worst;
                            exact += memcmp(&v[i], &ref, sizeof ref) == 0;
                            total++;
                        }
                    }
            if (!(worst <= 1e-6))
                harness_fail(__FILE__, __LINE__, "variant %d: largest relative difference %g", variant, worst);
            CHECK(exact >= total - total / 100);
            CHECK(total > 8 * 1500);
            /* the refusals */
            CHECK_INT(clv_sim_rollout(wsa, s, xs[1], 0, n, v, NULL, &err), CLV_EINPUT);
            CHECK_INT(clv_sim_rollout(ws, s, (clv_action){(uint8_t)(scn.interventions.n_coupons + 1), 0}, 0, n, v,
                                      NULL, &err), CLV_EINPUT);
            CHECK_INT(clv_sim_rollout(ws, s, xs[1], 0, n + 1, v, NULL, &err), CLV_EINPUT);
        }
        free(act), free(m), free(sum), free(v);
        clv_sim_rollout_ws_free(ws), clv_sim_rollout_ws_free(wsa);
        clv_sim_free(s), clv_sim_free(r), clv_sim_free(lk);
        clv_world_free(wa), clv_world_free(wb);
    }
}

/* A state's observations of a world do not depend on the worlds it ran
 * before: a fresh state and one that ran another world with coupons first
 * see the same customers, the purchases in the recent windows (from the
 * ring of kept purchase days) included, which counted a stale slot once;
 * and those counts are the purchases of the last 7, 30 and 90 days. */
TEST(test_sim_observe_fresh_state)
{
    clv_scenario scn;
    clv_error err;
    if (clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err) != CLV_OK)
        return;
    scn.population.customers = 1500;
    clv_sim_opts so;
    clv_sim_opts_default(&so);
    so.threads = 1;
    clv_sim *a = NULL, *b = NULL;
    CHECK_INT(clv_sim_alloc(&scn, &so, &a, &err), CLV_OK);
    CHECK_INT(clv_sim_alloc(&scn, &so, &b, &err), CLV_OK);
    clv_policy bl;
    CHECK_INT(clv_policy_fixed(&scn, "blanket-1", 1, &bl, &err), CLV_OK);
    CHECK_INT(clv_sim_reset(b, 5, 3, &err), CLV_OK);
    CHECK_INT(clv_sim_run(b, &bl, NULL, &err), CLV_OK);
    CHECK_INT(clv_sim_reset(a, 5, 7, &err), CLV_OK);
    CHECK_INT(clv_sim_reset(b, 5, 7, &err), CLV_OK);
    const size_t cap = clv_sim_capacity(a);
    clv_sim_obs *oa = malloc(cap * sizeof *oa), *ob = malloc(cap * sizeof *ob);
    clv_action *act = malloc(cap * sizeof *act);
    double *m = malloc(cap * sizeof *m);
    size_t differ = 0, recent = 0, checked = 0;
    for (int e = 0; !clv_sim_done(a) && e < 6; e++) {
        const size_t n = clv_sim_customers(a);
        CHECK_INT((long long)clv_sim_customers(b), (long long)n);
        CHECK_INT(clv_sim_observe(a, 0, n, oa, &err), CLV_OK);
        CHECK_INT(clv_sim_observe(b, 0, n, ob, &err), CLV_OK);
        for (size_t i = 0; i < n; i++) {
            differ += memcmp(oa[i].recent, ob[i].recent, sizeof oa[i].recent) != 0 ||
                      oa[i].purchases != ob[i].purchases || oa[i].max_spend != ob[i].max_spend;
            recent += oa[i].recent[2] > 0;
            /* a customer with one purchase: its recent counts are whether that purchase is in the window */
            if (oa[i].purchases == 1) {
                checked++;
                for (int w = 0; w < 3; w++)
                    differ += oa[i].recent[w] != (oa[i].recency_days < (const int[3]){7, 30, 90}[w]);
            }
        }
        for (size_t i = 0; i < n; i++)
            act[i] = (clv_action){(uint8_t)(i % 2), (uint8_t)clv_sim_list_price(a)};
        CHECK_INT(clv_sim_step(a, act, m, &err), CLV_OK);
        CHECK_INT(clv_sim_step(b, act, m, &err), CLV_OK);
    }
    CHECK_INT((long long)differ, 0);
    CHECK(recent > 0 && checked > 0);
    free(oa), free(ob), free(act), free(m);
    clv_policy_free(&bl);
    clv_sim_free(a), clv_sim_free(b);
}

/* Without budgets a step applies the actions inside its parallel blocks
 * (the order cannot matter), and with no actions always: the same days,
 * margins and coupons sent, bit for bit, as the serial loop of actions
 * (which clv_sim_step_ordered with an order, here the identity, keeps), on
 * 1 and 2 threads; an invalid action is refused as before. */
TEST(test_sim_deferred_actions_identical)
{
    clv_scenario scn;
    if (!small_holiday(&scn, 0.2))
        return;
    scn.interventions.budget_per_epoch = scn.interventions.budget_total = -1;
    clv_sim *s[3] = {make(&scn, 1, 5), make(&scn, 2, 5), make(&scn, 2, 5)};
    if (!s[0] || !s[1] || !s[2]) {
        for (int k = 0; k < 3; k++)
            clv_sim_free(s[k]);
        return;
    }
    clv_error err;
    for (int k = 0; k < 3; k++)
        CHECK_INT(clv_sim_reset(s[k], 5, 0, &err), CLV_OK);
    const size_t cap = clv_sim_capacity(s[0]);
    clv_action *act = malloc(cap * sizeof *act), *none = malloc(cap * sizeof *none);
    uint32_t *order = malloc(cap * sizeof *order);
    double *m[3];
    for (int k = 0; k < 3; k++)
        m[k] = malloc(cap * sizeof *m[k]);
    int e = 0, bad = 0, sent = 0;
    while (act && none && order && m[0] && m[1] && m[2] && !clv_sim_done(s[0])) {
        const size_t n = clv_sim_customers(s[0]);
        mixed_actions(&scn, n, e, act);
        for (size_t i = 0; i < n; i++) {
            order[i] = (uint32_t)i;
            none[i] = (clv_action){0, (uint8_t)clv_sim_list_price(s[0])};
        }
        /* every third epoch no campaign: NULL against the list price for all */
        const int quiet = e % 3 == 2;
        CHECK_INT(clv_sim_step(s[0], quiet ? NULL : act, m[0], &err), CLV_OK);
        CHECK_INT(clv_sim_step(s[1], quiet ? NULL : act, m[1], &err), CLV_OK);
        CHECK_INT(clv_sim_step_ordered(s[2], quiet ? none : act, order, m[2], &err), CLV_OK);
        bad += memcmp(m[0], m[2], n * sizeof *m[0]) != 0 || memcmp(m[1], m[2], n * sizeof *m[1]) != 0;
        for (size_t i = 0; i < n; i++) {
            const int c = clv_sim_sent(s[2], i);
            sent += c != 0;
            bad += clv_sim_sent(s[0], i) != c || clv_sim_sent(s[1], i) != c;
        }
        e++;
    }
    CHECK_INT(bad, 0);
    CHECK(sent > 1000); /* the coupons were sent, not refused or skipped */
    size_t na, nb, nc;
    const clv_sim_day *a = clv_sim_days(s[0], &na), *b = clv_sim_days(s[1], &nb), *c = clv_sim_days(s[2], &nc);
    CHECK(na == nc && nb == nc && nc > 0);
    CHECK(memcmp(a, c, nc * sizeof *a) == 0 && memcmp(b, c, nc * sizeof *b) == 0);
    /* an action out of range: refused, naming the customer, as before */
    CHECK_INT(clv_sim_reset(s[0], 5, 0, &err), CLV_OK);
    const size_t n = clv_sim_customers(s[0]);
    if (act && n > 10) {
        mixed_actions(&scn, n, 0, act);
        act[n - 3].coupon = (uint8_t)(scn.interventions.n_coupons + 1);
        CHECK_INT(clv_sim_step(s[0], act, NULL, &err), CLV_EINPUT);
        CHECK(strstr(err.msg, "customer") != NULL);
    }
    for (int k = 0; k < 3; k++) {
        clv_sim_free(s[k]);
        free(m[k]);
    }
    free(act);
    free(none);
    free(order);
}
