/* plot.c - running gnuplot scripts as a child process, with atomic output files. */
#include "clvsim/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clvsim/io.h"
#include "clvsim/parallel.h"
#include "io_internal.h"
#include "sharedir.h"

extern char **environ;

/* the full path of gnuplot on the PATH into buf; 0 when found */
static int find_gnuplot(char *buf, size_t n)
{
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    while (*path) {
        const char *end = strchr(path, ':');
        size_t len = end ? (size_t)(end - path) : strlen(path);
        if (len > 0 && (size_t)snprintf(buf, n, "%.*s/gnuplot", (int)len, path) < n && access(buf, X_OK) == 0)
            return 0;
        path += len + (end ? 1 : 0);
    }
    return -1;
}

int clv_plot_available(void)
{
    char p[CLV_IO_PATH_MAX];
    return find_gnuplot(p, sizeof p) == 0;
}

int clv_plot_dir(char *buf, size_t n, const char *probe, clv_error *err)
{
    clv__share_dirs d;
    clv__share_dirs_find(&d, "CLVSIM_PLOTS_DIR", "plots");
    char f[CLV_IO_PATH_MAX * 2];
    const int i = clv__share_dirs_first(&d, probe, f, sizeof f);
    if (i >= 0 && (size_t)snprintf(buf, n, "%s", d.dir[i]) < n)
        return CLV_OK;
    char dirs[CLV_ERROR_MSG_MAX];
    clv__share_dirs_text(&d, dirs, sizeof dirs);
    return clv_error_set(err, CLV_EIO, NULL, 0, "plots", "cannot find the plot script %s (looked in %s; "
                         "$CLVSIM_PLOTS_DIR names other directories)", probe, dirs);
}

/* the -e expression that gives one figure its variables: "fmt='png'; outfile='TMP'; dir='DIR';
 * name='value'; ..." with ' doubled inside values (dir: the script's directory, so that it can load
 * common.gp).  NULL when out of memory. */
static char *figure_expr(const char *fmt, const char *tmp, const char *script, const char *const *vars,
                         size_t n_vars)
{
    size_t cap = 256 + strlen(tmp) * 2 + strlen(script) * 2;
    for (size_t i = 0; i < n_vars; i++)
        cap += 2 * strlen(vars[i]) + 8;
    char *expr = malloc(cap);
    if (!expr)
        return NULL;
    size_t len = (size_t)snprintf(expr, cap, "fmt='%s'; outfile='", fmt);
    for (const char *p = tmp; *p; p++) {
        if (*p == '\'')
            expr[len++] = '\'';
        expr[len++] = *p;
    }
    expr[len++] = '\'';
    const char *sl = strrchr(script, '/');
    len += (size_t)snprintf(expr + len, cap - len, "; dir='");
    for (const char *p = script; sl && p < sl; p++) {
        if (*p == '\'')
            expr[len++] = '\'';
        expr[len++] = *p;
    }
    if (!sl)
        expr[len++] = '.';
    expr[len++] = '\'';
    for (size_t i = 0; i < n_vars; i++) {
        const char *eq = strchr(vars[i], '=');
        if (!eq)
            continue;
        len += (size_t)snprintf(expr + len, cap - len, "; %.*s='", (int)(eq - vars[i]), vars[i]);
        for (const char *p = eq + 1; *p; p++) {
            if (*p == '\'')
                expr[len++] = '\'';
            expr[len++] = *p;
        }
        expr[len++] = '\'';
    }
    expr[len] = '\0';
    return expr;
}

/* the figure's format from its output's extension */
static const char *figure_fmt(const char *output)
{
    const char *ext = strrchr(output, '.');
    return ext && strcmp(ext, ".svg") == 0 ? "svg" : "png";
}

/* an error file for a gnuplot's messages (its fd 2), tracked for removal; -1 with err set */
static int error_file(char *path, size_t n, const char *output, clv_error *err)
{
    snprintf(path, n, "/tmp/clvsim-gnuplot-XXXXXX");
    int efd = mkstemp(path);
    if (efd >= 0)
        clv__tmp_track(path);
    if (efd > 2) /* not inherited by the gnuplots started after this one (dup2 clears it for this one's fd 2) */
        fcntl(efd, F_SETFD, FD_CLOEXEC);
    if (efd < 0)
        clv_error_set(err, CLV_EIO, output, 0, NULL, "cannot create a temporary file: %s", strerror(errno));
    return efd;
}

