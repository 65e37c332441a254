/* bench_main.c - clvsim benchmarks (make bench).  Figures are ratios measured
 * side by side in one run: this machine is shared, absolute times drift. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "clvsim/clvsim.h"
#include "../src/model/btyd_internal.h"
#include "../src/model/gemm.h"
#include "../tests/worlds/known_worlds.h"

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

/* the CDNOW master file's columns and periods (README, the worked example) */
static void cdnow_setup(clv_txlog_opts *ro, int32_t *cal, int32_t *hold)
{
    clv_txlog_opts_default(ro);
    ro->quantity_column = 3;
    ro->amount_column = 4;
    clv_date_parse("1997-09-30", -1, cal);
    clv_date_parse("1998-06-30", -1, hold);
}

/* issue target: reading, summarising and fitting BG/NBD, Pareto/NBD and
 * Gamma-Gamma on the full CDNOW master file in under 0.5 s on this machine */
/* rfm.csv of the CDNOW master file, new against old (below) */
static void bench_rfm_csv(const clv_rfm_table *tab);
static void bench_pnbd_pairs(const clv_rfm_table *t);
static double median5(double *v);
static void bench_rollout(void);

static void bench_fit(void)
{
    const char *path = "../shared/data/CDNOW_master.txt";
    printf("\nfit: read + summarise + BG/NBD + Pareto/NBD + Gamma-Gamma on %s (best of 5)\n", path);
    FILE *probe = fopen(path, "r");
    if (!probe) {
        printf("  skipped: %s not found (the shared data beside the repository)\n", path);
        return;
    }
    fclose(probe);
    clv_txlog_opts ro;
    int32_t cal, hold;
    cdnow_setup(&ro, &cal, &hold);
    {
        clv_rfm_table *tab = NULL;
        clv_error err;
        if (clv_rfm_read(path, &ro, cal, hold, CLV_UNIT_WEEK, NULL, &tab, &err) == CLV_OK) {
            bench_rfm_csv(tab);
            bench_pnbd_pairs(tab);
        }
        clv_rfm_free(tab);
    }
    for (int threads = 1; threads <= 2; threads++) {
        double best[5] = {1e30, 1e30, 1e30, 1e30, 1e30};
        for (int rep = 0; rep < 5; rep++) {
            double t[5];
            clv_rfm_table *tab = NULL;
            clv_error err;
            clv_fit_opts fo;
            clv_fit_opts_default(&fo);
            fo.threads = threads;
            clv_fit_result r;
            t[0] = now();
            if (clv_rfm_read(path, &ro, cal, hold, CLV_UNIT_WEEK, NULL, &tab, &err) != CLV_OK) {
                printf("  read failed: %s\n", err.msg);
                return;
            }
            t[1] = now();
            clv_bgnbd_fit(tab->c, tab->n, &fo, &r, &err);
            t[2] = now();
            clv_pnbd_fit(tab->c, tab->n, &fo, &r, &err);
            t[3] = now();
            clv_gg_fit(tab->c, tab->n, &fo, &r, &err);
            t[4] = now();
            clv_rfm_free(tab);
            double parts[5] = {t[1] - t[0], t[2] - t[1], t[3] - t[2], t[4] - t[3], t[4] - t[0]};
            for (int k = 0; k < 5; k++)
                best[k] = parts[k] < best[k] ? parts[k] : best[k];
        }
        printf("  %d thread%s: read+summary %6.1f ms, BG/NBD %6.1f ms, Pareto/NBD %6.1f ms, Gamma-Gamma %6.1f ms; "
               "total %6.1f ms (target 500)\n",
               threads, threads > 1 ? "s" : " ", 1e3 * best[0], 1e3 * best[1], 1e3 * best[2], 1e3 * best[3],
               1e3 * best[4]);
    }
}

/* The Pareto/NBD likelihood's series at the distinct (x, time) pairs of the CDNOW master file
 * (clv__pnbd_ll's pairs, in their order of x, at the README's fit, with derivatives), each pair
 * by clv__log_hyp2f1 (the reference) and by clv__log_hyp2f1_tab with the table shared by the
 * pairs of one x, as the likelihood now sums them; median of 5, and the bits compared */
static void bench_pnbd_pairs(const clv_rfm_table *t)
{
    clv__cohort h;
    clv_error err;
    if (clv__cohort_build(t->c, t->n, 0, 0, &h, &err) != CLV_OK)
        return;
    const double r = 0.59742, al = 11.5857, s = 0.522186, be = 8.82778;
    double *out = malloc(2 * 5 * h.n_pairs * sizeof *out);
    static clv__hyp2f1_tab tab;
    double tr[5], tt[5];
    int same = out != NULL;
    for (int rep = 0; rep < 5 && out; rep++) {
        for (int m = 0; m < 2; m++) {
            double *o = out + (size_t)m * 5 * h.n_pairs;
            tab.a = NAN;
            const double t0 = now();
            for (size_t j = 0; j < h.n_pairs; j++) {
                const double a = r + s + h.pair_x[j], z = (al - be) / (al + h.times[h.pair_t[j]]);
                double *v = o + 5 * j;
                if (m == 0)
                    clv__log_hyp2f1(a, s + 1, a + 1, z, &v[0], &v[1], &v[2], &v[3], &v[4]);
                else
                    clv__log_hyp2f1_tab(&tab, a, s + 1, a + 1, z, &v[0], &v[1], &v[2], &v[3], &v[4]);
            }
            (m == 0 ? tr : tt)[rep] = now() - t0;
        }
        same = same && memcmp(out, out + 5 * h.n_pairs, 5 * h.n_pairs * sizeof *out) == 0;
    }
    if (out) {
        const double mr = median5(tr), mt = median5(tt);
        printf("  Pareto/NBD likelihood's series at %zu (x, time) pairs, one thread: %.2f ms per evaluation with the "
               "table of one x against %.2f ms a pair at a time (reference), %.2fx; %s bits\n",
               h.n_pairs, 1e3 * mt, 1e3 * mr, mr / mt, same ? "the same" : "DIFFERENT");
    }
    free(out);
    clv__cohort_free(&h);
}

/* issue 16: the BTYD predictions without the term-by-term Gauss series,
 * side by side with that series (clv__bgnbd_expected_series, the reference
 * kept) in one run, as ratios; the median of 5 timings of each */
static double median5(double *v)
{
    for (int i = 1; i < 5; i++)
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            double t = v[j];
            v[j] = v[j - 1], v[j - 1] = t;
        }
    return v[2];
}

/* rfm.csv as clv_rfm_write_csv wrote it before its own formatter: the shortest of %.15g, %.16g,
 * %.17g that reads back, by printf (the ids of CDNOW need no quoting) */
static void rfm_csv_printf(const clv_rfm_table *t, FILE *fp)
{
    fputs("id,first_purchase,x,t_x,T,mean_spend,first_spend,x_holdout,spend_holdout\n", fp);
    for (size_t i = 0; i < t->n; i++) {
        const clv_rfm *r = &t->c[i];
        const double v[7] = {r->x, r->t_x, r->T, r->mean_spend, r->first_spend, r->x_holdout, r->spend_holdout};
        char d[11], b[7][32];
        for (int k = 0; k < 7; k++)
            for (int p = 15; p <= 17; p++) {
                snprintf(b[k], sizeof b[k], "%.*g", p, v[k]);
                if (strtod(b[k], NULL) == v[k])
                    break;
            }
        fprintf(fp, "%s,%s,%s,%s,%s,%s,%s,%s,%s\n", t->id[i], clv_date_format(r->first_day, d), b[0], b[1], b[2],
                b[3], b[4], b[5], b[6]);
    }
}

/* rfm.csv of the CDNOW master file (clvsim fit's), new against the printf path, median of 5 */
static void bench_rfm_csv(const clv_rfm_table *tab)
{
    double tn[5], to[5];
    char *bn = NULL, *bo = NULL;
    size_t ln = 0, lo = 0;
    for (int rep = 0; rep < 5; rep++) {
        FILE *fn = open_memstream(&bn, &ln), *fo = open_memstream(&bo, &lo);
        clv_error err;
        if (!fn || !fo)
            return;
        double t0 = now();
        clv_rfm_write_csv(tab, fn, &err);
        double t1 = now();
        rfm_csv_printf(tab, fo);
        fflush(fo);
        double t2 = now();
        fclose(fn);
        fclose(fo);
        tn[rep] = t1 - t0, to[rep] = t2 - t1;
        if (rep < 4)
            free(bn), free(bo), bn = bo = NULL;
    }
    const int same = bn && bo && ln == lo && memcmp(bn, bo, ln) == 0;
    const double mn = median5(tn), mo = median5(to);
    printf("  rfm.csv (%zu customers, %zu bytes): %6.1f ms against %6.1f ms by printf (old), %5.2fx; %s bytes\n",
           tab->n, ln, 1e3 * mn, 1e3 * mo, mo / mn, same ? "the same" : "DIFFERENT");
    free(bn);
    free(bo);
}


/* old: the CLV's horizons as single calls of the Gauss series (BG/NBD) or of clv_pnbd_expected
 * (Pareto/NBD, its P(alive) at every horizon), as clv_btyd_clv summed them before */
static double clv_old(const clv_btyd *m, const clv_rfm *c, int periods)
{
    double value = 0, prev = 0, disc = 1;
    for (int k = 1; k <= periods; k++) {
        double cum = m->model == CLV_MODEL_BGNBD ? clv__bgnbd_expected_series(&m->bgnbd, k, c->x, c->t_x, c->T)
                                                  : clv_pnbd_expected(&m->pareto, k, c->x, c->t_x, c->T);
        disc /= 1 + 0.002;
        value += (cum - prev) * disc;
        prev = cum;
    }
    return value;
}

static void bench_btyd_region(const char *what, const clv_bgnbd_params *p, const clv_rfm *c, size_t n, double t)
{
    double to[5], tn[5], so = 0, sn = 0, worst = 0;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now();
        for (size_t i = 0; i < n; i++)
            so += clv__bgnbd_expected_series(p, t, c[i].x, c[i].t_x, c[i].T);
        double t1 = now();
        for (size_t i = 0; i < n; i++)
            sn += clv_bgnbd_expected(p, t, c[i].x, c[i].t_x, c[i].T);
        double t2 = now();
        to[rep] = t1 - t0, tn[rep] = t2 - t1;
    }
    for (size_t i = 0; i < n; i++) {
        const double o = clv__bgnbd_expected_series(p, t, c[i].x, c[i].t_x, c[i].T);
        const double v = clv_bgnbd_expected(p, t, c[i].x, c[i].t_x, c[i].T);
        const double e = fabs(v - o) / fabs(o);
        worst = isfinite(o) && e > worst ? e : worst;
    }
    const double mo = median5(to), mn = median5(tn);
    printf("  %-44s %8.3f us %8.3f us  %7.1fx  (largest difference %.1e%s)\n", what, 1e6 * mo / n, 1e6 * mn / n,
           mo / mn, worst, isfinite(so) ? "" : "; the series failed on some");
    (void)sn;
}

