/* http.c - see http.h */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "base/buf.h"
#include "tshark/capinfo.h"
#include "chart/chart.h"
#include "base/escape.h"
#include "http/gate.h"
#include "http/headers.h"
#include "http/http.h"
#include "base/log.h"
#include "render/page.h"
#include "pipeline/pipeline.h"
#include "base/sha256.h"
#include "store/store.h"
#include "render/svg.h"
#include "http/upload.h"
#include "chart/view.h"
#include "banned.h"

/*
 * A multipart body is the file plus framing and the small fields, so the
 * body may pass max_upload_bytes by this much; the file itself is capped
 * exactly by upload.c.
 */
#define BODY_SLACK_BYTES ((uint64_t)MAX_FORM_BYTES + 8 * (uint64_t)MAX_FIELD_BYTES)

#define CTYPE_HTML "text/html; charset=utf-8"
#define CTYPE_JSON "application/json"
#define CTYPE_TEXT "text/plain; charset=utf-8"

#define VIEW_PREFIX "/c/"

/* reply_err_close: how long writing its answer may take */
#define RAW_REPLY_TIMEOUT_MS 2000

struct http {
    struct MHD_Daemon *d;
    struct gate *gate; /* owned: the listening socket, and heads until complete */
    const struct options *opts; /* borrowed */
    const struct tshark *ts;    /* borrowed */
    struct page page;
    struct store *store;           /* owned; NULL: nothing is kept */
    char capinfos[MAX_PATH_BYTES]; /* "" when there is none */
    atomic_uint next_id;
    int port;

    /*
     * Analysis slots: at most opts->jobs run, at most opts->queue wait for
     * one (up to QUEUE_WAIT_S), the rest get 503. The fds of running
     * analyses are kept so a shutdown past its grace period can end them.
     */
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int running;
    int waiting;
    int answering; /* took a slot, answer not yet sent: a graceful stop waits */
    int stopping;
    int active_fds[HTTP_MAX_CONNS];
};

enum route {
    ROUTE_NONE = 0,
    ROUTE_INDEX,
    ROUTE_API,
    ROUTE_VIEW,
    ROUTE_STATIC,
    ROUTE_HEALTH
};
enum method { METHOD_OTHER = 0, METHOD_GET, METHOD_HEAD, METHOD_POST };
enum cache { CACHE_NO_STORE = 0, CACHE_NO_CACHE };

/* One view field of the multipart body: its value is form.data[off, off + len). */
struct form_field {
    char key[16]; /* a view key (view_known_key), all short */
    size_t off, len;
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
    int json_errors;                       /* answer errors as JSON */
    uint64_t body_bytes;                   /* body bytes received */
    struct MHD_PostProcessor *pp;          /* owned; NULL when not a form upload */
    struct upload up;                      /* the temp file; owned */
    int file_seen;                         /* a part named "file" arrived */
    char filename[MAX_FILENAME_BYTES + 1]; /* sanitised base name of the client's */
    struct buf form;                       /* view field values (cap MAX_FORM_BYTES) */
    struct form_field fields[MAX_FORM_FIELDS];
    size_t nfields;
    unsigned char cid[SHA256_BYTES]; /* ROUTE_VIEW: the capture's id */
    char cid_hex[SHA256_HEX_BYTES];
    int have_cid;          /* cid names a capture kept in the store */
    int have_view;         /* view was parsed (the error page shows it) */
    struct view *view;     /* owned; allocated when the parameters are read */
    struct store_ref *ref; /* the kept capture in use; owned */
    char *location;        /* Content-Location of the answer; owned */
    int job;               /* holds one of h's analysis slots */
    int job_fd;            /* the client socket registered with that slot, or -1 */
    int fd;                /* the client socket (for cancelling tshark), or -1 */
    int answering;         /* counted in h->answering until the request ends */
    struct chart *chart;   /* owned; allocated and chart_init'ed by render() */

    /* multipart parts, counted by feed() */
    char delim[4 + MULTIPART_BOUNDARY_MAX_BYTES]; /* "\r\n--" and the boundary */
    size_t delim_len;                             /* 0: none known */
    size_t delim_match;                           /* bytes of delim just seen */
    unsigned parts;                               /* delimiters fed to pp so far */
    unsigned file_part;                           /* parts at the first "file" call */

    /*
     * Early analysis: an unfiltered chart whose view is known from the query
     * starts while the file still arrives; a warm tshark reads it as it grows
     * (growfile.h), so upload and dissection overlap. early_main() runs in
     * its own thread; early_stop() ends it. Its chart is r->chart.
     */
    struct growfile grow; /* how far r->up is written; ready while early */
    pthread_t early_thread;
    int early;                       /* early_thread runs or awaits its join */
    int early_tried;                 /* decided once, at the file's first bytes */
    char *early_query;               /* owned: the canonical view query it charts */
    char early_path[MAX_PATH_BYTES]; /* the temp file's path, its own copy: r->up's
                                        is cleared when a bad body ends the upload */
    int early_rc;                    /* its pipeline_chart result, after the join */
    struct err early_err;            /* with early_rc -1 */
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
    size_t len, i;

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
    /* control characters would make the name unusable in a view URL */
    for (i = 0; i < len; i++)
        if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f)
            dst[i] = '_';
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
    const struct header *hd;
    const char *allow = NULL;

    /*
     * One request per connection: the gate (gate.h) sees only a
     * connection's first request head, so a second one on a kept-alive
     * connection would reach libmicrohttpd without its deadline and limits.
     */
    if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) != MHD_YES ||
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close") != MHD_YES ||
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                                cache == CACHE_NO_STORE ? "no-store" : "no-cache") !=
            MHD_YES)
        goto done;
    for (hd = HEADERS_SECURITY; hd->name != NULL; hd++)
        if (MHD_add_response_header(resp, hd->name, hd->value) != MHD_YES)
            goto done;
    if (r->location != NULL && status == MHD_HTTP_OK &&
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_LOCATION, r->location) !=
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
    return r->route == ROUTE_API || r->json_errors || strncmp(r->path, "/api/", 5) == 0;
}

/*
 * The answer to e into body: JSON {"error": msg} on /api/ (and views asked
 * as data), the HTML error page elsewhere (its controls keep the view asked
 * for). Sets *status and *ctype (static). 0, or -1 without memory.
 */
