/* clvsim/qfunc.h - Q-functions over continuous state features: linear and MLP, semi-gradient Q-learning and SARSA, DQN.
 *
 * A Q-function gives Q(x, a) for a state's feature vector x (n_x doubles)
 * and each of n_actions actions.  Two kinds:
 *
 * - CLV_QF_LINEAR:  Q(x, a) = b_a + u . f(a) + w_a . x
 *   with f(a) the caller's shared action features (n_shared per action, for
 *   example one-hot coupon and price levels): u is learned from every
 *   transition whatever its state or action, b_a (the action's own bias) from
 *   every transition of a in any state, so a lever that pays in every state
 *   is learned from all the data; w_a (n_x per action) are the state-
 *   dependent terms.  Parameters, in order: w (n_actions x n_x, row-major),
 *   u (n_shared), b (n_actions).  Initialised to 0.
 * - CLV_QF_MLP:  Q(x, .) = the n_actions outputs of a network over x
 *   (clvsim/mlp.h: dense hidden layers, the deterministic matrix product of
 *   src/model/gemm.c, whose bits depend on no thread count or vector unit).
 *   The output layer's biases are the shared per-action terms (one per
 *   action, the same in every state).  Parameters: the network's
 *   (clv_mlp_get_params order).  Initialised by clv_qf_init from the stream
 *   (seed, CLV_STREAM_QFUNC, CLV_QF_INIT_REP, layer) (clvsim/streams.h).
 *
 * Updates (Sutton and Barto 2018, ch. 9-10): the semi-gradient of a TD
 * target y treated as a constant, theta += step (y - Q(x, a)) grad Q(x, a).
 * The linear kind takes one transition at a time, normalised (NLMS): the
 * step is alpha / (1 + |grad Q|^2 + n), stable for alpha in (0, 2) whatever
 * the features' scale, n a visit count that makes it shrink (below).  The MLP kind takes mini-batches from an experience
 * replay buffer with a target network (the DQN recipe, Mnih et al. 2015):
 * clv_qf_dqn_step.
 *
 * Every buffer is allocated by clv_qf_alloc (and clv_qf_replay_alloc): the
 * passes and updates never allocate.  A Q-function is plain memory used by
 * one thread at a time.
 */
#ifndef CLVSIM_QFUNC_H
#define CLVSIM_QFUNC_H

#include <stddef.h>
#include <stdint.h>

#include "clvsim/agent.h"
#include "clvsim/error.h"
#include "clvsim/ltv.h"
#include "clvsim/mlp.h"
#include "clvsim/progress.h"
#include "clvsim/rng.h"
#include "clvsim/scenario.h"
#include "clvsim/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { CLV_QF_LINEAR = 0, CLV_QF_MLP = 1 } clv_qf_kind;

typedef struct clv_qf_spec {
    int kind;                     /* clv_qf_kind */
    int n_x;                      /* state features, 1 to 10000 */
    int n_actions;                /* 1 to 255 */
    /* linear: the shared action features f(a), n_actions x n_shared
     * (row-major; copied by clv_qf_alloc); n_shared 0: none */
    int n_shared;
    const double *shared;
    /* MLP: hidden layers (at least 1), activation, precision (clvsim/mlp.h) and the most rows of one pass */
    int hidden[CLV_MAX_LAYERS];
    int n_hidden;
    int activation;
    int precision;
    size_t max_batch;
} clv_qf_spec;

typedef struct clv_qfunc clv_qfunc;

/* Allocate a Q-function and its buffers, parameters 0.  CLV_EINPUT for a
 * spec out of range (err names the field), CLV_ENOMEM. */
clv_qfunc *clv_qf_alloc(const clv_qf_spec *spec, clv_error *err);
void clv_qf_free(clv_qfunc *q);
const clv_qf_spec *clv_qf_spec_of(const clv_qfunc *q);
size_t clv_qf_n_params(const clv_qfunc *q);
void clv_qf_get_params(const clv_qfunc *q, double *p);
void clv_qf_set_params(clv_qfunc *q, const double *p);
/* The linear kind: parameters 0; the MLP: clvsim/mlp.h's initialisation
 * from the stream above, Adam's moments reset. */
