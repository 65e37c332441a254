/* bench_main.c - clvsim benchmarks (make bench).  Figures are ratios measured
 * side by side in one run: this machine is shared, absolute times drift. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "clvsim/clvsim.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* the result is printed so the compiler cannot drop the loops */
static volatile double sink;

enum { DRAWS = 20000000, REPS = 5 };

static double time_gsl(const gsl_rng_type *t)
{
    gsl_rng *g = gsl_rng_alloc(t);
    gsl_rng_set(g, 12345);
    double best = 1e30;
    for (int rep = 0; rep < REPS; rep++) {
        double s = 0, t0 = now();
        for (int i = 0; i < DRAWS; i++)
            s += gsl_rng_uniform(g);
        double dt = now() - t0;
        sink += s;
        best = dt < best ? dt : best;
    }
    gsl_rng_free(g);
    return best / DRAWS * 1e9;
}

static double time_inline(void)
{
    clv_rng r;
    clv_rng_seed(&r, (clv_stream_key){12345, CLV_STREAM_USER, 0, 0});
    double best = 1e30;
    for (int rep = 0; rep < REPS; rep++) {
        double s = 0, t0 = now();
        for (int i = 0; i < DRAWS; i++)
            s += clv_rng_uniform(&r);
        double dt = now() - t0;
        sink += s;
        best = dt < best ? dt : best;
    }
    return best / DRAWS * 1e9;
}

/* a unit of the parallel benchmark: exponential draws from its own stream */
typedef struct {
    double out[256];
} par_ctx;

static int par_unit(size_t unit, int worker, void *ctx)
{
    (void)worker;
    clv_rng r;
    clv_rng_seed(&r, (clv_stream_key){1, CLV_STREAM_USER, 0, unit});
    double s = 0;
    for (int i = 0; i < 400000; i++)
        s += -log(clv_rng_uniform_pos(&r));
    ((par_ctx *)ctx)->out[unit] = s;
    return CLV_OK;
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    gsl_set_error_handler_off();
    printf("clvsim %s benchmarks\n\n", clv_version());

    printf("uniform draws, ns per draw (best of %d runs of %d draws)\n", REPS, DRAWS);
    double mt = time_gsl(gsl_rng_mt19937);
    double taus = time_gsl(gsl_rng_taus2);
    double xo_gsl = time_gsl(clv_gsl_rng_xoshiro256ss);
    double xo = time_inline();
    printf("  %-36s %6.2f ns   1.00x\n", "GSL mt19937 (gsl_rng_uniform)", mt);
    printf("  %-36s %6.2f ns  %5.2fx\n", "GSL taus2 (gsl_rng_uniform)", taus, mt / taus);
    printf("  %-36s %6.2f ns  %5.2fx\n", "clvsim xoshiro256** (gsl_rng_uniform)", xo_gsl, mt / xo_gsl);
    printf("  %-36s %6.2f ns  %5.2fx\n", "clvsim xoshiro256** (inline)", xo, mt / xo);

    printf("\nclv_parallel_for: 256 units of 400,000 exponential draws\n");
    static par_ctx a, b;
    double t1 = now();
    clv_parallel_for(1, 256, par_unit, &a);
    t1 = now() - t1;
    double t2 = now();
    clv_parallel_for(2, 256, par_unit, &b);
    t2 = now() - t2;
    printf("  1 thread %.3f s, 2 threads %.3f s: speed-up %.2fx; results identical: %s\n", t1, t2, t1 / t2,
           memcmp(a.out, b.out, sizeof a.out) == 0 ? "yes" : "NO");
    printf("\n(checksum %g)\n", sink);
    return memcmp(a.out, b.out, sizeof a.out) == 0 ? 0 : 1;
}
