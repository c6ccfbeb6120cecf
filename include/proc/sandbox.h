/*
 * sandbox.h - what keeps one tshark run from reaching another's data, the
 * server's files or the network (issue 11, "isolation between analyses").
 *
 * Layers, each used when the machine allows it, strongest first:
 *   - bwrap (bubblewrap): every namespace unshared (user, mount, pid, net,
 *     ipc, uts, cgroup), a read-only /usr and a few files of /etc, a private
 *     /proc and /dev, no /tmp of ours, a new session, no capabilities, and
 *     killed with the server (--die-with-parent). Another run's processes do
 *     not exist for it; there is no network but its own loopback.
 *   - seccomp: a filter (libseccomp) that refuses ptrace, process_vm_*,
 *     mount, namespaces, keyctl, bpf, perf_event_open, io_uring, kernel
 *     modules and the like, every socket but AF_UNIX, and TIOCSTI. Given to
 *     bwrap (--seccomp, from a memfd) or, without bwrap, loaded in the child.
 *   - Landlock (without bwrap only): reading beneath /usr, /etc and /proc and
 *     the profile, executing the program, a few devices; nothing else, no
 *     writing, no TCP (ABI 4), no abstract sockets or signals out of its own
 *     domain (ABI 6), and no ptrace (or /proc/PID/mem) of a process outside
 *     its domain (every run gets a domain of its own).
 *   - a user of its own per run (sandbox_opts.users, when we are root):
 *     every child gets a uid (and gid) of a private range that no other
 *     process uses, taken at its start and given back once it is reaped. No
 *     run can signal, ptrace or read /proc/PID/mem of another's tshark,
 *     whatever layer below is missing, and RLIMIT_NPROC counts that run alone.
 *   - RLIMIT_NPROC: the tasks of tshark's user (threads included) bounded
 *     to a budget per run (with a user per run) or, with one user for all,
 *     to those it had at start plus a budget per run (shared with whatever
 *     else runs as that user: name a user of its own, see tshark_run_as).
 *   - no_new_privs and the user change stay in child.c.
 * sandbox_init() finds which hold (it runs bwrap once as tshark's user) and
 * sandbox_describe() says so, for the one log line at start.
 *
 * Threads: init and free from one thread before/after the others; the rest
 * only read the struct and may be called from any thread (sandbox_enter
 * only in a forked child: it is async-signal-safe).
 */
#ifndef SANDBOX_H
#define SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "base/err.h"

/* layers, for sandbox_opts.skip and sandbox.layers */
#define SANDBOX_BWRAP 0x1
#define SANDBOX_SECCOMP 0x2
#define SANDBOX_LANDLOCK 0x4
#define SANDBOX_NPROC 0x8

/* O_PATH roots Landlock lets a run read (see .c) */
#define SANDBOX_LL_MAX_ROOTS 8

struct sandbox_opts {
    uid_t uid;         /* the user children run as ((uid_t)-1: ourselves); with users,
                          the first uid of the range to search (root only) */
    gid_t gid;         /* with uid */
    int users;         /* 0: every child runs as uid. Else a user of its own per
                          child: that many uids (and gids of the same numbers) in
                          [uid, uid + SANDBOX_USERS_SPAN) that no process uses */
    int runs;          /* children alive at once at most (jobs + warm + checks) */
    int skip;          /* SANDBOX_* layers not to use (tests: remove one at a time) */
    const char *bwrap; /* borrowed; NULL: "bwrap" in PATH */
    const char *private_dir; /* borrowed; NULL: none. Never shown to a run, even when
                                the program's directory would be (the tmpdir) */
};

