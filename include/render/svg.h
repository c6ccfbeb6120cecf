/*
 * svg.h - render a chart model as a standalone SVG document.
 *
 * Output is deterministic (no timestamps or random ids, "%.2f" numbers, no
 * setlocale) and every text node or attribute value taken from input goes
 * through esc_xml(). The document has a viewBox, title, legend, axes with
 * nice ticks and units, grid lines, <title>/<desc> for screen readers, and
 * native <title> tooltips on points when there are at most
 * SVG_TOOLTIP_MAX_POINTS of them. Its size stays far below MAX_SVG_BYTES:
 * exact mode draws each packet as a short path segment, decimated mode one
 * min-max stem per column.
 *
 * CHART_IO: one line per series through every interval's value (at the
 * interval's start, as in the JSON; the values of export_io_next), drawn as
 * at most a vertical run per pixel column however many intervals; dots on
 * the points when they are 8 px apart or more; a linear y axis from 0 or,
 * with log_y, powers of ten with zeros on the floor. When the intervals are
 * at most SVG_TOOLTIP_MAX_POINTS and 2 px apart, each has a hover band whose
 * <title> gives the interval and every series' value.
 * CHART_HIST: the ten buckets side by side, one bar per series in each
 * (grouped), a hover band per bucket and a <title> per bar (bucket, count,
 * share), the counts over the bars when there is one series.
 * Both use the style block's hover rules; a zoom sets the time axis to
 * exactly [start_ns, end_ns] (size too) and the subtitle says "N of M
 * packets in range".
 *
 * The root of a chart with a time axis (size, io) carries its data extent,
 * for the page's zoom (www/app.js) and any other reader:
 *   data-t0   the time shown as 0, in seconds (chart_time_origin: "0", or the
 *             earliest timestamp of an epoch-time capture, 9 decimals at most)
 *   data-x0, data-x1    the time axis' left and right edge, in seconds since
 *             data-t0 ("%.9f"); with a zoom exactly start and end
 *   data-px0, data-px1, data-py0, data-py1   the plot area in SVG units
 *             (viewBox), left, right, top, bottom
 * So the time at SVG x is t0 + x0 + (x - px0) / (px1 - px0) * (x1 - x0), in
 * the seconds of the start= and end= parameters. A histogram has none.
 */
#ifndef SVG_H
#define SVG_H

#include "base/buf.h"
#include "chart/chart.h"
#include "base/err.h"

/*
 * Append the SVG of c (borrowed) to out. 0, or -1 with err (500) when out's
 * cap is reached.
 */
int svg_render(const struct chart *c, struct buf *out, struct err *err);

#endif
