/* mlp.c - the multilayer perceptron: buffers, initialisation, losses, and the passes in two precisions. */
#include "clvsim/mlp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h> /* OpenBLAS's; no GSL header here, which would declare the same names */

#include "clvsim/rng.h"

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
};

#define R float
#define GEMM cblas_sgemm
#define SUF f32
#include "mlp_impl.h"
#undef R
#undef GEMM
#undef SUF
#define R double
#define GEMM cblas_dgemm
#define SUF f64
#include "mlp_impl.h"
#undef R
#undef GEMM
#undef SUF

#define BY_PRECISION(m, fn, ...) ((m)->spec.precision == CLV_MLP_F64 ? fn##_f64(__VA_ARGS__) : fn##_f32(__VA_ARGS__))

void clv_mlp_free(clv_mlp *m)
{
    if (!m)
        return;
    free(m->p), free(m->g), free(m->m1), free(m->m2), free(m->x), free(m->d[0]), free(m->d[1]);
    free(m->outd), free(m->deltad);
    for (int l = 0; l < MLP_MAX_LAYERS; l++)
        free(m->z[l]), free(m->a[l]);
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
            ok = (m->a[l] = calloc(B * (size_t)m->out[l], e)) != NULL;
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

void clv_mlp_init(clv_mlp *m, uint64_t seed)
{
    for (int l = 0; l < m->n_layers; l++) {
        clv_rng r;
        clv_rng_seed(&r, (clv_stream_key){seed, CLV_STREAM_LTV, 0, (uint64_t)l});
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
    BY_PRECISION(m, forward, m, n);
    BY_PRECISION(m, outputs, m, n, out);
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

double clv_mlp_loss_grad(clv_mlp *m, int loss, const double *X, const double *y, size_t n, double *grad,
                         clv_error *err)
{
    if (check_batch(m, n, err) != CLV_OK)
        return NAN;
    const int need = loss == CLV_LOSS_ZILN ? 3 : 1;
    if ((loss != CLV_LOSS_MSE && loss != CLV_LOSS_ZILN) || m->spec.n_out != need) {
        clv_error_set(err, CLV_EINPUT, NULL, 0, "mlp", "the %s loss needs %d output%s; the network has %d",
                      loss == CLV_LOSS_ZILN ? "ZILN" : "MSE", need, need > 1 ? "s" : "", m->spec.n_out);
        return NAN;
    }
    BY_PRECISION(m, load, m, X, n);
    BY_PRECISION(m, forward, m, n);
    BY_PRECISION(m, outputs, m, n, m->outd);
    const double *o = m->outd;
    double *d = m->deltad, total = 0;
    for (size_t i = 0; i < n; i++) {
        if (loss == CLV_LOSS_MSE) {
            const double r = o[i] - y[i];
            total += r * r;
            d[i] = 2 * r / (double)n;
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
    BY_PRECISION(m, set_deltas, m, n, d);
    BY_PRECISION(m, backward, m, n);
    if (grad)
        for (size_t i = 0; i < m->n_params; i++)
            grad[i] = param(m, m->g, i);
    return total / (double)n;
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
