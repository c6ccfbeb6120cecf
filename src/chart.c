/* chart.c - see chart.h */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "banned.h"

#define NO_TIME INT64_MIN
#define FIRST_PTS_CAP 256
/*
 * A smallest relative time past this (about 3 years) is an epoch time: tshark
 * prints those when frame 1 has no timestamp. The axis then leaves out 0.
 */
#define EPOCH_LIKE_NS (INT64_C(100000000) * 1000000000)

/*
 * Okabe-Ito colours, ordered so that the first ones keep a contrast of at
 * least 3:1 (WCAG, graphical objects) on white and on the dark background
 * of the SVG style: blue, vermillion, bluish green, reddish purple.
 */
static const char *const PALETTE[MAX_SERIES] = {
    "#0072B2", "#D55E00", "#009E73", "#CC79A7",
    "#E69F00", "#56B4E9", "#F0E442", "#999999",
};

/* floor(t / w) for w > 0 (C division truncates towards zero). */
static int64_t floor_div(int64_t t, int64_t w) {
    int64_t q = t / w;

    if (t % w != 0 && t < 0)
        q--;
    return q;
}

/* a - b for a >= b, exact even when the difference does not fit int64_t. */
static uint64_t udiff(int64_t a, int64_t b) {
    return (uint64_t)a - (uint64_t)b;
}

/* origin + i * w; the caller knows the result is representable. */
static int64_t col_start(int64_t origin, size_t i, int64_t w) {
    return (int64_t)((uint64_t)origin + (uint64_t)i * (uint64_t)w);
}

