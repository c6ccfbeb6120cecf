/*
 * test_kinds.c - the io and hist kinds on real captures, end to end below
 * HTTP: the output of the runner's own command (tshark_build_argv: `tshark
 * -T json -e frame.number -e frame.time_relative -e frame.len [-Y FILTER]`,
 * on the file instead of stdin), run through child.c and fed through tsjson
 * into a chart of three series (every packet, tcp, udp), rendered as JSON
 * and parsed back, against what `tshark -T fields -e frame.time_relative -e
 * frame.len [-Y FILTER]` implies, computed here by brute force. Not against
 * `-z io,stat` or `-z plen,tree`: tshark 4.0.17 leaves frames out of those
 * (hari.pcap: 7615 of 7647), while every frame must count.
 *
 * Needs CAPTURES_DIR (dev/http.cap, dev/hari.pcap, dev/dhcpfo.pcapng) and
 * tshark in PATH; exits 77 (skipped) without them.
 */
#define _XOPEN_SOURCE 700 /* nftw in testutil.h */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "chart/chart.h"
#include "chart/names.h"
#include "proc/child.h"
#include "render/export.h"
#include "render/svg.h"
#include "tshark/fields.h"
#include "tshark/tshark.h"
#include "tshark/tsjson.h"
#include "check.h"
#include "testutil.h"
#include "testchart.h"
#include "banned.h"

#define OUT_MAX (64 * 1024 * 1024)
#define NFILTERS 3
#define NS INT64_C(1000000000)

static const char *const CAPTURES[] = {"http.cap", "hari.pcap", "dhcpfo.pcapng"};
static const char *const FILTERS[NFILTERS] = {"", "tcp", "udp"};
static const char *const NAMES[NFILTERS] = {"All packets", "TCP", "UDP"};

/* ---- running tshark (through child.c, as the server does) ---- */

/* The runner's tshark (tshark_init), for its command. */
static struct tshark ts;

/*
 * The runner's own command (tshark_build_argv), on path instead of stdin,
 * into out: what the server parses.
 */
static int tshark_json(const char *path, const char *filter, struct buf *out) {
    struct tshark_argv argv;

    tshark_build_argv(&argv, &ts, path, filter, NULL, NULL);
    return run_cmd(argv.v, out);
}

/* The reference: tshark -n -r path -T fields -e ... [-Y filter] into out. */
static int tshark_fields(const char *path, const char *filter, struct buf *out) {
    const char *argv[16];
    size_t a = 0;

    argv[a++] = "tshark";
    argv[a++] = "-n";
    argv[a++] = "-r";
    argv[a++] = path;
    argv[a++] = "-T";
    argv[a++] = "fields";
    argv[a++] = "-e";
    argv[a++] = "frame.time_relative";
    argv[a++] = "-e";
    argv[a++] = "frame.len";
    if (filter[0] != '\0') {
        argv[a++] = "-Y";
        argv[a++] = filter;
    }
    argv[a] = NULL;
    return run_cmd(argv, out);
}

/* ---- the reference, from -T fields ---- */

struct frame {
    int has_time;
    int64_t t_ns;
    uint64_t len;
};

struct frames {
    struct frame *v;
    size_t n;
};

/* Parse "time\tlen\n" lines. 0 or -1. */
static int parse_fields(const struct buf *out, struct frames *fs) {
    const char *line = out->data, *end = out->data + out->len;
    size_t lines = 0, i;

    for (i = 0; i < out->len; i++)
        lines += out->data[i] == '\n';
    fs->v = calloc(lines + 1, sizeof(*fs->v));
    fs->n = 0;
    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line)), *tab;
        char tb[64];
        size_t tl;

        if (nl == NULL || (tab = memchr(line, '\t', (size_t)(nl - line))) == NULL)
            return -1;
        tl = (size_t)(tab - line);
        if (tl >= sizeof(tb))
            return -1;
        memcpy(tb, line, tl);
        tb[tl] = '\0';
        fs->v[fs->n].has_time = tl > 0;
        if (tl > 0 && fields_parse_seconds(tb, &fs->v[fs->n].t_ns) == -1)
            return -1;
        fs->v[fs->n].len = strtoull(tab + 1, NULL, 10);
        fs->n++;
        line = nl + 1;
    }
    return 0;
}

