/*
 * test_svg.c - the SVG renderer: structure, escaping, determinism, size
 * bounds, tooltips, and golden files.
 *
 * Golden cases: `test_svg CASE` (the ctest golden_svg_CASE) renders
 * tests/data/svg/CASE/input.txt and compares it byte for byte with
 * expected.svg beside it; the bare `test_svg` runs the other checks.
 * UPDATE_GOLDEN=1 rewrites the expected files instead (look at them before
 * committing): UPDATE_GOLDEN=1 ctest -R golden_svg. input.txt:
 *   # subject NAME | # title TEXT | # size W H | # max_points N
 *   # series I NAME | # filter I TEXT | # warn TEXT
 *   # kind size|io|hist | # interval SECONDS|auto | # y packets|bytes/s|...
 *   # sma N | # log 1 | # start SECONDS | # end SECONDS   (before the packets)
 *   NUMBER TIME LEN [SERIES]      (TIME "-" for a frame without time)
 */
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chart/chart.h"
#include "render/svg.h"
#include "check.h"
#include "testchart.h"
#include "testcase.h"
#include "banned.h"

/* ---- structure checks ---- */

static size_t count(const char *s, const char *needle) {
    size_t n = 0;

    while ((s = strstr(s, needle)) != NULL)
        n++, s++;
    return n;
}

static int render(const struct chart *c, struct buf *out) {
    struct err err = ERR_INIT;

    buf_release(out);
    buf_init(out, MAX_SVG_BYTES);
    return svg_render(c, out, &err);
}

/* What every document must have. */
static int doc_ok(const struct chart *c) {
    struct buf a = BUF_INIT(MAX_SVG_BYTES), b = BUF_INIT(MAX_SVG_BYTES);
    int ok;

    ok = render(c, &a) == 0 && render(c, &b) == 0;
    ok = ok && a.len == b.len && memcmp(a.data, b.data, a.len) == 0; /* deterministic */
    ok = ok && strncmp(a.data, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) == 0;
    ok = ok && strstr(a.data, " viewBox=\"0 0 ") != NULL &&
         strstr(a.data, " role=\"img\" aria-labelledby=\"pcc-title pcc-desc\"") != NULL &&
         strstr(a.data, "<title id=\"pcc-title\">") != NULL &&
         strstr(a.data, "<desc id=\"pcc-desc\">") != NULL &&
         strstr(a.data, "prefers-color-scheme:dark") != NULL;
    /* axis titles: time and length, time and the io value, or lengths and counts */
    if (c->kind == CHART_HIST)
        ok = ok && strstr(a.data, ">Frame length (bytes)<") != NULL &&
             strstr(a.data, ">Packets</text>") != NULL;
    else
        ok = ok && strstr(a.data, ">Time since ") != NULL &&
             (c->kind == CHART_IO || strstr(a.data, ">Frame length<") != NULL);
    ok = ok && well_formed(a.data) && a.len < SVG_TARGET_BYTES;
    ok = ok && strcmp(a.data + a.len - 7, "</svg>\n") == 0;
    if (!ok)
        fprintf(stderr, "document check failed (%zu bytes)\n", a.len);
    buf_release(&a);
    buf_release(&b);
    return ok;
}

/* ---- golden cases ---- */

/* The golden case tests/data/svg/NAME: rendered, checked, compared. */
static void test_golden(const char *name) {
    char path[4096], exp_path[4096];
    struct buf out = BUF_INIT(MAX_SVG_BYTES);
    struct chart c;

    if (case_path(path, sizeof(path), "svg", name, "input.txt") == -1 ||
        case_path(exp_path, sizeof(exp_path), "svg", name, "expected.svg") == -1) {
        CHECK(0);
        return;
    }
    if (load_case(path, &c) == -1) {
        fprintf(stderr, "cannot load %s\n", path);
        CHECK(0);
    } else {
        CHECK(doc_ok(&c));
        CHECK(render(&c, &out) == 0);
        CHECK(golden_compare(exp_path, out.data, out.len) == 0);
    }
    chart_release(&c);
    buf_release(&out);
}

