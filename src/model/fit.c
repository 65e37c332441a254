/* fit.c - maximum likelihood over log-parameters with GSL's BFGS, several starts, and standard errors. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multimin.h>

#include "btyd_internal.h"
#include "clvsim/rng.h"
#include "clvsim/streams.h"

void clv_fit_opts_default(clv_fit_opts *o)
{
    o->starts = 4;
    o->max_iter = 500;
    o->grad_tol = 1e-7;
    o->seed = 1;
    o->threads = 1;
    o->progress = NULL;
    o->penalty = 0;
}

enum { KMAX = 4 };

/* the objective GSL minimises: minus the mean log-likelihood as a function
 * of the log-parameters (theta = ln par), so every parameter stays positive
 * and the scales of r ~ 0.2 and alpha ~ 10 do not matter; with a penalty L
 * > 0, plus L sum theta^2 (clv_fit_opts.penalty) */
typedef struct {
    clv__ll_fn ll;
    void *ctx;
    int k;
    double n;
    double penalty;
} objective;

static double eval(const gsl_vector *th, objective *ob, double *g_theta)
{
    double par[KMAX], grad[KMAX];
    for (int i = 0; i < ob->k; i++) {
        double t = gsl_vector_get(th, (size_t)i);
        /* far outside any sensible range: treat as outside the domain */
        if (!(fabs(t) < 30))
            goto outside;
        par[i] = exp(t);
    }
    double ll = ob->ll(par, g_theta ? grad : NULL, ob->ctx);
    if (!isfinite(ll))
        goto outside;
    if (g_theta)
        for (int i = 0; i < ob->k; i++)
            g_theta[i] = -grad[i] * par[i] / ob->n;
    if (ob->penalty > 0) {
        /* without a penalty nothing is added, so that such fits are as before to the bit */
        double pen = 0;
        for (int i = 0; i < ob->k; i++) {
            const double t = gsl_vector_get(th, (size_t)i);
            pen += t * t;
            if (g_theta)
                g_theta[i] += 2 * ob->penalty * t;
        }
        return -ll / ob->n + ob->penalty * pen;
    }
    return -ll / ob->n;
outside:
    /* a large finite value: BFGS's line search backs off from it */
    if (g_theta)
        for (int i = 0; i < ob->k; i++)
            g_theta[i] = 0;
    return 1e30;
}

static double f_cb(const gsl_vector *th, void *p) { return eval(th, p, NULL); }

static void df_cb(const gsl_vector *th, void *p, gsl_vector *g)
{
    double gt[KMAX];
    eval(th, p, gt);
    for (int i = 0; i < ((objective *)p)->k; i++)
        gsl_vector_set(g, (size_t)i, gt[i]);
}

static void fdf_cb(const gsl_vector *th, void *p, double *f, gsl_vector *g)
{
    double gt[KMAX];
    *f = eval(th, p, gt);
    for (int i = 0; i < ((objective *)p)->k; i++)
        gsl_vector_set(g, (size_t)i, gt[i]);
}

/* The Hessian of the objective (minus the mean log-likelihood) in
 * log-parameters at theta, by central differences of the analytic
 * gradient, symmetrised, into h. */
static void hessian(objective *ob, const double *theta, double h[KMAX][KMAX])
{
    const int k = ob->k;
    const double step = 1e-5;
    gsl_vector_view th;
    double x[KMAX], gp[KMAX], gm[KMAX], raw[KMAX][KMAX];
    th = gsl_vector_view_array(x, (size_t)k);
    for (int j = 0; j < k; j++) {
        for (int i = 0; i < k; i++)
            x[i] = theta[i];
        x[j] = theta[j] + step;
        eval(&th.vector, ob, gp);
        x[j] = theta[j] - step;
        eval(&th.vector, ob, gm);
        for (int i = 0; i < k; i++)
            raw[i][j] = (gp[i] - gm[i]) / (2 * step);
    }
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++)
            h[i][j] = 0.5 * (raw[i][j] + raw[j][i]);
}

/* Lower Cholesky factor of a k x k matrix in place; -1 when it is not
 * positive definite. */
static int cholesky(int k, double a[KMAX][KMAX])
{
    for (int j = 0; j < k; j++) {
        double d = a[j][j];
        for (int m = 0; m < j; m++)
            d -= a[j][m] * a[j][m];
        if (!(d > 0))
            return -1;
        a[j][j] = sqrt(d);
        for (int i = j + 1; i < k; i++) {
            double v = a[i][j];
            for (int m = 0; m < j; m++)
                v -= a[i][m] * a[j][m];
            a[i][j] = v / a[j][j];
        }
        for (int i = 0; i < j; i++)
            a[i][j] = 0;
    }
    return 0;
}

