/* catalog.c - see catalog.h */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "proc/child.h"
#include "tshark/catalog.h"
#include "tshark/tshark.h"
#include "banned.h"

/* Edit distance beyond which a name is not a suggestion. */
#define SUGGEST_DIST 2
/* Shortest name that suggests the names containing it. */
#define SUGGEST_SUBSTR_MIN 3
/* Fields of an F line we look at: F, description, abbrev, type. */
#define F_FIELDS 4
#define P_FIELDS 3

/* What catalog_suggest compares, per entry: computed once, not per request. */
struct name_key {
    const char *lower; /* the name in lower case: the name itself when it has
                          no upper case letter, else in catalog.lower */
    uint32_t len;      /* strlen(name) */
    uint32_t last;     /* offset of its last component (after the last '.') */
};

struct catalog {
    char *text;              /* owned: the whole -G text, tabs and newlines now NULs */
    struct catalog_entry *v; /* owned: n entries, sorted by name, names unique */
    struct name_key *keys;   /* owned: n keys, v's order */
    char *lower;             /* owned: the lower-case copies of keys (~40% of names) */
    size_t n;
};

static int is_name_byte(unsigned char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-';
}

/* A field name: not empty, only [A-Za-z0-9_.-] (a NUL inside fails too). */
static int valid_name(const char *s, const char *end) {
    if (s == end)
        return 0;
    for (; s < end; s++)
        if (!is_name_byte((unsigned char)*s))
            return 0;
    return 1;
}

