/* store.c - see store.h */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/tmpfile.h"
#include "store/store.h"
#include "banned.h"

#define LOCK_NAME ".lock"
#define TMP_PREFIX ".in-" /* copies being written; never a valid id */

enum why { GONE_EXPIRED = 1, GONE_EVICTED };

struct store_ref {
    unsigned char id[SHA256_BYTES];
    uint64_t bytes;
    int64_t used_ms; /* last use: put, or release of the last view */
    unsigned refs;   /* views running on it */
    int live;        /* the slot holds an entry */
};

struct gone {
    unsigned char id[SHA256_BYTES];
    enum why why;
};

struct store {
    char dir[MAX_PATH_BYTES];
    uint64_t max_bytes;
    int ttl_s;
    int64_t ttl_ms;
    int created; /* store_open made dir */
    int lock_fd;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t sweeper;
    int sweeping; /* the thread runs */
    int stop;
    struct store_ref *entries; /* STORE_MAX_ENTRIES slots */
    size_t nentries;
    uint64_t bytes;
    struct gone *gone; /* ring of STORE_MAX_GONE */
    size_t ngone, gone_next;
};

/* dir/name into dst (n bytes). 0, or -1 when it does not fit. */
static int join(char *dst, size_t n, const char *dir, const char *name) {
    int len = snprintf(dst, n, "%s/%s", dir, name);

    return len < 0 || (size_t)len >= n ? -1 : 0;
}

static int entry_path(const struct store *st, const unsigned char id[SHA256_BYTES],
                      char *dst, size_t n) {
    char hex[SHA256_HEX_BYTES];

    return join(dst, n, st->dir, sha256_hex(id, hex));
}

