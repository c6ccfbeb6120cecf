/*
 * test_child.c - child.c: status, pipes, tail, deadline, group kill, rlimits, fds,
 * and the stdin pump (child_feed_from)
 */
#define _XOPEN_SOURCE 700 /* nftw in testutil.h */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "check.h"
#include "testutil.h"
#include "base/clock.h"
#include "proc/child.h"
#include "banned.h"

#define OUT_MAX (4 * 1024 * 1024)

/*
 * Run spec (argv given) to the end: stdout into out, status returned, or -1
 * with err when starting or reading failed (the child is reaped either way).
 */
static int run_spec(struct child_spec *spec, struct child *ch, struct buf *out,
                    struct err *err) {
    char chunk[READ_CHUNK_BYTES];
    ssize_t n;
    int rc;

    if (child_start(ch, spec, err) == -1)
        return -1;
    while ((n = child_read(ch, chunk, sizeof(chunk), err)) > 0)
        if (out != NULL && buf_append(out, chunk, (size_t)n) == -1) {
            child_finish(ch);
            return -1;
        }
    rc = child_finish(ch);
    return n == -1 ? -1 : rc;
}

static int run_argv(const char *const *argv, struct child *ch, struct buf *out,
                    struct err *err) {
    struct child_spec spec = CHILD_SPEC_INIT;

    spec.argv = argv;
    spec.deadline_ms = mono_now_ms() + 20000;
    return run_spec(&spec, ch, out, err);
}

/* status of sh -c SCRIPT, stdout into out (may be NULL) */
static int sh(const char *script, struct child *ch, struct buf *out) {
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    struct err err = ERR_INIT;

    return run_argv(argv, ch, out, &err);
}

/* 1 when pid is gone or a zombie (its reaper may be slow) */
/*
 * Generous bound for "it ended rather than hung": no timing claims, since
 * the machines running tests are shared and noisy.
 */
#define SLOW_MS 15000

static int pid_dead_now(long pid);

