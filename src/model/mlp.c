/* mlp.c - the multilayer perceptron: buffers, initialisation, losses, and the passes in two precisions. */
#include "clvsim/mlp.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clvsim/io.h"
#include "clvsim/rng.h"
#include "clvsim/streams.h"
#include "gemm.h"

#include "../core/binfile.h"

enum { MLP_MAX_LAYERS = CLV_MAX_LAYERS + 1 };

struct clv_mlp {
    clv_mlp_spec spec;
    int n_layers;                    /* hidden layers + the output layer */
    int in[MLP_MAX_LAYERS], out[MLP_MAX_LAYERS];
    size_t off[MLP_MAX_LAYERS];      /* of each layer's weights in the parameter vector */
    size_t n_params;
    size_t elem;                     /* 4 or 8 */
    /* in the network's precision */
    void *p, *g, *m1, *m2;           /* parameters, gradient, Adam's moments */
    void *x;                         /* max_batch x n_in */
    void *z[MLP_MAX_LAYERS];         /* max_batch x out[l]: pre-activations (the outputs for the last) */
    void *a[MLP_MAX_LAYERS];         /* max_batch x out[l]: activations of the hidden layers */
    void *d[2];                      /* max_batch x widest layer: the backward pass's deltas */
    double *outd, *deltad;           /* max_batch x n_out: the outputs and their gradient, in double */
    long steps;                      /* Adam's */
    double dropout;                  /* rate on hidden units while computing a gradient; 0: none */
    uint64_t dropout_seed;
    size_t forward_rows;             /* rows of the last clv_mlp_forward, for clv_mlp_backward; 0: none */
    void *mask[MLP_MAX_LAYERS];      /* max_batch x out[l]: each hidden unit's dropout factor */
};

#define R float
#define GEMM clv__gemm_f32
#define SQRT sqrtf
#define SUF f32
#include "mlp_impl.h"
#undef R
#undef GEMM
#undef SQRT
#undef SUF
#define R double
#define GEMM clv__gemm_f64
#define SQRT sqrt
#define SUF f64
#include "mlp_impl.h"
#undef R
#undef GEMM
#undef SQRT
#undef SUF

#define BY_PRECISION(m, fn, ...) ((m)->spec.precision == CLV_MLP_F64 ? fn##_f64(__VA_ARGS__) : fn##_f32(__VA_ARGS__))

void clv_mlp_free(clv_mlp *m)
{
    if (!m)
        return;
    free(m->p), free(m->g), free(m->m1), free(m->m2), free(m->x), free(m->d[0]), free(m->d[1]);
    free(m->outd), free(m->deltad);
    for (int l = 0; l < MLP_MAX_LAYERS; l++)
        free(m->z[l]), free(m->a[l]), free(m->mask[l]);
    free(m);
}

clv_mlp *clv_mlp_alloc(const clv_mlp_spec *spec, clv_error *err)
{
    const char *bad = NULL;
    if (spec->n_in < 1 || spec->n_in > 100000)
        bad = "n_in: expected 1 to 100000 inputs";
    else if (spec->n_out < 1 || spec->n_out > 1000)
        bad = "n_out: expected 1 to 1000 outputs";
    else if (spec->n_hidden < 0 || spec->n_hidden > CLV_MAX_LAYERS)
        bad = "n_hidden: expected 0 to 8 hidden layers";
    else if (spec->max_batch < 1 || spec->max_batch > (size_t)1 << 24)
        bad = "max_batch: expected 1 to 16777216 rows";
    else if (spec->precision != CLV_MLP_F32 && spec->precision != CLV_MLP_F64)
        bad = "precision: expected CLV_MLP_F32 or CLV_MLP_F64";
    else if (spec->activation != CLV_ACT_RELU && spec->activation != CLV_ACT_TANH)
        bad = "activation: expected relu or tanh";
    for (int l = 0; !bad && l < spec->n_hidden; l++)
        if (spec->hidden[l] < 1 || spec->hidden[l] > 100000)
            bad = "hidden: expected widths of 1 to 100000";
    if (bad) {
        clv_error_set(err, CLV_EINPUT, NULL, 0, "mlp", "%s", bad);
        return NULL;
    }
    clv_mlp *m = calloc(1, sizeof *m);
    if (!m) {
        clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
        return NULL;
    }
    m->spec = *spec;
    m->n_layers = spec->n_hidden + 1;
    m->elem = spec->precision == CLV_MLP_F64 ? sizeof(double) : sizeof(float);
    int widest = spec->n_in;
    for (int l = 0; l < m->n_layers; l++) {
        m->in[l] = l ? spec->hidden[l - 1] : spec->n_in;
        m->out[l] = l < spec->n_hidden ? spec->hidden[l] : spec->n_out;
        m->off[l] = m->n_params;
        m->n_params += (size_t)m->out[l] * (size_t)m->in[l] + (size_t)m->out[l];
        widest = m->out[l] > widest ? m->out[l] : widest;
    }
    const size_t B = spec->max_batch, e = m->elem;
    int ok = (m->p = calloc(m->n_params, e)) && (m->g = calloc(m->n_params, e)) && (m->m1 = calloc(m->n_params, e)) &&
             (m->m2 = calloc(m->n_params, e)) && (m->x = calloc(B * (size_t)spec->n_in, e)) &&
             (m->d[0] = calloc(B * (size_t)widest, e)) && (m->d[1] = calloc(B * (size_t)widest, e)) &&
             (m->outd = calloc(B * (size_t)spec->n_out, sizeof *m->outd)) &&
             (m->deltad = calloc(B * (size_t)spec->n_out, sizeof *m->deltad));
    for (int l = 0; ok && l < m->n_layers; l++) {
        ok = (m->z[l] = calloc(B * (size_t)m->out[l], e)) != NULL;
        if (ok && l + 1 < m->n_layers)
            ok = (m->a[l] = calloc(B * (size_t)m->out[l], e)) != NULL &&
                 (m->mask[l] = calloc(B * (size_t)m->out[l], e)) != NULL;
    }
    if (!ok) {
        clv_mlp_free(m);
        clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory for the network's buffers");
        return NULL;
    }
    return m;
}

