/*
 * io.h - the values of an I/O graph (CHART_IO), one definition for the SVG,
 * the JSON and the CSV.
 *
 * With I the interval in seconds and an interval's packets (chart_io_bin):
 *   packets: count            bytes, sum: bytes      bits: 8 * bytes
 *   packets/s: count / I      bytes/s: bytes / I     bits/s: 8 * bytes / I
 *   min, max: smallest, largest frame.len (0 when empty)
 *   avg: bytes / count (0 when empty)
 * With a field (series.field), a bin's count and bytes are the count and
 * sum of the field's values: count: count, sum/s: sum / I, and sum, min,
 * max, avg, sum/s of a field kept in nano-units (series.field_nano) are
 * divided by 1e9 (seconds, for times).
 * With sma = N > 0, Wireshark's I/O graph moving average (io_graph.cpp,
 * recalcGraphData) replaces each value: with h = N / 2 (integer division),
 * the value of interval k is the mean of the plain values of intervals
 * max(0, k - h) .. min(io_count - 1, k + max(h, 1) - 1), a window of N
 * intervals (N - 1 when N is odd and above 1) around k, cut short at both
 * ends of the chart. It is computed as a running sum, the same in every
 * renderer.
 *
 * No I/O, no allocation. Threads: an io_values belongs to its caller.
 */
#ifndef CHART_IO_H
#define CHART_IO_H

#include <stddef.h>

#include "chart/chart.h"

struct io_values {
    const struct chart *c; /* borrowed */
    size_t si;             /* series */
    size_t k;              /* interval chart_io_next returns next */
    size_t lo, hi;         /* sma: intervals [lo, hi) are in sum */
    double sum;
    int integral; /* the values are whole numbers (no sma; packets..bits, sum..max) */
};

/* Start reading series si of c (borrowed, after chart_finish) at interval 0. */
void chart_io_begin(struct io_values *v, const struct chart *c, size_t si);

/* The value of interval v->k, then v->k + 1. v->k must be below io_count. */
double chart_io_next(struct io_values *v);

/* The value of interval k of series si without sma. */
double chart_io_plain(const struct chart *c, size_t si, size_t k);

#endif