/* A killed orphan may take a moment to be reaped by init: poll up to 5 s. */
static int pid_dead(long pid) {
    int i;

    for (i = 0; i < 100; i++) {
        if (pid_dead_now(pid))
            return 1;
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    return 0;
}

static int pid_dead_now(long pid) {
    char path[64], buf[512];
    FILE *f;
    char *p;
    int dead = 1;

    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    if ((f = fopen(path, "r")) == NULL)
        return 1;
    if (fgets(buf, sizeof(buf), f) != NULL && (p = strrchr(buf, ')')) != NULL)
        dead = p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
    fclose(f);
    return dead;
}

static void test_status(void) {
    struct child ch = CHILD_INIT;
    struct buf out = BUF_INIT(OUT_MAX);

    CHECK(child_finish(&ch) == -1); /* CHILD_INIT */
    CHECK(child_finish(&ch) == -1);
    CHECK(sh("exit 0", &ch, NULL) == 0);
    CHECK(sh("exit 3", &ch, NULL) == 3);
    CHECK(ch.status == 3);
    CHECK(child_finish(&ch) == 3); /* twice: same answer, nothing else happens */
    CHECK(ch.pid == -1 && ch.out_fd == -1 && ch.err_fd == -1);
    CHECK(sh("exit 255", &ch, NULL) == 255);
    CHECK(sh("kill -TERM $$", &ch, NULL) == 128 + SIGTERM);
    CHECK(sh("kill -KILL $$", &ch, NULL) == 128 + SIGKILL);
    CHECK(sh("ulimit -c 0; kill -SEGV $$", &ch, NULL) == 128 + SIGSEGV);
    CHECK(!ch.timed_out && !ch.cancelled);

    /* PATH search for a bare name */
    {
        const char *argv[] = {"sh", "-c", "printf 'hello world'; exit 5", NULL};
        struct err err = ERR_INIT;
        CHECK(run_argv(argv, &ch, &out, &err) == 5);
        CHECK(out.len == 11 && memcmp(out.data, "hello world", 11) == 0);
        buf_reset(&out);
    }
    /* a lot of stdout over many reads */
    CHECK(sh("head -c 3000000 /dev/zero", &ch, &out) == 0);
    CHECK(out.len == 3000000);
    buf_reset(&out);
    /* finish without reading: our end closes, the writer dies of SIGPIPE */
    {
        const char *argv[] = {"/bin/sh", "-c", "exit 4", NULL};
        const char *argv2[] = {"head", "-c", "100000000", "/dev/zero", NULL};
        struct child_spec spec = CHILD_SPEC_INIT;
        struct err err = ERR_INIT;

        spec.argv = argv;
        CHECK(child_start(&ch, &spec, &err) == 0);
        CHECK(child_finish(&ch) == 4);
        spec.argv = argv2;
        CHECK(child_start(&ch, &spec, &err) == 0);
        CHECK(child_finish(&ch) == 128 + SIGPIPE);
    }
    buf_release(&out);
}

static void test_env_stdin(void) {
    struct child ch = CHILD_INIT;
    struct child_spec spec = CHILD_SPEC_INIT;
    struct buf out = BUF_INIT(OUT_MAX);
    struct err err = ERR_INIT;
    const char *env[] = {"ONLY_THIS=1", NULL};
    const char *argv_env[] = {"/usr/bin/env", NULL};
    const char *argv_cat[] = {"cat", NULL};
    int in;

    spec.argv = argv_env;
    spec.envp = env;
    CHECK(run_spec(&spec, &ch, &out, &err) == 0);
    CHECK(out.len == 12 && memcmp(out.data, "ONLY_THIS=1\n", 12) == 0);
    buf_reset(&out);

    /* stdin is /dev/null unless given */
    spec = (struct child_spec)CHILD_SPEC_INIT;
    spec.argv = argv_cat;
    spec.deadline_ms = mono_now_ms() + 5000;
    CHECK(run_spec(&spec, &ch, &out, &err) == 0);
    CHECK(out.len == 0);
    in = child_stdin_pipe("some input\n", 11, &err);
    CHECK(in > 2);
    spec.stdin_fd = in;
    CHECK(run_spec(&spec, &ch, &out, &err) == 0);
    CHECK(out.len == 11 && memcmp(out.data, "some input\n", 11) == 0);
    close(in);
    buf_release(&out);
}

static void test_missing(void) {
    struct child ch = CHILD_INIT;
    struct child_spec spec = CHILD_SPEC_INIT;
    struct err err = ERR_INIT;
    const char *a1[] = {"/nonexistent/prog", NULL};
    const char *a2[] = {"no-such-program-pcapchart", NULL};
    const char *a3[] = {"/etc/passwd", NULL}; /* not executable */
    const char *a4[] = {"/tmp", NULL};        /* a directory */
    const char *a5[] = {NULL};
    int fds = count_fds();

    spec.argv = a1;
    CHECK(child_start(&ch, &spec, &err) == -1);
    CHECK(err.status == 500 && strstr(err.msg, "No such file") != NULL);
    CHECK(ch.pid == -1 && ch.out_fd == -1 && ch.err_fd == -1);
    CHECK(child_finish(&ch) == -1);
    spec.argv = a2;
    err.status = 0;
    CHECK(child_start(&ch, &spec, &err) == -1 && err.status == 500);
    spec.argv = a3;
    err.status = 0;
    CHECK(child_start(&ch, &spec, &err) == -1 && err.status == 500);
    CHECK(strstr(err.msg, "Permission denied") != NULL);
    spec.argv = a4;
    err.status = 0;
    CHECK(child_start(&ch, &spec, &err) == -1 && err.status == 500);
    spec.argv = a5;
    CHECK(child_start(&ch, &spec, NULL) == -1); /* err may be NULL */
    CHECK(count_fds() == fds);
}

static void test_tail(void) {
    struct child ch = CHILD_INIT;
    size_t i;
    int all_a = 1;

    CHECK(sh("echo oops >&2; echo out", &ch, NULL) == 0);
    CHECK(strcmp(ch.tail, "oops\n") == 0 && ch.tail_len == 5);
    /* 100 KB of stderr, keep the last MAX_STDERR_TAIL_BYTES */
    CHECK(sh("head -c 100000 /dev/zero | tr '\\0' a >&2; printf END >&2; exit 2", &ch,
             NULL) == 2);
    CHECK(ch.tail_len == MAX_STDERR_TAIL_BYTES);
    CHECK(ch.tail[MAX_STDERR_TAIL_BYTES] == '\0');
    CHECK(strlen(ch.tail) == MAX_STDERR_TAIL_BYTES);
    CHECK(memcmp(ch.tail + MAX_STDERR_TAIL_BYTES - 3, "END", 3) == 0);
    for (i = 0; i < MAX_STDERR_TAIL_BYTES - 3; i++)
        if (ch.tail[i] != 'a')
            all_a = 0;
    CHECK(all_a);
    /* stderr flood while nobody reads stdout: finish drains, no deadlock */
    {
        const char *argv[] = {"/bin/sh", "-c", "head -c 1000000 /dev/zero >&2; exit 3",
                              NULL};
        struct child_spec spec = CHILD_SPEC_INIT;
        struct err err = ERR_INIT;

        spec.argv = argv;
        spec.deadline_ms = mono_now_ms() + 10000;
        CHECK(child_start(&ch, &spec, &err) == 0);
        CHECK(child_finish(&ch) == 3);
        CHECK(ch.tail_len == MAX_STDERR_TAIL_BYTES && !ch.timed_out);
    }
}

/* read ch until -1; returns the err status, pid of the first line in *first */
static int read_until_fail(struct child *ch, long *first, struct err *err) {
    char buf[256];
    ssize_t n;
    int got = 0;

    while ((n = child_read(ch, buf, sizeof(buf) - 1, err)) > 0) {
        buf[n] = '\0';
        if (!got && first != NULL) {
            *first = strtol(buf, NULL, 10);
            got = 1;
        }
    }
    return n == 0 ? 0 : err->status;
}

static void test_timeout(void) {
    struct child ch = CHILD_INIT;
    struct child_spec spec = CHILD_SPEC_INIT;
    struct err err = ERR_INIT;
    const char *a1[] = {"/bin/sh", "-c", "sleep 100 & echo $!; sleep 100", NULL};
    const char *a2[] = {"/bin/sh", "-c", "trap '' TERM; sleep 100 & echo $!; sleep 100",
                        NULL};
    const char *a3[] = {"sleep", "100", NULL};
    long gpid = 0;
    int64_t t0, dt;

    /* the group (shell and its background grandchild) dies at the deadline */
    spec.argv = a1;
    t0 = mono_now_ms();
    spec.deadline_ms = t0 + 300;
    CHECK(child_start(&ch, &spec, &err) == 0);
    CHECK(read_until_fail(&ch, &gpid, &err) == 504);
    CHECK(ch.timed_out && !ch.cancelled);
    CHECK(gpid > 0);
    CHECK(child_finish(&ch) == 128 + SIGTERM);
    dt = mono_now_ms() - t0;
    CHECK(dt >= 300); /* the status above tells SIGTERM from SIGKILL */
    CHECK(gpid > 0 && pid_dead(gpid));

    /* SIGTERM ignored by all: SIGKILL after the grace period */
    spec.argv = a2;
    t0 = mono_now_ms();
    spec.deadline_ms = t0 + 300;
    gpid = 0;
    CHECK(child_start(&ch, &spec, &err) == 0);
    CHECK(read_until_fail(&ch, &gpid, &err) == 504);
    CHECK(child_finish(&ch) == 128 + SIGKILL);
    dt = mono_now_ms() - t0;
    CHECK(dt >= 300 + KILL_GRACE_MS);
    CHECK(gpid > 0 && pid_dead(gpid));

    /* a deadline already past */
    spec.argv = a3;
    spec.deadline_ms = mono_now_ms() - 1;
    CHECK(child_start(&ch, &spec, &err) == 0);
    CHECK(read_until_fail(&ch, NULL, &err) == 504);
    CHECK(child_finish(&ch) == 128 + SIGTERM);

    /* the deadline also bounds child_finish without any read */
    spec.deadline_ms = mono_now_ms() + 200;
    t0 = mono_now_ms();
    CHECK(child_start(&ch, &spec, &err) == 0);
    CHECK(child_finish(&ch) == 128 + SIGTERM);
    CHECK(ch.timed_out);
    CHECK(mono_now_ms() - t0 < SLOW_MS); /* bounded, not hanging */

    /* child_kill: stop early */
    {
        const char *ay[] = {"yes", NULL};
        char buf[100];

        spec.argv = ay;
        spec.deadline_ms = mono_now_ms() + 10000;
        t0 = mono_now_ms();
        CHECK(child_start(&ch, &spec, &err) == 0);
        CHECK(child_read(&ch, buf, sizeof(buf), &err) > 0);
        child_kill(&ch);
        CHECK(ch.out_fd == -1);
        CHECK(child_read(&ch, buf, sizeof(buf), &err) == 0);
        {
            int st = child_finish(&ch);
            CHECK(st == 128 + SIGPIPE || st == 128 + SIGTERM);
        }
        CHECK(mono_now_ms() - t0 < SLOW_MS);
    }
}

static void test_cancel(void) {
    struct child ch = CHILD_INIT;
    struct child_spec spec = CHILD_SPEC_INIT;
    struct buf out = BUF_INIT(OUT_MAX);
    struct err err = ERR_INIT;
    const char *a1[] = {"sleep", "100", NULL};
    const char *a2[] = {"/bin/sh", "-c", "sleep 0.2; echo hi", NULL};
    int sv[2];
    int64_t t0;

    /* a live peer that even sends bytes does not cancel */
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    CHECK(write(sv[1], "x", 1) == 1);
    spec.argv = a2;
    spec.cancel_fd = sv[0];
    spec.deadline_ms = mono_now_ms() + 5000;
    CHECK(run_spec(&spec, &ch, &out, &err) == 0);
    CHECK(out.len == 3 && memcmp(out.data, "hi\n", 3) == 0 && !ch.cancelled);

    /* the peer goes away: the child is killed at once */
    close(sv[1]);
    spec.argv = a1;
    t0 = mono_now_ms();
    CHECK(child_start(&ch, &spec, &err) == 0);
    CHECK(read_until_fail(&ch, NULL, &err) == 499);
    CHECK(ch.cancelled && !ch.timed_out);
    CHECK(child_finish(&ch) == 128 + SIGTERM);
    CHECK(mono_now_ms() - t0 < SLOW_MS);
    close(sv[0]);
    buf_release(&out);
}

/* the value of field name in /proc/self/limits lines, as cat printed them */
static int limit_line(const char *text, const char *name, char *soft, size_t n) {
    const char *p = strstr(text, name);

    if (p == NULL)
        return -1;
    p += strlen(name);
    while (*p == ' ')
        p++;
    return sscanf(p, "%63s", soft) == 1 && n > 0 ? 0 : -1;
}

static void test_rlimits(void) {
    struct child ch = CHILD_INIT;
    struct child_spec spec = CHILD_SPEC_INIT;
    struct buf out = BUF_INIT(OUT_MAX);
    struct err err = ERR_INIT;
    const char *a1[] = {"/bin/sh", "-c", "ulimit -v", NULL};
    const char *a2[] = {"cat", "/proc/self/limits", NULL};
    char v[64];

    spec.argv = a1;
    spec.rlimit_as_bytes = 512ULL * 1024 * 1024;
    spec.rlimit_cpu_s = 7;
    spec.rlimit_fsize_bytes = 1024 * 1024;
    spec.rlimit_nofile = 64;
    CHECK(run_spec(&spec, &ch, &out, &err) == 0);
    CHECK(out.len == 7 && memcmp(out.data, "524288\n", 7) == 0); /* KiB */
    buf_reset(&out);
    spec.argv = a2;
    CHECK(run_spec(&spec, &ch, &out, &err) == 0);
    CHECK(out.data != NULL);
    if (out.data != NULL) {
        CHECK(limit_line(out.data, "Max address space", v, sizeof(v)) == 0 &&
              strcmp(v, "536870912") == 0);
        CHECK(limit_line(out.data, "Max cpu time", v, sizeof(v)) == 0 &&
              strcmp(v, "7") == 0);
        CHECK(limit_line(out.data, "Max file size", v, sizeof(v)) == 0 &&
              strcmp(v, "1048576") == 0);
        CHECK(limit_line(out.data, "Max open files", v, sizeof(v)) == 0 &&
              strcmp(v, "64") == 0);
    }
    buf_reset(&out);
    /* the limit holds from the first instruction: a big allocation fails */
    {
        const char *a3[] = {"head", "-c", "1", "/dev/zero", NULL};
        spec.argv = a3;
        spec.rlimit_as_bytes = 1024 * 1024; /* 1 MiB: not even the loader fits */
        CHECK(run_spec(&spec, &ch, &out, &err) != 0);
    }
    buf_release(&out);
}

/* fields of /proc/self/status and /proc/self/stat as the child sees them */
static void test_signals_group(void) {
    struct child ch = CHILD_INIT;
    struct buf out = BUF_INIT(OUT_MAX);
    struct err err = ERR_INIT;
    const char *a1[] = {"cat", "/proc/self/status", NULL};
    const char *a2[] = {"cat", "/proc/self/stat", NULL};
    sigset_t set, old;
    struct sigaction ign, oldpipe;
    const char *p;
    long pid = 0, ppid = 0, pgrp = 0;
    unsigned long long mask;

    /* what a server has: SIGPIPE ignored, some signals blocked */
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &oldpipe);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, &old);

    CHECK(run_argv(a1, &ch, &out, &err) == 0);
    CHECK(out.data != NULL && (p = strstr(out.data, "SigBlk:")) != NULL &&
          sscanf(p + 7, "%llx", &mask) == 1 && mask == 0);
    CHECK(out.data != NULL && (p = strstr(out.data, "SigIgn:")) != NULL &&
          sscanf(p + 7, "%llx", &mask) == 1 && (mask & (1ULL << (SIGPIPE - 1))) == 0);
    buf_reset(&out);
    {
        struct child_spec spec = CHILD_SPEC_INIT;
        spec.argv = a2;
        CHECK(child_start(&ch, &spec, &err) == 0);
        pid = ch.pid;
        {
            char buf[1024];
            ssize_t n;
            while ((n = child_read(&ch, buf, sizeof(buf), &err)) > 0)
                buf_append(&out, buf, (size_t)n);
        }
        CHECK(child_finish(&ch) == 0);
    }
    CHECK(out.data != NULL && (p = strrchr(out.data, ')')) != NULL &&
          sscanf(p + 2, "%*c %ld %ld", &ppid, &pgrp) == 2);
    CHECK(pgrp == pid && ppid == (long)getpid()); /* its own group */

    pthread_sigmask(SIG_SETMASK, &old, NULL);
    sigaction(SIGPIPE, &oldpipe, NULL);
    buf_release(&out);
}

