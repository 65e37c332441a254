/* test_explain.c - permutation importance and group Shapley values on a
 * synthetic function whose answers are known in closed form:
 * f(x) = 3 x0 + x1 x2 + 0 x3, the features independent uniforms on (0, 1). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clvsim/explain.h"
#include "clvsim/rng.h"
#include "clvsim/streams.h"
#include "harness.h"

enum { K = 4 };

static int synthetic(void *ctx, const double *X, size_t n, double *out, clv_error *err)
{
    (void)ctx, (void)err;
    for (size_t i = 0; i < n; i++) {
        const double *x = X + i * K;
        out[i] = 3 * x[0] + x[1] * x[2] + 0 * x[3];
    }
    return CLV_OK;
}

static int failing(void *ctx, const double *X, size_t n, double *out, clv_error *err)
{
    (void)ctx, (void)X, (void)err;
    for (size_t i = 0; i < n; i++)
        out[i] = i == 3 ? NAN : 1;
    return CLV_OK;
}

static void uniforms(double *X, size_t n, uint64_t seed)
{
    clv_rng r;
    clv_rng_seed(&r, (clv_stream_key){seed, CLV_STREAM_USER, 1, 0});
    for (size_t i = 0; i < n * K; i++)
        X[i] = clv_rng_uniform(&r);
}

/* exact Shapley values: phi_0 = 3 (x0 - m0), the interaction split evenly
 * between x1 and x2 as the interventional value function gives it, phi_3
 * exactly 0, and the sum prediction - baseline */
TEST(test_explain_shapley_synthetic)
{
    enum { B = 64 };
    double Z[B * K], x[K] = {0.9, 0.2, 0.7, 0.55};
    uniforms(Z, B, 3);
    double m[K] = {0}, m12 = 0;
    for (int b = 0; b < B; b++) {
        for (int j = 0; j < K; j++)
            m[j] += Z[b * K + j] / B;
        m12 += Z[b * K + 1] * Z[b * K + 2] / B;
    }
    const clv_explain_model mod = {synthetic, NULL, K, 7}; /* 7 rows a call: many batches */
    double phi[K], pred, base;
    CHECK_INT(clv_shapley_groups(&mod, x, Z, B, NULL, K, phi, &pred, &base, NULL), CLV_OK);
    CHECK_NEAR(pred, 3 * 0.9 + 0.2 * 0.7, 1e-15);
    double fz = 0;
    for (int b = 0; b < B; b++)
        fz += (3 * Z[b * K] + Z[b * K + 1] * Z[b * K + 2]) / B;
    CHECK_NEAR(base, fz, 1e-13);
    CHECK_NEAR(phi[0], 3 * (x[0] - m[0]), 1e-13);
    CHECK_NEAR(phi[1], 0.5 * ((x[1] * m[2] - m12) + (x[1] * x[2] - x[2] * m[1])), 1e-13);
    CHECK_NEAR(phi[2], 0.5 * ((x[2] * m[1] - m12) + (x[1] * x[2] - x[1] * m[2])), 1e-13);
    CHECK(phi[3] == 0); /* exactly: f never reads x3 */
    CHECK_NEAR(phi[0] + phi[1] + phi[2] + phi[3], pred - base, 1e-13);
    /* in groups {x0}, {x1, x2}, {x3}: the pair gets the whole interaction */
    const int g3[K] = {0, 1, 1, 2};
    double ph3[3];
    CHECK_INT(clv_shapley_groups(&mod, x, Z, B, g3, 3, ph3, NULL, NULL, NULL), CLV_OK);
    CHECK_NEAR(ph3[0], 3 * (x[0] - m[0]), 1e-13);
    CHECK_NEAR(ph3[1], x[1] * x[2] - m12, 1e-13);
    CHECK(ph3[2] == 0);
    /* the batch does not change a bit */
    const clv_explain_model big = {synthetic, NULL, K, 4096};
    double phb[K];
    CHECK_INT(clv_shapley_groups(&big, x, Z, B, NULL, K, phb, NULL, NULL, NULL), CLV_OK);
    CHECK(memcmp(phb, phi, sizeof phi) == 0);
    /* errors: groups out of range, a prediction that is not finite */
    clv_error err;
    const int bad[K] = {0, 1, 5, 2};
    CHECK_INT(clv_shapley_groups(&mod, x, Z, B, bad, 3, phi, NULL, NULL, &err), CLV_EINPUT);
    CHECK_STR(err.field, "group_of");
    CHECK_INT(clv_shapley_groups(&mod, x, Z, B, NULL, CLV_EXPLAIN_MAX_GROUPS + 1, phi, NULL, NULL, &err),
              CLV_EINPUT);
    const clv_explain_model nan_model = {failing, NULL, K, 64};
    CHECK_INT(clv_shapley_groups(&nan_model, x, Z, B, NULL, K, phi, NULL, NULL, &err), CLV_ENUMERIC);
}

