/* test_mlp.c - the network of the LTV predictor against references it cannot
 * fake: finite differences, the least-squares solution, GSL's lognormal,
 * a known function to learn. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_integration.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_randist.h>

#include "clvsim/io.h"
#include "clvsim/mlp.h"
#include "clvsim/rng.h"
#include "harness.h"
#include "../src/model/gemm.h"

static clv_mlp *net(int n_in, int h1, int h2, int n_out, int act, int precision, size_t batch)
{
    clv_mlp_spec s = {n_in, {h1, h2}, (h1 > 0) + (h2 > 0), n_out, act, precision, batch};
    clv_error err;
    clv_mlp *m = clv_mlp_alloc(&s, &err);
    if (!m)
        harness_fail(__FILE__, __LINE__, "%s", err.msg);
    return m;
}

/* inputs uniform in (-1, 1); targets: for ZILN zero with probability 0.4,
 * else lognormal; for MSE normal */
static void data(double *X, double *y, size_t n, int n_in, int ziln, uint64_t seed)
{
    clv_rng r;
    clv_rng_seed(&r, (clv_stream_key){seed, CLV_STREAM_USER, 0, 0});
    for (size_t i = 0; i < n * (size_t)n_in; i++)
        X[i] = 2 * clv_rng_uniform(&r) - 1;
    for (size_t i = 0; i < n; i++) {
        double u = clv_rng_uniform(&r), v = clv_rng_uniform_pos(&r), w = clv_rng_uniform(&r);
        double g = sqrt(-2 * log(v)) * cos(2 * M_PI * w);
        y[i] = ziln ? (u < 0.4 ? 0 : exp(1 + 0.7 * g)) : g;
    }
}

/* every parameter's gradient against central differences, in double
 * (with dropout the mask stays the same between Adam steps), with
 * MuJoCo's guards against a check that cannot fail: the losses are finite,
 * most of the gradient is non-zero (a ReLU unit that is off, or dropped,
 * has exact zeros, which the differences must then confirm), and no
 * non-zero component is bit-identical to its finite difference (it would
 * be the same computation) */
static void check_gradient_dropout(int act, int loss, double dropout)
{
    enum { N = 7, IN = 3 };
    const int out = loss == CLV_LOSS_ZILN ? 3 : 1;
    const char *name = loss == CLV_LOSS_ZILN ? "ZILN" : loss == CLV_LOSS_BCE ? "BCE" : "MSE";
    clv_mlp *m = net(IN, 5, 4, out, act, CLV_MLP_F64, N);
    if (!m)
        return;
    clv_mlp_init(m, 3);
    clv_error err;
    CHECK_INT(clv_mlp_set_dropout(m, dropout, 77, &err), CLV_OK);
    const size_t P = clv_mlp_n_params(m);
    double X[N * IN], y[N], *p = malloc(P * sizeof *p), *g = malloc(P * sizeof *g);
    data(X, y, N, IN, loss == CLV_LOSS_ZILN, 9);
    if (loss == CLV_LOSS_BCE)
        for (int i = 0; i < N; i++)
            y[i] = y[i] > 0;
    clv_mlp_get_params(m, p);
    for (size_t k = 0; k < P; k++)
        g[k] = NAN; /* a gradient left unwritten fails below */
    const double base = clv_mlp_loss_grad(m, loss, X, y, N, g, &err);
    if (!isfinite(base))
        harness_fail(__FILE__, __LINE__, "%s: loss %g: %s", name, base, err.msg);
    double worst = 0;
    size_t nonzero = 0, identical = 0;
    for (size_t k = 0; k < P; k++) {
        const double h = 1e-6, keep = p[k];
        p[k] = keep + h;
        clv_mlp_set_params(m, p);
        double up = clv_mlp_loss_grad(m, loss, X, y, N, NULL, &err);
        p[k] = keep - h;
        clv_mlp_set_params(m, p);
        double down = clv_mlp_loss_grad(m, loss, X, y, N, NULL, &err);
        p[k] = keep;
        const double fd = (up - down) / (2 * h);
        /* NaN in up, down or g makes worst NaN, which fails below */
        worst = harness_max(worst, fabs(fd - g[k]) / fmax(1e-3, fabs(fd)));
        nonzero += g[k] != 0;
        identical += g[k] != 0 && g[k] == fd;
    }
    clv_mlp_set_params(m, p);
    if (!(worst < 1e-5))
        harness_fail(__FILE__, __LINE__, "%s %s dropout %g: largest relative gradient error %g",
                     act ? "tanh" : "relu", name, dropout, worst);
    if (!(2 * nonzero >= P) || identical > 0)
        harness_fail(__FILE__, __LINE__, "%s %s dropout %g: %zu of %zu gradient components non-zero, %zu of them "
                     "bit-identical to the finite difference",
                     act ? "tanh" : "relu", name, dropout, nonzero, P, identical);
    free(p), free(g);
    clv_mlp_free(m);
}