static int err_body(struct req *r, const struct err *e, int *status, const char **ctype,
                    struct buf *body) {
    const char *msg = e->msg[0] != '\0' ? e->msg : "internal error";
    struct page_view pv = {NULL, NULL, NULL};
    const char *reason;
    char line[ERR_MSG_MAX];

    *status = e->status >= 100 && e->status <= 599 ? e->status : 500;
    log_safe(line, sizeof(line), msg);
    if (*status >= 500 && *status != 503 && *status != 507)
        log_warnx("req %u: %s", r->id, line);
    else
        log_debug("req %u: %s", r->id, line);
    if (is_api(r)) {
        *ctype = CTYPE_JSON;
        if (buf_puts(body, "{\"error\": ") == -1 || esc_json(body, msg) == -1 ||
            buf_puts(body, "}\n") == -1)
            return -1;
        return 0;
    }
    *ctype = CTYPE_HTML;
    if (r->have_view) {
        pv.view = r->view;
        /* the capture is still kept unless the error says it is not */
        if (r->have_cid && *status != 404 && *status != 410) {
            pv.id_hex = r->cid_hex;
            pv.file_name = r->view->filename[0] != '\0' ? r->view->filename : NULL;
        }
    }
    reason = MHD_get_reason_phrase_for((unsigned)*status);
    return page_error(&r->h->page, *status, reason != NULL ? reason : "", msg, &pv, body,
                      NULL);
}

/*
 * Answer e (see err_body). 499 (the client went away) closes the connection
 * without an answer.
 */
static enum MHD_Result reply_err(struct req *r, struct MHD_Connection *conn,
                                 const struct err *e) {
    struct buf body = BUF_INIT(MAX_PAGE_BYTES);
    const char *ctype = CTYPE_TEXT;
    int status;

    if (e->status == 499) {
        r->status = 499;
        return MHD_NO;
    }
    if (err_body(r, e, &status, &ctype, &body) == -1) {
        buf_release(&body);
        return MHD_NO;
    }
    return reply_buf_take(r, conn, status, ctype, &body, CACHE_NO_STORE);
}

/* Set by reply_err_close for on_mhd_log: the "internal error" MHD logs next is ours. */
static _Thread_local int closing_on_purpose;

/*
 * Answer e in the middle of the body and close the connection, reading no
 * more of it. libmicrohttpd 0.9.75 takes a response only before the first
 * body byte or after the last one, and cannot suspend a connection that has
 * a thread of its own; so the answer is written here, on the socket that no
 * response has touched yet, bounded by a short deadline, and MHD_NO makes
 * MHD close it. The client reads the answer before the reset that follows.
 */
static enum MHD_Result reply_err_close(struct req *r, struct MHD_Connection *conn,
                                       const struct err *e) {
    struct buf body = BUF_INIT(MAX_PAGE_BYTES), msg = BUF_INIT(MAX_PAGE_BYTES + 4096);
    const union MHD_ConnectionInfo *ci;
    const char *ctype = CTYPE_TEXT;
    int64_t deadline = mono_ms() + RAW_REPLY_TIMEOUT_MS;
    struct pollfd pfd;
    size_t off = 0;
    ssize_t n;
    int status;

    ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci == NULL || err_body(r, e, &status, &ctype, &body) == -1)
        goto done;
    if (headers_raw_answer(&msg, status, ctype, body.data, body.len) == -1)
        goto done;
    pfd.fd = ci->connect_fd;
    pfd.events = POLLOUT;
    while (off < msg.len && mono_ms() < deadline) {
        n = send(pfd.fd, msg.data + off, msg.len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            off += (size_t)n;
        } else if (n == -1 &&
                   (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            pfd.revents = 0;
            poll(&pfd, 1, 50);
        } else {
            break; /* the client is gone: nothing to tell it */
        }
    }
    if (off == msg.len) {
        r->status = status;
        r->sent_bytes = body.len;
    }
done:
    buf_release(&body);
    buf_release(&msg);
    closing_on_purpose = 1;
    return MHD_NO;
}

static enum MHD_Result reply_errf(struct req *r, struct MHD_Connection *conn, int status,
                                  const char *msg) {
    struct err e = ERR_INIT;

    err_set(&e, status, "%s", msg);
    return reply_err(r, conn, &e);
}

/* parameters */

struct query_ctx {
    struct view *view;
    struct err *err;
    int failed;
};

/* MHD_KeyValueIteratorN over the query string: each parameter into the view. */
static enum MHD_Result on_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                size_t key_size, const char *value, size_t value_size) {
    struct query_ctx *q = cls;

    (void)kind;
    if (key == NULL || strlen(key) != key_size)
        return MHD_YES; /* a key with a NUL in it is no key of ours */
    if (view_set(q->view, key, value != NULL ? value : "", value != NULL ? value_size : 0,
                 q->err) == -1) {
        q->failed = 1;
        return MHD_NO;
    }
    return MHD_YES;
}

/*
 * The view of the request: defaults (format def), the query string, then
 * the form's view fields (a form with series replaces the query's). 0, or
 * -1 with err (400).
 */
static int build_view(struct req *r, struct MHD_Connection *conn, enum view_format def,
                      int with_form, struct err *err) {
    struct query_ctx q = {NULL, err, 0};
    size_t i;
    int series = 0;

    if (r->view == NULL && (r->view = malloc(sizeof(*r->view))) == NULL)
        return err_set(err, 500, "out of memory");
    view_init(r->view, def);
    q.view = r->view;
    MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, on_query, &q);
    if (q.failed)
        return -1;
    for (i = 0; with_form && i < r->nfields; i++) {
        const char *k = r->fields[i].key;
        series |=
            strcmp(k, "filter") == 0 || strcmp(k, "name") == 0 || strcmp(k, "color") == 0;
    }
    if (series)
        view_clear_series(r->view);
    for (i = 0; with_form && i < r->nfields; i++) {
        if (view_set(r->view, r->fields[i].key, r->form.data + r->fields[i].off,
                     r->fields[i].len, err) == -1)
            return -1;
    }
    if (view_finish(r->view, err) == -1)
        return -1;
    r->have_view = 1;
    return 0;
}

/* the multipart body */

