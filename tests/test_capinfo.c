/*
 * test_capinfo.c - capinfo_find and capinfo_read on real captures: the
 * format and link types read through stdin equal what `capinfos -t -E FILE`
 * prints for the file itself (parsed here on its own), for every dev
 * capture and for damaged ones; a file capinfos cannot read, a missing
 * file, a missing capinfos, and a client gone (the cancel fd) while a
 * capinfos that never answers runs.
 *
 * Captures come from CAPTURES_DIR (dev/, bad/); needs tshark in PATH with
 * capinfos beside it; exits 77 (skipped) without them.
 */
#define _XOPEN_SOURCE 700 /* nftw in testutil.h */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "check.h"
#include "testutil.h"
#include "tshark/capinfo.h"
#include "tshark/tshark.h"
#include "banned.h"

#define REPORT_MAX (1024 * 1024)

static char capinfos[4096];
static char tmpdir[64];

/* line's text after its first len bytes, without surrounding blanks, into dst */
static void trimmed(const char *line, size_t len, char *dst, size_t n) {
    const char *v = line + len, *end = line + strlen(line);

    while (*v == ' ' || *v == '\t')
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    snprintf(dst, n, "%.*s", (int)(end - v), v);
}

/* s appended to dst (n bytes), cut when full */
static void append(char *dst, size_t n, const char *s) {
    size_t len = strlen(dst), add = strlen(s);

    if (add > n - 1 - len)
        add = n - 1 - len;
    memcpy(dst + len, s, add);
    dst[len + add] = '\0';
}

/*
 * What `capinfos -t -E path` prints, read the plain way: the "File type:"
 * and "File encapsulation:" values, the latter replaced by the indented
 * "Encapsulation in use by packets" list joined with ", " when there is
 * one. 0, or -1 when capinfos could not be run.
 */
static int expected(const char *path, struct capinfo *ci) {
    const char *argv[] = {capinfos, "-t", "-E", path, NULL};
    struct buf out = BUF_INIT(REPORT_MAX);
    char *line, *next, item[256];
    int in_list = 0;

    memset(ci, 0, sizeof(*ci));
    if (run_cmd(argv, &out) < 0 || buf_append(&out, "", 1) == -1) {
        buf_release(&out);
        return -1;
    }
    for (line = out.data; line != NULL && *line != '\0'; line = next) {
        if ((next = strchr(line, '\n')) != NULL)
            *next++ = '\0';
        if (in_list && (line[0] == ' ' || line[0] == '\t')) {
            trimmed(line, 0, item, sizeof(item));
            append(ci->encap, sizeof(ci->encap), ci->encap[0] != '\0' ? ", " : "");
            append(ci->encap, sizeof(ci->encap), item);
            continue;
        }
        in_list = strncmp(line, "Encapsulation in use by packets", 31) == 0;
        if (in_list)
            ci->encap[0] = '\0';
        else if (strncmp(line, "File type:", 10) == 0)
            trimmed(line, 10, ci->format, sizeof(ci->format));
        else if (strncmp(line, "File encapsulation:", 19) == 0)
            trimmed(line, 19, ci->encap, sizeof(ci->encap));
    }
    buf_release(&out);
    return 0;
}

/* capinfo_read on dir/sub/name equals capinfos on the file; returns its rc. */
static int check_same(const char *dir, const char *sub, const char *name,
                      struct capinfo *ci) {
    char path[4096];
    struct capinfo want;
    struct err err = ERR_INIT;
    int rc;

    snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
    CHECK(expected(path, &want) == 0);
    rc = capinfo_read(capinfos, path, -1, (uid_t)-1, (gid_t)-1, NULL, ci, &err);
    if (strcmp(ci->format, want.format) != 0 || strcmp(ci->encap, want.encap) != 0) {
        fprintf(stderr, "%s: got '%s' / '%s', capinfos says '%s' / '%s'\n", name,
                ci->format, ci->encap, want.format, want.encap);
        CHECK(0);
    }
    if (rc == 0)
        CHECK(ci->format[0] != '\0');
    else
        CHECK(err.status == 422 && want.format[0] == '\0');
    return rc;
}

static void test_find(const char *tshark_path) {
    char dst[4096], want[4096];
    const char *slash = strrchr(tshark_path, '/');

    CHECK(slash != NULL);
    snprintf(want, sizeof(want), "%.*s/capinfos", (int)(slash - tshark_path),
             tshark_path);
    CHECK(capinfo_find(tshark_path, dst, sizeof(dst)) == 0 && strcmp(dst, want) == 0);
    /* no capinfos there, a bare name, no room */
    CHECK(capinfo_find("/nonexistent/bin/tshark", dst, sizeof(dst)) == -1 &&
          dst[0] == '\0');
    CHECK(capinfo_find("tshark", dst, sizeof(dst)) == -1);
    CHECK(capinfo_find(tshark_path, dst, 8) == -1 && dst[0] == '\0');
}

