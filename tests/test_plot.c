/* test_plot.c - clv_plot_all: gnuplots side by side, the first failure reported, nothing half-written. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clvsim/plot.h"
#include "harness.h"
#include "../src/core/io_internal.h"

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

/* the bytes of a file into buf (at most n - 1); its length, or -1 */
static long read_all(const char *path, char *buf, size_t n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    size_t k = fread(buf, 1, n - 1, fp);
    fclose(fp);
    buf[k] = '\0';
    return (long)k;
}

/* clv_plot_all with fewer processors than figures: the PNG figures shared among that many gnuplots,
 * each drawing several in turn, every figure as a gnuplot of its own draws it (the settings of the
 * figure before it gone), the SVG figures one per gnuplot, and a gnuplot that fails has its figures
 * drawn again one per gnuplot, so that the error is the failing figure's */
TEST(test_plot_batch)
{
    if (!clv_plot_available()) {
        harness_skip("gnuplot is not installed");
        return;
    }
    char dir[] = "/tmp/clvsim-test-plotb-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char good[128], logy[128], bad[128], out[6][128], ref[6][128];
    snprintf(good, sizeof good, "%s/good.gp", dir);
    snprintf(logy, sizeof logy, "%s/logy.gp", dir);
    snprintf(bad, sizeof bad, "%s/bad.gp", dir);
    put_file(good, "if (fmt eq \"svg\") { set terminal svg } else { set terminal pngcairo }\n"
                   "set output outfile\nset title title_text\nplot [1:3] x\n");
    /* settings and a variable that would leak into the next figure of the same gnuplot */
    put_file(logy, "if (fmt eq \"svg\") { set terminal svg } else { set terminal pngcairo }\n"
                   "set output outfile\nset logscale y\nset grid\nset key off\ntitle_text = 'leaked'\n"
                   "plot [1:3] exp(x)\n");
    put_file(bad, "if (fmt eq \"svg\") { set terminal svg } else { set terminal pngcairo }\n"
                  "set output outfile\nplot no_such_function(x)\n");
    static const char *const names[6] = {"a.svg", "b.png", "c.svg", "d.png", "e.svg", "f.png"};
    for (int i = 0; i < 6; i++) {
        snprintf(out[i], sizeof out[i], "%s/%s", dir, names[i]);
        snprintf(ref[i], sizeof ref[i], "%s/ref_%s", dir, names[i]);
    }
    const char *vars[] = {"title_text=it's a batch"};
    clv_error err;
    /* six figures, the PNG ones in one gnuplot, each after one that sets a log scale: the same
     * bytes as each in a gnuplot of its own */
    clv_plot_spec spec[6];
    for (int i = 0; i < 6; i++)
        spec[i] = (clv_plot_spec){i % 4 == 1 ? logy : good, out[i], vars, 1}; /* b.png logy, then d, f */
    CHECK_INT(clv__plot_all_in(spec, 6, 1, &err), CLV_OK);
    static char a[1 << 17], b[1 << 17];
    for (int i = 0; i < 6; i++) {
        CHECK_INT(clv_plot(spec[i].script, ref[i], vars, 1, &err), CLV_OK);
        const long la = read_all(out[i], a, sizeof a), lb = read_all(ref[i], b, sizeof b);
        CHECK(la > 0 && la < (long)sizeof a - 1);
        CHECK(la == lb && memcmp(a, b, (size_t)la) == 0);
        unlink(ref[i]);
        unlink(out[i]);
    }
    char ls[512];
    list_dir(dir, ls, sizeof ls);
    CHECK_STR(ls, "bad.gp\ngood.gp\nlogy.gp\n");
    /* a failure in the middle of a gnuplot's figures (b, d, f): the error is d's, every other figure
     * is written (drawn again), nothing else is left */
    clv_plot_spec mixed[4] = {{good, out[0], vars, 1}, {good, out[1], vars, 1}, {bad, out[3], NULL, 0},
                              {good, out[5], vars, 1}};
    CHECK_INT(clv__plot_all_in(mixed, 4, 1, &err), CLV_EIO);
    CHECK(strstr(err.file, "d.png") != NULL);
    CHECK(strstr(err.msg, "gnuplot failed on") && strstr(err.msg, "bad.gp") && strstr(err.msg, "line 3"));
    list_dir(dir, ls, sizeof ls);
    CHECK_STR(ls, "a.svg\nb.png\nbad.gp\nf.png\ngood.gp\nlogy.gp\n");
    /* two gnuplots for b, d, f: b and f in one, d failing in the other: b and f as drawn first */
    for (int i = 0; i < 6; i++)
        unlink(out[i]);
    clv_plot_spec two[4] = {{good, out[1], vars, 1}, {bad, out[3], NULL, 0}, {good, out[5], vars, 1},
                            {good, out[2], vars, 1}};
    CHECK_INT(clv__plot_all_in(two, 4, 2, &err), CLV_EIO);
    CHECK(strstr(err.file, "d.png") != NULL);
    list_dir(dir, ls, sizeof ls);
    CHECK_STR(ls, "b.png\nbad.gp\nc.svg\nf.png\ngood.gp\nlogy.gp\n");
    for (int i = 0; i < 6; i++)
        unlink(out[i]);
    unlink(good);
    unlink(logy);
    unlink(bad);
    CHECK_INT(rmdir(dir), 0);
}
