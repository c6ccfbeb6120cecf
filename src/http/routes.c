/* routes.c - see routes.h */
#include <stdio.h>
#include <string.h>

#include "chart/view.h"
#include "http/routes.h"
#include "pipeline/pipeline.h"
#include "banned.h"

#define GET_HEAD (METHOD_GET | METHOD_HEAD)

/* Every path the server answers. First match wins; prefixes after exact paths. */
static const struct route routes[] = {
    {"/", GET_HEAD | METHOD_POST, ROUTE_UPLOAD, VIEW_HTML, NULL, answer_index},
    {"/api/chart", METHOD_POST, ROUTE_UPLOAD | ROUTE_JSON_ERRORS, VIEW_SVG, NULL,
     answer_api},
    {"/healthz", GET_HEAD, 0, VIEW_HTML, NULL, answer_health},
    {"/api/fields", GET_HEAD, ROUTE_JSON_ERRORS, VIEW_JSON, NULL, answer_fields},
    {"/favicon.ico", GET_HEAD, ROUTE_WWW, VIEW_HTML, "favicon.svg", answer_static},
    {VIEW_PREFIX, GET_HEAD, ROUTE_PREFIX | ROUTE_CAPTURE, VIEW_HTML, NULL, answer_view},
    {"/static/", GET_HEAD, ROUTE_PREFIX | ROUTE_WWW, VIEW_HTML, NULL, answer_static},
};

static const struct {
    enum method m;
    const char *name;
} methods[] = {
    {METHOD_GET, MHD_HTTP_METHOD_GET},
    {METHOD_HEAD, MHD_HTTP_METHOD_HEAD},
    {METHOD_POST, MHD_HTTP_METHOD_POST},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

enum method route_method(const char *name) {
    size_t i;

    for (i = 0; i < COUNT(methods); i++)
        if (strcmp(name, methods[i].name) == 0)
            return methods[i].m;
    return METHOD_OTHER;
}

const struct route *route_find(const char *url) {
    size_t i, n;

    for (i = 0; i < COUNT(routes); i++) {
        n = strlen(routes[i].path);
        if ((routes[i].flags & ROUTE_PREFIX) ? strncmp(url, routes[i].path, n) == 0
                                             : strcmp(url, routes[i].path) == 0)
            return &routes[i];
    }
    return NULL;
}

int route_allows(const struct route *rt, enum method m) {
    return rt != NULL && (rt->methods & (unsigned)m) != 0;
}

const char *route_allow(const struct route *rt, char *buf, size_t n) {
    size_t i, len = 0;
    int w;

    buf[0] = '\0';
    for (i = 0; rt != NULL && i < COUNT(methods); i++) {
        if ((rt->methods & (unsigned)methods[i].m) == 0)
            continue;
        w = snprintf(buf + len, n - len, "%s%s", len > 0 ? ", " : "", methods[i].name);
        if (w < 0 || (size_t)w >= n - len)
            break;
        len += (size_t)w;
    }
    return buf;
}

const char *route_rest(const struct route *rt, const char *url) {
    return (rt->flags & ROUTE_PREFIX) ? url + strlen(rt->path) : url;
}
