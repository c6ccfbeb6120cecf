/*
 * server.c - the HTTP server: libmicrohttpd's callbacks, start and stop
 * (see http.h). A request goes: on_request (head: route, method, the checks
 * that need no body; then body chunks into form.c), the route's handler
 * (answer.c) once all is in, on_completed (the log line, req_free).
 */
#define _GNU_SOURCE /* POLLRDHUP */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

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
    if (atomic_load(&r->h->stopping)) {
        err_set(&r->err, 503, "the server is shutting down, try again in %d s",
                RETRY_AFTER_S);
        return;
    }
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

/*
 * Uploads whose body is still arriving are tracked for the sweeper (below)
 * and for http_stop (h->uploading). h->up_lock held by the caller of none.
 */
static void upload_track(struct req *r) {
    struct http *h = r->h;

    pthread_mutex_lock(&h->up_lock);
    r->up_prev = NULL;
    r->up_next = h->up_head;
    if (h->up_head != NULL)
        h->up_head->up_prev = r;
    h->up_head = r;
    r->uploading = 1;
    atomic_fetch_add(&h->uploading, 1);
    pthread_mutex_unlock(&h->up_lock);
}

/* The body is in, or the request ends: no longer tracked. Accepts an untracked r. */
static void upload_untrack(struct req *r) {
    struct http *h = r->h;

    if (!r->uploading)
        return;
    pthread_mutex_lock(&h->up_lock);
    if (r->up_prev != NULL)
        r->up_prev->up_next = r->up_next;
    else
        h->up_head = r->up_next;
    if (r->up_next != NULL)
        r->up_next->up_prev = r->up_prev;
    r->uploading = 0;
    atomic_fetch_sub(&h->uploading, 1);
    pthread_mutex_unlock(&h->up_lock);
}

/*
 * libmicrohttpd 0.9.75's epoll loop takes a short read for "drained": a
 * client's FIN that came with its last bytes is never seen, and a client
 * that hung up mid-upload held its connection until the idle timeout. The
 * sweeper looks at each upload every HTTP_SWEEP_MS: a peer that closed its
 * side with nothing left unread and no byte taken since the last look can
 * never finish its body; shutting the socket down wakes libmicrohttpd,
 * which reads EOF and ends the request (499). A request is untracked
 * (on_completed) before libmicrohttpd closes its socket, so the fd is
 * always still ours here.
 */
static void *sweeper_main(void *arg) {
    struct http *h = arg;
    struct timespec step = {HTTP_SWEEP_MS / 1000,
                            (long)(HTTP_SWEEP_MS % 1000) * 1000000L};
    struct pollfd p;
    struct req *r;
    int avail;

    while (!atomic_load(&h->sweep_stop)) {
        nanosleep(&step, NULL);
        pthread_mutex_lock(&h->up_lock);
        for (r = h->up_head; r != NULL; r = r->up_next) {
            p = (struct pollfd){r->fd, POLLRDHUP, 0};
            if (r->fd == -1 || poll(&p, 1, 0) != 1 ||
                ioctl(r->fd, FIONREAD, &avail) == -1 || avail > 0) {
                r->swept = 0;
                continue;
            }
            if (r->swept && r->swept_in == r->body_in)
                shutdown(r->fd, SHUT_RDWR);
            r->swept = 1;
            r->swept_in = r->body_in;
        }
        pthread_mutex_unlock(&h->up_lock);
    }
    return NULL;
}

/*
 * The deadline of an upload's whole body: HTTP_UPLOAD_BASE_S plus its
 * Content-Length (a chunked one: --max-upload) at HTTP_UPLOAD_DEADLINE_BPS.
 */
static int64_t body_deadline(struct req *r, struct MHD_Connection *conn) {
    const char *clen;
    unsigned long long n = r->h->opts->max_upload_bytes;
    char *end;

    clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                       MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (clen != NULL) {
        errno = 0;
        n = strtoull(clen, &end, 10); /* the gate let only digits through */
        if (errno != 0 || end == clen)
            n = r->h->opts->max_upload_bytes;
    }
    if (n > (unsigned long long)INT64_MAX / 2)
        n = (unsigned long long)INT64_MAX / 2;
    return r->t0_ms + (int64_t)HTTP_UPLOAD_BASE_S * 1000 +
           (int64_t)(n / HTTP_UPLOAD_DEADLINE_BPS) * 1000;
}

/*
 * A body chunk came: is the body still welcome? -1 with e when the server
 * stops (503), when it fell below HTTP_BODY_MIN_RATE_BPS once
 * HTTP_BODY_GRACE_S passed (mod_reqtimeout's rule: each byte buys
 * 1/MinRate s past the grace), or when its whole deadline passed (408).
 * A body that stops coming is ended by libmicrohttpd's idle timeout.
 */
