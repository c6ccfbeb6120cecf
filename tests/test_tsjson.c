/*
 * test_tsjson.c - tsjson.c against real tshark output: every dev capture's
 * `-T json` output, fed whole, split at every byte, and in random chunks,
 * must give exactly what `-T fields` says; plus malformed input, the
 * element cap, callback stops and fields_parse_seconds. Set
 * TSJSON_BENCH_COPIES=N to time N copies of nfs_bad_stalls.cap's output
 * (7038 packets each; 427 copies is the 3M-packet benchmark).
 */
#define _XOPEN_SOURCE 700 /* nftw in testutil.h */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "check.h"
#include "testutil.h"
#include "testpkts.h"
#include "proc/child.h"
#include "tshark/tsjson.h"
#include "banned.h"

#define OUT_MAX (64 * 1024 * 1024)

static int tshark_json(const char *file, struct buf *out) {
    const char *argv[] = {"tshark", "-n",
                          "-r",     file,
                          "-T",     "json",
                          "-e",     "frame.number",
                          "-e",     "frame.time_relative",
                          "-e",     "frame.len",
                          NULL};
    return run_cmd(argv, out);
}

/* The reference: `tshark -T fields` of the same three fields. */
static int tshark_fields(const char *file, struct pkts *ref) {
    const char *argv[] = {"tshark", "-n",
                          "-r",     file,
                          "-T",     "fields",
                          "-e",     "frame.number",
                          "-e",     "frame.time_relative",
                          "-e",     "frame.len",
                          NULL};
    struct buf out = BUF_INIT(OUT_MAX);
    char *line, *next;
    int st = run_cmd(argv, &out);

    if (st != 0 || out.data == NULL) {
        buf_release(&out);
        return st == 0 ? 0 : -1;
    }
    for (line = out.data; *line != '\0'; line = next) {
        char *t1, *t2, *nl;
        struct pkt p;

        memset(&p, 0, sizeof(p));
        nl = strchr(line, '\n');
        next = nl != NULL ? nl + 1 : line + strlen(line);
        if (nl != NULL)
            *nl = '\0';
        t1 = strchr(line, '\t');
        t2 = t1 != NULL ? strchr(t1 + 1, '\t') : NULL;
        if (t2 == NULL)
            return -1;
        *t1++ = '\0';
        *t2++ = '\0';
        p.number = strtoull(line, NULL, 10);
        if (*t1 != '\0') {
            p.has_time = 1;
            if (fields_parse_seconds(t1, &p.t_ns) == -1)
                return -1;
        }
        if (*t2 != '\0') {
            p.has_len = 1;
            p.len = strtoull(t2, NULL, 10);
        }
        collect(ref, &p, NULL);
    }
    buf_release(&out);
    return 0;
}

/* Feed data in chunks: sizes from the list (cycled), or random up to rmax. */
static int feed_chunks(const char *d, size_t n, const size_t *sizes, size_t nsizes,
                       size_t rmax, struct pkts *got, struct err *err) {
    struct tsjson p;
    size_t off = 0, k = 0;
    int rc = 0;

    tsjson_init(&p);
    while (off < n) {
        size_t c = rmax ? 1 + (size_t)rand() % rmax : sizes[k++ % nsizes];
        if (c > n - off)
            c = n - off;
        if ((rc = tsjson_feed(&p, d + off, c, collect, got, err)) != 0)
            break;
        off += c;
    }
    if (rc == 0)
        rc = tsjson_finish(&p, err);
    if (rc == 0 && p.elements != got->n)
        rc = -2;
    tsjson_release(&p);
    return rc;
}

static int feed_all(const char *d, size_t n, struct pkts *got, struct err *err) {
    size_t all = n ? n : 1;
    return feed_chunks(d, n, &all, 1, 0, got, err);
}

