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
 */
#ifndef SVG_H
#define SVG_H

#include "buf.h"
#include "chart.h"
#include "err.h"

/*
 * Append the SVG of c (borrowed) to out. 0, or -1 with err (500) when out's
 * cap is reached.
 */
int svg_render(const struct chart *c, struct buf *out, struct err *err);

#endif
