/* clvsim/agent.h - tabular agents: Q-learning, SARSA and Expected SARSA over one shared table.
 *
 * A table holds Q(s, a) for n_states x n_actions (row-major doubles) and the
 * visit counts n(s, a).  The learning rules (Sutton and Barto 2018, ch. 6):
 *   Q-learning:      Q(s,a) += alpha [r + gamma max_b Q(s',b)          - Q(s,a)]
 *   SARSA:           Q(s,a) += alpha [r + gamma Q(s',a')               - Q(s,a)]
 *   Expected SARSA:  Q(s,a) += alpha [r + gamma sum_b pi(b|s') Q(s',b) - Q(s,a)]
 * with pi the behaviour policy (epsilon-greedy or softmax) and the target
 * just r at a terminal transition.  alpha is constant, or alpha / n(s,a)^omega
 * (the "visits" schedule, omega in (0.5, 1]).
 *
 * Exploration draws come from a clv_rng the caller passes (keyed on
 * CLV_STREAM_EXPLORATION), so training is reproducible.  Tables are plain
 * memory: one thread updates a table at a time.
 */
#ifndef CLVSIM_AGENT_H
#define CLVSIM_AGENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "clvsim/error.h"
#include "clvsim/ltv.h"
#include "clvsim/progress.h"
#include "clvsim/rng.h"
#include "clvsim/scenario.h"
#include "clvsim/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CLV_QSTAT_SUM = 0, CLV_QSTAT_SUMSQ = 1, CLV_QSTAT_WSQ = 2, CLV_QSTATS = 3 };

typedef struct clv_qtable {
    size_t n_states, n_actions;
    double *q;          /* n_states x n_actions */
    uint32_t *visits;   /* n_states x n_actions */
    /* per (s, a), for the uncertainty of Q (clv_agent_q_se), CLV_QSTATS
     * doubles side by side: the sum and the sum of squares of the learning
     * targets, and the sum of the squared weights that the step sizes give
     * the targets in Q (sums rather than a running mean keep a division and
     * a dependency out of the update) */
    double *stats;
    uint64_t episodes;  /* training episodes behind the table */
    uint64_t layout;    /* fingerprint of the states and actions it was trained on; 0: unknown */
} clv_qtable;

/* Allocate a table with every Q(s,a) = init and no visits.  Returns NULL
 * with err when out of memory or when a size is 0. */
clv_qtable *clv_qtable_alloc(size_t n_states, size_t n_actions, double init, clv_error *err);
void clv_qtable_free(clv_qtable *t);

typedef enum { CLV_RULE_Q = 0, CLV_RULE_SARSA = 1, CLV_RULE_EXPECTED_SARSA = 2 } clv_rule;

typedef struct clv_agent_params {
    int rule;               /* clv_rule */
    double gamma;           /* discount per step, [0, 1] */
    double alpha;           /* step size, or its scale with visits */
    int alpha_visits;       /* 1: alpha / n(s,a)^omega; 0: constant */
    double omega;
    int softmax;            /* 1: softmax with temperature; 0: epsilon-greedy */
    double epsilon;         /* exploration probability of epsilon-greedy */
    double temperature;     /* of softmax, in units of Q */
} clv_agent_params;

/* The actions of a scenario's agents: (coupons + none) x price levels,
 * action a being coupon a / n_prices (0: none) at price level a % n_prices. */
size_t clv_agent_n_actions(const clv_scn_interventions *iv);

/* The greedy action of state s (the lowest index among ties). */
int clv_agent_greedy(const clv_qtable *t, size_t s);
/* The standard error of Q(s, a) as an estimate: Q is a weighted mean of
 * the targets the updates saw, so its variance is sum(w^2) x the variance
 * of the targets (sample variance, n - 1, from the sums); INFINITY with fewer than 2
 * visits.  (Targets that bootstrap on a changing table are treated as
 * independent draws: an approximation.) */
double clv_agent_q_se(const clv_qtable *t, size_t s, int a);
/* The action to deploy in state s: among the visited actions whose
 * advantage over `base` (the action that changes nothing) is positive with
 * one-sided confidence `confidence` - Q(s,a) - Q(s,base) > z sqrt(se_a^2 +
 * se_base^2), z the standard normal quantile - the one of highest Q (the
 * lowest index among ties); base when there is none.  confidence 0 is the
 * greedy action among the visited actions.  A state never visited gets
 * base. */