static void test_real_captures(const char *capdir, struct buf *small_json) {
    size_t f;

    for (f = 0; f < N_DEV_CAPTURES; f++) {
        char path[4096];
        struct buf json = BUF_INIT(OUT_MAX);
        struct pkts ref = {0}, got = {0};
        struct err err = ERR_INIT;
        size_t sizes[] = {1, 7, 4096, 65536, 3, 100000};
        int seed, ok;

        snprintf(path, sizeof(path), "%s/dev/%s", capdir, dev_captures[f]);
        CHECK(tshark_json(path, &json) == 0);
        CHECK(tshark_fields(path, &ref) == 0);
        CHECK(feed_all(json.data, json.len, &got, &err) == 0);
        ok = pkts_equal(&ref, &got);
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "  %s: %zu packets, fields says %zu\n", dev_captures[f],
                    got.n, ref.n);
        pkts_release(&got);
        CHECK(feed_chunks(json.data, json.len, sizes, 6, 0, &got, &err) == 0);
        CHECK(pkts_equal(&ref, &got));
        pkts_release(&got);
        for (seed = 1; seed <= 3; seed++) {
            srand((unsigned)seed);
            CHECK(feed_chunks(json.data, json.len, NULL, 0, seed == 1 ? 64 : 20000, &got,
                              &err) == 0);
            CHECK(pkts_equal(&ref, &got));
            pkts_release(&got);
        }
        if (strcmp(dev_captures[f], "dhcp-nanosecond.pcap") == 0) {
            buf_append(small_json, json.data, json.len);
        }
        if (strcmp(dev_captures[f], "dhcpfo.pcapng") == 0) {
            CHECK(ref.n == 275 && ref.v[2].t_ns == -11267000); /* negative times */
        }
        if (strcmp(dev_captures[f], "ptg_le_test011_spb_epb_mix.pcapng") == 0) {
            CHECK(ref.n == 4 && !ref.v[0].has_time && ref.v[0].has_len);
        }
        if (strcmp(dev_captures[f], "empty.pcap") == 0) {
            CHECK(ref.n == 0 && json.len > 0);
        }
        pkts_release(&ref);
        buf_release(&json);
    }
}

/* EXPECTED_SAMPLES.tsv: exact values recorded from tshark 4.0.17 */
static void test_samples(const char *capdir) {
    char path[4096], line[512], cur[256] = "";
    struct pkts got = {0};
    FILE *f;
    int checked = 0;

    snprintf(path, sizeof(path), "%s/EXPECTED_SAMPLES.tsv", capdir);
    if ((f = fopen(path, "r")) == NULL) {
        CHECK(!"EXPECTED_SAMPLES.tsv missing");
        return;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        char file[256], t[64];
        unsigned long idx;
        unsigned long long len;
        int64_t ns;

        if (sscanf(line, "%255s %lu %63s %llu", file, &idx, t, &len) != 4)
            continue;
        if (strcmp(file, cur) != 0) {
            struct buf json = BUF_INIT(OUT_MAX);
            struct err err = ERR_INIT;
            char fp[4096];

            pkts_release(&got);
            snprintf(cur, sizeof(cur), "%s", file);
            snprintf(fp, sizeof(fp), "%s/%s", capdir, file);
            CHECK(tshark_json(fp, &json) == 0);
            CHECK(feed_all(json.data, json.len, &got, &err) == 0);
            buf_release(&json);
        }
        CHECK(fields_parse_seconds(t, &ns) == 0);
        CHECK(idx >= 1 && idx <= got.n);
        if (idx >= 1 && idx <= got.n) {
            CHECK(got.v[idx - 1].number == idx);
            CHECK(got.v[idx - 1].t_ns == ns && got.v[idx - 1].has_time);
            CHECK(got.v[idx - 1].len == len && got.v[idx - 1].has_len);
            checked++;
        }
    }
    fclose(f);
    pkts_release(&got);
    CHECK(checked == 28);
}

/* Every split point of a small real output, and one byte at a time. */
static void test_every_split(const struct buf *json) {
    struct pkts whole = {0};
    struct err err = ERR_INIT;
    size_t i, one = 1;
    int all_ok = 1;

    CHECK(json->len > 100);
    CHECK(feed_all(json->data, json->len, &whole, &err) == 0);
    CHECK(whole.n == 4);
    for (i = 0; i <= json->len; i++) {
        struct pkts got = {0};
        struct tsjson p;
        int rc;

        tsjson_init(&p);
        rc = tsjson_feed(&p, json->data, i, collect, &got, &err);
        if (rc == 0)
            rc = tsjson_feed(&p, json->data + i, json->len - i, collect, &got, &err);
        if (rc == 0)
            rc = tsjson_finish(&p, &err);
        if (rc != 0 || !pkts_equal(&whole, &got))
            all_ok = 0;
        tsjson_release(&p);
        pkts_release(&got);
    }
    CHECK(all_ok);
    {
        struct pkts got = {0};
        CHECK(feed_chunks(json->data, json->len, &one, 1, 0, &got, &err) == 0);
        CHECK(pkts_equal(&whole, &got));
        pkts_release(&got);
    }
    pkts_release(&whole);
}

struct bad_case {
    const char *in;
    int rc;      /* feed, then finish: 0, or -1 with 502 */
    size_t npkt; /* packets delivered */
};

