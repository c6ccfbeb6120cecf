/* view.c - see view.h */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/escape.h"
#include "base/fmt.h"
#include "chart/names.h"
#include "chart/view.h"
#include "banned.h"

#define NS_PER_S 1000000000LL

static const char *const FORMATS[] = {
    [VIEW_HTML] = "html", [VIEW_SVG] = "svg", [VIEW_JSON] = "json", [VIEW_CSV] = "csv"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The parameters; the order is the canonical query's. */
enum key {
    K_KIND = 0,
    K_FILTER,
    K_NAME,
    K_COLOR,
    K_FIELD,
    K_INTERVAL,
    K_Y,
    K_SMA,
    K_LOG,
    K_START,
    K_END,
    K_WIDTH,
    K_HEIGHT,
    K_MAX_POINTS,
    K_SPLIT,
    K_TOP,
    K_FILENAME,
    K_FORMAT,
    K_RETAIN,
    K_COUNT
};

static const char *const KEYS[K_COUNT] = {
    "kind",  "filter", "name",     "color",  "field", "interval", "y",
    "sma",   "log",    "start",    "end",    "width", "height",   "max_points",
    "split", "top",    "filename", "format", "retain"};

static int key_of(const char *key) {
    size_t i;

    for (i = 0; i < K_COUNT; i++)
        if (strcmp(key, KEYS[i]) == 0)
            return (int)i;
    return -1;
}

int view_known_key(const char *key) {
    return key != NULL && key_of(key) != -1;
}

void view_init(struct view *v, enum view_format def) {
    memset(v, 0, sizeof(*v));
    v->kind = CHART_SIZE;
    v->format = def;
    v->io_y = IO_PACKETS;
    v->retain = 1;
}

void view_clear_series(struct view *v) {
    memset(v->series, 0, sizeof(v->series));
    v->nseries = 0;
    v->nfilters = v->nnames = v->ncolors = v->nfields = 0;
    v->any_name = v->any_color = v->any_field = 0;
}

/* ---- value parsers: each takes val/len and returns 0 or -1 ---- */

/* One of names (n of them, NULL entries skipped) equal to val. */
static int parse_enum(const char *val, size_t len, const char *const *names, size_t n,
                      int *out) {
    size_t i;

    for (i = 0; i < n; i++) {
        if (names[i] != NULL && strlen(names[i]) == len &&
            memcmp(names[i], val, len) == 0) {
            *out = (int)i;
            return 0;
        }
    }
    return -1;
}

/* A decimal whole number of at most 9 digits in [lo, hi]. */
static int parse_uint(const char *s, size_t len, unsigned long lo, unsigned long hi,
                      unsigned long *out) {
    unsigned long v = 0;
    size_t i;

    if (len == 0 || len > 9)
        return -1;
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/*
 * A decimal "[-]I[.F]" times unit_ns (1, 1e3, 1e6 or 1e9) into ns, exact:
 * F has at most as many digits as unit_ns has zeros, and |result| <= max_ns.
 */
static int parse_scaled(const char *s, size_t len, int allow_sign, int64_t unit_ns,
                        int64_t max_ns, int64_t *out) {
    int64_t ip = 0, fp = 0, scale = unit_ns, v;
    size_t i = 0, idigits = 0, fdigits = 0;
    int neg = 0;

    if (i < len && (s[i] == '-' || s[i] == '+')) {
        if (!allow_sign)
            return -1;
        neg = s[i] == '-';
        i++;
    }
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, idigits++) {
        if (idigits >= 18)
            return -1;
        ip = ip * 10 + (s[i] - '0');
    }
    if (i < len && s[i] == '.') {
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, fdigits++) {
            if (scale % 10 != 0)
                return -1; /* finer than 1 ns */
            scale /= 10;
            fp = fp * 10 + (s[i] - '0');
        }
    }
    if (i != len || idigits + fdigits == 0)
        return -1;
    if (ip > max_ns / unit_ns)
        return -1;
    v = ip * unit_ns + fp * scale;
    if (v > max_ns)
        return -1;
    *out = neg ? -v : v;
    return 0;
}

