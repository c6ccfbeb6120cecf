/* work.c - see work.h */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http/work.h"
#include "banned.h"

static void *work_main(void *arg) {
    struct work *w = arg;
    struct work_item *it;

    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (w->head == NULL && !w->stopping)
            pthread_cond_wait(&w->more, &w->lock);
        if ((it = w->head) == NULL)
            break; /* stopping, and nothing left to run */
        w->head = it->next;
        if (w->head == NULL)
            w->tail = NULL;
        pthread_mutex_unlock(&w->lock);
        it->next = NULL;
        it->run(it);
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int work_start(struct work *w, int n, struct err *err) {
    int i, rc;

    if ((w->threads = calloc((size_t)n, sizeof(*w->threads))) == NULL)
        return err_set(err, 500, "out of memory");
    for (i = 0; i < n; i++) {
        if ((rc = pthread_create(&w->threads[i], NULL, work_main, w)) != 0) {
            work_stop(w);
            return err_set(err, 500, "cannot start an HTTP worker: %s", strerror(rc));
        }
        w->nthreads++;
    }
    return 0;
}

void work_push(struct work *w, struct work_item *it) {
    it->next = NULL;
    pthread_mutex_lock(&w->lock);
    if (w->tail != NULL)
        w->tail->next = it;
    else
        w->head = it;
    w->tail = it;
    pthread_cond_signal(&w->more);
    pthread_mutex_unlock(&w->lock);
}

void work_stop(struct work *w) {
    int i;

    pthread_mutex_lock(&w->lock);
    w->stopping = 1;
    pthread_cond_broadcast(&w->more);
    pthread_mutex_unlock(&w->lock);
    for (i = 0; i < w->nthreads; i++)
        pthread_join(w->threads[i], NULL);
    w->nthreads = 0;
    free(w->threads);
    w->threads = NULL;
}
