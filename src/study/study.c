/* study.c - the whole study of a scenario: train or load the agents, plan greedy and oracle, build every listed policy, verify the learned and planned ones against none on fresh worlds, evaluate them all with common random numbers. */
#include "clvsim/study.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clvsim/io.h"
#include "clvsim/ltv.h"
#include "clvsim/parallel.h"
#include "clvsim/policy.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void note(const clv_study_opts *o, const char *fmt, ...)
{
    if (!o->note)
        return;
    char text[CLV_IO_PATH_MAX + 256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    o->note(o->note_ctx, text);
}

static int listed(const clv_scenario *scn, int kind)
{
    for (int i = 0; i < scn->evaluation.n_policies; i++)
        if (scn->evaluation.policies[i] == kind)
            return 1;
    return 0;
}

/* the learned kinds listed, in agent.algorithms order (q, sarsa, expected-sarsa) */
static int learned_listed(const clv_scenario *scn, int algo)
{
    for (size_t i = 0; clv_policy_types[i]; i++) {
        const clv_policy_type *t = clv_policy_types[i];
        if (t->how == CLV_PK_LEARNED && t->algo == algo && listed(scn, t->id))
            return 1;
    }
    return 0;
}

/* a Q-function kind of clv_qf_algo qa is listed */
static int qf_listed(const clv_scenario *scn, int qa)
{
    for (size_t i = 0; clv_policy_types[i]; i++) {
        const clv_policy_type *t = clv_policy_types[i];
        if (t->how == CLV_PK_LEARNED && t->qf == 1 + qa && listed(scn, t->id))
            return 1;
    }
    return 0;
}

/* the listed planned kind of myopic m (1 greedy, 0 oracle), or 0 */
static int planned_listed(const clv_scenario *scn, int m)
{
    for (size_t i = 0; clv_policy_types[i]; i++) {
        const clv_policy_type *t = clv_policy_types[i];
        if (t->how == CLV_PK_PLANNED && t->myopic == m && listed(scn, t->id))
            return 1;
    }
    return 0;
}

/* the last 10-episode moving average of a training's returns (as
 * learning.csv's last row has it) */
static double last_average_of(const double *returns, int episodes)
{
    double ma = 0, last_ma = 0;
    for (int e = 0; e < episodes; e++) {
        ma += returns[e] - (e >= 10 ? returns[e - 10] : 0);
        last_ma = ma / (e + 1 < 10 ? e + 1 : 10);
    }
    return last_ma;
}

static double last_average(const clv_train_result *r) { return last_average_of(r->returns, r->episodes); }

/* the Q-function agents listed, after the tables */
static int train_qf_agents(clv_study *s, const clv_study_opts *o, clv_error *err)
{
    const clv_scenario *scn = &s->scn;
    int st = CLV_OK;
    for (int a = 0; a < CLV_QF_ALGOS && st == CLV_OK; a++) {
        if (!qf_listed(scn, a))
            continue;
        clv_train_opts to = {.threads = scn->run.threads, .progress = o->progress, .ltv = s->ltv};
        clv_qf_train_result *t = &s->qf_trained[s->n_qf_trained];
        const double t0 = now();
        if ((st = clv_qf_train(scn, a, &to, t, err)) != CLV_OK)
            break;
        s->qf_algo[s->n_qf_trained++] = a;
        note(o, "trained %s: %d episodes of %lld customers in %.1f s; net margin per customer per episode, last "
                   "10: %.2f %s", clv_qf_algo_name(a), t->episodes, (long long)scn->agent.customers, now() - t0,
             last_average_of(t->returns, t->episodes), scn->economics.currency);
    }
    return st;
}

/* ---- phase 0: the LTV source of the agents and policies ---- */

/* NULL with ltv.model "btyd" (every user then takes the population's BTYD
 * model); with "mlp" the network of ltv.file, or one trained now on the
 * worlds of the LTV predictor (CLV_WORLD_LTV_TRAIN and _HOLDOUT of
 * clvsim/streams.h, never the agents', the oracle's, the verification's or
 * the evaluation's) */
static int ltv_source(const clv_scenario *scn, const clv_progress *progress, clv_study_note_fn note_fn,
                      void *note_ctx, clv_ltv_source **out, clv_error *err)
{
    *out = NULL;
    if (scn->ltv.model != CLV_LTV_MLP)
        return CLV_OK;
    const clv_study_opts o = {.note = note_fn, .note_ctx = note_ctx};
    const double t0 = now();
    clv_ltv_model *lm = NULL;
    int st = CLV_OK;
    if (scn->ltv.file[0]) {
        if (!(lm = clv_ltv_model_load(scn->ltv.file, 1, NULL, err))) {
            st = err ? err->code : CLV_EINPUT;
            if (err && !err->field[0])
                snprintf(err->field, sizeof err->field, "ltv.file");
        }
        if (st == CLV_OK)
            note(&o, "the agents and policies use the network of %s (ltv.file)", scn->ltv.file);
    } else {
        clv_ltv_study ls;
        if ((st = clv_progress_report(progress, "ltv", 0, 1)) != CLV_OK)
            return clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "cancelled");
        st = clv_ltv_study_run(scn, progress, &ls, err);
        if (st == CLV_OK && !(lm = clv_ltv_study_model(&ls, scn, 1, NULL, err)))
            st = err ? err->code : CLV_ENOMEM;
        if (st == CLV_OK && ls.n_ev > 0) {
            const clv_ltv_evaluation *e = &ls.ev[ls.n_ev - 1];
            note(&o, "trained the LTV network on %zu customers in %.1f s; on %zu %s holdout customers: Spearman %.3f "
                     "(BTYD %.3f), MAE %.2f (BTYD %.2f) %s", ls.n_train, now() - t0, e->n, e->name, e->v[0].spearman,
                 e->v[1].spearman, e->v[0].mae, e->v[1].mae, scn->economics.currency);
        }
        clv_ltv_study_free(&ls);
        if (st == CLV_OK && clv_progress_report(progress, "ltv", 1, 1) != CLV_OK)
            st = clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "cancelled");
    }
    if (st == CLV_OK && !(*out = clv_ltv_source_new(scn, lm, scn->run.threads, err)))
        st = err ? err->code : CLV_ENOMEM;
    clv_ltv_model_free(lm);
    return st;
}

