/* calendar.c - the simulated calendar: seasonal multipliers, season time and acquisition rates per day. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clvsim/date.h"
#include "sim_internal.h"

/* 1 when day d lies in window w (the loader has validated its specs) */
static int in_window(const clv_scn_window *w, int32_t d) { return clv_datespec_window(w->start, w->end, d) == 1; }

double clv__window_multiplier(const clv_scenario *scn, int32_t d, int which)
{
    double f = 1;
    if (!scn->seasonality.enabled)
        return 1;
    for (int i = 0; i < scn->seasonality.n_windows; i++) {
        const clv_scn_window *w = &scn->seasonality.windows[i];
        if (in_window(w, d))
            f *= which ? w->acquisition_multiplier : w->purchase_multiplier;
    }
    return f;
}

void clv__calendar_free(clv__calendar *cal)
{
    if (!cal)
        return;
    free(cal->m);
    free(cal->phase);
    memset(cal, 0, sizeof *cal);
}

int clv__calendar_build(const clv_scenario *scn, double scale, clv__calendar *cal, clv_error *err)
{
    memset(cal, 0, sizeof *cal);
    int32_t start;
    clv_date_parse(scn->calendar.start, -1, &start);
    cal->start = start;
    /* at least one day of burn-in: existing customers have bought before the start */
    cal->first = start - (scn->population.burn_in_days > 0 ? scn->population.burn_in_days : 1);
    cal->end = start + scn->calendar.horizon_days;
    cal->n = (size_t)(cal->end - cal->first);
    /* one allocation: m (n), C (n + 1), acq (n) */
    cal->m = malloc((3 * cal->n + 1) * sizeof *cal->m);
    cal->phase = malloc(cal->n);
    if (!cal->m || !cal->phase) {
        clv__calendar_free(cal);
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    cal->C = cal->m + cal->n;
    cal->acq = cal->C + cal->n + 1;
    const clv_scn_seasonality *se = &scn->seasonality;
    cal->C[0] = 0;
    for (size_t k = 0; k < cal->n; k++) {
        int32_t d = cal->first + (int32_t)k;
        double m = 1;
        if (se->enabled)
            m = se->day_of_week[clv_date_weekday(d)] * clv__window_multiplier(scn, d, 0);
        cal->m[k] = m;
        cal->C[k + 1] = cal->C[k] + m;
        double a = scn->acquisition.rate_per_day * scale;
        if (scn->acquisition.seasonal)
            a *= clv__window_multiplier(scn, d, 1);
        cal->acq[k] = d >= start ? a : 0;
    }
    /* the season phase: during a window; else before one that comes later
     * in the calendar; else after */
    int later = 0;
    for (size_t k = cal->n; k-- > 0;) {
        int32_t d = cal->first + (int32_t)k;
        int during = 0;
        for (int w = 0; se->enabled && w < se->n_windows; w++)
            during |= in_window(&se->windows[w], d);
        cal->phase[k] = during ? CLV_SEASON_DURING : later ? CLV_SEASON_BEFORE : CLV_SEASON_AFTER;
        later |= during;
    }
    return CLV_OK;
}

int clv_sim_window_of(const clv_scenario *scn, int32_t day)
{
    for (int i = 0; scn->seasonality.enabled && i < scn->seasonality.n_windows; i++)
        if (in_window(&scn->seasonality.windows[i], day))
            return i;
    return -1;
}
