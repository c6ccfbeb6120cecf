/* http.c - see http.h */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include <microhttpd.h>

#include "buf.h"
#include "chart.h"
#include "escape.h"
#include "http.h"
#include "log.h"
#include "page.h"
#include "pipeline.h"
#include "svg.h"
#include "upload.h"
#include "banned.h"

/*
 * A multipart body is the file plus framing and the small fields, so the
 * body may pass max_upload_bytes by this much; the file itself is capped
 * exactly by upload.c.
 */
#define BODY_SLACK_BYTES (8 * (uint64_t)MAX_FIELD_BYTES)

#define CSP                                                                              \
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; " \
    "script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "    \
    "form-action 'self'"

#define CTYPE_HTML "text/html; charset=utf-8"
#define CTYPE_JSON "application/json"
#define CTYPE_TEXT "text/plain; charset=utf-8"

struct http {
    struct MHD_Daemon *d;
    const struct options *opts; /* borrowed */
    const struct tshark *ts;    /* borrowed */
    struct page page;
    atomic_uint next_id;
    atomic_int jobs; /* analyses running now */
    int port;
};

enum route { ROUTE_NONE = 0, ROUTE_INDEX, ROUTE_API, ROUTE_STATIC, ROUTE_HEALTH };
enum method { METHOD_OTHER = 0, METHOD_GET, METHOD_HEAD, METHOD_POST };
enum cache { CACHE_NO_STORE = 0, CACHE_NO_CACHE };

/* The small form fields (and query parameters) we read; others are ignored. */
enum field { FIELD_WIDTH = 0, FIELD_HEIGHT, FIELD_FORMAT, FIELD_MAX_POINTS, FIELD_COUNT };
static const char *const FIELD_NAMES[FIELD_COUNT] = {"width", "height", "format",
                                                     "max_points"};

struct params {
    enum out_format format;
    int width, height; /* 0: default */
    size_t max_points; /* 0: default */
};

/* Per-request state: hangs off *req_cls, freed only by on_completed(). */
struct req {
    struct http *h;
    unsigned id;
    int64_t t0_ms;
    enum route route;
    enum method method;
    char method_name[16];                  /* for the log, sanitised */
    char path[MAX_FILENAME_BYTES + 1];     /* for the log, sanitised and cut */
    const struct page_file *file;          /* ROUTE_STATIC: borrowed from h->page */
    int status;                            /* status queued; 0: none yet */
    size_t sent_bytes;                     /* body bytes queued */
    struct err err;                        /* err.status != 0: decided, drain the rest */
    uint64_t body_bytes;                   /* body bytes received */
    struct MHD_PostProcessor *pp;          /* owned; NULL when not a form upload */
    struct upload up;                      /* the temp file; owned */
    int file_seen;                         /* a part named "file" arrived */
    char filename[MAX_FILENAME_BYTES + 1]; /* sanitised base name of the client's */
    char fields[FIELD_COUNT][MAX_FIELD_BYTES + 1];
    size_t field_len[FIELD_COUNT];
    int field_set[FIELD_COUNT];
    int job; /* holds one of h->jobs */
    int chart_live;
    struct chart chart; /* large: lives on the heap with the request */
};

