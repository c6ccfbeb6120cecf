/*
 * buf.h - growable byte buffer with a hard cap (after git's strbuf).
 *
 * The only growable string type. data is always NUL-terminated once anything
 * was appended (data may be NULL before). An append that would pass max
 * fails with -1 and errno E2BIG, leaving the buffer as it was.
 */
#ifndef BUF_H
#define BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data; /* owned */
    size_t len; /* bytes used, not counting the NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* hard cap of len */
};

#define BUF_INIT(maxbytes)                                                               \
    { NULL, 0, 0, (maxbytes) }

/* Reset to empty with a new cap. Contents must have been released. */
void buf_init(struct buf *b, size_t max);
/* Free the contents; the buf is empty and reusable. Accepts BUF_INIT. */
void buf_release(struct buf *b);
/* Drop the contents but keep the memory. */
void buf_reset(struct buf *b);
/* Make room for n more bytes. -1 (E2BIG or ENOMEM) on failure. */
int buf_grow(struct buf *b, size_t n);
/* Append n bytes of p (borrowed). 0 or -1. */
int buf_append(struct buf *b, const void *p, size_t n);
/* Append a NUL-terminated string (borrowed). 0 or -1. */
int buf_puts(struct buf *b, const char *s);
/* printf into the buffer. 0 or -1. */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Remove the first n bytes (n <= len), moving the rest to the front. */
void buf_consume(struct buf *b, size_t n);
/*
 * Hand over the bytes: returns data (owned by the caller, NUL-terminated,
 * never NULL unless out of memory) and stores the length in *len if len is
 * not NULL. The buf is reset to empty with the same max.
 */
char *buf_detach(struct buf *b, size_t *len);

#endif
