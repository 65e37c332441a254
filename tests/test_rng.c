/* test_rng.c - keyed streams: published reference outputs, determinism,
 * statistical sanity, the GSL adapter and independence of the thread count. */
#include <stdint.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_statistics_double.h>

#include "clvsim/error.h"
#include "clvsim/parallel.h"
#include "clvsim/rng.h"
#include "harness.h"

/* splitmix64 from state 0: the published first outputs (Vigna's reference
 * implementation), which also seed the generator from a key */
TEST(test_rng_splitmix64_reference)
{
    uint64_t x = 0;
    CHECK(clv_splitmix64(&x) == 0xe220a8397b1dcdafULL);
    CHECK(clv_splitmix64(&x) == 0x6e789e6aa1b965f4ULL);
    CHECK(clv_splitmix64(&x) == 0x06c45d188009454fULL);
}

/* xoshiro256** from the state {1, 2, 3, 4}: the first outputs follow by hand
 * from the definition (rotl(5 * s1, 7) * 9 = rotl(10, 7) * 9 = 11520, then
 * s1 becomes 0); the 1000th was computed with an independent Python
 * implementation of the published algorithm. */
TEST(test_rng_xoshiro_reference)
{
    clv_rng r = {{1, 2, 3, 4}};
    CHECK(clv_rng_next(&r) == 11520ULL);
    CHECK(clv_rng_next(&r) == 0ULL);
    CHECK(clv_rng_next(&r) == 1509978240ULL);
    CHECK(clv_rng_next(&r) == 1215971899390074240ULL);
    for (int i = 4; i < 999; i++)
        clv_rng_next(&r);
    CHECK(clv_rng_next(&r) == 3475037357188383021ULL);
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

TEST(test_rng_stream_keys)
{
    clv_stream_key k = {.seed = 20261123, .purpose = CLV_STREAM_BEHAVIOUR, .replication = 3, .block = 17};
    clv_rng a, b;
    clv_rng_seed(&a, k);
    clv_rng_seed(&b, k);
    int same = 1;
    for (int i = 0; i < 1000; i++)
        same &= clv_rng_next(&a) == clv_rng_next(&b);
    CHECK(same);

    /* changing any one component changes the stream; swapping
     * replication and block does too */
    clv_stream_key variants[] = {
        {20261124, CLV_STREAM_BEHAVIOUR, 3, 17}, {20261123, CLV_STREAM_POPULATION, 3, 17},
        {20261123, CLV_STREAM_BEHAVIOUR, 4, 17}, {20261123, CLV_STREAM_BEHAVIOUR, 3, 18},
        {20261123, CLV_STREAM_BEHAVIOUR, 17, 3}};
    clv_rng_seed(&a, k);
    uint64_t first = clv_rng_next(&a);
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        clv_rng_seed(&b, variants[v]);
        CHECK(clv_rng_next(&b) != first);
        CHECK(clv_stream_hash(variants[v]) != clv_stream_hash(k));
    }
    /* all 64 bits of the seed matter: seeds that differ only above bit 32 */
    clv_stream_key lo = {5, 1, 0, 0}, hi = {5 + (1ULL << 40), 1, 0, 0};
    CHECK(clv_stream_hash(lo) != clv_stream_hash(hi));
    /* no collisions among 200,000 neighbouring keys (blocks of one stream
     * family): a collision would make two customer blocks identical */
    size_t n = 200000;
    uint64_t *h = malloc(n * sizeof *h);
    for (size_t i = 0; i < n; i++)
        h[i] = clv_stream_hash((clv_stream_key){1, CLV_STREAM_BEHAVIOUR, i % 100, i / 100});
    qsort(h, n, sizeof *h, cmp_u64);
    size_t dup = 0;
    for (size_t i = 1; i < n; i++)
        dup += h[i] == h[i - 1];
    CHECK_INT(dup, 0);
    free(h);
}

/* uniform draws: chi-square over 100 bins against its 99.99% quantile, the
 * mean within 5 standard errors, (0,1) never 0; and the correlation between
 * the streams of neighbouring blocks within 5 standard errors of 0 */
TEST(test_rng_uniform_statistics)
{
    enum { N = 1000000, BINS = 100 };
    clv_rng r, s;
    clv_rng_seed(&r, (clv_stream_key){42, CLV_STREAM_USER, 0, 0});
    clv_rng_seed(&s, (clv_stream_key){42, CLV_STREAM_USER, 0, 1});
    static double x[N], y[N];
    long counts[BINS] = {0};
    int zero = 0;
    for (int i = 0; i < N; i++) {
        x[i] = clv_rng_uniform(&r);
        y[i] = clv_rng_uniform_pos(&s);
        zero |= y[i] <= 0.0 || y[i] >= 1.0 || x[i] < 0.0 || x[i] >= 1.0;
        counts[(int)(x[i] * BINS)]++;
    }
    CHECK(!zero);
    double chi2 = 0, e = (double)N / BINS;
    for (int b = 0; b < BINS; b++)
        chi2 += (counts[b] - e) * (counts[b] - e) / e;
    CHECK(chi2 < gsl_cdf_chisq_Pinv(0.9999, BINS - 1));
    CHECK_NEAR(gsl_stats_mean(x, 1, N), 0.5, 5 * sqrt(1.0 / 12 / N));
    CHECK_NEAR(gsl_stats_correlation(x, 1, y, 1, N), 0.0, 5 / sqrt((double)N));
}

