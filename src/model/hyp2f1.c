/* hyp2f1.c - the Gaussian hypergeometric series 2F1(a, b; c; z) in log space, with derivatives. */
#include <math.h>

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
