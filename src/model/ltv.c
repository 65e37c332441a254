/* ltv.c - features and labels of the neural LTV predictor. */
#include "clvsim/ltv.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clvsim/date.h"
#include "btyd_internal.h"

static const char *const feature_names[CLV_LTV_FEATURES] = {
    "log_recency_days", "log_repeat_purchases", "log_age_days", "log_mean_spend", "log_max_spend",
    "log_last_spend", "log_mean_gap_days", "has_repeat", "log_purchases_7d", "log_purchases_30d",
    "log_purchases_90d", "log_coupons", "log_coupon_age_days", "never_couponed", "holds_coupon",
    "stage_new", "stage_active", "stage_loyal", "stage_at_risk", "stage_churned", "sin_last_purchase_doy",
    "cos_last_purchase_doy", "price_minus_list", "log_btyd_margin", "btyd_p_alive"};

const char *clv_ltv_feature_name(int k) { return k >= 0 && k < CLV_LTV_FEATURES ? feature_names[k] : NULL; }

/* log1p of the non-negative part; most features are counts of days or
 * purchases, whole numbers, whose log1p comes from a table made with
 * log1p itself (the same bits, without its cost per call) */
enum { LG_TABLE = 4096 };
static double lg_table[LG_TABLE];
static pthread_once_t lg_once = PTHREAD_ONCE_INIT;
static void lg_build(void)
{
    for (int k = 0; k < LG_TABLE; k++)
        lg_table[k] = log1p((double)k);
}

static double lg(double v)
{
    v = v > 0 ? v : 0;
    if (v < LG_TABLE && v == (double)(int)v)
        return lg_table[(int)v];
    return log1p(v);
}

void clv_ltv_features(const clv_sim_obs *o, const clv_btyd_value *btyd, double *x)
{
    clv__ltv_features_memo(o, btyd, NULL, x);
}

void clv__ltv_features_memo(const clv_sim_obs *o, const clv_btyd_value *btyd, clv__alive_memo *memo, double *x)
{
    pthread_once(&lg_once, lg_build);
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
    double value = 0, palive = 0;
    if (btyd)
        clv__btyd_value_palive_of(btyd, memo, o, &value, &palive);
    x[23] = btyd ? lg(value) : 0;
    x[24] = palive;
}

