/* clvsim/response.h - the response to contact, estimated from a randomised experiment.
 *
 * An experiment (clv_experiment) is one row per customer: the arm it was
 * randomised to, whether it bought in the window (0/1), what it spent
 * there, and its level of each covariate.  It is built from arrays
 * (clv_experiment_alloc, then the caller fills the arrays) or read from a
 * CSV file, plain or gzip-compressed (clv_experiment_read).
 *
 * clv_response_estimate computes, at a confidence level the caller gives:
 * - per arm: customers, purchase rate (Wilson score interval), spend per
 *   customer and per buyer (mean, normal interval from the sample sd);
 * - each treated arm against control: the purchase-rate difference
 *   (Newcombe's hybrid score interval, method 10 of Newcombe 1998, Stat Med
 *   17:873) with the pooled two-proportion z test's two-sided p-value; the
 *   rate ratio with its log-scale delta-method interval
 *   (var log RR = 1/x1 - 1/n1 + 1/x0 - 1/n0); the spend-per-customer
 *   difference (Welch's t: interval and p-value) and ratio (log-scale
 *   delta method: var = s1^2/(n1 m1^2) + s0^2/(n0 m0^2)); the spend-per-buyer
 *   difference (Welch's t over the buyers of the two arms);
 * - heterogeneity: for each covariate, treated arm and level the rate ratio
 *   and the difference within the level, and Cochran's Q test of equal log
 *   rate ratios across levels (chi-square with L - 1 degrees of freedom over
 *   the L levels with conversions in both arms; a level without a
 *   conversion in one of the arms has no log rate ratio: it is left out of
 *   Q and flagged, q_excluded);
 * - the response model for the simulator: for each treated arm, a Poisson
 *   (log link) regression of conversion on the mapped covariates' levels
 *   plus treatment x (1 + the same levels), over the rows of control and
 *   that arm, fitted by iteratively reweighted least squares (each step
 *   a Householder QR of the weighted design, gsl_linalg_QR_decomp and
 *   QR_lssolve), with robust (sandwich) standard errors: the
 *   "modified Poisson" relative-risk regression of Zou (2004, Am J
 *   Epidemiol 159:702).  Its treatment terms give the rate ratio of a
 *   treated customer in levels (l1, l2, ...):
 *       RR = exp(g0 + g_{1,l1} + g_{2,l2} + ...),
 *   g0 the treatment's main term and g_{c,1} = 0 (the first level of each
 *   covariate is the reference).
 *
 * The map to the simulator's state.  Only covariates the simulator can
 * observe enter the model: each mapped covariate names a kind
 * (clv_response_map_kind) which says which observable of a simulated
 * customer it is (days since the last purchase, past-year spend, days since
 * the first purchase) and turns each level into an upper bound on it; a
 * customer is in the first level (in increasing upper bound) whose bound it
 * does not exceed, -1 being unbounded.
 *
 * From a ratio of window probabilities to an intensity multiplier.  Under
 * the population model an alive customer with purchase rate lambda buys in
 * a window of w days with probability p0 = 1 - exp(-lambda w).  A contact
 * that multiplies this probability by RR multiplies the intensity, for the
 * window, by
 *       kappa = -ln(1 - RR p0) / (lambda w),
 * since 1 - exp(-kappa lambda w) = RR p0; kappa -> RR as lambda w -> 0 (few
 * purchases per window), and RR p0 >= 1 cannot be reached (the multiplier
 * is capped: the simulator's clv_sim_kappa, clvsim/sim.h, computes it).  Dead customers buy in neither arm:
 * with a share d of them, both arms' window rates are (1 - d) times the
 * alive customers', so the rate ratio is the alive customers' ratio,
 * unaffected by d, while the absolute difference shrinks by (1 - d).  That
 * is why the scenario block carries ratios.
 *
 * Thread safety: every function uses only its arguments.  GSL's error
 * handler must be off (gsl_set_error_handler_off) in a program that
 * embeds clvsim: the library checks every GSL status itself.
 */
#ifndef CLVSIM_RESPONSE_H
#define CLVSIM_RESPONSE_H

#include <stddef.h>
#include <stdio.h>

#include "clvsim/error.h"
#include "clvsim/progress.h"
#include "clvsim/scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bounds: arms, covariates, levels of a covariate, and rows of the
 * scenario block (clv_response_block_rows). */
