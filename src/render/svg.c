/* svg.c - see svg.h */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/escape.h"
#include "base/fmt.h"
#include "chart/io.h"
#include "chart/names.h"
#include "render/axis.h"
#include "render/svg.h"
#include "banned.h"

#define NO_TIME INT64_MIN

/* layout in px; sizes of the fonts the style below sets */
#define PAD 16
#define TITLE_Y 26
#define SUBTITLE_Y 45
#define PLOT_TOP 64
#define LEGEND_ROW 20    /* one legend row under the subtitle, when needed */
#define LEGEND_GAP 16    /* between legend entries */
#define RIGHT_PAD 24     /* half a tick label may stand past the plot */
#define XLABEL_DY 18     /* plot bottom to the x tick labels' baseline */
#define XTITLE_DY 38     /* plot bottom to the x axis title's baseline */
#define BOTTOM 48        /* below the plot without warnings */
#define WARN_LINE 15     /* one warning line */
#define WARN_LINES_MAX 3 /* warnings drawn; all of them are in <desc> */
#define MIN_PLOT_H 60    /* warning lines give way to keep this */
#define TICK_LEN 4
#define CHAR_W_TICK 6.3  /* estimated advance of an 11px character */
#define CHAR_W_TEXT 6.9  /* 12px */
#define CHAR_W_TITLE 8.6 /* 15px bold */
#define MARGIN_FRAC 0.03 /* data to plot edge, as a share of the data range */
#define TIP_FRAMES 3     /* frames named in the tooltip of one dot */

#define FONTS "system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"

static const char STYLE[] = "<style>"
                            ".pcc{font-family:" FONTS "}"
                            ".pcc .bg{fill:#fff}"
                            ".pcc text{fill:#444}"
                            ".pcc .ti{font-size:15px;font-weight:600;fill:#111}"
                            ".pcc .st{font-size:12px;fill:#666}"
                            ".pcc .lg{font-size:12px;fill:#333}"
                            ".pcc .tk{font-size:11px;fill:#666}"
                            ".pcc .at{font-size:12px;fill:#444}"
                            ".pcc .wn{font-size:11px;fill:#9a4700}"
                            ".pcc .em{font-size:15px;fill:#888}"
                            ".pcc .gr{stroke:#ebebeb;fill:none}"
                            ".pcc .ax{stroke:#9a9a9a;fill:none}"
                            ".pcc .m{fill:none;stroke-linecap:round}"
                            ".pcc .tt path:hover{stroke-width:9px}";

/* Rules of the io and hist kinds only, so that size charts stay as they were. */
static const char STYLE_KINDS[] = ".pcc .ln{fill:none;stroke-linejoin:round;"
                                  "stroke-linecap:round;pointer-events:none}"
                                  ".pcc .dt{fill:none;stroke-linecap:round;"
                                  "pointer-events:none}"
                                  ".pcc .hb{fill:#7f7f7f;fill-opacity:0}"
                                  ".pcc .hb:hover{fill-opacity:.13}"
                                  ".pcc .br rect:hover{fill-opacity:.72}"
                                  ".pcc .bl{font-size:10px;fill:#666}"
                                  "@media (prefers-color-scheme:dark){"
                                  ".pcc .hb{fill:#c0c0c0}"
                                  ".pcc .bl{fill:#a0a0a0}"
                                  "}";

static const char STYLE_TAIL[] = "@media (prefers-color-scheme:dark){"
                                 ".pcc .bg{fill:#17191d}"
                                 ".pcc text{fill:#c4c4c4}"
                                 ".pcc .ti{fill:#f0f0f0}"
                                 ".pcc .st,.pcc .tk{fill:#a0a0a0}"
                                 ".pcc .lg{fill:#d8d8d8}"
                                 ".pcc .wn{fill:#f0a050}"
                                 ".pcc .gr{stroke:#2a2e35}"
                                 ".pcc .ax{stroke:#5f6670}"
                                 "}"
                                 "</style>";

/* How y tick labels are written. */
enum yunit {
    Y_LEN = 0, /* frame lengths of the size chart: axis_fmt_bytes */
    Y_BYTES,   /* bytes with SI prefixes up to T */
    Y_COUNT,   /* plain numbers with SI prefixes: 950, 1.2k, 3M */
    Y_NANO,    /* a field kept in nano-units: its seconds (axis_fmt_time of v / 1e9) */
    Y_SECONDS  /* seconds: axis_fmt_time */
};

/*
 * Fields that count bytes, shown in B and kB like frame.len: integer fields
 * whose last name part is len or length, or ends in _len, _length or _size
 * (tcp.len, ip.len, udp.length, ip.hdr_len, http.content_length,
 * tcp.window_size). Any other integer field is a plain number.
 */
static int field_is_bytes(const struct series *s) {
    static const char *const ENDS[] = {"_len", "_length", "_size"};
    const char *last;
    size_t i, n, k;

    if (s->field[0] == '\0')
        return 1;
    if (s->field_class != FIELD_CLASS_INT)
        return 0;
    last = strrchr(s->field, '.');
    last = last != NULL ? last + 1 : s->field;
    if (strcmp(last, "len") == 0 || strcmp(last, "length") == 0)
        return 1;
    n = strlen(last);
    for (i = 0; i < sizeof(ENDS) / sizeof(ENDS[0]); i++) {
        k = strlen(ENDS[i]);
        if (n > k && strcmp(last + n - k, ENDS[i]) == 0)
            return 1;
    }
    return 0;
}

/* How the values of s read: frame lengths and byte fields, times, numbers. */
static enum yunit series_yunit(const struct series *s) {
    return s->field_nano ? Y_NANO : field_is_bytes(s) ? Y_LEN : Y_COUNT;
}

/* The y unit and title of the size chart: its series' if they agree. */
static enum yunit size_yunit(const struct chart *c, char *title, size_t n) {
    enum yunit u = series_yunit(&c->series[0]);
    int same = 1;
    size_t i;

    for (i = 1; i < c->nseries; i++) {
        same &= strcmp(c->series[i].field, c->series[0].field) == 0;
        if (series_yunit(&c->series[i]) != u)
            u = Y_COUNT;
    }
    if (!same)
        snprintf(title, n, "Value");
    else if (c->series[0].field[0] == '\0')
        snprintf(title, n, "Frame length");
    else
        snprintf(title, n, "%s", c->series[0].field);
    return u;
}

/* A value of s exactly, for a tooltip: "1514 B", "0.000123 s", "64". */
static char *fmt_series_exact(char *dst, size_t n, const struct series *s, uint64_t v) {
    char t[32];

    switch (series_yunit(s)) {
    case Y_NANO:
        snprintf(dst, n, "%s s", fmt_seconds_u(t, sizeof(t), v, 0, 9));
        break;
    case Y_COUNT:
        snprintf(dst, n, "%" PRIu64, v);
        break;
    default:
        snprintf(dst, n, "%" PRIu64 " B", v);
    }
    return dst;
}

/* A value of s for people: "1.5 kB", "12 ms", "64". */
static char *fmt_series_value(char *dst, size_t n, const struct series *s, double v) {
    switch (series_yunit(s)) {
    case Y_NANO:
        return axis_fmt_time(dst, n, v / 1e9, 0);
    case Y_COUNT:
        return axis_fmt_si(dst, n, v, 0, "");
    default:
        return axis_fmt_bytes(dst, n, v, 0);
    }
}

struct plot {
    int w, h;
    int x0, y0, pw, ph; /* plot area: left, top, width, height */
    int64_t t0_ns;      /* time shown as 0 (not 0 only for epoch times) */
    double xlo, xhi;    /* view in seconds since t0_ns */
    double ylo, yhi;    /* view in y units (bytes; powers of ten when ylog) */
    struct axis xa, ya; /* ticks, only those inside the view */
    int legend_row;     /* legend on its own row under the subtitle */
    size_t nwarn_lines; /* warnings drawn under the axis title */

    /* io and hist */
    int ylog;         /* y is log10 of the value; ya holds exponents */
    enum yunit yunit; /* tick labels */
    char ytitle[MAX_FIELD_NAME_BYTES + 160]; /* y axis title */
    int tip_dec;   /* io: decimals of interval times in tooltips */
    size_t nmarks; /* io: intervals; hist: bars (for the tooltip budget) */
    int empty;     /* nothing to draw */
};

/* ---- small text helpers ---- */

