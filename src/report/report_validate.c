/* report_validate.c - the files of `clvsim validate`: report.txt, counts.csv, refit.csv, cumulative.csv, treatment_effect.csv, figures. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "clvsim/date.h"
#include "clvsim/plot.h"
#include "clvsim/validate.h"

/* CLV_ECANCELLED ("stopped") when the caller asked to stop */
static int stop_poll(const clv_progress *p, clv_error *err)
{
    if (clv_progress_poll(p) == CLV_OK)
        return CLV_OK;
    return clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "stopped");
}

/* Every number of the report and the CSVs goes through clv_put_num
 * (clvsim/io.h); N checks one, O leaves one empty when it is undefined (a
 * standard error, z and interval without a Hessian, a change against a
 * holdout of 0 purchases). */
#define N(name, fmt, x) clv_put_num(fp, chk, name, fmt, x)
#define O(name, fmt, x) clv_put_opt(fp, chk, name, fmt, x)

/* check 4: every row of the contact effects, the experiment's and the simulated rate ratio */
static void effects(FILE *fp, clv_numcheck *chk, const clv_validation *v)
{
    const clv_scn_response *r = &v->scn->response;
    if (!v->effects_run) {
        fprintf(fp, "4. treatment effect: NOT RUN: %s\n\n", v->effects_why ? v->effects_why : "not reached");
        return;
    }
    fprintf(fp, "4. treatment effect: the experiment's design in the simulated world (%zu customers after a burn-in of\n"
                "   at least two years,"
                " those within the experiment's recency range randomised 1:1, a contact of the arm valid %d days);\n"
                "   the simulated rate ratio of buying within the window against the experiment's interval\n",
            v->exp_customers, r->contact_window_days);
    fprintf(fp, "   %-14s %-8s %-16s %22s %9s %9s %9s %9s %26s  %s\n", "arm", "covariate", "level", "experiment",
            "control", "buyers", "treated", "buyers", "simulated", "verdict");
    for (int e = 0; e < r->n_contact; e++) {
        const clv_scn_contact_effect *x = &r->contact[e];
        const struct clv_validate_effect *y = &v->effect[e];
        fprintf(fp, "   %-14.14s %-8s %-16.16s", x->arm, clv_contact_covariate_name(x->covariate), x->level);
        N("ratio", " %6.3f", x->ratio);
        N("ratio_lo", " [%6.3f", x->ratio_lo);
        N("ratio_hi", ", %6.3f]", x->ratio_hi);
        fprintf(fp, " %9ld %9ld %9ld %9ld", y->n[0], y->buyers[0], y->n[1], y->buyers[1]);
        if (isnan(y->ratio) || isnan(y->lo) || isnan(y->hi)) {
            fprintf(fp, "%26s", "-");
        } else {
            N("simulated", "     %6.3f", y->ratio);
            N("simulated lo", " [%6.3f", y->lo);
            N("simulated hi", ", %6.3f]", y->hi);
        }
        fprintf(fp, "  %s\n", y->checked ? (y->pass ? "PASS" : "FAIL")
                               : y->mix   ? "shown (the world's mix of levels, not the experiment's)"
                               : x->ratio_hi > 0 ? "not checked (fewer than 10 buyers in an arm)"
                                                 : "not checked (no interval)");
    }
    fprintf(fp, "   %d rows checked, %d failed: %s (every checked row's simulated ratio within the experiment's\n"
                "   interval, and a checked row in every arm)\n\n",
            v->effects_checked, v->effects_failed, clv_validation_effects_pass(v) ? "PASS" : "FAIL");
}

static void report(FILE *fp, clv_numcheck *chk, const clv_validation *v)
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
    fprintf(fp, ": %s (p >= 0.001)\n\n", isnan(v->pvalue) ? "NOT PERFORMED (no p-value)" : v->pvalue >= 0.001 ? "PASS" : "FAIL");
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
    fprintf(fp, ": %s (every parameter within 3 standard errors of its true value)\n",
            isnan(v->worst_z) ? "NOT PERFORMED" : v->worst_z <= 3 ? "PASS" : "FAIL");
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
    effects(fp, chk, v);
    /* a check that could not be performed never passes: the certificate fails and says which */
    fprintf(fp, "certificate: %s%s%s\n", clv_validation_pass(v) ? "PASS" : "FAIL",
            isnan(v->pvalue) ? " (check 1 not performed)" : "", isnan(v->worst_z) ? " (check 2 not performed)" : "");
}