static int64_t fdiv(int64_t a, int64_t b) {
    int64_t q = a / b;

    return (a % b != 0 && a < 0) ? q - 1 : q;
}

/*
 * The n values of intervals first..first+n-1 of width iv for frames fs,
 * start/end a zoom when has_zoom; with sma, Wireshark's centred window.
 */
static double *expected_io(const struct frames *fs, int64_t first, size_t n, int64_t iv,
                           enum io_y y, unsigned sma, int has_zoom, int64_t start,
                           int64_t end) {
    uint64_t *count = calloc(n, 8), *bytes = calloc(n, 8), *mn = calloc(n, 8),
             *mx = calloc(n, 8);
    double *plain = calloc(n, sizeof(double)), *v = calloc(n, sizeof(double));
    size_t i, k, h = sma / 2;

    for (i = 0; i < fs->n; i++) {
        const struct frame *f = &fs->v[i];

        if (!f->has_time || (has_zoom && (f->t_ns < start || f->t_ns > end)))
            continue;
        k = (size_t)(fdiv(f->t_ns, iv) - first);
        if (k >= n) {
            fprintf(stderr, "frame %zu outside the intervals\n", i + 1);
            continue;
        }
        if (count[k] == 0 || f->len < mn[k])
            mn[k] = f->len;
        if (count[k] == 0 || f->len > mx[k])
            mx[k] = f->len;
        count[k]++;
        bytes[k] += f->len;
    }
    for (k = 0; k < n; k++)
        plain[k] = value_of(y, count[k], bytes[k], mn[k], mx[k], iv);
    for (k = 0; k < n; k++) {
        size_t a = k >= h ? k - h : 0, b = k + (h > 0 ? h : 1) - 1, j;
        double sum = 0;

        if (sma == 0) {
            v[k] = plain[k];
            continue;
        }
        if (b >= n)
            b = n - 1;
        for (j = a; j <= b; j++)
            sum += plain[j];
        v[k] = sum / (double)(b - a + 1);
    }
    free(count);
    free(bytes);
    free(mn);
    free(mx);
    free(plain);
    return v;
}

/* ---- the chart, from -T json through tsjson ---- */

struct feed {
    struct chart *c;
    size_t si;
};

static int add_packet(void *ctx, const struct pkt *p, struct err *err) {
    struct feed *f = ctx;

    return chart_add(f->c, f->si, p, err);
}

/* Feed every series its tshark JSON, in chunks as child_read gives them. 0 or -1. */
static int feed(struct chart *c, struct buf json[NFILTERS], struct err *err) {
    size_t si, off;

    c->nseries = NFILTERS;
    for (si = 0; si < NFILTERS; si++) {
        struct feed f = {c, si};
        struct tsjson tj;
        int rc = 0;

        snprintf(c->series[si].name, sizeof(c->series[si].name), "%s", NAMES[si]);
        snprintf(c->series[si].filter, sizeof(c->series[si].filter), "%s", FILTERS[si]);
        tsjson_init(&tj);
        for (off = 0; off < json[si].len && rc == 0; off += READ_CHUNK_BYTES) {
            size_t n = json[si].len - off < READ_CHUNK_BYTES ? json[si].len - off
                                                             : READ_CHUNK_BYTES;

            rc = tsjson_feed(&tj, json[si].data + off, n, add_packet, &f, err);
        }
        if (rc == 0)
            rc = tsjson_finish(&tj, err);
        tsjson_release(&tj);
        if (rc != 0)
            return -1;
    }
    chart_finish(c);
    return 0;
}

