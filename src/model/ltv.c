/* ltv.c - features and labels of the neural LTV predictor. */
#include "clvsim/ltv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clvsim/date.h"

static const char *const feature_names[CLV_LTV_FEATURES] = {
    "log_recency_days", "log_repeat_purchases", "log_age_days", "log_mean_spend", "log_max_spend",
    "log_last_spend", "log_mean_gap_days", "has_repeat", "log_purchases_7d", "log_purchases_30d",
    "log_purchases_90d", "log_coupons", "log_coupon_age_days", "never_couponed", "holds_coupon",
    "stage_new", "stage_active", "stage_loyal", "stage_at_risk", "stage_churned", "sin_last_purchase_doy",
    "cos_last_purchase_doy", "price_minus_list", "log_btyd_margin", "btyd_p_alive"};

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
    /* the calendar: the last purchase's day of the year, on a circle */
    int y, m, d;
    const int32_t last = o->today - (int32_t)lround(o->recency_days);
    clv_date_to_ymd(last, &y, &m, &d);
    const double doy = (double)(last - clv_date_from_ymd(y, 1, 1)), angle = 2 * M_PI * doy / 365.25;
    x[20] = sin(angle);
    x[21] = cos(angle);
    x[22] = o->price > 0 ? o->price - 1 : 0;
    x[23] = btyd ? lg(clv_btyd_value_of(btyd, o)) : 0;
    x[24] = btyd ? clv_btyd_palive_of(btyd, o) : 0;
}

void clv_ltv_data_free(clv_ltv_data *d)
{
    if (!d)
        return;
    free(d->X), free(d->y), free(d->baseline);
    memset(d, 0, sizeof *d);
}

int clv_ltv_synthetic(const clv_scenario *scn0, uint64_t replication, int threads, const clv_progress *progress,
                      clv_ltv_data *out, clv_error *err)
{
    memset(out, 0, sizeof *out);
    clv_scenario scn = *scn0;
    scn.population.customers = scn0->ltv.synthetic_customers;
    scn.calendar.horizon_days = scn0->ltv.horizon_days;
    clv_sim_opts so;
    clv_sim_opts_default(&so);
    so.threads = threads;
    so.progress = progress;
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
        if (clv_progress_poll(progress) != CLV_OK) {
            st = clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "cancelled");
            break;
        }
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

void clv_ltv_obs_from_rfm(const clv_rfm *c, const clv_rfm_table *t, const clv_scn_lifecycle *lc, clv_sim_obs *o)
{
    memset(o, 0, sizeof *o);
    const double ud = t->unit_days;
    const int32_t today = t->calibration_end + 1;
    const int32_t last = c->first_day + (int32_t)lround(c->t_x * ud);
    o->purchases = (int)c->x + 1;
    o->recency_days = today - last;
    o->age_days = today - c->first_day;
    o->total_spend = c->first_spend + c->mean_spend * c->x;
    o->last_spend = c->last_spend;
    o->max_spend = c->max_spend;
    o->mean_gap_days = c->x > 0 ? c->t_x * ud / c->x : 0;
    memcpy(o->recent, c->recent, sizeof o->recent);
    o->coupon_age_days = -1;
    o->stage = clv_stage_of(lc, t->calibration_end, c->first_day, last, o->purchases);
    o->price_level = -1;
    o->price = 1;
    o->today = today;
}

