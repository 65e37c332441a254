/* cmd_scenario.c - loading a scenario for the subcommands (fitting its population when asked), and clvsim check. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* load the scenario named by the single positional argument (a path, or a
 * scenario's name: clv_scn_find), which then holds the path found */
int cli_load_scenario(const cli_cmd *cmd, cli_opts *o, clv_scenario *scn)
{
    if (o->n_args != 1) {
        if (o->n_args == 0)
            cli_errorf(cmd->name, "missing SCENARIO; try 'clvsim %s --help'", cmd->name);
        else
            cli_errorf(cmd->name, "expected one SCENARIO, got %d arguments; try 'clvsim %s --help'",
                       o->n_args, cmd->name);
        return EXIT_USAGE;
    }
    cli_overrides(o);
    clv_error err;
    /* a path, or the name of a scenario in $CLVSIM_SCENARIO_PATH or the installed ones */
    if (clv_scn_find(o->args[0], o->scenario, sizeof o->scenario, &err) != CLV_OK)
        return cli_report(&err);
    o->args[0] = o->scenario;
    if (clv_scn_load(o->args[0], o->sets, o->n_sets, scn, &err) != CLV_OK)
        return cli_report(&err);
    /* the coherence of the price response with the margin */
    clv_price_check pc;
    clv_scn_price_check(scn, &pc);
    char warn[1024];
    clv_scn_price_warning(scn, &pc, warn, sizeof warn);
    if (warn[0])
        fprintf(stderr, "clvsim %s: warning: %s: %s\n", cmd->name, o->args[0], warn);
    if (scn->population.source != CLV_SOURCE_FIT) /* a fitted one is checked once fitted */
        cli_warn_scale(cmd->name, o->args[0], scn);
    return -1;
}

void cli_warn_scale(const char *cmd, const char *file, const clv_scenario *scn)
{
    char warn[4096];
    if (clv_scn_scale_warnings(scn, warn, sizeof warn) == 0)
        return;
    for (char *line = warn, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        fprintf(stderr, "clvsim %s: warning: %s: %s\n", cmd, file, line);
    }
}

int cli_parse_scenario(const cli_cmd *cmd, int argc, char **argv, cli_opts *o, clv_scenario *scn)
{
    int rc = cli_parse(cmd, argc, argv, o);
    if (rc < 0)
        rc = cli_load_scenario(cmd, o, scn);
    if (rc >= 0 || scn->population.source != CLV_SOURCE_FIT)
        return rc;
    /* population.source = "fit": the population from the scenario's log, now */
    cli_progress bar;
    cli_progress_init(&bar, o->quiet);
    clv_progress prog = cli_progress_of(&bar);
    clv_fit_result fit[2];
    clv_error err;
    const int model = scn->population.model;
    clv_txlog_stats stats;
    int st = clv_population_fit(scn, scn->run.threads, &prog, fit, &stats, &err);
    cli_progress_done(&bar);
    /* first: a far date may be why the fit is refused */
    cli_warn_log_dates(cmd->name, scn->data.transactions, &stats);
    if (st != CLV_OK)
        return cli_report(&err);
    if (!o->quiet) {
        fprintf(stderr, "clvsim %s: population fitted to %s up to %s (%zu customers, per %s): %s", cmd->name,
                scn->data.transactions, scn->data.calibration_end, fit[0].n,
                clv_scn_enum_name("population.unit", scn->population.unit),
                clv_btyd_type_of(model)->label);
        for (int k = 0; k < fit[0].n_params; k++)
            fprintf(stderr, " %s=%.6g", fit[0].names[k], fit[0].par[k]);
        fprintf(stderr, " (log-likelihood %.2f); Gamma-Gamma", fit[0].loglik);
        for (int k = 0; k < fit[1].n_params; k++)
            fprintf(stderr, " %s=%.6g", fit[1].names[k], fit[1].par[k]);
        fprintf(stderr, "\n");
        for (int k = 0; k < 2; k++)
            if (fit[k].warning[0])
                fprintf(stderr, "clvsim %s: warning: %s fit: %s\n", cmd->name, k ? "Gamma-Gamma" : "population",
                        fit[k].warning);
    }
    cli_warn_scale(cmd->name, o->args[0], scn);
    return -1;
}

int cmd_check(const cli_cmd *cmd, int argc, char **argv)
{
    cli_opts o;
    int rc = cli_parse(cmd, argc, argv, &o);
    if (rc >= 0)
        return rc;
    clv_error err;
    if (o.reference) {
        if (o.n_args != 0) {
            cli_errorf(cmd->name, "--reference takes no SCENARIO");
            return EXIT_USAGE;
        }
        if (clv_scn_write_reference(stdout, &err) != CLV_OK)
            return cli_report(&err);
        return EXIT_OK;
    }
    clv_scenario scn;
    if ((rc = cli_load_scenario(cmd, &o, &scn)) >= 0)
        return rc;
    if (o.dump) {
        if (clv_scn_write(&scn, stdout, &err) != CLV_OK)
            return cli_report(&err);
        return EXIT_OK;
    }
    printf("%s: ok (scenario \"%s\", seed %lld)\n", o.args[0], scn.scenario.name,
           (long long)scn.scenario.seed);
    return EXIT_OK;
}
