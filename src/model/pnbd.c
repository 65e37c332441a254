/* pnbd.c - the Pareto/NBD model (Schmittlein, Morrison and Colombo 1987; Fader and Hardie 2005 note). */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>

#include "btyd_internal.h"
#include "clvsim/parallel.h"

static int valid(const clv_pnbd_params *p)
{
    return p->r > 0 && p->alpha > 0 && p->s > 0 && p->beta > 0 && isfinite(p->r + p->alpha + p->s + p->beta);
}

static double logsumexp(double u, double v)
{
    if (v == -INFINITY)
        return u;
    return u > v ? u + log1p(exp(v - u)) : v + log1p(exp(u - v));
}

/* One customer's likelihood (FH05 eq. 22):
 *   L = G(r+x) alpha^r beta^s / G(r) [ 1/((alpha+T)^(r+x) (beta+T)^s) + s/(r+s+x) A0 ]
 * with, for alpha >= beta,
 *   A0 = F(t_x) - F(T),  F(t) = 2F1(r+s+x, s+1; r+s+x+1; (alpha-beta)/(alpha+t)) / (alpha+t)^(r+s+x)
 * and for alpha < beta the same with 2F1(r+s+x, r+x; r+s+x+1; (beta-alpha)/(beta+t)) / (beta+t)^(r+s+x). */

/* ln F(t) for x purchases, and its derivatives (order r, alpha, s, beta)
 * when dF is non-NULL; tab (may be NULL): the Gauss series' table for calls
 * of one x (clv__log_hyp2f1_tab).  Returns -1 when the series fails. */
static int log_F(const clv_pnbd_params *p, double x, double t, clv__hyp2f1_tab *tab, double *lF, double dF[4])
{
    const double r = p->r, al = p->alpha, s = p->s, be = p->beta, rsx = r + s + x;
    const int a_big = al >= be;
    const double m = a_big ? al : be, z = fabs(al - be) / (m + t);
    const double lm = log(m + t);
    double lh, Da, Db, Dc, Dz, DA;
    const double hb = a_big ? s + 1 : r + x;
    /* near z = 1 (1 - z = (min(alpha, beta) + t) / (m + t) small: s and
     * beta, or r and alpha, large, the boundary of no dropout; or alpha and
     * beta far apart) the Gauss series needs about (max(b - 2, 0) + 37) /
     * (1 - z) terms (its terms grow like k^(b-2) z^k before they fall),
     * hundreds of thousands per customer and evaluation, and past z = 1 -
     * 1e-5 more than it is given.  Then the connection formula to 1 - z
     * (a few terms) where it applies, else the Euler integral by
     * quadrature.  Where the series needs at most 1,000 terms it is kept, so
     * that fits that never come near z = 1 are unchanged to the bit. */
    const double w = ((a_big ? be : al) + t) / (m + t), b2 = hb - 2;
    if (clv__hyp2f1_a1_slow(hb, z) && (b2 > 0 ? b2 : 0) + 37 > 2e3 * w &&
        clv__log_hyp2f1_near1(rsx, hb, w, &lh, dF ? &DA : NULL, dF ? &Db : NULL, dF ? &Dz : NULL) == 0) {
        *lF = lh - rsx * lm;
        if (dF) {
            if (a_big) {
                dF[0] = DA - lm;
                dF[2] = DA + Db - lm;
                dF[1] = Dz * (be + t) / ((al + t) * (al + t)) - rsx / (al + t);
                dF[3] = -Dz / (al + t);
            } else {
                dF[0] = DA + Db - lm;
                dF[2] = DA - lm;
                dF[1] = -Dz / (be + t);
                dF[3] = Dz * (al + t) / ((be + t) * (be + t)) - rsx / (be + t);
            }
        }
        return 0;
    }
    if (clv__hyp2f1_a1_slow(hb, z)) {
        /* the integral, with a and c moving together */
        Dc = 0;
        if (clv__log_hyp2f1_a1(rsx, hb, z, &lh, dF ? &Da : NULL, dF ? &Db : NULL, dF ? &Dz : NULL) != 0)
            return -1;
    } else if (clv__log_hyp2f1_tab(tab, rsx, hb, rsx + 1, z, &lh, dF ? &Da : NULL, dF ? &Db : NULL, dF ? &Dc : NULL,
                               dF ? &Dz : NULL) != 0) {
        return -1;
    }
    *lF = lh - rsx * lm;
    if (dF) {
        /* chain rule through a = c - 1 = r+s+x, b = s+1 or r+x, z(alpha, beta, t) and the power */
        if (a_big) {
            dF[0] = Da + Dc - lm;
            dF[2] = Da + Db + Dc - lm;
            dF[1] = Dz * (be + t) / ((al + t) * (al + t)) - rsx / (al + t);
            dF[3] = -Dz / (al + t);
        } else {
            dF[0] = Da + Db + Dc - lm;
            dF[2] = Da + Dc - lm;
            dF[1] = -Dz / (be + t);
            dF[3] = Dz * (al + t) / ((be + t) * (be + t)) - rsx / (be + t);
        }
    }
    return 0;
}

