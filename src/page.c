/* page.c - see page.h */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escape.h"
#include "page.h"
#include "banned.h"

/* files[0] is the template; the rest are served by page_static() */
static const struct {
    const char *name;
    const char *ctype;
} FILES[PAGE_NFILES] = {
    {"index.html", "text/html; charset=utf-8"},
    {"style.css", "text/css; charset=utf-8"},
    {"app.js", "text/javascript; charset=utf-8"},
    {"favicon.svg", "image/svg+xml"},
};

enum placeholder { PH_TITLE = 0, PH_RESULT, PH_VERSION, PH_COUNT };

static const char *const PLACEHOLDERS[PH_COUNT] = {
    "<!--TITLE-->",
    "<!--RESULT-->",
    "<!--VERSION-->",
};

#define APP_NAME "pcapchart"

/*
 * Read dir/name into *data (owned by the caller, NUL-terminated) and *len.
 * 0, or -1 with err naming the file (start-up only, so strerror is fine).
 */
static int read_file(const char *dir, const char *name, char **data, size_t *len,
                     struct err *err) {
    char path[MAX_PATH_BYTES];
    struct stat st;
    char *p = NULL;
    size_t size, got = 0;
    ssize_t r;
    int fd = -1, n;

    n = snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        err_set(err, 500, "www directory path too long: '%s'", dir);
        goto fail;
    }
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
        err_set(err, 500, "cannot open '%s': %s", path, strerror(errno));
        goto fail;
    }
    if (fstat(fd, &st) == -1) {
        err_set(err, 500, "cannot stat '%s': %s", path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        err_set(err, 500, "'%s' is not a regular file", path);
        goto fail;
    }
    if (st.st_size < 0 || (uint64_t)st.st_size > MAX_STATIC_BYTES) {
        err_set(err, 500, "'%s' is larger than %d bytes", path, MAX_STATIC_BYTES);
        goto fail;
    }
    size = (size_t)st.st_size;
    if ((p = malloc(size + 1)) == NULL) {
        err_set(err, 500, "out of memory reading '%s'", path);
        goto fail;
    }
    /* a file that shrinks meanwhile gives what is there; one that grows is cut */
    while (got < size) {
        r = read(fd, p + got, size - got);
        if (r == -1 && errno == EINTR)
            continue;
        if (r == -1) {
            err_set(err, 500, "cannot read '%s': %s", path, strerror(errno));
            goto fail;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    p[got] = '\0';
    close(fd);
    *data = p;
    *len = got;
    return 0;
fail:
    if (fd != -1)
        close(fd);
    free(p);
    return -1;
}

/* Number of times needle occurs in s. */
static int count(const char *s, const char *needle) {
    size_t n = strlen(needle);
    int c = 0;

    while ((s = strstr(s, needle)) != NULL) {
        c++;
        s += n;
    }
    return c;
}

int page_load(struct page *p, const char *dir, struct err *err) {
    const struct page_file *t;
    size_t i;

    memset(p, 0, sizeof(*p));
    for (i = 0; i < PAGE_NFILES; i++) {
        p->files[i].name = FILES[i].name;
        p->files[i].ctype = FILES[i].ctype;
        if (read_file(dir, FILES[i].name, &p->files[i].data, &p->files[i].len, err) == -1)
            goto fail;
    }
    t = &p->files[0];
    if (memchr(t->data, '\0', t->len) != NULL) {
        err_set(err, 500, "'%s/%s' holds a NUL byte", dir, t->name);
        goto fail;
    }
    for (i = 0; i < PH_COUNT; i++) {
        if (count(t->data, PLACEHOLDERS[i]) != 1) {
            err_set(err, 500, "'%s/%s' must hold %s exactly once", dir, t->name,
                    PLACEHOLDERS[i]);
            goto fail;
        }
    }
    return 0;
fail:
    page_release(p);
    return -1;
}

void page_release(struct page *p) {
    size_t i;

    for (i = 0; i < PAGE_NFILES; i++) {
        free(p->files[i].data);
        p->files[i].data = NULL;
        p->files[i].len = 0;
    }
}

const struct page_file *page_static(const struct page *p, const char *name) {
    size_t i;

    for (i = 1; i < PAGE_NFILES; i++) {
        if (p->files[i].data != NULL && strcmp(p->files[i].name, name) == 0)
            return &p->files[i];
    }
    return NULL;
}

/* Writes the value of one placeholder to out. 0 or -1 (cap reached). */
typedef int (*put_fn)(void *ctx, enum placeholder ph, struct buf *out);

/*
 * Append the template to out with every placeholder replaced by what put()
 * writes for it. 0, or -1 with err (500) when out's cap is reached.
 */
static int fill(const struct page *p, struct buf *out, put_fn put, void *ctx,
                struct err *err) {
    const char *s = p->files[0].data, *hit;
    size_t i, n;

    if (s == NULL)
        return err_set(err, 500, "page templates are not loaded");
    while ((hit = strstr(s, "<!--")) != NULL) {
        for (i = 0; i < PH_COUNT; i++) {
            n = strlen(PLACEHOLDERS[i]);
            if (strncmp(hit, PLACEHOLDERS[i], n) == 0)
                break;
        }
        if (i == PH_COUNT) { /* an ordinary comment: keep it */
            if (buf_append(out, s, (size_t)(hit - s) + 4) == -1)
                goto full;
            s = hit + 4;
            continue;
        }
        if (buf_append(out, s, (size_t)(hit - s)) == -1 ||
            put(ctx, (enum placeholder)i, out) == -1)
            goto full;
        s = hit + n;
    }
    if (buf_puts(out, s) == -1)
        goto full;
    return 0;
full:
    return err_set(err, 500, "page larger than %zu bytes", out->max);
}

/* the plain page */

static int put_index(void *ctx, enum placeholder ph, struct buf *out) {
    (void)ctx;
    switch (ph) {
    case PH_TITLE:
        return buf_puts(out, APP_NAME);
    case PH_VERSION:
        return esc_xml(out, PCAPCHART_VERSION);
    default:
        return 0;
    }
}

int page_index(const struct page *p, struct buf *out, struct err *err) {
    return fill(p, out, put_index, NULL, err);
}

/* the result page */

/* "1514 B", "48.3 KiB", ... */
static int put_bytes(struct buf *out, uint64_t n) {
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    size_t u = 0;

    if (n < 1024)
        return buf_printf(out, "%" PRIu64 " B", n);
    v /= 1024;
    while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024;
        u++;
    }
    return buf_printf(out, "%.1f %s", v, units[u]);
}

/* "12.345 s", "51 min 09 s", "26 h 03 min": exact below a minute, then rounded */
static int put_duration(struct buf *out, int64_t ns) {
    int64_t s;

    if (ns < 0)
        ns = 0;
    if (ns < 60 * (int64_t)1000000000)
        return buf_printf(out, "%.3f s", (double)ns / 1e9);
    s = (ns + 500000000) / 1000000000;
    if (s < 3600)
        return buf_printf(out, "%" PRId64 " min %02" PRId64 " s", s / 60, s % 60);
    return buf_printf(out, "%" PRId64 " h %02" PRId64 " min", s / 3600, (s % 3600) / 60);
}

/* The svg document without an XML declaration or doctype, ready to inline. */
static const char *svg_body(const char *svg, size_t len, size_t *out_len) {
    const char *s = svg, *end = svg + len, *close;

    for (;;) {
        while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
            s++;
        if ((size_t)(end - s) >= 2 &&
            (strncmp(s, "<?", 2) == 0 || strncmp(s, "<!D", 3) == 0)) {
            if ((close = memchr(s, '>', (size_t)(end - s))) == NULL)
                break;
            s = close + 1;
            continue;
        }
        break;
    }
    *out_len = (size_t)(end - s);
    return s;
}

static int put_stats(struct buf *out, const struct chart *c) {
    int64_t lo = 0, hi = 0;
    uint64_t bytes = 0;
    int decimated = 0;
    size_t i;

    chart_time_range(c, &lo, &hi);
    for (i = 0; i < c->nseries; i++)
        decimated |= c->series[i].decimated;
    if (c->nseries > 0)
        bytes = c->series[0].bytes;
    if (buf_printf(out,
                   "<dl class=\"stats\">\n"
                   "<div><dt>Packets</dt><dd>%" PRIu64 "</dd></div>\n"
                   "<div><dt>Duration</dt><dd>",
                   c->packets) == -1 ||
        put_duration(out, hi - lo) == -1 ||
        buf_puts(out, "</dd></div>\n<div><dt>Bytes</dt><dd>") == -1 ||
        put_bytes(out, bytes) == -1 ||
        buf_printf(out, "</dd></div>\n<div><dt>Largest packet</dt><dd>%" PRIu64 " B",
                   chart_len_max(c)) == -1 ||
        buf_printf(out, "</dd></div>\n<div><dt>Points</dt><dd>%s</dd></div>\n</dl>\n",
                   decimated ? "min/max per time column" : "every packet") == -1)
        return -1;
    return 0;
}

static int put_warnings(struct buf *out, const struct chart *c) {
    size_t i;

    if (c->nwarnings == 0)
        return 0;
    if (buf_puts(out, "<ul class=\"warnings\">\n") == -1)
        return -1;
    for (i = 0; i < c->nwarnings && i < MAX_WARNINGS; i++) {
        if (buf_puts(out, "<li>") == -1 || esc_xml(out, c->warnings[i]) == -1 ||
            buf_puts(out, "</li>\n") == -1)
            return -1;
    }
    return buf_puts(out, "</ul>\n");
}

/* A form posting the same file again to the API; the server keeps nothing. */
static int put_export(struct buf *out, const struct page_result *r) {
    if (buf_puts(out,
                 "<form class=\"export\" method=\"post\" "
                 "action=\"/api/chart?format=json\" enctype=\"multipart/form-data\">\n"
                 "<h3>Download the data</h3>\n"
                 "<p class=\"hint\">The server keeps nothing: choose the same "
                 "file again, then a format.</p>\n"
                 "<div class=\"row\">\n"
                 "<input type=\"file\" name=\"file\" required "
                 "aria-label=\"Capture file to export\">\n") == -1)
        return -1;
    if (r->width > 0 &&
        buf_printf(out, "<input type=\"hidden\" name=\"width\" value=\"%d\">\n",
                   r->width) == -1)
        return -1;
    if (r->height > 0 &&
        buf_printf(out, "<input type=\"hidden\" name=\"height\" value=\"%d\">\n",
                   r->height) == -1)
        return -1;
    if (r->max_points > 0 &&
        buf_printf(out, "<input type=\"hidden\" name=\"max_points\" value=\"%zu\">\n",
                   r->max_points) == -1)
        return -1;
    return buf_puts(out, "<button type=\"submit\" formaction=\"/api/chart?format=json\">"
                         "JSON</button>\n"
                         "<button type=\"submit\" formaction=\"/api/chart?format=csv\">"
                         "CSV</button>\n"
                         "<button type=\"submit\" formaction=\"/api/chart?format=svg\">"
                         "SVG</button>\n"
                         "</div>\n</form>\n");
}

static int put_result(void *ctx, enum placeholder ph, struct buf *out) {
    const struct page_result *r = ctx;
    const char *svg;
    size_t svg_len = 0;

    switch (ph) {
    case PH_TITLE:
        if (esc_xml(out, r->file_name) == -1 ||
            buf_puts(out, " \xC2\xB7 " APP_NAME) == -1)
            return -1;
        return 0;
    case PH_VERSION:
        return esc_xml(out, PCAPCHART_VERSION);
    case PH_RESULT:
        svg = r->svg != NULL ? svg_body(r->svg, r->svg_len, &svg_len) : NULL;
        if (buf_puts(out, "<section class=\"result\" id=\"result\" "
                          "aria-labelledby=\"result-title\">\n"
                          "<h2 id=\"result-title\">") == -1 ||
            esc_xml(out, r->file_name) == -1 || buf_puts(out, "</h2>\n") == -1 ||
            put_stats(out, r->chart) == -1 || put_warnings(out, r->chart) == -1 ||
            buf_puts(out, "<figure class=\"chart\">\n") == -1 ||
            (svg != NULL && buf_append(out, svg, svg_len) == -1) ||
            buf_puts(out, "\n</figure>\n") == -1 || put_export(out, r) == -1 ||
            buf_puts(out, "</section>\n") == -1)
            return -1;
        return 0;
    default:
        return 0;
    }
}

int page_result(const struct page *p, const struct page_result *r, struct buf *out,
                struct err *err) {
    return fill(p, out, put_result, (void *)r, err);
}

/* the error page */

struct error_ctx {
    int status;
    const char *reason;
    const char *msg;
};

static int put_error(void *ctx, enum placeholder ph, struct buf *out) {
    const struct error_ctx *e = ctx;

    switch (ph) {
    case PH_TITLE:
        if (buf_printf(out, "%d ", e->status) == -1 || esc_xml(out, e->reason) == -1 ||
            buf_puts(out, " \xC2\xB7 " APP_NAME) == -1)
            return -1;
        return 0;
    case PH_VERSION:
        return esc_xml(out, PCAPCHART_VERSION);
    case PH_RESULT:
        if (buf_printf(out,
                       "<section class=\"result error\" id=\"result\" role=\"alert\">\n"
                       "<h2>%d ",
                       e->status) == -1 ||
            esc_xml(out, e->reason) == -1 || buf_puts(out, "</h2>\n<p>") == -1 ||
            esc_xml(out, e->msg) == -1 || buf_puts(out, "</p>\n</section>\n") == -1)
            return -1;
        return 0;
    default:
        return 0;
    }
}

int page_error(const struct page *p, int status, const char *reason, const char *msg,
               struct buf *out, struct err *err) {
    struct error_ctx e = {status, reason != NULL ? reason : "", msg != NULL ? msg : ""};

    return fill(p, out, put_error, &e, err);
}
