/*
 * relay.h - chunked request bodies checked before libmicrohttpd sees them.
 *
 * libmicrohttpd answers a malformed chunked body (a chunk size that is not
 * hex, a chunk without its CRLF) itself, with a 400 of its own that carries
 * none of our headers. The gate hands a connection whose head says
 * `Transfer-Encoding: chunked` over through a relay instead: a socketpair
 * whose other end goes to libmicrohttpd (with the client's address), and a
 * thread of its own that copies both ways and checks the chunk framing of
 * what the client sends (RFC 9112 section 7.1) before passing it on:
 *
 *   chunk      = 1*16HEXDIG [ ";" ext ] CRLF data CRLF
 *   last-chunk = 1*16"0"  [ ";" ext ] CRLF *(trailer-field CRLF) CRLF
 *
 * (a chunk-size line or trailer line at most RELAY_LINE_MAX bytes, bare LF
 * taken as CRLF, as the gate takes it in heads). The first byte that breaks
 * the framing ends the relay: libmicrohttpd's side is closed (the request
 * ends there, its upload is removed) and, when libmicrohttpd has not
 * started an answer yet, the client gets our 400 (headers_raw_answer) with
 * a message that says what was wrong, then the connection is closed after
 * a linger (GATE_LINGER_MS), as the gate closes what it refuses.
 *
 * At most RELAY_MAX relays run at once (the gate answers 503 past that);
 * each holds two buffers of RELAY_BUF_BYTES. A relay ends when both sides
 * are done, when libmicrohttpd closes its end (its own deadlines stand), or
 * after RELAY_IDLE_MS without a byte either way.
 *
 * Threads: relay_start from the gate's thread; each relay runs detached.
 */
#ifndef HTTP_RELAY_H
#define HTTP_RELAY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/err.h"

/* The chunk framing checker, fed the bytes a client sends after its head. */
struct chunked {
    int state;       /* where in the framing (see relay.c) */
    uint64_t left;   /* bytes of chunk data still to come */
    unsigned digits; /* hex digits of the chunk size so far */
    size_t line;     /* bytes of the current size or trailer line */
    int done;        /* the last chunk and the trailers have passed */
};

void chunked_init(struct chunked *c);

/*
 * Check n more bytes (borrowed). n when they all fit the framing (bytes
 * after its end are not looked at: they are counted as fitting), else the
 * count of those before the first that does not, with err (400, a message
 * for the client) set. Once it failed, it stays failed (0 with err).
 */
size_t chunked_scan(struct chunked *c, const char *d, size_t n, struct err *err);

/*
 * Relay the client connection fd (taken; the gate has peeked its head of
 * head_len bytes, not read it) to libmicrohttpd through handover(cls, ...),
 * as gate.h's handover takes a socket. 0 when the relay runs (fd is its
 * own), or -1 with err (503 when RELAY_MAX relays run, 500 otherwise) and fd
 * left to the caller.
 */
int relay_start(int fd, size_t head_len, const struct sockaddr *addr, socklen_t addrlen,
                int (*handover)(void *, int, const struct sockaddr *, socklen_t),
                void *cls, struct err *err);

/* Relays running now. */
int relay_count(void);

#endif
