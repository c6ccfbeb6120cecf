/*
 * test_fields.c - field= on real captures, end to end below HTTP: the
 * runner (tshark_run, sandboxed as the server runs it) with one more -e
 * field, tsjson's values of every occurrence, the chart model, against what
 * `tshark -T fields -E occurrence=a -e frame.time_relative -e FIELD` says
 * for the same file, parsed here on its own (strtod, strtoull with base 0).
 *   - kind=size: one point per value, in order, integers exact, times and
 *     floats to 9 decimals, packets without the field give none;
 *   - kind=io: sum, min, max, avg, count and sum/s of each interval equal
 *     what the per-frame values imply, at two intervals;
 *   - kind=hist: every value in the linear bucket that holds it;
 *   - http.cap (no ICMP-error frames, which the io,stat tap skips): the io
 *     graph equals `tshark -q -z io,stat,10,SUM(tcp.len)tcp.len,...`.
 * Needs CAPTURES_DIR and tshark; exits 77 without them.
 */
#define _XOPEN_SOURCE 700 /* nftw in testutil.h */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "chart/chart.h"
#include "chart/io.h"
#include "pipeline/pipeline.h"
#include "tshark/catalog.h"
#include "tshark/tshark.h"
#include "check.h"
#include "testutil.h"
#include "banned.h"

#define OUT_MAX (64 * 1024 * 1024)
#define NS INT64_C(1000000000)

static const char *const CAPTURES[] = {"http.cap",
                                       "hari.pcap",
                                       "dhcpfo.pcapng",
                                       "nfs_bad_stalls.cap",
                                       "vlan.cap.gz",
                                       "snmp_usm.pcap",
                                       "220614_ip_flags_google.pcapng",
                                       "wpa-Induction.pcap"};
/* an integer, a relative time (several per packet in ICMP errors: ip.ttl) */
static const char *const FIELDS[] = {"tcp.len", "tcp.analysis.ack_rtt", "ip.ttl",
                                     "frame.time_delta"};
#define NCAPTURES (sizeof(CAPTURES) / sizeof(CAPTURES[0]))
#define NFIELDS (sizeof(FIELDS) / sizeof(FIELDS[0]))

static struct tshark ts;
static struct catalog *cat;
static const char *capdir;

/* One value of the reference output. */
struct ref {
    int64_t t_ns;
    uint64_t raw; /* as the model keeps it: integer, or nano-units */
};

struct refs {
    struct ref *v;
    size_t n, cap;
    uint64_t frames, frames_with;
    uint64_t negative; /* values below 0: the model leaves them out (skipped) */
};

/* "0.911310000" as ns (at most 9 decimals; tshark prints 9). */
static int64_t parse_ns(const char *s) {
    double d = strtod(s, NULL);

    return (int64_t)llround(d * 1e9);
}

/*
 * `tshark -T fields` of field on path, parsed: every value of every frame
 * in order, as raw (nano: in 1e-9 units). 0, or -1.
 */
static int reference(const char *path, const char *field, int nano, struct refs *r) {
    const char *argv[] = {ts.path, "-n",           "-r", path,
                          "-T",    "fields",       "-E", "occurrence=a",
                          "-E",    "aggregator=,", "-e", "frame.time_relative",
                          "-e",    field,          NULL};
    struct buf out = BUF_INIT(OUT_MAX);
    char *line, *next, *tab, *v, *comma;

    memset(r, 0, sizeof(*r));
    if (run_cmd(argv, &out) != 0 || buf_append(&out, "", 1) == -1) {
        buf_release(&out);
        return -1;
    }
    for (line = out.data; line != NULL && *line != '\0'; line = next) {
        if ((next = strchr(line, '\n')) != NULL)
            *next++ = '\0';
        if ((tab = strchr(line, '\t')) == NULL)
            continue;
        *tab = '\0';
        r->frames++;
        if (tab[1] != '\0')
            r->frames_with++;
        for (v = tab + 1; *v != '\0'; v = comma) {
            struct ref x;

            if ((comma = strchr(v, ',')) != NULL)
                *comma++ = '\0';
            else
                comma = v + strlen(v);
            x.t_ns = parse_ns(line);
            if (*v == '-') {
                r->negative++;
                continue;
            }
            x.raw =
                nano ? (uint64_t)llround(strtod(v, NULL) * 1e9) : strtoull(v, NULL, 0);
            if (r->n == r->cap) {
                size_t cap = r->cap ? 2 * r->cap : 1024;
                struct ref *p = realloc(r->v, cap * sizeof(*p));
                if (p == NULL) {
                    buf_release(&out);
                    return -1;
                }
                r->v = p;
                r->cap = cap;
            }
            r->v[r->n++] = x;
        }
    }
    buf_release(&out);
    return 0;
}

