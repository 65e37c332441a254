/* cmd_ltv.c - clvsim train-ltv: the neural LTV predictor trained on a scenario's synthetic customers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { LTV_TRAIN_WORLD = 3000000, LTV_HOLDOUT_WORLD = 3000001, LTV_INFER_BATCH = 4096 };

/* the network's prediction of each row's label, and its score of buying at all */
static int predict(clv_mlp *m, int loss, const double *X, size_t n, double *value, double *buy, clv_error *err)
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
        }
    }
    free(o);
    return st;
}

static void print_metrics(FILE *fp, const char *name, const clv_value_metrics *v, const clv_class_metrics *c)
{
    fprintf(fp, "  %-22s %10.4f %10.4f %10.4f %10.4f %10.4f %10.4f\n", name, v->rmse, v->mae, v->gini,
            v->top_decile_lift, v->spearman, c->auc);
}

int cmd_train_ltv(const cli_cmd *cmd, int argc, char **argv)
{
    cli_opts o;
    clv_scenario scn;
    int rc = cli_parse_scenario(cmd, argc, argv, &o, &scn);
    if (rc >= 0)
        return rc;
    const clv_scn_ltv *L = &scn.ltv;
    if (L->dropout > 0) {
        cli_errorf(cmd->name, "ltv.dropout = %g: dropout is not built in clvsim %s; set ltv.dropout = 0", L->dropout,
                   CLV_VERSION);
        return EXIT_UNAVAILABLE;
    }
    if (L->real_fraction > 0) {
        cli_errorf(cmd->name, "ltv.real_fraction = %g: training on real transaction logs is not built in clvsim %s; "
                              "set ltv.real_fraction = 0 (synthetic customers only)", L->real_fraction, CLV_VERSION);
        return EXIT_UNAVAILABLE;
    }
    clv_error err;
    cli_progress bar;
    cli_progress_init(&bar, o.quiet);
    clv_progress prog = {cli_progress_cb, &bar};
    clv_ltv_data tr, ho;
    memset(&ho, 0, sizeof ho);
    const double t0 = cli_now();
    int st = clv_output_dir_prepare(scn.output.dir, o.force, &err);
    char path[CLV_IO_PATH_MAX];
    if (st == CLV_OK && (st = clv_path_join(path, sizeof path, scn.output.dir, "scenario.resolved.cfg", &err)) == CLV_OK)
        st = cli_write_resolved(&scn, path, &err);
    if (st == CLV_OK)
        st = clv_ltv_synthetic(&scn, LTV_TRAIN_WORLD, scn.run.threads, &tr, &err);
    if (st != CLV_OK)
        return cli_report(&err);
    if ((st = clv_ltv_synthetic(&scn, LTV_HOLDOUT_WORLD, scn.run.threads, &ho, &err)) != CLV_OK) {
        clv_ltv_data_free(&tr);
        return cli_report(&err);
    }
    /* the validation rows: the last of a keyed permutation of the training
     * world; standardisation from the training rows only */
    const size_t n = tr.n, K = CLV_LTV_FEATURES, n_val = (size_t)floor(L->validation_fraction * (double)n);
    const size_t n_tr = n - n_val;
    size_t *perm = malloc(n * sizeof *perm);
    double *Xt = malloc(n * K * sizeof *Xt), *yt = malloc(n * sizeof *yt), mean[CLV_LTV_FEATURES], sd[CLV_LTV_FEATURES];
    double *pv = malloc(ho.n * sizeof *pv), *pb = malloc(ho.n * sizeof *pb), *bb = malloc(ho.n * sizeof *bb);
    int *bought = malloc(ho.n * sizeof *bought);
    clv_mlp *m = NULL;
    clv_mlp_history h;
    memset(&h, 0, sizeof h);
    if (!perm || !Xt || !yt || !pv || !pb || !bb || !bought) {
        st = clv_error_set(&err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    clv_rng r;
    clv_rng_seed(&r, (clv_stream_key){(uint64_t)scn.scenario.seed, CLV_STREAM_SPLIT, LTV_TRAIN_WORLD, 0});
    for (size_t i = n; i > 1; i--) {
        const size_t j = (size_t)(clv_rng_next(&r) % i), t = perm[i - 1];
        perm[i - 1] = perm[j], perm[j] = t;
    }
    for (size_t i = 0; i < n; i++) {
        memcpy(Xt + i * K, tr.X + perm[i] * K, K * sizeof *Xt);
        yt[i] = tr.y[perm[i]];
    }
    clv_standardize_fit(Xt, n_tr, K, NULL, 0, mean, sd);
    clv_standardize_apply(Xt, n, K, mean, sd);
    clv_standardize_apply(ho.X, ho.n, K, mean, sd);
    clv_mlp_spec spec = {(int)K, {0}, L->n_hidden, L->loss == CLV_LOSS_ZILN ? 3 : 1, L->activation, CLV_MLP_F32,
                         (size_t)L->batch_size > LTV_INFER_BATCH ? (size_t)L->batch_size : LTV_INFER_BATCH};
    memcpy(spec.hidden, L->hidden, sizeof spec.hidden);
    if (!(m = clv_mlp_alloc(&spec, &err))) {
        st = err.code;
        goto done;
    }
    clv_mlp_init(m, (uint64_t)scn.scenario.seed);
    clv_mlp_train_opts to;
    clv_mlp_train_opts_default(&to);
    to.loss = L->loss, to.epochs = L->epochs, to.batch = (size_t)L->batch_size;
    to.adam.lr = L->learning_rate, to.adam.weight_decay = L->weight_decay, to.schedule = L->lr_schedule;
    to.patience = L->patience > 0 ? L->patience : L->epochs;
    to.seed = (uint64_t)scn.scenario.seed, to.progress = &prog;
    to.X_val = Xt + n_tr * K, to.y_val = yt + n_tr, to.n_val = n_val;
    st = clv_mlp_train(m, Xt, yt, n_tr, &to, &h, &err);
    cli_progress_done(&bar);
    if (st != CLV_OK)
        goto done;
    if ((st = predict(m, L->loss, ho.X, ho.n, pv, pb, &err)) != CLV_OK)
        goto done;
    clv_value_metrics vm[2];
    clv_class_metrics cm[2];
    for (size_t i = 0; i < ho.n; i++)
        bought[i] = ho.y[i] > 0, bb[i] = ho.baseline[i];
    if (clv_value_metrics_of(pv, ho.y, ho.n, &vm[0]) != 0 || clv_value_metrics_of(bb, ho.y, ho.n, &vm[1]) != 0 ||
        clv_class_metrics_of(pb, bought, ho.n, 0, &cm[0]) != 0 || clv_class_metrics_of(bb, bought, ho.n, 0, &cm[1]) != 0) {
        st = clv_error_set(&err, CLV_EINPUT, NULL, 0, "ltv.synthetic_customers",
                           "too few customers to evaluate the predictor (at least 10 are needed)");
        goto done;
    }
    /* files: the network, the history, the metrics, the calibration */
    if ((st = clv_path_join(path, sizeof path, scn.output.dir, "ltv.mlp", &err)) == CLV_OK)
        st = clv_mlp_save(m, L->loss, mean, sd, path, &err);
    clv_afile af;
    if (st == CLV_OK && (st = cli_open_out(scn.output.dir, "ltv_history.csv", scn.source, &af, &err)) == CLV_OK) {
        fprintf(af.fp, "epoch,train_loss,validation_loss\n");
        for (int e = 0; e < h.epochs; e++)
            fprintf(af.fp, "%d,%.8g,%.8g\n", e + 1, h.train_loss[e], h.val_loss ? h.val_loss[e] : NAN);
        st = cli_close_out(&af, st, &err);
    }
    static const char *const names[2] = {"mlp", "btyd"};
    if (st == CLV_OK && (st = cli_open_out(scn.output.dir, "ltv_metrics.csv", scn.source, &af, &err)) == CLV_OK) {
        fprintf(af.fp, "model,customers,rmse,mae,normalised_gini,top_decile_lift,spearman,auc_buy\n");
        for (int k = 0; k < 2; k++)
            fprintf(af.fp, "%s,%zu,%.8g,%.8g,%.8g,%.8g,%.8g,%.8g\n", names[k], ho.n, vm[k].rmse, vm[k].mae, vm[k].gini,
                    vm[k].top_decile_lift, vm[k].spearman, cm[k].auc);
        st = cli_close_out(&af, st, &err);
    }
    if (st == CLV_OK && (st = cli_open_out(scn.output.dir, "ltv_calibration.csv", scn.source, &af, &err)) == CLV_OK) {
        fprintf(af.fp, "policy,decile,predicted,realised\n"); /* the columns plots/calibration.gp reads */
        for (int k = 0; k < 2; k++)
            for (int d = 0; d < CLV_METRIC_DECILES; d++)
                fprintf(af.fp, "%s,%d,%.8g,%.8g\n", names[k], d + 1, vm[k].decile_pred[d], vm[k].decile_actual[d]);
        st = cli_close_out(&af, st, &err);
    }
    if (st == CLV_OK) {
        printf("LTV predictor: %s loss, %d hidden layer%s, trained on %zu synthetic customers (%zu for early stopping), "
               "%d epochs (best %d), in %.1f s\n",
               L->loss == CLV_LOSS_ZILN ? "ZILN" : "MSE", L->n_hidden, L->n_hidden == 1 ? "" : "s", n_tr, n_val,
               h.epochs, h.best_epoch, cli_now() - t0);
        printf("a synthetic holdout of %zu customers: margin over the next %d days (%s), predicted at the cut-off %s\n",
               ho.n, L->horizon_days, L->discount ? "discounted" : "undiscounted", scn.calendar.start);
        printf("  %-22s %10s %10s %10s %10s %10s %10s\n", "model", "RMSE", "MAE", "Gini", "lift top10", "Spearman",
               "AUC buy");
        print_metrics(stdout, "neural (this network)", &vm[0], &cm[0]);
        print_metrics(stdout, "BTYD (population's)", &vm[1], &cm[1]);
        printf("  decile calibration, mean predicted / realised (%s), lowest predictions first:\n", scn.economics.currency);
        for (int k = 0; k < 2; k++) {
            printf("  %-6s", names[k]);
            for (int d = 0; d < CLV_METRIC_DECILES; d++)
                printf(" %.2f/%.2f", vm[k].decile_pred[d], vm[k].decile_actual[d]);
            putchar('\n');
        }
    }
    if (st == CLV_OK && scn.output.plots) {
        char data[CLV_IO_PATH_MAX + 16], cur[40], title[200];
        snprintf(data, sizeof data, "datafile=%s/ltv_calibration.csv", scn.output.dir);
        snprintf(cur, sizeof cur, "currency=%s", scn.economics.currency);
        snprintf(title, sizeof title, "title_text=Calibration of the neural LTV predictor on a synthetic holdout, "
                                      "%d days", L->horizon_days);
        const char *vars[] = {data, cur, title, "policy=mlp"};
        st = cli_figure(scn.output.dir, "calibration.gp", "ltv_calibration", scn.output.plot_formats,
                        scn.output.n_plot_formats, vars, 4, &err);
        if (st == CLV_EUNSUPPORTED) {
            if (!o.quiet)
                fprintf(stderr, "clvsim train-ltv: gnuplot not found: skipped ltv_calibration.{png,svg}; install the "
                                "Debian package gnuplot-nox\n");
            st = CLV_OK;
        }
    }
done:
    free(perm), free(Xt), free(yt), free(pv), free(pb), free(bb), free(bought);
    clv_mlp_history_free(&h);
    clv_mlp_free(m);
    clv_ltv_data_free(&tr);
    clv_ltv_data_free(&ho);
    if (st != CLV_OK)
        return cli_report(&err);
    if (!o.quiet)
        fprintf(stderr, "clvsim train-ltv: wrote ltv.mlp, ltv_history.csv, ltv_metrics.csv, ltv_calibration.csv to %s\n",
                scn.output.dir);
    return EXIT_OK;
}
