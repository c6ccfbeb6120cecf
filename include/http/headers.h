/*
 * headers.h - the headers every answer of ours carries, in one place.
 *
 * http.c adds HEADERS_SECURITY to each libmicrohttpd response; answers
 * written on a socket directly (gate.c's refusals, http.c's mid-body 413)
 * are built whole by headers_raw_answer, with the same headers.
 */
#ifndef HEADERS_H
#define HEADERS_H

#include <stddef.h>

#include "base/buf.h"

struct header {
    const char *name;  /* static */
    const char *value; /* static */
};

/* Content-Security-Policy, X-Content-Type-Options, Referrer-Policy; ends with {NULL,
 * NULL}. */
extern const struct header HEADERS_SECURITY[];

/*
 * Append a complete HTTP/1.1 answer to out: the status line (with its
 * reason phrase), Connection: close, Content-Type ctype, Content-Length,
 * Cache-Control: no-store, Retry-After on a 503, HEADERS_SECURITY, then len
 * bytes of body. ctype
 * and body are borrowed. 0, or -1 when out's cap is reached (out may hold
 * part of the answer then).
 */
int headers_raw_answer(struct buf *out, int status, const char *ctype, const char *body,
                       size_t len);

#endif
