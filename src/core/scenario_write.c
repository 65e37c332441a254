/* scenario_write.c - writing a resolved scenario as libconfig text, and the key reference as Markdown. */
#include <float.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clvsim/io.h"
#include "clvsim/scenario.h"
#include "scenario_schema.h"

/* shortest %g form that reads back as the same double, always with a '.'
 * or an exponent so that libconfig reads a float */
static void fmt_real(double v, char *buf, size_t n)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    if (!strpbrk(buf, ".eEn"))
        strncat(buf, ".0", n - strlen(buf) - 1);
}

static void put_string(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

/* a number of key path, checked (clvsim/io.h): "" when not finite */
static void put_real(FILE *fp, clv_numcheck *chk, const char *path, double v)
{
    char num[40];
    if (clv_num_ok(chk, fp, path, v)) {
        fmt_real(v, num, sizeof num);
        fputs(num, fp);
    }
}

/* the value of key k stored in base, as libconfig text; path: its full key */
static void put_value(FILE *fp, clv_numcheck *chk, const clv__key *k, const char *path, const char *base, int indent)
{
    const void *p = base + k->off;
    switch (k->type) {
    case CLV__K_BOOL:
        fputs(*(const int *)p ? "true" : "false", fp);
        break;
    case CLV__K_INT:
        fprintf(fp, "%d", *(const int *)p);
        break;
    case CLV__K_INT64: {
        int64_t v = *(const int64_t *)p;
        fprintf(fp, "%" PRId64 "%s", v, (v > INT32_MAX || v < INT32_MIN) ? "L" : "");
        break;
    }
    case CLV__K_REAL:
        put_real(fp, chk, path, *(const double *)p);
        break;
    case CLV__K_ENUM:
        put_string(fp, k->names[*(const int *)p]);
        break;
    case CLV__K_STRING:
    case CLV__K_DATE:
    case CLV__K_DATESPEC:
    case CLV__K_PATH:
        put_string(fp, (const char *)p);
        break;
    case CLV__K_INT_ARRAY:
    case CLV__K_REAL_ARRAY:
    case CLV__K_ENUM_ARRAY: {
        int n = *(const int *)(base + k->count_off);
        fputc('[', fp);
        for (int i = 0; i < n; i++) {
            if (i)
                fputs(", ", fp);
            if (k->type == CLV__K_INT_ARRAY) {
                fprintf(fp, "%d", ((const int *)p)[i]);
            } else if (k->type == CLV__K_REAL_ARRAY) {
                put_real(fp, chk, path, ((const double *)p)[i]);
            } else {
                put_string(fp, k->names[((const int *)p)[i]]);
            }
        }
        fputc(']', fp);
        break;
    }
    case CLV__K_LIST: {
        int n = *(const int *)(base + k->count_off);
        if (n == 0) {
            fputs("()", fp);
            break;
        }
        fputs("(\n", fp);
        for (int i = 0; i < n; i++) {
            const char *elem = (const char *)p + (size_t)i * k->elem_size;
            fprintf(fp, "%*s{ ", indent + 2, "");
            for (size_t j = 0; j < k->n_sub; j++) {
                char sub[CLV_ERROR_FIELD_MAX];
                snprintf(sub, sizeof sub, "%.100s[%d].%.40s", path, i, k->sub[j].path);
                fprintf(fp, "%s = ", k->sub[j].path);
                put_value(fp, chk, &k->sub[j], sub, elem, indent + 2);
                fputs("; ", fp);
            }
            fprintf(fp, "}%s\n", i + 1 < n ? "," : "");
        }
        fprintf(fp, "%*s)", indent, "");
        break;
    }
    case CLV__K_GROUP:
        break;
    }
}

/* nesting depth of a key: the number of '.' in its path */
static int depth_of(const char *path)
{
    int d = 0;
    for (; *path; path++)
        d += *path == '.';
    return d;
}

int clv_scn_write(const clv_scenario *scn, FILE *fp, clv_error *err)
{
    clv_numcheck chk = {0}; /* no inf or nan in the file */
    fprintf(fp, "# clvsim scenario with every key explicit (resolved from %s)\n", scn->source[0] ? scn->source : "defaults");
    /* what came from where, when the file built on bases (@include at its top level) */
    if (scn->origin.n_bases > 0) {
        fprintf(fp, "# built on");
        for (int b = 0; b < scn->origin.n_bases; b++)
            fprintf(fp, "%s %s", b ? "," : "", scn->origin.bases[b]);
        fprintf(fp, " (@include: the file over its bases, a later base over an earlier one); %d key%s given "
                    "more than once:\n", scn->origin.n_keys, scn->origin.n_keys == 1 ? "" : "s");
        const int shown = scn->origin.n_keys < CLV_SCN_MAX_ORIGINS ? scn->origin.n_keys : CLV_SCN_MAX_ORIGINS;
        for (int k = 0; k < shown; k++) {
            const int from = scn->origin.keys[k].from;
            fprintf(fp, "#   %s from %s:%d, over %s\n", scn->origin.keys[k].key,
                    from < 0 ? scn->source : scn->origin.bases[from], scn->origin.keys[k].line,
                    scn->origin.bases[scn->origin.keys[k].over]);
        }
        if (shown < scn->origin.n_keys)
            fprintf(fp, "#   ... and %d more\n", scn->origin.n_keys - shown);
        fprintf(fp, "# every other key: from the one file that gives it, or the default (--set overrides last)\n");
    }
    /* the table lists groups before their members, so a stack of open
     * groups is enough to nest the output */
    int n_open = 0;
    for (size_t i = 0; i < clv__scn_n_keys; i++) {
        const clv__key *k = &clv__scn_keys[i];
        int d = depth_of(k->path);
        while (n_open > d) {
            n_open--;
            fprintf(fp, "%*s};\n", 2 * n_open, "");
        }
        const char *name = strrchr(k->path, '.');
        name = name ? name + 1 : k->path;
        if (k->type == CLV__K_GROUP) {
            if (n_open == 0)
                fputc('\n', fp);
            fprintf(fp, "%*s%s = {\n", 2 * n_open, "", name);
            n_open++;
            continue;
        }
        fprintf(fp, "%*s%s = ", 2 * n_open, "", name);
        put_value(fp, &chk, k, k->path, (const char *)scn, 2 * n_open);
        fputs(";\n", fp);
    }
    while (n_open > 0) {
        n_open--;
        fprintf(fp, "%*s};\n", 2 * n_open, "");
    }
    if (ferror(fp))
        return clv_error_set(err, CLV_EIO, NULL, 0, NULL, "write failed");
    return clv_numcheck_error(&chk, fp, NULL, err);
}

int clv_scn_keys_text(const clv_scenario *scn, const char *const *keys, size_t n, char *buf, size_t size,
                      clv_error *err)
{
    char *mem = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&mem, &len);
    if (!fp)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    clv_numcheck chk = {0};
    int st = CLV_OK;
    for (size_t i = 0; st == CLV_OK && i < n; i++) {
        const clv__key *k = clv__scn_find(keys[i]);
        if (!k || k->type == CLV__K_GROUP || k->type == CLV__K_LIST)
            st = clv_error_set(err, CLV_EINPUT, NULL, 0, keys[i], "%s; expected a key with a value that is not a "
                               "list", k ? "a group or list" : "unknown key");
        else if ((k->type == CLV__K_STRING || k->type == CLV__K_PATH) &&
                 strpbrk((const char *)scn + k->off, "\n\r"))
            st = clv_error_set(err, CLV_EINPUT, NULL, 0, keys[i], "the value has a line break; expected one "
                               "line");
        else {
            fprintf(fp, "%s = ", keys[i]);
            put_value(fp, &chk, k, keys[i], (const char *)scn, 0);
            fputc('\n', fp);
        }
    }
    if (fclose(fp) != 0 && st == CLV_OK)
        st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    if (st == CLV_OK && chk.bad)
        st = clv_error_set(err, CLV_ENUMERIC, NULL, 0, chk.column, "the value is %g; expected a finite number",
                           chk.value);
    if (st == CLV_OK && len >= size)
        st = clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "the keys take %zu bytes of text; expected fewer than "
                           "%zu", len, size);
    if (st == CLV_OK)
        memcpy(buf, mem, len + 1);
    else if (size)
        buf[0] = '\0';
    free(mem);
    return st;
}