static int64_t mono_ms(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Copy s into dst (n bytes) for a log line: printable ASCII only, cut to fit. */
static void log_safe(char *dst, size_t n, const char *s) {
    size_t i;

    for (i = 0; i + 1 < n && s != NULL && s[i] != '\0'; i++)
        dst[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    dst[i] = '\0';
}

/*
 * The base name of the client's file name into dst (MAX_FILENAME_BYTES + 1
 * bytes): after the last '/' or '\', cut to MAX_FILENAME_BYTES without
 * splitting a UTF-8 sequence; "upload" when nothing is left. Only ever shown
 * escaped.
 */
static void base_name(char *dst, const char *name) {
    const char *s = name != NULL ? name : "", *p;
    size_t len;

    for (p = s; *p != '\0'; p++) {
        if (*p == '/' || *p == '\\')
            s = p + 1;
    }
    len = strlen(s);
    if (len > MAX_FILENAME_BYTES) {
        len = MAX_FILENAME_BYTES;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    if (len == 0) {
        s = "upload";
        len = strlen(s);
    }
    memcpy(dst, s, len);
    dst[len] = '\0';
}

/* replies */

/*
 * Queue resp (taken: destroyed here) with the headers every response gets.
 * Records status and bytes for the log line.
 */
static enum MHD_Result queue(struct req *r, struct MHD_Connection *conn, int status,
                             const char *ctype, struct MHD_Response *resp, size_t len,
                             enum cache cache) {
    enum MHD_Result ret = MHD_NO;
    const char *allow = NULL;

    if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) != MHD_YES ||
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") != MHD_YES ||
        MHD_add_response_header(resp, "Referrer-Policy", "no-referrer") != MHD_YES ||
        MHD_add_response_header(resp, "Content-Security-Policy", CSP) != MHD_YES ||
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                                cache == CACHE_NO_STORE ? "no-store" : "no-cache") !=
            MHD_YES)
        goto done;
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE) {
        char s[16];
        snprintf(s, sizeof(s), "%d", RETRY_AFTER_S);
        if (MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, s) != MHD_YES)
            goto done;
    }
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED) {
        switch (r->route) {
        case ROUTE_INDEX:
            allow = "GET, HEAD, POST";
            break;
        case ROUTE_API:
            allow = "POST";
            break;
        default:
            allow = "GET, HEAD";
            break;
        }
        if (MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow) != MHD_YES)
            goto done;
    }
    ret = MHD_queue_response(conn, (unsigned)status, resp);
    if (ret == MHD_YES) {
        r->status = status;
        r->sent_bytes = len;
    }
done:
    MHD_destroy_response(resp);
    return ret;
}

/* Send body as the response. Takes body's memory (reset even on failure). */
static enum MHD_Result reply_buf_take(struct req *r, struct MHD_Connection *conn,
                                      int status, const char *ctype, struct buf *body,
                                      enum cache cache) {
    struct MHD_Response *resp;
    size_t len = 0;
    char *data;

    if ((data = buf_detach(body, &len)) == NULL)
        return MHD_NO;
    /* MHD frees data with free() once sent */
    resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(data);
        return MHD_NO;
    }
    return queue(r, conn, status, ctype, resp, len, cache);
}

static enum MHD_Result reply_static(struct req *r, struct MHD_Connection *conn,
                                    int status, const char *ctype, const char *data,
                                    size_t len, enum cache cache) {
    struct MHD_Response *resp;

    /* data lives in h->page until http_stop, after every connection ended */
    resp = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return MHD_NO;
    return queue(r, conn, status, ctype, resp, len, cache);
}

static int is_api(const struct req *r) {
    return r->route == ROUTE_API || strncmp(r->path, "/api/", 5) == 0;
}

/*
 * Answer e: JSON {"error": msg} on /api/, the HTML error page elsewhere.
 * 499 (the client went away) closes the connection without an answer.
 */
static enum MHD_Result reply_err(struct req *r, struct MHD_Connection *conn,
                                 const struct err *e) {
    struct buf body = BUF_INIT(MAX_PAGE_BYTES);
    int status = e->status >= 100 && e->status <= 599 ? e->status : 500;
    const char *msg = e->msg[0] != '\0' ? e->msg : "internal error";
    const char *reason;
    char line[ERR_MSG_MAX];

    if (e->status == 499) {
        r->status = 499;
        return MHD_NO;
    }
    log_safe(line, sizeof(line), msg);
    if (status >= 500 && status != 503)
        log_warnx("req %u: %s", r->id, line);
    else
        log_debug("req %u: %s", r->id, line);
    if (is_api(r)) {
        if (buf_puts(&body, "{\"error\": ") == -1 || esc_json(&body, msg) == -1 ||
            buf_puts(&body, "}\n") == -1)
            goto fail;
        return reply_buf_take(r, conn, status, CTYPE_JSON, &body, CACHE_NO_STORE);
    }
    reason = MHD_get_reason_phrase_for((unsigned)status);
    if (page_error(&r->h->page, status, reason != NULL ? reason : "", msg, &body, NULL) ==
        -1)
        goto fail;
    return reply_buf_take(r, conn, status, CTYPE_HTML, &body, CACHE_NO_STORE);
fail:
    buf_release(&body);
    return MHD_NO;
}

