/*
 * test_hist.c - the hist kind (Wireshark's Packet Lengths): bucket edges,
 * counts and nearest-rank percentiles against a brute force (lengths over
 * 65535 too, and the approximate mode past HIST_EXACT_BIG_LENS distinct
 * ones), frames without time, zoom, JSON, CSV and the SVG's bars.
 */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart/chart.h"
#include "render/export.h"
#include "render/svg.h"
#include "check.h"
#include "testchart.h"
#include "banned.h"

/* The SVG; with HIST_SVG_DIR set, also written there as NAME.svg. */
static char *to_svg(const struct chart *c, size_t *len, const char *name) {
    struct buf out = BUF_INIT(MAX_SVG_BYTES);
    struct err err = ERR_INIT;
    const char *dir = getenv("HIST_SVG_DIR");

    if (svg_render(c, &out, &err) == -1) {
        buf_release(&out);
        return NULL;
    }
    if (dir != NULL) {
        char path[4096];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s.svg", dir, name);
        if ((f = fopen(path, "wb")) != NULL) {
            fwrite(out.data, 1, out.len, f);
            fclose(f);
        }
    }
    if (!well_formed(out.data)) {
        fprintf(stderr, "svg %s is not well formed\n", name);
        buf_release(&out);
        return NULL;
    }
    return buf_detach(&out, len);
}

/* ---- brute force ---- */

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* Wireshark's buckets, written out. */
static size_t bucket_of(uint64_t len) {
    static const uint64_t HI[] = {19, 39, 79, 159, 319, 639, 1279, 2559, 5119};
    size_t b;

    for (b = 0; b < 9; b++)
        if (len <= HI[b])
            return b;
    return 9;
}

struct expect {
    uint64_t buckets[HIST_BUCKETS];
    uint64_t count, min, max, p50, p95, p99;
    double mean;
};

/* Nearest rank: the ceil(p/100 * n)-th smallest (1-based), from the sorted lengths. */
static void expect_of(struct expect *e, uint64_t *lens, size_t n) {
    uint64_t sum = 0;
    size_t i;

    memset(e, 0, sizeof(*e));
    qsort(lens, n, sizeof(*lens), cmp_u64);
    for (i = 0; i < n; i++) {
        e->buckets[bucket_of(lens[i])]++;
        sum += lens[i];
    }
    e->count = n;
    if (n == 0)
        return;
    e->min = lens[0];
    e->max = lens[n - 1];
    e->mean = (double)sum / (double)n;
    e->p50 = lens[(size_t)ceil(0.50 * (double)n) - 1];
    e->p95 = lens[(size_t)ceil(0.95 * (double)n - 1e-9) - 1];
    e->p99 = lens[(size_t)ceil(0.99 * (double)n - 1e-9) - 1];
}

/* Series si of c and of its JSON against e. 1 when all agree. */
static int matches(const struct chart *c, size_t si, const json_t *root,
                   const struct expect *e) {
    const struct series *s = &c->series[si];
    json_t *js = json_array_get(json_object_get(root, "series"), si);
    json_t *st = json_object_get(js, "stats"), *bk = json_object_get(js, "buckets");
    size_t b;
    int ok = 1;

    for (b = 0; b < HIST_BUCKETS; b++) {
        ok &= s->buckets[b] == e->buckets[b];
        ok &= (uint64_t)json_integer_value(
                  json_object_get(json_array_get(bk, b), "count")) == e->buckets[b];
    }
    ok &= s->packets == e->count &&
          (uint64_t)json_integer_value(json_object_get(st, "count")) == e->count;
    if (e->count > 0) {
        ok &= s->p50 == e->p50 && s->p95 == e->p95 && s->p99 == e->p99;
        ok &= (uint64_t)json_integer_value(json_object_get(st, "min")) == e->min &&
              (uint64_t)json_integer_value(json_object_get(st, "max")) == e->max &&
              (uint64_t)json_integer_value(json_object_get(st, "p50")) == e->p50 &&
              (uint64_t)json_integer_value(json_object_get(st, "p95")) == e->p95 &&
              (uint64_t)json_integer_value(json_object_get(st, "p99")) == e->p99 &&
              fabs(json_real_value(json_object_get(st, "mean")) - e->mean) <=
                  1e-9 * e->mean;
    }
    if (!ok)
        fprintf(stderr,
                "series %zu: count %llu p50 %llu p95 %llu p99 %llu; want %llu %llu %llu "
                "%llu\n",
                si, (unsigned long long)s->packets, (unsigned long long)s->p50,
                (unsigned long long)s->p95, (unsigned long long)s->p99,
                (unsigned long long)e->count, (unsigned long long)e->p50,
                (unsigned long long)e->p95, (unsigned long long)e->p99);
    return ok;
}

