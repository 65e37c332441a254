/* options.c - the options every subcommand shares, error printing and exit statuses. */
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "cli.h"


int cli_exit_status(int st)
{
    switch (st) {
    case CLV_OK: return EXIT_OK;
    case CLV_EINPUT: return EXIT_USAGE;
    case CLV_EUNSUPPORTED: return EXIT_UNAVAILABLE;
    case CLV_ECANCELLED: return clv_stop_signal() ? 128 + clv_stop_signal() : EXIT_INTERRUPTED;
    default: return EXIT_RUNTIME;
    }
}

void cli_command_line(char *buf, size_t n, int argc, char **argv)
{
    static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%";
    size_t o = (size_t)snprintf(buf, n, "clvsim");
    if (o >= n)
        return;
    for (int i = 0; i < argc && o + 1 < n; i++) {
        const char *a = argv[i];
        buf[o++] = ' ';
        const int plain = a[0] && strspn(a, safe) == strlen(a);
        if (!plain && o + 1 < n)
            buf[o++] = '\'';
        for (; *a && o + 5 < n; a++) {
            if (*a == '\'' && !plain) {
                memcpy(buf + o, "'\\''", 4);
                o += 4;
            } else {
                buf[o++] = *a;
            }
        }
        if (!plain && o + 1 < n)
            buf[o++] = '\'';
    }
    buf[o < n ? o : n - 1] = '\0';
}

void cli_output_dir(char *buf, size_t n, const cli_opts *o, const char *prefix, const char *input)
{
    if (o->output) {
        snprintf(buf, n, "%s", o->output);
        return;
    }
    const char *base = strrchr(input, '/');
    base = base ? base + 1 : input;
    size_t len = strcspn(base, ".");
    snprintf(buf, n, "out/%s-%.*s", prefix, (int)(len ? len : strlen(base)), base);
}

