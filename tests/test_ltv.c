/* test_ltv.c - the predictor's features and synthetic labels. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/model/btyd_internal.h"
#include "clvsim/date.h"
#include "clvsim/ltv.h"
#include "clvsim/policy.h"
#include "clvsim/study.h"
#include "harness.h"

/* every feature of a hand-made observation */
TEST(test_ltv_features)
{
    clv_sim_obs o;
    memset(&o, 0, sizeof o);
    o.stage = CLV_STAGE_AT_RISK, o.purchases = 3, o.recency_days = 40, o.age_days = 99, o.total_spend = 90;
    o.first_spend = 20;
    o.last_spend = 20, o.max_spend = 50, o.mean_gap_days = 29.5, o.recent[0] = 0, o.recent[1] = 0, o.recent[2] = 2;
    o.coupons = 0, o.coupon_age_days = -1;
    o.today = clv_date_from_ymd(2020, 4, 1); /* the last purchase 40 days before: 2020-02-21, day 51 of the year */
    o.price = 1.05;
    double x[CLV_LTV_FEATURES];
    clv_ltv_features(&o, NULL, x);
    const double a = 2 * M_PI * 51 / 365.25;
    const double expect[CLV_LTV_FEATURES] = {log(41), log(3), log(100), log(31), log(51), log(21), log(30.5), 1,
                                             0, 0, log(3), 0, 0, 1, 0, 0, 0, 0, 1, 0, sin(a), cos(a), 0.05, 0, 0};
    for (int k = 0; k < CLV_LTV_FEATURES; k++)
        if (!(fabs(x[k] - expect[k]) <= 1e-12)) /* (a NaN fails too) */
            harness_fail(__FILE__, __LINE__, "feature %d (%s) = %g, expected %g", k, clv_ltv_feature_name(k), x[k],
                         expect[k]);
    /* the BTYD features: the model's expected margin and P(alive) of the same
     * history in its unit (weeks): x = 2, t_x = 59 / 7, T = 99 / 7 */
    clv_scenario scn;
    clv_error err;
    if (clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err) == CLV_OK) {
        clv_btyd_value v;
        clv_btyd_value_init(&v, &scn);
        clv_ltv_features(&o, &v, x);
        CHECK_NEAR(x[24], clv_btyd_palive(&v.model, 2, 59 / 7.0, 99 / 7.0), 1e-12);
        const double ey = clv_btyd_expected(&v.model, 365 / 7.0, 2, 59 / 7.0, 99 / 7.0);
        /* Gamma-Gamma's mean of the 2 repeat purchases, (90 - 20) / 2, not of all 3 */
        CHECK_NEAR(x[23], log1p(0.3 * clv_gg_expected_spend(&v.model.spend, 2, 35) * ey), 1e-12);
        CHECK(x[24] > 0 && x[24] < 1);
    }
    /* one purchase and a coupon: no gap (indicator 0), the coupon's age */
    o.purchases = 1, o.coupons = 2, o.coupon_age_days = 6, o.holds_coupon = 1;
    clv_ltv_features(&o, NULL, x);
    CHECK_NEAR(x[6], 0, 0);
    CHECK_NEAR(x[7], 0, 0);
    CHECK_NEAR(x[11], log(3), 1e-12);
    CHECK_NEAR(x[12], log(7), 1e-12);
    CHECK_NEAR(x[13], 0, 0);
    CHECK_NEAR(x[14], 1, 0);
    CHECK_STR(clv_ltv_feature_name(CLV_LTV_FEATURES - 1), "btyd_p_alive");
    CHECK(clv_ltv_feature_name(CLV_LTV_FEATURES) == NULL);
}

/* labels: undiscounted, each customer's margin in the same world run with no
 * campaign; discounted, at most that and at least it discounted over the
 * whole horizon; the BTYD baseline (the world's own model, no seasonality)
 * has the labels' mean within 4 standard errors */
TEST(test_ltv_synthetic_labels)
{
    clv_scenario scn;
    clv_error err;
    if (clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err) != CLV_OK) {
        harness_fail(__FILE__, __LINE__, "%s", err.msg);
        return;
    }
    scn.ltv.synthetic_customers = 30000;
    scn.ltv.horizon_days = 182;
    scn.seasonality.enabled = 0;
    scn.ltv.discount = 0;
    clv_ltv_data d, dd;
    CHECK_INT(clv_ltv_synthetic(&scn, 5, 2, NULL, &d, &err), CLV_OK);
    scn.ltv.discount = 1;
    CHECK_INT(clv_ltv_synthetic(&scn, 5, 1, NULL, &dd, &err), CLV_OK);
    if (!d.y || !dd.y)
        return;
    CHECK_INT((int)d.n, 30000);
    /* the same world by clv_sim_run_margins */
    clv_scenario s2 = scn;
    s2.population.customers = 30000, s2.calendar.horizon_days = 182;
    clv_sim_opts so;
    clv_sim_opts_default(&so);
    clv_sim *s = NULL;
    CHECK_INT(clv_sim_alloc(&s2, &so, &s, &err), CLV_OK);
    CHECK_INT(clv_sim_reset(s, (uint64_t)scn.scenario.seed, 5, &err), CLV_OK);
    double *m = calloc(clv_sim_capacity(s), sizeof *m);
    CHECK_INT(clv_sim_run_margins(s, NULL, NULL, m, &err), CLV_OK);
    size_t same = 0, bounded = 0;
    const double floor_w = pow(1 + scn.economics.annual_discount_rate, -182 / 365.0);
    double sum_diff = 0, sum_sq = 0;
    for (size_t i = 0; i < d.n; i++) {
        same += d.y[i] == m[i];
        bounded += dd.y[i] <= d.y[i] + 1e-9 && dd.y[i] >= floor_w * d.y[i] - 1e-9;
        const double e = d.y[i] - d.baseline[i];
        sum_diff += e, sum_sq += e * e;
    }
    CHECK_INT((int)same, 30000);
    CHECK_INT((int)bounded, 30000);
    const double mean = sum_diff / (double)d.n, se = sqrt((sum_sq / (double)d.n - mean * mean) / (double)d.n);
    if (!(fabs(mean) < 4 * se))
        harness_fail(__FILE__, __LINE__, "labels minus BTYD baseline: mean %g, standard error %g", mean, se);
    free(m);
    clv_sim_free(s);
    clv_ltv_data_free(&d);
    clv_ltv_data_free(&dd);
}

