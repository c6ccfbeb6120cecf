/*
 * main.c - pcapchart's entry point: parse options, check tshark, then serve,
 * chart one file to stdout, or probe a running server's /healthz.
 */
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/buf.h"
#include "chart/chart.h"
#include "config.h"
#include "base/err.h"
#include "http/http.h"
#include "base/log.h"
#include "conf/options.h"
#include "pipeline/pipeline.h"
#include "proc/sandbox.h"
#include "tshark/profile.h"
#include "tshark/tshark.h"
#include "banned.h"

extern char **environ;

static int ensure_dir(const char *dir) {
    struct stat st;

    if (mkdir(dir, 0700) == -1 && errno != EEXIST)
        return -1;
    if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode))
        return -1;
    return access(dir, W_OK | X_OK);
}

/*
 * Each of these ends the server gracefully (http_stop: running analyses get
 * SHUTDOWN_GRACE_MS, nothing is left behind). ^C (SIGINT), ^\ (SIGQUIT), a lost
 * terminal (SIGHUP) and a supervisor's stop all mean "stop"; a server has no
 * configuration to reload on SIGHUP.
 */
static const int STOP_SIGNALS[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};

static int serve(const struct options *o, struct tshark *ts) {
    struct err err = ERR_INIT;
    char profile[MAX_PATH_BYTES], why[512];
    struct http *h = NULL;
    sigset_t set;
    size_t i;
    int sig = 0, rc = 1;

    /*
     * Block the stop signals before any thread exists, so every thread
     * inherits the mask and only sigwait() below receives them.
     */
    sigemptyset(&set);
    for (i = 0; i < sizeof(STOP_SIGNALS) / sizeof(STOP_SIGNALS[0]); i++)
        sigaddset(&set, STOP_SIGNALS[i]);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    log_info("tshark sandbox: %s", sandbox_describe(ts->sandbox, why, sizeof(why)));
    profile[0] = '\0';
    if (ensure_dir(o->tmpdir) == -1) {
        log_warn("cannot use temp directory '%s'", o->tmpdir);
        goto done;
    }
    /* failure only costs speed: the run goes on without */
    if (profile_make(ts, o->tmpdir, profile, sizeof(profile), &err) == -1)
        log_warnx("frame-only profile unavailable, charts will be slower: %s", err.msg);
    /* before http_start: the warm tshark are there when the first request is */
    if (tshark_pool_start(ts, o->warm, &err) == -1)
        log_warnx("no warm tshark, every run starts cold: %s", err.msg);
    if ((h = http_start(o, ts, &err)) == NULL) {
        log_warnx("cannot start the server: %s", err.msg);
        goto done;
    }
    log_info("listening on http://%s:%d/ (tshark %s, %d jobs, %d warm, tmpdir '%s')",
             o->bind, http_port(h), ts->version, o->jobs, ts->pool != NULL ? o->warm : 0,
             o->tmpdir);
    while (sigwait(&set, &sig) != 0)
        ;
    log_info("signal %d (%s): stopping", sig, strsignal(sig));
    rc = 0;
done:
    http_stop(h);
    tshark_release(ts);      /* after http_stop: no request takes one any more */
    profile_remove(profile); /* after tshark_release */
    return rc;
}

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');

    return slash != NULL && slash[1] != '\0' ? slash + 1 : path;
}

/* Debug line with what this process and its children used (for bench/). */
static void log_resources(void) {
    struct rusage self, kids;

    if (getrusage(RUSAGE_SELF, &self) == -1 || getrusage(RUSAGE_CHILDREN, &kids) == -1)
        return;
    log_debug(
        "resources: pcapchart %ld ms cpu, %ld MB peak; tshark %ld ms cpu, %ld MB peak",
        (long)(self.ru_utime.tv_sec + self.ru_stime.tv_sec) * 1000 +
            (long)(self.ru_utime.tv_usec + self.ru_stime.tv_usec) / 1000,
        self.ru_maxrss / 1024,
        (long)(kids.ru_utime.tv_sec + kids.ru_stime.tv_sec) * 1000 +
            (long)(kids.ru_utime.tv_usec + kids.ru_stime.tv_usec) / 1000,
        kids.ru_maxrss / 1024);
}

/*
 * The chart the KEY=VALUE arguments ask for (the API's view parameters,
 * checked as a request's are; tshark's field list is loaded only when a
 * field= needs it), with --width, --height and --max-points unless a
 * parameter names them. c: chart_init'ed; replaced. 0, or -1 with err.
 */
static int chart_view(const struct options *o, const struct tshark *ts, struct chart *c,
                      struct err *err) {
    struct pipeline pl = PIPELINE_INIT;
    struct view v;
    int i, rc = -1;

    if (o->nview_args == 0)
        return 0;
    view_init(&v, o->format);
    v.width = o->width;
    v.height = o->height;
    v.max_points = o->max_points;
    for (i = 0; i < o->nview_args; i++) {
        const char *arg = o->view_args[i], *eq = strchr(arg, '=');
        char key[32];
        size_t klen = (size_t)(eq - arg);

        if (klen >= sizeof(key))
            return err_set(err, 2, "'%s': no such view parameter", arg);
        memcpy(key, arg, klen);
        key[klen] = '\0';
        if (!view_known_key(key) || strcmp(key, "format") == 0)
            return err_set(
                err, 2, "'%s': no such view parameter (--format gives the format)", arg);
        if (view_set(&v, key, eq + 1, strlen(eq + 1), err) == -1)
            return -1;
    }
    if (view_finish(&v, err) == -1)
        return -1;
    if ((v.any_field || v.split[0] != '\0') &&
        (pl.fields = catalog_load(ts, err)) == NULL)
        return -1;
    pl.ts = ts;
    if (pipeline_check_view(&pl, &v, err) == 0) {
        chart_release(c);
        view_apply(&v, c);
        rc = 0;
    }
    catalog_free(pl.fields);
    return rc;
}

