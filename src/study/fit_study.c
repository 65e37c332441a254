/* fit_study.c - the pipeline of `clvsim fit`: a log's summary, the BTYD and spend fits, their holdout reports. */
#include "clvsim/fit_study.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clvsim/progress.h"

/* CLV_ECANCELLED with the command's word for it when the caller asked to stop */
static int stop_poll(const clv_progress *p, clv_error *err)
{
    if (clv_progress_poll(p) == CLV_OK)
        return CLV_OK;
    return clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "stopped");
}

/* the holdout's value quality of each fitted purchase model with
 * Gamma-Gamma (none below 10 customers) */
static int value_quality(clv_fit_study *s, int threads, const clv_progress *p, clv_error *err)
{
    const clv_rfm_table *t = s->t;
    const size_t n = t->n ? t->n : 1;
    double *pred = malloc(n * sizeof *pred), *y = malloc(n * sizeof *y), *ex = malloc(n * sizeof *ex);
    int *buy = malloc(n * sizeof *buy);
    int st = pred && y && ex && buy ? CLV_OK : clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    for (int m = 0; st == CLV_OK && t->n >= 10 && m < CLV_BTYD_N_TYPES; m++) {
        if (!s->done[m])
            continue;
        /* E[Y(holdout)] once per distinct (x, t_x, T) */
        st = clv_btyd_predict(&s->model[m], t->c, t->n, t->holdout_length, 0, 1.0, 0, threads, p, NULL, ex, NULL, err);
        for (size_t i = 0; i < t->n && st == CLV_OK; i++) {
            const clv_rfm *r = &t->c[i];
            pred[i] = ex[i] * clv_gg_expected_spend(&s->model[m].spend, r->x, r->mean_spend);
            y[i] = r->spend_holdout;
            buy[i] = r->x_holdout > 0;
            st = stop_poll(p, err);
        }
        if (st == CLV_OK)
            st = clv_value_metrics_of(pred, y, t->n, &s->value[m], err);
        if (st == CLV_OK)
            st = clv_class_metrics_of(ex, buy, t->n, 0.5, &s->buy[m], err);
        s->value_ok[m] = st == CLV_OK;
    }
    free(pred), free(y), free(ex), free(buy);
    return st;
}

int clv_fit_study_run(const clv_fit_study_opts *o, clv_fit_study *s, clv_error *err)
{
    memset(s, 0, sizeof *s);
    const clv_progress *p = o->fit.progress;
    int st = clv_rfm_read(o->log_path, &o->reader, o->calibration_end, o->holdout_end, o->unit, p, &s->t, err);
    for (int m = 0; st == CLV_OK && m < CLV_FIT_N_MODELS; m++) {
        if (!o->want[m])
            continue;
        /* the purchase models of the table, then the spend model */
        st = m < CLV_BTYD_N_TYPES ? clv_btyd_types[m]->fit(s->t->c, s->t->n, &o->fit, &s->fit[m], err)
                                  : clv_gg_fit(s->t->c, s->t->n, &o->fit, &s->fit[m], err);
        s->done[m] = st == CLV_OK;
        if (m == CLV_FIT_GGAMMA && st == CLV_EINPUT) {
            snprintf(s->spend_note, sizeof s->spend_note, "%s", err ? err->msg : "no usable repeat spend");
            st = CLV_OK;
        }
    }
    const clv_rfm_table *t = s->t;
    const int holdout = st == CLV_OK && t->holdout_end > t->calibration_end;
    /* the fitted models, with the spend model where there is one */
    for (int m = 0; st == CLV_OK && m < CLV_BTYD_N_TYPES; m++) {
        clv_btyd *md = &s->model[m];
        md->model = m;
        for (int k = 0; k < CLV_BTYD_N_TYPES; k++)
            if (s->done[k])
                clv_btyd_types[k]->set(md, s->fit[k].par);
        if (s->done[CLV_FIT_GGAMMA]) {
            const double *g = s->fit[CLV_FIT_GGAMMA].par;
            md->spend = (clv_gg_params){g[0], g[1], g[2]};
        }
        if (!s->done[m])
            continue;
        if (holdout)
            st = clv_btyd_holdout(md, t, &s->hold[m], err);
        if (st == CLV_OK && !(s->cum[m] = malloc((t->n_days ? t->n_days : 1) * sizeof *s->cum[m])))
            st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
        if (st == CLV_OK)
            st = stop_poll(p, err);
        if (st == CLV_OK)
            st = clv_btyd_cumulative(md, t, s->cum[m], err);
        /* without a holdout the model's frequency histogram is still wanted */
        if (st == CLV_OK && !holdout)
            st = clv_btyd_frequency(md, t, s->hold[m].hist_model, err);
    }
    if (st == CLV_OK && s->done[CLV_FIT_GGAMMA] && holdout)
        st = value_quality(s, o->fit.threads, p, err);
    return st;
}

void clv_fit_study_free(clv_fit_study *s)
{
    for (int m = 0; m < CLV_BTYD_N_TYPES; m++)
        free(s->cum[m]), s->cum[m] = NULL;
    clv_rfm_free(s->t);
    s->t = NULL;
}
