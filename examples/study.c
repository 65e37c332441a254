/* study.c - the researcher's version of the main job: `clvsim run` through
 * the C API only.
 *
 *   build/examples/study SCENARIO OUTDIR [KEY=VALUE ...]
 *
 * Loads SCENARIO (KEY=VALUE: overrides, as clvsim's --set), fits the
 * population when population.source is "fit", runs the whole study
 * (clv_study_run: agents, greedy and oracle, the learned and planned ones
 * verified against none on fresh worlds, every listed policy evaluated
 * with common random numbers) and writes the run's CSVs into OUTDIR as
 * clvsim run does: its summary.csv is byte for byte the one of
 * `clvsim run SCENARIO -o OUTDIR` (the suite checks it).  Then it prints
 * each policy's mean net margin.  Ctrl-C stops it cleanly, as it stops
 * clvsim: nothing is written (clv_stop_on_signals, clvsim/progress.h). */
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "clvsim/clvsim.h"

static int fail(const clv_error *err)
{
    fprintf(stderr, "study: %s%s%s%s%s\n", err->file, err->file[0] ? ": " : "", err->field,
            err->field[0] ? ": " : "", err->msg);
    return err->code == CLV_EINPUT ? 2 : 1;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    if (clv_stop_on_signals() != CLV_OK) {
        perror("study: sigaction");
        return 1;
    }
    if (argc < 3 || argc - 3 > 30) {
        fprintf(stderr, "usage: study SCENARIO OUTDIR [KEY=VALUE ...]\n");
        return 2;
    }
    /* the overrides, and the output directory as the last one */
    clv_scn_override ov[32];
    size_t n = 0;
    for (int i = 3; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq || eq == argv[i]) {
            fprintf(stderr, "study: expected KEY=VALUE, got '%s'\n", argv[i]);
            return 2;
        }
        *eq = '\0';
        ov[n++] = (clv_scn_override){argv[i], eq + 1, "KEY=VALUE"};
    }
    ov[n++] = (clv_scn_override){"output.dir", argv[2], "OUTDIR"};
    clv_scenario scn;
    clv_error err;
    if (clv_scn_load(argv[1], ov, n, &scn, &err) != CLV_OK)
        return fail(&err);
    if (scn.population.source == CLV_SOURCE_FIT) {
        clv_fit_result fit[2];
        clv_txlog_stats stats;
        if (clv_population_fit(&scn, scn.run.threads, NULL, fit, &stats, &err) != CLV_OK)
            return fail(&err);
    }
    /* claim the directory, stage everything, commit it all at the end */
    clv_outdir od = {.fd = -1};
    clv_study *s = NULL;
    const clv_progress stop = {NULL, NULL, clv_stop_cancelled};
    clv_study_opts opts;
    clv_study_opts_default(&opts);
    opts.progress = &stop;
    int st = clv_outdir_open(&od, scn.output.dir, 0, &err);
    if (st == CLV_OK)
        st = clv_report_resolved(&scn, &od, &err);
    if (st == CLV_OK)
        st = clv_study_run(&scn, &opts, &s, &err);
    if (st == CLV_OK)
        st = clv_report_run_files(s, &od, &err);
    st = clv_report_end(&od, st, CLV_REPORT_RESOLVED, NULL, 0, &err);
    if (st != CLV_OK) {
        clv_study_free(s);
        return fail(&err);
    }
    for (size_t p = 0; p < s->n; p++) {
        clv_interval iv;
        clv_eval_interval(&s->ev, p, CLV_M_NET_MARGIN, scn.evaluation.confidence, &iv);
        printf("%-18s net margin %.2f %s (%s)\n", s->pol[p].label, iv.mean, scn.economics.currency,
               s->pol[p].fixed ? "fixed" : "learned or planned");
    }
    printf("wrote %s/summary.csv\n", scn.output.dir);
    clv_study_free(s);
    return 0;
}
