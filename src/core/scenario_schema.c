/* scenario_schema.c - every scenario key, its default, range and meaning: the one place defaults live. */
#include "scenario_schema.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "clvsim/scenario.h"
#include "clvsim/streams.h"

/* Every number has a finite range, so that no scenario value can make the
 * simulated world non-finite.  The less obvious bounds:
 * - BTYD and Gamma-Gamma shapes and the rate scales alpha and beta:
 *   [1e-5, 1e5], the range in which 'clvsim fit' reports an estimate as
 *   interior (outside it the fit warns of a parameter at a boundary).
 *   Published fits lie well inside (CDNOW: r 0.24, alpha 4.4 weeks, a 0.79,
 *   b 2.4; Gamma-Gamma p 6.25, q 3.74); at 1e5 a gamma shape is a spread
 *   of 0.3%, and below 1e-5 nearly every draw is 0.
 * - population.spend.q > 1: below, the mean spend p x gamma / (q - 1) of
 *   the Gamma-Gamma model is infinite (and its formulas negative).
 * - Money: a coupon's value and costs at most 1e9 and budgets at most 1e15
 *   of the currency unit (beyond 2^53, about 9e15, a double no longer holds
 *   whole units exactly; no campaign comes near either).
 * The checks across keys in scenario.c bound the combinations: the mean
 * purchase rate r / alpha, the mean spend, the busiest day's multiplier,
 * the number of customers and the calendar's dates. */
#define SHAPE_MIN 1e-5
#define SHAPE_MAX 1e5
#define MONEY_MAX 1e9
#define BUDGET_MAX 1e15
#define OFF(f) offsetof(clv_scenario, f)
#define CNT(f) offsetof(clv_scenario, f)

/* constructors of rows, one per type, so that the table reads as a list */
#define GROUP(p, fl, d) {.path = p, .type = CLV__K_GROUP, .flags = fl, .doc = d}
#define BOOL(p, f, dv, d) {.path = p, .type = CLV__K_BOOL, .off = OFF(f), .def = dv, .doc = d}
#define INT(p, f, lo, hi, fl, dv, u, d)                                                           \
    {.path = p, .type = CLV__K_INT, .flags = fl, .off = OFF(f), .min = lo, .max = hi, .def = dv, \
     .unit = u, .doc = d}
#define INT64(p, f, lo, hi, fl, dv, u, d)                                                         \
    {.path = p, .type = CLV__K_INT64, .flags = fl, .off = OFF(f), .min = lo, .max = hi,          \
     .def = dv, .unit = u, .doc = d}
#define REAL(p, f, lo, hi, fl, dv, u, d)                                                          \
    {.path = p, .type = CLV__K_REAL, .flags = fl, .off = OFF(f), .min = lo, .max = hi, .def = dv, \
     .unit = u, .doc = d}
#define STR(p, f, fl, dv, d)                                                                      \
    {.path = p, .type = CLV__K_STRING, .flags = fl, .off = OFF(f),                               \
     .size = sizeof(((clv_scenario *)0)->f), .def = dv, .doc = d}
#define PATHK(p, f, dv, d)                                                                        \
    {.path = p, .type = CLV__K_PATH, .flags = CLV__KF_EMPTY_OK, .off = OFF(f),                   \
     .size = sizeof(((clv_scenario *)0)->f), .def = dv, .doc = d}
#define DATE(p, f, fl, dv, d)                                                                     \
    {.path = p, .type = CLV__K_DATE, .flags = fl, .off = OFF(f),                                 \
     .size = sizeof(((clv_scenario *)0)->f), .def = dv, .doc = d}
#define ENUM(p, f, nm, dv, d)                                                                     \
    {.path = p, .type = CLV__K_ENUM, .off = OFF(f), .names = nm, .def = dv, .doc = d}
#define ARRAY(t, p, f, c, minc, lo, hi, fl, dv, u, d)                                             \
    {.path = p, .type = t, .flags = fl, .off = OFF(f), .count_off = CNT(c),                     \
     .size = sizeof(((clv_scenario *)0)->f) / sizeof(((clv_scenario *)0)->f[0]),                \
     .min_count = minc, .min = lo, .max = hi, .def = dv, .unit = u, .doc = d}
#define ENUMS(p, f, c, nm, fl, dv, d)                                                             \
    {.path = p, .type = CLV__K_ENUM_ARRAY, .flags = fl, .off = OFF(f), .count_off = CNT(c),     \
     .size = sizeof(((clv_scenario *)0)->f) / sizeof(((clv_scenario *)0)->f[0]),                \
     .min_count = 1, .names = nm, .def = dv, .doc = d}

static const char *const n_model[] = {"bgnbd", "pareto", NULL};
static const char *const n_unit[] = {"day", "week", NULL};
static const char *const n_source[] = {"parameters", "fit", NULL};
static const char *const n_delim[] = {"auto", "whitespace", "comma", NULL};
static const char *const n_header[] = {"auto", "yes", "no", NULL};
static const char *const n_datefmt[] = {"auto", "YYYYMMDD", "YYYY-MM-DD", "YYYY-MM-DD hh:mm:ss", NULL};
static const char *const n_amount[] = {"total", "unit-price", NULL};
static const char *const n_ltv[] = {"mlp", "btyd", NULL};
static const char *const n_act[] = {"relu", "tanh", NULL};
static const char *const n_loss[] = {"mse", "ziln", NULL};
static const char *const n_lrs[] = {"constant", "cosine", NULL};
static const char *const n_search[] = {"none", "grid", "random", NULL};
static const char *const n_algo[] = {"q-learning", "sarsa", "expected-sarsa", NULL};
static const char *const n_alpha[] = {"constant", "visits", NULL};
static const char *const n_explore[] = {"epsilon-greedy", "softmax", NULL};
static const char *const n_targets[] = {"classic", "paired", NULL};
#define POLICY_NAME(id, name, sym) name,
static const char *const n_policy[] = {CLV_POLICY_KINDS(POLICY_NAME) NULL};
#undef POLICY_NAME
static const char *const n_format[] = {"png", "svg", NULL};

/* ---- list elements ---- */

#define WOFF(f) offsetof(clv_scn_window, f)
static const clv__key window_keys[] = {
    {.path = "name", .type = CLV__K_STRING, .flags = CLV__KF_REQUIRED, .off = WOFF(name),
     .size = CLV_NAME_MAX, .def = "\"\"", .doc = "Label of the window in reports and plots."},
    {.path = "start", .type = CLV__K_DATESPEC, .flags = CLV__KF_REQUIRED, .off = WOFF(start),
     .size = CLV_DATE_TEXT, .def = "\"01-01\"",
     .doc = "First day, every year: \"MM-DD\", \"black-friday\" (the day after the fourth Thursday "
            "of November) or \"black-friday+N\"/\"black-friday-N\" with N in 0..60."},
    {.path = "end", .type = CLV__K_DATESPEC, .flags = CLV__KF_REQUIRED, .off = WOFF(end),
     .size = CLV_DATE_TEXT, .def = "\"01-01\"",
     .doc = "Last day (inclusive), same forms as start; a window whose end comes before its start "
            "runs over New Year, and so does one whose end (\"black-friday+40\") falls in January."},
    {.path = "purchase_multiplier", .type = CLV__K_REAL, .flags = CLV__KF_MIN_OPEN,
     .off = WOFF(purchase_multiplier), .min = 0, .max = 100, .def = "1.0", .unit = "factor",
     .doc = "Multiplies every customer's purchase intensity on the days of the window."},
    {.path = "acquisition_multiplier", .type = CLV__K_REAL, .off = WOFF(acquisition_multiplier),
     .min = 0, .max = 100, .def = "1.0", .unit = "factor",
     .doc = "Multiplies the arrival rate of new customers on the days of the window."},
};