struct sandbox {
    int layers; /* SANDBOX_* in force */
    int ll_abi; /* Landlock ABI in force, 0: none */
    char bwrap[MAX_PATH_BYTES];
    int bpf_fd; /* owned: memfd with the BPF program (bwrap reads a fresh open of it) */
    char bpf_fd_str[16];
    char bpf_reopen[32]; /* "/proc/self/fd/N" */
    unsigned char *bpf;  /* owned: the program, for prctl without bwrap */
    size_t bpf_len;
    uint64_t nproc;                  /* RLIMIT_NPROC of children, with SANDBOX_NPROC */
    struct sandbox_users *users;     /* owned: a user per child; NULL: opts.uid for all */
    int ll_fd[SANDBOX_LL_MAX_ROOTS]; /* owned, O_PATH; -1 unused */
    uint64_t ll_access[SANDBOX_LL_MAX_ROOTS];
    char private_dir[MAX_PATH_BYTES]; /* its real path */
    char why[256];                    /* why layers are missing, for the log */
};

/* sandbox_argv: arguments of the command at most, and what bwrap adds */
#define SANDBOX_ARGV_MAX 64
#define SANDBOX_ARGV_EXTRA 80

/* A command wrapped in bwrap: the vector (strings borrowed) and its program. */
struct sandbox_argv {
    const char *v[SANDBOX_ARGV_EXTRA + SANDBOX_ARGV_MAX + 1];
    char prog[MAX_PATH_BYTES]; /* the program made absolute ("" without a sandbox) */
    char dir[MAX_PATH_BYTES];  /* its directory, shown to the run; "": only the file */
    const char *path;          /* what to execve: bwrap, or the program itself */
    const char *const *argv;   /* its argv: v, or the command's own (borrowed) */
};

/*
 * Find the layers that hold here for children of o->uid and prepare them
 * (the seccomp program, Landlock's roots). Never fails for a missing layer:
 * it is left out and why says so. Returns the sandbox (owned: sandbox_free)
 * or NULL with err (500) when memory or libseccomp fail. Before threads.
 */
struct sandbox *sandbox_new(const struct sandbox_opts *o, struct err *err);

/* Close and free; NULL is a no-op. */
void sandbox_free(struct sandbox *sb);

/*
 * In the parent, before a child's fork: a user of its own for it, from sb's
 * range (sandbox_opts.users). 1 with *uid and *gid set (give it back with
 * sandbox_user_put once the child is reaped); 0 when sb gives none (NULL,
 * or one user for all: *uid and *gid unchanged); -1 with errno EAGAIN when
 * every user of the range is taken. Any thread.
 */
int sandbox_user_take(const struct sandbox *sb, uid_t *uid, gid_t *gid);

/* Give back a user sandbox_user_take gave (after its child was reaped). */
void sandbox_user_put(const struct sandbox *sb, uid_t uid);

/*
 * "bwrap,seccomp,landlock,nproc" (or "all"; unknown names ignored) as
 * SANDBOX_* bits, for sandbox_opts.skip. list borrowed; NULL: 0.
 */
int sandbox_parse_skip(const char *list);

/* One line naming the layers in force and why others are not, into out; out. */
const char *sandbox_describe(const struct sandbox *sb, char *out, size_t outsz);

/*
 * In the parent, before fork: when sb uses bwrap, a = bwrap ARGS -- path
 * argv[1..] (argv, path and sb borrowed, must outlive a); a program outside
 * /usr is bound at its path, with its directory when that is safe to show. a->path is
 * what to execve, a->argv its vector. Without bwrap (or sb NULL) they are path and argv.
 * 0, or -1 with err (500) when argv is too long or a relative path cannot be
 * made absolute.
 */
int sandbox_argv(const struct sandbox *sb, const char *const *argv, const char *path,
                 struct sandbox_argv *a, struct err *err);

/*
 * In the forked child, after the user change and no_new_privs, before exec:
 * RLIMIT_NPROC; with bwrap, a fresh descriptor of the BPF program under the
 * number its argv names; without, Landlock (keep_fd: the profile, readable;
 * a (from sandbox_argv, borrowed): the program and its directory) and the
 * seccomp filter. Async-signal-safe.
 * 0, or -1 with errno. sb NULL: 0.
 */
int sandbox_enter(const struct sandbox *sb, int keep_fd, const struct sandbox_argv *a);

#endif
