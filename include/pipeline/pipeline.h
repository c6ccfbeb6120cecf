/*
 * pipeline.h - the one place that runs tshark, capinfos, the store and the
 * renderers for a request:
 *   tshark (tshark/tshark.c) -> streaming parse (tshark/tsjson.c) -> chart
 *   model (chart/chart.c) -> renderer (render/svg.c, export.c, page.c).
 * The CLI uses pipeline_chart and pipeline_render; the HTTP server speaks
 * HTTP only and asks a struct pipeline (below) for everything else: pages,
 * static files, kept captures, and a request's analysis and answer.
 */
#ifndef PIPELINE_H
#define PIPELINE_H

#include "base/buf.h"
#include "base/err.h"
#include "base/sha256.h"
#include "chart/chart.h"
#include "chart/view.h"
#include "proc/growfile.h"
#include "render/page.h"
#include "store/store.h"
#include "tshark/capinfo.h"
#include "tshark/catalog.h"
#include "tshark/tshark.h"

/* The path of a kept capture's views: VIEW_PREFIX "<sha256>?query". */
#define VIEW_PREFIX "/c/"

/* The Content-Type of a format ("image/svg+xml; charset=utf-8", ...). Static. */
const char *pipeline_ctype(enum view_format f);

/*
 * The deadline of an analysis that starts at from_ms (mono_now_ms time):
 * ts->timeout_s later, 0 (none) without a timeout.
 */
int64_t pipeline_deadline(const struct tshark *ts, int64_t from_ms);

/*
 * Run tshark on capture (borrowed path) and add every packet to c, which the
 * caller chart_init'ed and configured (series, filters). One tshark run per
 * series, all of them under one deadline_ms (mono_now_ms time; 0: none, or
 * with grow: ts->timeout_s from the upload's end, growfile_end_ms): each run
 * gets what is left, and the series left when it passes are not run (200
 * with a warning naming them and --timeout; c->stopped). display_name
 * (borrowed) names the file in messages; cancel_fd is the client socket or
 * -1; grow as in pipeline_chart_growing, or NULL. Ends with chart_finish(c);
 * c->deadline_ms is the deadline used. A damaged capture or an early stop
 * still returns 0 with a warning in c. -1 with err otherwise (statuses as
 * tshark_run; 504 only when the first series read nothing in time; 422 also
 * for garbage tshark accepts that has no usable frame, e.g. a PNG read as one
 * frame without time).
 */
int pipeline_chart_until(const struct tshark *ts, const char *capture,
                         const char *display_name, int cancel_fd, struct growfile *grow,
                         int64_t deadline_ms, struct chart *c, struct err *err);

/* pipeline_chart_until with the deadline pipeline_deadline(ts, now): the CLI's. */
int pipeline_chart(const struct tshark *ts, const char *capture, const char *display_name,
                   int cancel_fd, struct chart *c, struct err *err);

/*
 * pipeline_chart() on a capture another thread is still writing (an upload
 * as it arrives; grow, borrowed, tells how far: growfile.h). An unfiltered
 * series taken by a warm tshark reads it as it grows, so dissection overlaps
 * the upload; other runs wait for its end. The deadline is ts->timeout_s
 * from the upload's end, however far behind tshark is then reading it. When
 * the writer abandons it: -1 with err 499.
 */
int pipeline_chart_growing(const struct tshark *ts, const char *capture,
                           const char *display_name, int cancel_fd, struct growfile *grow,
                           struct chart *c, struct err *err);

/*
 * Render c as SVG, JSON or CSV (VIEW_HTML: the SVG), appending to out.
 * view_url (borrowed, may be NULL) goes into the JSON as "view". 0 or -1
 * with err (500).
 */
int pipeline_render(const struct chart *c, enum view_format f, const char *view_url,
                    struct buf *out, struct err *err);

/*
 * The server's side of the pipeline: one per server, shared by every
 * request thread once pipeline_open returned (every function below but
 * pipeline_open/pipeline_close is thread-safe).
 */
