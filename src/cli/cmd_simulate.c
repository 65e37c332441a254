/* cmd_simulate.c - clvsim simulate: one replication of a scenario's world, written as daily totals, customers and a transaction log. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct {
    clv_afile *af;
    int err_no;               /* errno of the write that failed */
} tx_out;

/* a row of the synthetic log, in the format clvsim fit reads; every number
 * of the files below goes through clv_put_num (clvsim/io.h); 2 after a stop
 * signal (a large population's burn-in has millions of rows) */
static int write_tx(void *ctx, const clv_sim_tx *tx)
{
    char d[16];
    tx_out *t = ctx;
    if (cli_interrupted)
        return 2;
    clv_afile *af = t->af;
    errno = 0;
    if (fprintf(af->fp, "c%u,%s", tx->customer, clv_date_format(tx->day, d)) >= 0 &&
        clv_put_num(af->fp, &af->num, "amount", ",%.2f\n", tx->amount) == 0)
        return 0;
    t->err_no = errno;
    return 1;
}

/* the transactions of the last reset or step into the log; a number that
 * is not finite is left for the commit to report (clv_put_num recorded it) */
static int log_tx(const clv_sim *sim, tx_out *tx, const char *path, clv_error *err)
{
    const int rc = clv_sim_transactions(sim, write_tx, tx);
    if (rc == 0 || (rc == 1 && tx->af->num.bad))
        return CLV_OK;
    return rc == 2 ? cli_stop(err)
                   : clv_error_set(err, CLV_EIO, path, 0, NULL, "write failed: %s", cli_write_failure(tx->err_no));
}

static int write_days(const clv_sim *sim, const clv_outdir *od, const clv_scenario *scn, clv_error *err)
{
    clv_afile af;
    int st = cli_open_out(od, "days.csv", scn->source, &af, err);
    if (st != CLV_OK)
        return st;
    static const char *const cols[11] = {"purchases", "first_purchases", "revenue", "cost_of_goods", "coupon_cost",
                                         "net_margin", "coupons_sent", "coupons_refused", "redemptions", "alive",
                                         "customers"};
    static const char *const fmts[11] = {",%.0f", ",%.0f", ",%.4f", ",%.4f", ",%.4f", ",%.4f",
                                         ",%.0f", ",%.0f", ",%.0f", ",%.0f", ",%.0f"};
    fprintf(af.fp, "date");
    for (int j = 0; j < 11; j++)
        fprintf(af.fp, ",%s", cols[j]);
    for (int q = 0; q < CLV_STAGE_N; q++)
        fprintf(af.fp, ",%s", clv_stage_name(q));
    fputc('\n', af.fp);
    size_t nd;
    const clv_sim_day *d = clv_sim_days(sim, &nd);
    for (size_t k = 0; k < nd; k++) {
        char b[16];
        const double v[11] = {d[k].purchases, d[k].first_purchases, d[k].revenue, d[k].cost_of_goods, d[k].coupon_cost,
                              d[k].net_margin, d[k].coupons_sent, d[k].coupons_refused, d[k].redemptions,
                              d[k].alive, d[k].customers};
        fprintf(af.fp, "%s", clv_date_format(d[k].day, b));
        for (int j = 0; j < 11; j++)
            clv_put_num(af.fp, &af.num, cols[j], fmts[j], v[j]);
        for (int q = 0; q < CLV_STAGE_N; q++)
            clv_put_num(af.fp, &af.num, clv_stage_name(q), ",%.0f", d[k].stage[q]);
        fputc('\n', af.fp);
    }
    return cli_close_out(&af, CLV_OK, err);
}

