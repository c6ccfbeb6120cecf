/*
 * test_io.c - the io kind (Wireshark's I/O graph): chart.c's bins, the
 * automatic interval, export.c's values (every y, sma) in JSON and CSV, and
 * the SVG's tooltips, all against a brute force over the packets; interval
 * edges (a packet on a boundary, negative times, 1 us), the interval cap,
 * zoom, log, size and memory bounds.
 */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fmt.h"
#include "chart/chart.h"
#include "chart/io.h"
#include "chart/names.h"
#include "render/export.h"
#include "render/svg.h"
#include "check.h"
#include "testchart.h"
#include "banned.h"

#define NS INT64_C(1000000000)
#define MAX_REF (1u << 20)

/* ---- brute force ---- */

/* floor(a / b), b > 0, the long way. */
static int64_t fdiv(int64_t a, int64_t b) {
    int64_t q = a / b;

    return (a % b != 0 && a < 0) ? q - 1 : q;
}

struct ref {
    int64_t first; /* interval index of ref[0] */
    size_t n;
    double *v; /* n values, sma applied */
};

static void ref_release(struct ref *r) {
    free(r->v);
    memset(r, 0, sizeof(*r));
}

/*
 * What series si of the chart must show: every packet of ps in range,
 * intervals of width iv from the one holding lo to the one holding hi, the
 * plain values, then Wireshark's moving average summed afresh per interval.
 */
static int ref_build(struct ref *r, const struct pkt *ps, size_t np, int64_t iv,
                     enum io_y y, unsigned sma, int64_t lo, int64_t hi, int has_start,
                     int64_t start, int has_end, int64_t end) {
    uint64_t *count, *bytes, *mn, *mx;
    double *plain;
    size_t i, k, h = sma / 2;

    memset(r, 0, sizeof(*r));
    r->first = fdiv(lo, iv);
    r->n = (size_t)(fdiv(hi, iv) - r->first + 1);
    if (r->n > MAX_REF)
        return -1;
    count = calloc(r->n, sizeof(*count));
    bytes = calloc(r->n, sizeof(*bytes));
    mn = calloc(r->n, sizeof(*mn));
    mx = calloc(r->n, sizeof(*mx));
    plain = calloc(r->n, sizeof(*plain));
    r->v = calloc(r->n, sizeof(*r->v));
    for (i = 0; i < np; i++) {
        if (!ps[i].has_time || (has_start && ps[i].t_ns < start) ||
            (has_end && ps[i].t_ns > end))
            continue;
        k = (size_t)(fdiv(ps[i].t_ns, iv) - r->first);
        if (count[k] == 0 || ps[i].len < mn[k])
            mn[k] = ps[i].len;
        if (count[k] == 0 || ps[i].len > mx[k])
            mx[k] = ps[i].len;
        count[k]++;
        bytes[k] += ps[i].len;
    }
    for (k = 0; k < r->n; k++)
        plain[k] = value_of(y, count[k], bytes[k], mn[k], mx[k], iv);
    for (k = 0; k < r->n; k++) {
        size_t a = k >= h ? k - h : 0, b = k + (h > 0 ? h : 1) - 1, j;
        double sum = 0;

        if (sma == 0) {
            r->v[k] = plain[k];
            continue;
        }
        if (b >= r->n)
            b = r->n - 1;
        for (j = a; j <= b; j++)
            sum += plain[j];
        r->v[k] = sum / (double)(b - a + 1);
    }
    free(count);
    free(bytes);
    free(mn);
    free(mx);
    free(plain);
    return 0;
}

static int close_to(double a, double b) {
    return fabs(a - b) <= 1e-9 * fmax(1, fmax(fabs(a), fabs(b)));
}

/* n with thousands separators into dst[32]. */
static char *group(char *dst, size_t n) {
    char raw[32];
    size_t len, i, j = 0;

    len = (size_t)snprintf(raw, sizeof(raw), "%zu", n);
    for (i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            dst[j++] = ',';
        dst[j++] = raw[i];
    }
    dst[j] = '\0';
    return dst;
}

/*
 * The SVG of c. With IO_SVG_DIR set, also written there as NAME.svg (to look
 * at: rsvg-convert NAME.svg -o NAME.png).
 */
