/*
 * test_options.c - flags, PCAPCHART_* variables, defaults and bad values.
 *
 * `test_options --markdown` prints the README's options table instead
 * (tests/options_table.py compares it with README.md).
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "conf/options.h"
#include "check.h"
#include "banned.h"

static int parse(struct options *o, char *const *argv, char *const *envp,
                 struct err *err) {
    int argc = 0;

    while (argv[argc] != NULL)
        argc++;
    return options_parse(o, argc, argv, envp, err);
}

static void test_defaults(void) {
    char *argv[] = {"pcapchart", NULL};
    char *envp[] = {NULL};
    struct err err = ERR_INIT;
    struct options o;

    CHECK(parse(&o, argv, envp, &err) == 0);
    CHECK(o.cmd == CMD_SERVE);
    CHECK(o.port == DEFAULT_PORT);
    CHECK(strcmp(o.bind, "127.0.0.1") == 0);
    CHECK(strcmp(o.tmpdir, DEFAULT_TMPDIR) == 0);
    CHECK(o.max_upload_bytes == DEFAULT_MAX_UPLOAD_BYTES);
    CHECK(o.timeout_s == DEFAULT_TIMEOUT_S);
    CHECK(o.jobs >= 1);
    CHECK(o.max_points == DEFAULT_MAX_POINTS);
    CHECK(o.store[0] == '\0');
    CHECK(o.store_max_bytes == DEFAULT_STORE_MAX_BYTES);
    CHECK(o.store_ttl_s == DEFAULT_STORE_TTL_S);
}

static void test_store(void) {
    char *argv[] = {"pcapchart", "--store", "/srv/keep", "--store-max=0", NULL};
    char *envp[] = {"PCAPCHART_STORE_TTL=60", "PCAPCHART_STORE_MAX=5M", NULL};
    char *a1[] = {"pcapchart", "--store-ttl", "0", NULL};
    char *a2[] = {"pcapchart", "--store", "", NULL};
    char *a3[] = {"pcapchart", "--store-max", "-1", NULL};
    char *a4[] = {"pcapchart", "--store-ttl", "99999999", NULL};
    char *none[] = {NULL};
    struct err err = ERR_INIT;
    struct options o;

    CHECK(parse(&o, argv, envp, &err) == 0);
    CHECK(strcmp(o.store, "/srv/keep") == 0);
    CHECK(o.store_max_bytes == 0); /* the flag wins over the variable */
    CHECK(o.store_ttl_s == 60);
    CHECK(parse(&o, a1, none, &err) == -1 && strstr(err.msg, "--store-ttl") != NULL);
    CHECK(parse(&o, a2, none, &err) == -1 && strstr(err.msg, "--store") != NULL);
    CHECK(parse(&o, a3, none, &err) == -1 && strstr(err.msg, "--store-max") != NULL);
    CHECK(parse(&o, a4, none, &err) == -1);
    CHECK(strstr(options_usage(), "--store-ttl") != NULL);
}

static void test_env_and_flags(void) {
    char *argv[] = {"pcapchart", "--port", "9000", "--max-upload=10M", "--verbose", NULL};
    char *envp[] = {"PCAPCHART_PORT=7000",
                    "PCAPCHART_BIND=0.0.0.0",
                    "PCAPCHART_JOBS=3",
                    "PCAPCHART_TIMEOUT=12",
                    "TMPDIR=/var/tmp",
                    "PCAPCHART_MAX_PACKETS=",
                    "PCAPCHART_TSHARK_MEM=2G",
                    "PCAPCHART_TSHARK_USER=daemon",
                    NULL};
    char *user[] = {"pcapchart", "--tshark-user", "root", NULL};
    char *plain[] = {"pcapchart", NULL};
    char *noenv[] = {NULL};
    struct err err = ERR_INIT;
    struct options o;

    /* default "": a user per run when root, as tshark_run_as decides */
    CHECK(parse(&o, plain, noenv, &err) == 0 && o.tshark_user[0] == '\0');
    CHECK(parse(&o, user, noenv, &err) == 0 && strcmp(o.tshark_user, "root") == 0);
    CHECK(parse(&o, argv, envp, &err) == 0);
    CHECK(o.tshark_mem_bytes == 2ULL * 1024 * 1024 * 1024);
    CHECK(strcmp(o.tshark_user, "daemon") == 0);
    CHECK(o.port == 9000); /* flag wins over the variable */
    CHECK(strcmp(o.bind, "0.0.0.0") == 0);
    CHECK(o.jobs == 3);
    CHECK(o.timeout_s == 12);
    CHECK(o.max_upload_bytes == 10 * 1024 * 1024);
    CHECK(o.verbose == 1);
    CHECK(strcmp(o.tmpdir, "/var/tmp") == 0);
    CHECK(o.max_packets == 0);
}

