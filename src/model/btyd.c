/* btyd.c - a fitted population as one model: predictions, CLV, holdout report, cumulative repeat purchases. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "btyd_internal.h"
#include "clvsim/date.h"
#include "clvsim/parallel.h"

void clv_btyd_from_scenario(clv_btyd *m, const clv_scn_population *pop)
{
    m->model = pop->model;
    m->bgnbd = pop->bgnbd;
    m->pareto = pop->pareto;
    m->spend = pop->spend;
}

/* the model table: every entry, by clv_btyd_model value */
const clv_btyd_type *const clv_btyd_types[CLV_BTYD_N_TYPES] = {
    [CLV_MODEL_BGNBD] = &clv__bgnbd_type,
    [CLV_MODEL_PARETO] = &clv__pareto_type,
};

const clv_btyd_type *clv_btyd_type_of(int model)
{
    return model >= 0 && model < CLV_BTYD_N_TYPES ? clv_btyd_types[model] : NULL;
}

const clv_btyd_type *clv_btyd_type_named(const char *name)
{
    for (int k = 0; k < CLV_BTYD_N_TYPES; k++)
        if (name && strcmp(clv_btyd_types[k]->name, name) == 0)
            return clv_btyd_types[k];
    return NULL;
}

/* the entry of m (BG/NBD for a value outside the table, as before) */
static const clv_btyd_type *type_of(const clv_btyd *m)
{
    const clv_btyd_type *t = clv_btyd_type_of(m->model);
    return t ? t : clv_btyd_bgnbd;
}

double clv_btyd_palive(const clv_btyd *m, double x, double t_x, double T)
{
    return type_of(m)->palive(m, x, t_x, T);
}

double clv_btyd_expected(const clv_btyd *m, double t, double x, double t_x, double T)
{
    return type_of(m)->expected(m, t, x, t_x, T);
}

double clv_btyd_expected_new(const clv_btyd *m, double t)
{
    return type_of(m)->expected_new(m, t);
}

double clv_btyd_pmf(const clv_btyd *m, double t, int x)
{
    return type_of(m)->pmf(m, t, x);
}

void clv_btyd_expected_n(const clv_btyd *m, int n, const double *t, double x, double t_x, double T, double *out)
{
    type_of(m)->expected_n(m, n, t, x, t_x, T, out);
}

/* sum_k (E[Y(k period)] - E[Y((k-1) period)]) / (1 + rate)^k over k = 1..periods, the
 * horizons in blocks of one clv_btyd_expected_n call each */
static double discounted_purchases(const clv_btyd *m, double x, double t_x, double T, int periods, double period,
                                   double rate)
{
    enum { BLOCK = 64 };
    double t[BLOCK], cum[BLOCK];
    double value = 0, prev = 0, disc = 1;
    for (int k0 = 1; k0 <= periods; k0 += BLOCK) {
        const int nb = periods - k0 + 1 < BLOCK ? periods - k0 + 1 : BLOCK;
        for (int j = 0; j < nb; j++)
            t[j] = (k0 + j) * period;
        clv_btyd_expected_n(m, nb, t, x, t_x, T, cum);
        for (int j = 0; j < nb; j++) {
            disc /= 1 + rate;
            value += (cum[j] - prev) * disc;
            prev = cum[j];
        }
    }
    return value;
}

double clv_btyd_clv(const clv_btyd *m, const clv_rfm *c, int periods, double period, double margin, double rate)
{
    double spend = clv_gg_expected_spend(&m->spend, c->x, c->mean_spend);
    return margin * spend * discounted_purchases(m, c->x, c->t_x, c->T, periods, period, rate);
}

typedef struct {
    double x, t_x, T;
    size_t i;
} rfm_key;

