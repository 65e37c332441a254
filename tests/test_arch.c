/* test_arch.c - the architecture's rules, checked on the source tree:
 * every #include of every .c and .h file is one that tests/include-rules.txt
 * allows, and every random stream of the library is keyed through the
 * registry of namespaces (clvsim/streams.h), never by a bare number. */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"

#define RULES_FILE "tests/include-rules.txt"
enum { MAX_MODULES = 48, MAX_DIRS = 8, MAX_PUBLIC = 96, MAX_ALLOW = 16, MAX_FILES = 4096, PATH_LEN = 512 };

typedef struct module {
    char name[64];
    char dirs[MAX_DIRS][PATH_LEN];
    int n_dirs;
    unsigned char uses[MAX_MODULES], internal[MAX_MODULES];
} module;

typedef struct rules {
    module m[MAX_MODULES];
    int n;
    struct {
        char header[PATH_LEN]; /* include/clvsim/x.h */
        int module;
    } pub[MAX_PUBLIC];
    int n_pub;
    struct {
        char file[PATH_LEN], target[PATH_LEN];
        int used;
    } allow[MAX_ALLOW];
    int n_allow;
} rules;

/* ---- the rules file ---------------------------------------------------- */

static int module_find(const rules *r, const char *name)
{
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->m[i].name, name) == 0)
            return i;
    return -1;
}

static int module_get(rules *r, const char *name)
{
    int i = module_find(r, name);
    if (i >= 0 || r->n == MAX_MODULES)
        return i;
    snprintf(r->m[r->n].name, sizeof r->m[r->n].name, "%s", name);
    return r->n++;
}

/* the words of line (comment cut) into w; their number */
static int split(char *line, char **w, int max)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    int n = 0;
    for (char *t = strtok(line, " \t\r\n"); t && n < max; t = strtok(NULL, " \t\r\n"))
        w[n++] = t;
    return n;
}

