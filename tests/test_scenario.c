/* test_scenario.c - the scenario loader: defaults, good files with the right
 * values, every kind of bad file with its exact message, overrides, the
 * resolved writer's round trip, and the generated reference in the docs. */
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clvsim/clvsim.h"
#include "harness.h"

#define FIX "tests/fixtures/scenarios"

static int load(const char *path, clv_scenario *scn, clv_error *err)
{
    return clv_scn_load(path, NULL, 0, scn, err);
}

static void report_if_failed(int st, const clv_error *err)
{
    if (st != CLV_OK) {
        char buf[2048];
        harness_fail(__FILE__, __LINE__, "load failed: %s", clv_error_format(err, buf, sizeof buf));
    }
}

TEST(test_scenario_defaults)
{
    clv_scenario s;
    clv_error err;
    CHECK_INT(clv_scn_defaults(&s, &err), CLV_OK);
    /* published CDNOW parameters (Fader, Hardie and Lee 2005) */
    CHECK_NEAR(s.population.bgnbd.r, 0.243, 0);
    CHECK_NEAR(s.population.bgnbd.alpha, 4.414, 0);
    CHECK_NEAR(s.population.bgnbd.a, 0.793, 0);
    CHECK_NEAR(s.population.bgnbd.b, 2.426, 0);
    CHECK_NEAR(s.population.spend.gamma, 15.44, 0);
    CHECK_INT(s.population.model, CLV_MODEL_BGNBD);
    CHECK_INT(s.population.unit, CLV_UNIT_WEEK);
    CHECK_INT(s.calendar.horizon_days, 182);
    CHECK_INT(s.calendar.epoch_days, 7);
    CHECK_INT(s.seasonality.n_day_of_week, 7);
    CHECK_INT(s.interventions.n_prices, 1);
    CHECK_NEAR(s.interventions.prices[0], 1.0, 0);
    CHECK_INT(s.interventions.n_coupons, 2);
    CHECK_NEAR(s.interventions.coupons[1].discount, 0.2, 0);
    CHECK_INT(s.interventions.coupons[1].validity_days, 14);
    CHECK_NEAR(s.interventions.budget_total, -1, 0);
    CHECK_INT(s.ltv.n_hidden, 2);
    CHECK_INT(s.ltv.hidden[0], 32);
    CHECK_INT(s.agent.n_algorithms, 2);
    CHECK_INT(s.agent.algorithms[1], CLV_ALGO_SARSA);
    CHECK_INT(s.evaluation.n_policies, 8);
    CHECK_INT(s.scenario.seed, 1);
    /* the response model's documented defaults: a contact with no effect
     * until one is fitted, the meta-analysis' elasticity, the Complete
     * Journey redemption share, the dynamics off */
    CHECK_INT(s.response.contact_enabled, 1);
    CHECK_INT(s.response.n_contact, 0);
    CHECK_INT(s.response.contact_window_days, 14);
    CHECK_INT(clv_scn_contact_arms(&s, NULL), 0);
    CHECK_INT(clv_scn_contact_arm(&s, 0), -1);
    CHECK_NEAR(s.response.redeem_probability, 0.12, 0);
    CHECK_NEAR(s.response.elasticity_mean, -2.62, 0);
    CHECK_NEAR(s.response.elasticity_sd, 0.5, 0);
    CHECK_INT(s.response.carryover_enabled, 0);
    CHECK_INT(s.response.deal_enabled, 0);
    CHECK_INT(s.response.fatigue_enabled, 0);
    CHECK_STR(s.interventions.coupons[0].contact_arm, "");
}

TEST(test_scenario_minimal_file)
{
    clv_scenario s, d;
    clv_error err;
    int st = load(FIX "/good/minimal.cfg", &s, &err);
    report_if_failed(st, &err);
    /* the name defaults to the file name; the output directory to out/<name> */
    CHECK_STR(s.scenario.name, "minimal");
    CHECK_STR(s.output.dir, "out/minimal");
    /* everything else is the defaults */
    CHECK_INT(clv_scn_defaults(&d, &err), CLV_OK);
    CHECK_INT(s.calendar.horizon_days, d.calendar.horizon_days);
    CHECK(memcmp(&s.response, &d.response, sizeof d.response) == 0);
    CHECK(memcmp(&s.population, &d.population, sizeof d.population) == 0);
}

