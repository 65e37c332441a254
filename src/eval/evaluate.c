/* evaluate.c - every policy on the same evaluation worlds, with paired statistics. */
#include "clvsim/evaluate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort_double.h>
#include <gsl/gsl_statistics_double.h>

#include "clvsim/btyd.h"
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
    free(e->totals), free(e->segments), free(e->days), free(e->calibration);
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

int clv_evaluate(const clv_scenario *scn, const clv_policy *policies, size_t n, const clv_eval_opts *opts,
                 clv_evaluation *out, clv_error *err)
{
    memset(out, 0, sizeof *out);
    clv_sim_opts so;
    clv_sim_opts_default(&so);
    so.threads = opts ? opts->threads : 0;
    const clv_progress *progress = opts ? opts->progress : NULL;
    /* the simulator asks for a stop in its resets and between its epochs, without reports */
    const clv_progress poll = {NULL, progress ? progress->ctx : NULL, progress ? progress->cancelled : NULL};
    so.progress = &poll;
    clv_sim *s = NULL;
    int st = clv_stream_space_check(CLV_SPACE_EVALUATION, (uint64_t)scn->evaluation.replications,
                                    "evaluation.replications", err);
    if (st != CLV_OK || (st = clv_sim_alloc(scn, &so, &s, err)) != CLV_OK)
        return st;
    const size_t R = (size_t)scn->evaluation.replications, cap = clv_sim_capacity(s);
    out->n_policies = n;
    out->replications = R;
    out->n_days = (size_t)scn->calendar.horizon_days;
    out->totals = calloc(n * R * CLV_M_N, sizeof *out->totals);
    out->segments = calloc(n * R * CLV_SEGMENTS, sizeof *out->segments);
    out->days = calloc(n * R * out->n_days, sizeof *out->days);
    out->calibration = calloc(n * R, sizeof *out->calibration);
    run_buffers b = {malloc(cap * sizeof *b.obs), malloc(cap * sizeof *b.cm), malloc(cap),
                     malloc(cap * sizeof *b.pred), malloc(cap * sizeof *b.rank)};
    if (!out->totals || !out->segments || !out->days || !out->calibration || !b.obs || !b.cm || !b.alive0 ||
        !b.pred || !b.rank)
        st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory for the evaluation");
    clv_btyd_value value, over_horizon;
    clv_btyd_value_init(&value, scn);
    over_horizon = value;
    over_horizon.horizon = scn->calendar.horizon_days / value.unit_days;
    for (size_t r = 0; r < R && st == CLV_OK; r++)
        for (size_t p = 0; p < n && st == CLV_OK; p++) {
            st = run_one(s, scn, &policies[p], clv_world_evaluation(r), &b, &value, &over_horizon, &poll, out,
                         p * R + r, err);
            if (st == CLV_OK && clv_progress_report(progress, "evaluating", (double)(r * n + p + 1),
                                                    (double)(R * n)) != CLV_OK)
                st = clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "evaluation cancelled");
        }
    free(b.obs), free(b.cm), free(b.alive0), free(b.pred), free(b.rank);
    clv_sim_free(s);
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