/* ln of the second bracketed term, ln s - ln(r+s+x) + ln(F(t_x) - F(T)),
 * from ln F at t_x (lF1) and at T (lF2), and its derivatives into d2 when
 * non-NULL.  -inf when t_x = T.  Returns -1 when F(T) >= F(t_x) (rounding
 * at extreme arguments). */
static double log_s_over_rsx(const clv_pnbd_params *p, double x) { return log(p->s) - log(p->r + p->s + x); }

/* lq: log_s_over_rsx(p, x), which the cohort's sum takes from a table by x */
static int second_term(const clv_pnbd_params *p, double x, double lq, double lF1, const double *dF1, double lF2,
                       const double *dF2, double *l2, double d2[4])
{
    const double rsx = p->r + p->s + x;
    double e = exp(lF2 - lF1);   /* F decreases in t, so e < 1 */
    if (!(e < 1))
        return -1;
    *l2 = lq + lF1 + log1p(-e);
    if (d2) {
        for (int k = 0; k < 4; k++)
            d2[k] = (dF1[k] - e * dF2[k]) / (1 - e);
        d2[0] += -1 / rsx;
        d2[2] += 1 / p->s - 1 / rsx;
    }
    return 0;
}

/* ln of both bracketed terms of one customer, without derivatives */
static int pieces(const clv_pnbd_params *p, double x, double t_x, double T, double *l1, double *l2)
{
    *l1 = -(p->r + x) * log(p->alpha + T) - p->s * log(p->beta + T);
    if (t_x >= T) {
        *l2 = -INFINITY;
        return 0;
    }
    double lF1, lF2;
    if (log_F(p, x, t_x, NULL, &lF1, NULL) != 0 || log_F(p, x, T, NULL, &lF2, NULL) != 0)
        return -1;
    return second_term(p, x, log_s_over_rsx(p, x), lF1, NULL, lF2, NULL, l2, NULL);
}

double clv_pnbd_ll1(const clv_pnbd_params *p, double x, double t_x, double T)
{
    if (!valid(p))
        return NAN;
    double l1, l2;
    if (pieces(p, x, t_x, T, &l1, &l2) != 0)
        return NAN;
    double lc = gsl_sf_lngamma(p->r + x) - gsl_sf_lngamma(p->r) + p->r * log(p->alpha) + p->s * log(p->beta);
    return lc + logsumexp(l1, l2);
}

double clv_pnbd_loglik(const clv_pnbd_params *p, const clv_rfm *c, size_t n, double grad[4], clv_error *err)
{
    clv_error_clear(err);
    clv__cohort h;
    if (clv__cohort_build(c, n, 0, 0, &h, err) != CLV_OK)
        return NAN;
    double ll = clv__pnbd_ll(p, &h, grad);
    clv__cohort_free(&h);
    return ll;
}

enum { PAIR_BLOCK = 256 };

typedef struct {
    const clv_pnbd_params *p;
    const clv__cohort *h;
    double *lF, *dF;
} pairs_job;

