/* make_seeds.c - the binary seed files of the Q-table and network fuzzers,
 * made with the API that writes them (clv_qtable_save, clv_mlp_save), so
 * that the tree holds no opaque binaries: make fuzz runs
 *   BUILD/fuzz/make-seeds DIR
 * which writes DIR/qtab/ and DIR/mlp/.  Small on purpose: the fuzzer
 * mutates sizes, so a seed of 3 states teaches it as much as one of 3000. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clvsim/agent.h"
#include "clvsim/ltv.h"
#include "clvsim/mlp.h"
#include "clvsim/scenario.h"

static void die(const char *what, const clv_error *err)
{
    fprintf(stderr, "make-seeds: %s: %s\n", what, err ? err->msg : strerror(errno));
    exit(1);
}

static void mkdir_p(const char *d)
{
    if (mkdir(d, 0777) != 0 && errno != EEXIST)
        die(d, NULL);
}

static void qtable(const char *dir, const char *name, size_t S, size_t A, uint64_t episodes, uint64_t layout)
{
    clv_error err;
    clv_qtable *t = clv_qtable_alloc(S, A, 0.5, &err);
    if (!t)
        die("clv_qtable_alloc", &err);
    for (size_t i = 0; i < S * A; i++) {
        t->q[i] = (double)(i % 7) - 2.25;
        t->visits[i] = (uint32_t)(i % 4);
        for (int k = 0; k < CLV_QSTATS; k++)
            t->stats[i * CLV_QSTATS + k] = t->visits[i] * (1.5 + k);
    }
    t->episodes = episodes;
    t->layout = layout;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (clv_qtable_save(t, path, &err) != CLV_OK)
        die(path, &err);
    clv_qtable_free(t);
}

static void network(const char *dir, const char *name, const clv_mlp_spec *spec, int loss, const double *meta,
                    const char *text)
{
    clv_error err;
    clv_mlp *m = clv_mlp_alloc(spec, &err);
    if (!m)
        die("clv_mlp_alloc", &err);
    clv_mlp_init(m, 7);
    double *mean = malloc((size_t)spec->n_in * sizeof *mean), *sd = malloc((size_t)spec->n_in * sizeof *sd);
    if (!mean || !sd)
        die("out of memory", NULL);
    for (int k = 0; k < spec->n_in; k++)
        mean[k] = 0.25 * k, sd[k] = 1 + 0.5 * k;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (clv_mlp_save(m, loss, mean, sd, meta, text, path, &err) != CLV_OK)
        die(path, &err);
    clv_mlp_free(m);
    free(mean);
    free(sd);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make-seeds DIR\n");
        return 2;
    }
    char q[4096], n[4096];
    snprintf(q, sizeof q, "%s/qtab", argv[1]);
    snprintf(n, sizeof n, "%s/mlp", argv[1]);
    mkdir_p(argv[1]);
    mkdir_p(q);
    mkdir_p(n);

    qtable(q, "one.qtab", 1, 1, 0, 0);
    qtable(q, "small.qtab", 3, 2, 12, 0x1234abcdULL);
    qtable(q, "wide.qtab", 2, 9, 100, 42);

    /* any network: linear MSE, tanh ZILN, relu BCE (f32) */
    clv_mlp_spec lin = {.n_in = 2, .n_hidden = 0, .n_out = 1, .activation = CLV_ACT_RELU,
                        .precision = CLV_MLP_F64, .max_batch = 4};
    network(n, "linear_mse.net", &lin, CLV_LOSS_MSE, NULL, NULL);
    clv_mlp_spec ziln = {.n_in = 3, .hidden = {4}, .n_hidden = 1, .n_out = 3, .activation = CLV_ACT_TANH,
                         .precision = CLV_MLP_F64, .max_batch = 4};
    network(n, "tanh_ziln.net", &ziln, CLV_LOSS_ZILN, NULL, NULL);
    clv_mlp_spec bce = {.n_in = 2, .hidden = {3, 2}, .n_hidden = 2, .n_out = 1, .activation = CLV_ACT_RELU,
                        .precision = CLV_MLP_F32, .max_batch = 4};
    network(n, "relu_bce_f32.net", &bce, CLV_LOSS_BCE, NULL, NULL);

    /* networks of train-ltv: the LTV features and the configuration of the
     * default scenario, with and without the BTYD features */
    clv_scenario scn;
    clv_error err;
    if (clv_scn_defaults(&scn, &err) != CLV_OK)
        die("clv_scn_defaults", &err);
    clv_ltv_config c;
    double meta[CLV_MLP_META];
    clv_ltv_config_of(&scn, &c);
    c.btyd_features = 0;
    clv_ltv_config_pack(&c, meta);
    clv_mlp_spec lz = {.n_in = CLV_LTV_FEATURES, .hidden = {2}, .n_hidden = 1, .n_out = 3,
                       .activation = CLV_ACT_RELU, .precision = CLV_MLP_F64, .max_batch = 4};
    network(n, "ltv_ziln.net", &lz, CLV_LOSS_ZILN, meta, NULL);
    c.btyd_features = 1;
    c.discount = 1;
    c.btyd_model = CLV_MODEL_PARETO;
    clv_ltv_config_pack(&c, meta);
    clv_mlp_spec lm = {.n_in = CLV_LTV_FEATURES, .n_hidden = 0, .n_out = 1, .activation = CLV_ACT_TANH,
                       .precision = CLV_MLP_F64, .max_batch = 4};
    network(n, "ltv_mse_btyd.net", &lm, CLV_LOSS_MSE, meta, NULL);
    /* and one trained on a log: the reader record of the harness's log
     * (whitespace, quantity and amount in columns 3 and 4, days) */
    scn.data.delimiter = CLV_DELIM_WHITESPACE, scn.data.quantity_column = 3, scn.data.amount_column = 4;
    scn.data.unit = CLV_UNIT_DAY;
    clv_ltv_config_of(&scn, &c);
    c.reader_recorded = 1;
    char text[CLV_MLP_TEXT_MAX];
    clv_ltv_config_pack(&c, meta);
    if (clv_ltv_config_text(&c, text, sizeof text, &err) != CLV_OK)
        die("clv_ltv_config_text", &err);
    network(n, "ltv_ziln_reader.net", &lz, CLV_LOSS_ZILN, meta, text);
    return 0;
}
