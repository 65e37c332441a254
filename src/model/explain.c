/* explain.c - permutation importance and exact group Shapley values of a predictor given as a callback. */
#include "clvsim/explain.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "clvsim/metrics.h"
#include "clvsim/rng.h"
#include "clvsim/streams.h"

static int no_memory(clv_error *err) { return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory"); }

/* the groups in coalition S */
static int members(size_t S)
{
    int c = 0;
    for (; S; S &= S - 1)
        c++;
    return c;
}

/* the group of feature j */
static int group(const int *group_of, size_t j) { return group_of ? group_of[j] : (int)j; }

/* the model, the groups and their features checked */
static int check(const clv_explain_model *m, const int *group_of, int n_groups, int max_groups, clv_error *err)
{
    if (!m || !m->predict || m->k < 1 || m->max_batch < 1)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "model", "a predictor without a function, features or a "
                             "batch; expected a callback, k >= 1 and max_batch >= 1");
    if (n_groups < 1 || n_groups > max_groups)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "n_groups", "%d groups; expected 1 to %d", n_groups,
                             max_groups);
    for (size_t j = 0; j < m->k; j++)
        if (group(group_of, j) < 0 || group(group_of, j) >= n_groups)
            return clv_error_set(err, CLV_EINPUT, NULL, 0, "group_of", "feature %zu is in group %d; expected 0 to "
                                 "%d", j, group(group_of, j), n_groups - 1);
    return CLV_OK;
}

/* X[0..n) predicted into out in batches of m->max_batch; a value that is not finite is CLV_ENUMERIC */
static int predict_all(const clv_explain_model *m, const double *X, size_t n, double *out, clv_error *err)
{
    for (size_t i = 0; i < n; i += m->max_batch) {
        const size_t b = n - i < m->max_batch ? n - i : m->max_batch;
        int st = m->predict(m->ctx, X + i * m->k, b, out + i, err);
        if (st != CLV_OK)
            return st;
        for (size_t r = 0; r < b; r++)
            if (!isfinite(out[i + r]))
                return clv_error_set(err, CLV_ENUMERIC, NULL, 0, "prediction", "the prediction of row %zu is %g",
                                     i + r, out[i + r]);
    }
    return CLV_OK;
}

/* a keyed permutation of 0..n-1 into p */
static void permute(size_t *p, size_t n, clv_stream_key key)
{
    for (size_t i = 0; i < n; i++)
        p[i] = i;
    clv_rng r;
    clv_rng_seed(&r, key);
    for (size_t i = n; i > 1; i--) {
        const size_t j = (size_t)(clv_rng_next(&r) % i), t = p[i - 1];
        p[i - 1] = p[j], p[j] = t;
    }
}

/* mean, sd and the 95% t interval of v[0..R) */
static void summary(const double *v, int R, double *mean, double *sd, double *lo, double *hi)
{
    double s = 0, ss = 0;
    for (int r = 0; r < R; r++)
        s += v[r];
    const double m = s / R;
    for (int r = 0; r < R; r++)
        ss += (v[r] - m) * (v[r] - m);
    const double d = sqrt(ss / (R - 1)), h = gsl_cdf_tdist_Pinv(0.975, R - 1) * d / sqrt((double)R);
    *mean = m, *sd = d, *lo = m - h, *hi = m + h;
}

int clv_permutation_importance(const clv_explain_model *m, const double *X, const double *y, size_t n,
                               const int *group_of, int n_groups, int repeats, uint64_t seed, clv_importance *out,
                               double *base_mse, double *base_gini, clv_error *err)
{
    int st = check(m, group_of, n_groups, 1 << 16, err);
    if (st != CLV_OK)
        return st;
    if (repeats < 2 || repeats > 1000)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "repeats", "%d repeats; expected 2 to 1000 (an interval "
                             "needs two)", repeats);
    if (n < CLV_METRIC_DECILES)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "rows", "%zu rows; the metrics need at least %d", n,
                             CLV_METRIC_DECILES);
    const size_t k = m->k;
    double *Xp = n > SIZE_MAX / sizeof(double) / k ? NULL : malloc(n * k * sizeof *Xp);
    double *pred = malloc(n * sizeof *pred), *mse = malloc((size_t)repeats * sizeof *mse);
    double *gini = malloc((size_t)repeats * sizeof *gini);
    size_t *p = malloc(n * sizeof *p);
    if (!Xp || !pred || !mse || !gini || !p) {
        free(Xp), free(pred), free(mse), free(gini), free(p);
        return no_memory(err);
    }
    memcpy(Xp, X, n * k * sizeof *Xp);
    clv_value_metrics base, vm;
    if ((st = predict_all(m, X, n, pred, err)) == CLV_OK)
        st = clv_value_metrics_of(pred, y, n, &base, err);
    const double b_mse = base.rmse * base.rmse;
    for (int g = 0; st == CLV_OK && g < n_groups; g++) {
        for (int r = 0; st == CLV_OK && r < repeats; r++) {
            permute(p, n, (clv_stream_key){seed, CLV_STREAM_SPLIT, CLV_SPLIT_LTV_IMPORTANCE,
                                           ((uint64_t)r << 16) + (uint64_t)g});
            for (size_t j = 0; j < k; j++)
                if (group(group_of, j) == g)
                    for (size_t i = 0; i < n; i++)
                        Xp[i * k + j] = X[p[i] * k + j];
            if ((st = predict_all(m, Xp, n, pred, err)) == CLV_OK)
                st = clv_value_metrics_of(pred, y, n, &vm, err);
            mse[r] = vm.rmse * vm.rmse - b_mse;
            gini[r] = base.gini - vm.gini;
            /* the group's columns back */
            for (size_t j = 0; j < k; j++)
                if (group(group_of, j) == g)
                    for (size_t i = 0; i < n; i++)
                        Xp[i * k + j] = X[i * k + j];
        }
        if (st == CLV_OK) {
            clv_importance *o = &out[g];
            summary(mse, repeats, &o->mse_increase, &o->mse_sd, &o->mse_lo, &o->mse_hi);
            summary(gini, repeats, &o->gini_drop, &o->gini_sd, &o->gini_lo, &o->gini_hi);
        }
    }
    if (st == CLV_OK && base_mse)
        *base_mse = b_mse;
    if (st == CLV_OK && base_gini)
        *base_gini = base.gini;
    free(Xp), free(pred), free(mse), free(gini), free(p);
    return st;
}

