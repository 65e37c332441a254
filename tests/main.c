/* main.c - the test runner: every test in the table, in order. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "clvsim/scenario.h"
#include "harness.h"

int harness_failures;
const char *harness_test_name;
static int harness_skipped;

void harness_skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("SKIP %s: ", harness_test_name ? harness_test_name : "?");
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
    harness_skipped = 1;
}

void harness_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stdout, "    %s:%d: ", file, line);
    vfprintf(stdout, fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
    harness_failures++;
}

char *harness_read_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 4096, len = 0, k;
    char *buf = malloc(cap);
    while (buf && (k = fread(buf + len, 1, cap - len - 1, fp)) > 0) {
        len += k;
        if (cap - len < 2) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb)
                free(buf);
            buf = nb;
        }
    }
    fclose(fp);
    if (buf)
        buf[len] = '\0';
    return buf;
}

char *harness_shared_data(const char *file)
{
    static const char dir[] = "../shared/data";
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        const char *ci = getenv("CI");
        if (ci && *ci)
            harness_fail(__FILE__, __LINE__, "%s is missing: the real-data checks need the shared data beside "
                         "the repository, and CI is set", dir);
        else
            harness_skip("%s not found (real-data checks need the shared data beside the repository)", dir);
        return NULL;
    }
    size_t n = sizeof dir + 1 + strlen(file);
    char *path = malloc(n);
    if (!path) {
        harness_fail(__FILE__, __LINE__, "out of memory");
        return NULL;
    }
    snprintf(path, n, "%s/%s", dir, file);
    if (stat(path, &sb) != 0) {
        harness_fail(__FILE__, __LINE__, "%s is missing from %s", file, dir);
        free(path);
        return NULL;
    }
    return path;
}

int harness_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    closedir(d);
    return n;
}

double harness_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int harness_start(harness_job *j, const char *const *args, const harness_job_opts *o)
{
    static const harness_job_opts none;
    const char *bin = getenv("CLVSIM_BIN");
    j->pid = -1;
    if (!o)
        o = &none;
    if (!bin) {
        harness_fail(__FILE__, __LINE__, "CLVSIM_BIN is not set (run the suite with 'make check')");
        return -1;
    }
    snprintf(j->out, sizeof j->out, "/tmp/clvsim-out-XXXXXX");
    snprintf(j->err, sizeof j->err, "/tmp/clvsim-err-XXXXXX");
    int fo = mkstemp(j->out), fe = mkstemp(j->err);
    char *argv[64];
    int n = 0;
    argv[n++] = (char *)bin;
    for (; args[n - 1] && n < 63; n++)
        argv[n] = (char *)args[n - 1];
    argv[n] = NULL;
    fflush(stdout);
    fflush(stderr);
    j->t0 = harness_now();
    j->pid = fork();
    if (j->pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(o->out_to ? open(o->out_to, O_WRONLY) : fo, 1);
        dup2(fe, 2);
        for (size_t i = 0; o->env && o->env[i]; i++)
            putenv((char *)o->env[i]);
        if (o->gate) {
            char c;
            close(o->gate[1]);
            while (read(o->gate[0], &c, 1) > 0)
                ;
            close(o->gate[0]);
        }
        if (o->as_mb > 0) {
            struct rlimit rl = {(rlim_t)o->as_mb << 20, (rlim_t)o->as_mb << 20};
            setrlimit(RLIMIT_AS, &rl);
        }
        execv(bin, argv);
        _exit(127);
    }
    close(fo);
    close(fe);
    if (j->pid < 0) {
        harness_fail(__FILE__, __LINE__, "fork failed");
        return -1;
    }
    return 0;
}

/* harness.h: move the lines of err that are price-coherence warnings into a new
 * string (NULL when err is NULL), leaving the rest in err */
