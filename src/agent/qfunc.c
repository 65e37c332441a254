/* qfunc.c - Q-functions over continuous features (linear with shared action terms, MLP), replay, DQN steps, the agents' features. */
#include "clvsim/qfunc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clvsim/streams.h"

struct clv_qfunc {
    clv_qf_spec spec;
    size_t n_params;
    /* linear: theta = [w (A x n_x), u (n_shared), b (A)] and f (A x n_shared) */
    double *theta, *shared;
    /* MLP: the network and, per batch, its outputs and their gradient */
    clv_mlp *net;
    double *out, *dout;
};

void clv_qf_free(clv_qfunc *q)
{
    if (!q)
        return;
    free(q->theta), free(q->shared), free(q->out), free(q->dout);
    clv_mlp_free(q->net);
    free(q);
}

clv_qfunc *clv_qf_alloc(const clv_qf_spec *spec, clv_error *err)
{
    const char *bad = NULL;
    if (spec->kind != CLV_QF_LINEAR && spec->kind != CLV_QF_MLP)
        bad = "kind: expected CLV_QF_LINEAR or CLV_QF_MLP";
    else if (spec->n_x < 1 || spec->n_x > 10000)
        bad = "n_x: expected 1 to 10000 features";
    else if (spec->n_actions < 1 || spec->n_actions > 255)
        bad = "n_actions: expected 1 to 255 actions";
    else if (spec->kind == CLV_QF_LINEAR && (spec->n_shared < 0 || spec->n_shared > 10000 ||
                                             (spec->n_shared > 0 && !spec->shared)))
        bad = "n_shared: expected 0 to 10000 shared action features, with their values";
    else if (spec->kind == CLV_QF_MLP && spec->n_hidden < 1)
        bad = "n_hidden: an MLP Q-function needs at least one hidden layer";
    if (bad) {
        clv_error_set(err, CLV_EINPUT, NULL, 0, "qfunc", "%s", bad);
        return NULL;
    }
    clv_qfunc *q = calloc(1, sizeof *q);
    if (!q) {
        clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
        return NULL;
    }
    q->spec = *spec;
    const size_t A = (size_t)spec->n_actions;
    if (spec->kind == CLV_QF_LINEAR) {
        const size_t F = (size_t)spec->n_shared;
        q->n_params = A * (size_t)spec->n_x + F + A;
        q->theta = calloc(q->n_params, sizeof *q->theta);
        q->shared = F ? malloc(A * F * sizeof *q->shared) : NULL;
        if (!q->theta || (F && !q->shared)) {
            clv_qf_free(q);
            clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
            return NULL;
        }
        if (F)
            memcpy(q->shared, spec->shared, A * F * sizeof *q->shared);
        q->spec.shared = q->shared;
        return q;
    }
    q->spec.shared = NULL, q->spec.n_shared = 0;
    clv_mlp_spec ms = {spec->n_x, {0}, spec->n_hidden, spec->n_actions, spec->activation, spec->precision,
                       spec->max_batch};
    memcpy(ms.hidden, spec->hidden, sizeof ms.hidden);
    if (!(q->net = clv_mlp_alloc(&ms, err))) {
        clv_qf_free(q);
        return NULL;
    }
    q->n_params = clv_mlp_n_params(q->net);
    q->out = malloc(spec->max_batch * A * sizeof *q->out);
    q->dout = malloc(spec->max_batch * A * sizeof *q->dout);
    if (!q->out || !q->dout) {
        clv_qf_free(q);
        clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
        return NULL;
    }
    return q;
}

const clv_qf_spec *clv_qf_spec_of(const clv_qfunc *q) { return &q->spec; }
size_t clv_qf_n_params(const clv_qfunc *q) { return q->n_params; }

void clv_qf_get_params(const clv_qfunc *q, double *p)
{
    if (q->net)
        clv_mlp_get_params(q->net, p);
    else
        memcpy(p, q->theta, q->n_params * sizeof *p);
}

void clv_qf_set_params(clv_qfunc *q, const double *p)
{
    if (q->net)
        clv_mlp_set_params(q->net, p);
    else
        memcpy(q->theta, p, q->n_params * sizeof *p);
}

