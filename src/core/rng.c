/* rng.c - keyed xoshiro256** streams and their GSL generator type. */
#include "clvsim/rng.h"

#include <string.h>

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
