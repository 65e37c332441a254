/* clvsim/fit_study.h - the pipeline of `clvsim fit` as one library call.
 *
 * Read a transaction log into its calibration (and holdout) summary, fit
 * the purchase models of the BTYD table (clvsim/btyd.h) and Gamma-Gamma
 * asked for, and compute what the command reports of them: each purchase
 * model with the spend model, its holdout report or calibration-frequency
 * histogram, its expected cumulative repeat transactions per day, and with
 * Gamma-Gamma and a holdout the quality of its prediction of each
 * customer's holdout spend (clvsim/metrics.h).  The study prints and
 * writes nothing: it returns its results, which clv_fit_report_write
 * writes as the command's files and clv_fit_report_print as its report.
 */
#ifndef CLVSIM_FIT_STUDY_H
#define CLVSIM_FIT_STUDY_H

#include <stdint.h>
#include <stdio.h>

#include "clvsim/btyd.h"
#include "clvsim/error.h"
#include "clvsim/io.h"
#include "clvsim/metrics.h"
#include "clvsim/txlog.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The models of a fit study: the BTYD table's entries by their
 * clv_btyd_model value, then Gamma-Gamma. */
enum { CLV_FIT_GGAMMA = CLV_BTYD_N_TYPES, CLV_FIT_N_MODELS };

typedef struct clv_fit_study_opts {
    const char *log_path;            /* the transaction log */
    clv_txlog_opts reader;           /* its reader's settings */
    int32_t calibration_end;         /* day numbers (clvsim/date.h); */
    int32_t holdout_end;             /* -1: no holdout */
    int unit;                        /* CLV_UNIT_WEEK or CLV_UNIT_DAY */
    int want[CLV_FIT_N_MODELS];      /* 1: fit this model */
    clv_fit_opts fit;                /* the fits' settings; fit.progress reports and cancels the whole study */
} clv_fit_study_opts;

typedef struct clv_fit_study {
    clv_rfm_table *t;                          /* the summary (owned) */
    clv_fit_result fit[CLV_FIT_N_MODELS];
    int done[CLV_FIT_N_MODELS];                /* fitted */
    /* a log without repeat spend still gets its purchase models: why
     * Gamma-Gamma was not fitted, "" when it was (or was not asked for) */
    char spend_note[CLV_ERROR_MSG_MAX];
    /* per purchase model fitted: it with the spend model (both models'
     * parameters where fitted), its holdout report (with a holdout) or its
     * hold[k].hist_model alone (without), and E[cumulative repeat
     * transactions] on each day of t's series (t->n_days values, owned) */
    clv_btyd model[CLV_BTYD_N_TYPES];
    clv_holdout_report hold[CLV_BTYD_N_TYPES];
    double *cum[CLV_BTYD_N_TYPES];
    /* with Gamma-Gamma, a holdout and 10 customers or more: the holdout
     * spend E[X(holdout)] x E[spend] against actual, and E[X(holdout)] as
     * the score of buying at all (classified at 0.5) */
    clv_value_metrics value[CLV_BTYD_N_TYPES];
    clv_class_metrics buy[CLV_BTYD_N_TYPES];
    int value_ok[CLV_BTYD_N_TYPES];
} clv_fit_study;

/* Run the study into *s (zeroed first; free it with clv_fit_study_free
 * whatever the status).  Errors as clv_rfm_read and the fits
 * (Gamma-Gamma's CLV_EINPUT, no usable repeat spend, is not one: it is
 * s->spend_note), CLV_ENOMEM, and CLV_ECANCELLED ("stopped") when
 * o->fit.progress cancels. */
int clv_fit_study_run(const clv_fit_study_opts *o, clv_fit_study *s, clv_error *err);
void clv_fit_study_free(clv_fit_study *s);

/* The purchase model of study s that a population takes: of those fitted,
 * the one with the higher log-likelihood (the first on a tie); -1 when none
 * was fitted. */
int clv_fit_study_best(const clv_fit_study *s);

/* scn (a loaded scenario: the base) with the population of study s: the
 * purchase model clv_fit_study_best picks, every fitted purchase model's
 * parameters (the others' stay the base's), Gamma-Gamma's spend, the
 * study's unit, population.customers = the cohort's size and source
 * "parameters", named "BASE-LOG" (the base's name and the stem of log_path,
 * output.dir "out/BASE-LOG"); then checked as a loaded scenario is (clv_scn_check), with
 * the fit named in the error.  CLV_EINPUT without a purchase model or
 * without Gamma-Gamma (a scenario needs the spend). */
int clv_fit_study_scenario(const clv_fit_study *s, int unit, const char *log_path, clv_scenario *scn,
                           clv_error *err);

/* ---- its files (src/report/report_fit.c) ---- */

typedef struct clv_fit_report_opts {
    const char *command;     /* the command line, for population.cfg's comment (NULL: empty) */
    double margin;           /* customers.csv's CLV: margin rate, */
    double annual_rate;      /* annual discount rate, */
    int horizon;             /* and horizon in units of the study */
    double seconds;          /* the study's time, for report.txt */
    const char *history_customer; /* the customer of history.csv (NULL: the one with the most repeat purchases) */
} clv_fit_report_opts;