enum {
    CLV_EXPERIMENT_MAX_ARMS = 64,
    CLV_EXPERIMENT_MAX_COVARIATES = 64,
    CLV_EXPERIMENT_MAX_LEVELS = 1000,
    CLV_RESPONSE_MAX_BLOCK_ROWS = 96
};

/* ---- the experiment ---- */

/* A randomised experiment in memory.  Arrays are owned by the experiment;
 * names are copies.  Row i: arm[i] in [0, n_arms), converted[i] 0 or 1,
 * spend[i] >= 0 (0 when converted[i] is 0), and level[i * n_cov + c] in
 * [0, n_levels[c]) its level of covariate c. */
typedef struct clv_experiment {
    size_t n;                    /* rows (customers) */
    int n_arms;
    char **arm_names;            /* n_arms names */
    int control;                 /* the control arm's index */
    int n_cov;
    char **cov_names;            /* n_cov names */
    int *n_levels;               /* n_cov counts, each >= 1 */
    char ***level_names;         /* level_names[c][l] */
    int *arm;                    /* n */
    unsigned char *converted;    /* n */
    double *spend;               /* n */
    int *level;                  /* n * n_cov, row-major */
    /* from clv_experiment_read: the file and the 1-based line of each row
     * (line is NULL for an experiment built from arrays) */
    char *path;
    long *line;
} clv_experiment;

/* A new experiment of n rows with these arms, control, covariates and
 * levels (names copied; level_names[c] holds n_levels[c] names; cov_names,
 * n_levels and level_names may be NULL when n_cov is 0).  The row arrays
 * are zeroed for the caller to fill; check them with clv_experiment_check.
 * CLV_EINPUT for counts out of bounds (CLV_EXPERIMENT_MAX_*), a control
 * outside [0, n_arms), fewer than 2 arms, or duplicate names; CLV_ENOMEM. */
int clv_experiment_alloc(size_t n, int n_arms, const char *const *arm_names, int control, int n_cov,
                         const char *const *cov_names, const int *n_levels, const char *const *const *level_names,
                         clv_experiment **out, clv_error *err);

/* Free an experiment; NULL is a no-op. */
void clv_experiment_free(clv_experiment *e);

/* CLV_OK when every row holds an arm and levels in range, a converted flag
 * of 0 or 1 and a finite spend >= 0 that is 0 when the row did not convert,
 * and every arm has a customer; else CLV_EINPUT naming the row (the file
 * and line for a read experiment) and what is accepted. */
int clv_experiment_check(const clv_experiment *e, clv_error *err);

/* How to read an experiment: the columns by their header names. */
typedef struct clv_experiment_opts {
    const char *arm_column;        /* the arm's label */
    const char *control;           /* the control arm's label */
    const char *converted_column;  /* 0 or 1 */
    const char *spend_column;      /* a number >= 0, 0 unless converted */
    int n_cov;
    const char *const *covariates; /* n_cov column names (each a categorical covariate) */
} clv_experiment_opts;

/* Read the experiment at path: a CSV file (comma-separated, a header line,
 * RFC 4180 quotes, LF or CRLF), plain or gzip-compressed (told by its first
 * two bytes, 1f 8b, not by its name).  Arms are in order of first
 * appearance; a covariate's levels too, except that levels which all read
 * as numbers are sorted numerically, and labels that all start with a
 * number followed by ')' ("1) $0 - $100") are sorted by that number.
 * Errors (CLV_EINPUT, with the file, the line and what is accepted): a
 * named column missing from the header (the header's columns listed), the
 * control label not among the arms (the labels found listed), a row with
 * too few columns, a converted value other than 0 or 1, a spend that is
 * not a number, negative, or above 0 on a row that did not convert, no
 * rows, more than the bounds' arms or levels, and every error of
 * clv_experiment_check; CLV_EIO, CLV_ENOMEM, CLV_ECANCELLED (progress,
 * may be NULL). */
int clv_experiment_read(const char *path, const clv_experiment_opts *o, const clv_progress *progress,
                        clv_experiment **out, clv_error *err);

/* ---- the map to the simulator's observable state ---- */

