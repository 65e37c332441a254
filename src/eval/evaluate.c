/* evaluate.c - every policy on the same evaluation worlds, with paired statistics. */
#include "clvsim/evaluate.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort_double.h>
#include <gsl/gsl_statistics_double.h>

#include "clvsim/btyd.h"
#include "clvsim/parallel.h"
#include "clvsim/streams.h"

const char *clv_metric_name(int metric)
{
    static const char *const names[CLV_M_N] = {
        "net_margin", "revenue", "coupon_spend", "purchases", "coupons_sent", "coupons_refused", "redemptions",
        "customers", "active_end", "alive_end", "churned", "clv_per_customer",
        "remaining_value_per_customer"};
    return metric >= 0 && metric < CLV_M_N ? names[metric] : NULL;
}

void clv_evaluation_free(clv_evaluation *e)
{
    if (!e)
        return;
    free(e->totals), free(e->segments), free(e->days), free(e->calibration), free(e->hindsight);
    free(e->actions);
    memset(e, 0, sizeof *e);
}

double clv_eval_value(const clv_evaluation *e, size_t p, size_t r, int metric)
{
    return e->totals[(p * e->replications + r) * CLV_M_N + (size_t)metric];
}

/* the buffers of one run, sized to the environment's capacity once */
typedef struct {
    clv_sim_obs *obs;
    double *cm;             /* the horizon's margin per customer */
    uint8_t *alive0;        /* alive at the start, or acquired later */
    double *pred;           /* the existing customers' LTV estimates over the horizon at the start */
    size_t *rank;           /* their order by it */
} run_buffers;

/* the deciles of the existing customers by their estimate at the start */
static void calibrate(const run_buffers *b, size_t n0, clv_eval_calibration *c)
{
    memset(c, 0, sizeof *c);
    if (n0 < CLV_DECILES)
        return;
    gsl_sort_index(b->rank, b->pred, 1, n0);
    for (int d = 0; d < CLV_DECILES; d++) {
        const size_t lo = n0 * (size_t)d / CLV_DECILES, hi = n0 * (size_t)(d + 1) / CLV_DECILES;
        for (size_t k = lo; k < hi; k++) {
            c->predicted[d] += b->pred[b->rank[k]];
            c->realised[d] += b->cm[b->rank[k]];
        }
        c->predicted[d] /= (double)(hi - lo);
        c->realised[d] /= (double)(hi - lo);
    }
}

