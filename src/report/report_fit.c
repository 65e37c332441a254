/* report_fit.c - the files of `clvsim fit`: population.cfg, report.txt, customers.csv, rfm.csv, holdout.csv,
 * cumulative.csv, frequency.csv and their figures, from a clv_fit_study (clvsim/fit_study.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clvsim/clvsim.h" /* clv_version (tests/include-rules.txt allows it) */
#include "clvsim/date.h"
#include "clvsim/fit_study.h"
#include "clvsim/io.h"
#include "clvsim/plot.h"
#include "clvsim/progress.h"
#include "report_internal.h"

/* the models of a study: the purchase models of the table (NP of them), then Gamma-Gamma */
enum { NP = CLV_BTYD_N_TYPES, M_GG = CLV_FIT_GGAMMA, N_MODELS = CLV_FIT_N_MODELS };

/* "BG/NBD": reports and plots */
static const char *model_label(int m) { return m < NP ? clv_btyd_types[m]->label : "Gamma-Gamma"; }
/* "bgnbd": column names */
static const char *model_key(int m) { return m < NP ? clv_btyd_types[m]->name : "ggamma"; }
/* the parameters' group in population.cfg */
static const char *model_group(int m) { return m < NP ? clv_btyd_types[m]->name : "spend"; }

/* the first purchase model in have[] (0 when none) */
static int first_of(const int *have)
{
    for (int m = 0; m < NP; m++)
        if (have[m])
            return m;
    return 0;
}

/* how many purchase models in have[] */
static int count_of(const int *have)
{
    int k = 0;
    for (int m = 0; m < NP; m++)
        k += have[m] != 0;
    return k;
}

/* what the writers read: the study, its settings and the report's */
typedef struct fit_job {
    const char *log_path;
    int32_t cal_end;
    int unit;
    clv_fit_opts fo;
    double margin, annual_rate;
    int horizon;                  /* CLV horizon in units */
    const clv_outdir *od;         /* the run's claim and staging directory */
    unsigned *notes;              /* CLV_FIT_NOTE_* */
    clv_fit_study s;              /* the results (a shallow copy) */
} fit_job;

static fit_job job_of(const clv_fit_study *s, const clv_fit_study_opts *so, const clv_fit_report_opts *ro,
                      const clv_outdir *od, unsigned *notes)
{
    fit_job j;
    memset(&j, 0, sizeof j);
    j.log_path = so->log_path;
    j.cal_end = so->calibration_end;
    j.unit = so->unit;
    j.fo = so->fit;
    if (ro)
        j.margin = ro->margin, j.annual_rate = ro->annual_rate, j.horizon = ro->horizon;
    j.od = od;
    j.notes = notes;
    j.s = *s;
    return j;
}

static double unit_days(const fit_job *j) { return j->unit == CLV_UNIT_WEEK ? 7.0 : 1.0; }
static const char *unit_name(const fit_job *j) { return j->unit == CLV_UNIT_WEEK ? "week" : "day"; }

/* CLV_ECANCELLED ("stopped") when the study's progress asks to stop */
static int stop_poll(const fit_job *j, clv_error *err)
{
    if (clv_progress_poll(j->fo.progress) == CLV_OK)
        return CLV_OK;
    return clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "stopped");
}

/* open the staged DIR/name for atomic writing, never over the log being read */
static int open_out(const fit_job *j, const char *name, clv_afile *af, clv_error *err)
{
    return clv_outdir_stage(j->od, name, j->log_path, af, err);
}

/* Every number of the outputs goes through clv_put_num (clvsim/io.h): N
 * checks one; O leaves one empty where it is undefined (a correlation or a
 * metric of constant values, the mean of an empty frequency group), and
 * standard errors without a Hessian are said to be missing. */
#define NUM(col, fmt, v) clv_put_num(fp, &af.num, col, fmt, v)
#define N(col, fmt, v) clv_put_num(fp, chk, col, fmt, v)
#define O(col, fmt, v) clv_put_opt(fp, chk, col, fmt, v)

