/* options.c - see options.h */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/options.h"
#include "banned.h"

#define MAX_PORT 65535 /* TCP's */

#define USAGE_MAX_BYTES (16 * 1024)
#define HELP_COLUMN 23 /* where --help's text starts */
#define HELP_WIDTH 79  /* and the column it wraps before */

#define STR_(x) #x
#define STR(x) STR_(x)

/* the member of struct options a row fills */
#define AT(m)                                                                            \
    .offset = offsetof(struct options, m), .size = sizeof(((struct options *)0)->m)

#define SERVE OPT_SERVE
#define SERVE_CHART (OPT_SERVE | OPT_CHART)
#define SERVE_HC (OPT_SERVE | OPT_HEALTHCHECK)

/* The chart subcommand writes svg, json or csv (html is the server's page). */
static int parse_format(const char *val, void *member) {
    enum view_format f;

    if (view_format_parse(val, &f) == -1 || f == VIEW_HTML)
        return -1;
    *(enum view_format *)member = f;
    return 0;
}

/* The one list of options: --help and the README show them in this order. */
static const struct opt table[] = {
    {.name = "port",
     .env = "PCAPCHART_PORT",
     .cmds = SERVE_HC,
     .type = OPT_INT,
     .metavar = "N",
     .max = MAX_PORT,
     .def = DEFAULT_PORT,
     AT(port),
     .help = "TCP port"},
    {.name = "bind",
     .env = "PCAPCHART_BIND",
     .cmds = SERVE_HC,
     .type = OPT_STRING,
     .metavar = "ADDR",
     .def_str = DEFAULT_BIND,
     AT(bind),
     .help = "address to listen on (IPv4 or IPv6)"},
    {.name = "tmpdir",
     .env = "PCAPCHART_TMPDIR",
     .cmds = SERVE,
     .type = OPT_STRING,
     .metavar = "DIR",
     .def_str = DEFAULT_TMPDIR,
     .def_doc = "`$TMPDIR` or " DEFAULT_TMPDIR,
     AT(tmpdir),
     .help = "private temp files (0600 uploads, the frame-only profile)"},
    {.name = "tshark",
     .env = "PCAPCHART_TSHARK",
     .cmds = SERVE_CHART,
     .type = OPT_STRING,
     .metavar = "PATH",
     .def_str = DEFAULT_TSHARK,
     .def_doc = "`" DEFAULT_TSHARK "` in PATH",
     AT(tshark),
     .help = "the tshark binary; checked at start"},
    {.name = "www",
     .env = "PCAPCHART_WWW",
     .cmds = SERVE,
     .type = OPT_STRING,
     .metavar = "DIR",
     .def_str = PCAPCHART_WWW_DIR,
     .def_doc = "the built-in `www/`",
     AT(www),
     .help = "static files, loaded once at start"},
    {.name = "max-upload",
     .env = "PCAPCHART_MAX_UPLOAD",
     .cmds = SERVE,
     .type = OPT_SIZE,
     .metavar = "BYTES",
     .min = 1,
     .max = UINT64_MAX,
     .def = DEFAULT_MAX_UPLOAD_BYTES,
     AT(max_upload_bytes),
     .help = "largest upload (k/M/G suffixes)"},
    {.name = "timeout",
     .env = "PCAPCHART_TIMEOUT",
     .cmds = SERVE_CHART,
     .type = OPT_SECONDS,
     .metavar = "SECONDS",
     .min = 1,
     .max = MAX_TIMEOUT_S,
     .def = DEFAULT_TIMEOUT_S,
     AT(timeout_s),
     .help = "wall clock of a request's whole analysis (every series), from the upload's "
             "end"},
    {.name = "jobs",
     .env = "PCAPCHART_JOBS",
     .cmds = SERVE,
     .type = OPT_INT,
     .metavar = "N",
     .max = MAX_JOBS,
     .def = DEFAULT_JOBS,
     .def_doc = "cores",
     AT(jobs),
     .help = "tshark runs at once; more wait in the queue; 0 for the number of cores"},
    {.name = "queue",
     .env = "PCAPCHART_QUEUE",
     .cmds = SERVE,
     .type = OPT_INT,
     .metavar = "N",
     .max = MAX_QUEUE,
     .def = DEFAULT_QUEUE,
     AT(queue),
     .help = "analyses that may wait (up to " STR(QUEUE_WAIT_S) " s) for a slot; past it "
                                                                "503 + Retry-After"},
    {.name = "answer-budget",
     .env = "PCAPCHART_ANSWER_BUDGET",
     .cmds = SERVE,
     .type = OPT_SIZE,
     .metavar = "BYTES",
     .min = 1,
     .max = UINT64_MAX,
     .def = HTTP_ANSWER_BUDGET_BYTES,
     AT(answer_budget_bytes),
     .help = "answer bytes held in memory at once, for clients still reading them; past "
             "it 503 + Retry-After (small answers always go)"},
    {.name = "max-packets",
     .env = "PCAPCHART_MAX_PACKETS",
     .cmds = SERVE_CHART,
     .type = OPT_SIZE,
     .metavar = "N",
     .max = UINT64_MAX,
     .def = DEFAULT_MAX_PACKETS,
     AT(max_packets),
     .help = "stop reading a capture after N packets; 0 for no limit"},
    {.name = "tshark-mem",
     .env = "PCAPCHART_TSHARK_MEM",
     .cmds = SERVE_CHART,
     .type = OPT_SIZE,
     .metavar = "BYTES",
     .max = UINT64_MAX,
     .def = DEFAULT_TSHARK_MEM_BYTES,
     AT(tshark_mem_bytes),
     .help = "address-space limit (RLIMIT_AS) of each tshark; 0 for none"},
    {.name = "tshark-user",
     .env = "PCAPCHART_TSHARK_USER",
     .cmds = SERVE_CHART,
     .type = OPT_STRING,
     .metavar = "NAME",
     .def_doc = "a user per run, when started as root",
     AT(tshark_user),
     .help = "user every tshark and capinfos runs as (needs root; `root` keeps root). "
             "Default as root: each run its own unused uid, from 2113929216 up. Not "
             "root: they run as the server"},
    {.name = "warm",
     .env = "PCAPCHART_WARM",
     .cmds = SERVE,
     .type = OPT_INT,
     .metavar = "N",
     .max = MAX_WARM,
     .def = DEFAULT_WARM,
     .def_doc = "min(" STR(DEFAULT_WARM) ", jobs)",
     AT(warm),
     .help = "tshark processes started ahead (`-r -`, blocked on stdin) for unfiltered "
             "pcap/pcapng/gzip uploads; at most `--jobs`; 0 for none"},
    {.name = "store",
     .env = "PCAPCHART_STORE",
     .cmds = SERVE,
     .type = OPT_STRING,
     .metavar = "DIR",
     .def_doc = "`<tmpdir>/" DEFAULT_STORE_SUBDIR "`",
     AT(store),
     .help =
         "kept captures, one file `<sha256>` (0600) each, in a directory of their own "
         "(0700, ours, locked); emptied at start and stop"},
    {.name = "store-max",
     .env = "PCAPCHART_STORE_MAX",
     .cmds = SERVE,
     .type = OPT_SIZE,
     .metavar = "BYTES",
     .max = UINT64_MAX,
     .def = DEFAULT_STORE_MAX_BYTES,
     AT(store_max_bytes),
     .help = "bytes of captures kept for later views (least recently used go first); 0 "
             "keeps nothing"},
    {.name = "store-ttl",
     .env = "PCAPCHART_STORE_TTL",
     .cmds = SERVE,
     .type = OPT_SECONDS,
     .metavar = "SECONDS",
     .min = 1,
     .max = MAX_STORE_TTL_S,
     .def = DEFAULT_STORE_TTL_S,
     AT(store_ttl_s),
     .help = "a kept capture is deleted this long after its last use (upload or view)"},
    {.name = "verbose",
     .env = "PCAPCHART_VERBOSE",
     .cmds = SERVE_CHART,
     .type = OPT_FLAG,
     .max = 1,
     .def_doc = "off",
     AT(verbose),
     .help = "debug lines (tshark's CPU time and peak memory per run)"},
    {.name = "format",
     .cmds = OPT_CHART,
     .type = OPT_ENUM,
     .metavar = "svg|json|csv",
     .def_str = "svg",
     AT(format),
     .parse = parse_format,
     .help = "output format"},
    {.name = "width",
     .cmds = OPT_CHART,
     .type = OPT_INT,
     .metavar = "W",
     .min = MIN_WIDTH_PX,
     .max = MAX_WIDTH_PX,
     .def = DEFAULT_WIDTH_PX,
     AT(width),
     .help = "width of the SVG in pixels"},
    {.name = "height",
     .cmds = OPT_CHART,
     .type = OPT_INT,
     .metavar = "H",
     .min = MIN_HEIGHT_PX,
     .max = MAX_HEIGHT_PX,
     .def = DEFAULT_HEIGHT_PX,
     AT(height),
     .help = "height of the SVG in pixels"},
    {.name = "max-points",
     .cmds = OPT_CHART,
     .type = OPT_INT,
     .metavar = "N",
     .min = 1,
     .max = MAX_POINTS_LIMIT,
     .def = DEFAULT_MAX_POINTS,
     AT(max_points),
     .help = "exact points up to N packets; past it the series is decimated"},
};

