/* test_study.c - the whole study as a library call (clvsim/study.h): its policies come from the type table, its references are right, it stops when asked, and a learned or planned policy enters the comparison as itself only when it beat none on the verification worlds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clvsim/policy.h"
#include "clvsim/study.h"
#include "harness.h"

static void count_note(void *ctx, const char *text)
{
    (void)text;
    ++*(int *)ctx;
}

static int always(void *ctx)
{
    (void)ctx;
    return 1;
}

TEST(test_study_run)
{
    const clv_scn_override ov[] = {{"run.scale", "0.05", "test"}, {"agent.episodes", "2", "test"},
                                   {"evaluation.replications", "2", "test"}, {"run.threads", "2", "test"}};
    clv_scenario scn;
    clv_error err;
    CHECK_INT(clv_scn_load("scenarios/holiday.cfg", ov, 4, &scn, &err), CLV_OK);
    int notes = 0;
    clv_study_opts o;
    clv_study_opts_default(&o);
    o.note = count_note;
    o.note_ctx = &notes;
    clv_study *s = NULL;
    CHECK_INT(clv_study_run(&scn, &o, &s, &err), CLV_OK);
    if (!s)
        return;
    /* one policy per listed kind, blanket once per coupon level, prices once per level but list */
    size_t want = 0;
    for (int i = 0; i < scn.evaluation.n_policies; i++)
        want += scn.evaluation.policies[i] == CLV_POLICY_BLANKET  ? (size_t)scn.interventions.n_coupons
                : scn.evaluation.policies[i] == CLV_POLICY_PRICES ? (size_t)scn.interventions.n_prices - 1
                                                                  : 1;
    CHECK_INT((long long)s->n, (long long)want);
    CHECK_INT((long long)s->ev.replications, 2);
    /* the LTV network (ltv.model "mlp"), trainings, the MDP estimate, each verified policy, the verification and
     * the evaluation each said so */
    int verified = 0;
    for (size_t p = 0; p < s->n; p++)
        verified += s->pol[p].verify == CLV_VERIFY_PASSED || s->pol[p].verify == CLV_VERIFY_FELL_BACK;
    CHECK_INT(verified, s->n_trained + 1 + 1); /* q-learning, sarsa, greedy, oracle */
    CHECK(s->ltv != NULL);
    CHECK_INT(notes, (s->ltv != NULL) + s->n_trained + 2 + verified + 1);
    for (size_t p = 0; p < s->n; p++) {
        const clv_policy_type *t = clv_policy_type_of(s->pol[p].kind);
        CHECK(t != NULL);
        if (!t)
            continue;
        CHECK_INT(s->pol[p].fixed, t->how == CLV_PK_FIXED);
        CHECK((s->pol[p].table != NULL) == (t->how == CLV_PK_LEARNED || t->how == CLV_PK_PLANNED));
        CHECK_STR(s->pol[p].pol.name, s->pol[p].name);
    }
    /* the references: none, and the fixed policy of the best mean net margin */
    CHECK(s->none >= 0 && s->pol[s->none].kind == CLV_POLICY_NONE);
    CHECK(s->best_fixed >= 0 && s->pol[s->best_fixed].fixed);
    for (size_t p = 0; p < s->n && s->best_fixed >= 0; p++) {
        clv_interval a, b;
        clv_eval_interval(&s->ev, p, CLV_M_NET_MARGIN, 0.95, &a);
        clv_eval_interval(&s->ev, (size_t)s->best_fixed, CLV_M_NET_MARGIN, 0.95, &b);
        CHECK(!s->pol[p].fixed || a.mean <= b.mean);
    }
    clv_study_free(s);
    clv_study_free(NULL);

    /* asked to stop: CLV_ECANCELLED, nothing returned */
    const clv_progress stop = {NULL, NULL, always};
    o.progress = &stop;
    s = (clv_study *)&o; /* overwritten */
    CHECK_INT(clv_study_run(&scn, &o, &s, &err), CLV_ECANCELLED);
    CHECK(s == NULL);
    /* tables that do not exist: the error says how to make them */
    clv_study_opts_default(&o);
    o.tables = "/nonexistent/clvsim";
    CHECK_INT(clv_study_run(&scn, &o, &s, &err), CLV_EIO);
    CHECK(s == NULL && strstr(err.msg, "train it first with 'clvsim train-agent"));
}

/* "prices" is one policy per price level but list, named price-K and
 * labelled with its multiplier as price-up and price-down are; each acts
 * as the fixed rule of its name */
