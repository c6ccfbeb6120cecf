/*
 * routes.h - the route table: every path the server answers, its methods
 * and its handler, in one place (src/http/routes.c). Adding a route is one
 * line there, and its handler: declared below, written in src/http/answer.c.
 *
 *   GET  /                 the upload page (www/index.html)
 *   POST /                 multipart form "file" + view fields -> HTML page with
 *                          the inline SVG (works without JavaScript)
 *   POST /api/chart        multipart "file" -> ?format=svg|json|csv (errors as JSON)
 *   GET  /c/<sha256>?...   a view of a kept capture (format=html|svg|json|csv,
 *                          default html; errors as JSON unless html)
 *   GET  /static/NAME      files of www/ (no traversal, no listing)
 *   GET  /favicon.ico      www/favicon.svg
 *   GET  /healthz          200 "ok"
 *   GET  /api/fields?q=P   tshark's fields whose names start with P (JSON, at
 *                          most FIELDS_ANSWER_MAX; close names when none does)
 * HEAD is answered wherever GET is.
 */
#ifndef HTTP_ROUTES_H
#define HTTP_ROUTES_H

#include <stddef.h>

#include <microhttpd.h>

enum method {
    METHOD_OTHER = 0,
    METHOD_GET = 1 << 0,
    METHOD_HEAD = 1 << 1,
    METHOD_POST = 1 << 2
};

struct req;

/* A route's answer, called once the whole request (body included) is in. */
typedef enum MHD_Result (*route_handler)(struct req *r, struct MHD_Connection *conn);

/* What a route is, besides its path and methods. */
enum route_flag {
    ROUTE_PREFIX = 1 << 0,      /* path is a prefix: the rest is the route's to judge */
    ROUTE_UPLOAD = 1 << 1,      /* a POST here is a multipart upload of a capture */
    ROUTE_JSON_ERRORS = 1 << 2, /* errors are answered as JSON, not as the page */
    ROUTE_WWW = 1 << 3,         /* serves a file of www/: file, or the rest of the path */
    ROUTE_CAPTURE = 1 << 4      /* the rest of the path is a kept capture's id */
};

struct route {
    const char *path;      /* the path, or its prefix (ROUTE_PREFIX) */
    unsigned methods;      /* METHOD_* bits */
    unsigned flags;        /* ROUTE_* bits */
    int format;            /* enum view_format: the default format of its views */
    const char *file;      /* ROUTE_WWW without ROUTE_PREFIX: the file of www/ */
    route_handler handler; /* the answer, once the whole request is in */
};

/* The handlers (answer.c), one per route. */
enum MHD_Result answer_index(struct req *r, struct MHD_Connection *conn);
enum MHD_Result answer_api(struct req *r, struct MHD_Connection *conn);
enum MHD_Result answer_view(struct req *r, struct MHD_Connection *conn);
enum MHD_Result answer_static(struct req *r, struct MHD_Connection *conn);
enum MHD_Result answer_health(struct req *r, struct MHD_Connection *conn);
enum MHD_Result answer_fields(struct req *r, struct MHD_Connection *conn);

/* The method of a request line ("GET", ...). */
enum method route_method(const char *name);

/* The route of url (borrowed; the path, without the query), or NULL: 404. */
const struct route *route_find(const char *url);

/* 1 when rt takes method m, else 0. */
int route_allows(const struct route *rt, enum method m);

/* The Allow header of a 405 on rt ("GET, HEAD", ...) into buf (n bytes). */
const char *route_allow(const struct route *rt, char *buf, size_t n);

/* The part of url after rt's prefix (the whole path when rt is no prefix). */
const char *route_rest(const struct route *rt, const char *url);

#endif