static void check_gradient(int act, int loss) { check_gradient_dropout(act, loss, 0); }

TEST(test_mlp_gradients)
{
    check_gradient(CLV_ACT_TANH, CLV_LOSS_MSE);
    check_gradient(CLV_ACT_TANH, CLV_LOSS_ZILN);
    check_gradient(CLV_ACT_RELU, CLV_LOSS_MSE);
    check_gradient(CLV_ACT_RELU, CLV_LOSS_ZILN);
    check_gradient(CLV_ACT_TANH, CLV_LOSS_BCE);
    check_gradient_dropout(CLV_ACT_TANH, CLV_LOSS_ZILN, 0.3);
    check_gradient_dropout(CLV_ACT_RELU, CLV_LOSS_MSE, 0.3);
}

/* dropout: a forward pass uses every unit; the gradient's pass keeps each
 * hidden unit with probability 1 - rate, scaled by 1 / (1 - rate), so that
 * the output's mean is unchanged (seen through the gradient of the output
 * bias under MSE against 0: 2 mean(out)); a rate of 1 or more is refused */
TEST(test_mlp_dropout)
{
    enum { N = 256, IN = 4, H = 64, P = H * IN + H + H + 1 };
    clv_mlp *m = net(IN, H, 0, 1, CLV_ACT_RELU, CLV_MLP_F64, N);
    if (!m)
        return;
    double X[N * IN], y[N], a[N], b[N], p[P], g0[P], g1[P];
    data(X, y, N, IN, 0, 6);
    for (int i = 0; i < N * IN; i++)
        X[i] = fabs(X[i]) + 0.1; /* positive inputs and weights: every ReLU unit is active */
    for (int k = 0; k < P; k++)
        p[k] = k < H * IN ? 0.1 + 0.01 * (k % 7) : k < H * IN + H ? 0 : k < P - 1 ? 1 : 0;
    clv_mlp_set_params(m, p);
    for (int i = 0; i < N; i++)
        y[i] = 0;
    clv_error err;
    CHECK_INT(clv_mlp_forward(m, X, N, a, &err), CLV_OK);
    CHECK(isfinite(clv_mlp_loss_grad(m, CLV_LOSS_MSE, X, y, N, g0, &err)));
    CHECK_INT(clv_mlp_set_dropout(m, 0.5, 1, &err), CLV_OK);
    CHECK_INT(clv_mlp_forward(m, X, N, b, &err), CLV_OK);
    CHECK(memcmp(a, b, sizeof a) == 0);
    CHECK(isfinite(clv_mlp_loss_grad(m, CLV_LOSS_MSE, X, y, N, g1, &err)));
    CHECK(g0[P - 1] > 0 && g1[P - 1] != g0[P - 1]);
    /* 16,384 kept-or-dropped units: the relative sd of the mean is below 1% */
    CHECK_NEAR(g1[P - 1] / g0[P - 1], 1, 0.04);
    CHECK_INT(clv_mlp_set_dropout(m, 1, 1, &err), CLV_EINPUT);
    CHECK_STR(err.msg, "expected a rate in [0, 1), got 1");
    clv_mlp_free(m);
}

/* logistic regression (no hidden layer, BCE) trained to its maximum: the
 * score equations sum_i (p_i - y_i) (1, x_i) = 0 hold */
