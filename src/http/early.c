/*
 * early.c - charting an upload while it arrives (see req.h): a warm tshark
 * reads the temp file as it grows (growfile.h), so upload and dissection
 * overlap. early_main runs in a thread of its own; early_stop ends it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "http/req.h"
#include "banned.h"

static void *early_main(void *arg) {
    struct req *r = arg;
    struct pipeline_job job = {NULL, r->early_path, r->filename, NULL, 1, r->fd};

    r->early_rc =
        pipeline_chart_early(&r->h->pl, &job, &r->grow, r->early_chart, &r->early_err);
    return NULL;
}

/*
 * The view asks for what an early analysis can chart: all packets, one
 * series, frame.len (a field needs full dissection, which no warm tshark does).
 */
static int early_view(const struct req *r) {
    const struct view *v = r->view;

    /* no series is the default one: all packets */
    return r->have_view && r->nfields == 0 &&
           (v->nseries == 0 || (v->nseries == 1 && v->series[0].filter[0] == '\0' &&
                                v->series[0].field[0] == '\0'));
}

/* Undo what early_start set up, when it did not start the thread. */
static void early_undo(struct req *r) {
    free(r->early_query);
    r->early_query = NULL;
    growfile_release(&r->grow);
    if (r->early_chart != NULL) {
        chart_release(r->early_chart);
        free(r->early_chart);
        r->early_chart = NULL;
    }
}

/*
 * At the file's first bytes: start charting it while it arrives, when that
 * gives the same answer sooner without taking from others: a view from the
 * query with one unfiltered series (a filter needs a cold tshark, which
 * reads only a whole file), an idle warm tshark, and an analysis slot free
 * with another left free. The view may still change (form fields after the
 * file): the answer compares it (early_same_view) and charts again.
 */
void early_start(struct req *r) {
    struct http *h = r->h;
    struct buf q = BUF_INIT(MAX_QUERY_BYTES);
    struct pipeline_job job = {r->view, r->up.path, r->filename, NULL, 1, r->fd};
    struct err err = ERR_INIT;

    r->early_tried = 1;
    if (!early_view(r) || pipeline_warm_idle(&h->pl) == 0 ||
        view_query(r->view, &q) == -1)
        goto out;
    /* the canonical query ("" when the view is all defaults), to compare at the end */
    r->early_query = q.data != NULL ? buf_detach(&q, NULL) : strdup("");
    if (r->early_query == NULL || (r->early_chart = pipeline_chart_new(&job)) == NULL)
        goto out;
    if (growfile_init(&r->grow, &err) == -1) {
        log_warnx("req %u: %s", r->id, err.msg);
        goto out;
    }
    if (slots_try(&h->slots, r->fd) == -1)
        goto out;
    r->job = 1;
    r->job_fd = r->fd;
    r->answering = 1; /* slots_try counted it */
    growfile_add(&r->grow, r->up.bytes);
    snprintf(r->early_path, sizeof(r->early_path), "%s", r->up.path);
    if (pthread_create(&r->early_thread, NULL, early_main, r) != 0) {
        log_warnx("req %u: no thread for an early analysis", r->id);
        goto out; /* the slot stays ours: the answer uses it */
    }
    r->early = 1;
    log_debug("req %u: charting while the upload arrives", r->id);
out:
    if (!r->early)
        early_undo(r);
    buf_release(&q);
}

void early_stop(struct req *r, int ok) {
    if (!r->early)
        return;
    if (ok)
        growfile_add(&r->grow, r->up.bytes);
    growfile_end(&r->grow, ok);
    pthread_join(r->early_thread, NULL);
    r->early = 0;
    growfile_release(&r->grow);
}

int early_same_view(const struct req *r) {
    struct buf q = BUF_INIT(MAX_QUERY_BYTES);
    int same;

    same = r->early_query != NULL && view_query(r->view, &q) == 0 &&
           strcmp(q.data != NULL ? q.data : "", r->early_query) == 0;
    buf_release(&q);
    return same;
}
