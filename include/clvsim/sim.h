/* clvsim/sim.h - the stochastic e-commerce environment: customer lifecycles over a calendar.
 *
 * The simulator is split as MuJoCo splits mjModel and mjData.  A world
 * (clv_world_alloc) is built once from a scenario and holds everything that
 * does not change during a replication: the population's heterogeneity
 * distributions, the calendar with its seasonal multipliers, the
 * acquisition rates and the capacity, the interventions, the response model
 * and the budgets.  It is read-only after its creation, so any number of
 * threads may share it without locking.  A state (clv_sim_alloc_in) is one
 * replication in a world: every customer's traits, history and clocks, the
 * day's totals and the scratch of its steps, all sized from the world when
 * the state is made.  clv_sim_alloc is the convenience of a state that owns
 * a private world.  clv_sim_reset draws a replication for (seed,
 * replication): the existing customers' latent traits and their histories
 * over the burn-in, and puts the clock at the calendar's start.  (The
 * replication numbers of clvsim/streams.h, clv_world_training(e) and the
 * like, name such draws; a clv_world object is the fixed part that all of
 * them share.)
 * clv_sim_step then advances one decision epoch with an action for every
 * customer, and clv_sim_observe shows what a policy may see.
 *
 * The processes (per day; population.unit converts the scenario's rates):
 * - purchases: a Poisson process with rate lambda times the day's seasonal
 *   multiplier (day of week times the windows), lambda ~ Gamma(r, alpha);
 * - dropout: BG/NBD, after each purchase with probability p ~ Beta(a, b);
 *   Pareto/NBD, at an exponential lifetime with rate mu ~ Gamma(s, beta),
 *   in calendar time;
 * - spend per transaction ~ Gamma(p, nu), nu ~ Gamma(q, gamma) (Gamma-Gamma);
 * - new customers arrive as a Poisson process with the acquisition rate
 *   times the windows' acquisition multipliers, each with a first purchase.
 * With seasonality off, a customer's repeat purchases follow the fitted
 * model exactly; with it on, they follow it in "season time", the integral
 * of the multipliers (for BG/NBD exactly; Pareto/NBD dropout stays in
 * calendar time).
 *
 * Simulation is by events, not days: every customer keeps the residue of a
 * unit-rate exponential clock, which the integrated intensity of each epoch
 * consumes; a draw is made only when an event happens.  Each customer has
 * its own random stream, keyed by (seed, CLV_STREAM_BEHAVIOUR, replication,
 * customer), so the same customer meets the same luck under every policy
 * until the policies treat it differently (common random numbers), and
 * results are bit-identical for any thread count and any number of states
 * sharing the world.
 *
 * Interventions (scenarios/README.md, "The response model").  An action
 * sends a coupon level and sets a price level for the epoch.  A coupon is
 * a contact plus, for a holder who will use it (drawn when it arrives,
 * with response.redeem_probability), a temporary price cut of its
 * discount.  The contact's effect is fitted to a randomised experiment
 * (response.contact): from the customer's observable state when the coupon
 * arrives (recency, past-year spend, age) its arm's factors give a rate
 * ratio RR, the factor by which the contact multiplies the probability of
 * buying within the experiment's window w, and while the coupon is valid
 * the customer's intensity is multiplied by kappa = clv_sim_kappa(RR,
 * lambda w) for its own rate lambda.  Price levels and coupons go through
 * one price response: price level P (times 1 - discount for a holder who
 * will use its coupon) multiplies intensity by P^elasticity, the elasticity
 * drawn per customer.  A holder who will use its coupon redeems it on its
 * first purchase while it is valid (the discount capped at the coupon's
 * max_value).  Optional dynamics (each off by default): carry-over, a share
 * of the lift kappa - 1 that stays after the coupon ends and decays with a
 * half-life; deal expectation, raised by every coupon received, which
 * divides full-price intensity by (1 + penalty x expectation); fatigue,
 * which divides the lift by (1 + fatigue).  They decay with their
 * half-lives and are updated at each epoch start.  Changes of intensity
 * re-time the residual clocks exactly.
 * Budgets: each coupon sent reserves the most it can cost (contact cost +
 * redemption cost + max_value), within the epoch's budget and, with what has
 * been spent and what live coupons reserve, the total budget; coupons past
 * a budget are not sent (counted in coupons_refused), so budgets are never
 * exceeded.  Actions are applied in customer order (or the order given to
 * clv_sim_step_ordered); clv_sim_sent tells which coupons were sent.
 *
 * Existing customers' first purchases fall uniformly in the burn-in
 * (population.burn_in_days before the start; the day before the start when
 * it is 0) and their histories are simulated up to the start.  A policy
 * observes customers at the end of the day before each epoch.
 *
 * Recording.  The transactions of the last reset or step go into a log, a
 * workspace sized once from the world (clv_sim_log_alloc) and attached to a
 * state with clv_sim_record_into (opts.record: the state makes and owns
 * one); a log that proves too small loses transactions, never the
 * simulation's results (clv_sim_lost_transactions).
 *
 * Ownership and threads: a world copies what it needs from the scenario;
 * all of a state's memory is allocated by clv_sim_alloc_in (or
 * clv_sim_alloc), and reset, step, observe and the queries never allocate
 * (a test counts the calls of malloc, calloc and realloc during steps with
 * coupons, prices and recording; with opts.threads > 1 a step starts its
 * threads, which the C library may allocate for).  A world must outlive its
 * states and logs.  One state is used by one thread at a time (its reset and
 * steps use opts.threads workers internally); states of one world may run
 * on different threads at once.
 */