TEST(test_mlp_logistic_regression)
{
    enum { N = 400, IN = 3 };
    clv_mlp *m = net(IN, 0, 0, 1, CLV_ACT_TANH, CLV_MLP_F64, N);
    if (!m)
        return;
    clv_mlp_init(m, 2);
    double X[N * IN], y[N], noise[N], out[N];
    data(X, noise, N, IN, 0, 8);
    for (int i = 0; i < N; i++)
        y[i] = X[i * IN] - 0.5 * X[i * IN + 1] + 0.8 * noise[i] > 0.2; /* a noisy threshold: not separable */
    clv_adam a;
    clv_adam_default(&a);
    clv_error err;
    int failed = 0; /* steps whose loss was not finite */
    for (int t = 0; t < 8000; t++) {
        a.lr = t < 4000 ? 0.05 : 1e-4;
        failed += !isfinite(clv_mlp_loss_grad(m, CLV_LOSS_BCE, X, y, N, NULL, &err));
        clv_mlp_adam_step(m, &a);
    }
    CHECK_INT(failed, 0);
    CHECK_INT(clv_mlp_forward(m, X, N, out, &err), CLV_OK);
    double score[IN + 1] = {0};
    for (int i = 0; i < N; i++) {
        const double r = 1 / (1 + exp(-out[i])) - y[i];
        score[IN] += r;
        for (int j = 0; j < IN; j++)
            score[j] += r * X[i * IN + j];
    }
    for (int j = 0; j <= IN; j++)
        CHECK_NEAR(score[j] / N, 0, 1e-4);
    y[0] = 0.5;
    CHECK(isnan(clv_mlp_loss_grad(m, CLV_LOSS_BCE, X, y, N, NULL, &err)));
    CHECK_STR(err.msg, "BCE target 0 is 0.5; expected 0 or 1");
    clv_mlp_free(m);
}

/* single and double precision compute the same function */
TEST(test_mlp_precisions)
{
    enum { N = 64, IN = 6 };
    clv_mlp *a = net(IN, 16, 8, 3, CLV_ACT_RELU, CLV_MLP_F32, N), *b = net(IN, 16, 8, 3, CLV_ACT_RELU, CLV_MLP_F64, N);
    if (!a || !b)
        return;
    clv_mlp_init(b, 5);
    double *p = malloc(clv_mlp_n_params(b) * sizeof *p);
    clv_mlp_get_params(b, p);
    clv_mlp_set_params(a, p);
    double X[N * IN], y[N], oa[N * 3], ob[N * 3];
    data(X, y, N, IN, 0, 2);
    clv_error err;
    CHECK_INT(clv_mlp_forward(a, X, N, oa, &err), CLV_OK);
    CHECK_INT(clv_mlp_forward(b, X, N, ob, &err), CLV_OK);
    double worst = 0;
    for (int i = 0; i < N * 3; i++)
        worst = harness_max(worst, fabs(oa[i] - ob[i]) / fmax(1, fabs(ob[i])));
    CHECK(worst < 1e-5);
    free(p);
    clv_mlp_free(a);
    clv_mlp_free(b);
}

/* Adam on a linear model reaches the least-squares solution (GSL's) */
TEST(test_mlp_adam_least_squares)
{
    enum { N = 200, IN = 3 };
    clv_mlp *m = net(IN, 0, 0, 1, CLV_ACT_TANH, CLV_MLP_F64, N);
    if (!m)
        return;
    clv_mlp_init(m, 1);
    double X[N * IN], y[N], noise[N];
    data(X, noise, N, IN, 0, 4);
    gsl_matrix *A = gsl_matrix_alloc(N, IN + 1);
    gsl_vector *b = gsl_vector_alloc(N), *c = gsl_vector_alloc(IN + 1);
    gsl_matrix *cov = gsl_matrix_alloc(IN + 1, IN + 1);
    for (int i = 0; i < N; i++) {
        y[i] = 1.5 * X[i * IN] - 2 * X[i * IN + 1] + 0.5 * X[i * IN + 2] + 0.7 + 0.3 * noise[i];
        for (int j = 0; j < IN; j++)
            gsl_matrix_set(A, (size_t)i, (size_t)j, X[i * IN + j]);
        gsl_matrix_set(A, (size_t)i, IN, 1);
        gsl_vector_set(b, (size_t)i, y[i]);
    }
    double chisq;
    gsl_multifit_linear_workspace *w = gsl_multifit_linear_alloc(N, IN + 1);
    gsl_multifit_linear(A, b, c, cov, &chisq, w);
    clv_adam a;
    clv_adam_default(&a);
    clv_error err;
    int failed = 0; /* steps whose loss was not finite */
    for (int t = 0; t < 6000; t++) {
        a.lr = t < 3000 ? 0.02 : 1e-4; /* constant-step Adam hovers at about lr around the optimum */
        failed += !isfinite(clv_mlp_loss_grad(m, CLV_LOSS_MSE, X, y, N, NULL, &err));
        clv_mlp_adam_step(m, &a);
    }
    CHECK_INT(failed, 0);
    double p[IN + 1];
    clv_mlp_get_params(m, p); /* the weights, then the bias */
    for (int j = 0; j <= IN; j++)
        CHECK_NEAR(p[j], gsl_vector_get(c, (size_t)j), 1e-3);
    /* and the loss there is the residual mean square */
    CHECK_NEAR(clv_mlp_loss_grad(m, CLV_LOSS_MSE, X, y, N, NULL, &err), chisq / N, 1e-6);
    gsl_multifit_linear_free(w);
    gsl_matrix_free(A), gsl_matrix_free(cov);
    gsl_vector_free(b), gsl_vector_free(c);
    clv_mlp_free(m);
}

