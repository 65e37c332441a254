/* test_bad_hangs.c - the catalogue of bad inputs that used to hang (issue 11, item 3).
 *
 * Classes covered, each with its exact message and exit status:
 * - a transaction dated far after the rest of the log (9999-12-31): clvsim fit
 *   ends within seconds and warns with the file and line; the date stays
 *   in the summaries and leaves the daily series;
 * - a customer whose first purchase is far before the rest (0001-01-01):
 *   the same, and the customer's repeats leave the series too;
 * - a calibration or holdout end far after the log: refused (status 2);
 * - the cumulative repeat-purchase curve, quadratic in the span of days,
 *   is now a sum over the first-purchase days only: the same to the bit;
 * - the Pareto/NBD's hypergeometric series near z = 1 (the boundary of no
 *   dropout, where a customer observed for centuries pushes the fit, and
 *   where the UCI Online Retail log's fit lies): the connection formula
 *   and Pfaff's series agree with the Gauss series, and the derivatives
 *   with central differences;
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/model/btyd_internal.h"
#include "clvsim/btyd.h"
#include "clvsim/date.h"
#include "clvsim/txlog.h"
#include "harness.h"

#define FIX "tests/fixtures/bad/hangs"

/* the curve as it was computed before it was made linear: for every day,
 * a sum over every earlier day that has first purchases */
static void cumulative_reference(const clv_btyd *m, const clv_rfm_table *t, double *out)
{
    size_t nd = t->n_days;
    double *ex = malloc((nd + 1) * sizeof *ex), *first = calloc(nd + 1, sizeof *first);
    for (size_t u = 0; u <= nd; u++)
        ex[u] = clv_btyd_expected_new(m, (double)u / t->unit_days);
    for (size_t i = 0; i < t->n; i++) {
        long off = (long)t->c[i].first_day - (long)t->series_start;
        if (off >= 0 && (size_t)off < nd)
            first[off] += 1;
    }
    for (size_t d = 0; d < nd; d++) {
        double s = 0;
        for (size_t f = 0; f <= d; f++)
            if (first[f] > 0)
                s += first[f] * ex[d - f];
        out[d] = s;
    }
    free(ex);
    free(first);
}

/* clv_btyd_cumulative of t under both models equals the reference bit for bit */
static void check_cumulative_bits(const clv_rfm_table *t)
{
    const clv_btyd models[2] = {
        {.model = CLV_MODEL_BGNBD, .bgnbd = {0.243, 4.41, 0.793, 2.43}},
        {.model = CLV_MODEL_PARETO, .pareto = {0.55, 10.6, 0.61, 11.7}},
    };
    double *a = malloc(t->n_days * sizeof *a), *b = malloc(t->n_days * sizeof *b);
    for (int k = 0; k < 2; k++) {
        clv_error err;
        CHECK_INT(clv_btyd_cumulative(&models[k], t, a, &err), CLV_OK);
        cumulative_reference(&models[k], t, b);
        CHECK(memcmp(a, b, t->n_days * sizeof *a) == 0);
        CHECK(a[t->n_days - 1] > 0); /* not a comparison of zeros */
    }
    free(a);
    free(b);
}

