/* policy_types.c - the policy type table: one entry per kind of evaluation.policies, and its lookups. */
#include "clvsim/policy.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* The entries live beside their code (policy_fixed.c, policy_table.c).  A
 * new kind is its file, one line here and its test; the order is
 * clv_policy_kind's (scenario.h), which the schema's names follow. */
extern const clv_policy_type clv__policy_none, clv__policy_blanket, clv__policy_random, clv__policy_rfm,
    clv__policy_ltv_threshold, clv__policy_greedy, clv__policy_q, clv__policy_sarsa, clv__policy_expected_sarsa,
    clv__policy_oracle;

const clv_policy_type *const clv_policy_types[] = {
    &clv__policy_none, &clv__policy_blanket, &clv__policy_random, &clv__policy_rfm, &clv__policy_ltv_threshold,
    &clv__policy_greedy, &clv__policy_q, &clv__policy_sarsa, &clv__policy_expected_sarsa, &clv__policy_oracle,
    NULL};

const clv_policy_type *clv_policy_type_of(int id)
{
    for (size_t i = 0; clv_policy_types[i]; i++)
        if (clv_policy_types[i]->id == id)
            return clv_policy_types[i];
    return NULL;
}

const clv_policy_type *clv_policy_type_named(const char *name, int *level)
{
    if (level)
        *level = 0;
    for (size_t i = 0; clv_policy_types[i]; i++) {
        const clv_policy_type *t = clv_policy_types[i];
        const size_t l = strlen(t->name);
        if (strcmp(name, t->name) == 0)
            return t;
        /* NAME-K of a per-coupon kind: K a positive integer (strtol), else level 0 */
        if (t->per_coupon && strncmp(name, t->name, l) == 0 && name[l] == '-') {
            char *end;
            const long k = strtol(name + l + 1, &end, 10);
            if (level && !*end && end != name + l + 1 && k >= 1 && k <= INT_MAX)
                *level = (int)k;
            return t;
        }
    }
    return NULL;
}
