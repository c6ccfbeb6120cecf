/* export.c - see export.h */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/escape.h"
#include "base/fmt.h"
#include "chart/io.h"
#include "chart/names.h"
#include "render/export.h"
#include "banned.h"

#define NO_TIME INT64_MIN

/* The failure of an append, as the err the caller returns. */
static int out_fail(struct err *err) {
    if (errno == E2BIG)
        return err_set(err, 500, "export larger than %d MiB",
                       (int)(MAX_EXPORT_BYTES / (1024 * 1024)));
    return err_set(err, 500, "out of memory for the export");
}

/* Start of column i, saturating past INT64_MAX (only t1 of a last column can). */
static int64_t col_t(const struct series *s, size_t i) {
    uint64_t off = (uint64_t)i * (uint64_t)s->width_ns;
    uint64_t room = (uint64_t)INT64_MAX - (uint64_t)s->origin_ns;

    if (off > room)
        return INT64_MAX;
    return (int64_t)((uint64_t)s->origin_ns + off);
}

static int point_before(const struct point *a, const struct point *b) {
    return a->t_ns < b->t_ns || (a->t_ns == b->t_ns && a->number < b->number);
}

/*
 * The packets a column keeps (first, min, max, last), each once, in time
 * order (frame number on equal times). Returns how many (1..4).
 */
static size_t column_points(const struct column *col, struct point out[4]) {
    const struct point *cand[4] = {&col->first, &col->min, &col->max, &col->last};
    size_t n = 0, i, j;

    for (i = 0; i < 4; i++) {
        for (j = 0; j < n; j++)
            if (out[j].number == cand[i]->number && out[j].t_ns == cand[i]->t_ns)
                break;
        if (j < n)
            continue;
        /* insertion sort of at most four */
        for (j = n; j > 0 && point_before(cand[i], &out[j - 1]); j--)
            out[j] = out[j - 1];
        out[j] = *cand[i];
        n++;
    }
    return n;
}

/* Points the export lists for a series. */
static uint64_t series_points(const struct series *s) {
    struct point tmp[4];
    uint64_t n = 0;
    size_t i;

    if (!s->decimated)
        return s->npts;
    for (i = 0; i < s->ncols; i++)
        if (s->cols[i].count > 0)
            n += column_points(&s->cols[i], tmp);
    return n;
}

static int any_decimated(const struct chart *c) {
    size_t i;

    for (i = 0; i < c->nseries; i++)
        if (c->series[i].decimated)
            return 1;
    return 0;
}

/* t_max - t_min over every timed packet, as seconds; 0 when there is none (null). */
static int duration(const struct chart *c, char *dst, size_t n) {
    int64_t lo, hi;
    int any = chart_timed_extent(c, &lo, &hi);

    fmt_seconds_u(dst, n, (uint64_t)hi - (uint64_t)lo, 9, 9);
    return any;
}

/*
 * A value of s as text: frame lengths and integer fields as they are, a
 * field kept in nano-units with 9 decimals (its seconds, for times).
 */
static char *value_text(char *dst, size_t n, const struct series *s, uint64_t v) {
    if (s->field_nano)
        return fmt_seconds_u(dst, n, v, 9, 9);
    snprintf(dst, n, "%" PRIu64, v);
    return dst;
}

static int json_point(struct buf *out, const struct series *s, const struct point *pt,
                      int first) {
    char t[32], v[32];

    if (pt->t_ns == NO_TIME)
        snprintf(t, sizeof(t), "null");
    else
        fmt_seconds(t, sizeof(t), pt->t_ns, 9, 9);
    return buf_printf(out, "%s\n[%s,%s]", first ? "" : ",", t,
                      value_text(v, sizeof(v), s, pt->len));
}