char *harness_split_warnings(char *err)
{
    if (!err)
        return NULL;
    const size_t n = strlen(err);
    char *warn = malloc(n + 1);
    if (!warn)
        return NULL;
    size_t w = 0, e = 0;
    for (size_t i = 0; i < n;) {
        const char *nl = memchr(err + i, '\n', n - i);
        const size_t len = nl ? (size_t)(nl - (err + i)) + 1 : n - i;
        char save = err[i + len - 1];
        err[i + len - 1] = '\0'; /* for strstr within the line */
        const int is_warn = strstr(err + i, ": warning: ") && strstr(err + i, "is not the profit-maximising price");
        err[i + len - 1] = save;
        if (is_warn) {
            memcpy(warn + w, err + i, len);
            w += len;
        } else {
            memmove(err + e, err + i, len);
            e += len;
        }
        i += len;
    }
    err[e] = '\0';
    warn[w] = '\0';
    return warn;
}

harness_proc harness_wait(harness_job *j, double timeout)
{
    harness_proc r = {-1, 0, 0, 0, NULL, NULL, NULL};
    if (j->pid <= 0)
        return r;
    if (timeout <= 0)
        timeout = 600;
    const double t0 = harness_now();
    int ws = 0;
    for (;;) {
        pid_t w = waitpid(j->pid, &ws, WNOHANG);
        if (w == j->pid)
            break;
        if (w < 0) {
            harness_fail(__FILE__, __LINE__, "waitpid failed");
            break;
        }
        if (harness_now() - t0 > timeout) {
            kill(j->pid, SIGKILL);
            waitpid(j->pid, &ws, 0);
            r.timed_out = 1;
            harness_fail(__FILE__, __LINE__, "clvsim (%s) did not end within %g s (killed)", harness_test_name,
                         timeout);
            break;
        }
        nanosleep(&(struct timespec){0, 5000000}, NULL);
    }
    r.seconds = harness_now() - j->t0;
    r.status = WIFEXITED(ws) && !r.timed_out ? WEXITSTATUS(ws) : -1;
    r.signal = WIFSIGNALED(ws) ? WTERMSIG(ws) : 0;
    r.out = harness_read_file(j->out);
    r.err = harness_read_file(j->err);
    r.warn = harness_split_warnings(r.err);
    unlink(j->out);
    unlink(j->err);
    j->pid = -1;
    return r;
}

harness_proc harness_run_env(const char *const *args, const char *const *env, double timeout)
{
    harness_job j;
    const harness_job_opts o = {env, 0, NULL, NULL};
    if (harness_start(&j, args, &o) != 0)
        return (harness_proc){-1, 0, 0, 0, NULL, NULL, NULL};
    return harness_wait(&j, timeout);
}

harness_proc harness_run(const char *const *args) { return harness_run_env(args, NULL, 0); }

void harness_proc_free(harness_proc *r)
{
    free(r->out);
    free(r->err);
    free(r->warn);
    r->out = r->err = r->warn = NULL;
}

static const struct {
    const char *name;
    void (*fn)(void);
} tests[] = {
#define T(name) {#name, name},
#include "tests.def"
#undef T
};

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    const char *only = argc > 1 ? argv[1] : NULL;
    int passed = 0, failed = 0, skipped = 0;
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        if (only && !strstr(tests[i].name, only))
            continue;
        harness_failures = 0;
        harness_skipped = 0;
        harness_test_name = tests[i].name;
        tests[i].fn();
        if (harness_failures == 0 && harness_skipped) {
            skipped++; /* its SKIP line is printed already */
        } else if (harness_failures == 0) {
            printf("PASS %s\n", tests[i].name);
            passed++;
        } else {
            printf("FAIL %s\n", tests[i].name);
            failed++;
        }
        fflush(stdout);
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}

int harness_rm_rf(const char *dir)
{
    char cmd[4200];
    if (snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir) >= (int)sizeof cmd || strchr(dir, '\''))
        return -1;
    return system(cmd);
}

int harness_load_scenario(const char *file, int line, const char *path, clv_scenario *scn)
{
    clv_error err;
    if (clv_scn_load(path, NULL, 0, scn, &err) == CLV_OK)
        return 1;
    harness_fail(file, line, "%s", err.msg);
    return 0;
}
