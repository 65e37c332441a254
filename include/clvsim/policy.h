/* clvsim/policy.h - the fixed policies: rules that need no model.
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
 *   customers whose LTV estimate (clv_btyd_value_of, btyd.h) is at least the
 *   evaluation.ltv_threshold.quantile quantile of all customers' estimates
 *   at that epoch, at list price.
 * The policies learned from simulated episodes (greedy, q-learning, sarsa,
 * expected-sarsa, oracle) are tables: clv_policy_table in agent.h.
 * A researcher's own policy is any clv_policy (sim.h).
 */
#ifndef CLVSIM_POLICY_H
#define CLVSIM_POLICY_H

#include <stdint.h>

#include "clvsim/error.h"
#include "clvsim/scenario.h"
#include "clvsim/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Make the fixed policy called name (as above) for scn into *out; seed
 * keys the random policy's draws.  Returns CLV_OK, CLV_EINPUT for an
 * unknown name or a coupon level out of range (err says what is accepted),
 * CLV_EUNSUPPORTED for a policy that is not built yet, or CLV_ENOMEM.
 * Free with clv_policy_free. */
int clv_policy_fixed(const clv_scenario *scn, const char *name, uint64_t seed, clv_policy *out, clv_error *err);


#ifdef __cplusplus
}
#endif
#endif