static int cmp_rfm_key(const void *pa, const void *pb)
{
    const rfm_key *a = pa, *b = pb;
    if (a->x != b->x)
        return a->x < b->x ? -1 : 1;
    if (a->t_x != b->t_x)
        return a->t_x < b->t_x ? -1 : 1;
    if (a->T != b->T)
        return a->T < b->T ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

typedef struct {
    const clv_btyd *m;
    const rfm_key *ord;
    const size_t *group;     /* group g: ord[group[g], group[g+1]), the customers of one distinct record */
    size_t n_groups;
    double holdout, period, rate;
    int periods;
    const clv_progress *progress;
    double *palive, *expected, *purchases;
} predict_job;

enum { PREDICT_BLOCK = 64 };

static int predict_unit(size_t unit, int worker, void *ctx)
{
    (void)worker;
    const predict_job *jb = ctx;
    if (clv_progress_poll(jb->progress) != CLV_OK)
        return CLV_ECANCELLED;
    const size_t end = (unit + 1) * PREDICT_BLOCK < jb->n_groups ? (unit + 1) * PREDICT_BLOCK : jb->n_groups;
    for (size_t g = unit * PREDICT_BLOCK; g < end; g++) {
        const rfm_key *r = &jb->ord[jb->group[g]];
        const double pa = jb->palive ? clv_btyd_palive(jb->m, r->x, r->t_x, r->T) : 0;
        const double ex = jb->expected ? clv_btyd_expected(jb->m, jb->holdout, r->x, r->t_x, r->T) : 0;
        const double dp = jb->purchases ? discounted_purchases(jb->m, r->x, r->t_x, r->T, jb->periods, jb->period,
                                                               jb->rate)
                                        : 0;
        for (size_t k = jb->group[g]; k < jb->group[g + 1]; k++) {
            const size_t i = jb->ord[k].i;
            if (jb->palive)
                jb->palive[i] = pa;
            if (jb->expected)
                jb->expected[i] = ex;
            if (jb->purchases)
                jb->purchases[i] = dp;
        }
    }
    return CLV_OK;
}

int clv_btyd_predict(const clv_btyd *m, const clv_rfm *c, size_t n, double holdout, int periods, double period,
                     double rate, int threads, const clv_progress *progress, double *palive, double *expected,
                     double *purchases, clv_error *err)
{
    /* customers in the order of (x, t_x, T), so that each distinct record is computed once */
    rfm_key *ord = malloc((n ? n : 1) * sizeof *ord);
    size_t *group = malloc((n + 1) * sizeof *group);
    if (!ord || !group) {
        free(ord);
        free(group);
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        ord[i] = (rfm_key){c[i].x, c[i].t_x, c[i].T, i};
    qsort(ord, n, sizeof *ord, cmp_rfm_key);
    size_t ng = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || ord[i].x != ord[i - 1].x || ord[i].t_x != ord[i - 1].t_x || ord[i].T != ord[i - 1].T)
            group[ng++] = i;
    group[ng] = n;
    /* the distinct records are independent: blocks of them run on the threads, each writing only
     * its own customers' slots, so the values do not depend on the thread count */
    predict_job jb = {m, ord, group, ng, holdout, period, rate, periods, progress, palive, expected, purchases};
    int st = clv_parallel_for(threads, (ng + PREDICT_BLOCK - 1) / PREDICT_BLOCK, predict_unit, &jb);
    free(ord);
    free(group);
    if (st == CLV_ECANCELLED)
        return clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "stopped");
    return st == CLV_OK ? CLV_OK : clv_error_set(err, st, NULL, 0, NULL, "the predictions failed");
}

/* group of a calibration frequency: 0..6, and 7 for 7 or more */
static int group_of(double x)
{
    return x >= CLV_FREQ_GROUPS - 1 ? CLV_FREQ_GROUPS - 1 : (int)x;
}

static int cmp_double(const void *a, const void *b)
{
    double u = *(const double *)a, v = *(const double *)b;
    return (u > v) - (u < v);
}

