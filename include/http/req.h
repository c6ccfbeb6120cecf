/*
 * req.h - inside the HTTP server: the server's state, one request's state,
 * and what the http/ modules call of each other. Not for other layers.
 *
 *   server.c  libmicrohttpd: start, stop, the request callbacks
 *   req.c     a request's state: new, free, its view
 *   routes.c  the route table (routes.h)
 *   form.c    the multipart upload: checks, parts, the temp file
 *   early.c   charting an upload while it arrives
 *   answer.c  the routes' handlers: ask the pipeline, then reply
 *   reply.c   responses: queued, errors as JSON or the HTML page, mid-body closes
 *   slots.c   analysis slots and the wait queue (slots.h)
 *   work.c    the workers that run analyses off libmicrohttpd's threads (work.h)
 *   gate.c    the request-head gate (gate.h); headers.c the headers of every answer
 */
#ifndef HTTP_REQ_H
#define HTTP_REQ_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <microhttpd.h>

#include "config.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/sha256.h"
#include "chart/view.h"
#include "conf/options.h"
#include "http/gate.h"
#include "http/routes.h"
#include "http/slots.h"
#include "http/upload.h"
#include "http/work.h"
#include "pipeline/pipeline.h"

#define CTYPE_HTML "text/html; charset=utf-8"
#define CTYPE_JSON "application/json"
#define CTYPE_TEXT "text/plain; charset=utf-8"

struct http {
    struct MHD_Daemon *d;
    struct gate *gate; /* owned: the listening socket, and heads until complete */
    const struct options *opts; /* borrowed */
    struct pipeline pl;         /* pages, the store, tshark: everything but HTTP */
    struct slots slots;
    struct work work;        /* runs the handlers that may block (work.h) */
    atomic_int stopping;     /* http_stop began: every new request or byte gets 503 */
    atomic_int uploading;    /* requests whose body is still arriving */
    pthread_mutex_t up_lock; /* guards up_head and its requests' up_* and swept* */
    struct req *up_head;     /* those requests (server.c's sweeper looks at them) */
    pthread_t sweeper;
    int sweeper_started;
    atomic_int sweep_stop;
    atomic_llong held_bytes; /* answer bytes queued and not yet freed */
    long long answer_budget; /* most held_bytes may reach (--answer-budget) */
    atomic_uint next_id;
    int port;
};

enum cache { CACHE_NO_STORE = 0, CACHE_NO_CACHE };

/* One view field of the multipart body: its value is form.data[off, off + len). */
struct form_field {
    char key[16]; /* a view key (view_known_key), all short */
    size_t off, len;
};

/* Per-request state: hangs off *req_cls, freed only by on_completed() (req_free). */
struct req {
    struct http *h;
    unsigned id;
    int64_t t0_ms;
    const struct route *route; /* NULL: no such page */
    enum method method;
    char method_name[16];              /* for the log, sanitised */
    char path[MAX_FILENAME_BYTES + 1]; /* for the log, sanitised and cut */
    const struct page_file *file;      /* ROUTE_WWW: the file, borrowed from h->pl */
    int status;                        /* status queued; 0: none yet */
    size_t sent_bytes;                 /* body bytes queued */
    struct err err;                    /* err.status != 0: decided, drain the rest */
    int json_errors;                   /* answer errors as JSON */
    int fd;                            /* the client socket (cancels tshark), or -1 */
    struct view *view;                 /* owned; allocated when parameters are read */
    int have_view;                     /* view was parsed (the error page shows it) */
    unsigned char cid[SHA256_BYTES];   /* the capture's id */
    char cid_hex[SHA256_HEX_BYTES];
    int have_cid;          /* cid names a capture kept in the store */
    struct store_ref *ref; /* the kept capture in use; owned */
    char *location;        /* Content-Location of the answer; owned */
    int job;               /* holds one of h's analysis slots */
    int job_fd;            /* the client socket registered with that slot, or -1 */
    int answering;         /* counted in h->slots' answering until the request ends */
    int uploading;         /* in h->up_head, counted in h->uploading: body arriving */
    struct req *up_prev, *up_next;
    int swept;                /* the sweeper saw the peer's FIN with nothing unread... */
    uint64_t swept_in;        /* ...when body_in was this */
    long long held;           /* answer bytes counted in h->held_bytes */
    int64_t body_deadline_ms; /* the whole body must be in by then (0: none yet) */

