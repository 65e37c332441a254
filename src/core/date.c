/* date.c - day numbers of the proleptic Gregorian calendar, parsing and recurring day specs. */
#include "clvsim/date.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Days from 1970-01-01, by counting in 400-year eras that start on March 1
 * so that the leap day is the last day of an era-year. */
int32_t clv_date_from_ymd(int year, int month, int day)
{
    int y = year - (month <= 2);
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;                                    /* [0, 399] */
    int mp = month > 2 ? month - 3 : month + 9;                 /* March = 0 */
    int doy = (153 * mp + 2) / 5 + day - 1;                     /* [0, 365] */
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            /* [0, 146096] */
    return (int32_t)(era * 146097 + doe - 719468);
}

void clv_date_to_ymd(int32_t date, int *year, int *month, int *day)
{
    int z = date + 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    int d = doy - (153 * mp + 2) / 5 + 1;
    int m = mp < 10 ? mp + 3 : mp - 9;
    *year = yoe + era * 400 + (m <= 2);
    *month = m;
    *day = d;
}

static int leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int clv_date_valid(int year, int month, int day)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1)
        return 0;
    return day <= mdays[month - 1] + (month == 2 && leap(year));
}

int clv_date_weekday(int32_t date)
{
    /* 1970-01-01 was a Thursday (3 with Monday = 0) */
    int w = (int)((date % 7 + 7 + 3) % 7);
    return w;
}

/* n decimal digits at s, or -1 */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* hh:mm or hh:mm:ss with valid ranges, exactly len characters */
static int valid_time(const char *s, int len)
{
    if (len != 5 && len != 8)
        return 0;
    int h = digits(s, 2), m = s[2] == ':' ? digits(s + 3, 2) : -1;
    if (h < 0 || h > 23 || m < 0 || m > 59)
        return 0;
    if (len == 8) {
        int sec = s[5] == ':' ? digits(s + 6, 2) : -1;
        if (sec < 0 || sec > 60)
            return 0;
    }
    return 1;
}

int clv_date_parse(const char *s, int len, int32_t *date)
{
    if (len < 0)
        len = (int)strlen(s);
    int y, m, d;
    if (len == 8) {
        y = digits(s, 4), m = digits(s + 4, 2), d = digits(s + 6, 2);
    } else if (len >= 10 && s[4] == '-' && s[7] == '-') {
        y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
        if (len > 10) {
            /* ISO date-time: a 'T' or a space, then a valid time of day;
             * a trailing 'Z' or fractional seconds are not accepted */
            if ((s[10] != 'T' && s[10] != ' ') || !valid_time(s + 11, len - 11))
                return -1;
        }
    } else {
        return -1;
    }
    if (y < 0 || m < 0 || d < 0 || !clv_date_valid(y, m, d))
        return -1;
    *date = clv_date_from_ymd(y, m, d);
    return 0;
}

char *clv_date_format(int32_t date, char *buf)
{
    int y, m, d;
    clv_date_to_ymd(date, &y, &m, &d);
    /* years outside 0..9999 are not representable in this form; clamp so
     * the text always has its 10 characters */
    unsigned yy = y < 0 ? 0u : y > 9999 ? 9999u : (unsigned)y;
    snprintf(buf, 11, "%04u-%02u-%02u", yy % 10000u, (unsigned)m % 100u, (unsigned)d % 100u);
    return buf;
}

int clv_datespec_resolve(const char *spec, int year, int32_t *date)
{
    static const char bf[] = "black-friday";
    size_t nbf = sizeof bf - 1;
    if (strncmp(spec, bf, nbf) == 0) {
        int off = 0;
        const char *rest = spec + nbf;
        if (*rest) {
            if ((rest[0] != '+' && rest[0] != '-') || rest[1] == '\0' || strlen(rest + 1) > 2)
                return -1;
            int v = digits(rest + 1, (int)strlen(rest + 1));
            if (v < 0 || v > 60)
                return -1;
            off = rest[0] == '+' ? v : -v;
        }
        /* fourth Thursday of November, then the next day */
        int32_t nov1 = clv_date_from_ymd(year, 11, 1);
        int thu = (3 - clv_date_weekday(nov1) + 7) % 7; /* days to first Thursday */
        *date = nov1 + thu + 21 + 1 + off;
        return 0;
    }
    if (strlen(spec) != 5 || spec[2] != '-')
        return -1;
    int m = digits(spec, 2), d = digits(spec + 3, 2);
    /* validate against a leap year so that 02-29 is a valid spec */
    if (m < 0 || d < 0 || !clv_date_valid(2000, m, d))
        return -1;
    if (m == 2 && d == 29 && !leap(year))
        *date = clv_date_from_ymd(year, 3, 1);
    else
        *date = clv_date_from_ymd(year, m, d);
    return 0;
}

