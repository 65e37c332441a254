/* policy_fixed.c - the fixed policies: none, blanket coupons, random and the RFM rule. */
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

int clv_policy_fixed(const clv_scenario *scn, const char *name, uint64_t seed, clv_policy *out, clv_error *err)
{
    memset(out, 0, sizeof *out);
    const clv_scn_interventions *iv = &scn->interventions;
    int kind, level = 0;
    if (strcmp(name, "none") == 0) {
        kind = FIX_NONE;
    } else if (strncmp(name, "blanket-", 8) == 0) {
        char *end;
        long k = strtol(name + 8, &end, 10);
        if (*end || end == name + 8 || k < 1 || k > iv->n_coupons)
            return clv_error_set(err, CLV_EINPUT, NULL, 0, "policy",
                                 "expected blanket-K with K a coupon level in 1..%d, got \"%s\"", iv->n_coupons, name);
        kind = FIX_BLANKET;
        level = (int)k;
    } else if (strcmp(name, "random") == 0) {
        kind = FIX_RANDOM;
    } else if (strcmp(name, "rfm") == 0) {
        kind = FIX_RFM;
        level = scn->evaluation.rfm_coupon;
    } else if (strcmp(name, "ltv-threshold") == 0) {
        kind = FIX_LTV;
        level = scn->evaluation.ltv_coupon;
    } else {
        static const char *const later[] = {"greedy", "q-learning", "sarsa", "expected-sarsa", "oracle"};
        for (size_t i = 0; i < sizeof later / sizeof later[0]; i++)
            if (strcmp(name, later[i]) == 0)
                return clv_error_set(err, CLV_EINPUT, NULL, 0, "policy",
                                     "\"%s\" is learned from simulated episodes, not a fixed rule: clvsim run "
                                     "trains and evaluates it (C API: clv_policy_table)", name);
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "policy",
                             "unknown policy \"%s\"; expected none, blanket-K (K in 1..%d), random, rfm or "
                             "ltv-threshold", name,
                             iv->n_coupons);
    }
    if ((kind == FIX_RANDOM || kind == FIX_RFM || kind == FIX_LTV) && iv->n_coupons == 0)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "policy", "\"%s\" sends coupons, but the scenario has none",
                             name);
    if ((kind == FIX_RFM || kind == FIX_LTV) && level > iv->n_coupons)
        return clv_error_set(err, CLV_EINPUT, NULL, 0,
                             kind == FIX_RFM ? "evaluation.rfm.coupon" : "evaluation.ltv_threshold.coupon",
                             "expected a coupon level in 1..%d, got %d", iv->n_coupons, level);
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
    f->seed = seed;
    snprintf(f->name, sizeof f->name, "%s", name);
    out->name = f->name;
    out->act = act_fixed;
    out->ctx = f;
    out->release = release_fixed;
    return CLV_OK;
}
