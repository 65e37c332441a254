/* test_metrics.c - the prediction metrics against values computed by hand
 * and, independently, with numpy (the numbers below). */
#include <math.h>

#include <stdint.h>
#include <string.h>

#include "clvsim/metrics.h"
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
