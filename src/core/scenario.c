/* scenario.c - loading and validating scenario files against the key table. */
#include "clvsim/scenario.h"

#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#include "clvsim/date.h"
#include "scenario_schema.h"
#include "sharedir.h"

/* Integer literals beyond the 64-bit integers, which libconfig saturates or
 * wraps without a word (9223372036854775808L reads as 9223372036854775807):
 * the scan of the text records them, and the key that receives one is
 * refused with what was written (see scan_text). */
enum { MAX_BIG = 8 };
typedef struct bigints {
    int n;
    struct {
        char file[CLV_ERROR_FILE_MAX];
        int line;
        int claimed;                  /* a key's value: reported by that key */
        char text[48];                /* as written, without the L */
    } lit[MAX_BIG];
} bigints;

/* Where values come from while loading: a file (with its include directory),
 * a --set override, or the built-in defaults. */
typedef struct loader {
    const char *main_path;            /* the scenario file as given */
    char base_dir[CLV_PATH_MAX];      /* its directory: @include and relative paths */
    const char *origin;               /* non-NULL: every error names this instead of a file */
    bigints *big;                     /* NULL: none recorded (defaults) */
    clv_error *err;
    /* a main file with @include lines at its top level: the main file's own
     * settings first, then each base, the last included first; a key is
     * read from the first that gives it (n_chain 0: one file as libconfig
     * read it, includes inline) */
    const config_t *chain[1 + CLV_SCN_MAX_BASES];
    int n_chain;
    const char *base_path[CLV_SCN_MAX_BASES]; /* the bases as read (base_dir/name) */
    int n_base;
} loader;

/* ---- locations and descriptions for messages ---------------------------- */

static int is_base(const loader *ld, const char *f)
{
    for (int k = 0; f && k < ld->n_base; k++)
        if (strcmp(f, ld->base_path[k]) == 0)
            return 1;
    return 0;
}

static void setting_file(const loader *ld, const config_setting_t *s, char *buf, size_t n)
{
    const char *f = s ? config_setting_source_file(s) : NULL;
    if (ld->origin)
        snprintf(buf, n, "%s", ld->origin);
    else if (!f || strcmp(f, ld->main_path) == 0 || f[0] == '/' || is_base(ld, f))
        snprintf(buf, n, "%s", f ? f : ld->main_path);
    else /* libconfig names an included file as written in @include */
        snprintf(buf, n, "%.500s/%.500s", ld->base_dir, f);
}

static int setting_line(const loader *ld, const config_setting_t *s)
{
    return (ld->origin || !s) ? 0 : (int)config_setting_source_line(s);
}

/* error about setting s (which may be NULL: then the main file, no line) */
static int fail(const loader *ld, const config_setting_t *s, const char *field, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int fail(const loader *ld, const config_setting_t *s, const char *field, const char *fmt, ...)
{
    char file[CLV_ERROR_FILE_MAX];
    setting_file(ld, s, file, sizeof file);
    char msg[CLV_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return clv_error_set(ld->err, CLV_EINPUT, file, setting_line(ld, s), field, "%s", msg);
}

/* "an integer 5", "a string \"x\"", ... : what the user wrote */
static void describe(const config_setting_t *s, char *buf, size_t n)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        snprintf(buf, n, "%lld", (long long)config_setting_get_int64(s));
        break;
    case CONFIG_TYPE_FLOAT:
        snprintf(buf, n, "%.10g", config_setting_get_float(s));
        break;
    case CONFIG_TYPE_STRING:
        snprintf(buf, n, "\"%.60s\"", config_setting_get_string(s));
        break;
    case CONFIG_TYPE_BOOL:
        snprintf(buf, n, "%s", config_setting_get_bool(s) ? "true" : "false");
        break;
    case CONFIG_TYPE_GROUP:
        snprintf(buf, n, "a group { ... }");
        break;
    case CONFIG_TYPE_ARRAY:
        snprintf(buf, n, "an array [ ... ]");
        break;
    case CONFIG_TYPE_LIST:
        snprintf(buf, n, "a list ( ... )");
        break;
    default:
        snprintf(buf, n, "an unknown value");
    }
}

/* "an integer in [1, 3650]", "-1 or a number in [0, 1e+15]" */
static void range_text(const clv__key *k, int integer, char *buf, size_t n)
{
    char r[96];
    clv__scn_range_text(k, integer, r, sizeof r);
    const int unlimited = (k->flags & CLV__KF_UNLIMITED) != 0;
    snprintf(buf, n, "%s%s in %s", unlimited ? "-1 or " : "", integer ? "an integer" : "a number",
             r + (unlimited ? 6 : 0));
}

static int in_range(const clv__key *k, double v) { return clv__scn_in_range(k, v); }

static void enum_text(const char *const *names, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; names[i]; i++) {
        int k = snprintf(buf + len, n - len, "%s\"%s\"", i ? ", " : "", names[i]);
        if (k < 0 || (size_t)k >= n - len)
            break;
        len += (size_t)k;
    }
}

/* ---- storing one value -------------------------------------------------- */

static int is_int(const config_setting_t *s)
{
    int t = config_setting_type(s);
    return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
}

/* The literal beyond the 64-bit integers that libconfig read into the
 * integer setting s, or NULL: a recorded literal on the setting's line, which
 * is claimed (a line with two such literals pairs them with its settings in
 * table order; both are refused either way). */
static const char *big_literal(const loader *ld, const config_setting_t *s)
{
    if (!ld->big || !ld->big->n)
        return NULL;
    char file[CLV_ERROR_FILE_MAX];
    setting_file(ld, s, file, sizeof file);
    const int line = (int)config_setting_source_line(s);
    for (int i = 0; i < ld->big->n; i++)
        if (!ld->big->lit[i].claimed && ld->big->lit[i].line == line && strcmp(ld->big->lit[i].file, file) == 0) {
            ld->big->lit[i].claimed = 1;
            return ld->big->lit[i].text;
        }
    return NULL;
}

/* integer value of s into *v, checked against k's range */
static int get_int(const loader *ld, const clv__key *k, const config_setting_t *s, const char *field,
                   long long *v)
{
    char got[96], acc[128];
    range_text(k, 1, acc, sizeof acc);
    if (!is_int(s)) {
        describe(s, got, sizeof got);
        return fail(ld, s, field, "expected %s, got %s", acc, got);
    }
    const char *big = big_literal(ld, s);
    if (big)
        return fail(ld, s, field, "expected %s, got %s, which is beyond the 64-bit integers", acc, big);
    *v = config_setting_get_int64(s);
    if (!in_range(k, (double)*v))
        return fail(ld, s, field, "expected %s, got %lld", acc, *v);
    return CLV_OK;
}

static int get_real(const loader *ld, const clv__key *k, const config_setting_t *s, const char *field,
                    double *v)
{
    char got[96], acc[128];
    range_text(k, 0, acc, sizeof acc);
    const char *big = is_int(s) ? big_literal(ld, s) : NULL;
    if (big)
        return fail(ld, s, field, "expected %s, got %s", acc, big);
    if (config_setting_type(s) == CONFIG_TYPE_FLOAT)
        *v = config_setting_get_float(s);
    else if (is_int(s))
        *v = (double)config_setting_get_int64(s);
    else {
        describe(s, got, sizeof got);
        return fail(ld, s, field, "expected %s, got %s", acc, got);
    }
    if (!isfinite(*v) || !in_range(k, *v))
        return fail(ld, s, field, "expected %s, got %g", acc, *v);
    *v += 0.0; /* -0.0 becomes 0.0: a negative zero would divide to -inf */
    return CLV_OK;
}

static int get_enum(const loader *ld, const clv__key *k, const config_setting_t *s, const char *field,
                    int *v)
{
    char got[96], acc[400];
    enum_text(k->names, acc, sizeof acc);
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        describe(s, got, sizeof got);
        return fail(ld, s, field, "expected one of %s, got %s", acc, got);
    }
    const char *str = config_setting_get_string(s);
    for (int i = 0; k->names[i]; i++) {
        if (strcmp(str, k->names[i]) == 0) {
            *v = i;
            return CLV_OK;
        }
    }
    return fail(ld, s, field, "expected one of %s, got \"%.60s\"", acc, str);
}

/* string kinds: plain, date, date spec and path */
static int get_text(const loader *ld, const clv__key *k, const config_setting_t *s, const char *field,
                    char *dst)
{
    static const char *const what[] = {
        [CLV__K_STRING] = "a string", [CLV__K_DATE] = "a date \"YYYY-MM-DD\"",
        [CLV__K_DATESPEC] = "a day \"MM-DD\", \"black-friday\" or \"black-friday+N\" (N in 0..60)",
        [CLV__K_PATH] = "a file path"};
    char got[96];
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        describe(s, got, sizeof got);
        return fail(ld, s, field, "expected %s, got %s", what[k->type], got);
    }
    const char *str = config_setting_get_string(s);
    size_t len = strlen(str);
    if (len == 0) {
        if (!(k->flags & CLV__KF_EMPTY_OK))
            return fail(ld, s, field, "expected %s, got an empty string", what[k->type]);
        dst[0] = '\0';
        return CLV_OK;
    }
    if (k->type == CLV__K_DATE) {
        int32_t d;
        if (len != 10 || clv_date_parse(str, (int)len, &d) != 0)
            return fail(ld, s, field, "expected %s (a real calendar date), got \"%.60s\"", what[k->type], str);
    } else if (k->type == CLV__K_DATESPEC) {
        int32_t d;
        if (clv_datespec_resolve(str, 2000, &d) != 0)
            return fail(ld, s, field, "expected %s, got \"%.60s\"", what[k->type], str);
    } else if (k->type == CLV__K_PATH) {
        /* resolve against the scenario's directory, and require a readable file,
         * so that a typo is reported here rather than after an hour's training */
        char full[CLV_PATH_MAX * 2];
        if (str[0] == '/' || ld->origin)
            snprintf(full, sizeof full, "%s", str);
        else
            snprintf(full, sizeof full, "%s/%s", ld->base_dir, str);
        struct stat st;
        const char *why = NULL;
        if (stat(full, &st) != 0 || access(full, R_OK) != 0)
            why = strerror(errno);
        else if (!S_ISREG(st.st_mode))
            why = "not a regular file";
        if (why)
            return fail(ld, s, field, "cannot read file \"%.300s\": %s; expected a readable file "
                        "(relative paths are taken from the scenario file's directory)", full, why);
        char *abs = realpath(full, NULL);
        if (!abs)
            return fail(ld, s, field, "cannot resolve \"%.300s\": %s", full, strerror(errno));
        len = strlen(abs);
        if (len >= k->size) {
            free(abs);
            return fail(ld, s, field, "path longer than %zu characters", k->size - 1);
        }
        memcpy(dst, abs, len + 1);
        free(abs);
        return CLV_OK;
    }
    if (len >= k->size)
        return fail(ld, s, field, "expected %s of at most %zu characters, got %zu", what[k->type],
                    k->size - 1, len);
    memcpy(dst, str, len + 1);
    return CLV_OK;
}