/* a real customer seen as an observation at the end of the cut-off */
TEST(test_ltv_obs_from_rfm)
{
    char tmp[] = "/tmp/clvsim-ltvlog-XXXXXX";
    int fd = mkstemp(tmp);
    FILE *fp = fdopen(fd, "w");
    fputs("A,2020-01-01,10\nA,2020-01-01,5\nA,2020-03-01,40\nA,2020-03-25,7\nA,2020-04-10,100\n", fp);
    fclose(fp);
    clv_txlog_opts o;
    clv_txlog_opts_default(&o);
    clv_rfm_table *t = NULL;
    clv_error err;
    CHECK_INT(clv_rfm_read(tmp, &o, clv_date_from_ymd(2020, 3, 31), clv_date_from_ymd(2020, 6, 30), CLV_UNIT_WEEK,
                           NULL, &t, &err), CLV_OK);
    if (t) {
        clv_scn_lifecycle lc = {30, 90, 365, 3};
        clv_sim_obs ob;
        clv_ltv_obs_from_rfm(&t->c[0], t, &lc, &ob);
        CHECK_INT(ob.purchases, 3);
        CHECK_NEAR(ob.recency_days, 6, 0);      /* 2020-03-31 - 2020-03-25 */
        CHECK_NEAR(ob.age_days, 90, 0);         /* 2020-03-31 - 2020-01-01 */
        CHECK_NEAR(ob.first_spend, 15, 0);      /* 10 + 5 on the first day */
        CHECK_NEAR(ob.total_spend, 62, 1e-12);  /* 15 + 40 + 7 */
        CHECK_NEAR(ob.mean_gap_days, 42, 1e-9); /* 84 days over 2 gaps (weeks converted back) */
        CHECK_NEAR(ob.last_spend, 7, 0);
        CHECK_NEAR(ob.max_spend, 40, 0);
        CHECK(ob.recent[0] == 1 && ob.recent[1] == 1 && ob.recent[2] == 2);
        CHECK_INT(ob.stage, CLV_STAGE_LOYAL);   /* active, with 3 purchases >= 3 */
        CHECK_INT(ob.coupons, 0);
        CHECK_INT(ob.today, clv_date_from_ymd(2020, 3, 31));
        CHECK_NEAR(ob.price, 1, 0);
        /* the observation summarised again is the reader's summary: x, t_x and T to the bit, the
         * repeat mean (40 + 7) / 2 to rounding */
        clv_rfm c;
        clv_btyd_summary_of(&ob, t->unit_days, &c);
        CHECK(c.x == t->c[0].x && c.t_x == t->c[0].t_x && c.T == t->c[0].T);
        CHECK_NEAR(c.T, 90 / 7.0, 0);
        CHECK_NEAR(c.mean_spend, t->c[0].mean_spend, 1e-12 * t->c[0].mean_spend);
        CHECK_NEAR(t->c[0].mean_spend, 23.5, 1e-12);
        CHECK_INT(c.first_day, t->c[0].first_day);
        clv_rfm_free(t);
    }
    unlink(tmp);
}

/* a network of the LTV features with its standardisation and config (untrained: random weights) */
static clv_mlp *toy_network(const clv_scenario *scn, size_t max_batch, double *mean, double *sd, clv_ltv_config *cfg)
{
    clv_error err;
    clv_mlp_spec spec = {CLV_LTV_FEATURES, {8}, 1, 3, CLV_ACT_TANH, CLV_MLP_F32, max_batch};
    clv_mlp *m = clv_mlp_alloc(&spec, &err);
    if (!m)
        return NULL;
    clv_mlp_init(m, 3);
    for (int k = 0; k < CLV_LTV_FEATURES; k++)
        mean[k] = 0.1 * k, sd[k] = 1 + 0.05 * k;
    clv_ltv_config_of(scn, cfg);
    return m;
}

/* the environment of holiday's agents with n customers, its start observed */
static clv_sim_obs *observe_start(clv_scenario *scn, int64_t n, size_t *count)
{
    clv_error err;
    clv_sim_opts so;
    clv_sim_opts_default(&so);
    clv_sim *s = NULL;
    scn->population.customers = n;
    if (clv_sim_alloc(scn, &so, &s, &err) != CLV_OK || clv_sim_reset(s, 1, 0, &err) != CLV_OK) {
        clv_sim_free(s);
        return NULL;
    }
    *count = clv_sim_customers(s);
    clv_sim_obs *obs = malloc(*count * sizeof *obs);
    if (obs && clv_sim_observe(s, 0, *count, obs, &err) != CLV_OK)
        free(obs), obs = NULL;
    clv_sim_free(s);
    return obs;
}

/* batched inference: the same predictions as features, standardisation and
 * a forward pass done by hand, across batch boundaries */
/* the largest relative difference of got[0..n) from the value of network m
 * (ZILN) under config c computed on its own: the features of obs with
 * BTYD model v, standardised with mean and sd, a forward pass (X, o:
 * n x CLV_LTV_FEATURES and n x 3 of work space), clv_ltv_value_of */
static double worst_error(clv_mlp *m, const clv_ltv_config *c, const clv_sim_obs *obs, size_t n,
                          const clv_btyd_value *v, const double *mean, const double *sd, const double *got, double *X,
                          double *o)
{
    clv_error err;
    for (size_t i = 0; i < n; i++)
        clv_ltv_features(&obs[i], v, X + i * CLV_LTV_FEATURES);
    clv_standardize_apply(X, n, CLV_LTV_FEATURES, mean, sd);
    CHECK_INT(clv_mlp_forward(m, X, n, o, &err), CLV_OK);
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        const double want = clv_ltv_value_of(c, CLV_LOSS_ZILN, o + 3 * i, NULL);
        worst = harness_max(worst, fabs(got[i] - want) / fmax(1e-6, fabs(want)));
    }
    return worst;
}

