/*
 * tshark.h - the tshark runner: builds the argv, runs tshark through child.c,
 * streams its stdout into tsjson.c, and maps its failures to a struct err.
 *
 * The command is always (tshark_build_argv)
 *   tshark -n -r - -T json -e frame.number -e frame.time_relative -e frame.len
 *          [-Y FILTER | -c MAX_PACKETS+1]
 * (one -e per field of fields.h's table; -c only without a filter, when
 * --max-packets is set) with the capture opened by us as its stdin (no path
 * of ours in its argv; tshark 4.0.17 prints the same from a file on stdin as from the
 * path, for every capture in tests/captures, only naming it "the standard input"), as
 * an unprivileged user when we are root (tshark_run_as), with TZ set (tshark otherwise
 * stat()s /etc/localtime per packet) and, when no filter is given and a frame-only
 * profile was prepared, with WIRESHARK_CONFIG_DIR and WIRESHARK_DATA_DIR pointing into it
 * (every protocol but frame disabled, no name tables: same times and lengths, several
 * times faster).
 *
 * Warm runs: tshark_pool_start() keeps tshark processes of the unfiltered
 * command started ahead (warm.h), blocked on a stdin pipe. An unfiltered run of a file
 * that starts with a pcap, pcapng or gzip magic takes one of them, if one is idle, and
 * feeds it the file: start-up (dissector registration, ~0.15-0.65 s of CPU and ~157 MB)
 * is then already done. For those formats tshark 4.0.17 prints the same
 * output from a pipe as from the file (checked for every capture of
 * tests/captures by test_warm); only its messages say "the standard
 * input" where they said `the file "X"`, and are mapped back. Anything else
 * (a filter, another format, an empty pool) runs cold, as before.
 */
#ifndef TSHARK_H
#define TSHARK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "base/err.h"
#include "proc/child.h"
#include "proc/growfile.h"
#include "tshark/fields.h"
#include "tshark/tsjson.h"

struct warm_pool;

struct tshark {
    char path[MAX_PATH_BYTES];        /* absolute path of the tshark binary */
    char version[128];                /* "4.0.17", from tshark --version */
    char profile_dir[MAX_PATH_BYTES]; /* frame-only profile (profile.h); "" if none */
    int profile_fd;   /* owned: O_PATH descriptor of profile_dir, -1 if none. tshark
                         gets WIRESHARK_CONFIG_DIR=/proc/self/fd/N (it inherits N),
                         so it needs no search right on the directories above */
    int data_ok;      /* profile_dir/data is ready: WIRESHARK_DATA_DIR for frame-only
                         runs, tshark's data with empty name tables (see .c) */
    uid_t uid;        /* (uid_t)-1: tshark runs as we do; else as this user (root only) */
    gid_t gid;        /* with uid: its primary group, and no supplementary ones */
    int user_per_run; /* 1: the sandbox gives every run a user of its own (uid and gid:
                         the first of its range, for runs without the sandbox) */
    char user[64];    /* name of that user, "" when none */
    char home[MAX_PATH_BYTES]; /* that user's home: tshark's HOME */
    int timeout_s;             /* wall clock per run */
    uint64_t max_packets;      /* 0: no limit */
    uint64_t rlimit_as_bytes;  /* 0: none */
    struct warm_pool *pool;    /* owned: warm tshark processes (tshark_pool_start); NULL:
                                  none. Copies of the struct share it: stop it once */
    struct sandbox *sandbox;   /* owned: what every run (cold, warm, query) runs in
                                  (tshark_sandbox); NULL: none. Shared like pool */
};

/*
 * Resolve prog (a path, or a name searched in PATH) to an absolute path, run
 * `tshark --version` and keep its version. -1 with err (500, "cannot run
 * tshark 'X': ...") when it is missing or does not answer like tshark.
 * Called once at start, before threads.
 */
int tshark_init(struct tshark *ts, const char *prog, int timeout_s, struct err *err);

