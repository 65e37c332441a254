/* test_rfm_csv.c - rfm.csv's numbers (clv_rfm_write_csv) against the printf path they replace. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clvsim/date.h"
#include "clvsim/txlog.h"
#include "harness.h"

/* the writer's numbers before its own formatter: the shortest of %.15g, %.16g, %.17g that reads back */
static void ref_fmt(char *buf, size_t n, double v)
{
    for (int p = 15; p <= 17; p++) {
        snprintf(buf, n, "%.*g", p, v);
        if (strtod(buf, NULL) == v)
            break;
    }
}

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return *s;
}

/* a value of the kinds the writer meets: cents of every size and sign, counts, sevenths
 * (weeks), the edges of the fast path (1e12, -0) and doubles that are not cents */
static double value(uint64_t *s, int kind)
{
    const uint64_t u = next(s);
    const double sign = (u >> 63) ? -1.0 : 1.0;
    switch (kind % 8) {
    case 0: return (double)(u % 100000) / 100;                       /* small amounts */
    case 1: return sign * (double)(u % 100000000000000ull) / 100;    /* up to 1e12 and beyond */
    case 2: return (double)(u % 1000);                               /* counts */
    case 3: return (double)(u % 5000) / 7;                           /* weeks */
    case 4: return sign * ldexp((double)(u >> 11), -(int)(u % 80));   /* any double */
    case 5: return (double)(u % 100) * ((u >> 8) % 3 ? 1.01 : 0.07);  /* products that miss the cents */
    case 6: {
        static const double edge[] = {0.0, -0.0, 1e12, -1e12, 999999999999.99, 1e12 - 0.01, 1e12 + 0.01,
                                      0.01, -0.01, 0.1, 0.05, 1e-5, 1e15, 123456789012.34, 0.3};
        return edge[u % (sizeof edge / sizeof edge[0])];
    }
    default: return sign * (double)(u % 1000000) / 100 + (double)((u >> 32) % 3) * 1e-9;
    }
}

TEST(test_rfm_csv_numbers)
{
    enum { N = 40000 };
    clv_rfm_table t;
    memset(&t, 0, sizeof t);
    t.n = N;
    t.c = calloc(N, sizeof *t.c);
    t.id = calloc(N, sizeof *t.id);
    char *ref = malloc((size_t)N * 256);
    CHECK(t.c && t.id && ref);
    if (!t.c || !t.id || !ref) {
        free(t.c), free(t.id), free(ref);
        return;
    }
    uint64_t s = 0x9E3779B97F4A7C15ull;
    size_t len = (size_t)sprintf(ref, "id,first_purchase,x,t_x,T,mean_spend,first_spend,x_holdout,spend_holdout\n");
    for (size_t i = 0; i < N; i++) {
        clv_rfm *r = &t.c[i];
        r->first_day = 9862 + (int32_t)(i % 300);
        double *v[7] = {&r->x, &r->t_x, &r->T, &r->mean_spend, &r->first_spend, &r->x_holdout, &r->spend_holdout};
        for (int k = 0; k < 7; k++)
            *v[k] = value(&s, (int)(i + (size_t)k * 3));
        t.id[i] = "c";
        char d[16];
        clv_date_format(r->first_day, d);
        len += (size_t)sprintf(ref + len, "c,%s", d);
        for (int k = 0; k < 7; k++) {
            char b[40];
            ref_fmt(b, sizeof b, *v[k]);
            len += (size_t)sprintf(ref + len, ",%s", b);
        }
        ref[len++] = '\n';
    }
    ref[len] = '\0';
    char *buf = NULL;
    size_t blen = 0;
    FILE *fp = open_memstream(&buf, &blen);
    clv_error err;
    CHECK(fp != NULL);
    if (fp) {
        CHECK_INT(clv_rfm_write_csv(&t, fp, &err), CLV_OK);
        fclose(fp);
        CHECK_INT((long)blen, (long)len);
        CHECK(buf && strcmp(buf, ref) == 0);
        if (buf && strcmp(buf, ref) != 0) {
            size_t k = 0;
            while (buf[k] == ref[k])
                k++;
            while (k > 0 && ref[k - 1] != '\n')
                k--;
            fprintf(stderr, "  first difference at the line: %.120s\n  expected:                    %.120s\n",
                    buf + k, ref + k);
        }
    }
    free(buf);
    free(ref);
    free(t.c);
    free(t.id);
}