#define P1                                                                               \
    "{\"_source\":{\"layers\":{\"frame.number\":[\"1\"],\"frame.time_relative\":[\"0."   \
    "5\"],\"frame.len\":[\"60\"]}}}"

static void test_malformed(void) {
    static const struct bad_case cases[] = {
        {"", 0, 0},
        {" \n\t\r ", 0, 0},
        {"[]", 0, 0},
        {"[]\n", 0, 0},
        {" [ \n ] \n", 0, 0},
        {"[\n" P1 "\n]\n", 0, 1},
        {"[" P1 "," P1 "]", 0, 2},
        {"[", -1, 0},
        {"[\n  {", -1, 0},
        {"[" P1, -1, 1},
        {"[" P1 ",", -1, 1},
        {"[" P1 "," P1, -1, 2},
        {"[" P1 ",]", -1, 1},
        {"[," P1 "]", -1, 0},
        {"[" P1 P1 "]", -1, 1},
        {"[]x", -1, 0},
        {"[]]", -1, 0},
        {"[] []", -1, 0},
        {"[" P1 "] garbage", -1, 1},
        {"{}", -1, 0},
        {"this is not json", -1, 0},
        {"[1]", -1, 0},
        {"[\"x\"]", -1, 0},
        {"[{\"a\":}]", -1, 0},
        {"[{]}", -1, 0},
        {"[{}]", -1, 0},                            /* no _source.layers */
        {"[{\"_source\":{\"layers\":[]}}]", -1, 0}, /* layers not an object */
        {"[{\"_source\":{\"layers\":{}}}]", 0, 1},  /* all fields absent */
        {"[{\"_source\":{\"layers\":{\"frame.len\":[\"x\"]}}}]", -1, 0},
        {"[{\"_source\":{\"layers\":{\"frame.len\":[\"-1\"]}}}]", -1, 0},
        {"[{\"_source\":{\"layers\":{\"frame.len\":[60]}}}]", -1, 0},
        {"[{\"_source\":{\"layers\":{\"frame.number\":[\"1x\"]}}}]", -1, 0},
        {"[{\"_source\":{\"layers\":{\"frame.time_relative\":[\"1e3\"]}}}]", -1, 0},
        {"[{\"_source\":{\"layers\":{\"frame.len\":[\"18446744073709551616\"]}}}]", -1,
         0},
        {"[{\"_source\":{\"layers\":{\"frame.len\":[\"18446744073709551615\"]}}}]", 0, 1},
        {"[{\"_source\":{\"layers\":{\"frame.time_relative\":[\"\"],\"frame.len\":[]}}}]",
         0, 1},
        /* brackets, quotes and backslashes inside strings do not count */
        {"[{\"_source\":{\"layers\":{\"x\":[\"}]{[\\\"\\\\\",\"\\\\\"]}}}]", 0, 1},
        {"[{\"_source\":{\"layers\":{\"x\\\"}\":[\"]\"]}}}]", 0, 1},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct bad_case *c = &cases[i];
        size_t n = strlen(c->in), split;
        int ok = 1;

        /* whole, and split at every byte (the scanner's state crosses chunks) */
        for (split = 0; split <= n; split++) {
            struct tsjson p;
            struct pkts got = {0};
            struct err err = ERR_INIT;
            int rc;

            tsjson_init(&p);
            rc = tsjson_feed(&p, c->in, split, collect, &got, &err);
            if (rc == 0)
                rc = tsjson_feed(&p, c->in + split, n - split, collect, &got, &err);
            if (rc == 0)
                rc = tsjson_finish(&p, &err);
            if (rc != c->rc || got.n != c->npkt || p.elements != c->npkt ||
                (rc == -1 && err.status != 502))
                ok = 0;
            if (rc == -1) { /* failure is sticky */
                if (tsjson_feed(&p, "[]", 2, collect, &got, &err) != -1 ||
                    tsjson_finish(&p, &err) != -1)
                    ok = 0;
            }
            tsjson_release(&p);
            pkts_release(&got);
        }
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "  case %zu: %s\n", i, c->in);
    }
    {
        /* the values of the fields */
        const char *in = "[{\"_source\":{\"layers\":{\"frame.number\":[\"7\"],"
                         "\"frame.time_relative\":[\"-0.011267000\"],"
                         "\"frame.len\":[\"18446744073709551615\"]}}},"
                         "{\"_source\":{\"layers\":{\"frame.number\":[\"8\"],"
                         "\"frame.len\":[\"11240\"]}}}]";
        struct pkts got = {0};
        struct err err = ERR_INIT;

        CHECK(feed_all(in, strlen(in), &got, &err) == 0);
        CHECK(got.n == 2);
        if (got.n == 2) {
            CHECK(got.v[0].number == 7 && got.v[0].has_time &&
                  got.v[0].t_ns == -11267000);
            CHECK(got.v[0].has_len && got.v[0].len == UINT64_MAX);
            CHECK(got.v[1].number == 8 && !got.v[1].has_time && got.v[1].t_ns == 0);
            CHECK(got.v[1].has_len && got.v[1].len == 11240);
        }
        pkts_release(&got);
    }
}