static void test_chart(void) {
    char *argv[] = {"pcapchart", "chart", "x.pcap",       "--format", "json",
                    "--width",   "1000",  "--max-points", "5",        NULL};
    char *envp[] = {NULL};
    struct err err = ERR_INIT;
    struct options o;

    CHECK(parse(&o, argv, envp, &err) == 0);
    CHECK(o.cmd == CMD_CHART);
    CHECK(o.file != NULL && strcmp(o.file, "x.pcap") == 0);
    CHECK(o.format == VIEW_JSON);
    CHECK(o.width == 1000 && o.height == DEFAULT_HEIGHT_PX);
    CHECK(o.max_points == 5);
}

static void test_bad(void) {
    char *envp[] = {NULL};
    char *bad_env[] = {"PCAPCHART_PORT=http", NULL};
    char *none[] = {"pcapchart", NULL};
    char *a1[] = {"pcapchart", "--port", "70000", NULL};
    char *a2[] = {"pcapchart", "--nope", NULL};
    char *a3[] = {"pcapchart", "--port", NULL};
    char *a4[] = {"pcapchart", "chart", NULL};
    char *a5[] = {"pcapchart", "--max-upload", "5X", NULL};
    char *a6[] = {"pcapchart", "chart", "f", "--format", "png", NULL};
    char *a7[] = {"pcapchart", "chart", "f", "--width", "10", NULL};
    char *a8[] = {"pcapchart", "--timeout", "-1", NULL};
    struct err err = ERR_INIT;
    struct options o;

    CHECK(parse(&o, a1, envp, &err) == -1 && strstr(err.msg, "--port") != NULL);
    CHECK(parse(&o, a2, envp, &err) == -1 && strstr(err.msg, "unknown") != NULL);
    CHECK(parse(&o, a3, envp, &err) == -1 && strstr(err.msg, "needs a value") != NULL);
    CHECK(parse(&o, a4, envp, &err) == -1 && strstr(err.msg, "FILE") != NULL);
    CHECK(parse(&o, a5, envp, &err) == -1);
    CHECK(parse(&o, a6, envp, &err) == -1);
    CHECK(parse(&o, a7, envp, &err) == -1);
    CHECK(parse(&o, a8, envp, &err) == -1);
    CHECK(parse(&o, none, bad_env, &err) == -1 &&
          strstr(err.msg, "PCAPCHART_PORT") != NULL);
}

/* The integer member of row op in o. */
static uint64_t get_uint(const struct options *o, const struct opt *op) {
    const char *member = (const char *)o + op->offset;
    uint64_t wide;
    unsigned narrow;

    if (op->size == sizeof(wide)) {
        memcpy(&wide, member, sizeof(wide));
        return wide;
    }
    memcpy(&narrow, member, sizeof(narrow));
    return narrow;
}

static int is_integer(const struct opt *op) {
    return op->type == OPT_INT || op->type == OPT_SECONDS || op->type == OPT_SIZE ||
           op->type == OPT_FLAG;
}

