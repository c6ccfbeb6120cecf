/* options.c - see options.h */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/options.h"
#include "banned.h"

static const char usage[] =
    "usage: pcapchart [serve] [options]        serve the web page and the API\n"
    "       pcapchart chart FILE [options]     write the chart of FILE to stdout\n"
    "       pcapchart healthcheck [options]    exit 0 when the server answers /healthz\n"
    "\n"
    "server options (each also read from the environment variable shown):\n"
    "  --port N             TCP port (PCAPCHART_PORT, default 8080)\n"
    "  --bind ADDR          address to listen on (PCAPCHART_BIND, default 127.0.0.1)\n"
    "  --tmpdir DIR         private temp files (PCAPCHART_TMPDIR, default $TMPDIR or "
    "/tmp)\n"
    "  --tshark PATH        tshark binary (PCAPCHART_TSHARK, default tshark in PATH)\n"
    "  --www DIR            static files (PCAPCHART_WWW, default the built-in www/)\n"
    "  --max-upload BYTES   largest upload, suffix k/M/G allowed (PCAPCHART_MAX_UPLOAD,\n"
    "                       default 1G)\n"
    "  --timeout SECONDS    wall clock per tshark run (PCAPCHART_TIMEOUT, default 300)\n"
    "  --jobs N             tshark runs at once (PCAPCHART_JOBS, default: cores)\n"
    "  --queue N            analyses waiting for a slot before 503 (PCAPCHART_QUEUE,\n"
    "                       default 16)\n"
    "  --max-packets N      stop reading a capture after N packets, 0 for no limit\n"
    "                       (PCAPCHART_MAX_PACKETS, default 0)\n"
    "  --tshark-mem BYTES   address-space limit of each tshark, 0 for none\n"
    "                       (PCAPCHART_TSHARK_MEM, default 8G)\n"
    "  --tshark-user NAME   user tshark and capinfos run as; needs root\n"
    "                       (PCAPCHART_TSHARK_USER, default nobody when root)\n"
    "  --store DIR          directory of the kept captures, apart from the temp files\n"
    "                       (PCAPCHART_STORE, default <tmpdir>/store)\n"
    "  --store-max BYTES    bytes of captures kept for later views, suffix k/M/G, 0 to\n"
    "                       keep none (PCAPCHART_STORE_MAX, default 2G)\n"
    "  --store-ttl SECONDS  a kept capture is deleted this long after its last use\n"
    "                       (PCAPCHART_STORE_TTL, default 3600)\n"
    "  --warm N             tshark processes started ahead for uploads, at most --jobs,\n"
    "                       0 for none (PCAPCHART_WARM, default min(2, jobs))\n"
    "  --verbose            log debug lines (PCAPCHART_VERBOSE=1)\n"
    "chart options:\n"
    "  --format svg|json|csv   output format (default svg)\n"
    "  --width W --height H    SVG size in pixels (default 800x400)\n"
    "  --max-points N          exact points up to N packets (default 10000)\n"
    "  --help, --version\n";

const char *options_usage(void) {
    return usage;
}

/* Parse an unsigned decimal with an optional k/M/G (1024-based) suffix. */
static int parse_u64(const char *s, int suffixes, uint64_t max, uint64_t *out) {
    unsigned long long v;
    uint64_t mult = 1;
    char *end;

    if (s[0] < '0' || s[0] > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s)
        return -1;
    if (suffixes && *end != '\0' && end[1] == '\0') {
        switch (*end) {
        case 'k':
        case 'K':
            mult = 1024;
            break;
        case 'm':
        case 'M':
            mult = 1024 * 1024;
            break;
        case 'g':
        case 'G':
            mult = 1024 * 1024 * 1024;
            break;
        default:
            return -1;
        }
        end++;
    }
    if (*end != '\0' || v > max / mult)
        return -1;
    *out = (uint64_t)v * mult;
    return 0;
}

static int copy_str(char *dst, size_t n, const char *s) {
    int len = snprintf(dst, n, "%s", s);

    return (len < 0 || (size_t)len >= n) ? -1 : 0;
}