uint32_t clv_ltv_no_info(const double *X, size_t n)
{
    uint32_t mask = 0;
    for (int j = 0; j < CLV_LTV_FEATURES; j++) {
        double lo = INFINITY, hi = -INFINITY;
        int finite = n > 0;
        for (size_t i = 0; i < n && finite; i++) {
            const double v = X[i * CLV_LTV_FEATURES + j];
            finite = isfinite(v); /* a column with a NaN or an infinity is never constant */
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        const double mag = fabs(lo) > fabs(hi) ? fabs(lo) : fabs(hi);
        if (finite && hi - lo <= CLV_STANDARDIZE_MIN_REL * mag)
            mask |= (uint32_t)1 << j;
    }
    return mask;
}

/* the first feature of x that is not finite, -1 when all are */
static int bad_feature(const double *x)
{
    for (int j = 0; j < CLV_LTV_FEATURES; j++)
        if (!isfinite(x[j]))
            return j;
    return -1;
}

void clv_ltv_data_free(clv_ltv_data *d)
{
    if (!d)
        return;
    free(d->X), free(d->y), free(d->baseline), free(d->id);
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
    for (size_t i = 0; st == CLV_OK && i < n; i++) {
        clv_ltv_features(&obs[i], scn.ltv.btyd_features ? &value : NULL, out->X + i * CLV_LTV_FEATURES);
        const int j = bad_feature(out->X + i * CLV_LTV_FEATURES);
        if (j >= 0)
            st = clv_error_set(err, CLV_ENUMERIC, scn0->source, 0, "ltv",
                               "synthetic customer %zu: feature %s is %g; the scenario's population gives "
                               "non-finite features", i, clv_ltv_feature_name(j), out->X[i * CLV_LTV_FEATURES + j]);
    }
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
    for (size_t i = 0; st == CLV_OK && i < n; i++)
        if (!isfinite(out->y[i]) || !isfinite(out->baseline[i]))
            st = clv_error_set(err, CLV_ENUMERIC, scn0->source, 0, "ltv",
                               "synthetic customer %zu: label %g, BTYD baseline %g; expected finite numbers", i,
                               out->y[i], out->baseline[i]);
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
    /* the history up to the end of the calibration end, as the simulator's
     * observations hold it up to the end of their day (clv_sim_observe):
     * clv_btyd_summary_of gives back c's x, t_x and T */
    const int32_t today = t->calibration_end;
    const int32_t last = c->first_day + (int32_t)lround(c->t_x * ud);
    o->purchases = (int)c->x + 1;
    o->recency_days = today - last;
    o->age_days = today - c->first_day;
    o->total_spend = c->first_spend + c->mean_spend * c->x;
    o->first_spend = c->first_spend;
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

/* the ids of t into out->id: one block, the pointers then the strings */
static int copy_ids(const clv_rfm_table *t, clv_ltv_data *out, clv_error *err)
{
    size_t bytes = t->n * sizeof(char *);
    for (size_t i = 0; i < t->n; i++)
        bytes += strlen(t->id[i]) + 1;
    if (!(out->id = malloc(bytes ? bytes : 1)))
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    char *p = (char *)(out->id + t->n);
    for (size_t i = 0; i < t->n; i++) {
        const size_t len = strlen(t->id[i]) + 1;
        out->id[i] = memcpy(p, t->id[i], len);
        p += len;
    }
    return CLV_OK;
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
    for (size_t i = 0; st == CLV_OK && i < n; i++) {
        clv_sim_obs o;
        clv_ltv_obs_from_rfm(&t->c[i], t, &scn->lifecycle, &o);
        double *x = out->X + i * CLV_LTV_FEATURES;
        clv_ltv_features(&o, scn->ltv.btyd_features ? &value : NULL, x);
        out->y[i] = w * scn->economics.margin_rate * t->c[i].spend_holdout;
        out->baseline[i] = w * clv_btyd_value_rfm(&value, &t->c[i]); /* the reader's summary, as fit's */
        const int j = bad_feature(x);
        if (j >= 0)
            st = clv_error_set(err, CLV_ENUMERIC, d->transactions, 0, NULL, "customer %s: feature %s is %g; "
                               "expected a finite number", t->id[i], clv_ltv_feature_name(j), x[j]);
        else if (!isfinite(out->y[i]) || !isfinite(out->baseline[i]))
            st = clv_error_set(err, CLV_ENUMERIC, d->transactions, 0, NULL, "customer %s: label %g, BTYD baseline "
                               "%g; expected finite numbers", t->id[i], out->y[i], out->baseline[i]);
    }
    if (st == CLV_OK)
        st = copy_ids(t, out, err);
    clv_rfm_free(t);
    if (st != CLV_OK)
        clv_ltv_data_free(out);
    return st;
}

void clv_ltv_config_of(const clv_scenario *scn, clv_ltv_config *c)
{
    memset(c, 0, sizeof *c); /* the split record and the calibration: none */
    c->horizon_days = scn->ltv.horizon_days;
    c->discount = scn->ltv.discount;
    c->annual_discount_rate = scn->economics.annual_discount_rate;
    c->margin_rate = scn->economics.margin_rate;
    c->lifecycle = scn->lifecycle;
    c->btyd_features = scn->ltv.btyd_features;
    c->btyd_model = scn->population.model;
    c->reader_recorded = scn->data.transactions[0] && scn->ltv.real_fraction > 0;
    c->reader = scn->data;
}

static const char *const reader_keys[] = {
    "data.delimiter",     "data.header",       "data.customer_column", "data.date_column",
    "data.amount_column", "data.quantity_column", "data.amount_kind",  "data.date_format",
    "data.date_pattern",  "data.skip_malformed", "data.skip_missing_customer", "data.unit"};
enum { N_READER_KEYS = sizeof reader_keys / sizeof reader_keys[0] };

const char *const *clv_ltv_reader_keys(size_t *n)
{
    *n = N_READER_KEYS;
    return reader_keys;
}

int clv_ltv_config_text(const clv_ltv_config *c, char *buf, size_t size, clv_error *err)
{
    if (!c->reader_recorded) {
        if (size)
            buf[0] = '\0';
        return CLV_OK;
    }
    clv_scenario *scn = malloc(sizeof *scn);
    if (!scn)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    int st = clv_scn_defaults(scn, err);
    scn->data = c->reader;
    if (st == CLV_OK)
        st = clv_scn_keys_text(scn, reader_keys, N_READER_KEYS, buf, size, err);
    free(scn);
    return st;
}

void clv_ltv_config_reader(const clv_ltv_config *c, clv_txlog_opts *o, int *unit)
{
    if (c->reader_recorded) {
        clv_txlog_opts_from_scenario(o, &c->reader);
        *unit = c->reader.unit;
    } else {
        clv_txlog_opts_default(o);
        *unit = CLV_UNIT_WEEK;
    }
}

int clv_ltv_config_read_text(const char *text, const char *origin, clv_ltv_config *c, clv_error *err)
{
    clv_scenario *scn = malloc(sizeof *scn);
    if (!scn)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    int st = clv_scn_defaults(scn, err);
    const char *p = text + strspn(text, " \t\r\n");
    if (st == CLV_OK && *p)
        st = clv_scn_read_keys(scn, text, reader_keys, N_READER_KEYS, origin, err);
    if (st == CLV_OK) {
        c->reader = scn->data;
        c->reader_recorded = *p != '\0';
    }
    free(scn);
    return st;
}

/* the calibration into numbers 48 .. 63 (0 when there is none) */
static void calib_pack(const clv_ltv_config *c, double *meta)
{
    double *m = meta + CLV_LTV_META_CALIB;
    if (!c->calibrated)
        return;
    m[0] = 1, m[1] = c->sigma_max;
    for (int k = 0; k < c->calib.knots; k++)
        m[2 + k] = c->calib.pred[k], m[2 + CLV_CALIB_KNOTS + k] = c->calib.value[k];
}

/* the calibration from numbers 48 .. 63, checked; its cap from label_max */
static int calib_unpack(const double *meta, clv_ltv_config *c, clv_error *err)
{
    const double *m = meta + CLV_LTV_META_CALIB;
    const int n = CLV_LTV_META_CALIB_END - CLV_LTV_META_CALIB;
    if (m[0] == 0) {
        for (int k = 1; k < n; k++)
            if (m[k] != 0)
                return clv_error_set(err, CLV_EINPUT, NULL, 0, "calibration", "the network's setting %d is %g "
                                     "without a calibration (setting %d is 0); expected 0", CLV_LTV_META_CALIB + k,
                                     m[k], CLV_LTV_META_CALIB);
        return CLV_OK; /* a file of before the calibration */
    }
    if (m[0] != 1)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "calibration", "the network's calibration is of layout %g; "
                             "expected 0 (none) or 1", m[0]);
    if (!(m[1] >= 0 && m[1] <= DBL_MAX))
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "calibration", "the network's bound of sigma is %g; expected "
                             "a finite number >= 0", m[1]);
    const double *p = m + 2, *v = m + 2 + CLV_CALIB_KNOTS;
    int K = 0;
    while (K < CLV_CALIB_KNOTS && p[K] > 0)
        K++;
    for (int k = 0; k < CLV_CALIB_KNOTS; k++) {
        const int used = k < K;
        const int ok = used ? p[k] <= DBL_MAX && (k == 0 || p[k] > p[k - 1]) && v[k] >= 0 && v[k] <= DBL_MAX &&
                                  (k == 0 || v[k] >= v[k - 1])
                            : p[k] == 0 && v[k] == 0;
        if (!ok)
            return clv_error_set(err, CLV_EINPUT, NULL, 0, "calibration", "the network's calibration knot %d is "
                                 "(%g, %g); expected predictions above 0 and increasing, values finite, >= 0 and "
                                 "non-decreasing, and (0, 0) after the last knot", k + 1, p[k], v[k]);
    }
    for (int k = 2 + 2 * CLV_CALIB_KNOTS; k < n; k++)
        if (m[k] != 0)
            return clv_error_set(err, CLV_EINPUT, NULL, 0, "calibration", "the network's setting %d (unused by the "
                                 "calibration) is %g; expected 0", CLV_LTV_META_CALIB + k, m[k]);
    c->calibrated = 1, c->sigma_max = m[1];
    c->calib.knots = K;
    memcpy(c->calib.pred, p, (size_t)K * sizeof *p);
    memcpy(c->calib.value, v, (size_t)K * sizeof *v);
    c->calib.cap = c->label_max > 0 ? CLV_LTV_ABOVE_LABELS * c->label_max : INFINITY;
    return CLV_OK;
}

