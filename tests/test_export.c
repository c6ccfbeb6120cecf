/*
 * test_export.c - JSON and CSV export: shape (parsed back with jansson),
 * exact points, no-time rows, decimated columns, escaping, golden files.
 *
 * Golden cases: `test_export CASE` (the ctest golden_export_CASE) checks
 * tests/data/export/CASE/input.txt (the format of test_svg.c) against
 * expected.json and expected.csv; the bare `test_export` runs the other
 * checks. UPDATE_GOLDEN=1 rewrites the expected files.
 */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chart/chart.h"
#include "base/escape.h"
#include "base/fmt.h"
#include "render/export.h"
#include "check.h"
#include "testchart.h"
#include "testcase.h"
#include "banned.h"

/* The documented shape of the io and hist kinds (export.h). */
static int shape_kind_ok(const json_t *root, const struct chart *c) {
    static const char *const STATS[] = {"min", "max", "p50", "p95", "p99"};
    json_t *series, *s, *a, *e, *st;
    size_t i, j, k;

    if (!json_is_object(root) || !json_is_integer(json_object_get(root, "packets")) ||
        !json_is_array(json_object_get(root, "warnings")) ||
        json_array_size(json_object_get(root, "warnings")) != c->nwarnings ||
        strcmp(json_string_value(json_object_get(root, "kind")),
               c->kind == CHART_IO ? "io" : "hist") != 0)
        return 0;
    series = json_object_get(root, "series");
    if (!json_is_array(series) || json_array_size(series) != c->nseries)
        return 0;
    if (c->kind == CHART_IO && (!json_is_real(json_object_get(root, "interval")) ||
                                !json_is_string(json_object_get(root, "y")) ||
                                !json_is_integer(json_object_get(root, "sma")) ||
                                !json_is_boolean(json_object_get(root, "log"))))
        return 0;
    json_array_foreach(series, i, s) {
        if (strcmp(json_string_value(json_object_get(s, "name")), c->series[i].name) !=
                0 ||
            (uint64_t)json_integer_value(json_object_get(s, "packets")) !=
                c->series[i].packets)
            return 0;
        if (c->kind == CHART_IO) {
            a = json_object_get(s, "points");
            if (!json_is_array(a) || json_array_size(a) != c->io_count)
                return 0;
            json_array_foreach(a, j, e) {
                if (json_array_size(e) != 2 || !json_is_real(json_array_get(e, 0)) ||
                    !json_is_number(json_array_get(e, 1)))
                    return 0;
            }
            continue;
        }
        a = json_object_get(s, "buckets");
        st = json_object_get(s, "stats");
        if (json_array_size(a) != HIST_BUCKETS || !json_is_object(st) ||
            !json_is_integer(json_object_get(st, "count")))
            return 0;
        json_array_foreach(a, j, e) {
            if (!json_is_integer(json_object_get(e, "lo")) ||
                !json_is_integer(json_object_get(e, "count")) ||
                (j + 1 < HIST_BUCKETS) != json_is_integer(json_object_get(e, "hi")) ||
                (j + 1 == HIST_BUCKETS) != json_is_null(json_object_get(e, "hi")))
                return 0;
        }
        for (k = 0; k < sizeof(STATS) / sizeof(STATS[0]); k++)
            if (c->series[i].packets > 0 ? !json_is_integer(json_object_get(st, STATS[k]))
                                         : !json_is_null(json_object_get(st, STATS[k])))
                return 0;
        if (c->series[i].packets > 0 ? !json_is_real(json_object_get(st, "mean"))
                                     : !json_is_null(json_object_get(st, "mean")))
            return 0;
    }
    return 1;
}

