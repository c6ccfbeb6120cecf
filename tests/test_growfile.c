/*
 * test_growfile.c - growfile.c: a file read while another thread writes it,
 * the end (complete or abandoned), the wake fd, and init's errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "proc/growfile.h"
#include "check.h"
#include "banned.h"

#define FILE_BYTES (256 * 1024)
#define CHUNK_BYTES 4093 /* not a divisor of FILE_BYTES: the last chunk is short */
#define SLOW_MS 10000    /* "did not hang": far above any real wait */

static char dir[256]; /* private temp directory of this test */

static unsigned char byte_at(uint64_t off) {
    return (unsigned char)(off * 131 + off / 251);
}

struct writer {
    struct growfile *g;
    int fd;
    int ok;           /* end with growfile_end(ok) after the last chunk */
    uint64_t stop_at; /* write this many bytes, then end */
};

static void pause_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* Write the file in chunks, reporting each, with a pause now and then. */
static void *write_thread(void *arg) {
    struct writer *w = arg;
    unsigned char chunk[CHUNK_BYTES];
    uint64_t off = 0;
    size_t i, k;

    while (off < w->stop_at) {
        k = w->stop_at - off < sizeof(chunk) ? (size_t)(w->stop_at - off) : sizeof(chunk);
        for (i = 0; i < k; i++)
            chunk[i] = byte_at(off + i);
        if (pwrite(w->fd, chunk, k, (off_t)off) != (ssize_t)k)
            break;
        off += k;
        growfile_add(w->g, off);
        if ((off / CHUNK_BYTES) % 8 == 0)
            pause_ms(2); /* let the reader catch up and wait */
    }
    growfile_end(w->g, w->ok && off == w->stop_at);
    return NULL;
}

/*
 * Read the file as the writer allows, polling wake_fd when caught up, until
 * the end. Returns the final state; *got is the bytes read, all checked.
 */
static enum grow_state read_all(struct growfile *g, int fd, uint64_t *got, int *bad) {
    unsigned char buf[8192];
    enum grow_state s;
    uint64_t avail;
    int64_t until = mono_now_ms() + SLOW_MS;
    size_t i;

    *got = 0;
    *bad = 0;
    for (;;) {
        s = growfile_state(g, &avail);
        while (*got < avail) {
            size_t want =
                avail - *got < sizeof(buf) ? (size_t)(avail - *got) : sizeof(buf);
            ssize_t r = pread(fd, buf, want, (off_t)*got);

            if (r <= 0) { /* reported bytes must be there */
                *bad = 1;
                return s;
            }
            for (i = 0; i < (size_t)r; i++)
                if (buf[i] != byte_at(*got + i))
                    *bad = 1;
            *got += (uint64_t)r;
        }
        if (s != GROW_WRITING)
            return s;
        if (mono_now_ms() > until) {
            *bad = 1;
            return s;
        }
        {
            struct pollfd p = {g->wake_fd, POLLIN, 0};

            if (poll(&p, 1, 1000) > 0)
                growfile_drain(g);
        }
    }
}

static int temp_file(void) {
    char path[sizeof(dir) + 16];
    int fd;

    snprintf(path, sizeof(path), "%s/fileXXXXXX", dir);
    if ((fd = mkstemp(path)) != -1)
        unlink(path);
    return fd;
}

/* A file that grows while it is read: every byte arrives, in order, then DONE. */
static void test_grow_and_complete(void) {
    struct growfile g;
    struct err err = ERR_INIT;
    struct writer w;
    pthread_t t;
    uint64_t got, written;
    int fd = temp_file(), bad;

    CHECK(fd != -1);
    CHECK(growfile_init(&g, &err) == 0);
    CHECK(g.wake_fd > STDERR_FILENO);
    CHECK((fcntl(g.wake_fd, F_GETFD) & FD_CLOEXEC) != 0);
    CHECK(growfile_state(&g, &written) == GROW_WRITING && written == 0);
    w = (struct writer){&g, fd, 1, FILE_BYTES};
    CHECK(pthread_create(&t, NULL, write_thread, &w) == 0);
    CHECK(read_all(&g, fd, &got, &bad) == GROW_DONE);
    CHECK(!bad && got == FILE_BYTES);
    CHECK(growfile_wait_end(&g) == GROW_DONE);
    pthread_join(t, NULL);
    /* after the end, nothing changes any more */
    growfile_add(&g, 2 * FILE_BYTES);
    growfile_end(&g, 0);
    CHECK(growfile_state(&g, &written) == GROW_DONE && written == FILE_BYTES);
    growfile_release(&g);
    close(fd);
}