/* Parse "--name=val" (val NULL: "--name") after the chart command, with envp. */
static int parse_one(struct options *o, const char *name, const char *val,
                     char *const *envp, struct err *err) {
    char arg[256];
    char *argv[] = {"pcapchart", "chart", "f", arg, NULL};

    if (val != NULL)
        snprintf(arg, sizeof(arg), "--%s=%s", name, val);
    else
        snprintf(arg, sizeof(arg), "--%s", name);
    return parse(o, argv, envp, err);
}

/* Every row: a variable named after its flag, members that fit, help that says it. */
static void test_table_shape(void) {
    const struct opt *t;
    const char *usage = options_usage();
    char want[64], flag[64];
    size_t n, i, j;

    t = options_table(&n);
    CHECK(n >= 21);
    for (i = 0; i < n; i++) {
        CHECK(t[i].name != NULL && t[i].help != NULL && t[i].cmds != 0);
        CHECK(t[i].size > 0 && t[i].offset + t[i].size <= sizeof(struct options));
        if (is_integer(&t[i])) {
            CHECK(t[i].size == sizeof(int) || t[i].size == sizeof(uint64_t));
            CHECK(t[i].min <= t[i].def || t[i].def == 0);
            CHECK(t[i].def <= t[i].max);
            if (t[i].size == sizeof(int))
                CHECK(t[i].max <= INT_MAX);
        }
        CHECK((t[i].type == OPT_ENUM) == (t[i].parse != NULL));
        CHECK((t[i].type == OPT_FLAG) == (t[i].metavar == NULL));
        if (t[i].env != NULL) {
            snprintf(want, sizeof(want), "PCAPCHART_%s", t[i].name);
            for (j = 0; want[j] != '\0'; j++)
                want[j] = want[j] == '-' ? '_' : (char)toupper((unsigned char)want[j]);
            CHECK(strcmp(t[i].env, want) == 0);
            CHECK(strstr(usage, t[i].env) != NULL);
        }
        /* --help lists every option, with its value's name */
        snprintf(flag, sizeof(flag), "  --%s%s%s", t[i].name, t[i].metavar ? " " : "",
                 t[i].metavar ? t[i].metavar : "");
        CHECK(strstr(usage, flag) != NULL);
        for (j = 0; j < i; j++)
            CHECK(strcmp(t[i].name, t[j].name) != 0);
    }
}

/* Every integer row takes its bounds and refuses one past them, in both forms. */
static void test_bounds(void) {
    char *none[] = {NULL};
    const struct opt *t;
    struct err err = ERR_INIT;
    struct options o;
    char val[32];
    size_t n, i;

    t = options_table(&n);
    for (i = 0; i < n; i++) {
        if (!is_integer(&t[i]) || t[i].type == OPT_FLAG)
            continue;
        snprintf(val, sizeof(val), "%llu", (unsigned long long)t[i].max);
        CHECK(parse_one(&o, t[i].name, val, none, &err) == 0);
        if (strcmp(t[i].name, "warm") != 0) /* warm is then held to jobs */
            CHECK(get_uint(&o, &t[i]) == t[i].max);
        snprintf(val, sizeof(val), "%llu", (unsigned long long)t[i].min);
        CHECK(parse_one(&o, t[i].name, val, none, &err) == 0);
        if (strcmp(t[i].name, "jobs") != 0) /* jobs 0 is then the number of cores */
            CHECK(get_uint(&o, &t[i]) == t[i].min);
        if (t[i].max < UINT64_MAX) {
            snprintf(val, sizeof(val), "%llu", (unsigned long long)t[i].max + 1);
            CHECK(parse_one(&o, t[i].name, val, none, &err) == -1);
            CHECK(strstr(err.msg, "invalid value") != NULL &&
                  strstr(err.msg, t[i].name) != NULL);
        }
        if (t[i].min > 0) {
            snprintf(val, sizeof(val), "%llu", (unsigned long long)t[i].min - 1);
            CHECK(parse_one(&o, t[i].name, val, none, &err) == -1);
        }
        CHECK(parse_one(&o, t[i].name, "", none, &err) == -1);
        CHECK(parse_one(&o, t[i].name, "-1", none, &err) == -1);
        CHECK(parse_one(&o, t[i].name, "+1", none, &err) == -1);
        CHECK(parse_one(&o, t[i].name, " 1", none, &err) == -1);
        CHECK(parse_one(&o, t[i].name, "1x", none, &err) == -1);
        CHECK(parse_one(&o, t[i].name, "0x10", none, &err) == -1);
    }
}

