/* btyd_internal.h - pieces shared by the BTYD model files (internal to src/model). */
#ifndef CLVSIM_BTYD_INTERNAL_H
#define CLVSIM_BTYD_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "clvsim/btyd.h"

/* The entries of the model table (clvsim/btyd.h), each defined in its
 * model's file and listed in clv_btyd_types (btyd.c). */
extern const clv_btyd_type clv__bgnbd_type, clv__pareto_type;

/* log 2F1(a, b; c; z) for a, b, c > 0 and 0 <= z < 1, summing the Gauss
 * series term by term in scaled arithmetic (every term is positive, so
 * there is no cancellation; GSL's gsl_sf_hyperg_2F1 fails for some of the
 * large parameters the Pareto/NBD needs).  When da, db, dc, dz are non-NULL
 * they receive the partial derivatives of the log with respect to a, b, c
 * and z, summed alongside.  Returns 0, or -1 when the series has not
 * converged after 2,000,000 terms (z extremely close to 1). */
int clv__log_hyp2f1(double a, double b, double c, double z, double *out, double *da, double *db, double *dc,
                    double *dz);
/* The same with a table of the series' factors of z, (a+k)(b+k)/((c+k)(k+1)), and of the running
 * sums of 1/(a+k), 1/(b+k), 1/(c+k), which depend on a, b and c alone: calls with the same
 * (a, b, c) and other z (the Pareto/NBD's pairs of one x at their times) share them, and each
 * term then costs a division instead of four.  The table keeps its (a, b, c) and starts again
 * when others come; a result has the bits of clv__log_hyp2f1's.  Fill `a` with NaN to start.
 * One thread at a time. */
enum { CLV__HYP2F1_TAB = 256 }; /* 8 KB: on a worker's stack */
typedef struct clv__hyp2f1_tab {
    double a, b, c;
    int n;
    double f[CLV__HYP2F1_TAB], ha[CLV__HYP2F1_TAB], hb[CLV__HYP2F1_TAB], hc[CLV__HYP2F1_TAB];
} clv__hyp2f1_tab;
int clv__log_hyp2f1_tab(clv__hyp2f1_tab *tab, double a, double b, double c, double z, double *out, double *da,
                        double *db, double *dc, double *dz);

/* log 2F1(a, b; a + 1; z) for a, b > 0 and 0 < z < 1 (the Pareto/NBD's) by
 * quadrature of its Euler integral, for z near 1 where the series is slow
 * or fails: clv__hyp2f1_a1_slow(b, z) says when (the series would need over
 * 1,000 terms).  d_a is the derivative of the log with a and c = a + 1
 * moving together; d_b and d_z as above (each may be NULL).  Returns 0, or
 * -1 when the quadrature has not converged. */
int clv__hyp2f1_a1_slow(double b, double z);
int clv__log_hyp2f1_a1(double a, double b, double z, double *out, double *d_a, double *d_b, double *d_z);
/* log 2F1(a, b; a + 1; 1 - w) for small w (0 < w < 1/2, a, b > 0, b < a + 1)
 * by the connection formula to 1 - z, whose series converge like w^k
 * where the Gauss series above needs about 37/w terms (the Pareto/NBD's
 * series near the boundary of no dropout, s and beta large).  dA is the
 * derivative of the log along a with c = a + 1 (da + dc above), db and dz
 * as above (dz with respect to z = 1 - w).  Returns -1 when it does not
 * apply (b near an integer, where its two terms cancel, or outside the
 * domain): use the Gauss series then. */
int clv__log_hyp2f1_near1(double a, double b, double w, double *out, double *dA, double *db, double *dz);

/* The BG/NBD's expected purchases in t of a customer alive at T with x
 * repeat purchases, U(t) = E[Y(t) | x, t_x, T] times the denominator of
 * FHL05 eq. 10, at n horizons t[0..n) (k = alpha + T), into U[]: by the
 * Euler-transformed series (at most 4,000 terms, shared by the horizons),
 * the Gauss series (at most 4,000 terms, one horizon), or the integral
 * over the dropout probability by double-exponential
 * quadrature (at most 11,879 nodes), see hyp2f1.c.  U is 0 for t <= 0.
 * Returns 0, or -1 when a horizon reaches neither to 1e-11 (its U NaN).
 * clv__bgnbd_alive_quad is the quadrature alone, ln U at tau = t / k. */
int clv__bgnbd_alive(double r, double a, double b, double x, double k, int n, const double *t, double *U);
int clv__bgnbd_alive_quad(double r, double a, double b, double x, double tau, double *lU);
/* The BG/NBD's E[Y(t) | x, t_x, T] by the Gauss series of FHL05 eq. 10
 * term by term (clv__log_hyp2f1), as before the transformations: the
 * reference of the tests and of make bench.  NaN where it fails. */
/* clv_bgnbd_expected at one horizon and clv_bgnbd_palive in one call, bit for bit the two calls'
 * results, the denominator P(alive) shares computed once */
/* memo (may be NULL): a memo of U by (x, T), below */
typedef struct clv__alive_memo clv__alive_memo;
void clv__bgnbd_expected_palive(const clv_bgnbd_params *p, clv__alive_memo *memo, double t, double x, double t_x,
                                double T, double *ey, double *palive);
/* clv_btyd_value_of and clv_btyd_palive_of in one call, bit for bit their results (the BTYD
 * features of clv_ltv_features), with a memo of the BG/NBD's U (may be NULL) */
void clv__btyd_value_palive_of(const clv_btyd_value *l, clv__alive_memo *memo, const clv_sim_obs *o, double *value,
                               double *palive);