/*
 * Choose the user tshark (and capinfos) run as. user NULL or "": when we run
 * as root, a user of its own for every run, from a range of uids no process
 * uses (SANDBOX_USERS_BASE; tshark_sandbox makes the range), so no run can
 * reach another's processes; not root: ourselves. A named user is used for
 * every run; naming one needs root: -1 with err (500) otherwise, or when the
 * user does not exist or cannot run tshark (`tshark --version` is run again as
 * that user). Dissectors then parse uploads without root, and tshark honours
 * WIRESHARK_DATA_DIR, which it ignores when started as root. Call after
 * tshark_init, before profile_fill (profile.h).
 */
int tshark_run_as(struct tshark *ts, const char *user, struct err *err);

/*
 * Make the sandbox of every later run (proc/sandbox.h) for ts's user, with
 * room for runs children at once; private_dir (borrowed, NULL: none) is
 * never shown to a run (the tmpdir); skip: SANDBOX_* layers left out (tests).
 * Missing layers are left out, not errors (sandbox_describe says which):
 * -1 with err (500) only when memory or libseccomp fail. Call after
 * tshark_run_as, before threads; tshark_release frees it.
 */
int tshark_sandbox(struct tshark *ts, const char *private_dir, int runs, int skip,
                   struct err *err);

/* The frame-only profile's data directory, in ts->profile_dir (profile.h). */
#define TSHARK_PROFILE_DATA "data"

/* Takes n bytes of a tshark's stdout (borrowed). 0, or -1 with errno. */
typedef int (*tshark_sink)(void *ctx, const char *data, size_t n);

/*
 * Run a short tshark command (argv borrowed, argv[0] ts->path: --version,
 * -G, a filter check) to the end, as a run's tshark would run (user,
 * environment without the profile, limits) with a TSHARK_CHECK_TIMEOUT_MS
 * deadline, stdin_fd (borrowed) or /dev/null (-1) as its stdin, and its
 * stdout given to sink (NULL: dropped). Returns its status (as
 * child_finish) or -1 with err; ch (the caller's, CHILD_INIT) keeps the
 * stderr tail either way. Always reaps.
 */
int tshark_query(const struct tshark *ts, const char *const *argv, int stdin_fd,
                 tshark_sink sink, void *sink_ctx, struct child *ch, struct err *err);

/* tshark_sink: keep the first bytes in the struct buf ctx, up to its max; drop the rest.
 */
int tshark_keep_head(void *ctx, const char *data, size_t n);

/*
 * Check a display filter without reading a capture. 0 when tshark accepts
 * it; -1 with err 400 and tshark's own message otherwise (504 when it does
 * not answer within TSHARK_CHECK_TIMEOUT_MS).
 */
int tshark_check_filter(const struct tshark *ts, const char *filter, struct err *err);

/*
 * tshark_check_filter, stopped at deadline_ms as well (0: none; the request's
 * deadline: 504 naming --timeout when that comes first).
 */
int tshark_check_filter_until(const struct tshark *ts, const char *filter,
                              int64_t deadline_ms, struct err *err);

/*
 * The RLIMIT_CPU (seconds) of a run's tshark, warm (1: its start-up
 * allowance included) or not; 0 when there is none (no timeout). A backstop
 * behind the wall-clock deadline; a run it stops says so.
 */
uint64_t tshark_cpu_limit_s(const struct tshark *ts, int warm);

/*
 * Start a pool of size warm tshark processes for unfiltered runs (warm.h),
 * with the command, environment and limits tshark_run() would use cold
 * (set timeout_s, max_packets, rlimit_as_bytes and the profile first: they
 * are fixed into the warm processes; RLIMIT_CPU gets WARM_START_CPU_S more
 * for the start-up). size 0 does nothing. 0, or -1 with err (500) and no
 * pool (runs stay correct, only cold). Call before threads use ts.
 */
int tshark_pool_start(struct tshark *ts, int size, struct err *err);

/*
 * Kill and reap the idle warm processes and free the pool; ts->pool = NULL.
 * Runs in flight keep the process they took and reap it themselves. Call
 * when no other thread uses ts any more (after http_stop). Safe without a
 * pool and twice.
 */
void tshark_pool_stop(struct tshark *ts);

/* How many warm tshark wait idle now (0 without a pool). Thread-safe. */
int tshark_warm_idle(const struct tshark *ts);

/*
 * tshark_pool_stop(), then close the profile descriptor (the profile's files
 * stay: profile_remove removes them, after this). Safe twice.
 */