#ifndef CLVSIM_SIM_H
#define CLVSIM_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "clvsim/error.h"
#include "clvsim/progress.h"
#include "clvsim/scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clv_world clv_world;     /* what a scenario fixes: read-only, shared */
typedef struct clv_sim clv_sim;         /* one replication's state in a world */
typedef struct clv_sim_log clv_sim_log; /* a recording workspace for a state's transactions */

/* Options of a world (history, first_days) and of a state (threads,
 * record, progress); each call reads the ones it needs. */
typedef struct clv_sim_opts {
    int threads;        /* state: workers for resets and steps (0: all processors); results do not depend on it */
    int history;        /* world: purchases kept per customer for observations, 1..64 (default 8) */
    int record;         /* state: make and own a log of clv_sim_log_capacity transactions and record into it
                         * (clv_sim_transactions) */
    /* world: the existing customers' first purchase days (day numbers within the
     * burn-in, before the calendar's start), e.g. a real cohort's; NULL:
     * uniform over the burn-in, population.customers x run.scale of them */
    const int32_t *first_days;
    size_t n_first_days;
    /* state: polled (clv_progress_poll) per block of customers during a reset, the
     * long burn-in of a large population: a stop then makes clv_sim_reset
     * return CLV_ECANCELLED; NULL: never.  Kept by pointer: it must outlive
     * the environment. */
    const clv_progress *progress;
} clv_sim_opts;

/* threads 1, history 8, no recording, first days uniform, no progress. */
void clv_sim_opts_default(clv_sim_opts *o);

/* How the customers of a purchase model drop out: the simulator's one piece
 * of per-model behaviour.  The BTYD model table (clvsim/btyd.h) names each
 * model's hook; the simulator knows the hooks, not the models. */
typedef enum clv_sim_dropout {
    CLV_SIM_DROPOUT_AT_PURCHASE = 0, /* after each repeat purchase, with probability p ~ Beta(a, b) (BG/NBD) */
    CLV_SIM_DROPOUT_LIFETIME = 1     /* at an exponential time of rate mu ~ Gamma(s, beta) (Pareto/NBD) */
} clv_sim_dropout;

/* The dropout hook of population.model `model` (a clv_btyd_model value). */
clv_sim_dropout clv_sim_dropout_of(int model);

/* The first seasonality window (index into seasonality.windows) that
 * contains day number `day`, or -1 (also when seasonality is off). */
int clv_sim_window_of(const clv_scenario *scn, int32_t day);