TEST(test_scenario_full_file)
{
    clv_scenario s;
    clv_error err;
    int st = load(FIX "/good/full.cfg", &s, &err);
    report_if_failed(st, &err);
    CHECK_STR(s.scenario.name, "full");
    CHECK_STR(s.scenario.description, "all types");
    CHECK(s.scenario.seed == 9007199254740993LL); /* 2^53 + 1: kept exactly */
    /* from the @include'd block */
    CHECK_INT(s.population.model, CLV_MODEL_PARETO);
    CHECK_INT(s.population.unit, CLV_UNIT_DAY);
    CHECK_NEAR(s.population.pareto.beta, 81.7, 0);
    CHECK_INT(s.population.customers, 2500);
    CHECK_INT(s.population.burn_in_days, 0);
    /* untouched groups keep their defaults */
    CHECK_NEAR(s.population.bgnbd.alpha, 4.414, 0);
    /* a relative path, resolved against the scenario's directory */
    char *abs = realpath("tests/fixtures/data/tiny.csv", NULL);
    CHECK_STR(s.data.transactions, abs);
    free(abs);
    CHECK_INT(s.data.delimiter, CLV_DELIM_COMMA);
    CHECK_INT(s.data.header, CLV_HEADER_YES);
    CHECK_STR(s.data.calibration_end, "1997-09-30");
    CHECK_INT(s.calendar.epoch_days, 1);
    CHECK_NEAR(s.seasonality.day_of_week[5], 1.4, 0);
    CHECK_INT(s.seasonality.n_windows, 2);
    CHECK_STR(s.seasonality.windows[0].start, "black-friday-1");
    CHECK_NEAR(s.seasonality.windows[0].purchase_multiplier, 2.0, 0); /* integer accepted as a number */
    CHECK_NEAR(s.seasonality.windows[0].acquisition_multiplier, 1.0, 0); /* element default */
    CHECK_NEAR(s.seasonality.windows[1].acquisition_multiplier, 0.0, 0);
    CHECK_INT(s.lifecycle.active_days, 30);
    CHECK_INT(s.interventions.n_coupons, 2);
    CHECK_STR(s.interventions.coupons[1].name, "big");
    CHECK_INT(s.interventions.coupons[0].validity_days, 14);
    CHECK_INT(s.interventions.coupons[1].validity_days, 3);
    CHECK_NEAR(s.interventions.coupons[1].redemption_cost, 0.5, 0);
    CHECK_INT(s.interventions.n_prices, 3);
    CHECK_NEAR(s.interventions.budget_per_epoch, 250, 0);
    /* the contact effects: rows in file order, element defaults, the arms in
     * the order of their first rows, each coupon's arm */
    CHECK_INT(s.response.n_contact, 4);
    CHECK_STR(s.response.contact[0].arm, "Mens");
    CHECK_INT(s.response.contact[0].covariate, CLV_CONTACT_ALL);
    CHECK_NEAR(s.response.contact[0].ratio_hi, 2.1, 0);
    CHECK_INT(s.response.contact[0].customers, 42000);
    CHECK_INT(s.response.contact[1].covariate, CLV_CONTACT_RECENCY);
    CHECK_NEAR(s.response.contact[1].upper, 90, 0);
    CHECK_NEAR(s.response.contact[2].upper, -1, 0); /* element default: unbounded */
    CHECK_NEAR(s.response.contact[2].factor, 0.7, 0);
    CHECK_STR(s.response.contact[3].level, "all"); /* element default */
    const char *arms[CLV_MAX_CONTACT_EFFECTS];
    CHECK_INT(clv_scn_contact_arms(&s, arms), 2);
    CHECK_STR(arms[0], "Mens");
    CHECK_STR(arms[1], "Womens");
    CHECK_INT(clv_scn_contact_arm(&s, 0), 0); /* contact_arm "": the first arm */
    CHECK_INT(clv_scn_contact_arm(&s, 1), 1);
    CHECK_INT(s.response.carryover_enabled, 1);
    CHECK_NEAR(s.response.carryover_share, 0.2, 0);
    CHECK_NEAR(s.response.carryover_half_life_days, 14, 0);
    CHECK_INT(s.response.fatigue_enabled, 0);
    CHECK_INT(s.response.deal_enabled, 1);
    CHECK_INT(s.ltv.n_hidden, 3);
    CHECK_INT(s.ltv.hidden[2], 8);
    CHECK_INT(s.ltv.loss, CLV_LOSS_MSE);
    CHECK_INT(s.agent.n_algorithms, 1);
    CHECK_INT(s.agent.algorithms[0], CLV_ALGO_EXPECTED_SARSA);
    CHECK_INT(s.agent.n_bins_coupon_age_days, 3);
    CHECK_INT(s.agent.bins_coupon_age_days[2], 60);
    CHECK_INT(s.evaluation.n_policies, 4);
    CHECK_INT(s.evaluation.policies[3], CLV_POLICY_ORACLE);
    CHECK_INT(s.evaluation.rfm_coupon, 2);
    CHECK_NEAR(s.evaluation.ltv_quantile, 0.9, 0);
    CHECK_INT(s.run.threads, 2);
    CHECK_NEAR(s.run.scale, 0.5, 0);
    CHECK_STR(clv_scn_enum_name("evaluation.policies", CLV_POLICY_LTV_THRESHOLD), "ltv-threshold");
    CHECK(clv_scn_enum_name("evaluation.policies", 99) == NULL);
    CHECK(clv_scn_enum_name("no.such.key", 0) == NULL);
}

