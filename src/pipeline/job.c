/* job.c - a request's analysis and answer (see pipeline.h, struct pipeline) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/clock.h"
#include "base/escape.h"
#include "base/log.h"
#include "pipeline/pipeline.h"
#include "render/export.h"
#include "render/svg.h"
#include "banned.h"

/*
 * Open the store: cfg->store_dir or <tmpdir>/store, which must not be the
 * temp directory itself (in-flight uploads live there and go with their
 * request).
 */
static int open_store(struct pipeline *p, const struct pipeline_config *cfg,
                      struct err *err) {
    char dir[MAX_PATH_BYTES];
    struct stat a, b;
    int n;

    if (cfg->store_max_bytes == 0)
        return 0;
    if (cfg->store_dir != NULL && cfg->store_dir[0] != '\0')
        n = snprintf(dir, sizeof(dir), "%s", cfg->store_dir);
    else
        n = snprintf(dir, sizeof(dir), "%s/" DEFAULT_STORE_SUBDIR, cfg->tmpdir);
    if (n < 0 || (size_t)n >= sizeof(dir))
        return err_set(err, 500, "store directory path too long");
    if (stat(cfg->tmpdir, &a) == 0 && stat(dir, &b) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino)
        return err_set(err, 500,
                       "the store directory '%s' must not be the temp directory: give it "
                       "one of its own",
                       dir);
    p->store = store_open(dir, cfg->store_max_bytes, cfg->store_ttl_s, err);
    if (p->store == NULL)
        return -1;
    log_info("keeping captures in '%s' (at most %" PRIu64 " bytes, %d s after last use)",
             store_dir(p->store), store_max(p->store), cfg->store_ttl_s);
    return 0;
}

int pipeline_open(struct pipeline *p, const struct tshark *ts,
                  const struct pipeline_config *cfg, struct err *err) {
    struct err ferr = ERR_INIT;

    *p = (struct pipeline)PIPELINE_INIT;
    p->ts = ts;
    if (page_load(&p->page, cfg->www, err) == -1 || open_store(p, cfg, err) == -1)
        goto fail;
    page_set_policy(&p->page, p->store != NULL ? store_ttl(p->store) : 0,
                    cfg->max_upload_bytes);
    if (capinfo_find(ts->path, p->capinfos, sizeof(p->capinfos)) == -1)
        log_info("no capinfos beside '%s': summaries leave out the file format",
                 ts->path);
    /* tshark's field list, for field= (about half a second of tshark, once) */
    if ((p->fields = catalog_load(ts, &ferr)) == NULL)
        log_warnx("tshark's field list is not loaded, field= is refused: %s", ferr.msg);
    else
        log_info("tshark knows %zu fields", catalog_size(p->fields));
    return 0;
fail:
    pipeline_close(p);
    return -1;
}

void pipeline_close(struct pipeline *p) {
    store_close(p->store);
    p->store = NULL;
    catalog_free(p->fields);
    p->fields = NULL;
    page_release(&p->page);
}

int pipeline_index(const struct pipeline *p, struct buf *out, struct err *err) {
    return page_index(&p->page, out, err);
}

int pipeline_error_page(const struct pipeline *p, int status, const char *reason,
                        const char *msg, const struct page_view *pv, struct buf *out,
                        struct err *err) {
    return page_error(&p->page, status, reason, msg, pv, out, err);
}

const struct page_file *pipeline_static(const struct pipeline *p, const char *name) {
    return page_static(&p->page, name);
}

int pipeline_keeps(const struct pipeline *p) {
    return p->store != NULL;
}

int pipeline_free_disk(void *p, const char *path, uint64_t need) {
    struct pipeline *pl = p;

    return pl->store != NULL ? store_free_disk(pl->store, path, need) : 0;
}

int pipeline_warm_idle(const struct pipeline *p) {
    return tshark_warm_idle(p->ts);
}

int pipeline_acquire_capture(struct pipeline *p, const unsigned char id[SHA256_BYTES],
                             struct store_ref **ref, char *path, size_t n,
                             struct err *err) {
    *ref = NULL;
    if (p->store == NULL)
        return err_set(err, 404, "this server keeps no capture: upload the file again");
    return store_acquire(p->store, id, ref, path, n, err);
}

void pipeline_release_capture(struct pipeline *p, struct store_ref *ref) {
    if (ref != NULL)
        store_release(p->store, ref);
}

