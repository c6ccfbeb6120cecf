/*
 * test_warm.c - warm.c (the pool, with cat and sh as children: take, refill,
 * fallback when empty, dead and misbehaving children, start failures,
 * shutdown, threads, fds) and the warm tshark path of tshark.c: for every
 * capture of $CAPTURES_DIR dev/ and bad/, a warm run gives the same packets,
 * status and message as a cold one, or the file is routed cold by its magic;
 * plus the packet limit, timeouts, cancel, a warm tshark that dies, and the
 * --warm option.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "check.h"
#include "testpkts.h"
#include "testutil.h"
#include "base/clock.h"
#include "proc/child.h"
#include "conf/options.h"
#include "tshark/profile.h"
#include "tshark/tshark.h"
#include "proc/warm.h"
#include "banned.h"

#define OUT_MAX (4 * 1024 * 1024)
#define SLOW_MS 15000 /* "it ended rather than hung": no timing claims */
#define DISPLAY "upload.pcap"

static char tmpdir[256];

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* 1 once pid is no child of ours any more (exited and reaped by the pool) */
static int reaped(pid_t pid) {
    int i;

    for (i = 0; i < 200; i++) {
        errno = 0;
        if (waitpid(pid, NULL, WNOHANG) == -1 && errno == ECHILD)
            return 1;
        sleep_ms(25);
    }
    return 0;
}

/* 1 when pid is a zombie or gone */
static int dead_now(pid_t pid) {
    char path[64], buf[512];
    FILE *f;
    char *p;
    int dead = 1;

    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    if ((f = fopen(path, "r")) == NULL)
        return 1;
    if (fgets(buf, sizeof(buf), f) != NULL && (p = strrchr(buf, ')')) != NULL)
        dead = p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
    fclose(f);
    return dead;
}

/* Wait up to ms for cond(p) to hold; 1 when it did. */
static int wait_idle(struct warm_pool *p, int want, long ms) {
    struct warm_stats st;
    int64_t until = mono_now_ms() + ms;

    do {
        warm_pool_stats(p, &st);
        if (st.idle >= want)
            return 1;
        sleep_ms(10);
    } while (mono_now_ms() < until);
    return 0;
}

/* A temp file holding text; its path in out. */
static int make_file(char *out, size_t n, const char *name, const char *text, int mode) {
    int fd;
    size_t len = strlen(text);

    snprintf(out, n, "%s/%s", tmpdir, name);
    if ((fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)) == -1)
        return -1;
    if (write(fd, text, len) != (ssize_t)len) {
        close(fd);
        return -1;
    }
    return close(fd);
}

/* Feed the file at path to ch (taken from a pool) and read all of stdout. */
static int feed_path(struct child *ch, const char *path, struct buf *out) {
    char chunk[READ_CHUNK_BYTES];
    struct err err = ERR_INIT;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC), st;

    if (fd == -1)
        return -1;
    ch->deadline_ms = mono_now_ms() + 20000;
    if (child_feed_from(ch, fd, &err) == -1) {
        child_finish(ch);
        close(fd);
        return -1;
    }
    while ((n = child_read(ch, chunk, sizeof(chunk), &err)) > 0)
        buf_append(out, chunk, (size_t)n);
    st = child_finish(ch);
    close(fd);
    return n == 0 ? st : -1;
}

static struct warm_pool *pool_of(const char *const *argv, int size, struct err *err) {
    struct child_spec spec = CHILD_SPEC_INIT;

    spec.argv = argv;
    spec.stdin_fd = CHILD_STDIN_PIPE;
    return warm_pool_new(&spec, size, err);
}