TEST(test_study_price_policies)
{
    const clv_scn_override ov[] = {{"run.scale", "0.02", "test"}, {"evaluation.replications", "2", "test"},
                                   {"run.threads", "2", "test"},
                                   {"interventions.prices", "[0.9, 0.95, 1.0, 1.08]", "test"},
                                   {"evaluation.policies", "[\"none\", \"prices\", \"price-up\", \"price-down\"]", "test"}};
    clv_scenario scn;
    clv_error err;
    CHECK_INT(clv_scn_load("scenarios/holiday.cfg", ov, sizeof ov / sizeof ov[0], &scn, &err), CLV_OK);
    clv_study_opts o;
    clv_study_opts_default(&o);
    clv_study *s = NULL;
    CHECK_INT(clv_study_run(&scn, &o, &s, &err), CLV_OK);
    if (!s)
        return;
    static const char *const want[][2] = {{"none", "none"},
                                          {"price-1", "price x0.9"},
                                          {"price-2", "price x0.95"},
                                          {"price-4", "price x1.08"},
                                          {"price-up", "price-up x1.08"},
                                          {"price-down", "price-down x0.95"}};
    CHECK_INT((int)s->n, 6);
    for (size_t p = 0; p < s->n && p < 6; p++) {
        CHECK_STR(s->pol[p].name, want[p][0]);
        CHECK_STR(s->pol[p].label, want[p][1]);
        CHECK(s->pol[p].fixed);
    }
    /* price-4 and price-up set the same level: the same results, draw for draw */
    clv_interval a, b;
    clv_eval_interval(&s->ev, 3, CLV_M_NET_MARGIN, 0.95, &a);
    clv_eval_interval(&s->ev, 4, CLV_M_NET_MARGIN, 0.95, &b);
    CHECK(a.mean == b.mean);
    clv_eval_interval(&s->ev, 0, CLV_M_NET_MARGIN, 0.95, &b);
    CHECK(a.mean != b.mean);
    clv_study_free(s);
}

/* ---- verified deployment ---- */

/* a small world of one 10% coupon whose contact multiplies the chance of
 * buying within 14 days by ratio and costs contact_cost; no budget; none,
 * greedy and q-learning compared */
static int coupon_world(clv_scenario *scn, double ratio, double contact_cost, int threads)
{
    clv_error err;
    int st = clv_scn_defaults(scn, &err);
    snprintf(scn->scenario.name, sizeof scn->scenario.name, "verify");
    scn->calendar.horizon_days = 56;
    scn->seasonality.enabled = 0;
    scn->acquisition.rate_per_day = 0;
    scn->population.customers = 1500;
    scn->agent.customers = 1500;
    scn->agent.episodes = 20;
    scn->agent.epsilon_decay_episodes = 15;
    scn->agent.bins_ltv_quantiles = 1;
    scn->agent.shaping = scn->agent.terminal_value = 0;
    scn->agent.confidence = 0; /* the raw best guess deployed: a noisy table acts on its noise */
    scn->interventions.n_coupons = 1;
    scn->interventions.coupons[0] = (clv_scn_coupon){"10%", 0.1, 5.0, 14, 0.0, contact_cost, ""};
    clv_scn_response *r = &scn->response;
    r->deal_enabled = r->fatigue_enabled = r->carryover_enabled = r->price_enabled = 0;
    r->contact_window_days = 14;
    r->n_contact = 1;
    r->contact[0] = (clv_scn_contact_effect){"email", CLV_CONTACT_ALL, "all", -1, ratio, ratio, 0, 0, 0, 0, 0};
    const int pols[] = {CLV_POLICY_NONE, CLV_POLICY_GREEDY, CLV_POLICY_Q};
    scn->evaluation.n_policies = 3;
    memcpy(scn->evaluation.policies, pols, sizeof pols);
    scn->evaluation.replications = 4;
    scn->evaluation.verification_replications = 6;
    scn->run.threads = threads;
    return st;
}

static long find(const clv_study *s, const char *name)
{
    for (size_t p = 0; p < s->n; p++)
        if (strcmp(s->pol[p].name, name) == 0)
            return (long)p;
    return -1;
}

/* the rows of policy p and of none in the comparison are the same bits */
static int same_as_none(const clv_study *s, size_t p)
{
    const clv_evaluation *e = &s->ev;
    const size_t R = e->replications, q = (size_t)s->none;
    return memcmp(e->totals + p * R * CLV_M_N, e->totals + q * R * CLV_M_N, R * CLV_M_N * sizeof *e->totals) == 0 &&
           memcmp(e->days + p * R * e->n_days, e->days + q * R * e->n_days, R * e->n_days * sizeof *e->days) == 0 &&
           memcmp(e->segments + p * R * CLV_SEGMENTS, e->segments + q * R * CLV_SEGMENTS,
                  R * CLV_SEGMENTS * sizeof *e->segments) == 0;
}

