/* clvsim/scenario.h - the scenario: everything a run needs, loaded from a libconfig file.
 *
 * A scenario file is libconfig text with the sections below; every key, its
 * type, unit, default and accepted range is listed in scenarios/README.md,
 * which is generated from the same table the loader uses (clvsim check
 * --reference), so the documentation cannot drift from the code.
 *
 * Loading is strict: an unknown key, a value of the wrong type, a value out
 * of range, a missing required key or an inconsistent combination is an
 * error naming FILE:LINE and the key, with what is accepted.  Absent keys
 * take their built-in defaults, which live in one table in
 * src/core/scenario_schema.c.  "@include" works, relative to the directory
 * of the including scenario file, so a fitted population block can be
 * shared between scenarios; an @include at the top level of the main file
 * names a base, whose sections the file's own override key by key (a list
 * as a whole; clv_scenario.origin records what came from where).
 *
 * clv_scenario is plain data (fixed-size arrays, no pointers): copy it
 * freely; every object created from it copies what it needs.
 */
#ifndef CLVSIM_SCENARIO_H
#define CLVSIM_SCENARIO_H

#include <stdint.h>
#include <stdio.h>

#include "clvsim/error.h"
#include "clvsim/policy_kinds.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    CLV_NAME_MAX = 64,
    CLV_TEXT_MAX = 512,
    CLV_PATH_MAX = 1024,
    CLV_SCN_FILE_MAX = 1 << 20, /* bytes of a scenario file or of a file it includes */
    CLV_DATE_TEXT = 24,   /* a date or date spec as written */
    CLV_SCN_MAX_BASES = 4,      /* @include lines at the top level of a scenario file (bases it overrides) */
    CLV_SCN_MAX_ORIGINS = 96,   /* keys of a scenario file recorded as set over its bases */
    CLV_MAX_COUPONS = 8,
    CLV_MAX_PRICES = 8,
    CLV_MAX_WINDOWS = 16,
    CLV_MAX_POLICIES = 32,
    CLV_MAX_ALGOS = 3,
    CLV_MAX_LAYERS = 8,
    CLV_MAX_BINS = 15,
    CLV_MAX_FEATURE_WINDOWS = 6,
    CLV_MAX_FORMATS = 2,
    CLV_MAX_CONTACT_EFFECTS = 96,
    CLV_MAX_SEARCH = 8               /* values of each list of train-ltv's search space */
};

/* ---- enumerations (the names in quotes are what a scenario file writes) ---- */