static void bench_btyd(void)
{
    printf("\nbtyd: E[Y(t) | x, t_x, T] per call, the Gauss series term by term (old) against the new path "
           "(median of 5)\n");
    printf("  %-44s %11s %11s %8s\n", "region", "old", "new", "ratio");
    /* the CDNOW fit (README) and customers: from the master file when it is there, else a grid */
    const clv_bgnbd_params cd = {0.251624, 4.78894, 0.723434, 2.16109};
    const clv_pnbd_params pn = {0.59742, 11.5857, 0.522186, 8.82778};
    enum { NG = 4000 };
    static clv_rfm grid[NG];
    clv_rfm_table *tab = NULL;
    clv_txlog_opts ro;
    int32_t cal, hold;
    cdnow_setup(&ro, &cal, &hold);
    clv_error err;
    if (clv_rfm_read("../shared/data/CDNOW_master.txt", &ro, cal, hold, CLV_UNIT_WEEK, NULL, &tab, &err) != CLV_OK)
        tab = NULL;
    for (size_t i = 0; i < NG; i++) {
        const double x = (double)(i % 40), T = 1 + (double)(i % 97) * 0.4;
        grid[i] = (clv_rfm){.x = x, .T = T, .t_x = x > 0 ? T * 0.8 : 0, .mean_spend = 20};
    }
    const clv_rfm *cust = tab ? tab->c : grid;
    const size_t nc = tab ? tab->n : NG;
    printf("  (customers: %s, %zu)\n", tab ? "the CDNOW master file's" : "a grid", nc);
    bench_btyd_region("CDNOW customers, t = 39 weeks", &cd, cust, nc, 39);
    bench_btyd_region("CDNOW customers, t = 1 year", &cd, cust, nc, 52);
    /* near z = 1: alpha small, horizons long against alpha + T */
    const clv_bgnbd_params near = {0.25, 0.05, 0.6, 2.0};
    bench_btyd_region("near z = 1 (alpha 0.05, t = 150: z ~ 0.99)", &near, grid, NG / 4, 150);
    bench_btyd_region("near z = 1 (alpha 0.05, t = 1500: z ~ 0.999)", &near, grid, NG / 8, 1500);
    /* the UCI Online Retail fit: a and b at the boundary */
    const clv_bgnbd_params uci = {0.744426, 9.04805, 3.62351e-05, 4530.05};
    bench_btyd_region("boundary (UCI fit: a 3.6e-5, b 4530), t = 23", &uci, grid, NG, 23.14);
    const clv_bgnbd_params many = {12, 30, 0.9, 3.1};
    bench_btyd_region("large r (12), t = 52", &many, grid, NG, 52);

    /* the CLV's 52 horizons of every customer, and the table of customers.csv */
    printf("\nbtyd: CLV over 52 weeks of every customer (customers.csv), old (52 single calls) against the "
           "new horizons and distinct records (median of 5)\n");
    for (int model = 0; model < 2; model++) {
        clv_btyd m = {.model = model, .bgnbd = cd, .pareto = pn, .spend = {6.25, 3.74, 15.44}};
        double to[5], tn[5], tt[5], so = 0, sn = 0, worst = 0;
        double *dp = malloc(nc * sizeof *dp);
        for (int rep = 0; rep < 5; rep++) {
            double t0 = now();
            for (size_t i = 0; i < nc; i++)
                so += clv_old(&m, &cust[i], 52);
            double t1 = now();
            for (size_t i = 0; i < nc; i++)
                sn += clv_btyd_clv(&m, &cust[i], 52, 1.0, 1.0, 0.002);
            double t2 = now();
            clv_btyd_predict(&m, cust, nc, 39, 52, 1.0, 0.002, 1, NULL, NULL, NULL, dp, &err);
            double t3 = now();
            to[rep] = t1 - t0, tn[rep] = t2 - t1, tt[rep] = t3 - t2;
        }
        for (size_t i = 0; i < nc; i++) {
            const double o = clv_old(&m, &cust[i], 52), e = fabs(dp[i] - o) / fabs(o);
            worst = e > worst ? e : worst;
        }
        free(dp);
        const double mo = median5(to), mn = median5(tn), mt = median5(tt);
        printf("  %-10s old %7.1f ms; per customer %7.1f ms (%5.1fx); by distinct record %7.1f ms (%6.1fx); "
               "largest difference %.1e\n",
               model ? "Pareto/NBD" : "BG/NBD", 1e3 * mo, 1e3 * mn, mo / mn, 1e3 * mt, mo / mt, worst);
        (void)so, (void)sn;
    }
    clv_rfm_free(tab);

    /* the BTYD features of clv_ltv_features (value and P(alive) of a customer at an epoch):
     * clv_btyd_value_of and clv_btyd_palive_of as two calls (old) against the one call that shares
     * the denominator (new), with holiday.cfg's BG/NBD population over a grid of customers */
    clv_scenario scn;
    if (clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err) != CLV_OK) {
        printf("\nbtyd features: skipped (%s)\n", err.msg);
        return;
    }
    clv_btyd_value v;
    clv_btyd_value_init(&v, &scn);
    enum { NO = 13 * 100 };
    static clv_sim_obs ob[NO];
    for (int i = 0; i < NO; i++) {
        clv_sim_obs *o = &ob[i];
        memset(o, 0, sizeof *o);
        o->purchases = i % 13, o->age_days = 7 * (i / 13) + 3, o->recency_days = (7 * (i / 13) + 3) * (i % 5) / 5;
        o->today = 20000, o->first_spend = 12.5, o->total_spend = 12.5 + 31.25 * (o->purchases > 1 ? o->purchases - 1 : 0);
    }
    double to[5], tn[5], so = 0, sn = 0;
    long same = 0;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now();
        for (int i = 0; i < NO; i++)
            so += clv_btyd_value_of(&v, &ob[i]) + clv_btyd_palive_of(&v, &ob[i]);
        double t1 = now();
        for (int i = 0; i < NO; i++) {
            double a, b;
            clv__btyd_value_palive_of(&v, NULL, &ob[i], &a, &b);
            sn += a + b;
        }
        double t2 = now();
        to[rep] = t1 - t0, tn[rep] = t2 - t1;
    }
    for (int i = 0; i < NO; i++) {
        double a, b;
        clv__btyd_value_palive_of(&v, NULL, &ob[i], &a, &b);
        same += a == clv_btyd_value_of(&v, &ob[i]) && b == clv_btyd_palive_of(&v, &ob[i]);
    }
    const double mo = median5(to), mn = median5(tn);
    printf("\nbtyd features: value and P(alive) per customer-epoch (holiday.cfg, %d customers, median of 5)\n"
           "  old (two calls) %.3g /s, new (one call) %.3g /s: %.2fx; %s\n",
           NO, NO / mo, NO / mn, mo / mn, same == NO ? "the same bits" : "DIFFERENT RESULTS");
    (void)so, (void)sn;

    /* the memo of the BG/NBD's series by (x, T) (clv__alive_memo), as the agents' features use it:
     * the observations of every customer at every epoch of holiday.cfg's world without a campaign
     * (10,000 customers and the arrivals, 22 epochs), in epoch order, with a fresh memo per
     * repetition, against the same calls without it */
    clv_sim *sim = NULL;
    clv_sim_opts so_;
    clv_sim_opts_default(&so_);
    if (clv_sim_alloc(&scn, &so_, &sim, &err) != CLV_OK || clv_sim_reset(sim, 1, 0, &err) != CLV_OK) {
        printf("  memo: skipped (%s)\n", err.msg);
        clv_sim_free(sim);
        return;
    }
    const size_t cap = clv_sim_capacity(sim);
    size_t nobs = 0, room = cap * (size_t)(scn.calendar.horizon_days / scn.calendar.epoch_days + 2);
    clv_sim_obs *all = malloc(room * sizeof *all);
    int ok = all != NULL;
    while (ok) {
        const size_t n = clv_sim_customers(sim);
        ok = nobs + n <= room && clv_sim_observe(sim, 0, n, all + nobs, &err) == CLV_OK;
        nobs += ok ? n : 0;
        if (!ok || clv_sim_done(sim) || clv_sim_step(sim, NULL, NULL, &err) != CLV_OK)
            break;
    }
    clv_sim_free(sim);
    double tm[5], tp[5], hits = 0;
    long msame = 0;
    for (int rep = 0; ok && rep < 5; rep++) {
        clv__alive_memo *memo = clv__alive_memo_new();
        if (!memo) {
            ok = 0;
            break;
        }
        double t0 = now();
        for (size_t i = 0; i < nobs; i++) {
            double a, b;
            clv__btyd_value_palive_of(&v, NULL, &all[i], &a, &b);
            sn += a + b;
        }
        double t1 = now();
        for (size_t i = 0; i < nobs; i++) {
            double a, b;
            clv__btyd_value_palive_of(&v, memo, &all[i], &a, &b);
            sn += a + b;
        }
        double t2 = now();
        tp[rep] = t1 - t0, tm[rep] = t2 - t1;
        hits = (double)memo->hits / (double)memo->calls;
        clv__alive_memo_free(memo);
    }
    clv__alive_memo *check = ok ? clv__alive_memo_new() : NULL;
    for (size_t i = 0; check && i < nobs; i++) {
        double a, b, c, d;
        clv__btyd_value_palive_of(&v, NULL, &all[i], &a, &b);
        clv__btyd_value_palive_of(&v, check, &all[i], &c, &d);
        msame += memcmp(&a, &c, sizeof a) == 0 && memcmp(&b, &d, sizeof b) == 0;
    }
    clv__alive_memo_free(check);
    if (ok) {
        const double mp = median5(tp), mm = median5(tm);
        printf("  with the memo of the series by (x, T), over a simulated world's %zu customer-epochs (median of 5): "
               "without %.3g /s, with %.3g /s: %.2fx, %.0f%% of the calls from the memo; %s\n",
               nobs, (double)nobs / mp, (double)nobs / mm, mp / mm, 100 * hits,
               (size_t)msame == nobs ? "the same bits" : "DIFFERENT RESULTS");
    } else
        printf("  memo: skipped (%s)\n", all ? err.msg : "out of memory");
    free(all);
}

/* The clairvoyant's rollouts, one thread: holiday.cfg's world without
 * budgets (10,000 customers) 4 epochs in, each of 4 rows (no campaign, the
 * first coupon then none, the first coupon held, the price above list held)
 * from a relucked copy to the horizon's end, by clv_sim_copy and clv_sim_step
 * (the reference, as the clairvoyant rolled out before) against
 * clv_sim_rollout customer by customer, best of 3, side by side. */
static void bench_rollout(void)
{
    clv_scenario scn;
    clv_error err;
    memset(&err, 0, sizeof err);
    if (clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err) != CLV_OK) {
        printf("\nrollouts: skipped (%s)\n", err.msg);
        return;
    }
    scn.interventions.budget_per_epoch = scn.interventions.budget_total = -1;
    clv_world *w = NULL;
    clv_sim *s = NULL, *lk = NULL, *r = NULL;
    clv_sim_rollout_ws *ws = NULL;
    int ok = clv_world_alloc(&scn, NULL, &w, &err) == CLV_OK && clv_sim_alloc_in(w, NULL, &s, &err) == CLV_OK &&
             clv_sim_alloc_in(w, NULL, &lk, &err) == CLV_OK && clv_sim_alloc_in(w, NULL, &r, &err) == CLV_OK &&
             (ws = clv_sim_rollout_ws_alloc(w, &err)) != NULL && clv_sim_set_reward(r, CLV_SIM_REWARD_EXPECTED, &err) == 0 &&
             clv_sim_reset(s, 3, 0, &err) == CLV_OK;
    for (int e = 0; ok && e < 4; e++)
        ok = clv_sim_step(s, NULL, NULL, &err) == CLV_OK;
    ok = ok && clv_sim_copy(lk, s, &err) == CLV_OK && clv_sim_reluck(lk, 0, &err) == CLV_OK;
    const size_t cap = w ? clv_world_capacity(w) : 0, n = ok ? clv_sim_customers(s) : 0;
    clv_action *act = malloc(cap * sizeof *act);
    double *m = malloc(cap * sizeof *m), *sum = malloc(cap * sizeof *sum);
    float *v = malloc(cap * sizeof *v), *vr = malloc(cap * sizeof *vr);
    ok = ok && act && m && sum && v && vr;
    const int list = ok ? clv_sim_list_price(s) : 0, epochs = ok ? clv_sim_epochs(s) - clv_sim_epoch(s) : 0;
    const clv_action xs[4] = {{0, (uint8_t)list}, {1, (uint8_t)list}, {1, (uint8_t)list}, {0, (uint8_t)(list + 1)}};
    const int holds[4] = {0, 0, 1, 1};
    double tref = 1e30, tnew = 1e30;
    size_t same = 0;
    for (int rep = 0; ok && rep < 3; rep++) {
        double t0 = now();
        same = 0;
        for (int q = 0; ok && q < 4; q++) {
            ok = clv_sim_copy(r, lk, &err) == CLV_OK;
            for (size_t i = 0; i < n; i++)
                sum[i] = 0;
            for (int first = 1; ok && !clv_sim_done(r); first = 0) {
                const size_t nr = clv_sim_customers(r);
                for (size_t i = 0; i < nr; i++)
                    act[i] = i < n ? xs[q] : (clv_action){0, (uint8_t)list};
                ok = clv_sim_step(r, first || holds[q] ? act : NULL, m, &err) == CLV_OK;
                for (size_t i = 0; i < n; i++)
                    sum[i] += m[i];
            }
            for (size_t i = 0; i < n; i++)
                vr[i] = (float)sum[i];
            /* the check (outside the timing) */
            const double t1 = now();
            ok = ok && clv_sim_rollout(ws, lk, xs[q], holds[q], n, v, NULL, &err) == CLV_OK;
            for (size_t i = 0; ok && i < n; i++)
                same += memcmp(&v[i], &vr[i], sizeof v[i]) == 0;
            t0 += now() - t1;
        }
        const double dt = now() - t0;
        tref = dt < tref ? dt : tref;
        t0 = now();
        for (int q = 0; ok && q < 4; q++)
            ok = clv_sim_rollout(ws, lk, xs[q], holds[q], n, v, NULL, &err) == CLV_OK;
        const double dn = now() - t0;
        tnew = dn < tnew ? dn : tnew;
    }
    if (ok) {
        const double ce = 4.0 * (double)n * epochs;
        printf("\nrollouts of the clairvoyant, one thread: %zu customers x %d epochs x 4 rows (none, coupon then none, "
               "coupon held, price up held), best of 3\n"
               "  copy and step (reference) %.3f s (%.3g customer-epochs/s); clv_sim_rollout %.3f s (%.3g /s): %.2fx; "
               "%zu of %.0f values the same float\n",
               n, epochs, tref, ce / tref, tnew, ce / tnew, tref / tnew, same, 4.0 * (double)n);
    } else
        printf("\nrollouts: failed (%s)\n", err.msg);
    free(act), free(m), free(sum), free(v), free(vr);
    clv_sim_rollout_ws_free(ws);
    clv_sim_free(s), clv_sim_free(lk), clv_sim_free(r);
    clv_world_free(w);
}