static char *to_svg_named(const struct chart *c, size_t *len, const char *name) {
    struct buf out = BUF_INIT(MAX_SVG_BYTES);
    struct err err = ERR_INIT;
    const char *dir = getenv("IO_SVG_DIR");

    if (svg_render(c, &out, &err) == -1) {
        fprintf(stderr, "svg: %s\n", err.msg);
        buf_release(&out);
        return NULL;
    }
    if (dir != NULL && name != NULL) {
        char path[4096];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s.svg", dir, name);
        if ((f = fopen(path, "wb")) != NULL) {
            fwrite(out.data, 1, out.len, f);
            fclose(f);
        }
    }
    if (!well_formed(out.data)) {
        fprintf(stderr, "svg %s is not well formed\n", name != NULL ? name : "");
        buf_release(&out);
        return NULL;
    }
    return buf_detach(&out, len);
}

static char *to_svg(const struct chart *c, size_t *len) {
    return to_svg_named(c, len, NULL);
}

/*
 * Series si of c against r: the model (chart_io_next), the JSON points and
 * the CSV column si agree with it, interval by interval. Returns mismatches.
 */
static size_t compare(const struct chart *c, size_t si, const struct ref *r,
                      const json_t *root, const char *csv) {
    json_t *pts =
        json_object_get(json_array_get(json_object_get(root, "series"), si), "points");
    struct io_values it;
    size_t k, bad = 0, col;
    const char *line = csv != NULL ? strchr(csv, '\n') : NULL;

    if (c->io_count != r->n || c->io_first != r->first || json_array_size(pts) != r->n) {
        fprintf(stderr, "intervals: model %zu from %lld, json %zu; want %zu from %lld\n",
                c->io_count, (long long)c->io_first, json_array_size(pts), r->n,
                (long long)r->first);
        return 1;
    }
    chart_io_begin(&it, c, si);
    for (k = 0; k < r->n; k++) {
        json_t *pt = json_array_get(pts, k);
        double want_t = (double)((r->first + (int64_t)k) * c->io_interval_ns) / 1e9;
        double m = chart_io_next(&it), j = json_number_value(json_array_get(pt, 1));
        const char *f;
        double cv = NAN;

        /* CSV row k: skip the time and si fields */
        if (line != NULL) {
            line++;
            f = line;
            for (col = 0; col <= si && f != NULL; col++)
                f = strchr(f, ',') != NULL ? strchr(f, ',') + 1 : NULL;
            cv = f != NULL ? strtod(f, NULL) : NAN;
            line = strchr(line, '\n');
        }
        if (!close_to(m, r->v[k]) || !close_to(j, r->v[k]) ||
            (csv != NULL && !close_to(cv, r->v[k])) ||
            fabs(json_real_value(json_array_get(pt, 0)) - want_t) > 1e-9 ||
            (it.integral && !json_is_integer(json_array_get(pt, 1)))) {
            if (bad++ < 5)
                fprintf(
                    stderr,
                    "series %zu interval %zu (%g s): model %.17g json %.17g csv %.17g "
                    "want %.17g\n",
                    si, k, want_t, m, j, cv, r->v[k]);
        }
    }
    return bad;
}

static struct pkt *synth(size_t n, int64_t t0, int64_t span, uint64_t seed) {
    struct pkt *ps = calloc(n, sizeof(*ps));
    size_t i;

    rng_state = seed;
    for (i = 0; i < n; i++) {
        uint64_t r = rng();

        ps[i] = mkpkt(i + 1, t0 + (int64_t)(r % (uint64_t)span),
                      r % 5 == 0 ? 1514 : 40 + (r >> 40) % 1500);
        if (r % 97 == 0)
            ps[i].has_time = 0;
        if (r % 89 == 0)
            ps[i].len = 0;
    }
    return ps;
}

/* Two series: every packet, and those of even length. */
static int fill(struct chart *c, const struct pkt *ps, size_t n) {
    struct err err = ERR_INIT;
    size_t i;

    c->nseries = 2;
    for (i = 0; i < n; i++)
        if (chart_add(c, 0, &ps[i], &err) == -1 ||
            (ps[i].len % 2 == 0 && chart_add(c, 1, &ps[i], &err) == -1)) {
            fprintf(stderr, "chart_add: %d %s\n", err.status, err.msg);
            return -1;
        }
    chart_finish(c);
    return 0;
}

static size_t even_of(const struct pkt *ps, size_t n, struct pkt *out) {
    size_t i, m = 0;

    for (i = 0; i < n; i++)
        if (ps[i].len % 2 == 0)
            out[m++] = ps[i];
    return m;
}

