/* test_bad_hangs.c - the catalogue of bad inputs that used to hang (issue 11, item 3).
 *
 * Classes covered, each with its exact message and exit status:
 * - a transaction dated far after the rest of the log (9999-12-31): clvsim fit
 *   ends within seconds and warns with the file and line; the date stays
 *   in the summaries and leaves the daily series;
 * - a customer whose first purchase is far before the rest (0001-01-01):
 *   the same, and the customer's repeats leave the series too; the warning
 *   also where a scenario fits its population to such a log; a cohort of
 *   such customers only has an empty series and still fits;
 * - a calibration or holdout end far after the log: refused (status 2);
 * - a log with a line over 1 MiB (/dev/zero, a binary file): refused with
 *   the line (status 2), not read until memory runs out;
 * - SIGINT, SIGTERM and SIGHUP sent to a running command (train-agent, with
 *   its learning curves' temporary file open): it ends within a second with
 *   status 130, 143 or 129 and "clvsim: training cancelled (SIGxxx)", and
 *   leaves no temporary file; a second signal (a forced stop) kills it at
 *   once, also without leaving one; a command blocked reading a log from
 *   a pipe stops as well;
 * - @include of a directory, /dev/null, /dev/zero (through symbolic links:
 *   the path is relative), a FIFO, a file above CLV_SCN_FILE_MAX, an
 *   absolute path, at any depth, and a scenario path that is a directory, a
 *   FIFO or a device: refused with the file and line (status 2), and
 *   clv_scn_load returns CLV_EINPUT instead of exiting or hanging.
 * - the cumulative repeat-purchase curve, quadratic in the span of days,
 *   is now a sum over the first-purchase days only: the same to the bit;
 * - the Pareto/NBD's hypergeometric series near z = 1 (the boundary of no
 *   dropout, where a customer observed for centuries pushes the fit, and
 *   where the UCI Online Retail log's fit lies): the connection formula
 *   and Pfaff's series agree with the Gauss series, and the derivatives
 *   with central differences;
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../src/model/btyd_internal.h"
#include "clvsim/btyd.h"
#include "clvsim/date.h"
#include "clvsim/io.h"
#include "clvsim/scenario.h"
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
    CHECK_INT(harness_rm_rf(dir), 0);
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

/* a cohort that is nothing but customers far before the bulk has no daily
 * series: the fit still succeeds, with an empty curve and no figure of it */
TEST(test_bad_hangs_far_cohort_only)
{
    clv_rfm_table *t = NULL;
    clv_error err;
    CHECK_INT(clv_rfm_read(FIX "/far_early.csv", NULL, clv_date_from_ymd(2000, 1, 1), -1, CLV_UNIT_WEEK, NULL, &t, &err),
              CLV_OK);
    if (t) {
        CHECK_INT(t->n, 1);
        CHECK_INT(t->n_days, 0);
    }
    clv_rfm_free(t);
    char d[] = "/tmp/clvsim-farc-XXXXXX";
    if (!mkdtemp(d))
        return;
    char out[64], path[96];
    snprintf(out, sizeof out, "%s/out", d);
    harness_proc r = harness_run_env(ARGS("fit", FIX "/far_early.csv", "--calibration-end", "2000-01-01", "-o", out),
                                     NULL, 20);
    CHECK_INT(r.status, 0);
    CHECK(r.err && strstr(r.err, "clvsim fit: every customer of the cohort starts far before the bulk of the log: no "
                                 "daily series, no cumulative.{png,svg}\n"));
    harness_proc_free(&r);
    snprintf(path, sizeof path, "%s/cumulative.csv", out);
    char *cum = harness_read_file(path);
    CHECK_STR(cum, "date,actual,BG/NBD,Pareto/NBD\n");
    free(cum);
    snprintf(path, sizeof path, "%s/cumulative.png", out);
    CHECK(access(path, F_OK) != 0);
    CHECK_INT(harness_rm_rf(d), 0);
}

