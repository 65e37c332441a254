/* test_gemm.c - the networks' matrix product (src/model/gemm.c) against the
 * naive loop that defines its bits, on every kernel variant this processor
 * runs, for shapes across every block edge and every operand orientation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clvsim/rng.h"
#include "harness.h"
#include "../src/model/gemm.h"

/* the definition in gemm.h, written out: c = fma(A(i,k), B(k,j), c) in
 * the order of k, from c = 0 */
static void naive_f32(size_t M, size_t N, size_t K, const float *A, size_t ars, size_t acs, const float *B,
                      size_t brs, size_t bcs, float *C, size_t crs, size_t ccs)
{
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
            float c = 0;
            for (size_t k = 0; k < K; k++)
                c = fmaf(A[i * ars + k * acs], B[k * brs + j * bcs], c);
            C[i * crs + j * ccs] = c;
        }
}

static void naive_f64(size_t M, size_t N, size_t K, const double *A, size_t ars, size_t acs, const double *B,
                      size_t brs, size_t bcs, double *C, size_t crs, size_t ccs)
{
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
            double c = 0;
            for (size_t k = 0; k < K; k++)
                c = fma(A[i * ars + k * acs], B[k * brs + j * bcs], c);
            C[i * crs + j * ccs] = c;
        }
}

enum { SENTINEL = 0x7f }; /* bytes of untouched memory: 0x7f7f7f7f is a finite float, 0x7f..7f a finite double */

TEST(test_gemm_reference)
{
    /* every edge: 1, a vector (4, 8, 16 lanes) +-1, two vectors (32) +-1,
     * row blocks (4, 6, 12) +-1, panels of 128 rows +-1 */
    static const size_t shapes[][3] = {
        {1, 1, 1},     {1, 1, 0},     {3, 5, 7},     {4, 8, 2},     {5, 9, 129},  {6, 16, 128},
        {7, 17, 127},  {11, 31, 33},  {12, 32, 64},  {13, 33, 65},  {25, 3, 64},  {3, 64, 256},
        {256, 3, 64},  {256, 64, 3},  {64, 25, 300}, {37, 65, 1},   {2, 100, 257}, {100, 2, 31}};
    const size_t n_shapes = sizeof shapes / sizeof shapes[0];
    clv_rng r;
    clv_rng_seed(&r, (clv_stream_key){20261201, CLV_STREAM_USER, 0, 0});
    enum { CAP = 300 * 300 + 64 };
    float *Af = malloc(CAP * sizeof *Af), *Bf = malloc(CAP * sizeof *Bf), *Cf = malloc(2 * CAP * sizeof *Cf),
          *Rf = malloc(2 * CAP * sizeof *Rf);
    double *Ad = malloc(CAP * sizeof *Ad), *Bd = malloc(CAP * sizeof *Bd), *Cd = malloc(2 * CAP * sizeof *Cd),
           *Rd = malloc(2 * CAP * sizeof *Rd);
    if (!Af || !Bf || !Cf || !Rf || !Ad || !Bd || !Cd || !Rd) {
        harness_fail(__FILE__, __LINE__, "out of memory");
        goto done;
    }
    /* high-entropy values of mixed sign and scale, so that the order of
     * the sum and the fusing matter to the last bit */
    for (size_t i = 0; i < CAP; i++) {
        Ad[i] = (2 * clv_rng_uniform(&r) - 1) * exp(3 * (clv_rng_uniform(&r) - 0.5));
        Bd[i] = (2 * clv_rng_uniform(&r) - 1) * exp(3 * (clv_rng_uniform(&r) - 0.5));
        Af[i] = (float)Ad[i], Bf[i] = (float)Bd[i];
    }
    int variants = 0, compared = 0;
    double worst = 0; /* relative error against the product in long double */
    for (int v = 0; v < CLV_GEMM_VARIANTS; v++) {
        if (!clv__gemm_variant_supported(v))
            continue;
        variants++;
        for (size_t s = 0; s < n_shapes; s++) {
            const size_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
            /* orientation bits: A transposed, B transposed, C transposed; C
             * with a padded row stride so that writes outside it show */
            for (int o = 0; o < 8; o++) {
                const int ta = o & 1, tb = o & 2, tc = o & 4;
                const size_t ars = ta ? 1 : K + 1, acs = ta ? M + 2 : 1;
                const size_t brs = tb ? 1 : N + 3, bcs = tb ? K + 1 : 1;
                const size_t crs = tc ? 1 : N + 2, ccs = tc ? M + 1 : 1;
                const size_t csize = tc ? (N - 1) * ccs + M + 1 : (M - 1) * crs + N + 2;
                memset(Cf, SENTINEL, csize * sizeof *Cf), memcpy(Rf, Cf, csize * sizeof *Rf);
                memset(Cd, SENTINEL, csize * sizeof *Cd), memcpy(Rd, Cd, csize * sizeof *Rd);
                clv__gemm_f32_variant(v, M, N, K, Af, ars, acs, Bf, brs, bcs, Cf, crs, ccs);
                naive_f32(M, N, K, Af, ars, acs, Bf, brs, bcs, Rf, crs, ccs);
                clv__gemm_f64_variant(v, M, N, K, Ad, ars, acs, Bd, brs, bcs, Cd, crs, ccs);
                naive_f64(M, N, K, Ad, ars, acs, Bd, brs, bcs, Rd, crs, ccs);
                /* the same bits everywhere, inside C and (untouched) between its rows */
                if (memcmp(Cf, Rf, csize * sizeof *Cf) != 0)
                    harness_fail(__FILE__, __LINE__, "%s f32 %zux%zux%zu orientation %d: not the naive loop's bits",
                                 clv__gemm_variant_names[v], M, N, K, o);
                if (memcmp(Cd, Rd, csize * sizeof *Cd) != 0)
                    harness_fail(__FILE__, __LINE__, "%s f64 %zux%zux%zu orientation %d: not the naive loop's bits",
                                 clv__gemm_variant_names[v], M, N, K, o);
                compared++;
                /* and a matrix product at all: against long double, within
                 * K roundings of the sum of |terms| */
                for (size_t i = 0; i < M; i++)
                    for (size_t j = 0; j < N; j++) {
                        long double e = 0, mag = 0;
                        for (size_t k = 0; k < K; k++) {
                            const long double t = (long double)Ad[i * ars + k * acs] * Bd[k * brs + j * bcs];
                            e += t, mag += fabsl(t);
                        }
                        const double got = Cd[i * crs + j * ccs];
                        const double bound = (double)(K + 1) * 0x1p-52 * (double)mag;
                        worst = harness_max(worst, bound > 0 ? fabs(got - (double)e) / bound : fabs(got));
                    }
            }
        }
    }
    CHECK(variants >= 1);
    CHECK_INT(compared, variants * (int)n_shapes * 8);
    CHECK(worst <= 1);
done:
    free(Af), free(Bf), free(Cf), free(Rf), free(Ad), free(Bd), free(Cd), free(Rd);
}

