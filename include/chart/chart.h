/*
 * chart.h - the chart model: series of packets aggregated as they arrive.
 *
 * No I/O. Memory is bounded by the chart, not by the capture: a series keeps
 * every packet exactly (exact mode) while it has at most max_points of them;
 * the packet that would pass max_points switches it to decimated mode, where
 * time is cut into at most MAX_COLUMNS columns of equal power-of-two width
 * (in ns) and each column keeps count, bytes, and its first, last, smallest
 * and largest packet (M4). The time range is not known in advance: a packet
 * landing before or past the columns doubles the width and merges columns
 * pairwise until it fits, so backward and negative timestamps are fine.
 * Renderers (svg.c, export.c) read the model; nothing else writes it. The
 * values of an I/O graph are computed in chart/io.h.
 *
 * That is CHART_SIZE. The other kinds keep aggregates only, also bounded by
 * the chart and filled in one pass (see struct series):
 *   CHART_IO    per series, one struct io_bin per time interval. With a given
 *               interval the bins have exactly that width, counted from
 *               interval 0 (floor for negative times), and the chart spans at
 *               most chart_io_max_intervals(nseries) of them. Automatic: bins of 10^k ns
 *               (1 us up), widened tenfold (groups of 10 merged) whenever a
 *               series would need more than IO_AUTO_BINS; chart_finish picks
 *               a 1/2/5 x 10^k interval, a multiple of every bin width, that
 *               gives at most IO_AUTO_MAX_INTERVALS intervals (about 100-300)
 *               and chart_io_bin() merges bins into it exactly.
 *   CHART_HIST  per series, the Packet Lengths bucket counts and an exact
 *               count per frame length (below 65536 in a 64K array, above it
 *               in a bounded list) for percentiles.
 * Zoom (has_start/has_end) leaves packets out of every kind in chart_add.
 */
#ifndef CHART_H
#define CHART_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "base/err.h"
#include "chart/names.h"
#include "tshark/catalog.h"
#include "tshark/fields.h"

/*
 * One packet kept in a series: time (ns, relative), length, frame number
 * (tshark's frame.number; the packet's 1-based place in the series when
 * tshark gave none). Capture order between columns is told by the number.
 */
struct point {
    int64_t t_ns;
    uint64_t len;
    uint64_t number;
};

/* One decimated column: [origin + i*width, origin + (i+1)*width). */
struct column {
    uint64_t count; /* 0: empty column, the points below are unset */
    uint64_t bytes;
    struct point first; /* first in capture order */
    struct point last;  /* last in capture order */
    struct point min;   /* smallest len (first such in capture order) */
    struct point max;   /* largest len (first such in capture order) */
};

/* CHART_IO: one bin (one interval, or part of one) of a series. Mergeable. */
struct io_bin {
    uint64_t count;    /* packets; 0: empty bin, min and max are 0 */
    uint64_t bytes;    /* sum of frame.len (saturating) */
    uint64_t min, max; /* smallest and largest frame.len */
};

/*
 * CHART_HIST: Wireshark's Packet Lengths buckets 0-19, 20-39, 40-79, ...,
 * 2560-5119, 5120 and greater (bucket b > 0 starts at 20 * 2^(b-1)).
 */
#define HIST_BUCKETS 10
#define HIST_SMALL_LENS 65536 /* lengths counted one by one in series.len_counts */
/*
 * CHART_HIST of a field: linear buckets of a 1, 2 or 5 x 10^k width (in the
 * field's units, nano-units for times) that cut the values' range into at
 * most HIST_FIELD_BUCKETS, counted at chart_finish from the exact counts.
 */
#define HIST_FIELD_BUCKETS 20
#define HIST_MAX_BUCKETS 32

/* CHART_HIST: how many frames of a series had one length > 65535. */
struct len_count {
    uint64_t len;
    uint64_t count;
};

struct series {
    char name[64];                /* legend text (escaped by renderers) */
    char filter[MAX_FIELD_BYTES]; /* display filter, "" for all packets */
    char color[16];               /* "#rrggbb" */