/* issue target: customer-days per second of the environment for 1,000,000
 * customers over 365 days with weekly decisions (no campaign), on 1 and 2
 * threads, at least 20x a vectorised numpy version of the same process
 * (bench/numpy_reference.py, run here beside it) and at least 1.8x from 1 to
 * 2 threads; memory under 200 bytes per customer plus the bounded history */
static void bench_sim(void)
{
    enum { N = 1000000, DAYS = 365 };
    printf("\nsimulation: %d customers x %d days, weekly epochs, BG/NBD (CDNOW), no campaign\n", N, DAYS);
    clv_scenario scn;
    clv_error err;
    clv_scn_defaults(&scn, &err);
    snprintf(scn.scenario.name, sizeof scn.scenario.name, "bench");
    scn.population.customers = N;
    scn.population.burn_in_days = 0;
    scn.calendar.horizon_days = DAYS;
    scn.seasonality.enabled = 0;
    scn.acquisition.rate_per_day = 0;
    double rate[3] = {0, 0, 0};
    char digest[2][64];
    for (int threads = 1; threads <= 2; threads++) {
        clv_sim_opts o;
        clv_sim_opts_default(&o);
        o.threads = threads;
        clv_sim *s;
        if (clv_sim_alloc(&scn, &o, &s, &err) != CLV_OK) {
            printf("  alloc failed: %s\n", err.msg);
            return;
        }
        double best = 1e30, reset = 1e30;
        for (int rep = 0; rep < 3; rep++) {
            double t0 = now();
            clv_sim_reset(s, 1, 0, &err);
            double t1 = now();
            clv_sim_run(s, NULL, NULL, &err);
            double t2 = now();
            reset = t1 - t0 < reset ? t1 - t0 : reset;
            best = t2 - t1 < best ? t2 - t1 : best;
        }
        rate[threads] = (double)N * DAYS / best;
        size_t nd;
        const clv_sim_day *d = clv_sim_days(s, &nd);
        double purchases = 0;
        for (size_t k = 0; k < nd; k++)
            purchases += d[k].purchases;
        snprintf(digest[threads - 1], sizeof digest[0], "%.17g", purchases);
        printf("  %d thread%s: %.3f s for the horizon (%.3g customer-days/s), reset %.3f s; %.0f purchases; "
               "%.0f bytes per customer (history of %d days included)\n",
               threads, threads > 1 ? "s" : " ", best, rate[threads], reset, purchases,
               (double)clv_sim_memory(s) / (double)clv_sim_capacity(s), o.history);
        clv_sim_free(s);
    }
    printf("  speed-up from 1 to 2 threads: %.2fx (target 1.8x); results identical: %s\n", rate[2] / rate[1],
           strcmp(digest[0], digest[1]) == 0 ? "yes" : "NO");

    /* the same world with a 10% coupon to every customer every week: every
     * customer is woken at every epoch */
    scn.interventions.n_coupons = 1;
    scn.interventions.coupons[0] = (clv_scn_coupon){"10%", 0.1, 50.0, 7, 0.0, 0.05, ""};
    clv_sim_opts o;
    clv_sim_opts_default(&o);
    clv_sim *s;
    if (clv_sim_alloc(&scn, &o, &s, &err) == CLV_OK) {
        clv_action *act = malloc(N * sizeof *act);
        for (size_t i = 0; i < N; i++)
            act[i] = (clv_action){1, 0};
        /* best of 3, as the run without a campaign above (rate[1]) */
        double cbest = 1e30;
        for (int rep = 0; rep < 3; rep++) {
            clv_sim_reset(s, 1, 0, &err);
            double t0 = now();
            while (!clv_sim_done(s))
                clv_sim_step(s, act, NULL, &err);
            double dt = now() - t0;
            cbest = dt < cbest ? dt : cbest;
        }
        const double none_1 = (double)N * DAYS / rate[1];
        printf("  a coupon to everyone every week, 1 thread: %.3f s for the horizon (%.3g customer-days/s): "
               "%.2fx the time of no campaign (target at most 3x)\n",
               cbest, (double)N * DAYS / cbest, cbest / none_1);
        free(act);
        clv_sim_free(s);
    }
    FILE *py = popen("/usr/bin/python3 bench/numpy_reference.py 1000000 365 2>&1", "r");
    double np_rate = 0;
    char line[256];
    while (py && fgets(line, sizeof line, py))
        sscanf(line, "customer_days_per_second %lf", &np_rate);
    if (py)
        pclose(py);
    if (np_rate > 0)
        printf("  numpy reference (daily steps, bench/numpy_reference.py): %.3g customer-days/s; "
               "clvsim on one core is %.1fx that (target 20x)\n", np_rate, rate[1] / np_rate);
    else
        printf("  numpy reference skipped: /usr/bin/python3 with numpy not found (Debian package python3-numpy)\n");
    bench_rollout();
}

/* the table update as it was before issue 16 (the reference of bench_agent):
 * the greedy action's value by a branching argmax, a pow per update with
 * visit-count step sizes, no prefetch of the cells it writes */
static int ref_greedy(const double *q, size_t A)
{
    int best = 0;
    for (size_t a = 1; a < A; a++)
        if (q[a] > q[best])
            best = (int)a;
    return best;
}

static double ref_update(clv_qtable *t, const clv_agent_params *p, size_t s, int a, double reward, size_t s2, int a2,
                         int terminal)
{
    const size_t A = t->n_actions;
    double *q = t->q + s * A;
    const double *q2 = t->q + s2 * A;
    double next;
    if (p->rule == CLV_RULE_SARSA) {
        next = q2[a2];
    } else if (p->rule == CLV_RULE_EXPECTED_SARSA && !p->softmax) {
        double mx = q2[0], sum = q2[0];
        for (size_t b = 1; b < A; b++) {
            mx = q2[b] > mx ? q2[b] : mx;
            sum += q2[b];
        }
        next = (1 - p->epsilon) * mx + p->epsilon * sum / (double)A;
    } else if (p->rule == CLV_RULE_EXPECTED_SARSA) {
        double pi[256];
        clv_agent_policy(t, p, s2, pi);
        next = 0;
        for (size_t b = 0; b < A; b++)
            next += pi[b] * q2[b];
    } else {
        next = q2[ref_greedy(q2, A)];
    }
    const double target = reward + (terminal ? 0 : p->gamma * next);
    const size_t k = s * A + (size_t)a;
    uint32_t *n = &t->visits[k];
    if (*n < UINT32_MAX)
        ++*n;
    double alpha = p->alpha_visits ? p->alpha / pow((double)*n, p->omega) : p->alpha;
    alpha = alpha > 1 ? 1 : alpha;
    double delta = target - q[a];
    q[a] += alpha * delta;
    double *x = t->stats + k * CLV_QSTATS;
    x[CLV_QSTAT_SUM] += target;
    x[CLV_QSTAT_SUMSQ] += target * target;
    x[CLV_QSTAT_WSQ] = (1 - alpha) * (1 - alpha) * x[CLV_QSTAT_WSQ] + alpha * alpha;
    return delta;
}

/* CPU time of the calling thread: what a run got of the core, whatever
 * else the shared machine runs (its caches are still shared) */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* called through a pointer the compiler cannot see through: a call with
 * every argument, as the library's update is (not a copy specialised on
 * the benchmark's constants) */
static double (*volatile ref_update_fn)(clv_qtable *, const clv_agent_params *, size_t, int, double, size_t, int,
                                        int) = ref_update;