/* The bad values of each type, and what each type accepts. */
static void test_types(void) {
    char *none[] = {NULL};
    char *off[] = {"PCAPCHART_VERBOSE=0", NULL};
    char *on[] = {"PCAPCHART_VERBOSE=yes", NULL};
    char longval[80];
    struct err err = ERR_INIT;
    struct options o;

    /* OPT_INT and OPT_SECONDS: decimal only, no suffix */
    CHECK(parse_one(&o, "port", "1k", none, &err) == -1);
    CHECK(parse_one(&o, "timeout", "5s", none, &err) == -1);
    CHECK(parse_one(&o, "store-ttl", "1k", none, &err) == -1);
    CHECK(parse_one(&o, "port", "99999999999999999999", none, &err) == -1);
    CHECK(parse_one(&o, "port", "0", none, &err) == 0 && o.port == 0);
    /* OPT_SIZE: k/K/m/M/g/G, 1024-based, one suffix, no overflow */
    CHECK(parse_one(&o, "max-upload", "3k", none, &err) == 0 &&
          o.max_upload_bytes == 3 * 1024);
    CHECK(parse_one(&o, "max-upload", "3K", none, &err) == 0 &&
          o.max_upload_bytes == 3 * 1024);
    CHECK(parse_one(&o, "store-max", "7m", none, &err) == 0 &&
          o.store_max_bytes == 7 * 1024 * 1024);
    CHECK(parse_one(&o, "max-packets", "1M", none, &err) == 0 &&
          o.max_packets == 1024 * 1024);
    CHECK(parse_one(&o, "tshark-mem", "1g", none, &err) == 0 &&
          o.tshark_mem_bytes == 1024 * 1024 * 1024);
    CHECK(parse_one(&o, "max-upload", "0", none, &err) == -1);
    CHECK(parse_one(&o, "max-upload", "1T", none, &err) == -1);
    CHECK(parse_one(&o, "max-upload", "1kk", none, &err) == -1);
    CHECK(parse_one(&o, "max-upload", "k", none, &err) == -1);
    CHECK(parse_one(&o, "max-upload", "1 k", none, &err) == -1);
    CHECK(parse_one(&o, "max-upload", "17179869184G", none, &err) == -1);
    CHECK(parse_one(&o, "max-upload", "18446744073709551616", none, &err) == -1);
    CHECK(parse_one(&o, "store-max", "18446744073709551615", none, &err) == 0 &&
          o.store_max_bytes == UINT64_MAX);
    /* OPT_STRING: not empty, shorter than its member */
    memset(longval, 'a', sizeof(o.bind));
    longval[sizeof(o.bind)] = '\0';
    CHECK(parse_one(&o, "bind", longval, none, &err) == -1 &&
          strstr(err.msg, "--bind") != NULL);
    longval[sizeof(o.bind) - 1] = '\0';
    CHECK(parse_one(&o, "bind", longval, none, &err) == 0 &&
          strcmp(o.bind, longval) == 0);
    CHECK(parse_one(&o, "tshark-user", "", none, &err) == -1);
    CHECK(parse_one(&o, "tmpdir", "/x y", none, &err) == 0 &&
          strcmp(o.tmpdir, "/x y") == 0);
    /* OPT_ENUM */
    CHECK(parse_one(&o, "format", "csv", none, &err) == 0 && o.format == VIEW_CSV);
    CHECK(parse_one(&o, "format", "svg", none, &err) == 0 && o.format == VIEW_SVG);
    CHECK(parse_one(&o, "format", "", none, &err) == -1);
    CHECK(parse_one(&o, "format", "SVG", none, &err) == -1 &&
          strstr(err.msg, "invalid value 'SVG' for --format") != NULL);
    /* OPT_FLAG: no value, "=0" turns it off, anything else on */
    CHECK(parse_one(&o, "verbose", NULL, none, &err) == 0 && o.verbose == 1);
    CHECK(parse_one(&o, "verbose", "0", none, &err) == 0 && o.verbose == 0);
    CHECK(parse_one(&o, "verbose", "1", none, &err) == 0 && o.verbose == 1);
    CHECK(parse_one(&o, "verbose", "", none, &err) == 0 && o.verbose == 1);
    CHECK(parse_one(&o, "port", "1", off, &err) == 0 && o.verbose == 0);
    CHECK(parse_one(&o, "port", "1", on, &err) == 0 && o.verbose == 1);
    CHECK(parse_one(&o, "verbose", "0", on, &err) == 0 && o.verbose == 0);
}