const clv_mlp_spec *clv_mlp_spec_of(const clv_mlp *m) { return &m->spec; }
size_t clv_mlp_n_params(const clv_mlp *m) { return m->n_params; }

static double param(const clv_mlp *m, const void *v, size_t i)
{
    return m->elem == sizeof(double) ? ((const double *)v)[i] : (double)((const float *)v)[i];
}

static void set_param(const clv_mlp *m, void *v, size_t i, double x)
{
    if (m->elem == sizeof(double))
        ((double *)v)[i] = x;
    else
        ((float *)v)[i] = (float)x;
}

void clv_mlp_get_params(const clv_mlp *m, double *p)
{
    for (size_t i = 0; i < m->n_params; i++)
        p[i] = param(m, m->p, i);
}

void clv_mlp_set_params(clv_mlp *m, const double *p)
{
    for (size_t i = 0; i < m->n_params; i++)
        set_param(m, m->p, i, p[i]);
}

void clv_mlp_init(clv_mlp *m, uint64_t seed) { clv_mlp_init_stream(m, seed, CLV_STREAM_LTV, CLV_LTV_INIT_REP); }

void clv_mlp_init_stream(clv_mlp *m, uint64_t seed, uint32_t purpose, uint64_t replication)
{
    for (int l = 0; l < m->n_layers; l++) {
        clv_rng r;
        clv_rng_seed(&r, (clv_stream_key){seed, purpose, replication, (uint64_t)l});
        const double fan = m->spec.activation == CLV_ACT_TANH ? m->in[l] + m->out[l] : m->in[l];
        const double limit = sqrt(6.0 / fan);
        const size_t nw = (size_t)m->out[l] * (size_t)m->in[l];
        for (size_t k = 0; k < nw; k++)
            set_param(m, m->p, m->off[l] + k, limit * (2 * clv_rng_uniform(&r) - 1));
        for (int j = 0; j < m->out[l]; j++)
            set_param(m, m->p, m->off[l] + nw + (size_t)j, 0);
    }
    memset(m->m1, 0, m->n_params * m->elem);
    memset(m->m2, 0, m->n_params * m->elem);
    m->steps = 0;
}

static int check_batch(const clv_mlp *m, size_t n, clv_error *err)
{
    if (n < 1 || n > m->spec.max_batch)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "mlp", "a batch of %zu rows; expected 1 to %zu", n,
                             m->spec.max_batch);
    return CLV_OK;
}

int clv_mlp_forward(clv_mlp *m, const double *X, size_t n, double *out, clv_error *err)
{
    int st = check_batch(m, n, err);
    if (st != CLV_OK)
        return st;
    BY_PRECISION(m, load, m, X, n);
    BY_PRECISION(m, forward, m, n, 0);
    BY_PRECISION(m, outputs, m, n, out);
    m->forward_rows = n;
    return CLV_OK;
}

int clv_mlp_backward(clv_mlp *m, const double *dout, size_t n, double *grad, clv_error *err)
{
    if (n < 1 || n != m->forward_rows)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "mlp",
                             "a backward pass of %zu rows; expected the %zu rows of the last forward pass", n,
                             m->forward_rows);
    if (m->dropout > 0)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "mlp", "a backward pass with dropout %g; expected none",
                             m->dropout);
    BY_PRECISION(m, set_deltas, m, n, dout);
    BY_PRECISION(m, backward, m, n);
    if (grad)
        for (size_t i = 0; i < m->n_params; i++)
            grad[i] = param(m, m->g, i);
    return CLV_OK;
}