double clv_ltv_value_of(const clv_ltv_config *c, int loss, const double *r, int *cut)
{
    if (cut)
        *cut = 0;
    if (!c->calibrated)
        return loss == CLV_LOSS_ZILN ? clv_ziln_mean(r[0], r[1], r[2]) : r[0];
    const double raw = loss == CLV_LOSS_ZILN ? clv_ziln_mean_bounded(r[0], r[1], r[2], c->sigma_max) : r[0];
    clv_value_calib open = c->calib;
    open.cap = INFINITY;
    const double v = clv_value_calib_apply(&open, raw);
    if (cut)
        *cut = v > c->calib.cap;
    return v > c->calib.cap ? c->calib.cap : v;
}

static int meta_int(const double *meta, int k, const char *key, int lo, int hi, int *v, clv_error *err);
static int meta_real(const double *meta, int k, const char *key, double lo, double hi, double *v, clv_error *err);

/* the split record in meta numbers 13..47 (clvsim/ltv.h); kind 0 stays zeros */
enum { META_SPLIT = 13, META_SPLIT_END = 48 };
static void split_pack(const clv_ltv_split_record *r, double *meta)
{
    if (r->kind == CLV_LTV_SPLIT_UNKNOWN)
        return;
    double *m = meta + META_SPLIT;
    m[0] = r->kind, m[1] = r->holdout_fraction;
    m[2] = (double)(r->hash >> 32), m[3] = (double)(r->hash & 0xffffffffu);
    m[4] = r->n_train, m[5] = r->n_val, m[6] = r->n_test, m[7] = r->unlisted, m[8] = r->unknown;
    m[9] = r->folds, m[10] = r->search, m[11] = r->trials, m[12] = isfinite(r->cv_score) ? r->cv_score : 0;
    m[13] = isfinite(r->cv_sd) ? r->cv_sd : 0;
    m[14] = r->loss, m[15] = r->learning_rate, m[16] = r->weight_decay, m[17] = r->dropout, m[18] = r->n_hidden;
    for (int k = 0; k < r->n_hidden && k < CLV_MAX_LAYERS; k++)
        m[19 + k] = r->hidden[k];
}

static int count_ok(double x)
{
    return x >= 0 && x <= 9007199254740992.0 && x == floor(x);
}

static int split_bad(int k, double v, const char *expected, clv_error *err)
{
    return clv_error_set(err, CLV_EINPUT, NULL, 0, "split", "the network's split setting %d is %g; expected %s", k,
                         v, expected);
}