TEST(test_scenario_shipped_files)
{
    const char *files[] = {"scenarios/holiday.cfg", "scenarios/baseline.cfg", "scenarios/tight-budget.cfg"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        clv_scenario s;
        clv_error err;
        int st = load(files[i], &s, &err);
        report_if_failed(st, &err);
        CHECK(s.interventions.n_coupons >= 1);
    }
    clv_scenario h;
    clv_error err;
    load("scenarios/holiday.cfg", &h, &err);
    CHECK_STR(h.scenario.name, "holiday");
    CHECK_INT(h.seasonality.n_windows, 2);
    CHECK_STR(h.seasonality.windows[0].start, "black-friday");
}

/* each bad fixture's first line is "# expect: MESSAGE", {DIR} standing for
 * the directory; loading must fail with exactly that message */
TEST(test_scenario_bad_files)
{
    const char *dir = FIX "/bad";
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    if (!d)
        return;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 4, ".cfg") != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        char *text = harness_read_file(path);
        if (!text || strncmp(text, "# expect: ", 10) != 0) {
            harness_fail(__FILE__, __LINE__, "%s: no '# expect: ' first line", path);
            free(text);
            continue;
        }
        /* the expectation with {DIR} replaced */
        char expect[2048] = "";
        const char *p = text + 10, *eol = strchr(p, '\n');
        while (p < eol) {
            if (strncmp(p, "{DIR}", 5) == 0) {
                strncat(expect, dir, sizeof expect - strlen(expect) - 1);
                p += 5;
            } else {
                size_t l = strlen(expect);
                if (l + 1 < sizeof expect) {
                    expect[l] = *p;
                    expect[l + 1] = '\0';
                }
                p++;
            }
        }
        free(text);
        clv_scenario s;
        clv_error err;
        int st = load(path, &s, &err);
        char got[2048];
        clv_error_format(&err, got, sizeof got);
        if (st != CLV_EINPUT)
            harness_fail(__FILE__, __LINE__, "%s: status %d, expected CLV_EINPUT", path, st);
        else if (strcmp(got, expect) != 0)
            harness_fail(__FILE__, __LINE__, "%s\n      got:      %s\n      expected: %s", path, got, expect);
        n++;
    }
    closedir(d);
    /* the fixtures cover every kind of error; fewer means some went missing */
    CHECK(n >= 47);
}

/* the price coherence check against the closed form of a constant
 * elasticity e and unit cost c = 1 - margin: the margin E[P^e] (P - c) is
 * highest at P = e c / (1 + e) */
TEST(test_scenario_price_check)
{
    clv_scenario s;
    clv_error err;
    CHECK_INT(clv_scn_defaults(&s, &err), CLV_OK);
    s.economics.margin_rate = 0.3;
    s.response.elasticity_sd = 0;
    clv_price_check pc;
    char buf[2048];
    /* the Lerner elasticity -1 / 0.3: the list price is optimal */
    s.response.elasticity_mean = -3.333;
    clv_scn_price_check(&s, &pc);
    CHECK_INT(pc.checked, 1);
    CHECK_NEAR(pc.best_price, 1.0, 5e-4);
    CHECK_NEAR(pc.gain, 0, 1e-6);
    CHECK_NEAR(pc.lerner_elasticity, -1 / 0.3, 1e-12);
    CHECK_INT(pc.far, 0);
    clv_scn_price_warning(&s, &pc, buf, sizeof buf);
    CHECK_STR(buf, "");
    /* the meta-analysis' mean -2.62: the optimum 0.7 x 2.62 / 1.62 = 1.132 x
     * list, and the gain P^e (P - 0.7) / 0.3 - 1 there */
    s.response.elasticity_mean = -2.62;
    clv_scn_price_check(&s, &pc);
    const double best = 0.7 * 2.62 / 1.62, gain = pow(best, -2.62) * (best - 0.7) / 0.3 - 1;
    CHECK_NEAR(pc.best_price, best, 5e-4);
    CHECK_NEAR(pc.gain, gain, 1e-6);
    CHECK(gain > 0.01);
    CHECK_INT(pc.far, 1);
    clv_scn_price_warning(&s, &pc, buf, sizeof buf);
    CHECK(strstr(buf, "margin is highest at 1.13 x list") != NULL);
    /* a spread across customers: without the truncation at 0 (10 sd away)
     * E[P^e] = P^mean exp(sd^2 ln(P)^2 / 2), so the optimum solves
     * (mean + sd^2 ln P) / P + 1 / (P - 0.7) = 0, found here by bisection */
    s.response.elasticity_mean = -2.0, s.response.elasticity_sd = 0.2;
    clv_scn_price_check(&s, &pc);
    double lo = 0.71, hi = 5;
    for (int k = 0; k < 100; k++) {
        const double P = 0.5 * (lo + hi), g = (-2.0 + 0.04 * log(P)) / P + 1 / (P - 0.7);
        if (g > 0)
            lo = P;
        else
            hi = P;
    }
    CHECK_NEAR(pc.best_price, lo, 1e-3);
    CHECK(lo > 1.3); /* not the constant elasticity's 1.4: the spread moves it */
    CHECK(fabs(lo - 1.4) > 2e-3);
    CHECK_INT(pc.far, 1);
    /* no price response, nothing to check */
    s.response.price_enabled = 0;
    clv_scn_price_check(&s, &pc);
    CHECK_INT(pc.checked, 0);
    CHECK_INT(pc.far, 0);
}

