/*
 * config.h - every limit and default of pcapchart, in one place.
 *
 * Units are in the names. The README's "Limits" table lists these; the test
 * test_config checks that the table and this header agree.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>
#include <stdint.h>

/* server defaults (each overridable by a flag and a PCAPCHART_* variable) */
#define DEFAULT_PORT 8080
#define DEFAULT_BIND "127.0.0.1"
#define DEFAULT_TMPDIR "/tmp"
#define DEFAULT_TSHARK "tshark"                         /* looked up in PATH at start */
#define DEFAULT_MAX_UPLOAD_BYTES (1024LL * 1024 * 1024) /* 1 GiB */
#define DEFAULT_TIMEOUT_S 300 /* wall clock of one request's whole analysis */
#define DEFAULT_JOBS 0        /* 0: number of online cores */
#define DEFAULT_QUEUE 16      /* analyses that may wait for a slot before 503 */
#define DEFAULT_MAX_PACKETS 0 /* 0: no packet limit */
#define DEFAULT_TSHARK_MEM_BYTES (8LL * 1024 * 1024 * 1024) /* RLIMIT_AS of tshark */
#define MAX_TIMEOUT_S 86400                                 /* largest --timeout: a day */
#define MAX_JOBS 1024                                       /* largest --jobs */
#define MAX_QUEUE 4096                                      /* largest --queue */

/* tshark child */
#define KILL_GRACE_MS 1000              /* SIGTERM, then SIGKILL after this */
#define MAX_STDERR_TAIL_BYTES 4096      /* last bytes of tshark's stderr kept */
#define MAX_ELEMENT_BYTES (1024 * 1024) /* one packet object of -T json output */
#define READ_CHUNK_BYTES (64 * 1024)    /* one read() from tshark's stdout */
#define FEED_CHUNK_BYTES (64 * 1024)    /* one write() into a child's stdin */
#define TSHARK_CHECK_TIMEOUT_MS 30000   /* `tshark --version` / -G at start */
#define MAX_PATH_BYTES 4096
#define TSHARK_RLIMIT_NOFILE 256 /* RLIMIT_NOFILE of tshark */
#define TSHARK_RLIMIT_FSIZE_BYTES                                                        \
    (16 * 1024 * 1024) /* RLIMIT_FSIZE of tshark, which writes no files */
#define PROFILE_MIN_CAPTURE_BYTES                                                        \
    (4 * 1024 * 1024) /* CLI: frame-only profile from here */

/* field= (any field tshark knows) */
#define MAX_FIELD_VALUES 4096    /* values kept per packet, more dropped */
#define MAX_FIELD_NAME_BYTES 128 /* a field name, NUL included */
#define FIELDS_ANSWER_MAX 50     /* /api/fields: names per answer */

/* split=FIELD&top=N: one series per value */
#define SPLIT_DEFAULT_TOP 5
#define SPLIT_MAX_TOP 8             /* and "other": CHART_MAX_SERIES in all */
#define SPLIT_MAX_VALUES 65536      /* distinct values counted, exactly */
#define SPLIT_VALUE_BYTES 256       /* of a value kept; longer ones are cut */
#define SPLIT_OTHER_COLOR "#666666" /* the "other" series */

/* sandbox of tshark runs (proc/sandbox.h) */
#define SANDBOX_TASKS_PER_RUN 16 /* RLIMIT_NPROC: tasks per run (bwrap 3, tshark 3) */
#define SANDBOX_SERVER_TASKS 256 /* ...plus, when tshark runs as we do, our threads */
#define SANDBOX_SPARE_RUNS 4     /* runs besides jobs and warm: checks, replacements */

/* a user per tshark run (root only): uids nobody uses, 2113929216 + ... */
#define SANDBOX_USERS_BASE 0x7e000000u
#define SANDBOX_USERS_SPAN 0x01000000u /* searched for a free window */
#define SANDBOX_USERS_PER_RUN 2        /* users per counted run: capinfos, checks */

/* warm tshark pool (warm.h): tshark started ahead, waiting on its stdin */
#define DEFAULT_WARM 2        /* --warm default: min(this, --jobs); 0 disables */
#define MAX_WARM 16           /* largest --warm */
#define WARM_START_CPU_S 10   /* RLIMIT_CPU allowance of a warm tshark for its start-up */
#define WARM_RETRY_MIN_MS 100 /* after a failed start or an idle death, wait this */
#define WARM_RETRY_MAX_MS 30000  /* doubling up to this, before starting another */
#define WARM_READY_WAIT_MS 10000 /* at start, wait this long at most for them to load */
#define WARM_READY_LOOK_MS 10    /* ... looking at /proc this often */

