/*
 * names.h - the one table of what the chart kinds, the io values and the
 * series colours are called: the names of the query string and the JSON,
 * the labels of the page's controls and of the SVG's axis, the units of
 * tooltips, and the palette. The page (page.c) hands the same table to the
 * script (app.js) as a JSON data block, so nothing is copied.
 *
 * Every string is static.
 */
#ifndef NAMES_H
#define NAMES_H

#include <stddef.h>

#include "config.h"

/*
 * What the chart shows:
 *   CHART_SIZE  every packet's length against its time (scatter / M4 stems);
 *   CHART_IO    one value per time interval (Wireshark's I/O graph), io_y below;
 *   CHART_HIST  packet-length distribution in Wireshark's Packet Lengths buckets.
 */
enum chart_kind { CHART_SIZE = 0, CHART_IO, CHART_HIST };

/*
 * CHART_IO: the value of an interval. *_PS are per second; SUM..SUM_PS of
 * the series' field (frame.len by default), PACKETS..BITS_PS of its frames.
 */
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
    IO_AVG,
    IO_COUNT, /* occurrences of the field (frame.len: one per packet) */
    IO_SUM_PS /* SUM per second */
};

#define CHART_NKINDS ((size_t)CHART_HIST + 1)
#define IO_NY ((size_t)IO_SUM_PS + 1)

struct kind_names {
    const char *name;  /* kind=: "size", "io", "hist" */
    const char *label; /* the page's choice: "Packet sizes over time" */
    const char *title; /* the chart's default title: "Packet sizes" */
};

struct io_y_names {
    const char *name;  /* y=: "packets", "bytes/s", "avg" */
    const char *label; /* the page's choice and the y axis title: "Bytes/s" */
    const char *unit;  /* after a value in tooltips: "packets", "B/s" */
    int bytes;         /* a number of bytes: B, kB, MB on the axis */
    int per_second;    /* divided by the interval (the axis title says so) */
    int integral;      /* whole numbers without sma */
    int of_field;      /* reads the series' field (sum..sum/s); else its frames */
};

/* Indexed by enum chart_kind and enum io_y. */
extern const struct kind_names CHART_KINDS[CHART_NKINDS];
extern const struct io_y_names IO_YS[IO_NY];

/*
 * Okabe-Ito colours (upper case, as the chart and its exports carry them),
 * series i starts with CHART_PALETTE[i].
 */
extern const char *const CHART_PALETTE[MAX_SERIES];

/* The names of k and y ("packets" for an io_y out of range, "size" likewise). */
const char *chart_kind_name(enum chart_kind k);
const char *chart_io_y_name(enum io_y y);

/* The names entry of y; that of IO_PACKETS when y is out of range. Static. */
const struct io_y_names *chart_io_y(enum io_y y);

/*
 * The kind or io value whose name is the len bytes of s (borrowed; not
 * NUL-terminated). 0 and *out set, or -1 when none is.
 */
int chart_kind_parse(const char *s, size_t len, enum chart_kind *out);
int chart_io_y_parse(const char *s, size_t len, enum io_y *out);

#endif
