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


/* the network of configuration tr trained on the first n_tr rows of X, y
 * (standardised), the next n_val validating; *to receives the options */
static int train_net(const clv_ltv_trial *tr, const clv_scn_ltv *L, const double *X, const double *y, size_t n_tr,
                     size_t n_val, uint64_t seed, const clv_progress *prog, clv_mlp **out, clv_mlp_history *h,
                     clv_mlp_train_opts *to, clv_error *err)
{
    const size_t K = CLV_LTV_FEATURES;
    clv_mlp_spec spec = {(int)K, {0}, tr->n_hidden, tr->loss == CLV_LOSS_ZILN ? 3 : 1, L->activation, CLV_MLP_F32,
                         (size_t)L->batch_size > LTV_INFER_BATCH ? (size_t)L->batch_size : LTV_INFER_BATCH};
    memcpy(spec.hidden, tr->hidden, sizeof spec.hidden);
    if (!(*out = clv_mlp_alloc(&spec, err)))
        return err ? err->code : CLV_ENOMEM;
    clv_mlp_init(*out, seed);
    int st;
    if ((st = clv_mlp_set_dropout(*out, tr->dropout, seed, err)) != CLV_OK)
        return st;
    clv_mlp_train_opts_default(to);
    to->loss = tr->loss, to->epochs = L->epochs, to->batch = (size_t)L->batch_size;
    to->adam.lr = tr->learning_rate, to->adam.weight_decay = tr->weight_decay, to->schedule = L->lr_schedule;
    to->patience = L->patience > 0 ? L->patience : L->epochs;
    to->seed = seed, to->progress = prog;
    to->X_val = X + n_tr * K, to->y_val = y + n_tr, to->n_val = n_val;
    return clv_mlp_train(*out, X, y, n_tr, to, h, err);
}

int clv_ltv_folds(size_t n, int k, uint64_t seed, int *fold, size_t *order, clv_error *err)
{
    if (k < 2 || (size_t)k > n)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "ltv.folds", "%d folds of %zu customers; expected 2 to %zu "
                             "folds", k, n, n);
    size_t *p = permutation(n, seed, CLV_SPLIT_LTV_FOLDS);
    if (!p)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    for (size_t q = 0; q < n; q++)
        fold[p[q]] = (int)(q % (size_t)k);
    if (order)
        memcpy(order, p, n * sizeof *p);
    free(p);
    return CLV_OK;
}

static const char *const cv_names[CLV_LTV_CV_METRICS] = {"normalised_gini", "spearman", "rmse", "mae",
                                                         "top_decile_lift"};

const char *clv_ltv_cv_metric_name(int k)
{
    return k >= 0 && k < CLV_LTV_CV_METRICS ? cv_names[k] : NULL;
}

void clv_ltv_cv_summarise(clv_ltv_cv *cv)
{
    for (int a = 0; a < 2; a++)
        for (int j = 0; j < CLV_LTV_CV_METRICS; j++) {
            double sum = 0, ss = 0;
            for (int k = 0; k < cv->folds; k++)
                sum += cv->m[k][a][j];
            const double mean = sum / cv->folds;
            for (int k = 0; k < cv->folds; k++)
                ss += (cv->m[k][a][j] - mean) * (cv->m[k][a][j] - mean);
            cv->mean[a][j] = mean, cv->sd[a][j] = sqrt(ss / (cv->folds - 1)); /* NaN stays NaN */
        }
}

static void cv_store(const clv_value_metrics *v, double *m)
{
    m[CLV_LTV_CV_GINI] = v->gini, m[CLV_LTV_CV_SPEARMAN] = v->spearman, m[CLV_LTV_CV_RMSE] = v->rmse;
    m[CLV_LTV_CV_MAE] = v->mae, m[CLV_LTV_CV_LIFT] = v->top_decile_lift;
}

/* the rows of a fold's training or its held-out part */
typedef struct fold_rows {
    double *X, *y, *b;
} fold_rows;