#define TABLE_ROWS (sizeof(table) / sizeof(table[0]))

const struct opt *options_table(size_t *n) {
    *n = TABLE_ROWS;
    return table;
}

/* The row of the option name[0..len), or NULL. */
static const struct opt *find(const char *name, size_t len) {
    size_t i;

    for (i = 0; i < TABLE_ROWS; i++)
        if (strncmp(table[i].name, name, len) == 0 && table[i].name[len] == '\0')
            return &table[i];
    return NULL;
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
 * Store v (within the row's bounds) in an integer member: an int, or a
 * uint64_t or size_t. A bounded value has the same bytes in the signed and
 * the unsigned type of one width, so the member's size says enough.
 */
static void store_uint(void *member, size_t size, uint64_t v) {
    uint64_t wide = v;
    unsigned narrow = (unsigned)v;

    if (size == sizeof(wide))
        memcpy(member, &wide, sizeof(wide));
    else if (size == sizeof(narrow))
        memcpy(member, &narrow, sizeof(narrow));
}

/* Set op's member from val (NULL: a flag without value). 0, or -1 for a bad value. */
static int set_value(struct options *o, const struct opt *op, const char *val) {
    void *member = (char *)o + op->offset;
    uint64_t v;

    switch (op->type) {
    case OPT_FLAG:
        store_uint(member, op->size, val == NULL || strcmp(val, "0") != 0);
        return 0;
    case OPT_STRING:
        if (val[0] == '\0')
            return -1;
        return copy_str(member, op->size, val);
    case OPT_ENUM:
        return op->parse(val, member);
    default:
        if (parse_u64(val, op->type == OPT_SIZE, op->max, &v) == -1 || v < op->min)
            return -1;
        store_uint(member, op->size, v);
        return 0;
    }
}

/*
 * Apply one option with its value (NULL for a flag given without one).
 * Shared by the environment and argv, so both accept the same values.
 */
static int apply(struct options *o, const struct opt *op, const char *val,
                 struct err *err) {
    if (val == NULL && op->type != OPT_FLAG)
        return err_set(err, 2, "option --%s needs a value", op->name);
    if (set_value(o, op, val) == -1)
        return err_set(err, 2, "invalid value '%s' for --%s", val, op->name);
    return 0;
}

static void set_default(struct options *o, const struct opt *op) {
    void *member = (char *)o + op->offset;

    switch (op->type) {
    case OPT_STRING:
        copy_str(member, op->size, op->def_str != NULL ? op->def_str : "");
        break;
    case OPT_ENUM:
        op->parse(op->def_str, member);
        break;
    default:
        store_uint(member, op->size, op->def);
        break;
    }
}

static void set_defaults(struct options *o, char *const envp[]) {
    const char *tmp = NULL;
    char *const *e;
    size_t i;

    memset(o, 0, sizeof(*o));
    o->cmd = CMD_SERVE;
    for (i = 0; i < TABLE_ROWS; i++)
        set_default(o, &table[i]);
    /* the one default read from the environment: an absolute $TMPDIR */
    for (e = envp; e != NULL && *e != NULL; e++)
        if (strncmp(*e, "TMPDIR=/", 8) == 0)
            tmp = *e + 7;
    if (tmp == NULL || copy_str(o->tmpdir, sizeof(o->tmpdir), tmp) == -1)
        copy_str(o->tmpdir, sizeof(o->tmpdir), DEFAULT_TMPDIR);
}

/* Every PCAPCHART_* variable of the table; an empty one counts as unset. */
static int apply_env(struct options *o, char *const envp[], struct err *err) {
    const struct opt *op;
    char *const *e;
    size_t i, klen, mlen;

    for (i = 0; envp != NULL && i < TABLE_ROWS; i++) {
        op = &table[i];
        if (op->env == NULL)
            continue;
        klen = strlen(op->env);
        for (e = envp; *e != NULL; e++) {
            if (strncmp(*e, op->env, klen) != 0 || (*e)[klen] != '=' ||
                (*e)[klen + 1] == '\0')
                continue;
            if (apply(o, op, *e + klen + 1, err) == -1) {
                if (err != NULL) {
                    mlen = strlen(err->msg);
                    snprintf(err->msg + mlen, sizeof(err->msg) - mlen, " (from %s)",
                             op->env);
                }
                return -1;
            }
        }
    }
    return 0;
}

/* The "--..." argument argv[*i], and its value (argv[*i + 1] is taken when needed). */
static int parse_long(struct options *o, int argc, char *const argv[], int *i,
                      struct err *err) {
    const char *arg = argv[*i], *name = arg + 2, *val = NULL;
    const char *eq = strchr(name, '=');
    size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
    const struct opt *op = find(name, len);

    if (op == NULL && eq != NULL)
        return err_set(err, 2, "unknown option --%.*s", (int)len, name);
    if (op == NULL)
        return err_set(err, 2, "unknown option '%s'", arg);
    if (eq != NULL) {
        val = eq + 1;
    } else if (op->type != OPT_FLAG) {
        if (*i + 1 >= argc)
            return err_set(err, 2, "option --%s needs a value", op->name);
        val = argv[++*i];
    }
    return apply(o, op, val, err);
}

static int parse_args(struct options *o, int argc, char *const argv[], struct err *err) {
    const char *arg;
    int i = 1;

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
        if (strncmp(arg, "--", 2) == 0) {
            if (parse_long(o, argc, argv, &i, err) == -1)
                return -1;
        } else if (o->cmd == CMD_CHART && o->file == NULL && arg[0] != '\0') {
            o->file = arg;
        } else if (o->cmd == CMD_CHART && strchr(arg, '=') != NULL && arg[0] != '=') {
            /* after FILE: a view parameter of the API (kind=io, field=tcp.len) */
            if (o->nview_args == OPTIONS_MAX_VIEW_ARGS)
                return err_set(err, 2, "more than %d KEY=VALUE arguments",
                               OPTIONS_MAX_VIEW_ARGS);
            o->view_args[o->nview_args++] = arg;
        } else {
            return err_set(err, 2, "unexpected argument '%s'", arg);
        }
    }
    return 0;
}

/* The rules that tie options together, after the table pass. */
static int resolve(struct options *o, struct err *err) {
    long cores;

    if (o->jobs == 0) { /* DEFAULT_JOBS: one job per online core */
        cores = sysconf(_SC_NPROCESSORS_ONLN);
        o->jobs = cores > 0 ? (int)cores : 1;
    }
    if (o->warm > o->jobs) /* a warm tshark without a job slot would only idle */
        o->warm = o->jobs;
    if (o->cmd == CMD_CHART && o->file == NULL)
        return err_set(err, 2, "chart needs a capture file: pcapchart chart FILE");
    return 0;
}

int options_parse(struct options *o, int argc, char *const argv[], char *const envp[],
                  struct err *err) {
    set_defaults(o, envp);
    if (apply_env(o, envp, err) == -1 || parse_args(o, argc, argv, err) == -1)
        return -1;
    if (o->cmd == CMD_HELP || o->cmd == CMD_VERSION)
        return 0;
    return resolve(o, err);
}

/* ---- --help and the README, from the table ---- */

/* "1G" for 1073741824: the largest k/M/G suffix that divides v. */
static int put_size(struct buf *out, uint64_t v) {
    static const char suffix[] = "GMk";
    uint64_t unit = 1024ULL * 1024 * 1024;
    int s;

    for (s = 0; s < 3 && v != 0; s++, unit /= 1024)
        if (v % unit == 0)
            return buf_printf(out, "%llu%c", (unsigned long long)(v / unit), suffix[s]);
    return buf_printf(out, "%llu", (unsigned long long)v);
}

/* The default of op as documented. */
static int put_default(struct buf *out, const struct opt *op) {
    if (op->def_doc != NULL)
        return buf_puts(out, op->def_doc);
    switch (op->type) {
    case OPT_STRING:
    case OPT_ENUM:
        return buf_puts(out, op->def_str != NULL ? op->def_str : "");
    case OPT_SIZE:
        return put_size(out, op->def);
    default:
        return buf_printf(out, "%llu", (unsigned long long)op->def);
    }
}

static int put_commands(struct buf *out, unsigned cmds) {
    static const char *const names[] = {"serve", "chart", "healthcheck"};
    const char *sep = "";
    size_t c;

    for (c = 0; c < sizeof(names) / sizeof(names[0]); c++) {
        if ((cmds & (1u << c)) == 0)
            continue;
        if (buf_printf(out, "%s%s", sep, names[c]) == -1)
            return -1;
        sep = ", ";
    }
    return 0;
}

/* "--name METAVAR", or "--name" for a flag. */
static int put_flag(struct buf *out, const struct opt *op) {
    if (op->metavar == NULL)
        return buf_printf(out, "--%s", op->name);
    return buf_printf(out, "--%s %s", op->name, op->metavar);
}

/*
 * Append text without its backticks, from HELP_COLUMN on, wrapped before
 * HELP_WIDTH with the lines after the first indented to HELP_COLUMN.
 */
static int put_wrapped(struct buf *out, const char *text) {
    const char *w = text, *end;
    size_t col = HELP_COLUMN, len, ticks, i;
    int first = 1;

    for (;;) {
        while (*w == ' ')
            w++;
        if (*w == '\0')
            break;
        for (end = w, ticks = 0; *end != '\0' && *end != ' '; end++)
            ticks += *end == '`';
        len = (size_t)(end - w) - ticks;
        if (!first && col + 1 + len > HELP_WIDTH) {
            if (buf_printf(out, "\n%*s", HELP_COLUMN, "") == -1)
                return -1;
            col = HELP_COLUMN;
        } else if (!first) {
            if (buf_puts(out, " ") == -1)
                return -1;
            col++;
        }
        for (i = 0; w + i < end; i++)
            if (w[i] != '`' && buf_append(out, w + i, 1) == -1)
                return -1;
        col += len;
        first = 0;
        w = end;
    }
    return buf_puts(out, "\n");
}

/* One option of --help: flag, help, then variable, default and commands. */
static int put_usage_row(struct buf *out, struct buf *text, const struct opt *op) {
    size_t start = out->len;

    buf_reset(text);
    if (buf_puts(out, "  ") == -1 || put_flag(out, op) == -1)
        return -1;
    if (out->len - start + 1 >= HELP_COLUMN) { /* a long flag gets a line of its own */
        if (buf_puts(out, "\n") == -1)
            return -1;
        start = out->len;
    }
    if (buf_printf(out, "%*s", (int)(HELP_COLUMN - (out->len - start)), "") == -1 ||
        buf_printf(text, "%s (", op->help) == -1 ||
        (op->env != NULL && buf_printf(text, "%s, ", op->env) == -1) ||
        buf_puts(text, "default ") == -1 || put_default(text, op) == -1 ||
        buf_puts(text, "; ") == -1 || put_commands(text, op->cmds) == -1 ||
        buf_puts(text, ")") == -1)
        return -1;
    return put_wrapped(out, text->data);
}

static int build_usage(struct buf *out) {
    struct buf text = BUF_INIT(USAGE_MAX_BYTES);
    size_t i;
    int rc = -1;

    if (buf_puts(
            out,
            "usage: pcapchart [serve] [options]        serve the web page and the API\n"
            "       pcapchart chart FILE [KEY=VALUE...] [options]\n"
            "                                          write the chart of FILE to "
            "stdout;\n"
            "                                          KEY=VALUE: the API's view "
            "parameters\n"
            "                                          (kind=io field=tcp.len y=max "
            "...)\n"
            "       pcapchart healthcheck [options]    exit 0 when the server answers "
            "/healthz\n"
            "       pcapchart --help | --version\n"
            "\n"
            "options (also read from the environment variable shown; a flag wins;\n"
            "after each, the commands it is for):\n") == -1)
        goto fail;
    for (i = 0; i < TABLE_ROWS; i++)
        if (put_usage_row(out, &text, &table[i]) == -1)
            goto fail;
    rc = 0;
fail:
    buf_release(&text);
    return rc;
}

const char *options_usage(void) {
    static struct buf usage = BUF_INIT(USAGE_MAX_BYTES);

    if (usage.len == 0 && build_usage(&usage) == -1) {
        buf_release(&usage);
        return "usage: pcapchart [serve | chart FILE | healthcheck] [options]\n";
    }
    return usage.data;
}

/* s (NULL: "") with '|' escaped, as a markdown cell needs even inside `code`. */
static int put_cell(struct buf *out, const char *s) {
    for (; s != NULL && *s != '\0'; s++)
        if ((*s == '|' && buf_puts(out, "\\") == -1) || buf_append(out, s, 1) == -1)
            return -1;
    return 0;
}

int options_markdown(struct buf *out) {
    struct buf cell = BUF_INIT(USAGE_MAX_BYTES);
    const struct opt *op;
    size_t i;
    int rc = -1;

    if (buf_puts(out, "| flag | variable | commands | default | meaning |\n"
                      "|---|---|---|---|---|\n") == -1)
        goto fail;
    for (i = 0; i < TABLE_ROWS; i++) {
        op = &table[i];
        buf_reset(&cell);
        if (buf_puts(out, "| `") == -1 || put_flag(&cell, op) == -1 ||
            put_cell(out, cell.data) == -1 || buf_puts(out, "` | ") == -1 ||
            (op->env != NULL && buf_printf(out, "`%s`", op->env) == -1) ||
            buf_puts(out, " | ") == -1 || put_commands(out, op->cmds) == -1 ||
            buf_puts(out, " | ") == -1)
            goto fail;
        buf_reset(&cell);
        if (put_default(&cell, op) == -1 || put_cell(out, cell.data) == -1 ||
            buf_puts(out, " | ") == -1 || put_cell(out, op->help) == -1 ||
            buf_puts(out, " |\n") == -1)
            goto fail;
    }
    rc = 0;
fail:
    buf_release(&cell);
    return rc;
}
