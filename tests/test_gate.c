/*
 * test_gate.c - the request-head gate: gate_judge on heads whole, cut and
 * too large; then a gate on a loopback port: a complete head is handed over
 * with none of its bytes consumed, a refused one gets its answer with the
 * security headers, a client that hangs up is closed, and gate_stop closes
 * whatever still waits (no descriptor left). The 408 deadline is checked end
 * to end (e2e_hostile.py), where its seconds are spent once.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "config.h"
#include "http/gate.h"
#include "http/headers.h"
#include "check.h"
#include "banned.h"

static int judge(const char *s) {
    struct err e = ERR_INIT;

    return gate_judge(s, strlen(s), &e);
}

/* gate_judge on b's bytes: its result, and the status into *status. */
static int judge_buf(const struct buf *b, int *status) {
    struct err e = ERR_INIT;
    int rc = gate_judge(b->data, b->len, &e);

    *status = e.status;
    return rc;
}

static void test_judge(void) {
    struct buf b = BUF_INIT(4 * HTTP_HEAD_MAX_BYTES);
    int status = 0, i;

    CHECK(judge("") == 0);
    CHECK(judge("GET / HTTP/1.1\r\nHost: a\r\n") == 0);
    CHECK(judge("GET / HTTP/1.1\r\nHost: a\r\n\r") == 0);
    CHECK(judge("GET / HTTP/1.1\r\nHost: a\r\n\r\n") == 1);
    CHECK(judge("GET / HTTP/1.1\nHost: a\n\n") == 1);
    CHECK(judge("GET / HTTP/1.0\r\n\r\n") == 1);
    CHECK(judge("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n") == 0); /* leading empty lines */
    CHECK(judge("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\nbody") == 1);

    /* the request line: HTTP_URI_MAX_BYTES, whole or still coming */
    buf_puts(&b, "GET /?a=");
    while (b.len < HTTP_URI_MAX_BYTES - 9)
        buf_puts(&b, "b");
    buf_puts(&b, " HTTP/1.1");
    CHECK(b.len == HTTP_URI_MAX_BYTES);
    CHECK(judge_buf(&b, &status) == 0);
    buf_puts(&b, "\r\n\r\n");
    CHECK(judge_buf(&b, &status) == 1);
    buf_reset(&b);
    buf_puts(&b, "GET /?a=");
    while (b.len <= HTTP_URI_MAX_BYTES)
        buf_puts(&b, "b");
    CHECK(judge_buf(&b, &status) == -1 && status == 414);
    buf_puts(&b, " HTTP/1.1\r\n\r\n");
    CHECK(judge_buf(&b, &status) == -1 && status == 414);

    /* query arguments */
    buf_reset(&b);
    buf_puts(&b, "GET /c/x?a=0");
    for (i = 1; i < HTTP_MAX_QUERY_ARGS; i++)
        buf_printf(&b, "&a%d=%d", i, i);
    buf_puts(&b, "#&&&& HTTP/1.1\r\n\r\n"); /* a fragment's '&' are no arguments */
    CHECK(judge_buf(&b, &status) == 1);
    buf_reset(&b);
    buf_puts(&b, "GET /?");
    for (i = 0; i < HTTP_MAX_QUERY_ARGS; i++)
        buf_puts(&b, "&");
    buf_puts(&b, " HTTP/1.1\r\n");
    CHECK(judge_buf(&b, &status) == -1 && status == 414);

    /* header fields: HTTP_MAX_HEADER_FIELDS of them */
    buf_reset(&b);
    buf_puts(&b, "GET / HTTP/1.1\r\n");
    for (i = 0; i < HTTP_MAX_HEADER_FIELDS; i++)
        buf_printf(&b, "X-H%d: v\r\n", i);
    CHECK(judge_buf(&b, &status) == 0);
    buf_puts(&b, "\r");
    CHECK(judge_buf(&b, &status) == 0);
    buf_puts(&b, "\n");
    CHECK(judge_buf(&b, &status) == 1);
    b.len -= 2;
    buf_puts(&b, "X-One-Too-Many: v\r\n");
    CHECK(judge_buf(&b, &status) == -1 && status == 431);

    /* the head's size: HTTP_HEAD_MAX_BYTES with its end, or 431 */
    buf_reset(&b);
    buf_puts(&b, "GET / HTTP/1.1\r\nX-Pad: ");
    while (b.len < HTTP_HEAD_MAX_BYTES - 4)
        buf_puts(&b, "p");
    buf_puts(&b, "\r\n\r\n");
    CHECK(b.len == HTTP_HEAD_MAX_BYTES);
    CHECK(judge_buf(&b, &status) == 1);
    b.len -= 4;
    buf_puts(&b, "pp\r\n");
    CHECK(judge_buf(&b, &status) == -1 && status == 431);
    buf_release(&b);
}

