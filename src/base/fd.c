/* fd.c - see fd.h */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "base/fd.h"
#include "banned.h"

void fd_close(int *fd) {
    int saved = errno;

    if (*fd >= 0) {
        close(*fd); /* EINTR still closed it on Linux: never retry */
        *fd = -1;
    }
    errno = saved;
}

int fd_above_stdio(int *fd) {
    int nfd;

    if (*fd > STDERR_FILENO)
        return 0;
    if ((nfd = fcntl(*fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1)) == -1)
        return -1;
    close(*fd);
    *fd = nfd;
    return 0;
}