typedef enum { CLV_MODEL_BGNBD = 0 /* "bgnbd" */, CLV_MODEL_PARETO = 1 /* "pareto" */ } clv_btyd_model;
typedef enum { CLV_UNIT_DAY = 0 /* "day" */, CLV_UNIT_WEEK = 1 /* "week" */ } clv_time_unit;
typedef enum { CLV_SOURCE_PARAMETERS = 0 /* "parameters" */, CLV_SOURCE_FIT = 1 /* "fit" */ } clv_pop_source;
typedef enum { CLV_DELIM_AUTO = 0, CLV_DELIM_WHITESPACE = 1, CLV_DELIM_COMMA = 2 } clv_delimiter;
typedef enum { CLV_HEADER_AUTO = 0, CLV_HEADER_YES = 1, CLV_HEADER_NO = 2 } clv_header_mode;
typedef enum {
    CLV_DATEFMT_AUTO = 0, CLV_DATEFMT_YYYYMMDD = 1, CLV_DATEFMT_ISO_DATE = 2, CLV_DATEFMT_ISO_DATETIME = 3
} clv_date_format_kind;
typedef enum { CLV_LTV_MLP = 0 /* "mlp" */, CLV_LTV_BTYD = 1 /* "btyd" */ } clv_ltv_kind;
typedef enum { CLV_ACT_RELU = 0, CLV_ACT_TANH = 1 } clv_activation;
/* (CLV_LOSS_BCE: logistic regression's cross-entropy, for clvsim/mlp.h; not a scenario value) */
typedef enum { CLV_LOSS_MSE = 0, CLV_LOSS_ZILN = 1, CLV_LOSS_BCE = 2 } clv_loss;
/* ltv.search: train-ltv's hyper-parameter search */
typedef enum { CLV_LTV_SEARCH_NONE = 0, CLV_LTV_SEARCH_GRID = 1, CLV_LTV_SEARCH_RANDOM = 2 } clv_ltv_search;
typedef enum { CLV_LR_CONSTANT = 0, CLV_LR_COSINE = 1 } clv_lr_schedule;
typedef enum { CLV_ALGO_Q = 0 /* "q-learning" */, CLV_ALGO_SARSA = 1, CLV_ALGO_EXPECTED_SARSA = 2 } clv_algo;
typedef enum { CLV_ALPHA_CONSTANT = 0, CLV_ALPHA_VISITS = 1 } clv_alpha_schedule;
typedef enum { CLV_EXPLORE_EGREEDY = 0, CLV_EXPLORE_SOFTMAX = 1 } clv_exploration;
/* agent.targets: what the tabular agents learn from (clv_agent_train, clvsim/agent.h) */
typedef enum { CLV_TARGETS_CLASSIC = 0, CLV_TARGETS_PAIRED = 1 } clv_targets;
/* the policy kinds, numbered in the order of clvsim/policy_kinds.h */
typedef enum {
#define CLV__POLICY_ENUM(id, name, sym) CLV_POLICY_##id,
    CLV_POLICY_KINDS(CLV__POLICY_ENUM)
#undef CLV__POLICY_ENUM
    CLV_POLICY_N_KINDS
} clv_policy_kind;
typedef enum { CLV_FORMAT_PNG = 0, CLV_FORMAT_SVG = 1 } clv_plot_format;

/* ---- sections ---- */

typedef struct clv_scn_meta {
    char name[CLV_NAME_MAX];          /* labels outputs; default: the file name without .cfg */
    char description[CLV_TEXT_MAX];
    int64_t seed;                     /* master seed of every random stream, >= 0 */
} clv_scn_meta;

/* A real transaction log and how to read it. */
typedef struct clv_scn_data {
    char transactions[CLV_PATH_MAX];  /* "" = none; else resolved to an absolute path */
    int delimiter;                    /* clv_delimiter */
    int header;                       /* clv_header_mode */
    int customer_column;              /* 1-based column numbers */
    int date_column;
    int amount_column;
    int quantity_column;              /* 0 = no quantity column */
    int amount_kind;                  /* clv_amount_kind (txlog.h): total or unit price */
    int date_format;                  /* clv_date_format_kind */
    int unit;                         /* clv_time_unit of RFM summaries and fits */
    char calibration_end[CLV_DATE_TEXT]; /* YYYY-MM-DD or "" */
    char holdout_end[CLV_DATE_TEXT];     /* YYYY-MM-DD or "" */
    int skip_malformed;               /* skip (and count) malformed rows instead of failing */
    int skip_missing_customer;        /* skip (and count) rows without a customer id */
    char date_pattern[64];            /* "" or a strftime-style pattern (clvsim/date.h) replacing date_format */
} clv_scn_data;

typedef struct clv_bgnbd_params { double r, alpha, a, b; } clv_bgnbd_params;
typedef struct clv_pnbd_params { double r, alpha, s, beta; } clv_pnbd_params;
typedef struct clv_gg_params { double p, q, gamma; } clv_gg_params;

typedef struct clv_scn_population {
    int source;                       /* clv_pop_source */
    int model;                        /* clv_btyd_model */
    int unit;                         /* clv_time_unit of the rate parameters */
    clv_bgnbd_params bgnbd;           /* BG/NBD (Fader, Hardie and Lee 2005) */
    clv_pnbd_params pareto;           /* Pareto/NBD (Schmittlein, Morrison and Colombo 1987) */
    clv_gg_params spend;              /* Gamma-Gamma spend (Fader, Hardie and Lee 2005b) */
    int64_t customers;                /* existing customers at the start */
    int burn_in_days;                 /* history simulated before the start */
} clv_scn_population;