static int json_points(struct buf *out, const struct series *s) {
    struct point kept[4];
    size_t i, j, k, n = 0;

    if (buf_puts(out, "\"points\": [") == -1)
        return -1;
    if (!s->decimated) {
        for (i = 0; i < s->npts; i++)
            if (json_point(out, s, &s->pts[i], i == 0) == -1)
                return -1;
        n = s->npts;
    } else {
        for (i = 0; i < s->ncols; i++) {
            if (s->cols[i].count == 0)
                continue;
            k = column_points(&s->cols[i], kept);
            for (j = 0; j < k; j++, n++)
                if (json_point(out, s, &kept[j], n == 0) == -1)
                    return -1;
        }
    }
    return buf_puts(out, n > 0 ? "\n]" : "]");
}

static int json_columns(struct buf *out, const struct series *s) {
    char t0[32], t1[32], sum[32], lo[32], hi[32];
    size_t i;
    int first = 1;

    if (buf_puts(out, "\"columns\": [") == -1)
        return -1;
    for (i = 0; i < s->ncols; i++) {
        const struct column *col = &s->cols[i];

        if (col->count == 0)
            continue;
        fmt_seconds(t0, sizeof(t0), col_t(s, i), 9, 9);
        fmt_seconds(t1, sizeof(t1), col_t(s, i + 1), 9, 9);
        /* a field's column: the sum of its values, not bytes */
        if (buf_printf(out,
                       "%s\n{\"t0\": %s, \"t1\": %s, \"count\": %" PRIu64
                       ", \"%s\": %s, \"min\": %s, \"max\": %s}",
                       first ? "" : ",", t0, t1, col->count,
                       s->field[0] != '\0' ? "sum" : "bytes",
                       value_text(sum, sizeof(sum), s, col->bytes),
                       value_text(lo, sizeof(lo), s, col->min.len),
                       value_text(hi, sizeof(hi), s, col->max.len)) == -1)
            return -1;
        first = 0;
    }
    return buf_puts(out, first ? "]" : "\n]");
}

static int json_series_head(struct buf *out, const struct chart *c,
                            const struct series *s);

static int json_series(struct buf *out, const struct chart *c, const struct series *s) {
    uint64_t npoints, ppp;

    if (json_series_head(out, c, s) == -1)
        return -1;
    if (s->decimated) {
        npoints = series_points(s);
        /* hundredths, rounded, in integers: no locale and no float noise */
        ppp = npoints == 0 ? 0 : (s->timed * 100 + npoints / 2) / npoints;
        if (buf_printf(out, "\"packets_per_point\": %" PRIu64 ".%02" PRIu64 ",\n",
                       ppp / 100, ppp % 100) == -1 ||
            json_columns(out, s) == -1 || buf_puts(out, ",\n") == -1)
            return -1;
    }
    if (json_points(out, s) == -1)
        return -1;
    return buf_puts(out, "}");
}

static int zoomed(const struct chart *c) {
    return c->has_start || c->has_end;
}

/*
 * ", "split": "ip.src", "top": 5" with a split; ", "start": s|null, "end":
 * s|null, "in_range": N" when a zoom is set.
 */
static int json_zoom(struct buf *out, const struct chart *c) {
    char a[32], z[32];

    if (c->split[0] != '\0' &&
        (buf_puts(out, ", \"split\": ") == -1 || esc_json(out, c->split) == -1 ||
         buf_printf(out, ", \"top\": %u", c->top) == -1))
        return -1;
    if (!zoomed(c))
        return 0;
    if (c->has_start)
        fmt_seconds(a, sizeof(a), c->start_ns, 9, 9);
    else
        snprintf(a, sizeof(a), "null");
    if (c->has_end)
        fmt_seconds(z, sizeof(z), c->end_ns, 9, 9);
    else
        snprintf(z, sizeof(z), "null");
    return buf_printf(out, ", \"start\": %s, \"end\": %s, \"in_range\": %" PRIu64, a, z,
                      chart_in_range(c));
}