/* The documented shape; returns 1 when root has it. */
static int shape_ok(const json_t *root, const struct chart *c) {
    json_t *series, *s, *pts, *pt, *v;
    size_t i, j;

    if (c->kind != CHART_SIZE)
        return shape_kind_ok(root, c);

    if (!json_is_object(root) || !json_is_integer(json_object_get(root, "packets")) ||
        !json_is_boolean(json_object_get(root, "decimated")) ||
        !json_is_array(json_object_get(root, "warnings")))
        return 0;
    v = json_object_get(root, "duration");
    if (!json_is_real(v) && !json_is_null(v))
        return 0;
    series = json_object_get(root, "series");
    if (!json_is_array(series) || json_array_size(series) != c->nseries)
        return 0;
    if (json_array_size(json_object_get(root, "warnings")) != c->nwarnings)
        return 0;
    json_array_foreach(series, i, s) {
        const struct series *cs = &c->series[i];

        if (!json_is_string(json_object_get(s, "name")) ||
            strcmp(json_string_value(json_object_get(s, "name")), cs->name) != 0 ||
            !json_is_string(json_object_get(s, "filter")) ||
            !json_is_string(json_object_get(s, "color")) ||
            (uint64_t)json_integer_value(json_object_get(s, "packets")) != cs->packets ||
            !json_is_integer(json_object_get(s, "bytes")))
            return 0;
        if (cs->decimated != (json_object_get(s, "columns") != NULL) ||
            cs->decimated != (json_object_get(s, "packets_per_point") != NULL))
            return 0;
        pts = json_object_get(s, "points");
        if (!json_is_array(pts))
            return 0;
        json_array_foreach(pts, j, pt) {
            if (!json_is_array(pt) || json_array_size(pt) != 2 ||
                !(json_is_real(json_array_get(pt, 0)) ||
                  json_is_null(json_array_get(pt, 0))) ||
                !json_is_integer(json_array_get(pt, 1)))
                return 0;
        }
    }
    return 1;
}

static int fmt_is(int64_t ns, const char *want) {
    char got[32];

    fmt_seconds(got, sizeof(got), ns, 9, 9);
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "%lld ns as '%s', want '%s'\n", (long long)ns, got, want);
        return 0;
    }
    return 1;
}

/* ---- tests ---- */

static void test_seconds(void) {
    CHECK(fmt_is(0, "0.000000000"));
    CHECK(fmt_is(-11267000, "-0.011267000"));
    CHECK(fmt_is(30393704000, "30.393704000"));
    CHECK(fmt_is(1, "0.000000001"));
    CHECK(fmt_is(-1, "-0.000000001"));
    CHECK(fmt_is(-1000000000, "-1.000000000"));
    CHECK(fmt_is(1340954905298858000, "1340954905.298858000"));
    CHECK(fmt_is(INT64_MAX, "9223372036.854775807"));
    CHECK(fmt_is(INT64_MIN, "-9223372036.854775808"));
}

