/* clvsim/ltv.h - the data of the neural LTV predictor: features of a customer's history, and labels.
 *
 * Features (CLV_LTV_FEATURES of them, clv_ltv_feature_name) are computed
 * from what a policy may see of a customer (clv_sim_obs of sim.h), so that
 * the same code serves simulated customers and, once their histories are
 * summarised the same way, real ones.  Rules: counts, days and amounts
 * enter as log(1 + v), which tames their heavy tails (the outlier rule);
 * the two values that can be undefined have an indicator beside them and
 * are 0 when undefined (the mean gap between purchases of a customer with
 * one purchase; the days since the last coupon of a customer never sent
 * one); the lifecycle stage is one-hot; the calendar enters as the sine
 * and cosine of the last purchase's day of the year; with a BTYD model the
 * last two features are its expected margin over the horizon
 * (clv_btyd_value_of) and P(alive), else 0.  Price exposure is
 * price_minus_list, the last epoch's multiplier of list price minus 1 (0 at
 * list price, and for a real log, which records no price).
 * Standardisation comes after (clv_standardize_fit on the training rows).
 *
 * Synthetic data (clv_ltv_synthetic): a world of the scenario is drawn and
 * its existing customers are observed at the calendar's start (the
 * cut-off); the world then runs ltv.horizon_days with no campaign, and each
 * customer's label is the net margin it brought in that time, discounted
 * at economics.annual_discount_rate to the cut-off when ltv.discount (each
 * epoch's margin at its middle).  The BTYD baseline of each row is the
 * same quantity predicted by the population's model from the observation:
 * margin_rate x E[spend] x the expected purchases of each epoch, discounted
 * alike.
 */
#ifndef CLVSIM_LTV_H
#define CLVSIM_LTV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "clvsim/btyd.h"
#include "clvsim/error.h"
#include "clvsim/explain.h"
#include "clvsim/io.h"
#include "clvsim/metrics.h"
#include "clvsim/mlp.h"
#include "clvsim/progress.h"
#include "clvsim/scenario.h"
#include "clvsim/sim.h"
#include "clvsim/txlog.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CLV_LTV_FEATURES = 25 };

/* The name of feature k ("log_recency_days", ...); NULL out of range. */
const char *clv_ltv_feature_name(int k);

/* The features of observation o into x[0..CLV_LTV_FEATURES); btyd may be
 * NULL (its feature is then 0). */
void clv_ltv_features(const clv_sim_obs *o, const clv_btyd_value *btyd, double *x);

/* Numbers of the network file's configuration that the value's calibration uses. */
enum { CLV_LTV_META_CALIB = 48, CLV_LTV_META_CALIB_END = 64 };
/* Where train-ltv's real customers went (ltv.split_file or the keyed
 * ltv.holdout_fraction), how the training was cross-validated and
 * searched, and the configuration the final network was trained with; kept
 * in the network file as meta numbers 13..47 (clv_ltv_config_pack). */
enum { CLV_LTV_SPLIT_UNKNOWN = 0, CLV_LTV_SPLIT_KEYED = 1, CLV_LTV_SPLIT_FILE = 2 };
typedef struct clv_ltv_split_record {
    int kind;                   /* CLV_LTV_SPLIT_*: 0 = a file written before splits were recorded */
    double holdout_fraction;    /* KEYED: ltv.holdout_fraction; else 0 */
    uint64_t hash;              /* FILE: clv_ltv_split_read's hash of the assignment; else 0 */
    double n_train, n_val, n_test; /* rows that trained, stopped early, were the real (or synthetic) holdout */
    double unlisted, unknown;   /* FILE: cohort customers not in the file; ids of the file not in the cohort */
    int folds;                  /* ltv.folds (0: none) */
    int search, trials;         /* ltv.search (clv_ltv_search), the trials run */
    double cv_score, cv_sd;     /* the final configuration's mean and sd of the folds' Gini (saved as 0
                                 * without folds, or when undefined) */
    /* the final network's configuration (the search's choice, else the scenario's) */
    int loss, n_hidden, hidden[CLV_MAX_LAYERS];
    double learning_rate, weight_decay, dropout;
} clv_ltv_split_record;

/* What a trained network's features and labels meant, kept in its file
 * (the meta numbers of clv_mlp_save) so that predictions use the same. */