/* What the figures left out (clv_fit_report_write's notes): gnuplot is
 * not installed (the plots' CSV data are written), and the cohort has no
 * daily series (every customer starts far before the bulk of the log: no
 * cumulative figure). */
enum { CLV_FIT_NOTE_NO_GNUPLOT = 1 << 0, CLV_FIT_NOTE_NO_SERIES = 1 << 1 };

/* Stage the files of `clvsim fit` for study s (run with so) in od
 * (clvsim/io.h; the caller commits or drops them): population.cfg (the
 * population block a scenario can @include: the purchase model with the
 * higher log-likelihood and Gamma-Gamma), report.txt, customers.csv (per
 * customer: RFM, P(alive), expected holdout purchases, CLV), rfm.csv,
 * holdout.csv (with a holdout), cumulative.csv, frequency.csv, and the
 * figures cumulative.{png,svg} and frequency.{png,svg}, then the files of
 * clv_fit_figures_write (ro->history_customer its customer).  notes (may be
 * NULL) receives CLV_FIT_NOTE_*.  A file is never written over so's log
 * (CLV_EINPUT).  CLV_ECANCELLED ("stopped") when so->fit.progress cancels;
 * errors of the files (CLV_EIO, CLV_ENUMERIC naming the file and column)
 * and of gnuplot. */
int clv_fit_report_write(const clv_fit_study *s, const clv_fit_study_opts *so, const clv_fit_report_opts *ro,
                         const clv_outdir *od, unsigned *notes, clv_error *err);

/* Stage DIR/scenario.cfg in od: scn (clv_fit_study_scenario's) with every
 * key explicit, a complete scenario that runs from any directory, its header
 * naming the base scenario base_path and the log it was fitted to. */
int clv_fit_report_scenario(const clv_scenario *scn, const char *base_path, const clv_fit_study_opts *so,
                            const clv_outdir *od, clv_error *err);

/* ---- the lifetimes-style figures (src/report/report_fit_figures.c) ---- */

/* The grid of the frequency/recency and P(alive) matrices: x = 0 ..
 * max_x (the largest calibration frequency, at most CLV_FIT_GRID_MAX_X),
 * t_x = 0, step, 2 step, ... up to T, the longest observation period of
 * the cohort (n_cols values; step 1 unit, or the whole number of units
 * that keeps n_cols within CLV_FIT_GRID_MAX_COLS + 1).  x = 0 has t_x = 0
 * alone (a customer without repeats has no recency). */
enum { CLV_FIT_GRID_MAX_X = 100, CLV_FIT_GRID_MAX_COLS = 200,
       CLV_FIT_HISTORY_MAX_DAYS = 3653 /* history.csv: at most the last ten years of the calibration period */ };
typedef struct clv_fit_grid {
    int max_x, n_cols;
    double step, T;
} clv_fit_grid;
void clv_fit_matrix_grid(const clv_rfm_table *t, clv_fit_grid *g);

/* The customer of the P(alive) history: id's index in t, or with id NULL
 * the customer with the most calibration repeat purchases (the first in
 * the table among equals).  CLV_EINPUT (field "history_customer") when id
 * is not in the cohort. */
int clv_fit_history_customer(const clv_rfm_table *t, const char *id, size_t *index, clv_error *err);

/* Stage the figures lifetimes users expect for each fitted purchase model
 * (called by clv_fit_report_write after holdout.csv): matrix_<model>.csv
 * (x,t_x,T,expected_next,p_alive over clv_fit_matrix_grid: E[Y(1 unit) |
 * x, t_x, T] and P(alive), clv_btyd_predict's values) with the figures
 * frequency_recency_<model> and p_alive_<model>; with a holdout,
 * calibration_holdout (holdout.csv's mean actual and predicted holdout
 * transactions by calibration frequency); history.csv (customer,date,x,
 * t_x,T,purchase, then P(alive) per model: day by day from the customer's
 * first purchase (or, when that lies far before the bulk of the log, from
 * the bulk's near limit stats.near_first; at most CLV_FIT_HISTORY_MAX_DAYS days) to the calibration end, clv_btyd_palive_history of its
 * transaction days, read from the log again) with the figure history.
 * Figures in .png and .svg; without gnuplot only the CSVs
 * (CLV_FIT_NOTE_NO_GNUPLOT in notes, which may be NULL).  Errors as
 * clv_fit_report_write, clv_fit_history_customer's, and the second
 * reading of the log's (CLV_EINPUT when it finds another history). */
int clv_fit_figures_write(const clv_fit_study *s, const clv_fit_study_opts *so, const char *history_customer,
                          const clv_outdir *od, unsigned *notes, clv_error *err);

/* The text of report.txt into fp (what `clvsim fit` prints), its numbers
 * checked into chk (clvsim/io.h). */
void clv_fit_report_print(FILE *fp, clv_numcheck *chk, const clv_fit_study *s, const clv_fit_study_opts *so,
                          double seconds);

#ifdef __cplusplus
}
#endif
#endif