/* Every y, with and without sma, given interval, negative times, two series. */
static void test_every_y(void) {
    static const unsigned SMA[] = {0, 1, 2, 3, 4, 10};
    const size_t n = 5000;
    struct pkt *ps = synth(n, -NS / 2, 10 * NS, 7), *ev = calloc(n, sizeof(*ev));
    size_t nev = even_of(ps, n, ev), y, k;
    int64_t tmin = INT64_MAX, tmax = INT64_MIN;

    for (k = 0; k < n; k++)
        if (ps[k].has_time) {
            tmin = ps[k].t_ns < tmin ? ps[k].t_ns : tmin;
            tmax = ps[k].t_ns > tmax ? ps[k].t_ns : tmax;
        }
    for (y = 0; y <= IO_AVG; y++) {
        for (k = 0; k < sizeof(SMA) / sizeof(SMA[0]); k++) {
            struct ref r0, r1;
            struct chart c;
            json_t *root;
            char *csv;

            chart_init(&c, 0, 0, 0);
            c.kind = CHART_IO;
            c.io_y = (enum io_y)y;
            c.sma = SMA[k];
            c.interval_ns = 100000000;
            CHECK(fill(&c, ps, n) == 0);
            CHECK(c.io_interval_ns == 100000000);
            root = to_json(&c);
            csv = to_csv(&c);
            CHECK(root != NULL && csv != NULL);
            /* the range of both series: [min(0, tmin), tmax] */
            ref_build(&r0, ps, n, c.interval_ns, c.io_y, c.sma, tmin < 0 ? tmin : 0, tmax,
                      0, 0, 0, 0);
            ref_build(&r1, ev, nev, c.interval_ns, c.io_y, c.sma, tmin < 0 ? tmin : 0,
                      tmax, 0, 0, 0, 0);
            CHECK(r0.first == -5 && r0.n == 100);
            CHECK(compare(&c, 0, &r0, root, csv) == 0);
            CHECK(compare(&c, 1, &r1, root, csv) == 0);
            CHECK(strcmp(json_string_value(json_object_get(root, "y")),
                         chart_io_y_name(c.io_y)) == 0);
            CHECK(json_integer_value(json_object_get(root, "sma")) == SMA[k]);
            CHECK(fabs(json_real_value(json_object_get(root, "interval")) - 0.1) < 1e-12);
            CHECK(strncmp(csv, "interval_start,All packets,Series 2\n-0.500000000,",
                          49) == 0);
            ref_release(&r0);
            ref_release(&r1);
            json_decref(root);
            free(csv);
            chart_release(&c);
        }
    }
    free(ps);
    free(ev);
}

/* A packet on a boundary opens its interval; negative times floor; 1 us intervals. */
static void test_edges(void) {
    static const int64_t T[] = {0,     999,   1000, 1999, 2000, -1,
                                -1000, -1001, 5000, 5000, 4999, 1000000};
    static const size_t WANT_K[] = {2, 2, 3, 3, 4, 1, 1, 0, 7, 7, 6, 1002};
    struct err err = ERR_INIT;
    struct chart c;
    size_t i;

    chart_init(&c, 0, 0, 0);
    c.kind = CHART_IO;
    c.interval_ns = 1000; /* 1 us, the smallest */
    for (i = 0; i < sizeof(T) / sizeof(T[0]); i++) {
        struct pkt p = mkpkt(i + 1, T[i], 100 + i);

        CHECK(chart_add(&c, 0, &p, &err) == 0);
    }
    chart_finish(&c);
    /* intervals from -2 us (holding -1001 ns) to 1000 us */
    CHECK(c.io_first == -2 && c.io_count == 1003);
    for (i = 0; i < sizeof(T) / sizeof(T[0]); i++) {
        struct io_bin b = chart_io_bin(&c, 0, WANT_K[i]);
        size_t j, want = 0;

        for (j = 0; j < sizeof(T) / sizeof(T[0]); j++)
            want += WANT_K[j] == WANT_K[i];
        CHECK(b.count == want);
        CHECK(chart_io_start(&c, WANT_K[i]) <= T[i] &&
              T[i] < chart_io_start(&c, WANT_K[i]) + 1000);
    }
    CHECK(chart_io_bin(&c, 0, 5).count == 0 && chart_io_bin(&c, 0, 5).min == 0);
    CHECK(chart_io_bin(&c, 0, 1003).count == 0); /* past the end */
    chart_release(&c);

    /* below 1 us: 400 */
    chart_init(&c, 0, 0, 0);
    c.kind = CHART_IO;
    c.interval_ns = 999;
    {
        struct pkt p = mkpkt(1, 0, 60);

        CHECK(chart_add(&c, 0, &p, &err) == -1 && err.status == 400);
        CHECK(strcmp(err.msg, "interval 0.000000999 s is too small: the smallest is "
                              "0.000001 s") == 0);
    }
    chart_release(&c);

    /* a single packet far before 0: intervals from it to 0 */
    chart_init(&c, 0, 0, 0);
    c.kind = CHART_IO;
    c.interval_ns = NS;
    {
        struct pkt p = mkpkt(1, -10 * NS - 1, 60);

        CHECK(chart_add(&c, 0, &p, &err) == 0);
    }
    chart_finish(&c);
    CHECK(c.io_first == -11 && c.io_count == 1 && chart_io_bin(&c, 0, 0).count == 1);
    chart_release(&c);
}

