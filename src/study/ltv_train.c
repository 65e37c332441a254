/* ltv_train.c - the pipeline of `clvsim train-ltv`: the neural LTV predictor trained and measured beside BTYD. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort_double.h>
#include <gsl/gsl_statistics_double.h>

#include "clvsim/ltv.h"
#include "clvsim/rng.h"
#include "clvsim/streams.h"

enum { LTV_INFER_BATCH = 4096 };

/* the network's prediction of each row's label, and its score of buying at
 * all; a value that is not finite is an error (the rows of the holdout
 * `name`) */
static int predict(clv_mlp *m, int loss, const clv_ltv_config *cfg, const double *X, size_t n, double *value,
                   double *buy, size_t *cut, const char *name, clv_error *err)
{
    if (cut)
        *cut = 0;
    const int out = loss == CLV_LOSS_ZILN ? 3 : 1;
    double *o = malloc(LTV_INFER_BATCH * (size_t)out * sizeof *o);
    if (!o)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    int st = CLV_OK;
    for (size_t i = 0; i < n && st == CLV_OK; i += LTV_INFER_BATCH) {
        const size_t b = n - i < LTV_INFER_BATCH ? n - i : LTV_INFER_BATCH;
        st = clv_mlp_forward(m, X + i * CLV_LTV_FEATURES, b, o, err);
        for (size_t k = 0; st == CLV_OK && k < b; k++) {
            int c;
            value[i + k] = clv_ltv_value_of(cfg, loss, o + (size_t)out * k, &c);
            buy[i + k] = o[(size_t)out * k]; /* the logit ranks as P(buy) does; MSE: the value */
            if (cut)
                *cut += (size_t)c;
            if (!isfinite(value[i + k]))
                st = clv_error_set(err, CLV_ENUMERIC, NULL, 0, "ltv",
                                   "the network's value for customer %zu of the %s holdout is %g%s", i + k, name,
                                   value[i + k], loss == CLV_LOSS_ZILN ? ": its ZILN mean p exp(mu + sigma^2/2) "
                                   "overflows; try ltv.loss = \"mse\"" : "");
        }
    }
    free(o);
    return st;
}

/* the rows idx[0..n) of d appended to X, y */
static void gather(const clv_ltv_data *d, const size_t *idx, size_t n, double *X, double *y)
{
    for (size_t i = 0; i < n; i++) {
        memcpy(X + i * CLV_LTV_FEATURES, d->X + idx[i] * CLV_LTV_FEATURES, CLV_LTV_FEATURES * sizeof *X);
        y[i] = d->y[idx[i]];
    }
}

/* a keyed permutation of 0..n-1 */
static size_t *permutation(size_t n, uint64_t seed, uint64_t purpose_rep)
{
    size_t *p = malloc((n ? n : 1) * sizeof *p);
    if (!p)
        return NULL;
    for (size_t i = 0; i < n; i++)
        p[i] = i;
    clv_rng r;
    clv_rng_seed(&r, (clv_stream_key){seed, CLV_STREAM_SPLIT, purpose_rep, 0});
    for (size_t i = n; i > 1; i--) {
        const size_t j = (size_t)(clv_rng_next(&r) % i), t = p[i - 1];
        p[i - 1] = p[j], p[j] = t;
    }
    return p;
}

/* the calibration of the study s as a config (the rest 0) */
static clv_ltv_config calibrated(const clv_ltv_study *s)
{
    clv_ltv_config c;
    memset(&c, 0, sizeof c);
    c.label_max = s->label_max;
    c.calibrated = 1, c.sigma_max = s->sigma_max, c.calib = s->calib;
    return c;
}

/* The value's calibration of s (clv_ltv_study's sigma_max and calib):
 * sigma_max from the positive training labels y[0..n_tr), the map from
 * the bounded values of the validation rows Xv (standardised), yv[0..n_val) */