typedef struct clv_ltv_config {
    int horizon_days;           /* ltv.horizon_days */
    int discount;               /* ltv.discount */
    double annual_discount_rate;
    double margin_rate;         /* economics.margin_rate */
    clv_scn_lifecycle lifecycle;
    int btyd_features;          /* ltv.btyd_features */
    int btyd_model;             /* population.model */
    /* of the training rows, 0 when not known (clv_ltv_config_of, and
     * files written before they were kept): */
    double label_max;           /* the largest label (currency), >= 0 */
    double n_train;             /* how many the standardisation was fitted on (an integer) */
    /* the value's calibration (clv_ltv_value_of), numbers 48 to 63 of the
     * file; all 0 in files written before it, whose values are the raw
     * ones as then (no bound, no map, no cap) */
    int calibrated;             /* 1: sigma_max, calib and the cap apply */
    double sigma_max;           /* the bound of the ZILN sigma (0: none) */
    clv_value_calib calib;      /* the map fitted on the validation rows; its cap
                                 * CLV_LTV_ABOVE_LABELS x label_max (+inf when label_max is 0) */
    clv_ltv_split_record split; /* the split, folds and chosen configuration (all 0: not known) */
    /* The reader of the real log the network was trained on: the data
     * section of the training's scenario, of which the reader keys
     * (clv_ltv_reader_keys: delimiter, header, columns, amount kind, date
     * format and pattern, skips and the time unit of the BTYD fit) are
     * kept in the file's text (version 04, clv_ltv_config_text), so that
     * predict-ltv reads a log as the training did.  reader_recorded 0:
     * none (trained on synthetic customers only, or a file of version 03
     * or 02); reader then holds the defaults. */
    int reader_recorded;
    clv_scn_data reader;
} clv_ltv_config;

/* What the scenario's training makes: its settings, and its data section
 * as the reader (recorded when it names a log and ltv.real_fraction is
 * above 0). */
void clv_ltv_config_of(const clv_scenario *scn, clv_ltv_config *c);
/* The scenario keys of a reader record, in the order of its text
 * ("data.delimiter", ..., "data.unit"); their count into *n. */
const char *const *clv_ltv_reader_keys(size_t *n);
/* The text of a network file (clv_mlp_save's text): the reader record as
 * lines "data.KEY = value" (clv_scn_keys_text), or "" when reader_recorded
 * is 0; into buf (size bytes; CLV_MLP_TEXT_MAX holds any).  CLV_OK, or
 * clv_scn_keys_text's error. */
int clv_ltv_config_text(const clv_ltv_config *c, char *buf, size_t size, clv_error *err);
/* The reader record back from such a text into c->reader and
 * c->reader_recorded (the rest of *c is left as it is): "" gives none (the
 * defaults, recorded 0); otherwise lines of the reader keys (a key left
 * out keeps its default), each checked as a scenario's value
 * (clv_scn_read_keys, with the checks across the data keys), recorded 1.
 * CLV_EINPUT with err->file origin, err->line the text's line and
 * err->field the key for a line that is not "key = value", a key that is
 * not a reader key, or a value outside its key's range. */
int clv_ltv_config_read_text(const char *text, const char *origin, clv_ltv_config *c, clv_error *err);
/* The reader a prediction for c's network starts from: the recorded one
 * (clv_txlog_opts_from_scenario of c->reader, and its unit), or without a
 * record the defaults (clv_txlog_opts_default) and CLV_UNIT_WEEK.  o's
 * date pattern points into c. */
void clv_ltv_config_reader(const clv_ltv_config *c, clv_txlog_opts *o, int *unit);
/* The config as the CLV_MLP_META numbers of a network file: meta[0] = 1
 * (the layout), then horizon, discount, annual discount rate, margin rate,
 * the lifecycle's new, active and churned days and loyal purchases, the
 * BTYD feature and model, the largest training label, the training rows,
 * then in 13..47 the split record: 13 kind, 14 holdout fraction, 15 and 16
 * the hash's high and low 32 bits, 17..21 n_train, n_val, n_test, unlisted,
 * unknown, 22 folds, 23 search, 24 trials, 25 cv_score, 26 cv_sd, 27 loss,
 * 28 learning rate, 29 weight decay, 30 dropout, 31 n_hidden, 32..39 the
 * hidden widths (0 past n_hidden), 40..47 zeros (a record of kind 0 is
 * written as zeros); numbers 48 to 63 the calibration: 48 its layout (1, or 0 for
 * none, then 49 to 63 are 0), 49 sigma_max, 50 to 55 the knots'
 * predictions (the unused ones 0), 56 to 61 their values, 62 and 63 0. */
void clv_ltv_config_pack(const clv_ltv_config *c, double *meta);
/* The config back from those numbers, each checked against the range of
 * the scenario key it came from (an integer setting must be integral)
 * before it is converted: CLV_EINPUT with err->field the key
 * ("ltv.horizon_days"; "label_max" for the largest label, finite and >= 0;
 * "n_train", an integer in [0, 2^53])
 * and the value and range in the message, for a layout other than 1, a
 * value out of range or not finite, or a non-zero unused number (field
 * "split" for numbers 13..47: any of them non-zero with a kind of 0, or out
 * of its range); for the
 * calibration (err->field "calibration") a layout other than 0 or 1, a
 * non-zero number of layout 0, a sigma_max not finite or below 0, knots
 * whose predictions are not positive and increasing (unused ones 0) or
 * whose values are not finite, >= 0 and non-decreasing.  err may be NULL. */
