/* policy_fixed.c - the fixed policies: none, blanket coupons, random, the RFM rule, the LTV threshold, the price levels and the welcome coupon. */
#include "clvsim/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "clvsim/rng.h"
#include "clvsim/streams.h"

enum { FIX_NONE, FIX_BLANKET, FIX_RANDOM, FIX_RFM, FIX_LTV, FIX_PRICE, FIX_WELCOME };

typedef struct fixed {
    int kind;
    int level;                  /* coupon level of blanket, rfm, ltv-threshold and welcome; price: the price level's index */
    int n_coupons, n_prices;
    double probability;         /* random */
    double quantile;            /* rfm, ltv-threshold */
    clv_ltv_source *ltv;        /* ltv-threshold: its own copy of the LTV source (one worker) */
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
    case FIX_PRICE:
        for (size_t i = 0; i < n; i++)
            act[i].price = (uint8_t)f->level;
        break;
    case FIX_WELCOME:
        for (size_t i = 0; i < n; i++)
            if (obs[i].stage == CLV_STAGE_NEW)
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
        int st = f->kind == FIX_LTV ? clv_ltv_source_fill(f->ltv, 0, obs, n, value, NULL, err) : CLV_OK;
        if (st != CLV_OK)
            return st;
        for (size_t i = 0; i < n; i++) {
            const int eligible = f->kind == FIX_LTV || obs[i].stage == CLV_STAGE_AT_RISK;
            if (f->kind != FIX_LTV)
                value[i] = obs[i].total_spend;
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
    if (f) {
        free(f->spend);
        clv_ltv_source_free(f->ltv);
    }
    free(f);
}

/* the rule of kind with coupon level `level`, after the checks every fixed
 * rule shares */
static int make_fixed(const clv_scenario *scn, int kind, int level, const clv_policy_args *args, clv_policy *out,
                      clv_error *err)
{
    memset(out, 0, sizeof *out);
    const clv_scn_interventions *iv = &scn->interventions;
    if ((kind == FIX_RANDOM || kind == FIX_RFM || kind == FIX_LTV || kind == FIX_WELCOME) && iv->n_coupons == 0)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "policy", "\"%s\" sends coupons, but the scenario has none",
                             args->name);
    if ((kind == FIX_RFM || kind == FIX_LTV || kind == FIX_WELCOME) && level > iv->n_coupons)
        return clv_error_set(err, CLV_EINPUT, NULL, 0,
                             kind == FIX_RFM ? "evaluation.rfm.coupon"
                             : kind == FIX_LTV ? "evaluation.ltv_threshold.coupon"
                                               : "evaluation.welcome.coupon",
                             "expected a coupon level in 1..%d, got %d", iv->n_coupons, level);
    if (kind == FIX_BLANKET && (level < 1 || level > iv->n_coupons))
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "policy",
                             "expected blanket-K with K a coupon level in 1..%d, got \"%s\"", iv->n_coupons,
                             args->name);
    if (kind == FIX_PRICE && (level >= iv->n_prices || iv->prices[level] == 1.0))
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "policy",
                             "expected price-K with K a price level in 1..%d other than list (%d), got \"%s\"",
                             iv->n_prices, clv_scn_list_price(scn) + 1, args->name);
    fixed *f = calloc(1, sizeof *f);
    if (!f)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    f->kind = kind;
    f->level = level;
    f->n_coupons = iv->n_coupons;
    f->n_prices = iv->n_prices;
    f->probability = scn->evaluation.random_coupon_probability;
    f->quantile = kind == FIX_LTV ? scn->evaluation.ltv_quantile : scn->evaluation.rfm_value_quantile;
    if (kind == FIX_LTV) {
        f->ltv = args->ltv ? clv_ltv_source_copy(args->ltv, 1, err) : clv_ltv_source_new(scn, NULL, 1, err);
        if (!f->ltv) {
            free(f);
            return err ? err->code : CLV_ENOMEM;
        }
    }
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

static int make_welcome(const clv_scenario *scn, const clv_policy_args *a, clv_policy *out, clv_error *err)
{
    return make_fixed(scn, FIX_WELCOME, scn->evaluation.welcome_coupon, a, out, err);
}

/* price-up (dir 1) and price-down (dir -1): the nearest level above or below list */
static int make_price_step(const clv_scenario *scn, int dir, const clv_policy_args *a, clv_policy *out,
                           clv_error *err)
{
    const int level = clv_scn_price_step(scn, dir);
    const char *side = dir > 0 ? "above" : "below";
    if (level < 0) {
        memset(out, 0, sizeof *out);
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "policy",
                             "\"%s\" sets the nearest price level %s list, but interventions.prices has no level "
                             "%s 1.0; expected a level %s 1.0 in interventions.prices", a->name, side, side, side);
    }
    return make_fixed(scn, FIX_PRICE, level, a, out, err);
}

static int make_price_up(const clv_scenario *scn, const clv_policy_args *a, clv_policy *out, clv_error *err)
{
    return make_price_step(scn, 1, a, out, err);
}

