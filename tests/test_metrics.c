/* test_metrics.c - the prediction metrics against values computed by hand
 * and, independently, with numpy (the numbers below). */
#include <math.h>

#include <stdint.h>
#include <string.h>

#include "clvsim/metrics.h"
#include "clvsim/rng.h"
#include "clvsim/streams.h"
#include "harness.h"

#if defined(__SANITIZE_ADDRESS__)
/* ASan's allocator returns NULL for a request it cannot meet, as malloc
 * does, instead of ending the process (test_metrics_errors asks for one) */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }
#endif

TEST(test_metrics_value)
{
    const double y[12] = {0, 0, 3, 0, 1, 0, 2, 10, 0, 4, 0, 5};
    const double pred[12] = {0.5, 0.2, 2.0, 0.1, 1.5, 0.3, 1.0, 6.0, 0.4, 2.5, 0.0, 3.0};
    clv_value_metrics m;
    CHECK_INT(clv_value_metrics_of(pred, y, 12, &m, NULL), 0);
    CHECK_NEAR(m.rmse, 1.4448183276799889, 1e-12);
    CHECK_NEAR(m.mae, 0.9583333333333334, 1e-12);
    CHECK_NEAR(m.gini, 0.9902439024390245, 1e-12);
    CHECK_NEAR(m.top_decile_lift, 3.6, 1e-12); /* the top 2 of 12: (10 + 5) / 2 over 25 / 12 */
    CHECK_NEAR(m.spearman, 0.9293503563283455, 1e-12);
    const double dp[10] = {0.0, 0.1, 0.2, 0.3, 0.45, 1.0, 1.5, 2.0, 2.5, 4.5};
    const double da[10] = {0, 0, 0, 0, 0, 2, 1, 3, 4, 7.5};
    for (int d = 0; d < 10; d++) {
        CHECK_NEAR(m.decile_pred[d], dp[d], 1e-12);
        CHECK_NEAR(m.decile_actual[d], da[d], 1e-12);
    }
    /* the perfect ranking has Gini 1, the reversed one a negative Gini */
    CHECK_INT(clv_value_metrics_of(y, y, 12, &m, NULL), 0);
    CHECK_NEAR(m.gini, 1, 1e-12);
    double rev[12];
    for (int i = 0; i < 12; i++)
        rev[i] = -y[i];
    CHECK_INT(clv_value_metrics_of(rev, y, 12, &m, NULL), 0);
    CHECK(m.gini < -0.5);
    /* nothing realised: no Gini; too few customers: refused */
    const double zero[12] = {0};
    CHECK_INT(clv_value_metrics_of(pred, zero, 12, &m, NULL), 0);
    CHECK(isnan(m.gini) && isnan(m.top_decile_lift));
    CHECK_INT(clv_value_metrics_of(pred, y, 9, &m, NULL), CLV_EINPUT);
}

TEST(test_metrics_classification)
{
    /* the ROC example of scikit-learn's documentation: AUC 0.75 */
    const double s[4] = {0.1, 0.4, 0.35, 0.8};
    const int l[4] = {0, 0, 1, 1};
    clv_class_metrics c;
    CHECK_INT(clv_class_metrics_of(s, l, 4, 0.4, &c, NULL), 0);
    CHECK_NEAR(c.auc, 0.75, 1e-15);
    CHECK_INT((int)c.tp, 1);
    CHECK_INT((int)c.fp, 1);
    CHECK_INT((int)c.tn, 1);
    CHECK_INT((int)c.fn, 1);
    CHECK_NEAR(c.accuracy, 0.5, 0);
    CHECK_NEAR(c.precision, 0.5, 0);
    CHECK_NEAR(c.recall, 0.5, 0);
    CHECK_NEAR(c.f1, 0.5, 0);
    /* ties count half: positives at 0.5 and 0.9, negatives at 0.5 and 0.5:
     * (0.5 + 0.5 + 1 + 1) / 4 */
    const double t[4] = {0.5, 0.5, 0.5, 0.9};
    const int tl[4] = {0, 1, 0, 1};
    CHECK_INT(clv_class_metrics_of(t, tl, 4, 0.7, &c, NULL), 0);
    CHECK_NEAR(c.auc, 0.75, 1e-15);
    CHECK_NEAR(c.precision, 1, 0);
    CHECK_NEAR(c.recall, 0.5, 0);
    CHECK_NEAR(c.f1, 2.0 / 3, 1e-15);
    /* one class only: no AUC; nothing predicted positive: no precision */
    const int none[4] = {0, 0, 0, 0};
    CHECK_INT(clv_class_metrics_of(s, none, 4, 2, &c, NULL), 0);
    CHECK(isnan(c.auc) && isnan(c.precision) && isnan(c.recall) && isnan(c.f1));
    CHECK_NEAR(c.accuracy, 1, 0);
}

