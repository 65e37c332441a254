/* fuzz.h - what the libFuzzer harnesses share: a private temporary
 * directory for the files the loaders read (every loader of clvsim reads a
 * path), and checks that abort, so that libFuzzer reports a broken promise
 * of the API as a crash with the input that broke it.
 *
 * Built on the public API only (include/clvsim); see fuzz/README.md. */
#ifndef CLVSIM_FUZZ_H
#define CLVSIM_FUZZ_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clvsim/error.h"
#include "clvsim/io.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* a broken promise: say which and abort (libFuzzer saves the input) */
#define FUZZ_CHECK(cond, ...)                                                              \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "\nfuzz check failed at %s:%d: %s\n  ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fputc('\n', stderr);                                                           \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

static char fuzz_dir_[4096];

/* remove the directory and whatever the harness left in it */
static inline void fuzz_cleanup_(void)
{
    DIR *d = opendir(fuzz_dir_);
    if (!d)
        return;
    char p[8192];
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", fuzz_dir_, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(fuzz_dir_);
}

/* create the directory (in $TMPDIR, else /tmp); once per process */
static inline void fuzz_init(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(fuzz_dir_, sizeof fuzz_dir_, "%s/clvsim-fuzz-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(fuzz_dir_)) {
        perror("clvsim fuzz: mkdtemp");
        abort();
    }
    atexit(fuzz_cleanup_);
}

/* the path of file `name` in the directory, into buf */
static inline const char *fuzz_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", fuzz_dir_, name);
    return buf;
}

/* write n bytes to path (replacing it) */
static inline void fuzz_write(const char *path, const void *data, size_t n)
{
    FILE *fp = fopen(path, "wb");
    if (!fp || (n && fwrite(data, 1, n, fp) != n) || fclose(fp) != 0) {
        perror(path);
        abort();
    }
}

/* the whole file at path, as a heap buffer of *n bytes (the caller frees it) */
static inline uint8_t *fuzz_read_all(const char *p, size_t *n)
{
    FILE *fp = fopen(p, "rb");
    FUZZ_CHECK(fp, "cannot open %s", p);
    size_t cap = 4096, len = 0;
    uint8_t *b = malloc(cap);
    FUZZ_CHECK(b, "out of memory");
    for (size_t k; (k = fread(b + len, 1, cap - len, fp)) > 0;) {
        len += k;
        if (len == cap) {
            b = realloc(b, cap *= 2);
            FUZZ_CHECK(b, "out of memory");
        }
    }
    fclose(fp);
    *n = len;
    return b;
}

/* What every failure promises (include/clvsim/error.h): the status in
 * err->code and a message; one about a file's content names the file. */
static inline void fuzz_check_error(int st, const clv_error *e, const char *path)
{
    FUZZ_CHECK(st != CLV_OK && e->code == st, "status %d, err.code %d", st, e->code);
    FUZZ_CHECK(e->msg[0] != '\0', "status %d with an empty message", st);
    FUZZ_CHECK(memchr(e->msg, '\0', sizeof e->msg) && memchr(e->file, '\0', sizeof e->file) &&
                   memchr(e->field, '\0', sizeof e->field),
               "an unterminated string in the error");
    if (st == CLV_EINPUT && path)
        FUZZ_CHECK(e->file[0] != '\0', "an input error that names no file: %s", e->msg);
}

/* One input of a binary file format (8 bytes of magic, a body, a CRC-32 of
 * the body in the last 4 bytes) given to load as it is and, so that the
 * fuzzer reaches past the checksum, again with the checksum made right. */
static inline void fuzz_binary_file(void (*load)(const uint8_t *, size_t), const uint8_t *data, size_t size)
{
    load(data, size);
    if (size >= 12) {
        uint8_t *fixed = malloc(size);
        FUZZ_CHECK(fixed, "out of memory");
        memcpy(fixed, data, size);
        uint32_t crc = clv_crc32(0, data + 8, size - 12);
        memcpy(fixed + size - 4, &crc, 4);
        if (memcmp(fixed, data, size) != 0)
            load(fixed, size);
        free(fixed);
    }
}

#endif