int clv_ltv_config_unpack(const double *meta, clv_ltv_config *c, clv_error *err);

/* ---- batched inference (for the agents and the environment) ----
 *
 * A network of clvsim train-ltv, ready to predict the value of many
 * simulated customers from their observations: features, standardisation
 * and the network in batches of max_batch rows, one gemm per layer per
 * batch, into buffers allocated once by clv_ltv_model_load (a prediction
 * never allocates).  btyd (may be NULL when the network does not use the
 * BTYD feature) is the model behind that feature for these customers, e.g.
 * the population's (clv_btyd_value_init). */
typedef struct clv_ltv_model clv_ltv_model;

/* NULL with err (naming path) for a file clv_mlp_load refuses, a network
 * that is not one of train-ltv (CLV_LTV_FEATURES inputs, 1 to
 * CLV_MAX_LAYERS hidden layers of at most CLV_LTV_MAX_WIDTH units, the
 * range of ltv.hidden, and the ZILN or MSE loss), or settings
 * clv_ltv_config_unpack refuses.  The shape is checked before the buffers
 * for max_batch rows are allocated. */
enum { CLV_LTV_MAX_WIDTH = 4096 };
clv_ltv_model *clv_ltv_model_load(const char *path, size_t max_batch, const clv_btyd_value *btyd, clv_error *err);
void clv_ltv_model_free(clv_ltv_model *lm);
/* A model of the network net (its parameters copied; net is not kept)
 * with the standardisation mean, sd (CLV_LTV_FEATURES each, copied) and
 * the settings cfg, as clv_ltv_model_load would make from the file
 * clv_mlp_save writes of them: the same shape checks (err->file ""), a
 * mean that is not finite or an sd that is not finite and above 0 is
 * CLV_EINPUT, and it predicts the same bits as the loaded file (the file
 * keeps the parameters as clv_mlp_get_params gives them).  For the
 * network of a training in memory: clv_ltv_study_model. */
clv_ltv_model *clv_ltv_model_new(const clv_mlp *net, int loss, const double *mean, const double *sd,
                                 const clv_ltv_config *cfg, size_t max_batch, const clv_btyd_value *btyd,
                                 clv_error *err);
/* A copy of lm (network, standardisation, config, BTYD model) with its own
 * buffers for max_batch rows; its diagnostics start afresh. */
clv_ltv_model *clv_ltv_model_copy(const clv_ltv_model *lm, size_t max_batch, clv_error *err);
/* The config saved with the network. */
const clv_ltv_config *clv_ltv_model_config(const clv_ltv_model *lm);
/* The network's loss (CLV_LOSS_ZILN or CLV_LOSS_MSE). */
int clv_ltv_model_loss(const clv_ltv_model *lm);
/* Set (or replace) the BTYD model behind the BTYD feature. */
void clv_ltv_model_set_btyd(clv_ltv_model *lm, const clv_btyd_value *btyd);
/* Predicted value over the config's horizon of obs[0..n) into value, and
 * when p_buy is not NULL the network's P(buy) (ZILN; NaN for MSE).
 * CLV_EINPUT when the network uses the BTYD feature and no model was given;
 * CLV_ENUMERIC when a value is not finite (the ZILN mean exp(mu +
 * sigma^2 / 2) overflows, or a feature is not finite), with err->field
 * "observation i" and the network's outputs and the feature farthest from
 * the training rows in the message; the values before it are filled. */
int clv_ltv_model_predict(clv_ltv_model *lm, const clv_sim_obs *obs, size_t n, double *value, double *p_buy,
                          clv_error *err);

/* What the predictions of a model say about its use, counted by
 * clv_ltv_model_predict since the load or the last reset.  A network
 * extrapolates for a customer with a feature outside the range of its
 * training rows: of n rows none is more than (n - 1) / sqrt(n) sds from
 * their mean (Samuelson's inequality), so a standardised feature beyond
 * that bound (n = the config's n_train) is outside it for certain.  A
 * predicted value above CLV_LTV_ABOVE_LABELS (3, the multiple issue 17
 * states) x the largest label the network was trained on is doubtful (the
 * ZILN mean grows as exp(sigma^2 / 2)): a calibrated network cuts it to
 * that bound, and train-ltv, predict-ltv and the diagnostics count and
 * warn about it either way. */
enum { CLV_LTV_ABOVE_LABELS = 3 };

/* The value of a network's outputs r (logit, mu, s for ZILN; the value for
 * MSE) under c.  Calibrated (c->calibrated): the ZILN mean with sigma cut
 * to c->sigma_max (clv_ziln_mean_bounded), then the map c->calib
 * (clv_value_calib_apply; MSE values too), never above its cap
 * CLV_LTV_ABOVE_LABELS x label_max, and *cut (may be NULL) is 1 when the
 * cap cut the value.  Else the raw value (clv_ziln_mean) and *cut 0. */