/* K-fold cross-validation of configuration tr on the n raw rows X, y
 * (BTYD's predictions b), folds fold[] of order[] (clv_ltv_folds); each
 * fold is reported in phase (and the cancel asked) before it trains */
static int cross_validate(const clv_ltv_trial *tr, const clv_scn_ltv *L, const double *X, const double *y,
                          const double *b, size_t n, const int *fold, const size_t *order, int folds, uint64_t seed,
                          const char *phase, const clv_progress *prog, clv_ltv_cv *cv, clv_error *err)
{
    const size_t K = CLV_LTV_FEATURES;
    memset(cv, 0, sizeof *cv);
    cv->folds = folds;
    fold_rows r = {malloc(n * K * sizeof *r.X), malloc(n * sizeof *r.y), malloc(n * sizeof *r.b)};
    double *pv = malloc(n * sizeof *pv), *pb = malloc(n * sizeof *pb);
    int st = CLV_OK;
    if (!r.X || !r.y || !r.b || !pv || !pb)
        st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    for (int k = 0; st == CLV_OK && k < folds; k++) {
        if (clv_progress_report(prog, phase, k, folds) != CLV_OK) {
            st = clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "stopped");
            break;
        }
        /* the other folds in the keyed order (their last share validates), then fold k */
        size_t m = 0;
        for (int pass = 0; pass < 2; pass++)
            for (size_t q = 0; q < n; q++)
                if ((fold[order[q]] == k) == pass) {
                    const size_t i = order[q];
                    memcpy(r.X + m * K, X + i * K, K * sizeof *r.X);
                    r.y[m] = y[i], r.b[m] = b[i], m++;
                }
        const size_t n_held = cv->n[k] = (size_t)(n / (size_t)folds) + ((size_t)k < n % (size_t)folds);
        const size_t n_rest = n - n_held, n_val = (size_t)floor(L->validation_fraction * (double)n_rest);
        const size_t n_tr = n_rest - n_val;
        if (n_held < 10 || n_tr < (size_t)L->batch_size) {
            st = clv_error_set(err, CLV_EINPUT, NULL, 0, "ltv.folds", "fold %d of %d holds %zu of %zu training "
                               "customers and trains on %zu; expected at least 10 held out and a batch of %d "
                               "training: lower ltv.folds or ltv.batch_size", k + 1, folds, n_held, n, n_tr,
                               L->batch_size);
            break;
        }
        double mean[CLV_LTV_FEATURES], sd[CLV_LTV_FEATURES];
        clv_standardize_fit(r.X, n_tr, K, NULL, 0, mean, sd);
        clv_standardize_apply(r.X, n, K, mean, sd);
        clv_mlp *net = NULL;
        clv_mlp_history h;
        memset(&h, 0, sizeof h);
        clv_mlp_train_opts to;
        st = train_net(tr, L, r.X, r.y, n_tr, n_val, seed, prog, &net, &h, &to, err);
        char name[64];
        snprintf(name, sizeof name, "cross-validation fold %d", k + 1);
        /* the fold's value as the final network's: its sigma bound, map and
         * cap from the fold's own training and validation rows (calibrate) */
        clv_ltv_study fs;
        memset(&fs, 0, sizeof fs);
        fs.mlp = net;
        for (size_t i = 0; i < n_tr; i++)
            fs.label_max = r.y[i] > fs.label_max ? r.y[i] : fs.label_max;
        if (st == CLV_OK)
            st = calibrate(&fs, tr->loss, r.y, n_tr, r.X + n_tr * K, r.y + n_tr, n_val, err);
        const clv_ltv_config cfg = calibrated(&fs);
        if (st == CLV_OK)
            st = predict(net, tr->loss, &cfg, r.X + n_rest * K, n_held, pv, pb, NULL, name, err);
        clv_value_metrics v;
        if (st == CLV_OK && (st = clv_value_metrics_of(pv, r.y + n_rest, n_held, &v, err)) == CLV_OK)
            cv_store(&v, cv->m[k][0]);
        if (st == CLV_OK && (st = clv_value_metrics_of(r.b + n_rest, r.y + n_rest, n_held, &v, err)) == CLV_OK)
            cv_store(&v, cv->m[k][1]);
        clv_mlp_history_free(&h);
        clv_mlp_free(net);
    }
    if (st == CLV_OK)
        clv_ltv_cv_summarise(cv);
    free(r.X), free(r.y), free(r.b), free(pv), free(pb);
    return st;
}

