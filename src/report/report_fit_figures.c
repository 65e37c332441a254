/* report_fit_figures.c - the lifetimes-style figures of `clvsim fit`: the frequency/recency and P(alive)
 * matrices, calibration against holdout purchases, and one customer's P(alive) history. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clvsim/date.h"
#include "clvsim/fit_study.h"
#include "clvsim/io.h"
#include "clvsim/plot.h"
#include "clvsim/progress.h"
#include "report_internal.h"

enum { NP = CLV_BTYD_N_TYPES };

static int stop_poll(const clv_fit_study_opts *so, clv_error *err)
{
    if (clv_progress_poll(so->fit.progress) == CLV_OK)
        return CLV_OK;
    return clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "stopped");
}

void clv_fit_matrix_grid(const clv_rfm_table *t, clv_fit_grid *g)
{
    double xmax = 0, Tmax = 0;
    for (size_t i = 0; i < t->n; i++) {
        xmax = t->c[i].x > xmax ? t->c[i].x : xmax;
        Tmax = t->c[i].T > Tmax ? t->c[i].T : Tmax;
    }
    g->max_x = xmax < CLV_FIT_GRID_MAX_X ? (int)xmax : CLV_FIT_GRID_MAX_X;
    g->T = Tmax;
    g->step = ceil(Tmax / CLV_FIT_GRID_MAX_COLS);
    if (!(g->step >= 1))
        g->step = 1;
    g->n_cols = (int)floor(Tmax / g->step) + 1;
}

/* the cells of the grid, in the order of the CSV: x = 0 has t_x = 0 alone */
static size_t grid_cells(const clv_fit_grid *g, clv_rfm *c)
{
    size_t k = 0;
    for (int x = 0; x <= g->max_x; x++)
        for (int j = 0; j < (x ? g->n_cols : 1); j++, k++)
            if (c) {
                memset(&c[k], 0, sizeof c[k]);
                c[k].x = x;
                c[k].t_x = j * g->step;
                c[k].T = g->T;
            }
    return k;
}

static int write_matrix(const clv_fit_study *s, const clv_fit_study_opts *so, const clv_outdir *od, int m,
                        const clv_fit_grid *g, clv_error *err)
{
    const size_t n = grid_cells(g, NULL);
    clv_rfm *c = malloc(n * sizeof *c);
    double *pa = malloc(n * sizeof *pa), *ex = malloc(n * sizeof *ex);
    int st = c && pa && ex ? CLV_OK : clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    if (st == CLV_OK) {
        grid_cells(g, c);
        /* the same values as clv_btyd_palive and clv_btyd_expected(1, x, t_x, T), cell by cell */
        st = clv_btyd_predict(&s->model[m], c, n, 1.0, 0, 1.0, 0, so->fit.threads, so->fit.progress, pa, ex, NULL,
                              err);
    }
    char name[64];
    snprintf(name, sizeof name, "matrix_%s.csv", clv_btyd_types[m]->name);
    clv_afile af;
    if (st == CLV_OK)
        st = clv_outdir_stage(od, name, so->log_path, &af, err);
    if (st == CLV_OK) {
        FILE *fp = af.fp;
        fprintf(fp, "x,t_x,T,expected_next,p_alive\n");
        for (size_t k = 0; k < n; k++) {
            fprintf(fp, "%.0f", c[k].x);
            clv_put_num(fp, &af.num, "t_x", ",%.17g", c[k].t_x);
            clv_put_num(fp, &af.num, "T", ",%.17g", c[k].T);
            clv_put_num(fp, &af.num, "expected_next", ",%.10g", ex[k]);
            clv_put_num(fp, &af.num, "p_alive", ",%.10g", pa[k]);
            fputc('\n', fp);
        }
        st = clv_afile_end(&af, stop_poll(so, err), err);
    }
    free(c), free(pa), free(ex);
    return st;
}

int clv_fit_history_customer(const clv_rfm_table *t, const char *id, size_t *index, clv_error *err)
{
    if (!t->n)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "history_customer", "no customers");
    if (!id) {
        size_t best = 0;
        for (size_t i = 1; i < t->n; i++)
            if (t->c[i].x > t->c[best].x)
                best = i;
        *index = best;
        return CLV_OK;
    }
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->id[i], id) == 0) {
            *index = i;
            return CLV_OK;
        }
    return clv_error_set(err, CLV_EINPUT, NULL, 0, "history_customer",
                         "no customer '%.200s' in the calibration cohort (customers with a first purchase on or "
                         "before the calibration end)", id);
}