/* A memo of the BG/NBD's U(t) (clv__bgnbd_alive at one horizon) by (x, T): U depends on the
 * customer only through them, and the customers of a simulated world share few pairs (whole
 * days of age, small purchase counts), so most of the series an agent's features need every
 * epoch for every customer have been summed before.  Direct-mapped, CLV__ALIVE_MEMO entries; an
 * entry holds the value clv__bgnbd_alive gives for its key, so a hit is bit for bit the sum.  It
 * keeps the model and horizon its entries are for and empties itself when a call brings others.
 * One thread at a time (each worker its own). */
enum { CLV__ALIVE_MEMO_BITS = 14, CLV__ALIVE_MEMO = 1 << CLV__ALIVE_MEMO_BITS };
struct clv__alive_memo {
    double r, a, b, alpha, t;   /* the model and horizon of the entries (NaN: none yet) */
    size_t calls, hits;
    struct clv__alive_entry {
        double x, T, U;         /* x = -1: empty */
    } e[CLV__ALIVE_MEMO];
};
clv__alive_memo *clv__alive_memo_new(void);
void clv__alive_memo_free(clv__alive_memo *m);

/* clv_ltv_features with the memo of its BG/NBD features (may be NULL) */
void clv__ltv_features_memo(const clv_sim_obs *o, const clv_btyd_value *btyd, clv__alive_memo *memo, double *x);
double clv__bgnbd_expected_series(const clv_bgnbd_params *p, double t, double x, double t_x, double T);

/* Customers compressed for likelihood evaluation: identical (x, t_x, T, m)
 * records merged with a weight; x an integer, xmax its largest value.  The
 * scratch space makes an evaluation allocation-free, and a cohort usable
 * by one thread at a time. */
typedef struct clv__cohort {
    size_t n;
    double *x, *tx, *T, *m, *w;
    double *lm;          /* ln m, for the spend model */
    int xmax;
    double total_weight;
    size_t excluded;     /* repeaters left out of a spend cohort because their mean spend is 0 */
    /* Day-resolution data repeat few distinct times and (x, time) pairs:
     * terms that depend only on them are computed once per evaluation. */
    size_t n_times;
    double *times;       /* distinct values of T and t_x, increasing */
    size_t *iT, *itx;    /* per record: index of T and of t_x in times */
    size_t n_pairs;
    int *pair_x;         /* distinct (x, time index) pairs of (x, T) and (x, t_x) */
    size_t *pair_t;
    size_t *pT, *ptx;    /* per record: index of (x, T) and of (x, t_x) in the pairs */
    double *scratch;     /* per-evaluation tables, sized at build, reused by every evaluation */
    int threads;         /* for per-pair series (clv_parallel_for); 1 after build */
    const clv_progress *progress; /* polled (clv_progress_poll) inside an evaluation; NULL after build */
} clv__cohort;

/* Build from n records.  repeaters_only keeps customers with x >= 1 (the
 * Gamma-Gamma model); with_spend merges on (x, mean spend) alone, the
 * spend model's data (t_x and T are 0 in such a cohort), and leaves out
 * (counting them in excluded) repeaters whose mean spend is 0, whose
 * density the model gives as 0.  Checks each record (x a non-negative
 * integer, 0 <= t_x <= T, t_x = 0 when x = 0, a finite mean spend >= 0)
 * and reports the first bad one as CLV_EINPUT. */
int clv__cohort_build(const clv_rfm *c, size_t n, int repeaters_only, int with_spend, clv__cohort *out,
                      clv_error *err);

/* scratch layout: offsets (in doubles) of the per-evaluation tables */
#define CLV__SCR_X(h) 0                                              /* 6 (xmax+1): per-x terms */
#define CLV__SCR_TIMES(h) (6 * ((size_t)(h)->xmax + 1))               /* 4 n_times: per-time terms */
#define CLV__SCR_PAIRS(h) (CLV__SCR_TIMES(h) + 4 * (h)->n_times)      /* 5 n_pairs: per-pair terms */
#define CLV__SCR_SIZE(h) (CLV__SCR_PAIRS(h) + 5 * (h)->n_pairs)
void clv__cohort_free(clv__cohort *h);

/* log-likelihood sums over a cohort; grad (in natural parameters) when non-NULL */
double clv__bgnbd_ll(const clv_bgnbd_params *p, const clv__cohort *h, double grad[4]);
double clv__pnbd_ll(const clv_pnbd_params *p, const clv__cohort *h, double grad[4]);
double clv__gg_ll(const clv_gg_params *p, const clv__cohort *h, double grad[3]);

/* The shared maximum-likelihood driver: maximise ll over k positive
 * parameters (optimising their logs), from o->starts starting points around
 * start[].  ll(par, grad, ctx) returns the log-likelihood and fills grad with
 * derivatives in natural parameters; ll returns NaN or -inf outside its
 * domain. */
typedef double (*clv__ll_fn)(const double *par, double *grad, void *ctx);
/* model names the progress phase ("fitting <model>"); stream_id keys the
 * random starts, (o->seed, CLV_STREAM_FIT, 0, stream_id): the purchase
 * models' clv_btyd_type.stream_id, and for Gamma-Gamma CLV__GG_STREAM_ID.
 * The ids are distinct (tested), and equal to the first letters the
 * streams were keyed by before (so fits are unchanged). */
enum { CLV__GG_STREAM_ID = 103 /* 'g' */ };
int clv__fit(const char *model, uint64_t stream_id, int k, const char *const *names, const double *start, clv__ll_fn ll, void *ctx,
             size_t n_customers, const clv_fit_opts *o, clv_fit_result *res, clv_error *err);

#endif