static int slot_try(struct http *h, int fd);
static void slot_release(struct http *h, int fd);

static void *early_main(void *arg) {
    struct req *r = arg;

    r->early_rc = pipeline_chart_growing(r->h->ts, r->early_path, r->filename, r->fd,
                                         &r->grow, r->chart, &r->early_err);
    return NULL;
}

/*
 * At the file's first bytes: start charting it while it arrives, when that
 * gives the same answer sooner without taking from others: a view from the
 * query with one unfiltered series (a filter needs a cold tshark, which
 * reads only a whole file), an idle warm tshark, and an analysis slot free
 * with another left free. The view may still change (form fields after the
 * file): answer_upload() compares it and charts again when it did.
 */
static void early_start(struct req *r) {
    struct http *h = r->h;
    struct buf q = BUF_INIT(MAX_QUERY_BYTES);
    struct err err = ERR_INIT;

    r->early_tried = 1;
    /* no series is the default one: all packets */
    if (!r->have_view || r->nfields > 0 || r->view->nseries > 1 ||
        (r->view->nseries == 1 && r->view->series[0].filter[0] != '\0') ||
        tshark_warm_idle(h->ts) == 0 || view_query(r->view, &q) == -1)
        goto out;
    /* the canonical query ("" when the view is all defaults), to compare at the end */
    r->early_query = q.data != NULL ? buf_detach(&q, NULL) : strdup("");
    if (r->early_query == NULL)
        goto out;
    if ((r->chart = calloc(1, sizeof(*r->chart))) == NULL)
        goto out;
    if (growfile_init(&r->grow, &err) == -1) {
        log_warnx("req %u: %s", r->id, err.msg);
        goto out;
    }
    if (slot_try(h, r->fd) == -1)
        goto out;
    r->job = 1;
    r->job_fd = r->fd;
    r->answering = 1; /* slot_try counted it */
    view_apply(r->view, r->chart);
    snprintf(r->chart->subject, sizeof(r->chart->subject), "%s", r->filename);
    growfile_add(&r->grow, r->up.bytes);
    snprintf(r->early_path, sizeof(r->early_path), "%s", r->up.path);
    if (pthread_create(&r->early_thread, NULL, early_main, r) != 0) {
        log_warnx("req %u: no thread for an early analysis", r->id);
        goto out; /* the slot stays ours: render() uses it */
    }
    r->early = 1;
    log_debug("req %u: charting while the upload arrives", r->id);
out:
    if (!r->early) {
        free(r->early_query);
        r->early_query = NULL;
        growfile_release(&r->grow);
        if (r->chart != NULL) {
            chart_release(r->chart);
            free(r->chart);
            r->chart = NULL;
        }
    }
    buf_release(&q);
}

/* End the early analysis: its file is complete (ok) or abandoned; join it. */
static void early_stop(struct req *r, int ok) {
    if (!r->early)
        return;
    if (ok)
        growfile_add(&r->grow, r->up.bytes);
    growfile_end(&r->grow, ok);
    pthread_join(r->early_thread, NULL);
    r->early = 0;
    growfile_release(&r->grow);
}

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
        r->file_part = r->parts;
    } else if (r->parts != r->file_part || off != r->up.bytes ||
               (off == 0 && r->up.bytes > 0)) {
        /*
         * Another part named "file", whatever its size or the first's. A
         * part's calls come while its own part number is current (see
         * feed()); the offsets catch it too when the boundary was not ours
         * to find (a continuation goes on at off == bytes).
         */
        err_set(&r->err, 400, "more than one field 'file' in the upload");
        return MHD_NO;
    }
    if (size > 0 && upload_write(&r->up, data, size, &r->err) == -1) {
        if (r->err.status != 413)
            log_warn("req %u: cannot write temp file '%s'", r->id, r->up.path);
        return MHD_NO;
    }
    if (r->early)
        growfile_add(&r->grow, r->up.bytes);
    else if (!r->early_tried && r->up.bytes >= EARLY_MIN_BYTES)
        early_start(r);
    return MHD_YES;
}

/* One chunk of a view field: a new field at off 0, else the last one goes on. */
static enum MHD_Result on_view_field(struct req *r, const char *key, const char *data,
                                     uint64_t off, size_t size) {
    struct form_field *f;

    if (off == 0) {
        if (r->nfields >= MAX_FORM_FIELDS) {
            err_set(&r->err, 400, "more than %d chart fields in the form",
                    MAX_FORM_FIELDS);
            return MHD_NO;
        }
        f = &r->fields[r->nfields++];
        snprintf(f->key, sizeof(f->key), "%s", key);
        f->off = r->form.len;
        f->len = 0;
    } else {
        f = r->nfields > 0 ? &r->fields[r->nfields - 1] : NULL;
        if (f == NULL || strcmp(f->key, key) != 0 || f->len != off) {
            err_set(&r->err, 400, "malformed multipart/form-data body");
            return MHD_NO;
        }
    }
    if (size > MAX_FIELD_BYTES - f->len) {
        err_set(&r->err, 400, "form field '%s' longer than %d bytes", key,
                MAX_FIELD_BYTES);
        return MHD_NO;
    }
    if (size > 0 && buf_append(&r->form, data, size) == -1) {
        err_set(&r->err, 400, "chart fields of the form larger than %d bytes in all",
                MAX_FORM_BYTES);
        return MHD_NO;
    }
    f->len += size;
    return MHD_YES;
}

/* MHD_PostDataIterator: one chunk of one form field. */
static enum MHD_Result on_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *filename, const char *content_type,
                                const char *transfer_encoding, const char *data,
                                uint64_t off, size_t size) {
    struct req *r = cls;

    (void)kind;
    (void)content_type;
    (void)transfer_encoding;
    if (r->err.status != 0)
        return MHD_NO;
    if (key == NULL)
        return MHD_YES;
    if (strcmp(key, "file") == 0)
        return on_file(r, filename, data, off, size);
    if (!view_known_key(key))
        return MHD_YES; /* a field we do not use */
    return on_view_field(r, key, data, off, size);
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
    if (strncmp(url, VIEW_PREFIX, strlen(VIEW_PREFIX)) == 0)
        return ROUTE_VIEW; /* the id is checked with the headers */
    /* only the names page_load() read: no path is ever built from the URL */
    if (strncmp(url, "/static/", 8) == 0 && (*file = page_static(page, url + 8)) != NULL)
        return ROUTE_STATIC;
    if (strcmp(url, "/favicon.ico") == 0 &&
        (*file = page_static(page, "favicon.svg")) != NULL)
        return ROUTE_STATIC;
    return ROUTE_NONE;
}