/* read the rules; 0 on success (failures reported) */
static int rules_load(rules *r, const char *path)
{
    memset(r, 0, sizeof *r);
    FILE *fp = fopen(path, "r");
    if (!fp) {
        harness_fail(__FILE__, __LINE__, "cannot open %s", path);
        return -1;
    }
    char line[1024], *w[64];
    int bad = 0;
    /* two passes: the modules first, so that a line may name a later one */
    for (int pass = 0; pass < 2; pass++) {
        rewind(fp);
        for (int ln = 1; fgets(line, sizeof line, fp); ln++) {
            const int n = split(line, w, 64);
            if (n == 0)
                continue;
            const int decl = strcmp(w[0], "module") == 0 || strcmp(w[0], "public") == 0;
            if (pass == 0 && decl) {
                if (n < 2) {
                    harness_fail(RULES_FILE, ln, "\"%s\" needs a module name", w[0]);
                    bad++;
                    continue;
                }
                const int m = module_get(r, w[1]);
                if (m < 0) {
                    harness_fail(RULES_FILE, ln, "too many modules");
                    bad++;
                    continue;
                }
                for (int k = 2; k < n; k++) {
                    if (w[0][0] == 'm' && r->m[m].n_dirs < MAX_DIRS)
                        snprintf(r->m[m].dirs[r->m[m].n_dirs++], PATH_LEN, "%s", w[k]);
                    else if (w[0][0] == 'p' && r->n_pub < MAX_PUBLIC) {
                        snprintf(r->pub[r->n_pub].header, PATH_LEN, "include/clvsim/%s", w[k]);
                        r->pub[r->n_pub++].module = m;
                    } else {
                        harness_fail(RULES_FILE, ln, "too many directories or headers");
                        bad++;
                    }
                }
            } else if (pass == 1 && (strcmp(w[0], "uses") == 0 || strcmp(w[0], "internal") == 0)) {
                const int m = n >= 2 ? module_find(r, w[1]) : -1;
                if (m < 0) {
                    harness_fail(RULES_FILE, ln, "\"%s\" of an unknown module \"%s\"", w[0], n >= 2 ? w[1] : "");
                    bad++;
                    continue;
                }
                for (int k = 2; k < n; k++) {
                    const int o = module_find(r, w[k]);
                    if (o < 0) {
                        harness_fail(RULES_FILE, ln, "unknown module \"%s\"", w[k]);
                        bad++;
                    } else if (w[0][0] == 'u')
                        r->m[m].uses[o] = 1;
                    else
                        r->m[m].internal[o] = 1;
                }
            } else if (pass == 1 && strcmp(w[0], "allow") == 0) {
                if (n != 3 || r->n_allow == MAX_ALLOW) {
                    harness_fail(RULES_FILE, ln, "expected: allow FILE HEADER");
                    bad++;
                    continue;
                }
                snprintf(r->allow[r->n_allow].file, PATH_LEN, "%s", w[1]);
                snprintf(r->allow[r->n_allow++].target, PATH_LEN, "%s", w[2]);
            } else if (pass == 0 && !decl && strcmp(w[0], "uses") != 0 && strcmp(w[0], "internal") != 0 &&
                       strcmp(w[0], "allow") != 0) {
                harness_fail(RULES_FILE, ln, "unknown rule \"%s\" (module, public, uses, internal, allow)", w[0]);
                bad++;
            }
        }
    }
    fclose(fp);
    return bad ? -1 : 0;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* the module of a path under a module directory (the longest that exists), or -1 */
static int module_of_path(const rules *r, const char *path)
{
    int best = -1;
    size_t best_len = 0;
    for (int i = 0; i < r->n; i++)
        for (int d = 0; d < r->m[i].n_dirs; d++) {
            const char *dir = r->m[i].dirs[d];
            const size_t len = strlen(dir);
            if (strncmp(path, dir, len) == 0 && path[len] == '/' && len > best_len && is_dir(dir))
                best = i, best_len = len;
        }
    return best;
}

/* the owner of a public header (include/clvsim/x.h), or -1 */
static int public_owner(const rules *r, const char *header)
{
    for (int i = 0; i < r->n_pub; i++)
        if (strcmp(r->pub[i].header, header) == 0)
            return r->pub[i].module;
    return -1;
}

static int is_public_path(const char *p) { return strncmp(p, "include/clvsim/", 15) == 0; }

/* dir + "/" + rel with "." and ".." folded, into out; -1 when it climbs out
 * of the repository */
static int join_path(const char *dir, const char *rel, char *out, size_t n)
{
    char buf[2 * PATH_LEN], *parts[128];
    int np = 0;
    snprintf(buf, sizeof buf, "%s%s%s", dir, dir[0] ? "/" : "", rel);
    for (char *t = strtok(buf, "/"); t; t = strtok(NULL, "/")) {
        if (strcmp(t, ".") == 0)
            continue;
        if (strcmp(t, "..") == 0) {
            if (np == 0)
                return -1;
            np--;
        } else if (np < 128)
            parts[np++] = t;
    }
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < np; i++)
        len += (size_t)snprintf(out + len, len < n ? n - len : 0, "%s%s", i ? "/" : "", parts[i]);
    return len < n ? 0 : -1;
}

/* ---- one file's includes ------------------------------------------------ */

/* Check the includes of file path (its text given), reporting each
 * violation through harness_fail unless quiet; returns their number. */