/* Past MAX_IO_INTERVALS intervals chart_add fails with 400. */
static void test_cap(void) {
    struct err err = ERR_INIT;
    struct chart c;
    struct pkt p;
    char want[256];

    snprintf(want, sizeof(want),
             "interval 0.000001 s is too small for this capture: more than 500,000 "
             "intervals; use interval >= 0.000002 s");
    CHECK(MAX_IO_INTERVALS == 500000); /* the message above */

    /* from 0 to the packet: the last interval that fits, then one more */
    chart_init(&c, 0, 0, 0);
    c.kind = CHART_IO;
    c.interval_ns = 1000;
    p = mkpkt(1, (int64_t)(MAX_IO_INTERVALS - 1) * 1000 + 999, 60);
    CHECK(chart_add(&c, 0, &p, &err) == 0);
    p = mkpkt(2, (int64_t)MAX_IO_INTERVALS * 1000, 60);
    CHECK(chart_add(&c, 0, &p, &err) == -1 && err.status == 400);
    CHECK(strcmp(err.msg, want) == 0);
    chart_finish(&c);
    CHECK(c.io_count == MAX_IO_INTERVALS);
    chart_release(&c);

    /* negative and positive times add up; so do two series */
    chart_init(&c, 0, 0, 0);
    c.kind = CHART_IO;
    c.interval_ns = 1000;
    c.nseries = 2;
    p = mkpkt(1, -300000000, 60);
    CHECK(chart_add(&c, 0, &p, &err) == 0);
    p = mkpkt(2, 300000000, 60);
    CHECK(chart_add(&c, 1, &p, &err) == -1 && err.status == 400);
    chart_release(&c);

    /* 8 series share MAX_IO_CELLS: 125,000 intervals each, refused at the first
       packet past it, before its bins, with the interval to use */
    chart_init(&c, 0, 0, 0);
    c.kind = CHART_IO;
    c.interval_ns = 1000;
    c.nseries = MAX_SERIES;
    CHECK(chart_io_max_intervals(MAX_SERIES) == MAX_IO_CELLS / MAX_SERIES);
    CHECK(chart_io_max_intervals(1) == MAX_IO_INTERVALS);
    p = mkpkt(1, 124999 * 1000, 60);
    CHECK(chart_add(&c, 7, &p, &err) == 0);
    p = mkpkt(2, 125000 * 1000, 60);
    CHECK(chart_add(&c, 3, &p, &err) == -1 && err.status == 400);
    CHECK(strcmp(err.msg, "interval 0.000001 s is too small for this capture: more than "
                          "125,000 intervals for each of its 8 series; use interval >= "
                          "0.000002 s") == 0);
    CHECK(c.series[3].nbins == 0);
    chart_release(&c);
    /* the suggestion is the smallest 1-2-5 step that fits */
    CHECK(chart_io_min_interval(0, 3600 * NS, 8) == 50000000);
    CHECK(chart_io_min_interval(0, 1000, 1) == 1000);

    /* a zoom wider than the cap fails at the first packet, even a lone one */
    chart_init(&c, 0, 0, 0);
    c.kind = CHART_IO;
    c.interval_ns = 1000;
    c.has_start = c.has_end = 1;
    c.start_ns = 0;
    c.end_ns = NS;
    p = mkpkt(1, 5, 60);
    CHECK(chart_add(&c, 0, &p, &err) == -1 && err.status == 400);
    chart_release(&c);

    /* a zoom narrower than the cap holds it, wherever the packets are */
    chart_init(&c, 0, 0, 0);
    c.kind = CHART_IO;
    c.interval_ns = 1000;
    c.has_start = c.has_end = 1;
    c.start_ns = 100 * NS;
    c.end_ns = 100 * NS + 400000000;
    p = mkpkt(1, 0, 60); /* out of range: no check */
    CHECK(chart_add(&c, 0, &p, &err) == 0);
    p = mkpkt(2, 100 * NS + 1000, 60);
    CHECK(chart_add(&c, 0, &p, &err) == 0);
    chart_finish(&c);
    CHECK(c.io_count == 400001 && c.io_first == 100000000);
    CHECK(c.series[0].out_of_range == 1 && chart_io_bin(&c, 0, 1).count == 1);
    chart_release(&c);

    /* the epoch-time case: times near 1.3e9 s, a 1 s interval, no 0 on the axis */
    chart_init(&c, 0, 0, 0);
    c.kind = CHART_IO;
    c.interval_ns = NS;
    p = mkpkt(1, 1340954905 * NS, 60);
    CHECK(chart_add(&c, 0, &p, &err) == 0);
    p = mkpkt(2, 1340954965 * NS, 60);
    CHECK(chart_add(&c, 0, &p, &err) == 0);
    chart_finish(&c);
    CHECK(c.io_first == 1340954905 && c.io_count == 61);
    chart_release(&c);
}