static int body_welcome(struct req *r, struct err *e) {
    int64_t now = mono_now_ms();
    int64_t rate_deadline = r->t0_ms + (int64_t)HTTP_BODY_GRACE_S * 1000 +
                            (int64_t)(r->body_in * 1000 / HTTP_BODY_MIN_RATE_BPS);

    if (atomic_load(&r->h->stopping))
        return err_set(e, 503, "the server is shutting down, try again in %d s",
                       RETRY_AFTER_S);
    if (now > rate_deadline)
        return err_set(e, 408, "upload slower than %d bytes/s after %d s",
                       HTTP_BODY_MIN_RATE_BPS, HTTP_BODY_GRACE_S);
    if (r->body_deadline_ms != 0 && now > r->body_deadline_ms)
        return err_set(e, 408, "upload not complete after %" PRId64 " s",
                       (r->body_deadline_ms - r->t0_ms) / 1000);
    return 0;
}

/* The request declares a body (a Content-Length above 0, or chunked). */
static int has_body(struct MHD_Connection *conn) {
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);

    return (cl != NULL && strspn(cl, "0") < strlen(cl)) ||
           MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                       MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL;
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
    if (req_is_upload(r)) {
        upload_track(r);
        r->body_deadline_ms = body_deadline(r, conn);
    } else if (has_body(conn)) {
        upload_track(r); /* a body for any route: the sweeper sees its client hang up */
    }
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
    if (r->err.status == 413 || r->err.status == 503 ||
        (expect != NULL && strcasecmp(expect, "100-continue") == 0))
        return reply_err(r, conn, &r->err);
    return MHD_YES;
}

/* A worker runs the route's handler; its answer waits in r->resp (reply.c). */
static void run_on_worker(struct work_item *it) {
    struct req *r = (struct req *)(void *)((char *)it - offsetof(struct req, item));

    r->worked_ret = r->route->handler(r, r->conn);
    r->worked = 1;
    MHD_resume_connection(r->conn); /* libmicrohttpd calls on_request again */
}

/*
 * The handler of an upload or a view may block (its slot, tshark): it runs
 * on a worker with the connection suspended, so that libmicrohttpd's event
 * threads go on serving every other connection.
 */
static enum MHD_Result dispatch(struct req *r, struct MHD_Connection *conn) {
    r->conn = conn;
    r->on_worker = 1;
    r->item.run = run_on_worker;
    MHD_suspend_connection(conn);
    work_push(&r->h->work, &r->item);
    return MHD_YES;
}

/* The connection is resumed: queue the answer the worker left, or close. */
static enum MHD_Result resumed(struct req *r, struct MHD_Connection *conn) {
    enum MHD_Result ret;

    r->on_worker = 0;
    if (r->resp == NULL)
        return MHD_NO; /* no answer (the client left, out of memory): close */
    ret = MHD_queue_response(conn, r->resp_status, r->resp);
    MHD_destroy_response(r->resp);
    r->resp = NULL;
    return ret == MHD_YES ? r->worked_ret : MHD_NO;
}

/* MHD_AccessHandlerCallback: called once for the head, per body chunk, and last. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls) {
    struct req *r = *req_cls;
    struct err e = ERR_INIT;

    (void)version;
    if (r == NULL)
        return on_head(cls, conn, url, method, req_cls);
    if (r->worked)
        return resumed(r, conn);
    if (*upload_data_size > 0) {
        r->body_in += *upload_data_size;
        if (body_welcome(r, &e) == -1) {
            *upload_data_size = 0;
            if (r->status != 0)
                return MHD_NO; /* answered already: stop draining, close */
            if (r->err.status == 0 || e.status == 503)
                r->err = e;
            log_info("req %u: %s", r->id, e.msg);
            return reply_err_close(r, conn, &r->err);
        }
        if (r->status == 0)
            form_body(r, upload_data, *upload_data_size);
        *upload_data_size = 0; /* taken, or dropped once answered */
        /* a chunked body past the cap: answer, stop reading, close */
        if (r->status == 0 && r->err.status == 413)
            return reply_err_close(r, conn, &r->err);
        return MHD_YES;
    }
    upload_untrack(r); /* the whole body is in */
    if (r->status != 0)
        return MHD_YES; /* answered early */
    /* an upload's handler judges r->err itself, after the body's end */
    if (r->err.status != 0 && !req_is_upload(r))
        return reply_err(r, conn, &r->err);
    if (req_is_upload(r) || (r->route->flags & ROUTE_CAPTURE))
        return dispatch(r, conn);
    return r->route->handler(r, conn);
}

/* MHD_RequestCompletedCallback: the one place a request's state is freed. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe) {
    struct req *r = *req_cls;

    (void)cls;
    (void)conn;
    if (r == NULL)
        return;
    upload_untrack(r);
    /* a client that stopped reading its answer is dropped by the idle timeout */
    log_info("req %u: %s %s -> %d (%zu bytes, %" PRId64 " ms%s)", r->id, r->method_name,
             r->path, r->status != 0 ? r->status : 499, r->sent_bytes,
             mono_now_ms() - r->t0_ms,
             toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? ", timed out" : "");
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
    /* a relayed (chunked) connection is a local socket: no TCP options to set */
    if (strncmp(line, "Setting TCP_NODELAY", 19) == 0 ||
        strncmp(line, "Setting TCP_CORK", 16) == 0 ||
        strncmp(line, "Failed to push the data from buffers", 36) == 0)
        return;
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
 * and within the limits. HTTP_THREADS event threads (epoll) serve every
 * connection: a connection costs a socket and its memory pool, no thread,
 * and a handler that may block runs on a worker (dispatch). ITC:
 * MHD_add_connection and resuming need it. The logger comes first, or MHD
 * logs the earlier options' errors itself.
 */
