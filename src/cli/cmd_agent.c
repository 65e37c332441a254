/* cmd_agent.c - clvsim train-agent: the tabular agents of a scenario, trained and judged by the oracle in the library (clv_study_agents), their files written by it (clvsim/report.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* each phase's line on stdout as it ends, a training's curve into learning.csv */
typedef struct {
    cli_progress *bar;
    clv_afile *curves;
} phase_ctx;

static void trained(void *ctx, const clv_agents *a, int k)
{
    const phase_ctx *c = ctx;
    cli_progress_done(c->bar);
    const clv_scenario *scn = &a->scn;
    const char *cur = scn->economics.currency;
    if (k >= 0) {
        clv_report_learning(c->curves, clv_scn_enum_name("agent.algorithms", a->algo[k]), &a->trained[k]);
        printf("%-15s %d episodes of %lld customers in %.1f s; %zu states x %zu actions; net margin per "
               "customer per episode, last 10: %.3f %s\n",
               clv_scn_enum_name("agent.algorithms", a->algo[k]), a->trained[k].episodes,
               (long long)scn->agent.customers, a->seconds[k], a->trained[k].table->n_states,
               a->trained[k].n_actions, a->last_average[k], cur);
        return;
    }
    printf("oracle          the discretised MDP estimated from %d episodes of random actions (%zu transitions) in "
           "%.1f s: optimal value %.3f %s per customer from the start over the %d epochs (backward induction)\n",
           clv_scn_model_episodes(scn), clv_mdp_estimate_transitions(a->mdp), a->oracle_seconds, a->optimum, cur,
           clv_mdp_estimate_epochs(a->mdp));
    for (int j = 0; j < a->n; j++) {
        const char *name = clv_scn_enum_name("agent.algorithms", a->algo[j]);
        const double v = a->value[j], best = a->optimum;
        if (best != 0 && isfinite(v / best))
            printf("%-15s value on the oracle's model %.3f %s: %.1f%% of the optimum\n", name, v, cur, 100 * v / best);
        else
            printf("%-15s value on the oracle's model %.3f %s (the optimum is 0: no share of it)\n", name, v, cur);
    }
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
    clv_outdir od = {.fd = -1};
    int st = clv_outdir_open(&od, scn.output.dir, o.force, &err);
    if (st == CLV_OK)
        st = clv_report_resolved(&scn, &od, &err);
    cli_progress bar;
    cli_progress_init(&bar, o.quiet);
    const clv_progress prog = cli_progress_of(&bar);
    clv_report_checkpoints cc = {scn.output.dir, &err, 0};
    clv_afile curves;
    phase_ctx pc = {&bar, &curves};
    const clv_agents_opts ao = {&prog, algos_k, n_algos, resume, clv_report_checkpoint, &cc, trained, &pc};
    clv_agents *a = NULL;
    const int curves_open = st == CLV_OK && (st = clv_report_learning_open(&curves, &scn, &od, &err)) == CLV_OK;
    if (st == CLV_OK) {
        st = clv_study_agents(&scn, &ao, &a, &err);
        cli_progress_done(&bar);
        if (st != CLV_OK && resume_path && strcmp(err.field, "resume") == 0)
            snprintf(err.file, sizeof err.file, "%s", resume_path); /* the table the library refused */
    }
    if (curves_open)
        st = clv_afile_end(&curves, st, &err);
    if (st == CLV_OK)
        st = clv_report_agents_files(a, &od, &err);
    if (st == CLV_OK && scn.output.plots) {
        static const clv_progress stop = {NULL, NULL, clv_stop_cancelled};
        st = clv_report_agents_figure(a, &od, &stop, &err);
        if (st == CLV_EUNSUPPORTED) {
            if (!o.quiet)
                fprintf(stderr, "clvsim train-agent: gnuplot not found: skipped learning.{png,svg}; install the "
                                "Debian package gnuplot-nox\n");
            st = CLV_OK;
        }
    }
    clv_agents_free(a);
    clv_qtable_free(resume);
    /* the checkpoints of a finished training are in its tables */
    char ckpt_names[CLV_MAX_ALGOS][64], ckpt[CLV_IO_PATH_MAX];
    const char *drop[CLV_MAX_ALGOS];
    for (int k = 0; k < n_algos; k++) {
        clv_report_checkpoint_name(ckpt_names[k], algos_k[k]);
        drop[k] = ckpt_names[k];
    }
    st = clv_report_end(&od, st, CLV_REPORT_RESOLVED, drop, n_algos, &err);
    if (st != CLV_OK) {
        cli_report(&err);
        if (cc.written > 0)
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
