/* test_sim.c - the environment against the closed-form distributions of the
 * models it simulates, its accounting identities, and its independence of
 * the thread count. */
#include <stdlib.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>

#include "clvsim/btyd.h"
#include "clvsim/date.h"
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
    /* the segments are drawn with the scenario's shares (0.2, 0.3, 0.4, 0.1) */
    double segs[4] = {0};
    for (size_t i = 0; i < n; i++)
        segs[clv_sim_segment(s, i)] += 1;
    const double share[4] = {0.2, 0.3, 0.4, 0.1};
    for (int k = 0; k < 4; k++)
        CHECK_NEAR(segs[k] / n, share[k], 5 * sqrt(share[k] * (1 - share[k]) / n));
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

/* A controlled population for one effect: Pareto/NBD (dropout independent
 * of purchases), no seasonality, no acquisition, every response effect off
 * but the ones a test switches on, one coupon of 20% valid 28 days. */
static void controlled(clv_scenario *s, size_t n)
{
    cohort_scenario(s, CLV_MODEL_PARETO, n, 28);
    s->population.burn_in_days = 200;
    s->calendar.epoch_days = 28;
    s->population.pareto = (clv_pnbd_params){2.0, 20.0, 0.5, 50.0}; /* ~0.1 purchases a week */
    clv_scn_response *r = &s->response;
    r->persuadable = 1, r->sure_thing = r->lost_cause = r->sleeping_dog = 0;
    r->uplift_enabled = r->contact_churn_enabled = r->price_enabled = 0;
    r->deal_enabled = r->reactivation_enabled = r->fatigue_enabled = 0;
    r->redeem_probability = 0;
    s->interventions.n_coupons = 1;
    s->interventions.coupons[0] = (clv_scn_coupon){"20%", 0.2, 1e9, 28, 0.0, 0.0};
    s->interventions.n_prices = 3;
    s->interventions.prices[0] = 0.8, s->interventions.prices[1] = 1.0, s->interventions.prices[2] = 1.25;
    s->interventions.budget_per_epoch = s->interventions.budget_total = -1;
}

typedef struct {
    double purchases, revenue, coupon_cost, margin, alive_end, sent, refused, redemptions;
} outcome;

/* one epoch of 28 days with every customer given `a` */
static outcome one_epoch(const clv_scenario *scn, clv_action a, uint64_t seed)
{
    outcome o = {0};
    clv_sim_opts so;
    clv_sim_opts_default(&so);
    so.threads = 2;
    clv_sim *s = NULL;
    clv_error err;
    if (clv_sim_alloc(scn, &so, &s, &err) != CLV_OK || clv_sim_reset(s, seed, 0, &err) != CLV_OK) {
        harness_fail(__FILE__, __LINE__, "%s", err.msg);
        clv_sim_free(s);
        return o;
    }
    size_t n = clv_sim_customers(s);
    clv_action *act = malloc(n * sizeof *act);
    for (size_t i = 0; i < n; i++)
        act[i] = a;
    if (clv_sim_step(s, act, NULL, &err) != CLV_OK)
        harness_fail(__FILE__, __LINE__, "step: %s", err.msg);
    size_t nd;
    const clv_sim_day *d = clv_sim_days(s, &nd);
    for (size_t k = 0; k < nd; k++) {
        o.purchases += d[k].purchases, o.revenue += d[k].revenue, o.coupon_cost += d[k].coupon_cost;
        o.margin += d[k].net_margin, o.sent += d[k].coupons_sent, o.refused += d[k].coupons_refused;
        o.redemptions += d[k].redemptions;
    }
    o.alive_end = nd ? d[nd - 1].alive : 0;
    free(act);
    clv_sim_free(s);
    return o;
}

/* expected purchases of n Pareto/NBD customers in 28 days, alive or not: a
 * Poisson count at rate lambda k while alive, so its mean scales with k;
 * the check compares two runs' purchases (independent worlds) with the
 * standard error of a difference of Poisson-like totals */
static void check_ratio(const char *what, double treated, double control, double factor)
{
    /* the counts are gamma-mixed Poisson: with lambda ~ Gamma(2, rate 20 a
     * week) over 4 weeks their variance is about 1.2 times their mean, so
     * 1.2 times the Poisson standard error is conservative */
    double se = sqrt(treated + factor * factor * control) * 1.2;
    if (!(fabs(treated - factor * control) <= 5 * se))
        harness_fail(__FILE__, __LINE__, "%s: %.0f purchases against %.0f x %.4g = %.0f (5 se = %.0f)", what, treated,
                     control, factor, factor * control, 5 * se);
}