/* A chart of one series of every packet charting field, filled by the runner. */
static int chart_field(struct chart *c, enum chart_kind kind, const char *path,
                       const char *field, int64_t interval_ns) {
    const struct catalog_entry *e = catalog_find(cat, field);
    struct err err = ERR_INIT;

    chart_init(c, 0, 0, MAX_POINTS_LIMIT);
    c->kind = kind;
    c->interval_ns = interval_ns;
    CHECK(e != NULL && field_class_numeric(e->cls));
    if (e == NULL)
        return -1;
    chart_set_field(c, 0, field, e->cls);
    if (pipeline_chart(&ts, path, "capture", -1, c, &err) == -1) {
        fprintf(stderr, "  %s %s: %s\n", path, field, err.msg);
        return -1;
    }
    return 0;
}

/* kind=size: one point per value, in order. */
static void check_size(const char *path, const char *field, const struct refs *r) {
    struct chart c;
    const struct series *s = &c.series[0];
    size_t i, bad = 0;

    if (chart_field(&c, CHART_SIZE, path, field, 0) == -1) {
        CHECK(0);
        chart_release(&c);
        return;
    }
    CHECK(!s->decimated && s->npts == r->n && s->packets == r->n);
    CHECK(s->frames == r->frames && s->frames_with == r->frames_with);
    CHECK(s->skipped == r->negative && s->cut == 0);
    for (i = 0; i < s->npts && i < r->n; i++)
        if (s->pts[i].t_ns != r->v[i].t_ns || s->pts[i].len != r->v[i].raw)
            bad++;
    if (bad > 0 || s->npts != r->n)
        fprintf(stderr, "  %s %s: %zu points, tshark %zu values, %zu differ\n", path,
                field, s->npts, r->n, bad);
    CHECK(bad == 0);
    if (r->n == 0) { /* "no values of tcp.len ...", not an error */
        size_t k, said = 0;

        for (k = 0; k < c.nwarnings; k++)
            said |= strstr(c.warnings[k], "no values of") != NULL;
        CHECK(r->frames == 0 || said);
    }
    chart_release(&c);
}

