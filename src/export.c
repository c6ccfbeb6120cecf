/* export.c - see export.h */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "export.h"
#include "banned.h"

#define NO_TIME INT64_MIN
#define NS_PER_S UINT64_C(1000000000)

/* Unsigned ns as seconds with 9 decimals. */
static char *fmt_useconds(char *dst, size_t n, const char *sign, uint64_t u) {
    snprintf(dst, n, "%s%" PRIu64 ".%09" PRIu64, sign, u / NS_PER_S, u % NS_PER_S);
    return dst;
}

char *export_fmt_seconds(char *dst, size_t n, int64_t ns) {
    /* -(ns + 1) + 1 avoids negating INT64_MIN */
    if (ns < 0)
        return fmt_useconds(dst, n, "-", (uint64_t)(-(ns + 1)) + 1);
    return fmt_useconds(dst, n, "", (uint64_t)ns);
}

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
    int64_t lo = 0, hi = 0;
    int any = 0;
    size_t i;

    for (i = 0; i < c->nseries; i++) {
        const struct series *s = &c->series[i];

        if (s->timed == 0)
            continue;
        if (!any || s->t_min_ns < lo)
            lo = s->t_min_ns;
        if (!any || s->t_max_ns > hi)
            hi = s->t_max_ns;
        any = 1;
    }
    fmt_useconds(dst, n, "", (uint64_t)hi - (uint64_t)lo);
    return any;
}

static int json_point(struct buf *out, const struct point *pt, int first) {
    char t[32];

    if (pt->t_ns == NO_TIME)
        snprintf(t, sizeof(t), "null");
    else
        export_fmt_seconds(t, sizeof(t), pt->t_ns);
    return buf_printf(out, "%s\n[%s,%" PRIu64 "]", first ? "" : ",", t, pt->len);
}

static int json_points(struct buf *out, const struct series *s) {
    struct point kept[4];
    size_t i, j, k, n = 0;

    if (buf_puts(out, "\"points\": [") == -1)
        return -1;
    if (!s->decimated) {
        for (i = 0; i < s->npts; i++)
            if (json_point(out, &s->pts[i], i == 0) == -1)
                return -1;
        n = s->npts;
    } else {
        for (i = 0; i < s->ncols; i++) {
            if (s->cols[i].count == 0)
                continue;
            k = column_points(&s->cols[i], kept);
            for (j = 0; j < k; j++, n++)
                if (json_point(out, &kept[j], n == 0) == -1)
                    return -1;
        }
    }
    return buf_puts(out, n > 0 ? "\n]" : "]");
}

static int json_columns(struct buf *out, const struct series *s) {
    char t0[32], t1[32];
    size_t i;
    int first = 1;

    if (buf_puts(out, "\"columns\": [") == -1)
        return -1;
    for (i = 0; i < s->ncols; i++) {
        const struct column *col = &s->cols[i];

        if (col->count == 0)
            continue;
        export_fmt_seconds(t0, sizeof(t0), col_t(s, i));
        export_fmt_seconds(t1, sizeof(t1), col_t(s, i + 1));
        if (buf_printf(out,
                       "%s\n{\"t0\": %s, \"t1\": %s, \"count\": %" PRIu64
                       ", \"bytes\": %" PRIu64 ", \"min\": %" PRIu64 ", \"max\": %" PRIu64
                       "}",
                       first ? "" : ",", t0, t1, col->count, col->bytes, col->min.len,
                       col->max.len) == -1)
            return -1;
        first = 0;
    }
    return buf_puts(out, first ? "]" : "\n]");
}

static int json_series(struct buf *out, const struct series *s) {
    uint64_t npoints, ppp;

    if (buf_puts(out, "{\"name\": ") == -1 || esc_json(out, s->name) == -1 ||
        buf_puts(out, ", \"filter\": ") == -1 || esc_json(out, s->filter) == -1 ||
        buf_puts(out, ", \"color\": ") == -1 || esc_json(out, s->color) == -1 ||
        buf_printf(out, ", \"packets\": %" PRIu64 ", \"bytes\": %" PRIu64 ",\n",
                   s->packets, s->bytes) == -1)
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

int export_json(const struct chart *c, struct buf *out, struct err *err) {
    char dur[32];
    size_t i;

    if (buf_printf(out, "{\"packets\": %" PRIu64 ", \"duration\": ", c->packets) == -1 ||
        buf_puts(out, duration(c, dur, sizeof(dur)) ? dur : "null") == -1 ||
        buf_printf(out, ", \"decimated\": %s,\n\"series\": [",
                   any_decimated(c) ? "true" : "false") == -1)
        goto fail;
    for (i = 0; i < c->nseries; i++)
        if ((i > 0 && buf_puts(out, ",\n") == -1) ||
            json_series(out, &c->series[i]) == -1)
            goto fail;
    if (buf_puts(out, "],\n\"warnings\": [") == -1)
        goto fail;
    for (i = 0; i < c->nwarnings; i++)
        if ((i > 0 && buf_puts(out, ", ") == -1) || esc_json(out, c->warnings[i]) == -1)
            goto fail;
    if (buf_puts(out, "]}\n") == -1)
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
    if (pt->t_ns == NO_TIME)
        t[0] = '\0';
    else
        export_fmt_seconds(t, sizeof(t), pt->t_ns);
    return buf_printf(out, "%s,%" PRIu64 "\n", t, pt->len);
}

int export_csv(const struct chart *c, struct buf *out, struct err *err) {
    struct point kept[4];
    int with_name = c->nseries > 1;
    size_t si, i, j, k;

    if (buf_puts(out, with_name ? "series,time_relative,len\n" : "time_relative,len\n") ==
        -1)
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