static void test_exact(void) {
    static const int64_t T[] = {0, 911310000, -11267000, NO_TIME, 3069049923000, 10701};
    static const uint64_t L[] = {62, 1514, 66, 60, 54, 0};
    size_t n = sizeof(T) / sizeof(T[0]), i;
    struct chart c;
    json_t *root, *pts, *pt;
    char *csv;
    int ok = 1;

    chart_init(&c, 0, 0, 0);
    for (i = 0; i < n; i++) {
        struct pkt p = mkpkt(i + 1, T[i], L[i]);

        CHECK(chart_add(&c, 0, &p, NULL) == 0);
    }
    chart_finish(&c);
    root = to_json(&c);
    CHECK(root != NULL && shape_ok(root, &c));
    CHECK(json_integer_value(json_object_get(root, "packets")) == (json_int_t)n);
    CHECK(json_is_false(json_object_get(root, "decimated")));
    CHECK(fabs(json_real_value(json_object_get(root, "duration")) - 3069.061190) < 1e-9);
    pts = json_object_get(json_array_get(json_object_get(root, "series"), 0), "points");
    CHECK(json_array_size(pts) == n);
    for (i = 0; i < n; i++) {
        pt = json_array_get(pts, i);
        if (T[i] == NO_TIME)
            ok &= json_is_null(json_array_get(pt, 0));
        else
            ok &=
                fabs(json_real_value(json_array_get(pt, 0)) - (double)T[i] / 1e9) < 1e-12;
        ok &= json_integer_value(json_array_get(pt, 1)) == (json_int_t)L[i];
    }
    CHECK(ok); /* every packet, in capture order */
    CHECK(strcmp(json_string_value(json_array_get(json_object_get(root, "warnings"), 0)),
                 "1 frame has no timestamp and is left out of the time axis") == 0);
    json_decref(root);

    csv = to_csv(&c);
    CHECK(csv != NULL && strcmp(csv, "time_relative,len\n"
                                     "0.000000000,62\n"
                                     "0.911310000,1514\n"
                                     "-0.011267000,66\n"
                                     ",60\n"
                                     "3069.049923000,54\n"
                                     "0.000010701,0\n") == 0);
    free(csv);
    chart_release(&c);

    /* empty chart: still the documented shape */
    chart_init(&c, 0, 0, 0);
    chart_finish(&c);
    root = to_json(&c);
    CHECK(root != NULL && shape_ok(root, &c));
    CHECK(json_is_null(json_object_get(root, "duration")));
    json_decref(root);
    csv = to_csv(&c);
    CHECK(csv != NULL && strcmp(csv, "time_relative,len\n") == 0);
    free(csv);
    chart_release(&c);
}

/* Decimated: every column's min and max packet is among the points. */
static void test_decimated(void) {
    const uint64_t n = 200000;
    struct chart c;
    json_t *root, *s, *cols, *col, *pts, *pt;
    size_t i, j, found_min, found_max, missing = 0, ncols = 0;
    int64_t t = -3000000000LL;
    char *csv;
    int ok = 1;

    chart_init(&c, 0, 0, 1000);
    rng_state = 5;
    for (i = 0; i < n; i++) {
        uint64_t r = rng();
        struct pkt p;

        t += (int64_t)(r % 50000);
        p = mkpkt(i + 1,
                  r % 700 == 3   ? NO_TIME
                  : r % 300 == 1 ? t - 9000000
                                 : t,
                  i == n / 2   ? 1
                  : i == n / 4 ? 65535
                               : 60 + (r >> 30) % 1455);
        ok &= chart_add(&c, 0, &p, NULL) == 0;
    }
    CHECK(ok);
    chart_finish(&c);
    CHECK(c.series[0].decimated);
    root = to_json(&c);
    CHECK(root != NULL && shape_ok(root, &c));
    CHECK(json_is_true(json_object_get(root, "decimated")));
    s = json_array_get(json_object_get(root, "series"), 0);
    cols = json_object_get(s, "columns");
    pts = json_object_get(s, "points");
    CHECK(json_real_value(json_object_get(s, "packets_per_point")) > 1);
    json_array_foreach(cols, i, col) {
        double t0 = json_real_value(json_object_get(col, "t0"));
        double t1 = json_real_value(json_object_get(col, "t1"));
        json_int_t lo = json_integer_value(json_object_get(col, "min"));
        json_int_t hi = json_integer_value(json_object_get(col, "max"));

        found_min = found_max = 0;
        json_array_foreach(pts, j, pt) {
            double pt_t = json_real_value(json_array_get(pt, 0));
            json_int_t len = json_integer_value(json_array_get(pt, 1));

            if (pt_t < t0 - 1e-10 || pt_t >= t1 - 1e-10)
                continue;
            found_min |= len == lo;
            found_max |= len == hi;
        }
        missing += !found_min || !found_max;
        ncols++;
    }
    CHECK(ncols > 1000 && missing == 0);
    /* the columns agree with the model, and the outliers are in */
    {
        size_t used = 0;
        json_int_t count = 0;

        for (i = 0; i < c.series[0].ncols; i++)
            used += c.series[0].cols[i].count > 0;
        json_array_foreach(cols, i, col) count +=
            json_integer_value(json_object_get(col, "count"));
        CHECK(used == ncols && (uint64_t)count == c.series[0].timed);
    }
    found_min = found_max = 0;
    json_array_foreach(pts, j, pt) {
        found_min |= json_integer_value(json_array_get(pt, 1)) == 1;
        found_max |= json_integer_value(json_array_get(pt, 1)) == 65535;
    }
    CHECK(found_min && found_max);
    /* points are in time order */
    {
        double prev = -INFINITY;
        int sorted = 1;

        json_array_foreach(pts, j, pt) {
            sorted &= json_real_value(json_array_get(pt, 0)) >= prev;
            prev = json_real_value(json_array_get(pt, 0));
        }
        CHECK(sorted);
    }
    /* CSV: the same points */
    csv = to_csv(&c);
    {
        size_t lines = 0;
        const char *q;

        for (q = csv; q != NULL && *q != '\0'; q++)
            lines += *q == '\n';
        CHECK(csv != NULL && lines == json_array_size(pts) + 1);
    }
    free(csv);
    json_decref(root);
    chart_release(&c);
}

