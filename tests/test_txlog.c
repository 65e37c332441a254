/* test_txlog.c - the transaction-log reader and RFM summary: hand-made logs
 * with answers worked out by hand, every malformed kind's exact message and
 * its count in skip mode, the CSV writer, cancellation, and the real CDNOW
 * logs against Hardie's published summary. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include "clvsim/date.h"
#include "clvsim/progress.h"
#include "clvsim/txlog.h"
#include "harness.h"

#define FIX "tests/fixtures/txlog"

static int32_t ymd(int y, int m, int d) { return clv_date_from_ymd(y, m, d); }

/* read, reporting the error when the read fails */
static clv_rfm_table *read_ok(const char *path, const clv_txlog_opts *o, int32_t cal, int32_t hold, int unit)
{
    clv_rfm_table *t = NULL;
    clv_error err;
    int st = clv_rfm_read(path, o, cal, hold, unit, NULL, &t, &err);
    if (st != CLV_OK) {
        char buf[2048];
        harness_fail(__FILE__, __LINE__, "%s: status %d: %s", path, st, clv_error_format(&err, buf, sizeof buf));
    }
    return t;
}

/* the read fails with code and exactly the message msg */
static void read_fails(const char *path, const clv_txlog_opts *o, int32_t cal, int32_t hold, int code, const char *msg)
{
    static clv_rfm_table dummy;
    clv_rfm_table *t = &dummy; /* not NULL: the call must reset it */
    clv_error err;
    clv_error_clear(&err);
    int st = clv_rfm_read(path, o, cal, hold, CLV_UNIT_DAY, NULL, &t, &err);
    char buf[2048];
    clv_error_format(&err, buf, sizeof buf);
    if (st != code)
        harness_fail(__FILE__, __LINE__, "%s: status %d, expected %d (%s)", path, st, code, buf);
    if (strcmp(buf, msg) != 0)
        harness_fail(__FILE__, __LINE__, "%s\n      got:      %s\n      expected: %s", path, buf, msg);
    if (t != NULL) {
        harness_fail(__FILE__, __LINE__, "%s: *out not NULL after a failure", path);
        if (st == CLV_OK)
            clv_rfm_free(t);
    }
}

/* index of customer id in t, or -1 */
static long find(const clv_rfm_table *t, const char *id)
{
    for (size_t i = 0; t && i < t->n; i++)
        if (strcmp(t->id[i], id) == 0)
            return (long)i;
    return -1;
}

/* CDNOW-like columns: customer, date, quantity, amount */
/* unitprice.csv (the UCI Online Retail layout) by column number */
static void opts_unitprice(clv_txlog_opts *o)
{
    clv_txlog_opts_default(o);
    o->customer_column = 7;
    o->date_column = 5;
    o->quantity_column = 4;
    o->amount_column = 6;
    o->amount_kind = CLV_AMOUNT_UNIT_PRICE;
    o->skip_malformed = 1;
}

static void opts_cdnow(clv_txlog_opts *o)
{
    clv_txlog_opts_default(o);
    o->customer_column = 1;
    o->date_column = 2;
    o->quantity_column = 3;
    o->amount_column = 4;
}

/* basic.txt (CRLF, leading blanks, runs of blanks, one tab-separated line,
 * a blank line, no header; columns id date cds dollars).  Calibration ends
 * 1997-01-10, holdout 1997-01-20, in days.  By hand:
 *   A: 01-01 10 + 5 (two rows, one transaction): first_spend 15;
 *      01-03 7.50 + 2.50 = 10 and 01-10 (ON the calibration end) 6: x = 2,
 *      t_x = 9, T = 9, mean_spend = 16 / 2 = 8;
 *      01-20 (ON the holdout end) 4 + 1: x_holdout 1, spend 5.
 *   B: 01-02 20: first_spend 20; 01-03 -20 and 01-05 quantity -1 are
 *      returns; x = 0, t_x = 0, T = 8; 01-11: x_holdout 1, spend 9;
 *      01-21 is after the holdout: not in the summary.
 *   C: 01-05 amount 0 (a purchase of value 0): first_spend 0; 01-10 3:
 *      x = 1, t_x = 5, T = 5, mean 3.
 *   D: first purchase 01-12, after the calibration end: a later customer.
 * Stats: 17 lines (16 rows, 1 blank), 2 returns, 14 purchase rows, 1 zero
 * amount, transactions A 4 + B 3 + C 2 + D 2 = 11, merged 14 - 11 = 3,
 * 4 customers, days 01-01 to 01-21.
 * Repeat transactions per day from 01-01: A 01-03, A and C 01-10, B 01-11,
 * A 01-20 (B 01-21 is past the holdout end). */
