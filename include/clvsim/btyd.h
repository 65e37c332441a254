/* clvsim/btyd.h - "buy till you die" models: BG/NBD, Pareto/NBD and Gamma-Gamma.
 *
 * Log-likelihoods (computed in log space), maximum-likelihood fits,
 * per-customer predictions, population-level distributions, CLV and holdout
 * reports.  Times are in the unit of the data (days or weeks) and the rate
 * parameters alpha and beta are in that unit.
 *
 * References (equation numbers are those of these papers and notes):
 * - FHL05: Fader, Hardie and Lee (2005), "Counting Your Customers the Easy
 *   Way: An Alternative to the Pareto/NBD Model", Marketing Science 24(2).
 * - FH05: Fader and Hardie (2005), "A Note on Deriving the Pareto/NBD Model
 *   and Related Expressions".
 * - FHL05b: Fader, Hardie and Lee (2005), "RFM and CLV: Using Iso-Value
 *   Curves for Customer Base Analysis", JMR 42(4); and Fader and Hardie
 *   (2013), "The Gamma-Gamma Model of Monetary Value".
 *
 * Thread safety: every function here is reentrant; the fits use only the
 * memory they allocate and free themselves.
 */
#ifndef CLVSIM_BTYD_H
#define CLVSIM_BTYD_H

#include <stddef.h>
#include <stdint.h>

#include "clvsim/error.h"
#include "clvsim/progress.h"
#include "clvsim/scenario.h"
#include "clvsim/sim.h"
#include "clvsim/txlog.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- log-likelihoods ------------------------------------------------------ *
 *
 * The sums over customers (clv_*_loglik) return NaN both for parameters
 * outside the domain and when the sum cannot be taken; err (may be NULL)
 * tells them apart: it is cleared (code CLV_OK) for the first, and says
 * why for the second: CLV_EINPUT naming the first invalid record (x not a
 * non-negative integer, t_x outside [0, T], a mean spend below 0 or not
 * finite) or CLV_ENOMEM. */

/* BG/NBD log-likelihood of one customer with x repeat purchases, the last at
 * t_x, observed for T (FHL05 eq. 6).  x >= 0 is an integer, 0 <= t_x <= T. */
double clv_bgnbd_ll1(const clv_bgnbd_params *p, double x, double t_x, double T);

/* Sum of clv_bgnbd_ll1 over n customers; when grad is non-NULL it receives
 * the derivatives with respect to (r, alpha, a, b). */
double clv_bgnbd_loglik(const clv_bgnbd_params *p, const clv_rfm *c, size_t n, double grad[4], clv_error *err);

/* Pareto/NBD log-likelihood of one customer (FH05 eq. 22), with the Gaussian
 * hypergeometric function summed in log space; where its argument is near
 * 1 (alpha and beta far apart), the series being slow or failing there,
 * its Euler integral by double-exponential quadrature.  NaN when neither
 * converges. */
double clv_pnbd_ll1(const clv_pnbd_params *p, double x, double t_x, double T);

/* Sum of clv_pnbd_ll1 over n customers; grad (d/d(r, alpha, s, beta),
 * through the derivatives of the hypergeometric series) when non-NULL. */
double clv_pnbd_loglik(const clv_pnbd_params *p, const clv_rfm *c, size_t n, double grad[4], clv_error *err);

/* Gamma-Gamma log-density of the mean spend m of x >= 1 transactions
 * (FHL05b; Fader and Hardie 2013, eq. 1). */
double clv_gg_ll1(const clv_gg_params *p, double x, double m);

/* Sum of clv_gg_ll1 over the n customers with x >= 1 (others are skipped);
 * grad (d/d(p, q, gamma)) when non-NULL. */
double clv_gg_loglik(const clv_gg_params *p, const clv_rfm *c, size_t n, double grad[3], clv_error *err);

/* ---- fitting ---------------------------------------------------------------- */

