/* gate.c - see gate.h */
#define _GNU_SOURCE /* accept4, pipe2, POLLRDHUP */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "config.h"
#include "http/gate.h"
#include "http/relay.h"
#include "http/headers.h"
#include "base/log.h"
#include "banned.h"

#define CTYPE_TEXT "text/plain; charset=utf-8"

/* after EMFILE and the like, leave the backlog alone this long */
#define ACCEPT_PAUSE_MS 100

enum pend_state { PEND_HEAD = 0, PEND_LINGER };

/* One accepted connection waiting in the gate. */
struct pending {
    int fd; /* owned; -1: a free place */
    enum pend_state state;
    int64_t deadline_ms; /* PEND_HEAD: the head's deadline; PEND_LINGER: the close */
    int64_t peeked_ms;   /* when the head was last looked at */
    size_t seen;         /* bytes of the head at that look */
    struct sockaddr_storage addr;
    socklen_t addrlen;
};

struct gate {
    int lfd;     /* listening socket; owned */
    int wake[2]; /* self-pipe: a byte on wake[1] stops the thread; owned */
    int port;
    pthread_t thread;
    int started;
    gate_handover_fn *handover;
    void *cls;
    int64_t accept_pause_until_ms;
    atomic_int draining; /* gate_drain: every complete head gets 503 */
    size_t npending;
    struct pending pend[GATE_MAX_CONNS];
    struct pollfd pfd[GATE_MAX_CONNS + 2];
    int slot_of[GATE_MAX_CONNS + 2];   /* pfd index -> pend index, -1 for ours */
    char scratch[HTTP_HEAD_MAX_BYTES]; /* what the last peek saw */
};

/* the judge */

/* '&'-separated arguments of the request line's query (up to '#'). */
static size_t query_args(const char *line, size_t len) {
    const char *sp = memchr(line, ' ', len), *end, *q;
    size_t n;

    if (sp == NULL)
        return 0;
    sp++;
    end = memchr(sp, ' ', len - (size_t)(sp - line));
    if (end == NULL)
        end = line + len;
    if ((q = memchr(sp, '?', (size_t)(end - sp))) == NULL)
        return 0;
    q++;
    if (q == end || *q == '#')
        return 0;
    for (n = 1; q < end && *q != '#'; q++)
        n += *q == '&';
    return n;
}

int gate_judge(const char *head, size_t len, struct err *err) {
    const char *line = head, *end = head + len, *nl, *p;
    size_t linelen, fields = 0;

    /* RFC 9112 2.2: empty lines before the request line are ignored */
    while (line < end && (*line == '\r' || *line == '\n'))
        line++;
    if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL) {
        if ((size_t)(end - line) > HTTP_URI_MAX_BYTES)
            return err_set(err, 414, "request line longer than %d bytes",
                           HTTP_URI_MAX_BYTES);
        if (len >= HTTP_HEAD_MAX_BYTES)
            return err_set(err, 431, "request head larger than %d bytes",
                           HTTP_HEAD_MAX_BYTES);
        return 0;
    }
    linelen = (size_t)(nl - line);
    if (linelen > 0 && line[linelen - 1] == '\r')
        linelen--;
    if (linelen > HTTP_URI_MAX_BYTES)
        return err_set(err, 414, "request line longer than %d bytes", HTTP_URI_MAX_BYTES);
    if (query_args(line, linelen) > HTTP_MAX_QUERY_ARGS)
        return err_set(err, 414, "more than %d query arguments", HTTP_MAX_QUERY_ARGS);
    /* header fields, one a line, until an empty line: "\n\n" or "\n\r\n" */
    for (p = nl + 1; p < end; p = nl + 1) {
        if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'))
            return 1;
        if (*p == '\r' && p + 1 == end)
            break; /* the empty line's '\n' is still to come */
        if (++fields > HTTP_MAX_HEADER_FIELDS)
            return err_set(err, 431, "more than %d header fields",
                           HTTP_MAX_HEADER_FIELDS);
        if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
            break;
    }
    if (len >= HTTP_HEAD_MAX_BYTES)
        return err_set(err, 431, "request head larger than %d bytes",
                       HTTP_HEAD_MAX_BYTES);
    return 0;
}

