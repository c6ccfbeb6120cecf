/* tshark.c - see tshark.h */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "proc/child.h"
#include "base/log.h"
#include "tshark/tshark.h"
#include "proc/warm.h"
#include "banned.h"

/*
 * HOME when we have none. Not a world-writable directory such as /tmp:
 * tshark loads personal preferences and Lua plugins from under $HOME.
 */
#define FALLBACK_HOME "/nonexistent"
/* TZ when we have none: any fixed zone stops glibc's per-packet stat() */
#define FALLBACK_TZ "UTC0"
#define ROOT_WARNING "Running as user \""

/* The environment tshark gets: nothing of ours leaks into it. */
struct env {
    char path[MAX_PATH_BYTES + sizeof("PATH=")];
    char home[MAX_PATH_BYTES + sizeof("HOME=")];
    char tz[MAX_PATH_BYTES + sizeof("TZ=")];
    char cfg[MAX_PATH_BYTES + sizeof("WIRESHARK_CONFIG_DIR=")];
    char data[MAX_PATH_BYTES + sizeof("WIRESHARK_DATA_DIR=")];
    const char *vec[7];
};

static int env_var(char *dst, size_t dstsz, const char *name, const char *value,
                   const char *fallback) {
    int n;

    if (value == NULL || *value == '\0')
        value = fallback;
    n = snprintf(dst, dstsz, "%s=%s", name, value);
    if (n < 0 || (size_t)n >= dstsz)
        n = snprintf(dst, dstsz, "%s=%s", name, fallback);
    return n < 0 || (size_t)n >= dstsz ? -1 : 0;
}

/*
 * profile_dir: NULL, or the WIRESHARK_CONFIG_DIR to select; data_dir: NULL,
 * or the WIRESHARK_DATA_DIR (tshark ignores it when it runs as root).
 */
static int build_env(struct env *e, const struct tshark *ts, const char *profile_dir,
                     const char *data_dir) {
    /* another user's tshark gets its own HOME: ours it cannot read (4.0.17 even
       crashes on some of the files it is refused there) */
    const char *home = ts->user[0] != '\0' ? ts->home : getenv("HOME");
    int i = 0;

    if (env_var(e->path, sizeof(e->path), "PATH", getenv("PATH"), CHILD_DEFAULT_PATH) ==
            -1 ||
        env_var(e->home, sizeof(e->home), "HOME", home, FALLBACK_HOME) == -1 ||
        env_var(e->tz, sizeof(e->tz), "TZ", getenv("TZ"), FALLBACK_TZ) == -1)
        return -1;
    e->vec[i++] = e->path;
    e->vec[i++] = e->home;
    e->vec[i++] = "LC_ALL=C";
    e->vec[i++] = e->tz;
    if (profile_dir != NULL && *profile_dir != '\0') {
        if (env_var(e->cfg, sizeof(e->cfg), "WIRESHARK_CONFIG_DIR", profile_dir, "") ==
            -1)
            return -1;
        e->vec[i++] = e->cfg;
    }
    if (data_dir != NULL && *data_dir != '\0') {
        if (env_var(e->data, sizeof(e->data), "WIRESHARK_DATA_DIR", data_dir, "") == -1)
            return -1;
        e->vec[i++] = e->data;
    }
    e->vec[i] = NULL;
    return 0;
}

/*
 * Where tshark's own message starts in p..end: the first line that starts
 * "tshark: " (after blanks), skipping log noise before it; p when none does.
 */
static const char *first_tshark_line(const char *p, const char *end) {
    const char *q = p;

    while (q < end) {
        const char *nl = memchr(q, '\n', (size_t)(end - q));
        const char *t = q;

        while (t < end && (*t == ' ' || *t == '\t'))
            t++;
        if ((size_t)(end - t) >= 8 && memcmp(t, "tshark: ", 8) == 0)
            return q;
        q = nl != NULL ? nl + 1 : end;
    }
    return p;
}

/* Copy the byte c into out[*o] (control bytes blanked) while room is left. */
static void put_clean(char *out, size_t outsz, size_t *o, char c) {
    if (*o + 1 < outsz)
        out[(*o)++] = (unsigned char)c < 0x20 || c == 0x7f ? ' ' : c;
}

/*
 * tshark's stderr tail as one line for a client: from its first line that
 * starts "tshark: " (if any), without the warning about running as root,
 * without "tshark: ", lines joined with a space, control
 * bytes blanked, and every occurrence of capture (our temp path) replaced by
 * display. first_only keeps just the first line (display filter errors go on
 * with an echo of the filter and a caret).
 */
