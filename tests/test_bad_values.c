/* test_bad_values.c - the catalogue of bad values (issue 11, "no silent
 * nonsense"): each class is refused with its exact message and status, or,
 * for the library, its status code.  Classes covered:
 *   1. scenario values that would make the world non-finite: a value beyond
 *      its key's range (r or p = 1e308, gamma = 1e-320, q <= 1, money 1e12),
 *      from a file and from --set;
 *   2. combinations of valid values: the mean purchase rate, the mean
 *      spend, the busiest day's multiplier of overlapping windows, the
 *      number of customers in a world (x run.scale), the price response's
 *      multiplier at the lowest price, a calendar past 9999-12-30 or before
 *      0001-01-01 (its dates wrapped);
 *   3. integers beyond the 64-bit integers, which libconfig saturated or
 *      wrapped (seed 2^63, 2^64 - 1 in decimal and hexadecimal, 1e19, 1e30
 *      for an integer key), in a file, with --seed and with fit's --seed;
 *      2^63 - 1 is accepted and big seeds give distinct worlds;
 *   4. values of a scenario changed in code, and fitted populations, that
 *      fail the same checks (clv_scn_check);
 *   5. transaction amounts and quantities that are not finite ("inf",
 *      "nan", "1e999", which strtod accepts) or beyond 1e15, and a quantity
 *      x unit price beyond it: refused with the file, line and column
 *      (skipped and counted as "amount" with --skip-malformed);
 *   6. a writer fed a number that is not finite (clvsim/io.h): the commit
 *      fails with CLV_ENUMERIC naming the file, line and column, and leaves
 *      neither the file nor a temporary file (an earlier file is kept); the
 *      library's writers to a FILE (resolved scenario, RFM table, Q table)
 *      likewise; an undefined value is an empty field, never "nan";
 *   7. a Pareto/NBD population whose alpha and beta lie far apart, in range
 *      but with the hypergeometric series near z = 1, where it failed (a
 *      NaN P(alive), an LTV of 0) or took milliseconds a call: the Euler
 *      integral by quadrature, against mpmath and the series.
 * Fixtures: tests/fixtures/bad/values/. */
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/model/btyd_internal.h"
#include "clvsim/clvsim.h"
#include "harness.h"

#define FIX "tests/fixtures/bad/values/"

/* run the command; check its status and its exact stderr */
static void expect_run(const char *const *args, int status, const char *err)
{
    harness_proc r = harness_run(args);
    CHECK_INT(r.status, status);
    CHECK_STR(r.err, err);
    harness_proc_free(&r);
}