static int write_history(const clv_fit_study *s, const clv_fit_study_opts *so, const clv_outdir *od,
                         const char *id, const char **who, clv_error *err)
{
    const clv_rfm_table *t = s->t;
    size_t i;
    int st = clv_fit_history_customer(t, id, &i, err);
    if (st != CLV_OK)
        return st;
    *who = t->id[i];
    int32_t *days = NULL;
    size_t nd = 0;
    st = clv_txlog_customer_days(so->log_path, &so->reader, t->id[i], t->calibration_end, so->fit.progress, &days,
                                 &nd, err);
    /* the second reading must find what the first did */
    if (st == CLV_OK && (nd == 0 || days[0] != t->c[i].first_day || (double)(nd - 1) != t->c[i].x))
        st = clv_error_set(err, CLV_EINPUT, so->log_path, 0, NULL,
                           "changed while being read: customer '%.200s' has %zu transactions to the calibration end "
                           "on a second reading, %.0f on the first", t->id[i], nd, t->c[i].x + 1);
    /* from the first purchase, or for a customer whose first purchase lies far before the bulk of the log
     * (a mistyped date, clv_txlog_stats) from the bulk's near limit: never millions of days */
    int32_t from = st == CLV_OK && days[0] < t->stats.near_first && t->stats.near_first <= t->calibration_end
                       ? t->stats.near_first
                       : st == CLV_OK ? days[0] : 0;
    /* and at most the last ten years of the calibration period (a cohort
     * that lies wholly far before the bulk has no near limit to start at) */
    if (st == CLV_OK && t->calibration_end - from > CLV_FIT_HISTORY_MAX_DAYS - 1)
        from = t->calibration_end - (CLV_FIT_HISTORY_MAX_DAYS - 1);
    const size_t nday = st == CLV_OK ? (size_t)(t->calibration_end - from) + 1 : 1;
    double *pa[NP] = {NULL};
    clv_rfm *sum = st == CLV_OK ? malloc(nday * sizeof *sum) : NULL;
    if (st == CLV_OK && !sum)
        st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    for (int m = 0; m < NP && st == CLV_OK; m++) {
        if (!s->done[m])
            continue;
        if (!(pa[m] = malloc(nday * sizeof *pa[m])))
            st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
        else
            clv_btyd_palive_history(&s->model[m], days, nd, from, t->calibration_end, t->unit_days, pa[m], sum);
    }
    clv_afile af;
    if (st == CLV_OK)
        st = clv_outdir_stage(od, "history.csv", so->log_path, &af, err);
    if (st == CLV_OK) {
        FILE *fp = af.fp;
        fprintf(fp, "customer,date,x,t_x,T,purchase");
        for (int m = 0; m < NP; m++)
            if (s->done[m])
                fprintf(fp, ",%s", clv_btyd_types[m]->label);
        fputc('\n', fp);
        size_t k = 0;
        while (k < nd && days[k] < from)
            k++;
        for (size_t d = 0; d < nday; d++) {
            const int32_t day = from + (int32_t)d;
            const int bought = k < nd && days[k] == day;
            k += bought;
            char buf[16];
            clv_put_csv_text(fp, t->id[i]);
            fprintf(fp, ",%s,%.0f", clv_date_format(day, buf), sum[d].x);
            clv_put_num(fp, &af.num, "t_x", ",%.17g", sum[d].t_x);
            clv_put_num(fp, &af.num, "T", ",%.17g", sum[d].T);
            fprintf(fp, ",%d", bought);
            for (int m = 0; m < NP; m++)
                if (s->done[m])
                    clv_put_num(fp, &af.num, clv_btyd_types[m]->label, ",%.10g", pa[m][d]);
            fputc('\n', fp);
        }
        st = clv_afile_end(&af, stop_poll(so, err), err);
    }
    for (int m = 0; m < NP; m++)
        free(pa[m]);
    free(sum);
    free(days);
    return st;
}

