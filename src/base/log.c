/* log.c - see log.h */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "banned.h"

static enum log_level max_level = LOG_LEVEL_INFO;

void log_set_level(enum log_level level) {
    max_level = level;
}

/* Format one line and write it at once, so threads do not interleave. */
static void vlog(enum log_level level, const char *tag, int errnum, const char *fmt,
                 va_list ap) {
    char line[1024];
    size_t len;
    int n;

    if (level > max_level)
        return;
    n = snprintf(line, sizeof(line), "pcapchart: %s", tag);
    len = n < 0 ? 0 : (size_t)n;
    n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
    if (n > 0)
        len += (size_t)n;
    if (len >= sizeof(line) - 64)
        len = sizeof(line) - 64; /* truncated: keep room for errno text */
    if (errnum != 0) {
        n = snprintf(line + len, sizeof(line) - len, ": %s", strerror(errnum));
        if (n > 0)
            len += (size_t)n;
        if (len > sizeof(line) - 2)
            len = sizeof(line) - 2;
    }
    line[len++] = '\n';
    if (write(STDERR_FILENO, line, len) < 0) {
        /* nowhere left to report it */
    }
}

void log_warn(const char *fmt, ...) {
    int saved = errno;
    va_list ap;

    va_start(ap, fmt);
    vlog(LOG_LEVEL_WARN, "warning: ", saved, fmt, ap);
    va_end(ap);
    errno = saved;
}

void log_warnx(const char *fmt, ...) {
    va_list ap;

    va_start(ap, fmt);
    vlog(LOG_LEVEL_WARN, "warning: ", 0, fmt, ap);
    va_end(ap);
}

void log_info(const char *fmt, ...) {
    va_list ap;

    va_start(ap, fmt);
    vlog(LOG_LEVEL_INFO, "", 0, fmt, ap);
    va_end(ap);
}

void log_debug(const char *fmt, ...) {
    va_list ap;

    va_start(ap, fmt);
    vlog(LOG_LEVEL_DEBUG, "debug: ", 0, fmt, ap);
    va_end(ap);
}

void fatalx(const char *fmt, ...) {
    va_list ap;

    va_start(ap, fmt);
    vlog(LOG_LEVEL_WARN, "fatal: ", 0, fmt, ap);
    va_end(ap);
    exit(1);
}

char *log_sanitize(char *dst, size_t n, const char *s) {
    size_t i;

    for (i = 0; i + 1 < n && s != NULL && s[i] != '\0'; i++)
        dst[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (n > 0)
        dst[i] = '\0';
    return dst;
}
