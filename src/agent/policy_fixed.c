/* policy_fixed.c - the fixed policies: none, blanket coupons, random, the RFM rule and the LTV threshold. */
#include "clvsim/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "clvsim/btyd.h"
#include "clvsim/rng.h"
#include "clvsim/streams.h"

enum { FIX_NONE, FIX_BLANKET, FIX_RANDOM, FIX_RFM, FIX_LTV };

typedef struct fixed {
    int kind;
    int level;                  /* coupon level of blanket and rfm */
    int n_coupons, n_prices;
    double probability;         /* random */
    double quantile;            /* rfm, ltv-threshold */
    clv_btyd_value ltv;         /* ltv-threshold */
    uint64_t seed;
    char name[CLV_NAME_MAX + 16];
    double *spend;              /* rfm: the at-risk customers' spend; ltv-threshold: the LTV estimates
                                   (sorted) and, after them, in customer order; grown to the capacity */
    size_t cap;
} fixed;

static int act_fixed(void *ctx, const clv_sim *s, const clv_sim_obs *obs, size_t n, clv_action *act, clv_error *err)
{
    fixed *f = ctx;
    const uint8_t list = (uint8_t)clv_sim_list_price(s);
    for (size_t i = 0; i < n; i++)
        act[i] = (clv_action){0, list};
    switch (f->kind) {
    case FIX_NONE:
        break;
    case FIX_BLANKET:
        for (size_t i = 0; i < n; i++)
            act[i].coupon = (uint8_t)f->level;
        break;
    case FIX_RANDOM:
        for (size_t i = 0; i < n; i++) {
            clv_rng r;
            clv_rng_seed(&r, (clv_stream_key){f->seed, CLV_STREAM_EXPLORATION,
                                              clv_rep_random_policy((uint64_t)clv_sim_epoch(s)), i});
            if (clv_rng_uniform(&r) < f->probability) {
                act[i].coupon = (uint8_t)(1 + clv_rng_next(&r) % (uint64_t)f->n_coupons);
                act[i].price = (uint8_t)(clv_rng_next(&r) % (uint64_t)f->n_prices);
            }
        }
        break;
    case FIX_RFM:
    case FIX_LTV: {
        /* the quantile of the at-risk customers' spend, or of every
         * customer's LTV estimate, then the rule */
        const size_t need = clv_sim_capacity(s) > n ? clv_sim_capacity(s) : n;
        if (2 * need > f->cap) {
            double *ns = realloc(f->spend, 2 * need * sizeof *ns);
            if (!ns)
                return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
            f->spend = ns;
            f->cap = 2 * need;
        }
        double *sorted = f->spend, *value = f->spend + need;
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            const int eligible = f->kind == FIX_LTV || obs[i].stage == CLV_STAGE_AT_RISK;
            value[i] = f->kind == FIX_LTV ? clv_btyd_value_of(&f->ltv, &obs[i]) : obs[i].total_spend;
            if (eligible)
                sorted[m++] = value[i];
        }
        if (m == 0)
            break;
        gsl_sort(sorted, 1, m);
        double threshold = gsl_stats_quantile_from_sorted_data(sorted, 1, m, f->quantile);
        for (size_t i = 0; i < n; i++)
            if ((f->kind == FIX_LTV || obs[i].stage == CLV_STAGE_AT_RISK) && value[i] >= threshold)
                act[i].coupon = (uint8_t)f->level;
        break;
    }
    }
    return CLV_OK;
}

static void release_fixed(void *ctx)
{
    fixed *f = ctx;
    if (f)
        free(f->spend);
    free(f);
}

/* the rule of kind with coupon level `level`, after the checks every fixed
 * rule shares */
static int make_fixed(const clv_scenario *scn, int kind, int level, const clv_policy_args *args, clv_policy *out,
                      clv_error *err)
{
    memset(out, 0, sizeof *out);
    const clv_scn_interventions *iv = &scn->interventions;
    if ((kind == FIX_RANDOM || kind == FIX_RFM || kind == FIX_LTV) && iv->n_coupons == 0)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "policy", "\"%s\" sends coupons, but the scenario has none",
                             args->name);
    if ((kind == FIX_RFM || kind == FIX_LTV) && level > iv->n_coupons)
        return clv_error_set(err, CLV_EINPUT, NULL, 0,
                             kind == FIX_RFM ? "evaluation.rfm.coupon" : "evaluation.ltv_threshold.coupon",
                             "expected a coupon level in 1..%d, got %d", iv->n_coupons, level);
    if (kind == FIX_BLANKET && (level < 1 || level > iv->n_coupons))
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "policy",
                             "expected blanket-K with K a coupon level in 1..%d, got \"%s\"", iv->n_coupons,
                             args->name);
    fixed *f = calloc(1, sizeof *f);
    if (!f)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    f->kind = kind;
    f->level = level;
    f->n_coupons = iv->n_coupons;
    f->n_prices = iv->n_prices;
    f->probability = scn->evaluation.random_coupon_probability;
    f->quantile = kind == FIX_LTV ? scn->evaluation.ltv_quantile : scn->evaluation.rfm_value_quantile;
    clv_btyd_value_init(&f->ltv, scn);
    f->seed = args->seed;
    snprintf(f->name, sizeof f->name, "%s", args->name);
    out->name = f->name;
    out->act = act_fixed;
    out->ctx = f;
    out->release = release_fixed;
    return CLV_OK;
}

