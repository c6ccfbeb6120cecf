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

#include "base/escape.h"
#include "base/fmt.h"
#include "chart/names.h"
#include "render/page.h"
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

enum placeholder {
    PH_TITLE = 0,
    PH_KEEP,
    PH_CONTROLS,
    PH_RESULT,
    PH_VERSION,
    PH_META,
    PH_COUNT
};

static const char *const PLACEHOLDERS[PH_COUNT] = {
    "<!--TITLE-->",  "<!--KEEP-->",    "<!--CONTROLS-->",
    "<!--RESULT-->", "<!--VERSION-->", "<!--META-->",
};

#define APP_NAME "pcapchart"

/* ---- loading ---- */

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

void page_set_policy(struct page *p, int keep_s, uint64_t max_upload_bytes) {
    p->keep_s = keep_s;
    p->max_upload_bytes = max_upload_bytes;
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

/* ---- filling the template ---- */

/* Writes the value of one placeholder to out. 0 or -1 (cap reached). */
typedef int (*put_fn)(const struct page *p, void *ctx, enum placeholder ph,
                      struct buf *out);

/*
 * Append the template to out with every placeholder replaced by what put()
 * writes for it. 0, or -1 with err (500) when out's cap is reached.
 */
static int fill(const struct page *p, struct buf *out, put_fn put, void *ctx,
                struct err *err) {
    const char *s = p->files[0].data, *hit;
    size_t i, n = 0;

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
            put(p, ctx, (enum placeholder)i, out) == -1)
            goto full;
        s = hit + n;
    }
    if (buf_puts(out, s) == -1)
        goto full;
    return 0;
full:
    return err_set(err, 500, "page larger than %zu bytes", out->max);
}

/* ---- small formatters ---- */

/* "1 hour", "90 minutes", "45 seconds" */
static int put_span(struct buf *out, int s) {
    if (s % 3600 == 0)
        return buf_printf(out, "%d hour%s", s / 3600, s == 3600 ? "" : "s");
    if (s % 60 == 0)
        return buf_printf(out, "%d minute%s", s / 60, s == 60 ? "" : "s");
    return buf_printf(out, "%d second%s", s, s == 1 ? "" : "s");
}

/* v with thousands separators: "3,005,226" */
static int put_count(struct buf *out, uint64_t v) {
    char grouped[48];

    return buf_puts(out, fmt_thousands(grouped, sizeof(grouped), v));
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

/* ---- the controls ---- */

static int put_option(struct buf *out, const char *value, const char *label,
                      int selected) {
    if (buf_puts(out, "<option value=\"") == -1 || esc_xml(out, value) == -1 ||
        buf_puts(out, selected ? "\" selected>" : "\">") == -1 ||
        esc_xml(out, label) == -1 || buf_puts(out, "</option>") == -1)
        return -1;
    return 0;
}

static int put_kind(struct buf *out, const struct view *v) {
    size_t i;

    if (buf_puts(out, "<label class=\"field\">Chart\n<select name=\"kind\" "
                      "id=\"f-kind\">") == -1)
        return -1;
    for (i = 0; i < CHART_NKINDS; i++)
        if (put_option(out, CHART_KINDS[i].name, CHART_KINDS[i].label,
                       (size_t)v->kind == i) == -1)
            return -1;
    return buf_puts(out, "</select></label>\n");
}

static int put_interval(struct buf *out, const struct view *v) {
    static const struct {
        int64_t ns;
        const char *label;
    } steps[] = {
        {0, "Automatic"},           {1000LL, "1 \xC2\xB5s"},
        {10000LL, "10 \xC2\xB5s"},  {100000LL, "100 \xC2\xB5s"},
        {1000000LL, "1 ms"},        {10000000LL, "10 ms"},
        {100000000LL, "100 ms"},    {1000000000LL, "1 s"},
        {10000000000LL, "10 s"},    {60000000000LL, "1 min"},
        {600000000000LL, "10 min"},
    };
    char val[40], label[48];
    size_t i;
    int known = 0;

    if (buf_puts(out,
                 "<label class=\"field io-only\">Interval\n<select name=\"interval\" "
                 "id=\"f-interval\">") == -1)
        return -1;
    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        if (steps[i].ns == 0)
            val[0] = '\0'; /* blank: not given, automatic */
        else
            fmt_seconds(val, sizeof(val), steps[i].ns, 0, 9);
        known |= steps[i].ns == v->interval_ns;
        if (put_option(out, val, steps[i].label, steps[i].ns == v->interval_ns) == -1)
            return -1;
    }
    if (!known) { /* an interval typed into a URL stays selectable */
        fmt_seconds(val, sizeof(val), v->interval_ns, 0, 9);
        snprintf(label, sizeof(label), "%s s", val);
        if (put_option(out, val, label, 1) == -1)
            return -1;
    }
    return buf_puts(out, "</select></label>\n");
}