static int method_allowed(enum route route, enum method m) {
    switch (route) {
    case ROUTE_INDEX:
        return m == METHOD_GET || m == METHOD_HEAD || m == METHOD_POST;
    case ROUTE_API:
        return m == METHOD_POST;
    case ROUTE_VIEW:
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
    buf_init(&r->form, MAX_FORM_BYTES);
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
    r->fd = -1;
    r->job_fd = -1;
    r->route = route_of(url, &h->page, &r->file);
    if (r->route == ROUTE_VIEW) {
        const char *id = url + strlen(VIEW_PREFIX);
        if (sha256_parse_hex(id, strlen(id), r->cid) == 0) {
            sha256_hex(r->cid, r->cid_hex);
            r->have_cid = 1;
        }
    }
    return r;
}

/* 1 when a new analysis would get 503 now: every slot and queue place taken. */
static int slots_full(struct http *h) {
    int full;

    pthread_mutex_lock(&h->lock);
    full = h->stopping || (h->running >= h->opts->jobs && h->waiting >= h->opts->queue);
    pthread_mutex_unlock(&h->lock);
    return full;
}

/* Is the client behind fd gone? (a closed socket reads as EOF) */
static int client_gone(int fd) {
    struct pollfd p = {fd, POLLIN, 0};
    char c;

    if (fd == -1 || poll(&p, 1, 0) <= 0)
        return 0;
    if (p.revents & (POLLHUP | POLLERR))
        return 1;
    return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/* Count one more analysis (and answer) of h, and register fd; h->lock held. */
static void slot_take_locked(struct http *h, int fd) {
    int i;

    h->running++;
    h->answering++;
    for (i = 0; fd != -1 && i < HTTP_MAX_CONNS; i++) {
        if (h->active_fds[i] == -1) {
            h->active_fds[i] = fd;
            break;
        }
    }
}

/*
 * Take an analysis slot, waiting in the bounded queue when all are busy.
 * fd (the client socket, or -1) is registered so a shutdown can end the
 * analysis. 0, or -1 with err: 503 (queue full, waited QUEUE_WAIT_S, or
 * stopping), 499 (the client left while waiting).
 */
static int slot_acquire(struct http *h, int fd, struct err *err) {
    struct timespec until, step;
    int rc = -1, queued = 0;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += QUEUE_WAIT_S;
    pthread_mutex_lock(&h->lock);
    while (!h->stopping && h->running >= h->opts->jobs) {
        if (!queued) {
            if (h->waiting >= h->opts->queue) {
                err_set(err, 503,
                        "busy: all %d analysis slots and %d queue places are taken, try "
                        "again in %d s",
                        h->opts->jobs, h->opts->queue, RETRY_AFTER_S);
                goto done;
            }
            h->waiting++;
            queued = 1;
        }
        /* wake at least once a second to notice a client that left */
        clock_gettime(CLOCK_REALTIME, &step);
        step.tv_sec += 1;
        if (step.tv_sec > until.tv_sec)
            step = until;
        pthread_cond_timedwait(&h->changed, &h->lock, &step);
        if (client_gone(fd)) {
            err_set(err, 499, "client went away");
            goto done;
        }
        clock_gettime(CLOCK_REALTIME, &step);
        if (step.tv_sec >= until.tv_sec && h->running >= h->opts->jobs) {
            err_set(err, 503, "busy: waited %d s for an analysis slot, try again in %d s",
                    QUEUE_WAIT_S, RETRY_AFTER_S);
            goto done;
        }
    }
    if (h->stopping) {
        err_set(err, 503, "the server is shutting down, try again in %d s",
                RETRY_AFTER_S);
        goto done;
    }
    slot_take_locked(h, fd);
    rc = 0;
done:
    if (queued)
        h->waiting--;
    pthread_cond_broadcast(&h->changed);
    pthread_mutex_unlock(&h->lock);
    return rc;
}

/*
 * Take a slot for an early analysis, which holds it while the upload
 * arrives: only if one is free now, nobody waits, and one more stays free
 * for the others. 0, or -1 (nothing taken).
 */
static int slot_try(struct http *h, int fd) {
    int rc = -1;

    pthread_mutex_lock(&h->lock);
    if (!h->stopping && h->waiting == 0 && h->running + 1 < h->opts->jobs) {
        slot_take_locked(h, fd);
        rc = 0;
    }
    pthread_mutex_unlock(&h->lock);
    return rc;
}

/* Give back a slot taken by slot_acquire (fd as given there, or -1). */
static void slot_release(struct http *h, int fd) {
    int i;

    pthread_mutex_lock(&h->lock);
    h->running--;
    for (i = 0; fd != -1 && i < HTTP_MAX_CONNS; i++) {
        if (h->active_fds[i] == fd) {
            h->active_fds[i] = -1;
            break;
        }
    }
    pthread_cond_broadcast(&h->changed);
    pthread_mutex_unlock(&h->lock);
}

static void req_free(struct req *r) {
    if (r == NULL)
        return;
    early_stop(r, 0); /* before what it uses goes */
    free(r->early_query);
    if (r->pp != NULL)
        MHD_destroy_post_processor(r->pp);
    upload_release(&r->up);
    if (r->ref != NULL)
        store_release(r->h->store, r->ref);
    if (r->chart != NULL)
        chart_release(r->chart);
    free(r->chart);
    free(r->view);
    if (r->job)
        slot_release(r->h, r->job_fd);
    if (r->answering) {
        pthread_mutex_lock(&r->h->lock);
        r->h->answering--;
        pthread_cond_broadcast(&r->h->changed);
        pthread_mutex_unlock(&r->h->lock);
    }
    buf_release(&r->form);
    free(r->location);
    free(r);
}

static int is_upload(const struct req *r) {
    return r->method == METHOD_POST && (r->route == ROUTE_INDEX || r->route == ROUTE_API);
}

/*
 * The multipart delimiter of Content-Type ctype ("\r\n--" and the boundary)
 * into r->delim; none (delim_len 0) when there is no boundary of at most
 * MULTIPART_BOUNDARY_MAX_BYTES without CR or LF (MHD still judges the body).
 */
static void find_delim(struct req *r, const char *ctype) {
    const char *b = NULL, *e, *p;
    size_t n;

    r->delim_len = 0;
    for (p = ctype; *p != '\0' && b == NULL; p++)
        if (strncasecmp(p, "boundary=", 9) == 0)
            b = p + 9;
    if (b == NULL)
        return;
    if (*b == '"')
        e = strchr(++b, '"');
    else
        e = b + strcspn(b, "; \t");
    n = e != NULL ? (size_t)(e - b) : 0;
    if (n == 0 || n > MULTIPART_BOUNDARY_MAX_BYTES || strcspn(b, "\r\n") < n)
        return;
    memcpy(r->delim, "\r\n--", 4);
    memcpy(r->delim + 4, b, n);
    r->delim_len = n + 4;
    r->delim_match = 2; /* the body's first delimiter has no CRLF before it */
}

/*
 * First call, headers only: route, method, and the checks that need no body
 * (Content-Type, Content-Length, query parameters, busy). A failed check is
 * recorded in r->err; an upload that passes gets its post processor.
 */
static void check_headers(struct req *r, struct MHD_Connection *conn) {
    const struct options *o = r->h->opts;
    const union MHD_ConnectionInfo *ci;
    const char *ctype, *clen, *fmt;
    unsigned long long n;
    char *end;

    if ((ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD)) != NULL)
        r->fd = ci->connect_fd;
    if (r->route == ROUTE_NONE) {
        err_set(&r->err, 404, "no such page");
        return;
    }
    if (!method_allowed(r->route, r->method)) {
        err_set(&r->err, 405, "method %s not allowed here", r->method_name);
        return;
    }
    if (r->route == ROUTE_VIEW) {
        /* a view asked as data gets its errors as data */
        fmt = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "format");
        r->json_errors = fmt != NULL && fmt[0] != '\0' && strcmp(fmt, "html") != 0;
        if (!r->have_cid)
            err_set(&r->err, 400,
                    "malformed capture id: /c/ takes the 64 lower-case hex digits of "
                    "the capture's SHA-256");
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
    /* the query's parameters can be judged now; the form's come with the body */
    if (build_view(r, conn, r->route == ROUTE_API ? VIEW_SVG : VIEW_HTML, 0, &r->err) ==
        -1)
        return;
    if (slots_full(r->h)) {
        err_set(&r->err, 503,
                "busy: all %d analysis slots and %d queue places are taken, try again "
                "in %d s",
                o->jobs, o->queue, RETRY_AFTER_S);
        return;
    }
    r->pp = MHD_create_post_processor(conn, HTTP_POST_BUFFER_BYTES, on_field, r);
    if (r->pp == NULL)
        err_set(&r->err, 400, "multipart/form-data upload without a boundary");
    else
        find_delim(r, ctype);
}

/*
 * Feed body bytes to the post processor in pieces that end where a part
 * delimiter ends, counting the delimiters in r->parts after each piece.
 * MHD finds a delimiter that ends its input at once, and a part's header
 * comes after it, so every iterator call runs while r->parts numbers its
 * own part -- which the call's arguments cannot say: an empty part is one
 * call at offset 0 of size 0, and so is a part whose bytes are late, whose
 * data then comes at offset 0 again. 0, or -1 when MHD refused the body.
 * The boundary holds no CR or LF, so a mismatch restarts at '\r' or at 0.
 */
static int feed(struct req *r, const char *data, size_t size) {
    size_t i, start = 0;

    for (i = 0; i < size && r->delim_len > 0; i++) {
        if (data[i] == r->delim[r->delim_match])
            r->delim_match++;
        else
            r->delim_match = data[i] == '\r';
        if (r->delim_match == r->delim_len) {
            if (MHD_post_process(r->pp, data + start, i + 1 - start) != MHD_YES)
                return -1;
            r->parts++;
            r->delim_match = 0;
            start = i + 1;
        }
    }
    if (start < size && MHD_post_process(r->pp, data + start, size - start) != MHD_YES)
        return -1;
    return 0;
}

/* Body bytes: into the post processor until a status is decided, then dropped. */
static void on_body(struct req *r, const char *data, size_t size) {
    uint64_t max = r->h->opts->max_upload_bytes;

    r->body_bytes += size;
    if (r->err.status != 0 || r->pp == NULL)
        return; /* draining, or a body nobody asked for */
    if (r->body_bytes > max && r->body_bytes - max > BODY_SLACK_BYTES) {
        err_set(&r->err, 413, "upload larger than %" PRIu64 " bytes", max);
    } else if (feed(r, data, size) == -1 && r->err.status == 0) {
        err_set(&r->err, 400, "malformed multipart/form-data body");
    }
    if (r->err.status != 0) {
        if (r->early)
            growfile_end(&r->grow, 0); /* its tshark stops now; req_free joins */
        upload_release(&r->up);        /* nothing more goes into it: free the disk now */
    }
}

/* the answers */

/*
 * Every display filter must be one tshark accepts, before the capture is
 * read. 0, or -1 with err (400 quoting tshark, naming the series).
 */
static int check_filters(const struct req *r, struct err *err) {
    const struct view *v = r->view;
    struct err e;
    size_t i;

    for (i = 0; i < v->nseries; i++) {
        if (v->series[i].filter[0] == '\0')
            continue;
        memset(&e, 0, sizeof(e));
        if (tshark_check_filter(r->h->ts, v->series[i].filter, &e) == 0)
            continue;
        if (e.status != 400)
            return err_set(err, e.status, "%s", e.msg);
        if (v->series[i].name[0] != '\0')
            return err_set(err, 400, "invalid display filter of series %zu ('%s'): %s",
                           i + 1, v->series[i].name, e.msg);
        return err_set(err, 400, "invalid display filter of series %zu: %s", i + 1,
                       e.msg);
    }
    return 0;
}

/* "/c/<hex>" and "?query" when there is one, into r->location's text (owned). */
static char *view_url(const struct req *r, const unsigned char id[SHA256_BYTES]) {
    struct buf u = BUF_INIT(MAX_QUERY_BYTES + 128);
    char hex[SHA256_HEX_BYTES];
    size_t qstart;

    if (buf_printf(&u, VIEW_PREFIX "%s?", sha256_hex(id, hex)) == -1)
        goto fail;
    qstart = u.len;
    if (view_query(r->view, &u) == -1)
        goto fail;
    if (u.len == qstart)
        u.data[--u.len] = '\0'; /* no parameter: no '?' */
    return buf_detach(&u, NULL);
fail:
    buf_release(&u);
    return NULL;
}

/* url with "format=f" added (owned), or NULL without memory. */
static char *with_format(const char *url, const char *f) {
    struct buf u = BUF_INIT(MAX_QUERY_BYTES + 160);

    if (buf_printf(&u, "%s%sformat=%s", url, strchr(url, '?') != NULL ? "&" : "?", f) ==
        -1) {
        buf_release(&u);
        return NULL;
    }
    return buf_detach(&u, NULL);
}

/*
 * Add "view": url to the JSON object in out, before its closing brace. 0, or
 * -1 when the cap is reached (out unchanged then).
 */
static int json_add_view(struct buf *out, const char *url) {
    struct buf tail = BUF_INIT(out->max);
    size_t pos = out->len, k;
    int rc = -1;

    while (pos > 0 && out->data[pos - 1] != '}')
        pos--;
    if (pos == 0)
        return -1;
    pos--; /* at the brace */
    k = pos;
    while (k > 0 && (out->data[k - 1] == ' ' || out->data[k - 1] == '\n'))
        k--;
    if (buf_append(&tail, out->data + pos, out->len - pos) == -1)
        goto done;
    out->len = pos;
    out->data[pos] = '\0';
    if (buf_puts(out, k > 0 && out->data[k - 1] == '{' ? "\"view\": " : ", \"view\": ") ==
            -1 ||
        esc_json(out, url) == -1 || buf_append(out, tail.data, tail.len) == -1) {
        /* put it back as it was: the tail fits where it was */
        out->len = pos;
        buf_append(out, tail.data, tail.len);
        goto done;
    }
    rc = 0;
done:
    buf_release(&tail);
    return rc;
}

/*
 * The chart of the capture at path (the upload's temp file, or a kept one)
 * in the view's format. display names it; id is its SHA-256; fresh says it
 * was just uploaded (so it is offered to the store). The caller holds what
 * keeps path alive until this returns.
 */
static enum MHD_Result render(struct req *r, struct MHD_Connection *conn,
                              const char *path, const char *display,
                              const unsigned char id[SHA256_BYTES], int fresh,
                              int early) {
    struct http *h = r->h;
    struct buf svg = BUF_INIT(MAX_SVG_BYTES);
    struct buf out = BUF_INIT(MAX_PAGE_BYTES);
    struct err err = ERR_INIT, serr = ERR_INIT;
    struct capinfo info;
    struct page_result pr;
    const union MHD_ConnectionInfo *ci;
    const char *not_kept = NULL;
    char *url = NULL;
    int cancel_fd = -1, rc, kept = !fresh, have_info = 0;
    enum view_format f = r->view->format;

    if ((ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD)) != NULL)
        cancel_fd = ci->connect_fd;
    if (!r->job) { /* an early analysis holds one already */
        if (slot_acquire(h, cancel_fd, &err) == -1)
            goto fail;
        r->job = 1;
        r->job_fd = cancel_fd;
        r->answering = 1; /* slot_acquire counted it */
    }
    if (early) { /* charted while it arrived, with this very view */
        rc = r->early_rc;
        if (rc == -1)
            err = r->early_err;
    } else {
        if (check_filters(r, &err) == -1)
            goto fail;
        if ((r->chart = calloc(1, sizeof(*r->chart))) == NULL) {
            err_set(&err, 500, "out of memory");
            goto fail;
        }
        view_apply(r->view, r->chart);
        snprintf(r->chart->subject, sizeof(r->chart->subject), "%s", display);
        rc = pipeline_chart(h->ts, path, display, cancel_fd, r->chart, &err);
    }
    if (rc == 0 && fresh) {
        if (!r->view->retain)
            not_kept = "you asked for it not to be kept";
        else if (h->store == NULL)
            not_kept = "this server keeps no capture";
        else if (store_put(h->store, path, id, &serr) == 0)
            kept = 1;
        else {
            log_debug("req %u: capture not kept: %s", r->id, serr.msg);
            not_kept = serr.msg;
        }
    }
    if (rc == 0 && f == VIEW_HTML && h->capinfos[0] != '\0') {
        struct err ierr = ERR_INIT;
        if (capinfo_read(h->capinfos, path, cancel_fd, h->ts->uid, h->ts->gid, &info,
                         &ierr) == 0)
            have_info = 1;
        else if (ierr.status == 499)
            rc = err_set(&err, 499, "client went away");
        else
            log_debug("req %u: capinfos: %s", r->id, ierr.msg);
    }
    slot_release(h, r->job_fd);
    r->job = 0;
    /* tshark and capinfos are done with the file */
    if (r->ref != NULL) {
        store_release(h->store, r->ref);
        r->ref = NULL;
    }
    upload_release(&r->up);
    if (rc == -1)
        goto fail;
    if (kept) {
        if ((url = view_url(r, id)) == NULL) {
            err_set(&err, 500, "out of memory");
            goto fail;
        }
        r->location =
            f == VIEW_HTML ? strdup(url) : with_format(url, view_format_name(f));
        if (r->location == NULL) {
            err_set(&err, 500, "out of memory");
            goto fail;
        }
    }

    if (f != VIEW_HTML) {
        buf_init(&out, f == VIEW_SVG ? MAX_SVG_BYTES : MAX_EXPORT_BYTES);
        if (pipeline_render(r->chart, view_out_format(f), &out, &err) == -1)
            goto fail;
        if (f == VIEW_JSON && url != NULL && json_add_view(&out, url) == -1) {
            err_set(&err, 500, "export larger than %d MiB",
                    (int)(MAX_EXPORT_BYTES / (1024 * 1024)));
            goto fail;
        }
        free(url);
        return reply_buf_take(r, conn, 200, format_ctype(view_out_format(f)), &out,
                              CACHE_NO_STORE);
    }
    if (svg_render(r->chart, &svg, &err) == -1)
        goto fail;
    memset(&pr, 0, sizeof(pr));
    pr.pv.view = r->view;
    pr.pv.id_hex = kept ? sha256_hex(id, r->cid_hex) : NULL;
    pr.pv.file_name = display;
    pr.file_name = display;
    pr.chart = r->chart;
    pr.svg = svg.data;
    pr.svg_len = svg.len;
    pr.view_url = url;
    pr.not_kept = not_kept;
    pr.info = have_info ? &info : NULL;
    if (page_result(&h->page, &pr, &out, &err) == -1)
        goto fail;
    buf_release(&svg);
    free(url);
    return reply_buf_take(r, conn, 200, CTYPE_HTML, &out, CACHE_NO_STORE);
fail:
    if (r->job) {
        slot_release(h, r->job_fd);
        r->job = 0;
    }
    /* the error page may still offer the kept capture (a bad filter, say) */
    if (kept) {
        r->have_cid = 1;
        sha256_hex(id, r->cid_hex);
    }
    free(url);
    buf_release(&svg);
    buf_release(&out);
    return reply_err(r, conn, &err);
}

