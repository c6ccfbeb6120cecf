/* test_view.c - parameters into struct view: values, errors, pairing, canonical query. */
#include <stdio.h>
#include <string.h>

#include "base/fmt.h"
#include "chart/names.h"
#include "chart/view.h"
#include "check.h"
#include "banned.h"

/*
 * Parse a query string "k=v&k=v" (no escapes) into v, then finish. 0, or -1
 * with err from the first failing step.
 */
static int parse(struct view *v, const char *q, struct err *err) {
    char key[64];
    const char *p = q, *amp, *eq;
    size_t klen;

    view_init(v, VIEW_HTML);
    while (*p != '\0') {
        amp = strchr(p, '&');
        if (amp == NULL)
            amp = p + strlen(p);
        eq = memchr(p, '=', (size_t)(amp - p));
        if (eq == NULL)
            eq = amp;
        klen = (size_t)(eq - p) < sizeof(key) - 1 ? (size_t)(eq - p) : sizeof(key) - 1;
        memcpy(key, p, klen);
        key[klen] = '\0';
        if (view_set(v, key, eq < amp ? eq + 1 : eq,
                     eq < amp ? (size_t)(amp - eq - 1) : 0, err) == -1)
            return -1;
        p = *amp == '&' ? amp + 1 : amp;
    }
    return view_finish(v, err);
}

/* The canonical query of q (a static buffer), or "<error: msg>". */
static const char *canon(const char *q) {
    static char out[4096];
    struct buf b = BUF_INIT(4096);
    struct err err = ERR_INIT;
    struct view v;

    if (parse(&v, q, &err) == -1) {
        snprintf(out, sizeof(out), "<error %d: %s>", err.status, err.msg);
        return out;
    }
    if (view_query(&v, &b) == -1)
        snprintf(out, sizeof(out), "<query failed>");
    else
        snprintf(out, sizeof(out), "%s", b.data != NULL ? b.data : "");
    buf_release(&b);
    return out;
}

/* q fails with 400 and a message holding word. */
static int fails(const char *q, const char *word) {
    struct err err = ERR_INIT;
    struct view v;

    if (parse(&v, q, &err) != -1 || err.status != 400)
        return 0;
    if (strstr(err.msg, word) == NULL) {
        fprintf(stderr, "  '%s': message '%s' lacks '%s'\n", q, err.msg, word);
        return 0;
    }
    return 1;
}

static void test_defaults(void) {
    struct err err = ERR_INIT;
    struct view v;

    CHECK(parse(&v, "", &err) == 0);
    CHECK(v.kind == CHART_SIZE && v.format == VIEW_HTML && !v.has_format);
    CHECK(v.nseries == 0 && v.retain == 1 && v.interval_ns == 0 && v.io_y == IO_PACKETS);
    CHECK(strcmp(canon(""), "") == 0);
    /* unknown keys and blank single values are ignored */
    CHECK(strcmp(canon("foo=bar&width=&kind=&file=x.pcap"), "") == 0);
}