/* the scenario's configuration */
static void trial_of(const clv_scn_ltv *L, clv_ltv_trial *t)
{
    memset(t, 0, sizeof *t);
    t->loss = L->loss, t->n_hidden = L->n_hidden;
    memcpy(t->hidden, L->hidden, sizeof t->hidden);
    t->learning_rate = L->learning_rate, t->weight_decay = L->weight_decay, t->dropout = L->dropout;
}

/* the search's value indices ix (width, learning rate, weight decay, dropout, loss) as a trial */
static void trial_at(const clv_scn_ltv *L, const size_t ix[5], clv_ltv_trial *t)
{
    trial_of(L, t);
    const int w = L->search_width[ix[0]];
    t->hidden[0] = w;
    for (int j = 1; j < t->n_hidden; j++) {
        const double v = round((double)L->hidden[j] * w / L->hidden[0]);
        t->hidden[j] = v < 1 ? 1 : v > CLV_LTV_MAX_WIDTH ? CLV_LTV_MAX_WIDTH : (int)v;
    }
    t->learning_rate = L->search_learning_rate[ix[1]], t->weight_decay = L->search_weight_decay[ix[2]];
    t->dropout = L->search_dropout[ix[3]], t->loss = L->search_loss[ix[4]];
}

/* the trials of ltv.search into s->trials (grid: every point, the last list's value changing fastest;
 * random: ltv.trials keyed draws of each list's value) */
static int make_trials(const clv_scn_ltv *L, uint64_t seed, clv_ltv_study *s, clv_error *err)
{
    const size_t cnt[5] = {(size_t)L->n_search_width, (size_t)L->n_search_learning_rate,
                           (size_t)L->n_search_weight_decay, (size_t)L->n_search_dropout, (size_t)L->n_search_loss};
    size_t grid = 1;
    for (int j = 0; j < 5; j++)
        grid *= cnt[j];
    if (L->search == CLV_LTV_SEARCH_GRID && grid > (size_t)L->trials)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "ltv.trials", "the grid of the ltv.search_* lists has %zu "
                             "points (%zu widths x %zu learning rates x %zu weight decays x %zu dropouts x %zu losses), "
                             "more than ltv.trials = %d; raise the budget, shorten the lists or use ltv.search = "
                             "\"random\"", grid, cnt[0], cnt[1], cnt[2], cnt[3], cnt[4], L->trials);
    const size_t nt = L->search == CLV_LTV_SEARCH_GRID ? grid : (size_t)L->trials;
    s->trials = calloc(nt, sizeof *s->trials), s->trial_cv = calloc(nt, sizeof *s->trial_cv);
    if (!s->trials || !s->trial_cv)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    clv_rng r;
    clv_rng_seed(&r, (clv_stream_key){seed, CLV_STREAM_SPLIT, CLV_SPLIT_LTV_SEARCH, 0});
    for (size_t t = 0; t < nt; t++) {
        size_t ix[5], rest = t;
        for (int j = 4; j >= 0; j--) {
            if (L->search == CLV_LTV_SEARCH_GRID)
                ix[j] = rest % cnt[j], rest /= cnt[j];
            else
                ix[4 - j] = (size_t)(clv_rng_next(&r) % cnt[4 - j]);
        }
        trial_at(L, ix, &s->trials[t]);
    }
    s->n_trials = (int)nt;
    return CLV_OK;
}