typedef struct clv_fit_opts {
    int starts;              /* starting points, >= 1: a fixed one, then random ones around it */
    int max_iter;            /* iterations per start */
    double grad_tol;         /* stop when |gradient| of the mean log-likelihood in log-parameters is below */
    uint64_t seed;           /* seed of the random starts (stream CLV_STREAM_FIT) */
    int threads;             /* threads for the Pareto/NBD series (0: all processors); results do not depend on it */
    const clv_progress *progress; /* may be NULL; phase "fitting <model>", done = iterations, total 0 (open);
                                   * its cancelled is also polled inside the Pareto/NBD's likelihood */
    /* L2 penalty on the log-parameters (>= 0; 0: plain maximum likelihood):
     * the fit minimises -loglik / n + penalty x sum_k (ln par_k)^2, n the
     * customers of the likelihood.  The scaling of lifetimes' penalizer_coef
     * (minus the mean log-likelihood plus the coefficient times a sum of
     * squares), but lifetimes squares the natural parameters (in time
     * rescaled so that the longest T is 10), which pulls them toward 0;
     * this pulls them toward 1 (ln 0), away from both boundaries, so the
     * two coefficients are not interchangeable.  ln alpha depends on the
     * time unit: the same penalty weighs a fit in days and one in weeks
     * differently. */
    double penalty;
} clv_fit_opts;

/* starts 4, max_iter 500, grad_tol 1e-7, seed 1, threads 1, no progress, penalty 0.
 * Every start is run for 8 iterations; the best two go on to convergence
 * in coordinates whitened by the Hessian where they stopped. */
void clv_fit_opts_default(clv_fit_opts *o);

/* Conditions worth a warning (clv_fit_result.flags). */
enum {
    CLV_FIT_NOT_CONVERGED = 1 << 0, /* no start met the gradient tolerance within max_iter */
    CLV_FIT_BOUNDARY = 1 << 1,      /* a parameter ran off to 0 or infinity (below 1e-5 or above 1e5) */
    CLV_FIT_HESSIAN = 1 << 2,       /* the Hessian is not negative definite: no standard errors */
    CLV_FIT_STARTS_DISAGREE = 1 << 3 /* converged starts reached log-likelihoods more than 0.01 apart */
};

typedef struct clv_fit_result {
    int n_params;
    const char *names[4];    /* "r", "alpha", ... (static strings) */
    double par[4];           /* estimates */
    double se[4];            /* standard errors from the inverse Hessian (of the penalised objective when
                              * penalty > 0: n times its Hessian as the information); NaN with CLV_FIT_HESSIAN */
    double loglik;           /* at the estimates (the log-likelihood alone, without the penalty) */
    double penalty;          /* the fit's clv_fit_opts.penalty */
    size_t n;                /* customers the likelihood sums over */
    size_t n_excluded;       /* Gamma-Gamma: repeat customers left out because their mean spend is 0 */
    int iterations;          /* of the best start */
    int starts_converged;
    unsigned flags;          /* CLV_FIT_* */
    char warning[512];       /* the flags in words, "" when none */
} clv_fit_result;

/* Maximum-likelihood fits, optimising log-parameters with GSL's BFGS
 * (gsl_multimin_fdfminimizer_vector_bfgs2) from several starts and keeping
 * the best.  Gradients are analytic (for Pareto/NBD through the derivatives
 * of the hypergeometric series).  Gamma-Gamma uses the customers with
 * x >= 1 and a mean spend above 0 (a spend of 0 has density 0 under the
 * model; such customers are counted in res->n_excluded).  Returns CLV_OK (warnings are in res->flags),
 * CLV_EINPUT when there are no usable customers, CLV_ENUMERIC when no start
 * yields a finite likelihood, CLV_ECANCELLED, or CLV_ENOMEM. */
int clv_bgnbd_fit(const clv_rfm *c, size_t n, const clv_fit_opts *o, clv_fit_result *res, clv_error *err);
int clv_pnbd_fit(const clv_rfm *c, size_t n, const clv_fit_opts *o, clv_fit_result *res, clv_error *err);
int clv_gg_fit(const clv_rfm *c, size_t n, const clv_fit_opts *o, clv_fit_result *res, clv_error *err);

