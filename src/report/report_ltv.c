/* report_ltv.c - the files of `clvsim train-ltv`: ltv.mlp, its history, metrics, gain and calibration CSVs, figures. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "clvsim/ltv.h"
#include "clvsim/plot.h"
#include "clvsim/report.h"

static const char *const names[2] = {"mlp", "btyd"};

static void put_id(FILE *fp, const char *id);
static const char *const tasks[2] = {"will_buy", "high_value"};

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

static const char *const split_kinds[3] = {"unknown", "keyed", "file"};
static const char *const search_names[3] = {"none", "grid", "random"};

/* a configuration's hidden layers as 32x16 */
static void hidden_text(const clv_ltv_trial *t, char *buf, size_t size)
{
    size_t k = 0;
    buf[0] = 0;
    for (int j = 0; j < t->n_hidden && k < size; j++)
        k += (size_t)snprintf(buf + k, size - k, j ? "x%d" : "%d", t->hidden[j]);
}

/* the rows of one cross-validation in ltv_cv.csv: per fold and model, then their mean and sd */
static void cv_rows(clv_afile *afp, const clv_ltv_cv *cv)
{
    clv_afile af = *afp;
    for (int k = 0; k < cv->folds + 2; k++)
        for (int a = 0; a < 2; a++) {
            const double *m = k < cv->folds ? cv->m[k][a] : k == cv->folds ? cv->mean[a] : cv->sd[a];
            if (k < cv->folds)
                fprintf(af.fp, "%s,%d,%zu", names[a], k + 1, cv->n[k]);
            else
                fprintf(af.fp, "%s,%s,", names[a], k == cv->folds ? "mean" : "sd");
            for (int j = 0; j < CLV_LTV_CV_METRICS; j++)
                OPT(clv_ltv_cv_metric_name(j), j + 1 < CLV_LTV_CV_METRICS ? ",%.8g" : ",%.8g\n", m[j]);
        }
    afp->num = af.num;
}

/* ltv_split.csv, and with folds ltv_cv.csv, with a search ltv_search.csv */
static int write_splits(const clv_ltv_study *s, const clv_scenario *scn, const clv_outdir *od, clv_error *err)
{
    const clv_ltv_split_record *r = &s->split;
    clv_afile af;
    int st = clv_outdir_stage(od, "ltv_split.csv", scn->source, &af, err);
    if (st == CLV_OK) {
        fprintf(af.fp, "setting,value\nkind,%s\n", split_kinds[r->kind]);
        if (r->kind == CLV_LTV_SPLIT_KEYED)
            NUM("holdout_fraction", "holdout_fraction,%.10g\n", r->holdout_fraction);
        else {
            fprintf(af.fp, "file,");
            clv_put_csv_text(af.fp, scn->ltv.split_file);
            fprintf(af.fp, "\nhash,%016llx\n", (unsigned long long)r->hash);
        }
        fprintf(af.fp, "train,%.0f\nvalidation,%.0f\ntest,%.0f\n", r->n_train, r->n_val, r->n_test);
        if (r->kind == CLV_LTV_SPLIT_FILE)
            fprintf(af.fp, "unlisted,%.0f\nunknown,%.0f\n", r->unlisted, r->unknown);
        char h[96];
        hidden_text(&s->chosen, h, sizeof h);
        fprintf(af.fp, "folds,%d\nsearch,%s\ntrials,%d\nloss,%s\nhidden,%s\n", r->folds, search_names[r->search],
                r->trials, s->chosen.loss == CLV_LOSS_ZILN ? "ziln" : "mse", h);
        NUM("learning_rate", "learning_rate,%.10g\n", s->chosen.learning_rate);
        NUM("weight_decay", "weight_decay,%.10g\n", s->chosen.weight_decay);
        NUM("dropout", "dropout,%.10g\n", s->chosen.dropout);
        st = clv_afile_end(&af, st, err);
    }
    if (st == CLV_OK && s->cv.folds && (st = clv_outdir_stage(od, "ltv_cv.csv", scn->source, &af, err)) == CLV_OK) {
        fprintf(af.fp, "model,fold,customers");
        for (int j = 0; j < CLV_LTV_CV_METRICS; j++)
            fprintf(af.fp, ",%s", clv_ltv_cv_metric_name(j));
        fputc('\n', af.fp);
        cv_rows(&af, &s->cv);
        st = clv_afile_end(&af, st, err);
    }
    if (st == CLV_OK && s->n_trials &&
        (st = clv_outdir_stage(od, "ltv_search.csv", scn->source, &af, err)) == CLV_OK) {
        fprintf(af.fp, "trial,loss,hidden,learning_rate,weight_decay,dropout,folds");
        for (int a = 0; a < 2; a++)
            for (int j = 0; j < CLV_LTV_CV_METRICS; j++)
                fprintf(af.fp, ",%s_%s_mean,%s_%s_sd", names[a], clv_ltv_cv_metric_name(j), names[a],
                        clv_ltv_cv_metric_name(j));
        fprintf(af.fp, ",chosen\n");
        for (int t = 0; t < s->n_trials; t++) {
            const clv_ltv_trial *tr = &s->trials[t];
            const clv_ltv_cv *cv = &s->trial_cv[t];
            char h[96];
            hidden_text(tr, h, sizeof h);
            fprintf(af.fp, "%d,%s,%s", t + 1, tr->loss == CLV_LOSS_ZILN ? "ziln" : "mse", h);
            NUM("learning_rate", ",%.10g", tr->learning_rate);
            NUM("weight_decay", ",%.10g", tr->weight_decay);
            NUM("dropout", ",%.10g", tr->dropout);
            fprintf(af.fp, ",%d", cv->folds);
            for (int a = 0; a < 2; a++)
                for (int j = 0; j < CLV_LTV_CV_METRICS; j++) {
                    OPT(clv_ltv_cv_metric_name(j), ",%.8g", cv->mean[a][j]);
                    OPT(clv_ltv_cv_metric_name(j), ",%.8g", cv->sd[a][j]);
                }
            fprintf(af.fp, ",%d\n", t == s->best);
        }
        st = clv_afile_end(&af, st, err);
    }
    return st;
}

