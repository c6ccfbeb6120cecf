/*
 * options.h - command line and PCAPCHART_* environment into struct options,
 * from one table (after git's parse-options).
 *
 *   pcapchart [serve] [options]        serve the page and the API
 *   pcapchart chart FILE [options]     write the chart of FILE to stdout
 *   pcapchart healthcheck [options]    exit 0 when a server answers /healthz
 *   pcapchart --help | --version
 *
 * Each row of the table (options_table()) names one option: its flag, its
 * environment variable, the commands it is meant for, its type and bounds, its
 * default, the member of struct options it fills, and its help. Parsing, the
 * environment, --help and the README's options table (tests/options_table.py)
 * all come from it. To add an option: a member here, a row in options.c.
 */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "base/buf.h"
#include "base/err.h"
#include "chart/view.h"

enum command { CMD_SERVE = 0, CMD_CHART, CMD_HEALTHCHECK, CMD_HELP, CMD_VERSION };

#define OPTIONS_MAX_VIEW_ARGS 64 /* KEY=VALUE arguments of chart */

struct options {
    enum command cmd;
    int port;
    char bind[64];
    char tmpdir[MAX_PATH_BYTES];
    char tshark[MAX_PATH_BYTES];
    char www[MAX_PATH_BYTES];
    uint64_t max_upload_bytes;
    int timeout_s;
    int jobs;                   /* concurrent tshark runs; resolved to >= 1 */
    int queue;                  /* analyses that may wait for a slot; 0: none */
    uint64_t max_packets;       /* 0: none */
    uint64_t tshark_mem_bytes;  /* RLIMIT_AS of each tshark; 0: none */
    char tshark_user[64];       /* user tshark runs as; "": nobody when root */
    char store[MAX_PATH_BYTES]; /* capture store directory; "": <tmpdir>/store */
    uint64_t store_max_bytes;   /* 0: keep no capture */
    int store_ttl_s;            /* a capture expires this long after its last use */
    int warm;                   /* warm tshark kept ready (0..MAX_WARM); resolved: default
                                   min(DEFAULT_WARM, jobs), never above jobs */
    int verbose;

    uint64_t answer_budget_bytes; /* http: answers held in memory at once */

    /* chart subcommand */
    const char *file;                             /* borrowed from argv */
    const char *view_args[OPTIONS_MAX_VIEW_ARGS]; /* borrowed: KEY=VALUE after FILE,
                                                      the API's view parameters */
    int nview_args;
    enum view_format format; /* VIEW_SVG, VIEW_JSON or VIEW_CSV */
    int width, height;
    size_t max_points;
};

/* What a value looks like; every type but OPT_STRING and OPT_ENUM is an integer. */
enum opt_type {
    OPT_INT,     /* decimal in [min, max]; an int or size_t member */
    OPT_SECONDS, /* the same, a duration in seconds; an int member */
    OPT_SIZE, /* decimal with an optional k/M/G (1024) suffix, in [min, max]; uint64_t */
    OPT_STRING, /* not empty, shorter than the char[] member */
    OPT_ENUM,   /* one of the names parse() knows */
    OPT_FLAG,   /* no value on the command line; "0" turns it off; an int member */
};

/* The commands an option is meant for (shown by --help and the README). */
#define OPT_SERVE (1u << CMD_SERVE)
#define OPT_CHART (1u << CMD_CHART)
#define OPT_HEALTHCHECK (1u << CMD_HEALTHCHECK)

struct opt {
    const char *name; /* the flag without "--" */
    const char *env;  /* "PCAPCHART_<NAME>", or NULL: command line only */
    unsigned cmds;    /* OPT_SERVE | OPT_CHART | OPT_HEALTHCHECK */
    enum opt_type type;
    const char *metavar; /* "N", "BYTES", "svg|json|csv"; NULL for a flag */
    uint64_t min, max;   /* bounds of the integer types */
    uint64_t def;        /* default of the integer types */
    const char *def_str; /* default of OPT_STRING and OPT_ENUM; NULL: "" */
    const char *def_doc; /* the default as documented, when not the value; or NULL */
    size_t offset, size; /* the member of struct options */
    int (*parse)(const char *val, void *member); /* OPT_ENUM: 0 or -1 */
    const char *help;                            /* may hold `code` (README) */
};

/* The option table, *n rows. Static (borrowed for the life of the program). */
const struct opt *options_table(size_t *n);

/*
 * The usage text printed by --help, built from the table on the first call.
 * Static string; call it first from one thread (main does).
 */
const char *options_usage(void);

/*
 * Append the README's options table (markdown, one row per option) to out.
 * 0, or -1 when out is full.
 */
int options_markdown(struct buf *out);

/*
 * Fill o from defaults, then the environment (envp may be NULL for none),
 * then argv. 0, or -1 with err.msg saying which flag or value is wrong.
 */
int options_parse(struct options *o, int argc, char *const argv[], char *const envp[],
                  struct err *err);

#endif