/* Two valid values of row op, as text: a and b differ, and b is not the default. */
static void two_values(const struct opt *op, char *a, char *b, size_t n) {
    switch (op->type) {
    case OPT_STRING:
        snprintf(a, n, "/from-env");
        snprintf(b, n, "/from-flag");
        break;
    case OPT_ENUM:
        snprintf(a, n, "json");
        snprintf(b, n, "csv");
        break;
    case OPT_FLAG:
        snprintf(a, n, "0");
        snprintf(b, n, "1");
        break;
    default:
        snprintf(a, n, "%llu", (unsigned long long)op->min + 1);
        snprintf(b, n, "%llu", (unsigned long long)op->max); /* not a default */
        break;
    }
}

static int same_member(const struct options *x, const struct options *y,
                       const struct opt *op) {
    return memcmp((const char *)x + op->offset, (const char *)y + op->offset, op->size) ==
           0;
}

/* Parse "chart f" plus argv_tail (NULL-terminated, at most 2) with one variable. */
static int parse_env(struct options *o, const char *var, char *const *tail,
                     struct err *err) {
    char *argv[] = {"pcapchart", "chart", "f", NULL, NULL, NULL};
    char *envp[] = {(char *)var, NULL};
    size_t i;

    for (i = 0; tail != NULL && tail[i] != NULL && i < 2; i++)
        argv[3 + i] = tail[i];
    return parse(o, argv, var != NULL ? envp : envp + 1, err);
}

/*
 * Every row with a variable: the variable alone sets the member, a flag wins
 * over it (in both forms), an empty variable counts as unset, a bad one is
 * named in the error. A row without a variable ignores PCAPCHART_<NAME>.
 */
