/* validate.c - the validation certificate: the simulated world against the fitted model (clvsim/validate.h). */
#include "clvsim/validate.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "clvsim/date.h"
#include "clvsim/io.h"
#include "clvsim/response.h"
#include "clvsim/sim.h"
#include "clvsim/streams.h"

/* CLV_ECANCELLED ("stopped") when the caller asked to stop */
static int stop_poll(const clv_validation *v, clv_error *err)
{
    if (clv_progress_poll(&v->poll) == CLV_OK)
        return CLV_OK;
    return clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "stopped");
}

static clv_sim *simulate(const clv_scenario *scn, const clv_sim_opts *so, uint64_t seed, clv_error *err, int *st)
{
    clv_sim *s = NULL;
    *st = clv_sim_alloc(scn, so, &s, err);
    if (*st == CLV_OK)
        *st = clv_sim_reset(s, seed, 0, err);
    return s;
}

/* the simulator's options of every check: the scenario's threads, the caller's cancellation */
static void sim_opts(const clv_validation *v, clv_sim_opts *so)
{
    clv_sim_opts_default(so);
    so->threads = v->scn->run.threads;
    so->progress = &v->poll;
}

/* a cohort without seasonality, acquisition or interventions: the fitted model itself */
static void plain(clv_scenario *c, const clv_scenario *scn, size_t n, int burn_in)
{
    *c = *scn;
    c->seasonality.enabled = 0;
    c->acquisition.rate_per_day = 0;
    c->population.customers = (int64_t)n;
    c->population.burn_in_days = burn_in;
    c->run.scale = 1;
}

/* 1. repeat purchases of a cohort over the horizon against P(X(t) = x) */
static int check_counts(clv_validation *v, clv_error *err)
{
    clv_scenario c;
    plain(&c, v->scn, v->n, 0);
    clv_sim_opts so;
    sim_opts(v, &so);
    int st;
    clv_sim *s = simulate(&c, &so, (uint64_t)v->scn->scenario.seed, err, &st);
    if (st == CLV_OK)
        st = clv_sim_run(s, NULL, &v->poll, err);
    clv_sim_obs *obs = st == CLV_OK ? malloc(v->n * sizeof *obs) : NULL;
    if (st == CLV_OK && !obs)
        st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    if (st == CLV_OK)
        st = clv_sim_observe(s, 0, v->n, obs, err);
    if (st == CLV_OK) {
        /* first purchases at a uniform time of the day before the start: t
         * is uniform on (H, H + 1] days, and the pmf is averaged over it */
        const double H = c.calendar.horizon_days;
        double p[CLV_VALIDATE_MAXBIN], rest = 1;
        for (int k = 0; k < CLV_VALIDATE_MAXBIN - 1; k++) {
            p[k] = 0;
            for (int q = 0; q < 16; q++)
                p[k] += clv_btyd_pmf(&v->model, (H + (q + 0.5) / 16) / v->unit_days, k) / 16;
            rest -= p[k];
        }
        p[CLV_VALIDATE_MAXBIN - 1] = rest > 0 ? rest : 0;
        /* bins 0, 1, ... and a last "k or more" with an expectation of at least 5 */
        int K = CLV_VALIDATE_MAXBIN;
        while (K > 2 && (double)v->n * p[K - 1] < 5) {
            p[K - 2] += p[K - 1];
            K--;
        }
        v->bins = K;
        for (int k = 0; k < K; k++) {
            v->observed[k] = 0;
            v->expected[k] = (double)v->n * p[k];
        }
        for (size_t i = 0; i < v->n; i++) {
            int x = obs[i].purchases - 1;
            v->observed[x < K - 1 ? x : K - 1] += 1;
        }
        v->chi2 = 0;
        for (int k = 0; k < K; k++)
            v->chi2 += (v->observed[k] - v->expected[k]) * (v->observed[k] - v->expected[k]) / v->expected[k];
        v->df = K - 1;
        v->pvalue = gsl_cdf_chisq_Q(v->chi2, v->df);
    }
    free(obs);
    clv_sim_free(s);
    return st;
}

/* the log as a real one would be (days), and each customer's exact
 * summary: first and last purchase times, purchases, repeat spend */
typedef struct {
    clv_afile *af;
    double *first, *last, *spend;
    int *count;
    int err_no;               /* errno of the write that failed */
} txw;