/* The keys every kind's series starts with. */
static int json_series_head(struct buf *out, const struct chart *c,
                            const struct series *s) {
    char sum[32];

    if (buf_puts(out, "{\"name\": ") == -1 || esc_json(out, s->name) == -1 ||
        buf_puts(out, ", \"filter\": ") == -1 || esc_json(out, s->filter) == -1 ||
        buf_puts(out, ", \"color\": ") == -1 || esc_json(out, s->color) == -1)
        return -1;
    if (s->field[0] == '\0') {
        if (buf_printf(out, ", \"packets\": %" PRIu64 ", \"bytes\": %" PRIu64, s->packets,
                       s->bytes) == -1)
            return -1;
    } else if (buf_puts(out, ", \"field\": ") == -1 || esc_json(out, s->field) == -1 ||
               buf_printf(out,
                          ", \"packets\": %" PRIu64 ", \"packets_with_values\": %" PRIu64
                          ", \"values\": %" PRIu64 ", \"sum\": %s",
                          s->frames, s->frames_with, s->packets,
                          value_text(sum, sizeof(sum), s, s->bytes)) == -1) {
        return -1;
    }
    if (zoomed(c) &&
        buf_printf(out, ", \"out_of_range\": %" PRIu64, s->out_of_range) == -1)
        return -1;
    /* a split's series: its value (null for "other") */
    if (c->split[0] != '\0' &&
        (buf_puts(out, ", \"value\": ") == -1 ||
         (s->other ? buf_puts(out, "null") : esc_json(out, s->value)) == -1))
        return -1;
    return buf_puts(out, ",\n");
}

static int json_io_series(struct buf *out, const struct chart *c, size_t si) {
    char t[32], v[64];
    struct io_values it;
    size_t k;

    if (json_series_head(out, c, &c->series[si]) == -1 ||
        buf_puts(out, "\"points\": [") == -1)
        return -1;
    chart_io_begin(&it, c, si);
    for (k = 0; k < c->io_count; k++) {
        fmt_seconds(t, sizeof(t), chart_io_start(c, k), 9, 9);
        fmt_value(v, sizeof(v), chart_io_next(&it), it.integral);
        if (buf_printf(out, "%s\n[%s,%s]", k == 0 ? "" : ",", t, v) == -1)
            return -1;
    }
    return buf_puts(out, c->io_count > 0 ? "\n]}" : "]}");
}

static int json_hist_series(struct buf *out, const struct chart *c, size_t si) {
    const struct series *s = &c->series[si];
    char lo[32], hi[32], mean[64], mn[32], mx[32], q[3][32];
    size_t b, nb = chart_nbuckets(c);

    if (json_series_head(out, c, s) == -1 || buf_puts(out, "\"buckets\": [") == -1)
        return -1;
    for (b = 0; b < nb; b++) {
        if (chart_bucket_hi(c, b) == UINT64_MAX)
            snprintf(hi, sizeof(hi), "null");
        else
            value_text(hi, sizeof(hi), s, chart_bucket_hi(c, b));
        if (buf_printf(out, "%s\n{\"lo\": %s, \"hi\": %s, \"count\": %" PRIu64 "}",
                       b == 0 ? "" : ",",
                       value_text(lo, sizeof(lo), s, chart_bucket_lo(c, b)), hi,
                       s->buckets[b]) == -1)
            return -1;
    }
    if (buf_printf(out, "],\n\"stats\": {\"count\": %" PRIu64, s->packets) == -1)
        return -1;
    if (s->packets == 0)
        return buf_puts(out, ", \"min\": null, \"max\": null, \"mean\": null, "
                             "\"p50\": null, \"p95\": null, \"p99\": null}}");
    fmt_value(mean, sizeof(mean),
              (double)s->bytes / (double)s->packets * (s->field_nano ? 1e-9 : 1), 0);
    if (buf_printf(out,
                   ", \"min\": %s, \"max\": %s, \"mean\": %s, \"p50\": %s, \"p95\": %s"
                   ", \"p99\": %s%s}}",
                   value_text(mn, sizeof(mn), s, s->len_min),
                   value_text(mx, sizeof(mx), s, s->len_max), mean,
                   value_text(q[0], sizeof(q[0]), s, s->p50),
                   value_text(q[1], sizeof(q[1]), s, s->p95),
                   value_text(q[2], sizeof(q[2]), s, s->p99),
                   s->big_log != NULL ? ", \"approximate\": true" : "") == -1)
        return -1;
    return 0;
}