TEST(test_bad_hangs_cumulative_linear)
{
    /* a log with first purchases on scattered days and gaps between them */
    char path[] = "/tmp/clvsim-cum-XXXXXX";
    int fd = mkstemp(path);
    FILE *fp = fdopen(fd, "w");
    unsigned x = 12345;
    for (int c = 0; c < 300; c++) {
        x = x * 1103515245u + 12345u;
        int32_t day = clv_date_from_ymd(2020, 1, 1) + (int32_t)((x >> 8) % 200) * ((c % 3) + 1);
        int n = 1 + (int)((x >> 4) % 5);
        for (int k = 0; k < n; k++) {
            char d[11];
            fprintf(fp, "c%d,%s,%d.5\n", c, clv_date_format(day, d), 3 + k);
            x = x * 1103515245u + 12345u;
            day += 1 + (int32_t)((x >> 8) % 90);
        }
    }
    fclose(fp);
    clv_rfm_table *t = NULL;
    clv_error err;
    CHECK_INT(clv_rfm_read(path, NULL, clv_date_from_ymd(2021, 1, 31), -1, CLV_UNIT_WEEK, NULL, &t, &err), CLV_OK);
    unlink(path);
    if (t) {
        CHECK(t->n_days > 600);
        check_cumulative_bits(t);
    }
    clv_rfm_free(t);

    /* and the CDNOW sample (real first-purchase days) in days */
    char *cd = harness_shared_data("CDNOW_sample.txt");
    if (!cd)
        return;
    clv_txlog_opts o;
    clv_txlog_opts_default(&o);
    o.customer_column = 2;
    o.date_column = 3;
    o.quantity_column = 4;
    o.amount_column = 5;
    t = NULL;
    CHECK_INT(clv_rfm_read(cd, &o, clv_date_from_ymd(1997, 9, 30), clv_date_from_ymd(1998, 6, 30), CLV_UNIT_DAY, NULL,
                           &t, &err),
              CLV_OK);
    if (t) {
        CHECK_INT(t->n_days, 546);
        check_cumulative_bits(t);
    }
    clv_rfm_free(t);
    free(cd);
}

/* the reader's account of far dates */
TEST(test_bad_hangs_far_dates_stats)
{
    clv_rfm_table *t = NULL;
    clv_error err;
    const int32_t cal = clv_date_from_ymd(2023, 6, 30);
    CHECK_INT(clv_rfm_read(FIX "/far_late.csv", NULL, cal, -1, CLV_UNIT_DAY, NULL, &t, &err), CLV_OK);
    if (t) {
        const clv_txlog_stats *s = &t->stats;
        CHECK_INT(s->bulk_first, clv_date_from_ymd(2023, 1, 9));   /* 3rd of 12 first purchases */
        CHECK_INT(s->bulk_last, clv_date_from_ymd(2023, 10, 1));   /* 9th of 12 last purchases */
        CHECK_INT(s->near_first, clv_date_from_ymd(2020, 1, 1));   /* 3 x 265 days before, to 1 January */
        CHECK_INT(s->near_last, clv_date_from_ymd(2025, 12, 31));
        CHECK_INT(s->far_before, 0);
        CHECK_INT(s->far_after, 1);
        CHECK_INT(s->far_after_line, 13);
        CHECK_INT(s->far_after_day, clv_date_from_ymd(9999, 12, 31));
        CHECK_INT(s->last_day, clv_date_from_ymd(9999, 12, 31));
        /* the series runs to the last purchase that is not far out */
        CHECK_INT(t->series_start, clv_date_from_ymd(2023, 1, 2));
        CHECK_INT(t->n_days, clv_date_from_ymd(2023, 12, 1) - clv_date_from_ymd(2023, 1, 2) + 1);
        long rep = 0;
        for (size_t d = 0; d < t->n_days; d++)
            rep += t->repeat_per_day[d];
        CHECK_INT(rep, 12); /* 24 rows of 12 customers, without the far one */
    }
    clv_rfm_free(t);

    t = NULL;
    CHECK_INT(clv_rfm_read(FIX "/far_early.csv", NULL, cal, clv_date_from_ymd(2023, 12, 31), CLV_UNIT_DAY, NULL, &t,
                           &err),
              CLV_OK);
    if (t) {
        const clv_txlog_stats *s = &t->stats;
        CHECK_INT(s->far_before, 1);
        CHECK_INT(s->far_before_line, 2);
        CHECK_INT(s->far_before_day, clv_date_from_ymd(1, 1, 1));
        CHECK_INT(s->far_after, 0);
        CHECK_INT(t->n, 13);                  /* c00 is in the cohort (and the fits) */
        CHECK_INT(t->series_start, clv_date_from_ymd(2023, 1, 2));
        CHECK_INT(t->n_days, clv_date_from_ymd(2023, 12, 31) - clv_date_from_ymd(2023, 1, 2) + 1);
        long rep = 0;
        for (size_t d = 0; d < t->n_days; d++)
            rep += t->repeat_per_day[d];
        CHECK_INT(rep, 12); /* c00's repeat on 2023-03-03 is not in the series */
        check_cumulative_bits(t);
    }
    clv_rfm_free(t);
}

