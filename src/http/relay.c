/* relay.c - see relay.h */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/escape.h"
#include "base/fd.h"
#include "base/log.h"
#include "config.h"
#include "http/headers.h"
#include "http/relay.h"
#include "banned.h"

enum {
    CK_SIZE = 0, /* hex digits of a chunk size */
    CK_EXT,      /* a chunk extension, to the line's end */
    CK_SIZE_LF,  /* the LF after a size line's CR */
    CK_DATA,     /* chunk data */
    CK_DATA_CR,  /* the CRLF after chunk data */
    CK_DATA_LF,
    CK_TRAILER0, /* the start of a trailer line (or the empty last line) */
    CK_TRAILER,  /* a trailer line */
    CK_TRAILER_LF,
    CK_END_LF, /* the LF of the empty last line */
    CK_FAILED
};

void chunked_init(struct chunked *c) {
    memset(c, 0, sizeof(*c));
    c->state = CK_SIZE;
}

static size_t fail(struct chunked *c, size_t at, struct err *err, const char *why) {
    c->state = CK_FAILED;
    err_set(err, 400, "malformed chunked body: %s", why);
    return at;
}

/* The end of a size line: data follows, or the trailers after the last chunk. */
static void size_line_done(struct chunked *c) {
    c->line = 0;
    c->state = c->left > 0 ? CK_DATA : CK_TRAILER0;
}

size_t chunked_scan(struct chunked *c, const char *d, size_t n, struct err *err) {
    const unsigned char *p = (const unsigned char *)d;
    size_t i = 0;

    if (c->state == CK_FAILED)
        return fail(c, 0, err, "already refused");
    while (i < n && !c->done) {
        unsigned char ch = p[i];
        int h;

        switch (c->state) {
        case CK_DATA: {
            uint64_t take = (uint64_t)(n - i) < c->left ? (uint64_t)(n - i) : c->left;

            c->left -= take;
            i += (size_t)take;
            if (c->left == 0)
                c->state = CK_DATA_CR;
            continue;
        }
        case CK_SIZE:
            if ((h = hex_value(ch)) != -1) {
                if (++c->digits > 16)
                    return fail(c, i, err, "a chunk size of more than 16 hex digits");
                c->left = c->left * 16 + (uint64_t)h;
            } else if (c->digits == 0) {
                return fail(c, i, err, "a chunk size that is not a hexadecimal number");
            } else if (ch == ';' || ch == ' ' || ch == '\t') {
                c->state = CK_EXT;
            } else if (ch == '\r') {
                c->state = CK_SIZE_LF;
            } else if (ch == '\n') {
                size_line_done(c);
                i++;
                continue;
            } else {
                return fail(c, i, err, "a chunk size that is not a hexadecimal number");
            }
            break;
        case CK_EXT:
            if (ch == '\r')
                c->state = CK_SIZE_LF;
            else if (ch == '\n') {
                size_line_done(c);
                i++;
                continue;
            } else if (ch < 0x20 && ch != '\t')
                return fail(c, i, err, "a control character in a chunk extension");
            break;
        case CK_SIZE_LF:
            if (ch != '\n')
                return fail(c, i, err, "a chunk size line without its line end");
            size_line_done(c);
            i++;
            continue;
        case CK_DATA_CR:
            if (ch == '\r')
                c->state = CK_DATA_LF;
            else if (ch == '\n')
                c->state = CK_SIZE;
            else
                return fail(c, i, err, "chunk data longer than its chunk size");
            c->digits = 0;
            c->left = 0;
            i++;
            continue;
        case CK_DATA_LF:
            if (ch != '\n')
                return fail(c, i, err, "chunk data without its line end");
            c->state = CK_SIZE;
            i++;
            continue;
        case CK_TRAILER0:
            if (ch == '\r')
                c->state = CK_END_LF;
            else if (ch == '\n')
                c->done = 1;
            else if (ch < 0x20 && ch != '\t')
                return fail(c, i, err, "a control character in a trailer field");
            else
                c->state = CK_TRAILER;
            break;
        case CK_TRAILER:
            if (ch == '\r')
                c->state = CK_TRAILER_LF;
            else if (ch == '\n') {
                c->state = CK_TRAILER0;
                c->line = 0;
                i++;
                continue;
            } else if (ch < 0x20 && ch != '\t')
                return fail(c, i, err, "a control character in a trailer field");
            break;
        case CK_TRAILER_LF:
            if (ch != '\n')
                return fail(c, i, err, "a trailer field without its line end");
            c->state = CK_TRAILER0;
            c->line = 0;
            i++;
            continue;
        case CK_END_LF:
            if (ch != '\n')
                return fail(c, i, err, "the last chunk without its empty line");
            c->done = 1;
            break;
        default:
            return fail(c, i, err, "already refused");
        }
        if (++c->line > RELAY_LINE_MAX)
            return fail(c, i, err, "a chunk size or trailer line that is too long");
        i++;
    }
    return n; /* past the end of the body: MHD closes after one request */
}