/* arrays of ints, reals or enum names */
static int get_array(const loader *ld, const clv__key *k, const config_setting_t *s, const char *field,
                     char *base)
{
    char got[96];
    int n = config_setting_length(s);
    const char *kind = k->type == CLV__K_INT_ARRAY ? "integers"
                       : k->type == CLV__K_REAL_ARRAY ? "numbers" : "names";
    if (config_setting_type(s) != CONFIG_TYPE_ARRAY) {
        describe(s, got, sizeof got);
        return fail(ld, s, field, "expected an array [ ... ] of %s, got %s", kind, got);
    }
    if (n < k->min_count || (size_t)n > k->size) {
        if (k->min_count == (int)k->size)
            return fail(ld, s, field, "expected exactly %d %s, got %d", k->min_count, kind, n);
        return fail(ld, s, field, "expected %d to %zu %s, got %d", k->min_count, k->size, kind, n);
    }
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        char ef[CLV_ERROR_FIELD_MAX];
        snprintf(ef, sizeof ef, "%s[%d]", field, i);
        int st;
        if (k->type == CLV__K_INT_ARRAY) {
            long long v;
            if ((st = get_int(ld, k, e, ef, &v)) != CLV_OK)
                return st;
            ((int *)(base + k->off))[i] = (int)v;
            if ((k->flags & CLV__KF_ASCENDING) && i > 0 && ((int *)(base + k->off))[i - 1] >= v)
                return fail(ld, e, ef, "expected values in increasing order, got %lld after %d", v,
                            ((int *)(base + k->off))[i - 1]);
        } else if (k->type == CLV__K_REAL_ARRAY) {
            double v;
            if ((st = get_real(ld, k, e, ef, &v)) != CLV_OK)
                return st;
            ((double *)(base + k->off))[i] = v;
            if ((k->flags & CLV__KF_ASCENDING) && i > 0 && ((double *)(base + k->off))[i - 1] >= v)
                return fail(ld, e, ef, "expected values in increasing order, got %g after %g", v,
                            ((double *)(base + k->off))[i - 1]);
        } else {
            int v;
            if ((st = get_enum(ld, k, e, ef, &v)) != CLV_OK)
                return st;
            int *arr = (int *)(base + k->off);
            for (int j = 0; j < i && (k->flags & CLV__KF_UNIQUE); j++)
                if (arr[j] == v)
                    return fail(ld, e, ef, "\"%s\" is listed twice; expected each value at most once",
                                k->names[v]);
            arr[i] = v;
        }
    }
    *(int *)(base + k->count_off) = n;
    return CLV_OK;
}

static int store(const loader *ld, const clv__key *k, const config_setting_t *s, const char *field,
                 char *base);
static int apply_defaults(const loader *ld, const clv__key *keys, size_t n, char *base, int in_element);

/* a list of groups: each element gets the member defaults, then its values */
static int get_list(const loader *ld, const clv__key *k, const config_setting_t *s, const char *field,
                    char *base)
{
    char got[96];
    if (config_setting_type(s) != CONFIG_TYPE_LIST) {
        describe(s, got, sizeof got);
        return fail(ld, s, field, "expected a list ( { ... }, ... ) of groups, got %s", got);
    }
    int n = config_setting_length(s);
    if ((size_t)n > k->size)
        return fail(ld, s, field, "expected at most %zu elements, got %d", k->size, n);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        char ef[CLV_ERROR_FIELD_MAX];
        snprintf(ef, sizeof ef, "%s[%d]", field, i);
        if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
            describe(e, got, sizeof got);
            return fail(ld, e, ef, "expected a group { ... }, got %s", got);
        }
        char *elem = base + k->off + (size_t)i * k->elem_size;
        int st = apply_defaults(ld, k->sub, k->n_sub, elem, 1);
        if (st != CLV_OK)
            return st;
        /* unknown members first, in file order */
        for (int j = 0; j < config_setting_length(e); j++) {
            const config_setting_t *m = config_setting_get_elem(e, (unsigned)j);
            const char *name = config_setting_name(m);
            size_t q = 0;
            while (q < k->n_sub && strcmp(k->sub[q].path, name) != 0)
                q++;
            if (q == k->n_sub) {
                char acc[300] = "";
                for (size_t r = 0; r < k->n_sub; r++) {
                    strncat(acc, r ? ", " : "", sizeof acc - strlen(acc) - 1);
                    strncat(acc, k->sub[r].path, sizeof acc - strlen(acc) - 1);
                }
                char mf[CLV_ERROR_FIELD_MAX];
                snprintf(mf, sizeof mf, "%.100s.%.40s", ef, name);
                return fail(ld, m, mf, "unknown key; accepted keys in an element of %s: %s", k->path, acc);
            }
        }
        for (size_t q = 0; q < k->n_sub; q++) {
            const clv__key *mk = &k->sub[q];
            const config_setting_t *m = config_setting_get_member(e, mk->path);
            char mf[CLV_ERROR_FIELD_MAX];
            snprintf(mf, sizeof mf, "%.100s.%.40s", ef, mk->path);
            if (!m) {
                if (mk->flags & CLV__KF_REQUIRED)
                    return fail(ld, e, mf, "missing required key; every element of %s needs it", k->path);
                continue;
            }
            if ((st = store(ld, mk, m, mf, elem)) != CLV_OK)
                return st;
        }
    }
    *(int *)(base + k->count_off) = n;
    return CLV_OK;
}

static int store(const loader *ld, const clv__key *k, const config_setting_t *s, const char *field,
                 char *base)
{
    char got[96];
    void *dst = base + k->off;
    int st;
    switch (k->type) {
    case CLV__K_BOOL:
        if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
            describe(s, got, sizeof got);
            return fail(ld, s, field, "expected true or false, got %s", got);
        }
        *(int *)dst = config_setting_get_bool(s);
        return CLV_OK;
    case CLV__K_INT:
    case CLV__K_INT64: {
        long long v;
        if ((st = get_int(ld, k, s, field, &v)) != CLV_OK)
            return st;
        if (k->type == CLV__K_INT)
            *(int *)dst = (int)v;
        else
            *(int64_t *)dst = (int64_t)v;
        return CLV_OK;
    }
    case CLV__K_REAL:
        return get_real(ld, k, s, field, (double *)dst);
    case CLV__K_ENUM:
        return get_enum(ld, k, s, field, (int *)dst);
    case CLV__K_STRING:
    case CLV__K_DATE:
    case CLV__K_DATESPEC:
    case CLV__K_PATH:
        return get_text(ld, k, s, field, (char *)dst);
    case CLV__K_INT_ARRAY:
    case CLV__K_REAL_ARRAY:
    case CLV__K_ENUM_ARRAY:
        return get_array(ld, k, s, field, base);
    case CLV__K_LIST:
        return get_list(ld, k, s, field, base);
    case CLV__K_GROUP:
        break;
    }
    if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
        describe(s, got, sizeof got);
        return fail(ld, s, field, "expected a group { ... }, got %s", got);
    }
    return CLV_OK;
}

static int scan_text(const loader *ld, const char *path, const char *t, int depth);

/* store the value written as libconfig text into key k of base */
static int store_text(const loader *ld, const clv__key *k, const char *text, char *base)
{
    char buf[CLV_PATH_MAX + 64];
    if (snprintf(buf, sizeof buf, "v = %s;", text) >= (int)sizeof buf)
        return clv_error_set(ld->err, CLV_EINPUT, ld->origin, 0, k->path, "value too long");
    /* the same guard against 32-bit wrapping as for files */
    int st = scan_text(ld, ld->origin, buf, 0);
    if (st != CLV_OK) {
        if (ld->err) {
            ld->err->line = 0;
            snprintf(ld->err->field, sizeof ld->err->field, "%s", k->path);
        }
        return st;
    }
    config_t cf;
    config_init(&cf);
    if (!config_read_string(&cf, buf)) {
        st = clv_error_set(ld->err, CLV_EINPUT, ld->origin, 0, k->path,
                           "cannot read the value '%s' (%s); write it as in a scenario file, e.g. "
                           "90, 0.5, true, \"text\" or [1.0, 0.9]",
                           text, config_error_text(&cf));
    } else {
        st = store(ld, k, config_lookup(&cf, "v"), k->path, base);
    }
    config_destroy(&cf);
    return st;
}

static int apply_defaults(const loader *ld, const clv__key *keys, size_t n, char *base, int in_element)
{
    loader dl = *ld;
    dl.origin = "built-in default";
    for (size_t i = 0; i < n; i++) {
        if (keys[i].type == CLV__K_GROUP)
            continue;
        if (in_element && (keys[i].flags & CLV__KF_REQUIRED))
            continue;
        int st = store_text(&dl, &keys[i], keys[i].def, base);
        if (st != CLV_OK)
            return st;
    }
    return CLV_OK;
}

int clv_scn_defaults(clv_scenario *scn, clv_error *err)
{
    memset(scn, 0, sizeof *scn);
    loader ld = {.main_path = "", .base_dir = ".", .origin = NULL, .err = err};
    return apply_defaults(&ld, clv__scn_keys, clv__scn_n_keys, (char *)scn, 0);
}

/* ---- the walk that finds unknown keys and misplaced groups ---------------- */

static int walk(const loader *ld, const config_setting_t *group, const char *prefix)
{
    int n = config_setting_length(group);
    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
        /* a nameless setting in a group: libconfig could not copy its name */
        if (!config_setting_name(s))
            return clv_error_set(ld->err, CLV_ENOMEM, ld->main_path, 0, NULL,
                                 "out of memory reading the scenario (libconfig)");
        char path[CLV_ERROR_FIELD_MAX];
        snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "." : "", config_setting_name(s));
        const clv__key *k = clv__scn_find(path);
        if (!k) {
            /* list the keys accepted at this level */
            char acc[CLV_ERROR_MSG_MAX - 120] = "";
            size_t pl = strlen(prefix);
            for (size_t j = 0; j < clv__scn_n_keys; j++) {
                const char *kp = clv__scn_keys[j].path;
                const char *rest = kp + pl + (pl ? 1 : 0);
                if ((pl && (strncmp(kp, prefix, pl) != 0 || kp[pl] != '.')) || strchr(rest, '.'))
                    continue;
                strncat(acc, acc[0] ? ", " : "", sizeof acc - strlen(acc) - 1);
                strncat(acc, rest, sizeof acc - strlen(acc) - 1);
            }
            if (pl)
                return fail(ld, s, path, "unknown key; accepted keys in %s: %s", prefix, acc);
            return fail(ld, s, path, "unknown section; accepted sections: %s", acc);
        }
        if (k->type == CLV__K_GROUP) {
            if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
                char got[96];
                describe(s, got, sizeof got);
                return fail(ld, s, path, "expected a group { ... }, got %s", got);
            }
            int st = walk(ld, s, path);
            if (st != CLV_OK)
                return st;
        }
    }
    return CLV_OK;
}

