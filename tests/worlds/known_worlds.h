/* known_worlds.h - the known-answer worlds of tests/worlds (README.md there):
 * their files and the policy that is best by construction among those that
 * see only observations.  Shared by the suite (tests/test_bounds.c) and
 * `make bench` (bench/bench_main.c, "bounds"). */
#ifndef CLVSIM_KNOWN_WORLDS_H
#define CLVSIM_KNOWN_WORLDS_H

#include <string.h>

#include "clvsim/study.h"

typedef struct known_world {
    const char *file;       /* from the repository's root */
    const char *optimum;    /* the best observable policy, by construction (a listed policy's name) */
    int observable;         /* 1: the optimum acts (the oracle must reach 90% of it); 0: it is no campaign */
} known_world;

enum { KNOWN_WORLDS = 5 };
static const known_world known_worlds[KNOWN_WORLDS] = {
    {"tests/worlds/a-elastic.cfg", "price-down", 1},
    {"tests/worlds/b-segment.cfg", "welcome", 1},
    {"tests/worlds/c-price.cfg", "price-up", 1},
    {"tests/worlds/d-nothing.cfg", "none", 0},
    {"tests/worlds/e-contact-hurts.cfg", "none", 0},
};

/* the index in s of the policy called name, or -1 */
static inline long known_policy(const clv_study *s, const char *name)
{
    for (size_t p = 0; p < s->n; p++)
        if (strcmp(s->pol[p].name, name) == 0)
            return (long)p;
    return -1;
}

/* policy p's share of the optimum o: its mean paired gain over no campaign
 * divided by o's (NaN when o gains nothing: the worlds where the optimum
 * is no campaign) */
static inline double known_share(const clv_study *s, long p, long o)
{
    clv_eval_bound bp, bo;
    clv_study_bound(s, p, &bp);
    clv_study_bound(s, o, &bo);
    return bo.diff.mean > 0 ? bp.diff.mean / bo.diff.mean : (double)NAN;
}

#endif
