/* report_run.c - the files of a study (clvsim run and compare): its CSVs, tables, figures and HTML report, and the agents' policy and learning files. */
#include "clvsim/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clvsim/clvsim.h"
#include "clvsim/evaluate.h"
#include "clvsim/parallel.h"
#include "report_internal.h"

int clv_report_policy(const clv_scenario *scn, const clv_qtable *t, const clv_state_map *map, const clv_outdir *od,
                     const char *algo, clv_error *err)
{
    char name[64];
    snprintf(name, sizeof name, "policy_%s.csv", algo);
    clv_afile af;
    int st = clv_outdir_stage(od, name, scn->source, &af, err);
    if (st != CLV_OK)
        return st;
    /* action names made where they are printed: nothing to allocate */
    char an[CLV_NAME_MAX + 24], bn[CLV_NAME_MAX + 24];
    const int list = clv_scn_list_price(scn); /* no coupon at list price: the base action */
    fprintf(af.fp, "state,description,greedy_action,deployed_action,visits");
    for (size_t a = 0; a < t->n_actions; a++)
        fprintf(af.fp, ",q_%s", clv_action_name(scn, a, an, sizeof an));
    for (size_t a = 0; a < t->n_actions; a++)
        fprintf(af.fp, ",se_%s", clv_action_name(scn, a, an, sizeof an));
    fputc('\n', af.fp);
    for (size_t s = 0; s < t->n_states; s++) {
        unsigned long long v = 0;
        int g = -1;
        for (size_t a = 0; a < t->n_actions; a++) {
            const size_t k = s * t->n_actions + a;
            v += t->visits[k];
            if (t->visits[k] && (g < 0 || t->q[k] > t->q[s * t->n_actions + (size_t)g]))
                g = (int)a;
        }
        if (v == 0)
            continue; /* states no customer reached */
        char desc[200];
        clv_state_describe(map, s, desc, sizeof desc);
        const int d = clv_agent_confident(t, s, list, scn->agent.confidence);
        fprintf(af.fp, "%zu,%s,%s,%s,%llu", s, desc, clv_action_name(scn, (size_t)g, an, sizeof an),
                clv_action_name(scn, (size_t)d, bn, sizeof bn), v);
        /* each number's column named where it is checked (no table of names to allocate) */
        char col[CLV_NAME_MAX + 32];
        for (size_t a = 0; a < t->n_actions; a++) {
            snprintf(col, sizeof col, "q_%s", clv_action_name(scn, a, an, sizeof an));
            clv_put_num(af.fp, &af.num, col, ",%.10g", t->q[s * t->n_actions + a]);
        }
        /* a standard error needs two visits: else the field is empty */
        for (size_t a = 0; a < t->n_actions; a++) {
            if (t->visits[s * t->n_actions + a] < 2) {
                clv_put_blank(af.fp, ",%.6g");
            } else {
                snprintf(col, sizeof col, "se_%s", clv_action_name(scn, a, an, sizeof an));
                clv_put_num(af.fp, &af.num, col, ",%.6g", clv_agent_q_se(t, s, (int)a));
            }
        }
        fputc('\n', af.fp);
    }
    return clv_afile_end(&af, CLV_OK, err);
}

double clv_report_learning(clv_afile *af, const char *algo, const clv_train_result *r)
{
    FILE *fp = af->fp;
    double ma = 0, last_ma = 0;
    const long long first = (long long)r->table->episodes - r->episodes; /* above 0 when resumed */
    for (int e = 0; e < r->episodes; e++) {
        ma += r->returns[e] - (e >= 10 ? r->returns[e - 10] : 0);
        last_ma = ma / (e + 1 < 10 ? e + 1 : 10);
        fprintf(fp, "%s,%lld", algo, first + e + 1);
        clv_put_num(fp, &af->num, "epsilon", ",%.4f", r->epsilon[e]);
        clv_put_num(fp, &af->num, "return", ",%.6f", r->returns[e]);
        clv_put_num(fp, &af->num, "moving_average", ",%.6f\n", last_ma);
    }
    return last_ma;
}

/* where the tables' numbers are checked: chk records the first that is not
 * finite (clvsim/io.h), at fp's position (NULL: unknown) */
typedef struct tabchk {
    clv_numcheck *chk;
    FILE *fp;
} tabchk;

/* "1,234,567" with sign when asked; "" for a number that is not finite,
 * which t records under the name what */
static char *group(const tabchk *t, const char *what, char *buf, size_t n, double v, int decimals, int sign)
{
    if (!clv_num_ok(t->chk, t->fp, what, v)) {
        snprintf(buf, n, "%s", "");
        return buf;
    }
    char raw[64];
    snprintf(raw, sizeof raw, "%.*f", decimals, fabs(v));
    const char *dot = strchr(raw, '.');
    size_t int_len = dot ? (size_t)(dot - raw) : strlen(raw), k = 0;
    char out[96];
    if (v < 0 && strspn(raw, "0.") != strlen(raw))
        out[k++] = '-';
    else if (sign)
        out[k++] = '+';
    for (size_t i = 0; i < int_len; i++) {
        if (i && (int_len - i) % 3 == 0)
            out[k++] = ',';
        out[k++] = raw[i];
    }
    snprintf(out + k, sizeof out - k, "%s", dot ? dot : "");
    snprintf(buf, n, "%s", out);
    return buf;
}

/* "mean ± half-width"; the mean alone when one value gives no interval */
static char *pm(const tabchk *t, const char *what, char *buf, size_t n, const clv_interval *iv, int decimals)
{
    char a[48], b[48];
    if (iv->n < 2)
        snprintf(buf, n, "%s", group(t, what, a, sizeof a, iv->mean, decimals, 0));
    else
        snprintf(buf, n, "%s ± %s", group(t, what, a, sizeof a, iv->mean, decimals, 0),
                 group(t, what, b, sizeof b, (iv->hi - iv->lo) / 2, decimals, 0));
    return buf;
}

/* the width of the policy column: the longest label, at least 18 */
static int label_width(const clv_study *r)
{
    size_t w = 18;
    for (size_t p = 0; p < r->n; p++)
        w = strlen(r->pol[p].label) > w ? strlen(r->pol[p].label) : w;
    return (int)w;
}

/* the verified deployment: per learned or planned policy whether it beat
 * none on the verification worlds, and so is compared as itself, or fell
 * back to none */
static void verification_table(const clv_study *r, FILE *fp, const tabchk *t, int lw)
{
    const clv_scenario *scn = &r->scn;
    size_t m = 0, fell = 0;
    for (size_t p = 0; p < r->n; p++)
        if (r->pol[p].verify != CLV_VERIFY_EXEMPT) {
            m++;
            fell += r->pol[p].verify == CLV_VERIFY_FELL_BACK;
        }
    if (!m)
        return;
    if (r->verification_replications == 0) {
        fprintf(fp, "\nVerified deployment is off (evaluation.verification.replications = 0): the %zu learned or "
                    "planned %s compared as learned or planned, even one that loses to no campaign.\n",
                m, m == 1 ? "policy is" : "policies are");
        return;
    }
    fprintf(fp, "\nVerified deployment: each learned or planned policy against none on %zu fresh verification "
                "worlds (never the evaluation, training or oracle worlds), net margin paired by world, %g%% "
                "interval; deployed only if its lower end is above 0, else compared as none (%zu of %zu fell "
                "back):\n",
            r->verification_replications, 100 * scn->evaluation.confidence, fell, m);
    const char *what = "net margin against none on the verification worlds";
    for (size_t p = 0; p < r->n; p++) {
        const clv_study_policy *q = &r->pol[p];
        if (q->verify == CLV_VERIFY_EXEMPT)
            continue;
        const clv_interval *d = &q->verification;
        char mean[48], lo[48], hi[48];
        fprintf(fp, "  %-*s %16s %s  [%s, %s]  %s\n", lw, q->name, group(t, what, mean, sizeof mean, d->mean, 0, 1),
                scn->economics.currency, group(t, what, lo, sizeof lo, d->lo, 0, 1),
                group(t, what, hi, sizeof hi, d->hi, 0, 1),
                q->verify == CLV_VERIFY_PASSED ? "verified: deployed"
                                               : "not verified (lower end not above 0): fell back to none");
    }
}

/* "[lo, hi]" of signed grouped numbers */
static char *range(const tabchk *t, const char *what, char *buf, size_t n, double lo, double hi, int decimals)
{
    char a[48], b[48];
    snprintf(buf, n, "[%s, %s]", group(t, what, a, sizeof a, lo, decimals, 1), group(t, what, b, sizeof b, hi, decimals, 1));
    return buf;
}