/* values of the file, key by key in table order */
/* the setting of path: in cf, or through ld's chain (the first file that gives it) */
static const config_setting_t *lookup(const loader *ld, const config_t *cf, const char *path)
{
    if (!ld->n_chain)
        return cf ? config_lookup(cf, path) : NULL;
    for (int k = 0; k < ld->n_chain; k++) {
        const config_setting_t *s = config_lookup(ld->chain[k], path);
        if (s)
            return s;
    }
    return NULL;
}

static int read_values(const loader *ld, const config_t *cf, clv_scenario *scn)
{
    for (size_t i = 0; i < clv__scn_n_keys; i++) {
        const clv__key *k = &clv__scn_keys[i];
        const config_setting_t *s = lookup(ld, cf, k->path);
        if (k->type == CLV__K_GROUP) {
            if (!s || !(k->flags & CLV__KF_ALL_REQUIRED))
                continue;
            /* a parameter group is all or nothing: half a fitted parameter
             * set mixed with defaults would be silently wrong */
            size_t pl = strlen(k->path);
            char names[200] = "";
            for (size_t j = i + 1; j < clv__scn_n_keys && strncmp(clv__scn_keys[j].path, k->path, pl) == 0; j++) {
                strncat(names, names[0] ? ", " : "", sizeof names - strlen(names) - 1);
                strncat(names, clv__scn_keys[j].path + pl + 1, sizeof names - strlen(names) - 1);
            }
            for (size_t j = i + 1; j < clv__scn_n_keys && strncmp(clv__scn_keys[j].path, k->path, pl) == 0; j++)
                if (!lookup(ld, cf, clv__scn_keys[j].path))
                    return fail(ld, s, clv__scn_keys[j].path,
                                "missing required key; when %s is given, all of %s are required",
                                k->path, names);
            continue;
        }
        if (!s)
            continue;
        int st = store(ld, k, s, k->path, (char *)scn);
        if (st != CLV_OK)
            return st;
    }
    return CLV_OK;
}

/* ---- what may be read as a scenario --------------------------------------
 * libconfig opens a path with fopen and reads it with its scanner, which
 * calls exit() when reading fails (a directory: EISDIR), blocks on a FIFO
 * until someone writes to it, and never ends on /dev/zero.  So the main
 * file and every file it includes are checked first, by stat (which blocks
 * on nothing): a regular file of at most CLV_SCN_FILE_MAX bytes. */

static const char *file_kind(mode_t m)
{
    return S_ISDIR(m) ? "a directory" : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device"
           : S_ISFIFO(m) ? "a FIFO (named pipe)" : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

/* path (what the user wrote: name, NULL for the main file) as a scenario
 * file; errors name where (file and line of the @include, or path) */
static int check_file(const loader *ld, const char *path, const char *where, int line, const char *name)
{
    struct stat st;
    char what[CLV_PATH_MAX * 3 + 32] = "";
    if (name)
        snprintf(what, sizeof what, "@include \"%.1000s\": %.2000s ", name, path);
    if (stat(path, &st) != 0) {
        const int e = errno;
        if (!name)
            return clv_error_set(ld->err, e == ENOENT ? CLV_EINPUT : CLV_EIO, path, 0, NULL,
                                 "cannot open scenario: %s", strerror(e));
        return clv_error_set(ld->err, CLV_EINPUT, where, line, NULL,
                             "@include \"%.1000s\": cannot open %s: %s; an @include path is taken relative to the "
                             "directory of the main scenario file (%s)",
                             name, path, strerror(e), ld->base_dir);
    }
    if (!S_ISREG(st.st_mode))
        return clv_error_set(ld->err, CLV_EINPUT, where, line, NULL, "%sis %s; expected a scenario file (a regular file)",
                             what, file_kind(st.st_mode));
    if (st.st_size > CLV_SCN_FILE_MAX)
        return clv_error_set(ld->err, CLV_EINPUT, where, line, NULL,
                             "%sis %lld bytes; a scenario file may have at most %d bytes", what,
                             (long long)st.st_size, CLV_SCN_FILE_MAX);
    return CLV_OK;
}

/* ---- integers beyond 32 and 64 bits -----------------------------------------
 * libconfig 1.5 reads an integer literal without an L suffix into 32 bits and
 * silently wraps larger values (3000000000 becomes -1294967296, 0xffffffff
 * becomes -1), and one with an L into 64 bits, saturating beyond
 * (9223372036854775808L becomes 9223372036854775807, so two seeds would give
 * the same run) or wrapping hexadecimal ones (0xffffffffffffffffL becomes
 * -1).  A wrapped or saturated seed or size would be a silently wrong result,
 * so the text is scanned for such literals before libconfig reads it: a
 * literal that fits in 64 bits but not in 32 without its L is an error here
 * (add the L); one beyond 64 bits is recorded, and the key that receives it
 * is refused with its accepted range (get_int, get_real). */

/* the 64-bit integers: decimal magnitude up to 2^63 - 1 (2^63 when negative), hexadecimal up to 2^63 - 1 */
static int fits_int64(unsigned long long v, int overflow, int hex, int neg)
{
    return !overflow && v <= (hex || !neg ? 9223372036854775807ULL : 9223372036854775808ULL);
}

static int record_big(const loader *ld, const char *path, int line, const char *lit, int len, int neg)
{
    if (!ld->big || ld->big->n == MAX_BIG)
        return clv_error_set(ld->err, CLV_EINPUT, path, line, NULL,
                             "integer %s%.*s is beyond the 64-bit integers [-9223372036854775808, "
                             "9223372036854775807]", neg ? "-" : "", len, lit);
    bigints *b = ld->big;
    snprintf(b->lit[b->n].file, sizeof b->lit[b->n].file, "%s", path);
    b->lit[b->n].line = line;
    b->lit[b->n].claimed = 0;
    snprintf(b->lit[b->n].text, sizeof b->lit[b->n].text, "%s%.*s%s", neg ? "-" : "", len > 40 ? 40 : len, lit,
             len > 40 ? "..." : "");
    b->n++;
    return CLV_OK;
}

static int scan_ints(const loader *ld, const char *path, int depth);

static int scan_text(const loader *ld, const char *path, const char *t, int depth)
{
    int line = 1;
    for (const char *p = t; *p;) {
        if (*p == '\n') {
            line++;
            p++;
        } else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
            while (*p && *p != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
                line += *p == '\n';
            if (*p)
                p += 2;
        } else if (*p == '"') {
            const char *start = ++p;
            while (*p && *p != '"' && *p != '\n')
                p += (*p == '\\' && p[1]) ? 2 : 1;
            /* an @include directive: scan the included file too */
            const char *q = start - 1;
            while (q > t && (q[-1] == ' ' || q[-1] == '\t'))
                q--;
            if (q - t >= 8 && strncmp(q - 8, "@include", 8) == 0 && depth < 10) {
                /* the path as libconfig 1.5 forms it: the include directory
                 * (the main file's), a slash and the name, at every depth */
                char name[CLV_PATH_MAX], inc[CLV_PATH_MAX * 2];
                snprintf(name, sizeof name, "%.*s", (int)(p - start), start);
                if (name[0] == '/')
                    return clv_error_set(ld->err, CLV_EINPUT, path, line, NULL,
                                         "@include \"%.1000s\": an absolute path; libconfig 1.5 takes every @include "
                                         "path relative to the directory of the main scenario file (%s)",
                                         name, ld->base_dir);
                snprintf(inc, sizeof inc, "%s/%s", ld->base_dir, name);
                int st = check_file(ld, inc, path, line, name);
                if (st == CLV_OK)
                    st = scan_ints(ld, inc, depth + 1);
                if (st != CLV_OK)
                    return st;
            }
            if (*p == '"')
                p++;
        } else if (isdigit((unsigned char)*p) &&
                   (p == t || !(isalnum((unsigned char)p[-1]) || p[-1] == '_' || p[-1] == '.'))) {
            const char *start = p;
            int hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
            if (hex)
                p += 2;
            while (isxdigit((unsigned char)*p) && (hex || isdigit((unsigned char)*p)))
                p++;
            const int len = (int)(p - start); /* the digits, without a suffix */
            int is_float = !hex && (*p == '.' || *p == 'e' || *p == 'E');
            int has_l = *p == 'L';
            while (isalnum((unsigned char)*p) || *p == '.' || *p == '_' ||
                   ((*p == '+' || *p == '-') && (p[-1] == 'e' || p[-1] == 'E')))
                p++;
            if (!is_float) {
                const int neg = start > t && start[-1] == '-';
                errno = 0;
                unsigned long long v = strtoull(start, NULL, hex ? 16 : 10);
                const int over = errno == ERANGE;
                if (!fits_int64(v, over, hex, neg)) {
                    int st = record_big(ld, path, line, start, len, neg);
                    if (st != CLV_OK)
                        return st;
                } else if (!has_l && v > (hex ? 0x7fffffffULL : (neg ? 2147483648ULL : 2147483647ULL))) {
                    return clv_error_set(ld->err, CLV_EINPUT, path, line, NULL,
                                         "integer %s%.*s is too large for a plain integer, which "
                                         "libconfig reads in 32 bits; write it with an L suffix "
                                         "(%s%.*sL) for a 64-bit integer",
                                         neg ? "-" : "", len, start, neg ? "-" : "", len, start);
                }
            }
        } else {
            p++;
        }
    }
    return CLV_OK;
}

/* the text of path into *out (malloc'd, NUL-terminated; NULL when the file
 * cannot be opened: libconfig reports it with its own message) */
static int read_text(const loader *ld, const char *path, char **out)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return CLV_OK;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    char chunk[8192];
    size_t k;
    while ((k = fread(chunk, 1, sizeof chunk, fp)) > 0) {
        if (len + k + 1 > cap) {
            cap = (len + k + 1) * 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(fp);
                return clv_error_set(ld->err, CLV_ENOMEM, path, 0, NULL, "out of memory reading the file");
            }
            buf = nb;
        }
        memcpy(buf + len, chunk, k);
        len += k;
    }
    fclose(fp);
    if (!buf) /* an empty file */
        buf = calloc(1, 1);
    if (!buf)
        return clv_error_set(ld->err, CLV_ENOMEM, path, 0, NULL, "out of memory reading the file");
    buf[len] = '\0';
    *out = buf;
    return CLV_OK;
}