static void clean_reason(const struct child *ch, const char *capture, const char *display,
                         int first_only, char *out, size_t outsz) {
    const char *p = ch->tail, *end = ch->tail + ch->tail_len;
    size_t o = 0, caplen = capture != NULL ? strlen(capture) : 0;
    int first = 1;

    if (outsz == 0)
        return;
    out[0] = '\0';
    if (ch->tail_len >= MAX_STDERR_TAIL_BYTES) {
        /* the tail was cut: its first line is partial and may hold part of a path */
        const char *nl = memchr(p, '\n', ch->tail_len);
        p = nl != NULL ? nl + 1 : end;
    }
    p = first_tshark_line(p, end);
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *q = p, *lend;

        lend = eol != NULL ? eol : end;
        p = lend + 1;
        while (q < lend && (*q == ' ' || *q == '\t' || *q == '\r'))
            q++;
        while (lend > q && (lend[-1] == ' ' || lend[-1] == '\t' || lend[-1] == '\r'))
            lend--;
        if (q == lend || ((size_t)(lend - q) >= sizeof(ROOT_WARNING) - 1 &&
                          memcmp(q, ROOT_WARNING, sizeof(ROOT_WARNING) - 1) == 0))
            continue;
        if ((size_t)(lend - q) >= 8 && memcmp(q, "tshark: ", 8) == 0)
            q += 8;
        if (!first && o + 1 < outsz)
            out[o++] = ' ';
        first = 0;
        while (q < lend) {
            if (caplen > 0 && (size_t)(lend - q) >= caplen &&
                memcmp(q, capture, caplen) == 0) {
                const char *d;
                for (d = display; *d != '\0'; d++)
                    put_clean(out, outsz, &o, *d);
                q += caplen;
            } else {
                put_clean(out, outsz, &o, *q++);
            }
        }
        if (first_only)
            break;
    }
    out[o] = '\0';
}

/* The frame-only profile's directory as a child sees it. */
struct profile_paths {
    char cfg[64];  /* /proc/self/fd/N, "" for none */
    char data[64]; /* /proc/self/fd/N/data, "" for none */
};

static void profile_paths(const struct tshark *ts, struct profile_paths *pp) {
    pp->cfg[0] = '\0';
    pp->data[0] = '\0';
    if (ts->profile_dir[0] == '\0' || ts->profile_fd < 0)
        return;
    snprintf(pp->cfg, sizeof(pp->cfg), "/proc/self/fd/%d", ts->profile_fd);
    if (ts->data_ok)
        snprintf(pp->data, sizeof(pp->data), "/proc/self/fd/%d/%s", ts->profile_fd,
                 TSHARK_PROFILE_DATA);
}

/* tshark_query, killed at deadline_ms. */
static int query_until(const struct tshark *ts, const char *const *argv, int stdin_fd,
                       tshark_sink sink, void *sink_ctx, int64_t deadline_ms,
                       struct child *ch, struct err *err) {
    struct child_spec spec = CHILD_SPEC_INIT;
    struct env env;
    char *chunk = NULL;
    ssize_t n;

    if (build_env(&env, ts, NULL, NULL) == -1) {
        err_set(err, 500, "cannot run tshark: environment too long");
        goto fail;
    }
    if ((chunk = malloc(READ_CHUNK_BYTES)) == NULL) {
        err_set(err, 500, "out of memory");
        goto fail;
    }
    spec.argv = argv;
    spec.envp = env.vec;
    spec.stdin_fd = stdin_fd;
    spec.deadline_ms = deadline_ms;
    spec.rlimit_as_bytes = ts->rlimit_as_bytes;
    spec.rlimit_nofile = TSHARK_RLIMIT_NOFILE;
    spec.rlimit_fsize_bytes = TSHARK_RLIMIT_FSIZE_BYTES;
    spec.uid = ts->uid;
    spec.gid = ts->gid;
    spec.sandbox = ts->sandbox;
    if (child_start(ch, &spec, err) == -1)
        goto fail;
    while ((n = child_read(ch, chunk, READ_CHUNK_BYTES, err)) > 0) {
        if (sink != NULL && sink(sink_ctx, chunk, (size_t)n) == -1) {
            err_set(err, 500, "cannot keep tshark output: %s", strerror(errno));
            goto fail;
        }
    }
    if (n == -1)
        goto fail;
    free(chunk);
    return child_finish(ch);
fail:
    child_finish(ch);
    free(chunk);
    return -1;
}

int tshark_query(const struct tshark *ts, const char *const *argv, int stdin_fd,
                 tshark_sink sink, void *sink_ctx, struct child *ch, struct err *err) {
    return query_until(ts, argv, stdin_fd, sink, sink_ctx,
                       mono_now_ms() + TSHARK_CHECK_TIMEOUT_MS, ch, err);
}

int tshark_keep_head(void *ctx, const char *data, size_t n) {
    struct buf *b = ctx;
    size_t room = b->max - b->len;

    return buf_append(b, data, n < room ? n : room);
}