/* the same warning where a scenario fits its population to the log */
TEST(test_bad_hangs_far_date_scenario)
{
    char d[] = "/tmp/clvsim-farscn-XXXXXX";
    char *log = realpath(FIX "/far_late.csv", NULL);
    if (!mkdtemp(d) || !log) {
        free(log);
        return;
    }
    char cfg[128], out[128], text[1024];
    snprintf(cfg, sizeof cfg, "%s/fit.cfg", d);
    snprintf(out, sizeof out, "%s/out", d);
    snprintf(text, sizeof text,
             "population = { source = \"fit\"; customers = 200; };\n"
             "data = { transactions = \"%s\"; calibration_end = \"2023-06-30\"; };\n"
             "calendar = { start = \"2024-01-01\"; horizon_days = 28; };\n", log);
    FILE *fp = fopen(cfg, "w");
    if (fp) {
        fputs(text, fp);
        fclose(fp);
    }
    /* (this small log's BG/NBD fit runs off to the boundary of r, which the
     * scenario's ranges then refuse: the warning comes first, as a hint) */
    harness_proc r = harness_run_env(ARGS("simulate", cfg, "-o", out, "-q"), NULL, 20);
    CHECK_INT(r.status, 2);
    CHECK(r.err && strstr(r.err, "population.bgnbd.r: the population fitted to this log up to 2023-06-30 is refused"));
    char expect[1024];
    snprintf(expect, sizeof expect,
             "clvsim simulate: warning: %s:13: the date 9999-12-31 is far after the bulk of the log's dates (2023-01-09 "
             "to 2023-10-01; far: after 2025-12-31), a typo?  1 customer buys that far after: kept in the customer "
             "summaries and the fits, left out of the daily series (the cumulative curve)\n", log);
    CHECK(r.err && strstr(r.err, expect));
    harness_proc_free(&r);
    free(log);
    CHECK_INT(harness_rm_rf(d), 0);
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


/* a log that is not text (/dev/zero: one endless line) is refused at its
 * first line over 1 MiB, instead of a line buffer growing until memory
 * runs out */
TEST(test_bad_hangs_endless_line)
{
    harness_proc r = harness_run_env(ARGS("fit", "/dev/zero", "--calibration-end", "2023-06-30", "-o",
                                          "/tmp/clvsim-zero-never", "-q"),
                                     NULL, 20);
    CHECK_INT(r.status, 2);
    CHECK_STR(r.err, "clvsim: /dev/zero:1: expected a line of at most 1048576 bytes, got a longer one (is this a "
                     "text file of transactions?)\n");
    harness_proc_free(&r);
    /* exactly at the limit it is a line; one byte more is not */
    char d[] = "/tmp/clvsim-long-XXXXXX";
    if (!mkdtemp(d))
        return;
    for (int extra = 0; extra < 2; extra++) {
        char path[64], out[64];
        snprintf(path, sizeof path, "%s/log%d.csv", d, extra);
        snprintf(out, sizeof out, "%s/out%d", d, extra);
        FILE *fp = fopen(path, "w");
        if (!fp)
            continue;
        fputs("c1,2023-01-02,10", fp);
        for (int i = 16; i < (1 << 20) + extra; i++)
            fputc(' ', fp);
        fputs("\nc1,2023-02-03,11\nc2,2023-01-05,7\n", fp);
        fclose(fp);
        r = harness_run_env(ARGS("fit", path, "--calibration-end", "2023-06-30", "--model", "bgnbd", "-o", out, "-q"),
                            NULL, 20);
        CHECK_INT(r.status, extra ? 2 : 0);
        if (extra) {
            char expect[256];
            snprintf(expect, sizeof expect, "clvsim: %s:1: expected a line of at most 1048576 bytes, got a longer one "
                     "(is this a text file of transactions?)\n", path);
            CHECK_STR(r.err, expect);
        }
        harness_proc_free(&r);
    }
    CHECK_INT(harness_rm_rf(d), 0);
}

/* ---- stop signals ---- */

/* 1 when dir holds a file whose name starts with prefix */
/* 1 when dir, or a run's staging directory in it (.clvsim-run.*, where a
 * run writes its files until it commits them), has an entry named prefix... */
static int dir_has(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    int found = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL && !found;) {
        found = strncmp(e->d_name, prefix, strlen(prefix)) == 0;
        if (!found && strncmp(e->d_name, CLV_OUTPUT_STAGE, strlen(CLV_OUTPUT_STAGE)) == 0) {
            char sub[1024];
            snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
            found = dir_has(sub, prefix);
        }
    }
    if (d)
        closedir(d);
    return found;
}

