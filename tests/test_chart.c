/* test_chart.c - the chart model: exact mode, decimation, widening, stats, warnings. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "chart/chart.h"
#include "check.h"
#include "testchart.h"
#include "banned.h"

static int add(struct chart *c, uint64_t number, int64_t t_ns, uint64_t len) {
    struct pkt p = mkpkt(number, t_ns, len);
    struct err err = ERR_INIT;

    return chart_add(c, 0, &p, &err);
}

static int has_warning(const struct chart *c, const char *w) {
    size_t i;

    for (i = 0; i < c->nwarnings; i++)
        if (strcmp(c->warnings[i], w) == 0)
            return 1;
    return 0;
}

static int is_pow2(int64_t w) {
    return w > 0 && (w & (w - 1)) == 0;
}

/* Grid invariants of a decimated series. */
static int grid_ok(const struct series *s) {
    return s->decimated && s->pts == NULL && s->npts == 0 && s->cols != NULL &&
           s->ncols == MAX_COLUMNS && is_pow2(s->width_ns) &&
           s->origin_ns % s->width_ns == 0;
}

/* ---- brute force: what every column must hold, from the packets themselves ---- */

struct brute {
    struct column cols[MAX_COLUMNS];
    uint64_t outside; /* timed packets that fall outside the grid (must be 0) */
};

static void brute_add(struct brute *b, const struct series *s, const struct pkt *p) {
    struct column *col;
    uint64_t idx;

    if (!p->has_time)
        return;
    if (p->t_ns < s->origin_ns) {
        b->outside++;
        return;
    }
    idx = ((uint64_t)p->t_ns - (uint64_t)s->origin_ns) / (uint64_t)s->width_ns;
    if (idx >= MAX_COLUMNS) {
        b->outside++;
        return;
    }
    col = &b->cols[idx];
    if (col->count == 0) {
        col->first.t_ns = p->t_ns;
        col->first.len = p->len;
        col->first.number = p->number;
        col->min = col->max = col->first;
    }
    col->count++;
    col->bytes += p->len;
    col->last.t_ns = p->t_ns;
    col->last.len = p->len;
    col->last.number = p->number;
    if (p->len < col->min.len)
        col->min = col->last;
    if (p->len > col->max.len)
        col->max = col->last;
}

static int point_eq(const struct point *a, const struct point *b) {
    return a->t_ns == b->t_ns && a->len == b->len && a->number == b->number;
}

/* Number of columns that differ from the brute force. */
static size_t brute_diff(const struct brute *b, const struct series *s) {
    size_t i, bad = 0;

    for (i = 0; i < MAX_COLUMNS; i++) {
        const struct column *x = &s->cols[i], *y = &b->cols[i];

        if (x->count != y->count) {
            bad++;
            continue;
        }
        if (x->count == 0)
            continue;
        if (x->bytes != y->bytes || !point_eq(&x->first, &y->first) ||
            !point_eq(&x->last, &y->last) || !point_eq(&x->min, &y->min) ||
            !point_eq(&x->max, &y->max))
            bad++;
    }
    return bad + (size_t)b->outside;
}

/* ---- tests ---- */

static void test_init(void) {
    struct chart c;

    chart_init(&c, 0, 0, 0);
    CHECK(c.kind == CHART_SIZE);
    CHECK(c.width_px == DEFAULT_WIDTH_PX && c.height_px == DEFAULT_HEIGHT_PX);
    CHECK(c.max_points == DEFAULT_MAX_POINTS);
    CHECK(strcmp(c.title, "Packet sizes") == 0);
    CHECK(c.nseries == 1 && strcmp(c.series[0].name, "Size") == 0);
    CHECK(strcmp(c.series[0].color, "#0072B2") == 0);
    CHECK(strcmp(c.series[1].color, c.series[0].color) != 0);
    CHECK(c.series[0].filter[0] == '\0' && c.series[0].pts == NULL);
    CHECK(c.nwarnings == 0 && c.subject[0] == '\0');
    chart_release(&c);
    chart_release(&c); /* twice is fine */

    chart_init(&c, 1, 99999, MAX_POINTS_LIMIT + 5);
    CHECK(c.width_px == MIN_WIDTH_PX && c.height_px == MAX_HEIGHT_PX);
    CHECK(c.max_points == MAX_POINTS_LIMIT);
    chart_release(&c);
    chart_init(&c, 99999, 1, 7);
    CHECK(c.width_px == MAX_WIDTH_PX && c.height_px == MIN_HEIGHT_PX &&
          c.max_points == 7);
    chart_release(&c);
}