void tshark_release(struct tshark *ts);

/* Slots of the longest command tshark_build_argv makes, its NULL included. */
#define TSHARK_ARGV_SLOTS (6 + 2 * FIELDS_NBUILTIN + 2 + 2 + 2 + 1)

/* A command for tshark: the vector and the bytes of its -c value. */
struct tshark_argv {
    const char *v[TSHARK_ARGV_SLOTS]; /* NULL-terminated; strings borrowed from ts,
                                         capture, filter, fields_builtin, count */
    char count[24];                   /* the -c value, when there is one */
};

/*
 * The command of a run into a:
 *   TS->PATH -n -r CAPTURE -T json -e NAME... [-e FIELD] [-e SPLIT] [-Y FILTER | -c N]
 * one `-e NAME` per field of fields_builtin[], in table order, then field
 * when it is not NULL or "" (checked against tshark's list by the caller); -Y when filter
 * is not NULL or ""; else -c ts->max_packets + 1 when a limit is set (one
 * more than the limit tells a stop from an exact fit). The runner passes
 * capture "-" (the file is tshark's stdin). Returns argc. ts, capture and
 * filter are borrowed and must outlive a->v.
 */
int tshark_build_argv(struct tshark_argv *a, const struct tshark *ts, const char *capture,
                      const char *filter, const char *field, const char *split);

/* What one run saw besides the packets. */
struct tshark_result {
    uint64_t packets; /* packets handed to the callback */
    int damaged;      /* tshark failed after printing packets: they are real */
    int stopped;      /* stopped early: packet limit or timeout with packets read */
    int exit_status;  /* tshark's status as a shell reports it */
    int warm;         /* a warm tshark (fed through stdin) did the run */
    char reason[ERR_MSG_MAX]; /* tshark's one-line reason when damaged/stopped, else "" */
};

struct tshark_job {
    const char *capture; /* borrowed: path of the capture file (never shown to clients) */
    const char *display_name; /* borrowed: how the file is named in messages
                                 ("upload.pcap"); replaces capture in tshark's text */
    const char *filter;       /* borrowed: display filter, NULL or "" for none */
    int cancel_fd;            /* borrowed: client socket to watch, -1 for none */
    struct growfile *grow;    /* borrowed: capture is still being written (an upload
                                 arriving); NULL: it is complete. A warm tshark is fed
                                 as it grows; a cold run waits for its end */
    int64_t deadline_ms;      /* mono_now_ms() time at which the run is stopped,
                                 whatever it is doing (being fed, dissecting, being
                                 read): the pipeline sets one per request and every
                                 run of it gets what is left. 0: ts->timeout_s from
                                 the end of grow (growfile_end_ms: the upload's end,
                                 however far the feed lags) or else from the run's
                                 start. Ignored while grow is still being written */
    const char *field;        /* borrowed: one more field (-e) whose every value each
                                 packet carries (struct pkt vals); NULL or "": none.
                                 Like a filter, it needs full dissection: the run
                                 is cold, without the frame-only profile */
    const char *split;        /* borrowed: one more field (-e) whose first value each
                                 packet carries (struct pkt split); NULL or "": none.
                                 Full dissection too */
};

/*
 * Run tshark on job->capture and call cb for every packet (warm when it can,
 * see the top; a warm process that turns out to have died before printing
 * anything is replaced by a cold run, once). 0 on success,
 * including a damaged capture whose frames were read (res->damaged, reason
 * set) and an early stop (res->stopped). -1 with err otherwise:
 *   422 tshark could not read the file (its own reason, one line, without the
 *       "Running as user" warning);
 *   400 the filter was rejected;
 *   502 tshark died by a signal, or wrote output that is not its JSON;
 *   504 the deadline (job->deadline_ms, or the timeout) passed, or tshark's
 *       CPU limit stopped it, before any packet (the message says which);
 *   499 the client went away (cancel_fd);
 *   500 it could not be started.
 * No child is left running or unreaped on any path. Thread-safe: runs on
 * one ts may go on in several threads at once.
 */
int tshark_run(const struct tshark *ts, const struct tshark_job *job, tsjson_cb cb,
               void *ctx, struct tshark_result *res, struct err *err);

#endif