static void test_env_vs_flag(void) {
    char var[128], a[32], b[32], flag[64], flag_eq[96], upper[64];
    const struct opt *t;
    struct err err = ERR_INIT;
    struct options o, def, want;
    size_t n, i, j;

    CHECK(parse_env(&def, NULL, NULL, &err) == 0);
    t = options_table(&n);
    for (i = 0; i < n; i++) {
        two_values(&t[i], a, b, sizeof(a));
        snprintf(flag, sizeof(flag), "--%s", t[i].name);
        snprintf(flag_eq, sizeof(flag_eq), "--%s=%s", t[i].name, b);
        {
            char *space[] = {flag, t[i].type == OPT_FLAG ? NULL : b, NULL};
            char *eq[] = {flag_eq, NULL};

            CHECK(parse_env(&want, NULL, eq, &err) == 0);
            CHECK(!same_member(&want, &def, &t[i]) || strcmp(t[i].name, "warm") == 0);
            if (t[i].env == NULL) {
                snprintf(upper, sizeof(upper), "%s", t[i].name);
                for (j = 0; upper[j] != '\0'; j++)
                    upper[j] =
                        upper[j] == '-' ? '_' : (char)toupper((unsigned char)upper[j]);
                snprintf(var, sizeof(var), "PCAPCHART_%s=%s", upper, b);
                CHECK(parse_env(&o, var, NULL, &err) == 0 &&
                      same_member(&o, &def, &t[i]));
                continue;
            }
            snprintf(var, sizeof(var), "%s=%s", t[i].env, b);
            CHECK(parse_env(&o, var, NULL, &err) == 0 && same_member(&o, &want, &t[i]));
            snprintf(var, sizeof(var), "%s=%s", t[i].env, a);
            CHECK(parse_env(&o, var, space, &err) == 0 && same_member(&o, &want, &t[i]));
            CHECK(parse_env(&o, var, eq, &err) == 0 && same_member(&o, &want, &t[i]));
        }
        snprintf(var, sizeof(var), "%s=", t[i].env);
        CHECK(parse_env(&o, var, NULL, &err) == 0 && same_member(&o, &def, &t[i]));
        if (t[i].type == OPT_FLAG || t[i].type == OPT_STRING)
            continue;
        snprintf(var, sizeof(var), "%s=-1", t[i].env);
        CHECK(parse_env(&o, var, NULL, &err) == -1);
        CHECK(strstr(err.msg, "invalid value '-1'") != NULL &&
              strstr(err.msg, t[i].env) != NULL);
    }
}

/* Every form of argument the parser takes or refuses, and its message. */
static void test_forms(void) {
    char *none[] = {NULL};
    char *a1[] = {"pcapchart", "--port=", NULL};
    char *a2[] = {"pcapchart", "--bogus=1", NULL};
    char *a3[] = {"pcapchart", "--", NULL};
    char *a4[] = {"pcapchart", "-x", NULL};
    char *a5[] = {"pcapchart", "chart", "f", "g", NULL};
    char *a6[] = {"pcapchart", "--port", "1", "chart", "f", NULL};
    char *a7[] = {"pcapchart", "healthcheck", "--port", "9", "--bind", "::", NULL};
    char *a8[] = {"pcapchart", "serve", "--port", "--bind", NULL};
    char *a9[] = {"pcapchart", "--width", "300", "-h", NULL};
    char *a10[] = {"pcapchart", "chart", "", NULL};
    char *a11[] = {"pcapchart", "--port", "-V", NULL};
    char *a12[] = {"pcapchart", "--bogus", "--help", NULL};
    struct err err = ERR_INIT;
    struct options o;

    CHECK(parse(&o, a1, none, &err) == -1 &&
          strcmp(err.msg, "invalid value '' for --port") == 0);
    CHECK(parse(&o, a2, none, &err) == -1 &&
          strcmp(err.msg, "unknown option --bogus") == 0);
    CHECK(parse(&o, a3, none, &err) == -1 && strcmp(err.msg, "unknown option '--'") == 0);
    CHECK(parse(&o, a4, none, &err) == -1 &&
          strcmp(err.msg, "unexpected argument '-x'") == 0);
    CHECK(parse(&o, a5, none, &err) == -1 &&
          strcmp(err.msg, "unexpected argument 'g'") == 0);
    /* the command comes first or not at all */
    CHECK(parse(&o, a6, none, &err) == -1 &&
          strcmp(err.msg, "unexpected argument 'chart'") == 0);
    CHECK(parse(&o, a7, none, &err) == 0 && o.cmd == CMD_HEALTHCHECK && o.port == 9 &&
          strcmp(o.bind, "::") == 0);
    /* a value is the next argument, whatever it looks like */
    CHECK(parse(&o, a8, none, &err) == -1 &&
          strcmp(err.msg, "invalid value '--bind' for --port") == 0);
    CHECK(parse(&o, a11, none, &err) == -1 &&
          strcmp(err.msg, "invalid value '-V' for --port") == 0);
    /* any command takes any option (the table's commands are for --help) */
    CHECK(parse(&o, a9, none, &err) == 0 && o.cmd == CMD_HELP);
    CHECK(parse(&o, a10, none, &err) == -1 &&
          strcmp(err.msg, "unexpected argument ''") == 0);
    /* arguments are read in order: an error before --help wins */
    CHECK(parse(&o, a12, none, &err) == -1 &&
          strcmp(err.msg, "unknown option '--bogus'") == 0);
}