int clv_agent_confident(const clv_qtable *t, size_t s, int base, double confidence);

/* An action of the behaviour policy in state s, drawn from r. */
int clv_agent_act(const clv_qtable *t, const clv_agent_params *p, size_t s, clv_rng *r);

/* The behaviour policy's probabilities of the actions of state s into pi. */
void clv_agent_policy(const clv_qtable *t, const clv_agent_params *p, size_t s, double *pi);

/* Learn from the transition (s, a, reward, s2): a2 is the next action
 * (SARSA; ignored by the other rules), terminal 1 when s2 ends the episode.
 * Returns the temporal-difference error. */
double clv_agent_update(clv_qtable *t, const clv_agent_params *p, size_t s, int a, double reward, size_t s2, int a2,
                        int terminal);

/* Value iteration on a finite MDP: P[(s*A + a)*S + s2] transition
 * probabilities, R[s*A + a] expected rewards, terminal[s] (may be NULL)
 * absorbing states of value 0.  Iterates Q(s,a) = R + gamma sum P max Q
 * until the largest change is below tol (or max_iter sweeps) into q
 * (S x A).  Returns CLV_OK, or CLV_ENUMERIC when it has not converged. */
int clv_value_iteration(size_t S, size_t A, const double *P, const double *R, const uint8_t *terminal,
                        double gamma, double tol, int max_iter, double *q, clv_error *err);

/* Save a table: a versioned binary file (magic "CLVQTAB3", sizes, episodes, layout,
 * Q, visits, the target statistics, a CRC-32 of all that), written atomically.
 * A Q or statistic that is not finite is CLV_ENUMERIC (naming the state
 * and action), and nothing is written. */
int clv_qtable_save(const clv_qtable *t, const char *path, clv_error *err);

/* Load a table saved by clv_qtable_save.  Refused with CLV_EINPUT, err
 * naming the file and saying what is wrong and what is accepted: a path
 * that is not a regular file (a directory or FIFO is refused without
 * blocking); a file that is not a table or of another version; sizes
 * outside 1 to 2^32 states and 1 to 255 actions; a length other than the
 * one the sizes give (checked against the file's length before anything
 * is allocated, so a short file claiming a huge table costs nothing); more
 * than INT_MAX episodes; a checksum mismatch; and, after the checksum, a
 * non-finite Q, non-finite target sums or a negative sum of squares, a
 * sum of squared weights outside [0, 1], or target statistics where there
 * were no visits.  The layout fingerprint is checked where a table is used
 * (clv_agent_train's resume, the compare command).  CLV_EIO when the file
 * cannot be opened or read, CLV_ENOMEM. */
clv_qtable *clv_qtable_load(const char *path, clv_error *err);

/* The greedy policy as CSV: state, greedy action, visits of the state, and
 * Q of every action; action_names (may be NULL) label the columns. */
int clv_qtable_write_csv(const clv_qtable *t, const char *const *action_names, FILE *fp, clv_error *err);

/* ---- states: observations discretised (scenario section agent.bins) ----
 *
 * A state is the combination of the bins of: the lifecycle stage (5, when
 * bins.stage), recency in days, frequency (repeat purchases), the
 * predicted-LTV quantile, the purchase-probability quantile (bins.
 * pbuy_quantiles; both from the LTV source, clv_ltv_source of ltv.h), the
 * days since the last coupon (customers never sent one: the last bin), and
 * the season phase (3, when bins.season_phase).  Bins are given by upper edges: a value equal to an
 * edge falls in the bin below it (recency edges [14, 30]: 14 is bin 0, 14.5
 * and 30 bin 1, 31 bin 2).  The index is mixed-radix in that order, the
 * season phase varying fastest. */
typedef struct clv_state_map {
    int use_stage, use_season;
    int n_rec, n_freq, n_age;                /* edges */
    int rec[CLV_MAX_BINS], freq[CLV_MAX_BINS], age[CLV_MAX_BINS];
    int n_ltv;                               /* bins (1: LTV unused) */
    double ltv_cut[20];                      /* n_ltv - 1 upper edges, from clv_state_map_fit_ltv */
    int n_pbuy;                              /* bins (1: the purchase probability unused) */
    double pbuy_cut[20];                     /* n_pbuy - 1 upper edges, from clv_state_map_fit_pbuy */
    size_t n_states;
} clv_state_map;

