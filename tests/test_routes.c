/*
 * test_routes.c - the HTTP route table (http/routes.h): every path finds
 * its route and handler, prefixes keep their rest, methods and the Allow
 * header of a 405 come from the same bits, and what is not a route is none.
 */
#include <string.h>

#include "check.h"
#include "chart/view.h"
#include "http/routes.h"
#include "banned.h"

static void test_find(void) {
    const struct route *rt;

    CHECK((rt = route_find("/")) != NULL && rt->handler == answer_index &&
          (rt->flags & ROUTE_UPLOAD) && rt->format == VIEW_HTML);
    CHECK((rt = route_find("/api/chart")) != NULL && rt->handler == answer_api &&
          (rt->flags & ROUTE_JSON_ERRORS) && (rt->flags & ROUTE_UPLOAD) &&
          rt->format == VIEW_SVG);
    CHECK((rt = route_find("/healthz")) != NULL && rt->handler == answer_health);
    CHECK((rt = route_find("/favicon.ico")) != NULL && rt->handler == answer_static &&
          strcmp(rt->file, "favicon.svg") == 0 &&
          strcmp(route_rest(rt, "/favicon.ico"), "/favicon.ico") == 0);
    CHECK((rt = route_find("/c/abc")) != NULL && rt->handler == answer_view &&
          (rt->flags & ROUTE_CAPTURE) && strcmp(route_rest(rt, "/c/abc"), "abc") == 0);
    CHECK((rt = route_find("/c/")) != NULL && strcmp(route_rest(rt, "/c/"), "") == 0);
    CHECK((rt = route_find("/static/app.js")) != NULL && rt->handler == answer_static &&
          (rt->flags & ROUTE_WWW) && rt->file == NULL &&
          strcmp(route_rest(rt, "/static/app.js"), "app.js") == 0);
    /* exact paths are exact; prefixes need their slash */
    CHECK(route_find("") == NULL);
    CHECK(route_find("/api/chart/") == NULL);
    CHECK(route_find("/api") == NULL);
    CHECK(route_find("/healthz/") == NULL);
    CHECK(route_find("/index.html") == NULL);
    CHECK(route_find("/c") == NULL);
    CHECK(route_find("/static") == NULL);
    CHECK(route_find("//") == NULL);
    CHECK(route_find("/HEALTHZ") == NULL);
}

static void test_methods(void) {
    const struct route *rt;
    char allow[64];

    CHECK(route_method("GET") == METHOD_GET && route_method("HEAD") == METHOD_HEAD &&
          route_method("POST") == METHOD_POST);
    CHECK(route_method("get") == METHOD_OTHER && route_method("PUT") == METHOD_OTHER &&
          route_method("") == METHOD_OTHER && route_method("TRACE") == METHOD_OTHER);
    rt = route_find("/");
    CHECK(route_allows(rt, METHOD_GET) && route_allows(rt, METHOD_HEAD) &&
          route_allows(rt, METHOD_POST) && !route_allows(rt, METHOD_OTHER));
    CHECK(strcmp(route_allow(rt, allow, sizeof(allow)), "GET, HEAD, POST") == 0);
    rt = route_find("/api/chart");
    CHECK(!route_allows(rt, METHOD_GET) && route_allows(rt, METHOD_POST));
    CHECK(strcmp(route_allow(rt, allow, sizeof(allow)), "POST") == 0);
    rt = route_find("/c/00");
    CHECK(route_allows(rt, METHOD_HEAD) && !route_allows(rt, METHOD_POST));
    CHECK(strcmp(route_allow(rt, allow, sizeof(allow)), "GET, HEAD") == 0);
    /* a buffer too small still ends in NUL, cut at a whole method */
    CHECK(strcmp(route_allow(route_find("/"), allow, 10), "GET, HEAD") == 0);
    CHECK(!route_allows(NULL, METHOD_GET) &&
          strcmp(route_allow(NULL, allow, sizeof(allow)), "") == 0);
}

int main(void) {
    test_find();
    test_methods();
    return CHECK_DONE();
}