/*
 * Apply one option (name without the leading "--") with its value (NULL for
 * a flag). Shared by the environment and argv so both accept the same values.
 */
static int apply(struct options *o, const char *name, const char *val, struct err *err) {
    uint64_t v;

#define NEED_VALUE()                                                                     \
    do {                                                                                 \
        if (val == NULL)                                                                 \
            return err_set(err, 2, "option --%s needs a value", name);                   \
    } while (0)
#define BAD_VALUE() err_set(err, 2, "invalid value '%s' for --%s", val, name)

    if (strcmp(name, "port") == 0) {
        NEED_VALUE();
        if (parse_u64(val, 0, 65535, &v) == -1)
            return BAD_VALUE();
        o->port = (int)v;
    } else if (strcmp(name, "bind") == 0) {
        NEED_VALUE();
        if (val[0] == '\0' || copy_str(o->bind, sizeof(o->bind), val) == -1)
            return BAD_VALUE();
    } else if (strcmp(name, "tmpdir") == 0) {
        NEED_VALUE();
        if (val[0] == '\0' || copy_str(o->tmpdir, sizeof(o->tmpdir), val) == -1)
            return BAD_VALUE();
    } else if (strcmp(name, "tshark") == 0) {
        NEED_VALUE();
        if (val[0] == '\0' || copy_str(o->tshark, sizeof(o->tshark), val) == -1)
            return BAD_VALUE();
    } else if (strcmp(name, "www") == 0) {
        NEED_VALUE();
        if (val[0] == '\0' || copy_str(o->www, sizeof(o->www), val) == -1)
            return BAD_VALUE();
    } else if (strcmp(name, "max-upload") == 0) {
        NEED_VALUE();
        if (parse_u64(val, 1, UINT64_MAX, &v) == -1 || v == 0)
            return BAD_VALUE();
        o->max_upload_bytes = v;
    } else if (strcmp(name, "timeout") == 0) {
        NEED_VALUE();
        if (parse_u64(val, 0, 86400, &v) == -1 || v == 0)
            return BAD_VALUE();
        o->timeout_s = (int)v;
    } else if (strcmp(name, "queue") == 0) {
        NEED_VALUE();
        if (parse_u64(val, 0, 4096, &v) == -1)
            return BAD_VALUE();
        o->queue = (int)v;
    } else if (strcmp(name, "jobs") == 0) {
        NEED_VALUE();
        if (parse_u64(val, 0, 1024, &v) == -1)
            return BAD_VALUE();
        o->jobs = (int)v;
    } else if (strcmp(name, "max-packets") == 0) {
        NEED_VALUE();
        if (parse_u64(val, 1, UINT64_MAX, &v) == -1)
            return BAD_VALUE();
        o->max_packets = v;
    } else if (strcmp(name, "tshark-mem") == 0) {
        NEED_VALUE();
        if (parse_u64(val, 1, UINT64_MAX, &v) == -1)
            return BAD_VALUE();
        o->tshark_mem_bytes = v;
    } else if (strcmp(name, "tshark-user") == 0) {
        NEED_VALUE();
        if (val[0] == '\0' || copy_str(o->tshark_user, sizeof(o->tshark_user), val) == -1)
            return BAD_VALUE();
    } else if (strcmp(name, "store") == 0) {
        NEED_VALUE();
        if (val[0] == '\0' || copy_str(o->store, sizeof(o->store), val) == -1)
            return BAD_VALUE();
    } else if (strcmp(name, "store-max") == 0) {
        NEED_VALUE();
        if (parse_u64(val, 1, UINT64_MAX, &v) == -1)
            return BAD_VALUE();
        o->store_max_bytes = v;
    } else if (strcmp(name, "store-ttl") == 0) {
        NEED_VALUE();
        if (parse_u64(val, 0, MAX_STORE_TTL_S, &v) == -1 || v == 0)
            return BAD_VALUE();
        o->store_ttl_s = (int)v;
    } else if (strcmp(name, "warm") == 0) {
        NEED_VALUE();
        if (parse_u64(val, 0, MAX_WARM, &v) == -1)
            return BAD_VALUE();
        o->warm = (int)v;
    } else if (strcmp(name, "verbose") == 0) {
        o->verbose = val == NULL || strcmp(val, "0") != 0;
    } else if (strcmp(name, "format") == 0) {
        NEED_VALUE();
        if (format_parse(val, &o->format) == -1)
            return BAD_VALUE();
    } else if (strcmp(name, "width") == 0) {
        NEED_VALUE();
        if (parse_u64(val, 0, MAX_WIDTH_PX, &v) == -1 || v < MIN_WIDTH_PX)
            return BAD_VALUE();
        o->width = (int)v;
    } else if (strcmp(name, "height") == 0) {
        NEED_VALUE();
        if (parse_u64(val, 0, MAX_HEIGHT_PX, &v) == -1 || v < MIN_HEIGHT_PX)
            return BAD_VALUE();
        o->height = (int)v;
    } else if (strcmp(name, "max-points") == 0) {
        NEED_VALUE();
        if (parse_u64(val, 0, MAX_POINTS_LIMIT, &v) == -1 || v == 0)
            return BAD_VALUE();
        o->max_points = (size_t)v;
    } else {
        return err_set(err, 2, "unknown option --%s", name);
    }
    return 0;
#undef NEED_VALUE
#undef BAD_VALUE
}