static int put_y(struct buf *out, const struct view *v) {
    size_t i;

    if (buf_puts(out, "<label class=\"field io-only\">Y axis\n<select name=\"y\" "
                      "id=\"f-y\">") == -1)
        return -1;
    for (i = 0; i < IO_NY; i++)
        if (put_option(out, IO_YS[i].name, IO_YS[i].label, (size_t)v->io_y == i) == -1)
            return -1;
    return buf_puts(out, "</select></label>\n");
}

static int put_sma(struct buf *out, const struct view *v) {
    static const unsigned smas[] = {0, 10, 20, 50, 100, 200, 500, 1000};
    char val[16], label[48];
    size_t i;
    int known = 0;

    if (buf_puts(out,
                 "<label class=\"field io-only\">Moving average\n<select name=\"sma\" "
                 "id=\"f-sma\">") == -1)
        return -1;
    for (i = 0; i < sizeof(smas) / sizeof(smas[0]); i++) {
        snprintf(val, sizeof(val), "%u", smas[i]);
        if (smas[i] == 0)
            snprintf(label, sizeof(label), "None");
        else
            snprintf(label, sizeof(label), "%u intervals", smas[i]);
        known |= smas[i] == v->sma;
        if (put_option(out, val, label, smas[i] == v->sma) == -1)
            return -1;
    }
    if (!known) {
        snprintf(val, sizeof(val), "%u", v->sma);
        snprintf(label, sizeof(label), "%u intervals", v->sma);
        if (put_option(out, val, label, 1) == -1)
            return -1;
    }
    return buf_printf(
        out,
        "</select></label>\n"
        "<label class=\"check io-only\"><input type=\"checkbox\" "
        "name=\"log\" value=\"1\" id=\"f-log\"%s> Logarithmic Y axis</label>\n",
        v->log_y ? " checked" : "");
}

/* One row of the series table: colour, name, filter, field. */
/*
 * The colour a series row starts with, CHART_PALETTE[i], in the lower case
 * <input type=color> uses.
 */
static const char *palette_lower(char dst[8], size_t i) {
    const char *src = CHART_PALETTE[i % MAX_SERIES];
    size_t k;

    for (k = 0; k < 7 && src[k] != '\0'; k++)
        dst[k] = src[k] >= 'A' && src[k] <= 'Z' ? (char)(src[k] - 'A' + 'a') : src[k];
    dst[k] = '\0';
    return dst;
}

static int put_series_row(struct buf *out, const struct view *v, size_t i) {
    const struct view_series *s = i < v->nseries ? &v->series[i] : NULL;
    char palette[8];
    const char *color =
        s != NULL && s->color[0] != '\0' ? s->color : palette_lower(palette, i);

    if (buf_printf(out,
                   "<li class=\"series-row\" data-row=\"%zu\">"
                   "<input type=\"color\" name=\"color\" value=\"%s\" "
                   "aria-label=\"Colour of series %zu\">"
                   "<input type=\"text\" name=\"name\" maxlength=\"63\" "
                   "placeholder=\"Name\" aria-label=\"Name of series %zu\" value=\"",
                   i + 1, color, i + 1, i + 1) == -1 ||
        (s != NULL && esc_xml(out, s->name) == -1) ||
        buf_printf(out,
                   "\"><input type=\"text\" name=\"filter\" class=\"filter\" "
                   "spellcheck=\"false\" autocomplete=\"off\" autocapitalize=\"off\" "
                   "placeholder=\"%s\" aria-label=\"Display filter of series %zu\" "
                   "value=\"",
                   i == 0 ? "Display filter, e.g. tcp (empty: every packet)"
                          : "Display filter, e.g. udp",
                   i + 1) == -1 ||
        (s != NULL && esc_xml(out, s->filter) == -1) ||
        buf_printf(out,
                   "\"><input type=\"text\" name=\"field\" class=\"field\" "
                   "list=\"pcc-fields\" maxlength=\"%d\" spellcheck=\"false\" "
                   "autocomplete=\"off\" autocapitalize=\"off\" "
                   "placeholder=\"Field (empty: frame.len)\" "
                   "aria-label=\"Field charted by series %zu\" value=\"",
                   MAX_FIELD_NAME_BYTES - 1, i + 1) == -1 ||
        (s != NULL && esc_xml(out, s->field) == -1) ||
        buf_printf(out,
                   "\"><button type=\"button\" class=\"icon remove\" "
                   "aria-label=\"Remove series %zu\" title=\"Remove\" hidden>"
                   "\xC3\x97</button></li>\n",
                   i + 1) == -1)
        return -1;
    return 0;
}