/* An element over MAX_ELEMENT_BYTES fails with 502, whole or in pieces. */
static void test_element_cap(void) {
    const char *head = "[{\"_source\":{\"layers\":{\"x\":[\"";
    const char *tail = "\"]}}}]";
    size_t hl = strlen(head), tl = strlen(tail);
    /* the element is all but the outer '[' and ']' */
    size_t pads[] = {MAX_ELEMENT_BYTES - (hl - 1) - (tl - 1) + 1, /* 1 byte over */
                     MAX_ELEMENT_BYTES - (hl - 1) - (tl - 1),     /* exactly the cap */
                     3 * MAX_ELEMENT_BYTES};
    size_t chunk[] = {READ_CHUNK_BYTES};
    int k;

    for (k = 0; k < 3; k++) {
        size_t n = hl + pads[k] + tl;
        char *d = malloc(n);
        int want = k == 1 ? 0 : -1;
        int mode;

        if (d == NULL)
            return;
        memcpy(d, head, hl);
        memset(d + hl, 'a', pads[k]);
        memcpy(d + hl + pads[k], tail, tl);
        for (mode = 0; mode < 2; mode++) {
            struct pkts got = {0};
            struct err err = ERR_INIT;
            int rc = mode == 0 ? feed_all(d, n, &got, &err)
                               : feed_chunks(d, n, chunk, 1, 0, &got, &err);
            CHECK(rc == want);
            CHECK(want == 0 || (err.status == 502 && strstr(err.msg, "over") != NULL));
            CHECK(got.n == (want == 0 ? 1u : 0u));
            pkts_release(&got);
        }
        free(d);
    }
}

static void test_callback(const char *capdir) {
    char path[4096];
    struct buf json = BUF_INIT(OUT_MAX);
    struct pkts got = {0};
    struct err err = ERR_INIT;
    struct tsjson p;
    size_t half;

    snprintf(path, sizeof(path), "%s/dev/http.cap", capdir);
    CHECK(tshark_json(path, &json) == 0);
    half = json.len / 2;

    /* stop (1) at packet 5: no more callbacks, finish says fine */
    got.stop_at = 5;
    tsjson_init(&p);
    CHECK(tsjson_feed(&p, json.data, half, collect, &got, &err) == 1);
    CHECK(got.n == 5 && p.elements == 5);
    CHECK(tsjson_feed(&p, json.data + half, json.len - half, collect, &got, &err) == 1);
    CHECK(got.n == 5);
    CHECK(tsjson_finish(&p, &err) == 0);
    tsjson_release(&p);
    pkts_release(&got);

    /* fail (-1) at packet 3: its err comes through */
    got.fail_at = 3;
    tsjson_init(&p);
    CHECK(tsjson_feed(&p, json.data, json.len, collect, &got, &err) == -1);
    CHECK(err.status == 418 && got.n == 3);
    tsjson_release(&p);
    pkts_release(&got);

    /* err may be NULL */
    tsjson_init(&p);
    CHECK(tsjson_feed(&p, "x", 1, collect, &got, NULL) == -1);
    CHECK(tsjson_finish(&p, NULL) == -1);
    tsjson_release(&p);
    pkts_release(&got);
    buf_release(&json);
}