/* ---- tests ---- */

static void test_buckets(void) {
    static const uint64_t LO[] = {0, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120};
    size_t b;

    for (b = 0; b < HIST_BUCKETS; b++) {
        CHECK(chart_hist_lo(b) == LO[b]);
        CHECK(chart_hist_bucket(LO[b]) == b);
        if (b > 0)
            CHECK(chart_hist_bucket(LO[b] - 1) == b - 1 &&
                  chart_hist_hi(b - 1) == LO[b] - 1);
    }
    CHECK(chart_hist_hi(HIST_BUCKETS - 1) == UINT64_MAX);
    CHECK(chart_hist_bucket(65535) == 9 && chart_hist_bucket(UINT64_MAX) == 9);
}

/* Random lengths, small and over 65535, several counts (nearest rank at the edges). */
static void test_brute_force(void) {
    static const size_t NS[] = {1, 2, 3, 19, 20, 21, 99, 100, 101, 1000, 123457};
    size_t t, i;

    for (t = 0; t < sizeof(NS) / sizeof(NS[0]); t++) {
        size_t n = NS[t], ntcp = 0;
        uint64_t *all = calloc(n, sizeof(*all)), *tcp = calloc(n, sizeof(*tcp));
        struct expect e0, e1;
        struct chart c;
        json_t *root;
        char *csv;

        chart_init(&c, 0, 0, 0);
        c.kind = CHART_HIST;
        c.nseries = 2;
        rng_state = 77 + t;
        for (i = 0; i < n; i++) {
            uint64_t r = rng(), len;
            struct pkt p;

            len = r % 10 == 0   ? 65536 + 37 * ((r >> 20) % 5000) /* GRO/TSO-sized */
                  : r % 10 < 4  ? 54 + (r >> 20) % 20
                  : r % 10 == 9 ? (r >> 20) % 70000
                                : 1514;
            if (r % 1000 == 3)
                len = 65535;
            p = mkpkt(i + 1, r % 50 == 0 ? NO_TIME : (int64_t)i * 1000, len);
            all[i] = len;
            CHECK(chart_add(&c, 0, &p, NULL) == 0);
            if (len % 3 == 0) {
                tcp[ntcp++] = len;
                CHECK(chart_add(&c, 1, &p, NULL) == 0);
            }
        }
        chart_finish(&c);
        CHECK(c.series[0].big_log == NULL);
        expect_of(&e0, all, n);
        expect_of(&e1, tcp, ntcp);
        root = to_json(&c);
        CHECK(root != NULL && matches(&c, 0, root, &e0) && matches(&c, 1, root, &e1));
        CHECK(json_object_get(
                  json_object_get(json_array_get(json_object_get(root, "series"), 0),
                                  "stats"),
                  "approximate") == NULL);
        json_decref(root);
        /* CSV: lo,hi then one column per series */
        csv = to_csv(&c);
        {
            char want[256];
            const char *l = csv;
            int ok = csv != NULL && strncmp(csv, "lo,hi,All packets,Series 2\n", 27) == 0;
            size_t b;

            for (b = 0; b < HIST_BUCKETS && ok; b++) {
                l = strchr(l, '\n') + 1;
                if (b + 1 < HIST_BUCKETS)
                    snprintf(want, sizeof(want), "%llu,%llu,%llu,%llu\n",
                             (unsigned long long)chart_hist_lo(b),
                             (unsigned long long)chart_hist_hi(b),
                             (unsigned long long)e0.buckets[b],
                             (unsigned long long)e1.buckets[b]);
                else
                    snprintf(want, sizeof(want), "5120,,%llu,%llu\n",
                             (unsigned long long)e0.buckets[b],
                             (unsigned long long)e1.buckets[b]);
                ok &= strncmp(l, want, strlen(want)) == 0;
            }
            CHECK(ok);
        }
        free(csv);
        chart_release(&c);
        free(all);
        free(tcp);
    }
}

/*
 * Lengths over 65535: exact with HIST_EXACT_BIG_LENS distinct ones however
 * often they repeat (the list is merged when full); past that, rounded down
 * by less than 0.1% and flagged.
 */
