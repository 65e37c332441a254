/* clvsim/metrics.h - how good predictions of customer value are.
 *
 * For n customers with a prediction pred[i] and the value they realised
 * y[i] (y >= 0 for the value metrics):
 * - RMSE and MAE;
 * - the normalised Gini of the ranking: customers sorted by decreasing
 *   prediction (ties by index), L_k the share of the total value held by
 *   the first k, G = (1/n) sum_k (L_k - k/n), divided by the G of the
 *   perfect ranking (by y itself); 1 is perfect, 0 a random order;
 * - the lift of the top decile: the mean value of the 10% with the highest
 *   predictions (ceil(n/10) customers) over the mean value of all;
 * - decile calibration: customers sorted by increasing prediction, cut into
 *   ten groups of (as nearly as possible) equal size, each group's mean
 *   prediction and mean value, and the standard error of that mean value:
 *   the sample sd of the group's values (denominator m - 1) over sqrt(m),
 *   m the group's size (0 for a group of one);
 * - Spearman's rank correlation (GSL's gsl_stats_spearman: average ranks
 *   for ties);
 * - for a 0/1 outcome (bought or not) and a score: the area under the ROC
 *   curve (the Mann-Whitney statistic, ties counted half), and at a
 *   threshold (score >= threshold predicts 1) the confusion matrix,
 *   accuracy, precision, recall and F1.
 * They sort copies (allocated and freed inside; these are not hot loops).
 *
 * Errors as everywhere in clvsim (clvsim/error.h): CLV_OK, CLV_EINPUT for
 * data the metric is not defined on (too few customers, no value), with
 * the reason in err, and CLV_ENOMEM when memory runs out, never reported
 * as another cause.  err may be NULL.
 */
#ifndef CLVSIM_METRICS_H
#define CLVSIM_METRICS_H

#include <stddef.h>

#include "clvsim/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CLV_METRIC_DECILES = 10 };

typedef struct clv_value_metrics {
    size_t n;
    double rmse, mae;
    double gini;                          /* normalised; NaN when every y is 0 */
    double top_decile_lift;               /* NaN when every y is 0 */
    double spearman;
    double decile_pred[CLV_METRIC_DECILES], decile_actual[CLV_METRIC_DECILES]; /* lowest predictions first */
    double decile_se[CLV_METRIC_DECILES]; /* the standard error of decile_actual */
} clv_value_metrics;

/* The value metrics of pred against y (n >= 10).  Returns CLV_OK,
 * CLV_EINPUT when n < 10, or CLV_ENOMEM. */
int clv_value_metrics_of(const double *pred, const double *y, size_t n, clv_value_metrics *out, clv_error *err);

/* The gain (Lorenz) curve of the ranking: share[k], k in [0, points), is
 * the share of the total value y held by the first round(k n / (points -
 * 1)) customers in decreasing order of prediction (ties by index); share[0]
 * = 0 and share[points - 1] = 1.  points >= 2.  Returns CLV_OK,
 * CLV_EINPUT when the total is not above 0 or points < 2 (share untouched),
 * or CLV_ENOMEM. */
int clv_gain_curve(const double *pred, const double *y, size_t n, size_t points, double *share, clv_error *err);

/* ---- a calibration of predicted values (the LTV predictor's, ltv.h) ----
 *
 * A monotone map from a model's raw predictions to values whose group
 * means match the realised ones, fitted on rows the model did not train on
 * (the validation rows):
 * - the rows sorted by increasing prediction are cut at the quantiles 0.3,
 *   0.5, 0.7, 0.8 and 0.9 into CLV_CALIB_KNOTS groups (finer at the top,
 *   where the value of a customer base sits; the top decile is one group:
 *   with the heavy tail of values a smaller top group's mean is too noisy,
 *   on CDNOW's 3,771 validation rows a top 5% moved the holdout's top
 *   decile out of its interval on one seed of five); each group gives a
 *   knot (its mean prediction, its mean value);
 * - adjacent knots whose values decrease, or whose predictions do not
 *   increase, are pooled (pool-adjacent-violators, weighted by the rows),
 *   so the map never reverses the ranking;
 * - between knots the map is linear; below the first knot and above the
 *   last it scales the prediction by that knot's value / prediction (so a
 *   ranking is kept at both ends, and the top group is corrected by the
 *   ratio that calibrates it); a negative prediction maps to 0;
 * - the result is cut to `cap` (values above it are set to it): the
 *   bound no calibrated value ever exceeds.
 * With fewer than 2 * CLV_CALIB_MIN_ROWS rows, or no positive mean
 * prediction in a knot, there is no map (knots 0): values pass unchanged
 * apart from the cap. */
enum { CLV_CALIB_KNOTS = 6, CLV_CALIB_MIN_ROWS = 20 };
typedef struct clv_value_calib {
    int knots;                                  /* 0: no map */
    double pred[CLV_CALIB_KNOTS];               /* increasing */
    double value[CLV_CALIB_KNOTS];              /* non-decreasing, >= 0 */
    double cap;                                 /* > 0; +inf: none */
} clv_value_calib;

/* Fit the map of pred to y (n rows, y >= 0, every number finite) with the
 * bound cap (> 0, or +inf).  CLV_EINPUT for a value that is not finite or
 * a y below 0 (naming the row), CLV_ENOMEM. */
int clv_value_calib_fit(const double *pred, const double *y, size_t n, double cap, clv_value_calib *c,
                        clv_error *err);
/* The calibrated value of prediction v: never above c->cap, never below 0;
 * NaN stays NaN and +inf becomes the cap. */
double clv_value_calib_apply(const clv_value_calib *c, double v);

typedef struct clv_class_metrics {
    size_t n;
    double auc;                           /* NaN without both classes */
    double threshold;
    size_t tp, fp, tn, fn;
    double accuracy, precision, recall, f1; /* NaN where a denominator is 0 */
} clv_class_metrics;

/* The classification metrics of score against labels (0 or 1) at
 * threshold.  Returns CLV_OK, CLV_EINPUT when n is 0, or CLV_ENOMEM. */
int clv_class_metrics_of(const double *score, const int *label, size_t n, double threshold, clv_class_metrics *out,
                         clv_error *err);

#ifdef __cplusplus
}
#endif
#endif