int clv_datespec_window(const char *start, const char *end, int32_t day)
{
    int y, m, d;
    clv_date_to_ymd(day, &y, &m, &d);
    /* the window that starts in day's year, and the one that started the
     * year before (which may reach into this one) */
    for (int yy = y; yy >= y - 1; yy--) {
        int32_t s, e;
        if (clv_datespec_resolve(start, yy, &s) != 0 || clv_datespec_resolve(end, yy, &e) != 0)
            return -1;
        if (e < s && clv_datespec_resolve(end, yy + 1, &e) != 0)
            return -1;
        if (day >= s && day <= e)
            return 1;
    }
    return 0;
}

/* ---- strftime-style patterns ---- */

static const char month_abbr[12][4] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec"};

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }

/* The field of conversion c: its index in "YymbdHMS", or -1 */
static int pattern_field(int c)
{
    const char *p = strchr("YymbdHMS", c);
    return c && p ? (int)(p - "YymbdHMS") : -1;
}

int clv_date_pattern_check(const char *pattern, char *why, size_t n)
{
    if (why && n)
        why[0] = '\0';
    size_t len = strlen(pattern);
    if (len == 0 || len > CLV_DATE_PATTERN_MAX) {
        if (why)
            snprintf(why, n, "expected a pattern of 1 to %d characters, got %zu", CLV_DATE_PATTERN_MAX, len);
        return -1;
    }
    int seen[8] = {0};
    for (const char *p = pattern; *p; p++) {
        if (*p != '%')
            continue;
        p++;
        if (*p == '%')
            continue;
        int f = pattern_field((unsigned char)*p);
        if (f < 0) {
            if (why) {
                if (*p)
                    snprintf(why, n, "expected a conversion %%Y %%y %%m %%b %%d %%H %%M %%S or %%%%, got %%%c", *p);
                else
                    snprintf(why, n, "expected a conversion after the final %%");
            }
            return -1;
        }
        if (seen[f]++) {
            if (why)
                snprintf(why, n, "the conversion %%%c appears twice", *p);
            return -1;
        }
    }
    const int year = seen[0] + seen[1], month = seen[2] + seen[3];
    if (year != 1 || month != 1 || !seen[4]) {
        if (why)
            snprintf(why, n, "expected a pattern with one year (%%Y or %%y), one month (%%m or %%b) and a day (%%d)");
        return -1;
    }
    return 0;
}

/* up to max digits at s[*i, len), at least one: the value, or -1 */
static int pattern_digits(const char *s, int len, int *i, int max)
{
    int v = 0, k = 0;
    while (k < max && *i < len && s[*i] >= '0' && s[*i] <= '9') {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
        k++;
    }
    return k ? v : -1;
}

int clv_date_parse_pattern(const char *pattern, const char *s, int len, int32_t *date)
{
    if (len < 0)
        len = (int)strlen(s);
    int y = -1, m = -1, d = -1, i = 0;
    for (const char *p = pattern; *p; p++) {
        if (*p == ' ') { /* a blank matches one or more blanks */
            if (i >= len || (s[i] != ' ' && s[i] != '\t'))
                return -1;
            while (i < len && (s[i] == ' ' || s[i] == '\t'))
                i++;
            continue;
        }
        if (*p != '%' || p[1] == '%') {
            if (*p == '%')
                p++;
            if (i >= len || s[i] != *p)
                return -1;
            i++;
            continue;
        }
        int v;
        switch (*++p) {
        case 'Y':
            if ((y = pattern_digits(s, len, &i, 4)) < 1)
                return -1;
            break;
        case 'y': /* as POSIX strptime: 69-99 are 1969-1999, 00-68 are 2000-2068 */
            if ((v = pattern_digits(s, len, &i, 2)) < 0)
                return -1;
            y = v < 69 ? 2000 + v : 1900 + v;
            break;
        case 'm':
            if ((m = pattern_digits(s, len, &i, 2)) < 0)
                return -1;
            break;
        case 'd':
            if ((d = pattern_digits(s, len, &i, 2)) < 0)
                return -1;
            break;
        case 'b':
            if (i + 3 > len)
                return -1;
            for (m = 0; m < 12; m++)
                if (lower((unsigned char)s[i]) == month_abbr[m][0] && lower((unsigned char)s[i + 1]) == month_abbr[m][1] &&
                    lower((unsigned char)s[i + 2]) == month_abbr[m][2])
                    break;
            if (m == 12)
                return -1;
            m++;
            i += 3;
            break;
        case 'H': /* times of day are checked, then ignored */
            if ((v = pattern_digits(s, len, &i, 2)) < 0 || v > 23)
                return -1;
            break;
        case 'M':
            if ((v = pattern_digits(s, len, &i, 2)) < 0 || v > 59)
                return -1;
            break;
        case 'S':
            if ((v = pattern_digits(s, len, &i, 2)) < 0 || v > 60)
                return -1;
            break;
        default: /* not a valid pattern (clv_date_pattern_check) */
            return -1;
        }
    }
    if (i != len || y < 0 || m < 0 || d < 0 || !clv_date_valid(y, m, d))
        return -1;
    *date = clv_date_from_ymd(y, m, d);
    return 0;
}