/* What a covariate is to the simulator. */
typedef enum clv_response_map_kind {
    CLV_MAP_NONE = 0,          /* not observable: reported, not in the model */
    CLV_MAP_RECENCY_MONTHS,    /* numeric months since the last purchase: upper = months x 30.4375 days */
    CLV_MAP_RECENCY_DAYS,      /* numeric days since the last purchase: upper = the value */
    CLV_MAP_SPEND_BAND,        /* "k) $a - $b" / "k) $a +": past-year spend, upper = b, the last band unbounded */
    CLV_MAP_SPEND,             /* numeric past-year spend: upper = the value */
    CLV_MAP_NEW_WITHIN_DAYS,   /* 0/1 flag: 1 = first purchase within param days (upper = param), 0 unbounded */
    CLV_MAP_N
} clv_response_map_kind;

/* One covariate's map. */
typedef struct clv_response_map {
    int kind;      /* clv_response_map_kind */
    int param;     /* days of CLV_MAP_NEW_WITHIN_DAYS, in [1, 36500]; else 0 */
} clv_response_map;

/* The name a --state-map gives a kind ("recency-months", "recency-days",
 * "spend-band", "spend", "new-within-days"; "none"). */
const char *clv_response_map_name(int kind);
/* The simulator's observable a kind bounds: a clv_contact_covariate of
 * clvsim/scenario.h (CLV_CONTACT_RECENCY, _SPEND or _AGE, named by
 * clv_contact_covariate_name), -1 for CLV_MAP_NONE. */
int clv_response_map_observable(int kind);

/* Parse one kind, "recency-months" ... "new-within-days:N" (N days in
 * [1, 36500]), into *m.  CLV_EINPUT naming field and the kinds accepted. */
int clv_response_map_parse(const char *text, const char *field, clv_response_map *m, clv_error *err);

/* The upper bound of a level labelled `label` under map m (-1: unbounded;
 * last = 1 for the last level of its covariate, which a spend band leaves
 * unbounded).  CLV_EINPUT when the label is not of the kind's form (a
 * number >= 0; a band "k) $a - $b" or "k) $a +"; a 0/1 flag), naming field. */
int clv_response_level_upper(const clv_response_map *m, const char *label, int last, const char *field,
                             double *upper, clv_error *err);

/* ---- the estimates ---- */

/* An estimate with its interval (NaN when undefined). */
typedef struct clv_estimate {
    double est, lo, hi;
} clv_estimate;

typedef struct clv_response_opts {
    double confidence;             /* of every interval, in (0, 1); e.g. 0.95 */
    /* n_cov maps of the experiment's covariates (NULL: none mapped, no
     * model) */
    const clv_response_map *map;
    int max_iterations;            /* IRLS iterations (e.g. 100) */
    double tolerance;              /* IRLS stops when the deviance changes by less than this (relative), e.g. 1e-10 */
    const clv_progress *progress;  /* may be NULL */
} clv_response_opts;

/* Defaults: 0.95, no map, 100 iterations, 1e-10, no progress. */
void clv_response_opts_default(clv_response_opts *o);

/* One arm. */
typedef struct clv_response_arm {
    long n, buyers;
    clv_estimate rate;           /* purchase rate, Wilson interval */
    clv_estimate spend;          /* spend per customer, mean +- z sd / sqrt(n) */
    clv_estimate spend_buyer;    /* spend per buyer (NaN without buyers; interval NaN with one) */
    double sd_spend, sd_spend_buyer;  /* sample standard deviations (n - 1), NaN when undefined */
} clv_response_arm;

/* A treated arm against control. */
typedef struct clv_response_effect {
    int arm;                      /* the treated arm */
    clv_estimate rate_diff;       /* treated - control, Newcombe's hybrid score interval */
    double rate_z, rate_p;        /* pooled two-proportion z test */
    clv_estimate rate_ratio;      /* treated / control, log-scale delta method */
    clv_estimate spend_diff;      /* spend per customer, Welch t interval */
    double spend_t, spend_df, spend_p;
    clv_estimate spend_ratio;     /* spend per customer ratio, log-scale delta method */
    clv_estimate buyer_diff;      /* spend per buyer, Welch t interval */
    double buyer_t, buyer_df, buyer_p;
} clv_response_effect;

/* A covariate's level for one treated arm: the stratified estimates. */
typedef struct clv_response_level {
    long n_control, n_treated;
    long conv_control, conv_treated;
    double rate_control, rate_treated;   /* NaN for a level without customers in the arm */
    clv_estimate ratio;                  /* rate ratio, log-scale delta method (NaN: no conversion in an arm) */
    clv_estimate diff;                   /* rate difference, Newcombe */
    int in_q;                            /* 1: part of Cochran's Q */
} clv_response_level;