/* chart model */
#define MAX_SERIES 8
/* a chart: 8 split values and "other" */
#define CHART_MAX_SERIES (MAX_SERIES + 1)

#define DEFAULT_MAX_POINTS 10000 /* exact mode up to this many packets */
#define MAX_POINTS_LIMIT 1000000 /* server cap of the max_points parameter */
#define MAX_CHART_POINTS                                                                 \
    1000000 /* size: max_points x series of one request (24 B each); past it 400 */
#define EXPORT_POINT_MAX_BYTES                                                           \
    48 /* one exact point of JSON or CSV, its series name aside: the export budget */
#define MAX_COLUMNS 2048 /* decimated mode: time columns per series */
#define DEFAULT_WIDTH_PX 800
#define DEFAULT_HEIGHT_PX 400
#define MIN_WIDTH_PX 200
#define MIN_HEIGHT_PX 150
#define MAX_WIDTH_PX 4000
#define MAX_HEIGHT_PX 4000
#define MAX_WARNINGS 16
#define WARNING_BYTES 256

/* rendered output */
#define MAX_SVG_BYTES (4 * 1024 * 1024)
#define MAX_EXPORT_BYTES (128 * 1024 * 1024) /* JSON/CSV of 1M exact points fits */
#define MAX_PAGE_BYTES (8 * 1024 * 1024)
#define MAX_STATIC_BYTES (1024 * 1024) /* one file of www/ */
#define SVG_TOOLTIP_MAX_POINTS 2000    /* above this, no per-point <title> */
/*
 * The SVG renderer keeps a document under this size: when the marks would
 * pass it, per-point tooltips go first, then exact series are drawn as one
 * min-max stem per pixel column (bounded by the width, whatever the points).
 */
#define SVG_TARGET_BYTES (200 * 1024)

/* capture store (store.h): uploads kept by content for later views */
#define DEFAULT_STORE_SUBDIR "store" /* <tmpdir>/store unless --store says otherwise */
#define DEFAULT_STORE_MAX_BYTES (2LL * 1024 * 1024 * 1024) /* 2 GiB; 0 keeps nothing */
#define DEFAULT_STORE_TTL_S 3600 /* a capture expires this long after its last use */
#define MAX_STORE_TTL_S (7 * 86400)
#define STORE_MAX_ENTRIES 1024 /* captures kept at once */
#define STORE_MAX_GONE 4096    /* removed ids remembered, to answer 410 not 404 */
#define STORE_SWEEP_MIN_MS 100 /* expiry sweeps: ttl/4, within these bounds */
#define STORE_SWEEP_MAX_MS 30000
#define STORE_COPY_CHUNK_BYTES (64 * 1024) /* copy when a hard link is impossible */

/* disk: the store leaves room for uploads in flight */
#define STORE_DISK_SHARE_PERCENT 50 /* --store-max: at most this % of free */
#define STORE_MIN_FREE_PERCENT 10   /* evict below this % of the fs free, */
#define STORE_MIN_FREE_BYTES (256LL * 1024 * 1024) /* or below this if less */

/* views (view.h): chart parameters of a request */
#define MAX_INTERVAL_NS (86400LL * 1000000000) /* 1 day */
#define MAX_SMA 1000                           /* moving average, in intervals */
#define MAX_VIEW_TIME_S 9000000000LL           /* |start|, |end| (fits int64 ns) */
#define MAX_FORM_FIELDS 64                     /* view fields of one upload form */
#define EARLY_MIN_BYTES 4 /* file bytes (a format magic) before charting may start */
#define MAX_FORM_BYTES (64 * 1024)  /* their values together */
#define MAX_QUERY_BYTES (64 * 1024) /* a canonical view query */

/* capinfos (capinfo.h): file format and link types for the summary */
#define CAPINFOS_TIMEOUT_MS 30000
#define MAX_CAPINFOS_BYTES (64 * 1024) /* its stdout kept */

/* HTTP */
#define HTTP_CONN_TIMEOUT_S                                                              \
    30 /* libmicrohttpd's idle timeout once the head is in: no byte read or written */
#define HTTP_THREADS 4 /* libmicrohttpd's event threads (epoll), shared by every conn */
#define HTTP_MAX_CONNS                                                                   \
    4096 /* handed to libmicrohttpd; each costs a socket and a few kB, no thread */
#define HTTP_MAX_CONNS_PER_IP                                                            \
    64 /* of them from one address (1/64 of the whole); more from it are closed */
#define HTTP_MAX_WORKERS 256 /* analysis workers: --jobs + --queue + 2, at most this */
#define HTTP_NOFILE 16384    /* RLIMIT_NOFILE raised to this (at most the hard limit) */
#define HTTP_BODY_GRACE_S                                                                \
    20 /* a body may be slow this long after its head (mod_reqtimeout body=20)... */
