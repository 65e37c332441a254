/* example.c - a researcher's program built against an installed clvsim
 * (tools/check-install.sh compiles it with pkg-config and runs it). */
#include <stdio.h>

#include <clvsim/clvsim.h>
#include <gsl/gsl_errno.h>

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    if (argc != 2) {
        fprintf(stderr, "usage: example SCENARIO\n");
        return 2;
    }
    clv_scenario scn;
    clv_error err;
    if (clv_scn_load(argv[1], NULL, 0, &scn, &err) != CLV_OK) {
        char buf[2048];
        fprintf(stderr, "%s\n", clv_error_format(&err, buf, sizeof buf));
        return 2;
    }
    /* one draw from the scenario's behaviour stream, replication 0, block 0 */
    clv_rng r;
    clv_rng_seed(&r, (clv_stream_key){(uint64_t)scn.scenario.seed, CLV_STREAM_BEHAVIOUR, 0, 0});
    printf("clvsim %s: scenario %s, first draw %.6f\n", clv_version(), scn.scenario.name, clv_rng_uniform(&r));
    return 0;
}