static json_t *chart_json(const struct chart *c) {
    struct buf out = BUF_INIT(MAX_EXPORT_BYTES);
    json_error_t jerr;
    json_t *root = NULL;

    if (export_json(c, NULL, &out, NULL) == 0 &&
        (root = json_loadb(out.data, out.len, 0, &jerr)) == NULL)
        fprintf(stderr, "json: %s\n", jerr.text);
    buf_release(&out);
    return root;
}

static int close_to(double a, double b) {
    return fabs(a - b) <= 1e-9 * fmax(1, fmax(fabs(a), fabs(b)));
}

struct capture {
    const char *name;
    struct frames ref[NFILTERS];
    struct buf json[NFILTERS];
    int64_t tmin, tmax; /* over every timed frame of every series */
};

/* The automatic interval, by its rule: the smallest 1/2/5 x 10^k >= 1 us with <= 300. */
static int64_t expected_auto(int64_t lo, int64_t hi) {
    static const int64_t M[3] = {1, 2, 5};
    int64_t base = 1000;
    size_t i;

    for (;; base *= 10)
        for (i = 0; i < 3; i++)
            if (fdiv(hi, base * M[i]) - fdiv(lo, base * M[i]) + 1 <=
                IO_AUTO_MAX_INTERVALS)
                return base * M[i];
}

/*
 * One io chart of cap: interval iv (0: automatic), y, sma, optional zoom.
 * Every series' JSON points against the reference.
 */