/* the split record back from meta numbers 13..47: all zeros, or a record in range */
static int split_unpack(const double *meta, clv_ltv_split_record *r, clv_error *err)
{
    const double *m = meta + META_SPLIT;
    memset(r, 0, sizeof *r);
    if (m[0] == 0) {
        for (int k = META_SPLIT + 1; k < META_SPLIT_END; k++)
            if (meta[k] != 0)
                return split_bad(k, meta[k], "0 (the split's kind, setting 13, is 0: not recorded)", err);
        return CLV_OK;
    }
    if (m[0] != CLV_LTV_SPLIT_KEYED && m[0] != CLV_LTV_SPLIT_FILE)
        return split_bad(META_SPLIT, m[0], "0, 1 (keyed fraction) or 2 (file)", err);
    r->kind = (int)m[0];
    if (!(m[1] >= 0 && m[1] < 1))
        return split_bad(META_SPLIT + 1, m[1], "a fraction in [0, 1)", err);
    r->holdout_fraction = m[1];
    for (int k = 2; k <= 3; k++)
        if (!(m[k] >= 0 && m[k] <= 4294967295.0 && m[k] == floor(m[k])))
            return split_bad(META_SPLIT + k, m[k], "an integer in [0, 2^32)", err);
    r->hash = (uint64_t)m[2] << 32 | (uint64_t)m[3];
    for (int k = 4; k <= 8; k++)
        if (!count_ok(m[k]))
            return split_bad(META_SPLIT + k, m[k], "an integer in [0, 2^53]", err);
    r->n_train = m[4], r->n_val = m[5], r->n_test = m[6], r->unlisted = m[7], r->unknown = m[8];
    int st;
    if ((st = meta_int(meta, META_SPLIT + 9, "ltv.folds", 0, 20, &r->folds, err)) ||
        (st = meta_int(meta, META_SPLIT + 10, "ltv.search", 0, 2, &r->search, err)) ||
        (st = meta_int(meta, META_SPLIT + 11, "ltv.trials", 0, 1000, &r->trials, err)) ||
        (st = meta_real(meta, META_SPLIT + 12, "split", -1, 1, &r->cv_score, err)) ||
        (st = meta_real(meta, META_SPLIT + 13, "split", 0, 2, &r->cv_sd, err)) ||
        (st = meta_int(meta, META_SPLIT + 14, "ltv.loss", 0, 1, &r->loss, err)) ||
        (st = meta_real(meta, META_SPLIT + 15, "ltv.learning_rate", 0, 1, &r->learning_rate, err)) ||
        (st = meta_real(meta, META_SPLIT + 16, "ltv.weight_decay", 0, 1, &r->weight_decay, err)) ||
        (st = meta_real(meta, META_SPLIT + 17, "ltv.dropout", 0, 0.9, &r->dropout, err)) ||
        (st = meta_int(meta, META_SPLIT + 18, "ltv.hidden", 1, CLV_MAX_LAYERS, &r->n_hidden, err)))
        return st;
    for (int k = 0; k < CLV_MAX_LAYERS; k++) {
        const int j = META_SPLIT + 19 + k;
        if (k < r->n_hidden && (st = meta_int(meta, j, "ltv.hidden", 1, CLV_LTV_MAX_WIDTH, &r->hidden[k], err)))
            return st;
        if (k >= r->n_hidden && meta[j] != 0)
            return split_bad(j, meta[j], "0 (past the hidden layers)", err);
    }
    for (int k = META_SPLIT + 19 + CLV_MAX_LAYERS; k < META_SPLIT_END; k++)
        if (meta[k] != 0)
            return split_bad(k, meta[k], "0 (unused)", err);
    return CLV_OK;
}

void clv_ltv_config_pack(const clv_ltv_config *c, double *meta)
{
    const double v[13] = {1, c->horizon_days, c->discount, c->annual_discount_rate, c->margin_rate,
                          c->lifecycle.new_days, c->lifecycle.active_days, c->lifecycle.churned_days,
                          c->lifecycle.loyal_purchases, c->btyd_features, c->btyd_model, c->label_max,
                          c->n_train};
    memset(meta, 0, CLV_MLP_META * sizeof *meta);
    memcpy(meta, v, sizeof v); /* meta[0] = 1: the layout of this version */
    split_pack(&c->split, meta);
    calib_pack(c, meta);
}

/* meta[k] as an integer in [lo, hi] into *v; else err on the setting `key` */
static int meta_int(const double *meta, int k, const char *key, int lo, int hi, int *v, clv_error *err)
{
    const double x = meta[k];
    /* compared as a double before the cast, which would be undefined out of range */
    if (!(x >= lo && x <= hi && x == floor(x)))
        return clv_error_set(err, CLV_EINPUT, NULL, 0, key, "the network's setting is %g; expected an integer in "
                             "[%d, %d]", x, lo, hi);
    *v = (int)x;
    return CLV_OK;
}

static int meta_real(const double *meta, int k, const char *key, double lo, double hi, double *v, clv_error *err)
{
    if (!(meta[k] >= lo && meta[k] <= hi) && hi == DBL_MAX)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, key, "the network's setting is %g; expected a finite number "
                             ">= %g", meta[k], lo);
    if (!(meta[k] >= lo && meta[k] <= hi))
        return clv_error_set(err, CLV_EINPUT, NULL, 0, key, "the network's setting is %g; expected a number in "
                             "[%g, %g]", meta[k], lo, hi);
    *v = meta[k];
    return CLV_OK;
}