/* The chart of the uploaded file, as the API's format or as the HTML page. */
static enum MHD_Result answer_upload(struct req *r, struct MHD_Connection *conn) {
    const unsigned char *digest;
    int rc, early = 0;

    if (r->pp != NULL) {
        /* also checks the body ended where multipart says it should */
        rc = MHD_destroy_post_processor(r->pp) == MHD_YES ? 0 : -1;
        r->pp = NULL;
        if (rc == -1 && r->err.status == 0)
            err_set(&r->err, 400, "incomplete multipart/form-data body");
    }
    if (r->err.status != 0)
        return reply_err(r, conn, &r->err);
    r->have_view = 0;
    if (build_view(r, conn, r->route == ROUTE_API ? VIEW_SVG : VIEW_HTML, 1, &r->err) ==
        -1)
        return reply_err(r, conn, &r->err);
    if (r->route == ROUTE_API && r->view->format == VIEW_HTML) {
        err_set(&r->err, 400, "format must be svg, json or csv");
        return reply_err(r, conn, &r->err);
    }
    if (r->route == ROUTE_INDEX)
        r->view->format = VIEW_HTML; /* the form's page, whatever the fields say */
    if (!r->file_seen) {
        err_set(&r->err, 400, "no file field 'file' in the upload");
        return reply_err(r, conn, &r->err);
    }
    if (r->up.bytes == 0) {
        err_set(&r->err, 400, "the uploaded file '%s' is empty", r->filename);
        return reply_err(r, conn, &r->err);
    }
    if (r->early) {
        /* the form's fields after the file may have changed the view */
        struct buf q = BUF_INIT(MAX_QUERY_BYTES);
        early = view_query(r->view, &q) == 0 &&
                strcmp(q.data != NULL ? q.data : "", r->early_query) == 0;
        buf_release(&q);
        /* the whole body is in: the early tshark reads to the end, or stops now */
        early_stop(r, early);
        if (!early) {
            log_debug("req %u: the view changed after the file: charting again", r->id);
            chart_release(r->chart);
            free(r->chart);
            r->chart = NULL;
        }
    }
    if (upload_close(&r->up, &r->err) == -1) {
        log_warn("req %u: cannot close temp file '%s'", r->id, r->up.path);
        return reply_err(r, conn, &r->err);
    }
    digest = upload_digest(&r->up);
    memcpy(r->cid, digest, SHA256_BYTES);
    /* the view names the file as it was uploaded */
    snprintf(r->view->filename, sizeof(r->view->filename), "%s", r->filename);
    return render(r, conn, r->up.path, r->filename, r->cid, 1, early);
}

