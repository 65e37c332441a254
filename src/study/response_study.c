/* response_study.c - the pipeline of `clvsim fit-response`: read an experiment, map its covariates, estimate, lay out the block. */
#include "clvsim/response_study.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the default map: these columns of the Hillstrom layout, when they are covariates */
static const struct {
    const char *column, *kind;
} default_map[] = {
    {"recency", "recency-months"},
    {"history_segment", "spend-band"},
    {"newbie", "new-within-days:365"},
};

int clv_response_map_spec(const char *spec, int n_cov, const char *const *cov, clv_response_map *map,
                          clv_error *err)
{
    for (int c = 0; c < n_cov; c++)
        map[c] = (clv_response_map){CLV_MAP_NONE, 0};
    char buf[1024];
    int st = CLV_OK;
    if (!spec) {
        for (size_t d = 0; d < sizeof default_map / sizeof default_map[0]; d++)
            for (int c = 0; c < n_cov; c++)
                if (strcmp(cov[c], default_map[d].column) == 0 &&
                    (st = clv_response_map_parse(default_map[d].kind, "state-map", &map[c], err)) != CLV_OK)
                    return st;
        return CLV_OK;
    }
    if (strlen(spec) >= sizeof buf)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "state-map", "expected at most %zu characters, got %zu",
                             sizeof buf - 1, strlen(spec));
    memcpy(buf, spec, strlen(spec) + 1);
    int given[CLV_EXPERIMENT_MAX_COVARIATES] = {0};
    for (char *item = buf, *next; item; item = next) {
        next = strchr(item, ',');
        if (next)
            *next++ = '\0';
        char *eq = strchr(item, '=');
        if (!eq || eq == item)
            return clv_error_set(err, CLV_EINPUT, NULL, 0, "state-map",
                                 "expected COLUMN=KIND items separated by commas, got \"%s\"", item);
        *eq = '\0';
        int c = -1;
        for (int i = 0; i < n_cov; i++)
            if (strcmp(cov[i], item) == 0)
                c = i;
        if (c < 0)
            return clv_error_set(err, CLV_EINPUT, NULL, 0, "state-map",
                                 "expected a column of --covariates, got \"%s\" (map only covariates the model "
                                 "uses: add it to --covariates)",
                                 item);
        if (given[c]++)
            return clv_error_set(err, CLV_EINPUT, NULL, 0, "state-map", "expected each column once, got \"%s\" twice",
                                 item);
        char field[CLV_ERROR_FIELD_MAX];
        snprintf(field, sizeof field, "state-map %.100s", item);
        if ((st = clv_response_map_parse(eq + 1, field, &map[c], err)) != CLV_OK)
            return st;
    }
    /* one covariate per observable: the simulator finds a customer's level
     * of an observable in one list */
    for (int a = 0; a < n_cov; a++)
        for (int b = 0; b < a; b++)
            if (map[a].kind != CLV_MAP_NONE && map[b].kind != CLV_MAP_NONE &&
                clv_response_map_observable(map[a].kind) == clv_response_map_observable(map[b].kind))
                return clv_error_set(err, CLV_EINPUT, NULL, 0, "state-map",
                                     "expected one column per observable of the simulator, got \"%s\" and \"%s\" "
                                     "both of \"%s\"",
                                     cov[b], cov[a], clv_contact_covariate_name(clv_response_map_observable(map[a].kind)));
    return CLV_OK;
}

void clv_response_study_free(clv_response_study *s)
{
    if (!s)
        return;
    clv_response_free(&s->r);
    clv_experiment_free(s->e);
    free(s->map);
    free(s->block);
    memset(s, 0, sizeof *s);
}

/* level rows of one (arm, covariate) by increasing upper bound, unbounded last */
typedef struct by_upper {
    double upper;
    int level;
} by_upper;

static int cmp_upper(const void *a, const void *b)
{
    const by_upper *x = a, *y = b;
    const double u = x->upper < 0 ? INFINITY : x->upper, v = y->upper < 0 ? INFINITY : y->upper;
    if (u != v)
        return u < v ? -1 : 1;
    return (x->level > y->level) - (x->level < y->level);
}