TEST(test_scenario_missing_file)
{
    clv_scenario s;
    clv_error err;
    CHECK_INT(load(FIX "/no-such.cfg", &s, &err), CLV_EINPUT);
    char buf[512];
    CHECK_STR(clv_error_format(&err, buf, sizeof buf),
              FIX "/no-such.cfg: cannot open scenario: No such file or directory");
}

TEST(test_scenario_overrides)
{
    clv_scenario s;
    clv_error err;
    char buf[1024];
    clv_scn_override ov[] = {
        {"calendar.horizon_days", "90", NULL},
        {"scenario.seed", "3000000000", "--seed"}, /* beyond 32 bits, no L needed */
        {"population.model", "pareto", NULL},      /* quotes optional */
        {"interventions.prices", "[0.9, 1.0, 1.1]", NULL},
        {"output.dir", "/tmp/x y", "--output"},
        {"interventions.coupons", "({ name = \"a\"; discount = 0.2; })", NULL},
    };
    int st = clv_scn_load("scenarios/baseline.cfg", ov, sizeof ov / sizeof ov[0], &s, &err);
    report_if_failed(st, &err);
    CHECK_INT(s.calendar.horizon_days, 90);
    CHECK(s.scenario.seed == 3000000000LL);
    CHECK_INT(s.population.model, CLV_MODEL_PARETO);
    CHECK_INT(s.interventions.n_prices, 3);
    CHECK_STR(s.output.dir, "/tmp/x y");
    CHECK_INT(s.interventions.n_coupons, 1);

    static const struct { clv_scn_override ov; const char *msg; } bad[] = {
        {{"calendar.horizon_days", "0", NULL}, "--set: calendar.horizon_days: expected an integer in [1, 3650], got 0"},
        {{"calendar.horizon_dayz", "9", NULL},
         "--set: calendar.horizon_dayz: unknown key; see scenarios/README.md or 'clvsim check --reference' for the keys"},
        {{"calendar", "9", NULL},
         "--set: calendar: is a group; set one of its keys; see scenarios/README.md or 'clvsim check --reference' for the keys"},
        {{"scenario.seed", "-5", "--seed"}, "--seed: scenario.seed: expected an integer in [0, 9223372036854775807], got -5"},
        {{"run.threads", "two", "--threads"},
         "--threads: run.threads: cannot read the value 'two' (syntax error); write it as in a scenario file, e.g. 90, 0.5, true, \"text\" or [1.0, 0.9]"},
        {{"run.threads", "5000000000", "--threads"},
         "--threads: run.threads: integer 5000000000 is too large for a plain integer, which libconfig reads in 32 bits; write it with an L suffix (5000000000L) for a 64-bit integer"},
        {{"population.model", "gamma", NULL}, "--set: population.model: expected one of \"bgnbd\", \"pareto\", got \"gamma\""},
        /* a cross-key check names the override that broke it */
        {{"lifecycle.churned_days", "10", NULL},
         "--set: lifecycle.churned_days: expected churned_days > active_days (90), got 10"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        st = clv_scn_load("scenarios/baseline.cfg", &bad[i].ov, 1, &s, &err);
        CHECK_INT(st, CLV_EINPUT);
        CHECK_STR(clv_error_format(&err, buf, sizeof buf), bad[i].msg);
    }
}

/* the resolved text loads back to the same scenario and the same text */
TEST(test_scenario_write_round_trip)
{
    const char *files[] = {FIX "/good/full.cfg", "scenarios/holiday.cfg"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        clv_scenario a, b;
        clv_error err;
        int st = load(files[i], &a, &err);
        report_if_failed(st, &err);
        char tmp[] = "/tmp/clvsim-resolved-XXXXXX";
        int fd = mkstemp(tmp);
        FILE *fp = fdopen(fd, "w");
        CHECK_INT(clv_scn_write(&a, fp, &err), CLV_OK);
        fclose(fp);
        st = load(tmp, &b, &err);
        report_if_failed(st, &err);
        /* equal field by field (the source names differ, and the resolved
         * file has every key of its own: no bases, only their comment) */
        memcpy(b.source, a.source, sizeof b.source);
        CHECK_INT(b.origin.n_bases, 0);
        memcpy(&b.origin, &a.origin, sizeof b.origin);
        CHECK(memcmp(&a.scenario, &b.scenario, sizeof a.scenario) == 0);
        CHECK(memcmp(&a.data, &b.data, sizeof a.data) == 0);
        CHECK(memcmp(&a.population, &b.population, sizeof a.population) == 0);
        CHECK(memcmp(&a.seasonality, &b.seasonality, sizeof a.seasonality) == 0);
        CHECK(memcmp(&a.interventions, &b.interventions, sizeof a.interventions) == 0);
        CHECK(memcmp(&a.response, &b.response, sizeof a.response) == 0);
        CHECK(memcmp(&a.ltv, &b.ltv, sizeof a.ltv) == 0);
        CHECK(memcmp(&a.agent, &b.agent, sizeof a.agent) == 0);
        CHECK(memcmp(&a.evaluation, &b.evaluation, sizeof a.evaluation) == 0);
        CHECK(memcmp(&a.output, &b.output, sizeof a.output) == 0);
        CHECK(memcmp(&a.run, &b.run, sizeof a.run) == 0);
        CHECK(memcmp(&a, &b, sizeof a) == 0);
        unlink(tmp);
    }
}

/* a file in the test's directory */
static void put_file(const char *dir, const char *name, const char *text)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    CHECK(f != NULL);
    if (f)
        fputs(text, f), fclose(f);
}

