/* child.c - see child.h */
#define _GNU_SOURCE /* pipe2, POLLRDHUP, NSIG, environ, close_range */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fd.h"
#include "proc/child.h"
#include "banned.h"

/* longest sleep between two checks for the leader's exit */
#define EXIT_POLL_MAX_MS 16

static void sleep_ms(int64_t ms) {
    struct timespec ts;

    if (ms <= 0)
        return;
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000;
    nanosleep(&ts, NULL); /* an early wake-up only means one more check */
}

/* 1 when path is a regular file we may execute, else 0 with errno (EACCES, ENOENT...). */
static int is_exec_file(const char *path) {
    struct stat st;

    if (stat(path, &st) == -1)
        return 0;
    if (!S_ISREG(st.st_mode)) {
        errno = EACCES;
        return 0;
    }
    return access(path, X_OK) == 0;
}

/* out = dir "/" name, made absolute against the working directory. */
static int join_abs(char *out, size_t outsz, const char *dir, size_t dirlen,
                    const char *name) {
    char cwd[MAX_PATH_BYTES];
    int n;

    if (dirlen > 0 && dir[0] == '/') {
        n = snprintf(out, outsz, "%.*s/%s", (int)dirlen, dir, name);
    } else {
        if (getcwd(cwd, sizeof(cwd)) == NULL)
            return -1;
        if (dirlen == 0)
            n = snprintf(out, outsz, "%s/%s", cwd, name);
        else
            n = snprintf(out, outsz, "%s/%.*s/%s", cwd, (int)dirlen, dir, name);
    }
    if (n < 0 || (size_t)n >= outsz) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int child_find_program(const char *prog, char *out, size_t outsz) {
    const char *path, *p, *end;
    int saw_eacces = 0;

    if (*prog == '\0') {
        errno = ENOENT;
        return -1;
    }
    if (strchr(prog, '/') != NULL) {
        if (prog[0] == '/') {
            int n = snprintf(out, outsz, "%s", prog);
            if (n < 0 || (size_t)n >= outsz) {
                errno = ENAMETOOLONG;
                return -1;
            }
        } else if (join_abs(out, outsz, "", 0, prog) == -1) {
            return -1;
        }
        return is_exec_file(out) ? 0 : -1;
    }
    if ((path = getenv("PATH")) == NULL || *path == '\0')
        path = CHILD_DEFAULT_PATH;
    for (p = path;; p = end + 1) {
        end = strchr(p, ':');
        if (end == NULL)
            end = p + strlen(p);
        if (join_abs(out, outsz, p, (size_t)(end - p), prog) == 0) {
            if (is_exec_file(out))
                return 0;
            if (errno == EACCES)
                saw_eacces = 1;
        }
        if (*end == '\0')
            break;
    }
    errno = saw_eacces ? EACCES : ENOENT;
    return -1;
}

static int make_pipe(int fds[2]) {
    if (pipe2(fds, O_CLOEXEC) == -1)
        return -1;
    if (fd_above_stdio(&fds[0]) == -1 || fd_above_stdio(&fds[1]) == -1) {
        fd_close(&fds[0]);
        fd_close(&fds[1]);
        return -1;
    }
    return 0;
}

int child_pipe(int fds[2]) {
    return make_pipe(fds);
}

static void limit_for(struct rlimit *rl, int resource, uint64_t want, int soft_margin) {
    struct rlimit cur;
    rlim_t v = (rlim_t)want;

    if (want >= (uint64_t)RLIM_INFINITY)
        v = RLIM_INFINITY - 1;
    if (getrlimit(resource, &cur) == -1) {
        cur.rlim_cur = RLIM_INFINITY;
        cur.rlim_max = RLIM_INFINITY;
    }
    /* we may only lower a hard limit; never ask for more than we have */
    rl->rlim_cur = v < cur.rlim_max ? v : cur.rlim_max;
    rl->rlim_max = rl->rlim_cur;
    if (soft_margin && rl->rlim_cur < cur.rlim_max)
        rl->rlim_max = rl->rlim_cur + 1; /* RLIMIT_CPU: SIGXCPU at soft, SIGKILL 1 s on */
}

int child_stdin_pipe(const void *data, size_t n, struct err *err) {
    int p[2] = {-1, -1};
    const char *d = data;

    if (n > PIPE_BUF)
        return err_set(err, 500, "cannot make stdin pipe: %zu bytes is too much", n);
    if (make_pipe(p) == -1)
        return err_set(err, 500, "cannot make stdin pipe: %s", strerror(errno));
    while (n > 0) { /* at most PIPE_BUF into an empty pipe: never blocks */
        ssize_t w = write(p[1], d, n);
        if (w == -1 && errno == EINTR)
            continue;
        if (w <= 0) {
            err_set(err, 500, "cannot fill stdin pipe: %s", strerror(errno));
            fd_close(&p[0]);
            break;
        }
        d += w;
        n -= (size_t)w;
    }
    fd_close(&p[1]);
    return p[0];
}

struct exec_plan {
    const char *path;
    char *const *argv;
    char *const *envp;
    int in_fd, out_fd, err_fd, status_fd;
    int set_as, set_cpu, set_fsize, set_nofile;
    struct rlimit as, cpu, fsize, nofile;
    uid_t uid; /* (uid_t)-1: keep ours */
    gid_t gid;
    int keep_fd;                     /* -1: none */
    const struct sandbox *sandbox;   /* NULL: none */
    const struct sandbox_argv *wrap; /* the program as the sandbox runs it */
};

/* Report errno to the parent and die; async-signal-safe. */
static _Noreturn void child_fail(int fd) {
    int e = errno;
    ssize_t w;

    do {
        w = write(fd, &e, sizeof(e));
    } while (w == -1 && errno == EINTR);
    _exit(127);
}

static int child_dup(int from, int to) {
    if (from == to) /* dup2 would keep CLOEXEC set */
        return fcntl(to, F_SETFD, 0);
    return dup2(from, to) == -1 ? -1 : 0;
}

/*
 * Runs in the forked child: only async-signal-safe calls (no malloc, no
 * stdio, no locks another thread may have held at fork time).
 */
static _Noreturn void child_exec(const struct exec_plan *pl) {
    struct sigaction sa;
    sigset_t none;
    int sig;

    if (setpgid(0, 0) == -1)
        child_fail(pl->status_fd);
    if (child_dup(pl->in_fd, STDIN_FILENO) == -1 ||
        child_dup(pl->out_fd, STDOUT_FILENO) == -1 ||
        child_dup(pl->err_fd, STDERR_FILENO) == -1)
        child_fail(pl->status_fd);
    /*
     * Our fds are CLOEXEC already; this also covers any a library or our
     * own parent left inheritable. CLOEXEC rather than closed, so the status
     * pipe stays open up to the exec. Older kernels: rely on CLOEXEC alone.
     */
    close_range(STDERR_FILENO + 1, ~0U, CLOSE_RANGE_CLOEXEC);
    if (pl->keep_fd > STDERR_FILENO && fcntl(pl->keep_fd, F_SETFD, 0) == -1)
        child_fail(pl->status_fd);
    if ((pl->set_as && setrlimit(RLIMIT_AS, &pl->as) == -1) ||
        (pl->set_cpu && setrlimit(RLIMIT_CPU, &pl->cpu) == -1) ||
        (pl->set_fsize && setrlimit(RLIMIT_FSIZE, &pl->fsize) == -1))
        child_fail(pl->status_fd);
    /*
     * Raw system calls, not glibc's set*id(): those signal every thread of
     * the process to change with it, and after fork() this thread is alone.
     * Groups first: after the uid change we could no longer drop them.
     */
    if (pl->uid != (uid_t)-1 &&
        (syscall(SYS_setgroups, 0, NULL) == -1 ||
         syscall(SYS_setresgid, pl->gid, pl->gid, pl->gid) == -1 ||
         syscall(SYS_setresuid, pl->uid, pl->uid, pl->uid) == -1))
        child_fail(pl->status_fd);
    /* nothing it runs may gain privileges (setuid bits, file capabilities) */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
        child_fail(pl->status_fd);
    if (sandbox_enter(pl->sandbox, pl->keep_fd, pl->wrap) == -1)
        child_fail(pl->status_fd);
    /*
     * Only now: the server's descriptors (thousands of sockets) are still
     * open until the exec, so an open() here gets a number far above the
     * child's limit (the sandbox reopens its seccomp program).
     */
    if (pl->set_nofile && setrlimit(RLIMIT_NOFILE, &pl->nofile) == -1)
        child_fail(pl->status_fd);
    /*
     * Every disposition back to default: our handlers must not run here once
     * signals are unblocked, and ignored ones (SIGPIPE in the server) would
     * survive exec. Signals glibc reserves fail with EINVAL; that is fine.
     */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    for (sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        sigaction(sig, &sa, NULL);
    }
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) == -1)
        child_fail(pl->status_fd);
    execve(pl->path, pl->argv, pl->envp);
    child_fail(pl->status_fd);
}

