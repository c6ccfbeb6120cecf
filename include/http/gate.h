/*
 * gate.h - the request-head gate in front of libmicrohttpd.
 *
 * The server's listening socket belongs to the gate. One thread accepts
 * each connection and looks at its request head with recv(MSG_PEEK), which
 * consumes nothing, until the head is complete; only then is the socket
 * handed over (to libmicrohttpd, which reads the head again from its first
 * byte). So every connection that reaches libmicrohttpd has sent, within
 * HTTP_HEAD_DEADLINE_S of its accept, a whole request head of at most
 * HTTP_HEAD_MAX_BYTES whose request line has at most HTTP_URI_MAX_BYTES
 * and HTTP_MAX_QUERY_ARGS query arguments. The gate answers the others
 * itself, each logged in one line:
 *   408  the head was not complete HTTP_HEAD_DEADLINE_S after the accept
 *        (a client that sent nothing at all is closed without an answer);
 *   414  a request line longer than HTTP_URI_MAX_BYTES, or with more than
 *        HTTP_MAX_QUERY_ARGS '&'-separated query arguments;
 *   431  a head larger than HTTP_HEAD_MAX_BYTES without its end, or with
 *        more than HTTP_MAX_HEADER_FIELDS header fields;
 * and, once the head is whole, what libmicrohttpd would otherwise answer
 * itself without our headers (gate_vet):
 *   400  a malformed request line or header field, a Content-Length that is
 *        not one decimal number ("-1", two different ones), both
 *        Transfer-Encoding and Content-Length, HTTP/1.1 without one Host;
 *   501  a Transfer-Encoding other than chunked (gzip, "gzip, chunked"...);
 *   505  an HTTP version other than 1.0 and 1.1;
 *   400  (later, from the relay) a chunked body whose framing breaks;
 *   503  (with Retry-After) every head while the server stops (gate_drain).
 * Each answer is a whole HTTP/1.1 response (headers.h: Connection: close,
 * the security headers; a one-line text/plain message), written without
 * blocking; then the gate stops writing, reads and drops what the client
 * still sends for up to GATE_LINGER_MS (a close with unread bytes is a
 * reset, which may destroy the answer before the client reads it), and
 * closes. A client that closes before its head is complete is closed.
 *
 * Limits: at most GATE_MAX_CONNS sockets wait in the gate (more wait in the
 * kernel's backlog until a place frees), at most GATE_MAX_CONNS_PER_IP of
 * them from one address (more from it are closed at once): a few addresses
 * that send nothing hold a small part of the places, never all of them.
 *
 * The gate sees only the first request of a connection: the server closes
 * every connection after one answer, so every request passes it.
 *
 * Threads: gate_start, gate_port, gate_drain and gate_stop from one thread; handover
 * runs on the gate's own thread, one call at a time.
 */
#ifndef GATE_H
#define GATE_H

#include <stddef.h>
#include <sys/socket.h>

#include "base/err.h"

struct gate;

/*
 * Called with each connection whose head passed. Takes fd (it must close it
 * or hand it on, even on failure); addr is borrowed for the call. Returns 0,
 * or -1 after logging why the connection was dropped.
 */
typedef int gate_handover_fn(void *cls, int fd, const struct sockaddr *addr,
                             socklen_t addrlen);

/*
 * Listen on bind:port (a numeric IPv4 or IPv6 address, "" for every IPv4
 * one; port 0 picks a free one) with SO_REUSEADDR, and start the gate's
 * thread, which hands over passing connections to handover(cls, ...).
 * bind is borrowed; handover and cls must stay valid until gate_stop.
 * Returns the gate (owned; end it with gate_stop) or NULL with err (500).
 */
struct gate *gate_start(const char *bind, int port, gate_handover_fn *handover, void *cls,
                        struct err *err);

/* The port bound (the one chosen when gate_start was given 0). */
int gate_port(const struct gate *g);

/*
 * From now on answer every complete head 503 (Retry-After) instead of
 * handing it over; the listening socket stays open. Accepts NULL.
 */
void gate_drain(struct gate *g);

/*
 * Stop the gate's thread (no handover runs after this returns), close the
 * listening socket and every connection still waiting in the gate, free
 * everything. Accepts NULL. Takes g.
 */
void gate_stop(struct gate *g);

/*
 * Judge the first len bytes a client sent (head, borrowed): 1 when they
 * hold a whole request head within the limits above (an empty line ends
 * it, CRLF or bare LF; empty lines before the request line are skipped),
 * 0 when more bytes are needed, -1 with err (414 or 431 and a message for
 * the client) when the head cannot pass whatever follows. A pure function.
 */
int gate_judge(const char *head, size_t len, struct err *err);

/*
 * Vet a whole head (one gate_judge found complete; head borrowed, len bytes,
 * may go on past the head) for what libmicrohttpd would refuse itself (see
 * above): 0 with *chunked 1 for a chunked body (handed over through a
 * relay, relay.h, which checks its framing), or -1 with err (400, 501 or
 * 505 and a message that quotes nothing of the client's). A pure function.
 */
int gate_vet(const char *head, size_t len, int *chunked, struct err *err);

/*
 * The bytes of the head gate_judge found complete in head (len bytes; what
 * follows is the body): through its empty line, leading empty lines included.
 */
size_t gate_head_len(const char *head, size_t len);

#endif