/* The automatic interval: 1/2/5 x 10^k, 100..300 intervals, exact values. */
static void test_auto(void) {
    static const int64_t SPANS[] = {50000,      1000000,   30393704000, 3600 * NS,
                                    86400 * NS, 1000 * NS, 7 * NS,      123456789};
    static const int64_t WANT[] = {1000,     5000,   200000000, 20 * NS,
                                   500 * NS, 5 * NS, 50000000,  500000};
    size_t i, y;

    for (i = 0; i < sizeof(SPANS) / sizeof(SPANS[0]); i++) {
        const size_t n = 20000;
        struct pkt *ps = synth(n, 0, SPANS[i], 100 + i), *ev = calloc(n, sizeof(*ev));
        size_t nev = even_of(ps, n, ev), k;
        int64_t tmax = 0, m, iv;
        struct ref r0, r1;
        struct chart c;
        json_t *root;
        char *csv;

        for (k = 0; k < n; k++)
            if (ps[k].has_time && ps[k].t_ns > tmax)
                tmax = ps[k].t_ns;
        ps[0].t_ns = 0; /* frame 1 is at 0, as tshark has it */
        ps[0].has_time = 1;
        nev = even_of(ps, n, ev);
        y = i % (IO_AVG + 1);
        chart_init(&c, 0, 0, 0);
        c.kind = CHART_IO;
        c.io_y = (enum io_y)y;
        CHECK(fill(&c, ps, n) == 0);
        iv = c.io_interval_ns;
        if (iv != WANT[i])
            fprintf(stderr, "span %lld: interval %lld, want %lld\n", (long long)SPANS[i],
                    (long long)iv, (long long)WANT[i]);
        CHECK(iv == WANT[i]);
        for (m = iv; m % 10 == 0; m /= 10)
            ;
        CHECK(m == 1 || m == 2 || m == 5);
        CHECK(iv % c.series[0].bin_ns == 0 && iv % c.series[1].bin_ns == 0);
        CHECK(c.io_count <= IO_AUTO_MAX_INTERVALS);
        CHECK(c.io_count >= 100 || iv == IO_MIN_INTERVAL_NS);
        CHECK(c.series[0].nbins <= IO_AUTO_BINS);
        root = to_json(&c);
        csv = to_csv(&c);
        ref_build(&r0, ps, n, iv, c.io_y, 0, 0, tmax, 0, 0, 0, 0);
        ref_build(&r1, ev, nev, iv, c.io_y, 0, 0, tmax, 0, 0, 0, 0);
        CHECK(compare(&c, 0, &r0, root, csv) == 0);
        CHECK(compare(&c, 1, &r1, root, csv) == 0);
        CHECK(fabs(json_real_value(json_object_get(root, "interval")) -
                   (double)iv / 1e9) < 1e-15);
        ref_release(&r0);
        ref_release(&r1);
        json_decref(root);
        free(csv);
        chart_release(&c);
        free(ps);
        free(ev);
    }
}

/*
 * Automatic bins widen tenfold when a series spans more than IO_AUTO_BINS:
 * 1 us detail over 1000 s, times going backwards too, stays within the
 * bins and exact.
 */