int clv_btyd_holdout(const clv_btyd *m, const clv_rfm_table *t, clv_holdout_report *rep, clv_error *err)
{
    memset(rep, 0, sizeof *rep);
    if (t->holdout_end <= t->calibration_end)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "holdout", "the summary has no holdout period");
    const double th = t->holdout_length;
    double sa = 0, sp = 0, saa = 0, spp = 0, sap = 0, sae = 0, sse = 0;
    /* E[Y(holdout)] once per distinct (x, t_x, T) */
    double *ex = malloc((t->n ? t->n : 1) * sizeof *ex);
    if (!ex)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    int st = clv_btyd_predict(m, t->c, t->n, th, 0, 1.0, 0, 1, NULL, NULL, ex, NULL, err);
    for (size_t i = 0; i < t->n && st == CLV_OK; i++) {
        const clv_rfm *c = &t->c[i];
        double pred = ex[i];
        if (!isfinite(pred)) {
            st = clv_error_set(err, CLV_ENUMERIC, NULL, 0, "holdout",
                               "the prediction for customer %s is not finite (x = %g, t_x = %g, T = %g)",
                               t->id ? t->id[i] : "?", c->x, c->t_x, c->T);
            break;
        }
        double act = c->x_holdout, e = pred - act;
        sa += act, sp += pred, saa += act * act, spp += pred * pred, sap += act * pred;
        sae += fabs(e), sse += e * e;
        int g = group_of(c->x);
        rep->group_n[g]++;
        rep->group_actual[g] += act;
        rep->group_predicted[g] += pred;
    }
    free(ex);
    if (st != CLV_OK)
        return st;
    double n = (double)t->n;
    rep->n = t->n;
    rep->mae = sae / n;
    rep->rmse = sqrt(sse / n);
    double va = saa - sa * sa / n, vp = spp - sp * sp / n;
    rep->corr = va > 0 && vp > 0 ? (sap - sa * sp / n) / sqrt(va * vp) : NAN;
    rep->total_actual = sa;
    rep->total_predicted = sp;
    for (int g = 0; g < CLV_FREQ_GROUPS; g++)
        if (rep->group_n[g] > 0) {
            rep->group_actual[g] /= (double)rep->group_n[g];
            rep->group_predicted[g] /= (double)rep->group_n[g];
        }

    return clv_btyd_frequency(m, t, rep->hist_model, err);
}

int clv_btyd_frequency(const clv_btyd *m, const clv_rfm_table *t, double hist[CLV_FREQ_GROUPS], clv_error *err)
{
    /* sum_i P(X(T_i) = k).  Customers share few distinct T (day
     * resolution), so the pmf is computed once per distinct T. */
    for (int k = 0; k < CLV_FREQ_GROUPS; k++)
        hist[k] = 0;
    double *T = malloc((t->n ? t->n : 1) * sizeof *T);
    if (!T)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    for (size_t i = 0; i < t->n; i++)
        T[i] = t->c[i].T;
    qsort(T, t->n, sizeof *T, cmp_double);
    for (size_t i = 0; i < t->n;) {
        size_t j = i;
        while (j < t->n && T[j] == T[i])
            j++;
        double cdf = 0;
        for (int k = 0; k < CLV_FREQ_GROUPS - 1; k++) {
            double pk = clv_btyd_pmf(m, T[i], k);
            if (!isfinite(pk)) {
                double Ti = T[i];
                free(T);
                return clv_error_set(err, CLV_ENUMERIC, NULL, 0, "frequency", "P(X(%g) = %d) is not finite", Ti, k);
            }
            hist[k] += (double)(j - i) * pk;
            cdf += pk;
        }
        hist[CLV_FREQ_GROUPS - 1] += (double)(j - i) * fmax(0, 1 - cdf);
        i = j;
    }
    free(T);
    return CLV_OK;
}

