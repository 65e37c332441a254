/* gammagamma.c - the Gamma-Gamma model of spend per transaction (Fader, Hardie and Lee 2005; Fader and Hardie 2013). */
#include <math.h>

#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

#include "btyd_internal.h"

static int valid(const clv_gg_params *p)
{
    return p->p > 0 && p->q > 0 && p->gamma > 0 && isfinite(p->p + p->q + p->gamma);
}

/* The mean m of x spends z_j ~ Gamma(p, rate nu) is Gamma(px, rate nu x);
 * with nu ~ Gamma(q, rate gamma) its density is
 *   G(px+q) / (G(px) G(q)) gamma^q x^(px) m^(px-1) / (gamma + x m)^(px+q). */
double clv_gg_ll1(const clv_gg_params *p, double x, double m)
{
    if (!valid(p) || !(x >= 1) || !(m > 0))
        return NAN;
    double px = p->p * x;
    return gsl_sf_lngamma(px + p->q) - gsl_sf_lngamma(px) - gsl_sf_lngamma(p->q) + p->q * log(p->gamma) +
           (px - 1) * log(m) + px * log(x) - (px + p->q) * log(p->gamma + x * m);
}

/* The cohort sum: the special functions depend on x only (p x and p x + q),
 * so they are computed once per distinct x; ln m is kept with the record. */
double clv__gg_ll(const clv_gg_params *p, const clv__cohort *h, double grad[3])
{
    if (!valid(p))
        return NAN;
    const double q = p->q, g = p->gamma;
    const double lgq = gsl_sf_lngamma(q), psq = gsl_sf_psi(q), lg = log(g);
    const int X = h->xmax + 1;
    double *lg_pxq = h->scratch + CLV__SCR_X(h), *lg_px = lg_pxq + X, *ps_pxq = lg_px + X, *ps_px = ps_pxq + X;
    double *lx = ps_px + X;
    for (int x = 1; x < X; x++) {
        double px = p->p * x;
        lg_pxq[x] = gsl_sf_lngamma(px + q);
        lg_px[x] = gsl_sf_lngamma(px);
        lx[x] = log((double)x);
        if (grad) {
            ps_pxq[x] = gsl_sf_psi(px + q);
            ps_px[x] = gsl_sf_psi(px);
        }
    }
    double ll = 0, d0 = 0, d1 = 0, d2 = 0;
    for (size_t i = 0; i < h->n; i++) {
        const int x = (int)h->x[i];
        const double m = h->m[i], w = h->w[i], lm = h->lm[i];
        const double px = p->p * x, lgm = log(g + x * m);
        ll += w * (lg_pxq[x] - lg_px[x] - lgq + q * lg + (px - 1) * lm + px * lx[x] - (px + q) * lgm);
        if (grad) {
            d0 += w * x * (ps_pxq[x] - ps_px[x] + lm + lx[x] - lgm);
            d1 += w * (ps_pxq[x] - psq + lg - lgm);
            d2 += w * (q / g - (px + q) / (g + x * m));
        }
    }
    if (grad)
        grad[0] = d0, grad[1] = d1, grad[2] = d2;
    return ll;
}

double clv_gg_loglik(const clv_gg_params *p, const clv_rfm *c, size_t n, double grad[3], clv_error *err)
{
    clv_error_clear(err);
    clv__cohort h;
    if (clv__cohort_build(c, n, 1, 1, &h, err) != CLV_OK)
        return NAN;
    double ll = clv__gg_ll(p, &h, grad);
    clv__cohort_free(&h);
    return ll;
}

static double ll_adapter(const double *par, double *grad, void *ctx)
{
    clv_gg_params p = {par[0], par[1], par[2]};
    return clv__gg_ll(&p, ctx, grad);
}

int clv_gg_fit(const clv_rfm *c, size_t n, const clv_fit_opts *o, clv_fit_result *res, clv_error *err)
{
    static const char *const names[] = {"p", "q", "gamma"};
    clv__cohort h;
    int st = clv__cohort_build(c, n, 1, 1, &h, err);
    if (st != CLV_OK)
        return st;
    /* start with shape 1 per transaction and the scale that matches the mean spend */
    double sum_m = 0;
    for (size_t i = 0; i < h.n; i++)
        sum_m += h.w[i] * h.m[i];
    double start[3] = {1, 2, sum_m / h.total_weight};
    st = clv__fit("ggamma", CLV__GG_STREAM_ID, 3, names, start, ll_adapter, &h, (size_t)h.total_weight, o, res, err);
    res->n_excluded = h.excluded;
    clv__cohort_free(&h);
    return st;
}

double clv_gg_expected_spend(const clv_gg_params *p, double x, double m)
{
    if (!valid(p) || !(p->q > 1))
        return NAN;
    if (x <= 0)
        return p->p * p->gamma / (p->q - 1);
    /* E[Z | x, m] = (gamma + x m) p / (p x + q - 1) */
    return (p->gamma + x * m) * p->p / (p->p * x + p->q - 1);
}
