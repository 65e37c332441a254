/* fit_scenario.c - a scenario from a fit: the base scenario with the population `clvsim fit` estimated. */
#include "clvsim/fit_study.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "clvsim/scenario.h"

int clv_fit_study_best(const clv_fit_study *s)
{
    int best = -1;
    for (int m = 0; m < CLV_BTYD_N_TYPES; m++)
        if (s->done[m] && (best < 0 || s->fit[m].loglik > s->fit[best].loglik))
            best = m;
    return best;
}

/* "BASE-STEM": the base's name and the log's file name without its
 * directory and extensions, in letters, digits, '.', '_' and '-' */
static void name_of(const char *base, const char *log_path, char *out, size_t n)
{
    const char *slash = strrchr(log_path, '/');
    const char *stem = slash ? slash + 1 : log_path;
    size_t len = strcspn(stem, ".");
    if (len == 0)
        len = strlen(stem);
    snprintf(out, n, "%.30s-", base);
    size_t k = strlen(out);
    for (size_t i = 0; i < len && k + 1 < n && k < 60; i++) {
        const char c = stem[i];
        out[k++] = isalnum((unsigned char)c) || c == '_' || c == '-' ? c : '_';
    }
    out[k] = '\0';
}

int clv_fit_study_scenario(const clv_fit_study *s, int unit, const char *log_path, clv_scenario *scn,
                           clv_error *err)
{
    const int best = clv_fit_study_best(s);
    if (best < 0)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "--scenario",
                             "a scenario needs a purchase model: fit bgnbd or pareto too (--model)");
    if (!s->done[CLV_FIT_GGAMMA])
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "--scenario",
                             "a scenario needs the spend model: Gamma-Gamma was not fitted%s%s",
                             s->spend_note[0] ? ": " : " (fit ggamma too, --model)", s->spend_note);
    clv_scn_population *pop = &scn->population;
    clv_btyd given;
    clv_btyd_from_scenario(&given, pop);
    for (int m = 0; m < CLV_BTYD_N_TYPES; m++) /* every fitted purchase model's parameters */
        if (s->done[m])
            clv_btyd_type_of(m)->set(&given, s->fit[m].par);
    pop->bgnbd = given.bgnbd;
    pop->pareto = given.pareto;
    pop->spend = s->model[best].spend;
    pop->model = best;
    pop->unit = unit;
    pop->source = CLV_SOURCE_PARAMETERS;
    pop->customers = (int64_t)s->t->n;
    char name[CLV_NAME_MAX];
    name_of(scn->scenario.name, log_path, name, sizeof name);
    snprintf(scn->scenario.name, sizeof scn->scenario.name, "%s", name);
    snprintf(scn->output.dir, sizeof scn->output.dir, "out/%s", name);
    int st = clv_scn_check(scn, err);
    if (st != CLV_OK && err) {
        char msg[CLV_ERROR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", err->msg);
        snprintf(err->msg, sizeof err->msg, "the base scenario with the fitted population is refused: %.500s", msg);
    }
    return st;
}