TEST(test_txlog_basic_summary)
{
    char *text = harness_read_file(FIX "/basic.txt");
    CHECK(text && strstr(text, "\r\n") && strchr(text, '\t')); /* the fixture keeps its CRLF and tab */
    free(text);

    clv_txlog_opts o;
    opts_cdnow(&o);
    clv_rfm_table *t = read_ok(FIX "/basic.txt", &o, ymd(1997, 1, 10), ymd(1997, 1, 20), CLV_UNIT_DAY);
    if (!t)
        return;
    CHECK_INT(t->n, 3);
    CHECK_STR(t->id[0], "A"); /* order of first appearance */
    CHECK_STR(t->id[1], "B");
    CHECK_STR(t->id[2], "C");
    CHECK_INT(t->later_customers, 1);
    CHECK_INT(find(t, "D"), -1); /* not in the table */
    CHECK_INT(find(t, "C"), 2);
    CHECK_INT(t->unit, CLV_UNIT_DAY);
    CHECK_NEAR(t->unit_days, 1, 0);
    CHECK_INT(t->calibration_end, ymd(1997, 1, 10));
    CHECK_INT(t->holdout_end, ymd(1997, 1, 20));
    CHECK_NEAR(t->holdout_length, 10, 0);

    const clv_rfm *a = &t->c[0], *b = &t->c[1], *c = &t->c[2];
    CHECK_INT(a->first_day, ymd(1997, 1, 1));
    CHECK_NEAR(a->first_spend, 15, 1e-12);
    CHECK_NEAR(a->x, 2, 0);
    CHECK_NEAR(a->t_x, 9, 0);
    CHECK_NEAR(a->T, 9, 0);
    CHECK_NEAR(a->mean_spend, 8, 1e-12);
    CHECK_NEAR(a->x_holdout, 1, 0);
    CHECK_NEAR(a->spend_holdout, 5, 1e-12);

    CHECK_INT(b->first_day, ymd(1997, 1, 2));
    CHECK_NEAR(b->first_spend, 20, 0);
    CHECK_NEAR(b->x, 0, 0);
    CHECK_NEAR(b->t_x, 0, 0);
    CHECK_NEAR(b->T, 8, 0);
    CHECK_NEAR(b->mean_spend, 0, 0);
    CHECK_NEAR(b->x_holdout, 1, 0);
    CHECK_NEAR(b->spend_holdout, 9, 0);

    CHECK_INT(c->first_day, ymd(1997, 1, 5));
    CHECK_NEAR(c->first_spend, 0, 0);
    CHECK_NEAR(c->x, 1, 0);
    CHECK_NEAR(c->t_x, 5, 0);
    CHECK_NEAR(c->T, 5, 0);
    CHECK_NEAR(c->mean_spend, 3, 0);
    CHECK_NEAR(c->x_holdout, 0, 0);

    const clv_txlog_stats *s = &t->stats;
    CHECK_INT(s->lines, 17);
    CHECK_INT(s->header, 0);
    CHECK_INT(s->delimiter, CLV_DELIM_WHITESPACE);
    CHECK_INT(s->rows, 14);
    CHECK_INT(s->returns, 2);
    CHECK_INT(s->zero_amounts, 1);
    CHECK_INT(s->transactions, 11);
    CHECK_INT(s->merged_rows, 3);
    CHECK_INT(s->customers, 4);
    CHECK_INT(s->first_day, ymd(1997, 1, 1));
    CHECK_INT(s->last_day, ymd(1997, 1, 21));
    for (int k = 0; k < CLV_TXBAD_N; k++) {
        CHECK_INT(s->skipped[k], 0);
        CHECK_INT(s->first_skipped_line[k], 0);
    }

    /* the series: 01-01 .. 01-20 */
    CHECK_INT(t->series_start, ymd(1997, 1, 1));
    CHECK_INT(t->n_days, 20);
    static const long want[20] = {0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    for (size_t d = 0; d < t->n_days && d < 20; d++)
        if (t->repeat_per_day[d] != want[d])
            harness_fail(__FILE__, __LINE__, "repeat_per_day[%zu] = %ld, expected %ld", d, t->repeat_per_day[d],
                         want[d]);
    clv_rfm_free(t);
}

/* the same log in weeks, and without a holdout */
TEST(test_txlog_units_and_no_holdout)
{
    clv_txlog_opts o;
    opts_cdnow(&o);
    clv_rfm_table *t = read_ok(FIX "/basic.txt", &o, ymd(1997, 1, 10), ymd(1997, 1, 20), CLV_UNIT_WEEK);
    if (t) {
        CHECK_INT(t->unit, CLV_UNIT_WEEK);
        CHECK_NEAR(t->unit_days, 7, 0);
        CHECK_NEAR(t->holdout_length, 10.0 / 7, 1e-15);
        CHECK_NEAR(t->c[0].x, 2, 0); /* counts do not change with the unit */
        CHECK_NEAR(t->c[0].t_x, 9.0 / 7, 1e-15);
        CHECK_NEAR(t->c[0].T, 9.0 / 7, 1e-15);
        CHECK_NEAR(t->c[1].T, 8.0 / 7, 1e-15);
        CHECK_NEAR(t->c[2].t_x, 5.0 / 7, 1e-15);
        CHECK_NEAR(t->c[0].mean_spend, 8, 1e-12);
        clv_rfm_free(t);
    }
    /* no holdout: holdout fields 0, holdout_end = calibration end, and the
     * series runs to the last purchase (01-21), so it has B's 01-21 too */
    t = read_ok(FIX "/basic.txt", &o, ymd(1997, 1, 10), -1, CLV_UNIT_DAY);
    if (t) {
        CHECK_INT(t->holdout_end, ymd(1997, 1, 10));
        CHECK_NEAR(t->holdout_length, 0, 0);
        for (size_t i = 0; i < t->n; i++) {
            CHECK_NEAR(t->c[i].x_holdout, 0, 0);
            CHECK_NEAR(t->c[i].spend_holdout, 0, 0);
        }
        CHECK_NEAR(t->c[0].x, 2, 0);
        CHECK_INT(t->n_days, 21);
        static const long want[21] = {0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1};
        for (size_t d = 0; d < t->n_days && d < 21; d++)
            if (t->repeat_per_day[d] != want[d])
                harness_fail(__FILE__, __LINE__, "repeat_per_day[%zu] = %ld, expected %ld", d, t->repeat_per_day[d],
                             want[d]);
        clv_rfm_free(t);
    }
    /* calibration ending the day before C's repeat: C's 01-10 becomes a
     * holdout transaction; A's 01-10 too */
    t = read_ok(FIX "/basic.txt", &o, ymd(1997, 1, 9), ymd(1997, 1, 19), CLV_UNIT_DAY);
    if (t) {
        CHECK_NEAR(t->c[0].x, 1, 0);
        CHECK_NEAR(t->c[0].t_x, 2, 0);
        CHECK_NEAR(t->c[0].mean_spend, 10, 1e-12);
        CHECK_NEAR(t->c[0].x_holdout, 1, 0); /* 01-10; 01-20 is past the holdout end */
        CHECK_NEAR(t->c[0].spend_holdout, 6, 0);
        CHECK_NEAR(t->c[2].x, 0, 0);
        CHECK_NEAR(t->c[2].x_holdout, 1, 0);
        CHECK_NEAR(t->c[2].spend_holdout, 3, 0);
        clv_rfm_free(t);
    }
}

/* by_customer.txt is sorted by customer, then date, and customer 2, the
 * second in the file, is the first to buy.  Calibration ends 1997-01-06, no
 * holdout, days.
 *   1: 01-05 10; 01-07 is after the calibration end: x = 0, T = 1.
 *   2: 01-02 4; 01-03 6: x = 1, t_x = 1, T = 4, mean 6; 01-07 after.
 * The series starts at the cohort's earliest first purchase, 01-02 (not
 * the first customer's), and runs to the last purchase, 01-07: 6 days with
 * repeats 01-03 (2's) and 01-07 (1's and 2's). */
TEST(test_txlog_sorted_by_customer)
{
    clv_txlog_opts o;
    clv_txlog_opts_default(&o);
    clv_rfm_table *t = read_ok(FIX "/by_customer.txt", &o, ymd(1997, 1, 6), -1, CLV_UNIT_DAY);
    if (!t)
        return;
    CHECK_INT(t->n, 2);
    CHECK_NEAR(t->c[0].x, 0, 0);
    CHECK_NEAR(t->c[0].T, 1, 0);
    CHECK_NEAR(t->c[1].x, 1, 0);
    CHECK_NEAR(t->c[1].t_x, 1, 0);
    CHECK_NEAR(t->c[1].T, 4, 0);
    CHECK_NEAR(t->c[1].mean_spend, 6, 0);
    CHECK_INT(t->series_start, ymd(1997, 1, 2));
    CHECK_INT(t->n_days, 6);
    static const long want[6] = {0, 1, 0, 0, 0, 2};
    for (size_t d = 0; d < t->n_days && d < 6; d++)
        if (t->repeat_per_day[d] != want[d])
            harness_fail(__FILE__, __LINE__, "repeat_per_day[%zu] = %ld, expected %ld", d, t->repeat_per_day[d],
                         want[d]);
    clv_rfm_free(t);
}

/* quoted.csv: a header (its date field "date" is not a date), commas inside
 * quotes, "" escapes, blanks around fields.  Calibration ends 1997-01-08, no
 * holdout, days.
 *   "Smith, J.": 01-01 10 + 2.5 = first_spend 12.5; 01-08 4.25: x = 1,
 *     t_x = 7, T = 7, mean 4.25.
 *   O'Brien: 01-04 7; "  O'Brien " on 01-09 is the same customer (blanks
 *     around fields are not part of them), after the calibration end: x = 0,
 *     T = 4.
 *   say "hi": 01-05 3, T = 3.
 * 7 lines, 6 rows, 5 transactions, 1 merged; series 01-01 .. 01-09 (the
 * last purchase) with Smith's 01-08 and O'Brien's 01-09. */
TEST(test_txlog_quoted_csv_with_header)
{
    clv_txlog_opts o;
    clv_txlog_opts_default(&o);
    o.date_column = 3;
    o.amount_column = 4;
    clv_rfm_table *t = read_ok(FIX "/quoted.csv", &o, ymd(1997, 1, 8), -1, CLV_UNIT_DAY);
    if (!t)
        return;
    CHECK_INT(t->stats.header, 1);
    CHECK_INT(t->stats.delimiter, CLV_DELIM_COMMA);
    CHECK_INT(t->stats.lines, 7);
    CHECK_INT(t->stats.rows, 6);
    CHECK_INT(t->stats.transactions, 5);
    CHECK_INT(t->stats.merged_rows, 1);
    CHECK_INT(t->n, 3);
    CHECK_STR(t->id[0], "Smith, J.");
    CHECK_STR(t->id[1], "O'Brien");
    CHECK_STR(t->id[2], "say \"hi\"");
    CHECK_NEAR(t->c[0].first_spend, 12.5, 0);
    CHECK_NEAR(t->c[0].x, 1, 0);
    CHECK_NEAR(t->c[0].t_x, 7, 0);
    CHECK_NEAR(t->c[0].T, 7, 0);
    CHECK_NEAR(t->c[0].mean_spend, 4.25, 0);
    CHECK_NEAR(t->c[1].x, 0, 0);
    CHECK_NEAR(t->c[1].T, 4, 0);
    CHECK_NEAR(t->c[1].first_spend, 7, 0);
    CHECK_NEAR(t->c[2].T, 3, 0);
    CHECK_INT(t->n_days, 9);
    if (t->n_days == 9) {
        CHECK_INT(t->repeat_per_day[7], 1);
        CHECK_INT(t->repeat_per_day[8], 1);
        CHECK_INT(t->repeat_per_day[0] + t->repeat_per_day[1] + t->repeat_per_day[6], 0);
    }
    clv_rfm_free(t);

    /* header "no": the header line is a row, and its date is reported */
    o.header = CLV_HEADER_NO;
    read_fails(FIX "/quoted.csv", &o, ymd(1997, 1, 8), -1, CLV_EINPUT,
               FIX "/quoted.csv:1: date: expected a date YYYYMMDD, YYYY-MM-DD or YYYY-MM-DD hh:mm[:ss] in column 3, "
                   "got \"date\" (another form needs its pattern: --date-format '%m/%d/%Y %H:%M', date_pattern)");
    /* forced whitespace: the first line splits at its one blank into 2
     * columns; without a date column it cannot be a header, so it is a row
     * with too few columns */
    o.header = CLV_HEADER_AUTO;
    o.delimiter = CLV_DELIM_WHITESPACE;
    read_fails(FIX "/quoted.csv", &o, ymd(1997, 1, 8), -1, CLV_EINPUT,
               FIX "/quoted.csv:1: expected at least 4 columns, got 2");
}

/* datetimes.csv: a byte-order mark, no header, ISO date-times with a space
 * or a T (the time of day is ignored), columns date, customer, amount.
 * Customer 7: 01-01 3; 01-02 1.5 + 2.5 (two rows, one day): x = 1,
 * mean 4, t_x = 1, T = 2.  Customer 8: 01-03 4, T = 0. */
TEST(test_txlog_datetimes_no_header)
{
    clv_txlog_opts o;
    clv_txlog_opts_default(&o);
    o.date_column = 1;
    o.customer_column = 2;
    o.amount_column = 3;
    for (int fmt = 0; fmt < 2; fmt++) {
        o.date_format = fmt ? CLV_DATEFMT_ISO_DATETIME : CLV_DATEFMT_AUTO;
        clv_rfm_table *t = read_ok(FIX "/datetimes.csv", &o, ymd(1997, 1, 3), -1, CLV_UNIT_DAY);
        if (!t)
            continue;
        CHECK_INT(t->stats.header, 0); /* the first line (after the BOM) is a row */
        CHECK_INT(t->stats.rows, 4);
        CHECK_INT(t->n, 2);
        CHECK_STR(t->id[0], "7");
        CHECK_INT(t->c[0].first_day, ymd(1997, 1, 1));
        CHECK_NEAR(t->c[0].first_spend, 3, 0);
        CHECK_NEAR(t->c[0].x, 1, 0);
        CHECK_NEAR(t->c[0].t_x, 1, 0);
        CHECK_NEAR(t->c[0].T, 2, 0);
        CHECK_NEAR(t->c[0].mean_spend, 4, 0);
        CHECK_NEAR(t->c[1].T, 0, 0);
        clv_rfm_free(t);
    }
}

/* dates.csv has one row in each form: 19970101, 1997-01-02,
 * 1997-01-03 12:00:00, 1997-01-04T12:00.  auto takes them all (x = 3);
 * each explicit format takes only its own. */
TEST(test_txlog_date_formats)
{
    clv_txlog_opts o;
    clv_txlog_opts_default(&o);
    clv_rfm_table *t = read_ok(FIX "/dates.csv", &o, ymd(1997, 1, 31), -1, CLV_UNIT_DAY);
    if (t) {
        CHECK_NEAR(t->c[0].x, 3, 0);
        CHECK_NEAR(t->c[0].t_x, 3, 0);
        CHECK_NEAR(t->c[0].mean_spend, 3, 0);
        clv_rfm_free(t);
    }
    o.date_format = CLV_DATEFMT_YYYYMMDD;
    read_fails(FIX "/dates.csv", &o, ymd(1997, 1, 31), -1, CLV_EINPUT,
               FIX "/dates.csv:3: date: expected a date YYYYMMDD in column 2, got \"1997-01-02\" (another form needs its pattern: --date-format '%m/%d/%Y %H:%M', date_pattern)");
    o.date_format = CLV_DATEFMT_ISO_DATE;
    read_fails(FIX "/dates.csv", &o, ymd(1997, 1, 31), -1, CLV_EINPUT,
               FIX "/dates.csv:2: date: expected a date YYYY-MM-DD in column 2, got \"19970101\" (another form needs its pattern: --date-format '%m/%d/%Y %H:%M', date_pattern)");
    o.date_format = CLV_DATEFMT_ISO_DATETIME;
    read_fails(FIX "/dates.csv", &o, ymd(1997, 1, 31), -1, CLV_EINPUT,
               FIX "/dates.csv:2: date: expected a date-time YYYY-MM-DD hh:mm[:ss] in column 2, got \"19970101\" (another form needs its pattern: --date-format '%m/%d/%Y %H:%M', date_pattern)");
    /* skipping: under YYYYMMDD the three other forms are skipped, from line 3 */
    o.date_format = CLV_DATEFMT_YYYYMMDD;
    o.skip_malformed = 1;
    t = read_ok(FIX "/dates.csv", &o, ymd(1997, 1, 31), -1, CLV_UNIT_DAY);
    if (t) {
        CHECK_INT(t->stats.skipped[CLV_TXBAD_DATE], 3);
        CHECK_INT(t->stats.first_skipped_line[CLV_TXBAD_DATE], 3);
        CHECK_INT(t->stats.rows, 1);
        CHECK_NEAR(t->c[0].x, 0, 0);
        clv_rfm_free(t);
    }
    /* a date-time needs its time (lines 2 and 3 skipped); a date YYYY-MM-DD
     * is exactly 10 characters (lines 2, 4 and 5 skipped) */
    static const struct { int fmt; long n, first, rows; } skip[] = {
        {CLV_DATEFMT_ISO_DATETIME, 2, 2, 2},
        {CLV_DATEFMT_ISO_DATE, 3, 2, 1},
    };
    for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++) {
        o.date_format = skip[i].fmt;
        t = read_ok(FIX "/dates.csv", &o, ymd(1997, 1, 31), -1, CLV_UNIT_DAY);
        if (t) {
            CHECK_INT(t->stats.skipped[CLV_TXBAD_DATE], skip[i].n);
            CHECK_INT(t->stats.first_skipped_line[CLV_TXBAD_DATE], skip[i].first);
            CHECK_INT(t->stats.rows, skip[i].rows);
            clv_rfm_free(t);
        }
    }
}

