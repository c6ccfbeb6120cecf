/* growfile.c - see growfile.h */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/clock.h"
#include "proc/growfile.h"
#include "banned.h"

int growfile_init(struct growfile *g, struct err *err) {
    memset(g, 0, sizeof(*g));
    g->state = GROW_WRITING;
    g->wake_fd = -1;
    if ((g->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
        return err_set(err, 500, "cannot make an eventfd: %s", strerror(errno));
    if (fd_above_stdio(&g->wake_fd) == -1) { /* never a child's stdio number */
        fd_close(&g->wake_fd);               /* keeps errno */
        return err_set(err, 500, "cannot make an eventfd: %s", strerror(errno));
    }
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->ended, NULL);
    g->ready = 1;
    return 0;
}

static void wake(struct growfile *g) {
    uint64_t one = 1;

    /* a full counter is still readable: a failed write loses nothing */
    if (write(g->wake_fd, &one, sizeof(one)) == -1 && errno != EAGAIN)
        return;
}

void growfile_add(struct growfile *g, uint64_t written) {
    pthread_mutex_lock(&g->lock);
    if (g->state == GROW_WRITING && written > g->written)
        g->written = written;
    pthread_mutex_unlock(&g->lock);
    wake(g);
}

void growfile_end(struct growfile *g, int ok) {
    pthread_mutex_lock(&g->lock);
    if (g->state == GROW_WRITING) {
        g->state = ok ? GROW_DONE : GROW_FAILED;
        g->end_ms = mono_now_ms();
    }
    pthread_cond_broadcast(&g->ended);
    pthread_mutex_unlock(&g->lock);
    wake(g);
}

enum grow_state growfile_state(struct growfile *g, uint64_t *written) {
    enum grow_state s;

    pthread_mutex_lock(&g->lock);
    s = g->state;
    *written = g->written;
    pthread_mutex_unlock(&g->lock);
    return s;
}

int64_t growfile_end_ms(struct growfile *g) {
    int64_t t;

    pthread_mutex_lock(&g->lock);
    t = g->end_ms;
    pthread_mutex_unlock(&g->lock);
    return t;
}

void growfile_drain(struct growfile *g) {
    uint64_t n;

    while (read(g->wake_fd, &n, sizeof(n)) == -1 && errno == EINTR)
        ;
}

enum grow_state growfile_wait_end(struct growfile *g) {
    enum grow_state s;

    pthread_mutex_lock(&g->lock);
    while (g->state == GROW_WRITING)
        pthread_cond_wait(&g->ended, &g->lock);
    s = g->state;
    pthread_mutex_unlock(&g->lock);
    return s;
}

void growfile_release(struct growfile *g) {
    if (!g->ready)
        return;
    g->ready = 0;
    fd_close(&g->wake_fd);
    pthread_cond_destroy(&g->ended);
    pthread_mutex_destroy(&g->lock);
}
