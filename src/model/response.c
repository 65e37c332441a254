/* response.c - the response to contact: an experiment in memory, its estimators, the modified Poisson model, the state map. */
#include "clvsim/response.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

/* ---- the experiment ---- */

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static void free_names(char **v, int n)
{
    if (!v)
        return;
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* copies of n names into *out; CLV_EINPUT for a NULL or duplicate name */
static int copy_names(char ***out, const char *const *names, int n, const char *what, clv_error *err)
{
    *out = calloc((size_t)(n > 0 ? n : 1), sizeof **out);
    if (!*out)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    for (int i = 0; i < n; i++) {
        if (!names || !names[i])
            return clv_error_set(err, CLV_EINPUT, NULL, 0, what, "expected a name for %s %d, got none", what, i + 1);
        for (int j = 0; j < i; j++)
            if (strcmp(names[i], names[j]) == 0)
                return clv_error_set(err, CLV_EINPUT, NULL, 0, what, "expected distinct names, got \"%s\" twice",
                                     names[i]);
        if (!((*out)[i] = dup_str(names[i])))
            return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    return CLV_OK;
}

void clv_experiment_free(clv_experiment *e)
{
    if (!e)
        return;
    free_names(e->arm_names, e->n_arms);
    if (e->level_names)
        for (int c = 0; c < e->n_cov; c++)
            free_names(e->level_names[c], e->n_levels ? e->n_levels[c] : 0);
    free(e->level_names);
    free_names(e->cov_names, e->n_cov);
    free(e->n_levels);
    free(e->arm);
    free(e->converted);
    free(e->spend);
    free(e->level);
    free(e->path);
    free(e->line);
    free(e);
}

int clv_experiment_alloc(size_t n, int n_arms, const char *const *arm_names, int control, int n_cov,
                         const char *const *cov_names, const int *n_levels, const char *const *const *level_names,
                         clv_experiment **out, clv_error *err)
{
    *out = NULL;
    if (n_arms < 2 || n_arms > CLV_EXPERIMENT_MAX_ARMS)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "arms", "expected 2 to %d arms, got %d",
                             CLV_EXPERIMENT_MAX_ARMS, n_arms);
    if (control < 0 || control >= n_arms)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "control", "expected an arm index in [0, %d], got %d",
                             n_arms - 1, control);
    if (n_cov < 0 || n_cov > CLV_EXPERIMENT_MAX_COVARIATES)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "covariates", "expected 0 to %d covariates, got %d",
                             CLV_EXPERIMENT_MAX_COVARIATES, n_cov);
    for (int c = 0; c < n_cov; c++)
        if (!n_levels || n_levels[c] < 1 || n_levels[c] > CLV_EXPERIMENT_MAX_LEVELS)
            return clv_error_set(err, CLV_EINPUT, NULL, 0, cov_names && cov_names[c] ? cov_names[c] : "levels",
                                 "expected 1 to %d levels, got %d", CLV_EXPERIMENT_MAX_LEVELS,
                                 n_levels ? n_levels[c] : 0);
    if (n > SIZE_MAX / sizeof(double) / ((size_t)n_cov + 1))
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    clv_experiment *e = calloc(1, sizeof *e);
    if (!e)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    e->n = n;
    e->n_arms = n_arms;
    e->control = control;
    e->n_cov = n_cov;
    int st = copy_names(&e->arm_names, arm_names, n_arms, "arm", err);
    if (st == CLV_OK)
        st = copy_names(&e->cov_names, cov_names, n_cov, "covariate", err);
    if (st != CLV_OK)
        goto fail;
    e->n_levels = calloc((size_t)n_cov + 1, sizeof *e->n_levels);
    e->level_names = calloc((size_t)n_cov + 1, sizeof *e->level_names);
    const size_t rows = n > 0 ? n : 1;
    e->arm = calloc(rows, sizeof *e->arm);
    e->converted = calloc(rows, 1);
    e->spend = calloc(rows, sizeof *e->spend);
    e->level = calloc(rows * ((size_t)n_cov > 0 ? (size_t)n_cov : 1), sizeof *e->level);
    if (!e->n_levels || !e->level_names || !e->arm || !e->converted || !e->spend || !e->level) {
        st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
        goto fail;
    }
    for (int c = 0; c < n_cov; c++) {
        e->n_levels[c] = n_levels[c];
        if ((st = copy_names(&e->level_names[c], level_names ? level_names[c] : NULL, n_levels[c], e->cov_names[c],
                             err)) != CLV_OK)
            goto fail;
    }
    *out = e;
    return CLV_OK;
fail:
    clv_experiment_free(e);
    return st;
}

