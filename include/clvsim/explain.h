/* clvsim/explain.h - what a value predictor's predictions rest on: permutation importance and Shapley attributions.
 *
 * Both work on any predictor given as a callback (clv_explain_model): a
 * function that predicts a batch of rows of k numbers (for the LTV
 * network, standardised feature rows: clv_ltv_explain_predict of ltv.h),
 * so that they can be checked on a synthetic function whose answers are
 * known (tests/test_explain.c).  Features are explained in groups
 * (group_of[j] is feature j's group in [0, n_groups); NULL: each feature its
 * own group): the columns of a group move together, which is what a
 * one-hot block (the lifecycle stage) or a pair (the sine and cosine of a
 * day of the year) needs.
 *
 * Permutation importance (clv_permutation_importance): on held-out rows X
 * with labels y, the columns of one group are permuted across the rows (one
 * keyed permutation of the rows for the whole group), the rows predicted
 * again, and the metrics compared with those of the intact rows:
 * - the increase of the mean squared error (for a linear term w x_j with
 *   x_j independent of the rest it is 2 w^2 Var(x_j) in expectation);
 * - the drop of the normalised Gini of the ranking (clvsim/metrics.h).
 * R repeats (permutations keyed by (seed, CLV_STREAM_SPLIT,
 * CLV_SPLIT_LTV_IMPORTANCE, repeat x 2^16 + group)) give each group's
 * mean, sd and the t interval mean +- t(0.975, R - 1) sd / sqrt(R) (R >= 2).
 *
 * Attributions (clv_shapley_groups): exact Shapley values of the groups
 * for one row x, with the interventional (marginal) value function
 *   v(S) = (1/B) sum_b f(x on the groups of S, z_b elsewhere)
 * over B background rows z_b; phi_g = sum over S not holding g of
 * |S|! (G - |S| - 1)! / G! (v(S + g) - v(S)).  They add up to
 * f(x) - v(empty set), the prediction less the baseline (the mean
 * prediction of the background rows), up to rounding; a group the function
 * does not read gets exactly 0, and a linear term w x_j gets w (x_j - mean
 * of z_j).  All 2^G coalitions are evaluated (G <= CLV_EXPLAIN_MAX_GROUPS),
 * B rows each, in batches of the model's max_batch: 2^G B predictions a
 * row (512 x 32 for the LTV network's 9 groups and B = 32).  Exact values
 * over few groups, rather than Kernel SHAP's sampled approximation over
 * the 25 features: no sampling error, and the efficiency identity holds
 * exactly, so a test can assert it.
 *
 * Both run in the calling thread, in a fixed order: the results depend on
 * the seed only, never on a thread count.  They allocate their work space
 * and free it.  Errors: CLV_EINPUT for arguments out of range (named), the
 * callback's errors, CLV_ENUMERIC for a prediction that is not finite,
 * CLV_ENOMEM.  err may be NULL.
 */
#ifndef CLVSIM_EXPLAIN_H
#define CLVSIM_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>

#include "clvsim/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CLV_EXPLAIN_MAX_GROUPS = 16 };

/* Predict rows X[0..n) (n x k, row-major) into out[0..n); n is at most the
 * model's max_batch.  Returns CLV_OK or an error (set in err). */
typedef int (*clv_explain_fn)(void *ctx, const double *X, size_t n, double *out, clv_error *err);

typedef struct clv_explain_model {
    clv_explain_fn predict;
    void *ctx;
    size_t k;                     /* numbers a row */
    size_t max_batch;             /* rows a call at most (>= 1) */
} clv_explain_model;

/* One group's permutation importance over R repeats. */
typedef struct clv_importance {
    double mse_increase, mse_sd, mse_lo, mse_hi;   /* mean, sd, 95% t interval */
    double gini_drop, gini_sd, gini_lo, gini_hi;   /* NaN when every y is 0 */
} clv_importance;

/* The permutation importance of each of n_groups groups on X (n x m->k),
 * y (n >= 10, the value metrics' least), repeats R in [2, 1000], into
 * out[0..n_groups); base_mse and base_gini (may be NULL) get the intact
 * rows' metrics. */
int clv_permutation_importance(const clv_explain_model *m, const double *X, const double *y, size_t n,
                               const int *group_of, int n_groups, int repeats, uint64_t seed, clv_importance *out,
                               double *base_mse, double *base_gini, clv_error *err);

/* Pick b rows of 0..n-1 (b <= n) without replacement, keyed by (seed,
 * CLV_STREAM_SPLIT, CLV_SPLIT_LTV_BACKGROUND, 0), into idx[0..b). */
int clv_explain_background(size_t n, size_t b, uint64_t seed, size_t *idx, clv_error *err);

/* The exact Shapley values phi[0..n_groups) of row x (m->k numbers) with
 * the background rows Z (B x m->k, B >= 1), n_groups in [1,
 * CLV_EXPLAIN_MAX_GROUPS]; *pred gets f(x) and *baseline the background's
 * mean prediction (either may be NULL). */
int clv_shapley_groups(const clv_explain_model *m, const double *x, const double *Z, size_t B, const int *group_of,
                       int n_groups, double *phi, double *pred, double *baseline, clv_error *err);

#ifdef __cplusplus
}
#endif
#endif