/* clvsim fit on a log with one far date: seconds, not hours, and the warning */
static void fit_far(const char *log, const char *hold, const char *warning)
{
    char dir[] = "/tmp/clvsim-far-XXXXXX";
    if (!mkdtemp(dir))
        return;
    char out[64];
    snprintf(out, sizeof out, "%s/out", dir);
    harness_proc r = hold ? harness_run_env(ARGS("fit", log, "--calibration-end", "2023-06-30", "--holdout-end",
                                                 hold, "-o", out, "-q"), NULL, 20)
                          : harness_run_env(ARGS("fit", log, "--calibration-end", "2023-06-30", "-o", out, "-q"),
                                            NULL, 20);
    CHECK_INT(r.status, 0);
    CHECK(r.seconds < 20);
    CHECK(r.err && strstr(r.err, warning));
    /* in the report too */
    char path[128];
    snprintf(path, sizeof path, "%s/report.txt", out);
    char *rep = harness_read_file(path);
    CHECK(rep && strstr(rep, warning + strlen("clvsim fit: warning: ")));
    free(rep);
    /* the cumulative curve covers 2023 only */
    snprintf(path, sizeof path, "%s/cumulative.csv", out);
    char *cum = harness_read_file(path);
    CHECK(cum && strncmp(cum, "date,actual,BG/NBD,Pareto/NBD\n2023-01-02,0,", 42) == 0);
    size_t lines = 0;
    for (const char *p = cum; p && *p; p++)
        lines += *p == '\n';
    CHECK_INT(lines, hold ? 1 + 364 : 1 + 334);
    free(cum);
    harness_proc_free(&r);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_INT(system(cmd), 0);
}

TEST(test_bad_hangs_far_date_fit)
{
    fit_far(FIX "/far_late.csv", NULL,
            "clvsim fit: warning: " FIX "/far_late.csv:13: the date 9999-12-31 is far after the bulk of the log's "
            "dates (2023-01-09 to 2023-10-01; far: after 2025-12-31), a typo?  1 customer buys that far after: kept "
            "in the customer summaries and the fits, left out of the daily series (the cumulative curve)\n");
    fit_far(FIX "/far_early.csv", "2023-12-31",
            "clvsim fit: warning: " FIX "/far_early.csv:2: the date 0001-01-01 is far before the bulk of the log's "
            "dates (2023-01-09 to 2023-09-09; far: before 2021-01-01), a typo?  1 customer starts that far before: "
            "kept in the customer summaries and the fits, left out of the daily series (the cumulative curve)\n");
}

TEST(test_bad_hangs_far_period_end)
{
    harness_proc r = harness_run_env(ARGS("fit", FIX "/far_late.csv", "--calibration-end", "2023-06-30",
                                          "--holdout-end", "2099-06-30", "-o", "/tmp/clvsim-far-never", "-q"),
                                     NULL, 20);
    CHECK_INT(r.status, 2);
    CHECK_STR(r.err, "clvsim: " FIX "/far_late.csv: holdout_end: expected a holdout end by 2025-12-31, got "
                     "2099-06-30: the bulk of the log's dates runs from 2023-01-09 to 2023-10-01, and a period "
                     "ending that far after it has no data\n");
    harness_proc_free(&r);
    r = harness_run_env(ARGS("fit", FIX "/far_late.csv", "--calibration-end", "2031-06-30", "-o",
                             "/tmp/clvsim-far-never", "-q"),
                        NULL, 20);
    CHECK_INT(r.status, 2);
    CHECK_STR(r.err, "clvsim: " FIX "/far_late.csv: calibration_end: expected a calibration end by 2025-12-31, got "
                     "2031-06-30: the bulk of the log's dates runs from 2023-01-09 to 2023-10-01, and a period "
                     "ending that far after it has no data\n");
    harness_proc_free(&r);
    CHECK(access("/tmp/clvsim-far-never", F_OK) != 0); /* refused before any output */
}