int clv_ltv_config_unpack(const double *meta, clv_ltv_config *c, clv_error *err)
{
    memset(c, 0, sizeof *c);
    if (meta[0] != 1)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "the network's settings are of layout %g; expected "
                             "layout 1 (clvsim train-ltv's)", meta[0]);
    /* the ranges of the scenario keys they were saved from (scenarios/README.md) */
    clv_scn_lifecycle *lc = &c->lifecycle;
    int st;
    if ((st = meta_int(meta, 1, "ltv.horizon_days", 1, 3650, &c->horizon_days, err)) ||
        (st = meta_int(meta, 2, "ltv.discount", 0, 1, &c->discount, err)) ||
        (st = meta_real(meta, 3, "economics.annual_discount_rate", 0, 1, &c->annual_discount_rate, err)) ||
        (st = meta_real(meta, 4, "economics.margin_rate", 0, 1, &c->margin_rate, err)) ||
        (st = meta_int(meta, 5, "lifecycle.new_days", 1, 3650, &lc->new_days, err)) ||
        (st = meta_int(meta, 6, "lifecycle.active_days", lc->new_days, 3650, &lc->active_days, err)) ||
        (st = meta_int(meta, 7, "lifecycle.churned_days", lc->active_days + 1, 3650, &lc->churned_days, err)) ||
        (st = meta_int(meta, 8, "lifecycle.loyal_purchases", 2, 1000, &lc->loyal_purchases, err)) ||
        (st = meta_int(meta, 9, "ltv.btyd_features", 0, 1, &c->btyd_features, err)) ||
        (st = meta_int(meta, 10, "population.model", 0, CLV_BTYD_N_TYPES - 1, &c->btyd_model, err)) ||
        (st = meta_real(meta, 11, "label_max", 0, DBL_MAX, &c->label_max, err)))
        return st;
    /* a count of rows: an integer a double holds exactly */
    c->n_train = meta[12];
    if (!(c->n_train >= 0 && c->n_train <= 9007199254740992.0 && c->n_train == floor(c->n_train)))
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "n_train", "the network's setting is %g; expected an integer "
                             "in [0, 2^53]", c->n_train);
    /* numbers 13..47 are the split record (0 in files before it: files of
     * version 02 have 16 numbers, read with the rest 0); 48 to
     * 63 the calibration (calib_unpack) */
    if ((st = split_unpack(meta, &c->split, err)) != CLV_OK)
        return st;
    for (int k = META_SPLIT_END; k < CLV_MLP_META; k++)
        if ((k < CLV_LTV_META_CALIB || k >= CLV_LTV_META_CALIB_END) && meta[k] != 0)
            return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "the network's setting %d (unused in layout 1) is "
                                 "%g; expected 0", k, meta[k]);
    return calib_unpack(meta, c, err);
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
    clv__alive_memo *memo;      /* of the BTYD features' series (one thread at a time, as X) */
    clv_ltv_diag diag;
};

void clv_ltv_model_free(clv_ltv_model *lm)
{
    if (!lm)
        return;
    clv_mlp_free(lm->net);
    free(lm->mean), free(lm->sd), free(lm->X), free(lm->out);
    clv__alive_memo_free(lm->memo);
    free(lm);
}

/* a network train-ltv makes (CLV_LTV_FEATURES inputs, 1 to CLV_MAX_LAYERS
 * hidden layers of at most CLV_LTV_MAX_WIDTH units, ZILN or MSE); else
 * CLV_EINPUT naming file (may be "") */
static int check_shape(const clv_mlp *net, int loss, const char *file, clv_error *err)
{
    const clv_mlp_spec *sp = clv_mlp_spec_of(net);
    int wide = -1;
    for (int l = 0; l < sp->n_hidden; l++)
        if (sp->hidden[l] > CLV_LTV_MAX_WIDTH)
            wide = l;
    if (sp->n_in == CLV_LTV_FEATURES && (loss == CLV_LOSS_ZILN || loss == CLV_LOSS_MSE) && sp->n_hidden >= 1 &&
        wide < 0 && sp->n_out == (loss == CLV_LOSS_ZILN ? 3 : 1))
        return CLV_OK;
    char why[120];
    if (wide >= 0)
        snprintf(why, sizeof why, "hidden layer %d has %d units", wide + 1, sp->hidden[wide]);
    else
        snprintf(why, sizeof why, "%d inputs, %d hidden layers and the %s loss", sp->n_in, sp->n_hidden,
                 loss == CLV_LOSS_ZILN ? "ZILN" : loss == CLV_LOSS_BCE ? "BCE" : "MSE");
    return clv_error_set(err, CLV_EINPUT, file, 0, NULL, "not a network of clvsim train-ltv (%s; expected the %d LTV "
                         "features, 1 to %d hidden layers of 1 to %d units, and the ZILN or MSE loss)", why,
                         CLV_LTV_FEATURES, CLV_MAX_LAYERS, CLV_LTV_MAX_WIDTH);
}

/* the rest of a model whose net, loss, mean, sd and cfg are set: the BTYD
 * model, the diagnostics and the batch buffers (frees lm on failure) */