static int put_series(struct buf *out, const struct view *v) {
    size_t rows = v->nseries + 1, i;

    if (rows < 3)
        rows = 3;
    if (rows > MAX_SERIES)
        rows = MAX_SERIES;
    if (buf_printf(out,
                   "<fieldset class=\"series\">\n<legend>Series <span class=\"hint\">"
                   "(up to %d, each a Wireshark display filter)</span></legend>\n"
                   "<ol class=\"series-list\">\n",
                   MAX_SERIES) == -1)
        return -1;
    for (i = 0; i < rows; i++)
        if (put_series_row(out, v, i) == -1)
            return -1;
    /* the field boxes complete from /api/fields (app.js fills the list) */
    if (buf_puts(out, "</ol>\n<datalist id=\"pcc-fields\"></datalist>\n"
                      "<button type=\"button\" class=\"add-series\" hidden>"
                      "+ Add series</button>\n") == -1)
        return -1;
    /* split: one series per value of a field (the first filter applies) */
    if (buf_printf(out,
                   "<div class=\"split\"><label>Split by field "
                   "<input type=\"text\" name=\"split\" list=\"pcc-fields\" "
                   "maxlength=\"%d\" spellcheck=\"false\" autocomplete=\"off\" "
                   "autocapitalize=\"off\" placeholder=\"e.g. ip.src (empty: no split)\" "
                   "value=\"",
                   MAX_FIELD_NAME_BYTES - 1) == -1 ||
        esc_xml(out, v->split) == -1 ||
        buf_printf(out,
                   "\"></label> <label>Top <input type=\"number\" name=\"top\" min=\"1\" "
                   "max=\"%d\" step=\"1\" placeholder=\"%d\" value=\"",
                   SPLIT_MAX_TOP, SPLIT_DEFAULT_TOP) == -1)
        return -1;
    if (v->split[0] != '\0' && v->top != 0 && buf_printf(out, "%u", v->top) == -1)
        return -1;
    return buf_puts(out,
                    "\"></label> <span class=\"hint\">the values with the most bytes, "
                    "then other</span></div>\n</fieldset>\n");
}

static int put_zoom(struct buf *out, const struct view *v) {
    char start[40], end[40];

    start[0] = end[0] = '\0';
    if (v->has_start)
        fmt_seconds(start, sizeof(start), v->start_ns, 0, 9);
    if (v->has_end)
        fmt_seconds(end, sizeof(end), v->end_ns, 0, 9);
    return buf_printf(
        out,
        "<div class=\"zoom\" role=\"group\" aria-labelledby=\"zoom-label\">"
        "<span id=\"zoom-label\">Time range</span>\n"
        "<label>from <input type=\"text\" name=\"start\" id=\"f-start\" "
        "inputmode=\"decimal\" size=\"10\" placeholder=\"start\" "
        "value=\"%s\"></label>\n"
        "<label>to <input type=\"text\" name=\"end\" id=\"f-end\" "
        "inputmode=\"decimal\" size=\"10\" placeholder=\"end\" "
        "value=\"%s\"> s</label>\n"
        "<button type=\"button\" class=\"reset-zoom\"%s>Reset zoom</button>\n"
        "<span class=\"hint zoom-hint\" hidden>or drag across the chart"
        "</span></div>\n",
        start, end, v->has_start || v->has_end ? "" : " hidden");
}