struct pipeline_config {
    const char *www;           /* borrowed: directory of the static files */
    const char *tmpdir;        /* borrowed: temp directory (uploads live there) */
    const char *store_dir;     /* borrowed: store directory; "" or NULL: <tmpdir>/store */
    uint64_t store_max_bytes;  /* 0: keep no capture */
    int store_ttl_s;           /* a kept capture expires this long after its last use */
    uint64_t max_upload_bytes; /* told to the page's script */
};

struct pipeline {
    const struct tshark *ts;       /* borrowed */
    struct page page;              /* www/, loaded at open */
    struct store *store;           /* owned; NULL: nothing is kept */
    char capinfos[MAX_PATH_BYTES]; /* "" when there is none */
    struct catalog *fields;        /* owned: tshark's fields (field=); NULL: not loaded */
};

#define PIPELINE_INIT                                                                    \
    { NULL, PAGE_INIT, NULL, {0}, NULL }

/*
 * Check the fields of v's series (field=) against tshark's list and set
 * their classes: 0, or -1 with err 400 naming the series and the field,
 * with close names for one tshark does not know, and the field's type for
 * one that is not a number. A view without fields passes without the list;
 * with fields and no list loaded, 503. Call after view_finish.
 */
int pipeline_check_view(const struct pipeline *p, struct view *v, struct err *err);

/*
 * The fields of tshark whose names start with prefix (borrowed), as JSON
 * into out: {"q": prefix, "fields": [{"name": "tcp.len", "type":
 * "FT_UINT32", "class": "integer", "numeric": true, "description": "TCP
 * Segment Len"}, ...], "more": bool}, at most FIELDS_ANSWER_MAX in name
 * order; when none starts so, the close names (catalog_suggest) with
 * "close": true. 0, or -1 with err (400 for a prefix that is no field name,
 * 503 without the list).
 */
int pipeline_fields(const struct pipeline *p, const char *prefix, struct buf *out,
                    struct err *err);

/*
 * Load www/, open the store (never the temp directory itself: uploads in
 * flight live there), find capinfos. ts
 * and cfg are borrowed; ts must outlive p. 0, or -1 with err (500) and p
 * closed.
 */
int pipeline_open(struct pipeline *p, const struct tshark *ts,
                  const struct pipeline_config *cfg, struct err *err);

/* Close the store (its files are deleted) and free the pages. Safe on PIPELINE_INIT
 * and twice. */
void pipeline_close(struct pipeline *p);

/* The plain upload page, appended to out. 0, or -1 with err (500). */
int pipeline_index(const struct pipeline *p, struct buf *out, struct err *err);

/*
 * The HTML error page of status (reason and msg borrowed; NULL: empty) with
 * the controls of pv (borrowed, may be NULL), appended to out. 0 or -1.
 */
int pipeline_error_page(const struct pipeline *p, int status, const char *reason,
                        const char *msg, const struct page_view *pv, struct buf *out,
                        struct err *err);

/* The static file name of www/ (borrowed from p), or NULL when there is none. */
const struct page_file *pipeline_static(const struct pipeline *p, const char *name);

/* 1 when captures are kept (a store is open), else 0. */
int pipeline_keeps(const struct pipeline *p);

/*
 * A file at path (an upload) ran out of space: make need bytes free on its
 * file system by evicting kept captures (store_free_disk). Returns how many
 * were evicted; 0: nothing could be done. Its signature is upload.h's room.
 */
int pipeline_free_disk(void *p, const char *path, uint64_t need);

/* How many warm tshark wait idle now. */
int pipeline_warm_idle(const struct pipeline *p);

/*
 * Hold the kept capture id in use (see store_acquire): *ref (owned: give it
 * back with pipeline_release_capture) and its path into path (n bytes). 0,
 * or -1 with err: 404 unknown (or nothing is kept), 410 expired or evicted.
 */
