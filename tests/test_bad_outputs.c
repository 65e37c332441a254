/* test_bad_outputs.c - the catalogue of bad outcomes for output directories
 * (issue 11, item 5: outputs tell the truth after failures).  Classes:
 *
 *  1. a rerun with other settings that fails after it claimed the directory
 *     (train-ltv finds a bad row in its data file): exit 2 with the row's
 *     message; the directory holds the previous run's files byte for byte,
 *     scenario.resolved.cfg (and its seed) among them; nothing staged left;
 *  2. a rerun interrupted with SIGINT (simulate): exit 130, "clvsim:
 *     stopped; no results were written to DIR (SIGINT)", the previous run's
 *     files as they were;
 *  3. a run killed with SIGKILL: the previous run's files as they were; the
 *     kernel releases the lock; the next run removes the dead run's staging
 *     directory;
 *  4. two runs started at the same instant into one new directory, and into
 *     an existing one: exactly one succeeds, the other exits 1 with "clvsim:
 *     DIR: is in use by another clvsim run (pid N); wait for it to finish or
 *     choose another output directory", N the winner's pid;
 *  5. a run started while another holds the directory: the same message;
 *  6. train-agent interrupted with checkpoints on: the finished run's table
 *     and resolved scenario as they were, the checkpoint under its own name
 *     with a hint to resume from it, and a resumed run that removes it;
 *  7. little memory (RLIMIT_AS, as `ulimit -v`): simulate, run, train-ltv
 *     and train-agent with sizes far beyond the limit exit 1 with "out of
 *     memory" and write nothing; at limits of 10 to 192 MB --version,
 *     check, simulate, fit, run and predict-ltv exit 0, or 1 with "out of
 *     memory" in the message (gnuplot's failures under the limit too; a
 *     network file's buffers that cannot be allocated were "impossible
 *     sizes", status 2): never a signal, a hang, status 2 or 130;
 *  8. the library's clv_outdir: staged files invisible until the commit,
 *     the describing file moved last, a second claim refused with the pid,
 *     nothing left after close, a directory where an output goes refused
 *     before anything is moved;
 *  9. validate into a new directory DIR: DIR is marked as clvsim's, so that
 *     the other commands may write into it (they refused it before);
 * 10. results that cannot be written to stdout (/dev/full): status 1 and
 *     "clvsim: cannot write the results to standard output: No space left
 *     on device" (it was status 0).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clvsim/io.h"
#include "harness.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

static void nap(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

static void rm_rf(const char *dir)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

/* ---- running the command in the background ---- */

typedef harness_job job;

/* Start CLVSIM_BIN with args (harness_start): as_mb > 0, under an
 * address-space limit of that many MB; gate, a pipe whose write end the
 * caller closes to let every gated job exec at the same instant, or NULL;
 * out_to, stdout to that file (NULL: captured). */
static int job_start_to(job *j, const char *const *args, long as_mb, const int *gate, const char *out_to)
{
    const harness_job_opts o = {NULL, as_mb, gate, out_to};
    return harness_start(j, args, &o);
}

static int job_start(job *j, const char *const *args, long as_mb, const int *gate)
{
    return job_start_to(j, args, as_mb, gate, NULL);
}

static harness_proc job_wait(job *j, double timeout) { return harness_wait(j, timeout); }

/* ---- what a directory holds ---- */

