/*
 * test_catalog.c - the field catalogue: a hand-written `tshark -G fields`
 * (classes, P lines, malformed lines, duplicates, CRLF, a last line without
 * newline), find, suggest, complete and field_parse_value on every class;
 * then the real list of the installed tshark (loaded as the server does:
 * its user, its sandbox), the classes of well-known fields, suggestions in
 * request time, and every value real tshark prints for a few fields of
 * http.cap parsed by its field's class. No descriptor or child is left.
 *
 * The real part needs tshark in PATH and CAPTURES_DIR, TESTS_DIR; exits 77
 * (skipped) without them, after the hand-written part.
 */
#define _XOPEN_SOURCE 700 /* nftw in testutil.h */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "check.h"
#include "testutil.h"
#include "tshark/catalog.h"
#include "tshark/tshark.h"
#include "banned.h"

#define JSON_MAX (64 * 1024 * 1024)
/* a suggestion is made while a request waits: generous for sanitizer builds */
#define SUGGEST_BUDGET_MS 500

/* clang-format off */
static const char sample[] =
    "P\tTransmission Control Protocol\ttcp\n"
    "F\tSource Port\ttcp.srcport\tFT_UINT16\ttcp\tBASE_PT_TCP\t0x0\t\n"
    "F\tTCP Segment Len\ttcp.len\tFT_UINT32\ttcp\tBASE_DEC\t0x0\t\n"
    "F\tFlags\ttcp.flags\tFT_UINT16\ttcp\tBASE_HEX\t0xfff\t\n"
    "F\tSyn\ttcp.flags.syn\tFT_BOOLEAN\ttcp\t12\t0x2\t\n"
    "F\tThe RTT to ACK the segment was\ttcp.analysis.ack_rtt\tFT_RELATIVE_TIME\ttcp\t\t0x0\t\n"
    "F\tThis is an ACK to the segment in frame\ttcp.analysis.acks_frame\tFT_FRAMENUM\ttcp\t\t0x0\t\n"
    "F\tWindow size scaling factor\ttcp.window_size_scalefactor\tFT_INT32\ttcp\tBASE_DEC\t0x0\t\n"
    "P\tInternet Protocol Version 4\tip\n"
    "F\tSource Address\tip.src\tFT_IPv4\tip\t\t0x0\t\n"
    "F\tTime to Live\tip.ttl\tFT_UINT8\tip\tBASE_DEC\t0x0\t\n"
    "F\tTotal Length\tip.len\tFT_UINT16\tip\tBASE_DEC\t0x0\t\n"
    "F\tType of Service\tip.tos\tFT_UINT8\tip\tBASE_HEX\t0x0\t\n"
    "F\tTransport Control\tipx.tc\tFT_UINT8\tipx\tBASE_DEC\t0x0\t\n"
    "F\tResponse time\ticmp.resptime\tFT_DOUBLE\ticmp\t\t0x0\t\n"
    "F\tData rate (Mb/s)\tradiotap.datarate\tFT_FLOAT\tradiotap\t\t0x0\t\n"
    "F\tType\tgopher.directory.type\tFT_CHAR\tgopher\tBASE_HEX\t0x0\t\n"
    "F\tName\tnbp.object\tFT_UINT_STRING\tnbp\t\t0x0\t\n"
    "F\tData block\timage-gif.data_block\tFT_UINT_BYTES\timage-gif\t\t0x0\t\n"
    "F\tArrival Time\tframe.time\tFT_ABSOLUTE_TIME\tframe\t\t0x0\t\n"
    "F\tFrame Number\tframe.number\tFT_UINT32\tframe\tBASE_DEC\t0x0\t\n"
    "F\tLength\tudp.length\tFT_UINT16\tudp\tBASE_DEC\t0x0\t\n"
    "F\tExtra\tnone.extra\tFT_NONE\tnone\t\t0x0\tblurb\twith\textra tabs\n"
    "P\tTPKT - ISO on TCP - RFC1006\ttpkt\n"
    "P\tTPKT Heuristic (for RDP)\ttpkt\n"                       /* dropped */
    "F\tFirst\tdup.x\tFT_UINT8\tdup\tBASE_DEC\t0x0\t\n"
    "F\tSecond\tdup.x\tFT_STRING\tdup\t\t0x0\t\n"               /* dropped */
    "F\tText first\tdup.y\tFT_STRING\tdup\t\t0x0\t\n"
    "F\tNumber second\tdup.y\tFT_UINT8\tdup\tBASE_DEC\t0x0\t\n" /* dropped */
    "X\tunknown kind\tbad.kind\tFT_UINT8\n"
    "F\tno type\tbad.notype\n"
    "F\tnot a type\tbad.type\tUINT8\tbad\tBASE_DEC\t0x0\t\n"
    "F\tempty name\t\tFT_UINT8\tbad\tBASE_DEC\t0x0\t\n"
    "F\tspace in name\tbad name\tFT_UINT8\tbad\tBASE_DEC\t0x0\t\n"
    "F\tNUL in name\tbad\0nul\tFT_UINT8\tbad\tBASE_DEC\t0x0\t\n"
    "P\tshort\n"
    "\n"
    "garbage line\n"
    " F\tleading blank\tbad.blank\tFT_UINT8\n"
    "F\tWindows line\tcrlf.x\tFT_UINT8\tcrlf\tBASE_DEC\t0x0\t\r\n"
    "F\tLast\tzz.last\tFT_DOUBLE";