/* cross-validation of the training rows (raw: before the standardisation), and the search */
static int cv_and_search(const clv_scn_ltv *L, uint64_t seed, const clv_progress *prog, const double *X,
                         const double *y, const double *b, size_t n, clv_ltv_study *s, clv_error *err)
{
    if (L->search != CLV_LTV_SEARCH_NONE && L->folds < 2)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "ltv.search", "a search scores its trials by "
                             "cross-validation; set ltv.folds (--folds K) to at least 2");
    if (L->folds == 0)
        return CLV_OK;
    if (L->folds < 2)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "ltv.folds", "ltv.folds is 1; expected 0 (none) or 2 to %d",
                             CLV_LTV_MAX_FOLDS);
    int *fold = malloc((n ? n : 1) * sizeof *fold);
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    int st = !fold || !order ? clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory")
                             : clv_ltv_folds(n, L->folds, seed, fold, order, err);
    if (st == CLV_OK && L->search == CLV_LTV_SEARCH_NONE)
        st = cross_validate(&s->chosen, L, X, y, b, n, fold, order, L->folds, seed,
                            "cross-validating (folds trained)", prog, &s->cv, err);
    if (st == CLV_OK && L->search != CLV_LTV_SEARCH_NONE && (st = make_trials(L, seed, s, err)) == CLV_OK) {
        s->best = -1;
        for (int t = 0; st == CLV_OK && t < s->n_trials; t++) {
            char phase[80];
            snprintf(phase, sizeof phase, "searching: trial %d of %d (folds trained)", t + 1, s->n_trials);
            st = cross_validate(&s->trials[t], L, X, y, b, n, fold, order, L->folds, seed, phase, prog,
                                &s->trial_cv[t], err);
            const double g = s->trial_cv[t].mean[0][CLV_LTV_CV_GINI];
            if (st == CLV_OK && g == g && (s->best < 0 || g > s->trial_cv[s->best].mean[0][CLV_LTV_CV_GINI]))
                s->best = t;
        }
        if (st == CLV_OK && s->best < 0)
            st = clv_error_set(err, CLV_EINPUT, NULL, 0, "ltv.search", "no trial has a defined mean normalised "
                               "Gini over the folds (a fold whose customers bought nothing); lower ltv.folds");
        if (st == CLV_OK)
            s->chosen = s->trials[s->best], s->cv = s->trial_cv[s->best];
    }
    free(fold), free(order);
    return st;
}

/* the rows idx[0..n) of d's BTYD predictions */
static void gather_baseline(const clv_ltv_data *d, const size_t *idx, size_t n, double *b)
{
    for (size_t i = 0; i < n; i++)
        b[i] = d->baseline[idx[i]];
}

/* with ltv.split_file: the real rows' parts; s->rp's order of them into
 * s->all (train, then validation) and s->tidx (test) */
