/* cmd_ltv.c - clvsim train-ltv and predict-ltv: the neural LTV predictor (clvsim/ltv.h) trained and applied. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { LTV_INFER_BATCH = 4096 }; /* predict-ltv's batch of inference */

enum { LTV_IMPORTANCE_REPEATS = 5, LTV_IMPORTANCE_TOP = 10 };
enum { LTV_EXPLAIN_BACKGROUND = 32 }; /* predict-ltv --explain's background customers */

/* the permutation importance of the features on the first holdout:
 * ltv_importance.csv, its figure, and the top features printed */
static int importance(const clv_ltv_study *s, const clv_scenario *scn, const clv_outdir *od, int repeats,
                      const clv_progress *prog, int quiet, clv_error *err)
{
    const clv_ltv_evaluation *e = &s->ev[0];
    clv_ltv_model *lm = clv_ltv_study_model(s, scn, LTV_INFER_BATCH, NULL, err);
    if (!lm)
        return err->code;
    clv_importance imp[CLV_LTV_FEATURES];
    double bm = 0, bg = 0;
    const clv_explain_model em = clv_ltv_explain_model(lm);
    int st = clv_permutation_importance(&em, e->X, e->y, e->n, NULL, CLV_LTV_FEATURES, repeats,
                                        (uint64_t)scn->scenario.seed, imp, &bm, &bg, err);
    clv_ltv_model_free(lm);
    if (st == CLV_OK)
        st = clv_ltv_importance_write(od, scn, e->name, imp, repeats, bm, bg, prog, err);
    if (st == CLV_OK || st == CLV_EUNSUPPORTED) {
        clv_ltv_importance_print(stdout, e->name, imp, repeats, bm, bg, LTV_IMPORTANCE_TOP);
        if (st == CLV_EUNSUPPORTED && !quiet)
            fprintf(stderr, "clvsim train-ltv: gnuplot not found: skipped ltv_importance (.png, .svg)\n");
        st = CLV_OK;
    }
    return st;
}

