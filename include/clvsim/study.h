/* clvsim/study.h - the whole study of a scenario (the main job of `clvsim run`) as one library call.
 *
 * clv_study_run does what `clvsim run SCENARIO` computes, and nothing of
 * what it prints or writes:
 *   0. makes the LTV source of the agents and policies (ltv.model; ltv.h's
 *      clv_ltv_source): with "mlp" the network of ltv.file, or one trained
 *      first as clvsim train-ltv would (clv_ltv_study_run, progress phase
 *      "ltv", on the LTV predictor's own worlds of clvsim/streams.h,
 *      disjoint from the agents', the oracle's, the verification's and the
 *      evaluation's); with "btyd" the population's BTYD model.  The
 *      agents' training, their state maps, the oracle's and greedy's
 *      estimate, their tables' policies and ltv-threshold all use it;
 *   1. trains the tabular agents listed in evaluation.policies (q-learning,
 *      sarsa, expected-sarsa; agent.h), or loads their tables from an
 *      earlier training (opts->tables, as `clvsim compare` does);
 *   2. for greedy and oracle, estimates the discretised MDP from
 *      agent.episodes episodes of random actions and makes their tables
 *      (clv_mdp_greedy; clv_mdp_plan over the calendar's epochs, one table
 *      per epoch);
 *   3. builds every listed policy from the policy type table (policy.h;
 *      blanket: one policy per coupon level), then the caller's own
 *      policies (opts->own; plugin.h);
 *   4. verifies each learned or planned policy (CLV_PK_LEARNED and
 *      CLV_PK_PLANNED: q-learning, sarsa, expected-sarsa, greedy, oracle)
 *      against the policy none on the fresh verification worlds
 *      (evaluation.verification.replications of them, clvsim/streams.h:
 *      never the evaluation, training or oracle worlds), paired with common
 *      random numbers; one whose paired net-margin difference has the lower
 *      end of its two-sided evaluation.confidence interval above 0 (a
 *      one-sided test at level (1 + confidence) / 2) is deployed, any other
 *      falls back to none: it keeps its name and acts exactly as none in
 *      the comparison (label "NAME -> none (not verified)"); a bound
 *      (CLV_PK_BOUND) is never verified;
 *   5. evaluates them all with common random numbers (evaluate.h);
 *   6. picks the references of the comparison: the policy none, the best
 *      fixed policy by mean net margin and the clairvoyant bound, and
 *      computes the per-customer hindsight bound (evaluate.h,
 *      "yardsticks"; clv_study_bound gives each policy's place between
 *      no campaign and the bound).
 * The result is a clv_study; the writers of its files (the run's CSVs,
 * figures, tables and report) are in report.h.  The population must be
 * given or already fitted (clv_population_fit, btyd.h, when
 * population.source is "fit").
 *
 * The results depend on the scenario (and its seed) only: never on the
 * thread count.  Thread safety: one call per clv_study; several calls may
 * run at once on different scenarios.
 */
#ifndef CLVSIM_STUDY_H
#define CLVSIM_STUDY_H

#include <stddef.h>

#include "clvsim/agent.h"
#include "clvsim/qfunc.h"
#include "clvsim/error.h"
#include "clvsim/evaluate.h"
#include "clvsim/progress.h"
#include "clvsim/scenario.h"
#include "clvsim/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* the most policies a study compares: every listed kind, blanket once per coupon level, prices once per price level */
enum {
    CLV_STUDY_OWN_MAX = 8,  /* the most own policies (clv_study_opts.own) */
    CLV_STUDY_MAX = CLV_MAX_POLICIES + CLV_MAX_COUPONS + CLV_MAX_PRICES + CLV_STUDY_OWN_MAX
};
/* the kind of an own policy in clv_study_policy.kind (no clv_policy_kind) */
#define CLV_STUDY_OWN_KIND (-1)