TEST(test_ltv_model_batched)
{
    clv_scenario scn;
    clv_error err;
    if (clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err) != CLV_OK)
        return;
    size_t n = 0;
    clv_sim_obs *obs = observe_start(&scn, 300, &n);
    CHECK(obs != NULL && n <= 512);
    /* a network of the LTV features, saved with its config */
    double mean[CLV_LTV_FEATURES], sd[CLV_LTV_FEATURES], meta[CLV_MLP_META];
    clv_ltv_config cfg;
    clv_mlp *m = toy_network(&scn, 512, mean, sd, &cfg);
    CHECK(m != NULL);
    if (!obs || !m) {
        free(obs), clv_mlp_free(m);
        return;
    }
    clv_ltv_config_pack(&cfg, meta);
    char path[] = "/tmp/clvsim-ltvmodel-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    CHECK_INT(clv_mlp_save(m, CLV_LOSS_ZILN, mean, sd, meta, NULL, path, &err), CLV_OK);
    clv_btyd_value v;
    clv_btyd_value_init(&v, &scn);
    clv_ltv_model *lm = clv_ltv_model_load(path, 7, NULL, &err); /* 7 rows a batch: many batches */
    CHECK(lm != NULL);
    double *got = malloc(n * sizeof *got), *X = malloc(n * CLV_LTV_FEATURES * sizeof *X), *o = malloc(n * 3 * sizeof *o);
    if (lm) {
        CHECK_INT(clv_ltv_model_config(lm)->horizon_days, scn.ltv.horizon_days);
        CHECK_INT(clv_ltv_model_predict(lm, obs, n, got, NULL, &err), CLV_EINPUT); /* no BTYD model given */
        clv_ltv_model_set_btyd(lm, &v);
        CHECK_INT(clv_ltv_model_predict(lm, obs, n, got, NULL, &err), CLV_OK);
        CHECK(worst_error(m, &cfg, obs, n, &v, mean, sd, got, X, o) < 1e-5); /* cfg: no calibration, the raw mean */
    }
    free(got), free(X), free(o), free(obs);
    clv_ltv_model_free(lm);
    clv_mlp_free(m);
    unlink(path);
}

/* m saved with mean, sd and meta at a new temporary file (its name into
 * path, a mkstemp template) and loaded for batches of max_batch with the
 * BTYD model v */
static clv_ltv_model *saved_loaded(const clv_mlp *m, const double *mean, const double *sd, const double *meta,
                                   char *path, size_t max_batch, const clv_btyd_value *v)
{
    clv_error err;
    int fd = mkstemp(path);
    if (fd >= 0)
        close(fd);
    CHECK_INT(clv_mlp_save(m, CLV_LOSS_ZILN, mean, sd, meta, NULL, path, &err), CLV_OK);
    return clv_ltv_model_load(path, max_batch, v, &err);
}

/* The reader record (the file's text, version 04): written as the reader
 * keys of the scenario, read back to the same data section; a record with
 * a value out of range, another key, a line that is not KEY = VALUE or an
 * inconsistent pair refused naming the key and line; a network with such a
 * record refused by clv_ltv_model_load; no record for a training on
 * synthetic customers only. */