static int cmp_double(const void *x, const void *y)
{
    const double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* issue 16: table updates per second on a 10,000-state x 12-action table,
 * at least 50 million on one core; clv_agent_update beside the reference
 * (ref_update) in the same run, on tables that must end bit-identical */
static void bench_agent(void)
{
    enum { NS = 10000, NA = 12, NT = 1 << 20, PASSES = 10, RUNS = 5 };
    printf("\ntabular agents: updates of a %d x %d table (1M random transitions, %d passes; median of %d runs, "
           "new and reference alternating, in turn first, thread CPU time)\n", NS, NA, PASSES, RUNS);
    clv_error err;
    uint32_t *sv = malloc(NT * sizeof *sv), *s2v = malloc(NT * sizeof *s2v);
    uint8_t *av = malloc(NT), *a2v = malloc(NT);
    float *rv = malloc(NT * sizeof *rv);
    clv_rng r;
    clv_rng_seed(&r, (clv_stream_key){1, CLV_STREAM_USER, 0, 0});
    for (size_t k = 0; k < NT; k++) {
        sv[k] = (uint32_t)(clv_rng_next(&r) % NS), s2v[k] = (uint32_t)(clv_rng_next(&r) % NS);
        av[k] = (uint8_t)(clv_rng_next(&r) % NA), a2v[k] = (uint8_t)(clv_rng_next(&r) % NA);
        rv[k] = (float)clv_rng_uniform(&r);
    }
    static const char *const names[3] = {"Q-learning", "SARSA", "Expected SARSA"};
    for (int rule = 0; rule < 3; rule++) {
        for (int visits = 0; visits < 2; visits++) {
            clv_agent_params p = {rule, 0.99, 0.1, visits, 0.7, 0, 0.1, 1.0};
            clv_qtable *t = clv_qtable_alloc(NS, NA, 0, &err), *tr = clv_qtable_alloc(NS, NA, 0, &err);
            double dt[2][RUNS];
            for (int run = 0; run < RUNS; run++) {
                for (int ref = run % 2; ref >= 0 && ref < 2; ref += run % 2 ? -1 : 1) {
                    double t0 = cpu_now();
                    for (int pass = 0; pass < PASSES; pass++)
                        for (size_t k = 0; k < NT; k++) {
                            if (ref)
                                ref_update_fn(tr, &p, sv[k], av[k], rv[k], s2v[k], a2v[k], 0);
                            else
                                clv_agent_update(t, &p, sv[k], av[k], rv[k], s2v[k], a2v[k], 0);
                        }
                    dt[ref][run] = cpu_now() - t0;
                }
            }
            qsort(dt[0], RUNS, sizeof dt[0][0], cmp_double);
            qsort(dt[1], RUNS, sizeof dt[1][0], cmp_double);
            const size_t n = (size_t)NS * NA;
            const int same = memcmp(t->q, tr->q, n * sizeof *t->q) == 0 &&
                             memcmp(t->visits, tr->visits, n * sizeof *t->visits) == 0 &&
                             memcmp(t->stats, tr->stats, n * CLV_QSTATS * sizeof *t->stats) == 0;
            const double mu = (double)NT * PASSES / dt[0][RUNS / 2] / 1e6,
                         mr = (double)NT * PASSES / dt[1][RUNS / 2] / 1e6;
            printf("  %-15s %-9s %6.1f million updates/s, reference %6.1f: %.2fx; tables %s%s\n", names[rule],
                   visits ? "1/n^0.7" : "constant", mu, mr, mu / mr, same ? "bit-identical" : "DIFFER",
                   rule == 0 && !visits ? " (target 50)" : "");
            sink += t->q[0] + tr->q[0];
            clv_qtable_free(t);
            clv_qtable_free(tr);
        }
    }
    free(sv), free(s2v), free(av), free(a2v), free(rv);

    /* issue 16: the budget order, the full sort (the reference: s NULL)
     * beside the order sorted only as far as it matters, on holiday.cfg's
     * world with 50,000 customers after 2 epochs, a random table, 60% of
     * the customers asking for a coupon: with holiday.cfg's budgets
     * (binding per epoch), with budgets too wide to bind, and with the
     * total spent */
    {
        enum { NC = 50000, REPS_ORDER = 15 };
        static const char *const cases[3] = {"holiday.cfg's budgets (binding)", "budgets too wide to bind",
                                             "total budget spent"};
        for (int c = 0; c < 3; c++) {
            clv_scenario scn;
            if (clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err) != CLV_OK) {
                printf("  budget order skipped: %s\n", err.msg);
                break;
            }
            scn.population.customers = NC;
            if (c == 1)
                scn.interventions.budget_per_epoch = scn.interventions.budget_total = 1e12;
            if (c == 2)
                scn.interventions.budget_total = 1;
            clv_sim *s = NULL;
            if (clv_sim_alloc(&scn, NULL, &s, &err) != CLV_OK || clv_sim_reset(s, 1, 0, &err) != CLV_OK) {
                printf("  budget order skipped: %s\n", err.msg);
                clv_sim_free(s);
                break;
            }
            const size_t cap = clv_sim_capacity(s), P = (size_t)scn.interventions.n_prices,
                         A = clv_agent_n_actions(&scn.interventions);
            clv_action *act = calloc(cap, sizeof *act);
            int *a = malloc(cap * sizeof *a);
            size_t *st = malloc(cap * sizeof *st);
            uint32_t *order = malloc(cap * sizeof *order);
            double *scratch = malloc(2 * cap * sizeof *scratch);
            clv_qtable *q = clv_qtable_alloc(cap, A, 0, &err);
            for (int e = 0; e < 2 && act; e++)
                clv_sim_step(s, act, NULL, &err);
            const size_t n = clv_sim_customers(s);
            for (size_t k = 0; q && k < n * A; k++)
                q->q[k] = clv_rng_uniform(&r);
            for (size_t i = 0; a && st && i < n; i++) {
                st[i] = i;
                a[i] = clv_rng_uniform(&r) < 0.6 ? (int)(P + clv_rng_next(&r) % (A - P)) : (int)(clv_rng_next(&r) % P);
            }
            double dt[2][REPS_ORDER];
            for (int rep = 0; q && order && scratch && rep < REPS_ORDER; rep++)
                for (int ref = 0; ref < 2; ref++) {
                    double t0 = now();
                    clv_agent_budget_order(q, st, a, n, P, ref ? NULL : s, scratch, order);
                    dt[ref][rep] = now() - t0;
                    sink += order[0];
                }
            qsort(dt[0], REPS_ORDER, sizeof dt[0][0], cmp_double);
            qsort(dt[1], REPS_ORDER, sizeof dt[1][0], cmp_double);
            printf("  budget order of %zu customers, %s: %.3g ms, full sort %.3g ms: %.1fx (median of %d)\n", n,
                   cases[c], 1e3 * dt[0][REPS_ORDER / 2], 1e3 * dt[1][REPS_ORDER / 2],
                   dt[1][REPS_ORDER / 2] / dt[0][REPS_ORDER / 2], REPS_ORDER);
            clv_qtable_free(q);
            free(act), free(a), free(st), free(order), free(scratch);
            clv_sim_free(s);
        }
    }

    /* the whole training loop: the environment, the LTV estimate of every
     * customer at every epoch (shaping and terminal value on), states,
     * actions and updates; holiday.cfg with 5,000 customers */
    clv_scenario scn;
    if (clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err) != CLV_OK) {
        printf("  training loop skipped: %s\n", err.msg);
        return;
    }
    scn.agent.episodes = 10;
    scn.agent.customers = 5000;
    for (int threads = 1; threads <= 2; threads++) {
        clv_train_result res;
        double t0 = now();
        if (clv_agent_train(&scn, CLV_ALGO_Q, &(clv_train_opts){threads, NULL, NULL, NULL, NULL, NULL}, &res, &err) != CLV_OK) {
            printf("  training failed: %s\n", err.msg);
            return;
        }
        double dt = now() - t0;
        int epochs = (scn.calendar.horizon_days + scn.calendar.epoch_days - 1) / scn.calendar.epoch_days;
        printf("  training loop (holiday.cfg, 5,000 customers, Q-learning, LTV from BTYD), %d thread%s: "
               "%.3g customer-epochs/s\n", threads, threads > 1 ? "s" : "",
               10.0 * 5000 * epochs / dt);
        clv_train_result_free(&res);
    }
}

/* issue 15: training throughput of every learned agent kind on the
 * environment, side by side in one run: tabular Q-learning beside the
 * linear and MLP Q-function agents, holiday.cfg with 2,000 customers, on
 * 1 and 2 threads, with classic and with paired targets, in
 * customer-epochs per second and as ratios to the tabular agent on as many
 * threads with the same targets */
static void bench_qagents(void)
{
    clv_scenario scn;
    clv_error err;
    if (clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err) != CLV_OK) {
        printf("\nagent kinds skipped: %s\n", err.msg);
        return;
    }
    enum { EPISODES = 3, CUSTOMERS = 2000 };
    scn.agent.episodes = EPISODES;
    scn.agent.customers = CUSTOMERS;
    const int epochs = (scn.calendar.horizon_days + scn.calendar.epoch_days - 1) / scn.calendar.epoch_days;
    const double work = (double)EPISODES * CUSTOMERS * epochs;
    printf("\nagent kinds: training throughput (holiday.cfg, %d episodes of %d customers, %zu actions, "
           "MLP hidden [%d], batch %d, updates %.3g per transition), customer-epochs/s and ratio to tabular\n",
           (int)EPISODES, (int)CUSTOMERS, clv_agent_n_actions(&scn.interventions), scn.agent.qfunc_hidden[0],
           scn.agent.qfunc_batch, scn.agent.qfunc_updates);
    for (int t = 0; t < 2 * 2; t++) {
        const int threads = 1 + t % 2;
        scn.agent.targets = t < 2 ? CLV_TARGETS_CLASSIC : CLV_TARGETS_PAIRED;
        double tab = NAN;
        for (int k = -1; k < CLV_QF_ALGOS; k++) {
            const double t0 = now();
            int st;
            if (k < 0) {
                clv_train_result res;
                st = clv_agent_train(&scn, CLV_ALGO_Q, &(clv_train_opts){.threads = threads}, &res, &err);
                clv_train_result_free(&res);
            } else {
                clv_qf_train_result res;
                st = clv_qf_train(&scn, k, &(clv_train_opts){.threads = threads}, &res, &err);
                clv_qf_train_result_free(&res);
            }
            if (st != CLV_OK) {
                printf("  training failed: %s\n", err.msg);
                return;
            }
            const double rate = work / (now() - t0);
            if (k < 0)
                tab = rate;
            printf("  %-14s %-7s %d thread%s %10.3g customer-epochs/s  %5.2fx tabular\n", k < 0 ? "q-learning" :
                   clv_qf_algo_name(k), t < 2 ? "classic" : "paired", threads, threads > 1 ? "s" : " ", rate,
                   rate / tab);
        }
    }
}

/* the CPU time of each thread that served a policy, noted after every call
 * of its act: on a machine whose other core is busy the wall time cannot
 * show the speed-up, but the busiest worker's share of the CPU time bounds
 * it (the schedule's load balance) */
enum { TIMED_MAX = 8 };
static struct {
    pthread_mutex_t mu;
    pthread_t tid[TIMED_MAX];
    double start[TIMED_MAX], cpu[TIMED_MAX];
    int n;
} timed = {PTHREAD_MUTEX_INITIALIZER, {0}, {0}, {0}, 0};

static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* forget the threads; the calling thread (an evaluation's worker 0) starts now */
static void timed_reset(void)
{
    timed.n = 1;
    timed.tid[0] = pthread_self();
    timed.start[0] = thread_cpu();
    timed.cpu[0] = 0;
}

static int timed_act(void *ctx, const clv_sim *s, const clv_sim_obs *obs, size_t n, clv_action *act, clv_error *err)
{
    const clv_policy *p = ctx;
    int st = p->act(p->ctx, s, obs, n, act, err);
    const double c = thread_cpu();
    pthread_mutex_lock(&timed.mu);
    int k = 0;
    while (k < timed.n && !pthread_equal(timed.tid[k], pthread_self()))
        k++;
    if (k == timed.n && k < TIMED_MAX)
        timed.tid[k] = pthread_self(), timed.start[k] = 0, timed.n++; /* a new worker: its clock starts at 0 */
    if (k < timed.n)
        timed.cpu[k] = c - timed.start[k];
    pthread_mutex_unlock(&timed.mu);
    return st;
}

static int timed_order(void *ctx, const clv_sim *s, const clv_action *act, size_t n, uint32_t *order, clv_error *err)
{
    const clv_policy *p = ctx;
    return p->order(p->ctx, s, act, n, order, err);
}

/* the evaluation phase of clvsim run on holiday.cfg's 10,000 customers over
 * its 151 days: its fixed policies (none, blanket at each coupon level,
 * random, rfm, ltv-threshold) and two learned tables (Q-learning, SARSA,
 * 3 training episodes; their own threads follow the evaluation's, as in
 * clvsim run) on 4 replications in one clv_evaluate, on 1 and 2 threads
 * (alternately, best of 2 each, so that a change of the machine's load hits
 * both); the results must be identical bit for bit.  Returns 0 when they
 * differ. */
static int bench_eval(void)
{
    enum { P = 9, R = 4 };
    clv_policy timed_pol[P];
    static const char *const fixed[] = {"none", "blanket-1", "blanket-2", "blanket-3", "random", "rfm",
                                        "ltv-threshold"};
    clv_scenario scn;
    clv_error err;
    if (clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err) != CLV_OK) {
        printf("\nevaluation skipped: %s\n", err.msg);
        return 1;
    }
    printf("\nevaluation (clv_evaluate): holiday.cfg, %lld customers x %d days, %d policies x %d replications\n",
           (long long)scn.population.customers, scn.calendar.horizon_days, P, R);
    scn.evaluation.replications = R;
    scn.agent.episodes = 3;
    clv_train_result tr[2];
    if (clv_agent_train(&scn, CLV_ALGO_Q, NULL, &tr[0], &err) != CLV_OK ||
        clv_agent_train(&scn, CLV_ALGO_SARSA, NULL, &tr[1], &err) != CLV_OK) {
        printf("  training failed: %s\n", err.msg);
        return 1;
    }
    clv_policy pol[2][P];
    for (int t = 0; t < 2; t++) {
        for (int k = 0; k < 7; k++)
            if (clv_policy_fixed(&scn, fixed[k], 1, &pol[t][k], &err) != CLV_OK) {
                printf("  policies failed: %s\n", err.msg);
                return 1;
            }
        if (clv_policy_table(&scn, NULL, tr[0].table, &tr[0].map, "q-learning", t + 1, &pol[t][7], &err) != CLV_OK ||
            clv_policy_table(&scn, NULL, tr[1].table, &tr[1].map, "sarsa", t + 1, &pol[t][8], &err) != CLV_OK) {
            printf("  policies failed: %s\n", err.msg);
            return 1;
        }
    }
    double best[2] = {1e30, 1e30}, cpu[2] = {1e30, 1e30};
    clv_evaluation ev[2] = {{0}};
    int same = 1;
    for (int round = 0; round < 2; round++)
        for (int t = 0; t < 2; t++) {
            clv_evaluation e;
            struct timespec c0, c1;
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
            double t0 = now();
            if (clv_evaluate(&scn, pol[t], P, &(clv_eval_opts){.threads = t + 1}, &e, &err) != CLV_OK) {
                printf("  evaluation failed: %s\n", err.msg);
                return 1;
            }
            double dt = now() - t0;
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
            double dc = (double)(c1.tv_sec - c0.tv_sec) + 1e-9 * (double)(c1.tv_nsec - c0.tv_nsec);
            best[t] = dt < best[t] ? dt : best[t];
            cpu[t] = dc < cpu[t] ? dc : cpu[t];
            sink += e.totals[0];
            if (round == 0)
                ev[t] = e;
            else
                clv_evaluation_free(&e);
        }
    same = memcmp(ev[0].totals, ev[1].totals, P * R * CLV_M_N * sizeof *ev[0].totals) == 0 &&
           memcmp(ev[0].segments, ev[1].segments, P * R * CLV_SEGMENTS * sizeof *ev[0].segments) == 0 &&
           memcmp(ev[0].days, ev[1].days, P * R * ev[0].n_days * sizeof *ev[0].days) == 0 &&
           memcmp(ev[0].calibration, ev[1].calibration, P * R * sizeof *ev[0].calibration) == 0;
    const double work = (double)P * R * (double)scn.population.customers * scn.calendar.horizon_days;
    for (int t = 0; t < 2; t++)
        printf("  %d thread%s: %.3f s (CPU time %.3f s), %.3g customer-days/s\n", t + 1, t ? "s" : " ", best[t], cpu[t],
               work / best[t]);
    /* the CPU time says how much the machine let the threads run at once:
     * on a machine whose other core is busy the speed-up cannot show */
    printf("  speed-up on 2 threads: %.2fx (CPU time / wall time on 2 threads: %.2f); results identical: %s\n",
           best[0] / best[1], cpu[1] / best[1], same ? "yes" : "NO");
    /* the schedule's balance: the same evaluation with policies that note
     * their workers' CPU time (the tables on one thread of their own, so
     * that all of a run's work is on its worker) */
    for (int k = 0; k < P; k++)
        timed_pol[k] = (clv_policy){pol[0][k].name, timed_act, &pol[0][k], pol[0][k].order ? timed_order : NULL, NULL};
    double total = 0, busiest = 0;
    for (int t = 0; t < 2; t++) {
        clv_evaluation e;
        timed_reset();
        if (clv_evaluate(&scn, timed_pol, P, &(clv_eval_opts){.threads = t + 1}, &e, &err) != CLV_OK) {
            printf("  evaluation failed: %s\n", err.msg);
            return 1;
        }
        same = same && memcmp(e.totals, ev[0].totals, P * R * CLV_M_N * sizeof *e.totals) == 0;
        clv_evaluation_free(&e);
        for (int k = 0; k < timed.n; k++) {
            if (t == 0)
                total += timed.cpu[k];
            else
                busiest = timed.cpu[k] > busiest ? timed.cpu[k] : busiest;
        }
    }
    printf("  load balance on 2 threads: the busier worker used %.3f s of the %.3f s of CPU time one thread needs: "
           "at most %.2fx on two free cores\n", busiest, total, total / busiest);
    for (int t = 0; t < 2; t++) {
        clv_evaluation_free(&ev[t]);
        for (int k = 0; k < P; k++)
            clv_policy_free(&pol[t][k]);
        clv_train_result_free(&tr[t]);
    }
    return same;
}

