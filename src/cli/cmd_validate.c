/* cmd_validate.c - clvsim validate: a certificate that the simulated world is the fitted one (clvsim/validate.h). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

int cmd_validate(const cli_cmd *cmd, int argc, char **argv)
{
    cli_opts o;
    clv_scenario scn;
    int rc = cli_parse_scenario(cmd, argc, argv, &o, &scn);
    if (rc >= 0)
        return rc;
    clv_validation v;
    memset(&v, 0, sizeof v);
    char dir[CLV_IO_PATH_MAX];
    clv_error err;
    int st = clv_path_join(dir, sizeof dir, scn.output.dir, "validation", &err);
    clv_outdir od = {.fd = -1};
    cli_progress bar;
    cli_progress_init(&bar, o.quiet);
    clv_progress prog = cli_progress_of(&bar);
    /* a DIR made here is marked as clvsim's too (else a later run into it
     * would find a directory it did not make), then DIR/validation claimed */
    struct stat sb;
    if (st == CLV_OK && stat(scn.output.dir, &sb) != 0)
        st = clv_output_dir_prepare(scn.output.dir, o.force, &err);
    if (st == CLV_OK)
        st = clv_outdir_open(&od, dir, o.force, &err);
    if (st == CLV_OK)
        st = clv_validate_run(&scn, &od, &prog, &v, &err);
    cli_progress_done(&bar);
    if (v.have_read)
        cli_warn_log_dates("validate", scn.data.transactions, &v.real->stats);
    if (st == CLV_ECANCELLED)
        clv_error_set(&err, st, NULL, 0, NULL, "interrupted");
    int no_gnuplot = 0;
    if (st == CLV_OK)
        st = clv_validate_report_write(&v, &prog, &no_gnuplot, &err);
    if (no_gnuplot && !o.quiet)
        fprintf(stderr, "clvsim validate: gnuplot not found: skipped counts.{png,svg}%s; install the Debian "
                        "package gnuplot-nox and run again\n", v.have_real ? " and cumulative.{png,svg}" : "");
    st = clv_report_end(&od, st, "report.txt", NULL, 0, &err);
    const int pass = clv_validation_pass(&v);
    if (st == CLV_OK) {
        clv_numcheck out = {0}; /* the same numbers as report.txt's, which passed */
        clv_validate_report_print(stdout, &out, &v);
        if (!o.quiet)
            fprintf(stderr, "clvsim validate: wrote report.txt, counts.csv, refit.csv%s%s, "
                            "simulated_transactions.csv and plots to %s\n", v.have_real ? ", cumulative.csv" : "",
                    v.effects_run ? ", treatment_effect.csv" : "", dir);
    }
    clv_validation_free(&v);
    if (st != CLV_OK)
        return cli_report(&err);
    if (!pass) {
        cli_errorf(cmd->name, "the certificate FAILED: see %s/report.txt", dir);
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}
