/* report_simulate.c - the files of clvsim simulate: the synthetic transaction log, the daily totals and the customers. */
#include "clvsim/report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "clvsim/date.h"

/* a row of the synthetic log, in the format clvsim fit reads; every number
 * of the files below goes through clv_put_num (clvsim/io.h); 2 when stop
 * asks to (a large population's burn-in has millions of rows) */
static int write_tx(void *ctx, const clv_sim_tx *tx)
{
    char d[16];
    clv_report_txlog *t = ctx;
    if (clv_progress_poll(t->stop) != CLV_OK)
        return 2;
    clv_afile *af = &t->af;
    errno = 0;
    if (fprintf(af->fp, "c%u,%s", tx->customer, clv_date_format(tx->day, d)) >= 0 &&
        clv_put_num(af->fp, &af->num, "amount", ",%.2f\n", tx->amount) == 0)
        return 0;
    t->err_no = errno;
    return 1;
}

int clv_report_sim_log_open(clv_report_txlog *log, const clv_scenario *scn, const clv_outdir *od,
                            const clv_progress *stop, clv_error *err)
{
    log->stop = stop;
    log->err_no = 0;
    const int st = clv_outdir_stage(od, "transactions.csv", scn->source, &log->af, err);
    if (st == CLV_OK)
        fprintf(log->af.fp, "customer,date,amount\n");
    return st;
}

/* a number that is not finite is left for the commit to report
 * (clv_put_num recorded it) */
int clv_report_sim_log(clv_report_txlog *log, const clv_sim *sim, clv_error *err)
{
    if (clv_sim_log_check(sim, err) != CLV_OK)
        return err->code;
    const int rc = clv_sim_transactions(sim, write_tx, log);
    if (rc == 0 || (rc == 1 && log->af.num.bad))
        return CLV_OK;
    return rc == 2 ? clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "stopped")
                   : clv_error_set(err, CLV_EIO, log->af.path, 0, NULL, "write failed: %s",
                                   clv_write_failure(log->err_no));
}

int clv_report_sim_days(const clv_sim *sim, const clv_scenario *scn, const clv_outdir *od, clv_error *err)
{
    clv_afile af;
    int st = clv_outdir_stage(od, "days.csv", scn->source, &af, err);
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
    return clv_afile_end(&af, CLV_OK, err);
}

int clv_report_sim_customers(const clv_sim *sim, const clv_scenario *scn, const clv_outdir *od,
                             const clv_progress *stop, clv_error *err)
{
    size_t n = clv_sim_customers(sim);
    clv_sim_obs *obs = malloc((n ? n : 1) * sizeof *obs);
    if (!obs)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    int st = clv_sim_observe(sim, 0, n, obs, err);
    clv_afile af;
    if (st == CLV_OK)
        st = clv_outdir_stage(od, "customers.csv", scn->source, &af, err);
    if (st != CLV_OK) {
        free(obs);
        return st;
    }
    const double ud = scn->population.unit == CLV_UNIT_WEEK ? 7.0 : 1.0;
    /* the dropout trait: a rate per period (a lifetime), or a probability at each purchase */
    const int lifetime = clv_sim_dropout_of(scn->population.model) == CLV_SIM_DROPOUT_LIFETIME;
    fprintf(af.fp, "customer,first_purchase,last_purchase,purchases,repeat_purchases_in_horizon,total_spend,stage,"
                   "alive,segment,lambda_per_%s,%s,nu\n",
            scn->population.unit == CLV_UNIT_WEEK ? "week" : "day",
            lifetime ? "mu_per_period" : "p");
    const int32_t today = clv_sim_today(sim) - 1;
    for (size_t i = 0; i < n; i++) {
        if ((i & 4095) == 0 && clv_progress_poll(stop) != CLV_OK) {
            st = clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "stopped");
            break;
        }
        char f[16], l[16];
        double lam, drop, nu;
        clv_sim_traits(sim, i, &lam, &drop, &nu);
        if (lifetime)
            drop *= ud;
        fprintf(af.fp, "c%zu,%s,%s,%d,%d", i, clv_date_format(clv_sim_first_day(sim, i), f),
                clv_date_format(today - (int32_t)obs[i].recency_days, l), obs[i].purchases,
                clv_sim_repeat_purchases(sim, i));
        clv_put_num(af.fp, &af.num, "total_spend", ",%.2f", obs[i].total_spend);
        fprintf(af.fp, ",%s,%d,%s", clv_stage_name(obs[i].stage), clv_sim_alive(sim, i),
                clv_segment_name(clv_sim_segment(sim, i)));
        clv_put_num(af.fp, &af.num, scn->population.unit == CLV_UNIT_WEEK ? "lambda_per_week" : "lambda_per_day",
                    ",%.6g", lam * ud);
        clv_put_num(af.fp, &af.num, lifetime ? "mu_per_period" : "p", ",%.6g", drop);
        clv_put_num(af.fp, &af.num, "nu", ",%.6g\n", nu);
    }
    free(obs);
    return clv_afile_end(&af, st, err);
}