int clv_ltv_report_write(const clv_ltv_study *s, const clv_scenario *scn, const clv_outdir *od, clv_error *err)
{
    /* the network, the history, the metrics, the calibration */
    char path[CLV_IO_PATH_MAX];
    int st = clv_outdir_path(od, "ltv.mlp", path, sizeof path, err);
    if (st == CLV_OK)
        st = clv_ltv_study_save(s, scn, path, err);
    clv_afile af;
    if (st == CLV_OK && (st = clv_outdir_stage(od, "ltv_history.csv", scn->source, &af, err)) == CLV_OK) {
        fprintf(af.fp, "epoch,train_loss,validation_loss\n");
        for (int e = 0; e < s->history.epochs; e++) {
            fprintf(af.fp, "%d", e + 1);
            NUM("train_loss", ",%.8g", s->history.train_loss[e]);
            if (s->history.val_loss)
                NUM("validation_loss", ",%.8g\n", s->history.val_loss[e]);
            else
                clv_put_blank(af.fp, ",%.8g\n"); /* no validation rows */
        }
        st = clv_afile_end(&af, st, err);
    }
    if (st == CLV_OK && (st = clv_outdir_stage(od, "ltv_metrics.csv", scn->source, &af, err)) == CLV_OK) {
        fprintf(af.fp, "model,holdout,customers,rmse,mae,normalised_gini,top_decile_lift,spearman,auc_buy\n");
        for (int e = 0; e < s->n_ev; e++)
            for (int k = 0; k < 2; k++)
            {
                fprintf(af.fp, "%s,%s,%zu", names[k], s->ev[e].name, s->ev[e].n);
                NUM("rmse", ",%.8g", s->ev[e].v[k].rmse);
                NUM("mae", ",%.8g", s->ev[e].v[k].mae);
                OPT("normalised_gini", ",%.8g", s->ev[e].v[k].gini);
                OPT("top_decile_lift", ",%.8g", s->ev[e].v[k].top_decile_lift);
                OPT("spearman", ",%.8g", s->ev[e].v[k].spearman);
                OPT("auc_buy", ",%.8g\n", s->ev[e].c[k].auc);
            }
        st = clv_afile_end(&af, st, err);
    }
    /* each feature's standardisation, and whether it was constant on the training rows (of no use) */
    if (st == CLV_OK && (st = clv_outdir_stage(od, "ltv_features.csv", scn->source, &af, err)) == CLV_OK) {
        fprintf(af.fp, "feature,mean,sd,constant\n");
        for (int j = 0; j < CLV_LTV_FEATURES; j++) {
            fprintf(af.fp, "%s", clv_ltv_feature_name(j));
            NUM("mean", ",%.10g", s->mean[j]);
            NUM("sd", ",%.10g", s->sd[j]);
            fprintf(af.fp, ",%d\n", (int)(s->no_info >> j & 1));
        }
        st = clv_afile_end(&af, st, err);
    }
    if (st == CLV_OK &&
        (st = clv_outdir_stage(od, "ltv_classification.csv", scn->source, &af, err)) == CLV_OK) {
        fprintf(af.fp, "model,task,holdout,customers,threshold_value,tp,fp,tn,fn,accuracy,precision,recall,f1,auc\n");
        for (int e = 0; e < s->n_ev; e++)
            for (int k = 0; k < 2; k++) {
                const clv_class_metrics *c = &s->ev[e].lr[k];
                fprintf(af.fp, "logistic,%s,%s,%zu", tasks[k], s->ev[e].name, s->ev[e].n);
                NUM("threshold_value", ",%.8g", k ? s->high : 0.0);
                fprintf(af.fp, ",%zu,%zu,%zu,%zu", c->tp, c->fp, c->tn, c->fn);
                NUM("accuracy", ",%.6f", c->accuracy);
                OPT("precision", ",%.6f", c->precision);
                OPT("recall", ",%.6f", c->recall);
                OPT("f1", ",%.6f", c->f1);
                OPT("auc", ",%.6f\n", c->auc);
            }
        st = clv_afile_end(&af, st, err);
    }
    if (st == CLV_OK && (st = clv_outdir_stage(od, "ltv_gain.csv", scn->source, &af, err)) == CLV_OK) {
        fprintf(af.fp, "curve,share_of_customers,share_of_value\n");
        for (int e = 0; e < s->n_ev; e++)
            for (int k = 0; k < 2; k++)
                for (int q = 0; q < CLV_LTV_GAIN_POINTS; q++)
                {
                    fprintf(af.fp, "%s-%s", names[k], s->ev[e].name);
                    NUM("share_of_customers", ",%.4f", (double)q / (CLV_LTV_GAIN_POINTS - 1));
                    OPT("share_of_value", ",%.6f\n", s->ev[e].gain[k][q]);
                }
        st = clv_afile_end(&af, st, err);
    }
    if (st == CLV_OK && (st = clv_outdir_stage(od, "ltv_calibration.csv", scn->source, &af, err)) == CLV_OK) {
        /* the columns plots/ltv_calibration.gp reads; the interval is the
         * realised mean +- 1.96 standard errors */
        fprintf(af.fp, "policy,decile,predicted,realised,realised_se,lower_95,upper_95\n");
        for (int e = 0; e < s->n_ev; e++)
            for (int k = 0; k < 2; k++)
                for (int d = 0; d < CLV_METRIC_DECILES; d++)
                {
                    const clv_value_metrics *v = &s->ev[e].v[k];
                    fprintf(af.fp, "%s-%s,%d", names[k], s->ev[e].name, d + 1);
                    NUM("predicted", ",%.8g", v->decile_pred[d]);
                    NUM("realised", ",%.8g", v->decile_actual[d]);
                    NUM("realised_se", ",%.8g", v->decile_se[d]);
                    NUM("lower_95", ",%.8g", v->decile_actual[d] - 1.96 * v->decile_se[d]);
                    NUM("upper_95", ",%.8g\n", v->decile_actual[d] + 1.96 * v->decile_se[d]);
                }
        st = clv_afile_end(&af, st, err);
    }
    if (st == CLV_OK)
        st = write_splits(s, scn, od, err);
    return st;
}