static enum MHD_Result reply_errf(struct req *r, struct MHD_Connection *conn, int status,
                                  const char *msg) {
    struct err e = ERR_INIT;

    err_set(&e, status, "%s", msg);
    return reply_err(r, conn, &e);
}

/* parameters */

/*
 * Parse a decimal integer of s (len bytes, no sign, no spaces) in [lo, hi].
 * 0, or -1 when s is not one.
 */
static int parse_num(const char *s, size_t len, unsigned long lo, unsigned long hi,
                     unsigned long *out) {
    unsigned long v = 0;
    size_t i;

    if (len == 0 || len > 9)
        return -1;
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/*
 * The value of field f: the form field when it was sent non-empty, else the
 * query parameter, else NULL (use the default). -1 with err (400) when the
 * query value is too long.
 */
static int field_value(struct req *r, struct MHD_Connection *conn, enum field f,
                       const char **val, size_t *len, struct err *err) {
    const char *v = NULL;
    size_t n = 0;

    *val = NULL;
    *len = 0;
    if (r->field_set[f] && r->field_len[f] > 0) {
        *val = r->fields[f];
        *len = r->field_len[f];
        return 0;
    }
    if (MHD_lookup_connection_value_n(conn, MHD_GET_ARGUMENT_KIND, FIELD_NAMES[f],
                                      strlen(FIELD_NAMES[f]), &v, &n) != MHD_YES ||
        v == NULL || n == 0)
        return 0;
    if (n > MAX_FIELD_BYTES)
        return err_set(err, 400, "parameter '%s' longer than %d bytes", FIELD_NAMES[f],
                       MAX_FIELD_BYTES);
    *val = v;
    *len = n;
    return 0;
}

/* Query parameters and small form fields into p. 0, or -1 with err (400). */
static int resolve_params(struct req *r, struct MHD_Connection *conn, struct params *p,
                          struct err *err) {
    const char *v;
    size_t n;
    unsigned long num;

    p->format = FORMAT_SVG;
    p->width = 0;
    p->height = 0;
    p->max_points = 0;
    if (r->route == ROUTE_API) {
        if (field_value(r, conn, FIELD_FORMAT, &v, &n, err) == -1)
            return -1;
        if (v != NULL && (strlen(v) != n || format_parse(v, &p->format) == -1))
            return err_set(err, 400, "format must be svg, json or csv");
    }
    if (field_value(r, conn, FIELD_WIDTH, &v, &n, err) == -1)
        return -1;
    if (v != NULL) {
        if (parse_num(v, n, MIN_WIDTH_PX, MAX_WIDTH_PX, &num) == -1)
            return err_set(err, 400, "width must be a whole number from %d to %d",
                           MIN_WIDTH_PX, MAX_WIDTH_PX);
        p->width = (int)num;
    }
    if (field_value(r, conn, FIELD_HEIGHT, &v, &n, err) == -1)
        return -1;
    if (v != NULL) {
        if (parse_num(v, n, MIN_HEIGHT_PX, MAX_HEIGHT_PX, &num) == -1)
            return err_set(err, 400, "height must be a whole number from %d to %d",
                           MIN_HEIGHT_PX, MAX_HEIGHT_PX);
        p->height = (int)num;
    }
    if (field_value(r, conn, FIELD_MAX_POINTS, &v, &n, err) == -1)
        return -1;
    if (v != NULL) {
        if (parse_num(v, n, 0, MAX_POINTS_LIMIT, &num) == -1)
            return err_set(err, 400, "max_points must be a whole number from 0 to %d",
                           MAX_POINTS_LIMIT);
        p->max_points = (size_t)num;
    }
    return 0;
}

/* the multipart body */

static enum MHD_Result on_file(struct req *r, const char *filename, const char *data,
                               uint64_t off, size_t size) {
    const struct options *o = r->h->opts;

    if (!r->file_seen) {
        r->file_seen = 1;
        base_name(r->filename, filename);
        if (upload_open(&r->up, o->tmpdir, o->max_upload_bytes, &r->err) == -1) {
            log_warn("req %u: cannot create temp file in '%s'", r->id, o->tmpdir);
            return MHD_NO;
        }
    } else if (off != r->up.bytes || (off == 0 && r->up.bytes > 0)) {
        /* a second part named "file": a continuation always goes on at off == bytes */
        err_set(&r->err, 400, "more than one field 'file' in the upload");
        return MHD_NO;
    }
    if (size > 0 && upload_write(&r->up, data, size, &r->err) == -1) {
        if (r->err.status != 413)
            log_warn("req %u: cannot write temp file '%s'", r->id, r->up.path);
        return MHD_NO;
    }
    return MHD_YES;
}

/* MHD_PostDataIterator: one chunk of one form field. */
static enum MHD_Result on_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *filename, const char *content_type,
                                const char *transfer_encoding, const char *data,
                                uint64_t off, size_t size) {
    struct req *r = cls;
    size_t f;

    (void)kind;
    (void)content_type;
    (void)transfer_encoding;
    if (r->err.status != 0)
        return MHD_NO;
    if (key == NULL)
        return MHD_YES;
    if (strcmp(key, "file") == 0)
        return on_file(r, filename, data, off, size);
    for (f = 0; f < FIELD_COUNT; f++) {
        if (strcmp(key, FIELD_NAMES[f]) == 0)
            break;
    }
    if (f == FIELD_COUNT)
        return MHD_YES; /* a field we do not use */
    if (off > MAX_FIELD_BYTES || size > MAX_FIELD_BYTES - off) {
        err_set(&r->err, 400, "form field '%s' longer than %d bytes", FIELD_NAMES[f],
                MAX_FIELD_BYTES);
        return MHD_NO;
    }
    if (off == 0)
        r->field_len[f] = 0; /* a repeated field: the last one wins */
    if (size > 0)
        memcpy(r->fields[f] + off, data, size);
    r->field_len[f] = (size_t)off + size;
    r->fields[f][r->field_len[f]] = '\0';
    r->field_set[f] = 1;
    return MHD_YES;
}