static void test_basic(void) {
    const char *cat[] = {"cat", NULL};
    struct err err = ERR_INIT;
    struct warm_stats st;
    struct child a = CHILD_INIT, b = CHILD_INIT, c = CHILD_INIT;
    struct buf out = BUF_INIT(OUT_MAX);
    struct warm_pool *p;
    char path[512];
    int64_t t0;
    int fds = count_fds();

    CHECK(make_file(path, sizeof(path), "hello.txt", "hello, warm world\n", 0600) == 0);
    p = pool_of(cat, 2, &err);
    CHECK(p != NULL);
    if (p == NULL)
        return;
    warm_pool_stats(p, &st);
    CHECK(st.size == 2 && st.idle == 2 && st.started == 2 && st.taken == 0);
    /* started before warm_pool_new returned: 3 fds each + the wake pipe */
    CHECK(count_fds() == fds + 2 * 3 + 2);

    CHECK(warm_pool_take(p, &a) == 0 && a.pid > 0 && a.in_fd != -1);
    CHECK(a.deadline_ms == 0 && a.cancel_fd == -1);
    CHECK(warm_pool_take(p, &b) == 0 && b.pid > 0 && b.pid != a.pid);
    /* empty (it refills meanwhile): a take then fails at once, it never waits */
    {
        int i, empty = 0;
        for (i = 0; i < 1000 && !empty; i++) {
            t0 = mono_now_ms();
            if (warm_pool_take(p, &c) == -1) {
                empty = 1;
                CHECK(mono_now_ms() - t0 < SLOW_MS);
            } else {
                child_kill(&c);
                child_finish(&c);
            }
        }
        CHECK(empty);
    }
    CHECK(warm_pool_take(NULL, &c) == -1);

    /* the taken ones work, fed a file */
    CHECK(feed_path(&a, path, &out) == 0);
    CHECK(out.len == 18 && memcmp(out.data, "hello, warm world\n", 18) == 0);
    buf_reset(&out);
    CHECK(feed_path(&b, path, &out) == 0 && out.len == 18);

    /* refilled in the background */
    CHECK(wait_idle(p, 2, 10000));
    warm_pool_stats(p, &st);
    CHECK(st.taken >= 2 && st.started >= 4 && st.discarded == 0);
    warm_pool_free(p);
    warm_pool_free(NULL);
    CHECK(count_fds() == fds);
    errno = 0;
    CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
    buf_release(&out);
}

/* An idle child that dies is discarded, reaped and replaced. */
static void test_dead(void) {
    const char *cat[] = {"cat", NULL};
    struct err err = ERR_INIT;
    struct warm_stats st;
    struct buf out = BUF_INIT(OUT_MAX);
    struct warm_pool *p;
    pid_t pids[MAX_WARM];
    char path[512];
    int i, n, fds = count_fds();

    CHECK(make_file(path, sizeof(path), "x.txt", "x", 0600) == 0);
    p = pool_of(cat, 2, &err);
    CHECK(p != NULL);
    if (p == NULL)
        return;
    /* killed while the thread watches: it notices on its own */
    CHECK(warm_pool_idle_pids(p, pids, MAX_WARM) == 2);
    CHECK(kill(pids[0], SIGKILL) == 0);
    CHECK(reaped(pids[0]));
    CHECK(wait_idle(p, 2, 10000));
    n = warm_pool_idle_pids(p, pids + 2, MAX_WARM - 2);
    CHECK(n == 2 && pids[2] != pids[0] && pids[3] != pids[0]);
    warm_pool_stats(p, &st);
    CHECK(st.discarded == 1 && st.started == 3);

    /* dead and not yet noticed: take() checks before it hands one over */
    for (i = 0; i < 5; i++) {
        struct child ch = CHILD_INIT;
        pid_t victim;

        CHECK(wait_idle(p, 2, 10000));
        CHECK(warm_pool_idle_pids(p, &victim, 1) == 1);
        CHECK(kill(victim, SIGKILL) == 0);
        while (!dead_now(victim))
            sleep_ms(1);
        if (warm_pool_take(p, &ch) == 0) {
            CHECK(ch.pid != victim);
            buf_reset(&out);
            CHECK(feed_path(&ch, path, &out) == 0 && out.len == 1);
        }
        CHECK(reaped(victim));
    }
    warm_pool_free(p);
    CHECK(count_fds() == fds);
    buf_release(&out);
}

