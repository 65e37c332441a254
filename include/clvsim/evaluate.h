/* clvsim/evaluate.h - policies compared on the same simulated customers (common random numbers).
 *
 * clv_evaluate runs every policy on every replication of the scenario's
 * evaluation population: replication r is the world of (scenario.seed,
 * clv_world_evaluation(r) = 2000000 + r), so the evaluation worlds are never
 * ones the agents trained in (episodes 0, 1, ...) or the oracle was
 * estimated on (1000000 + e): clvsim/streams.h keeps the namespaces apart
 * and clv_evaluate refuses more replications than its namespace holds.  On
 * request (clv_eval_opts.worlds) it runs on the verification worlds instead,
 * (seed, clv_world_verification(r) = 7000000 + r), which the study uses to
 * check a learned or planned policy against none before it deploys it
 * (study.h) and no other use simulates.  Because each customer has its own random stream (sim.h),
 * every policy meets the same customers and the same luck in a replication
 * until the policies treat them differently; differences between policies
 * are therefore paired by replication, which is what clv_eval_paired uses.
 *
 * Per policy and replication it keeps the totals of the metrics below, the
 * per-day series of the environment (clv_sim_day) and ground truth that
 * only a simulator has: per segment (treatment-effect strata, clv_segment of sim.h) the customers, their net
 * margin, the coupon spend on them, their repeat purchases and how many of
 * them died during the horizon.
 *
 * The runs (replication, policy) share one world (clv_world_alloc) and go
 * in parallel to up to opts.threads workers, each with its own state in
 * that world: a worker takes the first run in (replication, policy) order
 * whose policy no other worker is using, so each policy is called by one
 * thread at a time (different policies may run at once on different
 * threads: entries that share a ctx must allow that).  Threads left over
 * when there are fewer policies than threads step each state.  Every run
 * writes only its own slots, so the results are the same bit for bit for
 * any thread count, provided a policy's actions do not depend on the runs
 * it served before.  The library never prints.
 */
#ifndef CLVSIM_EVALUATE_H
#define CLVSIM_EVALUATE_H

#include <stddef.h>

#include "clvsim/error.h"
#include "clvsim/progress.h"
#include "clvsim/scenario.h"
#include "clvsim/sim.h"
#include "clvsim/streams.h"