/* one policy on one world: the totals, segments and days of slot k */
static int run_one(clv_sim *s, const clv_scenario *scn, const clv_policy *pol, uint64_t rep, run_buffers *b,
                   const clv_btyd_value *value, const clv_btyd_value *over_horizon, const clv_progress *poll,
                   clv_evaluation *out, size_t k, clv_error *err)
{
    int st = clv_sim_reset(s, (uint64_t)scn->scenario.seed, rep, err);
    if (st != CLV_OK)
        return st;
    const size_t n0 = clv_sim_customers(s), cap = clv_sim_capacity(s);
    memset(b->cm, 0, cap * sizeof *b->cm);
    for (size_t i = 0; i < cap; i++)
        b->alive0[i] = i < n0 ? (uint8_t)clv_sim_alive(s, i) : 1;
    double alive_start = 0;
    for (size_t i = 0; i < n0; i++)
        alive_start += b->alive0[i];
    if ((st = clv_sim_observe(s, 0, n0, b->obs, err)) != CLV_OK)
        return st;
    for (size_t i = 0; i < n0; i++)
        b->pred[i] = clv_btyd_value_of(over_horizon, &b->obs[i]);
    if ((st = clv_sim_run_margins(s, pol, poll, b->cm, err)) != CLV_OK)
        return st;
    size_t nd;
    const clv_sim_day *days = clv_sim_days(s, &nd);
    if (nd != out->n_days)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "the environment simulated %zu days, expected %zu", nd,
                             out->n_days);
    memcpy(out->days + k * out->n_days, days, nd * sizeof *days);
    size_t na;
    const double *ac = clv_sim_action_counts(s, &na);
    if (na != out->n_actions)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "the environment has %zu actions, expected %zu", na,
                             out->n_actions);
    memcpy(out->actions + k * na, ac, na * sizeof *ac);
    double *t = out->totals + k * CLV_M_N;
    memset(t, 0, CLV_M_N * sizeof *t);
    for (size_t d = 0; d < nd; d++) {
        t[CLV_M_NET_MARGIN] += days[d].net_margin;
        t[CLV_M_REVENUE] += days[d].revenue;
        t[CLV_M_COUPON_SPEND] += days[d].coupon_cost;
        t[CLV_M_PURCHASES] += days[d].purchases;
        t[CLV_M_COUPONS_SENT] += days[d].coupons_sent;
        t[CLV_M_COUPONS_REFUSED] += days[d].coupons_refused;
        t[CLV_M_REDEMPTIONS] += days[d].redemptions;
    }
    const clv_sim_day *last = &days[nd - 1];
    const size_t n = clv_sim_customers(s);
    t[CLV_M_CUSTOMERS] = (double)n;
    t[CLV_M_ACTIVE_END] = last->stage[CLV_STAGE_NEW] + last->stage[CLV_STAGE_ACTIVE] + last->stage[CLV_STAGE_LOYAL];
    t[CLV_M_ALIVE_END] = last->alive;
    t[CLV_M_CHURNED] = alive_start + (double)(n - n0) - last->alive;
    t[CLV_M_CLV] = t[CLV_M_NET_MARGIN] / (double)n;
    if ((st = clv_sim_observe(s, 0, n, b->obs, err)) != CLV_OK)
        return st;
    double rem = 0;
    for (size_t i = 0; i < n; i++)
        rem += clv_btyd_value_of(value, &b->obs[i]);
    t[CLV_M_REMAINING] = rem / (double)n;
    clv_eval_segment *g = out->segments + k * CLV_SEGMENTS;
    memset(g, 0, CLV_SEGMENTS * sizeof *g);
    for (size_t i = 0; i < n; i++) {
        clv_eval_segment *x = &g[clv_sim_segment(s, i)];
        x->customers += 1;
        x->net_margin += b->cm[i];
        x->coupon_spend += clv_sim_coupon_spend(s, i);
        x->purchases += clv_sim_repeat_purchases(s, i);
        x->churned += b->alive0[i] && !clv_sim_alive(s, i);
    }
    calibrate(b, n0, &out->calibration[k]);
    return CLV_OK;
}

/* one evaluation worker: its state in the shared world and its buffers */
typedef struct {
    clv_sim *s;
    run_buffers b;
} eval_worker;

/* the runs of clv_evaluate: unit u is replication u / n of policy u % n */
typedef struct {
    const clv_scenario *scn;
    const clv_policy *policies;
    size_t n, R;
    eval_worker *w;
    const clv_btyd_value *value, *over_horizon;
    const clv_progress *progress, *poll;
    const char *phase;          /* of the progress reports */
    uint64_t first;             /* the world of replication 0 */
    clv_evaluation *out;
    size_t cap;                 /* customers a world can hold */
    pthread_mutex_t mu;         /* guards the rest */
    /* the hindsight bound (opts.hindsight), or NULL: per replication and
     * customer the most margin any run drew from it (NaN propagates), and
     * per replication the most margin that no customer's holds */
    double *best, *rest;
    size_t done;                /* runs finished, for the progress reports */
    size_t failed;              /* the smallest failing unit so far (n x R: none) */
    clv_error err;              /* its error */
} eval_job;

static int eval_unit(size_t unit, int worker, void *ctx)
{
    eval_job *j = ctx;
    eval_worker *w = &j->w[worker];
    const size_t r = unit / j->n, p = unit % j->n;
    clv_error err;
    memset(&err, 0, sizeof err); /* (a policy may fail without a message) */
    int st = run_one(w->s, j->scn, &j->policies[p], j->first + r, &w->b, j->value,
                     j->over_horizon, j->poll, j->out, p * j->R + r, &err);
    pthread_mutex_lock(&j->mu);
    if (st == CLV_OK && j->best) {
        /* a maximum is the same in any order of the runs: no dependence on the threads */
        const size_t n = clv_sim_customers(w->s);
        double *b = j->best + r * j->cap, held = 0;
        for (size_t i = 0; i < n; i++) {
            const double v = w->b.cm[i];
            b[i] = isnan(v) || isnan(b[i]) ? NAN : v > b[i] ? v : b[i];
            held += v;
        }
        const double rest = clv_eval_value(j->out, p, r, CLV_M_NET_MARGIN) - held;
        j->rest[r] = isnan(rest) || isnan(j->rest[r]) ? NAN : rest > j->rest[r] ? rest : j->rest[r];
    }
    if (st == CLV_OK) {
        j->done++;
        if (clv_progress_report(j->progress, j->phase, (double)j->done, (double)(j->R * j->n)) != CLV_OK)
            st = clv_error_set(&err, CLV_ECANCELLED, NULL, 0, NULL, "%s cancelled",
                               j->first == clv_world_evaluation(0) ? "evaluation" : "verification");
    }
    if (st != CLV_OK && unit < j->failed) {
        j->failed = unit;
        j->err = err;
    }
    pthread_mutex_unlock(&j->mu);
    return st;
}