static void test_big(void) {
    const size_t n = 300000;
    uint64_t *lens = calloc(n, sizeof(*lens));
    struct expect e;
    struct chart c;
    json_t *root;
    size_t i;
    char *svg;

    /* HIST_EXACT_BIG_LENS distinct big lengths, shuffled, many times each */
    chart_init(&c, 0, 0, 0);
    c.kind = CHART_HIST;
    rng_state = 5;
    for (i = 0; i < n; i++) {
        uint64_t r = rng();
        struct pkt p;

        /* every one of the distinct lengths, in a scrambled order */
        lens[i] = r % 2 ? 66000 + 7 * ((i * 7919) % HIST_EXACT_BIG_LENS) : 60 + r % 1400;
        p = mkpkt(i + 1, (int64_t)i, lens[i]);
        CHECK(chart_add(&c, 0, &p, NULL) == 0);
    }
    chart_finish(&c);
    CHECK(c.series[0].big_log == NULL && c.series[0].nbig == HIST_EXACT_BIG_LENS);
    expect_of(&e, lens, n);
    root = to_json(&c);
    CHECK(root != NULL && matches(&c, 0, root, &e));
    json_decref(root);
    chart_release(&c);

    /* every big length distinct: approximate past the limit, within 0.1% below */
    chart_init(&c, 0, 0, 0);
    c.kind = CHART_HIST;
    for (i = 0; i < n; i++) {
        struct pkt p;

        lens[i] = i % 4 == 0 ? 60 : 65536 + 13 * (uint64_t)i;
        p = mkpkt(i + 1, (int64_t)i, lens[i]);
        CHECK(chart_add(&c, 0, &p, NULL) == 0);
    }
    chart_finish(&c);
    CHECK(c.series[0].big_log != NULL && c.series[0].big == NULL);
    expect_of(&e, lens, n);
    CHECK(c.series[0].p50 <= e.p50 && c.series[0].p50 * 1.001 >= (double)e.p50);
    CHECK(c.series[0].p95 <= e.p95 && c.series[0].p95 * 1.001 >= (double)e.p95);
    CHECK(c.series[0].p99 <= e.p99 && c.series[0].p99 * 1.001 >= (double)e.p99);
    /* the rest stays exact */
    CHECK(c.series[0].len_min == e.min && c.series[0].len_max == e.max);
    CHECK(memcmp(c.series[0].buckets, e.buckets, sizeof(e.buckets)) == 0);
    root = to_json(&c);
    CHECK(json_is_true(json_object_get(
        json_object_get(json_array_get(json_object_get(root, "series"), 0), "stats"),
        "approximate")));
    CHECK(strstr(json_string_value(json_array_get(json_object_get(root, "warnings"), 0)),
                 "percentiles among them are rounded down") != NULL);
    json_decref(root);
    svg = to_svg(&c, NULL, "hist-big");
    CHECK(svg != NULL && strstr(svg, "percentiles among them are rounded down") != NULL);
    free(svg);
    chart_release(&c);

    /* huge lengths do not break the slots */
    chart_init(&c, 0, 0, 0);
    c.kind = CHART_HIST;
    for (i = 0; i < 3 * HIST_EXACT_BIG_LENS; i++) {
        struct pkt p = mkpkt(i + 1, 0, UINT64_MAX - i);

        CHECK(chart_add(&c, 0, &p, NULL) == 0);
    }
    chart_finish(&c);
    CHECK(c.series[0].big_log != NULL && c.series[0].p50 > UINT64_MAX / 2 &&
          c.series[0].buckets[9] == 3 * HIST_EXACT_BIG_LENS);
    chart_release(&c);
    free(lens);
}

/* Frames without time count (no time axis) unless a zoom is set; empty series. */
static void test_time_and_zoom(void) {
    struct chart c;
    json_t *root, *st;
    struct pkt p;
    char *svg;
    size_t i;

    chart_init(&c, 0, 0, 0);
    c.kind = CHART_HIST;
    c.nseries = 2;
    for (i = 0; i < 10; i++) {
        p = mkpkt(i + 1, i < 4 ? NO_TIME : (int64_t)i * 1000000000, 100 + i);
        CHECK(chart_add(&c, 0, &p, NULL) == 0);
    }
    chart_finish(&c);
    CHECK(c.series[0].packets == 10 && c.series[0].buckets[3] == 10);
    CHECK(c.nwarnings == 0); /* no "left out of the time axis" */
    root = to_json(&c);
    st = json_object_get(json_array_get(json_object_get(root, "series"), 1), "stats");
    CHECK(json_integer_value(json_object_get(st, "count")) == 0 &&
          json_is_null(json_object_get(st, "p50")) &&
          json_is_null(json_object_get(st, "mean")));
    json_decref(root);
    chart_release(&c);

    chart_init(&c, 0, 0, 0);
    c.kind = CHART_HIST;
    c.has_start = c.has_end = 1;
    c.start_ns = 5000000000;
    c.end_ns = 7000000000;
    for (i = 0; i < 10; i++) {
        p = mkpkt(i + 1, i < 4 ? NO_TIME : (int64_t)i * 1000000000, 100 + i);
        CHECK(chart_add(&c, 0, &p, NULL) == 0);
    }
    chart_finish(&c);
    CHECK(c.series[0].packets == 3 && c.series[0].out_of_range == 7);
    CHECK(c.series[0].p50 == 106 && c.series[0].len_min == 105);
    svg = to_svg(&c, NULL, "hist-zoom");
    CHECK(svg != NULL && strstr(svg, "3 of 10 packets in range") != NULL);
    free(svg);
    chart_release(&c);
}

