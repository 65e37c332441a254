/* price_up.c - a plugin of the suite (test_cli_run_policy_plugin): the
 * built-in policy price-up rewritten outside clvsim (the nearest price level
 * above list for everyone, no coupon), so that the suite can check
 * that a plugin's policy is evaluated on the same worlds as the built-in one
 * (its row of summary.csv equal to price-up's).  Its make fails on purpose
 * when the scenario's name is "plugin-fails". */
#include <stdlib.h>
#include <string.h>

#include "clvsim/plugin.h"

static int act(void *ctx, const clv_sim *s, const clv_sim_obs *obs, size_t n, clv_action *a, clv_error *err)
{
    (void)s, (void)obs, (void)err;
    const uint8_t level = *(const uint8_t *)ctx;
    for (size_t i = 0; i < n; i++)
        a[i] = (clv_action){0, level};
    return CLV_OK;
}

static int make(const clv_scenario *scn, clv_policy *out, clv_error *err)
{
    if (strcmp(scn->scenario.name, "plugin-fails") == 0)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "refused on purpose (scenario plugin-fails)");
    uint8_t *level = malloc(1);
    if (!level)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    const int up = clv_scn_price_step(scn, 1); /* the nearest level above list, as price-up takes */
    if (up < 0) {
        free(level);
        return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "no price level above list");
    }
    *level = (uint8_t)up;
    memset(out, 0, sizeof *out);
    out->name = "my-price-up";
    out->act = act;
    out->ctx = level;
    out->release = free;
    return CLV_OK;
}

static const clv_policy_plugin plugin = {CLV_PLUGIN_ABI, "my-price-up", "my price-up (plugin)",
                                         "price-up rewritten as a plugin", make};

const clv_policy_plugin *clvsim_policy_plugin(void);
const clv_policy_plugin *clvsim_policy_plugin(void) { return &plugin; }