/* A child started while another runs sees none of the other's pipes. */
static void test_cloexec(void) {
    struct child a = CHILD_INIT, b = CHILD_INIT;
    struct child_spec sa = CHILD_SPEC_INIT;
    struct buf out = BUF_INIT(OUT_MAX);
    struct err err = ERR_INIT;
    const char *aa[] = {"sleep", "100", NULL};
    const char *ab[] = {"ls", "/proc/self/fd", NULL};
    int64_t t0;

    sa.argv = aa;
    CHECK(child_start(&a, &sa, &err) == 0);
    CHECK((fcntl(a.out_fd, F_GETFD) & FD_CLOEXEC) &&
          (fcntl(a.err_fd, F_GETFD) & FD_CLOEXEC));
    {
        int in = child_stdin_pipe("x", 1, &err);
        CHECK(in != -1 && (fcntl(in, F_GETFD) & FD_CLOEXEC));
        close(in);
    }
    CHECK(run_argv(ab, &b, &out, &err) == 0);
    /* 0 1 2, and the directory ls itself has open */
    CHECK(out.len == 8 && memcmp(out.data, "0\n1\n2\n3\n", 8) == 0);
    t0 = mono_now_ms();
    child_kill(&a);
    CHECK(child_finish(&a) == 128 + SIGTERM);
    CHECK(mono_now_ms() - t0 < SLOW_MS);
    buf_release(&out);
}

