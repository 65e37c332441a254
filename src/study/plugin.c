/* plugin.c - a researcher's own policy from a shared object (dlopen), as a study's own policy. */
#include "clvsim/plugin.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int clv_plugin_open(const char *path, clv_plugin *out, clv_error *err)
{
    memset(out, 0, sizeof *out);
    if (!path || !*path)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "no plugin file given");
    if (strlen(path) >= sizeof out->path)
        return clv_error_set(err, CLV_EINPUT, path, 0, NULL, "the path is longer than %zu bytes",
                             sizeof out->path - 1);
    dlerror();
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        return clv_error_set(err, CLV_EIO, path, 0, NULL, "cannot load the policy plugin: %s",
                             why ? why : "unknown reason");
    }
    /* dlsym returns void *; the entry point is a function (POSIX allows the conversion) */
    clv_policy_plugin_fn entry;
    void *sym = dlsym(h, CLV_PLUGIN_ENTRY);
    memcpy(&entry, &sym, sizeof entry);
    int st = CLV_OK;
    const clv_policy_plugin *d = NULL;
    if (!sym)
        st = clv_error_set(err, CLV_EINPUT, path, 0, NULL, "not a clvsim policy plugin: it defines no function "
                           "%s (see clvsim/plugin.h)", CLV_PLUGIN_ENTRY);
    else if (!(d = entry()))
        st = clv_error_set(err, CLV_EINPUT, path, 0, NULL, "%s() returned NULL", CLV_PLUGIN_ENTRY);
    else if (d->abi != CLV_PLUGIN_ABI)
        st = clv_error_set(err, CLV_EINPUT, path, 0, NULL, "the plugin was built for plugin ABI %d; this clvsim "
                           "has ABI %d: rebuild it against this clvsim's clvsim/plugin.h", d->abi, CLV_PLUGIN_ABI);
    else if (!d->name || !d->make)
        st = clv_error_set(err, CLV_EINPUT, path, 0, NULL, "the plugin's description has no %s",
                           d->name ? "make function" : "name");
    if (st != CLV_OK) {
        dlclose(h);
        return st;
    }
    out->handle = h;
    out->def = d;
    snprintf(out->path, sizeof out->path, "%s", path);
    return CLV_OK;
}

void clv_plugin_close(clv_plugin *p)
{
    if (p->handle)
        dlclose(p->handle);
    memset(p, 0, sizeof *p);
}

static int make_own(void *ctx, const clv_scenario *scn, clv_policy *out, clv_error *err)
{
    const clv_plugin *p = ctx;
    memset(out, 0, sizeof *out);
    int st = p->def->make(scn, out, err);
    if (st != CLV_OK && err && !err->file[0]) /* name the plugin when it did not say where */
        snprintf(err->file, sizeof err->file, "%s", p->path);
    return st;
}

clv_study_own clv_plugin_own(const clv_plugin *p)
{
    return (clv_study_own){p->def->name, p->def->label, p->def->doc, make_own, (void *)p};
}