/* ---- phase 1: the learned policies ---- */

static int train_agents(clv_study *s, const clv_study_opts *o, clv_error *err)
{
    const clv_scenario *scn = &s->scn;
    int st = CLV_OK;
    for (int a = 0; a < CLV_MAX_ALGOS && st == CLV_OK; a++) {
        if (!learned_listed(scn, a))
            continue;
        const char *name = clv_scn_enum_name("agent.algorithms", a);
        clv_train_opts to = {scn->run.threads, o->progress, NULL, NULL, NULL, s->ltv};
        clv_train_result *t = &s->trained[s->n_trained];
        const double t0 = now();
        st = clv_agent_train(scn, a, &to, t, err);
        if (st != CLV_OK)
            break;
        s->algo[s->n_trained++] = a;
        note(o, "trained %s: %d episodes of %lld customers in %.1f s; net margin per customer per episode, last "
                   "10: %.2f %s", name, t->episodes, (long long)scn->agent.customers, now() - t0, last_average(t),
             scn->economics.currency);
    }
    return st;
}

/* compare: the tables of an earlier training instead of training, each
 * checked against the states and actions this scenario gives it */
static int load_agents(clv_study *s, const clv_study_opts *o, clv_error *err)
{
    const clv_scenario *scn = &s->scn;
    clv_state_map map;
    int st = CLV_OK, have_map = 0;
    for (int a = 0; a < CLV_QF_ALGOS; a++)
        if (qf_listed(scn, a))
            return clv_error_set(err, CLV_EINPUT, NULL, 0, "evaluation.policies",
                                 "%s has no saved agent to compare (only the tabular agents' tables are saved): "
                                 "remove it from evaluation.policies, or let 'clvsim run' train it",
                                 clv_qf_algo_name(a));
    for (int a = 0; a < CLV_MAX_ALGOS && st == CLV_OK; a++) {
        if (!learned_listed(scn, a))
            continue;
        if (!have_map && (st = clv_agent_state_map(scn, s->ltv, scn->run.threads, &map, err)) != CLV_OK)
            break;
        have_map = 1;
        const char *name = clv_scn_enum_name("agent.algorithms", a);
        char file[64], path[CLV_IO_PATH_MAX];
        snprintf(file, sizeof file, "agent_%s.qtab", name);
        if ((st = clv_path_join(path, sizeof path, o->tables, file, err)) != CLV_OK)
            break;
        clv_qtable *t = clv_qtable_load(path, err);
        if (!t) {
            st = err->code;
            if (st == CLV_EIO)
                snprintf(err->msg, sizeof err->msg, "cannot read the %s table: train it first with 'clvsim "
                         "train-agent %s -o %s', or let 'clvsim run' train and compare", name, scn->source,
                         o->tables);
            break;
        }
        const size_t A = clv_agent_n_actions(&scn->interventions);
        if (t->n_states != map.n_states || t->n_actions != A ||
            (t->layout && t->layout != clv_agent_layout(a, scn->agent.targets, &map, &scn->interventions))) {
            clv_qtable_free(t);
            st = clv_error_set(err, CLV_EINPUT, path, 0, NULL,
                               "this %s table was trained on other states or actions (agent.bins, the LTV cuts "
                               "fitted from population and seed, the coupons' discount, cap or validity, or the "
                               "prices) or with other targets (agent.targets); compare it with the scenario it was "
                               "trained on", name);
            break;
        }
        clv_train_result *tr = &s->trained[s->n_trained];
        memset(tr, 0, sizeof *tr);
        tr->table = t;
        tr->map = map;
        tr->n_actions = A;
        s->algo[s->n_trained++] = a;
        note(o, "loaded %s (%llu episodes behind it)", path, (unsigned long long)t->episodes);
    }
    return st;
}

