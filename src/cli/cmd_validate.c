/* cmd_validate.c - clvsim validate: a certificate that the simulated world is the fitted one. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gsl/gsl_cdf.h>

#include "cli.h"

enum { MAXBIN = 16 };

/* polled by the simulator in its resets and between epochs: a stop signal ends the run */
static const clv_progress stop_poll = {NULL, NULL, cli_cancelled};

typedef struct {
    const clv_scenario *scn;
    const clv_outdir *od;         /* DIR/validation, claimed; files are staged */
    clv_btyd model;
    double unit_days;
    size_t n;
    /* 1: counts */
    int bins;
    double observed[MAXBIN], expected[MAXBIN];
    double chi2, pvalue;
    int df;
    /* 2: refit */
    clv_fit_result fit[2];      /* purchase model, spend model, from exact times */
    clv_fit_result fit_log[2];  /* the same from the day-resolution log */
    double truth[2][4];
    double worst_z;
    /* 3: real data */
    int have_real;
    clv_rfm_table *real;
    double *sim_cum, *model_cum;
    double real_hold, sim_hold;
} validation;

static clv_sim *simulate(const clv_scenario *scn, const clv_sim_opts *so, uint64_t seed, clv_error *err, int *st)
{
    clv_sim *s = NULL;
    *st = clv_sim_alloc(scn, so, &s, err);
    if (*st == CLV_OK)
        *st = clv_sim_reset(s, seed, 0, err);
    return s;
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
static int check_counts(validation *v, clv_error *err)
{
    clv_scenario c;
    plain(&c, v->scn, v->n, 0);
    clv_sim_opts so;
    clv_sim_opts_default(&so);
    so.threads = v->scn->run.threads;
    so.progress = &stop_poll;
    int st;
    clv_sim *s = simulate(&c, &so, (uint64_t)v->scn->scenario.seed, err, &st);
    if (st == CLV_OK)
        st = clv_sim_run(s, NULL, &stop_poll, err);
    clv_sim_obs *obs = st == CLV_OK ? malloc(v->n * sizeof *obs) : NULL;
    if (st == CLV_OK && !obs)
        st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    if (st == CLV_OK)
        st = clv_sim_observe(s, 0, v->n, obs, err);
    if (st == CLV_OK) {
        /* first purchases at a uniform time of the day before the start: t
         * is uniform on (H, H + 1] days, and the pmf is averaged over it */
        const double H = c.calendar.horizon_days;
        double p[MAXBIN], rest = 1;
        for (int k = 0; k < MAXBIN - 1; k++) {
            p[k] = 0;
            for (int q = 0; q < 16; q++)
                p[k] += clv_btyd_pmf(&v->model, (H + (q + 0.5) / 16) / v->unit_days, k) / 16;
            rest -= p[k];
        }
        p[MAXBIN - 1] = rest > 0 ? rest : 0;
        /* bins 0, 1, ... and a last "k or more" with an expectation of at least 5 */
        int K = MAXBIN;
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
static int fit_both(const validation *v, const clv_rfm *c, size_t n, clv_fit_result fit[2], clv_error *err)
{
    clv_fit_opts fo;
    clv_fit_opts_default(&fo);
    fo.threads = v->scn->run.threads;
    fo.seed = (uint64_t)v->scn->scenario.seed;
    fo.progress = &stop_poll;
    int st = clv_btyd_type_of(v->scn->population.model)->fit(c, n, &fo, &fit[0], err);
    return st == CLV_OK ? clv_gg_fit(c, n, &fo, &fit[1], err) : st;
}

/* 2. the simulator's own log refitted: from the exact purchase times
 * (the certificate), and read back at day resolution like a real log
 * (reported beside it) */
static int check_refit(validation *v, clv_error *err)
{
    clv_scenario c;
    plain(&c, v->scn, v->n, 273);
    clv_sim_opts so;
    clv_sim_opts_default(&so);
    so.threads = v->scn->run.threads;
    so.progress = &stop_poll;
    so.record = 1;
    clv_afile af;
    int st = cli_open_out(v->od, "simulated_transactions.csv", v->scn->source, &af, err);
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
    if (st == CLV_OK && clv_sim_transactions(s, put_tx, &w) != CLV_OK)
        st = clv_error_set(err, CLV_EIO, af.path, 0, NULL, "write failed: %s", cli_write_failure(w.err_no));
    while (st == CLV_OK && !clv_sim_done(s)) {
        st = clv_sim_step(s, NULL, NULL, err);
        if (st == CLV_OK && clv_sim_transactions(s, put_tx, &w) != CLV_OK)
            st = clv_error_set(err, CLV_EIO, af.path, 0, NULL, "write failed: %s", cli_write_failure(w.err_no));
        if (st == CLV_OK)
            st = cli_stop(err);
    }
    int32_t end = s ? clv_sim_today(s) - 1 : 0;
    clv_sim_free(s);
    char path[CLV_IO_PATH_MAX];
    snprintf(path, sizeof path, "%s", af.path);
    st = cli_close_out(&af, st, err);
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
        st = clv_rfm_read(path, &ro, end, -1, pop->unit, &stop_poll, &t, err);
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

static int check_real(validation *v, clv_error *err)
{
    const clv_scn_data *d = &v->scn->data;
    if (!d->transactions[0] || !d->calibration_end[0] || !d->holdout_end[0])
        return CLV_OK;
    int32_t cal, hold;
    clv_date_parse(d->calibration_end, -1, &cal);
    clv_date_parse(d->holdout_end, -1, &hold);
    clv_txlog_opts ro;
    clv_txlog_opts_from_scenario(&ro, d);
    int st = clv_rfm_read(d->transactions, &ro, cal, hold, v->scn->population.unit, &stop_poll, &v->real, err);
    if (st != CLV_OK)
        return st;
    clv_rfm_table *t = v->real;
    cli_warn_far_dates("validate", d->transactions, &t->stats);
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
    clv_sim_opts_default(&so);
    so.threads = v->scn->run.threads;
    so.progress = &stop_poll;
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
    if (st == CLV_OK)
        st = clv_sim_transactions(s, count_repeat, &cc);
    while (st == CLV_OK && !clv_sim_done(s)) {
        st = clv_sim_step(s, NULL, NULL, err);
        if (st == CLV_OK)
            st = clv_sim_transactions(s, count_repeat, &cc);
        if (st == CLV_OK)
            st = cli_stop(err);
    }
    free(seen);
    clv_sim_free(s);
    if (st == CLV_OK)
        st = clv_btyd_cumulative(&v->model, t, v->model_cum, err);
    if (st != CLV_OK)
        return st;
    /* cumulate, and the repeat purchases of the holdout period */
    double real = 0, sim = 0;
    v->real_hold = v->sim_hold = 0;
    for (size_t k = 0; k < t->n_days; k++) {
        real += (double)t->repeat_per_day[k];
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

/* Every number of the report and the CSVs goes through clv_put_num
 * (clvsim/io.h); N checks one, O leaves one empty when it is undefined (a
 * standard error, z and interval without a Hessian, a change against a
 * holdout of 0 purchases). */
#define N(name, fmt, x) clv_put_num(fp, chk, name, fmt, x)
#define O(name, fmt, x) clv_put_opt(fp, chk, name, fmt, x)

static void report(FILE *fp, clv_numcheck *chk, const validation *v)
{
    const clv_scn_population *pop = &v->scn->population;
    const char *model = clv_btyd_type_of(pop->model)->label;
    fprintf(fp, "clvsim validate %s: the simulated world against the fitted %s + Gamma-Gamma population\n",
            v->scn->source, model);
    fprintf(fp, "(interventions, seasonality and acquisition off; seed %lld)\n\n", (long long)v->scn->scenario.seed);
    fprintf(fp, "1. repeat purchases of %zu customers over %d days against the closed-form P(X(t)=x)\n", v->n,
            v->scn->calendar.horizon_days);
    fprintf(fp, "   %-6s %12s %12s\n", "x", "simulated", "expected");
    for (int k = 0; k < v->bins; k++) {
        char lab[16];
        snprintf(lab, sizeof lab, k == v->bins - 1 ? "%d+" : "%d", k);
        fprintf(fp, "   %-6s", lab);
        N("simulated", " %12.0f", v->observed[k]);
        N("expected", " %12.1f\n", v->expected[k]);
    }
    N("chi-square", "   chi-square %.2f", v->chi2);
    fprintf(fp, " on %d degrees of freedom", v->df);
    N("p", ", p = %.4f", v->pvalue);
    fprintf(fp, ": %s (p >= 0.001)\n\n", v->pvalue >= 0.001 ? "PASS" : "FAIL");
    fprintf(fp, "2. the simulator's own transactions (simulated_transactions.csv) refitted, from their exact times\n");
    fprintf(fp, "   %-16s %12s %12s %12s %25s %7s %12s\n", "parameter", "true", "estimate", "std. error",
            "95% interval", "z", "log, days");
    static const char *const lab[2] = {NULL, "Gamma-Gamma"};
    for (int m = 0; m < 2; m++)
        for (int k = 0; k < v->fit[m].n_params; k++) {
            const clv_fit_result *r = &v->fit[m];
            char name[40];
            snprintf(name, sizeof name, "%s %s", m ? lab[1] : model, r->names[k]);
            fprintf(fp, "   %-16s", name);
            N("true", " %12.6g", v->truth[m][k]);
            N("estimate", " %12.6g", r->par[k]);
            O("std. error", " %12.4g", r->se[k]);
            O("95% interval", "   [%10.5g", r->par[k] - 1.96 * r->se[k]);
            O("95% interval", ", %10.5g]", r->par[k] + 1.96 * r->se[k]);
            O("z", " %7.2f", (r->par[k] - v->truth[m][k]) / r->se[k]);
            N("log, days", " %12.6g\n", v->fit_log[m].par[k]);
        }
    if (isnan(v->worst_z)) /* a fit without standard errors */
        fprintf(fp, "   largest |z| unknown (a fit gave no standard errors)");
    else
        N("largest |z|", "   largest |z| %.2f", v->worst_z);
    fprintf(fp, ": %s (every parameter within 3 standard errors of its true value)\n", v->worst_z <= 3 ? "PASS" : "FAIL");
    fprintf(fp, "   'log, days': the same log read at day resolution, as 'clvsim fit' reads a real one: two\n"
                "   purchases on one day merge and ages are whole days, which biases the rates slightly\n"
                "   (information, not part of the certificate)\n\n");
    if (v->have_real) {
        const clv_rfm_table *t = v->real;
        fprintf(fp, "3. the real log %s: its %zu-customer cohort simulated from the same first purchase days\n",
                v->scn->data.transactions, t->n);
        double real_cal = 0;
        size_t k_cal = 0;
        for (size_t k = 0; k < t->n_days; k++)
            if (t->series_start + (int32_t)k <= t->calibration_end)
                real_cal += (double)t->repeat_per_day[k], k_cal = k;
        fprintf(fp, "   repeat purchases   %12s %12s %12s\n", "real", "simulated", "model");
        N("real", "   calibration        %12.0f", real_cal);
        N("simulated", " %12.0f", v->sim_cum[k_cal]);
        N("model", " %12.1f\n", v->model_cum[k_cal]);
        N("real", "   holdout            %12.0f", v->real_hold);
        N("simulated", " %12.0f", v->sim_hold);
        N("model", " %12.1f\n", v->model_cum[t->n_days - 1] - v->model_cum[k_cal]);
        if (v->real_hold > 0) {
            N("difference", "   (the simulator's holdout differs from the real one by %+.1f%%; this measures the fitted\n"
                            "   model against the data, not the simulator against the model)\n\n",
              100 * (v->sim_hold - v->real_hold) / v->real_hold);
        } else {
            fprintf(fp, "   (the real holdout has no repeat purchase: no relative difference; this measures the\n"
                        "   fitted model against the data, not the simulator against the model)\n\n");
        }
    } else {
        fprintf(fp, "3. no real log: the scenario names no data.transactions with calibration and holdout ends\n\n");
    }
    fprintf(fp, "certificate: %s\n", v->pvalue >= 0.001 && v->worst_z <= 3 ? "PASS" : "FAIL");
}

static int write_csvs(const validation *v, clv_error *err)
{
    clv_afile af;
    FILE *fp;
    clv_numcheck *chk;
    int st = cli_open_out(v->od, "counts.csv", v->scn->source, &af, err);
    if (st != CLV_OK)
        return st;
    fp = af.fp, chk = &af.num;
    fprintf(fp, "repeat purchases,simulated,expected\n");
    for (int k = 0; k < v->bins; k++) {
        fprintf(fp, k == v->bins - 1 ? "%d+" : "%d", k);
        N("simulated", ",%.0f", v->observed[k]);
        N("expected", ",%.4f\n", v->expected[k]);
    }
    if ((st = cli_close_out(&af, CLV_OK, err)) != CLV_OK)
        return st;
    if ((st = cli_open_out(v->od, "refit.csv", v->scn->source, &af, err)) != CLV_OK)
        return st;
    fp = af.fp, chk = &af.num;
    fprintf(fp, "model,parameter,true,estimate,std_error,z,estimate_from_day_log,std_error_from_day_log\n");
    for (int m = 0; m < 2; m++)
        for (int k = 0; k < v->fit[m].n_params; k++) {
            fprintf(fp, "%s,%s", m ? "ggamma" : clv_btyd_type_of(v->scn->population.model)->name,
                    v->fit[m].names[k]);
            N("true", ",%.17g", v->truth[m][k]);
            N("estimate", ",%.17g", v->fit[m].par[k]);
            O("std_error", ",%.17g", v->fit[m].se[k]);
            O("z", ",%.6g", (v->fit[m].par[k] - v->truth[m][k]) / v->fit[m].se[k]);
            N("estimate_from_day_log", ",%.17g", v->fit_log[m].par[k]);
            O("std_error_from_day_log", ",%.17g\n", v->fit_log[m].se[k]);
        }
    if ((st = cli_close_out(&af, CLV_OK, err)) != CLV_OK || !v->have_real)
        return st;
    if ((st = cli_open_out(v->od, "cumulative.csv", v->scn->source, &af, err)) != CLV_OK)
        return st;
    fp = af.fp, chk = &af.num;
    fprintf(fp, "date,real,simulated,model\n");
    double real = 0;
    for (size_t k = 0; k < v->real->n_days; k++) {
        char d[16];
        real += (double)v->real->repeat_per_day[k];
        fprintf(fp, "%s", clv_date_format(v->real->series_start + (int32_t)k, d));
        N("real", ",%.0f", real);
        N("simulated", ",%.0f", v->sim_cum[k]);
        N("model", ",%.4f\n", v->model_cum[k]);
    }
    return cli_close_out(&af, CLV_OK, err);
}

static int plots(const validation *v, int quiet, clv_error *err)
{
    if (!clv_plot_available()) {
        if (!quiet)
            fprintf(stderr, "clvsim validate: gnuplot not found: skipped counts.{png,svg}%s; install the Debian "
                            "package gnuplot-nox and run again\n", v->have_real ? " and cumulative.{png,svg}" : "");
        return CLV_OK;
    }
    char dir[CLV_IO_PATH_MAX], script[CLV_IO_PATH_MAX * 2], data[CLV_IO_PATH_MAX + 96], out[CLV_IO_PATH_MAX];
    int st = clv_plot_dir(dir, sizeof dir, "fit_frequency.gp", err);
    for (int f = 0; st == CLV_OK && f < 1 + v->have_real; f++) {
        snprintf(script, sizeof script, "%s/%s", dir, f ? "fit_cumulative.gp" : "fit_frequency.gp");
        snprintf(data, sizeof data, "datafile=%s/%s", v->od->stage, f ? "cumulative.csv" : "counts.csv");
        char cal[40] = "calibration_end=";
        if (f)
            clv_date_format(v->real->calibration_end, cal + strlen(cal));
        const char *vars[] = {data, f ? "ncols=4" : "ncols=3",
                              f ? "title_text=Cumulative repeat purchases: real, simulated and model"
                                : "title_text=Repeat purchases of a simulated cohort against P(X(t)=x)",
                              cal};
        for (int e = 0; st == CLV_OK && e < 2; e++) {
            char name[32];
            snprintf(name, sizeof name, "%s.%s", f ? "cumulative" : "counts", e ? "svg" : "png");
            if ((st = cli_stop(err)) == CLV_OK && (st = clv_path_join(out, sizeof out, v->od->stage, name, err)) == CLV_OK)
                st = clv_plot(script, out, vars, f ? 4 : 3, err);
        }
    }
    return st;
}

int cmd_validate(const cli_cmd *cmd, int argc, char **argv)
{
    cli_opts o;
    clv_scenario scn;
    int rc = cli_parse_scenario(cmd, argc, argv, &o, &scn);
    if (rc >= 0)
        return rc;
    validation v;
    memset(&v, 0, sizeof v);
    v.scn = &scn;
    clv_btyd_from_scenario(&v.model, &scn.population);
    v.unit_days = scn.population.unit == CLV_UNIT_WEEK ? 7.0 : 1.0;
    double n = (double)scn.population.customers * scn.run.scale;
    v.n = n > 20000 ? (size_t)n : 20000;
    char dir[CLV_IO_PATH_MAX];
    clv_error err;
    int st = clv_path_join(dir, sizeof dir, scn.output.dir, "validation", &err);
    clv_outdir od = {.fd = -1};
    v.od = &od;
    cli_progress bar;
    cli_progress_init(&bar, o.quiet);
    clv_progress prog = cli_progress_of(&bar);
    /* a DIR made here is marked as clvsim's too (else a later run into it
     * would find a directory it did not make), then DIR/validation claimed */
    struct stat sb;
    if (st == CLV_OK && stat(scn.output.dir, &sb) != 0)
        st = clv_output_dir_prepare(scn.output.dir, o.force, &err);
    if (st == CLV_OK)
        st = clv_outdir_open(&od, dir, o.force, &err);
    if (st == CLV_OK && (st = clv_progress_report(&prog, "validating: counts", 0, 3)) == CLV_OK)
        st = check_counts(&v, &err);
    if (st == CLV_OK && (st = clv_progress_report(&prog, "validating: refit", 1, 3)) == CLV_OK)
        st = check_refit(&v, &err);
    if (st == CLV_OK && (st = clv_progress_report(&prog, "validating: real data", 2, 3)) == CLV_OK)
        st = check_real(&v, &err);
    cli_progress_done(&bar);
    if (st == CLV_ECANCELLED)
        clv_error_set(&err, st, NULL, 0, NULL, "interrupted");
    if (st == CLV_OK)
        st = write_csvs(&v, &err);
    clv_afile af;
    if (st == CLV_OK && (st = cli_open_out(&od, "report.txt", scn.source, &af, &err)) == CLV_OK) {
        report(af.fp, &af.num, &v);
        st = cli_close_out(&af, CLV_OK, &err);
    }
    if (st == CLV_OK)
        st = plots(&v, o.quiet, &err);
    st = cli_out_end(&od, st, "report.txt", NULL, 0, &err);
    int pass = v.pvalue >= 0.001 && v.worst_z <= 3;
    if (st == CLV_OK) {
        clv_numcheck out = {0}; /* the same numbers as report.txt's, which passed */
        report(stdout, &out, &v);
        if (!o.quiet)
            fprintf(stderr, "clvsim validate: wrote report.txt, counts.csv, refit.csv%s, "
                            "simulated_transactions.csv and plots to %s\n", v.have_real ? ", cumulative.csv" : "",
                    dir);
    }
    clv_rfm_free(v.real);
    free(v.sim_cum);
    free(v.model_cum);
    if (st != CLV_OK)
        return cli_report(&err);
    if (!pass) {
        cli_errorf(cmd->name, "the certificate FAILED: see %s/report.txt", dir);
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}