/* A scenario built on a base: a section of the including file overrides
 * the same section of the @include'd base key by key (a list as a whole),
 * the resolved scenario says what came from where, and errors name the
 * file that holds the bad value, with its line. */
TEST(test_scenario_include_override)
{
    char dir[] = "/tmp/clvsim-override-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    put_file(dir, "base.cfg",
             "scenario = { name = \"base\"; seed = 5; };\n"
             "population = { customers = 1000; burn_in_days = 100;\n"
             "  bgnbd = { r = 0.25; alpha = 4.0; a = 0.7; b = 2.0; }; };\n"
             "interventions = { coupons = ( { name = \"a\"; discount = 0.1; }, { name = \"b\"; discount = 0.2; } ); };\n");
    put_file(dir, "more.cfg", "population = { burn_in_days = 50; };\nevaluation = { replications = 4; };\n");
    put_file(dir, "mine.cfg",
             "# built on two bases\n"
             "@include \"base.cfg\"\n"
             "@include \"more.cfg\"   # a later base over an earlier one\n"
             "population = {\n"
             "  customers = 300;\n"
             "  bgnbd = { r = 0.5; alpha = 4.0; a = 0.7; b = 2.0; };\n"
             "};\n"
             "interventions = { coupons = ( { name = \"c\"; discount = 0.3; } ); };\n");
    char path[600];
    snprintf(path, sizeof path, "%s/mine.cfg", dir);
    clv_scenario s;
    clv_error err;
    int st = load(path, &s, &err);
    report_if_failed(st, &err);
    if (st == CLV_OK) {
        CHECK_INT(s.population.customers, 300);        /* the file over the base */
        CHECK_NEAR(s.population.bgnbd.r, 0.5, 0);
        CHECK_INT(s.population.burn_in_days, 50);      /* more.cfg over base.cfg */
        CHECK_INT(s.evaluation.replications, 4);       /* only in more.cfg */
        CHECK(s.scenario.seed == 5);                   /* only in base.cfg */
        CHECK_STR(s.scenario.name, "base");
        CHECK_INT(s.interventions.n_coupons, 1);       /* a list is replaced whole */
        CHECK_STR(s.interventions.coupons[0].name, "c");
        CHECK_INT(s.origin.n_bases, 2);
        CHECK_STR(s.origin.bases[0], "base.cfg");
        CHECK_STR(s.origin.bases[1], "more.cfg");
        /* customers, the four bgnbd keys and the coupon list over base.cfg;
         * burn_in_days of more.cfg over base.cfg */
        CHECK_INT(s.origin.n_keys, 7);
        int seen = 0;
        for (int k = 0; k < s.origin.n_keys && k < CLV_SCN_MAX_ORIGINS; k++) {
            const clv_scn_origin_key *o = &s.origin.keys[k];
            if (strcmp(o->key, "population.customers") == 0) {
                seen++;
                CHECK(o->from == -1 && o->line == 5 && o->over == 0);
            } else if (strcmp(o->key, "population.burn_in_days") == 0) {
                seen++;
                CHECK(o->from == 1 && o->line == 1 && o->over == 0);
            }
        }
        CHECK_INT(seen, 2);
        char *text = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&text, &len);
        CHECK(mem != NULL);
        if (mem) {
            CHECK_INT(clv_scn_write(&s, mem, &err), CLV_OK);
            fclose(mem);
            char want[700];
            snprintf(want, sizeof want, "#   population.customers from %s:5, over base.cfg\n", path);
            CHECK(text && strstr(text, "# built on base.cfg, more.cfg (@include") && strstr(text, want) &&
                  strstr(text, "#   population.burn_in_days from more.cfg:1, over base.cfg\n"));
        }
        free(text);
    }
    /* a bad value in the including file: its file and line */
    put_file(dir, "bad1.cfg", "@include \"base.cfg\"\n\npopulation = { customers = -3; };\n");
    snprintf(path, sizeof path, "%s/bad1.cfg", dir);
    CHECK_INT(load(path, &s, &err), CLV_EINPUT);
    CHECK_STR(err.file, path);
    CHECK_INT(err.line, 3);
    CHECK_STR(err.field, "population.customers");
    /* a bad value in the base: the base's file and line */
    put_file(dir, "base2.cfg", "scenario = { name = \"x\"; };\ncalendar = { epoch_days = 0; };\n");
    put_file(dir, "bad2.cfg", "@include \"base2.cfg\"\nscenario = { seed = 3; };\n");
    snprintf(path, sizeof path, "%s/bad2.cfg", dir);
    CHECK_INT(load(path, &s, &err), CLV_EINPUT);
    char want[600];
    snprintf(want, sizeof want, "%s/base2.cfg", dir);
    CHECK_STR(err.file, want);
    CHECK_INT(err.line, 2);
    CHECK_STR(err.field, "calendar.epoch_days");
    /* an unknown key in the including file */
    put_file(dir, "bad3.cfg", "@include \"base.cfg\"\npopulation = { custmers = 3; };\n");
    snprintf(path, sizeof path, "%s/bad3.cfg", dir);
    CHECK_INT(load(path, &s, &err), CLV_EINPUT);
    CHECK_STR(err.file, path);
    CHECK_INT(err.line, 2);
    /* a parameter group stays all or nothing across the files: the base's
     * four keys complete the file's one */
    put_file(dir, "part.cfg", "@include \"base.cfg\"\npopulation = { bgnbd = { r = 0.4; }; };\n");
    snprintf(path, sizeof path, "%s/part.cfg", dir);
    st = load(path, &s, &err);
    report_if_failed(st, &err);
    CHECK_NEAR(s.population.bgnbd.r, 0.4, 0);
    CHECK_NEAR(s.population.bgnbd.alpha, 4.0, 0);
    CHECK_INT(harness_rm_rf(dir), 0);
}