size_t clv_eval_verification_replications(const clv_scenario *scn)
{
    const int v = scn->evaluation.verification_replications;
    return (size_t)(v < 0 ? scn->evaluation.replications : v);
}

int clv_evaluate(const clv_scenario *scn, const clv_policy *policies, size_t n, const clv_eval_opts *opts,
                 clv_evaluation *out, clv_error *err)
{
    memset(out, 0, sizeof *out);
    const int verify = opts && opts->worlds == CLV_EVAL_ON_VERIFICATION;
    if (opts && opts->worlds != CLV_EVAL_ON_EVALUATION && !verify)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "worlds", "expected CLV_EVAL_ON_EVALUATION or "
                             "CLV_EVAL_ON_VERIFICATION, got %d", opts->worlds);
    clv_sim_opts so;
    clv_sim_opts_default(&so);
    const int threads = clv_threads_resolve(opts ? opts->threads : 0);
    const clv_progress *progress = opts ? opts->progress : NULL;
    /* the simulator asks for a stop in its resets and between its epochs, without reports */
    const clv_progress poll = {NULL, progress ? progress->ctx : NULL, progress ? progress->cancelled : NULL};
    so.progress = &poll;
    clv_world *world = NULL;
    const size_t R = verify ? clv_eval_verification_replications(scn) : (size_t)scn->evaluation.replications;
    int st = verify ? clv_stream_space_check(CLV_SPACE_VERIFICATION, R, "evaluation.verification.replications", err)
                    : clv_stream_space_check(CLV_SPACE_EVALUATION, R, "evaluation.replications", err);
    if (st != CLV_OK || (st = clv_world_alloc(scn, &so, &world, err)) != CLV_OK)
        return st;
    const size_t cap = clv_world_capacity(world), runs = n * R;
    /* the runs go to `workers` threads, at most one per policy (a policy is
     * used by one thread at a time); the threads left over step each state */
    size_t workers = (size_t)threads < n ? (size_t)threads : n;
    workers = workers < runs ? workers : runs;
    workers = workers ? workers : 1;
    so.threads = threads / (int)workers > 1 ? threads / (int)workers : 1;
    out->n_policies = n;
    out->replications = R;
    out->n_days = (size_t)scn->calendar.horizon_days;
    out->totals = calloc(runs * CLV_M_N, sizeof *out->totals);
    out->segments = calloc(runs * CLV_SEGMENTS, sizeof *out->segments);
    out->days = calloc(runs * out->n_days, sizeof *out->days);
    out->calibration = calloc(runs, sizeof *out->calibration);
    out->n_actions = (size_t)(scn->interventions.n_coupons + 1) * (size_t)scn->interventions.n_prices;
    out->actions = calloc(runs * out->n_actions, sizeof *out->actions);
    eval_worker *w = calloc(workers, sizeof *w);
    if (!out->totals || !out->segments || !out->days || !out->calibration || !out->actions || !w)
        st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory for the evaluation");
    for (size_t k = 0; st == CLV_OK && k < workers; k++) {
        run_buffers *b = &w[k].b;
        if ((st = clv_sim_alloc_in(world, &so, &w[k].s, err)) != CLV_OK)
            break;
        *b = (run_buffers){malloc(cap * sizeof *b->obs), malloc(cap * sizeof *b->cm), malloc(cap),
                           malloc(cap * sizeof *b->pred), malloc(cap * sizeof *b->rank)};
        if (!b->obs || !b->cm || !b->alive0 || !b->pred || !b->rank)
            st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory for the evaluation");
    }
    clv_btyd_value value, over_horizon;
    clv_btyd_value_init(&value, scn);
    over_horizon = value;
    over_horizon.horizon = scn->calendar.horizon_days / value.unit_days;
    eval_job j;
    memset(&j, 0, sizeof j);
    j.scn = scn, j.policies = policies, j.n = n, j.R = R, j.w = w;
    j.value = &value, j.over_horizon = &over_horizon, j.progress = progress, j.poll = &poll, j.out = out;
    j.phase = verify ? "verifying" : "evaluating";
    j.first = verify ? clv_world_verification(0) : clv_world_evaluation(0);
    j.failed = runs;
    j.cap = cap;
    if (st == CLV_OK && opts && opts->hindsight) {
        j.best = malloc(R * cap * sizeof *j.best);
        j.rest = malloc(R * sizeof *j.rest);
        out->hindsight = malloc(R * sizeof *out->hindsight);
        if (!j.best || !j.rest || !out->hindsight)
            st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory for the hindsight bound");
        for (size_t k = 0; st == CLV_OK && k < R * cap; k++)
            j.best[k] = -INFINITY;
        for (size_t k = 0; st == CLV_OK && k < R; k++)
            j.rest[k] = -INFINITY;
    }
    if (st == CLV_OK && pthread_mutex_init(&j.mu, NULL) != 0)
        st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory for the evaluation");
    if (st == CLV_OK) {
        /* every run is independent and writes its own slots: the results
         * do not depend on the threads or on the order of the runs */
        st = clv_parallel_for_keyed((int)workers, runs, n ? n : 1, eval_unit, &j);
        if (st != CLV_OK && err)
            *err = j.failed < runs ? j.err : *err;
        if (st != CLV_OK && j.failed == runs)
            st = clv_error_set(err, st, NULL, 0, NULL, "out of memory for the evaluation");
        pthread_mutex_destroy(&j.mu);
    }
    /* in customer order: the same sum whatever the threads */
    for (size_t r = 0; st == CLV_OK && j.best && r < R; r++) {
        double h = j.rest[r];
        for (size_t i = 0; i < cap; i++)
            if (j.best[r * cap + i] != -INFINITY) /* a customer some run had */
                h += j.best[r * cap + i];
        out->hindsight[r] = h;
    }
    free(j.best), free(j.rest);
    for (size_t k = 0; w && k < workers; k++) {
        clv_sim_free(w[k].s);
        free(w[k].b.obs), free(w[k].b.cm), free(w[k].b.alive0), free(w[k].b.pred), free(w[k].b.rank);
    }
    free(w);
    clv_world_free(world);
    if (st != CLV_OK)
        clv_evaluation_free(out);
    return st;
}

