/* slots.c - see slots.h */
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include "http/slots.h"
#include "banned.h"

void slots_init(struct slots *s, int jobs, int queue) {
    int i;

    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->changed, NULL);
    s->jobs = jobs;
    s->queue = queue;
    s->running = s->waiting = s->answering = s->stopping = 0;
    for (i = 0; i < MAX_JOBS; i++)
        s->fds[i] = -1;
}

void slots_release(struct slots *s) {
    pthread_cond_destroy(&s->changed);
    pthread_mutex_destroy(&s->lock);
}

int slots_full(struct slots *s) {
    int full;

    pthread_mutex_lock(&s->lock);
    full = s->stopping || (s->running >= s->jobs && s->waiting >= s->queue);
    pthread_mutex_unlock(&s->lock);
    return full;
}

/*
 * Is the client behind fd gone? Only a reset or an error says so: a FIN is
 * a half-close (shutdown(SHUT_WR) after the request, RFC 9112 9.6), and
 * such a client still reads its answer. A client that closed for good is
 * found out when its answer is written (a reset), as it would be anyway.
 */
static int client_gone(int fd) {
    struct pollfd p = {fd, 0, 0};

    if (fd == -1 || poll(&p, 1, 0) <= 0)
        return 0;
    return (p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
}

/* Count one more analysis (and answer), and register fd; s->lock held. */
static void take_locked(struct slots *s, int fd) {
    int i;

    s->running++;
    s->answering++;
    for (i = 0; fd != -1 && i < MAX_JOBS; i++) {
        if (s->fds[i] == -1) {
            s->fds[i] = fd;
            break;
        }
    }
}

/* Wait for a change, at most until until and at most a second; s->lock held. */
static void wait_locked(struct slots *s, const struct timespec *until) {
    struct timespec step;

    /* wake at least once a second to notice a client that left */
    clock_gettime(CLOCK_REALTIME, &step);
    step.tv_sec += 1;
    if (step.tv_sec > until->tv_sec)
        step = *until;
    pthread_cond_timedwait(&s->changed, &s->lock, &step);
}

int slots_acquire(struct slots *s, int fd, struct err *err) {
    struct timespec until, now;
    int rc = -1, queued = 0;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += QUEUE_WAIT_S;
    pthread_mutex_lock(&s->lock);
    while (!s->stopping && s->running >= s->jobs) {
        if (!queued) {
            if (s->waiting >= s->queue) {
                err_set(err, 503,
                        "busy: all %d analysis slots and %d queue places are taken, try "
                        "again in %d s",
                        s->jobs, s->queue, RETRY_AFTER_S);
                goto done;
            }
            s->waiting++;
            queued = 1;
        }
        wait_locked(s, &until);
        if (client_gone(fd)) {
            err_set(err, 499, "client went away");
            goto done;
        }
        clock_gettime(CLOCK_REALTIME, &now);
        if (now.tv_sec >= until.tv_sec && s->running >= s->jobs) {
            err_set(err, 503, "busy: waited %d s for an analysis slot, try again in %d s",
                    QUEUE_WAIT_S, RETRY_AFTER_S);
            goto done;
        }
    }
    if (s->stopping) {
        err_set(err, 503, "the server is shutting down, try again in %d s",
                RETRY_AFTER_S);
        goto done;
    }
    take_locked(s, fd);
    rc = 0;
done:
    if (queued)
        s->waiting--;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int slots_try(struct slots *s, int fd) {
    int rc = -1;

    pthread_mutex_lock(&s->lock);
    if (!s->stopping && s->waiting == 0 && s->running + 1 < s->jobs) {
        take_locked(s, fd);
        rc = 0;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

void slots_give_back(struct slots *s, int fd) {
    int i;

    pthread_mutex_lock(&s->lock);
    s->running--;
    for (i = 0; fd != -1 && i < MAX_JOBS; i++) {
        if (s->fds[i] == fd) {
            s->fds[i] = -1;
            break;
        }
    }
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
}

void slots_answered(struct slots *s) {
    pthread_mutex_lock(&s->lock);
    s->answering--;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
}

int slots_stop(struct slots *s, int grace_ms) {
    struct timespec until;
    int i, ended = 0;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += grace_ms / 1000;
    until.tv_nsec += (long)(grace_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->lock);
    s->stopping = 1;
    pthread_cond_broadcast(&s->changed);
    while (s->running > 0 || s->waiting > 0 || s->answering > 0)
        if (pthread_cond_timedwait(&s->changed, &s->lock, &until) != 0)
            break;
    /*
     * Past the grace period: shutting the client sockets down makes each
     * running tshark's cancel fd fire, so it is killed and reaped.
     */
    for (i = 0; i < MAX_JOBS; i++) {
        if (s->fds[i] != -1) {
            shutdown(s->fds[i], SHUT_RDWR);
            ended++;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return ended;
}