int clv_experiment_check(const clv_experiment *e, clv_error *err)
{
    long count[CLV_EXPERIMENT_MAX_ARMS] = {0};
    for (size_t i = 0; i < e->n; i++) {
        const char *file = e->path;
        const int line = e->line ? (int)(e->line[i] > 2147483647L ? 2147483647L : e->line[i]) : 0;
        char where[48] = "";
        if (!e->line)
            snprintf(where, sizeof where, "row %zu: ", i + 1);
        if (e->arm[i] < 0 || e->arm[i] >= e->n_arms)
            return clv_error_set(err, CLV_EINPUT, file, line, "arm", "%sexpected an arm index in [0, %d], got %d",
                                 where, e->n_arms - 1, e->arm[i]);
        if (e->converted[i] > 1)
            return clv_error_set(err, CLV_EINPUT, file, line, "converted", "%sexpected 0 or 1, got %d", where,
                                 e->converted[i]);
        const double s = e->spend[i];
        if (!(s >= 0) || !isfinite(s))
            return clv_error_set(err, CLV_EINPUT, file, line, "spend", "%sexpected a finite spend >= 0, got %g", where,
                                 s);
        if (s > 0 && !e->converted[i])
            return clv_error_set(err, CLV_EINPUT, file, line, "spend",
                                 "%sexpected a spend of 0 on a row that did not convert, got %g", where, s);
        for (int c = 0; c < e->n_cov; c++) {
            const int l = e->level[i * (size_t)e->n_cov + (size_t)c];
            if (l < 0 || l >= e->n_levels[c])
                return clv_error_set(err, CLV_EINPUT, file, line, e->cov_names[c],
                                     "%sexpected a level index in [0, %d], got %d", where, e->n_levels[c] - 1, l);
        }
        count[e->arm[i]]++;
    }
    for (int a = 0; a < e->n_arms; a++)
        if (count[a] == 0)
            return clv_error_set(err, CLV_EINPUT, e->path, 0, "arm",
                                 "expected customers in every arm, got none in arm \"%s\"", e->arm_names[a]);
    return CLV_OK;
}

/* ---- the map ---- */

static const char *const map_names[CLV_MAP_N] = {"none", "recency-months", "recency-days", "spend-band", "spend",
                                                 "new-within-days"};

const char *clv_response_map_name(int kind) { return kind >= 0 && kind < CLV_MAP_N ? map_names[kind] : "unknown"; }

int clv_response_map_observable(int kind)
{
    switch (kind) {
    case CLV_MAP_RECENCY_MONTHS:
    case CLV_MAP_RECENCY_DAYS: return CLV_CONTACT_RECENCY;
    case CLV_MAP_SPEND_BAND:
    case CLV_MAP_SPEND: return CLV_CONTACT_SPEND;
    case CLV_MAP_NEW_WITHIN_DAYS: return CLV_CONTACT_AGE;
    default: return -1;
    }
}

int clv_response_map_parse(const char *text, const char *field, clv_response_map *m, clv_error *err)
{
    static const char accepted[] =
        "recency-months, recency-days, spend-band, spend or new-within-days:N (N days in [1, 36500])";
    m->kind = CLV_MAP_NONE;
    m->param = 0;
    for (int k = 1; k < CLV_MAP_N; k++) {
        if (k != CLV_MAP_NEW_WITHIN_DAYS && strcmp(text, map_names[k]) == 0) {
            m->kind = k;
            return CLV_OK;
        }
    }
    const size_t pre = strlen(map_names[CLV_MAP_NEW_WITHIN_DAYS]);
    if (strncmp(text, map_names[CLV_MAP_NEW_WITHIN_DAYS], pre) == 0 && text[pre] == ':') {
        char *end;
        errno = 0;
        long d = strtol(text + pre + 1, &end, 10);
        if (end != text + pre + 1 && *end == '\0' && errno == 0 && d >= 1 && d <= 36500) {
            m->kind = CLV_MAP_NEW_WITHIN_DAYS;
            m->param = (int)d;
            return CLV_OK;
        }
    }
    return clv_error_set(err, CLV_EINPUT, NULL, 0, field, "expected a kind %s, got \"%s\"", accepted, text);
}

/* a number filling s[0, n) (strtod's forms; finite) */
static int number_of(const char *s, double *v)
{
    char *end;
    if (!*s)
        return -1;
    double x = strtod(s, &end);
    if (*end != '\0' || !isfinite(x))
        return -1;
    *v = x;
    return 0;
}

/* "$1,000" at *p: the dollars, commas allowed between digits; advances *p */
static int dollars(const char **p, double *v)
{
    const char *s = *p;
    while (*s == ' ')
        s++;
    if (*s == '$')
        s++;
    double x = 0;
    int any = 0;
    for (; (*s >= '0' && *s <= '9') || (*s == ',' && any); s++)
        if (*s != ',') {
            x = x * 10 + (*s - '0');
            any = 1;
        }
    if (*s == '.') {
        double f = 0.1;
        for (s++; *s >= '0' && *s <= '9'; s++, f /= 10)
            x += (*s - '0') * f;
    }
    if (!any)
        return -1;
    *p = s;
    *v = x;
    return 0;
}

