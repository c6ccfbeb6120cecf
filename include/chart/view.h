/*
 * view.h - what one request asks to see: chart parameters from the query
 * string and the form fields, strictly checked, into a struct view.
 *
 * Parameters (every one optional; an empty value of a single-valued one
 * counts as not given, and when one is given twice the last one wins):
 *   kind=size|io|hist        chart kind (default size)
 *   format=html|svg|json|csv representation (the default depends on the route)
 *   filter=F (repeated)      one series per filter, at most MAX_SERIES, in order;
 *                            "" is every packet; none: one series of every packet
 *   name=N, color=#rrggbb    paired in order with the filters (never more of them
 *   field=NAME               than filters, or than 1 when there is no filter);
 *                            a series with no filter, name or field is skipped,
 *                            which is how a blank row of the form is left out.
 *                            field: the series charts the values of that tshark
 *                            field (every occurrence) instead of frame.len ("" and
 *                            "frame.len" are the default); the pipeline checks it
 *                            against tshark's list (tshark/catalog.h). kind=io of
 *                            a field: y is sum unless given, and one of the y that
 *                            read the field (sum min max avg count sum/s);
 *                            kind=hist: every series of the same field
 *   interval=auto|SECONDS    io interval, "0.001", "1ms", "250us", "1µs"; 1 µs..1 day
 *   y=packets|bytes|bits|packets/s|bytes/s|bits/s|sum|min|max|avg|count|sum/s  io value
 *   sma=N                    io moving average over N intervals (0..MAX_SMA)
 *   log=0|1                  io logarithmic y axis
 *   split=FIELD, top=N       one series per value of FIELD (its first one in a
 *                            packet, as tshark prints it): the N (1..SPLIT_MAX_TOP,
 *                            default SPLIT_DEFAULT_TOP) with the most bytes, then
 *                            "other"; at most one filter (applied first), whose
 *                            field= each of them charts (pipeline.h has the passes)
 *   start=S, end=S           zoom, seconds relative to the first packet (start < end)
 *   width=W, height=H, max_points=N   as before (MIN/MAX_*_PX, 0..MAX_POINTS_LIMIT)
 *   retain=0|1               1 (default): keep the upload in the store for later views
 *   filename=NAME            the file name shown by a view of a stored capture
 * Unknown parameters are ignored. Every error is a 400 whose message names the
 * parameter (and the series, for filter, name and color).
 *
 * Threads: a struct view belongs to one request.
 */
#ifndef VIEW_H
#define VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "chart/chart.h"
#include "config.h"
#include "base/err.h"

enum view_format { VIEW_HTML = 0, VIEW_SVG, VIEW_JSON, VIEW_CSV };

struct view_series {
    char filter[MAX_FIELD_BYTES];     /* display filter; "" for every packet */
    char name[64];                    /* legend text; "" to derive it from the filter */
    char color[8];                    /* "#rrggbb" (lower case); "" for the palette's */
    char field[MAX_FIELD_NAME_BYTES]; /* field whose values are charted; "": frame.len */
    enum field_class field_class;     /* its class (pipeline_check_view sets it) */
};

struct view {
    enum chart_kind kind;
    enum view_format format;
    int has_format;      /* format was given */
    int width, height;   /* 0: default */
    size_t max_points;   /* 0: default */
    int64_t interval_ns; /* 0: automatic */
    enum io_y io_y;
    unsigned sma; /* 0: off */
    int log_y;
    int has_start, has_end;
    int64_t start_ns, end_ns;
    int retain;                            /* default 1 */
    char filename[MAX_FILENAME_BYTES + 1]; /* "" when not given */

    /* series, in order; after view_finish only the ones kept, nseries of them */
    struct view_series series[MAX_SERIES];
    size_t nseries; /* 0: one series of every packet (the chart's default) */
    size_t nfilters, nnames, ncolors, nfields; /* parameters seen (parsing state) */
    int any_name, any_color, any_field;        /* a non-empty one was given */
    int has_y;                                 /* y was given */
    char split[MAX_FIELD_NAME_BYTES]; /* split=: one series per value of it; "" none */
    unsigned top;                     /* with split: that many values, then "other" */
    int split_quote; /* its values are strings (pipeline_check_view sets it) */
};

/* Reset v to every default, with format def (the route's). */
void view_init(struct view *v, enum view_format def);

/* 1 when key (borrowed) is a parameter of a view, else 0. */
int view_known_key(const char *key);

/*
 * Apply one parameter: key (borrowed, NUL-terminated) and len bytes of val
 * (borrowed; not NUL-terminated, may hold a NUL, which is refused). Unknown
 * keys are ignored. 0, or -1 with err (400 naming the parameter).
 */
int view_set(struct view *v, const char *key, const char *val, size_t len,
             struct err *err);

/*
 * Forget the filter, name and color parameters seen so far (a form that
 * carries series replaces the query's series as a whole).
 */
void view_clear_series(struct view *v);

/*
 * After the last view_set: pair names and colours with filters, skip blank
 * series, check what concerns several parameters (start < end). 0, or -1
 * with err (400).
 */
int view_finish(struct view *v, struct err *err);

/*
 * chart_init c (contents must be released or never initialised) with the
 * view's size and max_points, then set its kind, io and zoom parameters and
 * series: a series without a name is named after its filter ("All packets"
 * for an empty one); with no series the chart keeps its default one.
 */
void view_apply(const struct view *v, struct chart *c);

/*
 * Append the canonical query string of v (without '?') to out: every
 * parameter that differs from its default, in a fixed order, percent-encoded,
 * with neither format nor retain (the caller adds format=). Equal views give
 * equal strings. 0, or -1 when out's cap is reached.
 */
int view_query(const struct view *v, struct buf *out);

/* "html", "svg", "json", "csv". Static string. */
const char *view_format_name(enum view_format f);

/* view_format_name's inverse: 0 and *f, or -1 when s names no format. */
int view_format_parse(const char *s, enum view_format *f);

#endif