/* Set up from the scenario's agent.bins (LTV and P(buy) cuts all +inf
 * until fitted). */
void clv_state_map_init(clv_state_map *m, const clv_scenario *scn);

/* The state map agents of scn learn on: clv_state_map_init, then the LTV
 * and P(buy) quantile cuts fitted to the estimates of the LTV source ltv
 * (NULL: the population's BTYD model, clv_ltv_source of ltv.h) of the
 * customers of the training world 0 at the start (agent.customers x
 * run.scale customers), as clv_agent_train does; a table from an earlier
 * run needs this map. */
int clv_agent_state_map(const clv_scenario *scn, const clv_ltv_source *ltv, int threads, clv_state_map *map,
                        clv_error *err);
/* The fingerprint a table trained by algorithm algo (clv_algo) with
 * targets `targets` (clv_targets, agent.targets) on the states of m and the
 * interventions iv carries (clv_qtable.layout): a hash of the algorithm, the
 * targets (classic adds nothing, so classic tables keep the fingerprint they
 * had before paired targets existed), the bins, the LTV and P(buy) cuts,
 * each coupon's discount, cap and validity, and the prices; never 0.  (With
 * bins.pbuy_quantiles 1 it is the hash of the maps without P(buy).) */
uint64_t clv_agent_layout(int algo, int targets, const clv_state_map *m, const clv_scn_interventions *iv);
/* The LTV quantile cuts from a sample of predicted values (sorted in place). */
void clv_state_map_fit_ltv(clv_state_map *m, double *values, size_t n);
/* The P(buy) quantile cuts from a sample of purchase probabilities (sorted in place). */
void clv_state_map_fit_pbuy(clv_state_map *m, double *values, size_t n);

/* The state of an observation with predicted LTV ltv and purchase
 * probability pbuy (ignored with one P(buy) bin) in season phase `phase`. */
size_t clv_state_of(const clv_state_map *m, const clv_sim_obs *o, double ltv, double pbuy, int phase);

/* A readable description of a state into buf ("at-risk | last buy <=30d ago | <=1 repeat | LTV q4 of 4 |
 * no coupon in 56d | in season"; fields joined by " | ", no comma). */
void clv_state_describe(const clv_state_map *m, size_t state, char *buf, size_t n);

