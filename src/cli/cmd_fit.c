/* cmd_fit.c - clvsim fit: BG/NBD, Pareto/NBD and Gamma-Gamma fitted to a transaction log, with a holdout report. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* the models of a fit study: the BTYD table's purchase models, then Gamma-Gamma */
enum { N_MODELS = CLV_FIT_N_MODELS };
static const char *model_label(int m) { return m < CLV_BTYD_N_TYPES ? clv_btyd_types[m]->label : "Gamma-Gamma"; }

typedef struct fit_job {
    const char *log_path;
    clv_txlog_opts ro;
    int32_t cal_end, hold_end;
    int unit;
    int want[N_MODELS];
    clv_fit_opts fo;
    double margin, annual_rate;
    int horizon;                  /* CLV horizon in units */
    const char *history_id;       /* --history-customer, or NULL */
    clv_outdir od;                /* its claim and staging directory */
    clv_fit_study s;              /* the results */
} fit_job;

/* ---- option parsing ---- */

/* --model: a comma-separated list of bgnbd, pareto and ggamma, each at most
 * once, or all; want[] gets the models asked for */
static int parse_models(const char *v, int want[N_MODELS])
{
    static const char accepted[] = "bgnbd, pareto, ggamma (comma-separated, each once) or all";
    static const char *const names[N_MODELS] = {"bgnbd", "pareto", "ggamma"};
    _Static_assert(N_MODELS == 3 && CLV_FIT_GGAMMA == 2, "the names of --model follow the study's models");
    for (int m = 0; m < N_MODELS; m++)
        want[m] = 0;
    if (!v || strcmp(v, "all") == 0) {
        for (int m = 0; m < N_MODELS; m++)
            want[m] = 1;
        return 0;
    }
    for (const char *p = v;;) {
        const char *e = strchr(p, ',');
        const size_t n = e ? (size_t)(e - p) : strlen(p);
        int m = 0;
        while (m < N_MODELS && !(strlen(names[m]) == n && strncmp(p, names[m], n) == 0))
            m++;
        if (m == N_MODELS) {
            if (n == 3 && strncmp(p, "all", 3) == 0)
                cli_errorf("fit", "--model: 'all' stands alone, got '%s'; accepted: %s", v, accepted);
            else
                cli_errorf("fit", "--model: unknown model '%.*s' in '%s'; accepted: %s", (int)(n < 64 ? n : 64), p, v,
                           accepted);
            return -1;
        }
        if (want[m]) {
            cli_errorf("fit", "--model: %s is listed twice in '%s'; accepted: %s", names[m], v, accepted);
            return -1;
        }
        want[m] = 1;
        if (!e)
            return 0;
        p = e + 1;
    }
}

static int parse_options(const cli_opts *o, fit_job *j)
{
    static const char *const units[] = {"day", "week", NULL};
    if (o->n_args != 1) {
        cli_errorf("fit", o->n_args ? "expected one TRANSACTIONS file, got %d arguments; try 'clvsim fit --help'"
                                    : "missing TRANSACTIONS%.0d; try 'clvsim fit --help'", o->n_args);
        return EXIT_USAGE;
    }
    if (o->n_sets || o->scale) {
        cli_errorf("fit", "--set and --scale apply to scenarios; 'clvsim fit' reads its settings from its own options");
        return EXIT_USAGE;
    }
    j->log_path = o->args[0];
    clv_fit_opts_default(&j->fo);
    j->unit = CLV_UNIT_WEEK;
    j->hold_end = -1;
    j->margin = 0.3;
    j->annual_rate = 0.1;
    j->horizon = -1;
    if (!cli_opt(o, "calibration-end")) {
        cli_errorf("fit", "--calibration-end DATE is required: the last day of the calibration period");
        return EXIT_USAGE;
    }
    if (cli_opt_date("fit", o, "calibration-end", &j->cal_end) || cli_opt_date("fit", o, "holdout-end", &j->hold_end) ||
        cli_opt_enum("fit", o, "unit", units, &j->unit) || parse_models(cli_opt(o, "model"), j->want) ||
        cli_reader_options("fit", o, NULL, &j->ro) ||
        cli_opt_int("fit", o, "starts", 1, 16, &j->fo.starts) ||
        cli_opt_real("fit", o, "margin", 0, 1, &j->margin) ||
        cli_opt_real("fit", o, "annual-discount-rate", 0, 1, &j->annual_rate) ||
        cli_opt_int("fit", o, "clv-horizon", 1, 100000, &j->horizon) ||
        cli_opt_real("fit", o, "penalty", 0, 1e6, &j->fo.penalty))
        return EXIT_USAGE;
    if (cli_opt(o, "holdout-end") && j->hold_end <= j->cal_end) {
        cli_errorf("fit", "--holdout-end must be after --calibration-end");
        return EXIT_USAGE;
    }
    j->history_id = cli_opt(o, "history-customer");
    if (j->history_id && !j->history_id[0]) {
        cli_errorf("fit", "--history-customer: expected a customer id, got an empty one");
        return EXIT_USAGE;
    }
    if (o->seed) {
        char *end;
        errno = 0;
        unsigned long long s = strtoull(o->seed, &end, 10);
        /* the range of scenario.seed, so that one seed means the same everywhere */
        if (errno || *end || end == o->seed || o->seed[0] == '-' || s > 9223372036854775807ULL) {
            cli_errorf("fit", "--seed: expected an integer in [0, 9223372036854775807], got '%s'", o->seed);
            return EXIT_USAGE;
        }
        j->fo.seed = s;
    }
    j->fo.threads = 0;
    if (cli_opt_threads("fit", o, &j->fo.threads))
        return EXIT_USAGE;
    if (j->horizon < 0)
        j->horizon = j->unit == CLV_UNIT_WEEK ? 52 : 365;
    return -1;
}