static int pairs_unit(size_t unit, int worker, void *ctx)
{
    (void)worker;
    const pairs_job *jb = ctx;
    const clv__cohort *h = jb->h;
    size_t end = (unit + 1) * PAIR_BLOCK < h->n_pairs ? (unit + 1) * PAIR_BLOCK : h->n_pairs;
    /* the pairs come in order of x, and those of one x share the series' table */
    clv__hyp2f1_tab tab;
    tab.a = NAN;
    for (size_t j = unit * PAIR_BLOCK; j < end; j++) {
        /* a pair's series can take milliseconds: a stop is asked for here,
         * and the fit, seeing NaN, stops at its next report */
        if (clv_progress_poll(h->progress) != CLV_OK)
            return CLV_ECANCELLED;
        if (log_F(jb->p, h->pair_x[j], h->times[h->pair_t[j]], &tab, &jb->lF[j], jb->dF ? &jb->dF[4 * j] : NULL) != 0)
            return CLV_ENUMERIC;
    }
    return CLV_OK;
}

/* The cohort sum.  ln F is needed at (x, t_x) and (x, T) of every record,
 * but day-resolution data have few distinct such pairs: each pair's series
 * is summed once per evaluation, and each distinct time's logarithms once. */
double clv__pnbd_ll(const clv_pnbd_params *p, const clv__cohort *h, double grad[4])
{
    if (!valid(p))
        return NAN;
    const double r = p->r, al = p->alpha, s = p->s, be = p->beta;
    const int X = h->xmax + 1;
    /* ln G(r+x) - ln G(r) and psi(r+x) - psi(r) by recurrence */
    double *lg_r = h->scratch + CLV__SCR_X(h), *ps_r = lg_r + X, *lq = ps_r + X;
    lg_r[0] = ps_r[0] = 0;
    for (int k = 1; k < X; k++) {
        lg_r[k] = lg_r[k - 1] + log(r + k - 1);
        ps_r[k] = ps_r[k - 1] + 1 / (r + k - 1);
    }
    for (int k = 0; k < X; k++)
        lq[k] = log_s_over_rsx(p, k);
    const size_t nt = h->n_times, np = h->n_pairs;
    double *la = h->scratch + CLV__SCR_TIMES(h), *lb = la + nt, *ia = lb + nt, *ib = ia + nt;
    for (size_t j = 0; j < nt; j++) {
        la[j] = log(al + h->times[j]);
        lb[j] = log(be + h->times[j]);
        ia[j] = 1 / (al + h->times[j]);
        ib[j] = 1 / (be + h->times[j]);
    }
    double *lF = h->scratch + CLV__SCR_PAIRS(h), *dF = lF + np;  /* dF: 4 per pair */
    /* the series of each pair is independent of the others: blocks of
     * pairs run on the cohort's threads, each writing only its own slots */
    pairs_job job = {p, h, lF, grad ? dF : NULL};
    size_t blocks = (np + PAIR_BLOCK - 1) / PAIR_BLOCK;
    if (clv_parallel_for(h->threads, blocks, pairs_unit, &job) != CLV_OK)
        return NAN;
    const double lal = log(al), lbe = log(be);
    double ll = 0, g[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < h->n; i++) {
        const int x = (int)h->x[i];
        const size_t iT = h->iT[i];
        const double l1 = -(r + x) * la[iT] - s * lb[iT];
        double l2 = -INFINITY, d2[4] = {0, 0, 0, 0};
        if (h->tx[i] < h->T[i]) {
            const size_t a1 = h->ptx[i], a2 = h->pT[i];
            if (second_term(p, x, lq[x], lF[a1], &dF[4 * a1], lF[a2], &dF[4 * a2], &l2, grad ? d2 : NULL) != 0)
                return NAN;
        }
        const double lse = logsumexp(l1, l2);
        ll += h->w[i] * (lg_r[x] + r * lal + s * lbe + lse);
        if (grad) {
            const double w2 = l2 == -INFINITY ? 0 : exp(l2 - lse), w1 = 1 - w2;
            g[0] += h->w[i] * (ps_r[x] + lal - w1 * la[iT] + w2 * d2[0]);
            g[1] += h->w[i] * (r / al - w1 * (r + x) * ia[iT] + w2 * d2[1]);
            g[2] += h->w[i] * (lbe - w1 * lb[iT] + w2 * d2[2]);
            g[3] += h->w[i] * (s / be - w1 * s * ib[iT] + w2 * d2[3]);
        }
    }
    if (grad)
        for (int k = 0; k < 4; k++)
            grad[k] = g[k];
    return ll;
}