/* greedy and oracle: the discretised MDP estimated from random actions */
static int estimate_models(clv_study *s, const clv_study_opts *o, clv_error *err)
{
    const clv_scenario *scn = &s->scn;
    const int oracle = planned_listed(scn, 0), greedy = planned_listed(scn, 1);
    int st = CLV_OK;
    if (s->n_trained)
        s->map = s->trained[0].map;
    else if (oracle || greedy)
        st = clv_agent_state_map(scn, s->ltv, scn->run.threads, &s->map, err);
    if (st != CLV_OK || !(oracle || greedy))
        return st;
    const double t0 = now();
    st = clv_oracle_estimate(scn, s->ltv, &s->map, clv_scn_model_episodes(scn), scn->run.threads, o->progress, &s->mdp, err);
    /* both deploy with the agents' rule against no coupon at list price */
    const int base = clv_scn_list_price(scn), E = st == CLV_OK ? clv_mdp_estimate_epochs(s->mdp) : 0;
    if (st == CLV_OK && oracle) {
        if (!(s->oracle_epochs = calloc(E > 0 ? (size_t)E : 1, sizeof *s->oracle_epochs)))
            return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
        st = clv_mdp_plan(s->mdp, E, base, scn->agent.confidence, s->oracle_epochs, err);
        s->n_oracle_epochs = st == CLV_OK ? E : 0;
        s->oracle = st == CLV_OK ? s->oracle_epochs[0] : NULL;
    }
    if (st == CLV_OK && greedy)
        st = clv_mdp_greedy(s->mdp, clv_mdp_lookahead(scn), base, &s->greedy, err);
    if (st == CLV_OK)
        note(o, "estimated the discretised MDP from %d episodes of random actions (%zu transitions) in %.1f s",
             clv_scn_model_episodes(scn), clv_mdp_estimate_transitions(s->mdp), now() - t0);
    return st;
}

/* ---- phase 2: every listed policy, from the policy type table ---- */