static void test_auto_widen(void) {
    const size_t n = 200000;
    struct pkt *ps = calloc(n, sizeof(*ps));
    struct chart c;
    struct ref r;
    json_t *root;
    size_t i;
    int64_t tmin = 0, tmax = 0;

    rng_state = 42;
    for (i = 0; i < n; i++) {
        uint64_t x = rng();
        /* a burst near 0 first, then anywhere in [-200 s, 800 s], backwards too */
        int64_t t = i < 1000 ? (int64_t)i * 1000 : (int64_t)(x % (1000 * NS)) - 200 * NS;

        ps[i] = mkpkt(i + 1, t, 60 + x % 1400);
        tmin = t < tmin ? t : tmin;
        tmax = t > tmax ? t : tmax;
    }
    chart_init(&c, 0, 0, 0);
    c.kind = CHART_IO;
    c.io_y = IO_MAX;
    c.nseries = 1;
    for (i = 0; i < n; i++)
        CHECK(chart_add(&c, 0, &ps[i], NULL) == 0);
    CHECK(c.series[0].nbins <= IO_AUTO_BINS && c.series[0].bin_ns == 10000000);
    chart_finish(&c);
    CHECK(c.io_interval_ns == 5 * NS && c.io_count == 200);
    root = to_json(&c);
    ref_build(&r, ps, n, c.io_interval_ns, c.io_y, 0, tmin, tmax, 0, 0, 0, 0);
    CHECK(compare(&c, 0, &r, root, NULL) == 0);
    ref_release(&r);
    json_decref(root);
    chart_release(&c);
    free(ps);
}

/* sma: the window of Wireshark's I/O graph, spelled out. */
static void test_sma(void) {
    /* values 1..6 (packets per 1 s interval) */
    static const struct {
        unsigned sma;
        double want[6];
    } CASES[] = {
        {1, {1, 2, 3, 4, 5, 6}},
        {2, {1, 1.5, 2.5, 3.5, 4.5, 5.5}},     /* h 1: k-1..k */
        {3, {1, 1.5, 2.5, 3.5, 4.5, 5.5}},     /* h 1: odd periods lose one */
        {4, {1.5, 2, 2.5, 3.5, 4.5, 5}},       /* h 2: k-2..k+1 */
        {5, {1.5, 2, 2.5, 3.5, 4.5, 5}},       /* h 2 */
        {6, {2, 2.5, 3, 3.5, 4, 4.5}},         /* h 3: k-3..k+2 */
        {100, {3.5, 3.5, 3.5, 3.5, 3.5, 3.5}}, /* the whole chart */
    };
    size_t i, k, j;

    for (i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        struct io_values it;
        struct chart c;
        uint64_t num = 1;
        int ok = 1;

        chart_init(&c, 0, 0, 0);
        c.kind = CHART_IO;
        c.interval_ns = NS;
        c.sma = CASES[i].sma;
        for (k = 0; k < 6; k++)
            for (j = 0; j <= k; j++) {
                struct pkt p = mkpkt(num++, (int64_t)k * NS + (int64_t)j, 100);

                CHECK(chart_add(&c, 0, &p, NULL) == 0);
            }
        chart_finish(&c);
        CHECK(c.io_count == 6);
        chart_io_begin(&it, &c, 0);
        CHECK(!it.integral);
        for (k = 0; k < 6; k++) {
            double v = chart_io_next(&it);

            if (fabs(v - CASES[i].want[k]) > 1e-12) {
                fprintf(stderr, "sma %u interval %zu: %g, want %g\n", CASES[i].sma, k, v,
                        CASES[i].want[k]);
                ok = 0;
            }
        }
        CHECK(ok);
        chart_release(&c);
    }
}

