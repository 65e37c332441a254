/* cmd_response.c - clvsim fit-response: the response to contact fitted to a randomised experiment (clvsim/response_study.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* the columns of --covariates, split in place at its commas */
enum { MAX_COV = CLV_EXPERIMENT_MAX_COVARIATES };

static int parse_options(const cli_opts *o, clv_response_study_opts *so, char *covbuf, size_t covsize,
                         const char **cov)
{
    static const char *const required[] = {"arm-column", "control", "converted-column", "spend-column",
                                           "window-days"};
    if (o->n_args != 1) {
        cli_errorf("fit-response", o->n_args ? "expected one EXPERIMENT file, got %d arguments; try 'clvsim "
                                               "fit-response --help'"
                                             : "missing EXPERIMENT%.0d; try 'clvsim fit-response --help'",
                   o->n_args);
        return EXIT_USAGE;
    }
    if (o->n_sets || o->scale || o->seed || o->threads) {
        cli_errorf("fit-response", "--set, --scale, --seed and --threads do not apply: 'clvsim fit-response' "
                                   "reads its settings from its own options and draws no random numbers");
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!cli_opt(o, required[i])) {
            cli_errorf("fit-response", "--%s is required; try 'clvsim fit-response --help'", required[i]);
            return EXIT_USAGE;
        }
    memset(so, 0, sizeof *so);
    so->path = o->args[0];
    so->reader.arm_column = cli_opt(o, "arm-column");
    so->reader.control = cli_opt(o, "control");
    so->reader.converted_column = cli_opt(o, "converted-column");
    so->reader.spend_column = cli_opt(o, "spend-column");
    so->confidence = 0.95;
    so->state_map = cli_opt(o, "state-map");
    if (cli_opt_int("fit-response", o, "window-days", CLV_RESPONSE_WINDOW_MIN, CLV_RESPONSE_WINDOW_MAX,
                    &so->window_days) ||
        cli_opt_real("fit-response", o, "confidence", 0.5, 0.9999, &so->confidence))
        return EXIT_USAGE;
    const char *c = cli_opt(o, "covariates");
    int n = 0;
    if (c && *c) {
        if (strlen(c) >= covsize) {
            cli_errorf("fit-response", "--covariates: expected at most %zu characters", covsize - 1);
            return EXIT_USAGE;
        }
        memcpy(covbuf, c, strlen(c) + 1);
        for (char *p = covbuf, *next; p; p = next) {
            next = strchr(p, ',');
            if (next)
                *next++ = '\0';
            if (!*p) {
                cli_errorf("fit-response", "--covariates: expected column names separated by commas, got '%s'", c);
                return EXIT_USAGE;
            }
            if (n == MAX_COV) {
                cli_errorf("fit-response", "--covariates: expected at most %d columns", MAX_COV);
                return EXIT_USAGE;
            }
            cov[n++] = p;
        }
    }
    so->reader.n_cov = n;
    so->reader.covariates = cov;
    return -1;
}

int cmd_fit_response(const cli_cmd *cmd, int argc, char **argv)
{
    /* the command line, shell-quoted, for response.cfg and report.txt */
    char cmdline[4096];
    cli_command_line(cmdline, sizeof cmdline, argc, argv);
    cli_opts o;
    int rc = cli_parse(cmd, argc, argv, &o);
    if (rc >= 0)
        return rc;
    clv_response_study_opts so;
    static char covbuf[4096];
    const char *cov[MAX_COV];
    if ((rc = parse_options(&o, &so, covbuf, sizeof covbuf, cov)) >= 0)
        return rc;
    char outdir[CLV_IO_PATH_MAX];
    cli_output_dir(outdir, sizeof outdir, &o, "response", so.path);

    double t0 = cli_now();
    clv_error err;
    cli_progress bar;
    cli_progress_init(&bar, o.quiet);
    clv_progress prog = cli_progress_of(&bar);
    so.progress = &prog;
    clv_response_study s;
    int st = clv_response_study_run(&so, &s, &err);
    cli_progress_done(&bar);
    const double elapsed = cli_now() - t0;
    if (st == CLV_OK)
        st = cli_stop(&err);
    clv_outdir od = {.fd = -1};
    if (st == CLV_OK)
        st = clv_outdir_open(&od, outdir, o.force, &err);
    const clv_response_report_opts ro = {cmdline, elapsed};
    unsigned notes = 0;
    if (st == CLV_OK)
        st = clv_response_report_write(&s, &so, &ro, &od, &notes, &err);
    if (!o.quiet && (notes & CLV_RESPONSE_NOTE_NO_GNUPLOT))
        fprintf(stderr, "clvsim fit-response: gnuplot not found: skipped the figures effect_COVARIATE.{png,svg}; "
                        "install the Debian package gnuplot-nox (or run 'make deps') and run again; their CSV data "
                        "are written\n");
    st = clv_report_end(&od, st, "report.txt", NULL, 0, &err);
    if (st == CLV_OK) {
        clv_numcheck out = {0}; /* the numbers of report.txt, which passed */
        clv_response_report_print(stdout, &out, &s, &so, elapsed);
        if (!o.quiet)
            fprintf(stderr, "clvsim fit-response: wrote response.cfg, arms.csv, effects.csv, heterogeneity.csv, "
                            "model.csv, report.txt%s to %s\n",
                    so.reader.n_cov ? (clv_plot_available() ? " and per covariate effect_COVARIATE.csv with its figure"
                                                            : " and per covariate effect_COVARIATE.csv")
                                    : "",
                    outdir);
    }
    clv_response_study_free(&s);
    return st == CLV_OK ? EXIT_OK : cli_report(&err);
}