/*
 * The end of every kind's object: the series' closing bracket, the warnings
 * and, when view_url is not NULL, "view" (where http.c used to insert it).
 */
static int json_tail(struct buf *out, const struct chart *c, const char *view_url) {
    size_t i;

    if (buf_puts(out, "],\n\"warnings\": [") == -1)
        return -1;
    for (i = 0; i < c->nwarnings; i++)
        if ((i > 0 && buf_puts(out, ", ") == -1) || esc_json(out, c->warnings[i]) == -1)
            return -1;
    if (buf_puts(out, "]") == -1)
        return -1;
    if (view_url != NULL &&
        (buf_puts(out, ", \"view\": ") == -1 || esc_json(out, view_url) == -1))
        return -1;
    return buf_puts(out, "}\n");
}

/* CHART_IO and CHART_HIST: the same frame, their own series. */
static int json_kind(const struct chart *c, const char *view_url, struct buf *out) {
    char dur[32], iv[32];
    size_t i;

    if (buf_printf(out, "{\"kind\": \"%s\", \"packets\": %" PRIu64 ", \"duration\": ",
                   chart_kind_name(c->kind), c->packets) == -1 ||
        buf_puts(out, duration(c, dur, sizeof(dur)) ? dur : "null") == -1 ||
        json_zoom(out, c) == -1)
        return -1;
    if (c->kind == CHART_IO &&
        buf_printf(out, ", \"interval\": %s, \"y\": \"%s\", \"sma\": %u, \"log\": %s",
                   fmt_seconds(iv, sizeof(iv), c->io_interval_ns, 1, 9),
                   chart_io_y_name(c->io_y), c->sma, c->log_y ? "true" : "false") == -1)
        return -1;
    if (buf_puts(out, ",\n\"series\": [") == -1)
        return -1;
    for (i = 0; i < c->nseries; i++) {
        if (i > 0 && buf_puts(out, ",\n") == -1)
            return -1;
        if ((c->kind == CHART_IO ? json_io_series(out, c, i)
                                 : json_hist_series(out, c, i)) == -1)
            return -1;
    }
    return json_tail(out, c, view_url);
}

int export_json(const struct chart *c, const char *view_url, struct buf *out,
                struct err *err) {
    char dur[32];
    size_t i;

    if (c->kind == CHART_IO || c->kind == CHART_HIST) {
        if (json_kind(c, view_url, out) == -1)
            goto fail;
        return 0;
    }
    if (buf_printf(out, "{\"packets\": %" PRIu64 ", \"duration\": ", c->packets) == -1 ||
        buf_puts(out, duration(c, dur, sizeof(dur)) ? dur : "null") == -1 ||
        json_zoom(out, c) == -1 ||
        buf_printf(out, ", \"decimated\": %s,\n\"series\": [",
                   any_decimated(c) ? "true" : "false") == -1)
        goto fail;
    for (i = 0; i < c->nseries; i++)
        if ((i > 0 && buf_puts(out, ",\n") == -1) ||
            json_series(out, c, &c->series[i]) == -1)
            goto fail;
    if (json_tail(out, c, view_url) == -1)
        goto fail;
    return 0;
fail:
    return out_fail(err);
}

static int csv_point(struct buf *out, const struct series *s, int with_name,
                     const struct point *pt) {
    char t[32];

    if (with_name && (esc_csv(out, s->name) == -1 || buf_puts(out, ",") == -1))
        return -1;
    char v[32];

    if (pt->t_ns == NO_TIME)
        t[0] = '\0';
    else
        fmt_seconds(t, sizeof(t), pt->t_ns, 9, 9);
    return buf_printf(out, "%s,%s\n", t, value_text(v, sizeof(v), s, pt->len));
}