/* The writer gives up half way: the reader sees what was written, then FAILED. */
static void test_abandoned(void) {
    struct growfile g;
    struct err err = ERR_INIT;
    struct writer w;
    pthread_t t;
    uint64_t got, written;
    int fd = temp_file(), bad;

    CHECK(fd != -1);
    CHECK(growfile_init(&g, &err) == 0);
    w = (struct writer){&g, fd, 0, FILE_BYTES / 2 + 1};
    CHECK(pthread_create(&t, NULL, write_thread, &w) == 0);
    CHECK(read_all(&g, fd, &got, &bad) == GROW_FAILED);
    CHECK(!bad && got == FILE_BYTES / 2 + 1);
    pthread_join(t, NULL);
    CHECK(growfile_wait_end(&g) == GROW_FAILED);
    growfile_end(&g, 1); /* once: a later end does not undo it */
    CHECK(growfile_state(&g, &written) == GROW_FAILED && written == FILE_BYTES / 2 + 1);
    growfile_release(&g);
    close(fd);
}

static void *end_later(void *arg) {
    pause_ms(200);
    growfile_end(arg, 1);
    return NULL;
}

/* wait_end blocks until the end; add is a total and never goes back; wake_fd. */
static void test_wait_and_wake(void) {
    struct growfile g;
    struct err err = ERR_INIT;
    struct pollfd p;
    pthread_t t;
    uint64_t written;
    int64_t t0;

    CHECK(growfile_init(&g, &err) == 0);
    p = (struct pollfd){g.wake_fd, POLLIN, 0};
    CHECK(poll(&p, 1, 0) == 0); /* nothing reported yet */
    growfile_add(&g, 100);
    growfile_add(&g, 40); /* a smaller total is stale: ignored */
    CHECK(growfile_state(&g, &written) == GROW_WRITING && written == 100);
    CHECK(poll(&p, 1, 0) == 1 && (p.revents & POLLIN));
    growfile_drain(&g);
    CHECK(poll(&p, 1, 0) == 0); /* drained: quiet until the next report */
    growfile_drain(&g);         /* an empty drain does not block */
    t0 = mono_now_ms();
    CHECK(pthread_create(&t, NULL, end_later, &g) == 0);
    CHECK(growfile_wait_end(&g) == GROW_DONE);
    CHECK(mono_now_ms() - t0 >= 150 && mono_now_ms() - t0 < SLOW_MS);
    pthread_join(t, NULL);
    CHECK(poll(&p, 1, 0) == 1); /* the end is a report too */
    growfile_release(&g);
    growfile_release(&g); /* twice is safe */
    CHECK(g.wake_fd == -1);
}

/* Init fails cleanly without descriptors; a zeroed or failed struct releases. */
static void test_errors(void) {
    struct growfile g, zero;
    struct err err = ERR_INIT;
    struct rlimit old, none;
    int in;

    memset(&zero, 0, sizeof(zero));
    growfile_release(&zero); /* never initialised: nothing to free */

    CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0);
    none = old;
    none.rlim_cur = 0; /* no new descriptor at all: eventfd gets EMFILE */
    CHECK(setrlimit(RLIMIT_NOFILE, &none) == 0);
    CHECK(growfile_init(&g, &err) == -1);
    CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0);
    CHECK(err.status == 500 && strstr(err.msg, "eventfd") != NULL);
    CHECK(g.wake_fd == -1 && !g.ready);
    growfile_release(&g); /* after a failed init: safe */

    /* with stdin closed, the eventfd would get fd 0: it is moved above 2 */
    CHECK((in = dup(STDIN_FILENO)) != -1);
    close(STDIN_FILENO);
    CHECK(growfile_init(&g, NULL) == 0);
    CHECK(g.wake_fd > STDERR_FILENO);
    CHECK(fcntl(STDIN_FILENO, F_GETFD) == -1); /* the low number was given back */
    growfile_release(&g);
    CHECK(dup2(in, STDIN_FILENO) == STDIN_FILENO);
    close(in);
}

int main(void) {
    const char *tmp = getenv("TMPDIR");

    snprintf(dir, sizeof(dir), "%s/pcc-growfile-XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_grow_and_complete();
    test_abandoned();
    test_wait_and_wake();
    test_errors();
    CHECK(rmdir(dir) == 0);
    return CHECK_DONE();
}
