/* test_pipelines.c - the library's pipelines (src/study) against the calls they are made of. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clvsim/clvsim.h"
#include "harness.h"

static int stop_now(void *ctx, const char *phase, double done, double total)
{
    (void)phase, (void)done, (void)total;
    return ++*(int *)ctx >= 3; /* the third report asks to stop */
}

/* clv_fit_study_run on the CDNOW 1/10 sample: the same fits, reports and
 * metrics as the calls it chains, and CLV_ECANCELLED when its progress says so */
TEST(test_study_fit)
{
    char *log = harness_shared_data("CDNOW_sample.txt");
    if (!log)
        return;
    clv_fit_study_opts o;
    memset(&o, 0, sizeof o);
    o.log_path = log;
    clv_txlog_opts_default(&o.reader);
    o.reader.customer_column = 2, o.reader.date_column = 3, o.reader.quantity_column = 4, o.reader.amount_column = 5;
    CHECK_INT(clv_date_parse("1997-09-30", -1, &o.calibration_end), 0);
    CHECK_INT(clv_date_parse("1998-06-30", -1, &o.holdout_end), 0);
    o.unit = CLV_UNIT_WEEK;
    for (int m = 0; m < CLV_FIT_N_MODELS; m++)
        o.want[m] = 1;
    clv_fit_opts_default(&o.fit);
    clv_fit_study s;
    clv_error err;
    CHECK_INT(clv_fit_study_run(&o, &s, &err), CLV_OK);
    if (s.t) {
        CHECK_INT(s.t->n, 2357);
        CHECK_STR(s.spend_note, "");
        for (int m = 0; m < CLV_FIT_N_MODELS; m++) {
            CHECK_INT(s.done[m], 1);
            clv_fit_result r;
            CHECK_INT(m < CLV_BTYD_N_TYPES ? clv_btyd_types[m]->fit(s.t->c, s.t->n, &o.fit, &r, &err)
                                           : clv_gg_fit(s.t->c, s.t->n, &o.fit, &r, &err), CLV_OK);
            for (int k = 0; k < r.n_params; k++)
                CHECK_NEAR(s.fit[m].par[k], r.par[k], 0);
        }
        for (int m = 0; m < CLV_BTYD_N_TYPES; m++) {
            CHECK_INT(s.model[m].model, m);
            CHECK_NEAR(s.model[m].spend.q, s.fit[CLV_FIT_GGAMMA].par[1], 0);
            clv_holdout_report h;
            CHECK_INT(clv_btyd_holdout(&s.model[m], s.t, &h, &err), CLV_OK);
            CHECK_NEAR(s.hold[m].total_predicted, h.total_predicted, 0);
            CHECK(h.total_predicted > 1000 && h.total_predicted < 2500);
            CHECK(s.cum[m] != NULL && s.t->n_days > 0);
            CHECK(s.cum[m][s.t->n_days - 1] > s.cum[m][0]);
            CHECK_INT(s.value_ok[m], 1);
            CHECK_INT((int)s.value[m].n, 2357);
            CHECK(s.value[m].gini > 0.3 && s.buy[m].auc > 0.6);
        }
    }

    /* its files, through the library alone: report.txt is what
     * clv_fit_report_print prints, customers.csv has every model's columns
     * and a row per customer, population.cfg names the better model */
    char dir[] = "/tmp/clvsim-study-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char out[64];
    snprintf(out, sizeof out, "%s/fit", dir);
    clv_outdir od;
    memset(&od, 0, sizeof od);
    od.fd = -1;
    const clv_fit_report_opts ro = {"test", 0.3, 0.1, 52, 1.5, NULL};
    unsigned notes = 99;
    CHECK_INT(clv_outdir_open(&od, out, 0, &err), CLV_OK);
    CHECK_INT(clv_fit_report_write(&s, &o, &ro, &od, &notes, &err), CLV_OK);
    CHECK(notes == 0 || notes == CLV_FIT_NOTE_NO_GNUPLOT);
    CHECK_INT(clv_outdir_commit(&od, "report.txt", &err), CLV_OK);
    clv_outdir_close(&od);
    char path[128], *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    clv_numcheck chk = {0};
    clv_fit_report_print(mem, &chk, &s, &o, 1.5);
    fclose(mem);
    snprintf(path, sizeof path, "%s/report.txt", out);
    char *file = harness_read_file(path);
    CHECK(file && text && strcmp(file, text) == 0);
    CHECK(text && strstr(text, "BG/NBD, 2357 customers") && strstr(text, "time 1.50 s"));
    free(file), free(text);
    snprintf(path, sizeof path, "%s/customers.csv", out);
    file = harness_read_file(path);
    CHECK(file && strncmp(file, "id,first_purchase,x,t_x,T,mean_spend,x_holdout,spend_holdout,expected_spend,"
                                 "p_alive_bgnbd,expected_holdout_bgnbd,clv_bgnbd,p_alive_pareto,"
                                 "expected_holdout_pareto,clv_pareto\n", 173) == 0);
    size_t rows = 0;
    for (const char *q = file; q && *q; q++)
        rows += *q == '\n';
    CHECK_INT((int)rows, 2358);
    free(file);
    snprintf(path, sizeof path, "%s/population.cfg", out);
    file = harness_read_file(path);
    CHECK(file && strstr(file, "# command: test\n") && strstr(file, "  model = \"bgnbd\";\n"));
    free(file);
    static const char *const names[] = {"population.cfg", "report.txt", "customers.csv", "rfm.csv", "holdout.csv",
                                        "cumulative.csv", "frequency.csv"};
    for (int k = 0; k < 7; k++) {
        snprintf(path, sizeof path, "%s/%s", out, names[k]);
        CHECK(access(path, F_OK) == 0);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);

    clv_fit_study_free(&s);
    CHECK(s.t == NULL && s.cum[0] == NULL);

    /* asked to stop: CLV_ECANCELLED, and nothing left to free but what free frees */
    int calls = 0;
    clv_progress p = {stop_now, &calls, NULL};
    o.fit.progress = &p;
    CHECK_INT(clv_fit_study_run(&o, &s, &err), CLV_ECANCELLED);
    CHECK_INT(err.code, CLV_ECANCELLED);
    clv_fit_study_free(&s);
    free(log);
}