/* ---- the relay ---- */

static atomic_int running;

int relay_count(void) {
    return atomic_load(&running);
}

/* Bytes waiting to go one way. */
struct pipe_buf {
    char data[RELAY_BUF_BYTES];
    size_t len, off;
    uint64_t total; /* bytes ever passed this way */
    int eof;        /* the reading side ended */
};

struct relay {
    int cfd, mfd;    /* client, libmicrohttpd's end */
    size_t head_len; /* bytes of the head still to pass unchecked */
    struct chunked ck;
    struct pipe_buf up, down; /* client -> MHD, MHD -> client */
    int failed;               /* the framing broke: err says how */
    struct err err;
};

/* Read what fd has into b (up: checked first). 0, or -1 when the relay must end. */
static int fill(struct relay *r, int fd, struct pipe_buf *b, int up) {
    ssize_t n = recv(fd, b->data, sizeof(b->data), MSG_DONTWAIT);
    size_t ok, head;

    if (n == -1)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    if (n == 0) {
        b->eof = 1;
        return 0;
    }
    b->len = (size_t)n;
    b->off = 0;
    if (!up)
        return 0;
    head = r->head_len < (size_t)n ? r->head_len : (size_t)n;
    r->head_len -= head;
    ok = head + chunked_scan(&r->ck, b->data + head, (size_t)n - head, &r->err);
    if (ok < (size_t)n) {
        b->len = ok; /* what fits still goes on; the rest is refused */
        r->failed = 1;
    }
    return 0;
}

/* Write what b holds to fd. 0, or -1 when the relay must end. */
static int flush(int fd, struct pipe_buf *b) {
    ssize_t n;

    if (b->off >= b->len)
        return 0;
    n = send(fd, b->data + b->off, b->len - b->off, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n == -1)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    b->off += (size_t)n;
    b->total += (uint64_t)n;
    if (b->off == b->len)
        b->off = b->len = 0;
    return 0;
}

/*
 * Stop writing to the client, then drop what it still sends until it ends or
 * GATE_LINGER_MS pass: a close with unread bytes is a reset, which can destroy
 * an answer before the client reads it (an early 413 of a body still coming).
 */
static void linger(struct relay *r) {
    int64_t until = mono_now_ms() + GATE_LINGER_MS;
    char sink[4096];

    shutdown(r->cfd, SHUT_WR);
    for (;;) {
        struct pollfd p = {r->cfd, POLLIN, 0};
        int64_t left = until - mono_now_ms();

        if (left <= 0 || poll(&p, 1, (int)left) <= 0 ||
            recv(r->cfd, sink, sizeof(sink), MSG_DONTWAIT) <= 0)
            break;
    }
}

/* Our 400 to the client (when MHD has not started answering), then a linger. */
static void refuse(struct relay *r) {
    struct buf body = BUF_INIT(ERR_MSG_MAX + 2), out = BUF_INIT(ERR_MSG_MAX + 4096);

    log_info("relay: -> %d: %s", r->err.status, r->err.msg);
    fd_close(&r->mfd); /* the request ends there; its upload is removed */
    if (r->down.total == 0 && buf_printf(&body, "%s\n", r->err.msg) == 0 &&
        headers_raw_answer(&out, r->err.status, "text/plain; charset=utf-8", body.data,
                           body.len) == 0 &&
        send(r->cfd, out.data, out.len, MSG_NOSIGNAL) == -1)
        log_debug("relay: answer not sent (errno %d)", errno);
    linger(r);
    buf_release(&body);
    buf_release(&out);
}

