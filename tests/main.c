/* main.c - the test runner: every test in the table, in order. */
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <gsl/gsl_errno.h>

#include "harness.h"

int harness_failures;
const char *harness_test_name;

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
            printf("SKIP %s: %s not found (real-data checks need the shared data beside the repository)\n",
                   harness_test_name ? harness_test_name : "?", dir);
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
    int passed = 0, failed = 0;
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        if (only && !strstr(tests[i].name, only))
            continue;
        harness_failures = 0;
        harness_test_name = tests[i].name;
        tests[i].fn();
        if (harness_failures == 0) {
            printf("PASS %s\n", tests[i].name);
            passed++;
        } else {
            printf("FAIL %s\n", tests[i].name);
            failed++;
        }
        fflush(stdout);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
