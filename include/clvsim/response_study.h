/* clvsim/response_study.h - the pipeline of `clvsim fit-response` as one library call.
 *
 * Read a randomised experiment (clvsim/response.h), map the covariates the
 * simulator can observe to its state, estimate the response to contact
 * (per arm, each treated arm against control, per covariate level, and the
 * modified Poisson model of the mapped covariates), and lay out the rows of
 * the scenario block that carries the fitted effect to the simulator.  The
 * study prints and writes nothing: clv_response_report_write (report.h)
 * writes its files and clv_response_report_print its text.
 */
#ifndef CLVSIM_RESPONSE_STUDY_H
#define CLVSIM_RESPONSE_STUDY_H

#include <stddef.h>

#include "clvsim/error.h"
#include "clvsim/progress.h"
#include "clvsim/response.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The contact window's bounds in days. */
enum { CLV_RESPONSE_WINDOW_MIN = 1, CLV_RESPONSE_WINDOW_MAX = 365 };

typedef struct clv_response_study_opts {
    const char *path;              /* the experiment file */
    clv_experiment_opts reader;    /* its columns */
    int window_days;               /* the window the conversions were counted in */
    double confidence;             /* of every interval, in (0, 1) */
    /* the state map "COL=KIND,..." (clv_response_map_spec); NULL: the
     * default, recency=recency-months, history_segment=spend-band and
     * newbie=new-within-days:365 for those of them among the covariates */
    const char *state_map;
    const clv_progress *progress;  /* may be NULL */
} clv_response_study_opts;

/* One row of the scenario block: for a treated arm, its "all" row (cov =
 * -1, level -1) or a level of a mapped covariate.  factor is the model's:
 * exp(g0) for "all", exp(g_{c,l}) for a level (1 for the reference);
 * ratio with its interval, the rates and customers are the experiment's
 * own (overall, or stratified in the level) over control + the arm. */
typedef struct clv_response_block_row {
    int arm, cov, level;
    int observable;                /* clv_contact_covariate of a level row, -1 for "all" */
    double upper;                  /* the level's upper bound on the observable, -1 unbounded */
    double factor;
    clv_estimate ratio;
    double control_rate, treated_rate;
    long customers;
} clv_response_block_row;

typedef struct clv_response_study {
    clv_experiment *e;             /* the experiment read (owned) */
    clv_response_map *map;         /* e->n_cov maps (owned) */
    int default_map;               /* 1 when the map is the default */
    clv_response r;                /* the estimates */
    int window_days;
    int n_block;                   /* rows of the block, at most CLV_RESPONSE_MAX_BLOCK_ROWS */
    clv_response_block_row *block; /* per treated arm: "all", then each mapped covariate's levels by upper */
} clv_response_study;

/* Parse a state map "COL=KIND,COL=KIND" (spec may be NULL: the default
 * map) for covariates cov[0..n_cov) into map[0..n_cov) (the others
 * CLV_MAP_NONE).  CLV_EINPUT (field "state-map") for a column not among
 * the covariates, a kind that is not one (clv_response_map_parse), a
 * column given twice, or two columns of one observable. */
int clv_response_map_spec(const char *spec, int n_cov, const char *const *cov, clv_response_map *map,
                          clv_error *err);

/* Run the study into *s (zeroed first; free with clv_response_study_free
 * whatever the status).  Errors: those of clv_experiment_read and
 * clv_response_estimate, CLV_EINPUT for a window outside
 * [CLV_RESPONSE_WINDOW_MIN, CLV_RESPONSE_WINDOW_MAX], a bad state map, a
 * mapped level whose label is not of its kind's form, or a block of more
 * than CLV_RESPONSE_MAX_BLOCK_ROWS rows (suggesting fewer levels). */
int clv_response_study_run(const clv_response_study_opts *o, clv_response_study *s, clv_error *err);
void clv_response_study_free(clv_response_study *s);

#ifdef __cplusplus
}
#endif
#endif
