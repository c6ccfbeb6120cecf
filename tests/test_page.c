/* test_page.c - templates load, placeholders are filled, hostile text is escaped. */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chart/chart.h"
#include "chart/names.h"
#include "render/page.h"
#include "chart/view.h"
#include "check.h"
#include "banned.h"

#define HOSTILE "<script>alert(1)</script>&\"'<img src=x onerror=alert(2)>.pcap"
#define HOSTILE_ESCAPED                                                                  \
    "&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;&lt;img src=x "                \
    "onerror=alert(2)&gt;.pcap"

static char dir[MAX_PATH_BYTES];

static const char TEMPLATE[] =
    "<!doctype html><title><!--TITLE--></title>\n"
    "<!-- an ordinary comment -->\n"
    "<main><p><!--KEEP--></p><form method=post action=\"/\"><!--CONTROLS--></form>\n"
    "<!--RESULT-->\n</main><footer><!--VERSION--></footer><!--META-->\n";

static void write_file(const char *name, const char *text) {
    char path[MAX_PATH_BYTES + 64];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fp = fopen(path, "w");
    CHECK(fp != NULL);
    if (fp == NULL)
        return;
    CHECK(fputs(text, fp) >= 0);
    CHECK(fclose(fp) == 0);
}

static void remove_file(const char *name) {
    char path[MAX_PATH_BYTES + 64];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    unlink(path);
}

static void write_www(const char *tmpl) {
    write_file("index.html", tmpl);
    write_file("style.css", "body{color:red}\n");
    write_file("app.js", "'use strict';\n");
    write_file("favicon.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n");
}

/* No placeholder is left in s. */
static int filled(const char *s) {
    return strstr(s, "<!--TITLE-->") == NULL && strstr(s, "<!--RESULT-->") == NULL &&
           strstr(s, "<!--VERSION-->") == NULL && strstr(s, "<!--KEEP-->") == NULL &&
           strstr(s, "<!--CONTROLS-->") == NULL && strstr(s, "<!--META-->") == NULL;
}

static void test_load_errors(void) {
    struct page p = PAGE_INIT;
    struct err err = ERR_INIT;

    write_www("<title><!--TITLE--></title><!--KEEP--><!--CONTROLS--><!--VERSION-->");
    CHECK(page_load(&p, dir, &err) == -1); /* no RESULT */
    CHECK(err.status == 500 && strstr(err.msg, "<!--RESULT-->") != NULL);
    CHECK(p.files[0].data == NULL);

    write_www("<!--TITLE--><!--KEEP--><!--RESULT--><!--VERSION-->"); /* no CONTROLS */
    CHECK(page_load(&p, dir, &err) == -1 && strstr(err.msg, "<!--CONTROLS-->") != NULL);
    write_www("<!--TITLE--><!--KEEP--><!--CONTROLS--><!--RESULT--><!--RESULT-->"
              "<!--VERSION-->"); /* twice */
    CHECK(page_load(&p, dir, &err) == -1);

    write_www(TEMPLATE);
    remove_file("app.js");
    err.status = 0;
    CHECK(page_load(&p, dir, &err) == -1);
    CHECK(err.status == 500 && strstr(err.msg, "app.js") != NULL);
    CHECK(page_load(&p, dir, NULL) == -1);
    page_release(&p);
    page_release(&p);
}

static void test_static(const struct page *p) {
    const struct page_file *f;

    f = page_static(p, "style.css");
    CHECK(f != NULL && strcmp(f->data, "body{color:red}\n") == 0);
    CHECK(f != NULL && strncmp(f->ctype, "text/css", 8) == 0);
    f = page_static(p, "favicon.svg");
    CHECK(f != NULL && strcmp(f->ctype, "image/svg+xml") == 0);
    f = page_static(p, "app.js");
    CHECK(f != NULL && strstr(f->ctype, "javascript") != NULL);
    CHECK(page_static(p, "index.html") == NULL); /* the template is not served raw */
    CHECK(page_static(p, "") == NULL);
    CHECK(page_static(p, "../style.css") == NULL);
    CHECK(page_static(p, "style.css/") == NULL);
    CHECK(page_static(p, "STYLE.CSS") == NULL);
    CHECK(page_static(p, "/etc/passwd") == NULL);
}

