/*
 * child.h - run one subprocess safely (after git's run-command).
 *
 * argv only, never a shell. The child gets stdin from /dev/null, a given fd,
 * or a pipe we hold (CHILD_STDIN_PIPE, filled later by child_feed_from()),
 * stdout and stderr on CLOEXEC pipes, an empty signal mask, SIGPIPE at
 * default, its own process group, no_new_privs, the resource limits asked
 * for and, when asked and we are root, another user and group. Reading
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
#include "base/clock.h" /* only until src/http/http.c includes it itself */
#include "base/err.h"
#include "proc/growfile.h"
#include "proc/sandbox.h"

struct child_spec {
    const char *const *argv; /* borrowed; argv[0] is the program (PATH is not searched
                                unless it holds no '/') */
    const char *const *envp; /* borrowed; NULL: inherit our environment */
    int stdin_fd;            /* borrowed; -1: /dev/null; CHILD_STDIN_PIPE: a pipe
                                whose write end we keep (child.in_fd) */
    int64_t deadline_ms; /* mono_now_ms() time at which the child is killed; 0: none */
    int cancel_fd;       /* borrowed; -1: none. POLLHUP/POLLRDHUP/POLLERR on it
                            (a client socket that closed) kills the child */
    uint64_t rlimit_as_bytes;    /* 0: unchanged. RLIMIT_AS of the child */
    uint64_t rlimit_cpu_s;       /* 0: unchanged. RLIMIT_CPU of the child */
    uint64_t rlimit_fsize_bytes; /* 0: unchanged; else RLIMIT_FSIZE */
    uint64_t rlimit_nofile;      /* 0: unchanged; else RLIMIT_NOFILE */
    uid_t uid;   /* (uid_t)-1: unchanged. Else the child drops to uid and gid, with no
                    supplementary groups, after its rlimits and before exec (the
                    parent must be root; a failed drop fails the start). A sandbox
                    with a user per run (sandbox_user_take) overrides both */
    gid_t gid;   /* with uid */
    int keep_fd; /* borrowed; -1: none. A descriptor above 2 the child inherits
                    under the same number (every other one is closed) */
    const struct sandbox *sandbox; /* borrowed; NULL: none. The child is wrapped
                                      (sandbox_argv) and enters it (sandbox_enter)
                                      after no_new_privs */
};

/* child_spec.stdin_fd: give the child a pipe, keep its write end in in_fd */
#define CHILD_STDIN_PIPE (-2)

/* The PATH searched when ours has none (and given to children that have none) */
#define CHILD_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

#define CHILD_SPEC_INIT                                                                  \
    { NULL, NULL, -1, 0, -1, 0, 0, 0, 0, (uid_t)-1, (gid_t)-1, -1, NULL }

struct child {
    pid_t pid;     /* -1 when not running / reaped */
    int out_fd;    /* read end of the child's stdout, -1 when closed */
    int err_fd;    /* read end of the child's stderr, -1 when closed */
    int cancel_fd; /* borrowed copy of spec.cancel_fd; may be changed between reads */
    int64_t deadline_ms; /* 0: none; may be changed between reads (a warm child's
                            deadline starts when it is put to work) */
    int timed_out;       /* set when the deadline killed it */
    int cancelled;       /* set when cancel_fd killed it */
    int status;          /* after child_finish: exit code, or 128+signal */
    size_t tail_len;
    char tail[MAX_STDERR_TAIL_BYTES + 1]; /* last bytes of stderr, NUL-terminated */
    /* after child_finish: what the child used (from wait4), for logs and bench */
    int64_t cpu_ms;    /* user + system CPU time */
    int64_t maxrss_kb; /* peak resident set size */
    /* stdin pump (CHILD_STDIN_PIPE + child_feed_from) */
    int in_fd;        /* write end of the child's stdin, O_NONBLOCK; -1 when closed */
    int feed_fd;      /* borrowed: file copied into in_fd by child_read; -1: none */
    int64_t feed_off; /* bytes of feed_fd written to the child so far */
    int feed_cut;     /* the child closed its stdin before feed_fd's end (EPIPE) */
    struct growfile *feed_grow; /* borrowed: feed_fd is still being written; NULL: no */
    int64_t grow_timeout_ms;    /* with feed_grow: deadline_ms becomes the file's end
                                   (growfile_end_ms) + this once it is complete, even
                                   while the copy lags behind (0: none) */
    const struct sandbox *user_sb; /* borrowed: the sandbox that gave the child a user
                                      of its own (given back once reaped); NULL: none */
    uid_t user;                    /* with user_sb: that user */
};