static int check_text(rules *r, const char *path, const char *text, int quiet)
{
    int bad = 0;
#define VIOLATION(ln, ...)                                 \
    do {                                                   \
        bad++;                                             \
        if (!quiet)                                        \
            harness_fail(path, ln, __VA_ARGS__);           \
    } while (0)
    const int pub_file = is_public_path(path);
    const int m = pub_file ? public_owner(r, path) : module_of_path(r, path);
    if (m < 0) {
        if (pub_file)
            VIOLATION(0, "a public header that no module owns: add it to a \"public\" line of " RULES_FILE);
        else
            VIOLATION(0, "a file of no module: add its directory to a \"module\" line of " RULES_FILE);
        return bad;
    }
    char dir[PATH_LEN];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        dir[0] = '\0';
    int in_comment = 0, ln = 0;
    for (const char *p = text; *p;) {
        const char *eol = strchr(p, '\n');
        const size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), p);
        p += len + (eol != NULL);
        ln++;
        /* block comments out (a directive begins its line outside one) */
        const int started_in_comment = in_comment;
        for (char *c = line; *c; c++) {
            if (in_comment) {
                if (c[0] == '*' && c[1] == '/')
                    in_comment = 0, c++;
            } else if (c[0] == '/' && c[1] == '*')
                in_comment = 1, c++;
            else if (c[0] == '/' && c[1] == '/')
                break;
        }
        if (started_in_comment)
            continue;
        const char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s++ != '#')
            continue;
        while (*s == ' ' || *s == '\t')
            s++;
        if (strncmp(s, "include", 7) != 0 || isalnum((unsigned char)s[7]) || s[7] == '_')
            continue;
        s += 7;
        while (*s == ' ' || *s == '\t')
            s++;
        const char open = *s, close = open == '<' ? '>' : '"';
        const char *end = (open == '<' || open == '"') ? strchr(s + 1, close) : NULL;
        if (!end) {
            VIOLATION(ln, "an #include that is neither \"...\" nor <...>");
            continue;
        }
        char name[PATH_LEN / 2], target[PATH_LEN];
        snprintf(name, sizeof name, "%.*s", (int)(end - s - 1), s + 1);
        if (strncmp(name, "clvsim/", 7) == 0)
            snprintf(target, sizeof target, "include/%s", name);
        else if (open == '<')
            continue; /* a system header */
        else if (join_path(dir, name, target, sizeof target) != 0 || !is_file(target)) {
            VIOLATION(ln, "#include \"%s\" names no file relative to %s/ (the only -I is include/)", name,
                      dir[0] ? dir : ".");
            continue;
        }
        int allowed = 0;
        for (int a = 0; a < r->n_allow; a++)
            if (strcmp(r->allow[a].file, path) == 0 && strcmp(r->allow[a].target, target) == 0)
                allowed = 1, r->allow[a].used = 1;
        if (allowed)
            continue;
        if (is_public_path(target)) {
            const int o = public_owner(r, target);
            if (!is_file(target))
                VIOLATION(ln, "#include %c%s%c: no such public header", open, name, close);
            else if (o < 0)
                VIOLATION(ln, "#include %c%s%c: %s belongs to no module of " RULES_FILE, open, name, close, target);
            else if (o != m && !r->m[m].uses[o])
                VIOLATION(ln, "#include %c%s%c: %s (module %s) may not use module %s", open, name, close, path,
                          r->m[m].name, r->m[o].name);
        } else {
            const int o = module_of_path(r, target);
            if (pub_file)
                VIOLATION(ln, "#include \"%s\": a public header may include public headers only", name);
            else if (o < 0)
                VIOLATION(ln, "#include \"%s\": %s belongs to no module of " RULES_FILE, name, target);
            else if (o != m && !r->m[m].internal[o])
                VIOLATION(ln, "#include \"%s\": %s (module %s) may not include the internal headers of module %s",
                          name, path, r->m[m].name, r->m[o].name);
        }
    }
#undef VIOLATION
    return bad;
}

/* ---- the tree ------------------------------------------------------------ */

typedef struct file_list {
    char (*path)[PATH_LEN];
    int n;
} file_list;