/* Zoom: packets outside [start, end] left out and counted; intervals span the zoom. */
static void test_zoom(void) {
    const size_t n = 3000;
    struct pkt *ps = synth(n, 0, 20 * NS, 11);
    size_t i, in = 0, notime = 0;
    struct chart c;
    struct ref r;
    json_t *root;
    char *svg;

    ps[0] = mkpkt(1, 0, 60);
    ps[1] = mkpkt(2, 2500000000, 61); /* exactly on the bounds: in */
    ps[2] = mkpkt(3, 7500000000, 62);
    for (i = 0; i < n; i++) {
        notime += !ps[i].has_time;
        in += ps[i].has_time && ps[i].t_ns >= 2500000000 && ps[i].t_ns <= 7500000000;
    }
    chart_init(&c, 0, 0, 0);
    c.kind = CHART_IO;
    c.io_y = IO_BYTES;
    c.interval_ns = NS;
    c.has_start = c.has_end = 1;
    c.start_ns = 2500000000;
    c.end_ns = 7500000000;
    for (i = 0; i < n; i++)
        CHECK(chart_add(&c, 0, &ps[i], NULL) == 0);
    chart_finish(&c);
    CHECK(c.series[0].packets == in && c.series[0].out_of_range == n - in);
    CHECK(chart_in_range(&c) == in && chart_seen(&c) == n);
    CHECK(c.io_first == 2 && c.io_count == 6);
    root = to_json(&c);
    ref_build(&r, ps, n, NS, IO_BYTES, 0, 2500000000, 7500000000, 1, 2500000000, 1,
              7500000000);
    CHECK(compare(&c, 0, &r, root, NULL) == 0);
    CHECK(fabs(json_real_value(json_object_get(root, "start")) - 2.5) < 1e-12);
    CHECK(fabs(json_real_value(json_object_get(root, "end")) - 7.5) < 1e-12);
    CHECK((size_t)json_integer_value(json_object_get(root, "in_range")) == in);
    CHECK((size_t)json_integer_value(json_object_get(
              json_array_get(json_object_get(root, "series"), 0), "out_of_range")) ==
          n - in);
    ref_release(&r);
    json_decref(root);
    svg = to_svg(&c, NULL);
    {
        char want[160], a[32], b[32];

        snprintf(want, sizeof(want), "%s of %s packets in range", group(a, in),
                 group(b, n));
        CHECK(svg != NULL && strstr(svg, want) != NULL);
        snprintf(want, sizeof(want),
                 "%s of %s packets are in the range from 2.5 s to 7.5 s.", a, b);
        CHECK(svg != NULL && strstr(svg, want) != NULL);
    }
    free(svg);
    chart_release(&c);

    /* nothing in range */
    chart_init(&c, 0, 0, 0);
    c.kind = CHART_IO;
    c.has_start = 1;
    c.start_ns = 100 * NS;
    for (i = 0; i < 10; i++)
        CHECK(chart_add(&c, 0, &ps[i], NULL) == 0);
    chart_finish(&c);
    svg = to_svg(&c, NULL);
    CHECK(svg != NULL && strstr(svg, ">no packets in the time range</text>") != NULL);
    CHECK(svg != NULL &&
          strstr(svg, "\xE2\x9A\xA0 no packets in the time range") == NULL);
    free(svg);
    chart_release(&c);
    free(ps);
}

