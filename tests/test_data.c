/* test_data.c - the numbers the scenarios take from the shared real data,
 * recomputed from the files (scenarios/README.md, "The response model"). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clvsim/scenario.h"
#include "harness.h"

/* the first two (or three) quoted or bare comma-separated integer fields of
 * each line after the header, calling fn(ctx, a, b, line text) */
static int each_row(const char *text, void (*fn)(void *ctx, long a, long b, long c, const char *line), void *ctx)
{
    const char *p = strchr(text, '\n');
    int rows = 0;
    while (p && *++p) {
        const char *line = p;
        long v[3] = {0, 0, 0};
        int k = 0;
        const char *q = p;
        while (k < 3 && *q && *q != '\n') {
            while (*q == '"')
                q++;
            char *end;
            v[k++] = strtol(q, &end, 10);
            q = end;
            while (*q && *q != ',' && *q != '\n')
                q++;
            if (*q == ',')
                q++;
        }
        fn(ctx, v[0], v[1], v[2], line);
        rows++;
        p = strchr(p, '\n');
    }
    return rows;
}

enum { MAX_CAMPAIGN = 64 };
typedef struct {
    int type[MAX_CAMPAIGN];        /* 0, 1, 2: Type A, B, C; -1 unknown */
    uint64_t *pairs;               /* campaign << 32 | household */
    size_t n, cap;
} cj;

static void add_type(void *ctx, long id, long b, long c, const char *line)
{
    (void)b, (void)c;
    cj *j = ctx;
    const char *t = strstr(line, "Type ");
    if (id > 0 && id < MAX_CAMPAIGN && t)
        j->type[id] = t[5] - 'A';
}

static void add_pair(void *ctx, long a, long b, long c, const char *line)
{
    (void)c, (void)line;
    cj *j = ctx;
    if (j->n == j->cap) {
        size_t cap = j->cap ? 2 * j->cap : 4096;
        uint64_t *p = realloc(j->pairs, cap * sizeof *p);
        if (!p)
            return; /* the counts then fail */
        j->pairs = p, j->cap = cap;
    }
    j->pairs[j->n++] = (uint64_t)a << 32 | (uint64_t)b;
}

/* coupon_redemptions.csv: household, coupon, campaign */
static void add_redemption(void *ctx, long hh, long upc, long campaign, const char *line)
{
    (void)upc;
    add_pair(ctx, campaign, hh, 0, line);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static size_t unique(uint64_t *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_u64);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || v[i] != v[m - 1])
            v[m++] = v[i];
    return m;
}

/* response.redeem_probability: the share of targeted households that
 * redeemed a coupon of the campaign, pooled over the 27 campaigns */
TEST(test_data_redemption_completejourney)
{
    char *pd = harness_shared_data("completejourney/campaign_descriptions.csv");
    char *pc = harness_shared_data("completejourney/campaigns.csv");
    char *pr = harness_shared_data("completejourney/coupon_redemptions.csv");
    if (!pd || !pc || !pr) {
        free(pd), free(pc), free(pr);
        return;
    }
    char *td = harness_read_file(pd), *tc = harness_read_file(pc), *tr = harness_read_file(pr);
    CHECK(td && tc && tr);
    cj targeted = {0}, redeemed = {0};
    for (int k = 0; k < MAX_CAMPAIGN; k++)
        targeted.type[k] = -1;
    if (td && tc && tr) {
        CHECK_INT(each_row(td, add_type, &targeted), 27);
        CHECK_INT(each_row(tc, add_pair, &targeted), 6589);
        CHECK_INT(each_row(tr, add_redemption, &redeemed), 2102);
        targeted.n = unique(targeted.pairs, targeted.n);
        redeemed.n = unique(redeemed.pairs, redeemed.n);
        /* per type: targeted pairs and those with a redemption of the same campaign */
        size_t n_t[3] = {0, 0, 0}, n_r[3] = {0, 0, 0}, outside = 0;
        for (size_t i = 0; i < targeted.n; i++) {
            const int t = targeted.type[targeted.pairs[i] >> 32];
            CHECK(t >= 0 && t < 3);
            if (t >= 0 && t < 3)
                n_t[t]++;
        }
        for (size_t i = 0; i < redeemed.n; i++) {
            if (!bsearch(&redeemed.pairs[i], targeted.pairs, targeted.n, sizeof *targeted.pairs, cmp_u64)) {
                outside++;
                continue;
            }
            const int t = targeted.type[redeemed.pairs[i] >> 32];
            if (t >= 0 && t < 3)
                n_r[t]++;
        }
        CHECK_INT((long)outside, 0); /* every redeeming household was targeted */
        CHECK_INT((long)(n_t[0] + n_t[1] + n_t[2]), 6589);
        CHECK_INT((long)(n_r[0] + n_r[1] + n_r[2]), 792);
        CHECK_INT((long)n_t[0], 3647);
        CHECK_INT((long)n_r[0], 604);
        CHECK_INT((long)n_t[1], 2368);
        CHECK_INT((long)n_r[1], 154);
        CHECK_INT((long)n_t[2], 574);
        CHECK_INT((long)n_r[2], 34);
        /* the default is the pooled share, rounded to two digits */
        clv_scenario s;
        clv_error err;
        CHECK_INT(clv_scn_defaults(&s, &err), CLV_OK);
        const double pooled = (double)(n_r[0] + n_r[1] + n_r[2]) / (double)(n_t[0] + n_t[1] + n_t[2]);
        CHECK_NEAR(s.response.redeem_probability, pooled, 0.005);
    }
    free(targeted.pairs), free(redeemed.pairs);
    free(td), free(tc), free(tr);
    free(pd), free(pc), free(pr);
}
