/* clvsim/streams.h - the one registry of random-stream namespaces: which keys clvsim uses for what.
 *
 * A stream is keyed (seed, purpose, replication, block) (rng.h).  The
 * "replication" of the simulator's purposes (CLV_STREAM_POPULATION,
 * CLV_STREAM_BEHAVIOUR, CLV_STREAM_ACQUISITION) is a world: world w of a
 * seed is the same customers with the same luck wherever it is simulated.
 * Every use of a world, and every other use of the keys, lives in one
 * namespace below, and the namespaces sharing a purpose never share a key:
 *
 *   namespace        purposes                 replications               blocks
 *   training         worlds, exploration      [0, 1e6): episode e        customer / algorithm
 *   oracle           worlds, exploration      [1e6, 2e6): 1e6 + episode  customer / 0
 *   evaluation       worlds                   [2e6, 3e6): 2e6 + repl.    customer
 *   ltv              worlds, split            [3e6, 4e6): 3e6 + k        customer / 0
 *   bounds           worlds, exploration      [4e6, 5e6): reserved for the yardsticks (clairvoyant bounds)
 *   reluck           reluck                   any: a mix of              customer; 2^62 ^ customer
 *                                             (world, key, epoch)        (an arrival's traits); 2^63
 *                                                                        (acquisition)
 *   random policy    exploration              [5e6, 6e6): 5e6 + epoch    customer
 *   experiment       split                    [6e6, 7e6): 6e6 + arm      customer
 *   verification     worlds                   [7e6, 8e6): 7e6 + repl.    customer
 *   first purchase   population               any                        2^63 ^ customer
 *   ltv init         ltv                      0                          layer
 *   ltv epochs       ltv                      [1, 1e6): 1 + epoch        0
 *   ltv dropout      ltv                      [1e6, 2^64): 1e6 + step    layer
 *   mlp split        split                    0                          0
 *   fit starts       fit                      0                          model
 *   qfunc init       qfunc                    0                          layer
 *   qfunc replay     qfunc                    [1, 1e6]: 1 + episode      Q-function algorithm
 *   user worlds      worlds, exploration      [2^32, 2^64)               customer / any
 *   user purposes    CLV_STREAM_USER and up   any                        any
 *
 * ("worlds" = population, behaviour and acquisition; a world's blocks are
 * below 2^63, the customers.)  Nothing of clvsim draws from the last two.  World 0 is the
 * scenario's own world: clvsim simulate and validate show it, and the
 * agents' LTV cuts are fitted on it (it is also training episode 0).
 *
 * The schema bounds the counts that index a namespace (agent.episodes,
 * evaluation.replications and evaluation.verification.replications at most
 * CLV_WORLDS_PER_SPACE, ltv.epochs below
 * it, the epochs of calendar.horizon_days below it), the library refuses a
 * count past its namespace with CLV_EINPUT (clv_stream_space_check), and
 * the suite proves the namespaces pairwise disjoint for the schema's
 * largest values (tests/test_streams.c).
 *
 * A researcher's own randomness (a policy's exploration, say) takes a
 * purpose from CLV_STREAM_USER up; a researcher's own worlds are those from
 * CLV_WORLD_USER up, or the evaluation worlds to meet the customers that
 * clvsim's policies met.  Values here are part of
 * the reproducibility contract: changing one changes results.
 */
#ifndef CLVSIM_STREAMS_H
#define CLVSIM_STREAMS_H

#include <stddef.h>
#include <stdint.h>