static int put_more(struct buf *out, const struct page *p, const struct view *v) {
    char w[16], h[16], mp[24];

    w[0] = h[0] = mp[0] = '\0';
    if (v->width > 0)
        snprintf(w, sizeof(w), "%d", v->width);
    if (v->height > 0)
        snprintf(h, sizeof(h), "%d", v->height);
    if (v->max_points > 0)
        snprintf(mp, sizeof(mp), "%zu", v->max_points);
    if (buf_printf(
            out,
            "<details class=\"options\">\n<summary>More options</summary>\n"
            "<div class=\"fields\">\n"
            "<label>Width <span class=\"unit\">px</span>\n"
            "<input type=\"number\" name=\"width\" min=\"%d\" max=\"%d\" step=\"1\" "
            "placeholder=\"%d\" inputmode=\"numeric\" value=\"%s\"></label>\n"
            "<label>Height <span class=\"unit\">px</span>\n"
            "<input type=\"number\" name=\"height\" min=\"%d\" max=\"%d\" step=\"1\" "
            "placeholder=\"%d\" inputmode=\"numeric\" value=\"%s\"></label>\n"
            "<label>Exact up to <span class=\"unit\">packets</span>\n"
            "<input type=\"number\" name=\"max_points\" min=\"1\" max=\"%d\" step=\"1\" "
            "placeholder=\"%d\" inputmode=\"numeric\" value=\"%s\"></label>\n"
            "</div>\n<p class=\"hint\">Past that many packets, a size chart keeps the "
            "smallest and largest packet of each time column, so every spike stays "
            "visible.</p>\n",
            MIN_WIDTH_PX, MAX_WIDTH_PX, DEFAULT_WIDTH_PX, w, MIN_HEIGHT_PX, MAX_HEIGHT_PX,
            DEFAULT_HEIGHT_PX, h, MAX_POINTS_LIMIT, DEFAULT_MAX_POINTS, mp) == -1)
        return -1;
    if (p->keep_s > 0 &&
        buf_printf(out,
                   "<label class=\"check\"><input type=\"checkbox\" name=\"retain\" "
                   "value=\"0\" id=\"f-retain\"%s> Do not keep my capture on the "
                   "server (every change then uploads it again)</label>\n",
                   v->retain ? "" : " checked") == -1)
        return -1;
    return buf_puts(out, "</details>\n");
}

static int put_controls(const struct page *p, const struct page_view *pv,
                        struct buf *out) {
    struct view defaults;
    const struct view *v = pv != NULL ? pv->view : NULL;
    const char *id = pv != NULL ? pv->id_hex : NULL;

    if (v == NULL) {
        view_init(&defaults, VIEW_HTML);
        v = &defaults;
    }
    if (buf_printf(out,
                   "<div class=\"controls\" id=\"controls\" data-max-upload=\"%" PRIu64
                   "\" data-keep=\"%d\"%s%s%s>\n"
                   "<div class=\"row\">\n",
                   p->max_upload_bytes, p->keep_s, id != NULL ? " data-id=\"" : "",
                   id != NULL ? id : "", id != NULL ? "\"" : "") == -1 ||
        put_kind(out, v) == -1 || put_interval(out, v) == -1 || put_y(out, v) == -1 ||
        put_sma(out, v) == -1 || buf_puts(out, "</div>\n") == -1 ||
        put_series(out, v) == -1 || put_zoom(out, v) == -1 || put_more(out, p, v) == -1)
        return -1;
    if (id != NULL && pv->file_name != NULL &&
        (buf_puts(out, "<input type=\"hidden\" name=\"filename\" value=\"") == -1 ||
         esc_xml(out, pv->file_name) == -1 || buf_puts(out, "\">\n") == -1))
        return -1;
    if (buf_puts(out, "<div class=\"actions\">\n") == -1)
        return -1;
    /* first, so that Enter in a field updates the view rather than uploading again */
    if (id != NULL && buf_printf(out,
                                 "<button type=\"submit\" class=\"primary update\" "
                                 "formaction=\"/c/%s\" formmethod=\"get\" "
                                 "formnovalidate>Update chart</button>\n",
                                 id) == -1)
        return -1;
    return buf_printf(out,
                      "<button type=\"submit\" class=\"%s draw\">%s</button>\n"
                      "<progress class=\"progress\" max=\"100\" value=\"0\" hidden>"
                      "</progress>\n"
                      "<span class=\"status\" role=\"status\" aria-live=\"polite\">"
                      "</span>\n</div>\n</div>\n",
                      id != NULL ? "secondary" : "primary",
                      id != NULL ? "Upload a new file" : "Draw chart");
}

static int put_keep(const struct page *p, struct buf *out) {
    if (p->keep_s <= 0)
        return buf_puts(out, "and deletes the file as soon as the answer is sent.");
    if (buf_puts(out, "and keeps the file (under its SHA-256, nothing else) for ") ==
            -1 ||
        put_span(out, p->keep_s) == -1 ||
        buf_puts(out, " after its last use, so you can change the chart without "
                      "uploading it again. Tick <em>Do not keep my capture</em> under "
                      "<em>More options</em> to have it deleted at once.") == -1)
        return -1;
    return 0;
}