/* RFC 9110 5.6.2 token characters */
static int is_tchar(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* [p, e) without leading and trailing spaces and tabs (and the line's CR). */
static void trim(const char **p, const char **e) {
    while (*p < *e && (**p == ' ' || **p == '\t'))
        (*p)++;
    while (*e > *p && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r'))
        (*e)--;
}

/* The request line [p, e): 0, or -1 with err (400 malformed, 505 version). */
static int vet_request_line(const char *p, const char *e, int *http11, struct err *err) {
    const char *sp1, *sp2, *q;

    if (e > p && e[-1] == '\r')
        e--;
    for (q = p; q < e && is_tchar((unsigned char)*q); q++)
        ;
    if (q == p || q == e || *q != ' ')
        return err_set(err, 400, "malformed request line");
    sp1 = q;
    for (q = sp1 + 1; q < e && (unsigned char)*q > ' ' && *q != 0x7f; q++)
        ;
    if (q == sp1 + 1 || q == e || *q != ' ')
        return err_set(err, 400, "malformed request line");
    sp2 = q;
    if (e - sp2 != 9 || memcmp(sp2 + 1, "HTTP/", 5) != 0 || sp2[6] < '0' ||
        sp2[6] > '9' || sp2[7] != '.' || sp2[8] < '0' || sp2[8] > '9')
        return err_set(err, 400, "malformed request line");
    if (sp2[6] != '1' || (sp2[8] != '0' && sp2[8] != '1'))
        return err_set(err, 505, "HTTP version not supported: HTTP/1.1 and 1.0 only");
    *http11 = sp2[8] == '1';
    return 0;
}

int gate_vet(const char *head, size_t len, int *chunked, struct err *err) {
    const char *line = head, *end = head + len, *nl, *colon, *v, *ve;
    char clen[32] = "";
    int http11 = 0, host = 0, te = 0;
    size_t n;

    *chunked = 0;
    while (line < end && (*line == '\r' || *line == '\n'))
        line++;
    if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
        return err_set(err, 400, "malformed request head");
    if (vet_request_line(line, nl, &http11, err) == -1)
        return -1;
    for (line = nl + 1; line < end; line = nl + 1) {
        if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
            nl = end;
        if (line == nl || (*line == '\r' && line + 1 == nl))
            break; /* the empty line: the head's end */
        for (colon = line; colon < nl && is_tchar((unsigned char)*colon); colon++)
            ;
        if (colon == line || colon == nl || *colon != ':')
            return err_set(err, 400, "malformed header field");
        v = colon + 1;
        ve = nl;
        trim(&v, &ve);
        n = (size_t)(colon - line);
        if (n == 4 && strncasecmp(line, "host", 4) == 0) {
            host++;
        } else if (n == 14 && strncasecmp(line, "content-length", 14) == 0) {
            /* digits only, one value: "-1", "1, 2" or two different ones are refused */
            if (ve == v || (size_t)(ve - v) >= sizeof(clen) - 1 ||
                strspn(v, "0123456789") < (size_t)(ve - v))
                return err_set(err, 400, "malformed Content-Length");
            if (clen[0] != '\0' &&
                (strlen(clen) != (size_t)(ve - v) || memcmp(clen, v, strlen(clen)) != 0))
                return err_set(err, 400, "conflicting Content-Length fields");
            memcpy(clen, v, (size_t)(ve - v));
            clen[ve - v] = '\0';
        } else if (n == 17 && strncasecmp(line, "transfer-encoding", 17) == 0) {
            if (te++ > 0 || ve - v != 7 || strncasecmp(v, "chunked", 7) != 0)
                return err_set(err, 501,
                               "unsupported Transfer-Encoding: only chunked is taken");
        }
    }
    if (te && clen[0] != '\0')
        return err_set(err, 400, "both Transfer-Encoding and Content-Length");
    if (http11 && host != 1)
        return err_set(err, 400, "an HTTP/1.1 request needs one Host field");
    *chunked = te;
    return 0;
}

size_t gate_head_len(const char *head, size_t len) {
    size_t i = 0, line = 0;

    while (i < len && (head[i] == '\r' || head[i] == '\n'))
        i++; /* empty lines before the request line */
    for (; i < len; i++) {
        if (head[i] == '\n') {
            if (line == 0)
                return i + 1;
            line = 0;
        } else if (head[i] != '\r') {
            line++;
        }
    }
    return len;
}

/* the waiting connections */

/* The numeric address of p, for the log. */
static void addr_text(const struct pending *p, char *dst, size_t n) {
    if (getnameinfo((const struct sockaddr *)&p->addr, p->addrlen, dst, (socklen_t)n,
                    NULL, 0, NI_NUMERICHOST) != 0)
        snprintf(dst, n, "?");
}

static int same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
    if (a->ss_family != b->ss_family)
        return 0;
    if (a->ss_family == AF_INET)
        return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
                      &((const struct sockaddr_in *)b)->sin_addr,
                      sizeof(struct in_addr)) == 0;
    if (a->ss_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                      &((const struct sockaddr_in6 *)b)->sin6_addr,
                      sizeof(struct in6_addr)) == 0;
    return 1; /* another family: one "address" */
}

/* Close the connection in place i and free the place. */
static void drop(struct gate *g, size_t i) {
    close(g->pend[i].fd);
    g->pend[i].fd = -1;
    g->npending--;
}

/*
 * Refuse the connection in place i with e: answer without blocking, stop
 * writing, then linger (see gate.h).
 */
static void refuse(struct gate *g, size_t i, const struct err *e, int64_t now) {
    struct pending *p = &g->pend[i];
    struct buf body = BUF_INIT(ERR_MSG_MAX + 2), out = BUF_INIT(ERR_MSG_MAX + 4096);
    char host[NI_MAXHOST];

    addr_text(p, host, sizeof(host));
    log_info("gate: %s -> %d: %s", host, e->status, e->msg);
    if (buf_printf(&body, "%s\n", e->msg) == 0 &&
        headers_raw_answer(&out, e->status, CTYPE_TEXT, body.data, body.len) == 0) {
        /* a few hundred bytes into an empty send buffer: one call does it */
        if (send(p->fd, out.data, out.len, MSG_NOSIGNAL | MSG_DONTWAIT) == -1)
            log_debug("gate: %s: answer not sent (errno %d)", host, errno);
    }
    shutdown(p->fd, SHUT_WR);
    p->state = PEND_LINGER;
    p->deadline_ms = now + GATE_LINGER_MS;
    buf_release(&body);
    buf_release(&out);
}

/* Hand the connection in place i over; the place is free afterwards. */
static void pass(struct gate *g, size_t i) {
    struct pending p = g->pend[i];

    g->pend[i].fd = -1;
    g->npending--;
    /* takes p.fd whatever happens; says why itself when it fails */
    g->handover(g->cls, p.fd, (const struct sockaddr *)&p.addr, p.addrlen);
}

/* A refused connection: drop what the client sends, until EOF or the linger's end. */
static void linger_step(struct gate *g, size_t i, short revents, int64_t now) {
    struct pending *p = &g->pend[i];
    ssize_t n;

    if (revents & (POLLIN | POLLHUP | POLLERR | POLLRDHUP)) {
        n = recv(p->fd, g->scratch, sizeof(g->scratch), MSG_DONTWAIT);
        if (n == 0 ||
            (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            drop(g, i);
            return;
        }
    }
    if (now >= p->deadline_ms)
        drop(g, i);
}

/* A connection whose head is not complete yet: look again, judge, act. */
static void head_step(struct gate *g, size_t i, short revents, int64_t now) {
    struct pending *p = &g->pend[i];
    struct err e = ERR_INIT;
    int avail = 0, closing = (revents & (POLLHUP | POLLRDHUP)) != 0, rc, chunked = 0;
    ssize_t n;

    if ((revents & (POLLERR | POLLNVAL)) || ioctl(p->fd, FIONREAD, &avail) == -1) {
        drop(g, i);
        return;
    }
    /*
     * Peek only when bytes arrived: a socket with unread bytes stays
     * readable, so it is looked at on the tick, not polled for input. A
     * large partial head is looked at less often (each look copies it all);
     * the client's end of sending is always looked at.
     */
    if (((size_t)avail > p->seen &&
         (p->seen < GATE_REPEEK_BYTES || now - p->peeked_ms >= GATE_REPEEK_MS)) ||
        closing || (p->seen == 0 && (revents & POLLIN))) {
        n = recv(p->fd, g->scratch, sizeof(g->scratch), MSG_PEEK | MSG_DONTWAIT);
        if (n == 0 ||
            (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            drop(g, i); /* closed (or reset) before sending a head */
            return;
        }
        if (n > 0) {
            p->seen = (size_t)n;
            p->peeked_ms = now;
            rc = gate_judge(g->scratch, (size_t)n, &e);
            if (rc == 1 && atomic_load(&g->draining))
                rc = err_set(&e, 503, "the server is shutting down, try again in %d s",
                             RETRY_AFTER_S);
            else if (rc == 1 && gate_vet(g->scratch, (size_t)n, &chunked, &e) == -1)
                rc = -1;
            if (rc == 1 && chunked) {
                /* a chunked body: its framing is checked on the way (relay.h) */
                if (relay_start(p->fd, gate_head_len(g->scratch, (size_t)n),
                                (const struct sockaddr *)&p->addr, p->addrlen,
                                g->handover, g->cls, &e) == 0) {
                    p->fd = -1;
                    g->npending--;
                    return;
                }
                rc = -1;
            }
            if (rc == 1) {
                pass(g, i);
                return;
            }
            if (rc == -1) {
                refuse(g, i, &e, now);
                return;
            }
        }
    }
    if (closing) {
        drop(g, i); /* the client stopped sending before its head ended */
        return;
    }
    if (now >= p->deadline_ms) {
        if (p->seen == 0 && avail == 0) {
            drop(g, i); /* sent nothing: no request to answer */
            return;
        }
        err_set(&e, 408, "request head not complete after %d s", HTTP_HEAD_DEADLINE_S);
        refuse(g, i, &e, now);
    }
}

/* Accept what the backlog holds, as long as there are free places. */
static void accept_some(struct gate *g, int64_t now) {
    struct sockaddr_storage ss;
    socklen_t len;
    size_t i, same;
    int fd;
    char host[NI_MAXHOST];

    while (g->npending < GATE_MAX_CONNS) {
        len = sizeof(ss);
        fd = accept4(g->lfd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd == -1) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
                errno == ECONNABORTED)
                return;
            log_warn("gate: cannot accept a connection");
            g->accept_pause_until_ms = now + ACCEPT_PAUSE_MS; /* EMFILE: do not spin */
            return;
        }
        for (i = 0, same = 0; i < GATE_MAX_CONNS; i++)
            same += g->pend[i].fd != -1 && same_host(&g->pend[i].addr, &ss);
        for (i = 0; g->pend[i].fd != -1; i++)
            ; /* npending < GATE_MAX_CONNS: a free place exists */
        g->pend[i].addr = ss;
        g->pend[i].addrlen = len;
        if (same >= GATE_MAX_CONNS_PER_IP) {
            addr_text(&g->pend[i], host, sizeof(host));
            log_warnx("gate: %s: %d connections of this address wait already, closed",
                      host, GATE_MAX_CONNS_PER_IP);
            close(fd);
            continue;
        }
        g->pend[i].fd = fd;
        g->pend[i].state = PEND_HEAD;
        g->pend[i].deadline_ms = now + (int64_t)HTTP_HEAD_DEADLINE_S * 1000;
        g->pend[i].peeked_ms = now;
        g->pend[i].seen = 0;
        g->npending++;
    }
}

/* The poll set and its timeout (ms, -1 for none). Returns the number of fds. */
static nfds_t poll_set(struct gate *g, int64_t now, int *timeout) {
    int64_t wait = -1, left;
    nfds_t n = 0;
    size_t i;
    int ev;

    g->pfd[n] = (struct pollfd){g->wake[0], POLLIN, 0};
    g->slot_of[n++] = -1;
    if (g->npending < GATE_MAX_CONNS && now >= g->accept_pause_until_ms) {
        g->pfd[n] = (struct pollfd){g->lfd, POLLIN, 0};
        g->slot_of[n++] = -1;
    } else if (g->npending < GATE_MAX_CONNS) {
        wait = g->accept_pause_until_ms - now;
    }
    for (i = 0; i < GATE_MAX_CONNS; i++) {
        const struct pending *p = &g->pend[i];
        if (p->fd == -1)
            continue;
        /* bytes sitting unread keep POLLIN set: partial heads go by the tick */
        ev = p->state == PEND_LINGER || p->seen == 0 ? POLLIN | POLLRDHUP : POLLRDHUP;
        g->pfd[n] = (struct pollfd){p->fd, (short)ev, 0};
        g->slot_of[n++] = (int)i;
        left = p->deadline_ms > now ? p->deadline_ms - now : 0;
        if (p->state == PEND_HEAD && p->seen > 0 && left > GATE_TICK_MS)
            left = GATE_TICK_MS;
        if (wait == -1 || left < wait)
            wait = left;
    }
    *timeout = wait > 60000 ? 60000 : (int)wait;
    return n;
}

static void *run(void *arg) {
    struct gate *g = arg;
    int64_t now;
    nfds_t n, k;
    int timeout, rc, s;
    short ev;

    for (;;) {
        n = poll_set(g, mono_now_ms(), &timeout);
        rc = poll(g->pfd, n, timeout);
        if (rc == -1 && errno != EINTR) {
            log_warn("gate: poll");
            break;
        }
        if (rc > 0 && (g->pfd[0].revents & POLLIN))
            break; /* gate_stop */
        now = mono_now_ms();
        for (k = 1; k < n; k++) {
            if ((s = g->slot_of[k]) == -1)
                continue;
            ev = rc > 0 ? g->pfd[k].revents : 0;
            if (g->pend[s].state == PEND_LINGER)
                linger_step(g, (size_t)s, ev, now);
            else
                head_step(g, (size_t)s, ev, now);
        }
        if (rc > 0 && n > 1 && g->slot_of[1] == -1 && (g->pfd[1].revents & POLLIN))
            accept_some(g, now);
    }
    return NULL;
}

/* Bind and listen on bind:port (see gate_start). The socket, or -1 with err. */
static int listen_on(const char *bind_addr, int port, struct err *err) {
    struct addrinfo hints, *ai = NULL;
    char service[16];
    int fd = -1, on = 1, rc, rcvbuf = 4 * HTTP_HEAD_MAX_BYTES;

    rc = snprintf(service, sizeof(service), "%d", port);
    if (rc < 0 || (size_t)rc >= sizeof(service) || port < 0 || port > 65535) {
        err_set(err, 500, "bad port %d", port);
        goto fail;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    rc = getaddrinfo(bind_addr[0] != '\0' ? bind_addr : NULL, service, &hints, &ai);
    if (rc != 0) {
        err_set(err, 500, "cannot use bind address '%s': %s", bind_addr,
                gai_strerror(rc));
        goto fail;
    }
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    /*
     * The gate peeks: a head stays in the receive buffer until it is whole,
     * so the buffer (inherited by every accepted socket) must hold the
     * largest head we take with the kernel's per-segment overhead, or a
     * client sending it in many small segments stalls on a closed window.
     */
    if (fd == -1 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) == -1 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
        (ai->ai_family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == -1) ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 || listen(fd, SOMAXCONN) == -1) {
        err_set(err, 500, "cannot listen on '%s' port %d: %s", bind_addr, port,
                strerror(errno));
        goto fail;
    }
    freeaddrinfo(ai);
    return fd;
fail:
    if (fd != -1)
        close(fd);
    if (ai != NULL)
        freeaddrinfo(ai);
    return -1;
}

struct gate *gate_start(const char *bind_addr, int port, gate_handover_fn *handover,
                        void *cls, struct err *err) {
    struct gate *g = NULL;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    size_t i;

    if ((g = calloc(1, sizeof(*g))) == NULL) {
        err_set(err, 500, "out of memory");
        goto fail;
    }
    g->lfd = g->wake[0] = g->wake[1] = -1;
    atomic_init(&g->draining, 0);
    g->handover = handover;
    g->cls = cls;
    for (i = 0; i < GATE_MAX_CONNS; i++)
        g->pend[i].fd = -1;
    if ((g->lfd = listen_on(bind_addr, port, err)) == -1)
        goto fail;
    if (getsockname(g->lfd, (struct sockaddr *)&ss, &len) == -1) {
        err_set(err, 500, "cannot read the port bound: %s", strerror(errno));
        goto fail;
    }
    g->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                             : ((struct sockaddr_in *)&ss)->sin_port);
    if (pipe2(g->wake, O_CLOEXEC | O_NONBLOCK) == -1) {
        err_set(err, 500, "cannot create a pipe: %s", strerror(errno));
        goto fail;
    }
    if ((errno = pthread_create(&g->thread, NULL, run, g)) != 0) {
        err_set(err, 500, "cannot start the gate's thread: %s", strerror(errno));
        goto fail;
    }
    g->started = 1;
    return g;
fail:
    gate_stop(g);
    return NULL;
}

void gate_drain(struct gate *g) {
    if (g != NULL)
        atomic_store(&g->draining, 1);
}

int gate_port(const struct gate *g) {
    return g != NULL ? g->port : -1;
}

void gate_stop(struct gate *g) {
    size_t i;

    if (g == NULL)
        return;
    if (g->started) {
        while (write(g->wake[1], "x", 1) == -1 && errno == EINTR)
            ;
        pthread_join(g->thread, NULL);
    }
    for (i = 0; i < GATE_MAX_CONNS; i++)
        if (g->pend[i].fd != -1)
            close(g->pend[i].fd);
    if (g->lfd != -1)
        close(g->lfd);
    if (g->wake[0] != -1)
        close(g->wake[0]);
    if (g->wake[1] != -1)
        close(g->wake[1]);
    free(g);
}