int clv_response_level_upper(const clv_response_map *m, const char *label, int last, const char *field,
                             double *upper, clv_error *err)
{
    double v;
    switch (m->kind) {
    case CLV_MAP_RECENCY_MONTHS:
    case CLV_MAP_RECENCY_DAYS:
    case CLV_MAP_SPEND:
        if (number_of(label, &v) != 0 || v < 0)
            return clv_error_set(err, CLV_EINPUT, NULL, 0, field, "%s: expected levels that are numbers >= 0, got \"%s\"",
                                 map_names[m->kind], label);
        *upper = m->kind == CLV_MAP_RECENCY_MONTHS ? v * 30.4375 : v;
        return CLV_OK;
    case CLV_MAP_NEW_WITHIN_DAYS:
        if (strcmp(label, "1") == 0)
            *upper = m->param;
        else if (strcmp(label, "0") == 0)
            *upper = -1;
        else
            return clv_error_set(err, CLV_EINPUT, NULL, 0, field, "new-within-days: expected levels 0 and 1, got \"%s\"",
                                 label);
        return CLV_OK;
    case CLV_MAP_SPEND_BAND: {
        /* "k) $a - $b", or "k) $a +" */
        const char *p = label;
        char *end;
        strtol(p, &end, 10);
        double a, b;
        if (end == p || *end != ')')
            goto band;
        p = end + 1;
        if (dollars(&p, &a) != 0)
            goto band;
        while (*p == ' ')
            p++;
        if (*p == '+' && p[1] == '\0') {
            *upper = -1;
            return CLV_OK;
        }
        if (*p != '-')
            goto band;
        p++;
        if (dollars(&p, &b) != 0 || *p != '\0' || b < a)
            goto band;
        *upper = last ? -1 : b;
        return CLV_OK;
    band:
        return clv_error_set(err, CLV_EINPUT, NULL, 0, field,
                             "spend-band: expected levels \"k) $a - $b\" or \"k) $a +\", got \"%s\"", label);
    }
    default:
        return clv_error_set(err, CLV_EINPUT, NULL, 0, field, "covariate not mapped to the simulator's state");
    }
}

/* ---- single estimators ---- */

clv_estimate clv_wilson(long x, long n, double z)
{
    clv_estimate r = {NAN, NAN, NAN};
    if (n <= 0)
        return r;
    const double nn = (double)n, p = (double)x / nn, z2 = z * z;
    const double den = 1 + z2 / nn;
    const double centre = (p + z2 / (2 * nn)) / den;
    const double half = z / den * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
    r.est = p;
    r.lo = fmax(0, centre - half);
    r.hi = fmin(1, centre + half);
    /* at x = 0 (or n) the score interval's bound is exactly 0 (1); rounding
     * may leave it a hair off */
    if (x == 0)
        r.lo = 0;
    if (x == n)
        r.hi = 1;
    return r;
}

clv_estimate clv_newcombe(long x1, long n1, long x0, long n0, double z)
{
    clv_estimate r = {NAN, NAN, NAN};
    if (n1 <= 0 || n0 <= 0)
        return r;
    const clv_estimate a = clv_wilson(x1, n1, z), b = clv_wilson(x0, n0, z);
    r.est = a.est - b.est;
    r.lo = r.est - sqrt((a.est - a.lo) * (a.est - a.lo) + (b.hi - b.est) * (b.hi - b.est));
    r.hi = r.est + sqrt((a.hi - a.est) * (a.hi - a.est) + (b.est - b.lo) * (b.est - b.lo));
    return r;
}

clv_estimate clv_rate_ratio(long x1, long n1, long x0, long n0, double z)
{
    clv_estimate r = {NAN, NAN, NAN};
    if (x1 <= 0 || x0 <= 0 || n1 <= 0 || n0 <= 0)
        return r;
    const double lr = log(((double)x1 / (double)n1) / ((double)x0 / (double)n0));
    const double se = sqrt(1.0 / (double)x1 - 1.0 / (double)n1 + 1.0 / (double)x0 - 1.0 / (double)n0);
    r.est = exp(lr);
    r.lo = exp(lr - z * se);
    r.hi = exp(lr + z * se);
    return r;
}

double clv_two_proportion_p(long x1, long n1, long x0, long n0, double *zstat)
{
    double zs = NAN, p = NAN;
    if (n1 > 0 && n0 > 0) {
        const double pool = (double)(x1 + x0) / (double)(n1 + n0);
        const double se = sqrt(pool * (1 - pool) * (1.0 / (double)n1 + 1.0 / (double)n0));
        if (se > 0) {
            zs = ((double)x1 / (double)n1 - (double)x0 / (double)n0) / se;
            p = 2 * gsl_cdf_ugaussian_Q(fabs(zs));
        }
    }
    if (zstat)
        *zstat = zs;
    return p;
}

clv_estimate clv_welch(double m1, double s1, long n1, double m0, double s0, long n0, double confidence, double *t,
                       double *df, double *p)
{
    clv_estimate r = {NAN, NAN, NAN};
    double tt = NAN, nu = NAN, pp = NAN;
    if (n1 >= 1 && n0 >= 1)
        r.est = m1 - m0;
    if (n1 >= 2 && n0 >= 2) {
        const double v1 = s1 * s1 / (double)n1, v0 = s0 * s0 / (double)n0, v = v1 + v0;
        if (v > 0) {
            const double se = sqrt(v);
            nu = v * v / (v1 * v1 / (double)(n1 - 1) + v0 * v0 / (double)(n0 - 1));
            tt = r.est / se;
            pp = 2 * gsl_cdf_tdist_Q(fabs(tt), nu);
            const double q = gsl_cdf_tdist_Pinv(0.5 + confidence / 2, nu);
            r.lo = r.est - q * se;
            r.hi = r.est + q * se;
        }
    }
    if (t)
        *t = tt;
    if (df)
        *df = nu;
    if (p)
        *p = pp;
    return r;
}

