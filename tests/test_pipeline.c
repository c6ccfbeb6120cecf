/*
 * test_pipeline.c - the server's side of the pipeline (pipeline.h, struct
 * pipeline) with real tshark on a real capture: open (www/, the store,
 * capinfos), a fresh upload analysed, kept and answered in every format
 * with its view URL, the kept capture viewed again, a bad display filter
 * (400 naming the series), retain=0, an unknown id, and close (the store's
 * files and every descriptor gone).
 *
 * Needs tshark in PATH and CAPTURES_DIR (dev/http.cap); exits 77 without.
 */
#define _XOPEN_SOURCE 700 /* nftw in testutil.h */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/sha256.h"
#include "check.h"
#include "chart/view.h"
#include "pipeline/pipeline.h"
#include "testutil.h"
#include "tshark/tshark.h"
#include "banned.h"

#define HTTP_CAP_PACKETS 43

static char tmpdir[64];
static char upload[4096];
static unsigned char id[SHA256_BYTES];
static char hex[SHA256_HEX_BYTES];

/* Copy src to upload in tmpdir (the pipeline keeps a hard link of it) and hash it. */
static int make_upload(const char *src) {
    struct sha256_ctx s;
    char data[65536];
    FILE *in, *out;
    size_t n;

    snprintf(upload, sizeof(upload), "%s/upload.cap", tmpdir);
    if ((in = fopen(src, "rb")) == NULL)
        return -1;
    if ((out = fopen(upload, "wb")) == NULL) {
        fclose(in);
        return -1;
    }
    sha256_init(&s);
    while ((n = fread(data, 1, sizeof(data), in)) > 0) {
        sha256_update(&s, n, (const uint8_t *)data);
        fwrite(data, 1, n, out);
    }
    fclose(in);
    sha256_final(&s, id);
    sha256_hex(id, hex);
    return fclose(out) == 0 ? 0 : -1;
}

/* A finished view of query "k=v&k=v" (no escapes), default format def. */
static void make_view(struct view *v, enum view_format def, const char *query) {
    struct err err = ERR_INIT;
    char q[512], *save = NULL, *kv, *eq;

    view_init(v, def);
    snprintf(q, sizeof(q), "%s", query);
    for (kv = strtok_r(q, "&", &save); kv != NULL; kv = strtok_r(NULL, "&", &save)) {
        if ((eq = strchr(kv, '=')) == NULL)
            continue;
        *eq++ = '\0';
        CHECK(view_set(v, kv, eq, strlen(eq), &err) == 0);
    }
    CHECK(view_finish(v, &err) == 0);
}

/* job analysed and answered: 0 with *ans set, or -1 with err. */
static int run(struct pipeline *p, const struct pipeline_job *job,
               struct pipeline_result *res, struct pipeline_answer *ans,
               struct err *err) {
    if (pipeline_analyse(p, job, NULL, res, err) == -1)
        return -1;
    return pipeline_render_answer(p, job, res, ans, err);
}

static void test_fresh_upload(struct pipeline *p) {
    struct pipeline_result res = PIPELINE_RESULT_INIT;
    struct pipeline_answer ans = PIPELINE_ANSWER_INIT;
    struct err err = ERR_INIT;
    struct view v;
    struct pipeline_job job = {&v, upload, "upload.cap", id, 1, -1};
    char want[256];

    make_view(&v, VIEW_JSON, "kind=io&interval=1");
    CHECK(run(p, &job, &res, &ans, &err) == 0);
    CHECK(res.kept && res.not_kept[0] == '\0');
    CHECK(res.chart != NULL && res.chart->packets == HTTP_CAP_PACKETS);
    CHECK(!res.have_info); /* only HTML answers read capinfos */
    CHECK(ans.ctype != NULL && strncmp(ans.ctype, "application/json", 16) == 0);
    snprintf(want, sizeof(want), "/c/%s?kind=io&interval=1&format=json", hex);
    CHECK(ans.location != NULL && strcmp(ans.location, want) == 0);
    snprintf(want, sizeof(want), "\"view\": \"/c/%s?kind=io&interval=1\"", hex);
    CHECK(ans.body.data != NULL && strstr(ans.body.data, want) != NULL);
    pipeline_answer_release(&ans);
    pipeline_result_release(&res);
    CHECK(res.chart == NULL);
}

static void test_kept_view(struct pipeline *p) {
    struct pipeline_result res = PIPELINE_RESULT_INIT;
    struct pipeline_answer ans = PIPELINE_ANSWER_INIT;
    struct err err = ERR_INIT;
    struct store_ref *ref = NULL;
    char path[4096], want[256];
    struct view v;
    struct pipeline_job job = {&v, path, "http.cap", id, 0, -1};
    static const enum view_format formats[] = {VIEW_HTML, VIEW_SVG, VIEW_CSV};
    size_t i;

    for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        CHECK(pipeline_acquire_capture(p, id, &ref, path, sizeof(path), &err) == 0);
        CHECK(access(path, R_OK) == 0);
        make_view(&v, formats[i], "");
        CHECK(run(p, &job, &res, &ans, &err) == 0);
        pipeline_release_capture(p, ref);
        CHECK(res.kept && res.chart->packets == HTTP_CAP_PACKETS);
        CHECK(strcmp(ans.ctype, pipeline_ctype(formats[i])) == 0);
        if (formats[i] == VIEW_HTML) {
            snprintf(want, sizeof(want), "/c/%s", hex);
            CHECK(strcmp(ans.location, want) == 0); /* default view: no '?' */
            CHECK(strstr(ans.body.data, "<svg") != NULL);
            /* capinfos' facts when there is one beside tshark */
            CHECK(res.have_info == (p->capinfos[0] != '\0'));
        } else if (formats[i] == VIEW_SVG) {
            CHECK(strncmp(ans.body.data, "<svg", 4) == 0 ||
                  strncmp(ans.body.data, "<?xml", 5) == 0);
        } else {
            snprintf(want, sizeof(want), "/c/%s?format=csv", hex);
            CHECK(strcmp(ans.location, want) == 0);
        }
        pipeline_answer_release(&ans);
        pipeline_result_release(&res);
    }
}