void clv_interval_of(const double *x, size_t n, size_t stride, double confidence, clv_interval *out)
{
    memset(out, 0, sizeof *out);
    out->n = n;
    if (n == 0) {
        out->mean = out->lo = out->hi = out->sd = NAN;
        return;
    }
    out->mean = gsl_stats_mean(x, stride, n);
    out->lo = out->hi = out->mean;
    if (n < 2)
        return;
    out->sd = gsl_stats_sd_m(x, stride, n, out->mean);
    const double h = gsl_cdf_tdist_Pinv(0.5 + confidence / 2, (double)(n - 1)) * out->sd / sqrt((double)n);
    out->lo = out->mean - h;
    out->hi = out->mean + h;
}

void clv_eval_interval(const clv_evaluation *e, size_t p, int metric, double confidence, clv_interval *out)
{
    clv_interval_of(e->totals + p * e->replications * CLV_M_N + (size_t)metric, e->replications, CLV_M_N, confidence,
                    out);
}

/* per replication f(p, q, r) into a buffer, then its interval; NaN values
 * are left out.  The buffer is on the stack up to 4096 replications (no
 * allocation that could fail and leave a NaN interval); beyond, on the heap */
static void paired(const clv_evaluation *e, size_t p, size_t q, double confidence, clv_interval *out,
                   double (*f)(const clv_evaluation *, size_t, size_t, size_t, int), int metric)
{
    enum { ON_STACK = 4096 };
    double stack[ON_STACK];
    stack[0] = NAN; /* (read only when filled; this quiets -Wmaybe-uninitialized) */
    double *x = e->replications <= ON_STACK ? stack : malloc(e->replications * sizeof *x);
    if (!x) {
        clv_interval_of(NULL, 0, 1, confidence, out);
        return;
    }
    size_t m = 0;
    for (size_t r = 0; r < e->replications; r++) {
        double v = f(e, p, q, r, metric);
        if (!isnan(v))
            x[m++] = v;
    }
    clv_interval_of(x, m, 1, confidence, out);
    if (x != stack)
        free(x);
}