    /* a handler that runs on a worker (server.c), its connection suspended */
    struct work_item item;
    struct MHD_Connection *conn; /* borrowed: suspended while the worker runs */
    int on_worker;               /* queue() keeps the answer in resp for the resume */
    int worked;                  /* the worker ran: the next call queues resp */
    enum MHD_Result worked_ret;  /* what the handler returned */
    struct MHD_Response *resp;   /* owned: the answer to queue after the resume */
    unsigned resp_status;

    /* the upload (form.c) */
    uint64_t body_bytes;                   /* body bytes received */
    uint64_t body_in;                      /* body bytes libmicrohttpd gave us */
    struct MHD_PostProcessor *pp;          /* owned; NULL when not a form upload */
    struct upload up;                      /* the temp file; owned */
    int file_seen;                         /* a part named "file" arrived */
    char filename[MAX_FILENAME_BYTES + 1]; /* sanitised base name of the client's */
    struct buf form;                       /* view field values (cap MAX_FORM_BYTES) */
    struct form_field fields[MAX_FORM_FIELDS];
    size_t nfields;
    char delim[4 + MULTIPART_BOUNDARY_MAX_BYTES]; /* "\r\n--" and the boundary */
    size_t delim_len;                             /* 0: none known */
    size_t delim_match;                           /* bytes of delim just seen */
    unsigned parts;                               /* delimiters fed to pp so far */
    unsigned file_part;                           /* parts at the first "file" call */

    /*
     * Early analysis (early.c): an unfiltered chart whose view is known from
     * the query starts while the file still arrives; a warm tshark reads it
     * as it grows (growfile.h), so upload and dissection overlap.
     */
    struct growfile grow; /* how far r->up is written; ready while early */
    pthread_t early_thread;
    int early;                       /* early_thread runs or awaits its join */
    int early_tried;                 /* decided once, at the file's first bytes */
    char *early_query;               /* owned: the canonical view query it charts */
    char early_path[MAX_PATH_BYTES]; /* the temp file's path, its own copy: r->up's
                                        is cleared when a bad body ends the upload */
    struct chart *early_chart;       /* owned: the chart it makes */
    int early_rc;                    /* its result, after the join */
    struct err early_err;            /* with early_rc -1 */
};

/* req.c */
/* A request's state for url and method; its route (NULL: 404) and, on /c/, the id. */
struct req *req_new(struct http *h, const char *url, const char *method);
void req_free(struct req *r);
/* 1 when r is a multipart upload of a capture. */
int req_is_upload(const struct req *r);
/*
 * r->view from defaults (format def), the query string, then (with_form)
 * the form's view fields (a form with series replaces the query's). 0, or
 * -1 with err (400).
 */
int req_build_view(struct req *r, struct MHD_Connection *conn, enum view_format def,
                   int with_form, struct err *err);

/* reply.c: each returns what the MHD callback returns */
enum MHD_Result reply_buf_take(struct req *r, struct MHD_Connection *conn, int status,
                               const char *ctype, struct buf *body, enum cache cache);
enum MHD_Result reply_static(struct req *r, struct MHD_Connection *conn, int status,
                             const char *ctype, const char *data, size_t len,
                             enum cache cache);
/* e as JSON {"error": msg} on the API, else the HTML error page; 499: no answer. */
enum MHD_Result reply_err(struct req *r, struct MHD_Connection *conn,
                          const struct err *e);
/* reply_err in the middle of a body, then close the connection. */
enum MHD_Result reply_err_close(struct req *r, struct MHD_Connection *conn,
                                const struct err *e);
/* MHD logged an internal error that reply_err_close caused on purpose: 1 once. */
int reply_closed_on_purpose(const char *mhd_line);

/* form.c */
/* Headers of an upload: Content-Type, Content-Length, the query's view; r->err. */
void form_begin(struct req *r, struct MHD_Connection *conn);
/* Body bytes: into the post processor until a status is decided, then dropped. */
void form_body(struct req *r, const char *data, size_t size);
/* The whole body is in: 0, or -1 with r->err (incomplete multipart body). */
int form_end(struct req *r);

/* early.c */
/* At the file's first bytes: start charting it while it arrives, if that is wise. */
void early_start(struct req *r);
/* The file is complete (ok) or abandoned: end the early analysis, join it. */
void early_stop(struct req *r, int ok);
/* The view is still the one the early analysis charts. */
int early_same_view(const struct req *r);

/* answer.c: the route handlers, declared in routes.h */

#endif