/* the split, the cross-validation and the search */
static void print_splits(FILE *fp, clv_numcheck *chk, const clv_ltv_study *s, const clv_scenario *scn)
{
    const clv_ltv_split_record *r = &s->split;
    if (r->kind == CLV_LTV_SPLIT_FILE)
        fprintf(fp, "split file %s: %.0f train, %.0f validation and %.0f test customers; %.0f customer%s of the "
                "cohort not listed (left out), %.0f id%s of the file not in the cohort\n", scn->ltv.split_file,
                r->n_train, r->n_val, r->n_test, r->unlisted, r->unlisted == 1 ? "" : "s", r->unknown,
                r->unknown == 1 ? "" : "s");
    if (s->n_trials) {
        char h[96];
        hidden_text(&s->chosen, h, sizeof h);
        fprintf(fp, "%s search of %d trials, each scored by the mean normalised Gini of %d-fold cross-validation "
                "(ltv_search.csv); chosen trial %d: %s loss, hidden %s, learning rate %g, weight decay %g, dropout "
                "%g\n", search_names[scn->ltv.search], s->n_trials, s->cv.folds, s->best + 1,
                s->chosen.loss == CLV_LOSS_ZILN ? "ZILN" : "MSE", h, s->chosen.learning_rate,
                s->chosen.weight_decay, s->chosen.dropout);
    }
    if (!s->cv.folds)
        return;
    fprintf(fp, "%d-fold cross-validation on the %zu training customers (ltv_cv.csv), mean +- sd over the folds:\n"
            "  %-22s %19s %19s %19s %19s %19s\n", s->cv.folds, s->n, "model", "Gini", "Spearman", "RMSE", "MAE",
            "lift top10");
    for (int a = 0; a < 2; a++) {
        fprintf(fp, "  %-22s", a ? "BTYD" : "neural");
        for (int j = 0; j < CLV_LTV_CV_METRICS; j++) {
            const int k = j < 2 ? j : j == 4 ? CLV_LTV_CV_LIFT : j == 2 ? CLV_LTV_CV_RMSE : CLV_LTV_CV_MAE;
            clv_put_opt(fp, chk, clv_ltv_cv_metric_name(k), " %9.4f", s->cv.mean[a][k]);
            clv_put_opt(fp, chk, clv_ltv_cv_metric_name(k), " +- %-6.4f", s->cv.sd[a][k]);
        }
        fputc('\n', fp);
    }
}