int cli_report(const clv_error *err)
{
    char buf[CLV_ERROR_FILE_MAX + CLV_ERROR_FIELD_MAX + CLV_ERROR_MSG_MAX + 16];
    const int sig = clv_stop_signal();
    if (sig)
        /* whatever failed after a stop signal, the signal is why */
        fprintf(stderr, "clvsim: %s (%s)\n", clv_error_format(err, buf, sizeof buf),
                sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" : "signal");
    else
        fprintf(stderr, "clvsim: %s\n", clv_error_format(err, buf, sizeof buf));
    return cli_exit_status(err->code);
}

void cli_errorf(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "clvsim %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

enum { OPT_SEED = 256, OPT_THREADS, OPT_SCALE, OPT_SET, OPT_FORCE, OPT_DUMP, OPT_REFERENCE };

int cli_parse(const cli_cmd *cmd, int argc, char **argv, cli_opts *o)
{
    static const struct option common[] = {
        {"output", required_argument, NULL, 'o'}, {"seed", required_argument, NULL, OPT_SEED},
        {"threads", required_argument, NULL, OPT_THREADS}, {"scale", required_argument, NULL, OPT_SCALE},
        {"set", required_argument, NULL, OPT_SET}, {"force", no_argument, NULL, OPT_FORCE},
        {"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'},
        {"dump", no_argument, NULL, OPT_DUMP}, {"reference", no_argument, NULL, OPT_REFERENCE}};
    enum { N_COMMON = sizeof common / sizeof common[0], OPT_EXTRA = 1000 };
    struct option longopts[N_COMMON + CLI_MAX_EXTRA + 1];
    char names[CLI_MAX_EXTRA][40];
    memcpy(longopts, common, sizeof common);
    int n_own = 0;
    for (; cmd->options && cmd->options[n_own] && n_own < CLI_MAX_EXTRA; n_own++) {
        const char *nm = cmd->options[n_own];
        size_t l = strlen(nm);
        int flag = l > 0 && nm[l - 1] == '!';
        snprintf(names[n_own], sizeof names[n_own], "%.*s", (int)(flag ? l - 1 : l), nm);
        longopts[N_COMMON + n_own] = (struct option){names[n_own], flag ? no_argument : required_argument, NULL,
                                                     OPT_EXTRA + n_own};
    }
    longopts[N_COMMON + n_own] = (struct option){NULL, 0, NULL, 0};
    memset(o, 0, sizeof *o);
    optind = 1;
    opterr = 0;
    int c;
    /* GNU permutation lets options follow the positional arguments, as the
     * README writes them */
    while ((c = getopt_long(argc, argv, ":o:qh", longopts, NULL)) != -1) {
        if (c >= OPT_EXTRA && c < OPT_EXTRA + n_own) {
            if (o->n_extra >= CLI_MAX_EXTRA)
                continue;
            /* the command's table outlives this call (names[] does not) */
            o->extra_name[o->n_extra] = cmd->options[c - OPT_EXTRA];
            o->extra_value[o->n_extra] = optarg ? optarg : "1";
            o->n_extra++;
            continue;
        }
        switch (c) {
        case 'o': o->output = optarg; break;
        case OPT_SEED: o->seed = optarg; break;
        case OPT_THREADS: o->threads = optarg; break;
        case OPT_SCALE: o->scale = optarg; break;
        case OPT_FORCE: o->force = 1; break;
        case 'q': o->quiet = 1; break;
        case 'h': fputs(cmd->help, stdout); return EXIT_OK;
        case OPT_DUMP: o->dump = 1; break;
        case OPT_REFERENCE: o->reference = 1; break;
        case OPT_SET: {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg) {
                cli_errorf(cmd->name, "--set expects KEY=VALUE, got '%s'", optarg);
                return EXIT_USAGE;
            }
            if (o->n_sets >= CLI_MAX_SETS) {
                cli_errorf(cmd->name, "at most %d --set options", CLI_MAX_SETS);
                return EXIT_USAGE;
            }
            *eq = '\0';
            o->sets[o->n_sets++] = (clv_scn_override){optarg, eq + 1, "--set"};
            break;
        }
        case ':':
            cli_errorf(cmd->name, "option '%s' needs a value; try 'clvsim %s --help'", argv[optind - 1],
                       cmd->name);
            return EXIT_USAGE;
        default:
            cli_errorf(cmd->name, "unknown option '%s'; try 'clvsim %s --help'", argv[optind - 1], cmd->name);
            return EXIT_USAGE;
        }
    }
    /* --dump and --reference belong to check only */
    if ((o->dump || o->reference) && strcmp(cmd->name, "check") != 0) {
        cli_errorf(cmd->name, "option '--%s' is only accepted by 'clvsim check'", o->dump ? "dump" : "reference");
        return EXIT_USAGE;
    }
    o->args = argv + optind;
    o->n_args = argc - optind;
    return -1;
}

const char *cli_opt(const cli_opts *o, const char *name)
{
    const char *v = NULL;
    size_t l = strlen(name);
    for (int i = 0; i < o->n_extra; i++)
        if (strncmp(o->extra_name[i], name, l) == 0 && (o->extra_name[i][l] == '\0' || o->extra_name[i][l] == '!'))
            v = o->extra_value[i]; /* the last one given wins */
    return v;
}

void cli_overrides(cli_opts *o)
{
    if (o->seed)
        o->sets[o->n_sets++] = (clv_scn_override){"scenario.seed", o->seed, "--seed"};
    if (o->threads)
        o->sets[o->n_sets++] = (clv_scn_override){"run.threads", o->threads, "--threads"};
    if (o->scale)
        o->sets[o->n_sets++] = (clv_scn_override){"run.scale", o->scale, "--scale"};
    if (o->output)
        o->sets[o->n_sets++] = (clv_scn_override){"output.dir", o->output, "--output"};
}

void cli_warn_log_dates(const char *cmd, const char *log, const clv_txlog_stats *s)
{
    char buf[CLV_IO_PATH_MAX + 512];
    for (int after = 0; after < 2; after++) {
        if (clv_txlog_far_dates_text(buf, sizeof buf, log, s, after))
            fprintf(stderr, "clvsim %s: warning: %s\n", cmd, buf);
        if (clv_txlog_period_text(buf, sizeof buf, log, s, after))
            fprintf(stderr, "clvsim %s: warning: %s\n", cmd, buf);
    }
}

/* the text s of option --name as an integer in [lo, hi] */
static int int_text(const char *cmd, const char *name, const char *s, int lo, int hi, int *v)
{
    if (!s)
        return 0;
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (errno || *end || end == s || x < lo || x > hi) {
        cli_errorf(cmd, "--%s: expected an integer in [%d, %d], got '%s'", name, lo, hi, s);
        return -1;
    }
    *v = (int)x;
    return 0;
}

int cli_opt_int(const char *cmd, const cli_opts *o, const char *name, int lo, int hi, int *v)
{
    return int_text(cmd, name, cli_opt(o, name), lo, hi, v);
}

int cli_opt_threads(const char *cmd, const cli_opts *o, int *v)
{
    return int_text(cmd, "threads", o->threads, 0, CLV_THREADS_MAX, v);
}

int cli_opt_real(const char *cmd, const cli_opts *o, const char *name, double lo, double hi, double *v)
{
    const char *s = cli_opt(o, name);
    if (!s)
        return 0;
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (errno || *end || end == s || !(x >= lo && x <= hi)) {
        cli_errorf(cmd, "--%s: expected a number in [%g, %g], got '%s'", name, lo, hi, s);
        return -1;
    }
    *v = x;
    return 0;
}

/* one of names[], by position */
int cli_opt_enum(const char *cmd, const cli_opts *o, const char *name, const char *const *names, int *v)
{
    const char *s = cli_opt(o, name);
    if (!s)
        return 0;
    char acc[200] = "";
    for (int i = 0; names[i]; i++) {
        if (strcmp(s, names[i]) == 0) {
            *v = i;
            return 0;
        }
        strncat(acc, i ? ", " : "", sizeof acc - strlen(acc) - 1);
        strncat(acc, names[i], sizeof acc - strlen(acc) - 1);
    }
    cli_errorf(cmd, "--%s: expected one of %s, got '%s'", name, acc, s);
    return -1;
}

int cli_opt_date(const char *cmd, const cli_opts *o, const char *name, int32_t *v)
{
    const char *s = cli_opt(o, name);
    if (!s)
        return 0;
    if (strlen(s) != 10 || clv_date_parse(s, -1, v) != 0) {
        cli_errorf(cmd, "--%s: expected a date YYYY-MM-DD, got '%s'", name, s);
        return -1;
    }
    return 0;
}

/* a reader column: a number (from lo to 64), or else a header name */
static int column_opt(const char *cmd, const cli_opts *o, const char *name, int lo, int *v, const char **col_name)
{
    const char *s = cli_opt(o, name);
    if (!s)
        return 0;
    if (*s == '\0' || strspn(s, "0123456789") == strlen(s)) {
        *col_name = NULL;
        return cli_opt_int(cmd, o, name, lo, 64, v);
    }
    *col_name = s;
    return 0;
}

/* --date-format: one of the names, or a strftime-style pattern (with a %) */
static int date_format_opt(const char *cmd, const cli_opts *o, const char *const *names, clv_txlog_opts *ro)
{
    const char *s = cli_opt(o, "date-format");
    if (!s)
        return 0;
    if (!strchr(s, '%')) {
        ro->date_pattern = NULL;
        return cli_opt_enum(cmd, o, "date-format", names, &ro->date_format);
    }
    char why[160];
    if (clv_date_pattern_check(s, why, sizeof why) != 0) {
        cli_errorf(cmd, "--date-format: %s, got '%s' (or one of auto, YYYYMMDD, YYYY-MM-DD, datetime)", why, s);
        return -1;
    }
    ro->date_pattern = s;
    return 0;
}

/* a skip flag: --NAME sets it, --no-NAME (where the command has it) clears it */
static int skip_opt(const char *cmd, const cli_opts *o, const char *name, int *v)
{
    char no[64];
    snprintf(no, sizeof no, "no-%s", name);
    if (cli_opt(o, name) && cli_opt(o, no)) {
        cli_errorf(cmd, "--%s and --%s: expected one of them", name, no);
        return -1;
    }
    if (cli_opt(o, name))
        *v = 1;
    else if (cli_opt(o, no))
        *v = 0;
    return 0;
}

int cli_reader_options(const char *cmd, const cli_opts *o, const clv_txlog_opts *base, clv_txlog_opts *ro)
{
    static const char *const delims[] = {"auto", "whitespace", "comma", NULL};
    static const char *const headers[] = {"auto", "yes", "no", NULL};
    static const char *const datefmts[] = {"auto", "YYYYMMDD", "YYYY-MM-DD", "datetime", NULL};
    static const char *const amounts[] = {"total", "unit-price", NULL};
    if (base)
        *ro = *base;
    else
        clv_txlog_opts_default(ro);
    if (cli_opt_enum(cmd, o, "delimiter", delims, &ro->delimiter) ||
        cli_opt_enum(cmd, o, "header", headers, &ro->header) ||
        date_format_opt(cmd, o, datefmts, ro) ||
        cli_opt_enum(cmd, o, "amount-kind", amounts, &ro->amount_kind) ||
        column_opt(cmd, o, "customer-column", 1, &ro->customer_column, &ro->column_name[0]) ||
        column_opt(cmd, o, "date-column", 1, &ro->date_column, &ro->column_name[1]) ||
        column_opt(cmd, o, "amount-column", 1, &ro->amount_column, &ro->column_name[2]) ||
        column_opt(cmd, o, "quantity-column", 0, &ro->quantity_column, &ro->column_name[3]) ||
        skip_opt(cmd, o, "skip-malformed", &ro->skip_malformed) ||
        skip_opt(cmd, o, "skip-missing-customer", &ro->skip_missing_customer))
        return -1;
    if (ro->amount_kind == CLV_AMOUNT_UNIT_PRICE && ro->quantity_column == 0 && !ro->column_name[3]) {
        cli_errorf(cmd, "--amount-kind unit-price needs --quantity-column");
        return -1;
    }
    return 0;
}
