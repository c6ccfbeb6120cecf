/* profile.c - see profile.h */
#define _GNU_SOURCE /* O_PATH */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/fd.h"
#include "base/log.h"
#include "proc/child.h"
#include "tshark/profile.h"
#include "tshark/tshark.h"
#include "banned.h"

#define PROFILE_TEMPLATE "pcapchart-profile-XXXXXX"
#define PROFILE_FILE "disabled_protos"
#define PROFILE_TMP_FILE "disabled_protos.tmp"
#define GLOBAL_CONFIG_LABEL "Global configuration:"
/* profile_remove goes this deep: the profile and its data/ of links */
#define PROFILE_DEPTH 1

/*
 * Name tables tshark reads again for every capture it opens (epan_new),
 * even with -n: ~30 ms of a warm run on a small capture. A frame-only run
 * prints no name, so its data directory has them empty.
 */
static const char *const name_tables[] = {"manuf", "enterprises.tsv", "services", "wka"};
#define N_NAME_TABLES (sizeof(name_tables) / sizeof(name_tables[0]))

/* out = dir "/" name, checked. 0 or -1 (too long). */
static int join(char *out, size_t outsz, const char *dir, const char *name) {
    int n = snprintf(out, outsz, "%s/%s", dir, name);

    return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

/*
 * dir exists (made 0755 if missing), is a directory of ours (not a link)
 * and has mode 0755. 0 or -1 with err (500).
 */
static int own_dir(const char *dir, struct err *err) {
    struct stat st;

    if (mkdir(dir, 0755) == -1 && errno != EEXIST)
        return err_set(err, 500, "cannot create '%s': %s", dir, strerror(errno));
    if (lstat(dir, &st) == -1 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
        return err_set(err, 500, "'%s' is not a directory of ours", dir);
    if ((st.st_mode & 07777) != 0755 && chmod(dir, 0755) == -1)
        return err_set(err, 500, "cannot chmod '%s': %s", dir, strerror(errno));
    return 0;
}

/* Create (or truncate) path, 0644 whatever the umask: its fd, or -1 with err. */
static int create_0644(const char *path, struct err *err) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);

    if (fd == -1)
        return err_set(err, 500, "cannot create '%s': %s", path, strerror(errno));
    if (fchmod(fd, 0644) == -1) {
        err_set(err, 500, "cannot chmod '%s': %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* An empty file path, 0644. 0 or -1 with err. */
static int empty_file(const char *path, struct err *err) {
    int fd = create_0644(path, err);

    if (fd == -1)
        return -1;
    close(fd);
    return 0;
}

/* ---- disabled_protos, from `tshark -G protocols` ---- */

/* -G protocols: "Name\tShort name\tfilter.name\n" lines to disabled_protos */
struct proto_sink {
    int fd;
    struct buf line; /* the partial last line of the previous chunk */
    struct buf out;  /* names to write */
    size_t count;
    int saw_frame;
};

static int proto_line(struct proto_sink *ps, const char *s, size_t n) {
    const char *tab1, *tab2, *name;
    size_t len, i;

    if ((tab1 = memchr(s, '\t', n)) == NULL)
        return 0;
    if ((tab2 = memchr(tab1 + 1, '\t', n - (size_t)(tab1 + 1 - s))) == NULL)
        return 0;
    name = tab2 + 1;
    len = n - (size_t)(name - s);
    while (len > 0 && (name[len - 1] == '\r' || name[len - 1] == '\t'))
        len--;
    if (len == 0)
        return 0;
    /* filter names are [A-Za-z0-9_.-]; anything else would misparse */
    for (i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return 0;
    }
    if (len == 5 && memcmp(name, "frame", 5) == 0) {
        ps->saw_frame = 1;
        return 0;
    }
    if (buf_append(&ps->out, name, len) == -1 || buf_append(&ps->out, "\n", 1) == -1)
        return -1;
    ps->count++;
    return 0;
}

static int write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w == -1 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int proto_sink_fn(void *ctx, const char *data, size_t n) {
    struct proto_sink *ps = ctx;
    const char *p = data, *end = data + n, *nl;

    while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        if (ps->line.len > 0) {
            if (buf_append(&ps->line, p, (size_t)(nl - p)) == -1 ||
                proto_line(ps, ps->line.data, ps->line.len) == -1)
                return -1;
            buf_reset(&ps->line);
        } else if (proto_line(ps, p, (size_t)(nl - p)) == -1) {
            return -1;
        }
        p = nl + 1;
    }
    if (p < end && buf_append(&ps->line, p, (size_t)(end - p)) == -1)
        return -1;
    if (write_all(ps->fd, ps->out.data, ps->out.len) == -1)
        return -1;
    buf_reset(&ps->out);
    return 0;
}

/*
 * absdir/disabled_protos: every protocol but frame, written to a temporary
 * file renamed into place (a restart over the same profile never sees half
 * a list). 0 or -1 with err.
 */
static int write_disabled_protos(const struct tshark *ts, const char *absdir,
                                 struct err *err) {
    const char *argv[] = {ts->path, "-G", "protocols", NULL};
    struct child ch = CHILD_INIT;
    struct proto_sink ps = {-1, BUF_INIT(READ_CHUNK_BYTES),
                            BUF_INIT(2 * READ_CHUNK_BYTES), 0, 0};
    char tmp[MAX_PATH_BYTES], final[MAX_PATH_BYTES];
    int status, made_tmp = 0, rc = -1;

    if (join(tmp, sizeof(tmp), absdir, PROFILE_TMP_FILE) == -1 ||
        join(final, sizeof(final), absdir, PROFILE_FILE) == -1) {
        err_set(err, 500, "profile dir '%s': path too long", absdir);
        goto out;
    }
    if ((ps.fd = create_0644(tmp, err)) == -1)
        goto out;
    made_tmp = 1;
    if ((status = tshark_query(ts, argv, -1, proto_sink_fn, &ps, &ch, err)) == -1)
        goto out;
    if (status != 0 || ps.line.len != 0 || !ps.saw_frame || ps.count == 0) {
        err_set(err, 500, "tshark -G protocols gave no usable list (exit %d)", status);
        goto out;
    }
    if (close(ps.fd) == -1) {
        ps.fd = -1;
        err_set(err, 500, "cannot write '%s': %s", tmp, strerror(errno));
        goto out;
    }
    ps.fd = -1;
    if (rename(tmp, final) == -1) {
        err_set(err, 500, "cannot rename '%s': %s", tmp, strerror(errno));
        goto out;
    }
    made_tmp = 0;
    rc = 0;
out:
    if (ps.fd != -1)
        close(ps.fd);
    if (made_tmp)
        unlink(tmp);
    buf_release(&ps.line);
    buf_release(&ps.out);
    return rc;
}

/* ---- data/, tshark's data directory without name tables ---- */

/* The "Global configuration:" directory of `tshark -G folders`, into out. */
static int global_data_dir(const struct tshark *ts, char *out, size_t outsz,
                           struct err *err) {
    struct child ch = CHILD_INIT;
    struct buf b = BUF_INIT(READ_CHUNK_BYTES);
    const char *argv[] = {ts->path, "-G", "folders", NULL};
    const char *p, *eol;
    int status, rc = -1;

    if ((status = tshark_query(ts, argv, -1, tshark_keep_head, &b, &ch, err)) == -1)
        goto out;
    if (status != 0 || buf_append(&b, "", 1) == -1) { /* NUL-terminate */
        err_set(err, 500, "tshark -G folders failed (exit %d)", status);
        goto out;
    }
    for (p = b.data; p != NULL && *p != '\0'; p = eol != NULL ? eol + 1 : NULL) {
        eol = strchr(p, '\n');
        if (strncmp(p, GLOBAL_CONFIG_LABEL, sizeof(GLOBAL_CONFIG_LABEL) - 1) != 0)
            continue;
        p += sizeof(GLOBAL_CONFIG_LABEL) - 1;
        p += strspn(p, " \t");
        if (*p == '/' && eol != NULL && (size_t)(eol - p) < outsz) {
            memcpy(out, p, (size_t)(eol - p));
            out[eol - p] = '\0';
            rc = 0;
        }
        break;
    }
    if (rc == -1)
        err_set(err, 500, "tshark -G folders named no global configuration directory");
out:
    buf_release(&b);
    return rc;
}

static int is_name_table(const char *name) {
    size_t i;

    for (i = 0; i < N_NAME_TABLES; i++)
        if (strcmp(name, name_tables[i]) == 0)
            return 1;
    return 0;
}

static int is_dot(const char *name) {
    return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

/* Unlink every entry of dir (a restart over the same profile starts empty). */
static int empty_dir(const char *dir, struct err *err) {
    char to[MAX_PATH_BYTES];
    struct dirent *de;
    DIR *d;

    if ((d = opendir(dir)) == NULL)
        return err_set(err, 500, "cannot read '%s': %s", dir, strerror(errno));
    while ((de = readdir(d)) != NULL)
        if (!is_dot(de->d_name) && join(to, sizeof(to), dir, de->d_name) == 0)
            unlink(to);
    closedir(d);
    return 0;
}

/* A symlink in data to every entry of global but the name tables. */
static int link_entries(const char *global, const char *data, struct err *err) {
    char from[MAX_PATH_BYTES], to[MAX_PATH_BYTES];
    struct dirent *de;
    DIR *d;
    int rc = -1;

    if ((d = opendir(global)) == NULL)
        return err_set(err, 500, "cannot read '%s': %s", global, strerror(errno));
    while ((de = readdir(d)) != NULL) {
        if (is_dot(de->d_name) || is_name_table(de->d_name))
            continue;
        if (join(from, sizeof(from), global, de->d_name) == -1 ||
            join(to, sizeof(to), data, de->d_name) == -1) {
            err_set(err, 500, "data dir: path too long");
            goto out;
        }
        if (symlink(from, to) == -1) {
            err_set(err, 500, "cannot link '%s': %s", to, strerror(errno));
            goto out;
        }
    }
    rc = 0;
out:
    closedir(d);
    return rc;
}

/*
 * absdir/data: tshark's own data directory with every entry linked, except
 * the name tables (empty files). Made afresh each time.
 */
static int make_data_dir(const struct tshark *ts, const char *absdir, struct err *err) {
    char global[MAX_PATH_BYTES], data[MAX_PATH_BYTES], to[MAX_PATH_BYTES];
    size_t i;

    if (global_data_dir(ts, global, sizeof(global), err) == -1)
        return -1;
    if (join(data, sizeof(data), absdir, TSHARK_PROFILE_DATA) == -1)
        return err_set(err, 500, "data dir: path too long");
    if (own_dir(data, err) == -1 || empty_dir(data, err) == -1 ||
        link_entries(global, data, err) == -1)
        return -1;
    for (i = 0; i < N_NAME_TABLES; i++) {
        if (join(to, sizeof(to), data, name_tables[i]) == -1)
            return err_set(err, 500, "data dir: path too long");
        if (empty_file(to, err) == -1)
            return -1;
    }
    return 0;
}

/* ---- the profile ---- */

/* dir made absolute (tshark gets it in its environment), into out. */
static int absolute(const char *dir, char *out, size_t outsz, struct err *err) {
    char cwd[MAX_PATH_BYTES];
    int n;

    if (dir[0] == '/')
        n = snprintf(out, outsz, "%s", dir);
    else if (getcwd(cwd, sizeof(cwd)) != NULL)
        n = snprintf(out, outsz, "%s/%s", cwd, dir);
    else
        n = -1;
    if (n < 0 || (size_t)n >= outsz)
        return err_set(err, 500, "profile dir '%s': path too long", dir);
    return 0;
}

int profile_fill(struct tshark *ts, const char *dir, struct err *err) {
    char absdir[MAX_PATH_BYTES];
    struct err derr = ERR_INIT;
    int fd = -1;

    ts->profile_dir[0] = '\0';
    ts->data_ok = 0;
    if (ts->profile_fd > STDERR_FILENO)
        close(ts->profile_fd);
    ts->profile_fd = -1;
    if (ts->path[0] == '\0')
        return err_set(err, 500, "cannot prepare tshark profile: tshark_init not done");
    /* world-readable: tshark may run as another user; nothing in it is secret */
    if (own_dir(dir, err) == -1 || absolute(dir, absdir, sizeof(absdir), err) == -1)
        return -1;
    if (strlen(absdir) >= sizeof(ts->profile_dir))
        return err_set(err, 500, "profile dir '%s': path too long", dir);
    if (write_disabled_protos(ts, absdir, err) == -1)
        return -1;
    /*
     * tshark finds the profile through this descriptor (/proc/self/fd/N),
     * so a tshark user that cannot search --tmpdir still reads it.
     */
    if ((fd = open(absdir, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) == -1 ||
        fd_above_stdio(&fd) == -1) {
        err_set(err, 500, "cannot open profile dir '%s': %s", absdir, strerror(errno));
        if (fd != -1)
            close(fd);
        return -1;
    }
    ts->profile_fd = fd;
    if (make_data_dir(ts, absdir, &derr) == 0)
        ts->data_ok = 1;
    else
        log_warnx("frame-only profile without its data directory (slower on small "
                  "captures): %s",
                  derr.msg);
    memcpy(ts->profile_dir, absdir, strlen(absdir) + 1);
    return 0;
}

int profile_make(struct tshark *ts, const char *tmpdir, char *dir, size_t n,
                 struct err *err) {
    if (n == 0)
        return err_set(err, 500, "cannot create a profile directory: no room");
    if (join(dir, n, tmpdir, PROFILE_TEMPLATE) == -1) {
        dir[0] = '\0';
        return err_set(
            err, 500, "cannot create a profile directory in '%s': path too long", tmpdir);
    }
    if (mkdtemp(dir) == NULL) {
        dir[0] = '\0';
        return err_set(err, 500, "cannot create a profile directory in '%s': %s", tmpdir,
                       strerror(errno));
    }
    if (profile_fill(ts, dir, err) == -1) {
        profile_remove(dir);
        dir[0] = '\0';
        return -1;
    }
    return 0;
}

/* Remove dir's files and symlinks, and directories of them down to depth. */
static void remove_tree(const char *dir, int depth) {
    char path[MAX_PATH_BYTES];
    struct stat st;
    struct dirent *de;
    DIR *d;

    if ((d = opendir(dir)) == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        if (is_dot(de->d_name) || join(path, sizeof(path), dir, de->d_name) == -1)
            continue;
        if (depth > 0 && lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(path, depth - 1);
        else if (unlink(path) == -1)
            log_warn("cannot remove '%s'", path);
    }
    closedir(d);
    if (rmdir(dir) == -1)
        log_warn("cannot remove '%s'", dir);
}

void profile_remove(const char *dir) {
    if (dir != NULL && dir[0] != '\0')
        remove_tree(dir, PROFILE_DEPTH);
}
