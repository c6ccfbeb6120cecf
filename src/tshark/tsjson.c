/* tsjson.c - see tsjson.h */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tshark/tsjson.h"
#include "banned.h"

enum {
    ST_START, /* before '[' */
    ST_FIRST, /* after '[': an element or ']' */
    ST_ELEM,  /* inside an element */
    ST_AFTER, /* after an element: ',' or ']' */
    ST_NEXT,  /* after ',': an element */
    ST_DONE,  /* after the closing ']': only whitespace may follow */
    ST_STOPPED,
    ST_FAILED
};

/*
 * Byte classes for the scanner: outside strings only quotes and brackets
 * matter, inside only the quote and the backslash. Table lookups keep the
 * per-byte loop free of calls and of long compare chains.
 */
static const unsigned char ws_tab[256] = {[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1};
static const unsigned char val_tab[256] = {
    ['"'] = 1, ['{'] = 1, ['}'] = 1, ['['] = 1, [']'] = 1};
static const unsigned char str_tab[256] = {['"'] = 1, ['\\'] = 1};

void tsjson_init(struct tsjson *p) {
    p->state = ST_START;
    p->depth = 0;
    p->in_string = 0;
    p->escaped = 0;
    p->elements = 0;
    p->extra = NULL;
    p->vals = NULL;
    p->split = NULL;
    buf_init(&p->elem, MAX_ELEMENT_BYTES);
}

void tsjson_release(struct tsjson *p) {
    buf_release(&p->elem);
    free(p->vals);
    p->vals = NULL;
}

/*
 * Every value of the extra field in layers into pk (strings borrowed from
 * layers). 0, or -1 when one is not a string (*bad) or memory fails.
 */
static int extra_values(struct tsjson *p, json_t *layers, struct pkt *pk, int *bad) {
    json_t *v = json_object_get(layers, p->extra), *e;
    size_t i, n;

    *bad = 0;
    if (v == NULL)
        return 0;
    if (p->vals == NULL &&
        (p->vals = malloc(MAX_FIELD_VALUES * sizeof(*p->vals))) == NULL)
        return -1;
    n = json_is_array(v) ? json_array_size(v) : 1;
    for (i = 0; i < n; i++) {
        e = json_is_array(v) ? json_array_get(v, i) : v;
        if (!json_is_string(e)) {
            *bad = 1;
            return -1;
        }
        if (json_string_length(e) == 0)
            continue;
        if (pk->nvals == MAX_FIELD_VALUES) {
            pk->vals_cut++;
            continue;
        }
        p->vals[pk->nvals++] = json_string_value(e);
    }
    pk->vals = p->vals;
    return 0;
}

/*
 * The first value of a field of layers: -e fields are arrays of strings.
 * Returns the string (borrowed from layers), NULL with *bad = 0 when the
 * field is absent or empty, NULL with *bad = 1 when it is not a string.
 */
static const char *field(json_t *layers, const char *name, int *bad) {
    json_t *v = json_object_get(layers, name);
    const char *s;

    *bad = 0;
    if (v == NULL)
        return NULL;
    if (json_is_array(v)) {
        if (json_array_size(v) == 0)
            return NULL;
        v = json_array_get(v, 0);
    }
    if (!json_is_string(v)) {
        *bad = 1;
        return NULL;
    }
    s = json_string_value(v);
    return *s == '\0' ? NULL : s;
}

static int bad_output(struct tsjson *p, struct err *err, const char *what) {
    p->state = ST_FAILED;
    return err_set(err, 502, "tshark output is not valid JSON (%s at packet %llu)", what,
                   (unsigned long long)p->elements + 1);
}

static int bad_value(struct tsjson *p, struct err *err, const char *name) {
    char what[128];

    snprintf(what, sizeof(what), "bad %s", name);
    return bad_output(p, err, what);
}

/*
 * Where the value of the element's "layers" key starts, or NULL. tshark
 * prints "_index", "_type" and "_score" before "_source": {"layers": {...}},
 * all values of its own (a date, "doc", null), so the first `"layers":` is
 * the key. Parsing only that object with jansson halves the cost per packet;
 * the scanner has already checked that the element is balanced.
 */
static const char *layers_value(const char *s, size_t len) {
    static const char key[] = "\"layers\":";
    const char *k = memmem(s, len, key, sizeof(key) - 1);

    if (k == NULL)
        return NULL;
    k += sizeof(key) - 1;
    while (k < s + len && ws_tab[(unsigned char)*k])
        k++;
    return k < s + len && *k == '{' ? k : NULL;
}

/* Parse one complete element (borrowed bytes) and hand it to cb. */
static int element(struct tsjson *p, const char *s, size_t len, tsjson_cb cb, void *ctx,
                   struct err *err) {
    json_error_t jerr;
    json_t *root = NULL, *layers;
    struct pkt pk;
    const char *v, *lv;
    size_t i;
    int bad, rc;

    if ((lv = layers_value(s, len)) != NULL) {
        /* one object, then the element's closing braces, which are not parsed */
        if ((root = json_loadb(lv, len - (size_t)(lv - s), JSON_DISABLE_EOF_CHECK,
                               &jerr)) == NULL) {
            rc = bad_output(p, err, "syntax error");
            goto out;
        }
        layers = root;
    } else {
        if ((root = json_loadb(s, len, 0, &jerr)) == NULL) {
            rc = bad_output(p, err, "syntax error");
            goto out;
        }
        layers = json_object_get(json_object_get(root, "_source"), "layers");
    }
    if (!json_is_object(layers)) {
        rc = bad_output(p, err, "no _source.layers");
        goto out;
    }
    memset(&pk, 0, sizeof(pk));
    for (i = 0; i < FIELDS_NBUILTIN; i++) {
        const struct field *f = &fields_builtin[i];

        if ((v = field(layers, f->name, &bad)) != NULL && fields_set(f, v, &pk) == -1)
            bad = 1;
        if (bad) {
            rc = bad_value(p, err, f->name);
            goto out;
        }
    }
    if (p->extra != NULL && extra_values(p, layers, &pk, &bad) == -1) {
        rc = bad ? bad_value(p, err, p->extra) : err_set(err, 500, "out of memory");
        if (!bad)
            p->state = ST_FAILED;
        goto out;
    }
    if (p->split != NULL) {
        pk.split = field(layers, p->split, &bad);
        if (bad) {
            rc = bad_value(p, err, p->split);
            goto out;
        }
    }
    if (p->extra == NULL && p->split == NULL) { /* values borrow from root: keep it */
        json_decref(root);
        root = NULL;
    }
    p->elements++;
    rc = cb(ctx, &pk, err);
    if (rc == -1)
        p->state = ST_FAILED;
    else if (rc != 0)
        p->state = ST_STOPPED;
out:
    json_decref(root);
    return rc;
}

static int too_big(struct tsjson *p, struct err *err) {
    p->state = ST_FAILED;
    return err_set(err, 502, "tshark output has a packet over %d bytes",
                   MAX_ELEMENT_BYTES);
}

/*
 * Scan the bytes of an element from d[*pos] to at most d[n]: strings,
 * escapes and nesting, carried over chunks in p. 1 with *pos just past the
 * element's closing '}', or 0 when it goes on in the next chunk.
 */
static int scan_element(struct tsjson *p, const unsigned char *d, size_t n, size_t *pos) {
    size_t j = *pos;
    int depth = p->depth, in_string = p->in_string, end = 0;

    if (p->escaped) { /* the byte after a '\\' that ended the last chunk */
        p->escaped = 0;
        j++;
    }
    while (j < n && !end) {
        if (in_string) {
            while (j < n && !str_tab[d[j]])
                j++;
            if (j >= n)
                break;
            if (d[j] != '\\') {
                in_string = 0;
                j++;
            } else if (j + 1 < n) {
                j += 2;
            } else {
                p->escaped = 1;
                j = n;
            }
            continue;
        }
        while (j < n && !val_tab[d[j]])
            j++;
        if (j >= n)
            break;
        if (d[j] == '"')
            in_string = 1;
        else if (d[j] == '{' || d[j] == '[')
            depth++;
        else if (--depth == 0)
            end = 1;
        j++;
    }
    p->depth = depth;
    p->in_string = in_string;
    *pos = j;
    return end;
}

/* The element goes on in the next chunk: keep its len bytes. 0 or -1. */
static int keep_partial(struct tsjson *p, const unsigned char *d, size_t len,
                        struct err *err) {
    if (len > MAX_ELEMENT_BYTES - p->elem.len)
        return too_big(p, err);
    if (buf_append(&p->elem, d, len) == -1) {
        p->state = ST_FAILED;
        return errno == E2BIG ? too_big(p, err) : err_set(err, 500, "out of memory");
    }
    return 0;
}

/*
 * d[0..len) ends the current element: parse it, with the bytes kept from
 * earlier chunks, and hand it to cb. 0, 1 when cb stopped, or -1 with err.
 */
static int complete_element(struct tsjson *p, const unsigned char *d, size_t len,
                            tsjson_cb cb, void *ctx, struct err *err) {
    int rc;

    if (len > MAX_ELEMENT_BYTES - p->elem.len)
        return too_big(p, err);
    p->state = ST_AFTER;
    if (p->elem.len == 0) {
        /* common case: the whole element is in this chunk, no copy */
        rc = element(p, (const char *)d, len, cb, ctx, err);
    } else {
        if (buf_append(&p->elem, d, len) == -1) {
            p->state = ST_FAILED;
            return err_set(err, 500, "out of memory");
        }
        rc = element(p, p->elem.data, p->elem.len, cb, ctx, err);
        buf_reset(&p->elem);
    }
    if (rc != 0)
        return p->state == ST_STOPPED ? 1 : -1;
    return 0;
}

/*
 * One byte c (not whitespace) outside the elements: the array's brackets
 * and commas. A '{' starts an element (ST_ELEM). 0, or -1 with err.
 */
static int step_between(struct tsjson *p, unsigned char c, struct err *err) {
    switch (p->state) {
    case ST_START:
        if (c != '[')
            return bad_output(p, err, "no '['");
        p->state = ST_FIRST;
        return 0;
    case ST_FIRST:
    case ST_NEXT:
        if (c == ']' && p->state == ST_FIRST) {
            p->state = ST_DONE;
        } else if (c == '{') {
            p->state = ST_ELEM;
            p->depth = 1;
            p->in_string = 0;
            p->escaped = 0;
            buf_reset(&p->elem);
        } else {
            return bad_output(p, err, "unexpected byte between packets");
        }
        return 0;
    case ST_AFTER:
        if (c == ',')
            p->state = ST_NEXT;
        else if (c == ']')
            p->state = ST_DONE;
        else
            return bad_output(p, err, "missing ','");
        return 0;
    default: /* ST_DONE */
        return bad_output(p, err, "bytes after the closing ']'");
    }
}

int tsjson_feed(struct tsjson *p, const char *data, size_t n, tsjson_cb cb, void *ctx,
                struct err *err) {
    const unsigned char *d = (const unsigned char *)data;
    size_t i = 0, start = 0;
    int rc;

    if (p->state == ST_FAILED)
        return err_set(err, 502, "tshark output is not valid JSON");
    if (p->state == ST_STOPPED)
        return 1;
    while (i < n) {
        if (p->state == ST_ELEM) {
            size_t j = i;

            if (!scan_element(p, d, n, &j))
                return keep_partial(p, d + start, n - start, err);
            if ((rc = complete_element(p, d + start, j - start, cb, ctx, err)) != 0)
                return rc;
            i = j;
        } else if (ws_tab[d[i]]) {
            i++;
        } else {
            if (step_between(p, d[i], err) == -1)
                return -1;
            if (p->state == ST_ELEM)
                start = i; /* the '{' belongs to the element */
            i++;
        }
    }
    /* the chunk ended right after an element's '{' */
    if (p->state == ST_ELEM)
        return keep_partial(p, d + start, n - start, err);
    return 0;
}

int tsjson_finish(struct tsjson *p, struct err *err) {
    switch (p->state) {
    case ST_DONE:
    case ST_STOPPED:
    case ST_START: /* nothing but whitespace: tshark failed before printing */
        return 0;
    case ST_FAILED:
        return err_set(err, 502, "tshark output is not valid JSON");
    default:
        p->state = ST_FAILED;
        return err_set(err, 502,
                       "tshark output is not valid JSON (cut short after %llu packets)",
                       (unsigned long long)p->elements);
    }
}
