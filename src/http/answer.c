/*
 * answer.c - the routes' handlers (see routes.h): each asks the pipeline
 * for what the route answers and replies. Called once the whole request,
 * body included, is in; r->err holds what the head or the body decided.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "http/req.h"
#include "banned.h"

static enum MHD_Result fail(struct req *r, struct MHD_Connection *conn, int status,
                            const char *msg) {
    err_set(&r->err, status, "%s", msg);
    return reply_err(r, conn, &r->err);
}

/* Nothing of the capture is needed any more: give back the slot and the file. */
static void done_with_capture(struct req *r) {
    if (r->job) {
        slots_give_back(&r->h->slots, r->job_fd);
        r->job = 0;
    }
    pipeline_release_capture(&r->h->pl, r->ref);
    r->ref = NULL;
    upload_release(&r->up);
}

/*
 * Chart the capture at path (the upload's temp file, or a kept one) in the
 * view's format and reply. display names it; fresh: just uploaded (offered
 * to the store); early: the early analysis charted it with this very view.
 * The caller holds what keeps path alive (r->up or r->ref).
 */
static enum MHD_Result analyse(struct req *r, struct MHD_Connection *conn,
                               const char *path, const char *display, int fresh,
                               int early) {
    struct pipeline_job job = {r->view, path, display, r->cid, fresh, r->fd};
    struct pipeline_result res = PIPELINE_RESULT_INIT;
    struct pipeline_answer ans = PIPELINE_ANSWER_INIT;
    struct err err = ERR_INIT;
    struct chart *ready = NULL;
    enum MHD_Result ret;
    int rc = -1;

    if (!r->job) { /* an early analysis holds one already */
        if (slots_acquire(&r->h->slots, r->fd, &err) == -1)
            goto done;
        r->job = 1;
        r->job_fd = r->fd;
        r->answering = 1; /* slots_acquire counted it */
    }
    if (early) {
        ready = r->early_chart;
        r->early_chart = NULL;
        if (r->early_rc == -1) {
            err = r->early_err;
            chart_release(ready);
            free(ready);
            goto done;
        }
    }
    rc = pipeline_analyse(&r->h->pl, &job, ready, &res, &err);
    done_with_capture(r); /* tshark and capinfos are done with the file */
    if (rc == 0)
        rc = pipeline_render_answer(&r->h->pl, &job, &res, &ans, &err);
done:
    done_with_capture(r);
    if (rc == -1) {
        /* the error page may still offer the kept capture (a bad filter, say) */
        if (res.kept) {
            r->have_cid = 1;
            sha256_hex(r->cid, r->cid_hex);
        }
        ret = reply_err(r, conn, &err);
    } else {
        r->location = ans.location;
        ans.location = NULL;
        ret = reply_buf_take(r, conn, 200, ans.ctype, &ans.body, CACHE_NO_STORE);
    }
    pipeline_result_release(&res);
    pipeline_answer_release(&ans);
    return ret;
}

/*
 * The chart of the uploaded file, the whole body in: on the result page
 * (page), or in the view's data format (the API: html is refused).
 */
static enum MHD_Result answer_upload(struct req *r, struct MHD_Connection *conn,
                                     int page) {
    int early = 0;

    if (form_end(r) == -1)
        return reply_err(r, conn, &r->err);
    if (req_build_view(r, conn, (enum view_format)r->route->format, 1, &r->err) == -1)
        return reply_err(r, conn, &r->err);
    if (page)
        r->view->format = VIEW_HTML; /* the form's page, whatever the fields say */
    else if (r->view->format == VIEW_HTML)
        return fail(r, conn, 400, "format must be svg, json or csv");
    if (!r->file_seen)
        return fail(r, conn, 400, "no file field 'file' in the upload");
    if (r->up.bytes == 0) {
        err_set(&r->err, 400, "the uploaded file '%s' is empty", r->filename);
        return reply_err(r, conn, &r->err);
    }
    if (r->early) {
        /* the form's fields after the file may have changed the view */
        early = early_same_view(r);
        /* the whole body is in: the early tshark reads to the end, or stops now */
        early_stop(r, early);
        if (!early)
            log_debug("req %u: the view changed after the file: charting again", r->id);
    }
    if (upload_close(&r->up, &r->err) == -1) {
        log_warn("req %u: cannot close temp file '%s'", r->id, r->up.path);
        return reply_err(r, conn, &r->err);
    }
    memcpy(r->cid, upload_digest(&r->up), SHA256_BYTES);
    /* the view names the file as it was uploaded */
    snprintf(r->view->filename, sizeof(r->view->filename), "%s", r->filename);
    return analyse(r, conn, r->up.path, r->filename, 1, early);
}

/* GET /: the upload page; POST /: the chart of the form's file on the page. */
enum MHD_Result answer_index(struct req *r, struct MHD_Connection *conn) {
    struct buf body = BUF_INIT(MAX_PAGE_BYTES);
    struct err err = ERR_INIT;

    if (req_is_upload(r))
        return answer_upload(r, conn, 1);
    if (pipeline_index(&r->h->pl, &body, &err) == -1) {
        buf_release(&body);
        return reply_err(r, conn, &err);
    }
    return reply_buf_take(r, conn, 200, CTYPE_HTML, &body, CACHE_NO_CACHE);
}

/* POST /api/chart: the chart of the file as SVG, JSON or CSV. */
enum MHD_Result answer_api(struct req *r, struct MHD_Connection *conn) {
    return answer_upload(r, conn, 0);
}

/* GET /c/<sha256>?...: a view of a kept capture. */
enum MHD_Result answer_view(struct req *r, struct MHD_Connection *conn) {
    char path[MAX_PATH_BYTES], display[MAX_FILENAME_BYTES + 1];
    struct err err = ERR_INIT;

    if (req_build_view(r, conn, VIEW_HTML, 0, &err) == -1)
        return reply_err(r, conn, &err);
    r->json_errors = r->view->format != VIEW_HTML;
    if (pipeline_acquire_capture(&r->h->pl, r->cid, &r->ref, path, sizeof(path), &err) ==
        -1) {
        if (!pipeline_keeps(&r->h->pl))
            r->have_cid = 0; /* nothing to offer on the error page */
        return reply_err(r, conn, &err);
    }
    if (r->view->filename[0] != '\0')
        snprintf(display, sizeof(display), "%s", r->view->filename);
    else
        snprintf(display, sizeof(display), "capture %.12s", r->cid_hex);
    return analyse(r, conn, path, display, 0, 0);
}

/* A file of www/ (the route found it: r->file). */
enum MHD_Result answer_static(struct req *r, struct MHD_Connection *conn) {
    return reply_static(r, conn, 200, r->file->ctype, r->file->data, r->file->len,
                        CACHE_NO_CACHE);
}

/* GET /healthz */
enum MHD_Result answer_health(struct req *r, struct MHD_Connection *conn) {
    return reply_static(r, conn, 200, CTYPE_TEXT, "ok\n", 3, CACHE_NO_STORE);
}

/* GET /api/fields?q=PREFIX: completion for the page's field box. */
enum MHD_Result answer_fields(struct req *r, struct MHD_Connection *conn) {
    const char *q = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "q");
    struct buf out = BUF_INIT(MAX_EXPORT_BYTES);
    struct err err = ERR_INIT;

    r->json_errors = 1;
    if (pipeline_fields(&r->h->pl, q != NULL ? q : "", &out, &err) == -1) {
        buf_release(&out);
        return reply_err(r, conn, &err);
    }
    return reply_buf_take(r, conn, 200, CTYPE_JSON, &out, CACHE_NO_CACHE);
}