/* Start clvsim train-agent, long enough to be stopped in the middle, with
 * its output in dir; once its learning curves are being written (the
 * temporary .learning.csv.tmp.* exists) send sig1 and, when sig2 is not 0,
 * sig2 at once after it.  Returns the wait status; *latency is the time
 * from the signal to the exit (the process is killed, and a failure
 * reported, when it has not ended 10 s after the signal); *err gets stderr. */
static int stop_run(const char *dir, int sig1, int sig2, double *latency, char **err)
{
    const char *bin = getenv("CLVSIM_BIN");
    *latency = 99;
    *err = NULL;
    if (!bin) {
        harness_fail(__FILE__, __LINE__, "CLVSIM_BIN is not set");
        return -1;
    }
    char errpath[256];
    snprintf(errpath, sizeof errpath, "%s.stderr", dir);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        /* the signals' default dispositions, whatever the runner's shell set */
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        int in = open("/dev/null", O_RDONLY), out = open("/dev/null", O_WRONLY);
        int fe = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(in, 0), dup2(out, 1), dup2(fe, 2);
        /* (BTYD's LTV estimates: no network to train first, so the stop lands in the agents' training) */
        execl(bin, bin, "train-agent", "scenarios/holiday.cfg", "--set", "agent.episodes=5000", "--set",
              "ltv.model=\"btyd\"", "-o", dir, "-q", (char *)NULL);
        _exit(127);
    }
    int ws = 0;
    const double t0 = harness_now();
    while (!dir_has(dir, ".learning.csv.tmp.") && harness_now() - t0 < 60 && waitpid(pid, &ws, WNOHANG) == 0)
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    CHECK(dir_has(dir, ".learning.csv.tmp."));
    nanosleep(&(struct timespec){0, 200000000}, NULL); /* into the training */
    const double ts = harness_now();
    kill(pid, sig1);
    if (sig2)
        kill(pid, sig2);
    pid_t w;
    while ((w = waitpid(pid, &ws, WNOHANG)) == 0 && harness_now() - ts < 10)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    *latency = harness_now() - ts;
    if (w == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &ws, 0);
        harness_fail(__FILE__, __LINE__, "clvsim train-agent did not end within 10 s of signal %d", sig1);
    }
    *err = harness_read_file(errpath);
    free(harness_split_warnings(*err));
    unlink(errpath);
    return ws;
}

TEST(test_bad_hangs_stop_signals)
{
    static const struct {
        int sig, status;
        const char *name;
    } cases[] = {{SIGINT, 130, "SIGINT"}, {SIGTERM, 143, "SIGTERM"}, {SIGHUP, 129, "SIGHUP"}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char dir[] = "/tmp/clvsim-stop-XXXXXX";
        if (!mkdtemp(dir))
            continue;
        char out[64], *err;
        snprintf(out, sizeof out, "%s/out", dir);
        double latency;
        int ws = stop_run(out, cases[k].sig, 0, &latency, &err);
        /* a clean stop: the documented status, within the promised second */
        CHECK(WIFEXITED(ws));
        CHECK_INT(WIFEXITED(ws) ? WEXITSTATUS(ws) : -1, cases[k].status);
        if (!(latency < 1.0))
            harness_fail(__FILE__, __LINE__, "%s: %.3f s from the signal to the exit, expected < 1 s", cases[k].name,
                         latency);
        char expect[256];
        snprintf(expect, sizeof expect, "clvsim: training cancelled; no results were written to %s (%s)\n", out,
                 cases[k].name);
        CHECK_STR(err, expect);
        free(err);
        /* no temporary file, and no half-written learning curves */
        CHECK(!dir_has(out, ".learning.csv.tmp."));
        CHECK(!dir_has(out, "learning.csv"));
        CHECK_INT(harness_rm_rf(dir), 0);
    }
}

/* a second signal is a forced stop: the process dies by it at once, and
 * still leaves no temporary file (two different signals, since a second
 * SIGTERM sent while the first is pending would merge with it) */