/* Lifecycle stages, from recency and frequency (scenario section lifecycle). */
typedef enum clv_stage {
    CLV_STAGE_NEW = 0,      /* first purchase at most new_days ago */
    CLV_STAGE_ACTIVE = 1,   /* last purchase at most active_days ago */
    CLV_STAGE_LOYAL = 2,    /* active with at least loyal_purchases purchases */
    CLV_STAGE_AT_RISK = 3,  /* last purchase more than active_days, at most churned_days ago */
    CLV_STAGE_CHURNED = 4,  /* last purchase more than churned_days ago */
    CLV_STAGE_N
} clv_stage;

/* The name of a stage ("new", "active", "loyal", "at-risk", "churned"). */
const char *clv_stage_name(int stage);
/* The stage at the end of day `day` of a customer whose first and last
 * purchases were on days first and last, with `purchases` in all, under
 * the rules of lc (the environment's own rule). */
int clv_stage_of(const clv_scn_lifecycle *lc, int32_t day, int32_t first, int32_t last, int purchases);

/* Where a day lies with respect to the seasonality windows. */
typedef enum clv_season_phase {
    CLV_SEASON_BEFORE = 0,  /* no window today; one comes later in the calendar */
    CLV_SEASON_DURING = 1,  /* in a window */
    CLV_SEASON_AFTER = 2    /* no window today or later */
} clv_season_phase;

/* An action for one customer at a decision epoch. */
typedef struct clv_action {
    uint8_t coupon;     /* 0: none; k: interventions.coupons[k-1] */
    uint8_t price;      /* index into interventions.prices (clv_sim_list_price: the 1.0 level) */
} clv_action;

/* What a policy may see of a customer at the start of an epoch.  The
 * latent traits and the alive/dead state are never shown. */
typedef struct clv_sim_obs {
    int stage;              /* clv_stage */
    int purchases;          /* transactions so far, the first included */
    double recency_days;    /* days since the last purchase (today - last purchase day) */
    double age_days;        /* days since the first purchase */
    double total_spend;     /* at list price, all purchases */
    double first_spend;     /* the first purchase's, as total_spend counts it (the repeats': the rest) */
    double last_spend;
    double max_spend;
    double mean_gap_days;   /* mean days between purchases (0 with one purchase) */
    int recent[3];          /* purchases in the last 7, 30 and 90 days (within the kept history) */
    int coupons;            /* coupons received so far */
    double coupon_age_days; /* days since the last coupon was sent; -1 when none was */
    int holds_coupon;       /* a valid, unused coupon */
    int price_level;        /* the price level of the last epoch */
    double price;           /* its multiplier of list price (1: list price) */
    int32_t today;          /* the day number the observation is for: the history up to the end of this day
                             * (clv_sim_observe: the day before the next epoch's first day; a real log's
                             * summary: its calibration end, clv_ltv_obs_from_rfm) */
} clv_sim_obs;

/* Totals of one day, over all customers. */
typedef struct clv_sim_day {
    int32_t day;            /* day number */
    double purchases;       /* transactions, first purchases included */
    double first_purchases; /* of new customers */
    double revenue;         /* at the charged price level, before coupon discounts */
    double cost_of_goods;   /* at list price: the basket x (1 - margin_rate) */
    double coupon_cost;     /* discounts, redemption and contact costs */
    double net_margin;      /* revenue - cost of goods - coupon cost */
    double coupons_sent;    /* on the first day of an epoch */
    double coupons_refused; /* by the budget, on the first day of an epoch */
    double redemptions;
    double alive;           /* customers alive at the end of the day (ground truth) */
    double customers;       /* customers acquired so far (existing ones included) */
    double stage[CLV_STAGE_N]; /* customers by observable stage at the end of the day */
} clv_sim_day;

/* Build the world of scn (with opts' history and first_days; NULL:
 * defaults).  Capacity: the existing customers (population.customers x
 * run.scale, or n_first_days) plus a bound on the arrivals over the horizon
 * that the acquisition process exceeds with probability below 1e-12.
 * Returns CLV_OK, CLV_EINPUT for a scenario the environment cannot simulate
 * (err says which key), or CLV_ENOMEM. */
int clv_world_alloc(const clv_scenario *scn, const clv_sim_opts *opts, clv_world **out, clv_error *err);

/* Free a world (after its states and logs); NULL is a no-op. */
void clv_world_free(clv_world *w);