/* Options whose value is optional on the command line (flags). */
static int is_flag(const char *name) {
    return strcmp(name, "verbose") == 0;
}

static const char *const known_options[] = {
    "port",       "bind",      "tmpdir",      "tshark",      "www",        "max-upload",
    "timeout",    "jobs",      "queue",       "max-packets", "tshark-mem", "store",
    "store-max",  "store-ttl", "verbose",     "format",      "width",      "height",
    "max-points", "warm",      "tshark-user",
};

static int is_known(const char *name) {
    size_t i;

    for (i = 0; i < sizeof(known_options) / sizeof(known_options[0]); i++)
        if (strcmp(name, known_options[i]) == 0)
            return 1;
    return 0;
}

static const char *const env_options[] = {
    "port",      "bind",    "tmpdir", "tshark",      "www",         "max-upload",
    "timeout",   "jobs",    "queue",  "max-packets", "store",       "store-max",
    "store-ttl", "verbose", "warm",   "tshark-mem",  "tshark-user",
};

static int apply_env(struct options *o, char *const envp[], struct err *err) {
    char key[64];
    size_t i, j, klen;
    char *const *e;
    int n;

    if (envp == NULL)
        return 0;
    for (i = 0; i < sizeof(env_options) / sizeof(env_options[0]); i++) {
        n = snprintf(key, sizeof(key), "PCAPCHART_%s", env_options[i]);
        if (n < 0 || (size_t)n >= sizeof(key))
            return err_set(err, 2, "option name too long");
        for (j = 0; key[j] != '\0'; j++)
            key[j] = key[j] == '-'
                         ? '_'
                         : (char)(key[j] >= 'a' && key[j] <= 'z' ? key[j] - 'a' + 'A'
                                                                 : key[j]);
        klen = (size_t)n;
        for (e = envp; *e != NULL; e++) {
            if (strncmp(*e, key, klen) != 0 || (*e)[klen] != '=')
                continue;
            if ((*e)[klen + 1] == '\0')
                continue; /* PCAPCHART_X= means unset */
            if (apply(o, env_options[i], *e + klen + 1, err) == -1) {
                if (err != NULL) {
                    char msg[ERR_MSG_MAX];
                    n = snprintf(msg, sizeof(msg), "%s (from %s)", err->msg, key);
                    if (n > 0)
                        copy_str(err->msg, sizeof(err->msg), msg);
                }
                return -1;
            }
        }
    }
    return 0;
}