static int is_store_name(const char *name) {
    size_t i, len = strlen(name);

    if (strncmp(name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0)
        return 1;
    if (len != 2 * SHA256_BYTES)
        return 0;
    for (i = 0; i < len; i++)
        if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
            return 0;
    return 1;
}

/* Remove the store's files from dir (not .lock, not anything else). */
static void wipe(const char *dir) {
    char path[MAX_PATH_BYTES];
    struct dirent *de;
    DIR *d;

    if ((d = opendir(dir)) == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        if (!is_store_name(de->d_name) || join(path, sizeof(path), dir, de->d_name) == -1)
            continue;
        if (unlink(path) == -1 && errno != ENOENT)
            log_warn("store: cannot remove '%s'", path);
    }
    closedir(d);
}

/* ---- entries (st->mu held) ---- */

static struct store_ref *find(struct store *st, const unsigned char id[SHA256_BYTES]) {
    size_t i;

    for (i = 0; i < STORE_MAX_ENTRIES; i++)
        if (st->entries[i].live && memcmp(st->entries[i].id, id, SHA256_BYTES) == 0)
            return &st->entries[i];
    return NULL;
}

static const struct gone *find_gone(const struct store *st,
                                    const unsigned char id[SHA256_BYTES]) {
    size_t i, k;

    /* newest first: the latest reason wins */
    for (i = 0; i < st->ngone; i++) {
        k = (st->gone_next + STORE_MAX_GONE - 1 - i) % STORE_MAX_GONE;
        if (memcmp(st->gone[k].id, id, SHA256_BYTES) == 0)
            return &st->gone[k];
    }
    return NULL;
}

static void remove_entry(struct store *st, struct store_ref *e, enum why why) {
    char path[MAX_PATH_BYTES], hex[SHA256_HEX_BYTES];

    if (entry_path(st, e->id, path, sizeof(path)) == 0 && unlink(path) == -1 &&
        errno != ENOENT)
        log_warn("store: cannot remove '%s'", path);
    log_debug("store: %.12s %s (%" PRIu64 " bytes)", sha256_hex(e->id, hex),
              why == GONE_EXPIRED ? "expired" : "evicted", e->bytes);
    memcpy(st->gone[st->gone_next].id, e->id, SHA256_BYTES);
    st->gone[st->gone_next].why = why;
    st->gone_next = (st->gone_next + 1) % STORE_MAX_GONE;
    if (st->ngone < STORE_MAX_GONE)
        st->ngone++;
    st->bytes -= e->bytes;
    st->nentries--;
    memset(e, 0, sizeof(*e));
}

static int expired(const struct store *st, const struct store_ref *e, int64_t now_ms) {
    return e->refs == 0 && now_ms - e->used_ms > st->ttl_ms;
}

static void sweep_locked(struct store *st, int64_t now_ms) {
    size_t i;

    for (i = 0; i < STORE_MAX_ENTRIES; i++)
        if (st->entries[i].live && expired(st, &st->entries[i], now_ms))
            remove_entry(st, &st->entries[i], GONE_EXPIRED);
}

static struct store_ref *lru_unused(struct store *st, const struct store_ref *keep);

/*
 * Evict unused entries, least recently used first, until one more entry of
 * need bytes fits. 0, or -1 when the entries in use leave no room.
 */
static int make_room(struct store *st, uint64_t need) {
    struct store_ref *lru;

    while (st->nentries >= STORE_MAX_ENTRIES || st->bytes + need > st->max_bytes) {
        if ((lru = lru_unused(st, NULL)) == NULL)
            return -1;
        remove_entry(st, lru, GONE_EVICTED);
    }
    return 0;
}

/* The bytes free to us on the file system of path, and its size; -1 when unknown. */
static int disk_space(const char *path, uint64_t *avail, uint64_t *total) {
    struct statvfs vfs;

    if (statvfs(path, &vfs) == -1)
        return -1;
    *avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
    *total = (uint64_t)vfs.f_blocks * vfs.f_frsize;
    return 0;
}

/* The least recently used entry not in use, other than keep (may be NULL); or NULL. */
static struct store_ref *lru_unused(struct store *st, const struct store_ref *keep) {
    struct store_ref *lru = NULL;
    size_t i;

    for (i = 0; i < STORE_MAX_ENTRIES; i++) {
        struct store_ref *e = &st->entries[i];

        if (e->live && e->refs == 0 && e != keep &&
            (lru == NULL || e->used_ms < lru->used_ms))
            lru = e;
    }
    return lru;
}

/* The free space the store leaves on a file system of total bytes. */
static uint64_t floor_of(uint64_t total) {
    uint64_t f = total / 100 * STORE_MIN_FREE_PERCENT;

    return f < STORE_MIN_FREE_BYTES ? f : STORE_MIN_FREE_BYTES;
}

/*
 * Evict unused entries other than keep, least recently used first, while
 * the file system has less than need bytes plus its floor free. Returns how
 * many were evicted.
 */
static int free_disk_locked(struct store *st, uint64_t need,
                            const struct store_ref *keep) {
    uint64_t avail, total;
    struct store_ref *lru;
    int n = 0;

    while (disk_space(st->dir, &avail, &total) == 0 && avail < need + floor_of(total) &&
           (lru = lru_unused(st, keep)) != NULL) {
        remove_entry(st, lru, GONE_EVICTED);
        n++;
    }
    return n;
}

static void add_entry(struct store *st, const unsigned char id[SHA256_BYTES],
                      uint64_t bytes, int64_t now_ms) {
    size_t i;

    for (i = 0; i < STORE_MAX_ENTRIES; i++) {
        if (!st->entries[i].live)
            break;
    }
    /* make_room() left a free slot */
    memcpy(st->entries[i].id, id, SHA256_BYTES);
    st->entries[i].bytes = bytes;
    st->entries[i].used_ms = now_ms;
    st->entries[i].refs = 0;
    st->entries[i].live = 1;
    st->nentries++;
    st->bytes += bytes;
}

/* ---- the sweeper thread ---- */

static int64_t sweep_period_ms(const struct store *st) {
    int64_t p = st->ttl_ms / 4;

    return p < STORE_SWEEP_MIN_MS   ? STORE_SWEEP_MIN_MS
           : p > STORE_SWEEP_MAX_MS ? STORE_SWEEP_MAX_MS
                                    : p;
}

static void *sweeper(void *arg) {
    struct store *st = arg;
    struct timespec ts;
    int64_t ms;

    pthread_mutex_lock(&st->mu);
    while (!st->stop) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ms = sweep_period_ms(st);
        ts.tv_sec += (time_t)(ms / 1000);
        ts.tv_nsec += (long)(ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        /* an early or spurious wake-up only sweeps sooner */
        pthread_cond_timedwait(&st->cv, &st->mu, &ts);
        if (!st->stop) {
            sweep_locked(st, mono_now_ms());
            free_disk_locked(st, 0, NULL);
        }
    }
    pthread_mutex_unlock(&st->mu);
    return NULL;
}

/* ---- lifecycle ---- */

/* The directory: ours, a real directory, writable by nobody else. */
static int check_dir(struct store *st, struct err *err) {
    struct stat sb;

    if (mkdir(st->dir, 0700) == 0)
        st->created = 1;
    else if (errno != EEXIST)
        return err_set(err, 500, "cannot create store directory '%s': %s", st->dir,
                       strerror(errno));
    if (lstat(st->dir, &sb) == -1)
        return err_set(err, 500, "cannot use store directory '%s': %s", st->dir,
                       strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return err_set(err, 500, "store directory '%s' is not a directory", st->dir);
    if (sb.st_uid != geteuid() || (sb.st_mode & 022) != 0)
        return err_set(err, 500,
                       "store directory '%s' must belong to this user and be writable "
                       "by nobody else",
                       st->dir);
    return 0;
}

static int lock_dir(struct store *st, struct err *err) {
    char path[MAX_PATH_BYTES];
    struct flock fl;

    if (join(path, sizeof(path), st->dir, LOCK_NAME) == -1)
        return err_set(err, 500, "store directory path too long: '%s'", st->dir);
    st->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (st->lock_fd == -1)
        return err_set(err, 500, "cannot create '%s': %s", path, strerror(errno));
    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(st->lock_fd, F_SETLK, &fl) == -1) {
        if (errno == EACCES || errno == EAGAIN)
            return err_set(err, 500, "store directory '%s' is in use by another server",
                           st->dir);
        return err_set(err, 500, "cannot lock '%s': %s", path, strerror(errno));
    }
    return 0;
}

/*
 * The store plans to take at most STORE_DISK_SHARE_PERCENT of the space its
 * file system has free at start: the rest is for uploads in flight.
 */
static void cap_to_disk(struct store *st) {
    uint64_t avail, total, share;

    if (disk_space(st->dir, &avail, &total) == -1)
        return;
    share = avail / 100 * STORE_DISK_SHARE_PERCENT;
    if (st->max_bytes <= share)
        return;
    log_info("store: at most %" PRIu64 " bytes (%d%% of the %" PRIu64
             " free in '%s'), not %" PRIu64,
             share, STORE_DISK_SHARE_PERCENT, avail, st->dir, st->max_bytes);
    st->max_bytes = share;
}

struct store *store_open(const char *dir, uint64_t max_bytes, int ttl_s,
                         struct err *err) {
    pthread_condattr_t ca;
    struct store *st;
    int n, ca_live = 0, mu_live = 0, cv_live = 0;

    if ((st = calloc(1, sizeof(*st))) == NULL) {
        err_set(err, 500, "out of memory");
        return NULL;
    }
    st->lock_fd = -1;
    st->max_bytes = max_bytes;
    st->ttl_s = ttl_s > 0 ? ttl_s : 1;
    st->ttl_ms = (int64_t)st->ttl_s * 1000;
    /* room for "/<64 hex>" and "/.in-XXXXXX" after dir */
    n = snprintf(st->dir, sizeof(st->dir), "%s", dir);
    if (n <= 0 || (size_t)n + 2 + 2 * SHA256_BYTES >= sizeof(st->dir)) {
        err_set(err, 500, "store directory path empty or too long: '%s'", dir);
        goto fail;
    }
    while (n > 1 && st->dir[n - 1] == '/')
        st->dir[--n] = '\0';
    st->entries = calloc(STORE_MAX_ENTRIES, sizeof(*st->entries));
    st->gone = calloc(STORE_MAX_GONE, sizeof(*st->gone));
    if (st->entries == NULL || st->gone == NULL) {
        err_set(err, 500, "out of memory");
        goto fail;
    }
    if (check_dir(st, err) == -1 || lock_dir(st, err) == -1)
        goto fail;
    wipe(st->dir);
    cap_to_disk(st);
    if (pthread_condattr_init(&ca) != 0)
        goto fail_thread;
    ca_live = 1;
    if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
        pthread_mutex_init(&st->mu, NULL) != 0)
        goto fail_thread;
    mu_live = 1;
    if (pthread_cond_init(&st->cv, &ca) != 0)
        goto fail_thread;
    cv_live = 1;
    if (pthread_create(&st->sweeper, NULL, sweeper, st) != 0)
        goto fail_thread;
    st->sweeping = 1;
    pthread_condattr_destroy(&ca);
    return st;
fail_thread:
    err_set(err, 500, "cannot start the store's sweeper thread");
fail:
    if (ca_live)
        pthread_condattr_destroy(&ca);
    if (cv_live)
        pthread_cond_destroy(&st->cv);
    if (mu_live)
        pthread_mutex_destroy(&st->mu);
    if (st->lock_fd != -1)
        close(st->lock_fd);
    if (st->created)
        rmdir(st->dir); /* may hold .lock: then it stays, empty but for that */
    free(st->entries);
    free(st->gone);
    free(st);
    return NULL;
}