/* log(1 + e^x), without overflow */
static double softplus(double x) { return (x > 0 ? x : 0) + log1p(exp(-fabs(x))); }
static double sigmoid(double x) { return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)); }

double clv_ziln_loss(double logit, double mu, double s, double y, double g[3])
{
    /* the purchase part: binary cross-entropy on the logit */
    const int pos = y > 0;
    double loss = softplus(logit) - (pos ? logit : 0);
    double g0 = sigmoid(logit) - pos, g1 = 0, g2 = 0;
    if (pos) {
        /* -log LN(y; mu, sigma) = log y + log sigma + log(2 pi) / 2 + z^2 / 2 */
        const double sigma = softplus(s), z = (log(y) - mu) / sigma;
        loss += log(y) + log(sigma) + 0.5 * log(2 * M_PI) + 0.5 * z * z;
        g1 = -z / sigma;
        g2 = (1 - z * z) / sigma * sigmoid(s); /* d sigma / d s = sigmoid(s) */
    }
    if (g)
        g[0] = g0, g[1] = g1, g[2] = g2;
    return loss;
}

double clv_ziln_mean(double logit, double mu, double s)
{
    const double sigma = softplus(s);
    return sigmoid(logit) * exp(mu + 0.5 * sigma * sigma);
}

double clv_ziln_mean_bounded(double logit, double mu, double s, double sigma_max)
{
    double sigma = softplus(s);
    sigma = sigma_max > 0 && sigma > sigma_max ? sigma_max : sigma;
    /* in logs, log sigmoid(logit) = -softplus(-logit): a P(buy) that
     * underflows to 0 times an exp(mu) that overflows is not NaN */
    return exp(mu + 0.5 * sigma * sigma - softplus(-logit));
}

/* the summed loss of one batch, and with backprop the mean's gradient in m->g */
static double batch_loss(clv_mlp *m, int loss, const double *X, const double *y, size_t n, int backprop,
                         clv_error *err)
{
    if (check_batch(m, n, err) != CLV_OK)
        return NAN;
    m->forward_rows = 0; /* its pass is no clv_mlp_forward's */
    const int need = loss == CLV_LOSS_ZILN ? 3 : 1;
    if ((loss != CLV_LOSS_MSE && loss != CLV_LOSS_ZILN && loss != CLV_LOSS_BCE) || m->spec.n_out != need) {
        clv_error_set(err, CLV_EINPUT, NULL, 0, "mlp", "the %s loss needs %d output%s; the network has %d",
                      loss == CLV_LOSS_ZILN ? "ZILN" : loss == CLV_LOSS_BCE ? "BCE" : "MSE", need,
                      need > 1 ? "s" : "", m->spec.n_out);
        return NAN;
    }
    BY_PRECISION(m, load, m, X, n);
    BY_PRECISION(m, forward, m, n, backprop);
    BY_PRECISION(m, outputs, m, n, m->outd);
    const double *o = m->outd;
    double *d = m->deltad, total = 0;
    for (size_t i = 0; i < n; i++) {
        if (loss == CLV_LOSS_MSE) {
            const double r = o[i] - y[i];
            total += r * r;
            d[i] = 2 * r / (double)n;
        } else if (loss == CLV_LOSS_BCE) {
            if (y[i] != 0 && y[i] != 1) {
                clv_error_set(err, CLV_EINPUT, NULL, 0, "mlp", "BCE target %zu is %g; expected 0 or 1", i, y[i]);
                return NAN;
            }
            total += softplus(o[i]) - y[i] * o[i];
            d[i] = (sigmoid(o[i]) - y[i]) / (double)n;
        } else {
            if (!(y[i] >= 0)) {
                clv_error_set(err, CLV_EINPUT, NULL, 0, "mlp", "ZILN target %zu is %g; expected a value >= 0", i,
                              y[i]);
                return NAN;
            }
            double g[3];
            total += clv_ziln_loss(o[3 * i], o[3 * i + 1], o[3 * i + 2], y[i], g);
            for (int j = 0; j < 3; j++)
                d[3 * i + (size_t)j] = g[j] / (double)n;
        }
    }
    if (backprop) {
        BY_PRECISION(m, set_deltas, m, n, d);
        BY_PRECISION(m, backward, m, n);
    }
    return total;
}

double clv_mlp_loss_grad(clv_mlp *m, int loss, const double *X, const double *y, size_t n, double *grad,
                         clv_error *err)
{
    const double total = batch_loss(m, loss, X, y, n, 1, err);
    if (grad && !isnan(total))
        for (size_t i = 0; i < m->n_params; i++)
            grad[i] = param(m, m->g, i);
    return total / (double)n;
}