/* the GSL adapter: gsl_ran_* draw from the same stream as clv_rng_next,
 * gsl_rng_uniform_int works with the 64-bit range, and a gamma variate
 * has the right mean */
TEST(test_rng_gsl_adapter)
{
    clv_stream_key k = {7, CLV_STREAM_POPULATION, 1, 2};
    gsl_rng *g = clv_gsl_rng_alloc(k);
    CHECK(g != NULL);
    CHECK_STR(gsl_rng_name(g), "clv-xoshiro256**");
    clv_rng ref;
    clv_rng_seed(&ref, k);
    CHECK(gsl_rng_get(g) == clv_rng_next(&ref));
    CHECK(clv_rng_next(clv_rng_gsl(g)) == clv_rng_next(&ref));
    CHECK(gsl_rng_uniform(g) == clv_rng_uniform(&ref));

    enum { N = 200000 };
    long counts[10] = {0};
    for (int i = 0; i < N; i++)
        counts[gsl_rng_uniform_int(g, 10)]++;
    double chi2 = 0;
    for (int b = 0; b < 10; b++)
        chi2 += (counts[b] - N / 10.0) * (counts[b] - N / 10.0) / (N / 10.0);
    CHECK(chi2 < gsl_cdf_chisq_Pinv(0.9999, 9));

    /* Gamma(shape 2.385, scale 1.7): mean 4.0545, variance 6.89265 */
    double sum = 0;
    for (int i = 0; i < N; i++)
        sum += gsl_ran_gamma(g, 2.385, 1.7);
    CHECK_NEAR(sum / N, 2.385 * 1.7, 5 * sqrt(2.385 * 1.7 * 1.7 / N));

    /* reseeding restarts the stream */
    clv_gsl_rng_seed(g, k);
    clv_rng_seed(&ref, k);
    CHECK(gsl_rng_get(g) == clv_rng_next(&ref));
    /* a generator of another type is not mistaken for a clvsim stream */
    gsl_rng *mt = gsl_rng_alloc(gsl_rng_mt19937);
    CHECK(clv_rng_gsl(mt) == NULL);
    gsl_rng_free(mt);
    gsl_rng_free(g);
}

/* ---- thread count ---- */

typedef struct {
    double *out;          /* one slot per unit */
    int fail_from;        /* units >= this fail (for the error test) */
} mc_ctx;

/* a unit: 20,000 draws of a Monte Carlo sum from the unit's own stream */
static int mc_unit(size_t unit, int worker, void *ctx)
{
    (void)worker;
    mc_ctx *c = ctx;
    if ((int)unit >= c->fail_from)
        return (int)unit % 2 ? CLV_ENUMERIC : CLV_EIO;
    clv_rng r;
    clv_rng_seed(&r, (clv_stream_key){99, CLV_STREAM_BEHAVIOUR, 0, unit});
    double s = 0;
    for (int i = 0; i < 20000; i++)
        s += -log(clv_rng_uniform_pos(&r));
    c->out[unit] = s;
    return CLV_OK;
}

TEST(test_rng_thread_count_independence)
{
    enum { UNITS = 97 };
    double ref[UNITS], got[UNITS];
    mc_ctx c = {ref, 1 << 30};
    CHECK_INT(clv_parallel_for(1, UNITS, mc_unit, &c), CLV_OK);
    int threads[] = {2, 3, 8, 0};
    for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++) {
        memset(got, 0, sizeof got);
        c.out = got;
        CHECK_INT(clv_parallel_for(threads[t], UNITS, mc_unit, &c), CLV_OK);
        CHECK(memcmp(ref, got, sizeof ref) == 0);
    }
    /* the reduction in unit order is then bit-identical too, and the sum is
     * the mean of exponential variates: 20000 per unit */
    double total = 0;
    for (int u = 0; u < UNITS; u++)
        total += ref[u];
    CHECK_NEAR(total / (UNITS * 20000.0), 1.0, 5 / sqrt(UNITS * 20000.0));

    /* errors: the status of the smallest failing unit, whatever the threads */
    c.out = got;
    c.fail_from = 40;
    for (int t = 1; t <= 4; t++)
        CHECK_INT(clv_parallel_for(t, UNITS, mc_unit, &c), CLV_EIO); /* unit 40 is even: EIO */
    c.fail_from = 41;
    CHECK_INT(clv_parallel_for(2, UNITS, mc_unit, &c), CLV_ENUMERIC);
    CHECK_INT(clv_threads_resolve(3), 3);
    CHECK(clv_threads_resolve(0) >= 1);
    CHECK_INT(clv_threads_resolve(100000), CLV_THREADS_MAX);
}