static void test_dev(const char *dir) {
    struct capinfo ci;
    size_t i;

    for (i = 0; i < N_DEV_CAPTURES; i++)
        CHECK(check_same(dir, "dev", dev_captures[i], &ci) == 0);
    /* the parser, pinned: a gzip format, one link type, a per-packet list */
    CHECK(check_same(dir, "dev", "vlan.cap.gz", &ci) == 0);
    CHECK(strcmp(ci.format, "Wireshark/tcpdump/... - pcap (gzip compressed)") == 0);
    CHECK(strcmp(ci.encap, "Ethernet") == 0);
    CHECK(check_same(dir, "dev", "pcapng-example.pcapng", &ci) == 0);
    CHECK(strcmp(ci.format, "Wireshark/... - pcapng") == 0);
    CHECK(strcmp(ci.encap, "Ethernet (453), Linux cooked-mode capture v1 (178)") == 0);
    CHECK(check_same(dir, "dev", "hari.pcap", &ci) == 0);
    CHECK(strcmp(ci.encap, "Linux cooked-mode capture v1") == 0);
}

static void test_bad(const char *dir) {
    struct capinfo ci;
    struct err err = ERR_INIT;
    char path[4096];

    /* damaged: capinfos says what it saw before the damage */
    CHECK(check_same(dir, "bad", "pcapng_truncated_mid_block.pcapng", &ci) == 0);
    CHECK(strcmp(ci.format, "Wireshark/... - pcapng") == 0);
    /* not a capture, yet a file type capinfos names */
    CHECK(check_same(dir, "bad", "png_renamed.pcap", &ci) == 0);
    CHECK(strcmp(ci.format, "MIME File Format") == 0);
    /* nothing capinfos can read: 422, empty strings */
    CHECK(check_same(dir, "bad", "truncated_global_header.pcap", &ci) == -1);
    CHECK(ci.format[0] == '\0' && ci.encap[0] == '\0');

    /* a file that is not there: 500, nothing run */
    snprintf(path, sizeof(path), "%s/bad/no-such-capture.pcap", dir);
    CHECK(capinfo_read(capinfos, path, -1, (uid_t)-1, (gid_t)-1, NULL, &ci, &err) == -1);
    CHECK(err.status == 500 && strstr(err.msg, "cannot open") != NULL);
    CHECK(ci.format[0] == '\0' && ci.encap[0] == '\0');
}

/* as the server runs it when root: as nobody, the file given as its stdin */
static void test_other_user(const char *dir) {
    struct capinfo ci;
    struct err err = ERR_INIT;
    char path[4096];

    if (geteuid() != 0)
        return;
    snprintf(path, sizeof(path), "%s/dev/http.cap", dir);
    CHECK(capinfo_read(capinfos, path, -1, 65534, 65534, NULL, &ci, &err) == 0);
    CHECK(strcmp(ci.format, "Wireshark/tcpdump/... - pcap") == 0);
    CHECK(strcmp(ci.encap, "Ethernet") == 0);
}

static void test_missing(const char *dir) {
    struct capinfo ci;
    struct err err = ERR_INIT;
    char path[4096], prog[128];

    snprintf(path, sizeof(path), "%s/dev/http.cap", dir);
    snprintf(prog, sizeof(prog), "%s/no-capinfos", tmpdir);
    CHECK(capinfo_read(prog, path, -1, (uid_t)-1, (gid_t)-1, NULL, &ci, &err) == -1);
    CHECK(err.status == 500 && ci.format[0] == '\0');
}

/*
 * A client gone: the cancel fd (one end of a socket pair whose other end
 * is closed) ends a capinfos that would never answer by itself, with 499.
 */
static void test_cancel(const char *dir) {
    static const char script[] = "#!/bin/sh\nexec tail -f /dev/null\n";
    struct capinfo ci;
    struct err err = ERR_INIT;
    char path[4096], prog[128];
    int sv[2];
    FILE *f;

    snprintf(path, sizeof(path), "%s/dev/http.cap", dir);
    snprintf(prog, sizeof(prog), "%s/hanging-capinfos", tmpdir);
    CHECK((f = fopen(prog, "w")) != NULL);
    if (f == NULL)
        return;
    fputs(script, f);
    CHECK(fclose(f) == 0 && chmod(prog, 0755) == 0);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    close(sv[1]);
    CHECK(capinfo_read(prog, path, sv[0], (uid_t)-1, (gid_t)-1, NULL, &ci, &err) == -1);
    CHECK(err.status == 499 && ci.format[0] == '\0');
    close(sv[0]);
    unlink(prog);
}

int main(void) {
    const char *dir = getenv("CAPTURES_DIR");
    struct tshark ts;
    struct err err = ERR_INIT;
    char probe[4096];
    int fds = count_fds();

    if (dir == NULL || dir[0] == '\0')
        dir = CAPTURES_DIR_DEFAULT;
    snprintf(probe, sizeof(probe), "%s/dev/http.cap", dir);
    if (access(probe, R_OK) != 0) {
        fprintf(stderr, "no captures in '%s': skipped\n", dir);
        return 77;
    }
    if (tshark_init(&ts, "tshark", 60, &err) == -1 ||
        capinfo_find(ts.path, capinfos, sizeof(capinfos)) == -1) {
        fprintf(stderr, "no tshark with capinfos beside it (%s): skipped\n", err.msg);
        return 77;
    }
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_capinfo.XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_find(ts.path);
    test_dev(dir);
    test_bad(dir);
    test_other_user(dir);
    test_missing(dir);
    test_cancel(dir);
    tshark_release(&ts);
    rm_tree(tmpdir);

    CHECK(count_fds() == fds);
    errno = 0;
    CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
    return CHECK_DONE();
}