/* A view of a kept capture: GET /c/<sha256>?... */
static enum MHD_Result answer_view(struct req *r, struct MHD_Connection *conn) {
    char path[MAX_PATH_BYTES], display[MAX_FILENAME_BYTES + 1];
    struct err err = ERR_INIT;

    if (build_view(r, conn, VIEW_HTML, 0, &err) == -1)
        return reply_err(r, conn, &err);
    r->json_errors = r->view->format != VIEW_HTML;
    if (r->h->store == NULL) {
        err_set(&err, 404, "this server keeps no capture: upload the file again");
        r->have_cid = 0;
        return reply_err(r, conn, &err);
    }
    if (store_acquire(r->h->store, r->cid, &r->ref, path, sizeof(path), &err) == -1)
        return reply_err(r, conn, &err);
    if (r->view->filename[0] != '\0')
        snprintf(display, sizeof(display), "%s", r->view->filename);
    else
        snprintf(display, sizeof(display), "capture %.12s", r->cid_hex);
    return render(r, conn, path, display, r->cid, 0, 0);
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
    case ROUTE_VIEW:
        return answer_view(r, conn);
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
         * Too large: answer now and read nothing of the body (MHD closes the
         * connection after this answer). A client waiting for "100 Continue"
         * gets any early answer instead and sends nothing. Any other early
         * answer waits for the body to be drained, so a small body is not
         * cut off (and reset) mid-send.
         */
        expect =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
        if (r->err.status == 413 ||
            (expect != NULL && strcasecmp(expect, "100-continue") == 0))
            return reply_err(r, conn, &r->err);
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (r->status != 0) {
            *upload_data_size = 0; /* answered already */
            return MHD_YES;
        }
        on_body(r, upload_data, *upload_data_size);
        *upload_data_size = 0;
        /* a chunked body past the cap: answer, stop reading, close */
        if (r->err.status == 413)
            return reply_err_close(r, conn, &r->err);
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
    if (closing_on_purpose &&
        strstr(line, "Application reported internal error") != NULL) {
        closing_on_purpose = 0;
        return; /* reply_err_close answered and asked for the close */
    }
    n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    log_warnx("http: %s", line);
}