TEST(test_sim_intervention_effects)
{
    enum { N = 300000 };
    clv_scenario scn;
    const clv_action none = {0, 1}, coupon = {1, 1};

    /* persuadables with a constant lift of 3 (gamma shape 1e6): while the
     * unredeemable coupon is valid, intensity x (1 + 3 x 0.2) = 1.6 */
    controlled(&scn, N);
    scn.response.uplift_enabled = 1, scn.response.uplift_mean = 3.0, scn.response.uplift_shape = 1e6;
    outcome base = one_epoch(&scn, none, 1), up = one_epoch(&scn, coupon, 2);
    check_ratio("persuadable uplift", up.purchases, base.purchases, 1.6);
    CHECK_NEAR(up.sent, N, 0);
    CHECK_NEAR(up.coupon_cost, 0, 0); /* no contact cost, nothing redeemed */

    /* lost causes: the coupon changes nothing */
    controlled(&scn, N);
    scn.response.persuadable = 0, scn.response.lost_cause = 1;
    scn.response.uplift_enabled = 1, scn.response.uplift_mean = 3.0;
    up = one_epoch(&scn, coupon, 2);
    check_ratio("lost causes", up.purchases, base.purchases, 1.0);

    /* sure things redeem on purchases they make anyway: same purchases, and
     * the coupon costs 20% of the first basket bought while it is valid */
    controlled(&scn, N);
    scn.response.persuadable = 0, scn.response.sure_thing = 1, scn.response.redeem_probability = 1;
    up = one_epoch(&scn, coupon, 2);
    check_ratio("sure things", up.purchases, base.purchases, 1.0);
    CHECK(up.redemptions > 0 && up.redemptions <= up.purchases);
    CHECK(up.coupon_cost > 0.19 * up.revenue / up.purchases * up.redemptions &&
          up.coupon_cost < 0.21 * up.revenue / up.purchases * up.redemptions);
    CHECK_NEAR(up.margin, up.revenue * scn.economics.margin_rate - up.coupon_cost, 1e-6 * up.revenue);

    /* sleeping dogs: a contact drops each with probability 0.3 */
    controlled(&scn, N);
    scn.response.persuadable = 0, scn.response.sleeping_dog = 1;
    scn.response.contact_churn_enabled = 1, scn.response.contact_churn_probability = 0.3;
    outcome b2 = one_epoch(&scn, none, 5), dog = one_epoch(&scn, coupon, 5);
    /* the same seed: the same customers; the contact takes 30% of the alive */
    double alive0 = b2.alive_end; /* of which dropout over 28 days is rare at these rates */
    CHECK_NEAR(dog.alive_end / alive0, 0.7, 5 * sqrt(0.21 / alive0) + 0.01);

    /* price: elasticity -2 exactly (sd 0): at 1.25 x list price intensity
     * x 1.25^-2 = 0.64 and the charged basket x 1.25 */
    controlled(&scn, N);
    scn.response.price_enabled = 1, scn.response.elasticity_mean = -2, scn.response.elasticity_sd = 0;
    outcome dear = one_epoch(&scn, (clv_action){0, 2}, 2);
    check_ratio("price elasticity", dear.purchases, base.purchases, 0.64);
    CHECK_NEAR(dear.revenue / dear.purchases, 1.25 * base.revenue / base.purchases, 0.05 * base.revenue / base.purchases);

    /* a deal expectation from one coupon: after the coupon expires (a coupon
     * valid 1 day, gain 1, no decay to speak of, penalty 0.5), full-price
     * intensity x 1 / (1 + 0.5) over the rest of the epoch */
    controlled(&scn, N);
    scn.interventions.coupons[0].validity_days = 1;
    scn.response.persuadable = 0, scn.response.lost_cause = 1;
    scn.response.deal_enabled = 1, scn.response.deal_gain = 1, scn.response.deal_half_life_days = 1e6;
    scn.response.deal_full_price_penalty = 0.5;
    outcome waiting = one_epoch(&scn, coupon, 2);
    check_ratio("deal expectation", waiting.purchases, base.purchases, (1 + 27 / 1.5) / 28);
}

/* reactivation: at-risk responders hold on while the coupon is valid */
TEST(test_sim_reactivation)
{
    enum { N = 60000 };
    clv_scenario scn;
    controlled(&scn, N);
    /* quick dropout so that 28 days matter (a mean lifetime of a week), and
     * a 3-day burn-in with at-risk from 2 days of silence: at the start,
     * customers who have not bought again since their first day are at risk */
    scn.population.pareto = (clv_pnbd_params){2.0, 20.0, 50.0, 50.0};
    scn.population.burn_in_days = 3;
    scn.lifecycle.new_days = 1, scn.lifecycle.active_days = 1, scn.lifecycle.churned_days = 1000;
    scn.response.reactivation_enabled = 1, scn.response.reactivation_dropout_reduction = 0.5;
    scn.interventions.n_prices = 1, scn.interventions.prices[0] = 1.0;
    outcome base = one_epoch(&scn, (clv_action){0, 0}, 9), held = one_epoch(&scn, (clv_action){1, 0}, 9);
    /* hazard halved for the 28 days for those at risk: far more survive */
    CHECK(held.alive_end > base.alive_end * 1.2);
    /* and without reactivation the coupon changes nothing for survival */
    scn.response.reactivation_enabled = 0;
    outcome plain_coupon = one_epoch(&scn, (clv_action){1, 0}, 9);
    CHECK_NEAR(plain_coupon.alive_end, base.alive_end, 0);
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
