/* own_policy.c - a researcher's own policies evaluated beside clvsim's on the
 * same simulated customers, through the C API only.
 *
 *   build/examples/own_policy [SCENARIO] [REPLICATIONS]
 *
 * Policies: no campaign (clvsim's "none"); a price 5% above list for every
 * customer, no coupon; and, as a benchmark no real campaign can have, the
 * first coupon level sent only to the customers the simulator knows to be
 * persuadable (ground truth).  It prints each one's net margin and its
 * paired difference against no campaign with 95% intervals. */
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include "clvsim/clvsim.h"

/* the price level closest to 1.05 x list for everyone */
static int price_up(void *ctx, const clv_sim *s, const clv_sim_obs *obs, size_t n, clv_action *a, clv_error *err)
{
    (void)obs, (void)err;
    const uint8_t level = *(const uint8_t *)ctx;
    (void)s;
    for (size_t i = 0; i < n; i++)
        a[i] = (clv_action){0, level};
    return CLV_OK;
}

/* coupon level 1 to the persuadables that are alive (ground truth) */
static int persuadables(void *ctx, const clv_sim *s, const clv_sim_obs *obs, size_t n, clv_action *a,
                        clv_error *err)
{
    (void)ctx, (void)obs, (void)err;
    const uint8_t list = (uint8_t)clv_sim_list_price(s);
    for (size_t i = 0; i < n; i++)
        a[i] = (clv_action){(uint8_t)(clv_sim_segment(s, i) == CLV_SEG_PERSUADABLE && clv_sim_alive(s, i)), list};
    return CLV_OK;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    const char *path = argc > 1 ? argv[1] : "scenarios/holiday.cfg";
    const char *reps = argc > 2 ? argv[2] : "6";
    clv_scn_override ov[] = {{"evaluation.replications", reps, "REPLICATIONS"}};
    clv_scenario scn;
    clv_error err;
    if (clv_scn_load(path, ov, 1, &scn, &err) != CLV_OK) {
        fprintf(stderr, "own_policy: %s:%d: %s: %s\n", err.file, err.line, err.field, err.msg);
        return 2;
    }
    uint8_t up = 0; /* the highest price level at most 1.05 */
    for (int k = 0; k < scn.interventions.n_prices; k++)
        if (scn.interventions.prices[k] <= 1.05 + 1e-12 && scn.interventions.prices[k] > scn.interventions.prices[up])
            up = (uint8_t)k;
    clv_policy pol[3];
    if (clv_policy_fixed(&scn, "none", (uint64_t)scn.scenario.seed, &pol[0], &err) != CLV_OK) {
        fprintf(stderr, "own_policy: %s\n", err.msg);
        return 1;
    }
    pol[1] = (clv_policy){"price-up", price_up, &up, NULL, NULL};
    pol[2] = (clv_policy){"coupon-to-persuadables", persuadables, NULL, NULL, NULL};
    clv_evaluation ev;
    if (clv_evaluate(&scn, pol, 3, NULL, &ev, &err) != CLV_OK) {
        fprintf(stderr, "own_policy: %s\n", err.msg);
        return 1;
    }
    printf("%s, %zu replications, net margin (%s) and the paired difference against no campaign, 95%% intervals\n",
           scn.scenario.name, ev.replications, scn.economics.currency);
    for (size_t p = 0; p < 3; p++) {
        clv_interval m, d;
        clv_eval_interval(&ev, p, CLV_M_NET_MARGIN, 0.95, &m);
        clv_eval_paired(&ev, p, 0, CLV_M_NET_MARGIN, 0.95, &d);
        printf("  %-24s %10.0f [%.0f, %.0f]   %+9.0f [%+.0f, %+.0f]\n", pol[p].name, m.mean, m.lo, m.hi, d.mean, d.lo,
               d.hi);
    }
    clv_evaluation_free(&ev);
    clv_policy_free(&pol[0]);
    return 0;
}
