/* clvsim/txlog.h - reading transaction logs and summarising them per customer (RFM).
 *
 * A transaction log has one row per purchase line: a customer id, a date, an
 * amount and optionally a quantity, in columns separated by commas (RFC 4180
 * quoting) or by runs of blanks.  The file may be gzip-compressed (told by
 * its first two bytes, 1f 8b, never by its name; concatenated members are
 * read in turn; a damaged or truncated stream is a CLV_EINPUT error with the
 * file and line), and the path "-" is standard input (read once; messages
 * name it "standard input").  The reader streams: it holds one line at a
 * time, and the summary holds one record per customer, so memory grows with
 * customers, not rows.
 *
 * The rules, as in the BTYD literature (Fader, Hardie and Lee 2005; Hardie's
 * CDNOW summaries; the R package BTYD and Python's lifetimes):
 * - a transaction is a (customer, day): several rows of one customer on one
 *   day are one transaction whose spend is the sum of their amounts;
 * - a row with a negative amount or quantity is a return or cancellation: it
 *   is not a purchase, is excluded and is counted (stats.returns);
 * - a row with amount 0 is a purchase of value 0 (Hardie's CDNOW summaries
 *   count the 80 such rows of CDNOW as transactions); counted in
 *   stats.zero_amounts;
 * - an amount or quantity must be a finite number of magnitude at most
 *   CLV_TXLOG_AMOUNT_MAX (1e15), and so must a spend quantity x unit
 *   price: "inf", "nan", "1e999" and "1e16" are malformed rows of kind
 *   "amount" (or "quantity").  With every row's spend at most 1e15, the sums
 *   of a customer's spends and their squares (in the metrics) stay finite
 *   for any log a disk can hold;
 * - each customer's rows must be in date order (true of a log sorted by date,
 *   or by customer and date, as every shipped log is); a row dated before an
 *   earlier row of the same customer is a malformed row of kind "order".
 *
 * A malformed row stops reading with an error naming the file, the line and
 * what is wrong, unless skip_malformed is set: then such rows are skipped and
 * counted by kind (stats.skipped, with the first line of each kind).  A line
 * longer than 1 MiB stops reading in any case (CLV_EINPUT with its line):
 * such a file is not a transaction log (/dev/zero would otherwise fill
 * memory).
 */
#ifndef CLVSIM_TXLOG_H
#define CLVSIM_TXLOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "clvsim/error.h"
#include "clvsim/progress.h"
#include "clvsim/scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The largest magnitude of an amount, a quantity and a row's spend: beyond
 * 2^53 (about 9e15) a double no longer holds whole units exactly, and no
 * single purchase in any currency comes near; such a value is a typo or a
 * damaged field. */
#define CLV_TXLOG_AMOUNT_MAX 1e15

/* What the amount column holds. */
typedef enum clv_amount_kind {
    CLV_AMOUNT_TOTAL = 0,     /* the row's total spend */
    CLV_AMOUNT_UNIT_PRICE = 1 /* a unit price: spend = quantity x amount (needs a quantity column) */
} clv_amount_kind;

/* How to read a log.  Fill with clv_txlog_opts_default, then override. */
typedef struct clv_txlog_opts {
    int delimiter;        /* clv_delimiter: auto (comma if the first line has one), whitespace, comma */
    int header;           /* clv_header_mode: auto (a header when the first line's date field is not a date), yes, no */
    int customer_column;  /* 1-based */
    int date_column;
    int amount_column;
    int quantity_column;  /* 0: none */
    int date_format;      /* clv_date_format_kind; auto accepts YYYYMMDD, YYYY-MM-DD and ISO date-times */
    int amount_kind;      /* clv_amount_kind */
    int skip_malformed;
    /* Rows whose customer field is empty (anonymous purchases, as in the
     * UCI Online Retail log): skipped and counted in
     * stats.missing_customer, apart from malformed rows; 0: such a row is
     * malformed (kind "customer"). */
    int skip_missing_customer;
    /* NULL, or a strftime-style pattern (clvsim/date.h, "%m/%d/%Y %H:%M")
     * that replaces date_format; the caller's string.  A date field of
     * more than 32 characters is not a date (kind "date"), by a pattern as
     * in every format. */
    const char *date_pattern;
    /* Columns by header name: customer, date, amount, quantity.  A name
     * that is not NULL picks the column of the first line (the header,
     * which must then be there: header auto or yes) whose field is
     * exactly that name, in place of the number above; a name absent from
     * the header is an error listing the header's names.  NULL: by
     * number.  The strings are the caller's. */
    const char *column_name[4];
} clv_txlog_opts;