TEST(test_ltv_reader_record)
{
    clv_scenario scn;
    clv_error err;
    CHECK_INT(clv_scn_defaults(&scn, &err), CLV_OK);
    clv_ltv_config c, back;
    clv_ltv_config_of(&scn, &c);
    CHECK_INT(c.reader_recorded, 0); /* no log */
    char text[CLV_MLP_TEXT_MAX];
    CHECK_INT(clv_ltv_config_text(&c, text, sizeof text, &err), CLV_OK);
    CHECK_STR(text, "");
    /* the UCI Online Retail log's reader (README) */
    clv_scn_data *d = &scn.data;
    d->delimiter = CLV_DELIM_COMMA, d->header = CLV_HEADER_YES, d->customer_column = 7, d->date_column = 5;
    d->amount_column = 6, d->quantity_column = 4, d->amount_kind = CLV_AMOUNT_UNIT_PRICE, d->unit = CLV_UNIT_DAY;
    d->skip_missing_customer = 1;
    snprintf(d->date_pattern, sizeof d->date_pattern, "%%m/%%d/%%Y %%H:%%M");
    clv_ltv_config_of(&scn, &c);
    c.reader_recorded = 1; /* as a training on a log */
    CHECK_INT(clv_ltv_config_text(&c, text, sizeof text, &err), CLV_OK);
    CHECK_STR(text, "data.delimiter = \"comma\"\ndata.header = \"yes\"\ndata.customer_column = 7\n"
                    "data.date_column = 5\ndata.amount_column = 6\ndata.quantity_column = 4\n"
                    "data.amount_kind = \"unit-price\"\ndata.date_format = \"auto\"\n"
                    "data.date_pattern = \"%m/%d/%Y %H:%M\"\ndata.skip_malformed = false\n"
                    "data.skip_missing_customer = true\ndata.unit = \"day\"\n");
    memset(&back, 0, sizeof back);
    CHECK_INT(clv_ltv_config_read_text(text, "net", &back, &err), CLV_OK);
    CHECK_INT(back.reader_recorded, 1);
    CHECK(memcmp(&back.reader, &c.reader, sizeof back.reader) == 0);
    /* the reader's options as clv_rfm_read takes them */
    clv_txlog_opts o;
    clv_txlog_opts_from_scenario(&o, &back.reader);
    CHECK(o.delimiter == CLV_DELIM_COMMA && o.customer_column == 7 && o.skip_missing_customer == 1 &&
          o.date_pattern && strcmp(o.date_pattern, "%m/%d/%Y %H:%M") == 0);
    /* a key left out keeps its default; "" is no record */
    CHECK_INT(clv_ltv_config_read_text("# a comment\n\n  data.customer_column = 4  \n", "net", &back, &err), CLV_OK);
    CHECK(back.reader_recorded == 1 && back.reader.customer_column == 4 && back.reader.date_column == 2);
    CHECK_INT(clv_ltv_config_read_text("", "net", &back, &err), CLV_OK);
    CHECK_INT(back.reader_recorded, 0);
    const struct {
        const char *text;
        int line;
        const char *field, *msg;
    } bad[] = {
        {"data.header = \"yes\"\ndata.delimiter = \"tab\"\n", 2, "data.delimiter",
         "expected one of \"auto\", \"whitespace\", \"comma\", got \"tab\""},
        {"data.customer_column = 65", 1, "data.customer_column", "expected an integer in [1, 64], got 65"},
        {"economics.margin_rate = 0.5", 1, "economics.margin_rate",
         "not a key accepted here; expected one of data.delimiter, data.header, data.customer_column, "
         "data.date_column, data.amount_column, data.quantity_column, data.amount_kind, data.date_format, "
         "data.date_pattern, data.skip_malformed, data.skip_missing_customer, data.unit"},
        {"data.delimiter \"comma\"", 1, "", "expected KEY = VALUE, got \"data.delimiter \"comma\"\""},
        {"data.amount_kind = \"unit-price\"", 0, "data.amount_kind",
         "\"unit-price\" needs a quantity column; set data.quantity_column"},
        {"data.date_pattern = \"%Q\"", 0, "data.date_pattern", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(clv_ltv_config_read_text(bad[i].text, "net (its reader record)", &back, &err), CLV_EINPUT);
        CHECK_STR(err.file, "net (its reader record)");
        CHECK_INT(err.line, bad[i].line);
        CHECK_STR(err.field, bad[i].field);
        if (bad[i].msg)
            CHECK_STR(err.msg, bad[i].msg);
    }
    /* a network file with a bad record is no network of train-ltv */
    double mean[CLV_LTV_FEATURES], sd[CLV_LTV_FEATURES], meta[CLV_MLP_META];
    clv_ltv_config tc;
    clv_mlp *m = toy_network(&scn, 8, mean, sd, &tc);
    CHECK(m != NULL);
    if (!m)
        return;
    clv_ltv_config_pack(&tc, meta);
    char dir[] = "/tmp/clvsim-ltvreader-XXXXXX", path[600];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/ltv.mlp", dir);
    CHECK_INT(clv_mlp_save(m, CLV_LOSS_ZILN, mean, sd, meta, "data.unit = \"month\"\n", path, &err), CLV_OK);
    CHECK(clv_ltv_model_load(path, 8, NULL, &err) == NULL);
    char want[700];
    snprintf(want, sizeof want, "%s (its reader record)", path);
    CHECK_STR(err.file, want);
    CHECK_STR(err.field, "data.unit");
    /* and one with a good record loads with it */
    CHECK_INT(clv_mlp_save(m, CLV_LOSS_ZILN, mean, sd, meta, text, path, &err), CLV_OK);
    clv_ltv_model *lm = clv_ltv_model_load(path, 8, NULL, &err);
    CHECK(lm != NULL);
    if (lm) {
        const clv_ltv_config *lc = clv_ltv_model_config(lm);
        CHECK(lc->reader_recorded == 1 && memcmp(&lc->reader, &c.reader, sizeof c.reader) == 0);
        CHECK_INT(lc->horizon_days, tc.horizon_days);
    }
    clv_ltv_model_free(lm);
    clv_mlp_free(m);
    unlink(path);
    rmdir(dir);
}

/* a calibrated config of label_max 40: sigma at most 1.1, a map of 4 knots */
static void calibrated_config(clv_ltv_config *c)
{
    c->label_max = 40, c->n_train = 1000;
    c->calibrated = 1, c->sigma_max = 1.1;
    const double p[4] = {0.5, 2, 8, 30}, v[4] = {0.2, 1.5, 5, 21};
    memset(&c->calib, 0, sizeof c->calib);
    c->calib.knots = 4;
    memcpy(c->calib.pred, p, sizeof p), memcpy(c->calib.value, v, sizeof v);
    c->calib.cap = CLV_LTV_ABOVE_LABELS * c->label_max;
}

/* the calibrated value never exceeds the bound it states (3 x the largest
 * training label) nor goes below 0, whatever the head outputs, and the
 * bounded ZILN mean is never above p exp(mu + sigma_max^2 / 2) */
TEST(test_ltv_calibrated_bound)
{
    clv_ltv_config c;
    memset(&c, 0, sizeof c);
    calibrated_config(&c);
    const double cap = CLV_LTV_ABOVE_LABELS * 40.0;
    const double logits[] = {-800, -40, -1, 0, 2, 40, 800};
    const double mus[] = {-800, -50, -3, 0, 1, 3, 5, 50, 700, 800, 1e6};
    const double ss[] = {-800, -5, 0, 0.5, 1, 3, 30, 800, 1e6};
    size_t cuts = 0, n = 0;
    for (size_t a = 0; a < sizeof logits / sizeof *logits; a++)
        for (size_t b = 0; b < sizeof mus / sizeof *mus; b++)
            for (size_t k = 0; k < sizeof ss / sizeof *ss; k++) {
                const double r[3] = {logits[a], mus[b], ss[k]};
                int cut;
                const double v = clv_ltv_value_of(&c, CLV_LOSS_ZILN, r, &cut);
                CHECK(v >= 0 && v <= cap);
                const double raw = clv_ziln_mean_bounded(r[0], r[1], r[2], 1.1);
                /* in logs: log p = -log(1 + e^-logit) */
                const double lp = r[0] < 0 ? r[0] - log1p(exp(r[0])) : -log1p(exp(-r[0]));
                const double lref = lp + r[1] + 0.5 * 1.1 * 1.1;
                /* (inf only where the bound itself is beyond DBL_MAX) */
                CHECK(!(log(raw) > lref + 1e-12 * (1 + fabs(lref))) || (isinf(raw) && lref > log(DBL_MAX)));
                /* cut exactly when the map's value is above the cap */
                const double open = raw <= 0.5 ? raw * 0.4 : raw >= 30 ? raw * 0.7 : NAN;
                if (!isnan(open))
                    CHECK_INT(cut, open > cap);
                cuts += (size_t)cut, n++;
            }
    CHECK(cuts > 0 && cuts < n);
    /* an MSE value goes through the map and the cap too */
    const double big = 1e300, neg = -5;
    CHECK_NEAR(clv_ltv_value_of(&c, CLV_LOSS_MSE, &big, NULL), cap, 0);
    CHECK_NEAR(clv_ltv_value_of(&c, CLV_LOSS_MSE, &neg, NULL), 0, 0);
    const double mid = 5; /* between knots (2, 1.5) and (8, 5): 1.5 + 3.5 / 2 */
    CHECK_NEAR(clv_ltv_value_of(&c, CLV_LOSS_MSE, &mid, NULL), 3.25, 1e-12);
    /* uncalibrated (a file of before): the raw ZILN mean, unbounded */
    c.calibrated = 0;
    const double r[3] = {0, 10, 5};
    CHECK_NEAR(clv_ltv_value_of(&c, CLV_LOSS_ZILN, r, NULL), clv_ziln_mean(0, 10, 5), 0);
}

/* the calibration is saved in numbers 48 to 63 of the network file and
 * back; a file without one (those numbers 0) loads uncalibrated, and a
 * loaded calibrated network predicts clv_ltv_value_of of its outputs */
TEST(test_ltv_calibrated_file)
{
    clv_scenario scn;
    clv_error err;
    if (clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err) != CLV_OK)
        return;
    double mean[CLV_LTV_FEATURES], sd[CLV_LTV_FEATURES], meta[CLV_MLP_META];
    clv_ltv_config cfg, back;
    clv_mlp *m = toy_network(&scn, 512, mean, sd, &cfg);
    CHECK(m != NULL);
    if (!m)
        return;
    /* before: numbers 48 .. 63 are 0 and the config is uncalibrated */
    clv_ltv_config_pack(&cfg, meta);
    for (int k = CLV_LTV_META_CALIB; k < CLV_LTV_META_CALIB_END; k++)
        CHECK_NEAR(meta[k], 0, 0);
    CHECK_INT(clv_ltv_config_unpack(meta, &back, &err), CLV_OK);
    CHECK_INT(back.calibrated, 0);
    calibrated_config(&cfg);
    clv_ltv_config_pack(&cfg, meta);
    CHECK_NEAR(meta[0], 1, 0);
    CHECK_NEAR(meta[48], 1, 0);
    CHECK_NEAR(meta[49], 1.1, 0);
    CHECK_NEAR(meta[50 + 3], 30, 0);
    CHECK_NEAR(meta[56 + 3], 21, 0);
    CHECK_INT(clv_ltv_config_unpack(meta, &back, &err), CLV_OK);
    CHECK(back.calibrated == 1 && back.sigma_max == 1.1 && back.calib.knots == 4 && back.calib.cap == 120 &&
          memcmp(back.calib.pred, cfg.calib.pred, sizeof cfg.calib.pred) == 0 &&
          memcmp(back.calib.value, cfg.calib.value, sizeof cfg.calib.value) == 0);
    /* bad numbers of the calibration are refused, naming it */
    const struct { int k; double v; } bad[] = {{48, 2}, {49, -1}, {49, INFINITY}, {51, 0.1}, {57, 0.1}, {55, 3},
                                               {62, 1}, {63, NAN}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        double mm[CLV_MLP_META];
        memcpy(mm, meta, sizeof mm);
        mm[bad[i].k] = bad[i].v;
        CHECK_INT(clv_ltv_config_unpack(mm, &back, &err), CLV_EINPUT);
        CHECK_STR(err.field, "calibration");
    }
    double zero[CLV_MLP_META];
    clv_ltv_config plain;
    clv_ltv_config_of(&scn, &plain);
    clv_ltv_config_pack(&plain, zero);
    zero[60] = 1; /* a knot's value without the calibration's layout */
    CHECK_INT(clv_ltv_config_unpack(zero, &back, &err), CLV_EINPUT);
    CHECK_STR(err.field, "calibration");
    /* saved and loaded, it predicts the calibrated value of its outputs */
    CHECK_INT(clv_ltv_config_unpack(meta, &back, &err), CLV_OK);
    char path[] = "/tmp/clvsim-ltvcal-XXXXXX";
    clv_btyd_value v;
    clv_btyd_value_init(&v, &scn);
    clv_ltv_model *lm = saved_loaded(m, mean, sd, meta, path, 64, &v);
    CHECK(lm != NULL);
    size_t n = 0;
    clv_sim_obs *obs = observe_start(&scn, 200, &n);
    double *got = malloc((n ? n : 1) * sizeof *got), *X = malloc((n ? n : 1) * CLV_LTV_FEATURES * sizeof *X);
    double *o = malloc((n ? n : 1) * 3 * sizeof *o);
    if (lm && obs && got && X && o && n > 0 && n <= 512) {
        CHECK_INT(clv_ltv_model_config(lm)->calibrated, 1);
        CHECK_INT(clv_ltv_model_predict(lm, obs, n, got, NULL, &err), CLV_OK);
        CHECK(worst_error(m, &back, obs, n, &v, mean, sd, got, X, o) < 1e-5);
        for (size_t i = 0; i < n; i++)
            CHECK(got[i] <= 120);
    } else {
        CHECK(0);
    }
    free(got), free(X), free(o), free(obs);
    clv_ltv_model_free(lm);
    clv_mlp_free(m);
    unlink(path);
}