/* Children that print before any input, or cannot start, or ignore SIGTERM. */
static void test_faulty(void) {
    const char *early[] = {"/bin/sh", "-c", "echo early; exec cat", NULL};
    const char *missing[] = {"/nonexistent/warm-child", NULL};
    const char *stubborn[] = {"/bin/sh", "-c", "trap '' TERM; exec cat", NULL};
    const char *cat[] = {"cat", NULL};
    struct child_spec spec = CHILD_SPEC_INIT;
    struct err err = ERR_INIT;
    struct warm_stats st;
    struct warm_pool *p;
    pid_t pids[MAX_WARM];
    int64_t t0;
    int i, n, fds = count_fds();

    /* noisy children are replaced, with a growing pause: no busy loop */
    p = pool_of(early, 1, &err);
    CHECK(p != NULL);
    t0 = mono_now_ms();
    do {
        sleep_ms(50);
        warm_pool_stats(p, &st);
    } while (st.discarded < 2 && mono_now_ms() - t0 < SLOW_MS);
    CHECK(st.discarded >= 2);
    sleep_ms(1000);
    warm_pool_stats(p, &st);
    /* 100, 200, 400, 800, 1600... ms apart: a few starts, not thousands */
    CHECK(st.started <= 2 + (uint64_t)(mono_now_ms() - t0) / 100);
    CHECK(st.started <= 12);
    warm_pool_free(p);
    CHECK(count_fds() == fds);

    /* no pool at all when a child cannot start; nothing left behind */
    err.status = 0;
    CHECK(pool_of(missing, 2, &err) == NULL && err.status == 500);
    CHECK(strstr(err.msg, "No such file") != NULL);
    CHECK(pool_of(cat, 0, &err) == NULL && pool_of(cat, MAX_WARM + 1, &err) == NULL);
    spec.argv = cat;
    CHECK(warm_pool_new(&spec, 1, &err) == NULL); /* stdin is not CHILD_STDIN_PIPE */
    CHECK(count_fds() == fds);
    errno = 0;
    CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);

    /* shutdown kills and reaps all, even those that ignore SIGTERM */
    p = pool_of(stubborn, 3, &err);
    CHECK(p != NULL);
    sleep_ms(200); /* let the shells set their trap */
    n = warm_pool_idle_pids(p, pids, MAX_WARM);
    CHECK(n == 3);
    t0 = mono_now_ms();
    warm_pool_free(p);
    CHECK(mono_now_ms() - t0 < SLOW_MS);
    for (i = 0; i < n; i++)
        CHECK(reaped(pids[i]) && dead_now(pids[i]));
    CHECK(count_fds() == fds);

    /* a child taken before the pool goes keeps working */
    {
        struct child ch = CHILD_INIT;
        struct buf out = BUF_INIT(OUT_MAX);
        char path[512];

        CHECK(make_file(path, sizeof(path), "y.txt", "yy", 0600) == 0);
        p = pool_of(cat, 1, &err);
        CHECK(p != NULL && warm_pool_take(p, &ch) == 0);
        warm_pool_free(p);
        CHECK(feed_path(&ch, path, &out) == 0 && out.len == 2);
        buf_release(&out);
    }
    CHECK(count_fds() == fds);
    errno = 0;
    CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
}

struct taker {
    struct warm_pool *p;
    const char *path;
    int got, bad;
};

static void *taker_main(void *arg) {
    struct taker *t = arg;
    int i;

    for (i = 0; i < 20; i++) {
        struct child ch = CHILD_INIT;
        struct buf out = BUF_INIT(OUT_MAX);

        if (warm_pool_take(t->p, &ch) == 0) {
            t->got++;
            if (feed_path(&ch, t->path, &out) != 0 || out.len != 5)
                t->bad++;
        } else {
            sleep_ms(5);
        }
        buf_release(&out);
    }
    return NULL;
}