/* population.source = "fit": read data.transactions (with the data
 * section's reader settings) up to data.calibration_end in data.unit, fit
 * population.model (BG/NBD or Pareto/NBD) and Gamma-Gamma by maximum
 * likelihood (seeded by scenario.seed), and write the estimates into
 * scn->population, whose source becomes "parameters" and unit data.unit,
 * so that the scenario written resolved reproduces the run.  fits (may be
 * NULL) receives the two fits (the model's, then Gamma-Gamma's), with their
 * warnings; stats (may be NULL) what the reader found (its far dates among
 * them, to warn about).  Does nothing for source "parameters" (stats then
 * zeroed).  Errors as clv_rfm_read and the fits, and CLV_EINPUT (naming the
 * log and the key) when the estimates fail the checks of a scenario's
 * values (clv_scn_check: a fit at a boundary, a Gamma-Gamma q of 1 or less,
 * a mean purchase rate above 10 a day); scn->population then holds the
 * refused estimates. */
int clv_population_fit(clv_scenario *scn, int threads, const clv_progress *progress, clv_fit_result fits[2],
                       clv_txlog_stats *stats, clv_error *err);

/* ---- predictions ------------------------------------------------------------- */

/* P(alive | x, t_x, T): FHL05 eq. 11 and FH05 eq. 24. */
double clv_bgnbd_palive(const clv_bgnbd_params *p, double x, double t_x, double T);
double clv_pnbd_palive(const clv_pnbd_params *p, double x, double t_x, double T);

/* E[Y(t) | x, t_x, T], expected purchases in the next t: FHL05 eq. 10 and
 * FH05 eq. 27.  NaN when a hypergeometric function does not converge (for
 * the Pareto/NBD, as for clv_pnbd_ll1; for the BG/NBD when neither its
 * bounded series nor its quadrature reaches 1e-10, see below). */
double clv_bgnbd_expected(const clv_bgnbd_params *p, double t, double x, double t_x, double T);
double clv_pnbd_expected(const clv_pnbd_params *p, double t, double x, double t_x, double T);
/* The same at n horizons t[0..n) of one customer, into out[0..n) (each
 * the value the single call gives, to the bit), sharing the work that does
 * not depend on t: the Pareto/NBD's P(alive), computed once; the BG/NBD's
 * series coefficients.  The BG/NBD's hypergeometric part is not summed
 * term by term as in the paper: Euler's transformation makes its series
 * short and free of x in its first two parameters, and near z = 1 (and
 * where the series' rounding would cost accuracy) the integral over the
 * dropout probability is taken by quadrature instead, so that a call does
 * a bounded amount of work (at most 8,000 series terms and 11,879
 * quadrature nodes per horizon) and is accurate to 1e-10 relative or NaN
 * (src/model/README.md). */
void clv_bgnbd_expected_n(const clv_bgnbd_params *p, int n, const double *t, double x, double t_x, double T,
                          double *out);
void clv_pnbd_expected_n(const clv_pnbd_params *p, int n, const double *t, double x, double t_x, double T,
                         double *out);

/* E[X(t)], expected repeat purchases of a customer in the first t after the
 * first purchase: FHL05 eq. 9 and FH05 eq. 17 (with s = 1 as its limit). */
double clv_bgnbd_expected_new(const clv_bgnbd_params *p, double t);
double clv_pnbd_expected_new(const clv_pnbd_params *p, double t);

/* P(X(t) = x), the distribution of repeat purchases in (0, t]: FHL05 eq. 8
 * in closed form; for Pareto/NBD by adaptive quadrature over the dropout
 * time, P = NB(x) (beta/(beta+t))^s + int_0^t s beta^s (beta+u)^-(s+1) NB_u(x) du,
 * with NB_u the negative binomial of a customer alive until u. */
double clv_bgnbd_pmf(const clv_bgnbd_params *p, double t, int x);
double clv_pnbd_pmf(const clv_pnbd_params *p, double t, int x);

/* E[spend per transaction | x, m] (FHL05b): (gamma + x m) p / (p x + q - 1);
 * for x = 0 the population mean p gamma / (q - 1).  NaN when q <= 1. */
double clv_gg_expected_spend(const clv_gg_params *p, double x, double m);

/* ---- a fitted population -------------------------------------------------------- */