/* No <script> in s but the one data block of the names. */
static int only_meta_script(const char *s) {
    static const char META[] = "<script type=\"application/json\" id=\"pcapchart-meta\">";
    const char *at = strstr(s, "<script");

    return at != NULL && strncmp(at, META, strlen(META)) == 0 &&
           strstr(at + 1, "<script") == NULL;
}

/*
 * The data block of the names: JSON (no '<' in it) that says what
 * chart/names.h says, and the only <script> with a body.
 */
static void check_meta(const char *html) {
    static const char OPEN[] = "<script type=\"application/json\" id=\"pcapchart-meta\">";
    const char *a = strstr(html, OPEN), *z;
    json_t *root = NULL, *ys, *pal;
    json_error_t jerr;
    size_t i;

    CHECK(a != NULL && (z = strstr(a, "</script>")) != NULL);
    if (a == NULL || z == NULL)
        return;
    a += strlen(OPEN);
    CHECK(memchr(a, '<', (size_t)(z - a)) == NULL);
    CHECK((root = json_loadb(a, (size_t)(z - a), 0, &jerr)) != NULL);
    ys = json_object_get(root, "y");
    pal = json_object_get(root, "palette");
    CHECK(json_array_size(json_object_get(root, "kinds")) == CHART_NKINDS);
    CHECK(json_array_size(ys) == IO_NY && json_array_size(pal) == MAX_SERIES);
    for (i = 0; i < IO_NY; i++)
        CHECK(strcmp(json_string_value(json_object_get(json_array_get(ys, i), "label")),
                     IO_YS[i].label) == 0);
    CHECK(strcmp(json_string_value(json_array_get(pal, 0)), "#0072B2") == 0);
    CHECK(strcmp(json_string_value(json_object_get(
                     json_array_get(json_object_get(root, "kinds"), 2), "name")),
                 "hist") == 0);
    json_decref(root);
}

static void test_index(const struct page *p) {
    struct buf out = BUF_INIT(MAX_PAGE_BYTES);
    struct err err = ERR_INIT;

    CHECK(page_index(p, &out, &err) == 0);
    CHECK(out.data != NULL && filled(out.data));
    if (out.data != NULL) {
        CHECK(strstr(out.data, "<title>pcapchart</title>") != NULL);
        CHECK(strstr(out.data, "<footer>" PCAPCHART_VERSION "</footer>") != NULL);
        CHECK(strstr(out.data, "<!-- an ordinary comment -->") != NULL);
        CHECK(strstr(out.data, "<main><p>") != NULL);
        CHECK(strstr(out.data, "class=\"result") == NULL);
        /* the controls at their defaults, and no view to update */
        CHECK(strstr(out.data, "<option value=\"size\" selected>") != NULL);
        CHECK(strstr(out.data, "name=\"filter\"") != NULL);
        CHECK(strstr(out.data, "name=\"kind\"") != NULL);
        CHECK(strstr(out.data, "name=\"interval\"") != NULL);
        CHECK(strstr(out.data, "name=\"y\"") != NULL);
        CHECK(strstr(out.data, "name=\"sma\"") != NULL);
        CHECK(strstr(out.data, "name=\"log\"") != NULL);
        CHECK(strstr(out.data, "name=\"start\"") != NULL);
        CHECK(strstr(out.data, "formaction=\"/c/") == NULL);
        CHECK(strstr(out.data, "data-keep=\"3600\"") != NULL);
        CHECK(strstr(out.data, "1 hour after its last use") != NULL);
        CHECK(strstr(out.data, "name=\"retain\" value=\"0\"") != NULL);
        /* the palette's first colour starts the first series row */
        CHECK(strstr(out.data, "name=\"color\" value=\"#0072b2\"") != NULL);
        check_meta(out.data);
    }
    buf_release(&out);

    /* the cap holds */
    buf_init(&out, 20);
    err.status = 0;
    CHECK(page_index(p, &out, &err) == -1 && err.status == 500);
    buf_release(&out);
}