/* the policy called name, labelled as clv_policy_label says */
static clv_study_policy *add(clv_study *s, const clv_policy_type *t, const char *name)
{
    clv_study_policy *p = &s->pol[s->n++];
    memset(p, 0, sizeof *p);
    p->kind = t->id;
    p->fixed = t->how == CLV_PK_FIXED;
    snprintf(p->name, sizeof p->name, "%s", name);
    clv_policy_label(&s->scn, name, p->label, sizeof p->label);
    return p;
}

static int build_policies(clv_study *s, clv_error *err)
{
    const clv_scenario *scn = &s->scn;
    const uint64_t seed = (uint64_t)scn->scenario.seed;
    int st = CLV_OK;
    for (int i = 0; i < scn->evaluation.n_policies && st == CLV_OK; i++) {
        const clv_policy_type *t = clv_policy_type_of(scn->evaluation.policies[i]);
        if (!t)
            return clv_error_set(err, CLV_EINPUT, NULL, 0, "evaluation.policies", "unknown policy kind %d",
                                 scn->evaluation.policies[i]);
        clv_policy_args a = {t->name, seed, 0, NULL, NULL, scn->run.threads, NULL, 0, NULL, s->ltv};
        if (t->per_level != CLV_PER_NONE) {
            /* one policy per coupon level, or per price level other than list */
            const int n_levels = t->per_level == CLV_PER_COUPON ? scn->interventions.n_coupons
                                                                : scn->interventions.n_prices;
            for (int c = 1; c <= n_levels && st == CLV_OK; c++) {
                if (t->per_level == CLV_PER_PRICE && scn->interventions.prices[c - 1] == 1.0)
                    continue;
                char nm[32];
                snprintf(nm, sizeof nm, "%s-%d", t->stem, c);
                clv_study_policy *p = add(s, t, nm);
                a.name = nm;
                a.level = c;
                st = t->make(scn, &a, &p->pol, err);
            }
            continue;
        }
        if (t->how == CLV_PK_PLANNED) {
            a.table = t->myopic ? s->greedy : s->oracle;
            a.map = &s->map;
            if (!t->myopic)
                a.tables = (const clv_qtable *const *)s->oracle_epochs, a.n_tables = s->n_oracle_epochs;
        } else if (t->how == CLV_PK_LEARNED && t->qf > 0) {
            for (int k = 0; !a.qf_agent && k < s->n_qf_trained; k++)
                if (1 + s->qf_algo[k] == t->qf)
                    a.qf_agent = &s->qf_trained[k].agent;
            if (!a.qf_agent)
                return clv_error_set(err, CLV_EINPUT, NULL, 0, "evaluation.policies", "no agent for policy %s",
                                     t->name);
        } else if (t->how == CLV_PK_LEARNED) {
            for (int k = 0; !a.table && k < s->n_trained; k++)
                if (s->algo[k] == t->algo)
                    a.table = s->trained[k].table, a.map = &s->trained[k].map;
        }
        if ((t->how == CLV_PK_LEARNED || t->how == CLV_PK_PLANNED) && !a.table && !a.qf_agent)
            return clv_error_set(err, CLV_EINPUT, NULL, 0, "evaluation.policies", "no table for policy %s", t->name);
        clv_study_policy *p = add(s, t, t->name);
        p->table = a.table;
        p->map = a.map;
        st = t->make(scn, &a, &p->pol, err);
    }
    return st;
}

/* 1 when name is a valid key of the CSVs: 1 to CLV_NAME_MAX of A-Z a-z 0-9 . _ - */
static int own_name_ok(const char *name)
{
    size_t n = 0;
    for (; name[n]; n++)
        if (!(isalnum((unsigned char)name[n]) || name[n] == '.' || name[n] == '_' || name[n] == '-'))
            return 0;
    return n >= 1 && n <= CLV_NAME_MAX;
}