static void test_threads(void) {
    const char *cat[] = {"cat", NULL};
    struct err err = ERR_INIT;
    struct taker t[4];
    pthread_t th[4];
    struct warm_stats st;
    char path[512];
    int i, got = 0, fds = count_fds();

    CHECK(make_file(path, sizeof(path), "five.txt", "12345", 0600) == 0);
    memset(t, 0, sizeof(t));
    t[0].p = pool_of(cat, 3, &err);
    CHECK(t[0].p != NULL);
    if (t[0].p == NULL)
        return;
    for (i = 0; i < 4; i++) {
        t[i].p = t[0].p;
        t[i].path = path;
        CHECK(pthread_create(&th[i], NULL, taker_main, &t[i]) == 0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK(t[i].bad == 0);
        got += t[i].got;
    }
    warm_pool_stats(t[0].p, &st);
    CHECK(got > 0 && (uint64_t)got == st.taken && st.taken <= st.started);
    warm_pool_free(t[0].p);
    CHECK(count_fds() == fds);
}

/* --- the warm tshark path --- */

/* What a run gave, for comparing two runs. */
struct outcome {
    int rc;
    struct err err;
    struct tshark_result res;
    struct pkts pk;
};

static void run(const struct tshark *ts, const char *capture, int cancel_fd,
                struct outcome *o) {
    struct tshark_job job = {capture, DISPLAY, NULL, cancel_fd, NULL, 0, NULL, NULL};

    memset(o, 0, sizeof(*o));
    o->rc = tshark_run(ts, &job, collect, &o->pk, &o->res, &o->err);
}

static int same(const struct outcome *a, const struct outcome *b) {
    return a->rc == b->rc && a->err.status == b->err.status &&
           strcmp(a->err.msg, b->err.msg) == 0 && a->res.packets == b->res.packets &&
           a->res.damaged == b->res.damaged && a->res.stopped == b->res.stopped &&
           a->res.exit_status == b->res.exit_status &&
           strcmp(a->res.reason, b->res.reason) == 0 && pkts_equal(&a->pk, &b->pk);
}

/* 1 when the file starts with a magic the warm path takes */
static int warm_magic(const char *path) {
    unsigned char m[4] = {0, 0, 0, 0};
    FILE *f = fopen(path, "rb");
    size_t n = 0;

    if (f != NULL) {
        n = fread(m, 1, 4, f);
        fclose(f);
    }
    if (n < 4)
        return 0;
    return (m[0] == 0xa1 && m[1] == 0xb2 && m[2] == 0xc3 && m[3] == 0xd4) ||
           (m[0] == 0xd4 && m[1] == 0xc3 && m[2] == 0xb2 && m[3] == 0xa1) ||
           (m[0] == 0xa1 && m[1] == 0xb2 && m[2] == 0x3c && m[3] == 0x4d) ||
           (m[0] == 0x4d && m[1] == 0x3c && m[2] == 0xb2 && m[3] == 0xa1) ||
           (m[0] == 0x0a && m[1] == 0x0d && m[2] == 0x0d && m[3] == 0x0a) ||
           (m[0] == 0x1f && m[1] == 0x8b);
}

/* Every capture of dev/ and bad/: warm and cold give the same outcome. */
static void test_identical(struct tshark *ts, const char *capdir) {
    static const char *const dirs[] = {"dev", "bad"};
    struct tshark cold = *ts;
    size_t d;
    int nwarm = 0, ncold = 0, nfiles = 0;

    cold.pool = NULL;
    for (d = 0; d < 2; d++) {
        char dir[4096];
        struct dirent **names = NULL;
        int i, n;

        snprintf(dir, sizeof(dir), "%s/%s", capdir, dirs[d]);
        n = scandir(dir, &names, NULL, alphasort);
        CHECK(n > 0);
        for (i = 0; i < n; i++) {
            char path[8192];
            struct outcome w, c;
            int eligible, ok;

            if (names[i]->d_name[0] == '.') {
                free(names[i]);
                continue;
            }
            snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
            free(names[i]);
            nfiles++;
            eligible = warm_magic(path);
            CHECK(wait_idle(ts->pool, 1, 30000));
            run(ts, path, -1, &w);
            run(&cold, path, -1, &c);
            CHECK(c.res.warm == 0 && w.res.warm == eligible);
            ok = same(&w, &c);
            CHECK(ok);
            if (!ok)
                fprintf(stderr,
                        "  %s: warm rc %d %d '%s' %llu pk '%s' / cold rc %d %d '%s' "
                        "%llu pk '%s'\n",
                        path, w.rc, w.err.status, w.err.msg,
                        (unsigned long long)w.res.packets, w.res.reason, c.rc,
                        c.err.status, c.err.msg, (unsigned long long)c.res.packets,
                        c.res.reason);
            if (eligible)
                nwarm++;
            else
                ncold++;
            free(w.pk.v);
            free(c.pk.v);
        }
        free(names);
    }
    CHECK(nfiles == 14 + 28);
    printf("warm vs cold: %d captures identical through a warm tshark, %d routed cold "
           "by their magic\n",
           nwarm, ncold);
}

/* The message mapping, the packet limit and a cancel, on the warm path. */
static void test_warm_paths(struct tshark *ts, const char *capdir) {
    char path[4096];
    struct outcome w, c;
    struct tshark cold = *ts;

    cold.pool = NULL;
    snprintf(path, sizeof(path), "%s/bad/pcapng_truncated_mid_block.pcapng", capdir);
    CHECK(wait_idle(ts->pool, 1, 30000));
    run(ts, path, -1, &w);
    CHECK(w.res.warm && w.rc == 0 && w.res.damaged);
    CHECK(strcmp(w.res.reason, "The file \"" DISPLAY "\" appears to have been cut short "
                               "in the middle of a packet.") == 0);
    free(w.pk.v);
    snprintf(path, sizeof(path), "%s/bad/pcap-invalid-version-1.pcap", capdir);
    CHECK(wait_idle(ts->pool, 1, 30000));
    run(ts, path, -1, &w);
    CHECK(w.res.warm && w.rc == -1 && w.err.status == 422);
    CHECK(strcmp(w.err.msg, "The file \"" DISPLAY "\" contains record data that TShark "
                            "doesn't support. (pcap: major version 1 unsupported)") == 0);
    free(w.pk.v);

    /* a client gone before the run: 499, and the warm tshark is reaped */
    {
        int sv[2];

        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
        close(sv[1]);
        snprintf(path, sizeof(path), "%s/dev/http.cap", capdir);
        CHECK(wait_idle(ts->pool, 1, 30000));
        run(ts, path, sv[0], &w);
        CHECK(w.res.warm && w.rc == -1 && w.err.status == 499);
        free(w.pk.v);
        close(sv[0]);
    }
    /* killed while idle: the result is right anyway (discarded and replaced, or cold) */
    {
        pid_t pid;

        CHECK(wait_idle(ts->pool, 1, 30000));
        CHECK(warm_pool_idle_pids(ts->pool, &pid, 1) == 1);
        kill(pid, SIGKILL);
        /*
         * Once the pool has reaped it: killing bwrap leaves its tshark a moment
         * to read and print (until --die-with-parent reaches it), so a run that
         * took it at once could see a few packets and a damaged end.
         */
        CHECK(reaped(pid));
        snprintf(path, sizeof(path), "%s/dev/snmp_usm.pcap", capdir);
        run(ts, path, -1, &w);
        run(&cold, path, -1, &c);
        CHECK(same(&w, &c) && w.res.packets == 144);
        if (!same(&w, &c) || w.res.packets != 144)
            fprintf(stderr,
                    "  killed idle: warm rc %d %d '%s' %llu packets (warm %d); cold rc "
                    "%d %llu\n",
                    w.rc, w.err.status, w.err.msg, (unsigned long long)w.res.packets,
                    w.res.warm, c.rc, (unsigned long long)c.res.packets);
        free(w.pk.v);
        free(c.pk.v);
    }
}

/* The packet limit is part of the warm command: same stop as cold. */
static void test_limit(const struct tshark *real, const char *capdir) {
    struct tshark ts = *real, cold;
    struct err err = ERR_INIT;
    struct outcome w, c;
    char path[4096];

    ts.pool = NULL;
    ts.max_packets = 10;
    CHECK(tshark_pool_start(&ts, 1, &err) == 0);
    cold = ts;
    cold.pool = NULL;
    snprintf(path, sizeof(path), "%s/dev/nfs_bad_stalls.cap", capdir);
    CHECK(wait_idle(ts.pool, 1, 30000));
    run(&ts, path, -1, &w);
    run(&cold, path, -1, &c);
    CHECK(w.res.warm && w.rc == 0 && w.res.stopped && w.res.packets == 10);
    CHECK(same(&w, &c));
    free(w.pk.v);
    free(c.pk.v);
    tshark_pool_stop(&ts);
    tshark_pool_stop(&ts); /* twice: nothing happens */
    CHECK(ts.pool == NULL);
}

/*
 * A capture fed while it is written (an upload arriving): a writer thread
 * copies src into dst in pieces; after the first half it waits until the
 * run has handed over a packet (or 30 s), which proves the overlap without
 * timing anything. abandon: stop after the first half instead.
 */
struct writer {
    const char *src, *dst;
    struct growfile *g;
    int abandon;
    int wait_s; /* how long to wait for a packet after the first half */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int saw_packet;  /* set by the run's callback */
    int overlapped;  /* a packet came before the second half was written */
    struct pkts *pk; /* where the callback collects */
};

static int collect_signal(void *ctx, const struct pkt *p, struct err *err) {
    struct writer *w = ctx;

    pthread_mutex_lock(&w->lock);
    w->saw_packet = 1;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    return collect(w->pk, p, err);
}

static void *writer_thread(void *arg) {
    struct writer *w = arg;
    FILE *in = fopen(w->src, "rb");
    int out = open(w->dst, O_WRONLY | O_APPEND | O_CLOEXEC);
    char buf[4096];
    uint64_t total = 0, half;
    struct stat st;
    size_t n;

    if (in == NULL || out == -1 || fstat(fileno(in), &st) == -1) {
        growfile_end(w->g, 0);
        goto out;
    }
    half = (uint64_t)st.st_size / 2;
    while ((n = fread(buf, 1,
                      total < half && half - total < sizeof(buf) ? (size_t)(half - total)
                                                                 : sizeof(buf),
                      in)) > 0) {
        if (write(out, buf, n) != (ssize_t)n)
            break;
        total += n;
        growfile_add(w->g, total);
        if (total == half) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += w->wait_s;
            pthread_mutex_lock(&w->lock);
            while (!w->saw_packet &&
                   pthread_cond_timedwait(&w->cond, &w->lock, &until) == 0)
                ;
            w->overlapped = w->saw_packet;
            pthread_mutex_unlock(&w->lock);
            if (w->abandon)
                break;
        }
    }
    growfile_end(w->g, !w->abandon && total == (uint64_t)st.st_size);
out:
    if (in != NULL)
        fclose(in);
    if (out != -1)
        close(out);
    return NULL;
}

