/* test_bounds.c - the clairvoyant yardstick: at least as good as every
 * fixed policy on the shipped scenarios, the known answer on worlds built
 * so that it is known, and independent of the thread count. */
#include <stdlib.h>
#include <string.h>

#include "clvsim/evaluate.h"
#include "clvsim/policy.h"
#include "clvsim/report.h"
#include "clvsim/sim.h"
#include "clvsim/study.h"
#include "harness.h"
#include "worlds/known_worlds.h"

/* make the policy called name (fixed rules through clv_policy_fixed, the
 * clairvoyant through its entry) with `threads` workers */
static int make_policy(const clv_scenario *scn, const char *name, int threads, clv_policy *p)
{
    clv_error err;
    int level = 0;
    const clv_policy_type *t = clv_policy_type_named(name, &level);
    int st = !t                          ? CLV_EINPUT
             : t->how == CLV_PK_BOUND    ? t->make(scn, &(clv_policy_args){.name = name, .seed = 1, .level = level, .threads = threads}, p, &err)
                                         : clv_policy_fixed(scn, name, (uint64_t)scn->scenario.seed, p, &err);
    if (st != CLV_OK)
        harness_fail(__FILE__, __LINE__, "policy %s: %s", name, t ? err.msg : "unknown");
    return st;
}

/* evaluate names[0..n) (the clairvoyant last) and check that the
 * clairvoyant's mean net margin, paired by replication, is above every
 * other's (strict: significantly, the lower end of the 95% interval above
 * 0, for names[1..]); returns the lower end of its paired difference over
 * the first (none) */
static double clairvoyant_above_all(const clv_scenario *scn, const char *const *names, size_t n, const char *what,
                                    int strict)
{
    clv_policy pol[16];
    memset(pol, 0, sizeof pol);
    size_t made = 0;
    double over_none = NAN;
    CHECK(n <= sizeof pol / sizeof *pol);
    for (; made < n && made < sizeof pol / sizeof *pol; made++)
        if (make_policy(scn, names[made], 2, &pol[made]) != CLV_OK)
            goto done;
    clv_evaluation ev;
    clv_error err;
    const clv_eval_opts eo = {2, NULL, 0, 0};
    if (clv_evaluate(scn, pol, made, &eo, &ev, &err) != CLV_OK) {
        harness_fail(__FILE__, __LINE__, "%s: %s", what, err.msg);
        goto done;
    }
    for (size_t p = 0; p + 1 < n; p++) {
        clv_interval d;
        clv_eval_paired(&ev, n - 1, p, CLV_M_NET_MARGIN, 0.95, &d);
        if (!(d.mean > 0))
            harness_fail(__FILE__, __LINE__, "%s: the clairvoyant's net margin is %g against %s's (paired mean)", what,
                         d.mean, names[p]);
        if (p == 0)
            over_none = d.lo;
        if (strict && p > 0 && !(d.lo > 0))
            harness_fail(__FILE__, __LINE__, "%s: the clairvoyant over %s: %g [%g, %g], expected significantly above",
                         what, names[p], d.mean, d.lo, d.hi);
    }
    clv_evaluation_free(&ev);
done:
    for (size_t p = 0; p < made; p++)
        clv_policy_free(&pol[p]);
    return over_none;
}

/* On the shipped scenarios (a twentieth of their customers, 3 replications),
 * the clairvoyant beats none, every blanket coupon, both price steps,
 * random, rfm and ltv-threshold, and none significantly. */
TEST(test_bounds_clairvoyant_shipped)
{
    static const char *const files[] = {"scenarios/holiday.cfg", "scenarios/baseline.cfg",
                                         "scenarios/tight-budget.cfg"};
    static const char *const names[] = {"none", "blanket-1", "blanket-2", "blanket-3", "price-up", "price-down",
                                        "random", "rfm", "ltv-threshold", "clairvoyant"};
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        clv_scenario scn;
        clv_error err;
        if (clv_scn_load(files[f], NULL, 0, &scn, &err) != CLV_OK) {
            harness_fail(__FILE__, __LINE__, "%s", err.msg);
            continue;
        }
        scn.run.scale = 0.05;
        scn.evaluation.replications = 3;
        CHECK(scn.interventions.n_coupons == 3);
        const double lo = clairvoyant_above_all(&scn, names, sizeof names / sizeof *names, files[f], 0);
        if (!(lo > 0))
            harness_fail(__FILE__, __LINE__, "%s: the clairvoyant over none, lower end %g", files[f], lo);
    }
}