typedef struct clv_scn_calendar {
    char start[CLV_DATE_TEXT];        /* YYYY-MM-DD */
    int horizon_days;
    int epoch_days;                   /* days between decisions */
} clv_scn_calendar;

typedef struct clv_scn_window {
    char name[CLV_NAME_MAX];
    char start[CLV_DATE_TEXT];        /* "MM-DD" or "black-friday[+-N]", inclusive */
    char end[CLV_DATE_TEXT];          /* inclusive; before start = wraps over New Year */
    double purchase_multiplier;
    double acquisition_multiplier;
} clv_scn_window;

typedef struct clv_scn_seasonality {
    int enabled;
    double day_of_week[7];            /* Monday .. Sunday */
    int n_day_of_week;                /* always 7 after loading */
    clv_scn_window windows[CLV_MAX_WINDOWS];
    int n_windows;
} clv_scn_seasonality;

typedef struct clv_scn_acquisition {
    double rate_per_day;              /* mean new customers a day before seasonality */
    int seasonal;
} clv_scn_acquisition;

typedef struct clv_scn_lifecycle {
    int new_days;
    int active_days;
    int churned_days;
    int loyal_purchases;
} clv_scn_lifecycle;

typedef struct clv_scn_economics {
    char currency[16];
    double margin_rate;               /* gross margin as a fraction of list price */
    double annual_discount_rate;
} clv_scn_economics;

typedef struct clv_scn_coupon {
    char name[CLV_NAME_MAX];
    double discount;                  /* fraction of the basket */
    double max_value;                 /* the largest discount of one redemption, currency */
    int validity_days;
    double redemption_cost;           /* fixed cost per redemption */
    double contact_cost;              /* cost per coupon sent */
    char contact_arm[CLV_NAME_MAX];   /* the arm of response.contact.effects whose effect its contact has; "": the first */
} clv_scn_coupon;

typedef struct clv_scn_interventions {
    clv_scn_coupon coupons[CLV_MAX_COUPONS];
    int n_coupons;
    double prices[CLV_MAX_PRICES];    /* multipliers of list price */
    int n_prices;
    double budget_per_epoch;          /* coupon spend; -1 = unlimited */
    double budget_total;              /* -1 = unlimited */
} clv_scn_interventions;

/* The observable state a contact effect depends on (response.contact.effects[].covariate). */
typedef enum clv_contact_covariate {
    CLV_CONTACT_ALL = 0,      /* "all": the arm as a whole (its factor is the effect at the reference levels) */
    CLV_CONTACT_RECENCY = 1,  /* "recency": days since the last purchase */
    CLV_CONTACT_SPEND = 2,    /* "spend": spend of the past year at list price (clv_contact_spend) */
    CLV_CONTACT_AGE = 3,      /* "age": days since the first purchase */
    CLV_CONTACT_N
} clv_contact_covariate;

/* One row of a fitted contact effect ('clvsim fit-response' writes them):
 * an arm of the experiment, and either the arm as a whole or one level of
 * a covariate.  A customer's rate ratio (the factor by which a contact of
 * that arm multiplies its probability of buying within window_days) is the
 * product of the factor of its arm's "all" row and of the factors of the
 * levels its observable state falls into.  ratio, ratio_lo and ratio_hi
 * are the experiment's own stratified estimate of the level's rate ratio
 * with its interval, which 'clvsim validate' compares with the simulated
 * world's. */
typedef struct clv_scn_contact_effect {
    char arm[CLV_NAME_MAX];
    int covariate;                    /* clv_contact_covariate */
    char level[CLV_NAME_MAX];         /* the experiment's label of the level ("all" for the arm) */
    double upper;                     /* the level holds states <= upper (-1: no upper bound) */
    double factor;                    /* the model's term: exp(coefficient) */
    double ratio, ratio_lo, ratio_hi; /* the experiment's rate ratio in the level and its interval */
    double control_rate, treated_rate;
    int customers;                    /* of the control arm and this arm in the level */
} clv_scn_contact_effect;

