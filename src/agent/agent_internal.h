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

#endif
