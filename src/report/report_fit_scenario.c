/* report_fit_scenario.c - DIR/scenario.cfg of `clvsim fit --scenario BASE`: the base with the fitted population, every key explicit. */
#include <stdio.h>

#include "clvsim/date.h"
#include "clvsim/fit_study.h"
#include "clvsim/io.h"
#include "clvsim/scenario.h"

int clv_fit_report_scenario(const clv_scenario *scn, const char *base_path, const clv_fit_study_opts *so,
                            const clv_outdir *od, clv_error *err)
{
    clv_afile af;
    int st = clv_outdir_stage(od, "scenario.cfg", so->log_path, &af, err);
    if (st != CLV_OK)
        return st;
    char cal[16];
    fprintf(af.fp, "# written by clvsim fit: the scenario %s with the population fitted to %s (calibration to %s;\n"
                   "# population.cfg has the fit's log-likelihoods and standard errors); population.customers is the\n"
                   "# log's cohort.  A complete scenario: clvsim run scenario.cfg (override keys with --set)\n",
            base_path, so->log_path, clv_date_format(so->calibration_end, cal));
    return clv_afile_end(&af, clv_scn_write(scn, af.fp, err), err);
}
