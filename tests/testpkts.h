/*
 * testpkts.h - packets collected by a tsjson callback, for the C tests of
 * the parser and the tshark runner. Header-only: each test is one program.
 */
#ifndef TESTPKTS_H
#define TESTPKTS_H

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "tshark/tsjson.h"

struct pkts {
    struct pkt *v; /* owned: pkts_release */
    size_t n, cap;
    size_t stop_at; /* collect returns 1 at this packet (1-based); 0: never */
    int fail_at;    /* collect fails (418) at this packet; 0: never */
};

static inline void pkts_release(struct pkts *ps) {
    free(ps->v);
    memset(ps, 0, sizeof(*ps));
}

/* tsjson_cb: append p to the struct pkts ctx. */
static inline int collect(void *ctx, const struct pkt *p, struct err *err) {
    struct pkts *ps = ctx;

    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 1024;
        struct pkt *v = realloc(ps->v, cap * sizeof(*v));
        if (v == NULL)
            return err_set(err, 500, "out of memory");
        ps->v = v;
        ps->cap = cap;
    }
    ps->v[ps->n++] = *p;
    if (ps->fail_at != 0 && ps->n == (size_t)ps->fail_at)
        return err_set(err, 418, "callback failed on purpose");
    if (ps->stop_at != 0 && ps->n == ps->stop_at)
        return 1;
    return 0;
}

/* 1 when a and b hold the same packets (time and length only where present). */
static inline int pkts_equal(const struct pkts *a, const struct pkts *b) {
    size_t i;

    if (a->n != b->n)
        return 0;
    for (i = 0; i < a->n; i++) {
        const struct pkt *x = &a->v[i], *y = &b->v[i];
        if (x->number != y->number || x->has_time != y->has_time ||
            x->has_len != y->has_len || (x->has_time && x->t_ns != y->t_ns) ||
            (x->has_len && x->len != y->len))
            return 0;
    }
    return 1;
}

#endif