/* the files of a run, committed into dir: 0 when the commit worked */
static int commit_dir(clv_outdir *od, const char *last)
{
    clv_error err;
    const int st = clv_outdir_commit(od, last, &err);
    clv_outdir_close(od);
    return st;
}

/* clv_ltv_study_run on the holiday scenario (synthetic rows, a smaller
 * world, 5 epochs): a trained network measured with BTYD on its holdout,
 * its files through the library, and the network file loading back */
TEST(test_study_ltv)
{
    const clv_scn_override ov[] = {{"ltv.synthetic_customers", "3000", "test"}, {"ltv.epochs", "5", "test"},
                                   {"output.plots", "false", "test"}};
    clv_scenario scn;
    clv_error err;
    CHECK_INT(clv_scn_load("scenarios/holiday.cfg", ov, 3, &scn, &err), CLV_OK);
    clv_ltv_study s;
    CHECK_INT(clv_ltv_study_run(&scn, NULL, &s, &err), CLV_OK);
    CHECK_INT(s.n_ev, 1);
    CHECK_STR(s.ev[0].name, "synthetic");
    CHECK(s.ev[0].n > 1000 && s.n_train + s.n_val == s.n && s.n_real == 0 && s.n_syn == s.n);
    CHECK(s.history.epochs >= 1 && s.history.epochs <= 5);
    CHECK(isfinite(s.ev[0].v[0].rmse) && isfinite(s.ev[0].v[1].rmse) && s.ev[0].c[1].auc > 0.5);
    CHECK(s.high > 0 && s.label_max >= s.high);
    char dir[] = "/tmp/clvsim-study-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char out[64], path[128];
    snprintf(out, sizeof out, "%s/ltv", dir);
    clv_outdir od;
    memset(&od, 0, sizeof od);
    od.fd = -1;
    CHECK_INT(clv_outdir_open(&od, out, 0, &err), CLV_OK);
    CHECK_INT(clv_ltv_report_write(&s, &scn, &od, &err), CLV_OK);
    CHECK_INT(clv_ltv_report_figures(&s, &scn, &od, NULL, &err), CLV_OK); /* output.plots false: none */
    CHECK_INT(commit_dir(&od, "ltv.mlp"), CLV_OK);
    static const char *const names[] = {"ltv.mlp", "ltv_history.csv", "ltv_metrics.csv", "ltv_classification.csv",
                                        "ltv_gain.csv", "ltv_calibration.csv"};
    for (int k = 0; k < 6; k++) {
        snprintf(path, sizeof path, "%s/%s", out, names[k]);
        CHECK(access(path, F_OK) == 0);
    }
    snprintf(path, sizeof path, "%s/ltv.mlp", out);
    clv_ltv_model *lm = clv_ltv_model_load(path, 64, NULL, &err);
    CHECK(lm != NULL);
    clv_ltv_model_free(lm);
    snprintf(path, sizeof path, "%s/ltv_metrics.csv", out);
    char *file = harness_read_file(path);
    CHECK(file && strstr(file, "mlp,synthetic,") && strstr(file, "btyd,synthetic,"));
    free(file);
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    clv_numcheck chk = {0};
    clv_ltv_report_print(mem, &chk, &s, &scn, 0.5);
    fclose(mem);
    CHECK(text && strstr(text, "synthetic holdout of ") && strstr(text, "in 0.5 s"));
    free(text);
    clv_ltv_study_free(&s);
    CHECK(s.mlp == NULL && s.X == NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
}

/* clv_validate_run on the holiday scenario: the certificate passes, and
 * its files and report come through the library */
TEST(test_study_validate)
{
    clv_scenario scn;
    clv_error err;
    CHECK_INT(clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err), CLV_OK);
    char dir[] = "/tmp/clvsim-study-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char out[64], path[128];
    snprintf(out, sizeof out, "%s/validation", dir);
    clv_outdir od;
    memset(&od, 0, sizeof od);
    od.fd = -1;
    CHECK_INT(clv_outdir_open(&od, out, 0, &err), CLV_OK);
    clv_validation v;
    CHECK_INT(clv_validate_run(&scn, &od, NULL, &v, &err), CLV_OK);
    CHECK_INT((int)v.n, 20000);
    CHECK(v.bins >= 5 && v.df == v.bins - 1 && v.pvalue >= 0.001 && v.worst_z <= 3);
    CHECK_INT(clv_validation_pass(&v), 1);
    CHECK_INT(v.have_real, 0);
    int no_gnuplot = -1;
    CHECK_INT(clv_validate_report_write(&v, NULL, &no_gnuplot, &err), CLV_OK);
    CHECK(no_gnuplot == 0 || no_gnuplot == 1);
    CHECK_INT(commit_dir(&od, "report.txt"), CLV_OK);
    static const char *const names[] = {"report.txt", "counts.csv", "refit.csv", "simulated_transactions.csv"};
    for (int k = 0; k < 4; k++) {
        snprintf(path, sizeof path, "%s/%s", out, names[k]);
        CHECK(access(path, F_OK) == 0);
    }
    snprintf(path, sizeof path, "%s/report.txt", out);
    char *file = harness_read_file(path);
    CHECK(file && strstr(file, "certificate: PASS\n"));
    free(file);
    /* the same validation with a refit that gave no standard errors (a fit
     * stuck at a boundary): check 2 could not be performed, so it is not a
     * PASS and neither is the certificate */
    clv_validation w = v;
    for (int k = 0; k < w.fit[0].n_params; k++)
        w.fit[0].se[k] = NAN;
    w.worst_z = NAN;
    CHECK_INT(clv_validation_pass(&w), 0);
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    CHECK(mem != NULL);
    if (mem) {
        clv_numcheck chk = {0};
        clv_validate_report_print(mem, &chk, &w);
        fclose(mem);
        CHECK_INT(chk.bad, 0);
        CHECK(text && strstr(text, "largest |z| unknown (a fit gave no standard errors): NOT PERFORMED"));
        CHECK(text && strstr(text, "certificate: FAIL (check 2 not performed)\n"));
        CHECK(text && !strstr(text, "certificate: PASS"));
    }
    free(text);
    clv_validation_free(&v);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
}