void clv_qf_init(clv_qfunc *q, uint64_t seed);

/* Q of every action for n rows of features X (n x n_x) into Q (n x
 * n_actions); any n (the MLP passes in batches of max_batch). */
int clv_qf_values(clv_qfunc *q, const double *X, size_t n, double *Q, clv_error *err);

/* The gradient with respect to the parameters of sum_i w_i Q(x_i, a_i)
 * over n rows (w NULL: every weight 1) into grad (clv_qf_n_params
 * doubles); the MLP's n at most max_batch. */
int clv_qf_grad(clv_qfunc *q, const double *X, const int *a, const double *w, size_t n, double *grad,
                clv_error *err);

/* The linear kind's normalised semi-gradient step toward target y for
 * (x, a): theta += alpha (y - Q(x, a)) g / (1 + |g|^2 + n), g = grad Q(x, a),
 * n >= 0 a count that takes over from |g|^2 as it grows (n = 0: the
 * normalised LMS step, stable for alpha in (0, 2); n = visits^omega: a
 * step that shrinks as a running mean's once the visits pass |g|^2).
 * Returns the TD error y - Q(x, a) before the step (NaN for the MLP kind). */
double clv_qf_linear_update(clv_qfunc *q, const double *x, int a, double y, double alpha, double n);

/* ---- experience replay and DQN ---- */

/* A ring buffer of transitions (x, a, r, x', a', terminal), allocated once:
 * capacity transitions of n_x features; when full, the oldest is replaced.
 * With n_d > 0 (clv_qf_replay_alloc_paired) each transition also holds the
 * paired differences d (n_d = n_actions doubles, d_a = v_a - v_base of
 * the replays of x against the base action `base`, 0 at the base;
 * clvsim/agent.h's paired targets), and its r is the reward corrected to
 * the base's. */
typedef struct clv_qf_replay {
    size_t capacity, n, next;     /* stored, and the slot of the next push */
    int n_x, n_d, base;
    double *x, *x2;               /* capacity x n_x */
    double *r;
    double *d;                    /* capacity x n_d; NULL when n_d is 0 */
    int *a, *a2;
    uint8_t *terminal;
} clv_qf_replay;

int clv_qf_replay_alloc(clv_qf_replay *b, size_t capacity, int n_x, clv_error *err);
/* A buffer whose transitions hold n_d paired differences against action
 * base too (n_d >= 1, 0 <= base < n_d). */
int clv_qf_replay_alloc_paired(clv_qf_replay *b, size_t capacity, int n_x, int n_d, int base, clv_error *err);
void clv_qf_replay_free(clv_qf_replay *b);
/* Push a transition; d: its n_d paired differences (ignored, and may be
 * NULL, when the buffer has none). */
void clv_qf_replay_push(clv_qf_replay *b, const double *x, int a, double r, const double *x2, int a2, int terminal);
void clv_qf_replay_push_paired(clv_qf_replay *b, const double *x, int a, double r, const double *x2, int a2,
                               int terminal, const double *d);

typedef struct clv_qf_dqn {
    int sarsa;                    /* 1: the target is r + gamma Q_target(x', a'); 0: r + gamma max_b Q_target(x', b) */
    double gamma;
    size_t batch;                 /* transitions per mini-batch, <= max_batch */
    int huber;                    /* 1: Huber loss of the TD error with threshold delta; 0: squared error */
    double delta;
    clv_adam adam;
} clv_qf_dqn;

/* One DQN step on q (the MLP kind): a mini-batch of batch transitions drawn
 * uniformly with replacement from b by r, targets from target (a Q-function
 * of q's spec, typically a copy of q synced every K steps by the caller with
 * clv_qf_get_params / clv_qf_set_params), the mean loss's gradient, one Adam
 * step.  A buffer with paired differences (n_d = n_actions) makes the
 * loss that of Q(x, base) - y, y = r + gamma (the next value) the base's
 * TD target (r the reward corrected to the base's), plus for every other
 * action a that of the advantage error (Q(x, a) - Q(x, base)) - d_a: the
 * advantages are regressed on the paired differences of all actions, and
 * the noise of r reaches them only through the layers they share.  scratch: clv_qf_dqn_scratch(q, batch) doubles.  Returns the mean
 * loss, NaN with err for a bad argument (an empty buffer, a batch above
 * max_batch, the linear kind). */