static int all_digits(const char *s) {
    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

static enum field_class class_of(const char *type) {
    if (strcmp(type, "FT_BOOLEAN") == 0)
        return FIELD_CLASS_BOOL;
    if (strcmp(type, "FT_FLOAT") == 0 || strcmp(type, "FT_DOUBLE") == 0)
        return FIELD_CLASS_FLOAT;
    if (strcmp(type, "FT_RELATIVE_TIME") == 0)
        return FIELD_CLASS_TIME;
    if (strcmp(type, "FT_FRAMENUM") == 0)
        return FIELD_CLASS_INT;
    /* FT_UINT8..FT_UINT64, FT_INT8..FT_INT64; not FT_UINT_STRING, FT_UINT_BYTES */
    if (strncmp(type, "FT_UINT", 7) == 0 && all_digits(type + 7))
        return FIELD_CLASS_INT;
    if (strncmp(type, "FT_INT", 6) == 0 && all_digits(type + 6))
        return FIELD_CLASS_INT;
    /* FT_CHAR too: tshark prints it quoted, "'1'" */
    return FIELD_CLASS_TEXT;
}

/* By name, then by place in the text: the first line of a name sorts first. */
static int cmp_entry(const void *a, const void *b) {
    const struct catalog_entry *x = a, *y = b;
    int d = strcmp(x->name, y->name);

    if (d != 0)
        return d;
    return x->name < y->name ? -1 : x->name > y->name;
}

/*
 * Parse one line [p, end) into e, cutting it into NUL-terminated fields in
 * place. 2 for a field, 1 for a protocol, 0 when the line is skipped.
 */
static int parse_line(char *p, char *end, struct catalog_entry *e) {
    char *start[F_FIELDS], *stop[F_FIELDS];
    size_t nf = 0;
    char *q;

    if (end > p && end[-1] == '\r')
        end--;
    *end = '\0';
    for (q = p;; q++) {
        if (q == end || *q == '\t') {
            if (nf < F_FIELDS) {
                start[nf] = p;
                stop[nf] = q;
            }
            nf++;
            if (q == end)
                break;
            *q = '\0';
            p = q + 1;
        }
    }
    if (nf >= P_FIELDS && strcmp(start[0], "P") == 0) {
        if (!valid_name(start[2], stop[2]))
            return 0;
        e->name = start[2];
        e->type = "FT_PROTOCOL";
        e->desc = start[1];
        e->cls = FIELD_CLASS_TEXT;
        return 1;
    }
    if (nf >= F_FIELDS && strcmp(start[0], "F") == 0) {
        if (!valid_name(start[2], stop[2]) || strncmp(start[3], "FT_", 3) != 0 ||
            !valid_name(start[3], stop[3]))
            return 0;
        e->name = start[2];
        e->type = start[3];
        e->desc = start[1];
        e->cls = class_of(start[3]);
        return 2;
    }
    return 0;
}

static unsigned char lower(char ch) {
    return ch >= 'A' && ch <= 'Z' ? (unsigned char)(ch - 'A' + 'a') : (unsigned char)ch;
}

static int has_upper(const char *s) {
    for (; *s != '\0'; s++)
        if (*s >= 'A' && *s <= 'Z')
            return 1;
    return 0;
}

/* c->keys and c->lower for c->v. 0, or -1 when out of memory. */
static int make_keys(struct catalog *c) {
    size_t i, bytes = 0, len;
    const char *s, *dot;
    char *p;

    if (c->n > SIZE_MAX / sizeof(*c->keys) ||
        (c->keys = malloc((c->n > 0 ? c->n : 1) * sizeof(*c->keys))) == NULL)
        return -1;
    for (i = 0; i < c->n; i++) /* names come from a text of at most ~SIZE_MAX */
        if (has_upper(c->v[i].name))
            bytes += strlen(c->v[i].name) + 1;
    if ((c->lower = malloc(bytes > 0 ? bytes : 1)) == NULL)
        return -1;
    for (i = 0, p = c->lower; i < c->n; i++) {
        s = c->v[i].name;
        len = strlen(s);
        dot = strrchr(s, '.');
        c->keys[i].len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
        c->keys[i].last = dot != NULL ? (uint32_t)(dot + 1 - s) : 0;
        c->keys[i].lower = s;
        if (has_upper(s)) {
            size_t j;
            for (j = 0; j <= len; j++)
                p[j] = (char)lower(s[j]);
            c->keys[i].lower = p;
            p += len + 1;
        }
    }
    return 0;
}

/* catalog_parse on text (len bytes and a NUL after them), which it takes. */
static struct catalog *parse_take(char *text, size_t len, struct err *err) {
    struct catalog *c = NULL;
    struct catalog_entry *shrunk;
    char *p, *nl, *end = text + len;
    size_t lines = 1, i, n, fields = 0;
    int kind;

    for (p = text; (nl = memchr(p, '\n', (size_t)(end - p))) != NULL; p = nl + 1)
        lines++;
    if ((c = calloc(1, sizeof(*c))) == NULL)
        goto nomem;
    c->text = text;
    if (lines > SIZE_MAX / sizeof(*c->v) ||
        (c->v = malloc(lines * sizeof(*c->v))) == NULL)
        goto nomem;
    for (p = text; p < end; p = nl + 1) {
        if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
            nl = end;
        if ((kind = parse_line(p, nl, &c->v[c->n])) != 0) {
            fields += kind == 2;
            c->n++;
        }
    }
    if (fields == 0) {
        err_set(err, 500, "tshark -G fields listed no field");
        goto fail;
    }
    qsort(c->v, c->n, sizeof(*c->v), cmp_entry);
    for (i = 1, n = 1; i < c->n; i++)
        if (strcmp(c->v[i].name, c->v[n - 1].name) != 0)
            c->v[n++] = c->v[i];
    c->n = n;
    if ((shrunk = realloc(c->v, n * sizeof(*c->v))) != NULL)
        c->v = shrunk;
    if (make_keys(c) == -1)
        goto nomem;
    return c;
nomem:
    err_set(err, 500, "out of memory");
fail:
    if (c != NULL)
        catalog_free(c);
    else
        free(text);
    return NULL;
}

struct catalog *catalog_parse(const char *text, size_t len, struct err *err) {
    char *copy;

    if (len == SIZE_MAX || (copy = malloc(len + 1)) == NULL) {
        err_set(err, 500, "out of memory");
        return NULL;
    }
    if (len > 0)
        memcpy(copy, text, len);
    copy[len] = '\0';
    return parse_take(copy, len, err);
}

struct catalog *catalog_load(const struct tshark *ts, struct err *err) {
    const char *argv[] = {ts->path, "-G", "fields", NULL};
    struct child ch = CHILD_INIT;
    /* one byte past the cap tells a list that fits from a cut one */
    struct buf out = BUF_INIT((size_t)CATALOG_MAX_BYTES + 1);
    struct catalog *c = NULL;
    char *text;
    size_t len;
    int status;

    if ((status = tshark_query(ts, argv, -1, tshark_keep_head, &out, &ch, err)) == -1)
        goto out;
    if (status != 0) {
        err_set(err, 500, "tshark -G fields failed (exit %d)", status);
        goto out;
    }
    if (out.len > CATALOG_MAX_BYTES) {
        err_set(err, 500, "tshark -G fields printed more than %d MiB",
                CATALOG_MAX_BYTES / (1024 * 1024));
        goto out;
    }
    if ((text = buf_detach(&out, &len)) == NULL) {
        err_set(err, 500, "out of memory");
        goto out;
    }
    c = parse_take(text, len, err);
out:
    buf_release(&out);
    return c;
}

void catalog_free(struct catalog *c) {
    if (c == NULL)
        return;
    free(c->v);
    free(c->keys);
    free(c->lower);
    free(c->text);
    free(c);
}

size_t catalog_size(const struct catalog *c) {
    return c->n;
}

/* The first entry whose name is not below s (c->n when none). */
static size_t lower_bound(const struct catalog *c, const char *s) {
    size_t lo = 0, hi = c->n, mid;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (strcmp(c->v[mid].name, s) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const struct catalog_entry *catalog_find(const struct catalog *c, const char *name) {
    size_t i = lower_bound(c, name);

    return i < c->n && strcmp(c->v[i].name, name) == 0 ? &c->v[i] : NULL;
}

size_t catalog_complete(const struct catalog *c, const char *prefix,
                        const struct catalog_entry **out, size_t max) {
    size_t plen = strlen(prefix), i, k = 0;

    for (i = lower_bound(c, prefix);
         i < c->n && k < max && strncmp(c->v[i].name, prefix, plen) == 0; i++)
        out[k++] = &c->v[i];
    return k;
}

/*
 * Optimal string alignment distance of a (m bytes) and b (n bytes), both
 * in lower case, when it is at most SUGGEST_DIST;
 * SUGGEST_DIST + 1 otherwise. Only the band |i - j| <= SUGGEST_DIST is
 * computed, and it stops at the first row that is all above the bound: most
 * names are given up after a few bytes.
 */
static unsigned distance(const char *a, size_t m, const char *b, size_t n) {
    enum { K = SUGGEST_DIST, INF = SUGGEST_DIST + 1 };
    unsigned char rows[3][CATALOG_SUGGEST_NAME_MAX + 2];
    unsigned char *prev2 = rows[0], *prev = rows[1], *cur = rows[2], *t;
    size_t i, j, lo, hi;
    unsigned v, best;

    if (m > n + K || n > m + K || n > CATALOG_SUGGEST_NAME_MAX)
        return INF;
    for (j = 0; j <= n && j <= K + 1; j++)
        prev[j] = (unsigned char)(j <= K ? j : INF);
    for (i = 1; i <= m; i++) {
        lo = i > K ? i - K : 1;
        hi = i + K < n ? i + K : n;
        cur[lo - 1] = (unsigned char)(lo == 1 && i <= K ? i : INF);
        best = cur[lo - 1];
        for (j = lo; j <= hi; j++) {
            char bj = b[j - 1];
            v = prev[j - 1] + (a[i - 1] != bj);
            if (prev[j] + 1u < v)
                v = prev[j] + 1u;
            if (cur[j - 1] + 1u < v)
                v = cur[j - 1] + 1u;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == bj &&
                prev2[j - 2] + 1u < v)
                v = prev2[j - 2] + 1u;
            if (v > INF)
                v = INF;
            cur[j] = (unsigned char)v;
            if (v < best)
                best = v;
        }
        if (hi + 1 <= n)
            cur[hi + 1] = INF; /* the next row reads it from above */
        if (best > K)
            return INF;
        t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[n];
}

/* Rank of a suggestion: tier, then sub (distance and length), then index. */
#define RANK(tier, sub) (((uint64_t)(tier) << 32) | (uint64_t)(sub))

size_t catalog_suggest(const struct catalog *c, const char *name,
                       const struct catalog_entry **out, size_t max) {
    char q[CATALOG_SUGGEST_NAME_MAX + 1];
    uint64_t rank[CATALOG_SUGGEST_MAX], r;
    size_t qlen = strlen(name), plen, qlast, lastlen, i, k = 0, at, diff;
    const char *dot, *last;
    unsigned d;

    if (max > CATALOG_SUGGEST_MAX)
        max = CATALOG_SUGGEST_MAX;
    /* too long for a name: nothing is close to it */
    if (max == 0 || qlen == 0 || qlen > CATALOG_SUGGEST_NAME_MAX)
        return 0;
    for (i = 0; i <= qlen; i++)
        q[i] = (char)lower(name[i]);
    plen = (dot = strchr(q, '.')) != NULL ? (size_t)(dot - q) : qlen;
    qlast = (last = strrchr(q, '.')) != NULL ? (size_t)(last + 1 - q) : 0;
    lastlen = qlen - qlast;
    for (i = 0; i < c->n; i++) {
        const struct name_key *key = &c->keys[i];
        const char *s = key->lower;

        diff = key->len > qlen ? key->len - qlen : qlen - key->len;
        r = UINT64_MAX;
        if (diff <= SUGGEST_DIST &&
            (d = distance(q, qlen, s, key->len)) <= SUGGEST_DIST) {
            int same = key->len >= plen && memcmp(s, q, plen) == 0 &&
                       (s[plen] == '.' || s[plen] == '\0');
            r = RANK(same ? 0 : 1, d * (SUGGEST_DIST + 1) + diff);
        } else if (qlen >= SUGGEST_SUBSTR_MIN && key->len > qlen &&
                   strstr(s, q) != NULL) {
            r = RANK(2, key->len);
        } else if (lastlen > 0 && key->last > 0 && key->len - key->last == lastlen &&
                   memcmp(s + key->last, q + qlast, lastlen) == 0) {
            r = RANK(3, key->len);
        }
        if (r == UINT64_MAX || (k == max && r >= rank[k - 1]))
            continue; /* equal ranks keep name order: the earlier one stays */
        at = k < max ? k++ : k - 1;
        for (; at > 0 && rank[at - 1] > r; at--) {
            rank[at] = rank[at - 1];
            out[at] = out[at - 1];
        }
        rank[at] = r;
        out[at] = &c->v[i];
    }
    return k;
}

const char *field_class_name(enum field_class k) {
    switch (k) {
    case FIELD_CLASS_INT:
        return "integer";
    case FIELD_CLASS_FLOAT:
        return "float";
    case FIELD_CLASS_TIME:
        return "time";
    case FIELD_CLASS_BOOL:
        return "boolean";
    case FIELD_CLASS_TEXT:
        return "text";
    }
    return "?";
}

int field_class_numeric(enum field_class k) {
    return k == FIELD_CLASS_INT || k == FIELD_CLASS_FLOAT || k == FIELD_CLASS_TIME ||
           k == FIELD_CLASS_BOOL;
}

static int is_digit(char ch) {
    return ch >= '0' && ch <= '9';
}

static int is_hex(char ch) {
    return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static int parse_int(const char *s, double *v) {
    const char *p;
    char *end;

    errno = 0;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        unsigned long long u;
        for (p = s + 2; is_hex(*p); p++)
            ;
        if (p == s + 2 || *p != '\0')
            return -1;
        u = strtoull(s + 2, &end, 16);
        if (errno != 0 || *end != '\0')
            return -1;
        *v = (double)u;
        return 0;
    }
    for (p = s + (*s == '-'); is_digit(*p); p++)
        ;
    if (p == s + (*s == '-') || *p != '\0')
        return -1;
    if (*s == '-') {
        long long n = strtoll(s, &end, 10);
        if (errno != 0 || *end != '\0')
            return -1;
        *v = (double)n;
    } else {
        unsigned long long u = strtoull(s, &end, 10);
        if (errno != 0 || *end != '\0')
            return -1;
        *v = (double)u;
    }
    return 0;
}

/*
 * [-]digits[.digits][e[+-]digits] (exponent only when exp): checked here, as
 * strtod alone would take blanks, '+', hex, "inf" and "nan".
 */
static int parse_decimal(const char *s, int exp, double *v) {
    const char *p = s + (*s == '-');
    size_t digits = 0;
    char *end;
    double x;

    for (; is_digit(*p); p++)
        digits++;
    if (*p == '.') {
        const char *f0 = ++p;
        for (; is_digit(*p); p++)
            ;
        if (p == f0 || (digits == 0 && !exp))
            return -1; /* "1." never; ".5" only as a float */
        digits += (size_t)(p - f0);
    }
    if (digits == 0)
        return -1;
    if (exp && (*p == 'e' || *p == 'E')) {
        const char *e0;
        p++;
        if (*p == '+' || *p == '-')
            p++;
        for (e0 = p; is_digit(*p); p++)
            ;
        if (p == e0)
            return -1;
    }
    if (*p != '\0')
        return -1;
    errno = 0;
    x = strtod(s, &end);
    if (*end != '\0' || !isfinite(x))
        return -1; /* underflow (ERANGE, tiny x) is a value */
    *v = x;
    return 0;
}

int field_parse_value(enum field_class k, const char *text, double *v) {
    if (text == NULL)
        return -1;
    switch (k) {
    case FIELD_CLASS_INT:
        return parse_int(text, v);
    case FIELD_CLASS_FLOAT:
        return parse_decimal(text, 1, v);
    case FIELD_CLASS_TIME:
        return parse_decimal(text, 0, v);
    case FIELD_CLASS_BOOL:
        if (strcmp(text, "1") == 0 || strcmp(text, "True") == 0)
            *v = 1;
        else if (strcmp(text, "0") == 0 || strcmp(text, "False") == 0)
            *v = 0;
        else
            return -1;
        return 0;
    case FIELD_CLASS_TEXT:
        break;
    }
    return -1;
}