/* Defaults: auto delimiter and header, columns 1 (customer), 2 (date),
 * 3 (amount), no quantity, auto date format, total amounts, strict. */
void clv_txlog_opts_default(clv_txlog_opts *o);

/* The options a scenario's data section gives. */
void clv_txlog_opts_from_scenario(clv_txlog_opts *o, const clv_scn_data *d);

/* Kinds of malformed rows. */
typedef enum clv_txbad {
    CLV_TXBAD_COLUMNS = 0,  /* fewer columns than the ones asked for, or an unterminated quote */
    CLV_TXBAD_CUSTOMER,     /* empty customer id, or one with a NUL byte */
    CLV_TXBAD_DATE,         /* not a date in the accepted format(s) */
    CLV_TXBAD_AMOUNT,       /* not a finite number */
    CLV_TXBAD_QUANTITY,     /* not a finite number */
    CLV_TXBAD_ORDER,        /* dated before an earlier row of the same customer */
    CLV_TXBAD_N
} clv_txbad;

/* A short name of a kind ("columns", "customer", "date", "amount",
 * "quantity", "order"). */
const char *clv_txbad_name(int kind);

/* What reading found. */
typedef struct clv_txlog_stats {
    long lines;                     /* lines read, including a header and blank lines */
    int header;                     /* 1 when the first line was taken as a header */
    int delimiter;                  /* the delimiter used (CLV_DELIM_WHITESPACE or CLV_DELIM_COMMA) */
    long rows;                      /* purchase rows used (not returns, not skipped) */
    long transactions;              /* (customer, day) transactions after merging */
    long merged_rows;               /* rows merged into a same-day transaction */
    long returns;                   /* negative amount or quantity: excluded */
    long zero_amounts;              /* rows with amount 0 (kept) */
    long skipped[CLV_TXBAD_N];      /* malformed rows skipped, by kind */
    long first_skipped_line[CLV_TXBAD_N]; /* 1-based line of the first of each kind, 0 if none */
    long missing_customer;          /* rows without a customer id, skipped (skip_missing_customer) */
    long first_missing_customer_line; /* 1-based line of the first of them, 0 if none */
    long customers;                 /* distinct customers with a purchase */
    int32_t first_day, last_day;    /* range of purchase dates (day numbers) */
    /* Dates far outside the bulk of the log, as a typo makes them
     * (9999-12-31, 0001-01-01); filled by clv_rfm_read.  The bulk runs
     * from the lower quartile of the customers' first purchase days to the
     * upper quartile of their last purchase days (later customers
     * included); a date is far when it lies more than max(3 x the bulk's
     * length, 365 days) before or after the bulk, the limits rounded
     * outward to whole calendar years: [near_first, near_last] are the
     * dates that are not far.  A far date is data, kept in the customer
     * summaries (and so in the fits), but the table's daily series leaves
     * it out (see clv_rfm_table).  Each customer's rows are in date order,
     * so a far date before is some customer's first purchase and a far
     * date after is some customer's last. */
    int32_t bulk_first, bulk_last;
    int32_t near_first, near_last;
    long far_before, far_after;           /* customers whose first purchase is far before / last far after */
    long far_before_line, far_after_line; /* the first such line of the log (1-based), 0 when none */
    int32_t far_before_day, far_after_day; /* the date on that line */
    /* The periods clv_rfm_read was asked for (periods 1; 0 when the log
     * was read otherwise): the calibration end, and the holdout end
     * (equal to it when there is no holdout). */
    int periods;
    int32_t calibration_end, holdout_end;
} clv_txlog_stats;

/* The reader's warning about dates far outside the bulk of a log (s's
 * far_* fields): for after = 0 those before it, for 1 those after, as
 * "LOG:LINE: the date ... is far before ..." into buf (n bytes); returns 0,
 * buf untouched, when there are none, else 1. */
int clv_txlog_far_dates_text(char *buf, size_t n, const char *log, const clv_txlog_stats *s, int after);