/* the population block a scenario can @include */
static int write_population(const fit_job *j, const char *cmdline, clv_error *err)
{
    clv_afile af;
    int st = open_out(j, "population.cfg", &af, err);
    if (st != CLV_OK)
        return st;
    FILE *fp = af.fp;
    fprintf(fp, "# Population fitted by clvsim %s to %s\n", clv_version(), j->log_path);
    fprintf(fp, "# command: %s\n", cmdline);
    char a[16];
    fprintf(fp, "# calibration period to %s; %zu customers; times in %ss\n", clv_date_format(j->cal_end, a),
            j->s.t->n, unit_name(j));
    for (int m = 0; m < N_MODELS; m++)
        if (j->s.done[m]) {
            fprintf(fp, "# %s", model_label(m));
            NUM("log-likelihood", " log-likelihood %.4f", j->s.fit[m].loglik);
            fprintf(fp, "%s%s\n", j->s.fit[m].flags ? "; warning: " : "", j->s.fit[m].warning);
        }
    /* the purchase model: the better fit when both were fitted (same number of parameters) */
    int pm = clv_fit_study_best(&j->s);
    if (pm < 0)
        pm = 0;
    fprintf(fp, "population = {\n  source = \"parameters\";\n");
    if (count_of(j->s.done)) {
        if (count_of(j->s.done) == 2)
            fprintf(fp, "  # %s has the higher log-likelihood of the two\n", model_label(pm));
        else if (count_of(j->s.done) > 2)
            fprintf(fp, "  # %s has the highest log-likelihood of the %d\n", model_label(pm), count_of(j->s.done));
        fprintf(fp, "  model = \"%s\";\n", clv_btyd_types[pm]->name);
    }
    fprintf(fp, "  unit = \"%s\";\n", unit_name(j));
    for (int m = 0; m < N_MODELS; m++) {
        if (!j->s.done[m])
            continue;
        const clv_fit_result *r = &j->s.fit[m];
        fprintf(fp, "  %s = {", model_group(m));
        for (int k = 0; k < r->n_params; k++) {
            char key[64];
            snprintf(key, sizeof key, "population.%s.%s", model_group(m), r->names[k]);
            fprintf(fp, " %s = ", r->names[k]);
            NUM(key, "%.17g;", r->par[k]);
        }
        fprintf(fp, " };\n");
        if (r->flags & CLV_FIT_HESSIAN) {
            fprintf(fp, "  # no standard errors: the Hessian is not negative definite\n");
        } else {
            fprintf(fp, "  # standard errors:");
            for (int k = 0; k < r->n_params; k++) {
                fprintf(fp, " %s", r->names[k]);
                NUM("standard error", " %.6g", r->se[k]);
            }
            fputc('\n', fp);
        }
    }
    fprintf(fp, "};\n");
    return clv_afile_end(&af, CLV_OK, err);
}

/* the labels of the models present, as a table header's end */
static void model_labels(FILE *fp, const int *have)
{
    for (int m = 0; m < NP; m++)
        if (have[m])
            fprintf(fp, " %12s", model_label(m));
    fputc('\n', fp);
}

static void write_value_quality(const fit_job *j, FILE *fp, clv_numcheck *chk)
{
    const clv_value_metrics *v = j->s.value;
    const clv_class_metrics *c = j->s.buy;
    const int *ok = j->s.value_ok;
    if (!count_of(ok))
        return;
    fprintf(fp, "\n  holdout spend per customer: E[transactions] x E[spend] (with Gamma-Gamma) against actual\n");
    fprintf(fp, "  %-28s %12s", "", "");
    model_labels(fp, ok);
    static const char *const rows[] = {"RMSE", "MAE", "normalised Gini", "top-decile lift", "Spearman",
                                       "AUC of buying at all"};
    for (int r = 0; r < 6; r++) {
        fprintf(fp, "  %-28s %12s", rows[r], "");
        for (int m = 0; m < NP; m++) {
            if (!ok[m])
                continue;
            const double x = r == 0 ? v[m].rmse : r == 1 ? v[m].mae : r == 2 ? v[m].gini : r == 3 ? v[m].top_decile_lift
                             : r == 4 ? v[m].spearman : c[m].auc;
            if (r < 2)
                N(rows[r], " %12.4f", x);
            else
                O(rows[r], " %12.4f", x); /* NaN: constant values, or no value at all */
        }
        fputc('\n', fp);
    }
    const int m = first_of(ok);
    fprintf(fp, "  decile calibration (%s; lowest predictions first): mean predicted / mean actual\n   ",
            model_label(m));
    for (int d = 0; d < CLV_METRIC_DECILES; d++) {
        N("decile calibration", " %.2f", v[m].decile_pred[d]);
        N("decile calibration", "/%.2f", v[m].decile_actual[d]);
    }
    fputc('\n', fp);
}

