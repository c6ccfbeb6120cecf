/* reply.c - responses of the HTTP server (see req.h) */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/escape.h"
#include "base/log.h"
#include "http/headers.h"
#include "http/req.h"
#include "banned.h"

/* reply_err_close: how long writing its answer may take */
#define RAW_REPLY_TIMEOUT_MS 2000

/* Add the headers every answer of ours carries to resp. 0, or -1. */
static int add_headers(struct req *r, int status, const char *ctype,
                       struct MHD_Response *resp, enum cache cache) {
    const struct header *hd;
    char s[64];

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
        return -1;
    for (hd = HEADERS_SECURITY; hd->name != NULL; hd++)
        if (MHD_add_response_header(resp, hd->name, hd->value) != MHD_YES)
            return -1;
    if (r->location != NULL && status == MHD_HTTP_OK &&
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_LOCATION, r->location) !=
            MHD_YES)
        return -1;
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE) {
        snprintf(s, sizeof(s), "%d", RETRY_AFTER_S);
        if (MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, s) != MHD_YES)
            return -1;
    }
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED &&
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
                                route_allow(r->route, s, sizeof(s))) != MHD_YES)
        return -1;
    return 0;
}

/*
 * Queue resp (taken: destroyed here) with the headers every response gets.
 * Records status and bytes for the log line.
 */
static enum MHD_Result queue(struct req *r, struct MHD_Connection *conn, int status,
                             const char *ctype, struct MHD_Response *resp, size_t len,
                             enum cache cache) {
    enum MHD_Result ret = MHD_NO;

    if (add_headers(r, status, ctype, resp, cache) == 0) {
        if (r->on_worker && r->resp == NULL) {
            /*
             * On a worker the connection is suspended: the answer is queued
             * by libmicrohttpd's thread when it resumes (server.c), never
             * from here, so no thread but the connection's touches it.
             */
            r->resp = resp;
            r->resp_status = (unsigned)status;
            resp = NULL;
            ret = MHD_YES;
        } else if (!r->on_worker) {
            ret = MHD_queue_response(conn, (unsigned)status, resp);
        }
    }
    if (ret == MHD_YES) {
        r->status = status;
        r->sent_bytes = len;
    }
    if (resp != NULL)
        MHD_destroy_response(resp);
    return ret;
}

/*
 * Count n more answer bytes held in memory against the server's budget
 * (released when the request ends, req_free). 1 when they fit (or nothing
 * else is held: one answer is always possible), 0 when they do not.
 */
static int hold(struct req *r, size_t n) {
    struct http *h = r->h;
    long long cur = atomic_load(&h->held_bytes);

    do {
        if (cur > 0 && cur + (long long)n > h->answer_budget)
            return 0;
    } while (!atomic_compare_exchange_weak(&h->held_bytes, &cur, cur + (long long)n));
    r->held += (long long)n;
    return 1;
}

enum MHD_Result reply_buf_take(struct req *r, struct MHD_Connection *conn, int status,
                               const char *ctype, struct buf *body, enum cache cache) {
    struct MHD_Response *resp;
    struct err e = ERR_INIT;
    size_t len = 0;
    char *data;

    if (body->len > HTTP_ANSWER_SMALL_BYTES && !hold(r, body->len)) {
        buf_release(body);
        log_warnx("req %u: answers held in memory would pass %lld bytes: 503", r->id,
                  r->h->answer_budget);
        err_set(&e, 503,
                "busy: too many answers are waiting for their clients, try again in %d s",
                RETRY_AFTER_S);
        return reply_err(r, conn, &e);
    }
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

enum MHD_Result reply_static(struct req *r, struct MHD_Connection *conn, int status,
                             const char *ctype, const char *data, size_t len,
                             enum cache cache) {
    struct MHD_Response *resp;

    /* data lives in h->pl until http_stop, after every connection ended */
    resp = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return MHD_NO;
    return queue(r, conn, status, ctype, resp, len, cache);
}

static int is_api(const struct req *r) {
    return (r->route != NULL && (r->route->flags & ROUTE_JSON_ERRORS)) ||
           r->json_errors || strncmp(r->path, "/api/", 5) == 0;
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
    log_sanitize(line, sizeof(line), msg);
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
    return pipeline_error_page(&r->h->pl, *status, reason != NULL ? reason : "", msg, &pv,
                               body, NULL);
}

enum MHD_Result reply_err(struct req *r, struct MHD_Connection *conn,
                          const struct err *e) {
    struct buf body = BUF_INIT(MAX_PAGE_BYTES);
    const char *ctype = CTYPE_TEXT;
    int status;

    if (e->status == 499) { /* the client went away: close without an answer */
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

int reply_closed_on_purpose(const char *mhd_line) {
    if (!closing_on_purpose ||
        strstr(mhd_line, "Application reported internal error") == NULL)
        return 0;
    closing_on_purpose = 0;
    return 1;
}

/* Write msg on fd within RAW_REPLY_TIMEOUT_MS. 0 when all of it went out. */
static int send_all(int fd, const struct buf *msg) {
    int64_t deadline = mono_now_ms() + RAW_REPLY_TIMEOUT_MS;
    struct pollfd pfd = {fd, POLLOUT, 0};
    size_t off = 0;
    ssize_t n;

    while (off < msg->len && mono_now_ms() < deadline) {
        n = send(fd, msg->data + off, msg->len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
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
    return off == msg->len ? 0 : -1;
}

/*
 * libmicrohttpd 0.9.75 takes a response only before the first body byte or
 * after the last one; so the answer is written here, on the socket that no response
 * has touched yet, bounded by a short deadline, and MHD_NO makes MHD close
 * it. The client reads the answer before the reset that follows.
 */
enum MHD_Result reply_err_close(struct req *r, struct MHD_Connection *conn,
                                const struct err *e) {
    struct buf body = BUF_INIT(MAX_PAGE_BYTES), msg = BUF_INIT(MAX_PAGE_BYTES + 4096);
    const union MHD_ConnectionInfo *ci;
    const char *ctype = CTYPE_TEXT;
    int status;

    ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci != NULL && err_body(r, e, &status, &ctype, &body) == 0 &&
        headers_raw_answer(&msg, status, ctype, body.data, body.len) == 0 &&
        send_all(ci->connect_fd, &msg) == 0) {
        r->status = status;
        r->sent_bytes = body.len;
    }
    buf_release(&body);
    buf_release(&msg);
    closing_on_purpose = 1;
    return MHD_NO;
}
