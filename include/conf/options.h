/*
 * options.h - command line and PCAPCHART_* environment into struct options.
 *
 *   pcapchart [serve] [--port N] [--bind ADDR] [--tmpdir DIR] [--tshark PATH]
 *             [--www DIR] [--max-upload BYTES] [--timeout SECONDS] [--jobs N]
 *             [--max-packets N] [--store DIR] [--store-max BYTES]
 *             [--store-ttl SECONDS] [--warm N] [--tshark-mem BYTES]
 *             [--tshark-user NAME] [--verbose]
 *   pcapchart chart FILE [--format svg|json|csv] [--width W] [--height H]
 *             [--max-points N] [--tshark PATH] [--timeout SECONDS]
 *   pcapchart healthcheck [--port N] [--bind ADDR]
 *   pcapchart --help | --version
 *
 * Every server flag can also come from the environment: --max-upload from
 * PCAPCHART_MAX_UPLOAD, and so on (upper case, '-' as '_'). Flags win.
 */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <stdint.h>

#include "config.h"
#include "base/err.h"
#include "pipeline/pipeline.h"

enum command { CMD_SERVE = 0, CMD_CHART, CMD_HEALTHCHECK, CMD_HELP, CMD_VERSION };

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
    /* chart subcommand */
    const char *file; /* borrowed from argv */
    enum out_format format;
    int width, height;
    size_t max_points;
};

/* The usage text printed by --help. Static string. */
const char *options_usage(void);

/*
 * Fill o from defaults, then the environment (envp may be NULL for none),
 * then argv. 0, or -1 with err.msg saying which flag or value is wrong.
 */
int options_parse(struct options *o, int argc, char *const argv[], char *const envp[],
                  struct err *err);

#endif