/* ---- the reference ---- */

static const char *type_name(const clv__key *k)
{
    switch (k->type) {
    case CLV__K_BOOL: return "boolean";
    case CLV__K_INT: return "integer";
    case CLV__K_INT64: return "integer (64-bit)";
    case CLV__K_REAL: return "number";
    case CLV__K_STRING: return "string";
    case CLV__K_ENUM: return "name";
    case CLV__K_DATE: return "date";
    case CLV__K_DATESPEC: return "day of year";
    case CLV__K_PATH: return "file path";
    case CLV__K_INT_ARRAY: return "array of integers";
    case CLV__K_REAL_ARRAY: return "array of numbers";
    case CLV__K_ENUM_ARRAY: return "array of names";
    case CLV__K_LIST: return "list of groups";
    case CLV__K_GROUP: return "group";
    }
    return "?";
}

static void put_range(FILE *fp, const clv__key *k, int integer)
{
    char buf[96];
    clv__scn_range_text(k, integer, buf, sizeof buf);
    fputs(buf, fp);
}

static void put_accepted(FILE *fp, const clv__key *k)
{
    switch (k->type) {
    case CLV__K_BOOL: fputs("`true`, `false`", fp); break;
    case CLV__K_INT:
    case CLV__K_INT64: put_range(fp, k, 1); break;
    case CLV__K_REAL: put_range(fp, k, 0); break;
    case CLV__K_STRING:
        fprintf(fp, "%s%zu characters", (k->flags & CLV__KF_EMPTY_OK) ? "0 to " : "1 to ", k->size - 1);
        break;
    case CLV__K_DATE: fputs((k->flags & CLV__KF_EMPTY_OK) ? "`\"YYYY-MM-DD\"` or `\"\"`" : "`\"YYYY-MM-DD\"`", fp); break;
    case CLV__K_DATESPEC: fputs("`\"MM-DD\"`, `\"black-friday\"`, `\"black-friday+N\"`, `\"black-friday-N\"` (N 0..60)", fp); break;
    case CLV__K_PATH: fputs("a readable file, or `\"\"`", fp); break;
    case CLV__K_ENUM:
    case CLV__K_ENUM_ARRAY:
        if (k->type == CLV__K_ENUM_ARRAY)
            fprintf(fp, "%d to %zu of ", k->min_count, k->size);
        for (int i = 0; k->names[i]; i++)
            fprintf(fp, "%s`\"%s\"`", i ? ", " : "", k->names[i]);
        if (k->flags & CLV__KF_UNIQUE)
            fputs("; each at most once", fp);
        break;
    case CLV__K_INT_ARRAY:
    case CLV__K_REAL_ARRAY:
        if (k->min_count == (int)k->size)
            fprintf(fp, "exactly %d values, each ", k->min_count);
        else
            fprintf(fp, "%d to %zu values, each ", k->min_count, k->size);
        put_range(fp, k, k->type == CLV__K_INT_ARRAY);
        if (k->flags & CLV__KF_ASCENDING)
            fputs(", increasing", fp);
        break;
    case CLV__K_LIST: fprintf(fp, "0 to %zu groups (keys below)", k->size); break;
    case CLV__K_GROUP: break;
    }
}

