/* sharedir.c - the search order of the files clvsim ships (sharedir.h). */
#include "sharedir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void add_dir(clv__share_dirs *d, const char *dir, size_t len, const char *why)
{
    if (len == 0 || len >= CLV_IO_PATH_MAX || d->n == CLV__SHARE_DIRS_MAX)
        return;
    for (int i = 0; i < d->n; i++)
        if (strlen(d->dir[i]) == len && memcmp(d->dir[i], dir, len) == 0)
            return;
    memcpy(d->dir[d->n], dir, len);
    d->dir[d->n][len] = '\0';
    d->why[d->n++] = why;
}

void clv__share_dirs_find(clv__share_dirs *d, const char *env, const char *sub)
{
    d->n = 0;
    snprintf(d->env_label, sizeof d->env_label, "$%s", env ? env : "");
    const char *list = env ? getenv(env) : NULL;
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ':');
        const size_t len = end ? (size_t)(end - p) : strlen(p);
        add_dir(d, p, len, d->env_label);
        p += len + (end ? 1 : 0);
    }
    /* the parent of the program's directory: PREFIX for PREFIX/bin/clvsim,
     * the tree for a build tree's build/clvsim ("" for /bin/clvsim) */
    char top[CLV_IO_PATH_MAX];
    const ssize_t len = readlink("/proc/self/exe", top, sizeof top - 1);
    char *slash = len > 0 ? (top[len] = '\0', strrchr(top, '/')) : NULL;
    if (slash) {
        *slash = '\0';
        if ((slash = strrchr(top, '/')))
            *slash = '\0';
    }
    char buf[CLV_IO_PATH_MAX];
    int k;
    if (slash && (k = snprintf(buf, sizeof buf, "%s/share/clvsim/%s", top, sub)) > 0 && (size_t)k < sizeof buf)
        add_dir(d, buf, (size_t)k, "installed");
#ifdef CLV_SOURCE_DIR
    if ((k = snprintf(buf, sizeof buf, "%s/%s", CLV_SOURCE_DIR, sub)) > 0 && (size_t)k < sizeof buf)
        add_dir(d, buf, (size_t)k, "source tree");
#endif
    if (slash && (k = snprintf(buf, sizeof buf, "%s/%s", top, sub)) > 0 && (size_t)k < sizeof buf)
        add_dir(d, buf, (size_t)k, "build tree");
}

void clv__share_dirs_text(const clv__share_dirs *d, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < d->n && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s (%s)", i ? ", " : "", d->dir[i], d->why[i]);
    if (d->n == 0)
        snprintf(buf, n, "no directory");
}

int clv__share_dirs_first(const clv__share_dirs *d, const char *file, char *path, size_t n)
{
    for (int i = 0; i < d->n; i++) {
        struct stat st;
        const int k = snprintf(path, n, "%s/%s", d->dir[i], file);
        if (k > 0 && (size_t)k < n && stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, R_OK) == 0)
            return i;
    }
    return -1;
}
