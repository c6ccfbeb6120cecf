/*
 * slots.h - analysis slots and their bounded wait queue.
 *
 * At most jobs analyses run at once and at most queue more wait for a slot
 * (up to QUEUE_WAIT_S each); past that a request gets 503. A slot holder's
 * client socket is registered so that a stop past its grace period can end
 * its analysis (shutting the socket down fires tshark's cancel fd). A
 * request that took a slot is also counted as "answering" until its answer
 * is sent (slots_answered), so a graceful stop waits for answers too.
 *
 * Threads: every function may be called from any thread (one mutex).
 */
#ifndef HTTP_SLOTS_H
#define HTTP_SLOTS_H

#include <pthread.h>

#include "config.h"
#include "base/err.h"

struct slots {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int jobs, queue; /* limits */
    int running;     /* slots taken */
    int waiting;     /* requests in the queue */
    int answering;   /* took a slot, answer not yet sent */
    int stopping;
    int fds[MAX_JOBS]; /* client sockets of slot holders; -1: free entry */
};

/* Set up s for jobs slots (>= 1) and queue waiting places (>= 0). */
void slots_init(struct slots *s, int jobs, int queue);

/* Free what slots_init set up. No thread may use s any more. */
void slots_release(struct slots *s);

/* 1 when a new analysis would get 503 now (every slot and queue place taken, or
 * stopping). */
int slots_full(struct slots *s);

/*
 * Take a slot, waiting in the queue when all are busy. fd (the client socket,
 * or -1) is registered for slots_stop. 0, or -1 with err: 503 (queue full,
 * waited QUEUE_WAIT_S, or stopping), 499 (the client left while waiting).
 */
int slots_acquire(struct slots *s, int fd, struct err *err);

/*
 * Take a slot only if one is free now, nobody waits and one more stays free
 * for the others (an analysis that holds its slot while its upload arrives).
 * 0, or -1 (nothing taken).
 */
int slots_try(struct slots *s, int fd);

/* Give back a slot (fd as given when it was taken). */
void slots_give_back(struct slots *s, int fd);

/* The answer of a request that took a slot is sent (or will never be). */
void slots_answered(struct slots *s);

/*
 * Stop: no slot is given any more; wait up to grace_ms for the running,
 * waiting and answering requests, then shut down the sockets of those still
 * holding a slot. Returns how many were ended that way.
 */
int slots_stop(struct slots *s, int grace_ms);

#endif