static int put_tx(void *ctx, const clv_sim_tx *tx)
{
    txw *w = ctx;
    char d[16];
    uint32_t i = tx->customer;
    if (w->count[i]++ == 0)
        w->first[i] = tx->time;
    else
        w->spend[i] += tx->amount;
    w->last[i] = tx->time;
    errno = 0;
    if (fprintf(w->af->fp, "c%u,%s", i, clv_date_format(tx->day, d)) >= 0 &&
        clv_put_num(w->af->fp, &w->af->num, "amount", ",%.2f\n", tx->amount) == 0)
        return 0;
    w->err_no = errno;
    return 1;
}

/* fit the purchase model and Gamma-Gamma to c[0..n) into fit[0..1] */
static int fit_both(const clv_validation *v, const clv_rfm *c, size_t n, clv_fit_result fit[2], clv_error *err)
{
    clv_fit_opts fo;
    clv_fit_opts_default(&fo);
    fo.threads = v->scn->run.threads;
    fo.seed = (uint64_t)v->scn->scenario.seed;
    fo.progress = &v->poll;
    int st = clv_btyd_type_of(v->scn->population.model)->fit(c, n, &fo, &fit[0], err);
    return st == CLV_OK ? clv_gg_fit(c, n, &fo, &fit[1], err) : st;
}

/* 2. the simulator's own log refitted: from the exact purchase times
 * (the certificate), and read back at day resolution like a real log
 * (reported beside it) */
static int check_refit(clv_validation *v, clv_error *err)
{
    clv_scenario c;
    plain(&c, v->scn, v->n, 273);
    clv_sim_opts so;
    sim_opts(v, &so);
    so.record = 1;
    clv_afile af;
    int st = clv_outdir_stage(v->od, "simulated_transactions.csv", v->scn->source, &af, err);
    if (st != CLV_OK)
        return st;
    fprintf(af.fp, "customer,date,amount\n");
    const size_t n = v->n;
    txw w = {&af, calloc(n, sizeof(double)), calloc(n, sizeof(double)), calloc(n, sizeof(double)),
             calloc(n, sizeof(int)), 0};
    clv_rfm *exact = calloc(n, sizeof *exact);
    if (!w.first || !w.last || !w.spend || !w.count || !exact)
        st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    clv_sim *s = st == CLV_OK ? simulate(&c, &so, (uint64_t)v->scn->scenario.seed + 1, err, &st) : NULL;
    if (st == CLV_OK && (st = clv_sim_log_check(s, err)) == CLV_OK && clv_sim_transactions(s, put_tx, &w) != CLV_OK)
        st = clv_error_set(err, CLV_EIO, af.path, 0, NULL, "write failed: %s", clv_write_failure(w.err_no));
    while (st == CLV_OK && !clv_sim_done(s)) {
        st = clv_sim_step(s, NULL, NULL, err);
        if (st == CLV_OK)
            st = clv_sim_log_check(s, err);
        if (st == CLV_OK && clv_sim_transactions(s, put_tx, &w) != CLV_OK)
            st = clv_error_set(err, CLV_EIO, af.path, 0, NULL, "write failed: %s", clv_write_failure(w.err_no));
        if (st == CLV_OK)
            st = stop_poll(v, err);
    }
    int32_t end = s ? clv_sim_today(s) - 1 : 0;
    clv_sim_free(s);
    char path[CLV_IO_PATH_MAX];
    snprintf(path, sizeof path, "%s", af.path);
    st = clv_afile_end(&af, st, err);
    /* exact summaries: observed to the end of the last day */
    for (size_t i = 0; st == CLV_OK && i < n; i++) {
        double x = w.count[i] - 1;
        exact[i] = (clv_rfm){.x = x, .t_x = x > 0 ? (w.last[i] - w.first[i]) / v->unit_days : 0,
                             .T = (end + 1 - w.first[i]) / v->unit_days, .mean_spend = x > 0 ? w.spend[i] / x : 0};
    }
    if (st == CLV_OK)
        st = fit_both(v, exact, n, v->fit, err);
    free(w.first);
    free(w.last);
    free(w.spend);
    free(w.count);
    free(exact);
    const clv_scn_population *pop = &v->scn->population;
    clv_btyd truth;
    clv_btyd_from_scenario(&truth, pop);
    clv_btyd_type_of(pop->model)->get(&truth, v->truth[0]);
    memcpy(v->truth[1], &pop->spend, sizeof pop->spend);
    v->worst_z = 0;
    for (int m = 0; st == CLV_OK && m < 2; m++)
        for (int k = 0; k < v->fit[m].n_params; k++) {
            double z = fabs(v->fit[m].par[k] - v->truth[m][k]) / v->fit[m].se[k];
            if (!(z <= v->worst_z))
                v->worst_z = z; /* NaN standard errors make it NaN: a failure */
        }
    /* the same log read back as days, as clvsim fit reads a real one */
    clv_txlog_opts ro;
    clv_txlog_opts_default(&ro);
    clv_rfm_table *t = NULL;
    if (st == CLV_OK)
        st = clv_rfm_read(path, &ro, end, -1, pop->unit, &v->poll, &t, err);
    if (st == CLV_OK)
        st = fit_both(v, t->c, t->n, v->fit_log, err);
    clv_rfm_free(t);
    return st;
}