/* ---- the LTV source of the agents (clv_ltv_source) ---- */

/* a network built in memory predicts the bits of the same network saved
 * and loaded, whatever the batch size, and a source's workers give those
 * bits too */
TEST(test_ltv_source_model_in_memory)
{
    clv_scenario scn;
    clv_error err;
    if (clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err) != CLV_OK)
        return;
    size_t n = 0;
    clv_sim_obs *obs = observe_start(&scn, 2500, &n);
    CHECK(obs != NULL && n > 2048);
    double mean[CLV_LTV_FEATURES], sd[CLV_LTV_FEATURES], meta[CLV_MLP_META];
    clv_ltv_config cfg;
    clv_mlp *m = toy_network(&scn, 16, mean, sd, &cfg);
    CHECK(m != NULL);
    cfg.label_max = 123, cfg.n_train = 1000;
    clv_ltv_config_pack(&cfg, meta);
    char path[] = "/tmp/clvsim-ltvsource-XXXXXX";
    clv_btyd_value v;
    clv_btyd_value_init(&v, &scn);
    clv_ltv_model *loaded = saved_loaded(m, mean, sd, meta, path, 7, &v);
    clv_ltv_model *built = clv_ltv_model_new(m, CLV_LOSS_ZILN, mean, sd, &cfg, 1000, &v, &err);
    CHECK(loaded && built);
    double *a = malloc(4 * n * sizeof *a), *b = a + n, *pa = a + 2 * n, *pb = a + 3 * n;
    if (loaded && built && obs) {
        CHECK(clv_ltv_model_config(built)->n_train == 1000 && clv_ltv_model_config(built)->label_max == 123);
        CHECK_INT(clv_ltv_model_predict(loaded, obs, n, a, pa, &err), CLV_OK);
        CHECK_INT(clv_ltv_model_predict(built, obs, n, b, pb, &err), CLV_OK);
        CHECK(memcmp(a, b, n * sizeof *a) == 0 && memcmp(pa, pb, n * sizeof *pa) == 0);
        /* the values vary (a constant would pass the comparisons trivially) and P(buy) is a probability */
        size_t differ = 0, prob = 0;
        for (size_t i = 0; i < n; i++)
            differ += a[i] != a[0], prob += pa[i] > 0 && pa[i] < 1;
        CHECK(differ > n / 2 && prob == n);
        /* a source of two workers: each worker, and blocks of any size, the same bits */
        clv_ltv_source *src = clv_ltv_source_new(&scn, built, 2, &err);
        CHECK(src != NULL);
        if (src) {
            CHECK_INT(clv_ltv_source_kind(src), CLV_LTV_MLP);
            CHECK_INT(clv_ltv_source_fill(src, 1, obs, 1024, b, pb, &err), CLV_OK);
            CHECK_INT(clv_ltv_source_fill(src, 0, obs + 1024, n - 1024, b + 1024, pb + 1024, &err), CLV_OK);
            CHECK(memcmp(a, b, n * sizeof *a) == 0 && memcmp(pa, pb, n * sizeof *pa) == 0);
            CHECK_INT(clv_ltv_source_fill(src, 2, obs, 1, b, pb, &err), CLV_EINPUT); /* no third worker */
            clv_ltv_source_free(src);
        }
        /* BTYD: its value, and P(alive) as the purchase probability */
        clv_ltv_source *bt = clv_ltv_source_new(&scn, NULL, 1, &err);
        CHECK(bt != NULL);
        if (bt) {
            CHECK_INT(clv_ltv_source_kind(bt), CLV_LTV_BTYD);
            CHECK_INT(clv_ltv_source_fill(bt, 0, obs, n, b, pb, &err), CLV_OK);
            size_t same = 0;
            for (size_t i = 0; i < n; i++)
                same += b[i] == clv_btyd_value_of(&v, &obs[i]) && pb[i] == clv_btyd_palive_of(&v, &obs[i]);
            CHECK(same == n);
            clv_ltv_source_free(bt);
        }
    }
    /* an sd of 0 is refused, as the file would be */
    sd[3] = 0;
    clv_ltv_model *bad = clv_ltv_model_new(m, CLV_LOSS_ZILN, mean, sd, &cfg, 8, NULL, &err);
    CHECK(bad == NULL);
    CHECK_INT(err.code, CLV_EINPUT);
    free(a), free(obs);
    clv_ltv_model_free(loaded), clv_ltv_model_free(built);
    clv_mlp_free(m);
    unlink(path);
}