int pipeline_acquire_capture(struct pipeline *p, const unsigned char id[SHA256_BYTES],
                             struct store_ref **ref, char *path, size_t n,
                             struct err *err);

/* End pipeline_acquire_capture. Accepts NULL. Takes ref. */
void pipeline_release_capture(struct pipeline *p, struct store_ref *ref);

/* What one request asks the pipeline to chart. Every pointer borrowed. */
struct pipeline_job {
    const struct view *view; /* after view_finish */
    const char *path;        /* the capture file (a temp upload or a kept one) */
    const char *display;     /* its name in messages and on the chart */
    const unsigned char *id; /* SHA256_BYTES: the capture's content id */
    int fresh;               /* just uploaded: keep it (unless view->retain is 0) */
    int cancel_fd;           /* the client socket, or -1 */
};

/* What pipeline_analyse found out. */
struct pipeline_result {
    struct chart *chart;        /* owned: the finished chart */
    int kept;                   /* the capture is in the store: it has a view URL */
    char not_kept[ERR_MSG_MAX]; /* fresh and not kept: why ("" otherwise) */
    int have_info;              /* info is set (HTML answers only) */
    struct capinfo info;
};

#define PIPELINE_RESULT_INIT                                                             \
    {                                                                                    \
        NULL, 0, {0}, 0, {                                                               \
            {0}, {                                                                       \
                0                                                                        \
            }                                                                            \
        }                                                                                \
    }

/*
 * A new chart (owned: chart_release + free, or hand it to pipeline_analyse)
 * set up for job's view and display name, or NULL without memory.
 */
struct chart *pipeline_chart_new(const struct pipeline_job *job);

/*
 * Chart job's capture into c (from pipeline_chart_new) while another thread
 * still writes it (an upload as it arrives: pipeline_chart_growing). The
 * chart is then given to pipeline_analyse as ready. 0, or -1 with err.
 */
int pipeline_chart_early(const struct pipeline *p, const struct pipeline_job *job,
                         struct growfile *grow, struct chart *c, struct err *err);

/*
 * The analysis of job, into res (PIPELINE_RESULT_INIT; release it with
 * pipeline_result_release whatever the result): check the view's display
 * filters (400 naming the series), chart the capture -- or take ready, a
 * chart already made for this very view (an upload charted as it arrived;
 * taken, even on failure) --, keep a fresh capture in the store, and for an
 * HTML answer read capinfos' facts. The caller holds what keeps job->path
 * alive and its analysis slot until this returns. 0, or -1 with err
 * (statuses as pipeline_chart; 499 when the client left).
 */
int pipeline_analyse(struct pipeline *p, const struct pipeline_job *job,
                     struct chart *ready, struct pipeline_result *res, struct err *err);

/* Free what res holds; res is PIPELINE_RESULT_INIT after. */
void pipeline_result_release(struct pipeline_result *res);

/* The answer to a job: body, its type, and the URL of its view. */
struct pipeline_answer {
    struct buf body;
    const char *ctype; /* static */
    char *location;    /* owned: "/c/<sha256>?query[&format=F]" when kept, else NULL */
};

#define PIPELINE_ANSWER_INIT                                                             \
    { BUF_INIT(0), NULL, NULL }

/*
 * Render res (after pipeline_analyse returned 0) in the view's format: the
 * SVG, JSON (with "view": its URL when kept) or CSV, or the HTML result page
 * with the SVG inlined. 0, or -1 with err (500: too large, no memory).
 */
int pipeline_render_answer(const struct pipeline *p, const struct pipeline_job *job,
                           const struct pipeline_result *res, struct pipeline_answer *ans,
                           struct err *err);

/* Free what ans holds. */
void pipeline_answer_release(struct pipeline_answer *ans);

/*
 * The URL of the view v of kept capture id: "/c/<hex>" and "?query" when the
 * view has parameters (owned), or NULL without memory.
 */
char *pipeline_view_url(const struct view *v, const unsigned char id[SHA256_BYTES]);

#endif