/* Interventions out of scale with the population's spend: none for
 * holiday.cfg (CDNOW baskets of $35.83); its coupon caps beside baskets of
 * 416 (UCI size) cap every discount below half; a contact cost of 5 against
 * a margin of 10.8 per purchase; a budget below one coupon's commitment;
 * no check without a finite mean (q <= 1). */
TEST(test_scenario_scale_warnings)
{
    clv_scenario s;
    clv_error err;
    CHECK_INT(clv_scn_load("scenarios/holiday.cfg", NULL, 0, &s, &err), CLV_OK);
    char w[4096];
    CHECK_INT(clv_scn_scale_warnings(&s, w, sizeof w), 0);
    CHECK_STR(w, "");
    clv_scenario u = s;
    u.population.spend.gamma = 174; /* mean 6.27536 x 174 / 2.62445 = 416.05 */
    CHECK_INT(clv_scn_scale_warnings(&u, w, sizeof w), 3);
    CHECK(strstr(w, "coupon \"10%\": max_value 10 USD caps its 10% discount at 2.4% of the population's mean "
                    "basket (416.05 USD") != NULL);
    CHECK(strstr(w, "coupon \"30%\": max_value 20 USD caps its 30% discount at 4.8%") != NULL);
    u = s;
    u.interventions.coupons[1].contact_cost = 5; /* margin 0.3 x 35.83 = 10.75 */
    CHECK_INT(clv_scn_scale_warnings(&u, w, sizeof w), 1);
    CHECK(strstr(w, "coupon \"20%\": contact_cost 5 USD is more than a quarter of the gross margin of a mean "
                    "purchase (10.75 USD") != NULL);
    u = s;
    u.interventions.budget_per_epoch = 10; /* the least commitment: 0.05 + 0 + 10 */
    CHECK_INT(clv_scn_scale_warnings(&u, w, sizeof w), 1);
    CHECK(strstr(w, "no coupon can ever be sent") != NULL);
    u.interventions.budget_per_epoch = 10.05;
    CHECK_INT(clv_scn_scale_warnings(&u, w, sizeof w), 0);
    u = s;
    u.population.spend.q = 1;
    u.population.spend.gamma = 1e6;
    CHECK_INT(clv_scn_scale_warnings(&u, w, sizeof w), 0);
    /* a short buffer is cut, never overrun, and the count is still right */
    u = s;
    u.population.spend.gamma = 174;
    char tiny[16];
    CHECK_INT(clv_scn_scale_warnings(&u, tiny, sizeof tiny), 3);
    CHECK(strlen(tiny) < sizeof tiny);
}