/* ---- the names the script shares with the server ---- */

/* The JSON of chart/names.h: kinds, io values and the palette. */
static int meta_json(struct buf *j) {
    size_t i;

    if (buf_puts(j, "{\"kinds\": [") == -1)
        return -1;
    for (i = 0; i < CHART_NKINDS; i++)
        if (buf_puts(j, i > 0 ? ", {\"name\": " : "{\"name\": ") == -1 ||
            esc_json(j, CHART_KINDS[i].name) == -1 ||
            buf_puts(j, ", \"label\": ") == -1 ||
            esc_json(j, CHART_KINDS[i].label) == -1 || buf_puts(j, "}") == -1)
            return -1;
    if (buf_puts(j, "],\n\"y\": [") == -1)
        return -1;
    for (i = 0; i < IO_NY; i++)
        if (buf_puts(j, i > 0 ? ", {\"name\": " : "{\"name\": ") == -1 ||
            esc_json(j, IO_YS[i].name) == -1 || buf_puts(j, ", \"label\": ") == -1 ||
            esc_json(j, IO_YS[i].label) == -1 || buf_puts(j, ", \"unit\": ") == -1 ||
            esc_json(j, IO_YS[i].unit) == -1 ||
            buf_puts(j, IO_YS[i].of_field ? ", \"of_field\": true}" : "}") == -1)
            return -1;
    if (buf_puts(j, "],\n\"palette\": [") == -1)
        return -1;
    for (i = 0; i < MAX_SERIES; i++)
        if ((i > 0 && buf_puts(j, ", ") == -1) || esc_json(j, CHART_PALETTE[i]) == -1)
            return -1;
    return buf_puts(j, "]}");
}

/*
 * A data block the script reads (JSON.parse of its text): not executed, so
 * the Content-Security-Policy's script-src does not concern it. '<' is
 * written \u003c so that no text can close the element.
 */
static int put_meta(struct buf *out) {
    struct buf j = BUF_INIT(MAX_STATIC_BYTES);
    size_t i;
    int rc = -1;

    if (meta_json(&j) == -1 ||
        buf_puts(out, "<script type=\"application/json\" id=\"pcapchart-meta\">") == -1)
        goto done;
    for (i = 0; i < j.len; i++)
        if ((j.data[i] == '<' ? buf_puts(out, "\\u003c")
                              : buf_append(out, &j.data[i], 1)) == -1)
            goto done;
    rc = buf_puts(out, "</script>");
done:
    buf_release(&j);
    return rc;
}

/* ---- the plain page ---- */

static int put_index(const struct page *p, void *ctx, enum placeholder ph,
                     struct buf *out) {
    (void)ctx;
    switch (ph) {
    case PH_TITLE:
        return buf_puts(out, APP_NAME);
    case PH_KEEP:
        return put_keep(p, out);
    case PH_CONTROLS:
        return put_controls(p, NULL, out);
    case PH_VERSION:
        return esc_xml(out, PCAPCHART_VERSION);
    case PH_META:
        return put_meta(out);
    default:
        return 0;
    }
}

int page_index(const struct page *p, struct buf *out, struct err *err) {
    return fill(p, out, put_index, NULL, err);
}

/* ---- the result page ---- */