/* the rows of the yardsticks' view: every policy and the hindsight bound
 * (CLV_EVAL_HINDSIGHT) by decreasing gain over none (ties in listed order,
 * NaN last) into order and b (CLV_STUDY_MAX + 1 each); their count.  gap:
 * the bound's gain (NaN without one). */
static size_t bounds_rows(const clv_study *r, long *order, clv_eval_bound *b, double *gap)
{
    size_t m = 0;
    for (size_t p = 0; p < r->n; p++)
        order[m++] = (long)p;
    if (r->ev.hindsight)
        order[m++] = CLV_EVAL_HINDSIGHT;
    *gap = NAN;
    for (size_t k = 0; k < m; k++) {
        clv_study_bound(r, order[k], &b[k]);
        if (order[k] == r->bound)
            *gap = b[k].diff.mean;
    }
    /* insertion sort by decreasing mean gain: stable, NaN last */
    for (size_t k = 1; k < m; k++)
        for (size_t j = k; j > 0 && (isnan(b[j - 1].diff.mean) && !isnan(b[j].diff.mean) ? 1 : b[j].diff.mean > b[j - 1].diff.mean); j--) {
            clv_eval_bound x = b[j];
            b[j] = b[j - 1], b[j - 1] = x;
            long o = order[j];
            order[j] = order[j - 1], order[j - 1] = o;
        }
    return m;
}

/* the cells of row k of that view: label, gain, its interval, share, its
 * interval (empty where there is none) */
static const char *bounds_cells(const clv_study *r, const tabchk *t, long p, const clv_eval_bound *b, char g[48],
                                char gi[104], char sh[48], char si[104])
{
    const char *what = "gain over no campaign", *whats = "share of achievable";
    group(t, what, g, 48, b->diff.mean, 0, 1);
    if (b->diff.n > 1 && p != r->none)
        range(t, what, gi, 104, b->diff.lo, b->diff.hi, 0);
    else
        snprintf(gi, 104, "%s", "");
    if (r->bound >= 0 && !isnan(b->share)) {
        snprintf(sh, 48, "%.2f", b->share);
        if (b->share_hi > b->share_lo)
            snprintf(si, 104, "[%.2f, %.2f]", b->share_lo, b->share_hi);
        else
            snprintf(si, 104, "%s", "");
        clv_num_ok(t->chk, t->fp, whats, b->share);
    } else {
        snprintf(sh, 48, "%s", r->bound >= 0 ? "-" : "");
        snprintf(si, 104, "%s", "");
    }
    return p == CLV_EVAL_HINDSIGHT ? "hindsight (loose)" : r->pol[p].label;
}

/* the yardsticks' view, first: every policy between no campaign (0) and
 * the clairvoyant bound (1), by decreasing gain (ties in listed order) */
