/* agent_internal.h - the environment and LTV estimates the agents use, shared by training and the oracle (internal to src/agent). */
#ifndef CLVSIM_AGENT_INTERNAL_H
#define CLVSIM_AGENT_INTERNAL_H

#include "clvsim/agent.h"
#include "clvsim/btyd.h"
#include "clvsim/scenario.h"
#include "clvsim/sim.h"

/* The environment agents learn in: *scn becomes scn0 with agent.customers
 * customers (run.scale applies in clv_sim_alloc), and *s its simulator with
 * that many threads. */
int clv__agent_env(const clv_scenario *scn0, int threads, const clv_progress *progress, clv_scenario *scn, clv_sim **s,
                   clv_error *err);

/* Every customer's observation, LTV estimate (0 unless need_phi) and state
 * now, on `threads` workers; arrays of clv_sim_customers(s). */
int clv__agent_see(const clv_sim *s, const clv_btyd_value *ltv, const clv_state_map *map, int need_phi, int threads,
                   clv_sim_obs *obs, double *phi, size_t *state, clv_error *err);

/* The action the last step of s executed for customer i, which requested
 * `requested`, as an action index (coupon x n_prices + price): a coupon the
 * budget refused is no coupon at the price level that was set
 * (clv_sim_sent).  Training and the oracle credit transitions to it. */
int clv__agent_executed(const clv_sim *s, size_t i, clv_action requested, size_t n_prices);

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
 * a (scratch: 2 n doubles). */
int clv__agent_policy_order(const char *name, size_t n_acted, int budget, const clv_qtable *t, const size_t *st,
                            const int *a, size_t n, size_t n_prices, double *scratch, uint32_t *order, clv_error *err);

#endif