static int file_split(const clv_scenario *scn, clv_ltv_study *s, size_t *n_tr, size_t *n_val, size_t *n_test,
                      clv_error *err)
{
    const clv_ltv_data *real = &s->real;
    if (scn->ltv.real_fraction != 1)
        return clv_error_set(err, CLV_EINPUT, scn->source, 0, "ltv.split_file", "a split file assigns real "
                             "customers; ltv.real_fraction is %g: set it to 1 (synthetic rows do not mix with a "
                             "split file)", scn->ltv.real_fraction);
    int *part = malloc((real->n ? real->n : 1) * sizeof *part);
    s->all = malloc((real->n ? real->n : 1) * sizeof *s->all);
    s->tidx = malloc((real->n ? real->n : 1) * sizeof *s->tidx);
    if (!part || !s->all || !s->tidx) {
        free(part);
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    int st = clv_ltv_split_read(scn->ltv.split_file, (const char *const *)real->id, real->n, part, &s->split, err);
    size_t m = 0, t = 0;
    for (int p = CLV_LTV_PART_TRAIN; st == CLV_OK && p <= CLV_LTV_PART_VALIDATION; p++)
        for (size_t i = 0; i < real->n; i++)
            if (part[s->rp[i]] == p)
                s->all[m++] = s->rp[i];
    for (size_t i = 0; st == CLV_OK && i < real->n; i++)
        if (part[s->rp[i]] == CLV_LTV_PART_TEST)
            s->tidx[t++] = s->rp[i];
    *n_tr = (size_t)s->split.n_train, *n_val = (size_t)s->split.n_val, *n_test = t;
    free(part);
    return st;
}

int clv_ltv_study_run(const clv_scenario *scn, const clv_progress *prog, clv_ltv_study *s, clv_error *err)
{
    memset(s, 0, sizeof *s);
    const clv_scn_ltv *L = &scn->ltv;
    const double f = L->real_fraction;
    const int use_real = f > 0, use_syn = f < 1, use_file = L->split_file[0] != 0;
    const uint64_t seed = (uint64_t)scn->scenario.seed;
    trial_of(L, &s->chosen);
    int st = CLV_OK;
    if (use_file && !use_real)
        return clv_error_set(err, CLV_EINPUT, scn->source, 0, "ltv.split_file", "a split file assigns real "
                             "customers; ltv.real_fraction is 0: set it to 1");
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
    const size_t K = CLV_LTV_FEATURES;
    size_t n, n_val = 0, n_tr = 0, n_rtest = 0, n_rpool, n_s = 0;
    s->rp = permutation(real->n, seed, CLV_SPLIT_LTV_REAL);
    if (!s->rp)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    if (use_file) {
        if ((st = file_split(scn, s, &n_tr, &n_val, &n_rtest, err)) != CLV_OK)
            return st;
        n = n_rpool = n_tr + n_val;
    } else {
        /* the real customers: a keyed share is the real holdout, the rest trains */
        n_rtest = (size_t)floor(L->holdout_fraction * (double)real->n), n_rpool = real->n - n_rtest;
        if (use_syn)
            n_s = use_real ? (size_t)fmin((double)tr->n, round((double)n_rpool * (1 - f) / f)) : tr->n;
        n = n_rpool + n_s;
        n_val = (size_t)floor(L->validation_fraction * (double)n), n_tr = n - n_val;
        s->split.kind = CLV_LTV_SPLIT_KEYED, s->split.holdout_fraction = L->holdout_fraction;
    }
    s->n = n, s->n_real = n_rpool, s->n_syn = n_s, s->n_val = n_val, s->n_train = n_tr;
    if (!use_file) {
        s->sp = permutation(tr->n, seed, CLV_WORLD_LTV_TRAIN);
        s->all = permutation(n, seed, CLV_SPLIT_LTV_ALL);
    }
    s->hidx = permutation(ho->n, seed, CLV_WORLD_LTV_HOLDOUT);
    double *Xt = s->X = malloc((n ? n : 1) * K * sizeof *Xt), *yt = s->y = malloc((n ? n : 1) * sizeof *yt);
    double *Xc = malloc((n ? n : 1) * K * sizeof *Xc), *yc = malloc((n ? n : 1) * sizeof *yc);
    double *bc = malloc((n ? n : 1) * sizeof *bc), *bt = malloc((n ? n : 1) * sizeof *bt);
    if ((!use_file && !s->sp) || !s->all || !s->hidx || !Xt || !yt || !Xc || !yc || !bc || !bt) {
        free(Xc), free(yc), free(bc), free(bt);
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    if (use_file) {
        /* the file's train customers, then its validation ones */
        gather(real, s->all, n, Xt, yt);
        gather_baseline(real, s->all, n, bt);
    } else {
        /* the training rows: the real pool and the synthetic share, then
         * mixed in a keyed order whose last validation_fraction validates */
        gather(real, s->rp, n_rpool, Xc, yc);
        gather(tr, s->sp, n_s, Xc + n_rpool * K, yc + n_rpool);
        gather_baseline(real, s->rp, n_rpool, bc);
        gather_baseline(tr, s->sp, n_s, bc + n_rpool);
        for (size_t i = 0; i < n; i++) {
            memcpy(Xt + i * K, Xc + s->all[i] * K, K * sizeof *Xt);
            yt[i] = yc[s->all[i]], bt[i] = bc[s->all[i]];
        }
    }
    free(Xc), free(yc), free(bc);
    s->split.n_train = (double)n_tr, s->split.n_val = (double)n_val;
    s->split.n_test = (double)(use_real ? n_rtest : ho->n);
    s->split.folds = L->folds, s->split.search = L->search;
    if (n_tr < (size_t)L->batch_size) {
        free(bt);
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "ltv.batch_size",
                             "%zu training customers, fewer than a batch of %d; lower ltv.batch_size or add customers",
                             n_tr, L->batch_size);
    }
    st = cv_and_search(L, seed, prog, Xt, yt, bt, n, s, err);
    free(bt);
    if (st != CLV_OK)
        return st;
    s->split.trials = s->n_trials;
    s->split.cv_score = s->cv.folds ? s->cv.mean[0][CLV_LTV_CV_GINI] : 0;
    s->split.cv_sd = s->cv.folds ? s->cv.sd[0][CLV_LTV_CV_GINI] : 0;
    s->split.loss = s->chosen.loss, s->split.n_hidden = s->chosen.n_hidden;
    memcpy(s->split.hidden, s->chosen.hidden, sizeof s->split.hidden);
    s->split.learning_rate = s->chosen.learning_rate, s->split.weight_decay = s->chosen.weight_decay;
    s->split.dropout = s->chosen.dropout;
    for (size_t i = 0; i < n_tr; i++)
        s->label_max = yt[i] > s->label_max ? yt[i] : s->label_max;
    s->no_info = clv_ltv_no_info(Xt, n_tr);
    clv_standardize_fit(Xt, n_tr, K, NULL, 0, s->mean, s->sd);
    clv_standardize_apply(Xt, n, K, s->mean, s->sd);
    clv_mlp_train_opts to;
    st = train_net(&s->chosen, L, Xt, yt, n_tr, n_val, seed, prog, &s->mlp, &s->history, &to, err);
    const size_t max_batch = (size_t)L->batch_size > LTV_INFER_BATCH ? (size_t)L->batch_size : LTV_INFER_BATCH;
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
        clv_mlp_spec ls = {(int)K, {0}, 0, 1, CLV_ACT_TANH, CLV_MLP_F32, max_batch};
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
        st = calibrate(s, s->chosen.loss, yt, n_tr, Xt + n_tr * K, yt + n_tr, n_val, err);
    if (st == CLV_OK && use_real) {
        s->ev[s->n_ev].name = "real";
        st = evaluate_on(s->mlp, s->chosen.loss, s, real, use_file ? s->tidx : s->rp + n_rpool, n_rtest, s->mean,
                         s->sd, &s->ev[s->n_ev++], err);
    }
    if (st == CLV_OK && use_syn) {
        s->ev[s->n_ev].name = "synthetic";
        st = evaluate_on(s->mlp, s->chosen.loss, s, ho, s->hidx, ho->n, s->mean, s->sd, &s->ev[s->n_ev++], err);
    }
    return st;
}

void clv_ltv_study_free(clv_ltv_study *s)
{
    free(s->rp), free(s->sp), free(s->all), free(s->hidx), free(s->tidx), free(s->X), free(s->y);
    free(s->trials), free(s->trial_cv);
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
    c->split = s->split;
}

int clv_ltv_study_save(const clv_ltv_study *s, const clv_scenario *scn, const char *path, clv_error *err)
{
    clv_ltv_config cfg;
    double meta[CLV_MLP_META];
    char text[CLV_MLP_TEXT_MAX];
    clv_ltv_study_config(s, scn, &cfg);
    clv_ltv_config_pack(&cfg, meta);
    int st = clv_ltv_config_text(&cfg, text, sizeof text, err);
    return st == CLV_OK ? clv_mlp_save(s->mlp, s->chosen.loss, s->mean, s->sd, meta, text, path, err) : st;
}

clv_ltv_model *clv_ltv_study_model(const clv_ltv_study *s, const clv_scenario *scn, size_t max_batch,
                                   const clv_btyd_value *btyd, clv_error *err)
{
    clv_ltv_config cfg;
    clv_ltv_study_config(s, scn, &cfg);
    return clv_ltv_model_new(s->mlp, s->chosen.loss, s->mean, s->sd, &cfg, max_batch, btyd, err);
}