/* the caller's own policies, after the listed ones */
static int build_own(clv_study *s, const clv_study_opts *o, clv_error *err)
{
    if (o->n_own > CLV_STUDY_OWN_MAX)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "%zu own policies: at most %d", o->n_own,
                             CLV_STUDY_OWN_MAX);
    for (size_t k = 0; k < o->n_own; k++) {
        const clv_study_own *w = &o->own[k];
        const char *label = w->label ? w->label : w->name;
        if (!w->name || !own_name_ok(w->name))
            return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "own policy '%s': a name is 1 to %d of A-Z a-z "
                                 "0-9 . _ -", w->name ? w->name : "(null)", CLV_NAME_MAX);
        if (strlen(label) > CLV_NAME_MAX || strpbrk(label, "\r\n"))
            return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "own policy %s: its label is at most %d bytes "
                                 "on one line", w->name, CLV_NAME_MAX);
        if (!w->make)
            return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "own policy %s: no make function", w->name);
        int clash = strcmp(w->name, "hindsight") == 0;
        for (size_t p = 0; p < s->n; p++)
            clash |= strcmp(s->pol[p].name, w->name) == 0;
        if (clash)
            return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "own policy %s: the name is taken (by a listed "
                                 "policy, another own policy or the hindsight bound); give it another", w->name);
        clv_study_policy *p = &s->pol[s->n++];
        memset(p, 0, sizeof *p);
        p->kind = CLV_STUDY_OWN_KIND;
        snprintf(p->name, sizeof p->name, "%s", w->name);
        snprintf(p->label, sizeof p->label, "%s", label);
        snprintf(p->doc, sizeof p->doc, "%s", w->doc ? w->doc : "");
        for (char *c = p->doc; *c; c++)
            if (*c == '\n' || *c == '\r')
                *c = ' ';
        int st = w->make(w->ctx, &s->scn, &p->pol, err);
        if (st == CLV_OK && !p->pol.act)
            st = clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "own policy %s: make gave no act function",
                               w->name);
        if (st != CLV_OK)
            return st;
    }
    return CLV_OK;
}

/* ---- phase 3: verified deployment ---- */

/* a learned or planned policy: the kinds that are verified before they are deployed */
static int verified_kind(int kind)
{
    const clv_policy_type *t = clv_policy_type_of(kind);
    return t && (t->how == CLV_PK_LEARNED || t->how == CLV_PK_PLANNED);
}

/* the policy none under the name name (copied), as build_policies makes it */
static int make_none(const clv_scenario *scn, const char *name, clv_policy *out, clv_error *err)
{
    const clv_policy_type *t = clv_policy_type_of(CLV_POLICY_NONE);
    const clv_policy_args a = {.name = name, .seed = (uint64_t)scn->scenario.seed, .threads = scn->run.threads};
    return t->make(scn, &a, out, err);
}

/* Every learned and planned policy against none on the verification
 * worlds, in one clv_evaluate (none first); one that does not beat none
 * there is replaced by none under its own name. */