int cmd_train_ltv(const cli_cmd *cmd, int argc, char **argv)
{
    cli_opts o;
    clv_scenario scn;
    int rc = cli_parse_scenario(cmd, argc, argv, &o, &scn);
    if (rc >= 0)
        return rc;
    int repeats = LTV_IMPORTANCE_REPEATS;
    if (cli_opt_int(cmd->name, &o, "importance", 0, 1000, &repeats))
        return EXIT_USAGE;
    if (repeats == 1) {
        cli_errorf(cmd->name, "--importance: expected 0 (none) or 2 to 1000 repeats (an interval needs two), got 1");
        return EXIT_USAGE;
    }
    /* --split, --folds, --search and --trials: ltv.split_file (the path as given, from the current directory),
     * ltv.folds, ltv.search and ltv.trials, recorded in the resolved scenario */
    static const char *const searches[] = {"none", "grid", "random", NULL};
    if (cli_opt_int(cmd->name, &o, "folds", 0, CLV_LTV_MAX_FOLDS, &scn.ltv.folds) ||
        cli_opt_enum(cmd->name, &o, "search", searches, &scn.ltv.search) ||
        cli_opt_int(cmd->name, &o, "trials", 1, 1000, &scn.ltv.trials))
        return EXIT_USAGE;
    if (cli_opt(&o, "split")) {
        const char *split = cli_opt(&o, "split");
        if (!*split || strlen(split) >= sizeof scn.ltv.split_file) {
            cli_errorf(cmd->name, "--split: expected the path of a CSV customer_id,split (shorter than %zu bytes)",
                       sizeof scn.ltv.split_file);
            return EXIT_USAGE;
        }
        snprintf(scn.ltv.split_file, sizeof scn.ltv.split_file, "%s", split);
    }
    clv_error err;
    cli_progress bar;
    cli_progress_init(&bar, o.quiet);
    clv_progress prog = cli_progress_of(&bar);
    clv_ltv_study s;
    memset(&s, 0, sizeof s);
    const double t0 = cli_now();
    clv_outdir od = {.fd = -1};
    int st = clv_outdir_open(&od, scn.output.dir, o.force, &err);
    if (st == CLV_OK)
        st = clv_report_resolved(&scn, &od, &err);
    if (st == CLV_OK)
        st = clv_ltv_study_run(&scn, &prog, &s, &err);
    cli_progress_done(&bar);
    if (s.split.kind == CLV_LTV_SPLIT_FILE && s.split.unknown > 0)
        fprintf(stderr, "clvsim train-ltv: warning: %.0f customer id%s of the split file %s %s not in the cohort of "
                        "data.transactions at %s (compared as the log writes them); %s ignored\n",
                s.split.unknown, s.split.unknown == 1 ? "" : "s", scn.ltv.split_file,
                s.split.unknown == 1 ? "is" : "are", scn.data.calibration_end, s.split.unknown == 1 ? "it is" : "they are");
    if (s.have_real) {
        cli_warn_log_dates(cmd->name, scn.data.transactions, &s.real_stats);
        /* a fit at a boundary can make a BTYD feature constant (P(alive) 1 for all when a -> 0) */
        for (int k = 0; k < 2; k++)
            if (s.fits[k].warning[0])
                fprintf(stderr, "clvsim train-ltv: warning: %s fit to data.transactions: %s\n",
                        k ? "Gamma-Gamma" : "population", s.fits[k].warning);
    }
    /* files: the network, the history, the metrics, the calibration */
    if (st == CLV_OK)
        st = clv_ltv_report_write(&s, &scn, &od, &err);
    if (st == CLV_OK) {
        clv_numcheck out = {0}; /* the numbers of the files above, which passed */
        clv_ltv_report_print(stdout, &out, &s, &scn, cli_now() - t0);
    }
    /* doubtful values: far above every label the network learned from */
    for (int e = 0; st == CLV_OK && e < s.n_ev; e++)
        if (s.ev[e].above)
            fprintf(stderr, "clvsim train-ltv: warning: the network predicts more than %d x the largest training "
                            "label (%.2f %s) for %zu of the %zu customers of the %s holdout; their values are cut to "
                            "that bound (%.2f)%s\n",
                    CLV_LTV_ABOVE_LABELS, s.label_max, scn.economics.currency, s.ev[e].above, s.ev[e].n,
                    s.ev[e].name, s.calib.cap, scn.ltv.loss == CLV_LOSS_ZILN ? ": its ZILN mean p exp(mu + "
                    "sigma^2/2) is unreliable for them (try ltv.loss = \"mse\")" : "");
    if (st == CLV_OK && repeats > 0)
        st = importance(&s, &scn, &od, repeats, &prog, o.quiet, &err);
    if (st == CLV_OK)
        st = clv_ltv_report_figures(&s, &scn, &od, &prog, &err);
    if (st == CLV_EUNSUPPORTED) {
        if (!o.quiet)
            fprintf(stderr, "clvsim train-ltv: gnuplot not found: skipped ltv_calibration, ltv_gain and ltv_loss "
                            "(.png, .svg); install the Debian package gnuplot-nox\n");
        st = CLV_OK;
    }
    st = clv_report_end(&od, st, CLV_REPORT_RESOLVED, NULL, 0, &err);
    clv_ltv_study_free(&s);
    if (st != CLV_OK)
        return cli_report(&err);
    if (!o.quiet)
        fprintf(stderr, "clvsim train-ltv: wrote ltv.mlp, ltv_history.csv, ltv_metrics.csv, ltv_features.csv, "
                        "ltv_classification.csv, ltv_gain.csv, ltv_calibration.csv, ltv_split.csv%s%s%s and figures "
                        "to %s\n",
                scn.ltv.folds ? ", ltv_cv.csv" : "", scn.ltv.search ? ", ltv_search.csv" : "",
                repeats > 0 ? ", ltv_importance.csv" : "", scn.output.dir);
    return EXIT_OK;
}

/* by decreasing value, ties by customer */
static const double *sort_value;
static int by_value_desc(const void *a, const void *b)
{
    const size_t i = *(const size_t *)a, j = *(const size_t *)b;
    if (sort_value[i] != sort_value[j])
        return sort_value[i] > sort_value[j] ? -1 : 1;
    return (i > j) - (i < j);
}