#define CHILD_INIT                                                                       \
    { -1, -1, -1, -1, 0, 0, 0, -1, 0, {0}, 0, 0, -1, -1, 0, 0, NULL, 0, NULL, 0 }

/*
 * Find prog (borrowed) as execvp would, as an absolute path into out (outsz
 * bytes): a prog holding a '/' is that file (made absolute against the
 * working directory), any other the first executable regular file in PATH
 * (CHILD_DEFAULT_PATH when PATH is unset or empty; an empty entry is the
 * working directory). 0, or -1 with errno: ENOENT, EACCES (found but not
 * executable), ENAMETOOLONG. Reads the environment: call it before fork.
 */
int child_find_program(const char *prog, char *out, size_t outsz);

/*
 * pipe2(O_CLOEXEC), both ends moved above fd 2: for pipes of our own that no
 * child may inherit, even one started meanwhile by another thread. 0, or -1
 * with errno.
 */
int child_pipe(int fds[2]);

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
 * Copy the whole of src_fd (borrowed: a regular file, read with pread from
 * offset 0, so its file offset is left alone; it must stay open until the
 * child is finished) into the child's stdin, which must be a CHILD_STDIN_PIPE.
 * The copying happens inside child_read(), interleaved with reading stdout:
 * the child writes output while it reads input, so doing one side first
 * would deadlock. At the end of src_fd our end of stdin is closed (the child
 * sees EOF). When the child closes its stdin first (EPIPE: it stopped early
 * or died) feeding stops quietly and ch->feed_cut is set; SIGPIPE is blocked
 * in the calling thread around each write, so this holds whether or not the
 * process ignores SIGPIPE. 0, or -1 with err (500) when there is no stdin
 * pipe or a feed is already running.
 */
int child_feed_from(struct child *ch, int src_fd, struct err *err);

/*
 * child_feed_from() for a file another thread is still writing (g tells how
 * far; growfile.h): the copy follows the writer and closes stdin once g is
 * complete. Meanwhile the child has no deadline; once g is complete it gets
 * the deadline growfile_end_ms(g) + timeout_ms (0: none), noticed by
 * child_read at once however much of the file is still to be copied: a slow
 * upload does not count against the analysis time, a slow reader (a
 * decompression bomb) does. When g is abandoned, child_read fails with 499
 * ("upload ended early") and the child is killed, at once as well. 0, or -1
 * with err (500).
 */
int child_feed_growing(struct child *ch, int src_fd, struct growfile *g,
                       int64_t timeout_ms, struct err *err);

/*
 * Read up to n bytes of the child's stdout into dst, collecting its stderr
 * tail meanwhile and feeding its stdin (child_feed_from). Returns the count
 * read (> 0), 0 at EOF of stdout, or -1 with err: 504 when the deadline
 * passed (ch->timed_out set, child killed), 499 when cancel_fd reported the
 * client gone (ch->cancelled set), 500 on a read error (of stdout or of the
 * feed file) or a write error other than EPIPE on stdin. Restarts on EINTR.
 */
ssize_t child_read(struct child *ch, char *dst, size_t n, struct err *err);

/*
 * Stop reading early: close our ends of stdout and stdin (the child gets
 * SIGPIPE or EOF; that death is expected) and kill its group as at the
 * deadline.
 */
void child_kill(struct child *ch);

/*
 * Close our end of stdin (ending any feed), drain what remains of stderr
 * (bounded by the deadline), reap the child
 * (waitpid retried on EINTR; kills the group first if the deadline passed)
 * and close every fd. Returns the status as a shell would: the exit code, or
 * 128+signal; -1 when there was no child. Safe on CHILD_INIT and twice.
 */
int child_finish(struct child *ch);

#endif
