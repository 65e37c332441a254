/* bgnbd.c - the BG/NBD model (Fader, Hardie and Lee 2005): likelihood, gradient, predictions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

#include "btyd_internal.h"

static double lgam(double v)
{
    gsl_sf_result r;
    return gsl_sf_lngamma_e(v, &r) == 0 ? r.val : NAN;
}

/* log(e^u + e^v) without overflow; v may be -inf */
static double logsumexp(double u, double v)
{
    if (v == -INFINITY)
        return u;
    return u > v ? u + log1p(exp(v - u)) : v + log1p(exp(u - v));
}

static int valid(const clv_bgnbd_params *p)
{
    return p->r > 0 && p->alpha > 0 && p->a > 0 && p->b > 0 && isfinite(p->r + p->alpha + p->a + p->b);
}

/* FHL05 eq. 6:
 *   L = B(a, b+x)/B(a, b) G(r+x) a^r / (G(r) (alpha+T)^(r+x))
 *     + [x > 0] B(a+1, b+x-1)/B(a, b) G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))
 * and B(a+1, b+x-1) = B(a, b+x) a / (b+x-1). */
double clv_bgnbd_ll1(const clv_bgnbd_params *p, double x, double t_x, double T)
{
    if (!valid(p))
        return NAN;
    double common = lgam(p->r + x) - lgam(p->r) + p->r * log(p->alpha) + lgam(p->b + x) - lgam(p->b) -
                    lgam(p->a + p->b + x) + lgam(p->a + p->b);
    double lA = -(p->r + x) * log(p->alpha + T);
    double lB = x > 0 ? log(p->a) - log(p->b + x - 1) - (p->r + x) * log(p->alpha + t_x) : -INFINITY;
    return common + logsumexp(lA, lB);
}

double clv_bgnbd_loglik(const clv_bgnbd_params *p, const clv_rfm *c, size_t n, double grad[4], clv_error *err)
{
    clv_error_clear(err);
    clv__cohort h;
    if (clv__cohort_build(c, n, 0, 0, &h, err) != CLV_OK)
        return NAN;
    double ll = clv__bgnbd_ll(p, &h, grad);
    clv__cohort_free(&h);
    return ll;
}

/* The cohort sum.  Terms that depend only on x (log-gammas and digammas of
 * r+x, b+x and a+b+x) are built once per evaluation by their recurrences
 * lnG(v+x+1) = lnG(v+x) + ln(v+x) and psi(v+x+1) = psi(v+x) + 1/(v+x), and
 * terms that depend only on a time (ln(alpha+t), 1/(alpha+t)) once per
 * distinct time, so a record costs an exponential and a logarithm. */