/* A researcher's own policy, compared after the listed ones on the same
 * worlds (clvsim run --policy-plugin; plugin.h makes one from a shared
 * object).  It is neither fixed nor learned: never the best fixed policy,
 * never verified. */
typedef struct clv_study_own {
    const char *name;   /* its key in the CSVs: 1 to 64 of A-Z a-z 0-9 . _ -; not another compared policy's,
                           nor "hindsight" */
    const char *label;  /* in tables and figures (at most 64 bytes, no line break); NULL: name */
    const char *doc;    /* one line for the report; may be NULL */
    /* Make the policy for the resolved scenario: CLV_OK (the study owns
     * *out and frees it with clv_policy_free), or an error status with err */
    int (*make)(void *ctx, const clv_scenario *scn, clv_policy *out, clv_error *err);
    void *ctx;
} clv_study_own;

/* What the verification decided about a policy (clv_study_policy.verify). */
typedef enum clv_verify_status {
    CLV_VERIFY_EXEMPT = 0,   /* a fixed rule (or a bound): never verified, compared as it is */
    CLV_VERIFY_OFF,          /* learned or planned, deployed unverified: evaluation.verification.replications = 0 */
    CLV_VERIFY_PASSED,       /* learned or planned, verified: it beat none on the verification worlds */
    CLV_VERIFY_FELL_BACK     /* learned or planned, not verified: it acts as none in the comparison */
} clv_verify_status;

/* One compared policy. */
typedef struct clv_study_policy {
    char name[CLV_NAME_MAX + 16];   /* "none", "blanket-2", "q-learning", ... (the CSVs' policy column) */
    char label[CLV_NAME_MAX + 32];  /* "blanket 20%", "price-up x1.05" (tables, figures: clv_policy_label);
                                     * "greedy -> none (not verified)" for one that fell back */
    int kind;                       /* clv_policy_kind (scenario.h); CLV_STUDY_OWN_KIND for an own policy */
    char doc[200];                  /* an own policy's line (clv_study_own.doc, cut to fit); else "" */
    int fixed;                      /* 1: a rule that learns nothing from the simulator (policy.h, CLV_PK_FIXED) */
    clv_policy pol;                 /* owned by the study (the policy none for one that fell back) */
    /* learned and planned policies: the table it acts on (or would have,
     * had it been verified) and the state map of its file
     * (policy_<name>.csv); NULL for a fixed rule */
    const clv_qtable *table;
    const clv_state_map *map;
    /* the verification: its decision (clv_verify_status) and the paired
     * net margin of the policy (as it was learned or planned) minus none
     * over the verification worlds, at evaluation.confidence (n = 0: not
     * verified, CLV_VERIFY_EXEMPT or CLV_VERIFY_OFF) */
    int verify;
    clv_interval verification;
} clv_study_policy;