static void test_values(void) {
    struct err err = ERR_INIT;
    struct view v;

    CHECK(parse(&v,
                "kind=io&format=json&interval=0.001&y=bits/s&sma=10&log=1&start=-1.5&"
                "end=30&width=1000&height=300&max_points=50&retain=0&filename=a b.pcap",
                &err) == 0);
    CHECK(v.kind == CHART_IO && v.format == VIEW_JSON && v.has_format);
    CHECK(v.interval_ns == 1000000 && v.io_y == IO_BITS_PS && v.sma == 10 && v.log_y);
    CHECK(v.has_start && v.start_ns == -1500000000LL);
    CHECK(v.has_end && v.end_ns == 30000000000LL);
    CHECK(v.width == 1000 && v.height == 300 && v.max_points == 50 && v.retain == 0);
    CHECK(strcmp(v.filename, "a b.pcap") == 0);

    /* interval spellings, down to 1 us */
    CHECK(parse(&v, "interval=1us", &err) == 0 && v.interval_ns == 1000);
    CHECK(parse(&v, "interval=1\xC2\xB5s", &err) == 0 && v.interval_ns == 1000);
    CHECK(parse(&v, "interval=0.000001", &err) == 0 && v.interval_ns == 1000);
    CHECK(parse(&v, "interval=2.5ms", &err) == 0 && v.interval_ns == 2500000);
    CHECK(parse(&v, "interval=10s", &err) == 0 && v.interval_ns == 10000000000LL);
    CHECK(parse(&v, "interval=60", &err) == 0 && v.interval_ns == 60000000000LL);
    CHECK(parse(&v, "interval=auto", &err) == 0 && v.interval_ns == 0);
    CHECK(parse(&v, "kind=hist", &err) == 0 && v.kind == CHART_HIST);
    CHECK(parse(&v, "y=avg&y=min", &err) == 0 && v.io_y == IO_MIN); /* last wins */
    CHECK(parse(&v, "start=0.000000001", &err) == 0 && v.start_ns == 1);
    CHECK(parse(&v, "start=1418145370.1", &err) == 0 &&
          v.start_ns == 1418145370100000000LL);
}

static void test_errors(void) {
    CHECK(fails("kind=pie", "kind"));
    CHECK(fails("format=xml", "format"));
    CHECK(fails("format=JSON", "format"));
    CHECK(fails("interval=0.0000001", "interval")); /* 100 ns */
    CHECK(fails("interval=0.5us", "interval"));
    CHECK(fails("interval=0", "interval"));
    CHECK(fails("interval=-1", "interval"));
    CHECK(fails("interval=1e-3", "interval"));
    CHECK(fails("interval=86401", "interval"));
    CHECK(fails("interval=0.0000000001", "interval")); /* finer than 1 ns */
    CHECK(fails("interval=1min", "interval"));
    CHECK(fails("y=frames", "y must be"));
    CHECK(fails("sma=1001", "sma"));
    CHECK(fails("sma=-1", "sma"));
    CHECK(fails("log=yes", "log"));
    CHECK(fails("retain=2", "retain"));
    CHECK(fails("start=abc", "start"));
    CHECK(fails("end=1.0000000001", "end"));
    CHECK(fails("start=99999999999", "start"));
    CHECK(fails("start=5&end=5", "start must be before end"));
    CHECK(fails("start=6&end=5", "start must be before end"));
    CHECK(fails("width=abc", "width"));
    CHECK(fails("width=99999999999999999999", "width"));
    CHECK(fails("height=12px", "height"));
    CHECK(fails("max_points=-1", "max_points"));
    CHECK(fails("color=red", "color of series 1"));
    CHECK(fails("filter=tcp&filter=udp&color=fff&color=blue", "color of series 2"));
    CHECK(fails("filename=../x", "filename"));
}

