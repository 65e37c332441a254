/* clvsim/clvsim.h - the whole public API of clvsim, and its version.
 *
 * clvsim simulates customer lifecycles fitted to real transaction logs,
 * predicts customer lifetime value, and learns and compares coupon and
 * pricing policies.  Link with `pkg-config --cflags --libs clvsim`.
 *
 * Conventions of every module:
 * - functions that can fail return an int status (CLV_OK = 0) and describe
 *   the failure in a caller-supplied clv_error (error.h); the library never
 *   prints, exits or aborts on bad input;
 * - randomness comes only from keyed streams (rng.h), so results depend on
 *   the seed and never on the thread count;
 * - GSL's default error handler aborts the process: call
 *   gsl_set_error_handler_off() once at start-up, as the clvsim command does
 *   (clvsim checks every GSL status itself).
 */
#ifndef CLVSIM_CLVSIM_H
#define CLVSIM_CLVSIM_H

#define CLV_VERSION_MAJOR 0
#define CLV_VERSION_MINOR 1
#define CLV_VERSION_PATCH 0
#define CLV_VERSION "0.1.0"

#include "clvsim/agent.h"
#include "clvsim/btyd.h"
#include "clvsim/date.h"
#include "clvsim/error.h"
#include "clvsim/evaluate.h"
#include "clvsim/explain.h"
#include "clvsim/fit_study.h"
#include "clvsim/io.h"
#include "clvsim/ltv.h"
#include "clvsim/metrics.h"
#include "clvsim/mlp.h"
#include "clvsim/parallel.h"
#include "clvsim/plot.h"
#include "clvsim/plugin.h"
#include "clvsim/policy.h"
#include "clvsim/progress.h"
#include "clvsim/qfunc.h"
#include "clvsim/response.h"
#include "clvsim/response_study.h"
#include "clvsim/report.h"
#include "clvsim/rng.h"
#include "clvsim/scenario.h"
#include "clvsim/sim.h"
#include "clvsim/streams.h"
#include "clvsim/study.h"
#include "clvsim/txlog.h"
#include "clvsim/validate.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The version of the library actually linked (may differ from CLV_VERSION
 * of the headers an application was compiled with). */
const char *clv_version(void);

#ifdef __cplusplus
}
#endif
#endif