/* the gain curve by hand: values 10, 0, 30, 60 predicted 4, 3, 2, 1: the
 * top quarter holds 10%, half 10%, three quarters 40%, all 100% */
TEST(test_metrics_gain_curve)
{
    const double y[4] = {10, 0, 30, 60}, pred[4] = {4, 3, 2, 1};
    double g[5];
    CHECK_INT(clv_gain_curve(pred, y, 4, 5, g, NULL), 0);
    const double expect[5] = {0, 0.1, 0.1, 0.4, 1};
    for (int k = 0; k < 5; k++)
        CHECK_NEAR(g[k], expect[k], 1e-15);
    /* the perfect order is never below */
    double best[5];
    CHECK_INT(clv_gain_curve(y, y, 4, 5, best, NULL), 0);
    for (int k = 0; k < 5; k++)
        CHECK(best[k] >= g[k]);
    CHECK_NEAR(best[1], 0.6, 1e-15);
    const double zero[4] = {0};
    CHECK_INT(clv_gain_curve(pred, zero, 4, 5, g, NULL), CLV_EINPUT);
    CHECK_INT(clv_gain_curve(pred, y, 4, 1, g, NULL), CLV_EINPUT);
}

/* One error convention (clvsim/error.h): data a metric is not defined on
 * is CLV_EINPUT with its reason, and memory running out is CLV_ENOMEM,
 * never taken for the other.  The allocation that fails is a real one:
 * n customers whose sorted copy (16 n bytes, half the address space) no
 * malloc can give; the arrays are not read before it. */
TEST(test_metrics_errors)
{
    const double y[12] = {0, 0, 3, 0, 1, 0, 2, 10, 0, 4, 0, 5};
    const int l[12] = {0, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1};
    clv_value_metrics m;
    clv_class_metrics c;
    double g[5];
    clv_error err;
    CHECK_INT(clv_value_metrics_of(y, y, 9, &m, &err), CLV_EINPUT);
    CHECK(strstr(err.msg, "9 customers") && strstr(err.msg, "at least 10"));
    CHECK_INT(clv_class_metrics_of(y, l, 0, 0.5, &c, &err), CLV_EINPUT);
    CHECK(strstr(err.msg, "no customers") != NULL);
    const double zero[4] = {0};
    CHECK_INT(clv_gain_curve(y, zero, 4, 5, g, &err), CLV_EINPUT);
    CHECK(strstr(err.msg, "not above 0") != NULL);
    const size_t huge = SIZE_MAX / 32;
    clv_error_clear(&err);
    CHECK_INT(clv_value_metrics_of(y, y, huge, &m, &err), CLV_ENOMEM);
    CHECK_INT(err.code, CLV_ENOMEM);
    CHECK_STR(err.msg, "out of memory");
    clv_error_clear(&err);
    CHECK_INT(clv_class_metrics_of(y, l, huge, 0.5, &c, &err), CLV_ENOMEM);
    CHECK_STR(err.msg, "out of memory");
    clv_error_clear(&err);
    CHECK_INT(clv_gain_curve(y, y, huge, 5, g, &err), CLV_ENOMEM);
    CHECK_STR(err.msg, "out of memory");
    /* and the same calls with room succeed (err may be NULL) */
    CHECK_INT(clv_value_metrics_of(y, y, 12, &m, NULL), CLV_OK);
    CHECK_INT(clv_class_metrics_of(y, l, 12, 0.5, &c, NULL), CLV_OK);
    CHECK_INT(clv_gain_curve(y, y, 12, 5, g, NULL), CLV_OK);
}

/* each decile's standard error against a hand computation: 30 customers
 * ranked by pred = i, 3 a decile; decile 1 is {0, 0, 3}: mean 1, sample
 * variance (1 + 1 + 4) / 2 = 3, se sqrt(3) / sqrt(3) = 1 */