static double ll_adapter(const double *par, double *grad, void *ctx)
{
    clv_pnbd_params p = {par[0], par[1], par[2], par[3]};
    return clv__pnbd_ll(&p, ctx, grad);
}

int clv_pnbd_fit(const clv_rfm *c, size_t n, const clv_fit_opts *o, clv_fit_result *res, clv_error *err)
{
    clv__cohort h;
    int st = clv__cohort_build(c, n, 0, 0, &h, err);
    if (st != CLV_OK)
        return st;
    h.threads = o ? o->threads : 1;
    h.progress = o ? o->progress : NULL;
    double sum_T = 0;
    for (size_t i = 0; i < h.n; i++)
        sum_T += h.w[i] * h.T[i];
    double scale = fmax(sum_T / h.total_weight, 1e-3);
    double start[4] = {1, scale, 1, scale};
    const clv_btyd_type *ty = clv_btyd_pareto;
    st = clv__fit(ty->name, ty->stream_id, 4, ty->param_names, start, ll_adapter, &h, (size_t)h.total_weight, o, res,
                  err);
    clv__cohort_free(&h);
    return st;
}

/* ---- predictions ---- */

double clv_pnbd_palive(const clv_pnbd_params *p, double x, double t_x, double T)
{
    if (!valid(p))
        return NAN;
    /* FH05 eq. 24: 1 / (1 + s/(r+s+x) (alpha+T)^(r+x) (beta+T)^s A0), i.e. 1/(1 + e^(l2 - l1)) */
    double l1, l2;
    if (pieces(p, x, t_x, T, &l1, &l2) != 0)
        return NAN;
    return 1 / (1 + exp(l2 - l1));
}

/* (1 - (k/(k+t))^(s-1)) / (s-1), with its limit ln(1 + t/k) at s = 1 */
static double decay_integral(double s, double k, double t)
{
    double l = log1p(t / k);
    if (fabs(s - 1) < 1e-10)
        return l;
    return -expm1(-(s - 1) * l) / (s - 1);
}

double clv_pnbd_expected(const clv_pnbd_params *p, double t, double x, double t_x, double T)
{
    double v;
    clv_pnbd_expected_n(p, 1, &t, x, t_x, T, &v);
    return v;
}

void clv_pnbd_expected_n(const clv_pnbd_params *p, int n, const double *t, double x, double t_x, double T,
                         double *out)
{
    /* FH05 eq. 27: (r+x)(beta+T)/(alpha+T) (1 - ((beta+T)/(beta+T+t))^(s-1))/(s-1) P(alive):
     * P(alive), the hypergeometric part, once for every horizon */
    double pa = NAN;
    int have_pa = 0;
    for (int j = 0; j < n; j++) {
        if (!valid(p) || isnan(t[j])) {
            out[j] = NAN;
        } else if (t[j] <= 0) {
            out[j] = 0;
        } else {
            if (!have_pa)
                pa = clv_pnbd_palive(p, x, t_x, T), have_pa = 1;
            out[j] = (p->r + x) * (p->beta + T) / (p->alpha + T) * decay_integral(p->s, p->beta + T, t[j]) * pa;
        }
    }
}

double clv_pnbd_expected_new(const clv_pnbd_params *p, double t)
{
    if (!valid(p))
        return NAN;
    if (t <= 0)
        return 0;
    /* FH05 eq. 17: r beta / alpha (1 - (beta/(beta+t))^(s-1)) / (s-1) */
    return p->r * p->beta / p->alpha * decay_integral(p->s, p->beta, t);
}

typedef struct {
    const clv_pnbd_params *p;
    int x;
} pmf_ctx;