/* The purchase/dropout model and the spend model of a population. */
typedef struct clv_btyd {
    int model;               /* a clv_btyd_model value: clv_btyd_type_of(model) is its entry */
    clv_bgnbd_params bgnbd;
    clv_pnbd_params pareto;
    clv_gg_params spend;
} clv_btyd;

/* ---- the model table --------------------------------------------------------------- */

/* A purchase/dropout model, as GSL describes a minimiser with
 * gsl_multimin_fdfminimizer_type: one constant entry per model, and code
 * that handles "a BTYD model" calls through the entry instead of naming
 * the models.  Parameters are given as the model's own field of clv_btyd
 * (its functions read it) or, generically, as an array of n_params values
 * in the order of param_names (a fit's clv_fit_result.par).
 *
 * Gamma-Gamma, the spend model, is not an entry: it models the amount of
 * each purchase independently of when purchases happen, has three
 * parameters, no P(alive), no purchase counts and no dropout, and every
 * population pairs one entry of this table with it (clv_btyd.spend). */
typedef struct clv_btyd_type {
    const char *name;        /* "bgnbd": population.model, the parameter group population.NAME, fit --model */
    const char *label;       /* "BG/NBD": reports and plots */
    int model;               /* its clv_btyd_model (population.model) value: the index in clv_btyd_types */
    uint64_t stream_id;      /* the fit's random starts: stream (seed, CLV_STREAM_FIT, 0, stream_id) */
    int n_params;
    const char *const *param_names; /* "r", "alpha", ... (the scenario keys of population.NAME) */
    /* the model's parameters of m into par[0..n_params), and back */
    void (*get)(const clv_btyd *m, double *par);
    void (*set)(clv_btyd *m, const double *par);
    /* the log-likelihood of n customers, with its gradient in natural
     * parameters (param_names' order) when grad is non-NULL; NaN, err as
     * for clv_bgnbd_loglik, outside the domain or when the sum cannot be
     * taken */
    double (*loglik)(const clv_btyd *m, const clv_rfm *c, size_t n, double *grad, clv_error *err);
    /* the maximum-likelihood fit, as clv_bgnbd_fit */
    int (*fit)(const clv_rfm *c, size_t n, const clv_fit_opts *o, clv_fit_result *res, clv_error *err);
    /* predictions, as clv_btyd_palive, _expected, _expected_new and _pmf */
    double (*palive)(const clv_btyd *m, double x, double t_x, double T);
    double (*expected)(const clv_btyd *m, double t, double x, double t_x, double T);
    double (*expected_new)(const clv_btyd *m, double t);
    double (*pmf)(const clv_btyd *m, double t, int x);
    /* expected purchases at n horizons, as clv_btyd_expected_n */
    void (*expected_n)(const clv_btyd *m, int n, const double *t, double x, double t_x, double T, double *out);
    /* the simulator's dropout hook for this model (clv_sim_dropout, clvsim/sim.h) */
    int dropout;
} clv_btyd_type;

extern const clv_btyd_type *const clv_btyd_bgnbd;   /* BG/NBD (FHL05) */
extern const clv_btyd_type *const clv_btyd_pareto;  /* Pareto/NBD (FH05) */

/* Every model, by clv_btyd_model value: clv_btyd_types[k]->model == k. */
enum { CLV_BTYD_N_TYPES = 2 };
extern const clv_btyd_type *const clv_btyd_types[CLV_BTYD_N_TYPES];

/* The entry of a clv_btyd_model value, or NULL when there is none. */
const clv_btyd_type *clv_btyd_type_of(int model);
/* The entry named name ("bgnbd", "pareto"), or NULL. */
const clv_btyd_type *clv_btyd_type_named(const char *name);

/* The model a scenario's population section describes. */
void clv_btyd_from_scenario(clv_btyd *m, const clv_scn_population *pop);

/* The fitting options of a scenario's fits: the defaults, seeded by
 * scenario.seed, on `threads` threads, reporting to progress. */
void clv_fit_opts_scenario(clv_fit_opts *fo, const clv_scenario *scn, int threads, const clv_progress *progress);