/* n capture-like packets: bursts of full-size and ACK frames, pauses, outliers. */
static void fill(struct chart *c, uint64_t n) {
    int64_t t = 0;
    uint64_t i;

    rng_state = 99;
    for (i = 0; i < n; i++) {
        uint64_t r = rng(), k = (r >> 8) % 10;
        struct pkt p;

        memset(&p, 0, sizeof(p));
        t += r % 100 < 97 ? (int64_t)((r >> 33) % 40000) : (int64_t)((r >> 20) % 4000000);
        p.number = i + 1;
        p.t_ns = r % 1000 == 7 ? t - 5000000 : t;
        p.len = k < 4 ? 1514 : k < 7 ? 66 : k < 8 ? 60 + (r >> 20) % 1400 : 590;
        if (i == n / 3)
            p.len = 1;
        if (i == 2 * n / 3)
            p.len = 65535;
        p.has_time = p.has_len = 1;
        if (chart_add(c, 0, &p, NULL) == -1)
            break;
    }
    chart_finish(c);
}

/* n points spread evenly at random: no two on one pixel, the worst case of dots. */
static void fill_uniform(struct chart *c, uint64_t n) {
    uint64_t i;

    rng_state = 3;
    for (i = 0; i < n; i++) {
        uint64_t r = rng();
        struct pkt p;

        memset(&p, 0, sizeof(p));
        p.number = i + 1;
        p.t_ns = (int64_t)((r >> 20) % 100000000000ULL);
        p.len = (r >> 4) % 1515;
        p.has_time = p.has_len = 1;
        if (chart_add(c, 0, &p, NULL) == -1)
            break;
    }
    chart_finish(c);
}

static void test_sizes(void) {
    struct buf out = BUF_INIT(MAX_SVG_BYTES);
    struct chart c;

    chart_init(&c, 0, 0, 0);
    fill(&c, 10000);
    CHECK(!c.series[0].decimated && doc_ok(&c) && render(&c, &out) == 0);
    printf("10000 exact points: %zu bytes\n", out.len);
    CHECK(out.len < 200 * 1024 && count(out.data, "h0") > 1000);
    chart_release(&c);

    chart_init(&c, 0, 0, 0);
    fill_uniform(&c, 10000);
    CHECK(doc_ok(&c) && render(&c, &out) == 0);
    printf("10000 exact points at random: %zu bytes\n", out.len);
    CHECK(out.len < 200 * 1024 && count(out.data, "h0") > 8000);
    chart_release(&c);

    /* tooltips on 2000 scattered points fit too */
    chart_init(&c, 0, 0, 0);
    fill_uniform(&c, SVG_TOOLTIP_MAX_POINTS);
    CHECK(doc_ok(&c) && render(&c, &out) == 0);
    printf("%d exact points at random, with tooltips: %zu bytes\n",
           SVG_TOOLTIP_MAX_POINTS, out.len);
    CHECK(out.len < 200 * 1024 && count(out.data, "<title>frame ") > 1900);
    chart_release(&c);

    chart_init(&c, 0, 0, 0);
    fill(&c, 3000000);
    CHECK(c.series[0].decimated && doc_ok(&c) && render(&c, &out) == 0);
    printf("3M packets, decimated: %zu bytes\n", out.len);
    CHECK(out.len < 200 * 1024);
    /* the 1-byte runt and the 65535-byte jumbo are both drawn (as stem ends) */
    CHECK(strstr(out.data, "smallest 1 B (frame 1000001)") != NULL);
    CHECK(strstr(out.data, "largest 65535 B (frame 2000001)") != NULL);
    chart_release(&c);

    /* the largest chart, decimated: still far below the cap */
    chart_init(&c, MAX_WIDTH_PX, MAX_HEIGHT_PX, 0);
    fill(&c, 300000);
    CHECK(render(&c, &out) == 0 && well_formed(out.data) && out.len < MAX_SVG_BYTES);
    printf("300k packets at %dx%d: %zu bytes\n", MAX_WIDTH_PX, MAX_HEIGHT_PX, out.len);
    chart_release(&c);

    /* 300k exact points: too many dots, drawn as stems, still small */
    chart_init(&c, 0, 0, MAX_POINTS_LIMIT);
    fill(&c, 300000);
    CHECK(!c.series[0].decimated && doc_ok(&c) && render(&c, &out) == 0);
    printf("300k exact points: %zu bytes\n", out.len);
    CHECK(out.len < 200 * 1024);
    chart_release(&c);

    /* the smallest chart */
    chart_init(&c, MIN_WIDTH_PX, MIN_HEIGHT_PX, 0);
    fill(&c, 500);
    chart_warn(
        &c, "a warning that is much longer than this small chart is wide, so it is cut");
    CHECK(doc_ok(&c));
    chart_release(&c);
    buf_release(&out);
}

