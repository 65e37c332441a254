/* test_plot.c - clv_plot_all: gnuplots side by side, the first failure reported, nothing half-written. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clvsim/plot.h"
#include "harness.h"

static void put_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    CHECK(fp != NULL);
    if (fp) {
        fputs(text, fp);
        fclose(fp);
    }
}

/* the names in dir, sorted, one per line */
static void list_dir(const char *dir, char *out, size_t n)
{
    char names[16][260];
    int k = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) && k < 16)
        if (e->d_name[0] != '.')
            snprintf(names[k++], sizeof names[0], "%s", e->d_name);
    if (d)
        closedir(d);
    qsort(names, (size_t)k, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    out[0] = '\0';
    for (int i = 0; i < k; i++)
        snprintf(out + strlen(out), n - strlen(out), "%s\n", names[i]);
}

TEST(test_plot_all)
{
    if (!clv_plot_available()) {
        harness_skip("gnuplot is not installed");
        return;
    }
    char dir[] = "/tmp/clvsim-test-plot-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char good[128], bad[128], out[4][128];
    snprintf(good, sizeof good, "%s/good.gp", dir);
    snprintf(bad, sizeof bad, "%s/bad.gp", dir);
    put_file(good, "if (fmt eq \"svg\") { set terminal svg } else { set terminal pngcairo }\n"
                   "set output outfile\nset title title_text\nplot sin(x)\n");
    put_file(bad, "if (fmt eq \"svg\") { set terminal svg } else { set terminal pngcairo }\n"
                  "set output outfile\nplot no_such_function(x)\n");
    static const char *const names[4] = {"a.svg", "b.png", "c.svg", "d.png"};
    for (int i = 0; i < 4; i++)
        snprintf(out[i], sizeof out[i], "%s/%s", dir, names[i]);
    const char *vars[] = {"title_text=it's a test"};
    clv_error err;
    /* all good: every figure written, nothing else left */
    clv_plot_spec ok[2] = {{good, out[0], vars, 1}, {good, out[3], vars, 1}};
    CHECK_INT(clv_plot_all(ok, 2, &err), CLV_OK);
    char ls[512];
    list_dir(dir, ls, sizeof ls);
    CHECK_STR(ls, "a.svg\nbad.gp\nd.png\ngood.gp\n");
    unlink(out[0]);
    unlink(out[3]);
    /* the second and third fail: the error is the second's, its figure and the third's are not
     * written, the others are, and no temporary file is left */
    clv_plot_spec spec[4] = {{good, out[0], vars, 1}, {bad, out[1], NULL, 0}, {bad, out[2], NULL, 0},
                             {good, out[3], vars, 1}};
    CHECK_INT(clv_plot_all(spec, 4, &err), CLV_EIO);
    CHECK(strstr(err.file, "b.png") != NULL);
    CHECK(strstr(err.msg, "gnuplot failed on") && strstr(err.msg, "bad.gp"));
    list_dir(dir, ls, sizeof ls);
    CHECK_STR(ls, "a.svg\nbad.gp\nd.png\ngood.gp\n");
    /* a single figure as clv_plot draws it */
    CHECK_INT(clv_plot(bad, out[1], NULL, 0, &err), CLV_EIO);
    CHECK(strstr(err.file, "b.png") != NULL);
    CHECK_INT(clv_plot_all(spec, 0, &err), CLV_OK);
    for (int i = 0; i < 4; i++)
        unlink(out[i]);
    unlink(good);
    unlink(bad);
    CHECK_INT(rmdir(dir), 0);
}
