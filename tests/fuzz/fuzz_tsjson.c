/*
 * fuzz_tsjson.c - libFuzzer harness of the streaming tshark JSON parser.
 *
 * Input: a 4-byte header, then the bytes "tshark printed".
 *   header[0], header[1]  seed of the chunk sizes (xorshift)
 *   header[2]             largest chunk: 1 << (header[2] % 13) bytes
 *   header[3]             the callback stops after this many packets (0: never)
 * The payload is fed twice: whole in one tsjson_feed, and cut into the chunks
 * the header picks. Both runs must agree on every packet, on where they
 * stopped or failed, and on tsjson_finish; a failure must be 502 (or 500 for
 * memory) with a message; after a failure or a stop, feeding again must not
 * deliver more packets. Any disagreement aborts (a crash for libFuzzer).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tshark/tsjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RECORDED 4096

struct run {
    uint64_t stop_after; /* 0: never */
    uint64_t calls;
    uint64_t hash; /* of every packet delivered, in order */
    int rc_feed;   /* last tsjson_feed result */
    int rc_finish;
    int status; /* err.status of the failure, 0 if none */
};

static int on_pkt(void *ctx, const struct pkt *p, struct err *err) {
    struct run *r = ctx;
    const uint64_t v[5] = {p->number, (uint64_t)p->t_ns, p->len, (uint64_t)p->has_time,
                           (uint64_t)p->has_len};
    size_t i;

    (void)err;
    r->calls++;
    for (i = 0; i < 5; i++)
        r->hash = (r->hash ^ v[i]) * 0x100000001b3ULL; /* FNV-1a style */
    if (r->stop_after != 0 && r->calls >= r->stop_after)
        return 1;
    return 0;
}

static void die(const char *what, const struct run *a, const struct run *b) {
    fprintf(stderr,
            "fuzz_tsjson: %s\n  whole:   feed %d finish %d status %d calls %llu\n"
            "  chunked: feed %d finish %d status %d calls %llu\n",
            what, a->rc_feed, a->rc_finish, a->status, (unsigned long long)a->calls,
            b->rc_feed, b->rc_finish, b->status, (unsigned long long)b->calls);
    abort();
}

/* Feed payload in chunks from the header's plan (chunk == 0: all at once). */
static void run_one(struct run *r, const uint8_t *hdr, const char *payload, size_t n,
                    int chunked) {
    struct tsjson p;
    struct err err = ERR_INIT;
    uint32_t x = ((uint32_t)hdr[0] << 8 | hdr[1]) | 0x10000u; /* never 0 */
    size_t maxchunk = (size_t)1 << (hdr[2] % 13), off = 0, c;
    int rc = 0;

    memset(r, 0, sizeof(*r));
    r->stop_after = hdr[3];
    r->hash = 0xcbf29ce484222325ULL;
    tsjson_init(&p);
    while (off < n && rc == 0) {
        if (chunked) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            c = 1 + x % maxchunk;
            if (c > n - off)
                c = n - off;
        } else {
            c = n - off;
        }
        rc = tsjson_feed(&p, payload + off, c, on_pkt, r, &err);
        off += c;
    }
    r->rc_feed = rc;
    if (rc == -1) {
        uint64_t before = r->calls;
        struct err again = ERR_INIT;

        r->status = err.status;
        if (err.msg[0] == '\0' || (err.status != 502 && err.status != 500))
            die("a failure without 502/500 and a message", r, r);
        /* a failed parser stays failed and delivers nothing more */
        if (tsjson_feed(&p, "[]", 2, on_pkt, r, &again) != -1 || r->calls != before)
            die("feeding after a failure did not fail", r, r);
    }
    if (rc == 1) {
        uint64_t before = r->calls;
        if (tsjson_feed(&p, payload, n, on_pkt, r, &err) != 1 || r->calls != before)
            die("feeding after a stop delivered more", r, r);
    }
    r->rc_finish = tsjson_finish(&p, &err);
    if (p.elements != r->calls)
        die("elements differs from the callback count", r, r);
    if (rc == 1 && r->rc_finish != 0)
        die("finish after a stop is not 0", r, r);
    if (rc == -1 && r->rc_finish != -1)
        die("finish after a failure is not -1", r, r);
    tsjson_release(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct run whole, chunked;
    const char *payload;
    size_t n;

    if (size < 4)
        return 0;
    payload = (const char *)data + 4;
    n = size - 4;
    run_one(&whole, data, payload, n, 0);
    run_one(&chunked, data, payload, n, 1);
    if (whole.rc_feed != chunked.rc_feed || whole.rc_finish != chunked.rc_finish ||
        whole.calls != chunked.calls || whole.hash != chunked.hash ||
        whole.status != chunked.status)
        die("chunked feeding disagrees with feeding the whole", &whole, &chunked);
    return 0;
}
