/* clvsim/plugin.h - a researcher's own policy, built as a shared object, compared in the main job.
 *
 * `clvsim run SCENARIO --policy-plugin FILE.so` (or a program's
 * clv_study_run with clv_plugin_own) puts a policy written outside clvsim
 * beside the listed ones: evaluated on the same worlds with common random
 * numbers, in every table, CSV, figure and the report, between no campaign
 * and the clairvoyant bound.
 *
 * The plugin: a shared object (cc -shared -fPIC -Iinclude policy.c -o
 * policy.so) that defines
 *
 *     const clv_policy_plugin *clvsim_policy_plugin(void);
 *
 * returning a static description whose abi is CLV_PLUGIN_ABI.  Its make
 * function is called once per study with the resolved scenario and fills a
 * clv_policy (sim.h): act chooses each customer's action from the epoch's
 * observations, may query the simulator read-only and must be
 * deterministic in its inputs (the results must not depend on the thread
 * count); ctx and release are the plugin's, freed by the study.  A plugin
 * may call any function of the public headers: the clvsim command exports
 * the library's symbols to what it loads (examples/policy_plugin.c is a
 * complete plugin; `make examples` builds it).
 *
 * Its policy is neither a fixed rule nor a learned one to clvsim: it is not
 * a candidate for the best fixed policy and is never verified (it is
 * compared as it is). */
#ifndef CLVSIM_PLUGIN_H
#define CLVSIM_PLUGIN_H

#include "clvsim/error.h"
#include "clvsim/scenario.h"
#include "clvsim/sim.h"
#include "clvsim/study.h"

#ifdef __cplusplus
extern "C" {
#endif

/* the version of this interface; a plugin built for another one is refused */
#define CLV_PLUGIN_ABI 1
/* the symbol a plugin defines */
#define CLV_PLUGIN_ENTRY "clvsim_policy_plugin"

typedef struct clv_policy_plugin {
    int abi;                /* CLV_PLUGIN_ABI */
    const char *name;       /* its key in the CSVs: 1 to 64 of A-Z a-z 0-9 . _ -, not a built-in policy's name */
    const char *label;      /* its name in tables and figures (at most 64 bytes, no line break); NULL: name */
    const char *doc;        /* one line on what it does (the report's list of policies); may be NULL */
    /* Make the policy for scn: CLV_OK, or an error status with err filled. */
    int (*make)(const clv_scenario *scn, clv_policy *out, clv_error *err);
} clv_policy_plugin;

/* the type of the entry point */
typedef const clv_policy_plugin *(*clv_policy_plugin_fn)(void);

/* A loaded plugin. */
typedef struct clv_plugin {
    void *handle;                   /* dlopen's */
    const clv_policy_plugin *def;   /* the plugin's description, checked */
    char path[1024];                /* as given */
} clv_plugin;

/* Load the plugin at path (dlopen; a path without '/' is looked up as
 * dlopen looks it up, so give ./FILE.so for one in the current
 * directory), find its entry point and check its description: the ABI,
 * the name's characters and length, a label without line breaks, a make
 * function.  CLV_OK with *out filled; CLV_EIO (path cannot be loaded: the
 * loader's message), CLV_EINPUT (no entry point, another ABI, a bad
 * name or label), with err naming path.  Close with clv_plugin_close. */
int clv_plugin_open(const char *path, clv_plugin *out, clv_error *err);

/* Unload (after every study that used it is freed); a zeroed plugin is a no-op. */
void clv_plugin_close(clv_plugin *p);

/* The plugin as a study's own policy (study.h), valid while p is open. */
clv_study_own clv_plugin_own(const clv_plugin *p);

#ifdef __cplusplus
}
#endif
#endif