static void test_tooltips(void) {
    struct buf out = BUF_INIT(MAX_SVG_BYTES);
    struct chart c;
    uint64_t i;

    for (i = SVG_TOOLTIP_MAX_POINTS; i <= SVG_TOOLTIP_MAX_POINTS + 1; i++) {
        chart_init(&c, 0, 0, 0);
        fill(&c, i);
        CHECK(doc_ok(&c) && render(&c, &out) == 0);
        if (i <= SVG_TOOLTIP_MAX_POINTS)
            CHECK(count(out.data, "<title>frame ") > 500 &&
                  strstr(out.data, "<title>frame 1: 0.000") != NULL);
        else
            CHECK(strstr(out.data, "<title>frame") == NULL &&
                  count(out.data, "<title") == 1);
        chart_release(&c);
    }

    /* tooltip text: "frame 12: 1.234567 s, 1514 B"; one dot per pixel */
    chart_init(&c, 0, 0, 0);
    {
        struct pkt p;

        memset(&p, 0, sizeof(p));
        p.has_time = p.has_len = 1;
        p.number = 12;
        p.t_ns = 1234567000;
        p.len = 1514;
        CHECK(chart_add(&c, 0, &p, NULL) == 0);
        p.number = 13; /* same pixel */
        CHECK(chart_add(&c, 0, &p, NULL) == 0);
        p.number = 14;
        p.t_ns = -11267123; /* ns digits kept */
        p.len = 66;
        CHECK(chart_add(&c, 0, &p, NULL) == 0);
    }
    chart_finish(&c);
    CHECK(render(&c, &out) == 0);
    CHECK(strstr(out.data, "<title>frame 12: 1.234567 s, 1514 B\nframe 13: 1.234567 s, "
                           "1514 B</title>") != NULL);
    CHECK(strstr(out.data, "<title>frame 14: -0.011267123 s, 66 B</title>") != NULL);
    CHECK(count(out.data, "h0\"><title>") == 2);
    chart_release(&c);
    buf_release(&out);
}

static void test_empty_and_escaping(void) {
    static const char HOSTILE[] = "<script>&\"'";
    struct buf out = BUF_INIT(MAX_SVG_BYTES);
    struct chart c;
    struct pkt p;

    chart_init(&c, 0, 0, 0);
    chart_finish(&c);
    CHECK(doc_ok(&c) && render(&c, &out) == 0);
    CHECK(strstr(out.data, ">no packets</text>") != NULL);
    CHECK(strstr(out.data, ">0 s<") != NULL && strstr(out.data, ">0 B<") != NULL);
    chart_release(&c);

    /* packets, but none with a time */
    chart_init(&c, 0, 0, 0);
    memset(&p, 0, sizeof(p));
    p.number = 1;
    p.len = 60;
    p.has_len = 1;
    CHECK(chart_add(&c, 0, &p, NULL) == 0);
    chart_finish(&c);
    CHECK(doc_ok(&c) && render(&c, &out) == 0);
    CHECK(strstr(out.data, ">no packets with a timestamp</text>") != NULL);
    chart_release(&c);

    /* every text from input is escaped */
    chart_init(&c, 0, 0, 0);
    snprintf(c.subject, sizeof(c.subject), "%s", HOSTILE);
    snprintf(c.title, sizeof(c.title), "%s", HOSTILE);
    snprintf(c.series[0].name, sizeof(c.series[0].name), "%s", HOSTILE);
    snprintf(c.series[0].color, sizeof(c.series[0].color), "\"/><script>");
    chart_warn(&c, "%s", HOSTILE);
    p.t_ns = 5;
    p.has_time = 1;
    CHECK(chart_add(&c, 0, &p, NULL) == 0);
    chart_finish(&c);
    CHECK(doc_ok(&c) && render(&c, &out) == 0);
    CHECK(strstr(out.data, "<script") == NULL && strstr(out.data, "\"'") == NULL);
    CHECK(count(out.data, "&lt;script&gt;&amp;&quot;&#39;") >= 5);
    CHECK(strstr(out.data, "stroke=\"#0072B2\"") != NULL); /* bad colour replaced */
    chart_release(&c);
    buf_release(&out);
}