static void test_result(const struct page *p) {
    static const char svg[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                              "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                              "id=\"the-svg\"><title>t</title></svg>\n";
    static const char id[] =
        "25a72bdf10339f2c29916920c8b9501d294923108de8f29b19aba7cc001ab60d";
    struct buf out = BUF_INIT(MAX_PAGE_BYTES);
    struct err err = ERR_INIT;
    struct capinfo info;
    struct page_result r;
    struct view *v = calloc(1, sizeof(*v));
    struct chart *c = calloc(1, sizeof(*c));

    CHECK(c != NULL && v != NULL);
    if (c == NULL || v == NULL) {
        free(c);
        free(v);
        return;
    }
    view_init(v, VIEW_HTML);
    CHECK(view_set(v, "filter", "tcp && ip.src == 10.0.0.1", 25, &err) == 0);
    CHECK(view_set(v, "name", HOSTILE, strlen(HOSTILE), &err) == 0);
    CHECK(view_set(v, "filter", "<b>udp</b>", 10, &err) == 0);
    CHECK(view_set(v, "width", "1024", 4, &err) == 0);
    CHECK(view_set(v, "max_points", "500", 3, &err) == 0);
    CHECK(view_set(v, "interval", "0.25", 4, &err) == 0);
    CHECK(view_finish(v, &err) == 0);
    chart_init(c, 800, 400, 0);
    c->nseries = 2;
    snprintf(c->series[0].filter, sizeof(c->series[0].filter), "tcp");
    snprintf(c->series[1].name, sizeof(c->series[1].name), "%s", "<i>x</i>");
    snprintf(c->subject, sizeof(c->subject), "%s", HOSTILE);
    {
        struct pkt a = {1, 0, 60, 1, 1, NULL, 0, 0, NULL},
                   b = {2, 3069061000000LL, 1514, 1, 1, NULL, 0, 0, NULL};
        CHECK(chart_add(c, 0, &a, NULL) == 0 && chart_add(c, 0, &b, NULL) == 0);
    }
    c->packets = 42;
    chart_warn(c, "frame 7 of '%s' has no time", HOSTILE);
    chart_warn(c, "line\nbreak and tab\there");
    chart_finish(c);
    snprintf(info.format, sizeof(info.format), "Wireshark/tcpdump/... - pcap");
    snprintf(info.encap, sizeof(info.encap), "Ethernet (3), <Raw IP> (1)");

    memset(&r, 0, sizeof(r));
    r.pv.view = v;
    r.pv.id_hex = id;
    r.pv.file_name = HOSTILE;
    r.file_name = HOSTILE;
    r.chart = c;
    r.svg = svg;
    r.svg_len = strlen(svg);
    r.view_url = "/c/25a72bdf10339f2c29916920c8b9501d294923108de8f29b19aba7cc001ab60d?"
                 "filter=tcp&filter=%3Cb%3E&width=1024";
    r.info = &info;
    CHECK(page_result(p, &r, &out, &err) == 0);
    CHECK(out.data != NULL && filled(out.data));
    if (out.data != NULL) {
        /* nothing hostile survives unescaped, in title, heading or warnings */
        CHECK(only_meta_script(out.data));
        CHECK(strstr(out.data, "<img") == NULL);
        CHECK(strstr(out.data, "<i>") == NULL && strstr(out.data, "<b>") == NULL);
        CHECK(strstr(out.data, "&lt;b&gt;udp&lt;/b&gt;") != NULL); /* the filter field */
        CHECK(strstr(out.data, "<title>" HOSTILE_ESCAPED " \xC2\xB7 pcapchart</title>") !=
              NULL);
        CHECK(strstr(out.data, ">" HOSTILE_ESCAPED "</h2>") != NULL);
        CHECK(strstr(out.data, "<li>frame 7 of &#39;" HOSTILE_ESCAPED
                               "&#39; has no time</li>") != NULL);
        CHECK(strstr(out.data, "line\nbreak") == NULL); /* controls replaced */
        /* the summary: capinfos' facts (escaped), counts, duration, sizes */
        CHECK(strstr(out.data, "<td>Wireshark/tcpdump/... - pcap</td>") != NULL);
        CHECK(strstr(out.data, "<td>Ethernet (3), &lt;Raw IP&gt; (1)</td>") != NULL);
        CHECK(strstr(out.data, "<td>42</td>") != NULL);
        CHECK(strstr(out.data, "51 min 09 s") != NULL);                  /* 3069.061 s */
        CHECK(strstr(out.data, "<td class=\"num\">1,574</td>") != NULL); /* bytes */
        CHECK(strstr(out.data, ">60 B<") != NULL && strstr(out.data, ">1514 B<") != NULL);
        CHECK(strstr(out.data, ">787.0 B<") != NULL); /* mean */
        CHECK(strstr(out.data, "<code class=\"filter\">tcp</code>") != NULL);
        CHECK(strstr(out.data, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                               "id=\"the-svg\">") != NULL);
        CHECK(strstr(out.data, "<?xml") == NULL); /* prolog dropped when inlined */
        /* the view: its link, downloads, and the controls set to it */
        CHECK(strstr(out.data, "data-view=\"/c/25a72bdf") != NULL);
        CHECK(strstr(out.data, "?filter=tcp&amp;filter=%3Cb%3E&amp;width=1024&amp;"
                               "format=csv\" download=\"") != NULL);
        CHECK(strstr(out.data, "format=json") != NULL && strstr(out.data, "format=svg"));
        CHECK(strstr(out.data, "formaction=\"/c/"
                               "25a72bdf") != NULL);
        CHECK(strstr(out.data, "name=\"filename\" value=\"" HOSTILE_ESCAPED "\"") !=
              NULL);
        CHECK(strstr(out.data, "name=\"width\" min=\"200\" max=\"4000\" step=\"1\" "
                               "placeholder=\"800\" inputmode=\"numeric\" "
                               "value=\"1024\"") != NULL);
        CHECK(strstr(out.data, "value=\"500\"") != NULL);
        CHECK(strstr(out.data, "<option value=\"0.25\" selected>0.25 s</option>") !=
              NULL);
        CHECK(strstr(out.data, "value=\"tcp &amp;&amp; ip.src == 10.0.0.1\"") != NULL);
        CHECK(strstr(out.data, "action=\"/api/chart") == NULL); /* kept: no re-upload */
    }
    buf_release(&out);

    /* not kept: no links, a form posting the file again with the view's query */
    r.view_url = NULL;
    r.pv.id_hex = NULL;
    r.not_kept = "you asked for it not to be kept";
    r.info = NULL;
    CHECK(page_result(p, &r, &out, &err) == 0);
    if (out.data != NULL) {
        CHECK(strstr(out.data, "data-view=") == NULL);
        CHECK(strstr(out.data, "formaction=\"/c/") == NULL);
        CHECK(
            strstr(out.data, "Not kept on the server (you asked for it not to be kept)"));
        CHECK(strstr(out.data, "action=\"/api/chart?filter=tcp%20%26%26%20ip.src%20%3D%3D"
                               "%2010.0.0.1&amp;name=%3Cscript%3Ealert") != NULL);
        CHECK(strstr(out.data, "&amp;filter=%3Cb%3Eudp%3C/b%3E&amp;name=&amp;interval="
                               "0.25&amp;width=1024&amp;max_points=500&amp;retain=0&amp;"
                               "format=json\"") != NULL);
        CHECK(strstr(out.data, "&amp;retain=0&amp;format=csv\">CSV</button>") != NULL);
        CHECK(strstr(out.data, "File format") == NULL);
    }
    buf_release(&out);

    /* the cap holds and reports 500 */
    buf_init(&out, 200);
    err.status = 0;
    CHECK(page_result(p, &r, &out, &err) == -1 && err.status == 500);
    buf_release(&out);
    chart_release(c);
    free(c);
    free(v);
}

static void test_error(const struct page *p) {
    struct buf out = BUF_INIT(MAX_PAGE_BYTES);
    struct err err = ERR_INIT;
    struct page_view pv = {NULL, NULL, NULL};
    struct view v;

    CHECK(page_error(p, 422, "Unprocessable Entity", "tshark: '" HOSTILE "' is bad", NULL,
                     &out, &err) == 0);
    CHECK(out.data != NULL && filled(out.data));
    if (out.data != NULL) {
        CHECK(only_meta_script(out.data) && strstr(out.data, "<img") == NULL);
        CHECK(strstr(out.data, "<h2>422 Unprocessable Entity</h2>") != NULL);
        CHECK(strstr(out.data, "<p>tshark: &#39;" HOSTILE_ESCAPED "&#39; is bad</p>") !=
              NULL);
        CHECK(strstr(out.data, "<title>422 Unprocessable Entity \xC2\xB7 pcapchart") !=
              NULL);
        CHECK(strstr(out.data, "<form method=post") != NULL); /* the form again */
        CHECK(strstr(out.data, "role=\"alert\"") != NULL);
    }
    buf_release(&out);

    /* a hostile reason is escaped too; NULLs are allowed */
    CHECK(page_error(p, 400, "<b>", NULL, NULL, &out, &err) == 0);
    CHECK(out.data != NULL && strstr(out.data, "<h2>400 &lt;b&gt;</h2>") != NULL);
    buf_release(&out);

    /* the controls keep what was asked, so a bad filter can be fixed in place */
    view_init(&v, VIEW_HTML);
    CHECK(view_set(&v, "kind", "io", 2, &err) == 0);
    CHECK(view_set(&v, "filter", "tcp.nope", 8, &err) == 0);
    CHECK(view_finish(&v, &err) == 0);
    pv.view = &v;
    pv.id_hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    CHECK(page_error(p, 400, "Bad Request", "invalid display filter of series 1", &pv,
                     &out, &err) == 0);
    if (out.data != NULL) {
        CHECK(strstr(out.data, "<option value=\"io\" selected>") != NULL);
        CHECK(strstr(out.data, "value=\"tcp.nope\"") != NULL);
        CHECK(strstr(out.data, "formaction=\"/c/00112233") != NULL);
    }
    buf_release(&out);
}

/* The shipped www/ loads, and its form works without JavaScript. */
static void test_shipped_www(void) {
    const char *www = getenv("WWW_DIR");
    struct page p = PAGE_INIT;
    struct buf out = BUF_INIT(MAX_PAGE_BYTES);
    struct err err = ERR_INIT;

    if (www == NULL || www[0] == '\0')
        www = PCAPCHART_WWW_DIR;
    CHECK(page_load(&p, www, &err) == 0);
    if (err.status != 0)
        fprintf(stderr, "page_load: %s\n", err.msg);
    page_set_policy(&p, 0, 1000);
    CHECK(page_index(&p, &out, &err) == 0);
    if (out.data != NULL) {
        CHECK(filled(out.data));
        check_meta(out.data);
        CHECK(strstr(out.data, "<form method=post action=\"/\" "
                               "enctype=multipart/form-data") != NULL);
        CHECK(strstr(out.data, "<input type=file name=file") != NULL);
        CHECK(strstr(out.data, "name=\"width\"") != NULL);
        CHECK(strstr(out.data, "name=\"height\"") != NULL);
        CHECK(strstr(out.data, "name=\"filter\"") != NULL);
        CHECK(strstr(out.data, "deletes the file as soon as the answer is sent") != NULL);
        CHECK(strstr(out.data, "name=\"retain\"") == NULL); /* nothing is kept anyway */
        CHECK(strstr(out.data, "<script>") == NULL);        /* no inline script (CSP) */
        CHECK(strstr(out.data, "src=\"http") == NULL);      /* no CDN */
        CHECK(strstr(out.data, "href=\"http") == NULL);
        CHECK(strstr(out.data, " on") == NULL || strstr(out.data, "onclick") == NULL);
    }
    buf_release(&out);
    page_release(&p);
}

int main(void) {
    struct page p = PAGE_INIT;
    struct err err = ERR_INIT;
    const char *base = getenv("TMPDIR");
    int n;

    n = snprintf(dir, sizeof(dir), "%s/test_page-XXXXXX",
                 base != NULL && base[0] != '\0' ? base : "/tmp");
    if (n < 0 || (size_t)n >= sizeof(dir) || mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_load_errors();
    write_www(TEMPLATE);
    CHECK(page_load(&p, dir, &err) == 0);
    page_set_policy(&p, 3600, 1 << 30);
    test_static(&p);
    test_index(&p);
    test_result(&p);
    test_error(&p);
    page_release(&p);
    test_shipped_www();

    remove_file("index.html");
    remove_file("style.css");
    remove_file("app.js");
    remove_file("favicon.svg");
    rmdir(dir);
    return CHECK_DONE();
}
