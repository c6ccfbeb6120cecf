/*
 * testcase.h - the input.txt format of the golden cases of tests/data
 * (test_svg.c and test_export.c): "# size W H", "# max_points N",
 * "# subject|title TEXT", "# kind|y|interval|sma|log|start|end VALUE",
 * series lines and "NUMBER TIME|- LEN [SERIES]" packet lines (see
 * test_svg.c's top for the whole of it), and where a case's files are:
 * $TESTS_DIR/data/<suite>/<case>/ (tests/CMakeLists.txt registers one
 * ctest per case directory, golden_<suite>_<case>, which runs
 * test_<suite> <case>). Header-only.
 */
#ifndef TESTCASE_H
#define TESTCASE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart/chart.h"
#include "testchart.h"

static inline int parse_ns(const char *s, int64_t *ns) {
    int64_t ip = 0, fp = 0;
    int neg = 0, d = 0;

    if (*s == '-')
        neg = 1, s++;
    if (*s < '0' || *s > '9')
        return -1;
    while (*s >= '0' && *s <= '9')
        ip = ip * 10 + (*s++ - '0');
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++)
            if (d < 9)
                fp = fp * 10 + (*s - '0'), d++;
    for (; d < 9; d++)
        fp *= 10;
    *ns = (ip * 1000000000 + fp) * (neg ? -1 : 1);
    return 0;
}

/* Copy src into dst[n], cut when too long (input files are ours). */
static inline void copy(char *dst, size_t n, const char *src) {
    size_t len = strlen(src);

    if (len >= n)
        len = n - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static inline char *rest(char *line, size_t skip) {
    char *s = line + skip, *e;

    while (*s == ' ')
        s++;
    if ((e = strchr(s, '\n')) != NULL)
        *e = '\0';
    return s;
}

/* A "# kind|y|interval|sma|log|start|end VALUE" line of an input.txt. 0 or -1. */
static inline int view_line(struct chart *c, char *line) {
    static const char *const YS[] = {"packets", "bytes", "bits", "packets/s", "bytes/s",
                                     "bits/s",  "sum",   "min",  "max",       "avg"};
    char key[16];
    char *val;
    size_t i;

    if (sscanf(line, "# %15s", key) != 1)
        return -1;
    val = rest(line, 3 + strlen(key));
    if (strcmp(key, "kind") == 0) {
        c->kind = strcmp(val, "io") == 0     ? CHART_IO
                  : strcmp(val, "hist") == 0 ? CHART_HIST
                                             : CHART_SIZE;
    } else if (strcmp(key, "y") == 0) {
        for (i = 0; i < sizeof(YS) / sizeof(YS[0]); i++)
            if (strcmp(val, YS[i]) == 0)
                c->io_y = (enum io_y)i;
    } else if (strcmp(key, "interval") == 0) {
        return strcmp(val, "auto") == 0 ? (c->interval_ns = 0)
                                        : parse_ns(val, &c->interval_ns);
    } else if (strcmp(key, "sma") == 0) {
        c->sma = (unsigned)strtoul(val, NULL, 10);
    } else if (strcmp(key, "log") == 0) {
        c->log_y = strcmp(val, "1") == 0;
    } else if (strcmp(key, "start") == 0) {
        c->has_start = 1;
        return parse_ns(val, &c->start_ns);
    } else if (strcmp(key, "end") == 0) {
        c->has_end = 1;
        return parse_ns(val, &c->end_ns);
    }
    return 0;
}

/* Build the chart of an input.txt (see the top of the file). 0 or -1; c is
 * safe to chart_release either way. */
static inline int load_case(const char *path, struct chart *c) {
    char line[1024], tb[64];
    unsigned long long num, len;
    int w = 0, h = 0, rc = -1;
    size_t mp = 0, si;
    FILE *f;

    memset(c, 0, sizeof(*c));
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    /* the size and max_points lines come first: they are chart_init's */
    while (fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, "# size %d %d", &w, &h) == 2)
            continue;
        if (sscanf(line, "# max_points %zu", &mp) == 1)
            continue;
    }
    rewind(f);
    chart_init(c, w, h, mp);
    while (fgets(line, sizeof(line), f) != NULL) {
        struct pkt p;
        int n;

        if (strncmp(line, "# subject ", 10) == 0) {
            copy(c->subject, sizeof(c->subject), rest(line, 10));
        } else if (strncmp(line, "# title ", 8) == 0) {
            copy(c->title, sizeof(c->title), rest(line, 8));
        } else if (strncmp(line, "# warn ", 7) == 0) {
            chart_warn(c, "%s", rest(line, 7));
        } else if (strncmp(line, "# kind ", 7) == 0 || strncmp(line, "# y ", 4) == 0 ||
                   strncmp(line, "# interval ", 11) == 0 ||
                   strncmp(line, "# sma ", 6) == 0 || strncmp(line, "# log ", 6) == 0 ||
                   strncmp(line, "# start ", 8) == 0 || strncmp(line, "# end ", 6) == 0) {
            if (view_line(c, line) == -1)
                goto done;
        } else if (sscanf(line, "# series %zu", &si) == 1 && si < MAX_SERIES) {
            copy(c->series[si].name, sizeof(c->series[si].name), rest(line, 11));
            if (si + 1 > c->nseries)
                c->nseries = si + 1;
        } else if (sscanf(line, "# filter %zu", &si) == 1 && si < MAX_SERIES) {
            copy(c->series[si].filter, sizeof(c->series[si].filter), rest(line, 11));
        } else if (line[0] != '#') {
            si = 0;
            n = sscanf(line, "%llu %63s %llu %zu", &num, tb, &len, &si);
            if (n < 3)
                continue;
            memset(&p, 0, sizeof(p));
            p.number = num;
            p.len = len;
            p.has_len = 1;
            p.has_time = strcmp(tb, "-") != 0;
            if (p.has_time && parse_ns(tb, &p.t_ns) == -1)
                goto done;
            if (chart_add(c, si, &p, NULL) == -1)
                goto done;
        }
    }
    chart_finish(c);
    rc = 0;
