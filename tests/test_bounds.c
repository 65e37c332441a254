/* test_bounds.c - the yardsticks on the known-answer worlds of tests/worlds:
 * the clairvoyant bound above every policy, the oracle near the known
 * optimum where the optimum acts, and no deployed policy worse than no
 * campaign where nothing helps. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "clvsim/policy.h"
#include "clvsim/study.h"
#include "harness.h"
#include "worlds/known_worlds.h"

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
        }
        clv_study_free(s);
    }
}