static int scan_ints(const loader *ld, const char *path, int depth)
{
    char *buf = NULL;
    int st = read_text(ld, path, &buf);
    if (st != CLV_OK || !buf)
        return st;
    st = scan_text(ld, path, buf, depth);
    free(buf);
    return st;
}

/* ---- checks across keys ---------------------------------------------------- */

/* the setting of a key in the file, if the file gave it */
static const config_setting_t *where(const loader *ld, const config_t *cf, const char *path)
{
    return lookup(ld, cf, path);
}

/* overridden_path: the origin of the override that set path, or NULL */
static int cross_fail(const loader *ld, const config_t *cf, const char *overridden_path,
                      const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static int cross_fail(const loader *ld, const config_t *cf, const char *overridden_path,
                      const char *path, const char *fmt, ...)
{
    char msg[CLV_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    loader l2 = *ld;
    if (overridden_path)
        l2.origin = overridden_path;
    const config_setting_t *s = overridden_path ? NULL : where(ld, cf, path);
    return fail(&l2, s, path, "%s", msg);
}

/* ---- the limits of the combinations ---------------------------------------
 * Each key's range keeps each value sane; these keep their combinations
 * within what the simulator represents and runs in reasonable time. */

/* the mean purchase rate r / alpha of a customer, a day: the simulator
 * handles every purchase as an event, and BTYD describes customers who buy
 * now and then, not hundreds of times a day */
#define MAX_RATE_PER_DAY 10.0
/* the mean spend of one transaction, p x gamma / (q - 1), in currency units */
#define MAX_MEAN_SPEND 1e9
/* on any day: day of week times the windows' purchase multipliers, and the
 * product of their acquisition multipliers; each factor is at most 100, so
 * one window on any weekday passes, while many overlapping windows, which
 * multiply, would make the intensity explode */
#define MAX_DAY_MULTIPLIER 1e4
/* customers in one simulated world (existing x run.scale plus the expected
 * arrivals): their indices are 32-bit (clv_sim_tx.customer) and each takes
 * about 200 bytes, so a billion is 200 GB */
#define MAX_WORLD 1e9

/* the multiplier of day d: purchase intensity (day of week times the
 * windows'), or with acquisition the windows' acquisition multipliers; the
 * names of the windows that hold d into names */
static double day_multiplier(const clv_scenario *scn, int32_t d, int acquisition, char *names, size_t n)
{
    const clv_scn_seasonality *se = &scn->seasonality;
    if (names)
        names[0] = '\0';
    if (!se->enabled || (acquisition && !scn->acquisition.seasonal))
        return 1;
    double m = acquisition ? 1 : se->day_of_week[clv_date_weekday(d)];
    for (int i = 0; i < se->n_windows; i++) {
        const clv_scn_window *w = &se->windows[i];
        if (clv_datespec_window(w->start, w->end, d) != 1)
            continue;
        m *= acquisition ? w->acquisition_multiplier : w->purchase_multiplier;
        if (names) {
            strncat(names, names[0] ? ", " : "", n - strlen(names) - 1);
            strncat(names, w->name, n - strlen(names) - 1);
        }
    }
    return m;
}

/* year, month and day of a day number as text, also past 9999 */
static char *ymd_text(int32_t d, char *buf, size_t n)
{
    int y, m, dd;
    clv_date_to_ymd(d, &y, &m, &dd);
    snprintf(buf, n, "%s%04d-%02d-%02d", y < 0 ? "-" : "", y < 0 ? -y : y, m, dd);
    return buf;
}

typedef struct {
    const clv_scn_override *ov;
    size_t n;
} overrides;

/* the origin of the override that had the last word on path, or NULL */
static const char *overridden(const overrides *o, const char *path)
{
    for (size_t i = o->n; i-- > 0;)
        if (strcmp(o->ov[i].key, path) == 0)
            return o->ov[i].origin ? o->ov[i].origin : "--set";
    return NULL;
}

/* Of the keys of a combination, the one to name: the last one an override
 * set (the user's latest word), else the first. */
static const char *blame(const overrides *o, const char *const *keys, int n)
{
    for (size_t i = o->n; i-- > 0;)
        for (int k = 0; k < n; k++)
            if (strcmp(o->ov[i].key, keys[k]) == 0)
                return keys[k];
    return keys[0];
}

static int policy_listed(const clv_scenario *scn, int kind)
{
    for (int i = 0; i < scn->evaluation.n_policies; i++)
        if (scn->evaluation.policies[i] == kind)
            return 1;
    return 0;
}

static int cross_check(const loader *ld, const config_t *cf, const overrides *o, const clv_scenario *scn)
{
#define CHECK(cond, path, ...)                                                   \
    do {                                                                         \
        if (!(cond))                                                             \
            return cross_fail(ld, cf, overridden(o, path), path, __VA_ARGS__);   \
    } while (0)
    /* a check of a combination: the key named is blame()'s */
#define CHECK_OF(cond, keys, ...)                                                \
    do {                                                                         \
        if (!(cond)) {                                                           \
            const char *k_ = blame(o, keys, (int)(sizeof keys / sizeof keys[0])); \
            return cross_fail(ld, cf, overridden(o, k_), k_, __VA_ARGS__);       \
        }                                                                        \
    } while (0)
    /* the contact effects: per arm one "all" row; the levels of an arm's
     * covariate in increasing upper bounds, an unbounded one only last; a
     * coupon's contact arm among the arms */
    const clv_scn_response *r = &scn->response;
    const char *arms[CLV_MAX_CONTACT_EFFECTS];
    const int n_arms = clv_scn_contact_arms(scn, arms);
    for (int a = 0; a < n_arms; a++) {
        int all = 0;
        double prod = 1;
        for (int c = 0; c < CLV_CONTACT_N; c++) {
            double last = -INFINITY, fmax = 0;
            int unbounded = 0;
            for (int e = 0; e < r->n_contact; e++) {
                const clv_scn_contact_effect *x = &r->contact[e];
                if (x->covariate != c || strcmp(x->arm, arms[a]) != 0)
                    continue;
                if (c == CLV_CONTACT_ALL) {
                    all++;
                    prod *= x->factor;
                    continue;
                }
                CHECK(!unbounded, "response.contact.effects",
                      "arm \"%s\", covariate \"%s\": level \"%s\" follows the unbounded level (upper = -1); "
                      "expected the levels in increasing upper, the unbounded one last", arms[a],
                      clv_contact_covariate_name(c), x->level);
                CHECK(x->upper < 0 || x->upper > last, "response.contact.effects",
                      "arm \"%s\", covariate \"%s\": level \"%s\" has upper %g after %g; expected increasing "
                      "upper bounds", arms[a], clv_contact_covariate_name(c), x->level,
                      x->upper, last);
                unbounded = x->upper < 0;
                last = x->upper;
                fmax = x->factor > fmax ? x->factor : fmax;
            }
            if (c != CLV_CONTACT_ALL && fmax > 0)
                prod *= fmax;
        }
        CHECK(all == 1, "response.contact.effects",
              "arm \"%s\" has %d rows with covariate \"all\"; expected exactly one (its effect at the reference "
              "levels)", arms[a], all);
        CHECK(prod <= 100, "response.contact.effects",
              "arm \"%s\": the largest rate ratio, the product of its largest factors, is %g; expected at most 100",
              arms[a], prod);
    }
    for (int k = 0; k < scn->interventions.n_coupons; k++) {
        const char *want = scn->interventions.coupons[k].contact_arm;
        if (!want[0])
            continue;
        int found = 0;
        for (int a = 0; a < n_arms; a++)
            found |= strcmp(arms[a], want) == 0;
        CHECK(found, "interventions.coupons",
              "coupon \"%s\": contact_arm \"%s\" is not an arm of response.contact.effects (%s%s)",
              scn->interventions.coupons[k].name, want, n_arms ? "arms: " : "it has no rows",
              n_arms ? arms[0] : "");
    }

    const clv_scn_lifecycle *lc = &scn->lifecycle;
    CHECK(lc->active_days >= lc->new_days, "lifecycle.active_days",
          "expected active_days >= new_days (%d), got %d", lc->new_days, lc->active_days);
    CHECK(lc->churned_days > lc->active_days, "lifecycle.churned_days",
          "expected churned_days > active_days (%d), got %d", lc->active_days, lc->churned_days);

    const clv_scn_data *d = &scn->data;
    CHECK(scn->population.source != CLV_SOURCE_FIT || d->transactions[0], "population.source",
          "\"fit\" needs a transaction log; set data.transactions (and data.calibration_end)");
    CHECK(scn->population.source != CLV_SOURCE_FIT || d->calibration_end[0], "population.source",
          "\"fit\" needs data.calibration_end, the last day of the calibration period");
    CHECK(scn->ltv.real_fraction == 0 || d->transactions[0], "ltv.real_fraction",
          "a share of real examples above 0 needs a transaction log; set data.transactions");
    if (d->calibration_end[0] && d->holdout_end[0]) {
        int32_t c, h;
        clv_date_parse(d->calibration_end, -1, &c);
        clv_date_parse(d->holdout_end, -1, &h);
        CHECK(h > c, "data.holdout_end", "expected a date after data.calibration_end (%s), got \"%s\"",
              d->calibration_end, d->holdout_end);
    }
    if (d->date_pattern[0]) {
        char why[160];
        CHECK(clv_date_pattern_check(d->date_pattern, why, sizeof why) == 0, "data.date_pattern", "%s, got \"%s\"",
              why, d->date_pattern);
    }
    CHECK(d->amount_kind == 0 || d->quantity_column > 0, "data.amount_kind",
          "\"unit-price\" needs a quantity column; set data.quantity_column");
    /* each column at most once: report the later key of a clashing pair */
    {
        static const char *const names[] = {"data.customer_column", "data.date_column",
                                            "data.amount_column", "data.quantity_column"};
        int cols[4] = {d->customer_column, d->date_column, d->amount_column, d->quantity_column};
        for (int i = 1; i < 4; i++)
            for (int j = 0; j < i; j++)
                CHECK(cols[i] == 0 || cols[i] != cols[j], names[i],
                      "expected a column different from %s (%d), got %d", names[j], cols[j], cols[i]);
    }
    const clv_scn_interventions *iv = &scn->interventions;
    CHECK(clv_scn_list_price(scn) >= 0, "interventions.prices", "expected the list price 1.0 among the price levels (the price of no campaign)");
    for (int i = 0; i < iv->n_coupons; i++)
        for (int j = 0; j < i; j++)
            CHECK(strcmp(iv->coupons[i].name, iv->coupons[j].name) != 0, "interventions.coupons",
                  "coupon name \"%s\" is used twice; expected distinct names", iv->coupons[i].name);
    static const int need_coupons[] = {CLV_POLICY_BLANKET, CLV_POLICY_RFM, CLV_POLICY_LTV_THRESHOLD,
                                       CLV_POLICY_WELCOME};
    for (size_t i = 0; i < sizeof need_coupons / sizeof need_coupons[0]; i++)
        CHECK(iv->n_coupons > 0 || !policy_listed(scn, need_coupons[i]), "evaluation.policies",
              "policy \"%s\" sends coupons, but interventions.coupons is empty",
              clv_scn_enum_name("evaluation.policies", need_coupons[i]));
    CHECK(!policy_listed(scn, CLV_POLICY_RFM) || scn->evaluation.rfm_coupon <= iv->n_coupons,
          "evaluation.rfm.coupon", "expected a coupon level in [1, %d] (interventions.coupons), got %d",
          iv->n_coupons, scn->evaluation.rfm_coupon);
    CHECK(!policy_listed(scn, CLV_POLICY_LTV_THRESHOLD) || scn->evaluation.ltv_coupon <= iv->n_coupons,
          "evaluation.ltv_threshold.coupon",
          "expected a coupon level in [1, %d] (interventions.coupons), got %d", iv->n_coupons,
          scn->evaluation.ltv_coupon);
    CHECK(!policy_listed(scn, CLV_POLICY_WELCOME) || scn->evaluation.welcome_coupon <= iv->n_coupons,
          "evaluation.welcome.coupon", "expected a coupon level in [1, %d] (interventions.coupons), got %d",
          iv->n_coupons, scn->evaluation.welcome_coupon);

    /* the population: each parameter is in range; their means too */
    const clv_scn_population *pop = &scn->population;
    const double ud = pop->unit == CLV_UNIT_WEEK ? 7.0 : 1.0;
    const char *unit = pop->unit == CLV_UNIT_WEEK ? "week" : "day";
    static const char *const rate_keys[2][3] = {
        {"population.bgnbd.alpha", "population.bgnbd.r", "population.unit"},
        {"population.pareto.alpha", "population.pareto.r", "population.unit"}};
    const double rs[2] = {pop->bgnbd.r, pop->pareto.r}, alphas[2] = {pop->bgnbd.alpha, pop->pareto.alpha};
    for (int m = 0; m < 2; m++)
        CHECK_OF(rs[m] / (alphas[m] * ud) <= MAX_RATE_PER_DAY, rate_keys[m],
                 "expected a mean purchase rate r / alpha of at most %g a day (%g a %s), got %.4g a day with "
                 "r = %.10g and alpha = %.10g (%ss): a larger alpha or a smaller r",
                 MAX_RATE_PER_DAY, MAX_RATE_PER_DAY * ud, unit, rs[m] / (alphas[m] * ud), rs[m], alphas[m], unit);
    static const char *const spend_keys[] = {"population.spend.gamma", "population.spend.p", "population.spend.q"};
    const double mean_spend = pop->spend.p * pop->spend.gamma / (pop->spend.q - 1);
    CHECK_OF(mean_spend <= MAX_MEAN_SPEND, spend_keys,
             "expected a mean spend per transaction p x gamma / (q - 1) of at most %g, got %.6g with p = %.10g, "
             "q = %.10g and gamma = %.10g", MAX_MEAN_SPEND, mean_spend, pop->spend.p, pop->spend.q, pop->spend.gamma);

    /* the calendar's days, from the burn-in (at least a day) to the end of
     * the longest world (the LTV predictor's runs ltv.horizon_days), lie in
     * 0001-01-01..9999-12-30: the day after the last is written as the end
     * of the last span of days, and must be a date too */
    int32_t start;
    const int32_t d_min = clv_date_from_ymd(1, 1, 1), d_max = clv_date_from_ymd(9999, 12, 30);
    clv_date_parse(scn->calendar.start, -1, &start);
    const int burn = pop->burn_in_days > 0 ? pop->burn_in_days : 1;
    char a[32];
    static const char *const first_keys[] = {"population.burn_in_days", "calendar.start"};
    CHECK_OF(start - burn >= d_min, first_keys,
             "expected the simulation to begin on 0001-01-01 or later, the first supported date, got %s: "
             "population.burn_in_days (%d; at least 1 is simulated) before calendar.start (%s)",
             ymd_text(start - burn, a, sizeof a), pop->burn_in_days, scn->calendar.start);
    static const char *const end_keys[2][2] = {{"calendar.horizon_days", "calendar.start"},
                                               {"ltv.horizon_days", "calendar.start"}};
    const int horizons[2] = {scn->calendar.horizon_days, scn->ltv.horizon_days};
    for (int w = 0; w < 2; w++)
        CHECK_OF(start + horizons[w] - 1 <= d_max, end_keys[w],
                 "expected %s to end on 9999-12-30 or earlier (the last supported date, 9999-12-31, must follow "
                 "it), got %s: %s (%d) from calendar.start (%s); at most %d days from this start",
                 w ? "the LTV predictor's world" : "the simulated days", ymd_text(start + horizons[w] - 1, a, sizeof a),
                 end_keys[w][0], horizons[w], scn->calendar.start, d_max - start + 1 > 0 ? (int)(d_max - start + 1) : 0);

    /* the price response: a customer's intensity multiplier price^elasticity,
     * whose elasticity is drawn normal (at most 0): at the lowest price and
     * five standard deviations out it is at most the day's bound, so that
     * no customer's intensity (a float) overflows */
    const clv_scn_response *rp = &scn->response;
    if (rp->enabled && rp->price_enabled && scn->interventions.n_prices > 0) {
        /* a holder who will use its coupon meets the price level times 1 - discount */
        double dmax = 0;
        for (int k = 0; k < scn->interventions.n_coupons; k++)
            dmax = scn->interventions.coupons[k].discount > dmax ? scn->interventions.coupons[k].discount : dmax;
        const double pmin = scn->interventions.prices[0] * (1 - dmax), e5 = rp->elasticity_mean - 5 * rp->elasticity_sd;
        const double k = pow(pmin, e5);
        static const char *const price_keys[] = {"interventions.prices", "response.price.elasticity_mean",
                                                 "response.price.elasticity_sd"};
        CHECK_OF(k <= MAX_DAY_MULTIPLIER, price_keys,
                 "expected the price response's largest intensity multiplier, the lowest price (times 1 - the "
                 "largest coupon discount) to the power elasticity_mean - 5 x elasticity_sd, to be at most %g, got %.4g = %g^%g: a higher lowest price "
                 "or a weaker elasticity", MAX_DAY_MULTIPLIER, k, pmin, e5);
    }
    /* a verification needs an interval: two worlds at least, or none (off) */
    CHECK(scn->evaluation.verification_replications != 1, "evaluation.verification.replications",
          "expected -1 (as many as evaluation.replications), 0 (no verification) or at least 2 verification "
          "worlds, got 1: one world gives no interval to verify with");
    /* a price policy needs its price level: one above list, below list, or
     * any but list (after the levels' own checks, which say more about a bad level) */
    CHECK(!policy_listed(scn, CLV_POLICY_PRICE_UP) || clv_scn_price_step(scn, 1) >= 0, "evaluation.policies",
          "policy \"price-up\" sets the nearest price level above list, but interventions.prices has no level "
          "above 1.0; expected a level above 1.0 in interventions.prices, or no \"price-up\" in "
          "evaluation.policies");
    CHECK(!policy_listed(scn, CLV_POLICY_PRICE_DOWN) || clv_scn_price_step(scn, -1) >= 0, "evaluation.policies",
          "policy \"price-down\" sets the nearest price level below list, but interventions.prices has no level "
          "below 1.0; expected a level below 1.0 in interventions.prices, or no \"price-down\" in "
          "evaluation.policies");
    CHECK(!policy_listed(scn, CLV_POLICY_PRICES) || clv_scn_price_step(scn, 1) >= 0 ||
              clv_scn_price_step(scn, -1) >= 0, "evaluation.policies",
          "policy \"prices\" stands for one policy per price level other than list, but interventions.prices has "
          "only the list price 1.0; expected other levels in interventions.prices, or no \"prices\" in "
          "evaluation.policies");

    /* the busiest day's multipliers, and the arrivals of each world */
    const int horizon = horizons[0] > horizons[1] ? horizons[0] : horizons[1];
    const double scale = scn->run.scale;
    double arrivals[2] = {0, 0}; /* over calendar.horizon_days and over ltv.horizon_days */
    static const char *const mult_keys[] = {"seasonality.windows", "seasonality.day_of_week"};
    for (int32_t day = start - burn; day < start + horizon; day++) {
        char names[200];
        for (int acq = 0; acq < 2; acq++) {
            const double m = day_multiplier(scn, day, acq, names, sizeof names);
            CHECK_OF(m <= MAX_DAY_MULTIPLIER, mult_keys,
                     "expected %s multiplier of at most %g on every day, got %.4g on %s: %s%s%s",
                     acq ? "an acquisition" : "a purchase intensity", MAX_DAY_MULTIPLIER, m, ymd_text(day, a, sizeof a),
                     acq ? "the product of the acquisition multipliers of the windows " : "the day of the week's "
                     "multiplier times the purchase multipliers of the windows ", names, names[0] ? "" : "(none)");
        }
        if (day >= start) {
            const double arr = scn->acquisition.rate_per_day * scale * day_multiplier(scn, day, 1, NULL, 0);
            arrivals[0] += day < start + horizons[0] ? arr : 0;
            arrivals[1] += day < start + horizons[1] ? arr : 0;
        }
    }
    static const char *const world_keys[3][3] = {
        {"population.customers", "run.scale", "acquisition.rate_per_day"},
        {"agent.customers", "run.scale", "acquisition.rate_per_day"},
        {"ltv.synthetic_customers", "run.scale", "acquisition.rate_per_day"}};
    const int64_t world_n[3] = {pop->customers, scn->agent.customers, scn->ltv.synthetic_customers};
    for (int w = 0; w < 3; w++) {
        const double n0 = (double)world_n[w] * scale, n1 = arrivals[w == 2];
        CHECK_OF(n0 + n1 <= MAX_WORLD, world_keys[w],
                 "expected at most %g customers in a simulated world, got %.4g: %s x run.scale (%g) = %.4g existing, "
                 "and %.4g expected arrivals over %s (acquisition.rate_per_day x run.scale x the seasonal "
                 "multipliers)", MAX_WORLD, n0 + n1, world_keys[w][0], scale, n0, n1,
                 w == 2 ? "ltv.horizon_days" : "calendar.horizon_days");
    }
    return CLV_OK;
#undef CHECK_OF
#undef CHECK
}

/* ---- loading --------------------------------------------------------------- */

static void file_stem(const char *path, char *buf, size_t n)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen(base);
    if (len > 4 && strcmp(base + len - 4, ".cfg") == 0)
        len -= 4;
    snprintf(buf, n, "%.*s", (int)len, base);
}

static int apply_overrides(loader *ld, const overrides *o, clv_scenario *scn)
{
    loader ol = *ld;
    for (size_t i = 0; i < o->n; i++) {
        const char *key = o->ov[i].key, *val = o->ov[i].value;
        ol.origin = o->ov[i].origin ? o->ov[i].origin : "--set";
        const clv__key *k = clv__scn_find(key);
        if (!k || k->type == CLV__K_GROUP)
            return clv_error_set(ld->err, CLV_EINPUT, ol.origin, 0, key,
                                 "%s; see scenarios/README.md or 'clvsim check --reference' for the keys",
                                 k ? "is a group; set one of its keys" : "unknown key");
        /* string-valued keys: accept the value without the quotes a shell eats */
        char quoted[CLV_PATH_MAX + 8];
        int stringy = k->type == CLV__K_STRING || k->type == CLV__K_ENUM || k->type == CLV__K_DATE ||
                      k->type == CLV__K_DATESPEC || k->type == CLV__K_PATH;
        if (stringy && val[0] != '"') {
            if (strchr(val, '"') || strchr(val, '\\') || strlen(val) >= CLV_PATH_MAX)
                return clv_error_set(ld->err, CLV_EINPUT, ol.origin, 0, key, "cannot read the value '%s'", val);
            snprintf(quoted, sizeof quoted, "\"%s\"", val);
            val = quoted;
        }
        /* a 64-bit key given as a plain integer (decimal or 0x...): add libconfig's L suffix */
        char with_l[48];
        size_t vl = strlen(val);
        const size_t sign = val[0] == '-', hex = vl > sign + 2 && val[sign] == '0' && (val[sign + 1] | 0x20) == 'x';
        if (k->type == CLV__K_INT64 && vl > sign && vl <= 40 &&
            strspn(val + sign + 2 * hex, hex ? "0123456789abcdefABCDEF" : "0123456789") == vl - sign - 2 * hex) {
            snprintf(with_l, sizeof with_l, "%.40sL", val);
            val = with_l;
        }
        int st = store_text(&ol, k, val, (char *)scn);
        if (st != CLV_OK)
            return st;
    }
    return CLV_OK;
}

/* libconfig's failure to read cf from path, as our error */
static int read_error(const loader *ld, const config_t *cf, const char *path)
{
    char file[CLV_ERROR_FILE_MAX];
    const char *ef = config_error_file(cf);
    if (!ef || strcmp(ef, path) == 0 || ef[0] == '/' || is_base(ld, ef))
        snprintf(file, sizeof file, "%s", ef ? ef : path);
    else
        snprintf(file, sizeof file, "%.500s/%.500s", ld->base_dir, ef);
    const char *text = config_error_text(cf);
    const int include = text && strstr(text, "include") != NULL;
    /* libconfig's reading failed for want of memory: not the file's fault */
    if (errno == ENOMEM || (text && strstr(text, "memory exhausted")))
        return clv_error_set(ld->err, CLV_ENOMEM, file, 0, NULL, "out of memory reading the scenario (libconfig)");
    return clv_error_set(ld->err, CLV_EINPUT, file, config_error_line(cf), NULL, "%s (libconfig)%s", text,
                         include ? "; an @include path is taken relative to the directory of the main scenario "
                                   "file, and must name a readable file (absolute paths are not supported)"
                                 : "");
}

/* The @include lines at the top level of text (outside every group, list
 * and array, strings and comments): their names, each line blanked in text (its line count kept, so that libconfig's lines stay
 * the file's).  At most CLV_SCN_MAX_BASES. */
static int top_includes(const loader *ld, const char *path, char *text, char names[][CLV_PATH_MAX], int *n)
{
    int depth = 0, line = 1, at_start = 1;
    *n = 0;
    for (char *p = text; *p;) {
        if (*p == '\n') {
            line++, p++, at_start = 1;
        } else if (*p == ' ' || *p == '\t' || *p == '\r') {
            p++;
        } else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
            while (*p && *p != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
                line += *p == '\n';
            if (*p)
                p += 2;
            at_start = 0;
        } else if (*p == '"') {
            for (p++; *p && *p != '"' && *p != '\n'; p += (*p == '\\' && p[1]) ? 2 : 1)
                ;
            if (*p == '"')
                p++;
            at_start = 0;
        } else if (depth == 0 && at_start && strncmp(p, "@include", 8) == 0) {
            char *start = p, *q = p + 8;
            while (*q == ' ' || *q == '\t')
                q++;
            char *name = q + 1, *end = *q == '"' ? strchr(name, '"') : NULL;
            char *nl = strchr(q, '\n');
            if (!end || (nl && end > nl)) /* libconfig reports the malformed line */
                return CLV_OK;
            if (*n == CLV_SCN_MAX_BASES)
                return clv_error_set(ld->err, CLV_EINPUT, path, line, NULL,
                                     "more than %d @include lines at the top level; a scenario file may build "
                                     "on at most %d bases", CLV_SCN_MAX_BASES, CLV_SCN_MAX_BASES);
            snprintf(names[(*n)++], CLV_PATH_MAX, "%.*s", (int)(end - name), name);
            for (p = start; *p && *p != '\n'; p++) /* the rest of the line: blanks (a comment may follow) */
                *p = ' ';
        } else {
            depth += (*p == '{' || *p == '(' || *p == '[') - (*p == '}' || *p == ')' || *p == ']');
            p++, at_start = 0;
        }
    }
    return CLV_OK;
}

/* the keys given by more than one file of ld's chain, into scn->origin
 * (chain[0] the main file, chain[c] the base n_inc - c) */
static void record_origins(const loader *ld, char names[][CLV_PATH_MAX], int n_inc, clv_scenario *scn)
{
    memset(&scn->origin, 0, sizeof scn->origin);
    scn->origin.n_bases = n_inc;
    for (int k = 0; k < n_inc; k++)
        snprintf(scn->origin.bases[k], sizeof scn->origin.bases[k], "%.1000s", names[k]);
    for (size_t i = 0; i < clv__scn_n_keys; i++) {
        const clv__key *key = &clv__scn_keys[i];
        if (key->type == CLV__K_GROUP)
            continue;
        int win = -1, over = -1; /* chain indices: the first that gives it, the next */
        const config_setting_t *won = NULL;
        for (int c = 0; c < ld->n_chain && over < 0; c++) {
            const config_setting_t *x = config_lookup(ld->chain[c], key->path);
            if (x && win < 0)
                win = c, won = x;
            else if (x)
                over = c;
        }
        if (over < 0)
            continue;
        if (scn->origin.n_keys < CLV_SCN_MAX_ORIGINS) {
            clv_scn_origin_key *o = &scn->origin.keys[scn->origin.n_keys];
            snprintf(o->key, sizeof o->key, "%s", key->path);
            o->from = win == 0 ? -1 : n_inc - win;
            o->line = (int)config_setting_source_line(won);
            o->over = n_inc - over;
        }
        scn->origin.n_keys++;
    }
}

int clv_scn_load(const char *path, const clv_scn_override *ov, size_t n_ov, clv_scenario *scn,
                 clv_error *err)
{
    clv_error_clear(err);
    bigints big = {0};
    loader ld = {.main_path = path, .origin = NULL, .big = &big, .err = err};
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(ld.base_dir, sizeof ld.base_dir, ".");
    else
        snprintf(ld.base_dir, sizeof ld.base_dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);

    int st = check_file(&ld, path, path, 0, NULL);
    if (st != CLV_OK)
        return st;
    FILE *probe = fopen(path, "r");
    if (!probe)
        return clv_error_set(err, errno == ENOENT ? CLV_EINPUT : CLV_EIO, path, 0, NULL,
                             "cannot open scenario: %s", clv_strerror(errno));
    fclose(probe);

    st = clv_scn_defaults(scn, err);
    if (st != CLV_OK)
        return st;
    snprintf(scn->source, sizeof scn->source, "%s", path);
    if ((st = scan_ints(&ld, path, 0)) != CLV_OK)
        return st;

    /* the main file's top-level @include lines: bases that its own sections
     * override key by key (read apart, then looked up in turn) */
    char *text = NULL, names[CLV_SCN_MAX_BASES][CLV_PATH_MAX];
    int n_inc = 0;
    if ((st = read_text(&ld, path, &text)) != CLV_OK)
        return st;
    st = text ? top_includes(&ld, path, text, names, &n_inc) : CLV_OK;
    if (st != CLV_OK) {
        free(text);
        return st;
    }
    config_t cf, base[CLV_SCN_MAX_BASES];
    char base_path[CLV_SCN_MAX_BASES][CLV_PATH_MAX * 2];
    int n_read = 0;
    config_init(&cf);
    config_set_include_dir(&cf, ld.base_dir);
    errno = 0;
    if (n_inc == 0) {
        free(text);
        text = NULL;
        st = config_read_file(&cf, path) ? CLV_OK : read_error(&ld, &cf, path);
    } else {
        st = config_read_string(&cf, text) ? CLV_OK : read_error(&ld, &cf, path);
        free(text);
        text = NULL;
        ld.chain[ld.n_chain++] = &cf;
        for (int k = n_inc - 1; k >= 0 && st == CLV_OK; k--) {
            snprintf(base_path[k], sizeof base_path[k], "%s/%s", ld.base_dir, names[k]);
            config_init(&base[k]);
            config_set_include_dir(&base[k], ld.base_dir);
            n_read++;
            ld.chain[ld.n_chain++] = &base[k];
            ld.base_path[ld.n_base++] = base_path[k];
            errno = 0;
            st = config_read_file(&base[k], base_path[k]) ? CLV_OK : read_error(&ld, &base[k], base_path[k]);
        }
    }
    overrides o = {ov, n_ov};
    for (int k = 0; k < (ld.n_chain ? ld.n_chain : 1) && st == CLV_OK; k++)
        st = walk(&ld, config_root_setting(ld.n_chain ? ld.chain[k] : &cf), "");
    if (st == CLV_OK)
        st = read_values(&ld, &cf, scn);
    if (st == CLV_OK && n_inc)
        record_origins(&ld, names, n_inc, scn);
    if (st == CLV_OK)
        st = apply_overrides(&ld, &o, scn);
    for (int i = 0; st == CLV_OK && i < big.n; i++)
        if (!big.lit[i].claimed) /* not read by any key: still never used silently */
            st = clv_error_set(err, CLV_EINPUT, big.lit[i].file, big.lit[i].line, NULL,
                               "integer %s is beyond the 64-bit integers [-9223372036854775808, "
                               "9223372036854775807]", big.lit[i].text);
    if (st == CLV_OK) {
        if (!scn->scenario.name[0])
            file_stem(path, scn->scenario.name, sizeof scn->scenario.name);
        if (!scn->output.dir[0])
            snprintf(scn->output.dir, sizeof scn->output.dir, "out/%.*s", CLV_NAME_MAX, scn->scenario.name);
        st = cross_check(&ld, &cf, &o, scn);
    }
    config_destroy(&cf);
    for (int k = n_inc - n_read; k < n_inc; k++)
        config_destroy(&base[k]);
    return st;
}

/* ---- finding a scenario by name ------------------------------------------- */

enum { FIND_MAX_NAMES = 64 };

static int by_name(const void *a, const void *b) { return strcmp((const char *)a, (const char *)b); }

/* the NAME of every NAME.cfg in the directories, sorted, without repeats, ", "-separated into buf */
static void list_names(const clv__share_dirs *d, char *buf, size_t n)
{
    char names[FIND_MAX_NAMES][CLV_NAME_MAX];
    int k = 0;
    for (int i = 0; i < d->n; i++) {
        DIR *dp = opendir(d->dir[i]);
        if (!dp)
            continue;
        for (struct dirent *de; (de = readdir(dp)) != NULL && k < FIND_MAX_NAMES;) {
            size_t len = strlen(de->d_name);
            if (len <= 4 || len - 4 >= CLV_NAME_MAX || strcmp(de->d_name + len - 4, ".cfg") != 0 ||
                de->d_name[0] == '.')
                continue;
            memcpy(names[k], de->d_name, len - 4);
            names[k][len - 4] = '\0';
            int seen = 0;
            for (int j = 0; j < k && !seen; j++)
                seen = strcmp(names[j], names[k]) == 0;
            k += !seen;
        }
        closedir(dp);
    }
    qsort(names, (size_t)k, sizeof names[0], by_name);
    size_t used = 0;
    buf[0] = '\0';
    for (int j = 0; j < k && used < n; j++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", j ? ", " : "", names[j]);
    if (k == 0)
        snprintf(buf, n, "none");
}

int clv_scn_find(const char *arg, char *buf, size_t n, clv_error *err)
{
    clv_error_clear(err);
    const size_t len = strlen(arg);
    if (strchr(arg, '/') || (len >= 4 && strcmp(arg + len - 4, ".cfg") == 0)) {
        if (len >= n)
            return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "scenario path longer than %zu characters: %.200s...",
                                 n ? n - 1 : 0, arg);
        memcpy(buf, arg, len + 1);
        return CLV_OK;
    }
    if (len == 0)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL,
                             "empty scenario name; expected a scenario file (a path containing a slash or ending "
                             "in .cfg) or the name of an installed scenario (holiday for holiday.cfg)");
    if (len >= CLV_NAME_MAX)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "scenario name longer than %d characters: %.100s...; "
                             "expected the name of a scenario (holiday for holiday.cfg) or a path to its file",
                             CLV_NAME_MAX - 1, arg);
    clv__share_dirs d;
    clv__share_dirs_find(&d, "CLVSIM_SCENARIO_PATH", "scenarios");
    char file[CLV_NAME_MAX + 8], path[CLV_IO_PATH_MAX + CLV_NAME_MAX + 8];
    snprintf(file, sizeof file, "%s.cfg", arg);
    if (clv__share_dirs_first(&d, file, path, sizeof path) >= 0) {
        if (strlen(path) >= n)
            return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "the path of scenario \"%.100s\", %.300s, is longer "
                                 "than %zu characters", arg, path, n ? n - 1 : 0);
        memcpy(buf, path, strlen(path) + 1);
        return CLV_OK;
    }
    char dirs[CLV_ERROR_MSG_MAX], names[CLV_ERROR_MSG_MAX];
    clv__share_dirs_text(&d, dirs, sizeof dirs);
    list_names(&d, names, sizeof names);
    return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL,
                         "no scenario named \"%.100s\"; the names available are %s (a path containing a slash "
                         "or ending in .cfg is read as a file; $CLVSIM_SCENARIO_PATH adds directories). No "
                         "%.100s.cfg in %s", arg, names, arg, dirs);
}