/* ---- the estimates of an experiment ---- */

void clv_response_opts_default(clv_response_opts *o)
{
    memset(o, 0, sizeof *o);
    o->confidence = 0.95;
    o->map = NULL;
    o->max_iterations = 100;
    o->tolerance = 1e-10;
    o->progress = NULL;
}

void clv_response_free(clv_response *r)
{
    if (!r)
        return;
    free(r->arm);
    free(r->effect);
    free(r->het);
    free(r->levels);
    if (r->model)
        for (int k = 0; k < r->n_models; k++)
            free(r->model[k].term);
    free(r->model);
    free(r->map);
    memset(r, 0, sizeof *r);
}

/* running sums of a group of spends */
typedef struct moments {
    long n;
    double sum, sumsq;
} moments;

static double mean_of(const moments *m) { return m->n > 0 ? m->sum / (double)m->n : NAN; }

/* the sample sd, computed as sum (x - mean)^2 by the caller's second pass:
 * here from sums, which for spends (at most 1e15 each, see txlog.h) loses
 * digits only when the variance is far below the mean squared */
static double sd_of(const moments *m)
{
    if (m->n < 2)
        return NAN;
    const double mu = m->sum / (double)m->n;
    const double ss = m->sumsq - (double)m->n * mu * mu;
    return sqrt(fmax(0, ss) / (double)(m->n - 1));
}

static clv_estimate normal_mean(const moments *m, double z)
{
    clv_estimate r = {mean_of(m), NAN, NAN};
    const double sd = sd_of(m);
    if (!isnan(sd)) {
        r.lo = r.est - z * sd / sqrt((double)m->n);
        r.hi = r.est + z * sd / sqrt((double)m->n);
    }
    return r;
}

/* a ratio of means with the log-scale delta-method interval */
static clv_estimate mean_ratio(const moments *a, const moments *b, double z)
{
    clv_estimate r = {NAN, NAN, NAN};
    const double m1 = mean_of(a), m0 = mean_of(b);
    if (!(m1 > 0) || !(m0 > 0))
        return r;
    r.est = m1 / m0;
    const double s1 = sd_of(a), s0 = sd_of(b);
    if (isnan(s1) || isnan(s0))
        return r;
    const double se = sqrt(s1 * s1 / ((double)a->n * m1 * m1) + s0 * s0 / ((double)b->n * m0 * m0));
    r.lo = r.est * exp(-z * se);
    r.hi = r.est * exp(z * se);
    return r;
}

/* the two-pass sums of squares: the moments' sumsq replaced by
 * sum (x - mean)^2 + n mean^2, exact to rounding */
static void second_pass(const clv_experiment *e, moments *all, moments *buy)
{
    double mu_a[CLV_EXPERIMENT_MAX_ARMS], mu_b[CLV_EXPERIMENT_MAX_ARMS];
    double ss_a[CLV_EXPERIMENT_MAX_ARMS] = {0}, ss_b[CLV_EXPERIMENT_MAX_ARMS] = {0};
    for (int a = 0; a < e->n_arms; a++) {
        mu_a[a] = all[a].n ? all[a].sum / (double)all[a].n : 0;
        mu_b[a] = buy[a].n ? buy[a].sum / (double)buy[a].n : 0;
    }
    for (size_t i = 0; i < e->n; i++) {
        const int a = e->arm[i];
        const double d = e->spend[i] - mu_a[a];
        ss_a[a] += d * d;
        if (e->converted[i]) {
            const double db = e->spend[i] - mu_b[a];
            ss_b[a] += db * db;
        }
    }
    for (int a = 0; a < e->n_arms; a++) {
        all[a].sumsq = ss_a[a] + (double)all[a].n * mu_a[a] * mu_a[a];
        buy[a].sumsq = ss_b[a] + (double)buy[a].n * mu_b[a] * mu_b[a];
    }
}

/* ---- the modified Poisson model ---- */

/* The design of treated arm t's model over the rows of control and t:
 * column 0 the intercept, then the mapped covariates' levels 1.. (level 0
 * the reference), then the treatment, then treatment x the same levels.
 * col[c] is the first column of covariate c's levels (-1: not mapped). */
typedef struct design {
    int p, n_main;      /* columns; columns before the treatment */
    int col[CLV_EXPERIMENT_MAX_COVARIATES];
} design;

static void design_of(const clv_experiment *e, const clv_response_map *map, design *d)
{
    int k = 1;
    for (int c = 0; c < e->n_cov; c++) {
        if (map[c].kind != CLV_MAP_NONE) {
            d->col[c] = k;
            k += e->n_levels[c] - 1;
        } else {
            d->col[c] = -1;
        }
    }
    d->n_main = k;
    d->p = 2 * k;
}