static void check_io(const struct capture *cap, int64_t iv, enum io_y y, unsigned sma,
                     int has_zoom, int64_t start, int64_t end) {
    struct err err = ERR_INIT;
    struct chart c;
    json_t *root, *pts;
    int64_t lo = cap->tmin < 0 ? cap->tmin : 0, hi = cap->tmax, first;
    size_t si, k, n, bad = 0;

    if (has_zoom) {
        lo = start;
        hi = end;
    }
    chart_init(&c, 0, 0, 0);
    c.kind = CHART_IO;
    c.interval_ns = iv;
    c.io_y = y;
    c.sma = sma;
    c.has_start = c.has_end = has_zoom;
    c.start_ns = start;
    c.end_ns = end;
    CHECK(feed(&c, (struct buf *)cap->json, &err) == 0);
    if (iv == 0) {
        iv = expected_auto(lo, hi);
        CHECK(c.io_interval_ns == iv);
    }
    first = fdiv(lo, iv);
    n = (size_t)(fdiv(hi, iv) - first + 1);
    root = chart_json(&c);
    CHECK(root != NULL);
    CHECK(fabs(json_real_value(json_object_get(root, "interval")) - (double)iv / 1e9) <
          1e-15);
    for (si = 0; si < NFILTERS && root != NULL; si++) {
        double *want =
            expected_io(&cap->ref[si], first, n, iv, y, sma, has_zoom, start, end);

        pts = json_object_get(json_array_get(json_object_get(root, "series"), si),
                              "points");
        if (json_array_size(pts) != n) {
            fprintf(stderr, "%s %s: %zu points, want %zu\n", cap->name, NAMES[si],
                    json_array_size(pts), n);
            bad++;
        }
        for (k = 0; k < n && k < json_array_size(pts); k++) {
            json_t *pt = json_array_get(pts, k);
            double t = json_real_value(json_array_get(pt, 0));
            double v = json_number_value(json_array_get(pt, 1));

            if (fabs(t - (double)((first + (int64_t)k) * iv) / 1e9) > 1e-9 ||
                !close_to(v, want[k])) {
                if (bad++ < 3)
                    fprintf(stderr,
                            "%s %s y=%s iv=%lld sma=%u interval %zu: %.17g, want %.17g\n",
                            cap->name, NAMES[si], chart_io_y_name(y), (long long)iv, sma,
                            k, v, want[k]);
            }
        }
        free(want);
    }
    CHECK(bad == 0);
    json_decref(root);
    chart_release(&c);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* The hist chart of cap (optionally zoomed) against the reference. */
static void check_hist(const struct capture *cap, int has_zoom, int64_t start,
                       int64_t end) {
    static const uint64_t HI[HIST_BUCKETS - 1] = {19,  39,   79,   159, 319,
                                                  639, 1279, 2559, 5119};
    struct err err = ERR_INIT;
    struct chart c;
    json_t *root;
    size_t si, i, b;

    chart_init(&c, 0, 0, 0);
    c.kind = CHART_HIST;
    c.has_start = c.has_end = has_zoom;
    c.start_ns = start;
    c.end_ns = end;
    CHECK(feed(&c, (struct buf *)cap->json, &err) == 0);
    root = chart_json(&c);
    for (si = 0; si < NFILTERS && root != NULL; si++) {
        const struct frames *fs = &cap->ref[si];
        json_t *s = json_array_get(json_object_get(root, "series"), si);
        json_t *st = json_object_get(s, "stats"), *bk = json_object_get(s, "buckets");
        uint64_t *lens = calloc(fs->n + 1, sizeof(*lens)), buckets[HIST_BUCKETS] = {0};
        uint64_t sum = 0;
        size_t n = 0;
        int ok = 1;

        for (i = 0; i < fs->n; i++) {
            const struct frame *f = &fs->v[i];

            if (has_zoom && (!f->has_time || f->t_ns < start || f->t_ns > end))
                continue;
            lens[n++] = f->len;
            sum += f->len;
            for (b = 0; b < HIST_BUCKETS - 1 && f->len > HI[b]; b++)
                ;
            buckets[b]++;
        }
        qsort(lens, n, sizeof(*lens), cmp_u64);
        for (b = 0; b < HIST_BUCKETS; b++)
            ok &= (uint64_t)json_integer_value(
                      json_object_get(json_array_get(bk, b), "count")) == buckets[b];
        ok &= (size_t)json_integer_value(json_object_get(st, "count")) == n;
        if (n > 0) {
            ok &=
                (uint64_t)json_integer_value(json_object_get(st, "min")) == lens[0] &&
                (uint64_t)json_integer_value(json_object_get(st, "max")) == lens[n - 1] &&
                close_to(json_real_value(json_object_get(st, "mean")),
                         (double)sum / (double)n);
            /* nearest rank: the ceil(p n / 100)-th smallest */
            ok &= (uint64_t)json_integer_value(json_object_get(st, "p50")) ==
                      lens[(n * 50 + 99) / 100 - 1] &&
                  (uint64_t)json_integer_value(json_object_get(st, "p95")) ==
                      lens[(n * 95 + 99) / 100 - 1] &&
                  (uint64_t)json_integer_value(json_object_get(st, "p99")) ==
                      lens[(n * 99 + 99) / 100 - 1];
        }
        if (!ok)
            fprintf(stderr, "%s %s: hist differs (%zu frames)\n", cap->name, NAMES[si],
                    n);
        CHECK(ok);
        free(lens);
    }
    json_decref(root);
    chart_release(&c);
}

static int load(struct capture *cap, const char *dir, const char *name) {
    char path[4096];
    size_t i, k;

    memset(cap, 0, sizeof(*cap));
    cap->name = name;
    snprintf(path, sizeof(path), "%s/dev/%s", dir, name);
    for (i = 0; i < NFILTERS; i++) {
        struct buf fields = BUF_INIT(OUT_MAX);

        buf_init(&cap->json[i], OUT_MAX);
        if (tshark_fields(path, FILTERS[i], &fields) != 0 ||
            tshark_json(path, FILTERS[i], &cap->json[i]) != 0 ||
            parse_fields(&fields, &cap->ref[i]) == -1) {
            buf_release(&fields);
            return -1;
        }
        buf_release(&fields);
        for (k = 0; k < cap->ref[i].n; k++) {
            const struct frame *f = &cap->ref[i].v[k];

            if (!f->has_time)
                continue;
            if ((i == 0 && k == 0) || f->t_ns < cap->tmin)
                cap->tmin = f->t_ns;
            if ((i == 0 && k == 0) || f->t_ns > cap->tmax)
                cap->tmax = f->t_ns;
        }
    }
    return 0;
}

static void release(struct capture *cap) {
    size_t i;

    for (i = 0; i < NFILTERS; i++) {
        free(cap->ref[i].v);
        buf_release(&cap->json[i]);
    }
}

static void test_capture(const char *dir, const char *name) {
    struct capture cap;
    size_t y;

    if (load(&cap, dir, name) == -1) {
        fprintf(stderr, "cannot run tshark on %s\n", name);
        CHECK(0);
        release(&cap);
        return;
    }
    /* automatic interval: every y; given intervals: a few, with and without sma */
    for (y = 0; y <= IO_AVG; y++)
        check_io(&cap, 0, (enum io_y)y, 0, 0, 0, 0);
    check_io(&cap, NS, IO_PACKETS, 0, 0, 0, 0);
    check_io(&cap, NS, IO_BITS_PS, 5, 0, 0, 0);
    check_io(&cap, NS, IO_AVG, 20, 0, 0, 0);
    check_io(&cap, 10000000, IO_BYTES, 0, 0, 0, 0);
    check_io(&cap, 10000000, IO_MIN, 3, 0, 0, 0);
    check_io(&cap, 0, IO_MAX, 10, 0, 0, 0);
    check_hist(&cap, 0, 0, 0);
    if (strcmp(name, "hari.pcap") == 0) {
        struct err err = ERR_INIT;
        struct chart c;

        /* every frame counts: 7647 (tshark's own -z stats say 7615) */
        CHECK(cap.ref[0].n == 7647);
        check_io(&cap, 0, IO_PACKETS, 0, 1, 5 * NS, 10 * NS);
        check_io(&cap, 250000000, IO_BYTES_PS, 4, 1, 5 * NS + 123456789, 10 * NS);
        check_hist(&cap, 1, 5 * NS, 10 * NS);

        /* 1 us intervals over 22 s: past the cap, a 400 through tsjson */
        chart_init(&c, 0, 0, 0);
        c.kind = CHART_IO;
        c.interval_ns = 1000;
        CHECK(feed(&c, cap.json, &err) == -1 && err.status == 400);
        CHECK(strstr(err.msg, "interval 0.000001 s is too small for this capture") !=
              NULL);
        chart_release(&c);
    }
    if (strcmp(name, "dhcpfo.pcapng") == 0) {
        /* frame 3 is the earliest, at -0.011267 s: interval -1 is on the chart */
        check_io(&cap, NS, IO_PACKETS, 0, 0, 0, 0);
        check_io(&cap, 0, IO_PACKETS, 0, 1, -NS, 60 * NS);
    }
    release(&cap);
}

int main(void) {
    const char *dir = getenv("CAPTURES_DIR");
    struct err err = ERR_INIT;
    char path[4096];
    size_t i;

    if (dir == NULL || tshark_init(&ts, "tshark", 0, &err) == -1) {
        fprintf(stderr, "CAPTURES_DIR unset or no tshark (%s): skipped\n", err.msg);
        return 77;
    }
    for (i = 0; i < sizeof(CAPTURES) / sizeof(CAPTURES[0]); i++) {
        snprintf(path, sizeof(path), "%s/dev/%s", dir, CAPTURES[i]);
        if (access(path, R_OK) != 0) {
            fprintf(stderr, "%s missing: skipped\n", path);
            return check_failed ? CHECK_DONE() : 77;
        }
        test_capture(dir, CAPTURES[i]);
    }
    tshark_release(&ts);
    return CHECK_DONE();
}