/* 3. the scenario's real log: its cohort simulated from the same first
 * purchase days, against its real cumulative repeat purchases */
typedef struct {
    double *daily;
    int32_t start;
    size_t n_days;
    unsigned char *seen;
} cum_ctx;

static int count_repeat(void *ctx, const clv_sim_tx *tx)
{
    cum_ctx *c = ctx;
    if (!c->seen[tx->customer]) {
        c->seen[tx->customer] = 1; /* the first purchase is not a repeat */
        return 0;
    }
    long k = (long)tx->day - c->start;
    if (k >= 0 && (size_t)k < c->n_days)
        c->daily[k] += 1;
    return 0;
}

static int check_real(clv_validation *v, clv_error *err)
{
    const clv_scn_data *d = &v->scn->data;
    if (!d->transactions[0] || !d->calibration_end[0] || !d->holdout_end[0])
        return CLV_OK;
    int32_t cal, hold;
    clv_date_parse(d->calibration_end, -1, &cal);
    clv_date_parse(d->holdout_end, -1, &hold);
    clv_txlog_opts ro;
    clv_txlog_opts_from_scenario(&ro, d);
    int st = clv_rfm_read(d->transactions, &ro, cal, hold, v->scn->population.unit, &v->poll, &v->real, err);
    if (st != CLV_OK)
        return st;
    clv_rfm_table *t = v->real;
    v->have_read = 1;
    if (t->n_days == 0)
        return CLV_OK; /* every customer of the cohort started far before the log's bulk: no series */
    /* the customers of the daily series: those who did not start far
     * before the bulk of the log (clv_rfm_table) */
    int32_t *first = malloc(t->n * sizeof *first);
    if (!first)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    size_t nc = 0;
    int32_t lo = t->series_start, hi = lo;
    for (size_t i = 0; i < t->n; i++)
        if (t->c[i].first_day >= t->series_start) {
            first[nc] = t->c[i].first_day;
            hi = first[nc] > hi ? first[nc] : hi;
            nc++;
        }
    /* the whole cohort is acquired in the burn-in; the horizon runs to the holdout end */
    clv_scenario c;
    plain(&c, v->scn, nc, (int)(hi + 1 - lo));
    char buf[16];
    snprintf(c.calendar.start, sizeof c.calendar.start, "%s", clv_date_format(hi + 1, buf));
    c.calendar.horizon_days = (int)(hold - hi);
    clv_sim_opts so;
    sim_opts(v, &so);
    so.record = 1;
    so.first_days = first;
    so.n_first_days = nc;
    clv_sim *s = simulate(&c, &so, (uint64_t)v->scn->scenario.seed + 2, err, &st);
    free(first);
    v->sim_cum = calloc(t->n_days, sizeof *v->sim_cum);
    v->model_cum = calloc(t->n_days, sizeof *v->model_cum);
    unsigned char *seen = calloc(nc, 1);
    cum_ctx cc = {v->sim_cum, t->series_start, t->n_days, seen};
    if (st == CLV_OK && (!v->sim_cum || !v->model_cum || !seen))
        st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    if (st == CLV_OK && (st = clv_sim_log_check(s, err)) == CLV_OK)
        st = clv_sim_transactions(s, count_repeat, &cc);
    while (st == CLV_OK && !clv_sim_done(s)) {
        st = clv_sim_step(s, NULL, NULL, err);
        if (st == CLV_OK && (st = clv_sim_log_check(s, err)) == CLV_OK)
            st = clv_sim_transactions(s, count_repeat, &cc);
        if (st == CLV_OK)
            st = stop_poll(v, err);
    }
    free(seen);
    clv_sim_free(s);
    if (st == CLV_OK)
        st = clv_btyd_cumulative(&v->model, t, v->model_cum, err);
    if (st != CLV_OK)
        return st;
    /* cumulate, and the repeat purchases of the holdout period */
    double sim = 0;
    v->real_hold = v->sim_hold = 0;
    for (size_t k = 0; k < t->n_days; k++) {
        sim += v->sim_cum[k];
        v->sim_cum[k] = sim;
        if (t->series_start + (int32_t)k > cal) {
            v->real_hold += (double)t->repeat_per_day[k];
            v->sim_hold += v->sim_cum[k] - (k ? v->sim_cum[k - 1] : 0);
        }
    }
    v->have_real = 1;
    return CLV_OK;
}