static int verify(clv_study *s, const clv_study_opts *o, clv_error *err)
{
    const clv_scenario *scn = &s->scn;
    const size_t R = clv_eval_verification_replications(scn);
    size_t idx[CLV_STUDY_MAX], m = 0;
    s->verification_replications = R;
    if (R == 1) /* (the schema refuses it; a scenario changed in memory may not) */
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "evaluation.verification.replications",
                             "expected -1, 0 or at least 2 verification worlds, got 1: one world gives no interval");
    for (size_t p = 0; p < s->n; p++)
        if (verified_kind(s->pol[p].kind)) {
            s->pol[p].verify = R ? CLV_VERIFY_FELL_BACK : CLV_VERIFY_OFF; /* until shown otherwise */
            idx[m++] = p;
        }
    if (!m)
        return CLV_OK;
    if (!R) {
        note(o, "evaluation.verification.replications is 0: %zu learned or planned %s deployed unverified", m,
             m == 1 ? "policy" : "policies");
        return CLV_OK;
    }
    clv_policy pols[1 + CLV_STUDY_MAX];
    int st = make_none(scn, "none", &pols[0], err);
    if (st != CLV_OK)
        return st;
    for (size_t k = 0; k < m; k++)
        pols[1 + k] = s->pol[idx[k]].pol;
    const clv_eval_opts eo = {.threads = scn->run.threads, .progress = o->progress, .worlds = CLV_EVAL_ON_VERIFICATION};
    clv_evaluation ev;
    const double t0 = now();
    st = clv_evaluate(scn, pols, 1 + m, &eo, &ev, err);
    clv_policy_free(&pols[0]);
    if (st != CLV_OK)
        return st;
    s->verification_seconds = now() - t0;
    for (size_t k = 0; k < m && st == CLV_OK; k++) {
        clv_study_policy *p = &s->pol[idx[k]];
        clv_eval_paired(&ev, 1 + k, 0, CLV_M_NET_MARGIN, scn->evaluation.confidence, &p->verification);
        const clv_interval *d = &p->verification;
        /* NaN fails: a lower end that is not above 0, whatever the reason, is no evidence */
        if (d->lo > 0) {
            p->verify = CLV_VERIFY_PASSED;
            note(o, "verified %s: %+.0f [%+.0f, %+.0f] %s net margin against none, paired on %zu fresh worlds", p->name,
                 d->mean, d->lo, d->hi, scn->economics.currency, R);
            continue;
        }
        note(o, "%s fell back to none: %+.0f [%+.0f, %+.0f] %s net margin against none, paired on %zu fresh worlds; "
                "the lower end of the %g%% interval is not above 0", p->name, d->mean, d->lo, d->hi,
             scn->economics.currency, R, 100 * scn->evaluation.confidence);
        /* the comparison meets none under its name; its table stays for its files */
        clv_policy_free(&p->pol);
        if ((st = make_none(scn, p->name, &p->pol, err)) == CLV_OK) {
            char base[sizeof p->label];
            memcpy(base, p->label, sizeof base);
            snprintf(p->label, sizeof p->label, "%.*s -> none (not verified)", (int)(sizeof base - 26), base);
        }
    }
    clv_evaluation_free(&ev);
    size_t fell = 0;
    for (size_t k = 0; k < m; k++)
        fell += s->pol[idx[k]].verify == CLV_VERIFY_FELL_BACK;
    if (st == CLV_OK)
        note(o, "verified %zu learned or planned %s against none on %zu fresh worlds in %.1f s: %zu deployed, %zu "
                "fell back to none", m, m == 1 ? "policy" : "policies", R, s->verification_seconds, m - fell, fell);
    return st;
}

/* ---- phase 4: evaluation, and the references of the comparison ---- */

static void pick_references(clv_study *s)
{
    double best = -INFINITY;
    s->none = s->best_fixed = s->bound = -1;
    for (size_t p = 0; p < s->n; p++) {
        clv_interval iv;
        const clv_policy_type *t = clv_policy_type_of(s->pol[p].kind);
        if (t && t->how == CLV_PK_BOUND)
            s->bound = (long)p;
        clv_eval_interval(&s->ev, p, CLV_M_NET_MARGIN, s->scn.evaluation.confidence, &iv);
        if (s->pol[p].kind == CLV_POLICY_NONE)
            s->none = (long)p;
        if (s->pol[p].fixed && iv.mean > best)
            best = iv.mean, s->best_fixed = (long)p;
    }
}

static int evaluate(clv_study *s, const clv_study_opts *o, clv_error *err)
{
    clv_policy pols[CLV_STUDY_MAX];
    for (size_t p = 0; p < s->n; p++)
        pols[p] = s->pol[p].pol;
    clv_eval_opts eo = {.threads = s->scn.run.threads, .progress = o->progress, .worlds = CLV_EVAL_ON_EVALUATION,
                        .hindsight = 1};
    const double t0 = now();
    int st = clv_evaluate(&s->scn, pols, s->n, &eo, &s->ev, err);
    if (st == CLV_OK) {
        note(o, "evaluated %zu policies on %zu replications in %.1f s", s->n, s->ev.replications, now() - t0);
        pick_references(s);
    }
    return st;
}