static void print_report(FILE *fp, clv_numcheck *chk, const fit_job *j, double seconds)
{
    const clv_rfm_table *t = j->s.t;
    const clv_txlog_stats *s = &t->stats;
    char a[16], b[16], c[16];
    fprintf(fp, "clvsim fit %s\n\n", j->log_path);
    fprintf(fp, "data       %ld lines%s, %ld purchase rows, %ld transactions (%ld same-day rows merged)\n", s->lines,
            s->header ? " (1 header)" : "", s->rows, s->transactions, s->merged_rows);
    fprintf(fp, "           %ld returns excluded, %ld zero amounts kept", s->returns, s->zero_amounts);
    long skipped = 0;
    for (int k = 0; k < CLV_TXBAD_N; k++)
        skipped += s->skipped[k];
    if (skipped) {
        fprintf(fp, ", %ld malformed rows skipped (", skipped);
        int first = 1;
        for (int k = 0; k < CLV_TXBAD_N; k++)
            if (s->skipped[k]) {
                fprintf(fp, "%s%ld %s, first on line %ld", first ? "" : "; ", s->skipped[k], clv_txbad_name(k),
                        s->first_skipped_line[k]);
                first = 0;
            }
        fputc(')', fp);
    }
    if (s->missing_customer)
        fprintf(fp, ", %ld rows without a customer id skipped (first on line %ld)", s->missing_customer,
                s->first_missing_customer_line);
    fputc('\n', fp);
    for (int after = 0; after < 2; after++) {
        char w[CLV_IO_PATH_MAX + 512];
        if (clv_txlog_far_dates_text(w, sizeof w, j->log_path, s, after))
            fprintf(fp, "           WARNING: %s\n", w);
        if (clv_txlog_period_text(w, sizeof w, j->log_path, s, after))
            fprintf(fp, "           WARNING: %s\n", w);
    }
    int32_t first = t->calibration_end;
    for (size_t i = 0; i < t->n; i++)
        first = t->c[i].first_day < first ? t->c[i].first_day : first;
    fprintf(fp, "cohort     %zu customers with a first purchase from %s to %s", t->n, clv_date_format(first, a),
            clv_date_format(t->calibration_end, b));
    if (t->later_customers)
        fprintf(fp, " (%ld later customers left out)", t->later_customers);
    fputc('\n', fp);
    if (t->holdout_end > t->calibration_end)
    {
        fprintf(fp, "periods    calibration to %s, holdout to %s", clv_date_format(t->calibration_end, a),
                clv_date_format(t->holdout_end, c));
        N("holdout length", " (%.2f", t->holdout_length);
        fprintf(fp, " %ss); times in %ss\n", unit_name(j), unit_name(j));
    }
    else
        fprintf(fp, "periods    calibration to %s, no holdout; times in %ss\n", clv_date_format(t->calibration_end, a),
                unit_name(j));
    double sx = 0;
    size_t rep = 0;
    for (size_t i = 0; i < t->n; i++)
        sx += t->c[i].x, rep += t->c[i].x > 0;
    N("repeat transactions", "repeats    %.0f repeat transactions in calibration", sx);
    fprintf(fp, "; %zu customers", rep);
    N("share of customers", " (%.1f%%) with at least one\n", 100.0 * (double)rep / (double)t->n);

    for (int m = 0; m < N_MODELS; m++) {
        if (!j->s.done[m])
            continue;
        const clv_fit_result *r = &j->s.fit[m];
        fprintf(fp, "\n%s, %zu customers", model_label(m), r->n);
        if (m == M_GG && r->n_excluded)
            fprintf(fp, " (%zu repeat customers with mean spend 0 left out)", r->n_excluded);
        fputc('\n', fp);
        for (int k = 0; k < r->n_params; k++) {
            fprintf(fp, "  %-6s", r->names[k]);
            N(r->names[k], " %12.6g", r->par[k]);
            if (isnan(r->se[k])) /* no Hessian: said in the warning */
                fprintf(fp, "   (no standard error)\n");
            else
                N("standard error", "   (standard error %.4g)\n", r->se[k]);
        }
        if (r->penalty > 0)
            fprintf(fp, "  penalised fit: maximises log-likelihood - n x %g x sum (ln parameter)^2; standard errors "
                        "from that objective's Hessian\n", r->penalty);
        N("log-likelihood", "  log-likelihood %.4f", r->loglik);
        fprintf(fp, "; %d of %d starts converged; %d iterations\n", r->starts_converged, j->fo.starts, r->iterations);
        if (r->flags)
            fprintf(fp, "  WARNING: %s\n", r->warning);
        if (m == M_GG) {
            const double ms = clv_gg_expected_spend(&j->s.model[0].spend, 0, 0);
            if (isnan(ms) && !(j->s.model[0].spend.q > 1))
                fprintf(fp, "  mean spend per transaction in the population: infinite (q <= 1)\n");
            else
                N("mean spend", "  mean spend per transaction in the population: %.2f\n", ms);
        }
    }

    const int *have = j->s.done;
    if (t->holdout_end > t->calibration_end && count_of(have)) {
        N("holdout length", "\nholdout: predicted against actual transactions per customer over %.2f", t->holdout_length);
        fprintf(fp, " %ss\n", unit_name(j));
        fprintf(fp, "  %-28s %12s", "", "actual");
        model_labels(fp, have);
        const clv_holdout_report *h0 = &j->s.hold[first_of(have)];
        fprintf(fp, "  %-28s", "total transactions");
        N("total transactions", " %12.0f", h0->total_actual);
        for (int m = 0; m < NP; m++)
            if (have[m])
                N("total transactions", " %12.1f", j->s.hold[m].total_predicted);
        fputc('\n', fp);
        const char *rows[3] = {"MAE per customer", "RMSE per customer", "correlation"};
        for (int r = 0; r < 3; r++) {
            fprintf(fp, "  %-28s %12s", rows[r], "");
            for (int m = 0; m < NP; m++)
                if (have[m] && r == 2)
                    O(rows[r], " %12.4f", j->s.hold[m].corr); /* NaN: constant actuals or predictions */
                else if (have[m])
                    N(rows[r], " %12.4f", r == 0 ? j->s.hold[m].mae : j->s.hold[m].rmse);
            fputc('\n', fp);
        }
        if (j->s.done[M_GG])
            write_value_quality(j, fp, chk);
        fprintf(fp, "\n  mean holdout transactions by calibration frequency\n");
        fprintf(fp, "  %-4s %10s %10s", "x", "customers", "actual");
        model_labels(fp, have);
        for (int g = 0; g < CLV_FREQ_GROUPS; g++) {
            char lab[8];
            snprintf(lab, sizeof lab, g == CLV_FREQ_GROUPS - 1 ? "%d+" : "%d", g);
            /* the means of an empty group: empty */
            fprintf(fp, "  %-4s %10ld", lab, h0->group_n[g]);
            O("actual", " %10.3f", h0->group_n[g] ? h0->group_actual[g] : NAN);
            for (int m = 0; m < NP; m++)
                if (have[m])
                    O(model_label(m), " %12.3f", h0->group_n[g] ? j->s.hold[m].group_predicted[g] : NAN);
            fputc('\n', fp);
        }
        fprintf(fp, "\n  customers by calibration frequency\n  %-4s %10s", "x", "actual");
        model_labels(fp, have);
        for (int g = 0; g < CLV_FREQ_GROUPS; g++) {
            char lab[8];
            snprintf(lab, sizeof lab, g == CLV_FREQ_GROUPS - 1 ? "%d+" : "%d", g);
            fprintf(fp, "  %-4s %10ld", lab, h0->group_n[g]);
            for (int m = 0; m < NP; m++)
                if (have[m])
                    N(model_label(m), " %12.1f", j->s.hold[m].hist_model[g]);
            fputc('\n', fp);
        }
    }
    N("time", "\ntime %.2f s\n", seconds);
}

