/* gemm.c - the networks' matrix product: the same bits on every processor, for any blocking or thread count. */
#include "gemm.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

/* Variant 0 is plain x86-64: each lane through libm's fmaf/fma (correctly
 * rounded by definition: the processor's FMA instruction where it has one,
 * else glibc's exact software fallback, slower).  Variant 1 is AVX2 with
 * FMA3, variant 2 AVX-512F, through their fused multiply-add instructions.
 * The sums are written as explicit fused operations, never as a * b + c,
 * so the compiler cannot choose differently in different variants (the
 * build has -ffp-contract=off anyway). */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_VARIANTS 1
#else
#define HAVE_VARIANTS 0
#endif

/* the portable lanes, through libm */
#define LANES_FMA(c, x, b, fn)                                                 \
    __extension__({                                                            \
        __typeof__(c) c_ = (c), b_ = (b);                                      \
        for (size_t q_ = 0; q_ < sizeof c_ / sizeof c_[0]; q_++)               \
            c_[q_] = fn((x), b_[q_], c_[q_]);                                  \
        c_;                                                                    \
    })

#define R float
#define ATTR
#define VB 16
#define MR 4
#define VFMA(c, x, b) LANES_FMA(c, x, b, fmaf)
#define NAME kernel_f32_portable
#include "gemm_impl.h"
#undef NAME
#undef VFMA
#undef ATTR
#undef VB
#undef MR
#if HAVE_VARIANTS
#define ATTR __attribute__((target("avx2,fma")))
#define VB 32
#define MR 6
#define VFMA(c, x, b) ((__typeof__(c))_mm256_fmadd_ps(_mm256_set1_ps(x), (__m256)(b), (__m256)(c)))
#define NAME kernel_f32_avx2
#include "gemm_impl.h"
#undef NAME
#undef VFMA
#undef ATTR
#undef VB
#undef MR
#define ATTR __attribute__((target("avx512f")))
#define VB 64
#define MR 12
#define VFMA(c, x, b) ((__typeof__(c))_mm512_fmadd_ps(_mm512_set1_ps(x), (__m512)(b), (__m512)(c)))
#define NAME kernel_f32_avx512
#include "gemm_impl.h"
#undef NAME
#undef VFMA
#undef ATTR
#undef VB
#undef MR
#endif
#undef R

#define R double
#define ATTR
#define VB 16
#define MR 4
#define VFMA(c, x, b) LANES_FMA(c, x, b, fma)
#define NAME kernel_f64_portable
#include "gemm_impl.h"
#undef NAME
#undef VFMA
#undef ATTR
#undef VB
#undef MR
#if HAVE_VARIANTS
#define ATTR __attribute__((target("avx2,fma")))
#define VB 32
#define MR 6
#define VFMA(c, x, b) ((__typeof__(c))_mm256_fmadd_pd(_mm256_set1_pd(x), (__m256d)(b), (__m256d)(c)))
#define NAME kernel_f64_avx2
#include "gemm_impl.h"
#undef NAME
#undef VFMA
#undef ATTR
#undef VB
#undef MR
#define ATTR __attribute__((target("avx512f")))
#define VB 64
#define MR 12
#define VFMA(c, x, b) ((__typeof__(c))_mm512_fmadd_pd(_mm512_set1_pd(x), (__m512d)(b), (__m512d)(c)))
#define NAME kernel_f64_avx512
#include "gemm_impl.h"
#undef NAME
#undef VFMA
#undef ATTR
#undef VB
#undef MR
#endif
#undef R

typedef void (*kernel_f32)(size_t, size_t, size_t, const float *, size_t, size_t, const float *, size_t, size_t,
                           float *, size_t, size_t);
typedef void (*kernel_f64)(size_t, size_t, size_t, const double *, size_t, size_t, const double *, size_t, size_t,
                           double *, size_t, size_t);

#if HAVE_VARIANTS
static const kernel_f32 kernels_f32[CLV_GEMM_VARIANTS] = {kernel_f32_portable, kernel_f32_avx2, kernel_f32_avx512};
static const kernel_f64 kernels_f64[CLV_GEMM_VARIANTS] = {kernel_f64_portable, kernel_f64_avx2, kernel_f64_avx512};
#else
static const kernel_f32 kernels_f32[CLV_GEMM_VARIANTS] = {kernel_f32_portable, kernel_f32_portable,
                                                          kernel_f32_portable};
static const kernel_f64 kernels_f64[CLV_GEMM_VARIANTS] = {kernel_f64_portable, kernel_f64_portable,
                                                          kernel_f64_portable};
#endif

const char *const clv__gemm_variant_names[CLV_GEMM_VARIANTS] = {"portable (libm fma)", "AVX2+FMA", "AVX-512F"};

int clv__gemm_variant_supported(int v)
{
    if (v == 0)
        return 1;
#if HAVE_VARIANTS
    __builtin_cpu_init();
    if (v == 1)
        return __builtin_cpu_supports("avx2") != 0 && __builtin_cpu_supports("fma") != 0;
    if (v == 2)
        return __builtin_cpu_supports("avx512f") != 0;
#endif
    return 0;
}

/* the widest variant this processor runs, chosen once */
static pthread_once_t choose_once = PTHREAD_ONCE_INIT;
static int chosen;
static void choose(void)
{
    for (int v = CLV_GEMM_VARIANTS - 1; v > 0 && !chosen; v--)
        if (clv__gemm_variant_supported(v))
            chosen = v;
}

static int variant(void)
{
    pthread_once(&choose_once, choose);
    return chosen;
}

void clv__gemm_f32_variant(int v, size_t M, size_t N, size_t K, const float *A, size_t ars, size_t acs,
                           const float *B, size_t brs, size_t bcs, float *C, size_t crs, size_t ccs)
{
    kernels_f32[v](M, N, K, A, ars, acs, B, brs, bcs, C, crs, ccs);
}

void clv__gemm_f64_variant(int v, size_t M, size_t N, size_t K, const double *A, size_t ars, size_t acs,
                           const double *B, size_t brs, size_t bcs, double *C, size_t crs, size_t ccs)
{
    kernels_f64[v](M, N, K, A, ars, acs, B, brs, bcs, C, crs, ccs);
}

int clv__gemm_use_variant(int v)
{
    const int before = variant();
    if (v >= 0 && v < CLV_GEMM_VARIANTS && clv__gemm_variant_supported(v))
        chosen = v;
    return before;
}

void clv__gemm_f32(size_t M, size_t N, size_t K, const float *A, size_t ars, size_t acs, const float *B,
                   size_t brs, size_t bcs, float *C, size_t crs, size_t ccs)
{
    kernels_f32[variant()](M, N, K, A, ars, acs, B, brs, bcs, C, crs, ccs);
}

void clv__gemm_f64(size_t M, size_t N, size_t K, const double *A, size_t ars, size_t acs, const double *B,
                   size_t brs, size_t bcs, double *C, size_t crs, size_t ccs)
{
    kernels_f64[variant()](M, N, K, A, ars, acs, B, brs, bcs, C, crs, ccs);
}
