/* test_date.c - day numbers, parsing and recurring day specs, against dates
 * computed independently (Python's datetime). */
#include <stdint.h>

#include "clvsim/date.h"
#include "harness.h"

TEST(test_date_day_numbers)
{
    static const struct { int y, m, d; int32_t n; int wd; } cases[] = {
        {1970, 1, 1, 0, 3},        {1969, 12, 31, -1, 2},      {1997, 9, 30, 10134, 1},
        {1998, 6, 30, 10407, 1},   {2000, 2, 29, 11016, 1},    {2026, 11, 23, 20780, 0},
        {1900, 3, 1, -25508, 3},   {9999, 12, 31, 2932896, 4}, {1, 1, 1, -719162, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK_INT(clv_date_from_ymd(cases[i].y, cases[i].m, cases[i].d), cases[i].n);
        CHECK_INT(clv_date_weekday(cases[i].n), cases[i].wd);
        int y, m, d;
        clv_date_to_ymd(cases[i].n, &y, &m, &d);
        CHECK(y == cases[i].y && m == cases[i].m && d == cases[i].d);
    }
    /* round trip over four centuries, day by day */
    int bad = 0;
    int32_t start = clv_date_from_ymd(1800, 1, 1);
    for (int32_t n = start; n < start + 146097; n++) {
        int y, m, d;
        clv_date_to_ymd(n, &y, &m, &d);
        bad += !clv_date_valid(y, m, d) || clv_date_from_ymd(y, m, d) != n;
    }
    CHECK_INT(bad, 0);
}

TEST(test_date_parse)
{
    int32_t d = 0;
    CHECK_INT(clv_date_parse("1997-09-30", -1, &d), 0);
    CHECK_INT(d, 10134);
    CHECK_INT(clv_date_parse("19970930", -1, &d), 0);
    CHECK_INT(d, 10134);
    CHECK_INT(clv_date_parse("1997-09-30 00:00:00", -1, &d), 0);
    CHECK_INT(d, 10134);
    CHECK_INT(clv_date_parse("1997-09-30T23:59", -1, &d), 0);
    CHECK_INT(d, 10134);
    /* a length-limited field inside a longer line */
    CHECK_INT(clv_date_parse("19970930 rest", 8, &d), 0);
    CHECK_INT(d, 10134);
    const char *bad[] = {"1997-02-29", "1997-13-01", "1997-00-10", "1997-9-30", "1997/09/30", "",
                         "19970931", "1997-09-30T24:00", "1997-09-30 12", "1997-09-30x00:00",
                         "2000-01-01T10:61", "abcdefgh", "0000-01-01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (clv_date_parse(bad[i], -1, &d) != -1)
            harness_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
    }
    char buf[11];
    CHECK_STR(clv_date_format(10134, buf), "1997-09-30");
    CHECK_STR(clv_date_format(-719162, buf), "0001-01-01");
}

TEST(test_date_specs)
{
    int32_t d;
    /* Black Friday: 2024-11-29, 2025-11-28, 2026-11-27, 2027-11-26 */
    CHECK_INT(clv_datespec_resolve("black-friday", 2024, &d), 0);
    CHECK_INT(d, clv_date_from_ymd(2024, 11, 29));
    CHECK_INT(clv_datespec_resolve("black-friday", 2025, &d), 0);
    CHECK_INT(d, clv_date_from_ymd(2025, 11, 28));
    CHECK_INT(clv_datespec_resolve("black-friday", 2026, &d), 0);
    CHECK_INT(d, clv_date_from_ymd(2026, 11, 27));
    CHECK_INT(clv_date_weekday(d), 4); /* a Friday */
    CHECK_INT(clv_datespec_resolve("black-friday+3", 2027, &d), 0);
    CHECK_INT(d, clv_date_from_ymd(2027, 11, 29)); /* Cyber Monday */
    CHECK_INT(clv_datespec_resolve("black-friday-1", 2026, &d), 0);
    CHECK_INT(d, clv_date_from_ymd(2026, 11, 26)); /* Thanksgiving */
    CHECK_INT(clv_datespec_resolve("12-24", 2026, &d), 0);
    CHECK_INT(d, clv_date_from_ymd(2026, 12, 24));
    CHECK_INT(clv_datespec_resolve("02-29", 2028, &d), 0);
    CHECK_INT(d, clv_date_from_ymd(2028, 2, 29));
    CHECK_INT(clv_datespec_resolve("02-29", 2027, &d), 0);
    CHECK_INT(d, clv_date_from_ymd(2027, 3, 1));
    const char *bad[] = {"11-31", "13-01", "1-01", "12-1", "black-friday+61", "black-friday+",
                         "black-friday*2", "black-friday+100", "blackfriday", "", "12-24x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (clv_datespec_resolve(bad[i], 2026, &d) != -1)
            harness_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
}

/* yearly windows: the window of each year, also where its end falls in the
 * next year (a black-friday+N end past New Year once lost its January days) */
TEST(test_date_windows)
{
    int32_t bf[4]; /* Black Friday 2024 to 2027 */
    for (int k = 0; k < 4; k++)
        clv_datespec_resolve("black-friday", 2024 + k, &bf[k]);
    /* black-friday .. black-friday+40, every year: 2024-11-29 to 2025-01-08, 2025-11-28 to 2026-01-07, ... */
    int in = 0;
    for (int32_t d = clv_date_from_ymd(2025, 1, 1); d <= clv_date_from_ymd(2027, 12, 31); d++) {
        int want = 0;
        for (int k = 0; k < 4; k++)
            want |= d >= bf[k] && d <= bf[k] + 40;
        const int got = clv_datespec_window("black-friday", "black-friday+40", d);
        if (got != want) {
            char b[16];
            harness_fail(__FILE__, __LINE__, "%s: got %d, expected %d", clv_date_format(d, b), got, want);
            break;
        }
        in += got;
    }
    CHECK_INT(in, 8 + 41 + 41 + 36); /* January 2025's 8 days, two whole windows, 2027-11-26 to 12-31 */
    /* an end before the start runs over New Year */
    CHECK_INT(clv_datespec_window("12-20", "01-05", clv_date_from_ymd(2026, 1, 5)), 1);
    CHECK_INT(clv_datespec_window("12-20", "01-05", clv_date_from_ymd(2026, 1, 6)), 0);
    CHECK_INT(clv_datespec_window("12-20", "01-05", clv_date_from_ymd(2026, 12, 20)), 1);
    CHECK_INT(clv_datespec_window("12-20", "01-05", clv_date_from_ymd(2026, 12, 19)), 0);
    CHECK_INT(clv_datespec_window("01-02", "01-31", clv_date_from_ymd(2026, 1, 1)), 0);
    CHECK_INT(clv_datespec_window("01-02", "01-31", clv_date_from_ymd(2026, 1, 31)), 1);
    /* the first and last supported days: the windows of years 0 and 10000 are days too */
    CHECK_INT(clv_datespec_window("black-friday", "black-friday+60", clv_date_from_ymd(1, 1, 1)), 1);
    CHECK_INT(clv_datespec_window("12-20", "01-05", clv_date_from_ymd(9999, 12, 31)), 1);
    CHECK_INT(clv_datespec_window("11-31", "12-31", clv_date_from_ymd(2026, 12, 1)), -1);
}

/* strftime-style patterns against dates worked out by hand */
TEST(test_date_patterns)
{
    static const struct { const char *pat, *s; int y, m, d; } ok[] = {
        {"%m/%d/%Y %H:%M", "12/1/2010 8:26", 2010, 12, 1},
        {"%m/%d/%Y %H:%M", "01/09/2011 23:59", 2011, 1, 9},
        {"%m/%d/%Y %H:%M", "2/29/2012  0:00", 2012, 2, 29}, /* a blank matches a run */
        {"%d.%m.%Y", "31.12.1999", 1999, 12, 31},
        {"%d-%b-%Y", "05-dec-2010", 2010, 12, 5},
        {"%d %b %y", "5 SEP 97", 1997, 9, 5},
        {"%y%m%d", "680101", 2068, 1, 1},
        {"%y%m%d", "690101", 1969, 1, 1},
        {"%Y%m%d", "19970930", 1997, 9, 30},
        {"%Y-%m-%dT%H:%M:%S", "1997-09-30T12:00:60", 1997, 9, 30},
        {"%%%Y/%m/%d", "%2001/2/3", 2001, 2, 3},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int32_t d = -999999;
        CHECK_INT(clv_date_pattern_check(ok[i].pat, NULL, 0), 0);
        if (clv_date_parse_pattern(ok[i].pat, ok[i].s, -1, &d) != 0)
            harness_fail(__FILE__, __LINE__, "\"%s\" with \"%s\" refused", ok[i].s, ok[i].pat);
        else
            CHECK_INT(d, clv_date_from_ymd(ok[i].y, ok[i].m, ok[i].d));
    }
    static const struct { const char *pat, *s; } bad[] = {
        {"%m/%d/%Y %H:%M", "13/1/2010 8:26"},  {"%m/%d/%Y %H:%M", "2/30/2011 8:26"},
        {"%m/%d/%Y %H:%M", "2/29/2011 8:26"},  {"%m/%d/%Y %H:%M", "12/1/2010 24:00"},
        {"%m/%d/%Y %H:%M", "12/1/2010 8:60"},  {"%m/%d/%Y %H:%M", "12/1/2010 8:26:00"},
        {"%m/%d/%Y %H:%M", "12/1/2010"},       {"%m/%d/%Y %H:%M", "12/1/20108:26"},
        {"%m/%d/%Y %H:%M", "12-1-2010 8:26"},  {"%d-%b-%Y", "05-dex-2010"},
        {"%d-%b-%Y", "05-de"},                 {"%Y%m%d", "0000101"},
        {"%m/%d/%Y", ""},                      {"%m/%d/%Y", "1/1/10000"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int32_t d = 7;
        if (clv_date_parse_pattern(bad[i].pat, bad[i].s, -1, &d) == 0)
            harness_fail(__FILE__, __LINE__, "\"%s\" with \"%s\" accepted", bad[i].s, bad[i].pat);
        CHECK_INT(d, 7);
    }
    /* len bounds the text */
    int32_t d = 0;
    CHECK_INT(clv_date_parse_pattern("%Y-%m-%d", "2001-02-03xyz", 10, &d), 0);
    CHECK_INT(d, clv_date_from_ymd(2001, 2, 3));
    static const struct { const char *pat, *why; } inval[] = {
        {"%m/%d", "expected a pattern with one year (%Y or %y), one month (%m or %b) and a day (%d)"},
        {"%Y %d %Y %m", "the conversion %Y appears twice"},
        {"%Y %y %m %d", "expected a pattern with one year (%Y or %y), one month (%m or %b) and a day (%d)"},
        {"%Y %m %b %d", "expected a pattern with one year (%Y or %y), one month (%m or %b) and a day (%d)"},
        {"%Y-%m-%d %I", "expected a conversion %Y %y %m %b %d %H %M %S or %%, got %I"},
        {"%Y-%m-%d %", "expected a conversion after the final %"},
        {"", "expected a pattern of 1 to 63 characters, got 0"},
    };
    for (size_t i = 0; i < sizeof inval / sizeof inval[0]; i++) {
        char why[200] = "";
        CHECK_INT(clv_date_pattern_check(inval[i].pat, why, sizeof why), -1);
        CHECK_STR(why, inval[i].why);
    }
}