size_t clv_world_customers(const clv_world *w);  /* existing customers at every reset */
size_t clv_world_capacity(const clv_world *w);   /* the most customers a state can hold */
int clv_world_epochs(const clv_world *w);        /* epochs in the horizon */
int clv_world_horizon_days(const clv_world *w);  /* days in the horizon */
int clv_world_list_price(const clv_world *w);    /* index of the price level 1.0 */
size_t clv_world_memory(const clv_world *w);     /* bytes the world allocated */

/* Create a state in world w (with opts' threads, record and progress;
 * NULL: defaults), sized from the world: every allocation of its life is
 * made here.  It must be reset before use.  Returns CLV_OK or CLV_ENOMEM. */
int clv_sim_alloc_in(const clv_world *w, const clv_sim_opts *opts, clv_sim **out, clv_error *err);

/* Convenience: a state in a private world of scn (clv_world_alloc with the
 * same opts), freed with the state.  Returns what clv_world_alloc or
 * clv_sim_alloc_in returns. */
int clv_sim_alloc(const clv_scenario *scn, const clv_sim_opts *opts, clv_sim **out, clv_error *err);

/* Free a state (and its private world and its own log, if any); NULL is a no-op. */
void clv_sim_free(clv_sim *s);

/* The world of a state. */
const clv_world *clv_sim_world(const clv_sim *s);

/* The progress a state polls (its opts.progress; NULL: none), for a policy
 * whose act takes long to poll in turn, as the clairvoyant does between
 * its rollouts' steps. */
const clv_progress *clv_sim_progress(const clv_sim *s);

/* Draw the replication (seed, replication): traits, burn-in histories, the
 * day's totals cleared, the clock at the calendar's start.  CLV_ECANCELLED
 * when opts.progress asks to stop (reset again before any other use). */
int clv_sim_reset(clv_sim *s, uint64_t seed, uint64_t replication, clv_error *err);

/* Make dst an exact copy of src's replication: every customer (traits,
 * clocks, random streams, histories, coupons), the day's totals so far,
 * the budget spent and the epoch, so that stepping both with the same
 * actions gives bit-identical results, and after that each goes its own
 * way (a counterfactual rollout).  dst's world may be src's, or a world of
 * the same scenario with other budgets (interventions.budget; dst's budgets
 * then apply to its steps); any other difference (the customers, the
 * capacity, the calendar or seasonality, the history kept, the dropout
 * process, the numbers of coupons and price levels) is CLV_EINPUT naming
 * it.  Nothing of recording is copied: dst records into its own log, if it
 * has one, which is cleared.  Never allocates; dst == src is a no-op. */
int clv_sim_copy(clv_sim *dst, const clv_sim *src, clv_error *err);

/* Replace all the future randomness of s by fresh draws, keeping all that
 * is realised or latent.  Kept: every trait (purchase rate, dropout
 * parameter, spend rate, elasticity), whether each customer is alive, the
 * histories, the coupons held with their holders' will-use draws, the deal
 * expectation, fatigue and carry-over, the price levels, the day's totals
 * and the budget spent.  Drawn anew: each customer's behaviour stream (its
 * spends, BG/NBD dropout coins and will-use draws of future coupons), its
 * residual purchase clock (a fresh unit exponential, consumed at its
 * current intensity from the next epoch's start), a Pareto/NBD customer's
 * remaining lifetime (a fresh exponential of rate mu from now), the
 * acquisition stream, and the traits and streams of customers acquired
 * from now on.  The streams are keyed (seed, CLV_STREAM_RELUCK, the mix of
 * (s's world, key, epoch), customer) (clvsim/streams.h, namespace
 * "reluck"): states of different worlds, or relucked at different epochs,
 * get independent luck, and the same state relucked with the same key
 * twice gets the same (bit-identical) luck.
 *
 * Why the future keeps its distribution given the latent state: the
 * simulator is a set of independent processes per customer, driven by
 * unit exponential clocks and independent draws.  A purchase clock that
 * has not fired is, by the memorylessness of the exponential, again a unit
 * exponential independent of everything realised (the time already spent
 * waiting tells nothing more); so is the Pareto/NBD lifetime of a customer
 * still alive.  Every other future draw (spends, coins, will-use draws,
 * arrivals and their traits) is independent of the past by construction.
 * What is kept is exactly the state these processes depend on, so the
 * relucked state is a fresh draw of the future from its conditional
 * distribution given the latent state (tests/test_sim.c checks the means
 * of the next epochs against the original's).  The segment labels
 * (clv_sim_segment) stay the original's: they are bookkeeping of the
 * original clocks, not a cause of anything.  Never allocates (with
 * threads > 1 the C library may, for the threads). */
