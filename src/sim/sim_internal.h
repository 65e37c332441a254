/* sim_internal.h - the environment's layout, shared by the files of src/sim. */
#ifndef CLVSIM_SIM_INTERNAL_H
#define CLVSIM_SIM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "clvsim/rng.h"
#include "clvsim/sim.h"

/* The calendar: days [first, end) where first = start - burn_in and end =
 * start + horizon.  m[k] is the purchase-intensity multiplier of day
 * first + k; C[k] = sum_{j<k} m[j] is "season time" at the start of that
 * day (C has n + 1 entries); acq[k] the expected arrivals on that day. */
typedef struct clv__calendar {
    int32_t first, start, end;
    size_t n;
    double *m, *C, *acq;
    uint8_t *phase;     /* per day: CLV_SEASON_BEFORE, _DURING or _AFTER the seasonality windows */
} clv__calendar;

/* Fill cal (allocating m, C and acq) from the scenario; CLV_ENOMEM. */
int clv__calendar_build(const clv_scenario *scn, double scale, clv__calendar *cal, clv_error *err);
void clv__calendar_free(clv__calendar *cal);

/* The multiplier of the windows on day d: purchase (which = 0) or
 * acquisition (which = 1); 1 when no window covers d. */
double clv__window_multiplier(const clv_scenario *scn, int32_t d, int which);

#endif