/* training with the network's values and P(buy) bins: the same table on 1
 * and 2 threads; the P(buy) bins are fitted and in the fingerprint; with
 * no source (BTYD) the table is the one of an explicit BTYD source */
TEST(test_ltv_source_training_threads)
{
    clv_scenario scn;
    clv_error err;
    if (clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err) != CLV_OK)
        return;
    scn.agent.customers = 2500; /* three blocks of customers */
    scn.agent.episodes = 2;
    scn.agent.bins_pbuy_quantiles = 3;
    double mean[CLV_LTV_FEATURES], sd[CLV_LTV_FEATURES];
    clv_ltv_config cfg;
    clv_mlp *m = toy_network(&scn, 16, mean, sd, &cfg);
    clv_ltv_model *lm = m ? clv_ltv_model_new(m, CLV_LOSS_ZILN, mean, sd, &cfg, 1, NULL, &err) : NULL;
    CHECK(lm != NULL);
    clv_ltv_source *src = lm ? clv_ltv_source_new(&scn, lm, 2, &err) : NULL;
    CHECK(src != NULL);
    if (!src) {
        clv_ltv_model_free(lm), clv_mlp_free(m);
        return;
    }
    clv_train_result r[2];
    for (int t = 0; t < 2; t++)
        CHECK_INT(clv_agent_train(&scn, CLV_ALGO_Q, &(clv_train_opts){t + 1, NULL, NULL, NULL, NULL, src}, &r[t], &err),
                  CLV_OK);
    if (r[0].table && r[1].table) {
        const size_t SA = r[0].table->n_states * r[0].table->n_actions;
        CHECK(r[0].map.n_states == 3 * (r[0].map.n_states / 3) && r[0].map.n_pbuy == 3);
        CHECK(memcmp(r[0].table->q, r[1].table->q, SA * sizeof *r[0].table->q) == 0);
        CHECK(memcmp(r[0].table->visits, r[1].table->visits, SA * sizeof *r[0].table->visits) == 0);
        CHECK(r[0].table->layout == r[1].table->layout);
        /* the cuts of P(buy): increasing probabilities */
        CHECK(r[0].map.pbuy_cut[0] > 0 && r[0].map.pbuy_cut[0] < r[0].map.pbuy_cut[1] && r[0].map.pbuy_cut[1] < 1);
        clv_state_map other = r[0].map;
        other.pbuy_cut[0] = nextafter(other.pbuy_cut[0], 1);
        CHECK(clv_agent_layout(CLV_ALGO_Q, scn.agent.targets, &other, &scn.interventions) != r[0].table->layout);
        /* the state map of the same source is training's */
        clv_state_map map;
        CHECK_INT(clv_agent_state_map(&scn, src, 1, &map, &err), CLV_OK);
        CHECK(memcmp(map.pbuy_cut, r[0].map.pbuy_cut, sizeof map.pbuy_cut) == 0);
        CHECK(memcmp(map.ltv_cut, r[0].map.ltv_cut, sizeof map.ltv_cut) == 0);
        /* the network's states are not BTYD's */
        clv_state_map bm;
        CHECK_INT(clv_agent_state_map(&scn, NULL, 1, &bm, &err), CLV_OK);
        CHECK(memcmp(bm.ltv_cut, map.ltv_cut, sizeof map.ltv_cut) != 0);
    }
    clv_train_result_free(&r[0]), clv_train_result_free(&r[1]);
    /* BTYD without P(buy) bins: no source and a BTYD source train the same table */
    scn.agent.bins_pbuy_quantiles = 1;
    scn.agent.customers = 500;
    clv_ltv_source *bt = clv_ltv_source_new(&scn, NULL, 2, &err);
    CHECK_INT(clv_agent_train(&scn, CLV_ALGO_SARSA, &(clv_train_opts){2, NULL, NULL, NULL, NULL, NULL}, &r[0], &err),
              CLV_OK);
    CHECK_INT(clv_agent_train(&scn, CLV_ALGO_SARSA, &(clv_train_opts){1, NULL, NULL, NULL, NULL, bt}, &r[1], &err),
              CLV_OK);
    if (r[0].table && r[1].table) {
        const size_t SA = r[0].table->n_states * r[0].table->n_actions;
        CHECK(memcmp(r[0].table->q, r[1].table->q, SA * sizeof *r[0].table->q) == 0);
        CHECK(r[0].table->layout == r[1].table->layout);
    }
    clv_train_result_free(&r[0]), clv_train_result_free(&r[1]);
    clv_ltv_source_free(bt);
    clv_ltv_source_free(src);
    clv_ltv_model_free(lm);
    clv_mlp_free(m);
}

/* ltv.file: a missing file is refused when the scenario loads, a file that
 * is not a network when the run starts, both naming the key */
