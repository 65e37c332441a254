/* rng.c - keyed xoshiro256** streams and their GSL generator type. */
#include "clvsim/rng.h"

#include <string.h>

#include "clvsim/streams.h"

uint64_t clv_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The splitmix64 output function alone: a bijection of 64-bit words. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t clv_stream_hash(clv_stream_key key)
{
    /* Chain the components through the bijective mixer, each offset by a
     * distinct odd constant, so that swapping components changes the hash
     * (key (1,2,..) and (2,1,..) differ). */
    uint64_t h = mix64(key.seed + 0x9e3779b97f4a7c15ULL);
    h = mix64(h ^ ((uint64_t)key.purpose + 0xd1b54a32d192ed03ULL));
    h = mix64(h ^ (key.replication + 0x8cb92ba72f3d8dd7ULL));
    h = mix64(h ^ (key.block + 0xaef17502108ef2d9ULL));
    return h;
}

void clv_rng_seed64(clv_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = clv_splitmix64(&x);
    /* the all-zero state is the one state xoshiro cannot leave; splitmix64
     * cannot produce four zeros in a row, but guard the invariant anyway */
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
        r->s[0] = 1;
}

void clv_rng_seed(clv_rng *r, clv_stream_key key)
{
    clv_rng_seed64(r, clv_stream_hash(key));
}

/* ---- the GSL generator type ------------------------------------------- */

static void gsl_set(void *state, unsigned long int seed)
{
    clv_rng_seed64((clv_rng *)state, (uint64_t)seed);
}

static unsigned long int gsl_get(void *state)
{
    return (unsigned long int)clv_rng_next((clv_rng *)state);
}

static double gsl_get_double(void *state)
{
    return clv_rng_uniform((clv_rng *)state);
}

/* GSL's interfaces take unsigned long; clvsim requires it to hold 64 bits
 * (LP64 platforms: Linux, macOS, the BSDs on 64-bit machines). */
_Static_assert(sizeof(unsigned long int) >= 8, "clvsim needs a 64-bit unsigned long");

static const gsl_rng_type xoshiro_type = {
    "clv-xoshiro256**", 0xffffffffffffffffUL, 0, sizeof(clv_rng), gsl_set, gsl_get, gsl_get_double,
};

const gsl_rng_type *clv_gsl_rng_xoshiro256ss = &xoshiro_type;

gsl_rng *clv_gsl_rng_alloc(clv_stream_key key)
{
    gsl_rng *g = gsl_rng_alloc(&xoshiro_type);
    if (g)
        clv_gsl_rng_seed(g, key);
    return g;
}

void clv_gsl_rng_seed(gsl_rng *g, clv_stream_key key)
{
    clv_rng_seed((clv_rng *)g->state, key);
}

clv_rng *clv_rng_gsl(gsl_rng *g)
{
    return g->type == &xoshiro_type ? (clv_rng *)g->state : NULL;
}

/* ---- the registry of namespaces (clvsim/streams.h) -------------------- */

#define WORLDS                                                                              \
    (CLV_PURPOSE_BIT(CLV_STREAM_POPULATION) | CLV_PURPOSE_BIT(CLV_STREAM_BEHAVIOUR) | \
     CLV_PURPOSE_BIT(CLV_STREAM_ACQUISITION))
#define EXPLORE CLV_PURPOSE_BIT(CLV_STREAM_EXPLORATION)
#define SPACE(first) (uint64_t)(first), (uint64_t)(first) + CLV_WORLDS_PER_SPACE - 1
#define CUSTOMERS 0, CLV_BLOCK_FIRST_PURCHASE - 1
#define ANY 0, UINT64_MAX