static void *relay_main(void *arg) {
    struct relay *r = arg;
    int64_t idle_until = mono_now_ms() + RELAY_IDLE_MS;

    while (!r->failed) {
        struct pollfd p[2] = {{r->cfd, 0, 0}, {r->mfd, 0, 0}};
        int64_t now;

        if (r->up.len == 0 && !r->up.eof)
            p[0].events |= POLLIN;
        if (r->down.len > 0)
            p[0].events |= POLLOUT;
        if (r->down.len == 0 && !r->down.eof)
            p[1].events |= POLLIN;
        if (r->up.len > 0)
            p[1].events |= POLLOUT;
        if (r->down.eof && r->down.len == 0)
            break; /* MHD answered and closed: pass its close on */
        if (poll(p, 2, 1000) == -1 && errno != EINTR)
            break;
        now = mono_now_ms();
        if ((p[0].revents | p[1].revents) != 0)
            idle_until = now + RELAY_IDLE_MS;
        else if (now >= idle_until)
            break;
        if (((p[0].revents & POLLIN) || (p[0].revents & (POLLHUP | POLLERR))) &&
            r->up.len == 0 && !r->up.eof && fill(r, r->cfd, &r->up, 1) == -1)
            break;
        if (((p[1].revents & POLLIN) || (p[1].revents & (POLLHUP | POLLERR))) &&
            r->down.len == 0 && !r->down.eof && fill(r, r->mfd, &r->down, 0) == -1)
            break;
        if (flush(r->mfd, &r->up) == -1) {
            /* MHD reads no more (it answered early, a 413): its answer still goes */
            r->up.len = r->up.off = 0;
            r->up.eof = 1;
        }
        if (flush(r->cfd, &r->down) == -1)
            break; /* the client is gone */
        if (r->up.eof && r->up.len == 0)
            shutdown(r->mfd, SHUT_WR); /* the client's half-close, passed on */
    }
    if (r->failed)
        refuse(r);
    else
        linger(r);
    fd_close(&r->mfd);
    fd_close(&r->cfd);
    free(r);
    atomic_fetch_sub(&running, 1);
    return NULL;
}

int relay_start(int fd, size_t head_len, const struct sockaddr *addr, socklen_t addrlen,
                int (*handover)(void *, int, const struct sockaddr *, socklen_t),
                void *cls, struct err *err) {
    struct relay *r;
    pthread_attr_t at;
    pthread_t t;
    int sp[2];

    if (atomic_fetch_add(&running, 1) >= RELAY_MAX) {
        atomic_fetch_sub(&running, 1);
        return err_set(err, 503,
                       "busy: too many chunked uploads at once, try again in %d s",
                       RETRY_AFTER_S);
    }
    if ((r = calloc(1, sizeof(*r))) == NULL) {
        atomic_fetch_sub(&running, 1);
        return err_set(err, 500, "out of memory");
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
        free(r);
        atomic_fetch_sub(&running, 1);
        return err_set(err, 500, "socketpair: %s", strerror(errno));
    }
    r->cfd = fd;
    r->mfd = sp[0];
    r->head_len = head_len;
    chunked_init(&r->ck);
    /* MHD takes sp[1] whatever happens (it closes it when it cannot) */
    if (handover(cls, sp[1], addr, addrlen) == -1) {
        close(sp[0]);
        free(r);
        atomic_fetch_sub(&running, 1);
        return err_set(err, 503, "busy: too many connections, try again in %d s",
                       RETRY_AFTER_S);
    }
    if (pthread_attr_init(&at) != 0 ||
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED) != 0 ||
        pthread_attr_setstacksize(&at, RELAY_STACK_BYTES) != 0 ||
        pthread_create(&t, &at, relay_main, r) != 0) {
        close(sp[0]); /* MHD sees its end close: the request ends */
        free(r);
        atomic_fetch_sub(&running, 1);
        pthread_attr_destroy(&at);
        return err_set(err, 500, "cannot start a relay thread");
    }
    pthread_attr_destroy(&at);
    return 0;
}