double clv_ltv_value_of(const clv_ltv_config *c, int loss, const double *r, int *cut);
typedef struct clv_ltv_diag {
    size_t predicted;   /* values predicted */
    double far_sd;      /* the bound (n - 1) / sqrt(n) in sds; +inf when n_train is not known */
    size_t far;         /* of the values, customers with a feature beyond it */
    size_t far_by_feature[CLV_LTV_FEATURES];
    double far_max;     /* the largest |standardised feature| (sds) */
    size_t above;       /* values above CLV_LTV_ABOVE_LABELS x the config's label_max (none when it is 0);
                         * for a calibrated network, values the cap cut to that bound */
    double value_max;   /* the largest value (-inf before any) */
} clv_ltv_diag;
const clv_ltv_diag *clv_ltv_model_diag(const clv_ltv_model *lm);
void clv_ltv_model_diag_reset(clv_ltv_model *lm);

/* ---- the LTV source of the agents and policies ----
 *
 * One home for the LTV estimate that the agents' states, shaping and
 * terminal value, the oracle's and greedy's estimated MDP, the table
 * policies and the ltv-threshold rule use (ltv.model):
 * - CLV_LTV_MLP: the network's predicted value over its config's horizon
 *   (clv_ltv_model_predict) and its P(buy) (the ZILN's P(label > 0); an
 *   MSE network has none, and P(alive) below stands in for it);
 * - CLV_LTV_BTYD: the population's BTYD value (clv_btyd_value_of: the
 *   expected margin over ltv.horizon_days) and, as its purchase
 *   probability, P(alive) (clv_btyd_palive_of), not P(a purchase within
 *   the horizon).
 * The BTYD model of the network's BTYD feature is the scenario's
 * population (clv_btyd_value_init).  A source has one set of batch
 * buffers per worker of `threads` (clv_threads_resolve), so that the
 * blocks of a clv_parallel_for can fill their rows at once, each on its
 * worker's buffers; a row's values do not depend on the batch it is in,
 * so results never depend on the thread count.  One source serves one
 * caller at a time: a policy or a training makes its own
 * (clv_ltv_source_copy). */
typedef struct clv_ltv_source clv_ltv_source;

/* The source of scn: model NULL for CLV_LTV_BTYD, else the network (its
 * copies are the source's own; model may be freed after).  CLV_ENOMEM,
 * clv_ltv_model_copy's errors. */
clv_ltv_source *clv_ltv_source_new(const clv_scenario *scn, const clv_ltv_model *model, int threads,
                                   clv_error *err);
/* The same source with its own buffers for `threads` workers. */
clv_ltv_source *clv_ltv_source_copy(const clv_ltv_source *src, int threads, clv_error *err);
void clv_ltv_source_free(clv_ltv_source *src);
/* CLV_LTV_MLP or CLV_LTV_BTYD (scenario.h's clv_ltv_kind). */
int clv_ltv_source_kind(const clv_ltv_source *src);
/* Its workers (the resolved thread count it was made for). */
int clv_ltv_source_workers(const clv_ltv_source *src);
/* The network behind an CLV_LTV_MLP source (its first worker's copy,
 * whose diagnostics count that worker's predictions), else NULL. */
const clv_ltv_model *clv_ltv_source_model(const clv_ltv_source *src);
/* The value of obs[0..n) into value, and their purchase probability into
 * pbuy when it is not NULL, on the buffers of worker `worker` (in [0,
 * workers); CLV_EINPUT otherwise).  Never allocates.  The network's
 * CLV_ENUMERIC (a value that is not finite) as clv_ltv_model_predict. */
int clv_ltv_source_fill(clv_ltv_source *src, int worker, const clv_sim_obs *obs, size_t n, double *value,
                        double *pbuy, clv_error *err);

/* Predictions for the cohort of a transaction log at a cut-off: the log
 * read up to cutoff in unit (clv_rfm_read, the table into *t; free with
 * clv_rfm_free), population model and Gamma-Gamma fitted to it for the
 * BTYD feature (the network's training's choice of model), and per
 * customer the network's value and P(buy) and the BTYD prediction of the
 * same value (arrays of t->n, allocated).  A value that is not finite is
 * CLV_ENUMERIC with err->file the log and err->field the customer
 * ("customer 17850"); the model's diagnostics (clv_ltv_model_diag) count
 * this cohort's predictions. */
int clv_ltv_predict_log(const char *log, const clv_txlog_opts *ro, int32_t cutoff, int unit, clv_ltv_model *lm,
                        int threads, const clv_progress *progress, clv_rfm_table **t, double **value, double **p_buy,
                        double **btyd, clv_error *err);

