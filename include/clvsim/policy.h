/* clvsim/policy.h - the policy type table, and the fixed policies: rules that need no model.
 *
 * Each is a clv_policy (sim.h) for clv_sim_run or a researcher's own loop:
 * - "none": no campaign (no coupon, list price);
 * - "blanket-K": coupon level K (1-based, interventions.coupons) to every
 *   customer at every epoch, at list price;
 * - "random": each customer, at each epoch, with probability
 *   evaluation.random_coupon_probability a coupon of a uniformly drawn level
 *   at a uniformly drawn price level, else nothing at list price; the draw
 *   of customer i at epoch e is keyed (seed, CLV_STREAM_EXPLORATION,
 *   clv_rep_random_policy(e), i), its own namespace (clvsim/streams.h), so
 *   it is the same whatever the thread count or the other customers and
 *   shares no draw with the agents' exploration;
 * - "rfm": coupon level evaluation.rfm.coupon to the at-risk customers whose
 *   spend so far is at least the evaluation.rfm.value_quantile quantile of
 *   the at-risk customers' spend (GSL's gsl_stats_quantile_from_sorted_data),
 *   at list price.
 * - "ltv-threshold": coupon level evaluation.ltv_threshold.coupon to the
 *   customers whose LTV estimate (the LTV source of its arguments,
 *   clv_ltv_source of ltv.h: the network's or the population's BTYD value,
 *   clv_btyd_value_of of btyd.h, which clv_policy_fixed uses) is at least
 *   the evaluation.ltv_threshold.quantile quantile of all customers'
 *   estimates at that epoch, at list price;
 * - "welcome": coupon level evaluation.welcome.coupon to every customer in
 *   the lifecycle stage new (its first purchase at most lifecycle.new_days
 *   ago), at list price.
 * The policies learned from simulated episodes (greedy, q-learning, sarsa,
 * expected-sarsa, oracle) are tables: clv_policy_table in agent.h; those
 * of a Q-function over continuous features (q-linear, sarsa-linear, q-mlp,
 * sarsa-mlp) are clv_policy_qfunc in qfunc.h.
 *
 * The yardstick "clairvoyant" (src/agent/clairvoyant.c, kind CLV_PK_BOUND)
 * is no policy a business could run: it reads the true state (its act
 * ignores the observations), i.e. each customer's latent traits (purchase,
 * dropout and spend rates, elasticity), whether it is alive, its coupon
 * and its will-use draw, deal expectation, fatigue and carry-over, and it
 * knows the true model.  Method: at each epoch, for K = evaluation.
 * clairvoyant.lucks luck draws k, and every action a (coupon x price, in
 * clv_agent_n_actions order), the state is copied (clv_sim_copy) into a
 * state of the scenario's world with the budgets lifted (so that a refusal
 * does not hide a coupon's value), its future is drawn anew with key k
 * (clv_sim_reluck: non-anticipating, the same fresh luck for every action
 * of one k, common random numbers), a is applied to every existing
 * customer, then no campaign to the horizon's end, or, for the actions of
 * the constant fixed policies (a coupon at list price: blanket-K; a price
 * level without coupon: price-K), a held to the end; each customer's
 * expected net margin to the end along the rollout (the rollout states
 * report CLV_SIM_REWARD_EXPECTED of sim.h: the realised margin's mean
 * without the lottery of purchases) is its value.  The base action is the constant action
 * whose "held to the end" total over all customers is the largest; a customer deviates from it to the action of its best
 * rollout only when the mean advantage, paired by luck, exceeds two
 * standard errors (so that many noisy estimates of small differences do
 * not lose to the base by the winner's curse).  This is one step of
 * policy improvement with full information - Bertsekas' rollout with two
 * base policies, no campaign and the constant actions - so in expectation
 * it is at least as good as every constant policy and as doing nothing
 * when its estimates are exact.  Coupons past the real budget are refused
 * as for any policy; its order function lets customers claim the budget
 * by decreasing estimated gain over no campaign.
 * Why it is an upper bound in practice on the policies that see only
 * observations: it sees what they must infer, in the true model, and
 * decides per customer.  It is not the exact optimum (one step of
 * improvement, a finite number of lucks, budgets allocated greedily by
 * epoch), so it bounds nothing by proof; tests/test_bounds.c checks the
 * bound empirically on the shipped scenarios and on worlds whose best
 * policy is known.  Cost per epoch: (actions + coupons + prices - 1) x K
 * rollouts to the horizon's end (each a copy, a reluck and the remaining
 * steps; 17 per luck on holiday), spread over its threads; memory: one
 * state per thread and 2 x actions x K floats per customer.  It polls the
 * true state's progress (clv_sim_progress) before every rollout step, so
 * a stop ends its call within a step (CLV_ECANCELLED).
 * A researcher's own policy is any clv_policy (sim.h).
 */
#ifndef CLVSIM_POLICY_H
#define CLVSIM_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "clvsim/agent.h"
#include "clvsim/error.h"
#include "clvsim/qfunc.h"
#include "clvsim/ltv.h"
#include "clvsim/scenario.h"
#include "clvsim/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Make the fixed policy called name (as above) for scn into *out; seed
 * keys the random policy's draws.  Returns CLV_OK, CLV_EINPUT for an
 * unknown name, a learned or planned kind (which needs its table: see the
 * type table below) or a coupon level out of range (err says what is
 * accepted), or CLV_ENOMEM.
 * Free with clv_policy_free. */