static void design_row(const clv_experiment *e, const design *d, size_t i, int treated, double *x)
{
    for (int j = 0; j < d->p; j++)
        x[j] = 0;
    x[0] = 1;
    if (treated)
        x[d->n_main] = 1;
    for (int c = 0; c < e->n_cov; c++) {
        const int l = e->level[i * (size_t)e->n_cov + (size_t)c];
        if (d->col[c] < 0 || l == 0)
            continue;
        x[d->col[c] + l - 1] = 1;
        if (treated)
            x[d->n_main + d->col[c] + l - 1] = 1;
    }
}

/* The Poisson deviance 2 sum [y log(y / mu) - (y - mu)] of 0/1 outcomes. */
static double deviance_of(const gsl_vector *y, const gsl_vector *mu)
{
    double dev = 0;
    for (size_t i = 0; i < y->size; i++) {
        const double yi = gsl_vector_get(y, i), m = gsl_vector_get(mu, i);
        dev += (yi > 0 ? yi * log(yi / m) : 0) - (yi - m);
    }
    return 2 * dev;
}

static int fit_model(const clv_experiment *e, const clv_response_opts *o, const clv_response_map *map, int t,
                     double z, clv_response_model *m, clv_error *err)
{
    design d;
    design_of(e, map, &d);
    const int p = d.p;
    /* every mapped level needs a conversion among the treated and among
     * all rows: else its maximum-likelihood term is minus infinity */
    size_t rows = 0;
    for (size_t i = 0; i < e->n; i++)
        rows += e->arm[i] == t || e->arm[i] == e->control;
    for (int c = 0; c < e->n_cov; c++) {
        if (d.col[c] < 0)
            continue;
        for (int l = 0; l < e->n_levels[c]; l++) {
            long conv_t = 0, conv = 0, n_t = 0, n_c = 0;
            for (size_t i = 0; i < e->n; i++) {
                if (e->level[i * (size_t)e->n_cov + (size_t)c] != l)
                    continue;
                if (e->arm[i] == t) {
                    n_t++;
                    conv_t += e->converted[i];
                } else if (e->arm[i] == e->control) {
                    n_c++;
                    conv += e->converted[i];
                }
            }
            if (conv_t == 0 || conv == 0)
                return clv_error_set(err, CLV_EINPUT, e->path, 0, e->cov_names[c],
                                     "level \"%s\" has %ld conversions among %ld customers of arm \"%s\" and %ld "
                                     "among %ld of the control arm \"%s\": the response model needs conversions in "
                                     "both arms in every level of a mapped covariate; merge the level with a "
                                     "neighbour, or leave the covariate out of --state-map",
                                     e->level_names[c][l], conv_t, n_t, e->arm_names[t], conv, n_c,
                                     e->arm_names[e->control]);
        }
    }
    if (rows <= (size_t)p)
        return clv_error_set(err, CLV_EINPUT, e->path, 0, "covariates",
                             "the response model of arm \"%s\" has %d parameters and only %zu customers: map fewer "
                             "covariates",
                             e->arm_names[t], p, rows);

    int st = CLV_OK;
    gsl_matrix *X = gsl_matrix_alloc(rows, (size_t)p), *A = gsl_matrix_alloc(rows, (size_t)p);
    gsl_matrix *cov = gsl_matrix_alloc((size_t)p, (size_t)p);
    gsl_matrix *meat = gsl_matrix_calloc((size_t)p, (size_t)p), *tmp = gsl_matrix_alloc((size_t)p, (size_t)p);
    gsl_vector *y = gsl_vector_alloc(rows), *b = gsl_vector_alloc(rows), *res = gsl_vector_alloc(rows);
    gsl_vector *mu = gsl_vector_alloc(rows), *beta = gsl_vector_alloc((size_t)p), *eta = gsl_vector_alloc(rows);
    gsl_vector *tau = gsl_vector_alloc((size_t)p);
    int n_terms = 1;
    for (int c = 0; c < e->n_cov; c++)
        n_terms += d.col[c] >= 0 ? e->n_levels[c] : 0;
    m->term = calloc((size_t)n_terms, sizeof *m->term);
    if (!X || !A || !cov || !meat || !tmp || !y || !b || !res || !mu || !beta || !eta || !tau || !m->term) {
        st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
        goto done;
    }
    m->arm = t;
    m->rows = rows;
    m->params = p;
    size_t r = 0;
    double ybar = 0;
    for (size_t i = 0; i < e->n; i++) {
        if (e->arm[i] != t && e->arm[i] != e->control)
            continue;
        gsl_vector_view row = gsl_matrix_row(X, r);
        design_row(e, &d, i, e->arm[i] == t, row.vector.data);
        gsl_vector_set(y, r, e->converted[i]);
        ybar += e->converted[i];
        r++;
    }
    ybar /= (double)rows;
    if (!(ybar > 0)) {
        st = clv_error_set(err, CLV_EINPUT, e->path, 0, "converted",
                           "no conversions among the customers of arm \"%s\" and the control arm", e->arm_names[t]);
        goto done;
    }
    /* IRLS from mu = the mean: each step the weighted least-squares fit of
     * the working response eta + (y - mu) / mu with weights mu, solved by a
     * Householder QR of W^1/2 X (gsl_linalg_QR_decomp, QR_lssolve); it
     * stops when the deviance changes by less than the tolerance
     * (relative) */
    gsl_vector_set_all(mu, ybar);
    gsl_vector_set_all(eta, log(ybar));
    double dev = deviance_of(y, mu);
    int it = 0, converged = 0;
    while (it < o->max_iterations && !converged) {
        it++;
        if ((st = clv_progress_poll(o->progress)) != CLV_OK) {
            st = clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "stopped");
            goto done;
        }
        for (size_t i = 0; i < rows; i++) {
            const double mi = gsl_vector_get(mu, i), sw = sqrt(mi);
            gsl_vector_set(b, i, sw * (gsl_vector_get(eta, i) + (gsl_vector_get(y, i) - mi) / mi));
            for (int j = 0; j < p; j++)
                gsl_matrix_set(A, i, (size_t)j, sw * gsl_matrix_get(X, i, (size_t)j));
        }
        int gs = gsl_linalg_QR_decomp(A, tau);
        /* rank: a diagonal of R that vanishes against the largest */
        double rmax = 0, rmin = INFINITY;
        for (int j = 0; j < p; j++) {
            const double rj = fabs(gsl_matrix_get(A, (size_t)j, (size_t)j));
            rmax = rj > rmax ? rj : rmax;
            rmin = rj < rmin ? rj : rmin;
        }
        if (gs != GSL_SUCCESS || !(rmin > 1e-10 * rmax)) {
            st = clv_error_set(err, CLV_ENUMERIC, e->path, 0, "covariates",
                               "the response model of arm \"%s\" is singular: a mapped level has no customers in "
                               "an arm; merge it with a neighbour",
                               e->arm_names[t]);
            goto done;
        }
        if (gsl_linalg_QR_lssolve(A, tau, b, beta, res) != GSL_SUCCESS) {
            st = clv_error_set(err, CLV_ENUMERIC, e->path, 0, "covariates",
                               "the response model of arm \"%s\": the least-squares step failed", e->arm_names[t]);
            goto done;
        }
        gsl_blas_dgemv(CblasNoTrans, 1.0, X, beta, 0.0, eta);
        int finite = 1;
        for (size_t i = 0; i < rows; i++) {
            const double mi = exp(gsl_vector_get(eta, i));
            finite &= isfinite(mi) && mi > 0;
            gsl_vector_set(mu, i, mi);
        }
        if (!finite)
            break;
        const double nd = deviance_of(y, mu);
        converged = fabs(nd - dev) <= o->tolerance * (fabs(nd) + 0.1);
        dev = nd;
    }
    if (!converged) {
        st = clv_error_set(err, CLV_ENUMERIC, e->path, 0, "converted",
                           "the response model of arm \"%s\" did not converge in %d iterations of IRLS", e->arm_names[t],
                           o->max_iterations);
        goto done;
    }
    m->iterations = it;
    m->deviance = dev;
    /* the bread at the solution: R of the QR of W^1/2 X with the final
     * weights mu, (X'WX)^-1 = R^-1 R^-T */
    for (size_t i = 0; i < rows; i++) {
        const double sw = sqrt(gsl_vector_get(mu, i));
        for (int j = 0; j < p; j++)
            gsl_matrix_set(A, i, (size_t)j, sw * gsl_matrix_get(X, i, (size_t)j));
    }
    if (gsl_linalg_QR_decomp(A, tau) != GSL_SUCCESS) {
        st = clv_error_set(err, CLV_ENUMERIC, e->path, 0, "covariates",
                           "the response model of arm \"%s\" is singular at its solution", e->arm_names[t]);
        goto done;
    }
    gsl_matrix_view R = gsl_matrix_submatrix(A, 0, 0, (size_t)p, (size_t)p);
    gsl_matrix_memcpy(tmp, &R.matrix);
    for (int i = 0; i < p; i++)
        for (int j = 0; j < i; j++)
            gsl_matrix_set(tmp, (size_t)i, (size_t)j, 0);
    if (gsl_linalg_tri_invert(CblasUpper, CblasNonUnit, tmp) != GSL_SUCCESS) {
        st = clv_error_set(err, CLV_ENUMERIC, e->path, 0, "covariates",
                           "the response model of arm \"%s\" is singular at its solution", e->arm_names[t]);
        goto done;
    }
    gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, tmp, tmp, 0.0, cov);
    /* the meat sum x x' (y - mu)^2, then the sandwich bread meat bread */
    for (size_t i = 0; i < rows; i++) {
        const double ri = gsl_vector_get(y, i) - gsl_vector_get(mu, i);
        gsl_vector_const_view xi = gsl_matrix_const_row(X, i);
        gsl_blas_dsyr(CblasUpper, ri * ri, &xi.vector, meat);
    }
    for (int i = 0; i < p; i++)
        for (int j = 0; j < i; j++)
            gsl_matrix_set(meat, (size_t)i, (size_t)j, gsl_matrix_get(meat, (size_t)j, (size_t)i));
    gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, cov, meat, 0.0, tmp);
    gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, tmp, cov, 0.0, meat);
    /* the treatment terms: g0, then each mapped covariate's levels */
    int k = 0;
    {
        const int j = d.n_main;
        clv_response_term *tm = &m->term[k++];
        tm->cov = -1;
        tm->level = 0;
        tm->coef = gsl_vector_get(beta, (size_t)j);
        tm->se = sqrt(gsl_matrix_get(meat, (size_t)j, (size_t)j));
    }
    for (int c = 0; c < e->n_cov; c++) {
        if (d.col[c] < 0)
            continue;
        for (int l = 0; l < e->n_levels[c]; l++) {
            clv_response_term *tm = &m->term[k++];
            tm->cov = c;
            tm->level = l;
            if (l == 0) {
                tm->coef = 0;
                tm->se = 0;
            } else {
                const size_t j = (size_t)(d.n_main + d.col[c] + l - 1);
                tm->coef = gsl_vector_get(beta, j);
                tm->se = sqrt(gsl_matrix_get(meat, j, j));
            }
        }
    }
    m->n_terms = k;
    for (int i = 0; i < k; i++) {
        clv_response_term *tm = &m->term[i];
        if (!isfinite(tm->coef) || !isfinite(tm->se)) {
            st = clv_error_set(err, CLV_ENUMERIC, e->path, 0, "covariates",
                               "the response model of arm \"%s\" has a term that is not finite", e->arm_names[t]);
            goto done;
        }
        tm->factor.est = exp(tm->coef);
        tm->factor.lo = exp(tm->coef - z * tm->se);
        tm->factor.hi = exp(tm->coef + z * tm->se);
    }
