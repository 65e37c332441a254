/* metrics.c - the quality of value predictions: errors, ranking, calibration, classification. */
#include "clvsim/metrics.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_statistics_double.h>

#include "clvsim/error.h"

typedef struct {
    double key;
    size_t i;
} keyed;

/* by increasing key, ties by index */
static int by_key(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* by decreasing key, ties by index */
static int by_key_desc(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key > y->key ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* n elements of size sz, or NULL when memory runs out (or n x sz overflows) */
static void *alloc_n(size_t n, size_t sz)
{
    return n > SIZE_MAX / sz ? NULL : malloc(n * sz);
}

static int no_memory(clv_error *err)
{
    return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
}

static void sort_keyed(keyed *k, const double *v, size_t n, int (*cmp)(const void *, const void *))
{
    for (size_t i = 0; i < n; i++)
        k[i] = (keyed){v[i], i};
    qsort(k, n, sizeof *k, cmp);
}

/* G = (1/n) sum_k (L_k - k/n) of y in the order k */
static double gini_of(const keyed *k, const double *y, size_t n, double total)
{
    double cum = 0, g = 0;
    for (size_t j = 0; j < n; j++) {
        cum += y[k[j].i];
        g += cum / total - (double)(j + 1) / (double)n;
    }
    return g / (double)n;
}

int clv_value_metrics_of(const double *pred, const double *y, size_t n, clv_value_metrics *out, clv_error *err)
{
    memset(out, 0, sizeof *out);
    if (n < CLV_METRIC_DECILES)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL,
                             "%zu customers: the value metrics need at least %d (one per decile)", n,
                             CLV_METRIC_DECILES);
    keyed *k = alloc_n(n, sizeof *k);
    double *work = n > SIZE_MAX / 2 ? NULL : alloc_n(2 * n, sizeof *work);
    if (!k || !work) {
        free(k), free(work);
        return no_memory(err);
    }
    out->n = n;
    double se = 0, ae = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        se += (pred[i] - y[i]) * (pred[i] - y[i]);
        ae += fabs(pred[i] - y[i]);
        total += y[i];
    }
    out->rmse = sqrt(se / (double)n);
    out->mae = ae / (double)n;
    if (total > 0) {
        sort_keyed(k, y, n, by_key_desc);
        const double best = gini_of(k, y, n, total);
        sort_keyed(k, pred, n, by_key_desc);
        out->gini = gini_of(k, y, n, total) / best;
        const size_t top = (n + 9) / 10;
        double v = 0;
        for (size_t j = 0; j < top; j++)
            v += y[k[j].i];
        out->top_decile_lift = (v / (double)top) / (total / (double)n);
    } else {
        out->gini = out->top_decile_lift = NAN;
    }
    sort_keyed(k, pred, n, by_key);
    for (int d = 0; d < CLV_METRIC_DECILES; d++) {
        const size_t lo = n * (size_t)d / CLV_METRIC_DECILES, hi = n * (size_t)(d + 1) / CLV_METRIC_DECILES;
        double p = 0, a = 0;
        for (size_t j = lo; j < hi; j++)
            p += pred[k[j].i], a += y[k[j].i];
        const double m = (double)(hi - lo), mean = a / m;
        out->decile_pred[d] = p / m;
        out->decile_actual[d] = mean;
        /* the standard error of the mean value: sample sd / sqrt(m) */
        double ss = 0;
        for (size_t j = lo; j < hi; j++)
            ss += (y[k[j].i] - mean) * (y[k[j].i] - mean);
        out->decile_se[d] = hi - lo > 1 ? sqrt(ss / (m - 1)) / sqrt(m) : 0;
    }
    out->spearman = gsl_stats_spearman(pred, 1, y, 1, n, work);
    free(k), free(work);
    return CLV_OK;
}

int clv_gain_curve(const double *pred, const double *y, size_t n, size_t points, double *share, clv_error *err)
{
    if (points < 2)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "a gain curve of %zu points: at least 2 are needed",
                             points);
    keyed *k = alloc_n(n, sizeof *k);
    if (!k)
        return no_memory(err);
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += y[i];
    if (!(total > 0)) {
        free(k);
        return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL,
                             "no gain curve: the total value of the %zu customers is not above 0", n);
    }
    sort_keyed(k, pred, n, by_key_desc);
    double cum = 0;
    size_t j = 0;
    for (size_t p = 0; p < points; p++) {
        const size_t upto = (size_t)llround((double)p * (double)n / (double)(points - 1));
        while (j < upto)
            cum += y[k[j++].i];
        share[p] = cum / total;
    }
    free(k);
    return CLV_OK;
}