int clv_ltv_real(const clv_scenario *scn, int threads, const clv_progress *progress, clv_ltv_data *out,
                 clv_fit_result fits[2], clv_txlog_stats *stats, clv_error *err)
{
    memset(out, 0, sizeof *out);
    if (stats)
        memset(stats, 0, sizeof *stats);
    const clv_scn_data *d = &scn->data;
    int32_t cal;
    if (!d->transactions[0] || clv_date_parse(d->calibration_end, -1, &cal) != 0)
        return clv_error_set(err, CLV_EINPUT, scn->source, 0, "data.transactions",
                             "real examples need data.transactions and data.calibration_end (the cut-off)");
    const int32_t end = cal + scn->ltv.horizon_days;
    clv_txlog_opts ro;
    clv_txlog_opts_from_scenario(&ro, d);
    clv_rfm_table *t = NULL;
    int st = clv_rfm_read(d->transactions, &ro, cal, end, d->unit, progress, &t, err);
    if (st != CLV_OK)
        return st;
    if (stats)
        *stats = t->stats;
    if (t->stats.last_day < end) {
        char a[16], b[16];
        st = clv_error_set(err, CLV_EINPUT, d->transactions, 0, "ltv.horizon_days",
                           "the log's last purchase is on %s, before the cut-off %s plus ltv.horizon_days (%d days, "
                           "to %s): the labels would be cut short; shorten the horizon or move data.calibration_end",
                           clv_date_format(t->stats.last_day, a), d->calibration_end, scn->ltv.horizon_days,
                           clv_date_format(end, b));
        clv_rfm_free(t);
        return st;
    }
    clv_fit_opts fo;
    clv_fit_opts_scenario(&fo, scn, threads, progress);
    clv_btyd_value value;
    clv_btyd_value_init(&value, scn);
    if ((st = clv_btyd_fit_table(t, scn->population.model, &fo, &value.model, fits, err)) != CLV_OK) {
        clv_rfm_free(t);
        return st;
    }
    value.unit_days = t->unit_days;
    value.horizon = scn->ltv.horizon_days / t->unit_days;
    const double w = scn->ltv.discount ? pow(1 + scn->economics.annual_discount_rate,
                                             -0.5 * scn->ltv.horizon_days / 365.0)
                                       : 1;
    const size_t n = t->n;
    out->n = n;
    out->X = malloc(n * CLV_LTV_FEATURES * sizeof *out->X);
    out->y = malloc(n * sizeof *out->y);
    out->baseline = malloc(n * sizeof *out->baseline);
    if (!out->X || !out->y || !out->baseline) {
        clv_rfm_free(t);
        clv_ltv_data_free(out);
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        clv_sim_obs o;
        clv_ltv_obs_from_rfm(&t->c[i], t, &scn->lifecycle, &o);
        clv_ltv_features(&o, scn->ltv.btyd_features ? &value : NULL, out->X + i * CLV_LTV_FEATURES);
        out->y[i] = w * scn->economics.margin_rate * t->c[i].spend_holdout;
        out->baseline[i] = w * clv_btyd_value_of(&value, &o);
    }
    clv_rfm_free(t);
    return CLV_OK;
}

void clv_ltv_config_of(const clv_scenario *scn, clv_ltv_config *c)
{
    c->horizon_days = scn->ltv.horizon_days;
    c->discount = scn->ltv.discount;
    c->annual_discount_rate = scn->economics.annual_discount_rate;
    c->margin_rate = scn->economics.margin_rate;
    c->lifecycle = scn->lifecycle;
    c->btyd_features = scn->ltv.btyd_features;
    c->btyd_model = scn->population.model;
}

void clv_ltv_config_pack(const clv_ltv_config *c, double *meta)
{
    const double v[11] = {1, c->horizon_days, c->discount, c->annual_discount_rate, c->margin_rate,
                          c->lifecycle.new_days, c->lifecycle.active_days, c->lifecycle.churned_days,
                          c->lifecycle.loyal_purchases, c->btyd_features, c->btyd_model};
    memset(meta, 0, CLV_MLP_META * sizeof *meta);
    memcpy(meta, v, sizeof v); /* meta[0] = 1: the layout of this version */
}

void clv_ltv_config_unpack(const double *meta, clv_ltv_config *c)
{
    c->horizon_days = (int)meta[1];
    c->discount = (int)meta[2];
    c->annual_discount_rate = meta[3];
    c->margin_rate = meta[4];
    c->lifecycle = (clv_scn_lifecycle){(int)meta[5], (int)meta[6], (int)meta[7], (int)meta[8]};
    c->btyd_features = (int)meta[9];
    c->btyd_model = (int)meta[10];
}

struct clv_ltv_model {
    clv_mlp *net;
    int loss;
    double *mean, *sd;
    clv_ltv_config cfg;
    clv_btyd_value btyd;
    int have_btyd;
    double *X, *out;            /* max_batch x CLV_LTV_FEATURES, max_batch x outputs */
    size_t max_batch;
};

void clv_ltv_model_free(clv_ltv_model *lm)
{
    if (!lm)
        return;
    clv_mlp_free(lm->net);
    free(lm->mean), free(lm->sd), free(lm->X), free(lm->out);
    free(lm);
}

clv_ltv_model *clv_ltv_model_load(const char *path, size_t max_batch, const clv_btyd_value *btyd, clv_error *err)
{
    clv_ltv_model *lm = calloc(1, sizeof *lm);
    if (!lm) {
        clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
        return NULL;
    }
    double meta[CLV_MLP_META];
    lm->max_batch = max_batch;
    if (!(lm->net = clv_mlp_load(path, max_batch, &lm->loss, &lm->mean, &lm->sd, meta, err))) {
        clv_ltv_model_free(lm);
        return NULL;
    }
    clv_ltv_config_unpack(meta, &lm->cfg);
    if (meta[0] != 1 || clv_mlp_spec_of(lm->net)->n_in != CLV_LTV_FEATURES) {
        clv_error_set(err, CLV_EINPUT, path, 0, NULL, "not a network of clvsim train-ltv (its inputs are not the %d "
                      "LTV features)", CLV_LTV_FEATURES);
        clv_ltv_model_free(lm);
        return NULL;
    }
    if (btyd)
        lm->btyd = *btyd, lm->have_btyd = 1;
    const size_t outs = (size_t)clv_mlp_spec_of(lm->net)->n_out;
    lm->X = malloc(max_batch * CLV_LTV_FEATURES * sizeof *lm->X);
    lm->out = malloc(max_batch * outs * sizeof *lm->out);
    if (!lm->X || !lm->out) {
        clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
        clv_ltv_model_free(lm);
        return NULL;
    }
    return lm;
}