/* ---- training in the environment ----
 *
 * Episodes of the scenario's calendar with agent.customers x run.scale
 * customers; episode e is the world of (scenario.seed, replication e), the
 * training namespace of clvsim/streams.h (at most CLV_WORLDS_PER_SPACE
 * episodes, those of a resumed table included).  At
 * each epoch every customer is a transition: its state, the action the
 * behaviour policy picks (agent.exploration: epsilon decaying linearly from
 * epsilon.start to epsilon.end over epsilon.decay_episodes, or softmax), the
 * customer's net margin in the epoch as reward, and its next state.  The
 * action index is coupon x n_prices + price level (coupon 0: none).
 * LTV estimates phi (state bins, shaping, terminal value) and purchase
 * probabilities (state bins) come from the LTV source of the options
 * (clv_train_opts.ltv: the network's predicted value and P(buy)), or, with
 * none, from the population's BTYD model (BG/NBD or Pareto/NBD with
 * Gamma-Gamma): margin_rate x E[spend] x E[Y(h)] over ltv.horizon_days,
 * and P(alive).  With
 * agent.shaping the reward gets gamma phi(s') - phi(s) (potential-based,
 * which leaves the optimal policy unchanged; phi of the end of an episode
 * is 0), and with agent.terminal_value the last transition gets gamma
 * phi(s_T) on top, so the agent sees the value beyond the horizon.
 * When the scenario has a coupon budget, customers claim it in decreasing
 * order of their learned advantage Q(s,a) - Q(s, no coupon at the same
 * price) (ties by customer index), so that a binding budget goes where the
 * agent expects most from a coupon.  A transition is credited to the action
 * executed (clv_sim_sent): a coupon the budget refused is no coupon at the
 * price level that was set, in the table's visits and updates and as
 * SARSA's next action (whose update, when that action asks for a coupon
 * under a budget, waits for the step that tells).  Training is serial in customer order
 * (the environment's steps use threads), so results do not depend on the
 * thread count.
 *
 * Targets (agent.targets).  "classic" is the above: the textbook updates
 * on each transition's realised margin.  "paired": at each epoch but the
 * last, before the step, the state is copied once per action a into a
 * state of the scenario's world without budgets (clv_sim_copy: the same
 * random numbers for every action, so the customers meet the same luck
 * until the actions treat them differently), a is applied to every
 * existing customer for this epoch and no campaign for the L - 1 epochs
 * after it (L = clv_mdp_lookahead, the epochs a coupon can stay valid;
 * fewer at the horizon's end), and each customer's expected margins along
 * the copy (CLV_SIM_REWARD_EXPECTED of sim.h) are summed, discounted by
 * agent.gamma per epoch: v_a.  Its paired difference against the base (no
 * coupon at list price), d_a = v_a - v_base, carries the purchases,
 * redemption costs and churn that a causes while its coupon is valid.
 * The table holds Q(s, a) = Q(s, base) + A(s, a): A(s, a) is the mean of
 * the d_a of the customer-epochs seen in s, and its target statistics are
 * those of the d_a (sum, sum of squares, weight 1/n each), so that
 * clv_agent_q_se is the standard error of the advantage and the
 * deployment's rule (clv_agent_confident) tests A(s, a) > 0 against it
 * (the base's own statistics are those of d_base = 0: no error).  Q(s,
 * base) follows the algorithm's TD rule on the real transitions, with the
 * reward corrected to the base's, r - d_x (x the action executed for that
 * customer; its shaping and terminal value as above) and the step size of
 * the visits of (s, base); it gives the states' values in the targets.
 * The states the copies reach are not valued (no gamma^L (V(s'_a) -
 * V(s'_base)) term): the observed state after a purchase an action
 * prevented looks less alive though its true future is unchanged, the
 * bias by which the terminal value penalised the price rise.  Every
 * action is replayed for every customer-epoch, whatever exploration
 * picks; exploration decides only the real trajectory, hence the states
 * seen.  The replays run the actions on the environment's threads, each
 * action's row on one worker, in states allocated once; the table does
 * not depend on the thread count.  Cost: (actions x L + 1) steps per
 * epoch instead of 1, and memory for one state per worker and actions x
 * the environment's capacity doubles.  No random draw is added: the
 * copies reuse the state's own streams.  A table's layout (clv_agent_layout) names its
 * targets: a table is resumed only with the targets it was trained with.
 * The Q-function agents (clvsim/qfunc.h, clv_qf_train) use the same
 * replays and the same decomposition, with a regression of the advantage
 * on the features in place of the per-state mean. */
typedef struct clv_train_result {
    clv_qtable *table;
    clv_state_map map;
    int episodes;
    double *returns;         /* per episode: net margin per customer over the episode */
    double *epsilon;         /* per episode */
    size_t n_actions;
} clv_train_result;

typedef struct clv_train_opts {
    int threads;                 /* the environment's workers (0: all) */
    const clv_progress *progress; /* phase "training", done = episodes; its cancelled is polled in each
                                   * episode's reset and between its epochs (so is the oracle's) */
    /* NULL, or a table to go on from: its Q, visits and episodes.  Its
     * layout must be this training's (the same algorithm, bins, fitted LTV
     * cuts, coupons and prices) unless it is 0 (a table made outside
     * training) */
    const clv_qtable *resume;
    /* called every agent.checkpoint_every episodes (when that is above 0)
     * with the table so far; a non-zero return stops training with it */
    int (*checkpoint)(void *ctx, const clv_qtable *table);
    void *ctx;
    /* NULL (the population's BTYD model), or the LTV source of the states,
     * shaping and terminal value (borrowed; training uses a copy of it for
     * `threads` workers) */
    const clv_ltv_source *ltv;
} clv_train_opts;

/* Train one algorithm (clv_algo of scenario.h) for agent.episodes episodes,
 * after the resumed table's (episode numbers, worlds and the epsilon
 * schedule continue from it).  The LTV and P(buy) quantile bins are fitted on world 0
 * whether or not training resumes, so states keep their meaning.  opts may
 * be NULL.  Free the result with clv_train_result_free. */
int clv_agent_train(const clv_scenario *scn, int algo, const clv_train_opts *opts, clv_train_result *out,
                    clv_error *err);
void clv_train_result_free(clv_train_result *r);