static void test_errors(struct pipeline *p) {
    struct pipeline_result res = PIPELINE_RESULT_INIT;
    struct pipeline_answer ans = PIPELINE_ANSWER_INIT;
    struct err err = ERR_INIT;
    struct store_ref *ref = NULL;
    unsigned char unknown[SHA256_BYTES];
    char path[4096];
    struct view v;
    struct pipeline_job job = {&v, upload, "upload.cap", id, 1, -1};

    /* a bad filter: 400 naming the series; the capture is not read */
    make_view(&v, VIEW_SVG, "filter=tcp&name=web&filter=udp");
    snprintf(v.series[1].filter, sizeof(v.series[1].filter), "ip.src ==");
    CHECK(run(p, &job, &res, &ans, &err) == -1 && err.status == 400);
    CHECK(strstr(err.msg, "series 2") != NULL);
    pipeline_result_release(&res);

    /* retain=0: answered, not kept, no view URL */
    memset(&err, 0, sizeof(err));
    make_view(&v, VIEW_JSON, "retain=0");
    CHECK(run(p, &job, &res, &ans, &err) == 0);
    CHECK(!res.kept && strstr(res.not_kept, "not to be kept") != NULL);
    CHECK(ans.location == NULL && strstr(ans.body.data, "\"view\"") == NULL);
    pipeline_answer_release(&ans);
    pipeline_result_release(&res);

    /* an id nobody uploaded */
    memset(unknown, 0xab, sizeof(unknown));
    CHECK(pipeline_acquire_capture(p, unknown, &ref, path, sizeof(path), &err) == -1 &&
          err.status == 404 && ref == NULL);
    pipeline_release_capture(p, NULL);
}

int main(void) {
    const char *dir = getenv("CAPTURES_DIR"), *www = getenv("WWW_DIR");
    struct pipeline_config cfg = {NULL, tmpdir, NULL, 64u << 20, 3600, 1u << 30};
    struct pipeline p = PIPELINE_INIT;
    struct err err = ERR_INIT;
    struct tshark ts;
    char cap[4096], store[4200];
    struct buf page = BUF_INIT(1 << 20);
    int fds;

    if (dir == NULL || dir[0] == '\0')
        dir = CAPTURES_DIR_DEFAULT;
    snprintf(cap, sizeof(cap), "%s/dev/http.cap", dir);
    if (access(cap, R_OK) != 0 || tshark_init(&ts, "tshark", 60, &err) == -1) {
        fprintf(stderr, "no '%s' or no tshark (%s): skipped\n", cap, err.msg);
        return 77;
    }
    fds = count_fds();
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/pcc-pipeline-XXXXXX");
    if (mkdtemp(tmpdir) == NULL || make_upload(cap) == -1) {
        perror("temp dir");
        return 1;
    }
    cfg.www = www != NULL ? www : PCAPCHART_WWW_DIR;

    /* the store must not be the temp directory itself */
    cfg.store_dir = tmpdir;
    CHECK(pipeline_open(&p, &ts, &cfg, &err) == -1 && err.status == 500 &&
          strstr(err.msg, "must not be the temp directory") != NULL);
    pipeline_close(&p);
    cfg.store_dir = NULL;

    CHECK(pipeline_open(&p, &ts, &cfg, &err) == 0);
    CHECK(pipeline_keeps(&p));
    CHECK(pipeline_static(&p, "app.js") != NULL && pipeline_static(&p, "../x") == NULL &&
          pipeline_static(&p, "") == NULL);
    CHECK(pipeline_index(&p, &page, &err) == 0 && strstr(page.data, "<form") != NULL);
    test_fresh_upload(&p);
    test_kept_view(&p);
    test_errors(&p);
    pipeline_close(&p);
    pipeline_close(&p); /* twice is fine */
    snprintf(store, sizeof(store), "%s/store", tmpdir);
    CHECK(access(store, F_OK) != 0 || rmdir(store) == 0); /* no capture left in it */

    /* keeping nothing: a view is a 404 that says so */
    cfg.store_max_bytes = 0;
    CHECK(pipeline_open(&p, &ts, &cfg, &err) == 0 && !pipeline_keeps(&p));
    {
        struct store_ref *ref = NULL;
        char path[4096];

        CHECK(pipeline_acquire_capture(&p, id, &ref, path, sizeof(path), &err) == -1 &&
              err.status == 404 && strstr(err.msg, "keeps no capture") != NULL);
    }
    pipeline_close(&p);

    buf_release(&page);
    tshark_release(&ts);
    rm_tree(tmpdir);
    CHECK(count_fds() == fds);
    return CHECK_DONE();
}
