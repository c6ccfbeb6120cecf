/*
 * http.h - the HTTP server (libmicrohttpd). Its routes are in one table
 * (routes.h); the modules of src/http/ are listed in req.h. HTTP is all it
 * does: everything else (tshark, the store, pages) it asks of the pipeline
 * (pipeline.h, struct pipeline).
 *
 * View parameters (view.h) come from the query string and, on uploads, the
 * form fields too (the form's win). Both upload routes keep the capture in
 * the store (store.h) unless retain=0, and name the view of it: the
 * Content-Location header (with format=), and "view" in JSON, a link in HTML.
 * An upload whose Content-Length passes --max-upload is answered 413 at once
 * and its connection closed without reading the body; a chunked one when
 * its bytes pass it. The pipeline checks display filters
 * before the capture is read; a bad one is a 400 naming
 * the series.
 * Connections come through the request-head gate (gate.h): libmicrohttpd
 * sees a connection only once its request head is complete and within the
 * limits. Every answer carries Connection: close, so each request of a
 * client passes the gate.
 * HTTP_THREADS event threads serve every connection; uploads and views run
 * on workers (work.h) with their connection suspended; at most opts->jobs analyses at
 * once, at most opts->queue more waiting up to QUEUE_WAIT_S for a slot (slots.h), 503
 * past that. Every request's temp file is removed and its tshark reaped when the request
 * ends, whatever happened.
 */
#ifndef HTTP_H
#define HTTP_H

#include "base/err.h"
#include "conf/options.h"

struct http;
struct tshark; /* tshark/tshark.h: what runs tshark, handed to the pipeline */

/*
 * Load www/, create opts->tmpdir if needed, open the store (opts->store, or
 * <tmpdir>/store; none when opts->store_max_bytes is 0), and start listening
 * on opts->bind:opts->port (the gate's socket, gate.h). opts and ts are
 * borrowed and must outlive the server. Returns the server (owned; end it
 * with http_stop) or NULL with err.
 */
struct http *http_start(const struct options *opts, const struct tshark *ts,
                        struct err *err);

/* The port actually bound (useful with --port 0). */
int http_port(const struct http *h);

/*
 * Stop accepting (the gate closes its socket and the connections whose
 * head is not complete), let running requests finish (their tshark is
 * killed at its own deadline), close the store (its files are deleted),
 * free everything. Accepts NULL. Takes h.
 */
void http_stop(struct http *h);

#endif