void clv_study_bound(const clv_study *s, long p, clv_eval_bound *out)
{
    if (s->none < 0) {
        clv_interval nan = {NAN, NAN, NAN, NAN, 0};
        *out = (clv_eval_bound){nan, nan, NAN, NAN, NAN};
        return;
    }
    clv_eval_bound_of(&s->ev, p, (size_t)s->none, s->bound, s->scn.evaluation.confidence, out);
}

void clv_study_verdict_of(const clv_study *s, clv_study_verdict *v)
{
    const clv_interval nan = {NAN, NAN, NAN, NAN, 0};
    *v = (clv_study_verdict){-1, -1, nan, nan, 0, 0, NAN, NAN, NAN, 0, -1, -1, NAN, NAN};
    if (s->none < 0)
        return;
    const double conf = s->scn.evaluation.confidence;
    double g_best = -INFINITY, g_next = -INFINITY;
    for (size_t p = 0; p < s->n; p++) {
        if ((long)p == s->none || (long)p == s->bound)
            continue;
        clv_eval_bound b;
        clv_study_bound(s, (long)p, &b);
        const double g = b.diff.mean;
        if (isnan(g))
            continue;
        if (g > g_best) {
            v->runner_up = v->best, g_next = g_best;
            v->best = (long)p, g_best = g;
        } else if (g > g_next) {
            v->runner_up = (long)p, g_next = g;
        }
        if (verified_kind(s->pol[p].kind) && !isnan(b.share)) {
            if (!v->n_agents || b.share < v->agents_lo)
                v->agents_lo = b.share, v->agent_lo = (long)p;
            if (!v->n_agents || b.share > v->agents_hi)
                v->agents_hi = b.share, v->agent_hi = (long)p;
            v->n_agents++;
        }
    }
    if (v->best < 0)
        return;
    clv_eval_bound b;
    clv_study_bound(s, v->best, &b);
    v->gain = b.diff;
    v->share = b.share, v->share_lo = b.share_lo, v->share_hi = b.share_hi;
    v->beats_none = v->gain.n > 1 && v->gain.lo > 0;
    if (v->runner_up >= 0) {
        clv_eval_paired(&s->ev, (size_t)v->best, (size_t)v->runner_up, CLV_M_NET_MARGIN, conf, &v->lead);
        v->beats_runner_up = v->lead.n > 1 && v->lead.lo > 0;
    }
}

void clv_study_opts_default(clv_study_opts *o)
{
    memset(o, 0, sizeof *o);
}

int clv_study_run(const clv_scenario *scn, const clv_study_opts *opts, clv_study **out, clv_error *err)
{
    *out = NULL;
    clv_study_opts defaults;
    if (!opts) {
        clv_study_opts_default(&defaults);
        opts = &defaults;
    }
    clv_study *s = calloc(1, sizeof *s);
    if (!s)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    const double t0 = now();
    s->scn = *scn;
    s->none = s->best_fixed = s->bound = -1;
    s->loaded = opts->tables != NULL;
    int st = ltv_source(scn, opts->progress, opts->note, opts->note_ctx, &s->ltv, err);
    if (st == CLV_OK)
        st = s->loaded ? load_agents(s, opts, err) : train_agents(s, opts, err);
    if (st == CLV_OK)
        st = train_qf_agents(s, opts, err);
    if (st == CLV_OK)
        st = estimate_models(s, opts, err);
    if (st == CLV_OK)
        st = build_policies(s, err);
    if (st == CLV_OK)
        st = build_own(s, opts, err);
    if (st == CLV_OK)
        st = verify(s, opts, err);
    if (st == CLV_OK)
        st = evaluate(s, opts, err);
    if (st != CLV_OK) {
        clv_study_free(s);
        return st;
    }
    s->seconds = now() - t0;
    *out = s;
    return CLV_OK;
}

void clv_study_free(clv_study *s)
{
    if (!s)
        return;
    for (size_t p = 0; p < s->n; p++)
        clv_policy_free(&s->pol[p].pol);
    for (int k = 0; k < s->n_trained; k++)
        clv_train_result_free(&s->trained[k]);
    for (int k = 0; k < s->n_qf_trained; k++)
        clv_qf_train_result_free(&s->qf_trained[k]);
    for (int t = 0; t < s->n_oracle_epochs; t++)
        clv_qtable_free(s->oracle_epochs[t]);
    free(s->oracle_epochs);
    clv_qtable_free(s->greedy);
    clv_mdp_estimate_free(s->mdp);
    clv_evaluation_free(&s->ev);
    clv_ltv_source_free(s->ltv);
    free(s);
}

