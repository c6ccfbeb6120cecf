/* warm.c - see warm.h */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fd.h"
#include "base/log.h"
#include "proc/warm.h"
#include "banned.h"

/* looks at /proc in a row that must find a child asleep, its CPU time still */
#define READY_LOOKS 3

struct warm_pool {
    pthread_mutex_t mu;
    pthread_t thread;
    int thread_live;
    int wake[2]; /* take() and free() write a byte; the thread polls the read end */
    int stopping;
    int size;
    /* idle children, oldest first (the oldest is the likeliest to be loaded) */
    struct child idle[MAX_WARM];
    int nidle;
    /* discarded by take(), for the thread to kill and reap */
    struct child dead[MAX_WARM];
    int ndead;
    int64_t retry_at_ms; /* no start before this (after failures) */
    int64_t backoff_ms;  /* the next wait after a failure; 0: none yet */
    struct warm_stats st;
    /* the spec, with argv and envp copied into strings */
    struct child_spec spec;
    char **argv;
    char **envp;
    char *strings;
};

/* Count the strings of a NULL-terminated vector and their bytes. */
static void vec_size(const char *const *v, size_t *count, size_t *bytes) {
    *count = 0;
    for (; v != NULL && *v != NULL; v++) {
        (*count)++;
        *bytes += strlen(*v) + 1;
    }
}

/* Copy v into out (count + 1 slots), its strings to *pos. */
static void vec_copy(const char *const *v, char **out, char **pos) {
    size_t i = 0;

    for (; v != NULL && *v != NULL; v++) {
        size_t n = strlen(*v) + 1;
        memcpy(*pos, *v, n);
        out[i++] = *pos;
        *pos += n;
    }
    out[i] = NULL;
}

static int copy_spec(struct warm_pool *p, const struct child_spec *spec) {
    size_t nargv, nenv, bytes = 0;
    char *pos;

    vec_size(spec->argv, &nargv, &bytes);
    vec_size(spec->envp, &nenv, &bytes);
    p->argv = calloc(nargv + 1, sizeof(*p->argv));
    p->envp = calloc(nenv + 1, sizeof(*p->envp));
    p->strings = malloc(bytes > 0 ? bytes : 1);
    if (p->argv == NULL || p->envp == NULL || p->strings == NULL)
        return -1;
    pos = p->strings;
    vec_copy(spec->argv, p->argv, &pos);
    vec_copy(spec->envp, p->envp, &pos);
    p->spec = *spec;
    p->spec.argv = (const char *const *)p->argv;
    p->spec.envp = spec->envp != NULL ? (const char *const *)p->envp : NULL;
    p->spec.deadline_ms = 0;
    p->spec.cancel_fd = -1;
    return 0;
}

/*
 * 1 when an idle child is still fit to work: alive, and silent on stdout
 * (a warm tshark writes nothing before its input arrives). Its stdout shows
 * POLLHUP once it ended, its stdin pipe POLLERR once nobody reads it.
 */
static int usable(const struct child *ch) {
    struct pollfd pfd[2] = {{ch->out_fd, POLLIN, 0}, {ch->in_fd, 0, 0}};
    int rc;

    if (ch->pid <= 0 || ch->out_fd == -1 || ch->in_fd == -1)
        return 0;
    do {
        rc = poll(pfd, 2, 0);
    } while (rc == -1 && errno == EINTR);
    return rc == 0;
}

/*
 * The state letter and CPU ticks (user + system, all threads) of pid, from
 * /proc/PID/stat. 0, or -1 when it cannot be read.
 */
static int proc_state(pid_t pid, char *state, unsigned long long *ticks) {
    char path[64], buf[1024];
    unsigned long long ut, st;
    const char *p;
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
        return -1;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    /* fields 3, 14 and 15: the state, utime and stime (comm may hold spaces) */
    if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ' ||
        sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", state, &ut,
               &st) != 3)
        return -1;
    *ticks = ut + st;
    return 0;
}

/*
 * Wait, at most WARM_READY_WAIT_MS, until every idle child has loaded: it
 * sleeps and its CPU time stands still over READY_LOOKS looks
 * WARM_READY_LOOK_MS apart (tshark loading also sleeps, on futexes, while a thread of it
 * works: sleeping alone says nothing). Without /proc it does not wait.
 */
