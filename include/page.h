/*
 * page.h - the HTML pages and the static files of www/, loaded once at start.
 *
 * www/index.html is a template: the upload form (which works without
 * JavaScript) plus three placeholders, each exactly once:
 *   <!--TITLE-->    text of <title>
 *   <!--RESULT-->   the result or error section (empty on the plain page)
 *   <!--VERSION-->  pcapchart's version, in the footer
 * Pages are built into a capped buf (MAX_PAGE_BYTES is the caller's cap);
 * every interpolated text goes through esc_xml(). The other files of www/
 * (style.css, app.js, favicon.svg) are served as they are by name, and only
 * those: nothing is read from disk after page_load().
 *
 * Threads: page_load/page_release at start and stop only; everything else
 * reads the loaded page and may run in any number of threads at once.
 */
#ifndef PAGE_H
#define PAGE_H

#include <stddef.h>

#include "buf.h"
#include "chart.h"
#include "err.h"

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
};

#define PAGE_INIT                                                                        \
    {                                                                                    \
        {                                                                                \
            { NULL, NULL, NULL, 0 }                                                      \
        }                                                                                \
    }

/*
 * Read every file of www/ from dir (borrowed). Each must be a regular file of
 * at most MAX_STATIC_BYTES, and the template must hold each placeholder
 * exactly once. 0, or -1 with err (500, naming the file) and p released.
 */
int page_load(struct page *p, const char *dir, struct err *err);

/* Free what page_load read. Accepts PAGE_INIT; may be called twice. */
void page_release(struct page *p);

/*
 * The static file called name (borrowed), or NULL when there is none of that
 * exact name (the template is not a static file). Borrowed from p.
 */
const struct page_file *page_static(const struct page *p, const char *name);

/* Append the plain upload page to out. 0, or -1 with err (500). */
int page_index(const struct page *p, struct buf *out, struct err *err);

/* What the result page shows. Every pointer is borrowed. */
struct page_result {
    const char *file_name;     /* the client's file name (sanitised base name) */
    const struct chart *chart; /* after pipeline_chart */
    const char *svg;           /* svg_render output, inlined as it is */
    size_t svg_len;
    int width, height; /* echoed into the export form; 0: not given */
    size_t max_points; /* echoed into the export form; 0: not given */
};

/*
 * Append the result page (form, then a section with the escaped file name,
 * packet count, duration, warnings, the inline SVG, and a form posting the
 * same file to /api/chart as SVG, JSON or CSV) to out. 0, or -1 with err (500).
 */
int page_result(const struct page *p, const struct page_result *r, struct buf *out,
                struct err *err);

/*
 * Append the error page: the form again and a section saying
 * "<status> <reason>" and msg, both escaped. reason and msg are borrowed.
 * 0, or -1 with err (500).
 */
int page_error(const struct page *p, int status, const char *reason, const char *msg,
               struct buf *out, struct err *err);

#endif
