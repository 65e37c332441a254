/* main.c - the clvsim command: pick the subcommand, run it, turn its status into an exit code. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "cli.h"

static const char *const fit_options[] = {
    "calibration-end", "holdout-end", "unit", "model", "delimiter", "header", "customer-column",
    "date-column", "amount-column", "quantity-column", "amount-kind", "date-format", "skip-malformed!", "skip-missing-customer!",
    "starts", "margin", "annual-discount-rate", "clv-horizon", "scenario", "penalty", "history-customer", NULL};

static const char *const response_options[] = {"arm-column", "control", "converted-column", "spend-column",
                                               "window-days", "covariates", "confidence", "state-map", NULL};

static const char *const simulate_options[] = {"policy", NULL};
static const char *const train_options[] = {"algo", "resume", NULL};
static const char *const run_options[] = {"policy-plugin", NULL};
static const char *const compare_options[] = {"tables", "policy-plugin", NULL};
static const char *const train_ltv_options[] = {"split", "folds", "search", "trials", "importance", NULL};
static const char *const predict_options[] = {"cutoff", "unit", "delimiter", "header", "customer-column",
                                              "date-column", "amount-column", "quantity-column", "amount-kind",
                                              "date-format", "skip-malformed!", "skip-missing-customer!", "no-skip-malformed!",
                                              "no-skip-missing-customer!", "explain", NULL};

/* the full help of each command, man/help/NAME.txt, and the options of
 * every command, man/help/common.txt: made C strings by the Makefile
 * (BUILD/cli_help.c) */
extern const char clv_help_common[], clv_help_run[], clv_help_check[], clv_help_fit[], clv_help_simulate[], clv_help_validate[], clv_help_train_ltv[], clv_help_predict_ltv[], clv_help_train_agent[], clv_help_compare[], clv_help_fit_response[];

static const cli_cmd commands[] = {
    {"run", "train the agents and compare every policy of a scenario (the main job)",
     clv_help_run, cmd_run, run_options},
    {"check", "validate a scenario file; print it resolved or print the key reference",
     clv_help_check, cmd_check, NULL},
    {"fit", "fit BG/NBD, Pareto/NBD and Gamma-Gamma to a transaction log",
     clv_help_fit, cmd_fit, fit_options},
    {"fit-response", "fit the response to contact from a randomised experiment (arms, effects, heterogeneity)",
     clv_help_fit_response, cmd_fit_response, response_options},
    {"simulate", "simulate a scenario's customers under one policy",
     clv_help_simulate, cmd_simulate, simulate_options},
    {"validate", "certify that the simulated world reproduces the fitted model",
     clv_help_validate, cmd_validate, NULL},
    {"train-ltv", "train the neural LTV predictor on real and/or synthetic customers",
     clv_help_train_ltv, cmd_train_ltv, train_ltv_options},
    {"predict-ltv", "predict per-customer LTV from a transaction log with a trained network",
     clv_help_predict_ltv, cmd_predict_ltv, predict_options},
    {"train-agent", "train Q-learning, SARSA or Expected SARSA agents on the scenario's environment",
     clv_help_train_agent, cmd_train_agent, train_options},
    {"compare", "compare the listed policies with agents trained earlier, without training",
     clv_help_compare, cmd_compare, compare_options},
};
static const size_t n_commands = sizeof commands / sizeof commands[0];

static void usage(FILE *fp)
{
    fprintf(fp,
            "clvsim %s - simulate customer lifetime value and compare coupon and pricing policies\n"
            "\n"
            "Usage: clvsim SCENARIO.cfg [options]      (same as clvsim run SCENARIO.cfg)\n"
            "       clvsim COMMAND [arguments] [options]\n"
            "       clvsim COMMAND --help\n"
            "\n"
            "Commands:\n",
            CLV_VERSION);
    for (size_t i = 0; i < n_commands; i++)
        fprintf(fp, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fputc('\n', fp);
    fputs(clv_help_common, fp);
}

/* A command that failed after a stop signal failed because of it (a
 * cancelled call, or a read or a child interrupted): 128 + the signal. */
static int stopped(int rc)
{
    return rc != EXIT_OK && clv_stop_signal() ? 128 + clv_stop_signal() : rc;
}

/* results that did not reach stdout (a full disk, no memory for its
 * buffer) are a failure, never a success */
static int finish(int rc)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "clvsim: cannot write the results to standard output: %s\n", clv_write_failure(errno));
        return rc == EXIT_OK ? EXIT_RUNTIME : rc;
    }
    return rc;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

int main(int argc, char **argv)
{
    /* clvsim checks every GSL status itself; GSL must not abort the process */
    gsl_set_error_handler_off();

    /* the first Ctrl-C, SIGTERM or SIGHUP asks long work to stop cleanly;
     * a second one stops at once (clvsim/progress.h) */
    if (clv_stop_on_signals() != CLV_OK) {
        fprintf(stderr, "clvsim: cannot install the signal handlers: %s\n", strerror(errno));
        return EXIT_RUNTIME;
    }

    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *first = argv[1];
    if (strcmp(first, "-h") == 0 || strcmp(first, "--help") == 0 || strcmp(first, "help") == 0) {
        if (argc > 2 && strcmp(first, "help") == 0) {
            for (size_t i = 0; i < n_commands; i++)
                if (strcmp(argv[2], commands[i].name) == 0) {
                    fputs(commands[i].help, stdout);
                    return finish(EXIT_OK);
                }
        }
        usage(stdout);
        return finish(EXIT_OK);
    }
    if (strcmp(first, "-V") == 0 || strcmp(first, "--version") == 0) {
        printf("clvsim %s\n", clv_version());
        return finish(EXIT_OK);
    }
    for (size_t i = 0; i < n_commands; i++)
        if (strcmp(first, commands[i].name) == 0)
            return finish(stopped(commands[i].fn(&commands[i], argc - 1, argv + 1)));
    /* a bare scenario file is the main job */
    if (ends_with(first, ".cfg"))
        return finish(stopped(cmd_run(&commands[0], argc, argv)));
    if (first[0] == '-')
        fprintf(stderr, "clvsim: unknown option '%s' before a command; try 'clvsim --help'\n", first);
    else
        fprintf(stderr, "clvsim: unknown command '%s'; expected a command (run, check, fit, fit-response, simulate, "
                        "validate, train-ltv, predict-ltv, train-agent, compare) or a SCENARIO.cfg; "
                        "try 'clvsim --help'\n", first);
    return EXIT_USAGE;
}