/* The descriptors of one start, ours and the child's; -1 when closed. */
struct start_fds {
    int out[2];    /* the child's stdout: we read [0], it writes [1] */
    int err[2];    /* the same for stderr */
    int status[2]; /* exec's errno, [1] CLOEXEC: EOF means the exec happened */
    int in[2];     /* CHILD_STDIN_PIPE only: it reads [0], we write [1] */
    int devnull;   /* stdin_fd -1 only */
};

#define START_FDS_INIT                                                                   \
    { {-1, -1}, {-1, -1}, {-1, -1}, {-1, -1}, -1 }

static void close_start_fds(struct start_fds *f) {
    fd_close(&f->out[0]);
    fd_close(&f->out[1]);
    fd_close(&f->err[0]);
    fd_close(&f->err[1]);
    fd_close(&f->status[0]);
    fd_close(&f->status[1]);
    fd_close(&f->in[0]);
    fd_close(&f->in[1]);
    fd_close(&f->devnull);
}

/* Give back the user the child's sandbox lent it (once it is reaped). */
static void give_user(struct child *ch) {
    if (ch->user_sb != NULL)
        sandbox_user_put(ch->user_sb, ch->user);
    ch->user_sb = NULL;
}

/* ch as child_start finds it: nothing running, nothing open, spec's deadline. */
static void reset_child(struct child *ch, const struct child_spec *spec) {
    ch->pid = -1;
    ch->out_fd = -1;
    ch->err_fd = -1;
    ch->cancel_fd = spec->cancel_fd;
    ch->deadline_ms = spec->deadline_ms;
    ch->timed_out = 0;
    ch->cancelled = 0;
    ch->status = -1;
    ch->tail_len = 0;
    ch->tail[0] = '\0';
    ch->in_fd = -1;
    ch->feed_fd = -1;
    ch->feed_off = 0;
    ch->feed_cut = 0;
    ch->user_sb = NULL;
}