static int write_customers(const clv_sim *sim, const clv_outdir *od, const clv_scenario *scn, clv_error *err)
{
    size_t n = clv_sim_customers(sim);
    clv_sim_obs *obs = malloc((n ? n : 1) * sizeof *obs);
    if (!obs)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    int st = clv_sim_observe(sim, 0, n, obs, err);
    clv_afile af;
    if (st == CLV_OK)
        st = cli_open_out(od, "customers.csv", scn->source, &af, err);
    if (st != CLV_OK) {
        free(obs);
        return st;
    }
    const double ud = scn->population.unit == CLV_UNIT_WEEK ? 7.0 : 1.0;
    fprintf(af.fp, "customer,first_purchase,last_purchase,purchases,repeat_purchases_in_horizon,total_spend,stage,"
                   "alive,segment,lambda_per_%s,%s,nu\n",
            scn->population.unit == CLV_UNIT_WEEK ? "week" : "day",
            scn->population.model == CLV_MODEL_PARETO ? "mu_per_period" : "p");
    const int32_t today = clv_sim_today(sim) - 1;
    for (size_t i = 0; i < n; i++) {
        if ((i & 4095) == 0 && (st = cli_stop(err)) != CLV_OK)
            break;
        char f[16], l[16];
        double lam, drop, nu;
        clv_sim_traits(sim, i, &lam, &drop, &nu);
        if (scn->population.model == CLV_MODEL_PARETO)
            drop *= ud;
        fprintf(af.fp, "c%zu,%s,%s,%d,%d", i, clv_date_format(clv_sim_first_day(sim, i), f),
                clv_date_format(today - (int32_t)obs[i].recency_days, l), obs[i].purchases,
                clv_sim_repeat_purchases(sim, i));
        clv_put_num(af.fp, &af.num, "total_spend", ",%.2f", obs[i].total_spend);
        fprintf(af.fp, ",%s,%d,%s", clv_stage_name(obs[i].stage), clv_sim_alive(sim, i),
                clv_segment_name(clv_sim_segment(sim, i)));
        clv_put_num(af.fp, &af.num, scn->population.unit == CLV_UNIT_WEEK ? "lambda_per_week" : "lambda_per_day",
                    ",%.6g", lam * ud);
        clv_put_num(af.fp, &af.num, scn->population.model == CLV_MODEL_PARETO ? "mu_per_period" : "p", ",%.6g", drop);
        clv_put_num(af.fp, &af.num, "nu", ",%.6g\n", nu);
    }
    free(obs);
    return cli_close_out(&af, st, err);
}

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
    static const clv_progress stop_poll = {NULL, NULL, cli_cancelled};
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
        st = cli_write_resolved(&scn, &od, &err);
    /* the transaction log is written as the simulation goes, to a staged
     * file: an interrupted run leaves no partial log */
    clv_afile log;
    int log_open = 0;
    if (st == CLV_OK && (st = cli_open_out(&od, "transactions.csv", scn.source, &log, &err)) == CLV_OK) {
        log_open = 1;
        fprintf(log.fp, "customer,date,amount\n");
    }
    cli_progress bar;
    cli_progress_init(&bar, o.quiet);
    clv_progress prog = cli_progress_of(&bar);
    tx_out tx = {log_open ? &log : NULL, 0};
    if (st == CLV_OK)
        st = clv_sim_reset(sim, (uint64_t)scn.scenario.seed, 0, &err);
    if (st == CLV_OK)
        st = log_tx(sim, &tx, log.path, &err);
    while (st == CLV_OK && !clv_sim_done(sim)) {
        size_t n = clv_sim_customers(sim);
        st = clv_sim_observe(sim, 0, n, obs, &err);
        if (st == CLV_OK)
            st = policy.act(policy.ctx, sim, obs, n, act, &err);
        if (st == CLV_OK)
            st = clv_sim_step(sim, act, NULL, &err);
        if (st == CLV_OK)
            st = log_tx(sim, &tx, log.path, &err);
        if (st == CLV_OK && clv_progress_report(&prog, "simulating", clv_sim_epoch(sim), clv_sim_epochs(sim)) != CLV_OK)
            st = clv_error_set(&err, CLV_ECANCELLED, NULL, 0, NULL, "interrupted");
    }
    cli_progress_done(&bar);
    if (log_open)
        st = cli_close_out(&log, st, &err);
    if (st == CLV_OK)
        st = cli_stop(&err);
    if (st == CLV_OK)
        st = write_days(sim, &od, &scn, &err);
    if (st == CLV_OK)
        st = write_customers(sim, &od, &scn, &err);
    st = cli_out_end(&od, st, CLI_RESOLVED, NULL, 0, &err);
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