/* Run ts on src as it is written into a fresh file; the outcome into o. */
static void run_growing(const struct tshark *ts, const char *src, int abandon, int wait_s,
                        struct outcome *o, int *overlapped) {
    char dst[600];
    struct growfile g;
    struct writer w;
    pthread_t t;
    struct tshark_job job = {dst, DISPLAY, NULL, -1, &g, 0, NULL, NULL};
    int fd;

    memset(o, 0, sizeof(*o));
    memset(&w, 0, sizeof(w));
    snprintf(dst, sizeof(dst), "%s/growing.pcap", tmpdir);
    fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    CHECK(fd != -1 && growfile_init(&g, NULL) == 0);
    if (fd != -1)
        close(fd);
    w.src = src;
    w.dst = dst;
    w.g = &g;
    w.abandon = abandon;
    w.wait_s = wait_s;
    w.pk = &o->pk;
    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.cond, NULL);
    CHECK(pthread_create(&t, NULL, writer_thread, &w) == 0);
    {
        /* tshark_run opens the file: wait until the writer made it non-empty */
        uint64_t avail = 0;
        while (growfile_state(&g, &avail) == GROW_WRITING && avail < 4)
            sleep_ms(1);
    }
    o->rc = tshark_run(ts, &job, collect_signal, &w, &o->res, &o->err);
    pthread_join(t, NULL);
    *overlapped = w.overlapped;
    pthread_cond_destroy(&w.cond);
    pthread_mutex_destroy(&w.lock);
    growfile_release(&g);
    unlink(dst);
}

