/* fuzz_txlog.c - libFuzzer harness of the transaction-log reader and its
 * per-customer summary (clv_rfm_read).
 *
 * The input is a log; it is read with each of a few sets of options (the
 * layouts of the logs in tests/fixtures/txlog: automatic detection, dates
 * first, a note column, an Online-Retail-like unit-price log, whitespace
 * with YYYYMMDD dates, US dates by a pattern with rows
 * without a customer skipped; strict and skipping malformed rows; days and weeks;
 * with and without a holdout period).
 *
 * Promises checked:
 * - no crash, hang, memory error, leak or undefined behaviour;
 * - a failure is CLV_EINPUT (naming the file), CLV_EIO or CLV_ENOMEM with a
 *   message;
 * - a summary is consistent: at least one customer, finite times and
 *   spends, 0 <= t_x <= T, non-negative counts, the repeat transactions per
 *   day adding up to the customers' repeat transactions, the statistics
 *   agreeing with each other, and the CSV written. */
#include "fuzz.h"

#include <math.h>

#include "clvsim/date.h"
#include "clvsim/txlog.h"

static char path[4200];

typedef struct setup {
    clv_txlog_opts o;
    int cal[3], hold[3]; /* year, month, day; hold[0] == 0: no holdout */
    int unit;
} setup;

static setup setups[6];
static const size_t n_setups = sizeof setups / sizeof setups[0];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_init();
    fuzz_path(path, sizeof path, "log.csv");
    for (size_t i = 0; i < n_setups; i++)
        clv_txlog_opts_default(&setups[i].o);
    /* 0: every detection automatic, strict; calibration to the end of time */
    setups[0] = (setup){setups[0].o, {9999, 12, 31}, {0, 0, 0}, CLV_UNIT_DAY};
    /* 1: date, customer, amount (datetimes.csv); skipping; weeks; a holdout */
    setups[1] = (setup){setups[1].o, {1997, 1, 2}, {1997, 12, 31}, CLV_UNIT_WEEK};
    setups[1].o.customer_column = 2, setups[1].o.date_column = 1, setups[1].o.skip_malformed = 1;
    /* 2: customer, note, date, amount (quoted.csv): commas, a header */
    setups[2] = (setup){setups[2].o, {1997, 1, 4}, {0, 0, 0}, CLV_UNIT_DAY};
    setups[2].o.delimiter = CLV_DELIM_COMMA, setups[2].o.header = CLV_HEADER_YES;
    setups[2].o.date_column = 3, setups[2].o.amount_column = 4;
    /* 3: Online Retail (unitprice.csv): quantity x unit price, ISO date-times, skipping */
    setups[3] = (setup){setups[3].o, {2010, 12, 1}, {2011, 12, 9}, CLV_UNIT_DAY};
    setups[3].o.customer_column = 7, setups[3].o.date_column = 5, setups[3].o.amount_column = 6;
    setups[3].o.quantity_column = 4, setups[3].o.amount_kind = CLV_AMOUNT_UNIT_PRICE;
    setups[3].o.date_format = CLV_DATEFMT_ISO_DATETIME, setups[3].o.skip_malformed = 1;
    /* 4: blanks, no header, YYYYMMDD, a quantity column of total amounts (basic.txt) */
    setups[4] = (setup){setups[4].o, {1997, 3, 31}, {1997, 6, 30}, CLV_UNIT_WEEK};
    setups[4].o.delimiter = CLV_DELIM_WHITESPACE, setups[4].o.header = CLV_HEADER_NO;
    setups[4].o.date_format = CLV_DATEFMT_YYYYMMDD, setups[4].o.quantity_column = 3, setups[4].o.amount_column = 4;
    /* 5: UCI as shipped: US date-times by a pattern, rows without a customer counted apart, strict */
    setups[5] = (setup){setups[5].o, {2011, 6, 30}, {2011, 12, 9}, CLV_UNIT_WEEK};
    setups[5].o.customer_column = 4, setups[5].o.date_column = 2, setups[5].o.amount_column = 3;
    setups[5].o.date_pattern = "%m/%d/%Y %H:%M", setups[5].o.skip_missing_customer = 1;
    return 0;
}

