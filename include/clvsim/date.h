/* clvsim/date.h - calendar dates as day numbers, and the recurring dates of seasonality windows.
 *
 * A date is an int32 day number: days since 1970-01-01 in the proleptic
 * Gregorian calendar (1970-01-01 is 0, 1969-12-31 is -1).  Differences of
 * day numbers are exact numbers of days, which is what recency, T and the
 * simulation clock need.
 */
#ifndef CLVSIM_DATE_H
#define CLVSIM_DATE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Day number of year-month-day.  No validation: see clv_date_valid. */
int32_t clv_date_from_ymd(int year, int month, int day);

/* Year, month (1-12) and day (1-31) of a day number. */
void clv_date_to_ymd(int32_t date, int *year, int *month, int *day);

/* 1 when (year, month, day) is a real date in years 1..9999, else 0. */
int clv_date_valid(int year, int month, int day);

/* Day of the week of a day number: 0 = Monday ... 6 = Sunday. */
int clv_date_weekday(int32_t date);

/* Parse a calendar date in one of the accepted forms:
 *   YYYY-MM-DD, YYYYMMDD, or an ISO date-time YYYY-MM-DDThh:mm[:ss]
 *   (also with a space for the T; the time of day is ignored).
 * The whole of s (up to len characters, or to its NUL when len < 0) must be
 * one date.  Returns 0 and sets *date, or -1 when s is not a valid date. */
int clv_date_parse(const char *s, int len, int32_t *date);

/* strftime-style date patterns, as a log's dates are written ("%m/%d/%Y
 * %H:%M" reads "12/1/2010 8:26").  The conversions, each at most once:
 *   %Y  a year of 1 to 4 digits        %y  a two-digit year (POSIX strptime:
 *                                          69-99 are 1969-1999, 00-68 2000-2068)
 *   %m  a month of 1 or 2 digits       %b  an English month abbreviation, any case
 *   %d  a day of 1 or 2 digits
 *   %H  %M  %S  an hour (0-23), minute (0-59), second (0-60) of 1 or 2
 *       digits: checked, then ignored (a date is a day)
 *   %%  a percent sign
 * A blank matches one or more blanks (spaces or tabs); any other character
 * matches itself.  A pattern needs a year, a month and a day.  The reader
 * is its own: no locale, no strptime, so it reads alike everywhere. */
#define CLV_DATE_PATTERN_MAX 63

/* 0 when pattern is a valid pattern, else -1 with the reason in why (a
 * buffer of n bytes; may be NULL). */
int clv_date_pattern_check(const char *pattern, char *why, size_t n);

/* Parse s (len characters, or to its NUL when len < 0) with a pattern that
 * clv_date_pattern_check accepts: the whole of s must match and be a real
 * date in years 1..9999.  0 and *date, or -1. */
int clv_date_parse_pattern(const char *pattern, const char *s, int len, int32_t *date);

/* Write date as YYYY-MM-DD into buf (at least 11 bytes).  Returns buf. */
char *clv_date_format(int32_t date, char *buf);

/* A recurring day of the year for seasonality windows, written as
 *   "MM-DD"                  a fixed day, e.g. "12-24";
 *   "black-friday"           the day after the fourth Thursday of November;
 *   "black-friday+N" / "-N"  N days (0..60) after or before it
 *                            ("black-friday+3" is Cyber Monday).
 * Returns 0 and the day number of the spec in `year`, or -1 when the spec is
 * not one of these forms or names no real day (e.g. "02-30"; "02-29" is
 * accepted and falls on 03-01 in common years). */
int clv_datespec_resolve(const char *spec, int year, int32_t *date);

/* 1 when day lies in the yearly window from day spec start to day spec end
 * (both included), 0 when not, -1 when a spec is not valid.  Each year has
 * one window, from start resolved in that year to end; when end resolved in
 * the same year comes before start, the window runs over New Year to end of
 * the next year.  So a window from "black-friday" to "black-friday+40"
 * holds the first days of January, and "12-20" to "01-05" does too. */
int clv_datespec_window(const char *start, const char *end, int32_t day);

#ifdef __cplusplus
}
#endif
#endif