static void test_exact_order(void) {
    static const int64_t T[] = {0,       911310000,   911310000, -11267000,
                                NO_TIME, 30393704000, 5,         -10869000};
    static const uint64_t L[] = {62, 62, 54, 66, 1514, 54, 0, 533};
    struct chart c;
    struct err err = ERR_INIT;
    struct pkt p;
    size_t i, n = sizeof(T) / sizeof(T[0]);
    int ok = 1;

    chart_init(&c, 0, 0, 0);
    for (i = 0; i < n; i++)
        CHECK(add(&c, i + 1, T[i], L[i]) == 0);
    const struct series *s = &c.series[0];
    CHECK(!s->decimated && s->npts == n && s->cols == NULL);
    for (i = 0; i < n; i++)
        ok &=
            s->pts[i].t_ns == T[i] && s->pts[i].len == L[i] && s->pts[i].number == i + 1;
    CHECK(ok); /* capture order, backward times and all */
    CHECK(s->packets == n && s->timed == n - 1 && s->no_time == 1 && s->zero_len == 1);
    CHECK(s->t_min_ns == -11267000 && s->t_max_ns == 30393704000);
    CHECK(s->len_min == 0 && s->len_max == 1514);
    CHECK(s->bytes == 62 + 62 + 54 + 66 + 1514 + 54 + 0 + 533);

    /* frame number missing: the place in the series; length missing: 0 */
    p = mkpkt(0, 7, 99);
    p.has_len = 0;
    CHECK(chart_add(&c, 0, &p, &err) == 0);
    CHECK(s->pts[n].number == n + 1 && s->pts[n].len == 0 && s->zero_len == 2);
    /* a real time of INT64_MIN cannot pass for "no time" */
    p = mkpkt(100, 0, 1);
    p.t_ns = INT64_MIN;
    p.has_time = 1;
    CHECK(chart_add(&c, 0, &p, &err) == 0);
    CHECK(s->pts[s->npts - 1].t_ns == INT64_MIN + 1 && s->t_min_ns == INT64_MIN + 1);

    /* no such series */
    err.status = 0;
    CHECK(chart_add(&c, 1, &p, &err) == -1 && err.status == 500);
    CHECK(chart_add(&c, MAX_SERIES + 3, &p, NULL) == -1);
    chart_release(&c);
}

static void test_switch(void) {
    struct chart c;
    struct brute *b = calloc(1, sizeof(*b));
    struct pkt p[101];
    size_t i;
    uint64_t sum = 0;

    chart_init(&c, 0, 0, 100);
    for (i = 0; i < 100; i++) {
        p[i] = mkpkt(i + 1, i % 10 == 3 ? NO_TIME : (int64_t)(i * 1000 + (i % 7) * 333),
                     60 + i);
        CHECK(chart_add(&c, 0, &p[i], NULL) == 0);
    }
    const struct series *s = &c.series[0];
    CHECK(!s->decimated && s->npts == 100); /* max_points packets: still exact */
    p[100] = mkpkt(101, 50000, 1);
    CHECK(chart_add(&c, 0, &p[100], NULL) == 0);
    CHECK(grid_ok(s));
    for (i = 0; i < MAX_COLUMNS; i++)
        sum += s->cols[i].count;
    CHECK(sum == s->timed && s->timed == 91 && s->no_time == 10 && s->packets == 101);
    /* first layout: as narrow as fits the kept points */
    CHECK(s->width_ns == 64);
    for (i = 0; i <= 100; i++)
        brute_add(b, s, &p[i]);
    CHECK(brute_diff(b, s) == 0);
    chart_finish(&c);
    CHECK(
        has_warning(&c, "10 frames have no timestamp and are left out of the time axis"));
    chart_release(&c);
    free(b);

    /* max_points 1: the second packet switches */
    chart_init(&c, 0, 0, 1);
    CHECK(add(&c, 1, 5, 10) == 0 && !c.series[0].decimated);
    CHECK(add(&c, 2, 6, 20) == 0 && grid_ok(&c.series[0]));
    chart_release(&c);
}

