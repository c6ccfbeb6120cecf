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
#define DEFAULT_TIMEOUT_S 300                           /* wall clock per tshark run */
#define DEFAULT_JOBS 0                                  /* 0: number of online cores */
#define DEFAULT_MAX_PACKETS 0                           /* 0: no packet limit */

/* tshark child */
#define KILL_GRACE_MS 1000              /* SIGTERM, then SIGKILL after this */
#define MAX_STDERR_TAIL_BYTES 4096      /* last bytes of tshark's stderr kept */
#define MAX_ELEMENT_BYTES (1024 * 1024) /* one packet object of -T json output */
#define READ_CHUNK_BYTES (64 * 1024)    /* one read() from tshark's stdout */
#define TSHARK_CHECK_TIMEOUT_MS 30000   /* `tshark --version` / -G at start */
#define MAX_PATH_BYTES 4096
#define TSHARK_RLIMIT_NOFILE 256 /* RLIMIT_NOFILE of tshark */
#define TSHARK_RLIMIT_FSIZE_BYTES                                                        \
    (16 * 1024 * 1024) /* RLIMIT_FSIZE of tshark, which writes no files */
#define PROFILE_MIN_CAPTURE_BYTES                                                        \
    (4 * 1024 * 1024) /* CLI: frame-only profile from here */

/* chart model */
#define MAX_SERIES 8
#define DEFAULT_MAX_POINTS 10000 /* exact mode up to this many packets */
#define MAX_POINTS_LIMIT 1000000 /* server cap of the max_points parameter */
#define MAX_COLUMNS 2048         /* decimated mode: time columns per series */
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

/* HTTP */
#define HTTP_CONN_TIMEOUT_S 30
#define HTTP_MAX_CONNS 64
#define HTTP_CONN_MEMORY_BYTES (256 * 1024)
#define HTTP_POST_BUFFER_BYTES (64 * 1024)
#define MAX_FIELD_BYTES 4096 /* one non-file form field or query value */
#define MAX_FILENAME_BYTES 255
#define RETRY_AFTER_S 5

/* errors */
#define ERR_MSG_MAX 512

#endif
