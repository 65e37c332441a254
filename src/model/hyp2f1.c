/* hyp2f1.c - the Gaussian hypergeometric series 2F1(a, b; c; z) in log space, with derivatives. */
#include <math.h>
#include <pthread.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

#include "btyd_internal.h"

int clv__log_hyp2f1(double a, double b, double c, double z, double *out, double *da, double *db, double *dc,
                    double *dz)
{
    /* 2F1 = sum_k t_k with t_0 = 1 and t_{k+1} = t_k (a+k)(b+k) z / ((c+k)(k+1)).
     * d t_k / da = t_k sum_{j<k} 1/(a+j), likewise b; for c with a minus
     * sign; d t_k / dz = t_k k / z.  The sums are rescaled when they grow
     * large so that nothing overflows. */
    const int want = da || db || dc || dz;
    double sum = 1, term = 1, scale = 0;
    double sa = 0, sb = 0, sc = 0, sz = 0;   /* sums of t_k times each derivative factor */
    double ha = 0, hb = 0, hc = 0;           /* running sum_{j<k} 1/(a+j), ... */
    if (z == 0) {
        *out = 0;
        if (want) {
            if (da) *da = 0;
            if (db) *db = 0;
            if (dc) *dc = 0;
            if (dz) *dz = a * b / c;
        }
        return 0;
    }
    for (int k = 0; k < 2000000; k++) {
        double ratio = (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z;
        if (want) {
            ha += 1 / (a + k);
            hb += 1 / (b + k);
            hc += 1 / (c + k);
        }
        term *= ratio;
        sum += term;
        if (want) {
            sa += term * ha;
            sb += term * hb;
            sc += term * hc;
            sz += term * (k + 1) / z;
        }
        if (sum > 1e280) {
            const double f = 1e-280;
            sum *= f, term *= f, sa *= f, sb *= f, sc *= f, sz *= f;
            scale += 280 * M_LN10;
        }
        /* the remaining terms shrink at least by rho = max(ratio, z) < 1 each
         * step (the ratios tend to z), so their sum is below term rho/(1-rho) */
        double rho = ratio > z ? ratio : z;
        if (rho < 1 && term * rho / (1 - rho) <= 1e-16 * sum) {
            *out = log(sum) + scale;
            if (da) *da = sa / sum;
            if (db) *db = sb / sum;
            if (dc) *dc = -sc / sum;
            if (dz) *dz = sz / sum;
            return 0;
        }
    }
    return -1;
}

/* ---- 2F1(a, b; a + 1; z) near z = 1 ----------------------------------------
 * The Pareto/NBD's series (FH05 eq. 22) needs about (b + 40) / (1 - z)
 * terms, which for alpha and beta a hundred times apart is thousands per
 * call (a run 12 times slower), and past z = 1 - 1e-5 more than the series
 * is given (it fails, and a customer's P(alive) with it).  Its Euler integral
 *   2F1(a, b; a+1; z) = a z^-a int_0^z t^(a-1) (1-t)^(-b) dt
 * is then summed by double-exponential (tanh-sinh) quadrature (Takahasi
 * and Mori 1974), whose nodes crowd both ends, where the mass of a large a
 * or b lies (t near z) and the power t^(a-1) (t near 0); for a < 1 the
 * substitution w = t^a removes the power:
 *   2F1(a, b; a+1; z) = z^-a int_0^(z^a) (1 - w^(1/a))^(-b) dw.
 * Everything is in log space, and each node's distance to both ends is
 * kept without cancellation. */

/* the series' length, about (b + 40) / (1 - z) terms, against the
 * quadrature's 5 to 20 microseconds (a few hundred nodes): the series for
 * up to 1000 terms (z up to about 0.96), which keeps every result of the
 * usual parameters (CDNOW: z below 0.1) as it was */
int clv__hyp2f1_a1_slow(double b, double z)
{
    return z > 0 && ((b > 1 ? b : 1) + 40) / (1 - z) > 1000;
}

/* The nodes of the quadrature, level by level (level 0: t = -4..4; level k:
 * the odd multiples of 2^-k in [-4.5, 4.5], whose weights beyond are below
 * e^-140), with what of each does not depend on a, b and z: the node's
 * place s in (0, 1) and 1 - s, both without cancellation
 * (s = (1 + tanh q) / 2, q = pi/2 sinh t), ln s, and ln of ds/dt. */
enum { DE_LEVELS = 9, DE_NODES = 2400 };
static struct {
    double s, s1, ls, ljac;
} de_node[DE_NODES];
static int de_start[DE_LEVELS + 1];
static pthread_once_t de_once = PTHREAD_ONCE_INIT;

static void de_build(void)
{
    int n = 0;
    for (int level = 0; level < DE_LEVELS; level++) {
        de_start[level] = n;
        const double h = ldexp(1, -level), tmax = 4.5;
        for (int j = -(int)(tmax / h); j <= (int)(tmax / h); j++) {
            if (level > 0 && !(j & 1))
                continue;
            const double t = j * h, q = M_PI_2 * sinh(t);
            const double s = 1 / (1 + exp(-2 * q)), s1 = 1 / (1 + exp(2 * q));
            de_node[n].s = s;
            de_node[n].s1 = s1;
            de_node[n].ls = s < 0.5 ? log(s) : log1p(-s1);
            de_node[n].ljac = log(M_PI * cosh(t)) + log(s) + log(s1);
            n++;
        }
    }
    de_start[DE_LEVELS] = n;
}

int clv__log_hyp2f1_a1(double a, double b, double z, double *out, double *d_a, double *d_b, double *d_z)
{
    if (!(a > 0 && b > 0 && z > 0 && z < 1))
        return -1;
    pthread_once(&de_once, de_build);
    const double eps = 1 - z;                      /* exact for z >= 1/2 */
    const double lz = log(z), l1z = log1p(-z);
    const int subst = a < 1;                       /* over w = t^a in [0, z^a] */
    const double lL = subst ? a * lz : lz;         /* ln of the interval's length */
    double M = -INFINITY, S0 = 0, S1 = 0, S2 = 0;  /* sums of g, g ln t, g ln(1 - t), scaled by e^-M */
    double prev = NAN, prev1 = NAN, prev2 = NAN;
    for (int level = 0; level < DE_LEVELS; level++) {
        for (int i = de_start[level]; i < de_start[level + 1]; i++) {
            const double s = de_node[i].s, s1 = de_node[i].s1;
            double lt, l1t; /* ln t and ln(1 - t) at the node */
            if (!subst) {
                /* t = z s; near the top 1 - t = eps + z (1 - s) */
                lt = lz + de_node[i].ls;
                l1t = s < 0.5 ? log1p(-z * s) : log(eps + z * s1);
            } else {
                /* w = z^a s, t = w^(1/a) = z s^(1/a); near the top from 1 - s */
                const double lsa = de_node[i].ls / a; /* ln(t / z) */
                lt = lz + lsa;
                l1t = s < 0.5 ? log(-expm1(lt)) : log(eps - z * expm1(lsa));
            }
            const double lv = lL + de_node[i].ljac - b * l1t + (subst ? 0 : (a - 1) * lt);
            if (!(lv > -INFINITY))
                continue;
            if (lv > M) {
                const double f = exp(M - lv);
                S0 *= f, S1 *= f, S2 *= f;
                M = lv;
            }
            const double e = exp(lv - M);
            S0 += e, S1 += e * lt, S2 += e * l1t;
        }
        /* ln of the integral at this step, and the weighted means of ln t and ln(1 - t) */
        const double cur = M + log(S0 * ldexp(1, -level)), m1 = S1 / S0, m2 = S2 / S0;
        if (level >= 4 && fabs(cur - prev) <= 1e-13 * (1 + fabs(cur)) && fabs(m1 - prev1) <= 1e-11 * (1 + fabs(m1)) &&
            fabs(m2 - prev2) <= 1e-11 * (1 + fabs(m2))) {
            /* ln F = ln a - a ln z + ln int t^(a-1) (1-t)^-b dt, that integral being J / a over w */
            const double lF = (subst ? 0 : log(a)) - a * lz + cur;
            if (!isfinite(lF))
                return -1;
            *out = lF;
            if (d_a)
                *d_a = 1 / a - lz + m1;
            if (d_b)
                *d_b = -m2;
            if (d_z) /* dF/dz = (a / z) ((1 - z)^-b - F) */
                *d_z = a / z * expm1(-b * l1z - lF);
            return 0;
        }
        prev = cur, prev1 = m1, prev2 = m2;
    }
    return -1;
}

/* 2F1(a, b; a + 1; 1 - w) for small w by the connection formula to 1 - z
 * (Abramowitz and Stegun 15.3.6 with c = a + 1, where 2F1(a, b; b; z) =
 * (1 - z)^-a):
 *   F = G(a+1) G(1-b) / G(a+1-b) z^-a  +  a/(b-1) w^(1-b) 2F1(1, a+1-b; 2-b; w)
 * The second series converges like w^k (after about a w terms), where the
 * Gauss series needs about 37/w.  Both terms are finite when b is not an
 * integer; near one they nearly cancel, and the Gauss series is left to do
 * the work.  The terms are kept as logarithms and signs, and the series
 * rescaled as it grows, so that large a (e^(a w) terms) do not overflow. */
/* The same for large a w, where z^-a = e^(a w) makes the two terms above
 * huge and nearly opposite: Pfaff's transformation (A&S 15.3.5)
 *   F = w^-b 2F1(1, b; a+1; -z/w) = w^-b sum_k (b)_k / (a+1)_k (-z/w)^k,
 * a series that diverges in the end (z/w > 1) but whose terms first fall
 * by about (b+k)/(a w) each: it is the expansion of a ∫ (1-v)^(a-1)
 * (w + z v)^-b dv in v / w, an alternating Taylor series of a completely
 * monotone function, so stopping while the terms fall leaves an error
 * below the first term left out. */
static int pfaff(double a, double b, double w, double *out, double *dA, double *db, double *dz)
{
    const double z = 1 - w, y = z / w;
    double h = 1, sum = 1, sa = 0, sb = 0, sk = 0, ha = 0, hb = 0;
    for (int k = 0; k < 100000; k++) {
        const double ratio = (b + k) / (a + 1 + k) * y;
        if (ratio >= 1)
            return -1; /* the terms grow from here: not accurate enough */
        ha += 1 / (a + 1 + k);
        hb += 1 / (b + k);
        h *= -ratio;
        sum += h;
        sa -= h * ha;
        sb += h * hb;
        sk += h * (k + 1);
        if (fabs(h) <= 1e-17 * fabs(sum)) {
            if (!(sum > 0))
                return -1;
            *out = -b * log(w) + log(sum);
            if (dA)
                *dA = sa / sum;
            if (db)
                *db = -log(w) + sb / sum;
            if (dz) /* d y / d z = 1 / w^2, and y^k contributes k / y */
                *dz = b / w + sk / (y * sum) / (w * w);
            return 0;
        }
    }
    return -1;
}

int clv__log_hyp2f1_near1(double a, double b, double w, double *out, double *dA, double *db, double *dz)
{
    const double z = 1 - w;
    if (!(a > 0 && b > 0 && w > 0 && w < 0.5) || !(b - a < 1) || !isfinite(a + b))
        return -1;
    if (a * w > 30 + 2 * b && pfaff(a, b, w, out, dA, db, dz) == 0)
        return 0;
    /* T1 = G(a+1) G(1-b) / G(a+1-b) z^-a (a + 1 - b > 0, so only G(1-b) has a sign) */
    gsl_sf_result lg1, lg2, lg3, p1, p2, p3;
    double sg2;
    if (gsl_sf_lngamma_e(a + 1, &lg1) != GSL_SUCCESS || gsl_sf_lngamma_sgn_e(1 - b, &lg2, &sg2) != GSL_SUCCESS ||
        gsl_sf_lngamma_e(a + 1 - b, &lg3) != GSL_SUCCESS)
        return -1;
    const double lt1 = lg1.val + lg2.val - lg3.val - a * log(z);
    /* G = 2F1(1, a+1-b; 2-b; w) = sum_k g_k, g_{k+1} = g_k (a+1-b+k)/(2-b+k) w, with the sums of
     * g_k times d ln g_k / da and / db alongside, and k g_k for d/dw; all scaled by e^-scale */
    double g = 1, sum = 1, sa = 0, sb = 0, sk = 0, ha = 0, hb = 0, scale = 0;
    int done = 0;
    for (int k = 0; k < 1000000; k++) {
        const double num = a + 1 - b + k, den = 2 - b + k, ratio = num / den * w;
        if (den == 0)
            return -1;
        ha += 1 / num;
        hb += 1 / den - 1 / num;
        g *= ratio;
        sum += g;
        sa += g * ha;
        sb += g * hb;
        sk += g * (k + 1);
        if (fabs(sum) > 1e280 || fabs(g) > 1e280) {
            const double f = 1e-280;
            g *= f, sum *= f, sa *= f, sb *= f, sk *= f;
            scale += 280 * M_LN10;
        }
        /* once the ratios are positive and below 1/2 (they fall from
         * here on) the rest is below |g| */
        if (den > 0 && ratio < 0.5 && fabs(g) <= 1e-17 * fabs(sum)) {
            done = 1;
            break;
        }
    }
    if (!done || !(sum > 0))
        return -1;
    const double lt2 = log(a / fabs(b - 1)) + (1 - b) * log(w) + log(sum) + scale;
    const double s1 = sg2, s2 = b > 1 ? 1 : -1;
    const double l = lt1 > lt2 ? lt1 : lt2, e1 = s1 * exp(lt1 - l), e2 = s2 * exp(lt2 - l), f = e1 + e2;
    /* cancellation beyond 1e4: not accurate enough */
    if (!(f > 1e-4) || !isfinite(l))
        return -1;
    if (gsl_sf_psi_e(a + 1, &p1) != GSL_SUCCESS || gsl_sf_psi_e(a + 1 - b, &p2) != GSL_SUCCESS ||
        gsl_sf_psi_e(1 - b, &p3) != GSL_SUCCESS)
        return -1;
    *out = l + log(f);
    if (dA)
        *dA = (e1 * (p1.val - p2.val - log(z)) + e2 * (1 / a + sa / sum)) / f;
    if (db)
        *db = (e1 * (p2.val - p3.val) + e2 * (-1 / (b - 1) - log(w) + sb / sum)) / f;
    if (dz)
        *dz = (e1 * (-a / z) + e2 * ((b - 1) / w - sk / (w * sum))) / f;
    return 0;
}