done:
    fclose(f);
    return rc;
}

static inline char *read_all(const char *path, size_t *len) {
    struct buf b = BUF_INIT(64 * 1024 * 1024);
    char chunk[4096];
    size_t n;
    FILE *f;

    if ((f = fopen(path, "rb")) == NULL)
        return NULL;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (buf_append(&b, chunk, n) == -1)
            break;
    fclose(f);
    return buf_detach(&b, len);
}

static inline int write_all(const char *path, const char *data, size_t len) {
    FILE *f = fopen(path, "wb");
    int ok;

    if (f == NULL)
        return -1;
    ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/*
 * out[n] := $TESTS_DIR/data/SUITE/NAME/FILE. -1 (with a message) when
 * TESTS_DIR is unset, NAME is not a plain directory name or the path is
 * too long.
 */
static inline int case_path(char *out, size_t n, const char *suite, const char *name,
                            const char *file) {
    const char *dir = getenv("TESTS_DIR");
    int len;

    if (dir == NULL) {
        fprintf(stderr, "TESTS_DIR not set: cannot find the golden cases\n");
        return -1;
    }
    if (name[0] == '\0' || name[0] == '.' || strchr(name, '/') != NULL) {
        fprintf(stderr, "'%s' is not a case name\n", name);
        return -1;
    }
    len = snprintf(out, n, "%s/data/%s/%s/%s", dir, suite, name, file);
    return len < 0 || (size_t)len >= n ? -1 : 0;
}

/*
 * The rendering data[len] is the golden file exp_path's bytes: 0, else -1
 * with a message. With UPDATE_GOLDEN=1 it writes exp_path instead (look at
 * the diff before committing).
 */
static inline int golden_compare(const char *exp_path, const char *data, size_t len) {
    const char *update = getenv("UPDATE_GOLDEN");
    size_t want_len;
    char *want;
    int rc;

    if (update != NULL && strcmp(update, "1") == 0) {
        rc = write_all(exp_path, data, len);
        printf(rc == 0 ? "wrote %s\n" : "cannot write %s\n", exp_path);
        return rc;
    }
    want = read_all(exp_path, &want_len);
    rc = want != NULL && want_len == len && memcmp(want, data, len) == 0 ? 0 : -1;
    if (rc == -1)
        fprintf(stderr, "%s differs from the rendering (UPDATE_GOLDEN=1 rewrites)\n",
                exp_path);
    free(want);
    return rc;
}

#endif