/* The warning about a period that ends after the log's last purchase
 * (s->last_day; filled by clv_rfm_read): for holdout = 0 the calibration
 * period (every customer's T then counts days the log has no data for, so
 * the models see them as inactive and P(alive) falls), for 1 the holdout
 * (its last days have no data, so holdout purchases fall short of what the
 * models expect).  An end far after the log is an error of clv_rfm_read,
 * and one before its first purchase leaves no cohort (an error too).
 * Returns 0, buf untouched, when there is nothing to say, else 1. */
int clv_txlog_period_text(char *buf, size_t n, const char *log, const clv_txlog_stats *s, int holdout);

/* ---- the per-customer summary ---- */

/* One customer's calibration and holdout summary.  Times are in the
 * summary's unit (days, or weeks = days / 7) and measured from the first
 * purchase at day resolution. */
typedef struct clv_rfm {
    double x;              /* repeat transactions in the calibration period */
    double t_x;            /* first purchase to last calibration transaction (0 if x = 0) */
    double T;              /* first purchase to the end of the calibration period */
    double mean_spend;     /* mean spend of the x repeat transactions (0 if x = 0) */
    double first_spend;    /* spend of the first transaction */
    double x_holdout;      /* transactions in the holdout period */
    double spend_holdout;  /* their total spend */
    int32_t first_day;     /* day number of the first purchase */
    /* more of the calibration history, for the LTV predictor's features
     * (clvsim/ltv.h): the largest and the last transaction's spend (the
     * first included), and transactions in the last 7, 30 and 90 days up to
     * the calibration end (the first included) */
    double max_spend, last_spend;
    int recent[3];
} clv_rfm;

/* The summary of a cohort: every customer whose first purchase is on or
 * before the calibration end. */
typedef struct clv_rfm_table {
    size_t n;                   /* customers */
    clv_rfm *c;                 /* n records, in order of first appearance in the log */
    const char **id;            /* n customer ids (owned by the table) */
    int unit;                   /* clv_time_unit of the times */
    double unit_days;           /* 1 or 7 */
    int32_t calibration_end;    /* day number, inclusive */
    int32_t holdout_end;        /* day number, inclusive; equal to calibration_end when there is no holdout */
    double holdout_length;      /* (holdout_end - calibration_end) in units */
    long later_customers;       /* customers whose first purchase is after the calibration end (not in the table) */
    /* repeat transactions of the cohort per day, from series_start to
     * holdout_end (or to the last purchase when there is no holdout),
     * leaving out far dates (clv_txlog_stats): series_start is the first
     * purchase of the cohort's customers who did not start far before the
     * bulk (their repeats are not counted either), and without a holdout
     * the series ends at the last purchase that is not far after it.  So
     * n_days is at most the span of the log's bulk plus its margins, never
     * the span to a mistyped date.  n_days is 0 when every customer of the
     * cohort started far before the bulk. */
    int32_t series_start;
    size_t n_days;
    long *repeat_per_day;
    clv_txlog_stats stats;
} clv_rfm_table;

/* Read the log at path and summarise it.  calibration_end and holdout_end
 * are day numbers (holdout_end < 0: no holdout; else it must be after
 * calibration_end); unit is CLV_UNIT_DAY or CLV_UNIT_WEEK.  On success
 * *out is a new table (free with clv_rfm_free).  Errors: CLV_EINPUT for a
 * malformed row (file, line and what is wrong, in err), an empty cohort, or
 * a calibration or holdout end far after the log's dates (after
 * stats.near_last: such a period has no data; field "calibration_end" or
 * "holdout_end"), CLV_EIO when the file cannot be read, CLV_ENOMEM.  progress may be NULL. */
int clv_rfm_read(const char *path, const clv_txlog_opts *opts, int32_t calibration_end, int32_t holdout_end,
                 int unit, const struct clv_progress *progress, clv_rfm_table **out, clv_error *err);

/* Free a table; NULL is a no-op. */
void clv_rfm_free(clv_rfm_table *t);

/* Write the table as CSV: a header line, then one line per customer:
 * id,first_purchase,x,t_x,T,mean_spend,first_spend,x_holdout,spend_holdout
 * (times in the table's unit, full precision).  Returns CLV_OK or CLV_EIO. */
int clv_rfm_write_csv(const clv_rfm_table *t, FILE *fp, clv_error *err);

#ifdef __cplusplus
}
#endif
#endif