/* kind=io: every y of the field's values per interval. */
static void check_io(const char *path, const char *field, int nano, const struct refs *r,
                     int64_t interval_ns) {
    static const enum io_y YS[] = {IO_SUM, IO_MIN, IO_MAX, IO_AVG, IO_COUNT, IO_SUM_PS};
    struct chart c;
    size_t yi, k, i, bad = 0;
    double unit = nano ? 1e-9 : 1;

    if (chart_field(&c, CHART_IO, path, field, interval_ns) == -1) {
        CHECK(0);
        chart_release(&c);
        return;
    }
    CHECK(c.io_interval_ns == interval_ns);
    for (k = 0; k < c.io_count; k++) {
        int64_t lo = chart_io_start(&c, k), hi = lo + interval_ns;
        uint64_t n = 0, mn = 0, mx = 0;
        double sum = 0;

        for (i = 0; i < r->n; i++) {
            if (r->v[i].t_ns < lo || r->v[i].t_ns >= hi)
                continue;
            if (n == 0 || r->v[i].raw < mn)
                mn = r->v[i].raw;
            if (n == 0 || r->v[i].raw > mx)
                mx = r->v[i].raw;
            sum += (double)r->v[i].raw;
            n++;
        }
        for (yi = 0; yi < sizeof(YS) / sizeof(YS[0]); yi++) {
            double want, got;

            c.io_y = YS[yi];
            got = chart_io_plain(&c, 0, k);
            switch (YS[yi]) {
            case IO_SUM:
                want = sum * unit;
                break;
            case IO_MIN:
                want = (double)mn * unit;
                break;
            case IO_MAX:
                want = (double)mx * unit;
                break;
            case IO_AVG:
                want = n == 0 ? 0 : sum * unit / (double)n;
                break;
            case IO_COUNT:
                want = (double)n;
                break;
            default:
                want = sum * unit * 1e9 / (double)interval_ns;
            }
            if (fabs(got - want) > 1e-9 * fmax(1, fabs(want))) {
                if (bad++ < 3)
                    fprintf(stderr, "  %s %s io %s interval %zu: %.9g, want %.9g\n", path,
                            field, chart_io_y_name(YS[yi]), k, got, want);
            }
        }
    }
    CHECK(bad == 0);
    chart_release(&c);
}

/* kind=hist: linear buckets whose counts are the values' (and percentiles among them). */
static void check_hist(const char *path, const char *field, const struct refs *r) {
    struct chart c;
    const struct series *s = &c.series[0];
    uint64_t want[HIST_MAX_BUCKETS] = {0}, total = 0;
    size_t i, b, nb;

    if (chart_field(&c, CHART_HIST, path, field, 0) == -1) {
        CHECK(0);
        chart_release(&c);
        return;
    }
    nb = chart_nbuckets(&c);
    CHECK(c.hist_linear && nb >= 1 && nb <= HIST_FIELD_BUCKETS);
    CHECK(chart_bucket_lo(&c, 0) <= s->len_min &&
          chart_bucket_hi(&c, nb - 1) >= s->len_max);
    for (i = 0; i < r->n; i++)
        for (b = 0; b < nb; b++)
            if (r->v[i].raw >= chart_bucket_lo(&c, b) &&
                r->v[i].raw <= chart_bucket_hi(&c, b))
                want[b]++;
    for (b = 0; b < nb; b++) {
        total += s->buckets[b];
        if (s->buckets[b] != want[b])
            fprintf(stderr, "  %s %s hist bucket %zu: %llu, want %llu\n", path, field, b,
                    (unsigned long long)s->buckets[b], (unsigned long long)want[b]);
        CHECK(s->buckets[b] == want[b]);
    }
    CHECK(total == r->n && s->packets == r->n);
    chart_release(&c);
}

/* One "|  0 <> 10 | 22584 | 0.911310 |    39 |" row of io,stat: its numbers. */
static int iostat_row(const char *line, double v[3]) {
    const char *p = strstr(line, "<>");
    int i;

    if (p == NULL || (p = strchr(p, '|')) == NULL)
        return -1;
    for (i = 0; i < 3; i++) {
        char *end;

        v[i] = strtod(p + 1, &end);
        if (end == p + 1 || (p = strchr(end, '|')) == NULL)
            return -1;
    }
    return 0;
}