TEST(test_ltv_source_file_errors)
{
    char dir[] = "/tmp/clvsim-ltvfile-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char out[600], junk[600], set[700];
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(junk, sizeof junk, "%s/junk.mlp", dir);
    harness_proc r = harness_run(ARGS("train-agent", "scenarios/holiday.cfg", "-o", out, "--quiet", "--set",
                                      "ltv.file=\"/nonexistent/ltv.mlp\""));
    CHECK_INT(r.status, 2);
    CHECK(r.err && strstr(r.err, "ltv.file") && strstr(r.err, "/nonexistent/ltv.mlp"));
    harness_proc_free(&r);
    FILE *fp = fopen(junk, "w");
    CHECK(fp != NULL);
    if (fp)
        fputs("not a network\n", fp), fclose(fp);
    clv_scenario scn;
    clv_error err;
    if (clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err) == CLV_OK) {
        snprintf(scn.ltv.file, sizeof scn.ltv.file, "%s", junk);
        clv_agents *a = NULL;
        CHECK_INT(clv_study_agents(&scn, NULL, &a, &err), CLV_EINPUT);
        CHECK(a == NULL);
        CHECK_STR(err.field, "ltv.file");
        CHECK_STR(err.file, junk);
    }
    snprintf(set, sizeof set, "ltv.file=\"%s\"", junk);
    r = harness_run(ARGS("train-agent", "scenarios/holiday.cfg", "-o", out, "--quiet", "--set", set));
    CHECK(r.status != 0);
    CHECK(r.err && strstr(r.err, "ltv.file") && strstr(r.err, junk));
    harness_proc_free(&r);
    harness_rm_rf(dir);
}

/* the one conversion from an observation to the BTYD summary, on hand-made
 * customers: x = purchases - 1, t_x = (age - recency) / unit, T = age /
 * unit, the mean of the repeat purchases only */
TEST(test_ltv_btyd_summary_hand)
{
    clv_sim_obs o;
    memset(&o, 0, sizeof o);
    /* first purchase on day 1000 for 10, repeats on days 1007, 1015 and 1021 for 20, 25 and 15;
     * observed at the end of day 1030 */
    o.purchases = 4, o.first_spend = 10, o.total_spend = 70, o.today = 1030;
    o.age_days = 30, o.recency_days = 9, o.last_spend = 15, o.max_spend = 25;
    o.recent[0] = 0, o.recent[1] = 4, o.recent[2] = 4;
    clv_rfm c;
    clv_btyd_summary_of(&o, 7.0, &c);
    CHECK_NEAR(c.x, 3, 0);
    CHECK_NEAR(c.t_x, 21 / 7.0, 0);  /* 1021 - 1000 days */
    CHECK_NEAR(c.T, 30 / 7.0, 0);    /* 1030 - 1000 days: T as fit computes it with the calibration end 1030 */
    CHECK_NEAR(c.mean_spend, 20, 0); /* (20 + 25 + 15) / 3, not 70 / 4 */
    CHECK_NEAR(c.first_spend, 10, 0);
    CHECK_INT(c.first_day, 1000);
    CHECK(c.max_spend == 25 && c.last_spend == 15 && c.recent[1] == 4);
    CHECK(c.x_holdout == 0 && c.spend_holdout == 0);
    clv_btyd_summary_of(&o, 1.0, &c);
    CHECK(c.t_x == 21 && c.T == 30);
    /* one purchase: no repeats, t_x and the mean 0 */
    o.purchases = 1, o.total_spend = 10, o.recency_days = 30;
    clv_btyd_summary_of(&o, 7.0, &c);
    CHECK(c.x == 0 && c.t_x == 0 && c.mean_spend == 0);
    CHECK_NEAR(c.T, 30 / 7.0, 0);
    /* the value and P(alive) of an observation are those of its summary */
    clv_scenario scn;
    if (HARNESS_LOAD("scenarios/holiday.cfg", &scn)) {
        clv_btyd_value v;
        clv_btyd_value_init(&v, &scn);
        o.purchases = 4, o.total_spend = 70, o.recency_days = 9;
        clv_btyd_summary_of(&o, v.unit_days, &c);
        const double ey = clv_btyd_expected(&v.model, v.horizon, 3, 3, 30 / 7.0);
        CHECK_NEAR(clv_btyd_value_of(&v, &o), v.margin_rate * clv_gg_expected_spend(&v.model.spend, 3, 20) * ey, 0);
        CHECK(clv_btyd_value_of(&v, &o) == clv_btyd_value_rfm(&v, &c));
        CHECK(clv_btyd_palive_of(&v, &o) == clv_btyd_palive(&v.model, 3, 3, 30 / 7.0));
        CHECK(clv_btyd_palive_of(&v, &o) == clv_btyd_palive_rfm(&v, &c));
    }
}

/* the BTYD features of clv_ltv_features, both from one call (clv__btyd_value_palive_of): the bits
 * of clv_btyd_value_of and clv_btyd_palive_of, for both models, at the customers of a simulated
 * grid and at parameters outside the domain (NaN features become 0, as before); and the same
 * bits through one memo of the BG/NBD's series (clv__alive_memo), used for all the models in
 * turn, twice: it must not serve one model's sums to another (alpha 1e7 after the scenario's)
 * nor one (x, T) for another, and it is hit (the grid repeats (x, T) at every recency) */
TEST(test_ltv_btyd_features_fused)
{
    clv_scenario scn;
    if (!HARNESS_LOAD("scenarios/holiday.cfg", &scn))
        return;
    clv_btyd_value base;
    clv_btyd_value_init(&base, &scn);
    clv_btyd_value vs[4] = {base, base, base, base};
    vs[1].model.model = clv_btyd_pareto->model;
    vs[1].model.pareto = (clv_pnbd_params){0.55, 10.58, 0.61, 11.67};
    vs[2].model.bgnbd.a = NAN;         /* not a model: the features 0 */
    vs[3].model.bgnbd.alpha = 1e7;     /* alpha far above T: P(alive) from log1p */
    long n = 0, same = 0, nonzero = 0, memo_same = 0;
    clv__alive_memo *memo = clv__alive_memo_new();
    CHECK(memo != NULL);
    if (!memo)
        return;
    for (int kk = 0; kk < 8; kk++) {
        const clv_btyd_value *v = &vs[kk % 4];
        for (int p = 0; p <= 12; p++) {
            for (int age = 0; age <= 700; age += 13) {
                for (int rec = 0; rec <= age; rec += 29) {
                    clv_sim_obs o;
                    memset(&o, 0, sizeof o);
                    o.today = 20000, o.age_days = age, o.recency_days = rec, o.purchases = p;
                    o.first_spend = 12.5, o.total_spend = 12.5 + 31.25 * (p > 1 ? p - 1 : 0);
                    o.max_spend = 40, o.last_spend = 20;
                    double val, pal;
                    clv__btyd_value_palive_of(v, NULL, &o, &val, &pal);
                    const double v0 = clv_btyd_value_of(v, &o), p0 = clv_btyd_palive_of(v, &o);
                    double x[CLV_LTV_FEATURES];
                    clv_ltv_features(&o, v, x);
                    const double lv = log1p(v0 > 0 ? v0 : 0);
                    n++;
                    same += memcmp(&val, &v0, sizeof val) == 0 && memcmp(&pal, &p0, sizeof pal) == 0 &&
                            memcmp(&x[23], &lv, sizeof lv) == 0 && memcmp(&x[24], &p0, sizeof p0) == 0;
                    nonzero += v0 > 0 && p0 > 0 && p0 < 1;
                    double mval, mpal, xm[CLV_LTV_FEATURES];
                    clv__btyd_value_palive_of(v, memo, &o, &mval, &mpal);
                    clv__ltv_features_memo(&o, v, memo, xm);
                    memo_same += memcmp(&mval, &v0, sizeof mval) == 0 && memcmp(&mpal, &p0, sizeof mpal) == 0 &&
                                 memcmp(xm, x, sizeof x) == 0;
                }
            }
        }
    }
    CHECK(n > 6000);
    CHECK_INT(same, n);
    CHECK_INT(memo_same, n);
    CHECK(nonzero > n / 4); /* not all of them trivial */
    CHECK(memo->hits > memo->calls / 2);
    clv__alive_memo_free(memo);
}