int clv_response_study_run(const clv_response_study_opts *o, clv_response_study *s, clv_error *err)
{
    memset(s, 0, sizeof *s);
    if (o->window_days < CLV_RESPONSE_WINDOW_MIN || o->window_days > CLV_RESPONSE_WINDOW_MAX)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "window-days", "expected a whole number of days in [%d, %d], got %d",
                             CLV_RESPONSE_WINDOW_MIN, CLV_RESPONSE_WINDOW_MAX, o->window_days);
    if (!(o->confidence > 0 && o->confidence < 1))
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "confidence", "expected a level in (0, 1), got %g",
                             o->confidence);
    s->window_days = o->window_days;
    s->default_map = o->state_map == NULL;
    const int n_cov = o->reader.n_cov;
    s->map = calloc((size_t)n_cov + 1, sizeof *s->map);
    if (!s->map)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    /* the map first: a bad --state-map is told before the file is read */
    int st = clv_response_map_spec(o->state_map, n_cov, o->reader.covariates, s->map, err);
    if (st == CLV_OK)
        st = clv_experiment_read(o->path, &o->reader, o->progress, &s->e, err);
    if (st != CLV_OK)
        return st;
    const clv_experiment *e = s->e;

    /* every mapped level's bound, before the estimates */
    int rows = 0;
    for (int c = 0; c < n_cov; c++)
        if (s->map[c].kind != CLV_MAP_NONE)
            rows += e->n_levels[c];
    rows = (rows + 1) * (e->n_arms - 1);
    if (rows > CLV_RESPONSE_MAX_BLOCK_ROWS)
        return clv_error_set(err, CLV_EINPUT, o->path, 0, "state-map",
                             "the response block would have %d rows ((1 + the mapped levels) x %d treated arms), "
                             "more than %d: map fewer covariates, or merge levels (fewer bands or months)",
                             rows, e->n_arms - 1, CLV_RESPONSE_MAX_BLOCK_ROWS);
    double *upper = calloc((size_t)n_cov * CLV_EXPERIMENT_MAX_LEVELS + 1, sizeof *upper);
    if (!upper)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    for (int c = 0; c < n_cov && st == CLV_OK; c++) {
        if (s->map[c].kind == CLV_MAP_NONE)
            continue;
        for (int l = 0; l < e->n_levels[c] && st == CLV_OK; l++) {
            char field[CLV_ERROR_FIELD_MAX];
            snprintf(field, sizeof field, "%.100s", e->cov_names[c]);
            st = clv_response_level_upper(&s->map[c], e->level_names[c][l], l == e->n_levels[c] - 1, field,
                                          &upper[(size_t)c * CLV_EXPERIMENT_MAX_LEVELS + (size_t)l], err);
            if (st != CLV_OK) {
                /* name the file and what the map said */
                char msg[CLV_ERROR_MSG_MAX + 400];
                snprintf(msg, sizeof msg, "%.400s (the state map makes column %s a %s; give another kind with "
                         "--state-map, or leave the column out of it)",
                         err ? err->msg : "", e->cov_names[c], clv_response_map_name(s->map[c].kind));
                st = clv_error_set(err, CLV_EINPUT, o->path, 0, field, "%.600s", msg);
            }
        }
    }
    clv_response_opts ro;
    clv_response_opts_default(&ro);
    ro.confidence = o->confidence;
    ro.map = s->map;
    ro.progress = o->progress;
    if (st == CLV_OK)
        st = clv_response_estimate(e, &ro, &s->r, err);
    if (st == CLV_OK && !(s->block = calloc((size_t)rows, sizeof *s->block)))
        st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    /* the block: per treated arm, "all", then each mapped covariate's levels by upper bound */
    for (int k = 0; st == CLV_OK && k < s->r.n_effects; k++) {
        const clv_response_effect *ef = &s->r.effect[k];
        const clv_response_model *m = &s->r.model[k];
        const int a = ef->arm, c0 = e->control;
        clv_response_block_row *b = &s->block[s->n_block++];
        *b = (clv_response_block_row){a, -1, -1, -1, -1.0, m->term[0].factor.est, ef->rate_ratio,
                                      s->r.arm[c0].rate.est, s->r.arm[a].rate.est, s->r.arm[c0].n + s->r.arm[a].n};
        int t = 1; /* m->term[t]: the mapped covariates' levels, in order */
        for (int c = 0; c < n_cov; c++) {
            if (s->map[c].kind == CLV_MAP_NONE)
                continue;
            by_upper ord[CLV_EXPERIMENT_MAX_LEVELS];
            for (int l = 0; l < e->n_levels[c]; l++)
                ord[l] = (by_upper){upper[(size_t)c * CLV_EXPERIMENT_MAX_LEVELS + (size_t)l], l};
            qsort(ord, (size_t)e->n_levels[c], sizeof *ord, cmp_upper);
            const clv_response_het *h = clv_response_het_of(&s->r, c, k);
            for (int i = 0; i < e->n_levels[c]; i++) {
                const int l = ord[i].level;
                const clv_response_level *lv = &h->level[l];
                b = &s->block[s->n_block++];
                *b = (clv_response_block_row){a, c, l, clv_response_map_observable(s->map[c].kind), ord[i].upper,
                                              m->term[t + l].factor.est, lv->ratio, lv->rate_control,
                                              lv->rate_treated, lv->n_control + lv->n_treated};
            }
            t += e->n_levels[c];
        }
    }
    free(upper);
    return st;
}