struct chart *pipeline_chart_new(const struct pipeline_job *job) {
    struct chart *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    view_apply(job->view, c);
    snprintf(c->subject, sizeof(c->subject), "%s", job->display);
    return c;
}

int pipeline_chart_early(const struct pipeline *p, const struct pipeline_job *job,
                         struct growfile *grow, struct chart *c, struct err *err) {
    return pipeline_chart_growing(p->ts, job->path, job->display, job->cancel_fd, grow, c,
                                  err);
}

/*
 * Every display filter must be one tshark accepts, before the capture is
 * read. 0, or -1 with err (400 quoting tshark, naming the series).
 */
static int check_filters(const struct pipeline *p, const struct view *v,
                         int64_t deadline_ms, struct err *err) {
    struct err e;
    size_t i;

    for (i = 0; i < v->nseries; i++) {
        if (v->series[i].filter[0] == '\0')
            continue;
        memset(&e, 0, sizeof(e));
        if (tshark_check_filter_until(p->ts, v->series[i].filter, deadline_ms, &e) == 0)
            continue;
        if (e.status != 400)
            return err_set(err, e.status, "%s", e.msg);
        if (v->series[i].name[0] != '\0')
            return err_set(err, 400, "invalid display filter of series %zu ('%s'): %s",
                           i + 1, v->series[i].name, e.msg);
        return err_set(err, 400, "invalid display filter of series %zu: %s", i + 1,
                       e.msg);
    }
    return 0;
}

/* " (did you mean a, b or c?)" for name, into dst; "" when nothing is close. */
static void suggest(const struct catalog *cat, const char *name, char *dst, size_t n) {
    const struct catalog_entry *close[3];
    size_t k = catalog_suggest(cat, name, close, 3), i, len;

    dst[0] = '\0';
    if (k == 0)
        return;
    snprintf(dst, n, " (did you mean ");
    for (i = 0; i < k; i++) {
        len = strlen(dst);
        snprintf(dst + len, n - len, "%s%s",
                 i == 0       ? ""
                 : i + 1 == k ? " or "
                              : ", ",
                 close[i]->name);
    }
    len = strlen(dst);
    snprintf(dst + len, n - len, "?)");
}

/* Types whose values tshark prints as text a filter must quote. */
static int quoted_type(const char *type) {
    static const char *const T[] = {"FT_STRING",       "FT_STRINGZ",
                                    "FT_UINT_STRING",  "FT_STRINGZPAD",
                                    "FT_STRINGZTRUNC", "FT_ABSOLUTE_TIME"};
    size_t i;

    for (i = 0; i < sizeof(T) / sizeof(T[0]); i++)
        if (strcmp(type, T[i]) == 0)
            return 1;
    return 0;
}

int pipeline_check_view(const struct pipeline *p, struct view *v, struct err *err) {
    size_t i;

    if (v->split[0] != '\0') {
        const struct catalog_entry *e;
        char more[400];

        if (p->fields == NULL)
            return err_set(err, 503,
                           "split= is not available: tshark's field list could not be "
                           "loaded at start");
        if ((e = catalog_find(p->fields, v->split)) == NULL) {
            suggest(p->fields, v->split, more, sizeof(more));
            return err_set(err, 400, "split field '%s': tshark has no such field%s",
                           v->split, more);
        }
        if (strcmp(e->type, "FT_PROTOCOL") == 0 || strcmp(e->type, "FT_NONE") == 0)
            return err_set(err, 400,
                           "split field '%s' is %s: it has no values to split by "
                           "(try one of its fields)",
                           v->split, e->type);
        v->split_quote = quoted_type(e->type);
    }

    for (i = 0; i < v->nseries; i++) {
        struct view_series *vs = &v->series[i];
        const struct catalog_entry *e;
        char more[400];

        if (vs->field[0] == '\0')
            continue;
        if (p->fields == NULL)
            return err_set(err, 503,
                           "field= is not available: tshark's field list could not be "
                           "loaded at start");
        if ((e = catalog_find(p->fields, vs->field)) == NULL) {
            suggest(p->fields, vs->field, more, sizeof(more));
            return err_set(err, 400,
                           "field '%s' of series %zu: tshark has no such field%s",
                           vs->field, i + 1, more);
        }
        if (!field_class_numeric(e->cls))
            return err_set(
                err, 400,
                "field '%s' of series %zu is %s (%s), not a number: it cannot be "
                "charted as a value",
                vs->field, i + 1, e->type, field_class_name(e->cls));
        vs->field_class = e->cls;
    }
    return 0;
}