static int calibrate(clv_ltv_study *s, int loss, const double *y, size_t n_tr, const double *Xv, const double *yv,
                     size_t n_val, clv_error *err)
{
    double sum = 0, sum2 = 0, pos = 0;
    for (size_t i = 0; i < n_tr; i++)
        if (y[i] > 0) {
            const double l = log(y[i]);
            sum += l, sum2 += l * l, pos += 1;
        }
    s->sigma_max = 0;
    if (loss == CLV_LOSS_ZILN && pos >= 2) {
        const double var = (sum2 - sum * sum / pos) / (pos - 1);
        s->sigma_max = var > 0 ? sqrt(var) : 0;
    }
    const double cap = s->label_max > 0 ? CLV_LTV_ABOVE_LABELS * s->label_max : INFINITY;
    memset(&s->calib, 0, sizeof s->calib);
    s->calib.cap = cap;
    if (n_val == 0)
        return CLV_OK;
    double *v = malloc(n_val * sizeof *v), *b = malloc(n_val * sizeof *b);
    int st = v && b ? CLV_OK : clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    clv_ltv_config open = calibrated(s);
    open.calib.cap = INFINITY; /* the raw bounded values */
    if (st == CLV_OK)
        st = predict(s->mlp, loss, &open, Xv, n_val, v, b, NULL, "validation", err);
    if (st == CLV_OK)
        st = clv_value_calib_fit(v, yv, n_val, cap, &s->calib, err);
    free(v), free(b);
    return st;
}

/* the network and the baseline on the rows idx[0..n) of d (standardised in place) */
static int evaluate_on(clv_mlp *m, int loss, const clv_ltv_study *bl, clv_ltv_data *d, const size_t *idx, size_t n,
                       const double *mean, const double *sd, clv_ltv_evaluation *e, clv_error *err)
{
    double *X = malloc(n * CLV_LTV_FEATURES * sizeof *X), *y = malloc(n * sizeof *y), *pv = malloc(n * sizeof *pv);
    double *pb = malloc(n * sizeof *pb), *bb = malloc(n * sizeof *bb);
    int *bought = malloc(n * sizeof *bought);
    int st = CLV_OK;
    if (!X || !y || !pv || !pb || !bb || !bought)
        st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    if (st == CLV_OK) {
        gather(d, idx, n, X, y);
        clv_standardize_apply(X, n, CLV_LTV_FEATURES, mean, sd);
        const clv_ltv_config cfg = calibrated(bl);
        st = predict(m, loss, &cfg, X, n, pv, pb, &e->above, e->name, err);
    }
    e->value_max = -INFINITY;
    for (size_t i = 0; st == CLV_OK && i < n; i++) {
        bought[i] = y[i] > 0, bb[i] = d->baseline[idx[i]];
        e->value_max = pv[i] > e->value_max ? pv[i] : e->value_max;
    }
    e->n = n;
    if (st == CLV_OK && n < 10)
        st = clv_error_set(err, CLV_EINPUT, NULL, 0, "ltv",
                           "too few %s customers to evaluate the predictor (at least 10 are needed)", e->name);
    if (st == CLV_OK)
        st = clv_value_metrics_of(pv, y, n, &e->v[0], err);
    if (st == CLV_OK)
        st = clv_value_metrics_of(bb, y, n, &e->v[1], err);
    if (st == CLV_OK)
        st = clv_class_metrics_of(pb, bought, n, 0, &e->c[0], err);
    if (st == CLV_OK)
        st = clv_class_metrics_of(bb, bought, n, 0, &e->c[1], err);
    /* no gain curve (NaN) when the rows hold no value */
    double total = 0;
    for (size_t i = 0; st == CLV_OK && i < n; i++)
        total += y[i];
    for (int k = 0; st == CLV_OK && k < 2; k++) {
        if (total > 0) {
            st = clv_gain_curve(k ? bb : pv, y, n, CLV_LTV_GAIN_POINTS, e->gain[k], err);
            continue;
        }
        for (int q = 0; q < CLV_LTV_GAIN_POINTS; q++)
            e->gain[k][q] = NAN;
    }
    /* the logistic regressions: their logits, classified at 0 (P = 0.5) */
    for (int k = 0; st == CLV_OK && k < 2; k++) {
        for (size_t i0 = 0; st == CLV_OK && i0 < n; i0 += LTV_INFER_BATCH) {
            const size_t b = n - i0 < LTV_INFER_BATCH ? n - i0 : LTV_INFER_BATCH;
            st = clv_mlp_forward(bl->lr[k], X + i0 * CLV_LTV_FEATURES, b, pv + i0, err);
        }
        for (size_t i = 0; st == CLV_OK && i < n; i++)
            bought[i] = k ? y[i] >= bl->high : y[i] > 0;
        if (st == CLV_OK)
            st = clv_class_metrics_of(pv, bought, n, 0, &e->lr[k], err);
    }
    /* the standardised rows and labels stay, for the explanations */
    if (st == CLV_OK)
        e->X = X, e->y = y;
    else
        free(X), free(y);
    free(pv), free(pb), free(bb), free(bought);
    return st;
}