/* The features that carry no information on the n rows of X (n x
 * CLV_LTV_FEATURES): bit j is set when feature j is constant on them, or
 * near-constant - its range at most CLV_STANDARDIZE_MIN_REL x its largest
 * magnitude, the rounding noise of a constant such as a BTYD P(alive) of 1
 * - 1e-9 for everyone (such a column has no spread for clv_standardize_fit
 * either: its sd is at most its range).  Typical on a real log:
 * price_minus_list and the coupon features (a log records neither), the
 * stages no customer is in, and P(alive) when BG/NBD's a or b ran to a
 * boundary.  0 for n = 0; a column with a value that is not finite is not
 * reported. */
uint32_t clv_ltv_no_info(const double *X, size_t n);
/* ---- explanations (clvsim/explain.h) ----
 *
 * The features in CLV_LTV_GROUPS groups for attributions: recency
 * (log_recency_days), frequency (repeat purchases, the mean gap and its
 * indicator, purchases in the last 7, 30 and 90 days), monetary (mean,
 * largest and last spend), tenure (log_age_days), coupons (the four coupon
 * features), stage (the one-hot stage), calendar (sine and cosine of the
 * last purchase's day), price (price_minus_list) and btyd (the two BTYD
 * features). */
enum { CLV_LTV_GROUPS = 9 };
/* The name of group g ("recency", ...); NULL out of range. */
const char *clv_ltv_group_name(int g);
/* The group of each feature (CLV_LTV_FEATURES of them). */
const int *clv_ltv_feature_groups(void);
/* The calibrated values (clv_ltv_value_of) of standardised feature rows
 * Z[0..n) of the model (a clv_ltv_model *) into value: a clv_explain_fn.
 * The diagnostics do not count them.  clv_mlp_forward's errors. */
int clv_ltv_explain_predict(void *model, const double *Z, size_t n, double *value, clv_error *err);
/* The model as a predictor for clvsim/explain.h (its batch: max_batch). */
clv_explain_model clv_ltv_explain_model(clv_ltv_model *lm);
/* The standardised feature rows of obs[0..n) into Z (n x
 * CLV_LTV_FEATURES), as clv_ltv_model_predict makes them; CLV_EINPUT when
 * the network uses the BTYD feature and no model was given. */
int clv_ltv_model_rows(const clv_ltv_model *lm, const clv_sim_obs *obs, size_t n, double *Z, clv_error *err);
/* The attributions of customers idx[0..m) of t, a table lm has predicted
 * (clv_ltv_predict_log, which gave lm the BTYD model fitted to it): exact
 * Shapley values of the CLV_LTV_GROUPS groups (clv_shapley_groups) with B
 * background customers of t (at most t->n; clv_explain_background with
 * seed), into phi (m x CLV_LTV_GROUPS), their values into pred and the
 * background's mean value into base.  Each customer's attributions are
 * checked to add up to pred - base (to 1e-9 relative; CLV_ENUMERIC naming
 * the customer otherwise). */
int clv_ltv_explain_table(clv_ltv_model *lm, const clv_rfm_table *t, const size_t *idx, size_t m, size_t B,
                          uint64_t seed, double *pred, double *base, double *phi, clv_error *err);

typedef struct clv_ltv_data {
    size_t n;
    double *X;          /* n x CLV_LTV_FEATURES */
    double *y;          /* labels */
    double *baseline;   /* the BTYD prediction of each label */
    char **id;          /* real rows: the reader's customer ids (clv_rfm_table's id); NULL for synthetic ones */
} clv_ltv_data;

/* ---- a split of real customers from a file (train-ltv --split FILE, ltv.split_file) ----
 *
 * The file is a CSV whose first line is the header customer_id,split and
 * each further line an id and train, validation or test; an id may be in
 * double quotes (RFC 4180) and is compared byte for byte with the ids as
 * the log reader keeps them (clv_rfm_table's id: the log's field as it is
 * written).  Empty lines are skipped; a \r before the \n is dropped.
 * split[i] of the cohort's customer ids[0..n) receives
 * CLV_LTV_PART_TRAIN, _VALIDATION, _TEST, or _OUT when the file does not
 * list it.  rec (zeroed first) receives kind CLV_LTV_SPLIT_FILE, the
 * counts of the cohort's customers per part, unlisted (the cohort's
 * customers left out) and unknown (ids of the file not in the cohort), and
 * the hash of the assignment: the sum mod 2^64 over the cohort's listed
 * customers of the 64-bit FNV-1a of its id, a 0 byte and the part's letter
 * (t, v or e), so that it does not depend on the order of either.
 * CLV_EIO when the file cannot be read; CLV_EINPUT with err->file the
 * path, err->line the line and err->field (customer_id, split, or header)
 * for a missing or other header, a line without two fields or with more,
 * an empty id, a split other than train, validation and test, an id listed
 * twice (both lines named), and for no train customer, no validation
 * customer or fewer than 10 test customers in the cohort (line 0, field
 * split). */