void clv_qf_init(clv_qfunc *q, uint64_t seed)
{
    if (q->net)
        clv_mlp_init_stream(q->net, seed, CLV_STREAM_QFUNC, CLV_QF_INIT_REP);
    else
        memset(q->theta, 0, q->n_params * sizeof *q->theta);
}

/* the linear kind's Q(x, a) */
static double linear_q(const clv_qfunc *q, const double *x, size_t a)
{
    const size_t A = (size_t)q->spec.n_actions, nx = (size_t)q->spec.n_x, F = (size_t)q->spec.n_shared;
    const double *w = q->theta + a * nx, *u = q->theta + A * nx, *b = u + F, *f = q->shared + a * F;
    double v = b[a];
    for (size_t k = 0; k < F; k++)
        v += u[k] * f[k];
    for (size_t k = 0; k < nx; k++)
        v += w[k] * x[k];
    return v;
}

int clv_qf_values(clv_qfunc *q, const double *X, size_t n, double *Q, clv_error *err)
{
    const size_t A = (size_t)q->spec.n_actions, nx = (size_t)q->spec.n_x;
    if (!q->net) {
        for (size_t i = 0; i < n; i++)
            for (size_t a = 0; a < A; a++)
                Q[i * A + a] = linear_q(q, X + i * nx, a);
        return CLV_OK;
    }
    for (size_t i = 0; i < n; i += q->spec.max_batch) {
        const size_t b = n - i < q->spec.max_batch ? n - i : q->spec.max_batch;
        const int st = clv_mlp_forward(q->net, X + i * nx, b, Q + i * A, err);
        if (st != CLV_OK)
            return st;
    }
    return CLV_OK;
}

int clv_qf_grad(clv_qfunc *q, const double *X, const int *a, const double *w, size_t n, double *grad,
                clv_error *err)
{
    const size_t A = (size_t)q->spec.n_actions, nx = (size_t)q->spec.n_x, F = (size_t)q->spec.n_shared;
    for (size_t i = 0; i < n; i++)
        if (a[i] < 0 || (size_t)a[i] >= A)
            return clv_error_set(err, CLV_EINPUT, NULL, 0, "qfunc", "row %zu: action %d; expected 0 to %zu", i, a[i],
                                 A - 1);
    if (!q->net) {
        memset(grad, 0, q->n_params * sizeof *grad);
        for (size_t i = 0; i < n; i++) {
            const size_t ai = (size_t)a[i];
            const double wi = w ? w[i] : 1;
            double *gw = grad + ai * nx, *gu = grad + A * nx, *gb = gu + F;
            for (size_t k = 0; k < nx; k++)
                gw[k] += wi * X[i * nx + k];
            for (size_t k = 0; k < F; k++)
                gu[k] += wi * q->shared[ai * F + k];
            gb[ai] += wi;
        }
        return CLV_OK;
    }
    int st = clv_mlp_forward(q->net, X, n, q->out, err);
    if (st != CLV_OK)
        return st;
    memset(q->dout, 0, n * A * sizeof *q->dout);
    for (size_t i = 0; i < n; i++)
        q->dout[i * A + (size_t)a[i]] = w ? w[i] : 1;
    return clv_mlp_backward(q->net, q->dout, n, grad, err);
}

double clv_qf_linear_update(clv_qfunc *q, const double *x, int a, double y, double alpha, double n)
{
    if (q->net || a < 0 || a >= q->spec.n_actions || !(n >= 0))
        return NAN;
    const size_t A = (size_t)q->spec.n_actions, nx = (size_t)q->spec.n_x, F = (size_t)q->spec.n_shared;
    const size_t ai = (size_t)a;
    const double *f = q->shared + ai * F;
    double norm = 1 + 1 + n; /* 1 + the bias's gradient squared + the count */
    for (size_t k = 0; k < nx; k++)
        norm += x[k] * x[k];
    for (size_t k = 0; k < F; k++)
        norm += f[k] * f[k];
    const double delta = y - linear_q(q, x, ai), step = alpha * delta / norm;
    double *w = q->theta + ai * nx, *u = q->theta + A * nx, *b = u + F;
    for (size_t k = 0; k < nx; k++)
        w[k] += step * x[k];
    for (size_t k = 0; k < F; k++)
        u[k] += step * f[k];
    b[ai] += step;
    return delta;
}

/* ---- replay and DQN ---- */