/* One packet of a capture-like synthetic stream (deterministic from i). */
static struct pkt synth(uint64_t i, uint64_t n, int64_t *t) {
    uint64_t r = rng();
    int64_t step = (int64_t)((r >> 33) % 40000);
    uint64_t len, k = (r >> 8) % 10;

    if (r % 100 >= 97)
        step = (int64_t)((r >> 20) % 4000000); /* pauses */
    *t += step;
    len = k < 4 ? 1514 : k < 7 ? 66 : k < 8 ? 60 + (r >> 20) % 1400 : 590;
    if (i == n / 3)
        len = 1; /* a runt among millions */
    if (i == 2 * n / 3)
        len = 65535; /* and one jumbo */
    if (r % 1000 == 7)
        return mkpkt(i + 1, *t - 5000000, len); /* backward step */
    if (r % 5000 == 11)
        return mkpkt(i + 1, NO_TIME, len);
    return mkpkt(i + 1, *t - 2000000000, len); /* starts at -2 s */
}

static void test_brute_force(void) {
    const uint64_t n = 2000000;
    struct brute *b = calloc(1, sizeof(*b));
    struct chart c;
    struct pkt p;
    int64_t t = 0;
    uint64_t i, sum = 0;
    size_t j, runt = SIZE_MAX, jumbo = SIZE_MAX;

    chart_init(&c, 0, 0, 0);
    rng_state = 42;
    for (i = 0; i < n; i++) {
        p = synth(i, n, &t);
        if (chart_add(&c, 0, &p, NULL) != 0)
            break;
    }
    CHECK(i == n);
    const struct series *s = &c.series[0];
    CHECK(grid_ok(s));
    rng_state = 42;
    t = 0;
    for (i = 0; i < n; i++) {
        p = synth(i, n, &t);
        brute_add(b, s, &p);
    }
    CHECK(brute_diff(b, s) == 0);
    for (j = 0; j < MAX_COLUMNS; j++) {
        sum += s->cols[j].count;
        if (s->cols[j].count > 0 && s->cols[j].min.len == 1)
            runt = j;
        if (s->cols[j].count > 0 && s->cols[j].max.len == 65535)
            jumbo = j;
    }
    CHECK(sum == s->timed && s->timed + s->no_time == n);
    CHECK(runt != SIZE_MAX && s->cols[runt].min.number == n / 3 + 1);
    CHECK(jumbo != SIZE_MAX && s->cols[jumbo].max.number == 2 * n / 3 + 1);
    CHECK(s->len_min == 1 && s->len_max == 65535 && s->t_min_ns < 0);
    chart_finish(&c);
    {
        char w[WARNING_BYTES];
        size_t used = 0;

        for (j = 0; j < MAX_COLUMNS; j++)
            used += s->cols[j].count > 0;
        snprintf(w, sizeof(w),
                 "decimated: %" PRIu64 " packets drawn as %zu columns (min and max of "
                 "every column kept)",
                 s->timed, used);
        CHECK(has_warning(&c, w));
    }
    chart_release(&c);
    free(b);
}