/* validate's check 4 on a scenario changed in code: run it, return whether
 * the certificate passes (v filled, to free) */
static int validate_effects(clv_scenario *scn, clv_validation *v)
{
    char dir[] = "/tmp/clvsim-effect-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char out[64];
    snprintf(out, sizeof out, "%s/validation", dir);
    clv_outdir od;
    memset(&od, 0, sizeof od);
    od.fd = -1;
    clv_error err;
    CHECK_INT(clv_outdir_open(&od, out, 0, &err), CLV_OK);
    CHECK_INT(clv_validate_run(scn, &od, NULL, v, &err), CLV_OK);
    clv_outdir_close(&od);
    CHECK_INT(harness_rm_rf(dir), 0);
    return clv_validation_pass(v);
}

/* Check 4, the treatment effect: holiday.cfg's levels pass and its arms'
 * overall rows are shown, not compared; a world whose effect differs from
 * the experiment's interval fails; one that has it passes; without contact
 * effects the check does not run and is not a PASS. */
TEST(test_study_validate_treatment_effect)
{
    clv_scenario scn;
    clv_error err;
    CHECK_INT(clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err), CLV_OK);
    clv_validation v;
    CHECK_INT(validate_effects(&scn, &v), 1);
    CHECK_INT(v.effects_run, 1);
    CHECK_INT(v.effects_checked, 4);
    CHECK_INT(v.effects_failed, 0);
    for (int e = 0; e < scn.response.n_contact; e++) {
        const clv_scn_contact_effect *x = &scn.response.contact[e];
        const int all = x->covariate == CLV_CONTACT_ALL;
        CHECK_INT(v.effect[e].checked, !all);
        CHECK_INT(v.effect[e].mix, all);
        if (!all) /* the simulated level's ratio, inside the experiment's interval, and its own interval around it */
            CHECK(v.effect[e].ratio >= x->ratio_lo && v.effect[e].ratio <= x->ratio_hi &&
                  v.effect[e].lo < v.effect[e].ratio && v.effect[e].ratio < v.effect[e].hi);
    }
    clv_validation_free(&v);

    /* one arm without levels whose model has no effect, against an experiment that saw one */
    scn.response.n_contact = 1;
    scn.response.contact[0] = (clv_scn_contact_effect){"A", CLV_CONTACT_ALL, "all", -1, 1.0, 2.0, 1.8, 2.2, 0, 0, 0};
    for (int k = 0; k < scn.interventions.n_coupons; k++)
        scn.interventions.coupons[k].contact_arm[0] = '\0';
    CHECK_INT(clv_scn_check(&scn, &err), CLV_OK);
    CHECK_INT(validate_effects(&scn, &v), 0);
    CHECK_INT(v.effects_checked, 1);
    CHECK_INT(v.effects_failed, 1);
    CHECK(fabs(v.effect[0].ratio - 1) < 0.05);
    clv_validation_free(&v);
    /* the same arm with the experiment's effect */
    scn.response.contact[0].factor = 2.0;
    scn.response.contact[0].ratio_lo = 1.7, scn.response.contact[0].ratio_hi = 2.3;
    CHECK_INT(validate_effects(&scn, &v), 1);
    CHECK_INT(v.effects_checked, 1);
    CHECK(v.effect[0].ratio > 1.7 && v.effect[0].ratio <= 2.0);
    clv_validation_free(&v);
    /* no contact effect: not run, and said so */
    scn.response.contact_enabled = 0;
    CHECK_INT(validate_effects(&scn, &v), 1);
    CHECK_INT(v.effects_run, 0);
    CHECK(v.effects_why && strstr(v.effects_why, "response.contact.enabled is false"));
    CHECK_INT(clv_validation_effects_pass(&v), 0);
    clv_validation_free(&v);
}