/* the clairvoyant's actions at the first epoch of replication 0 of scn,
 * with the ground truth of who is alive */
static int first_actions(const clv_scenario *scn, clv_action *act, uint8_t *alive, size_t *n)
{
    clv_error err;
    clv_sim *s = NULL;
    clv_policy p;
    memset(&p, 0, sizeof p);
    int st = clv_sim_alloc(scn, NULL, &s, &err);
    if (st == CLV_OK)
        st = clv_sim_reset(s, (uint64_t)scn->scenario.seed, clv_world_evaluation(0), &err);
    if (st == CLV_OK)
        st = make_policy(scn, "clairvoyant", 2, &p);
    if (st == CLV_OK) {
        *n = clv_sim_customers(s);
        clv_sim_obs *obs = malloc(*n * sizeof *obs);
        st = obs ? clv_sim_observe(s, 0, *n, obs, &err) : CLV_ENOMEM;
        if (st == CLV_OK)
            st = p.act(p.ctx, s, obs, *n, act, &err);
        for (size_t i = 0; i < *n; i++)
            alive[i] = (uint8_t)clv_sim_alive(s, i);
        free(obs);
    }
    if (st != CLV_OK)
        harness_fail(__FILE__, __LINE__, "the clairvoyant's first actions: %s", err.msg);
    clv_policy_free(&p);
    clv_sim_free(s);
    return st;
}

/* Worlds whose best action is known.  (a) Demand so elastic (-8) that a
 * 5% price cut pays (0.95^-8 x 0.25 > 0.3 of margin per basket) and no
 * coupons: the clairvoyant sets at least 90% of the alive customers at the
 * lower price and at most 5% at the higher (customers who make all their
 * purchases in the horizon anyway gain from it: the clairvoyant may see
 * that); it is at least as good as price-down for everyone, the
 * observable optimum, which beats none.  (b) A contact that multiplies the
 * chance of buying twentyfold, never redeemed (no discount), no budget:
 * most alive customers get a coupon (not those whose rollouts never buy:
 * the contact's cost is then a sure loss), no dead one (it sees who is
 * alive), and it beats every blanket coupon significantly. */
TEST(test_bounds_clairvoyant_known_answers)
{
    clv_scenario scn;
    clv_error err;
    for (int world = 0; world < 2; world++) {
        if (clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err) != CLV_OK) {
            harness_fail(__FILE__, __LINE__, "%s", err.msg);
            return;
        }
        scn.run.scale = 0.1;
        scn.evaluation.replications = 8; /* the strong-contact world's edge over blanket is about 2% of its gain */
        scn.interventions.budget_per_epoch = scn.interventions.budget_total = -1;
        if (world == 0) {
            scn.interventions.n_coupons = 0;
            scn.response.elasticity_mean = -8;
            scn.response.elasticity_sd = 0.1;
        } else {
            scn.response.redeem_probability = 0;
            for (int e = 0; e < scn.response.n_contact; e++)
                scn.response.contact[e].factor = scn.response.contact[e].covariate == CLV_CONTACT_ALL ? 20 : 1;
        }
        const size_t cap = 4096;
        clv_action *act = malloc(cap * sizeof *act);
        uint8_t *alive = malloc(cap);
        size_t n = 0;
        if (!act || !alive || first_actions(&scn, act, alive, &n) != CLV_OK || n > cap) {
            free(act), free(alive);
            return;
        }
        const int list = clv_scn_list_price(&scn);
        size_t n_alive = 0, hit = 0, wrong = 0, dead_sent = 0, n_dead = 0;
        for (size_t i = 0; i < n; i++) {
            if (!alive[i]) {
                n_dead++;
                dead_sent += act[i].coupon > 0;
                continue;
            }
            n_alive++;
            if (world == 0) {
                hit += act[i].price == 0 && act[i].coupon == 0;
                wrong += act[i].price > list;
            } else {
                hit += act[i].coupon > 0;
            }
        }
        CHECK(n_alive > 500 && n_dead > 100);
        CHECK_INT((int)dead_sent, 0);
        if (!((double)hit >= (world == 0 ? 0.9 : 0.6) * (double)n_alive) || wrong > n_alive / 20)
            harness_fail(__FILE__, __LINE__, "world %d: %zu of %zu alive customers got the known best action, %zu "
                         "the higher price", world, hit, n_alive, wrong);
        free(act), free(alive);
        static const char *const a_names[] = {"none", "price-up", "price-down", "clairvoyant"};
        static const char *const b_names[] = {"none", "blanket-1", "blanket-2", "blanket-3", "clairvoyant"};
        const double lo = world == 0 ? clairvoyant_above_all(&scn, a_names, 4, "elastic world", 0)
                                     : clairvoyant_above_all(&scn, b_names, 5, "strong-contact world", 1);
        CHECK(lo > 0);
    }
}

