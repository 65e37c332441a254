/* clvsim/report.h - the writers of a run's files: CSVs, gnuplot figures, the HTML report and the plain-text tables.
 *
 * Every writer takes a claimed output directory (clv_outdir, io.h) and
 * stages its files there: nothing is visible in the directory until the
 * caller ends the run with clv_report_end, which commits them all (or drops
 * them when the run failed).  Every number goes through clv_put_num
 * (io.h): a number that is not finite makes its file's commit fail with
 * CLV_ENUMERIC, naming the file, line and column, and nothing is written.
 *
 * A researcher's program writes what `clvsim run` writes with
 *   clv_outdir_open(&od, dir, 0, &err);
 *   clv_report_resolved(&scn, &od, &err);
 *   clv_study_run(&scn, NULL, &study, &err);            (study.h)
 *   clv_report_run_files(study, &od, &err);
 *   clv_report_end(&od, CLV_OK, CLV_REPORT_RESOLVED, NULL, 0, &err);
 * (examples/study.c).  Thread safety: a writer uses only its arguments.
 */
#ifndef CLVSIM_REPORT_H
#define CLVSIM_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "clvsim/agent.h"
#include "clvsim/error.h"
#include "clvsim/io.h"
#include "clvsim/progress.h"
#include "clvsim/response_study.h"
#include "clvsim/scenario.h"
#include "clvsim/study.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The name of the resolved scenario in a run's directory. */
#define CLV_REPORT_RESOLVED "scenario.resolved.cfg"

/* The scenario in a few lines of text into fp: name, seed, calendar,
 * population, spend, customers, seasonality, coupons, prices, budget,
 * policies, threads, output directory (what clvsim run prints first). */
void clv_report_scenario(FILE *fp, const clv_scenario *scn);

/* ---- staged files ---- */

/* A run's files are staged with clv_outdir_stage and ended with
 * clv_afile_end (clvsim/io.h). */

/* End a run's outputs: when st is CLV_OK, commit the staged files with
 * `last` (NULL: none) moved in last, and remove the files named in
 * drop[0..n_drop) (a successful run's checkpoints); in every case drop
 * what is still staged, release the directory, and make err name files by
 * their final paths (a stop, CLV_ECANCELLED, says that no results were
 * written).  Returns the status (the commit's when it failed). */
int clv_report_end(clv_outdir *od, int st, const char *last, const char *const *drop, int n_drop, clv_error *err);

/* Stage DIR/scenario.resolved.cfg: scn resolved (CLV_EINPUT when it is the
 * scenario being run). */
int clv_report_resolved(const clv_scenario *scn, const clv_outdir *od, clv_error *err);

/* Render a figure: gnuplot script `script` (a file of the plots directory,
 * plot.h) into dir/stem.png and/or dir/stem.svg (dir: a run's staging
 * directory) as formats[0..n_formats) say (clv_plot_format), with vars as
 * for clv_plot, its formats drawn side by side (clv_plot_all).  stop (may
 * be NULL) is polled before they are drawn.
 * CLV_EUNSUPPORTED when gnuplot is missing. */
int clv_report_figure(const char *dir, const char *script, const char *stem, const int *formats, int n_formats,
                      const char *const *vars, size_t n_vars, const clv_progress *stop, clv_error *err);


/* ---- the agents' files (clvsim run and train-agent) ---- */

/* DIR/policy_<algo>.csv: per visited state its description, the greedy
 * action, the deployed action (agent.confidence), visits, and Q and its
 * standard error of every (coupon@price) action. */
int clv_report_policy(const clv_scenario *scn, const clv_qtable *t, const clv_state_map *map, const clv_outdir *od,
                      const char *algo, clv_error *err);

/* Stage learning.csv with its header (algorithm,episode,epsilon,return,moving_average). */
int clv_report_learning_open(clv_afile *af, const clv_scenario *scn, const clv_outdir *od, clv_error *err);