/* 1 when dir has an entry whose name starts with prefix */
static int has_entry(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int found = 0;
    struct dirent *de;
    while (!found && (de = readdir(d)) != NULL)
        found = strncmp(de->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return found;
}

/* wait (up to timeout s) until dir has an entry starting with prefix */
static int wait_for_entry(const char *dir, const char *prefix, double timeout)
{
    const double t0 = harness_now();
    while (harness_now() - t0 < timeout) {
        if (has_entry(dir, prefix))
            return 1;
        nap(0.002);
    }
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "name crc32 size" of every entry of dir, sorted, one per line (a heap
 * string); the marker only by name (it says which pid holds the lock),
 * directories as "name/" */
static char *snapshot(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char *names[256];
    int n = 0;
    struct dirent *de;
    while (n < 256 && (de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            names[n++] = strdup(de->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp_names);
    size_t cap = 64 + (size_t)n * 320, len = 0;
    char *out = malloc(cap);
    out[0] = '\0';
    for (int k = 0; k < n; k++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[k]);
        struct stat sb;
        if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            len += (size_t)snprintf(out + len, cap - len, "%s/\n", names[k]);
        } else if (strcmp(names[k], CLV_OUTPUT_MARKER) == 0) {
            len += (size_t)snprintf(out + len, cap - len, "%s\n", names[k]);
        } else {
            char *text = harness_read_file(path);
            const size_t sz = text ? (size_t)sb.st_size : 0;
            len += (size_t)snprintf(out + len, cap - len, "%s %08x %zu\n", names[k],
                                    text ? clv_crc32(0, text, sz) : 0u, sz);
            free(text);
        }
        free(names[k]);
    }
    return out;
}

/* the seed of DIR/scenario.resolved.cfg ("seed = N;"), -1 when absent */
static long long resolved_seed(const char *dir)
{
    char path[700];
    snprintf(path, sizeof path, "%s/scenario.resolved.cfg", dir);
    char *text = harness_read_file(path);
    const char *p = text ? strstr(text, "seed = ") : NULL;
    long long seed = p ? strtoll(p + 7, NULL, 10) : -1;
    free(text);
    return seed;
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    if (!fp || fputs(text, fp) < 0 || fclose(fp) != 0)
        harness_fail(__FILE__, __LINE__, "cannot write %s", path);
}

/* ---- 1. a rerun that fails after it claimed the directory ---- */

TEST(test_bad_outputs_failed_rerun)
{
    char dir[] = "/tmp/clvsim-bo-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char good[600], bad[600], out[600], data[1100];
    snprintf(good, sizeof good, "%s/synthetic.cfg", dir);
    snprintf(bad, sizeof bad, "%s/real.cfg", dir);
    snprintf(out, sizeof out, "%s/ltv", dir);
    char *fixture = realpath("tests/fixtures/bad/outputs/bad_amount.csv", NULL);
    CHECK(fixture != NULL);
    write_text(good, "ltv = { epochs = 2; horizon_days = 91; synthetic_customers = 2000; };\n");
    snprintf(data, sizeof data, "data = { transactions = \"%s\"; calibration_end = \"1997-03-01\"; };\n"
                                "ltv = { epochs = 2; horizon_days = 91; synthetic_customers = 2000; real_fraction = 1.0; };\n",
             fixture ? fixture : "");
    write_text(bad, data);

    harness_proc r = harness_run(ARGS("train-ltv", good, "-o", out, "--quiet", "--seed", "5"));
    CHECK_INT(r.status, 0);
    harness_proc_free(&r);
    CHECK_INT(resolved_seed(out), 5);
    char *before = snapshot(out);
    CHECK(before && strstr(before, "ltv.mlp ") && strstr(before, "ltv_metrics.csv "));

    /* the rerun reads its log after it claimed the directory, and fails */
    r = harness_run(ARGS("train-ltv", bad, "-o", out, "--quiet", "--seed", "9"));
    CHECK_INT(r.status, 2);
    char expected[1400];
    snprintf(expected, sizeof expected, "clvsim: %s:4: amount: expected a number in column 3, got \"twelve\"\n",
             fixture ? fixture : "");
    CHECK_STR(r.err, expected);
    harness_proc_free(&r);
    /* the resolved scenario still describes the results beside it: every
     * file as the first run left it, and nothing of the failed run */
    CHECK_INT(resolved_seed(out), 5);
    char *after = snapshot(out);
    CHECK_STR(after, before);
    free(after);
    free(before);
    free(fixture);
    rm_rf(dir);
}

/* ---- 2 and 3. a rerun interrupted (SIGINT) or killed (SIGKILL) ---- */

TEST(test_bad_outputs_interrupted_rerun)
{
    char dir[] = "/tmp/clvsim-bo-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char out[600];
    snprintf(out, sizeof out, "%s/sim", dir);
    harness_proc r = harness_run(ARGS("simulate", "scenarios/holiday.cfg", "-o", out, "--quiet", "--scale", "0.1",
                                      "--seed", "5"));
    CHECK_INT(r.status, 0);
    harness_proc_free(&r);
    char *before = snapshot(out);
    CHECK(before && strstr(before, "transactions.csv "));

    /* Ctrl-C while the rerun (another seed, 200 times the customers) writes */
    job j;
    const char *const big[] = {"simulate", "scenarios/holiday.cfg", "-o", out, "--quiet", "--scale", "20",
                               "--seed", "9", NULL};
    if (job_start(&j, big, 0, NULL) == 0) {
        CHECK(wait_for_entry(out, CLV_OUTPUT_STAGE, 20));
        nap(0.2);
        kill(j.pid, SIGINT);
        r = job_wait(&j, 30);
        CHECK_INT(r.status, 130);
        /* the stop lands in the simulation ("cancelled", the library's word)
         * or in the command's own loop ("stopped"), as the machine's load has it */
        char tail[800];
        snprintf(tail, sizeof tail, "; no results were written to %s (SIGINT)\n", out);
        const size_t nt = strlen(tail), ne = r.err ? strlen(r.err) : 0;
        if (!r.err || ne < nt || strcmp(r.err + ne - nt, tail) != 0 ||
            (strncmp(r.err, "clvsim: stopped;", 16) != 0 && strncmp(r.err, "clvsim: cancelled;", 18) != 0))
            harness_fail(__FILE__, __LINE__, "stderr \"%s\", expected \"clvsim: stopped%s\" or \"clvsim: cancelled%s\"",
                         r.err ? r.err : "(null)", tail, tail);
        harness_proc_free(&r);
    }
    char *after = snapshot(out);
    CHECK_STR(after, before);
    free(after);
    CHECK_INT(resolved_seed(out), 5);

    /* killed: nothing moved into place; the lock dies with the process */
    if (job_start(&j, big, 0, NULL) == 0) {
        CHECK(wait_for_entry(out, CLV_OUTPUT_STAGE, 20));
        nap(0.2);
        kill(j.pid, SIGKILL);
        r = job_wait(&j, 30);
        CHECK_INT(r.signal, SIGKILL);
        harness_proc_free(&r);
    }
    CHECK(has_entry(out, CLV_OUTPUT_STAGE)); /* the dead run's staging directory */
    CHECK_INT(resolved_seed(out), 5);
    after = snapshot(out);
    /* the same but for the staging directory */
    char *stage = after ? strstr(after, CLV_OUTPUT_STAGE) : NULL;
    if (stage) {
        char *eol = strchr(stage, '\n');
        memmove(stage, eol + 1, strlen(eol + 1) + 1);
    }
    CHECK_STR(after, before);
    free(after);
    /* the next run takes the directory and clears what the dead one left */
    r = harness_run(ARGS("simulate", "scenarios/holiday.cfg", "-o", out, "--quiet", "--scale", "0.1", "--seed", "7"));
    CHECK_INT(r.status, 0);
    harness_proc_free(&r);
    CHECK(!has_entry(out, CLV_OUTPUT_STAGE));
    CHECK_INT(resolved_seed(out), 7);
    free(before);
    rm_rf(dir);
}

/* ---- 4 and 5. two runs into one directory ---- */

static void expect_in_use(const harness_proc *r, const char *dir, pid_t holder)
{
    char expected[900];
    snprintf(expected, sizeof expected, "clvsim: %s: is in use by another clvsim run (pid %ld); wait for it to "
                                        "finish or choose another output directory\n", dir, (long)holder);
    CHECK_INT(r->status, 1);
    CHECK_STR(r->err, expected);
}

TEST(test_bad_outputs_concurrent_runs)
{
    char dir[] = "/tmp/clvsim-bo-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char out[600];
    /* rounds 0-3 into a new directory each, 4-5 into the last one again */
    for (int round = 0; round < 6; round++) {
        if (round < 4)
            snprintf(out, sizeof out, "%s/new%d/sim", dir, round);
        const char *const args[] = {"simulate", "scenarios/holiday.cfg", "-o", out, "--quiet", "--scale", "2", NULL};
        int gate[2];
        CHECK(pipe(gate) == 0);
        job a, b;
        int started = job_start(&a, args, 0, gate) == 0;
        started = job_start(&b, args, 0, gate) == 0 && started;
        const pid_t pa = a.pid, pb = b.pid;
        close(gate[0]);
        close(gate[1]); /* both exec now */
        harness_proc ra = job_wait(&a, 60), rb = job_wait(&b, 60);
        if ((ra.status == 0) == (rb.status == 0))
            harness_fail(__FILE__, __LINE__, "round %d: statuses %d and %d, expected one 0 and one 1 (stderr: %s | %s)",
                         round, ra.status, rb.status, ra.err ? ra.err : "", rb.err ? rb.err : "");
        else if (ra.status == 0)
            expect_in_use(&rb, out, pa);
        else
            expect_in_use(&ra, out, pb);
        harness_proc_free(&ra);
        harness_proc_free(&rb);
        /* the winner's files complete, nothing staged left, no pid in the marker */
        char *snap = snapshot(out);
        CHECK(snap && strstr(snap, "days.csv ") && strstr(snap, "customers.csv ") &&
              strstr(snap, "transactions.csv ") && strstr(snap, "scenario.resolved.cfg "));
        CHECK(!has_entry(out, CLV_OUTPUT_STAGE));
        free(snap);
        char marker[700];
        snprintf(marker, sizeof marker, "%s/" CLV_OUTPUT_MARKER, out);
        char *text = harness_read_file(marker);
        CHECK_STR(text, "This directory holds outputs of clvsim; clvsim may overwrite the files it wrote here.\n");
        free(text);
        if (!started)
            break;
    }

    /* a run that starts while another holds the directory */
    const char *const slow[] = {"simulate", "scenarios/holiday.cfg", "-o", out, "--quiet", "--scale", "20", NULL};
    job holder;
    if (job_start(&holder, slow, 0, NULL) == 0) {
        const pid_t hp = holder.pid;
        CHECK(wait_for_entry(out, CLV_OUTPUT_STAGE, 20));
        harness_proc r = harness_run(ARGS("run", "scenarios/holiday.cfg", "-o", out, "--quiet", "--scale", "0.05"));
        expect_in_use(&r, out, hp);
        harness_proc_free(&r);
        kill(hp, SIGINT);
        r = job_wait(&holder, 30);
        CHECK_INT(r.status, 130);
        harness_proc_free(&r);
    }
    rm_rf(dir);
}

/* ---- 6. train-agent's checkpoints ---- */

TEST(test_bad_outputs_agent_checkpoint)
{
    char dir[] = "/tmp/clvsim-bo-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char out[600], table[700], ckpt[700];
    snprintf(out, sizeof out, "%s/agent", dir);
    snprintf(table, sizeof table, "%s/agent_q-learning.qtab", out);
    snprintf(ckpt, sizeof ckpt, "%s/agent_q-learning.checkpoint.qtab", out);
    harness_proc r = harness_run(ARGS("train-agent", "scenarios/holiday.cfg", "--algo", "q", "-o", out, "--quiet",
                                      "--scale", "0.05", "--set", "agent.episodes=2", "--set", "agent.model_episodes=2", "--seed", "5"));
    CHECK_INT(r.status, 0);
    harness_proc_free(&r);
    char *before = snapshot(out);
    CHECK(before && strstr(before, "agent_q-learning.qtab "));
    CHECK(access(ckpt, F_OK) != 0);

    /* a long training with a checkpoint every episode, interrupted */
    const char *const longer[] = {"train-agent", "scenarios/holiday.cfg", "--algo", "q", "-o", out, "--quiet",
                                  "--scale", "0.05", "--set", "agent.episodes=100000", "--set", "agent.model_episodes=1", "--set",
                                  "agent.checkpoint_every=1", "--seed", "9", NULL};
    job j;
    if (job_start(&j, longer, 0, NULL) == 0) {
        CHECK(wait_for_entry(out, "agent_q-learning.checkpoint.qtab", 60));
        kill(j.pid, SIGINT);
        r = job_wait(&j, 30);
        CHECK_INT(r.status, 130);
        char hint[2000];
        snprintf(hint, sizeof hint, "clvsim train-agent: the last checkpoint is %s; go on from it with --resume %s\n",
                 ckpt, ckpt);
        CHECK(r.err && strstr(r.err, hint));
        char stopped[800];
        snprintf(stopped, sizeof stopped, "; no results were written to %s (SIGINT)\n", out);
        CHECK(r.err && strstr(r.err, stopped));
        harness_proc_free(&r);
    }
    /* the finished run's files as they were, beside the checkpoint */
    CHECK(access(ckpt, F_OK) == 0);
    char *after = snapshot(out);
    char *line = after ? strstr(after, "agent_q-learning.checkpoint.qtab ") : NULL;
    if (line) {
        char *eol = strchr(line, '\n');
        memmove(line, eol + 1, strlen(eol + 1) + 1);
    }
    CHECK_STR(after, before);
    free(after);
    CHECK_INT(resolved_seed(out), 5);

    /* resumed to the end: the table replaced, the checkpoint gone */
    r = harness_run(ARGS("train-agent", "scenarios/holiday.cfg", "--algo", "q", "-o", out, "--quiet", "--scale", "0.05",
                         "--set", "agent.episodes=1", "--set", "agent.model_episodes=1", "--seed", "9", "--resume", ckpt));
    CHECK_INT(r.status, 0);
    harness_proc_free(&r);
    CHECK(access(ckpt, F_OK) != 0);
    CHECK(access(table, F_OK) == 0);
    CHECK_INT(resolved_seed(out), 9);
    free(before);
    rm_rf(dir);
}

/* ---- 7. little memory ---- */

/* "out of memory" cases: sizes far beyond the limit */
TEST(test_bad_outputs_out_of_memory)
{
    if (UNDER_ASAN) {
        harness_skip("AddressSanitizer reserves terabytes of address space: RLIMIT_AS cannot be used under it");
        return;
    }
    char dir[] = "/tmp/clvsim-bo-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char out[600];
    static const struct {
        const char *args[12];
        const char *message;          /* the exact stderr, or NULL: contains "out of memory" */
    } cases[] = {
        {{"simulate", "scenarios/holiday.cfg", "--scale", "1000", "--quiet", "-o", NULL},
         "clvsim: out of memory for 11750585 customers\n"},
        {{"run", "scenarios/holiday.cfg", "--scale", "400", "--quiet", "-o", NULL}, NULL},
        {{"train-ltv", "scenarios/holiday.cfg", "--set", "ltv.synthetic_customers=5000000", "--quiet", "-o", NULL},
         NULL},
        {{"train-agent", "scenarios/holiday.cfg", "--scale", "1000", "--quiet", "-o", NULL}, NULL},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        snprintf(out, sizeof out, "%s/out%zu", dir, c);
        const char *args[16];
        int n = 0;
        for (; cases[c].args[n]; n++)
            args[n] = cases[c].args[n];
        args[n++] = out;
        args[n] = NULL;
        job j;
        if (job_start(&j, args, 256, NULL) != 0)
            break;
        harness_proc r = job_wait(&j, 120);
        CHECK_INT(r.status, 1);
        CHECK_INT(r.signal, 0);
        if (cases[c].message)
            CHECK_STR(r.err, cases[c].message);
        else if (!r.err || !strstr(r.err, "out of memory"))
            harness_fail(__FILE__, __LINE__, "clvsim %s under 256 MB: stderr \"%s\", expected \"out of memory\"",
                         args[0], r.err ? r.err : "");
        harness_proc_free(&r);
        /* nothing written: no directory, or one with nothing but the marker */
        char *snap = snapshot(out);
        if (snap)
            CHECK_STR(snap, CLV_OUTPUT_MARKER "\n");
        free(snap);
    }
    rm_rf(dir);
}

/* every command at low limits: it works, or fails with "out of memory" */
TEST(test_bad_outputs_low_memory)
{
    if (UNDER_ASAN) {
        harness_skip("AddressSanitizer reserves terabytes of address space: RLIMIT_AS cannot be used under it");
        return;
    }
    char dir[] = "/tmp/clvsim-bo-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *rel = harness_shared_data("CDNOW_sample.txt"); /* a real log: 6,919 rows */
    char *sample = rel ? realpath(rel, NULL) : NULL;
    free(rel);
    /* a network for predict-ltv, trained without a limit */
    char model[700];
    snprintf(model, sizeof model, "%s/model", dir);
    harness_proc m = harness_run(ARGS("train-ltv", "scenarios/holiday.cfg", "-o", model, "--quiet", "--set",
                                      "ltv.synthetic_customers=2000", "--set", "ltv.epochs=2", "--set",
                                      "ltv.horizon_days=91", "--set", "output.plots=false"));
    CHECK_INT(m.status, 0);
    harness_proc_free(&m);
    snprintf(model, sizeof model, "%s/model/ltv.mlp", dir);
    static const long limits[] = {10, 12, 16, 24, 32, 48, 64, 96, 128, 192};
    char out[600];
    int k = 0;
    for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++) {
        const char *const cmds[][20] = {
            {"--version", NULL},
            {"check", "scenarios/holiday.cfg", NULL},
            {"simulate", "scenarios/holiday.cfg", "--scale", "0.2", "--quiet", "-o", out, NULL},
            {"fit", sample ? sample : "tests/fixtures/txlog/basic.txt", "--customer-column", "2", "--date-column",
             "3", "--quantity-column", "4", "--amount-column", "5", "--calibration-end", "1997-09-30", "--quiet",
             "-o", out, NULL},
            {"run", "scenarios/holiday.cfg", "--scale", "0.02", "--set", "agent.episodes=2", "--set", "agent.model_episodes=2", "--set",
             "evaluation.replications=2", "--quiet", "-o", out, NULL},
            {"predict-ltv", model, sample ? sample : "", "--customer-column", "2", "--date-column", "3",
             "--quantity-column", "4", "--amount-column", "5", "--cutoff", "1997-09-30", "--quiet", "-o", out, NULL},
        };
        for (size_t c = 0; c < sizeof cmds / sizeof cmds[0]; c++) {
            if ((c == 3 || c == 5) && !sample)
                continue;
            snprintf(out, sizeof out, "%s/out%d", dir, k++);
            job j;
            if (job_start(&j, cmds[c], limits[l], NULL) != 0)
                break;
            harness_proc r = job_wait(&j, 120);
            const int ok = r.status == 0 || (r.status == 1 && r.err && strstr(r.err, "out of memory"));
            /* below what the dynamic loader needs, nothing of ours runs (127) */
            if (!ok && !(r.status == 127 && r.err && strstr(r.err, "error while loading shared libraries")))
                harness_fail(__FILE__, __LINE__, "clvsim %s under %ld MB: status %d, signal %d, stderr \"%s\"; "
                             "expected 0, or 1 with \"out of memory\"", cmds[c][0], limits[l], r.status, r.signal,
                             r.err ? r.err : "");
            harness_proc_free(&r);
        }
    }
    free(sample);
    rm_rf(dir);
}

/* ---- 9. validate into a new directory ---- */

TEST(test_bad_outputs_validate_marks_dir)
{
    char dir[] = "/tmp/clvsim-bo-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char out[600];
    snprintf(out, sizeof out, "%s/new", dir);
    /* validate writes DIR/validation; DIR, which it made, is clvsim's too */
    harness_proc r = harness_run(ARGS("validate", "scenarios/holiday.cfg", "-o", out, "--quiet", "--scale", "0.1"));
    CHECK(r.status == 0 || r.status == 1); /* 1: the certificate failed, the files are written */
    harness_proc_free(&r);
    r = harness_run(ARGS("simulate", "scenarios/holiday.cfg", "-o", out, "--quiet", "--scale", "0.1"));
    CHECK_INT(r.status, 0);
    CHECK_STR(r.err, "");
    harness_proc_free(&r);
    char *snap = snapshot(out);
    CHECK(snap && strstr(snap, CLV_OUTPUT_MARKER "\n") && strstr(snap, "validation/\n") &&
          strstr(snap, "scenario.resolved.cfg "));
    free(snap);
    rm_rf(dir);
}

/* ---- 10. results that cannot reach stdout ---- */

TEST(test_bad_outputs_stdout_full)
{
    if (access("/dev/full", W_OK) != 0) {
        harness_skip("no /dev/full on this system");
        return;
    }
    static const char *const cmds[][4] = {{"--version", NULL}, {"check", "scenarios/holiday.cfg", NULL},
                                          {"run", "--help", NULL}};
    for (size_t c = 0; c < sizeof cmds / sizeof cmds[0]; c++) {
        job j;
        if (job_start_to(&j, cmds[c], 0, NULL, "/dev/full") != 0)
            break;
        harness_proc r = job_wait(&j, 60);
        CHECK_INT(r.status, 1);
        CHECK_STR(r.err, "clvsim: cannot write the results to standard output: No space left on device\n");
        harness_proc_free(&r);
    }
}

/* ---- 8. the library's claim on a directory ---- */

TEST(test_bad_outputs_outdir_library)
{
    char dir[] = "/tmp/clvsim-bo-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char out[600], path[700], final[700];
    snprintf(out, sizeof out, "%s/a/b", dir);
    clv_error err;
    clv_outdir od, other;
    CHECK_INT(clv_outdir_open(&od, out, 0, &err), CLV_OK);
    /* a second claim, from this process too, is refused naming the holder */
    CHECK_INT(clv_outdir_open(&other, out, 0, &err), CLV_EIO);
    CHECK_STR(err.file, out);
    char expected[300];
    snprintf(expected, sizeof expected, "is in use by another clvsim run (pid %ld); wait for it to finish or choose "
                                        "another output directory", (long)getpid());
    CHECK_STR(err.msg, expected);
    clv_outdir_close(&other); /* a no-op after a failed open */

    /* staged files are not in DIR until the commit */
    CHECK_INT(clv_outdir_path(&od, "a.csv", path, sizeof path, &err), CLV_OK);
    CHECK_INT(clv_write_file_atomic(path, "new a\n", 6, &err), CLV_OK);
    CHECK_INT(clv_outdir_path(&od, "about.cfg", path, sizeof path, &err), CLV_OK);
    CHECK_INT(clv_write_file_atomic(path, "new about\n", 10, &err), CLV_OK);
    snprintf(final, sizeof final, "%s/a.csv", out);
    CHECK(access(final, F_OK) != 0);
    /* an error about a staged file names its final path */
    clv_error_set(&err, CLV_EIO, path, 0, NULL, "write failed");
    clv_outdir_error_path(&od, &err);
    snprintf(final, sizeof final, "%s/about.cfg", out);
    CHECK_STR(err.file, final);
    CHECK_INT(clv_outdir_commit(&od, "about.cfg", &err), CLV_OK);
    clv_outdir_close(&od);
    char *text = harness_read_file(final);
    CHECK_STR(text, "new about\n");
    free(text);
    char *snap = snapshot(out);
    CHECK(snap && strncmp(snap, CLV_OUTPUT_MARKER "\na.csv ", strlen(CLV_OUTPUT_MARKER "\na.csv ")) == 0 &&
          strstr(snap, "\nabout.cfg "));
    CHECK(!has_entry(out, CLV_OUTPUT_STAGE));
    free(snap);

    /* a run that ends without a commit leaves the directory as it was */
    char *before = snapshot(out);
    CHECK_INT(clv_outdir_open(&od, out, 0, &err), CLV_OK);
    CHECK_INT(clv_outdir_path(&od, "a.csv", path, sizeof path, &err), CLV_OK);
    CHECK_INT(clv_write_file_atomic(path, "newer a\n", 8, &err), CLV_OK);
    clv_outdir_close(&od);
    clv_outdir_close(&od); /* twice is safe */
    char *after = snapshot(out);
    CHECK_STR(after, before);
    free(after);
    free(before);
    /* and the lock is free again */
    CHECK_INT(clv_outdir_open(&od, out, 0, &err), CLV_OK);
    clv_outdir_close(&od);

    /* a directory where an output goes: refused before anything is moved */
    before = snapshot(out);
    snprintf(final, sizeof final, "%s/c.csv", out);
    CHECK(mkdir(final, 0777) == 0);
    CHECK_INT(clv_outdir_open(&od, out, 0, &err), CLV_OK);
    CHECK_INT(clv_outdir_path(&od, "about.cfg", path, sizeof path, &err), CLV_OK);
    CHECK_INT(clv_write_file_atomic(path, "newest about\n", 13, &err), CLV_OK);
    CHECK_INT(clv_outdir_path(&od, "c.csv", path, sizeof path, &err), CLV_OK);
    CHECK_INT(clv_write_file_atomic(path, "c\n", 2, &err), CLV_OK);
    CHECK_INT(clv_outdir_commit(&od, "about.cfg", &err), CLV_EIO);
    CHECK_STR(err.file, final);
    CHECK_STR(err.msg, "is a directory; clvsim writes a file of that name here: move the directory away or choose "
                       "another output directory");
    clv_outdir_close(&od);
    rmdir(final);
    after = snapshot(out);
    CHECK_STR(after, before);
    free(after);
    free(before);
    rm_rf(dir);
}