/* http.cap at 10 s: our io graph against tshark's own io,stat tap. */
static void check_iostat(const char *path) {
    static const char *const F[3] = {"tcp.len", "tcp.analysis.ack_rtt", "ip.ttl"};
    static const enum io_y Y[3] = {IO_SUM, IO_MAX, IO_COUNT};
    const char *argv[] = {
        ts.path,
        "-n",
        "-r",
        path,
        "-q",
        "-z",
        "io,stat,10,SUM(tcp.len)tcp.len,MAX(tcp.analysis.ack_rtt)tcp.analysis.ack_rtt,"
        "COUNT(ip.ttl)ip.ttl",
        NULL};
    struct buf out = BUF_INIT(OUT_MAX);
    char *line, *next;
    double rows[16][3];
    size_t nrows = 0, f, k;

    CHECK(run_cmd(argv, &out) == 0 && buf_append(&out, "", 1) == 0);
    for (line = out.data; line != NULL && *line != '\0' && nrows < 16; line = next) {
        if ((next = strchr(line, '\n')) != NULL)
            *next++ = '\0';
        if (iostat_row(line, rows[nrows]) == 0)
            nrows++;
    }
    buf_release(&out);
    CHECK(nrows >= 3);
    for (f = 0; f < 3; f++) {
        struct chart c;

        if (chart_field(&c, CHART_IO, path, F[f], 10 * NS) == -1) {
            CHECK(0);
            chart_release(&c);
            continue;
        }
        c.io_y = Y[f];
        /* tshark's last row runs to the end; ours stop at the last value */
        for (k = 0; k < nrows; k++) {
            double got = k < c.io_count ? chart_io_plain(&c, 0, k) : 0;

            /* io,stat prints times with 6 decimals */
            if (fabs(got - rows[k][f]) > 5e-7) {
                fprintf(stderr, "  io,stat %s row %zu: %.9g, tshark %.9g\n", F[f], k, got,
                        rows[k][f]);
                CHECK(0);
            }
        }
        chart_release(&c);
    }
}

int main(void) {
    struct err err = ERR_INIT;
    char path[1024];
    size_t i, f;
    int fds = count_fds();

    capdir = getenv("CAPTURES_DIR");
    if (capdir == NULL || *capdir == '\0')
        capdir = CAPTURES_DIR_DEFAULT;
    snprintf(path, sizeof(path), "%s/dev/http.cap", capdir);
    if (access(path, R_OK) != 0 || tshark_init(&ts, "tshark", 120, &err) == -1) {
        fprintf(stderr, "no captures or no tshark: skipped\n");
        return 77;
    }
    CHECK(tshark_run_as(&ts, NULL, &err) == 0);
    CHECK(tshark_sandbox(&ts, NULL, 8, 0, &err) == 0);
    if ((cat = catalog_load(&ts, &err)) == NULL) {
        fprintf(stderr, "catalog_load: %s\n", err.msg);
        CHECK(0);
        return CHECK_DONE();
    }
    for (i = 0; i < NCAPTURES; i++) {
        snprintf(path, sizeof(path), "%s/dev/%s", capdir, CAPTURES[i]);
        for (f = 0; f < NFIELDS; f++) {
            const struct catalog_entry *e = catalog_find(cat, FIELDS[f]);
            int nano =
                e != NULL && (e->cls == FIELD_CLASS_TIME || e->cls == FIELD_CLASS_FLOAT);
            struct refs r;

            if (reference(path, FIELDS[f], nano, &r) == -1) {
                fprintf(stderr, "  %s %s: tshark -T fields failed\n", CAPTURES[i],
                        FIELDS[f]);
                CHECK(0);
                continue;
            }
            check_size(path, FIELDS[f], &r);
            if (r.n > 0) {
                check_io(path, FIELDS[f], nano, &r, NS / 10);
                check_io(path, FIELDS[f], nano, &r, NS);
                check_hist(path, FIELDS[f], &r);
            }
            fprintf(stderr,
                    "  %s %s: %llu frames, %llu with values, %zu values (%llu below 0)\n",
                    CAPTURES[i], FIELDS[f], (unsigned long long)r.frames,
                    (unsigned long long)r.frames_with, r.n,
                    (unsigned long long)r.negative);
            free(r.v);
        }
    }
    snprintf(path, sizeof(path), "%s/dev/http.cap", capdir);
    check_iostat(path);
    catalog_free(cat);
    tshark_release(&ts);
    CHECK(count_fds() == fds);
    return CHECK_DONE();
}