static void test_escaping(void) {
    struct chart c;
    struct pkt p = mkpkt(1, 5, 60);
    json_t *root, *s;
    char *csv;

    chart_init(&c, 0, 0, 0);
    c.nseries = 2;
    copy(c.series[0].name, sizeof(c.series[0].name), "a,\"b\"\n</script>");
    copy(c.series[1].name, sizeof(c.series[1].name), "=cmd|' /C calc'!A0");
    copy(c.series[1].filter, sizeof(c.series[1].filter), "ip.src == \"10.0.0.1\"");
    chart_warn(&c, "tab\there \\ \"q\"");
    CHECK(chart_add(&c, 0, &p, NULL) == 0 && chart_add(&c, 1, &p, NULL) == 0);
    chart_finish(&c);
    root = to_json(&c);
    CHECK(root != NULL && shape_ok(root, &c));
    s = json_array_get(json_object_get(root, "series"), 1);
    CHECK(strcmp(json_string_value(json_object_get(s, "filter")),
                 "ip.src == \"10.0.0.1\"") == 0);
    CHECK(strcmp(json_string_value(json_array_get(json_object_get(root, "warnings"), 0)),
                 "tab\there \\ \"q\"") == 0);
    json_decref(root);
    csv = to_csv(&c);
    CHECK(csv != NULL && strcmp(csv, "series,time_relative,len\n"
                                     "\"a,\"\"b\"\"\n</script>\",0.000000005,60\n"
                                     "\"'=cmd|' /C calc'!A0\",0.000000005,60\n") == 0);
    free(csv);
    chart_release(&c);
}