TEST(test_bad_hangs_forced_stop)
{
    char dir[] = "/tmp/clvsim-force-XXXXXX";
    if (!mkdtemp(dir))
        return;
    char out[64], *err;
    snprintf(out, sizeof out, "%s/out", dir);
    double latency;
    int ws = stop_run(out, SIGTERM, SIGHUP, &latency, &err);
    CHECK(WIFSIGNALED(ws));
    CHECK(WIFSIGNALED(ws) && (WTERMSIG(ws) == SIGTERM || WTERMSIG(ws) == SIGHUP));
    CHECK(latency < 1.0);
    /* no temporary file and no staging directory with the run's files in
     * it (the run had staged its resolved scenario) */
    CHECK(!dir_has(out, ".learning.csv.tmp."));
    CHECK(!dir_has(out, CLV_OUTPUT_STAGE));
    CHECK(dir_has(out, CLV_OUTPUT_MARKER)); /* the directory was claimed */
    free(err);
    CHECK_INT(harness_rm_rf(dir), 0);
}

/* a command blocked reading a log from a pipe stops too (no SA_RESTART;
 * the read's error ends the reading instead of a second, blocking read) */
TEST(test_bad_hangs_stop_blocked_read)
{
    char d[] = "/tmp/clvsim-pipe-XXXXXX";
    if (!mkdtemp(d))
        return;
    char fifo[64], out[64];
    snprintf(fifo, sizeof fifo, "%s/log", d);
    snprintf(out, sizeof out, "%s/out", d);
    CHECK_INT(mkfifo(fifo, 0644), 0);
    fflush(stdout);
    pid_t writer = fork();
    if (writer == 0) {
        /* a few rows, then the pipe stays open and empty */
        FILE *fp = fopen(fifo, "w");
        if (fp) {
            fputs("c1,2023-01-02,10\nc1,2023-02-03,12\nc2,2023-01-05,7\n", fp);
            fflush(fp);
        }
        sleep(30);
        _exit(0);
    }
    const char *bin = getenv("CLVSIM_BIN");
    char errpath[80];
    snprintf(errpath, sizeof errpath, "%s/stderr", d);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGTERM, SIG_DFL);
        int in = open("/dev/null", O_RDONLY), fe = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(in, 0), dup2(in, 1), dup2(fe, 2);
        execl(bin, bin, "fit", fifo, "--calibration-end", "2023-06-30", "-o", out, "-q", (char *)NULL);
        _exit(127);
    }
    nanosleep(&(struct timespec){0, 500000000}, NULL); /* reading, then blocked */
    int ws = 0;
    CHECK_INT(waitpid(pid, &ws, WNOHANG), 0);        /* still waiting for the rest of the log */
    const double ts = harness_now();
    kill(pid, SIGTERM);
    pid_t w;
    while ((w = waitpid(pid, &ws, WNOHANG)) == 0 && harness_now() - ts < 10)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    const double latency = harness_now() - ts;
    if (w == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &ws, 0);
    }
    kill(writer, SIGKILL);
    waitpid(writer, NULL, 0);
    CHECK(latency < 1.0);
    CHECK_INT(WIFEXITED(ws) ? WEXITSTATUS(ws) : -1, 143);
    char *err = harness_read_file(errpath), expect[256];
    snprintf(expect, sizeof expect, "clvsim: %s: cannot read the transaction log: Interrupted system call (SIGTERM)\n",
             fifo);
    CHECK_STR(err, expect);
    free(err);
    CHECK(access(out, F_OK) != 0); /* nothing written */
    CHECK_INT(harness_rm_rf(d), 0);
}

/* ---- @include of what is not a scenario file ---- */

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    if (fp) {
        fputs(text, fp);
        fclose(fp);
    }
}

/* clvsim check path: status 2 and exactly msg; and clv_scn_load in this
 * process returns CLV_EINPUT with the same message (an alarm ends the
 * suite, as a failure, if it hangs) */
static void refused(const char *path, const char *msg)
{
    harness_proc r = harness_run_env(ARGS("check", path), NULL, 10);
    CHECK_INT(r.status, 2);
    char expect[1024];
    snprintf(expect, sizeof expect, "clvsim: %s\n", msg);
    CHECK_STR(r.err, expect);
    harness_proc_free(&r);
    clv_scenario scn;
    clv_error err;
    alarm(20);
    int st = clv_scn_load(path, NULL, 0, &scn, &err);
    alarm(0);
    CHECK_INT(st, CLV_EINPUT);
    char buf[2048];
    CHECK_STR(clv_error_format(&err, buf, sizeof buf), msg);
}