static int chart_file(const struct options *o, struct tshark *ts) {
    struct err err = ERR_INIT;
    struct buf out = BUF_INIT(o->format == VIEW_SVG ? MAX_SVG_BYTES : MAX_EXPORT_BYTES);
    char profile[MAX_PATH_BYTES];
    const char *tmpdir = getenv("TMPDIR");
    struct chart c;
    struct stat st;
    int rc = 1, n;

    profile[0] = '\0';
    chart_init(&c, o->width, o->height, o->max_points);
    if (chart_view(o, ts, &c, &err) == -1) {
        log_warnx("%s", err.msg);
        goto done;
    }
    if (stat(o->file, &st) == -1 || !S_ISREG(st.st_mode)) {
        log_warn("cannot read '%s'", o->file);
        goto done;
    }
    /* the profile costs one tshark start; it pays off only on larger files */
    if (st.st_size >= PROFILE_MIN_CAPTURE_BYTES &&
        profile_make(ts, tmpdir != NULL && tmpdir[0] == '/' ? tmpdir : DEFAULT_TMPDIR,
                     profile, sizeof(profile), &err) == -1) {
        log_warnx("frame-only profile unavailable, charts will be slower: %s", err.msg);
    }
    n = snprintf(c.subject, sizeof(c.subject), "%s", base_name(o->file));
    if (n < 0)
        c.subject[0] = '\0';
    if (pipeline_chart(ts, o->file, base_name(o->file), -1, &c, &err) == -1 ||
        pipeline_render(&c, o->format, NULL, &out, &err) == -1) {
        log_warnx("%s: %s", base_name(o->file), err.msg);
        goto done;
    }
    if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
        log_warn("cannot write to stdout");
        goto done;
    }
    rc = 0;
    log_resources();
done:
    buf_release(&out);
    chart_release(&c);
    profile_remove(profile);
    return rc;
}

/* GET /healthz of a running server; 0 when it answers 200. */
static int healthcheck(const struct options *o) {
    struct addrinfo hints, *res = NULL, *ai;
    struct timeval tv = {5, 0};
    char port[16], reply[256];
    const char *host = o->bind;
    static const char req[] = "GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n";
    ssize_t got = 0, r;
    int fd = -1, rc = 1;

    if (strcmp(host, "0.0.0.0") == 0)
        host = "127.0.0.1";
    else if (strcmp(host, "::") == 0)
        host = "::1";
    snprintf(port, sizeof(port), "%d", o->port);
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &res) != 0) {
        fprintf(stderr, "pcapchart: cannot resolve '%s'\n", host);
        goto done;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        if ((fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol)) == -1)
            continue;
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        close(fd);
        fd = -1;
    }
    if (fd == -1) {
        fprintf(stderr, "pcapchart: no server at %s:%s\n", host, port);
        goto done;
    }
    if (write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1))
        goto done;
    while (got < (ssize_t)sizeof(reply) - 1 &&
           (r = read(fd, reply + got, sizeof(reply) - 1 - (size_t)got)) > 0)
        got += r;
    reply[got] = '\0';
    if (strncmp(reply, "HTTP/1.", 7) == 0 && strncmp(reply + 8, " 200", 4) == 0)
        rc = 0;
    else
        fprintf(stderr, "pcapchart: %s:%s/healthz did not answer 200\n", host, port);
done:
    if (fd != -1)
        close(fd);
    if (res != NULL)
        freeaddrinfo(res);
    return rc;
}

int main(int argc, char *argv[]) {
    struct err err = ERR_INIT;
    struct options o;
    struct tshark ts;
    int rc;

    /* a client that hangs up must not kill the server; children reset it */
    signal(SIGPIPE, SIG_IGN);
    if (options_parse(&o, argc, argv, environ, &err) == -1) {
        fprintf(stderr, "pcapchart: %s\n%s", err.msg, options_usage());
        return 2;
    }
    log_set_level(o.verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
    switch (o.cmd) {
    case CMD_HELP:
        fputs(options_usage(), stdout);
        return 0;
    case CMD_VERSION:
        printf("pcapchart %s\n", PCAPCHART_VERSION);
        return 0;
    case CMD_HEALTHCHECK:
        return healthcheck(&o);
    default:
        break;
    }
    memset(&ts, 0, sizeof(ts));
    if (tshark_init(&ts, o.tshark, o.timeout_s, &err) == -1) {
        fprintf(stderr, "pcapchart: %s\n", err.msg);
        return 1;
    }
    if (tshark_run_as(&ts, o.tshark_user, &err) == -1) {
        fprintf(stderr, "pcapchart: %s\n", err.msg);
        return 1;
    }
    /* PCAPCHART_SANDBOX_SKIP: layers to leave out, for the tests that remove each */
    if (tshark_sandbox(&ts, o.tmpdir, o.jobs + o.warm + SANDBOX_SPARE_RUNS,
                       sandbox_parse_skip(getenv("PCAPCHART_SANDBOX_SKIP")),
                       &err) == -1) {
        fprintf(stderr, "pcapchart: %s\n", err.msg);
        return 1;
    }
    ts.max_packets = o.max_packets;
    ts.rlimit_as_bytes = o.tshark_mem_bytes;
    if (o.cmd != CMD_CHART)
        return serve(&o, &ts); /* releases ts itself, after the server's threads */
    rc = chart_file(&o, &ts);
    tshark_release(&ts);
    return rc;
}