/* Uploads fed to a warm tshark while they arrive: same outcome as cold. */
static void test_growing(struct tshark *ts, const char *capdir) {
    static const char *const files[] = {"dev/nfs_bad_stalls.cap", "dev/hari.pcap",
                                        "dev/pcapng-example.pcapng", "dev/vlan.cap.gz",
                                        "bad/pcapng_truncated_mid_block.pcapng"};
    struct tshark cold = *ts;
    size_t i;

    cold.pool = NULL;
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[4096];
        struct outcome w, c;
        int overlapped = 0, ok, gz;

        snprintf(path, sizeof(path), "%s/%s", capdir, files[i]);
        /* gzip: tshark's inflater waits for more input than half of a small file */
        gz = strstr(files[i], ".gz") != NULL;
        CHECK(wait_idle(ts->pool, 1, 30000));
        run_growing(ts, path, 0, gz ? 1 : 30, &w, &overlapped);
        run(&cold, path, -1, &c);
        ok = w.res.warm && same(&w, &c);
        CHECK(ok);
        if (!gz)
            CHECK(overlapped); /* packets came while the second half was not written */
        if (!ok || (!overlapped && !gz))
            fprintf(stderr, "  growing %s: warm %d, %llu vs %llu packets, overlap %d\n",
                    files[i], w.res.warm, (unsigned long long)w.res.packets,
                    (unsigned long long)c.res.packets, overlapped);
        free(w.pk.v);
        free(c.pk.v);
    }

    /* abandoned halfway (the client left): 499, the tshark is gone */
    {
        char path[4096];
        struct outcome w;
        int overlapped = 0;

        snprintf(path, sizeof(path), "%s/dev/nfs_bad_stalls.cap", capdir);
        CHECK(wait_idle(ts->pool, 1, 30000));
        run_growing(ts, path, 1, 30, &w, &overlapped);
        CHECK(w.rc == -1 && w.err.status == 499 && w.res.warm);
        CHECK(strcmp(w.err.msg, "upload ended early") == 0);
        free(w.pk.v);
    }

    /* without a warm tshark the run waits for the whole file, then runs cold
       (so no packet can come before the second half: the writer waits 1 s) */
    {
        char path[4096];
        struct outcome w, c;
        int overlapped = 1;

        snprintf(path, sizeof(path), "%s/dev/http.cap", capdir);
        run_growing(&cold, path, 0, 1, &w, &overlapped);
        run(&cold, path, -1, &c);
        CHECK(!w.res.warm && same(&w, &c) && !overlapped);
        free(w.pk.v);
        free(c.pk.v);
    }
}

