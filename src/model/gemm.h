/* gemm.h - the matrix product of the networks, with results that depend on
 * nothing but the inputs.  Internal to src/model (and its tests and bench).
 *
 * C = A B with every element computed as the naive loop computes it:
 *
 *     c = 0;  for k = 0 .. K-1:  c = fma(A(i,k), B(k,j), c);
 *
 * in the type's precision: a fused multiply-add (one rounding, exact by
 * IEEE 754's definition) per term, in the order of k, never reordered.  The
 * kernels vectorise across j (independent elements) and block across i,
 * which leaves each element's sequence of roundings as above, so the bits
 * are the same for every kernel variant (portable, AVX2+FMA, AVX-512F;
 * chosen once from the processor), every blocking, thread count and
 * machine.  That is the reason this file exists instead of a BLAS call:
 * OpenBLAS picks its kernel at run time (Haswell, Zen, SkylakeX, ...), and
 * its kernels block, split and fuse differently, so cblas_sgemm's bits
 * depend on the processor and, for some shapes and kernels, on its thread
 * count (make bench measures this kernel beside OpenBLAS's).
 *
 * Layouts are given by strides, so that any operand may be transposed:
 * A(i,k) = A[i * ars + k * acs], B(k,j) = B[k * brs + j * bcs] and
 * C(i,j) = C[i * crs + j * ccs] (a row-major M x K matrix has strides
 * (K, 1), its transpose (1, K)).  C must not overlap A or B.  Never
 * allocates; thread-safe. */
#ifndef CLVSIM_MODEL_GEMM_H
#define CLVSIM_MODEL_GEMM_H

#include <stddef.h>

void clv__gemm_f32(size_t M, size_t N, size_t K, const float *A, size_t ars, size_t acs, const float *B,
                   size_t brs, size_t bcs, float *C, size_t crs, size_t ccs);
void clv__gemm_f64(size_t M, size_t N, size_t K, const double *A, size_t ars, size_t acs, const double *B,
                   size_t brs, size_t bcs, double *C, size_t crs, size_t ccs);

/* The kernel variants, for the tests and the benchmark: names[v] and whether
 * this processor can run variant v ("portable" always can).  clv__gemm_*
 * use the widest variant the processor runs. */
enum { CLV_GEMM_VARIANTS = 3 };
extern const char *const clv__gemm_variant_names[CLV_GEMM_VARIANTS];
int clv__gemm_variant_supported(int v);
void clv__gemm_f32_variant(int v, size_t M, size_t N, size_t K, const float *A, size_t ars, size_t acs,
                           const float *B, size_t brs, size_t bcs, float *C, size_t crs, size_t ccs);
void clv__gemm_f64_variant(int v, size_t M, size_t N, size_t K, const double *A, size_t ars, size_t acs,
                           const double *B, size_t brs, size_t bcs, double *C, size_t crs, size_t ccs);
/* Make clv__gemm_* use variant v from now on (ignored when this processor
 * cannot run it) and return the one used before: for the tests, which run
 * whole computations on every variant and compare the bits, and the
 * benchmark.  Not thread-safe; never called by the library. */
int clv__gemm_use_variant(int v);

#endif
