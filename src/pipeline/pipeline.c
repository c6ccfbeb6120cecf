/* pipeline.c - see pipeline.h */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "render/export.h"
#include "pipeline/pipeline.h"
#include "pipeline/split.h"
#include "render/svg.h"
#include "banned.h"

static const char *const CTYPES[] = {
    [VIEW_HTML] = "text/html; charset=utf-8",
    [VIEW_SVG] = "image/svg+xml; charset=utf-8",
    [VIEW_JSON] = "application/json; charset=utf-8",
    [VIEW_CSV] = "text/csv; charset=utf-8",
};

const char *pipeline_ctype(enum view_format f) {
    return CTYPES[f];
}

struct add_ctx {
    struct chart *chart;
    size_t series;
};

static int add_packet(void *ctx, const struct pkt *p, struct err *err) {
    struct add_ctx *a = ctx;

    return chart_add(a->chart, a->series, p, err);
}

/*
 * tshark accepts some files that are no capture at all: a PNG becomes one
 * "MIME file" frame without a time, a pcap header followed by zeros becomes
 * frames of length 0. A chart of those would be empty or a flat line at 0,
 * so the user learns more from a 422 that says what tshark saw.
 */
static int reject_garbage(const struct series *s, struct err *err) {
    if (s->packets > 0 && s->timed == 0)
        return err_set(err, 422,
                       "not a packet capture: none of the %" PRIu64
                       " frames tshark read has a timestamp",
                       s->packets);
    if (s->packets > 0 && s->len_max == 0)
        return err_set(err, 422,
                       "not a packet capture: all %" PRIu64
                       " frames tshark read have length 0 (no packet data)",
                       s->packets);
    return 0;
}

int64_t pipeline_deadline(const struct tshark *ts, int64_t from_ms) {
    return clock_deadline(from_ms, ts->timeout_s > 0 ? (int64_t)ts->timeout_s * 1000 : 0);
}

int pipeline_chart(const struct tshark *ts, const char *capture, const char *display_name,
                   int cancel_fd, struct chart *c, struct err *err) {
    return pipeline_chart_until(ts, capture, display_name, cancel_fd, NULL,
                                pipeline_deadline(ts, mono_now_ms()), c, err);
}

int pipeline_chart_growing(const struct tshark *ts, const char *capture,
                           const char *display_name, int cancel_fd, struct growfile *grow,
                           struct chart *c, struct err *err) {
    /* the deadline counts from the upload's end, which is still to come */
    return pipeline_chart_until(ts, capture, display_name, cancel_fd, grow, 0, c, err);
}

/* The series from..c->nseries get no run: the analysis is out of time. */
static void skip_series(const struct tshark *ts, struct chart *c, size_t from) {
    c->stopped = 1;
    if (from + 1 == c->nseries)
        chart_warn(
            c,
            "series %zu ('%s') is not charted: the analysis reached its time limit "
            "of %d s (--timeout)",
            from + 1, c->series[from].name, ts->timeout_s);
    else
        chart_warn(c,
                   "series %zu to %zu are not charted: the analysis reached its time "
                   "limit of %d s (--timeout)",
                   from + 1, c->nseries, ts->timeout_s);
}

/* What a run that charted its packets says besides them: damage, an early stop. */
static void run_warnings(struct chart *c, const struct tshark_result *res) {
    if (res->damaged)
        chart_warn(c,
                   "the capture is damaged or cut short; showing the %" PRIu64
                   " frames read before tshark stopped: %s",
                   res->packets, res->reason);
    if (res->stopped) {
        c->stopped = 1;
        chart_warn(c, "stopped at %" PRIu64 " packets: %s", res->packets, res->reason);
    }
}

/* One analysis of a split=: its two runs (split.h), then what every run says. */
static int chart_split(const struct tshark *ts, const char *capture,
                       const char *display_name, int cancel_fd, struct growfile *grow,
                       int64_t deadline_ms, struct chart *c, struct err *err) {
    struct tshark_result res;
    struct tshark_job job;
    int64_t end;

    /* two runs read the file: all of it must be there */
    if (grow != NULL && growfile_wait_end(grow) != GROW_DONE)
        return err_set(err, 499, "upload ended early");
    if (deadline_ms == 0 && grow != NULL && (end = growfile_end_ms(grow)) != 0)
        deadline_ms = pipeline_deadline(ts, end);
    memset(&res, 0, sizeof(res));
    memset(&job, 0, sizeof(job));
    job.capture = capture;
    job.display_name = display_name;
    job.cancel_fd = cancel_fd;
    job.deadline_ms = deadline_ms;
    if (split_chart(ts, &job, c, &res, err) == -1)
        return -1;
    c->packets = res.packets;
    run_warnings(c, &res);
    c->deadline_ms = deadline_ms;
    chart_finish(c);
    return 0;
}

int pipeline_chart_until(const struct tshark *ts, const char *capture,
                         const char *display_name, int cancel_fd, struct growfile *grow,
                         int64_t deadline_ms, struct chart *c, struct err *err) {
    struct tshark_result res;
    struct tshark_job job;
    struct add_ctx ctx;
    int64_t end;
    size_t i;

    if (c->split[0] != '\0')
        return chart_split(ts, capture, display_name, cancel_fd, grow, deadline_ms, c,
                           err);

    for (i = 0; i < c->nseries; i++) {
        /* one deadline for every series: a growing capture's is known at its end */
        if (deadline_ms == 0 && grow != NULL && (end = growfile_end_ms(grow)) != 0)
            deadline_ms = pipeline_deadline(ts, end);
        if (i > 0 && clock_passed(deadline_ms, mono_now_ms())) {
            skip_series(ts, c, i);
            break;
        }
        memset(&res, 0, sizeof(res));
        memset(&job, 0, sizeof(job));
        job.capture = capture;
        job.display_name = display_name;
        job.filter = c->series[i].filter;
        job.field = c->series[i].field;
        job.cancel_fd = cancel_fd;
        job.grow = grow;
        job.deadline_ms = deadline_ms;
        ctx.chart = c;
        ctx.series = i;
        if (tshark_run(ts, &job, add_packet, &ctx, &res, err) == -1) {
            /* out of time after the first series: chart what the others gave */
            if (i > 0 && err != NULL && err->status == 504 && deadline_ms != 0) {
                skip_series(ts, c, i);
                break;
            }
            return -1;
        }
        if (i == 0 || c->series[i].filter[0] == '\0')
            c->packets = res.packets > c->packets ? res.packets : c->packets;
        run_warnings(c, &res);
        if (c->series[i].filter[0] == '\0' && c->series[i].field[0] == '\0' &&
            reject_garbage(&c->series[i], err) == -1)
            return -1;
    }
    if (deadline_ms == 0 && grow != NULL && (end = growfile_end_ms(grow)) != 0)
        deadline_ms = pipeline_deadline(ts, end);
    c->deadline_ms = deadline_ms;
    chart_finish(c);
    return 0;
}

int pipeline_render(const struct chart *c, enum view_format f, const char *view_url,
                    struct buf *out, struct err *err) {
    switch (f) {
    case VIEW_JSON:
        return export_json(c, view_url, out, err);
    case VIEW_CSV:
        return export_csv(c, out, err);
    case VIEW_SVG:
    case VIEW_HTML:
    default:
        return svg_render(c, out, err);
    }
}