double clv_mlp_loss(clv_mlp *m, int loss, const double *X, const double *y, size_t n, clv_error *err)
{
    double total = 0;
    for (size_t i = 0; i < n && !isnan(total); i += m->spec.max_batch) {
        const size_t b = n - i < m->spec.max_batch ? n - i : m->spec.max_batch;
        total += batch_loss(m, loss, X + i * (size_t)m->spec.n_in, y + i, b, 0, err);
    }
    return n ? total / (double)n : NAN;
}

int clv_mlp_set_dropout(clv_mlp *m, double rate, uint64_t seed, clv_error *err)
{
    if (!(rate >= 0 && rate < 1))
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "dropout", "expected a rate in [0, 1), got %g", rate);
    m->dropout = rate;
    m->dropout_seed = seed;
    return CLV_OK;
}

void clv_adam_default(clv_adam *a)
{
    a->lr = 1e-3;
    a->beta1 = 0.9;
    a->beta2 = 0.999;
    a->eps = 1e-8;
    a->weight_decay = 0;
}

void clv_mlp_adam_step(clv_mlp *m, const clv_adam *a)
{
    m->steps++;
    const double c1 = 1 - pow(a->beta1, (double)m->steps), c2 = 1 - pow(a->beta2, (double)m->steps);
    BY_PRECISION(m, adam, m, a, c1, c2);
}

/* ---- training ---- */

void clv_mlp_train_opts_default(clv_mlp_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->loss = CLV_LOSS_ZILN;
    o->epochs = 50;
    o->batch = 256;
    clv_adam_default(&o->adam);
    o->schedule = CLV_LR_CONSTANT;
    o->validation_fraction = 0.2;
    o->patience = 5;
    o->seed = 1;
}

void clv_mlp_history_free(clv_mlp_history *h)
{
    if (!h)
        return;
    free(h->train_loss), free(h->val_loss);
    memset(h, 0, sizeof *h);
}

/* a uniformly random permutation of idx[0..n) (Fisher-Yates) */
static void shuffle(size_t *idx, size_t n, clv_rng *r)
{
    for (size_t i = n; i > 1; i--) {
        const size_t j = (size_t)(clv_rng_next(r) % i);
        const size_t t = idx[i - 1];
        idx[i - 1] = idx[j], idx[j] = t;
    }
}

