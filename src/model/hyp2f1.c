/* hyp2f1.c - the Gaussian hypergeometric series 2F1(a, b; c; z) in log space, with derivatives. */
#include <math.h>
#include <pthread.h>

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