/* The order in which n customers with actions a[i] in states st[i] claim a
 * budget: by decreasing advantage Q(s,a) - Q(s, no coupon at a's price),
 * customers without a coupon last, ties by index, into order (n entries).
 * scratch: 2 n doubles.  n_prices: price levels of the actions.
 * s NULL (or not with n customers): that full order (qsort of every
 * customer).  s, the simulator the order is for (its next step,
 * clv_sim_step_ordered, n its clv_sim_customers): an order with the
 * same claims and outcome, sorted only as far as it matters.  No sort (the
 * customers in index order) when the budgets cannot bind
 * (clv_sim_claims_fit: every coupon asked for fits in what is left) or
 * nothing can pass; else the customers asking for a coupon in that order,
 * by partial selection and sorts of growing chunks, up to the claim after
 * which nothing costing the least of their coupons can be accepted
 * (clv_sim_claims_closed: a refused expensive coupon does not stop a
 * cheaper one), then the rest of them in no particular order, then the
 * customers without a coupon by index.  Q must hold no NaN. */
void clv_agent_budget_order(const clv_qtable *t, const size_t *st, const int *a, size_t n, size_t n_prices,
                            const clv_sim *s, double *scratch, uint32_t *order);

/* ---- the model-based oracle and the greedy table ----
 *
 * An estimated MDP of the discretised problem: the transitions (s, a, s'),
 * their counts and reward sums, counted over a long simulation, P(s'|s,a)
 * and R(s,a) their frequencies and means, pooled over the epochs (the
 * season phase is in the state, agent.bins.season_phase).  It is solved
 * over the evaluation's own horizon of E epochs by backward induction,
 * undiscounted as the evaluation's net margin is: V_E = 0,
 *   Q_t(s,a) = R(s,a) + sum_s' P(s'|s,a) V_{t+1}(s'),
 * so that the oracle's policy depends on the epoch t.  Q_t(s,a) is the mean
 * over the n(s,a) observed transitions of the target y = r + V_{t+1}(s'),
 * and its tables carry the target statistics of clv_qtable (sum y, sum y^2
 * from the per-(s,a,s') reward sums, sum of squared weights 1/n), so that
 * clv_agent_q_se is its standard error and the confidence rule
 * (clv_agent_confident) applies as to the agents.  Policy evaluation gives
 * the value of any table's greedy policy on the same model, so that a
 * learned table can be judged against the optimum: both values are
 * averaged over the states customers start episodes in.  Unvisited (s, a)
 * pairs are never chosen. */
typedef struct clv_mdp_estimate clv_mdp_estimate;

/* An empty estimate of n_states x n_actions. */
clv_mdp_estimate *clv_mdp_estimate_alloc(size_t n_states, size_t n_actions, clv_error *err);
void clv_mdp_estimate_free(clv_mdp_estimate *m);

/* Count one transition; start: 1 when s is a state an episode starts in.
 * Returns CLV_OK or CLV_ENOMEM. */
int clv_mdp_estimate_add(clv_mdp_estimate *m, size_t s, int a, double reward, size_t s2, int start);

/* Distinct (s, a, s') transitions counted. */
size_t clv_mdp_estimate_transitions(const clv_mdp_estimate *m);

/* The epochs of the episodes the estimate was made from (clv_sim_epochs;
 * clv_oracle_estimate sets it), 0 for an estimate filled by hand. */
int clv_mdp_estimate_epochs(const clv_mdp_estimate *m);

/* Backward induction on the estimate over `horizon` epochs (at least 1):
 * Q_0 into q (may be NULL; n_states x n_actions, unvisited pairs -inf) and
 * the start-weighted optimal value V_0 (V_t(s) the best visited Q_t(s, a),
 * 0 in a state never left).  CLV_EINPUT for a horizon below 1.  (The
 * estimate builds its compressed model on first use.) */
int clv_mdp_solve(clv_mdp_estimate *m, int horizon, double *q, double *value, clv_error *err);

/* The start-weighted value over `horizon` epochs on the estimate of the
 * greedy policy of table t (restricted to visited actions; the same action
 * in every epoch). */
int clv_mdp_evaluate(clv_mdp_estimate *m, const clv_qtable *t, int horizon, double *value, clv_error *err);