double clv__bgnbd_ll(const clv_bgnbd_params *p, const clv__cohort *h, double grad[4])
{
    if (!valid(p))
        return NAN;
    const double r = p->r, al = p->alpha, a = p->a, b = p->b;
    const int X = h->xmax + 1;
    double *lg_r = h->scratch + CLV__SCR_X(h), *lg_b = lg_r + X, *lg_ab = lg_b + X;
    double *ps_r = lg_ab + X, *ps_b = ps_r + X, *ps_ab = ps_b + X;
    lg_r[0] = lg_b[0] = lg_ab[0] = ps_r[0] = ps_b[0] = ps_ab[0] = 0;
    for (int k = 1; k < X; k++) {
        lg_r[k] = lg_r[k - 1] + log(r + k - 1);
        lg_b[k] = lg_b[k - 1] + log(b + k - 1);
        lg_ab[k] = lg_ab[k - 1] + log(a + b + k - 1);
        ps_r[k] = ps_r[k - 1] + 1 / (r + k - 1);
        ps_b[k] = ps_b[k - 1] + 1 / (b + k - 1);
        ps_ab[k] = ps_ab[k - 1] + 1 / (a + b + k - 1);
    }
    double *lt = h->scratch + CLV__SCR_TIMES(h), *it = lt + h->n_times;
    for (size_t j = 0; j < h->n_times; j++) {
        lt[j] = log(al + h->times[j]);
        it[j] = 1 / (al + h->times[j]);
    }
    const double lal = log(al), la = log(a);
    double ll = 0, g0 = 0, g1 = 0, g2 = 0, g3 = 0;
    for (size_t i = 0; i < h->n; i++) {
        const int x = (int)h->x[i];
        const double w = h->w[i];
        /* ln[G(r+x)/G(r)] + r ln alpha + ln[B(a, b+x)/B(a, b)] */
        const double common = lg_r[x] + r * lal + lg_b[x] - lg_ab[x];
        const double laT = lt[h->iT[i]], lA = -(r + x) * laT;
        double wB = 0, latx = 0, ll_i = lA;
        if (x > 0) {
            /* ln(b+x-1) is the last step of the lnG(b+x) recurrence */
            latx = lt[h->itx[i]];
            double lB = la - (lg_b[x] - lg_b[x - 1]) - (r + x) * latx;
            ll_i = logsumexp(lA, lB);
            wB = exp(lB - ll_i); /* the share of the "dropped out after the last purchase" term */
        }
        ll += w * (common + ll_i);
        if (grad) {
            const double wA = 1 - wB;
            g0 += w * (ps_r[x] + lal - wA * laT - wB * latx);
            g1 += w * (r / al - (r + x) * (wA * it[h->iT[i]] + (x > 0 ? wB * it[h->itx[i]] : 0)));
            g2 += w * (-ps_ab[x] + (x > 0 ? wB / a : 0));
            g3 += w * (ps_b[x] - ps_ab[x] - (x > 0 ? wB * (ps_b[x] - ps_b[x - 1]) : 0));
        }
    }
    if (grad)
        grad[0] = g0, grad[1] = g1, grad[2] = g2, grad[3] = g3;
    return ll;
}

static double ll_adapter(const double *par, double *grad, void *ctx)
{
    clv_bgnbd_params p = {par[0], par[1], par[2], par[3]};
    return clv__bgnbd_ll(&p, ctx, grad);
}

int clv_bgnbd_fit(const clv_rfm *c, size_t n, const clv_fit_opts *o, clv_fit_result *res, clv_error *err)
{
    clv__cohort h;
    int st = clv__cohort_build(c, n, 0, 0, &h, err);
    if (st != CLV_OK)
        return st;
    /* start from unit shapes and a rate scale near the data's mean time
     * between purchases, as Fader, Hardie and Lee's spreadsheet does */
    double sum_T = 0;
    for (size_t i = 0; i < h.n; i++)
        sum_T += h.w[i] * h.T[i];
    double start[4] = {1, fmax(sum_T / h.total_weight, 1e-3), 1, 1};
    const clv_btyd_type *ty = clv_btyd_bgnbd;
    st = clv__fit(ty->name, ty->stream_id, 4, ty->param_names, start, ll_adapter, &h, (size_t)h.total_weight, o, res,
                  err);
    clv__cohort_free(&h);
    return st;
}

/* ---- predictions ---- */

/* ln of a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x), the odds against being alive (x > 0), the
 * ratio's logarithm as log1p((T - t_x)/(alpha + t_x)): as a difference of two logarithms it
 * loses digits when alpha is large against T (1e-10 of P(alive) at alpha ~ 5e6, r ~ 2e5) */
static double log_odds_dead(const clv_bgnbd_params *p, double x, double t_x, double T)
{
    return log(p->a) - log(p->b + x - 1) + (p->r + x) * log1p((T - t_x) / (p->alpha + t_x));
}

double clv_bgnbd_palive(const clv_bgnbd_params *p, double x, double t_x, double T)
{
    if (!valid(p))
        return NAN;
    if (x <= 0)
        return 1;
    /* FHL05 eq. 11: 1 / (1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)) */
    return 1 / (1 + exp(log_odds_dead(p, x, t_x, T)));
}


