/* fuzz_qtab.c - libFuzzer harness of the Q-table loader (clv_qtable_load).
 *
 * The input is a Q-table file.  It is loaded as it is, and again with its
 * last 4 bytes replaced by the CRC-32 of the rest (what a valid file ends
 * with, clv_qtable_save), so that the fuzzer reaches the checks behind the
 * checksum instead of stopping at it.
 *
 * Promises checked:
 * - no crash, hang, memory error, leak, undefined behaviour or allocation
 *   beyond what the file's length can justify (libFuzzer's -malloc_limit_mb
 *   and -rss_limit_mb, set by fuzz/run.sh);
 * - a failure is CLV_EINPUT (naming the file) or CLV_ENOMEM with a message;
 * - a table that loads has the sizes the file's length implies, its greedy
 *   actions and CSV work, and it saves and loads again as the same bytes. */
#include "fuzz.h"

#include "clvsim/agent.h"
#include "clvsim/io.h"

static char in_path[4200], out_path[4200];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_init();
    fuzz_path(in_path, sizeof in_path, "table.qtab");
    fuzz_path(out_path, sizeof out_path, "saved.qtab");
    return 0;
}

static void load(const uint8_t *data, size_t size)
{
    fuzz_write(in_path, data, size);
    clv_error err;
    clv_qtable *t = clv_qtable_load(in_path, &err);
    if (!t) {
        fuzz_check_error(err.code, &err, in_path);
        FUZZ_CHECK(err.code == CLV_EINPUT || err.code == CLV_ENOMEM, "status %d loading a table: %s", err.code,
                   err.msg);
        return;
    }
    /* magic, 4 sizes, Q, visits, statistics, CRC */
    const size_t n = t->n_states * t->n_actions;
    FUZZ_CHECK(t->n_states >= 1 && t->n_actions >= 1 && n / t->n_actions == t->n_states &&
                   8 + 32 + n * (sizeof *t->q + sizeof *t->visits + CLV_QSTATS * sizeof *t->stats) + 4 == size,
               "a table of %zu x %zu from a file of %zu bytes", t->n_states, t->n_actions, size);
    for (size_t s = 0; s < t->n_states; s++) {
        int g = clv_agent_greedy(t, s);
        FUZZ_CHECK(g >= 0 && (size_t)g < t->n_actions, "greedy action %d of %zu", g, t->n_actions);
        int c = clv_agent_confident(t, s, 0, 0.9);
        FUZZ_CHECK(c >= 0 && (size_t)c < t->n_actions, "confident action %d of %zu", c, t->n_actions);
    }
    FILE *fp = fopen("/dev/null", "w");
    FUZZ_CHECK(fp, "/dev/null");
    int st = clv_qtable_write_csv(t, NULL, fp, &err);
    fclose(fp);
    FUZZ_CHECK(st == CLV_OK, "clv_qtable_write_csv: %s", err.msg);
    st = clv_qtable_save(t, out_path, &err);
    FUZZ_CHECK(st == CLV_OK, "clv_qtable_save: %s", err.msg);
    clv_qtable_free(t);
    size_t n2;
    uint8_t *again = fuzz_read_all(out_path, &n2);
    FUZZ_CHECK(n2 == size && memcmp(again, data, size) == 0, "the table saves as other bytes (%zu, not %zu)", n2,
               size);
    free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_binary_file(load, data, size);
    return 0;
}
