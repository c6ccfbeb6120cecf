/* err.c - see err.h */
#include <stdarg.h>
#include <stdio.h>

#include "base/err.h"
#include "banned.h"

int err_set(struct err *err, int status, const char *fmt, ...) {
    va_list ap;

    if (err == NULL)
        return -1;
    err->status = status;
    va_start(ap, fmt);
    if (vsnprintf(err->msg, sizeof(err->msg), fmt, ap) < 0)
        err->msg[0] = '\0';
    va_end(ap);
    return -1;
}