    /*
     * The field charted: "" for frame.len (one value per packet). Else
     * every value tshark prints for that field in a packet of the series
     * is one entry of the kind below, as a packet of that length would be
     * (a point, a bin's count and sum, min and max): packets, bytes, len_*
     * and the rest count values, and frames the packets. field_class says
     * how its text is read (set with the field, before the first packet):
     * integers and booleans as they are, times and floats in nano-units
     * (field_nano: 1.5 is 1500000000, printed back with 9 decimals).
     * Values that are negative, not finite or past 2^64 nano-units are left
     * out (skipped), and past MAX_FIELD_VALUES in one packet (cut).
     */
    char field[MAX_FIELD_NAME_BYTES];
    enum field_class field_class;
    int field_nano;
    /* a series of a split: the value that selects it (as tshark prints it); other */
    char value[SPLIT_VALUE_BYTES];
    int other;       /* the "other" series of a split: every packet of no top value */
    uint64_t frames; /* with a field: packets of the series (zoom aside) */
    uint64_t frames_with; /* ...that had at least one value */
    uint64_t skipped, cut;

    /* statistics over every packet of the series */
    uint64_t packets;           /* all packets, with or without time */
    uint64_t timed;             /* packets with a time (the ones plotted) */
    uint64_t no_time;           /* packets without frame.time_relative */
    uint64_t zero_len;          /* packets with frame.len 0 */
    uint64_t bytes;             /* sum of frame.len (saturating) */
    int64_t t_min_ns, t_max_ns; /* over timed packets; valid if timed > 0 */
    uint64_t len_min, len_max;  /* over all packets; valid if packets > 0 */

    /* exact mode: every packet in capture order, t_ns = INT64_MIN when no time */
    struct point *pts; /* owned */
    size_t npts, cap;

    /* decimated mode (decimated != 0): pts is freed, only timed packets count */
    int decimated;
    struct column *cols; /* owned; ncols == MAX_COLUMNS entries */
    size_t ncols;
    int64_t origin_ns; /* start of column 0, a multiple of width_ns */
    int64_t width_ns;  /* a power of two, >= 1 */

    /*
     * Zoom: packets chart_add left out because their time is before
     * start_ns or after end_ns, or because they have no time while a zoom
     * is set. They are in no other count of the series.
     */
    uint64_t out_of_range;

    /*
     * CHART_IO: bins[k] holds the timed packets of [(bin0 + k) * bin_ns,
     * (bin0 + k + 1) * bin_ns). bin_ns is c->interval_ns when one is given,
     * else a power of ten >= IO_MIN_INTERVAL_NS; 0 before the first packet.
     * Bins around the packets may be empty (room to grow). Read them through
     * chart_io_bin(), which merges them into the chart's intervals.
     */
    struct io_bin *bins; /* owned; nbins entries */
    size_t nbins;
    int64_t bin0;
    int64_t bin_ns;

    /*
     * CHART_HIST: buckets count every packet (with or without time). For
     * percentiles, len_counts[len] counts lengths below HIST_SMALL_LENS
     * (allocated at the first packet); longer ones go to big, (len, count)
     * pairs appended and sorted-and-merged when full (2 * HIST_EXACT_BIG_LENS
     * entries): exact while a series has at most HIST_EXACT_BIG_LENS distinct
     * lengths above 65535. Past that they move to big_log, 1024 slots per
     * power of two, and a percentile that falls there is the lower bound of
     * its slot (less than 0.1% below the true length; big_log != NULL says
     * so). p50/p95/p99 are nearest-rank percentiles of frame.len (the
     * smallest length with at least ceil(p * packets / 100) packets at or
     * below it), set by chart_finish.
     */
    uint64_t buckets[HIST_MAX_BUCKETS]; /* chart_nbuckets(c) of them in use */
    uint64_t *len_counts;               /* owned; HIST_SMALL_LENS entries or NULL */
    struct len_count *big; /* owned; nbig used; sorted by len after chart_finish */
    size_t nbig;
    uint64_t *big_log; /* owned; NULL while big is exact */
    uint64_t p50, p95, p99;
};

/* enum chart_kind and enum io_y are in chart/names.h, with their names. */