static double lognormal_y_pdf(double y, void *params)
{
    const double *ms = params;
    return y * gsl_ran_lognormal_pdf(y, ms[0], ms[1]);
}

/* the ZILN loss and its prediction against GSL's lognormal density and a
 * numerical integral; its gradient against central differences */
TEST(test_mlp_ziln_reference)
{
    const double cases[][4] = {{0.3, 1.2, 0.4, 5.0}, {-1.5, 0.1, -0.7, 0.8}, {2.0, 3.0, 1.5, 0}, {-0.2, -1, 0.1, 0}};
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const double logit = cases[k][0], mu = cases[k][1], s = cases[k][2], y = cases[k][3];
        const double p = 1 / (1 + exp(-logit)), sigma = log(1 + exp(s));
        const double expect = y > 0 ? -log(p) - log(gsl_ran_lognormal_pdf(y, mu, sigma)) : -log(1 - p);
        double g[3] = {NAN, NAN, NAN};
        CHECK_NEAR(clv_ziln_loss(logit, mu, s, y, g), expect, 1e-12);
        const double x[3] = {logit, mu, s};
        for (int j = 0; j < 3; j++) {
            double u[3] = {x[0], x[1], x[2]}, d[3] = {x[0], x[1], x[2]};
            u[j] += 1e-6, d[j] -= 1e-6;
            const double fd = (clv_ziln_loss(u[0], u[1], u[2], y, NULL) - clv_ziln_loss(d[0], d[1], d[2], y, NULL)) / 2e-6;
            CHECK_NEAR(g[j], fd, 1e-7);
            /* MuJoCo's guards: a zero only where the loss does not depend on
             * the output (mu and s of a zero target), and never the finite
             * difference itself */
            if (y > 0 || j == 0)
                CHECK(g[j] != 0 && g[j] != fd);
            else
                CHECK(g[j] == 0);
        }
        double ms[2] = {mu, sigma}, integral, abserr;
        gsl_function f = {lognormal_y_pdf, ms};
        gsl_integration_qagiu(&f, 0, 1e-12, 1e-10, 1000, w, &integral, &abserr);
        CHECK_NEAR(clv_ziln_mean(logit, mu, s), p * integral, 1e-8 * p * integral);
    }
    gsl_integration_workspace_free(w);
}

/* a known function learned to a stated error: y = sin(2 x1) + x2^2 on
 * (-1, 1)^2 (standard deviation about 0.7), held-out RMSE below 0.05 */
TEST(test_mlp_learns_function)
{
    enum { N = 2048, TEST_N = 512, B = 128, IN = 2 };
    clv_mlp *m = net(IN, 32, 32, 1, CLV_ACT_TANH, CLV_MLP_F32, N);
    if (!m)
        return;
    clv_mlp_init(m, 7);
    double *X = malloc((N + TEST_N) * IN * sizeof *X), *y = malloc((N + TEST_N) * sizeof *y);
    data(X, y, N + TEST_N, IN, 0, 11);
    for (int i = 0; i < N + TEST_N; i++)
        y[i] = sin(2 * X[i * IN]) + X[i * IN + 1] * X[i * IN + 1];
    clv_adam a;
    clv_adam_default(&a);
    clv_error err;
    int failed = 0; /* steps whose loss was not finite (not taken) */
    for (int epoch = 0; epoch < 300; epoch++) {
        a.lr = 3e-3 * (epoch < 200 ? 1 : 0.1);
        for (int b = 0; b < N / B; b++) {
            if (isfinite(clv_mlp_loss_grad(m, CLV_LOSS_MSE, X + b * B * IN, y + b * B, B, NULL, &err)))
                clv_mlp_adam_step(m, &a);
            else
                failed++;
        }
    }
    CHECK_INT(failed, 0);
    double *out = malloc(TEST_N * sizeof *out), se = 0;
    CHECK_INT(clv_mlp_forward(m, X + N * IN, TEST_N, out, &err), CLV_OK);
    for (int i = 0; i < TEST_N; i++)
        se += (out[i] - y[N + i]) * (out[i] - y[N + i]);
    const double rmse = sqrt(se / TEST_N);
    if (!(rmse < 0.05))
        harness_fail(__FILE__, __LINE__, "held-out RMSE %g, expected below 0.05", rmse);
    free(X), free(y), free(out);
    clv_mlp_free(m);
}