int clv_policy_fixed(const clv_scenario *scn, const char *name, uint64_t seed, clv_policy *out, clv_error *err);

/* ---- the policy type table ----
 *
 * One entry per policy kind of evaluation.policies, as GSL's
 * gsl_multimin_fdfminimizer_type: its name, one line of documentation, its
 * constructor and what it needs.  Whatever decides "is it a fixed rule,
 * does it learn, does it plan" asks the table (clv_policy_type_of), never
 * the order of clv_policy_kind. */

/* what a policy kind needs before it can act */
typedef enum clv_policy_how {
    CLV_PK_FIXED = 0,    /* a rule that learns nothing from the simulator (none, blanket, random, rfm, ...) */
    CLV_PK_LEARNED = 1,  /* a table trained on simulated episodes (q-learning, sarsa, expected-sarsa), or a
                            Q-function (q-linear, sarsa-linear, q-mlp, sarsa-mlp: qf > 0) */
    CLV_PK_PLANNED = 2,  /* a table planned on the estimated MDP (greedy, oracle) */
    CLV_PK_BOUND = 3     /* a yardstick that sees the latent state (clairvoyant): never a fixed policy */
} clv_policy_how;

/* what a kind that stands for one policy per level is per (blanket, prices) */
typedef enum clv_policy_per {
    CLV_PER_NONE = 0,    /* one policy */
    CLV_PER_COUPON = 1,  /* one per coupon level K, named STEM-K (blanket-K) */
    CLV_PER_PRICE = 2    /* one per price level K other than list, named STEM-K (price-K) */
} clv_policy_per;

/* What a constructor gets besides the scenario. */
typedef struct clv_policy_args {
    const char *name;            /* the policy's name (copied): "none", "blanket-2", "sarsa", ... */
    uint64_t seed;               /* keys a fixed rule's draws (the scenario's seed in clvsim run) */
    int level;                   /* per-level kinds: the coupon level, 1..interventions.n_coupons, or the
                                    price level, 1..interventions.n_prices (never the list price) */
    const clv_qtable *table;     /* learned and planned kinds: the table (borrowed; outlives the policy) */
    const clv_state_map *map;    /* ... and the state map it was made on */
    int threads;                 /* learned and planned kinds and the clairvoyant: the workers of its states or
                                    rollouts (0: all) */
    /* planned kinds with a table per epoch (the oracle, clv_mdp_plan): n_tables > 0 tables (borrowed),
       tables[t] deployed in epoch t and the last in any later one; table is then ignored */
    const clv_qtable *const *tables;
    int n_tables;
    /* learned kinds with a Q-function (qf > 0 in their type): the trained agent (borrowed; outlives the policy) */
    const clv_qf_agent *qf_agent;
    /* learned and planned kinds and ltv-threshold: the LTV source (ltv.h; borrowed, the policy makes its own
       copy), NULL: the population's BTYD model */
    const clv_ltv_source *ltv;
} clv_policy_args;

typedef struct clv_policy_type {
    const char *name;            /* as in evaluation.policies */
    const char *doc;             /* one line */
    int id;                      /* clv_policy_kind (scenario.h) */
    int how;                     /* clv_policy_how */
    int per_level;               /* clv_policy_per */
    const char *stem;            /* per-level kinds: STEM of the policies' names STEM-K ("blanket", "price");
                                    else NULL */
    int algo;                    /* learned: the clv_algo that trains its table; else -1 */
    int myopic;                  /* planned: 1 greedy (clv_mdp_greedy), 0 oracle (clv_mdp_plan); else -1 */
    /* Make the policy into *out: CLV_OK, CLV_EINPUT (err says why),
     * CLV_ENOMEM.  Free with clv_policy_free. */
    int (*make)(const clv_scenario *scn, const clv_policy_args *args, clv_policy *out, clv_error *err);
    /* learned kinds with a Q-function of continuous features (clvsim/qfunc.h): 1 + the clv_qf_algo that
       trains it (their algo is -1: no table); 0 for every other kind */
    int qf;
} clv_policy_type;

/* Every policy type, in clv_policy_kind order, NULL-terminated. */
extern const clv_policy_type *const clv_policy_types[];

/* The type of clv_policy_kind id, or NULL for an unknown id. */
const clv_policy_type *clv_policy_type_of(int id);

/* The type named name, or NULL.  STEM-K names the per-level type of that
 * stem ("blanket-2": "blanket", "price-3": "prices") and sets *level = K
 * when level is non-NULL and K is a positive integer; else *level = 0. */
const clv_policy_type *clv_policy_type_named(const char *name, int *level);

/* The label of the fixed policy called name in tables and figures, into
 * buf (n bytes): "blanket 20%" (blanket-K: the coupon's name), "price x1.05"
 * (price-K: the multiplier of list price), "price-up x1.05" and
 * "price-down x0.95"; any other name as it is. */
void clv_policy_label(const clv_scenario *scn, const char *name, char *buf, size_t n);


#ifdef __cplusplus
}
#endif
#endif