int clv_btyd_cumulative(const clv_btyd *m, const clv_rfm_table *t, double *out, clv_error *err)
{
    /* out[d] = sum over first-purchase days f <= d of first[f] E[X(d - f)]:
     * a convolution of the first-purchase counts with E[X(u)].  E[X(u)]
     * for u = 0, 1, ... days in the table's unit is computed once; then
     * each day's sum runs over the distinct first-purchase days only (in
     * increasing order, the order of the sum over every day that skipped
     * the days without first purchases, so the result is the same to the
     * bit).  The work is n_days x (distinct first-purchase days) plus the
     * customers; the reader keeps n_days to the log's span (dates far
     * outside it are not in the series), so a typo cannot blow it up. */
    size_t nd = t->n_days;
    double *ex = malloc((nd + 1) * sizeof *ex);
    double *first = calloc(nd + 1, sizeof *first);
    size_t *fday = malloc((nd + 1) * sizeof *fday);
    if (!ex || !first || !fday) {
        free(ex);
        free(first);
        free(fday);
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    int st = CLV_OK;
    for (size_t u = 0; u <= nd; u++) {
        ex[u] = clv_btyd_expected_new(m, (double)u / t->unit_days);
        if (!isfinite(ex[u])) {
            st = clv_error_set(err, CLV_ENUMERIC, NULL, 0, "cumulative", "E[X(%g)] is not finite",
                               (double)u / t->unit_days);
            goto done;
        }
    }
    /* customers by first-purchase day offset, and the days that have any */
    for (size_t i = 0; i < t->n; i++) {
        long off = (long)t->c[i].first_day - (long)t->series_start;
        if (off >= 0 && (size_t)off < nd)
            first[off] += 1;
    }
    size_t nf = 0;
    for (size_t f = 0; f < nd; f++)
        if (first[f] > 0)
            fday[nf++] = f;
    for (size_t d = 0, k = 0; d < nd; d++) {
        /* at the end of day d a customer who started on day f has been a
         * customer for d - f days (purchases on the first day are not
         * repeats); fday[0, k) are the first-purchase days up to d */
        while (k < nf && fday[k] <= d)
            k++;
        double s = 0;
        for (size_t j = 0; j < k; j++)
            s += first[fday[j]] * ex[d - fday[j]];
        out[d] = s;
    }
done:
    free(ex);
    free(first);
    free(fday);
    return st;
}

void clv_btyd_value_init(clv_btyd_value *l, const clv_scenario *scn)
{
    clv_btyd_from_scenario(&l->model, &scn->population);
    l->unit_days = scn->population.unit == CLV_UNIT_WEEK ? 7.0 : 1.0;
    l->horizon = scn->ltv.horizon_days / l->unit_days;
    l->margin_rate = scn->economics.margin_rate;
}

void clv_btyd_summary_of(const clv_sim_obs *o, double unit_days, clv_rfm *c)
{
    /* the history up to the end of day o->today, as clv_rfm_read summarises
     * a log with calibration_end = o->today (src/model/rfm.c): day counts
     * that are whole numbers, divided once by the unit */
    const double first_day = (double)o->today - o->age_days;
    memset(c, 0, sizeof *c);
    c->x = o->purchases > 1 ? o->purchases - 1 : 0;
    c->t_x = c->x > 0 ? (o->age_days - o->recency_days) / unit_days : 0;
    c->T = o->age_days / unit_days;
    /* Gamma-Gamma's mean is over the repeat purchases only */
    c->mean_spend = c->x > 0 ? fmax(0, o->total_spend - o->first_spend) / c->x : 0;
    c->first_spend = o->first_spend;
    c->first_day = (int32_t)first_day;
    c->max_spend = o->max_spend;
    c->last_spend = o->last_spend;
    memcpy(c->recent, o->recent, sizeof c->recent);
}

double clv_btyd_palive_rfm(const clv_btyd_value *l, const clv_rfm *c)
{
    const double p = clv_btyd_palive(&l->model, c->x, c->t_x, c->T);
    return isfinite(p) ? p : 0;
}

double clv_btyd_value_rfm(const clv_btyd_value *l, const clv_rfm *c)
{
    const double ey = clv_btyd_expected(&l->model, l->horizon, c->x, c->t_x, c->T);
    const double z = clv_gg_expected_spend(&l->model.spend, c->x, c->mean_spend);
    const double v = l->margin_rate * z * ey;
    return isfinite(v) ? v : 0;
}

double clv_btyd_palive_of(const clv_btyd_value *l, const clv_sim_obs *o)
{
    clv_rfm c;
    clv_btyd_summary_of(o, l->unit_days, &c);
    return clv_btyd_palive_rfm(l, &c);
}

double clv_btyd_value_of(const clv_btyd_value *l, const clv_sim_obs *o)
{
    clv_rfm c;
    clv_btyd_summary_of(o, l->unit_days, &c);
    return clv_btyd_value_rfm(l, &c);
}

void clv__btyd_value_palive_of(const clv_btyd_value *l, clv__alive_memo *memo, const clv_sim_obs *o, double *value,
                               double *palive)
{
    if (type_of(&l->model) != clv_btyd_bgnbd) {
        *value = clv_btyd_value_of(l, o);
        *palive = clv_btyd_palive_of(l, o);
        return;
    }
    clv_rfm c;
    clv_btyd_summary_of(o, l->unit_days, &c);
    double ey, p;
    clv__bgnbd_expected_palive(&l->model.bgnbd, memo, l->horizon, c.x, c.t_x, c.T, &ey, &p);
    /* as clv_btyd_value_rfm and clv_btyd_palive_rfm */
    const double z = clv_gg_expected_spend(&l->model.spend, c.x, c.mean_spend);
    const double v = l->margin_rate * z * ey;
    *value = isfinite(v) ? v : 0;
    *palive = isfinite(p) ? p : 0;
}

void clv_fit_opts_scenario(clv_fit_opts *fo, const clv_scenario *scn, int threads, const clv_progress *progress)
{
    clv_fit_opts_default(fo);
    fo->seed = (uint64_t)scn->scenario.seed;
    fo->threads = threads;
    fo->progress = progress;
}

int clv_btyd_fit_table(const clv_rfm_table *t, int model, const clv_fit_opts *fo, clv_btyd *out,
                       clv_fit_result fits[2], clv_error *err)
{
    const clv_btyd_type *ty = clv_btyd_type_of(model);
    if (!ty)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "population.model", "%d is not a BTYD model", model);
    clv_fit_result res[2];
    int st = ty->fit(t->c, t->n, fo, &res[0], err);
    if (st == CLV_OK)
        st = clv_gg_fit(t->c, t->n, fo, &res[1], err);
    if (st != CLV_OK)
        return st;
    memset(out, 0, sizeof *out);
    out->model = model;
    ty->set(out, res[0].par);
    out->spend = (clv_gg_params){res[1].par[0], res[1].par[1], res[1].par[2]};
    if (fits)
        fits[0] = res[0], fits[1] = res[1];
    return CLV_OK;
}