/* The rows of learning.csv of one training into af, its numbers checked
 * (clv_put_num); returns the last 10-episode moving average.  End the file
 * with clv_afile_end. */
double clv_report_learning(clv_afile *af, const char *algo, const clv_train_result *r);

/* agent.checkpoint_every: the table so far, written atomically beside the
 * outputs, not staged (a checkpoint is for resuming after the run died),
 * under a name of its own, DIR/agent_<algorithm>.checkpoint.qtab (the
 * name: clv_report_checkpoint_name), which never replaces a finished run's
 * table; the run removes it when it succeeds (clv_report_end's drop).
 * clv_report_checkpoint is a clv_agents_opts.checkpoint with a
 * clv_report_checkpoints as its ctx; it counts what it wrote. */
typedef struct clv_report_checkpoints {
    const char *dir;  /* the output directory itself */
    clv_error *err;   /* where a failure is told */
    int written;      /* checkpoints written so far */
} clv_report_checkpoints;
int clv_report_checkpoint(void *ctx, int algo, const clv_qtable *table);
void clv_report_checkpoint_name(char name[64], int algo);

/* Stage the files of clv_study_agents (clvsim train-agent) but the
 * learning curves: agent_<algorithm>.qtab and policy_<algorithm>.csv of
 * every trained agent, and oracle.csv (policy,value_per_customer,
 * share_of_optimum: the oracle's optimum and each table's value on its
 * model).  The curves go to learning.csv as each training ends
 * (clv_report_learning_open before clv_study_agents, clv_report_learning in
 * its done callback), so that a stopped training leaves its temporary file
 * to be removed, never a partial one. */
int clv_report_agents_files(const clv_agents *a, const clv_outdir *od, clv_error *err);

/* Stage the learning curves of the agents trained (learning.png/.svg, from
 * the staged learning.csv); CLV_EUNSUPPORTED when gnuplot is missing. */
int clv_report_agents_figure(const clv_agents *a, const clv_outdir *od, const clv_progress *stop, clv_error *err);

/* ---- the study (clvsim run and compare) ---- */

/* Stage every CSV of a study: bounds.csv, summary.csv, replications.csv,
 * segments.csv, calibration.csv, verification.csv, actions.csv, daily.csv,
 * heatmap_<policy>.csv and policy_<policy>.csv
 * of the learned and planned policies, and, when the agents were trained
 * (not loaded), agent_<algorithm>.qtab and learning.csv.  CLV_OK, CLV_EIO,
 * CLV_ENUMERIC, CLV_EINPUT (a file would replace the scenario), CLV_ENOMEM. */
int clv_report_run_files(const clv_study *s, const clv_outdir *od, clv_error *err);

/* The comparison as text tables (what `clvsim run` prints): per policy the
 * metrics with their intervals, the paired differences against the best
 * fixed policy, and where the money went by latent segment.  Their numbers
 * are checked in chk (at fp's position when pos_fp, else at no known line:
 * clv_numcheck_error then names the first that is not finite). */
void clv_report_run_tables(const clv_study *s, FILE *fp, clv_numcheck *chk, int pos_fp);

/* The verdict of a study as a sentence into buf (n bytes, always
 * terminated; the length it needed, as snprintf): the policy that gains the
 * most over no campaign, its gain with its interval, its share of the best
 * achievable (the clairvoyant bound), the runner-up, where the learned and
 * planned policies sit, and a caveat when a difference is not significant
 * (clv_study_verdict_of of study.h gives the facts). */
size_t clv_report_verdict(const clv_study *s, char *buf, size_t n);

/* Stage the study's figures (forest: each policy's gain over no campaign
 * with its interval, daily_net_margin,
 * active_customers, coupon_spend, calibration, learning when trained,
 * heatmap_<policy>) from its staged CSVs (clv_report_run_files first), in
 * output.plot_formats, every one drawn by one clv_plot_all.
 * CLV_EUNSUPPORTED when gnuplot is missing; stop as for clv_report_figure. */