void clv_ltv_report_print(FILE *fp, clv_numcheck *chk, const clv_ltv_study *s, const clv_scenario *scn,
                          double seconds)
{
    fprintf(fp, "LTV predictor: %s loss, %d hidden layer%s, trained on %zu customers (%zu real, %zu synthetic; %zu of "
           "them for early stopping), %d epochs (best %d), in %.1f s\n",
           s->chosen.loss == CLV_LOSS_ZILN ? "ZILN" : "MSE", s->chosen.n_hidden, s->chosen.n_hidden == 1 ? "" : "s",
           s->n, s->n_real, s->n_syn, s->n_val, s->history.epochs, s->history.best_epoch, seconds);
    /* the features the network could not learn from (ltv_features.csv) */
    if (s->no_info) {
        fprintf(fp, "features constant on the training rows, of no use to the network:");
        for (int j = 0, k = 0; j < CLV_LTV_FEATURES; j++)
            if (s->no_info >> j & 1)
                fprintf(fp, "%s %s", k++ ? "," : "", clv_ltv_feature_name(j));
        fputc('\n', fp);
    }
    print_splits(fp, chk, s, scn);
    for (int e = 0; e < s->n_ev; e++) {
        fprintf(fp, "%s holdout of %zu customers: margin over the next %d days (%s), predicted at the cut-off %s\n",
               s->ev[e].name, s->ev[e].n, scn->ltv.horizon_days, scn->ltv.discount ? "discounted" : "undiscounted",
               e == 0 && (scn->ltv.real_fraction > 0) ? scn->data.calibration_end : scn->calendar.start);
        fprintf(fp, "  %-22s %10s %10s %10s %10s %10s %10s\n", "model", "RMSE", "MAE", "Gini", "lift top10",
               "Spearman", "AUC buy");
                    print_metrics(fp, chk, "neural (this network)", &s->ev[e].v[0], &s->ev[e].c[0]);
        print_metrics(fp, chk, (scn->ltv.real_fraction > 0) && e == 0 ? "BTYD (fitted to the log)" : "BTYD (population's)",
                      &s->ev[e].v[1], &s->ev[e].c[1]);
        fprintf(fp, "  decile calibration, mean predicted / realised +- its standard error (%s), lowest predictions "
                "first:\n", scn->economics.currency);
        for (int k = 0; k < 2; k++) {
            fprintf(fp, "  %-6s", names[k]);
            for (int d = 0; d < CLV_METRIC_DECILES; d++)
                fprintf(fp, " %.2f/%.2f+-%.2f", s->ev[e].v[k].decile_pred[d], s->ev[e].v[k].decile_actual[d],
                        s->ev[e].v[k].decile_se[d]);
            fputc('\n', fp);
        }
        /* the top decile against the 95% interval of its realised mean */
        const clv_value_metrics *v = &s->ev[e].v[0];
        const int t = CLV_METRIC_DECILES - 1;
        const double lo = v->decile_actual[t] - 1.96 * v->decile_se[t], hi = v->decile_actual[t] + 1.96 * v->decile_se[t];
        fprintf(fp, "  top decile: the network predicts %.2f, realised %.2f (95%% interval %.2f to %.2f): ratio %.3f, "
                "%s\n", v->decile_pred[t], v->decile_actual[t], lo, hi, v->decile_pred[t] / v->decile_actual[t],
                v->decile_pred[t] >= lo && v->decile_pred[t] <= hi ? "within it" : "outside it");
        if (s->sigma_max > 0)
            fprintf(fp, "  value calibration: the ZILN sigma bounded by %.4f (the sd of the log of the positive "
                    "training labels), ", s->sigma_max);
        else
            fprintf(fp, "  value calibration: ");
        fprintf(fp, "a map of %d knots fitted on the %zu validation rows, values cut at %.2f %s (%d x the largest "
                "training label)\n", s->calib.knots, s->n_val, s->calib.cap, scn->economics.currency,
                CLV_LTV_ABOVE_LABELS);
        fprintf(fp, "  logistic regression at P = 0.5 (high value: a label of at least %.2f, the training labels' 90th "
               "percentile):\n  %-12s %6s %6s %6s %6s %9s %9s %9s %9s %9s\n", s->high, "task", "TP", "FP", "TN",
               "FN", "accuracy", "precision", "recall", "F1", "AUC");
        for (int k = 0; k < 2; k++) {
            const clv_class_metrics *c = &s->ev[e].lr[k];
            fprintf(fp, "  %-12s %6zu %6zu %6zu %6zu", tasks[k], c->tp, c->fp, c->tn, c->fn);
            clv_put_num(fp, chk, "accuracy", " %9.4f", c->accuracy);
            clv_put_opt(fp, chk, "precision", " %9.4f", c->precision);
            clv_put_opt(fp, chk, "recall", " %9.4f", c->recall);
            clv_put_opt(fp, chk, "F1", " %9.4f", c->f1);
            clv_put_opt(fp, chk, "AUC", " %9.4f\n", c->auc);
        }
    }
}

