/* cli.h - shared pieces of the clvsim command (src/cli); uses only the public API. */
#ifndef CLVSIM_CLI_H
#define CLVSIM_CLI_H

#include <stdio.h>

#include "clvsim/clvsim.h"

/* exit statuses (documented in clvsim --help, the README and the man page) */
enum {
    EXIT_OK = 0,
    EXIT_RUNTIME = 1,
    EXIT_USAGE = 2,
    EXIT_UNAVAILABLE = 3,
    EXIT_INTERRUPTED = 130    /* 128 + SIGINT; a stop by SIGTERM or SIGHUP exits with 128 + its number */
};

enum { CLI_MAX_SETS = 64, CLI_MAX_EXTRA = 32 };

/* options shared by the subcommands */
typedef struct cli_opts {
    const char *output;       /* -o/--output DIR */
    const char *seed;         /* --seed N (text, validated as scenario.seed) */
    const char *threads;      /* --threads N */
    const char *scale;        /* --scale X */
    int quiet;                /* --quiet: no progress, no notes */
    int force;                /* --force: write into a non-clvsim directory */
    int dump, reference;      /* check --dump, check --reference */
    clv_scn_override sets[CLI_MAX_SETS + 4];
    size_t n_sets;
    char **args;              /* positional arguments */
    int n_args;
    char scenario[CLV_PATH_MAX]; /* the file of a scenario given by name, args[0] once loaded (cli_load_scenario) */
    /* a command's own options (cli_cmd.options), by name; flags get "1" */
    const char *extra_name[CLI_MAX_EXTRA];
    const char *extra_value[CLI_MAX_EXTRA];
    int n_extra;
} cli_opts;

/* a subcommand */
typedef struct cli_cmd {
    const char *name;
    const char *summary;      /* one line for clvsim --help */
    const char *help;         /* full text for clvsim NAME --help */
    int (*fn)(const struct cli_cmd *cmd, int argc, char **argv);
    /* the command's own long options: "name" takes a value, "name!" is a flag */
    const char *const *options;
} cli_cmd;

/* A stop signal (clv_stop_on_signals, installed by main) makes the progress
 * callback ask the library to stop, and the commands' own loops stop at
 * cli_stop; the exit status is then 128 + clv_stop_signal(). */

/* "clvsim" and argv[0..argc) into buf (n bytes), each word shell-quoted
 * where it needs it ('...' with ' as '\''), so that the line can be pasted
 * back into a shell; cut at n - 1 bytes. */
void cli_command_line(char *buf, size_t n, int argc, char **argv);

/* The output directory: -o's, else out/PREFIX-NAME with NAME the input
 * file's name up to its first dot (out/fit-CDNOW_sample). */
void cli_output_dir(char *buf, size_t n, const cli_opts *o, const char *prefix, const char *input);

/* The exit status for a library status code. */
int cli_exit_status(int clv_status);

/* Print err as "clvsim: FILE:LINE: field: message" to stderr; returns the exit status. */
int cli_report(const clv_error *err);