/* a q-learning table trained where coupons pay, compared where they change
 * nothing and cost 2 a contact (clvsim compare with a table of another
 * world): it sends costly useless coupons, loses to none on the
 * verification worlds, falls back and is compared as none, bit for bit;
 * greedy, planned in that world, sends none and ties with none, which is
 * no evidence either: it falls back too */
TEST(test_study_verify_falls_back)
{
    clv_scenario scn;
    clv_error err;
    char dir[] = "/tmp/clvsim-verify-XXXXXX", path[600];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/agent_q-learning.qtab", dir);
    CHECK_INT(coupon_world(&scn, 4.0, 0.0, 2), CLV_OK);
    clv_train_result tr;
    CHECK_INT(clv_agent_train(&scn, CLV_ALGO_Q, &(clv_train_opts){2, NULL, NULL, NULL, NULL, NULL}, &tr, &err), CLV_OK);
    CHECK_INT(clv_qtable_save(tr.table, path, &err), CLV_OK);
    clv_train_result_free(&tr);
    CHECK_INT(coupon_world(&scn, 1.0, 2.0, 2), CLV_OK);
    int notes = 0;
    clv_study_opts o;
    clv_study_opts_default(&o);
    o.note = count_note;
    o.note_ctx = &notes;
    o.tables = dir;
    clv_study *s = NULL;
    CHECK_INT(clv_study_run(&scn, &o, &s, &err), CLV_OK);
    if (!s) {
        remove(path), rmdir(dir);
        return;
    }
    CHECK_INT((long long)s->verification_replications, 6);
    CHECK_INT(notes, (s->ltv != NULL) + s->n_trained + 2 + 2 + 1); /* one per verified policy, and the verification's */
    const long q = find(s, "q-learning"), g = find(s, "greedy");
    CHECK(q >= 0 && g >= 0 && s->none >= 0);
    if (q < 0 || g < 0 || s->none < 0) {
        clv_study_free(s);
        return;
    }
    CHECK_INT(s->pol[s->none].verify, CLV_VERIFY_EXEMPT);
    CHECK_INT((long long)s->pol[s->none].verification.n, 0);
    /* q-learning sent costly coupons and lost: clearly below none */
    const clv_interval *d = &s->pol[q].verification;
    CHECK_INT((long long)d->n, 6);
    if (!(d->hi < 0))
        harness_fail(__FILE__, __LINE__, "q-learning against none on the verification worlds: %g [%g, %g], "
                     "expected a clear loss", d->mean, d->lo, d->hi);
    for (long p = 0; p < (long)s->n; p++) {
        if (p == s->none)
            continue;
        CHECK_INT(s->pol[p].verify, CLV_VERIFY_FELL_BACK);
        CHECK(!(s->pol[p].verification.lo > 0));
        /* it keeps its name and table, says it fell back, and acts as none */
        CHECK_STR(s->pol[p].pol.name, s->pol[p].name);
        CHECK(s->pol[p].table != NULL);
        char want[128];
        snprintf(want, sizeof want, "%s -> none (not verified)", s->pol[p].name);
        CHECK_STR(s->pol[p].label, want);
        CHECK(same_as_none(s, (size_t)p));
    }
    clv_study_free(s);

    /* verification off: the same table deployed as itself, and it loses
     * to none in the comparison as it did in the verification */
    scn.evaluation.verification_replications = 0;
    notes = 0;
    CHECK_INT(clv_study_run(&scn, &o, &s, &err), CLV_OK);
    remove(path);
    rmdir(dir);
    if (!s)
        return;
    CHECK_INT((long long)s->verification_replications, 0);
    CHECK_INT(notes, (s->ltv != NULL) + s->n_trained + 2 + 1);
    CHECK_INT(s->pol[q].verify, CLV_VERIFY_OFF);
    CHECK_STR(s->pol[q].label, "q-learning");
    clv_interval c;
    clv_eval_paired(&s->ev, (size_t)q, (size_t)s->none, CLV_M_NET_MARGIN, 0.95, &c);
    CHECK(c.mean < 0 && !same_as_none(s, (size_t)q));
    clv_study_free(s);
}

/* a coupon that quadruples the chance of buying, free to send: greedy and
 * q-learning beat none on the verification worlds and is compared as itself; the
 * verification is the same for 1 and 3 threads, bit for bit */