int clv_mlp_train(clv_mlp *m, const double *X, const double *y, size_t n, const clv_mlp_train_opts *o,
                  clv_mlp_history *h, clv_error *err)
{
    memset(h, 0, sizeof *h);
    const size_t k = (size_t)m->spec.n_in;
    if (o->epochs < 1 || o->batch < 1 || o->batch > m->spec.max_batch || !(o->validation_fraction >= 0) ||
        o->validation_fraction > 0.9 || o->patience < 1)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "training",
                             "expected epochs >= 1, a batch of 1 to %zu rows, a validation fraction in [0, 0.9] and "
                             "patience >= 1", m->spec.max_batch);
    const int own = o->X_val != NULL;
    const size_t n_val = own ? o->n_val : (size_t)floor(o->validation_fraction * (double)n), n_tr = own ? n : n - n_val;
    if (n_tr < o->batch)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "training",
                             "%zu training rows, fewer than a batch of %zu", n_tr, o->batch);
    size_t *idx = malloc(n * sizeof *idx);
    double *xb = malloc(o->batch * k * sizeof *xb), *yb = malloc(o->batch * sizeof *yb);
    double *xv = n_val ? malloc(n_val * k * sizeof *xv) : NULL, *yv = n_val ? malloc(n_val * sizeof *yv) : NULL;
    double *best = malloc(m->n_params * sizeof *best);
    h->train_loss = calloc((size_t)o->epochs, sizeof *h->train_loss);
    h->val_loss = n_val ? calloc((size_t)o->epochs, sizeof *h->val_loss) : NULL;
    int st = CLV_OK;
    if (!idx || !xb || !yb || !best || !h->train_loss || (n_val && (!xv || !yv || !h->val_loss))) {
        st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory for training");
        goto done;
    }
    h->n_train = n_tr, h->n_val = n_val;
    /* the split: the validation rows are the last n_val of a permutation */
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    clv_rng r;
    clv_rng_seed(&r, (clv_stream_key){o->seed, CLV_STREAM_SPLIT, CLV_SPLIT_MLP_REP, 0});
    if (!own)
        shuffle(idx, n, &r);
    for (size_t i = 0; i < n_val; i++) {
        memcpy(xv + i * k, own ? o->X_val + i * k : X + idx[n_tr + i] * k, k * sizeof *xv);
        yv[i] = own ? o->y_val[i] : y[idx[n_tr + i]];
    }
    double best_val = INFINITY;
    int since = 0;
    clv_adam a = o->adam;
    for (int e = 0; e < o->epochs && st == CLV_OK; e++) {
        if (o->schedule == CLV_LR_COSINE)
            a.lr = o->adam.lr * 0.5 * (1 + cos(M_PI * e / o->epochs));
        clv_rng_seed(&r, (clv_stream_key){o->seed, CLV_STREAM_LTV, clv_rep_ltv_epoch((uint64_t)e), 0});
        shuffle(idx, n_tr, &r);
        double sum = 0;
        size_t steps = 0;
        for (size_t b = 0; b + o->batch <= n_tr && st == CLV_OK; b += o->batch) {
            for (size_t i = 0; i < o->batch; i++) {
                memcpy(xb + i * k, X + idx[b + i] * k, k * sizeof *xb);
                yb[i] = y[idx[b + i]];
            }
            clv_error e2;
            clv_error_clear(&e2);
            const double l = clv_mlp_loss_grad(m, o->loss, xb, yb, o->batch, NULL, &e2);
            if (e2.code) {
                st = e2.code;
                if (err)
                    *err = e2;
            } else if (!isfinite(l)) {
                st = clv_error_set(err, CLV_ENUMERIC, NULL, 0, "training", "the training loss is %g at epoch %d, "
                                   "step %zu: training diverged; try a lower learning rate", l, e + 1, steps + 1);
            } else {
                clv_mlp_adam_step(m, &a);
            }
            sum += l, steps++;
            if (st == CLV_OK && clv_progress_poll(o->progress) != CLV_OK)
                st = clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "training cancelled");
        }
        if (st != CLV_OK)
            break;
        h->train_loss[e] = sum / (double)steps;
        h->epochs = e + 1;
        if (n_val) {
            clv_error e2;
            clv_error_clear(&e2);
            const double v = clv_mlp_loss(m, o->loss, xv, yv, n_val, &e2);
            if (e2.code || !isfinite(v)) {
                st = e2.code ? e2.code : clv_error_set(err, CLV_ENUMERIC, NULL, 0, "training", "the validation loss "
                                                       "is %g after epoch %d: training diverged; try a lower "
                                                       "learning rate", v, e + 1);
                if (e2.code && err)
                    *err = e2;
                break;
            }
            h->val_loss[e] = v;
            if (v < best_val) {
                best_val = v, since = 0, h->best_epoch = e + 1;
                clv_mlp_get_params(m, best);
            } else if (++since >= o->patience) {
                break;
            }
        } else {
            h->best_epoch = e + 1;
        }
        if (clv_progress_report(o->progress, "training the LTV network", e + 1, o->epochs) != CLV_OK)
            st = clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "training cancelled");
    }
    if (st == CLV_OK && n_val && h->best_epoch > 0)
        clv_mlp_set_params(m, best);
done:
    free(idx), free(xb), free(yb), free(xv), free(yv), free(best);
    if (st != CLV_OK)
        clv_mlp_history_free(h);
    return st;
}

/* ---- standardisation ---- */

void clv_standardize_fit(const double *X, size_t n, size_t k, const size_t *rows, size_t n_rows, double *mean,
                         double *sd)
{
    const size_t N = rows ? n_rows : n;
    for (size_t j = 0; j < k; j++) {
        double mu = 0, m2 = 0;
        for (size_t t = 0; t < N; t++) { /* Welford */
            const double x = X[(rows ? rows[t] : t) * k + j], d = x - mu;
            mu += d / (double)(t + 1);
            m2 += d * (x - mu);
        }
        mean[j] = mu;
        /* a spread at most CLV_STANDARDIZE_MIN_REL of the column's
         * magnitude is none (a constant, or the rounding noise of
         * computing one, such as a P(alive) of 1 - 1e-9 for everyone):
         * dividing by it would turn any other value, at prediction, into
         * millions of sds */
        const double s = N > 1 ? sqrt(m2 / (double)(N - 1)) : 0;
        sd[j] = s > CLV_STANDARDIZE_MIN_REL * fabs(mu) && s > 0 && isfinite(s) ? s : 1;
    }
}

void clv_standardize_apply(double *X, size_t n, size_t k, const double *mean, const double *sd)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++)
            X[i * k + j] = (X[i * k + j] - mean[j]) / sd[j];
}

/* ---- files ---- */

static const char MLP_MAGIC[8] = {'C', 'L', 'V', 'M', 'L', 'P', '0', '4'};
/* version 03: no text (its length and bytes absent); version 02 (clvsim
 * 0.1): also CLV_MLP_META_02 numbers of configuration only.  Both are read
 * with the text "" and the numbers they lack 0. */