int clv_sim_reluck(clv_sim *s, uint64_t key, clv_error *err);

/* Rollouts customer by customer.  clv_sim_rollout gives, for each of the
 * first n customers of s, into value[i]: the sum in epoch order (in double,
 * rounded to float) of its expected margins (CLV_SIM_REWARD_EXPECTED) from
 * s's epoch to the horizon's end in the workspace's world, with action x at
 * the first epoch and then no campaign at list price (hold 0) or x at every
 * epoch (hold 1).  That is what clv_sim_copy into a state of that world and
 * clv_sim_step to the end give those customers (arrivals at no campaign),
 * since in a world without a budget customers never interact: one customer
 * at a time, its record at hand for all its epochs, without the arrivals
 * and the daily accounting, with the contact cost entering the margin as
 * itself (a step takes it as a difference of its block's running sum, which
 * can differ in the last bits).  For fresh luck, relucked s first
 * (clv_sim_reluck; a state of the workspace's world relucked once serves
 * any number of rollouts).  The world must have no budget (CLV_EINPUT
 * otherwise) and the shape of s's (clv_sim_copy's test).  Polls progress
 * (may be NULL) every 4,096 customers (CLV_ECANCELLED).  A workspace serves one
 * thread at a time; the call never allocates. */
typedef struct clv_sim_rollout_ws clv_sim_rollout_ws;
clv_sim_rollout_ws *clv_sim_rollout_ws_alloc(const clv_world *w, clv_error *err);
void clv_sim_rollout_ws_free(clv_sim_rollout_ws *ws);
int clv_sim_rollout(clv_sim_rollout_ws *ws, const clv_sim *s, clv_action x, int hold, size_t n, float *value,
                    const clv_progress *progress, clv_error *err);

size_t clv_sim_customers(const clv_sim *s);   /* customers acquired so far */
size_t clv_sim_capacity(const clv_sim *s);    /* the most there can be */
int clv_sim_epoch(const clv_sim *s);          /* epochs done */
int clv_sim_epochs(const clv_sim *s);         /* epochs in the horizon */
int32_t clv_sim_today(const clv_sim *s);      /* first day of the next epoch */
int clv_sim_done(const clv_sim *s);           /* 1 after the last epoch */
size_t clv_sim_memory(const clv_sim *s);      /* bytes the state allocated (with its private world and own log) */
int clv_sim_list_price(const clv_sim *s);     /* index of the price level 1.0: "no campaign" */
int clv_sim_season_phase(const clv_sim *s);   /* clv_season_phase of the next epoch's first day */

/* Observations of customers [first, first + n) into out[0..n). */
int clv_sim_observe(const clv_sim *s, size_t first, size_t n, clv_sim_obs *out, clv_error *err);

/* Advance one epoch.  actions: one per customer in [0, clv_sim_customers)
 * as it was before the step (NULL: no coupon, list price for all, also for
 * customers an earlier step set at another level; a policy
 * that leaves a customer alone sets {0, clv_sim_list_price}).
 * margin: when non-NULL, each of those customers' net margin in the epoch
 * (its reward: charged revenue - cost of goods - coupon costs).  Customers
 * acquired during the epoch get no action until the next one.  Returns
 * CLV_OK, or CLV_EINPUT for an action out of range (err says which) or
 * when the horizon is over. */
int clv_sim_step(clv_sim *s, const clv_action *actions, double *margin, clv_error *err);

/* clv_sim_step with the order in which customers claim the budgets: the
 * coupons of order[0], order[1], ... (customer indices of [0, customers))
 * are reserved first; NULL: customer order.  Indices out of range are
 * CLV_EINPUT. */