static clv_ltv_model *finish(clv_ltv_model *lm, size_t max_batch, const clv_btyd_value *btyd, clv_error *err)
{
    lm->max_batch = max_batch;
    if (btyd)
        lm->btyd = *btyd, lm->have_btyd = 1;
    clv_ltv_model_diag_reset(lm);
    const size_t outs = (size_t)clv_mlp_spec_of(lm->net)->n_out;
    lm->X = malloc(max_batch * CLV_LTV_FEATURES * sizeof *lm->X);
    lm->out = malloc(max_batch * outs * sizeof *lm->out);
    lm->memo = lm->cfg.btyd_features ? clv__alive_memo_new() : NULL;
    if (!lm->X || !lm->out || (lm->cfg.btyd_features && !lm->memo)) {
        clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
        clv_ltv_model_free(lm);
        return NULL;
    }
    return lm;
}

clv_ltv_model *clv_ltv_model_load(const char *path, size_t max_batch, const clv_btyd_value *btyd, clv_error *err)
{
    clv_ltv_model *lm = calloc(1, sizeof *lm);
    if (!lm) {
        clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
        return NULL;
    }
    double meta[CLV_MLP_META];
    char text[CLV_MLP_TEXT_MAX];
    /* first with buffers for one row: the shape is checked against what
     * train-ltv makes before buffers for max_batch rows are allocated (a
     * small file with a layer of 100000 units would need gigabytes of them) */
    if (!(lm->net = clv_mlp_load(path, 1, &lm->loss, &lm->mean, &lm->sd, meta, NULL, err)) ||
        check_shape(lm->net, lm->loss, path, err) != CLV_OK) {
        clv_ltv_model_free(lm);
        return NULL;
    }
    clv_mlp_free(lm->net);
    free(lm->mean), free(lm->sd);
    lm->mean = lm->sd = NULL;
    if (!(lm->net = clv_mlp_load(path, max_batch, &lm->loss, &lm->mean, &lm->sd, meta, text, err))) {
        clv_ltv_model_free(lm);
        return NULL;
    }
    if (clv_ltv_config_unpack(meta, &lm->cfg, err) != CLV_OK) {
        if (err)
            snprintf(err->file, sizeof err->file, "%s", path);
        clv_ltv_model_free(lm);
        return NULL;
    }
    char origin[CLV_ERROR_FILE_MAX];
    snprintf(origin, sizeof origin, "%.900s (its reader record)", path);
    if (clv_ltv_config_read_text(text, origin, &lm->cfg, err) != CLV_OK) {
        clv_ltv_model_free(lm);
        return NULL;
    }
    return finish(lm, max_batch, btyd, err);
}

clv_ltv_model *clv_ltv_model_new(const clv_mlp *net, int loss, const double *mean, const double *sd,
                                 const clv_ltv_config *cfg, size_t max_batch, const clv_btyd_value *btyd,
                                 clv_error *err)
{
    if (check_shape(net, loss, "", err) != CLV_OK)
        return NULL;
    for (int j = 0; j < CLV_LTV_FEATURES; j++)
        if (!isfinite(mean[j]) || !(sd[j] > 0 && isfinite(sd[j]))) {
            clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "the standardisation of feature %s is mean %g, sd %g; "
                          "expected a finite mean and a finite sd above 0", clv_ltv_feature_name(j), mean[j], sd[j]);
            return NULL;
        }
    clv_ltv_model *lm = calloc(1, sizeof *lm);
    if (!lm) {
        clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
        return NULL;
    }
    clv_mlp_spec spec = *clv_mlp_spec_of(net);
    spec.max_batch = max_batch;
    const size_t np = clv_mlp_n_params(net);
    double *par = malloc(np * sizeof *par);
    lm->mean = malloc(CLV_LTV_FEATURES * sizeof *lm->mean);
    lm->sd = malloc(CLV_LTV_FEATURES * sizeof *lm->sd);
    if (!par || !lm->mean || !lm->sd) {
        free(par);
        clv_ltv_model_free(lm);
        clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
        return NULL;
    }
    if (!(lm->net = clv_mlp_alloc(&spec, err))) {
        free(par);
        clv_ltv_model_free(lm);
        return NULL;
    }
    /* the parameters as the network's file holds them (doubles), so that a
     * network saved and loaded predicts the same bits */
    clv_mlp_get_params(net, par);
    clv_mlp_set_params(lm->net, par);
    free(par);
    memcpy(lm->mean, mean, CLV_LTV_FEATURES * sizeof *lm->mean);
    memcpy(lm->sd, sd, CLV_LTV_FEATURES * sizeof *lm->sd);
    lm->loss = loss;
    lm->cfg = *cfg;
    return finish(lm, max_batch, btyd, err);
}

clv_ltv_model *clv_ltv_model_copy(const clv_ltv_model *lm, size_t max_batch, clv_error *err)
{
    return clv_ltv_model_new(lm->net, lm->loss, lm->mean, lm->sd, &lm->cfg, max_batch,
                             lm->have_btyd ? &lm->btyd : NULL, err);
}

const clv_ltv_config *clv_ltv_model_config(const clv_ltv_model *lm) { return &lm->cfg; }
int clv_ltv_model_loss(const clv_ltv_model *lm) { return lm->loss; }