/*
 * Open the store: opts->store or <tmpdir>/store, which must not be the temp
 * directory itself (in-flight uploads live there and go with their request).
 */
static int open_store(struct http *h, struct err *err) {
    const struct options *o = h->opts;
    char dir[MAX_PATH_BYTES];
    struct stat a, b;
    int n;

    if (o->store_max_bytes == 0)
        return 0;
    if (o->store[0] != '\0')
        n = snprintf(dir, sizeof(dir), "%s", o->store);
    else
        n = snprintf(dir, sizeof(dir), "%s/" DEFAULT_STORE_SUBDIR, o->tmpdir);
    if (n < 0 || (size_t)n >= sizeof(dir))
        return err_set(err, 500, "store directory path too long");
    if (stat(o->tmpdir, &a) == 0 && stat(dir, &b) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino)
        return err_set(err, 500,
                       "the store directory '%s' must not be the temp directory: give it "
                       "one of its own",
                       dir);
    if ((h->store = store_open(dir, o->store_max_bytes, o->store_ttl_s, err)) == NULL)
        return -1;
    return 0;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Percent-decoding of the URL and its arguments (MHD's unescape callback).
 * As MHD's own, except that "%00" stays as it is: a decoded NUL would cut
 * the C string our router sees ("style.css%00.html" would serve style.css).
 */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s) {
    char *r = s, *w = s;
    int hi, lo;

    (void)cls;
    (void)c;
    while (*r != '\0') {
        if (r[0] == '%' && (hi = hexval(r[1])) != -1 && (lo = hexval(r[2])) != -1 &&
            (hi | lo) != 0) {
            *w++ = (char)(hi * 16 + lo);
            r += 3;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

/*
 * gate_handover_fn: a connection whose request head passed the gate goes to
 * libmicrohttpd, which reads that head from its first byte. When MHD cannot
 * take it (HTTP_MAX_CONNS, HTTP_MAX_CONNS_PER_IP), it closes fd itself and
 * says why in its log (on_mhd_log).
 */
static int handover(void *cls, int fd, const struct sockaddr *addr, socklen_t addrlen) {
    struct http *h = cls;

    return MHD_add_connection(h->d, fd, addr, addrlen) == MHD_YES ? 0 : -1;
}

struct http *http_start(const struct options *opts, const struct tshark *ts,
                        struct err *err) {
    struct http *h = NULL;
    unsigned int flags;
    int i;

    if ((h = calloc(1, sizeof(*h))) == NULL) {
        err_set(err, 500, "out of memory");
        goto fail;
    }
    h->opts = opts;
    h->ts = ts;
    atomic_init(&h->next_id, 0);
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->changed, NULL);
    for (i = 0; i < HTTP_MAX_CONNS; i++)
        h->active_fds[i] = -1;
    if (page_load(&h->page, opts->www, err) == -1)
        goto fail;
    if (upload_prepare_dir(opts->tmpdir, err) == -1)
        goto fail;
    if (open_store(h, err) == -1)
        goto fail;
    page_set_policy(&h->page, h->store != NULL ? store_ttl(h->store) : 0,
                    opts->max_upload_bytes);
    if (capinfo_find(ts->path, h->capinfos, sizeof(h->capinfos)) == -1)
        log_info("no capinfos beside '%s': summaries leave out the file format",
                 ts->path);

    /*
     * No listening socket of MHD's own: the gate (gate.h) accepts, and hands
     * over each connection whose request head is complete and within the
     * limits. ITC: MHD_add_connection needs it in this threading mode.
     */
    flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
            MHD_USE_ERROR_LOG | MHD_USE_ITC | MHD_USE_NO_LISTEN_SOCKET;
    /* the logger must come first, or MHD logs the earlier options' errors itself */
    h->d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned int)HTTP_MAX_CONNS, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned int)HTTP_CONN_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)HTTP_CONN_MEMORY_BYTES, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned int)HTTP_MAX_CONNS_PER_IP, MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
        MHD_OPTION_END);
    if (h->d == NULL) {
        err_set(err, 500, "cannot start libmicrohttpd (see the log above)");
        goto fail;
    }
    if ((h->gate = gate_start(opts->bind, opts->port, handover, h, err)) == NULL)
        goto fail;
    h->port = gate_port(h->gate);
    if (h->store != NULL)
        log_info("keeping captures in '%s' (at most %" PRIu64
                 " bytes, %d s after last use)",
                 store_dir(h->store), opts->store_max_bytes, opts->store_ttl_s);
    return h;