void store_close(struct store *st) {
    char path[MAX_PATH_BYTES];

    if (st == NULL)
        return;
    if (st->sweeping) {
        pthread_mutex_lock(&st->mu);
        st->stop = 1;
        pthread_cond_signal(&st->cv);
        pthread_mutex_unlock(&st->mu);
        pthread_join(st->sweeper, NULL);
        pthread_cond_destroy(&st->cv);
        pthread_mutex_destroy(&st->mu);
    }
    wipe(st->dir);
    if (join(path, sizeof(path), st->dir, LOCK_NAME) == 0)
        unlink(path);
    if (st->lock_fd != -1)
        close(st->lock_fd);
    if (st->created && rmdir(st->dir) == -1)
        log_warn("store: cannot remove '%s'", st->dir);
    free(st->entries);
    free(st->gone);
    free(st);
}

const char *store_dir(const struct store *st) {
    return st->dir;
}

uint64_t store_max(const struct store *st) {
    return st->max_bytes;
}

int store_ttl(const struct store *st) {
    return st->ttl_s;
}

/* ---- put ---- */

/*
 * Copy src into a new private file of the store; its path into tmp (n
 * bytes). 0, or -1 with err (507 when the disk is full, 500 otherwise) and
 * nothing left behind.
 */
static int copy_in(const struct store *st, const char *src, char *tmp, size_t n,
                   struct err *err) {
    char *chunk = NULL;
    int in = -1, out = -1;
    ssize_t r, w, off;

    tmp[0] = '\0';
    if ((chunk = malloc(STORE_COPY_CHUNK_BYTES)) == NULL) {
        err_set(err, 500, "out of memory");
        goto fail;
    }
    if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1) {
        err_set(err, 500, "cannot copy the capture into the store: %s", strerror(errno));
        goto fail;
    }
    if ((out = tmpfile_create(st->dir, TMP_PREFIX, tmp, n)) == -1) {
        err_set(err, 500, "cannot copy the capture into the store: %s", strerror(errno));
        goto fail;
    }
    for (;;) {
        r = read(in, chunk, STORE_COPY_CHUNK_BYTES);
        if (r == -1 && errno == EINTR)
            continue;
        if (r == -1) {
            err_set(err, 500, "cannot copy the capture into the store: %s",
                    strerror(errno));
            goto fail;
        }
        if (r == 0)
            break;
        for (off = 0; off < r; off += w) {
            w = write(out, chunk + off, (size_t)(r - off));
            if (w == -1 && errno == EINTR) {
                w = 0;
                continue;
            }
            if (w == -1) {
                err_set(err, errno == ENOSPC ? 507 : 500,
                        "cannot copy the capture into the store: %s", strerror(errno));
                goto fail;
            }
        }
    }
    if (close(out) == -1) {
        out = -1;
        err_set(err, 500, "cannot copy the capture into the store: %s", strerror(errno));
        goto fail;
    }
    close(in);
    free(chunk);
    return 0;
