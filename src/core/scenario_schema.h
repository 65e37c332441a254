/* scenario_schema.h - the table of scenario keys (internal to src/core).
 *
 * One row per key: its path, type, where it is stored in clv_scenario, its
 * accepted range, its default (as libconfig text, parsed by the same code
 * as a file's value), its unit and its meaning.  The loader, the writer of
 * resolved scenarios and the generated reference all read this one table.
 */
#ifndef CLVSIM_SCENARIO_SCHEMA_H
#define CLVSIM_SCENARIO_SCHEMA_H

#include <stddef.h>

/* The largest int64 as a table bound: the double 2^63 (INT64_MAX rounds up
 * to it), which the range checks and texts treat as INT64_MAX. */
#define CLV__INT64_MAX 9223372036854775807.0

typedef enum clv__ktype {
    CLV__K_GROUP,      /* a section or sub-group; members follow it in the table */
    CLV__K_BOOL,       /* int 0/1 */
    CLV__K_INT,        /* int */
    CLV__K_INT64,      /* int64_t */
    CLV__K_REAL,       /* double; an integer literal is accepted */
    CLV__K_STRING,     /* char[size] */
    CLV__K_ENUM,       /* int; the value's index in names */
    CLV__K_DATE,       /* char[size] holding YYYY-MM-DD (or "" when not required) */
    CLV__K_DATESPEC,   /* char[size] holding "MM-DD" or "black-friday[+-N]" */
    CLV__K_PATH,       /* char[size]; a readable file, resolved against the scenario's directory */
    CLV__K_INT_ARRAY,  /* int[size] with an int count */
    CLV__K_REAL_ARRAY, /* double[size] with an int count */
    CLV__K_ENUM_ARRAY, /* int[size] with an int count */
    CLV__K_LIST        /* a list of groups: elem_size-byte structs, keys in sub */
} clv__ktype;

enum {
    CLV__KF_REQUIRED = 1 << 0,     /* must be present (in a list element: in every element) */
    CLV__KF_ALL_REQUIRED = 1 << 1, /* group: when present, every member must be given */
    CLV__KF_MIN_OPEN = 1 << 2,     /* the lower bound is excluded */
    CLV__KF_MAX_OPEN = 1 << 3,     /* the upper bound is excluded */
    CLV__KF_UNLIMITED = 1 << 4,    /* -1 is accepted and means unlimited */
    CLV__KF_ASCENDING = 1 << 5,    /* array elements strictly increase */
    CLV__KF_UNIQUE = 1 << 6,       /* enum array: no value twice */
    CLV__KF_EMPTY_OK = 1 << 7      /* string/date/path: "" is accepted (meaning: not set) */
};

typedef struct clv__key {
    const char *path;              /* "calendar.horizon_days"; in a sub-table, the member name */
    clv__ktype type;
    unsigned flags;
    size_t off;                    /* offset in clv_scenario (or in the list element) */
    size_t size;                   /* strings: bytes; arrays and lists: capacity */
    size_t count_off;              /* arrays and lists: offset of the int count */
    int min_count;                 /* arrays and lists: fewest elements */
    double min, max;               /* numbers and array elements */
    const char *const *names;      /* enums: NULL-terminated value names */
    const struct clv__key *sub;    /* lists: keys of an element */
    size_t n_sub;
    size_t elem_size;
    const char *def;               /* default as libconfig text; NULL for groups */
    const char *unit;              /* "days", "currency units", ... or NULL */
    const char *doc;               /* one or two sentences */
} clv__key;

extern const clv__key clv__scn_keys[];
extern const size_t clv__scn_n_keys;

/* The accepted range of a number key as text: "[1, 3650]", "(0, 1)",
 * "-1 or [0, 1e+15]"; integer: bounds as integers (CLV__INT64_MAX as
 * 9223372036854775807).  Loader messages and the reference both use it. */
void clv__scn_range_text(const clv__key *k, int integer, char *buf, size_t n);

/* 1 when v lies in k's range (or is -1 for a CLV__KF_UNLIMITED key). */
int clv__scn_in_range(const clv__key *k, double v);

/* The row of a full key path, or NULL. */
const clv__key *clv__scn_find(const char *path);

#endif