/* routing */

static enum route route_of(const char *url, const struct page *page,
                           const struct page_file **file) {
    *file = NULL;
    if (strcmp(url, "/") == 0)
        return ROUTE_INDEX;
    if (strcmp(url, "/api/chart") == 0)
        return ROUTE_API;
    if (strcmp(url, "/healthz") == 0)
        return ROUTE_HEALTH;
    /* only the names page_load() read: no path is ever built from the URL */
    if (strncmp(url, "/static/", 8) == 0 && (*file = page_static(page, url + 8)) != NULL)
        return ROUTE_STATIC;
    return ROUTE_NONE;
}

static int method_allowed(enum route route, enum method m) {
    switch (route) {
    case ROUTE_INDEX:
        return m == METHOD_GET || m == METHOD_HEAD || m == METHOD_POST;
    case ROUTE_API:
        return m == METHOD_POST;
    case ROUTE_STATIC:
    case ROUTE_HEALTH:
        return m == METHOD_GET || m == METHOD_HEAD;
    default:
        return 0;
    }
}

static struct req *req_new(struct http *h, const char *url, const char *method) {
    struct req *r;

    if ((r = calloc(1, sizeof(*r))) == NULL) {
        log_warn("cannot allocate request state");
        return NULL;
    }
    r->h = h;
    r->id = atomic_fetch_add(&h->next_id, 1) + 1;
    r->t0_ms = mono_ms();
    r->up = (struct upload)UPLOAD_INIT;
    log_safe(r->method_name, sizeof(r->method_name), method);
    log_safe(r->path, sizeof(r->path), url);
    if (strcmp(method, MHD_HTTP_METHOD_GET) == 0)
        r->method = METHOD_GET;
    else if (strcmp(method, MHD_HTTP_METHOD_HEAD) == 0)
        r->method = METHOD_HEAD;
    else if (strcmp(method, MHD_HTTP_METHOD_POST) == 0)
        r->method = METHOD_POST;
    else
        r->method = METHOD_OTHER;
    r->route = route_of(url, &h->page, &r->file);
    return r;
}