typedef struct clv_scn_response {
    int enabled;
    int contact_enabled;
    int contact_window_days;          /* the experiment's window: its rate ratios are of buying within it */
    clv_scn_contact_effect contact[CLV_MAX_CONTACT_EFFECTS];
    int n_contact;
    double redeem_probability;        /* a holder who buys uses the coupon */
    int price_enabled;
    double elasticity_mean, elasticity_sd;
    int carryover_enabled;
    double carryover_share, carryover_half_life_days;
    int deal_enabled;
    double deal_gain, deal_half_life_days, deal_full_price_penalty;
    int fatigue_enabled;
    double fatigue_gain, fatigue_half_life_days;
} clv_scn_response;

typedef struct clv_scn_ltv {
    int model;                        /* clv_ltv_kind */
    int horizon_days;
    int discount;
    int btyd_features;
    int windows_days[CLV_MAX_FEATURE_WINDOWS];
    int n_windows_days;
    int hidden[CLV_MAX_LAYERS];
    int n_hidden;
    int activation;                   /* clv_activation */
    int loss;                         /* clv_loss */
    int epochs;
    int batch_size;
    double learning_rate;
    int lr_schedule;                  /* clv_lr_schedule */
    double weight_decay;
    double dropout;
    double validation_fraction;
    int patience;
    int64_t synthetic_customers;
    double real_fraction;
    char file[CLV_PATH_MAX];          /* "" = train the network in the run; else a network of train-ltv (resolved) */
    /* train-ltv's splits, cross-validation and search (clvsim/ltv.h, clv_ltv_study_run) */
    double holdout_fraction;          /* the keyed share of the real customers kept as the real holdout */
    char split_file[CLV_PATH_MAX];    /* "" = the keyed holdout; else a CSV customer_id,split (resolved) */
    int folds;                        /* k-fold cross-validation of the training customers; 0: none */
    int search;                       /* clv_ltv_search */
    int trials;                       /* the search's budget */
    int search_width[CLV_MAX_SEARCH];  /* first hidden layer's widths (the others keep their ratio to it) */
    int n_search_width;
    double search_learning_rate[CLV_MAX_SEARCH];
    int n_search_learning_rate;
    double search_weight_decay[CLV_MAX_SEARCH];
    int n_search_weight_decay;
    double search_dropout[CLV_MAX_SEARCH];
    int n_search_dropout;
    int search_loss[2];               /* clv_loss */
    int n_search_loss;
} clv_scn_ltv;

typedef struct clv_scn_agent {
    int algorithms[CLV_MAX_ALGOS];    /* clv_algo */
    int n_algorithms;
    int episodes;
    int model_episodes;               /* greedy's and the oracle's estimate; 0: episodes (clv_scn_model_episodes) */
    int64_t customers;
    double gamma;
    double learning_rate;
    int learning_rate_schedule;       /* clv_alpha_schedule */
    double omega;
    int exploration;                  /* clv_exploration */
    double epsilon_start, epsilon_end;
    int epsilon_decay_episodes;
    double temperature;
    int shaping;
    int terminal_value;
    double confidence;                /* deployment: one-sided confidence of a change (clv_agent_confident) */
    int bins_recency_days[CLV_MAX_BINS];
    int n_bins_recency_days;
    int bins_frequency[CLV_MAX_BINS];
    int n_bins_frequency;
    int bins_ltv_quantiles;
    int bins_pbuy_quantiles;         /* purchase-probability quantile bins (1: unused) */
    int bins_coupon_age_days[CLV_MAX_BINS];
    int n_bins_coupon_age_days;
    int bins_stage;
    int bins_season_phase;
    int checkpoint_every;
    int targets;                      /* clv_targets */
    /* the Q-function agents (clvsim/qfunc.h) */
    int qfunc_hidden[CLV_MAX_LAYERS];
    int qfunc_n_hidden;
    int qfunc_activation;             /* clv_activation */
    double qfunc_learning_rate;
    int qfunc_lr_schedule;            /* clv_lr_schedule, over the training episodes */
    int qfunc_replay;
    int qfunc_batch;
    double qfunc_updates;
    int qfunc_target_sync;
    double qfunc_huber;
    double qfunc_linear_step;
    double qfunc_linear_omega;
} clv_scn_agent;