void clv_qf_replay_free(clv_qf_replay *b)
{
    if (!b)
        return;
    free(b->x), free(b->x2), free(b->r), free(b->d), free(b->a), free(b->a2), free(b->terminal);
    memset(b, 0, sizeof *b);
}

int clv_qf_replay_alloc(clv_qf_replay *b, size_t capacity, int n_x, clv_error *err)
{
    memset(b, 0, sizeof *b);
    if (capacity < 1 || n_x < 1)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "qfunc", "a replay buffer of %zu transitions of %d features; "
                             "expected at least 1 of each", capacity, n_x);
    b->capacity = capacity, b->n_x = n_x;
    const size_t k = capacity * (size_t)n_x;
    b->x = malloc(k * sizeof *b->x), b->x2 = malloc(k * sizeof *b->x2);
    b->r = malloc(capacity * sizeof *b->r);
    b->a = malloc(capacity * sizeof *b->a), b->a2 = malloc(capacity * sizeof *b->a2);
    b->terminal = malloc(capacity);
    if (!b->x || !b->x2 || !b->r || !b->a || !b->a2 || !b->terminal) {
        clv_qf_replay_free(b);
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory for a replay buffer of %zu transitions",
                             capacity);
    }
    return CLV_OK;
}

int clv_qf_replay_alloc_paired(clv_qf_replay *b, size_t capacity, int n_x, int n_d, int base, clv_error *err)
{
    if (n_d < 1 || base < 0 || base >= n_d) {
        memset(b, 0, sizeof *b);
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "qfunc", "a replay buffer with %d paired differences per "
                             "transition against action %d; expected at least 1, and a base among them", n_d, base);
    }
    int st = clv_qf_replay_alloc(b, capacity, n_x, err);
    if (st != CLV_OK)
        return st;
    b->n_d = n_d, b->base = base;
    if (!(b->d = malloc(capacity * (size_t)n_d * sizeof *b->d))) {
        clv_qf_replay_free(b);
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory for a replay buffer of %zu transitions",
                             capacity);
    }
    return CLV_OK;
}

void clv_qf_replay_push(clv_qf_replay *b, const double *x, int a, double r, const double *x2, int a2, int terminal)
{
    clv_qf_replay_push_paired(b, x, a, r, x2, a2, terminal, NULL);
}

void clv_qf_replay_push_paired(clv_qf_replay *b, const double *x, int a, double r, const double *x2, int a2,
                               int terminal, const double *d)
{
    const size_t j = b->next, nx = (size_t)b->n_x;
    if (b->d) {
        if (d)
            memcpy(b->d + j * (size_t)b->n_d, d, (size_t)b->n_d * sizeof *d);
        else
            memset(b->d + j * (size_t)b->n_d, 0, (size_t)b->n_d * sizeof *b->d);
    }
    memcpy(b->x + j * nx, x, nx * sizeof *x);
    if (x2)
        memcpy(b->x2 + j * nx, x2, nx * sizeof *x2);
    else
        memset(b->x2 + j * nx, 0, nx * sizeof *x2);
    b->a[j] = a, b->a2[j] = a2, b->r[j] = r, b->terminal[j] = (uint8_t)(terminal != 0);
    b->next = (j + 1) % b->capacity;
    if (b->n < b->capacity)
        b->n++;
}

size_t clv_qf_dqn_scratch(const clv_qfunc *q, size_t batch)
{
    return batch * (2 * (size_t)q->spec.n_x + (size_t)q->spec.n_actions + 2);
}

/* the loss of error e (Huber or squared, added to *loss) and its derivative */
static double loss_grad(double e, const clv_qf_dqn *o, double *loss)
{
    if (o->huber && fabs(e) > o->delta) {
        *loss += o->delta * (fabs(e) - 0.5 * o->delta);
        return e > 0 ? o->delta : -o->delta;
    }
    *loss += 0.5 * e * e;
    return e;
}