TEST(test_bad_hangs_include_not_a_file)
{
    char d[] = "/tmp/clvsim-inc-XXXXXX";
    if (!mkdtemp(d))
        return;
    char p[256], q[256], m[1024];
    snprintf(p, sizeof p, "%s/adir", d);
    CHECK_INT(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/fifo", d);
    CHECK_INT(mkfifo(p, 0644), 0);
    snprintf(p, sizeof p, "%s/null", d);
    CHECK_INT(symlink("/dev/null", p), 0);
    snprintf(p, sizeof p, "%s/zero", d);
    CHECK_INT(symlink("/dev/zero", p), 0);
    static const struct {
        const char *name, *kind;
    } incs[] = {{"adir", "a directory"}, {"null", "a character device"}, {"zero", "a character device"},
                {"fifo", "a FIFO (named pipe)"}};
    for (size_t k = 0; k < sizeof incs / sizeof *incs; k++) {
        char text[128];
        snprintf(p, sizeof p, "%s/m_%s.cfg", d, incs[k].name);
        snprintf(text, sizeof text, "scenario = { name = \"x\"; };\n@include \"%s\"\n", incs[k].name);
        write_text(p, text);
        snprintf(m, sizeof m, "%s:2: @include \"%s\": %s/%s is %s; expected a scenario file (a regular file)", p,
                 incs[k].name, d, incs[k].name, incs[k].kind);
        refused(p, m);
    }
    /* nested: the check follows every @include, and names the inner file's line */
    snprintf(p, sizeof p, "%s/inner.cfg", d);
    write_text(p, "# a fragment\n@include \"fifo\"\n");
    snprintf(q, sizeof q, "%s/m_nested.cfg", d);
    write_text(q, "scenario = { name = \"x\"; };\n\n@include \"inner.cfg\"\n");
    snprintf(m, sizeof m, "%s:2: @include \"fifo\": %s/fifo is a FIFO (named pipe); expected a scenario file (a regular "
             "file)", p, d);
    refused(q, m);
    /* an absolute path (libconfig 1.5 would look for it under the scenario's directory) */
    snprintf(p, sizeof p, "%s/m_abs.cfg", d);
    write_text(p, "scenario = { name = \"x\"; };\n@include \"/dev/zero\"\n");
    snprintf(m, sizeof m, "%s:2: @include \"/dev/zero\": an absolute path; libconfig 1.5 takes every @include path "
             "relative to the directory of the main scenario file (%s)", p, d);
    refused(p, m);
    /* too large a fragment */
    snprintf(p, sizeof p, "%s/big.cfg", d);
    FILE *fp = fopen(p, "w");
    char line[65];
    memset(line, '.', 63);
    line[0] = '#', line[63] = '\n', line[64] = '\0'; /* 64 bytes */
    for (int i = 0; fp && i < CLV_SCN_FILE_MAX / 64 + 1; i++)
        fputs(line, fp);
    if (fp)
        fclose(fp);
    snprintf(q, sizeof q, "%s/m_big.cfg", d);
    write_text(q, "@include \"big.cfg\"\n");
    snprintf(m, sizeof m, "%s:1: @include \"big.cfg\": %s is %d bytes; a scenario file may have at most %d bytes", q, p,
             CLV_SCN_FILE_MAX + 64, CLV_SCN_FILE_MAX);
    refused(q, m);
    /* the scenario path itself */
    snprintf(p, sizeof p, "%s/adir", d);
    snprintf(m, sizeof m, "%s: is a directory; expected a scenario file (a regular file)", p);
    refused(p, m);
    snprintf(p, sizeof p, "%s/fifo", d);
    snprintf(m, sizeof m, "%s: is a FIFO (named pipe); expected a scenario file (a regular file)", p);
    refused(p, m);
    refused("/dev/zero", "/dev/zero: is a character device; expected a scenario file (a regular file)");
    refused("/dev/null", "/dev/null: is a character device; expected a scenario file (a regular file)");
    CHECK_INT(harness_rm_rf(d), 0);
}
