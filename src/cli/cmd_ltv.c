/* cmd_ltv.c - clvsim train-ltv: the neural LTV predictor trained on a scenario's synthetic customers. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort_double.h>
#include <gsl/gsl_statistics_double.h>

#include "cli.h"

/* the worlds of the LTV namespace (clvsim/streams.h) */
enum { LTV_TRAIN_WORLD = CLV_WORLD_LTV_TRAIN, LTV_HOLDOUT_WORLD = CLV_WORLD_LTV_HOLDOUT };
enum { LTV_INFER_BATCH = 4096, LTV_GAIN_POINTS = 101 };

/* the network's prediction of each row's label, and its score of buying at
 * all; a value that is not finite is an error (the rows of the holdout
 * `name`) */
static int predict(clv_mlp *m, int loss, const double *X, size_t n, double *value, double *buy, const char *name,
                   clv_error *err)
{
    const int out = loss == CLV_LOSS_ZILN ? 3 : 1;
    double *o = malloc(LTV_INFER_BATCH * (size_t)out * sizeof *o);
    if (!o)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    int st = CLV_OK;
    for (size_t i = 0; i < n && st == CLV_OK; i += LTV_INFER_BATCH) {
        const size_t b = n - i < LTV_INFER_BATCH ? n - i : LTV_INFER_BATCH;
        st = clv_mlp_forward(m, X + i * CLV_LTV_FEATURES, b, o, err);
        for (size_t k = 0; st == CLV_OK && k < b; k++) {
            if (loss == CLV_LOSS_ZILN) {
                value[i + k] = clv_ziln_mean(o[3 * k], o[3 * k + 1], o[3 * k + 2]);
                buy[i + k] = o[3 * k]; /* the logit ranks as P(buy) does */
            } else {
                value[i + k] = buy[i + k] = o[k];
            }
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

typedef struct evaluation {
    const char *name;             /* "real" or "synthetic" */
    size_t n;
    clv_value_metrics v[2];       /* the network, BTYD */
    clv_class_metrics c[2];
    clv_class_metrics lr[2];      /* logistic regression: will buy, high value */
    double gain[2][LTV_GAIN_POINTS]; /* the gain curves of the network and BTYD; NaN without value */
    size_t above;                 /* the network's values above CLV_LTV_ABOVE_LABELS x the largest training label */
    double value_max;             /* the network's largest value */
} evaluation;

/* the logistic-regression baselines: "will buy" (a label above 0) and
 * "high value" (a label at least the training labels' 90th percentile) */
typedef struct baselines {
    clv_mlp *lr[2];
    double high;                  /* the high-value threshold */
    double label_max;             /* the largest training label */
} baselines;

/* the network and the baseline on the rows idx[0..n) of d (standardised in place) */
static int evaluate_on(clv_mlp *m, int loss, const baselines *bl, clv_ltv_data *d, const size_t *idx, size_t n,
                       const double *mean, const double *sd, evaluation *e, clv_error *err)
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
        st = predict(m, loss, X, n, pv, pb, e->name, err);
    }
    e->above = 0, e->value_max = -INFINITY;
    for (size_t i = 0; st == CLV_OK && i < n; i++) {
        bought[i] = y[i] > 0, bb[i] = d->baseline[idx[i]];
        e->above += bl->label_max > 0 && pv[i] > CLV_LTV_ABOVE_LABELS * bl->label_max;
        e->value_max = pv[i] > e->value_max ? pv[i] : e->value_max;
    }
    e->n = n;
    if (st == CLV_OK && n < 10)
        st = clv_error_set(err, CLV_EINPUT, NULL, 0, "ltv",
                           "too few %s customers to evaluate the predictor (at least 10 are needed)", e->name);
    /* with 10 rows or more the metrics fail only for want of memory */
    if (st == CLV_OK &&
        (clv_value_metrics_of(pv, y, n, &e->v[0]) != 0 || clv_value_metrics_of(bb, y, n, &e->v[1]) != 0 ||
         clv_class_metrics_of(pb, bought, n, 0, &e->c[0]) != 0 || clv_class_metrics_of(bb, bought, n, 0, &e->c[1]) != 0))
        st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    /* no gain curve (NaN) when the rows hold no value; else it fails only
     * for want of memory */
    double total = 0;
    for (size_t i = 0; st == CLV_OK && i < n; i++)
        total += y[i];
    for (int k = 0; st == CLV_OK && k < 2; k++) {
        if (clv_gain_curve(k ? bb : pv, y, n, LTV_GAIN_POINTS, e->gain[k]) == 0)
            continue;
        if (total > 0)
            st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
        for (int q = 0; q < LTV_GAIN_POINTS; q++)
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
        if (st == CLV_OK && clv_class_metrics_of(pv, bought, n, 0, &e->lr[k]) != 0)
            st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    free(X), free(y), free(pv), free(pb), free(bb), free(bought);
    return st;
}

/* Every number of the files goes through clv_put_num (clvsim/io.h), and
 * clv_put_opt for the metrics that are undefined, NaN, on some holdouts
 * (Gini, lift, Spearman, AUC, precision, recall, F1; a validation loss
 * without validation rows; a gain curve without value): empty fields. */
#define NUM(col, fmt, v) clv_put_num(af.fp, &af.num, col, fmt, v)
#define OPT(col, fmt, v) clv_put_opt(af.fp, &af.num, col, fmt, v)

static void print_metrics(FILE *fp, clv_numcheck *chk, const char *name, const clv_value_metrics *v,
                          const clv_class_metrics *c)
{
    fprintf(fp, "  %-22s", name);
    clv_put_num(fp, chk, "RMSE", " %10.4f", v->rmse);
    clv_put_num(fp, chk, "MAE", " %10.4f", v->mae);
    clv_put_opt(fp, chk, "Gini", " %10.4f", v->gini);
    clv_put_opt(fp, chk, "lift top10", " %10.4f", v->top_decile_lift);
    clv_put_opt(fp, chk, "Spearman", " %10.4f", v->spearman);
    clv_put_opt(fp, chk, "AUC buy", " %10.4f\n", c->auc);
}

int cmd_train_ltv(const cli_cmd *cmd, int argc, char **argv)
{
    cli_opts o;
    clv_scenario scn;
    int rc = cli_parse_scenario(cmd, argc, argv, &o, &scn);
    if (rc >= 0)
        return rc;
    const clv_scn_ltv *L = &scn.ltv;
    const double f = L->real_fraction;
    const int use_real = f > 0, use_syn = f < 1;
    const uint64_t seed = (uint64_t)scn.scenario.seed;
    clv_error err;
    cli_progress bar;
    cli_progress_init(&bar, o.quiet);
    clv_progress prog = cli_progress_of(&bar);
    clv_ltv_data real, tr, ho;
    memset(&real, 0, sizeof real), memset(&tr, 0, sizeof tr), memset(&ho, 0, sizeof ho);
    size_t *rp = NULL, *sp = NULL, *all = NULL, *hidx = NULL;
    double *Xt = NULL, *yt = NULL, mean[CLV_LTV_FEATURES], sd[CLV_LTV_FEATURES];
    clv_mlp *m = NULL;
    baselines bl = {{NULL, NULL}, 0, 0};
    clv_fit_result fits[2];
    memset(fits, 0, sizeof fits);
    clv_mlp_history h;
    memset(&h, 0, sizeof h);
    evaluation ev[2];
    int n_ev = 0;
    const double t0 = cli_now();
    char path[CLV_IO_PATH_MAX];
    clv_outdir od = {.fd = -1};
    int st = clv_outdir_open(&od, scn.output.dir, o.force, &err);
    if (st == CLV_OK)
        st = cli_write_resolved(&scn, &od, &err);
    if (st == CLV_OK && use_real) {
        clv_txlog_stats rstats;
        st = clv_ltv_real(&scn, scn.run.threads, &prog, &real, fits, &rstats, &err);
        cli_progress_done(&bar);
        if (st == CLV_OK)
            cli_warn_far_dates(cmd->name, scn.data.transactions, &rstats);
        /* a fit at a boundary can make a BTYD feature constant (P(alive) 1 for all when a -> 0) */
        for (int k = 0; st == CLV_OK && k < 2; k++)
            if (fits[k].warning[0])
                fprintf(stderr, "clvsim train-ltv: warning: %s fit to data.transactions: %s\n",
                        k ? "Gamma-Gamma" : "population", fits[k].warning);
    }
    if (st == CLV_OK && use_syn &&
        (st = clv_ltv_synthetic(&scn, LTV_TRAIN_WORLD, scn.run.threads, &prog, &tr, &err)) == CLV_OK)
        st = clv_ltv_synthetic(&scn, LTV_HOLDOUT_WORLD, scn.run.threads, &prog, &ho, &err);
    if (st != CLV_OK)
        goto done;
    /* the real customers: a fifth is the real holdout, the rest trains */
    const size_t n_rtest = real.n / 5, n_rpool = real.n - n_rtest;
    size_t n_s = 0;
    if (use_syn)
        n_s = use_real ? (size_t)fmin((double)tr.n, round((double)n_rpool * (1 - f) / f)) : tr.n;
    const size_t n = n_rpool + n_s, K = CLV_LTV_FEATURES;
    const size_t n_val = (size_t)floor(L->validation_fraction * (double)n), n_tr = n - n_val;
    rp = permutation(real.n, seed, CLV_SPLIT_LTV_REAL);
    sp = permutation(tr.n, seed, LTV_TRAIN_WORLD);
    all = permutation(n, seed, CLV_SPLIT_LTV_ALL);
    hidx = permutation(ho.n, seed, LTV_HOLDOUT_WORLD);
    Xt = malloc((n ? n : 1) * K * sizeof *Xt), yt = malloc((n ? n : 1) * sizeof *yt);
    double *Xc = malloc((n ? n : 1) * K * sizeof *Xc), *yc = malloc((n ? n : 1) * sizeof *yc);
    if (!rp || !sp || !all || !hidx || !Xt || !yt || !Xc || !yc) {
        free(Xc), free(yc);
        st = clv_error_set(&err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
        goto done;
    }
    /* the training rows: the real pool and the synthetic share, then mixed
     * in a keyed order whose last validation_fraction validates */
    gather(&real, rp, n_rpool, Xc, yc);
    gather(&tr, sp, n_s, Xc + n_rpool * K, yc + n_rpool);
    for (size_t i = 0; i < n; i++) {
        memcpy(Xt + i * K, Xc + all[i] * K, K * sizeof *Xt);
        yt[i] = yc[all[i]];
    }
    free(Xc), free(yc);
    if (n_tr < (size_t)L->batch_size) {
        st = clv_error_set(&err, CLV_EINPUT, NULL, 0, "ltv.batch_size",
                           "%zu training customers, fewer than a batch of %d; lower ltv.batch_size or add customers",
                           n_tr, L->batch_size);
        goto done;
    }
    for (size_t i = 0; i < n_tr; i++)
        bl.label_max = yt[i] > bl.label_max ? yt[i] : bl.label_max;
    clv_standardize_fit(Xt, n_tr, K, NULL, 0, mean, sd);
    clv_standardize_apply(Xt, n, K, mean, sd);
    clv_mlp_spec spec = {(int)K, {0}, L->n_hidden, L->loss == CLV_LOSS_ZILN ? 3 : 1, L->activation, CLV_MLP_F32,
                         (size_t)L->batch_size > LTV_INFER_BATCH ? (size_t)L->batch_size : LTV_INFER_BATCH};
    memcpy(spec.hidden, L->hidden, sizeof spec.hidden);
    if (!(m = clv_mlp_alloc(&spec, &err))) {
        st = err.code;
        goto done;
    }
    clv_mlp_init(m, seed);
    if ((st = clv_mlp_set_dropout(m, L->dropout, seed, &err)) != CLV_OK)
        goto done;
    clv_mlp_train_opts to;
    clv_mlp_train_opts_default(&to);
    to.loss = L->loss, to.epochs = L->epochs, to.batch = (size_t)L->batch_size;
    to.adam.lr = L->learning_rate, to.adam.weight_decay = L->weight_decay, to.schedule = L->lr_schedule;
    to.patience = L->patience > 0 ? L->patience : L->epochs;
    to.seed = seed, to.progress = &prog;
    to.X_val = Xt + n_tr * K, to.y_val = yt + n_tr, to.n_val = n_val;
    st = clv_mlp_train(m, Xt, yt, n_tr, &to, &h, &err);
    cli_progress_done(&bar);
    /* the logistic-regression baselines on the same rows */
    double *yb = malloc(n * sizeof *yb), *sorted = malloc((n_tr ? n_tr : 1) * sizeof *sorted);
    if (st == CLV_OK && (!yb || !sorted))
        st = clv_error_set(&err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    if (st == CLV_OK) {
        memcpy(sorted, yt, n_tr * sizeof *sorted);
        gsl_sort(sorted, 1, n_tr);
        bl.high = gsl_stats_quantile_from_sorted_data(sorted, 1, n_tr, 0.9);
        if (!(bl.high > 0))
            bl.high = DBL_MIN; /* at least a purchase */
    }
    for (int k = 0; st == CLV_OK && k < 2; k++) {
        clv_mlp_spec ls = {(int)K, {0}, 0, 1, CLV_ACT_TANH, CLV_MLP_F32, spec.max_batch};
        if (!(bl.lr[k] = clv_mlp_alloc(&ls, &err))) {
            st = err.code;
            break;
        }
        clv_mlp_init(bl.lr[k], seed + 1 + (uint64_t)k);
        for (size_t i = 0; i < n; i++)
            yb[i] = k ? yt[i] >= bl.high : yt[i] > 0;
        clv_mlp_train_opts lo = to;
        lo.loss = CLV_LOSS_BCE, lo.y_val = yb + n_tr, lo.progress = NULL;
        clv_mlp_history lh;
        st = clv_mlp_train(bl.lr[k], Xt, yb, n_tr, &lo, &lh, &err);
        clv_mlp_history_free(&lh);
    }
    free(yb), free(sorted);
    if (st == CLV_OK && use_real) {
        ev[n_ev].name = "real";
        st = evaluate_on(m, L->loss, &bl, &real, rp + n_rpool, n_rtest, mean, sd, &ev[n_ev++], &err);
    }
    if (st == CLV_OK && use_syn) {
        ev[n_ev].name = "synthetic";
        st = evaluate_on(m, L->loss, &bl, &ho, hidx, ho.n, mean, sd, &ev[n_ev++], &err);
    }
    /* files: the network, the history, the metrics, the calibration */
    if (st == CLV_OK && (st = clv_outdir_path(&od, "ltv.mlp", path, sizeof path, &err)) == CLV_OK)
    {
        clv_ltv_config cfg;
        double meta[CLV_MLP_META];
        clv_ltv_config_of(&scn, &cfg);
        cfg.label_max = bl.label_max;
        cfg.n_train = (double)n_tr;
        clv_ltv_config_pack(&cfg, meta);
        st = clv_mlp_save(m, L->loss, mean, sd, meta, path, &err);
    }
    clv_afile af;
    if (st == CLV_OK && (st = cli_open_out(&od, "ltv_history.csv", scn.source, &af, &err)) == CLV_OK) {
        fprintf(af.fp, "epoch,train_loss,validation_loss\n");
        for (int e = 0; e < h.epochs; e++) {
            fprintf(af.fp, "%d", e + 1);
            NUM("train_loss", ",%.8g", h.train_loss[e]);
            if (h.val_loss)
                NUM("validation_loss", ",%.8g\n", h.val_loss[e]);
            else
                clv_put_blank(af.fp, ",%.8g\n"); /* no validation rows */
        }
        st = cli_close_out(&af, st, &err);
    }
    static const char *const names[2] = {"mlp", "btyd"};
    if (st == CLV_OK && (st = cli_open_out(&od, "ltv_metrics.csv", scn.source, &af, &err)) == CLV_OK) {
        fprintf(af.fp, "model,holdout,customers,rmse,mae,normalised_gini,top_decile_lift,spearman,auc_buy\n");
        for (int e = 0; e < n_ev; e++)
            for (int k = 0; k < 2; k++)
            {
                fprintf(af.fp, "%s,%s,%zu", names[k], ev[e].name, ev[e].n);
                NUM("rmse", ",%.8g", ev[e].v[k].rmse);
                NUM("mae", ",%.8g", ev[e].v[k].mae);
                OPT("normalised_gini", ",%.8g", ev[e].v[k].gini);
                OPT("top_decile_lift", ",%.8g", ev[e].v[k].top_decile_lift);
                OPT("spearman", ",%.8g", ev[e].v[k].spearman);
                OPT("auc_buy", ",%.8g\n", ev[e].c[k].auc);
            }
        st = cli_close_out(&af, st, &err);
    }
    static const char *const tasks[2] = {"will_buy", "high_value"};
    if (st == CLV_OK &&
        (st = cli_open_out(&od, "ltv_classification.csv", scn.source, &af, &err)) == CLV_OK) {
        fprintf(af.fp, "model,task,holdout,customers,threshold_value,tp,fp,tn,fn,accuracy,precision,recall,f1,auc\n");
        for (int e = 0; e < n_ev; e++)
            for (int k = 0; k < 2; k++) {
                const clv_class_metrics *c = &ev[e].lr[k];
                fprintf(af.fp, "logistic,%s,%s,%zu", tasks[k], ev[e].name, ev[e].n);
                NUM("threshold_value", ",%.8g", k ? bl.high : 0.0);
                fprintf(af.fp, ",%zu,%zu,%zu,%zu", c->tp, c->fp, c->tn, c->fn);
                NUM("accuracy", ",%.6f", c->accuracy);
                OPT("precision", ",%.6f", c->precision);
                OPT("recall", ",%.6f", c->recall);
                OPT("f1", ",%.6f", c->f1);
                OPT("auc", ",%.6f\n", c->auc);
            }
        st = cli_close_out(&af, st, &err);
    }
    if (st == CLV_OK && (st = cli_open_out(&od, "ltv_gain.csv", scn.source, &af, &err)) == CLV_OK) {
        fprintf(af.fp, "curve,share_of_customers,share_of_value\n");
        for (int e = 0; e < n_ev; e++)
            for (int k = 0; k < 2; k++)
                for (int q = 0; q < LTV_GAIN_POINTS; q++)
                {
                    fprintf(af.fp, "%s-%s", names[k], ev[e].name);
                    NUM("share_of_customers", ",%.4f", (double)q / (LTV_GAIN_POINTS - 1));
                    OPT("share_of_value", ",%.6f\n", ev[e].gain[k][q]);
                }
        st = cli_close_out(&af, st, &err);
    }
    if (st == CLV_OK && (st = cli_open_out(&od, "ltv_calibration.csv", scn.source, &af, &err)) == CLV_OK) {
        fprintf(af.fp, "policy,decile,predicted,realised\n"); /* the columns plots/calibration.gp reads */
        for (int e = 0; e < n_ev; e++)
            for (int k = 0; k < 2; k++)
                for (int d = 0; d < CLV_METRIC_DECILES; d++)
                {
                    fprintf(af.fp, "%s-%s,%d", names[k], ev[e].name, d + 1);
                    NUM("predicted", ",%.8g", ev[e].v[k].decile_pred[d]);
                    NUM("realised", ",%.8g\n", ev[e].v[k].decile_actual[d]);
                }
        st = cli_close_out(&af, st, &err);
    }
    if (st == CLV_OK) {
        printf("LTV predictor: %s loss, %d hidden layer%s, trained on %zu customers (%zu real, %zu synthetic; %zu of "
               "them for early stopping), %d epochs (best %d), in %.1f s\n",
               L->loss == CLV_LOSS_ZILN ? "ZILN" : "MSE", L->n_hidden, L->n_hidden == 1 ? "" : "s", n, n_rpool, n_s,
               n_val, h.epochs, h.best_epoch, cli_now() - t0);
        for (int e = 0; e < n_ev; e++) {
            printf("%s holdout of %zu customers: margin over the next %d days (%s), predicted at the cut-off %s\n",
                   ev[e].name, ev[e].n, L->horizon_days, L->discount ? "discounted" : "undiscounted",
                   e == 0 && use_real ? scn.data.calibration_end : scn.calendar.start);
            printf("  %-22s %10s %10s %10s %10s %10s %10s\n", "model", "RMSE", "MAE", "Gini", "lift top10",
                   "Spearman", "AUC buy");
            clv_numcheck out = {0}; /* the numbers of the files above, which passed */
            print_metrics(stdout, &out, "neural (this network)", &ev[e].v[0], &ev[e].c[0]);
            print_metrics(stdout, &out, use_real && e == 0 ? "BTYD (fitted to the log)" : "BTYD (population's)",
                          &ev[e].v[1], &ev[e].c[1]);
            printf("  decile calibration, mean predicted / realised (%s), lowest predictions first:\n",
                   scn.economics.currency);
            for (int k = 0; k < 2; k++) {
                printf("  %-6s", names[k]);
                for (int d = 0; d < CLV_METRIC_DECILES; d++)
                    printf(" %.2f/%.2f", ev[e].v[k].decile_pred[d], ev[e].v[k].decile_actual[d]);
                putchar('\n');
            }
            printf("  logistic regression at P = 0.5 (high value: a label of at least %.2f, the training labels' 90th "
                   "percentile):\n  %-12s %6s %6s %6s %6s %9s %9s %9s %9s %9s\n", bl.high, "task", "TP", "FP", "TN",
                   "FN", "accuracy", "precision", "recall", "F1", "AUC");
            for (int k = 0; k < 2; k++) {
                const clv_class_metrics *c = &ev[e].lr[k];
                printf("  %-12s %6zu %6zu %6zu %6zu", tasks[k], c->tp, c->fp, c->tn, c->fn);
                clv_put_num(stdout, &out, "accuracy", " %9.4f", c->accuracy);
                clv_put_opt(stdout, &out, "precision", " %9.4f", c->precision);
                clv_put_opt(stdout, &out, "recall", " %9.4f", c->recall);
                clv_put_opt(stdout, &out, "F1", " %9.4f", c->f1);
                clv_put_opt(stdout, &out, "AUC", " %9.4f\n", c->auc);
            }
        }
    }
    /* doubtful values: far above every label the network learned from */
    for (int e = 0; st == CLV_OK && e < n_ev; e++)
        if (ev[e].above)
            fprintf(stderr, "clvsim train-ltv: warning: the network predicts more than %d x the largest training "
                            "label (%.2f %s) for %zu of the %zu customers of the %s holdout (up to %.4g)%s; they "
                            "dominate its RMSE, MAE and top-decile calibration on that holdout\n",
                    CLV_LTV_ABOVE_LABELS, bl.label_max, scn.economics.currency, ev[e].above, ev[e].n, ev[e].name,
                    ev[e].value_max, L->loss == CLV_LOSS_ZILN ? ": its ZILN mean p exp(mu + sigma^2/2) is unreliable "
                    "for them (try ltv.loss = \"mse\")" : "");
    if (st == CLV_OK && scn.output.plots) {
        char data[CLV_IO_PATH_MAX + 96], cur[40], title[200], pol[40];
        snprintf(data, sizeof data, "datafile=%s/ltv_calibration.csv", od.stage);
        snprintf(cur, sizeof cur, "currency=%s", scn.economics.currency);
        snprintf(title, sizeof title, "title_text=Calibration of the neural LTV predictor on the %s holdout, %d days",
                 ev[0].name, L->horizon_days);
        snprintf(pol, sizeof pol, "policy=mlp-%s", ev[0].name);
        const char *vars[] = {data, cur, title, pol};
        st = cli_figure(od.stage, "calibration.gp", "ltv_calibration", scn.output.plot_formats,
                        scn.output.n_plot_formats, vars, 4, &err);
        char curves[80];
        snprintf(data, sizeof data, "datafile=%s/ltv_gain.csv", od.stage);
        snprintf(title, sizeof title, "title_text=Gain curves of the value ranking on the %s holdout, %d days",
                 ev[0].name, L->horizon_days);
        snprintf(curves, sizeof curves, "curves=mlp-%s btyd-%s", ev[0].name, ev[0].name);
        const char *gvars[] = {data, title, curves};
        if (st == CLV_OK)
            st = cli_figure(od.stage, "ltv_gain.gp", "ltv_gain", scn.output.plot_formats,
                            scn.output.n_plot_formats, gvars, 3, &err);
        snprintf(data, sizeof data, "datafile=%s/ltv_history.csv", od.stage);
        snprintf(title, sizeof title, "title_text=Training and validation loss of the neural LTV predictor (%s)",
                 L->loss == CLV_LOSS_ZILN ? "ZILN" : "MSE");
        const char *lvars[] = {data, title};
        if (st == CLV_OK)
            st = cli_figure(od.stage, "ltv_loss.gp", "ltv_loss", scn.output.plot_formats,
                            scn.output.n_plot_formats, lvars, 2, &err);
        if (st == CLV_EUNSUPPORTED) {
            if (!o.quiet)
                fprintf(stderr, "clvsim train-ltv: gnuplot not found: skipped ltv_calibration, ltv_gain and ltv_loss "
                                "(.png, .svg); install the Debian package gnuplot-nox\n");
            st = CLV_OK;
        }
    }
done:
    st = cli_out_end(&od, st, CLI_RESOLVED, NULL, 0, &err);
    free(rp), free(sp), free(all), free(hidx), free(Xt), free(yt);
    clv_mlp_history_free(&h);
    clv_mlp_free(m);
    clv_mlp_free(bl.lr[0]), clv_mlp_free(bl.lr[1]);
    clv_ltv_data_free(&real);
    clv_ltv_data_free(&tr);
    clv_ltv_data_free(&ho);
    if (st != CLV_OK)
        return cli_report(&err);
    if (!o.quiet)
        fprintf(stderr, "clvsim train-ltv: wrote ltv.mlp, ltv_history.csv, ltv_metrics.csv, ltv_classification.csv, "
                        "ltv_gain.csv, ltv_calibration.csv and figures to %s\n",
                scn.output.dir);
    return EXIT_OK;
}

/* clvsim predict-ltv MODEL TRANSACTIONS --cutoff DATE: per-customer predictions as CSV */
int cmd_predict_ltv(const cli_cmd *cmd, int argc, char **argv)
{
    cli_opts o;
    int rc = cli_parse(cmd, argc, argv, &o);
    if (rc >= 0)
        return rc;
    if (o.n_args != 2) {
        cli_errorf(cmd->name, "expected MODEL and TRANSACTIONS, got %d argument%s; try 'clvsim predict-ltv --help'",
                   o.n_args, o.n_args == 1 ? "" : "s");
        return EXIT_USAGE;
    }
    if (o.n_sets || o.scale || o.seed) {
        cli_errorf(cmd->name, "--set, --scale and --seed apply to scenarios; predict-ltv reads its settings from "
                              "the model file and its own options");
        return EXIT_USAGE;
    }
    static const char *const units[] = {"day", "week", NULL};
    int32_t cutoff = 0;
    int unit = CLV_UNIT_WEEK, threads = 0;
    clv_txlog_opts ro;
    if (!cli_opt(&o, "cutoff")) {
        cli_errorf(cmd->name, "--cutoff DATE is required: the last day of the history the predictions start from");
        return EXIT_USAGE;
    }
    if (cli_opt_date(cmd->name, &o, "cutoff", &cutoff) || cli_opt_enum(cmd->name, &o, "unit", units, &unit) ||
        cli_reader_options(cmd->name, &o, &ro))
        return EXIT_USAGE;
    if (o.threads) {
        char *end;
        long t = strtol(o.threads, &end, 10);
        if (*end || end == o.threads || t < 0 || t > CLV_THREADS_MAX) {
            cli_errorf(cmd->name, "--threads: expected an integer in [0, %d], got '%s'", CLV_THREADS_MAX, o.threads);
            return EXIT_USAGE;
        }
        threads = (int)t;
    }
    const char *model_path = o.args[0], *log = o.args[1];
    char outdir[CLV_IO_PATH_MAX];
    if (o.output)
        snprintf(outdir, sizeof outdir, "%s", o.output);
    else {
        const char *base = strrchr(log, '/');
        snprintf(outdir, sizeof outdir, "out/predict-%s", base ? base + 1 : log);
    }
    clv_error err;
    clv_ltv_model *lm = clv_ltv_model_load(model_path, LTV_INFER_BATCH, NULL, &err);
    if (!lm)
        return cli_report(&err);
    const clv_ltv_config cfg = *clv_ltv_model_config(lm);
    int st = CLV_OK;
    cli_progress bar;
    cli_progress_init(&bar, o.quiet);
    clv_progress prog = cli_progress_of(&bar);
    clv_rfm_table *t = NULL;
    double *value = NULL, *p_buy = NULL, *btyd = NULL;
    if (st == CLV_OK)
        st = clv_ltv_predict_log(log, &ro, cutoff, unit, lm, threads, &prog, &t, &value, &p_buy, &btyd, &err);
    cli_progress_done(&bar);
    clv_outdir od = {.fd = -1};
    if (st == CLV_OK)
        st = clv_outdir_open(&od, outdir, o.force, &err);
    clv_afile af;
    if (st == CLV_OK && (st = cli_open_out(&od, "predictions.csv", log, &af, &err)) == CLV_OK) {
        fprintf(af.fp, "id,predicted_value,p_buy,btyd_value\n");
        for (size_t i = 0; i < t->n && (st = cli_stop(&err)) == CLV_OK; i++) {
            const char *id = t->id[i];
            if (strpbrk(id, ",\"\n")) { /* RFC 4180: quote, double the quotes */
                fputc('"', af.fp);
                for (const char *c = id; *c; c++)
                    fputs(*c == '"' ? "\"\"" : (char[2]){*c, 0}, af.fp);
                fputc('"', af.fp);
            } else {
                fputs(id, af.fp);
            }
            NUM("predicted_value", ",%.6f", value[i]);
            OPT("p_buy", ",%.6f", p_buy[i]); /* empty: the network has no buy probability */
            NUM("btyd_value", ",%.6f\n", btyd[i]);
        }
        st = cli_close_out(&af, st, &err);
    }
    st = cli_out_end(&od, st, NULL, NULL, 0, &err);
    /* doubtful values: customers unlike the training rows, values far above their labels */
    const clv_ltv_diag *dg = clv_ltv_model_diag(lm);
    if (st == CLV_OK && dg->far) {
        int most = 0;
        for (int j = 1; j < CLV_LTV_FEATURES; j++)
            most = dg->far_by_feature[j] > dg->far_by_feature[most] ? j : most;
        fprintf(stderr, "clvsim predict-ltv: warning: %zu of the %zu customers have a feature outside the range of "
                        "the network's %.0f training rows (most often %s, %zu customers; up to %.4g sds from their "
                        "mean, where no training row is beyond %.4g): the network extrapolates for them\n",
                dg->far, dg->predicted, cfg.n_train, clv_ltv_feature_name(most), dg->far_by_feature[most],
                dg->far_max, dg->far_sd);
    }
    if (st == CLV_OK && dg->above)
        fprintf(stderr, "clvsim predict-ltv: warning: the network predicts more than %d x the largest label it was "
                        "trained on (%.2f) for %zu of the %zu customers (up to %.4g)%s\n",
                CLV_LTV_ABOVE_LABELS, cfg.label_max, dg->above, dg->predicted, dg->value_max,
                clv_ltv_model_loss(lm) == CLV_LOSS_ZILN ? ": its ZILN mean p exp(mu + sigma^2/2) is unreliable for "
                                                          "them" : "");
    if (st == CLV_OK) {
        char d[16];
        double sum = 0, sum_b = 0;
        for (size_t i = 0; i < t->n; i++)
            sum += value[i], sum_b += btyd[i];
        printf("%zu customers of %s as of %s: predicted value over the next %d days (%s, margin rate %g) %.2f in "
               "all, %.4f per customer; the BTYD model fitted to the log predicts %.4f per customer\n",
               t->n, log, clv_date_format(cutoff, d), cfg.horizon_days, cfg.discount ? "discounted" : "undiscounted",
               cfg.margin_rate, sum, sum / (double)t->n, sum_b / (double)t->n);
        cli_warn_far_dates(cmd->name, log, &t->stats);
        if (!o.quiet)
            fprintf(stderr, "clvsim predict-ltv: wrote %s/predictions.csv\n", outdir);
    }
    clv_rfm_free(t);
    free(value), free(p_buy), free(btyd);
    clv_ltv_model_free(lm);
    return st == CLV_OK ? EXIT_OK : cli_report(&err);
}