/* ---- checking a scenario built or changed in code -------------------------- */

/* the value of key k stored in base (a list element's keys: prefix is its
 * path "list[i]."), against the key's type and range */
static int check_stored(const loader *ld, const clv__key *keys, size_t n, const char *base, const char *prefix)
{
    for (size_t i = 0; i < n; i++) {
        const clv__key *k = &keys[i];
        const char *p = base + k->off;
        char field[CLV_ERROR_FIELD_MAX], acc[400];
        snprintf(field, sizeof field, "%s%s", prefix, k->path);
        switch (k->type) {
        case CLV__K_GROUP:
            break;
        case CLV__K_BOOL:
            if (*(const int *)p != 0 && *(const int *)p != 1)
                return fail(ld, NULL, field, "expected true or false (1 or 0), got %d", *(const int *)p);
            break;
        case CLV__K_INT:
        case CLV__K_INT64: {
            const long long v = k->type == CLV__K_INT ? *(const int *)p : (long long)*(const int64_t *)p;
            range_text(k, 1, acc, sizeof acc);
            if (!in_range(k, (double)v))
                return fail(ld, NULL, field, "expected %s, got %lld", acc, v);
            break;
        }
        case CLV__K_REAL: {
            const double v = *(const double *)p;
            range_text(k, 0, acc, sizeof acc);
            if (!isfinite(v) || !in_range(k, v))
                return fail(ld, NULL, field, "expected %s, got %g", acc, v);
            break;
        }
        case CLV__K_ENUM: {
            int count = 0;
            while (k->names[count])
                count++;
            enum_text(k->names, acc, sizeof acc);
            if (*(const int *)p < 0 || *(const int *)p >= count)
                return fail(ld, NULL, field, "expected one of %s (0 to %d), got %d", acc, count - 1, *(const int *)p);
            break;
        }
        case CLV__K_STRING:
        case CLV__K_DATE:
        case CLV__K_DATESPEC:
        case CLV__K_PATH: {
            int32_t d;
            if (!memchr(p, '\0', k->size))
                return fail(ld, NULL, field, "expected a string of at most %zu characters, got one without its end",
                            k->size - 1);
            if (!p[0]) {
                if (!(k->flags & CLV__KF_EMPTY_OK))
                    return fail(ld, NULL, field, "expected a value, got an empty string");
            } else if (k->type == CLV__K_DATE && (strlen(p) != 10 || clv_date_parse(p, -1, &d) != 0)) {
                return fail(ld, NULL, field, "expected a date \"YYYY-MM-DD\" (a real calendar date), got \"%.60s\"", p);
            } else if (k->type == CLV__K_DATESPEC && clv_datespec_resolve(p, 2000, &d) != 0) {
                return fail(ld, NULL, field, "expected a day \"MM-DD\", \"black-friday\" or \"black-friday+N\" "
                            "(N in 0..60), got \"%.60s\"", p);
            }
            break;
        }
        case CLV__K_INT_ARRAY:
        case CLV__K_REAL_ARRAY:
        case CLV__K_ENUM_ARRAY:
        case CLV__K_LIST: {
            const int count = *(const int *)(base + k->count_off);
            if (count < (k->type == CLV__K_LIST ? 0 : k->min_count) || (size_t)count > k->size)
                return fail(ld, NULL, field, "expected %d to %zu elements, got %d",
                            k->type == CLV__K_LIST ? 0 : k->min_count, k->size, count);
            for (int e = 0; e < count; e++) {
                char ef[CLV_ERROR_FIELD_MAX];
                snprintf(ef, sizeof ef, "%.100s[%d]", field, e);
                if (k->type == CLV__K_LIST) {
                    char pre[CLV_ERROR_FIELD_MAX];
                    snprintf(pre, sizeof pre, "%.100s.", ef);
                    int st = check_stored(ld, k->sub, k->n_sub, p + (size_t)e * k->elem_size, pre);
                    if (st != CLV_OK)
                        return st;
                    continue;
                }
                const double v = k->type == CLV__K_REAL_ARRAY ? ((const double *)p)[e] : ((const int *)p)[e];
                const double prev = e == 0 ? 0 : k->type == CLV__K_REAL_ARRAY ? ((const double *)p)[e - 1]
                                                                               : ((const int *)p)[e - 1];
                if (k->type == CLV__K_ENUM_ARRAY) {
                    int names = 0;
                    while (k->names[names])
                        names++;
                    if (v < 0 || v >= names)
                        return fail(ld, NULL, ef, "expected a value index 0 to %d, got %g", names - 1, v);
                    for (int j = 0; j < e && (k->flags & CLV__KF_UNIQUE); j++)
                        if (((const int *)p)[j] == (int)v)
                            return fail(ld, NULL, ef, "\"%s\" is listed twice; expected each value at most once",
                                        k->names[(int)v]);
                    continue;
                }
                range_text(k, k->type == CLV__K_INT_ARRAY, acc, sizeof acc);
                if (!isfinite(v) || !in_range(k, v))
                    return fail(ld, NULL, ef, "expected %s, got %g", acc, v);
                if ((k->flags & CLV__KF_ASCENDING) && e > 0 && !(prev < v))
                    return fail(ld, NULL, ef, "expected values in increasing order, got %g after %g", v, prev);
            }
            break;
        }
        }
    }
    return CLV_OK;
}