enum { CLV_LTV_PART_TRAIN = 0, CLV_LTV_PART_VALIDATION = 1, CLV_LTV_PART_TEST = 2, CLV_LTV_PART_OUT = 3 };
int clv_ltv_split_read(const char *path, const char *const *ids, size_t n, int *split, clv_ltv_split_record *rec,
                       clv_error *err);

/* The keyed folds of k-fold cross-validation: fold[i] in [0, k) for rows
 * 0..n-1, the position of row i in the keyed permutation (seed,
 * CLV_SPLIT_LTV_FOLDS of clvsim/streams.h) modulo k, so that every row is
 * in exactly one fold and the folds' sizes differ by at most 1.  order
 * (may be NULL) receives that permutation (row at each position).
 * CLV_EINPUT for k < 2 or k > n; CLV_ENOMEM. */
int clv_ltv_folds(size_t n, int k, uint64_t seed, int *fold, size_t *order, clv_error *err);

/* What a policy would see of a real customer summarised by clv_rfm_read
 * (c, of table t) at the end of the calibration end (the cut-off; today =
 * calibration_end, as the simulator observes at the end of a day):
 * purchases, recency, age, spend (the first purchase's too), gaps and
 * recent transactions in days; the stage by lc; no coupons.  Its
 * clv_btyd_summary_of is c's x, t_x and T, and its mean spend to
 * rounding. */
void clv_ltv_obs_from_rfm(const clv_rfm *c, const clv_rfm_table *t, const clv_scn_lifecycle *lc, clv_sim_obs *o);

/* Real rows from data.transactions: the cohort of data.calibration_end
 * (the cut-off), with features as of the cut-off and labels the spend of
 * the next ltv.horizon_days x economics.margin_rate (a log has spend, not
 * margin), discounted with ltv.discount at the middle of the horizon (a
 * summary has no days of the horizon's purchases).  The BTYD baseline is
 * population.model and Gamma-Gamma fitted to the calibration period, which
 * also gives the BTYD feature.  CLV_EINPUT when the log ends before the
 * horizon does (labels would be cut short) or has no cohort.  fits (may be
 * NULL) receives the two fits; stats (may be NULL) what the reader found
 * (its far dates among them, to warn about). */
int clv_ltv_real(const clv_scenario *scn, int threads, const clv_progress *progress, clv_ltv_data *out,
                 clv_fit_result fits[2], clv_txlog_stats *stats, clv_error *err);

/* Synthetic rows from the world (scenario.seed, replication) of scn with
 * ltv.synthetic_customers x run.scale existing customers, as above.
 * threads: the environment's workers.  progress (may be NULL) is only
 * polled (clv_progress_poll), in the world's reset and between its epochs:
 * CLV_ECANCELLED.  Free with clv_ltv_data_free. */
int clv_ltv_synthetic(const clv_scenario *scn, uint64_t replication, int threads, const clv_progress *progress,
                      clv_ltv_data *out,
                      clv_error *err);
void clv_ltv_data_free(clv_ltv_data *d);

/* ---- the pipeline of `clvsim train-ltv` (src/study/ltv_train.c) ---- */

enum { CLV_LTV_GAIN_POINTS = 101 }; /* points of a gain curve */

/* The network and BTYD on one holdout. */
typedef struct clv_ltv_evaluation {
    const char *name;             /* "real" or "synthetic" */
    size_t n;
    clv_value_metrics v[2];       /* the network, BTYD */
    clv_class_metrics c[2];       /* their scores of buying at all (classified at 0) */
    clv_class_metrics lr[2];      /* the logistic regressions: will buy, high value */
    double gain[2][CLV_LTV_GAIN_POINTS]; /* the gain curves of the network and BTYD; NaN without value */
    size_t above;                 /* the network's values above CLV_LTV_ABOVE_LABELS x the largest training
                                   * label: those the calibration's cap cut to it */
    /* the rows it was measured on, standardised (n x CLV_LTV_FEATURES), and
     * their labels: for clv_permutation_importance; owned by the study */
    double *X, *y;
    double value_max;             /* the network's largest value */
} clv_ltv_evaluation;

/* One configuration of the network: the scenario's, or a trial of the
 * search (ltv.search_*: the first hidden layer's width w, every other
 * layer of ltv.hidden scaled by w / ltv.hidden[0], rounded, at least 1). */
typedef struct clv_ltv_trial {
    int loss, n_hidden, hidden[CLV_MAX_LAYERS];
    double learning_rate, weight_decay, dropout;
} clv_ltv_trial;

/* A k-fold cross-validation (ltv.folds) of one configuration on the
 * training customers: fold k (clv_ltv_folds) is scored by the network
 * trained on the others (their keyed last ltv.validation_fraction stopping
 * it early, standardised with the rest's statistics), and by BTYD, on the
 * same rows.  m[k][model][metric], model 0 the network and 1 BTYD; mean
 * and sd (the sample standard deviation, divisor folds - 1) over the
 * folds, NaN when a fold's metric is (clv_ltv_cv_summarise). */
