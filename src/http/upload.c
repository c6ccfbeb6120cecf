/* upload.c - see upload.h */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "base/tmpfile.h"
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
    int fd;

    if ((fd = tmpfile_create(tmpdir, UPLOAD_PREFIX, path, sizeof(path))) == -1) {
        fail_errno(err, 500, "cannot store the upload");
        upload_release(u); /* keeps errno */
        return -1;
    }
    memcpy(u->path, path, strlen(path) + 1); /* both MAX_PATH_BYTES */
    u->fd = fd;
    u->bytes = 0;
    u->max_bytes = max_bytes;
    u->over = 0;
    sha256_init(&u->sha);
    u->digested = 0;
    return 0;
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
        if (w == -1 && (errno == ENOSPC || errno == EDQUOT) && u->room != NULL &&
            u->room(u->room_ctx, u->path, n) > 0)
            continue; /* room was made: write the rest */
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