static const char MLP_MAGIC_03[8] = {'C', 'L', 'V', 'M', 'L', 'P', '0', '3'};
static const char MLP_MAGIC_02[8] = {'C', 'L', 'V', 'M', 'L', 'P', '0', '2'};
enum { CLV_MLP_META_02 = 16 };

int clv_mlp_save(const clv_mlp *m, int loss, const double *mean, const double *sd, const double *meta,
                 const char *text, const char *path, clv_error *err)
{
    double cfg[CLV_MLP_META] = {0};
    if (meta)
        memcpy(cfg, meta, sizeof cfg);
    const uint32_t text_len = text ? (uint32_t)strnlen(text, CLV_MLP_TEXT_MAX) : 0;
    if (text_len >= CLV_MLP_TEXT_MAX)
        return clv_error_set(err, CLV_EINPUT, path, 0, NULL, "the network's text has %d bytes or more; expected "
                             "at most %d", CLV_MLP_TEXT_MAX, CLV_MLP_TEXT_MAX - 1);
    const clv_mlp_spec *s = &m->spec;
    int32_t head[6 + CLV_MAX_LAYERS] = {s->n_in, s->n_hidden, s->n_out, s->activation, s->precision, loss};
    for (int l = 0; l < s->n_hidden; l++)
        head[6 + l] = s->hidden[l];
    const size_t P = m->n_params, K = (size_t)s->n_in;
    double *p = malloc(P * sizeof *p);
    if (!p)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    clv_mlp_get_params(m, p);
    /* what clv_mlp_load would refuse is not written: a file that cannot be
     * read back is no network */
    const char *bad = NULL;
    size_t at = 0;
    double value = 0;
    for (size_t j = 0; !bad && j < K; j++)
        if (!isfinite(mean[j]))
            bad = "standardisation mean of input", at = j, value = mean[j];
        else if (!(isfinite(sd[j]) && sd[j] > 0))
            bad = "standardisation sd of input", at = j, value = sd[j];
    for (size_t i = 0; !bad && i < P; i++)
        if (!isfinite(p[i]))
            bad = "parameter", at = i, value = p[i];
    if (bad) {
        free(p);
        return clv_error_set(err, CLV_ENUMERIC, path, 0, NULL, "the network's %s %zu is %g; a network is saved "
                             "only with finite values and standard deviations above 0", bad, at + 1, value);
    }
    uint32_t crc = clv_crc32(0, head, sizeof head);
    crc = clv_crc32(crc, cfg, sizeof cfg);
    crc = clv_crc32(crc, &text_len, sizeof text_len);
    crc = clv_crc32(crc, text ? text : "", text_len);
    crc = clv_crc32(crc, mean, K * sizeof *mean);
    crc = clv_crc32(crc, sd, K * sizeof *sd);
    crc = clv_crc32(crc, p, P * sizeof *p);
    clv_afile af;
    int st = clv_afile_open(&af, path, err);
    if (st == CLV_OK) {
        int ok = fwrite(MLP_MAGIC, 1, 8, af.fp) == 8 && fwrite(head, sizeof head, 1, af.fp) == 1 &&
                 fwrite(cfg, sizeof cfg, 1, af.fp) == 1 && fwrite(&text_len, sizeof text_len, 1, af.fp) == 1 &&
                 (!text_len || fwrite(text, 1, text_len, af.fp) == text_len) && fwrite(mean, sizeof *mean, K, af.fp) == K && fwrite(sd, sizeof *sd, K, af.fp) == K &&
                 fwrite(p, sizeof *p, P, af.fp) == P && fwrite(&crc, sizeof crc, 1, af.fp) == 1;
        if (!ok) {
            clv_afile_abort(&af);
            st = clv_error_set(err, CLV_EIO, path, 0, NULL, "write failed");
        } else {
            st = clv_afile_commit(&af, err);
        }
    }
    free(p);
    return st;
}

/* What is wrong with the header of a network file (head: the spec and the
 * loss), into why; 0 when nothing is.  The limits are clv_mlp_alloc's; the
 * hidden widths past n_hidden are saved as 0. */