/* Fit a population to a summary: model (a clv_btyd_model value) and
 * Gamma-Gamma, into *out (in the summary's unit); fits (may be NULL)
 * receives the two fits.  Errors as the fits. */
int clv_btyd_fit_table(const clv_rfm_table *t, int model, const clv_fit_opts *fo, clv_btyd *out,
                       clv_fit_result fits[2], clv_error *err);


double clv_btyd_palive(const clv_btyd *m, double x, double t_x, double T);
double clv_btyd_expected(const clv_btyd *m, double t, double x, double t_x, double T);
double clv_btyd_expected_new(const clv_btyd *m, double t);
double clv_btyd_pmf(const clv_btyd *m, double t, int x);
/* clv_btyd_expected at n horizons of one customer (clv_bgnbd_expected_n) */
void clv_btyd_expected_n(const clv_btyd *m, int n, const double *t, double x, double t_x, double T, double *out);

/* The LTV estimate of a customer of the simulator from what a policy sees
 * of it: the expected margin over ltv.horizon_days under the scenario's
 * population model, margin_rate x E[spend | history] x E[Y(h) | history]
 * with the history summarised as `clvsim fit` summarises a log
 * (clv_btyd_summary_of: repeat purchases, their mean spend, t_x and T)
 * (the agents' state bins and shaping, the ltv-threshold rule and the
 * remaining value of an evaluation use it; 0 where it is not finite). */
typedef struct clv_btyd_value {
    clv_btyd model;
    double unit_days, horizon, margin_rate;
} clv_btyd_value;

void clv_btyd_value_init(clv_btyd_value *v, const clv_scenario *scn);
double clv_btyd_value_of(const clv_btyd_value *v, const clv_sim_obs *o);
/* P(alive) of the customer seen as o, under the same model (0 where not finite). */
double clv_btyd_palive_of(const clv_btyd_value *v, const clv_sim_obs *o);
/* The same two of a customer's summary c (a clv_rfm_read row, or
 * clv_btyd_summary_of of an observation): margin_rate x
 * clv_gg_expected_spend(x, mean_spend) x clv_btyd_expected(horizon, x, t_x,
 * T), and clv_btyd_palive(x, t_x, T) - the functions behind `clvsim fit`'s
 * customers.csv (clv_btyd_predict); 0 where not finite.  The _of
 * functions are these of clv_btyd_summary_of(o, v->unit_days). */
double clv_btyd_value_rfm(const clv_btyd_value *v, const clv_rfm *c);
double clv_btyd_palive_rfm(const clv_btyd_value *v, const clv_rfm *c);

/* The BTYD summary of a customer seen as o, in time units of unit_days
 * days: what clv_rfm_read gives for the customer's log with calibration_end
 * = o->today (the observation holds the history up to the end of that
 * day).  The one conversion from an observation to the models' summary:
 *   x          = purchases - 1 (the repeat purchases),
 *   t_x        = (age_days - recency_days) / unit_days (0 when x = 0),
 *   T          = age_days / unit_days,
 *   mean_spend = (total_spend - first_spend) / x, the mean of the repeat
 *                purchases that Gamma-Gamma models (0 when x = 0),
 * and first_spend, first_day (today - age_days), max_spend, last_spend and
 * recent copied; no holdout. */
void clv_btyd_summary_of(const clv_sim_obs *o, double unit_days, clv_rfm *c);

/* CLV of one customer over `periods` periods of `period` time units:
 *   margin x E[spend] x sum_k (E[Y(k period)] - E[Y((k-1) period)]) / (1 + rate)^k
 * with rate the discount rate per period (so purchases in period k are
 * discounted k times). */
double clv_btyd_clv(const clv_btyd *m, const clv_rfm *c, int periods, double period, double margin,
                    double rate);

/* The predictions of n customers, each computed once per distinct
 * (x, t_x, T) (blocks of distinct records on `threads` threads, as
 * clv_parallel_for; the values do not depend on it; progress, which may be
 * NULL, is polled per block) and the same to the bit as the single calls: P(alive)
 * (clv_btyd_palive), E[Y(holdout)] (clv_btyd_expected) and the discounted
 * expected purchases of the CLV, so that clv_btyd_clv(m, &c[i], periods,
 * period, margin, rate) == margin * spend * purchases[i] with spend =
 * clv_gg_expected_spend(&m->spend, c[i].x, c[i].mean_spend).  Each output
 * may be NULL (not computed).  Non-finite values are left for the caller to
 * report.  CLV_OK, CLV_ECANCELLED ("stopped") or CLV_ENOMEM. */