/* Scripts in place of tshark: hang, eat and hang, die once fed. */
static void test_fake(const struct tshark *real, const char *capdir) {
    char hang[512], eat[512], die[512], text[8192], path[4096];
    struct tshark ts;
    struct err err = ERR_INIT;
    struct outcome w, c;
    int64_t t0;

    snprintf(path, sizeof(path), "%s/dev/http.cap", capdir);
    CHECK(make_file(hang, sizeof(hang), "warm-hang", "#!/bin/sh\nexec sleep 1000\n",
                    0755) == 0);
    CHECK(make_file(eat, sizeof(eat), "warm-eat",
                    "#!/bin/sh\ncat >/dev/null\nexec sleep 1000\n", 0755) == 0);
    snprintf(text, sizeof(text),
             "#!/bin/sh\n# warm (stdin a pipe, not the file): die by SIGKILL once fed,\n"
             "# before any output\n"
             "if [ -p /dev/stdin ]; then head -c 1 >/dev/null; kill -KILL $$; fi\n"
             "exec '%s' \"$@\"\n",
             real->path);
    CHECK(make_file(die, sizeof(die), "warm-die", text, 0755) == 0);

    /* the deadline starts when a warm tshark is taken, not when it started */
    ts = *real;
    ts.pool = NULL;
    ts.timeout_s = 1;
    snprintf(ts.path, sizeof(ts.path), "%s", hang);
    CHECK(tshark_pool_start(&ts, 1, &err) == 0);
    sleep_ms(1500);
    t0 = mono_now_ms();
    run(&ts, path, -1, &w);
    CHECK(w.res.warm && w.rc == -1 && w.err.status == 504);
    CHECK(
        strcmp(
            w.err.msg,
            "tshark took longer than 1 s, the time limit of the analysis (--timeout)") ==
        0);
    CHECK(mono_now_ms() - t0 >= 1000 && mono_now_ms() - t0 < SLOW_MS);
    free(w.pk.v);
    tshark_pool_stop(&ts);

    /* it reads everything, then hangs */
    snprintf(ts.path, sizeof(ts.path), "%s", eat);
    CHECK(tshark_pool_start(&ts, 1, &err) == 0);
    run(&ts, path, -1, &w);
    CHECK(w.res.warm && w.rc == -1 && w.err.status == 504);
    free(w.pk.v);
    tshark_pool_stop(&ts);

    /* it dies by a signal before any output: one cold run gives the answer */
    ts = *real;
    ts.pool = NULL;
    snprintf(ts.path, sizeof(ts.path), "%s", die);
    CHECK(tshark_pool_start(&ts, 1, &err) == 0);
    CHECK(wait_idle(ts.pool, 1, 30000));
    run(&ts, path, -1, &w);
    {
        struct tshark cold = *real;
        cold.pool = NULL;
        run(&cold, path, -1, &c);
    }
    CHECK(w.rc == 0 && w.res.packets == 43 && !w.res.warm && same(&w, &c));
    free(w.pk.v);
    free(c.pk.v);
    tshark_pool_stop(&ts);

    /* a pool that cannot start leaves runs cold and correct */
    ts = *real;
    ts.pool = NULL;
    snprintf(ts.path, sizeof(ts.path), "%s/no-such-tshark", tmpdir);
    err.status = 0;
    CHECK(tshark_pool_start(&ts, 1, &err) == -1 && err.status == 500 && ts.pool == NULL);
    CHECK(strcmp(err.msg, "cannot start warm tshark: No such file or directory") == 0);
    CHECK(tshark_pool_start(&ts, 0, &err) == 0 && ts.pool == NULL);
}