static void walk(const char *dir, file_list *fl, int depth)
{
    DIR *d = opendir(dir[0] ? dir : ".");
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *nm = e->d_name;
        if (nm[0] == '.' || (depth == 0 && strncmp(nm, "build", 5) == 0))
            continue;
        char p[PATH_LEN];
        if (snprintf(p, sizeof p, "%s%s%s", dir, dir[0] ? "/" : "", nm) >= (int)sizeof p) {
            harness_fail(__FILE__, __LINE__, "a path longer than %d bytes under %s", PATH_LEN, dir);
            continue;
        }
        if (is_dir(p)) {
            if (depth < 12)
                walk(p, fl, depth + 1);
            continue;
        }
        const size_t len = strlen(nm);
        if (len > 2 && nm[len - 2] == '.' && (nm[len - 1] == 'c' || nm[len - 1] == 'h') && fl->n < MAX_FILES)
            snprintf(fl->path[fl->n++], PATH_LEN, "%s", p);
    }
    closedir(d);
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0, k;
    char chunk[8192];
    while ((k = fread(chunk, 1, sizeof chunk, fp)) > 0) {
        if (n + k + 1 > cap) {
            cap = 2 * (n + k + 1);
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(fp);
                return NULL;
            }
            buf = nb;
        }
        memcpy(buf + n, chunk, k);
        n += k;
    }
    fclose(fp);
    if (!buf)
        buf = calloc(1, 1);
    else
        buf[n] = '\0';
    return buf;
}

static int cmp_path(const void *a, const void *b) { return strcmp(a, b); }

static file_list list_files(void)
{
    file_list fl = {malloc(MAX_FILES * sizeof *fl.path), 0};
    if (fl.path) {
        walk("", &fl, 0);
        qsort(fl.path, (size_t)fl.n, sizeof *fl.path, cmp_path);
    }
    return fl;
}

/* the checker refuses what the rules forbid (on texts given here, so this
 * holds whatever the tree looks like) */
TEST(test_arch_include_checker)
{
    static rules r;
    if (rules_load(&r, RULES_FILE) != 0)
        return;
    /* the simulator uses no model, agent or evaluation */
    CHECK_INT(check_text(&r, "src/sim/new.c", "#include \"clvsim/sim.h\"\n#include <math.h>\n", 1), 0);
    CHECK_INT(check_text(&r, "src/sim/new.c", "#include \"clvsim/btyd.h\"\n", 1), 1);
    CHECK_INT(check_text(&r, "src/sim/new.c", "  #  include <clvsim/agent.h>\n", 1), 1);
    CHECK_INT(check_text(&r, "src/sim/new.c", "#include \"clvsim/evaluate.h\"\n", 1), 1);
    /* ... but its own and core's internal headers */
    CHECK_INT(check_text(&r, "src/sim/new.c", "#include \"sim_internal.h\"\n#include \"../core/binfile.h\"\n", 1),
              0);
    CHECK_INT(check_text(&r, "src/sim/new.c", "#include \"../model/btyd_internal.h\"\n", 1), 1);
    /* the command: public headers and cli.h only */
    CHECK_INT(check_text(&r, "src/cli/new.c", "#include \"cli.h\"\n#include \"clvsim/clvsim.h\"\n", 1), 0);
    CHECK_INT(check_text(&r, "src/cli/new.c", "#include \"../core/binfile.h\"\n", 1), 1);
    /* a name that resolves only with the -I flags that are gone */
    CHECK_INT(check_text(&r, "src/model/new.c", "#include \"binfile.h\"\n", 1), 1);
    /* public headers: public ones only, of the modules below */
    CHECK_INT(check_text(&r, "include/clvsim/sim.h", "#include \"clvsim/error.h\"\n", 1), 0);
    CHECK_INT(check_text(&r, "include/clvsim/sim.h", "#include \"clvsim/policy.h\"\n", 1), 1);
    CHECK_INT(check_text(&r, "include/clvsim/sim.h", "#include \"../../src/core/binfile.h\"\n", 1), 1);
    CHECK_INT(check_text(&r, "include/clvsim/unowned.h", "", 1), 1);
    /* comments are not includes; files of no module are refused */
    CHECK_INT(check_text(&r, "src/sim/new.c", "/*\n#include \"clvsim/btyd.h\"\n*/\n// #include \"clvsim/agent.h\"\n",
                         1), 0);
    CHECK_INT(check_text(&r, "nowhere/new.c", "", 1), 1);
    /* an exception holds for its file only */
    CHECK_INT(check_text(&r, "src/core/version.c", "#include \"clvsim/clvsim.h\"\n", 1), 0);
    CHECK_INT(check_text(&r, "src/core/other.c", "#include \"clvsim/clvsim.h\"\n", 1), 1);
}