static void set_defaults(struct options *o, char *const envp[]) {
    const char *tmp = NULL;
    char *const *e;
    long cores;

    memset(o, 0, sizeof(*o));
    o->cmd = CMD_SERVE;
    o->port = DEFAULT_PORT;
    copy_str(o->bind, sizeof(o->bind), DEFAULT_BIND);
    for (e = envp; e != NULL && *e != NULL; e++)
        if (strncmp(*e, "TMPDIR=/", 8) == 0)
            tmp = *e + 7;
    if (tmp == NULL || copy_str(o->tmpdir, sizeof(o->tmpdir), tmp) == -1)
        copy_str(o->tmpdir, sizeof(o->tmpdir), DEFAULT_TMPDIR);
    copy_str(o->tshark, sizeof(o->tshark), DEFAULT_TSHARK);
    copy_str(o->www, sizeof(o->www), PCAPCHART_WWW_DIR);
    o->max_upload_bytes = DEFAULT_MAX_UPLOAD_BYTES;
    o->timeout_s = DEFAULT_TIMEOUT_S;
    o->jobs = DEFAULT_JOBS;
    o->queue = DEFAULT_QUEUE;
    o->max_packets = DEFAULT_MAX_PACKETS;
    o->tshark_mem_bytes = DEFAULT_TSHARK_MEM_BYTES;
    o->store_max_bytes = DEFAULT_STORE_MAX_BYTES;
    o->store_ttl_s = DEFAULT_STORE_TTL_S;
    o->warm = -1; /* resolved against jobs in options_parse */
    o->format = FORMAT_SVG;
    o->width = DEFAULT_WIDTH_PX;
    o->height = DEFAULT_HEIGHT_PX;
    o->max_points = DEFAULT_MAX_POINTS;
    cores = sysconf(_SC_NPROCESSORS_ONLN);
    o->jobs = cores > 0 ? (int)cores : 1;
}

int options_parse(struct options *o, int argc, char *const argv[], char *const envp[],
                  struct err *err) {
    const char *arg, *name, *val, *eq;
    char namebuf[64];
    int i = 1, jobs_env;

    set_defaults(o, envp);
    jobs_env = o->jobs;
    if (apply_env(o, envp, err) == -1)
        return -1;
    if (i < argc && strcmp(argv[i], "serve") == 0) {
        i++;
    } else if (i < argc && strcmp(argv[i], "chart") == 0) {
        o->cmd = CMD_CHART;
        i++;
    } else if (i < argc && strcmp(argv[i], "healthcheck") == 0) {
        o->cmd = CMD_HEALTHCHECK;
        i++;
    }
    for (; i < argc; i++) {
        arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            o->cmd = CMD_HELP;
            return 0;
        }
        if (strcmp(arg, "--version") == 0 || strcmp(arg, "-V") == 0) {
            o->cmd = CMD_VERSION;
            return 0;
        }
        if (strncmp(arg, "--", 2) != 0) {
            if (o->cmd == CMD_CHART && o->file == NULL && arg[0] != '\0') {
                o->file = arg;
                continue;
            }
            return err_set(err, 2, "unexpected argument '%s'", arg);
        }
        name = arg + 2;
        val = NULL;
        if ((eq = strchr(name, '=')) != NULL) {
            if ((size_t)(eq - name) >= sizeof(namebuf))
                return err_set(err, 2, "unknown option '%s'", arg);
            memcpy(namebuf, name, (size_t)(eq - name));
            namebuf[eq - name] = '\0';
            name = namebuf;
            val = eq + 1;
        } else if (!is_known(name)) {
            return err_set(err, 2, "unknown option '%s'", arg);
        } else if (!is_flag(name)) {
            if (i + 1 >= argc)
                return err_set(err, 2, "option --%s needs a value", name);
            val = argv[++i];
        }
        if (apply(o, name, val, err) == -1)
            return -1;
    }
    if (o->jobs == 0)
        o->jobs = jobs_env;
    if (o->warm < 0)
        o->warm = DEFAULT_WARM;
    if (o->warm > o->jobs) /* a warm tshark without a job slot would only idle */
        o->warm = o->jobs;
    if (o->cmd == CMD_CHART && o->file == NULL)
        return err_set(err, 2, "chart needs a capture file: pcapchart chart FILE");
    return 0;
}