static int write_report(const fit_job *j, double seconds, clv_error *err)
{
    clv_afile af;
    int st = open_out(j, "report.txt", &af, err);
    if (st != CLV_OK)
        return st;
    print_report(af.fp, &af.num, j, seconds);
    return clv_afile_end(&af, stop_poll(j, err), err);
}

static double per_unit_rate(const fit_job *j)
{
    return pow(1 + j->annual_rate, unit_days(j) / 365.25) - 1;
}

/* customers.csv repeats values (the customers without repeats of one T share every column but
 * the id and the holdout): each column keeps formatted values by their bits, so that printf's
 * conversion, the writer's cost, runs about once per distinct value; the bytes are printf's */
enum { NC_SLOTS = 256, NC_TEXT = 32 };
typedef struct {
    uint64_t bits[NC_SLOTS];
    char text[NC_SLOTS][NC_TEXT];
} numcache;

static void put_cached(FILE *fp, clv_numcheck *chk, numcache *nc, const char *col, const char *fmt, double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    if (!isfinite(v)) { /* recorded and reported as by clv_put_num */
        clv_put_num(fp, chk, col, fmt, v);
        return;
    }
    const size_t k = (size_t)((b * 0x9E3779B97F4A7C15ull) >> 56) % NC_SLOTS;
    if (nc->bits[k] != b) {
        snprintf(nc->text[k], NC_TEXT, fmt, v);
        nc->bits[k] = b;
    }
    fputs(nc->text[k], fp);
}