int clv_population_fit(clv_scenario *scn, int threads, const clv_progress *progress, clv_fit_result fits[2],
                       clv_txlog_stats *stats, clv_error *err)
{
    clv_scn_population *pop = &scn->population;
    const clv_scn_data *d = &scn->data;
    if (stats)
        memset(stats, 0, sizeof *stats);
    if (pop->source != CLV_SOURCE_FIT)
        return CLV_OK;
    int32_t cal;
    if (!d->transactions[0] || clv_date_parse(d->calibration_end, -1, &cal) != 0)
        return clv_error_set(err, CLV_EINPUT, scn->source, 0, "population.source",
                             "\"fit\" needs data.transactions and data.calibration_end (YYYY-MM-DD)");
    clv_txlog_opts ro;
    clv_txlog_opts_from_scenario(&ro, d);
    clv_rfm_table *t = NULL;
    int st = clv_rfm_read(d->transactions, &ro, cal, -1, d->unit, progress, &t, err);
    if (st != CLV_OK)
        return st;
    if (stats)
        *stats = t->stats;
    clv_fit_opts fo;
    clv_fit_opts_scenario(&fo, scn, threads, progress);
    clv_btyd m;
    st = clv_btyd_fit_table(t, pop->model, &fo, &m, fits, err);
    clv_rfm_free(t);
    if (st != CLV_OK)
        return st;
    /* the fitted model's parameters only: the other model's stay as given */
    clv_btyd given;
    clv_btyd_from_scenario(&given, pop);
    double par[4];
    clv_btyd_type_of(m.model)->get(&m, par);
    clv_btyd_type_of(m.model)->set(&given, par);
    pop->bgnbd = given.bgnbd;
    pop->pareto = given.pareto;
    pop->spend = m.spend;
    pop->unit = d->unit;
    pop->source = CLV_SOURCE_PARAMETERS;
    /* the estimates pass the checks a scenario file's parameters pass (a fit
     * at a boundary can give a shape of 1e9, or q below 1): else the world
     * simulated from them would be nonsense */
    st = clv_scn_check(scn, err);
    if (st != CLV_OK && err) {
        char msg[CLV_ERROR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", err->msg);
        snprintf(err->file, sizeof err->file, "%s", d->transactions);
        snprintf(err->msg, sizeof err->msg, "the population fitted to this log up to %s is refused: %.500s",
                 d->calibration_end, msg);
    }
    return st;
}
