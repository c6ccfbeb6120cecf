/*
 * page.h - the HTML pages and the static files of www/, loaded once at start.
 *
 * www/index.html is a template with six placeholders, each exactly once:
 *   <!--TITLE-->     text of <title>
 *   <!--KEEP-->      what the server keeps of an upload, and for how long
 *   <!--CONTROLS-->  the chart controls inside the upload form: kind, series
 *                    (name, colour, display filter), interval, y, moving
 *                    average, log scale, zoom, size; and the buttons: "Draw
 *                    chart" posts the file (POST /), "Update chart" (when a
 *                    stored capture is shown) gets the same view of it again
 *                    (GET /c/<sha256>?...) - both work without JavaScript
 *   <!--RESULT-->    the result or error section (empty on the plain page)
 *   <!--VERSION-->   pcapchart's version, in the footer
 *   <!--META-->      <script type="application/json" id="pcapchart-meta">: the
 *                    names of chart/names.h for www/app.js, {"kinds": [{"name",
 *                    "label"}...], "y": [{"name", "label", "unit"}...],
 *                    "palette": ["#0072B2", ...]} ('<' written \u003c)
 * Pages are built into a capped buf (MAX_PAGE_BYTES is the caller's cap);
 * every interpolated text goes through esc_xml(). The other files of www/
 * (style.css, app.js, favicon.svg) are served as they are by name, and only
 * those: nothing is read from disk after page_load().
 *
 * Threads: page_load/page_release/page_set_policy at start and stop only;
 * everything else reads the loaded page and may run in any number of
 * threads at once.
 */
#ifndef PAGE_H
#define PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "tshark/capinfo.h"
#include "chart/chart.h"
#include "base/err.h"
#include "chart/view.h"

/* The number of files of www/: index.html, style.css, app.js, favicon.svg. */
#define PAGE_NFILES 4

struct page_file {
    const char *name;  /* static string: "style.css" */
    const char *ctype; /* static string: "text/css; charset=utf-8" */
    char *data;        /* owned; NUL-terminated */
    size_t len;
};

struct page {
    struct page_file files[PAGE_NFILES]; /* files[0] is the template */
    int keep_s;                          /* store ttl in seconds; 0: nothing is kept */
    uint64_t max_upload_bytes;           /* told to the script (checked before sending) */
};

#define PAGE_INIT                                                                        \
    { {{NULL, NULL, NULL, 0}}, 0, 0 }

/*
 * Read every file of www/ from dir (borrowed). Each must be a regular file of
 * at most MAX_STATIC_BYTES, and the template must hold each placeholder
 * exactly once. 0, or -1 with err (500, naming the file) and p released.
 */
int page_load(struct page *p, const char *dir, struct err *err);

/* What the pages say about keeping uploads: keep_s 0 when nothing is kept. */
void page_set_policy(struct page *p, int keep_s, uint64_t max_upload_bytes);

/* Free what page_load read. Accepts PAGE_INIT; may be called twice. */
void page_release(struct page *p);

/*
 * The static file called name (borrowed), or NULL when there is none of that
 * exact name (the template is not a static file). Borrowed from p.
 */
const struct page_file *page_static(const struct page *p, const char *name);

/*
 * The state the controls show; every pointer borrowed, each may be NULL:
 * view (NULL: defaults), id_hex (the stored capture "Update chart" re-renders;
 * NULL: none, no such button), file_name (its name, sent along as filename).
 */
struct page_view {
    const struct view *view;
    const char *id_hex;
    const char *file_name;
};

/* Append the plain upload page to out. 0, or -1 with err (500). */
int page_index(const struct page *p, struct buf *out, struct err *err);

/* What the result page shows. Every pointer is borrowed. */
struct page_result {
    struct page_view pv;       /* controls; pv.view must not be NULL */
    const char *file_name;     /* the client's file name (sanitised base name) */
    const struct chart *chart; /* after pipeline_chart */
    const char *svg;           /* svg_render output, inlined as it is */
    size_t svg_len;
    const char *view_url;       /* "/c/<sha256>?query": the view and its downloads;
                                   NULL when the capture was not kept */
    const char *not_kept;       /* why not (shown), when view_url is NULL; may be NULL */
    const struct capinfo *info; /* file format and link types; NULL: unknown */
};

/*
 * Append the result page to out: the controls set to the view, then a
 * section with the escaped file name, the chart, downloads (SVG, CSV, JSON
 * links to the view URL, PNG made by the script), a summary table (file
 * format, link types, time span and zoom, and per series packets, bytes,
 * duration, smallest/mean/largest frame), warnings, and, when the capture
 * was not kept, a form posting the file again to /api/chart. 0, or -1 with
 * err (500).
 */
int page_result(const struct page *p, const struct page_result *r, struct buf *out,
                struct err *err);

/*
 * Append the error page: the form again (its controls set from pv, which may
 * be NULL) and a section saying "<status> <reason>" and msg, both escaped.
 * reason and msg are borrowed (NULL: empty). 0, or -1 with err (500).
 */
int page_error(const struct page *p, int status, const char *reason, const char *msg,
               const struct page_view *pv, struct buf *out, struct err *err);

#endif