#include "clvsim/error.h"
#include "clvsim/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* First replications of the namespaces (ints: the scenario schema's bounds use them). */
enum {
    CLV_WORLDS_PER_SPACE = 1000000,   /* size of each world namespace */
    CLV_WORLD_TRAINING = 0,           /* + episode of agent training */
    CLV_WORLD_ORACLE = 1000000,       /* + episode of the oracle's MDP estimation */
    CLV_WORLD_EVALUATION = 2000000,   /* + replication of clv_evaluate */
    CLV_WORLD_LTV = 3000000,          /* the LTV predictor's synthetic worlds and splits */
    CLV_WORLD_LTV_TRAIN = 3000000,    /* its training world (and the split of its customers) */
    CLV_WORLD_LTV_HOLDOUT = 3000001,  /* its holdout world (and the order of its customers) */
    CLV_SPLIT_LTV_REAL = 3000010,     /* split of the real customers (CLV_STREAM_SPLIT) */
    CLV_SPLIT_LTV_ALL = 3000011,      /* split of real and synthetic together (CLV_STREAM_SPLIT) */
    CLV_SPLIT_LTV_FOLDS = 3000012,    /* train-ltv's cross-validation folds (CLV_STREAM_SPLIT) */
    CLV_SPLIT_LTV_SEARCH = 3000013,   /* train-ltv's random search's draws of trials (CLV_STREAM_SPLIT) */
    CLV_SPLIT_LTV_IMPORTANCE = 3000100, /* permutation importance (explain.h; SPLIT, block = repeat 2^16 + group) */
    CLV_SPLIT_LTV_BACKGROUND = 3000101, /* background rows of attributions (explain.h; CLV_STREAM_SPLIT) */
    CLV_WORLD_BOUNDS = 4000000,       /* reserved: the yardsticks' worlds and draws */
    CLV_RANDOM_POLICY_BASE = 5000000, /* + epoch: the random policy's draws (CLV_STREAM_EXPLORATION) */
    CLV_SPLIT_EXPERIMENT = 6000000,   /* + arm: validate's simulated experiment, who is treated (CLV_STREAM_SPLIT) */
    CLV_WORLD_VERIFICATION = 7000000, /* + replication of the verification of learned and planned policies (study.h) */
    CLV_LTV_INIT_REP = 0,             /* a network's initial weights (CLV_STREAM_LTV, block = layer) */
    CLV_LTV_EPOCH_BASE = 1,           /* + epoch: an epoch's order of examples (CLV_STREAM_LTV) */
    CLV_LTV_DROPOUT_BASE = 1000000,   /* + Adam step: dropout masks (CLV_STREAM_LTV, block = layer) */
    CLV_SPLIT_MLP_REP = 0,            /* clv_mlp_train's validation split (CLV_STREAM_SPLIT) */
    CLV_FIT_REP = 0,                  /* likelihood maximisation's starts (CLV_STREAM_FIT) */
    CLV_QF_INIT_REP = 0,              /* a Q-network's initial weights (CLV_STREAM_QFUNC, block = layer) */
    CLV_QF_REPLAY_BASE = 1,           /* + training episode: replay's mini-batches (CLV_STREAM_QFUNC, block = algorithm) */
    CLV_QF_EXPLORATION_BLOCK = 16     /* + clv_qf_algo: a Q-function agent's exploration block in training */
};

/* Block of the population stream that draws an existing customer's first
 * purchase time (block customer ^ this); the traits use block = customer. */
#define CLV_BLOCK_FIRST_PURCHASE 0x8000000000000000ULL

/* Blocks of the reluck streams (clv_sim_reluck, purpose CLV_STREAM_RELUCK):
 * customer i's behaviour uses block i, the traits of a customer i acquired
 * after the reluck block i ^ CLV_BLOCK_RELUCK_TRAITS, and the arrivals
 * CLV_BLOCK_RELUCK_ACQUISITION.  A world's customers are below 2^62. */
#define CLV_BLOCK_RELUCK_TRAITS 0x4000000000000000ULL
#define CLV_BLOCK_RELUCK_ACQUISITION 0x8000000000000000ULL

/* First world (and exploration replication) that clvsim never uses. */
#define CLV_WORLD_USER 0x100000000ULL

/* The world of training episode e, of the oracle's episode e, of evaluation
 * replication r, of verification replication r; the random policy's replication at decision epoch e; the
 * LTV network's epoch e and Adam step t. */