/* Standard errors from the observed information in log-parameters (n times
 * the objective's Hessian), inverted by GSL's Cholesky routines;
 * se(par) = par se(theta) (delta method).  Returns 0, or -1 when the
 * information matrix is not positive definite. */
static int standard_errors(objective *ob, const double *theta, double *se)
{
    const int k = ob->k;
    double h[KMAX][KMAX];
    hessian(ob, theta, h);
    /* on the stack: an allocation failure here would read as "not positive definite" */
    double buf[KMAX * KMAX];
    gsl_matrix_view view = gsl_matrix_view_array(buf, (size_t)k, (size_t)k);
    gsl_matrix *info = &view.matrix;
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++)
            gsl_matrix_set(info, (size_t)i, (size_t)j, ob->n * h[i][j]);
    int rc = -1;
    if (gsl_linalg_cholesky_decomp1(info) == GSL_SUCCESS && gsl_linalg_cholesky_invert(info) == GSL_SUCCESS) {
        rc = 0;
        for (int i = 0; i < k; i++) {
            double v = gsl_matrix_get(info, (size_t)i, (size_t)i);
            if (!(v > 0)) {
                rc = -1;
                break;
            }
            se[i] = exp(theta[i]) * sqrt(v);
        }
    }
    return rc;
}

/* Whitened coordinates: theta = theta0 + M y with M = L^-T, H = L L^T the
 * Hessian at theta0.  There the objective's Hessian is near the identity,
 * so BFGS needs few iterations to finish a start that screening brought
 * close to the optimum. */
typedef struct {
    objective *ob;
    double theta0[KMAX];
    double M[KMAX][KMAX];
} whitened;

static void to_theta(const whitened *w, const gsl_vector *y, gsl_vector *th)
{
    const int k = w->ob->k;
    for (int i = 0; i < k; i++) {
        double v = w->theta0[i];
        for (int j = 0; j < k; j++)
            v += w->M[i][j] * gsl_vector_get(y, (size_t)j);
        gsl_vector_set(th, (size_t)i, v);
    }
}

static double w_eval(const gsl_vector *y, whitened *w, gsl_vector *gy)
{
    const int k = w->ob->k;
    double x[KMAX], g[KMAX];
    gsl_vector_view th = gsl_vector_view_array(x, (size_t)k);
    to_theta(w, y, &th.vector);
    double f = eval(&th.vector, w->ob, gy ? g : NULL);
    if (gy)
        for (int j = 0; j < k; j++) {
            double v = 0;
            for (int i = 0; i < k; i++)
                v += w->M[i][j] * g[i];  /* dy = M^T dtheta */
            gsl_vector_set(gy, (size_t)j, v);
        }
    return f;
}

static double wf_cb(const gsl_vector *y, void *p) { return w_eval(y, p, NULL); }
static void wdf_cb(const gsl_vector *y, void *p, gsl_vector *g) { w_eval(y, p, g); }
static void wfdf_cb(const gsl_vector *y, void *p, double *f, gsl_vector *g) { *f = w_eval(y, p, g); }

/* Set up w at theta0; -1 when the Hessian there is not positive definite. */
static int whiten(objective *ob, const double *theta0, whitened *w)
{
    const int k = ob->k;
    double h[KMAX][KMAX];
    hessian(ob, theta0, h);
    if (cholesky(k, h) != 0)
        return -1;
    /* M = L^-T: invert the lower factor by forward substitution, transpose */
    double linv[KMAX][KMAX] = {{0}};
    for (int c = 0; c < k; c++)
        for (int i = 0; i < k; i++) {
            double v = i == c ? 1 : 0;
            for (int m = 0; m < i; m++)
                v -= h[i][m] * linv[m][c];
            linv[i][c] = v / h[i][i];
        }
    w->ob = ob;
    for (int i = 0; i < k; i++) {
        w->theta0[i] = theta0[i];
        for (int j = 0; j < k; j++)
            w->M[i][j] = linv[j][i];
    }
    return 0;
}

/* Euclidean norm of the objective's gradient in log-parameters at a
 * minimizer's point (mapped back from whitened coordinates when w). */
static double grad_norm(const gsl_multimin_fdfminimizer *m, const whitened *w)
{
    if (!w)
        return gsl_blas_dnrm2(m->gradient);
    const int k = w->ob->k;
    double x[KMAX], g[KMAX], n2 = 0;
    gsl_vector_view th = gsl_vector_view_array(x, (size_t)k);
    to_theta(w, m->x, &th.vector);
    eval(&th.vector, w->ob, g);
    for (int i = 0; i < k; i++)
        n2 += g[i] * g[i];
    return sqrt(n2);
}