/* the attributions of the (at most) n customers of t with the highest
 * values: explanations.csv, explanations_summary.csv and the figure */
static int explain_top(clv_ltv_model *lm, const clv_rfm_table *t, const double *value, size_t n,
                       const clv_outdir *od, const char *log, const clv_progress *prog, int quiet, size_t *done,
                       clv_error *err)
{
    const size_t m = n < t->n ? n : t->n;
    size_t *idx = malloc((t->n ? t->n : 1) * sizeof *idx);
    double *pred = malloc((m ? m : 1) * sizeof *pred), *base = malloc((m ? m : 1) * sizeof *base);
    double *phi = malloc((m ? m : 1) * CLV_LTV_GROUPS * sizeof *phi);
    int st = idx && pred && base && phi ? CLV_OK : clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    if (st == CLV_OK) {
        for (size_t i = 0; i < t->n; i++)
            idx[i] = i;
        sort_value = value;
        qsort(idx, t->n, sizeof *idx, by_value_desc);
        st = clv_ltv_explain_table(lm, t, idx, m, LTV_EXPLAIN_BACKGROUND, 0, pred, base, phi, err);
    }
    if (st == CLV_ENUMERIC)
        snprintf(err->file, sizeof err->file, "%s", log);
    const int formats[2] = {CLV_FORMAT_PNG, CLV_FORMAT_SVG};
    if (st == CLV_OK)
        st = clv_ltv_explanations_write(od, log, t, idx, m, pred, base, phi, 1, formats, 2, prog, err);
    if (st == CLV_EUNSUPPORTED) {
        if (!quiet)
            fprintf(stderr, "clvsim predict-ltv: gnuplot not found: skipped the figure explanations (.png, .svg); "
                            "install the Debian package gnuplot-nox\n");
        st = CLV_OK;
    }
    *done = st == CLV_OK ? m : 0;
    free(idx), free(pred), free(base), free(phi);
    return st;
}

