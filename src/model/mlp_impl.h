/* mlp_impl.h - the passes of the network in one precision; included by mlp.c
 * twice, with R the real type (float, double), GEMM its matrix product
 * (gemm.h: the same bits on every processor), SQRT its square root (sqrtf
 * or sqrt: correctly rounded, so sqrtf(x) is (float)sqrt((double)x) to the
 * bit, and it vectorises) and
 * SUF the suffix of the functions (f32, f64).  Internal to src/model. */

#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)

/* Z = A_prev W^T + b, then the activation, layer by layer, for n rows;
 * with train and a dropout rate, each hidden unit is kept with probability
 * 1 - p and scaled by 1 / (1 - p) (inverted dropout), its factor kept in
 * m->mask for the backward pass */
static void CAT(forward, SUF)(clv_mlp *m, size_t n, int train)
{
    const R *prev = m->x;
    for (int l = 0; l < m->n_layers; l++) {
        const int in = m->in[l], out = m->out[l];
        const R *W = (const R *)m->p + m->off[l], *b = W + (size_t)out * (size_t)in;
        R *z = m->z[l];
        /* z (n x out) = prev (n x in) W^T */
        GEMM(n, (size_t)out, (size_t)in, prev, (size_t)in, 1, W, 1, (size_t)in, z, (size_t)out, 1);
        for (size_t i = 0; i < n; i++)
            for (int j = 0; j < out; j++)
                z[i * (size_t)out + (size_t)j] += b[j];
        if (l + 1 < m->n_layers) {
            R *a = m->a[l];
            const size_t k = n * (size_t)out;
            if (m->spec.activation == CLV_ACT_TANH)
                for (size_t i = 0; i < k; i++)
                    a[i] = (R)tanh((double)z[i]);
            else /* (at -O3 a vector max: with random signs a branch would mispredict) */
                for (size_t i = 0; i < k; i++)
                    a[i] = z[i] > 0 ? z[i] : (R)0;
            if (train && m->dropout > 0) {
                R *mk = m->mask[l];
                const R keep = (R)(1 / (1 - m->dropout));
                clv_rng r;
                clv_rng_seed(&r, (clv_stream_key){m->dropout_seed, CLV_STREAM_LTV, clv_rep_ltv_dropout((uint64_t)m->steps),
                                                  (uint64_t)l});
                for (size_t i = 0; i < k; i++) {
                    mk[i] = clv_rng_uniform(&r) >= m->dropout ? keep : (R)0;
                    a[i] *= mk[i];
                }
            }
            prev = a;
        }
    }
}

/* the gradient of the parameters from the gradient of the outputs, which
 * is in m->d[0] (n x n_out) */
static void CAT(backward, SUF)(clv_mlp *m, size_t n)
{
    R *g = m->g, *delta = m->d[0], *next = m->d[1];
    for (int l = m->n_layers - 1; l >= 0; l--) {
        const int in = m->in[l], out = m->out[l];
        const R *W = (const R *)m->p + m->off[l];
        R *gW = g + m->off[l], *gb = gW + (size_t)out * (size_t)in;
        const R *prev = l ? (const R *)m->a[l - 1] : (const R *)m->x;
        /* gW (out x in) = delta^T (out x n) prev (n x in) */
        GEMM((size_t)out, (size_t)in, n, delta, 1, (size_t)out, prev, (size_t)in, 1, gW, (size_t)in, 1);
        for (int j = 0; j < out; j++)
            gb[j] = 0;
        for (size_t i = 0; i < n; i++)
            for (int j = 0; j < out; j++)
                gb[j] += delta[i * (size_t)out + (size_t)j];
        if (l == 0)
            break;
        /* next (n x in) = delta (n x out) W (out x in) */
        GEMM(n, (size_t)in, (size_t)out, delta, (size_t)out, 1, W, (size_t)in, 1, next, (size_t)in, 1);
        const R *z = m->z[l - 1], *a = m->a[l - 1];
        const size_t k = n * (size_t)in;
        if (m->dropout > 0) {
            /* through the dropout factor, then the activation (tanh from z: a holds the dropped values) */
            const R *mk = m->mask[l - 1];
            for (size_t i = 0; i < k; i++) {
                const R t = m->spec.activation == CLV_ACT_TANH ? (R)tanh((double)z[i]) : (R)0;
                const R d = m->spec.activation == CLV_ACT_TANH ? (R)1 - t * t : (R)(z[i] > 0);
                next[i] *= d * mk[i];
            }
        } else if (m->spec.activation == CLV_ACT_TANH)
            for (size_t i = 0; i < k; i++)
                next[i] *= (R)1 - a[i] * a[i];
        else
            for (size_t i = 0; i < k; i++)
                next[i] = z[i] > 0 ? next[i] : (R)0;
        R *t = delta;
        delta = next, next = t;
    }
}

static void CAT(load, SUF)(clv_mlp *m, const double *X, size_t n)
{
    R *x = m->x;
    for (size_t i = 0; i < n * (size_t)m->spec.n_in; i++)
        x[i] = (R)X[i];
}

/* the outputs of the last forward pass, n rows, into dst (double) */
static void CAT(outputs, SUF)(const clv_mlp *m, size_t n, double *dst)
{
    const R *z = m->z[m->n_layers - 1];
    for (size_t i = 0; i < n * (size_t)m->spec.n_out; i++)
        dst[i] = (double)z[i];
}

/* the gradient of the loss with respect to the outputs, for the backward pass */
static void CAT(set_deltas, SUF)(clv_mlp *m, size_t n, const double *src)
{
    R *d = m->d[0];
    for (size_t i = 0; i < n * (size_t)m->spec.n_out; i++)
        d[i] = (R)src[i];
}

static void CAT(adam, SUF)(clv_mlp *m, const clv_adam *a, double c1, double c2)
{
    R *p = m->p, *g = m->g, *m1 = m->m1, *m2 = m->m2;
    const R b1 = (R)a->beta1, b2 = (R)a->beta2, lr = (R)a->lr, wd = (R)a->weight_decay, eps = (R)a->eps;
    const R k1 = (R)(1 / c1), k2 = (R)(1 / c2);
    for (size_t i = 0; i < m->n_params; i++) {
        m1[i] = b1 * m1[i] + ((R)1 - b1) * g[i];
        m2[i] = b2 * m2[i] + ((R)1 - b2) * g[i] * g[i];
        p[i] -= lr * (m1[i] * k1 / (SQRT(m2[i] * k2) + eps) + wd * p[i]);
    }
}

#undef CAT
#undef CAT_