TEST(test_study_verify_deploys)
{
    clv_study *s[2] = {NULL, NULL};
    for (int k = 0; k < 2; k++) {
        clv_scenario scn;
        clv_error err;
        CHECK_INT(coupon_world(&scn, 4.0, 0.0, k ? 3 : 1), CLV_OK);
        CHECK_INT(clv_study_run(&scn, NULL, &s[k], &err), CLV_OK);
    }
    if (!s[0] || !s[1]) {
        clv_study_free(s[0]), clv_study_free(s[1]);
        return;
    }
    const long g = find(s[0], "greedy"), q = find(s[0], "q-learning");
    CHECK(g >= 0 && q >= 0);
    if (q >= 0)
        CHECK_INT(s[0]->pol[q].verify, CLV_VERIFY_PASSED);
    if (g >= 0) {
        const clv_study_policy *p = &s[0]->pol[g];
        CHECK_INT(p->verify, CLV_VERIFY_PASSED);
        CHECK(p->verification.lo > 0 && p->verification.n == 6);
        CHECK_STR(p->label, "greedy");
        CHECK(!same_as_none(s[0], (size_t)g));
        clv_interval c;
        clv_eval_paired(&s[0]->ev, (size_t)g, (size_t)s[0]->none, CLV_M_NET_MARGIN, 0.95, &c);
        CHECK(c.mean > 0);
    }
    CHECK_INT((long long)s[0]->n, (long long)s[1]->n);
    for (size_t p = 0; p < s[0]->n && p < s[1]->n; p++) {
        CHECK_INT(s[0]->pol[p].verify, s[1]->pol[p].verify);
        CHECK(memcmp(&s[0]->pol[p].verification, &s[1]->pol[p].verification, sizeof(clv_interval)) == 0);
        CHECK_STR(s[0]->pol[p].label, s[1]->pol[p].label);
    }
    const clv_evaluation *a = &s[0]->ev, *b = &s[1]->ev;
    CHECK(memcmp(a->totals, b->totals, a->n_policies * a->replications * CLV_M_N * sizeof *a->totals) == 0);
    clv_study_free(s[0]);
    clv_study_free(s[1]);
}

/* the verification runs on its own worlds: replication r is world
 * clv_world_verification(r), none of the evaluation's */
TEST(test_study_verify_worlds)
{
    clv_scenario scn;
    clv_error err;
    CHECK_INT(coupon_world(&scn, 1.0, 0.0, 2), CLV_OK);
    scn.population.customers = 300;
    const clv_policy none = {"none", NULL, NULL, NULL, NULL};
    clv_evaluation ev, vf;
    CHECK_INT(clv_evaluate(&scn, &none, 1, &(clv_eval_opts){.threads = 2, .worlds = CLV_EVAL_ON_EVALUATION}, &ev, &err), CLV_OK);
    CHECK_INT(clv_evaluate(&scn, &none, 1, &(clv_eval_opts){.threads = 2, .worlds = CLV_EVAL_ON_VERIFICATION}, &vf, &err), CLV_OK);
    CHECK_INT((long long)vf.replications, 6);
    CHECK_INT((long long)ev.replications, 4);
    /* world 7000000 + r simulated directly gives verification replication r */
    clv_world *w = NULL;
    clv_sim *sim = NULL;
    CHECK_INT(clv_world_alloc(&scn, NULL, &w, &err), CLV_OK);
    CHECK_INT(clv_sim_alloc_in(w, NULL, &sim, &err), CLV_OK);
    for (size_t r = 0; sim && r < vf.replications; r++) {
        CHECK_INT(clv_sim_reset(sim, (uint64_t)scn.scenario.seed, clv_world_verification(r), &err), CLV_OK);
        CHECK_INT(clv_sim_run(sim, NULL, NULL, &err), CLV_OK);
        size_t nd = 0;
        const clv_sim_day *days = clv_sim_days(sim, &nd);
        double m = 0;
        for (size_t d = 0; d < nd; d++)
            m += days[d].net_margin;
        CHECK(m == clv_eval_value(&vf, 0, r, CLV_M_NET_MARGIN));
        /* and no evaluation world is the same */
        for (size_t e = 0; e < ev.replications; e++)
            CHECK(clv_eval_value(&ev, 0, e, CLV_M_NET_MARGIN) != clv_eval_value(&vf, 0, r, CLV_M_NET_MARGIN));
    }
    clv_sim_free(sim);
    clv_world_free(w);
    /* past its namespace, or an unknown set of worlds: refused */
    scn.evaluation.verification_replications = CLV_WORLDS_PER_SPACE + 1;
    clv_evaluation bad;
    CHECK_INT(clv_evaluate(&scn, &none, 1, &(clv_eval_opts){.threads = 1, .worlds = CLV_EVAL_ON_VERIFICATION}, &bad, &err),
              CLV_EINPUT);
    CHECK_STR(err.field, "evaluation.verification.replications");
    CHECK_INT(clv_evaluate(&scn, &none, 1, &(clv_eval_opts){.threads = 1, .worlds = 7}, &bad, &err), CLV_EINPUT);
    /* -1: as many as evaluation.replications */
    scn.evaluation.verification_replications = -1;
    CHECK_INT((long long)clv_eval_verification_replications(&scn), 4);
    clv_evaluation_free(&ev);
    clv_evaluation_free(&vf);
}