static int write_customers(const fit_job *j, clv_error *err)
{
    clv_afile af;
    int st = open_out(j, "customers.csv", &af, err);
    if (st != CLV_OK)
        return st;
    FILE *fp = af.fp;
    const clv_rfm_table *t = j->s.t;
    const int hold = t->holdout_end > t->calibration_end;
    fprintf(fp, "id,first_purchase,x,t_x,T,mean_spend,x_holdout,spend_holdout");
    if (j->s.done[M_GG])
        fprintf(fp, ",expected_spend");
    for (int m = 0; m < NP; m++) {
        if (!j->s.done[m])
            continue;
        fprintf(fp, ",p_alive_%s", model_key(m));
        if (hold)
            fprintf(fp, ",expected_holdout_%s", model_key(m));
        if (j->s.done[M_GG])
            fprintf(fp, ",clv_%s", model_key(m));
    }
    fputc('\n', fp);
    const double rate = per_unit_rate(j);
    /* each model's predictions of every customer, computed once per distinct (x, t_x, T), the CLV's
     * horizons of a customer together (clv_btyd_predict): the same values as the single calls */
    double *pred[NP][3] = {{NULL}};
    for (int m = 0; m < NP && st == CLV_OK; m++) {
        if (!j->s.done[m])
            continue;
        for (int k = 0; k < 3; k++)
            if (!(pred[m][k] = malloc((t->n ? t->n : 1) * sizeof(double))))
                st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
        if (st == CLV_OK)
            st = clv_btyd_predict(&j->s.model[m], t->c, t->n, t->holdout_length, j->horizon, 1.0, rate, j->fo.threads,
                                  j->fo.progress, pred[m][0], pred[m][1], pred[m][2], err);
    }
    /* one cache per numeric column, every slot empty (a NaN's bits, never a finite value's) */
    enum { NCOL = 7 + 3 * NP };
    numcache *nc = st == CLV_OK ? malloc(NCOL * sizeof *nc) : NULL;
    if (st == CLV_OK && !nc)
        st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    for (int k = 0; nc && k < NCOL; k++)
        for (int q = 0; q < NC_SLOTS; q++)
            nc[k].bits[q] = ~0ull;
#define NUMC(k, col, fmt, v) put_cached(fp, &af.num, &nc[k], col, fmt, v)
    for (size_t i = 0; i < t->n && st == CLV_OK; i++) {
        if ((st = stop_poll(j, err)) != CLV_OK)
            break;
        const clv_rfm *c = &t->c[i];
        char d[16];
        /* ids are written as they were read; quoted when they hold a comma or a quote */
        clv_put_csv_text(fp, t->id[i]);
        fprintf(fp, ",%s", clv_date_format(c->first_day, d));
        NUMC(0, "x", ",%.17g", c->x);
        NUMC(1, "t_x", ",%.17g", c->t_x);
        NUMC(2, "T", ",%.17g", c->T);
        NUMC(3, "mean_spend", ",%.17g", c->mean_spend);
        NUMC(4, "x_holdout", ",%.17g", c->x_holdout);
        NUMC(5, "spend_holdout", ",%.17g", c->spend_holdout);
        /* Gamma-Gamma with q <= 1 has no expected spend (nor CLV): empty */
        const int spend_defined = j->s.done[M_GG] && j->s.model[0].spend.q > 1;
        if (j->s.done[M_GG] && spend_defined)
            NUMC(6, "expected_spend", ",%.10g", clv_gg_expected_spend(&j->s.model[0].spend, c->x, c->mean_spend));
        else if (j->s.done[M_GG])
            clv_put_blank(fp, ",%.10g");
        for (int m = 0; m < NP; m++) {
            if (!j->s.done[m])
                continue;
            char col[3][48];
            snprintf(col[0], sizeof col[0], "p_alive_%s", model_key(m));
            snprintf(col[1], sizeof col[1], "expected_holdout_%s", model_key(m));
            snprintf(col[2], sizeof col[2], "clv_%s", model_key(m));
            NUMC(7 + 3 * m, col[0], ",%.10g", pred[m][0][i]);
            if (hold)
                NUMC(8 + 3 * m, col[1], ",%.10g", pred[m][1][i]);
            /* = clv_btyd_clv(&j->s.model[m], c, j->horizon, 1.0, j->margin, rate) */
            if (j->s.done[M_GG] && spend_defined)
                NUMC(9 + 3 * m, col[2], ",%.10g",
                     j->margin * clv_gg_expected_spend(&j->s.model[m].spend, c->x, c->mean_spend) * pred[m][2][i]);
            else if (j->s.done[M_GG])
                clv_put_blank(fp, ",%.10g");
        }
        fputc('\n', fp);
    }
#undef NUMC
    free(nc);
    for (int m = 0; m < NP; m++)
        for (int k = 0; k < 3; k++)
            free(pred[m][k]);
    return clv_afile_end(&af, st, err);
}

