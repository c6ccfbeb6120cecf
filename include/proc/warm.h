/*
 * warm.h - the warm pool: children started ahead, blocked reading a stdin
 * pipe we hold, handed out ready to work (the "warm tshark pool").
 *
 * tshark spends most of a small run loading its dissectors, before it reads
 * a byte. One started ahead with `-r -` waits on its stdin and answers as
 * soon as a capture is fed to it (child_feed_from). The pool keeps up to
 * `size` such children idle, all started from one child_spec:
 *
 *   - warm_pool_take() hands one over at once, or says there is none: the
 *     caller then starts a cold child itself. It never waits.
 *   - A background thread replaces what was taken, right after the take
 *     (spawning is only fork+exec; the child loads in the background).
 *   - An idle child that ended (killed, crashed) or wrote anything on stdout
 *     before any input is discarded (killed, reaped) and replaced, by the
 *     thread as soon as it notices, or by warm_pool_take() when it finds it.
 *     After a start failure or an idle death the next start waits
 *     WARM_RETRY_MIN_MS, doubling up to WARM_RETRY_MAX_MS: a program that
 *     cannot stay up costs a start every 30 s, not a busy loop.
 *   - warm_pool_free() kills and reaps every idle child. Children already
 *     taken belong to their takers, who reap them (child_finish).
 *
 * Idle children have no deadline and no cancel fd; the taker sets
 * ch->deadline_ms and ch->cancel_fd when it puts one to work.
 *
 * Resources: each idle child holds three fds of ours (stdout, stderr, stdin
 * write end, all CLOEXEC) and the pool two more (the thread's wake-up pipe).
 *
 * Threads: warm_pool_take(), warm_pool_stats() and warm_pool_idle_pids() may
 * be called from any threads at once. warm_pool_new() and warm_pool_free()
 * from one thread, never while another uses the pool. The pool's thread
 * inherits the signal mask of the caller of warm_pool_new() (the server
 * blocks SIGINT/SIGTERM first, so that only its sigwait() sees them).
 */
#ifndef WARM_H
#define WARM_H

#include <stdint.h>
#include <sys/types.h>

#include "proc/child.h"
#include "base/err.h"

struct warm_pool;

/* What the pool did so far (for logs and tests). */
struct warm_stats {
    int size;                /* idle children wanted */
    int idle;                /* idle children now */
    uint64_t started;        /* children started */
    uint64_t taken;          /* children handed out */
    uint64_t discarded;      /* idle children found dead or misbehaving */
    uint64_t start_failures; /* child_start() failures */
};

/*
 * Make a pool of size (1..MAX_WARM) idle children of spec, started before
 * this returns (so that a server's children and fds are all there when it
 * starts listening), and start the thread that keeps it full. It returns
 * once the children have loaded (seen in /proc sleeping without using CPU:
 * blocked on their stdin), or after WARM_READY_WAIT_MS: so the first
 * request does not meet them still loading, and competing for the CPU. spec is
 * borrowed for the call only (argv and envp are copied); spec->stdin_fd
 * must be CHILD_STDIN_PIPE; its deadline_ms and cancel_fd are ignored.
 * Returns the pool (owned: warm_pool_free), or NULL with err (500) when
 * size is out of range, memory or the thread is lacking, or a child cannot
 * be started (then nothing is left running).
 */
struct warm_pool *warm_pool_new(const struct child_spec *spec, int size, struct err *err);

/*
 * Hand over an idle child: 0 with *ch filled (owned by the caller from now
 * on: feed it, read it, child_finish() it), and the thread is woken to
 * replace it. -1 when the pool has none ready (or p is NULL): the caller
 * runs a cold child. Never blocks beyond a mutex held for a few syscalls.
 */
int warm_pool_take(struct warm_pool *p, struct child *ch);

/* Copy the counters into *st. */
void warm_pool_stats(struct warm_pool *p, struct warm_stats *st);

/* The pids of the idle children, oldest first, at most max. Their count. */
int warm_pool_idle_pids(struct warm_pool *p, pid_t *pids, int max);

/*
 * Stop the thread, kill and reap every idle child, free the pool. Bounded
 * by about KILL_GRACE_MS per child that ignores SIGTERM. NULL is a no-op.
 */
void warm_pool_free(struct warm_pool *p);

#endif
