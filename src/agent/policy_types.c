/* policy_types.c - the policy type table: one entry per kind of evaluation.policies, and its lookups. */
#include "clvsim/policy.h"

#include <limits.h>
#include <stdio.h>
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
    /* a kind's own name first: "price-up" is no price-K */
    for (size_t i = 0; clv_policy_types[i]; i++)
        if (strcmp(name, clv_policy_types[i]->name) == 0)
            return clv_policy_types[i];
    for (size_t i = 0; clv_policy_types[i]; i++) {
        const clv_policy_type *t = clv_policy_types[i];
        /* STEM-K of a per-level kind: K a positive integer (strtol), else level 0 */
        const size_t l = t->stem ? strlen(t->stem) : 0;
        if (t->per_level != CLV_PER_NONE && strncmp(name, t->stem, l) == 0 && name[l] == '-') {
            char *end;
            const long k = strtol(name + l + 1, &end, 10);
            if (level && !*end && end != name + l + 1 && k >= 1 && k <= INT_MAX)
                *level = (int)k;
            return t;
        }
    }
    return NULL;
}

void clv_policy_label(const clv_scenario *scn, const char *name, char *buf, size_t n)
{
    const clv_scn_interventions *iv = &scn->interventions;
    int level = 0, price = -1;
    const clv_policy_type *t = clv_policy_type_named(name, &level);
    const int id = t ? t->id : -1;
    if (id == CLV_POLICY_BLANKET && level >= 1 && level <= iv->n_coupons) {
        snprintf(buf, n, "%s %s", t->stem, iv->coupons[level - 1].name);
        return;
    }
    if (id == CLV_POLICY_PRICES && level >= 1 && level <= iv->n_prices)
        price = level - 1;
    else if (id == CLV_POLICY_PRICE_UP || id == CLV_POLICY_PRICE_DOWN)
        price = clv_scn_price_step(scn, id == CLV_POLICY_PRICE_UP ? 1 : -1);
    if (price >= 0)
        snprintf(buf, n, "%s x%g", id == CLV_POLICY_PRICES ? t->stem : t->name, iv->prices[price]);
    else
        snprintf(buf, n, "%s", name);
}