static int put_summary_series(struct buf *out, const struct chart *c) {
    size_t i;

    if (buf_printf(out,
                   "<table class=\"summary series-stats\">\n<caption>%s</caption>\n"
                   "<thead><tr><th scope=\"col\">Series</th>"
                   "<th scope=\"col\" class=\"num\">Packets</th>"
                   "<th scope=\"col\" class=\"num\">Bytes</th>"
                   "<th scope=\"col\" class=\"num\">Duration</th>"
                   "<th scope=\"col\" class=\"num\">Smallest</th>"
                   "<th scope=\"col\" class=\"num\">Mean</th>"
                   "<th scope=\"col\" class=\"num\">Largest</th>",
                   c->has_start || c->has_end ? "Packets in the time range"
                                              : "Packets") == -1)
        return -1;
    if (c->kind == CHART_HIST &&
        buf_puts(out, "<th scope=\"col\" class=\"num\">Median</th>"
                      "<th scope=\"col\" class=\"num\">95th</th>"
                      "<th scope=\"col\" class=\"num\">99th</th>") == -1)
        return -1;
    if (buf_puts(out, "</tr></thead>\n<tbody>\n") == -1)
        return -1;
    for (i = 0; i < c->nseries; i++) {
        const struct series *s = &c->series[i];

        if (buf_printf(out,
                       "<tr><th scope=\"row\"><span class=\"swatch\" "
                       "style=\"background:%s\"></span>",
                       s->color[0] == '#' ? s->color : "#888888") == -1 ||
            esc_xml(out, s->name) == -1)
            return -1;
        if (s->filter[0] != '\0' &&
            (buf_puts(out, " <code class=\"filter\">") == -1 ||
             esc_xml(out, s->filter) == -1 || buf_puts(out, "</code>") == -1))
            return -1;
        if (buf_puts(out, "</th><td class=\"num\">") == -1 ||
            put_count(out, s->packets) == -1 ||
            buf_puts(out, "</td><td class=\"num\">") == -1 ||
            put_count(out, s->bytes) == -1 ||
            buf_puts(out, "</td><td class=\"num\">") == -1)
            return -1;
        if ((s->timed > 0 ? put_duration(out, s->t_max_ns - s->t_min_ns)
                          : buf_puts(out, "\xE2\x80\x93")) == -1)
            return -1;
        if (s->packets == 0) {
            if (buf_puts(out, "</td><td class=\"num\">\xE2\x80\x93</td>"
                              "<td class=\"num\">\xE2\x80\x93</td>"
                              "<td class=\"num\">\xE2\x80\x93") == -1)
                return -1;
        } else if (buf_printf(out,
                              "</td><td class=\"num\">%" PRIu64
                              " B</td><td class=\"num\">%.1f B</td>"
                              "<td class=\"num\">%" PRIu64 " B",
                              s->len_min, (double)s->bytes / (double)s->packets,
                              s->len_max) == -1) {
            return -1;
        }
        if (c->kind == CHART_HIST && buf_printf(out,
                                                "</td><td class=\"num\">%" PRIu64
                                                " B</td><td class=\"num\">%" PRIu64
                                                " B</td><td class=\"num\">%" PRIu64 " B",
                                                s->p50, s->p95, s->p99) == -1)
            return -1;
        if (buf_puts(out, "</td></tr>\n") == -1)
            return -1;
    }
    return buf_puts(out, "</tbody>\n</table>\n");
}

static int put_fact(struct buf *out, const char *label, const char *text) {
    if (buf_printf(out, "<tr><th scope=\"row\">%s</th><td>", label) == -1 ||
        esc_xml(out, text) == -1 || buf_puts(out, "</td></tr>\n") == -1)
        return -1;
    return 0;
}