/* 2F1(a, b; a+1; 1-w) near w = 0 by the connection formula, against the
 * Gauss series where that still converges and against central differences */
TEST(test_bad_hangs_hyp2f1_near1)
{
    const double as[] = {0.3, 1.2, 2.7, 20.3, 150.7}, bs[] = {0.2, 0.74, 1.6, 2.3, 3.74, 21.74, 51.74};
    const double ws[] = {1e-3, 3e-4, 1e-4};
    double worst = 0, worst_d = 0;
    int compared = 0;
    for (size_t i = 0; i < sizeof as / sizeof *as; i++)
        for (size_t j = 0; j < sizeof bs / sizeof *bs; j++)
            for (size_t k = 0; k < sizeof ws / sizeof *ws; k++) {
                const double a = as[i], b = bs[j], w = ws[k];
                if (b >= a + 1)
                    continue;
                double v, dA, db, dz, s, da, sb, dc, sz;
                if (clv__log_hyp2f1_near1(a, b, w, &v, &dA, &db, &dz) != 0) {
                    harness_fail(__FILE__, __LINE__, "near1 failed at a=%g b=%g w=%g", a, b, w);
                    continue;
                }
                if (clv__log_hyp2f1(a, b, a + 1, 1 - w, &s, &da, &sb, &dc, &sz) == 0) {
                    compared++;
                    worst = harness_max(worst, fabs(v - s) / fmax(1, fabs(s)));
                    worst_d = harness_max(worst_d, fabs(dA - (da + dc)) / fmax(1, fabs(dA)));
                    worst_d = harness_max(worst_d, fabs(db - sb) / fmax(1, fabs(db)));
                    worst_d = harness_max(worst_d, fabs(dz - sz) / fmax(1, fabs(dz)));
                }
                /* central differences of the connection formula itself */
                double vp, vm, h = 1e-6 * a;
                clv__log_hyp2f1_near1(a + h, b, w, &vp, NULL, NULL, NULL);
                clv__log_hyp2f1_near1(a - h, b, w, &vm, NULL, NULL, NULL);
                worst_d = harness_max(worst_d, fabs((vp - vm) / (2 * h) - dA) / fmax(1, fabs(dA)) / 1e3);
                h = 1e-6 * b;
                clv__log_hyp2f1_near1(a, b + h, w, &vp, NULL, NULL, NULL);
                clv__log_hyp2f1_near1(a, b - h, w, &vm, NULL, NULL, NULL);
                worst_d = harness_max(worst_d, fabs((vp - vm) / (2 * h) - db) / fmax(1, fabs(db)) / 1e3);
                h = 1e-3 * w;
                clv__log_hyp2f1_near1(a, b, w - h, &vp, NULL, NULL, NULL); /* z = 1 - w: + h in z */
                clv__log_hyp2f1_near1(a, b, w + h, &vm, NULL, NULL, NULL);
                worst_d = harness_max(worst_d, fabs((vp - vm) / (2 * h) - dz) / fmax(1, fabs(dz)) / 1e3);
            }
    CHECK(compared >= 60);
    CHECK(worst < 1e-10);   /* the series itself carries ~1e-12 after 10^5 terms */
    CHECK(worst_d < 1e-8);  /* the differences count 1e3 times less: they are good to ~1e-6 */
    /* where the series gives up (2,000,000 terms) the formula still answers */
    double v, s;
    CHECK_INT(clv__log_hyp2f1(2.7, 1.6, 3.7, 1 - 1e-6, &s, NULL, NULL, NULL, NULL), -1);
    CHECK_INT(clv__log_hyp2f1_near1(2.7, 1.6, 1e-6, &v, NULL, NULL, NULL), 0);
    CHECK(isfinite(v) && v > 0);
    /* an integer b, where the two terms cancel, is left to the series */
    CHECK_INT(clv__log_hyp2f1_near1(2.7, 2.0, 1e-4, &v, NULL, NULL, NULL), -1);
}