/* the RFM summary as the reader built it */
static int write_rfm(const fit_job *j, clv_error *err)
{
    clv_afile af;
    int st = open_out(j, "rfm.csv", &af, err);
    if (st != CLV_OK)
        return st;
    return clv_afile_end(&af, clv_rfm_write_csv(j->s.t, af.fp, err), err);
}

/* holdout.csv: the holdout report as a table, one row per calibration
 * frequency group and a row "all" with the totals and the error measures */
static int write_holdout(const fit_job *j, clv_error *err)
{
    if (j->s.t->holdout_end <= j->s.t->calibration_end || !count_of(j->s.done))
        return CLV_OK;
    clv_afile af;
    int st = open_out(j, "holdout.csv", &af, err);
    if (st != CLV_OK)
        return st;
    FILE *fp = af.fp;
    fprintf(fp, "frequency,customers,actual_mean");
    for (int m = 0; m < NP; m++)
        if (j->s.done[m])
            fprintf(fp, ",predicted_mean_%s", model_key(m));
    fprintf(fp, ",actual_total");
    for (int m = 0; m < NP; m++)
        if (j->s.done[m])
            fprintf(fp, ",predicted_total_%s,mae_%s,rmse_%s,correlation_%s", model_key(m), model_key(m),
                    model_key(m), model_key(m));
    fputc('\n', fp);
    /* empty: the means of a frequency group without customers, a correlation of constant values */
    const clv_holdout_report *h0 = &j->s.hold[first_of(j->s.done)];
    for (int g = 0; g <= CLV_FREQ_GROUPS; g++) {
        const int all = g == CLV_FREQ_GROUPS;
        const int empty = !all && h0->group_n[g] == 0;
        if (all)
            fprintf(fp, "all,%zu", h0->n);
        else
            fprintf(fp, g == CLV_FREQ_GROUPS - 1 ? "%d+,%ld" : "%d,%ld", g, h0->group_n[g]);
        if (empty)
            clv_put_blank(fp, ",%.17g");
        else
            NUM("actual_mean", ",%.17g", all ? h0->total_actual / (double)h0->n : h0->group_actual[g]);
        for (int m = 0; m < NP; m++) {
            char col[48];
            snprintf(col, sizeof col, "predicted_mean_%s", model_key(m));
            if (j->s.done[m] && empty)
                clv_put_blank(fp, ",%.17g");
            else if (j->s.done[m])
                NUM(col, ",%.17g", all ? j->s.hold[m].total_predicted / (double)h0->n : j->s.hold[m].group_predicted[g]);
        }
        if (all) {
            NUM("actual_total", ",%.17g", h0->total_actual);
            for (int m = 0; m < NP; m++)
                if (j->s.done[m]) {
                    char col[4][48];
                    snprintf(col[0], sizeof col[0], "predicted_total_%s", model_key(m));
                    snprintf(col[1], sizeof col[1], "mae_%s", model_key(m));
                    snprintf(col[2], sizeof col[2], "rmse_%s", model_key(m));
                    snprintf(col[3], sizeof col[3], "correlation_%s", model_key(m));
                    NUM(col[0], ",%.17g", j->s.hold[m].total_predicted);
                    NUM(col[1], ",%.17g", j->s.hold[m].mae);
                    NUM(col[2], ",%.17g", j->s.hold[m].rmse);
                    clv_put_opt(fp, &af.num, col[3], ",%.17g", j->s.hold[m].corr);
                }
        } else {
            fputc(',', fp);
            for (int m = 0; m < NP; m++)
                if (j->s.done[m])
                    fputs(",,,,", fp);
        }
        fputc('\n', fp);
    }
    return clv_afile_end(&af, CLV_OK, err);
}