int clv_report_run_figures(const clv_study *s, const clv_outdir *od, const clv_progress *stop, clv_error *err);

/* Stage report.html: the scenario, the tables, the figures (or, when
 * no_figures is not NULL, the reason there are none), the files and the
 * resolved scenario; seconds: the run's time as the report states it. */
int clv_report_run_html(const clv_study *s, const clv_outdir *od, const char *no_figures, double seconds,
                        clv_error *err);

/* ---- one simulated replication (clvsim simulate) ---- */

/* The synthetic transaction log being written (DIR/transactions.csv,
 * customer,date,amount: the format clvsim fit reads). */
typedef struct clv_report_txlog {
    clv_afile af;                /* end it with clv_afile_end(&log->af, st, err) */
    const clv_progress *stop;    /* polled for every row (NULL: never stops) */
    int err_no;                  /* errno of the write that failed */
} clv_report_txlog;

/* Stage transactions.csv with its header. */
int clv_report_sim_log_open(clv_report_txlog *log, const clv_scenario *scn, const clv_outdir *od,
                            const clv_progress *stop, clv_error *err);
/* Append the transactions of sim's last reset or step (the simulator must
 * record: clv_sim_opts.record).  CLV_ECANCELLED when stop asked to,
 * CLV_EIO when a write failed. */
int clv_report_sim_log(clv_report_txlog *log, const clv_sim *sim, clv_error *err);

/* Stage days.csv: per day the totals of clv_sim_days and the customers per stage. */
int clv_report_sim_days(const clv_sim *sim, const clv_scenario *scn, const clv_outdir *od, clv_error *err);

/* Stage customers.csv: per customer the first and last purchase, purchases,
 * repeat purchases in the horizon, spend, stage, alive, latent segment and
 * the traits drawn (rates per population.unit); stop is polled every 4096
 * customers. */
int clv_report_sim_customers(const clv_sim *sim, const clv_scenario *scn, const clv_outdir *od,
                             const clv_progress *stop, clv_error *err);

/* ---- the response to contact (clvsim fit-response) ---- */

typedef struct clv_response_report_opts {
    const char *command;    /* the command line, shell-quoted, for response.cfg and report.txt (NULL: none) */
    double seconds;         /* the study's time, for report.txt */
} clv_response_report_opts;

/* clv_response_report_write's notes: gnuplot is not installed (the
 * figures' CSV data are written, not the images). */
enum { CLV_RESPONSE_NOTE_NO_GNUPLOT = 1 << 0 };

/* Stage the files of `clvsim fit-response` for study s (run with so) in
 * od: arms.csv, effects.csv, heterogeneity.csv, model.csv, response.cfg
 * (the scenario block: the contact effect per treated arm and mapped
 * level), report.txt (what clv_response_report_print prints, after the
 * command line), and per covariate effect_COVARIATE.csv with its figure
 * effect_COVARIATE.{png,svg} (the rate ratio by level with its interval,
 * one series per treated arm).  notes (may be NULL) receives
 * CLV_RESPONSE_NOTE_*.  A file is never written over the experiment
 * (CLV_EINPUT); CLV_EIO, CLV_ENUMERIC, CLV_ECANCELLED (so->progress), and
 * gnuplot's errors. */
int clv_response_report_write(const clv_response_study *s, const clv_response_study_opts *so,
                              const clv_response_report_opts *ro, const clv_outdir *od, unsigned *notes,
                              clv_error *err);

/* The text of report.txt into fp (what `clvsim fit-response` prints): the
 * arms, the effects, the heterogeneity with Cochran's Q, the model's
 * treatment terms; its numbers checked into chk. */
void clv_response_report_print(FILE *fp, clv_numcheck *chk, const clv_response_study *s,
                               const clv_response_study_opts *so, double seconds);

#ifdef __cplusplus
}
#endif
#endif