int clv_scn_check(const clv_scenario *scn, clv_error *err)
{
    clv_error_clear(err);
    loader ld = {.main_path = scn->source, .base_dir = ".", .origin = NULL, .big = NULL, .err = err};
    overrides none = {NULL, 0};
    int st = check_stored(&ld, clv__scn_keys, clv__scn_n_keys, (const char *)scn, "");
    return st == CLV_OK ? cross_check(&ld, NULL, &none, scn) : st;
}

int clv_scn_read_keys(clv_scenario *scn, const char *text, const char *const *keys, size_t n_keys,
                      const char *origin, clv_error *err)
{
    clv_error_clear(err);
    loader ld = {.main_path = scn->source, .base_dir = ".", .origin = origin, .big = NULL, .err = err};
    int line = 0;
    for (const char *p = text; *p;) {
        const char *end = strchr(p, '\n');
        const size_t len = end ? (size_t)(end - p) : strlen(p);
        line++;
        char buf[CLV_PATH_MAX + 256];
        if (len >= sizeof buf)
            return clv_error_set(err, CLV_EINPUT, origin, line, NULL, "a line of %zu characters; expected at most "
                                 "%zu", len, sizeof buf - 1);
        memcpy(buf, p, len);
        buf[len] = '\0';
        p += len + (end != NULL);
        /* trailing and leading blanks; blank lines and # comments */
        size_t n = len;
        while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t' || buf[n - 1] == '\r'))
            buf[--n] = '\0';
        char *key = buf + strspn(buf, " \t");
        if (!*key || *key == '#')
            continue;
        char *eq = strchr(key, '=');
        if (!eq || eq == key)
            return clv_error_set(err, CLV_EINPUT, origin, line, NULL, "expected KEY = VALUE, got \"%.80s\"", key);
        char *kend = eq;
        while (kend > key && (kend[-1] == ' ' || kend[-1] == '\t'))
            kend--;
        *kend = '\0';
        const char *value = eq + 1 + strspn(eq + 1, " \t");
        int allowed = keys == NULL;
        for (size_t i = 0; !allowed && i < n_keys; i++)
            allowed = strcmp(keys[i], key) == 0;
        if (!allowed) {
            char acc[600] = "";
            for (size_t i = 0; i < n_keys; i++)
                snprintf(acc + strlen(acc), sizeof acc - strlen(acc), "%s%s", i ? ", " : "", keys[i]);
            return clv_error_set(err, CLV_EINPUT, origin, line, key, "not a key accepted here; expected one of %s",
                                 acc);
        }
        const clv_scn_override ov = {key, value, origin};
        const overrides o = {&ov, 1};
        const int st = apply_overrides(&ld, &o, scn);
        if (st != CLV_OK) {
            if (err)
                err->line = line;
            return st;
        }
    }
    const overrides none = {NULL, 0};
    int st = check_stored(&ld, clv__scn_keys, clv__scn_n_keys, (const char *)scn, "");
    return st == CLV_OK ? cross_check(&ld, NULL, &none, scn) : st;
}