TEST(test_bad_values_scenario_ranges)
{
    static const struct {
        const char *file, *err;
    } bad[] = {
        {"bgnbd_r.cfg", "clvsim: " FIX "bgnbd_r.cfg:3: population.bgnbd.r: expected a number in [1e-05, 100000], "
                        "got 1e+308\n"},
        {"spend_p.cfg", "clvsim: " FIX "spend_p.cfg:3: population.spend.p: expected a number in [1e-05, 100000], "
                        "got 1e+308\n"},
        {"spend_gamma.cfg", "clvsim: " FIX "spend_gamma.cfg:3: population.spend.gamma: expected a number in "
                            "[1e-05, 1e+09], got 9.99989e-321\n"},
        {"spend_q.cfg", "clvsim: " FIX "spend_q.cfg:3: population.spend.q: expected a number in (1, 100000], "
                        "got 0.9\n"},
        {"coupon_value.cfg", "clvsim: " FIX "coupon_value.cfg:3: interventions.coupons[0].max_value: expected a "
                             "number in (0, 1e+09], got 1e+12\n"},
        {"budget.cfg", "clvsim: " FIX "budget.cfg:2: interventions.budget.total: expected -1 or a number in "
                       "[0, 1e+15], got 1e+300\n"},
        {"int_as_float.cfg", "clvsim: " FIX "int_as_float.cfg:2: population.customers: expected an integer in "
                             "[0, 100000000], got 1e+30\n"},
        /* combinations */
        {"purchase_rate.cfg", "clvsim: " FIX "purchase_rate.cfg:4: population.bgnbd.alpha: expected a mean purchase "
                              "rate r / alpha of at most 10 a day (70 a week), got 142.9 a day with r = 100 and "
                              "alpha = 0.1 (weeks): a larger alpha or a smaller r\n"},
        {"mean_spend.cfg", "clvsim: " FIX "mean_spend.cfg:3: population.spend.gamma: expected a mean spend per "
                           "transaction p x gamma / (q - 1) of at most 1e+09, got 1e+14 with p = 100000, q = 2 and "
                           "gamma = 1000000000\n"},
        {"windows.cfg", "clvsim: " FIX "windows.cfg:3: seasonality.windows: expected a purchase intensity multiplier "
                        "of at most 10000 on every day, got 1e+06 on 2025-12-15: the day of the week's multiplier "
                        "times the purchase multipliers of the windows a, b, c\n"},
        {"world.cfg", "clvsim: " FIX "world.cfg:2: population.customers: expected at most 1e+09 customers in a "
                      "simulated world, got 1e+10: population.customers x run.scale (100) = 1e+10 existing, and "
                      "1.82e+05 expected arrivals over calendar.horizon_days (acquisition.rate_per_day x run.scale "
                      "x the seasonal multipliers)\n"},
        {"past_9999.cfg", "clvsim: " FIX "past_9999.cfg:4: calendar.horizon_days: expected the simulated days to end "
                          "on 9999-12-30 or earlier (the last supported date, 9999-12-31, must follow it), got "
                          "10008-12-28: calendar.horizon_days (3650) from calendar.start (9999-01-01); at most 364 "
                          "days from this start\n"},
        {"before_0001.cfg", "clvsim: " FIX "before_0001.cfg:3: population.burn_in_days: expected the simulation to "
                            "begin on 0001-01-01 or later, the first supported date, got -0005-06-04: "
                            "population.burn_in_days (3650; at least 1 is simulated) before calendar.start "
                            "(0005-06-01)\n"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, FIX "%s", bad[i].file);
        expect_run(ARGS("check", path), 2, bad[i].err);
    }
}

/* the values of the issue, given with --set to a command that would run
 * the world: refused before anything is written */