/* a stop asked for once the flag is set */
static int stop_flag;
static int stop_when_flagged(void *ctx)
{
    (void)ctx;
    return stop_flag;
}

/* The clairvoyant's long call polls the state's progress: a stop makes it
 * return CLV_ECANCELLED (the command then stops within a rollout step). */
TEST(test_bounds_clairvoyant_cancel)
{
    clv_scenario scn;
    clv_error err;
    if (clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err) != CLV_OK) {
        harness_fail(__FILE__, __LINE__, "%s", err.msg);
        return;
    }
    scn.run.scale = 0.02;
    const clv_progress stop = {NULL, NULL, stop_when_flagged};
    clv_sim_opts o;
    clv_sim_opts_default(&o);
    o.progress = &stop;
    clv_sim *s = NULL;
    clv_policy p;
    memset(&p, 0, sizeof p);
    stop_flag = 0;
    CHECK_INT(clv_sim_alloc(&scn, &o, &s, &err), CLV_OK);
    if (!s || clv_sim_reset(s, 1, 0, &err) != CLV_OK || make_policy(&scn, "clairvoyant", 1, &p) != CLV_OK) {
        clv_sim_free(s);
        return;
    }
    CHECK(clv_sim_progress(s) == &stop);
    const size_t n = clv_sim_customers(s);
    clv_sim_obs *obs = malloc(n * sizeof *obs);
    clv_action *act = malloc(n * sizeof *act);
    CHECK_INT(clv_sim_observe(s, 0, n, obs, &err), CLV_OK);
    CHECK_INT(p.act(p.ctx, s, obs, n, act, &err), CLV_OK);
    stop_flag = 1;
    CHECK_INT(p.act(p.ctx, s, obs, n, act, &err), CLV_ECANCELLED);
    CHECK(strstr(err.msg, "cancelled") != NULL);
    stop_flag = 0;
    free(obs), free(act);
    clv_policy_free(&p);
    clv_sim_free(s);
}