static void req_free(struct req *r) {
    if (r == NULL)
        return;
    if (r->pp != NULL)
        MHD_destroy_post_processor(r->pp);
    upload_release(&r->up);
    if (r->chart_live)
        chart_release(&r->chart);
    if (r->job)
        atomic_fetch_sub(&r->h->jobs, 1);
    free(r);
}

static int is_upload(const struct req *r) {
    return r->method == METHOD_POST && (r->route == ROUTE_INDEX || r->route == ROUTE_API);
}

/*
 * First call, headers only: route, method, and the checks that need no body
 * (Content-Type, Content-Length, query parameters, busy). A failed check is
 * recorded in r->err; an upload that passes gets its post processor.
 */
static void check_headers(struct req *r, struct MHD_Connection *conn) {
    const struct options *o = r->h->opts;
    const char *ctype, *clen;
    struct params p;
    unsigned long long n;
    char *end;

    if (r->route == ROUTE_NONE) {
        err_set(&r->err, 404, "no such page");
        return;
    }
    if (!method_allowed(r->route, r->method)) {
        err_set(&r->err, 405, "method %s not allowed here", r->method_name);
        return;
    }
    if (!is_upload(r))
        return;
    ctype =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (ctype == NULL || strncasecmp(ctype, "multipart/form-data", 19) != 0 ||
        (ctype[19] != '\0' && ctype[19] != ';' && ctype[19] != ' ')) {
        err_set(&r->err, 415,
                "expected a multipart/form-data upload with the capture in field 'file'");
        return;
    }
    clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                       MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (clen != NULL) {
        errno = 0;
        n = strtoull(clen, &end, 10);
        /* MHD already refused a malformed Content-Length; be strict anyway */
        if (errno == 0 && end != clen && *end == '\0' &&
            (uint64_t)n > o->max_upload_bytes &&
            (uint64_t)n - o->max_upload_bytes > BODY_SLACK_BYTES) {
            err_set(&r->err, 413, "upload larger than %" PRIu64 " bytes",
                    o->max_upload_bytes);
            return;
        }
    }
    if (resolve_params(r, conn, &p, &r->err) == -1)
        return;
    if (atomic_load(&r->h->jobs) >= o->jobs) {
        err_set(&r->err, 503, "busy: all %d analysis slots are in use, try again in %d s",
                o->jobs, RETRY_AFTER_S);
        return;
    }
    r->pp = MHD_create_post_processor(conn, HTTP_POST_BUFFER_BYTES, on_field, r);
    if (r->pp == NULL)
        err_set(&r->err, 400, "multipart/form-data upload without a boundary");
}

/* Body bytes: into the post processor until a status is decided, then dropped. */
static void on_body(struct req *r, const char *data, size_t size) {
    uint64_t max = r->h->opts->max_upload_bytes;

    r->body_bytes += size;
    if (r->err.status != 0 || r->pp == NULL)
        return; /* draining, or a body nobody asked for */
    if (r->body_bytes > max && r->body_bytes - max > BODY_SLACK_BYTES) {
        err_set(&r->err, 413, "upload larger than %" PRIu64 " bytes", max);
    } else if (MHD_post_process(r->pp, data, size) != MHD_YES && r->err.status == 0) {
        err_set(&r->err, 400, "malformed multipart/form-data body");
    }
    if (r->err.status != 0)
        upload_release(&r->up); /* nothing more goes into it: free the disk now */
}

/* The chart of the uploaded file, as the API's format or as the HTML page. */
static enum MHD_Result answer_upload(struct req *r, struct MHD_Connection *conn) {
    struct http *h = r->h;
    struct buf svg = BUF_INIT(MAX_SVG_BYTES);
    struct buf out = BUF_INIT(MAX_PAGE_BYTES);
    struct err err = ERR_INIT;
    struct page_result pr;
    struct params p;
    const union MHD_ConnectionInfo *ci;
    int cancel_fd = -1, rc;