/* A covariate and a treated arm: its levels and the test of equal effects. */
typedef struct clv_response_het {
    int cov, arm;
    clv_response_level *level;   /* the covariate's n_levels levels (points into clv_response) */
    double q, p;                 /* Cochran's Q and its p-value (NaN with df = 0) */
    int df;                      /* levels in Q minus 1 */
    int q_excluded;              /* levels left out of Q (no conversion in an arm) */
} clv_response_het;

/* A treatment term of a treated arm's model: cov = -1 for the main term
 * g0, else covariate cov's level (level 0, the reference, is 0 with se 0). */
typedef struct clv_response_term {
    int cov, level;
    double coef, se;             /* log scale; robust standard error */
    clv_estimate factor;         /* exp(coef) and its interval exp(coef +- z se) */
} clv_response_term;

/* A treated arm's modified Poisson regression. */
typedef struct clv_response_model {
    int arm;
    size_t rows;                 /* control + this arm */
    int params;                  /* columns of the design */
    int iterations;
    double deviance;
    int n_terms;
    clv_response_term *term;     /* g0, then each mapped covariate's levels in order */
} clv_response_model;

/* The estimates of an experiment. */
typedef struct clv_response {
    double confidence, z;        /* the level and its normal quantile */
    int n_arms, control, n_cov;
    clv_response_arm *arm;       /* n_arms */
    int n_effects;               /* n_arms - 1, in arm order without the control */
    clv_response_effect *effect;
    int n_het;                   /* n_cov x n_effects, covariate-major */
    clv_response_het *het;
    clv_response_level *levels;  /* storage of het[].level */
    int n_models;                /* n_effects when a covariate is mapped or none is (g0 alone); see opts.map */
    clv_response_model *model;
    clv_response_map *map;       /* n_cov maps (CLV_MAP_NONE when opts.map is NULL) */
} clv_response;

/* Estimate everything above for experiment e (checked first with
 * clv_experiment_check) into *r (zeroed first; free with
 * clv_response_free whatever the status).  The models are fitted always:
 * with no covariate mapped a treated arm's model is g0 alone (the overall
 * log rate ratio with its robust standard error).  Errors: CLV_EINPUT for
 * a bad experiment or option, a mapped level without a conversion among
 * the arm's treated customers or among all of its customers (its term
 * would be minus infinity: merge the level with a neighbour), CLV_ENUMERIC
 * when IRLS does not converge or the design is singular (a level without
 * customers), CLV_ECANCELLED, CLV_ENOMEM. */
int clv_response_estimate(const clv_experiment *e, const clv_response_opts *o, clv_response *r, clv_error *err);
void clv_response_free(clv_response *r);

/* The het entry of covariate c and the k-th treated arm. */
static inline const clv_response_het *clv_response_het_of(const clv_response *r, int c, int k)
{
    return &r->het[c * r->n_effects + k];
}

/* ---- the single estimators (for tests and for validate) ---- */

/* The Wilson score interval of x successes in n trials at normal quantile
 * z (NaN for n = 0). */
clv_estimate clv_wilson(long x, long n, double z);
/* Newcombe's hybrid score interval of x1/n1 - x0/n0. */
clv_estimate clv_newcombe(long x1, long n1, long x0, long n0, double z);
/* The rate ratio (x1/n1)/(x0/n0) with the log-scale delta-method interval
 * (NaN when x1 or x0 is 0). */
clv_estimate clv_rate_ratio(long x1, long n1, long x0, long n0, double z);
/* The pooled two-proportion z statistic and its two-sided p-value (both
 * NaN when no trial or every trial succeeded). */
double clv_two_proportion_p(long x1, long n1, long x0, long n0, double *zstat);
/* Welch's t for mean m1 (sd s1, n1 values) - m0 (s0, n0): the interval at
 * `confidence`, t, the Welch-Satterthwaite df, and the two-sided p-value
 * (NaN when a group has fewer than 2 values or both variances are 0). */
clv_estimate clv_welch(double m1, double s1, long n1, double m0, double s0, long n0, double confidence, double *t,
                       double *df, double *p);

#ifdef __cplusplus
}
#endif
#endif
