/* tabular.c - Q-learning, SARSA and Expected SARSA on a Q table; value iteration; table files. */
#include "clvsim/agent.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "clvsim/io.h"

#include "agent_internal.h"

#include "../core/binfile.h"

clv_qtable *clv_qtable_alloc(size_t n_states, size_t n_actions, double init, clv_error *err)
{
    if (n_states == 0 || n_actions == 0 || n_actions > 255) {
        clv_error_set(err, CLV_EINPUT, NULL, 0, "table", "expected 1 or more states and 1 to 255 actions, got %zu x %zu",
                      n_states, n_actions);
        return NULL;
    }
    clv_qtable *t = calloc(1, sizeof *t);
    size_t n = n_states * n_actions;
    if (t) {
        t->q = malloc(n * sizeof *t->q);
        t->visits = calloc(n, sizeof *t->visits);
        t->stats = calloc(n * CLV_QSTATS, sizeof *t->stats);
    }
    if (!t || !t->q || !t->visits || !t->stats) {
        clv_qtable_free(t);
        clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory for a %zu x %zu table", n_states, n_actions);
        return NULL;
    }
    t->n_states = n_states;
    t->n_actions = n_actions;
    for (size_t i = 0; i < n; i++)
        t->q[i] = init;
    return t;
}

void clv_qtable_free(clv_qtable *t)
{
    if (!t)
        return;
    free(t->q), free(t->visits), free(t->stats);
    free(t);
}

size_t clv_agent_n_actions(const clv_scn_interventions *iv)
{
    return (size_t)(iv->n_coupons + 1) * (size_t)iv->n_prices;
}

int clv_agent_greedy(const clv_qtable *t, size_t s)
{
    const double *q = t->q + s * t->n_actions;
    int best = 0;
    for (size_t a = 1; a < t->n_actions; a++)
        if (q[a] > q[best])
            best = (int)a;
    return best;
}

/* q[clv_agent_greedy], the same bits (the running value is q[best] at every
 * step), without its unpredictable branches: a chain of conditional moves
 * (maxsd), in the same order, so NaN and signed zeros come out as there */
static inline double row_max(const double *q, size_t A)
{
    double mx = q[0];
    for (size_t a = 1; a < A; a++)
        mx = q[a] > mx ? q[a] : mx;
    return mx;
}

double clv_agent_q_se(const clv_qtable *t, size_t s, int a)
{
    const size_t k = s * t->n_actions + (size_t)a;
    const uint32_t n = t->visits[k];
    const double *x = t->stats + k * CLV_QSTATS;
    if (n < 2)
        return INFINITY;
    const double m2 = x[CLV_QSTAT_SUMSQ] - x[CLV_QSTAT_SUM] * x[CLV_QSTAT_SUM] / (double)n;
    return sqrt(x[CLV_QSTAT_WSQ] * (m2 > 0 ? m2 : 0) / (double)(n - 1));
}

int clv_agent_confident(const clv_qtable *t, size_t s, int base, double confidence)
{
    const size_t A = t->n_actions;
    const double *q = t->q + s * A;
    const uint32_t *v = t->visits + s * A;
    const double z = confidence > 0 ? gsl_cdf_ugaussian_Pinv(confidence) : 0;
    const double se_base = confidence > 0 ? clv_agent_q_se(t, s, base) : 0;
    int best = -1;
    for (size_t a = 0; a < A; a++) {
        if (!v[a] || (int)a == base)
            continue;
        if (confidence > 0) {
            if (!v[base])
                continue; /* no evidence on changing nothing: nothing is shown better than it */
            const double se = clv_agent_q_se(t, s, (int)a);
            if (!(q[a] - q[base] > z * sqrt(se * se + se_base * se_base)))
                continue;
        } else if (v[base] && !(q[a] > q[base])) {
            continue;
        }
        if (best < 0 || q[a] > q[best])
            best = (int)a;
    }
    return best < 0 ? base : best;
}