/* the definition's corners: one rounding per term (a fused multiply-add),
 * NaN and infinities carried, an empty sum +0 */
TEST(test_gemm_special_values)
{
    for (int v = 0; v < CLV_GEMM_VARIANTS; v++) {
        if (!clv__gemm_variant_supported(v))
            continue;
        /* (-1)(1 + 2^-11) + (1 + 2^-12)^2 is exactly 2^-24; a rounded
         * product then a sum would give 0 */
        const float a[2] = {-1.0f, 1.0f + 0x1p-12f}, b[2] = {1.0f + 0x1p-11f, 1.0f + 0x1p-12f};
        float c = -1;
        clv__gemm_f32_variant(v, 1, 1, 2, a, 2, 1, b, 1, 1, &c, 1, 1);
        CHECK(c == 0x1p-24f);
        const double ad[2] = {-1.0, 1.0 + 0x1p-27}, bd[2] = {1.0 + 0x1p-26, 1.0 + 0x1p-27};
        double cd = -1;
        clv__gemm_f64_variant(v, 1, 1, 2, ad, 2, 1, bd, 1, 1, &cd, 1, 1);
        CHECK(cd == 0x1p-54);

        /* a NaN in row 1 of A spoils row 1 of C only; inf * 0 is NaN; an
         * infinity times a finite number stays infinite */
        enum { M = 3, N = 20, K = 5 };
        float A[M * K], B[K * N], C[M * N];
        for (int i = 0; i < M * K; i++)
            A[i] = 0.25f * (float)(i % 7) - 0.5f;
        for (int i = 0; i < K * N; i++)
            B[i] = 0.125f * (float)(i % 5) + 0.25f;
        A[1 * K + 2] = NAN;
        A[2 * K + 0] = INFINITY;
        B[0 * N + 3] = 0;
        clv__gemm_f32_variant(v, M, N, K, A, K, 1, B, N, 1, C, N, 1);
        for (int j = 0; j < N; j++) {
            CHECK(isfinite(C[0 * N + j]));
            CHECK(isnan(C[1 * N + j]));
            CHECK(j == 3 ? isnan(C[2 * N + j]) : isinf(C[2 * N + j]) && C[2 * N + j] > 0);
        }
        /* K = 0: every element is +0 */
        for (int i = 0; i < M * N; i++)
            C[i] = -7;
        clv__gemm_f32_variant(v, M, N, 0, A, K, 1, B, N, 1, C, N, 1);
        for (int i = 0; i < M * N; i++)
            CHECK(C[i] == 0 && !signbit(C[i]));
    }
}
