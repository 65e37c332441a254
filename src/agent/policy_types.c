/* policy_types.c - the policy type table: one entry per kind of evaluation.policies, and its lookups. */
#include "clvsim/policy.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* The entries live beside their code (policy_fixed.c, policy_table.c), one
 * per line of clvsim/policy_kinds.h, in its order. */
#define POLICY_DECL(id, name, sym) extern const clv_policy_type clv__policy_##sym;
CLV_POLICY_KINDS(POLICY_DECL)
#undef POLICY_DECL

#define POLICY_ENTRY(id, name, sym) &clv__policy_##sym,
const clv_policy_type *const clv_policy_types[] = {CLV_POLICY_KINDS(POLICY_ENTRY) NULL};
#undef POLICY_ENTRY

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