size_t clv_qf_dqn_scratch(const clv_qfunc *q, size_t batch);
double clv_qf_dqn_step(clv_qfunc *q, clv_qfunc *target, const clv_qf_replay *b, const clv_qf_dqn *o, clv_rng *r,
                       double *scratch, clv_error *err);

/* ---- state features of the agents ----
 *
 * What a policy sees of a customer (clv_sim_obs), its LTV estimate phi
 * (the agents' potential, clvsim/agent.h), its purchase probability pbuy,
 * the season phase (0, 1, 2) and the share of the calendar's epochs left
 * (`left`, 1 at the start: Q of a finite horizon depends on the time to
 * go), as CLV_QF_N_FEATURES numbers: log(1 +
 * recency days), log(1 + purchases), log(1 + age days), log(1 + mean spend),
 * purchases in the last 30 days, never sent a coupon (0/1), log(1 + days
 * since the last coupon) (0 when never), holds a coupon (0/1), the last
 * price multiplier, log(1 + max(phi, 0)), pbuy, the stage one-hot (5),
 * the season phase one-hot (3) and left.  Agents standardise them with the means
 * and standard deviations of the customers of training world 0 at the
 * start (clv_standardize_fit of clvsim/mlp.h). */
enum { CLV_QF_N_FEATURES = 20 };
void clv_qf_features(const clv_sim_obs *o, double phi, double pbuy, int phase, double left, double *x);

/* ---- agents: training in the environment and deployment ---- */

/* The function-approximation agents (policy kinds q-linear, sarsa-linear,
 * q-mlp, sarsa-mlp of clvsim/policy_kinds.h). */
typedef enum {
    CLV_QF_Q_LINEAR = 0,
    CLV_QF_SARSA_LINEAR = 1,
    CLV_QF_Q_MLP = 2,
    CLV_QF_SARSA_MLP = 3,
    CLV_QF_ALGOS = 4
} clv_qf_algo;

/* "q-linear", "sarsa-linear", "q-mlp", "sarsa-mlp"; NULL for another value. */
const char *clv_qf_algo_name(int algo);

typedef struct clv_qf_agent {
    int algo;                              /* clv_qf_algo */
    clv_qfunc *q;
    double mean[CLV_QF_N_FEATURES], sd[CLV_QF_N_FEATURES]; /* the features' standardisation */
    uint64_t episodes;                     /* training episodes behind it */
    /* per action: the standard error of its Q for the confidence rule, the
     * spread (n - 1) of its TD errors y - Q(x, a) in the second half of the
     * training over the square root of its transitions in all of it (Q
     * treated as the mean of independent targets, as clv_agent_q_se does:
     * an approximation, which ignores the state-dependent terms' own
     * noise); INFINITY with fewer than 2 TD errors.  With paired targets
     * the advantage's: the root mean square (n - 1) of the residuals d_a -
     * (Q(x, a) - Q(x, base)) of the second half of training over the square
     * root of their number n, and 0 for the base */
    double se[255];
} clv_qf_agent;

typedef struct clv_qf_train_result {
    clv_qf_agent agent;
    int episodes;
    double *returns;         /* per episode: net margin per customer over the episode */
    double *epsilon;         /* per episode */
    size_t n_actions;
} clv_qf_train_result;

