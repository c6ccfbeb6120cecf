/*
 * fuzz_view.c - libFuzzer harness of the view parameters (view.c).
 *
 * The input is a query string ("kind=io&filter=tcp&interval=10ms"): split at
 * '&', each "key=value" percent-decoded (so a value may hold any byte, NUL
 * included) and given to view_set, then view_finish. Checks:
 *   - every refusal is a 400 with a message;
 *   - an accepted view's canonical query (view_query) is plain printable
 *     ASCII, parses back with the same calls, and gives the same query again
 *     with the same chart parameters (the canonical form is a fixed point);
 *   - view_apply gives a chart whose series names and filters are the
 *     view's, NUL-terminated within their arrays.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/escape.h"
#include "chart/chart.h"
#include "chart/view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define KEY_MAX 64

static void fail(const char *what, const char *q1, const char *q2) {
    fprintf(stderr, "fuzz_view: %s\n  query 1: %s\n  query 2: %s\n", what,
            q1 != NULL ? q1 : "(none)", q2 != NULL ? q2 : "(none)");
    abort();
}

/* Percent-decode s[0..n) into dst (at least n bytes); returns the length. */
static size_t decode(char *dst, const char *s, size_t n) {
    size_t i, o = 0;
    int h, l;

    for (i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && (h = hex_value((unsigned char)s[i + 1])) >= 0 &&
            (l = hex_value((unsigned char)s[i + 2])) >= 0) {
            dst[o++] = (char)(h << 4 | l);
            i += 2;
        } else {
            dst[o++] = s[i];
        }
    }
    return o;
}

/*
 * Apply the query q[0..n) to v (view_init'ed). 0 when every parameter and
 * view_finish were accepted, -1 otherwise (after checking the refusal).
 */
static int apply_query(struct view *v, const char *q, size_t n) {
    char key[KEY_MAX + 1];
    char *val = malloc(n + 1);
    size_t i = 0, j, eq, klen, vlen;
    struct err err = ERR_INIT;
    int rc = 0;

    if (val == NULL)
        abort();
    while (i <= n && rc == 0) {
        for (j = i; j < n && q[j] != '&'; j++)
            ;
        for (eq = i; eq < j && q[eq] != '='; eq++)
            ;
        if (eq - i <= KEY_MAX && j > i) {
            klen = decode(key, q + i, eq - i);
            key[klen] = '\0'; /* a NUL inside the key ends it, as in C */
            vlen = eq < j ? decode(val, q + eq + 1, j - eq - 1) : 0;
            val[vlen] = '\0';
            if (view_set(v, key, val, vlen, &err) == -1)
                rc = -1;
        }
        i = j + 1;
    }
    if (rc == 0 && view_finish(v, &err) == -1)
        rc = -1;
    if (rc == -1 && (err.status != 400 || err.msg[0] == '\0'))
        fail("a refusal that is not a 400 with a message", err.msg, NULL);
    free(val);
    return rc;
}

static int same_view(const struct view *a, const struct view *b) {
    size_t i;

    if (a->kind != b->kind || a->interval_ns != b->interval_ns || a->io_y != b->io_y ||
        a->sma != b->sma || a->log_y != b->log_y || a->has_start != b->has_start ||
        a->has_end != b->has_end || (a->has_start && a->start_ns != b->start_ns) ||
        (a->has_end && a->end_ns != b->end_ns) || a->width != b->width ||
        a->height != b->height || a->max_points != b->max_points ||
        strcmp(a->filename, b->filename) != 0 || a->nseries != b->nseries)
        return 0;
    for (i = 0; i < a->nseries; i++) {
        if (strcmp(a->series[i].filter, b->series[i].filter) != 0 ||
            strcmp(a->series[i].name, b->series[i].name) != 0 ||
            strcmp(a->series[i].color, b->series[i].color) != 0)
            return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct view *v1 = malloc(sizeof(*v1)), *v2 = malloc(sizeof(*v2));
    struct chart *c = malloc(sizeof(*c));
    struct buf q1 = BUF_INIT(MAX_QUERY_BYTES), q2 = BUF_INIT(MAX_QUERY_BYTES);
    size_t i;

    if (v1 == NULL || v2 == NULL || c == NULL)
        abort();
    view_init(v1, VIEW_HTML);
    if (apply_query(v1, (const char *)data, size) == -1)
        goto out;
    if (view_query(v1, &q1) == -1)
        goto out; /* over MAX_QUERY_BYTES: the caller answers 500 */
    for (i = 0; i < q1.len; i++) {
        unsigned char ch = (unsigned char)q1.data[i];
        if (ch <= 0x20 || ch >= 0x7f || ch == '"' || ch == '<' || ch == '>' ||
            ch == '\'' || ch == '#' || ch == '+' || ch == '?')
            fail("the canonical query holds a byte that needs escaping", q1.data, NULL);
    }
    view_init(v2, VIEW_HTML);
    if (apply_query(v2, q1.data, q1.len) == -1)
        fail("the canonical query is refused", q1.data, NULL);
    if (view_query(v2, &q2) == -1 || q1.len != q2.len ||
        memcmp(q1.data, q2.data, q1.len) != 0)
        fail("the canonical query is not a fixed point", q1.data, q2.data);
    if (!same_view(v1, v2))
        fail("the canonical query gives another view", q1.data, q2.data);

    view_apply(v1, c);
    for (i = 0; i < c->nseries; i++) {
        if (memchr(c->series[i].name, '\0', sizeof(c->series[i].name)) == NULL ||
            memchr(c->series[i].filter, '\0', sizeof(c->series[i].filter)) == NULL)
            fail("a chart series name or filter is not terminated", q1.data, NULL);
        if (strcmp(c->series[i].filter, v1->series[i].filter) != 0)
            fail("view_apply changed a filter", q1.data, NULL);
        if (c->series[i].name[0] == '\0')
            fail("view_apply left a series without a name", q1.data, NULL);
    }
    chart_release(c);
out:
    buf_release(&q1);
    buf_release(&q2);
    free(v1);
    free(v2);
    free(c);
    return 0;
}