/* permutation importance against the closed forms of the MSE increase:
 * permuting x0 adds E[(3 (x0 - x0'))^2] = 18 Var(x0) = 1.5; permuting x1
 * adds E[x2^2] 2 Var(x1) = (1/3)(2/12) = 1/18; x3 adds exactly 0 */
TEST(test_explain_importance_synthetic)
{
    enum { N = 20000, R = 5 };
    double *X = malloc(N * K * sizeof *X), *y = malloc(N * sizeof *y);
    CHECK(X && y);
    if (!X || !y) {
        free(X), free(y);
        return;
    }
    uniforms(X, N, 11);
    for (int i = 0; i < N; i++)
        y[i] = 3 * X[i * K] + X[i * K + 1] * X[i * K + 2];
    const clv_explain_model mod = {synthetic, NULL, K, 1000};
    clv_importance imp[K], again[K];
    double bm, bg;
    CHECK_INT(clv_permutation_importance(&mod, X, y, N, NULL, K, R, 42, imp, &bm, &bg, NULL), CLV_OK);
    CHECK_NEAR(bm, 0, 1e-20);
    CHECK_NEAR(bg, 1, 1e-12); /* y ranks itself */
    CHECK_NEAR(imp[0].mse_increase, 1.5, 0.03 * 1.5);
    CHECK_NEAR(imp[1].mse_increase, 1.0 / 18, 0.05 / 18);
    CHECK_NEAR(imp[2].mse_increase, 1.0 / 18, 0.05 / 18);
    CHECK(imp[0].mse_lo <= imp[0].mse_increase && imp[0].mse_increase <= imp[0].mse_hi && imp[0].mse_sd > 0);
    /* the feature f ignores: 0 within its interval, exactly */
    CHECK(imp[3].mse_increase == 0 && imp[3].mse_lo <= 0 && imp[3].mse_hi >= 0);
    CHECK(imp[3].gini_drop == 0 && imp[3].gini_lo <= 0 && imp[3].gini_hi >= 0);
    CHECK(imp[0].gini_lo > imp[1].gini_hi && imp[1].gini_lo > 0);
    /* keyed: the same seed gives the same bits, another seed other draws */
    CHECK_INT(clv_permutation_importance(&mod, X, y, N, NULL, K, R, 42, again, NULL, NULL, NULL), CLV_OK);
    CHECK(memcmp(again, imp, sizeof imp) == 0);
    CHECK_INT(clv_permutation_importance(&mod, X, y, N, NULL, K, R, 43, again, NULL, NULL, NULL), CLV_OK);
    CHECK(again[0].mse_increase != imp[0].mse_increase);
    /* grouped: x1 and x2 together add E[(x1 x2 - x1' x2')^2] = 2 Var(x1 x2)
     * = 2 (1/9 - 1/16) = 7/72 */
    const int g3[K] = {0, 1, 1, 2};
    CHECK_INT(clv_permutation_importance(&mod, X, y, N, g3, 3, R, 42, again, NULL, NULL, NULL), CLV_OK);
    CHECK_NEAR(again[1].mse_increase, 7.0 / 72, 0.05 * 7 / 72);
    /* errors */
    clv_error err;
    CHECK_INT(clv_permutation_importance(&mod, X, y, N, NULL, K, 1, 42, imp, NULL, NULL, &err), CLV_EINPUT);
    CHECK_STR(err.field, "repeats");
    CHECK_INT(clv_permutation_importance(&mod, X, y, 9, NULL, K, R, 42, imp, NULL, NULL, &err), CLV_EINPUT);
    free(X), free(y);
}

/* the background rows: b distinct rows, keyed */
TEST(test_explain_background)
{
    size_t a[50], b[50];
    CHECK_INT(clv_explain_background(1000, 50, 9, a, NULL), CLV_OK);
    CHECK_INT(clv_explain_background(1000, 50, 9, b, NULL), CLV_OK);
    CHECK(memcmp(a, b, sizeof a) == 0);
    for (int i = 0; i < 50; i++) {
        CHECK(a[i] < 1000);
        for (int j = 0; j < i; j++)
            CHECK(a[i] != a[j]);
    }
    clv_error err;
    CHECK_INT(clv_explain_background(10, 11, 9, a, &err), CLV_EINPUT);
    CHECK_STR(err.field, "background");
}
