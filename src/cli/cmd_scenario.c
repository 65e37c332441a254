/* cmd_scenario.c - loading a scenario for the subcommands, its summary, and clvsim check. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* load the scenario named by the single positional argument */
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
    if (clv_scn_load(o->args[0], o->sets, o->n_sets, scn, &err) != CLV_OK)
        return cli_report(&err);
    return -1;
}

void cli_print_summary(FILE *fp, const clv_scenario *s)
{
    const char *cur = s->economics.currency;
    fprintf(fp, "scenario       %s%s%s\n", s->scenario.name, s->scenario.description[0] ? " - " : "",
            s->scenario.description);
    fprintf(fp, "seed           %lld\n", (long long)s->scenario.seed);
    int32_t start;
    char a[16], b[16];
    clv_date_parse(s->calendar.start, -1, &start);
    int epochs = (s->calendar.horizon_days + s->calendar.epoch_days - 1) / s->calendar.epoch_days;
    fprintf(fp, "calendar       %s to %s (%d days), a decision every %d days (%d epochs)\n",
            clv_date_format(start, a), clv_date_format(start + s->calendar.horizon_days - 1, b),
            s->calendar.horizon_days, s->calendar.epoch_days, epochs);
    const char *unit = clv_scn_enum_name("population.unit", s->population.unit);
    if (s->population.source == CLV_SOURCE_FIT)
        fprintf(fp, "population     to be fitted to %s (calibration to %s)\n", s->data.transactions,
                s->data.calibration_end);
    else if (s->population.model == CLV_MODEL_BGNBD)
        fprintf(fp, "population     BG/NBD r=%g alpha=%g a=%g b=%g (per %s)\n", s->population.bgnbd.r,
                s->population.bgnbd.alpha, s->population.bgnbd.a, s->population.bgnbd.b, unit);
    else
        fprintf(fp, "population     Pareto/NBD r=%g alpha=%g s=%g beta=%g (per %s)\n", s->population.pareto.r,
                s->population.pareto.alpha, s->population.pareto.s, s->population.pareto.beta, unit);
    fprintf(fp, "spend          Gamma-Gamma p=%g q=%g gamma=%g %s\n", s->population.spend.p,
            s->population.spend.q, s->population.spend.gamma, cur);
    fprintf(fp, "customers      %lld existing (x%g scale), %g new a day, %d-day burn-in\n",
            (long long)s->population.customers, s->run.scale, s->acquisition.rate_per_day,
            s->population.burn_in_days);
    fprintf(fp, "seasonality    %s", s->seasonality.enabled ? "" : "off");
    for (int i = 0; s->seasonality.enabled && i < s->seasonality.n_windows; i++) {
        const clv_scn_window *w = &s->seasonality.windows[i];
        fprintf(fp, "%s%s %s..%s x%g", i ? "; " : "", w->name, w->start, w->end, w->purchase_multiplier);
    }
    if (s->seasonality.enabled && s->seasonality.n_windows == 0)
        fputs("day of week only", fp);
    fputc('\n', fp);
    fprintf(fp, "coupons        ");
    for (int i = 0; i < s->interventions.n_coupons; i++) {
        const clv_scn_coupon *c = &s->interventions.coupons[i];
        fprintf(fp, "%s\"%s\" %g%% off for %d days", i ? ", " : "", c->name, 100 * c->discount, c->validity_days);
    }
    if (s->interventions.n_coupons == 0)
        fputs("none", fp);
    fputc('\n', fp);
    fprintf(fp, "prices         ");
    for (int i = 0; i < s->interventions.n_prices; i++)
        fprintf(fp, "%sx%g", i ? ", " : "", s->interventions.prices[i]);
    fputc('\n', fp);
    fprintf(fp, "budget         ");
    if (s->interventions.budget_per_epoch < 0)
        fprintf(fp, "unlimited per epoch, ");
    else
        fprintf(fp, "%g %s per epoch, ", s->interventions.budget_per_epoch, cur);
    if (s->interventions.budget_total < 0)
        fprintf(fp, "unlimited in total\n");
    else
        fprintf(fp, "%g %s in total\n", s->interventions.budget_total, cur);
    fprintf(fp, "policies       ");
    for (int i = 0; i < s->evaluation.n_policies; i++)
        fprintf(fp, "%s%s", i ? ", " : "", clv_scn_enum_name("evaluation.policies", s->evaluation.policies[i]));
    fprintf(fp, " (%d replications)\n", s->evaluation.replications);
    fprintf(fp, "threads        %d\n", clv_threads_resolve(s->run.threads));
    fprintf(fp, "output         %s\n", s->output.dir);
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
    cli_warn_far_dates(cmd->name, scn->data.transactions, &stats);
    if (st != CLV_OK)
        return cli_report(&err);
    if (!o->quiet) {
        fprintf(stderr, "clvsim %s: population fitted to %s up to %s (%zu customers, per %s): %s", cmd->name,
                scn->data.transactions, scn->data.calibration_end, fit[0].n,
                clv_scn_enum_name("population.unit", scn->population.unit),
                model == CLV_MODEL_PARETO ? "Pareto/NBD" : "BG/NBD");
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
    return -1;
}

int cli_write_resolved(const clv_scenario *scn, const clv_outdir *od, clv_error *err)
{
    return clv_report_resolved(scn, od, err);
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