done:
    gsl_vector_free(tau);
    gsl_vector_free(eta);
    gsl_vector_free(beta);
    gsl_vector_free(mu);
    gsl_vector_free(res);
    gsl_vector_free(b);
    gsl_vector_free(y);
    gsl_matrix_free(tmp);
    gsl_matrix_free(meat);
    gsl_matrix_free(cov);
    gsl_matrix_free(A);
    gsl_matrix_free(X);
    return st;
}

/* ---- everything ---- */

/* Cochran's Q of the levels' log rate ratios, weights 1 / var */
static void cochran(clv_response_het *h, int n_levels, long (*cnt)[4])
{
    double sw = 0, swt = 0;
    int used = 0, excluded = 0;
    double theta[CLV_EXPERIMENT_MAX_LEVELS], wt[CLV_EXPERIMENT_MAX_LEVELS];
    for (int l = 0; l < n_levels; l++) {
        const long x1 = cnt[l][1], n1 = cnt[l][0], x0 = cnt[l][3], n0 = cnt[l][2];
        h->level[l].in_q = 0;
        if (x1 <= 0 || x0 <= 0) {
            excluded++;
            continue;
        }
        const double v = 1.0 / (double)x1 - 1.0 / (double)n1 + 1.0 / (double)x0 - 1.0 / (double)n0;
        if (!(v > 0)) { /* every customer of the level converted in both arms: no variance */
            excluded++;
            continue;
        }
        theta[used] = log(((double)x1 / (double)n1) / ((double)x0 / (double)n0));
        wt[used] = 1 / v;
        sw += wt[used];
        swt += wt[used] * theta[used];
        used++;
        h->level[l].in_q = 1;
    }
    h->q_excluded = excluded;
    h->df = used > 0 ? used - 1 : 0;
    h->q = NAN;
    h->p = NAN;
    if (used >= 2) {
        const double pooled = swt / sw;
        double q = 0;
        for (int j = 0; j < used; j++)
            q += wt[j] * (theta[j] - pooled) * (theta[j] - pooled);
        h->q = q;
        h->p = gsl_cdf_chisq_Q(q, h->df);
    }
}