struct chart {
    enum chart_kind kind;
    int width_px, height_px; /* SVG size */
    size_t max_points;       /* exact mode up to this many packets per series */
    char title[128];         /* "Packet sizes" */
    char subject[MAX_FILENAME_BYTES + 1]; /* file name shown (client's, escaped later) */

    struct series series[CHART_MAX_SERIES];
    size_t nseries;

    uint64_t packets;    /* packets tshark delivered (all series' source); chart_finish
                            sets it to the largest series count when it is still 0 */
    int stopped;         /* tshark stopped early; see warnings */
    int64_t deadline_ms; /* not the model's: the mono_now_ms() time the analysis
                            filling it had to end by (0: none or not known yet),
                            for what the pipeline still does after it (capinfos).
                            Renderers ignore it */

    /*
     * split=: the series are the top values of this field (and "other"),
     * made by the pipeline's first pass; "" none. top: how many values.
     */
    char split[MAX_FIELD_NAME_BYTES];
    unsigned top;
    int split_quote; /* its values are strings: quoted in the series' filters */

    /* view parameters, set by the caller between chart_init and the first packet */
    int64_t interval_ns; /* CHART_IO: interval width; 0 = automatic */
    enum io_y io_y;      /* CHART_IO: what each interval's value is */
    unsigned sma;        /* CHART_IO: moving average over this many intervals; 0 = off */
    int log_y;           /* CHART_IO: logarithmic Y axis */
    int has_start, has_end;   /* zoom: packets before start_ns / after end_ns are */
    int64_t start_ns, end_ns; /* left out of every kind (times relative, ns) */

    /* CHART_IO, set by chart_add and chart_finish; renderers read them */
    int64_t io_interval_ns; /* the interval shown: interval_ns or the automatic one */
    int64_t io_first;       /* index of the first interval (starts io_first * interval) */
    size_t io_count;        /* intervals shown, io_first to io_first + io_count - 1 */
    int io_spanned;         /* given interval: io_lo..io_hi are the interval indices */
    int64_t io_lo, io_hi;   /* packets, 0 and the zoom reached so far (the cap check) */

    /* CHART_HIST, set by chart_finish: the buckets (chart_bucket_lo/hi) */
    int hist_linear;           /* a field's linear buckets; 0: Wireshark's */
    uint64_t hist_lo0, hist_w; /* linear: bucket b is [lo0 + b*w, lo0 + (b+1)*w) */
    size_t hist_n;             /* buckets in use (HIST_BUCKETS for Wireshark's) */

    char warnings[MAX_WARNINGS][WARNING_BYTES];
    size_t nwarnings;
};

/*
 * Initialise an empty chart of kind CHART_SIZE with one series "Size" of
 * every packet, the given size (clamped to MIN/MAX_*_PX; <= 0: DEFAULT_*_PX)
 * and max_points (0: DEFAULT_MAX_POINTS; clamped to MAX_POINTS_LIMIT).
 * All CHART_MAX_SERIES series are ready for use ("Series N", CHART_PALETTE[N - 1]
 * of chart/names.h; names and labels of kinds and io values are there too):
 * a caller adds one by setting its name/filter and raising nseries.
 */
void chart_init(struct chart *c, int width_px, int height_px, size_t max_points);

/* Free everything the chart owns. Safe on a chart_init'ed chart and twice. */
void chart_release(struct chart *c);

/*
 * Add one packet (p borrowed) to series si. 0, or -1 with err (500) when
 * memory runs out or si >= nseries. CHART_IO with a given interval also
 * fails with 400 when interval_ns is below IO_MIN_INTERVAL_NS ("interval X
 * is too small: the smallest is 1 us") or when the chart would span more
 * than chart_io_max_intervals(nseries) intervals ("interval X is too small
 * for this capture: more than N intervals[ for each of its S series]; use
 * interval >= Y s"), at the first packet past it, before its bins are made;
 * the span counts from interval 0 (or start_ns) to the packet and end_ns.
 * Never fails on odd values: no time, zero or huge length, negative time.
 * A packet outside the zoom only counts in out_of_range.
 */
int chart_add(struct chart *c, size_t si, const struct pkt *p, struct err *err);