static void check_table(const clv_rfm_table *t, const setup *su)
{
    FUZZ_CHECK(t->n >= 1, "an empty cohort was accepted");
    const clv_txlog_stats *s = &t->stats;
    FUZZ_CHECK(s->customers >= (long)t->n && s->transactions >= s->customers && s->rows >= s->transactions &&
                   s->merged_rows == s->rows - s->transactions && s->returns >= 0 && s->zero_amounts >= 0 &&
                   s->lines >= s->rows,
               "inconsistent statistics: lines %ld, rows %ld, transactions %ld, merged %ld, customers %ld", s->lines,
               s->rows, s->transactions, s->merged_rows, s->customers);
    FUZZ_CHECK(s->customers == (long)t->n + t->later_customers, "customers %ld != %zu in the cohort + %ld later",
               s->customers, t->n, t->later_customers);
    FUZZ_CHECK(s->first_day <= s->last_day, "first day %d after last day %d", (int)s->first_day, (int)s->last_day);
    double repeats = 0;
    for (size_t i = 0; i < t->n; i++) {
        const clv_rfm *r = &t->c[i];
        FUZZ_CHECK(t->id[i] && t->id[i][0], "customer %zu has no id", i);
        FUZZ_CHECK(isfinite(r->x) && isfinite(r->t_x) && isfinite(r->T) && isfinite(r->mean_spend) &&
                       isfinite(r->first_spend) && isfinite(r->x_holdout) && isfinite(r->spend_holdout) &&
                       isfinite(r->max_spend) && isfinite(r->last_spend),
                   "customer %s: a non-finite summary (x %g, t_x %g, T %g, mean spend %g, first spend %g, "
                   "holdout %g, %g)",
                   t->id[i], r->x, r->t_x, r->T, r->mean_spend, r->first_spend, r->x_holdout, r->spend_holdout);
        FUZZ_CHECK(r->x >= 0 && r->x_holdout >= 0 && r->t_x >= 0 && r->t_x <= r->T && r->mean_spend >= 0 &&
                       r->first_spend >= 0 && r->spend_holdout >= 0 && r->max_spend >= r->last_spend &&
                       r->max_spend >= r->first_spend,
                   "customer %s: x %g, t_x %g, T %g, spends %g %g %g %g %g", t->id[i], r->x, r->t_x, r->T,
                   r->mean_spend, r->first_spend, r->spend_holdout, r->max_spend, r->last_spend);
        FUZZ_CHECK(r->x > 0 || r->t_x == 0, "customer %s: t_x %g without repeat transactions", t->id[i], r->t_x);
        FUZZ_CHECK(r->recent[0] <= r->recent[1] && r->recent[1] <= r->recent[2] && r->recent[0] >= 0 &&
                       r->recent[2] <= r->x + 1,
                   "customer %s: recent transactions %d, %d, %d with x = %g", t->id[i], r->recent[0], r->recent[1],
                   r->recent[2], r->x);
        /* a customer who started far before the bulk of the log (a typo,
         * clv_txlog_stats) is left out of the daily series, not of the cohort */
        FUZZ_CHECK((r->first_day >= t->series_start || r->first_day < t->stats.near_first) &&
                       r->first_day <= t->calibration_end,
                   "customer %s: first day %d outside [%d, %d] and not far before %d", t->id[i], (int)r->first_day,
                   (int)t->series_start, (int)t->calibration_end, (int)t->stats.near_first);
        repeats += r->x + r->x_holdout;
    }
    double per_day = 0;
    for (size_t d = 0; d < t->n_days; d++) {
        FUZZ_CHECK(t->repeat_per_day[d] >= 0, "day %zu: %ld repeat transactions", d, t->repeat_per_day[d]);
        per_day += (double)t->repeat_per_day[d];
    }
    /* without a holdout the series runs to the last purchase, past the
     * calibration end, so it holds more than x */
    /* far dates are left out of the series: it can then hold fewer */
    const int far = t->stats.far_before || t->stats.far_after;
    FUZZ_CHECK(far ? per_day <= repeats || !su->hold[0] : su->hold[0] ? per_day == repeats : per_day >= repeats,
               "repeat transactions per day add up to %.0f; the customers have %.0f%s", per_day, repeats,
               far ? " (with far dates)" : "");

    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    FUZZ_CHECK(fp, "open_memstream");
    clv_error err;
    int st = clv_rfm_write_csv(t, fp, &err);
    FUZZ_CHECK(fclose(fp) == 0 && st == CLV_OK, "clv_rfm_write_csv failed: %s", err.msg);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_write(path, data, size);
    for (size_t i = 0; i < n_setups; i++) {
        const setup *su = &setups[i];
        int32_t cal = clv_date_from_ymd(su->cal[0], su->cal[1], su->cal[2]);
        int32_t hold = su->hold[0] ? clv_date_from_ymd(su->hold[0], su->hold[1], su->hold[2]) : -1;
        clv_rfm_table *t = NULL;
        clv_error err;
        int st = clv_rfm_read(path, &su->o, cal, hold, su->unit, NULL, &t, &err);
        if (st != CLV_OK) {
            fuzz_check_error(st, &err, path);
            FUZZ_CHECK(st == CLV_EINPUT || st == CLV_EIO || st == CLV_ENOMEM, "status %d reading a log: %s", st,
                       err.msg);
            FUZZ_CHECK(!t, "a table with an error");
            continue;
        }
        check_table(t, su);
        clv_rfm_free(t);
    }
    return 0;
}
