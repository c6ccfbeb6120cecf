/* chart.c - see chart.h */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fmt.h"
#include "chart/chart.h"
#include "chart/names.h"
#include "banned.h"

#define NO_TIME INT64_MIN
#define FIRST_PTS_CAP 256
/*
 * A smallest relative time past this (about 3 years) is an epoch time: tshark
 * prints those when frame 1 has no timestamp. The axis then leaves out 0.
 */
#define EPOCH_LIKE_NS (INT64_C(100000000) * 1000000000)

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
    snprintf(s->color, sizeof(s->color), "%s", CHART_PALETTE[i % MAX_SERIES]);
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
    snprintf(c->title, sizeof(c->title), "%s", CHART_KINDS[CHART_SIZE].title);
    for (i = 0; i < CHART_MAX_SERIES; i++)
        series_init(&c->series[i], i);
    c->nseries = 1;
}

void chart_release(struct chart *c) {
    size_t i;

    for (i = 0; i < CHART_MAX_SERIES; i++) {
        struct series *s = &c->series[i];

        free(s->pts);
        s->pts = NULL;
        s->npts = 0;
        s->cap = 0;
        free(s->cols);
        s->cols = NULL;
        s->ncols = 0;
        free(s->bins);
        s->bins = NULL;
        s->nbins = 0;
        free(s->len_counts);
        s->len_counts = NULL;
        free(s->big);
        s->big = NULL;
        s->nbig = 0;
        free(s->big_log);
        s->big_log = NULL;
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

/* ---- CHART_IO ---- */

/* a * b for b > 0, saturated to the int64_t range. */
static int64_t mul_sat(int64_t a, int64_t b) {
    if (a > 0 && a > INT64_MAX / b)
        return INT64_MAX;
    if (a < 0 && a < INT64_MIN / b)
        return INT64_MIN;
    return a * b;
}

static void bin_add(struct io_bin *b, uint64_t len) {
    if (b->count == 0 || len < b->min)
        b->min = len;
    if (b->count == 0 || len > b->max)
        b->max = len;
    b->count++;
    b->bytes = sat_add(b->bytes, len);
}

static void bin_merge(struct io_bin *a, const struct io_bin *b) {
    if (b->count == 0)
        return;
    if (a->count == 0) {
        *a = *b;
        return;
    }
    a->count = sat_add(a->count, b->count);
    a->bytes = sat_add(a->bytes, b->bytes);
    if (b->min < a->min)
        a->min = b->min;
    if (b->max > a->max)
        a->max = b->max;
}

/* the bins and the answer of every series together are bounded */
_Static_assert((uint64_t)MAX_IO_CELLS *EXPORT_IO_CELL_MAX_BYTES <=
                   (uint64_t)MAX_EXPORT_BYTES - 16 * 1024 * 1024,
               "MAX_IO_CELLS intervals must fit in a JSON or CSV export");

size_t chart_io_max_intervals(size_t nseries) {
    size_t share = MAX_IO_CELLS / (nseries > 0 ? nseries : 1);

    return share < MAX_IO_INTERVALS ? share : MAX_IO_INTERVALS;
}

int64_t chart_io_min_interval(int64_t lo_ns, int64_t hi_ns, size_t nseries) {
    static const int64_t MULT[3] = {1, 2, 5};
    uint64_t limit = chart_io_max_intervals(nseries);
    int64_t base = IO_MIN_INTERVAL_NS, iv = base;
    size_t i;

    for (;;) {
        for (i = 0; i < 3; i++) {
            iv = base * MULT[i];
            if (udiff(floor_div(hi_ns, iv), floor_div(lo_ns, iv)) < limit)
                return iv;
        }
        if (base > INT64_MAX / 50)
            return iv;
        base *= 10;
    }
}

/*
 * "interval X s is too small for this capture: more than N intervals[ for
 * each of its S series]; use interval >= Y s" for intervals lo..hi of c.
 */
static int io_span_error(const struct chart *c, int64_t lo, int64_t hi, struct err *err) {
    int64_t w = c->interval_ns, lo_ns = mul_sat(lo, w), hi_ns = mul_sat(hi, w);
    char iv[32], cap[32], min[32], each[64] = "";

    /* the end of interval hi */
    hi_ns = hi_ns > INT64_MAX - (w - 1) ? INT64_MAX : hi_ns + (w - 1);
    if (c->nseries > 1)
        snprintf(each, sizeof(each), " for each of its %zu series", c->nseries);
    return err_set(err, 400,
                   "interval %s s is too small for this capture: more than %s "
                   "intervals%s; use interval >= %s s",
                   fmt_seconds(iv, sizeof(iv), w, 0, 9),
                   fmt_thousands(cap, sizeof(cap), chart_io_max_intervals(c->nseries)),
                   each,
                   fmt_seconds(min, sizeof(min),
                               chart_io_min_interval(lo_ns, hi_ns, c->nseries), 0, 9));
}

/*
 * Given interval: the chart spans interval 0 (or the zoom start), every
 * packet and the zoom end. Refuse the packet that would take the span past
 * the chart's share of MAX_IO_INTERVALS (chart_io_max_intervals: the budget
 * is for all series together), before any memory is spent on it.
 */
static int io_check_span(struct chart *c, int64_t t, struct err *err) {
    int64_t w = c->interval_ns, lo, hi, a;

    lo = hi = floor_div(t, w);
    if (c->has_start) {
        a = floor_div(c->start_ns, w);
        lo = a < lo ? a : lo;
        hi = a > hi ? a : hi;
    } else if (t < EPOCH_LIKE_NS) {
        lo = lo > 0 ? 0 : lo;
        hi = hi < 0 ? 0 : hi;
    }
    if (c->has_end) {
        a = floor_div(c->end_ns, w);
        lo = a < lo ? a : lo;
        hi = a > hi ? a : hi;
    }
    if (c->io_spanned) {
        lo = c->io_lo < lo ? c->io_lo : lo;
        hi = c->io_hi > hi ? c->io_hi : hi;
    }
    if (udiff(hi, lo) >= (uint64_t)chart_io_max_intervals(c->nseries))
        return io_span_error(c, lo, hi, err);
    c->io_lo = lo;
    c->io_hi = hi;
    c->io_spanned = 1;
    return 0;
}

/*
 * t falls outside s->bins: make new bins that hold the series' packets and
 * t. Automatic interval: ten times wider, as often as needed to stay within
 * IO_AUTO_BINS (bins are aligned to their width, so each old one lands in
 * one new one). The new array leaves room on the side it grew to, so a
 * capture that runs forwards (or backwards) reallocates O(log n) times.
 */
static int bins_grow(const struct chart *c, struct series *s, int64_t t,
                     struct err *err) {
    size_t limit = c->interval_ns > 0 ? chart_io_max_intervals(c->nseries) : IO_AUTO_BINS;
    size_t n, want, k;
    int64_t lo_t = t, hi_t = t, w = s->bin_ns, lo, hi, nbin0, r;
    struct io_bin *nb = NULL;

    if (s->timed > 0) {
        lo_t = s->t_min_ns < t ? s->t_min_ns : t;
        hi_t = s->t_max_ns > t ? s->t_max_ns : t;
    }
    /* the span check keeps a given interval within limit; 10^18 ns fits any range */
    while (udiff(floor_div(hi_t, w), floor_div(lo_t, w)) >= (uint64_t)limit)
        w *= 10;
    lo = floor_div(lo_t, w);
    hi = floor_div(hi_t, w);
    n = (size_t)udiff(hi, lo) + 1;
    want = n * 2 < 64 ? 64 : n * 2;
    if (want > limit)
        want = limit;
    if (want < n)
        want = n;
    /* room on the left when t came before the bins, else on the right */
    nbin0 = s->nbins > 0 && w == s->bin_ns && floor_div(t, w) < s->bin0
                ? hi - (int64_t)want + 1
                : lo;
    if ((nb = calloc(want, sizeof(*nb))) == NULL)
        return err_set(err, 500, "out of memory for the chart");
    r = w / s->bin_ns;
    for (k = 0; k < s->nbins; k++) {
        if (s->bins[k].count == 0)
            continue;
        bin_merge(&nb[floor_div(s->bin0 + (int64_t)k, r) - nbin0], &s->bins[k]);
    }
    free(s->bins);
    s->bins = nb;
    s->nbins = want;
    s->bin0 = nbin0;
    s->bin_ns = w;
    return 0;
}

static int io_add(struct chart *c, struct series *s, const struct point *pt,
                  struct err *err) {
    char iv[32];
    int64_t idx;

    if (c->interval_ns != 0 && c->interval_ns < IO_MIN_INTERVAL_NS)
        return err_set(err, 400, "interval %s s is too small: the smallest is 0.000001 s",
                       fmt_seconds(iv, sizeof(iv), c->interval_ns, 0, 9));
    if (s->bin_ns == 0)
        s->bin_ns = c->interval_ns > 0 ? c->interval_ns : IO_MIN_INTERVAL_NS;
    if (c->interval_ns > 0 && io_check_span(c, pt->t_ns, err) == -1)
        return -1;
    idx = floor_div(pt->t_ns, s->bin_ns);
    if ((s->nbins == 0 || idx < s->bin0 || udiff(idx, s->bin0) >= (uint64_t)s->nbins) &&
        bins_grow(c, s, pt->t_ns, err) == -1)
        return -1;
    idx = floor_div(pt->t_ns, s->bin_ns);
    bin_add(&s->bins[udiff(idx, s->bin0)], pt->len);
    return 0;
}

/*
 * The automatic interval: the smallest 1, 2 or 5 x 10^k ns, at least w (a
 * power of ten, so every candidate is a multiple of it), that cuts [lo, hi]
 * into at most IO_AUTO_MAX_INTERVALS intervals.
 */
static int64_t nice_interval(int64_t lo, int64_t hi, int64_t w) {
    static const int64_t MULT[3] = {1, 2, 5};
    int64_t base = w, iv = w;
    size_t i;

    for (;;) {
        for (i = 0; i < 3; i++) {
            iv = base * MULT[i];
            if (udiff(floor_div(hi, iv), floor_div(lo, iv)) <
                (uint64_t)IO_AUTO_MAX_INTERVALS)
                return iv;
        }
        if (base > INT64_MAX / 50)
            return iv;
        base *= 10;
    }
}

static void io_finish(struct chart *c) {
    int64_t lo, hi, w = IO_MIN_INTERVAL_NS, iv;
    uint64_t n;
    int any = 0;
    size_t i;
    char s1[32], s2[32];

    c->io_count = 0;
    c->io_first = 0;
    for (i = 0; i < c->nseries; i++) {
        any |= c->series[i].timed > 0;
        if (c->series[i].bin_ns > w)
            w = c->series[i].bin_ns;
    }
    if (c->interval_ns >= IO_MIN_INTERVAL_NS)
        iv = c->interval_ns;
    else if (c->interval_ns != 0)
        iv = IO_MIN_INTERVAL_NS; /* chart_add refused it; nothing was added */
    else
        iv = 0;
    if (!any && !c->has_start && !c->has_end) {
        c->io_interval_ns = iv > 0 ? iv : INT64_C(1000000000);
        return;
    }
    chart_time_range(c, &lo, &hi);
    if (iv == 0)
        iv = nice_interval(lo, hi, w);
    c->io_interval_ns = iv;
    n = udiff(floor_div(hi, iv), floor_div(lo, iv));
    if (n >= (uint64_t)chart_io_max_intervals(c->nseries)) {
        /* only a zoom without packets gets here: chart_add checks the rest */
        chart_warn(c, "interval %s s is too small for this range: more than %s intervals",
                   fmt_seconds(s1, sizeof(s1), iv, 0, 9),
                   fmt_thousands(s2, sizeof(s2), chart_io_max_intervals(c->nseries)));
        return;
    }
    c->io_first = floor_div(lo, iv);
    c->io_count = (size_t)n + 1;
}

struct io_bin chart_io_bin(const struct chart *c, size_t si, size_t k) {
    struct io_bin out = {0, 0, 0, 0};
    const struct series *s;
    int64_t g, b_lo, b_hi, last, j;

    if (si >= c->nseries || si >= CHART_MAX_SERIES || k >= c->io_count)
        return out;
    s = &c->series[si];
    if (s->nbins == 0 || s->bin_ns <= 0)
        return out;
    /* the interval is a multiple of the bin width: whole bins b_lo..b_hi */
    g = c->io_first + (int64_t)k;
    b_lo = floor_div(mul_sat(g, c->io_interval_ns), s->bin_ns);
    b_hi = floor_div(mul_sat(g + 1, c->io_interval_ns), s->bin_ns) - 1;
    last = s->bin0 + (int64_t)(s->nbins - 1);
    if (b_lo < s->bin0)
        b_lo = s->bin0;
    if (b_hi > last)
        b_hi = last;
    for (j = b_lo; j <= b_hi; j++)
        bin_merge(&out, &s->bins[udiff(j, s->bin0)]);
    return out;
}

int64_t chart_io_start(const struct chart *c, size_t k) {
    return mul_sat(c->io_first + (int64_t)k,
                   c->io_interval_ns > 0 ? c->io_interval_ns : 1);
}

/* ---- CHART_HIST ---- */

size_t chart_hist_bucket(uint64_t len) {
    uint64_t lim = 40;
    size_t b = 1;

    if (len < 20)
        return 0;
    while (b < HIST_BUCKETS - 1 && len >= lim) {
        b++;
        lim *= 2;
    }
    return b;
}

uint64_t chart_hist_lo(size_t b) {
    return b == 0 ? 0 : (uint64_t)20 << (b - 1);
}

uint64_t chart_hist_hi(size_t b) {
    return b + 1 >= HIST_BUCKETS ? UINT64_MAX : chart_hist_lo(b + 1) - 1;
}

#define BIG_CAP (2 * HIST_EXACT_BIG_LENS)
#define LOG_SUB_BITS 10 /* 1024 slots per power of two */
#define LOG_SLOTS ((64 - 16) << LOG_SUB_BITS)

/* Slot of len (>= 65536) in big_log, and the smallest length of a slot. */
static size_t log_slot(uint64_t len) {
    int k = 63;

    while ((len >> k) == 0)
        k--;
    return ((size_t)(k - 16) << LOG_SUB_BITS) +
           (size_t)((len >> (k - LOG_SUB_BITS)) & ((1u << LOG_SUB_BITS) - 1));
}

static uint64_t log_slot_lo(size_t slot) {
    int k = (int)(slot >> LOG_SUB_BITS) + 16;
    uint64_t sub = slot & ((1u << LOG_SUB_BITS) - 1);

    return ((UINT64_C(1) << LOG_SUB_BITS) + sub) << (k - LOG_SUB_BITS);
}

static int cmp_len_count(const void *a, const void *b) {
    const struct len_count *x = a, *y = b;

    return x->len < y->len ? -1 : x->len > y->len;
}

/* Sort big by length and merge equal lengths. */
static void big_compact(struct series *s) {
    size_t i, n = 0;

    if (s->nbig == 0)
        return;
    qsort(s->big, s->nbig, sizeof(*s->big), cmp_len_count);
    for (i = 1; i < s->nbig; i++) {
        if (s->big[i].len == s->big[n].len)
            s->big[n].count = sat_add(s->big[n].count, s->big[i].count);
        else
            s->big[++n] = s->big[i];
    }
    s->nbig = n + 1;
}

static int big_add(struct series *s, uint64_t len, struct err *err) {
    size_t i;

    if (s->big_log != NULL) {
        s->big_log[log_slot(len)]++;
        return 0;
    }
    if (s->big == NULL && (s->big = calloc(BIG_CAP, sizeof(*s->big))) == NULL)
        goto fail;
    if (s->nbig > 0 && s->big[s->nbig - 1].len == len) {
        s->big[s->nbig - 1].count++;
        return 0;
    }
    if (s->nbig == BIG_CAP) {
        big_compact(s);
        if (s->nbig > HIST_EXACT_BIG_LENS) {
            /* too many distinct lengths to keep: approximate from here on */
            if ((s->big_log = calloc(LOG_SLOTS, sizeof(*s->big_log))) == NULL)
                goto fail;
            for (i = 0; i < s->nbig; i++)
                s->big_log[log_slot(s->big[i].len)] += s->big[i].count;
            free(s->big);
            s->big = NULL;
            s->nbig = 0;
            s->big_log[log_slot(len)]++;
            return 0;
        }
    }
    s->big[s->nbig].len = len;
    s->big[s->nbig].count = 1;
    s->nbig++;
    return 0;
fail:
    return err_set(err, 500, "out of memory for the chart");
}

static int hist_add(struct series *s, uint64_t len, struct err *err) {
    if (s->len_counts == NULL &&
        (s->len_counts = calloc(HIST_SMALL_LENS, sizeof(*s->len_counts))) == NULL)
        return err_set(err, 500, "out of memory for the chart");
    if (len >= HIST_SMALL_LENS && big_add(s, len, err) == -1)
        return -1;
    if (len < HIST_SMALL_LENS)
        s->len_counts[len]++;
    s->buckets[chart_hist_bucket(len)]++;
    return 0;
}

/* The smallest length with at least rank (>= 1) packets at or below it. */
static uint64_t hist_rank(const struct series *s, uint64_t rank) {
    uint64_t seen = 0;
    size_t i;

    for (i = 0; s->len_counts != NULL && i < HIST_SMALL_LENS; i++)
        if ((seen += s->len_counts[i]) >= rank)
            return i;
    for (i = 0; i < s->nbig; i++)
        if ((seen += s->big[i].count) >= rank)
            return s->big[i].len;
    for (i = 0; s->big_log != NULL && i < LOG_SLOTS; i++)
        if ((seen += s->big_log[i]) >= rank)
            return log_slot_lo(i);
    return s->len_max;
}

/* ceil(p * n / 100) without overflow. */
static uint64_t rank_of(uint64_t n, unsigned p) {
    return n / 100 * p + (n % 100 * p + 99) / 100;
}

/* Bucket of value v in c's linear layout. */
static size_t linear_bucket(const struct chart *c, uint64_t v) {
    uint64_t b = v < c->hist_lo0 ? 0 : (v - c->hist_lo0) / c->hist_w;

    return b < c->hist_n ? (size_t)b : c->hist_n - 1;
}

/*
 * A field's histogram: linear buckets over every series' range, a width of
 * 1, 2 or 5 x 10^k giving at most HIST_FIELD_BUCKETS, then each series'
 * counts again from its exact ones (len_counts, big; big_log's slots by
 * their lower bound, which the warning of big_log already says).
 */
static void hist_linear(struct chart *c) {
    static const uint64_t steps[] = {1, 2, 5};
    uint64_t lo = UINT64_MAX, hi = 0, w = 1, span;
    size_t i, k, b;

    for (i = 0; i < c->nseries; i++) {
        const struct series *s = &c->series[i];

        if (s->packets == 0)
            continue;
        if (s->len_min < lo)
            lo = s->len_min;
        if (s->len_max > hi)
            hi = s->len_max;
    }
    if (lo > hi)
        lo = hi = 0;
    span = hi - lo;
    for (k = 0;; k++) {
        w = steps[k % 3];
        for (b = 0; b < k / 3 && w <= UINT64_MAX / 10; b++)
            w *= 10;
        if (span / w + 2 <= HIST_FIELD_BUCKETS || w > UINT64_MAX / 10)
            break;
    }
    c->hist_linear = 1;
    c->hist_w = w;
    c->hist_lo0 = lo / w * w;
    c->hist_n = (size_t)((hi - c->hist_lo0) / w + 1);
    if (c->hist_n > HIST_MAX_BUCKETS)
        c->hist_n = HIST_MAX_BUCKETS;
    for (i = 0; i < c->nseries; i++) {
        struct series *s = &c->series[i];

        memset(s->buckets, 0, sizeof(s->buckets));
        for (k = 0; s->len_counts != NULL && k < HIST_SMALL_LENS; k++)
            if (s->len_counts[k] > 0)
                s->buckets[linear_bucket(c, k)] += s->len_counts[k];
        for (k = 0; k < s->nbig; k++)
            s->buckets[linear_bucket(c, s->big[k].len)] += s->big[k].count;
        for (k = 0; s->big_log != NULL && k < LOG_SLOTS; k++)
            if (s->big_log[k] > 0)
                s->buckets[linear_bucket(c, log_slot_lo(k))] += s->big_log[k];
    }
}

size_t chart_nbuckets(const struct chart *c) {
    return c->hist_linear ? c->hist_n : HIST_BUCKETS;
}

uint64_t chart_bucket_lo(const struct chart *c, size_t b) {
    return c->hist_linear ? c->hist_lo0 + (uint64_t)b * c->hist_w : chart_hist_lo(b);
}

uint64_t chart_bucket_hi(const struct chart *c, size_t b) {
    return c->hist_linear ? chart_bucket_lo(c, b) + c->hist_w - 1 : chart_hist_hi(b);
}

static void hist_finish(struct series *s) {
    big_compact(s);
    s->p50 = s->p95 = s->p99 = 0;
    if (s->packets == 0)
        return;
    s->p50 = hist_rank(s, rank_of(s->packets, 50));
    s->p95 = hist_rank(s, rank_of(s->packets, 95));
    s->p99 = hist_rank(s, rank_of(s->packets, 99));
}

/* Outside the zoom: left out of every kind. */
static int zoomed_out(const struct chart *c, int64_t t) {
    if (!c->has_start && !c->has_end)
        return 0;
    if (t == NO_TIME)
        return 1;
    return (c->has_start && t < c->start_ns) || (c->has_end && t > c->end_ns);
}

static int add_one(struct chart *c, struct series *s, const struct pkt *p,
                   struct err *err);

void chart_set_field(struct chart *c, size_t si, const char *field, enum field_class k) {
    struct series *s;

    if (si >= CHART_MAX_SERIES)
        return;
    s = &c->series[si];
    if (field == NULL || strcmp(field, "frame.len") == 0)
        field = "";
    snprintf(s->field, sizeof(s->field), "%s", field);
    s->field_class = k;
    s->field_nano = field[0] != '\0' && (k == FIELD_CLASS_TIME || k == FIELD_CLASS_FLOAT);
}

/* A value of s's field as the entry it is charted as; 0, or -1: left out. */
static int field_entry(const struct series *s, const char *text, uint64_t *out) {
    double v;

    if (field_parse_value(s->field_class, text, &v) == -1 || !(v >= 0))
        return -1;
    if (s->field_nano)
        v = v * 1e9 + 0.5; /* nano-units, rounded: 9 decimals */
    if (!(v < 18446744073709551616.0))
        return -1;
    *out = (uint64_t)v;
    return 0;
}

int chart_add(struct chart *c, size_t si, const struct pkt *p, struct err *err) {
    struct series *s;
    struct pkt one;
    size_t i;

    if (si >= c->nseries || si >= CHART_MAX_SERIES)
        return err_set(err, 500, "chart has no series %zu", si);
    s = &c->series[si];
    if (s->field[0] == '\0')
        return add_one(c, s, p, err);
    /* a field: each of its values is charted as a frame of that length would be */
    s->frames++;
    s->frames_with += p->nvals > 0;
    s->cut += p->vals_cut;
    one = *p;
    one.has_len = 1;
    for (i = 0; i < p->nvals; i++) {
        if (field_entry(s, p->vals[i], &one.len) == -1) {
            s->skipped++;
            continue;
        }
        if (add_one(c, s, &one, err) == -1)
            return -1;
    }
    return 0;
}

/* Add one packet (or one value of a field) to s. */
static int add_one(struct chart *c, struct series *s, const struct pkt *p,
                   struct err *err) {
    struct point pt;

    /* INT64_MIN marks "no time", so a real time there moves up by 1 ns */
    pt.t_ns = !p->has_time ? NO_TIME : p->t_ns == NO_TIME ? NO_TIME + 1 : p->t_ns;
    pt.len = p->has_len ? p->len : 0;
    pt.number = p->number != 0 ? p->number : s->packets + s->out_of_range + 1;

    if (zoomed_out(c, pt.t_ns)) {
        s->out_of_range++;
        return 0;
    }
    if (c->kind == CHART_IO) {
        if (pt.t_ns != NO_TIME && io_add(c, s, &pt, err) == -1)
            return -1;
    } else if (c->kind == CHART_HIST) {
        if (hist_add(s, pt.len, err) == -1)
            return -1;
    } else if (!s->decimated && s->npts < c->max_points) {
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

/* Defaults of chart_init that name the size chart: other kinds get their own. */
static void kind_names(struct chart *c) {
    struct series *s0 = &c->series[0];

    if (c->kind == CHART_SIZE)
        return;
    if (strcmp(c->title, CHART_KINDS[CHART_SIZE].title) == 0 &&
        (size_t)c->kind < CHART_NKINDS)
        snprintf(c->title, sizeof(c->title), "%s", CHART_KINDS[c->kind].title);
    if (strcmp(s0->name, "Size") == 0) {
        size_t n = strlen(s0->filter);

        if (n == 0) {
            snprintf(s0->name, sizeof(s0->name), "All packets");
        } else {
            /* cut between UTF-8 sequences */
            if (n >= sizeof(s0->name))
                n = sizeof(s0->name) - 1;
            while (n > 0 && ((unsigned char)s0->filter[n] & 0xC0) == 0x80)
                n--;
            memcpy(s0->name, s0->filter, n);
            s0->name[n] = '\0';
        }
    }
}

void chart_finish(struct chart *c) {
    uint64_t total = 0, most = 0, left_out = 0;
    size_t i, j, used;

    kind_names(c);
    for (i = 0; i < c->nseries; i++) {
        const struct series *s = &c->series[i];

        total = sat_add(total, s->packets);
        left_out = sat_add(left_out, s->out_of_range);
        if (sat_add(s->packets, s->out_of_range) > most)
            most = sat_add(s->packets, s->out_of_range);
    }
    if (c->packets == 0)
        c->packets = most;
    if (c->kind == CHART_IO)
        io_finish(c);
    for (i = 0; i < c->nseries && c->kind == CHART_HIST; i++)
        hist_finish(&c->series[i]);
    c->hist_n = HIST_BUCKETS;
    for (i = 0; i < c->nseries && c->kind == CHART_HIST; i++)
        if (c->series[i].field[0] != '\0') {
            hist_linear(c);
            break;
        }
    for (i = 0, j = 0; i < c->nseries; i++) {
        const struct series *s = &c->series[i];

        if (s->field[0] != '\0' && s->frames > 0 && s->packets == 0 &&
            s->out_of_range == 0) {
            chart_warn(c, "no values of %s in the %" PRIu64 " packets of %s", s->field,
                       s->frames, s->filter[0] != '\0' ? s->filter : "the capture");
            j++;
        }
    }
    if (total == 0) {
        if (j == 0)
            chart_warn(c, left_out > 0 ? "no packets in the time range" : "no packets");
        return;
    }
    for (i = 0; i < c->nseries; i++) {
        const struct series *s = &c->series[i];
        const char *name = c->nseries > 1 ? s->name : "";
        const char *sep = c->nseries > 1 ? ": " : "";

        /* a histogram has no time axis: every frame counts */
        if (c->kind != CHART_HIST && s->no_time == 1)
            chart_warn(c, "%s%s1 frame has no timestamp and is left out of the time axis",
                       name, sep);
        else if (c->kind != CHART_HIST && s->no_time > 1)
            chart_warn(c,
                       "%s%s%" PRIu64 " frames have no timestamp and are left out of "
                       "the time axis",
                       name, sep, s->no_time);
        if (s->field[0] == '\0' && s->zero_len == 1)
            chart_warn(c, "%s%s1 frame has length 0", name, sep);
        else if (s->field[0] == '\0' && s->zero_len > 1)
            chart_warn(c, "%s%s%" PRIu64 " frames have length 0", name, sep, s->zero_len);
        if (s->skipped > 0)
            chart_warn(c,
                       "%s%s%" PRIu64 " values of %s left out: negative, not a number or "
                       "too large",
                       name, sep, s->skipped, s->field);
        if (s->cut > 0)
            chart_warn(
                c, "%s%s%" PRIu64 " values of %s left out: more than %d in one packet",
                name, sep, s->cut, s->field, MAX_FIELD_VALUES);
        if (s->big_log != NULL)
            chart_warn(c,
                       "%s%smore than %d distinct frame lengths over 65535 bytes: "
                       "percentiles among them are rounded down (by less than 0.1%%)",
                       name, sep, HIST_EXACT_BIG_LENS);
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

int chart_timed_extent(const struct chart *c, int64_t *lo_ns, int64_t *hi_ns) {
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
    *lo_ns = lo;
    *hi_ns = hi;
    return any;
}

void chart_time_range(const struct chart *c, int64_t *lo_ns, int64_t *hi_ns) {
    int64_t lo, hi;
    int any = chart_timed_extent(c, &lo, &hi);

    if (any && lo > 0 && lo < EPOCH_LIKE_NS)
        lo = 0;
    if (c->has_start)
        lo = c->start_ns;
    if (c->has_end)
        hi = c->end_ns;
    else if (!any)
        hi = lo;
    if (hi < lo)
        hi = lo;
    *lo_ns = lo;
    *hi_ns = hi;
}

int64_t chart_time_origin(const struct chart *c) {
    int64_t lo = 0;
    int any = 0;
    size_t i;

    for (i = 0; i < c->nseries; i++) {
        const struct series *s = &c->series[i];

        if (s->timed > 0 && (!any || s->t_min_ns < lo))
            lo = s->t_min_ns;
        any |= s->timed > 0;
    }
    return any && lo >= EPOCH_LIKE_NS ? lo : 0;
}

uint64_t chart_in_range(const struct chart *c) {
    uint64_t n = 0;
    size_t i;

    for (i = 0; i < c->nseries; i++)
        if (c->series[i].packets > n)
            n = c->series[i].packets;
    return n;
}

uint64_t chart_seen(const struct chart *c) {
    uint64_t n = c->packets;
    size_t i;

    for (i = 0; i < c->nseries; i++)
        if (sat_add(c->series[i].packets, c->series[i].out_of_range) > n)
            n = sat_add(c->series[i].packets, c->series[i].out_of_range);
    return n;
}

uint64_t chart_len_max(const struct chart *c) {
    uint64_t m = 0;
    size_t i;

    for (i = 0; i < c->nseries; i++)
        if (c->series[i].packets > 0 && c->series[i].len_max > m)
            m = c->series[i].len_max;
    return m;
}
