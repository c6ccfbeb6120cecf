/*
 * test_relay.c - the chunk framing checker of the relay (relay.h): bodies
 * that fit pass whole, cut at every byte as they may arrive; each way to
 * break the framing is refused at its first bad byte with a message.
 */
#include <stdio.h>
#include <string.h>

#include "http/gate.h"
#include "http/relay.h"
#include "check.h"
#include "banned.h"

/* The whole of s fed at once, then byte by byte: n fitting, done as said. */
static int fits(const char *s, int done) {
    struct chunked c;
    struct err err = ERR_INIT;
    size_t n = strlen(s), i, got = 0;
    int ok;

    chunked_init(&c);
    ok = chunked_scan(&c, s, n, &err) == n && c.done == done;
    chunked_init(&c);
    for (i = 0; i < n; i++)
        got += chunked_scan(&c, s + i, 1, &err);
    ok = ok && got == n && c.done == done;
    if (!ok)
        fprintf(stderr, "  '%s' did not fit: %s\n", s, err.msg);
    return ok;
}

/* s is refused at byte at (0-based), with a message holding word. */
static int refused(const char *s, size_t at, const char *word) {
    struct chunked c;
    struct err err = ERR_INIT;
    size_t n = strlen(s), got;

    chunked_init(&c);
    got = chunked_scan(&c, s, n, &err);
    if (got != at || err.status != 400 || strstr(err.msg, word) == NULL) {
        fprintf(stderr, "  '%s': stopped at %zu (want %zu): %d %s\n", s, got, at,
                err.status, err.msg);
        return 0;
    }
    /* failed stays failed */
    return chunked_scan(&c, "0\r\n\r\n", 5, &err) == 0;
}

static void test_fits(void) {
    CHECK(fits("0\r\n\r\n", 1));
    CHECK(fits("5\r\nhello\r\n0\r\n\r\n", 1));
    CHECK(fits("5\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n", 1));
    CHECK(fits("5;name=value\r\nhello\r\n0;x\r\n\r\n", 1));
    CHECK(fits("5\nhello\n0\n\n", 1)); /* bare LF, as heads */
    CHECK(fits("5\r\nhello\r\n0\r\nX-Trailer: 1\r\nY: 2\r\n\r\n", 1));
    CHECK(fits("000005\r\nhello\r\n00\r\n\r\n", 1));
    CHECK(fits("ffff\r\n", 0)); /* a large chunk on its way */
    CHECK(fits("5\r\nhel", 0));
    /* bytes after the body are not the checker's */
    CHECK(fits("0\r\n\r\nGET / HTTP/1.1\r\n\r\n", 1));
}

static void test_refused(void) {
    char big[RELAY_LINE_MAX + 16];

    CHECK(refused("zz\r\n", 0, "not a hexadecimal number"));
    CHECK(refused("\r\n", 0, "not a hexadecimal number"));
    CHECK(refused("-5\r\n", 0, "not a hexadecimal number"));
    CHECK(refused("5x\r\n", 1, "not a hexadecimal number"));
    CHECK(refused("5\r\nhello!\r\n", 8, "longer than its chunk size"));
    CHECK(refused("5\r\nhello\rX", 9, "without its line end"));
    CHECK(refused("5\rX", 2, "without its line end"));
    CHECK(refused("11111111111111111\r\n", 16, "more than 16 hex digits"));
    CHECK(refused("5;a\001b\r\n", 3, "control character"));
    CHECK(refused("0\r\nX: 1\rX", 8, "trailer field without its line end"));
    CHECK(refused("0\r\n\rX", 4, "without its empty line"));
    memset(big, 'a', sizeof(big));
    memcpy(big, "5;", 2);
    big[sizeof(big) - 1] = '\0';
    CHECK(refused(big, RELAY_LINE_MAX, "too long"));
}

static void test_head_len(void) {
    static const char h[] = "POST / HTTP/1.1\r\nHost: a\r\n\r\n5\r\n";
    static const char lf[] = "\r\nGET / HTTP/1.0\nA: b\n\nbody";

    CHECK(gate_head_len(h, strlen(h)) == strlen(h) - 3);
    CHECK(gate_head_len(lf, strlen(lf)) == strlen(lf) - 4);
}

int main(void) {
    test_fits();
    test_refused();
    test_head_len();
    return CHECK_DONE();
}