static double difference(const clv_evaluation *e, size_t p, size_t q, size_t r, int metric)
{
    return clv_eval_value(e, p, r, metric) - clv_eval_value(e, q, r, metric);
}

static double roi(const clv_evaluation *e, size_t p, size_t q, size_t r, int metric)
{
    (void)metric;
    const double spend = clv_eval_value(e, p, r, CLV_M_COUPON_SPEND);
    return spend > 0 ? difference(e, p, q, r, CLV_M_NET_MARGIN) / spend : NAN;
}

void clv_eval_paired(const clv_evaluation *e, size_t p, size_t q, int metric, double confidence, clv_interval *out)
{
    paired(e, p, q, confidence, out, difference, metric);
}

void clv_eval_roi(const clv_evaluation *e, size_t p, size_t q, double confidence, clv_interval *out)
{
    paired(e, p, q, confidence, out, roi, 0);
}

/* ---- yardsticks ---- */

static double value_of(const clv_evaluation *e, long p, size_t r)
{
    return p == CLV_EVAL_HINDSIGHT ? (e->hindsight ? e->hindsight[r] : NAN)
                                   : clv_eval_value(e, (size_t)p, r, CLV_M_NET_MARGIN);
}

void clv_eval_bound_of(const clv_evaluation *e, long p, size_t none, long bound, double confidence,
                       clv_eval_bound *out)
{
    const size_t R = e->replications;
    enum { ON_STACK = 4096 };
    double sv[ON_STACK], sd[ON_STACK];
    sv[0] = sd[0] = NAN; /* (read only when filled; this quiets -Wmaybe-uninitialized) */
    double *x = R <= ON_STACK ? sv : malloc(R * sizeof *x), *d = R <= ON_STACK ? sd : malloc(R * sizeof *d);
    out->share = out->share_lo = out->share_hi = NAN;
    if (!x || !d) {
        if (x != sv)
            free(x);
        if (d != sd)
            free(d);
        clv_interval_of(NULL, 0, 1, confidence, &out->value);
        out->diff = out->value;
        return;
    }
    for (size_t r = 0; r < R; r++) {
        x[r] = value_of(e, p, r);
        d[r] = x[r] - clv_eval_value(e, none, r, CLV_M_NET_MARGIN);
    }
    clv_interval_of(x, R, 1, confidence, &out->value);
    clv_interval_of(d, R, 1, confidence, &out->diff);
    if (bound >= 0) {
        /* the bound's paired differences into x */
        for (size_t r = 0; r < R; r++)
            x[r] = clv_eval_value(e, (size_t)bound, r, CLV_M_NET_MARGIN) - clv_eval_value(e, none, r, CLV_M_NET_MARGIN);
        const double mn = gsl_stats_mean(d, 1, R), md = gsl_stats_mean(x, 1, R);
        if (isnan(mn) || isnan(md)) {
            out->share = out->share_lo = out->share_hi = NAN;
        } else if (md > 0) {
            const double q = mn / md;
            out->share = out->share_lo = out->share_hi = q;
            if (R >= 2) {
                const double vn = gsl_stats_variance_m(d, 1, R, mn), vd = gsl_stats_variance_m(x, 1, R, md);
                const double c = gsl_stats_covariance_m(d, 1, x, 1, R, mn, md);
                double v = (vn - 2 * q * c + q * q * vd) / ((double)R * md * md);
                v = v > 0 ? v : 0; /* rounding of a policy that is the bound */
                const double h = gsl_cdf_tdist_Pinv(0.5 + confidence / 2, (double)(R - 1)) * sqrt(v);
                out->share_lo = q - h, out->share_hi = q + h;
            }
        }
    }
    if (x != sv)
        free(x);
    if (d != sd)
        free(d);
}