/* one figure in PNG and SVG from the staged data file `data`, queued */
static int queue(clv__figures *q, const clv_outdir *od, const char *script, const char *stem, const char *data,
                 const char *const *extra, int n_extra, clv_error *err)
{
    static const int formats[2] = {CLV_FORMAT_PNG, CLV_FORMAT_SVG};
    char dpath[CLV_IO_PATH_MAX], var[CLV_IO_PATH_MAX + 16];
    int st = clv_path_join(dpath, sizeof dpath, od->stage, data, err);
    if (st != CLV_OK)
        return st;
    snprintf(var, sizeof var, "datafile=%s", dpath);
    const char *vars[8] = {var};
    for (int k = 0; k < n_extra && k < 7; k++)
        vars[1 + k] = extra[k];
    return clv__figures_add(q, od->stage, script, stem, formats, 2, vars, 1 + (size_t)(n_extra < 7 ? n_extra : 7), err);
}

int clv_fit_figures_write(const clv_fit_study *s, const clv_fit_study_opts *so, const char *history_customer,
                          const clv_outdir *od, unsigned *notes, clv_error *err)
{
    const clv_rfm_table *t = s->t;
    int any = 0;
    for (int m = 0; m < NP; m++)
        any |= s->done[m];
    if (!any)
        return CLV_OK;
    clv_fit_grid g;
    clv_fit_matrix_grid(t, &g);
    int st = CLV_OK;
    for (int m = 0; m < NP && st == CLV_OK; m++)
        if (s->done[m])
            st = write_matrix(s, so, od, m, &g, err);
    const char *who = NULL;
    if (st == CLV_OK)
        st = write_history(s, so, od, history_customer, &who, err);
    if (st != CLV_OK)
        return st;
    if (!clv_plot_available()) {
        if (notes)
            *notes |= CLV_FIT_NOTE_NO_GNUPLOT;
        return CLV_OK;
    }
    const char *base = strrchr(so->log_path, '/');
    base = base ? base + 1 : so->log_path;
    const char *unit = t->unit == CLV_UNIT_WEEK ? "week" : "day";
    clv__figures q = {0}; /* the figures' gnuplots side by side, in the order queued */
    char title[CLV_IO_PATH_MAX + 400], var_unit[32], var_hw[48], var_nc[24];
    snprintf(var_unit, sizeof var_unit, "unit_label=%s", unit);
    snprintf(var_hw, sizeof var_hw, "half_width=%.17g", g.step / 2);
    for (int m = 0; m < NP && st == CLV_OK; m++) {
        if (!s->done[m])
            continue;
        char data[64], stem[64];
        snprintf(data, sizeof data, "matrix_%s.csv", clv_btyd_types[m]->name);
        for (int f = 0; f < 2 && st == CLV_OK; f++) {
            snprintf(stem, sizeof stem, f ? "p_alive_%s" : "frequency_recency_%s", clv_btyd_types[m]->name);
            if (f)
                snprintf(title, sizeof title, "title_text=%s: P(alive) by frequency and recency at T = %.4g %ss, %.200s",
                         clv_btyd_types[m]->label, g.T, unit, base);
            else
                snprintf(title, sizeof title,
                         "title_text=%s: expected purchases in the next %s by frequency and recency at T = %.4g %ss, %.200s",
                         clv_btyd_types[m]->label, unit, g.T, unit, base);
            const char *cb = f ? "cb_label=P(alive)" : "cb_label=expected purchases in the next unit";
            const char *col = f ? "column=5" : "column=4";
            const char *extra[] = {col, var_hw, var_unit, cb, title};
            st = queue(&q, od, "fit_matrix.gp", stem, data, extra, 5, err);
        }
    }
    int nm = 0;
    for (int m = 0; m < NP; m++)
        nm += s->done[m] != 0;
    if (st == CLV_OK && t->holdout_end > t->calibration_end) {
        snprintf(var_nc, sizeof var_nc, "ncols=%d", 3 + nm);
        snprintf(title, sizeof title, "title_text=Mean holdout transactions by calibration frequency, %.200s", base);
        const char *extra[] = {var_nc, title};
        st = queue(&q, od, "fit_calibration_holdout.gp", "calibration_holdout", "holdout.csv", extra, 2, err);
    }
    if (st == CLV_OK) {
        snprintf(var_nc, sizeof var_nc, "ncols=%d", 6 + nm);
        snprintf(title, sizeof title, "title_text=P(alive) of customer %.200s over its calibration period, %.200s", who,
                 base);
        const char *extra[] = {var_nc, title};
        st = queue(&q, od, "fit_history.gp", "history", "history.csv", extra, 2, err);
    }
    if (st == CLV_OK)
        st = clv__figures_draw(&q, so->fit.progress, err);
    clv__figures_free(&q);
    return st;
}