/* Run `tshark --version` (as ts->uid, if set) and keep the version. */
static int read_version(struct tshark *ts, const char *prog, struct err *err) {
    struct child ch = CHILD_INIT;
    struct buf out = BUF_INIT(READ_CHUNK_BYTES);
    const char *argv[3];
    const char *v;
    size_t vlen;
    int status, rc = -1;

    argv[0] = ts->path;
    argv[1] = "--version";
    argv[2] = NULL;
    if ((status = tshark_query(ts, argv, -1, tshark_keep_head, &out, &ch, err)) == -1)
        goto out;
    if (status != 0) {
        err_set(err, 500, "cannot run tshark '%s': --version exited %d", prog, status);
        goto out;
    }
    /* "TShark (Wireshark) 4.0.17 (Git v4.0.17 packaged as 4.0.17-0+deb12u3)." */
#define VERSION_PREFIX "TShark (Wireshark) "
    if (out.data == NULL ||
        strncmp(out.data, VERSION_PREFIX, sizeof(VERSION_PREFIX) - 1)) {
        err_set(err, 500, "cannot run tshark '%s': it does not answer like tshark", prog);
        goto out;
    }
    v = out.data + sizeof(VERSION_PREFIX) - 1;
#undef VERSION_PREFIX
    vlen = strspn(v, "0123456789.");
    while (vlen > 0 && v[vlen - 1] == '.')
        vlen--;
    if (vlen == 0 || vlen >= sizeof(ts->version)) {
        err_set(err, 500, "cannot run tshark '%s': no version in its answer", prog);
        goto out;
    }
    memcpy(ts->version, v, vlen);
    ts->version[vlen] = '\0';
    rc = 0;
out:
    buf_release(&out);
    return rc;
}

int tshark_init(struct tshark *ts, const char *prog, int timeout_s, struct err *err) {
    memset(ts, 0, sizeof(*ts));
    ts->profile_fd = -1;
    ts->uid = (uid_t)-1;
    ts->gid = (gid_t)-1;
    ts->timeout_s = timeout_s;
    if (prog == NULL)
        prog = DEFAULT_TSHARK;
    if (child_find_program(prog, ts->path, sizeof(ts->path)) == -1) {
        err_set(err, 500, "cannot run tshark '%s': %s", prog, strerror(errno));
        goto fail;
    }
    if (read_version(ts, prog, err) == -1)
        goto fail;
    return 0;
fail:
    ts->path[0] = '\0';
    return -1;
}

int tshark_run_as(struct tshark *ts, const char *user, struct err *err) {
    struct passwd pw, *found = NULL;
    char pwbuf[4096];
    int e;

    if (ts->path[0] == '\0')
        return err_set(err, 500, "cannot choose tshark's user: tshark_init not done");
    if (user == NULL || *user == '\0') {
        if (geteuid() != 0)
            return 0; /* not root: tshark runs as we do */
        /* root: a user of its own per run (tshark_sandbox); the first until then */
        ts->uid = SANDBOX_USERS_BASE;
        ts->gid = (gid_t)SANDBOX_USERS_BASE;
        ts->user_per_run = 1;
        snprintf(ts->user, sizeof(ts->user), "%s", "a user per run");
        snprintf(ts->home, sizeof(ts->home), "%s", FALLBACK_HOME);
        goto check;
    }
    e = getpwnam_r(user, &pw, pwbuf, sizeof(pwbuf), &found);
    if (e != 0 || found == NULL)
        return err_set(err, 500, "tshark user '%s': no such user", user);
    if (pw.pw_uid == geteuid())
        return 0; /* ourselves: nothing to change */
    if (geteuid() != 0)
        return err_set(err, 500,
                       "tshark user '%s': only a server started as root can run tshark "
                       "as another user",
                       user);
    ts->uid = pw.pw_uid;
    ts->gid = pw.pw_gid;
    if (pw.pw_dir == NULL || pw.pw_dir[0] != '/' ||
        snprintf(ts->home, sizeof(ts->home), "%s", pw.pw_dir) >= (int)sizeof(ts->home))
        snprintf(ts->home, sizeof(ts->home), "%s", FALLBACK_HOME);
    snprintf(ts->user, sizeof(ts->user), "%s", user);
check:
    /* can that user run it? (a tshark under a private home would say no) */
    if (read_version(ts, ts->path, err) == -1) {
        ts->uid = (uid_t)-1;
        ts->gid = (gid_t)-1;
        ts->user_per_run = 0;
        ts->user[0] = '\0';
        ts->home[0] = '\0';
        return -1;
    }
    return 0;
}

int tshark_check_filter(const struct tshark *ts, const char *filter, struct err *err) {
    return tshark_check_filter_until(ts, filter, 0, err);
}

