/* main.c - the clvsim command: pick the subcommand, run it, turn its status into an exit code. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "cli.h"

static const char *const fit_options[] = {
    "calibration-end", "holdout-end", "unit", "model", "delimiter", "header", "customer-column",
    "date-column", "amount-column", "quantity-column", "amount-kind", "date-format", "skip-malformed!",
    "starts", "margin", "annual-discount-rate", "clv-horizon", NULL};

static const char *const simulate_options[] = {"policy", NULL};
static const char *const train_options[] = {"algo", "resume", NULL};
static const char *const compare_options[] = {"tables", NULL};
static const char *const predict_options[] = {"cutoff", "unit", "delimiter", "header", "customer-column",
                                              "date-column", "amount-column", "quantity-column", "amount-kind",
                                              "date-format", "skip-malformed!", NULL};

static const cli_cmd commands[] = {
    {"run", "train the agents and compare every policy of a scenario (the main job)",
     "Usage: clvsim run SCENARIO [options]\n"
     "       clvsim SCENARIO.cfg [options]\n"
     "\n"
     "The main job: load the scenario, train the agents, evaluate every listed\n"
     "policy on the same simulated customers, print the comparison and write CSVs,\n"
     "figures and a report to the output directory.\n"
     "\n"
     "Phases, each with a progress bar on a terminal:\n"
     "  1. train the tabular agents listed in evaluation.policies (q-learning, sarsa,\n"
     "     expected-sarsa) for agent.episodes episodes of agent.customers customers;\n"
     "  2. for greedy and oracle: estimate the discretised MDP from as many episodes\n"
     "     of random actions; greedy takes the best estimated reward of the epoch,\n"
     "     oracle the best action of value iteration on the estimate;\n"
     "  3. evaluate every listed policy (blanket: one per coupon level) on\n"
     "     evaluation.replications fresh worlds of population.customers x run.scale\n"
     "     customers over the calendar, with common random numbers: every policy\n"
     "     meets the same customers and the same luck;\n"
     "  4. print the comparison: per policy net margin, revenue, coupon spend, ROI\n"
     "     against no campaign, purchases, active customers at the end, churn,\n"
     "     realised CLV and predicted remaining value per customer, each with its\n"
     "     evaluation.confidence interval (Student t across replications); the\n"
     "     paired difference in net margin against the best fixed policy (none,\n"
     "     blanket, random, rfm, ltv-threshold); and where the money went by latent\n"
     "     uplift segment (ground truth).\n"
     "Files in DIR (default out/<scenario name>): summary.csv, replications.csv,\n"
     "segments.csv, daily.csv, learning.csv, policy_*.csv, heatmap_*.csv,\n"
     "agent_*.qtab, scenario.resolved.cfg, the figures (comparison, daily_net_margin,\n"
     "active_customers, coupon_spend, learning, heatmap_*; .png and .svg, needs\n"
     "gnuplot) and report.html.  Until the neural LTV predictor is built, LTV\n"
     "estimates come from the population's BTYD model.\n",
     cmd_run, NULL},
    {"check", "validate a scenario file; print it resolved or print the key reference",
     "Usage: clvsim check SCENARIO [--dump] [options]\n"
     "       clvsim check --reference\n"
     "\n"
     "Load and validate SCENARIO strictly (unknown keys, wrong types, values out of\n"
     "range, missing required keys and inconsistent combinations are errors that\n"
     "name FILE:LINE and the key) and print a one-line summary.\n"
     "\n"
     "  --dump        print the resolved scenario, every key explicit, to stdout\n"
     "  --reference   print the reference of every scenario key (Markdown) to stdout\n",
     cmd_check, NULL},
    {"fit", "fit BG/NBD, Pareto/NBD and Gamma-Gamma to a transaction log",
     "Usage: clvsim fit TRANSACTIONS --calibration-end DATE [--holdout-end DATE]\n"
     "                  [--unit week|day] [--model bgnbd|pareto|ggamma|all] [-o DIR] [options]\n"
     "\n"
     "Read a transaction log, summarise each customer's calibration period (x, t_x,\n"
     "T, mean repeat spend) and holdout, fit the models by maximum likelihood, and\n"
     "write to DIR (default out/fit-<log name>):\n"
     "  population.cfg   the fitted parameters as a scenario population block (@include it)\n"
     "  report.txt       parameters with standard errors, log-likelihoods, warnings and\n"
     "                   the holdout report (also printed)\n"
     "  customers.csv    per customer: RFM, P(alive), expected holdout purchases, CLV\n"
     "  rfm.csv          the RFM summary\n"
     "  holdout.csv      the holdout report as a table (with --holdout-end)\n"
     "  cumulative.csv, frequency.csv and their plots (.png, .svg; needs gnuplot)\n"
     "\n"
     "The log: one row per purchase line; several rows of a customer on one day\n"
     "are one transaction (spend summed); rows with a negative amount or quantity\n"
     "are returns and are left out; each customer's rows must be in date order.\n"
     "A date far outside the bulk of the log (a typo such as 9999-12-31) is warned\n"
     "about with its file and line, kept in the summaries and the fits, and left out\n"
     "of the cumulative curve; a calibration or holdout end far after the log is\n"
     "refused (README, 'Fitting a transaction log').\n"
     "\n"
     "  --calibration-end DATE    last day of the calibration period (YYYY-MM-DD), required\n"
     "  --holdout-end DATE        last day of the holdout period; none by default\n"
     "  --unit week|day           time unit of the summaries and rates (default week)\n"
     "  --model M                 bgnbd, pareto, ggamma or all (default all)\n"
     "  --delimiter D             auto, whitespace or comma (default auto)\n"
     "  --header H                auto, yes or no (default auto)\n"
     "  --customer-column N       column of the customer id (default 1)\n"
     "  --date-column N           column of the date (default 2)\n"
     "  --amount-column N         column of the amount (default 3)\n"
     "  --quantity-column N       column of the quantity, 0 for none (default 0)\n"
     "  --amount-kind K           total, or unit-price (spend = quantity x amount)\n"
     "  --date-format F           auto, YYYYMMDD, YYYY-MM-DD or datetime (default auto)\n"
     "  --skip-malformed          skip malformed rows (counted by kind) instead of stopping\n"
     "  --starts N                starting points of each fit, 1..16 (default 4)\n"
     "  --margin X                margin in the CLV column (default 0.3)\n"
     "  --annual-discount-rate X  discount rate of the CLV column (default 0.1)\n"
     "  --clv-horizon N           CLV horizon in units (default one year: 52 weeks or 365 days)\n"
     "  --seed N                  seed of the random starting points, 0 to 2^63 - 1\n"
     "                            (default 1)\n"
     "  --threads N               threads (default all processors); results do not depend on it\n"
     "  -o, --output DIR, --force, --quiet   as for every command\n",
     cmd_fit, fit_options},
    {"simulate", "simulate a scenario's customers under one policy",
     "Usage: clvsim simulate SCENARIO [--policy NAME] [-o DIR] [options]\n"
     "\n"
     "Simulate one replication of the scenario's world (seed: scenario.seed or\n"
     "--seed): the existing customers with their burn-in histories, arrivals,\n"
     "purchases, spend, dropout and lifecycle stages over the calendar, and write\n"
     "to DIR (default out/<scenario name>):\n"
     "  days.csv               totals per day: purchases, revenue, cost of goods, coupon\n"
     "                         cost, net margin, coupons sent, refused by the budget and\n"
     "                         redeemed, customers alive (ground truth), acquired, by stage\n"
     "  customers.csv          per customer: first and last purchase, purchases, spend,\n"
     "                         stage at the end, and the ground truth (alive, latent traits)\n"
     "  transactions.csv       every transaction, burn-in included, in the format\n"
     "                         'clvsim fit' reads (customer,date,amount)\n"
     "  scenario.resolved.cfg  the scenario with every key explicit\n"
     "\n"
     "  --policy NAME   none (default), blanket-K (coupon level K to everyone), random,\n"
     "                  rfm (coupons to at-risk customers of high past value), or\n"
     "                  ltv-threshold (coupons to customers of high predicted LTV); the\n"
     "                  learned policies (greedy, q-learning, sarsa, oracle) are trained\n"
     "                  and evaluated by clvsim run\n"
     "  --seed, --threads, --scale, --set, -o, --force, --quiet   as for every command\n",
     cmd_simulate, simulate_options},
    {"validate", "certify that the simulated world reproduces the fitted model",
     "Usage: clvsim validate SCENARIO [-o DIR] [options]\n"
     "\n"
     "A certificate that the simulator is the fitted model, with interventions,\n"
     "seasonality and acquisition off, written to DIR/validation (DIR: output.dir or -o):\n"
     "  1. the repeat purchases of a simulated cohort (population.customers x run.scale,\n"
     "     at least 20,000) over the horizon against the closed-form P(X(t)=x):\n"
     "     chi-square goodness of fit (PASS when p >= 0.001);\n"
     "  2. the simulator's own transaction log read and refitted like real data:\n"
     "     every parameter with its standard error and 95% interval (PASS when each\n"
     "     is within 3 standard errors of the true value);\n"
     "  3. when the scenario names a real log (data.transactions, calibration_end,\n"
     "     holdout_end): its cohort simulated from the same first purchase days,\n"
     "     against its real cumulative repeat purchases (information, no pass/fail).\n"
     "Files: report.txt (also printed), counts.csv, refit.csv, cumulative.csv,\n"
     "simulated_transactions.csv, and the plots counts.{png,svg}, cumulative.{png,svg}.\n"
     "Exit status 1 when the certificate fails.\n",
     cmd_validate, NULL},
    {"train-ltv", "train the neural LTV predictor on real and/or synthetic customers",
     "Usage: clvsim train-ltv SCENARIO [-o DIR] [options]\n"
     "\n"
     "Train the neural LTV predictor (section ltv of the scenario) and measure it\n"
     "against the BTYD model on customers it has not seen:\n"
     "  real customers (ltv.real_fraction above 0): the cohort of data.transactions\n"
     "     at data.calibration_end (the cut-off), 25 features of each history as of\n"
     "     the cut-off, labelled with economics.margin_rate x its spend over the next\n"
     "     ltv.horizon_days; a fifth of them is the real holdout, where the baseline is\n"
     "     population.model with Gamma-Gamma fitted to the calibration period;\n"
     "  synthetic customers (ltv.real_fraction below 1): a world of the scenario\n"
     "     (replication 3000000) with ltv.synthetic_customers x run.scale customers\n"
     "     observed at calendar.start and labelled with the net margin of the next\n"
     "     ltv.horizon_days with no campaign; a second world (3000001) is the\n"
     "     synthetic holdout, where the baseline is the population's own model;\n"
     "  real and synthetic training rows are mixed with the share ltv.real_fraction;\n"
     "  labels are discounted with ltv.discount; a keyed share ltv.validation_fraction\n"
     "  is held for early stopping; features are standardised with the other rows'\n"
     "  statistics; the network (ltv.hidden, ltv.activation, ltv.loss: mse or ziln) is\n"
     "  trained with Adam (ltv.learning_rate, ltv.lr_schedule, ltv.weight_decay,\n"
     "  ltv.batch_size, ltv.epochs, ltv.patience).\n"
     "On each holdout: RMSE, MAE, normalised Gini, top-decile lift, Spearman, the AUC\n"
     "of buying at all and the decile calibration, for the network and for BTYD; and\n"
     "logistic regressions for 'will buy' and 'high value' (the training labels' top\n"
     "decile) with the confusion matrix, accuracy, precision, recall, F1 and AUC.\n"
     "Files in DIR: ltv.mlp (the network with its standardisation; versioned,\n"
     "checksummed), ltv_history.csv, ltv_metrics.csv, ltv_classification.csv,\n"
     "ltv_gain.csv, ltv_calibration.csv, and the figures ltv_calibration, ltv_gain\n"
     "and ltv_loss (.png, .svg).  ltv.dropout above 0 drops hidden units while\n"
     "training.  A feature with no spread in the training rows (a sd of 0, or at\n"
     "most a millionth of its mean) is standardised to x - mean.  A training that\n"
     "diverges, or a holdout value that is not finite, is an error (exit status 1);\n"
     "a warning says when the network predicts more than 10 x the largest training\n"
     "label for holdout customers (the ZILN mean's tail), and when a BTYD fit is\n"
     "doubtful.\n",
     cmd_train_ltv, NULL},
    {"predict-ltv", "predict per-customer LTV from a transaction log with a trained network",
     "Usage: clvsim predict-ltv MODEL TRANSACTIONS --cutoff DATE [--unit week|day] [-o DIR] [options]\n"
     "\n"
     "Read TRANSACTIONS up to --cutoff (the reader's options as for clvsim fit:\n"
     "--delimiter, --header, --customer-column, --date-column, --amount-column,\n"
     "--quantity-column, --amount-kind, --date-format, --skip-malformed), compute\n"
     "the features of each customer's history as clvsim train-ltv does (with the\n"
     "BTYD model of the network's training, population model and Gamma-Gamma,\n"
     "fitted to the log up to the cut-off in --unit, default week), and predict\n"
     "with MODEL (an ltv.mlp of clvsim train-ltv; its horizon, discounting and margin\n"
     "rate come from the file).  Writes DIR/predictions.csv (default\n"
     "out/predict-<log name>): id, predicted_value, p_buy (ZILN networks) and\n"
     "btyd_value (the BTYD prediction of the same value), one row per customer whose\n"
     "first purchase is on or before the cut-off.  MODEL is checked before the log\n"
     "is read (sizes, the loss against the outputs, train-ltv's shape, a finite\n"
     "standardisation with sds above 0, finite parameters, every saved setting in\n"
     "its key's range; exit status 2).  A value that is not finite is an error\n"
     "naming the customer (exit status 1, nothing written); a warning says how many\n"
     "customers have a feature outside the range of the network's training rows,\n"
     "and how many are predicted more than 10 x the largest training label.\n",
     cmd_predict_ltv, predict_options},
    {"train-agent", "train Q-learning, SARSA or Expected SARSA agents on the scenario's environment",
     "Usage: clvsim train-agent SCENARIO [--algo q|sarsa|expected-sarsa] [--resume QTAB] [-o DIR] [options]\n"
     "\n"
     "Train the tabular agents (all of agent.algorithms, or --algo) over agent.episodes\n"
     "simulated episodes of the calendar with agent.customers x run.scale customers,\n"
     "and write to DIR (default out/<scenario name>):\n"
     "  agent_<algorithm>.qtab   the Q table and visit counts (versioned, checksummed)\n"
     "  policy_<algorithm>.csv   per visited state: its description, the greedy action,\n"
     "                           the deployed action (agent.confidence), visits, and the\n"
     "                           Q and its standard error of every (coupon@price) action\n"
     "  learning.csv, learning.{png,svg}   net margin per customer per episode and its\n"
     "                           10-episode moving average, per algorithm\n"
     "  oracle.csv               the model-based oracle: the discretised MDP estimated from\n"
     "                           as many episodes of random actions and solved by value\n"
     "                           iteration; each learned policy's value on it, and its share\n"
     "With agent.checkpoint_every = N above 0, the table so far is also written\n"
     "(atomically) every N episodes to agent_<algorithm>.checkpoint.qtab, which the\n"
     "end of the training removes.  --resume QTAB (with a single algorithm: --algo, or\n"
     "one in agent.algorithms) goes on from such a table, or a finished one, for\n"
     "agent.episodes more episodes; the episode numbers, simulated worlds and epsilon\n"
     "schedule continue, so training 10 episodes and resuming for 10 gives the table\n"
     "20 at once would (at most 1000000 episodes in all: the training worlds).\n"
     "The LTV estimates (state bins, shaping, terminal value) come from the population's\n"
     "BTYD model until the neural predictor is built.\n",
     cmd_train_agent, train_options},
    {"compare", "compare the listed policies with agents trained earlier, without training",
     "Usage: clvsim compare SCENARIO [--tables DIR] [-o DIR] [options]\n"
     "\n"
     "What clvsim run does, with the learned agents' tables read from DIR (default:\n"
     "the scenario's output directory, where 'clvsim train-agent' writes them) in\n"
     "place of training: DIR/agent_<algorithm>.qtab for each of q-learning, sarsa and\n"
     "expected-sarsa in evaluation.policies.  A table trained on other states or\n"
     "actions (bins, LTV cuts, coupons, prices) is refused, naming the file.  The\n"
     "greedy and oracle policies are estimated again.  Train once with many\n"
     "episodes (--set agent.episodes=...; a change of agent.customers or --scale\n"
     "changes the LTV cuts), then compare as often as needed: other replications,\n"
     "budgets or costs.  Writes what run writes but learning.csv and its figure.\n"
     "\n"
     "  --tables DIR   where the agent_*.qtab files are\n"
     "  --seed, --threads, --scale, --set, -o, --force, --quiet   as for every command\n",
     cmd_compare, compare_options},
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
    fprintf(fp,
            "\n"
            "Options of every command:\n"
            "  -o, --output DIR     output directory (default: out/<scenario name>)\n"
            "      --seed N         master seed, 0 to 2^63 - 1 (overrides scenario.seed)\n"
            "      --threads N      worker threads, 0 = all processors (results do not depend on it)\n"
            "      --scale X        multiply the study's sizes (overrides run.scale)\n"
            "      --set KEY=VALUE  override any scenario key, e.g. --set calendar.horizon_days=90\n"
            "      --force          write into an existing directory that clvsim did not create\n"
            "  -q, --quiet          no progress bar and no notes on stderr\n"
            "  -h, --help           help of the command\n"
            "  -V, --version        print the version\n"
            "\n"
            "Diagnostics go to stderr, results to stdout and files.  A progress bar is drawn\n"
            "on stderr when it is a terminal.  Ctrl-C (SIGINT), SIGTERM or SIGHUP stops any\n"
            "command within a second, cleanly: no partial or temporary files; a second one\n"
            "stops it at once, still removing its temporary files.\n"
            "A run's files appear in its output directory together when it succeeds (the\n"
            "resolved scenario last); after a failure or a stop the directory holds the\n"
            "previous run's files as they were.  One run at a time per directory: a second\n"
            "fails with 'DIR: is in use by another clvsim run (pid N)'.\n"
            "\n"
            "Exit status: 0 success; 1 run-time failure; 2 usage or input error (bad\n"
            "option, bad scenario or data file); 3 a capability asked for is not available\n"
            "in this version; 128 + the signal's number when stopped by a signal, as shells\n"
            "report it: 130 Ctrl-C (SIGINT), 143 SIGTERM, 129 SIGHUP.\n"
            "\n"
            "Scenario keys: scenarios/README.md, or 'clvsim check --reference'.\n");
}

static struct sigaction default_action; /* SIG_DFL, set up before the handler is installed */
static pthread_t main_thread;
static volatile sig_atomic_t forwarding; /* a first signal is being passed on to the main thread */