/* scenarios/README.md carries exactly the reference the code generates */
TEST(test_scenario_reference_matches_docs)
{
    char *readme = harness_read_file("scenarios/README.md");
    CHECK(readme != NULL);
    if (!readme)
        return;
    char *ref = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&ref, &len);
    clv_error err;
    CHECK_INT(clv_scn_write_reference(fp, &err), CLV_OK);
    fclose(fp);
    const char *begin = strstr(readme, "<!-- BEGIN GENERATED REFERENCE");
    const char *end = strstr(readme, "<!-- END GENERATED REFERENCE");
    CHECK(begin && end);
    if (begin && end) {
        begin = strchr(begin, '\n') + 1;
        size_t n = (size_t)(end - begin);
        if (n != len || memcmp(begin, ref, len) != 0)
            harness_fail(__FILE__, __LINE__, "scenarios/README.md's reference is out of date: run 'make reference'");
    }
    /* every section of the schema is documented */
    CHECK(strstr(ref, "### `response`") != NULL);
    CHECK(strstr(ref, "`interventions.coupons[i].discount`") != NULL);
    free(ref);
    free(readme);
}

/* Some keys as text and back (clv_scn_keys_text, clv_scn_read_keys): a
 * real, a 64-bit integer, a string with a quote and a backslash, a bool and
 * an enum give back the same values; a group, a list or an unknown key is
 * refused in both directions; a text that does not fit is refused. */
TEST(test_scenario_keys_text)
{
    clv_scenario a, b;
    clv_error err;
    CHECK_INT(clv_scn_defaults(&a, &err), CLV_OK);
    CHECK_INT(clv_scn_defaults(&b, &err), CLV_OK);
    a.economics.margin_rate = 0.123456789012345;
    a.scenario.seed = 9007199254740993LL;
    snprintf(a.economics.currency, sizeof a.economics.currency, "G\"B\\P");
    a.data.skip_malformed = 1;
    a.data.unit = CLV_UNIT_DAY;
    const char *const keys[] = {"economics.margin_rate", "scenario.seed", "economics.currency",
                                "data.skip_malformed", "data.unit"};
    char text[1000];
    CHECK_INT(clv_scn_keys_text(&a, keys, 5, text, sizeof text, &err), CLV_OK);
    CHECK_STR(text, "economics.margin_rate = 0.123456789012345\nscenario.seed = 9007199254740993L\n"
                    "economics.currency = \"G\\\"B\\\\P\"\ndata.skip_malformed = true\ndata.unit = \"day\"\n");
    CHECK_INT(clv_scn_read_keys(&b, text, NULL, 0, "t", &err), CLV_OK);
    CHECK(b.economics.margin_rate == a.economics.margin_rate && b.scenario.seed == a.scenario.seed);
    CHECK_STR(b.economics.currency, a.economics.currency);
    CHECK(b.data.skip_malformed == 1 && b.data.unit == CLV_UNIT_DAY);
    /* what is not one value */
    const char *const group[] = {"economics"}, *const list[] = {"interventions.coupons"}, *const none[] = {"x.y"};
    CHECK_INT(clv_scn_keys_text(&a, group, 1, text, sizeof text, &err), CLV_EINPUT);
    CHECK_STR(err.field, "economics");
    CHECK_INT(clv_scn_keys_text(&a, list, 1, text, sizeof text, &err), CLV_EINPUT);
    CHECK_INT(clv_scn_keys_text(&a, none, 1, text, sizeof text, &err), CLV_EINPUT);
    CHECK_STR(err.msg, "unknown key; expected a key with a value that is not a list");
    CHECK_INT(clv_scn_keys_text(&a, keys, 5, text, 40, &err), CLV_EINPUT);
    CHECK_STR(text, "");
    CHECK_INT(clv_scn_read_keys(&b, "economics = 1\n", NULL, 0, "t", &err), CLV_EINPUT);
    CHECK_INT(err.line, 1);
    CHECK_INT(clv_scn_read_keys(&b, "\n# c\nx.y = 1\n", NULL, 0, "t", &err), CLV_EINPUT);
    CHECK_INT(err.line, 3);
    CHECK_STR(err.file, "t");
    CHECK_STR(err.field, "x.y");
    /* the checks across keys: two columns the same */
    CHECK_INT(clv_scn_read_keys(&b, "data.customer_column = 2\n", NULL, 0, "t", &err), CLV_EINPUT);
    CHECK_STR(err.field, "data.date_column");
}

