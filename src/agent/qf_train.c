/* qf_train.c - the Q-function agents (linear and MLP Q-learning and SARSA): training on episodes of the environment, and their policies. */
#include <math.h>
#include <gsl/gsl_cdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clvsim/qfunc.h"
#include "agent_internal.h"
#include "clvsim/parallel.h"
#include "clvsim/policy.h"
#include "clvsim/streams.h"

enum { NF = CLV_QF_N_FEATURES };

static const char *const algo_names[CLV_QF_ALGOS] = {"q-linear", "sarsa-linear", "q-mlp", "sarsa-mlp"};

const char *clv_qf_algo_name(int algo) { return algo >= 0 && algo < CLV_QF_ALGOS ? algo_names[algo] : NULL; }

int clv_qf_n_action_features(const clv_scn_interventions *iv) { return iv->n_coupons + iv->n_prices - 1; }

void clv_qf_action_features(const clv_scn_interventions *iv, int list, double *f)
{
    const size_t P = (size_t)iv->n_prices, A = clv_agent_n_actions(iv), F = (size_t)clv_qf_n_action_features(iv);
    memset(f, 0, A * F * sizeof *f);
    for (size_t a = 0; a < A; a++) {
        const size_t c = a / P, p = a % P;
        if (c > 0)
            f[a * F + c - 1] = 1;
        if ((int)p != list) /* the price levels other than list, in order */
            f[a * F + (size_t)iv->n_coupons + p - ((int)p > list)] = 1;
    }
}

void clv_qf_train_result_free(clv_qf_train_result *r)
{
    if (!r)
        return;
    clv_qf_free(r->agent.q);
    free(r->returns);
    free(r->epsilon);
    memset(r, 0, sizeof *r);
}

/* the share of the calendar's epochs left */
static double time_left(const clv_sim *s)
{
    const int E = clv_sim_epochs(s);
    return E > 0 ? (double)(E - clv_sim_epoch(s)) / E : 0;
}

/* Every customer's standardised features, on `threads` workers in fixed
 * blocks: each is a pure function of its customer, so the result does not
 * depend on their number.  phi and pbuy: the LTV source's value and
 * purchase probability of each customer (clv__agent_see). */
enum { FEATURE_BLOCK = 1024 };

typedef struct {
    const clv_qf_agent *ag;
    const clv_sim_obs *obs;
    const double *phi, *pbuy;
    size_t n;
    int phase;
    double left;
    double *X;
} features_job;

static int features_unit(size_t unit, int worker, void *ctx)
{
    (void)worker;
    const features_job *j = ctx;
    const size_t lo = unit * FEATURE_BLOCK, hi = lo + FEATURE_BLOCK < j->n ? lo + FEATURE_BLOCK : j->n;
    for (size_t i = lo; i < hi; i++) {
        clv_qf_features(&j->obs[i], j->phi[i], j->pbuy[i], j->phase, j->left, j->X + i * NF);
        clv_standardize_apply(j->X + i * NF, 1, NF, j->ag->mean, j->ag->sd);
    }
    return CLV_OK;
}

static int features_all(const clv_qf_agent *ag, const clv_sim *s, const clv_sim_obs *obs, const double *phi,
                        const double *pbuy, size_t n, int threads, double *X, clv_error *err)
{
    features_job j = {ag, obs, phi, pbuy, n, clv_sim_season_phase(s), time_left(s), X};
    const int st = clv_parallel_for(threads, (n + FEATURE_BLOCK - 1) / FEATURE_BLOCK, features_unit, &j);
    return st == CLV_OK ? CLV_OK : clv_error_set(err, st, NULL, 0, NULL, "computing the features failed");
}

/* The Q-function of an agent kind for the interventions of scn */
static clv_qfunc *make_qfunc(const clv_scenario *scn, int algo, clv_error *err)
{
    const clv_scn_interventions *iv = &scn->interventions;
    const size_t A = clv_agent_n_actions(iv);
    const int F = clv_qf_n_action_features(iv);
    clv_qf_spec spec = {0};
    spec.n_x = NF;
    spec.n_actions = (int)A;
    if (algo == CLV_QF_Q_LINEAR || algo == CLV_QF_SARSA_LINEAR) {
        double *f = malloc(A * (size_t)(F > 0 ? F : 1) * sizeof *f);
        if (!f) {
            clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
            return NULL;
        }
        clv_qf_action_features(iv, clv_scn_list_price(scn), f);
        spec.kind = CLV_QF_LINEAR;
        spec.n_shared = F;
        spec.shared = f;
        clv_qfunc *q = clv_qf_alloc(&spec, err);
        free(f);
        return q;
    }
    const clv_scn_agent *ag = &scn->agent;
    spec.kind = CLV_QF_MLP;
    spec.n_hidden = ag->qfunc_n_hidden;
    memcpy(spec.hidden, ag->qfunc_hidden, sizeof spec.hidden);
    spec.activation = ag->qfunc_activation;
    spec.precision = CLV_MLP_F32;
    spec.max_batch = (size_t)ag->qfunc_batch > 1024 ? (size_t)ag->qfunc_batch : 1024;
    return clv_qf_alloc(&spec, err);
}

/* the mean and sd of the features of world 0's customers at the start */
static int fit_features(clv_sim *s, const clv_scenario *scn, clv__see *see, const clv_state_map *map,
                        clv_qf_agent *ag, clv_sim_obs *obs, double *phi, double *pbuy, size_t *state, double *X,
                        clv_error *err)
{
    int st = clv_sim_reset(s, (uint64_t)scn->scenario.seed, clv_world_training(0), err);
    if (st == CLV_OK)
        st = clv__agent_see(s, see, map, 1, obs, phi, pbuy, state, err);
    if (st != CLV_OK)
        return st;
    const size_t n = clv_sim_customers(s);
    const int phase = clv_sim_season_phase(s);
    for (size_t i = 0; i < n; i++)
        clv_qf_features(&obs[i], phi[i], pbuy[i], phase, time_left(s), X + i * NF);
    clv_standardize_fit(X, n, NF, NULL, 0, ag->mean, ag->sd);
    for (int k = 0; k < NF; k++)
        if (!isfinite(ag->mean[k]) || !(ag->sd[k] > 0))
            return clv_error_set(err, CLV_ENUMERIC, NULL, 0, "agent", "feature %d of training world 0 is not finite",
                                 k);
    return CLV_OK;
}

/* per action: the TD errors' sums in the second half of training, and the
 * transitions in all of it (clv_qf_agent.se) */
typedef struct {
    double sum[256], sumsq[256];
    uint64_t m[256];
    int late;               /* 1: in the second half */
} td_stats;

static void note_td(td_stats *t, int a, double y, double q)
{
    if (!t->late)
        return;
    const double d = y - q;
    t->sum[a] += d, t->sumsq[a] += d * d, t->m[a]++;
}

/* the linear step's count of a transition of action a: n_a^omega, n_a counted here */
static double linear_count(uint64_t *visits, int a, const clv_scn_agent *ag)
{
    return pow((double)++visits[a], ag->qfunc_linear_omega);
}

static double max_of(const double *q, size_t A)
{
    double m = q[0];
    for (size_t a = 1; a < A; a++)
        m = q[a] > m ? q[a] : m;
    return m;
}

/* Paired targets (agent.targets = "paired"): per action, the residuals
 * e = d_a - A(x, a) of the paired differences against the advantage
 * learned so far in the second half of training (clv_qf_agent.se) */
typedef struct {
    double sumsq[256];
    uint64_t m[256];
} res_stats;

/* Q of every action at x: with paired targets (val not NULL) the
 * advantage function adv (0 at the base) plus the base's value val(x) */
static void q_at(clv_qfunc *adv, clv_qfunc *val, const double *x, size_t A, double *q, clv_error *err)
{
    clv_qf_values(adv, x, 1, q, err);
    if (val) {
        double v;
        clv_qf_values(val, x, 1, &v, err);
        for (size_t a = 0; a < A; a++)
            q[a] += v;
    }
}

/* The linear agents with paired targets learn Q(x, a) = V(x) + A(x, a) as
 * two linear functions, V of one action and A with A's base parameters
 * never updated (0, the base's shared features being 0); the agent's
 * Q-function is their sum, which is of the same linear form: V's weights
 * and bias are added to every action's (the layout of clvsim/qfunc.h). */
static int compose_linear(clv_qfunc *adv, const clv_qfunc *val, size_t A, clv_error *err)
{
    const size_t np = clv_qf_n_params(adv), F = (size_t)clv_qf_spec_of(adv)->n_shared;
    double *th = malloc(np * sizeof *th), v[NF + 1];
    if (!th)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    clv_qf_get_params(adv, th);
    clv_qf_get_params(val, v); /* w (1 x NF), b (1) */
    for (size_t a = 0; a < A; a++) {
        for (size_t k = 0; k < NF; k++)
            th[a * NF + k] += v[k];
        th[A * NF + F + a] += v[NF];
    }
    clv_qf_set_params(adv, th);
    free(th);
    return CLV_OK;
}

int clv_qf_train(const clv_scenario *scn0, int algo, const clv_train_opts *opts, clv_qf_train_result *out,
                 clv_error *err)
{
    memset(out, 0, sizeof *out);
    if (algo < 0 || algo >= CLV_QF_ALGOS)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "agent", "unknown Q-function agent %d; expected 0 to %d", algo,
                             CLV_QF_ALGOS - 1);
    clv_train_opts none = {0};
    if (!opts)
        opts = &none;
    if (opts->resume || opts->checkpoint)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "resume",
                             "the %s agent has no tables: it cannot resume or write checkpoints", algo_names[algo]);
    const int threads = opts->threads;
    const clv_progress *progress = opts->progress;
    const clv_scn_agent *ag = &scn0->agent;
    const int mlp = algo == CLV_QF_Q_MLP || algo == CLV_QF_SARSA_MLP;
    const int sarsa = algo == CLV_QF_SARSA_LINEAR || algo == CLV_QF_SARSA_MLP;
    clv_scenario scn;
    clv_sim *s = NULL;
    int st = clv_stream_space_check(CLV_SPACE_TRAINING, ag->episodes > 0 ? (uint64_t)ag->episodes : 0,
                                    "agent.episodes", err);
    if (st != CLV_OK || (st = clv__agent_env(scn0, threads, progress, &scn, &s, err)) != CLV_OK)
        return st;
    const size_t cap = clv_sim_capacity(s), P = (size_t)scn.interventions.n_prices;
    const size_t A = clv_agent_n_actions(&scn.interventions);
    out->n_actions = A;
    out->episodes = ag->episodes;
    out->agent.algo = algo;
    clv_state_map map; /* clv__agent_see's states, unused here */
    clv_state_map_init(&map, &scn);
    clv_qfunc *target = NULL, *val = NULL;
    clv_qf_replay rb = {0};
    double *scratch_dqn = NULL, *params = NULL;
    /* paired targets: the replays; per customer the paired differences d
     * of every action now (D) and at its last transition (PD, the MLP's)
     * and the d of its last transition's executed action (pd) */
    const int paired = ag->targets == CLV_TARGETS_PAIRED, base = clv_scn_list_price(&scn);
    clv__paired *rp = NULL;
    double *D = NULL, *PD = NULL, *pd = NULL;
    res_stats *res = NULL;
    out->agent.q = make_qfunc(&scn, algo, err);
    if (!out->agent.q) {
        clv_sim_free(s);
        return err->code;
    }
    const clv_qf_spec *spec = clv_qf_spec_of(out->agent.q);
    clv_qf_dqn dqn = {.sarsa = sarsa, .gamma = ag->gamma, .batch = (size_t)ag->qfunc_batch,
                      .huber = ag->qfunc_huber > 0, .delta = ag->qfunc_huber};
    clv_adam_default(&dqn.adam);
    dqn.adam.lr = ag->qfunc_learning_rate;
    if (mlp) {
        if (!(target = clv_qf_alloc(spec, err))) {
            st = err->code;
            goto done;
        }
        if ((st = paired ? clv_qf_replay_alloc_paired(&rb, (size_t)ag->qfunc_replay, NF, (int)A, base, err)
                         : clv_qf_replay_alloc(&rb, (size_t)ag->qfunc_replay, NF, err)) != CLV_OK)
            goto done;
        scratch_dqn = malloc(clv_qf_dqn_scratch(out->agent.q, dqn.batch) * sizeof *scratch_dqn);
        params = malloc(clv_qf_n_params(out->agent.q) * sizeof *params);
    } else if (paired && !(val = clv_qf_alloc(&(clv_qf_spec){.kind = CLV_QF_LINEAR, .n_x = NF, .n_actions = 1}, err))) {
        st = err->code;
        goto done;
    }
    if (paired) {
        if ((st = clv__paired_alloc(&scn, threads, ag->gamma, &rp, err)) != CLV_OK)
            goto done;
        D = malloc(cap * A * sizeof *D);
        PD = mlp ? malloc(cap * A * sizeof *PD) : NULL;
        pd = calloc(cap, sizeof *pd);
        res = calloc(1, sizeof *res);
        if (!D || (mlp && !PD) || !pd || !res) {
            st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
            goto done;
        }
    }
    out->returns = calloc((size_t)ag->episodes, sizeof *out->returns);
    out->epsilon = calloc((size_t)ag->episodes, sizeof *out->epsilon);
    clv_sim_obs *obs = malloc(cap * sizeof *obs);
    clv_action *act = malloc(cap * sizeof *act);
    /* per customer: the LTV estimate now and at its last transition, the
     * features now and then, the last transition's executed action and
     * reward (margin), the action chosen now, Q of every action now */
    double *phi = malloc(cap * sizeof *phi), *pphi = malloc(cap * sizeof *pphi), *pbuy = malloc(cap * sizeof *pbuy);
    double *margin = malloc(cap * sizeof *margin), *pr = malloc(cap * sizeof *pr);
    double *X = malloc(cap * NF * sizeof *X), *PX = malloc(cap * NF * sizeof *PX), *Q = malloc(cap * A * sizeof *Q);
    const int budget = scn.interventions.budget_per_epoch >= 0 || scn.interventions.budget_total >= 0;
    double *scratch = budget ? malloc(2 * cap * sizeof *scratch) : NULL;
    uint32_t *order = budget ? malloc(cap * sizeof *order) : NULL;
    size_t *cur = malloc(cap * sizeof *cur), *idx = budget ? malloc(cap * sizeof *idx) : NULL;
    int *pa = malloc(cap * sizeof *pa), *na = malloc(cap * sizeof *na);
    double *pq = malloc(cap * sizeof *pq); /* Q of the last transition's (x, executed a) when it was taken */
    uint64_t visits[256] = {0}; /* transitions of each action, in any state: the linear step's schedule */
    td_stats td = {{0}, {0}, {0}, 0};
    uint64_t n_act[256] = {0}; /* executed transitions of each action */
    clv__see see = {0};
    if (!out->returns || !out->epsilon || !obs || !act || !phi || !pphi || !pbuy || !margin || !pr || !X || !PX || !Q ||
        !cur || !pa || !na || !pq || (budget && (!scratch || !order || !idx)) || (mlp && (!scratch_dqn || !params))) {
        st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
        goto loop_done;
    }
    for (size_t i = 0; budget && i < cap; i++)
        idx[i] = i;
    if ((st = clv__see_init(&see, &scn, opts->ltv, threads, err)) != CLV_OK)
        goto loop_done;
    /* as clv_agent_train: under a budget, SARSA's update of a transition
     * whose next action asks for a coupon waits for the step that tells
     * whether it was executed */
    const int wait = budget && sarsa;
    clv_agent_params p = {sarsa ? CLV_RULE_SARSA : CLV_RULE_Q, ag->gamma, ag->learning_rate,
                          ag->learning_rate_schedule == CLV_ALPHA_VISITS, ag->omega,
                          ag->exploration == CLV_EXPLORE_SOFTMAX, ag->epsilon_start, ag->temperature};
    if ((st = fit_features(s, &scn, &see, &map, &out->agent, obs, phi, pbuy, cur, X, err)) != CLV_OK)
        goto loop_done;
    clv_qf_init(out->agent.q, (uint64_t)scn.scenario.seed);
    if (val)
        clv_qf_init(val, 0);
    if (mlp) {
        clv_qf_get_params(out->agent.q, params);
        clv_qf_set_params(target, params);
    }
    uint64_t steps = 0;
    for (int e = 0; e < ag->episodes && st == CLV_OK; e++) {
        p.epsilon = clv__agent_epsilon(ag, e);
        out->epsilon[e] = p.epsilon;
        td.late = 2 * e >= ag->episodes;
        if (ag->qfunc_lr_schedule == CLV_LR_COSINE)
            dqn.adam.lr = ag->qfunc_learning_rate * 0.5 * (1 + cos(M_PI * (double)e / (double)ag->episodes));
        clv_rng rng, rrep;
        clv_rng_seed(&rng, (clv_stream_key){(uint64_t)scn.scenario.seed, CLV_STREAM_EXPLORATION,
                                            clv_world_training((uint64_t)e),
                                            (uint64_t)CLV_QF_EXPLORATION_BLOCK + (uint64_t)algo});
        clv_rng_seed(&rrep, (clv_stream_key){(uint64_t)scn.scenario.seed, CLV_STREAM_QFUNC,
                                             clv_rep_qf_replay((uint64_t)e), (uint64_t)algo});
        if ((st = clv_sim_reset(s, (uint64_t)scn.scenario.seed, clv_world_training((uint64_t)e), err)) != CLV_OK)
            break;
        size_t have_prev = 0; /* customers [0, have_prev) have a transition waiting for its next state */
        double total = 0;
        for (;;) {
            const size_t n = clv_sim_customers(s);
            const int last = clv_sim_done(s);
            if ((st = clv__agent_see(s, &see, &map, 1, obs, phi, pbuy, cur, err)) != CLV_OK)
                break;
            if ((st = features_all(&out->agent, s, obs, phi, pbuy, n, threads, X, err)) != CLV_OK)
                break;
            /* the MLP's parameters change between epochs only: Q of the epoch in one pass */
            if (mlp && !last && (st = clv_qf_values(out->agent.q, X, n, Q, err)) != CLV_OK)
                break;
            if (paired && !last) {
                if ((st = clv__paired_replay(rp, s, progress, err)) != CLV_OK)
                    break;
                const double *vb = clv__paired_value(rp, (size_t)base);
                for (size_t a = 0; a < A; a++) {
                    const double *va = clv__paired_value(rp, a);
                    for (size_t i = 0; i < n; i++)
                        D[i * A + a] = (int)a == base ? 0 : va[i] - vb[i];
                }
            }
            for (size_t i = 0; i < n; i++) {
                const double *x = X + i * NF;
                double *qi = Q + i * A;
                if (last) {
                    /* the end of the episode: the potential of the end is 0,
                     * and the terminal value stands for what lies beyond */
                    if (i < have_prev) {
                        const double r = clv__agent_terminal(ag, pr[i], pphi[i], phi[i]) - (paired ? pd[i] : 0);
                        note_td(&td, pa[i], r, pq[i]);
                        if (mlp)
                            clv_qf_replay_push_paired(&rb, PX + i * NF, pa[i], r, NULL, 0, 1,
                                                      paired ? PD + i * A : NULL);
                        else if (paired)
                            clv_qf_linear_update(val, PX + i * NF, 0, r, ag->qfunc_linear_step,
                                                 linear_count(visits, base, ag));
                        else {
                            clv_qf_linear_update(out->agent.q, PX + i * NF, pa[i], r, ag->qfunc_linear_step,
                                                 linear_count(visits, pa[i], ag));
                        }
                    }
                    continue;
                }
                if (!mlp)
                    q_at(out->agent.q, val, x, A, qi, err);
                if (paired && td.late) /* the residuals of the advantage's regression, before it sees x */
                    for (size_t b = 0; b < A; b++) {
                        const double e_ = D[i * A + b] - (qi[b] - qi[base]);
                        res->sumsq[b] += e_ * e_, res->m[b]++;
                    }
                const clv_qtable row = {1, A, qi, NULL, NULL, 0, 0}; /* the customer's Q as a table of one state */
                const int a = clv_agent_act(&row, &p, 0, &rng);
                if (i < have_prev && !(wait && (size_t)a >= P)) {
                    const double r = clv__agent_shaped(ag, pr[i], phi[i], pphi[i]) - (paired ? pd[i] : 0);
                    note_td(&td, pa[i], r + ag->gamma * (sarsa ? qi[a] : max_of(qi, A)), pq[i]);
                    if (mlp)
                        clv_qf_replay_push_paired(&rb, PX + i * NF, pa[i], r, x, a, 0, paired ? PD + i * A : NULL);
                    else if (paired)
                        clv_qf_linear_update(val, PX + i * NF, 0, r + ag->gamma * (sarsa ? qi[a] : max_of(qi, A)),
                                             ag->qfunc_linear_step, linear_count(visits, base, ag));
                    else
                        clv_qf_linear_update(out->agent.q, PX + i * NF, pa[i],
                                             r + ag->gamma * (sarsa ? qi[a] : max_of(qi, A)), ag->qfunc_linear_step,
                                             linear_count(visits, pa[i], ag));
                }
                /* the advantage regressed on this customer-epoch's paired differences of every action */
                for (size_t b = 0; !mlp && paired && b < A; b++)
                    if ((int)b != base)
                        clv_qf_linear_update(out->agent.q, x, (int)b, D[i * A + b], ag->qfunc_linear_step,
                                             linear_count(visits, (int)b, ag));
                if (!mlp && (paired || i < have_prev))
                    q_at(out->agent.q, val, x, A, qi, err); /* Q after the updates, for the budget's order */
                na[i] = a;
                act[i] = (clv_action){(uint8_t)((size_t)a / P), (uint8_t)((size_t)a % P)};
            }
            if (last || st != CLV_OK)
                break;
            if (budget) {
                const clv_qtable all = {n, A, Q, NULL, NULL, 0, 0}; /* customer i is state i */
                clv_agent_budget_order(&all, idx, na, n, P, s, scratch, order);
            }
            if ((st = clv_sim_step_ordered(s, act, budget ? order : NULL, margin, err)) != CLV_OK)
                break;
            if (clv_progress_poll(progress) != CLV_OK) {
                st = clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "training cancelled");
                break;
            }
            for (size_t i = 0; i < n; i++) {
                const int x = clv__agent_executed(s, i, act[i], P);
                if (wait && i < have_prev && (size_t)na[i] >= P) {
                    const double r = clv__agent_shaped(ag, pr[i], phi[i], pphi[i]) - (paired ? pd[i] : 0);
                    note_td(&td, pa[i], r + ag->gamma * Q[i * A + (size_t)x], pq[i]);
                    if (mlp)
                        clv_qf_replay_push_paired(&rb, PX + i * NF, pa[i], r, X + i * NF, x, 0,
                                                  paired ? PD + i * A : NULL);
                    else {
                        double qx[256];
                        q_at(out->agent.q, val, X + i * NF, A, qx, err);
                        clv_qf_linear_update(paired ? val : out->agent.q, PX + i * NF, paired ? 0 : pa[i],
                                             r + ag->gamma * qx[x], ag->qfunc_linear_step,
                                             linear_count(visits, paired ? base : pa[i], ag));
                    }
                }
                memcpy(PX + i * NF, X + i * NF, NF * sizeof *X);
                if (paired) {
                    pd[i] = D[i * A + (size_t)x];
                    if (mlp)
                        memcpy(PD + i * A, D + i * A, A * sizeof *D);
                }
                pa[i] = x, pphi[i] = phi[i];
                pq[i] = Q[i * A + (size_t)x];
                n_act[x]++;
                pr[i] = margin[i];
                total += margin[i];
            }
            have_prev = n;
            /* the DQN steps of the epoch's transitions */
            if (mlp && rb.n >= dqn.batch) {
                const size_t k = (size_t)ceil(ag->qfunc_updates * (double)n / (double)dqn.batch);
                for (size_t j = 0; j < k && st == CLV_OK; j++) {
                    if (isnan(clv_qf_dqn_step(out->agent.q, target, &rb, &dqn, &rrep, scratch_dqn, err)))
                        st = err->code;
                    else if (++steps % (uint64_t)ag->qfunc_target_sync == 0) {
                        clv_qf_get_params(out->agent.q, params);
                        clv_qf_set_params(target, params);
                    }
                }
                if (st != CLV_OK)
                    break;
            }
        }
        out->returns[e] = total / (double)clv_sim_customers(s);
        out->agent.episodes = (uint64_t)e + 1;
        if (st == CLV_OK && clv_progress_report(progress, "training", e + 1, ag->episodes) != CLV_OK)
            st = clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "training cancelled");
    }
    if (st == CLV_OK && val)
        st = compose_linear(out->agent.q, val, A, err);
    for (size_t a = 0; paired && a < A; a++) /* the advantage's standard errors: its residuals' */
        out->agent.se[a] = (int)a == base ? 0 : res->m[a] >= 2 ? sqrt(res->sumsq[a] / (double)(res->m[a] - 1) / (double)res->m[a]) : INFINITY;
    for (size_t a = 0; !paired && a < A; a++) /* the standard errors of the confidence rule */
        out->agent.se[a] = td.m[a] >= 2 && n_act[a] > 0
                               ? sqrt((td.sumsq[a] - td.sum[a] * td.sum[a] / (double)td.m[a]) / (double)(td.m[a] - 1) /
                                      (double)n_act[a])
                               : INFINITY;
    /* a diverged Q-function is no agent */
    if (st == CLV_OK) {
        const size_t np = clv_qf_n_params(out->agent.q);
        double *th = malloc(np * sizeof *th);
        if (!th)
            st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
        else {
            clv_qf_get_params(out->agent.q, th);
            for (size_t k = 0; k < np && st == CLV_OK; k++)
                if (!isfinite(th[k]))
                    st = clv_error_set(err, CLV_ENUMERIC, NULL, 0, "agent",
                                       "training %s diverged (a parameter is not finite); lower agent.%s",
                                       algo_names[algo], mlp ? "qfunc.learning_rate" : "learning_rate");
            free(th);
        }
    }
loop_done:
    if (st == CLV_ECANCELLED)
        clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "training cancelled");
    free(obs), free(act), free(phi), free(pphi), free(pbuy), free(margin), free(pr), free(X), free(PX), free(Q);
    clv__see_free(&see);
    free(scratch), free(order), free(cur), free(idx), free(pa), free(na), free(pq);
done:
    clv_qf_free(target), clv_qf_free(val);
    clv__paired_free(rp);
    free(D), free(PD), free(pd), free(res);
    clv_qf_replay_free(&rb);
    free(scratch_dqn), free(params);
    clv_sim_free(s);
    if (st != CLV_OK)
        clv_qf_train_result_free(out);
    return st;
}

/* ---- the agents as policies ---- */

typedef struct qf_policy {
    const clv_qf_agent *agent;
    clv__see see;           /* the policy's copy of the LTV source */
    clv_state_map map;      /* the see's states (unused) */
    int budget, threads;
    double z;               /* the standard normal quantile of agent.confidence; 0: greedy */
    size_t n_prices, A;
    char name[CLV_NAME_MAX + 16];
    size_t cap, n;
    double *X, *Q, *scratch, *phi, *pbuy;
    size_t *idx, *state;
    int *a;
} qf_policy;

static int grow_qf(qf_policy *p, size_t n, clv_error *err)
{
    if (n <= p->cap)
        return CLV_OK;
    free(p->X), free(p->Q), free(p->scratch), free(p->idx), free(p->a), free(p->phi), free(p->pbuy), free(p->state);
    p->X = malloc(n * NF * sizeof *p->X);
    p->phi = malloc(n * sizeof *p->phi);
    p->pbuy = malloc(n * sizeof *p->pbuy);
    p->state = malloc(n * sizeof *p->state);
    p->Q = malloc(n * p->A * sizeof *p->Q);
    p->a = malloc(n * sizeof *p->a);
    p->scratch = p->budget ? malloc(2 * n * sizeof *p->scratch) : NULL;
    p->idx = p->budget ? malloc(n * sizeof *p->idx) : NULL;
    if (!p->X || !p->Q || !p->a || !p->phi || !p->pbuy || !p->state || (p->budget && (!p->scratch || !p->idx))) {
        p->cap = 0;
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    for (size_t i = 0; p->budget && i < n; i++)
        p->idx[i] = i;
    p->cap = n;
    return CLV_OK;
}

static int act_qf(void *ctx, const clv_sim *s, const clv_sim_obs *obs, size_t n, clv_action *act, clv_error *err)
{
    qf_policy *p = ctx;
    int st = grow_qf(p, clv_sim_capacity(s) > n ? clv_sim_capacity(s) : n, err);
    if (st != CLV_OK)
        return st;
    const int base = clv_sim_list_price(s);
    if ((st = clv__agent_states(&p->see, NULL, n, clv_sim_season_phase(s), &p->map, 1, obs, NULL, p->phi, p->pbuy,
                                p->state, err)) != CLV_OK ||
        (st = features_all(p->agent, s, obs, p->phi, p->pbuy, n, p->threads, p->X, err)) != CLV_OK)
        return st;
    if ((st = clv_qf_values(p->agent->q, p->X, n, p->Q, err)) != CLV_OK)
        return clv_error_set(err, st, NULL, 0, NULL, "policy %s failed: %s", p->name, err->msg);
    for (size_t i = 0; i < n; i++) {
        const double *q = p->Q + i * p->A, *se = p->agent->se;
        int best = base; /* the best action shown better than the base with the confidence */
        for (size_t a = 0; a < p->A; a++)
            if ((int)a != base && q[a] > q[best] &&
                (p->z <= 0 || q[a] - q[base] > p->z * sqrt(se[a] * se[a] + se[base] * se[base])))
                best = (int)a;
        p->a[i] = best;
        act[i] = (clv_action){(uint8_t)((size_t)best / p->n_prices), (uint8_t)((size_t)best % p->n_prices)};
    }
    p->n = n;
    return CLV_OK;
}

static int order_qf(void *ctx, const clv_sim *s, const clv_action *act, size_t n, uint32_t *order, clv_error *err)
{
    (void)act;
    const qf_policy *p = ctx;
    const clv_qtable all = {n, p->A, p->Q, NULL, NULL, 0, 0}; /* customer i is state i */
    return clv__agent_policy_order(p->name, p->n, p->budget, &all, p->idx, p->a, n, p->n_prices, s, p->scratch,
                                   order, err);
}

static void release_qf(void *ctx)
{
    qf_policy *p = ctx;
    if (p) {
        free(p->X), free(p->Q), free(p->scratch), free(p->idx), free(p->a), free(p->phi), free(p->pbuy), free(p->state);
        clv__see_free(&p->see);
    }
    free(p);
}

int clv_policy_qfunc(const clv_scenario *scn, const clv_qf_agent *agent, const clv_ltv_source *ltv, const char *name,
                     int threads, clv_policy *out, clv_error *err)
{
    memset(out, 0, sizeof *out);
    const clv_scn_interventions *iv = &scn->interventions;
    const size_t A = clv_agent_n_actions(iv);
    if (!agent || !agent->q)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "policy", "policy %s: no Q-function: train it first "
                             "(clv_qf_train)", name);
    const clv_qf_spec *spec = clv_qf_spec_of(agent->q);
    if ((size_t)spec->n_actions != A || spec->n_x != NF)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "policy",
                             "policy %s: the Q-function has %d actions and %d features; the scenario's interventions "
                             "give %zu actions, the agents %d features", name, spec->n_actions, spec->n_x, A, NF);
    qf_policy *p = calloc(1, sizeof *p);
    if (!p)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    p->agent = agent;
    p->threads = threads;
    p->z = scn->agent.confidence > 0 ? gsl_cdf_ugaussian_Pinv(scn->agent.confidence) : 0;
    clv_state_map_init(&p->map, scn);
    int st = clv__see_init(&p->see, scn, ltv, threads, err);
    if (st != CLV_OK) {
        free(p);
        return st;
    }
    p->budget = iv->budget_per_epoch >= 0 || iv->budget_total >= 0;
    p->n_prices = (size_t)iv->n_prices;
    p->A = A;
    snprintf(p->name, sizeof p->name, "%s", name);
    out->name = p->name;
    out->act = act_qf;
    out->order = order_qf;
    out->release = release_qf;
    out->ctx = p;
    return CLV_OK;
}