/* The oracle: one table per epoch, tables[t] for t = 0..horizon-1 (the
 * caller's array of horizon pointers; each table is allocated here and
 * freed with clv_qtable_free), by backward induction where the value of a
 * state is that of the action deployed in it, V_t(s) = Q_t(s, pi_t(s))
 * with pi_t(s) = clv_agent_confident(tables[t], s, base, confidence)
 * (confidence 0: the optimum of clv_mdp_solve).  A table's visits are the
 * estimate's counts of (s, a) (an action never seen is never taken; its Q
 * is 0), its target statistics those of y = r + V_{t+1}(s').  CLV_EINPUT
 * for a horizon below 1 or a base outside the actions, CLV_ENOMEM; on
 * failure every tables[t] is NULL. */
int clv_mdp_plan(clv_mdp_estimate *m, int horizon, int base, double confidence, clv_qtable **tables,
                 clv_error *err);

/* The greedy table: Q(s, a) = R(s, a) + sum_s' P(s'|s,a) W_{L-1}(s'), with
 * W_k the value of k further epochs of no campaign (action base in every
 * state; W_0 = 0, and 0 where base was never seen) and L = lookahead (at
 * least 1; L = 1 is the epoch's reward alone), so that the comparison of
 * actions includes the redemptions and purchases they cause in the
 * following epochs; its target statistics are those of r + W_{L-1}(s'),
 * and its visits the estimate's counts, as clv_mdp_plan's.  CLV_EINPUT
 * for a lookahead below 1 or a base outside the actions.  Free with
 * clv_qtable_free. */
int clv_mdp_greedy(clv_mdp_estimate *m, int lookahead, int base, clv_qtable **out, clv_error *err);

/* The greedy table's lookahead for a scenario: the epochs a coupon can
 * stay valid, ceil(largest validity_days / epoch_days), at least 1. */
int clv_mdp_lookahead(const clv_scenario *scn);

/* Estimate the scenario's discretised MDP from `episodes` simulated episodes
 * with uniformly random actions (agent.customers x run.scale customers,
 * worlds clv_world_oracle(e) of clvsim/streams.h, after the training ones),
 * using map as the state map, with the LTV estimates of ltv (NULL: the
 * population's BTYD model) as training's.  Each transition is counted for the action
 * executed: a requested coupon the budget refused (in customer order) is
 * no coupon at the price level that was set (clv_sim_sent).  Its reward
 * is the customer's expected margin of the epoch given its state
 * (CLV_SIM_REWARD_EXPECTED of sim.h): the realised margin's mean without
 * the lottery of purchases, so that R(s, a) and the targets r + V(s') have
 * far smaller standard errors.  CLV_EINPUT for more episodes than the
 * oracle's namespace holds (CLV_WORLDS_PER_SPACE). */
int clv_oracle_estimate(const clv_scenario *scn, const clv_ltv_source *ltv, const clv_state_map *map, int episodes,
                        int threads, const clv_progress *progress, clv_mdp_estimate **out, clv_error *err);

/* ---- a table as a policy for the environment ----
 *
 * The policy of table t over the states of map (which must be the map t
 * was learned on: clv_agent_state_map, or a clv_train_result's): each
 * customer gets clv_agent_confident(t, state, no coupon at list price,
 * agent.confidence) - the best action among those shown better than doing
 * nothing with that confidence, else no coupon at list price (also in a
 * state never visited).  When the scenario has a coupon budget the
 * customers claim it by decreasing advantage (clv_agent_budget_order), as
 * in training.  The LTV estimates of the states come from the LTV source
 * ltv (the one the table was made with; the policy keeps its own copy),
 * NULL: the population's BTYD model; states are computed on `threads`
 * workers, with results independent of their number.
 * t is borrowed and must outlive the policy; name is copied.  Free with
 * clv_policy_free. */
int clv_policy_table(const clv_scenario *scn, const clv_ltv_source *ltv, const clv_qtable *t,
                     const clv_state_map *map, const char *name, int threads, clv_policy *out, clv_error *err);

/* The policy of one table per epoch (the oracle's, clv_mdp_plan): in epoch
 * t (clv_sim_epoch) it acts, and orders a budget, as clv_policy_table of
 * tables[t] would, and as that of the last table in any epoch from
 * n_tables on.  The array and its tables are borrowed and must outlive the
 * policy; CLV_EINPUT for n_tables 0 or a table of another shape. */
int clv_policy_table_epochs(const clv_scenario *scn, const clv_ltv_source *ltv, const clv_qtable *const *tables,
                            size_t n_tables, const clv_state_map *map, const char *name, int threads, clv_policy *out,
                            clv_error *err);

#ifdef __cplusplus
}
#endif
#endif