static void error_file_remove(int efd, const char *path)
{
    if (efd >= 0) {
        close(efd);
        unlink(path);
        clv__tmp_untrack(path);
    }
}

/* start gnuplot with argv (argv[0] its path), stdin and stdout /dev/null, stderr efd: posix_spawn's result */
static int spawn_gnuplot(char *const *argv, int efd, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, efd, 2);
    const int rc = posix_spawn(pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

/* wait for a started gnuplot: its wait status, -1 when it could not be waited for */
static int reap(pid_t pid)
{
    int status = -1;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return status;
}

/* one gnuplot run between its start and its end: the child, its temporary output and error file */
typedef struct plot_run {
    char gp[CLV_IO_PATH_MAX];
    const char *script;
    clv_afile af;
    char errpath[32];
    int efd, rc;
    pid_t pid;
} plot_run;

/* start gnuplot on script for output: CLV_OK with the child running (run_end waits for it), or an
 * error with nothing left behind */
static int run_start(plot_run *pr, const char *script, const char *output, const char *const *vars, size_t n_vars,
                     clv_error *err)
{
    char *gp = pr->gp;
    pr->script = script;
    if (find_gnuplot(gp, sizeof pr->gp) != 0)
        return clv_error_set(err, CLV_EUNSUPPORTED, output, 0, NULL,
                             "gnuplot is not installed (Debian package gnuplot-nox)");
    /* a temporary output beside the target, with an ordinary file mode,
     * that gnuplot overwrites and that is renamed over the target on success */
    clv_afile *afp = &pr->af;
    int st = clv_afile_open(afp, output, err);
    if (st != CLV_OK)
        return st;
    fclose(afp->fp);
    afp->fp = NULL;
    const int efd = error_file(pr->errpath, sizeof pr->errpath, output, err);
    if (efd < 0) {
        clv_afile_abort(afp);
        return CLV_EIO;
    }
    char *expr = figure_expr(figure_fmt(output), afp->tmp, script, vars, n_vars);
    if (!expr) {
        error_file_remove(efd, pr->errpath);
        clv_afile_abort(afp);
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    char *argv[] = {gp, "-e", expr, (char *)script, NULL};
    pr->rc = spawn_gnuplot(argv, efd, &pr->pid);
    free(expr);
    pr->efd = efd;
    return CLV_OK;
}

/* wait for the run's gnuplot (a failure to spawn included) and rename its output over the target,
 * or remove it and report gnuplot's complaint */
static int run_end(plot_run *pr, clv_error *err)
{
    const int rc = pr->rc, efd = pr->efd;
    const pid_t pid = pr->pid;
    const char *gp = pr->gp, *script = pr->script, *errpath = pr->errpath, *tmp = pr->af.tmp,
               *output = pr->af.path;
    clv_afile *afp = &pr->af;
    const int status = rc == 0 ? reap(pid) : -1;
    close(efd);
    struct stat sb;
    int ok = rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && stat(tmp, &sb) == 0 && sb.st_size > 0;
    if (ok && rename(tmp, output) != 0)
        ok = 0;
    if (!ok) {
        /* gnuplot's complaint: its first error ("SCRIPT" line N: message),
         * else its first line that is not a warning (missing values in a
         * heatmap are expected), else its first line */
        char line[400] = "", other[400] = "", buf[400];
        FILE *ef = fopen(errpath, "r");
        if (ef) {
            while (!line[0] && fgets(buf, sizeof buf, ef)) {
                if (strspn(buf, " \t\r\n^") == strlen(buf))
                    continue;
                const int warning = strstr(buf, "warning:") != NULL;
                if (buf[0] == '"' && strstr(buf, "\" line ") && !warning)
                    snprintf(line, sizeof line, "%s", buf);
                else if (!other[0] || (!warning && strstr(other, "warning:")))
                    snprintf(other, sizeof other, "%s", buf);
            }
            fclose(ef);
        }
        if (!line[0])
            snprintf(line, sizeof line, "%s", other);
        line[strcspn(line, "\r\n")] = '\0';
        clv_afile_abort(afp);
        unlink(errpath);
        clv__tmp_untrack(errpath);
        if (rc != 0)
            return clv_error_set(err, rc == ENOMEM || rc == EAGAIN ? CLV_ENOMEM : CLV_EIO, output, 0, NULL,
                                 "cannot start gnuplot (%s): %s", gp, rc == EAGAIN ? "out of memory" : clv_strerror(rc));
        /* gnuplot inherits the address-space limit (ulimit -v) and needs
         * more of it than clvsim (some 150 MB): its libraries fail to map,
         * its threads fail to start ("Resource temporarily unavailable"),
         * or it draws nothing */
        struct rlimit rl;
        if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
            return clv_error_set(err, CLV_ENOMEM, output, 0, NULL,
                                 "gnuplot failed on %s under the address-space limit of %llu MB (ulimit -v): out of "
                                 "memory, most likely; raise the limit%s%s%s", script,
                                 (unsigned long long)(rl.rlim_cur >> 20), line[0] ? " (gnuplot: " : "", line,
                                 line[0] ? ")" : "");
        return clv_error_set(err, CLV_EIO, output, 0, NULL, "gnuplot failed on %s%s%s", script,
                             line[0] ? ": " : "", line);
    }
    unlink(errpath);
    clv__tmp_untrack(errpath);
    clv__tmp_untrack(tmp); /* renamed over the target */
    return CLV_OK;
}

int clv_plot(const char *script, const char *output, const char *const *vars, size_t n_vars, clv_error *err)
{
    return clv_plot_all(&(clv_plot_spec){script, output, vars, n_vars}, 1, err);
}

/* every figure of spec[0..n) by a gnuplot of its own, side by side */
static int plot_each(const clv_plot_spec *spec, size_t n, clv_error *err)
{
    plot_run *run = calloc(n ? n : 1, sizeof *run);
    if (!run)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    /* every run started before the first is waited for, so that they overlap; a run that cannot
     * start stops the starting, and the error is the first in the order given */
    clv_error start_err;
    int st_start = CLV_OK, st = CLV_OK;
    size_t started = 0;
    while (started < n && st_start == CLV_OK) {
        st_start = run_start(&run[started], spec[started].script, spec[started].output, spec[started].vars,
                             spec[started].n_vars, &start_err);
        if (st_start == CLV_OK)
            started++;
    }
    for (size_t i = 0; i < started; i++) {
        clv_error later;
        if (st == CLV_OK)
            st = run_end(&run[i], err);
        else
            run_end(&run[i], &later); /* reaped and cleaned; its error comes after the first */
    }
    if (st == CLV_OK && st_start != CLV_OK) {
        if (err)
            *err = start_err;
        st = st_start;
    }
    free(run);
    return st;
}

/* The gnuplots of clv_plot_all.  A gnuplot's start (its fonts and cairo) costs about as much as
 * drawing a PNG figure, so with fewer processors than figures the PNG figures are shared among one
 * gnuplot per processor, each drawing its share in turn, with "reset session" between them: the
 * same bytes as a gnuplot of its own (test_plot_batch).  Not so the SVG terminal, which carries a
 * stroke colour from one figure to the next, so every SVG figure has a gnuplot of its own (they
 * start fast). */
typedef struct plot_batch {
    char errpath[32];
    int efd, rc, status;
    pid_t pid;
} plot_batch;

static int stop_signal(int sig) { return sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT || sig == SIGKILL; }

int clv_plot_all(const clv_plot_spec *spec, size_t n, clv_error *err)
{
    return clv__plot_all_in(spec, n, (size_t)clv_threads_resolve(0), err);
}

int clv__plot_all_in(const clv_plot_spec *spec, size_t n, size_t procs, clv_error *err)
{
    if (procs < 1)
        procs = 1;
    size_t n_png = 0;
    for (size_t i = 0; i < n; i++)
        n_png += strcmp(figure_fmt(spec[i].output), "png") == 0;
    const size_t png_procs = n_png < procs ? n_png : procs, n_proc = png_procs + (n - n_png);
    if (n_proc == n)
        return plot_each(spec, n, err);
    char gp[CLV_IO_PATH_MAX];
    if (find_gnuplot(gp, sizeof gp) != 0)
        return clv_error_set(err, CLV_EUNSUPPORTED, spec[0].output, 0, NULL,
                             "gnuplot is not installed (Debian package gnuplot-nox)");
    clv_afile *af = calloc(n, sizeof *af);
    char **expr = calloc(n, sizeof *expr), **argv = calloc(2 + 5 * n, sizeof *argv);
    size_t *group = calloc(n, sizeof *group), *redo = calloc(n, sizeof *redo);
    plot_batch *b = calloc(n_proc, sizeof *b);
    clv_plot_spec *again = calloc(n, sizeof *again);
    int st = af && expr && argv && group && redo && b && again ? CLV_OK
                                                               : clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    /* the PNG figures in turn to the first png_procs gnuplots, every SVG figure to one of its own; a
     * temporary output beside each target, renamed over it when its gnuplot has drawn every one of
     * its figures */
    size_t opened = 0, next_png = 0, next_svg = png_procs;
    for (size_t i = 0; st == CLV_OK && i < n; i++) {
        const size_t g = strcmp(figure_fmt(spec[i].output), "png") == 0 ? next_png++ % png_procs : next_svg++;
        if ((st = clv_afile_open(&af[i], spec[i].output, err)) != CLV_OK)
            break;
        opened++;
        fclose(af[i].fp);
        af[i].fp = NULL;
        if (!(expr[i] = figure_expr(figure_fmt(spec[i].output), af[i].tmp, spec[i].script, spec[i].vars,
                                    spec[i].n_vars)))
            st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
        group[i] = g;
    }
    size_t started = 0;
    for (size_t g = 0; st == CLV_OK && g < n_proc; g++, started++) {
        if ((b[g].efd = error_file(b[g].errpath, sizeof b[g].errpath, spec[0].output, err)) < 0) {
            st = CLV_EIO;
            break;
        }
        size_t a = 0;
        argv[a++] = gp;
        for (size_t i = 0; i < n; i++)
            if (group[i] == g) {
                /* after another figure: its file closed, every setting and variable of its script
                 * gone, as in a gnuplot of its own ("reset session" must end its command line) */
                if (a > 1) {
                    argv[a++] = "-e";
                    argv[a++] = "unset output; reset session";
                }
                argv[a++] = "-e";
                argv[a++] = expr[i];
                argv[a++] = (char *)spec[i].script;
            }
        argv[a] = NULL;
        b[g].rc = spawn_gnuplot(argv, b[g].efd, &b[g].pid);
    }
    /* every gnuplot started is waited for; one that failed draws its figures again, one per
     * gnuplot (plot_each), so that the error is the failing figure's own, as gnuplot gave it */
    size_t n_redo = 0;
    int stopped = 0, stop_sig = 0;
    for (size_t g = 0; g < started; g++) {
        b[g].status = b[g].rc == 0 ? reap(b[g].pid) : -1;
        error_file_remove(b[g].efd, b[g].errpath);
        if (b[g].rc == 0 && WIFSIGNALED(b[g].status) && stop_signal(WTERMSIG(b[g].status)))
            stopped = 1, stop_sig = WTERMSIG(b[g].status);
    }
    for (size_t i = 0; i < opened; i++) {
        const plot_batch *pb = &b[group[i]];
        struct stat sb;
        const int drawn = st == CLV_OK && !stopped && pb->rc == 0 && WIFEXITED(pb->status) &&
                          WEXITSTATUS(pb->status) == 0 && stat(af[i].tmp, &sb) == 0 && sb.st_size > 0;
        if (drawn && rename(af[i].tmp, af[i].path) == 0) {
            clv__tmp_untrack(af[i].tmp);
            continue;
        }
        clv_afile_abort(&af[i]);
        if (st == CLV_OK && !stopped)
            redo[n_redo++] = i;
    }
    if (st == CLV_OK && stopped)
        st = clv_error_set(err, CLV_EIO, spec[0].output, 0, NULL, "gnuplot was stopped (signal %d)", stop_sig);
    if (st == CLV_OK && n_redo) {
        for (size_t k = 0; k < n_redo; k++)
            again[k] = spec[redo[k]];
        st = plot_each(again, n_redo, err);
    }
    for (size_t i = 0; expr && i < n; i++)
        free(expr[i]);
    free(af), free(expr), free(argv), free(group), free(redo), free(b), free(again);
    return st;
}
