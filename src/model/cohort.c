/* cohort.c - customers compressed into weighted distinct records, with indices of their distinct times. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "btyd_internal.h"

typedef struct {
    double x, tx, T, m;
} rec;

static int cmp_rec(const void *pa, const void *pb)
{
    const rec *a = pa, *b = pb;
    if (a->x != b->x) return a->x < b->x ? -1 : 1;
    if (a->tx != b->tx) return a->tx < b->tx ? -1 : 1;
    if (a->T != b->T) return a->T < b->T ? -1 : 1;
    if (a->m != b->m) return a->m < b->m ? -1 : 1;
    return 0;
}

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* an (x, time index) pair packed in one integer for sorting */
static int cmp_u64(const void *pa, const void *pb)
{
    unsigned long long a = *(const unsigned long long *)pa, b = *(const unsigned long long *)pb;
    return (a > b) - (a < b);
}

static size_t find_time(const double *times, size_t n, double v)
{
    size_t lo = 0, hi = n;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (times[mid] <= v)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static size_t find_pair(const unsigned long long *keys, size_t n, unsigned long long k)
{
    size_t lo = 0, hi = n;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (keys[mid] <= k)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

void clv__cohort_free(clv__cohort *h)
{
    if (!h)
        return;
    free(h->x);
    free(h->times);
    free(h->iT);
    free(h->pair_x);
    free(h->pair_t);
    free(h->scratch);
    memset(h, 0, sizeof *h);
}

/* the distinct times and (x, time) pairs of the records in h */
static int index_times(clv__cohort *h)
{
    const size_t n = h->n;
    h->times = malloc(2 * n * sizeof *h->times);
    h->iT = malloc(4 * n * sizeof *h->iT);
    unsigned long long *keys = malloc(2 * n * sizeof *keys);
    if (!h->times || !h->iT || !keys) {
        free(keys);
        return -1;
    }
    h->itx = h->iT + n, h->pT = h->iT + 2 * n, h->ptx = h->iT + 3 * n;
    for (size_t i = 0; i < n; i++)
        h->times[2 * i] = h->T[i], h->times[2 * i + 1] = h->tx[i];
    qsort(h->times, 2 * n, sizeof *h->times, cmp_double);
    size_t u = 0;
    for (size_t i = 0; i < 2 * n; i++)
        if (u == 0 || h->times[i] != h->times[u - 1])
            h->times[u++] = h->times[i];
    h->n_times = u;
    for (size_t i = 0; i < n; i++) {
        h->iT[i] = find_time(h->times, u, h->T[i]);
        h->itx[i] = find_time(h->times, u, h->tx[i]);
        keys[2 * i] = ((unsigned long long)h->x[i] << 32) | h->iT[i];
        keys[2 * i + 1] = ((unsigned long long)h->x[i] << 32) | h->itx[i];
    }
    qsort(keys, 2 * n, sizeof *keys, cmp_u64);
    size_t p = 0;
    for (size_t i = 0; i < 2 * n; i++)
        if (p == 0 || keys[i] != keys[p - 1])
            keys[p++] = keys[i];
    h->n_pairs = p;
    h->pair_x = malloc(p * sizeof *h->pair_x);
    h->pair_t = malloc(p * sizeof *h->pair_t);
    if (!h->pair_x || !h->pair_t) {
        free(keys);
        return -1;
    }
    for (size_t j = 0; j < p; j++) {
        h->pair_x[j] = (int)(keys[j] >> 32);
        h->pair_t[j] = (size_t)(keys[j] & 0xffffffffULL);
    }
    for (size_t i = 0; i < n; i++) {
        h->pT[i] = find_pair(keys, p, ((unsigned long long)h->x[i] << 32) | h->iT[i]);
        h->ptx[i] = find_pair(keys, p, ((unsigned long long)h->x[i] << 32) | h->itx[i]);
    }
    free(keys);
    return 0;
}

int clv__cohort_build(const clv_rfm *c, size_t n, int repeaters_only, int with_spend, clv__cohort *out,
                      clv_error *err)
{
    memset(out, 0, sizeof *out);
    rec *r = malloc((n ? n : 1) * sizeof *r);
    if (!r)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const clv_rfm *ci = &c[i];
        /* the models' assumptions about a record: report the first violation */
        const char *bad = NULL;
        if (!(ci->x >= 0) || ci->x != floor(ci->x) || ci->x > 1e6)
            bad = "x must be a non-negative integer";
        else if (!(ci->T >= 0) || !isfinite(ci->T))
            bad = "T must be a finite number >= 0";
        else if (!(ci->t_x >= 0) || ci->t_x > ci->T * (1 + 1e-12))
            bad = "t_x must be in [0, T]";
        else if (ci->x == 0 && ci->t_x != 0)
            bad = "t_x must be 0 when x = 0";
        else if (with_spend && ci->x > 0 && !(ci->mean_spend >= 0 && isfinite(ci->mean_spend)))
            bad = "the mean spend of a repeat customer must be a finite number >= 0";
        if (bad) {
            free(r);
            return clv_error_set(err, CLV_EINPUT, NULL, 0, "customers",
                                 "customer %zu (x = %g, t_x = %g, T = %g, mean spend = %g): %s", i + 1, ci->x,
                                 ci->t_x, ci->T, ci->mean_spend, bad);
        }
        if (repeaters_only && ci->x < 1)
            continue;
        if (with_spend && ci->mean_spend <= 0) {
            out->excluded++;
            continue;
        }
        r[k].x = ci->x;
        /* the spend model sees a customer through (x, mean spend) alone: merged on them */
        r[k].tx = with_spend ? 0 : ci->t_x < ci->T ? ci->t_x : ci->T;
        r[k].T = with_spend ? 0 : ci->T;
        r[k].m = with_spend ? ci->mean_spend : 0;
        k++;
    }
    if (k == 0) {
        free(r);
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "customers",
                             repeaters_only ? "no customer with a repeat purchase to fit the spend model to"
                                            : "no customers to fit the model to");
    }
    qsort(r, k, sizeof *r, cmp_rec);
    /* one allocation, six arrays */
    double *mem = malloc(6 * k * sizeof *mem);
    if (!mem) {
        free(r);
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    out->x = mem, out->tx = mem + k, out->T = mem + 2 * k, out->m = mem + 3 * k, out->w = mem + 4 * k;
    out->lm = mem + 5 * k;
    size_t u = 0;
    for (size_t i = 0; i < k; i++) {
        if (u > 0 && cmp_rec(&r[i], &(rec){out->x[u - 1], out->tx[u - 1], out->T[u - 1], out->m[u - 1]}) == 0) {
            out->w[u - 1] += 1;
            continue;
        }
        out->x[u] = r[i].x, out->tx[u] = r[i].tx, out->T[u] = r[i].T, out->m[u] = r[i].m, out->w[u] = 1;
        out->lm[u] = r[i].m > 0 ? log(r[i].m) : 0;
        if (r[i].x > out->xmax)
            out->xmax = (int)r[i].x;
        u++;
    }
    out->n = u;
    out->total_weight = (double)k;
    out->threads = 1;
    free(r);
    if (index_times(out) != 0 || !(out->scratch = malloc(CLV__SCR_SIZE(out) * sizeof *out->scratch))) {
        clv__cohort_free(out);
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    return CLV_OK;
}