static void wait_loaded(struct warm_pool *p) {
    unsigned long long last[MAX_WARM];
    int quiet[MAX_WARM];
    int64_t until = mono_now_ms() + WARM_READY_WAIT_MS;
    int i;

    for (i = 0; i < p->nidle; i++) {
        last[i] = ~0ULL;
        quiet[i] = 0;
    }
    for (;;) {
        int all = 1;

        for (i = 0; i < p->nidle; i++) {
            unsigned long long t;
            char st;

            if (proc_state(p->idle[i].pid, &st, &t) == -1)
                return;
            if (st == 'Z' || st == 'X')
                quiet[i] = READY_LOOKS; /* dead: the thread will replace it */
            else if (st == 'S' && t == last[i])
                quiet[i]++;
            else
                quiet[i] = 0;
            last[i] = t;
            if (quiet[i] < READY_LOOKS)
                all = 0;
        }
        if (all || mono_now_ms() >= until)
            return;
        {
            struct timespec ts = {0, WARM_READY_LOOK_MS * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
}

/* Kill and reap a child of the pool (it may already be dead). */
static void discard(struct child *ch) {
    child_kill(ch);
    child_finish(ch);
}

static void wake(struct warm_pool *p) {
    ssize_t w;

    do {
        w = write(p->wake[1], "w", 1);
    } while (w == -1 && errno == EINTR);
    /* EAGAIN: the pipe is full, so a wake-up is pending anyway */
}

/* Called with mu held: the next start waits after a failure. */
static void back_off(struct warm_pool *p) {
    if (p->backoff_ms == 0)
        p->backoff_ms = WARM_RETRY_MIN_MS;
    else if (p->backoff_ms < WARM_RETRY_MAX_MS / 2)
        p->backoff_ms *= 2;
    else
        p->backoff_ms = WARM_RETRY_MAX_MS;
    p->retry_at_ms = mono_now_ms() + p->backoff_ms;
}

/* Called with mu held; returns with it held. Remove idle[i] and discard it. */
static void drop_idle(struct warm_pool *p, int i) {
    struct child ch = p->idle[i];
    long pid = (long)ch.pid;

    memmove(&p->idle[i], &p->idle[i + 1],
            (size_t)(p->nidle - i - 1) * sizeof(p->idle[0]));
    p->nidle--;
    p->st.discarded++;
    back_off(p);
    pthread_mutex_unlock(&p->mu);
    discard(&ch);
    log_warnx("warm pool: an idle child (pid %ld) ended or wrote output before any "
              "input (status %d); replacing it",
              pid, ch.status);
    pthread_mutex_lock(&p->mu);
}

/*
 * The thread: keep size children idle, watch them, reap the discarded.
 * The mutex is never held across a start, a kill or a poll.
 */
static void *pool_main(void *arg) {
    struct warm_pool *p = arg;
    struct pollfd pfd[1 + MAX_WARM];
    pid_t pids[1 + MAX_WARM];

    pthread_mutex_lock(&p->mu);
    while (!p->stopping) {
        int64_t now = mono_now_ms();
        int i, n, timeout = -1;

        if (p->ndead > 0) {
            struct child ch = p->dead[--p->ndead];
            long pid = (long)ch.pid;

            pthread_mutex_unlock(&p->mu);
            discard(&ch);
            log_warnx("warm pool: a child (pid %ld) was found dead or busy when taken "
                      "(status %d); replacing it",
                      pid, ch.status);
            pthread_mutex_lock(&p->mu);
            continue;
        }
        if (p->nidle < p->size && now >= p->retry_at_ms) {
            struct child ch = CHILD_INIT;
            struct err err = ERR_INIT;
            int rc;

            pthread_mutex_unlock(&p->mu);
            rc = child_start(&ch, &p->spec, &err);
            pthread_mutex_lock(&p->mu);
            if (rc == -1) {
                p->st.start_failures++;
                back_off(p);
                log_warnx("warm pool: %s; next try in %lld ms", err.msg,
                          (long long)p->backoff_ms);
                continue;
            }
            p->st.started++;
            if (p->stopping) {
                pthread_mutex_unlock(&p->mu);
                discard(&ch);
                pthread_mutex_lock(&p->mu);
                break;
            }
            p->idle[p->nidle++] = ch;
            continue;
        }
        if (p->nidle < p->size) /* waiting out a back-off: <= WARM_RETRY_MAX_MS */
            timeout = (int)(p->retry_at_ms - now);
        n = 0;
        pfd[n].fd = p->wake[0];
        pfd[n].events = POLLIN;
        pids[n++] = -1;
        for (i = 0; i < p->nidle; i++) {
            pfd[n].fd = p->idle[i].out_fd;
            pfd[n].events = POLLIN;
            pids[n++] = p->idle[i].pid;
        }
        pthread_mutex_unlock(&p->mu);
        /*
         * A child taken meanwhile may have its fds closed and their numbers
         * reused: an event on them is only acted on below if the pid is
         * still idle, and a missed event is caught by take()'s own check.
         */
        if (poll(pfd, (nfds_t)n, timeout) > 0 && (pfd[0].revents & POLLIN)) {
            char drain[64];
            while (read(p->wake[0], drain, sizeof(drain)) > 0)
                ;
        }
        pthread_mutex_lock(&p->mu);
        for (i = 1; i < n && !p->stopping; i++) {
            int j;

            if (pfd[i].revents == 0)
                continue;
            for (j = 0; j < p->nidle; j++) {
                if (p->idle[j].pid == pids[i]) {
                    drop_idle(p, j);
                    break;
                }
            }
        }
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

struct warm_pool *warm_pool_new(const struct child_spec *spec, int size,
                                struct err *err) {
    struct warm_pool *p;
    int i;

    if (size < 1 || size > MAX_WARM || spec == NULL ||
        spec->stdin_fd != CHILD_STDIN_PIPE) {
        err_set(err, 500, "cannot make a warm pool of %d", size);
        return NULL;
    }
    if ((p = calloc(1, sizeof(*p))) == NULL) {
        err_set(err, 500, "out of memory");
        return NULL;
    }
    p->wake[0] = p->wake[1] = -1;
    p->size = size;
    p->st.size = size;
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        free(p);
        err_set(err, 500, "cannot make a warm pool: mutex");
        return NULL;
    }
    if (copy_spec(p, spec) == -1) {
        err_set(err, 500, "out of memory");
        goto fail;
    }
    if (child_pipe(p->wake) == -1 || fcntl(p->wake[0], F_SETFL, O_NONBLOCK) == -1 ||
        fcntl(p->wake[1], F_SETFL, O_NONBLOCK) == -1) {
        err_set(err, 500, "cannot make a warm pool: pipe: %s", strerror(errno));
        goto fail;
    }
    for (i = 0; i < size; i++) {
        struct child ch = CHILD_INIT;

        if (child_start(&ch, &p->spec, err) == -1)
            goto fail;
        p->idle[p->nidle++] = ch;
        p->st.started++;
    }
    wait_loaded(p);
    if (pthread_create(&p->thread, NULL, pool_main, p) != 0) {
        err_set(err, 500, "cannot make a warm pool: no thread");
        goto fail;
    }
    p->thread_live = 1;
    return p;
fail:
    warm_pool_free(p);
    return NULL;
}

int warm_pool_take(struct warm_pool *p, struct child *ch) {
    int got = 0, woke = 0;

    if (p == NULL)
        return -1;
    pthread_mutex_lock(&p->mu);
    while (p->nidle > 0 && !p->stopping) {
        struct child c = p->idle[0];

        memmove(&p->idle[0], &p->idle[1], (size_t)(p->nidle - 1) * sizeof(p->idle[0]));
        p->nidle--;
        woke = 1;
        if (!usable(&c)) {
            p->dead[p->ndead++] = c; /* nidle + ndead <= size: room is certain */
            p->st.discarded++;
            back_off(p);
            continue;
        }
        *ch = c;
        got = 1;
        p->st.taken++;
        p->backoff_ms = 0; /* it lived until it was needed: starts work */
        p->retry_at_ms = 0;
        break;
    }
    if (woke)
        wake(p);
    pthread_mutex_unlock(&p->mu);
    return got ? 0 : -1;
}

void warm_pool_stats(struct warm_pool *p, struct warm_stats *st) {
    memset(st, 0, sizeof(*st));
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    *st = p->st;
    st->idle = p->nidle;
    pthread_mutex_unlock(&p->mu);
}

int warm_pool_idle_pids(struct warm_pool *p, pid_t *pids, int max) {
    int i, n = 0;

    if (p == NULL)
        return 0;
    pthread_mutex_lock(&p->mu);
    for (i = 0; i < p->nidle && n < max; i++)
        pids[n++] = p->idle[i].pid;
    pthread_mutex_unlock(&p->mu);
    return n;
}

void warm_pool_free(struct warm_pool *p) {
    int i;

    if (p == NULL)
        return;
    if (p->thread_live) {
        pthread_mutex_lock(&p->mu);
        p->stopping = 1;
        wake(p);
        pthread_mutex_unlock(&p->mu);
        pthread_join(p->thread, NULL);
    }
    /* SIGTERM to all first, so that their exits overlap */
    for (i = 0; i < p->nidle; i++)
        if (p->idle[i].pid > 0)
            kill(p->idle[i].pid, SIGTERM);
    for (i = 0; i < p->nidle; i++)
        discard(&p->idle[i]);
    for (i = 0; i < p->ndead; i++)
        discard(&p->dead[i]);
    fd_close(&p->wake[0]);
    fd_close(&p->wake[1]);
    pthread_mutex_destroy(&p->mu);
    free(p->argv);
    free(p->envp);
    free(p->strings);
    free(p);
}