/* the same seed gives the same network and the same training, bit for bit;
 * sizes out of range and bad targets are refused */
TEST(test_mlp_deterministic_and_errors)
{
    enum { N = 32, IN = 4 };
    double X[N * IN], y[N];
    data(X, y, N, IN, 1, 3);
    double *p[2] = {NULL, NULL};
    for (int k = 0; k < 2; k++) {
        clv_mlp *m = net(IN, 8, 0, 3, CLV_ACT_RELU, CLV_MLP_F32, N);
        if (!m)
            return;
        clv_mlp_init(m, 42);
        clv_adam a;
        clv_adam_default(&a);
        a.weight_decay = 1e-3;
        clv_error err;
        int failed = 0; /* steps whose loss was not finite */
        for (int t = 0; t < 50; t++) {
            failed += !isfinite(clv_mlp_loss_grad(m, CLV_LOSS_ZILN, X, y, N, NULL, &err));
            clv_mlp_adam_step(m, &a);
        }
        CHECK_INT(failed, 0);
        p[k] = malloc(clv_mlp_n_params(m) * sizeof *p[k]);
        clv_mlp_get_params(m, p[k]);
        CHECK_INT((int)clv_mlp_n_params(m), 8 * 4 + 8 + 3 * 8 + 3);
        clv_mlp_free(m);
    }
    CHECK(memcmp(p[0], p[1], (8 * 4 + 8 + 3 * 8 + 3) * sizeof *p[0]) == 0);
    free(p[0]), free(p[1]);

    clv_error err;
    clv_mlp_spec s = {0, {8}, 1, 1, CLV_ACT_RELU, CLV_MLP_F32, 16};
    CHECK(clv_mlp_alloc(&s, &err) == NULL);
    CHECK_STR(err.msg, "n_in: expected 1 to 100000 inputs");
    s.n_in = 4, s.hidden[0] = 0;
    CHECK(clv_mlp_alloc(&s, &err) == NULL);
    CHECK_STR(err.msg, "hidden: expected widths of 1 to 100000");
    s.hidden[0] = 8;
    clv_mlp *m = clv_mlp_alloc(&s, &err);
    CHECK(m != NULL);
    if (!m)
        return;
    clv_mlp_init(m, 1);
    double out[17];
    CHECK_INT(clv_mlp_forward(m, X, 17, out, &err), CLV_EINPUT);
    CHECK_STR(err.msg, "a batch of 17 rows; expected 1 to 16");
    CHECK(isnan(clv_mlp_loss_grad(m, CLV_LOSS_ZILN, X, y, 8, NULL, &err)));
    CHECK_STR(err.msg, "the ZILN loss needs 3 outputs; the network has 1");
    clv_mlp_free(m);
    m = net(IN, 8, 0, 3, CLV_ACT_RELU, CLV_MLP_F32, N);
    y[3] = -1;
    CHECK(m && isnan(clv_mlp_loss_grad(m, CLV_LOSS_ZILN, X, y, N, NULL, &err)));
    CHECK_STR(err.msg, "ZILN target 3 is -1; expected a value >= 0");
    clv_mlp_free(m);
}

/* training with a validation split: it stops after `patience` epochs
 * without improvement and keeps the best epoch's parameters; the same seed
 * trains the same network, bit for bit */