/* cumulative.csv and frequency.csv, the data of the two plots; ncols out */
static int write_plot_data(const fit_job *j, int *ncols, clv_error *err)
{
    const clv_rfm_table *t = j->s.t;
    clv_afile af;
    int st = open_out(j, "cumulative.csv", &af, err);
    if (st != CLV_OK)
        return st;
    fprintf(af.fp, "date,actual");
    *ncols = 2;
    for (int m = 0; m < NP; m++)
        if (j->s.done[m])
            fprintf(af.fp, ",%s", model_label(m)), ++*ncols;
    fputc('\n', af.fp);
    double actual = 0;
    for (size_t d = 0; d < t->n_days; d++) {
        if ((st = stop_poll(j, err)) != CLV_OK)
            return clv_afile_end(&af, st, err);
        char buf[16];
        actual += (double)t->repeat_per_day[d];
        fprintf(af.fp, "%s", clv_date_format(t->series_start + (int32_t)d, buf));
        clv_put_num(af.fp, &af.num, "actual", ",%.0f", actual);
        for (int m = 0; m < NP; m++)
            if (j->s.done[m])
                clv_put_num(af.fp, &af.num, model_label(m), ",%.4f", j->s.cum[m][d]);
        fputc('\n', af.fp);
    }
    st = clv_afile_end(&af, CLV_OK, err);
    if (st != CLV_OK)
        return st;

    st = open_out(j, "frequency.csv", &af, err);
    if (st != CLV_OK)
        return st;
    fprintf(af.fp, "frequency,actual");
    for (int m = 0; m < NP; m++)
        if (j->s.done[m])
            fprintf(af.fp, ",%s", model_label(m));
    fputc('\n', af.fp);
    long count[CLV_FREQ_GROUPS] = {0};
    for (size_t i = 0; i < t->n; i++)
        count[t->c[i].x >= CLV_FREQ_GROUPS - 1 ? CLV_FREQ_GROUPS - 1 : (int)t->c[i].x]++;
    for (int g = 0; g < CLV_FREQ_GROUPS; g++) {
        fprintf(af.fp, g == CLV_FREQ_GROUPS - 1 ? "%d+,%ld" : "%d,%ld", g, count[g]);
        for (int m = 0; m < NP; m++)
            if (j->s.done[m])
                clv_put_num(af.fp, &af.num, model_label(m), ",%.3f", j->s.hold[m].hist_model[g]);
        fputc('\n', af.fp);
    }
    return clv_afile_end(&af, CLV_OK, err);
}