void clv_agent_policy(const clv_qtable *t, const clv_agent_params *p, size_t s, double *pi)
{
    const size_t A = t->n_actions;
    const double *q = t->q + s * A;
    if (p->softmax) {
        /* exp((Q - max Q) / temperature), normalised: no overflow */
        double mx = q[0], sum = 0;
        for (size_t a = 1; a < A; a++)
            mx = q[a] > mx ? q[a] : mx;
        for (size_t a = 0; a < A; a++)
            sum += pi[a] = exp((q[a] - mx) / p->temperature);
        for (size_t a = 0; a < A; a++)
            pi[a] /= sum;
        return;
    }
    int g = clv_agent_greedy(t, s);
    for (size_t a = 0; a < A; a++)
        pi[a] = p->epsilon / (double)A + ((int)a == g ? 1 - p->epsilon : 0);
}

int clv_agent_act(const clv_qtable *t, const clv_agent_params *p, size_t s, clv_rng *r)
{
    const size_t A = t->n_actions;
    if (!p->softmax) {
        if (clv_rng_uniform(r) < p->epsilon)
            return (int)(clv_rng_next(r) % A);
        return clv_agent_greedy(t, s);
    }
    double pi[256], u = clv_rng_uniform(r), c = 0;
    clv_agent_policy(t, p, s, pi);
    for (size_t a = 0; a < A; a++) {
        c += pi[a];
        if (u < c)
            return (int)a;
    }
    return (int)(A - 1);
}

/* clv__agent_next_value and clv__agent_step_size as static inline
 * functions, so that clv_agent_update inlines them (-fPIC keeps a global
 * function out of line for interposition) */
static inline __attribute__((always_inline)) double next_value(const clv_qtable *t, const clv_agent_params *p,
                                                                 size_t s2, int a2)
{
    const size_t A = t->n_actions;
    const double *q2 = t->q + s2 * A;
    switch (p->rule) {
    case CLV_RULE_SARSA:
        return q2[a2];
    case CLV_RULE_EXPECTED_SARSA:
        if (!p->softmax) {
            /* epsilon-greedy: (1 - eps) max Q + eps mean Q, in one pass */
            double mx = q2[0], sum = q2[0];
            for (size_t b = 1; b < A; b++) {
                mx = q2[b] > mx ? q2[b] : mx;
                sum += q2[b];
            }
            return (1 - p->epsilon) * mx + p->epsilon * sum / (double)A;
        } else {
            double pi[256], next = 0;
            clv_agent_policy(t, p, s2, pi);
            for (size_t b = 0; b < A; b++)
                next += pi[b] * q2[b];
            return next;
        }
    default:
        return row_max(q2, A);
    }
}

double clv__agent_next_value(const clv_qtable *t, const clv_agent_params *p, size_t s2, int a2)
{
    return next_value(t, p, s2, a2);
}

static double step_size(const clv_agent_params *p, uint32_t visits)
{
    const double alpha = p->alpha_visits ? p->alpha / pow((double)visits, p->omega) : p->alpha;
    return alpha > 1 ? 1 : alpha;
}

/* The step sizes alpha / n^omega of the first STEP_CACHE visits, computed
 * by step_size itself (the same bits) for the last (alpha, omega) the
 * thread used: a pow per update was a third of an update's time.  Thread
 * local, so workers never share it; keyed on the bits of both. */
enum { STEP_CACHE = 1024 };
static _Thread_local struct {
    int ready;
    double alpha, omega;
    double v[STEP_CACHE];
} steps;

static inline double step_at(const clv_agent_params *p, uint32_t visits)
{
    if (!p->alpha_visits || visits >= STEP_CACHE)
        return step_size(p, visits);
    if (!steps.ready || memcmp(&steps.alpha, &p->alpha, sizeof p->alpha) != 0 ||
        memcmp(&steps.omega, &p->omega, sizeof p->omega) != 0) {
        for (uint32_t k = 0; k < STEP_CACHE; k++)
            steps.v[k] = step_size(p, k);
        steps.alpha = p->alpha, steps.omega = p->omega, steps.ready = 1;
    }
    return steps.v[visits];
}

double clv__agent_step_size(const clv_agent_params *p, uint32_t visits)
{
    return step_at(p, visits);
}