TEST(test_mlp_train_early_stopping)
{
    enum { N = 300, IN = 4 };
    double X[N * IN], y[N];
    data(X, y, N, IN, 0, 21); /* pure noise: a large network can only overfit it */
    double *p[2] = {NULL, NULL};
    clv_mlp_history h[2];
    for (int k = 0; k < 2; k++) {
        clv_mlp *m = net(IN, 64, 64, 1, CLV_ACT_RELU, CLV_MLP_F32, 32);
        if (!m)
            return;
        clv_mlp_init(m, 5);
        clv_mlp_train_opts o;
        clv_mlp_train_opts_default(&o);
        o.loss = CLV_LOSS_MSE, o.epochs = 200, o.batch = 32, o.adam.lr = 3e-3, o.patience = 4, o.seed = 9;
        clv_error err;
        CHECK_INT(clv_mlp_train(m, X, y, N, &o, &h[k], &err), CLV_OK);
        p[k] = malloc(clv_mlp_n_params(m) * sizeof *p[k]);
        clv_mlp_get_params(m, p[k]);
        CHECK_INT((int)h[k].n_val, 60);
        CHECK(h[k].epochs < 200);                       /* stopped early */
        CHECK_INT(h[k].epochs, h[k].best_epoch + 4);    /* 4 epochs after the best */
        double lowest = INFINITY;
        for (int e = 0; e < h[k].epochs; e++) {
            CHECK(isfinite(h[k].val_loss[e]) && isfinite(h[k].train_loss[e])); /* fmin would drop a NaN */
            lowest = fmin(lowest, h[k].val_loss[e]);
        }
        CHECK(h[k].val_loss[h[k].best_epoch - 1] == lowest);
        CHECK(h[k].train_loss[h[k].epochs - 1] < h[k].train_loss[0]); /* it did learn the noise */
        clv_mlp_free(m);
    }
    CHECK(memcmp(p[0], p[1], (64 * 4 + 64 + 64 * 64 + 64 + 64 + 1) * sizeof *p[0]) == 0);
    CHECK(h[0].epochs == h[1].epochs && memcmp(h[0].val_loss, h[1].val_loss, (size_t)h[0].epochs * sizeof(double)) == 0);
    free(p[0]), free(p[1]);
    clv_mlp_history_free(&h[0]);
    clv_mlp_history_free(&h[1]);
}

/* standardisation: means and sample standard deviations of the chosen rows */
TEST(test_mlp_standardize)
{
    double X[4 * 3] = {1, 5, 2, 2, 5, 4, 3, 5, 6, 10, 5, -8};
    double mean[3], sd[3];
    const size_t rows[3] = {0, 1, 2};
    clv_standardize_fit(X, 4, 3, rows, 3, mean, sd);
    CHECK_NEAR(mean[0], 2, 1e-15);
    CHECK_NEAR(sd[0], 1, 1e-15);
    CHECK_NEAR(mean[1], 5, 1e-15);
    CHECK_NEAR(sd[1], 1, 0); /* no spread: 1, so that it becomes 0 */
    CHECK_NEAR(mean[2], 4, 1e-15);
    CHECK_NEAR(sd[2], 2, 1e-15);
    clv_standardize_apply(X, 4, 3, mean, sd);
    CHECK_NEAR(X[0], -1, 1e-15);
    CHECK_NEAR(X[1], 0, 0);
    CHECK_NEAR(X[9], 8, 1e-15); /* a row outside the fit: (10 - 2) / 1 */
    CHECK_NEAR(X[11], -6, 1e-15);
}

/* the model file: saved and loaded, the same predictions; damage refused */
TEST(test_mlp_files)
{
    enum { N = 16, IN = 5 };
    clv_mlp *m = net(IN, 7, 3, 3, CLV_ACT_TANH, CLV_MLP_F32, N);
    if (!m)
        return;
    clv_mlp_init(m, 12);
    const double mean[IN] = {1, 2, 3, 4, 5}, sd[IN] = {0.5, 1, 2, 4, 8};
    double meta[CLV_MLP_META] = {365, 0.3, 30}, got[CLV_MLP_META];
    char path[] = "/tmp/clvsim-mlp-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    clv_error err;
    CHECK_INT(clv_mlp_save(m, CLV_LOSS_ZILN, mean, sd, meta, NULL, path, &err), CLV_OK);
    int loss = -1;
    double *lm = NULL, *ls = NULL;
    clv_mlp *l = clv_mlp_load(path, 64, &loss, &lm, &ls, got, NULL, &err);
    CHECK(l != NULL);
    if (l) {
        CHECK_INT(loss, CLV_LOSS_ZILN);
        CHECK(memcmp(lm, mean, sizeof mean) == 0 && memcmp(ls, sd, sizeof sd) == 0);
        CHECK(memcmp(got, meta, sizeof meta) == 0);
        CHECK_INT(clv_mlp_spec_of(l)->hidden[1], 3);
        CHECK_INT(clv_mlp_spec_of(l)->precision, CLV_MLP_F32);
        double X[N * IN], y[N], a[N * 3], b[N * 3];
        data(X, y, N, IN, 0, 1);
        CHECK_INT(clv_mlp_forward(m, X, N, a, &err), CLV_OK);
        CHECK_INT(clv_mlp_forward(l, X, N, b, &err), CLV_OK);
        CHECK(memcmp(a, b, sizeof a) == 0);
    }
    clv_mlp_free(l);
    free(lm), free(ls);
    /* damage: one byte of the parameters, a truncation, another file */
    FILE *fp = fopen(path, "r+b");
    fseek(fp, -20, SEEK_END);
    int c = fgetc(fp);
    fseek(fp, -20, SEEK_END);
    fputc(c ^ 0x40, fp);
    fclose(fp);
    CHECK(clv_mlp_load(path, 64, &loss, &lm, &ls, got, NULL, &err) == NULL);
    CHECK_STR(err.msg, "corrupted (checksum mismatch)");
    CHECK(truncate(path, 100) == 0);
    CHECK(clv_mlp_load(path, 64, &loss, &lm, &ls, got, NULL, &err) == NULL);
    CHECK_STR(err.msg, "truncated: 100 bytes, fewer than the 584 of a header and checksum");
    fp = fopen(path, "wb");
    fputs("CLVQTAB3 and more", fp);
    fclose(fp);
    CHECK(clv_mlp_load(path, 64, &loss, &lm, &ls, got, NULL, &err) == NULL);
    CHECK_STR(err.msg, "not a clvsim network (no CLVMLP magic)");
    CHECK(lm == NULL && ls == NULL);
    unlink(path);
    clv_mlp_free(m);
}

