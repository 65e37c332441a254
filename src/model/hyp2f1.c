/* hyp2f1.c - the Gaussian hypergeometric series 2F1(a, b; c; z) in log space, with derivatives. */
#include <math.h>
#include <pthread.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

#include "btyd_internal.h"

int clv__log_hyp2f1_tab(clv__hyp2f1_tab *tab, double a, double b, double c, double z, double *out, double *da,
                        double *db, double *dc, double *dz)
{
    /* 2F1 = sum_k t_k with t_0 = 1 and t_{k+1} = t_k (a+k)(b+k) z / ((c+k)(k+1)).
     * d t_k / da = t_k sum_{j<k} 1/(a+j), likewise b; for c with a minus
     * sign; d t_k / dz = t_k k / z.  The sums are rescaled when they grow
     * large so that nothing overflows.  With a table, the factors of z and
     * the running sums come from it while it reaches, and extend it, computed
     * as without one: the same bits. */
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
    if (tab && !(tab->a == a && tab->b == b && tab->c == c)) {
        tab->a = a, tab->b = b, tab->c = c;
        tab->n = 0;
    }
    for (int k = 0; k < 2000000; k++) {
        double f;
        if (tab && k < tab->n) {
            f = tab->f[k];
            ha = tab->ha[k], hb = tab->hb[k], hc = tab->hc[k];
        } else {
            f = (a + k) * (b + k) / ((c + k) * (k + 1.0));
            if (want || tab) {
                ha += 1 / (a + k);
                hb += 1 / (b + k);
                hc += 1 / (c + k);
            }
            if (tab && k == tab->n && k < CLV__HYP2F1_TAB) {
                tab->f[k] = f;
                tab->ha[k] = ha, tab->hb[k] = hb, tab->hc[k] = hc;
                tab->n++;
            }
        }
        const double ratio = f * z;
        term *= ratio;
        sum += term;
        if (want) {
            sa += term * ha;
            sb += term * hb;
            sc += term * hc;
            sz += term * (k + 1) / z;
        }
        if (sum > 1e280) {
            const double g = 1e-280;
            sum *= g, term *= g, sa *= g, sb *= g, sc *= g, sz *= g;
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

int clv__log_hyp2f1(double a, double b, double c, double z, double *out, double *da, double *db, double *dc,
                    double *dz)
{
    return clv__log_hyp2f1_tab(NULL, a, b, c, z, out, da, db, dc, dz);
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
typedef struct {
    double s, s1, ls, ls1, ljac;
} de_point;
static de_point de_node[DE_NODES];
static int de_start[DE_LEVELS + 1];
static pthread_once_t de_once = PTHREAD_ONCE_INIT;

/* the nodes of t in [-tmax, tmax], `levels` levels, into node[] (room for
 * 2 tmax 2^(levels-1) + 1) and the levels' first indices into start[0..levels] */
static void de_fill(double tmax, int levels, de_point *node, int *start)
{
    int n = 0;
    for (int level = 0; level < levels; level++) {
        start[level] = n;
        const double h = ldexp(1, -level);
        for (int j = -(int)(tmax / h); j <= (int)(tmax / h); j++) {
            if (level > 0 && !(j & 1))
                continue;
            const double t = j * h, q = M_PI_2 * sinh(t);
            const double s = 1 / (1 + exp(-2 * q)), s1 = 1 / (1 + exp(2 * q));
            node[n].s = s;
            node[n].s1 = s1;
            node[n].ls = s < 0.5 ? log(s) : log1p(-s1);
            node[n].ls1 = s1 < 0.5 ? log(s1) : log1p(-s);
            node[n].ljac = log(M_PI * cosh(t)) + log(s) + log(s1);
            n++;
        }
    }
    start[levels] = n;
}

static void de_build(void)
{
    de_fill(4.5, DE_LEVELS, de_node, de_start);
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

/* ---- the BG/NBD's expected purchases of a customer known to be alive ---------
 * E[Y(t) | x, t_x, T] of FHL05 eq. 10 is U(t) / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)) with
 *   U(t) = C / (a-1) (1 - (1-z)^(r+x) 2F1(r+x, b+x; C; z)),  C = a+b+x-1,  z = t / (alpha+T+t),
 * the expected purchases in t of a customer alive at T.  Euler's transformation (A&S 15.3.3),
 * 2F1(a', b'; c; z) = (1-z)^(c-a'-b') 2F1(c-a', c-b'; c; z), turns it into
 *   U(t) = C / (a-1) (1 - (1-z)^(a-1) 2F1(a-1, a+b-1-r; C; z)),
 * whose first two parameters do not depend on x: the terms fall from the first, by about
 * (a-1+k)(a+b-1-r+k) / ((C+k)(k+1)) z, where the Gauss series' terms first grow by (r+x)(b+x)/C z
 * (many purchases, z not small), and the power (1-z)^(r+x) of many purchases is gone.  The
 * coefficients (a-1)_k (a+b-1-r)_k / ((C)_k k!) are the same at every horizon: the horizons of
 * one call share them and each costs two multiplications a term.  The series is taken while it
 * needs at most BG_SERIES_MAX terms and its rounding (its terms may have both signs) keeps U to
 * 1e-11 relative; else the Gauss series itself (all its terms positive: the case of r large
 * against a + b, where Euler's terms alternate for longer than the bound), within the same bound;
 * else Euler's series again with its first term split off (alive_euler_split: U small against
 * C/(a-1), where 1 - (1-z)^(a-1) F cancels); else, and near z = 1, U is the model's integral over the dropout probability
 * p ~ Beta(a, b+x) (a customer alive with rate lambda ~ Gamma(r+x, alpha+T) buys
 * (1 - e^(-lambda p t)) / p in t):
 *   U(t) = 1/B(a, b+x) int_0^1 p^(a-2) (1-p)^(b+x-1) (1 - (1 + p tau)^-(r+x)) dp,  tau = t / (alpha+T),
 * by double-exponential quadrature over the nodes of t in [-5.8, 5.8] (over w = p^a for a < 1,
 * which makes the integrand bounded at 0), at most DE2_LEVELS levels (11,879 nodes; a tiny a,
 * whose integrand over w turns sharply near w = 1, needs the last ones).  Either way a
 * call's work is bounded; a horizon neither reaches is NaN and the call returns -1. */
enum { DE2_LEVELS = 11, DE2_NODES = 12000, BG_SERIES_MAX = 4000, BG_BATCH = 64 };
static de_point de2_node[DE2_NODES];
static int de2_start[DE2_LEVELS + 1];
static pthread_once_t de2_once = PTHREAD_ONCE_INIT;

static void de2_build(void)
{
    de_fill(5.8, DE2_LEVELS, de2_node, de2_start);
}

/* ln(g(p) / p) for g(p) = 1 - (1 + p tau)^-n, from lp = ln p, ltau = ln tau and ln_n = ln n */
static double lg_over_p(double lp, double ltau, double n, double ln_n)
{
    const double u = lp + ltau; /* ln(p tau) */
    if (u + ln_n < -23)         /* n p tau below 1e-10: g = n p tau (1 - (n+1) p tau / 2), to O((n p tau)^2) */
        return ln_n + ltau + log1p(-(n + 1) / 2 * exp(u));
    return log(-expm1(-n * log1p(exp(u)))) - lp;
}

int clv__bgnbd_alive_quad(double r, double a, double b, double x, double tau, double *lU)
{
    if (!(r > 0 && a > 0 && b > 0 && x >= 0 && tau > 0) || !isfinite(r + a + b + x + tau))
        return -1;
    pthread_once(&de2_once, de2_build);
    gsl_sf_result lb;
    if (gsl_sf_lnbeta_e(a, b + x, &lb) != GSL_SUCCESS)
        return -1;
    const double n = r + x, e = b + x - 1, lt = log(tau), ln_n = log(n);
    const int subst = a < 1; /* over w = p^a: dp p^(a-2) = dw w^(-1/a) / a */
    const double la = log(a);
    /* ln of the integrand at the outermost nodes (t = +-5.75, level 2), whose share shows whether
     * the part left out beyond +-5.8 is negligible */
    const int e0 = de2_start[2], e1 = de2_start[3] - 1;
    double M = -INFINITY, S = 0, prev = NAN, edge = -INFINITY;
    for (int level = 0; level < DE2_LEVELS; level++) {
        for (int i = de2_start[level]; i < de2_start[level + 1]; i++) {
            const de_point *q = &de2_node[i];
            const double lp = subst ? q->ls / a : q->ls;        /* ln p */
            const double l1p = subst ? log(-expm1(lp)) : q->ls1; /* ln(1 - p) */
            const double lv = q->ljac + e * l1p + lg_over_p(lp, lt, n, ln_n) + (subst ? -la : (a - 1) * lp);
            if (isnan(lv))
                return -1;
            if (i == e0 || i == e1)
                edge = fmax(edge, lv);
            if (lv == -INFINITY)
                continue;
            if (lv > M) {
                S *= exp(M - lv);
                M = lv;
            }
            S += exp(lv - M);
        }
        const double cur = M + log(S * ldexp(1, -level));
        if (level >= 4 && fabs(cur - prev) <= 1e-12) {
            if (!isfinite(cur) || edge > M + log(S) - 40)
                return -1; /* the integrand has not died out at the ends (b + x - 1 near -1) */
            /* the logarithms of the integrand and of B(a, b+x) are each rounded to about 2e-16 of
             * their size, which is U's relative error: tens of thousands (a and b + x far above
             * 1e4) cost more than 1e-11 */
            if (4e-16 * (fabs(lb.val) + fabs(M)) > 1e-11)
                return -1;
            *lU = cur - lb.val;
            return 0;
        }
        prev = cur;
    }
    return -1;
}

/* U at z from the series' sums S and sum of |terms| Sabs (1 and its terms beyond), or NaN when
 * their rounding could move U by more than 1e-11 relative */
static double alive_of_sum(double A, double pre, double z, double S, double Sabs)
{
    /* ln G = A ln(1-z) + ln F, F = 1 + S; U = C/A (1 - G).  The rounding of S (2.2e-16 of the sum
     * of |terms|) and of the sum moves ln G by err, and U by G err / |1 - G| */
    const double lz = A * log1p(-z), lf = log1p(S), lg = lz + lf;
    const double err = 2.2e-16 * (Sabs / fabs(1 + S) + fabs(lz) + fabs(lf) + fabs(lg));
    const double em = expm1(lg);
    if (!((1 + em) * err <= 1e-11 * fabs(em)) || !isfinite(em))
        return NAN;
    return -pre * em;
}

/* One horizon: the loop below for a batch of one, the same operations in the same order (so the
 * same bits), without the batch's bookkeeping.  NaN when the series is not taken. */
static double alive_series1(double A, double B, double C, double pre, double z)
{
    double c = 1, zk = 1, S = 0, Sabs = 0;
    for (int i = 0; i < BG_SERIES_MAX; i++) {
        const double ratio = (A + i) * (B + i) / ((C + i) * (i + 1.0));
        c *= ratio;
        zk *= z;
        const double term = c * zk;
        S += term;
        Sabs += fabs(term);
        const double rho = ratio > 1 ? ratio * z : z;
        if (A + i + 1 > 0 && B + i + 1 > 0 && rho < 1 && fabs(term) * rho <= 1e-17 * fabs(S) * (1 - rho))
            return alive_of_sum(A, pre, z, S, Sabs);
    }
    return NAN;
}

/* U at t by the Gauss series as the paper writes it, 2F1(r+x, b+x; C; z), whose terms are all
 * positive (C > 0): the path where Euler's series does not settle within its bound (a + b - 1 - r
 * far below 0: r large against a + b) and z is small.  At most BG_SERIES_MAX terms; NaN when they
 * do not reach the sum or when 1 - G loses more than 1e-11 of U to rounding. */
static double alive_gauss1(double r, double a, double b, double x, double z)
{
    const double p1 = r + x, p2 = b + x, C = a + b + x - 1;
    double term = 1, S = 0;
    for (int i = 0; i < BG_SERIES_MAX; i++) {
        const double ratio = (p1 + i) * (p2 + i) / ((C + i) * (i + 1.0)) * z;
        term *= ratio;
        S += term;
        if (!(S < 1e300))
            return NAN; /* the terms grow far before they fall (r z large): not this way */
        const double rho = ratio > z ? ratio : z;
        if (rho < 1 && term * rho <= 1e-17 * S * (1 - rho)) {
            const double lz = p1 * log1p(-z), lf = log1p(S), lg = lz + lf, em = expm1(lg);
            const double err = 2.2e-16 * (fabs(lz) + fabs(lf) + fabs(lg));
            if (!((1 + em) * err <= 1e-11 * fabs(em)) || !isfinite(em))
                return NAN;
            return -C / (a - 1) * em;
        }
    }
    return NAN;
}

/* U at z by Euler's series where 1 - G cancels: G = (1-z)^(a-1) (1 + S) is near 1 when U is small
 * against C / (a-1), as when a is tiny and b large (a fit at the boundary of no dropout, the UCI
 * Online Retail log in days: a ~ 7.5e-8, b ~ 1.9e5, U ~ 1e-5 C/(a-1), five digits lost), which
 * leaves alive_of_sum short of 1e-11 and sent every horizon to the quadrature, whose integrand
 * over w = p^a is then at its sharpest (seconds a customer).  The first term of S is
 * (a-1)(a+b-1-r)/C z = (-1 + a + (1-a) n/C) z with n = r + x, so that exactly
 *   1 + S = (1 - z) (1 + D),  D = (h + S2) / (1 - z),  h = z (a + (1-a) n / C),
 * S2 the terms after the first, and ln G = a ln(1-z) + ln(1 + D): two small terms, no
 * cancellation.  The factor a - 1 + i of the terms after the first is taken as a + (i - 1), exact
 * at i = 1 where a - 1 + 1 keeps only a's leading digits.  NaN when the rounding could still move
 * U by more than 1e-11 relative, or when the series does not settle within BG_SERIES_MAX terms. */
static double alive_euler_split(double r, double a, double b, double x, double z)
{
    const double A = a - 1, B = a + b - 1 - r, C = a + b + x - 1, n = r + x;
    const double h = z * (a + (1 - a) * n / C);
    double c = 1, zk = 1, S2 = 0, Sabs2 = 0;
    for (int i = 0; i < BG_SERIES_MAX; i++) {
        const double Ai = i == 0 ? A : a + (i - 1);
        const double ratio = Ai * (B + i) / ((C + i) * (i + 1.0));
        c *= ratio;
        zk *= z;
        const double term = c * zk;
        if (i > 0) {
            S2 += term;
            Sabs2 += fabs(term);
        }
        /* the rest against h + S2, the part of 1 + S that U keeps */
        const double rho = ratio > 1 ? ratio * z : z;
        if (i > 0 && a + i > 0 && B + i + 1 > 0 && rho < 1 && fabs(term) * rho <= 1e-17 * fabs(h + S2) * (1 - rho)) {
            const double D = (h + S2) / (1 - z);
            if (!(D > -1))
                return NAN;
            const double la = a * log1p(-z), lf = log1p(D), lg = la + lf, em = expm1(lg);
            const double err =
                2.2e-16 * ((Sabs2 + 4 * fabs(h)) / ((1 - z) * (1 + D)) + 2 * fabs(la) + fabs(lf) + fabs(lg));
            if (!((1 + em) * err <= 1e-11 * fabs(em)) || !isfinite(em))
                return NAN;
            return -C / A * em;
        }
    }
    return NAN;
}

/* U at one horizon where Euler's series was not taken: the Gauss series, else Euler's split as
 * above, else the quadrature */
static int alive_fallback(double r, double a, double b, double x, double k, double t, double *U)
{
    const double z = t / (k + t);
    if (a + b + x - 1 > 0 && a != 1 && 37 / (1 - z) <= BG_SERIES_MAX && !isnan(*U = alive_gauss1(r, a, b, x, z)))
        return 0;
    if (a + b + x - 1 > 0 && a != 1 && 37 / (1 - z) <= BG_SERIES_MAX && !isnan(*U = alive_euler_split(r, a, b, x, z)))
        return 0;
    double lU;
    if (clv__bgnbd_alive_quad(r, a, b, x, t / k, &lU) != 0) {
        *U = NAN;
        return -1;
    }
    *U = exp(lU);
    return 0;
}

int clv__bgnbd_alive(double r, double a, double b, double x, double k, int n, const double *t, double *U)
{
    const double A = a - 1, B = a + b - 1 - r, C = a + b + x - 1, pre = C / A;
    /* the series needs about 37 / (1 - z) terms; it has no meaning for C <= 0 nor A = 0 */
    const int series_ok = C > 0 && A != 0;
    if (n == 1 && t[0] > 0 && series_ok) {
        const double z = t[0] / (k + t[0]);
        if (37 / (1 - z) <= BG_SERIES_MAX && !isnan(U[0] = alive_series1(A, B, C, pre, z)))
            return 0;
        return alive_fallback(r, a, b, x, k, t[0], &U[0]);
    }
    int st = 0;
    for (int j0 = 0; j0 < n; j0 += BG_BATCH) {
        const int m = n - j0 < BG_BATCH ? n - j0 : BG_BATCH;
        double z[BG_BATCH], zk[BG_BATCH], S[BG_BATCH], Sabs[BG_BATCH];
        int act[BG_BATCH], quad[BG_BATCH], na = 0, nq = 0;
        for (int j = 0; j < m; j++) {
            const double tj = t[j0 + j];
            if (!(tj > 0)) { /* nothing in no time; NaN for NaN */
                U[j0 + j] = tj <= 0 ? 0 : NAN;
                st = tj <= 0 ? st : -1;
                continue;
            }
            z[j] = tj / (k + tj);
            zk[j] = 1, S[j] = 0, Sabs[j] = 0;
            if (!series_ok || 37 / (1 - z[j]) > BG_SERIES_MAX)
                quad[nq++] = j;
            else
                act[na++] = j;
        }
        double c = 1; /* (A)_i (B)_i / ((C)_i i!) */
        for (int i = 0; na > 0 && i < BG_SERIES_MAX; i++) {
            const double ratio = (A + i) * (B + i) / ((C + i) * (i + 1.0));
            c *= ratio;
            /* from here on every factor is positive: the terms keep their sign and their ratios
             * tend monotonically to z, so the rest is below |term| rho / (1 - rho), which must be
             * small against S itself (U is about C/A (ln F - A ln(1-z)) when z is small, and
             * S is of the order of A z: against 1 + S, a near 1 would lose digits) */
            const int settled = A + i + 1 > 0 && B + i + 1 > 0;
            for (int q = 0; q < na;) {
                const int j = act[q];
                zk[j] *= z[j];
                const double term = c * zk[j];
                S[j] += term;
                Sabs[j] += fabs(term);
                const double rho = ratio > 1 ? ratio * z[j] : z[j];
                if (!(settled && rho < 1 && fabs(term) * rho <= 1e-17 * fabs(S[j]) * (1 - rho))) {
                    q++;
                    continue;
                }
                act[q] = act[--na];
                if (isnan(U[j0 + j] = alive_of_sum(A, pre, z[j], S[j], Sabs[j])))
                    quad[nq++] = j;
            }
        }
        for (int q = 0; q < na; q++)
            quad[nq++] = act[q];
        for (int q = 0; q < nq; q++)
            if (alive_fallback(r, a, b, x, k, t[j0 + quad[q]], &U[j0 + quad[q]]) != 0)
                st = -1;
    }
    return st;
}