void clv_ltv_model_set_btyd(clv_ltv_model *lm, const clv_btyd_value *btyd)
{
    lm->btyd = *btyd;
    lm->have_btyd = 1;
}

const clv_ltv_diag *clv_ltv_model_diag(const clv_ltv_model *lm) { return &lm->diag; }

void clv_ltv_model_diag_reset(clv_ltv_model *lm)
{
    memset(&lm->diag, 0, sizeof lm->diag);
    lm->diag.value_max = -INFINITY;
    const double n = lm->cfg.n_train;
    lm->diag.far_sd = n >= 1 ? (n - 1) / sqrt(n) : INFINITY;
}

/* sigma of the ZILN outputs, as clv_ziln_mean takes it */
static double softplus(double x) { return (x > 0 ? x : 0) + log1p(exp(-fabs(x))); }

/* the feature of standardised row z farthest from the training mean (a
 * non-finite one first), its distance in *dist */
static int farthest(const double *z, double *dist)
{
    int far = 0;
    for (int j = 0; j < CLV_LTV_FEATURES; j++) {
        if (!isfinite(z[j])) {
            *dist = z[j];
            return j;
        }
        if (fabs(z[j]) > fabs(z[far]))
            far = j;
    }
    *dist = fabs(z[far]);
    return far;
}

/* clv_ltv_model_predict, with the index of a row whose value is not finite in *bad */
static int predict_rows(clv_ltv_model *lm, const clv_sim_obs *obs, size_t n, double *value, double *p_buy,
                        size_t *bad, clv_error *err)
{
    if (lm->cfg.btyd_features && !lm->have_btyd)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "ltv", "the network uses the BTYD feature: give the BTYD "
                                                              "model of these customers (clv_ltv_model_set_btyd)");
    const size_t outs = lm->loss == CLV_LOSS_ZILN ? 3 : 1;
    clv_ltv_diag *dg = &lm->diag;
    const double above = CLV_LTV_ABOVE_LABELS * lm->cfg.label_max;
    for (size_t i0 = 0; i0 < n; i0 += lm->max_batch) {
        const size_t b = n - i0 < lm->max_batch ? n - i0 : lm->max_batch;
        for (size_t k = 0; k < b; k++)
            clv__ltv_features_memo(&obs[i0 + k], lm->cfg.btyd_features ? &lm->btyd : NULL, lm->memo,
                                   lm->X + k * CLV_LTV_FEATURES);
        clv_standardize_apply(lm->X, b, CLV_LTV_FEATURES, lm->mean, lm->sd);
        int st = clv_mlp_forward(lm->net, lm->X, b, lm->out, err);
        if (st != CLV_OK)
            return st;
        for (size_t k = 0; k < b; k++) {
            const double *r = lm->out + k * outs, *z = lm->X + k * CLV_LTV_FEATURES;
            int cut;
            const double v = clv_ltv_value_of(&lm->cfg, lm->loss, r, &cut);
            if (!isfinite(v)) {
                double dist;
                const int j = farthest(z, &dist);
                *bad = i0 + k;
                if (lm->loss == CLV_LOSS_ZILN)
                    return clv_error_set(err, CLV_ENUMERIC, NULL, 0, NULL, "the network's value is %g: the ZILN mean "
                                         "p exp(mu + sigma^2/2) of its outputs (logit %g, mu %g, sigma %g) is not "
                                         "finite; its farthest feature, %s, is %g sds from the training rows' mean",
                                         v, r[0], r[1], softplus(r[2]),
                                         clv_ltv_feature_name(j), dist);
                return clv_error_set(err, CLV_ENUMERIC, NULL, 0, NULL, "the network's value is %g; its farthest "
                                     "feature, %s, is %g sds from the training rows' mean", v,
                                     clv_ltv_feature_name(j), dist);
            }
            value[i0 + k] = v;
            if (p_buy)
                p_buy[i0 + k] = lm->loss == CLV_LOSS_ZILN ? 1 / (1 + exp(-r[0])) : NAN;
            /* the diagnostics */
            int far = 0;
            for (int j = 0; j < CLV_LTV_FEATURES; j++) {
                const double d = fabs(z[j]);
                dg->far_max = d > dg->far_max ? d : dg->far_max;
                if (d > dg->far_sd)
                    dg->far_by_feature[j]++, far = 1;
            }
            dg->predicted++;
            dg->far += (size_t)far;
            dg->above += (above > 0 && v > above) || cut;
            dg->value_max = v > dg->value_max ? v : dg->value_max;
        }
    }
    return CLV_OK;
}

int clv_ltv_model_predict(clv_ltv_model *lm, const clv_sim_obs *obs, size_t n, double *value, double *p_buy,
                          clv_error *err)
{
    size_t bad;
    const int st = predict_rows(lm, obs, n, value, p_buy, &bad, err);
    if (st == CLV_ENUMERIC && err)
        snprintf(err->field, sizeof err->field, "observation %zu", bad);
    return st;
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
        (*btyd)[i] = w * clv_btyd_value_rfm(&v, &tb->c[i]); /* the reader's summary, as fit's */
    }
    size_t bad = 0;
    if (st == CLV_OK && (st = predict_rows(lm, obs, n, *value, *p_buy, &bad, err)) == CLV_ENUMERIC && err) {
        snprintf(err->file, sizeof err->file, "%s", log);
        snprintf(err->field, sizeof err->field, "customer %s", tb->id[bad]);
    }
    free(obs);
    if (st != CLV_OK) {
        free(*value), free(*p_buy), free(*btyd);
        *value = *p_buy = *btyd = NULL;
    }
    return st;
}