static int make_none(const clv_scenario *scn, const clv_policy_args *a, clv_policy *out, clv_error *err)
{
    return make_fixed(scn, FIX_NONE, 0, a, out, err);
}

static int make_blanket(const clv_scenario *scn, const clv_policy_args *a, clv_policy *out, clv_error *err)
{
    return make_fixed(scn, FIX_BLANKET, a->level, a, out, err);
}

static int make_random(const clv_scenario *scn, const clv_policy_args *a, clv_policy *out, clv_error *err)
{
    return make_fixed(scn, FIX_RANDOM, 0, a, out, err);
}

static int make_rfm(const clv_scenario *scn, const clv_policy_args *a, clv_policy *out, clv_error *err)
{
    return make_fixed(scn, FIX_RFM, scn->evaluation.rfm_coupon, a, out, err);
}

static int make_ltv(const clv_scenario *scn, const clv_policy_args *a, clv_policy *out, clv_error *err)
{
    return make_fixed(scn, FIX_LTV, scn->evaluation.ltv_coupon, a, out, err);
}

/* the entries of the policy type table (policy_types.c) */
const clv_policy_type clv__policy_none = {"none", "no campaign: no coupon, list price", CLV_POLICY_NONE,
                                          CLV_PK_FIXED, 0, -1, -1, make_none};
const clv_policy_type clv__policy_blanket = {"blanket", "the same coupon to every customer at every epoch, one policy "
                                             "per coupon level (blanket-K)", CLV_POLICY_BLANKET, CLV_PK_FIXED, 1, -1,
                                             -1, make_blanket};
const clv_policy_type clv__policy_random = {"random", "a coupon with evaluation.random_coupon_probability, of a "
                                            "random level at a random price", CLV_POLICY_RANDOM, CLV_PK_FIXED, 0, -1,
                                            -1, make_random};
const clv_policy_type clv__policy_rfm = {"rfm", "a coupon to the at-risk customers of high past spend",
                                         CLV_POLICY_RFM, CLV_PK_FIXED, 0, -1, -1, make_rfm};
const clv_policy_type clv__policy_ltv_threshold = {"ltv-threshold", "a coupon to the customers whose LTV estimate "
                                                   "is above a quantile", CLV_POLICY_LTV_THRESHOLD, CLV_PK_FIXED, 0,
                                                   -1, -1, make_ltv};

int clv_policy_fixed(const clv_scenario *scn, const char *name, uint64_t seed, clv_policy *out, clv_error *err)
{
    memset(out, 0, sizeof *out);
    int level = 0;
    const clv_policy_type *t = clv_policy_type_named(name, &level);
    /* a per-coupon kind goes by NAME-K only ("blanket" alone is no policy) */
    if (t && t->per_coupon && strcmp(name, t->name) == 0)
        t = NULL;
    if (t && t->how != CLV_PK_FIXED)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "policy",
                             "\"%s\" is learned from simulated episodes, not a fixed rule: clvsim run "
                             "trains and evaluates it (C API: clv_policy_table)", name);
    if (!t) {
        /* "none, blanket-K (K in 1..3), random, rfm or ltv-threshold", from the table */
        char acc[400] = "";
        size_t n_fixed = 0, k = 0;
        for (size_t i = 0; clv_policy_types[i]; i++)
            n_fixed += clv_policy_types[i]->how == CLV_PK_FIXED;
        for (size_t i = 0; clv_policy_types[i]; i++) {
            const clv_policy_type *f = clv_policy_types[i];
            if (f->how != CLV_PK_FIXED)
                continue;
            const size_t l = strlen(acc);
            k++;
            if (f->per_coupon)
                snprintf(acc + l, sizeof acc - l, "%s%s-K (K in 1..%d)", k == 1 ? "" : k == n_fixed ? " or " : ", ",
                         f->name, scn->interventions.n_coupons);
            else
                snprintf(acc + l, sizeof acc - l, "%s%s", k == 1 ? "" : k == n_fixed ? " or " : ", ", f->name);
        }
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "policy", "unknown policy \"%s\"; expected %s", name, acc);
    }
    const clv_policy_args args = {name, seed, level, NULL, NULL, 0};
    return t->make(scn, &args, out, err);
}
