/* headers.c - see headers.h */
#include <stddef.h>

#include <microhttpd.h>

#include "config.h"
#include "base/buf.h"
#include "http/headers.h"
#include "banned.h"

#define CSP                                                                              \
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; " \
    "script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "    \
    "form-action 'self'"

const struct header HEADERS_SECURITY[] = {
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
    {"Content-Security-Policy", CSP},
    {NULL, NULL},
};

int headers_raw_answer(struct buf *out, int status, const char *ctype, const char *body,
                       size_t len) {
    const char *reason = MHD_get_reason_phrase_for((unsigned)status);
    const struct header *h;

    if (buf_printf(out,
                   "HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Type: %s\r\n"
                   "Content-Length: %zu\r\nCache-Control: no-store\r\n",
                   status, reason != NULL ? reason : "", ctype, len) == -1)
        return -1;
    if (status == 503 && buf_printf(out, "Retry-After: %d\r\n", RETRY_AFTER_S) == -1)
        return -1;
    for (h = HEADERS_SECURITY; h->name != NULL; h++)
        if (buf_printf(out, "%s: %s\r\n", h->name, h->value) == -1)
            return -1;
    if (buf_puts(out, "\r\n") == -1 || buf_append(out, body, len) == -1)
        return -1;
    return 0;
}
