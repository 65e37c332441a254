/* clvsim/rng.h - deterministic random streams keyed by (seed, purpose, replication, block).
 *
 * The reproducibility rule of clvsim: every random draw comes from a stream
 * whose state is a pure function of a key
 *
 *     (master seed, purpose, replication, block)
 *
 * and never of a thread, a clock or the order in which work happens.  A
 * "purpose" separates the kinds of randomness (population traits, customer
 * behaviour, acquisition, agent exploration, network initialisation, ...), a
 * "replication" is an episode or an evaluation replication, and a "block" is
 * a fixed-size block of customers (or any other unit of work that does not
 * depend on the thread count).  Work is split into such units, each unit
 * seeds its own stream, results are stored per unit and reduced in unit
 * order, so 1 thread and 16 threads give bit-identical results.
 *
 * The generator is xoshiro256** (Blackman and Vigna, 2018): 256 bits of state,
 * period 2^256 - 1, about 1 ns a draw.  A key is mixed into 64 bits with the
 * splitmix64 finaliser and the state is filled from splitmix64, so all 64
 * bits of the seed matter (GSL's mt19937 and taus2 keep only 32, and map
 * seed 0 to a default).  It is also exposed as a gsl_rng_type, so the GSL
 * distributions (gsl_ran_gamma, gsl_ran_poisson, ...) draw from clvsim
 * streams: clv_rng_gsl() gives the clv_rng inside a gsl_rng for hot loops.
 *
 * Thread safety: a clv_rng or gsl_rng must be used by one thread at a time;
 * distinct streams need no locking.  Keep per-thread states on separate cache
 * lines (clv_rng is 32 bytes; an array of them shares lines).
 */
#ifndef CLVSIM_RNG_H
#define CLVSIM_RNG_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Purposes of randomness.  Values are part of the reproducibility contract:
 * never renumber them, only add. */
typedef enum clv_stream_purpose {
    CLV_STREAM_POPULATION = 1,   /* latent traits of customers */
    CLV_STREAM_BEHAVIOUR = 2,    /* purchases, spend, dropout, responses */
    CLV_STREAM_ACQUISITION = 3,  /* arrivals of new customers */
    CLV_STREAM_EXPLORATION = 4,  /* an agent's or a random policy's choices */
    CLV_STREAM_LTV = 5,          /* network initialisation, shuffling, dropout */
    CLV_STREAM_FIT = 6,          /* starting points of likelihood maximisation */
    CLV_STREAM_SPLIT = 7,        /* train/validation/holdout splits */
    CLV_STREAM_RELUCK = 8,       /* a state's future luck drawn anew (clv_sim_reluck) */
    CLV_STREAM_QFUNC = 9,        /* a Q-network's initial weights, experience replay's mini-batches (qfunc.h) */
    CLV_STREAM_USER = 1000       /* first value free for researchers' own purposes */
} clv_stream_purpose;

/* The key of a stream. */
typedef struct clv_stream_key {
    uint64_t seed;         /* master seed of the run (scenario.seed or --seed) */
    uint32_t purpose;      /* a clv_stream_purpose */
    uint64_t replication;  /* episode or replication index */
    uint64_t block;        /* customer block or other work unit */
} clv_stream_key;

/* xoshiro256** state.  Plain data: copy it to fork a stream's position. */
typedef struct clv_rng {
    uint64_t s[4];
} clv_rng;

/* splitmix64 step: advances *x and returns the next output (Steele, Lea and
 * Flood, 2014).  Used to expand keys into generator states. */
uint64_t clv_splitmix64(uint64_t *x);

/* Mix a key into 64 bits.  Distinct keys give distinct values except with
 * probability about n^2 / 2^65 among n keys. */
uint64_t clv_stream_hash(clv_stream_key key);

/* Set *r to the start of the stream with this key. */
void clv_rng_seed(clv_rng *r, clv_stream_key key);

/* Set *r from a single 64-bit seed (all 64 bits used). */
void clv_rng_seed64(clv_rng *r, uint64_t seed);

static inline uint64_t clv__rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* Next 64 random bits. */
static inline uint64_t clv_rng_next(clv_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = clv__rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = clv__rotl(s[3], 45);
    return out;
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double clv_rng_uniform(clv_rng *r)
{
    return (double)(clv_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform double in (0, 1): never 0, so log() of it is finite. */
static inline double clv_rng_uniform_pos(clv_rng *r)
{
    return ((double)(clv_rng_next(r) >> 11) + 0.5) * 0x1.0p-53;
}

/* The GSL generator type "clv-xoshiro256**".  gsl_rng_set(g, s) seeds it from
 * the 64-bit value s with clv_rng_seed64. */
extern const gsl_rng_type *clv_gsl_rng_xoshiro256ss;

/* Allocate a GSL generator of type clv_gsl_rng_xoshiro256ss set to the
 * stream of key.  Returns NULL when out of memory.  Free with gsl_rng_free. */
gsl_rng *clv_gsl_rng_alloc(clv_stream_key key);

/* Reset a generator made by clv_gsl_rng_alloc to the stream of key. */
void clv_gsl_rng_seed(gsl_rng *g, clv_stream_key key);

/* The clv_rng state inside a generator made by clv_gsl_rng_alloc, so that a
 * hot loop can draw inline and still share the stream with gsl_ran_*. */
clv_rng *clv_rng_gsl(gsl_rng *g);

#ifdef __cplusplus
}
#endif
#endif