/* "auto" or "" -> 0; else seconds with an optional unit s, ms, us or µs. */
static int parse_interval(const char *s, size_t len, int64_t *out) {
    static const struct {
        const char *suffix;
        int64_t unit;
    } units[] = {
        {"ms", 1000000LL}, {"us", 1000LL}, {"\xC2\xB5s", 1000LL}, {"s", NS_PER_S}};
    int64_t unit = NS_PER_S, v;
    size_t i, n;

    if (len == 4 && memcmp(s, "auto", 4) == 0) {
        *out = 0;
        return 0;
    }
    for (i = 0; i < COUNT(units); i++) {
        n = strlen(units[i].suffix);
        if (len > n && memcmp(s + len - n, units[i].suffix, n) == 0) {
            unit = units[i].unit;
            len -= n;
            break;
        }
    }
    if (parse_scaled(s, len, 0, unit, MAX_INTERVAL_NS, &v) == -1)
        return -1;
    if (v < IO_MIN_INTERVAL_NS)
        return -1;
    *out = v;
    return 0;
}

/* "#rrggbb", "rrggbb", "#rgb" or "rgb" (either case) -> "#rrggbb" in lower case. */
static int parse_color(const char *s, size_t len, char out[8]) {
    static const char digits[] = "0123456789abcdef";
    char hex[6];
    size_t i;
    int c;

    if (len > 0 && s[0] == '#') {
        s++;
        len--;
    }
    if (len != 3 && len != 6)
        return -1;
    for (i = 0; i < 6; i++) {
        c = (unsigned char)s[len == 3 ? i / 2 : i];
        if (c >= 'A' && c <= 'F')
            c = c - 'A' + 'a';
        if (strchr(digits, c) == NULL || c == '\0')
            return -1;
        hex[i] = (char)c;
    }
    out[0] = '#';
    memcpy(out + 1, hex, 6);
    out[7] = '\0';
    return 0;
}

/*
 * Text fit for a label or a filter: no NUL and no control character but
 * tab. 0 or -1.
 */
static int check_text(const char *s, size_t len) {
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return -1;
    }
    return 0;
}

/* Copy len bytes of s into dst, NUL-terminated; the caller checked len < sizeof. */
static void copy_text(char *dst, const char *s, size_t len) {
    memcpy(dst, s, len);
    dst[len] = '\0';
}