/* The value column's name: len (frame.len), the one field of every series, or value. */
static const char *csv_value_name(const struct chart *c) {
    size_t i;

    for (i = 1; i < c->nseries; i++)
        if (strcmp(c->series[i].field, c->series[0].field) != 0)
            return "value";
    return c->series[0].field[0] != '\0' ? c->series[0].field : "len";
}

/* "first,<series names>\n" (names CSV-escaped). */
static int csv_header(struct buf *out, const struct chart *c, const char *first) {
    size_t si;

    if (buf_puts(out, first) == -1)
        return -1;
    for (si = 0; si < c->nseries; si++)
        if (buf_puts(out, ",") == -1 || esc_csv(out, c->series[si].name) == -1)
            return -1;
    return buf_puts(out, "\n");
}

static int csv_io(const struct chart *c, struct buf *out) {
    struct io_values it[CHART_MAX_SERIES];
    char t[32], v[64];
    size_t si, k;

    if (csv_header(out, c, "interval_start") == -1)
        return -1;
    for (si = 0; si < c->nseries && si < CHART_MAX_SERIES; si++)
        chart_io_begin(&it[si], c, si);
    for (k = 0; k < c->io_count; k++) {
        if (buf_puts(out, fmt_seconds(t, sizeof(t), chart_io_start(c, k), 9, 9)) == -1)
            return -1;
        for (si = 0; si < c->nseries && si < CHART_MAX_SERIES; si++)
            if (buf_printf(out, ",%s",
                           fmt_value(v, sizeof(v), chart_io_next(&it[si]),
                                     it[si].integral)) == -1)
                return -1;
        if (buf_puts(out, "\n") == -1)
            return -1;
    }
    return 0;
}

static int csv_hist(const struct chart *c, struct buf *out) {
    const struct series *s0 = &c->series[0];
    size_t si, b, nb = chart_nbuckets(c);
    char v[32];

    if (csv_header(out, c, "lo,hi") == -1)
        return -1;
    for (b = 0; b < nb; b++) {
        if (buf_printf(out, "%s,", value_text(v, sizeof(v), s0, chart_bucket_lo(c, b))) ==
                -1 ||
            (chart_bucket_hi(c, b) != UINT64_MAX &&
             buf_puts(out, value_text(v, sizeof(v), s0, chart_bucket_hi(c, b))) == -1))
            return -1;
        for (si = 0; si < c->nseries; si++)
            if (buf_printf(out, ",%" PRIu64, c->series[si].buckets[b]) == -1)
                return -1;
        if (buf_puts(out, "\n") == -1)
            return -1;
    }
    return 0;
}

int export_csv(const struct chart *c, struct buf *out, struct err *err) {
    struct point kept[4];
    int with_name = c->nseries > 1;
    size_t si, i, j, k;

    if (c->kind == CHART_IO || c->kind == CHART_HIST) {
        if ((c->kind == CHART_IO ? csv_io(c, out) : csv_hist(c, out)) == -1)
            goto fail;
        return 0;
    }
    /* field names are letters, digits, '.', '_' and '-' (view.c): nothing to escape */
    if (buf_printf(out, "%stime_relative,%s\n", with_name ? "series," : "",
                   csv_value_name(c)) == -1)
        goto fail;
    for (si = 0; si < c->nseries; si++) {
        const struct series *s = &c->series[si];

        if (!s->decimated) {
            for (i = 0; i < s->npts; i++)
                if (csv_point(out, s, with_name, &s->pts[i]) == -1)
                    goto fail;
            continue;
        }
        for (i = 0; i < s->ncols; i++) {
            if (s->cols[i].count == 0)
                continue;
            k = column_points(&s->cols[i], kept);
            for (j = 0; j < k; j++)
                if (csv_point(out, s, with_name, &kept[j]) == -1)
                    goto fail;
        }
    }
    return 0;
fail:
    return out_fail(err);
}
