/* split.c - see split.h */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/split.h"
#include "banned.h"

/* One distinct value of the first run, with its bytes and when it came first. */
struct value {
    char *text; /* owned, NUL-terminated; NULL: a free slot */
    uint64_t bytes, packets, first;
};

/* Open addressing, 2 x SPLIT_MAX_VALUES slots: never more than half full. */
#define SLOTS (2 * SPLIT_MAX_VALUES)

struct counts {
    struct value *slot; /* owned: SLOTS of them */
    size_t n;           /* values in it */
    uint64_t seen;      /* packets so far (the order of first sight) */
    uint64_t lumped;    /* packets of values past SPLIT_MAX_VALUES */
};

static uint64_t hash(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* The length of s cut to at most max bytes, between UTF-8 sequences. */
static size_t cut_len(const char *s, size_t max) {
    size_t n = strlen(s);

    if (n <= max)
        return n;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* The value's length as kept: SPLIT_VALUE_BYTES - 1 at most. */
static size_t kept_len(const char *s) {
    return cut_len(s, SPLIT_VALUE_BYTES - 1);
}

/* tsjson_cb of the first run: count each packet's first value. */
static int count_packet(void *ctx, const struct pkt *p, struct err *err) {
    struct counts *ct = ctx;
    const char *v = p->split != NULL ? p->split : "";
    size_t n = kept_len(v), i;
    struct value *e;

    ct->seen++;
    if (p->split == NULL)
        return 0; /* no value: "other" */
    for (i = (size_t)(hash(v, n) % SLOTS);; i = (i + 1) % SLOTS) {
        e = &ct->slot[i];
        if (e->text == NULL)
            break;
        if (strlen(e->text) == n && memcmp(e->text, v, n) == 0) {
            e->bytes += p->has_len ? p->len : 0;
            e->packets++;
            return 0;
        }
    }
    if (ct->n == SPLIT_MAX_VALUES) {
        ct->lumped++;
        return 0;
    }
    if ((e->text = malloc(n + 1)) == NULL)
        return err_set(err, 500, "out of memory for the split");
    memcpy(e->text, v, n);
    e->text[n] = '\0';
    e->bytes = p->has_len ? p->len : 0;
    e->packets = 1;
    e->first = ct->seen;
    ct->n++;
    return 0;
}

static void counts_free(struct counts *ct) {
    size_t i;

    for (i = 0; ct->slot != NULL && i < SLOTS; i++)
        free(ct->slot[i].text);
    free(ct->slot);
    ct->slot = NULL;
}

/* Most bytes first; ties: the first seen first. */
static int by_bytes(const void *a, const void *b) {
    const struct value *x = *(const struct value *const *)a;
    const struct value *y = *(const struct value *const *)b;

    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first;
}

/* The top (at most max) values of ct into top[], best first. How many. */
static size_t pick_top(const struct counts *ct, const struct value **top, size_t max,
                       struct err *err) {
    const struct value **all;
    size_t i, n = 0;

    if (ct->n == 0)
        return 0;
    if ((all = malloc(ct->n * sizeof(*all))) == NULL) {
        err_set(err, 500, "out of memory for the split");
        return SIZE_MAX;
    }
    for (i = 0; i < SLOTS; i++)
        if (ct->slot[i].text != NULL)
            all[n++] = &ct->slot[i];
    qsort(all, n, sizeof(*all), by_bytes);
    n = n < max ? n : max;
    for (i = 0; i < n; i++)
        top[i] = all[i];
    free(all);
    return n;
}

/* value as a display filter literal: quoted (\" and \\ escaped) for strings. */
static void put_literal(char *dst, size_t n, const char *v, int quote) {
    size_t o = strlen(dst), i;

    if (!quote) {
        snprintf(dst + o, n - o, "%s", v);
        return;
    }
    if (o + 1 < n)
        dst[o++] = '"';
    for (i = 0; v[i] != '\0' && o + 3 < n; i++) {
        if (v[i] == '"' || v[i] == '\\')
            dst[o++] = '\\';
        dst[o++] = v[i];
    }
    if (o + 1 < n)
        dst[o++] = '"';
    dst[o] = '\0';
}

/* "(BASE) && " before a series' own filter when there is a base filter. */
static void put_base(char *dst, size_t n, const char *base) {
    int k;

    dst[0] = '\0';
    /* view_finish keeps a split's filter to half of n: it always fits */
    if (base[0] != '\0' &&
        ((k = snprintf(dst, n, "(%s) && ", base)) < 0 || (size_t)k >= n))
        dst[0] = '\0';
}

/* name cut to fit dst (n bytes) between UTF-8 sequences */
static void put_name(char *dst, size_t n, const char *s) {
    size_t len = cut_len(s, n - 1);

    memcpy(dst, s, len);
    dst[len] = '\0';
}

/* Series 0..k-1 for the top values, k for "other", from the template series 0. */
static void make_series(struct chart *c, const struct value *const *top, size_t k) {
    struct series tpl = c->series[0];
    char base[MAX_FIELD_BYTES];
    size_t i, len;

    snprintf(base, sizeof(base), "%s", tpl.filter);
    for (i = 0; i <= k; i++) {
        struct series *s = &c->series[i];
        char *f = s->filter;

        snprintf(s->field, sizeof(s->field), "%s", tpl.field);
        s->field_class = tpl.field_class;
        s->field_nano = tpl.field_nano;
        put_base(f, sizeof(s->filter), base);
        len = strlen(f);
        if (i < k) {
            snprintf(s->value, sizeof(s->value), "%s", top[i]->text);
            put_name(s->name, sizeof(s->name), top[i]->text);
            snprintf(f + len, sizeof(s->filter) - len, "%s#1 == ", c->split);
            put_literal(f, sizeof(s->filter), top[i]->text, c->split_quote);
        } else {
            size_t j;

            s->other = 1;
            snprintf(s->name, sizeof(s->name), "other");
            snprintf(s->color, sizeof(s->color), "%s", SPLIT_OTHER_COLOR);
            if (k == 0) {
                /* no value at all: every packet is "other" */
                snprintf(f + len, sizeof(s->filter) - len, "!%s", c->split);
                continue;
            }
            /* tshark 4.0 takes no "in {...}" after a layer (#1): one == per value */
            snprintf(f + len, sizeof(s->filter) - len, "!(");
            for (j = 0; j < k; j++) {
                snprintf(f + strlen(f), sizeof(s->filter) - strlen(f),
                         "%s%s#1 == ", j > 0 ? " || " : "", c->split);
                put_literal(f, sizeof(s->filter), top[j]->text, c->split_quote);
            }
            snprintf(f + strlen(f), sizeof(s->filter) - strlen(f), ")");
        }
    }
    c->nseries = k + 1;
}

struct route {
    struct chart *c;
    size_t k; /* top series; k is "other" */
};

/* tsjson_cb of the second run: each packet to the series of its first value. */
static int route_packet(void *ctx, const struct pkt *p, struct err *err) {
    struct route *rt = ctx;
    size_t i = rt->k, n;

    if (p->split != NULL) {
        n = kept_len(p->split);
        for (i = 0; i < rt->k; i++)
            if (strlen(rt->c->series[i].value) == n &&
                memcmp(rt->c->series[i].value, p->split, n) == 0)
                break;
    }
    return chart_add(rt->c, i, p, err);
}

int split_chart(const struct tshark *ts, struct tshark_job *job, struct chart *c,
                struct tshark_result *res, struct err *err) {
    const struct value *top[SPLIT_MAX_TOP];
    struct counts ct = {NULL, 0, 0, 0};
    struct route rt;
    size_t k;
    int rc = -1;

    static _Thread_local char base[MAX_FIELD_BYTES];

    if ((ct.slot = calloc(SLOTS, sizeof(*ct.slot))) == NULL)
        return err_set(err, 500, "out of memory for the split");
    /* the filter of both runs: series 0's, which make_series replaces */
    snprintf(base, sizeof(base), "%s", c->series[0].filter);
    /* 1: the values and their bytes (frame.len only: no field) */
    job->filter = base;
    job->field = NULL;
    job->split = c->split;
    if (tshark_run(ts, job, count_packet, &ct, res, err) == -1)
        goto out;
    k = pick_top(&ct, top, c->top < SPLIT_MAX_TOP ? c->top : SPLIT_MAX_TOP, err);
    if (k == SIZE_MAX)
        goto out;
    if (ct.lumped > 0)
        chart_warn(c,
                   "%s has more than %d distinct values: the top %zu are the top among "
                   "the first %d seen (%" PRIu64 " packets of later values are in other)",
                   c->split, SPLIT_MAX_VALUES, k, SPLIT_MAX_VALUES, ct.lumped);
    make_series(c, top, k);
    /* 2: every packet to its series, with the series' field */
    rt.c = c;
    rt.k = k;
    job->field = c->series[0].field;
    if (tshark_run(ts, job, route_packet, &rt, res, err) == -1)
        goto out;
    rc = 0;
out:
    counts_free(&ct);
    return rc;
}
