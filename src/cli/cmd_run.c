/* cmd_run.c - clvsim run and compare: the main job, as the library's study (clvsim/study.h) and its writers (clvsim/report.h), with progress and the tables on the terminal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* the study's notes on stderr, after the phase's progress bar */
typedef struct {
    cli_progress *bar;
    const char *cmd;
    int quiet;
} run_notes;

static void run_note(void *ctx, const char *text)
{
    const run_notes *n = ctx;
    cli_progress_done(n->bar);
    if (!n->quiet)
        fprintf(stderr, "clvsim %s: %s\n", n->cmd, text);
}

static int study(const cli_cmd *cmd, int argc, char **argv, int compare)
{
    cli_opts o;
    clv_scenario scn;
    int rc = cli_parse_scenario(cmd, argc, argv, &o, &scn);
    if (rc >= 0)
        return rc;
    const double started = cli_now();
    cli_progress bar;
    cli_progress_init(&bar, o.quiet);
    const clv_progress prog = cli_progress_of(&bar);
    run_notes notes = {&bar, cmd->name, o.quiet};
    clv_study_opts so;
    clv_study_opts_default(&so);
    so.progress = &prog;
    so.note = run_note;
    so.note_ctx = &notes;
    if (compare)
        so.tables = cli_opt(&o, "tables") ? cli_opt(&o, "tables") : scn.output.dir;
    clv_error err;
    clv_outdir od = {.fd = -1};
    clv_study *s = NULL;
    /* the researcher's policies (--policy-plugin FILE.so, repeatable), loaded
     * before anything is written and unloaded after the study is freed */
    clv_plugin plugins[CLV_STUDY_OWN_MAX];
    clv_study_own own[CLV_STUDY_OWN_MAX];
    size_t n_plugins = 0;
    int st = CLV_OK;
    for (int i = 0; i < o.n_extra && st == CLV_OK; i++) {
        if (strcmp(o.extra_name[i], "policy-plugin") != 0)
            continue;
        if (n_plugins == CLV_STUDY_OWN_MAX) {
            st = clv_error_set(&err, CLV_EINPUT, NULL, 0, "--policy-plugin", "at most %d plugins",
                               CLV_STUDY_OWN_MAX);
            break;
        }
        st = clv_plugin_open(o.extra_value[i], &plugins[n_plugins], &err);
        if (st == CLV_OK) {
            own[n_plugins] = clv_plugin_own(&plugins[n_plugins]);
            n_plugins++;
        }
    }
    so.own = own;
    so.n_own = n_plugins;
    if (st == CLV_OK)
        st = clv_outdir_open(&od, scn.output.dir, o.force, &err);
    if (st == CLV_OK)
        st = clv_report_resolved(&scn, &od, &err);
    if (st == CLV_OK) {
        clv_report_scenario(stdout, &scn);
        fflush(stdout);
        st = clv_study_run(&scn, &so, &s, &err);
        cli_progress_done(&bar);
    }
    if (st == CLV_OK)
        st = clv_report_run_files(s, &od, &err);
    /* the tables on stdout once their numbers have passed the files' checks */
    if (st == CLV_OK) {
        clv_numcheck out = {0};
        clv_report_run_tables(s, stdout, &out, 1);
        fflush(stdout);
        st = clv_numcheck_error(&out, stdout, "(standard output)", &err);
    }
    const char *no_figures = "output.plots is false in the scenario";
    if (st == CLV_OK && scn.output.plots) {
        static const clv_progress stop = {NULL, NULL, clv_stop_cancelled};
        st = clv_report_run_figures(s, &od, &stop, &err);
        if (st == CLV_EUNSUPPORTED) {
            no_figures = "gnuplot is not installed; install the Debian package gnuplot-nox (or run 'make deps') "
                         "and run again";
            if (!o.quiet)
                fprintf(stderr, "clvsim %s: gnuplot not found: skipped every figure (forest, daily_net_margin, "
                                "active_customers, coupon_spend, calibration, learning, heatmap_*); the CSVs are "
                                "written; install the Debian package gnuplot-nox and run again\n", cmd->name);
            st = CLV_OK;
        } else {
            no_figures = NULL;
        }
    }
    const double seconds = cli_now() - started;
    if (st == CLV_OK && scn.output.report)
        st = clv_report_run_html(s, &od, no_figures, seconds, &err);
    st = clv_report_end(&od, st, CLV_REPORT_RESOLVED, NULL, 0, &err);
    clv_study_free(s);
    for (size_t k = 0; k < n_plugins; k++)
        clv_plugin_close(&plugins[k]);
    if (st != CLV_OK)
        return cli_report(&err);
    if (!o.quiet)
        fprintf(stderr, "clvsim %s: wrote bounds.csv, summary.csv, replications.csv, segments.csv, calibration.csv, "
                        "actions.csv, verification.csv, daily.csv, "
                        "%spolicy_*.csv, heatmap_*.csv%s%s to %s in %.1f s\n",
                cmd->name, compare ? "" : "learning.csv, ", no_figures ? "" : ", figures",
                scn.output.report ? ", report.html" : "", scn.output.dir, seconds);
    return EXIT_OK;
}

int cmd_run(const cli_cmd *cmd, int argc, char **argv) { return study(cmd, argc, argv, 0); }

int cmd_compare(const cli_cmd *cmd, int argc, char **argv) { return study(cmd, argc, argv, 1); }
