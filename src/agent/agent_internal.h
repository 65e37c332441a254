/* agent_internal.h - the environment and LTV estimates the agents use, shared by training and the oracle (internal to src/agent). */
#ifndef CLVSIM_AGENT_INTERNAL_H
#define CLVSIM_AGENT_INTERNAL_H

#include "clvsim/agent.h"
#include "clvsim/btyd.h"
#include "clvsim/ltv.h"
#include "clvsim/scenario.h"
#include "clvsim/sim.h"

/* The environment agents learn in: *scn becomes scn0 with agent.customers
 * customers (run.scale applies in clv_sim_alloc), and *s its simulator with
 * that many threads. */
int clv__agent_env(const clv_scenario *scn0, int threads, const clv_progress *progress, clv_scenario *scn, clv_sim **s,
                   clv_error *err);

/* How agents see the customers: their own copy of an LTV source for
 * `threads` workers (clv_ltv_source of ltv.h), and the workers' errors. */
typedef struct clv__see {
    clv_ltv_source *ltv;
    clv_error *err;     /* per worker: the error of its first failing block */
    size_t *failed;     /* per worker: that block (SIZE_MAX: none) */
} clv__see;

/* A copy of ltv (NULL: the population's BTYD model of scn) for `threads`
 * workers.  CLV_ENOMEM, the source's errors. */
int clv__see_init(clv__see *v, const clv_scenario *scn, const clv_ltv_source *ltv, int threads, clv_error *err);
void clv__see_free(clv__see *v);

/* Every customer's observation, LTV estimate (0 unless need_phi), purchase
 * probability (into pbuy when it is not NULL; required when map has P(buy)
 * bins) and state now, on v's workers; arrays of clv_sim_customers(s).
 * The source's CLV_ENUMERIC names the customer (err->field "customer i"). */
int clv__agent_see(const clv_sim *s, clv__see *v, const clv_state_map *map, int need_phi, clv_sim_obs *obs,
                   double *phi, double *pbuy, size_t *state, clv_error *err);
/* The same for n customers whose observations are given (obs; s NULL, as
 * a policy gets them) or observed from s into obs_out, in season phase
 * `phase`. */
int clv__agent_states(clv__see *v, const clv_sim *s, size_t n, int phase, const clv_state_map *map, int need_phi,
                      const clv_sim_obs *obs, clv_sim_obs *obs_out, double *phi, double *pbuy, size_t *state,
                      clv_error *err);

/* The action the last step of s executed for customer i, which requested
 * `requested`, as an action index (coupon x n_prices + price): a coupon the
 * budget refused is no coupon at the price level that was set
 * (clv_sim_sent).  Training and the oracle credit transitions to it. */
int clv__agent_executed(const clv_sim *s, size_t i, clv_action requested, size_t n_prices);

/* The value of state s2 in a TD target by p's rule (Q-learning: max Q;
 * SARSA: Q(s2, a2); Expected SARSA: Q's mean under the behaviour policy),
 * and the step size of an update that is the visits-th of its cell: the
 * pieces of clv_agent_update that the paired targets share. */
double clv__agent_next_value(const clv_qtable *t, const clv_agent_params *p, size_t s2, int a2);
double clv__agent_step_size(const clv_agent_params *p, uint32_t visits);

/* The world of scn with its budgets lifted (the rollouts of the
 * clairvoyant and the paired replays, whose values a refusal must not
 * hide).  Free with clv_world_free. */
int clv__world_budget_free(const clv_scenario *scn, clv_world **out, clv_error *err);

/* The paired replays of training (agent.targets = "paired", clvsim/agent.h):
 * per worker a state of the budget-free world in the expected-reward mode
 * (CLV_SIM_REWARD_EXPECTED), all made once by clv__paired_alloc.
 * clv__paired_replay copies state s once per action a (clv_sim_copy: the
 * same random numbers for every action), applies a to every existing
 * customer for one epoch and no campaign for clv_mdp_lookahead(scn) - 1
 * more (fewer at the horizon's end), and keeps customer i's expected
 * margins, discounted by gamma per epoch, in clv__paired_value(p, a)[i].
 * The actions run on `threads` workers, each writing its own row, so the
 * values do not depend on their number; nothing is allocated per call
 * (clv_parallel_for starts threads). */
typedef struct clv__paired clv__paired;
int clv__paired_alloc(const clv_scenario *scn, int threads, double gamma, clv__paired **out, clv_error *err);
void clv__paired_free(clv__paired *p);
int clv__paired_replay(clv__paired *p, const clv_sim *s, const clv_progress *progress, clv_error *err);
const double *clv__paired_value(const clv__paired *p, size_t a);
int clv__paired_lookahead(const clv__paired *p);

/* The rewards every learning agent trains on (clv_agent_train, clv_qf_train):
 * a transition's margin r with agent.shaping's gamma phi(s') - phi(s); the
 * last transition of an episode, whose potential is 0 at the end, with
 * agent.terminal_value's gamma phi(s_T) for what lies beyond; and the
 * exploration epsilon of episode e (linear from start to end over
 * decay_episodes). */
double clv__agent_shaped(const clv_scn_agent *ag, double r, double phi2, double phi);
double clv__agent_terminal(const clv_scn_agent *ag, double r, double phi, double phi_end);
double clv__agent_epsilon(const clv_scn_agent *ag, int e);

/* A learned policy's budget order (its clv_policy order function's work):
 * CLV_EINPUT naming the policy when asked for n customers after acting
 * for n_acted; customer order without a budget; else
 * clv_agent_budget_order of t over the customers' states st and actions
 * a for the next step of s (scratch: 2 n doubles). */
int clv__agent_policy_order(const char *name, size_t n_acted, int budget, const clv_qtable *t, const size_t *st,
                            const int *a, size_t n, size_t n_prices, const clv_sim *s, double *scratch,
                            uint32_t *order, clv_error *err);

#endif