/* "a, b or c" of the n names name(i) into dst (n bytes). */
static char *join_names(char *dst, size_t size, size_t n, const char *(*name)(size_t)) {
    size_t i, len = 0;

    dst[0] = '\0';
    for (i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(dst + len, size - len, "%s%s",
                                i == 0       ? ""
                                : i + 1 == n ? " or "
                                             : ", ",
                                name(i));
    return dst;
}

static const char *kind_at(size_t i) {
    return CHART_KINDS[i].name;
}

static const char *y_at(size_t i) {
    return IO_YS[i].name;
}

/* "size, io or hist", "packets, bytes, ... or avg": the error messages' lists. */
static char *kind_names(char *dst, size_t n) {
    return join_names(dst, n, CHART_NKINDS, kind_at);
}

static char *y_names(char *dst, size_t n) {
    return join_names(dst, n, IO_NY, y_at);
}

/* The next slot of a repeated series parameter, or -1 with err past MAX_SERIES. */
static int series_slot(size_t *count, const char *key, struct err *err) {
    if (*count >= MAX_SERIES)
        return err_set(err, 400, "too many '%s' parameters: at most %d series", key,
                       MAX_SERIES);
    return (int)(*count)++;
}

/* A tshark field name: letters, digits, '.', '_', '-' (what -G fields lists). */
static int check_field_name(const char *s, size_t len) {
    size_t i;

    for (i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
            return -1;
    return 0;
}

/*
 * filter=, name=, color=, field=: the next series' (k is K_FILTER, K_NAME,
 * K_COLOR or K_FIELD).
 */
static int set_series(struct view *v, int k, const char *key, const char *val, size_t len,
                      struct err *err) {
    size_t *count = k == K_FILTER  ? &v->nfilters
                    : k == K_NAME  ? &v->nnames
                    : k == K_COLOR ? &v->ncolors
                                   : &v->nfields;
    struct view_series *s;
    int slot;

    if ((slot = series_slot(count, key, err)) == -1)
        return -1;
    s = &v->series[slot];
    if (k == K_FIELD) {
        if (len >= sizeof(s->field))
            return err_set(err, 400, "field of series %d longer than %zu bytes", slot + 1,
                           sizeof(s->field) - 1);
        if (check_field_name(val, len) == -1)
            return err_set(err, 400,
                           "field of series %d is not a field name (letters, digits, "
                           "'.', '_' and '-', as in tcp.len)",
                           slot + 1);
        copy_text(s->field, val, len);
        /* frame.len is the default: the same chart, the same canonical query */
        if (strcmp(s->field, "frame.len") == 0)
            s->field[0] = '\0';
        return 0;
    }
    if (k == K_COLOR) {
        if (len == 0) {
            s->color[0] = '\0';
            return 0;
        }
        if (parse_color(val, len, s->color) == -1)
            return err_set(err, 400, "color of series %d must be #rrggbb", slot + 1);
        v->any_color = 1;
        return 0;
    }
    if (len >= (k == K_FILTER ? sizeof(s->filter) : sizeof(s->name)))
        return err_set(err, 400, "%s of series %d longer than %zu bytes", key, slot + 1,
                       (k == K_FILTER ? sizeof(s->filter) : sizeof(s->name)) - 1);
    if (check_text(val, len) == -1)
        return err_set(err, 400, "%s of series %d holds a control character", key,
                       slot + 1);
    copy_text(k == K_FILTER ? s->filter : s->name, val, len);
    if (k == K_NAME)
        v->any_name |= len > 0;
    return 0;
}

/* sma=, width=, height=, max_points=: whole numbers within their bounds. */
static int set_number(struct view *v, int k, const char *val, size_t len,
                      struct err *err) {
    unsigned long num;

    switch (k) {
    case K_SMA:
        if (parse_uint(val, len, 0, MAX_SMA, &num) == -1)
            return err_set(err, 400,
                           "sma must be a whole number of intervals from 0 to %d",
                           MAX_SMA);
        v->sma = (unsigned)num;
        return 0;
    case K_WIDTH:
        if (parse_uint(val, len, MIN_WIDTH_PX, MAX_WIDTH_PX, &num) == -1)
            return err_set(err, 400, "width must be a whole number from %d to %d",
                           MIN_WIDTH_PX, MAX_WIDTH_PX);
        v->width = (int)num;
        return 0;
    case K_HEIGHT:
        if (parse_uint(val, len, MIN_HEIGHT_PX, MAX_HEIGHT_PX, &num) == -1)
            return err_set(err, 400, "height must be a whole number from %d to %d",
                           MIN_HEIGHT_PX, MAX_HEIGHT_PX);
        v->height = (int)num;
        return 0;
    case K_MAX_POINTS:
    default:
        if (parse_uint(val, len, 0, MAX_POINTS_LIMIT, &num) == -1)
            return err_set(err, 400, "max_points must be a whole number from 0 to %d",
                           MAX_POINTS_LIMIT);
        v->max_points = (size_t)num;
        return 0;
    }
}

/* interval=, start=, end=: times. */
static int set_time(struct view *v, int k, const char *key, const char *val, size_t len,
                    struct err *err) {
    int64_t ns;

    if (k == K_INTERVAL) {
        if (parse_interval(val, len, &ns) == -1)
            return err_set(err, 400,
                           "interval must be auto or seconds from 0.000001 (1 us) to "
                           "%lld, as in 0.01, 10ms or 100us",
                           MAX_INTERVAL_NS / NS_PER_S);
        v->interval_ns = ns;
        return 0;
    }
    if (parse_scaled(val, len, 1, NS_PER_S, MAX_VIEW_TIME_S * NS_PER_S, &ns) == -1)
        return err_set(err, 400,
                       "%s must be a time in seconds (at most 9 decimals), as in 1.25",
                       key);
    if (k == K_START) {
        v->start_ns = ns;
        v->has_start = 1;
    } else {
        v->end_ns = ns;
        v->has_end = 1;
    }
    return 0;
}

int view_set(struct view *v, const char *key, const char *val, size_t len,
             struct err *err) {
    char names[160];
    unsigned long num;
    int k = key_of(key), e;

    if (k == -1)
        return 0;
    if (len > MAX_FIELD_BYTES)
        return err_set(err, 400, "parameter '%s' longer than %d bytes", key,
                       MAX_FIELD_BYTES);
    /* an empty single-valued parameter is not given (a blank form field) */
    if (len == 0 && k != K_FILTER && k != K_NAME && k != K_COLOR && k != K_FIELD)
        return 0;

    switch (k) {
    case K_KIND:
        if (chart_kind_parse(val, len, &v->kind) == -1)
            return err_set(err, 400, "kind must be %s", kind_names(names, sizeof(names)));
        return 0;
    case K_FORMAT:
        if (parse_enum(val, len, FORMATS, COUNT(FORMATS), &e) == -1)
            return err_set(err, 400, "format must be html, svg, json or csv");
        v->format = (enum view_format)e;
        v->has_format = 1;
        return 0;
    case K_FILTER:
    case K_NAME:
    case K_COLOR:
    case K_FIELD:
        return set_series(v, k, key, val, len, err);
    case K_INTERVAL:
    case K_START:
    case K_END:
        return set_time(v, k, key, val, len, err);
    case K_Y:
        if (chart_io_y_parse(val, len, &v->io_y) == -1)
            return err_set(err, 400, "y must be %s", y_names(names, sizeof(names)));
        v->has_y = 1;
        return 0;
    case K_SMA:
    case K_WIDTH:
    case K_HEIGHT:
    case K_MAX_POINTS:
        return set_number(v, k, val, len, err);
    case K_SPLIT:
        if (len >= sizeof(v->split) || check_field_name(val, len) == -1)
            return err_set(err, 400,
                           "split must be a field name (letters, digits, '.', '_' and "
                           "'-', as in ip.src), at most %zu bytes",
                           sizeof(v->split) - 1);
        copy_text(v->split, val, len);
        return 0;
    case K_TOP:
        if (parse_uint(val, len, 1, SPLIT_MAX_TOP, &num) == -1)
            return err_set(err, 400, "top must be a whole number from 1 to %d",
                           SPLIT_MAX_TOP);
        v->top = (unsigned)num;
        return 0;
    case K_LOG:
    case K_RETAIN:
        if (len != 1 || (val[0] != '0' && val[0] != '1'))
            return err_set(err, 400, "%s must be 0 or 1", key);
        if (k == K_LOG)
            v->log_y = val[0] == '1';
        else
            v->retain = val[0] == '1';
        return 0;
    case K_FILENAME:
        if (len >= sizeof(v->filename))
            return err_set(err, 400, "filename longer than %zu bytes",
                           sizeof(v->filename) - 1);
        if (check_text(val, len) == -1 || memchr(val, '/', len) != NULL)
            return err_set(err, 400, "filename holds a control character or '/'");
        copy_text(v->filename, val, len);
        return 0;
    default:
        return 0;
    }
}

static void fit_name(char *dst, size_t n, const char *s);

/* Every point's bytes must fit in half an export: heads, columns, warnings after. */
_Static_assert((uint64_t)MAX_CHART_POINTS *EXPORT_POINT_MAX_BYTES <=
                   (uint64_t)MAX_EXPORT_BYTES / 2,
               "MAX_CHART_POINTS exact points must fit in a JSON export");

/* floor(t / w), w > 0 */
static int64_t floor_div(int64_t t, int64_t w) {
    int64_t q = t / w;

    return (t % w != 0 && t < 0) ? q - 1 : q;
}

/* The bytes of series i's name in a CSV row (escaped, and its comma). */
static uint64_t csv_name_bytes(const struct view *v, size_t i) {
    const struct view_series *vs = &v->series[i];
    struct buf b = BUF_INIT(1024);
    char name[64];
    uint64_t n;

    /* the name view_apply gives the series */
    fit_name(name, sizeof(name),
             vs->name[0] != '\0'     ? vs->name
             : vs->filter[0] != '\0' ? vs->filter
                                     : "All packets");
    n = esc_csv(&b, name) == 0 ? b.len + 1 : 1024;
    buf_release(&b);
    return n;
}

/*
 * The chart of one request is bounded before any work: its exact points
 * over all series (memory, MAX_CHART_POINTS), what they make in a CSV that
 * repeats each series' name (half of MAX_EXPORT_BYTES), and for io with a
 * zoom on both ends its intervals over all series (MAX_IO_CELLS). The
 * time span of io bins without both ends is only known while charting:
 * chart_add refuses it there, at the first packet past it. 0, or -1 with
 * err (400 naming the parameter to change).
 */
static int check_budget(const struct view *v, struct err *err) {
    /* a split makes top series and "other" */
    uint64_t ns = v->split[0] != '\0' ? (uint64_t)v->top + 1
                  : v->nseries > 0    ? v->nseries
                                      : 1;
    uint64_t mp = v->max_points > 0 ? v->max_points : DEFAULT_MAX_POINTS;
    char a[32], b[32];
    size_t i;

    if (v->kind == CHART_SIZE && mp * ns > MAX_CHART_POINTS)
        return err_set(err, 400,
                       "max_points=%" PRIu64 " with %" PRIu64
                       " series is %s points to keep: at most %s over all series; use "
                       "max_points <= %" PRIu64,
                       mp, ns, fmt_thousands(a, sizeof(a), mp * ns),
                       fmt_thousands(b, sizeof(b), MAX_CHART_POINTS),
                       (uint64_t)MAX_CHART_POINTS / ns);
    if (v->kind == CHART_SIZE && v->format == VIEW_CSV && ns > 1) {
        uint64_t per = 0; /* bytes of one point of every series */

        for (i = 0; i < ns; i++)
            per += EXPORT_POINT_MAX_BYTES + csv_name_bytes(v, i);
        if (mp * per > (uint64_t)MAX_EXPORT_BYTES / 2)
            return err_set(err, 400,
                           "max_points=%" PRIu64 " with these %" PRIu64
                           " series names makes a CSV of up to %" PRIu64
                           " MiB: at most %d; use max_points <= %" PRIu64
                           " (or shorter names)",
                           mp, ns, mp * per / (1024 * 1024),
                           (int)(MAX_EXPORT_BYTES / 2 / (1024 * 1024)),
                           (uint64_t)MAX_EXPORT_BYTES / 2 / per);
    }
    if (v->kind == CHART_IO && v->interval_ns > 0 && v->has_start && v->has_end) {
        int64_t lo = floor_div(v->start_ns, v->interval_ns);
        int64_t hi = floor_div(v->end_ns, v->interval_ns);
        char iv[32], cap[32], min[32], each[64] = "";

        if ((uint64_t)hi - (uint64_t)lo < (uint64_t)chart_io_max_intervals(ns))
            return 0;
        if (ns > 1)
            snprintf(each, sizeof(each), " for each of its %" PRIu64 " series", ns);
        return err_set(err, 400,
                       "interval %s s is too small from start to end: more than %s "
                       "intervals%s; use interval >= %s s",
                       fmt_seconds(iv, sizeof(iv), v->interval_ns, 0, 9),
                       fmt_thousands(cap, sizeof(cap), chart_io_max_intervals(ns)), each,
                       fmt_seconds(min, sizeof(min),
                                   chart_io_min_interval(v->start_ns, v->end_ns, ns), 0,
                                   9));
    }
    return 0;
}

int view_finish(struct view *v, struct err *err) {
    size_t rows = v->nfilters > 0 ? v->nfilters : 1, i, n = 0;

    if (v->nnames > rows)
        return err_set(err, 400,
                       "%zu 'name' parameters but %zu 'filter' parameters: each name "
                       "goes with the filter in the same place",
                       v->nnames, v->nfilters);
    if (v->ncolors > rows)
        return err_set(err, 400,
                       "%zu 'color' parameters but %zu 'filter' parameters: each color "
                       "goes with the filter in the same place",
                       v->ncolors, v->nfilters);
    if (v->nfields > rows)
        return err_set(err, 400,
                       "%zu 'field' parameters but %zu 'filter' parameters: each field "
                       "goes with the filter in the same place",
                       v->nfields, v->nfilters);
    if (v->has_start && v->has_end && v->start_ns >= v->end_ns)
        return err_set(err, 400, "start must be before end");
    /* keep the series with a filter, a name or a field, in order (blank rows go) */
    for (i = 0; i < rows &&
                (v->nfilters > 0 || v->nnames > 0 || v->ncolors > 0 || v->nfields > 0);
         i++) {
        struct view_series *s = &v->series[i];

        if (s->filter[0] == '\0' && s->name[0] == '\0' && s->field[0] == '\0')
            continue;
        if (n != i)
            v->series[n] = *s;
        n++;
    }
    for (i = n; i < MAX_SERIES; i++)
        memset(&v->series[i], 0, sizeof(v->series[i]));
    v->nseries = n;
    v->any_name = v->any_color = v->any_field = 0;
    for (i = 0; i < n; i++) {
        v->any_name |= v->series[i].name[0] != '\0';
        v->any_color |= v->series[i].color[0] != '\0';
        v->any_field |= v->series[i].field[0] != '\0';
    }
    if (v->any_field && v->kind == CHART_IO) {
        /* a field's values: sum by default; the frame counts do not read it */
        if (!v->has_y)
            v->io_y = IO_SUM;
        else if (!chart_io_y(v->io_y)->of_field)
            return err_set(err, 400,
                           "y=%s counts frames, not the values of a field: with field= "
                           "use y=sum, min, max, avg, count or sum/s",
                           chart_io_y_name(v->io_y));
    }
    if (v->split[0] != '\0') {
        if (v->nseries > 1)
            return err_set(err, 400,
                           "split takes at most one filter (applied first): %zu series "
                           "were given",
                           v->nseries);
        if (v->top == 0)
            v->top = SPLIT_DEFAULT_TOP;
        /* its series' filters add the values to it */
        if (v->nseries == 1 && strlen(v->series[0].filter) > MAX_FIELD_BYTES / 2)
            return err_set(err, 400, "a filter with split must be at most %d bytes",
                           MAX_FIELD_BYTES / 2);
    } else if (v->top != 0) {
        v->top = 0; /* top means nothing without split */
    }
    /* one x axis of buckets: of one field for every series */
    for (i = 1; v->kind == CHART_HIST && i < n; i++)
        if (strcmp(v->series[i].field, v->series[0].field) != 0)
            return err_set(
                err, 400,
                "kind=hist: every series must chart the same field (series 1 "
                "charts %s, series %zu %s)",
                v->series[0].field[0] != '\0' ? v->series[0].field : "frame.len", i + 1,
                v->series[i].field[0] != '\0' ? v->series[i].field : "frame.len");
    return check_budget(v, err);
}

/* name cut to fit dst (n bytes) between UTF-8 sequences, "…" ending a cut one */
static void fit_name(char *dst, size_t n, const char *s) {
    size_t len = strlen(s);

    if (len < n) {
        memcpy(dst, s, len + 1);
        return;
    }
    len = n - 4; /* room for U+2026 (3 bytes) and the NUL */
    while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
        len--;
    memcpy(dst, s, len);
    memcpy(dst + len, "\xE2\x80\xA6", 4);
}

void view_apply(const struct view *v, struct chart *c) {
    size_t i;

    chart_init(c, v->width, v->height, v->max_points);
    c->kind = v->kind;
    c->interval_ns = v->interval_ns;
    c->io_y = v->io_y;
    c->sma = v->sma;
    c->log_y = v->log_y;
    c->has_start = v->has_start;
    c->start_ns = v->start_ns;
    c->has_end = v->has_end;
    c->end_ns = v->end_ns;
    snprintf(c->split, sizeof(c->split), "%s", v->split);
    c->top = v->top;
    c->split_quote = v->split_quote;
    if (v->nseries == 0)
        return;
    c->nseries = v->nseries;
    for (i = 0; i < v->nseries; i++) {
        const struct view_series *vs = &v->series[i];
        struct series *s = &c->series[i];

        snprintf(s->filter, sizeof(s->filter), "%s", vs->filter);
        chart_set_field(c, i, vs->field, vs->field_class);
        if (vs->name[0] != '\0') {
            fit_name(s->name, sizeof(s->name), vs->name);
        } else if (vs->field[0] != '\0') {
            char both[MAX_FIELD_NAME_BYTES + MAX_FIELD_BYTES + 4];

            snprintf(both, sizeof(both), vs->filter[0] != '\0' ? "%s (%s)" : "%s",
                     vs->field, vs->filter);
            fit_name(s->name, sizeof(s->name), both);
        } else if (vs->filter[0] != '\0')
            fit_name(s->name, sizeof(s->name), vs->filter);
        else
            fit_name(s->name, sizeof(s->name), "All packets");
        if (vs->color[0] != '\0')
            snprintf(s->color, sizeof(s->color), "%s", vs->color);
    }
}

/* Percent-encode s: unreserved characters, '/', ':' and ',' stay as they are. */
static int put_escaped(struct buf *out, const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)s;
    char esc[3];

    for (; *p != '\0'; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || strchr("-._~/:,", *p) != NULL) {
            if (buf_append(out, p, 1) == -1)
                return -1;
            continue;
        }
        esc[0] = '%';
        esc[1] = hex[*p >> 4];
        esc[2] = hex[*p & 15];
        if (buf_append(out, esc, 3) == -1)
            return -1;
    }
    return 0;
}