/* unitprice.csv, shaped like UCI Online Retail: spend = quantity x unit
 * price.  Calibration ends 2010-12-05, days.
 *   17850.0 (an id is a string, ".0" and all): 12-01 6 x 2.55 + 6 x 3.39 =
 *     35.64; the cancellation (quantity -1) is a return; 12-03 12 x 1.45 =
 *     17.4: x = 1, t_x = 2, T = 4.
 *   12583.0: 12-01 24 x 3.75 + 3 x 0 = 90 (the postage line, price 0, is a
 *     zero amount); x = 0.
 *   The last line has no customer: skipped as kind "customer" at line 8. */
TEST(test_txlog_unit_prices)
{
    clv_txlog_opts o;
    opts_unitprice(&o);
    clv_rfm_table *t = read_ok(FIX "/unitprice.csv", &o, ymd(2010, 12, 5), -1, CLV_UNIT_DAY);
    if (t) {
        CHECK_INT(t->n, 2);
        CHECK_STR(t->id[0], "17850.0");
        CHECK_STR(t->id[1], "12583.0");
        CHECK_NEAR(t->c[0].first_spend, 35.64, 1e-9);
        CHECK_NEAR(t->c[0].x, 1, 0);
        CHECK_NEAR(t->c[0].mean_spend, 17.4, 1e-9);
        CHECK_NEAR(t->c[0].t_x, 2, 0);
        CHECK_NEAR(t->c[0].T, 4, 0);
        CHECK_NEAR(t->c[1].first_spend, 90, 1e-9);
        CHECK_NEAR(t->c[1].x, 0, 0);
        CHECK_INT(t->stats.returns, 1);
        CHECK_INT(t->stats.zero_amounts, 1);
        CHECK_INT(t->stats.rows, 5);
        CHECK_INT(t->stats.skipped[CLV_TXBAD_CUSTOMER], 1);
        CHECK_INT(t->stats.first_skipped_line[CLV_TXBAD_CUSTOMER], 8);
        clv_rfm_free(t);
    }
    /* total amounts: the same rows, spend = the price column */
    o.amount_kind = CLV_AMOUNT_TOTAL;
    t = read_ok(FIX "/unitprice.csv", &o, ymd(2010, 12, 5), -1, CLV_UNIT_DAY);
    if (t) {
        CHECK_NEAR(t->c[0].first_spend, 2.55 + 3.39, 1e-9);
        CHECK_INT(t->stats.returns, 1); /* still a return: its quantity is negative */
        clv_rfm_free(t);
    }
    /* strict: the empty customer id stops the read */
    o.skip_malformed = 0;
    read_fails(FIX "/unitprice.csv", &o, ymd(2010, 12, 5), -1, CLV_EINPUT,
               FIX "/unitprice.csv:8: customer: expected a customer id in column 7, got an empty field (rows without one are skipped and counted by --skip-missing-customer, skip_missing_customer)");
    /* unit prices need a quantity column */
    o.amount_kind = CLV_AMOUNT_UNIT_PRICE;
    o.quantity_column = 0;
    read_fails(FIX "/unitprice.csv", &o, ymd(2010, 12, 5), -1, CLV_EINPUT,
               "amount_kind: unit prices need a quantity column (spend = quantity x unit price); set quantity_column");
}