/* bytes of a network file rewritten at off, and the checksum (of all
 * after the magic) made right again, as a damaged file a CRC cannot catch */
static void rewrite(const char *path, long off, const void *bytes, size_t n)
{
    FILE *fp = fopen(path, "rb");
    CHECK(fp != NULL);
    if (!fp)
        return;
    unsigned char b[8192];
    const size_t len = fread(b, 1, sizeof b, fp);
    fclose(fp);
    CHECK(len > 12 && len < sizeof b && (size_t)off + n <= len - 4);
    memcpy(b + off, bytes, n);
    const uint32_t crc = clv_crc32(0, b + 8, len - 12);
    memcpy(b + len - 4, &crc, 4);
    fp = fopen(path, "wb");
    CHECK(fp && fwrite(b, 1, len, fp) == len);
    if (fp)
        fclose(fp);
}

/* the file's text (version 04): kept as it is; too long refused before
 * writing; a NUL byte in it, a length beyond the limit or the file refused */
TEST(test_mlp_file_text)
{
    enum { IN = 3, TEXT_AT = 8 + 14 * 4 + CLV_MLP_META * 8 };
    clv_mlp *m = net(IN, 4, 0, 1, CLV_ACT_RELU, CLV_MLP_F64, 4);
    if (!m)
        return;
    clv_mlp_init(m, 3);
    const double mean[IN] = {0, 1, 2}, sd[IN] = {1, 1, 1};
    char dir[] = "/tmp/clvsim-mlptext-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[600], text[CLV_MLP_TEXT_MAX];
    snprintf(path, sizeof path, "%s/a.net", dir);
    clv_error err;
    const char *t = "data.delimiter = \"comma\"\ndata.date_pattern = \"%m/%d/%Y %H:%M\"\n";
    CHECK_INT(clv_mlp_save(m, CLV_LOSS_MSE, mean, sd, NULL, t, path, &err), CLV_OK);
    int loss;
    double *lm = NULL, *ls = NULL;
    clv_mlp *l = clv_mlp_load(path, 4, &loss, &lm, &ls, NULL, text, &err);
    CHECK(l != NULL);
    CHECK_STR(text, t);
    clv_mlp_free(l), free(lm), free(ls);
    /* without a text: "" */
    CHECK_INT(clv_mlp_save(m, CLV_LOSS_MSE, mean, sd, NULL, NULL, path, &err), CLV_OK);
    l = clv_mlp_load(path, 4, &loss, &lm, &ls, NULL, text, &err);
    CHECK(l != NULL);
    CHECK_STR(text, "");
    clv_mlp_free(l), free(lm), free(ls);
    /* a text of CLV_MLP_TEXT_MAX bytes: refused, the file left as it was */
    char *big = malloc(CLV_MLP_TEXT_MAX + 1);
    memset(big, 'x', CLV_MLP_TEXT_MAX);
    big[CLV_MLP_TEXT_MAX] = '\0';
    CHECK_INT(clv_mlp_save(m, CLV_LOSS_MSE, mean, sd, NULL, big, path, &err), CLV_EINPUT);
    CHECK_STR(err.msg, "the network's text has 4096 bytes or more; expected at most 4095");
    big[CLV_MLP_TEXT_MAX - 1] = '\0'; /* the longest accepted */
    CHECK_INT(clv_mlp_save(m, CLV_LOSS_MSE, mean, sd, NULL, big, path, &err), CLV_OK);
    l = clv_mlp_load(path, 4, &loss, &lm, &ls, NULL, text, &err);
    CHECK(l != NULL && strcmp(text, big) == 0);
    clv_mlp_free(l), free(lm), free(ls);
    free(big);
    /* damage behind a right checksum: a NUL in the text, lengths too long */
    CHECK_INT(clv_mlp_save(m, CLV_LOSS_MSE, mean, sd, NULL, t, path, &err), CLV_OK);
    rewrite(path, TEXT_AT + 4 + 3, "", 1);
    CHECK(clv_mlp_load(path, 4, &loss, &lm, &ls, NULL, text, &err) == NULL);
    CHECK_STR(err.msg, "the text has a NUL byte at offset 3; expected text");
    CHECK_STR(text, "");
    const uint32_t lens[2] = {5000, 3000};
    CHECK_INT(clv_mlp_save(m, CLV_LOSS_MSE, mean, sd, NULL, t, path, &err), CLV_OK);
    rewrite(path, TEXT_AT, &lens[0], 4);
    CHECK(clv_mlp_load(path, 4, &loss, &lm, &ls, NULL, text, &err) == NULL);
    CHECK_STR(err.msg, "the header gives a text of 5000 bytes; expected at most 4095");
    rewrite(path, TEXT_AT, &lens[1], 4);
    CHECK(clv_mlp_load(path, 4, &loss, &lm, &ls, NULL, text, &err) == NULL);
    CHECK_STR(err.msg, "truncated: 862 bytes, fewer than the 3584 of a header, its text of 3000 bytes and checksum");
    CHECK(lm == NULL && ls == NULL);
    unlink(path);
    rmdir(dir);
    clv_mlp_free(m);
}