/* A scenario by name (clv_scn_find): a path is taken as it is; a name is
 * NAME.cfg in the directories of $CLVSIM_SCENARIO_PATH first, then the
 * shipped ones (the source tree's scenarios/ for this build); an unknown
 * name says which names exist and where it looked. */
TEST(test_scenario_find_by_name)
{
    char dir[] = "/tmp/clvsim-find-XXXXXX", other[] = "/tmp/clvsim-find2-XXXXXX";
    CHECK(mkdtemp(dir) != NULL && mkdtemp(other) != NULL);
    put_file(dir, "mine.cfg", "scenario = { name = \"mine\"; };\n");
    put_file(other, "holiday.cfg", "scenario = { name = \"shadow\"; };\n");
    put_file(other, "notes.txt", "not a scenario\n");
    const char *saved = getenv("CLVSIM_SCENARIO_PATH");
    char keep[4096] = "";
    if (saved)
        snprintf(keep, sizeof keep, "%s", saved);
    unsetenv("CLVSIM_SCENARIO_PATH");

    char buf[1024], want[1100];
    clv_error err;
    /* paths as they are, whether or not the file exists */
    CHECK_INT(clv_scn_find("scenarios/holiday.cfg", buf, sizeof buf, &err), CLV_OK);
    CHECK_STR(buf, "scenarios/holiday.cfg");
    CHECK_INT(clv_scn_find("nosuch.cfg", buf, sizeof buf, &err), CLV_OK);
    CHECK_STR(buf, "nosuch.cfg");
    /* the shipped holiday, which loads */
    CHECK_INT(clv_scn_find("holiday", buf, sizeof buf, &err), CLV_OK);
    CHECK(strstr(buf, "/scenarios/holiday.cfg") != NULL);
    clv_scenario s;
    CHECK_INT(load(buf, &s, &err), CLV_OK);
    CHECK_STR(s.scenario.name, "holiday");
    /* the environment's directories first, in their order; empty entries skipped */
    char env[200];
    snprintf(env, sizeof env, "::%s:%s:", dir, other);
    setenv("CLVSIM_SCENARIO_PATH", env, 1);
    CHECK_INT(clv_scn_find("mine", buf, sizeof buf, &err), CLV_OK);
    snprintf(want, sizeof want, "%s/mine.cfg", dir);
    CHECK_STR(buf, want);
    CHECK_INT(clv_scn_find("holiday", buf, sizeof buf, &err), CLV_OK);
    snprintf(want, sizeof want, "%s/holiday.cfg", other);
    CHECK_STR(buf, want);
    /* an unknown name: every name found, sorted once, and every directory */
    CHECK_INT(clv_scn_find("nosuch", buf, sizeof buf, &err), CLV_EINPUT);
    CHECK_INT(err.code, CLV_EINPUT);
    CHECK(strstr(err.msg, "no scenario named \"nosuch\"; the names available are baseline, cdnow-ltv, holiday, "
                          "mine, tight-budget (") != NULL);
    snprintf(want, sizeof want, "No nosuch.cfg in %s ($CLVSIM_SCENARIO_PATH), %s ($CLVSIM_SCENARIO_PATH), ", dir,
             other);
    CHECK(strstr(err.msg, want) != NULL);
    CHECK(strstr(err.msg, "scenarios (source tree)") != NULL);
    /* a directory named like a scenario is not one */
    char sub[1100];
    snprintf(sub, sizeof sub, "%s/dir.cfg", dir);
    CHECK_INT(mkdir(sub, 0700), 0);
    CHECK_INT(clv_scn_find("dir", buf, sizeof buf, &err), CLV_EINPUT);
    /* an empty or overlong name, a result that does not fit */
    CHECK_INT(clv_scn_find("", buf, sizeof buf, &err), CLV_EINPUT);
    CHECK(strstr(err.msg, "empty scenario name") != NULL);
    char longname[200];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    CHECK_INT(clv_scn_find(longname, buf, sizeof buf, &err), CLV_EINPUT);
    CHECK(strstr(err.msg, "scenario name longer than 63 characters") != NULL);
    CHECK_INT(clv_scn_find("mine", buf, 8, &err), CLV_EINPUT);
    CHECK(strstr(err.msg, "is longer than 7 characters") != NULL);

    if (saved)
        setenv("CLVSIM_SCENARIO_PATH", keep, 1);
    else
        unsetenv("CLVSIM_SCENARIO_PATH");
    CHECK_INT(harness_rm_rf(dir), 0);
    CHECK_INT(harness_rm_rf(other), 0);
}