/* The results of a study.  Allocated by clv_study_run, freed by clv_study_free. */
typedef struct clv_study {
    clv_scenario scn;               /* the scenario studied (a copy) */
    clv_study_policy pol[CLV_STUDY_MAX];
    size_t n;                       /* compared policies, in the order of evaluation.policies */
    /* the learned agents, in agent.algorithms order of kind (q, sarsa, expected-sarsa) */
    clv_train_result trained[CLV_MAX_ALGOS];
    int algo[CLV_MAX_ALGOS];        /* clv_algo of trained[k] */
    int n_trained;
    int loaded;                     /* 1: the tables were loaded (opts->tables), not trained */
    /* the Q-function agents listed (clvsim/qfunc.h: q-linear, sarsa-linear, q-mlp, sarsa-mlp), in clv_qf_algo
       order; always trained (they have no files to load) */
    clv_qf_train_result qf_trained[CLV_QF_ALGOS];
    int qf_algo[CLV_QF_ALGOS];      /* clv_qf_algo of qf_trained[k] */
    int n_qf_trained;
    clv_state_map map;              /* the states of the agents, greedy and oracle (heatmaps) */
    clv_mdp_estimate *mdp;          /* NULL unless greedy or oracle is listed */
    clv_qtable *oracle, *greedy;    /* NULL unless listed; oracle is oracle_epochs[0], the table of the first
                                       epoch (policy_oracle.csv, heatmap_oracle.csv) */
    clv_qtable **oracle_epochs;     /* the oracle's table of each epoch (clv_mdp_plan), n_oracle_epochs */
    int n_oracle_epochs;
    size_t verification_replications; /* the verification worlds (0: verification off) */
    double verification_seconds;    /* wall-clock time of the verification (0: nothing to verify) */
    clv_evaluation ev;              /* the comparison: one policy per pol[] entry (a policy that fell back as none) */
    long none, best_fixed;          /* indices into pol: the policy none and the best fixed policy; -1: absent */
    long bound;                     /* index into pol of the clairvoyant bound (policy.h); -1: not listed */
    double seconds;                 /* wall-clock time of clv_study_run */
    clv_ltv_source *ltv;            /* the LTV source (step 0); NULL with ltv.model "btyd" */
} clv_study;

/* What clv_study_run says about its phases as they end: one line of text,
 * such as "trained sarsa: 300 episodes of 2000 customers in 4.1 s; ...",
 * one per verified policy ("verified greedy: +1234 [+567, +1901] USD
 * paired with none on 10 fresh worlds" or "greedy fell back to none: ...").
 * The clvsim command prints it as "clvsim run: TEXT". */
typedef void (*clv_study_note_fn)(void *ctx, const char *text);

typedef struct clv_study_opts {
    /* NULL or phases "ltv" (and those of clv_ltv_study_run), "training",
     * "estimating the oracle", "verifying", "evaluating" (as agent.h and
     * evaluate.h report them); its
     * cancellation stops the study with CLV_ECANCELLED */
    const clv_progress *progress;
    /* NULL: train the agents; else the directory of the tables of an
     * earlier training (agent_<algorithm>.qtab), checked against the states
     * and actions this scenario gives them */
    const char *tables;
    clv_study_note_fn note;         /* NULL: no notes */
    void *note_ctx;
    /* the researcher's own policies (at most CLV_STUDY_OWN_MAX), compared
     * after the listed ones, in this order; NULL/0: none */
    const clv_study_own *own;
    size_t n_own;
} clv_study_opts;

/* Fill *o with the defaults: no progress, train, no notes. */
void clv_study_opts_default(clv_study_opts *o);

/* Run the study of scn (opts may be NULL: the defaults) into a new *out.
 * Returns CLV_OK, or the status of the step that failed with err filled
 * (CLV_ECANCELLED when progress asked to stop, CLV_EIO or CLV_EINPUT for a
 * table of opts->tables that cannot be read or does not fit, CLV_ENOMEM);
 * on failure *out is NULL and nothing is left allocated. */
int clv_study_run(const clv_scenario *scn, const clv_study_opts *opts, clv_study **out, clv_error *err);

/* Policy p's place between no campaign (0) and the clairvoyant bound (1),
 * paired by replication at evaluation.confidence (clv_eval_bound_of;
 * p = CLV_EVAL_HINDSIGHT: the hindsight bound's).  Without the policy none
 * everything is NaN; without the clairvoyant the shares are. */
void clv_study_bound(const clv_study *s, long p, clv_eval_bound *out);

/* The study's answer in a few facts (the verdict of the report and of
 * the terminal, clv_report_verdict of report.h).  Candidates are the
 * policies an analyst can deploy: every listed policy but none and the
 * clairvoyant bound (a policy that fell back to none in the verification
 * counts as what it deploys, none).  best is the candidate with the
 * largest mean net margin gained over none, paired by replication (ties:
 * the first listed); runner_up the next.  beats_none: the lower end of
 * best's gain interval is above 0; beats_runner_up: the lower end of the
 * paired difference best - runner_up is above 0 (with one replication,
 * neither: there is no interval).  The shares are of the clairvoyant's
 * gain (NaN without it, clv_study_bound).  The learned and planned
 * policies (CLV_PK_LEARNED and CLV_PK_PLANNED; not own policies) give the
 * range of shares agents_lo..agents_hi, with the policies at each end (-1 and NaN when
 * there are none, or no bound). */