static int parse(struct options *o, char *const *argv, char *const *envp,
                 struct err *err) {
    int argc = 0;

    while (argv[argc] != NULL)
        argc++;
    return options_parse(o, argc, argv, envp, err);
}

static void test_options(void) {
    char *a1[] = {"pcapchart", "--jobs", "1", NULL};
    char *a2[] = {"pcapchart", "--jobs", "4", NULL};
    char *a3[] = {"pcapchart", "--jobs", "4", "--warm", "0", NULL};
    char *a4[] = {"pcapchart", "--jobs", "3", "--warm=5", NULL};
    char *a5[] = {"pcapchart", "--warm", "17", NULL};
    char *a6[] = {"pcapchart", "--warm", "-1", NULL};
    char *env[] = {"PCAPCHART_WARM=1", "PCAPCHART_JOBS=8", NULL};
    char *none[] = {NULL};
    struct err err = ERR_INIT;
    struct options o;

    CHECK(parse(&o, a1, none, &err) == 0 && o.warm == 1);
    CHECK(parse(&o, a2, none, &err) == 0 && o.warm == DEFAULT_WARM);
    CHECK(parse(&o, a3, none, &err) == 0 && o.warm == 0);
    CHECK(parse(&o, a4, none, &err) == 0 && o.warm == 3); /* never above --jobs */
    CHECK(parse(&o, a5, none, &err) == -1 && strstr(err.msg, "--warm") != NULL);
    CHECK(parse(&o, a6, none, &err) == -1);
    CHECK(parse(&o, a2, env, &err) == 0 && o.warm == 1 && o.jobs == 4);
    CHECK(strstr(options_usage(), "--warm N") != NULL);
}

/* tmpdir and all in it (the profile and its data/ of symlinks) */
static void rm_tmpdir(void) {
    rm_tree(tmpdir);
}

int main(void) {
    const char *capdir = getenv("CAPTURES_DIR");
    struct tshark ts;
    struct err err = ERR_INIT;
    char profile[512];
    int fds = count_fds();

    snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_warm.XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    /* the scripts made here stand in for tshark (other users when we are root) */
    CHECK(chmod(tmpdir, 0755) == 0);
    test_options();
    test_basic();
    test_dead();
    test_faulty();
    test_threads();

    if (capdir == NULL || access(capdir, R_OK | X_OK) != 0) {
        fprintf(stderr, "CAPTURES_DIR unset or missing: tshark part skipped\n");
    } else if (tshark_init(&ts, "tshark", 120, &err) == -1) {
        fprintf(stderr, "no tshark (%s): tshark part skipped\n", err.msg);
    } else {
        /* as the server runs them: a user per run when we are root */
        CHECK(tshark_run_as(&ts, NULL, &err) == 0);
        CHECK(tshark_sandbox(&ts, NULL, 8, 0, &err) ==
              0); /* warm runs are sandboxed too */
        snprintf(profile, sizeof(profile), "%s/profile", tmpdir);
        CHECK(profile_fill(&ts, profile, &err) == 0);
        CHECK(tshark_pool_start(&ts, 2, &err) == 0 && ts.pool != NULL);
        {
            /* it returned once they had loaded: asleep on stdin, no CPU used */
            pid_t pids[2];
            int i, n = warm_pool_idle_pids(ts.pool, pids, 2);

            CHECK(n == 2);
            for (i = 0; i < n; i++) {
                char path[64], line[512];
                const char *p;
                FILE *f;

                snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pids[i]);
                if ((f = fopen(path, "r")) == NULL)
                    continue;
                if (fgets(line, sizeof(line), f) != NULL &&
                    (p = strrchr(line, ')')) != NULL)
                    CHECK(p[2] == 'S');
                fclose(f);
            }
        }
        CHECK(tshark_pool_start(&ts, 2, &err) == -1); /* once */
        test_identical(&ts, capdir);
        test_warm_paths(&ts, capdir);
        test_growing(&ts, capdir);
        tshark_pool_stop(&ts);
        test_limit(&ts, capdir);
        test_fake(&ts, capdir);
        tshark_release(&ts);
    }
    rm_tmpdir();

    CHECK(count_fds() == fds);
    errno = 0;
    CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
    return CHECK_DONE();
}