double clv_agent_update(clv_qtable *t, const clv_agent_params *p, size_t s, int a, double reward, size_t s2, int a2,
                        int terminal)
{
    const size_t A = t->n_actions;
    double *q = t->q + s * A;
    const size_t k = s * A + (size_t)a;
    const double target = reward + (terminal ? 0 : p->gamma * next_value(t, p, s2, a2));
    uint32_t *n = &t->visits[k];
    if (*n < UINT32_MAX)
        ++*n;
    const double alpha = step_at(p, *n);
    double delta = target - q[a];
    q[a] += alpha * delta;
    /* the targets' sums and the weight of each in Q */
    double *x = t->stats + k * CLV_QSTATS;
    x[CLV_QSTAT_SUM] += target;
    x[CLV_QSTAT_SUMSQ] += target * target;
    x[CLV_QSTAT_WSQ] = (1 - alpha) * (1 - alpha) * x[CLV_QSTAT_WSQ] + alpha * alpha;
    return delta;
}

int clv_value_iteration(size_t S, size_t A, const double *P, const double *R, const uint8_t *terminal,
                        double gamma, double tol, int max_iter, double *q, clv_error *err)
{
    double *v = calloc(S, sizeof *v);
    if (!v)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    for (size_t i = 0; i < S * A; i++)
        q[i] = 0;
    for (int it = 0; it < max_iter; it++) {
        double change = 0;
        for (size_t s = 0; s < S; s++) {
            if (terminal && terminal[s])
                continue;
            for (size_t a = 0; a < A; a++) {
                const double *p = P + (s * A + a) * S;
                double x = R[s * A + a];
                for (size_t s2 = 0; s2 < S; s2++)
                    x += gamma * p[s2] * v[s2];
                change = fmax(change, fabs(x - q[s * A + a]));
                q[s * A + a] = x;
            }
        }
        for (size_t s = 0; s < S; s++) {
            double best = terminal && terminal[s] ? 0 : q[s * A];
            for (size_t a = 1; !(terminal && terminal[s]) && a < A; a++)
                best = q[s * A + a] > best ? q[s * A + a] : best;
            v[s] = best;
        }
        if (change < tol) {
            free(v);
            return CLV_OK;
        }
    }
    free(v);
    return clv_error_set(err, CLV_ENUMERIC, NULL, 0, "value iteration", "no convergence to %g in %d sweeps", tol,
                         max_iter);
}

/* ---- files ---- */

static const char MAGIC[8] = {'C', 'L', 'V', 'Q', 'T', 'A', 'B', '3'};

int clv_qtable_save(const clv_qtable *t, const char *path, clv_error *err)
{
    size_t n = t->n_states * t->n_actions;
    /* no inf or nan in a table that training or compare would go on from */
    for (size_t i = 0; i < n * (1 + CLV_QSTATS); i++) {
        const double v = i < n ? t->q[i] : t->stats[i - n];
        const size_t k = i < n ? i : (i - n) / CLV_QSTATS;
        if (!isfinite(v))
            return clv_error_set(err, CLV_ENUMERIC, path, 0, i < n ? "q" : "target statistics",
                                 "not a finite number (%g) at state %zu, action %zu; the table is not written", v,
                                 k / t->n_actions, k % t->n_actions);
    }
    clv_afile af;
    int st = clv_afile_open(&af, path, err);
    if (st != CLV_OK)
        return st;
    uint64_t sizes[4] = {t->n_states, t->n_actions, t->episodes, t->layout};
    uint32_t crc = clv_crc32(0, sizes, sizeof sizes);
    crc = clv_crc32(crc, t->q, n * sizeof *t->q);
    crc = clv_crc32(crc, t->visits, n * sizeof *t->visits);
    crc = clv_crc32(crc, t->stats, n * CLV_QSTATS * sizeof *t->stats);
    int ok = fwrite(MAGIC, 1, 8, af.fp) == 8 && fwrite(sizes, sizeof sizes, 1, af.fp) == 1 &&
             fwrite(t->q, sizeof *t->q, n, af.fp) == n && fwrite(t->visits, sizeof *t->visits, n, af.fp) == n &&
             fwrite(t->stats, sizeof *t->stats, n * CLV_QSTATS, af.fp) == n * CLV_QSTATS &&
             fwrite(&crc, sizeof crc, 1, af.fp) == 1;
    if (!ok) {
        clv_afile_abort(&af);
        return clv_error_set(err, CLV_EIO, path, 0, NULL, "write failed");
    }
    return clv_afile_commit(&af, err);
}