typedef struct clv_scn_evaluation {
    int policies[CLV_MAX_POLICIES];   /* clv_policy_kind */
    int n_policies;
    int replications;
    int verification_replications;    /* -1: replications; 0: no verification (clvsim/study.h) */
    double confidence;
    double random_coupon_probability;
    double rfm_value_quantile;
    int rfm_coupon;                   /* 1-based index into interventions.coupons */
    double ltv_quantile;
    int ltv_coupon;
    int welcome_coupon;               /* the welcome rule's coupon level (1-based) */
    int clairvoyant_lucks;            /* luck draws of the clairvoyant's rollouts per epoch and action */
} clv_scn_evaluation;

typedef struct clv_scn_output {
    char dir[CLV_PATH_MAX];           /* default "out/<scenario.name>" */
    int plots;
    int plot_formats[CLV_MAX_FORMATS];/* clv_plot_format */
    int n_plot_formats;
    int report;
} clv_scn_output;

typedef struct clv_scn_run {
    int threads;                      /* 0 = all online processors */
    double scale;                     /* multiplies the sizes of a study */
} clv_scn_run;

/* a key given by more than one file of a scenario (clv_scenario.origin) */
typedef struct clv_scn_origin_key {
    char key[96];
    int from;                         /* the file whose value holds: -1 the scenario file, else an index into bases */
    int line;                         /* its line there */
    int over;                         /* index into bases of the (nearest) base it overrode */
} clv_scn_origin_key;

typedef struct clv_scenario {
    char source[CLV_PATH_MAX];        /* the file it was loaded from, as given */
    clv_scn_meta scenario;
    clv_scn_data data;
    clv_scn_population population;
    clv_scn_calendar calendar;
    clv_scn_seasonality seasonality;
    clv_scn_acquisition acquisition;
    clv_scn_lifecycle lifecycle;
    clv_scn_economics economics;
    clv_scn_interventions interventions;
    clv_scn_response response;
    clv_scn_ltv ltv;
    clv_scn_agent agent;
    clv_scn_evaluation evaluation;
    clv_scn_output output;
    clv_scn_run run;
    /* where the values came from when the file @includes bases at its top
     * level (a section of the file overrides the same section of a base
     * key by key, a later base an earlier one; the resolved scenario's
     * header lists this): the bases as written in the @include lines, and
     * each key given by more than one of the files, with the file whose
     * value holds (and its line) and the one it overrode */
    struct {
        int n_bases;
        char bases[CLV_SCN_MAX_BASES][CLV_PATH_MAX];
        int n_keys;                   /* may exceed CLV_SCN_MAX_ORIGINS: only the first are kept */
        clv_scn_origin_key keys[CLV_SCN_MAX_ORIGINS];
    } origin;
} clv_scenario;

/* A command-line override of one key: key "calendar.horizon_days", value
 * "90" (libconfig syntax; the quotes of a string value may be left out).
 * origin names the override in error messages ("--seed"); NULL: "--set". */
typedef struct clv_scn_override {
    const char *key;
    const char *value;
    const char *origin;
} clv_scn_override;

/* Fill *scn with the built-in defaults of every key.  Returns CLV_OK. */
int clv_scn_defaults(clv_scenario *scn, clv_error *err);

/* Load the scenario file at path into *scn: defaults, then the file, then
 * the overrides in order, then the checks that span several keys.  Returns
 * CLV_OK, or CLV_EINPUT with FILE:LINE and key in err (an override's error
 * names its origin, e.g. "--set", in place of the file), or CLV_EIO when the
 * file cannot be read.  The file and every file it @includes (a path
 * relative to the main file's directory, at any depth: libconfig 1.5's
 * rule; an absolute path is refused) must be regular files of at most
 * CLV_SCN_FILE_MAX bytes: a directory, a device or a FIFO is refused with
 * the FILE:LINE of its @include before libconfig opens it (libconfig's
 * scanner would end the process on a directory and hang on a FIFO or
 * /dev/zero). */