/* every include of the repository follows the rules, and every public
 * header and exception of the rules is real */
TEST(test_arch_include_rules)
{
    static rules r;
    if (rules_load(&r, RULES_FILE) != 0)
        return;
    file_list fl = list_files();
    CHECK(fl.path != NULL);
    if (!fl.path)
        return;
    int public_files = 0;
    for (int i = 0; i < fl.n; i++) {
        char *text = slurp(fl.path[i]);
        CHECK(text != NULL);
        if (!text)
            continue;
        check_text(&r, fl.path[i], text, 0);
        free(text);
        public_files += is_public_path(fl.path[i]);
    }
    /* the scan saw the tree: the library, the suite and this file */
    CHECK(fl.n > 50);
    CHECK(public_files >= 10);
    int seen_self = 0;
    for (int i = 0; i < fl.n; i++)
        seen_self |= strcmp(fl.path[i], "tests/test_arch.c") == 0;
    CHECK(seen_self);
    for (int i = 0; i < r.n_pub; i++)
        if (!is_file(r.pub[i].header))
            harness_fail(RULES_FILE, 0, "public header %s of module %s does not exist", r.pub[i].header,
                         r.m[r.pub[i].module].name);
    for (int a = 0; a < r.n_allow; a++)
        if (!r.allow[a].used)
            harness_fail(RULES_FILE, 0, "the exception \"allow %s %s\" is used by no include: remove it",
                         r.allow[a].file, r.allow[a].target);
    free(fl.path);
}

/* ---- stream keys ----------------------------------------------------------- */

/* 1 when s[0, n) holds a numeric literal (a digit that does not continue an identifier) */
static int has_number(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isdigit((unsigned char)s[i]) && (i == 0 || !(isalnum((unsigned char)s[i - 1]) || s[i - 1] == '_')))
            return 1;
    return 0;
}

/* Every stream key that the library builds names its replication through
 * the registry (clvsim/streams.h) or a variable: no bare number, so that a
 * new use of the keys cannot take a namespace without the registry. */
TEST(test_arch_stream_keys_named)
{
    file_list fl = list_files();
    CHECK(fl.path != NULL);
    if (!fl.path)
        return;
    int keys = 0;
    for (int i = 0; i < fl.n; i++) {
        if (strncmp(fl.path[i], "src/", 4) != 0)
            continue;
        char *text = slurp(fl.path[i]);
        if (!text)
            continue;
        for (const char *p = strstr(text, "(clv_stream_key){"); p; p = strstr(p + 1, "(clv_stream_key){")) {
            /* the third of the initialiser's top-level fields */
            const char *q = p + strlen("(clv_stream_key){"), *f3 = NULL, *f3_end = NULL;
            int depth = 0, field = 0;
            for (; *q && !(depth == 0 && *q == '}'); q++) {
                if (*q == '(' || *q == '{')
                    depth++;
                else if (*q == ')' || *q == '}')
                    depth--;
                else if (*q == ',' && depth == 0) {
                    field++;
                    if (field == 2)
                        f3 = q + 1;
                    else if (field == 3)
                        f3_end = q;
                }
            }
            int line = 1;
            for (const char *c = text; c < p; c++)
                line += *c == '\n';
            keys++;
            if (!f3 || !f3_end)
                harness_fail(fl.path[i], line, "a stream key without four fields");
            else if (has_number(f3, (size_t)(f3_end - f3)))
                harness_fail(fl.path[i], line, "a stream key's replication \"%.*s\" is a bare number: name it in "
                             "clvsim/streams.h", (int)(f3_end - f3), f3);
        }
        free(text);
    }
    CHECK(keys >= 10); /* the scan found the library's keys */
    /* and the test finds a bare number */
    CHECK(has_number(" 1000000 + (uint64_t)e", 22));
    CHECK(!has_number(" clv_world_oracle((uint64_t)e)", 30));
    free(fl.path);
}