TEST(test_bad_values_set)
{
    char dir[] = "/tmp/clvsim-badvalues-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char out[600];
    snprintf(out, sizeof out, "%s/out", dir);
    static const struct {
        const char *set, *err;
    } bad[] = {
        {"population.bgnbd.r=1e308", "clvsim: --set: population.bgnbd.r: expected a number in [1e-05, 100000], "
                                     "got 1e+308\n"},
        {"population.spend.p=1e308", "clvsim: --set: population.spend.p: expected a number in [1e-05, 100000], "
                                     "got 1e+308\n"},
        {"population.spend.gamma=1e-320", "clvsim: --set: population.spend.gamma: expected a number in "
                                          "[1e-05, 1e+09], got 9.99989e-321\n"},
        {"population.pareto.beta=1e-9", "clvsim: --set: population.pareto.beta: expected a number in "
                                        "[1e-05, 100000], got 1e-09\n"},
        /* a combination names the key the override set */
        {"population.bgnbd.r=1000", "clvsim: --set: population.bgnbd.r: expected a mean purchase rate r / alpha of "
                                    "at most 10 a day (70 a week), got 29.83 a day with r = 1000 and alpha = 4.78894 "
                                    "(weeks): a larger alpha or a smaller r\n"},
        {"calendar.start=9999-06-01", "clvsim: --set: calendar.start: expected the LTV predictor's world to end on "
                                      "9999-12-30 or earlier (the last supported date, 9999-12-31, must follow it), "
                                      "got 10000-05-30: ltv.horizon_days (365) from calendar.start (9999-06-01); at "
                                      "most 213 days from this start\n"},
        {"calendar.start=0001-01-01", "clvsim: --set: calendar.start: expected the simulation to begin on 0001-01-01 "
                                      "or later, the first supported date, got 0000-01-02: population.burn_in_days "
                                      "(365; at least 1 is simulated) before calendar.start (0001-01-01)\n"},
        {"run.scale=1000", "clvsim: --set: run.scale: expected at most 1e+09 customers in a simulated world, got "
                           "1.002e+09: population.customers x run.scale (1000) = 1e+09 existing, and 1.74e+06 "
                           "expected arrivals over calendar.horizon_days (acquisition.rate_per_day x run.scale x the "
                           "seasonal multipliers)\n"},
        /* a price of 0.001 with an elasticity of -20 made an intensity of 1e60 (a float's inf); the
         * elasticity is pinned (PRICE_PIN) and holiday.cfg's largest coupon discount, 30%, lowers the
         * price a holder meets: 0.05 x 0.7 */
        {"interventions.prices=[0.05, 1.0]", "clvsim: --set: interventions.prices: expected the price response's "
                                             "largest intensity multiplier, the lowest price (times 1 - the largest "
                                             "coupon discount) to the power elasticity_mean - 5 x elasticity_sd, to "
                                             "be at most 10000, got 6.664e+05 = 0.035^-4: a higher lowest price or "
                                             "a weaker elasticity\n"},
        /* 0.11^-4 = 6830 would do; with the coupon 0.077^-4 does not */
        {"interventions.prices=[0.11, 1.0]", "clvsim: --set: interventions.prices: expected the price response's "
                                             "largest intensity multiplier, the lowest price (times 1 - the largest "
                                             "coupon discount) to the power elasticity_mean - 5 x elasticity_sd, to "
                                             "be at most 10000, got 2.845e+04 = 0.077^-4: a higher lowest price or "
                                             "a weaker elasticity\n"},
        {"interventions.prices=[1e-320, 1.0]", "clvsim: --set: interventions.prices[0]: expected a number in "
                                               "[0.01, 10], got 9.99989e-321\n"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *extra = i == 7 ? "population.customers=1000000" : "population.customers=100";
        /* the price response's elasticity -3 - 5 x 0.2 = -4 whatever holiday.cfg says */
        expect_run(ARGS("simulate", "scenarios/holiday.cfg", "-o", out, "--quiet", "--set", extra, "--set",
                        "response.price.elasticity_mean=-3", "--set", "response.price.elasticity_sd=0.2", "--set",
                        bad[i].set),
                   2, bad[i].err);
        struct stat st;
        CHECK(stat(out, &st) != 0); /* nothing was written */
    }
    rmdir(dir);
}

TEST(test_bad_values_seeds)
{
    static const struct {
        const char *seed, *err;
    } bad[] = {
        {"9223372036854775808", "clvsim: --seed: scenario.seed: expected an integer in [0, 9223372036854775807], "
                                "got 9223372036854775808, which is beyond the 64-bit integers\n"},
        {"18446744073709551615", "clvsim: --seed: scenario.seed: expected an integer in [0, 9223372036854775807], "
                                 "got 18446744073709551615, which is beyond the 64-bit integers\n"},
        {"0xffffffffffffffff", "clvsim: --seed: scenario.seed: expected an integer in [0, 9223372036854775807], "
                               "got 0xffffffffffffffff, which is beyond the 64-bit integers\n"},
        {"1e19", "clvsim: --seed: scenario.seed: expected an integer in [0, 9223372036854775807], got 1e+19\n"},
        {"-1", "clvsim: --seed: scenario.seed: expected an integer in [0, 9223372036854775807], got -1\n"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_run(ARGS("check", "scenarios/holiday.cfg", "--seed", bad[i].seed), 2, bad[i].err);
    harness_proc r = harness_run(ARGS("check", "scenarios/holiday.cfg", "--seed", "9223372036854775807"));
    CHECK_INT(r.status, 0);
    CHECK_STR(r.out, "scenarios/holiday.cfg: ok (scenario \"holiday\", seed 9223372036854775807)\n");
    harness_proc_free(&r);
    r = harness_run(ARGS("check", "scenarios/holiday.cfg", "--seed", "0x7fffffffffffffff"));
    CHECK_INT(r.status, 0);
    CHECK_STR(r.out, "scenarios/holiday.cfg: ok (scenario \"holiday\", seed 9223372036854775807)\n");
    harness_proc_free(&r);

    /* in files */
    expect_run(ARGS("check", FIX "seed_2p63.cfg"), 2,
               "clvsim: " FIX "seed_2p63.cfg:3: scenario.seed: expected an integer in [0, 9223372036854775807], got "
               "9223372036854775808, which is beyond the 64-bit integers\n");
    expect_run(ARGS("check", FIX "seed_2p64.cfg"), 2,
               "clvsim: " FIX "seed_2p64.cfg:2: scenario.seed: expected an integer in [0, 9223372036854775807], got "
               "18446744073709551615, which is beyond the 64-bit integers\n");
    expect_run(ARGS("check", FIX "seed_hex.cfg"), 2,
               "clvsim: " FIX "seed_hex.cfg:2: scenario.seed: expected an integer in [0, 9223372036854775807], got "
               "0xffffffffffffffff, which is beyond the 64-bit integers\n");
    r = harness_run(ARGS("check", FIX "seed_max.cfg"));
    CHECK_INT(r.status, 0);
    CHECK_STR(r.out, FIX "seed_max.cfg: ok (scenario \"seed_max\", seed 9223372036854775807)\n");
    harness_proc_free(&r);

    /* fit's own --seed has the same range */
    expect_run(ARGS("fit", "tests/fixtures/txlog/basic.txt", "--calibration-end", "1997-06-30", "--seed",
                    "9223372036854775808"),
               2, "clvsim fit: --seed: expected an integer in [0, 9223372036854775807], got '9223372036854775808'\n");

    /* the two largest seeds, which saturation made one, are two worlds */
    char dir[] = "/tmp/clvsim-seeds-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char out[2][100], days[2][1300];
    for (int k = 0; k < 2; k++) {
        snprintf(out[k], sizeof out[k], "%s/%d", dir, k);
        snprintf(days[k], sizeof days[k], "%s/days.csv", out[k]);
        r = harness_run(ARGS("simulate", "scenarios/holiday.cfg", "--quiet", "-o", out[k], "--set",
                             "population.customers=200", "--seed", k ? "9223372036854775806" : "9223372036854775807"));
        CHECK_INT(r.status, 0);
        harness_proc_free(&r);
    }
    char *d0 = harness_read_file(days[0]), *d1 = harness_read_file(days[1]);
    CHECK(d0 && d1 && strcmp(d0, d1) != 0);
    free(d0);
    free(d1);
    CHECK_INT(harness_rm_rf(dir), 0);
}

/* a scenario changed in code meets the same checks as a file's values */
TEST(test_bad_values_check_in_code)
{
    clv_scenario s;
    clv_error err;
    char buf[2048];
    CHECK_INT(clv_scn_load("scenarios/holiday.cfg", NULL, 0, &s, &err), CLV_OK);
    CHECK_INT(clv_scn_check(&s, &err), CLV_OK);
    s.population.bgnbd.b = 3e9; /* a fit at its boundary */
    CHECK_INT(clv_scn_check(&s, &err), CLV_EINPUT);
    CHECK_STR(clv_error_format(&err, buf, sizeof buf),
              "scenarios/holiday.cfg: population.bgnbd.b: expected a number in [1e-05, 100000], got 3e+09");
    s.population.bgnbd.b = 2.4;
    s.population.spend.q = NAN;
    CHECK_INT(clv_scn_check(&s, &err), CLV_EINPUT);
    CHECK_STR(clv_error_format(&err, buf, sizeof buf),
              "scenarios/holiday.cfg: population.spend.q: expected a number in (1, 100000], got nan");
    s.population.spend.q = 3.7;
    s.seasonality.windows[1].purchase_multiplier = INFINITY;
    CHECK_INT(clv_scn_check(&s, &err), CLV_EINPUT);
    CHECK_STR(clv_error_format(&err, buf, sizeof buf),
              "scenarios/holiday.cfg: seasonality.windows[1].purchase_multiplier: expected a number in (0, 100], "
              "got inf");
    s.seasonality.windows[1].purchase_multiplier = 1;
    s.population.bgnbd.alpha = 0.001; /* in range; the mean rate is not */
    CHECK_INT(clv_scn_check(&s, &err), CLV_EINPUT);
    CHECK_STR(clv_error_format(&err, buf, sizeof buf),
              "scenarios/holiday.cfg: population.bgnbd.alpha: expected a mean purchase rate r / alpha of at most 10 "
              "a day (70 a week), got 35.95 a day with r = 0.251624 and alpha = 0.001 (weeks): a larger alpha or a "
              "smaller r");
    s.population.bgnbd.alpha = 4.8;
    const int n_prices = s.interventions.n_prices;
    s.interventions.n_prices = 9;
    CHECK_INT(clv_scn_check(&s, &err), CLV_EINPUT);
    CHECK_STR(clv_error_format(&err, buf, sizeof buf),
              "scenarios/holiday.cfg: interventions.prices: expected 1 to 8 elements, got 9");
    s.interventions.n_prices = n_prices;
    s.scenario.seed = -1;
    CHECK_INT(clv_scn_check(&s, &err), CLV_EINPUT);
    CHECK_STR(clv_error_format(&err, buf, sizeof buf),
              "scenarios/holiday.cfg: scenario.seed: expected an integer in [0, 9223372036854775807], got -1");
    s.scenario.seed = 1;
    CHECK_INT(clv_scn_check(&s, &err), CLV_OK);
}

/* population.source = "fit" on a log the models do not describe (every
 * purchase 10.00): the estimates run to the fits' boundaries (r ~ 1e8, a
 * Gamma-Gamma p ~ 1e12) and are refused, naming the log and the key */
TEST(test_bad_values_fit_population)
{
    char *log = realpath(FIX "boundary.csv", NULL);
    CHECK(log != NULL);
    char dir[] = "/tmp/clvsim-fitpop-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char out[100], expect[1200];
    snprintf(out, sizeof out, "%s/out", dir);
    /* the estimate runs off to the boundary, so its last digits are the
     * optimiser's, not the data's: the message up to the value, and a value
     * beyond the range */
    snprintf(expect, sizeof expect, "clvsim: %s: population.bgnbd.r: the population fitted to this log up to "
             "1997-12-31 is refused: expected a number in [1e-05, 100000], got ", log ? log : "");
    harness_proc r = harness_run(ARGS("simulate", FIX "fit_boundary.cfg", "-o", out, "--quiet"));
    CHECK_INT(r.status, 2);
    /* (after the warning that the calibration end lies after the log's last purchase) */
    const char *e = r.err ? strstr(r.err, expect) : NULL;
    CHECK(e != NULL);
    CHECK(e && strlen(e) > strlen(expect) && strtod(e + strlen(expect), NULL) > 1e5);
    harness_proc_free(&r);
    struct stat st;
    CHECK(stat(out, &st) != 0);
    rmdir(dir);
    free(log);
}

TEST(test_bad_values_amounts)
{
    static const struct {
        const char *file, *err;
    } bad[] = {
        {"amount_inf.csv", "amount_inf.csv:4: amount: expected a number in [-1e+15, 1e+15] in column 3, got \"inf\""},
        {"amount_nan.csv", "amount_nan.csv:4: amount: expected a number in [-1e+15, 1e+15] in column 3, got \"nan\""},
        {"amount_1e999.csv", "amount_1e999.csv:4: amount: expected a number in [-1e+15, 1e+15] in column 3, got "
                             "\"1e999\""},
        {"amount_1e16.csv", "amount_1e16.csv:4: amount: expected a number in [-1e+15, 1e+15] in column 3, got "
                            "\"1e16\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char path[256], err[512];
        snprintf(path, sizeof path, FIX "%s", bad[i].file);
        snprintf(err, sizeof err, "clvsim: " FIX "%s\n", bad[i].err);
        expect_run(ARGS("fit", path, "--calibration-end", "1997-06-30", "-o", "/tmp/clvsim-never-written"), 2, err);
    }
    expect_run(ARGS("fit", FIX "unit_price.csv", "--calibration-end", "1997-06-30", "--quantity-column", "3",
                    "--amount-column", "4", "--amount-kind", "unit-price", "-o", "/tmp/clvsim-never-written"),
               2, "clvsim: " FIX "unit_price.csv:4: amount: expected a spend, quantity x unit price, of at most 1e+15, "
                  "got 2e+20: quantity \"1e10\" (column 3) x unit price \"2e10\" (column 4)\n");
    expect_run(ARGS("fit", FIX "quantity_inf.csv", "--calibration-end", "1997-06-30", "--quantity-column", "3",
                    "--amount-column", "4", "--amount-kind", "unit-price", "-o", "/tmp/clvsim-never-written"),
               2, "clvsim: " FIX "quantity_inf.csv:3: quantity: expected a number in [-1e+15, 1e+15] in column 3, got "
                  "\"-inf\"\n");
    struct stat st;
    CHECK(stat("/tmp/clvsim-never-written", &st) != 0);

    /* skipped with the other malformed rows, by kind */
    clv_txlog_opts o;
    clv_txlog_opts_default(&o);
    o.skip_malformed = 1;
    clv_rfm_table *t = NULL;
    clv_error err;
    CHECK_INT(clv_rfm_read(FIX "amount_inf.csv", &o, clv_date_from_ymd(1997, 6, 30), -1, CLV_UNIT_DAY, NULL, &t, &err),
              CLV_OK);
    CHECK(t != NULL);
    if (t) {
        CHECK_INT(t->stats.skipped[CLV_TXBAD_AMOUNT], 1);
        CHECK_INT(t->stats.first_skipped_line[CLV_TXBAD_AMOUNT], 4);
        CHECK_INT(t->stats.rows, 2);
        for (size_t i = 0; i < t->n; i++)
            CHECK(isfinite(t->c[i].mean_spend));
    }
    clv_rfm_free(t);
}

/* a CSV of three lines whose last number is v, through an atomic file */
static int write_csv(const char *path, double v, clv_error *err)
{
    clv_afile af;
    int st = clv_afile_open(&af, path, err);
    if (st != CLV_OK)
        return st;
    fprintf(af.fp, "policy,a,b\n");
    fprintf(af.fp, "x");
    clv_put_num(af.fp, &af.num, "a", ",%.6f", 1.5);
    clv_put_num(af.fp, &af.num, "b", ",%.6f\n", 2);
    fprintf(af.fp, "y");
    clv_put_num(af.fp, &af.num, "a", ",%.6f", 3);
    clv_put_num(af.fp, &af.num, "b", ",%.6f\n", v);
    return clv_afile_commit(&af, err);
}

TEST(test_bad_values_writer)
{
    char dir[] = "/tmp/clvsim-writer-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[128], want[512], buf[2048];
    snprintf(path, sizeof path, "%s/out.csv", dir);
    clv_error err;
    static const struct {
        double v;
        const char *what;
    } bad[] = {{NAN, "nan"}, {INFINITY, "inf"}, {-INFINITY, "-inf"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(write_csv(path, bad[i].v, &err), CLV_ENUMERIC);
        snprintf(want, sizeof want, "%s:3: b: not a finite number (%s); clvsim writes no inf or nan, so the output "
                 "is refused", path, bad[i].what);
        CHECK_STR(clv_error_format(&err, buf, sizeof buf), want);
        CHECK_INT(harness_count_entries(dir), 0); /* no file, no temporary file */
    }
    /* an earlier file stays as it was */
    CHECK_INT(write_csv(path, 4.25, &err), CLV_OK);
    char *good = harness_read_file(path);
    CHECK_STR(good, "policy,a,b\nx,1.500000,2.000000\ny,3.000000,4.250000\n");
    CHECK_INT(write_csv(path, NAN, &err), CLV_ENUMERIC);
    char *after = harness_read_file(path);
    CHECK_STR(after, good);
    CHECK_INT(harness_count_entries(dir), 1);
    free(good);
    free(after);

    /* undefined values: empty fields (with the conversion's width in a text table); "%%" is a percent sign */
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    clv_numcheck chk = {0};
    clv_put_blank(mem, ",%.6f");
    clv_put_opt(mem, &chk, "gini", ",%.6f|", NAN);
    clv_put_blank(mem, "[%8.2f]");
    clv_put_num(mem, &chk, "share", " %.1f%%", 50);
    clv_put_opt(mem, &chk, "auc", " %.3f\n", 0.75);
    fclose(mem);
    CHECK_STR(text, ",,|[        ] 50.0% 0.750\n");
    CHECK_INT(chk.bad, 0);
    free(text);
    /* an infinity is never undefined */
    mem = open_memstream(&text, &len);
    clv_put_opt(mem, &chk, "lift", ",%.6f", INFINITY);
    fclose(mem);
    free(text);
    CHECK_INT(chk.bad, 1);
    CHECK_STR(chk.column, "lift");
    CHECK_INT(clv_numcheck_error(&chk, NULL, "report.txt", &err), CLV_ENUMERIC);
    CHECK_STR(clv_error_format(&err, buf, sizeof buf),
              "report.txt: lift: not a finite number (inf); clvsim writes no inf or nan, so the output is refused");

    /* the library's writers to a FILE: the column and the line, the file left to the caller to name */
    clv_scenario s;
    CHECK_INT(clv_scn_defaults(&s, &err), CLV_OK);
    s.population.spend.q = NAN;
    FILE *fp = tmpfile();
    CHECK_INT(clv_scn_write(&s, fp, &err), CLV_ENUMERIC);
    fclose(fp);
    CHECK_STR(err.field, "population.spend.q");
    CHECK_STR(err.file, "");
    CHECK(err.line > 40); /* the line of q in the resolved file */
    clv_qtable *t = clv_qtable_alloc(2, 2, 0, &err);
    CHECK(t != NULL);
    if (t) {
        t->q[3] = NAN;
        const char *names[] = {"none", "10%"};
        fp = tmpfile();
        CHECK_INT(clv_qtable_write_csv(t, names, fp, &err), CLV_ENUMERIC);
        fclose(fp);
        CHECK_STR(err.field, "q_10%");
        CHECK_INT(err.line, 3);
        /* nor is such a table saved */
        snprintf(path, sizeof path, "%s/t.qtab", dir);
        CHECK_INT(clv_qtable_save(t, path, &err), CLV_ENUMERIC);
        snprintf(want, sizeof want, "%s: q: not a finite number (nan) at state 1, action 1; the table is not written",
                 path);
        CHECK_STR(clv_error_format(&err, buf, sizeof buf), want);
        CHECK(access(path, F_OK) != 0);
        clv_qtable_free(t);
    }
    /* nor a network with a non-finite parameter or a zero sd */
    clv_mlp_spec ms = {.n_in = 2, .hidden = {3}, .n_hidden = 1, .n_out = 1, .activation = CLV_ACT_RELU,
                       .precision = CLV_MLP_F64, .max_batch = 4};
    clv_mlp *m = clv_mlp_alloc(&ms, &err);
    CHECK(m != NULL);
    if (m) {
        clv_mlp_init(m, 5);
        double mean[2] = {0.5, -1.25}, sd[2] = {2, 0};
        snprintf(path, sizeof path, "%s/n.mlp", dir);
        CHECK_INT(clv_mlp_save(m, CLV_LOSS_MSE, mean, sd, NULL, NULL, path, &err), CLV_ENUMERIC);
        snprintf(want, sizeof want, "%s: the network's standardisation sd of input 2 is 0; a network is saved only "
                 "with finite values and standard deviations above 0", path);
        CHECK_STR(clv_error_format(&err, buf, sizeof buf), want);
        CHECK(access(path, F_OK) != 0);
        sd[1] = 1;
        double p[13];
        CHECK_INT(clv_mlp_n_params(m), 13);
        clv_mlp_get_params(m, p);
        p[7] = INFINITY;
        clv_mlp_set_params(m, p);
        CHECK_INT(clv_mlp_save(m, CLV_LOSS_MSE, mean, sd, NULL, NULL, path, &err), CLV_ENUMERIC);
        snprintf(want, sizeof want, "%s: the network's parameter 8 is inf; a network is saved only with finite values "
                 "and standard deviations above 0", path);
        CHECK_STR(clv_error_format(&err, buf, sizeof buf), want);
        CHECK(access(path, F_OK) != 0);
        clv_mlp_free(m);
    }
    snprintf(buf, sizeof buf, "rm -rf '%s'", dir);
    CHECK_INT(system(buf), 0);
}

TEST(test_bad_values_pareto_far_apart)
{
    /* log 2F1(a, b; a+1; z) near z = 1: mpmath (40 digits), where the series fails or crawls */
    static const double ref[][4] = {{1.16, 0.55, 0.999999, 0.8618441818019653991},
                                    {5.6, 2.6, 0.999999999, 34.409988346194202954},
                                    {0.3, 0.55, 0.99999, 0.36303009023491988121},
                                    {20.5, 40.5, 0.9999999, 636.00890249723262441}};
    for (size_t i = 0; i < 4; i++) {
        double l = NAN;
        CHECK_INT(clv__hyp2f1_a1_slow(ref[i][1], ref[i][2]), 1);
        CHECK_INT(clv__log_hyp2f1_a1(ref[i][0], ref[i][1], ref[i][2], &l, NULL, NULL, NULL), 0);
        CHECK_NEAR(l, ref[i][3], 1e-12 * (1 + fabs(ref[i][3])));
    }
    /* where the series still converges: the same values and derivatives (a and c = a + 1 together) */
    static const double both[][3] = {{1.16, 1.6, 0.999}, {5.6, 2.6, 0.9999}, {0.3, 0.55, 0.99}, {150.2, 3.5, 0.9995}};
    for (size_t i = 0; i < 4; i++) {
        const double a = both[i][0], b = both[i][1], z = both[i][2];
        double l1, da1, db1, dc1, dz1, l2 = NAN, da2 = NAN, db2 = NAN, dz2 = NAN;
        CHECK_INT(clv__log_hyp2f1(a, b, a + 1, z, &l1, &da1, &db1, &dc1, &dz1), 0);
        CHECK_INT(clv__log_hyp2f1_a1(a, b, z, &l2, &da2, &db2, &dz2), 0);
        CHECK_NEAR(l2, l1, 1e-12 * (1 + fabs(l1)));
        CHECK_NEAR(da2, da1 + dc1, 1e-8 * (1 + fabs(da1 + dc1)));
        CHECK_NEAR(db2, db1, 1e-8 * (1 + fabs(db1)));
        CHECK_NEAR(dz2, dz1, 1e-8 * (1 + fabs(dz1)));
    }
    /* the customers of a population whose dropout rates are near 0 next to
     * their purchase rates (beta 1e5 times alpha): finite, P(alive) in [0, 1] */
    const clv_pnbd_params p = {0.553, 1e-4, 0.606, 11.669}, q = {0.553, 10.578, 0.606, 1e-4};
    const double cases[][3] = {{0, 0, 39}, {1, 2.5, 39}, {7, 30.1, 39}, {0, 0, 0.3}};
    for (size_t i = 0; i < 4; i++) {
        for (int k = 0; k < 2; k++) {
            const clv_pnbd_params *pp = k ? &q : &p;
            const double pa = clv_pnbd_palive(pp, cases[i][0], cases[i][1], cases[i][2]);
            const double ex = clv_pnbd_expected(pp, 52, cases[i][0], cases[i][1], cases[i][2]);
            const double ll = clv_pnbd_ll1(pp, cases[i][0], cases[i][1], cases[i][2]);
            if (!(pa >= 0 && pa <= 1 && isfinite(ex) && ex >= 0 && isfinite(ll)))
                harness_fail(__FILE__, __LINE__, "case %zu, params %d: P(alive) %g, expected %g, ll %g", i, k, pa, ex,
                             ll);
        }
    }
}