#define COFF(f) offsetof(clv_scn_coupon, f)
static const clv__key coupon_keys[] = {
    {.path = "name", .type = CLV__K_STRING, .flags = CLV__KF_REQUIRED, .off = COFF(name),
     .size = CLV_NAME_MAX, .def = "\"\"", .doc = "Label of the coupon level in reports."},
    {.path = "discount", .type = CLV__K_REAL, .flags = CLV__KF_REQUIRED | CLV__KF_MIN_OPEN | CLV__KF_MAX_OPEN,
     .off = COFF(discount), .min = 0, .max = 1, .def = "0.1", .unit = "fraction of basket",
     .doc = "Discount on the basket when the coupon is redeemed; for a holder who will use it, a price cut through response.price while it is valid."},
    {.path = "max_value", .type = CLV__K_REAL, .flags = CLV__KF_MIN_OPEN, .off = COFF(max_value), .min = 0,
     .max = MONEY_MAX, .def = "50.0", .unit = "currency",
     .doc = "Largest discount of one redemption (\"up to 50 off\"); with the costs, the most a coupon can cost, "
            "which budgets reserve when it is sent."},
    {.path = "validity_days", .type = CLV__K_INT, .off = COFF(validity_days), .min = 1, .max = 365,
     .def = "14", .unit = "days", .doc = "Days during which a coupon sent at a decision can be redeemed."},
    {.path = "redemption_cost", .type = CLV__K_REAL, .off = COFF(redemption_cost), .min = 0, .max = MONEY_MAX,
     .def = "0.0", .unit = "currency", .doc = "Fixed cost per redemption, on top of the discount."},
    {.path = "contact_cost", .type = CLV__K_REAL, .off = COFF(contact_cost), .min = 0, .max = MONEY_MAX,
     .def = "0.0", .unit = "currency", .doc = "Cost of sending one coupon, redeemed or not."},
    {.path = "contact_arm", .type = CLV__K_STRING, .flags = CLV__KF_EMPTY_OK, .off = COFF(contact_arm),
     .size = CLV_NAME_MAX, .def = "\"\"",
     .doc = "The arm of response.contact.effects whose effect the coupon's contact has. \"\": the first arm."},
};

static const char *const n_covariate[] = {"all", "recency", "spend", "age", NULL};
#define EOFF(f) offsetof(clv_scn_contact_effect, f)
static const clv__key effect_keys[] = {
    {.path = "arm", .type = CLV__K_STRING, .flags = CLV__KF_REQUIRED, .off = EOFF(arm), .size = CLV_NAME_MAX,
     .def = "\"\"", .doc = "The experiment's arm (its label in the experiment)."},
    {.path = "covariate", .type = CLV__K_ENUM, .flags = CLV__KF_REQUIRED, .off = EOFF(covariate),
     .names = n_covariate, .def = "\"all\"",
     .doc = "\"all\" (the arm), or the observable a level is of: \"recency\" (days since the last purchase), "
            "\"spend\" (past-year spend at list price: total spend, scaled to a year for customers older than "
            "one), \"age\" (days since the first purchase)."},
    {.path = "level", .type = CLV__K_STRING, .flags = CLV__KF_EMPTY_OK, .off = EOFF(level), .size = CLV_NAME_MAX,
     .def = "\"all\"", .doc = "The experiment's label of the level, for reports."},
    {.path = "upper", .type = CLV__K_REAL, .flags = CLV__KF_UNLIMITED, .off = EOFF(upper), .min = 0, .max = 1e9,
     .def = "-1.0", .unit = "days or currency", .doc = "The level holds states up to this value. -1: no upper bound."},
    {.path = "factor", .type = CLV__K_REAL, .flags = CLV__KF_REQUIRED | CLV__KF_MIN_OPEN, .off = EOFF(factor),
     .min = 0, .max = 100, .def = "1.0", .unit = "factor", .doc = "The model's multiplicative term (exp of its coefficient)."},
    {.path = "ratio", .type = CLV__K_REAL, .flags = CLV__KF_MIN_OPEN, .off = EOFF(ratio), .min = 0, .max = 1000,
     .def = "1.0", .unit = "factor", .doc = "The experiment's rate ratio in the level (treated / control purchase rate)."},
    {.path = "ratio_lo", .type = CLV__K_REAL, .off = EOFF(ratio_lo), .min = 0, .max = 1000, .def = "0.0",
     .unit = "factor", .doc = "Lower end of its interval."},
    {.path = "ratio_hi", .type = CLV__K_REAL, .off = EOFF(ratio_hi), .min = 0, .max = 1e6, .def = "0.0",
     .unit = "factor", .doc = "Upper end of its interval (0 with ratio_lo 0: no interval; validate does not check the row)."},
    {.path = "control_rate", .type = CLV__K_REAL, .off = EOFF(control_rate), .min = 0, .max = 1, .def = "0.0",
     .unit = "probability", .doc = "The control arm's purchase rate in the level."},
    {.path = "treated_rate", .type = CLV__K_REAL, .off = EOFF(treated_rate), .min = 0, .max = 1, .def = "0.0",
     .unit = "probability", .doc = "The arm's purchase rate in the level."},
    {.path = "customers", .type = CLV__K_INT, .off = EOFF(customers), .min = 0, .max = 2000000000, .def = "0",
     .unit = "customers", .doc = "Customers of the control arm and the arm in the level."},
};

/* ---- the table: sections in file order, each group before its members ---- */