static struct MHD_Daemon *start_mhd(struct http *h) {
    unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC |
                         MHD_USE_NO_LISTEN_SOCKET | MHD_ALLOW_SUSPEND_RESUME;

    return MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned int)HTTP_THREADS, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned int)HTTP_MAX_CONNS, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned int)HTTP_CONN_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)HTTP_CONN_MEMORY_BYTES, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned int)HTTP_MAX_CONNS_PER_IP, MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
        MHD_OPTION_END);
}

/*
 * Thousands of connections need as many descriptors: raise RLIMIT_NOFILE's
 * soft limit towards HTTP_NOFILE (tshark gets its own, TSHARK_RLIMIT_NOFILE).
 */
static void raise_nofile(void) {
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= HTTP_NOFILE)
        return;
    rl.rlim_cur = rl.rlim_max < HTTP_NOFILE ? rl.rlim_max : HTTP_NOFILE;
    if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
        log_warn("cannot raise the descriptor limit to %ju", (uintmax_t)rl.rlim_cur);
    if (rl.rlim_cur < (rlim_t)(HTTP_MAX_CONNS + GATE_MAX_CONNS))
        log_warnx("only %ju descriptors: fewer connections than %d fit",
                  (uintmax_t)rl.rlim_cur, HTTP_MAX_CONNS + GATE_MAX_CONNS);
}

struct http *http_start(const struct options *opts, const struct tshark *ts,
                        struct err *err) {
    int nworkers;
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
    atomic_init(&h->stopping, 0);
    atomic_init(&h->uploading, 0);
    atomic_init(&h->held_bytes, 0);
    h->answer_budget = (long long)opts->answer_budget_bytes;
    h->work = (struct work)WORK_INIT;
    pthread_mutex_init(&h->up_lock, NULL);
    atomic_init(&h->sweep_stop, 0);
    slots_init(&h->slots, opts->jobs, opts->queue);
    raise_nofile();
    if (upload_prepare_dir(opts->tmpdir, err) == -1 ||
        pipeline_open(&h->pl, ts, &cfg, err) == -1)
        goto fail;
    /* enough workers for every slot and queue place, and a few to answer 503 */
    nworkers = opts->jobs + opts->queue + 2;
    if (work_start(&h->work, nworkers < HTTP_MAX_WORKERS ? nworkers : HTTP_MAX_WORKERS,
                   err) == -1)
        goto fail;
    if ((errno = pthread_create(&h->sweeper, NULL, sweeper_main, h)) != 0) {
        err_set(err, 500, "cannot start the upload sweeper: %s", strerror(errno));
        goto fail;
    }
    h->sweeper_started = 1;
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

/* Wait up to ms for the uploads still arriving to end (each gets 503 at its next
 * bytes). */
static void wait_uploads(struct http *h, int ms) {
    struct timespec step = {0, 20 * 1000000L};
    int waited;

    for (waited = 0; atomic_load(&h->uploading) > 0 && waited < ms; waited += 20)
        nanosleep(&step, NULL);
}

void http_stop(struct http *h) {
    int ended;

    if (h == NULL)
        return;
    /*
     * Stop taking requests, politely: the gate answers every new head 503
     * (its socket stays open until the end), libmicrohttpd's new requests
     * and the bytes of uploads still arriving get 503 too (with
     * Retry-After), for up to HTTP_STOP_UPLOAD_WAIT_MS.
     */
    gate_drain(h->gate);
    atomic_store(&h->stopping, 1);
    if (h->d != NULL) {
        wait_uploads(h, HTTP_STOP_UPLOAD_WAIT_MS);
        /*
         * Give running analyses SHUTDOWN_GRACE_MS; past it, shutting their
         * client sockets down makes each tshark's cancel fd fire.
         */
        ended = slots_stop(&h->slots, SHUTDOWN_GRACE_MS);
        if (ended > 0)
            log_warnx("stopping: %d analyses still running after %d ms, ended", ended,
                      SHUTDOWN_GRACE_MS);
    }
    /* every handler returns (a slot is 503 now) and resumes its connection */
    work_stop(&h->work);
    gate_stop(h->gate);
    h->gate = NULL;
    if (h->d != NULL) {
        MHD_stop_daemon(h->d); /* closes every connection, joins its threads */
        h->d = NULL;
    }
    if (h->sweeper_started) {
        atomic_store(&h->sweep_stop, 1);
        pthread_join(h->sweeper, NULL);
    }
    pthread_mutex_destroy(&h->up_lock);
    pipeline_close(&h->pl);
    slots_release(&h->slots);
    free(h);
}
