/* test_cli.c - the clvsim command as a user meets it: usage errors, exit
 * statuses, messages on stderr, results on stdout and in files. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "harness.h"

typedef struct {
    int status;   /* exit status, or -1 when it did not exit normally */
    char *out;    /* stdout */
    char *err;    /* stderr */
} run_result;

/* run the built clvsim (CLVSIM_BIN) with args, capturing both streams */
static run_result run(const char *const *args)
{
    run_result r = {-1, NULL, NULL};
    const char *bin = getenv("CLVSIM_BIN");
    if (!bin) {
        harness_fail(__FILE__, __LINE__, "CLVSIM_BIN is not set (run the suite with 'make check')");
        return r;
    }
    char out_path[] = "/tmp/clvsim-out-XXXXXX", err_path[] = "/tmp/clvsim-err-XXXXXX";
    int fo = mkstemp(out_path), fe = mkstemp(err_path);
    char *argv[32];
    int n = 0;
    argv[n++] = (char *)bin;
    for (; args[n - 1] && n < 31; n++)
        argv[n] = (char *)args[n - 1];
    argv[n] = NULL;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(fo, 1);
        dup2(fe, 2);
        execv(bin, argv);
        _exit(127);
    }
    int ws;
    waitpid(pid, &ws, 0);
    close(fo);
    close(fe);
    r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
    r.out = harness_read_file(out_path);
    r.err = harness_read_file(err_path);
    unlink(out_path);
    unlink(err_path);
    return r;
}