int tshark_check_filter_until(const struct tshark *ts, const char *filter,
                              int64_t deadline_ms, struct err *err) {
    /* a classic pcap header (LE, v2.4, snaplen 65535, Ethernet) and no packet */
    static const unsigned char empty_pcap[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0,
                                                 0,    0,    0,    0,    0, 0, 0, 0,
                                                 0xff, 0xff, 0,    0,    1, 0, 0, 0};
    struct child ch = CHILD_INIT;
    const char *argv[7];
    char msg[ERR_MSG_MAX];
    int64_t own = mono_now_ms() + TSHARK_CHECK_TIMEOUT_MS;
    int64_t until = clock_sooner(deadline_ms, own);
    struct err qerr = ERR_INIT;
    int in = -1, status, rc = -1;

    if (filter == NULL || *filter == '\0')
        return 0;
    /*
     * tshark compiles the filter before it opens the file, and an empty
     * capture on a pipe costs no temp file. (/dev/null and sockets are
     * refused as "special files", and -c 0 is refused before the filter.)
     */
    if ((in = child_stdin_pipe(empty_pcap, sizeof(empty_pcap), err)) == -1)
        goto out;
    argv[0] = ts->path;
    argv[1] = "-n";
    argv[2] = "-Y";
    argv[3] = filter;
    argv[4] = "-r";
    argv[5] = "-";
    argv[6] = NULL;
    if ((status = query_until(ts, argv, in, NULL, NULL, until, &ch, &qerr)) == -1) {
        if (!ch.timed_out)
            err_set(err, qerr.status, "%s", qerr.msg);
        else if (until != own)
            err_set(err, 504,
                    "checking the display filter took longer than %d s, the time limit "
                    "of the analysis (--timeout)",
                    ts->timeout_s);
        else
            err_set(err, 504, "tshark took longer than %d s to check the display filter",
                    TSHARK_CHECK_TIMEOUT_MS / 1000);
        goto out;
    }
    if (status == 0) {
        rc = 0;
    } else if (status > 128) {
        err_set(err, 502, "tshark crashed (signal %d)", status - 128);
    } else {
        clean_reason(&ch, NULL, NULL, 1, msg, sizeof(msg));
        err_set(err, 400, "%s",
                msg[0] != '\0' ? msg : "tshark rejected the display filter");
    }
out:
    if (in != -1)
        close(in);
    return rc;
}

/*
 * One run of tshark_run: what it was asked (set by tshark_run), what it
 * holds, and what it saw. run_once resets the rest before each attempt.
 */
struct run {
    /* the request */
    const struct tshark *ts;
    const struct tshark_job *job;
    tsjson_cb cb;
    void *ctx;
    struct tshark_result *res;
    int allow_warm; /* a warm tshark may do it */
    /* held, released by run_once's tail */
    struct child ch;
    struct tsjson js;
    int in;      /* owned: the capture, tshark's stdin; -1 none */
    char *chunk; /* owned: READ_CHUNK_BYTES of stdout */
    /* the run */
    const char *display; /* borrowed: how the capture is named in messages */
    int filtered;        /* a display filter or a field was given: full dissection */
    int warm;            /* a warm tshark took it */
    int64_t started_ms;  /* the run's clock */
    int64_t deadline_ms; /* when it is stopped (run_deadline); 0: none */
    uint64_t out_bytes;  /* of stdout */
    int fed;             /* last tsjson_feed: 0 go on, 1 stopped, -1 failed */
    int fin;             /* tsjson_finish at EOF: 0, or -1 */
    int read_failed;     /* child_read failed (cerr says why) */
    int status;          /* tshark's exit status (child_finish) */
    struct err ferr;     /* the parser's or the callback's error */
    struct err cerr;     /* child_read's error */
    /* packets (on_packet) */
    int limit_hit; /* max_packets reached and one more packet came */
    int cb_stop;   /* the caller's callback asked to stop */
    int cb_failed; /* the caller's callback failed: its err stands */
    /* the answer beside the return value */
    int retry; /* a warm tshark died before any output: worth one cold run */
};

static int on_packet(void *vr, const struct pkt *p, struct err *err) {
    struct run *r = vr;
    uint64_t max = r->ts->max_packets;
    int rc;

    if (max != 0 && r->res->packets >= max) {
        r->limit_hit = 1;
        return 1;
    }
    r->res->packets++;
    rc = r->cb(r->ctx, p, err);
    if (rc == -1)
        r->cb_failed = 1;
    else if (rc != 0)
        r->cb_stop = 1;
    return rc;
}