/* the same training, in both precisions, on every kernel variant of the
 * matrix product this processor runs (src/model/gemm.c): the same bits.
 * The network's only processor-dependent code is that choice, so this is
 * the check that a machine with other vector units gets the same network. */
TEST(test_mlp_kernel_variants)
{
    enum { N = 4096, IN = 8 };
    double *X = malloc(N * IN * sizeof *X), *y = malloc(N * sizeof *y);
    double *p[CLV_GEMM_VARIANTS] = {NULL};
    data(X, y, N, IN, 1, 13);
    const int before = clv__gemm_use_variant(0);
    for (int prec = CLV_MLP_F32; prec <= CLV_MLP_F64; prec++) {
        size_t P = 0;
        int ran = 0;
        for (int v = 0; v < CLV_GEMM_VARIANTS; v++) {
            if (!clv__gemm_variant_supported(v))
                continue;
            clv__gemm_use_variant(v);
            clv_mlp *m = net(IN, 64, 64, 3, CLV_ACT_RELU, prec, 1024);
            if (!m)
                break;
            clv_mlp_init(m, 3);
            clv_mlp_train_opts o;
            clv_mlp_train_opts_default(&o);
            o.epochs = 2, o.batch = 1024, o.validation_fraction = 0.25;
            clv_mlp_history h;
            clv_error err;
            CHECK_INT(clv_mlp_train(m, X, y, N, &o, &h, &err), CLV_OK);
            CHECK(h.epochs == 2 && isfinite(h.train_loss[1]));
            P = clv_mlp_n_params(m);
            p[v] = malloc(P * sizeof *p[v]);
            clv_mlp_get_params(m, p[v]);
            if (ran && memcmp(p[0], p[v], P * sizeof *p[v]) != 0)
                harness_fail(__FILE__, __LINE__, "%s: the %s variant trains another network than the portable one",
                             prec == CLV_MLP_F32 ? "f32" : "f64", clv__gemm_variant_names[v]);
            ran++;
            clv_mlp_history_free(&h);
            clv_mlp_free(m);
        }
        /* the portable variant always runs; training moved the parameters */
        CHECK(ran >= 1 && p[0] != NULL);
        clv_mlp *m0 = net(IN, 64, 64, 3, CLV_ACT_RELU, prec, 1024);
        if (m0 && p[0]) {
            double *init = malloc(P * sizeof *init);
            clv_mlp_init(m0, 3);
            clv_mlp_get_params(m0, init);
            CHECK(memcmp(init, p[0], P * sizeof *init) != 0);
            free(init);
        }
        clv_mlp_free(m0);
        for (int v = 0; v < CLV_GEMM_VARIANTS; v++)
            free(p[v]), p[v] = NULL;
    }
    clv__gemm_use_variant(before);
    free(X), free(y);
}