/* 1 or 2 workers: the same actions, the same budget order, the same evaluation */
TEST(test_bounds_clairvoyant_threads)
{
    clv_scenario scn;
    clv_error err;
    if (clv_scn_load("scenarios/tight-budget.cfg", NULL, 0, &scn, &err) != CLV_OK) {
        harness_fail(__FILE__, __LINE__, "%s", err.msg);
        return;
    }
    scn.run.scale = 0.05;
    scn.evaluation.replications = 2;
    scn.evaluation.clairvoyant_lucks = 3;
    clv_sim *s = NULL;
    clv_policy p1, p2;
    memset(&p1, 0, sizeof p1), memset(&p2, 0, sizeof p2);
    CHECK_INT(clv_sim_alloc(&scn, NULL, &s, &err), CLV_OK);
    if (!s || make_policy(&scn, "clairvoyant", 1, &p1) != CLV_OK || make_policy(&scn, "clairvoyant", 2, &p2) != CLV_OK)
        goto done;
    const size_t cap = clv_sim_capacity(s);
    clv_sim_obs *obs = malloc(cap * sizeof *obs);
    clv_action *a1 = malloc(cap * sizeof *a1), *a2 = malloc(cap * sizeof *a2);
    uint32_t *o1 = malloc(cap * sizeof *o1), *o2 = malloc(cap * sizeof *o2);
    CHECK_INT(clv_sim_reset(s, 4, 1, &err), CLV_OK);
    int coupons = 0;
    for (int e = 0; obs && a1 && a2 && o1 && o2 && e < 3; e++) {
        const size_t n = clv_sim_customers(s);
        CHECK_INT(clv_sim_observe(s, 0, n, obs, &err), CLV_OK);
        CHECK_INT(p1.act(p1.ctx, s, obs, n, a1, &err), CLV_OK);
        CHECK_INT(p2.act(p2.ctx, s, obs, n, a2, &err), CLV_OK);
        CHECK_INT(p1.order(p1.ctx, s, a1, n, o1, &err), CLV_OK);
        CHECK_INT(p2.order(p2.ctx, s, a2, n, o2, &err), CLV_OK);
        CHECK(memcmp(a1, a2, n * sizeof *a1) == 0 && memcmp(o1, o2, n * sizeof *o1) == 0);
        for (size_t i = 0; i < n; i++)
            coupons += a1[i].coupon > 0;
        CHECK_INT(clv_sim_step_ordered(s, a1, o1, NULL, &err), CLV_OK);
    }
    CHECK(coupons > 0);
    free(obs), free(a1), free(a2), free(o1), free(o2);
    /* the evaluation, its policy on 1 and 2 workers, on 1 and 2 threads */
    clv_policy pn;
    clv_evaluation e1, e2;
    if (make_policy(&scn, "none", 1, &pn) == CLV_OK) {
        clv_policy set1[2] = {pn, p1}, set2[2] = {pn, p2};
        CHECK_INT(clv_evaluate(&scn, set1, 2, &(clv_eval_opts){1, NULL, 0, 0}, &e1, &err), CLV_OK);
        CHECK_INT(clv_evaluate(&scn, set2, 2, &(clv_eval_opts){2, NULL, 0, 0}, &e2, &err), CLV_OK);
        CHECK(e1.totals && e2.totals && memcmp(e1.totals, e2.totals, 2 * 2 * CLV_M_N * sizeof *e1.totals) == 0);
        CHECK(clv_eval_value(&e1, 1, 0, CLV_M_NET_MARGIN) > clv_eval_value(&e1, 0, 0, CLV_M_NET_MARGIN));
        clv_evaluation_free(&e1), clv_evaluation_free(&e2);
        clv_policy_free(&pn);
    }
done:
    clv_policy_free(&p1), clv_policy_free(&p2);
    clv_sim_free(s);
}

/* A learned agent's known shortfall on a known-answer world, measured
 * (src/agent/README.md, tests/worlds/README.md) and not asserted: the
 * linear agents reach 0.89 to 0.93 in (b) over 5 seeds (medians 0.92 and
 * 0.91), where the coupon's advantage is the product of the stage and the
 * customer's purchase rate, which a linear function of the features only
 * approximates.  The MLP agents are asserted:
 * at agent.qfunc.updates = 8 (the default) they reach 0.92 to 0.98 at the
 * worlds' seed; over 5 training seeds their medians are 0.92 to 0.96 and
 * single seeds range from 0.77 to 0.99 (make bench SECTIONS=seeds),
 * and at updates = 1 they fell short (medians 0.61 to 0.94). */
static int known_shortfall(int kind, const char *optimum)
{
    return (kind == CLV_POLICY_Q_LINEAR || kind == CLV_POLICY_SARSA_LINEAR) && strcmp(optimum, "welcome") == 0;
}

/* The known-answer worlds of tests/worlds (README.md there), each studied
 * as clvsim run does, with the learning agents' defaults (paired targets,
 * 20 episodes): no policy beats the clairvoyant; where the optimum acts,
 * the oracle and every learned agent but the known shortfalls reach 90% of
 * its paired gain over no campaign; where it is no campaign, no learned or
 * planned policy is deployed worse than no campaign. */