void clv_bgnbd_expected_n(const clv_bgnbd_params *p, int n, const double *t, double x, double t_x, double T,
                          double *out)
{
    if (!valid(p)) {
        for (int j = 0; j < n; j++)
            out[j] = NAN;
        return;
    }
    /* FHL05 eq. 10, its hypergeometric part transformed (clv__bgnbd_alive) */
    clv__bgnbd_alive(p->r, p->a, p->b, x, p->alpha + T, n, t, out);
    /* 1 / P(alive), the denominator of FHL05 eq. 10 */
    const double den = x > 0 ? 1 + exp(log_odds_dead(p, x, t_x, T)) : 1;
    for (int j = 0; j < n; j++)
        out[j] /= den;
}

clv__alive_memo *clv__alive_memo_new(void)
{
    clv__alive_memo *m = malloc(sizeof *m);
    if (!m)
        return NULL;
    m->r = m->a = m->b = m->alpha = m->t = NAN;
    m->calls = m->hits = 0;
    return m;
}

void clv__alive_memo_free(clv__alive_memo *m) { free(m); }

/* U of clv__bgnbd_alive at the one horizon t, from the memo when it has (x, T) */
static double alive_memo(const clv_bgnbd_params *p, clv__alive_memo *m, double t, double x, double T)
{
    double U;
    if (!m) {
        clv__bgnbd_alive(p->r, p->a, p->b, x, p->alpha + T, 1, &t, &U);
        return U;
    }
    if (!(m->r == p->r && m->a == p->a && m->b == p->b && m->alpha == p->alpha && m->t == t)) {
        /* another model or horizon: the entries are not its own */
        for (size_t i = 0; i < CLV__ALIVE_MEMO; i++)
            m->e[i].x = -1;
        m->r = p->r, m->a = p->a, m->b = p->b, m->alpha = p->alpha, m->t = t;
    }
    /* a hash of the two doubles' bits (x a whole number, T whole days over the unit) */
    uint64_t bx, bT;
    memcpy(&bx, &x, sizeof bx), memcpy(&bT, &T, sizeof bT);
    uint64_t h = (bx * 0x9e3779b97f4a7c15u) ^ (bT * 0xc2b2ae3d27d4eb4fu);
    h ^= h >> 29;
    struct clv__alive_entry *e = &m->e[(h * 0xbf58476d1ce4e5b9u) >> (64 - CLV__ALIVE_MEMO_BITS)];
    m->calls++;
    if (e->x == x && e->T == T) {
        m->hits++;
        return e->U;
    }
    clv__bgnbd_alive(p->r, p->a, p->b, x, p->alpha + T, 1, &t, &U);
    e->x = x, e->T = T, e->U = U;
    return U;
}

void clv__bgnbd_expected_palive(const clv_bgnbd_params *p, clv__alive_memo *memo, double t, double x, double t_x,
                                double T, double *ey, double *palive)
{
    if (!valid(p)) {
        *ey = *palive = NAN;
        return;
    }
    /* clv_bgnbd_expected_n at one horizon and clv_bgnbd_palive, their common denominator once:
     * the same operations, so the same bits as the two calls */
    const double U = alive_memo(p, memo, t, x, T);
    const double den = x > 0 ? 1 + exp(log_odds_dead(p, x, t_x, T)) : 1;
    *ey = U / den;
    *palive = x > 0 ? 1 / den : 1;
}

double clv_bgnbd_expected(const clv_bgnbd_params *p, double t, double x, double t_x, double T)
{
    double v;
    clv_bgnbd_expected_n(p, 1, &t, x, t_x, T, &v);
    return v;
}

double clv__bgnbd_expected_series(const clv_bgnbd_params *p, double t, double x, double t_x, double T)
{
    if (!valid(p) || p->a + p->b + x - 1 <= 0 || p->a == 1)
        return NAN;
    if (t <= 0)
        return 0;
    /* FHL05 eq. 10 */
    double l2f1;
    if (clv__log_hyp2f1(p->r + x, p->b + x, p->a + p->b + x - 1, t / (p->alpha + T + t), &l2f1, NULL, NULL, NULL,
                        NULL) != 0)
        return NAN;
    double lg = (p->r + x) * (log(p->alpha + T) - log(p->alpha + T + t)) + l2f1;
    double num = (p->a + p->b + x - 1) / (p->a - 1) * -expm1(lg);
    double den = 1;
    if (x > 0)
        den += exp(log(p->a) - log(p->b + x - 1) + (p->r + x) * (log(p->alpha + T) - log(p->alpha + t_x)));
    return num / den;
}

