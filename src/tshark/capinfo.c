/* capinfo.c - see capinfo.h */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "tshark/capinfo.h"
#include "base/clock.h"
#include "proc/child.h"
#include "config.h"
#include "banned.h"

int capinfo_find(const char *tshark_path, char *dst, size_t n) {
    const char *slash = strrchr(tshark_path, '/');
    int len;

    if (slash == NULL)
        return -1;
    len = snprintf(dst, n, "%.*s/capinfos", (int)(slash - tshark_path), tshark_path);
    if (len < 0 || (size_t)len >= n || access(dst, X_OK) == -1) {
        if (n > 0)
            dst[0] = '\0';
        return -1;
    }
    return 0;
}

/* Copy the value after "Label:" (spaces trimmed) of line into dst. */
static void value_of(const char *line, size_t label_len, char *dst, size_t n) {
    const char *v = line + label_len;
    size_t len;

    while (*v == ' ' || *v == '\t')
        v++;
    len = strlen(v);
    while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\r'))
        len--;
    snprintf(dst, n, "%.*s", (int)len, v);
}

/* Append ", " (when dst is not empty) and s to dst (n bytes), cut when full. */
static void append_item(char *dst, size_t n, const char *s) {
    size_t len = strlen(dst);

    snprintf(dst + len, n - len, "%s%s", len > 0 ? ", " : "", s);
}

/*
 * Fill ci from capinfos' long report: "File type:", "File encapsulation:",
 * and for "Per packet" the indented lines under "Encapsulation in use by
 * packets (# of pkts):".
 */
static void parse(char *text, struct capinfo *ci) {
    static const char TYPE[] = "File type:", ENCAP[] = "File encapsulation:",
                      PER[] = "Encapsulation in use by packets";
    char *line, *next, item[128];
    int in_list = 0;

    for (line = text; line != NULL && *line != '\0'; line = next) {
        if ((next = strchr(line, '\n')) != NULL)
            *next++ = '\0';
        if (in_list && (line[0] == ' ' || line[0] == '\t')) {
            value_of(line, 0, item, sizeof(item));
            if (item[0] != '\0')
                append_item(ci->encap, sizeof(ci->encap), item);
            continue;
        }
        in_list = 0;
        if (strncmp(line, TYPE, sizeof(TYPE) - 1) == 0) {
            value_of(line, sizeof(TYPE) - 1, ci->format, sizeof(ci->format));
        } else if (strncmp(line, ENCAP, sizeof(ENCAP) - 1) == 0) {
            value_of(line, sizeof(ENCAP) - 1, ci->encap, sizeof(ci->encap));
        } else if (strncmp(line, PER, sizeof(PER) - 1) == 0) {
            ci->encap[0] = '\0'; /* the list says more than "Per packet" */
            in_list = 1;
        }
    }
}

int capinfo_read(const char *capinfos, const char *file, int cancel_fd, uid_t uid,
                 gid_t gid, const struct sandbox *sb, struct capinfo *ci,
                 struct err *err) {
    return capinfo_read_until(capinfos, file, cancel_fd, uid, gid, sb, 0, ci, err);
}

int capinfo_read_until(const char *capinfos, const char *file, int cancel_fd, uid_t uid,
                       gid_t gid, const struct sandbox *sb, int64_t deadline_ms,
                       struct capinfo *ci, struct err *err) {
    static const char *const envp[] = {"LC_ALL=C", "TZ=UTC", NULL};
    /* the file is its stdin, as for tshark: it may run as a user who cannot open it */
    const char *argv[] = {capinfos, "-t", "-E", "--", "-", NULL};
    struct child_spec spec = CHILD_SPEC_INIT;
    struct child ch = CHILD_INIT;
    struct buf out = BUF_INIT(MAX_CAPINFOS_BYTES);
    char chunk[4096];
    ssize_t n;
    size_t room;
    int rc = -1, in;

    ci->format[0] = '\0';
    ci->encap[0] = '\0';
    if ((in = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
        err_set(err, 500, "cannot open the capture: %s", strerror(errno));
        goto done;
    }
    spec.argv = argv;
    spec.stdin_fd = in;
    spec.uid = uid;
    spec.gid = gid;
    spec.sandbox = sb;
    spec.envp = envp;
    spec.deadline_ms = clock_sooner(deadline_ms, mono_now_ms() + CAPINFOS_TIMEOUT_MS);
    spec.cancel_fd = cancel_fd;
    spec.rlimit_nofile = TSHARK_RLIMIT_NOFILE;
    spec.rlimit_fsize_bytes = TSHARK_RLIMIT_FSIZE_BYTES;
    if (child_start(&ch, &spec, err) == -1)
        goto done;
    while ((n = child_read(&ch, chunk, sizeof(chunk), err)) > 0) {
        /* keep the head; what passes the cap is read and dropped */
        room = out.max - out.len;
        if (room > 0 &&
            buf_append(&out, chunk, (size_t)n < room ? (size_t)n : room) == -1)
            break;
    }
    if (n == -1)
        goto done;
    if (out.data != NULL)
        parse(out.data, ci);
    if (ci->format[0] == '\0') {
        err_set(err, 422, "capinfos reported no file type");
        goto done;
    }
    rc = 0;
done:
    child_finish(&ch);
    if (in != -1)
        close(in);
    buf_release(&out);
    return rc;
}