int tshark_build_argv(struct tshark_argv *a, const struct tshark *ts, const char *capture,
                      const char *filter, const char *field, const char *split) {
    size_t i;
    int argc = 0;

    a->v[argc++] = ts->path;
    a->v[argc++] = "-n";
    a->v[argc++] = "-r";
    a->v[argc++] = capture;
    a->v[argc++] = "-T";
    a->v[argc++] = "json";
    for (i = 0; i < FIELDS_NBUILTIN; i++) {
        a->v[argc++] = "-e";
        a->v[argc++] = fields_builtin[i].name;
    }
    if (field != NULL && *field != '\0') {
        a->v[argc++] = "-e";
        a->v[argc++] = field;
    }
    if (split != NULL && *split != '\0') {
        a->v[argc++] = "-e";
        a->v[argc++] = split;
    }
    if (filter != NULL && *filter != '\0') {
        a->v[argc++] = "-Y";
        a->v[argc++] = filter;
    } else if (ts->max_packets != 0 && ts->max_packets < INT_MAX) {
        /*
         * Without a filter every packet read is printed, so tshark can stop
         * by itself; one more than the limit tells a stop from an exact fit.
         * (With -Y, -c counts packets read, not shown: we count ourselves.)
         */
        snprintf(a->count, sizeof(a->count), "%llu",
                 (unsigned long long)ts->max_packets + 1);
        a->v[argc++] = "-c";
        a->v[argc++] = a->count;
    }
    a->v[argc] = NULL;
    return argc;
}

uint64_t tshark_cpu_limit_s(const struct tshark *ts, int warm) {
    if (ts->timeout_s <= 0)
        return 0;
    /* a backstop only: the wall-clock deadline normally comes first */
    return (uint64_t)ts->timeout_s + (KILL_GRACE_MS + 999) / 1000 +
           (warm ? WARM_START_CPU_S : 0);
}

/* The limits of a run's tshark (warm: plus its start-up CPU). */
static void set_limits(const struct tshark *ts, struct child_spec *spec, int warm) {
    spec->rlimit_cpu_s = tshark_cpu_limit_s(ts, warm);
    spec->rlimit_as_bytes = ts->rlimit_as_bytes;
    spec->rlimit_nofile = TSHARK_RLIMIT_NOFILE;
    spec->rlimit_fsize_bytes = TSHARK_RLIMIT_FSIZE_BYTES;
    spec->uid = ts->uid;
    spec->gid = ts->gid;
    spec->sandbox = ts->sandbox;
}

int tshark_pool_start(struct tshark *ts, int size, struct err *err) {
    struct child_spec spec = CHILD_SPEC_INIT;
    struct env env;
    struct profile_paths pp;
    struct tshark_argv argv;
    struct err perr = ERR_INIT;

    if (size <= 0)
        return 0;
    if (ts->path[0] == '\0')
        return err_set(err, 500, "cannot start warm tshark: tshark_init not done");
    if (ts->pool != NULL)
        return err_set(err, 500, "cannot start warm tshark: already started");
    tshark_build_argv(&argv, ts, "-", NULL, NULL, NULL);
    profile_paths(ts, &pp);
    if (build_env(&env, ts, pp.cfg, pp.data) == -1)
        return err_set(err, 500, "cannot start warm tshark: environment too long");
    spec.argv = argv.v;
    spec.envp = env.vec;
    spec.stdin_fd = CHILD_STDIN_PIPE;
    spec.keep_fd = pp.cfg[0] != '\0' ? ts->profile_fd : -1;
    set_limits(ts, &spec, 1);
    if ((ts->pool = warm_pool_new(&spec, size, &perr)) == NULL) {
        /* child's message names our binary's path: keep only its reason */
        const char *why = strstr(perr.msg, "': ");
        if (why != NULL)
            return err_set(err, 500, "cannot start warm tshark%s", why + 1);
        return err_set(err, 500, "cannot start warm tshark: %s", perr.msg);
    }
    return 0;
}

void tshark_pool_stop(struct tshark *ts) {
    warm_pool_free(ts->pool);
    ts->pool = NULL;
}

int tshark_warm_idle(const struct tshark *ts) {
    struct warm_stats st;

    if (ts->pool == NULL)
        return 0;
    warm_pool_stats(ts->pool, &st);
    return st.idle;
}

int tshark_sandbox(struct tshark *ts, const char *private_dir, int runs, int skip,
                   struct err *err) {
    struct sandbox_opts o = {ts->uid, ts->gid, 0, runs, skip, NULL, private_dir};

    if (ts->user_per_run)
        o.users = (runs > 0 ? runs : 1) * SANDBOX_USERS_PER_RUN;

    sandbox_free(ts->sandbox);
    ts->sandbox = sandbox_new(&o, err);
    return ts->sandbox == NULL ? -1 : 0;
}

void tshark_release(struct tshark *ts) {
    tshark_pool_stop(ts);
    sandbox_free(ts->sandbox); /* after the pool: its children used it */
    ts->sandbox = NULL;
    if (ts->profile_fd > STDERR_FILENO)
        close(ts->profile_fd);
    ts->profile_fd = -1;
    ts->profile_dir[0] = '\0';
    ts->data_ok = 0;
}

