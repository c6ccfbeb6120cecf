/*
 * log.h - one-line leveled logging to stderr (after OpenBSD httpd's log.c).
 *
 * Messages are lower case, without a full stop, and quote their subject.
 * Thread-safe: each call writes one line with a single write(2).
 */
#ifndef LOG_H
#define LOG_H

#include <stddef.h>

enum log_level { LOG_LEVEL_WARN = 0, LOG_LEVEL_INFO = 1, LOG_LEVEL_DEBUG = 2 };

/* Set the most verbose level printed (default LOG_LEVEL_INFO). */
void log_set_level(enum log_level level);

/* Warning followed by ": strerror(errno)". */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Warning without errno. */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Copy s (borrowed; NULL: "") into dst (n bytes) for a log line: printable
 * ASCII only (anything else becomes '?'), cut to fit. Returns dst.
 */
char *log_sanitize(char *dst, size_t n, const char *s);

/* Start-up only: log and exit(1). */
_Noreturn void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
