/* fuzz_response.c - libFuzzer harness of the experiment reader and the
 * estimators of the response to contact (clv_experiment_read,
 * clv_response_estimate, the study's state map and block).
 *
 * The input is an experiment file, read as it is (which may be gzip, told
 * by its magic bytes) and gzip-compressed by the harness (so that the
 * fuzzer's CSVs also go through zlib's inflate), with the columns arm,
 * bought, spend and covariates a, b; then estimated without a map and with
 * a mapped as recency-days (whose model may fail, as documented).
 *
 * Promises checked:
 * - no crash, hang, memory error, leak or undefined behaviour;
 * - a failure is one of the documented statuses, with a message (naming
 *   the file for an input error);
 * - an experiment read passes clv_experiment_check; the estimates are
 *   consistent: customers add up to the rows, rates and their Wilson
 *   bounds lie in [0, 1] around the estimate, a defined interval holds
 *   its estimate, Q and its p-value are NaN or in range, a model's factors
 *   are finite and positive. */
#include "fuzz.h"

#include <math.h>
#include <zlib.h>

#include "clvsim/response.h"
#include "clvsim/response_study.h"

static char path[4200], gz_path[4200];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_init();
    fuzz_path(path, sizeof path, "experiment.csv");
    fuzz_path(gz_path, sizeof gz_path, "experiment.csv.gz");
    return 0;
}

/* est in [lo, hi] when the interval is defined */
static void check_est(clv_estimate x, const char *what)
{
    if (isnan(x.lo) || isnan(x.hi))
        return;
    const double tol = 1e-12 * fabs(x.est) + 1e-300;
    FUZZ_CHECK(!isnan(x.est) && x.lo <= x.est + tol && x.est <= x.hi + tol, "%s: %g outside [%g, %g]", what, x.est,
               x.lo, x.hi);
}

static void check_response(const clv_experiment *e, const clv_response *r)
{
    long total = 0;
    for (int a = 0; a < r->n_arms; a++) {
        const clv_response_arm *x = &r->arm[a];
        total += x->n;
        FUZZ_CHECK(x->n >= 1 && x->buyers >= 0 && x->buyers <= x->n, "arm %d: %ld buyers of %ld", a, x->buyers, x->n);
        FUZZ_CHECK(x->rate.lo >= 0 && x->rate.hi <= 1 && x->rate.lo <= x->rate.est && x->rate.est <= x->rate.hi,
                   "arm %d: rate %g [%g, %g]", a, x->rate.est, x->rate.lo, x->rate.hi);
        check_est(x->spend, "spend per customer");
        check_est(x->spend_buyer, "spend per buyer");
    }
    FUZZ_CHECK(total == (long)e->n, "arms hold %ld customers of %zu", total, e->n);
    for (int k = 0; k < r->n_effects; k++) {
        const clv_response_effect *f = &r->effect[k];
        check_est(f->rate_diff, "rate difference");
        check_est(f->rate_ratio, "rate ratio");
        check_est(f->spend_diff, "spend difference");
        check_est(f->buyer_diff, "spend per buyer difference");
        FUZZ_CHECK(isnan(f->rate_p) || (f->rate_p >= 0 && f->rate_p <= 1), "rate p %g", f->rate_p);
        FUZZ_CHECK(isnan(f->spend_p) || (f->spend_p >= 0 && f->spend_p <= 1), "spend p %g", f->spend_p);
    }
    for (int h = 0; h < r->n_het; h++) {
        const clv_response_het *x = &r->het[h];
        FUZZ_CHECK(isnan(x->q) ? x->df == 0 || isnan(x->p) : x->q >= -1e-9 && x->p >= 0 && x->p <= 1,
                   "Q %g on %d df, p %g", x->q, x->df, x->p);
        for (int l = 0; l < e->n_levels[x->cov]; l++)
            check_est(x->level[l].ratio, "level ratio");
    }
    for (int k = 0; k < r->n_models; k++)
        for (int t = 0; t < r->model[k].n_terms; t++) {
            const clv_response_term *tm = &r->model[k].term[t];
            FUZZ_CHECK(isfinite(tm->coef) && isfinite(tm->se) && tm->se >= 0 && tm->factor.est > 0,
                       "model term %d: %g (se %g)", t, tm->coef, tm->se);
        }
}

static void read_one(const char *p)
{
    static const char *const cov[] = {"a", "b"};
    const clv_experiment_opts o = {"arm", "c", "bought", "spend", 2, cov};
    clv_experiment *e = NULL;
    clv_error err;
    int st = clv_experiment_read(p, &o, NULL, &e, &err);
    if (st != CLV_OK) {
        fuzz_check_error(st, &err, p);
        FUZZ_CHECK(st == CLV_EINPUT || st == CLV_EIO || st == CLV_ENOMEM, "status %d reading: %s", st, err.msg);
        FUZZ_CHECK(!e, "an experiment with an error");
        return;
    }
    FUZZ_CHECK(clv_experiment_check(e, &err) == CLV_OK, "an experiment read fails its check: %s", err.msg);
    const clv_response_map maps[2][2] = {{{CLV_MAP_NONE, 0}, {CLV_MAP_NONE, 0}},
                                         {{CLV_MAP_RECENCY_DAYS, 0}, {CLV_MAP_NONE, 0}}};
    for (int m = 0; m < 2; m++) {
        clv_response_opts ro;
        clv_response_opts_default(&ro);
        ro.map = maps[m];
        clv_response r;
        st = clv_response_estimate(e, &ro, &r, &err);
        if (st == CLV_OK)
            check_response(e, &r);
        else
            FUZZ_CHECK((st == CLV_EINPUT || st == CLV_ENUMERIC || st == CLV_ENOMEM) && err.msg[0],
                       "status %d estimating: %s", st, err.msg);
        clv_response_free(&r);
    }
    clv_experiment_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_write(path, data, size);
    read_one(path);
    gzFile g = gzopen(gz_path, "wb1");
    FUZZ_CHECK(g, "gzopen");
    FUZZ_CHECK(size == 0 || gzwrite(g, data, (unsigned)size) == (int)size, "gzwrite");
    FUZZ_CHECK(gzclose(g) == Z_OK, "gzclose");
    read_one(gz_path);
    return 0;
}