const char *clv_scn_enum_name(const char *key, int value)
{
    const clv__key *k = clv__scn_find(key);
    if (!k || !k->names || value < 0)
        return NULL;
    for (int i = 0; k->names[i]; i++)
        if (i == value)
            return k->names[i];
    return NULL;
}

int clv_scn_model_episodes(const clv_scenario *scn)
{
    return scn->agent.model_episodes > 0 ? scn->agent.model_episodes : scn->agent.episodes;
}

int clv_scn_list_price(const clv_scenario *scn)
{
    int list = -1;
    for (int k = 0; k < scn->interventions.n_prices; k++)
        if (scn->interventions.prices[k] == 1.0)
            list = k;
    return list;
}

int clv_scn_price_step(const clv_scenario *scn, int dir)
{
    int best = -1;
    for (int k = 0; k < scn->interventions.n_prices; k++) {
        const double P = scn->interventions.prices[k];
        if (!(dir > 0 ? P > 1.0 : P < 1.0))
            continue;
        if (best < 0 || (dir > 0 ? P < scn->interventions.prices[best] : P > scn->interventions.prices[best]))
            best = k;
    }
    return best;
}

/* ---- the response model's questions about a scenario ---- */

double clv_contact_spend(double total_spend, double age_days)
{
    return age_days > 365 ? total_spend * 365 / age_days : total_spend;
}

