/*
 * err.h - the client-safe error carried up to whoever answers (after git's error()).
 *
 * A function that fails fills a struct err (when the caller passed one) and
 * returns -1 or NULL. Only http.c and main.c turn an err into output. msg is
 * shown to the client as is: never put upload bytes or paths of ours in it.
 */
#ifndef ERR_H
#define ERR_H

#include "config.h"

struct err {
    int status;            /* HTTP status to answer: 400, 413, 422, 500, 503, 504 */
    char msg[ERR_MSG_MAX]; /* one line, no trailing full stop */
};

#define ERR_INIT                                                                         \
    {                                                                                    \
        0, {                                                                             \
            0                                                                            \
        }                                                                                \
    }

/*
 * Record status and a printf-style message in err (which may be NULL; then
 * nothing is recorded). Always returns -1, so `return err_set(...)` both
 * records and fails. A message too long for msg is cut, never overflowed.
 */
int err_set(struct err *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