/* The rules after the table pass: jobs 0 is the cores, warm at most jobs. */
static void test_resolve(void) {
    char *none[] = {NULL};
    char *zero_env[] = {"PCAPCHART_JOBS=0", "PCAPCHART_WARM=9", NULL};
    char *a1[] = {"pcapchart", "--jobs", "1", NULL};
    char *a2[] = {"pcapchart", "--jobs", "1", "--warm", "5", NULL};
    char *a3[] = {"pcapchart", "--jobs", "8", "--warm", "0", NULL};
    char *a4[] = {"pcapchart", "--jobs", "8", NULL};
    char *a5[] = {"pcapchart", "--jobs", "8", "--warm", "16", NULL};
    char *plain[] = {"pcapchart", NULL};
    struct err err = ERR_INIT;
    struct options o, cores;

    CHECK(parse(&cores, plain, none, &err) == 0 && cores.jobs >= 1);
    CHECK(cores.warm == (cores.jobs < DEFAULT_WARM ? cores.jobs : DEFAULT_WARM));
    CHECK(parse(&o, a1, none, &err) == 0 && o.jobs == 1 && o.warm == 1);
    CHECK(parse(&o, a2, none, &err) == 0 && o.warm == 1);
    CHECK(parse(&o, a3, none, &err) == 0 && o.warm == 0);
    CHECK(parse(&o, a4, none, &err) == 0 && o.warm == DEFAULT_WARM);
    CHECK(parse(&o, a5, none, &err) == 0 && o.warm == 8);
    CHECK(parse(&o, plain, zero_env, &err) == 0 && o.jobs == cores.jobs);
    CHECK(o.warm == (cores.jobs < 9 ? cores.jobs : 9));
}

static void test_help_version(void) {
    char *h[] = {"pcapchart", "chart", "--help", NULL};
    char *v[] = {"pcapchart", "--version", NULL};
    char *envp[] = {NULL};
    struct options o;

    CHECK(parse(&o, h, envp, NULL) == 0 && o.cmd == CMD_HELP);
    CHECK(parse(&o, v, envp, NULL) == 0 && o.cmd == CMD_VERSION);
    CHECK(strstr(options_usage(), "--max-upload") != NULL);
}

/* The README's table: a header, then one row per option, '|' escaped. */
static void test_markdown(void) {
    struct buf md = BUF_INIT(64 * 1024);
    size_t n, lines = 0, i;

    options_table(&n);
    CHECK(options_markdown(&md) == 0);
    for (i = 0; i < md.len; i++)
        lines += md.data[i] == '\n';
    CHECK(lines == n + 2);
    CHECK(strstr(md.data, "| `--format svg\\|json\\|csv` |  | chart | svg |") != NULL);
    CHECK(strstr(md.data,
                 "| `--max-upload BYTES` | `PCAPCHART_MAX_UPLOAD` | serve | 1G |") !=
          NULL);
    buf_release(&md);
}

static int print_markdown(void) {
    struct buf md = BUF_INIT(64 * 1024);
    int rc = 1;

    if (options_markdown(&md) == 0 && fwrite(md.data, 1, md.len, stdout) == md.len)
        rc = 0;
    buf_release(&md);
    return rc;
}

int main(int argc, char *argv[]) {
    if (argc == 2 && strcmp(argv[1], "--markdown") == 0)
        return print_markdown();
    test_table_shape();
    test_bounds();
    test_types();
    test_env_vs_flag();
    test_forms();
    test_resolve();
    test_defaults();
    test_env_and_flags();
    test_store();
    test_chart();
    test_bad();
    test_help_version();
    test_markdown();
    return CHECK_DONE();
}