/*
 * The capture opened for tshark's stdin (every run reads `-r -`: no path of
 * ours in its argv, and a tshark running as another user needs no access to
 * our files), or -1 with err (422 for a directory, 500 otherwise).
 * *warmable: it starts with a magic of a format tshark reads the same from
 * a pipe as from a file (classic pcap in both byte orders, microsecond and
 * nanosecond; pcapng; gzip, which tshark unpacks itself), so a warm tshark
 * reading a pipe may take it.
 */
static int open_capture(const char *capture, const char *display, int *warmable,
                        struct err *err) {
    unsigned char m[4];
    struct stat st;
    int fd;

    *warmable = 0;
    if ((fd = open(capture, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
        if (errno == ENOENT) /* tshark's words */
            err_set(err, 422, "The file \"%s\" doesn't exist.", display);
        else
            err_set(err, 500, "cannot open %s: %s", display, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) == -1 || S_ISDIR(st.st_mode)) {
        err_set(err, 422, "%s is not a capture file", display);
        close(fd);
        return -1;
    }
    if (S_ISREG(st.st_mode) && pread(fd, m, 4, 0) == 4 &&
        (memcmp(m, "\xa1\xb2\xc3\xd4", 4) == 0 || memcmp(m, "\xd4\xc3\xb2\xa1", 4) == 0 ||
         memcmp(m, "\xa1\xb2\x3c\x4d", 4) == 0 || memcmp(m, "\x4d\x3c\xb2\xa1", 4) == 0 ||
         memcmp(m, "\x0a\x0d\x0d\x0a", 4) == 0 || memcmp(m, "\x1f\x8b", 2) == 0))
        *warmable = 1;
    return fd;
}

/* ts->timeout_s in ms; 0: none. */
static int64_t timeout_ms(const struct tshark *ts) {
    return ts->timeout_s > 0 ? (int64_t)ts->timeout_s * 1000 : 0;
}

/*
 * The deadline of r's run: the job's (the request's), else ts->timeout_s
 * from the end of a growing capture that is complete, or from the run's
 * start. 0: none.
 */
static int64_t run_deadline(const struct run *r) {
    int64_t from = r->started_ms, end;

    if (r->job->deadline_ms != 0)
        return r->job->deadline_ms;
    if (r->job->grow != NULL && (end = growfile_end_ms(r->job->grow)) != 0)
        from = end;
    return clock_deadline(from, timeout_ms(r->ts));
}

/* Put a warm tshark (taken into r->ch) to work on r->in. 0 or -1 with err. */
static int start_warm(struct run *r, struct err *err) {
    struct err cerr = ERR_INIT;
    enum grow_state st = GROW_DONE;
    uint64_t avail;
    int fed;

    if (r->job->grow != NULL)
        st = growfile_state(r->job->grow, &avail);
    if (st == GROW_FAILED)
        return err_set(err, 499, "upload ended early");
    r->ch.cancel_fd = r->job->cancel_fd;
    if (st == GROW_WRITING) {
        /* no clock while the upload arrives; its end starts it (child_feed_growing) */
        fed = child_feed_growing(&r->ch, r->in, r->job->grow, timeout_ms(r->ts), &cerr);
    } else {
        /* its clock is the request's, not the one of when it was started */
        r->ch.deadline_ms = r->deadline_ms = run_deadline(r);
        fed = child_feed_from(&r->ch, r->in, &cerr);
    }
    if (fed == -1)
        return err_set(err, 500, "cannot run tshark: %s", cerr.msg);
    r->warm = 1;
    r->res->warm = 1;
    return 0;
}

/* Start a cold tshark on r->in (all of it: a growing upload is waited for). */
static int start_cold(struct run *r, struct err *err) {
    const struct tshark *ts = r->ts;
    struct child_spec spec = CHILD_SPEC_INIT;
    struct tshark_argv argv;
    struct profile_paths pp;
    struct env env;
    struct err cerr = ERR_INIT;

    /* a cold tshark reads a file: all of it must be there */
    if (r->job->grow != NULL && growfile_wait_end(r->job->grow) != GROW_DONE)
        return err_set(err, 499, "upload ended early");
    r->started_ms = mono_now_ms();
    r->deadline_ms = run_deadline(r);
    if (clock_passed(r->deadline_ms, r->started_ms))
        return err_set(err, 504,
                       "tshark took longer than %d s, the time limit of the "
                       "analysis (--timeout)",
                       ts->timeout_s);
    /* cold: the file is tshark's stdin */
    tshark_build_argv(&argv, ts, "-", r->job->filter, r->job->field, r->job->split);
    if (r->filtered)
        pp.cfg[0] = pp.data[0] = '\0';
    else
        profile_paths(ts, &pp);
    if (build_env(&env, ts, pp.cfg, pp.data) == -1)
        return err_set(err, 500, "cannot run tshark: environment too long");
    spec.argv = argv.v;
    spec.envp = env.vec;
    spec.stdin_fd = r->in;
    spec.keep_fd = pp.cfg[0] != '\0' ? ts->profile_fd : -1;
    spec.cancel_fd = r->job->cancel_fd;
    spec.deadline_ms = r->deadline_ms;
    set_limits(ts, &spec, 0);
    if (child_start(&r->ch, &spec, &cerr) == -1) {
        /* child's message names our binary's path: keep only its reason */
        const char *why = strstr(cerr.msg, "': ");
        return err_set(err, 500, "cannot run tshark%s", why != NULL ? why + 1 : "");
    }
    return 0;
}

/* Feed tshark's stdout to the parser until EOF, a stop or a failure. */
static void read_output(struct run *r) {
    ssize_t n;

    while ((n = child_read(&r->ch, r->chunk, READ_CHUNK_BYTES, &r->cerr)) > 0) {
        r->out_bytes += (uint64_t)n;
        r->fed = tsjson_feed(&r->js, r->chunk, (size_t)n, on_packet, r, &r->ferr);
        if (r->fed != 0) {
            child_kill(&r->ch); /* its SIGPIPE or SIGTERM death is expected */
            return;
        }
    }
    if (n == 0)
        r->fin = tsjson_finish(&r->js, &r->ferr);
    else
        r->read_failed = 1;
}

/*
 * The read failed or the clock ran out (the deadline may also pass in
 * child_finish: EOF, yet no exit). 0 with the packets read, marked stopped,
 * or -1 with err.
 */
static int judge_cut_short(struct run *r, struct err *err) {
    /* RLIMIT_CPU, a backstop, came first: say so, not that the clock did */
    int cpu = r->status == 128 + SIGXCPU;
    unsigned long long cpu_s = (unsigned long long)tshark_cpu_limit_s(r->ts, r->warm);

    if (r->ch.cancelled)
        return err_set(err, 499, "client went away");
    if (!r->ch.timed_out && !cpu)
        return err_set(err, r->cerr.status, "%s", r->cerr.msg);
    if (r->res->packets == 0 && cpu)
        return err_set(err, 504,
                       "tshark used up its CPU time limit of %llu s (RLIMIT_CPU) before "
                       "the first packet",
                       cpu_s);
    if (r->res->packets == 0)
        return err_set(err, 504,
                       "tshark took longer than %d s, the time limit of the analysis "
                       "(--timeout)",
                       r->ts->timeout_s);
    r->res->stopped = 1;
    if (cpu)
        snprintf(r->res->reason, sizeof(r->res->reason),
                 "stopped by tshark's CPU time limit of %llu s (RLIMIT_CPU)", cpu_s);
    else
        snprintf(r->res->reason, sizeof(r->res->reason),
                 "stopped after %d s, the time limit of the analysis (--timeout)",
                 r->ts->timeout_s);
    return 0;
}

/*
 * tshark exited non-zero: after packets those frames are real (0, marked
 * damaged, with its reason); before any, -1 with 400 (the filter) or 422.
 */
static int judge_exit(struct run *r, struct err *err) {
    struct tshark_result *res = r->res;
    char named[ERR_MSG_MAX];

    /* reading stdin tshark says "the standard input" where it would name the file */
    snprintf(named, sizeof(named), "file \"%s\"", r->display);
    clean_reason(&r->ch, "standard input", named, 0, res->reason, sizeof(res->reason));
    if (res->packets > 0) {
        res->damaged = 1;
        if (res->reason[0] == '\0')
            snprintf(res->reason, sizeof(res->reason), "tshark exited %d", r->status);
        return 0;
    }
    /* a bad filter fails before the file is opened: tell the two apart */
    if (r->filtered &&
        tshark_check_filter_until(r->ts, r->job->filter, r->deadline_ms, err) == -1)
        return -1;
    if (res->reason[0] != '\0')
        err_set(err, 422, "%s", res->reason);
    else
        err_set(err, 422, "tshark could not read %s (exit %d)", r->display, r->status);
    res->reason[0] = '\0';
    return -1;
}

/* What a finished run means: 0 (a chart, maybe stopped or damaged) or -1. */
static int judge(struct run *r, struct err *err) {
    int status = r->status;

    if (r->warm && r->out_bytes == 0 && !r->read_failed && !r->ch.timed_out &&
        !r->ch.cancelled && status > 128 && status != 128 + SIGXCPU) {
        log_warnx("warm tshark died (signal %d) before any output; running it cold",
                  status - 128);
        r->retry = 1;
        return -1;
    }
    if (r->fed == 1) {
        r->res->stopped = 1;
        snprintf(r->res->reason, sizeof(r->res->reason), "stopped after %llu packets",
                 (unsigned long long)r->res->packets);
        return 0;
    }
    if (r->fed == -1) {
        if (!r->cb_failed)
            return err_set(err, r->ferr.status, "%s", r->ferr.msg);
        if (err != NULL)
            *err = r->ferr;
        return -1;
    }
    if (r->read_failed || r->ch.timed_out ||
        (status == 128 + SIGXCPU && r->ts->timeout_s > 0))
        return judge_cut_short(r, err);
    if (status > 128)
        return err_set(err, 502, "tshark crashed (signal %d)", status - 128);
    if (status < 0)
        return err_set(err, 500, "tshark vanished");
    if (status != 0)
        return judge_exit(r, err);
    if (r->fin == -1)
        return err_set(err, r->ferr.status, "%s", r->ferr.msg);
    return 0;
}

/*
 * One attempt of r's run, warm if r->allow_warm and the pool has one, else
 * cold. r->retry is set (and -1 returned, nothing reported) when a warm
 * tshark died by a signal we did not send before printing a byte: killed
 * while idle, most likely, and worth one cold run.
 */
static int run_once(struct run *r, struct err *err) {
    const struct tshark *ts = r->ts;
    const struct tshark_job *job = r->job;
    struct err none = ERR_INIT;
    int warmable, started, rc = -1;

    r->ch = (struct child)CHILD_INIT;
    tsjson_init(&r->js);
    r->in = -1;
    r->chunk = NULL;
    r->warm = r->fed = r->fin = r->read_failed = 0;
    r->limit_hit = r->cb_stop = r->cb_failed = r->retry = 0;
    r->out_bytes = 0;
    r->deadline_ms = 0;
    r->status = -1;
    r->ferr = r->cerr = none;
    memset(r->res, 0, sizeof(*r->res));
    r->res->exit_status = -1;
    if (job == NULL || job->capture == NULL || ts->path[0] == '\0') {
        err_set(err, 500, "cannot run tshark: nothing to run");
        goto out;
    }
    r->display = job->display_name != NULL ? job->display_name : "the capture";
    /* a filter or a field needs every dissector: no frame-only profile, no warm one */
    r->filtered = (job->filter != NULL && *job->filter != '\0') ||
                  (job->field != NULL && *job->field != '\0') ||
                  (job->split != NULL && *job->split != '\0');
    if (job->field != NULL && *job->field != '\0')
        r->js.extra = job->field;
    if (job->split != NULL && *job->split != '\0')
        r->js.split = job->split;
    if ((r->chunk = malloc(READ_CHUNK_BYTES)) == NULL) {
        err_set(err, 500, "out of memory");
        goto out;
    }
    r->started_ms = mono_now_ms();
    if (clock_passed(job->deadline_ms, r->started_ms)) {
        /* the request's time is up (earlier runs took it): start nothing */
        err_set(err, 504,
                "tshark took longer than %d s, the time limit of the analysis "
                "(--timeout)",
                ts->timeout_s);
        goto out;
    }
    if ((r->in = open_capture(job->capture, r->display, &warmable, err)) == -1)
        goto out;
    if (r->allow_warm && !r->filtered && warmable && ts->pool != NULL &&
        warm_pool_take(ts->pool, &r->ch) == 0)
        started = start_warm(r, err);
    else
        started = start_cold(r, err);
    if (started == -1)
        goto out;
    read_output(r);
    r->status = r->res->exit_status = child_finish(&r->ch);
    log_debug(
        "tshark: %llu packets, exit %d, %lld ms wall, %lld ms cpu, %lld MB peak, %s",
        (unsigned long long)r->res->packets, r->status,
        (long long)(mono_now_ms() - r->started_ms), (long long)r->ch.cpu_ms,
        (long long)r->ch.maxrss_kb / 1024, r->warm ? "warm" : "cold");
    rc = judge(r, err);
out:
    child_finish(&r->ch); /* reaped already unless it failed to start or feed */
    if (r->in != -1)
        close(r->in);
    free(r->chunk);
    tsjson_release(&r->js);
    return rc;
}

int tshark_run(const struct tshark *ts, const struct tshark_job *job, tsjson_cb cb,
               void *ctx, struct tshark_result *res, struct err *err) {
    struct tshark_result scratch;
    struct run r;

    memset(&r, 0, sizeof(r));
    r.ts = ts;
    r.job = job;
    r.cb = cb;
    r.ctx = ctx;
    r.res = res != NULL ? res : &scratch;
    r.allow_warm = 1;
    if (run_once(&r, err) == 0)
        return 0;
    if (!r.retry)
        return -1;
    /* no packet reached cb: a second run starts from scratch */
    r.allow_warm = 0;
    return run_once(&r, err);
}