/* Print "clvsim CMD: message" to stderr. */
void cli_errorf(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Parse the common options (and --help) of a subcommand.  Returns -1 when
 * parsing succeeded and the command should go on, else the exit status
 * (0 after --help, 2 after a usage error, which it has reported). */
int cli_parse(const cli_cmd *cmd, int argc, char **argv, cli_opts *o);

/* The value of a command's own option, or NULL when it was not given. */
const char *cli_opt(const cli_opts *o, const char *name);

/* A command's own option `name` parsed into *v when it was given: an
 * integer in [lo, hi], a number in [lo, hi], one of names[] (by position),
 * or a date YYYY-MM-DD.  0 when absent or valid, else -1 after reporting
 * "clvsim CMD: --name: expected ..., got '...'". */
int cli_opt_int(const char *cmd, const cli_opts *o, const char *name, int lo, int hi, int *v);
int cli_opt_real(const char *cmd, const cli_opts *o, const char *name, double lo, double hi, double *v);
int cli_opt_enum(const char *cmd, const cli_opts *o, const char *name, const char *const *names, int *v);
int cli_opt_date(const char *cmd, const cli_opts *o, const char *name, int32_t *v);
/* --threads (a common option) for a command without a scenario: [0, CLV_THREADS_MAX] */
int cli_opt_threads(const char *cmd, const cli_opts *o, int *v);
/* The transaction-log reader's options (--delimiter, --header,
 * --date-format, --amount-kind, --customer-column, --date-column,
 * --amount-column, --quantity-column, --skip-malformed,
 * --skip-missing-customer, and --no-skip-malformed and
 * --no-skip-missing-customer where the command has them) into *ro, each
 * over base's value (NULL: the defaults).  0, or -1 after reporting. */
int cli_reader_options(const char *cmd, const cli_opts *o, const clv_txlog_opts *base, clv_txlog_opts *ro);

/* Load the scenario named by the one positional argument, with the common
 * options as overrides.  -1 when loaded, else the exit status (reported). */
int cli_load_scenario(const cli_cmd *cmd, cli_opts *o, clv_scenario *scn);

/* cli_parse then cli_load_scenario: -1 when both succeeded, else the exit status. */
/* the scenario's interventions out of scale with its population's spend
 * (clv_scn_scale_warnings), one warning per line on stderr */
void cli_warn_scale(const char *cmd, const char *file, const clv_scenario *scn);
int cli_parse_scenario(const cli_cmd *cmd, int argc, char **argv, cli_opts *o, clv_scenario *scn);

/* ---- the run's output directory ----
 *
 * Every command that writes files claims its directory with
 * clv_outdir_open (a lock held for the run; a second run into it fails),
 * stages every file there and ends with clv_report_end (clvsim/report.h),
 * which moves them all into place when the run succeeded, the resolved
 * scenario last, or drops them: the directory then holds the previous
 * run's files as they were. */

/* The reader's warnings about dates far outside the bulk of a log
 * (clv_txlog_far_dates_text) and about periods that end after its last
 * purchase (clv_txlog_period_text) on stderr as "clvsim CMD: warning: ..." (not
 * silenced by --quiet, like every warning about results). */
void cli_warn_log_dates(const char *cmd, const char *log, const clv_txlog_stats *s);

/* Turn the common options into scenario overrides (appended to o->sets). */
void cli_overrides(cli_opts *o);

/* ---- progress bar ---- */

/* monotonic seconds */
double cli_now(void);

typedef struct cli_progress {
    FILE *out;                /* stderr */
    int enabled;              /* a terminal and not --quiet */
    double start, last;       /* monotonic seconds */
    char phase[64];
    int drawn;                /* a bar is on screen */
} cli_progress;

void cli_progress_init(cli_progress *p, int quiet);
/* clv_progress_fn: draws the bar, returns 1 after a stop signal */
int cli_progress_cb(void *ctx, const char *phase, double done, double total);
/* CLV_ECANCELLED (err filled: "stopped") after a stop signal, else
 * CLV_OK: the cancellation point of the command's own long loops. */
int cli_stop(clv_error *err);
/* The clv_progress of a bar: cli_progress_cb and clv_stop_cancelled. */
clv_progress cli_progress_of(cli_progress *p);
void cli_progress_done(cli_progress *p);
/* The bar as text for a terminal of `width` columns (exposed for the tests). */
void cli_progress_render(char *buf, size_t n, int width, const char *phase, double done, double total,
                         double elapsed);

/* ---- subcommands ---- */
int cmd_run(const cli_cmd *cmd, int argc, char **argv);
int cmd_check(const cli_cmd *cmd, int argc, char **argv);
int cmd_fit(const cli_cmd *cmd, int argc, char **argv);
int cmd_fit_response(const cli_cmd *cmd, int argc, char **argv);
int cmd_simulate(const cli_cmd *cmd, int argc, char **argv);
int cmd_validate(const cli_cmd *cmd, int argc, char **argv);
int cmd_train_agent(const cli_cmd *cmd, int argc, char **argv);
int cmd_compare(const cli_cmd *cmd, int argc, char **argv);
int cmd_train_ltv(const cli_cmd *cmd, int argc, char **argv);
int cmd_predict_ltv(const cli_cmd *cmd, int argc, char **argv);

#endif
