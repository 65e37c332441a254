/* ltv_source.c - the LTV source of the agents and policies: the network's value and P(buy), or BTYD's value and P(alive). */
#include <stdlib.h>

#include "clvsim/ltv.h"
#include "clvsim/parallel.h"
#include "btyd_internal.h"

/* rows per batch of a worker's network: the blocks of the agents' loops
 * (SEE_BLOCK, TABLE_BLOCK) fill at most this many at once */
enum { SOURCE_BATCH = 1024 };

struct clv_ltv_source {
    int kind;               /* clv_ltv_kind */
    clv_btyd_value btyd;    /* the population's */
    int workers;
    clv_ltv_model **m;      /* CLV_LTV_MLP: one copy per worker */
    clv__alive_memo **memo; /* CLV_LTV_BTYD: per worker, of its BG/NBD series */
};

void clv_ltv_source_free(clv_ltv_source *src)
{
    if (!src)
        return;
    for (int k = 0; src->m && k < src->workers; k++)
        clv_ltv_model_free(src->m[k]);
    for (int k = 0; src->memo && k < src->workers; k++)
        clv__alive_memo_free(src->memo[k]);
    free(src->m), free(src->memo);
    free(src);
}

/* a source of kind with btyd for `threads` workers, copies of model (NULL: BTYD) */
static clv_ltv_source *make(const clv_btyd_value *btyd, const clv_ltv_model *model, int threads, clv_error *err)
{
    clv_ltv_source *src = calloc(1, sizeof *src);
    if (!src) {
        clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
        return NULL;
    }
    src->kind = model ? CLV_LTV_MLP : CLV_LTV_BTYD;
    src->btyd = *btyd;
    src->workers = clv_threads_resolve(threads);
    if (!model) {
        int ok = (src->memo = calloc((size_t)src->workers, sizeof *src->memo)) != NULL;
        for (int k = 0; ok && k < src->workers; k++)
            ok = (src->memo[k] = clv__alive_memo_new()) != NULL;
        if (!ok) {
            clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
            clv_ltv_source_free(src);
            return NULL;
        }
        return src;
    }
    if (!(src->m = calloc((size_t)src->workers, sizeof *src->m))) {
        clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
        clv_ltv_source_free(src);
        return NULL;
    }
    for (int k = 0; k < src->workers; k++) {
        if (!(src->m[k] = clv_ltv_model_copy(model, SOURCE_BATCH, err))) {
            clv_ltv_source_free(src);
            return NULL;
        }
        clv_ltv_model_set_btyd(src->m[k], &src->btyd);
    }
    return src;
}

clv_ltv_source *clv_ltv_source_new(const clv_scenario *scn, const clv_ltv_model *model, int threads,
                                   clv_error *err)
{
    clv_btyd_value v;
    clv_btyd_value_init(&v, scn);
    return make(&v, model, threads, err);
}

clv_ltv_source *clv_ltv_source_copy(const clv_ltv_source *src, int threads, clv_error *err)
{
    return make(&src->btyd, src->m ? src->m[0] : NULL, threads, err);
}

int clv_ltv_source_kind(const clv_ltv_source *src) { return src->kind; }
int clv_ltv_source_workers(const clv_ltv_source *src) { return src->workers; }
const clv_ltv_model *clv_ltv_source_model(const clv_ltv_source *src) { return src->m ? src->m[0] : NULL; }

int clv_ltv_source_fill(clv_ltv_source *src, int worker, const clv_sim_obs *obs, size_t n, double *value,
                        double *pbuy, clv_error *err)
{
    if (worker < 0 || worker >= src->workers)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "LTV source: worker %d of a source made for %d", worker,
                             src->workers);
    if (src->kind == CLV_LTV_MLP) {
        clv_ltv_model *m = src->m[worker];
        const int st = clv_ltv_model_predict(m, obs, n, value, pbuy, err);
        if (st != CLV_OK || !pbuy || clv_ltv_model_loss(m) == CLV_LOSS_ZILN)
            return st;
        /* an MSE network has no P(buy): P(alive) stands in for it */
        for (size_t i = 0; i < n; i++)
            pbuy[i] = clv_btyd_palive_of(&src->btyd, &obs[i]);
        return CLV_OK;
    }
    for (size_t i = 0; i < n; i++) {
        if (pbuy) /* both from one call: the bits of clv_btyd_value_of and clv_btyd_palive_of */
            clv__btyd_value_palive_of(&src->btyd, src->memo[worker], &obs[i], &value[i], &pbuy[i]);
        else
            value[i] = clv_btyd_value_of(&src->btyd, &obs[i]);
    }
    return CLV_OK;
}
