/*
 * export.h - the chart model as JSON or CSV (same numbers as the SVG).
 *
 * JSON (one object):
 *   {"packets": N, "duration": S, "decimated": false,   (S null if nothing is timed)
 *    "series": [{"name": "Size", "filter": "", "color": "#rrggbb",
 *                "packets": N, "points": [[t, len], ...]}],
 *    "warnings": ["..."]}
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
 */
#ifndef EXPORT_H
#define EXPORT_H

#include <stdint.h>

#include "buf.h"
#include "chart.h"
#include "err.h"

/* Append the JSON of c (borrowed) to out. 0, or -1 with err (500). */
int export_json(const struct chart *c, struct buf *out, struct err *err);

/* Append the CSV of c (borrowed) to out. 0, or -1 with err (500). */
int export_csv(const struct chart *c, struct buf *out, struct err *err);

/* Format ns as seconds with 9 decimals ("-0.011267000") into dst (>= 32 bytes). */
char *export_fmt_seconds(char *dst, size_t n, int64_t ns);

#endif