int clv_sim_step_ordered(clv_sim *s, const clv_action *actions, const uint32_t *order, double *margin,
                         clv_error *err);

/* The budget claims of the next step, by the rule of clv_sim_step_ordered
 * (which makes its own with these functions): coupon level k (1..n, as
 * clv_action.coupon) of customer i reserves clv_sim_claim_cost(s, k)
 * (contact + redemption cost + max_value) and is accepted when that fits in
 * what is left of the epoch's budget and, with what has been spent and what
 * live coupons reserve (its own live coupon's reservation given back), of
 * the total budget; else refused.  They read the state only: an order
 * function can replay its claims to see where its order stops mattering.
 * clv_sim_claims_begin: before the first claim of the next step.
 * clv_sim_claim: 1 and c updated if customer i's (< clv_sim_customers, each
 * customer once) coupon level k is accepted after c, 0 and c unchanged if
 * refused.  clv_sim_claims_fit: 1 if coupons of n customers not yet claimed
 * whose costs sum to sum are all accepted after c whatever their order
 * (sum: their costs added in any order); clv_sim_claims_closed: 1 if no
 * coupon costing min_cost or more can be accepted after c, whoever claims
 * it.  Both are proven through a bound on the roundings of the sums (a
 * margin of (terms + 8) x 4.4e-16 of the sums' size): they may answer 0
 * where the exact answer is 1 within that margin of a budget, never 1
 * where it is 0. */
typedef struct clv_sim_claims {
    int32_t t0;             /* the step's first day */
    double reserved;        /* of the epoch's budget, by the accepted claims */
    double outstanding;     /* of the total budget, by live coupons and the accepted claims */
    double magnitude;       /* the sum of the magnitudes of outstanding's terms */
    size_t terms;           /* and their number */
} clv_sim_claims;
void clv_sim_claims_begin(const clv_sim *s, clv_sim_claims *c);
double clv_sim_claim_cost(const clv_sim *s, int coupon);
int clv_sim_claim(const clv_sim *s, clv_sim_claims *c, size_t i, int coupon);
int clv_sim_claims_fit(const clv_sim *s, const clv_sim_claims *c, double sum, size_t n);
int clv_sim_claims_closed(const clv_sim *s, const clv_sim_claims *c, double min_cost);

/* What the last step executed for customer i: the coupon level (1..n, as
 * clv_action.coupon) sent to it at the epoch's start, or 0 when its action
 * sent none, when the budget refused the one it asked for, when it was
 * acquired during the step, when i is out of range, or before the first
 * step since a reset.  A refused coupon is therefore no coupon at the price
 * level the action set: the price level is always applied, so the executed
 * action is {clv_sim_sent(s, i), actions[i].price}.  Learning and model
 * estimation credit transitions to it, not to the requested action.  The
 * sum over customers is the coupons_sent of the epoch's first day.  Reads
 * the state only (no allocation, no effect on results). */
int clv_sim_sent(const clv_sim *s, size_t i);

/* Customer-epochs by executed action since the reset: counts[c * n_prices
 * + p] (*n_actions = (coupons + 1) x price levels) of the customers that
 * existed at an epoch's start, at coupon level c (0: none; a coupon the
 * budget refused counts as none) and price level p (a step without actions
 * counts every customer at the list price).  Their sum is the customers
 * summed over the epochs stepped; the coupon levels above 0 sum to the
 * days' coupons_sent. */
const double *clv_sim_action_counts(const clv_sim *s, size_t *n_actions);

/* The days simulated so far (clv_sim_epoch epochs' worth), in order. */
const clv_sim_day *clv_sim_days(const clv_sim *s, size_t *n_days);

/* Ground truth for evaluation, never for policies: whether customer i is
 * alive, and its repeat purchases (transactions after the first) in the
 * horizon so far. */
int clv_sim_alive(const clv_sim *s, size_t i);
int clv_sim_repeat_purchases(const clv_sim *s, size_t i);
int32_t clv_sim_first_day(const clv_sim *s, size_t i);
/* Ground truth: the coupon costs (contact, discounts, redemption) spent on
 * customer i in the horizon so far (single precision per customer). */
double clv_sim_coupon_spend(const clv_sim *s, size_t i);