enum { CLV_LTV_MAX_FOLDS = 20 };
enum { CLV_LTV_CV_GINI, CLV_LTV_CV_SPEARMAN, CLV_LTV_CV_RMSE, CLV_LTV_CV_MAE, CLV_LTV_CV_LIFT, CLV_LTV_CV_METRICS };
typedef struct clv_ltv_cv {
    int folds;
    size_t n[CLV_LTV_MAX_FOLDS];
    double m[CLV_LTV_MAX_FOLDS][2][CLV_LTV_CV_METRICS];
    double mean[2][CLV_LTV_CV_METRICS], sd[2][CLV_LTV_CV_METRICS];
} clv_ltv_cv;
/* mean and sd of cv->m over cv->folds (>= 2) */
void clv_ltv_cv_summarise(clv_ltv_cv *cv);
/* The name of metric k of clv_ltv_cv ("normalised_gini", ...); NULL out of range. */
const char *clv_ltv_cv_metric_name(int k);

typedef struct clv_ltv_study {
    /* the network with its standardisation, and the logistic regressions
     * "will buy" (a label above 0) and "high value" (a label at least
     * `high`, the training labels' 90th percentile) */
    clv_mlp *mlp;
    clv_mlp *lr[2];
    double mean[CLV_LTV_FEATURES], sd[CLV_LTV_FEATURES];
    double high, label_max;       /* label_max: the largest training label */
    clv_mlp_history history;
    size_t n, n_real, n_syn, n_val, n_train; /* rows: all, real, synthetic, validating, training */
    /* the real rows' fits and what the reader found (with have_real) */
    int have_real;
    uint32_t no_info;             /* the features with no information on the training rows (clv_ltv_no_info) */
    clv_fit_result fits[2];
    clv_txlog_stats real_stats;
    clv_ltv_evaluation ev[2];     /* the real holdout first when there is one */
    /* the value's calibration (clv_ltv_value_of): sigma_max the sd of the
     * log of the positive training labels (0 with fewer than 2), and the map
     * fitted on the validation rows' values with that bound (no map without
     * validation rows), its cap CLV_LTV_ABOVE_LABELS x label_max */
    double sigma_max;
    clv_value_calib calib;
    int n_ev;
    /* the split of the customers, the final configuration and its
     * cross-validation (cv.folds 0 without ltv.folds), the search's trials
     * (n_trials 0 without ltv.search) and the best of them */
    clv_ltv_split_record split;
    clv_ltv_trial chosen;
    clv_ltv_cv cv;
    int n_trials, best;
    clv_ltv_trial *trials;
    clv_ltv_cv *trial_cv;
    /* internal: the rows and their orders */
    clv_ltv_data real, train, holdout;
    size_t *rp, *sp, *all, *hidx, *tidx;
    double *X, *y;
} clv_ltv_study;

/* Train the predictor of section ltv of scn and measure it against BTYD
 * on customers it has not seen: real rows (clv_ltv_real, with
 * ltv.real_fraction above 0; a keyed ltv.holdout_fraction of them the real
 * holdout, or with ltv.split_file the file's test customers, its train
 * ones training and its validation ones stopping early: then
 * ltv.real_fraction must be 1) and
 * synthetic ones (clv_ltv_synthetic of worlds CLV_WORLD_LTV_TRAIN and
 * CLV_WORLD_LTV_HOLDOUT of clvsim/streams.h, with ltv.real_fraction below
 * 1), mixed with the
 * share ltv.real_fraction, ltv.validation_fraction held for early
 * stopping, standardised with the training rows' statistics (`clvsim
 * train-ltv --help` says it all).  *s is zeroed first; free it with
 * clv_ltv_study_free whatever the status.  progress reports the phases of
 * the fits and the training, and cancels.  Errors of the parts;
 * CLV_EINPUT (field ltv.batch_size) when fewer rows train than a batch,
 * CLV_ENUMERIC naming the holdout customer whose value is not finite.
 * With ltv.folds, the final configuration is cross-validated first (s->cv)
 * on the training rows (with a split file: its train and validation
 * customers); with ltv.search (which needs ltv.folds) every trial is
 * (s->trials, s->trial_cv), and the one of the largest mean normalised Gini
 * of the network over the folds (the first of equal ones; a NaN never) is
 * s->best and s->chosen, which trains the final network on all training
 * rows.  CLV_EINPUT (field ltv.split_file, ltv.folds, ltv.search or
 * ltv.trials) for a split file without ltv.real_fraction = 1, folds of fewer
 * than 10 rows or a search without folds, a grid larger than ltv.trials,
 * or no trial with a defined score; the progress's cancel is polled before
 * every fold. */
int clv_ltv_study_run(const clv_scenario *scn, const clv_progress *progress, clv_ltv_study *s, clv_error *err);
/* The trained network of s as a model for batches of max_batch rows
 * (clv_ltv_model_new), with the config clv_ltv_report_write saves with it
 * (clv_ltv_study_config); btyd may be NULL as for clv_ltv_model_load. */