/* A temp file of n bytes (a pattern that shows misplaced chunks); its fd. */
static int pattern_file(size_t n) {
    char tmpl[] = "/tmp/test_child.XXXXXX";
    char block[8192];
    size_t done = 0;
    int fd = mkstemp(tmpl);

    if (fd == -1)
        return -1;
    unlink(tmpl);
    while (done < n) {
        size_t i, k = n - done < sizeof(block) ? n - done : sizeof(block);
        for (i = 0; i < k; i++)
            block[i] = (char)((done + i) * 7 + (done + i) / 251);
        if (write(fd, block, k) != (ssize_t)k) {
            close(fd);
            return -1;
        }
        done += k;
    }
    lseek(fd, 3, SEEK_SET); /* the feed must not care where the offset is */
    return fd;
}

/* 1 when data equals what pattern_file wrote, from byte 0 */
static int is_pattern(const char *data, size_t n) {
    size_t i;

    for (i = 0; i < n; i++)
        if (data[i] != (char)(i * 7 + i / 251))
            return 0;
    return 1;
}

/* Start argv with a stdin pipe fed from fd; the spec's deadline and cancel fd. */
static int start_fed(struct child *ch, const char *const *argv, int fd, int64_t deadline,
                     int cancel_fd, struct err *err) {
    struct child_spec spec = CHILD_SPEC_INIT;

    spec.argv = argv;
    spec.stdin_fd = CHILD_STDIN_PIPE;
    spec.deadline_ms = deadline;
    spec.cancel_fd = cancel_fd;
    if (child_start(ch, &spec, err) == -1)
        return -1;
    return child_feed_from(ch, fd, err);
}