static const clv_stream_space spaces[CLV_SPACE_N] = {
    [CLV_SPACE_TRAINING] = {"training", "agent training: episode e simulates world e and explores with block = algorithm (a table's clv_algo, or "
                            "CLV_QF_EXPLORATION_BLOCK + clv_qf_algo)",
                            WORLDS | EXPLORE, SPACE(CLV_WORLD_TRAINING), CUSTOMERS,
                            "agent.episodes (with the episodes of a resumed table)"},
    [CLV_SPACE_ORACLE] = {"oracle", "the oracle's MDP estimation: episode e simulates world 1e6 + e under random actions",
                          WORLDS | EXPLORE, SPACE(CLV_WORLD_ORACLE), CUSTOMERS, "agent.episodes"},
    [CLV_SPACE_EVALUATION] = {"evaluation", "clv_evaluate: replication r is world 2e6 + r", WORLDS,
                              SPACE(CLV_WORLD_EVALUATION), CUSTOMERS, "evaluation.replications"},
    [CLV_SPACE_LTV] = {"ltv", "the LTV predictor's training and holdout worlds and the splits of its customers",
                       WORLDS | CLV_PURPOSE_BIT(CLV_STREAM_SPLIT), SPACE(CLV_WORLD_LTV), CUSTOMERS,
                       "fixed keys (CLV_WORLD_LTV_TRAIN .. CLV_SPLIT_LTV_SEARCH, CLV_SPLIT_LTV_IMPORTANCE, "
                       "CLV_SPLIT_LTV_BACKGROUND)"},
    [CLV_SPACE_BOUNDS] = {"bounds", "reserved for the yardsticks (clairvoyant and other bounds)", WORLDS | EXPLORE,
                          SPACE(CLV_WORLD_BOUNDS), CUSTOMERS, NULL},
    [CLV_SPACE_RELUCK] = {"reluck", "clv_sim_reluck: a state's future luck, replication = the mix of (world, key, epoch)",
                          CLV_PURPOSE_BIT(CLV_STREAM_RELUCK), ANY, 0, CLV_BLOCK_RELUCK_ACQUISITION, NULL},
    [CLV_SPACE_RANDOM_POLICY] = {"random policy", "the random policy's draw for customer i at decision epoch e",
                                 EXPLORE, SPACE(CLV_RANDOM_POLICY_BASE), CUSTOMERS,
                                 "decision epochs (calendar.horizon_days / calendar.epoch_days)"},
    [CLV_SPACE_EXPERIMENT] = {"experiment", "validate's simulated experiment: whether customer i is treated in arm k's run",
                              CLV_PURPOSE_BIT(CLV_STREAM_SPLIT), SPACE(CLV_SPLIT_EXPERIMENT), CUSTOMERS,
                              "arms of response.contact.effects"},
    [CLV_SPACE_VERIFICATION] = {"verification",
                                "the verification of learned and planned policies against none: replication r is "
                                "world 7e6 + r",
                                WORLDS, SPACE(CLV_WORLD_VERIFICATION), CUSTOMERS,
                                "evaluation.verification.replications"},
    [CLV_SPACE_FIRST_PURCHASE] = {"first purchase", "an existing customer's first purchase time, in every world",
                                  CLV_PURPOSE_BIT(CLV_STREAM_POPULATION), ANY, CLV_BLOCK_FIRST_PURCHASE, UINT64_MAX,
                                  NULL},
    [CLV_SPACE_LTV_INIT] = {"ltv init", "a network's initial weights, block = layer", CLV_PURPOSE_BIT(CLV_STREAM_LTV),
                            CLV_LTV_INIT_REP, CLV_LTV_INIT_REP, ANY, NULL},
    [CLV_SPACE_LTV_EPOCHS] = {"ltv epochs", "the order of the examples in a network's epoch e",
                              CLV_PURPOSE_BIT(CLV_STREAM_LTV), CLV_LTV_EPOCH_BASE, CLV_LTV_DROPOUT_BASE - 1, ANY,
                              "ltv.epochs"},
    [CLV_SPACE_LTV_DROPOUT] = {"ltv dropout", "a network's dropout masks at Adam step t, block = layer",
                               CLV_PURPOSE_BIT(CLV_STREAM_LTV), CLV_LTV_DROPOUT_BASE, UINT64_MAX, ANY, "Adam steps"},
    [CLV_SPACE_MLP_SPLIT] = {"mlp split", "clv_mlp_train's validation split", CLV_PURPOSE_BIT(CLV_STREAM_SPLIT),
                             CLV_SPLIT_MLP_REP, CLV_SPLIT_MLP_REP, ANY, NULL},
    [CLV_SPACE_FIT] = {"fit starts", "the random starting points of a likelihood maximisation, block = model",
                       CLV_PURPOSE_BIT(CLV_STREAM_FIT), CLV_FIT_REP, CLV_FIT_REP, ANY, NULL},
    [CLV_SPACE_QF_INIT] = {"qfunc init", "a Q-network's initial weights, block = layer",
                           CLV_PURPOSE_BIT(CLV_STREAM_QFUNC), CLV_QF_INIT_REP, CLV_QF_INIT_REP, ANY, NULL},
    [CLV_SPACE_QF_REPLAY] = {"qfunc replay",
                             "a Q-function agent's replay mini-batches in training episode e, block = algorithm",
                             CLV_PURPOSE_BIT(CLV_STREAM_QFUNC), SPACE(CLV_QF_REPLAY_BASE), ANY,
                             "agent.episodes"},
    [CLV_SPACE_USER_WORLDS] = {"user worlds", "free: a researcher's own worlds", WORLDS | EXPLORE, CLV_WORLD_USER,
                               UINT64_MAX, CUSTOMERS, NULL},
    [CLV_SPACE_USER_PURPOSES] = {"user purposes", "free: a researcher's own purposes (CLV_STREAM_USER and up)",
                                 CLV_PURPOSE_BIT_USER, ANY, ANY, NULL},
};

const clv_stream_space *clv_stream_spaces(size_t *n)
{
    if (n)
        *n = CLV_SPACE_N;
    return spaces;
}

int clv_stream_space_check(clv_stream_space_id id, uint64_t count, const char *what, clv_error *err)
{
    if ((unsigned)id >= CLV_SPACE_N)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "no stream namespace %d", (int)id);
    const clv_stream_space *s = &spaces[id];
    const uint64_t room = s->rep_last - s->rep_first; /* + 1, which may not fit */
    if (count == 0 || count - 1 <= room)
        return CLV_OK;
    return clv_error_set(err, CLV_EINPUT, NULL, 0, what,
                         "%llu is more than the %llu random worlds of the %s namespace (clvsim/streams.h); "
                         "more would reuse the worlds of another use",
                         (unsigned long long)count, (unsigned long long)room + 1, s->name);
}