typedef struct {
    FILE *fp;
    size_t n;
} tx_writer;

static int write_tx(void *ctx, const clv_sim_tx *tx)
{
    tx_writer *w = ctx;
    char d[16];
    fprintf(w->fp, "c%u,%s,%.17g\n", tx->customer, clv_date_format(tx->day, d), tx->amount);
    w->n++;
    return 0;
}

/* simulated customers: the summary of what a policy sees of each equals
 * what `clvsim fit`'s reader makes of the simulator's own transactions up
 * to the same day (the burn-in histories, then one epoch more): x, t_x and
 * T to the bit, the repeat mean to the simulator's single-precision
 * totals.  A customer with two purchases on one day is one transaction of
 * the log (the reader sums a day's rows), two of the simulator: those are
 * checked apart (x differs by the extra same-day purchases). */
TEST(test_ltv_btyd_summary_sim)
{
    clv_scenario scn;
    if (!HARNESS_LOAD("scenarios/holiday.cfg", &scn))
        return;
    scn.population.customers = 3000;
    clv_sim_opts so;
    clv_sim_opts_default(&so);
    so.record = 1;
    so.threads = 2;
    clv_sim *s = NULL;
    clv_error err;
    CHECK_INT(clv_sim_alloc(&scn, &so, &s, &err), CLV_OK);
    if (!s)
        return;
    char tmp[] = "/tmp/clvsim-simlog-XXXXXX";
    int fd = mkstemp(tmp);
    tx_writer w = {fdopen(fd, "w"), 0};
    CHECK_INT(clv_sim_reset(s, 7, 0, &err), CLV_OK);
    for (int round = 0; round < 2; round++) {
        CHECK_INT(clv_sim_log_check(s, &err), CLV_OK);
        CHECK_INT(clv_sim_transactions(s, write_tx, &w), 0);
        fflush(w.fp);
        const size_t n = clv_sim_customers(s);
        clv_sim_obs *obs = malloc(n * sizeof *obs);
        CHECK_INT(clv_sim_observe(s, 0, n, obs, &err), CLV_OK);
        clv_txlog_opts ro;
        clv_txlog_opts_default(&ro);
        clv_rfm_table *t = NULL;
        const int32_t today = obs[0].today;
        CHECK_INT(today, clv_sim_today(s) - 1);
        CHECK_INT(clv_rfm_read(tmp, &ro, today, -1, scn.population.unit, NULL, &t, &err), CLV_OK);
        size_t same = 0, merged = 0;
        double worst = 0;
        if (t) {
            CHECK_INT((int)t->n, (int)n);
            for (size_t k = 0; k < t->n; k++) {
                const size_t i = (size_t)strtoul(t->id[k] + 1, NULL, 10);
                clv_rfm c;
                clv_btyd_summary_of(&obs[i], t->unit_days, &c);
                const clv_rfm *r = &t->c[k];
                if (c.x != r->x) { /* same-day purchases: more in the simulator, never fewer */
                    merged++;
                    CHECK(c.x > r->x && c.T == r->T && c.first_day == r->first_day);
                    continue;
                }
                same += c.t_x == r->t_x && c.T == r->T && c.first_day == r->first_day;
                worst = harness_max(worst, fabs(c.mean_spend - r->mean_spend) / (r->mean_spend > 0 ? r->mean_spend : 1));
                worst = harness_max(worst, fabs(c.first_spend - r->first_spend) / r->first_spend);
            }
            CHECK_INT((int)same, (int)(t->n - merged));
            if (!(merged * 50 < t->n)) /* few: 1% here */
                harness_fail(__FILE__, __LINE__, "%zu of %zu customers with same-day purchases", merged, t->n);
            CHECK_NEAR(worst, 0, 1e-5);
            CHECK(t->n > 0 && same > t->n / 2);
            clv_rfm_free(t);
        }
        free(obs);
        if (round == 0)
            CHECK_INT(clv_sim_step(s, NULL, NULL, &err), CLV_OK);
    }
    fclose(w.fp);
    unlink(tmp);
    clv_sim_free(s);
}

/* the features without information: exactly the constant column of a
 * training's rows and the near-constant one (a P(alive) within 1e-9 of 1),
 * not a column that is constant but for one row, nor the varying ones */
TEST(test_ltv_no_info)
{
    enum { N = 300, K = CLV_LTV_FEATURES };
    static double X[N * K];
    for (size_t i = 0; i < N; i++)
        for (int j = 0; j < K; j++)
            X[i * K + j] = sin(0.37 * (double)(i + 1) * (j + 1)) + (j % 3);
    CHECK_INT(clv_ltv_no_info(X, N), 0);
    for (size_t i = 0; i < N; i++) {
        X[i * K + 22] = 0;                          /* price_minus_list of a real log */
        X[i * K + 24] = 1 - 1e-9 * (double)(i % 7); /* a P(alive) at the boundary */
        X[i * K + 5] = i == 17 ? 2.5 : 2;           /* one row differs: information */
    }
    CHECK_INT(clv_ltv_no_info(X, N), (1u << 22) | (1u << 24));
    X[3 * K + 24] = 1 - 1e-5;                       /* a spread above a millionth */
    CHECK_INT(clv_ltv_no_info(X, N), 1u << 22);
    X[9 * K + 22] = NAN;                            /* never "constant" */
    CHECK_INT(clv_ltv_no_info(X, N), 0);
    CHECK_INT(clv_ltv_no_info(X, 0), 0);
    CHECK_INT(clv_ltv_no_info(X, 1), (1u << K) - 1); /* one row: every feature is constant */
}
