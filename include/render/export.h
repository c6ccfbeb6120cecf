/*
 * export.h - the chart model as JSON or CSV (same numbers as the SVG).
 *
 * JSON (one object):
 *   {"packets": N, "duration": S, "decimated": false,   (S null if nothing is timed)
 *    "series": [{"name": "Size", "filter": "", "color": "#rrggbb",
 *                "packets": N, "points": [[t, len], ...]}],
 *    "warnings": ["..."], "view": "/c/<sha256>?..."}     ("view" only when given)
 * t is seconds with 9 decimals exactly as tshark prints frame.time_relative
 * (null when the frame had no time), len an integer. Exact mode lists every
 * packet in capture order. Decimated mode sets "decimated": true and
 * "packets_per_point", and lists per non-empty column, in time order, the
 * points first/min/max/last (each once, in time order), so every column's
 * smallest and largest packet is present; each series also gets "columns":
 * [{"t0": s, "t1": s, "count": n, "bytes": n, "min": len, "max": len}, ...].
 *
 * CSV: a header "time_relative,len" (with a leading "series," column when
 * there is more than one series), then one row per point; a frame without
 * time has an empty first field.
 *
 * The size JSON above has no "kind" key (it is as it was before the other
 * kinds); the other kinds start with one.
 *
 * Zoom (any kind): when start or end is set, the object also has
 * "start": s|null, "end": s|null (the bounds given) and "in_range": N (the
 * packets inside them, largest series), and each series "out_of_range": N;
 * "packets" stays the number of packets read.
 *
 * CHART_IO JSON:
 *   {"kind": "io", "packets": N, "duration": S, "interval": s, "y": "bytes/s",
 *    "sma": N, "log": false,
 *    "series": [{"name", "filter", "color", "packets", "bytes",
 *                "points": [[interval_start, value], ...]}],
 *    "warnings": [...]}
 * "interval" is the width in seconds (the automatic choice when none was
 * given). points lists every interval from the one holding 0 or the earliest
 * packet, whichever is earlier (start when given; the earliest packet for
 * epoch times, see chart_time_range), to the one holding the last packet
 * (end when given), empty ones included, interval_start in seconds with 9
 * decimals. Values are those of
 * chart_io_next() (chart/io.h): integers for packets, bytes, bits, sum, min and max
 * without sma; otherwise numbers with a point (at most 15 significant digits,
 * at most 9 decimals). "log" only changes the SVG's axis.
 * CSV: "interval_start,<series name>,..." then one row per interval.
 *
 * CHART_HIST JSON:
 *   {"kind": "hist", "packets": N, "duration": S,
 *    "series": [{"name", "filter", "color", "packets", "bytes",
 *                "buckets": [{"lo": 0, "hi": 19, "count": N}, ...,
 *                            {"lo": 5120, "hi": null, "count": N}],
 *                "stats": {"count": N, "min": N, "max": N, "mean": F,
 *                          "p50": N, "p95": N, "p99": N}}],
 *    "warnings": [...]}
 * over every packet of the series (with or without time, unless a zoom is
 * set); min..p99 are null when count is 0; p50/p95/p99 are nearest-rank (see
 * chart.h), and "approximate": true is added when the series had more
 * than HIST_EXACT_BIG_LENS distinct lengths over 65535 (a percentile among
 * those is then rounded down, by less than 0.1%).
 * CSV: "lo,hi,<series name>,..." then one row per bucket (the last hi empty).
 */
#ifndef EXPORT_H
#define EXPORT_H

#include <stdint.h>

#include "base/buf.h"
#include "chart/chart.h"
#include "base/err.h"

/*
 * Append the JSON of c (borrowed) to out. view_url (borrowed; NULL: none)
 * is the canonical view of a kept capture, "/c/<sha256>?...": it becomes the
 * object's last key, after "warnings": ..., "view": "/c/...". 0, or -1 with
 * err (500).
 */
int export_json(const struct chart *c, const char *view_url, struct buf *out,
                struct err *err);

/* Append the CSV of c (borrowed) to out. 0, or -1 with err (500). */
int export_csv(const struct chart *c, struct buf *out, struct err *err);

#endif