/* 4. the treatment effect: the experiment's design in the simulated world,
 * arm by arm (clvsim/validate.h) */
static int check_effects(clv_validation *v, clv_error *err)
{
    const clv_scn_response *r = &v->scn->response;
    const char *arms[CLV_MAX_CONTACT_EFFECTS];
    const int n_arms = clv_scn_contact_arms(v->scn, arms);
    if (!r->enabled || !r->contact_enabled || n_arms == 0) {
        v->effects_why = !r->enabled           ? "response.enabled is false"
                         : !r->contact_enabled ? "response.contact.enabled is false"
                                               : "the scenario has no contact effects (response.contact.effects)";
        return CLV_OK;
    }
    const size_t n = v->n > 200000 ? v->n : 200000;
    clv_scenario c;
    /* a burn-in of at least two years, so that the cohort spans customers
     * older and younger than a year, as an experiment's customers do */
    plain(&c, v->scn, n, v->scn->population.burn_in_days > 730 ? v->scn->population.burn_in_days : 730);
    c.calendar.horizon_days = c.calendar.epoch_days = r->contact_window_days;
    c.interventions.n_prices = 1;
    c.interventions.prices[0] = 1.0;
    c.interventions.n_coupons = 1;
    c.interventions.budget_per_epoch = c.interventions.budget_total = -1;
    c.response.redeem_probability = 0; /* the experiment's contact has no discount to use */
    clv_sim_opts so;
    sim_opts(v, &so);
    clv_sim_obs *obs = malloc(n * sizeof *obs);
    clv_action *act = malloc(n * sizeof *act);
    unsigned char *group = malloc(n); /* 0 control, 1 treated, 2 outside the experiment's range */
    int st = obs && act && group ? CLV_OK : clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    const double z = 1.959963984540054;
    v->exp_customers = n;
    for (int a = 0; st == CLV_OK && a < n_arms; a++) {
        c.interventions.coupons[0] = (clv_scn_coupon){"contact", 0.01, 0.01, r->contact_window_days, 0, 0, ""};
        snprintf(c.interventions.coupons[0].contact_arm, CLV_NAME_MAX, "%s", arms[a]);
        /* the arm's levels, by covariate, and the experiment's recency range */
        double upper[CLV_CONTACT_N][CLV_MAX_CONTACT_EFFECTS];
        int nl[CLV_CONTACT_N] = {0}, row_level[CLV_MAX_CONTACT_EFFECTS];
        double range = INFINITY;
        int levels = 0;
        for (int e = 0; e < r->n_contact; e++) {
            const clv_scn_contact_effect *x = &r->contact[e];
            if (strcmp(x->arm, arms[a]) != 0 || x->covariate == CLV_CONTACT_ALL)
                continue;
            row_level[e] = nl[x->covariate];
            levels++;
            upper[x->covariate][nl[x->covariate]++] = x->upper < 0 ? INFINITY : x->upper;
            if (x->covariate == CLV_CONTACT_RECENCY)
                range = x->upper < 0 ? INFINITY : x->upper;
        }
        clv_sim *s = simulate(&c, &so, (uint64_t)v->scn->scenario.seed + 3, err, &st);
        if (st == CLV_OK)
            st = clv_sim_observe(s, 0, n, obs, err);
        for (size_t i = 0; st == CLV_OK && i < n; i++) {
            clv_rng g;
            clv_rng_seed(&g, (clv_stream_key){(uint64_t)v->scn->scenario.seed, CLV_STREAM_SPLIT,
                                             clv_rep_experiment((uint64_t)a), i});
            group[i] = obs[i].recency_days > range ? 2 : clv_rng_uniform(&g) < 0.5;
            act[i] = (clv_action){(uint8_t)(group[i] == 1), (uint8_t)clv_sim_list_price(s)};
        }
        if (st == CLV_OK)
            st = clv_sim_step(s, act, NULL, err);
        for (int e = 0; st == CLV_OK && e < r->n_contact; e++) {
            const clv_scn_contact_effect *x = &r->contact[e];
            if (strcmp(x->arm, arms[a]) != 0)
                continue;
            struct clv_validate_effect *y = &v->effect[e];
            for (size_t i = 0; i < n; i++) {
                if (group[i] == 2)
                    continue;
                if (x->covariate != CLV_CONTACT_ALL) {
                    const double age = obs[i].age_days;
                    const double val[CLV_CONTACT_N] = {0, obs[i].recency_days,
                                                       clv_contact_spend(obs[i].total_spend, age), age};
                    if (clv_contact_level(upper[x->covariate], nl[x->covariate], val[x->covariate]) != row_level[e])
                        continue;
                }
                y->n[group[i]]++;
                y->buyers[group[i]] += clv_sim_repeat_purchases(s, i) > 0;
            }
            clv_estimate rr = clv_rate_ratio(y->buyers[1], y->n[1], y->buyers[0], y->n[0], z);
            y->ratio = rr.est, y->lo = rr.lo, y->hi = rr.hi;
            /* with levels, the arm's overall ratio depends on the population's
             * mix of them, which is the world's, not the experiment's: its
             * levels are compared instead */
            y->checked = x->ratio_hi > 0 && y->buyers[0] >= 10 && y->buyers[1] >= 10 &&
                         (x->covariate != CLV_CONTACT_ALL || !levels);
            y->mix = x->covariate == CLV_CONTACT_ALL && levels;
            y->pass = y->checked && rr.est >= x->ratio_lo && rr.est <= x->ratio_hi;
            v->effects_checked += y->checked;
            v->effects_failed += y->checked && !y->pass;
        }
        clv_sim_free(s);
        if (st == CLV_OK)
            st = stop_poll(v, err);
    }
    free(obs);
    free(act);
    free(group);
    v->effects_run = st == CLV_OK;
    return st;
}