/*
 * Make series si chart the values of field (borrowed; "" or "frame.len":
 * the frame's length) of class k instead of frame.len. Before its first
 * packet.
 */
void chart_set_field(struct chart *c, size_t si, const char *field, enum field_class k);

/*
 * Record a warning shown to the user (printf-style, cut to WARNING_BYTES).
 * A warning equal to one already there is not added twice; past MAX_WARNINGS
 * they are dropped.
 */
void chart_warn(struct chart *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * After the last packet: add the warnings the data calls for (frames without
 * time, frames of length 0, no packets at all, decimation) so every renderer
 * shows the same ones. CHART_IO: choose the interval and the intervals shown
 * (io_interval_ns, io_first, io_count). CHART_HIST: sort the long lengths
 * and set p50/p95/p99. For kinds other than CHART_SIZE a title still
 * "Packet sizes" becomes "I/O graph" or "Packet lengths", and a series 0
 * still named "Size" is renamed "All packets" (or its filter).
 * Allocates nothing, so it cannot fail.
 */
void chart_finish(struct chart *c);

/*
 * Time range to plot (ns) over all series: [min(0, t_min), t_max]; 0,0 if
 * empty. When t_min is over 1e8 s the times are epoch times (tshark prints
 * them when frame 1 has no time) and the range is [t_min, t_max]. A zoom
 * bound replaces its end of the range (hi is never below lo).
 */
void chart_time_range(const struct chart *c, int64_t *lo_ns, int64_t *hi_ns);

/*
 * Earliest and latest time (ns) of any timed packet over all series, as
 * seen (no zoom, no widening to 0). Returns 1, or 0 with both set to 0 when
 * no packet has a time.
 */
int chart_timed_extent(const struct chart *c, int64_t *lo_ns, int64_t *hi_ns);

/*
 * The time shown as 0 on a time axis: 0, or for epoch times (see
 * chart_time_range) the earliest timestamp of every series.
 */
int64_t chart_time_origin(const struct chart *c);

/*
 * CHART_IO after chart_finish: the packets of series si in interval k
 * (0 <= k < io_count), all zero when there are none (or k is out of range).
 */
struct io_bin chart_io_bin(const struct chart *c, size_t si, size_t k);

/*
 * CHART_IO with a given interval: the most intervals a chart of nseries
 * series may span: MAX_IO_INTERVALS, or less with many series, as
 * MAX_IO_CELLS is the budget of all of them together (the bins and the
 * answer are bounded whatever the count).
 */
size_t chart_io_max_intervals(size_t nseries);

/*
 * The smallest interval (ns; 1, 2 or 5 x 10^k, at least IO_MIN_INTERVAL_NS)
 * that cuts lo_ns..hi_ns into at most chart_io_max_intervals(nseries)
 * intervals: what a 400 for a too small interval suggests.
 */
int64_t chart_io_min_interval(int64_t lo_ns, int64_t hi_ns, size_t nseries);

/* Start (ns) of interval k, saturated to the int64_t range. */
int64_t chart_io_start(const struct chart *c, size_t k);

/*
 * CHART_HIST after chart_finish: how many buckets, and the bounds of bucket
 * b, both included (hi of Wireshark's last one is UINT64_MAX: no bound), in
 * the values' units (series.field_nano: nano-units).
 */
size_t chart_nbuckets(const struct chart *c);
uint64_t chart_bucket_lo(const struct chart *c, size_t b);
uint64_t chart_bucket_hi(const struct chart *c, size_t b);

/* CHART_HIST: bucket of a frame length, and the bounds of bucket b (hi of the
 * last one is UINT64_MAX: no bound), in Wireshark's Packet Lengths buckets. */
size_t chart_hist_bucket(uint64_t len);
uint64_t chart_hist_lo(size_t b);
uint64_t chart_hist_hi(size_t b);

/* Packets in range (largest series count) and packets seen (the same plus
 * those the zoom left out, or c->packets when larger). Equal without zoom. */
uint64_t chart_in_range(const struct chart *c);
uint64_t chart_seen(const struct chart *c);

/* Largest len over all series (0 if empty). */
uint64_t chart_len_max(const struct chart *c);

#endif