    if (r->pp != NULL) {
        /* also checks the body ended where multipart says it should */
        rc = MHD_destroy_post_processor(r->pp) == MHD_YES ? 0 : -1;
        r->pp = NULL;
        if (rc == -1 && r->err.status == 0)
            err_set(&r->err, 400, "incomplete multipart/form-data body");
    }
    if (r->err.status != 0)
        goto fail_req;
    if (resolve_params(r, conn, &p, &r->err) == -1)
        goto fail_req;
    if (!r->file_seen) {
        err_set(&r->err, 400, "no file field 'file' in the upload");
        goto fail_req;
    }
    if (r->up.bytes == 0) {
        err_set(&r->err, 400, "the uploaded file '%s' is empty", r->filename);
        goto fail_req;
    }
    if (upload_close(&r->up, &r->err) == -1) {
        log_warn("req %u: cannot close temp file '%s'", r->id, r->up.path);
        goto fail_req;
    }

    if (atomic_fetch_add(&h->jobs, 1) >= h->opts->jobs) {
        atomic_fetch_sub(&h->jobs, 1);
        err_set(&r->err, 503, "busy: all %d analysis slots are in use, try again in %d s",
                h->opts->jobs, RETRY_AFTER_S);
        goto fail_req;
    }
    r->job = 1;
    chart_init(&r->chart, p.width > 0 ? p.width : DEFAULT_WIDTH_PX,
               p.height > 0 ? p.height : DEFAULT_HEIGHT_PX, p.max_points);
    r->chart_live = 1;
    snprintf(r->chart.subject, sizeof(r->chart.subject), "%s", r->filename);
    if ((ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD)) != NULL)
        cancel_fd = ci->connect_fd;
    rc = pipeline_chart(h->ts, r->up.path, r->filename, cancel_fd, &r->chart, &err);
    atomic_fetch_sub(&h->jobs, 1);
    r->job = 0;
    upload_release(&r->up); /* tshark is done with it */
    if (rc == -1)
        goto fail;

    if (r->route == ROUTE_API) {
        buf_init(&out, p.format == FORMAT_SVG ? MAX_SVG_BYTES : MAX_EXPORT_BYTES);
        if (pipeline_render(&r->chart, p.format, &out, &err) == -1)
            goto fail;
        return reply_buf_take(r, conn, 200, format_ctype(p.format), &out, CACHE_NO_STORE);
    }
    if (svg_render(&r->chart, &svg, &err) == -1)
        goto fail;
    pr.file_name = r->filename;
    pr.chart = &r->chart;
    pr.svg = svg.data;
    pr.svg_len = svg.len;
    pr.width = p.width;
    pr.height = p.height;
    pr.max_points = p.max_points;
    if (page_result(&h->page, &pr, &out, &err) == -1)
        goto fail;
    buf_release(&svg);
    return reply_buf_take(r, conn, 200, CTYPE_HTML, &out, CACHE_NO_STORE);

fail_req:
    err = r->err;
fail:
    buf_release(&svg);
    buf_release(&out);
    return reply_err(r, conn, &err);
}

/* The last call of a request: the whole body is in. */
static enum MHD_Result answer(struct req *r, struct MHD_Connection *conn) {
    struct buf body = BUF_INIT(MAX_PAGE_BYTES);
    struct err err = ERR_INIT;

    if (is_upload(r))
        return answer_upload(r, conn);
    if (r->err.status != 0)
        return reply_err(r, conn, &r->err);
    switch (r->route) {
    case ROUTE_HEALTH:
        return reply_static(r, conn, 200, CTYPE_TEXT, "ok\n", 3, CACHE_NO_STORE);
    case ROUTE_STATIC:
        return reply_static(r, conn, 200, r->file->ctype, r->file->data, r->file->len,
                            CACHE_NO_CACHE);
    case ROUTE_INDEX:
        if (page_index(&r->h->page, &body, &err) == -1) {
            buf_release(&body);
            return reply_err(r, conn, &err);
        }
        return reply_buf_take(r, conn, 200, CTYPE_HTML, &body, CACHE_NO_CACHE);
    default:
        return reply_errf(r, conn, 404, "no such page");
    }
}