int clv_scn_load(const char *path, const clv_scn_override *ov, size_t n_ov, clv_scenario *scn,
                 clv_error *err);

/* The scenario file that a command-line argument names, into buf (n bytes).
 * An argument that contains a slash or ends in ".cfg" is a path: it is
 * copied to buf as it is (clv_scn_load reports a file that cannot be read).
 * Any other argument is a scenario name: NAME.cfg is looked up, in order, in
 *   1. each directory of the environment variable CLVSIM_SCENARIO_PATH
 *      (colon-separated; empty entries are skipped),
 *   2. the installed scenarios, share/clvsim/scenarios beside the program
 *      (PREFIX/share/clvsim/scenarios for PREFIX/bin/clvsim; make install
 *      puts the repository's self-contained scenarios there),
 *   3. the scenarios/ directory of the source tree the library was built
 *      from, and ../scenarios from the program's directory (a build tree),
 * the same places, in the same order, as the plot scripts (clv_plot_dir);
 * the first readable regular file wins and buf gets its path (absolute when
 * the directory was).  Its @include lines and relative data paths are then
 * taken from that file's directory, as for any path.  Returns CLV_OK, or
 * CLV_EINPUT when the name is empty or of CLV_NAME_MAX characters or more,
 * the path found does not fit in buf, or the name is in none of the
 * directories: err then names the name, the scenario names (NAME.cfg
 * files) found in them, and every directory searched. */
int clv_scn_find(const char *arg, char *buf, size_t n, clv_error *err);

/* Check every value of *scn against its key's type and range and the checks
 * across keys, as clv_scn_load checks a file's: for a scenario built or
 * changed in code (clv_population_fit checks its estimates with it).
 * Returns CLV_OK, or CLV_EINPUT naming scn->source (no line) and the key. */
int clv_scn_check(const clv_scenario *scn, clv_error *err);

/* Write *scn as a complete libconfig scenario (every key explicit) to fp.
 * Loading that text gives back the same scenario.  Returns CLV_OK or CLV_EIO. */
int clv_scn_write(const clv_scenario *scn, FILE *fp, clv_error *err);

/* Some keys of *scn as text, one line "key = value" per key in the order
 * of keys[0..n) (full paths of keys that are not groups or lists; values
 * written as clv_scn_write writes them), into buf (size bytes, with its
 * NUL); what clv_scn_read_keys reads back.  Returns CLV_OK, or CLV_EINPUT
 * naming the key (err->field) for an unknown key, a group or list, or a
 * string with a line break, and when the text does not fit; CLV_ENUMERIC
 * for a number that is not finite; CLV_ENOMEM. */
int clv_scn_keys_text(const clv_scenario *scn, const char *const *keys, size_t n, char *buf, size_t size,
                      clv_error *err);
/* Set keys of *scn from text of lines "key = value" (libconfig values, as
 * --set takes them; blank lines and lines starting with # are skipped),
 * each checked against its key's type and range as a --set override is;
 * keys (n_keys of them; NULL: any key) are the keys accepted.  Then every
 * value of *scn is checked, with the checks across keys (clv_scn_check).
 * Returns CLV_OK, or CLV_EINPUT with err->file origin, err->line the line
 * of the text (0 for a check across keys) and err->field the key, for a
 * line that is not "key = value", a key not accepted, and a value refused;
 * keys before the bad line have been set. */
int clv_scn_read_keys(clv_scenario *scn, const char *text, const char *const *keys, size_t n_keys,
                      const char *origin, clv_error *err);

/* Write the key reference (Markdown: key, type, unit, default, accepted
 * values, meaning) to fp.  This is the text of scenarios/README.md's
 * reference section. */
int clv_scn_write_reference(FILE *fp, clv_error *err);

