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
 * Renderers (svg.c, export.c) read the model; nothing else writes it.
 */
#ifndef CHART_H
#define CHART_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "tsjson.h"

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

struct series {
    char name[64];                /* legend text (escaped by renderers) */
    char filter[MAX_FIELD_BYTES]; /* display filter, "" for all packets */
    char color[16];               /* "#rrggbb" */

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
};

/*
 * What the chart shows:
 *   CHART_SIZE  every packet's length against its time (scatter / M4 stems);
 *   CHART_IO    one value per time interval (Wireshark's I/O graph), io_y below;
 *   CHART_HIST  packet-length distribution in Wireshark's Packet Lengths buckets.
 */
enum chart_kind { CHART_SIZE = 0, CHART_IO, CHART_HIST };

/* CHART_IO: the value of an interval. *_PS are per second; SUM..AVG of frame.len. */
enum io_y {
    IO_PACKETS = 0,
    IO_BYTES,
    IO_BITS,
    IO_PACKETS_PS,
    IO_BYTES_PS,
    IO_BITS_PS,
    IO_SUM,
    IO_MIN,
    IO_MAX,
    IO_AVG
};

struct chart {
    enum chart_kind kind;
    int width_px, height_px; /* SVG size */
    size_t max_points;       /* exact mode up to this many packets per series */
    char title[128];         /* "Packet sizes" */
    char subject[MAX_FILENAME_BYTES + 1]; /* file name shown (client's, escaped later) */

    struct series series[MAX_SERIES];
    size_t nseries;

    uint64_t packets; /* packets tshark delivered (all series' source); chart_finish
                         sets it to the largest series count when it is still 0 */
    int stopped;      /* tshark stopped early; see warnings */

    /* view parameters, set by the caller between chart_init and the first packet */
    int64_t interval_ns; /* CHART_IO: interval width; 0 = automatic */
    enum io_y io_y;      /* CHART_IO: what each interval's value is */
    unsigned sma;        /* CHART_IO: moving average over this many intervals; 0 = off */
    int log_y;           /* CHART_IO: logarithmic Y axis */
    int has_start, has_end;   /* zoom: packets before start_ns / after end_ns are */
    int64_t start_ns, end_ns; /* left out of every kind (times relative, ns) */

    char warnings[MAX_WARNINGS][WARNING_BYTES];
    size_t nwarnings;
};

/*
 * Initialise an empty chart of kind CHART_SIZE with one series "Size" of
 * every packet, the given size (clamped to MIN/MAX_*_PX; <= 0: DEFAULT_*_PX)
 * and max_points (0: DEFAULT_MAX_POINTS; clamped to MAX_POINTS_LIMIT).
 * All MAX_SERIES series are ready for use ("Series N", a palette colour):
 * a caller adds one by setting its name/filter and raising nseries.
 */
void chart_init(struct chart *c, int width_px, int height_px, size_t max_points);

/* Free everything the chart owns. Safe on a chart_init'ed chart and twice. */
void chart_release(struct chart *c);

/*
 * Add one packet (p borrowed) to series si. 0, or -1 with err (500) when
 * memory runs out or si >= nseries.
 * Never fails on odd values: no time, zero or huge length, negative time.
 */
int chart_add(struct chart *c, size_t si, const struct pkt *p, struct err *err);

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
 * shows the same ones.
 */
void chart_finish(struct chart *c);

/*
 * Time range to plot (ns) over all series: [min(0, t_min), t_max]; 0,0 if
 * empty. When t_min is over 1e8 s the times are epoch times (tshark prints
 * them when frame 1 has no time) and the range is [t_min, t_max].
 */
void chart_time_range(const struct chart *c, int64_t *lo_ns, int64_t *hi_ns);

/* Largest len over all series (0 if empty). */
uint64_t chart_len_max(const struct chart *c);

#endif