int clv_ltv_study_run(const clv_scenario *scn, const clv_progress *prog, clv_ltv_study *s, clv_error *err)
{
    memset(s, 0, sizeof *s);
    const clv_scn_ltv *L = &scn->ltv;
    const double f = L->real_fraction;
    const int use_real = f > 0, use_syn = f < 1;
    const uint64_t seed = (uint64_t)scn->scenario.seed;
    int st = CLV_OK;
    if (use_real) {
        st = clv_ltv_real(scn, scn->run.threads, prog, &s->real, s->fits, &s->real_stats, err);
        s->have_real = st == CLV_OK;
    }
    if (st == CLV_OK && use_syn &&
        (st = clv_ltv_synthetic(scn, CLV_WORLD_LTV_TRAIN, scn->run.threads, prog, &s->train, err)) == CLV_OK)
        st = clv_ltv_synthetic(scn, CLV_WORLD_LTV_HOLDOUT, scn->run.threads, prog, &s->holdout, err);
    if (st != CLV_OK)
        return st;
    clv_ltv_data *real = &s->real, *tr = &s->train, *ho = &s->holdout;
    /* the real customers: a fifth is the real holdout, the rest trains */
    const size_t n_rtest = real->n / 5, n_rpool = real->n - n_rtest;
    size_t n_s = 0;
    if (use_syn)
        n_s = use_real ? (size_t)fmin((double)tr->n, round((double)n_rpool * (1 - f) / f)) : tr->n;
    const size_t n = n_rpool + n_s, K = CLV_LTV_FEATURES;
    const size_t n_val = (size_t)floor(L->validation_fraction * (double)n), n_tr = n - n_val;
    s->n = n, s->n_real = n_rpool, s->n_syn = n_s, s->n_val = n_val, s->n_train = n_tr;
    s->rp = permutation(real->n, seed, CLV_SPLIT_LTV_REAL);
    s->sp = permutation(tr->n, seed, CLV_WORLD_LTV_TRAIN);
    s->all = permutation(n, seed, CLV_SPLIT_LTV_ALL);
    s->hidx = permutation(ho->n, seed, CLV_WORLD_LTV_HOLDOUT);
    double *Xt = s->X = malloc((n ? n : 1) * K * sizeof *Xt), *yt = s->y = malloc((n ? n : 1) * sizeof *yt);
    double *Xc = malloc((n ? n : 1) * K * sizeof *Xc), *yc = malloc((n ? n : 1) * sizeof *yc);
    if (!s->rp || !s->sp || !s->all || !s->hidx || !Xt || !yt || !Xc || !yc) {
        free(Xc), free(yc);
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    /* the training rows: the real pool and the synthetic share, then mixed
     * in a keyed order whose last validation_fraction validates */
    gather(real, s->rp, n_rpool, Xc, yc);
    gather(tr, s->sp, n_s, Xc + n_rpool * K, yc + n_rpool);
    for (size_t i = 0; i < n; i++) {
        memcpy(Xt + i * K, Xc + s->all[i] * K, K * sizeof *Xt);
        yt[i] = yc[s->all[i]];
    }
    free(Xc), free(yc);
    if (n_tr < (size_t)L->batch_size)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "ltv.batch_size",
                             "%zu training customers, fewer than a batch of %d; lower ltv.batch_size or add customers",
                             n_tr, L->batch_size);
    for (size_t i = 0; i < n_tr; i++)
        s->label_max = yt[i] > s->label_max ? yt[i] : s->label_max;
    s->no_info = clv_ltv_no_info(Xt, n_tr);
    clv_standardize_fit(Xt, n_tr, K, NULL, 0, s->mean, s->sd);
    clv_standardize_apply(Xt, n, K, s->mean, s->sd);
    clv_mlp_spec spec = {(int)K, {0}, L->n_hidden, L->loss == CLV_LOSS_ZILN ? 3 : 1, L->activation, CLV_MLP_F32,
                         (size_t)L->batch_size > LTV_INFER_BATCH ? (size_t)L->batch_size : LTV_INFER_BATCH};
    memcpy(spec.hidden, L->hidden, sizeof spec.hidden);
    if (!(s->mlp = clv_mlp_alloc(&spec, err)))
        return err ? err->code : CLV_ENOMEM;
    clv_mlp_init(s->mlp, seed);
    if ((st = clv_mlp_set_dropout(s->mlp, L->dropout, seed, err)) != CLV_OK)
        return st;
    clv_mlp_train_opts to;
    clv_mlp_train_opts_default(&to);
    to.loss = L->loss, to.epochs = L->epochs, to.batch = (size_t)L->batch_size;
    to.adam.lr = L->learning_rate, to.adam.weight_decay = L->weight_decay, to.schedule = L->lr_schedule;
    to.patience = L->patience > 0 ? L->patience : L->epochs;
    to.seed = seed, to.progress = prog;
    to.X_val = Xt + n_tr * K, to.y_val = yt + n_tr, to.n_val = n_val;
    st = clv_mlp_train(s->mlp, Xt, yt, n_tr, &to, &s->history, err);
    /* the logistic-regression baselines on the same rows */
    double *yb = malloc(n * sizeof *yb), *sorted = malloc((n_tr ? n_tr : 1) * sizeof *sorted);
    if (st == CLV_OK && (!yb || !sorted))
        st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    if (st == CLV_OK) {
        memcpy(sorted, yt, n_tr * sizeof *sorted);
        gsl_sort(sorted, 1, n_tr);
        s->high = gsl_stats_quantile_from_sorted_data(sorted, 1, n_tr, 0.9);
        if (!(s->high > 0))
            s->high = DBL_MIN; /* at least a purchase */
    }
    for (int k = 0; st == CLV_OK && k < 2; k++) {
        clv_mlp_spec ls = {(int)K, {0}, 0, 1, CLV_ACT_TANH, CLV_MLP_F32, spec.max_batch};
        if (!(s->lr[k] = clv_mlp_alloc(&ls, err))) {
            st = err ? err->code : CLV_ENOMEM;
            break;
        }
        clv_mlp_init(s->lr[k], seed + 1 + (uint64_t)k);
        for (size_t i = 0; i < n; i++)
            yb[i] = k ? yt[i] >= s->high : yt[i] > 0;
        clv_mlp_train_opts lo = to;
        lo.loss = CLV_LOSS_BCE, lo.y_val = yb + n_tr, lo.progress = NULL;
        clv_mlp_history lh;
        st = clv_mlp_train(s->lr[k], Xt, yb, n_tr, &lo, &lh, err);
        clv_mlp_history_free(&lh);
    }
    free(yb), free(sorted);
    if (st == CLV_OK)
        st = calibrate(s, L->loss, yt, n_tr, Xt + n_tr * K, yt + n_tr, n_val, err);
    if (st == CLV_OK && use_real) {
        s->ev[s->n_ev].name = "real";
        st = evaluate_on(s->mlp, L->loss, s, real, s->rp + n_rpool, n_rtest, s->mean, s->sd, &s->ev[s->n_ev++], err);
    }
    if (st == CLV_OK && use_syn) {
        s->ev[s->n_ev].name = "synthetic";
        st = evaluate_on(s->mlp, L->loss, s, ho, s->hidx, ho->n, s->mean, s->sd, &s->ev[s->n_ev++], err);
    }
    return st;
}