static int bad_head(const int32_t *head, char *why, size_t n)
{
    const int n_in = head[0], n_hidden = head[1], n_out = head[2], act = head[3], prec = head[4], loss = head[5];
    if (n_in < 1 || n_in > 100000)
        snprintf(why, n, "n_in: expected 1 to 100000 inputs, got %d", n_in);
    else if (n_hidden < 0 || n_hidden > CLV_MAX_LAYERS)
        snprintf(why, n, "n_hidden: expected 0 to %d hidden layers, got %d", CLV_MAX_LAYERS, n_hidden);
    else if (n_out < 1 || n_out > 1000)
        snprintf(why, n, "n_out: expected 1 to 1000 outputs, got %d", n_out);
    else if (act != CLV_ACT_RELU && act != CLV_ACT_TANH)
        snprintf(why, n, "activation: expected %d (relu) or %d (tanh), got %d", CLV_ACT_RELU, CLV_ACT_TANH, act);
    else if (prec != CLV_MLP_F32 && prec != CLV_MLP_F64)
        snprintf(why, n, "precision: expected %d (f32) or %d (f64), got %d", CLV_MLP_F32, CLV_MLP_F64, prec);
    else if (loss != CLV_LOSS_MSE && loss != CLV_LOSS_ZILN && loss != CLV_LOSS_BCE)
        snprintf(why, n, "loss: expected %d (MSE), %d (ZILN) or %d (BCE), got %d", CLV_LOSS_MSE, CLV_LOSS_ZILN,
                 CLV_LOSS_BCE, loss);
    else if (n_out != (loss == CLV_LOSS_ZILN ? 3 : 1))
        snprintf(why, n, "the %s loss needs %d output%s; the network has %d", loss == CLV_LOSS_ZILN ? "ZILN"
                 : loss == CLV_LOSS_BCE ? "BCE" : "MSE", loss == CLV_LOSS_ZILN ? 3 : 1,
                 loss == CLV_LOSS_ZILN ? "s" : "", n_out);
    else {
        for (int l = 0; l < CLV_MAX_LAYERS; l++) {
            const int w = head[6 + l];
            if (l < n_hidden && (w < 1 || w > 100000)) {
                snprintf(why, n, "hidden layer %d: expected a width of 1 to 100000, got %d", l + 1, w);
                return 1;
            }
            if (l >= n_hidden && w != 0) {
                snprintf(why, n, "hidden layer %d: the network has %d hidden layers, so expected width 0, got %d",
                         l + 1, n_hidden, w);
                return 1;
            }
        }
        return 0;
    }
    return 1;
}