static int put_summary(struct buf *out, const struct page_result *r) {
    const struct chart *c = r->chart;
    int64_t lo = 0, hi = 0;
    char a[40], b[40];
    int decimated = 0;
    size_t i;

    chart_time_range(c, &lo, &hi);
    for (i = 0; i < c->nseries; i++)
        decimated |= c->series[i].decimated;
    if (buf_puts(out, "<div class=\"summaries\">\n<table class=\"summary facts\">\n"
                      "<caption>Capture</caption>\n<tbody>\n") == -1 ||
        put_fact(out, "File", r->file_name) == -1)
        return -1;
    if (r->info != NULL && r->info->format[0] != '\0' &&
        put_fact(out, "File format", r->info->format) == -1)
        return -1;
    if (r->info != NULL && r->info->encap[0] != '\0' &&
        put_fact(out, "Link types", r->info->encap) == -1)
        return -1;
    if (buf_puts(out, "<tr><th scope=\"row\">Packets read</th><td>") == -1 ||
        put_count(out, c->packets) == -1 ||
        buf_puts(out, "</td></tr>\n<tr><th scope=\"row\">Time span shown</th><td>") ==
            -1 ||
        put_duration(out, hi - lo) == -1 || buf_puts(out, "</td></tr>\n") == -1)
        return -1;
    if ((c->has_start || c->has_end) &&
        buf_printf(
            out, "<tr><th scope=\"row\">Zoom</th><td>%s s \xE2\x80\x93 %s s</td></tr>\n",
            c->has_start ? fmt_seconds(a, sizeof(a), c->start_ns, 0, 9) : "start",
            c->has_end ? fmt_seconds(b, sizeof(b), c->end_ns, 0, 9) : "end") == -1)
        return -1;
    if (c->kind == CHART_SIZE &&
        put_fact(out, "Points", decimated ? "min/max per time column" : "every packet") ==
            -1)
        return -1;
    if (buf_puts(out, "</tbody>\n</table>\n") == -1 || put_summary_series(out, c) == -1)
        return -1;
    return buf_puts(out, "</div>\n");
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

/* "name-kind.ext", escaped for an attribute */
static int put_download_name(struct buf *out, const struct page_result *r,
                             const char *ext) {
    if (esc_xml(out, r->file_name) == -1 ||
        buf_printf(out, "-%s.%s", chart_kind_name(r->chart->kind), ext) == -1)
        return -1;
    return 0;
}

static int put_link(struct buf *out, const struct page_result *r, const char *fmt,
                    const char *label) {
    const char *sep = strchr(r->view_url, '?') != NULL ? "&amp;" : "?";

    if (buf_printf(out, "<a class=\"button\" data-format=\"%s\" href=\"", fmt) == -1 ||
        esc_xml(out, r->view_url) == -1 ||
        buf_printf(out, "%sformat=%s", sep, fmt) == -1 ||
        buf_puts(out, "\" download=\"") == -1 || put_download_name(out, r, fmt) == -1 ||
        buf_printf(out, "\">%s</a>\n", label) == -1)
        return -1;
    return 0;
}

static int put_downloads(struct buf *out, const struct page_result *r) {
    if (buf_puts(out,
                 "<div class=\"downloads\" role=\"group\" "
                 "aria-label=\"Download the chart\">\n<span>Download</span>\n") == -1)
        return -1;
    if (r->view_url != NULL && put_link(out, r, "svg", "SVG") == -1)
        return -1;
    if (buf_puts(out, "<button type=\"button\" class=\"button png\" data-name=\"") ==
            -1 ||
        put_download_name(out, r, "png") == -1 ||
        buf_puts(out, "\" hidden>PNG</button>\n") == -1)
        return -1;
    if (r->view_url != NULL &&
        (put_link(out, r, "csv", "CSV") == -1 || put_link(out, r, "json", "JSON") == -1))
        return -1;
    return buf_puts(out, "</div>\n");
}

/*
 * Not kept: a form posting the same file again to the API, the view in its
 * query string (and retain=0: the user asked for nothing to be kept).
 */
static int put_export(struct buf *out, const struct page_result *r) {
    struct buf q = BUF_INIT(MAX_QUERY_BYTES);
    static const char *const fmts[] = {"json", "csv", "svg"};
    int rc = -1;
    size_t i;

    if (view_query(r->pv.view, &q) == -1 ||
        buf_puts(&q, q.len > 0 ? "&retain=0" : "retain=0") == -1)
        goto done;
    if (buf_puts(out, "<form class=\"export\" method=\"post\" action=\"/api/chart?") ==
            -1 ||
        esc_xml(out, q.data) == -1 ||
        buf_puts(out, "&amp;format=json\" enctype=\"multipart/form-data\">\n"
                      "<h3>Download the data</h3>\n"
                      "<p class=\"hint\">The server kept nothing: choose the same "
                      "file again, then a format.</p>\n"
                      "<div class=\"row\">\n"
                      "<input type=\"file\" name=\"file\" required "
                      "aria-label=\"Capture file to export\">\n") == -1)
        goto done;
    for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
        if (buf_puts(out, "<button type=\"submit\" formaction=\"/api/chart?") == -1 ||
            esc_xml(out, q.data) == -1 ||
            buf_printf(out, "&amp;format=%s\">%c%c%c</button>\n", fmts[i],
                       fmts[i][0] - 32, fmts[i][1] - 32, fmts[i][2] - 32) == -1)
            goto done;
    }
    rc = buf_puts(out, "</div>\n</form>\n");
done:
    buf_release(&q);
    return rc;
}

static int put_kept(const struct page *p, struct buf *out, const struct page_result *r) {
    if (r->view_url == NULL) {
        if (buf_puts(out, "<p class=\"kept\">Not kept on the server") == -1 ||
            (r->not_kept != NULL &&
             (buf_puts(out, " (") == -1 || esc_xml(out, r->not_kept) == -1 ||
              buf_puts(out, ")") == -1)) ||
            buf_puts(out, ": a new view uploads the file again.</p>\n") == -1)
            return -1;
        return 0;
    }
    if (buf_puts(out, "<p class=\"kept\">Kept for ") == -1 ||
        put_span(out, p->keep_s) == -1 ||
        buf_puts(out, " after its last use \xC2\xB7 <a class=\"permalink\" href=\"") ==
            -1 ||
        esc_xml(out, r->view_url) == -1 ||
        buf_puts(out, "\">Link to this view</a></p>\n") == -1)
        return -1;
    return 0;
}