void clv_ltv_study_free(clv_ltv_study *s)
{
    free(s->rp), free(s->sp), free(s->all), free(s->hidx), free(s->X), free(s->y);
    for (int e = 0; e < 2; e++)
        free(s->ev[e].X), free(s->ev[e].y);
    clv_mlp_history_free(&s->history);
    clv_mlp_free(s->mlp);
    clv_mlp_free(s->lr[0]), clv_mlp_free(s->lr[1]);
    clv_ltv_data_free(&s->real);
    clv_ltv_data_free(&s->train);
    clv_ltv_data_free(&s->holdout);
    memset(s, 0, sizeof *s);
}

void clv_ltv_study_config(const clv_ltv_study *s, const clv_scenario *scn, clv_ltv_config *c)
{
    clv_ltv_config_of(scn, c);
    c->label_max = s->label_max;
    c->n_train = (double)s->n_train;
    c->calibrated = 1, c->sigma_max = s->sigma_max, c->calib = s->calib;
}

clv_ltv_model *clv_ltv_study_model(const clv_ltv_study *s, const clv_scenario *scn, size_t max_batch,
                                   const clv_btyd_value *btyd, clv_error *err)
{
    clv_ltv_config cfg;
    clv_ltv_study_config(s, scn, &cfg);
    return clv_ltv_model_new(s->mlp, scn->ltv.loss, s->mean, s->sd, &cfg, max_batch, btyd, err);
}