int clv_explain_background(size_t n, size_t b, uint64_t seed, size_t *idx, clv_error *err)
{
    if (b < 1 || b > n)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "background", "%zu background rows of %zu; expected 1 to "
                             "the rows there are", b, n);
    size_t *p = malloc(n * sizeof *p);
    if (!p)
        return no_memory(err);
    permute(p, n, (clv_stream_key){seed, CLV_STREAM_SPLIT, CLV_SPLIT_LTV_BACKGROUND, 0});
    memcpy(idx, p, b * sizeof *idx);
    free(p);
    return CLV_OK;
}

int clv_shapley_groups(const clv_explain_model *m, const double *x, const double *Z, size_t B, const int *group_of,
                       int n_groups, double *phi, double *pred, double *baseline, clv_error *err)
{
    int st = check(m, group_of, n_groups, CLV_EXPLAIN_MAX_GROUPS, err);
    if (st != CLV_OK)
        return st;
    if (B < 1)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "background", "no background rows; expected at least 1");
    const size_t k = m->k, nS = (size_t)1 << n_groups, cap = m->max_batch;
    double *v = calloc(nS, sizeof *v), *rows = malloc(cap * k * sizeof *rows), *o = malloc(cap * sizeof *o);
    size_t *of = malloc(cap * sizeof *of);
    if (!v || !rows || !o || !of) {
        free(v), free(rows), free(o), free(of);
        return no_memory(err);
    }
    /* v(S) for every coalition S: the mean over the background of f with
     * the groups of S taken from x; rows go to the model in batches */
    size_t fill = 0;
    for (size_t S = 0; st == CLV_OK && S < nS; S++)
        for (size_t b = 0; st == CLV_OK && b < B; b++) {
            double *r = rows + fill * k;
            for (size_t j = 0; j < k; j++)
                r[j] = (S >> group(group_of, j)) & 1 ? x[j] : Z[b * k + j];
            of[fill++] = S;
            if (fill == cap || (S == nS - 1 && b == B - 1)) {
                st = predict_all(m, rows, fill, o, err);
                for (size_t i = 0; st == CLV_OK && i < fill; i++)
                    v[of[i]] += o[i];
                fill = 0;
            }
        }
    for (size_t S = 0; S < nS; S++)
        v[S] /= (double)B;
    /* phi_g = sum over S without g of |S|! (G - |S| - 1)! / G! (v(S + g) - v(S)) */
    double w[CLV_EXPLAIN_MAX_GROUPS];
    for (int s = 0; s < n_groups; s++) {
        /* |S|! (G - |S| - 1)! / G! = 1 / (G C(G - 1, s)) */
        double c = 1;
        for (int t = 0; t < s; t++)
            c = c * (double)(n_groups - 1 - t) / (double)(t + 1);
        w[s] = 1 / ((double)n_groups * c);
    }
    for (int g = 0; st == CLV_OK && g < n_groups; g++) {
        double sum = 0;
        for (size_t S = 0; S < nS; S++)
            if (!((S >> g) & 1))
                sum += w[members(S)] * (v[S | ((size_t)1 << g)] - v[S]);
        phi[g] = sum;
    }
    if (st == CLV_OK) {
        /* f(x) itself */
        double fx;
        st = predict_all(m, x, 1, &fx, err);
        if (st == CLV_OK && pred)
            *pred = fx;
        if (st == CLV_OK && baseline)
            *baseline = v[0];
    }
    free(v), free(rows), free(o), free(of);
    return st;
}