const clv__key clv__scn_keys[] = {
    GROUP("scenario", 0, "What the scenario is and its master seed."),
    STR("scenario.name", scenario.name, CLV__KF_EMPTY_OK, "\"\"",
        "Name used to label outputs; empty means the file name without .cfg."),
    STR("scenario.description", scenario.description, CLV__KF_EMPTY_OK, "\"\"",
        "Free text shown in the report."),
    INT64("scenario.seed", scenario.seed, 0, CLV__INT64_MAX, 0, "1", NULL,
          "Master seed of every random stream (population, behaviour, exploration, evaluation); "
          "--seed overrides it. Any integer from 0 to 2^63 - 1; in a file, write values above "
          "2147483647 with an L suffix (libconfig's 64-bit integers)."),

    GROUP("data", 0, "A real transaction log and how to read it (optional). Used by clvsim validate (its third check)."),
    PATHK("data.transactions", data.transactions, "\"\"",
          "Transaction log (one row per purchase); relative paths are taken from the scenario "
          "file's directory. Empty: no real data."),
    ENUM("data.delimiter", data.delimiter, n_delim, "\"auto\"",
         "Column separator: runs of blanks, commas, or detected from the first line."),
    ENUM("data.header", data.header, n_header, "\"auto\"",
         "Whether the first line is a header; auto: it is when its date column is not a date."),
    INT("data.customer_column", data.customer_column, 1, 64, 0, "1", "column", "Column of the customer id."),
    INT("data.date_column", data.date_column, 1, 64, 0, "2", "column", "Column of the purchase date."),
    INT("data.amount_column", data.amount_column, 1, 64, 0, "3", "column",
        "Column of the amount spent in the purchase."),
    INT("data.quantity_column", data.quantity_column, 0, 64, 0, "0", "column",
        "Column of the quantity bought; 0: none."),
    ENUM("data.amount_kind", data.amount_kind, n_amount, "\"total\"",
         "total: the amount column is the row's spend; unit-price: it is a unit price and the spend is "
         "quantity x amount (needs data.quantity_column)."),
    ENUM("data.date_format", data.date_format, n_datefmt, "\"auto\"",
         "Date format of the date column; auto accepts each of the others."),
    STR("data.date_pattern", data.date_pattern, CLV__KF_EMPTY_OK, "\"\"",
        "A strftime-style pattern of the date column, such as \"%m/%d/%Y %H:%M\" (conversions %Y %y %m %b "
        "%d %H %M %S %%; times of day are checked, then ignored); replaces data.date_format. Empty: "
        "data.date_format."),
    ENUM("data.unit", data.unit, n_unit, "\"week\"", "Time unit of RFM summaries and fitted rates."),
    DATE("data.calibration_end", data.calibration_end, CLV__KF_EMPTY_OK, "\"\"",
         "Last day of the calibration period (YYYY-MM-DD); needed to fit a population."),
    DATE("data.holdout_end", data.holdout_end, CLV__KF_EMPTY_OK, "\"\"",
         "Last day of the holdout period (YYYY-MM-DD); empty: no holdout."),
    BOOL("data.skip_malformed", data.skip_malformed, "false",
         "Skip malformed rows and report how many of each kind, instead of stopping at the first."),
    BOOL("data.skip_missing_customer", data.skip_missing_customer, "false",
         "Skip rows whose customer id is empty (anonymous purchases) and count them apart from malformed "
         "rows, instead of treating them as malformed."),

    GROUP("population", 0, "Customers' latent purchase, dropout and spend processes."),
    ENUM("population.source", population.source, n_source, "\"parameters\"",
         "parameters: use the parameter groups below; fit: fit population.model and Gamma-Gamma to "
         "data.transactions up to data.calibration_end (in data.unit) when a command starts (run, compare, "
         "simulate, validate, train-agent), and use the estimates; the resolved scenario holds them."),
    ENUM("population.model", population.model, n_model, "\"bgnbd\"",
         "Purchase and dropout process: BG/NBD or Pareto/NBD."),
    ENUM("population.unit", population.unit, n_unit, "\"week\"",
         "Time unit in which the rate parameters (alpha, beta) are expressed."),
    GROUP("population.bgnbd", CLV__KF_ALL_REQUIRED,
          "BG/NBD heterogeneity (Fader, Hardie and Lee 2005). Default: their fit to the CDNOW "
          "1/10 sample, in weeks. When the group is given, all four keys are required."),
    REAL("population.bgnbd.r", population.bgnbd.r, SHAPE_MIN, SHAPE_MAX, 0, "0.243", NULL,
         "Shape of the gamma distribution of purchase rates."),
    REAL("population.bgnbd.alpha", population.bgnbd.alpha, SHAPE_MIN, SHAPE_MAX, 0, "4.414", "time unit",
         "Scale of the gamma distribution of purchase rates; the mean rate r / alpha must be at most 10 "
         "purchases a day."),
    REAL("population.bgnbd.a", population.bgnbd.a, SHAPE_MIN, SHAPE_MAX, 0, "0.793", NULL,
         "First shape of the beta distribution of dropout probabilities."),
    REAL("population.bgnbd.b", population.bgnbd.b, SHAPE_MIN, SHAPE_MAX, 0, "2.426", NULL,
         "Second shape of the beta distribution of dropout probabilities."),
    GROUP("population.pareto", CLV__KF_ALL_REQUIRED,
          "Pareto/NBD heterogeneity (Schmittlein, Morrison and Colombo 1987). Default: the fit to "
          "the CDNOW 1/10 sample reported by Fader, Hardie and Lee (2005), in weeks. When the "
          "group is given, all four keys are required."),
    REAL("population.pareto.r", population.pareto.r, SHAPE_MIN, SHAPE_MAX, 0, "0.553", NULL,
         "Shape of the gamma distribution of purchase rates."),
    REAL("population.pareto.alpha", population.pareto.alpha, SHAPE_MIN, SHAPE_MAX, 0, "10.578", "time unit",
         "Scale of the gamma distribution of purchase rates; the mean rate r / alpha must be at most 10 "
         "purchases a day."),
    REAL("population.pareto.s", population.pareto.s, SHAPE_MIN, SHAPE_MAX, 0, "0.606", NULL,
         "Shape of the gamma distribution of dropout rates."),
    REAL("population.pareto.beta", population.pareto.beta, SHAPE_MIN, SHAPE_MAX, 0, "11.669", "time unit",
         "Scale of the gamma distribution of dropout rates."),
    GROUP("population.spend", CLV__KF_ALL_REQUIRED,
          "Gamma-Gamma spend per transaction (Fader, Hardie and Lee 2005b). Default: their fit to "
          "the CDNOW 1/10 sample. When the group is given, all three keys are required."),
    REAL("population.spend.p", population.spend.p, SHAPE_MIN, SHAPE_MAX, 0, "6.25", NULL,
         "Shape of the gamma distribution of one transaction's spend."),
    REAL("population.spend.q", population.spend.q, 1, SHAPE_MAX, CLV__KF_MIN_OPEN, "3.74", NULL,
         "Shape of the gamma distribution of customers' spend scales; above 1, so that the mean spend "
         "p x gamma / (q - 1) is finite."),
    REAL("population.spend.gamma", population.spend.gamma, SHAPE_MIN, MONEY_MAX, 0, "15.44", "currency",
         "Scale of the gamma distribution of customers' spend scales; the mean spend per transaction "
         "p x gamma / (q - 1) must be at most 1e9."),
    INT64("population.customers", population.customers, 0, 1e8, 0, "10000", "customers",
          "Existing customers at the start of the calendar (before run.scale). Times run.scale, with the "
          "expected arrivals of the horizon, at most 1e9 (and likewise agent.customers and "
          "ltv.synthetic_customers)."),
    INT("population.burn_in_days", population.burn_in_days, 0, 3650, 0, "365", "days",
        "History simulated before the start, so existing customers arrive with purchase histories."),

    GROUP("calendar", 0, "The simulated period and the decision clock."),
    DATE("calendar.start", calendar.start, 0, "\"2026-10-01\"",
         "First simulated day (YYYY-MM-DD). The burn-in before it (at least a day) and the horizon after it "
         "(calendar.horizon_days, and ltv.horizon_days for the LTV predictor's world) must stay within "
         "0001-01-01 to 9999-12-30."),
    INT("calendar.horizon_days", calendar.horizon_days, 1, 3650, 0, "182", "days",
        "Length of the simulated (and evaluated) period."),
    INT("calendar.epoch_days", calendar.epoch_days, 1, 365, 0, "7", "days",
        "Days between decision epochs, at which a policy acts on every customer."),

    GROUP("seasonality", 0, "Day-of-week effects and calendar windows that multiply purchase intensity."),
    BOOL("seasonality.enabled", seasonality.enabled, "true",
         "false: purchase intensity and acquisition are constant over the calendar."),
    ARRAY(CLV__K_REAL_ARRAY, "seasonality.day_of_week", seasonality.day_of_week,
          seasonality.n_day_of_week, 7, 0, 100, CLV__KF_MIN_OPEN,
          "[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]", "factor",
          "Seven multipliers of purchase intensity, Monday to Sunday; exactly 7 values."),
    {.path = "seasonality.windows", .type = CLV__K_LIST, .off = OFF(seasonality.windows),
     .count_off = CNT(seasonality.n_windows), .size = CLV_MAX_WINDOWS, .elem_size = sizeof(clv_scn_window),
     .sub = window_keys, .n_sub = sizeof window_keys / sizeof window_keys[0], .def = "()",
     .doc = "Yearly windows such as a holiday peak or a January lull; multipliers of overlapping "
            "windows multiply. At most 16. On any day, the day-of-week multiplier times the windows' purchase "
            "multipliers must be at most 10000, and the product of their acquisition multipliers too."},

    GROUP("acquisition", 0, "New customers arriving during the horizon."),
    REAL("acquisition.rate_per_day", acquisition.rate_per_day, 0, 1e7, 0, "10.0", "customers/day",
         "Mean arrivals a day of a Poisson process (before run.scale and seasonality)."),
    BOOL("acquisition.seasonal", acquisition.seasonal, "true",
         "Apply the windows' acquisition multipliers to the arrival rate."),

    GROUP("lifecycle", 0, "Observable lifecycle stages (new, active, loyal, at-risk, churned), from recency and frequency."),
    INT("lifecycle.new_days", lifecycle.new_days, 1, 3650, 0, "30", "days",
        "A customer whose first purchase is at most this old is new."),
    INT("lifecycle.active_days", lifecycle.active_days, 1, 3650, 0, "90", "days",
        "A customer whose last purchase is at most this old is active (or loyal); must be >= new_days."),
    INT("lifecycle.churned_days", lifecycle.churned_days, 2, 3650, 0, "365", "days",
        "A customer whose last purchase is older is churned; between active_days and this, at-risk. "
        "Must be > active_days."),
    INT("lifecycle.loyal_purchases", lifecycle.loyal_purchases, 2, 1000, 0, "4", "purchases",
        "An active customer with at least this many purchases is loyal."),

    GROUP("economics", 0, "Money."),
    STR("economics.currency", economics.currency, 0, "\"USD\"", "Currency label used in reports."),
    REAL("economics.margin_rate", economics.margin_rate, 0, 1, 0, "0.3", "fraction",
         "Gross margin as a fraction of list-price revenue (cost of goods = revenue at list price x (1 - margin_rate))."),
    REAL("economics.annual_discount_rate", economics.annual_discount_rate, 0, 1, 0, "0.1", "per year",
         "Rate at which future value is discounted in CLV figures and LTV targets."),

    GROUP("interventions", 0, "What a policy can do at a decision epoch: send a coupon, set a price. The prices must include the list price 1.0, the price of no campaign."),
    {.path = "interventions.coupons", .type = CLV__K_LIST, .off = OFF(interventions.coupons),
     .count_off = CNT(interventions.n_coupons), .size = CLV_MAX_COUPONS, .elem_size = sizeof(clv_scn_coupon),
     .sub = coupon_keys, .n_sub = sizeof coupon_keys / sizeof coupon_keys[0],
     .def = "({ name = \"10%\"; discount = 0.1; }, { name = \"20%\"; discount = 0.2; })",
     .doc = "Coupon levels a policy may send (besides sending none). At most 8; the actions are "
            "every (coupon or none, price) pair."},
    ARRAY(CLV__K_REAL_ARRAY, "interventions.prices", interventions.prices, interventions.n_prices, 1,
          0.01, 10, CLV__KF_ASCENDING, "[1.0]", "factor",
          "Price levels as multipliers of list price, in increasing order. At most 8. With price response, "
          "the lowest level times 1 - the largest coupon discount, to the power elasticity_mean - 5 x elasticity_sd "
          "(a customer's intensity multiplier five standard deviations out), must be at most 10000."),
    GROUP("interventions.budget", 0, "Coupon spend limits enforced by the environment."),
    REAL("interventions.budget.per_epoch", interventions.budget_per_epoch, 0, BUDGET_MAX, CLV__KF_UNLIMITED,
         "-1.0", "currency", "Most a decision epoch may commit: each coupon sent commits the most it can cost (contact_cost + redemption_cost + max_value); coupons past the budget are not sent. -1: unlimited."),
    REAL("interventions.budget.total", interventions.budget_total, 0, BUDGET_MAX, CLV__KF_UNLIMITED, "-1.0",
         "currency", "Most the whole horizon may spend: coupon costs so far plus what the live coupons commit never exceed it. -1: unlimited."),

    GROUP("response", 0, "How customers respond to coupons and prices (scenarios/README.md, \"The response model\", says where each default comes from). A coupon is a contact, whose effect on buying is fitted to a randomised experiment (response.contact), plus, for a holder who will use it, a temporary price cut of its discount through the same price response as the price levels (response.price). Deal expectation, fatigue and carry-over are updated at each decision epoch and held within it."),
    BOOL("response.enabled", response.enabled, "true",
         "false: no customer responds to coupons or prices at all, and no coupon is redeemed."),
    GROUP("response.contact", 0, "The effect of being contacted, fitted to a randomised experiment by 'clvsim fit-response' (it writes this group). While a coupon is valid its contact multiplies the holder's purchase intensity by kappa, chosen so that the customer's probability of buying within window_days is multiplied by its rate ratio: kappa = -ln(1 - RR p0) / (lambda w), p0 = 1 - exp(-lambda w) for its own rate lambda (capped so that the probability of not buying falls at most by the factor RR)."),
    BOOL("response.contact.enabled", response.contact_enabled, "true", "false: a contact has no effect of its own."),
    INT("response.contact.window_days", response.contact_window_days, 1, 365, 0, "14", "days",
        "The experiment's window: the rate ratios are of buying within it."),
    {.path = "response.contact.effects", .type = CLV__K_LIST, .off = OFF(response.contact),
     .count_off = CNT(response.n_contact), .size = CLV_MAX_CONTACT_EFFECTS,
     .elem_size = sizeof(clv_scn_contact_effect), .sub = effect_keys,
     .n_sub = sizeof effect_keys / sizeof effect_keys[0], .def = "()",
     .doc = "The fitted effects, one row per arm (covariate \"all\") and per arm and covariate level. A customer's "
            "rate ratio is the product of its arm's \"all\" factor and the factors of the levels its state falls "
            "into; rows of one arm and covariate in increasing upper, the last one unbounded or holding every "
            "larger state. At most 96. (): a contact has no effect."},
    REAL("response.redeem_probability", response.redeem_probability, 0, 1, 0, "0.12", "probability",
         "Chance that a coupon's holder will use it: drawn when it arrives; a holder who will use it buys "
         "at the coupon's price and redeems it on its first purchase while it is valid. Default: the share of "
         "targeted households that redeemed, pooled over the 27 campaigns of the Complete Journey panel "
         "(792 of 6,589; scenarios/README.md)."),
    GROUP("response.price", 0, "One price response for price levels and coupons: a constant elasticity per customer."),
    BOOL("response.price.enabled", response.price_enabled, "true",
         "false: price levels and coupon discounts change what is paid, not how often customers buy."),
    REAL("response.price.elasticity_mean", response.elasticity_mean, -20, 0, 0, "-2.62", NULL,
         "Mean price elasticity of purchase intensity: price level P (times 1 - discount for a holder who will "
         "use its coupon) multiplies intensity by P^elasticity. Default: the mean of 1,851 estimates in "
         "Bijmolt, van Heerde and Pieters (2005)."),
    REAL("response.price.elasticity_sd", response.elasticity_sd, 0, 10, 0, "0.5", NULL,
         "Spread of the elasticity across customers (normal, redrawn until it is at most 0). An assumption: "
         "the meta-analysis' spread is across studies, not customers."),
    GROUP("response.carryover", 0, "Carry-over: part of a contact's effect persists after the offer expires (Sahni, Zou and Chintagunta 2017)."),
    BOOL("response.carryover.enabled", response.carryover_enabled, "false", "true: the effect persists after expiry."),
    REAL("response.carryover.share", response.carryover_share, 0, 1, 0, "0.3", "fraction",
         "Share of the contact's intensity lift (kappa - 1) that remains when the coupon expires or is redeemed."),
    REAL("response.carryover.half_life_days", response.carryover_half_life_days, 0, 3650, CLV__KF_MIN_OPEN,
         "14.0", "days", "Half-life of the remaining lift."),
    GROUP("response.deal_expectation", 0, "Deal expectation and the post-promotion dip: repeated coupons teach customers to wait for deals (Kalwani and Yim 1992; van Heerde, Leeflang and Wittink 2000)."),
    BOOL("response.deal_expectation.enabled", response.deal_enabled, "false", "true: coupons build deal expectation."),
    REAL("response.deal_expectation.gain", response.deal_gain, 0, 10, 0, "0.2", "per coupon",
         "Increase of deal expectation per coupon received."),
    REAL("response.deal_expectation.half_life_days", response.deal_half_life_days, 0, 3650,
         CLV__KF_MIN_OPEN, "60.0", "days", "Half-life of the decay of deal expectation."),
    REAL("response.deal_expectation.full_price_penalty", response.deal_full_price_penalty, 0, 1, 0,
         "0.5", "factor", "Intensity without a valid coupon is divided by (1 + penalty x expectation)."),
    GROUP("response.fatigue", 0, "Fatigue: repeated contact wears out its effect (advertising wear-out: Naik, Mantrala and Sawyer 1998)."),
    BOOL("response.fatigue.enabled", response.fatigue_enabled, "false", "true: repeated contact wears out."),
    REAL("response.fatigue.gain", response.fatigue_gain, 0, 10, 0, "0.15", "per coupon",
         "Increase of fatigue per coupon received; the contact's lift kappa - 1 is divided by (1 + fatigue)."),
    REAL("response.fatigue.half_life_days", response.fatigue_half_life_days, 0, 3650, CLV__KF_MIN_OPEN,
         "30.0", "days", "Half-life of the decay of fatigue."),

    GROUP("ltv", 0, "The LTV predictor. clvsim train-ltv trains the neural one on real and/or synthetic customers and measures it against BTYD. The agents, greedy, the oracle and ltv-threshold of clvsim run and train-agent take their LTV estimate (state bins, shaping, terminal value) and purchase probability from ltv.model: the network, trained in the run on worlds disjoint from the evaluation's (or loaded from ltv.file), or the population's BTYD model."),
    ENUM("ltv.model", ltv.model, n_ltv, "\"mlp\"",
         "mlp: the neural predictor (its value over horizon_days and its P(buy)); btyd: the population's BG/NBD or "
         "Pareto/NBD with Gamma-Gamma (its expected margin over horizon_days, and P(alive) as the purchase "
         "probability)."),
    PATHK("ltv.file", ltv.file, "\"\"",
          "With model mlp: a network saved by clvsim train-ltv (DIR/ltv.mlp) for the agents and policies; relative "
          "paths are taken from the scenario file's directory. Empty: clvsim run and train-agent train the network "
          "with this section first (as train-ltv does)."),
    INT("ltv.horizon_days", ltv.horizon_days, 1, 3650, 0, "365", "days", "Horizon of the predicted value."),
    BOOL("ltv.discount", ltv.discount, "true", "Discount the target at economics.annual_discount_rate."),
    BOOL("ltv.btyd_features", ltv.btyd_features, "true",
         "Add the population model's expected margin over horizon_days to the features (clvsim/ltv.h)."),
    ARRAY(CLV__K_INT_ARRAY, "ltv.windows_days", ltv.windows_days, ltv.n_windows_days, 1, 1, 3650,
          CLV__KF_ASCENDING, "[7, 30, 90]", "days",
          "Recent windows in which purchases and spend are counted as features. At most 6."),
    ARRAY(CLV__K_INT_ARRAY, "ltv.hidden", ltv.hidden, ltv.n_hidden, 1, 1, 4096, 0, "[32, 16]", "units",
          "Widths of the hidden layers. At most 8."),
    ENUM("ltv.activation", ltv.activation, n_act, "\"relu\"", "Activation of the hidden layers."),
    ENUM("ltv.loss", ltv.loss, n_loss, "\"ziln\"",
         "mse: mean squared error; ziln: zero-inflated lognormal (Wang, Liu and Miao 2019)."),
    INT("ltv.epochs", ltv.epochs, 1, 100000, 0, "200", "epochs", "Most passes over the training set."),
    INT("ltv.batch_size", ltv.batch_size, 1, 1000000, 0, "256", "examples", "Mini-batch size."),
    REAL("ltv.learning_rate", ltv.learning_rate, 0, 1, CLV__KF_MIN_OPEN, "0.001", NULL, "Adam's step size."),
    ENUM("ltv.lr_schedule", ltv.lr_schedule, n_lrs, "\"cosine\"", "Learning-rate schedule over the epochs."),
    REAL("ltv.weight_decay", ltv.weight_decay, 0, 1, 0, "0.0001", NULL, "Decoupled weight decay."),
    REAL("ltv.dropout", ltv.dropout, 0, 0.9, 0, "0.0", "probability", "Dropout on hidden units while training (inverted: kept units scaled by 1 / (1 - dropout))."),
    REAL("ltv.validation_fraction", ltv.validation_fraction, 0, 0.5, CLV__KF_MIN_OPEN, "0.2", "fraction",
         "Share of training customers held out for early stopping (keyed; with ltv.split_file its validation "
         "customers stop early instead; each cross-validation fold holds out this share of its own training rows)."),
    INT("ltv.patience", ltv.patience, 0, 10000, 0, "20", "epochs",
        "Stop after this many epochs without validation improvement; 0: never stop early."),
    INT64("ltv.synthetic_customers", ltv.synthetic_customers, 0, 1e8, 0, "20000", "customers",
          "Simulated customers in the training set (before run.scale)."),
    REAL("ltv.real_fraction", ltv.real_fraction, 0, 1, 0, "0.0", "fraction",
         "Share of training examples drawn from data.transactions (customers of data.calibration_end, the cut-off; "
         "ltv.holdout_fraction of them, or the test customers of ltv.split_file, are the real holdout); 1: real only, 0: synthetic only; above 0 needs a "
         "transaction log."),
    REAL("ltv.holdout_fraction", ltv.holdout_fraction, 0, 0.9, CLV__KF_MIN_OPEN, "0.2", "fraction",
         "Keyed share of the real customers kept as the real holdout (the test customers) when there is no "
         "ltv.split_file."),
    PATHK("ltv.split_file", ltv.split_file, "\"\"",
          "A CSV with the header customer_id,split and the values train, validation or test: which real customer "
          "trains, stops the training early or is the real holdout (clvsim train-ltv --split FILE); customers of "
          "the cohort not listed are left out. Needs ltv.real_fraction = 1. Relative to the scenario's directory."),
    INT("ltv.folds", ltv.folds, 0, 20, 0, "0", "folds",
        "k-fold cross-validation of the training customers (train and validation ones), written to ltv_cv.csv; 0: "
        "none, else at least 2."),
    ENUM("ltv.search", ltv.search, n_search, "\"none\"",
         "Hyper-parameter search over the ltv.search_* lists, each trial scored by the mean normalised Gini of "
         "ltv.folds-fold cross-validation (maximised); the best trial trains the final network. grid: every "
         "combination (at most ltv.trials of them); random: ltv.trials keyed draws of each list's value (a draw may "
         "repeat an earlier trial)."),
    INT("ltv.trials", ltv.trials, 1, 1000, 0, "20", "trials", "The search's budget of trials."),
    ARRAY(CLV__K_INT_ARRAY, "ltv.search_width", ltv.search_width, ltv.n_search_width, 1, 1, 4096, 0,
          "[16, 32, 64]", "units",
          "Search: widths of the first hidden layer; every other layer of ltv.hidden keeps its ratio to the first "
          "(rounded, at least 1)."),
    ARRAY(CLV__K_REAL_ARRAY, "ltv.search_learning_rate", ltv.search_learning_rate, ltv.n_search_learning_rate, 1,
          1e-12, 1, 0, "[0.0003, 0.001, 0.003]", NULL, "Search: Adam's step sizes."),
    ARRAY(CLV__K_REAL_ARRAY, "ltv.search_weight_decay", ltv.search_weight_decay, ltv.n_search_weight_decay, 1, 0,
          1, 0, "[0.0, 0.0001]", NULL, "Search: decoupled weight decays."),
    ARRAY(CLV__K_REAL_ARRAY, "ltv.search_dropout", ltv.search_dropout, ltv.n_search_dropout, 1, 0, 0.9, 0,
          "[0.0, 0.1]", "probability", "Search: dropout probabilities."),
    ENUMS("ltv.search_loss", ltv.search_loss, ltv.n_search_loss, n_loss, CLV__KF_UNIQUE, "[\"ziln\", \"mse\"]",
          "Search: losses."),

    GROUP("agent", 0, "The tabular agents that learn coupon and price policies (clvsim train-agent)."),
    ENUMS("agent.algorithms", agent.algorithms, agent.n_algorithms, n_algo, CLV__KF_UNIQUE,
          "[\"q-learning\", \"sarsa\"]", "Algorithms to train, each into its own table."),
    INT("agent.episodes", agent.episodes, 1, CLV_WORLDS_PER_SPACE, 0, "20", "episodes",
        "Training episodes of the calendar of the learning agents (paired targets learn in 10 to 20 on the "
        "known-answer worlds of tests/worlds; classic ones need hundreds)."),
    INT("agent.model_episodes", agent.model_episodes, 0, CLV_WORLDS_PER_SPACE, 0, "0", "episodes",
        "Episodes of random actions from which greedy and the oracle estimate their MDP; 0: agent.episodes."),
    INT64("agent.customers", agent.customers, 1, 1e8, 0, "5000", "customers",
          "Customers simulated in each training episode (before run.scale)."),
    REAL("agent.gamma", agent.gamma, 0, 1, 0, "0.99", "per epoch",
         "Discount factor per decision epoch of the learning agents (greedy and oracle plan undiscounted over the "
         "calendar's epochs, as the evaluation's net margin is)."),
    REAL("agent.learning_rate", agent.learning_rate, 0, 1, CLV__KF_MIN_OPEN, "0.1", NULL,
         "Step size (constant), or its scale with the visits schedule."),
    ENUM("agent.learning_rate_schedule", agent.learning_rate_schedule, n_alpha, "\"visits\"",
         "constant, or visits: learning_rate / n(s,a)^omega."),
    REAL("agent.omega", agent.omega, 0.5, 1, CLV__KF_MIN_OPEN, "0.7", NULL, "Exponent of the visits schedule."),
    ENUM("agent.exploration", agent.exploration, n_explore, "\"epsilon-greedy\"", "Exploration rule while training."),
    ENUM("agent.targets", agent.targets, n_targets, "\"paired\"",
         "What the learning agents learn from. classic: each transition's realised margin (the textbook updates). "
         "paired: at each epoch every customer is replayed under every action on copies of the simulator (the same "
         "random numbers for all), and Q(s,a) = Q(s, no coupon at list price) + the mean paired difference of the "
         "expected margins over the coupon's validity (clvsim/agent.h); the Q-function agents regress that "
         "advantage on their features (clvsim/qfunc.h)."),
    GROUP("agent.epsilon", 0, "Epsilon-greedy schedule: linear from start to end over decay_episodes, then end."),
    REAL("agent.epsilon.start", agent.epsilon_start, 0, 1, 0, "1.0", "probability", "Epsilon in the first episode."),
    REAL("agent.epsilon.end", agent.epsilon_end, 0, 1, 0, "0.05", "probability", "Epsilon after the decay."),
    INT("agent.epsilon.decay_episodes", agent.epsilon_decay_episodes, 0, 10000000, 0, "15", "episodes",
        "Episodes over which epsilon decays; 0: end from the start."),
    REAL("agent.temperature", agent.temperature, 0, 1e6, CLV__KF_MIN_OPEN, "1.0", "currency",
         "Softmax temperature, in the units of Q."),
    BOOL("agent.shaping", agent.shaping, "true",
         "Potential-based reward shaping with the predicted LTV as potential."),
    BOOL("agent.terminal_value", agent.terminal_value, "true",
         "Add the predicted remaining LTV as terminal value at the end of an episode."),
    REAL("agent.confidence", agent.confidence, 0, 1, CLV__KF_MAX_OPEN, "0.95", "probability",
         "How a learned table is deployed (clvsim run, policy_*.csv): in each state, the action of highest Q among "
         "those whose advantage over no coupon at list price is positive with this one-sided confidence (standard "
         "errors of Q from the learning targets); else no coupon at list price. 0: the greedy action. Also applies "
         "to greedy and oracle, whose Q are means of observed targets with their standard errors, and to the "
         "values the oracle plans with (each epoch's value is that of the action it deploys)."),
    GROUP("agent.bins", 0, "How an observation is discretised into a state."),
    ARRAY(CLV__K_INT_ARRAY, "agent.bins.recency_days", agent.bins_recency_days, agent.n_bins_recency_days,
          1, 1, 3650, CLV__KF_ASCENDING, "[14, 30, 60, 120]", "days",
          "Upper edges of recency bins (a value equal to an edge falls in the bin below it). At most 15."),
    ARRAY(CLV__K_INT_ARRAY, "agent.bins.frequency", agent.bins_frequency, agent.n_bins_frequency, 1, 0,
          100000, CLV__KF_ASCENDING, "[1, 2, 4]", "purchases", "Upper edges of frequency bins. At most 15."),
    INT("agent.bins.ltv_quantiles", agent.bins_ltv_quantiles, 1, 20, 0, "4", "bins",
        "Number of predicted-LTV quantile bins (1: LTV not used)."),
    INT("agent.bins.pbuy_quantiles", agent.bins_pbuy_quantiles, 1, 20, 0, "1", "bins",
        "Number of purchase-probability quantile bins (ltv.model's P(buy), or BTYD's P(alive)), fitted as the LTV "
        "quantiles are (1: not used)."),
    ARRAY(CLV__K_INT_ARRAY, "agent.bins.coupon_age_days", agent.bins_coupon_age_days,
          agent.n_bins_coupon_age_days, 1, 1, 3650, CLV__KF_ASCENDING, "[14, 56]", "days",
          "Upper edges of the bins of days since the last coupon (the observable trace of deal expectation, "
          "which is latent); a customer never sent one falls in the last bin. At most 15."),
    BOOL("agent.bins.stage", agent.bins_stage, "true", "Use the lifecycle stage in the state."),
    BOOL("agent.bins.season_phase", agent.bins_season_phase, "true",
         "Use the season phase (before, during, after the windows) in the state."),
    INT("agent.checkpoint_every", agent.checkpoint_every, 0, 10000000, 0, "0", "episodes",
        "Also write the table so far to agent_<algorithm>.checkpoint.qtab (atomically) every this many "
        "episodes of clvsim train-agent, to go on from with --resume (removed when the training ends); "
        "0: no checkpoints."),
    GROUP("agent.qfunc", 0,
          "The agents with a Q-function of continuous state features (q-linear, sarsa-linear, q-mlp, sarsa-mlp of "
          "evaluation.policies; clvsim/qfunc.h): linear_step and linear_omega set the linear ones, the others the "
          "MLP ones (DQN: experience replay and a target network)."),
    REAL("agent.qfunc.linear_step", agent.qfunc_linear_step, 0, 2, CLV__KF_MIN_OPEN | CLV__KF_MAX_OPEN, "1.0", NULL,
         "Step of the linear Q-functions: alpha / (1 + |g|^2 + n^linear_omega), g the gradient of Q (the features "
         "and the action's terms), n the transitions of the action so far in any state."),
    REAL("agent.qfunc.linear_omega", agent.qfunc_linear_omega, 0, 1, 0, "1.0", NULL,
         "Exponent of the count in the linear step: 1 a running mean of the targets once n passes |g|^2; 0 a "
         "constant normalised step."),
    ARRAY(CLV__K_INT_ARRAY, "agent.qfunc.hidden", agent.qfunc_hidden, agent.qfunc_n_hidden, 1, 1, 4096, 0, "[32]",
          "units", "Widths of the hidden layers of the Q-network (one output per action). At most 8."),
    ENUM("agent.qfunc.activation", agent.qfunc_activation, n_act, "\"relu\"", "Activation of its hidden layers."),
    REAL("agent.qfunc.learning_rate", agent.qfunc_learning_rate, 0, 1, CLV__KF_MIN_OPEN, "0.001", NULL,
         "Adam's step size."),
    ENUM("agent.qfunc.lr_schedule", agent.qfunc_lr_schedule, n_lrs, "\"constant\"",
         "Adam's step size over the training episodes: constant, or cosine from learning_rate to 0 (in the elastic "
         "known-answer world q-mlp gained +633 USD over none with cosine, +992 constant: one seed each)."),
    INT("agent.qfunc.replay", agent.qfunc_replay, 1, 100000000, 0, "100000", "transitions",
        "Capacity of the experience replay buffer (a ring: the oldest transition is replaced)."),
    INT("agent.qfunc.batch", agent.qfunc_batch, 1, 65536, 0, "64", "transitions", "Mini-batch size of a DQN step."),
    REAL("agent.qfunc.updates", agent.qfunc_updates, 0, 100, CLV__KF_MIN_OPEN, "8.0", "per transition",
         "DQN steps after each epoch of n customers: ceil(updates x n / batch). At 1 the MLP agents left "
         "advantages of a few cents per customer-epoch unresolved (medians over 5 seeds 0.61-0.94 of the "
         "known optimum on tests/worlds; 8: 0.92-0.96, make bench SECTIONS=seeds)."),
    INT("agent.qfunc.target_sync", agent.qfunc_target_sync, 1, 10000000, 0, "250", "steps",
        "DQN steps between copies of the network into the target network."),
    REAL("agent.qfunc.huber", agent.qfunc_huber, 0, 1e9, 0, "10.0", "currency",
         "Threshold of the Huber loss of the TD error; 0: squared error."),

    GROUP("evaluation", 0, "The comparison of policies (clvsim run) on fresh evaluation worlds of population.customers x run.scale customers, with common random numbers; clvsim simulate's fixed policies read the rule parameters too."),
    ENUMS("evaluation.policies", evaluation.policies, evaluation.n_policies, n_policy, CLV__KF_UNIQUE,
          "[\"none\", \"blanket\", \"random\", \"rfm\", \"ltv-threshold\", \"greedy\", \"q-learning\", "
          "\"sarsa\"]",
          "Policies to compare; blanket stands for one policy per coupon level (blanket-K), prices for one per "
          "price level other than list (price-K: everyone at level K of interventions.prices, no coupon); "
          "price-up and price-down set everyone at the nearest level above or below list, no coupon (not in this "
          "default: the default interventions.prices is the list price alone; the shipped scenarios list them). none, "
          "blanket, price-up, price-down, prices, random, rfm, ltv-threshold and welcome are the fixed policies, the best "
          "of which is the reference of the paired differences; "
          "greedy and oracle use an MDP estimated from agent.model_episodes episodes of random actions: greedy takes the "
          "epoch's reward and what it causes while a coupon can stay valid (ceil(largest validity_days / "
          "epoch_days) epochs, the later ones without campaign), oracle solves it by backward induction over the "
          "calendar's epochs (a policy per epoch); clairvoyant is "
          "a yardstick, not a policy a business could run: it sees each customer's latent state and values every "
          "action by rollouts in the true simulator (evaluation.clairvoyant), an upper bound in practice on the "
          "policies that see only observations."),
    INT("evaluation.replications", evaluation.replications, 2, 100000, 0, "10", "replications",
        "Independent replications, with common random numbers across policies."),
    REAL("evaluation.confidence", evaluation.confidence, 0.5, 1, CLV__KF_MAX_OPEN, "0.95", "probability",
         "Level of the confidence intervals."),
    GROUP("evaluation.verification", 0,
          "Verified deployment (safe policy improvement): before the comparison, every learned or planned policy "
          "(q-learning, sarsa, expected-sarsa, greedy, oracle) is evaluated against none, paired with common random "
          "numbers, on fresh verification worlds (never the evaluation, training or oracle worlds). It enters the "
          "comparison as itself only if the lower end of the evaluation.confidence interval of its paired net-margin "
          "difference is above 0 (a one-sided test at level (1 + confidence) / 2); else it falls back to none: in "
          "the comparison it keeps its name, is labelled \"NAME -> none (not verified)\" and acts as none."),
    INT("evaluation.verification.replications", evaluation.verification_replications, 0, 100000, CLV__KF_UNLIMITED,
        "-1", "replications",
        "Verification worlds, with common random numbers between each policy and none; -1: as many as "
        "evaluation.replications; 0: no verification, every learned and planned policy deployed as it is (unsafe: "
        "one that loses to no campaign is compared as if it were the agent's choice); 1 is refused (no interval)."),
    REAL("evaluation.random_coupon_probability", evaluation.random_coupon_probability, 0, 1, 0, "0.2",
         "probability", "random policy: chance that a customer gets a coupon (level and price uniform)."),
    GROUP("evaluation.rfm", 0, "The RFM rule: a coupon to at-risk customers whose past value is high."),
    REAL("evaluation.rfm.value_quantile", evaluation.rfm_value_quantile, 0, 1, 0, "0.5", "quantile",
         "Past spend quantile above which an at-risk customer gets the coupon."),
    INT("evaluation.rfm.coupon", evaluation.rfm_coupon, 1, CLV_MAX_COUPONS, 0, "1", "index",
        "Coupon level to send (1-based index into interventions.coupons)."),
    GROUP("evaluation.ltv_threshold", 0, "The LTV-threshold rule: a coupon when predicted LTV is above a quantile."),
    REAL("evaluation.ltv_threshold.quantile", evaluation.ltv_quantile, 0, 1, 0, "0.7", "quantile",
         "Predicted-LTV quantile above which a customer gets the coupon."),
    INT("evaluation.ltv_threshold.coupon", evaluation.ltv_coupon, 1, CLV_MAX_COUPONS, 0, "1", "index",
        "Coupon level to send (1-based index into interventions.coupons)."),
    GROUP("evaluation.welcome", 0, "The welcome rule: a coupon to every customer in the lifecycle stage new (first purchase at most lifecycle.new_days ago), at list price."),
    INT("evaluation.welcome.coupon", evaluation.welcome_coupon, 1, CLV_MAX_COUPONS, 0, "1", "index",
        "Coupon level to send (1-based index into interventions.coupons)."),

    GROUP("evaluation.clairvoyant", 0, "The clairvoyant yardstick: per customer and epoch, the action of highest "
          "expected net margin to the horizon's end, from rollouts in the true simulator from its latent state."),
    INT("evaluation.clairvoyant.lucks", evaluation.clairvoyant_lucks, 2, 64, 0, "2", "draws",
        "Luck draws (fresh futures, common to all actions) averaged per epoch and action; the cost is "
        "about lucks x (actions + coupons + prices) rollouts to the horizon's end per epoch. With the rollouts' "
        "expected margins the default 2 is within noise of 8 on holiday.cfg (scale 0.2, 10 replications: "
        "-51 [-584, +482] USD, paired; 4: -96 [-367, +175]) at a quarter of the cost."),

    GROUP("output", 0, "Where and what to write. In clvsim 0.1.0 only dir is read; plots and report take effect with the comparison."),
    STR("output.dir", output.dir, CLV__KF_EMPTY_OK, "\"\"",
        "Output directory (-o overrides it); empty means out/<scenario.name>."),
    BOOL("output.plots", output.plots, "true", "Render plots with gnuplot."),
    ENUMS("output.plot_formats", output.plot_formats, output.n_plot_formats, n_format, CLV__KF_UNIQUE,
          "[\"png\", \"svg\"]", "Image formats of the plots."),
    BOOL("output.report", output.report, "true", "Write report.html."),

    GROUP("run", 0, "Execution."),
    INT("run.threads", run.threads, 0, 256, 0, "0", "threads",
        "Worker threads (--threads overrides); 0: all processors. Results do not depend on it."),
    REAL("run.scale", run.scale, 0, 1000, CLV__KF_MIN_OPEN, "1.0", "factor",
         "Multiplies population.customers, acquisition.rate_per_day, ltv.synthetic_customers and "
         "agent.customers (--scale overrides)."),
};