/*
 * The file to exec for spec->argv[0]: as given when it holds a '/', else
 * found in PATH here, where getenv is allowed. 0, or -1 with err (500).
 */
static int program_path(const struct child_spec *spec, char *path, size_t n,
                        struct err *err) {
    const char *prog;

    if (spec->argv == NULL || spec->argv[0] == NULL || spec->argv[0][0] == '\0')
        return err_set(err, 500, "cannot run a child: no program given");
    prog = spec->argv[0];
    if (strchr(prog, '/') != NULL) {
        int k = snprintf(path, n, "%s", prog);
        if (k < 0 || (size_t)k >= n)
            return err_set(err, 500, "cannot run '%s': path too long", prog);
    } else if (child_find_program(prog, path, n) == -1) {
        return err_set(err, 500, "cannot run '%s': %s", prog, strerror(errno));
    }
    return 0;
}

/* The pipes (and /dev/null) the child's stdio needs. 0, or -1 with err (500). */
static int open_start_fds(struct start_fds *f, const struct child_spec *spec,
                          struct err *err) {
    const char *prog = spec->argv[0];

    if (make_pipe(f->out) == -1 || make_pipe(f->err) == -1 || make_pipe(f->status) == -1)
        return err_set(err, 500, "cannot run '%s': pipe: %s", prog, strerror(errno));
    if (spec->stdin_fd == CHILD_STDIN_PIPE && make_pipe(f->in) == -1)
        return err_set(err, 500, "cannot run '%s': pipe: %s", prog, strerror(errno));
    if (spec->stdin_fd == -1) {
        if ((f->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1 ||
            fd_above_stdio(&f->devnull) == -1)
            return err_set(err, 500, "cannot run '%s': /dev/null: %s", prog,
                           strerror(errno));
    }
    return 0;
}

/*
 * Everything the forked child needs, computed before fork (limit_for calls
 * getrlimit; the child may only make async-signal-safe calls).
 */
static void plan_exec(struct exec_plan *pl, const struct child_spec *spec,
                      const struct sandbox_argv *wrap, const struct start_fds *f) {
    memset(pl, 0, sizeof(*pl));
    pl->path = wrap->path;
    pl->wrap = wrap;
    pl->sandbox = spec->sandbox;
    /* execve's prototype predates const; it does not modify them */
    pl->argv = (char *const *)wrap->argv;
    pl->envp = spec->envp != NULL ? (char *const *)spec->envp : environ;
    pl->in_fd = spec->stdin_fd == -1                 ? f->devnull
                : spec->stdin_fd == CHILD_STDIN_PIPE ? f->in[0]
                                                     : spec->stdin_fd;
    pl->out_fd = f->out[1];
    pl->err_fd = f->err[1];
    pl->status_fd = f->status[1];
    if ((pl->set_as = spec->rlimit_as_bytes != 0))
        limit_for(&pl->as, RLIMIT_AS, spec->rlimit_as_bytes, 0);
    if ((pl->set_cpu = spec->rlimit_cpu_s != 0))
        limit_for(&pl->cpu, RLIMIT_CPU, spec->rlimit_cpu_s, 1);
    if ((pl->set_fsize = spec->rlimit_fsize_bytes != 0))
        limit_for(&pl->fsize, RLIMIT_FSIZE, spec->rlimit_fsize_bytes, 0);
    if ((pl->set_nofile = spec->rlimit_nofile != 0))
        limit_for(&pl->nofile, RLIMIT_NOFILE, spec->rlimit_nofile, 0);
    pl->uid = spec->uid;
    pl->gid = spec->gid;
    pl->keep_fd = spec->keep_fd;
}

/* fork, and exec pl in the child. The pid, or -1 with err (500). */
static pid_t fork_exec(const struct exec_plan *pl, const char *prog, struct err *err) {
    sigset_t all, old;
    int blocked = 0;
    pid_t pid;

    /* no handler of ours may run in the child between fork and exec */
    sigfillset(&all);
    if (pthread_sigmask(SIG_SETMASK, &all, &old) == 0)
        blocked = 1;
    pid = fork();
    if (pid == 0)
        child_exec(pl);
    if (blocked)
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (pid == -1)
        return err_set(err, 500, "cannot run '%s': fork: %s", prog, strerror(errno));
    return pid;
}

static void reap(pid_t pid) {
    int status;

    while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
        ;
}

/*
 * The parent's side once pid is forked: close the child's ends, learn
 * whether the exec happened, make our ends non-blocking. 0 with our ends
 * (out[0], err[0], in[1]) left open in f; or -1 with err (500) and pid
 * reaped.
 */
static int parent_side(pid_t pid, struct start_fds *f, const char *prog,
                       struct err *err) {
    int child_errno = 0;
    ssize_t r;

    fd_close(&f->out[1]);
    fd_close(&f->err[1]);
    fd_close(&f->status[1]);
    fd_close(&f->devnull);
    fd_close(&f->in[0]);

    /* EOF: exec succeeded (the pipe was CLOEXEC); an int: its errno */
    do {
        r = read(f->status[0], &child_errno, sizeof(child_errno));
    } while (r == -1 && errno == EINTR);
    fd_close(&f->status[0]);
    if (r != 0) {
        reap(pid);
        return err_set(err, 500, "cannot run '%s': %s", prog,
                       r == (ssize_t)sizeof(child_errno) ? strerror(child_errno)
                                                         : "exec status lost");
    }

    /* O_NONBLOCK on our ends only: each pipe end is its own open file */
    if (fcntl(f->out[0], F_SETFL, O_NONBLOCK) == -1 ||
        fcntl(f->err[0], F_SETFL, O_NONBLOCK) == -1 ||
        (f->in[1] != -1 && fcntl(f->in[1], F_SETFL, O_NONBLOCK) == -1)) {
        /* cannot happen on a pipe we own; behave as if it did not start */
        int e = errno;

        kill(pid, SIGKILL);
        reap(pid);
        return err_set(err, 500, "cannot run '%s': fcntl: %s", prog, strerror(e));
    }
    return 0;
}

int child_start(struct child *ch, const struct child_spec *spec, struct err *err) {
    struct start_fds f = START_FDS_INIT;
    char path[MAX_PATH_BYTES];
    struct sandbox_argv wrap;
    struct exec_plan pl;
    pid_t pid;

    reset_child(ch, spec);
    if (program_path(spec, path, sizeof(path), err) == -1)
        return -1;
    if (open_start_fds(&f, spec, err) == -1)
        goto fail;
    /* the program as its sandbox runs it (bwrap ... -- path), or path itself */
    if (sandbox_argv(spec->sandbox, spec->argv, path, &wrap, err) == -1)
        goto fail;
    plan_exec(&pl, spec, &wrap, &f);
    /* a user of its own, when the sandbox gives one: no other run is that user */
    switch (sandbox_user_take(spec->sandbox, &pl.uid, &pl.gid)) {
    case 1:
        ch->user_sb = spec->sandbox;
        ch->user = pl.uid;
        break;
    case -1:
        err_set(err, 503, "busy: every tshark user is taken, try again in %d s",
                RETRY_AFTER_S);
        goto fail;
    }
    if ((pid = fork_exec(&pl, spec->argv[0], err)) == -1)
        goto fail;
    if (parent_side(pid, &f, spec->argv[0], err) == -1)
        goto fail;
    ch->pid = pid;
    ch->out_fd = f.out[0];
    ch->err_fd = f.err[0];
    ch->in_fd = f.in[1];
    return 0;
fail:
    give_user(ch); /* the child, if forked, is reaped */
    close_start_fds(&f);
    return -1;
}

/*
 * 1 once the leader has exited (left unreaped, so its pid stays ours and
 * killpg() on it cannot hit a stranger), 0 while it runs, -1 when it is no
 * longer our child at all (someone else reaped it: never signal that pid).
 */
static int leader_exited(const struct child *ch) {
    siginfo_t si;

    for (;;) {
        memset(&si, 0, sizeof(si));
        if (waitid(P_PID, (id_t)ch->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0)
            return si.si_pid != 0;
        if (errno != EINTR)
            return -1;
    }
}

/*
 * SIGTERM to the group, up to KILL_GRACE_MS for the leader to go, then
 * SIGKILL to the group. The leader is not reaped yet, so its pid (the group
 * id) cannot have been reused by another child_start meanwhile.
 */
static void kill_group(struct child *ch) {
    int64_t until;
    int64_t step = 1;
    int gone;

    if (ch->pid <= 0 || leader_exited(ch) == -1)
        return;
    killpg(ch->pid, SIGTERM);
    until = mono_now_ms() + KILL_GRACE_MS;
    while ((gone = leader_exited(ch)) == 0 && mono_now_ms() < until) {
        sleep_ms(step);
        if (step < EXIT_POLL_MAX_MS)
            step *= 2;
    }
    if (gone != -1)
        killpg(ch->pid, SIGKILL);
}

/* Read what stderr has into the tail, keeping the last bytes. 0 at EOF. */
static int read_stderr(struct child *ch) {
    char tmp[MAX_STDERR_TAIL_BYTES];
    ssize_t r;

    for (;;) {
        size_t keep;

        r = read(ch->err_fd, tmp, sizeof(tmp));
        if (r == -1 && errno == EINTR)
            continue;
        if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 1;
        if (r <= 0) { /* EOF, or an error that ends the stream as well */
            fd_close(&ch->err_fd);
            return 0;
        }
        if ((size_t)r >= MAX_STDERR_TAIL_BYTES) {
            memcpy(ch->tail, tmp + (size_t)r - MAX_STDERR_TAIL_BYTES,
                   MAX_STDERR_TAIL_BYTES);
            ch->tail_len = MAX_STDERR_TAIL_BYTES;
        } else {
            keep = MAX_STDERR_TAIL_BYTES - (size_t)r;
            if (ch->tail_len > keep) {
                memmove(ch->tail, ch->tail + (ch->tail_len - keep), keep);
                ch->tail_len = keep;
            }
            memcpy(ch->tail + ch->tail_len, tmp, (size_t)r);
            ch->tail_len += (size_t)r;
        }
        ch->tail[ch->tail_len] = '\0';
    }
}

int child_feed_from(struct child *ch, int src_fd, struct err *err) {
    if (ch->pid <= 0 || ch->in_fd == -1)
        return err_set(err, 500, "cannot feed the child: it has no stdin pipe");
    if (ch->feed_fd != -1 || src_fd < 0)
        return err_set(err, 500, "cannot feed the child: %s",
                       src_fd < 0 ? "no input" : "a feed is running");
    ch->feed_fd = src_fd;
    ch->feed_off = 0;
    ch->feed_cut = 0;
    ch->feed_grow = NULL;
    return 0;
}

int child_feed_growing(struct child *ch, int src_fd, struct growfile *g,
                       int64_t timeout_ms, struct err *err) {
    if (child_feed_from(ch, src_fd, err) == -1)
        return -1;
    ch->feed_grow = g;
    ch->grow_timeout_ms = timeout_ms;
    ch->deadline_ms = 0; /* until the file is complete */
    return 0;
}

/*
 * How much of the feed may be read now (all of it without a growfile).
 * With one that is complete and fully copied, the deadline starts.
 */
static uint64_t feed_limit(struct child *ch, enum grow_state *st) {
    uint64_t avail;

    *st = GROW_DONE;
    if (ch->feed_grow == NULL)
        return UINT64_MAX;
    *st = growfile_state(ch->feed_grow, &avail);
    return avail;
}

/* End the feed: the child sees EOF on stdin. */
static void feed_stop(struct child *ch) {
    fd_close(&ch->in_fd);
    ch->feed_fd = -1;
    ch->feed_grow = NULL;
}

/*
 * write() that cannot kill us with SIGPIPE, whatever the process does with
 * that signal: it is blocked in this thread for the call, and one raised by
 * the call (it goes to the calling thread) is taken off before unblocking.
 */
static ssize_t write_nosigpipe(int fd, const void *p, size_t n) {
    struct timespec zero = {0, 0};
    sigset_t pipe_set, old;
    ssize_t w;
    int e, blocked;

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    blocked = pthread_sigmask(SIG_BLOCK, &pipe_set, &old) == 0;
    w = write(fd, p, n);
    e = errno;
    if (w == -1 && e == EPIPE && blocked && !sigismember(&old, SIGPIPE)) {
        while (sigtimedwait(&pipe_set, NULL, &zero) == -1 && errno == EINTR)
            ;
    }
    if (blocked)
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = e;
    return w;
}

/*
 * Copy the feed file into the stdin pipe until the pipe is full, the file
 * ends (stdin closed: EOF for the child) or the child closed its end. What a
 * short write left over is read again next time (pread at feed_off), so no
 * buffer outlives the call. 0, or -1 with err (500).
 */
static int pump(struct child *ch, struct err *err) {
    char buf[FEED_CHUNK_BYTES];

    while (ch->feed_fd != -1 && ch->in_fd != -1) {
        enum grow_state st;
        uint64_t limit = feed_limit(ch, &st);
        size_t want = sizeof(buf);
        ssize_t r, w;

        if (ch->feed_grow != NULL && (uint64_t)ch->feed_off >= limit) {
            if (st == GROW_WRITING)
                return 0; /* wait for the writer (child_read polls its wake_fd) */
            if (st == GROW_FAILED) {
                feed_stop(ch);
                kill_group(ch);
                return err_set(err, 499, "upload ended early");
            }
            /* complete and all copied: EOF (grow_check set the deadline) */
            feed_stop(ch);
            return 0;
        }
        if (ch->feed_grow != NULL && limit - (uint64_t)ch->feed_off < want)
            want = (size_t)(limit - (uint64_t)ch->feed_off);
        r = pread(ch->feed_fd, buf, want, (off_t)ch->feed_off);
        if (r == -1 && errno == EINTR)
            continue;
        if (r == -1) {
            int e = errno;
            feed_stop(ch);
            return err_set(err, 500, "cannot read the child's input: %s", strerror(e));
        }
        if (r == 0 && ch->feed_grow != NULL) {
            feed_stop(ch);
            return err_set(err, 500, "cannot read the child's input: the file shrank");
        }
        if (r == 0) {
            feed_stop(ch);
            return 0;
        }
        w = write_nosigpipe(ch->in_fd, buf, (size_t)r);
        if (w > 0) {
            ch->feed_off += w;
            if (w < r)
                return 0; /* the pipe is full: wait for POLLOUT */
            continue;
        }
        if (w == -1 && errno == EINTR)
            continue;
        if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (w == -1 && errno == EPIPE) {
            ch->feed_cut = 1; /* it stopped reading: its status tells why */
            feed_stop(ch);
            return 0;
        }
        {
            int e = w == -1 ? errno : EIO;
            feed_stop(ch);
            return err_set(err, 500, "cannot write the child's input: %s", strerror(e));
        }
    }
    return 0;
}

/*
 * A growing feed, at every turn of child_read, however far the copy lags
 * behind (a decompression bomb reads its few bytes slowly): once the file is
 * complete the deadline is its end + grow_timeout_ms, so the feeding counts
 * against it; once it is abandoned the child is killed at once (499).
 */
static int grow_check(struct child *ch, struct err *err) {
    enum grow_state st;
    uint64_t avail;

    if (ch->feed_grow == NULL)
        return 0;
    st = growfile_state(ch->feed_grow, &avail);
    if (st == GROW_FAILED) {
        feed_stop(ch);
        kill_group(ch);
        return err_set(err, 499, "upload ended early");
    }
    if (st == GROW_DONE && ch->deadline_ms == 0 && ch->grow_timeout_ms > 0)
        ch->deadline_ms = growfile_end_ms(ch->feed_grow) + ch->grow_timeout_ms;
    return 0;
}

ssize_t child_read(struct child *ch, char *dst, size_t n, struct err *err) {
    struct pollfd pfd[5];
    int nfd, out_i, err_i, cancel_i, in_i, grow_i;

    for (;;) {
        int timeout = -1;
        int rc;

        if (ch->out_fd == -1)
            return 0;
        if (grow_check(ch, err) == -1)
            return -1;
        if (ch->deadline_ms != 0) {
            int64_t left = ch->deadline_ms - mono_now_ms();
            if (left <= 0) {
                ch->timed_out = 1;
                kill_group(ch);
                return err_set(err, 504, "child timed out");
            }
            timeout = left > INT_MAX ? INT_MAX : (int)left;
        }
        nfd = 0;
        out_i = err_i = cancel_i = in_i = grow_i = -1;
        pfd[nfd].fd = ch->out_fd;
        pfd[nfd].events = POLLIN;
        out_i = nfd++;
        if (ch->err_fd != -1) {
            pfd[nfd].fd = ch->err_fd;
            pfd[nfd].events = POLLIN;
            err_i = nfd++;
        }
        if (ch->cancel_fd != -1) {
            /* only a reset or error (always reported): a half-closed client still
               reads its answer; not POLLIN: it may well have sent more bytes */
            pfd[nfd].fd = ch->cancel_fd;
            pfd[nfd].events = 0;
            cancel_i = nfd++;
        }
        if (ch->feed_fd != -1 && ch->in_fd != -1) {
            enum grow_state st;
            if (ch->feed_grow != NULL && (uint64_t)ch->feed_off >= feed_limit(ch, &st) &&
                st == GROW_WRITING) {
                /* all written so far is copied: wait for the writer, not for room */
                pfd[nfd].fd = ch->feed_grow->wake_fd;
                pfd[nfd].events = POLLIN;
                grow_i = nfd++;
            } else {
                pfd[nfd].fd = ch->in_fd;
                pfd[nfd].events = POLLOUT;
                in_i = nfd++;
                if (ch->feed_grow != NULL && st == GROW_WRITING) {
                    /* behind the writer: still notice the end (grow_check) */
                    pfd[nfd].fd = ch->feed_grow->wake_fd;
                    pfd[nfd].events = POLLIN;
                    grow_i = nfd++;
                }
            }
        }
        rc = poll(pfd, (nfds_t)nfd, timeout);
        if (rc == -1) {
            if (errno == EINTR)
                continue;
            return err_set(err, 500, "cannot poll child: %s", strerror(errno));
        }
        if (rc == 0)
            continue; /* the deadline check above decides */
        if (cancel_i != -1 &&
            (pfd[cancel_i].revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL))) {
            ch->cancelled = 1;
            kill_group(ch);
            return err_set(err, 499, "client went away");
        }
        if (err_i != -1 && pfd[err_i].revents != 0)
            read_stderr(ch);
        if (grow_i != -1 && pfd[grow_i].revents != 0) {
            growfile_drain(ch->feed_grow);
            if (pump(ch, err) == -1)
                return -1;
        }
        /* POLLERR here means the child closed its end: pump() sees EPIPE */
        if (in_i != -1 && pfd[in_i].revents != 0 && pump(ch, err) == -1)
            return -1;
        if (pfd[out_i].revents != 0) {
            ssize_t r = read(ch->out_fd, dst, n);
            if (r > 0)
                return r;
            if (r == 0) {
                fd_close(&ch->out_fd);
                return 0;
            }
            if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
                return err_set(err, 500, "cannot read child output: %s", strerror(errno));
        }
    }
}

void child_kill(struct child *ch) {
    fd_close(&ch->out_fd);
    feed_stop(ch);
    kill_group(ch);
}

/* Wait (draining stderr) until the leader exits; kill it at the deadline. */
static void wait_leader(struct child *ch) {
    int64_t step = 1;
    int killed = 0;

    for (;;) {
        int64_t now, wait_ms = -1;

        if (leader_exited(ch) != 0)
            return;
        now = mono_now_ms();
        if (!killed && ch->deadline_ms != 0 && now >= ch->deadline_ms) {
            ch->timed_out = 1;
            kill_group(ch); /* returns once the leader is gone or SIGKILLed */
            killed = 1;
            continue;
        }
        if (ch->err_fd == -1 && ch->deadline_ms == 0 && !killed) {
            siginfo_t si;
            /* nothing to drain and no deadline: just block */
            memset(&si, 0, sizeof(si));
            if (waitid(P_PID, (id_t)ch->pid, &si, WEXITED | WNOWAIT) == 0 ||
                errno != EINTR)
                return;
            continue;
        }
        if (ch->deadline_ms != 0 && !killed)
            wait_ms = ch->deadline_ms - now;
        if (wait_ms < 0 || wait_ms > step)
            wait_ms = step;
        if (step < EXIT_POLL_MAX_MS)
            step *= 2;
        if (ch->err_fd != -1) {
            struct pollfd p = {ch->err_fd, POLLIN, 0};
            if (poll(&p, 1, (int)wait_ms) > 0)
                read_stderr(ch);
        } else {
            sleep_ms(wait_ms);
        }
    }
}

int child_finish(struct child *ch) {
    int status = -1;

    fd_close(&ch->out_fd);
    feed_stop(ch); /* a child still waiting for input sees EOF and ends */
    if (ch->pid > 0) {
        int64_t until;

        wait_leader(ch);
        /* sweep what the leader left behind in its group, before reaping */
        if (leader_exited(ch) == 1)
            killpg(ch->pid, SIGKILL);
        /* the group is dead now; stderr ends unless someone escaped it */
        until = mono_now_ms() + KILL_GRACE_MS;
        while (ch->err_fd != -1) {
            struct pollfd p = {ch->err_fd, POLLIN, 0};
            int64_t left = until - mono_now_ms();
            if (left <= 0)
                break;
            if (poll(&p, 1, (int)left) > 0)
                read_stderr(ch);
        }
        for (;;) {
            struct rusage ru;
            pid_t r = wait4(ch->pid, &status, 0, &ru);
            if (r == ch->pid) {
                ch->cpu_ms = (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
                             (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
                ch->maxrss_kb = ru.ru_maxrss;
                if (WIFEXITED(status))
                    ch->status = WEXITSTATUS(status);
                else if (WIFSIGNALED(status))
                    ch->status = 128 + WTERMSIG(status);
                else
                    ch->status = -1;
                break;
            }
            if (r == -1 && errno == EINTR)
                continue;
            ch->status = -1; /* ECHILD: someone reaped it for us */
            break;
        }
        ch->pid = -1;
    }
    give_user(ch);
    fd_close(&ch->err_fd);
    return ch->status;
}