clv_mlp *clv_mlp_load(const char *path, size_t max_batch, int *loss, double **mean, double **sd, double *meta,
                      char *text, clv_error *err)
{
    double cfg[CLV_MLP_META];
    char txt[CLV_MLP_TEXT_MAX];
    uint32_t text_len = 0;
    if (text)
        text[0] = '\0';
    *mean = *sd = NULL;
    FILE *fp;
    uint64_t len;
    if (clv__binfile_open(path, "network", &fp, &len, err) != CLV_OK)
        return NULL;
    char magic[8], why[400] = "";
    int32_t head[6 + CLV_MAX_LAYERS];
    clv_mlp *m = NULL;
    double *p = NULL;
    uint64_t K = 0, P = 0;
    /* the header, checked against the limits and the file's length before
     * anything is allocated */
    int n_cfg = CLV_MLP_META, version = 4;
    memset(cfg, 0, sizeof cfg);
    if (len < 8 || fread(magic, 1, 8, fp) != 8 || memcmp(magic, MLP_MAGIC, 6) != 0)
        snprintf(why, sizeof why, "not a clvsim network (no CLVMLP magic)");
    else if (memcmp(magic, MLP_MAGIC, 8) != 0 && memcmp(magic, MLP_MAGIC_03, 8) != 0 &&
             memcmp(magic, MLP_MAGIC_02, 8) != 0)
        snprintf(why, sizeof why, "a network of another format version; expected version 04 (or 03, 02)");
    else {
        version = memcmp(magic, MLP_MAGIC_02, 8) == 0 ? 2 : memcmp(magic, MLP_MAGIC_03, 8) == 0 ? 3 : 4;
        n_cfg = version == 2 ? CLV_MLP_META_02 : CLV_MLP_META;
    }
    /* the fixed part: magic, header, configuration, (04) the text's
     * length, checksum */
    const uint64_t fixed = 8 + sizeof head + (uint64_t)n_cfg * sizeof *cfg + (version >= 4 ? sizeof text_len : 0) +
                           sizeof(uint32_t);
    if (why[0])
        ;
    else if (len < fixed || fread(head, sizeof head, 1, fp) != 1 || fread(cfg, sizeof *cfg, (size_t)n_cfg, fp) !=
             (size_t)n_cfg || (version >= 4 && fread(&text_len, sizeof text_len, 1, fp) != 1))
        snprintf(why, sizeof why, "truncated: %llu bytes, fewer than the %llu of a header and checksum",
                 (unsigned long long)len, (unsigned long long)fixed);
    else if (text_len >= CLV_MLP_TEXT_MAX)
        snprintf(why, sizeof why, "the header gives a text of %lu bytes; expected at most %d",
                 (unsigned long)text_len, CLV_MLP_TEXT_MAX - 1);
    else if (len < fixed + text_len || fread(txt, 1, text_len, fp) != text_len)
        snprintf(why, sizeof why, "truncated: %llu bytes, fewer than the %llu of a header, its text of %lu bytes "
                 "and checksum", (unsigned long long)len, (unsigned long long)(fixed + text_len),
                 (unsigned long)text_len);
    else if (memchr(txt, '\0', text_len))
        snprintf(why, sizeof why, "the text has a NUL byte at offset %zu; expected text",
                 (size_t)((const char *)memchr(txt, '\0', text_len) - txt));
    else if (!bad_head(head, why, sizeof why)) {
        /* at most 9 layers of 100000 x 100001: no overflow */
        K = (uint64_t)head[0];
        for (int l = 0, in = head[0]; l <= head[1]; l++) {
            const int out = l < head[1] ? head[6 + l] : head[2];
            P += (uint64_t)out * (uint64_t)in + (uint64_t)out;
            in = out;
        }
        const uint64_t need = fixed + text_len + (2 * K + P) * sizeof(double);
        if (len != need)
            snprintf(why, sizeof why, "%s: the header gives %llu inputs, %d hidden layers, %d outputs and %llu "
                     "parameters, which take %llu bytes; the file has %llu",
                     len < need ? "truncated" : "trailing bytes after the network", (unsigned long long)K, head[1],
                     head[2], (unsigned long long)P, (unsigned long long)need, (unsigned long long)len);
    }
    if (!why[0]) {
        clv_mlp_spec s = {head[0], {0}, head[1], head[2], head[3], head[4], max_batch};
        for (int l = 0; l < s.n_hidden; l++)
            s.hidden[l] = head[6 + l];
        *loss = head[5];
        if (!(m = clv_mlp_alloc(&s, err))) {
            fclose(fp);
            return NULL;
        }
        *mean = malloc(K * sizeof **mean), *sd = malloc(K * sizeof **sd), p = malloc(P * sizeof *p);
        uint32_t crc_file;
        if (!*mean || !*sd || !p) {
            clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory for the network of %s", path);
            fclose(fp);
            clv_mlp_free(m);
            free(*mean), free(*sd), free(p);
            *mean = *sd = NULL;
            return NULL;
        }
        if (fread(*mean, sizeof **mean, K, fp) != K || fread(*sd, sizeof **sd, K, fp) != K ||
            fread(p, sizeof *p, P, fp) != P || fread(&crc_file, sizeof crc_file, 1, fp) != 1)
            snprintf(why, sizeof why, "read failed: %s", ferror(fp) ? strerror(errno) : "the file shrank while read");
        else {
            uint32_t crc = clv_crc32(0, head, sizeof head);
            crc = clv_crc32(crc, cfg, (size_t)n_cfg * sizeof *cfg);
            if (version >= 4)
                crc = clv_crc32(crc, &text_len, sizeof text_len);
            crc = clv_crc32(crc, txt, text_len);
            crc = clv_crc32(crc, *mean, K * sizeof **mean);
            crc = clv_crc32(crc, *sd, K * sizeof **sd);
            crc = clv_crc32(crc, p, P * sizeof *p);
            if (crc != crc_file)
                snprintf(why, sizeof why, "corrupted (checksum mismatch)");
        }
        /* the values, whose meaning the checksum cannot vouch for: a
         * standardisation that divides by a positive finite number, and
         * parameters the network's precision can hold */
        for (size_t j = 0; !why[0] && j < K; j++) {
            if (!isfinite((*mean)[j]))
                snprintf(why, sizeof why, "the standardisation mean of input %zu is %g; expected a finite number",
                         j + 1, (*mean)[j]);
            else if (!(isfinite((*sd)[j]) && (*sd)[j] > 0))
                snprintf(why, sizeof why, "the standardisation sd of input %zu is %g; expected a finite number > 0",
                         j + 1, (*sd)[j]);
        }
        const double most = s.precision == CLV_MLP_F32 ? FLT_MAX : DBL_MAX;
        for (size_t i = 0; !why[0] && i < P; i++)
            if (!(fabs(p[i]) <= most))
                snprintf(why, sizeof why, "parameter %zu is %g; expected a finite number%s", i + 1, p[i],
                         s.precision == CLV_MLP_F32 ? " that a float holds (magnitude at most 3.40282e+38)" : "");
        if (!why[0]) {
            clv_mlp_set_params(m, p);
            if (meta)
                memcpy(meta, cfg, sizeof cfg);
            if (text) {
                memcpy(text, txt, text_len);
                text[text_len] = '\0';
            }
        }
    }
    fclose(fp);
    free(p);
    if (why[0]) {
        clv_mlp_free(m);
        free(*mean), free(*sd);
        *mean = *sd = NULL;
        clv_error_set(err, CLV_EINPUT, path, 0, NULL, "%s", why);
        return NULL;
    }
    return m;
}