int clv_validate_run(const clv_scenario *scn, const clv_outdir *od, const clv_progress *progress, clv_validation *v,
                     clv_error *err)
{
    memset(v, 0, sizeof v[0]);
    v->scn = scn;
    v->od = od;
    /* the simulations, reads and fits poll the caller's cancellation; its
     * reports are the three phases */
    v->poll = (clv_progress){NULL, progress ? progress->ctx : NULL, progress ? progress->cancelled : NULL};
    clv_btyd_from_scenario(&v->model, &scn->population);
    v->unit_days = scn->population.unit == CLV_UNIT_WEEK ? 7.0 : 1.0;
    double n = (double)scn->population.customers * scn->run.scale;
    v->n = n > 20000 ? (size_t)n : 20000;
    int st = clv_progress_report(progress, "validating: counts", 0, 4);
    if (st == CLV_OK)
        st = check_counts(v, err);
    if (st == CLV_OK && (st = clv_progress_report(progress, "validating: refit", 1, 4)) == CLV_OK)
        st = check_refit(v, err);
    if (st == CLV_OK && (st = clv_progress_report(progress, "validating: real data", 2, 4)) == CLV_OK)
        st = check_real(v, err);
    if (st == CLV_OK && (st = clv_progress_report(progress, "validating: treatment effect", 3, 4)) == CLV_OK)
        st = check_effects(v, err);
    return st;
}

/* check 4 passes: it ran, no checked row failed, and every arm had a checked row */
static int effects_pass(const clv_validation *v)
{
    if (!v->effects_run || v->effects_failed)
        return 0;
    const clv_scn_response *r = &v->scn->response;
    for (int e = 0; e < r->n_contact; e++) {
        int any = 0;
        for (int f = 0; f < r->n_contact; f++)
            any |= strcmp(r->contact[f].arm, r->contact[e].arm) == 0 && v->effect[f].checked;
        if (!any)
            return 0;
    }
    return 1;
}

int clv_validation_pass(const clv_validation *v)
{
    return v->pvalue >= 0.001 && v->worst_z <= 3 && (!v->effects_run ? v->effects_why != NULL : effects_pass(v));
}

int clv_validation_effects_pass(const clv_validation *v) { return effects_pass(v); }

void clv_validation_free(clv_validation *v)
{
    clv_rfm_free(v->real);
    free(v->sim_cum);
    free(v->model_cum);
    v->real = NULL;
    v->sim_cum = v->model_cum = NULL;
}