int clv_ltv_report_figures(const clv_ltv_study *s, const clv_scenario *scn, const clv_outdir *od,
                           const clv_progress *progress, clv_error *err)
{
    if (!scn->output.plots)
        return CLV_OK;
    int st = CLV_OK;
    char data[CLV_IO_PATH_MAX + 96], cur[40], title[200], pol[40];
    snprintf(data, sizeof data, "datafile=%s/ltv_calibration.csv", od->stage);
    snprintf(cur, sizeof cur, "currency=%s", scn->economics.currency);
    snprintf(title, sizeof title, "title_text=Calibration of the neural LTV predictor on the %s holdout, %d days",
             s->ev[0].name, scn->ltv.horizon_days);
    snprintf(pol, sizeof pol, "policy=mlp-%s", s->ev[0].name);
    const char *vars[] = {data, cur, title, pol};
    st = clv_report_figure(od->stage, "ltv_calibration.gp", "ltv_calibration", scn->output.plot_formats,
                           scn->output.n_plot_formats, vars, 4, progress, err);
    char curves[80];
    snprintf(data, sizeof data, "datafile=%s/ltv_gain.csv", od->stage);
    snprintf(title, sizeof title, "title_text=Gain curves of the value ranking on the %s holdout, %d days",
             s->ev[0].name, scn->ltv.horizon_days);
    snprintf(curves, sizeof curves, "curves=mlp-%s btyd-%s", s->ev[0].name, s->ev[0].name);
    const char *gvars[] = {data, title, curves};
    if (st == CLV_OK)
        st = clv_report_figure(od->stage, "ltv_gain.gp", "ltv_gain",
                               scn->output.plot_formats, scn->output.n_plot_formats, gvars, 3,
                               progress, err);
    snprintf(data, sizeof data, "datafile=%s/ltv_history.csv", od->stage);
    snprintf(title, sizeof title, "title_text=Training and validation loss of the neural LTV predictor (%s)",
             s->chosen.loss == CLV_LOSS_ZILN ? "ZILN" : "MSE");
    const char *lvars[] = {data, title};
    if (st == CLV_OK)
        st = clv_report_figure(od->stage, "ltv_loss.gp", "ltv_loss",
                               scn->output.plot_formats, scn->output.n_plot_formats, lvars, 2,
                               progress, err);
    return st;
}