TEST(test_bounds_known_worlds)
{
    for (int k = 0; k < KNOWN_WORLDS; k++) {
        const known_world *kw = &known_worlds[k];
        clv_scenario scn;
        clv_error err;
        if (clv_scn_load(kw->file, NULL, 0, &scn, &err) != CLV_OK) {
            harness_fail(__FILE__, __LINE__, "%s", err.msg);
            continue;
        }
        clv_study *s = NULL;
        CHECK_INT(clv_study_run(&scn, NULL, &s, &err), CLV_OK);
        if (!s)
            continue;
        const long none = s->none, opt = known_policy(s, kw->optimum), oracle = known_policy(s, "oracle");
        CHECK(none >= 0 && opt >= 0 && oracle >= 0 && s->bound >= 0);
        if (none < 0 || opt < 0 || oracle < 0 || s->bound < 0) {
            clv_study_free(s);
            continue;
        }
        const double conf = scn.evaluation.confidence;
        for (size_t p = 0; p < s->n; p++) {
            /* no policy beats the clairvoyant bound (its paired difference's upper end is at least 0) */
            clv_interval d;
            clv_eval_paired(&s->ev, (size_t)s->bound, p, CLV_M_NET_MARGIN, conf, &d);
            if (!(d.hi >= 0))
                harness_fail(__FILE__, __LINE__, "%s: %s beats the clairvoyant bound by %.1f [%.1f, %.1f]", kw->file,
                             s->pol[p].name, -d.mean, -d.hi, -d.lo);
            /* where nothing helps, no learned or planned policy is deployed worse than no campaign */
            const clv_policy_type *t = clv_policy_type_of(s->pol[p].kind);
            if (!kw->observable && t && (t->how == CLV_PK_LEARNED || t->how == CLV_PK_PLANNED)) {
                clv_eval_paired(&s->ev, p, (size_t)none, CLV_M_NET_MARGIN, conf, &d);
                if (!(d.hi >= 0))
                    harness_fail(__FILE__, __LINE__, "%s: %s is worse than no campaign: %.1f [%.1f, %.1f]", kw->file,
                                 s->pol[p].name, d.mean, d.lo, d.hi);
            }
        }
        if (kw->observable) {
            /* the optimum gains, and the oracle reaches 90% of it */
            clv_eval_bound b;
            clv_study_bound(s, opt, &b);
            CHECK(b.diff.lo > 0);
            const double share = known_share(s, oracle, opt);
            if (!(share >= 0.9))
                harness_fail(__FILE__, __LINE__, "%s: the oracle reaches %.3f of the optimum %s", kw->file, share,
                             kw->optimum);
            int learned = 0;
            for (size_t p = 0; p < s->n; p++) {
                const clv_policy_type *t = clv_policy_type_of(s->pol[p].kind);
                if (!t || t->how != CLV_PK_LEARNED)
                    continue;
                learned++;
                const double sh = known_share(s, (long)p, opt);
                if (!known_shortfall(t->id, kw->optimum) && !(sh >= 0.9))
                    harness_fail(__FILE__, __LINE__, "%s: %s reaches %.3f of the optimum %s", kw->file, s->pol[p].name,
                                 sh, kw->optimum);
            }
            CHECK(learned == 7); /* the three tables and the four Q-function agents are listed */
        }
        /* the verdict names the deployable policy with the largest paired
         * gain; where the optimum acts that gain is significant, where it
         * is no campaign the verdict says so or gives the caveat */
        clv_study_verdict v;
        clv_study_verdict_of(s, &v);
        char text[2048];
        clv_report_verdict(s, text, sizeof text);
        CHECK(v.best >= 0 && v.best != none && v.best != s->bound);
        for (size_t p = 0; v.best >= 0 && p < s->n; p++) {
            clv_eval_bound b, bb;
            clv_study_bound(s, (long)p, &b);
            clv_study_bound(s, v.best, &bb);
            if ((long)p != none && (long)p != s->bound && b.diff.mean > bb.diff.mean)
                harness_fail(__FILE__, __LINE__, "%s: the verdict names %s (%.1f) but %s gains %.1f", kw->file,
                             s->pol[v.best].name, bb.diff.mean, s->pol[p].name, b.diff.mean);
        }
        if (v.best >= 0 && kw->observable) {
            char want[256];
            snprintf(want, sizeof want, "%s gains the most: +", s->pol[v.best].label);
            CHECK(v.beats_none);
            if (strncmp(text, want, strlen(want)) != 0)
                harness_fail(__FILE__, __LINE__, "%s: verdict \"%s\" does not start \"%s\"", kw->file, text, want);
        } else if (v.best >= 0) {
            CHECK(!v.beats_none);
            if (!(v.gain.mean > 0 ? strstr(text, "Caveat: this gain is not significant") != NULL
                                  : strncmp(text, "No policy gains over no campaign: the best, ", 44) == 0))
                harness_fail(__FILE__, __LINE__, "%s: verdict \"%s\" where nothing helps", kw->file, text);
        }
        clv_study_free(s);
    }
}