/* ---- the neural LTV network ---- */

/* OpenBLAS, loaded at run time as the reference beside clvsim's own
 * product (src/model/gemm.c); clvsim itself does not link it */
typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float,
                         float *, int);
static struct {
    void *lib;
    sgemm_fn sgemm;
    void (*set_threads)(int);
    char *(*corename)(void);
} ob;

static int openblas_load(void)
{
    if (ob.lib)
        return 1;
    static const char *const names[] = {"libopenblas.so.0", "libopenblasp.so.0", "libopenblas.so"};
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !ob.lib; i++)
        ob.lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!ob.lib)
        return 0;
    *(void **)&ob.sgemm = dlsym(ob.lib, "cblas_sgemm");
    *(void **)&ob.set_threads = dlsym(ob.lib, "openblas_set_num_threads");
    *(void **)&ob.corename = dlsym(ob.lib, "openblas_get_corename");
    if (!ob.sgemm || !ob.set_threads) {
        dlclose(ob.lib);
        ob.lib = NULL;
        return 0;
    }
    return 1;
}

enum { CBLAS_ROW = 101, CBLAS_N = 111, CBLAS_T = 112 };

/* the products of one training step of the 32 -> 64 -> 64 -> 3 network at
 * batch n: forward (z = a W^T), weight gradients (dW = d^T a) and the
 * deltas passed back (d W) */
typedef struct {
    const char *name;
    size_t M, N, K, ars, acs, brs, bcs; /* for clvsim (gemm.h) */
    int ta, tb;                          /* for CBLAS */
    int lda, ldb;
} gemm_case;

static size_t gemm_cases(size_t n, gemm_case *c)
{
    const gemm_case all[] = {
        {"forward 1  (n x 32) (32 x 64)", n, 64, 32, 32, 1, 1, 32, CBLAS_N, CBLAS_T, 32, 32},
        {"forward 2  (n x 64) (64 x 64)", n, 64, 64, 64, 1, 1, 64, CBLAS_N, CBLAS_T, 64, 64},
        {"forward 3  (n x 64) (64 x 3)", n, 3, 64, 64, 1, 1, 64, CBLAS_N, CBLAS_T, 64, 64},
        {"gradient 3 (3 x n) (n x 64)", 3, 64, n, 1, 3, 64, 1, CBLAS_T, CBLAS_N, 3, 64},
        {"deltas 3   (n x 3) (3 x 64)", n, 64, 3, 3, 1, 64, 1, CBLAS_N, CBLAS_N, 3, 64},
        {"gradient 2 (64 x n) (n x 64)", 64, 64, n, 1, 64, 64, 1, CBLAS_T, CBLAS_N, 64, 64},
        {"deltas 2   (n x 64) (64 x 64)", n, 64, 64, 64, 1, 64, 1, CBLAS_N, CBLAS_N, 64, 64},
        {"gradient 1 (64 x n) (n x 32)", 64, 32, n, 1, 64, 32, 1, CBLAS_T, CBLAS_N, 64, 32},
    };
    memcpy(c, all, sizeof all);
    return sizeof all / sizeof all[0];
}

/* clvsim's product beside OpenBLAS's sgemm on the network's shapes, one
 * thread each, best of 5; and whether OpenBLAS gives the same bits on 1 and
 * 2 threads and clvsim's variants the same bits as each other */
static void bench_gemm(void)
{
    printf("\nthe network's matrix products, single precision, one thread, best of 5 (us per product)\n");
    if (!openblas_load()) {
        printf("  OpenBLAS reference skipped: libopenblas.so.0 not found (Debian package libopenblas0)\n");
        return;
    }
    printf("  OpenBLAS kernel on this processor: %s\n", ob.corename ? ob.corename() : "?");
    enum { CAP = 1 << 20 };
    float *A = malloc(CAP * sizeof *A), *B = malloc(CAP * sizeof *B), *C = malloc(CAP * sizeof *C),
          *D = malloc(CAP * sizeof *D);
    if (!A || !B || !C || !D)
        goto done;
    clv_rng r;
    clv_rng_seed(&r, (clv_stream_key){2, CLV_STREAM_USER, 0, 0});
    for (size_t i = 0; i < CAP; i++)
        A[i] = (float)(2 * clv_rng_uniform(&r) - 1), B[i] = (float)(2 * clv_rng_uniform(&r) - 1);
    const size_t batches[2] = {256, 1024};
    int ob_differs = 0, ours_differs = 0;
    for (int bi = 0; bi < 2; bi++) {
        gemm_case c[16];
        const size_t nc = gemm_cases(batches[bi], c);
        double tot_ours = 0, tot_ob = 0;
        printf("  batch %zu%36s clvsim   OpenBLAS   clvsim/OpenBLAS\n", batches[bi], "");
        for (size_t k = 0; k < nc; k++) {
            const gemm_case *q = &c[k];
            const int reps = (int)(4e7 / (double)(q->M * q->N * q->K)) + 1;
            double best_ours = 1e30, best_ob = 1e30;
            ob.set_threads(1);
            for (int rep = 0; rep < 5; rep++) {
                double t0 = now();
                for (int i = 0; i < reps; i++)
                    clv__gemm_f32(q->M, q->N, q->K, A, q->ars, q->acs, B, q->brs, q->bcs, C, q->N, 1);
                double t = (now() - t0) / reps;
                best_ours = t < best_ours ? t : best_ours;
                t0 = now();
                for (int i = 0; i < reps; i++)
                    ob.sgemm(CBLAS_ROW, q->ta, q->tb, (int)q->M, (int)q->N, (int)q->K, 1, A, q->lda, B, q->ldb, 0, D,
                             (int)q->N);
                t = (now() - t0) / reps;
                best_ob = t < best_ob ? t : best_ob;
            }
            sink += C[0] + D[0];
            tot_ours += best_ours, tot_ob += best_ob;
            printf("    %-40s %7.2f   %7.2f    %5.2f\n", q->name, 1e6 * best_ours, 1e6 * best_ob, best_ours / best_ob);
            /* bits: OpenBLAS on 2 threads against 1; clvsim's variants */
            const size_t sz = q->M * q->N;
            ob.set_threads(2);
            memcpy(C, D, sz * sizeof *C);
            ob.sgemm(CBLAS_ROW, q->ta, q->tb, (int)q->M, (int)q->N, (int)q->K, 1, A, q->lda, B, q->ldb, 0, D,
                     (int)q->N);
            ob_differs += memcmp(C, D, sz * sizeof *C) != 0;
            clv__gemm_f32_variant(0, q->M, q->N, q->K, A, q->ars, q->acs, B, q->brs, q->bcs, D, q->N, 1);
            for (int v = 1; v < CLV_GEMM_VARIANTS; v++)
                if (clv__gemm_variant_supported(v)) {
                    clv__gemm_f32_variant(v, q->M, q->N, q->K, A, q->ars, q->acs, B, q->brs, q->bcs, C, q->N, 1);
                    ours_differs += memcmp(C, D, sz * sizeof *C) != 0;
                }
        }
        printf("    %-40s %7.2f   %7.2f    %5.2f\n", "one training step's products", 1e6 * tot_ours, 1e6 * tot_ob,
               tot_ours / tot_ob);
    }
    ob.set_threads(1);
    printf("  products whose bits differ: OpenBLAS on 2 threads against 1: %d of 16; clvsim's kernel variants "
           "(", ob_differs);
    for (int v = 0, first = 1; v < CLV_GEMM_VARIANTS; v++)
        if (clv__gemm_variant_supported(v))
            printf("%s%s", first ? "" : ", ", clv__gemm_variant_names[v]), first = 0;
    printf(") against each other: %d\n", ours_differs);
done:
    free(A), free(B), free(C), free(D);
}

/* issue target: training samples per second of a 32 -> 64 -> 64 -> 3 network
 * (ZILN, Adam) at least 2x PyTorch at batch 256 and 1.5x at 1024, each side in
 * its best thread setting (bench/torch_reference.py, run here beside it).
 * clvsim's network runs on the calling thread (its products are its own,
 * single-threaded: src/model/gemm.c); PyTorch gets 1 and 2 threads. */