/* render the two figures in PNG and SVG; a missing gnuplot is a note, not a failure */
static int render_plots(const fit_job *j, int ncols, clv_error *err)
{
    static const char *const figs[2][3] = {
        {"fit_cumulative.gp", "cumulative", "cumulative.csv"},
        {"fit_frequency.gp", "frequency", "frequency.csv"}};
    if (!clv_plot_available()) {
        *j->notes |= CLV_FIT_NOTE_NO_GNUPLOT;
        return CLV_OK;
    }
    int st = CLV_OK;
    char cal[16], nc[8];
    clv_date_format(j->cal_end, cal);
    snprintf(nc, sizeof nc, "%d", ncols);
    const char *base = strrchr(j->log_path, '/');
    base = base ? base + 1 : j->log_path;
    /* the four figures' gnuplots side by side (clv_plot_all) */
    static const int formats[2] = {CLV_FORMAT_PNG, CLV_FORMAT_SVG};
    char data[CLV_IO_PATH_MAX], var_data[CLV_IO_PATH_MAX + 16], title[CLV_IO_PATH_MAX + 64], var_nc[24],
        var_cal[40];
    snprintf(var_nc, sizeof var_nc, "ncols=%s", nc);
    snprintf(var_cal, sizeof var_cal, "calibration_end=%s", cal);
    clv__figures q = {0};
    for (int f = 0; f < 2 && st == CLV_OK; f++) {
        if (f == 0 && j->s.t->n_days == 0) {
            /* no daily series: nothing to draw (cumulative.csv has its header) */
            *j->notes |= CLV_FIT_NOTE_NO_SERIES;
            continue;
        }
        if ((st = clv_path_join(data, sizeof data, j->od->stage, figs[f][2], err)) != CLV_OK)
            break;
        snprintf(var_data, sizeof var_data, "datafile=%s", data);
        if (f == 0)
            snprintf(title, sizeof title, "title_text=Cumulative repeat transactions, %.200s: actual and fitted", base);
        else
            snprintf(title, sizeof title, "title_text=Customers by calibration-period repeat transactions, %.200s",
                     base);
        const char *vars[4] = {var_data, var_nc, var_cal, title};
        st = clv__figures_add(&q, j->od->stage, figs[f][0], figs[f][1], formats, 2, vars, 4, err);
    }
    if (st == CLV_OK)
        st = stop_poll(j, err);
    if (st == CLV_OK)
        st = clv__figures_draw(&q, NULL, err);
    clv__figures_free(&q);
    return st;
}


void clv_fit_report_print(FILE *fp, clv_numcheck *chk, const clv_fit_study *s, const clv_fit_study_opts *so,
                          double seconds)
{
    unsigned notes = 0;
    const fit_job j = job_of(s, so, NULL, NULL, &notes);
    print_report(fp, chk, &j, seconds);
}

int clv_fit_report_write(const clv_fit_study *s, const clv_fit_study_opts *so, const clv_fit_report_opts *ro,
                         const clv_outdir *od, unsigned *notes, clv_error *err)
{
    unsigned dummy = 0;
    const fit_job j = job_of(s, so, ro, od, notes ? notes : &dummy);
    *j.notes = 0;
    int ncols = 2;
    int st = write_population(&j, ro->command ? ro->command : "", err);
    if (st == CLV_OK)
        st = write_report(&j, ro->seconds, err);
    if (st == CLV_OK)
        st = write_customers(&j, err);
    if (st == CLV_OK)
        st = write_plot_data(&j, &ncols, err);
    if (st == CLV_OK)
        st = write_rfm(&j, err);
    if (st == CLV_OK)
        st = write_holdout(&j, err);
    if (st == CLV_OK)
        st = render_plots(&j, ncols, err);
    if (st == CLV_OK) /* the lifetimes-style figures (report_fit_figures.c) */
        st = clv_fit_figures_write(s, so, ro->history_customer, od, j.notes, err);
    return st;
}