fail:
    if (h != NULL) {
        if (h->d != NULL)
            MHD_stop_daemon(h->d);
        store_close(h->store);
        page_release(&h->page);
        pthread_cond_destroy(&h->changed);
        pthread_mutex_destroy(&h->lock);
        free(h);
    }
    return NULL;
}

int http_port(const struct http *h) {
    return h != NULL ? h->port : -1;
}

void http_stop(struct http *h) {
    struct timespec until;
    int i, ended = 0;

    if (h == NULL)
        return;
    /*
     * Stop accepting: the gate closes the listening socket and the
     * connections whose head is not complete yet, and hands over no more.
     */
    gate_stop(h->gate);
    h->gate = NULL;
    if (h->d != NULL) {
        /* then give running analyses SHUTDOWN_GRACE_MS */
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += SHUTDOWN_GRACE_MS / 1000;
        until.tv_nsec += (long)(SHUTDOWN_GRACE_MS % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&h->lock);
        h->stopping = 1;
        pthread_cond_broadcast(&h->changed);
        while (h->running > 0 || h->waiting > 0 || h->answering > 0)
            if (pthread_cond_timedwait(&h->changed, &h->lock, &until) != 0)
                break;
        /*
         * Past the grace period: shutting the client sockets down makes each
         * running tshark's cancel fd fire, so it is killed and reaped.
         */
        for (i = 0; i < HTTP_MAX_CONNS; i++) {
            if (h->active_fds[i] != -1) {
                shutdown(h->active_fds[i], SHUT_RDWR);
                ended++;
            }
        }
        pthread_mutex_unlock(&h->lock);
        if (ended > 0)
            log_warnx("stopping: %d analyses still running after %d ms, ended", ended,
                      SHUTDOWN_GRACE_MS);
        /* joins every connection thread */
        MHD_stop_daemon(h->d);
    }
    store_close(h->store);
    page_release(&h->page);
    pthread_cond_destroy(&h->changed);
    pthread_mutex_destroy(&h->lock);
    free(h);
}