static inline uint64_t clv_world_training(uint64_t e) { return (uint64_t)CLV_WORLD_TRAINING + e; }
static inline uint64_t clv_world_oracle(uint64_t e) { return (uint64_t)CLV_WORLD_ORACLE + e; }
static inline uint64_t clv_world_evaluation(uint64_t r) { return (uint64_t)CLV_WORLD_EVALUATION + r; }
static inline uint64_t clv_world_verification(uint64_t r) { return (uint64_t)CLV_WORLD_VERIFICATION + r; }
static inline uint64_t clv_rep_random_policy(uint64_t e) { return (uint64_t)CLV_RANDOM_POLICY_BASE + e; }
static inline uint64_t clv_rep_experiment(uint64_t arm) { return (uint64_t)CLV_SPLIT_EXPERIMENT + arm; }
static inline uint64_t clv_rep_ltv_epoch(uint64_t e) { return (uint64_t)CLV_LTV_EPOCH_BASE + e; }
static inline uint64_t clv_rep_ltv_dropout(uint64_t t) { return (uint64_t)CLV_LTV_DROPOUT_BASE + t; }
/* The replication of the replay draws of a Q-function agent's training episode e (clvsim/qfunc.h). */
static inline uint64_t clv_rep_qf_replay(uint64_t e) { return (uint64_t)CLV_QF_REPLAY_BASE + e; }

/* The namespaces, in the order of the table above. */
typedef enum clv_stream_space_id {
    CLV_SPACE_TRAINING = 0,
    CLV_SPACE_ORACLE,
    CLV_SPACE_EVALUATION,
    CLV_SPACE_LTV,
    CLV_SPACE_BOUNDS,
    CLV_SPACE_RELUCK,
    CLV_SPACE_RANDOM_POLICY,
    CLV_SPACE_EXPERIMENT,
    CLV_SPACE_VERIFICATION,
    CLV_SPACE_FIRST_PURCHASE,
    CLV_SPACE_LTV_INIT,
    CLV_SPACE_LTV_EPOCHS,
    CLV_SPACE_LTV_DROPOUT,
    CLV_SPACE_MLP_SPLIT,
    CLV_SPACE_FIT,
    CLV_SPACE_QF_INIT,
    CLV_SPACE_QF_REPLAY,
    CLV_SPACE_USER_WORLDS,
    CLV_SPACE_USER_PURPOSES,
    CLV_SPACE_N
} clv_stream_space_id;

/* The bit of a purpose in clv_stream_space.purposes. */
#define CLV_PURPOSE_BIT(p) (1ULL << (p))
/* CLV_STREAM_USER and above, as one bit. */
#define CLV_PURPOSE_BIT_USER (1ULL << 63)

/* One namespace: the keys with a purpose in purposes, a replication in
 * [rep_first, rep_last] and a block in [block_first, block_last]. */
typedef struct clv_stream_space {
    const char *name;          /* "training", "oracle", ... */
    const char *use;           /* what draws from it, one line */
    uint64_t purposes;         /* CLV_PURPOSE_BIT of each purpose */
    uint64_t rep_first, rep_last;
    uint64_t block_first, block_last;
    const char *count;         /* what indexes it from rep_first (a scenario key or a unit), or NULL for fixed keys */
} clv_stream_space;

/* The registry: *n (when n is not NULL) gets CLV_SPACE_N, and row id is
 * namespace id. */
const clv_stream_space *clv_stream_spaces(size_t *n);

/* Check that indices 0 .. count - 1 from id's first replication stay in id:
 * CLV_OK, or CLV_EINPUT with a message naming what (a scenario key or a
 * unit, e.g. "agent.episodes") went past the namespace. */
int clv_stream_space_check(clv_stream_space_id id, uint64_t count, const char *what, clv_error *err);

#ifdef __cplusplus
}
#endif
#endif