typedef struct clv_study_verdict {
    long best, runner_up;           /* -1: no candidate, or no policy none to compare with */
    clv_interval gain;              /* best - none, paired */
    clv_interval lead;              /* best - runner_up, paired (n = 0 without a runner-up) */
    int beats_none, beats_runner_up;
    double share, share_lo, share_hi;
    int n_agents;
    long agent_lo, agent_hi;
    double agents_lo, agents_hi;
} clv_study_verdict;
void clv_study_verdict_of(const clv_study *s, clv_study_verdict *v);

/* Free a study and everything it owns; NULL is a no-op. */
void clv_study_free(clv_study *s);

/* ---- the agents alone (clvsim train-agent) ----
 *
 * clv_study_agents makes the LTV source as clv_study_run does (step 0),
 * trains the tabular agents of the scenario (or those of opts->algos) with
 * it one after the other, then estimates the discretised MDP from
 * agent.model_episodes episodes of random actions (clv_scn_model_episodes;
 * the oracle),
 * solves it over the calendar's epochs and values each trained table on it. */

typedef struct clv_agents clv_agents;

typedef struct clv_agents_opts {
    const clv_progress *progress;   /* NULL, or phases "ltv", "training" and "estimating the oracle" */
    const int *algos;               /* NULL: agent.algorithms; else n_algos clv_algo values */
    int n_algos;
    const clv_qtable *resume;       /* NULL, or the table to go on from (one algorithm only) */
    /* NULL, or called every agent.checkpoint_every episodes with the table
     * of algorithm algo so far; non-zero stops the training (agent.h) */
    int (*checkpoint)(void *ctx, int algo, const clv_qtable *table);
    void *checkpoint_ctx;
    /* NULL, or called when a phase ends: k = 0.. after the training of
     * a->algo[k], k = -1 after the oracle */
    void (*done)(void *ctx, const clv_agents *a, int k);
    void *done_ctx;
} clv_agents_opts;

struct clv_agents {
    clv_scenario scn;               /* a copy */
    int algo[CLV_MAX_ALGOS];        /* clv_algo, in the order trained */
    int n;                          /* trained so far */
    clv_train_result trained[CLV_MAX_ALGOS];
    double seconds[CLV_MAX_ALGOS];  /* wall-clock time of each training */
    double last_average[CLV_MAX_ALGOS]; /* the last 10-episode moving average of its returns */
    clv_mdp_estimate *mdp;          /* the oracle's estimate; NULL until it is made */
    double optimum;                 /* its optimal value per customer from the start, over the horizon's
                                       epochs (undiscounted, clv_mdp_solve) */
    double value[CLV_MAX_ALGOS];    /* each table's value on it over the same epochs */
    double oracle_seconds;
    clv_ltv_source *ltv;            /* the LTV source; NULL with ltv.model "btyd" */
};

/* Run it into a new *out (opts may be NULL).  Returns CLV_OK, or the
 * status of the step that failed (err filled; "resume" in err->field when
 * opts->resume does not fit); on failure *out is NULL. */
int clv_study_agents(const clv_scenario *scn, const clv_agents_opts *opts, clv_agents **out, clv_error *err);

/* Free; NULL is a no-op. */
void clv_agents_free(clv_agents *a);

/* "none@1", "10%@0.95": the name of action a (coupon x n_prices + price
 * level) of scn into buf (n bytes); returns buf. */
char *clv_action_name(const clv_scenario *scn, size_t a, char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif
