/* report_response.c - the files of `clvsim fit-response`: arms.csv, effects.csv, heterogeneity.csv, model.csv,
 * response.cfg, report.txt and the figures of the effect by covariate level, from a clv_response_study. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clvsim/io.h"
#include "clvsim/plot.h"
#include "clvsim/progress.h"
#include "clvsim/report.h"
#include "clvsim/response_study.h"

/* what the writers read */
typedef struct job {
    const clv_response_study *s;
    const clv_response_study_opts *so;
    const clv_outdir *od;
} job;

static const char *arm_name(const job *j, int a) { return j->s->e->arm_names[a]; }

/* open the staged DIR/name, never over the experiment being read */
static int open_out(const job *j, const char *name, clv_afile *af, clv_error *err)
{
    return clv_outdir_stage(j->od, name, j->so->path, af, err);
}

/* CLV_ECANCELLED ("stopped") when the study's progress asks to stop */
static int stop_poll(const job *j, clv_error *err)
{
    if (clv_progress_poll(j->so->progress) == CLV_OK)
        return CLV_OK;
    return clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "stopped");
}

/* a CSV text field, quoted when it holds a comma, a quote or a line end */
static void put_text(FILE *fp, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

/* ",est,lo,hi" with NaN (undefined) as empty fields */
static void put_est(FILE *fp, clv_numcheck *chk, const char *col, clv_estimate x)
{
    clv_put_opt(fp, chk, col, ",%.10g", x.est);
    clv_put_opt(fp, chk, col, ",%.10g", x.lo);
    clv_put_opt(fp, chk, col, ",%.10g", x.hi);
}

/* ---- arms.csv ---- */

static int write_arms(const job *j, clv_error *err)
{
    clv_afile af;
    int st = open_out(j, "arms.csv", &af, err);
    if (st != CLV_OK)
        return st;
    FILE *fp = af.fp;
    fprintf(fp, "arm,control,customers,buyers,purchase_rate,purchase_rate_lo,purchase_rate_hi,spend_per_customer,"
                "spend_per_customer_lo,spend_per_customer_hi,spend_sd,spend_per_buyer,spend_per_buyer_lo,"
                "spend_per_buyer_hi,spend_per_buyer_sd\n");
    const clv_response *r = &j->s->r;
    for (int a = 0; a < r->n_arms; a++) {
        const clv_response_arm *x = &r->arm[a];
        put_text(fp, arm_name(j, a));
        fprintf(fp, ",%d,%ld,%ld", a == r->control, x->n, x->buyers);
        put_est(fp, &af.num, "purchase_rate", x->rate);
        put_est(fp, &af.num, "spend_per_customer", x->spend);
        clv_put_opt(fp, &af.num, "spend_sd", ",%.10g", x->sd_spend);
        put_est(fp, &af.num, "spend_per_buyer", x->spend_buyer);
        clv_put_opt(fp, &af.num, "spend_per_buyer_sd", ",%.10g", x->sd_spend_buyer);
        fputc('\n', fp);
    }
    return clv_afile_end(&af, CLV_OK, err);
}

/* ---- effects.csv ---- */

static int write_effects(const job *j, clv_error *err)
{
    clv_afile af;
    int st = open_out(j, "effects.csv", &af, err);
    if (st != CLV_OK)
        return st;
    FILE *fp = af.fp;
    fprintf(fp, "arm,control,rate_difference,rate_difference_lo,rate_difference_hi,rate_z,rate_p,rate_ratio,"
                "rate_ratio_lo,rate_ratio_hi,spend_difference,spend_difference_lo,spend_difference_hi,spend_t,"
                "spend_df,spend_p,spend_ratio,spend_ratio_lo,spend_ratio_hi,spend_per_buyer_difference,"
                "spend_per_buyer_difference_lo,spend_per_buyer_difference_hi,spend_per_buyer_t,spend_per_buyer_df,"
                "spend_per_buyer_p\n");
    const clv_response *r = &j->s->r;
    for (int k = 0; k < r->n_effects; k++) {
        const clv_response_effect *e = &r->effect[k];
        put_text(fp, arm_name(j, e->arm));
        fputc(',', fp);
        put_text(fp, arm_name(j, r->control));
        put_est(fp, &af.num, "rate_difference", e->rate_diff);
        clv_put_opt(fp, &af.num, "rate_z", ",%.10g", e->rate_z);
        clv_put_opt(fp, &af.num, "rate_p", ",%.6g", e->rate_p);
        put_est(fp, &af.num, "rate_ratio", e->rate_ratio);
        put_est(fp, &af.num, "spend_difference", e->spend_diff);
        clv_put_opt(fp, &af.num, "spend_t", ",%.10g", e->spend_t);
        clv_put_opt(fp, &af.num, "spend_df", ",%.10g", e->spend_df);
        clv_put_opt(fp, &af.num, "spend_p", ",%.6g", e->spend_p);
        put_est(fp, &af.num, "spend_ratio", e->spend_ratio);
        put_est(fp, &af.num, "spend_per_buyer_difference", e->buyer_diff);
        clv_put_opt(fp, &af.num, "spend_per_buyer_t", ",%.10g", e->buyer_t);
        clv_put_opt(fp, &af.num, "spend_per_buyer_df", ",%.10g", e->buyer_df);
        clv_put_opt(fp, &af.num, "spend_per_buyer_p", ",%.6g", e->buyer_p);
        fputc('\n', fp);
    }
    return clv_afile_end(&af, CLV_OK, err);
}

/* ---- heterogeneity.csv ---- */

/* the map of covariate c in words: "recency-months" or "" */
static const char *map_word(const job *j, int c)
{
    return j->s->map[c].kind == CLV_MAP_NONE ? "" : clv_response_map_name(j->s->map[c].kind);
}

static int write_heterogeneity(const job *j, clv_error *err)
{
    clv_afile af;
    int st = open_out(j, "heterogeneity.csv", &af, err);
    if (st != CLV_OK)
        return st;
    FILE *fp = af.fp;
    fprintf(fp, "covariate,state_map,arm,level_index,level,n_control,n_treated,conversions_control,"
                "conversions_treated,rate_control,rate_treated,rate_ratio,rate_ratio_lo,rate_ratio_hi,"
                "rate_difference,rate_difference_lo,rate_difference_hi,in_q,q,q_df,q_p\n");
    const clv_response *r = &j->s->r;
    const clv_experiment *e = j->s->e;
    for (int c = 0; c < e->n_cov; c++)
        for (int k = 0; k < r->n_effects; k++) {
            const clv_response_het *h = clv_response_het_of(r, c, k);
            for (int l = 0; l < e->n_levels[c]; l++) {
                const clv_response_level *lv = &h->level[l];
                put_text(fp, e->cov_names[c]);
                fprintf(fp, ",%s,", map_word(j, c));
                put_text(fp, arm_name(j, h->arm));
                fprintf(fp, ",%d,", l + 1);
                put_text(fp, e->level_names[c][l]);
                fprintf(fp, ",%ld,%ld,%ld,%ld", lv->n_control, lv->n_treated, lv->conv_control, lv->conv_treated);
                clv_put_opt(fp, &af.num, "rate_control", ",%.10g", lv->rate_control);
                clv_put_opt(fp, &af.num, "rate_treated", ",%.10g", lv->rate_treated);
                put_est(fp, &af.num, "rate_ratio", lv->ratio);
                put_est(fp, &af.num, "rate_difference", lv->diff);
                fprintf(fp, ",%d", lv->in_q);
                clv_put_opt(fp, &af.num, "q", ",%.10g", h->q);
                fprintf(fp, ",%d", h->df);
                clv_put_opt(fp, &af.num, "q_p", ",%.6g", h->p);
                fputc('\n', fp);
            }
        }
    return clv_afile_end(&af, CLV_OK, err);
}

/* ---- model.csv ---- */

static int write_model(const job *j, clv_error *err)
{
    clv_afile af;
    int st = open_out(j, "model.csv", &af, err);
    if (st != CLV_OK)
        return st;
    FILE *fp = af.fp;
    fprintf(fp, "arm,term,level,coefficient,robust_se,factor,factor_lo,factor_hi,customers,parameters,iterations,"
                "deviance\n");
    const clv_response *r = &j->s->r;
    const clv_experiment *e = j->s->e;
    for (int k = 0; k < r->n_models; k++) {
        const clv_response_model *m = &r->model[k];
        for (int t = 0; t < m->n_terms; t++) {
            const clv_response_term *tm = &m->term[t];
            put_text(fp, arm_name(j, m->arm));
            fputc(',', fp);
            if (tm->cov < 0) {
                fputs("treatment,all", fp);
            } else {
                put_text(fp, e->cov_names[tm->cov]);
                fputc(',', fp);
                put_text(fp, e->level_names[tm->cov][tm->level]);
            }
            clv_put_num(fp, &af.num, "coefficient", ",%.10g", tm->coef);
            clv_put_num(fp, &af.num, "robust_se", ",%.10g", tm->se);
            put_est(fp, &af.num, "factor", tm->factor);
            fprintf(fp, ",%zu,%d,%d", m->rows, m->params, m->iterations);
            clv_put_num(fp, &af.num, "deviance", ",%.10g", m->deviance);
            fputc('\n', fp);
        }
    }
    return clv_afile_end(&af, CLV_OK, err);
}

/* ---- response.cfg ---- */

/* " key = V;" with V a finite number of 6 significant digits that libconfig
 * reads as a float (a decimal point always) */
static void cfg_num(FILE *fp, clv_numcheck *chk, const char *key, double v)
{
    if (!clv_num_ok(chk, fp, key, v)) {
        fprintf(fp, " %s = ;", key);
        return;
    }
    char b[48];
    snprintf(b, sizeof b, "%.6g", v);
    if (!strpbrk(b, ".e"))
        strcat(b, ".0");
    fprintf(fp, " %s = %s;", key, b);
}

/* a libconfig string: quotes and backslashes escaped */
static void cfg_str(FILE *fp, const char *key, const char *s)
{
    fprintf(fp, " %s = \"", key);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', fp);
        fputc(*s, fp);
    }
    fputs("\";", fp);
}

static int write_block(const job *j, const char *command, clv_error *err)
{
    clv_afile af;
    int st = open_out(j, "response.cfg", &af, err);
    if (st != CLV_OK)
        return st;
    FILE *fp = af.fp;
    const clv_response_study *s = j->s;
    const clv_experiment *e = s->e;
    fprintf(fp, "# %s\n", command && command[0] ? command : "clvsim fit-response");
    fprintf(fp, "# %zu customers, window %d days, confidence %g; the rate ratio RR of a customer is the product of the "
                "factors of its arm's \"all\" row and of its levels; ratio/ratio_lo/ratio_hi are the experiment's own "
                "(stratified) estimates, which 'clvsim validate' compares with the simulated world\n",
            e->n, s->window_days, s->r.confidence);
    int unmapped = 0;
    for (int c = 0; c < e->n_cov; c++)
        unmapped += s->map[c].kind == CLV_MAP_NONE;
    if (unmapped) {
        fprintf(fp, "# not mapped to the simulator's state (heterogeneity.csv reports them):");
        for (int c = 0, k = 0; c < e->n_cov; c++)
            if (s->map[c].kind == CLV_MAP_NONE)
                fprintf(fp, "%s %s", k++ ? "," : "", e->cov_names[c]);
        fputc('\n', fp);
    }
    fprintf(fp, "contact = {\n  window_days = %d;\n  effects = (\n", s->window_days);
    for (int i = 0; i < s->n_block; i++) {
        const clv_response_block_row *b = &s->block[i];
        fputs("    {", fp);
        cfg_str(fp, "arm", arm_name(j, b->arm));
        cfg_str(fp, "covariate", b->cov < 0 ? "all" : clv_contact_covariate_name(b->observable));
        cfg_str(fp, "level", b->cov < 0 ? "all" : e->level_names[b->cov][b->level]);
        cfg_num(fp, &af.num, "upper", b->upper);
        cfg_num(fp, &af.num, "factor", b->factor);
        cfg_num(fp, &af.num, "ratio", b->ratio.est);
        cfg_num(fp, &af.num, "ratio_lo", b->ratio.lo);
        cfg_num(fp, &af.num, "ratio_hi", b->ratio.hi);
        cfg_num(fp, &af.num, "control_rate", b->control_rate);
        cfg_num(fp, &af.num, "treated_rate", b->treated_rate);
        fprintf(fp, " customers = %ld; }%s\n", b->customers, i + 1 < s->n_block ? "," : "");
    }
    fprintf(fp, "  );\n};\n");
    return clv_afile_end(&af, CLV_OK, err);
}

/* ---- the figures: the rate ratio by level, per covariate ---- */

/* a covariate's name as a file name's part: letters, digits, '-' and '_' */
static void file_part(char *out, size_t n, const char *s)
{
    size_t o = 0;
    for (; *s && o + 1 < n; s++)
        out[o++] = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-'
                       ? *s
                       : '_';
    out[o] = '\0';
}

static int write_figures(const job *j, unsigned *notes, clv_error *err)
{
    const clv_response *r = &j->s->r;
    const clv_experiment *e = j->s->e;
    const int have_plot = clv_plot_available();
    if (!have_plot && e->n_cov > 0)
        *notes |= CLV_RESPONSE_NOTE_NO_GNUPLOT;
    int st = CLV_OK;
    for (int c = 0; c < e->n_cov && st == CLV_OK; c++) {
        char part[64], name[96];
        file_part(part, sizeof part, e->cov_names[c]);
        snprintf(name, sizeof name, "effect_%s.csv", part);
        clv_afile af;
        if ((st = open_out(j, name, &af, err)) != CLV_OK)
            return st;
        FILE *fp = af.fp;
        /* level_index,level, then per treated arm: ratio,lo,hi (empty where undefined) */
        fprintf(fp, "level_index,level");
        for (int k = 0; k < r->n_effects; k++) {
            fputc(',', fp);
            put_text(fp, arm_name(j, r->effect[k].arm));
            fputs(",lo,hi", fp);
        }
        fputc('\n', fp);
        for (int l = 0; l < e->n_levels[c]; l++) {
            fprintf(fp, "%d,", l + 1);
            put_text(fp, e->level_names[c][l]);
            for (int k = 0; k < r->n_effects; k++)
                put_est(fp, &af.num, "rate_ratio", clv_response_het_of(r, c, k)->level[l].ratio);
            fputc('\n', fp);
        }
        if ((st = clv_afile_end(&af, stop_poll(j, err), err)) != CLV_OK || !have_plot)
            continue;
        char data[CLV_IO_PATH_MAX + 128], title[400], series[32], stem[96];
        snprintf(data, sizeof data, "datafile=%s/%s", j->od->stage, name);
        snprintf(title, sizeof title, "title_text=Rate ratio of purchase in %d days against %.60s, by %.60s (%g%% "
                 "intervals)%s", j->s->window_days, arm_name(j, r->control), e->cov_names[c], 100 * r->confidence,
                 j->s->map[c].kind == CLV_MAP_NONE ? "; not mapped to the simulator's state" : "");
        snprintf(series, sizeof series, "series=%d", r->n_effects);
        snprintf(stem, sizeof stem, "effect_%s", part);
        const char *vars[] = {data, title, series};
        static const int formats[] = {CLV_FORMAT_PNG, CLV_FORMAT_SVG};
        st = clv_report_figure(j->od->stage, "response_effect.gp", stem, formats, 2, vars, 3, j->so->progress, err);
    }
    return st;
}

/* ---- the text ---- */

/* "E [L, H]" with scale (100: percent) and a format of one number; blanks
 * where undefined */
static void put_ci(FILE *fp, clv_numcheck *chk, const char *col, const char *fmt, clv_estimate x, double scale)
{
    char f1[24], f2[28], f3[28];
    snprintf(f1, sizeof f1, "%s", fmt);
    snprintf(f2, sizeof f2, " [%s", fmt);
    snprintf(f3, sizeof f3, ", %s]", fmt);
    clv_put_opt(fp, chk, col, f1, x.est * scale);
    if (isnan(x.lo) || isnan(x.hi)) {
        fputs(" [undefined]", fp);
        return;
    }
    clv_put_num(fp, chk, col, f2, x.lo * scale);
    clv_put_num(fp, chk, col, f3, x.hi * scale);
}

/* a p-value as text: "p = 0.0123", "p < 1e-16", or "p undefined" */
static void put_p(FILE *fp, clv_numcheck *chk, const char *col, double p)
{
    if (isnan(p))
        fputs("p undefined", fp);
    else if (p < 1e-16)
        fputs("p < 1e-16", fp);
    else
        clv_put_num(fp, chk, col, "p = %.3g", p);
}

void clv_response_report_print(FILE *fp, clv_numcheck *chk, const clv_response_study *s,
                               const clv_response_study_opts *so, double seconds)
{
    const job jb = {s, so, NULL}, *j = &jb;
    const clv_experiment *e = s->e;
    const clv_response *r = &s->r;
    const double pc = 100 * r->confidence;
    fprintf(fp, "Experiment %s: %zu customers in %d arms, purchases in a %d-day window; intervals at %g%%", so->path,
            e->n, e->n_arms, s->window_days, pc);
    clv_put_num(fp, chk, "seconds", " (%.2f s)\n", seconds);

    fprintf(fp, "\nArms (purchase rate: Wilson interval; spend: mean, normal interval)\n");
    fprintf(fp, "  %-22s %9s %7s  %-20s   %-20s   %s\n", "arm", "customers", "buyers", "purchase rate, %",
            "spend per customer", "spend per buyer");
    for (int a = 0; a < r->n_arms; a++) {
        const clv_response_arm *x = &r->arm[a];
        char label[80];
        snprintf(label, sizeof label, "%.60s%s", arm_name(j, a), a == r->control ? " (control)" : "");
        fprintf(fp, "  %-22s %9ld %7ld  ", label, x->n, x->buyers);
        put_ci(fp, chk, "purchase rate", "%.3f", x->rate, 100);
        fputs("   ", fp);
        put_ci(fp, chk, "spend per customer", "%.3f", x->spend, 1);
        fputs("   ", fp);
        put_ci(fp, chk, "spend per buyer", "%.2f", x->spend_buyer, 1);
        fputc('\n', fp);
    }

    fprintf(fp, "\nEffects against %s (rate difference: Newcombe's hybrid score interval and the pooled z test; "
                "ratios: log-scale delta method; spend: Welch's t)\n",
            arm_name(j, r->control));
    for (int k = 0; k < r->n_effects; k++) {
        const clv_response_effect *x = &r->effect[k];
        fprintf(fp, "  %s\n    purchase rate       difference ", arm_name(j, x->arm));
        put_ci(fp, chk, "rate difference", "%+.3f", x->rate_diff, 100);
        fputs(" points, ", fp);
        put_p(fp, chk, "rate p", x->rate_p);
        fputs("; ratio ", fp);
        put_ci(fp, chk, "rate ratio", "%.3f", x->rate_ratio, 1);
        fputs("\n    spend per customer  difference ", fp);
        put_ci(fp, chk, "spend difference", "%+.3f", x->spend_diff, 1);
        fputs(", ", fp);
        put_p(fp, chk, "spend p", x->spend_p);
        fputs("; ratio ", fp);
        put_ci(fp, chk, "spend ratio", "%.3f", x->spend_ratio, 1);
        fputs("\n    spend per buyer     difference ", fp);
        put_ci(fp, chk, "spend per buyer difference", "%+.2f", x->buyer_diff, 1);
        fputs(", ", fp);
        put_p(fp, chk, "spend per buyer p", x->buyer_p);
        fprintf(fp, " (%s)\n", isnan(x->buyer_p) ? "too few buyers"
                               : x->buyer_p < 1 - r->confidence ? "spend per buyer changes"
                                                                : "no evidence that spend per buyer changes");
    }

    if (e->n_cov > 0) {
        fprintf(fp, "\nHeterogeneity: rate ratio against %s within each level [%g%% interval], and Cochran's Q of "
                    "equal ratios across levels\n",
                arm_name(j, r->control), pc);
        for (int c = 0; c < e->n_cov; c++) {
            if (s->map[c].kind != CLV_MAP_NONE)
                fprintf(fp, "  %s (mapped: %s -> the simulator's %s)\n", e->cov_names[c], map_word(j, c),
                        clv_contact_covariate_name(clv_response_map_observable(s->map[c].kind)));
            else
                fprintf(fp, "  %s (not mapped to the simulator's state: reported only)\n", e->cov_names[c]);
            fprintf(fp, "    %-20s", "level");
            for (int k = 0; k < r->n_effects; k++)
                fprintf(fp, "  %-35.35s", arm_name(j, r->effect[k].arm));
            fputc('\n', fp);
            for (int l = 0; l < e->n_levels[c]; l++) {
                fprintf(fp, "    %-20.20s", e->level_names[c][l]);
                for (int k = 0; k < r->n_effects; k++) {
                    const clv_response_level *lv = &clv_response_het_of(r, c, k)->level[l];
                    char buf[40];
                    snprintf(buf, sizeof buf, "n %ld+%ld", lv->n_control, lv->n_treated);
                    fprintf(fp, "  %-14s ", buf);
                    if (isnan(lv->ratio.est)) {
                        fprintf(fp, "%-19s", lv->conv_treated + lv->conv_control == 0 ? "no conversions"
                                                                                      : "no ratio (0 in an arm)");
                    } else {
                        put_ci(fp, chk, "level ratio", "%.2f", lv->ratio, 1);
                        fputs(lv->in_q ? " " : "*", fp);
                    }
                }
                fputc('\n', fp);
            }
            for (int k = 0; k < r->n_effects; k++) {
                const clv_response_het *h = clv_response_het_of(r, c, k);
                fprintf(fp, "    Q %s: ", arm_name(j, h->arm));
                if (isnan(h->q)) {
                    fputs("undefined (fewer than 2 levels with a ratio)", fp);
                } else {
                    clv_put_num(fp, chk, "Q", "%.3f", h->q);
                    fprintf(fp, " on %d df, ", h->df);
                    put_p(fp, chk, "Q p", h->p);
                }
                if (h->q_excluded)
                    fprintf(fp, "; %d level%s without a conversion in an arm left out", h->q_excluded,
                            h->q_excluded == 1 ? "" : "s");
                fputc('\n', fp);
            }
        }
    }

    fprintf(fp, "\nResponse model for the simulator (modified Poisson regression, log link, robust standard errors; "
                "RR = factor(all) x the factors of the customer's levels)\n");
    int mapped = 0;
    for (int c = 0; c < e->n_cov; c++)
        mapped += s->map[c].kind != CLV_MAP_NONE;
    if (!mapped)
        fprintf(fp, "  no covariate is mapped to the simulator's state: one factor per arm\n");
    for (int k = 0; k < r->n_models; k++) {
        const clv_response_model *m = &r->model[k];
        fprintf(fp, "  %s (%zu customers, %d parameters, %d iterations)\n", arm_name(j, m->arm), m->rows, m->params,
                m->iterations);
        for (int t = 0; t < m->n_terms; t++) {
            const clv_response_term *tm = &m->term[t];
            if (tm->cov < 0)
                fprintf(fp, "    %-36s", "all");
            else {
                char b[100];
                snprintf(b, sizeof b, "%.40s = %.40s", e->cov_names[tm->cov], e->level_names[tm->cov][tm->level]);
                fprintf(fp, "    %-36s", b);
            }
            if (tm->cov >= 0 && tm->level == 0) {
                fputs(" 1 (reference)\n", fp);
                continue;
            }
            fputc(' ', fp);
            put_ci(fp, chk, "factor", "%.3f", tm->factor, 1);
            fputc('\n', fp);
        }
    }
    int unmapped = 0;
    for (int c = 0; c < e->n_cov; c++)
        unmapped += s->map[c].kind == CLV_MAP_NONE;
    if (unmapped) {
        fprintf(fp, "  not in the model (not observable by the simulator):");
        for (int c = 0, k = 0; c < e->n_cov; c++)
            if (s->map[c].kind == CLV_MAP_NONE)
                fprintf(fp, "%s %s", k++ ? "," : "", e->cov_names[c]);
        fputc('\n', fp);
    }
    fprintf(fp, "  * a level without a conversion in an arm: left out of Q\n");
}

static int write_report(const job *j, const char *command, double seconds, clv_error *err)
{
    clv_afile af;
    int st = open_out(j, "report.txt", &af, err);
    if (st != CLV_OK)
        return st;
    fprintf(af.fp, "%s\n\n", command && command[0] ? command : "clvsim fit-response");
    clv_response_report_print(af.fp, &af.num, j->s, j->so, seconds);
    return clv_afile_end(&af, CLV_OK, err);
}

int clv_response_report_write(const clv_response_study *s, const clv_response_study_opts *so,
                              const clv_response_report_opts *ro, const clv_outdir *od, unsigned *notes,
                              clv_error *err)
{
    unsigned dummy = 0;
    if (!notes)
        notes = &dummy;
    *notes = 0;
    const job j = {s, so, od};
    const char *command = ro ? ro->command : NULL;
    int st = write_arms(&j, err);
    if (st == CLV_OK)
        st = write_effects(&j, err);
    if (st == CLV_OK)
        st = write_heterogeneity(&j, err);
    if (st == CLV_OK)
        st = write_model(&j, err);
    if (st == CLV_OK)
        st = write_block(&j, command, err);
    if (st == CLV_OK)
        st = stop_poll(&j, err);
    if (st == CLV_OK)
        st = write_figures(&j, notes, err);
    if (st == CLV_OK)
        st = write_report(&j, command, ro ? ro->seconds : 0, err);
    return st;
}
