/* plot.c - running gnuplot scripts as a child process, with atomic output files. */
#include "clvsim/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clvsim/io.h"
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
    const char *ext = strrchr(output, '.');
    const char *fmt = ext && strcmp(ext, ".svg") == 0 ? "svg" : "png";

    /* a temporary output beside the target, with an ordinary file mode,
     * that gnuplot overwrites and that is renamed over the target on success */
    clv_afile *afp = &pr->af;
    int st = clv_afile_open(afp, output, err);
    if (st != CLV_OK)
        return st;
    fclose(afp->fp);
    afp->fp = NULL;
    const char *tmp = afp->tmp;
    char *errpath = pr->errpath;
    snprintf(errpath, sizeof pr->errpath, "/tmp/clvsim-gnuplot-XXXXXX");
    int efd = mkstemp(errpath);
    if (efd >= 0)
        clv__tmp_track(errpath);
    if (efd > 2) /* not inherited by the gnuplots started after this one (dup2 clears it for this one's fd 2) */
        fcntl(efd, F_SETFD, FD_CLOEXEC);
    if (efd < 0) {
        clv_afile_abort(afp);
        return clv_error_set(err, CLV_EIO, output, 0, NULL, "cannot create a temporary file: %s", strerror(errno));
    }

    /* -e "fmt='png'; outfile='...'; name='value'; ..." with ' doubled inside values */
    size_t cap = 256 + strlen(tmp) * 2 + strlen(script) * 2;
    for (size_t i = 0; i < n_vars; i++)
        cap += 2 * strlen(vars[i]) + 8;
    char *expr = malloc(cap);
    if (!expr) {
        close(efd);
        unlink(errpath);
        clv__tmp_untrack(errpath);
        clv_afile_abort(afp);
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    size_t len = (size_t)snprintf(expr, cap, "fmt='%s'; outfile='", fmt);
    for (const char *p = tmp; *p; p++) {
        if (*p == '\'')
            expr[len++] = '\'';
        expr[len++] = *p;
    }
    expr[len++] = '\'';
    /* dir: the scripts' directory, so that a script can load common.gp */
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

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, efd, 2);
    char *argv[] = {gp, "-e", expr, (char *)script, NULL};
    pr->rc = posix_spawn(&pr->pid, gp, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
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
    int status = -1;
    if (rc == 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
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

int clv_plot_all(const clv_plot_spec *spec, size_t n, clv_error *err)
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