/* MHD_AccessHandlerCallback: called once for the headers, per body chunk, and last. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls) {
    struct http *h = cls;
    struct req *r = *req_cls;
    const char *expect;

    (void)version;
    if (r == NULL) {
        if ((r = req_new(h, url, method)) == NULL)
            return MHD_NO;
        *req_cls = r;
        check_headers(r, conn);
        if (r->err.status == 0)
            return MHD_YES;
        /*
         * Decided before the body: a client waiting for "100 Continue" gets
         * the answer instead and sends nothing; any other client's body is
         * drained first, so it is not cut off (and reset) mid-send.
         */
        expect =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
        if (expect != NULL && strcasecmp(expect, "100-continue") == 0)
            return reply_err(r, conn, &r->err);
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        on_body(r, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->status != 0)
        return MHD_YES; /* answered early */
    return answer(r, conn);
}

/* MHD_RequestCompletedCallback: the one place a request's state is freed. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe) {
    struct req *r = *req_cls;

    (void)cls;
    (void)conn;
    (void)toe;
    if (r == NULL)
        return;
    log_info("req %u: %s %s -> %d (%zu bytes, %" PRId64 " ms)", r->id, r->method_name,
             r->path, r->status != 0 ? r->status : 499, r->sent_bytes,
             mono_ms() - r->t0_ms);
    req_free(r);
    *req_cls = NULL;
}

/* MHD's own error messages, into our log. */
__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt,
                                                             va_list ap) {
    char line[ERR_MSG_MAX];
    size_t n;

    (void)cls;
    if (vsnprintf(line, sizeof(line), fmt, ap) < 0)
        return;
    n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    log_warnx("http: %s", line);
}

struct http *http_start(const struct options *opts, const struct tshark *ts,
                        struct err *err) {
    struct http *h = NULL;
    struct addrinfo hints, *ai = NULL;
    const union MHD_DaemonInfo *info;
    char port[16];
    unsigned int flags;
    int rc;

    if ((h = calloc(1, sizeof(*h))) == NULL) {
        err_set(err, 500, "out of memory");
        goto fail;
    }
    h->opts = opts;
    h->ts = ts;
    atomic_init(&h->next_id, 0);
    atomic_init(&h->jobs, 0);
    if (page_load(&h->page, opts->www, err) == -1)
        goto fail;
    if (upload_prepare_dir(opts->tmpdir, err) == -1)
        goto fail;

    rc = snprintf(port, sizeof(port), "%d", opts->port);
    if (rc < 0 || (size_t)rc >= sizeof(port) || opts->port < 0 || opts->port > 65535) {
        err_set(err, 500, "bad port %d", opts->port);
        goto fail;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    rc = getaddrinfo(opts->bind[0] != '\0' ? opts->bind : NULL, port, &hints, &ai);
    if (rc != 0) {
        err_set(err, 500, "cannot use bind address '%s': %s", opts->bind,
                gai_strerror(rc));
        goto fail;
    }
    flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
            MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    /* the logger must come first, or MHD logs the earlier options' errors itself */
    h->d = MHD_start_daemon(
        flags, (uint16_t)opts->port, NULL, NULL, on_request, h,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, h, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_MAX_CONNS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_CONN_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY_BYTES,
        MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_END);
    if (h->d == NULL) {
        err_set(err, 500, "cannot listen on '%s' port %d (see the log above)", opts->bind,
                opts->port);
        goto fail;
    }
    info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info != NULL && info->port != 0 ? (int)info->port : opts->port;
    freeaddrinfo(ai);
    return h;
fail:
    if (ai != NULL)
        freeaddrinfo(ai);
    if (h != NULL) {
        page_release(&h->page);
        free(h);
    }
    return NULL;
}

int http_port(const struct http *h) {
    return h != NULL ? h->port : -1;
}

void http_stop(struct http *h) {
    if (h == NULL)
        return;
    /* joins every connection thread: running requests finish first */
    if (h->d != NULL)
        MHD_stop_daemon(h->d);
    page_release(&h->page);
    free(h);
}