/* Widening: forward, backward, far negative, and the extremes of int64. */
static void test_widen(void) {
    static const int64_t T[] = {
        0,
        100,
        200,
        300,
        400,
        500,
        600,
        700,
        800,
        900, /* exact: 10 points */
        1000,
        5000,
        999,
        1000000,
        -1000,
        -7000000,
        123456789,
        -5,
        3000000000LL,
        -3000000000LL,
        42,
        INT64_MAX,
        17,
        INT64_MIN + 1,
        0,
        INT64_MAX - 1,
        -1,
    };
    size_t n = sizeof(T) / sizeof(T[0]), i, k;
    struct brute *b = calloc(1, sizeof(*b));
    struct chart c;
    struct pkt p;
    int64_t last_w = 0;
    int ok = 1, grew = 0;

    chart_init(&c, 0, 0, 10);
    for (i = 0; i < n; i++) {
        p = mkpkt(i + 1, T[i], 100 + (i * 37) % 1400);
        CHECK(chart_add(&c, 0, &p, NULL) == 0);
        if (c.series[0].decimated) {
            ok &= grid_ok(&c.series[0]) && c.series[0].width_ns >= last_w;
            grew += c.series[0].width_ns > last_w && last_w > 0;
            last_w = c.series[0].width_ns;
            /* every packet so far is in the grid, where brute force puts it */
            memset(b, 0, sizeof(*b));
            for (k = 0; k <= i; k++) {
                p = mkpkt(k + 1, T[k], 100 + (k * 37) % 1400);
                brute_add(b, &c.series[0], &p);
            }
            ok &= brute_diff(b, &c.series[0]) == 0;
        }
    }
    CHECK(ok);
    CHECK(grew >= 3);
    CHECK(c.series[0].t_min_ns == INT64_MIN + 1 && c.series[0].t_max_ns == INT64_MAX);
    chart_release(&c);

    /* backward only: every packet earlier than the one before */
    chart_init(&c, 0, 0, 5);
    memset(b, 0, sizeof(*b));
    for (i = 0; i < 50000; i++)
        ok &= add(&c, i + 1, 1000000000 - (int64_t)i * 997, 60 + i % 1000) == 0;
    CHECK(ok);
    for (i = 0; i < 50000; i++) {
        p = mkpkt(i + 1, 1000000000 - (int64_t)i * 997, 60 + i % 1000);
        brute_add(b, &c.series[0], &p);
    }
    CHECK(grid_ok(&c.series[0]) && brute_diff(b, &c.series[0]) == 0);
    chart_release(&c);
    free(b);
}