static int put_entry(struct buf *out, const struct catalog_entry *e, int first) {
    if (buf_puts(out, first ? "\n{\"name\": " : ",\n{\"name\": ") == -1 ||
        esc_json(out, e->name) == -1 || buf_puts(out, ", \"type\": ") == -1 ||
        esc_json(out, e->type) == -1 ||
        buf_printf(out, ", \"class\": \"%s\", \"numeric\": %s, \"description\": ",
                   field_class_name(e->cls),
                   field_class_numeric(e->cls) ? "true" : "false") == -1 ||
        esc_json(out, e->desc) == -1 || buf_puts(out, "}") == -1)
        return -1;
    return 0;
}

int pipeline_fields(const struct pipeline *p, const char *prefix, struct buf *out,
                    struct err *err) {
    const struct catalog_entry *e[FIELDS_ANSWER_MAX + 1];
    size_t n, i, len = strlen(prefix);
    int close = 0;

    if (p->fields == NULL)
        return err_set(err, 503, "tshark's field list could not be loaded at start");
    if (len >= MAX_FIELD_NAME_BYTES ||
        strspn(prefix, "abcdefghijklmnopqrstuvwxyz"
                       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != len)
        return err_set(err, 400,
                       "q must be the start of a field name (letters, digits, '.', '_', "
                       "'-'), at most %d bytes",
                       MAX_FIELD_NAME_BYTES - 1);
    n = catalog_complete(p->fields, prefix, e, FIELDS_ANSWER_MAX + 1);
    if (n == 0 && len > 0) {
        n = catalog_suggest(p->fields, prefix, e, 5);
        close = 1;
    }
    if (buf_puts(out, "{\"q\": ") == -1 || esc_json(out, prefix) == -1 ||
        buf_puts(out, ", \"fields\": [") == -1)
        goto fail;
    for (i = 0; i < n && i < FIELDS_ANSWER_MAX; i++)
        if (put_entry(out, e[i], i == 0) == -1)
            goto fail;
    if (buf_printf(out, "%s], \"more\": %s, \"close\": %s}\n", n > 0 ? "\n" : "",
                   n > FIELDS_ANSWER_MAX ? "true" : "false",
                   close ? "true" : "false") == -1)
        goto fail;
    return 0;
fail:
    return err_set(err, 500, "out of memory");
}

/* Keep a fresh upload in the store; res->kept or res->not_kept says how it went. */
static void keep(struct pipeline *p, const struct pipeline_job *job,
                 struct pipeline_result *res) {
    struct err serr = ERR_INIT;

    if (!job->view->retain)
        snprintf(res->not_kept, sizeof(res->not_kept), "you asked for it not to be kept");
    else if (p->store == NULL)
        snprintf(res->not_kept, sizeof(res->not_kept), "this server keeps no capture");
    else if (store_put(p->store, job->path, job->id, &serr) == 0)
        res->kept = 1;
    else {
        log_debug("capture not kept: %s", serr.msg);
        snprintf(res->not_kept, sizeof(res->not_kept), "%s", serr.msg);
    }
}

int pipeline_analyse(struct pipeline *p, const struct pipeline_job *job,
                     struct chart *ready, struct pipeline_result *res, struct err *err) {
    struct err ierr = ERR_INIT;
    /* one deadline for the whole analysis: filter checks, every series, capinfos */
    int64_t deadline = ready != NULL ? ready->deadline_ms : 0;

    if (deadline == 0)
        deadline = pipeline_deadline(p->ts, mono_now_ms());
    res->kept = !job->fresh;
    res->chart = ready;
    if (ready == NULL) {
        if (check_filters(p, job->view, deadline, err) == -1)
            return -1;
        if ((res->chart = pipeline_chart_new(job)) == NULL)
            return err_set(err, 500, "out of memory");
        if (pipeline_chart_until(p->ts, job->path, job->display, job->cancel_fd, NULL,
                                 deadline, res->chart, err) == -1)
            return -1;
    }
    if (job->fresh)
        keep(p, job, res);
    if (job->view->format != VIEW_HTML || p->capinfos[0] == '\0')
        return 0;
    if (clock_passed(deadline, mono_now_ms())) {
        /* the summary's file format is not worth time past --timeout */
        log_debug("capinfos: not run, the analysis is out of time");
        return 0;
    }
    if (capinfo_read_until(p->capinfos, job->path, job->cancel_fd, p->ts->uid, p->ts->gid,
                           p->ts->sandbox, deadline, &res->info, &ierr) == 0)
        res->have_info = 1;
    else if (ierr.status == 499)
        return err_set(err, 499, "client went away");
    else
        log_debug("capinfos: %s", ierr.msg);
    return 0;
}

void pipeline_result_release(struct pipeline_result *res) {
    if (res->chart != NULL) {
        chart_release(res->chart);
        free(res->chart);
    }
    *res = (struct pipeline_result)PIPELINE_RESULT_INIT;
}

char *pipeline_view_url(const struct view *v, const unsigned char id[SHA256_BYTES]) {
    struct buf u = BUF_INIT(MAX_QUERY_BYTES + 128);
    char hex[SHA256_HEX_BYTES];
    size_t qstart;

    if (buf_printf(&u, VIEW_PREFIX "%s?", sha256_hex(id, hex)) == -1)
        goto fail;
    qstart = u.len;
    if (view_query(v, &u) == -1)
        goto fail;
    if (u.len == qstart)
        u.data[--u.len] = '\0'; /* no parameter: no '?' */
    return buf_detach(&u, NULL);
fail:
    buf_release(&u);
    return NULL;
}

/* url with "format=f" added (owned), or NULL without memory. */
static char *with_format(const char *url, const char *f) {
    struct buf u = BUF_INIT(MAX_QUERY_BYTES + 160);

    if (buf_printf(&u, "%s%sformat=%s", url, strchr(url, '?') != NULL ? "&" : "?", f) ==
        -1) {
        buf_release(&u);
        return NULL;
    }
    return buf_detach(&u, NULL);
}

/* The result page: the controls, the SVG inlined, the summary. */
static int render_page(const struct pipeline *p, const struct pipeline_job *job,
                       const struct pipeline_result *res, const char *url,
                       struct buf *out, struct err *err) {
    struct buf svg = BUF_INIT(MAX_SVG_BYTES);
    struct page_result pr;
    char hex[SHA256_HEX_BYTES];
    int rc = -1;

    if (svg_render(res->chart, &svg, err) == -1)
        goto done;
    memset(&pr, 0, sizeof(pr));
    pr.pv.view = job->view;
    pr.pv.id_hex = res->kept ? sha256_hex(job->id, hex) : NULL;
    pr.pv.file_name = job->display;
    pr.file_name = job->display;
    pr.chart = res->chart;
    pr.svg = svg.data;
    pr.svg_len = svg.len;
    pr.view_url = url;
    pr.not_kept = res->not_kept[0] != '\0' ? res->not_kept : NULL;
    pr.info = res->have_info ? &res->info : NULL;
    rc = page_result(&p->page, &pr, out, err);
done:
    buf_release(&svg);
    return rc;
}

int pipeline_render_answer(const struct pipeline *p, const struct pipeline_job *job,
                           const struct pipeline_result *res, struct pipeline_answer *ans,
                           struct err *err) {
    enum view_format f = job->view->format;
    char *url = NULL;
    int rc = -1;

    if (res->kept) {
        if ((url = pipeline_view_url(job->view, job->id)) == NULL)
            goto oom;
        ans->location =
            f == VIEW_HTML ? strdup(url) : with_format(url, view_format_name(f));
        if (ans->location == NULL)
            goto oom;
    }
    if (f == VIEW_HTML) {
        buf_init(&ans->body, MAX_PAGE_BYTES);
        ans->ctype = pipeline_ctype(VIEW_HTML);
        rc = render_page(p, job, res, url, &ans->body, err);
        goto done;
    }
    buf_init(&ans->body, f == VIEW_SVG ? MAX_SVG_BYTES : MAX_EXPORT_BYTES);
    ans->ctype = pipeline_ctype(f);
    if (pipeline_render(res->chart, f, url, &ans->body, err) == -1)
        goto done;
    rc = 0;
    goto done;
oom:
    err_set(err, 500, "out of memory");
done:
    free(url);
    return rc;
}

void pipeline_answer_release(struct pipeline_answer *ans) {
    buf_release(&ans->body);
    free(ans->location);
    ans->location = NULL;
    ans->ctype = NULL;
}