int clv_class_metrics_of(const double *score, const int *label, size_t n, double threshold, clv_class_metrics *out,
                         clv_error *err)
{
    memset(out, 0, sizeof *out);
    if (n == 0)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "no customers to classify");
    keyed *k = alloc_n(n, sizeof *k);
    if (!k)
        return no_memory(err);
    out->n = n;
    out->threshold = threshold;
    /* the AUC from average ranks (Mann-Whitney) */
    sort_keyed(k, score, n, by_key);
    double rank_pos = 0, npos = 0;
    for (size_t j = 0; j < n;) {
        size_t e = j;
        while (e + 1 < n && k[e + 1].key == k[j].key)
            e++;
        const double rank = 0.5 * (double)(j + e) + 1; /* 1-based average rank of the tie group */
        for (size_t t = j; t <= e; t++)
            if (label[k[t].i])
                rank_pos += rank, npos += 1;
        j = e + 1;
    }
    const double nneg = (double)n - npos;
    out->auc = npos > 0 && nneg > 0 ? (rank_pos - npos * (npos + 1) / 2) / (npos * nneg) : NAN;
    for (size_t i = 0; i < n; i++) {
        const int hit = score[i] >= threshold;
        if (label[i])
            hit ? out->tp++ : out->fn++;
        else
            hit ? out->fp++ : out->tn++;
    }
    out->accuracy = (double)(out->tp + out->tn) / (double)n;
    out->precision = out->tp + out->fp ? (double)out->tp / (double)(out->tp + out->fp) : NAN;
    out->recall = out->tp + out->fn ? (double)out->tp / (double)(out->tp + out->fn) : NAN;
    out->f1 = out->precision + out->recall > 0 ? 2 * out->precision * out->recall / (out->precision + out->recall)
                                               : NAN;
    free(k);
    return CLV_OK;
}

/* the upper quantiles of the groups of clv_value_calib_fit (the last is 1) */
static const double calib_edges[CLV_CALIB_KNOTS] = {0.3, 0.5, 0.7, 0.8, 0.9, 1};

int clv_value_calib_fit(const double *pred, const double *y, size_t n, double cap, clv_value_calib *c,
                        clv_error *err)
{
    memset(c, 0, sizeof *c);
    c->cap = cap;
    if (!(cap > 0))
        return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "a calibration bound of %g; expected one above 0", cap);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(pred[i]) || !isfinite(y[i]) || y[i] < 0)
            return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "row %zu of the calibration: prediction %g, value "
                                 "%g; expected finite numbers and a value >= 0", i, pred[i], y[i]);
    if (n < 2 * (size_t)CLV_CALIB_MIN_ROWS)
        return CLV_OK; /* too few rows for a map */
    keyed *k = alloc_n(n, sizeof *k);
    if (!k)
        return no_memory(err);
    sort_keyed(k, pred, n, by_key);
    /* the groups' knots, weighted by their rows */
    double p[CLV_CALIB_KNOTS], v[CLV_CALIB_KNOTS], w[CLV_CALIB_KNOTS];
    int m = 0;
    size_t lo = 0;
    for (int g = 0; g < CLV_CALIB_KNOTS; g++) {
        size_t hi = (size_t)llround(calib_edges[g] * (double)n);
        hi = hi > n ? n : hi;
        if (hi <= lo)
            continue;
        double sp = 0, sy = 0;
        for (size_t j = lo; j < hi; j++)
            sp += pred[k[j].i], sy += y[k[j].i];
        p[m] = sp / (double)(hi - lo), v[m] = sy / (double)(hi - lo), w[m] = (double)(hi - lo);
        m++;
        lo = hi;
    }
    free(k);
    /* pool adjacent violators: values non-decreasing, predictions increasing */
    int q = 0;
    for (int g = 0; g < m; g++) {
        p[q] = p[g], v[q] = v[g], w[q] = w[g];
        while (q > 0 && (v[q] < v[q - 1] || !(p[q] > p[q - 1]))) {
            const double ww = w[q - 1] + w[q];
            p[q - 1] = (w[q - 1] * p[q - 1] + w[q] * p[q]) / ww;
            v[q - 1] = (w[q - 1] * v[q - 1] + w[q] * v[q]) / ww;
            w[q - 1] = ww;
            q--;
        }
        q++;
    }
    /* a map needs positive predictions at its ends (it scales beyond them) */
    if (q < 1 || !(p[0] > 0))
        return CLV_OK;
    c->knots = q;
    memcpy(c->pred, p, (size_t)q * sizeof *p);
    memcpy(c->value, v, (size_t)q * sizeof *v);
    return CLV_OK;
}

double clv_value_calib_apply(const clv_value_calib *c, double v)
{
    if (isnan(v))
        return v;
    if (v == INFINITY)
        return c->cap;
    double r = v;
    if (c->knots > 0) {
        const int K = c->knots;
        if (v <= c->pred[0])
            r = v > 0 ? v * (c->value[0] / c->pred[0]) : 0;
        else if (v >= c->pred[K - 1])
            r = v * (c->value[K - 1] / c->pred[K - 1]);
        else {
            int j = 1;
            while (v > c->pred[j])
                j++;
            const double t = (v - c->pred[j - 1]) / (c->pred[j] - c->pred[j - 1]);
            r = c->value[j - 1] + t * (c->value[j] - c->value[j - 1]);
        }
    }
    r = r > 0 ? r : 0;
    return r < c->cap ? r : c->cap;
}