static size_t utf8_chars(const char *s) {
    size_t n = 0;

    for (; *s != '\0'; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/*
 * Escape s, cut to at most max characters (the last one an ellipsis when
 * cut). The cut falls between UTF-8 sequences.
 */
static int esc_cut(struct buf *b, const char *s, size_t max) {
    char tmp[1024];
    size_t i = 0, chars = 0;

    if (utf8_chars(s) <= max)
        return esc_xml(b, s);
    while (s[i] != '\0' && i < sizeof(tmp) - 4) {
        if (((unsigned char)s[i] & 0xC0) != 0x80 && ++chars == max)
            break;
        tmp[i] = s[i];
        i++;
    }
    memcpy(tmp + i, "\xE2\x80\xA6", 4); /* U+2026 and the NUL */
    return esc_xml(b, tmp);
}

static double ns_to_s(int64_t ns) {
    return (double)ns / 1e9;
}

static int valid_color(const char *s) {
    size_t i;

    if (s[0] != '#' || strlen(s) != 7)
        return 0;
    for (i = 1; i < 7; i++)
        if (strchr("0123456789abcdefABCDEF", s[i]) == NULL)
            return 0;
    return 1;
}

static const char *series_color(const struct series *s) {
    return valid_color(s->color) ? s->color : CHART_PALETTE[0];
}

/* ---- what the chart holds ---- */

/* Packets read (those the zoom left out included). */
static uint64_t total_packets(const struct chart *c) {
    return chart_seen(c);
}

static uint64_t total_timed(const struct chart *c) {
    uint64_t n = 0;
    size_t i;

    for (i = 0; i < c->nseries; i++)
        n += c->series[i].timed;
    return n;
}

/* t_max - t_min over timed packets of every series, in seconds (0 if none). */
static double duration_s(const struct chart *c) {
    int64_t lo, hi;

    chart_timed_extent(c, &lo, &hi);
    return (double)((uint64_t)hi - (uint64_t)lo) / 1e9;
}

/* ---- layout ---- */

static double xpix(const struct plot *p, double s) {
    return p->x0 + (s - p->xlo) / (p->xhi - p->xlo) * p->pw;
}

static double ypix(const struct plot *p, double b) {
    return p->y0 + p->ph - (b - p->ylo) / (p->yhi - p->ylo) * p->ph;
}

/* v rounded to a whole pixel in [lo, hi]; clamped first, so lround never overflows. */
static int clampi(double v, int lo, int hi) {
    if (!(v > lo)) /* NaN too */
        return lo;
    if (v > hi)
        return hi;
    return (int)lround(v);
}

/* Mark coordinates: whole pixels, inside the plot. */
static int xmark(const struct plot *p, double s) {
    return clampi(xpix(p, s), p->x0, p->x0 + p->pw);
}

/* Seconds since t0_ns; ns >= t0_ns whenever t0_ns is not 0. */
static double rel_s(const struct plot *p, int64_t ns) {
    return (double)(ns - p->t0_ns) / 1e9;
}

static int xmark_ns(const struct plot *p, int64_t ns) {
    return xmark(p, rel_s(p, ns));
}

static int ymark(const struct plot *p, uint64_t len) {
    return clampi(ypix(p, (double)len), p->y0, p->y0 + p->ph);
}

/* 10^e, exact for the exponents an axis uses. */
static double pow10e(double e) {
    return e >= 0 ? pow(10, e) : 1 / pow(10, -e);
}

/* y pixel of a value of io or hist: linear, or log with values below the floor on it. */
static int yvalue(const struct plot *p, double v) {
    if (p->ylog)
        v = v > 0 ? log10(v) : p->ylo;
    return clampi(ypix(p, v), p->y0, p->y0 + p->ph);
}

/* Keep the ticks inside [lo, hi] (with a hair of slack). */
static void ticks_inside(struct axis *a, double lo, double hi) {
    double slack = (hi - lo) * 1e-9;
    size_t i, n = 0;

    for (i = 0; i < a->nticks; i++)
        if (a->ticks[i] >= lo - slack && a->ticks[i] <= hi + slack)
            a->ticks[n++] = a->ticks[i];
    a->nticks = n;
}

/* The view around [lo, hi] and its ticks; time (seconds) or bytes. */
static void view_axis(struct axis *a, double *vlo, double *vhi, double lo, double hi,
                      size_t max_ticks, int is_time) {
    if (hi > lo) {
        double m = (hi - lo) * MARGIN_FRAC;

        /* ticks for the data; those in the margins stay, the rest go */
        *vlo = lo - m;
        *vhi = hi + m;
        if (is_time)
            axis_nice_time(a, lo, hi, max_ticks);
        else
            axis_nice(a, lo, hi, max_ticks);
        ticks_inside(a, *vlo, *vhi);
        return;
    }
    /* a single value: the axis widens it to whole steps around it */
    if (is_time)
        axis_nice_time(a, lo, hi, max_ticks);
    else
        axis_nice(a, lo, hi, max_ticks);
    *vlo = a->lo;
    *vhi = a->hi;
}

/* The label of y tick i. */
static char *ylabel(const struct plot *p, char *dst, size_t n, size_t i) {
    double v = p->ya.ticks[i], step = p->ya.step;

    if (p->ylog) {
        v = pow10e(v);
        step = v;
    }
    if (p->yunit == Y_BYTES)
        return axis_fmt_si(dst, n, v, step, "B");
    if (p->yunit == Y_COUNT)
        return axis_fmt_si(dst, n, v, step, "");
    if (p->yunit == Y_NANO)
        return axis_fmt_time(dst, n, v / 1e9, step / 1e9);
    if (p->yunit == Y_SECONDS)
        return axis_fmt_time(dst, n, v, step);
    return axis_fmt_bytes(dst, n, v, step);
}

static size_t widest_label(const struct plot *p, const struct axis *a, int is_time) {
    char label[64];
    size_t i, w = 0, n;

    for (i = 0; i < a->nticks; i++) {
        if (is_time)
            axis_fmt_time(label, sizeof(label), a->ticks[i], a->step);
        else
            ylabel(p, label, sizeof(label), i);
        n = utf8_chars(label);
        if (n > w)
            w = n;
    }
    return w;
}

/* Width of legend entry i: dot, gap, name (cut to 24 characters). */
static double legend_entry(const struct chart *c, size_t i) {
    size_t n = utf8_chars(c->series[i].name);

    return 14 + (double)(n > 24 ? 24 : n) * CHAR_W_TEXT;
}

static double legend_width(const struct chart *c) {
    double w = 0;
    size_t i;

    for (i = 0; i < c->nseries; i++)
        w += legend_entry(c, i) + (i > 0 ? LEGEND_GAP : 0);
    return w;
}

/*
 * Lay the legend out in rows under the subtitle, wrapping at the right
 * edge; returns the number of rows. With xs/ys, stores each entry's place.
 */
static size_t legend_rows(const struct chart *c, int w, double *xs, double *ys) {
    double x = PAD, y = PLOT_TOP - 2;
    size_t i, rows = 1;

    for (i = 0; i < c->nseries; i++) {
        if (i > 0 && x + legend_entry(c, i) > w - PAD) {
            x = PAD;
            y += LEGEND_ROW;
            rows++;
        }
        if (xs != NULL) {
            xs[i] = x;
            ys[i] = y;
        }
        x += legend_entry(c, i) + LEGEND_GAP;
    }
    return rows;
}

/*
 * x: time in seconds since t0_ns over [dlo, dhi]; fewer ticks until the
 * labels fit. A zoom bound (exact_lo, exact_hi) is the view's edge, without
 * a margin.
 */
static void x_time_axis(struct plot *p, double dlo, double dhi, int exact_lo,
                        int exact_hi) {
    size_t want, most = (size_t)(p->pw / 80 + 1), labw;

    for (want = AXIS_MAX_TICKS;; want--) {
        view_axis(&p->xa, &p->xlo, &p->xhi, dlo, dhi, want, 1);
        if ((exact_lo || exact_hi) && dhi > dlo) {
            if (exact_lo)
                p->xlo = dlo;
            if (exact_hi)
                p->xhi = dhi;
            ticks_inside(&p->xa, p->xlo, p->xhi);
        }
        labw = widest_label(p, &p->xa, 1);
        if (want <= 3 ||
            (p->xa.nticks <= most &&
             p->pw * p->xa.step / (p->xhi - p->xlo) >= (double)labw * CHAR_W_TICK + 14))
            break;
    }
}

/* y from exactly 0 to a nice value at or above ymax (io and hist). */
static void y_linear(struct plot *p, double ymax) {
    size_t want, most = (size_t)(p->ph / 42 + 1);

    for (want = AXIS_MAX_TICKS;; want--) {
        axis_nice(&p->ya, 0, ymax, want);
        p->ylo = 0;
        p->yhi = p->ya.hi;
        if (want <= 3 ||
            (p->ya.nticks <= most && p->ph * p->ya.step / (p->yhi - p->ylo) >= 20))
            break;
    }
}

/*
 * y in powers of ten from the one at or below the smallest positive value
 * (the floor, where zeros are drawn) to the one at or above the largest;
 * a tick every decade, or every few when there are many.
 */
static void y_log(struct plot *p, double minpos, double ymax) {
    size_t most = (size_t)(p->ph / 30 + 1);
    double e0, e1, e, step = 1;

    if (!(minpos > 0) || !isfinite(minpos))
        minpos = 1;
    if (!(ymax >= minpos) || !isfinite(ymax))
        ymax = minpos;
    e0 = floor(log10(minpos) + 1e-9);
    e1 = ceil(log10(ymax) - 1e-9);
    if (e1 <= e0)
        e1 = e0 + 1;
    while ((e1 - e0) / step + 1 > (double)most && step < 100)
        step++;
    p->ya.nticks = 0;
    for (e = ceil(e0 / step) * step; e <= e1 && p->ya.nticks < AXIS_MAX_TICKS; e += step)
        p->ya.ticks[p->ya.nticks++] = e;
    p->ya.step = step;
    p->ya.lo = p->ylo = e0;
    p->ya.hi = p->yhi = e1;
    p->ylog = 1;
}

/* The left edge of the plot from the widest y label. */
static void plot_x0(struct plot *p) {
    size_t labw = widest_label(p, &p->ya, 0);

    p->x0 = PAD + 16 + (int)ceil((double)labw * CHAR_W_TICK) + 10;
    p->pw = p->w - p->x0 - RIGHT_PAD;
    if (p->pw < 20)
        p->pw = 20;
}

static void layout_size(const struct chart *c, struct plot *p) {
    int64_t tlo, thi;
    double dlo, dhi, ymax;
    size_t want, most;

    /* y: bytes from 0 to the largest frame; an empty chart shows 0..1500 B */
    ymax = (c->has_start || c->has_end ? chart_in_range(c) : total_packets(c)) == 0
               ? 1500
               : (double)chart_len_max(c);
    if (ymax < 10)
        ymax = 10;
    p->yunit = size_yunit(c, p->ytitle, sizeof(p->ytitle));
    /*
     * The finest step whose ticks inside the view are at most `most` and 20
     * px apart. axis_nice counts the ticks of the widened range, so start
     * above `most` and come down.
     */
    most = (size_t)(p->ph / 42 + 1);
    for (want = AXIS_MAX_TICKS;; want--) {
        view_axis(&p->ya, &p->ylo, &p->yhi, 0, ymax, want, 0);
        if (want <= 3 ||
            (p->ya.nticks <= most && p->ph * p->ya.step / (p->yhi - p->ylo) >= 20))
            break;
    }
    plot_x0(p);

    /* x: time since the first packet (or the zoom) */
    chart_time_range(c, &tlo, &thi);
    p->t0_ns = chart_time_origin(c); /* epoch times: count from the earliest */
    dlo = total_timed(c) > 0 || c->has_start ? rel_s(p, tlo) : 0;
    dhi = total_timed(c) > 0 || c->has_end ? rel_s(p, thi) : 1;
    x_time_axis(p, dlo, dhi, c->has_start, c->has_end);
}

/* "100 ms", "1 µs", "2.5 s": an interval, exactly. */
static char *fmt_interval(char *dst, size_t n, int64_t ns) {
    static const struct {
        int64_t ns;
        int digits; /* of a fraction of the unit, in ns */
        const char *unit;
    } U[] = {
        {1000000000, 9, "s"}, {1000000, 6, "ms"}, {1000, 3, "\xC2\xB5s"}, {1, 0, "ns"}};
    size_t i = 0;
    int64_t frac;
    int dec;

    while (i + 1 < sizeof(U) / sizeof(U[0]) && ns < U[i].ns)
        i++;
    frac = ns % U[i].ns;
    if (frac == 0) {
        snprintf(dst, n, "%" PRId64 " %s", ns / U[i].ns, U[i].unit);
        return dst;
    }
    for (dec = U[i].digits; frac % 10 == 0; dec--)
        frac /= 10;
    snprintf(dst, n, "%" PRId64 ".%0*" PRId64 " %s", ns / U[i].ns, dec, frac, U[i].unit);
    return dst;
}

/*
 * The io value's label with the field of the series in place of frame.len
 * ("SUM(tcp.len)"), or "SUM(value)" when the series chart different fields.
 */
static char *io_label(const struct chart *c, char *dst, size_t n) {
    const char *label = chart_io_y(c->io_y)->label, *at = strstr(label, "frame.len");
    const char *field = c->nseries > 0 ? c->series[0].field : "";
    size_t i;

    for (i = 1; i < c->nseries; i++)
        if (strcmp(c->series[i].field, field) != 0)
            field = "value";
    if (at == NULL || field[0] == '\0') {
        snprintf(dst, n, "%s", label);
        return dst;
    }
    snprintf(dst, n, "%.*s%s%s", (int)(at - label), label, field,
             at + strlen("frame.len"));
    return dst;
}

static void layout_io(const struct chart *c, struct plot *p) {
    struct io_values it;
    double ymax = 0, minpos = 0, v, dlo, dhi, sp;
    int64_t tlo, thi, iv = c->io_interval_ns;
    char ivs[32], label[MAX_FIELD_NAME_BYTES + 64];
    size_t si, k;
    int integral = 1;

    for (si = 0; si < c->nseries; si++) {
        chart_io_begin(&it, c, si);
        integral = it.integral;
        for (k = 0; k < c->io_count; k++) {
            v = chart_io_next(&it);
            if (v > ymax)
                ymax = v;
            if (v > 0 && (minpos == 0 || v < minpos))
                minpos = v;
        }
    }
    p->empty = c->io_count == 0 || chart_in_range(c) == 0;
    p->yunit = chart_io_y(c->io_y)->bytes ? Y_BYTES : Y_COUNT;
    fmt_interval(ivs, sizeof(ivs), iv);
    io_label(c, label, sizeof(label));
    if (chart_io_y(c->io_y)->of_field && c->io_y != IO_COUNT && c->nseries > 0) {
        /* a field's values: its unit, when the series agree */
        enum yunit u = series_yunit(&c->series[0]);

        for (si = 1; si < c->nseries; si++)
            if (series_yunit(&c->series[si]) != u)
                u = Y_COUNT;
        p->yunit = u == Y_NANO ? Y_SECONDS : u == Y_COUNT ? Y_COUNT : p->yunit;
    }
    if (chart_io_y(c->io_y)->per_second)
        snprintf(p->ytitle, sizeof(p->ytitle), "%s", label);
    else
        snprintf(p->ytitle, sizeof(p->ytitle), "%s / %s", label, ivs);
    if (c->sma > 0) {
        size_t len = strlen(p->ytitle);

        snprintf(p->ytitle + len, sizeof(p->ytitle) - len, ", SMA %u", c->sma);
    }
    if (c->log_y)
        y_log(p, minpos, ymax);
    else
        y_linear(p, ymax > 0 ? (integral && ymax < 5 ? 5 : ymax) : integral ? 5 : 1);
    plot_x0(p);

    /* x: from the first interval's start (or the zoom) to the last packet */
    chart_time_range(c, &tlo, &thi);
    p->t0_ns = chart_time_origin(c);
    dlo = rel_s(p, c->has_start ? tlo : chart_io_start(c, 0));
    dhi = rel_s(p, thi);
    if (c->io_count > 0 && !c->has_end &&
        rel_s(p, chart_io_start(c, c->io_count - 1)) > dhi)
        dhi = rel_s(p, chart_io_start(c, c->io_count - 1));
    x_time_axis(p, dlo, dhi, c->has_start, c->has_end);

    for (p->tip_dec = 9; p->tip_dec > 0 && iv % 10 == 0; p->tip_dec--)
        iv /= 10;
    /* hover bands when they are few and at least 2 px wide */
    sp = p->pw * ns_to_s(c->io_interval_ns) / (p->xhi - p->xlo);
    p->nmarks = sp >= 2 ? c->io_count : SIZE_MAX;
}

static void layout_hist(const struct chart *c, struct plot *p) {
    uint64_t ymax = 0;
    size_t si, b;

    for (si = 0; si < c->nseries; si++)
        for (b = 0; b < chart_nbuckets(c); b++)
            if (c->series[si].buckets[b] > ymax)
                ymax = c->series[si].buckets[b];
    p->empty = chart_in_range(c) == 0;
    p->yunit = Y_COUNT;
    snprintf(p->ytitle, sizeof(p->ytitle), "%s",
             c->series[0].field[0] != '\0' ? "Values" : "Packets");
    if (c->log_y)
        y_log(p, 1, (double)ymax);
    else
        y_linear(p, ymax < 5 ? 5 : (double)ymax);
    plot_x0(p);
    p->xlo = 0;
    p->xhi = (double)chart_nbuckets(c);
    p->xa.nticks = 0;
    p->nmarks = chart_nbuckets(c) * (c->nseries + 1);
}

static void layout(const struct chart *c, struct plot *p) {
    double title_w;
    int bottom, avail;

    memset(p, 0, sizeof(*p));
    p->w = c->width_px;
    p->h = c->height_px;

    /* the legend goes right of the title, or on a row of its own */
    title_w = (double)utf8_chars(c->title[0] != '\0' ? c->title
                                                     : CHART_KINDS[CHART_SIZE].title) *
              CHAR_W_TITLE;
    p->legend_row = PAD + title_w + 24 + legend_width(c) > p->w - PAD;
    p->y0 = PLOT_TOP +
            (p->legend_row ? LEGEND_ROW * (int)legend_rows(c, p->w, NULL, NULL) : 0);

    /* warnings under the axis title, as many as leave the plot its minimum */
    p->nwarn_lines = c->nwarnings < WARN_LINES_MAX ? c->nwarnings : WARN_LINES_MAX;
    avail = p->h - p->y0 - BOTTOM - MIN_PLOT_H;
    while (p->nwarn_lines > 0 && (int)p->nwarn_lines * WARN_LINE > avail)
        p->nwarn_lines--;
    bottom = BOTTOM + (int)p->nwarn_lines * WARN_LINE;
    p->ph = p->h - p->y0 - bottom;
    if (p->ph < 20)
        p->ph = 20;

    if (c->kind == CHART_IO)
        layout_io(c, p);
    else if (c->kind == CHART_HIST)
        layout_hist(c, p);
    else
        layout_size(c, p);
}

/* ---- document parts ---- */

/* A value as export prints it, with thousands separators in its integer part. */
static char *fmt_io_value(char *dst, size_t n, double v, int integral) {
    char raw[64];

    fmt_value(raw, sizeof(raw), v, integral);
    return fmt_group_digits(dst, n, raw);
}

/* A hist statistic of s: "1.5 kB" (frame lengths, byte fields), "12 ms", "64". */
static char *hist_value(char *dst, size_t n, const struct series *s, double v) {
    if (s->field[0] == '\0' || field_is_bytes(s))
        return axis_fmt_si(dst, n, v, 0, "B");
    return fmt_series_value(dst, n, s, v);
}

/*
 * "0-19 B", ..., "5120 B and greater"; a field's: "0-99", "0.1 s to under
 * 0.2 s" (times and floats: a bucket's upper bound is the next one's lower).
 */
static char *bucket_name(char *dst, size_t n, const struct chart *c, size_t b) {
    const struct series *s = &c->series[0];
    uint64_t lo = chart_bucket_lo(c, b), hi = chart_bucket_hi(c, b);
    char a[32], z[32];

    if (c->hist_linear && s->field_nano) {
        snprintf(dst, n, "%s s to under %s s", fmt_seconds_u(a, sizeof(a), lo, 0, 9),
                 fmt_seconds_u(z, sizeof(z), hi + 1, 0, 9));
    } else if (hi == UINT64_MAX) {
        snprintf(dst, n, "%" PRIu64 " B and greater", lo);
    } else {
        snprintf(dst, n, "%" PRIu64 "\xE2\x80\x93%" PRIu64 "%s", lo, hi,
                 field_is_bytes(s) ? " B" : "");
    }
    return dst;
}

/* count as a share of total: "16.1%", "under 0.1%", "100%" (no markup characters). */
static char *fmt_share(char *dst, size_t n, uint64_t count, uint64_t total) {
    double pct = total > 0 ? 100.0 * (double)count / (double)total : 0;

    if (count > 0 && pct < 0.05)
        snprintf(dst, n, "under 0.1%%");
    else if (count == total && total > 0)
        snprintf(dst, n, "100%%");
    else
        snprintf(dst, n, "%.1f%%", pct);
    return dst;
}

/*
 * A value of series s for the description, to about three digits: "54.6
 * B/s", "1.2k packets", "12 ms" (a time field's avg), "64" (a plain field).
 */
static char *fmt_io_human(char *dst, size_t n, double v, enum io_y y,
                          const struct series *s) {
    char num[32];

    if (chart_io_y(y)->of_field && y != IO_COUNT && series_yunit(s) != Y_LEN) {
        /* io values of a nano field are in its units already (io.c) */
        if (s->field_nano)
            axis_fmt_time(num, sizeof(num), v, 0);
        else
            axis_fmt_si(num, sizeof(num), v, 0, "");
        snprintf(dst, n, "%s%s", num, chart_io_y(y)->per_second ? "/s" : "");
        return dst;
    }
    if (y == IO_COUNT) {
        axis_fmt_si(num, sizeof(num), v, 0, "");
        snprintf(dst, n, "%s value%s", num, v == 1 ? "" : "s");
        return dst;
    }
    if (chart_io_y(y)->bytes)
        return axis_fmt_si(dst, n, v, 0, chart_io_y(y)->unit);
    axis_fmt_si(num, sizeof(num), v, 0, "");
    snprintf(dst, n, "%s %s", num, chart_io_y(y)->unit);
    return dst;
}

/* "3,005,226 packets", "1 packet". */
static int put_packets(struct buf *b, uint64_t v) {
    char n[32];

    return buf_printf(b, "%s packet%s", fmt_thousands(n, sizeof(n), v),
                      v == 1 ? "" : "s");
}

/* " NAME: 7,647 packets" of a series in a summary ("41 values in 43 packets": a field).
 */
static int put_series_packets(struct buf *b, const struct series *s) {
    char k[32];

    if (buf_puts(b, " ") == -1 || esc_xml(b, s->name) == -1 || buf_puts(b, ": ") == -1)
        return -1;
    if (s->field[0] == '\0')
        return put_packets(b, s->packets);
    if (buf_printf(b, "%s value%s in ", fmt_thousands(k, sizeof(k), s->packets),
                   s->packets == 1 ? "" : "s") == -1)
        return -1;
    return put_packets(b, s->frames);
}

static int put_summary_io(struct buf *b, const struct chart *c) {
    char n[32], iv[32], a[32], z[32], v[64], label[MAX_FIELD_NAME_BYTES + 64];
    struct io_values it;
    size_t i, k, peak_k;
    double x, peak, sum;

    fmt_interval(iv, sizeof(iv), c->io_interval_ns);
    fmt_thousands(n, sizeof(n), c->io_count);
    if (buf_puts(b, "I/O graph: ") == -1 ||
        esc_xml(b, io_label(c, label, sizeof(label))) == -1 ||
        buf_printf(b, " in %s intervals", iv) == -1)
        return -1;
    if (c->io_count > 0) {
        fmt_seconds(a, sizeof(a), chart_io_start(c, 0), 0, 9);
        fmt_seconds(z, sizeof(z), chart_io_start(c, c->io_count - 1), 0, 9);
        if (buf_printf(b, "; %s interval%s, the first starting at %s s, the last at %s s",
                       n, c->io_count == 1 ? "" : "s", a, z) == -1)
            return -1;
    }
    if (c->sma > 0 && buf_printf(b, ", moving average over %u intervals", c->sma) == -1)
        return -1;
    if (c->log_y && buf_puts(b, ", logarithmic y axis") == -1)
        return -1;
    if (buf_puts(b, ".") == -1)
        return -1;
    for (i = 0; i < c->nseries; i++) {
        const struct series *s = &c->series[i];

        if (put_series_packets(b, s) == -1)
            return -1;
        if (c->io_count == 0 || s->packets == 0) {
            if (buf_puts(b, ".") == -1)
                return -1;
            continue;
        }
        chart_io_begin(&it, c, i);
        peak = -1;
        peak_k = 0;
        sum = 0;
        for (k = 0; k < c->io_count; k++) {
            x = chart_io_next(&it);
            sum += x;
            if (x > peak) {
                peak = x;
                peak_k = k;
            }
        }
        fmt_seconds(a, sizeof(a), chart_io_start(c, peak_k), 0, 9);
        if (buf_printf(b, ", peak %s in the interval from %s s",
                       fmt_io_human(v, sizeof(v), peak, c->io_y, s), a) == -1)
            return -1;
        if (buf_printf(
                b, ", mean %s.",
                fmt_io_human(v, sizeof(v), sum / (double)c->io_count, c->io_y, s)) == -1)
            return -1;
    }
    return 0;
}

static int put_summary_hist(struct buf *b, const struct chart *c) {
    char lo[32], mean[32], hi[32], q[3][32], bn[96], sh[24];
    size_t i, k, most;

    if ((c->hist_linear
             ? buf_printf(b, "Values of %s in %zu buckets of equal width.",
                          c->series[0].field, chart_nbuckets(c))
             : buf_puts(
                   b,
                   "Frame lengths in Wireshark\xE2\x80\x99s Packet Lengths buckets.")) ==
        -1)
        return -1;
    for (i = 0; i < c->nseries; i++) {
        const struct series *s = &c->series[i];

        if (put_series_packets(b, s) == -1)
            return -1;
        if (s->packets == 0) {
            if (buf_puts(b, ".") == -1)
                return -1;
            continue;
        }
        hist_value(lo, sizeof(lo), s, (double)s->len_min);
        hist_value(mean, sizeof(mean), s, (double)s->bytes / (double)s->packets);
        hist_value(hi, sizeof(hi), s, (double)s->len_max);
        hist_value(q[0], sizeof(q[0]), s, (double)s->p50);
        hist_value(q[1], sizeof(q[1]), s, (double)s->p95);
        hist_value(q[2], sizeof(q[2]), s, (double)s->p99);
        for (k = 1, most = 0; k < chart_nbuckets(c); k++)
            if (s->buckets[k] > s->buckets[most])
                most = k;
        if (buf_printf(b,
                       "; %s min %s, mean %s, max %s; median %s, 95th "
                       "percentile %s, 99th percentile %s; most %s (%s) are %s.",
                       s->field[0] != '\0' ? "value" : "frame length", lo, mean, hi, q[0],
                       q[1], q[2], s->field[0] != '\0' ? "values" : "packets",
                       fmt_share(sh, sizeof(sh), s->buckets[most], s->packets),
                       bucket_name(bn, sizeof(bn), c, most)) == -1)
            return -1;
    }
    return 0;
}

/* " 120 of 7,647 packets are in the range from 1 s to 2 s." */
static int put_summary_zoom(struct buf *b, const struct chart *c) {
    char n[32], m[32], a[32], z[32];

    if (!c->has_start && !c->has_end)
        return 0;
    fmt_thousands(n, sizeof(n), chart_in_range(c));
    fmt_thousands(m, sizeof(m), chart_seen(c));
    if (buf_printf(b, " %s of %s packets are in the range", n, m) == -1)
        return -1;
    if (c->has_start &&
        buf_printf(b, " from %s s", fmt_seconds(a, sizeof(a), c->start_ns, 0, 9)) == -1)
        return -1;
    if (c->has_end &&
        buf_printf(b, " to %s s", fmt_seconds(z, sizeof(z), c->end_ns, 0, 9)) == -1)
        return -1;
    return buf_puts(b, ".");
}

/* Sentences for <desc>: per series counts, sizes and duration, then the warnings. */
static int put_summary(struct buf *b, const struct chart *c) {
    char d[32], lo[32], mean[32], hi[32];
    size_t i, start = b->len;

    if (c->kind == CHART_IO && put_summary_io(b, c) == -1)
        return -1;
    if (c->kind == CHART_HIST && put_summary_hist(b, c) == -1)
        return -1;
    for (i = 0; i < c->nseries && c->kind == CHART_SIZE; i++) {
        const struct series *s = &c->series[i];

        if (b->len > start && buf_puts(b, " ") == -1)
            return -1;
        if (c->nseries > 1 && (esc_xml(b, s->name) == -1 || buf_puts(b, ": ") == -1))
            return -1;
        if (s->packets == 0) {
            if (buf_puts(b, "no packets.") == -1)
                return -1;
            continue;
        }
        if (s->field[0] != '\0'
                ? buf_printf(b, "%s value%s", fmt_thousands(d, sizeof(d), s->packets),
                             s->packets == 1 ? "" : "s") == -1
                : put_packets(b, s->packets) == -1)
            return -1;
        if (s->timed > 1) {
            axis_fmt_time(d, sizeof(d), ns_to_s(s->t_max_ns) - ns_to_s(s->t_min_ns), 0);
            if (buf_printf(b, " over %s", d) == -1)
                return -1;
        }
        fmt_series_value(lo, sizeof(lo), s, (double)s->len_min);
        fmt_series_value(mean, sizeof(mean), s, (double)s->bytes / (double)s->packets);
        fmt_series_value(hi, sizeof(hi), s, (double)s->len_max);
        if (s->field[0] != '\0' &&
            (buf_puts(b, " (values of ") == -1 || esc_xml(b, s->field) == -1 ||
             buf_printf(b, " in %" PRIu64 " packets)", s->frames_with) == -1))
            return -1;
        if (buf_printf(b, "; %s min %s, mean %s, max %s.",
                       s->field[0] != '\0' ? "value" : "frame length", lo, mean,
                       hi) == -1)
            return -1;
        if (s->decimated &&
            buf_puts(b, " Time is cut into slices, each drawn as a line from its "
                        "smallest to its largest frame.") == -1)
            return -1;
    }
    if (put_summary_zoom(b, c) == -1)
        return -1;
    for (i = 0; i < c->nwarnings; i++)
        if (buf_puts(b, i == 0 ? " Warnings: " : "; ") == -1 ||
            esc_xml(b, c->warnings[i]) == -1 ||
            (i + 1 == c->nwarnings && buf_puts(b, ".") == -1))
            return -1;
    return 0;
}

/*
 * The data extent on the root, for the page's zoom (svg.h): the time axis'
 * view in seconds since t0, t0 itself, and the plot area in SVG units.
 */
static int put_extent(struct buf *b, const struct chart *c, const struct plot *p) {
    char t0[32];

    if (c->kind == CHART_HIST)
        return 0; /* no time axis */
    return buf_printf(b,
                      " data-t0=\"%s\" data-x0=\"%.9f\" data-x1=\"%.9f\" data-px0=\"%d\" "
                      "data-px1=\"%d\" data-py0=\"%d\" data-py1=\"%d\"",
                      fmt_seconds(t0, sizeof(t0), p->t0_ns, 0, 9), p->xlo, p->xhi, p->x0,
                      p->x0 + p->pw, p->y0, p->y0 + p->ph);
}

/* The root element, <title>, <desc>, the style and the background. */
static int put_root(struct buf *b, const struct chart *c, const struct plot *p,
                    const char *title) {
    if (buf_printf(b,
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"pcc\" "
                   "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
                   "aria-labelledby=\"pcc-title pcc-desc\"",
                   p->w, p->h, p->w, p->h) == -1 ||
        put_extent(b, c, p) == -1 || buf_puts(b, ">\n<title id=\"pcc-title\">") == -1 ||
        esc_xml(b, title) == -1)
        return -1;
    if (c->subject[0] != '\0' &&
        (buf_puts(b, ": ") == -1 || esc_xml(b, c->subject) == -1))
        return -1;
    if (buf_puts(b, "</title>\n<desc id=\"pcc-desc\">") == -1 ||
        put_summary(b, c) == -1 ||
        buf_printf(b,
                   "</desc>\n%s%s%s\n<rect class=\"bg\" width=\"%d\" height=\"%d\"/>\n",
                   STYLE, c->kind == CHART_SIZE ? "" : STYLE_KINDS, STYLE_TAIL, p->w,
                   p->h) == -1)
        return -1;
    return 0;
}

/* The subtitle's text: "file · N packets · duration · interval". */
static int put_subtitle(struct buf *b, const struct chart *c, const struct plot *p) {
    const char *sep = "";
    char n[32], m[32], d[32];
    uint64_t packets = total_packets(c);

    if (c->subject[0] != '\0') {
        if (esc_cut(b, c->subject, (size_t)((p->w - 2 * PAD) / CHAR_W_TEXT) / 2) == -1)
            return -1;
        sep = " \xC2\xB7 ";
    }
    fmt_thousands(n, sizeof(n), packets);
    if (c->has_start || c->has_end) {
        /* "120 of 7,647 packets in range" */
        fmt_thousands(m, sizeof(m), chart_in_range(c));
        if (buf_printf(b, "%s%s of %s packet%s in range", sep, m, n,
                       packets == 1 ? "" : "s") == -1)
            return -1;
    } else if (buf_printf(b, "%s%s packet%s", sep, n, packets == 1 ? "" : "s") == -1) {
        return -1;
    }
    if (total_timed(c) > 1) {
        axis_fmt_time(d, sizeof(d), duration_s(c), 0);
        if (buf_printf(b, " \xC2\xB7 %s", d) == -1)
            return -1;
    }
    if (c->kind == CHART_IO && c->io_count > 0 &&
        buf_printf(b, " \xC2\xB7 %s intervals",
                   fmt_interval(d, sizeof(d), c->io_interval_ns)) == -1)
        return -1;
    return 0;
}

static int put_head(struct buf *b, const struct chart *c, const struct plot *p) {
    const char *title = c->title[0] != '\0' ? c->title : CHART_KINDS[CHART_SIZE].title;

    if (put_root(b, c, p, title) == -1 ||
        buf_printf(b, "<text class=\"ti\" x=\"%d\" y=\"%d\">", PAD, TITLE_Y) == -1 ||
        esc_cut(b, title, (size_t)((p->w - 2 * PAD) / CHAR_W_TITLE)) == -1 ||
        buf_printf(b, "</text>\n<text class=\"st\" x=\"%d\" y=\"%d\">", PAD,
                   SUBTITLE_Y) == -1 ||
        put_subtitle(b, c, p) == -1)
        return -1;
    return buf_puts(b, "</text>\n");
}

static int put_legend(struct buf *b, const struct chart *c, const struct plot *p) {
    double xs[CHART_MAX_SERIES], ys[CHART_MAX_SERIES];
    size_t i;

    if (p->legend_row) {
        legend_rows(c, p->w, xs, ys);
    } else {
        /* one row right of the title */
        xs[0] = p->w - PAD - legend_width(c);
        for (i = 0; i < c->nseries; i++) {
            if (i > 0)
                xs[i] = xs[i - 1] + legend_entry(c, i - 1) + LEGEND_GAP;
            ys[i] = TITLE_Y;
        }
    }
    if (buf_puts(b, "<g class=\"lg\">") == -1)
        return -1;
    for (i = 0; i < c->nseries && i < CHART_MAX_SERIES; i++) {
        if (buf_printf(b,
                       "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"4.5\" fill=\"%s\"/>"
                       "<text x=\"%.2f\" y=\"%.2f\">",
                       xs[i] + 4.5, ys[i] - 4.0, series_color(&c->series[i]), xs[i] + 14,
                       ys[i]) == -1 ||
            esc_cut(b, c->series[i].name, 24) == -1 || buf_puts(b, "</text>") == -1)
            return -1;
    }
    return buf_puts(b, "</g>\n");
}

/* Category labels under the hist bands: "0–19" ... "≥5120", or the lower bounds when
 * narrow. */
static int put_hist_labels(struct buf *b, const struct chart *c, const struct plot *p) {
    char label[HIST_MAX_BUCKETS][32];
    size_t i, w = 0, every, nb = chart_nbuckets(c);
    double band = p->pw / (double)nb;
    int shorter = 0, nano = c->hist_linear && c->series[0].field_nano;

    for (;;) {
        for (i = 0, w = 0; i < nb; i++) {
            uint64_t lo = chart_bucket_lo(c, i), hi = chart_bucket_hi(c, i);

            if (nano)
                fmt_seconds_u(label[i], sizeof(label[i]), lo, 0, 9);
            else if (hi == UINT64_MAX)
                snprintf(label[i], sizeof(label[i]), "\xE2\x89\xA5%" PRIu64, lo);
            else if (shorter || lo == hi)
                snprintf(label[i], sizeof(label[i]), "%" PRIu64, lo);
            else
                snprintf(label[i], sizeof(label[i]), "%" PRIu64 "\xE2\x80\x93%" PRIu64,
                         lo, hi);
            if (utf8_chars(label[i]) > w)
                w = utf8_chars(label[i]);
        }
        if (shorter || nano || (double)w * CHAR_W_TICK + 6 <= band)
            break;
        shorter = 1;
    }
    /* still too wide: label every other (or third...) band */
    every = (size_t)ceil(((double)w * CHAR_W_TICK + 6) / band);
    if (every < 1)
        every = 1;
    for (i = 0; i < nb; i += every)
        if (buf_printf(b, "<text x=\"%.2f\" y=\"%d\">%s</text>", xpix(p, (double)i + 0.5),
                       p->y0 + p->ph + XLABEL_DY, label[i]) == -1)
            return -1;
    return 0;
}

/* The hist's x axis title: "Frame length (bytes)", "tcp.len", "tcp.analysis.ack_rtt (s)".
 */
static const char *hist_xtitle(const struct chart *c, char *dst, size_t n) {
    const struct series *s = &c->series[0];

    if (s->field[0] == '\0')
        return "Frame length (bytes)";
    snprintf(dst, n, "%s%s", s->field,
             s->field_nano       ? " (s)"
             : field_is_bytes(s) ? " (bytes)"
                                 : "");
    return dst;
}

static int put_axes(struct buf *b, const struct chart *c, const struct plot *p) {
    char label[64], xt[MAX_FIELD_NAME_BYTES + 16];
    int bottom = p->y0 + p->ph, right = p->x0 + p->pw;
    double v;
    size_t i;

    /* grid: one path per direction, lines on half pixels so they stay crisp */
    if (buf_puts(b, "<path class=\"gr\" d=\"") == -1)
        return -1;
    for (i = 0; i < p->xa.nticks; i++) {
        v = floor(xpix(p, p->xa.ticks[i])) + 0.5;
        if (buf_printf(b, "M%.1f %dV%d", v, p->y0, bottom) == -1)
            return -1;
    }
    for (i = 0; i < p->ya.nticks; i++) {
        v = floor(ypix(p, p->ya.ticks[i])) + 0.5;
        if (buf_printf(b, "M%d %.1fH%d", p->x0, v, right) == -1)
            return -1;
    }
    /* axis lines and outward tick marks */
    if (buf_printf(b, "\"/>\n<path class=\"ax\" d=\"M%.1f %dV%.1fH%d", p->x0 - 0.5, p->y0,
                   bottom + 0.5, right) == -1)
        return -1;
    for (i = 0; i < p->xa.nticks; i++) {
        v = floor(xpix(p, p->xa.ticks[i])) + 0.5;
        if (buf_printf(b, "M%.1f %dv%d", v, bottom, TICK_LEN) == -1)
            return -1;
    }
    for (i = 0; i < p->ya.nticks; i++) {
        v = floor(ypix(p, p->ya.ticks[i])) + 0.5;
        if (buf_printf(b, "M%d %.1fh%d", p->x0, v, -TICK_LEN) == -1)
            return -1;
    }
    if (buf_puts(b, "\"/>\n<g class=\"tk\" text-anchor=\"middle\">") == -1)
        return -1;
    for (i = 0; i < p->xa.nticks; i++) {
        axis_fmt_time(label, sizeof(label), p->xa.ticks[i], p->xa.step);
        if (buf_printf(b, "<text x=\"%.2f\" y=\"%d\">%s</text>", xpix(p, p->xa.ticks[i]),
                       bottom + XLABEL_DY, label) == -1)
            return -1;
    }
    if (c->kind == CHART_HIST && put_hist_labels(b, c, p) == -1)
        return -1;
    if (buf_puts(b, "</g>\n<g class=\"tk\" text-anchor=\"end\">") == -1)
        return -1;
    for (i = 0; i < p->ya.nticks; i++) {
        ylabel(p, label, sizeof(label), i);
        if (buf_printf(b, "<text x=\"%d\" y=\"%.2f\">%s</text>", p->x0 - TICK_LEN - 4,
                       ypix(p, p->ya.ticks[i]) + 4, label) == -1)
            return -1;
    }
    if (buf_printf(b,
                   "</g>\n<g class=\"at\" text-anchor=\"middle\">"
                   "<text x=\"%.2f\" y=\"%d\">%s</text>"
                   "<text transform=\"translate(%d %.2f) rotate(-90)\">",
                   p->x0 + p->pw / 2.0, bottom + XTITLE_DY,
                   c->kind == CHART_HIST ? hist_xtitle(c, xt, sizeof(xt))
                   : p->t0_ns != 0       ? "Time since the earliest timestamp"
                                         : "Time since first packet",
                   PAD + 10, p->y0 + p->ph / 2.0) == -1)
        return -1;
    /* "Frame length" is never cut (a small chart's title ran past its side as before) */
    if ((c->kind == CHART_SIZE && strcmp(p->ytitle, "Frame length") == 0
             ? buf_puts(b, p->ytitle)
             : esc_cut(b, p->ytitle, (size_t)((p->ph + 30) / CHAR_W_TEXT))) == -1)
        return -1;
    return buf_puts(b, "</text></g>\n");
}

static int put_warnings(struct buf *b, const struct chart *c, const struct plot *p) {
    size_t i, max = (size_t)((p->w - 2 * PAD) / CHAR_W_TICK);
    int y = p->y0 + p->ph + XTITLE_DY + 4;

    if (p->nwarn_lines == 0)
        return 0;
    if (buf_puts(b, "<g class=\"wn\">") == -1)
        return -1;
    for (i = 0; i < p->nwarn_lines; i++) {
        if ((total_packets(c) == 0 && strcmp(c->warnings[i], "no packets") == 0) ||
            strcmp(c->warnings[i], "no packets in the time range") == 0)
            continue; /* the plot says it already */
        y += WARN_LINE;
        if (buf_printf(b, "<text x=\"%d\" y=\"%d\">\xE2\x9A\xA0 ", PAD, y) == -1)
            return -1;
        if (i + 1 == p->nwarn_lines && c->nwarnings > p->nwarn_lines) {
            if (buf_printf(b, "%zu more warnings (see the description)",
                           c->nwarnings - i) == -1)
                return -1;
        } else if (esc_cut(b, c->warnings[i], max - 2) == -1) {
            return -1;
        }
        if (buf_puts(b, "</text>") == -1)
            return -1;
    }
    return buf_puts(b, "</g>\n");
}

/* Nothing to draw: 1, with the message the plot shows in *msg. */
static int is_empty(const struct chart *c, const struct plot *p, const char **msg) {
    int zoom = c->has_start || c->has_end;

    *msg = total_packets(c) == 0                          ? "no packets"
           : zoom && chart_in_range(c) == 0               ? "no packets in the time range"
           : c->kind == CHART_HIST || c->kind == CHART_IO ? "no packets"
                                                          : "no packets with a timestamp";
    if (c->kind == CHART_IO || c->kind == CHART_HIST)
        return p->empty;
    return total_timed(c) == 0;
}

static int put_empty(struct buf *b, const struct chart *c, const struct plot *p) {
    const char *msg;

    is_empty(c, p, &msg);

    return buf_printf(b,
                      "<text class=\"em\" x=\"%.2f\" y=\"%.2f\" "
                      "text-anchor=\"middle\">%s</text>\n",
                      p->x0 + p->pw / 2.0, p->y0 + p->ph / 2.0, msg);
}

/* ---- marks ---- */

/* Dot diameter: smaller as the points get denser. */
static int dot_size(uint64_t n) {
    return n <= 300 ? 5 : n <= 3000 ? 4 : 3;
}

struct keyed {
    uint32_t key; /* pixel, x-major */
    uint32_t idx; /* index in pts */
};

static int cmp_keyed(const void *a, const void *b) {
    const struct keyed *x = a, *y = b;

    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static uint32_t pixel_key(const struct plot *p, int x, int y) {
    return (uint32_t)(x - p->x0) * (uint32_t)(p->ph + 1) + (uint32_t)(y - p->y0);
}

static int open_group(struct buf *b, const struct series *s, size_t si, int width,
                      int tips) {
    return buf_printf(b, "<g class=\"m s%zu%s\" stroke=\"%s\" stroke-width=\"%d\">", si,
                      tips ? " tt" : "", series_color(s), width);
}

/* Exact points as dots, one per pixel, each with the frames there as a tooltip. */
static int dots_tips(struct buf *b, const struct plot *p, const struct series *s,
                     size_t si, int dot) {
    struct keyed *k = NULL;
    size_t i, j, n = 0;
    char t[32], val[32];
    int rc = -1;

    if (s->npts > 0 && (k = calloc(s->npts, sizeof(*k))) == NULL)
        goto done;
    for (i = 0; i < s->npts; i++) {
        if (s->pts[i].t_ns == NO_TIME)
            continue;
        k[n].key = pixel_key(p, xmark_ns(p, s->pts[i].t_ns), ymark(p, s->pts[i].len));
        k[n++].idx = (uint32_t)i;
    }
    qsort(k, n, sizeof(*k), cmp_keyed);
    if (open_group(b, s, si, dot, 1) == -1)
        goto done;
    for (i = 0; i < n; i = j) {
        const struct point *pt = &s->pts[k[i].idx];

        if (buf_printf(b, "<path d=\"M%d %dh0\"><title>", xmark_ns(p, pt->t_ns),
                       ymark(p, pt->len)) == -1)
            goto done;
        for (j = i; j < n && k[j].key == k[i].key; j++) {
            pt = &s->pts[k[j].idx];
            if (j - i == TIP_FRAMES) {
                size_t more = 0;

                while (j + more < n && k[j + more].key == k[i].key)
                    more++;
                if (buf_printf(b, "\nand %zu more", more) == -1)
                    goto done;
                j += more;
                break;
            }
            if (buf_printf(b, "%sframe %" PRIu64 ": %s s, %s", j > i ? "\n" : "",
                           pt->number, fmt_seconds(t, sizeof(t), pt->t_ns, 6, 9),
                           fmt_series_exact(val, sizeof(val), s, pt->len)) == -1)
                goto done;
        }
        if (buf_puts(b, "</title></path>") == -1)
            goto done;
    }
    rc = buf_puts(b, "</g>\n");
done:
    free(k);
    return rc;
}

/* Exact points as dots in one path, one per pixel. */
static int dots_plain(struct buf *b, const struct plot *p, const struct series *s,
                      size_t si, int dot) {
    size_t nbits = (size_t)(p->pw + 1) * (size_t)(p->ph + 1), i, bit;
    unsigned char *map = NULL;
    int rc = -1;

    if ((map = calloc(nbits / 8 + 1, 1)) == NULL)
        goto done;
    for (i = 0; i < s->npts; i++) {
        if (s->pts[i].t_ns == NO_TIME)
            continue;
        bit = pixel_key(p, xmark_ns(p, s->pts[i].t_ns), ymark(p, s->pts[i].len));
        map[bit / 8] |= (unsigned char)(1u << (bit % 8));
    }
    if (open_group(b, s, si, dot, 0) == -1 || buf_puts(b, "<path d=\"") == -1)
        goto done;
    for (bit = 0; bit < nbits; bit++) {
        if (map[bit / 8] == 0) {
            bit |= 7; /* skip the empty byte */
            continue;
        }
        if ((map[bit / 8] & (1u << (bit % 8))) != 0 &&
            buf_printf(b, "M%d %dh0", p->x0 + (int)(bit / (size_t)(p->ph + 1)),
                       p->y0 + (int)(bit % (size_t)(p->ph + 1))) == -1)
            goto done;
    }
    rc = buf_puts(b, "\"/></g>\n");
done:
    free(map);
    return rc;
}

/* One stem from y of lo to y of hi at x (a dot when they meet). */
static int stem_d(struct buf *b, int x, int ylo, int yhi) {
    if (ylo == yhi)
        return buf_printf(b, "M%d %dh0", x, ylo);
    return buf_printf(b, "M%d %dV%d", x, ylo, yhi);
}

/* Exact points as one min-max stem per pixel column (too many dots otherwise). */
static int stems_exact(struct buf *b, const struct plot *p, const struct series *s,
                       size_t si) {
    size_t ncol = (size_t)p->pw + 1, i;
    uint64_t *lo = NULL, *hi = NULL;
    int rc = -1, x;

    if ((lo = calloc(ncol, sizeof(*lo))) == NULL ||
        (hi = calloc(ncol, sizeof(*hi))) == NULL)
        goto done;
    for (i = 0; i < ncol; i++)
        lo[i] = UINT64_MAX;
    for (i = 0; i < s->npts; i++) {
        const struct point *pt = &s->pts[i];

        if (pt->t_ns == NO_TIME)
            continue;
        x = xmark_ns(p, pt->t_ns) - p->x0;
        if (pt->len < lo[x])
            lo[x] = pt->len;
        if (pt->len >= hi[x])
            hi[x] = pt->len;
    }
    if (open_group(b, s, si, 2, 0) == -1 || buf_puts(b, "<path d=\"") == -1)
        goto done;
    for (i = 0; i < ncol; i++)
        if (lo[i] != UINT64_MAX &&
            stem_d(b, p->x0 + (int)i, ymark(p, lo[i]), ymark(p, hi[i])) == -1)
            goto done;
    rc = buf_puts(b, "\"/></g>\n");
done:
    free(lo);
    free(hi);
    return rc;
}

/* Columns that fall on one pixel, merged. */
struct stem {
    int x;
    size_t c0, c1; /* first and last column */
    uint64_t count;
    struct point min, max;
};

/* x of column i: its middle, kept within the series' time range. */
static int column_x(const struct plot *p, const struct series *s, size_t i) {
    double t = rel_s(p, s->origin_ns) + ((double)i + 0.5) * ns_to_s(s->width_ns);

    if (t < rel_s(p, s->t_min_ns))
        t = rel_s(p, s->t_min_ns);
    if (t > rel_s(p, s->t_max_ns))
        t = rel_s(p, s->t_max_ns);
    return xmark(p, t);
}

/* Next stem at or after column *i; 0 when there is none. */
static int next_stem(const struct plot *p, const struct series *s, size_t *i,
                     struct stem *st) {
    const struct column *col;

    while (*i < s->ncols && s->cols[*i].count == 0)
        (*i)++;
    if (*i >= s->ncols)
        return 0;
    col = &s->cols[*i];
    st->x = column_x(p, s, *i);
    st->c0 = st->c1 = *i;
    st->count = col->count;
    st->min = col->min;
    st->max = col->max;
    for ((*i)++; *i < s->ncols; (*i)++) {
        col = &s->cols[*i];
        if (col->count == 0)
            continue;
        if (column_x(p, s, *i) != st->x)
            break;
        st->c1 = *i;
        st->count += col->count;
        if (col->min.len < st->min.len)
            st->min = col->min;
        if (col->max.len > st->max.len)
            st->max = col->max;
    }
    return 1;
}

static size_t count_stems(const struct plot *p, const struct series *s) {
    struct stem st;
    size_t i = 0, n = 0;

    while (next_stem(p, s, &i, &st))
        n++;
    return n;
}

static int64_t col_edge(const struct series *s, size_t i) {
    uint64_t off = (uint64_t)i * (uint64_t)s->width_ns;

    if (off > (uint64_t)INT64_MAX - (uint64_t)s->origin_ns)
        return INT64_MAX;
    return (int64_t)((uint64_t)s->origin_ns + off);
}

static int stem_tip(struct buf *b, const struct series *s, const struct stem *st) {
    int64_t t0 = col_edge(s, st->c0), t1 = col_edge(s, st->c1 + 1);
    char a[32], z[32], n[32];
    int dec;

    if (t0 < s->t_min_ns)
        t0 = s->t_min_ns;
    if (t1 > s->t_max_ns)
        t1 = s->t_max_ns;
    /* enough decimals to tell the two ends apart */
    dec = t1 > t0 ? 10 - (int)ceil(log10((double)((uint64_t)t1 - (uint64_t)t0))) : 9;
    dec = dec < 0 ? 0 : dec > 9 ? 9 : dec;
    fmt_seconds(a, sizeof(a), t0, dec, dec);
    fmt_seconds(z, sizeof(z), t1, dec, dec);
    fmt_thousands(n, sizeof(n), st->count);
    return buf_printf(b,
                      "<title>%s\xE2\x80\x93%s s: %s packet%s\nsmallest %" PRIu64
                      " B (frame %" PRIu64 "), largest %" PRIu64 " B (frame %" PRIu64
                      ")</title>",
                      a, z, n, st->count == 1 ? "" : "s", st->min.len, st->min.number,
                      st->max.len, st->max.number);
}

/* Decimated series: one min-max stem per pixel column of columns. */
static int stems_columns(struct buf *b, const struct plot *p, const struct series *s,
                         size_t si, int tips) {
    struct stem st;
    size_t i = 0;

    if (open_group(b, s, si, 2, tips) == -1 || (!tips && buf_puts(b, "<path d=\"") == -1))
        return -1;
    while (next_stem(p, s, &i, &st)) {
        if (tips && buf_puts(b, "<path d=\"") == -1)
            return -1;
        if (stem_d(b, st.x, ymark(p, st.min.len), ymark(p, st.max.len)) == -1)
            return -1;
        if (tips && (buf_puts(b, "\">") == -1 || stem_tip(b, s, &st) == -1 ||
                     buf_puts(b, "</path>") == -1))
            return -1;
    }
    return buf_puts(b, tips ? "</g>\n" : "\"/></g>\n");
}

/* ---- io marks ---- */

/* Seconds since t0_ns of ns, wrapping instead of overflowing far off the view. */
static double io_rel(const struct plot *p, int64_t ns) {
    return (double)(int64_t)((uint64_t)ns - (uint64_t)p->t0_ns) / 1e9;
}

/* x (px, not clamped) of interval k's point: its start, as in the JSON. */
static double io_x(const struct chart *c, const struct plot *p, size_t k) {
    return xpix(p, io_rel(p, chart_io_start(c, k)));
}

/* y (px, not rounded) of a value, clamped to the plot; log: zeros on the floor. */
static double yvalue_d(const struct plot *p, double v) {
    double y;

    if (p->ylog)
        v = v > 0 ? log10(v) : p->ylo;
    y = ypix(p, v);
    return y < p->y0 ? p->y0 : y > p->y0 + p->ph ? p->y0 + p->ph : y;
}

/*
 * One polyline, built point by point. Points on one pixel column are drawn
 * as a vertical run through the first, the extremes and the last, so the
 * path stays within a few commands per column however many intervals.
 */
struct pen {
    struct buf *b;
    int started, have;
    int x, first, top, bottom, last; /* the column being collected */
};

static int pen_flush(struct pen *pn) {
    int y;

    if (!pn->have)
        return 0;
    if (buf_printf(pn->b, "%c%d %d", pn->started ? 'L' : 'M', pn->x, pn->first) == -1)
        return -1;
    pn->started = 1;
    pn->have = 0;
    y = pn->first;
    if (pn->top != y && buf_printf(pn->b, "V%d", (y = pn->top)) == -1)
        return -1;
    if (pn->bottom != y && buf_printf(pn->b, "V%d", (y = pn->bottom)) == -1)
        return -1;
    if (pn->last != y && buf_printf(pn->b, "V%d", pn->last) == -1)
        return -1;
    return 0;
}

static int pen_to(struct pen *pn, double xd, double yd) {
    int x = (int)lround(xd), y = (int)lround(yd);

    if (pn->have && x == pn->x) {
        if (y < pn->top)
            pn->top = y;
        if (y > pn->bottom)
            pn->bottom = y;
        pn->last = y;
        return 0;
    }
    if (pen_flush(pn) == -1)
        return -1;
    pn->have = 1;
    pn->x = x;
    pn->first = pn->top = pn->bottom = pn->last = y;
    return 0;
}

/* Pixels between two interval points. */
static double io_spacing(const struct chart *c, const struct plot *p) {
    return p->pw * ns_to_s(c->io_interval_ns) / (p->xhi - p->xlo);
}

static int io_line(struct buf *b, const struct chart *c, const struct plot *p,
                   size_t si) {
    const double left = p->x0, right = p->x0 + p->pw;
    struct pen pn = {b, 0, 0, 0, 0, 0, 0, 0};
    double x, y, xprev = 0, yprev = 0;
    struct io_values it;
    size_t k;

    if (buf_printf(b, "<path class=\"ln s%zu\" stroke=\"%s\" stroke-width=\"%s\" d=\"",
                   si, series_color(&c->series[si]),
                   c->nseries <= 2   ? "2"
                   : c->nseries <= 4 ? "1.75"
                                     : "1.5") == -1)
        return -1;
    chart_io_begin(&it, c, si);
    for (k = 0; k < c->io_count; k++) {
        y = yvalue_d(p, chart_io_next(&it));
        x = io_x(c, p, k);
        /* with a zoom the first point may lie left of the plot: enter at its edge */
        if (x >= left && k > 0 && xprev < left &&
            pen_to(&pn, left, yprev + (y - yprev) * (left - xprev) / (x - xprev)) == -1)
            return -1;
        if (x >= left && x <= right + 0.5 && pen_to(&pn, x, y) == -1)
            return -1;
        xprev = x;
        yprev = y;
    }
    if (pen_flush(&pn) == -1)
        return -1;
    /* a lone point would be invisible as a path of one move */
    if (c->io_count == 1 && buf_puts(b, "h0") == -1)
        return -1;
    return buf_puts(b, "\"/>\n");
}

/* Dots on the points when they are far enough apart to be told apart. */
static int io_dots(struct buf *b, const struct chart *c, const struct plot *p,
                   size_t si) {
    struct io_values it;
    double x;
    size_t k;

    if (buf_printf(b, "<path class=\"dt s%zu\" stroke=\"%s\" stroke-width=\"%d\" d=\"",
                   si, series_color(&c->series[si]), c->nseries <= 2 ? 6 : 5) == -1)
        return -1;
    chart_io_begin(&it, c, si);
    for (k = 0; k < c->io_count; k++) {
        double v = chart_io_next(&it);

        x = io_x(c, p, k);
        if (x < p->x0 || x > p->x0 + p->pw + 0.5)
            continue;
        if (buf_printf(b, "M%ld %ldh0", lround(x), lround(yvalue_d(p, v))) == -1)
            return -1;
    }
    return buf_puts(b, "\"/>\n");
}

/*
 * One hover band per interval, centred on its points, whose tooltip gives
 * the interval and every series' value there.
 */
static int io_bands(struct buf *b, const struct chart *c, const struct plot *p) {
    struct io_values it[CHART_MAX_SERIES];
    double sp = io_spacing(c, p), x, x0, x1;
    char a[32], z[32], v[64];
    size_t k, si;

    for (si = 0; si < c->nseries && si < CHART_MAX_SERIES; si++)
        chart_io_begin(&it[si], c, si);
    if (buf_puts(b, "<g class=\"hbs\">") == -1)
        return -1;
    for (k = 0; k < c->io_count; k++) {
        double vals[CHART_MAX_SERIES];

        for (si = 0; si < c->nseries && si < CHART_MAX_SERIES; si++)
            vals[si] = chart_io_next(&it[si]);
        x = io_x(c, p, k);
        x0 = fmax(x - sp / 2, p->x0);
        x1 = fmin(x + sp / 2, p->x0 + p->pw);
        if (x1 - x0 < 0.5)
            continue;
        fmt_seconds(a, sizeof(a), chart_io_start(c, k), p->tip_dec, p->tip_dec);
        fmt_seconds(z, sizeof(z), chart_io_start(c, k + 1), p->tip_dec, p->tip_dec);
        if (buf_printf(b,
                       "<rect class=\"hb\" x=\"%.2f\" y=\"%d\" width=\"%.2f\" "
                       "height=\"%d\"><title>%s\xE2\x80\x93%s s",
                       x0, p->y0, x1 - x0, p->ph, a, z) == -1)
            return -1;
        for (si = 0; si < c->nseries && si < CHART_MAX_SERIES; si++) {
            fmt_io_value(v, sizeof(v), vals[si], it[si].integral);
            if (buf_puts(b, "\n") == -1 || esc_cut(b, c->series[si].name, 24) == -1 ||
                buf_printf(b, ": %s %s", v, chart_io_y(c->io_y)->unit) == -1)
                return -1;
        }
        if (buf_puts(b, "</title></rect>") == -1)
            return -1;
    }
    return buf_puts(b, "</g>\n");
}

static int put_marks_io(struct buf *b, const struct chart *c, const struct plot *p,
                        int tips) {
    double sp = io_spacing(c, p);
    size_t si;

    if (tips && io_bands(b, c, p) == -1)
        return -1;
    for (si = 0; si < c->nseries; si++)
        if (io_line(b, c, p, si) == -1)
            return -1;
    for (si = 0; si < c->nseries && sp >= 8; si++)
        if (io_dots(b, c, p, si) == -1)
            return -1;
    return 0;
}

/* ---- hist marks ---- */

/* One hover band per bucket, whose tooltip gives every series' count there. */
static int hist_bands(struct buf *b, const struct chart *c, const struct plot *p) {
    double band = p->pw / (double)chart_nbuckets(c);
    char n[32], sh[24], bn[96];
    size_t si, k;

    if (buf_puts(b, "<g class=\"hbs\">") == -1)
        return -1;
    for (k = 0; k < chart_nbuckets(c); k++) {
        if (buf_printf(b,
                       "<rect class=\"hb\" x=\"%.2f\" y=\"%d\" width=\"%.2f\" "
                       "height=\"%d\"><title>%s",
                       p->x0 + k * band, p->y0, band, p->ph,
                       bucket_name(bn, sizeof(bn), c, k)) == -1)
            return -1;
        for (si = 0; si < c->nseries; si++) {
            const struct series *s = &c->series[si];

            fmt_thousands(n, sizeof(n), s->buckets[k]);
            if (buf_puts(b, "\n") == -1 || esc_cut(b, s->name, 24) == -1 ||
                buf_printf(b, ": %s packet%s (%s)", n, s->buckets[k] == 1 ? "" : "s",
                           fmt_share(sh, sizeof(sh), s->buckets[k], s->packets)) == -1)
                return -1;
        }
        if (buf_puts(b, "</title></rect>") == -1)
            return -1;
    }
    return buf_puts(b, "</g>\n");
}

/* The bars of series si, grouped by bucket; with tips a <title> on each. */
static int hist_bars(struct buf *b, const struct chart *c, const struct plot *p,
                     size_t si, int tips) {
    const struct series *s = &c->series[si];
    double band = p->pw / (double)chart_nbuckets(c), group, bw, gap, x;
    size_t k, ns = c->nseries > 0 ? c->nseries : 1;
    int base = p->y0 + p->ph, y;
    char n[32], sh[24], bn[96];

    group = band * (ns == 1 ? 0.7 : 0.84);
    bw = group / (double)ns;
    gap = ns > 1 && bw >= 4 ? 1 : 0;
    if (buf_printf(b, "<g class=\"br s%zu\" fill=\"%s\">", si, series_color(s)) == -1)
        return -1;
    for (k = 0; k < chart_nbuckets(c); k++) {
        if (s->buckets[k] == 0)
            continue;
        x = p->x0 + k * band + (band - group) / 2 + (double)si * bw;
        y = yvalue(p, (double)s->buckets[k]);
        if (y > base - 1)
            y = base - 1; /* a count is never drawn as nothing */
        if (buf_printf(b, "<rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\"", x, y,
                       bw - gap, base - y) == -1)
            return -1;
        if (!tips) {
            if (buf_puts(b, "/>") == -1)
                return -1;
            continue;
        }
        fmt_thousands(n, sizeof(n), s->buckets[k]);
        if (buf_puts(b, "><title>") == -1 || esc_cut(b, s->name, 24) == -1 ||
            buf_printf(b, " \xC2\xB7 %s: %s packet%s (%s)</title></rect>",
                       bucket_name(bn, sizeof(bn), c, k), n,
                       s->buckets[k] == 1 ? "" : "s",
                       fmt_share(sh, sizeof(sh), s->buckets[k], s->packets)) == -1)
            return -1;
    }
    return buf_puts(b, "</g>\n");
}

/* One series: its counts over the bars, where they fit. */
static int hist_counts(struct buf *b, const struct chart *c, const struct plot *p) {
    const struct series *s = &c->series[0];
    double band = p->pw / (double)chart_nbuckets(c);
    char n[32];
    size_t k;
    int y;

    if (buf_puts(b, "<g class=\"bl\" text-anchor=\"middle\">") == -1)
        return -1;
    for (k = 0; k < chart_nbuckets(c); k++) {
        if (s->buckets[k] == 0)
            continue;
        fmt_thousands(n, sizeof(n), s->buckets[k]);
        if ((double)utf8_chars(n) * 5.8 + 2 > band)
            continue;
        y = yvalue(p, (double)s->buckets[k]);
        if (buf_printf(b, "<text x=\"%.2f\" y=\"%d\">%s</text>", p->x0 + (k + 0.5) * band,
                       y - 4 < p->y0 + 9 ? y + 12 : y - 4, n) == -1)
            return -1;
    }
    return buf_puts(b, "</g>\n");
}

static int put_marks_hist(struct buf *b, const struct chart *c, const struct plot *p,
                          int tips) {
    size_t si;

    if (tips && hist_bands(b, c, p) == -1)
        return -1;
    for (si = 0; si < c->nseries; si++)
        if (hist_bars(b, c, p, si, tips) == -1)
            return -1;
    if (c->nseries != 1)
        return 0;
    return hist_counts(b, c, p);
}

/*
 * Draw every series into b. level 0: tooltips when allowed; 1: no tooltips;
 * 2: exact series as stems too.
 */
static int put_marks(struct buf *b, const struct chart *c, const struct plot *p,
                     int level, int tips) {
    uint64_t timed = total_timed(c);
    size_t si;
    int dot = dot_size(timed);

    if (c->kind == CHART_IO)
        return put_marks_io(b, c, p, level == 0 && tips);
    if (c->kind == CHART_HIST)
        return put_marks_hist(b, c, p, level == 0 && tips);
    for (si = 0; si < c->nseries; si++) {
        const struct series *s = &c->series[si];
        int rc;

        if (s->timed == 0)
            continue;
        if (s->decimated)
            rc = stems_columns(b, p, s, si, level == 0 && tips);
        else if (level == 2)
            rc = stems_exact(b, p, s, si);
        else if (level == 0 && tips)
            rc = dots_tips(b, p, s, si, dot);
        else
            rc = dots_plain(b, p, s, si, dot);
        if (rc == -1)
            return -1;
    }
    return 0;
}

int svg_render(const struct chart *c, struct buf *out, struct err *err) {
    struct buf layer = BUF_INIT(0);
    size_t start = out->len, marks = 0, si, used;
    const char *msg;
    struct plot p;
    int level;

    layout(c, &p);
    if (put_head(out, c, &p) == -1 || put_legend(out, c, &p) == -1 ||
        put_axes(out, c, &p) == -1 || put_warnings(out, c, &p) == -1)
        goto fail;
    if (is_empty(c, &p, &msg)) {
        if (put_empty(out, c, &p) == -1)
            goto fail;
    } else {
        for (si = 0; si < c->nseries && c->kind == CHART_SIZE; si++) {
            const struct series *s = &c->series[si];

            marks += s->decimated ? count_stems(&p, s) : (size_t)s->timed;
        }
        if (c->kind != CHART_SIZE)
            marks = p.nmarks;
        /*
         * The marks come last, drawn into their own buf whose cap keeps the
         * document under SVG_TARGET_BYTES; past it, drop the tooltips, then
         * draw exact series as stems (bounded by the plot width).
         */
        used = out->len - start + 16;
        for (level = 0; level < 3; level++) {
            buf_release(&layer);
            buf_init(&layer, level < 2 && used < SVG_TARGET_BYTES
                                 ? SVG_TARGET_BYTES - used
                                 : out->max);
            if (level == 0 && marks > SVG_TOOLTIP_MAX_POINTS)
                continue; /* same as level 1 */
            if (put_marks(&layer, c, &p, level, marks <= SVG_TOOLTIP_MAX_POINTS) == 0)
                break;
            if (errno != E2BIG)
                goto fail;
        }
        if (level == 3 || (layer.len > 0 && buf_append(out, layer.data, layer.len) == -1))
            goto fail;
    }
    if (buf_puts(out, "</svg>\n") == -1)
        goto fail;
    buf_release(&layer);
    return 0;
fail:
    buf_release(&layer);
    if (errno == E2BIG)
        return err_set(err, 500, "chart larger than %d MiB",
                       (int)(MAX_SVG_BYTES / (1024 * 1024)));
    return err_set(err, 500, "out of memory for the chart");
}
