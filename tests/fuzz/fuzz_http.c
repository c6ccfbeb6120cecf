/*
 * fuzz_http.c - libFuzzer harness of the real request path: routing, header
 * checks, query parameters, the multipart post processor, the upload spool,
 * the pipeline and every renderer.
 *
 * The real server (http_start) runs in this process once, on 127.0.0.1 port
 * 0, with fuzz_fake_tshark as its tshark (three fixed packets for any file)
 * and a private --tmpdir under $TMPDIR. Each input is sent as raw bytes on a
 * new loopback connection, the write side is shut, and the answer is read
 * until the server closes. The input fails (abort) when:
 *   - the server does not close the connection within ANSWER_TIMEOUT_MS;
 *   - it answers something that is not HTTP/1.x, or a 500 (an internal error
 *     on client input is a bug);
 *   - a temp file outlives its request (checked after the connection closed
 *     and the server had IDLE_WAIT_MS to finish its bookkeeping).
 * ASan/UBSan/LSan catch the rest. At exit the status counts are printed.
 */
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "base/err.h"
#include "http/http.h"
#include "base/log.h"
#include "conf/options.h"
#include "tshark/tshark.h"
#include "http/upload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ANSWER_TIMEOUT_MS 15000
#define IDLE_WAIT_MS 2000
#define MAX_UPLOAD "65536"

static struct options opts;
static struct tshark ts;
static struct http *srv;
static int port;
static char base[4096];
static unsigned long statuses[600]; /* by status; [0]: no answer */

static int64_t now_ms(void) {
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Remove base/tmp/... (flat files and one level of directories, e.g. a store). */
static void rm_tree(const char *dir, int depth) {
    char p[8192];
    struct dirent *de;
    struct stat st;
    DIR *d;

    if ((d = opendir(dir)) == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >= (int)sizeof(p))
            continue;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode) && depth < 4)
            rm_tree(p, depth + 1);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static void teardown(void) {
    http_stop(srv);
    srv = NULL;
    rm_tree(base, 0);
    int i;

    fprintf(stderr, "fuzz_http: answers: none %lu", statuses[0]);
    for (i = 100; i < 600; i++)
        if (statuses[i] != 0)
            fprintf(stderr, ", %d: %lu", i, statuses[i]);
    fprintf(stderr, "\n");
}

static void setup(void) {
    const char *tmp = getenv("TMPDIR");
    char tmpdir[4096 + 8];
    struct err err = ERR_INIT;
    char *argv[] = {"pcapchart", "--port",       "0",        "--bind",    "127.0.0.1",
                    "--tmpdir",  tmpdir,         "--tshark", FAKE_TSHARK, "--www",
                    WWW_DIR,     "--max-upload", MAX_UPLOAD, "--jobs",    "4",
                    "--timeout", "10",           NULL};

    signal(SIGPIPE, SIG_IGN);
    log_set_level(LOG_LEVEL_WARN);
    snprintf(base, sizeof(base), "%s/pcapchart-fuzz-XXXXXX",
             tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
    if (mkdtemp(base) == NULL) {
        perror("fuzz_http: mkdtemp");
        abort();
    }
    snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", base);
    if (options_parse(&opts, (int)(sizeof(argv) / sizeof(argv[0])) - 1, argv, NULL,
                      &err) == -1 ||
        tshark_init(&ts, opts.tshark, opts.timeout_s, &err) == -1) {
        fprintf(stderr, "fuzz_http: setup: %s\n", err.msg);
        abort();
    }
    ts.max_packets = opts.max_packets;
    if ((srv = http_start(&opts, &ts, &err)) == NULL) {
        fprintf(stderr, "fuzz_http: http_start: %s\n", err.msg);
        abort();
    }
    port = http_port(srv);
    atexit(teardown);
}

/* Upload temp files (<tmpdir>/pcapchart-XXXXXX) present now. */
static int temp_files(void) {
    char dir[4096 + 8];
    struct dirent *de;
    DIR *d;
    int n = 0;

    snprintf(dir, sizeof(dir), "%s/tmp", base);
    if ((d = opendir(dir)) == NULL)
        return 0;
    while ((de = readdir(d)) != NULL)
        if (strncmp(de->d_name, UPLOAD_PREFIX, sizeof(UPLOAD_PREFIX) - 1) == 0)
            n++;
    closedir(d);
    return n;
}

static void fail(const char *what, const char *answer, size_t n) {
    fprintf(stderr, "fuzz_http: %s\n  answer (%zu bytes): %.*s\n", what, n,
            (int)(n < 600 ? n : 600), answer);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char answer[1 << 16];
    struct sockaddr_in sa;
    struct pollfd pfd;
    size_t sent = 0, got = 0;
    int64_t deadline;
    int fd, wr_open = 1, status;
    ssize_t n;

    if (srv == NULL)
        setup();
    if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1)
        abort();
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 && errno != EINPROGRESS) {
        perror("fuzz_http: connect");
        abort();
    }
    deadline = now_ms() + ANSWER_TIMEOUT_MS;
    for (;;) {
        int64_t left = deadline - now_ms();

        if (left <= 0) {
            close(fd);
            fail("no answer and no close within the timeout", answer, got);
        }
        pfd.fd = fd;
        pfd.events = POLLIN | (wr_open ? POLLOUT : 0);
        if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR)
            abort();
        if (wr_open && (pfd.revents & (POLLOUT | POLLERR | POLLHUP))) {
            n = sent < size ? send(fd, data + sent, size - sent, MSG_NOSIGNAL) : 0;
            if (n > 0)
                sent += (size_t)n;
            if (sent == size || (n == -1 && errno != EAGAIN && errno != EINTR)) {
                shutdown(fd, SHUT_WR); /* the server sees EOF after the input */
                wr_open = 0;
            }
        }
        if (pfd.revents & (POLLIN | POLLERR | POLLHUP)) {
            char *dst = got < sizeof(answer) ? answer + got : NULL;
            char sink[4096];

            n = recv(fd, dst ? dst : sink, dst ? sizeof(answer) - got : sizeof(sink), 0);
            if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
                break; /* closed (or reset) by the server */
            if (n > 0 && dst != NULL)
                got += (size_t)n;
        }
    }
    close(fd);
    if (got == 0) {
        statuses[0]++;
    } else {
        if (got < 12 || memcmp(answer, "HTTP/1.", 7) != 0 || answer[8] != ' ')
            fail("the answer is not HTTP/1.x", answer, got);
        status = atoi(answer + 9);
        if (status < 100 || status > 599)
            fail("the answer has no valid status", answer, got);
        statuses[status]++;
        if (status == 500)
            fail("an internal error (500) on client input", answer, got);
    }
    /* the request's temp file goes when it completes, right after the close */
    if (temp_files() > 0) {
        const struct timespec ms = {0, 1000000};
        int64_t until = now_ms() + IDLE_WAIT_MS;
        while (temp_files() > 0 && now_ms() < until)
            nanosleep(&ms, NULL);
        if (temp_files() > 0)
            fail("a temp file outlived its request", answer, got);
    }
    return 0;
}