/* ---- the policy type table's entries (policy_types.c) ---- */

static int make_qf(const clv_scenario *scn, const clv_policy_args *a, clv_policy *out, clv_error *err)
{
    if (!a->qf_agent)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "policy",
                             "\"%s\" acts on a Q-function: train it first (clv_qf_train)", a->name);
    return clv_policy_qfunc(scn, a->qf_agent, a->ltv, a->name, a->threads, out, err);
}

const clv_policy_type clv__policy_q_linear = {"q-linear",
                                              "Q-learning with a linear Q-function of the state features and shared "
                                              "action terms",
                                              CLV_POLICY_Q_LINEAR, CLV_PK_LEARNED, CLV_PER_NONE, NULL, -1, -1, make_qf,
                                              1 + CLV_QF_Q_LINEAR};
const clv_policy_type clv__policy_sarsa_linear = {"sarsa-linear",
                                                  "SARSA with a linear Q-function of the state features and shared "
                                                  "action terms",
                                                  CLV_POLICY_SARSA_LINEAR, CLV_PK_LEARNED, CLV_PER_NONE, NULL, -1, -1,
                                                  make_qf, 1 + CLV_QF_SARSA_LINEAR};
const clv_policy_type clv__policy_q_mlp = {"q-mlp",
                                           "deep Q-learning (DQN): an MLP Q-function with experience replay and a "
                                           "target network",
                                           CLV_POLICY_Q_MLP, CLV_PK_LEARNED, CLV_PER_NONE, NULL, -1, -1, make_qf,
                                           1 + CLV_QF_Q_MLP};
const clv_policy_type clv__policy_sarsa_mlp = {"sarsa-mlp",
                                               "SARSA with an MLP Q-function, experience replay and a target network",
                                               CLV_POLICY_SARSA_MLP, CLV_PK_LEARNED, CLV_PER_NONE, NULL, -1, -1,
                                               make_qf, 1 + CLV_QF_SARSA_MLP};