/* handed over: the fds, kept open to read what MHD would read */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int handed[8], nhanded;

static int on_handover(void *cls, int fd, const struct sockaddr *addr, socklen_t len) {
    (void)cls;
    (void)addr;
    (void)len;
    pthread_mutex_lock(&lock);
    if (nhanded < 8)
        handed[nhanded++] = fd;
    else
        close(fd);
    pthread_mutex_unlock(&lock);
    return 0;
}

static int connect_to(int port) {
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd != -1 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Read fd until EOF or ms pass, into b. */
static void read_all(int fd, struct buf *b, int ms) {
    struct pollfd p = {fd, POLLIN, 0};
    char chunk[4096];
    ssize_t n;

    while (poll(&p, 1, ms) == 1) {
        if ((n = recv(fd, chunk, sizeof(chunk), 0)) <= 0)
            break;
        buf_append(b, chunk, (size_t)n);
    }
}

static int wait_handed(int n, int ms) {
    const struct timespec step = {0, 5000000};
    int got;

    for (;;) {
        pthread_mutex_lock(&lock);
        got = nhanded;
        pthread_mutex_unlock(&lock);
        if (got >= n || ms <= 0)
            return got;
        nanosleep(&step, NULL);
        ms -= 5;
    }
}

static int open_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    int n = 0;

    if (d == NULL)
        return -1;
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

static void test_gate(void) {
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\nleft for MHD";
    struct buf in = BUF_INIT(1 << 20), big = BUF_INIT(1 << 20);
    struct err err = ERR_INIT;
    struct gate *g;
    const struct header *h;
    char name[128];
    int fds0 = open_fds(), c1, c2, c3, c4, port;

    g = gate_start("127.0.0.1", 0, on_handover, NULL, &err);
    CHECK(g != NULL);
    if (g == NULL)
        return;
    port = gate_port(g);
    CHECK(port > 0);

    /* a complete head, in two pieces: handed over, nothing consumed */
    c1 = connect_to(port);
    CHECK(c1 != -1);
    CHECK(send(c1, req, 20, 0) == 20);
    CHECK(wait_handed(1, 200) == 0);
    CHECK(send(c1, req + 20, sizeof(req) - 21, 0) == (ssize_t)sizeof(req) - 21);
    CHECK(wait_handed(1, 5000) == 1);
    if (nhanded == 1) {
        read_all(handed[0], &in, 200);
        CHECK(in.len == sizeof(req) - 1 && memcmp(in.data, req, in.len) == 0);
    }

    /* a request line too long: 414 with the security headers, then closed */
    c2 = connect_to(port);
    buf_puts(&big, "GET /?a=");
    while (big.len <= HTTP_URI_MAX_BYTES)
        buf_puts(&big, "b");
    CHECK(c2 != -1 && send(c2, big.data, big.len, 0) == (ssize_t)big.len);
    buf_reset(&in);
    read_all(c2, &in, 5000);
    CHECK(in.len > 0 && strncmp(in.data, "HTTP/1.1 414 ", 13) == 0);
    CHECK(in.data != NULL && strstr(in.data, "\r\nConnection: close\r\n") != NULL);
    for (h = HEADERS_SECURITY; h->name != NULL && in.data != NULL; h++) {
        snprintf(name, sizeof(name), "\r\n%s: ", h->name);
        CHECK(strstr(in.data, name) != NULL);
    }
    CHECK(in.data != NULL && strstr(in.data, "request line longer than") != NULL);

    /* a client that hangs up mid-head is closed, never handed over */
    c3 = connect_to(port);
    CHECK(c3 != -1 && send(c3, "GET / HTTP/1.1\r\nHo", 18, 0) == 18);
    shutdown(c3, SHUT_WR);
    buf_reset(&in);
    read_all(c3, &in, 5000);
    CHECK(in.len == 0);

    /* one waiting when the gate stops: closed by gate_stop */
    c4 = connect_to(port);
    CHECK(c4 != -1 && send(c4, "GET / HTTP/1.1\r\n", 16, 0) == 16);
    CHECK(wait_handed(2, 300) == 1);
    gate_stop(g);
    buf_reset(&in);
    read_all(c4, &in, 5000);
    CHECK(in.len == 0);

    if (nhanded > 0)
        close(handed[0]);
    close(c1);
    close(c2);
    close(c3);
    close(c4);
    CHECK(open_fds() == fds0);
    buf_release(&in);
    buf_release(&big);
}

int main(void) {
    test_judge();
    test_gate();
    return CHECK_DONE();
}