/* Train agent algo for agent.episodes episodes of the training worlds,
 * as clv_agent_train trains a table (clvsim/agent.h): the same episodes and
 * customers, exploration (epsilon-greedy or softmax over the Q of the
 * customer's features) from (seed, CLV_STREAM_EXPLORATION, episode,
 * CLV_QF_EXPLORATION_BLOCK + algo), the same rewards (net margin, with
 * agent.shaping and agent.terminal_value on the LTV estimate), transitions
 * credited to the executed actions, a coupon budget claimed by decreasing
 * learned advantage Q(x, a) - Q(x, no coupon at a's price), progress
 * (phase "training") and cancellation.  Features: clv_qf_features with
 * phi and pbuy the value and purchase probability of the LTV source
 * opts->ltv (NULL: the population's BTYD model), standardised on world 0 at
 * the start.
 * The linear agents update online in customer order with the normalised
 * step of clv_qf_linear_update, alpha = agent.qfunc.linear_step and n =
 * n_a^agent.qfunc.linear_omega, n_a the transitions of action a so far in
 * any state (the shared count): a running mean of each action's targets
 * once n_a passes the features' |g|^2 (about 20).  The MLP agents (hidden layers
 * agent.qfunc.hidden, tanh or relu as agent.qfunc.activation, single
 * precision) push every transition into a replay buffer of
 * agent.qfunc.replay transitions, and after each epoch of n customers make
 * ceil(agent.qfunc.updates x n / agent.qfunc.batch) DQN steps (Adam at
 * agent.qfunc.learning_rate, constant or, with agent.qfunc.lr_schedule
 * cosine, lr (1 + cos(pi e / episodes)) / 2 in episode e; Huber loss with threshold agent.qfunc.huber,
 * 0: squared error), mini-batches drawn from (seed, CLV_STREAM_QFUNC,
 * clv_rep_qf_replay(episode), algo), the target network synced every
 * agent.qfunc.target_sync steps.
 * With agent.targets = "paired" (clvsim/agent.h) every customer-epoch but
 * the last is replayed under every action, giving the paired differences
 * d_a = v_a - v_base (base: no coupon at list price), and Q(x, a) = Q(x,
 * base) + A(x, a).  The linear agents train A (0 at the base) by the step
 * above toward d_a for every action a of every customer-epoch (n counting
 * the replayed samples of a) and V(x) = Q(x, base), a linear function of
 * x, by the TD rule on the real transitions with the reward corrected to
 * r - d_x (x the executed action); the agent's Q-function is V + A.  The
 * MLP agents store each transition's d vector in the replay buffer
 * (clv_qf_replay_alloc_paired) with the reward r - d_x, and the DQN step
 * regresses the advantages on it (clv_qf_dqn_step).  Serial in customer order (the
 * environment's steps use threads), so results do not depend on the
 * thread count.  opts as clv_agent_train's (resume and checkpoint are not
 * used: refused when set).  Free with clv_qf_train_result_free. */
int clv_qf_train(const clv_scenario *scn, int algo, const clv_train_opts *opts, clv_qf_train_result *out,
                 clv_error *err);
void clv_qf_train_result_free(clv_qf_train_result *r);

/* The shared action features of the linear agents for the interventions
 * iv into f (clv_agent_n_actions(iv) x clv_qf_n_action_features(iv)): one-hot
 * coupon level (1..n_coupons) and one-hot price level other than list. */
int clv_qf_n_action_features(const clv_scn_interventions *iv);
void clv_qf_action_features(const clv_scn_interventions *iv, int list, double *f);

/* The policy of a trained agent (borrowed; it must outlive the policy):
 * each customer gets the action of highest Q among those whose advantage
 * over the base action (no coupon at list price) is positive with
 * one-sided confidence agent.confidence - Q(x, a) - Q(x, base) > z
 * sqrt(se_a^2 + se_base^2), the rule of clv_agent_confident with the
 * agent's se - else the base; confidence 0: the greedy action where its
 * advantage is positive.  A coupon budget is claimed by decreasing
 * advantage.  The LTV estimates and
 * purchase probabilities of the features come from the LTV source ltv (NULL:
 * the population's BTYD model, clv_ltv_source of ltv.h; the policy makes its
 * own copy), as in training; the features are computed on `threads` workers
 * (results independent of their number), Q on the calling thread.  Free
 * with clv_policy_free. */
int clv_policy_qfunc(const clv_scenario *scn, const clv_qf_agent *agent, const clv_ltv_source *ltv, const char *name,
                     int threads, clv_policy *out, clv_error *err);

#ifdef __cplusplus
}
#endif
#endif
