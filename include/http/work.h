/*
 * work.h - the HTTP server's workers: a few threads that run what may block
 * (an analysis, a wait for its slot) off libmicrohttpd's event threads.
 *
 * libmicrohttpd runs a small pool of event threads (epoll), each serving
 * thousands of connections; a handler that blocked one of them would stall
 * every connection it serves. So a request that needs an analysis suspends
 * its connection (MHD_suspend_connection), is pushed here, runs on a
 * worker, and resumes its connection when its answer is ready (server.c).
 *
 * Threads: work_push from any thread; work_start and work_stop from one.
 */
#ifndef HTTP_WORK_H
#define HTTP_WORK_H

#include <pthread.h>

#include "base/err.h"

struct work_item {
    struct work_item *next;
    void (*run)(struct work_item *it); /* called once, on a worker */
};

struct work {
    pthread_mutex_t lock;
    pthread_cond_t more;
    struct work_item *head, *tail; /* waiting items, oldest first */
    pthread_t *threads;            /* owned */
    int nthreads;
    int stopping;
};

#define WORK_INIT                                                                        \
    { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, NULL, 0, 0 }

/* Start n (>= 1) workers in w (WORK_INIT). 0, or -1 with err (500; none left running). */
int work_start(struct work *w, int n, struct err *err);

/* Run it->run(it) on a worker, after the items pushed before it. it is borrowed until
 * its run returns. */
void work_push(struct work *w, struct work_item *it);

/*
 * Run every item still waiting, then end and join the workers and free
 * what work_start allocated. Accepts a w never started, and twice.
 */
void work_stop(struct work *w);

#endif