static void bench_mlp(void)
{
    enum { N = 65536, IN = 32 };
    printf("\nneural LTV network: 32 -> 64 -> 64 -> 3 (ReLU), ZILN loss, Adam, single precision, %d rows\n", N);
    double *X = malloc((size_t)N * IN * sizeof *X), *y = malloc(N * sizeof *y), *out = malloc((size_t)N * 3 * sizeof *out);
    clv_rng r;
    clv_rng_seed(&r, (clv_stream_key){1, CLV_STREAM_USER, 0, 0});
    for (size_t i = 0; i < (size_t)N * IN; i++)
        X[i] = 2 * clv_rng_uniform(&r) - 1;
    for (size_t i = 0; i < N; i++)
        y[i] = clv_rng_uniform(&r) < 0.4 ? 0 : exp(1 + 0.7 * (clv_rng_uniform(&r) - 0.5) * 3.4);
    const size_t batches[2] = {256, 1024};
    for (int bi = 0; bi < 2; bi++) {
        const size_t B = batches[bi];
        clv_mlp_spec spec = {IN, {64, 64}, 2, 3, CLV_ACT_RELU, CLV_MLP_F32, B};
        clv_error err;
        clv_mlp *m = clv_mlp_alloc(&spec, &err);
        if (!m)
            return;
        clv_mlp_init(m, 1);
        clv_adam a;
        clv_adam_default(&a);
        double best = 0;
        for (int rep = 0; rep < 5; rep++) {
            double t0 = now();
            for (size_t i = 0; i + B <= N; i += B) {
                clv_mlp_loss_grad(m, CLV_LOSS_ZILN, X + i * IN, y + i, B, NULL, &err);
                clv_mlp_adam_step(m, &a);
            }
            const double rate = (double)(N / B * B) / (now() - t0);
            best = rate > best ? rate : best;
        }
        clv_mlp_free(m);
        double best_torch = 0;
        int torch_threads = 1;
        for (int threads = 1; threads <= 2; threads++) {
            char cmd[128], line[256];
            snprintf(cmd, sizeof cmd, "/usr/bin/python3 bench/torch_reference.py %zu %d 2>/dev/null", B, threads);
            FILE *py = popen(cmd, "r");
            double torch_rate = 0;
            while (py && fgets(line, sizeof line, py))
                sscanf(line, "samples_per_second %lf", &torch_rate);
            if (py)
                pclose(py);
            if (torch_rate > best_torch)
                best_torch = torch_rate, torch_threads = threads;
        }
        printf("  batch %4zu: clvsim %.3g samples/s", B, best);
        if (best_torch > 0)
            printf(", PyTorch %.3g samples/s (%d thread%s, its best): %.2fx PyTorch (target %s)\n", best_torch,
                   torch_threads, torch_threads > 1 ? "s" : "", best / best_torch, bi ? "1.5x" : "2x");
        else
            printf("\n  PyTorch reference skipped: /usr/bin/python3 with torch not found (Debian package python3-torch)\n");
    }
    /* inference: one pass over every row in batches of 4096 */
    clv_mlp_spec spec = {IN, {64, 64}, 2, 3, CLV_ACT_RELU, CLV_MLP_F32, 4096};
    clv_error err;
    clv_mlp *m = clv_mlp_alloc(&spec, &err);
    if (m) {
        clv_mlp_init(m, 1);
        double best = 0;
        for (int rep = 0; rep < 3; rep++) {
            double t0 = now();
            for (size_t i = 0; i + 4096 <= N; i += 4096)
                clv_mlp_forward(m, X + i * IN, 4096, out + i * 3, &err);
            const double rate = (double)N / (now() - t0);
            best = rate > best ? rate : best;
        }
        sink += out[0];
        printf("  inference, batches of 4096: %.3g customers/s\n", best);
        clv_mlp_free(m);
    }
    free(X), free(y), free(out);
    bench_gemm();
}

/* The LTV source of the agents' loop (clv_ltv_source): per customer-epoch,
 * the network's value and P(buy) (holiday's ltv.hidden [32, 16], ZILN) beside
 * the BTYD value, on one worker in the agents' blocks of 1024, over the
 * customers of holiday's agent environment at every epoch of a run of no
 * campaign; the simulator's step of the same customer-epochs for scale. */
static int bench_ltv_loop(void)
{
    clv_scenario scn;
    clv_error err;
    if (clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err) != CLV_OK) {
        fprintf(stderr, "clvsim-bench: %s\n", err.msg);
        return 1;
    }
    scn.population.customers = scn.agent.customers;
    clv_sim_opts so;
    clv_sim_opts_default(&so);
    so.threads = 1;
    clv_sim *s = NULL;
    if (clv_sim_alloc(&scn, &so, &s, &err) != CLV_OK || clv_sim_reset(s, 1, 0, &err) != CLV_OK) {
        fprintf(stderr, "clvsim-bench: %s\n", err.msg);
        clv_sim_free(s);
        return 1;
    }
    /* every epoch's observations, kept to time the estimates alone */
    const size_t cap = clv_sim_capacity(s);
    const int E = clv_sim_epochs(s);
    clv_sim_obs *obs = malloc((size_t)(E + 1) * cap * sizeof *obs);
    size_t *n = calloc((size_t)E + 1, sizeof *n);
    clv_action *act = malloc(cap * sizeof *act);
    double *v = malloc(cap * sizeof *v), *pb = malloc(cap * sizeof *pb), step_s = 0;
    size_t total = 0;
    int st = obs && n && act && v && pb ? CLV_OK : CLV_ENOMEM;
    for (int e = 0; st == CLV_OK && e <= E; e++) {
        n[e] = clv_sim_customers(s);
        total += n[e];
        st = clv_sim_observe(s, 0, n[e], obs + (size_t)e * cap, &err);
        if (st != CLV_OK || clv_sim_done(s))
            break;
        for (size_t i = 0; i < n[e]; i++)
            act[i] = (clv_action){0, (uint8_t)clv_sim_list_price(s)};
        const double t0 = now();
        st = clv_sim_step(s, act, v, &err);
        step_s += now() - t0;
    }
    clv_mlp_spec spec = {CLV_LTV_FEATURES, {32, 16}, 2, 3, CLV_ACT_RELU, CLV_MLP_F32, 1};
    clv_mlp *m = st == CLV_OK ? clv_mlp_alloc(&spec, &err) : NULL;
    double mean[CLV_LTV_FEATURES], sd[CLV_LTV_FEATURES];
    for (int k = 0; k < CLV_LTV_FEATURES; k++)
        mean[k] = 0, sd[k] = 1;
    clv_ltv_config cfg;
    clv_ltv_config_of(&scn, &cfg);
    if (m)
        clv_mlp_init(m, 1);
    clv_ltv_model *lm = m ? clv_ltv_model_new(m, CLV_LOSS_ZILN, mean, sd, &cfg, 1, NULL, &err) : NULL;
    cfg.btyd_features = 0;
    clv_ltv_model *lm0 = m ? clv_ltv_model_new(m, CLV_LOSS_ZILN, mean, sd, &cfg, 1, NULL, &err) : NULL;
    clv_ltv_source *src[3] = {clv_ltv_source_new(&scn, NULL, 1, &err),
                              lm ? clv_ltv_source_new(&scn, lm, 1, &err) : NULL,
                              lm0 ? clv_ltv_source_new(&scn, lm0, 1, &err) : NULL};
    if (!src[0] || !src[1] || !src[2]) {
        fprintf(stderr, "clvsim-bench: ltv-loop: %s\n", err.msg);
        st = CLV_ENOMEM;
    }
    double best[3] = {1e30, 1e30, 1e30};
    for (int rep = 0; st == CLV_OK && rep < 3; rep++)
        for (int k = 0; k < 3 && st == CLV_OK; k++) {
            const double t0 = now();
            for (int e = 0; e <= E && st == CLV_OK; e++)
                for (size_t lo = 0; lo < n[e] && st == CLV_OK; lo += 1024) {
                    const size_t b = n[e] - lo < 1024 ? n[e] - lo : 1024;
                    st = clv_ltv_source_fill(src[k], 0, obs + (size_t)e * cap + lo, b, v + lo, k ? pb + lo : NULL,
                                             &err);
                }
            const double t = now() - t0;
            best[k] = t < best[k] ? t : best[k];
            sink += v[0];
        }
    if (st == CLV_OK) {
        const double ns_b = 1e9 * best[0] / (double)total, ns_n = 1e9 * best[1] / (double)total;
        printf("\nthe agents' LTV source, one thread: %zu customer-epochs of holiday's agent environment "
               "(%lld customers, %d epochs)\n", total, (long long)scn.agent.customers, E);
        printf("  %-60s %8.0f ns   1.00x\n", "BTYD value (ltv.model btyd)", ns_b);
        printf("  %-60s %8.0f ns  %5.2fx\n", "network value and P(buy), 25 -> 32 -> 16 -> 3 (mlp)", ns_n,
               ns_n / ns_b);
        const double ns_0 = 1e9 * best[2] / (double)total;
        printf("  %-60s %8.0f ns  %5.2fx\n", "  the same without the BTYD features (ltv.btyd_features false)", ns_0,
               ns_0 / ns_b);
        printf("  %-60s %8.0f ns  %5.2fx\n", "(the simulator's step, for scale)", 1e9 * step_s / (double)total,
               1e9 * step_s / (double)total / ns_b);
    }
    clv_ltv_source_free(src[0]), clv_ltv_source_free(src[1]), clv_ltv_source_free(src[2]);
    clv_ltv_model_free(lm), clv_ltv_model_free(lm0);
    clv_mlp_free(m);
    free(obs), free(n), free(act), free(v), free(pb);
    clv_sim_free(s);
    return st == CLV_OK ? 0 : 1;
}

/* The known-answer worlds (tests/worlds): per world the whole study, then
 * every policy's paired gain over no campaign, as a share of the known
 * optimum's (where the optimum acts) and of the clairvoyant bound's. */
static int bench_bounds(void)
{
    printf("\nknown-answer worlds (tests/worlds): paired gain over no campaign, its share of the known optimum's "
           "and of the clairvoyant bound's\n");
    for (int k = 0; k < KNOWN_WORLDS; k++) {
        const known_world *kw = &known_worlds[k];
        clv_scenario scn;
        clv_error err;
        clv_study *s = NULL;
        const double t0 = now();
        if (clv_scn_load(kw->file, NULL, 0, &scn, &err) != CLV_OK || clv_study_run(&scn, NULL, &s, &err) != CLV_OK) {
            fprintf(stderr, "clvsim-bench: %s\n", err.msg);
            return 1;
        }
        const long opt = known_policy(s, kw->optimum);
        printf("  %s (optimum %s; %zu replications of %lld customers; %.1f s)\n", kw->file, kw->optimum,
               s->ev.replications, (long long)scn.population.customers, now() - t0);
        printf("    %-18s %10s %22s %10s %10s\n", "policy", "gain", "interval", "of optimum", "of bound");
        for (long p = 0; p <= (long)s->n; p++) {
            const long q = p < (long)s->n ? p : CLV_EVAL_HINDSIGHT;
            clv_eval_bound b;
            clv_study_bound(s, q, &b);
            const double of_opt = opt >= 0 ? known_share(s, q, opt) : NAN;
            char so[16] = "-", sb[16] = "-", iv[64];
            if (!isnan(of_opt))
                snprintf(so, sizeof so, "%.2f", of_opt);
            if (!isnan(b.share))
                snprintf(sb, sizeof sb, "%.2f", b.share);
            snprintf(iv, sizeof iv, "[%+.0f, %+.0f]", b.diff.lo, b.diff.hi);
            printf("    %-18s %+10.0f %22s %10s %10s\n", q == CLV_EVAL_HINDSIGHT ? "hindsight (loose)" : s->pol[q].name,
                   b.diff.mean, iv, so, sb);
        }
        clv_study_free(s);
    }
    return 0;
}