int view_query(const struct view *v, struct buf *out) {
    size_t start = out->len, i;
    char num[40];
    int rc = 0;

#define PUT(k, val)                                                                      \
    do {                                                                                 \
        if (out->len > start && buf_puts(out, "&") == -1)                                \
            return -1;                                                                   \
        if (buf_puts(out, k "=") == -1 || put_escaped(out, (val)) == -1)                 \
            return -1;                                                                   \
    } while (0)

    if (v->kind != CHART_SIZE)
        PUT("kind", chart_kind_name(v->kind));
    for (i = 0; i < v->nseries; i++) {
        PUT("filter", v->series[i].filter);
        if (v->any_name)
            PUT("name", v->series[i].name);
        if (v->any_color)
            PUT("color", v->series[i].color);
        if (v->any_field)
            PUT("field", v->series[i].field);
    }
    if (v->interval_ns != 0)
        PUT("interval", fmt_seconds(num, sizeof(num), v->interval_ns, 0, 9));
    /* an io chart of a field: sum is its default */
    if (v->io_y != (v->any_field && v->kind == CHART_IO ? IO_SUM : IO_PACKETS))
        PUT("y", chart_io_y_name(v->io_y));
    if (v->sma != 0) {
        snprintf(num, sizeof(num), "%u", v->sma);
        PUT("sma", num);
    }
    if (v->log_y)
        PUT("log", "1");
    if (v->has_start)
        PUT("start", fmt_seconds(num, sizeof(num), v->start_ns, 0, 9));
    if (v->has_end)
        PUT("end", fmt_seconds(num, sizeof(num), v->end_ns, 0, 9));
    if (v->width != 0) {
        snprintf(num, sizeof(num), "%d", v->width);
        PUT("width", num);
    }
    if (v->height != 0) {
        snprintf(num, sizeof(num), "%d", v->height);
        PUT("height", num);
    }
    if (v->max_points != 0) {
        snprintf(num, sizeof(num), "%zu", v->max_points);
        PUT("max_points", num);
    }
    if (v->split[0] != '\0') {
        PUT("split", v->split);
        if (v->top != SPLIT_DEFAULT_TOP) {
            snprintf(num, sizeof(num), "%u", v->top);
            PUT("top", num);
        }
    }
    if (v->filename[0] != '\0')
        PUT("filename", v->filename);
#undef PUT
    /* nothing appended still leaves a NUL-terminated (possibly NULL) buffer */
    if (out->data == NULL)
        rc = buf_puts(out, "");
    return rc;
}

const char *view_format_name(enum view_format f) {
    return FORMATS[f];
}

int view_format_parse(const char *s, enum view_format *f) {
    int e;

    if (parse_enum(s, strlen(s), FORMATS, COUNT(FORMATS), &e) == -1)
        return -1;
    *f = (enum view_format)e;
    return 0;
}