TEST(test_metrics_decile_se)
{
    const double y[30] = {0, 0, 3, 1, 0, 2, 10, 0, 4, 0, 5, 5, 7, 1, 0, 2, 2, 2, 0, 0, 0, 9, 3, 6, 1, 8, 0, 20, 4, 12};
    double pred[30];
    for (int i = 0; i < 30; i++)
        pred[i] = i;
    /* sd / sqrt(3) of each triple (numpy: y.reshape(10, 3).std(1, ddof=1) / sqrt(3)) */
    const double se[10] = {1.0, 0.5773502691896258, 2.9059326290271157, 1.6666666666666667, 2.185812841434, 0.0, 0.0,
                           1.7320508075688774, 2.5166114784235836, 4.618802153517007};
    clv_value_metrics m;
    CHECK_INT(clv_value_metrics_of(pred, y, 30, &m, NULL), CLV_OK);
    for (int d = 0; d < 10; d++) {
        CHECK_NEAR(m.decile_se[d], se[d], 1e-12);
        CHECK_NEAR(m.decile_actual[d], (y[3 * d] + y[3 * d + 1] + y[3 * d + 2]) / 3, 1e-12);
    }
    /* a decile of one customer (n = 10) has no spread to measure: 0 */
    CHECK_INT(clv_value_metrics_of(pred, y, 10, &m, NULL), CLV_OK);
    for (int d = 0; d < 10; d++)
        CHECK_NEAR(m.decile_se[d], 0, 0);
}

/* the calibration map of a predictor that says twice the truth recovers
 * the truth: exactly when the labels are the truth (every knot lies on
 * v = p / 2, so the linear pieces and the end ratios are that line), and
 * within the standard error when the labels are noisy draws around it */
TEST(test_metrics_calib_recovers)
{
    enum { N = 4000 };
    static double pred[N], y[N], t[N];
    clv_rng r;
    clv_rng_seed(&r, (clv_stream_key){7, CLV_STREAM_USER, 0, 0});
    for (int i = 0; i < N; i++) {
        t[i] = 1 + 100 * clv_rng_uniform(&r) * clv_rng_uniform(&r); /* a skewed truth */
        pred[i] = 2 * t[i], y[i] = t[i];
    }
    clv_value_calib c;
    CHECK_INT(clv_value_calib_fit(pred, y, N, INFINITY, &c, NULL), CLV_OK);
    CHECK_INT(c.knots, CLV_CALIB_KNOTS);
    double worst = 0;
    for (int i = 0; i < N; i++)
        worst = harness_max(worst, fabs(clv_value_calib_apply(&c, pred[i]) - t[i]) / t[i]);
    CHECK(worst < 1e-12);
    /* beyond the knots: the ratio of the end knots, 1/2 */
    CHECK_NEAR(clv_value_calib_apply(&c, 1000), 500, 1e-9);
    CHECK_NEAR(clv_value_calib_apply(&c, 0.5), 0.25, 1e-12);
    /* noisy labels: exponential draws of mean t; the map fitted on one half,
     * the other half's decile means of the calibrated values within 4 se of
     * the realised ones */
    for (int i = 0; i < N; i++)
        y[i] = -t[i] * log(1 - clv_rng_uniform(&r));
    CHECK_INT(clv_value_calib_fit(pred, y, N / 2, INFINITY, &c, NULL), CLV_OK);
    double cal[N / 2];
    for (int i = 0; i < N / 2; i++)
        cal[i] = clv_value_calib_apply(&c, pred[N / 2 + i]);
    clv_value_metrics m;
    CHECK_INT(clv_value_metrics_of(cal, y + N / 2, N / 2, &m, NULL), CLV_OK);
    for (int d = 0; d < CLV_METRIC_DECILES; d++)
        CHECK(fabs(m.decile_pred[d] - m.decile_actual[d]) <= 4 * m.decile_se[d]);
    /* uncalibrated, the top decile is twice its realised mean: far outside */
    CHECK_INT(clv_value_metrics_of(pred + N / 2, y + N / 2, N / 2, &m, NULL), CLV_OK);
    CHECK(m.decile_pred[9] - m.decile_actual[9] > 8 * m.decile_se[9]);
    /* the bound: nothing above the cap, NaN stays NaN, +inf is the cap */
    CHECK_INT(clv_value_calib_fit(pred, y, N, 50, &c, NULL), CLV_OK);
    CHECK_NEAR(clv_value_calib_apply(&c, 1e300), 50, 0);
    CHECK_NEAR(clv_value_calib_apply(&c, INFINITY), 50, 0);
    CHECK(isnan(clv_value_calib_apply(&c, NAN)));
    CHECK_NEAR(clv_value_calib_apply(&c, -3), 0, 0);
    /* bad input is refused with the row */
    clv_error err;
    y[5] = NAN;
    CHECK_INT(clv_value_calib_fit(pred, y, N, 50, &c, &err), CLV_EINPUT);
    CHECK(strstr(err.msg, "row 5 of the calibration") != NULL);
    /* too few rows: no map, values pass (to the cap) */
    y[5] = 1;
    CHECK_INT(clv_value_calib_fit(pred, y, 2 * CLV_CALIB_MIN_ROWS - 1, 50, &c, NULL), CLV_OK);
    CHECK_INT(c.knots, 0);
    CHECK_NEAR(clv_value_calib_apply(&c, 7), 7, 0);
}