/* clang-format on */
/* entries: 3 P (tcp, ip, tpkt) + 25 distinct F names */
#define SAMPLE_ENTRIES 28

static struct catalog *sample_catalog(void) {
    struct err err = ERR_INIT;
    /* a copy freed at once: the catalogue must not keep pointing into it */
    char *copy = malloc(sizeof(sample));
    struct catalog *c;

    if (copy == NULL)
        return NULL;
    memcpy(copy, sample, sizeof(sample));
    c = catalog_parse(copy, sizeof(sample) - 1, &err);
    memset(copy, 'x', sizeof(sample));
    free(copy);
    if (c == NULL)
        fprintf(stderr, "sample: %s\n", err.msg);
    return c;
}

static int has_class(const struct catalog *c, const char *name, enum field_class k) {
    const struct catalog_entry *e = catalog_find(c, name);

    if (e == NULL || e->cls != k) {
        fprintf(stderr, "%s: %s\n", name,
                e == NULL ? "missing" : field_class_name(e->cls));
        return 0;
    }
    return 1;
}

static void test_parse(void) {
    struct catalog *c = sample_catalog();
    const struct catalog_entry *e;
    struct err err = ERR_INIT;
    static const char *const gone[] = {
        "bad.kind", "bad.notype", "bad.type", "bad", "bad name", "bad.blank", "short", "",
    };
    size_t i;

    CHECK(c != NULL);
    if (c == NULL)
        return;
    CHECK(catalog_size(c) == SAMPLE_ENTRIES);
    CHECK((e = catalog_find(c, "tcp.len")) != NULL);
    if (e != NULL) {
        CHECK(strcmp(e->name, "tcp.len") == 0 && strcmp(e->type, "FT_UINT32") == 0 &&
              strcmp(e->desc, "TCP Segment Len") == 0 && e->cls == FIELD_CLASS_INT);
    }
    CHECK(has_class(c, "tcp.srcport", FIELD_CLASS_INT));
    CHECK(has_class(c, "tcp.flags", FIELD_CLASS_INT));
    CHECK(has_class(c, "tcp.flags.syn", FIELD_CLASS_BOOL));
    CHECK(has_class(c, "tcp.analysis.ack_rtt", FIELD_CLASS_TIME));
    CHECK(has_class(c, "tcp.analysis.acks_frame", FIELD_CLASS_INT));
    CHECK(has_class(c, "tcp.window_size_scalefactor", FIELD_CLASS_INT));
    CHECK(has_class(c, "ip.src", FIELD_CLASS_TEXT));
    CHECK(has_class(c, "icmp.resptime", FIELD_CLASS_FLOAT));
    CHECK(has_class(c, "radiotap.datarate", FIELD_CLASS_FLOAT));
    CHECK(has_class(c, "gopher.directory.type", FIELD_CLASS_TEXT));
    CHECK(has_class(c, "nbp.object", FIELD_CLASS_TEXT));
    CHECK(has_class(c, "image-gif.data_block", FIELD_CLASS_TEXT));
    CHECK(has_class(c, "frame.time", FIELD_CLASS_TEXT));
    CHECK(has_class(c, "none.extra", FIELD_CLASS_TEXT));
    CHECK(has_class(c, "crlf.x", FIELD_CLASS_INT));
    CHECK(has_class(c, "zz.last", FIELD_CLASS_FLOAT));
    CHECK((e = catalog_find(c, "crlf.x")) != NULL && strcmp(e->type, "FT_UINT8") == 0);
    CHECK((e = catalog_find(c, "tcp")) != NULL && strcmp(e->type, "FT_PROTOCOL") == 0 &&
          strcmp(e->desc, "Transmission Control Protocol") == 0 &&
          e->cls == FIELD_CLASS_TEXT);
    /* duplicates: the first line wins, whatever the classes */
    CHECK((e = catalog_find(c, "tpkt")) != NULL &&
          strcmp(e->desc, "TPKT - ISO on TCP - RFC1006") == 0);
    CHECK((e = catalog_find(c, "dup.x")) != NULL && strcmp(e->desc, "First") == 0 &&
          e->cls == FIELD_CLASS_INT);
    CHECK((e = catalog_find(c, "dup.y")) != NULL && strcmp(e->desc, "Text first") == 0 &&
          e->cls == FIELD_CLASS_TEXT);
    for (i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
        CHECK(catalog_find(c, gone[i]) == NULL);
    CHECK(catalog_find(c, "tcp.le") == NULL && catalog_find(c, "tcp.len ") == NULL &&
          catalog_find(c, "TCP.LEN") == NULL);
    catalog_free(c);
    catalog_free(NULL);

    /* nothing, or no field at all: an error, not an empty catalogue */
    CHECK(catalog_parse("", 0, &err) == NULL && err.status == 500);
    err.status = 0;
    CHECK(catalog_parse("P\tTCP\ttcp\nP\tIP\tip\n", 18, &err) == NULL &&
          err.status == 500);
    err.status = 0;
    CHECK(catalog_parse("not\ta\tlist\n[\n]\n", 15, &err) == NULL && err.status == 500);
    CHECK(catalog_parse("", 0, NULL) == NULL);
    /* len counts, not the NUL: the second line is not read */
    CHECK((c = catalog_parse("F\tA\ta.a\tFT_UINT8\nF\tB\tb.b\tFT_UINT8\n", 17, &err)) !=
          NULL);
    CHECK(c != NULL && catalog_size(c) == 1 && catalog_find(c, "b.b") == NULL);
    catalog_free(c);
}

/* out[0..n) are the names want (NULL-terminated), in that order */
static int names_are(const struct catalog_entry **out, size_t n,
                     const char *const *want) {
    size_t i;

    for (i = 0; i < n && want[i] != NULL; i++)
        if (strcmp(out[i]->name, want[i]) != 0)
            break;
    if (i == n && want[i] == NULL)
        return 1;
    fprintf(stderr, "got:");
    for (i = 0; i < n; i++)
        fprintf(stderr, " %s", out[i]->name);
    fprintf(stderr, "\n");
    return 0;
}

static int first_is(const struct catalog *c, const char *name, const char *want) {
    const struct catalog_entry *out[8];
    size_t n = catalog_suggest(c, name, out, 8);

    if (n > 0 && strcmp(out[0]->name, want) == 0)
        return 1;
    fprintf(stderr, "suggest %s: %s first, not %s\n", name, n > 0 ? out[0]->name : "none",
            want);
    return 0;
}

static void test_suggest(void) {
    struct catalog *c = sample_catalog();
    const struct catalog_entry *out[CATALOG_SUGGEST_MAX + 8], *again[8];
    size_t n, i;

    CHECK(c != NULL);
    if (c == NULL)
        return;
    CHECK(first_is(c, "tcp.lenn", "tcp.len"));
    CHECK(first_is(c, "tcp.ln", "tcp.len"));
    CHECK(first_is(c, "ip.sorc", "ip.src"));
    CHECK(first_is(c, "TCP.Len", "tcp.len")); /* case ignored */
    CHECK(first_is(c, "tpc.len", "tcp.len")); /* a transposition, another protocol */
    CHECK(first_is(c, "tcp.len", "tcp.len")); /* exact first */
    CHECK(first_is(c, "ack_rtt", "tcp.analysis.ack_rtt")); /* substring */
    CHECK(first_is(c, "tcp.flags.sync", "tcp.flags.syn"));
    CHECK(first_is(c, "i", "ip"));     /* a row with nothing but its first cell */
    CHECK(first_is(c, "tcpx", "tcp")); /* the protocol itself */
    /* the same protocol at 2 (then name order) before another at 1 */
    n = catalog_suggest(c, "ip.tc", out, 4);
    CHECK(names_are(out, n,
                    (const char *const[]){"ip.src", "ip.tos", "ip.ttl", "ipx.tc", NULL}));
    /* the last component, shortest first */
    n = catalog_suggest(c, "foo.len", out, 8);
    CHECK(names_are(out, n, (const char *const[]){"ip.len", "tcp.len", NULL}));
    /* substrings: shortest, then name order */
    n = catalog_suggest(c, "flags", out, 8);
    CHECK(names_are(out, n, (const char *const[]){"tcp.flags", "tcp.flags.syn", NULL}));
    /* nothing close */
    CHECK(catalog_suggest(c, "qqqqqqqqqq", out, 8) == 0);
    CHECK(catalog_suggest(c, "", out, 8) == 0);
    CHECK(catalog_suggest(c, "tcp.lenn", out, 0) == 0);
    /* max is kept, the best stays first, and the order is the same every time */
    n = catalog_suggest(c, "tcp.lenn", out, 8);
    CHECK(n >= 1 && catalog_suggest(c, "tcp.lenn", again, 1) == 1 && again[0] == out[0]);
    CHECK(catalog_suggest(c, "tcp.lenn", again, 8) == n);
    for (i = 0; i < n && i < 8; i++)
        CHECK(again[i] == out[i]);
    /* a larger max than CATALOG_SUGGEST_MAX is cut to it, never overrun */
    n = catalog_suggest(c, "a", out, CATALOG_SUGGEST_MAX + 8);
    CHECK(n <= CATALOG_SUGGEST_MAX);
    {
        char longname[CATALOG_SUGGEST_NAME_MAX + 20];
        memset(longname, 'a', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = '\0';
        CHECK(catalog_suggest(c, longname, out, 8) == 0);
    }
    catalog_free(c);
}

static void test_complete(void) {
    struct catalog *c = sample_catalog();
    const struct catalog_entry *out[64];
    size_t n, i;

    CHECK(c != NULL);
    if (c == NULL)
        return;
    n = catalog_complete(c, "tcp.analysis.ack_r", out, 64);
    CHECK(names_are(out, n, (const char *const[]){"tcp.analysis.ack_rtt", NULL}));
    n = catalog_complete(c, "tcp.", out, 64);
    CHECK(names_are(out, n,
                    (const char *const[]){"tcp.analysis.ack_rtt",
                                          "tcp.analysis.acks_frame", "tcp.flags",
                                          "tcp.flags.syn", "tcp.len", "tcp.srcport",
                                          "tcp.window_size_scalefactor", NULL}));
    n = catalog_complete(c, "tcp", out, 2); /* the protocol itself first */
    CHECK(names_are(out, n, (const char *const[]){"tcp", "tcp.analysis.ack_rtt", NULL}));
    CHECK(catalog_complete(c, "tcp.x", out, 64) == 0);
    CHECK(catalog_complete(c, "zzz", out, 64) == 0);
    CHECK(catalog_complete(c, "{", out, 64) == 0); /* above every name */
    CHECK(catalog_complete(c, "tcp", out, 0) == 0);
    n = catalog_complete(c, "", out, 64);
    CHECK(n == SAMPLE_ENTRIES);
    for (i = 1; i < n; i++)
        CHECK(strcmp(out[i - 1]->name, out[i]->name) < 0);
    catalog_free(c);
}

/* text parses as class k into want (exactly, or within a relative 1e-12) */
static int parses(enum field_class k, const char *text, double want) {
    double v = -12345;
    double tol = (want < 0 ? -want : want) * 1e-12;

    if (field_parse_value(k, text, &v) == 0 && v - want <= tol && want - v <= tol)
        return 1;
    fprintf(stderr, "%s '%s': %g, not %g\n", field_class_name(k), text, v, want);
    return 0;
}

/* text is refused as class k, and *v is left alone */
static int refused(enum field_class k, const char *text) {
    double v = 42;

    if (field_parse_value(k, text, &v) == -1 && v == 42)
        return 1;
    fprintf(stderr, "%s '%s' taken as %g\n", field_class_name(k), text, v);
    return 0;
}

static void test_values(void) {
    static const char *const not_int[] = {
        "",
        "-",
        "+1",
        " 1",
        "1 ",
        "1.5",
        "1e3",
        "abc",
        "0x",
        "0x1g",
        "-0x10",
        "0x-1",
        "'1'",
        "18446744073709551616",
        "-9223372036854775809",
        "0b1",
        "1,000",
        "True",
    };
    static const char *const not_float[] = {
        "",    "-",   "+1",       " 1",    "1 ",     "inf",   "-inf",
        "nan", "NaN", "infinity", "1e999", "-1e999", "0x1p3", "0x10",
        "1e",  "1e+", "1.",       ".",     "1.5.2",  "1,5",   "e5",
    };
    static const char *const not_time[] = {
        "", "-", "+1", " 1", "1e-05", "inf", "nan", ".5", "1.", "0x10", "1:00", "0.5s",
    };
    static const char *const not_bool[] = {"",    "2",  "-1", "true", "false",
                                           "yes", " 1", "01", "1.0"};
    size_t i;
    double v = 42;

    CHECK(parses(FIELD_CLASS_INT, "128", 128));
    CHECK(parses(FIELD_CLASS_INT, "0", 0));
    CHECK(parses(FIELD_CLASS_INT, "-1", -1));
    CHECK(parses(FIELD_CLASS_INT, "0x0800", 2048));
    CHECK(parses(FIELD_CLASS_INT, "0x02", 2));
    CHECK(parses(FIELD_CLASS_INT, "0x0012", 18));
    CHECK(parses(FIELD_CLASS_INT, "0XfF", 255));
    CHECK(parses(FIELD_CLASS_INT, "0x000000000001e240", 123456));
    CHECK(parses(FIELD_CLASS_INT, "0xffffffffffffffff", 18446744073709551615.0));
    CHECK(parses(FIELD_CLASS_INT, "18446744073709551615", 18446744073709551615.0));
    CHECK(parses(FIELD_CLASS_INT, "-9223372036854775808", -9223372036854775808.0));
    CHECK(parses(FIELD_CLASS_INT, "007", 7)); /* BASE_OCT prints decimal */
    for (i = 0; i < sizeof(not_int) / sizeof(not_int[0]); i++)
        CHECK(refused(FIELD_CLASS_INT, not_int[i]));

    CHECK(parses(FIELD_CLASS_FLOAT, "30.260796", 30.260796));
    CHECK(parses(FIELD_CLASS_FLOAT, "15", 15));
    CHECK(parses(FIELD_CLASS_FLOAT, "1e-05", 1e-05));
    CHECK(parses(FIELD_CLASS_FLOAT, "1.5e-05", 1.5e-05));
    CHECK(parses(FIELD_CLASS_FLOAT, "1.5E+20", 1.5e20));
    CHECK(parses(FIELD_CLASS_FLOAT, "-2.5", -2.5));
    CHECK(parses(FIELD_CLASS_FLOAT, ".5", 0.5));
    CHECK(parses(FIELD_CLASS_FLOAT, "-0", 0));
    for (i = 0; i < sizeof(not_float) / sizeof(not_float[0]); i++)
        CHECK(refused(FIELD_CLASS_FLOAT, not_float[i]));

    CHECK(parses(FIELD_CLASS_TIME, "0.000123000", 0.000123));
    CHECK(parses(FIELD_CLASS_TIME, "0.911310000", 0.91131));
    CHECK(parses(FIELD_CLASS_TIME, "-0.012060000", -0.01206));
    CHECK(parses(FIELD_CLASS_TIME, "1084443427.311224000", 1084443427.311224));
    CHECK(parses(FIELD_CLASS_TIME, "3", 3));
    for (i = 0; i < sizeof(not_time) / sizeof(not_time[0]); i++)
        CHECK(refused(FIELD_CLASS_TIME, not_time[i]));

    CHECK(parses(FIELD_CLASS_BOOL, "0", 0));
    CHECK(parses(FIELD_CLASS_BOOL, "1", 1));
    CHECK(parses(FIELD_CLASS_BOOL, "False", 0));
    CHECK(parses(FIELD_CLASS_BOOL, "True", 1));
    for (i = 0; i < sizeof(not_bool) / sizeof(not_bool[0]); i++)
        CHECK(refused(FIELD_CLASS_BOOL, not_bool[i]));

    CHECK(refused(FIELD_CLASS_TEXT, "1"));
    CHECK(refused(FIELD_CLASS_TEXT, "145.254.160.237"));
    CHECK(field_parse_value(FIELD_CLASS_INT, NULL, &v) == -1 && v == 42);

    CHECK(strcmp(field_class_name(FIELD_CLASS_INT), "integer") == 0);
    CHECK(strcmp(field_class_name(FIELD_CLASS_FLOAT), "float") == 0);
    CHECK(strcmp(field_class_name(FIELD_CLASS_TIME), "time") == 0);
    CHECK(strcmp(field_class_name(FIELD_CLASS_BOOL), "boolean") == 0);
    CHECK(strcmp(field_class_name(FIELD_CLASS_TEXT), "text") == 0);
    CHECK(
        field_class_numeric(FIELD_CLASS_INT) && field_class_numeric(FIELD_CLASS_FLOAT) &&
        field_class_numeric(FIELD_CLASS_TIME) && field_class_numeric(FIELD_CLASS_BOOL) &&
        !field_class_numeric(FIELD_CLASS_TEXT));
}

/* ---- the real tshark ---- */

/* catalog_suggest on c within SUGGEST_BUDGET_MS, with want first (NULL: any) */
static int suggest_timed(const struct catalog *c, const char *name, const char *want) {
    const struct catalog_entry *out[5];
    int64_t t0 = mono_now_ms(), ms;
    size_t n = catalog_suggest(c, name, out, 5), i;

    ms = mono_now_ms() - t0;
    printf("suggest %s (%lld ms):", name, (long long)ms);
    for (i = 0; i < n; i++)
        printf(" %s", out[i]->name);
    printf("\n");
    if (ms > SUGGEST_BUDGET_MS)
        return 0;
    return want == NULL || (n > 0 && strcmp(out[0]->name, want) == 0);
}

/*
 * Every value `tshark -r capture -T json -e field` prints parses as field's
 * class in c, and there is at least one.
 */
static void check_printed(const struct tshark *ts, const struct catalog *c,
                          const char *capture, const char *field) {
    const char *argv[] = {ts->path, "-n", "-r", capture, "-T", "json", "-e", field, NULL};
    const struct catalog_entry *e = catalog_find(c, field);
    struct buf out = BUF_INIT(JSON_MAX);
    json_error_t jerr;
    json_t *root = NULL, *pkt, *vals, *val;
    size_t i, j, seen = 0, bad = 0;
    double v;

    CHECK(e != NULL && field_class_numeric(e->cls));
    if (e == NULL)
        return;
    CHECK(run_cmd(argv, &out) == 0);
    CHECK(out.data != NULL && (root = json_loadb(out.data, out.len, 0, &jerr)) != NULL &&
          json_is_array(root));
    json_array_foreach(root, i, pkt) {
        vals = json_object_get(json_object_get(json_object_get(pkt, "_source"), "layers"),
                               field);
        json_array_foreach(vals, j, val) {
            seen++;
            if (!json_is_string(val) ||
                field_parse_value(e->cls, json_string_value(val), &v) == -1) {
                if (bad++ < 3)
                    fprintf(stderr, "%s (%s): '%s' does not parse\n", field,
                            field_class_name(e->cls),
                            json_is_string(val) ? json_string_value(val) : "?");
            }
        }
    }
    printf("%s (%s, %s): %zu values\n", field, e->type, field_class_name(e->cls), seen);
    CHECK(seen > 0 && bad == 0);
    json_decref(root);
    buf_release(&out);
}

static void test_real(const struct tshark *ts, const char *capdir) {
    static const char *const printed[] = {
        "ip.flags",
        "tcp.flags",
        "eth.type",
        "tcp.flags.syn",
        "tcp.analysis.ack_rtt",
        "ip.ttl",
        "frame.time_delta",
        "frame.number",
        "tcp.len",
        "tcp.window_size_scalefactor",
        "http.request_in",
        "ip.id",
    };
    const struct catalog_entry *out[4];
    struct err err = ERR_INIT;
    struct catalog *c;
    char capture[4096];
    int64_t t0 = mono_now_ms();
    size_t i;

    CHECK((c = catalog_load(ts, &err)) != NULL);
    if (c == NULL) {
        fprintf(stderr, "catalog_load: %d %s\n", err.status, err.msg);
        return;
    }
    printf("tshark %s: %zu entries in %lld ms\n", ts->version, catalog_size(c),
           (long long)(mono_now_ms() - t0));
    CHECK(catalog_size(c) > 100000);
    CHECK(has_class(c, "tcp.len", FIELD_CLASS_INT));
    CHECK(has_class(c, "tcp.analysis.ack_rtt", FIELD_CLASS_TIME));
    CHECK(has_class(c, "ip.src", FIELD_CLASS_TEXT));
    CHECK(has_class(c, "tcp.flags.syn", FIELD_CLASS_BOOL));
    CHECK(has_class(c, "frame.number", FIELD_CLASS_INT));
    CHECK(has_class(c, "frame.time_delta", FIELD_CLASS_TIME));
    CHECK(has_class(c, "frame.time", FIELD_CLASS_TEXT));
    CHECK(has_class(c, "icmp.resptime", FIELD_CLASS_FLOAT));
    CHECK(has_class(c, "http.request_in", FIELD_CLASS_INT));        /* FT_FRAMENUM */
    CHECK(has_class(c, "gopher.directory.type", FIELD_CLASS_TEXT)); /* FT_CHAR */
    CHECK(has_class(c, "tcp", FIELD_CLASS_TEXT));
    CHECK(catalog_find(c, "tcp.lenn") == NULL);

    CHECK(suggest_timed(c, "tcp.lenn", "tcp.len"));
    CHECK(suggest_timed(c, "tcp.ln", "tcp.len"));
    CHECK(suggest_timed(c, "ip.sorc", "ip.src"));
    CHECK(suggest_timed(c, "tpc.len", "tcp.len"));
    CHECK(suggest_timed(c, "ack_rtt", NULL));
    CHECK(suggest_timed(c, "a", NULL));
    CHECK(suggest_timed(c, "x.x", NULL));
    CHECK(suggest_timed(c, "nas-5gs.mm.5gs_reg_type_lenn", NULL));
    CHECK(catalog_complete(c, "tcp.analysis.ack_r", out, 4) == 1 &&
          strcmp(out[0]->name, "tcp.analysis.ack_rtt") == 0);

    snprintf(capture, sizeof(capture), "%s/dev/http.cap", capdir);
    for (i = 0; i < sizeof(printed) / sizeof(printed[0]); i++)
        check_printed(ts, c, capture, printed[i]);
    catalog_free(c);
}

/* a "tshark" that answers -G fields with something else: 500, nothing left */
static void test_fake(const char *tests_dir) {
    struct tshark fake;
    struct err err = ERR_INIT;
    char prog[4096];

    snprintf(prog, sizeof(prog), "%s/fake-tshark.sh", tests_dir);
    CHECK(tshark_init(&fake, prog, 1, &err) == 0);
    CHECK(catalog_load(&fake, &err) == NULL && err.status == 500);
    printf("fake tshark: %s\n", err.msg);
    tshark_release(&fake);
}

/* the summary, and 77 (skipped) for the real part unless something failed */
static int skipped(void) {
    int rc = CHECK_DONE();

    return rc != 0 ? rc : 77;
}

int main(void) {
    const char *capdir = getenv("CAPTURES_DIR");
    const char *tests_dir = getenv("TESTS_DIR");
    struct tshark ts;
    struct err err = ERR_INIT;
    int fds = count_fds();

    test_parse();
    test_suggest();
    test_complete();
    test_values();
    if (capdir == NULL || tests_dir == NULL || access(capdir, R_OK | X_OK) != 0) {
        fprintf(stderr,
                "CAPTURES_DIR or TESTS_DIR unset or missing: real tshark skipped\n");
        return skipped();
    }
    if (tshark_init(&ts, "tshark", 120, &err) == -1) {
        fprintf(stderr, "no tshark (%s): real tshark skipped\n", err.msg);
        return skipped();
    }
    /* as the server loads it: its user, in its sandbox */
    CHECK(tshark_run_as(&ts, NULL, &err) == 0);
    CHECK(tshark_sandbox(&ts, NULL, 8, 0, &err) == 0);
    test_real(&ts, capdir);
    test_fake(tests_dir);
    tshark_release(&ts);

    CHECK(count_fds() == fds);
    errno = 0;
    CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
    return CHECK_DONE();
}
