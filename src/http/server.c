/*
 * server.c - the HTTP server: libmicrohttpd's callbacks, start and stop
 * (see http.h). A request goes: on_request (head: route, method, the checks
 * that need no body; then body chunks into form.c), the route's handler
 * (answer.c) once all is in, on_completed (the log line, req_free).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/escape.h"
#include "base/log.h"
#include "http/http.h"
#include "http/req.h"
#include "banned.h"

/*
 * The checks of a request's head: route, method, the capture id of a view,
 * an upload's headers (form.c). A failed check goes into r->err.
 */
static void check_head(struct req *r, struct MHD_Connection *conn) {
    const union MHD_ConnectionInfo *ci;
    const char *fmt;

    if ((ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD)) != NULL)
        r->fd = ci->connect_fd;
    if (r->route == NULL) {
        err_set(&r->err, 404, "no such page");
        return;
    }
    if (!route_allows(r->route, r->method)) {
        err_set(&r->err, 405, "method %s not allowed here", r->method_name);
        return;
    }
    if (r->route->flags & ROUTE_CAPTURE) {
        /* a view asked as data gets its errors as data */
        fmt = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "format");
        r->json_errors = fmt != NULL && fmt[0] != '\0' && strcmp(fmt, "html") != 0;
        if (!r->have_cid)
            err_set(&r->err, 400,
                    "malformed capture id: /c/ takes the 64 lower-case hex digits of "
                    "the capture's SHA-256");
        return;
    }
    if (req_is_upload(r))
        form_begin(r, conn);
}

/* The first call of a request: its head is in. */
static enum MHD_Result on_head(struct http *h, struct MHD_Connection *conn,
                               const char *url, const char *method, void **req_cls) {
    const char *expect;
    struct req *r;

    if ((r = req_new(h, url, method)) == NULL)
        return MHD_NO;
    *req_cls = r;
    check_head(r, conn);
    if (r->err.status == 0)
        return MHD_YES;
    /*
     * Too large: answer now and read nothing of the body (MHD closes the
     * connection after this answer). A client waiting for "100 Continue"
     * gets any early answer instead and sends nothing. Any other early
     * answer waits for the body to be drained, so a small body is not cut
     * off (and reset) mid-send.
     */
    expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
    if (r->err.status == 413 ||
        (expect != NULL && strcasecmp(expect, "100-continue") == 0))
        return reply_err(r, conn, &r->err);
    return MHD_YES;
}

/* MHD_AccessHandlerCallback: called once for the head, per body chunk, and last. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls) {
    struct req *r = *req_cls;

    (void)version;
    if (r == NULL)
        return on_head(cls, conn, url, method, req_cls);
    if (*upload_data_size > 0) {
        if (r->status == 0)
            form_body(r, upload_data, *upload_data_size);
        *upload_data_size = 0; /* taken, or dropped once answered */
        /* a chunked body past the cap: answer, stop reading, close */
        if (r->status == 0 && r->err.status == 413)
            return reply_err_close(r, conn, &r->err);
        return MHD_YES;
    }
    if (r->status != 0)
        return MHD_YES; /* answered early */
    /* an upload's handler judges r->err itself, after the body's end */
    if (r->err.status != 0 && !req_is_upload(r))
        return reply_err(r, conn, &r->err);
    return r->route->handler(r, conn);
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
             mono_now_ms() - r->t0_ms);
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
    if (reply_closed_on_purpose(line))
        return; /* reply_err_close answered and asked for the close */
    n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    log_warnx("http: %s", line);
}

/*
 * Percent-decoding of the URL and its arguments (MHD's unescape callback).
 * As MHD's own, except that "%00" stays as it is: a decoded NUL would cut
 * the C string our router sees ("style.css%00.html" would serve style.css).
 * MHD offers no way to keep its decoder and refuse only that one escape.
 */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s) {
    char *r = s, *w = s;
    int hi, lo;

    (void)cls;
    (void)c;
    while (*r != '\0') {
        if (r[0] == '%' && (hi = hex_value((unsigned char)r[1])) != -1 &&
            (lo = hex_value((unsigned char)r[2])) != -1 && (hi | lo) != 0) {
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

/*
 * libmicrohttpd with no listening socket of its own: the gate (gate.h)
 * accepts, and hands over each connection whose request head is complete
 * and within the limits. ITC: MHD_add_connection needs it in this threading
 * mode. The logger comes first, or MHD logs the earlier options' errors
 * itself.
 */
static struct MHD_Daemon *start_mhd(struct http *h) {
    unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                         MHD_USE_ERROR_LOG | MHD_USE_ITC | MHD_USE_NO_LISTEN_SOCKET;

    return MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned int)HTTP_MAX_CONNS, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned int)HTTP_CONN_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)HTTP_CONN_MEMORY_BYTES, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned int)HTTP_MAX_CONNS_PER_IP, MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
        MHD_OPTION_END);
}

struct http *http_start(const struct options *opts, const struct tshark *ts,
                        struct err *err) {
    struct pipeline_config cfg = {opts->www,         opts->tmpdir,
                                  opts->store,       opts->store_max_bytes,
                                  opts->store_ttl_s, opts->max_upload_bytes};
    struct http *h;

    if ((h = calloc(1, sizeof(*h))) == NULL) {
        err_set(err, 500, "out of memory");
        return NULL;
    }
    h->opts = opts;
    h->pl = (struct pipeline)PIPELINE_INIT;
    atomic_init(&h->next_id, 0);
    slots_init(&h->slots, opts->jobs, opts->queue);
    if (upload_prepare_dir(opts->tmpdir, err) == -1 ||
        pipeline_open(&h->pl, ts, &cfg, err) == -1)
        goto fail;
    if ((h->d = start_mhd(h)) == NULL) {
        err_set(err, 500, "cannot start libmicrohttpd (see the log above)");
        goto fail;
    }
    if ((h->gate = gate_start(opts->bind, opts->port, handover, h, err)) == NULL)
        goto fail;
    h->port = gate_port(h->gate);
    return h;
fail:
    http_stop(h);
    return NULL;
}

int http_port(const struct http *h) {
    return h != NULL ? h->port : -1;
}

void http_stop(struct http *h) {
    int ended;

    if (h == NULL)
        return;
    /*
     * Stop accepting: the gate closes the listening socket and the
     * connections whose head is not complete yet, and hands over no more.
     */
    gate_stop(h->gate);
    h->gate = NULL;
    if (h->d != NULL) {
        /*
         * Give running analyses SHUTDOWN_GRACE_MS; past it, shutting their
         * client sockets down makes each tshark's cancel fd fire.
         */
        ended = slots_stop(&h->slots, SHUTDOWN_GRACE_MS);
        if (ended > 0)
            log_warnx("stopping: %d analyses still running after %d ms, ended", ended,
                      SHUTDOWN_GRACE_MS);
        MHD_stop_daemon(h->d); /* joins every connection thread */
        h->d = NULL;
    }
    pipeline_close(&h->pl);
    slots_release(&h->slots);
    free(h);
}