int clv_contact_level(const double *upper, int n, double value)
{
    int l = 0;
    while (l < n - 1 && value > upper[l])
        l++;
    return l;
}

int clv_scn_contact_arms(const clv_scenario *scn, const char **names)
{
    const clv_scn_response *r = &scn->response;
    const char *seen[CLV_MAX_CONTACT_EFFECTS];
    int n = 0;
    for (int e = 0; e < r->n_contact; e++) {
        int k = 0;
        while (k < n && strcmp(seen[k], r->contact[e].arm) != 0)
            k++;
        if (k == n)
            seen[n++] = r->contact[e].arm;
    }
    for (int k = 0; names && k < n; k++)
        names[k] = seen[k];
    return n;
}

int clv_scn_contact_arm(const clv_scenario *scn, int k)
{
    const char *arms[CLV_MAX_CONTACT_EFFECTS];
    const int n = clv_scn_contact_arms(scn, arms);
    const char *want = k >= 0 && k < scn->interventions.n_coupons ? scn->interventions.coupons[k].contact_arm : "";
    for (int a = 0; a < n; a++)
        if (!want[0] || strcmp(arms[a], want) == 0)
            return a;
    return -1;
}

/* E[P^e] for e ~ Normal(mean, sd) redrawn until e <= 0: the moment
 * generating function of the normal truncated above at 0, at t = ln P,
 * exp(mean t + sd^2 t^2 / 2) Phi((0 - mean - sd^2 t) / sd) / Phi((0 - mean) / sd),
 * with Phi(x) = erfc(-x / sqrt 2) / 2 */
static double price_moment(double P, double mean, double sd)
{
    const double t = log(P);
    if (sd <= 0)
        return exp((mean > 0 ? 0 : mean) * t);
    const double num = erfc((mean + sd * sd * t) / (sd * M_SQRT2)), den = erfc(mean / (sd * M_SQRT2));
    return exp(mean * t + 0.5 * sd * sd * t * t) * num / den;
}

void clv_scn_price_check(const clv_scenario *scn, clv_price_check *out)
{
    memset(out, 0, sizeof *out);
    const clv_scn_response *r = &scn->response;
    const double m = scn->economics.margin_rate;
    if (!r->enabled || !r->price_enabled || !(m > 0))
        return;
    out->checked = 1;
    out->lerner_elasticity = -1 / m;
    /* margin per unit of list-price intensity at price P: E[P^e] (P - cost) */
    const double cost = 1 - m;
#define PROFIT(P) (price_moment((P), r->elasticity_mean, r->elasticity_sd) * ((P) - cost))
    double best = 1, bv = PROFIT(1.0);
    for (int k = 0; k <= 4800; k++) { /* 0.2 .. 5 in steps of 0.001 */
        const double P = 0.2 + 0.001 * k, v = PROFIT(P);
        if (v > bv)
            bv = v, best = P;
    }
    out->best_price = best;
    out->gain = bv / PROFIT(1.0) - 1;
#undef PROFIT
    out->far = best < 0.97 || best > 1.03;
}

void clv_scn_price_warning(const clv_scenario *scn, const clv_price_check *pc, char *buf, size_t n)
{
    if (!pc->checked || !pc->far) {
        if (n)
            buf[0] = 0;
        return;
    }
    const clv_scn_response *r = &scn->response;
    snprintf(buf, n,
             "the list price is not the profit-maximising price of this world: with price elasticity %g (sd %g) "
             "and margin_rate %g, gross margin is highest at %.3g x list, %+.1f%% over the list price; the list price would be optimal at elasticity %.3g (Lerner: -1 / margin). "
             "Any policy that moves prices toward %.3g x gains from this assumption alone, not from targeting; "
             "compare such policies with a blanket price change (price-up, price-down, price-K), and check the elasticity and margin against "
             "your own data",
             r->elasticity_mean, r->elasticity_sd, scn->economics.margin_rate, pc->best_price, 100 * pc->gain,
             pc->lerner_elasticity, pc->best_price);
}

/* one more line of warning into buf (at *len of n) */
static void add_warning(char *buf, size_t n, size_t *len, int *count, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static void add_warning(char *buf, size_t n, size_t *len, int *count, const char *fmt, ...)
{
    (*count)++;
    if (*len + 2 >= n)
        return;
    if (*len)
        buf[(*len)++] = '\n', buf[*len] = '\0';
    va_list ap;
    va_start(ap, fmt);
    const int k = vsnprintf(buf + *len, n - *len, fmt, ap);
    va_end(ap);
    *len = k < 0 ? *len : (*len + (size_t)k < n ? *len + (size_t)k : n - 1);
}

int clv_scn_scale_warnings(const clv_scenario *scn, char *buf, size_t n)
{
    if (n)
        buf[0] = '\0';
    const clv_gg_params *g = &scn->population.spend;
    if (!(g->q > 1) || !(g->p > 0) || !(g->gamma > 0))
        return 0;
    const double mean = g->p * g->gamma / (g->q - 1), margin = scn->economics.margin_rate * mean;
    const char *cur = scn->economics.currency;
    const clv_scn_interventions *iv = &scn->interventions;
    size_t len = 0;
    int count = 0;
    double least = INFINITY; /* the least a coupon commits */
    for (int k = 0; k < iv->n_coupons; k++) {
        const clv_scn_coupon *c = &iv->coupons[k];
        const double commit = c->contact_cost + c->redemption_cost + c->max_value;
        least = commit < least ? commit : least;
        if (c->max_value < 0.5 * c->discount * mean)
            add_warning(buf, n, &len, &count,
                        "coupon \"%s\": max_value %g %s caps its %g%% discount at %.1f%% of the population's mean "
                        "basket (%.2f %s, Gamma-Gamma p gamma / (q - 1)); set interventions.coupons max_value in "
                        "this population's currency and scale (%.2f %s for the full discount of a mean basket)",
                        c->name, c->max_value, cur, 100 * c->discount, 100 * c->max_value / mean, mean, cur,
                        c->discount * mean, cur);
        if (c->contact_cost > 0.25 * margin)
            add_warning(buf, n, &len, &count,
                        "coupon \"%s\": contact_cost %g %s is more than a quarter of the gross margin of a mean "
                        "purchase (%.2f %s at margin_rate %g); check it against this population's spend",
                        c->name, c->contact_cost, cur, margin, cur, scn->economics.margin_rate);
    }
    if (iv->n_coupons > 0) {
        if (iv->budget_per_epoch >= 0 && iv->budget_per_epoch < least)
            add_warning(buf, n, &len, &count,
                        "interventions.budget.per_epoch %g %s is less than any coupon commits (at least %g %s: "
                        "contact_cost + redemption_cost + max_value): no coupon can ever be sent",
                        iv->budget_per_epoch, cur, least, cur);
        else if (iv->budget_total >= 0 && iv->budget_total < least)
            add_warning(buf, n, &len, &count,
                        "interventions.budget.total %g %s is less than any coupon commits (at least %g %s): no "
                        "coupon can ever be sent", iv->budget_total, cur, least, cur);
    }
    return count;
}