const clv_ltv_config *clv_ltv_model_config(const clv_ltv_model *lm) { return &lm->cfg; }

void clv_ltv_model_set_btyd(clv_ltv_model *lm, const clv_btyd_value *btyd)
{
    lm->btyd = *btyd;
    lm->have_btyd = 1;
}

int clv_ltv_model_predict(clv_ltv_model *lm, const clv_sim_obs *obs, size_t n, double *value, double *p_buy,
                          clv_error *err)
{
    if (lm->cfg.btyd_features && !lm->have_btyd)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "ltv", "the network uses the BTYD feature: give the BTYD "
                                                              "model of these customers (clv_ltv_model_set_btyd)");
    const size_t outs = lm->loss == CLV_LOSS_ZILN ? 3 : 1;
    for (size_t i0 = 0; i0 < n; i0 += lm->max_batch) {
        const size_t b = n - i0 < lm->max_batch ? n - i0 : lm->max_batch;
        for (size_t k = 0; k < b; k++)
            clv_ltv_features(&obs[i0 + k], lm->cfg.btyd_features ? &lm->btyd : NULL, lm->X + k * CLV_LTV_FEATURES);
        clv_standardize_apply(lm->X, b, CLV_LTV_FEATURES, lm->mean, lm->sd);
        int st = clv_mlp_forward(lm->net, lm->X, b, lm->out, err);
        if (st != CLV_OK)
            return st;
        for (size_t k = 0; k < b; k++) {
            const double *r = lm->out + k * outs;
            value[i0 + k] = lm->loss == CLV_LOSS_ZILN ? clv_ziln_mean(r[0], r[1], r[2]) : r[0];
            if (p_buy)
                p_buy[i0 + k] = lm->loss == CLV_LOSS_ZILN ? 1 / (1 + exp(-r[0])) : NAN;
        }
    }
    return CLV_OK;
}

int clv_ltv_predict_log(const char *log, const clv_txlog_opts *ro, int32_t cutoff, int unit, clv_ltv_model *lm,
                        int threads, const clv_progress *progress, clv_rfm_table **t, double **value, double **p_buy,
                        double **btyd, clv_error *err)
{
    *value = *p_buy = *btyd = NULL;
    int st = clv_rfm_read(log, ro, cutoff, -1, unit, progress, t, err);
    if (st != CLV_OK)
        return st;
    const clv_rfm_table *tb = *t;
    const clv_ltv_config *cfg = &lm->cfg;
    clv_fit_opts fo;
    clv_fit_opts_default(&fo);
    fo.threads = threads;
    fo.progress = progress;
    clv_btyd_value v = {{0}, tb->unit_days, cfg->horizon_days / tb->unit_days, cfg->margin_rate};
    if ((st = clv_btyd_fit_table(tb, cfg->btyd_model, &fo, &v.model, NULL, err)) != CLV_OK)
        return st;
    clv_ltv_model_set_btyd(lm, &v);
    const size_t n = tb->n;
    const double w = cfg->discount ? pow(1 + cfg->annual_discount_rate, -0.5 * cfg->horizon_days / 365.0) : 1;
    clv_sim_obs *obs = malloc(n * sizeof *obs);
    *value = malloc(n * sizeof **value), *p_buy = malloc(n * sizeof **p_buy), *btyd = malloc(n * sizeof **btyd);
    if (!obs || !*value || !*p_buy || !*btyd)
        st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    for (size_t i = 0; st == CLV_OK && i < n; i++) {
        clv_ltv_obs_from_rfm(&tb->c[i], tb, &cfg->lifecycle, &obs[i]);
        (*btyd)[i] = w * clv_btyd_value_of(&v, &obs[i]);
    }
    if (st == CLV_OK)
        st = clv_ltv_model_predict(lm, obs, n, *value, *p_buy, err);
    free(obs);
    if (st != CLV_OK) {
        free(*value), free(*p_buy), free(*btyd);
        *value = *p_buy = *btyd = NULL;
    }
    return st;
}