double clv_qf_dqn_step(clv_qfunc *q, clv_qfunc *target, const clv_qf_replay *b, const clv_qf_dqn *o, clv_rng *r,
                       double *scratch, clv_error *err)
{
    const size_t B = o->batch, A = (size_t)q->spec.n_actions, nx = (size_t)q->spec.n_x;
    if (!q->net || !target->net || target->spec.n_x != q->spec.n_x || target->spec.n_actions != q->spec.n_actions) {
        clv_error_set(err, CLV_EINPUT, NULL, 0, "qfunc", "a DQN step needs two MLP Q-functions of the same shape");
        return NAN;
    }
    if (b->n < 1 || B < 1 || B > q->spec.max_batch || B > target->spec.max_batch || b->n_x != q->spec.n_x ||
        (b->d && b->n_d != q->spec.n_actions)) {
        clv_error_set(err, CLV_EINPUT, NULL, 0, "qfunc",
                      "a DQN step of %zu transitions from a buffer of %zu; expected 1 to %zu from a non-empty "
                      "buffer of the network's features", B, b->n, q->spec.max_batch);
        return NAN;
    }
    double *X = scratch, *X2 = X + B * nx, *Q2 = X2 + B * nx, *y = Q2 + B * A, *pick = y + B;
    for (size_t k = 0; k < B; k++) {
        size_t j = (size_t)(clv_rng_uniform(r) * (double)b->n);
        j = j < b->n ? j : b->n - 1;
        memcpy(X + k * nx, b->x + j * nx, nx * sizeof *X);
        memcpy(X2 + k * nx, b->x2 + j * nx, nx * sizeof *X2);
        pick[k] = (double)j;
    }
    if (clv_mlp_forward(target->net, X2, B, Q2, err) != CLV_OK)
        return NAN;
    for (size_t k = 0; k < B; k++) {
        const size_t j = (size_t)pick[k];
        double next = 0;
        if (!b->terminal[j]) {
            const double *q2 = Q2 + k * A;
            if (o->sarsa)
                next = q2[b->a2[j]];
            else {
                next = q2[0];
                for (size_t c = 1; c < A; c++)
                    next = q2[c] > next ? q2[c] : next;
            }
        }
        y[k] = b->r[j] + o->gamma * next;
    }
    if (clv_mlp_forward(q->net, X, B, q->out, err) != CLV_OK)
        return NAN;
    memset(q->dout, 0, B * A * sizeof *q->dout);
    double loss = 0;
    for (size_t k = 0; k < B; k++) {
        const size_t j = (size_t)pick[k];
        if (!b->d) {
            const size_t a = (size_t)b->a[j];
            q->dout[k * A + a] = loss_grad(q->out[k * A + a] - y[k], o, &loss) / (double)B;
            continue;
        }
        /* the base's TD error and every other action's advantage error (Q_a - Q_base) - d_a */
        const size_t base = (size_t)b->base;
        const double *out = q->out + k * A;
        double g_base = loss_grad(out[base] - y[k], o, &loss);
        for (size_t a = 0; a < A; a++)
            if (a != base) {
                const double g = loss_grad(out[a] - out[base] - b->d[j * A + a], o, &loss);
                q->dout[k * A + a] = g / (double)B;
                g_base -= g;
            }
        q->dout[k * A + base] = g_base / (double)B;
    }
    if (clv_mlp_backward(q->net, q->dout, B, NULL, err) != CLV_OK)
        return NAN;
    clv_mlp_adam_step(q->net, &o->adam);
    return loss / (double)B;
}

/* ---- the agents' features ---- */

void clv_qf_features(const clv_sim_obs *o, double phi, double pbuy, int phase, double left, double *x)
{
    const int never = o->coupon_age_days < 0;
    x[0] = log1p(o->recency_days > 0 ? o->recency_days : 0);
    x[1] = log1p(o->purchases > 0 ? o->purchases : 0);
    x[2] = log1p(o->age_days > 0 ? o->age_days : 0);
    x[3] = log1p(o->purchases > 0 && o->total_spend > 0 ? o->total_spend / o->purchases : 0);
    x[4] = o->recent[1];
    x[5] = never;
    x[6] = never ? 0 : log1p(o->coupon_age_days);
    x[7] = o->holds_coupon != 0;
    x[8] = o->price;
    x[9] = log1p(phi > 0 && isfinite(phi) ? phi : 0);
    x[10] = isfinite(pbuy) ? pbuy : 0;
    for (int k = 0; k < 5; k++)
        x[11 + k] = o->stage == k;
    for (int k = 0; k < 3; k++)
        x[16 + k] = phase == k;
    x[19] = left;
}