int cmd_fit(const cli_cmd *cmd, int argc, char **argv)
{
    /* the command line, for the population file's comment */
    char cmdline[2048] = "clvsim";
    for (int i = 0; i < argc; i++) {
        strncat(cmdline, " ", sizeof cmdline - strlen(cmdline) - 1);
        strncat(cmdline, argv[i], sizeof cmdline - strlen(cmdline) - 1);
    }
    cli_opts o;
    int rc = cli_parse(cmd, argc, argv, &o);
    if (rc >= 0)
        return rc;
    fit_job j;
    memset(&j, 0, sizeof j);
    j.od.fd = -1;
    if ((rc = parse_options(&o, &j)) >= 0)
        return rc;

    char outdir[CLV_IO_PATH_MAX];
    cli_output_dir(outdir, sizeof outdir, &o, "fit", j.log_path);
    /* --scenario BASE: a complete scenario from the fit (loaded first: a bad base fails before the fit) */
    /* (a path, or a scenario's name: clv_scn_find) */
    const char *base_path = cli_opt(&o, "scenario");
    clv_scenario *base = NULL;
    char base_file[CLV_PATH_MAX];
    if (base_path) {
        clv_error lerr;
        if (clv_scn_find(base_path, base_file, sizeof base_file, &lerr) != CLV_OK)
            return cli_report(&lerr);
        base_path = base_file;
        if (!(base = malloc(sizeof *base))) {
            cli_errorf("fit", "out of memory");
            return EXIT_RUNTIME;
        }
        if (clv_scn_load(base_path, NULL, 0, base, &lerr) != CLV_OK) {
            free(base);
            return cli_report(&lerr);
        }
    }

    double t0 = cli_now();
    clv_error err;
    cli_progress bar;
    cli_progress_init(&bar, o.quiet);
    clv_progress prog = cli_progress_of(&bar);
    j.fo.progress = &prog;
    clv_fit_study_opts so = {j.log_path, j.ro, j.cal_end, j.hold_end, j.unit, {0}, j.fo};
    memcpy(so.want, j.want, sizeof so.want);
    int st = clv_fit_study_run(&so, &j.s, &err);
    cli_progress_done(&bar);
    if (j.s.spend_note[0] && !o.quiet)
        fprintf(stderr, "clvsim fit: Gamma-Gamma not fitted: %s\n", j.s.spend_note);
    double elapsed = cli_now() - t0;
    if (st == CLV_OK)
        st = cli_stop(&err);
    if (st == CLV_OK)
        st = clv_outdir_open(&j.od, outdir, o.force, &err);
    const clv_fit_report_opts ro = {cmdline, j.margin, j.annual_rate, j.horizon, elapsed, j.history_id};
    unsigned notes = 0;
    if (st == CLV_OK)
        st = clv_fit_report_write(&j.s, &so, &ro, &j.od, &notes, &err);
    if (st == CLV_OK && base) {
        st = clv_fit_study_scenario(&j.s, j.unit, j.log_path, base, &err);
        if (st == CLV_OK) {
            char name[CLV_IO_PATH_MAX + 16];
            snprintf(name, sizeof name, "%s/scenario.cfg", outdir);
            cli_warn_scale("fit", name, base); /* the base's coupons beside this log's spend */
            st = clv_fit_report_scenario(base, base_path, &so, &j.od, &err);
        }
    }
    if (!o.quiet && (notes & CLV_FIT_NOTE_NO_GNUPLOT))
        fprintf(stderr, "clvsim fit: gnuplot not found: skipped the figures (.png, .svg); "
                        "install the Debian package gnuplot-nox (or run 'make deps') and run again; the CSV "
                        "data of the plots are written\n");
    if (!o.quiet && (notes & CLV_FIT_NOTE_NO_SERIES))
        fprintf(stderr, "clvsim fit: every customer of the cohort starts far before the bulk of the log: "
                        "no daily series, no cumulative.{png,svg}\n");
    st = clv_report_end(&j.od, st, "report.txt", NULL, 0, &err);
    if (st == CLV_OK) {
        clv_numcheck out = {0}; /* the numbers of report.txt, which passed */
        clv_fit_report_print(stdout, &out, &j.s, &so, elapsed);
        cli_warn_log_dates("fit", j.log_path, &j.s.t->stats);
        for (int m = 0; m < N_MODELS; m++)
            if (j.s.done[m] && j.s.fit[m].flags)
                fprintf(stderr, "clvsim fit: warning: %s: %s\n", model_label(m), j.s.fit[m].warning);
        if (!o.quiet)
            fprintf(stderr, "clvsim fit: wrote population.cfg, %sreport.txt, customers.csv, rfm.csv, %s"
                            "cumulative.csv, frequency.csv, matrix_*.csv, history.csv%s to %s\n", base ? "scenario.cfg, " : "",
                    j.s.t->holdout_end > j.s.t->calibration_end ? "holdout.csv, " : "",
                    clv_plot_available() ? " and their plots" : "", outdir);
    }
    clv_fit_study_free(&j.s);
    free(base);
    return st == CLV_OK ? EXIT_OK : cli_report(&err);
}
