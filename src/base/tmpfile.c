/* tmpfile.c - see tmpfile.h */
#define _GNU_SOURCE /* mkostemp: a CLOEXEC fd from birth, no window for a fork */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/tmpfile.h"
#include "banned.h"

int tmpfile_create(const char *dir, const char *prefix, char *path, size_t n) {
    int fd = -1, k, saved;

    k = snprintf(path, n, "%s/%sXXXXXX", dir, prefix);
    if (k < 0 || (size_t)k >= n) {
        errno = ENAMETOOLONG;
        goto fail;
    }
    /* mkostemp creates the file O_EXCL with mode 0600 (less if umask says so) */
    if ((fd = mkostemp(path, O_CLOEXEC)) == -1)
        goto fail;
    if (fchmod(fd, S_IRUSR | S_IWUSR) == -1) /* exactly 0600, whatever the umask */
        goto fail;
    return fd;
fail:
    saved = errno;
    if (fd != -1) {
        close(fd);
        unlink(path);
    }
    if (n > 0)
        path[0] = '\0';
    errno = saved;
    return -1;
}