/* Read all stdout into out; the count, or -1 with err. */
static int read_all(struct child *ch, struct buf *out, struct err *err) {
    char chunk[READ_CHUNK_BYTES];
    ssize_t n;

    while ((n = child_read(ch, chunk, sizeof(chunk), err)) > 0)
        if (buf_append(out, chunk, (size_t)n) == -1)
            return -1;
    return n == 0 ? 0 : -1;
}

/* the stdin pump: copying a file into the child while reading its output */
static void test_feed(void) {
    struct child ch = CHILD_INIT;
    struct buf out = BUF_INIT(OUT_MAX);
    struct err err = ERR_INIT;
    const char *cat[] = {"cat", NULL};
    const size_t big = 3 * 1024 * 1024 + 4321; /* far more than a pipe holds */
    int fd = pattern_file(big), empty = pattern_file(0);
    int64_t t0;

    CHECK(fd != -1 && empty != -1);

    /* everything through cat, in order: feeding and reading interleave */
    CHECK(start_fed(&ch, cat, fd, mono_now_ms() + 20000, -1, &err) == 0);
    CHECK(ch.in_fd > 2 && (fcntl(ch.in_fd, F_GETFD) & FD_CLOEXEC) &&
          (fcntl(ch.in_fd, F_GETFL) & O_NONBLOCK));
    CHECK(read_all(&ch, &out, &err) == 0);
    CHECK(child_finish(&ch) == 0);
    CHECK(out.len == big && is_pattern(out.data, out.len));
    CHECK(ch.feed_off == (int64_t)big && !ch.feed_cut && ch.in_fd == -1);
    CHECK(lseek(fd, 0, SEEK_CUR) == 3); /* pread: the offset is left alone */
    buf_reset(&out);

    /* an empty file: EOF at once */
    CHECK(start_fed(&ch, cat, empty, mono_now_ms() + 20000, -1, &err) == 0);
    CHECK(read_all(&ch, &out, &err) == 0 && out.len == 0);
    CHECK(child_finish(&ch) == 0);

    /* the child stops reading early: EPIPE ends the feed, no SIGPIPE for us */
    {
        const char *head[] = {"head", "-c", "1000", NULL};
        const char *quit[] = {"/bin/sh", "-c", "exit 3", NULL};
        struct sigaction dfl, old;

        /* SIGPIPE at default, as in a CLI: the write must still not kill us */
        memset(&dfl, 0, sizeof(dfl));
        dfl.sa_handler = SIG_DFL;
        sigaction(SIGPIPE, &dfl, &old);
        CHECK(start_fed(&ch, head, fd, mono_now_ms() + 20000, -1, &err) == 0);
        CHECK(read_all(&ch, &out, &err) == 0);
        CHECK(child_finish(&ch) == 0);
        CHECK(out.len == 1000 && is_pattern(out.data, out.len));
        CHECK(ch.feed_cut && ch.feed_off < (int64_t)big);
        buf_reset(&out);
        CHECK(start_fed(&ch, quit, fd, mono_now_ms() + 20000, -1, &err) == 0);
        CHECK(read_all(&ch, &out, &err) == 0 && out.len == 0);
        CHECK(child_finish(&ch) == 3);
        sigaction(SIGPIPE, &old, NULL);
        {
            sigset_t pend;
            sigpending(&pend);
            CHECK(!sigismember(&pend, SIGPIPE));
        }
    }

    /* a child that never reads: the deadline still fires while stdin is full */
    {
        const char *sleeper[] = {"sleep", "100", NULL};
        t0 = mono_now_ms();
        CHECK(start_fed(&ch, sleeper, fd, t0 + 300, -1, &err) == 0);
        CHECK(read_all(&ch, &out, &err) == -1 && err.status == 504);
        CHECK(ch.timed_out && ch.feed_off > 0 && ch.feed_off < (int64_t)big);
        CHECK(child_finish(&ch) == 128 + SIGTERM);
        CHECK(mono_now_ms() - t0 >= 300 && mono_now_ms() - t0 < SLOW_MS);
    }

    /* the client goes away while we feed: killed at once */
    {
        const char *sleeper[] = {"sleep", "100", NULL};
        int sv[2];

        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
        close(sv[1]);
        t0 = mono_now_ms();
        CHECK(start_fed(&ch, sleeper, fd, t0 + 20000, sv[0], &err) == 0);
        err.status = 0;
        CHECK(read_all(&ch, &out, &err) == -1 && err.status == 499);
        CHECK(ch.cancelled && !ch.timed_out);
        CHECK(child_finish(&ch) == 128 + SIGTERM);
        CHECK(mono_now_ms() - t0 < SLOW_MS);
        close(sv[0]);
    }

    /* finish without feeding: stdin closes, cat ends, nothing hangs */
    {
        struct child_spec spec = CHILD_SPEC_INIT;
        spec.argv = cat;
        spec.stdin_fd = CHILD_STDIN_PIPE;
        t0 = mono_now_ms();
        CHECK(child_start(&ch, &spec, &err) == 0);
        CHECK(child_finish(&ch) == 0);
        CHECK(ch.in_fd == -1 && mono_now_ms() - t0 < SLOW_MS);
    }

    /* misuse: no stdin pipe, a second feed, a source pread cannot read */
    {
        struct child_spec spec = CHILD_SPEC_INIT;
        int p[2];

        spec.argv = cat;
        CHECK(child_start(&ch, &spec, &err) == 0);
        err.status = 0;
        CHECK(child_feed_from(&ch, fd, &err) == -1 && err.status == 500);
        CHECK(child_finish(&ch) == 0);
        CHECK(child_feed_from(&ch, fd, NULL) == -1); /* finished: no child */

        CHECK(start_fed(&ch, cat, fd, mono_now_ms() + 20000, -1, &err) == 0);
        CHECK(child_feed_from(&ch, empty, NULL) == -1);
        child_kill(&ch);
        child_finish(&ch);

        CHECK(pipe(p) == 0);
        CHECK(start_fed(&ch, cat, p[0], mono_now_ms() + 20000, -1, &err) == 0);
        err.status = 0;
        CHECK(read_all(&ch, &out, &err) == -1 && err.status == 500);
        CHECK(strstr(err.msg, "input") != NULL);
        CHECK(child_finish(&ch) == 0); /* its stdin was closed: cat ends */
        close(p[0]);
        close(p[1]);
    }

    /* another child started meanwhile does not hold our stdin pipe open */
    {
        struct child other = CHILD_INIT;
        struct child_spec spec = CHILD_SPEC_INIT;
        const char *ls[] = {"ls", "/proc/self/fd", NULL};

        spec.argv = cat;
        spec.stdin_fd = CHILD_STDIN_PIPE;
        CHECK(child_start(&ch, &spec, &err) == 0);
        buf_reset(&out);
        CHECK(run_argv(ls, &other, &out, &err) == 0);
        CHECK(out.len == 8 && memcmp(out.data, "0\n1\n2\n3\n", 8) == 0);
        t0 = mono_now_ms();
        CHECK(child_finish(&ch) == 0); /* EOF reached cat: no other writer */
        CHECK(mono_now_ms() - t0 < SLOW_MS);
    }
    close(fd);
    close(empty);
    buf_release(&out);
}

