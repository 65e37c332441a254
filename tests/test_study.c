/* test_study.c - the whole study as a library call (clvsim/study.h): its policies come from the type table, its references are right, and it stops when asked. */
#include <stdlib.h>
#include <string.h>

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
    /* trainings, the MDP estimate and the evaluation each said so */
    CHECK_INT(notes, s->n_trained + 2);
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