/* ---- the agents alone (clvsim train-agent) ---- */

typedef struct {
    const clv_agents_opts *o;
    int algo;
} checkpoint_of;

static int checkpoint(void *ctx, const clv_qtable *t)
{
    const checkpoint_of *c = ctx;
    return c->o->checkpoint(c->o->checkpoint_ctx, c->algo, t);
}

int clv_study_agents(const clv_scenario *scn, const clv_agents_opts *opts, clv_agents **out, clv_error *err)
{
    *out = NULL;
    clv_agents_opts defaults;
    if (!opts) {
        memset(&defaults, 0, sizeof defaults);
        opts = &defaults;
    }
    const int *algos = opts->algos ? opts->algos : scn->agent.algorithms;
    const int n_algos = opts->algos ? opts->n_algos : scn->agent.n_algorithms;
    if (n_algos < 0 || n_algos > CLV_MAX_ALGOS)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "agent.algorithms", "expected 0..%d algorithms, got %d",
                             CLV_MAX_ALGOS, n_algos);
    clv_agents *a = calloc(1, sizeof *a);
    if (!a)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    a->scn = *scn;
    int st = ltv_source(scn, opts->progress, NULL, NULL, &a->ltv, err);
    for (int k = 0; k < n_algos && st == CLV_OK; k++) {
        checkpoint_of c = {opts, algos[k]};
        clv_train_opts to = {scn->run.threads, opts->progress, opts->resume, opts->checkpoint ? checkpoint : NULL,
                             &c, a->ltv};
        const double t0 = now();
        st = clv_agent_train(scn, algos[k], &to, &a->trained[k], err);
        if (st != CLV_OK)
            break;
        a->algo[k] = algos[k];
        a->seconds[k] = now() - t0;
        a->last_average[k] = last_average(&a->trained[k]);
        a->n = k + 1;
        if (opts->done)
            opts->done(opts->done_ctx, a, k);
    }
    /* the model-based oracle: the discretised MDP estimated from as many
     * episodes with random actions, solved, and each table judged on it */
    if (st == CLV_OK && a->n > 0) {
        const double t0 = now();
        st = clv_oracle_estimate(scn, a->ltv, &a->trained[0].map, clv_scn_model_episodes(scn), scn->run.threads,
                                 opts->progress, &a->mdp, err);
        if (st == CLV_OK)
            st = clv_mdp_solve(a->mdp, clv_mdp_estimate_epochs(a->mdp), NULL, &a->optimum, err);
        a->oracle_seconds = now() - t0;
        for (int k = 0; k < a->n && st == CLV_OK; k++)
            st = clv_mdp_evaluate(a->mdp, a->trained[k].table, clv_mdp_estimate_epochs(a->mdp), &a->value[k], err);
        if (st == CLV_OK && opts->done)
            opts->done(opts->done_ctx, a, -1);
    }
    if (st != CLV_OK) {
        clv_agents_free(a);
        return st;
    }
    *out = a;
    return CLV_OK;
}

void clv_agents_free(clv_agents *a)
{
    if (!a)
        return;
    for (int k = 0; k < CLV_MAX_ALGOS; k++) /* a failed training's too (zeroed when it left nothing) */
        clv_train_result_free(&a->trained[k]);
    clv_mdp_estimate_free(a->mdp);
    clv_ltv_source_free(a->ltv);
    free(a);
}

char *clv_action_name(const clv_scenario *scn, size_t a, char *buf, size_t n)
{
    const size_t P = (size_t)scn->interventions.n_prices, c = a / P;
    snprintf(buf, n, "%s@%g", c ? scn->interventions.coupons[c - 1].name : "none", scn->interventions.prices[a % P]);
    return buf;
}