const size_t clv__scn_n_keys = sizeof clv__scn_keys / sizeof clv__scn_keys[0];

const clv__key *clv__scn_find(const char *path)
{
    for (size_t i = 0; i < clv__scn_n_keys; i++)
        if (strcmp(clv__scn_keys[i].path, path) == 0)
            return &clv__scn_keys[i];
    return NULL;
}

static void bound_text(double v, int integer, char *buf, size_t n)
{
    if (integer && v >= CLV__INT64_MAX)
        snprintf(buf, n, "9223372036854775807");
    else
        snprintf(buf, n, integer ? "%.0f" : "%g", v);
}

void clv__scn_range_text(const clv__key *k, int integer, char *buf, size_t n)
{
    char lo[32], hi[32];
    bound_text(k->min, integer, lo, sizeof lo);
    bound_text(k->max, integer, hi, sizeof hi);
    snprintf(buf, n, "%s%c%s, %s%c", (k->flags & CLV__KF_UNLIMITED) ? "-1 or " : "",
             (k->flags & CLV__KF_MIN_OPEN) ? '(' : '[', lo, hi, (k->flags & CLV__KF_MAX_OPEN) ? ')' : ']');
}

int clv__scn_in_range(const clv__key *k, double v)
{
    if ((k->flags & CLV__KF_UNLIMITED) && v == -1)
        return 1;
    if ((k->flags & CLV__KF_MIN_OPEN) ? !(v > k->min) : !(v >= k->min))
        return 0;
    if ((k->flags & CLV__KF_MAX_OPEN) ? !(v < k->max) : !(v <= k->max))
        return 0;
    return 1;
}

const char *clv_contact_covariate_name(int covariate)
{
    return covariate >= 0 && covariate < CLV_CONTACT_N ? n_covariate[covariate] : "unknown";
}
