/* winback.c - a researcher's own policy as a clvsim plugin: a win-back coupon.
 *
 *   make examples        (builds BUILD/examples/plugins/winback.so)
 *   build/clvsim run scenarios/holiday.cfg --policy-plugin build/examples/plugins/winback.so
 *
 * The rule: the smallest coupon (level 1) to a repeat customer whose last
 * purchase is overdue - more than 1.5 times its own mean gap between
 * purchases ago, and at most 180 days - who holds no valid coupon and was
 * sent none in the last 28 days; list price for everyone.  It sees only
 * what a real campaign would (clv_sim_obs), never the simulator's latent
 * state.  See clvsim/plugin.h for the interface. */
#include <stdlib.h>
#include <string.h>

#include "clvsim/plugin.h"

typedef struct {
    uint8_t list;   /* the list price's level */
    uint8_t coupon; /* 1, or 0 when the scenario has no coupon */
} winback;

static int act(void *ctx, const clv_sim *s, const clv_sim_obs *obs, size_t n, clv_action *a, clv_error *err)
{
    (void)s, (void)err;
    const winback *w = ctx;
    for (size_t i = 0; i < n; i++) {
        const clv_sim_obs *o = &obs[i];
        const int overdue = o->purchases >= 2 && o->mean_gap_days > 0 && o->recency_days > 1.5 * o->mean_gap_days &&
                            o->recency_days <= 180;
        const int rested = !o->holds_coupon && (o->coupon_age_days < 0 || o->coupon_age_days >= 28);
        a[i] = (clv_action){(uint8_t)(overdue && rested ? w->coupon : 0), w->list};
    }
    return CLV_OK;
}

static int make(const clv_scenario *scn, clv_policy *out, clv_error *err)
{
    winback *w = malloc(sizeof *w); /* the study frees it through release */
    if (!w)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    w->list = (uint8_t)clv_scn_list_price(scn);
    w->coupon = scn->interventions.n_coupons > 0 ? 1 : 0;
    memset(out, 0, sizeof *out);
    out->name = "winback";
    out->act = act;
    out->ctx = w;
    out->release = free;
    return CLV_OK;
}

static const clv_policy_plugin plugin = {
    CLV_PLUGIN_ABI, "winback", "win-back coupon (plugin)",
    "the smallest coupon to repeat customers overdue by 1.5 x their mean gap (at most 180 days), none in 28 days",
    make};

const clv_policy_plugin *clvsim_policy_plugin(void);
const clv_policy_plugin *clvsim_policy_plugin(void) { return &plugin; }