double clv_bgnbd_expected_new(const clv_bgnbd_params *p, double t)
{
    if (!valid(p) || p->a + p->b - 1 <= 0 || p->a == 1)
        return NAN;
    if (t <= 0)
        return 0;
    /* FHL05 eq. 9 */
    double l2f1;
    if (clv__log_hyp2f1(p->r, p->b, p->a + p->b - 1, t / (p->alpha + t), &l2f1, NULL, NULL, NULL, NULL) != 0)
        return NAN;
    double lg = p->r * (log(p->alpha) - log(p->alpha + t)) + l2f1;
    return (p->a + p->b - 1) / (p->a - 1) * -expm1(lg);
}

double clv_bgnbd_pmf(const clv_bgnbd_params *p, double t, int x)
{
    if (!valid(p) || x < 0 || t < 0)
        return NAN;
    if (t == 0)
        return x == 0;
    /* FHL05 eq. 8: the NB term of customers still alive at t, plus (x > 0)
     * those who dropped out after their x-th purchase, which needs
     * P(NB >= x) = Q(x - 1) of the negative binomial with p = alpha/(alpha+t) */
    double lbeta0 = gsl_sf_lnbeta(p->a, p->b);
    double pnb = p->alpha / (p->alpha + t);
    double l1 = gsl_sf_lnbeta(p->a, p->b + x) - lbeta0 + lgam(p->r + x) - lgam(p->r) - lgam(x + 1.0) +
                p->r * log(pnb) + x * (log(t) - log(p->alpha + t));
    double v = exp(l1);
    if (x > 0) {
        double l2 = gsl_sf_lnbeta(p->a + 1, p->b + x - 1) - lbeta0;
        v += exp(l2) * gsl_cdf_negative_binomial_Q((unsigned)(x - 1), pnb, p->r);
    }
    return v;
}

/* ---- its entry in the model table (clvsim/btyd.h) ---- */

static void type_get(const clv_btyd *m, double *par)
{
    const clv_bgnbd_params *p = &m->bgnbd;
    par[0] = p->r, par[1] = p->alpha, par[2] = p->a, par[3] = p->b;
}

static void type_set(clv_btyd *m, const double *par)
{
    m->bgnbd = (clv_bgnbd_params){par[0], par[1], par[2], par[3]};
}

static double type_loglik(const clv_btyd *m, const clv_rfm *c, size_t n, double *grad, clv_error *err)
{
    return clv_bgnbd_loglik(&m->bgnbd, c, n, grad, err);
}

static double type_palive(const clv_btyd *m, double x, double t_x, double T)
{
    return clv_bgnbd_palive(&m->bgnbd, x, t_x, T);
}

static double type_expected(const clv_btyd *m, double t, double x, double t_x, double T)
{
    return clv_bgnbd_expected(&m->bgnbd, t, x, t_x, T);
}

static void type_expected_n(const clv_btyd *m, int n, const double *t, double x, double t_x, double T, double *out)
{
    clv_bgnbd_expected_n(&m->bgnbd, n, t, x, t_x, T, out);
}

static double type_expected_new(const clv_btyd *m, double t)
{
    return clv_bgnbd_expected_new(&m->bgnbd, t);
}

static double type_pmf(const clv_btyd *m, double t, int x)
{
    return clv_bgnbd_pmf(&m->bgnbd, t, x);
}

static const char *const param_names[] = {"r", "alpha", "a", "b"};

/* stream_id 98 ('b') is the one the fit had when streams were keyed by
 * the first letter of the model's name: the same random starts, the same fits */
const clv_btyd_type clv__bgnbd_type = {
    "bgnbd", "BG/NBD", CLV_MODEL_BGNBD, 98, 4, param_names,
    type_get, type_set, type_loglik, clv_bgnbd_fit,
    type_palive, type_expected, type_expected_new, type_pmf, type_expected_n,
    CLV_SIM_DROPOUT_AT_PURCHASE,
};
const clv_btyd_type *const clv_btyd_bgnbd = &clv__bgnbd_type;
