/* cmd_agent.c - clvsim train-agent: tabular agents trained on the scenario's environment. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* agent.checkpoint_every: the table so far, written atomically beside the
 * outputs, not staged (a checkpoint is for resuming after the run died),
 * under a name of its own (DIR/agent_<algorithm>.checkpoint.qtab, removed
 * when the run succeeds): it never replaces a finished run's table */
typedef struct {
    const char *path;
    clv_error *err;
    int *written;             /* counts the checkpoints written */
} checkpoint_ctx;

static int write_checkpoint(void *ctx, const clv_qtable *t)
{
    const checkpoint_ctx *c = ctx;
    if (clv_qtable_save(t, c->path, c->err) != CLV_OK)
        return 1;
    ++*c->written;
    return 0;
}

int cmd_train_agent(const cli_cmd *cmd, int argc, char **argv)
{
    cli_opts o;
    clv_scenario scn;
    int rc = cli_parse_scenario(cmd, argc, argv, &o, &scn);
    if (rc >= 0)
        return rc;
    /* which algorithms: --algo, else the scenario's list */
    int algos_k[3], n_algos = 0;
    const char *only = cli_opt(&o, "algo");
    if (only) {
        static const char *const names[] = {"q", "sarsa", "expected-sarsa"};
        for (int k = 0; k < 3; k++)
            if (strcmp(only, names[k]) == 0 || (k == 0 && strcmp(only, "q-learning") == 0))
                algos_k[n_algos++] = k;
        if (!n_algos) {
            cli_errorf(cmd->name, "--algo: expected q, sarsa or expected-sarsa, got '%s'", only);
            return EXIT_USAGE;
        }
    } else {
        for (int k = 0; k < scn.agent.n_algorithms; k++)
            algos_k[n_algos++] = scn.agent.algorithms[k];
    }
    const char *resume_path = cli_opt(&o, "resume");
    if (resume_path && n_algos != 1) {
        cli_errorf(cmd->name, "--resume: a table belongs to one algorithm; choose it with --algo");
        return EXIT_USAGE;
    }
    clv_error err;
    clv_qtable *resume = NULL;
    if (resume_path && !(resume = clv_qtable_load(resume_path, &err)))
        return cli_report(&err);
    if (scn.ltv.model == CLV_LTV_MLP && !o.quiet)
        fprintf(stderr, "clvsim train-agent: note: the agents do not use the neural LTV predictor (ltv.model = \"mlp\") "
                        "yet; their LTV estimates come from the population's BTYD model\n");
    clv_outdir od = {.fd = -1};
    int st = clv_outdir_open(&od, scn.output.dir, o.force, &err);
    char path[CLV_IO_PATH_MAX], ckpt[CLV_IO_PATH_MAX], ckpt_names[3][64];
    int checkpoints = 0;
    for (int k = 0; k < n_algos; k++)
        snprintf(ckpt_names[k], sizeof ckpt_names[k], "agent_%s.checkpoint.qtab",
                 clv_scn_enum_name("agent.algorithms", algos_k[k]));
    if (st == CLV_OK)
        st = cli_write_resolved(&scn, &od, &err);
    clv_afile curves;
    if (st == CLV_OK && (st = cli_open_out(&od, "learning.csv", scn.source, &curves, &err)) == CLV_OK)
        fprintf(curves.fp, "algorithm,episode,epsilon,return,moving_average\n");
    int curves_open = st == CLV_OK;
    cli_progress bar;
    cli_progress_init(&bar, o.quiet);
    clv_progress prog = cli_progress_of(&bar);
    clv_train_result results[3];
    memset(results, 0, sizeof results);
    for (int k = 0; st == CLV_OK && k < n_algos; k++) {
        const char *name = clv_scn_enum_name("agent.algorithms", algos_k[k]);
        double t0 = cli_now();
        clv_train_result *rp = &results[k];
        char file[64];
        snprintf(file, sizeof file, "agent_%s.qtab", name);
        if ((st = clv_outdir_path(&od, file, path, sizeof path, &err)) != CLV_OK ||
            (st = clv_path_join(ckpt, sizeof ckpt, scn.output.dir, ckpt_names[k], &err)) != CLV_OK)
            break;
        checkpoint_ctx cc = {ckpt, &err, &checkpoints};
        clv_train_opts to = {scn.run.threads, &prog, resume, write_checkpoint, &cc};
        st = clv_agent_train(&scn, algos_k[k], &to, rp, &err);
        if (st != CLV_OK && resume_path && strcmp(err.field, "resume") == 0)
            snprintf(err.file, sizeof err.file, "%s", resume_path); /* the table the library refused */
        clv_train_result r = *rp;
        cli_progress_done(&bar);
        if (st != CLV_OK)
            break;
        double elapsed = cli_now() - t0;
        const double last_ma = clv_report_learning(&curves, name, &r);
        st = clv_qtable_save(r.table, path, &err);
        if (st == CLV_OK)
            st = clv_report_policy(&scn, r.table, &r.map, &od, name, &err);
        if (st == CLV_OK)
            printf("%-15s %d episodes of %lld customers in %.1f s; %zu states x %zu actions; net margin per "
                   "customer per episode, last 10: %.3f %s\n",
                   name, r.episodes, (long long)scn.agent.customers, elapsed, r.table->n_states, r.n_actions, last_ma,
                   scn.economics.currency);
    }
    /* the model-based oracle: the discretised MDP estimated from as many
     * episodes with random actions, solved, and each table judged on it */
    if (st == CLV_OK && n_algos > 0) {
        clv_mdp_estimate *m = NULL;
        double t0 = cli_now(), best = 0;
        st = clv_oracle_estimate(&scn, &results[0].map, scn.agent.episodes, scn.run.threads, &prog, &m, &err);
        cli_progress_done(&bar);
        clv_afile oc;
        if (st == CLV_OK)
            st = clv_mdp_solve(m, scn.agent.gamma, 1e-9, 100000, NULL, &best, &err);
        if (st == CLV_OK && (st = cli_open_out(&od, "oracle.csv", scn.source, &oc, &err)) == CLV_OK) {
            fprintf(oc.fp, "policy,value_per_customer,share_of_optimum\n");
            fprintf(oc.fp, "oracle");
            clv_put_num(oc.fp, &oc.num, "value_per_customer", ",%.6f,1\n", best);
            printf("oracle          the discretised MDP estimated from %d episodes of random actions (%zu "
                   "transitions) in %.1f s: optimal value %.3f %s per customer from the start (discounted, per epoch "
                   "gamma %g)\n",
                   scn.agent.episodes, clv_mdp_estimate_transitions(m), cli_now() - t0, best, scn.economics.currency,
                   scn.agent.gamma);
            for (int k = 0; st == CLV_OK && k < n_algos; k++) {
                double v;
                st = clv_mdp_evaluate(m, results[k].table, scn.agent.gamma, 1e-9, 100000, &v, &err);
                if (st == CLV_OK) {
                    const char *name = clv_scn_enum_name("agent.algorithms", algos_k[k]);
                    /* a share of an optimum of 0 is undefined: empty */
                    fprintf(oc.fp, "%s", name);
                    clv_put_num(oc.fp, &oc.num, "value_per_customer", ",%.6f", v);
                    if (best != 0)
                        clv_put_num(oc.fp, &oc.num, "share_of_optimum", ",%.6f\n", v / best);
                    else
                        clv_put_blank(oc.fp, ",%.6f\n");
                    if (best != 0 && isfinite(v / best))
                        printf("%-15s value on the oracle's model %.3f %s: %.1f%% of the optimum\n", name, v,
                               scn.economics.currency, 100 * v / best);
                    else
                        printf("%-15s value on the oracle's model %.3f %s (the optimum is 0: no share of it)\n",
                               name, v, scn.economics.currency);
                }
            }
            st = cli_close_out(&oc, st, &err);
        }
        clv_mdp_estimate_free(m);
    }
    for (int k = 0; k < 3; k++)
        clv_train_result_free(&results[k]);
    if (curves_open)
        st = cli_close_out(&curves, st, &err);
    if (st == CLV_OK && scn.output.plots) {
        char data[CLV_IO_PATH_MAX + 96], cur[40], algos[80] = "algos=";
        snprintf(data, sizeof data, "datafile=%s/learning.csv", od.stage);
        snprintf(cur, sizeof cur, "currency=%s", scn.economics.currency);
        for (int k = 0; k < n_algos; k++) {
            strncat(algos, k ? " " : "", sizeof algos - strlen(algos) - 1);
            strncat(algos, clv_scn_enum_name("agent.algorithms", algos_k[k]), sizeof algos - strlen(algos) - 1);
        }
        const char *vars[] = {data, cur, "title_text=Learning curves of the tabular agents", algos};
        st = cli_figure(od.stage, "learning.gp", "learning", scn.output.plot_formats, scn.output.n_plot_formats,
                        vars, 4, &err);
        if (st == CLV_EUNSUPPORTED) {
            if (!o.quiet)
                fprintf(stderr, "clvsim train-agent: gnuplot not found: skipped learning.{png,svg}; install the "
                                "Debian package gnuplot-nox\n");
            st = CLV_OK;
        }
    }
    clv_qtable_free(resume);
    /* the checkpoints of a finished training are in its tables */
    const char *drop[3];
    for (int k = 0; k < n_algos; k++)
        drop[k] = ckpt_names[k];
    st = cli_out_end(&od, st, CLI_RESOLVED, drop, n_algos, &err);
    if (st != CLV_OK) {
        cli_report(&err);
        if (checkpoints > 0)
            for (int k = 0; k < n_algos; k++)
                if (clv_path_join(ckpt, sizeof ckpt, scn.output.dir, ckpt_names[k], NULL) == CLV_OK &&
                    access(ckpt, F_OK) == 0)
                    fprintf(stderr, "clvsim train-agent: the last checkpoint is %s; go on from it with --resume %s\n",
                            ckpt, ckpt);
        return cli_exit_status(st);
    }
    if (!o.quiet)
        fprintf(stderr, "clvsim train-agent: wrote agent_*.qtab, policy_*.csv, learning.csv, oracle.csv and plots to %s\n",
                scn.output.dir);
    return EXIT_OK;
}
