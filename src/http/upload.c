/* upload.c - see upload.h */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mkostemp */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "http/upload.h"
#include "banned.h"

/* err_set that keeps errno for the caller's log_warn */
static int fail_errno(struct err *err, int status, const char *msg) {
    int saved = errno;

    err_set(err, status, "%s", msg);
    errno = saved;
    return -1;
}

int upload_prepare_dir(const char *dir, struct err *err) {
    struct stat st;

    /* start-up only (strerror is not thread-safe): the message goes to main */
    if (mkdir(dir, 0700) == -1 && errno != EEXIST)
        return err_set(err, 500, "cannot create temp directory '%s': %s", dir,
                       strerror(errno));
    if (stat(dir, &st) == -1)
        return err_set(err, 500, "cannot use temp directory '%s': %s", dir,
                       strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return err_set(err, 500, "temp directory '%s' is not a directory", dir);
    return 0;
}

int upload_open(struct upload *u, const char *tmpdir, uint64_t max_bytes,
                struct err *err) {
    char path[MAX_PATH_BYTES];
    int fd = -1, n, saved;

    n = snprintf(path, sizeof(path), "%s/" UPLOAD_PREFIX "XXXXXX", tmpdir);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        errno = ENAMETOOLONG;
        fail_errno(err, 500, "cannot store the upload");
        goto fail;
    }
    /* mkostemp creates the file O_EXCL with mode 0600 (less if umask says so) */
    if ((fd = mkostemp(path, O_CLOEXEC)) == -1) {
        fail_errno(err, 500, "cannot store the upload");
        goto fail;
    }
    if (fchmod(fd, S_IRUSR | S_IWUSR) == -1) {
        fail_errno(err, 500, "cannot store the upload");
        goto fail;
    }
    memcpy(u->path, path, (size_t)n + 1);
    u->fd = fd;
    u->bytes = 0;
    u->max_bytes = max_bytes;
    u->over = 0;
    sha256_init(&u->sha);
    u->digested = 0;
    return 0;
fail:
    saved = errno;
    if (fd != -1) {
        close(fd);
        unlink(path);
    }
    upload_release(u);
    errno = saved;
    return -1;
}

int upload_write(struct upload *u, const void *data, size_t n, struct err *err) {
    const char *p = data;
    ssize_t w;

    if (!u->over && u->fd == -1) {
        errno = EBADF;
        return fail_errno(err, 500, "cannot store the upload");
    }
    if (u->over || n > u->max_bytes || u->bytes > u->max_bytes - n) {
        u->over = 1;
        return err_set(err, 413, "upload larger than %llu bytes",
                       (unsigned long long)u->max_bytes);
    }
    while (n > 0) {
        w = write(u->fd, p, n);
        if (w == -1 && errno == EINTR)
            continue;
        if (w == -1 && (errno == ENOSPC || errno == EDQUOT))
            return fail_errno(err, 507, "not enough space to store the upload");
        if (w == -1)
            return fail_errno(err, 500, "cannot store the upload");
        sha256_update(&u->sha, (size_t)w, (const uint8_t *)p);
        p += w;
        n -= (size_t)w;
        u->bytes += (uint64_t)w;
    }
    return 0;
}

const unsigned char *upload_digest(struct upload *u) {
    if (!u->digested) {
        sha256_final(&u->sha, u->digest);
        u->digested = 1;
    }
    return u->digest;
}

int upload_mkstemp(char *tmpl) {
    int fd, saved;

    if ((fd = mkostemp(tmpl, O_CLOEXEC)) == -1)
        return -1;
    if (fchmod(fd, S_IRUSR | S_IWUSR) == -1) {
        saved = errno;
        close(fd);
        unlink(tmpl);
        errno = saved;
        return -1;
    }
    return fd;
}

int upload_close(struct upload *u, struct err *err) {
    int rc;

    if (u->fd == -1)
        return 0;
    rc = close(u->fd);
    u->fd = -1;
    /* close() may report a delayed write error (NFS, quota): the file is incomplete */
    if (rc == -1 && errno != EINTR)
        return fail_errno(err, 500, "cannot store the upload");
    return 0;
}

void upload_release(struct upload *u) {
    int saved = errno;

    if (u->fd != -1)
        close(u->fd);
    if (u->path[0] != '\0')
        unlink(u->path); /* ENOENT: someone cleaned tmpdir; nothing left to do */
    u->fd = -1;
    u->path[0] = '\0';
    u->bytes = 0;
    u->max_bytes = 0;
    u->over = 0;
    u->digested = 0;
    errno = saved;
}