/* 1M exact points: written in a buf, no tree; the cap fails cleanly. */
static void test_big_and_cap(void) {
    struct buf out = BUF_INIT(MAX_EXPORT_BYTES);
    struct err err = ERR_INIT;
    struct timespec t0, t1;
    struct chart c;
    uint64_t i;
    int ok = 1;

    chart_init(&c, 0, 0, MAX_POINTS_LIMIT);
    for (i = 0; i < MAX_POINTS_LIMIT; i++) {
        struct pkt p = mkpkt(i + 1, (int64_t)i * 12345, 60 + i % 1455);

        ok &= chart_add(&c, 0, &p, NULL) == 0;
    }
    CHECK(ok && !c.series[0].decimated);
    chart_finish(&c);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(export_json(&c, NULL, &out, &err) == 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("1M exact points: JSON %zu bytes in %.3f s\n", out.len,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    CHECK(out.len < MAX_EXPORT_BYTES / 2);
    CHECK(strstr(out.data, "\n[0.012345000,1060]") != NULL);
    buf_release(&out);
    buf_init(&out, MAX_EXPORT_BYTES);
    CHECK(export_csv(&c, &out, &err) == 0);
    CHECK(strstr(out.data, "\n0.012345000,1060\n") != NULL);
    buf_release(&out);

    buf_init(&out, 4096);
    CHECK(export_json(&c, NULL, &out, &err) == -1 && err.status == 500);
    CHECK(export_csv(&c, &out, &err) == -1 && strstr(err.msg, "larger than") != NULL);
    buf_release(&out);
    chart_release(&c);
}

/*
 * What http.c's json_add_view made of a rendered JSON: "view" inserted
 * before the last '}' (no comma after a '{'). export_json(view_url) must
 * give the same bytes.
 */
static int view_added(const struct buf *plain, const char *url, struct buf *out) {
    size_t pos = plain->len, k;

    while (pos > 0 && plain->data[pos - 1] != '}')
        pos--;
    if (pos == 0)
        return -1;
    k = --pos;
    while (k > 0 && (plain->data[k - 1] == ' ' || plain->data[k - 1] == '\n'))
        k--;
    if (buf_append(out, plain->data, pos) == -1 ||
        buf_puts(out, k > 0 && plain->data[k - 1] == '{' ? "\"view\": "
                                                         : ", \"view\": ") == -1 ||
        esc_json(out, url) == -1 ||
        buf_append(out, plain->data + pos, plain->len - pos) == -1)
        return -1;
    return 0;
}

/* export_json with a view URL: the plain export plus "view", as before. */
static void check_view_url(const struct chart *c, const struct buf *plain) {
    static const char URL[] = "/c/0123abcd?filter=ip.src%3D%3D1&name=\"a\\b\"</script>";
    struct buf want = BUF_INIT(MAX_EXPORT_BYTES), got = BUF_INIT(MAX_EXPORT_BYTES);
    struct err err = ERR_INIT;

    CHECK(view_added(plain, URL, &want) == 0);
    CHECK(export_json(c, URL, &got, &err) == 0);
    CHECK(got.len == want.len && memcmp(got.data, want.data, got.len) == 0);
    buf_release(&want);
    buf_release(&got);
}

/* The golden case tests/data/export/NAME: both formats, checked, compared. */
static void test_golden(const char *name) {
    static const char *const FILES[2] = {"expected.json", "expected.csv"};
    char path[4096], exp_path[4096];
    struct buf out = BUF_INIT(MAX_EXPORT_BYTES);
    struct err err = ERR_INIT;
    struct chart c;
    json_t *root;
    size_t k;

    if (case_path(path, sizeof(path), "export", name, "input.txt") == -1) {
        CHECK(0);
        return;
    }
    if (load_case(path, &c) == -1) {
        fprintf(stderr, "cannot load %s\n", path);
        CHECK(0);
        chart_release(&c);
        return;
    }
    root = to_json(&c);
    CHECK(root != NULL && shape_ok(root, &c));
    json_decref(root);
    for (k = 0; k < 2; k++) {
        buf_release(&out);
        buf_init(&out, MAX_EXPORT_BYTES);
        CHECK((k == 0 ? export_json(&c, NULL, &out, &err) : export_csv(&c, &out, &err)) ==
              0);
        if (k == 0)
            check_view_url(&c, &out);
        CHECK(case_path(exp_path, sizeof(exp_path), "export", name, FILES[k]) == 0 &&
              golden_compare(exp_path, out.data, out.len) == 0);
    }
    chart_release(&c);
    buf_release(&out);
}

/* test_export: the unit checks; test_export CASE: tests/data/export/CASE. */
int main(int argc, char **argv) {
    if (argc > 2) {
        fprintf(stderr, "usage: test_export [CASE]\n");
        return 2;
    }
    if (argc == 2) {
        test_golden(argv[1]);
        return CHECK_DONE();
    }
    test_seconds();
    test_exact();
    test_decimated();
    test_escaping();
    test_big_and_cap();
    return CHECK_DONE();
}