/* ---- explanations (clvsim/explain.h) ---- */

static const char *const group_names[CLV_LTV_GROUPS] = {"recency", "frequency", "monetary", "tenure", "coupons",
                                                        "stage", "calendar", "price", "btyd"};
/* the group of each feature, in the order of feature_names */
static const int feature_groups[CLV_LTV_FEATURES] = {0, 1, 3, 2, 2, 2, 1, 1, 1, 1, 1, 4, 4,
                                                     4, 4, 5, 5, 5, 5, 5, 6, 6, 7, 8, 8};

const char *clv_ltv_group_name(int g) { return g >= 0 && g < CLV_LTV_GROUPS ? group_names[g] : NULL; }
const int *clv_ltv_feature_groups(void) { return feature_groups; }

int clv_ltv_explain_predict(void *model, const double *Z, size_t n, double *value, clv_error *err)
{
    clv_ltv_model *lm = model;
    const size_t outs = lm->loss == CLV_LOSS_ZILN ? 3 : 1;
    for (size_t i0 = 0; i0 < n; i0 += lm->max_batch) {
        const size_t b = n - i0 < lm->max_batch ? n - i0 : lm->max_batch;
        const int st = clv_mlp_forward(lm->net, Z + i0 * CLV_LTV_FEATURES, b, lm->out, err);
        if (st != CLV_OK)
            return st;
        for (size_t k = 0; k < b; k++)
            value[i0 + k] = clv_ltv_value_of(&lm->cfg, lm->loss, lm->out + k * outs, NULL);
    }
    return CLV_OK;
}

clv_explain_model clv_ltv_explain_model(clv_ltv_model *lm)
{
    return (clv_explain_model){clv_ltv_explain_predict, lm, CLV_LTV_FEATURES, lm->max_batch};
}

int clv_ltv_model_rows(const clv_ltv_model *lm, const clv_sim_obs *obs, size_t n, double *Z, clv_error *err)
{
    if (lm->cfg.btyd_features && !lm->have_btyd)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "ltv", "the network uses the BTYD feature: give the BTYD "
                                                              "model of these customers (clv_ltv_model_set_btyd)");
    for (size_t i = 0; i < n; i++)
        clv_ltv_features(&obs[i], lm->cfg.btyd_features ? &lm->btyd : NULL, Z + i * CLV_LTV_FEATURES);
    clv_standardize_apply(Z, n, CLV_LTV_FEATURES, lm->mean, lm->sd);
    return CLV_OK;
}

int clv_ltv_explain_table(clv_ltv_model *lm, const clv_rfm_table *t, const size_t *idx, size_t m, size_t B,
                          uint64_t seed, double *pred, double *base, double *phi, clv_error *err)
{
    const size_t n = t->n, K = CLV_LTV_FEATURES;
    if (m == 0)
        return CLV_OK;
    if (B > n)
        B = n;
    clv_sim_obs *obs = malloc((n ? n : 1) * sizeof *obs);
    double *Z = malloc((n ? n : 1) * K * sizeof *Z), *bg = malloc((B ? B : 1) * K * sizeof *bg);
    size_t *pick = malloc((B ? B : 1) * sizeof *pick);
    int st = obs && Z && bg && pick ? CLV_OK : clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    for (size_t i = 0; st == CLV_OK && i < n; i++)
        clv_ltv_obs_from_rfm(&t->c[i], t, &lm->cfg.lifecycle, &obs[i]);
    if (st == CLV_OK)
        st = clv_ltv_model_rows(lm, obs, n, Z, err);
    /* the background: B customers of the table, keyed */
    if (st == CLV_OK)
        st = clv_explain_background(n, B, seed, pick, err);
    for (size_t b = 0; st == CLV_OK && b < B; b++)
        memcpy(bg + b * K, Z + pick[b] * K, K * sizeof *bg);
    const clv_explain_model em = clv_ltv_explain_model(lm);
    for (size_t r = 0; st == CLV_OK && r < m; r++) {
        double *ph = phi + r * CLV_LTV_GROUPS;
        st = clv_shapley_groups(&em, Z + idx[r] * K, bg, B, feature_groups, CLV_LTV_GROUPS, ph, &pred[r], &base[r],
                                err);
        /* the attributions add up to prediction - baseline (efficiency) */
        double sum = 0;
        for (int g = 0; st == CLV_OK && g < CLV_LTV_GROUPS; g++)
            sum += ph[g];
        if (st == CLV_OK && !(fabs(sum - (pred[r] - base[r])) <= 1e-9 * (1 + fabs(pred[r]) + fabs(base[r]))))
            st = clv_error_set(err, CLV_ENUMERIC, NULL, 0, "customer", "the attributions of customer %s add up to "
                               "%.17g, not to its prediction less the baseline, %.17g", t->id[idx[r]], sum,
                               pred[r] - base[r]);
    }
    free(obs), free(Z), free(bg), free(pick);
    return st;
}