/* The SVG: one bar per non-empty bucket and series, titles with the counts. */
static void test_svg(void) {
    struct chart c;
    size_t i, si, len, bars = 0, b;
    char *svg, want[128];
    int ok = 1;

    chart_init(&c, 0, 0, 0);
    c.kind = CHART_HIST;
    c.nseries = MAX_SERIES;
    rng_state = 9;
    for (i = 0; i < 20000; i++) {
        uint64_t r = rng();
        struct pkt p = mkpkt(i + 1, (int64_t)i, r % 3 ? 40 + r % 200 : (r >> 10) % 9000);

        for (si = 0; si < MAX_SERIES; si++)
            if (si == 0 || (r >> (si + 20)) % (si + 1) == 0)
                CHECK(chart_add(&c, si, &p, NULL) == 0);
    }
    chart_finish(&c);
    svg = to_svg(&c, &len, "hist-8-series");
    CHECK(svg != NULL && len < SVG_TARGET_BYTES);
    printf("hist, 8 series: %zu bytes\n", len);
    for (si = 0; si < MAX_SERIES; si++)
        for (b = 0; b < HIST_BUCKETS; b++) {
            char n[32];
            uint64_t v = c.series[si].buckets[b];

            if (v == 0)
                continue;
            bars++;
            if (v >= 1000)
                snprintf(n, sizeof(n), "%llu,%03llu", (unsigned long long)(v / 1000),
                         (unsigned long long)(v % 1000));
            else
                snprintf(n, sizeof(n), "%llu", (unsigned long long)v);
            if (b + 1 < HIST_BUCKETS)
                snprintf(want, sizeof(want),
                         "%s \xC2\xB7 %llu\xE2\x80\x93%llu B: %s packet",
                         c.series[si].name, (unsigned long long)chart_hist_lo(b),
                         (unsigned long long)chart_hist_hi(b), n);
            else
                snprintf(want, sizeof(want), "%s \xC2\xB7 5120 B and greater: %s packet",
                         c.series[si].name, n);
            ok &= strstr(svg, want) != NULL;
        }
    CHECK(ok);
    {
        size_t rects = 0;
        const char *q = svg;

        while ((q = strstr(q, "<rect x=")) != NULL)
            rects++, q++;
        CHECK(rects == bars);
    }
    CHECK(strstr(svg, ">\xE2\x89\xA5"
                      "5120<") != NULL &&
          strstr(svg, ">Packets</text>"));
    free(svg);

    /* log: powers of ten */
    c.log_y = 1;
    svg = to_svg(&c, &len, "hist-log");
    CHECK(svg != NULL && strstr(svg, ">1</text>") != NULL &&
          strstr(svg, ">10</text>") != NULL && strstr(svg, ">10k</text>") != NULL);
    free(svg);
    chart_release(&c);

    /* nothing: the message, no bars */
    chart_init(&c, 0, 0, 0);
    c.kind = CHART_HIST;
    chart_finish(&c);
    svg = to_svg(&c, &len, "hist-empty");
    CHECK(svg != NULL && strstr(svg, ">no packets</text>") != NULL &&
          strstr(svg, "<rect x=") == NULL);
    CHECK(strcmp(c.title, "Packet lengths") == 0 &&
          strcmp(c.series[0].name, "All packets") == 0);
    free(svg);
    chart_release(&c);

    /* the smallest chart: labels thinned, still well within bounds */
    chart_init(&c, MIN_WIDTH_PX, MIN_HEIGHT_PX, 0);
    c.kind = CHART_HIST;
    for (i = 0; i < 100; i++) {
        struct pkt p = mkpkt(i + 1, (int64_t)i, i * 60);

        CHECK(chart_add(&c, 0, &p, NULL) == 0);
    }
    chart_finish(&c);
    svg = to_svg(&c, &len, "hist-small");
    CHECK(svg != NULL && strstr(svg, "\xE2\x80\x93") != NULL);
    free(svg);
    chart_release(&c);
}

int main(void) {
    test_buckets();
    test_brute_force();
    test_big();
    test_time_and_zoom();
    test_svg();
    return CHECK_DONE();
}