/* a reader record's text (lines data.KEY = VALUE) as "KEY VALUE; ..." */
static void reader_summary(const char *text, char *out, size_t n)
{
    size_t len = 0;
    out[0] = '\0';
    for (const char *p = text; *p && len + 1 < n;) {
        const char *end = strchr(p, '\n'), *eq = strstr(p, " = ");
        const size_t line = end ? (size_t)(end - p) : strlen(p);
        const char *key = strncmp(p, "data.", 5) == 0 ? p + 5 : p;
        if (eq && eq < p + line) {
            const char *v = eq + 3, *ve = p + line;
            if (*v == '"' && ve > v + 1 && ve[-1] == '"')
                v++, ve--;
            if (ve > v) /* an empty string (no date pattern): not shown */
                len += (size_t)snprintf(out + len, n - len, "%s%.*s %.*s", len ? "; " : "", (int)(eq - key), key,
                                    (int)(ve - v), v);
        }
        if (len >= n)
            len = n - 1;
        p += line + (end != NULL);
    }
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
    int unit, threads = 0;
    clv_txlog_opts ro;
    if (!cli_opt(&o, "cutoff")) {
        cli_errorf(cmd->name, "--cutoff DATE is required: the last day of the history the predictions start from");
        return EXIT_USAGE;
    }
    int explain = 0;
    if (cli_opt_date(cmd->name, &o, "cutoff", &cutoff) || cli_opt_threads(cmd->name, &o, &threads) ||
        cli_opt_int(cmd->name, &o, "explain", 1, 1000000, &explain))
        return EXIT_USAGE;
    const char *model_path = o.args[0], *log = o.args[1];
    clv_error err;
    clv_ltv_model *lm = clv_ltv_model_load(model_path, LTV_INFER_BATCH, NULL, &err);
    if (!lm)
        return cli_report(&err);
    const clv_ltv_config cfg = *clv_ltv_model_config(lm);
    /* the reader of the network's training, under the options given here */
    clv_txlog_opts trained;
    clv_ltv_config_reader(&cfg, &trained, &unit);
    if (cli_opt_enum(cmd->name, &o, "unit", units, &unit) || cli_reader_options(cmd->name, &o, &trained, &ro)) {
        clv_ltv_model_free(lm);
        return EXIT_USAGE;
    }
    if (cfg.reader_recorded && !o.quiet) {
        char text[CLV_MLP_TEXT_MAX], shown[CLV_MLP_TEXT_MAX] = "";
        if (clv_ltv_config_text(&cfg, text, sizeof text, &err) == CLV_OK)
            reader_summary(text, shown, sizeof shown);
        fprintf(stderr, "clvsim predict-ltv: reading %s as the network's training read its log (%s), with the "
                        "options given here over those\n", log, shown);
    }
    char outdir[CLV_IO_PATH_MAX];
    if (o.output)
        snprintf(outdir, sizeof outdir, "%s", o.output);
    else {
        const char *base = strrchr(log, '/');
        snprintf(outdir, sizeof outdir, "out/predict-%s", base ? base + 1 : log);
    }
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
    if (st == CLV_OK)
        st = clv_ltv_predictions_write(&od, log, t, value, p_buy, btyd, &prog, &err);
    size_t n_explained = 0;
    if (st == CLV_OK && explain > 0)
        st = explain_top(lm, t, value, (size_t)explain, &od, log, &prog, o.quiet, &n_explained, &err);
    st = clv_report_end(&od, st, NULL, NULL, 0, &err);
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
    if (st == CLV_OK && dg->above && cfg.calibrated)
        fprintf(stderr, "clvsim predict-ltv: warning: the network predicts more than %d x the largest label it was "
                        "trained on (%.2f) for %zu of the %zu customers; their values are cut to that bound (%.2f)%s\n",
                CLV_LTV_ABOVE_LABELS, cfg.label_max, dg->above, dg->predicted, cfg.calib.cap,
                clv_ltv_model_loss(lm) == CLV_LOSS_ZILN ? ": its ZILN mean p exp(mu + sigma^2/2) is unreliable for "
                                                          "them" : "");
    else if (st == CLV_OK && dg->above)
        fprintf(stderr, "clvsim predict-ltv: warning: the network predicts more than %d x the largest label it was "
                        "trained on (%.2f) for %zu of the %zu customers (up to %.4g)%s\n",
                CLV_LTV_ABOVE_LABELS, cfg.label_max, dg->above, dg->predicted, dg->value_max,
                clv_ltv_model_loss(lm) == CLV_LOSS_ZILN ? ": its ZILN mean p exp(mu + sigma^2/2) is unreliable for "
                                                          "them (a network file without a calibration)" : "");
    if (st == CLV_OK) {
        char d[16];
        double sum = 0, sum_b = 0;
        for (size_t i = 0; i < t->n; i++)
            sum += value[i], sum_b += btyd[i];
        printf("%zu customers of %s as of %s: predicted value over the next %d days (%s, margin rate %g) %.2f in "
               "all, %.4f per customer; the BTYD model fitted to the log predicts %.4f per customer\n",
               t->n, log, clv_date_format(cutoff, d), cfg.horizon_days, cfg.discount ? "discounted" : "undiscounted",
               cfg.margin_rate, sum, sum / (double)t->n, sum_b / (double)t->n);
        cli_warn_log_dates(cmd->name, log, &t->stats);
        if (n_explained)
            printf("attributions of the %zu customers with the highest values to %d feature groups (exact Shapley "
                   "values against %d background customers of the log): %s/explanations.csv\n", n_explained,
                   CLV_LTV_GROUPS, LTV_EXPLAIN_BACKGROUND, outdir);
        if (!o.quiet)
            fprintf(stderr, "clvsim predict-ltv: wrote %s/predictions.csv%s\n", outdir,
                    n_explained ? ", explanations.csv, explanations_summary.csv and the figure explanations" : "");
    }
    clv_rfm_free(t);
    free(value), free(p_buy), free(btyd);
    clv_ltv_model_free(lm);
    return st == CLV_OK ? EXIT_OK : cli_report(&err);
}