static long max_rss_kib(void) {
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* 3M packets: the model stays at its columns; time to add them. */
static void test_memory(void) {
    const uint64_t n = 3000000;
    struct timespec t0, t1;
    struct chart c;
    struct pkt p;
    int64_t t = 0;
    struct column *cols;
    long rss0, rss1;
    uint64_t i;
    int ok = 1;

    chart_init(&c, 0, 0, 0);
    rng_state = 7;
    for (i = 0; i < 200000; i++) {
        p = synth(i, n, &t);
        ok &= chart_add(&c, 0, &p, NULL) == 0;
    }
    rss0 = max_rss_kib();
    cols = c.series[0].cols;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (; i < n; i++) {
        p = synth(i, n, &t);
        ok &= chart_add(&c, 0, &p, NULL) == 0;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    rss1 = max_rss_kib();
    CHECK(ok);
    CHECK(grid_ok(&c.series[0]) && c.series[0].packets == n);
    /* 2.8M more packets kept exactly would be 67 MB; the columns are 256 KiB */
    CHECK(rss1 - rss0 < 16 * 1024);
    printf("3M packets: %.3f s for the last 2.8M adds, max RSS +%ld KiB, cols %s\n",
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
           rss1 - rss0, cols == c.series[0].cols ? "same" : "moved");
    chart_release(&c);
}

static void test_no_time(void) {
    struct chart c;
    size_t i, used = 0;

    chart_init(&c, 0, 0, 4);
    for (i = 0; i < 12; i++)
        CHECK(add(&c, i + 1, NO_TIME, 60) == 0);
    const struct series *s = &c.series[0];
    CHECK(grid_ok(s) && s->no_time == 12 && s->timed == 0 && s->packets == 12);
    for (i = 0; i < MAX_COLUMNS; i++)
        used += s->cols[i].count > 0;
    CHECK(used == 0);
    /* the first timed packet after that places the empty grid */
    CHECK(add(&c, 13, -123456789, 70) == 0 && grid_ok(s));
    CHECK(add(&c, 14, 987654321, 80) == 0 && grid_ok(s));
    for (i = 0, used = 0; i < MAX_COLUMNS; i++)
        used += s->cols[i].count;
    CHECK(used == 2 && s->t_min_ns == -123456789 && s->t_max_ns == 987654321);
    chart_finish(&c);
    CHECK(
        has_warning(&c, "12 frames have no timestamp and are left out of the time axis"));
    chart_release(&c);

    chart_init(&c, 0, 0, 0);
    CHECK(add(&c, 1, NO_TIME, 60) == 0 && add(&c, 2, 5, 60) == 0);
    CHECK(c.series[0].pts[0].t_ns == NO_TIME && c.series[0].npts == 2);
    chart_finish(&c);
    CHECK(has_warning(&c, "1 frame has no timestamp and is left out of the time axis"));
    chart_release(&c);
}

static void test_stats_warnings(void) {
    struct chart c;
    int64_t lo, hi;
    size_t i;

    chart_init(&c, 0, 0, 0);
    chart_time_range(&c, &lo, &hi);
    CHECK(lo == 0 && hi == 0 && chart_len_max(&c) == 0);
    chart_finish(&c);
    CHECK(c.nwarnings == 1 && strcmp(c.warnings[0], "no packets") == 0);
    chart_finish(&c); /* twice: no duplicate */
    CHECK(c.nwarnings == 1);
    chart_release(&c);

    chart_init(&c, 0, 0, 0);
    for (i = 0; i < 256; i++)
        CHECK(add(&c, i + 1, (int64_t)i * 1000 + 5000000, 0) == 0);
    CHECK(add(&c, 257, 9000000, UINT64_MAX - 10) == 0);
    CHECK(add(&c, 258, 9000001, 100) == 0);
    const struct series *s = &c.series[0];
    CHECK(s->bytes == UINT64_MAX); /* saturates */
    CHECK(s->zero_len == 256 && s->len_min == 0 && s->len_max == UINT64_MAX - 10);
    chart_time_range(&c, &lo, &hi);
    CHECK(lo == 0 && hi == 9000001); /* 0 is in the range even if no packet is there */
    CHECK(chart_len_max(&c) == UINT64_MAX - 10);
    chart_finish(&c);
    CHECK(has_warning(&c, "256 frames have length 0"));
    CHECK(c.packets == 258);
    chart_release(&c);

    /* negative times widen the range below 0; epoch-like times leave out 0 */
    chart_init(&c, 0, 0, 0);
    CHECK(add(&c, 1, 0, 290) == 0 && add(&c, 2, -11267000, 66) == 0);
    chart_time_range(&c, &lo, &hi);
    CHECK(lo == -11267000 && hi == 0);
    chart_release(&c);
    chart_init(&c, 0, 0, 0);
    CHECK(add(&c, 1, NO_TIME, 60) == 0 && add(&c, 3, 1340954905298858000, 342) == 0);
    CHECK(add(&c, 4, 1340954905300858000, 342) == 0);
    chart_time_range(&c, &lo, &hi);
    CHECK(lo == 1340954905298858000 && hi == 1340954905300858000);
    chart_release(&c);

    /* warnings: printf, dedupe, cap, cut at a UTF-8 boundary */
    chart_init(&c, 0, 0, 0);
    chart_warn(&c, "tshark stopped after %d packets", 5);
    chart_warn(&c, "tshark stopped after %d packets", 5);
    CHECK(c.nwarnings == 1 &&
          strcmp(c.warnings[0], "tshark stopped after 5 packets") == 0);
    for (i = 0; i < 40; i++)
        chart_warn(&c, "w%zu", i);
    CHECK(c.nwarnings == MAX_WARNINGS);
    chart_release(&c);
    chart_init(&c, 0, 0, 0);
    {
        char longw[600];

        memset(longw, 'a', sizeof(longw));
        memcpy(longw + WARNING_BYTES - 2, "\xC3\xA9", 2); /* é across the cut */
        longw[sizeof(longw) - 1] = '\0';
        chart_warn(&c, "%s", longw);
        CHECK(c.nwarnings == 1 && strlen(c.warnings[0]) == WARNING_BYTES - 2);
    }
    chart_release(&c);

    /* two series: their own stats, warnings name them */
    chart_init(&c, 0, 0, 0);
    c.nseries = 2;
    snprintf(c.series[1].name, sizeof(c.series[1].name), "TCP");
    {
        struct pkt p = mkpkt(1, NO_TIME, 60);

        CHECK(chart_add(&c, 1, &p, NULL) == 0);
        p = mkpkt(2, 10, 1514);
        CHECK(chart_add(&c, 0, &p, NULL) == 0);
    }
    CHECK(c.series[0].packets == 1 && c.series[1].packets == 1);
    CHECK(chart_len_max(&c) == 1514);
    chart_finish(&c);
    CHECK(has_warning(&c,
                      "TCP: 1 frame has no timestamp and is left out of the time axis"));
    chart_release(&c);
}

int main(void) {
    test_memory(); /* first, so the peak RSS it reads is its own */
    test_init();
    test_exact_order();
    test_switch();
    test_brute_force();
    test_widen();
    test_no_time();
    test_stats_warnings();
    return CHECK_DONE();
}