static void done(run_result *r)
{
    free(r->out);
    free(r->err);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

TEST(test_cli_usage_and_version)
{
    run_result r = run(ARGS("--version"));
    CHECK_INT(r.status, 0);
    CHECK_STR(r.out, "clvsim " CLV_VERSION "\n");
    done(&r);

    r = run(ARGS("--help"));
    CHECK_INT(r.status, 0);
    const char *cmds[] = {"run", "check", "fit", "simulate", "validate", "train-ltv", "predict-ltv",
                          "train-agent", "compare", "--seed", "--threads", "--output", "--quiet",
                          "Exit status"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!r.out || !strstr(r.out, cmds[i]))
            harness_fail(__FILE__, __LINE__, "--help does not mention %s", cmds[i]);
    done(&r);

    /* no arguments: usage on stderr, status 2 */
    const char *none[] = {NULL};
    r = run(none);
    CHECK_INT(r.status, 2);
    CHECK(r.err && strstr(r.err, "Usage: clvsim"));
    CHECK(r.out && r.out[0] == '\0');
    done(&r);

    r = run(ARGS("frobnicate"));
    CHECK_INT(r.status, 2);
    CHECK(r.err && strstr(r.err, "clvsim: unknown command 'frobnicate'"));
    done(&r);

    r = run(ARGS("--frobnicate"));
    CHECK_INT(r.status, 2);
    CHECK(r.err && strstr(r.err, "clvsim: unknown option '--frobnicate' before a command"));
    done(&r);

    r = run(ARGS("check", "scenarios/holiday.cfg", "--frobnicate"));
    CHECK_INT(r.status, 2);
    CHECK_STR(r.err, "clvsim check: unknown option '--frobnicate'; try 'clvsim check --help'\n");
    done(&r);

    r = run(ARGS("check", "scenarios/holiday.cfg", "--seed"));
    CHECK_INT(r.status, 2);
    CHECK_STR(r.err, "clvsim check: option '--seed' needs a value; try 'clvsim check --help'\n");
    done(&r);

    r = run(ARGS("check"));
    CHECK_INT(r.status, 2);
    CHECK_STR(r.err, "clvsim check: missing SCENARIO; try 'clvsim check --help'\n");
    done(&r);

    r = run(ARGS("run", "--dump", "scenarios/holiday.cfg"));
    CHECK_INT(r.status, 2);
    CHECK_STR(r.err, "clvsim run: option '--dump' is only accepted by 'clvsim check'\n");
    done(&r);

    r = run(ARGS("check", "--set", "novalue", "scenarios/holiday.cfg"));
    CHECK_INT(r.status, 2);
    CHECK_STR(r.err, "clvsim check: --set expects KEY=VALUE, got 'novalue'\n");
    done(&r);
}

/* every subcommand has --help; the ones not built say so and exit 3 */
TEST(test_cli_subcommands)
{
    const char *built[] = {"run", "check"};
    const char *unbuilt[] = {"fit", "simulate", "validate", "train-ltv", "predict-ltv", "train-agent", "compare"};
    for (size_t i = 0; i < 2; i++) {
        run_result r = run(ARGS(built[i], "--help"));
        CHECK_INT(r.status, 0);
        CHECK(r.out && strstr(r.out, "Usage: clvsim"));
        done(&r);
    }
    for (size_t i = 0; i < sizeof unbuilt / sizeof unbuilt[0]; i++) {
        run_result r = run(ARGS(unbuilt[i], "--help"));
        CHECK_INT(r.status, 0);
        CHECK(r.out && strstr(r.out, "Not available in clvsim " CLV_VERSION));
        done(&r);
        r = run(ARGS(unbuilt[i], "scenarios/holiday.cfg"));
        CHECK_INT(r.status, 3);
        char expect[256];
        snprintf(expect, sizeof expect,
                 "clvsim %s: not available in clvsim %s: this capability is not built yet (see 'clvsim %s --help')\n",
                 unbuilt[i], CLV_VERSION, unbuilt[i]);
        CHECK_STR(r.err, expect);
        CHECK_STR(r.out, "");
        done(&r);
    }
    run_result r = run(ARGS("help", "fit"));
    CHECK_INT(r.status, 0);
    CHECK(r.out && strstr(r.out, "Usage: clvsim fit TRANSACTIONS"));
    done(&r);
}

TEST(test_cli_check)
{
    run_result r = run(ARGS("check", "scenarios/holiday.cfg"));
    CHECK_INT(r.status, 0);
    CHECK_STR(r.out, "scenarios/holiday.cfg: ok (scenario \"holiday\", seed 20261123)\n");
    CHECK_STR(r.err, "");
    done(&r);

    /* a bad scenario: its FILE:LINE message on stderr, status 2 */
    r = run(ARGS("check", "tests/fixtures/scenarios/bad/range_int.cfg"));
    CHECK_INT(r.status, 2);
    CHECK_STR(r.err, "clvsim: tests/fixtures/scenarios/bad/range_int.cfg:2: calendar.horizon_days: "
                     "expected an integer in [1, 3650], got 0\n");
    CHECK_STR(r.out, "");
    done(&r);

    r = run(ARGS("check", "tests/fixtures/scenarios/bad/syntax.cfg"));
    CHECK_INT(r.status, 2);
    CHECK_STR(r.err, "clvsim: tests/fixtures/scenarios/bad/syntax.cfg:3: syntax error (libconfig)\n");
    done(&r);

    r = run(ARGS("check", "no-such.cfg"));
    CHECK_INT(r.status, 2);
    CHECK_STR(r.err, "clvsim: no-such.cfg: cannot open scenario: No such file or directory\n");
    done(&r);

    /* options become overrides, with their own names in errors */
    r = run(ARGS("check", "scenarios/holiday.cfg", "--seed", "-3"));
    CHECK_INT(r.status, 2);
    CHECK_STR(r.err, "clvsim: --seed: scenario.seed: expected an integer >= 0, got -3\n");
    done(&r);
    r = run(ARGS("check", "--threads", "0.5", "scenarios/holiday.cfg"));
    CHECK_INT(r.status, 2);
    CHECK_STR(r.err, "clvsim: --threads: run.threads: expected an integer in [0, 256], got 0.5\n");
    done(&r);
    r = run(ARGS("check", "scenarios/holiday.cfg", "--seed", "3000000000"));
    CHECK_INT(r.status, 0);
    CHECK_STR(r.out, "scenarios/holiday.cfg: ok (scenario \"holiday\", seed 3000000000)\n");
    done(&r);

    /* --dump: the resolved scenario, which itself checks clean */
    r = run(ARGS("check", "scenarios/holiday.cfg", "--dump", "--set", "calendar.horizon_days=99"));
    CHECK_INT(r.status, 0);
    CHECK(r.out && strstr(r.out, "horizon_days = 99;"));
    CHECK(r.out && strstr(r.out, "name = \"holiday-peak\";"));
    done(&r);

    r = run(ARGS("check", "--reference"));
    CHECK_INT(r.status, 0);
    CHECK(r.out && strstr(r.out, "| `calendar.horizon_days` | integer | `182` | [1, 3650] | days |"));
    done(&r);
}

TEST(test_cli_run)
{
    char dir[] = "/tmp/clvsim-run-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char out[512], resolved[600];
    snprintf(out, sizeof out, "%s/holiday", dir);
    snprintf(resolved, sizeof resolved, "%s/scenario.resolved.cfg", out);

    /* the scenario stage runs, writes the resolved scenario, and says plainly
     * that the later stages are not built (status 3) */
    run_result r = run(ARGS("scenarios/holiday.cfg", "-o", out, "--seed", "7", "--quiet"));
    CHECK_INT(r.status, 3);
    CHECK(r.out && strstr(r.out, "scenario       holiday - Holiday season 2026"));
    CHECK(r.out && strstr(r.out, "seed           7\n"));
    CHECK(r.out && strstr(r.out, "calendar       2026-11-01 to 2027-03-31 (151 days), a decision every 7 days (22 epochs)"));
    CHECK(r.err && strstr(r.err, "clvsim run: the simulation, LTV, agent and comparison stages are not built"));
    done(&r);
    CHECK(access(resolved, R_OK) == 0);

    /* the resolved file is a complete scenario with the override in it */
    clv_scenario s;
    clv_error err;
    CHECK_INT(clv_scn_load(resolved, NULL, 0, &s, &err), CLV_OK);
    CHECK_INT(s.scenario.seed, 7);
    CHECK_STR(s.output.dir, out);

    /* running again into the same clvsim directory is fine */
    r = run(ARGS("run", "scenarios/holiday.cfg", "-o", out, "--quiet"));
    CHECK_INT(r.status, 3);
    done(&r);

    /* a directory with a user's files is refused, unless --force */
    char mine[600], note[700];
    snprintf(mine, sizeof mine, "%s/mine", dir);
    snprintf(note, sizeof note, "%s/notes.txt", mine);
    mkdir(mine, 0777);
    FILE *fp = fopen(note, "w");
    fputs("keep me", fp);
    fclose(fp);
    r = run(ARGS("run", "scenarios/holiday.cfg", "-o", mine, "--quiet"));
    CHECK_INT(r.status, 2);
    char expect[1024];
    snprintf(expect, sizeof expect,
             "clvsim: %s: directory exists, is not empty and was not made by clvsim; choose another output "
             "directory or pass --force to write into it\n", mine);
    CHECK_STR(r.err, expect);
    done(&r);
    r = run(ARGS("run", "scenarios/holiday.cfg", "-o", mine, "--force", "--quiet"));
    CHECK_INT(r.status, 3);
    done(&r);
    char *kept = harness_read_file(note);
    CHECK_STR(kept, "keep me");
    free(kept);

    /* the scenario itself is never overwritten: run the resolved file with
     * its own directory as output */
    r = run(ARGS("run", resolved, "-o", out, "--quiet"));
    CHECK_INT(r.status, 2);
    snprintf(expect, sizeof expect, "clvsim: %s: is the scenario being run; choose another output directory\n",
             resolved);
    CHECK_STR(r.err, expect);
    done(&r);
    CHECK_INT(clv_scn_load(resolved, NULL, 0, &s, &err), CLV_OK);

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_INT(system(cmd), 0);
}

/* the progress bar's text: fitted to the width, percent and time left */
TEST(test_cli_progress_render)
{
    char buf[256], expect[256];
    /* the tail " 25%    30s left" is 17 wide, so the bar gets 60 - 17 - 8 - 3
     * = 32 columns, a quarter of them filled */
    cli_progress_render(buf, sizeof buf, 60, "training", 25, 100, 10.0);
    snprintf(expect, sizeof expect, "training [%.8s%.24s]  25%%    30s left", "##########", "-------------------------");
    CHECK_STR(buf, expect);
    CHECK_INT(strlen(buf), 60);
    cli_progress_render(buf, sizeof buf, 40, "fit", 100, 100, 3.0);
    CHECK_STR(buf, "fit [#############################] 100%");
    CHECK_INT(strlen(buf), 40);
    /* a wide terminal: the bar stops at 50 columns */
    cli_progress_render(buf, sizeof buf, 200, "x", 0, 100, 0.0);
    CHECK_STR(buf, "x [--------------------------------------------------]   0%");
    cli_progress_render(buf, sizeof buf, 80, "reading", 1234, 0, 2.0);
    CHECK_STR(buf, "reading 1234 done, 2s");
    /* a very narrow terminal still gets a line that fits */
    cli_progress_render(buf, sizeof buf, 12, "a-long-phase-name", 5, 10, 1.0);
    CHECK_STR(buf, "a-long-phase");
}

/* the man page and the README describe every command */
TEST(test_cli_docs_cover_commands)
{
    char *man = harness_read_file("man/clvsim.1");
    char *readme = harness_read_file("README.md");
    CHECK(man != NULL);
    CHECK(readme != NULL);
    const char *cmds[] = {"run", "check", "fit", "simulate", "validate", "train-ltv", "predict-ltv",
                          "train-agent", "compare"};
    for (size_t i = 0; man && readme && i < sizeof cmds / sizeof cmds[0]; i++) {
        char pat[64];
        snprintf(pat, sizeof pat, "clvsim %s", cmds[i]);
        if (!strstr(readme, pat))
            harness_fail(__FILE__, __LINE__, "README.md does not describe '%s'", pat);
        snprintf(pat, sizeof pat, ".B %s", cmds[i]);
        if (!strstr(man, pat))
            harness_fail(__FILE__, __LINE__, "man/clvsim.1 does not describe '%s'", cmds[i]);
    }
    free(man);
    free(readme);
}
