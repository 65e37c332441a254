/* gemm_impl.h - one kernel of gemm.c, in one precision for one instruction
 * set; included by gemm.c once per (precision, variant) with
 *   R     the real type (float, double),
 *   NAME  the kernel's name,
 *   ATTR  its target attribute (empty for the portable variant),
 *   VB    bytes of its vector registers (16, 32, 64),
 *   VFMA  VFMA(c, x, b): c + x * b with one rounding, in every lane of the
 *         vectors c and b (x a scalar),
 *   MR    rows per register block.
 * Each lane of a vector is one element of C with its own sequence of
 * roundings, so the width changes the speed, never the bits. */

#define VL ((size_t)(VB / sizeof(R)))
#define NB (2 * VL)     /* columns per block: two vectors */
#define KC ((size_t)128) /* depth of one packed panel of B */

#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define VEC CAT(NAME, vec)
#define BLOCK CAT(NAME, block)

typedef R VEC __attribute__((vector_size(VB)));

/* rows i .. i+rows-1 of one block of nb columns (nv vectors, nb <= nv VL)
 * over one panel of kc rows of B, whose row k is the vectors at b + k * bs;
 * the sums go on from what C holds after the previous panel (a stored R is
 * exactly the running sum).  rows and nv are constants where it is called,
 * so the loops over them are unrolled into registers. */
ATTR static inline __attribute__((always_inline)) void BLOCK(size_t rows, size_t nv, size_t i, size_t j, size_t nb,
                                                             size_t k0, size_t kc, const R *A, size_t ars,
                                                             size_t acs, const R *b, size_t bs, R *C, size_t crs,
                                                             size_t ccs)
{
    VEC c[MR][2];
    for (size_t r = 0; r < rows; r++) {
        for (size_t v = 0; v < nv; v++)
            c[r][v] = (VEC){0};
        if (k0 > 0) {
            const R *src = C + (i + r) * crs + j * ccs;
            if (ccs == 1 && nb == nv * VL) {
                memcpy(c[r], src, nv * sizeof c[r][0]);
            } else {
                R t[2 * VL] __attribute__((aligned(64))) = {0};
                for (size_t q = 0; q < nb; q++)
                    t[q] = src[q * ccs];
                for (size_t v = 0; v < nv; v++)
                    memcpy(&c[r][v], t + v * VL, sizeof c[r][v]);
            }
        }
    }
    const R *a = A + i * ars + k0 * acs;
    for (size_t k = 0; k < kc; k++, a += acs, b += bs) {
        VEC bv[2];
        for (size_t v = 0; v < nv; v++)
            memcpy(&bv[v], b + v * VL, sizeof bv[v]);
        for (size_t r = 0; r < rows; r++) {
            const R x = a[r * ars];
            for (size_t v = 0; v < nv; v++)
                c[r][v] = VFMA(c[r][v], x, bv[v]);
        }
    }
    for (size_t r = 0; r < rows; r++) {
        R *dst = C + (i + r) * crs + j * ccs;
        if (ccs == 1 && nb == nv * VL) { /* a constant size: vector moves */
            memcpy(dst, c[r], nv * sizeof c[r][0]);
        } else { /* through a buffer: the registers themselves stay out of memory */
            R t[2 * VL] __attribute__((aligned(64))) = {0};
            for (size_t v = 0; v < nv; v++)
                memcpy(t + v * VL, &c[r][v], sizeof c[r][v]);
            for (size_t q = 0; q < nb; q++)
                dst[q * ccs] = t[q];
        }
    }
}

/* every row of one block of columns over one panel, nv vectors wide */
ATTR static inline __attribute__((always_inline)) void CAT(NAME, panel)(size_t nv, size_t M, size_t j, size_t nb,
                                                                        size_t k0, size_t kc, const R *A,
                                                                        size_t ars, size_t acs, const R *b,
                                                                        size_t bs, R *C, size_t crs, size_t ccs)
{
    size_t i = 0;
    for (; i + MR <= M; i += MR)
        BLOCK(MR, nv, i, j, nb, k0, kc, A, ars, acs, b, bs, C, crs, ccs);
    /* the last rows as one block (a constant count in each case) */
    switch (M - i) {
#define REST(n)                                                                                                 \
    case n:                                                                                                     \
        BLOCK(n, nv, i, j, nb, k0, kc, A, ars, acs, b, bs, C, crs, ccs);                                       \
        break;
        REST(1) REST(2) REST(3)
#if MR > 4
        REST(4) REST(5)
#endif
#if MR > 6
        REST(6) REST(7)
#endif
#if MR > 8
        REST(8) REST(9) REST(10) REST(11)
#endif
#if MR > 12
#error "MR above 12: add the cases"
#endif
#undef REST
    default:
        break;
    }
}

ATTR static void NAME(size_t M, size_t N, size_t K, const R *A, size_t ars, size_t acs, const R *B, size_t brs,
                      size_t bcs, R *C, size_t crs, size_t ccs)
{
    /* a panel of B: KC rows of one block of columns, zero-padded to NB */
    VEC bp[KC][2];
    if (K == 0) {
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < N; j++)
                C[i * crs + j * ccs] = 0;
        return;
    }
    for (size_t j = 0; j < N; j += NB) {
        const size_t nb = N - j < NB ? N - j : NB;
        for (size_t k0 = 0; k0 < K; k0 += KC) {
            const size_t kc = K - k0 < KC ? K - k0 : KC;
            /* B's own rows where they are whole contiguous blocks, else a
             * packed copy of the panel */
            const R *b = B + k0 * brs + j;
            size_t bs = brs;
            if (bcs != 1 || nb < NB) {
                b = (const R *)bp, bs = NB;
                for (size_t k = 0; k < kc; k++) {
                    R *row = (R *)bp[k];
                    const R *src = B + (k0 + k) * brs + j * bcs;
                    for (size_t q = 0; q < nb; q++)
                        row[q] = src[q * bcs];
                    for (size_t q = nb; q < NB; q++)
                        row[q] = 0;
                }
            }
            if (nb > VL)
                CAT(NAME, panel)(2, M, j, nb, k0, kc, A, ars, acs, b, bs, C, crs, ccs);
            else
                CAT(NAME, panel)(1, M, j, nb, k0, kc, A, ars, acs, b, bs, C, crs, ccs);
        }
    }
}

#undef VL
#undef NB
#undef KC
#undef VEC
#undef BLOCK
#undef CAT
#undef CAT_