static uint64_t sat_add(uint64_t a, uint64_t b) {
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static void series_init(struct series *s, size_t i) {
    memset(s, 0, sizeof(*s));
    if (i == 0)
        snprintf(s->name, sizeof(s->name), "Size");
    else
        snprintf(s->name, sizeof(s->name), "Series %zu", i + 1);
    snprintf(s->color, sizeof(s->color), "%s", PALETTE[i % MAX_SERIES]);
    s->width_ns = 1;
}

void chart_init(struct chart *c, int width_px, int height_px, size_t max_points) {
    size_t i;

    memset(c, 0, sizeof(*c));
    c->kind = CHART_SIZE;
    if (width_px <= 0)
        width_px = DEFAULT_WIDTH_PX;
    if (height_px <= 0)
        height_px = DEFAULT_HEIGHT_PX;
    c->width_px = width_px < MIN_WIDTH_PX   ? MIN_WIDTH_PX
                  : width_px > MAX_WIDTH_PX ? MAX_WIDTH_PX
                                            : width_px;
    c->height_px = height_px < MIN_HEIGHT_PX   ? MIN_HEIGHT_PX
                   : height_px > MAX_HEIGHT_PX ? MAX_HEIGHT_PX
                                               : height_px;
    if (max_points == 0)
        max_points = DEFAULT_MAX_POINTS;
    c->max_points = max_points > MAX_POINTS_LIMIT ? MAX_POINTS_LIMIT : max_points;
    snprintf(c->title, sizeof(c->title), "Packet sizes");
    for (i = 0; i < MAX_SERIES; i++)
        series_init(&c->series[i], i);
    c->nseries = 1;
}

void chart_release(struct chart *c) {
    size_t i;

    for (i = 0; i < MAX_SERIES; i++) {
        struct series *s = &c->series[i];

        free(s->pts);
        s->pts = NULL;
        s->npts = 0;
        s->cap = 0;
        free(s->cols);
        s->cols = NULL;
        s->ncols = 0;
    }
}

/* Add one point (later in capture order than all before) to a column. */
static void col_add(struct column *col, const struct point *pt) {
    if (col->count == 0) {
        col->first = col->last = col->min = col->max = *pt;
        col->count = 1;
        col->bytes = pt->len;
        return;
    }
    col->count++;
    col->bytes = sat_add(col->bytes, pt->len);
    col->last = *pt;
    /* strict comparisons: on a tie the earlier packet stays */
    if (pt->len < col->min.len)
        col->min = *pt;
    if (pt->len > col->max.len)
        col->max = *pt;
}

/*
 * Merge column b into a. Capture order between the two is told by the
 * frame number (tshark numbers frames in capture order).
 */
static void col_merge(struct column *a, const struct column *b) {
    if (b->count == 0)
        return;
    if (a->count == 0) {
        *a = *b;
        return;
    }
    a->count = sat_add(a->count, b->count);
    a->bytes = sat_add(a->bytes, b->bytes);
    if (b->first.number < a->first.number)
        a->first = b->first;
    if (b->last.number > a->last.number)
        a->last = b->last;
    if (b->min.len < a->min.len ||
        (b->min.len == a->min.len && b->min.number < a->min.number))
        a->min = b->min;
    if (b->max.len > a->max.len ||
        (b->max.len == a->max.len && b->max.number < a->max.number))
        a->max = b->max;
}

static int col_fits(const struct series *s, int64_t t) {
    return t >= s->origin_ns &&
           udiff(t, s->origin_ns) / (uint64_t)s->width_ns < (uint64_t)MAX_COLUMNS;
}

/* Smallest power of two >= w whose grid puts lo and hi at most MAX_COLUMNS-1 apart. */
static int64_t fit_width(int64_t lo, int64_t hi, int64_t w) {
    /* at 2^54 every int64 range fits in 2048 columns, so w never overflows */
    while (udiff(floor_div(hi, w), floor_div(lo, w)) >= (uint64_t)MAX_COLUMNS)
        w *= 2;
    return w;
}

/*
 * t does not fit the columns: double the width until the non-empty columns
 * and t fit, re-origin at a multiple of the new width and merge. Old columns
 * are aligned to the old width, so each lands wholly in one new column.
 */
static int rescale(struct series *s, int64_t t, struct err *err) {
    struct column *nc = NULL;
    size_t i, lo_i = SIZE_MAX, hi_i = 0;
    int64_t w = s->width_ns, nw, lo, hi, norigin;

    for (i = 0; i < s->ncols; i++) {
        if (s->cols[i].count == 0)
            continue;
        if (lo_i == SIZE_MAX)
            lo_i = i;
        hi_i = i;
    }
    if (lo_i == SIZE_MAX) {
        /* nothing placed yet: just move the empty grid */
        s->origin_ns = floor_div(t, w) * w;
        return 0;
    }
    /* starts of non-empty columns are <= one of their packets: representable */
    lo = col_start(s->origin_ns, lo_i, w);
    hi = col_start(s->origin_ns, hi_i, w);
    if (t < lo)
        lo = t;
    if (t > hi)
        hi = t;
    nw = fit_width(lo, hi, w * 2);
    norigin = floor_div(lo, nw) * nw;
    if ((nc = calloc(MAX_COLUMNS, sizeof(*nc))) == NULL)
        goto fail;
    for (i = lo_i; i <= hi_i; i++) {
        uint64_t j;

        if (s->cols[i].count == 0)
            continue;
        j = udiff(col_start(s->origin_ns, i, w), norigin) / (uint64_t)nw;
        col_merge(&nc[j], &s->cols[i]);
    }
    free(s->cols);
    s->cols = nc;
    s->origin_ns = norigin;
    s->width_ns = nw;
    return 0;
fail:
    return err_set(err, 500, "out of memory for the chart");
}

/* Put a timed point into its column, widening the columns when needed. */
static int col_place(struct series *s, const struct point *pt, struct err *err) {
    if (!col_fits(s, pt->t_ns) && rescale(s, pt->t_ns, err) == -1)
        return -1;
    col_add(&s->cols[udiff(pt->t_ns, s->origin_ns) / (uint64_t)s->width_ns], pt);
    return 0;
}

/*
 * Switch s to decimated mode: columns as narrow as the kept points allow,
 * the kept points replayed into them in capture order, then freed.
 */
static int decimate(struct series *s, struct err *err) {
    struct column *cols = NULL;
    int64_t w = 1, origin = 0;
    size_t i;

    if ((cols = calloc(MAX_COLUMNS, sizeof(*cols))) == NULL)
        goto fail;
    if (s->timed > 0) {
        w = fit_width(s->t_min_ns, s->t_max_ns, 1);
        origin = floor_div(s->t_min_ns, w) * w;
    }
    for (i = 0; i < s->npts; i++) {
        const struct point *pt = &s->pts[i];

        if (pt->t_ns != NO_TIME)
            col_add(&cols[udiff(pt->t_ns, origin) / (uint64_t)w], pt);
    }
    free(s->pts);
    s->pts = NULL;
    s->npts = 0;
    s->cap = 0;
    s->cols = cols;
    s->ncols = MAX_COLUMNS;
    s->origin_ns = origin;
    s->width_ns = w;
    s->decimated = 1;
    return 0;
fail:
    return err_set(err, 500, "out of memory for the chart");
}

static int pts_append(struct series *s, size_t max_points, const struct point *pt,
                      struct err *err) {
    struct point *p;
    size_t cap;

    if (s->npts == s->cap) {
        cap = s->cap == 0 ? FIRST_PTS_CAP : s->cap * 2;
        if (cap > max_points)
            cap = max_points;
        if ((p = realloc(s->pts, cap * sizeof(*p))) == NULL)
            return err_set(err, 500, "out of memory for the chart");
        s->pts = p;
        s->cap = cap;
    }
    s->pts[s->npts++] = *pt;
    return 0;
}

int chart_add(struct chart *c, size_t si, const struct pkt *p, struct err *err) {
    struct series *s;
    struct point pt;

    if (si >= c->nseries || si >= MAX_SERIES)
        return err_set(err, 500, "chart has no series %zu", si);
    s = &c->series[si];

    /* INT64_MIN marks "no time", so a real time there moves up by 1 ns */
    pt.t_ns = !p->has_time ? NO_TIME : p->t_ns == NO_TIME ? NO_TIME + 1 : p->t_ns;
    pt.len = p->has_len ? p->len : 0;
    pt.number = p->number != 0 ? p->number : s->packets + 1;

    if (!s->decimated && s->npts < c->max_points) {
        if (pts_append(s, c->max_points, &pt, err) == -1)
            return -1;
    } else {
        if (!s->decimated && decimate(s, err) == -1)
            return -1;
        if (pt.t_ns != NO_TIME && col_place(s, &pt, err) == -1)
            return -1;
    }

    if (s->packets == 0 || pt.len < s->len_min)
        s->len_min = pt.len;
    if (s->packets == 0 || pt.len > s->len_max)
        s->len_max = pt.len;
    s->packets++;
    s->bytes = sat_add(s->bytes, pt.len);
    if (pt.len == 0)
        s->zero_len++;
    if (pt.t_ns == NO_TIME) {
        s->no_time++;
    } else {
        if (s->timed == 0 || pt.t_ns < s->t_min_ns)
            s->t_min_ns = pt.t_ns;
        if (s->timed == 0 || pt.t_ns > s->t_max_ns)
            s->t_max_ns = pt.t_ns;
        s->timed++;
    }
    return 0;
}

void chart_warn(struct chart *c, const char *fmt, ...) {
    char w[WARNING_BYTES];
    size_t i, n;
    va_list ap;

    va_start(ap, fmt);
    if (vsnprintf(w, sizeof(w), fmt, ap) < 0)
        w[0] = '\0';
    va_end(ap);
    /* a cut may split a UTF-8 sequence: drop its leading bytes */
    n = strlen(w);
    if (n == sizeof(w) - 1) {
        i = n;
        while (i > 0 && ((unsigned char)w[i - 1] & 0xC0) == 0x80)
            i--;
        if (i > 0 && ((unsigned char)w[i - 1] & 0xC0) == 0xC0)
            w[i - 1] = '\0';
    }
    if (w[0] == '\0' || c->nwarnings >= MAX_WARNINGS)
        return;
    for (i = 0; i < c->nwarnings; i++)
        if (strcmp(c->warnings[i], w) == 0)
            return;
    memcpy(c->warnings[c->nwarnings++], w, sizeof(w));
}

void chart_finish(struct chart *c) {
    uint64_t total = 0, most = 0;
    size_t i, j, used;

    for (i = 0; i < c->nseries; i++) {
        total = sat_add(total, c->series[i].packets);
        if (c->series[i].packets > most)
            most = c->series[i].packets;
    }
    if (c->packets == 0)
        c->packets = most;
    if (total == 0) {
        chart_warn(c, "no packets");
        return;
    }
    for (i = 0; i < c->nseries; i++) {
        const struct series *s = &c->series[i];
        const char *name = c->nseries > 1 ? s->name : "";
        const char *sep = c->nseries > 1 ? ": " : "";

        if (s->no_time == 1)
            chart_warn(c, "%s%s1 frame has no timestamp and is left out of the time axis",
                       name, sep);
        else if (s->no_time > 1)
            chart_warn(c,
                       "%s%s%" PRIu64 " frames have no timestamp and are left out of "
                       "the time axis",
                       name, sep, s->no_time);
        if (s->zero_len == 1)
            chart_warn(c, "%s%s1 frame has length 0", name, sep);
        else if (s->zero_len > 1)
            chart_warn(c, "%s%s%" PRIu64 " frames have length 0", name, sep, s->zero_len);
        if (s->decimated) {
            for (j = 0, used = 0; j < s->ncols; j++)
                used += s->cols[j].count > 0;
            chart_warn(c,
                       "%s%sdecimated: %" PRIu64 " packets drawn as %zu columns (min "
                       "and max of every column kept)",
                       name, sep, s->timed, used);
        }
    }
}

void chart_time_range(const struct chart *c, int64_t *lo_ns, int64_t *hi_ns) {
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
    if (any && lo > 0 && lo < EPOCH_LIKE_NS)
        lo = 0;
    *lo_ns = lo;
    *hi_ns = hi;
}

uint64_t chart_len_max(const struct chart *c) {
    uint64_t m = 0;
    size_t i;

    for (i = 0; i < c->nseries; i++)
        if (c->series[i].packets > 0 && c->series[i].len_max > m)
            m = c->series[i].len_max;
    return m;
}
