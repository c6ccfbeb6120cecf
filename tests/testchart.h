/*
 * testchart.h - helpers of the C tests of the chart model and its
 * renderers: a portable random sequence, packets, the JSON and CSV exports
 * of a chart, an XML well-formedness check. Header-only.
 */
#ifndef TESTCHART_H
#define TESTCHART_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/buf.h"
#include "chart/chart.h"
#include "config.h"
#include "render/export.h"
#include "tshark/tsjson.h"

#define NO_TIME INT64_MIN /* mkpkt: a frame without a time */

static uint64_t rng_state = 1; /* tests seed it */

/* xorshift64: the same sequence on every platform */
static inline uint64_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static inline struct pkt mkpkt(uint64_t number, int64_t t_ns, uint64_t len) {
    struct pkt p;

    memset(&p, 0, sizeof(p));
    p.number = number;
    p.t_ns = t_ns;
    p.len = len;
    p.has_time = t_ns != NO_TIME;
    p.has_len = 1;
    return p;
}

static inline json_t *to_json(const struct chart *c) {
    struct buf out = BUF_INIT(MAX_EXPORT_BYTES);
    struct err err = ERR_INIT;
    json_error_t jerr;
    json_t *root = NULL;

    if (export_json(c, NULL, &out, &err) == 0 &&
        (root = json_loadb(out.data, out.len, 0, &jerr)) == NULL)
        fprintf(stderr, "json: %s at line %d\n", jerr.text, jerr.line);
    buf_release(&out);
    return root;
}

/* The CSV export (owned), or NULL. */
static inline char *to_csv(const struct chart *c) {
    struct buf out = BUF_INIT(MAX_EXPORT_BYTES);
    struct err err = ERR_INIT;

    if (export_csv(c, &out, &err) == -1) {
        buf_release(&out);
        return NULL;
    }
    return buf_detach(&out, NULL);
}

/*
 * Tags balance: every <x ...> is closed by </x> in order or is <x .../>;
 * no '<' or '&' outside tags and entities. Returns 1 when well formed.
 */
static inline int well_formed(const char *s) {
    char stack[64][16];
    size_t depth = 0, n;
    const char *e;

    while (*s != '\0') {
        if (*s == '&') {
            if (strncmp(s, "&amp;", 5) && strncmp(s, "&lt;", 4) &&
                strncmp(s, "&gt;", 4) && strncmp(s, "&quot;", 6) &&
                strncmp(s, "&#39;", 5))
                return 0;
            s++;
            continue;
        }
        if (*s == '>')
            return 0; /* a stray > is legal XML but never ours */
        if (*s != '<') {
            s++;
            continue;
        }
        if ((e = strchr(s, '>')) == NULL)
            return 0;
        if (memchr(s + 1, '<', (size_t)(e - s - 1)) != NULL)
            return 0;
        if (s[1] == '/') {
            n = strcspn(s + 2, " >");
            if (depth == 0 || n >= 16 || strncmp(stack[depth - 1], s + 2, n) != 0 ||
                stack[depth - 1][n] != '\0')
                return 0;
            depth--;
        } else if (e[-1] != '/') {
            n = strcspn(s + 1, " >\n");
            if (depth == 64 || n >= 16)
                return 0;
            memcpy(stack[depth], s + 1, n);
            stack[depth++][n] = '\0';
        }
        s = e + 1;
    }
    return depth == 0;
}

/* The value of one interval from its packets, as export.h defines it. */
static inline double value_of(enum io_y y, uint64_t count, uint64_t bytes, uint64_t mn,
                              uint64_t mx, int64_t iv) {
    double s = (double)iv / 1e9;

    switch (y) {
    case IO_PACKETS:
    case IO_COUNT: /* of frame.len: one value per packet */
        return (double)count;
    case IO_BYTES:
    case IO_SUM:
        return (double)bytes;
    case IO_BITS:
        return 8.0 * (double)bytes;
    case IO_PACKETS_PS:
        return (double)count / s;
    case IO_BYTES_PS:
    case IO_SUM_PS:
        return (double)bytes / s;
    case IO_BITS_PS:
        return 8.0 * (double)bytes / s;
    case IO_MIN:
        return count ? (double)mn : 0;
    case IO_MAX:
        return count ? (double)mx : 0;
    case IO_AVG:
        return count ? (double)bytes / (double)count : 0;
    }
    return -1;
}

#endif