/* The SVG: tooltips say the JSON's numbers; log axis; sizes stay bounded. */
static void test_svg(void) {
    const size_t n = 4000;
    struct pkt *ps = synth(n, 0, 30 * NS, 5);
    struct io_values it;
    struct chart c;
    size_t len, k;
    char *svg, want[128], v[64];
    int ok = 1;

    chart_init(&c, 0, 0, 0);
    c.kind = CHART_IO;
    c.io_y = IO_BYTES_PS;
    c.sma = 3;
    CHECK(fill(&c, ps, n) == 0);
    svg = to_svg_named(&c, &len, "io-sma");
    CHECK(svg != NULL && len < SVG_TARGET_BYTES);
    printf("io, 2 series, %zu intervals: %zu bytes\n", c.io_count, len);
    CHECK(strstr(svg, "class=\"ln s0\"") != NULL &&
          strstr(svg, "class=\"ln s1\"") != NULL);
    CHECK(strstr(svg, ">Bytes/s, SMA 3<") != NULL);
    chart_io_begin(&it, &c, 0);
    for (k = 0; k < c.io_count; k++) {
        char raw[64], *d;
        size_t i, j = 0, ilen;

        fmt_value(raw, sizeof(raw), chart_io_next(&it), it.integral);
        /* the tooltip groups thousands */
        ilen = (d = strchr(raw, '.')) != NULL ? (size_t)(d - raw) : strlen(raw);
        for (i = 0; raw[i] != '\0'; i++) {
            if (i > 0 && i < ilen && (ilen - i) % 3 == 0)
                v[j++] = ',';
            v[j++] = raw[i];
        }
        v[j] = '\0';
        snprintf(want, sizeof(want), "\nAll packets: %s B/s\n", v);
        ok &= strstr(svg, want) != NULL;
    }
    CHECK(ok);
    CHECK(c.io_interval_ns == 100000000 && c.io_count == 300);
    CHECK(strstr(svg, "<title>0.1\xE2\x80\x93"
                      "0.2 s\nAll packets: ") != NULL);
    free(svg);

    /* log: powers of ten on the axis, the JSON unchanged */
    {
        struct buf a = BUF_INIT(MAX_EXPORT_BYTES), b = BUF_INIT(MAX_EXPORT_BYTES);
        const char *p, *q;

        CHECK(export_json(&c, NULL, &a, NULL) == 0);
        c.log_y = 1;
        CHECK(export_json(&c, NULL, &b, NULL) == 0);
        p = strstr(a.data, "\"log\": false");
        q = strstr(b.data, "\"log\": true");
        CHECK(p != NULL && q != NULL && a.len == b.len + 1 &&
              strcmp(p + 12, q + 11) == 0);
        buf_release(&a);
        buf_release(&b);
        svg = to_svg_named(&c, &len, "io-log");
        CHECK(svg != NULL && strstr(svg, ">10 kB</text>") != NULL &&
              strstr(svg, ">100 kB</text>") != NULL &&
              strstr(svg, ">1 MB</text>") != NULL);
        CHECK(strstr(svg, "logarithmic y axis") != NULL);
        free(svg);
    }
    chart_release(&c);

    /* 8 series, 124k intervals each (MAX_IO_CELLS is the budget of all of them):
       lines per pixel column, no tooltips */
    chart_init(&c, 0, 0, 0);
    c.kind = CHART_IO;
    c.interval_ns = 1000;
    c.nseries = MAX_SERIES;
    for (k = 0; k < n; k++) {
        struct pkt p = ps[k];
        size_t si;

        if (!p.has_time)
            continue;
        p.t_ns = p.t_ns % 124000000;
        for (si = 0; si < MAX_SERIES; si++)
            if (si == 0 || (p.len + si) % (si + 1) == 0)
                CHECK(chart_add(&c, si, &p, NULL) == 0);
    }
    chart_finish(&c);
    CHECK(c.io_count > 123000 && c.io_count <= 124000);
    svg = to_svg_named(&c, &len, "io-8-series-dense");
    printf("io, 8 series, 124k intervals: %zu bytes\n", len);
    CHECK(svg != NULL && len < SVG_TARGET_BYTES &&
          strstr(svg, "<rect class=\"hb\"") == NULL);
    free(svg);
    chart_release(&c);

    /* empty: no packets at all */
    chart_init(&c, 0, 0, 0);
    c.kind = CHART_IO;
    chart_finish(&c);
    svg = to_svg(&c, &len);
    CHECK(svg != NULL && strstr(svg, ">no packets</text>") != NULL);
    CHECK(c.io_count == 0);
    free(svg);
    {
        json_t *root = to_json(&c);
        char *csv = to_csv(&c);

        CHECK(root != NULL &&
              json_array_size(json_object_get(
                  json_array_get(json_object_get(root, "series"), 0), "points")) == 0);
        CHECK(csv != NULL && strcmp(csv, "interval_start,All packets\n") == 0);
        json_decref(root);
        free(csv);
    }
    chart_release(&c);
    free(ps);
}

/* 3M packets in one pass: bins bounded by the chart, not by the capture. */
static void test_many(void) {
    struct chart c;
    uint64_t i;
    int64_t t = 0;
    int ok = 1;

    chart_init(&c, 0, 0, 0);
    c.kind = CHART_IO;
    rng_state = 3;
    for (i = 0; i < 3000000; i++) {
        struct pkt p;

        t += (int64_t)(rng() % 200000);
        p = mkpkt(i + 1, t, 60 + i % 1455);
        ok &= chart_add(&c, 0, &p, NULL) == 0;
    }
    CHECK(ok && c.series[0].nbins <= IO_AUTO_BINS);
    chart_finish(&c);
    CHECK(c.io_count >= 100 && c.io_count <= IO_AUTO_MAX_INTERVALS);
    {
        uint64_t sum = 0;
        size_t k;

        for (k = 0; k < c.io_count; k++)
            sum += chart_io_bin(&c, 0, k).count;
        CHECK(sum == 3000000);
    }
    chart_release(&c);
}

static void test_names(void) {
    struct chart c;

    CHECK(strcmp(chart_io_y_name(IO_BITS_PS), "bits/s") == 0);
    CHECK(strcmp(chart_io_y_name(IO_AVG), "avg") == 0);
    CHECK(strcmp(chart_kind_name(CHART_IO), "io") == 0);
    chart_init(&c, 0, 0, 0);
    c.kind = CHART_IO;
    snprintf(c.series[0].filter, sizeof(c.series[0].filter), "tcp.port == 80");
    chart_finish(&c);
    CHECK(strcmp(c.title, "I/O graph") == 0 &&
          strcmp(c.series[0].name, "tcp.port == 80") == 0);
    chart_release(&c);
}

int main(void) {
    test_every_y();
    test_edges();
    test_cap();
    test_auto();
    test_auto_widen();
    test_sma();
    test_zoom();
    test_svg();
    test_many();
    test_names();
    return CHECK_DONE();
}