static int make_price_down(const clv_scenario *scn, const clv_policy_args *a, clv_policy *out, clv_error *err)
{
    return make_price_step(scn, -1, a, out, err);
}

/* price-K: level K (1-based; 0, an unparsed K, is out of range) */
static int make_prices(const clv_scenario *scn, const clv_policy_args *a, clv_policy *out, clv_error *err)
{
    return make_fixed(scn, FIX_PRICE, a->level >= 1 ? a->level - 1 : CLV_MAX_PRICES, a, out, err);
}

/* the entries of the policy type table (policy_types.c) */
const clv_policy_type clv__policy_none = {"none", "no campaign: no coupon, list price", CLV_POLICY_NONE,
                                          CLV_PK_FIXED, CLV_PER_NONE, NULL, -1, -1, make_none, 0};
const clv_policy_type clv__policy_blanket = {"blanket", "the same coupon to every customer at every epoch, one policy "
                                             "per coupon level (blanket-K)", CLV_POLICY_BLANKET, CLV_PK_FIXED,
                                             CLV_PER_COUPON, "blanket", -1, -1, make_blanket, 0};
const clv_policy_type clv__policy_random = {"random", "a coupon with evaluation.random_coupon_probability, of a "
                                            "random level at a random price", CLV_POLICY_RANDOM, CLV_PK_FIXED,
                                            CLV_PER_NONE, NULL, -1, -1, make_random, 0};
const clv_policy_type clv__policy_rfm = {"rfm", "a coupon to the at-risk customers of high past spend",
                                         CLV_POLICY_RFM, CLV_PK_FIXED, CLV_PER_NONE, NULL, -1, -1, make_rfm, 0};
const clv_policy_type clv__policy_ltv_threshold = {"ltv-threshold", "a coupon to the customers whose LTV estimate "
                                                   "is above a quantile", CLV_POLICY_LTV_THRESHOLD, CLV_PK_FIXED,
                                                   CLV_PER_NONE, NULL, -1, -1, make_ltv, 0};
const clv_policy_type clv__policy_price_up = {"price-up", "every customer at the nearest price level above list, "
                                              "no coupon", CLV_POLICY_PRICE_UP, CLV_PK_FIXED, CLV_PER_NONE, NULL,
                                              -1, -1, make_price_up, 0};
const clv_policy_type clv__policy_price_down = {"price-down", "every customer at the nearest price level below "
                                                "list, no coupon", CLV_POLICY_PRICE_DOWN, CLV_PK_FIXED,
                                                CLV_PER_NONE, NULL, -1, -1, make_price_down, 0};
const clv_policy_type clv__policy_prices = {"prices", "every customer at one price level, no coupon, one policy per "
                                            "price level other than list (price-K)", CLV_POLICY_PRICES,
                                            CLV_PK_FIXED, CLV_PER_PRICE, "price", -1, -1, make_prices, 0};

const clv_policy_type clv__policy_welcome = {"welcome", "a coupon to every customer in the lifecycle stage new, "
                                             "at list price", CLV_POLICY_WELCOME, CLV_PK_FIXED, CLV_PER_NONE, NULL,
                                             -1, -1, make_welcome, 0};

int clv_policy_fixed(const clv_scenario *scn, const char *name, uint64_t seed, clv_policy *out, clv_error *err)
{
    memset(out, 0, sizeof *out);
    int level = 0;
    const clv_policy_type *t = clv_policy_type_named(name, &level);
    /* a per-level kind goes by STEM-K only ("blanket" or "prices" alone is no policy) */
    if (t && t->per_level != CLV_PER_NONE && strcmp(name, t->name) == 0)
        t = NULL;
    if (t && t->how == CLV_PK_BOUND)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "policy",
                             "\"%s\" is a yardstick that sees the latent state, not a fixed rule: clvsim run "
                             "evaluates it (C API: its entry of clv_policy_types)", name);
    if (t && t->how != CLV_PK_FIXED)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "policy",
                             "\"%s\" is learned from simulated episodes, not a fixed rule: clvsim run "
                             "trains and evaluates it (C API: clv_policy_table)", name);
    if (!t) {
        /* "none, blanket-K (K in 1..3), random, ..., price-down or price-K (K in 1..3, not 2)", from the table */
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
            const char *sep = k == 1 ? "" : k == n_fixed ? " or " : ", ";
            if (f->per_level == CLV_PER_COUPON)
                snprintf(acc + l, sizeof acc - l, "%s%s-K (K in 1..%d)", sep, f->stem, scn->interventions.n_coupons);
            else if (f->per_level == CLV_PER_PRICE)
                snprintf(acc + l, sizeof acc - l, "%s%s-K (K in 1..%d, not %d)", sep, f->stem,
                         scn->interventions.n_prices, clv_scn_list_price(scn) + 1);
            else
                snprintf(acc + l, sizeof acc - l, "%s%s", sep, f->name);
        }
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "policy", "unknown policy \"%s\"; expected %s", name, acc);
    }
    const clv_policy_args args = {.name = name, .seed = seed, .level = level};
    return t->make(scn, &args, out, err);
}