/* The bytes of a table file: magic, the four sizes, per (s, a) Q, visits and
 * the target statistics, the CRC. */
enum { QTAB_HEAD = 8 + 4 * 8, QTAB_CELL = sizeof(double) + sizeof(uint32_t) + CLV_QSTATS * sizeof(double) };
#define QTAB_MAX_STATES ((uint64_t)1 << 32)

/* What is wrong with the values of cell k (state s, action a) of a loaded
 * table, into why; 0 when nothing is.  Q finite; the sums of the targets
 * finite, the sum of squares >= 0; the weight sum(w^2) in [0, 1] (each
 * update's weight is a step size in (0, 1]); nothing without visits. */
static int bad_cell(const clv_qtable *t, size_t k, char *why, size_t n)
{
    const size_t s = k / t->n_actions, a = k % t->n_actions;
    const double q = t->q[k], *x = t->stats + k * CLV_QSTATS;
    if (!isfinite(q))
        snprintf(why, n, "Q of state %zu, action %zu is %g; expected a finite number", s, a, q);
    else if (!isfinite(x[CLV_QSTAT_SUM]) || !isfinite(x[CLV_QSTAT_SUMSQ]) || !(x[CLV_QSTAT_SUMSQ] >= 0))
        snprintf(why, n, "the targets' sum and sum of squares of state %zu, action %zu are %g and %g; expected finite "
                 "numbers, the sum of squares >= 0", s, a, x[CLV_QSTAT_SUM], x[CLV_QSTAT_SUMSQ]);
    else if (!(x[CLV_QSTAT_WSQ] >= 0 && x[CLV_QSTAT_WSQ] <= 1))
        snprintf(why, n, "the targets' sum of squared weights of state %zu, action %zu is %g; expected a number in "
                 "[0, 1]", s, a, x[CLV_QSTAT_WSQ]);
    else if (t->visits[k] == 0 && (x[CLV_QSTAT_SUM] != 0 || x[CLV_QSTAT_SUMSQ] != 0 || x[CLV_QSTAT_WSQ] != 0))
        snprintf(why, n, "state %zu, action %zu has target statistics (%g, %g, %g) but no visits; expected 0 without "
                 "visits", s, a, x[CLV_QSTAT_SUM], x[CLV_QSTAT_SUMSQ], x[CLV_QSTAT_WSQ]);
    else
        return 0;
    return 1;
}

