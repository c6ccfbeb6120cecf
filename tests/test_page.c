/* test_page.c - templates load, placeholders are filled, hostile text is escaped. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chart.h"
#include "page.h"
#include "check.h"
#include "banned.h"

#define HOSTILE "<script>alert(1)</script>&\"'<img src=x onerror=alert(2)>.pcap"
#define HOSTILE_ESCAPED                                                                  \
    "&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;&lt;img src=x "                \
    "onerror=alert(2)&gt;.pcap"

static char dir[MAX_PATH_BYTES];

static const char TEMPLATE[] = "<!doctype html><title><!--TITLE--></title>\n"
                               "<!-- an ordinary comment -->\n"
                               "<main><form method=post action=\"/\"></form>\n"
                               "<!--RESULT-->\n</main><footer><!--VERSION--></footer>\n";

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
           strstr(s, "<!--VERSION-->") == NULL;
}

static void test_load_errors(void) {
    struct page p = PAGE_INIT;
    struct err err = ERR_INIT;

    write_www("<title><!--TITLE--></title><!--VERSION-->"); /* no RESULT */
    CHECK(page_load(&p, dir, &err) == -1);
    CHECK(err.status == 500 && strstr(err.msg, "<!--RESULT-->") != NULL);
    CHECK(p.files[0].data == NULL);

    write_www("<!--TITLE--><!--RESULT--><!--RESULT--><!--VERSION-->"); /* twice */
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

static void test_index(const struct page *p) {
    struct buf out = BUF_INIT(MAX_PAGE_BYTES);
    struct err err = ERR_INIT;

    CHECK(page_index(p, &out, &err) == 0);
    CHECK(out.data != NULL && filled(out.data));
    CHECK(strstr(out.data, "<title>pcapchart</title>") != NULL);
    CHECK(strstr(out.data, "<footer>" PCAPCHART_VERSION "</footer>") != NULL);
    CHECK(strstr(out.data, "<!-- an ordinary comment -->") != NULL);
    CHECK(strstr(out.data, "<main><form method=post") != NULL);
    CHECK(strstr(out.data, "class=\"result") == NULL);
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
    struct buf out = BUF_INIT(MAX_PAGE_BYTES);
    struct err err = ERR_INIT;
    struct page_result r;
    struct chart *c = calloc(1, sizeof(*c));

    CHECK(c != NULL);
    if (c == NULL)
        return;
    chart_init(c, 800, 400, 0);
    snprintf(c->subject, sizeof(c->subject), "%s", HOSTILE);
    {
        struct pkt a = {1, 0, 60, 1, 1}, b = {2, 3069061000000LL, 1514, 1, 1};
        CHECK(chart_add(c, 0, &a, NULL) == 0 && chart_add(c, 0, &b, NULL) == 0);
    }
    c->packets = 42;
    chart_warn(c, "frame 7 of '%s' has no time", HOSTILE);
    chart_warn(c, "line\nbreak and tab\there");

    memset(&r, 0, sizeof(r));
    r.file_name = HOSTILE;
    r.chart = c;
    r.svg = svg;
    r.svg_len = strlen(svg);
    r.width = 1024;
    r.max_points = 500;
    CHECK(page_result(p, &r, &out, &err) == 0);
    CHECK(out.data != NULL && filled(out.data));
    if (out.data != NULL) {
        /* nothing hostile survives unescaped, in title, heading or warnings */
        CHECK(strstr(out.data, "<script") == NULL);
        CHECK(strstr(out.data, "<img") == NULL);
        CHECK(strstr(out.data, "<title>" HOSTILE_ESCAPED " \xC2\xB7 pcapchart</title>") !=
              NULL);
        CHECK(strstr(out.data, ">" HOSTILE_ESCAPED "</h2>") != NULL);
        CHECK(strstr(out.data, "<li>frame 7 of &#39;" HOSTILE_ESCAPED
                               "&#39; has no time</li>") != NULL);
        CHECK(strstr(out.data, "line\nbreak") == NULL); /* controls replaced */
        /* the numbers and the chart */
        CHECK(strstr(out.data, "<dd>42</dd>") != NULL);
        CHECK(strstr(out.data, "<dd>51 min 09 s</dd>") != NULL); /* 3069.061 s */
        CHECK(strstr(out.data, "<dd>1514 B</dd>") != NULL);      /* largest */
        CHECK(strstr(out.data, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                               "id=\"the-svg\">") != NULL);
        CHECK(strstr(out.data, "<?xml") == NULL); /* prolog dropped when inlined */
        /* the export form posts to the API and keeps the options */
        CHECK(strstr(out.data, "action=\"/api/chart?format=json\"") != NULL);
        CHECK(strstr(out.data, "formaction=\"/api/chart?format=csv\"") != NULL);
        CHECK(strstr(out.data, "name=\"width\" value=\"1024\"") != NULL);
        CHECK(strstr(out.data, "name=\"height\"") == NULL); /* not given */
        CHECK(strstr(out.data, "name=\"max_points\" value=\"500\"") != NULL);
        CHECK(strstr(out.data, "name=\"file\"") != NULL);
    }
    buf_release(&out);

    /* the cap holds and reports 500 */
    buf_init(&out, 200);
    err.status = 0;
    CHECK(page_result(p, &r, &out, &err) == -1 && err.status == 500);
    buf_release(&out);
    chart_release(c);
    free(c);
}

static void test_error(const struct page *p) {
    struct buf out = BUF_INIT(MAX_PAGE_BYTES);
    struct err err = ERR_INIT;

    CHECK(page_error(p, 422, "Unprocessable Entity", "tshark: '" HOSTILE "' is bad", &out,
                     &err) == 0);
    CHECK(out.data != NULL && filled(out.data));
    if (out.data != NULL) {
        CHECK(strstr(out.data, "<script") == NULL && strstr(out.data, "<img") == NULL);
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
    CHECK(page_error(p, 400, "<b>", NULL, &out, &err) == 0);
    CHECK(out.data != NULL && strstr(out.data, "<h2>400 &lt;b&gt;</h2>") != NULL);
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
    CHECK(page_index(&p, &out, &err) == 0);
    if (out.data != NULL) {
        CHECK(filled(out.data));
        CHECK(strstr(out.data, "<form method=post action=\"/\" "
                               "enctype=multipart/form-data") != NULL);
        CHECK(strstr(out.data, "<input type=file name=file") != NULL);
        CHECK(strstr(out.data, "name=\"width\"") != NULL);
        CHECK(strstr(out.data, "name=\"height\"") != NULL);
        CHECK(strstr(out.data, "<script>") == NULL);   /* no inline script (CSP) */
        CHECK(strstr(out.data, "src=\"http") == NULL); /* no CDN */
        CHECK(strstr(out.data, "href=\"http") == NULL);
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