/* every malformed kind's exact message */
TEST(test_txlog_malformed_messages)
{
    clv_txlog_opts o3, o4;
    clv_txlog_opts_default(&o3); /* customer, date, amount */
    opts_cdnow(&o4);             /* customer, date, quantity, amount */
    const int32_t cal = ymd(1997, 12, 31);
    static const struct {
        const char *file;
        int four; /* the columns of o4 */
        const char *msg;
    } cases[] = {
        {"bad_columns.txt", 1, FIX "/bad_columns.txt:3: expected at least 4 columns, got 3"},
        {"bad_quote.csv", 0,
         FIX "/bad_quote.csv:2: expected a closing double quote in column 3, got the end of the line (a quoted "
             "field must end on its line)"},
        {"bad_quote_tail.csv", 0,
         FIX "/bad_quote_tail.csv:2: expected a comma after the closing double quote of column 2, got \"x\""},
        {"bad_customer.csv", 0,
         FIX "/bad_customer.csv:3: customer: expected a customer id in column 1, got an empty field (rows without one are skipped and counted by --skip-missing-customer, skip_missing_customer)"},
        {"bad_date.txt", 0,
         FIX "/bad_date.txt:3: date: expected a date YYYYMMDD, YYYY-MM-DD or YYYY-MM-DD hh:mm[:ss] in column 2, "
             "got \"1997-13-01\" (another form needs its pattern: --date-format '%m/%d/%Y %H:%M', date_pattern)"},
        {"bad_amount.txt", 0, FIX "/bad_amount.txt:2: amount: expected a number in column 3, got \"12,5x\""},
        {"bad_quantity.txt", 1, FIX "/bad_quantity.txt:2: quantity: expected a number in column 3, got \"two\""},
        {"bad_order.txt", 0,
         FIX "/bad_order.txt:5: customer \"00042\" has a row dated 1997-03-01 after one dated 1997-03-05 (line 3); "
             "each customer's rows must be in date order: sort the log by date (or by customer and date)"},
        {"bad_mixed.csv", 1, FIX "/bad_mixed.csv:2: expected at least 4 columns, got 2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, FIX "/%s", cases[i].file);
        read_fails(path, cases[i].four ? &o4 : &o3, cal, -1, CLV_EINPUT, cases[i].msg);
    }
    /* the field of the error is the column kind; none for columns and order */
    clv_rfm_table *t = NULL;
    clv_error err;
    CHECK_INT(clv_rfm_read(FIX "/bad_date.txt", &o3, cal, -1, CLV_UNIT_DAY, NULL, &t, &err), CLV_EINPUT);
    CHECK_STR(err.field, "date");
    CHECK_INT(err.line, 3);
    CHECK_INT(clv_rfm_read(FIX "/bad_order.txt", &o3, cal, -1, CLV_UNIT_DAY, NULL, &t, &err), CLV_EINPUT);
    CHECK_STR(err.field, "");
    /* a field is shown escaped and cut at 40 bytes */
    char tmp[] = "/tmp/clvsim-txlog-XXXXXX";
    int fd = mkstemp(tmp);
    FILE *fp = fdopen(fd, "w");
    fputs("1,1997-01-01,\"0123456789012345678901234567890123456789\"\"x\"\n", fp);
    fputs("2,1997-01-01,\"a\tb\"\n", fp);
    fclose(fp);
    char want[512];
    snprintf(want, sizeof want,
             "%s:1: amount: expected a number in column 3, got \"0123456789012345678901234567890123456789...\"", tmp);
    read_fails(tmp, &o3, cal, -1, CLV_EINPUT, want);
    o3.skip_malformed = 1;
    /* both rows skipped: no cohort */
    snprintf(want, sizeof want, "%s: no customer has a purchase on or before the calibration end 1997-12-31: the "
             "log has no purchase rows", tmp);
    read_fails(tmp, &o3, cal, -1, CLV_EINPUT, want);
    o3.skip_malformed = 0;
    fp = fopen(tmp, "w");
    fputs("2,1997-01-01,\"a\tb\\\"\"\"\n", fp); /* the field a<TAB>b\" */
    fclose(fp);
    snprintf(want, sizeof want, "%s:1: amount: expected a number in column 3, got \"a\\x09b\\\\\\\"\"", tmp);
    read_fails(tmp, &o3, cal, -1, CLV_EINPUT, want);
    /* not finite */
    fp = fopen(tmp, "w");
    fputs("2 1997-01-01 inf\n", fp);
    fclose(fp);
    snprintf(want, sizeof want, "%s:1: amount: expected a number in [-1e+15, 1e+15] in column 3, got \"inf\"", tmp);
    read_fails(tmp, &o3, cal, -1, CLV_EINPUT, want);
    unlink(tmp);
}

/* bad_mixed.csv in skip mode (columns customer, date, quantity, amount):
 *   1 ok (c1 01-01 10)           8 ok (c2 01-05: after the calibration end)
 *   2 columns (2 of 4)           9 ok (c1 01-01 3: merged, first_spend 13)
 *   3 date (01-32)              10 order (c2 01-04 after 01-05)
 *   4 quantity ("x")            11 columns (unterminated quote)
 *   5 amount ("5..")            12 ok (c1 01-03 4: x = 1, t_x = 2)
 *   6 customer (empty)          13 order (c2 01-01)
 *   7 amount ("nan")
 * Calibration ends 1997-01-03: the cohort is c1 alone; c2 is later. */
TEST(test_txlog_skip_malformed)
{
    clv_txlog_opts o;
    opts_cdnow(&o);
    o.skip_malformed = 1;
    clv_rfm_table *t = read_ok(FIX "/bad_mixed.csv", &o, ymd(1997, 1, 3), -1, CLV_UNIT_DAY);
    if (!t)
        return;
    static const long n[CLV_TXBAD_N] = {2, 1, 1, 2, 1, 2};
    static const long first[CLV_TXBAD_N] = {2, 6, 3, 5, 4, 10};
    for (int k = 0; k < CLV_TXBAD_N; k++) {
        if (t->stats.skipped[k] != n[k] || t->stats.first_skipped_line[k] != first[k])
            harness_fail(__FILE__, __LINE__, "kind %s: %ld skipped from line %ld, expected %ld from line %ld",
                         clv_txbad_name(k), t->stats.skipped[k], t->stats.first_skipped_line[k], n[k], first[k]);
    }
    CHECK_INT(t->stats.lines, 13);
    CHECK_INT(t->stats.rows, 4);
    CHECK_INT(t->stats.transactions, 3);
    CHECK_INT(t->stats.merged_rows, 1);
    CHECK_INT(t->stats.customers, 2);
    CHECK_INT(t->n, 1);
    CHECK_INT(t->later_customers, 1);
    CHECK_NEAR(t->c[0].first_spend, 13, 0);
    CHECK_NEAR(t->c[0].x, 1, 0);
    CHECK_NEAR(t->c[0].t_x, 2, 0);
    CHECK_NEAR(t->c[0].mean_spend, 4, 0);
    clv_rfm_free(t);

    CHECK_STR(clv_txbad_name(CLV_TXBAD_COLUMNS), "columns");
    CHECK_STR(clv_txbad_name(CLV_TXBAD_CUSTOMER), "customer");
    CHECK_STR(clv_txbad_name(CLV_TXBAD_DATE), "date");
    CHECK_STR(clv_txbad_name(CLV_TXBAD_AMOUNT), "amount");
    CHECK_STR(clv_txbad_name(CLV_TXBAD_QUANTITY), "quantity");
    CHECK_STR(clv_txbad_name(CLV_TXBAD_ORDER), "order");
    CHECK_STR(clv_txbad_name(CLV_TXBAD_N), "unknown");
}

/* arguments and files the read refuses */
TEST(test_txlog_read_errors)
{
    clv_txlog_opts o;
    opts_cdnow(&o);
    read_fails(FIX "/basic.txt", &o, ymd(1997, 1, 10), ymd(1997, 1, 10), CLV_EINPUT,
               "holdout_end: expected a holdout end after the calibration end 1997-01-10, got 1997-01-10");
    read_fails(FIX "/basic.txt", &o, ymd(1996, 12, 31), -1, CLV_EINPUT,
               FIX "/basic.txt: no customer has a purchase on or before the calibration end 1996-12-31: the log's "
                   "purchases run from 1997-01-01 to 1997-01-21");
    read_fails(FIX "/header_only.csv", &o, ymd(1996, 12, 31), -1, CLV_EINPUT,
               FIX "/header_only.csv: no customer has a purchase on or before the calibration end 1996-12-31: the "
                   "log has no purchase rows");
    read_fails(FIX "/no-such.txt", &o, ymd(1997, 1, 10), -1, CLV_EIO,
               FIX "/no-such.txt: cannot open the transaction log: No such file or directory");
    o.customer_column = 0;
    read_fails(FIX "/basic.txt", &o, ymd(1997, 1, 10), -1, CLV_EINPUT,
               "customer_column: expected a column number in [1, 4096], got 0");
    clv_rfm_table *t = NULL;
    clv_error err;
    opts_cdnow(&o);
    CHECK_INT(clv_rfm_read(FIX "/basic.txt", &o, ymd(1997, 1, 10), -1, 7, NULL, &t, &err), CLV_EINPUT);
    CHECK(t == NULL);
    clv_rfm_free(NULL);

    /* header "yes" on a file without one drops its first row (A's 10.00) */
    o.header = CLV_HEADER_YES;
    t = read_ok(FIX "/basic.txt", &o, ymd(1997, 1, 10), -1, CLV_UNIT_DAY);
    if (t) {
        CHECK_INT(t->stats.header, 1);
        CHECK_NEAR(t->c[0].first_spend, 5, 0);
        clv_rfm_free(t);
    }
}

/* two tables read from the same rows agree customer by customer */
static void same_table(const clv_rfm_table *a, const clv_rfm_table *b)
{
    CHECK_INT((long)a->n, (long)b->n);
    CHECK_INT(a->stats.rows, b->stats.rows);
    CHECK_INT(a->stats.transactions, b->stats.transactions);
    CHECK_INT(a->stats.returns, b->stats.returns);
    CHECK_INT(a->stats.lines, b->stats.lines);
    for (size_t i = 0; i < a->n && i < b->n; i++) {
        CHECK_STR(a->id[i], b->id[i]);
        CHECK(a->c[i].x == b->c[i].x && a->c[i].t_x == b->c[i].t_x && a->c[i].T == b->c[i].T);
        CHECK(a->c[i].mean_spend == b->c[i].mean_spend && a->c[i].first_spend == b->c[i].first_spend);
        CHECK(a->c[i].x_holdout == b->c[i].x_holdout && a->c[i].spend_holdout == b->c[i].spend_holdout);
    }
}

/* a gzip-compressed log (told by its magic bytes, whatever its name; in
 * two concatenated members) and standard input ("-") give the plain log's
 * table; a truncated gzip stream is an error naming the file */
TEST(test_txlog_gzip_and_stdin)
{
    clv_txlog_opts o;
    opts_cdnow(&o);
    const int32_t cal = ymd(1997, 1, 10), hold = ymd(1997, 1, 21);
    clv_rfm_table *plain = read_ok(FIX "/basic.txt", &o, cal, hold, CLV_UNIT_DAY);
    FILE *in = fopen(FIX "/basic.txt", "rb");
    CHECK(in != NULL);
    if (!plain || !in)
        return;
    char text[4096];
    size_t n = fread(text, 1, sizeof text, in);
    fclose(in);
    CHECK(n > 100 && n < sizeof text);
    char tmp[] = "/tmp/clvsim-txlog-gz-XXXXXX"; /* no .gz in the name: detection is by content */
    int fd = mkstemp(tmp);
    CHECK(fd >= 0);
    close(fd);
    /* member 1: the first half of the lines; member 2: the rest */
    const char *mid = memchr(text + n / 2, '\n', n - n / 2);
    size_t h = mid ? (size_t)(mid - text) + 1 : n;
    gzFile gz = gzopen(tmp, "wb");
    CHECK(gz && gzwrite(gz, text, (unsigned)h) == (int)h && gzclose(gz) == Z_OK);
    gz = gzopen(tmp, "ab");
    CHECK(gz && gzwrite(gz, text + h, (unsigned)(n - h)) == (int)(n - h) && gzclose(gz) == Z_OK);
    clv_rfm_table *t = read_ok(tmp, &o, cal, hold, CLV_UNIT_DAY);
    if (t) {
        same_table(plain, t);
        clv_rfm_free(t);
    }

    /* standard input, gzip-compressed, then plain */
    for (int pass = 0; pass < 2; pass++) {
        int saved = dup(0), src = open(pass ? FIX "/basic.txt" : tmp, O_RDONLY);
        CHECK(saved >= 0 && src >= 0 && dup2(src, 0) == 0);
        close(src);
        clearerr(stdin);
        t = read_ok("-", &o, cal, hold, CLV_UNIT_DAY);
        if (t) {
            same_table(plain, t);
            clv_rfm_free(t);
        }
        dup2(saved, 0);
        close(saved);
        clearerr(stdin);
    }

    /* cut inside the second member: an error with the file's name */
    FILE *fp = fopen(tmp, "rb");
    unsigned char z[8192];
    size_t zn = fp ? fread(z, 1, sizeof z, fp) : 0;
    if (fp)
        fclose(fp);
    CHECK(zn > 20);
    fp = fopen(tmp, "wb");
    CHECK(fp != NULL);
    if (fp) {
        fwrite(z, 1, zn - 6, fp); /* the trailer's length lost */
        fclose(fp);
    }
    clv_rfm_table *bad = (clv_rfm_table *)1;
    clv_error err;
    CHECK_INT(clv_rfm_read(tmp, &o, cal, hold, CLV_UNIT_DAY, NULL, &bad, &err), CLV_EINPUT);
    CHECK(bad == NULL);
    CHECK_STR(err.file, tmp);
    CHECK(strstr(err.msg, "expected a complete gzip stream, got a damaged or truncated one") != NULL);
    /* a file that starts with the magic bytes and then garbage */
    fp = fopen(tmp, "wb");
    if (fp) {
        fputs("\x1f\x8b" "not a gzip stream at all\n", fp);
        fclose(fp);
    }
    CHECK_INT(clv_rfm_read(tmp, &o, cal, hold, CLV_UNIT_DAY, NULL, &bad, &err), CLV_EINPUT);
    CHECK(strstr(err.msg, "gzip") != NULL);
    unlink(tmp);
    clv_rfm_free(plain);
}

/* columns by header name give the tables of the same columns by number
 * (names with blanks and quotes included); a name not in the header lists
 * the header's names; names without a header are refused */
TEST(test_txlog_columns_by_name)
{
    clv_txlog_opts n, o;
    opts_unitprice(&o);
    n = o;
    n.customer_column = 1; /* the numbers are ignored when a name is given */
    n.date_column = 1;
    n.quantity_column = 0;
    n.amount_column = 1;
    n.column_name[0] = "CustomerID";
    n.column_name[1] = "InvoiceDate";
    n.column_name[2] = "UnitPrice";
    n.column_name[3] = "Quantity";
    clv_rfm_table *a = read_ok(FIX "/unitprice.csv", &o, ymd(2010, 12, 5), -1, CLV_UNIT_DAY);
    clv_rfm_table *b = read_ok(FIX "/unitprice.csv", &n, ymd(2010, 12, 5), -1, CLV_UNIT_DAY);
    if (a && b) {
        same_table(a, b);
        CHECK_INT(b->stats.header, 1);
    }
    clv_rfm_free(a);
    clv_rfm_free(b);

    clv_txlog_opts_default(&o);
    o.customer_column = 1;
    o.date_column = 3;
    o.amount_column = 4;
    clv_txlog_opts_default(&n);
    n.column_name[0] = "customer id"; /* quoted, with a blank, in the header */
    n.column_name[1] = "date";
    n.column_name[2] = "amount";
    a = read_ok(FIX "/quoted.csv", &o, ymd(1997, 1, 8), -1, CLV_UNIT_DAY);
    b = read_ok(FIX "/quoted.csv", &n, ymd(1997, 1, 8), -1, CLV_UNIT_DAY);
    if (a && b)
        same_table(a, b);
    clv_rfm_free(a);
    clv_rfm_free(b);

    n.column_name[2] = "Amount"; /* names are exact */
    read_fails(FIX "/quoted.csv", &n, ymd(1997, 1, 8), -1, CLV_EINPUT,
               FIX "/quoted.csv:1: amount_column: expected a column named \"Amount\" in the header, got the columns "
                   "\"customer id\", \"note\", \"date\", \"amount\"");
    n.column_name[2] = "amount";
    n.header = CLV_HEADER_NO;
    read_fails(FIX "/quoted.csv", &n, ymd(1997, 1, 8), -1, CLV_EINPUT,
               FIX "/quoted.csv: header: columns by name need a header line: set header to auto or yes, or give "
                   "the columns by number");
}

/* the options a scenario's data section gives */
TEST(test_txlog_opts)
{
    clv_txlog_opts o;
    clv_txlog_opts_default(&o);
    CHECK_INT(o.delimiter, CLV_DELIM_AUTO);
    CHECK_INT(o.header, CLV_HEADER_AUTO);
    CHECK_INT(o.customer_column, 1);
    CHECK_INT(o.date_column, 2);
    CHECK_INT(o.amount_column, 3);
    CHECK_INT(o.quantity_column, 0);
    CHECK_INT(o.date_format, CLV_DATEFMT_AUTO);
    CHECK_INT(o.amount_kind, CLV_AMOUNT_TOTAL);
    CHECK_INT(o.skip_malformed, 0);
    clv_scn_data d;
    memset(&d, 0, sizeof d);
    d.delimiter = CLV_DELIM_COMMA;
    d.header = CLV_HEADER_NO;
    d.customer_column = 7;
    d.date_column = 5;
    d.amount_column = 6;
    d.quantity_column = 4;
    d.amount_kind = CLV_AMOUNT_UNIT_PRICE;
    d.date_format = CLV_DATEFMT_ISO_DATETIME;
    d.skip_malformed = 1;
    clv_txlog_opts_from_scenario(&o, &d);
    CHECK_INT(o.delimiter, CLV_DELIM_COMMA);
    CHECK_INT(o.header, CLV_HEADER_NO);
    CHECK_INT(o.customer_column, 7);
    CHECK_INT(o.date_column, 5);
    CHECK_INT(o.amount_column, 6);
    CHECK_INT(o.quantity_column, 4);
    CHECK_INT(o.amount_kind, CLV_AMOUNT_UNIT_PRICE);
    CHECK_INT(o.date_format, CLV_DATEFMT_ISO_DATETIME);
    CHECK_INT(o.skip_malformed, 1);
}

/* the CSV of quoted.csv's table and of basic.txt's in weeks: ids quoted
 * when they need it, times at full precision without noise digits */
TEST(test_txlog_write_csv)
{
    clv_txlog_opts o;
    clv_txlog_opts_default(&o);
    o.date_column = 3;
    o.amount_column = 4;
    clv_rfm_table *t = read_ok(FIX "/quoted.csv", &o, ymd(1997, 1, 8), -1, CLV_UNIT_DAY);
    if (!t)
        return;
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    clv_error err;
    CHECK_INT(clv_rfm_write_csv(t, fp, &err), CLV_OK);
    fclose(fp);
    CHECK_STR(buf, "id,first_purchase,x,t_x,T,mean_spend,first_spend,x_holdout,spend_holdout\n"
                   "\"Smith, J.\",1997-01-01,1,7,7,4.25,12.5,0,0\n"
                   "O'Brien,1997-01-04,0,0,4,0,7,0,0\n"
                   "\"say \"\"hi\"\"\",1997-01-05,0,0,3,0,3,0,0\n");
    free(buf);
    clv_rfm_free(t);

    opts_cdnow(&o);
    t = read_ok(FIX "/basic.txt", &o, ymd(1997, 1, 10), ymd(1997, 1, 20), CLV_UNIT_WEEK);
    if (!t)
        return;
    fp = open_memstream(&buf, &len);
    CHECK_INT(clv_rfm_write_csv(t, fp, &err), CLV_OK);
    fclose(fp);
    /* 9/7 = 1.2857142857142858 needs 17 digits to read back; 8/7 too */
    CHECK_STR(buf, "id,first_purchase,x,t_x,T,mean_spend,first_spend,x_holdout,spend_holdout\n"
                   "A,1997-01-01,2,1.2857142857142858,1.2857142857142858,8,15,1,5\n"
                   "B,1997-01-02,0,0,1.1428571428571428,0,20,1,9\n"
                   "C,1997-01-05,1,0.7142857142857143,0.7142857142857143,3,0,0,0\n");
    /* every number reads back exactly */
    const char *l2 = buf ? strchr(buf, '\n') : NULL;
    if (l2) {
        double v[8];
        int k = sscanf(l2 + 1, "A,1997-01-01,%lf,%lf,%lf,%lf,%lf,%lf,%lf", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                       &v[6]);
        CHECK_INT(k, 7);
        CHECK(k == 7 && v[1] == t->c[0].t_x && v[2] == t->c[0].T);
    }
    free(buf);
    clv_rfm_free(t);
}

typedef struct progress_log {
    int calls, cancel_at, phase_ok, increasing;
    double last_done, last_total;
} progress_log;

static int on_progress(void *ctx, const char *phase, double done, double total)
{
    progress_log *p = ctx;
    p->calls++;
    p->phase_ok &= strcmp(phase, "reading") == 0;
    p->increasing &= done >= p->last_done;
    p->last_done = done;
    p->last_total = total;
    return p->calls == p->cancel_at;
}

/* a log of 200,000 rows of 30,011 customers: progress every 65,536 lines
 * (3 reports) and once at the end; cancelling at any report returns
 * CLV_ECANCELLED, no table, nothing leaked (the suite runs under LSan) */
TEST(test_txlog_progress_cancel)
{
    char tmp[] = "/tmp/clvsim-txlog-XXXXXX";
    int fd = mkstemp(tmp);
    FILE *fp = fdopen(fd, "w");
    CHECK(fp != NULL);
    if (!fp)
        return;
    const int32_t base = ymd(1997, 1, 1);
    for (int i = 0; i < 200000; i++) {
        char d[11];
        fprintf(fp, "c%d,%s,%d.5\n", i % 30011, clv_date_format(base + i / 1000, d), i % 50);
    }
    long size = ftell(fp);
    fclose(fp);
    clv_txlog_opts o;
    clv_txlog_opts_default(&o);
    for (int cancel_at = 0; cancel_at <= 4; cancel_at++) {
        progress_log log = {.cancel_at = cancel_at, .phase_ok = 1, .increasing = 1};
        clv_progress pr = {on_progress, &log, NULL};
        clv_rfm_table *t = NULL;
        clv_error err;
        int st = clv_rfm_read(tmp, &o, base + 100, base + 150, CLV_UNIT_WEEK, &pr, &t, &err);
        CHECK(log.phase_ok && log.increasing);
        if (cancel_at == 0) {
            CHECK_INT(st, CLV_OK);
            CHECK_INT(log.calls, 4);
            CHECK_NEAR(log.last_done, (double)size, 0);
            CHECK_NEAR(log.last_total, (double)size, 0);
            if (t) {
                CHECK_INT(t->n, 30011);
                CHECK_INT(t->stats.rows, 200000);
                CHECK_INT(t->stats.customers, 30011);
            }
            clv_rfm_free(t);
        } else {
            CHECK_INT(st, CLV_ECANCELLED);
            CHECK_INT(err.code, CLV_ECANCELLED);
            CHECK_INT(log.calls, cancel_at);
            CHECK(t == NULL);
        }
    }
    unlink(tmp);
}

/* ---- the real CDNOW logs (../shared/data) ---- */

/* The 1/10 sample summarised as in Fader, Hardie and Lee (2005): customer =
 * the sample id (column 2), calibration to 1997-09-30, holdout to
 * 1998-06-30, weeks.  It must be Hardie's published summary: the same x for
 * all 2,357 customers, t_x, T and zbar within their 2-decimal rounding. */
TEST(test_txlog_cdnow_sample)
{
    char *log = harness_shared_data("CDNOW_sample.txt");
    char *ref = log ? harness_shared_data("cdnow_customers_summary_with_transactions.csv") : NULL;
    if (!log || !ref) {
        free(log);
        return;
    }
    clv_txlog_opts o;
    clv_txlog_opts_default(&o);
    o.customer_column = 2;
    o.date_column = 3;
    o.quantity_column = 4;
    o.amount_column = 5;
    clv_rfm_table *t = read_ok(log, &o, ymd(1997, 9, 30), ymd(1998, 6, 30), CLV_UNIT_WEEK);
    char *text = harness_read_file(ref);
    CHECK(text != NULL);
    if (t && text) {
        CHECK_INT(t->n, 2357);
        CHECK_INT(t->stats.header, 0);
        CHECK_INT(t->stats.rows, 6919);
        CHECK_INT(t->stats.zero_amounts, 8);
        CHECK_NEAR(t->holdout_length, 39, 0);
        /* the table by sample id */
        long *at = malloc(2358 * sizeof *at);
        for (int i = 0; i <= 2357; i++)
            at[i] = -1;
        for (size_t i = 0; i < t->n; i++) {
            int id = atoi(t->id[i]);
            if (id >= 1 && id <= 2357)
                at[id] = (long)i;
        }
        const char *p = strchr(text, '\n');
        CHECK(p && strncmp(text, "ID,x,t_x,T,zbar", 15) == 0);
        int rows = 0, bad = 0;
        double sum_x = 0;
        long repeaters = 0;
        while (p && p[1]) {
            int id;
            double x, tx, T, z;
            if (sscanf(p + 1, "%d,%lf,%lf,%lf,%lf", &id, &x, &tx, &T, &z) != 5 || id < 1 || id > 2357 || at[id] < 0) {
                harness_fail(__FILE__, __LINE__, "unexpected line in %s: %.40s", ref, p + 1);
                break;
            }
            const clv_rfm *c = &t->c[at[id]];
            const double tol = 0.005 + 1e-9;
            if (c->x != x || !(fabs(c->t_x - tx) <= tol) || !(fabs(c->T - T) <= tol) ||
                !(fabs(c->mean_spend - z) <= tol)) { /* (a NaN fails too) */
                if (bad++ < 5)
                    harness_fail(__FILE__, __LINE__,
                                 "customer %d: x %g t_x %.4f T %.4f zbar %.4f, Hardie: %g %.2f %.2f %.2f", id, c->x,
                                 c->t_x, c->T, c->mean_spend, x, tx, T, z);
            }
            sum_x += c->x;
            repeaters += c->x > 0;
            rows++;
            p = strchr(p + 1, '\n');
        }
        CHECK_INT(rows, 2357);
        CHECK_INT(bad, 0);
        CHECK_NEAR(sum_x, 2457, 0);
        CHECK_INT(repeaters, 946);
        free(at);
    }
    free(text);
    clv_rfm_free(t);
    free(log);
    free(ref);
}

/* The full cohort with the default options (header and whitespace found on
 * their own): 23,570 customers, 69,659 rows, 80 of $0.00.  The 67,591
 * transactions after same-day merging were counted with a python one-off
 * (distinct (customer, date) pairs of the rows) and are recounted below in
 * a separate tiny pass: the file is sorted by customer and date, so a
 * transaction starts at each row whose (customer, date) differs from the
 * previous row's. */
TEST(test_txlog_cdnow_master)
{
    char *path = harness_shared_data("CDNOW_master.txt");
    if (!path)
        return;
    clv_txlog_opts o;
    clv_txlog_opts_default(&o);
    o.quantity_column = 3;
    o.amount_column = 4;
    clv_rfm_table *t = read_ok(path, &o, ymd(1997, 9, 30), ymd(1998, 6, 30), CLV_UNIT_WEEK);

    long tx = 0;
    char *text = harness_read_file(path);
    CHECK(text != NULL);
    if (text) {
        char prev[64] = "", key[64];
        for (char *l = strchr(text, '\n'); l && l[1]; l = strchr(l + 1, '\n')) {
            char id[16], date[16];
            if (sscanf(l + 1, "%15s %15s", id, date) != 2)
                continue;
            snprintf(key, sizeof key, "%s %s", id, date);
            tx += strcmp(key, prev) != 0;
            memcpy(prev, key, sizeof key);
        }
    }
    free(text);
    CHECK_INT(tx, 67591);

    if (t) {
        const clv_txlog_stats *s = &t->stats;
        CHECK_INT(s->header, 1);
        CHECK_INT(s->delimiter, CLV_DELIM_WHITESPACE);
        CHECK_INT(s->lines, 69660);
        CHECK_INT(s->rows, 69659);
        CHECK_INT(s->zero_amounts, 80);
        CHECK_INT(s->returns, 0);
        CHECK_INT(s->transactions, tx);
        CHECK_INT(s->transactions, 67591);
        CHECK_INT(s->merged_rows, 69659 - 67591);
        CHECK_INT(s->customers, 23570);
        CHECK_INT(s->first_day, ymd(1997, 1, 1));
        CHECK_INT(s->last_day, ymd(1998, 6, 30));
        CHECK_INT(t->n, 23570);
        CHECK_INT(t->later_customers, 0);
        CHECK_STR(t->id[0], "00001");
        /* every transaction is a first purchase, a calibration repeat or a
         * holdout one (the log ends on the holdout end) */
        double sx = 0, sxh = 0;
        for (size_t i = 0; i < t->n; i++)
            sx += t->c[i].x, sxh += t->c[i].x_holdout;
        CHECK_NEAR(sx, 24337, 0); /* also from the python one-off */
        CHECK_NEAR(sxh, 19684, 0);
        CHECK_NEAR(23570 + sx + sxh, 67591, 0);
        /* the series runs 1997-01-01 .. 1998-06-30 and holds every repeat */
        CHECK_INT(t->series_start, ymd(1997, 1, 1));
        CHECK_INT(t->n_days, 546);
        long sum = 0, sum_cal = 0;
        for (size_t d = 0; d < t->n_days; d++) {
            sum += t->repeat_per_day[d];
            if ((int32_t)d + t->series_start <= t->calibration_end)
                sum_cal += t->repeat_per_day[d];
        }
        CHECK_INT(sum, 24337 + 19684);
        CHECK_INT(sum_cal, 24337);
    }
    clv_rfm_free(t);
    free(path);
}

/* the history statistics behind the LTV predictor's features: the largest
 * and the last calibration transaction (same-day rows merged) and the
 * transactions of the last 7, 30 and 90 days, worked out by hand */
TEST(test_txlog_history_stats)
{
    char tmp[] = "/tmp/clvsim-txlog-XXXXXX";
    int fd = mkstemp(tmp);
    FILE *fp = fdopen(fd, "w");
    fputs("A,2020-01-01,10\nA,2020-01-01,5\nA,2020-03-01,40\nB,2020-03-31,9\nA,2020-03-25,4\nA,2020-03-25,3\n"
          "A,2020-04-10,100\n", fp);
    fclose(fp);
    clv_txlog_opts o;
    clv_txlog_opts_default(&o);
    clv_rfm_table *t = read_ok(tmp, &o, ymd(2020, 3, 31), ymd(2020, 6, 30), CLV_UNIT_DAY);
    if (t) {
        const clv_rfm *a = &t->c[find(t, "A")], *b = &t->c[find(t, "B")];
        CHECK_NEAR(a->max_spend, 40, 0);
        CHECK_NEAR(a->last_spend, 7, 0);     /* 4 + 3 on 2020-03-25; the holdout's 100 is not calibration */
        CHECK_INT(a->recent[0], 1);          /* after 2020-03-24 */
        CHECK_INT(a->recent[1], 1);          /* after 2020-03-01 */
        CHECK_INT(a->recent[2], 2);          /* after 2020-01-01 (2020 is a leap year) */
        CHECK_NEAR(a->first_spend, 15, 0);
        CHECK_NEAR(b->max_spend, 9, 0);
        CHECK_NEAR(b->last_spend, 9, 0);
        CHECK(b->recent[0] == 1 && b->recent[1] == 1 && b->recent[2] == 1);
        clv_rfm_free(t);
    }
    unlink(tmp);
}

/* US dates read with a pattern, rows without a customer counted apart, and
 * the warnings about periods ending after the last purchase.
 *   a: 12/1/2010 8:26 and 12/3/2010 (x = 1, t_x = 2); b: 12/2/2010;
 *   lines 3 and 6 have no customer. */
TEST(test_txlog_date_pattern_missing_customer)
{
    char path[] = "/tmp/clvsim-uspat-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    static const char text[] = "InvoiceNo,InvoiceDate,UnitPrice,CustomerID\n"
                               "1,12/1/2010 8:26,2.5,a\n"
                               "2,12/1/2010 8:30,9,\n"
                               "3,12/2/2010 17:05,4,b\n"
                               "4,12/3/2010 10:00,3,a\n"
                               "5,12/9/2010 9:00,1,\n";
    CHECK(write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1));
    close(fd);
    clv_txlog_opts o;
    clv_txlog_opts_default(&o);
    o.customer_column = 4;
    o.date_column = 2;
    o.amount_column = 3;
    o.date_pattern = "%m/%d/%Y %H:%M";
    /* without skip_missing_customer: line 3 is malformed */
    char want[512];
    snprintf(want, sizeof want,
             "%s:3: customer: expected a customer id in column 4, got an empty field (rows without one are skipped "
             "and counted by --skip-missing-customer, skip_missing_customer)",
             path);
    read_fails(path, &o, ymd(2010, 12, 5), -1, CLV_EINPUT, want);
    o.skip_missing_customer = 1;
    clv_rfm_table *t = read_ok(path, &o, ymd(2010, 12, 5), ymd(2010, 12, 20), CLV_UNIT_DAY);
    if (t) {
        CHECK_INT(t->stats.header, 1);
        CHECK_INT(t->stats.missing_customer, 2);
        CHECK_INT(t->stats.first_missing_customer_line, 3);
        long skipped = 0;
        for (int k = 0; k < CLV_TXBAD_N; k++)
            skipped += t->stats.skipped[k];
        CHECK_INT(skipped, 0);
        CHECK_INT(t->stats.rows, 3);
        CHECK_INT(t->stats.first_day, ymd(2010, 12, 1));
        CHECK_INT(t->stats.last_day, ymd(2010, 12, 3));
        long a = find(t, "a");
        CHECK(a >= 0);
        if (a >= 0) {
            CHECK_NEAR(t->c[a].x, 1, 0);
            CHECK_NEAR(t->c[a].t_x, 2, 0);
            CHECK_NEAR(t->c[a].T, 4, 0);
        }
        /* the last purchase is 12-03: both periods end after it */
        char w[1024];
        CHECK_INT(clv_txlog_period_text(w, sizeof w, "L", &t->stats, 0), 1);
        CHECK_STR(w, "L: the calibration end 2010-12-05 is 2 days after the log's last purchase (2010-12-03): every "
                     "customer's age T counts those days without data, so the models see them as inactive (P(alive) "
                     "falls); end the calibration period by 2010-12-03");
        CHECK_INT(clv_txlog_period_text(w, sizeof w, "L", &t->stats, 1), 1);
        CHECK(strstr(w, "the holdout end 2010-12-20 is 17 days after the log's last purchase (2010-12-03)") != NULL);
        clv_rfm_free(t);
    }
    /* both within the log's dates: no warning */
    t = read_ok(path, &o, ymd(2010, 12, 2), ymd(2010, 12, 3), CLV_UNIT_DAY);
    if (t) {
        char w[1024] = "untouched";
        CHECK_INT(clv_txlog_period_text(w, sizeof w, "L", &t->stats, 0), 0);
        CHECK_INT(clv_txlog_period_text(w, sizeof w, "L", &t->stats, 1), 0);
        CHECK_STR(w, "untouched");
        clv_rfm_free(t);
    }
    /* the pattern decides, not a guess: day first, 12/1/2010 is 12 January
     * and a's rows (12 January, 12 March) are still in order */
    o.date_pattern = "%d/%m/%Y %H:%M";
    t = read_ok(path, &o, ymd(2010, 3, 31), -1, CLV_UNIT_DAY);
    if (t) {
        CHECK_INT(t->stats.first_day, ymd(2010, 1, 12));
        CHECK_INT(t->stats.last_day, ymd(2010, 3, 12));
        clv_rfm_free(t);
    }
    /* an invalid pattern is refused before reading */
    o.date_pattern = "%m/%d";
    read_fails(path, &o, ymd(2010, 12, 5), -1, CLV_EINPUT,
               "date_format: expected a pattern with one year (%Y or %y), one month (%m or %b) and a day (%d), got "
               "\"%m/%d\"");
    unlink(path);
}