static void test_series(void) {
    struct err err = ERR_INIT;
    struct view v;
    char q[8192];
    size_t i;

    /* pairing in order; blank rows (no filter, no name) are skipped */
    CHECK(parse(&v, "filter=tcp&name=TCP&color=ABC&filter=&name=&color=000000&filter=udp",
                &err) == 0);
    CHECK(v.nseries == 2);
    CHECK(strcmp(v.series[0].filter, "tcp") == 0 && strcmp(v.series[0].name, "TCP") == 0);
    CHECK(strcmp(v.series[0].color, "#aabbcc") == 0);
    CHECK(strcmp(v.series[1].filter, "udp") == 0 && v.series[1].name[0] == '\0');
    CHECK(v.series[1].color[0] == '\0');

    /* a name without filter names the one series of every packet */
    CHECK(parse(&v, "name=Everything", &err) == 0 && v.nseries == 1);
    CHECK(v.series[0].filter[0] == '\0' && strcmp(v.series[0].name, "Everything") == 0);
    /* an empty filter alone is the default */
    CHECK(parse(&v, "filter=", &err) == 0 && v.nseries == 0);

    CHECK(fails("filter=tcp&name=a&name=b", "name"));
    CHECK(fails("name=a&name=b", "'name'"));
    CHECK(fails("color=fff&color=000", "'color'"));
    /* at most MAX_SERIES */
    q[0] = '\0';
    for (i = 0; i <= MAX_SERIES; i++)
        snprintf(q + strlen(q), sizeof(q) - strlen(q), "%sfilter=ip", i ? "&" : "");
    CHECK(fails(q, "at most 8 series"));
    /* filters and names: no control characters, bounded */
    CHECK(fails("filter=tcp&filter=a\nb", "filter of series 2"));
    CHECK(fails(
        "name=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "name of series 1"));
    {
        struct view w;
        char big[MAX_FIELD_BYTES + 2];

        view_init(&w, VIEW_SVG);
        memset(big, 'a', sizeof(big));
        CHECK(view_set(&w, "filter", big, MAX_FIELD_BYTES, &err) == -1);
        CHECK(err.status == 400 && strstr(err.msg, "series 1") != NULL);
        CHECK(view_set(&w, "filter", big, MAX_FIELD_BYTES + 1, &err) == -1);
        CHECK(view_set(&w, "filter", "a\0b", 3, &err) == -1); /* an embedded NUL */
        CHECK(view_set(&w, "kind", "io\0", 3, &err) == -1);
    }

    /* the form replaces the query's series as a whole */
    view_init(&v, VIEW_HTML);
    CHECK(view_set(&v, "filter", "tcp", 3, &err) == 0);
    view_clear_series(&v);
    CHECK(view_set(&v, "filter", "udp", 3, &err) == 0);
    CHECK(view_finish(&v, &err) == 0 && v.nseries == 1);
    CHECK(strcmp(v.series[0].filter, "udp") == 0);
}

static void test_query(void) {
    /* canonical: fixed order, defaults left out, percent-encoded */
    CHECK(strcmp(canon("width=900&kind=io&y=bytes/s&interval=0.010&log=0&sma=0"),
                 "kind=io&interval=0.01&y=bytes/s&width=900") == 0);
    {
        static const char f[] = "tcp.port == 80 && ip.len > 100";
        struct buf b = BUF_INIT(4096);
        struct err err = ERR_INIT;
        struct view v;

        view_init(&v, VIEW_HTML);
        CHECK(view_set(&v, "filter", f, strlen(f), &err) == 0);
        CHECK(view_set(&v, "filter", "udp", 3, &err) == 0);
        CHECK(view_finish(&v, &err) == 0 && view_query(&v, &b) == 0);
        CHECK(b.data != NULL &&
              strcmp(b.data,
                     "filter=tcp.port%20%3D%3D%2080%20%26%26%20ip.len%20%3E%20100&"
                     "filter=udp") == 0);
        buf_release(&b);
    }
    CHECK(strcmp(canon("filter=a+b#c?d;e"), "filter=a%2Bb%23c%3Fd%3Be") == 0);
    CHECK(strcmp(canon("filter=tcp&filter=udp&name=&name=U"),
                 "filter=tcp&name=&filter=udp&name=U") == 0);
    CHECK(strcmp(canon("filter=tcp&color=F00&filter=udp"),
                 "filter=tcp&color=%23ff0000&filter=udp&color=") == 0);
    CHECK(strcmp(canon("start=-0.5&end=2.000000001&retain=0&format=csv"),
                 "start=-0.5&end=2.000000001") == 0);
    CHECK(strcmp(canon("interval=1us&max_points=7&height=200&filename=x y.pcap"),
                 "interval=0.000001&height=200&max_points=7&filename=x%20y.pcap") == 0);
    CHECK(strcmp(canon("name=All"), "filter=&name=All") == 0);
    /* the canonical query parses back to itself */
    CHECK(strcmp(canon("filter=tcp&name=&filter=udp&name=U"),
                 "filter=tcp&name=&filter=udp&name=U") == 0);
}

/* field=: paired like name, y defaults and refusals, the canonical query */
static void test_fields(void) {
    struct err err = ERR_INIT;
    struct view v;

    /* a field alone makes the one series of every packet chart it */
    CHECK(parse(&v, "field=tcp.len", &err) == 0 && v.nseries == 1);
    CHECK(strcmp(v.series[0].field, "tcp.len") == 0 && v.series[0].filter[0] == '\0');
    CHECK(parse(&v, "filter=tcp&field=tcp.len&filter=udp&field=udp.length", &err) == 0);
    CHECK(v.nseries == 2 && strcmp(v.series[1].field, "udp.length") == 0);
    /* frame.len is the default: the same view as none */
    CHECK(parse(&v, "field=frame.len", &err) == 0 && v.nseries == 0);
    CHECK(strcmp(canon("filter=tcp&field=frame.len"), "filter=tcp") == 0);
    CHECK(fails("field=tcp.len&field=ip.ttl", "'field'"));
    CHECK(fails("field=tcp.len%20", "not a field name"));
    CHECK(fails("field=tcp.len;x", "field of series 1"));
    /* io of a field: sum unless y is given; frame counts refused */
    CHECK(parse(&v, "kind=io&field=tcp.len", &err) == 0 && v.io_y == IO_SUM);
    CHECK(parse(&v, "kind=io&field=tcp.len&y=count", &err) == 0 && v.io_y == IO_COUNT);
    CHECK(parse(&v, "kind=io&field=tcp.len&y=sum/s", &err) == 0 && v.io_y == IO_SUM_PS);
    CHECK(fails("kind=io&field=tcp.len&y=bytes", "counts frames"));
    CHECK(parse(&v, "kind=hist&field=tcp.len", &err) == 0);
    CHECK(parse(&v, "kind=hist&filter=tcp&field=tcp.len&filter=udp&field=tcp.len",
                &err) == 0);
    CHECK(fails("kind=hist&filter=tcp&field=tcp.len&filter=udp", "the same field"));
    /* without a field, count and sum/s read frame.len */
    CHECK(parse(&v, "kind=io&y=count", &err) == 0 && v.io_y == IO_COUNT);
    /* canonical: field after its series' color, y=sum left out for a field */
    CHECK(strcmp(canon("kind=io&field=tcp.len&y=sum"), "kind=io&filter=&field=tcp.len") ==
          0);
    CHECK(strcmp(canon("kind=io&filter=tcp&field=tcp.len&filter=udp&y=max"),
                 "kind=io&filter=tcp&field=tcp.len&filter=udp&field=&y=max") == 0);
    CHECK(strcmp(canon("kind=io&y=sum"), "kind=io&y=sum") == 0);
    CHECK(strcmp(canon("kind=io&filter=&field=tcp.len"),
                 "kind=io&filter=&field=tcp.len") == 0);
}

/* split=, top=: bounds, one filter at most, the canonical query */
static void test_split(void) {
    struct err err = ERR_INIT;
    struct view v;

    CHECK(parse(&v, "split=ip.src", &err) == 0 && v.top == SPLIT_DEFAULT_TOP);
    CHECK(parse(&v, "split=ip.src&top=8&filter=tcp", &err) == 0 && v.top == 8);
    CHECK(fails("split=ip.src&top=0", "top must be"));
    CHECK(fails("split=ip.src&top=9", "top must be"));
    CHECK(fails("split=ip.src&filter=tcp&filter=udp", "at most one filter"));
    CHECK(fails("split=ip.src;x", "split must be a field name"));
    /* top alone means nothing */
    CHECK(parse(&v, "top=3", &err) == 0 && v.top == 0);
    CHECK(strcmp(canon("top=3"), "") == 0);
    CHECK(strcmp(canon("split=ip.src&top=5"), "split=ip.src") == 0);
    CHECK(strcmp(canon("kind=io&top=2&split=ip.src&filter=tcp"),
                 "kind=io&filter=tcp&split=ip.src&top=2") == 0);
}

static void test_apply(void) {
    struct err err = ERR_INIT;
    struct chart c;
    struct view v;
    char longf[200];

    CHECK(parse(&v, "kind=io&interval=0.5&y=max&sma=20&log=1&start=1&end=2&width=640",
                &err) == 0);
    view_apply(&v, &c);
    CHECK(c.kind == CHART_IO && c.interval_ns == 500000000 && c.io_y == IO_MAX);
    CHECK(c.sma == 20 && c.log_y == 1 && c.width_px == 640);
    CHECK(c.has_start && c.start_ns == 1000000000 && c.has_end && c.end_ns == 2000000000);
    CHECK(c.nseries == 1 && c.series[0].filter[0] == '\0'); /* the chart's default */
    chart_release(&c);

    memset(longf, 'x', sizeof(longf) - 1);
    longf[sizeof(longf) - 1] = '\0';
    view_init(&v, VIEW_SVG);
    CHECK(view_set(&v, "filter", "tcp", 3, &err) == 0);
    CHECK(view_set(&v, "filter", longf, strlen(longf), &err) == 0);
    CHECK(view_set(&v, "filter", "", 0, &err) == 0);
    CHECK(view_set(&v, "name", "", 0, &err) == 0);
    CHECK(view_set(&v, "name", "", 0, &err) == 0);
    CHECK(view_set(&v, "name", "Every", 5, &err) == 0);
    CHECK(view_set(&v, "color", "123456", 6, &err) == 0);
    CHECK(view_finish(&v, &err) == 0 && v.nseries == 3);
    view_apply(&v, &c);
    CHECK(c.nseries == 3);
    CHECK(strcmp(c.series[0].name, "tcp") == 0 && strcmp(c.series[0].filter, "tcp") == 0);
    CHECK(strcmp(c.series[0].color, "#123456") == 0);
    CHECK(strlen(c.series[1].name) < sizeof(c.series[1].name));
    CHECK(strstr(c.series[1].name, "\xE2\x80\xA6") != NULL); /* cut with an ellipsis */
    CHECK(strcmp(c.series[1].filter, longf) == 0);
    CHECK(strcmp(c.series[2].name, "Every") == 0 && c.series[2].filter[0] == '\0');
    CHECK(c.series[2].color[0] == '#'); /* the palette's */
    chart_release(&c);
}

static void test_names(void) {
    char s[40];

    CHECK(strcmp(view_format_name(VIEW_CSV), "csv") == 0);
    {
        enum view_format f = VIEW_HTML;

        CHECK(view_format_parse("json", &f) == 0 && f == VIEW_JSON);
        CHECK(view_format_parse("csv", &f) == 0 && f == VIEW_CSV);
        CHECK(view_format_parse("html", &f) == 0 && f == VIEW_HTML);
        CHECK(view_format_parse("svg", &f) == 0 && f == VIEW_SVG);
        CHECK(view_format_parse("SVG", &f) == -1 && view_format_parse("", &f) == -1);
    }
    CHECK(strcmp(chart_kind_name(CHART_HIST), "hist") == 0);
    CHECK(strcmp(chart_io_y_name(IO_PACKETS_PS), "packets/s") == 0);
    CHECK(strcmp(fmt_seconds(s, sizeof(s), 0, 0, 9), "0") == 0);
    CHECK(strcmp(fmt_seconds(s, sizeof(s), -1, 0, 9), "-0.000000001") == 0);
    CHECK(strcmp(fmt_seconds(s, sizeof(s), 1500000000, 0, 9), "1.5") == 0);
    CHECK(strcmp(fmt_seconds(s, sizeof(s), INT64_MIN, 0, 9), "-9223372036.854775808") ==
          0);
    CHECK(view_known_key("filter") && view_known_key("retain") &&
          !view_known_key("file"));
}

/*
 * The chart budget of one request, over all its series, before any work:
 * points (max_points x series), the CSV their names make, io intervals of a
 * zoom on both ends. Each refusal names the parameter and what to use.
 */
static void test_budget(void) {
    char q[8192], name[64];
    size_t i;

    /* one series may keep MAX_POINTS_LIMIT; eight may share MAX_CHART_POINTS */
    CHECK(strcmp(canon("max_points=1000000"), "max_points=1000000") == 0);
    CHECK(MAX_CHART_POINTS == 1000000); /* the figures below */
    CHECK(strcmp(canon("max_points=500000&filter=tcp&filter=udp"),
                 "filter=tcp&filter=udp&max_points=500000") == 0);
    CHECK(fails("max_points=500001&filter=tcp&filter=udp",
                "max_points=500001 with 2 series is 1,000,002 points to keep: at most "
                "1,000,000 over all series; use max_points <= 500000"));
    snprintf(q, sizeof(q), "max_points=1000000");
    for (i = 0; i < MAX_SERIES; i++)
        snprintf(q + strlen(q), sizeof(q) - strlen(q), "&filter=f%zu", i);
    CHECK(fails(q, "use max_points <= 125000"));
    /* the default max_points counts too: 8 x 10000 fits */
    CHECK(strstr(canon(q + strlen("max_points=1000000&")), "<error") == NULL);
    /* other kinds keep no points: max_points is not theirs to refuse */
    snprintf(q + strlen(q), sizeof(q) - strlen(q), "&kind=hist");
    CHECK(strstr(canon(q), "<error") == NULL);

    /* CSV repeats each series' name: long escaped names leave fewer points */
    CHECK(strstr(canon("format=csv&max_points=125000&filter=a&filter=b&filter=c&filter=d&"
                       "filter=e&filter=f&filter=g&filter=h"),
                 "<error") == NULL);
    memset(name, '"', sizeof(name) - 1); /* each doubled by the CSV escape */
    name[sizeof(name) - 1] = '\0';
    snprintf(q, sizeof(q), "format=csv&max_points=125000");
    for (i = 0; i < MAX_SERIES; i++)
        snprintf(q + strlen(q), sizeof(q) - strlen(q), "&filter=f&name=%s", name);
    CHECK(fails(q, "series names makes a CSV of up to"));
    CHECK(fails(q, "use max_points <= "));
    /* the same as JSON holds: names are not repeated per point there */
    snprintf(q, sizeof(q), "format=json&max_points=125000");
    for (i = 0; i < MAX_SERIES; i++)
        snprintf(q + strlen(q), sizeof(q) - strlen(q), "&filter=f&name=%s", name);
    CHECK(strstr(canon(q), "<error") == NULL);

    /* io: a zoom on both ends gives the span before any packet */
    CHECK(strstr(canon("kind=io&interval=1us&start=0&end=0.4"), "<error") == NULL);
    CHECK(fails("kind=io&interval=1us&start=0&end=0.5",
                "interval 0.000001 s is too small from start to end: more than 500,000 "
                "intervals; use interval >= 0.000002 s"));
    snprintf(q, sizeof(q), "kind=io&interval=1ms&start=0&end=200");
    for (i = 0; i < MAX_SERIES; i++)
        snprintf(q + strlen(q), sizeof(q) - strlen(q), "&filter=f%zu", i);
    CHECK(fails(q, "more than 125,000 intervals for each of its 8 series; use interval "
                   ">= 0.002 s"));
    /* one end only: the span is known while charting (chart_add), not here */
    CHECK(strstr(canon("kind=io&interval=1us&end=100"), "<error") == NULL);
}

int main(void) {
    test_defaults();
    test_values();
    test_errors();
    test_series();
    test_query();
    test_fields();
    test_split();
    test_apply();
    test_names();
    test_budget();
    return CHECK_DONE();
}