/* The index of the list price (the price level 1.0, which a loaded
 * scenario always has) in interventions.prices; -1 when there is none. */
int clv_scn_list_price(const clv_scenario *scn);

/* The episodes of random actions greedy's and the oracle's MDP is
 * estimated from: agent.model_episodes, or agent.episodes when that is 0. */
int clv_scn_model_episodes(const clv_scenario *scn);

/* The index in interventions.prices of the nearest price level above the
 * list price 1.0 (dir > 0: the smallest level above 1.0) or below it
 * (dir < 0: the largest level below 1.0), the first of equal levels;
 * -1 when there is none.  It does not rely on the schema's increasing
 * order.  The price-up and price-down policies set it (clvsim/policy.h). */
int clv_scn_price_step(const clv_scenario *scn, int dir);

/* The file-format name of an enumeration value ("q-learning", "week", ...),
 * for reports.  key is the scenario key whose values these are, e.g.
 * "evaluation.policies".  Returns NULL for an unknown key or value. */
const char *clv_scn_enum_name(const char *key, int value);

/* The name of a clv_contact_covariate as a scenario writes it ("all",
 * "recency", "spend", "age"); "unknown" out of range. */
const char *clv_contact_covariate_name(int covariate);

/* Past-year spend as the contact effects read it: a customer's total spend
 * at list price over age_days, scaled to one year when it is older than a
 * year (the environment keeps no amounts by date). */
double clv_contact_spend(double total_spend, double age_days);

/* The arms of response.contact.effects, in the order of their first rows:
 * their number, and their names into names (CLV_MAX_CONTACT_EFFECTS
 * entries; may be NULL). */
int clv_scn_contact_arms(const clv_scenario *scn, const char **names);
/* The arm (an index of clv_scn_contact_arms) of the contact of coupon
 * level k (0-based), -1 when there are no effects. */
int clv_scn_contact_arm(const clv_scenario *scn, int k);
/* The level of a state value among a covariate's n levels with increasing
 * upper bounds upper[0..n) (INFINITY: unbounded): the first whose bound it
 * does not exceed, the last when it exceeds them all (a state beyond the
 * experiment's range takes its last level). */
int clv_contact_level(const double *upper, int n, double value);

/* How far the list price is from the profit-maximising one under the price
 * response (a constant elasticity per customer, normal with
 * response.price's mean and sd and redrawn until it is at most 0, as the
 * environment draws it) and the margin: the gross margin of a customer's
 * purchases at price level P is proportional to E[P^e] (P - (1 - margin)). */
typedef struct clv_price_check {
    int checked;              /* 0: no price response (response or response.price off) */
    double best_price;        /* the profit-maximising multiplier of list price, searched in [0.2, 5] */
    double gain;              /* margin at best_price / margin at the list price - 1 */
    double lerner_elasticity; /* the elasticity at which the list price would be optimal: -1 / margin_rate */
    int far;                  /* best_price outside [0.97, 1.03]: a warning is due */
} clv_price_check;
void clv_scn_price_check(const clv_scenario *scn, clv_price_check *out);
/* The warning for a list price far from the optimum, in words that say
 * what it means for any comparison; "" when it is not far. */
void clv_scn_price_warning(const clv_scenario *scn, const clv_price_check *pc, char *buf, size_t n);

/* Interventions out of scale with the population's spend, in words, one
 * warning per line into buf ("" when none; cut to n bytes); returns their
 * count.  The scale is the mean spend of a transaction, Gamma-Gamma's
 * p gamma / (q - 1) (none when q <= 1: no check).  Warned about: a coupon
 * whose max_value caps its discount of the mean basket below half the
 * nominal one (max_value < discount x mean / 2, as coupon caps sized for
 * CDNOW's $36 baskets are beside a log of 400 GBP baskets); a contact cost
 * above a quarter of the gross margin of a mean purchase; a budget per
 * epoch or in total below what one coupon commits (contact_cost +
 * redemption_cost + max_value), so that no coupon could ever be sent. */
int clv_scn_scale_warnings(const clv_scenario *scn, char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif
