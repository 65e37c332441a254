/* ltv.c - features and labels of the neural LTV predictor. */
#include "clvsim/ltv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const feature_names[CLV_LTV_FEATURES] = {
    "log_recency_days", "log_repeat_purchases", "log_age_days", "log_mean_spend", "log_max_spend",
    "log_last_spend", "log_mean_gap_days", "has_repeat", "log_purchases_7d", "log_purchases_30d",
    "log_purchases_90d", "log_coupons", "log_coupon_age_days", "never_couponed", "holds_coupon",
    "stage_new", "stage_active", "stage_loyal", "stage_at_risk", "stage_churned", "log_btyd_margin"};

const char *clv_ltv_feature_name(int k) { return k >= 0 && k < CLV_LTV_FEATURES ? feature_names[k] : NULL; }

static double lg(double v) { return log1p(v > 0 ? v : 0); }

void clv_ltv_features(const clv_sim_obs *o, const clv_btyd_value *btyd, double *x)
{
    const int repeat = o->purchases > 1, couponed = o->coupons > 0;
    x[0] = lg(o->recency_days);
    x[1] = lg(o->purchases - 1);
    x[2] = lg(o->age_days);
    x[3] = lg(o->purchases > 0 ? o->total_spend / o->purchases : 0);
    x[4] = lg(o->max_spend);
    x[5] = lg(o->last_spend);
    x[6] = repeat ? lg(o->mean_gap_days) : 0;
    x[7] = repeat;
    for (int k = 0; k < 3; k++)
        x[8 + k] = lg(o->recent[k]);
    x[11] = lg(o->coupons);
    x[12] = couponed ? lg(o->coupon_age_days) : 0;
    x[13] = !couponed;
    x[14] = o->holds_coupon != 0;
    for (int s = 0; s < CLV_STAGE_N; s++)
        x[15 + s] = o->stage == s;
    x[20] = btyd ? lg(clv_btyd_value_of(btyd, o)) : 0;
}

void clv_ltv_data_free(clv_ltv_data *d)
{
    if (!d)
        return;
    free(d->X), free(d->y), free(d->baseline);
    memset(d, 0, sizeof *d);
}

int clv_ltv_synthetic(const clv_scenario *scn0, uint64_t replication, int threads, clv_ltv_data *out,
                      clv_error *err)
{
    memset(out, 0, sizeof *out);
    clv_scenario scn = *scn0;
    scn.population.customers = scn0->ltv.synthetic_customers;
    scn.calendar.horizon_days = scn0->ltv.horizon_days;
    clv_sim_opts so;
    clv_sim_opts_default(&so);
    so.threads = threads;
    clv_sim *s = NULL;
    int st = clv_sim_alloc(&scn, &so, &s, err);
    if (st != CLV_OK)
        return st;
    const size_t cap = clv_sim_capacity(s);
    clv_sim_obs *obs = malloc(cap * sizeof *obs);
    double *margin = malloc(cap * sizeof *margin), *before = NULL;
    if (!obs || !margin)
        st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    if (st == CLV_OK)
        st = clv_sim_reset(s, (uint64_t)scn.scenario.seed, replication, err);
    const size_t n = st == CLV_OK ? clv_sim_customers(s) : 0;
    if (st == CLV_OK && n == 0)
        st = clv_error_set(err, CLV_EINPUT, NULL, 0, "ltv.synthetic_customers", "no customers to learn from");
    if (st == CLV_OK && (st = clv_sim_observe(s, 0, n, obs, err)) == CLV_OK) {
        out->n = n;
        out->X = malloc(n * CLV_LTV_FEATURES * sizeof *out->X);
        out->y = calloc(n, sizeof *out->y);
        out->baseline = calloc(n, sizeof *out->baseline);
        before = calloc(n, sizeof *before);
        if (!out->X || !out->y || !out->baseline || !before)
            st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    clv_btyd_value value;
    clv_btyd_value_init(&value, &scn);
    for (size_t i = 0; st == CLV_OK && i < n; i++)
        clv_ltv_features(&obs[i], scn.ltv.btyd_features ? &value : NULL, out->X + i * CLV_LTV_FEATURES);
    /* the horizon with no campaign, epoch by epoch: labels and the
     * baseline's increments, each discounted at the epoch's middle */
    const double rate = scn.ltv.discount ? scn.economics.annual_discount_rate : 0;
    const int32_t start = clv_sim_today(s);
    while (st == CLV_OK && !clv_sim_done(s)) {
        const int32_t t0 = clv_sim_today(s);
        if ((st = clv_sim_step(s, NULL, margin, err)) != CLV_OK)
            break;
        const int32_t t1 = clv_sim_done(s) ? start + scn.calendar.horizon_days : clv_sim_today(s);
        const double w = pow(1 + rate, -0.5 * (t0 + t1 - 2 * start) / 365.0);
        clv_btyd_value upto = value;
        upto.horizon = (t1 - start) / value.unit_days;
        for (size_t i = 0; i < n; i++) {
            out->y[i] += w * margin[i];
            const double cum = clv_btyd_value_of(&upto, &obs[i]);
            out->baseline[i] += w * (cum - before[i]);
            before[i] = cum;
        }
    }
    free(obs), free(margin), free(before);
    clv_sim_free(s);
    if (st != CLV_OK)
        clv_ltv_data_free(out);
    return st;
}
