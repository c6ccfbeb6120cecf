/* req.c - a request's state: new, free, its view (see req.h) */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "http/req.h"
#include "banned.h"

struct req *req_new(struct http *h, const char *url, const char *method) {
    struct req *r;

    if ((r = calloc(1, sizeof(*r))) == NULL) {
        log_warn("cannot allocate request state");
        return NULL;
    }
    r->h = h;
    r->id = atomic_fetch_add(&h->next_id, 1) + 1;
    r->t0_ms = mono_now_ms();
    r->up = (struct upload)UPLOAD_INIT;
    r->fd = -1;
    r->job_fd = -1;
    buf_init(&r->form, MAX_FORM_BYTES);
    log_sanitize(r->method_name, sizeof(r->method_name), method);
    log_sanitize(r->path, sizeof(r->path), url);
    r->method = route_method(method);
    r->route = route_find(url);
    if (r->route != NULL && (r->route->flags & ROUTE_WWW)) {
        /* only the names page_load() read: no path is ever built from the URL */
        r->file = pipeline_static(
            &h->pl, r->route->file != NULL ? r->route->file : route_rest(r->route, url));
        if (r->file == NULL)
            r->route = NULL;
    }
    if (r->route != NULL && (r->route->flags & ROUTE_CAPTURE)) {
        const char *id = route_rest(r->route, url);

        if (sha256_parse_hex(id, strlen(id), r->cid) == 0) {
            sha256_hex(r->cid, r->cid_hex);
            r->have_cid = 1;
        }
    }
    return r;
}

void req_free(struct req *r) {
    if (r == NULL)
        return;
    early_stop(r, 0); /* before what it uses goes */
    free(r->early_query);
    if (r->early_chart != NULL) {
        chart_release(r->early_chart);
        free(r->early_chart);
    }
    if (r->pp != NULL)
        MHD_destroy_post_processor(r->pp);
    upload_release(&r->up);
    pipeline_release_capture(&r->h->pl, r->ref);
    free(r->view);
    if (r->job)
        slots_give_back(&r->h->slots, r->job_fd);
    if (r->answering)
        slots_answered(&r->h->slots);
    if (r->held > 0)
        atomic_fetch_sub(&r->h->held_bytes, r->held);
    if (r->resp != NULL)
        MHD_destroy_response(r->resp);
    buf_release(&r->form);
    free(r->location);
    free(r);
}

int req_is_upload(const struct req *r) {
    return r->method == METHOD_POST && r->route != NULL &&
           (r->route->flags & ROUTE_UPLOAD) != 0;
}

struct query_ctx {
    struct view *view;
    struct err *err;
    int failed;
};

/* MHD_KeyValueIteratorN over the query string: each parameter into the view. */
static enum MHD_Result on_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                size_t key_size, const char *value, size_t value_size) {
    struct query_ctx *q = cls;

    (void)kind;
    if (key == NULL || strlen(key) != key_size)
        return MHD_YES; /* a key with a NUL in it is no key of ours */
    if (view_set(q->view, key, value != NULL ? value : "", value != NULL ? value_size : 0,
                 q->err) == -1) {
        q->failed = 1;
        return MHD_NO;
    }
    return MHD_YES;
}

/* 1 when the form has a series field: its series replace the query's. */
static int form_has_series(const struct req *r) {
    size_t i;

    for (i = 0; i < r->nfields; i++) {
        const char *k = r->fields[i].key;

        if (strcmp(k, "filter") == 0 || strcmp(k, "name") == 0 ||
            strcmp(k, "color") == 0 || strcmp(k, "field") == 0)
            return 1;
    }
    return 0;
}

int req_build_view(struct req *r, struct MHD_Connection *conn, enum view_format def,
                   int with_form, struct err *err) {
    struct query_ctx q = {NULL, err, 0};
    size_t i;

    if (r->view == NULL && (r->view = malloc(sizeof(*r->view))) == NULL)
        return err_set(err, 500, "out of memory");
    r->have_view = 0;
    view_init(r->view, def);
    q.view = r->view;
    MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, on_query, &q);
    if (q.failed)
        return -1;
    if (with_form && form_has_series(r))
        view_clear_series(r->view);
    for (i = 0; with_form && i < r->nfields; i++) {
        if (view_set(r->view, r->fields[i].key, r->form.data + r->fields[i].off,
                     r->fields[i].len, err) == -1)
            return -1;
    }
    if (view_finish(r->view, err) == -1 ||
        pipeline_check_view(&r->h->pl, r->view, err) == -1)
        return -1;
    r->have_view = 1;
    return 0;
}