static void bounds_table(const clv_study *r, FILE *fp, const tabchk *t)
{
    if (r->none < 0) {
        fprintf(fp, "(no policy none listed: no place between no campaign and the best achievable)\n\n");
        return;
    }
    const double conf = r->scn.evaluation.confidence;
    long order[CLV_STUDY_MAX + 1];
    clv_eval_bound b[CLV_STUDY_MAX + 1];
    double gap;
    const size_t m = bounds_rows(r, order, b, &gap);
    if (r->bound >= 0)
        fprintf(fp, "Where each policy sits between no campaign (0) and the clairvoyant bound (1, %s): its net margin "
                    "gained over no campaign, paired by replication, and that gain as a share of the bound's, with "
                    "%g%% intervals (%s):\n",
                r->pol[r->bound].label, 100 * conf, r->scn.economics.currency);
    else
        fprintf(fp, "Net margin gained over no campaign, paired by replication, with %g%% intervals (%s); list "
                    "\"clairvoyant\" in evaluation.policies to place each policy between no campaign and the best "
                    "achievable:\n",
                100 * conf, r->scn.economics.currency);
    if (r->bound >= 0)
        fprintf(fp, "  %-22s %14s %28s %10s %22s\n", "policy", "gain", "interval", "share", "interval");
    else
        fprintf(fp, "  %-22s %14s %28s\n", "policy", "gain", "interval");
    for (size_t k = 0; k < m; k++) {
        char g[48], gi[104], sh[48], si[104];
        const char *label = bounds_cells(r, t, order[k], &b[k], g, gi, sh, si);
        if (r->bound >= 0)
            fprintf(fp, "  %-22s %14s %28s %10s %22s\n", label, g, gi, sh, si);
        else
            fprintf(fp, "  %-22s %14s %28s\n", label, g, gi);
    }
    fprintf(fp, "(the clairvoyant sees every customer's latent state and plans in the true simulator: an upper bound "
                "in practice on any policy that sees only observations; the hindsight bound takes, for each customer, "
                "the most any policy drew from it, after the fact%s)\n\n",
            r->bound >= 0 && !(gap > 0) ? """; the bound gains nothing over no campaign here, so "
                                                            "no share is given" : "");
}

size_t clv_report_verdict(const clv_study *r, char *buf, size_t n)
{
    clv_numcheck chk = {0};
    const tabchk tc = {&chk, NULL}, *t = &tc;
    clv_study_verdict v;
    clv_study_verdict_of(r, &v);
    const char *cur = r->scn.economics.currency, *what = "verdict";
    const double conf = 100 * r->scn.evaluation.confidence;
    char g[48], lo[48], hi[48];
    size_t k = 0;
#define SAY(...) (k += (size_t)snprintf(buf + (k < n ? k : n), k < n ? n - k : 0, __VA_ARGS__))
    if (n)
        buf[0] = '\0';
    if (r->none < 0)
        return SAY("No verdict: the policy none is not listed in evaluation.policies, so no policy can be compared "
                   "with doing nothing.");
    if (v.best < 0)
        return SAY("No verdict: no policy besides none (and the clairvoyant bound) is compared.");
    const clv_study_policy *b = &r->pol[v.best];
    group(t, what, g, sizeof g, v.gain.mean, 0, 1);
    group(t, what, lo, sizeof lo, v.gain.lo, 0, 1), group(t, what, hi, sizeof hi, v.gain.hi, 0, 1);
    if (!(v.gain.mean > 0))
        SAY("No policy gains over no campaign: the best, %s, changes net margin by %s %s [%s, %s]; keep no "
            "campaign.", b->label, g, cur, lo, hi);
    else if (v.gain.n > 1)
        SAY("%s gains the most: %s %s of net margin over no campaign [%s, %s] (%g%% interval, %zu replications, "
            "paired)", b->label, g, cur, lo, hi, conf, v.gain.n);
    else
        SAY("%s gains the most: %s %s of net margin over no campaign (one replication: no interval)", b->label, g,
            cur);
    if (v.gain.mean > 0 && !isnan(v.share)) {
        clv_eval_bound cb;
        clv_study_bound(r, r->bound, &cb);
        group(t, what, g, sizeof g, cb.diff.mean, 0, 1);
        if (v.share_hi > v.share_lo)
            SAY(", %.0f%% [%.0f%%, %.0f%%] of the best achievable (the clairvoyant bound's %s %s).", 100 * v.share,
                100 * v.share_lo, 100 * v.share_hi, g, cur);
        else
            SAY(", %.0f%% of the best achievable (the clairvoyant bound's %s %s).", 100 * v.share, g, cur);
    } else if (v.gain.mean > 0) {
        SAY(".");
    }
    if (v.gain.mean > 0 && v.gain.n > 1 && !v.beats_none)
        SAY(" Caveat: this gain is not significant (its interval reaches 0); no campaign may do as well.");
    if (v.gain.mean > 0 && v.runner_up >= 0 && v.lead.n > 1) {
        group(t, what, g, sizeof g, v.lead.mean, 0, 1);
        group(t, what, lo, sizeof lo, v.lead.lo, 0, 1), group(t, what, hi, sizeof hi, v.lead.hi, 0, 1);
        if (v.beats_runner_up)
            SAY(" It beats the runner-up, %s, by %s %s [%s, %s].", r->pol[v.runner_up].label, g, cur, lo, hi);
        else
            SAY(" Caveat: it is not clearly better than the runner-up, %s (%s %s [%s, %s]): treat them as tied.",
                r->pol[v.runner_up].label, g, cur, lo, hi);
    }
    if (v.n_agents == 1)
        SAY(" The learned or planned policy %s reaches %.0f%% of the achievable gain.", r->pol[v.agent_lo].label,
            100 * v.agents_lo);
    else if (v.n_agents > 1)
        SAY(" The learned and planned policies reach %.0f%% (%s) to %.0f%% (%s) of the achievable gain.",
            100 * v.agents_lo, r->pol[v.agent_lo].label, 100 * v.agents_hi, r->pol[v.agent_hi].label);
#undef SAY
    return k;
}

/* the cells of policy p's row of the comparison: net margin, revenue,
 * coupon spend, ROI vs none, purchases, active at end, churned, CLV per
 * customer and remaining value per customer, "mean ± half-width" */
enum { METRIC_CELLS = 9 };
static const char *const metric_heads[METRIC_CELLS] = {
    "net margin", "revenue", "coupon spend", "ROI vs none", "purchases", "active at end", "churned",
    "CLV/customer", "remaining/cust"};
static void metric_cells(const clv_study *r, const tabchk *t, size_t p, char c[METRIC_CELLS][96])
{
    const double conf = r->scn.evaluation.confidence;
    static const int metric[METRIC_CELLS] = {CLV_M_NET_MARGIN, CLV_M_REVENUE, CLV_M_COUPON_SPEND, -1,
                                             CLV_M_PURCHASES, CLV_M_ACTIVE_END, CLV_M_CHURNED, CLV_M_CLV,
                                             CLV_M_REMAINING};
    for (int k = 0; k < METRIC_CELLS; k++) {
        if (metric[k] < 0)
            continue;
        clv_interval iv;
        clv_eval_interval(&r->ev, p, metric[k], conf, &iv);
        pm(t, metric_heads[k], c[k], sizeof c[k], &iv, metric[k] == CLV_M_CLV || metric[k] == CLV_M_REMAINING ? 2 : 0);
    }
    if (r->none >= 0 && (long)p != r->none) {
        clv_interval roi;
        clv_eval_roi(&r->ev, p, (size_t)r->none, conf, &roi);
        if (roi.n > 0)
            pm(t, "ROI vs none", c[3], sizeof c[3], &roi, 2);
        else
            snprintf(c[3], sizeof c[3], "no spend");
    } else {
        snprintf(c[3], sizeof c[3], "-");
    }
}

/* the comparison's tables; their numbers are checked in chk (at fp's
 * position when pos_fp, else unknown) */
void clv_report_run_tables(const clv_study *r, FILE *fp, clv_numcheck *chk, int pos_fp)
{
    const tabchk tc = {chk, pos_fp ? fp : NULL}, *t = &tc;
    const clv_scenario *scn = &r->scn;
    const double conf = scn->evaluation.confidence;
    int32_t start;
    clv_date_parse(scn->calendar.start, -1, &start);
    char d0[16], d1[16];
    fprintf(fp, "\nPolicy comparison: %s, %zu replications, %s to %s, on %lld existing customers (and those "
                "acquired); mean ± half-width of the %g%% interval across replications (Student t)\n\n",
            scn->scenario.name, r->ev.replications, clv_date_format(start, d0),
            clv_date_format(start + scn->calendar.horizon_days - 1, d1),
            (long long)((double)scn->population.customers * scn->run.scale), 100 * conf);
    bounds_table(r, fp, t);
    const int lw = label_width(r);
    fprintf(fp, "%-*s %24s %22s %22s %16s %18s %16s %16s %14s %14s\n", lw, "policy", "net margin", "revenue",
            "coupon spend", "ROI vs none", "purchases", "active at end", "churned", "CLV/customer", "remaining/cust");
    for (size_t p = 0; p < r->n; p++) {
        char c[METRIC_CELLS][96];
        metric_cells(r, t, p, c);
        fprintf(fp, "%-*s %24s %22s %22s %16s %18s %16s %16s %14s %14s\n", lw, r->pol[p].label, c[0], c[1], c[2],
                c[3], c[4], c[5], c[6], c[7], c[8]);
    }
    fprintf(fp, "(money in %s; ROI: extra net margin over no campaign per %s of coupon spend; remaining/cust: the "
                "predicted value of the next %d days at the end)\n",
            r->scn.economics.currency, r->scn.economics.currency, scn->ltv.horizon_days);
    verification_table(r, fp, t, lw);
    if (r->best_fixed >= 0) {
        const size_t b = (size_t)r->best_fixed;
        fprintf(fp, "\nNet margin against the best fixed policy (%s), paired by replication (common random "
                    "numbers), %g%% interval:\n",
                r->pol[b].label, 100 * conf);
        for (size_t p = 0; p < r->n; p++) {
            if (p == b)
                continue;
            clv_interval d;
            clv_eval_paired(&r->ev, p, b, CLV_M_NET_MARGIN, conf, &d);
            char m[48], lo[48], hi[48];
            const char *verdict = d.lo > 0 ? "better" : d.hi < 0 ? "worse" : "no clear difference";
            const char *what = "net margin against the best fixed policy";
            fprintf(fp, "  %-*s %16s %s  [%s, %s]  %s\n", lw, r->pol[p].label, group(t, what, m, sizeof m, d.mean, 0, 1),
                    r->scn.economics.currency, group(t, what, lo, sizeof lo, d.lo, 0, 1), group(t, what, hi, sizeof hi, d.hi, 0, 1),
                    verdict);
        }
    }
    if (r->none >= 0) {
        fprintf(fp, "\nWhere the money went (ground truth, per replication, against no campaign). Segments are "
                    "treatment effects of the reference contact over the experiment's window (a persuadable buys "
                    "in it only if contacted, a sleeping dog only if not, a sure thing either way, a lost cause "
                    "neither): coupon spend on sure things, extra repeat purchases of persuadables and of sleeping "
                    "dogs, and the net margin gained or lost in each segment (%s):\n",
                r->scn.economics.currency);
        static const char *const heads[7] = {"spend sure-thing", "+purch persuad.", "+purch sl.dog", "margin pers.",
                                             "margin sure", "margin lost", "margin sl.dog"};
        fprintf(fp, "  %-*s %16s %16s %14s %14s %14s %14s %14s\n", lw, "policy", heads[0], heads[1], heads[2], heads[3],
                heads[4], heads[5], heads[6]);
        const size_t R = r->ev.replications, none = (size_t)r->none;
        for (size_t p = 0; p < r->n; p++) {
            if (p == none)
                continue;
            double v[7] = {0};
            for (size_t k = 0; k < R; k++) {
                const clv_eval_segment *g = r->ev.segments + (p * R + k) * CLV_SEGMENTS;
                const clv_eval_segment *z = r->ev.segments + (none * R + k) * CLV_SEGMENTS;
                v[0] += g[CLV_SEG_SURE_THING].coupon_spend / (double)R;
                v[1] += (g[CLV_SEG_PERSUADABLE].purchases - z[CLV_SEG_PERSUADABLE].purchases) / (double)R;
                v[2] += (g[CLV_SEG_SLEEPING_DOG].purchases - z[CLV_SEG_SLEEPING_DOG].purchases) / (double)R;
                for (int s = 0; s < CLV_SEGMENTS; s++)
                    v[3 + s] += (g[s].net_margin - z[s].net_margin) / (double)R;
            }
            char c[7][48];
            fprintf(fp, "  %-*s %16s %16s %14s %14s %14s %14s %14s\n", lw, r->pol[p].label,
                    group(t, heads[0], c[0], 48, v[0], 0, 0), group(t, heads[1], c[1], 48, v[1], 0, 1),
                    group(t, heads[2], c[2], 48, v[2], 0, 1), group(t, heads[3], c[3], 48, v[3], 0, 1),
                    group(t, heads[4], c[4], 48, v[4], 0, 1), group(t, heads[5], c[5], 48, v[5], 0, 1),
                    group(t, heads[6], c[6], 48, v[6], 0, 1));
        }
    }
    char verdict[2048];
    clv_report_verdict(r, verdict, sizeof verdict);
    fprintf(fp, "\nVerdict: %s\n", verdict);
}

/* ---- phase 4: files ---- */

/* Every number goes through clv_put_num (clvsim/io.h): one that is not
 * finite makes the file's commit fail, naming the file, line and column.
 * Empty fields: an interval (_lo, _hi) of fewer than two replications, the
 * ROI of none and of a policy that never spent, comparisons with a policy
 * that is not listed.  A writer returns 0, CLV_ENOMEM, or another value
 * when a write failed. */
typedef int (*writer_fn)(const clv_study *r, clv_afile *af);

#define NUM(col, fmt, v) clv_put_num(af->fp, &af->num, col, fmt, v)

static int write_file(const clv_study *r, const clv_outdir *od, const char *name, writer_fn fn, clv_error *err)
{
    clv_afile af;
    int st = clv_outdir_stage(od, name, r->scn.source, &af, err);
    if (st != CLV_OK)
        return st;
    const int rc = fn(r, &af);
    if (rc != 0)
        st = rc == CLV_ENOMEM ? clv_error_set(err, CLV_ENOMEM, af.path, 0, NULL, "out of memory")
                              : clv_error_set(err, CLV_EIO, af.path, 0, NULL, "writing failed");
    return clv_afile_end(&af, st, err);
}

/* ",mean,lo,hi" of an interval in the columns col, lo and hi: the bounds
 * empty without two values, everything empty without one */
static void put_interval_as(clv_afile *af, const char *col, const char *lo, const char *hi, const clv_interval *iv)
{
    if (iv->n > 0)
        NUM(col, ",%.6f", iv->mean);
    else
        clv_put_blank(af->fp, ",%.6f");
    if (iv->n > 1) {
        NUM(lo, ",%.6f", iv->lo);
        NUM(hi, ",%.6f", iv->hi);
    } else {
        clv_put_blank(af->fp, ",%.6f");
        clv_put_blank(af->fp, ",%.6f");
    }
}

/* the same in the columns col, col_lo and col_hi */
static void put_interval(clv_afile *af, const char *col, const clv_interval *iv)
{
    char lo[80], hi[80];
    snprintf(lo, sizeof lo, "%s_lo", col);
    snprintf(hi, sizeof hi, "%s_hi", col);
    put_interval_as(af, col, lo, hi, iv);
}

static int w_summary(const clv_study *r, clv_afile *af)
{
    FILE *fp = af->fp;
    const double conf = r->scn.evaluation.confidence;
    fprintf(fp, "policy,label,fixed,replications");
    for (int m = 0; m < CLV_M_N; m++)
        fprintf(fp, ",%s,%s_lo,%s_hi", clv_metric_name(m), clv_metric_name(m), clv_metric_name(m));
    fprintf(fp, ",roi_vs_none,roi_vs_none_lo,roi_vs_none_hi,net_margin_vs_best_fixed,net_margin_vs_best_fixed_lo,"
                "net_margin_vs_best_fixed_hi\n");
    for (size_t p = 0; p < r->n; p++) {
        fprintf(fp, "%s,%s,%d,%zu", r->pol[p].name, r->pol[p].label, r->pol[p].fixed, r->ev.replications);
        for (int m = 0; m < CLV_M_N; m++) {
            clv_interval iv;
            clv_eval_interval(&r->ev, p, m, conf, &iv);
            put_interval(af, clv_metric_name(m), &iv);
        }
        clv_interval roi = {NAN, NAN, NAN, NAN, 0}, d = {NAN, NAN, NAN, NAN, 0};
        if (r->none >= 0 && (long)p != r->none)
            clv_eval_roi(&r->ev, p, (size_t)r->none, conf, &roi);
        if (r->best_fixed >= 0)
            clv_eval_paired(&r->ev, p, (size_t)r->best_fixed, CLV_M_NET_MARGIN, conf, &d);
        put_interval(af, "roi_vs_none", &roi);
        put_interval(af, "net_margin_vs_best_fixed", &d);
        fputc('\n', fp);
    }
    return ferror(fp);
}

/* per learned or planned policy: verified (1), fell back to none (0) or
 * deployed unverified (empty: verification off), with the paired net
 * margin against none on the verification worlds */
static int w_verification(const clv_study *r, clv_afile *af)
{
    FILE *fp = af->fp;
    fprintf(fp, "policy,verified,diff_mean,diff_lo,diff_hi,replications\n");
    for (size_t p = 0; p < r->n; p++) {
        const clv_study_policy *q = &r->pol[p];
        if (q->verify == CLV_VERIFY_EXEMPT)
            continue;
        fprintf(fp, "%s,%s", q->name, q->verify == CLV_VERIFY_PASSED ? "1" : q->verify == CLV_VERIFY_FELL_BACK ? "0" : "");
        if (q->verify == CLV_VERIFY_OFF) {
            const clv_interval none = {NAN, NAN, NAN, NAN, 0};
            put_interval(af, "diff", &none);
        } else {
            put_interval(af, "diff", &q->verification);
        }
        fprintf(fp, ",%zu\n", q->verify == CLV_VERIFY_OFF ? (size_t)0 : q->verification.n);
    }
    return ferror(fp);
}

/* bounds.csv: every policy (and the hindsight bound) between no campaign
 * and the clairvoyant bound, in listed order */
static int w_bounds(const clv_study *r, clv_afile *af)
{
    FILE *fp = af->fp;
    fprintf(fp, "policy,net_margin,net_margin_lo,net_margin_hi,diff_vs_none,diff_lo,diff_hi,share_of_achievable,"
                "share_lo,share_hi,label\n");
    for (size_t k = 0; k <= r->n; k++) {
        const long p = k < r->n ? (long)k : CLV_EVAL_HINDSIGHT;
        if (p == CLV_EVAL_HINDSIGHT && !r->ev.hindsight)
            break;
        clv_eval_bound b;
        clv_study_bound(r, p, &b);
        fprintf(fp, "%s", p == CLV_EVAL_HINDSIGHT ? "hindsight" : r->pol[p].name);
        put_interval(af, "net_margin", &b.value);
        put_interval_as(af, "diff_vs_none", "diff_lo", "diff_hi", &b.diff);
        const double sh[3] = {b.share, b.share_lo, b.share_hi};
        static const char *const col[3] = {"share_of_achievable", "share_lo", "share_hi"};
        for (int c = 0; c < 3; c++)
            if (isnan(sh[c]))
                clv_put_blank(fp, ",%.6f");
            else
                NUM(col[c], ",%.6f", sh[c]);
        fprintf(fp, ",%s\n", p == CLV_EVAL_HINDSIGHT ? "hindsight (loose)" : r->pol[p].label);
    }
    return ferror(fp);
}

static int w_replications(const clv_study *r, clv_afile *af)
{
    FILE *fp = af->fp;
    fprintf(fp, "policy,replication");
    for (int m = 0; m < CLV_M_N; m++)
        fprintf(fp, ",%s", clv_metric_name(m));
    fputc('\n', fp);
    for (size_t p = 0; p < r->n; p++)
        for (size_t k = 0; k < r->ev.replications; k++) {
            fprintf(fp, "%s,%zu", r->pol[p].name, k);
            for (int m = 0; m < CLV_M_N; m++)
                NUM(clv_metric_name(m), ",%.6f", clv_eval_value(&r->ev, p, k, m));
            fputc('\n', fp);
        }
    return ferror(fp);
}

static int w_segments(const clv_study *r, clv_afile *af)
{
    FILE *fp = af->fp;
    const size_t R = r->ev.replications;
    static const char *const cols[9] = {"customers", "net_margin", "coupon_spend", "repeat_purchases", "churned",
                                        "net_margin_vs_none", "coupon_spend_vs_none", "repeat_purchases_vs_none",
                                        "churned_vs_none"};
    static const char *const fmts[9] = {",%.3f", ",%.6f", ",%.6f", ",%.3f", ",%.3f", ",%.6f", ",%.6f", ",%.3f", ",%.3f"};
    fprintf(fp, "policy,segment");
    for (int j = 0; j < 9; j++)
        fprintf(fp, ",%s", cols[j]);
    fputc('\n', fp);
    for (size_t p = 0; p < r->n; p++)
        for (int s = 0; s < CLV_SEGMENTS; s++) {
            double v[9] = {0};
            for (size_t k = 0; k < R; k++) {
                const clv_eval_segment *g = &r->ev.segments[(p * R + k) * CLV_SEGMENTS + (size_t)s];
                const double x[5] = {g->customers, g->net_margin, g->coupon_spend, g->purchases, g->churned};
                for (int j = 0; j < 5; j++)
                    v[j] += x[j] / (double)R;
                if (r->none >= 0) {
                    const clv_eval_segment *z = &r->ev.segments[((size_t)r->none * R + k) * CLV_SEGMENTS + (size_t)s];
                    v[5] += (g->net_margin - z->net_margin) / (double)R;
                    v[6] += (g->coupon_spend - z->coupon_spend) / (double)R;
                    v[7] += (g->purchases - z->purchases) / (double)R;
                    v[8] += (g->churned - z->churned) / (double)R;
                }
            }
            fprintf(fp, "%s,%s", r->pol[p].name, clv_segment_name(s));
            for (int j = 0; j < 9; j++) {
                if (j >= 5 && r->none < 0)
                    clv_put_blank(fp, fmts[j]); /* no policy none to compare with */
                else
                    NUM(cols[j], fmts[j], v[j]);
            }
            fputc('\n', fp);
        }
    return ferror(fp);
}

/* per policy and day, the mean over replications of the environment's day */
static int w_daily(const clv_study *r, clv_afile *af)
{
    FILE *fp = af->fp;
    const size_t R = r->ev.replications, D = r->ev.n_days;
    static const char *const cols[10] = {"purchases", "revenue", "coupon_spend", "net_margin", "coupons_sent",
                                         "coupons_refused", "redemptions", "alive", "active", "customers"};
    fprintf(fp, "policy,date");
    for (int j = 0; j < 10; j++)
        fprintf(fp, ",%s", cols[j]);
    fprintf(fp, ",window\n");
    for (size_t p = 0; p < r->n; p++)
        for (size_t d = 0; d < D; d++) {
            double v[10] = {0};
            int32_t day = 0;
            for (size_t k = 0; k < R; k++) {
                const clv_sim_day *x = &r->ev.days[(p * R + k) * D + d];
                const double y[10] = {x->purchases, x->revenue, x->coupon_cost, x->net_margin, x->coupons_sent,
                                      x->coupons_refused, x->redemptions, x->alive,
                                      x->stage[CLV_STAGE_NEW] + x->stage[CLV_STAGE_ACTIVE] + x->stage[CLV_STAGE_LOYAL],
                                      x->customers};
                for (int j = 0; j < 10; j++)
                    v[j] += y[j] / (double)R;
                day = x->day;
            }
            char date[16];
            const int w = clv_sim_window_of(&r->scn, day);
            fprintf(fp, "%s,%s", r->pol[p].name, clv_date_format(day, date));
            for (int j = 0; j < 10; j++)
                NUM(cols[j], ",%.6f", v[j]);
            fprintf(fp, ",%s\n", w >= 0 ? r->scn.seasonality.windows[w].name : "");
        }
    return ferror(fp);
}

/* actions.csv: per policy and action, the customer-epochs at it (mean per
 * replication) and their share of the policy's customer-epochs */
static int w_actions(const clv_study *r, clv_afile *af)
{
    FILE *fp = af->fp;
    const size_t R = r->ev.replications, A = r->ev.n_actions;
    fprintf(fp, "policy,action,customer_epochs,share\n");
    for (size_t p = 0; p < r->n; p++) {
        double total = 0;
        for (size_t k = 0; k < R * A; k++)
            total += r->ev.actions[p * R * A + k];
        for (size_t a = 0; a < A; a++) {
            double c = 0;
            for (size_t k = 0; k < R; k++)
                c += r->ev.actions[(p * R + k) * A + a];
            char an[CLV_NAME_MAX + 24];
            fprintf(fp, "%s,%s", r->pol[p].name, clv_action_name(&r->scn, a, an, sizeof an));
            NUM("customer_epochs", ",%.3f", c / (double)R);
            NUM("share", ",%.6f\n", total > 0 ? c / total : 0);
        }
    }
    return ferror(fp);
}

static int w_calibration(const clv_study *r, clv_afile *af)
{
    FILE *fp = af->fp;
    const size_t R = r->ev.replications;
    fprintf(fp, "policy,decile,predicted,realised\n");
    for (size_t p = 0; p < r->n; p++)
        for (int d = 0; d < CLV_DECILES; d++) {
            double pr = 0, re = 0;
            for (size_t k = 0; k < R; k++) {
                pr += r->ev.calibration[p * R + k].predicted[d] / (double)R;
                re += r->ev.calibration[p * R + k].realised[d] / (double)R;
            }
            fprintf(fp, "%s,%d", r->pol[p].name, d + 1);
            NUM("predicted", ",%.6f", pr);
            NUM("realised", ",%.6f\n", re);
        }
    return ferror(fp);
}

/* the learned policies as a heatmap: visited states (rows, most visited
 * first, at most 40) x actions, Q(s,a) - Q(s, no coupon at list price);
 * empty where the action was never tried in the state */
static int write_heatmap(const clv_study *r, const clv_outdir *od, const char *algo, const clv_qtable *t,
                         const clv_state_map *map, clv_error *err)
{
    char name[64];
    snprintf(name, sizeof name, "heatmap_%s.csv", algo);
    clv_afile af;
    int st = clv_outdir_stage(od, name, r->scn.source, &af, err);
    if (st != CLV_OK)
        return st;
    const size_t A = t->n_actions, list = (size_t)clv_scn_list_price(&r->scn);
    enum { ROWS = 40 };
    size_t rows[ROWS], nr = 0;
    double vis[ROWS];
    for (size_t s = 0; s < t->n_states; s++) {
        double v = 0;
        for (size_t a = 0; a < A; a++)
            v += t->visits[s * A + a];
        if (v == 0 || (nr == ROWS && v <= vis[ROWS - 1]))
            continue;
        size_t k = nr < ROWS ? nr++ : ROWS - 1;
        while (k > 0 && vis[k - 1] < v) {
            rows[k] = rows[k - 1], vis[k] = vis[k - 1];
            k--;
        }
        rows[k] = s, vis[k] = v;
    }
    fprintf(af.fp, "state");
    for (size_t a = 0; a < A; a++) {
        char an[CLV_NAME_MAX + 24];
        fprintf(af.fp, ",%s", clv_action_name(&r->scn, a, an, sizeof an));
    }
    fputc('\n', af.fp);
    for (size_t k = 0; k < nr; k++) {
        char desc[200];
        clv_state_describe(map, rows[k], desc, sizeof desc);
        for (char *c = desc; *c; c++)
            if (*c == ',')
                *c = ';';
        fprintf(af.fp, "%s", desc);
        const double *q = t->q + rows[k] * A;
        for (size_t a = 0; a < A; a++) {
            char an[CLV_NAME_MAX + 24];
            if (t->visits[rows[k] * A + a])
                clv_put_num(af.fp, &af.num, clv_action_name(&r->scn, a, an, sizeof an), ",%.6f", q[a] - q[list]);
            else
                clv_put_blank(af.fp, ",%.6f");
        }
        fputc('\n', af.fp);
    }
    return clv_afile_end(&af, CLV_OK, err);
}

/* ---- phase 5: figures and the report ---- */

int clv_report_run_figures(const clv_study *r, const clv_outdir *od, const clv_progress *stop, clv_error *err)
{
    const clv_scenario *scn = &r->scn;
    const char *dir = od->stage;
    char data[CLV_IO_PATH_MAX + 96], currency[40], policies[CLV_STUDY_MAX * 24] = "policies=", windows[1024] = "windows=";
    snprintf(currency, sizeof currency, "currency=%s", r->scn.economics.currency);
    /* the labels as double-quoted words (gnuplot's word() keeps a quoted
     * word whole); a double quote inside one becomes a single quote */
    char labels[CLV_STUDY_MAX * (CLV_NAME_MAX + 36)] = "labels=", reference[CLV_NAME_MAX + 32] = "reference=";
    for (size_t p = 0; p < r->n; p++) {
        strncat(policies, p ? " " : "", sizeof policies - strlen(policies) - 1);
        strncat(policies, r->pol[p].name, sizeof policies - strlen(policies) - 1);
        size_t len = strlen(labels);
        if (len + strlen(r->pol[p].label) + 4 < sizeof labels) {
            len += (size_t)snprintf(labels + len, sizeof labels - len, "%s\"", p ? " " : "");
            for (const char *c = r->pol[p].label; *c; c++)
                labels[len++] = *c == '"' ? '\'' : *c;
            labels[len++] = '"';
            labels[len] = '\0';
        }
    }
    if (r->none >= 0)
        strncat(reference, r->pol[r->none].name, sizeof reference - strlen(reference) - 1);
    /* the seasonality windows as date ranges within the horizon */
    int32_t start;
    clv_date_parse(scn->calendar.start, -1, &start);
    for (int32_t d = start, from = -1, w = -1; d <= start + scn->calendar.horizon_days; d++) {
        const int x = d < start + scn->calendar.horizon_days ? clv_sim_window_of(scn, d) : -1;
        if (x != w && w >= 0) {
            char a[16], b[16], span[40];
            snprintf(span, sizeof span, "%s%s:%s", strlen(windows) > 8 ? " " : "", clv_date_format(from, a),
                     clv_date_format(d, b));
            strncat(windows, span, sizeof windows - strlen(windows) - 1);
        }
        if (x != w)
            from = d, w = x;
    }
    const int *fmts = scn->output.plot_formats, nf = scn->output.n_plot_formats;
    if (!clv_plot_available())
        return clv_error_set(err, CLV_EUNSUPPORTED, NULL, 0, NULL, "gnuplot not found");
    /* every figure queued, then drawn by one clv_plot_all */
    clv__figures q = {0};
    int st = CLV_OK;
    snprintf(data, sizeof data, "datafile=%s/bounds.csv", dir);
    {
        char title[200];
        snprintf(title, sizeof title, "title_text=Net margin gained over no campaign, %s (%zu replications, %g%% "
                 "intervals)", scn->scenario.name, r->ev.replications, 100 * scn->evaluation.confidence);
        const char *vars[] = {data, currency, title};
        st = clv__figures_add(&q, dir, "forest.gp", "forest", fmts, nf, vars, 3, err);
    }
    static const char *const series[3][4] = {
        {"6", "daily_net_margin", "Daily net margin by policy", "net margin per day (%s)"},
        {"11", "active_customers", "Active customers (new, active or loyal) by policy", "customers"},
        {"5", "coupon_spend", "Daily coupon spend by policy", "coupon spend per day (%s)"}};
    snprintf(data, sizeof data, "datafile=%s/daily.csv", dir);
    for (int k = 0; k < 3 && st == CLV_OK; k++) {
        char column[64], title[200], ylabel[120];
        snprintf(column, sizeof column, "column_number=%s", series[k][0]); /* of daily.csv (w_daily) */
        snprintf(title, sizeof title, "title_text=%s, %s (mean of %zu replications; shaded: seasonal windows)",
                 series[k][2], scn->scenario.name, r->ev.replications);
        char yl[80];
        snprintf(yl, sizeof yl, series[k][3], r->scn.economics.currency);
        snprintf(ylabel, sizeof ylabel, "ylabel_text=%s", yl);
        const char *vars[] = {data, column, title, ylabel, policies, labels, reference, windows};
        st = clv__figures_add(&q, dir, "series.gp", series[k][1], fmts, nf, vars, 8, err);
    }
    if (st == CLV_OK && r->n) {
        /* the LTV estimate's calibration, under no campaign (or the first policy) */
        const size_t p = r->none >= 0 ? (size_t)r->none : 0;
        char title[300], pol[CLV_NAME_MAX + 32];
        snprintf(data, sizeof data, "datafile=%s/calibration.csv", dir);
        snprintf(pol, sizeof pol, "policy=%s", r->pol[p].name);
        snprintf(title, sizeof title, "title_text=Calibration of the LTV estimate over %d days, by decile (policy %s, "
                                      "%zu replications)",
                 scn->calendar.horizon_days, r->pol[p].name, r->ev.replications);
        const char *vars[] = {data, currency, title, pol};
        st = clv__figures_add(&q, dir, "calibration.gp", "calibration", fmts, nf, vars, 4, err);
    }
    if (st == CLV_OK && r->n_trained && !r->loaded) {
        char algos[80] = "algos=";
        for (int k = 0; k < r->n_trained; k++) {
            strncat(algos, k ? " " : "", sizeof algos - strlen(algos) - 1);
            strncat(algos, clv_scn_enum_name("agent.algorithms", r->algo[k]), sizeof algos - strlen(algos) - 1);
        }
        snprintf(data, sizeof data, "datafile=%s/learning.csv", dir);
        const char *vars[] = {data, currency, "title_text=Learning curves of the tabular agents", algos};
        st = clv__figures_add(&q, dir, "learning.gp", "learning", fmts, nf, vars, 4, err);
    }
    for (size_t p = 0; p < r->n && st == CLV_OK; p++) {
        if (!r->pol[p].table) /* the policies that act on a table */
            continue;
        char title[200], stem[64];
        snprintf(data, sizeof data, "datafile=%s/heatmap_%s.csv", dir, r->pol[p].name);
        snprintf(title, sizeof title, "title_text=Policy %s: Q(s,a) - Q(s, no coupon at list price), most visited "
                                      "states (%s)", r->pol[p].name, r->scn.economics.currency);
        snprintf(stem, sizeof stem, "heatmap_%s", r->pol[p].name);
        const char *vars[] = {data, title};
        st = clv__figures_add(&q, dir, "heatmap.gp", stem, fmts, nf, vars, 2, err);
    }
    if (st == CLV_OK)
        st = clv__figures_draw(&q, stop, err);
    clv__figures_free(&q);
    return st;
}

static void html_escape(FILE *fp, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            fputs("&lt;", fp);
        else if (*s == '>')
            fputs("&gt;", fp);
        else if (*s == '&')
            fputs("&amp;", fp);
        else
            fputc(*s, fp);
    }
}

/* The figure dir/stem.png (or .svg) embedded in the report as a data URI,
 * so that report.html is one file that works offline; a figure that is
 * missing says so in the page (and the image's onerror marks it). */
static int embed_figure(FILE *fp, const char *dir, const char *stem, int svg, const char *alt)
{
    char path[CLV_IO_PATH_MAX + 96];
    snprintf(path, sizeof path, "%s/%s.%s", dir, stem, svg ? "svg" : "png");
    FILE *in = fopen(path, "rb");
    fprintf(fp, "<img alt=\"");
    html_escape(fp, alt);
    fprintf(fp, "\" onerror=\"this.className='missing';this.alt='figure missing: '+this.alt\" src=\"");
    if (in) {
        static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        fprintf(fp, "data:image/%s;base64,", svg ? "svg+xml" : "png");
        unsigned char buf[3 * 1024];
        size_t got;
        while ((got = fread(buf, 1, sizeof buf, in)) > 0) {
            for (size_t i = 0; i < got; i += 3) {
                const unsigned v = (unsigned)buf[i] << 16 | (i + 1 < got ? (unsigned)buf[i + 1] << 8 : 0) |
                                   (i + 2 < got ? buf[i + 2] : 0);
                fputc(b64[v >> 18 & 63], fp);
                fputc(b64[v >> 12 & 63], fp);
                fputc(i + 1 < got ? b64[v >> 6 & 63] : '=', fp);
                fputc(i + 2 < got ? b64[v & 63] : '=', fp);
            }
            if (got < sizeof buf)
                break;
        }
        const int bad = ferror(in);
        fclose(in);
        if (bad)
            return 1;
    } else {
        fprintf(fp, "%s.%s", stem, svg ? "svg" : "png"); /* the reader's copy, if it is there */
    }
    fprintf(fp, "\">\n");
    return 0;
}

static int w_report(const clv_study *r, clv_afile *af, const char *dir, const char *no_figures, double seconds)
{
    FILE *fp = af->fp;
    const clv_scenario *scn = &r->scn;
    fprintf(fp, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>clvsim: ");
    html_escape(fp, scn->scenario.name);
    fprintf(fp, "</title>\n<style>body{font-family:sans-serif;max-width:1400px;margin:2em auto;padding:0 1em}"
                "pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:12px}img{max-width:100%%}"
                "table{border-collapse:collapse}td,th{padding:2px 8px}"
                "table.num{display:block;overflow-x:auto;max-width:100%%}table.num td,table.num th{border-bottom:1px "
                "solid #ddd;white-space:nowrap}table.num td+td{text-align:right}tr.bound td{color:#666;"
                "font-style:italic}#verdict{font-size:1.15em;background:#eef5ff;border-left:4px solid #1f77b4;"
                "padding:.6em 1em}dt{font-weight:bold}.missing{display:block;color:#b00}</style></head><body>\n");
    fprintf(fp, "<h1>clvsim: ");
    html_escape(fp, scn->scenario.name);
    fprintf(fp, "</h1>\n<p>");
    html_escape(fp, scn->scenario.description);
    time_t now = time(NULL);
    char when[64];
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
    fprintf(fp, "</p>\n<table><tr><td>scenario file</td><td>");
    html_escape(fp, scn->source);
    fprintf(fp, "</td></tr><tr><td>seed</td><td>%lld</td></tr><tr><td>clvsim</td><td>%s</td></tr>"
                "<tr><td>run</td><td>%s, %.1f s on %d threads</td></tr><tr><td>replications</td><td>%zu</td></tr>"
                "</table>\n",
            (long long)scn->scenario.seed, clv_version(), when, seconds, clv_threads_resolve(scn->run.threads),
            r->ev.replications);
    /* the price response's coherence with the margin, which decides
     * whether price moves win by assumption */
    clv_price_check pc;
    clv_scn_price_check(scn, &pc);
    char warn[1024];
    clv_scn_price_warning(scn, &pc, warn, sizeof warn);
    if (warn[0]) {
        fprintf(fp, "<h2>Caveat: the price response</h2>\n<p>");
        html_escape(fp, warn);
        fprintf(fp, ".</p>\n");
    }
    /* the answer first, then the tables it rests on */
    char verdict[2048];
    clv_report_verdict(r, verdict, sizeof verdict);
    fprintf(fp, "<p id=\"verdict\"><strong>Verdict.</strong> ");
    html_escape(fp, verdict);
    fprintf(fp, "</p>\n");
    const tabchk tc = {&af->num, NULL}, *t = &tc;
    const double conf = 100 * scn->evaluation.confidence;
    const char *cur = scn->economics.currency;
    if (r->none >= 0) {
        long order[CLV_STUDY_MAX + 1];
        clv_eval_bound b[CLV_STUDY_MAX + 1];
        double gap;
        const size_t m = bounds_rows(r, order, b, &gap);
        fprintf(fp, "<h2>Where each policy sits</h2>\n<p>Net margin gained over no campaign, paired by replication, "
                    "with %g%% intervals (%s)%s.</p>\n<table class=\"num\" id=\"bounds\"><thead><tr><th>policy</th>"
                    "<th>gain over no campaign</th><th>interval</th><th>share of achievable</th><th>interval</th>"
                    "</tr></thead><tbody>\n",
                conf, cur, r->bound >= 0 ? ", and as a share of the clairvoyant bound's gain (0: no campaign, 1: "
                                           "the best achievable)" : "");
        for (size_t k = 0; k < m; k++) {
            char g[48], gi[104], sh[48], si[104];
            const char *label = bounds_cells(r, t, order[k], &b[k], g, gi, sh, si);
            fprintf(fp, "<tr%s><td>", order[k] == r->bound || order[k] == CLV_EVAL_HINDSIGHT ? " class=\"bound\"" : "");
            html_escape(fp, label);
            fprintf(fp, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n", g, gi, sh, si);
        }
        fprintf(fp, "</tbody></table>\n");
    }
    fprintf(fp, "<h2>Comparison</h2>\n<p>Per policy, the mean over %zu replications &plusmn; the half-width of the "
                "%g%% interval (Student t); money in %s.</p>\n<table class=\"num\" id=\"comparison\"><thead><tr>"
                "<th>policy</th>",
            r->ev.replications, conf, cur);
    for (int k = 0; k < METRIC_CELLS; k++)
        fprintf(fp, "<th>%s</th>", metric_heads[k]);
    fprintf(fp, "</tr></thead><tbody>\n");
    for (size_t p = 0; p < r->n; p++) {
        char c[METRIC_CELLS][96];
        metric_cells(r, t, p, c);
        fprintf(fp, "<tr><td>");
        html_escape(fp, r->pol[p].label);
        fprintf(fp, "</td>");
        for (int k = 0; k < METRIC_CELLS; k++)
            fprintf(fp, "<td>%s</td>", c[k]);
        fprintf(fp, "</tr>\n");
    }
    fprintf(fp, "</tbody></table>\n");
    /* what each policy does: the shares of its customer-epochs at each
     * coupon level and at each price level (actions.csv has the joint) */
    {
        const clv_scn_interventions *iv = &scn->interventions;
        const size_t R = r->ev.replications, A = r->ev.n_actions, P = (size_t)iv->n_prices;
        const size_t C = A / P;
        fprintf(fp, "<h2>What each policy does</h2>\n<p>The share of each policy's customer-epochs (every customer "
                    "at every epoch's start, over the replications) at each coupon level (a coupon the budget "
                    "refused counts as none) and at each price level.</p>\n<table class=\"num\" id=\"actions\">"
                    "<thead><tr><th>policy</th>");
        for (size_t c = 0; c < C; c++) {
            char an[CLV_NAME_MAX + 24];
            clv_action_name(scn, c * P, an, sizeof an);
            char *at = strchr(an, '@');
            if (at)
                *at = '\0';
            fprintf(fp, "<th>coupon %s</th>", an);
        }
        for (size_t q = 0; q < P; q++)
            fprintf(fp, "<th>price x%g</th>", iv->prices[q]);
        fprintf(fp, "</tr></thead><tbody>\n");
        for (size_t p = 0; p < r->n; p++) {
            double total = 0, mc[CLV_MAX_COUPONS + 1] = {0}, mp[CLV_MAX_PRICES] = {0};
            for (size_t k = 0; k < R; k++)
                for (size_t a = 0; a < A; a++) {
                    const double v = r->ev.actions[(p * R + k) * A + a];
                    total += v, mc[a / P] += v, mp[a % P] += v;
                }
            fprintf(fp, "<tr><td>");
            html_escape(fp, r->pol[p].label);
            fprintf(fp, "</td>");
            for (size_t c = 0; c < C; c++)
                fprintf(fp, "<td>%.1f%%</td>", total > 0 ? 100 * mc[c] / total : 0.0);
            for (size_t q = 0; q < P; q++)
                fprintf(fp, "<td>%.1f%%</td>", total > 0 ? 100 * mp[q] / total : 0.0);
            fprintf(fp, "</tr>\n");
        }
        fprintf(fp, "</tbody></table>\n");
    }
    fprintf(fp, "<h2>Glossary</h2>\n<dl>\n"
                "<dt>no campaign (none)</dt><dd>No coupon, list price: the reference every gain is measured from.</dd>\n"
                "<dt>paired by replication</dt><dd>Every policy meets the same simulated customers and the same luck "
                "in each replication (common random numbers); a difference is taken replication by replication, "
                "then averaged, which removes most of the noise the policies share.</dd>\n"
                "<dt>interval</dt><dd>The %g%% confidence interval of the mean over the replications (Student t). A "
                "difference whose interval contains 0 is not significant.</dd>\n"
                "<dt>clairvoyant bound</dt><dd>A policy that sees every customer's latent state and plans in the true "
                "simulator: an upper bound in practice on any policy that sees only observations (the best "
                "achievable).</dd>\n"
                "<dt>share of achievable</dt><dd>A policy's gain over no campaign divided by the clairvoyant bound's: 0 "
                "is no campaign, 1 the best achievable.</dd>\n"
                "<dt>hindsight (loose)</dt><dd>For each customer the most any policy drew from it, after the fact: "
                "a looser upper bound.</dd>\n"
                "<dt>net margin</dt><dd>Revenue minus the cost of goods minus coupon costs (discounts, redemption and "
                "contact costs), over the horizon, in %s.</dd>\n"
                "<dt>ROI vs none</dt><dd>The extra net margin over no campaign per %s of coupon spend; -1 means the "
                "spend came back as nothing at all, 0 that it paid for itself exactly.</dd>\n"
                "<dt>active at end</dt><dd>Customers whose observable stage is new, active or loyal on the last day.</dd>\n"
                "<dt>churned</dt><dd>Customers who died (dropped out, ground truth) during the horizon.</dd>\n"
                "<dt>CLV/customer</dt><dd>Net margin over the horizon per customer (existing and acquired).</dd>\n"
                "<dt>remaining/cust</dt><dd>The value predicted for the next %d days at the end of the horizon, per "
                "customer: what a policy leaves in its customers.</dd>\n"
                "<dt>verified</dt><dd>A learned or planned policy is deployed only if it beats no campaign on fresh "
                "verification worlds; otherwise it is labelled &ldquo;-&gt; none (not verified)&rdquo; and acts as "
                "none.</dd>\n"
                "<dt>persuadable, sure thing, lost cause, sleeping dog</dt><dd>Ground-truth segments by their response "
                "to contact: buys only if contacted, buys either way, buys in neither case, buys only if not "
                "contacted.</dd>\n",
            conf, cur, cur, scn->ltv.horizon_days);
    /* the researcher's own policies (plugins), with their own line */
    for (size_t p = 0; p < r->n; p++) {
        if (r->pol[p].kind != CLV_STUDY_OWN_KIND)
            continue;
        fprintf(fp, "<dt>");
        html_escape(fp, r->pol[p].label);
        fprintf(fp, "</dt><dd>Your own policy (<code>");
        html_escape(fp, r->pol[p].name);
        fprintf(fp, "</code>, a plugin): ");
        html_escape(fp, r->pol[p].doc[0] ? r->pol[p].doc : "no description given");
        fprintf(fp, ". Neither fixed nor learned to clvsim: compared as it is, never verified.</dd>\n");
    }
    fprintf(fp, "</dl>\n");
    fprintf(fp, "<details><summary>The tables as <code>clvsim run</code> prints them</summary>\n<pre>");
    /* the tables as printed, through memory: a report without them would
     * be a report that says nothing */
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem)
        return CLV_ENOMEM;
    clv_report_run_tables(r, mem, &af->num, 0); /* checked as numbers of report.html (at no known line) */
    int bad = ferror(mem);
    if (fclose(mem) != 0 || bad || !text) {
        free(text);
        return CLV_ENOMEM;
    }
    html_escape(fp, text);
    free(text);
    fprintf(fp, "</pre></details>\n");
    if (!no_figures) {
        static const char *const figs[][2] = {
            {"forest", "Gain over no campaign by policy"}, {"daily_net_margin", "Daily net margin"},
            {"active_customers", "Active customers"}, {"coupon_spend", "Coupon spend"},
            {"calibration", "Calibration of the LTV estimate"}, {"learning", "Learning curves"}};
        const int svg = scn->output.plot_formats[0] == CLV_FORMAT_SVG;
        for (size_t k = 0; k < sizeof figs / sizeof figs[0]; k++) {
            if (k == 5 && (!r->n_trained || r->loaded))
                continue;
            fprintf(fp, "<h2>%s</h2>\n", figs[k][1]);
            if (embed_figure(fp, dir, figs[k][0], svg, figs[k][1]) != 0)
                return 1;
        }
        for (size_t p = 0; p < r->n; p++)
            if (r->pol[p].table) {
                char stem[CLV_NAME_MAX + 32], alt[CLV_NAME_MAX + 32];
                snprintf(stem, sizeof stem, "heatmap_%s", r->pol[p].name);
                snprintf(alt, sizeof alt, "policy %s", r->pol[p].name);
                fprintf(fp, "<h2>Policy %s</h2>\n", r->pol[p].name);
                if (embed_figure(fp, dir, stem, svg, alt) != 0)
                    return 1;
            }
    } else {
        fprintf(fp, "<p>No figures: ");
        html_escape(fp, no_figures);
        fprintf(fp, "</p>\n");
    }
    fprintf(fp, "<h2>Files</h2>\n<p>bounds.csv, summary.csv, replications.csv, segments.csv, calibration.csv, "
                "actions.csv, verification.csv, daily.csv, learning.csv, policy_*.csv, heatmap_*.csv, agent_*.qtab, scenario.resolved.cfg</p>\n");
    fprintf(fp, "<h2>Scenario (resolved)</h2>\n<pre>");
    text = NULL;
    if (!(mem = open_memstream(&text, &len)))
        return CLV_ENOMEM;
    clv_error err;
    const int wst = clv_scn_write(scn, mem, &err);
    if (wst != CLV_OK && wst != CLV_ENOMEM) { /* a value that is not finite */
        fclose(mem);
        free(text);
        return 1;
    }
    bad = wst != CLV_OK || ferror(mem);
    if (fclose(mem) != 0 || bad || !text) {
        free(text);
        return CLV_ENOMEM;
    }
    html_escape(fp, text);
    free(text);
    fprintf(fp, "</pre>\n</body></html>\n");
    return ferror(fp);
}


int clv_report_run_html(const clv_study *s, const clv_outdir *od, const char *no_figures, double seconds,
                        clv_error *err)
{
    clv_afile af;
    int st = clv_outdir_stage(od, "report.html", s->scn.source, &af, err);
    if (st != CLV_OK)
        return st;
    const int rc = w_report(s, &af, od->stage, no_figures, seconds);
    if (rc != 0)
        st = rc == CLV_ENOMEM ? clv_error_set(err, CLV_ENOMEM, af.path, 0, NULL, "out of memory")
                              : clv_error_set(err, CLV_EIO, af.path, 0, NULL, "writing failed");
    return clv_afile_end(&af, st, err);
}

int clv_report_run_files(const clv_study *s, const clv_outdir *od, clv_error *err)
{
    const clv_scenario *scn = &s->scn;
    int st = CLV_OK;
    /* the agents: their tables and learning curves when trained here, the
     * policy files of every learned or loaded table */
    if (!s->loaded) {
        clv_afile curves;
        if ((st = clv_report_learning_open(&curves, scn, od, err)) != CLV_OK)
            return st;
        for (int k = 0; k < s->n_trained; k++)
            clv_report_learning(&curves, clv_scn_enum_name("agent.algorithms", s->algo[k]), &s->trained[k]);
        if ((st = clv_afile_end(&curves, CLV_OK, err)) != CLV_OK)
            return st;
    }
    for (int k = 0; k < s->n_trained && st == CLV_OK; k++) {
        const char *name = clv_scn_enum_name("agent.algorithms", s->algo[k]);
        const clv_train_result *t = &s->trained[k];
        char file[64], path[CLV_IO_PATH_MAX];
        snprintf(file, sizeof file, "agent_%s.qtab", name);
        if (!s->loaded && (st = clv_outdir_path(od, file, path, sizeof path, err)) == CLV_OK)
            st = clv_qtable_save(t->table, path, err);
        if (st == CLV_OK)
            st = clv_report_policy(scn, t->table, &t->map, od, name, err);
    }
    /* the planned tables' policy files */
    for (size_t p = 0; p < s->n && st == CLV_OK; p++)
        if (s->pol[p].table && (s->pol[p].table == s->oracle || s->pol[p].table == s->greedy))
            st = clv_report_policy(scn, s->pol[p].table, &s->map, od, s->pol[p].name, err);
    if (st == CLV_OK && (st = write_file(s, od, "summary.csv", w_summary, err)) == CLV_OK &&
        (st = write_file(s, od, "bounds.csv", w_bounds, err)) == CLV_OK &&
        (st = write_file(s, od, "replications.csv", w_replications, err)) == CLV_OK &&
        (st = write_file(s, od, "segments.csv", w_segments, err)) == CLV_OK &&
        (st = write_file(s, od, "calibration.csv", w_calibration, err)) == CLV_OK &&
        (st = write_file(s, od, "verification.csv", w_verification, err)) == CLV_OK &&
        (st = write_file(s, od, "actions.csv", w_actions, err)) == CLV_OK)
        st = write_file(s, od, "daily.csv", w_daily, err);
    /* every policy that acts on a table, as a heatmap on the study's states */
    for (size_t p = 0; p < s->n && st == CLV_OK; p++)
        if (s->pol[p].table)
            st = write_heatmap(s, od, s->pol[p].name, s->pol[p].table, &s->map, err);
    return st;
}

/* ---- the agents alone (clvsim train-agent) ---- */

int clv_report_learning_open(clv_afile *af, const clv_scenario *scn, const clv_outdir *od, clv_error *err)
{
    const int st = clv_outdir_stage(od, "learning.csv", scn->source, af, err);
    if (st == CLV_OK)
        fprintf(af->fp, "algorithm,episode,epsilon,return,moving_average\n");
    return st;
}

int clv_report_agents_files(const clv_agents *a, const clv_outdir *od, clv_error *err)
{
    const clv_scenario *scn = &a->scn;
    clv_afile af;
    int st = CLV_OK;
    for (int k = 0; k < a->n && st == CLV_OK; k++) {
        const char *name = clv_scn_enum_name("agent.algorithms", a->algo[k]);
        char file[64], path[CLV_IO_PATH_MAX];
        snprintf(file, sizeof file, "agent_%s.qtab", name);
        if ((st = clv_outdir_path(od, file, path, sizeof path, err)) == CLV_OK &&
            (st = clv_qtable_save(a->trained[k].table, path, err)) == CLV_OK)
            st = clv_report_policy(scn, a->trained[k].table, &a->trained[k].map, od, name, err);
    }
    if (st != CLV_OK || !a->mdp)
        return st;
    if ((st = clv_outdir_stage(od, "oracle.csv", scn->source, &af, err)) != CLV_OK)
        return st;
    fprintf(af.fp, "policy,value_per_customer,share_of_optimum\n");
    fprintf(af.fp, "oracle");
    clv_put_num(af.fp, &af.num, "value_per_customer", ",%.6f,1\n", a->optimum);
    for (int k = 0; k < a->n; k++) {
        /* a share of an optimum of 0 is undefined: empty */
        fprintf(af.fp, "%s", clv_scn_enum_name("agent.algorithms", a->algo[k]));
        clv_put_num(af.fp, &af.num, "value_per_customer", ",%.6f", a->value[k]);
        if (a->optimum != 0)
            clv_put_num(af.fp, &af.num, "share_of_optimum", ",%.6f\n", a->value[k] / a->optimum);
        else
            clv_put_blank(af.fp, ",%.6f\n");
    }
    return clv_afile_end(&af, CLV_OK, err);
}

int clv_report_agents_figure(const clv_agents *a, const clv_outdir *od, const clv_progress *stop, clv_error *err)
{
    const clv_scenario *scn = &a->scn;
    char data[CLV_IO_PATH_MAX + 96], cur[40], algos[80] = "algos=";
    snprintf(data, sizeof data, "datafile=%s/learning.csv", od->stage);
    snprintf(cur, sizeof cur, "currency=%s", scn->economics.currency);
    for (int k = 0; k < a->n; k++) {
        strncat(algos, k ? " " : "", sizeof algos - strlen(algos) - 1);
        strncat(algos, clv_scn_enum_name("agent.algorithms", a->algo[k]), sizeof algos - strlen(algos) - 1);
    }
    const char *vars[] = {data, cur, "title_text=Learning curves of the tabular agents", algos};
    return clv_report_figure(od->stage, "learning.gp", "learning", scn->output.plot_formats,
                             scn->output.n_plot_formats, vars, 4, stop, err);
}

void clv_report_checkpoint_name(char name[64], int algo)
{
    snprintf(name, 64, "agent_%s.checkpoint.qtab", clv_scn_enum_name("agent.algorithms", algo));
}

int clv_report_checkpoint(void *ctx, int algo, const clv_qtable *table)
{
    clv_report_checkpoints *c = ctx;
    char path[CLV_IO_PATH_MAX], name[64];
    clv_report_checkpoint_name(name, algo);
    if (clv_path_join(path, sizeof path, c->dir, name, c->err) != CLV_OK || clv_qtable_save(table, path, c->err) != CLV_OK)
        return 1;
    c->written++;
    return 0;
}
