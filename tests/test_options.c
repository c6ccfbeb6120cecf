/* test_options.c - flags, PCAPCHART_* variables, defaults and bad values. */
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

    /* default "": nobody when root, as tshark_run_as decides */
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
    CHECK(o.format == FORMAT_JSON);
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

static void test_help_version(void) {
    char *h[] = {"pcapchart", "chart", "--help", NULL};
    char *v[] = {"pcapchart", "--version", NULL};
    char *envp[] = {NULL};
    struct options o;

    CHECK(parse(&o, h, envp, NULL) == 0 && o.cmd == CMD_HELP);
    CHECK(parse(&o, v, envp, NULL) == 0 && o.cmd == CMD_VERSION);
    CHECK(strstr(options_usage(), "--max-upload") != NULL);
}

int main(void) {
    test_defaults();
    test_env_and_flags();
    test_store();
    test_chart();
    test_bad();
    test_help_version();
    return CHECK_DONE();
}