clv_qtable *clv_qtable_load(const char *path, clv_error *err)
{
    FILE *fp;
    uint64_t len;
    if (clv__binfile_open(path, "Q table", &fp, &len, err) != CLV_OK)
        return NULL;
    char magic[8], why[400] = "";
    uint64_t sizes[4];
    clv_qtable *t = NULL;
    /* the header, checked against the file's length and the limits before
     * anything is allocated */
    if (len < 8 || fread(magic, 1, 8, fp) != 8 || memcmp(magic, MAGIC, 7) != 0)
        snprintf(why, sizeof why, "not a clvsim Q table (no CLVQTAB magic)");
    else if (magic[7] != MAGIC[7])
        snprintf(why, sizeof why, "a Q table of another format version; expected version 3");
    else if (len < QTAB_HEAD + sizeof(uint32_t) || fread(sizes, sizeof sizes, 1, fp) != 1)
        snprintf(why, sizeof why, "truncated: %llu bytes, fewer than the %zu of a header and checksum",
                 (unsigned long long)len, QTAB_HEAD + sizeof(uint32_t));
    else if (sizes[0] == 0 || sizes[0] > QTAB_MAX_STATES || sizes[1] == 0 || sizes[1] > 255)
        snprintf(why, sizeof why, "impossible table sizes: %llu states x %llu actions; expected 1 to %llu states and 1 "
                 "to 255 actions", (unsigned long long)sizes[0], (unsigned long long)sizes[1],
                 (unsigned long long)QTAB_MAX_STATES);
    else {
        /* at most 2^32 x 255 cells of 36 bytes: no overflow */
        const uint64_t need = QTAB_HEAD + sizes[0] * sizes[1] * QTAB_CELL + sizeof(uint32_t);
        if (len != need)
            snprintf(why, sizeof why, "%s: the header gives %llu states x %llu actions, which take %llu bytes; the "
                     "file has %llu", len < need ? "truncated" : "trailing bytes after the table",
                     (unsigned long long)sizes[0], (unsigned long long)sizes[1], (unsigned long long)need,
                     (unsigned long long)len);
        else if (sizes[2] > INT_MAX)
            snprintf(why, sizeof why, "%llu training episodes behind the table; expected at most %d",
                     (unsigned long long)sizes[2], INT_MAX);
    }
    if (!why[0]) {
        t = clv_qtable_alloc((size_t)sizes[0], (size_t)sizes[1], 0, err);
        if (!t) {
            fclose(fp);
            return NULL;
        }
        size_t n = t->n_states * t->n_actions;
        t->episodes = sizes[2];
        t->layout = sizes[3];
        uint32_t crc_file, crc = clv_crc32(0, sizes, sizeof sizes);
        int ok = fread(t->q, sizeof *t->q, n, fp) == n && fread(t->visits, sizeof *t->visits, n, fp) == n &&
                 fread(t->stats, sizeof *t->stats, n * CLV_QSTATS, fp) == n * CLV_QSTATS &&
                 fread(&crc_file, sizeof crc_file, 1, fp) == 1;
        if (!ok) {
            snprintf(why, sizeof why, "read failed: %s", ferror(fp) ? strerror(errno) : "the file shrank while read");
        } else {
            crc = clv_crc32(crc, t->q, n * sizeof *t->q);
            crc = clv_crc32(crc, t->visits, n * sizeof *t->visits);
            crc = clv_crc32(crc, t->stats, n * CLV_QSTATS * sizeof *t->stats);
            if (crc != crc_file)
                snprintf(why, sizeof why, "corrupted (checksum mismatch)");
            /* the values, whose meaning the checksum cannot vouch for
             * (visits, unsigned, cannot be negative) */
            for (size_t k = 0; !why[0] && k < n; k++)
                bad_cell(t, k, why, sizeof why);
        }
    }
    fclose(fp);
    if (why[0]) {
        clv_qtable_free(t);
        clv_error_set(err, CLV_EINPUT, path, 0, NULL, "%s", why);
        return NULL;
    }
    return t;
}

int clv_qtable_write_csv(const clv_qtable *t, const char *const *action_names, FILE *fp, clv_error *err)
{
    clv_numcheck chk = {0}; /* no inf or nan in the file (clvsim/io.h) */
    fprintf(fp, "state,greedy_action,visits");
    for (size_t a = 0; a < t->n_actions; a++) {
        if (action_names)
            fprintf(fp, ",q_%s", action_names[a]);
        else
            fprintf(fp, ",q_%zu", a);
    }
    fputc('\n', fp);
    for (size_t s = 0; s < t->n_states; s++) {
        uint64_t visits = 0;
        for (size_t a = 0; a < t->n_actions; a++)
            visits += t->visits[s * t->n_actions + a];
        int g = clv_agent_greedy(t, s);
        if (action_names)
            fprintf(fp, "%zu,%s,%llu", s, action_names[g], (unsigned long long)visits);
        else
            fprintf(fp, "%zu,%d,%llu", s, g, (unsigned long long)visits);
        for (size_t a = 0; a < t->n_actions; a++) {
            char col[80];
            if (action_names)
                snprintf(col, sizeof col, "q_%.60s", action_names[a]);
            else
                snprintf(col, sizeof col, "q_%zu", a);
            clv_put_num(fp, &chk, col, ",%.17g", t->q[s * t->n_actions + a]);
        }
        fputc('\n', fp);
    }
    if (ferror(fp))
        return clv_error_set(err, CLV_EIO, NULL, 0, NULL, "write failed");
    return clv_numcheck_error(&chk, fp, NULL, err);
}