static void test_seconds(void) {
    static const struct {
        const char *s;
        int rc;
        int64_t ns;
    } c[] = {
        {"0", 0, 0},
        {"0.000000000", 0, 0},
        {"0.911310000", 0, 911310000},
        {"30.393704000", 0, 30393704000},
        {"-0.011267000", 0, -11267000},
        {"+1.5", 0, 1500000000},
        {"1.", 0, 1000000000},
        {".5", 0, 500000000},
        {"-0", 0, 0},
        {"0.000000001", 0, 1},
        {"0.0000000019", 0, 1},                            /* truncated */
        {"-0.0000000019", 0, -1},                          /* toward zero */
        {"1418145370.1000000000", 0, 1418145370100000000}, /* 10 digits */
        {"1340954905.298858000", 0, 1340954905298858000},
        {"9223372036.854775807", 0, INT64_MAX},
        {"9223372036.854775808", -1, 0},
        {"-9223372036.854775808", 0, INT64_MIN},
        {"-9223372036.854775809", -1, 0},
        {"9223372037", -1, 0},
        {"99999999999999999999999999", -1, 0},
        {"00000000000000000000001.5", 0, 1500000000}, /* leading zeros */
        {"", -1, 0},
        {"-", -1, 0},
        {".", -1, 0},
        {"-.", -1, 0},
        {"1e3", -1, 0},
        {" 1", -1, 0},
        {"1 ", -1, 0},
        {"0x10", -1, 0},
        {"1.2.3", -1, 0},
        {"--1", -1, 0},
        {"nan", -1, 0},
    };
    size_t i;

    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        int64_t ns = 42;
        int rc = fields_parse_seconds(c[i].s, &ns);
        int ok = rc == c[i].rc && (rc != 0 || ns == c[i].ns);
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "  '%s': rc %d ns %" PRId64 "\n", c[i].s, rc, ns);
    }
    CHECK(fields_parse_seconds(NULL, NULL) == -1);
}

static int count_only(void *ctx, const struct pkt *p, struct err *err) {
    (void)err;
    *(uint64_t *)ctx += p->len;
    return 0;
}

/* packets/s of tsjson alone on copies of nfs_bad_stalls.cap's output */
static void bench(const char *capdir, long copies) {
    char path[4096];
    struct buf json = BUF_INIT(OUT_MAX);
    struct tsjson p;
    struct err err = ERR_INIT;
    struct timespec t0, t1;
    const char *body, *end;
    uint64_t sum = 0;
    long k;
    double s;

    snprintf(path, sizeof(path), "%s/dev/nfs_bad_stalls.cap", capdir);
    if (tshark_json(path, &json) != 0 || json.len < 4)
        return;
    /* the elements between the outer brackets */
    body = (const char *)memchr(json.data, '[', json.len) + 1;
    end = json.data + json.len;
    while (end > body && end[-1] != ']')
        end--;
    end--;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    tsjson_init(&p);
    CHECK(tsjson_feed(&p, "[", 1, count_only, &sum, &err) == 0);
    for (k = 0; k < copies; k++) {
        const char *q = body;
        if (k > 0)
            CHECK(tsjson_feed(&p, ",", 1, count_only, &sum, &err) == 0);
        while (q < end) {
            size_t c = (size_t)(end - q) < READ_CHUNK_BYTES ? (size_t)(end - q)
                                                            : READ_CHUNK_BYTES;
            if (tsjson_feed(&p, q, c, count_only, &sum, &err) != 0) {
                CHECK(!"bench feed failed");
                break;
            }
            q += c;
        }
    }
    CHECK(tsjson_feed(&p, "]", 1, count_only, &sum, &err) == 0);
    CHECK(tsjson_finish(&p, &err) == 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK(p.elements == (uint64_t)copies * 7038);
    printf("bench: %" PRIu64 " packets (%.1f MB of JSON) in %.3f s: %.0f packets/s\n",
           p.elements, (double)(end - body) * (double)copies / 1e6, s,
           (double)p.elements / s);
    tsjson_release(&p);
    buf_release(&json);
}

int main(void) {
    const char *capdir = getenv("CAPTURES_DIR");
    const char *bench_env = getenv("TSJSON_BENCH_COPIES");
    const char *tshark_argv[] = {"tshark", "--version", NULL};
    struct buf small = BUF_INIT(OUT_MAX), ver = BUF_INIT(OUT_MAX);
    int fds = count_fds();

    test_seconds();
    test_malformed();
    test_element_cap();
    if (capdir == NULL || access(capdir, R_OK | X_OK) != 0 ||
        run_cmd(tshark_argv, &ver) != 0) {
        fprintf(stderr, "CAPTURES_DIR unset or no tshark: real-output tests skipped\n");
        buf_release(&ver);
        return check_failed ? CHECK_DONE() : 77;
    }
    test_real_captures(capdir, &small);
    test_every_split(&small);
    test_samples(capdir);
    test_callback(capdir);
    bench(capdir, bench_env != NULL ? strtol(bench_env, NULL, 10) : 20);
    buf_release(&small);
    buf_release(&ver);
    CHECK(count_fds() == fds);
    errno = 0;
    CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
    return CHECK_DONE();
}