/* Threads: quick children must see EOF at once while others are started. */
static volatile int slow_runs;

static void *slow_thread(void *arg) {
    const char *argv[] = {"sleep", "0.6", NULL};
    struct child ch = CHILD_INIT;
    struct err err = ERR_INIT;
    int i;

    (void)arg;
    for (i = 0; i < 3; i++)
        if (run_argv(argv, &ch, NULL, &err) == 0)
            __atomic_add_fetch(&slow_runs, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void *quick_thread(void *arg) {
    const char *argv[] = {"/bin/sh", "-c", "echo quick", NULL};
    int *bad = arg;
    int i;

    for (i = 0; i < 40; i++) {
        struct child ch = CHILD_INIT;
        struct buf out = BUF_INIT(64);
        struct err err = ERR_INIT;
        int64_t t0 = mono_now_ms();

        if (run_argv(argv, &ch, &out, &err) != 0 || out.len != 6 ||
            mono_now_ms() - t0 > 400)
            (*bad)++;
        buf_release(&out);
    }
    return NULL;
}

static void test_threads(void) {
    pthread_t t[4];
    int bad[2] = {0, 0};

    CHECK(pthread_create(&t[0], NULL, slow_thread, NULL) == 0);
    CHECK(pthread_create(&t[1], NULL, slow_thread, NULL) == 0);
    CHECK(pthread_create(&t[2], NULL, quick_thread, &bad[0]) == 0);
    CHECK(pthread_create(&t[3], NULL, quick_thread, &bad[1]) == 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    CHECK(bad[0] == 0 && bad[1] == 0);
    CHECK(slow_runs == 6);
}

/* another user (when we are root), no_new_privs, and one kept descriptor */
static void test_user_keep(void) {
    struct child ch = CHILD_INIT;
    struct child_spec spec = CHILD_SPEC_INIT;
    struct buf out = BUF_INIT(4096);
    struct err err = ERR_INIT;
    const char *argv[] = {"/bin/sh", "-c", NULL, NULL};
    char script[256];
    int keep = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    CHECK(keep > 2);
    /* ids, the NoNewPrivs flag, and whether the kept fd (only it) is open */
    snprintf(
        script, sizeof(script),
        "echo $(id -u) $(id -g) $(id -G) $(grep NoNewPrivs /proc/self/status | cut -f2)"
        " $(test -e /proc/self/fd/%d && echo kept) $(ls /proc/self/fd | wc -l)",
        keep);
    argv[2] = script;
    spec.argv = argv;
    spec.deadline_ms = mono_now_ms() + 20000;
    spec.keep_fd = keep;
    if (geteuid() == 0) {
        spec.uid = 65534;
        spec.gid = 65534;
    }
    CHECK(run_spec(&spec, &ch, &out, &err) == 0);
    CHECK(buf_append(&out, "", 1) == 0);
    if (geteuid() == 0) /* 0-2, keep, and the one ls opens */
        CHECK(strcmp(out.data, "65534 65534 65534 1 kept 5\n") == 0);
    else
        CHECK(strstr(out.data, " 1 kept 5\n") != NULL);
    if (out.data != NULL)
        fprintf(stderr, "  child as: %s", out.data);
    close(keep);
    buf_release(&out);
}

/*
 * A sandbox with a user per run (root only): children alive at once run as
 * different users of its range; with every user taken a start fails (503);
 * a reaped child's user is given to the next.
 */
static void test_user_per_run(void) {
    struct sandbox_opts o = {SANDBOX_USERS_BASE,
                             (gid_t)SANDBOX_USERS_BASE,
                             3,
                             3,
                             SANDBOX_BWRAP | SANDBOX_SECCOMP | SANDBOX_LANDLOCK,
                             NULL,
                             NULL};
    const char *argv[] = {"/bin/sh", "-c", "id -u; id -g; read x || :", NULL};
    struct child ch[4] = {CHILD_INIT, CHILD_INIT, CHILD_INIT, CHILD_INIT};
    unsigned long uid[3] = {0, 0, 0}, gid[3] = {0, 0, 0};
    struct err err = ERR_INIT;
    struct sandbox *sb;
    char got[64];
    int i;

    if (geteuid() != 0) {
        CHECK((sb = sandbox_new(&o, &err)) == NULL && err.status == 500);
        CHECK(strstr(err.msg, "only root") != NULL);
        return;
    }
    CHECK((sb = sandbox_new(&o, &err)) != NULL);
    if (sb == NULL)
        return;
    for (i = 0; i < 3; i++) {
        struct child_spec spec = CHILD_SPEC_INIT;
        ssize_t n;

        spec.argv = argv;
        spec.stdin_fd = CHILD_STDIN_PIPE;
        spec.deadline_ms = mono_now_ms() + 20000;
        spec.sandbox = sb;
        CHECK(child_start(&ch[i], &spec, &err) == 0);
        memset(got, 0, sizeof(got));
        n = 0;
        while (n < (ssize_t)sizeof(got) - 1 && strchr(got, '\n') == strrchr(got, '\n')) {
            ssize_t r = child_read(&ch[i], got + n, sizeof(got) - 1 - (size_t)n, &err);
            if (r <= 0)
                break;
            n += r;
        }
        CHECK(sscanf(got, "%lu %lu", &uid[i], &gid[i]) == 2);
        CHECK(uid[i] >= SANDBOX_USERS_BASE && gid[i] == uid[i]);
        CHECK(ch[i].user_sb == sb && (unsigned long)ch[i].user == uid[i]);
    }
    CHECK(uid[0] != uid[1] && uid[1] != uid[2] && uid[0] != uid[2]);
    {
        struct child_spec spec = CHILD_SPEC_INIT;

        spec.argv = argv;
        spec.sandbox = sb;
        CHECK(child_start(&ch[3], &spec, &err) == -1 && err.status == 503);
        CHECK(strstr(err.msg, "user") != NULL);
        CHECK(child_finish(&ch[1]) == 0);
        spec.stdin_fd = -1; /* read x: EOF at once */
        CHECK(child_start(&ch[3], &spec, &err) == 0);
        CHECK((unsigned long)ch[3].user == uid[1]);
        CHECK(child_finish(&ch[3]) == 0);
    }
    CHECK(child_finish(&ch[0]) == 0);
    CHECK(child_finish(&ch[2]) == 0);
    fprintf(stderr, "  users per run: %lu %lu %lu\n", uid[0], uid[1], uid[2]);
    sandbox_free(sb);
}

int main(void) {
    int fds = count_fds();

    test_status();
    test_user_per_run();
    test_env_stdin();
    test_missing();
    test_tail();
    test_timeout();
    test_cancel();
    test_rlimits();
    test_signals_group();
    test_cloexec();
    test_feed();
    test_threads();
    test_user_keep();

    CHECK(count_fds() == fds);
    errno = 0;
    CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
    return CHECK_DONE();
}