static void put_row(FILE *fp, const char *path, const clv__key *k)
{
    fprintf(fp, "| `%s` | %s | ", path, type_name(k));
    if (k->flags & CLV__KF_REQUIRED)
        fputs("required", fp);
    else if (k->def)
        fprintf(fp, "`%s`", k->def);
    fputs(" | ", fp);
    put_accepted(fp, k);
    fprintf(fp, " | %s | %s |\n", k->unit ? k->unit : "", k->doc);
}

int clv_scn_write_reference(FILE *fp, clv_error *err)
{
    for (size_t i = 0; i < clv__scn_n_keys; i++) {
        const clv__key *k = &clv__scn_keys[i];
        if (k->type == CLV__K_GROUP && !strchr(k->path, '.')) {
            fprintf(fp, "\n### `%s`\n\n%s\n\n", k->path, k->doc);
            fputs("| key | type | default | accepted | unit | meaning |\n", fp);
            fputs("|---|---|---|---|---|---|\n", fp);
            continue;
        }
        if (k->type == CLV__K_GROUP) {
            fprintf(fp, "| `%s` | group | | %s | | %s |\n", k->path,
                    (k->flags & CLV__KF_ALL_REQUIRED) ? "all keys or none" : "", k->doc);
            continue;
        }
        put_row(fp, k->path, k);
        if (k->type == CLV__K_LIST) {
            for (size_t j = 0; j < k->n_sub; j++) {
                char sub[CLV_ERROR_FIELD_MAX];
                snprintf(sub, sizeof sub, "%s[i].%s", k->path, k->sub[j].path);
                put_row(fp, sub, &k->sub[j]);
            }
        }
    }
    if (ferror(fp))
        return clv_error_set(err, CLV_EIO, NULL, 0, NULL, "write failed");
    return CLV_OK;
}