/* density of dropping out at u times the NB probability of x purchases by u */
static double pmf_integrand(double u, void *vctx)
{
    const pmf_ctx *c = vctx;
    const clv_pnbd_params *p = c->p;
    double nb = gsl_ran_negative_binomial_pdf((unsigned)c->x, p->alpha / (p->alpha + u), p->r);
    return p->s / p->beta * exp(-(p->s + 1) * log1p(u / p->beta)) * nb;
}

double clv_pnbd_pmf(const clv_pnbd_params *p, double t, int x)
{
    if (!valid(p) || x < 0 || t < 0)
        return NAN;
    if (t == 0)
        return x == 0;
    /* alive throughout (0, t]: probability (beta/(beta+t))^s, purchases NB(r, alpha/(alpha+t));
     * dropped out at u in (0, t]: density s beta^s (beta+u)^-(s+1), purchases NB(r, alpha/(alpha+u)) */
    double alive = exp(-p->s * log1p(t / p->beta)) *
                   gsl_ran_negative_binomial_pdf((unsigned)x, p->alpha / (p->alpha + t), p->r);
    /* the integration's workspace on the stack (its struct is public in
     * GSL): nothing is allocated, so nothing can fail for want of memory
     * and be taken for a numerical failure */
    enum { LIMIT = 200 };
    double al[LIMIT], bl[LIMIT], rl[LIMIT], el[LIMIT];
    size_t order[LIMIT], level[LIMIT];
    gsl_integration_workspace ws = {.limit = LIMIT, .alist = al, .blist = bl, .rlist = rl, .elist = el,
                                    .order = order, .level = level};
    pmf_ctx ctx = {p, x};
    gsl_function f = {pmf_integrand, &ctx};
    double v, abserr;
    int st = gsl_integration_qags(&f, 0, t, 1e-13, 1e-10, LIMIT, &ws, &v, &abserr);
    return st == GSL_SUCCESS ? alive + v : NAN;
}

/* ---- its entry in the model table (clvsim/btyd.h) ---- */

static void type_get(const clv_btyd *m, double *par)
{
    const clv_pnbd_params *p = &m->pareto;
    par[0] = p->r, par[1] = p->alpha, par[2] = p->s, par[3] = p->beta;
}

static void type_set(clv_btyd *m, const double *par)
{
    m->pareto = (clv_pnbd_params){par[0], par[1], par[2], par[3]};
}

static double type_loglik(const clv_btyd *m, const clv_rfm *c, size_t n, double *grad, clv_error *err)
{
    return clv_pnbd_loglik(&m->pareto, c, n, grad, err);
}

static double type_palive(const clv_btyd *m, double x, double t_x, double T)
{
    return clv_pnbd_palive(&m->pareto, x, t_x, T);
}

static double type_expected(const clv_btyd *m, double t, double x, double t_x, double T)
{
    return clv_pnbd_expected(&m->pareto, t, x, t_x, T);
}

static void type_expected_n(const clv_btyd *m, int n, const double *t, double x, double t_x, double T, double *out)
{
    clv_pnbd_expected_n(&m->pareto, n, t, x, t_x, T, out);
}

static double type_expected_new(const clv_btyd *m, double t)
{
    return clv_pnbd_expected_new(&m->pareto, t);
}

static double type_pmf(const clv_btyd *m, double t, int x)
{
    return clv_pnbd_pmf(&m->pareto, t, x);
}

static const char *const param_names[] = {"r", "alpha", "s", "beta"};

/* stream_id 112 ('p') is the one the fit had when streams were keyed by
 * the first letter of the model's name: the same random starts, the same fits */
const clv_btyd_type clv__pareto_type = {
    "pareto", "Pareto/NBD", CLV_MODEL_PARETO, 112, 4, param_names,
    type_get, type_set, type_loglik, clv_pnbd_fit,
    type_palive, type_expected, type_expected_new, type_pmf, type_expected_n,
    CLV_SIM_DROPOUT_LIFETIME,
};
const clv_btyd_type *const clv_btyd_pareto = &clv__pareto_type;