static int by_double(const void *x, const void *y)
{
    const double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* The learned agents on the known-answer worlds whose optimum acts, over
 * training seeds: each one's paired gain over no campaign as a share of the
 * optimum's (known_share), per seed, with the median and the range.  First
 * the MLP agents at agent.qfunc.updates = 1 (the reference, 0.1's default),
 * then all seven learned agents with the defaults.  With 5 seeds the range
 * [min, max] holds the median with probability 1 - 2 / 2^5 = 94%.  Each
 * study lists only none, the optimum and the agents. */
enum { SEEDS = 5, SEED_AGENTS = 7 };
static int bench_seeds(void)
{
    static const char *const seeds[SEEDS] = {NULL, "3", "7", "11", "13"};
    static const char *const agents[SEED_AGENTS] = {"q-mlp",    "sarsa-mlp",    "q-learning",    "sarsa",
                                                    "q-linear", "sarsa-linear", "expected-sarsa"};
    printf("\nlearned agents on the known-answer worlds over %d training seeds: paired gain over no campaign as a "
           "share of the optimum's (median [min, max], a 94%% interval for the median)\n", SEEDS);
    for (int k = 0; k < KNOWN_WORLDS; k++) {
        const known_world *kw = &known_worlds[k];
        if (!kw->observable)
            continue;
        for (int u = 0; u < 2; u++) {
            const int n_ag = u == 0 ? 2 : SEED_AGENTS; /* the reference: the MLP agents at updates 1 */
            char pol[512];
            int len = snprintf(pol, sizeof pol, "[\"none\", \"%s\"", kw->optimum);
            for (int a = 0; a < n_ag; a++)
                len += snprintf(pol + len, sizeof pol - (size_t)len, ", \"%s\"", agents[a]);
            snprintf(pol + len, sizeof pol - (size_t)len, "]");
            double share[SEED_AGENTS][SEEDS];
            const double t0 = now();
            double updates_used = 0;
            for (int j = 0; j < SEEDS; j++) {
                clv_scn_override ov[3] = {{"evaluation.policies", pol, "bench"}};
                size_t n_ov = 1;
                if (seeds[j])
                    ov[n_ov++] = (clv_scn_override){"scenario.seed", seeds[j], "bench"};
                if (u == 0)
                    ov[n_ov++] = (clv_scn_override){"agent.qfunc.updates", "1.0", "bench"};
                clv_scenario scn;
                clv_error err;
                clv_study *s = NULL;
                if (clv_scn_load(kw->file, ov, n_ov, &scn, &err) != CLV_OK || clv_study_run(&scn, NULL, &s, &err) != CLV_OK) {
                    fprintf(stderr, "clvsim-bench: %s\n", err.msg);
                    return 1;
                }
                updates_used = scn.agent.qfunc_updates;
                const long opt = known_policy(s, kw->optimum);
                for (int a = 0; a < n_ag; a++)
                    share[a][j] = known_share(s, known_policy(s, agents[a]), opt);
                clv_study_free(s);
            }
            printf("  %-28s MLP updates %g%s (%.0f s)\n", kw->file, updates_used,
                   u == 0 ? " (reference)" : " (the defaults)", now() - t0);
            for (int a = 0; a < n_ag; a++) {
                printf("    %-15s", agents[a]);
                for (int j = 0; j < SEEDS; j++)
                    printf(" %5.2f", share[a][j]);
                qsort(share[a], SEEDS, sizeof share[a][0], by_double);
                printf("   median %.2f [%.2f, %.2f]\n", share[a][SEEDS / 2], share[a][0], share[a][SEEDS - 1]);
            }
        }
    }
    return 0;
}

/* The paired targets of training (agent.targets, clvsim/agent.h) against
 * the classic ones.  (a) The variance of the targets per state-action: an
 * advantage A(s,a) = Q(s,a) - Q(s,base) learned from classic targets has
 * per-sample variance var(y_a) + var(y_base) (two independent samples),
 * from paired ones var(d) (one paired difference), each from the tables'
 * target statistics after the same episodes; their ratio is the
 * variance-reduction factor (the medians over the states with 2 or more
 * visits of both, per action).  (b) Learning speed: the learned policies'
 * paired gain over no campaign on the evaluation (clv_study_run, as
 * bounds.csv) as a share of the known optimum's, against the training
 * episodes (epsilon decaying over 3/4 of them, as in the worlds).  (c) The
 * training loop's throughput on holiday.cfg. */
static double target_var(const clv_qtable *t, size_t k)
{
    const double n = t->visits[k], *x = t->stats + k * CLV_QSTATS;
    return n >= 2 ? fmax(0, x[CLV_QSTAT_SUMSQ] - x[CLV_QSTAT_SUM] * x[CLV_QSTAT_SUM] / n) / (n - 1) : NAN;
}

static int bench_paired(void)
{
    static const char *const worlds[2] = {"tests/worlds/c-price.cfg", "tests/worlds/a-elastic.cfg"};
    static const char *const optimum[2] = {"price-up", "price-down"};
    clv_error err;
    printf("\npaired targets (agent.targets): (a) per-sample variance of an advantage's targets, classic "
           "var(y_a) + var(y_base) over paired var(d), median over states, Q-learning after 30 episodes\n");
    for (int w = 0; w < 2; w++) {
        clv_scenario scn;
        clv_train_result res[2];
        if (clv_scn_load(worlds[w], NULL, 0, &scn, &err) != CLV_OK) {
            fprintf(stderr, "clvsim-bench: %s\n", err.msg);
            return 1;
        }
        scn.agent.episodes = 30;
        scn.agent.epsilon_decay_episodes = 22;
        for (int m = 0; m < 2; m++) {
            scn.agent.targets = m ? CLV_TARGETS_PAIRED : CLV_TARGETS_CLASSIC;
            if (clv_agent_train(&scn, CLV_ALGO_Q, &(clv_train_opts){.threads = 0}, &res[m], &err) !=
                CLV_OK) {
                fprintf(stderr, "clvsim-bench: %s\n", err.msg);
                return 1;
            }
        }
        const clv_qtable *c = res[0].table, *pt = res[1].table;
        const size_t A = c->n_actions, P = (size_t)scn.interventions.n_prices, base = (size_t)clv_scn_list_price(&scn);
        printf("  %s (%zu states)\n    %-22s %8s %14s %14s %12s\n", worlds[w], c->n_states, "action", "states",
               "classic var", "paired var", "factor");
        double *f = malloc(c->n_states * 3 * sizeof *f);
        for (size_t a = 0; f && a < A; a++) {
            if (a == base)
                continue;
            size_t n = 0;
            double *vc = f + c->n_states, *vp = f + 2 * c->n_states;
            for (size_t st = 0; st < c->n_states; st++) {
                const double x = target_var(c, st * A + a) + target_var(c, st * A + base);
                const double y = target_var(pt, st * A + a);
                if (isnan(x) || isnan(y))
                    continue;
                vc[n] = x, vp[n] = y, f[n] = y > 0 ? x / y : INFINITY;
                n++;
            }
            qsort(f, n, sizeof *f, by_double), qsort(vc, n, sizeof *vc, by_double), qsort(vp, n, sizeof *vp, by_double);
            char name[64], fs[32] = "-";
            snprintf(name, sizeof name, "coupon %zu, price %.2f", a / P, scn.interventions.prices[a % P]);
            if (n)
                snprintf(fs, sizeof fs, isinf(f[n / 2]) ? "inf" : "%.3g", f[n / 2]);
            printf("    %-22s %8zu %14.4g %14.4g %12s\n", name, n, n ? vc[n / 2] : NAN, n ? vp[n / 2] : NAN, fs);
        }
        free(f);
        clv_train_result_free(&res[0]), clv_train_result_free(&res[1]);
    }
    static const int episodes[4] = {10, 30, 100, 300};
    static const int kinds[3] = {CLV_POLICY_Q, CLV_POLICY_SARSA, CLV_POLICY_EXPECTED_SARSA};
    printf("\n  (b) learning speed: share of the known optimum's paired gain over no campaign (evaluation, "
           "bounds.csv), q-learning / sarsa / expected-sarsa\n    %-28s %-8s", "world", "targets");
    for (int e = 0; e < 4; e++)
        printf(" %18d ep", episodes[e]);
    printf("\n");
    for (int w = 0; w < 2; w++) {
        for (int m = 0; m < 2; m++) {
            printf("    %-28s %-8s", worlds[w], m ? "paired" : "classic");
            fflush(stdout);
            for (int e = 0; e < 4; e++) {
                clv_scenario scn;
                clv_study *s = NULL;
                if (clv_scn_load(worlds[w], NULL, 0, &scn, &err) != CLV_OK) {
                    fprintf(stderr, "clvsim-bench: %s\n", err.msg);
                    return 1;
                }
                scn.agent.targets = m ? CLV_TARGETS_PAIRED : CLV_TARGETS_CLASSIC;
                scn.agent.episodes = episodes[e];
                scn.agent.epsilon_decay_episodes = episodes[e] * 3 / 4;
                scn.evaluation.n_policies = 0;
                scn.evaluation.policies[scn.evaluation.n_policies++] = CLV_POLICY_NONE;
                scn.evaluation.policies[scn.evaluation.n_policies++] =
                    clv_policy_type_named(optimum[w], NULL)->id;
                for (int k = 0; k < 3; k++)
                    scn.evaluation.policies[scn.evaluation.n_policies++] = kinds[k];
                const double t0 = now();
                if (clv_study_run(&scn, NULL, &s, &err) != CLV_OK) {
                    fprintf(stderr, "clvsim-bench: %s\n", err.msg);
                    return 1;
                }
                const long opt = known_policy(s, optimum[w]);
                printf(" %5.2f/%4.2f/%4.2f %3.0fs", known_share(s, known_policy(s, "q-learning"), opt),
                       known_share(s, known_policy(s, "sarsa"), opt),
                       known_share(s, known_policy(s, "expected-sarsa"), opt), now() - t0);
                fflush(stdout);
                clv_study_free(s);
            }
            printf("\n");
        }
    }
    /* (c) the training loop's throughput, classic and paired, as bench_agent's */
    clv_scenario scn;
    if (clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err) != CLV_OK) {
        fprintf(stderr, "clvsim-bench: %s\n", err.msg);
        return 1;
    }
    scn.agent.episodes = 2;
    scn.agent.customers = 5000;
    const int epochs = (scn.calendar.horizon_days + scn.calendar.epoch_days - 1) / scn.calendar.epoch_days;
    printf("\n  (c) training loop (holiday.cfg, 5,000 customers, Q-learning, %zu actions, lookahead %d epochs)\n",
           clv_agent_n_actions(&scn.interventions), clv_mdp_lookahead(&scn));
    for (int m = 0; m < 2; m++)
        for (int threads = 1; threads <= 2; threads++) {
            scn.agent.targets = m ? CLV_TARGETS_PAIRED : CLV_TARGETS_CLASSIC;
            clv_train_result res;
            const double t0 = now();
            if (clv_agent_train(&scn, CLV_ALGO_Q, &(clv_train_opts){.threads = threads}, &res, &err) !=
                CLV_OK) {
                fprintf(stderr, "clvsim-bench: %s\n", err.msg);
                return 1;
            }
            printf("    %-8s %d thread%s: %.3g customer-epochs/s\n", m ? "paired" : "classic", threads,
                   threads > 1 ? "s" : " ", 2.0 * 5000 * epochs / (now() - t0));
            clv_train_result_free(&res);
        }
    return 0;
}

/* a section runs when no section is named on the command line, or it is */
static int wanted(int argc, char **argv, const char *name)
{
    if (argc < 2)
        return 1;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}

/* issue 16: the cost of one fork-join call on 2 threads (2 units of 16
 * draws each), the old loop that creates and joins a thread per call (kept
 * as clv__parallel_for_create_join) against the persistent pool, in
 * alternate rounds, median of 5 rounds each; every call's slots checked */
static int tiny_unit(size_t unit, int worker, void *ctx)
{
    (void)worker;
    clv_rng r;
    clv_rng_seed(&r, (clv_stream_key){5, CLV_STREAM_USER, 0, unit});
    double x = 0;
    for (int i = 0; i < 16; i++)
        x += clv_rng_uniform(&r);
    ((double *)ctx)[unit] = x;
    return CLV_OK;
}

static int bench_fork_join(void)
{
    enum { CALLS = 4000, ROUNDS = 5 };
    double ref[2], got[2], t[2][ROUNDS];
    tiny_unit(0, 0, ref), tiny_unit(1, 0, ref);
    int same = 1;
    for (int round = 0; round < ROUNDS; round++)
        for (int k = 0; k < 2; k++) {
            double t0 = now();
            for (int c = 0; c < CALLS; c++) {
                got[0] = got[1] = 0;
                if (k == 0)
                    clv__parallel_for_create_join(2, 2, tiny_unit, got);
                else
                    clv_parallel_for(2, 2, tiny_unit, got);
                same &= memcmp(got, ref, sizeof ref) == 0;
            }
            t[k][round] = (now() - t0) / CALLS;
        }
    qsort(t[0], ROUNDS, sizeof t[0][0], cmp_double);
    qsort(t[1], ROUNDS, sizeof t[1][0], cmp_double);
    printf("  fork-join cost per call on 2 threads (2 tiny units, median of %d rounds of %d calls): create/join "
           "%.2f us, pool %.2f us: %.1fx less; results identical: %s\n",
           ROUNDS, CALLS, 1e6 * t[0][ROUNDS / 2], 1e6 * t[1][ROUNDS / 2], t[0][ROUNDS / 2] / t[1][ROUNDS / 2],
           same ? "yes" : "NO");
    return same;
}

/* issue 16: training, the oracle's estimate and the evaluation, each on 1
 * and 2 threads (alternately, best of 2 each), with the CPU time that says
 * how much the machine let the two threads run at once; holiday.cfg with
 * agent.customers 5,000.  Returns 0 when the results differ. */
static double process_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int bench_threads(void)
{
    clv_scenario scn;
    clv_error err;
    if (clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err) != CLV_OK) {
        printf("\nthreads skipped: %s\n", err.msg);
        return 1;
    }
    scn.agent.episodes = 6;
    scn.agent.customers = 5000;
    scn.evaluation.replications = 4;
    printf("\nthread scaling (holiday.cfg, agent.customers 5,000): 1 against 2 threads, best of 2 each\n");
    clv_state_map map;
    if (clv_agent_state_map(&scn, NULL, 1, &map, &err) != CLV_OK) {
        printf("  state map failed: %s\n", err.msg);
        return 1;
    }
    clv_policy pol[2][3];
    static const char *const fixed[] = {"none", "blanket-1", "random"};
    for (int t = 0; t < 2; t++)
        for (int k = 0; k < 3; k++)
            if (clv_policy_fixed(&scn, fixed[k], 1, &pol[t][k], &err) != CLV_OK) {
                printf("  policies failed: %s\n", err.msg);
                return 1;
            }
    static const char *const phase[3] = {"training (Q-learning, 6 episodes)", "oracle estimate (6 episodes)",
                                         "evaluation (3 policies x 4 replications)"};
    double best[3][2], cpu[3][2];
    double digest[3][2];
    for (int ph = 0; ph < 3; ph++)
        for (int t = 0; t < 2; t++)
            best[ph][t] = cpu[ph][t] = 1e30, digest[ph][t] = 0;
    for (int round = 0; round < 2; round++)
        for (int ph = 0; ph < 3; ph++)
            for (int t = 0; t < 2; t++) {
                const int threads = t + 1;
                double w0 = now(), c0 = process_cpu_now(), d = 0;
                int st = CLV_OK;
                if (ph == 0) {
                    clv_train_result res;
                    st = clv_agent_train(&scn, CLV_ALGO_Q, &(clv_train_opts){.threads = threads}, &res, &err);
                    if (st == CLV_OK) {
                        for (size_t k = 0; k < res.table->n_states * res.table->n_actions; k++)
                            d += res.table->q[k] * (double)(k % 97 + 1);
                        clv_train_result_free(&res);
                    }
                } else if (ph == 1) {
                    clv_mdp_estimate *m = NULL;
                    clv_qtable *g = NULL;
                    st = clv_oracle_estimate(&scn, NULL, &map, 6, threads, NULL, &m, &err);
                    if (st == CLV_OK)
                        st = clv_mdp_greedy(m, clv_mdp_lookahead(&scn), clv_scn_list_price(&scn), &g, &err);
                    if (st == CLV_OK)
                        for (size_t k = 0; k < g->n_states * g->n_actions; k++)
                            d += g->q[k] * (double)(k % 97 + 1);
                    clv_qtable_free(g);
                    clv_mdp_estimate_free(m);
                } else {
                    clv_evaluation e;
                    st = clv_evaluate(&scn, pol[t], 3, &(clv_eval_opts){.threads = threads}, &e, &err);
                    if (st == CLV_OK) {
                        for (size_t k = 0; k < (size_t)3 * 4 * CLV_M_N; k++)
                            d += e.totals[k] * (double)(k % 97 + 1);
                        clv_evaluation_free(&e);
                    }
                }
                if (st != CLV_OK) {
                    printf("  %s failed: %s\n", phase[ph], err.msg);
                    return 1;
                }
                const double dw = now() - w0, dc = process_cpu_now() - c0;
                best[ph][t] = dw < best[ph][t] ? dw : best[ph][t];
                cpu[ph][t] = dc < cpu[ph][t] ? dc : cpu[ph][t];
                digest[ph][t] = d;
            }
    int same = 1;
    for (int ph = 0; ph < 3; ph++) {
        const int eq = memcmp(&digest[ph][0], &digest[ph][1], sizeof digest[ph][0]) == 0;
        same &= eq;
        printf("  %-42s 1 thread %6.2f s (CPU %6.2f s), 2 threads %6.2f s (CPU %6.2f s): %.2fx (target 1.8x); "
               "identical: %s\n",
               phase[ph], best[ph][0], cpu[ph][0], best[ph][1], cpu[ph][1], best[ph][0] / best[ph][1], eq ? "yes" : "NO");
    }
    return same;
}