/* One transaction of the synthetic log. */
typedef struct clv_sim_tx {
    uint32_t customer;      /* index */
    int32_t day;            /* day number */
    double time;            /* exact time: day number + fraction of the day */
    double amount;          /* paid */
} clv_sim_tx;

/* A recording workspace for the states of world w that holds at least
 * `capacity` transactions of one reset or step (0: clv_sim_log_capacity).
 * Returns CLV_OK, CLV_EINPUT for a capacity too large, or CLV_ENOMEM. */
int clv_sim_log_alloc(const clv_world *w, size_t capacity, clv_sim_log **out, clv_error *err);
void clv_sim_log_free(clv_sim_log *log);  /* NULL is a no-op */
size_t clv_sim_log_size(const clv_sim_log *log);    /* the transactions it holds at least */
size_t clv_sim_log_memory(const clv_sim_log *log);  /* bytes it allocated */

/* A capacity for the transactions of the largest reset or step of w: the
 * first purchases of every customer there can be plus the purchases of the
 * burn-in, or of an epoch at the highest seasonal multiplier and a
 * campaign's intensity (the elasticity 4 standard deviations below its
 * mean at the lowest price times 1 - the largest discount, and the largest
 * contact multiplier), 8 standard deviations above their mean.  An estimate, not a
 * bound: a log can still prove too small, and then says so. */
size_t clv_sim_log_capacity(const clv_world *w);

/* Record the transactions of each reset and step of s into log (made for
 * s's world; the caller keeps ownership and frees it after s, or after
 * detaching it), replacing the log s recorded into; NULL: record nothing.
 * CLV_EINPUT for a log of another world.  One log serves one state at a
 * time. */
int clv_sim_record_into(clv_sim *s, clv_sim_log *log, clv_error *err);

/* The transactions of the last reset or step that did not fit into the
 * log (0 when all did, or when s records nothing). */
size_t clv_sim_lost_transactions(const clv_sim *s);
/* CLV_OK when the log of the last reset or step is whole, else CLV_ENOMEM
 * with err saying how many transactions were lost: the check to make
 * before clv_sim_transactions, whose own CLV_ENOMEM can be mistaken for a
 * value of fn. */
int clv_sim_log_check(const clv_sim *s, clv_error *err);

/* When s records: call fn for every transaction of the last reset (the
 * burn-in histories) or step (new customers' first purchases, then the
 * others by customer), in an order that depends only on the seed: each
 * customer's transactions are in date order, so the whole log across
 * resets and steps can be read by clv_rfm_read.  Stops at the first
 * non-zero return of fn and returns it; CLV_EINPUT when s records nothing,
 * CLV_ENOMEM when the log lost transactions (clv_sim_lost_transactions). */
int clv_sim_transactions(const clv_sim *s, int (*fn)(void *ctx, const clv_sim_tx *tx), void *ctx);

/* Uplift segments, defined as treatment effects: the principal strata of
 * the reference contact, a contact of the first coupon's arm (without its
 * discount) over the experiment's window (response.contact.window_days)
 * from the horizon's start (for a customer acquired later, from its first
 * purchase).  By the customer's own random clocks, which are the same
 * under every policy, it is a persuadable when it buys in the window only
 * if contacted, a sleeping dog when only if not, a sure thing when either
 * way and a lost cause when neither (also when it is not alive).  Shares
 * and sizes follow from the fitted contact effects and the population. */
typedef enum clv_segment {
    CLV_SEG_PERSUADABLE = 0, CLV_SEG_SURE_THING = 1, CLV_SEG_LOST_CAUSE = 2, CLV_SEG_SLEEPING_DOG = 3
} clv_segment;

/* The name of a segment ("persuadable", "sure-thing", "lost-cause", "sleeping-dog"). */
const char *clv_segment_name(int segment);

/* Ground truth: customer i's segment (clv_segment). */
int clv_sim_segment(const clv_sim *s, size_t i);

