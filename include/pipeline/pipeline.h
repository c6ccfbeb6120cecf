/*
 * pipeline.h - the one path from a capture file to a rendered chart:
 * tshark (tshark.c) -> streaming parse (tsjson.c) -> chart model (chart.c)
 * -> renderer (svg.c, export.c). Used by the CLI and by every HTTP route.
 */
#ifndef PIPELINE_H
#define PIPELINE_H

#include "base/buf.h"
#include "chart/chart.h"
#include "base/err.h"
#include "tshark/tshark.h"

enum out_format { FORMAT_SVG = 0, FORMAT_JSON, FORMAT_CSV };

/* "svg", "json", "csv" -> *f. 0, or -1 when unknown. */
int format_parse(const char *s, enum out_format *f);
/* The Content-Type of a format ("image/svg+xml", ...). Static string. */
const char *format_ctype(enum out_format f);

/*
 * Run tshark on capture (borrowed path) and add every packet to c, which the
 * caller chart_init'ed and configured (series, filters). One tshark run per
 * series. display_name (borrowed) names the file in messages; cancel_fd is
 * the client socket or -1. Ends with chart_finish(c). A damaged capture or an
 * early stop still returns 0 with a warning in c. -1 with err otherwise
 * (statuses as tshark_run; 422 also for garbage tshark accepts that has no
 * usable frame, e.g. a PNG read as one frame without time).
 */
int pipeline_chart(const struct tshark *ts, const char *capture, const char *display_name,
                   int cancel_fd, struct chart *c, struct err *err);

/*
 * pipeline_chart() on a capture another thread is still writing (an upload
 * as it arrives; grow, borrowed, tells how far: growfile.h). An unfiltered
 * series taken by a warm tshark reads it as it grows, so dissection overlaps
 * the upload; other runs wait for its end. When the writer abandons it:
 * -1 with err 499.
 */
int pipeline_chart_growing(const struct tshark *ts, const char *capture,
                           const char *display_name, int cancel_fd, struct growfile *grow,
                           struct chart *c, struct err *err);

/* Render c in format f, appending to out. 0 or -1 with err (500). */
int pipeline_render(const struct chart *c, enum out_format f, struct buf *out,
                    struct err *err);

#endif