static int write_csvs(const clv_validation *v, clv_error *err)
{
    clv_afile af;
    FILE *fp;
    clv_numcheck *chk;
    int st = clv_outdir_stage(v->od, "counts.csv", v->scn->source, &af, err);
    if (st != CLV_OK)
        return st;
    fp = af.fp, chk = &af.num;
    fprintf(fp, "repeat purchases,simulated,expected\n");
    for (int k = 0; k < v->bins; k++) {
        fprintf(fp, k == v->bins - 1 ? "%d+" : "%d", k);
        N("simulated", ",%.0f", v->observed[k]);
        N("expected", ",%.4f\n", v->expected[k]);
    }
    if ((st = clv_afile_end(&af, CLV_OK, err)) != CLV_OK)
        return st;
    if ((st = clv_outdir_stage(v->od, "refit.csv", v->scn->source, &af, err)) != CLV_OK)
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
    if ((st = clv_afile_end(&af, CLV_OK, err)) != CLV_OK)
        return st;
    if (v->effects_run) {
        const clv_scn_response *r = &v->scn->response;
        if ((st = clv_outdir_stage(v->od, "treatment_effect.csv", v->scn->source, &af, err)) != CLV_OK)
            return st;
        fp = af.fp, chk = &af.num;
        fprintf(fp, "arm,covariate,level,experiment_ratio,experiment_lo,experiment_hi,sim_control,sim_control_buyers,"
                    "sim_treated,sim_treated_buyers,sim_ratio,sim_lo,sim_hi,verdict\n");
        for (int e = 0; e < r->n_contact; e++) {
            const clv_scn_contact_effect *x = &r->contact[e];
            const struct clv_validate_effect *y = &v->effect[e];
            clv_put_csv_text(fp, x->arm);
            fprintf(fp, ",%s,", clv_contact_covariate_name(x->covariate));
            clv_put_csv_text(fp, x->level);
            N("experiment_ratio", ",%.6g", x->ratio);
            N("experiment_lo", ",%.6g", x->ratio_lo);
            N("experiment_hi", ",%.6g", x->ratio_hi);
            fprintf(fp, ",%ld,%ld,%ld,%ld", y->n[0], y->buyers[0], y->n[1], y->buyers[1]);
            O("sim_ratio", ",%.6g", y->ratio);
            O("sim_lo", ",%.6g", y->lo);
            O("sim_hi", ",%.6g", y->hi);
            fprintf(fp, ",%s\n", y->checked ? (y->pass ? "pass" : "fail") : y->mix ? "shown" : "not checked");
        }
        if ((st = clv_afile_end(&af, CLV_OK, err)) != CLV_OK)
            return st;
    }
    if (!v->have_real)
        return st;
    if ((st = clv_outdir_stage(v->od, "cumulative.csv", v->scn->source, &af, err)) != CLV_OK)
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
    return clv_afile_end(&af, CLV_OK, err);
}

static int plots(const clv_validation *v, const clv_progress *progress, int *no_gnuplot, clv_error *err)
{
    if (!clv_plot_available()) {
        *no_gnuplot = 1;
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
            if ((st = stop_poll(progress, err)) == CLV_OK && (st = clv_path_join(out, sizeof out, v->od->stage, name, err)) == CLV_OK)
                st = clv_plot(script, out, vars, f ? 4 : 3, err);
        }
    }
    return st;
}


void clv_validate_report_print(FILE *fp, clv_numcheck *chk, const clv_validation *v)
{
    report(fp, chk, v);
}

int clv_validate_report_write(const clv_validation *v, const clv_progress *progress, int *no_gnuplot,
                              clv_error *err)
{
    int dummy = 0;
    no_gnuplot = no_gnuplot ? no_gnuplot : &dummy;
    *no_gnuplot = 0;
    int st = write_csvs(v, err);
    clv_afile af;
    if (st == CLV_OK && (st = clv_outdir_stage(v->od, "report.txt", v->scn->source, &af, err)) == CLV_OK) {
        report(af.fp, &af.num, v);
        st = clv_afile_end(&af, CLV_OK, err);
    }
    if (st == CLV_OK)
        st = plots(v, progress, no_gnuplot, err);
    return st;
}