/* issue 19: customer-epochs per second stepped from Python (clvsim.Env, bench/python_bench.py)
 * beside the same loop in C: holiday.cfg at batch 10,000 customers, no acquisition, coupon
 * level 1 where recency_days > 60 (else nothing) at list price, observe + policy + step per
 * epoch, best of 5 episodes (CPU time of that episode beside, the figure to compare on a
 * loaded machine); both must end with the same net margin (%.17g).  Skipped with a
 * line when the extension (make python) is not built. */
static int bench_python(void)
{
    enum { N = 10000, PY_REPS = 5 };
    static const char *scn_path = "scenarios/holiday.cfg";
    printf("\nPython: customer-epochs per second stepped from clvsim.Env beside the C loop (%s, batch %d, "
           "coupon 1 where recency > 60 days)\n", scn_path, N);
    clv_scn_override ov[] = {{"population.customers", "10000", "bench"}, {"run.scale", "1", "bench"},
                             {"acquisition.rate_per_day", "0", "bench"}};
    clv_scenario *scn = malloc(sizeof *scn);
    clv_error err;
    clv_sim *s = NULL;
    clv_error_clear(&err);
    int ok = scn && clv_scn_load(scn_path, ov, 3, scn, &err) == CLV_OK && clv_sim_alloc(scn, NULL, &s, &err) == CLV_OK;
    const size_t cap = ok ? clv_sim_capacity(s) : 1;
    clv_sim_obs *obs = malloc(cap * sizeof *obs);
    clv_action *act = malloc(cap * sizeof *act);
    double *margin = malloc(cap * sizeof *margin);
    ok = ok && obs && act && margin;
    double best = 1e30, best_cpu = 0, total = 0;
    long steps = 0;
    for (int rep = 0; ok && rep < PY_REPS; rep++) {
        ok = clv_sim_reset(s, 1, 0, &err) == CLV_OK;
        const uint8_t list = (uint8_t)clv_sim_list_price(s);
        steps = 0;
        double t0 = now(), c0 = cpu_now();
        while (ok && !clv_sim_done(s)) {
            size_t n = clv_sim_customers(s);
            ok = clv_sim_observe(s, 0, n, obs, &err) == CLV_OK;
            for (size_t i = 0; ok && i < n; i++)
                act[i] = (clv_action){(uint8_t)(obs[i].recency_days > 60), list};
            ok = ok && clv_sim_step(s, act, margin, &err) == CLV_OK;
            steps += (long)n;
        }
        double t = now() - t0, c = cpu_now() - c0;
        if (t < best)
            best = t, best_cpu = c;
        size_t nd;
        const clv_sim_day *d = clv_sim_days(s, &nd);
        total = 0;
        for (size_t k = 0; k < nd; k++)
            total += d[k].net_margin;
    }
    int same = 1;
    if (!ok)
        printf("  C loop failed: %s\n", err.msg);
    else {
        const double c_rate = (double)steps / best;
        printf("  C loop       %10.4g customer-epochs/s (%.4f s, CPU %.4f s for %ld customer-epochs)\n", c_rate, best,
               best_cpu, steps);
        char c_margin[64];
        snprintf(c_margin, sizeof c_margin, "%.17g", total);
        FILE *py = popen("/usr/bin/python3 bench/python_bench.py scenarios/holiday.cfg 10000 5 2>&1", "r");
        char line[512] = "";
        int got = py && fgets(line, sizeof line, py) != NULL;
        int rc = py ? pclose(py) : -1;
        double rate = 0, cpu = 0;
        long epochs = 0;
        char margin_s[64] = "";
        if (got && rc == 0 && sscanf(line, "rate %lf cpu %lf epochs %ld margin %63s", &rate, &cpu, &epochs, margin_s) == 4) {
            same = strcmp(margin_s, c_margin) == 0 && epochs == steps;
            printf("  Python Env   %10.4g customer-epochs/s (%.4f s, CPU %.4f s): %.0f%% of C by time, %.0f%% by CPU "
                   "time (goal 50%%); same net margin %s: %s\n",
                   rate, (double)epochs / rate, cpu, 100 * rate / c_rate, 100 * best_cpu / cpu, c_margin,
                   same ? "yes" : "NO");
        } else
            printf("  Python skipped: %s", got ? line : "no output from /usr/bin/python3 bench/python_bench.py\n");
        if (got && !strchr(line, '\n'))
            printf("\n");
    }
    clv_sim_free(s);
    free(scn), free(obs), free(act), free(margin);
    return same;
}

int main(int argc, char **argv)
{
    static const char *const sections[] = {"rng", "parallel", "fit", "btyd", "sim", "agent", "agents", "eval", "mlp",
                                           "ltv-loop", "bounds", "seeds", "paired", "threads", "python"};
    for (int i = 1; i < argc; i++) {
        size_t k = 0;
        while (k < sizeof sections / sizeof sections[0] && strcmp(argv[i], sections[k]) != 0)
            k++;
        if (k == sizeof sections / sizeof sections[0]) {
            fprintf(stderr, "clvsim-bench: unknown section '%s'; expected rng, parallel, fit, btyd, sim, agent, agents, eval, "
                            "mlp, ltv-loop, bounds, seeds, paired, threads or python\n",
                    argv[i]);
            return 2;
        }
    }
    gsl_set_error_handler_off();
    printf("clvsim %s benchmarks\n\n", clv_version());

    if (wanted(argc, argv, "rng")) {
        printf("uniform draws, ns per draw (best of %d runs of %d draws)\n", REPS, DRAWS);
        double mt = time_gsl(gsl_rng_mt19937);
        double taus = time_gsl(gsl_rng_taus2);
        double xo_gsl = time_gsl(clv_gsl_rng_xoshiro256ss);
        double xo = time_inline();
        printf("  %-38s %6.2f ns   1.00x\n", "GSL mt19937 (gsl_rng_uniform)", mt);
        printf("  %-38s %6.2f ns  %5.2fx\n", "GSL taus2 (gsl_rng_uniform)", taus, mt / taus);
        printf("  %-38s %6.2f ns  %5.2fx\n", "clvsim xoshiro256** (gsl_rng_uniform)", xo_gsl, mt / xo_gsl);
        printf("  %-38s %6.2f ns  %5.2fx\n", "clvsim xoshiro256** (inline)", xo, mt / xo);
    }
    int same = 1;
    if (wanted(argc, argv, "parallel")) {
        printf("\nclv_parallel_for: 256 units of 400,000 exponential draws\n");
        static par_ctx a, b;
        double t1 = now();
        clv_parallel_for(1, 256, par_unit, &a);
        t1 = now() - t1;
        double t2 = now();
        clv_parallel_for(2, 256, par_unit, &b);
        t2 = now() - t2;
        same = memcmp(a.out, b.out, sizeof a.out) == 0;
        printf("  1 thread %.3f s, 2 threads %.3f s: speed-up %.2fx; results identical: %s\n", t1, t2, t1 / t2,
               same ? "yes" : "NO");
        same = bench_fork_join() && same;
    }
    if (wanted(argc, argv, "fit"))
        bench_fit();
    if (wanted(argc, argv, "btyd"))
        bench_btyd();
    if (wanted(argc, argv, "sim"))
        bench_sim();
    if (wanted(argc, argv, "agent"))
        bench_agent();
    if (wanted(argc, argv, "agents"))
        bench_qagents();
    if (wanted(argc, argv, "eval") && !bench_eval())
        same = 0;
    if (wanted(argc, argv, "mlp"))
        bench_mlp();
    if (wanted(argc, argv, "ltv-loop") && bench_ltv_loop() != 0)
        same = 0;
    if (wanted(argc, argv, "bounds") && bench_bounds() != 0)
        same = 0;
    if (wanted(argc, argv, "seeds") && bench_seeds() != 0)
        same = 0;
    if (wanted(argc, argv, "threads") && !bench_threads())
        same = 0;
    if (wanted(argc, argv, "paired") && bench_paired() != 0)
        same = 0;
    if (wanted(argc, argv, "python") && !bench_python())
        same = 0;
    printf("\n(checksum %g)\n", sink);
    return same ? 0 : 1;
}