int clv_response_estimate(const clv_experiment *e, const clv_response_opts *o, clv_response *r, clv_error *err)
{
    memset(r, 0, sizeof *r);
    if (!(o->confidence > 0 && o->confidence < 1))
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "confidence", "expected a level in (0, 1), got %g",
                             o->confidence);
    if (o->max_iterations < 1 || !(o->tolerance > 0))
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "max_iterations",
                             "expected at least 1 iteration and a tolerance > 0, got %d and %g", o->max_iterations,
                             o->tolerance);
    int st = clv_experiment_check(e, err);
    if (st != CLV_OK)
        return st;
    const double z = gsl_cdf_ugaussian_Pinv(0.5 + o->confidence / 2);
    r->confidence = o->confidence;
    r->z = z;
    r->n_arms = e->n_arms;
    r->control = e->control;
    r->n_cov = e->n_cov;
    r->n_effects = e->n_arms - 1;
    r->n_het = e->n_cov * r->n_effects;
    size_t total_levels = 0;
    for (int c = 0; c < e->n_cov; c++)
        total_levels += (size_t)e->n_levels[c];
    r->arm = calloc((size_t)e->n_arms, sizeof *r->arm);
    r->effect = calloc((size_t)r->n_effects, sizeof *r->effect);
    r->het = calloc((size_t)r->n_het + 1, sizeof *r->het);
    r->levels = calloc(total_levels * (size_t)r->n_effects + 1, sizeof *r->levels);
    r->map = calloc((size_t)e->n_cov + 1, sizeof *r->map);
    r->model = calloc((size_t)r->n_effects, sizeof *r->model);
    long(*cnt)[4] = calloc(CLV_EXPERIMENT_MAX_LEVELS, sizeof *cnt);
    if (!r->arm || !r->effect || !r->het || !r->levels || !r->map || !r->model || !cnt) {
        free(cnt);
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    for (int c = 0; c < e->n_cov; c++) {
        if (o->map) {
            if (o->map[c].kind < CLV_MAP_NONE || o->map[c].kind >= CLV_MAP_N) {
                free(cnt);
                return clv_error_set(err, CLV_EINPUT, NULL, 0, e->cov_names[c],
                                     "expected a clv_response_map_kind, got %d", o->map[c].kind);
            }
            r->map[c] = o->map[c];
        }
    }

    /* per arm */
    moments all[CLV_EXPERIMENT_MAX_ARMS] = {{0}}, buy[CLV_EXPERIMENT_MAX_ARMS] = {{0}};
    for (size_t i = 0; i < e->n; i++) {
        const int a = e->arm[i];
        all[a].n++;
        all[a].sum += e->spend[i];
        if (e->converted[i]) {
            buy[a].n++;
            buy[a].sum += e->spend[i];
        }
    }
    second_pass(e, all, buy);
    for (int a = 0; a < e->n_arms; a++) {
        clv_response_arm *ra = &r->arm[a];
        ra->n = all[a].n;
        ra->buyers = buy[a].n;
        ra->rate = clv_wilson(buy[a].n, all[a].n, z);
        ra->spend = normal_mean(&all[a], z);
        ra->spend_buyer = normal_mean(&buy[a], z);
        ra->sd_spend = sd_of(&all[a]);
        ra->sd_spend_buyer = sd_of(&buy[a]);
    }

    /* each treated arm against control */
    const int c0 = e->control;
    int k = 0;
    for (int a = 0; a < e->n_arms; a++) {
        if (a == c0)
            continue;
        clv_response_effect *ef = &r->effect[k++];
        ef->arm = a;
        ef->rate_diff = clv_newcombe(buy[a].n, all[a].n, buy[c0].n, all[c0].n, z);
        ef->rate_p = clv_two_proportion_p(buy[a].n, all[a].n, buy[c0].n, all[c0].n, &ef->rate_z);
        ef->rate_ratio = clv_rate_ratio(buy[a].n, all[a].n, buy[c0].n, all[c0].n, z);
        ef->spend_diff = clv_welch(mean_of(&all[a]), sd_of(&all[a]), all[a].n, mean_of(&all[c0]), sd_of(&all[c0]),
                                   all[c0].n, o->confidence, &ef->spend_t, &ef->spend_df, &ef->spend_p);
        ef->spend_ratio = mean_ratio(&all[a], &all[c0], z);
        ef->buyer_diff = clv_welch(mean_of(&buy[a]), sd_of(&buy[a]), buy[a].n, mean_of(&buy[c0]), sd_of(&buy[c0]),
                                   buy[c0].n, o->confidence, &ef->buyer_t, &ef->buyer_df, &ef->buyer_p);
    }

    /* heterogeneity: per covariate, treated arm and level */
    size_t off = 0;
    for (int c = 0; c < e->n_cov; c++) {
        const int nl = e->n_levels[c];
        for (k = 0; k < r->n_effects; k++) {
            const int a = r->effect[k].arm;
            clv_response_het *h = &r->het[c * r->n_effects + k];
            h->cov = c;
            h->arm = a;
            h->level = &r->levels[off];
            off += (size_t)nl;
            memset(cnt, 0, (size_t)nl * sizeof *cnt);
            for (size_t i = 0; i < e->n; i++) {
                const int l = e->level[i * (size_t)e->n_cov + (size_t)c];
                if (e->arm[i] == a) {
                    cnt[l][0]++;
                    cnt[l][1] += e->converted[i];
                } else if (e->arm[i] == c0) {
                    cnt[l][2]++;
                    cnt[l][3] += e->converted[i];
                }
            }
            for (int l = 0; l < nl; l++) {
                clv_response_level *lv = &h->level[l];
                lv->n_treated = cnt[l][0];
                lv->conv_treated = cnt[l][1];
                lv->n_control = cnt[l][2];
                lv->conv_control = cnt[l][3];
                lv->rate_treated = lv->n_treated ? (double)lv->conv_treated / (double)lv->n_treated : NAN;
                lv->rate_control = lv->n_control ? (double)lv->conv_control / (double)lv->n_control : NAN;
                lv->ratio = clv_rate_ratio(lv->conv_treated, lv->n_treated, lv->conv_control, lv->n_control, z);
                lv->diff = clv_newcombe(lv->conv_treated, lv->n_treated, lv->conv_control, lv->n_control, z);
            }
            cochran(h, nl, cnt);
        }
    }
    free(cnt);

    /* the response models */
    for (k = 0; k < r->n_effects; k++) {
        if (clv_progress_report(o->progress, "fitting the response model", k, r->n_effects) != CLV_OK)
            return clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "stopped");
        st = fit_model(e, o, r->map, r->effect[k].arm, z, &r->model[k], err);
        r->n_models = k + 1;
        if (st != CLV_OK)
            return st;
    }
    if (clv_progress_report(o->progress, "fitting the response model", r->n_effects, r->n_effects) != CLV_OK)
        return clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "stopped");
    return CLV_OK;
}