/* SIGINT, SIGTERM and SIGHUP.  The first asks long work to stop at its next
 * cancellation point (the progress callbacks), and the command then cleans
 * up and exits with 128 + the signal.  A second one is a forced stop: the
 * temporary files still open are removed, and the process ends by the
 * signal's default action, as the user asked.  Only async-signal-safe
 * calls here. */
static void on_signal(int sig)
{
    const int saved_errno = errno, on_main = pthread_equal(pthread_self(), main_thread);
    if (forwarding && on_main) {
        forwarding = 0; /* the copy passed on below: it only interrupts a blocking call */
        return;
    }
    if (!cli_interrupted) {
        cli_interrupted = sig;
        /* the kernel gives a signal sent to the process to any thread that
         * does not block it (OpenBLAS starts its own before main): pass it
         * on, so that a read of the main thread blocked on a pipe returns
         * EINTR */
        if (!on_main) {
            forwarding = 1;
            pthread_kill(main_thread, sig);
        }
        errno = saved_errno;
        return;
    }
    clv_afile_unlink_all();
    sigaction(sig, &default_action, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
}

/* A command that failed after a stop signal failed because of it (a
 * cancelled call, or a read or a child interrupted): 128 + the signal. */
static int stopped(int rc)
{
    return rc != EXIT_OK && cli_interrupted ? 128 + cli_interrupted : rc;
}

/* results that did not reach stdout (a full disk, no memory for its
 * buffer) are a failure, never a success */
static int finish(int rc)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "clvsim: cannot write the results to standard output: %s\n", cli_write_failure(errno));
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

    /* the first Ctrl-C, SIGTERM or SIGHUP asks long work to stop cleanly; a
     * second one stops at once.  No SA_RESTART: a read blocked on a pipe
     * returns EINTR, so that a command reading a log from a pipe stops too. */
    main_thread = pthread_self();
    default_action.sa_handler = SIG_DFL;
    sigemptyset(&default_action.sa_mask);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof stop_signals / sizeof *stop_signals; i++)
        sigaddset(&sa.sa_mask, stop_signals[i]); /* one handler at a time */
    for (size_t i = 0; i < sizeof stop_signals / sizeof *stop_signals; i++) {
        /* a shell starts background jobs with SIGINT ignored, and nohup
         * ignores SIGHUP: what is ignored stays ignored */
        struct sigaction old;
        if (sigaction(stop_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        sigaction(stop_signals[i], &sa, NULL);
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
        fprintf(stderr, "clvsim: unknown command '%s'; expected a command (run, check, fit, simulate, "
                        "validate, train-ltv, predict-ltv, train-agent, compare) or a SCENARIO.cfg; "
                        "try 'clvsim --help'\n", first);
    return EXIT_USAGE;
}
