/* clvsim/validate.h - the validation certificate: the simulated world is the fitted model.
 *
 * With interventions, seasonality and acquisition off (a "plain" world):
 *   1. the repeat purchases of a simulated cohort (population.customers x
 *      run.scale, at least 20,000) over the horizon against the
 *      closed-form P(X(t)=x): chi-square goodness of fit (PASS when
 *      p >= 0.001);
 *   2. the simulator's own transaction log refitted from the exact times:
 *      every parameter with its standard error (PASS when each is within 3
 *      standard errors of the true value), and for information the same
 *      log read at day resolution as a real one;
 *   3. when the scenario names a real log with calibration and holdout
 *      ends: its cohort simulated from the same first purchase days,
 *      against its real cumulative repeat purchases (information only);
 *   4. the treatment effect: the design of the experiment that
 *      response.contact was fitted to, run in the simulated world, arm by
 *      arm: the existing customers within the experiment's recency range
 *      (its recency levels' largest bound) of a cohort of at least 200,000
 *      after a burn-in of the scenario's or two years, whichever is
 *      longer (so that it holds customers older and younger than a
 *      year), each treated with probability 1/2, the
 *      treated sent a contact of the arm (without a discount) valid for
 *      the experiment's window; each row of the arm (each covariate level,
 *      or the arm as a whole when it has no levels) passes when the
 *      simulated rate ratio of buying in the window lies in the
 *      experiment's interval [ratio_lo, ratio_hi].  An arm's overall row
 *      beside levels is shown, not compared: it averages the levels over
 *      the population's mix of them, the world's and not the
 *      experiment's.  A row without an interval, or with fewer than 10
 *      simulated buyers in an arm, is not checked (and never counted as a
 *      pass); the check passes when no checked row fails and every arm has
 *      a checked row.  Without contact effects check 4 does not run, and
 *      says so.
 * The random worlds are replications 0 of seeds scenario.seed, +1, +2 and
 * +3 (check 4's arms: clvsim/streams.h, "experiment").
 */
#ifndef CLVSIM_VALIDATE_H
#define CLVSIM_VALIDATE_H

#include <stdio.h>

#include "clvsim/btyd.h"
#include "clvsim/error.h"
#include "clvsim/io.h"
#include "clvsim/progress.h"
#include "clvsim/scenario.h"
#include "clvsim/txlog.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CLV_VALIDATE_MAXBIN = 16 };

typedef struct clv_validation {
    const clv_scenario *scn;      /* the scenario validated (borrowed) */
    const clv_outdir *od;         /* where the run stages its files (borrowed) */
    clv_btyd model;               /* the scenario's population */
    double unit_days;
    size_t n;                     /* customers of checks 1 and 2 */
    /* 1: counts (bins 0, 1, ..., and a last "k or more" with an expectation of at least 5) */
    int bins;
    double observed[CLV_VALIDATE_MAXBIN], expected[CLV_VALIDATE_MAXBIN];
    double chi2, pvalue;
    int df;
    /* 2: refit */
    clv_fit_result fit[2];        /* purchase model, spend model, from exact times */
    clv_fit_result fit_log[2];    /* the same from the day-resolution log */
    double truth[2][4];
    double worst_z;               /* largest |z|; NaN when a fit has no standard errors */
    /* 3: real data */
    int have_read;                /* the real log was read (real->stats holds its far dates) */
    int have_real;                /* check 3 was made */
    clv_rfm_table *real;          /* owned */
    double *sim_cum, *model_cum;  /* cumulative repeat purchases per day of real's series (owned) */
    double real_hold, sim_hold;
    /* 4: the treatment effect, one entry per row of response.contact.effects */
    int effects_run;              /* 0: not run (effects_why says why) */
    const char *effects_why;
    size_t exp_customers;         /* of the cohort; exp_eligible[arm] within the experiment's range */
    struct clv_validate_effect {
        long n[2], buyers[2];     /* control, treated */
        double ratio, lo, hi;     /* the simulated rate ratio and its interval (NaN: undefined) */
        int checked, pass;
        int mix;                  /* an arm's overall row beside levels: not compared (the mix of levels differs) */
    } effect[CLV_MAX_CONTACT_EFFECTS];
    int effects_failed, effects_checked;
    clv_progress poll;            /* internal: the caller's cancellation, polled inside */
} clv_validation;

/* Run the three checks of scn into *v (zeroed first; free it with
 * clv_validation_free whatever the status), staging the simulator's
 * transaction log simulated_transactions.csv in od (a claimed directory:
 * clvsim/io.h).  progress (may be NULL) receives the phases "validating:
 * counts", "validating: refit" and "validating: real data" (done 0, 1, 2
 * of 3); its cancelled is polled by the simulations, reads and fits.
 * Errors of the simulator, the reader, the fits and the file;
 * CLV_ECANCELLED. */
int clv_validate_run(const clv_scenario *scn, const clv_outdir *od, const clv_progress *progress, clv_validation *v,
                     clv_error *err);
void clv_validation_free(clv_validation *v);

/* 1 when the certificate passes (checks 1 and 2, and 4 unless it could
 * not run for want of contact effects). */
int clv_validation_pass(const clv_validation *v);
/* 1 when check 4 ran and passed. */
int clv_validation_effects_pass(const clv_validation *v);

/* ---- its files (src/report/report_validate.c) ---- */

/* Stage counts.csv, refit.csv, cumulative.csv (with check 3), report.txt
 * and the figures counts.{png,svg} and cumulative.{png,svg} in v->od;
 * *no_gnuplot (may be NULL) is set to 1 when gnuplot is not installed
 * (no figures).  progress's cancelled is polled between figures. */
int clv_validate_report_write(const clv_validation *v, const clv_progress *progress, int *no_gnuplot,
                              clv_error *err);

/* The text of report.txt into fp, its numbers checked into chk. */
void clv_validate_report_print(FILE *fp, clv_numcheck *chk, const clv_validation *v);

#ifdef __cplusplus
}
#endif
#endif
