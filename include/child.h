/*
 * child.h - run one subprocess safely (after git's run-command).
 *
 * argv only, never a shell. The child gets stdin from /dev/null (or a given
 * fd), stdout and stderr on CLOEXEC pipes, an empty signal mask, SIGPIPE at
 * default, its own process group, and the resource limits asked for. Reading
 * is bounded by a monotonic deadline; at the deadline (or when the watched
 * cancel fd reports the client gone) the whole group gets SIGTERM, then
 * SIGKILL after KILL_GRACE_MS. child_finish() reaps exactly once.
 *
 * Threads: one struct child belongs to one thread; different children may
 * be used from different threads at once.
 */
#ifndef CHILD_H
#define CHILD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "err.h"

struct child_spec {
    const char *const *argv; /* borrowed; argv[0] is the program (PATH is not searched
                                unless it holds no '/') */
    const char *const *envp; /* borrowed; NULL: inherit our environment */
    int stdin_fd;            /* borrowed; -1: /dev/null */
    int64_t deadline_ms; /* mono_now_ms() time at which the child is killed; 0: none */
    int cancel_fd;       /* borrowed; -1: none. POLLHUP/POLLRDHUP/POLLERR on it
                            (a client socket that closed) kills the child */
    uint64_t rlimit_as_bytes;    /* 0: unchanged. RLIMIT_AS of the child */
    uint64_t rlimit_cpu_s;       /* 0: unchanged. RLIMIT_CPU of the child */
    uint64_t rlimit_fsize_bytes; /* 0: unchanged; else RLIMIT_FSIZE */
    uint64_t rlimit_nofile;      /* 0: unchanged; else RLIMIT_NOFILE */
};

#define CHILD_SPEC_INIT                                                                  \
    { NULL, NULL, -1, 0, -1, 0, 0, 0, 0 }

struct child {
    pid_t pid;     /* -1 when not running / reaped */
    int out_fd;    /* read end of the child's stdout, -1 when closed */
    int err_fd;    /* read end of the child's stderr, -1 when closed */
    int cancel_fd; /* borrowed copy of spec.cancel_fd */
    int64_t deadline_ms;
    int timed_out; /* set when the deadline killed it */
    int cancelled; /* set when cancel_fd killed it */
    int status;    /* after child_finish: exit code, or 128+signal */
    size_t tail_len;
    char tail[MAX_STDERR_TAIL_BYTES + 1]; /* last bytes of stderr, NUL-terminated */
    /* after child_finish: what the child used (from wait4), for logs and bench */
    int64_t cpu_ms;    /* user + system CPU time */
    int64_t maxrss_kb; /* peak resident set size */
};

#define CHILD_INIT                                                                       \
    { -1, -1, -1, -1, 0, 0, 0, -1, 0, {0}, 0, 0 }

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t mono_now_ms(void);

/*
 * A pipe whose read end already holds data and whose write end is closed,
 * for child_spec.stdin_fd (a child reading it sees the bytes, then EOF).
 * Both ends are CLOEXEC from the start, so a child started meanwhile by
 * another thread cannot keep the write end open. n must be at most PIPE_BUF.
 * Returns the read fd (owned: the caller closes it) or -1 with err (500).
 */
int child_stdin_pipe(const void *data, size_t n, struct err *err);

/*
 * Start spec->argv[0]. 0 on success; -1 with err (500 "cannot run ...") when
 * the pipes cannot be made or the program cannot be executed.
 */
int child_start(struct child *ch, const struct child_spec *spec, struct err *err);

/*
 * Read up to n bytes of the child's stdout into dst, collecting its stderr
 * tail meanwhile. Returns the count read (> 0), 0 at EOF of stdout, or -1
 * with err: 504 when the deadline passed (ch->timed_out set, child killed),
 * 499 when cancel_fd reported the client gone (ch->cancelled set), 500 on a
 * read error. Restarts on EINTR.
 */
ssize_t child_read(struct child *ch, char *dst, size_t n, struct err *err);

/*
 * Stop reading early: close our end of stdout (the child gets SIGPIPE or EOF
 * on write; that death is expected) and kill its group as at the deadline.
 */
void child_kill(struct child *ch);

/*
 * Drain what remains of stderr (bounded by the deadline), reap the child
 * (waitpid retried on EINTR; kills the group first if the deadline passed)
 * and close every fd. Returns the status as a shell would: the exit code, or
 * 128+signal; -1 when there was no child. Safe on CHILD_INIT and twice.
 */
int child_finish(struct child *ch);

#endif
