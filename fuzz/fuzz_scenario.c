/* fuzz_scenario.c - libFuzzer harness of the scenario loader (clv_scn_load).
 *
 * The input is a scenario file, optionally followed by a NUL byte and
 * command-line overrides, one "key=value" a line (as --set gives them;
 * at most 8).  The file is written into a private directory, so that a
 * relative @include or data path resolves there (it holds "pop.cfg", a
 * population block to include, and "tiny.csv", a log for data.transactions,
 * as fuzz/corpus/scenario/full-flat.cfg uses them), and loaded with the
 * overrides.
 *
 * Promises checked:
 * - no crash, hang, memory error, leak or undefined behaviour (the
 *   sanitizers);
 * - a failure is CLV_EINPUT or CLV_EIO with a message that names a file or
 *   the override's origin (fuzz_check_error);
 * - a scenario that loads round-trips: clv_scn_write's text loads again
 *   and writes the same text (scenario.h: "Loading that text gives back the
 *   same scenario"). */
#include "fuzz.h"

#include "clvsim/scenario.h"

enum { MAX_OV = 8 };

static char in_path[4200], out_path[4200];
/* the scenarios are large (fixed-size arrays): not on the stack */
static clv_scenario scn, again;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_init();
    fuzz_path(in_path, sizeof in_path, "scenario.cfg");
    fuzz_path(out_path, sizeof out_path, "written.cfg");
    static const char pop[] = "population = {\n  model = \"pareto\";\n  unit = \"day\";\n"
                              "  pareto = { r = 0.55; alpha = 74.0; s = 0.61; beta = 81.7; };\n"
                              "  spend = { p = 6.0; q = 3.5; gamma = 15.0; };\n  customers = 2500;\n};\n";
    static const char log[] = "customer,date,amount\n1,1997-01-01,29.33\n1,1997-01-18,29.73\n2,1997-01-02,10\n";
    char p[4200];
    fuzz_write(fuzz_path(p, sizeof p, "pop.cfg"), pop, sizeof pop - 1);
    fuzz_write(fuzz_path(p, sizeof p, "tiny.csv"), log, sizeof log - 1);
    return 0;
}

/* clv_scn_write's text of s, as a heap string */
static char *written(const clv_scenario *s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    FUZZ_CHECK(fp, "open_memstream");
    clv_error err;
    int st = clv_scn_write(s, fp, &err);
    FUZZ_CHECK(fclose(fp) == 0 && st == CLV_OK, "clv_scn_write failed: %s", err.msg);
    return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t file_len = nul ? (size_t)(nul - data) : size;
    fuzz_write(in_path, data, file_len);

    /* the overrides: a copy of the rest, cut into lines at '\n' and into
     * key and value at the first '=' */
    clv_scn_override ov[MAX_OV];
    size_t n_ov = 0;
    char *rest = NULL;
    if (nul) {
        size_t n = size - file_len - 1;
        rest = malloc(n + 1);
        FUZZ_CHECK(rest, "out of memory");
        memcpy(rest, nul + 1, n);
        rest[n] = '\0';
        for (char *line = rest; line && *line && n_ov < MAX_OV;) {
            char *next = strchr(line, '\n');
            if (next)
                *next++ = '\0';
            char *eq = strchr(line, '=');
            if (eq) {
                *eq = '\0';
                /* an origin, or none ("--set"), as the command gives them */
                const char *origin = n_ov % 2 ? "--seed" : NULL;
                ov[n_ov++] = (clv_scn_override){line, eq + 1, origin};
            }
            line = next;
        }
    }

    clv_error err;
    int st = clv_scn_load(in_path, ov, n_ov, &scn, &err);
    if (st != CLV_OK) {
        fuzz_check_error(st, &err, in_path);
        FUZZ_CHECK(st == CLV_EINPUT || st == CLV_EIO, "status %d loading a scenario: %s", st, err.msg);
        free(rest);
        return 0;
    }
    free(rest);

    char *first = written(&scn);
    fuzz_write(out_path, first, strlen(first));
    st = clv_scn_load(out_path, NULL, 0, &again, &err);
    FUZZ_CHECK(st == CLV_OK, "the written scenario does not load: %s:%d: %s: %s\n%s", err.file, err.line,
               err.field, err.msg, first);
    /* the header comment names the file it was resolved from and the bases
     * it was built on (the written file has every key of its own): the same */
    snprintf(again.source, sizeof again.source, "%s", scn.source);
    FUZZ_CHECK(again.origin.n_bases == 0, "the written scenario has %d bases", again.origin.n_bases);
    again.origin = scn.origin;
    char *second = written(&again);
    FUZZ_CHECK(strcmp(first, second) == 0, "the written scenario loads as another:\n%s\n---- then ----\n%s",
               first, second);
    free(first);
    free(second);
    return 0;
}
