/* cmd_simulate.c - clvsim simulate: one replication of a scenario's world under a fixed policy; the library writes its daily totals, customers and transaction log (clvsim/report.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cmd_simulate(const cli_cmd *cmd, int argc, char **argv)
{
    cli_opts o;
    clv_scenario scn;
    int rc = cli_parse_scenario(cmd, argc, argv, &o, &scn);
    if (rc >= 0)
        return rc;
    clv_error err;
    const char *pname = cli_opt(&o, "policy");
    clv_policy policy;
    if (clv_policy_fixed(&scn, pname ? pname : "none", (uint64_t)scn.scenario.seed, &policy, &err) != CLV_OK) {
        cli_errorf(cmd->name, "--policy: %s", err.msg);
        return cli_exit_status(err.code);
    }
    clv_sim_opts so;
    clv_sim_opts_default(&so);
    so.threads = scn.run.threads;
    so.record = 1;
    static const clv_progress stop_poll = {NULL, NULL, clv_stop_cancelled};
    so.progress = &stop_poll;
    clv_sim *sim = NULL;
    clv_sim_obs *obs = NULL;
    clv_action *act = NULL;
    int st = clv_sim_alloc(&scn, &so, &sim, &err);
    /* the policy's buffers, once for the most customers there can be */
    if (st == CLV_OK && (!(obs = malloc(clv_sim_capacity(sim) * sizeof *obs)) ||
                         !(act = malloc(clv_sim_capacity(sim) * sizeof *act))))
        st = clv_error_set(&err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    clv_outdir od = {.fd = -1};
    if (st == CLV_OK)
        st = clv_outdir_open(&od, scn.output.dir, o.force, &err);
    if (st == CLV_OK)
        st = clv_report_resolved(&scn, &od, &err);
    /* the transaction log is written as the simulation goes, to a staged
     * file: an interrupted run leaves no partial log */
    clv_report_txlog log;
    int log_open = st == CLV_OK && (st = clv_report_sim_log_open(&log, &scn, &od, &stop_poll, &err)) == CLV_OK;
    cli_progress bar;
    cli_progress_init(&bar, o.quiet);
    clv_progress prog = cli_progress_of(&bar);
    if (st == CLV_OK)
        st = clv_sim_reset(sim, (uint64_t)scn.scenario.seed, 0, &err);
    if (st == CLV_OK)
        st = clv_report_sim_log(&log, sim, &err);
    while (st == CLV_OK && !clv_sim_done(sim)) {
        size_t n = clv_sim_customers(sim);
        st = clv_sim_observe(sim, 0, n, obs, &err);
        if (st == CLV_OK)
            st = policy.act(policy.ctx, sim, obs, n, act, &err);
        if (st == CLV_OK)
            st = clv_sim_step(sim, act, NULL, &err);
        if (st == CLV_OK)
            st = clv_report_sim_log(&log, sim, &err);
        if (st == CLV_OK && clv_progress_report(&prog, "simulating", clv_sim_epoch(sim), clv_sim_epochs(sim)) != CLV_OK)
            st = clv_error_set(&err, CLV_ECANCELLED, NULL, 0, NULL, "interrupted");
    }
    cli_progress_done(&bar);
    if (log_open)
        st = clv_afile_end(&log.af, st, &err);
    if (st == CLV_OK)
        st = cli_stop(&err);
    if (st == CLV_OK)
        st = clv_report_sim_days(sim, &scn, &od, &err);
    if (st == CLV_OK)
        st = clv_report_sim_customers(sim, &scn, &od, &stop_poll, &err);
    /* a stop says so in one word, wherever it caught the run (the burn-in,
     * a step, the log) */
    if (st == CLV_ECANCELLED)
        clv_error_set(&err, CLV_ECANCELLED, NULL, 0, NULL, "stopped");
    st = clv_report_end(&od, st, CLV_REPORT_RESOLVED, NULL, 0, &err);
    if (st == CLV_OK) {
        size_t nd;
        const clv_sim_day *d = clv_sim_days(sim, &nd);
        double purchases = 0, revenue = 0, margin = 0, first = 0;
        for (size_t k = 0; k < nd; k++)
            purchases += d[k].purchases, revenue += d[k].revenue, margin += d[k].net_margin, first += d[k].first_purchases;
        char a[16], b[16];
        double sent = 0, refused = 0, redeemed = 0, coupon_cost = 0;
        for (size_t k = 0; k < nd; k++)
            sent += d[k].coupons_sent, refused += d[k].coupons_refused, redeemed += d[k].redemptions,
                coupon_cost += d[k].coupon_cost;
        printf("scenario       %s (seed %lld, replication 0), policy %s\n", scn.scenario.name,
               (long long)scn.scenario.seed, policy.name);
        printf("days           %s to %s (%zu days)\n", clv_date_format(d[0].day, a), clv_date_format(d[nd - 1].day, b), nd);
        printf("customers      %.0f at the start, %.0f acquired, %.0f alive at the end (ground truth)\n",
               d[nd - 1].customers - first, first, d[nd - 1].alive);
        printf("purchases      %.0f\n", purchases);
        printf("revenue        %.2f %s, net margin %.2f %s\n", revenue, scn.economics.currency, margin,
               scn.economics.currency);
        printf("coupons        %.0f sent, %.0f refused by the budget, %.0f redeemed; cost %.2f %s\n", sent, refused,
               redeemed, coupon_cost, scn.economics.currency);
        printf("stages at end ");
        for (int q = 0; q < CLV_STAGE_N; q++)
            printf(" %s %.0f%s", clv_stage_name(q), d[nd - 1].stage[q], q + 1 < CLV_STAGE_N ? "," : "\n");
        if (!o.quiet)
            fprintf(stderr, "clvsim simulate: wrote days.csv, customers.csv, transactions.csv and "
                            "scenario.resolved.cfg to %s\n", scn.output.dir);
    }
    clv_sim_free(sim);
    clv_policy_free(&policy);
    free(obs);
    free(act);
    return st == CLV_OK ? EXIT_OK : cli_report(&err);
}