int clv__fit(const char *model, uint64_t stream_id, int k, const char *const *names, const double *start, clv__ll_fn ll, void *ctx,
             size_t n_customers, const clv_fit_opts *o, clv_fit_result *res, clv_error *err)
{
    clv_fit_opts def;
    if (!o) {
        clv_fit_opts_default(&def);
        o = &def;
    }
    memset(res, 0, sizeof *res);
    res->n_params = k;
    res->n = n_customers;
    for (int i = 0; i < k; i++) {
        res->names[i] = names[i];
        res->se[i] = NAN;
    }
    const double penalty = o->penalty > 0 ? o->penalty : 0;
    res->penalty = penalty;
    objective ob = {ll, ctx, k, (double)n_customers, penalty};
    gsl_multimin_function_fdf fn = {f_cb, df_cb, fdf_cb, (size_t)k, &ob};
    gsl_vector *x0 = gsl_vector_alloc((size_t)k);
    if (!x0)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    char phase[64];
    snprintf(phase, sizeof phase, "fitting %s", model);
    /* The starts: the model's own guess, then guesses scattered around it by
     * a factor of up to e^1.5 either way, from a stream of their own.  Every
     * start is screened for SCREEN iterations; the best FINALISTS go on to
     * convergence (two, so that a second optimum is noticed). */
    enum { SCREEN = 8, FINALISTS = 2, MAXSTARTS = 16 };
    const int starts = o->starts < 1 ? 1 : o->starts > MAXSTARTS ? MAXSTARTS : o->starts;
    gsl_multimin_fdfminimizer *mz[MAXSTARTS] = {0};
    int alive[MAXSTARTS] = {0}, conv[MAXSTARTS] = {0}, iters[MAXSTARTS] = {0}, whitened_at[MAXSTARTS] = {0};
    whitened wh[MAXSTARTS];
    clv_rng rng;
    clv_rng_seed(&rng, (clv_stream_key){o->seed, CLV_STREAM_FIT, CLV_FIT_REP, stream_id});
    int status = CLV_OK;
    double work = 0;

    /* run start j for up to `budget` more iterations; 1 when it converged */
    #define RUN(j, budget)                                                                            \
        do {                                                                                          \
            for (int b_ = 0; b_ < (budget) && iters[j] < o->max_iter && !conv[j]; b_++) {            \
                int s_ = gsl_multimin_fdfminimizer_iterate(mz[j]);                                    \
                iters[j]++;                                                                           \
                if (grad_norm(mz[j], whitened_at[j] ? &wh[j] : NULL) < o->grad_tol)                    \
                    conv[j] = 1;                                                                      \
                else if (s_ != GSL_SUCCESS) {                                                         \
                    /* stalled: it counts when the gradient is small at the tolerance's scale */     \
                    conv[j] = grad_norm(mz[j], whitened_at[j] ? &wh[j] : NULL) < 100 * o->grad_tol;  \
                    alive[j] = 0;                                                                     \
                    break;                                                                            \
                }                                                                                     \
                /* iterations to convergence are not known in advance: an open count */            \
                if (clv_progress_report(o->progress, phase, ++work, 0) != CLV_OK) {                  \
                    status = CLV_ECANCELLED;                                                          \
                    break;                                                                            \
                }                                                                                     \
            }                                                                                         \
        } while (0)

    for (int j = 0; j < starts && status == CLV_OK; j++) {
        for (int i = 0; i < k; i++) {
            double jitter = j == 0 ? 0 : 3 * (clv_rng_uniform(&rng) - 0.5);
            gsl_vector_set(x0, (size_t)i, log(start[i]) + jitter);
        }
        if (eval(x0, &ob, NULL) >= 1e30) {
            /* outside the domain, or the likelihood was cancelled inside */
            if (clv_progress_poll(o->progress) != CLV_OK)
                status = CLV_ECANCELLED;
            continue;
        }
        mz[j] = gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, (size_t)k);
        if (!mz[j]) {
            status = CLV_ENOMEM;
            break;
        }
        gsl_multimin_fdfminimizer_set(mz[j], &fn, x0, 0.1, 0.1);
        alive[j] = 1;
        RUN(j, SCREEN);
    }
    /* the finalists: the lowest objectives after screening */
    for (int round = 0; round < FINALISTS && status == CLV_OK; round++) {
        int pick = -1;
        for (int j = 0; j < starts; j++)
            if (mz[j] && alive[j] >= 1 && alive[j] != 2 && (pick < 0 || mz[j]->f < mz[pick]->f))
                pick = j;
        if (pick < 0)
            break;
        alive[pick] = 2; /* a finalist: not picked again */
        if (!conv[pick]) {
            /* go on in whitened coordinates around where screening left it;
             * if the Hessian there is not positive definite, as it is */
            double th[KMAX];
            for (int i = 0; i < k; i++)
                th[i] = gsl_vector_get(mz[pick]->x, (size_t)i);
            if (whiten(&ob, th, &wh[pick]) == 0) {
                gsl_multimin_function_fdf wfn = {wf_cb, wdf_cb, wfdf_cb, (size_t)k, &wh[pick]};
                gsl_vector_set_zero(x0);
                gsl_multimin_fdfminimizer_set(mz[pick], &wfn, x0, 0.5, 0.1);
                whitened_at[pick] = 1;
            }
        }
        RUN(pick, o->max_iter);
    }
    #undef RUN
    double best_f = INFINITY, best_theta[KMAX] = {0};
    int best = -1;
    for (int j = 0; j < starts; j++) {
        if (!mz[j])
            continue;
        /* prefer converged starts; among equals, the lower objective */
        int better = best < 0 || (conv[j] && !conv[best]) || (conv[j] == conv[best] && mz[j]->f < best_f);
        if (better) {
            best = j;
            best_f = mz[j]->f;
        }
        res->starts_converged += conv[j];
    }
    if (best >= 0) {
        if (whitened_at[best]) {
            gsl_vector_view th = gsl_vector_view_array(best_theta, (size_t)k);
            to_theta(&wh[best], mz[best]->x, &th.vector);
        } else {
            for (int i = 0; i < k; i++)
                best_theta[i] = gsl_vector_get(mz[best]->x, (size_t)i);
        }
        res->iterations = iters[best];
        for (int j = 0; j < starts; j++)
            if (mz[j] && conv[j] && j != best && (mz[j]->f - best_f) * ob.n > 0.01)
                res->flags |= CLV_FIT_STARTS_DISAGREE;
        if (!conv[best])
            res->flags |= CLV_FIT_NOT_CONVERGED;
    }
    for (int j = 0; j < starts; j++)
        gsl_multimin_fdfminimizer_free(mz[j]);
    gsl_vector_free(x0);
    /* a likelihood cancelled inside (NaN: "outside the domain") must not
     * read as data without a finite likelihood */
    if (status == CLV_OK && clv_progress_poll(o->progress) != CLV_OK)
        status = CLV_ECANCELLED;
    if (status == CLV_ENOMEM)
        return clv_error_set(err, status, NULL, 0, NULL, "out of memory");
    if (status != CLV_OK)
        return clv_error_set(err, status, NULL, 0, NULL, "%s: cancelled", phase);
    if (!(best_f < 1e30))
        return clv_error_set(err, CLV_ENUMERIC, NULL, 0, model,
                             "no starting point gives a finite log-likelihood; check the data");

    for (int i = 0; i < k; i++)
        res->par[i] = exp(best_theta[i]);
    res->loglik = -best_f * ob.n;
    /* recompute at the estimate, so the reported value does not carry the
     * rounding of the mean */
    {
        double g[KMAX];
        double v = ll(res->par, g, ctx);
        if (isfinite(v))
            res->loglik = v;
    }
    for (int i = 0; i < k; i++)
        if (res->par[i] < 1e-5 || res->par[i] > 1e5)
            res->flags |= CLV_FIT_BOUNDARY;
    if (standard_errors(&ob, best_theta, res->se) != 0) {
        res->flags |= CLV_FIT_HESSIAN;
        for (int i = 0; i < k; i++)
            res->se[i] = NAN;
    }
    /* the same for the Hessian's evaluations */
    if (clv_progress_poll(o->progress) != CLV_OK)
        return clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "%s: cancelled", phase);

    /* the flags in words */
    size_t len = 0;
#define WARN(...) len += (size_t)snprintf(res->warning + len, len < sizeof res->warning ? sizeof res->warning - len : 0, __VA_ARGS__)
    if (res->flags & CLV_FIT_NOT_CONVERGED)
        WARN("%sdid not converge in %d iterations from any of %d starts", len ? "; " : "", o->max_iter, starts);
    if (res->flags & CLV_FIT_BOUNDARY)
        WARN("%sa parameter is at a boundary (below 1e-5 or above 1e5): the model may not fit these data; "
             "a penalty (clvsim fit --penalty %g: L2 on the log-parameters, pulling them toward 1) keeps it inside",
             len ? "; " : "", penalty > 0 ? 10 * penalty : 0.001);
    if (res->flags & CLV_FIT_HESSIAN)
        WARN("%sthe Hessian is not negative definite: no standard errors", len ? "; " : "");
    if (res->flags & CLV_FIT_STARTS_DISAGREE)
        WARN("%sstarts converged to different optima; the best is reported", len ? "; " : "");
#undef WARN
    return CLV_OK;
}