#ifdef __cplusplus
extern "C" {
#endif

/* the first evaluation world: CLV_WORLD_EVALUATION of clvsim/streams.h */
enum { CLV_EVAL_REPLICATION_BASE = CLV_WORLD_EVALUATION };

/* The metrics of one policy in one replication, over the horizon. */
typedef enum clv_metric {
    CLV_M_NET_MARGIN = 0,   /* revenue - cost of goods - coupon spend, currency */
    CLV_M_REVENUE,          /* at the charged prices, before coupon discounts, currency */
    CLV_M_COUPON_SPEND,     /* discounts, redemption and contact costs, currency */
    CLV_M_PURCHASES,        /* transactions, new customers' first purchases included */
    CLV_M_COUPONS_SENT,
    CLV_M_COUPONS_REFUSED,  /* not sent because of a budget */
    CLV_M_REDEMPTIONS,
    CLV_M_CUSTOMERS,        /* existing and acquired by the end */
    CLV_M_ACTIVE_END,       /* in the observable stages new, active or loyal at the end */
    CLV_M_ALIVE_END,        /* alive at the end (ground truth) */
    CLV_M_CHURNED,          /* alive at the start or acquired, dead at the end (ground truth) */
    CLV_M_CLV,              /* realised CLV: net margin per customer, currency */
    CLV_M_REMAINING,        /* predicted remaining value per customer at the end (clv_btyd_value_of), currency */
    CLV_M_N
} clv_metric;

/* The CSV name of a metric ("net_margin", ...); NULL out of range. */
const char *clv_metric_name(int metric);

/* Ground truth per segment (clv_segment of sim.h: principal strata of the reference contact). */
typedef struct clv_eval_segment {
    double customers;
    double net_margin;      /* their margin in the horizon (new customers' first purchases excluded) */
    double coupon_spend;
    double purchases;       /* repeat purchases in the horizon */
    double churned;         /* died during the horizon */
} clv_eval_segment;

enum { CLV_SEGMENTS = 4 };

enum { CLV_DECILES = 10 };

/* Calibration of the LTV estimate: the existing customers sorted by their
 * estimate at the start (clv_btyd_value_of over the calendar's horizon),
 * cut into deciles of equal size (the lowest first); per decile the mean
 * estimate and the mean net margin they realised over the horizon. */
typedef struct clv_eval_calibration {
    double predicted[CLV_DECILES], realised[CLV_DECILES];
} clv_eval_calibration;

typedef struct clv_evaluation {
    size_t n_policies, replications, n_days;
    double *totals;               /* [(p * replications + r) * CLV_M_N + metric] */
    clv_eval_segment *segments;   /* [(p * replications + r) * CLV_SEGMENTS + segment] */
    clv_sim_day *days;            /* [(p * replications + r) * n_days + day] */
    clv_eval_calibration *calibration; /* [p * replications + r] */
    /* what each policy did: customer-epochs by executed action
     * (clv_sim_action_counts: coupon level c x price level p at c *
     * n_prices + p) */
    size_t n_actions;
    double *actions;              /* [(p * replications + r) * n_actions + action] */
    /* NULL unless opts.hindsight: per replication, the per-customer
     * hindsight bound (below, "yardsticks") */
    double *hindsight;
} clv_evaluation;

/* The worlds a clv_evaluate runs on (clv_eval_opts.worlds). */
typedef enum clv_eval_worlds {
    CLV_EVAL_ON_EVALUATION = 0,   /* evaluation.replications worlds clv_world_evaluation(r) */
    CLV_EVAL_ON_VERIFICATION = 1  /* clv_eval_verification_replications worlds clv_world_verification(r) */
} clv_eval_worlds;

typedef struct clv_eval_opts {
    int threads;                  /* workers (0: all processors) */
    const clv_progress *progress; /* phase "evaluating" ("verifying" on the verification worlds), done = runs
                                   * finished of policies x replications
                                   * (reported by the worker that finished one, one report at a time);
                                   * its cancelled is polled in every run's reset and between its epochs,
                                   * from the workers' threads */
    int worlds;                   /* clv_eval_worlds; 0: the evaluation worlds */
    int hindsight;                /* 1: also compute the per-customer hindsight bound (out->hindsight; one
                                   * double per replication and possible customer while it runs) */
} clv_eval_opts;

/* The verification worlds of scn: evaluation.verification.replications, or
 * evaluation.replications when it is -1 (0: no verification). */
size_t clv_eval_verification_replications(const clv_scenario *scn);

/* Run policies[0..n) (an entry with a NULL act: no campaign) on
 * evaluation.replications replications of scn (population.customers x
 * run.scale customers, the calendar's horizon) into *out; with opts->worlds
 * CLV_EVAL_ON_VERIFICATION on the verification worlds instead, which no
 * other use of clvsim simulates (clvsim/streams.h).  opts may be NULL.
 * Returns CLV_OK, an error of the environment or a policy (that of the
 * first failing run in (replication, policy) order, as a serial run would
 * report it), CLV_ENOMEM, or CLV_ECANCELLED when the progress callback asks
 * to stop.  Free with clv_evaluation_free. */
int clv_evaluate(const clv_scenario *scn, const clv_policy *policies, size_t n, const clv_eval_opts *opts,
                 clv_evaluation *out, clv_error *err);
void clv_evaluation_free(clv_evaluation *e);

/* The value of a metric for policy p in replication r. */
double clv_eval_value(const clv_evaluation *e, size_t p, size_t r, int metric);

/* A mean over replications with its two-sided Student-t confidence interval. */
typedef struct clv_interval {
    double mean, sd, lo, hi;
    size_t n;
} clv_interval;

/* The interval of x[0], x[stride], ... (n values) at confidence level
 * `confidence` (e.g. 0.95); with fewer than 2 values lo = hi = mean. */
void clv_interval_of(const double *x, size_t n, size_t stride, double confidence, clv_interval *out);

/* A metric's mean over replications for policy p, with its interval. */
void clv_eval_interval(const clv_evaluation *e, size_t p, int metric, double confidence, clv_interval *out);

/* The paired difference metric(p) - metric(q), replication by replication,
 * with its interval.  Nothing is allocated up to 4096 replications; beyond,
 * a buffer that cannot be allocated gives out->n = 0 and a NaN interval
 * (the same for clv_eval_roi). */
void clv_eval_paired(const clv_evaluation *e, size_t p, size_t q, int metric, double confidence,
                     clv_interval *out);

/* Campaign ROI of policy p against the no-campaign policy q, per replication
 * (net margin(p) - net margin(q)) / coupon spend(p), with its interval;
 * replications in which p spent nothing are left out (out->n says how many
 * count; 0: p never spent). */
void clv_eval_roi(const clv_evaluation *e, size_t p, size_t q, double confidence, clv_interval *out);

/* ---- yardsticks: where a policy sits between no campaign and the best achievable ----
 *
 * A policy's place is share = (its net margin - none's) / (bound's - none's),
 * differences paired by replication: 0 is doing nothing, 1 the bound.  Its
 * interval is the delta method's for the ratio of the two paired means
 * (Student t with replications - 1 degrees of freedom): with N_r and D_r the
 * differences of replication r, var(share) ~ (s_N^2 - 2 share s_ND + share^2
 * s_D^2) / (n mean(D)^2).  The bound of clvsim run is the clairvoyant policy
 * (policy.h).
 *
 * The per-customer hindsight bound of replication r is, over the customers
 * of that world, the sum of the most net margin that any evaluated policy
 * drew from each customer (clv_sim_run_margins), plus what no customer's
 * margin holds (new customers' first purchases, the same under every
 * policy).  Because every policy meets each customer with the same luck
 * until it treats it differently, it is at least every evaluated policy's
 * net margin in every replication, by construction.  It is loose: no
 * policy can pick, for each customer, the policy that turned out best for
 * it after the fact, and it ignores that a budget's coupons serve one
 * customer only. */
typedef struct clv_eval_bound {
    clv_interval value;           /* net margin */
    clv_interval diff;            /* net margin - none's, paired by replication */
    double share, share_lo, share_hi; /* diff / (bound - none); NaN without a bound, or when the bound's
                                   * paired difference with none is not above 0 */
} clv_eval_bound;

/* Policy p's place between policy none (0) and policy bound (1; -1: none
 * listed, share NaN) at confidence `confidence`.  p = CLV_EVAL_HINDSIGHT:
 * the hindsight bound's (needs out->hindsight). */
enum { CLV_EVAL_HINDSIGHT = -1 };
void clv_eval_bound_of(const clv_evaluation *e, long p, size_t none, long bound, double confidence,
                       clv_eval_bound *out);

#ifdef __cplusplus
}
#endif
#endif