/* A buf too small for the document fails cleanly with 500. */
static void test_cap(void) {
    struct buf out = BUF_INIT(1000);
    struct err err = ERR_INIT;
    struct chart c;

    chart_init(&c, 0, 0, 0);
    fill(&c, 100);
    CHECK(svg_render(&c, &out, &err) == -1 && err.status == 500);
    CHECK(strstr(err.msg, "larger than") != NULL);
    chart_release(&c);
    buf_release(&out);
}

/* The number after name=" in s, or NAN. */
static double attr(const char *s, const char *name) {
    char key[32];
    const char *at;

    snprintf(key, sizeof(key), " %s=\"", name);
    if ((at = strstr(s, key)) == NULL)
        return NAN;
    return strtod(at + strlen(key), NULL);
}

/*
 * The root's data extent maps every time tick label to the x where it is
 * drawn (what the page's zoom relies on), and a zoom is its edges exactly.
 */
static void check_extent(const struct chart *c, double want_x0, double want_x1) {
    struct buf out = BUF_INIT(MAX_SVG_BYTES);
    double x0, x1, px0, px1, tx, ts;
    const char *tk, *root_end, *ax;
    size_t n = 0;

    CHECK(render(c, &out) == 0);
    if (out.data == NULL)
        return;
    root_end = strchr(out.data, '>');
    x0 = attr(out.data, "data-x0");
    x1 = attr(out.data, "data-x1");
    px0 = attr(out.data, "data-px0");
    px1 = attr(out.data, "data-px1");
    CHECK(root_end != NULL && strstr(out.data, " data-t0=\"0\"") < root_end);
    CHECK(x1 > x0 && px1 > px0 &&
          attr(out.data, "data-py1") > attr(out.data, "data-py0"));
    if (!isnan(want_x0))
        CHECK(fabs(x0 - want_x0) < 1e-9 && fabs(x1 - want_x1) < 1e-9);
    /* the plot's left edge is the axis line's (drawn half a pixel left of it) */
    ax = strstr(out.data, "<path class=\"ax\" d=\"M");
    CHECK(ax != NULL &&
          strtod(ax + strlen("<path class=\"ax\" d=\"M"), NULL) == px0 - 0.5);
    tk = strstr(out.data, "<g class=\"tk\" text-anchor=\"middle\">");
    while (tk != NULL && (tk = strstr(tk, "<text x=\"")) != NULL &&
           sscanf(tk, "<text x=\"%lf\" y=\"%*d\">%lf s<", &tx, &ts) == 2) {
        CHECK(fabs(px0 + (ts - x0) / (x1 - x0) * (px1 - px0) - tx) < 0.01);
        n++;
        tk++;
    }
    CHECK(n >= 2);
    buf_release(&out);
}

static void test_extent(void) {
    struct buf out = BUF_INIT(MAX_SVG_BYTES);
    struct chart c;
    size_t i, k;

    for (i = 0; i < 3; i++) {
        chart_init(&c, 0, 0, 0);
        c.kind = i == 0 ? CHART_SIZE : i == 1 ? CHART_IO : CHART_HIST;
        for (k = 0; k < 50; k++) {
            struct pkt p = mkpkt(k + 1, 1000000000 + (int64_t)k * 40000000, 60);

            CHECK(chart_add(&c, 0, &p, NULL) == 0);
        }
        chart_finish(&c);
        if (c.kind == CHART_HIST) {
            /* no time axis: no extent */
            CHECK(render(&c, &out) == 0 && strstr(out.data, "data-x0") == NULL);
        } else {
            check_extent(&c, NAN, NAN);
        }
        chart_release(&c);
    }
    chart_init(&c, 0, 0, 0);
    c.has_start = c.has_end = 1;
    c.start_ns = 1250000000;
    c.end_ns = 2500000000;
    for (i = 0; i < 50; i++) {
        struct pkt p = mkpkt(i + 1, 1000000000 + (int64_t)i * 40000000, 60);

        CHECK(chart_add(&c, 0, &p, NULL) == 0);
    }
    chart_finish(&c);
    check_extent(&c, 1.25, 2.5);
    chart_release(&c);
    buf_release(&out);
}

/* test_svg: the unit checks; test_svg CASE: tests/data/svg/CASE. */
int main(int argc, char **argv) {
    if (argc > 2) {
        fprintf(stderr, "usage: test_svg [CASE]\n");
        return 2;
    }
    if (argc == 2) {
        test_golden(argv[1]);
        return CHECK_DONE();
    }
    test_extent();
    test_sizes();
    test_tooltips();
    test_empty_and_escaping();
    test_cap();
    return CHECK_DONE();
}