int clv_btyd_predict(const clv_btyd *m, const clv_rfm *c, size_t n, double holdout, int periods, double period,
                     double rate, int threads, const clv_progress *progress, double *palive, double *expected,
                     double *purchases, clv_error *err);

/* ---- one customer's history ------------------------------------------------------ */

/* The transaction days of customer id (its id as the log spells it) in the
 * log at path, read with opts: the distinct days of its purchase rows, as
 * clv_rfm_read counts transactions (returns left out, rows of one day one
 * transaction, a row out of date order skipped with skip_malformed or
 * refused), increasing, up to day `last` included, into *days (malloc'd:
 * free it; NULL when none) and *n.  The log is read again from its start.
 * Errors as clv_rfm_read's reader (CLV_EINPUT naming file and line,
 * CLV_EIO, CLV_ENOMEM, CLV_ECANCELLED). */
int clv_txlog_customer_days(const char *path, const clv_txlog_opts *opts, const char *id, int32_t last,
                            const clv_progress *progress, int32_t **days, size_t *n, clv_error *err);

/* P(alive) of a customer day by day: for each day d from `from` to
 * `last`, the summary clv_rfm_read gives with calibration end d (x(d) the
 * transaction days after the first up to d, t_x(d) = (the latest of them -
 * days[0]) / unit_days, T(d) = (d - days[0]) / unit_days) into
 * summary[d - from] (summary may be NULL) and clv_btyd_palive(m, x(d),
 * t_x(d), T(d)) into palive[d - from] (last - from + 1 values each).
 * days: n >= 1 increasing days; -1 (nothing written) when n is 0, from is
 * before days[0] or last before from. */
int clv_btyd_palive_history(const clv_btyd *m, const int32_t *days, size_t n, int32_t from, int32_t last,
                            double unit_days, double *palive, clv_rfm *summary);

/* ---- holdout reports ------------------------------------------------------------- */

enum { CLV_FREQ_GROUPS = 8 };  /* calibration frequencies 0, 1, ..., 6 and 7+ */

typedef struct clv_holdout_report {
    size_t n;                       /* customers */
    double mae, rmse, corr;         /* predicted vs actual holdout purchases, per customer */
    double total_actual, total_predicted;
    long group_n[CLV_FREQ_GROUPS];  /* customers by calibration frequency */
    double group_actual[CLV_FREQ_GROUPS];    /* mean holdout purchases */
    double group_predicted[CLV_FREQ_GROUPS]; /* mean E[Y(holdout) | x, t_x, T] */
    double hist_model[CLV_FREQ_GROUPS];      /* expected customers with calibration frequency k: sum_i P(X(T_i) = k) */
} clv_holdout_report;

/* Compare the model's predictions with a table's holdout period.  Needs a
 * table with a holdout (CLV_EINPUT otherwise). */
int clv_btyd_holdout(const clv_btyd *m, const clv_rfm_table *t, clv_holdout_report *rep, clv_error *err);

/* The model's calibration-frequency histogram of a table's customers:
 * hist[k] = sum_i P(X(T_i) = k) for k = 0..6, and the rest in hist[7]. */
int clv_btyd_frequency(const clv_btyd *m, const clv_rfm_table *t, double hist[CLV_FREQ_GROUPS], clv_error *err);

/* Expected cumulative repeat transactions of the table's cohort on each day
 * of its series (t->n_days values into out): sum over customers of
 * E[X(d - first_day)] at the end of day d (customers who started before
 * the series, far before the bulk of the log, are not counted, as the
 * series does not count their repeats).  Work: n_days times the distinct
 * first-purchase days, plus the customers. */
int clv_btyd_cumulative(const clv_btyd *m, const clv_rfm_table *t, double *out, clv_error *err);

#ifdef __cplusplus
}
#endif
#endif
