/*
 * http.h - the HTTP server (libmicrohttpd) and its routes:
 *   GET  /                 the upload page (www/index.html)
 *   POST /                 multipart form "file" -> HTML page with the inline SVG
 *   POST /api/chart        multipart "file" -> ?format=svg|json|csv (errors as JSON)
 *   GET  /static/NAME      files of www/ (no traversal, no listing)
 *   GET  /healthz          200 "ok"
 * One thread per connection; at most opts->jobs analyses at once (503 past it).
 * Every request's temp file is removed and its tshark reaped when the request
 * ends, whatever happened.
 */
#ifndef HTTP_H
#define HTTP_H

#include "err.h"
#include "options.h"
#include "tshark.h"

struct http;

/*
 * Load www/, create opts->tmpdir if needed, and start listening on
 * opts->bind:opts->port. opts and ts are borrowed and must outlive the
 * server. Returns the server (owned; end it with http_stop) or NULL with err.
 */
struct http *http_start(const struct options *opts, const struct tshark *ts,
                        struct err *err);

/* The port actually bound (useful with --port 0). */
int http_port(const struct http *h);

/*
 * Stop accepting, let running requests finish (their tshark is killed at its
 * own deadline), free everything. Accepts NULL. Takes h.
 */
void http_stop(struct http *h);

#endif
