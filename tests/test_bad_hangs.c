/* test_bad_hangs.c - the catalogue of bad inputs that used to hang (issue 11, item 3).
 *
 * Classes covered, each with its exact message and exit status:
 * - the cumulative repeat-purchase curve, quadratic in the span of days,
 *   is now a sum over the first-purchase days only: the same to the bit;
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