fail:
    if (in != -1)
        close(in);
    if (out != -1)
        close(out);
    if (tmp[0] != '\0')
        unlink(tmp);
    tmp[0] = '\0';
    free(chunk);
    return -1;
}

/* The entry is already there: refresh it. 1 if so, else 0. (st->mu held) */
static int refresh(struct store *st, const unsigned char id[SHA256_BYTES]) {
    struct store_ref *e = find(st, id);

    if (e == NULL)
        return 0;
    e->used_ms = mono_now_ms();
    return 1;
}

int store_put(struct store *st, const char *src, const unsigned char id[SHA256_BYTES],
              struct err *err) {
    char path[MAX_PATH_BYTES], tmp[MAX_PATH_BYTES];
    struct stat sb;
    uint64_t bytes;
    int rc = -1, saved;

    if (entry_path(st, id, path, sizeof(path)) == -1)
        return err_set(err, 500, "store path too long");
    if (stat(src, &sb) == -1 || !S_ISREG(sb.st_mode))
        return err_set(err, 500, "cannot read the capture to store it");
    bytes = (uint64_t)sb.st_size;
    if (bytes > st->max_bytes)
        return err_set(err, 507, "capture of %" PRIu64 " bytes larger than the store",
                       bytes);

    pthread_mutex_lock(&st->mu);
    if (refresh(st, id)) {
        rc = 0;
        goto out;
    }
    if (make_room(st, bytes) == -1) {
        err_set(err, 507, "no room in the store: the captures in use fill it");
        goto out;
    }
    /* a hard link costs no copy; the upload's own name goes away with its request */
    if (link(src, path) == 0) {
        /* the inode is the upload's (0600 already); make sure of the mode */
        chmod(path, 0600);
        add_entry(st, id, bytes, mono_now_ms());
        rc = 0;
        goto kept;
    }
    saved = errno;
    if (saved != EXDEV && saved != EPERM && saved != EMLINK && saved != ENOTSUP &&
        saved != EOPNOTSUPP) {
        err_set(err, saved == ENOSPC ? 507 : 500, "cannot keep the capture: %s",
                strerror(saved));
        goto out;
    }
    pthread_mutex_unlock(&st->mu);

    /* another file system: copy without holding the lock, then rename in place */
    if (copy_in(st, src, tmp, sizeof(tmp), err) == -1)
        return -1;
    pthread_mutex_lock(&st->mu);
    if (refresh(st, id)) {
        unlink(tmp);
        rc = 0;
        goto out;
    }
    if (make_room(st, bytes) == -1) {
        unlink(tmp);
        err_set(err, 507, "no room in the store: the captures in use fill it");
        goto out;
    }
    if (rename(tmp, path) == -1) {
        err_set(err, 500, "cannot keep the capture: %s", strerror(errno));
        unlink(tmp);
        goto out;
    }
    add_entry(st, id, bytes, mono_now_ms());
    rc = 0;
kept:
    /* the next upload needs room on the disk too: the oldest make way */
    free_disk_locked(st, 0, find(st, id));
out:
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int store_free_disk(struct store *st, const char *path, uint64_t need) {
    struct stat a, b;
    int n;

    /* evicting frees nothing on another file system */
    if (stat(path, &a) == -1 || stat(st->dir, &b) == -1 || a.st_dev != b.st_dev)
        return 0;
    pthread_mutex_lock(&st->mu);
    n = free_disk_locked(st, need, NULL);
    pthread_mutex_unlock(&st->mu);
    if (n > 0)
        log_info("store: %d kept captures evicted to free disk space", n);
    return n;
}

/* ---- views ---- */

/* "1 hour", "90 minutes", "45 seconds" */
static void fmt_ttl(char *dst, size_t n, int s) {
    if (s % 3600 == 0)
        snprintf(dst, n, "%d hour%s", s / 3600, s == 3600 ? "" : "s");
    else if (s % 60 == 0)
        snprintf(dst, n, "%d minute%s", s / 60, s == 60 ? "" : "s");
    else
        snprintf(dst, n, "%d second%s", s, s == 1 ? "" : "s");
}

int store_acquire(struct store *st, const unsigned char id[SHA256_BYTES],
                  struct store_ref **ref, char *path, size_t n, struct err *err) {
    char hex[SHA256_HEX_BYTES], ttl[32];
    const struct gone *g;
    struct store_ref *e;
    int64_t now = mono_now_ms();
    int rc = -1;

    *ref = NULL;
    if (entry_path(st, id, path, n) == -1)
        return err_set(err, 500, "store path too long");
    sha256_hex(id, hex);
    fmt_ttl(ttl, sizeof(ttl), st->ttl_s);
    pthread_mutex_lock(&st->mu);
    if ((e = find(st, id)) != NULL && expired(st, e, now))
        remove_entry(st, e, GONE_EXPIRED);
    else if (e != NULL) {
        e->refs++;
        e->used_ms = now;
        *ref = e;
        rc = 0;
        goto out;
    }
    if ((g = find_gone(st, id)) != NULL && g->why == GONE_EXPIRED)
        err_set(err, 410,
                "capture %.12s expired: the server deletes a capture %s after its last "
                "use; upload the file again",
                hex, ttl);
    else if (g != NULL)
        err_set(err, 410,
                "capture %.12s was deleted to make room for newer uploads; upload the "
                "file again",
                hex);
    else
        err_set(err, 404,
                "no capture %.12s on this server (captures are kept %s after their last "
                "use, and not across restarts); upload the file again",
                hex, ttl);
out:
    pthread_mutex_unlock(&st->mu);
    return rc;
}

void store_release(struct store *st, struct store_ref *ref) {
    if (ref == NULL)
        return;
    pthread_mutex_lock(&st->mu);
    if (ref->refs > 0)
        ref->refs--;
    ref->used_ms = mono_now_ms();
    pthread_mutex_unlock(&st->mu);
}

void store_sweep(struct store *st, int64_t now_ms) {
    pthread_mutex_lock(&st->mu);
    sweep_locked(st, now_ms);
    pthread_mutex_unlock(&st->mu);
}

void store_stats(struct store *st, size_t *entries, uint64_t *bytes) {
    pthread_mutex_lock(&st->mu);
    if (entries != NULL)
        *entries = st->nentries;
    if (bytes != NULL)
        *bytes = st->bytes;
    pthread_mutex_unlock(&st->mu);
}