clv_ltv_model *clv_ltv_study_model(const clv_ltv_study *s, const clv_scenario *scn, size_t max_batch,
                                   const clv_btyd_value *btyd, clv_error *err);
/* The config of the network of s trained for scn: clv_ltv_config_of with
 * the training rows' largest label and count. */
void clv_ltv_study_config(const clv_ltv_study *s, const clv_scenario *scn, clv_ltv_config *c);
/* Save the trained network of s for scn at path (clv_mlp_save, atomic):
 * its standardisation, the config of clv_ltv_study_config (clv_ltv_config_pack)
 * and its reader record (clv_ltv_config_text), what clv_ltv_model_load
 * and predict-ltv read.  clv_mlp_save's errors. */
int clv_ltv_study_save(const clv_ltv_study *s, const clv_scenario *scn, const char *path, clv_error *err);
void clv_ltv_study_free(clv_ltv_study *s);

/* ---- its files (src/report/report_ltv.c) ---- */

/* Stage ltv.mlp (the network with its standardisation and settings:
 * clv_mlp_save), ltv_history.csv, ltv_metrics.csv, ltv_classification.csv,
 * ltv_gain.csv, ltv_calibration.csv, ltv_split.csv (the split record and
 * the final configuration), and with folds ltv_cv.csv (per fold and model
 * the metrics of clv_ltv_cv, then rows "mean" and "sd"), with a search
 * ltv_search.csv (per trial its settings, the mean and sd of each metric
 * of the network and BTYD over the folds, and chosen 1 for s->best) in od
 * (a claimed directory). */
int clv_ltv_report_write(const clv_ltv_study *s, const clv_scenario *scn, const clv_outdir *od, clv_error *err);
/* The figures ltv_calibration, ltv_gain and ltv_loss (output.plot_formats)
 * from the staged CSVs; CLV_EUNSUPPORTED when gnuplot is missing. */
int clv_ltv_report_figures(const clv_ltv_study *s, const clv_scenario *scn, const clv_outdir *od,
                           const clv_progress *progress, clv_error *err);
/* Stage predictions.csv of `clvsim predict-ltv` in od: per customer of t
 * (the log `log`, never written over) its id, value[i], p_buy[i] (empty
 * when NaN: a network without a buy probability) and btyd[i], the outputs
 * of clv_ltv_predict_log.  progress's cancelled is polled per customer. */
int clv_ltv_predictions_write(const clv_outdir *od, const char *log, const clv_rfm_table *t, const double *value,
                              const double *p_buy, const double *btyd, const clv_progress *progress, clv_error *err);
/* The permutation importance of the CLV_LTV_FEATURES features on the
 * holdout `holdout` (clv_permutation_importance, one feature a group):
 * ltv_importance.csv in od, a row per feature in decreasing order of the
 * Gini drop (ties by feature): feature, repeats, the MSE increase's mean,
 * sd and 95% t interval, the normalised Gini drop's the same, and the
 * intact rows' MSE and Gini; the figure ltv_importance (the Gini drop with
 * its interval) when scn->output.plots and gnuplot is there
 * (CLV_EUNSUPPORTED when it is not, after the CSV).  And what train-ltv
 * prints of it: the top `top` features. */
int clv_ltv_importance_write(const clv_outdir *od, const clv_scenario *scn, const char *holdout,
                             const clv_importance *imp, int repeats, double base_mse, double base_gini,
                             const clv_progress *progress, clv_error *err);
void clv_ltv_importance_print(FILE *fp, const char *holdout, const clv_importance *imp, int repeats,
                              double base_mse, double base_gini, int top);
/* explanations.csv of `clvsim predict-ltv --explain` in od: per customer
 * idx[i] of t its id, predicted_value pred[i], baseline_value base[i] and
 * one column per group (clv_ltv_group_name) of phi (m x CLV_LTV_GROUPS);
 * explanations_summary.csv, per group its mean absolute and mean
 * attribution over the m customers; and the figure explanations (the mean
 * absolute attribution per group) in formats[0..n_formats) when plots
 * (CLV_EUNSUPPORTED without gnuplot, after the CSVs). */
int clv_ltv_explanations_write(const clv_outdir *od, const char *log, const clv_rfm_table *t, const size_t *idx,
                               size_t m, const double *pred, const double *base, const double *phi, int plots,
                               const int *formats, int n_formats, const clv_progress *progress, clv_error *err);
/* What `clvsim train-ltv` prints: the training and each holdout's metrics
 * (seconds: the time to print), numbers checked into chk. */
void clv_ltv_report_print(FILE *fp, clv_numcheck *chk, const clv_ltv_study *s, const clv_scenario *scn,
                          double seconds);

#ifdef __cplusplus
}
#endif
#endif