/* CLV_ECANCELLED ("stopped") when the caller asked to stop */
static int stop_poll(const clv_progress *p, clv_error *err)
{
    if (clv_progress_poll(p) == CLV_OK)
        return CLV_OK;
    return clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "stopped");
}

int clv_ltv_predictions_write(const clv_outdir *od, const char *log, const clv_rfm_table *t, const double *value,
                              const double *p_buy, const double *btyd, const clv_progress *progress, clv_error *err)
{
    clv_afile af;
    int st = clv_outdir_stage(od, "predictions.csv", log, &af, err);
    if (st == CLV_OK) {
        fprintf(af.fp, "id,predicted_value,p_buy,btyd_value\n");
        for (size_t i = 0; i < t->n && (st = stop_poll(progress, err)) == CLV_OK; i++) {
            put_id(af.fp, t->id[i]);
            NUM("predicted_value", ",%.6f", value[i]);
            OPT("p_buy", ",%.6f", p_buy[i]); /* empty: the network has no buy probability */
            NUM("btyd_value", ",%.6f\n", btyd[i]);
        }
        st = clv_afile_end(&af, st, err);
    }
    return st;
}

/* ---- explanations ---- */

/* the order of the features by decreasing Gini drop (NaN last), ties by feature */
static void importance_order(const clv_importance *imp, int *order)
{
    for (int j = 0; j < CLV_LTV_FEATURES; j++)
        order[j] = j;
    for (int a = 1; a < CLV_LTV_FEATURES; a++) /* insertion sort: stable */
        for (int b = a; b > 0; b--) {
            const double x = imp[order[b]].gini_drop, y = imp[order[b - 1]].gini_drop;
            if (!(x > y || (isnan(y) && !isnan(x))))
                break;
            const int t = order[b];
            order[b] = order[b - 1], order[b - 1] = t;
        }
}

int clv_ltv_importance_write(const clv_outdir *od, const clv_scenario *scn, const char *holdout,
                             const clv_importance *imp, int repeats, double base_mse, double base_gini,
                             const clv_progress *progress, clv_error *err)
{
    int order[CLV_LTV_FEATURES];
    importance_order(imp, order);
    clv_afile af;
    int st = clv_outdir_stage(od, "ltv_importance.csv", scn->source, &af, err);
    if (st == CLV_OK) {
        fprintf(af.fp, "feature,holdout,repeats,mse_increase,mse_sd,mse_lower_95,mse_upper_95,gini_drop,gini_sd,"
                       "gini_lower_95,gini_upper_95,base_mse,base_gini\n");
        for (int r = 0; r < CLV_LTV_FEATURES; r++) {
            const clv_importance *v = &imp[order[r]];
            fprintf(af.fp, "%s,%s,%d", clv_ltv_feature_name(order[r]), holdout, repeats);
            NUM("mse_increase", ",%.8g", v->mse_increase);
            NUM("mse_sd", ",%.8g", v->mse_sd);
            NUM("mse_lower_95", ",%.8g", v->mse_lo);
            NUM("mse_upper_95", ",%.8g", v->mse_hi);
            OPT("gini_drop", ",%.8g", v->gini_drop);
            OPT("gini_sd", ",%.8g", v->gini_sd);
            OPT("gini_lower_95", ",%.8g", v->gini_lo);
            OPT("gini_upper_95", ",%.8g", v->gini_hi);
            NUM("base_mse", ",%.8g", base_mse);
            OPT("base_gini", ",%.8g\n", base_gini);
        }
        st = clv_afile_end(&af, st, err);
    }
    if (st != CLV_OK || !scn->output.plots)
        return st;
    char data[CLV_IO_PATH_MAX + 96], title[200];
    snprintf(data, sizeof data, "datafile=%s/ltv_importance.csv", od->stage);
    snprintf(title, sizeof title, "title_text=Permutation importance on the %s holdout (%d repeats)", holdout,
             repeats);
    const char *vars[] = {data, title, "ylabel_text=drop of the normalised Gini when the feature is permuted",
                          "ycol=8", "locol=10", "hicol=11"};
    return clv_report_figure(od->stage, "ltv_bars.gp", "ltv_importance", scn->output.plot_formats,
                             scn->output.n_plot_formats, vars, 6, progress, err);
}