/* The contact's intensity multiplier for rate ratio rr of buying within w
 * days, for a customer alive with rate lambda (lambda_w = lambda w): with
 * p0 = 1 - exp(-lambda w) the probability of buying within w without the
 * contact, kappa = -ln(1 - p1) / (lambda w) with p1 = rr p0, so that the
 * contact multiplies that probability by rr; p1 is capped at
 * 1 - (1 - p0) / rr (not buying falls at most by the factor rr), which
 * keeps kappa below ln(rr + 1) / ln(1 + 1 / rr).  kappa tends to rr as
 * lambda w tends to 0; rr <= 0 gives 0 and a NaN argument NaN.  Customers who are not alive buy in neither case,
 * so the share of them changes an experiment's rate difference but not its
 * rate ratio. */
double clv_sim_kappa(double rr, double lambda_w);

/* What clv_sim_step reports as each customer's margin (its margin argument).
 * CLV_SIM_REWARD_REALISED (the default after clv_sim_alloc_in): the net
 * margin of its purchases and coupons in the epoch.  CLV_SIM_REWARD_EXPECTED:
 * the contact costs as they fall, plus, over every span of the epoch
 * between the customer's events while it is alive, its purchase intensity
 * (lambda x its multiplier, per unit of season time) times the span times
 * the expected net margin of a purchase in its state then (the basket's
 * mean at the price level, less the cost of goods, less for a holder who
 * will use its coupon the expected capped discount, by Gamma-Gamma, and
 * the redemption cost).  That is the compensator of the marked purchase
 * process: it has the realised margin's expectation given the customer's
 * state at the epoch's start and the actions (the margin of a purchase is
 * independent of the past given the state), without the lottery of whether
 * and when the purchases fall, so comparisons of actions by simulation
 * need far fewer draws (a Rao-Blackwellised estimator).  The environment
 * itself is unchanged: the same events, the same days' totals, the same
 * random streams.  A mode of the state, kept across resets.  CLV_EINPUT for
 * another value. */
enum { CLV_SIM_REWARD_REALISED = 0, CLV_SIM_REWARD_EXPECTED = 1 };
int clv_sim_set_reward(clv_sim *s, int reward, clv_error *err);

/* Ground truth: customer i's latent purchase rate per day, its dropout
 * parameter (BG/NBD p, or Pareto/NBD mu per day) and its spend rate nu. */
void clv_sim_traits(const clv_sim *s, size_t i, double *lambda, double *dropout, double *nu);

/* ---- policies ---- */

/* A policy: fill actions[0..n) for the customers whose observations are
 * obs[0..n), at the start of an epoch.  Return CLV_OK or an error status
 * (with err).  The environment is passed read-only for extra queries. */
typedef int (*clv_policy_fn)(void *ctx, const clv_sim *s, const clv_sim_obs *obs, size_t n, clv_action *actions,
                             clv_error *err);
/* Optionally, the order in which the customers of the last call of act
 * claim the budgets (clv_sim_step_ordered): a permutation of [0, n) into
 * order.  Without it customers claim in index order. */
typedef int (*clv_policy_order_fn)(void *ctx, const clv_sim *s, const clv_action *actions, size_t n,
                                   uint32_t *order, clv_error *err);
typedef struct clv_policy {
    const char *name;
    clv_policy_fn act;
    void *ctx;
    clv_policy_order_fn order;  /* NULL: customer order */
    void (*release)(void *ctx); /* frees ctx (clv_policy_free calls it); NULL: nothing to free */
} clv_policy;
/* Free what a policy owns through its release function and zero it; a
 * zeroed policy is a no-op. */
void clv_policy_free(clv_policy *p);
/* Run the remaining epochs under a policy (NULL, or a NULL act: no
 * campaign), observing every customer before each step and letting the
 * policy order the budget claims when it has an order function.  progress:
 * phase "simulating", done = epochs.  Allocates its buffers once a call. */
int clv_sim_run(clv_sim *s, const clv_policy *policy, const clv_progress *progress, clv_error *err);
/* clv_sim_run that also adds each customer's net margin of every epoch into
 * margins[i] (clv_sim_capacity entries; customers acquired during the run
 * from the epoch after their arrival on). */
int clv_sim_run_margins(clv_sim *s, const clv_policy *policy, const clv_progress *progress, double *margins,
                        clv_error *err);

#ifdef __cplusplus
}
#endif
#endif