static int put_result_section(const struct page *p, const struct page_result *r,
                              struct buf *out) {
    const char *svg;
    size_t svg_len = 0;

    svg = r->svg != NULL ? svg_body(r->svg, r->svg_len, &svg_len) : NULL;
    if (buf_printf(out,
                   "<section class=\"result card\" id=\"result\" "
                   "aria-labelledby=\"result-title\" data-kind=\"%s\"",
                   chart_kind_name(r->chart->kind)) == -1)
        return -1;
    if (r->view_url != NULL &&
        (buf_puts(out, " data-view=\"") == -1 || esc_xml(out, r->view_url) == -1 ||
         buf_puts(out, "\"") == -1))
        return -1;
    if (buf_puts(out, ">\n<div class=\"result-head\">\n<h2 id=\"result-title\">") == -1 ||
        esc_xml(out, r->file_name) == -1 || buf_puts(out, "</h2>\n") == -1 ||
        put_kept(p, out, r) == -1 || buf_puts(out, "</div>\n") == -1 ||
        put_warnings(out, r->chart) == -1 ||
        buf_puts(out, "<figure class=\"chart\" id=\"chart\">\n") == -1 ||
        (svg != NULL && buf_append(out, svg, svg_len) == -1) ||
        buf_puts(out, "\n<div class=\"zoom-box\" hidden></div>"
                      "<div class=\"tip\" role=\"tooltip\" hidden></div>\n</figure>\n") ==
            -1 ||
        put_downloads(out, r) == -1 || put_summary(out, r) == -1 ||
        (r->view_url == NULL && put_export(out, r) == -1) ||
        buf_puts(out, "</section>\n") == -1)
        return -1;
    return 0;
}

static int put_result(const struct page *p, void *ctx, enum placeholder ph,
                      struct buf *out) {
    const struct page_result *r = ctx;

    switch (ph) {
    case PH_TITLE:
        if (esc_xml(out, r->file_name) == -1 ||
            buf_puts(out, " \xC2\xB7 " APP_NAME) == -1)
            return -1;
        return 0;
    case PH_KEEP:
        return put_keep(p, out);
    case PH_CONTROLS:
        return put_controls(p, &r->pv, out);
    case PH_VERSION:
        return esc_xml(out, PCAPCHART_VERSION);
    case PH_META:
        return put_meta(out);
    case PH_RESULT:
        return put_result_section(p, r, out);
    default:
        return 0;
    }
}

int page_result(const struct page *p, const struct page_result *r, struct buf *out,
                struct err *err) {
    return fill(p, out, put_result, (void *)r, err);
}

/* ---- the error page ---- */

struct error_ctx {
    int status;
    const char *reason;
    const char *msg;
    const struct page_view *pv;
};

static int put_error(const struct page *p, void *ctx, enum placeholder ph,
                     struct buf *out) {
    const struct error_ctx *e = ctx;

    switch (ph) {
    case PH_TITLE:
        if (buf_printf(out, "%d ", e->status) == -1 || esc_xml(out, e->reason) == -1 ||
            buf_puts(out, " \xC2\xB7 " APP_NAME) == -1)
            return -1;
        return 0;
    case PH_KEEP:
        return put_keep(p, out);
    case PH_CONTROLS:
        return put_controls(p, e->pv, out);
    case PH_VERSION:
        return esc_xml(out, PCAPCHART_VERSION);
    case PH_META:
        return put_meta(out);
    case PH_RESULT:
        if (buf_printf(out,
                       "<section class=\"result error card\" id=\"result\" "
                       "role=\"alert\" data-status=\"%d\">\n<h2>%d ",
                       e->status, e->status) == -1 ||
            esc_xml(out, e->reason) == -1 || buf_puts(out, "</h2>\n<p>") == -1 ||
            esc_xml(out, e->msg) == -1 || buf_puts(out, "</p>\n</section>\n") == -1)
            return -1;
        return 0;
    default:
        return 0;
    }
}

int page_error(const struct page *p, int status, const char *reason, const char *msg,
               const struct page_view *pv, struct buf *out, struct err *err) {
    struct error_ctx e = {status, reason != NULL ? reason : "", msg != NULL ? msg : "",
                          pv};

    return fill(p, out, put_error, &e, err);
}