void clv_ltv_importance_print(FILE *fp, const char *holdout, const clv_importance *imp, int repeats,
                              double base_mse, double base_gini, int top)
{
    int order[CLV_LTV_FEATURES];
    importance_order(imp, order);
    fprintf(fp, "permutation importance on the %s holdout (%d repeats; the intact rows' MSE %.4g, Gini %.4f), "
                "the top %d by the drop of the normalised Gini, 95%% t intervals:\n", holdout, repeats, base_mse,
            base_gini, top);
    fprintf(fp, "  %-24s %24s %28s\n", "feature", "Gini drop", "MSE increase");
    for (int r = 0; r < top && r < CLV_LTV_FEATURES; r++) {
        const clv_importance *v = &imp[order[r]];
        fprintf(fp, "  %-24s %8.4f [%6.4f, %6.4f] %10.4g [%7.4g, %7.4g]\n", clv_ltv_feature_name(order[r]),
                v->gini_drop, v->gini_lo, v->gini_hi, v->mse_increase, v->mse_lo, v->mse_hi);
    }
}

static void put_id(FILE *fp, const char *id)
{
    if (strpbrk(id, ",\"\n")) { /* RFC 4180: quote, double the quotes */
        fputc('"', fp);
        for (const char *c = id; *c; c++)
            fputs(*c == '"' ? "\"\"" : (char[2]){*c, 0}, fp);
        fputc('"', fp);
    } else {
        fputs(id, fp);
    }
}

int clv_ltv_explanations_write(const clv_outdir *od, const char *log, const clv_rfm_table *t, const size_t *idx,
                               size_t m, const double *pred, const double *base, const double *phi, int plots,
                               const int *formats, int n_formats, const clv_progress *progress, clv_error *err)
{
    clv_afile af;
    int st = clv_outdir_stage(od, "explanations.csv", log, &af, err);
    if (st == CLV_OK) {
        fprintf(af.fp, "id,predicted_value,baseline_value");
        for (int g = 0; g < CLV_LTV_GROUPS; g++)
            fprintf(af.fp, ",%s", clv_ltv_group_name(g));
        fputc('\n', af.fp);
        for (size_t i = 0; i < m && (st = stop_poll(progress, err)) == CLV_OK; i++) {
            put_id(af.fp, t->id[idx[i]]);
            NUM("predicted_value", ",%.8g", pred[i]);
            NUM("baseline_value", ",%.8g", base[i]);
            for (int g = 0; g < CLV_LTV_GROUPS; g++)
                NUM(clv_ltv_group_name(g), g + 1 < CLV_LTV_GROUPS ? ",%.8g" : ",%.8g\n",
                    phi[i * CLV_LTV_GROUPS + (size_t)g]);
        }
        st = clv_afile_end(&af, st, err);
    }
    if (st == CLV_OK && (st = clv_outdir_stage(od, "explanations_summary.csv", log, &af, err)) == CLV_OK) {
        fprintf(af.fp, "group,mean_abs_attribution,mean_attribution,customers\n");
        for (int g = 0; g < CLV_LTV_GROUPS; g++) {
            double a = 0, s = 0;
            for (size_t i = 0; i < m; i++)
                a += fabs(phi[i * CLV_LTV_GROUPS + (size_t)g]), s += phi[i * CLV_LTV_GROUPS + (size_t)g];
            fprintf(af.fp, "%s", clv_ltv_group_name(g));
            NUM("mean_abs_attribution", ",%.8g", m ? a / (double)m : 0.0);
            NUM("mean_attribution", ",%.8g", m ? s / (double)m : 0.0);
            fprintf(af.fp, ",%zu\n", m);
        }
        st = clv_afile_end(&af, st, err);
    }
    if (st != CLV_OK || !plots)
        return st;
    char data[CLV_IO_PATH_MAX + 96], title[200];
    snprintf(data, sizeof data, "datafile=%s/explanations_summary.csv", od->stage);
    snprintf(title, sizeof title, "title_text=Mean absolute attribution per feature group, %zu customers", m);
    const char *vars[] = {data, title, "ylabel_text=mean |Shapley value| (the log's currency)", "ycol=2", "locol=0",
                          "hicol=0"};
    return clv_report_figure(od->stage, "ltv_bars.gp", "explanations", formats, n_formats, vars, 6, progress, err);
}