#define HTTP_BODY_MIN_RATE_BPS                                                           \
    500 /* ...then it must average this many bytes/s (MinRate=500), else 408 */
#define HTTP_UPLOAD_BASE_S 60 /* the whole body within this plus... */
#define HTTP_UPLOAD_DEADLINE_BPS                                                         \
    (64 * 1024) /* ...its Content-Length at this rate (else 408) */
#define HTTP_ANSWER_BUDGET_BYTES                                                         \
    (256LL * 1024 * 1024) /* --answer-budget: answers held in memory, else 503 */
#define HTTP_ANSWER_SMALL_BYTES                                                          \
    (64 * 1024)           /* an answer this small is never refused by the budget */
#define HTTP_SWEEP_MS 250 /* uploads whose client hung up are looked for this often */
#define HTTP_STOP_UPLOAD_WAIT_MS                                                         \
    2000 /* stopping: uploads in flight get 503 at their next bytes, this long */
#define HTTP_CONN_MEMORY_BYTES (256 * 1024) /* request head + arguments */
#define HTTP_POST_BUFFER_BYTES (64 * 1024)
#define MAX_FIELD_BYTES 4096 /* one non-file form field or query value */
#define MAX_FILENAME_BYTES 255
#define MULTIPART_BOUNDARY_MAX_BYTES 70 /* RFC 2046; a longer one: MHD alone judges */
#define RETRY_AFTER_S 5
#define QUEUE_WAIT_S 60        /* longest wait for an analysis slot, then 503 */
#define SHUTDOWN_GRACE_MS 8000 /* SIGTERM: running analyses may finish this long */

/* request-head gate (gate.h): every connection's head, before libmicrohttpd sees it */
#define HTTP_HEAD_DEADLINE_S 10 /* the whole head within this of the accept, else 408 */
#define HTTP_URI_MAX_BYTES                                                               \
    (MAX_QUERY_BYTES + 1024) /* request line, else 414; a view URL of ours fits */
#define HTTP_HEAD_MAX_BYTES                                                              \
    (HTTP_URI_MAX_BYTES + 32 * 1024) /* request line and headers, else 431 */
#define HTTP_MAX_QUERY_ARGS                                                              \
    128 /* '&'-separated query arguments, else 414 (a view has about 40) */
#define HTTP_MAX_HEADER_FIELDS                                                           \
    100 /* header lines, else 431 (each costs libmicrohttpd a record) */
#define GATE_MAX_CONNS 1024 /* sockets waiting for their head in the gate */
#define GATE_MAX_CONNS_PER_IP                                                            \
    48 /* of them from one address (1/21); more from it are closed at once */
#define GATE_TICK_MS 20 /* a head that came in part is looked at again this often */
#define GATE_REPEEK_BYTES 4096 /* past this much of a head, at most one look... */
#define GATE_REPEEK_MS 100     /* ...this often (each look copies the head) */
#define GATE_LINGER_MS                                                                   \
    2000 /* after a refusal, drop what the client still sends, then close */

/* chunked bodies checked on their way to libmicrohttpd (relay.h) */
#define RELAY_MAX 32                   /* relays at once, past them 503 */
#define RELAY_BUF_BYTES (64 * 1024)    /* each way, per relay */
#define RELAY_LINE_MAX 4096            /* a chunk size or trailer line */
#define RELAY_STACK_BYTES (128 * 1024) /* its thread's stack */
#define RELAY_IDLE_MS                                                                    \
    ((int64_t)(MAX_TIMEOUT_S + 600) * 1000) /* a backstop: MHD's deadlines end it */

/* errors */
#define ERR_MSG_MAX 512

/* chart kinds io and hist (issue 4) */
#define MAX_IO_INTERVALS                                                                 \
    500000 /* io: intervals one series may span; past it 400 (use interval >= X) */
#define MAX_IO_CELLS                                                                     \
    1000000 /* io: intervals x series of one chart, its bins and answer's budget */
#define EXPORT_IO_CELL_MAX_BYTES 90 /* one interval of one series in JSON or CSV */
#define IO_MIN_INTERVAL_NS 1000     /* io: smallest interval, 1 µs */
#define IO_AUTO_BINS 100000 /* io, automatic interval: bins per series while reading */
#define IO_AUTO_MAX_INTERVALS 300 /* io, automatic interval: most intervals chosen */
#define HIST_EXACT_BIG_LENS                                                              \
    16384 /* hist: distinct lengths > 65535 kept exactly per series */

#endif
