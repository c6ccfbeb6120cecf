/*
 * test_tshark.c - tshark.c with the real tshark on every capture of
 * $CAPTURES_DIR (dev/ and bad/, judged against `-T fields` and MANIFEST.tsv),
 * the frame-only profile proven to change nothing, display filters, the
 * packet limit, and fault injection through tests/fake-tshark.sh.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "check.h"
#include "testpkts.h"
#include "testutil.h"
#include "base/clock.h"
#include "proc/child.h"
#include "tshark/profile.h"
#include "tshark/tshark.h"
#include "banned.h"

#define OUT_MAX (64 * 1024 * 1024)
#define DISPLAY "upload.pcap"

static char tmpdir[256];

/* `tshark -T fields` of the three fields (optionally filtered), via child.c */
static int fields_ref(const char *tshark, const char *file, const char *filter,
                      struct pkts *ref) {
    static const char *const env[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C",
                                      "TZ=UTC0", "HOME=/nonexistent", NULL};
    const char *argv[16] = {
        tshark,   "-n",       "-r",           file, "-T",
        "fields", "-e",       "frame.number", "-e", "frame.time_relative",
        "-e",     "frame.len"};
    struct child ch = CHILD_INIT;
    struct child_spec spec = CHILD_SPEC_INIT;
    struct buf out = BUF_INIT(OUT_MAX);
    struct err err = ERR_INIT;
    char *chunk = malloc(READ_CHUNK_BYTES), *line, *next;
    ssize_t n = -1;
    int st;

    if (filter != NULL) {
        argv[12] = "-Y";
        argv[13] = filter;
    }
    spec.argv = argv;
    spec.envp = env;
    spec.deadline_ms = mono_now_ms() + 120000;
    if (chunk != NULL && child_start(&ch, &spec, &err) == 0)
        while ((n = child_read(&ch, chunk, READ_CHUNK_BYTES, &err)) > 0)
            buf_append(&out, chunk, (size_t)n);
    st = child_finish(&ch);
    free(chunk);
    if (n != 0 || st != 0) {
        buf_release(&out);
        return -1;
    }
    for (line = out.data; line != NULL && *line != '\0'; line = next) {
        char *t1, *t2, *nl = strchr(line, '\n');
        struct pkt p;

        memset(&p, 0, sizeof(p));
        next = nl != NULL ? nl + 1 : line + strlen(line);
        if (nl != NULL)
            *nl = '\0';
        if ((t1 = strchr(line, '\t')) == NULL || (t2 = strchr(t1 + 1, '\t')) == NULL)
            break;
        *t1++ = '\0';
        *t2++ = '\0';
        p.number = strtoull(line, NULL, 10);
        if (*t1 != '\0') {
            p.has_time = 1;
            fields_parse_seconds(t1, &p.t_ns);
        }
        if (*t2 != '\0') {
            p.has_len = 1;
            p.len = strtoull(t2, NULL, 10);
        }
        collect(ref, &p, NULL);
    }
    buf_release(&out);
    return 0;
}

/* A one-line, client-safe message: no newline, no path of ours, no warning. */
static int clean_msg(const char *m, const char *capture) {
    return m[0] != '\0' && strchr(m, '\n') == NULL && strchr(m, '\r') == NULL &&
           strstr(m, capture) == NULL && strstr(m, tmpdir) == NULL &&
           strstr(m, "Running as user") == NULL && strstr(m, "dangerous") == NULL &&
           strncmp(m, "tshark: ", 8) != 0;
}

static void test_init(const char *tests_dir) {
    struct tshark ts;
    struct err err = ERR_INIT;
    char path[512];

    CHECK(tshark_init(&ts, "tshark", 60, &err) == 0);
    CHECK(ts.path[0] == '/' && strcmp(ts.version, "4.0.17") == 0);
    CHECK(ts.profile_dir[0] == '\0' && ts.timeout_s == 60 && ts.max_packets == 0);

    CHECK(tshark_init(&ts, "/nonexistent/tshark", 60, &err) == -1);
    CHECK(err.status == 500 && strstr(err.msg, "/nonexistent/tshark") != NULL &&
          strstr(err.msg, "No such file") != NULL);
    err.status = 0;
    CHECK(tshark_init(&ts, "no-such-tshark-pcapchart", 60, &err) == -1);
    CHECK(err.status == 500 && strstr(err.msg, "cannot run tshark") != NULL);
    err.status = 0;
    CHECK(tshark_init(&ts, "true", 60, &err) == -1); /* answers, but not as tshark */
    CHECK(err.status == 500 && strstr(err.msg, "does not answer like tshark") != NULL);
    err.status = 0;
    CHECK(tshark_init(&ts, "false", 60, &err) == -1);
    CHECK(err.status == 500);
    CHECK(tshark_init(&ts, "/etc/passwd", 60, NULL) == -1);

    /* the fake, and the fake by a symlinked name that picks a mode */
    snprintf(path, sizeof(path), "%s/fake-tshark.sh", tests_dir);
    CHECK(tshark_init(&ts, path, 60, &err) == 0);
    CHECK(strcmp(ts.version, "4.0.17") == 0 && strcmp(ts.path, path) == 0);
    {
        char link[512];
        snprintf(link, sizeof(link), "%s/fake-tshark-badversion", tmpdir);
        CHECK(symlink(path, link) == 0);
        err.status = 0;
        CHECK(tshark_init(&ts, link, 60, &err) == -1 && err.status == 500);
        unlink(link);
    }
    /* a relative path is made absolute */
    {
        char cwd[512];
        CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
        CHECK(chdir(tests_dir) == 0);
        CHECK(tshark_init(&ts, "./fake-tshark.sh", 60, &err) == 0);
        CHECK(ts.path[0] == '/' && strstr(ts.path, "/./fake-tshark.sh") != NULL);
        CHECK(chdir(cwd) == 0);
    }
}

/* tshark_run_as: who may be chosen, and what it sets */
static void test_run_as(const struct tshark *ts) {
    struct err err = ERR_INIT;
    struct tshark t2;

    if (geteuid() != 0) {
        CHECK(ts->uid == (uid_t)-1 && ts->user[0] == '\0');
        t2 = *ts;
        CHECK(tshark_run_as(&t2, "root", &err) == -1 && err.status == 500);
        CHECK(strstr(err.msg, "started as root") != NULL);
        return;
    }
    /* root, no user named: a user of its own per run, from the range */
    CHECK(ts->user_per_run && ts->uid == SANDBOX_USERS_BASE && ts->home[0] == '/');
    CHECK(ts->sandbox != NULL && ts->sandbox->users != NULL);
    {
        uid_t a = 0, b = 0;
        gid_t ga = 0, gb = 0;
        char line[512];

        CHECK(sandbox_user_take(ts->sandbox, &a, &ga) == 1);
        CHECK(sandbox_user_take(ts->sandbox, &b, &gb) == 1);
        CHECK(a != b && a >= SANDBOX_USERS_BASE && b >= SANDBOX_USERS_BASE &&
              ga == (gid_t)a && gb == (gid_t)b);
        sandbox_user_put(ts->sandbox, a);
        sandbox_user_put(ts->sandbox, b);
        sandbox_describe(ts->sandbox, line, sizeof(line));
        CHECK(strstr(line, "user per run (uids ") != NULL);
    }
    t2 = *ts;
    t2.uid = (uid_t)-1;
    t2.user_per_run = 0;
    t2.user[0] = '\0';
    CHECK(tshark_run_as(&t2, "nobody", &err) == 0);
    CHECK(t2.uid == 65534 && !t2.user_per_run && strcmp(t2.user, "nobody") == 0);
    t2.uid = (uid_t)-1;
    t2.user[0] = '\0';
    CHECK(tshark_run_as(&t2, "root", &err) == 0 && t2.uid == (uid_t)-1);
    CHECK(tshark_run_as(&t2, "no-such-user-pcapchart", &err) == -1 && err.status == 500);
    CHECK(strstr(err.msg, "no such user") != NULL && t2.uid == (uid_t)-1);
}

static void test_profile(struct tshark *ts) {
    char dir[512], file[600];
    struct err err = ERR_INIT;
    struct stat st;
    FILE *f;
    char line[256];
    int lines = 0, frame = 0, eth = 0, ip = 0, tcp = 0, bad = 0;

    snprintf(dir, sizeof(dir), "%s/profile", tmpdir);
    CHECK(profile_fill(ts, dir, &err) == 0);
    CHECK(strcmp(ts->profile_dir, dir) == 0);
    CHECK(lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0755);
    snprintf(file, sizeof(file), "%s/disabled_protos", dir);
    CHECK(lstat(file, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644);
    if ((f = fopen(file, "r")) != NULL) {
        while (fgets(line, sizeof(line), f) != NULL) {
            size_t len = strlen(line);
            lines++;
            if (len < 2 || line[len - 1] != '\n' || strchr(line, ' ') ||
                strchr(line, '\t'))
                bad++;
            line[len - 1] = '\0';
            frame += strcmp(line, "frame") == 0;
            eth += strcmp(line, "eth") == 0;
            ip += strcmp(line, "ip") == 0;
            tcp += strcmp(line, "tcp") == 0;
        }
        fclose(f);
    }
    CHECK(lines > 1000 && bad == 0 && frame == 0 && eth == 1 && ip == 1 && tcp == 1);

    /* data/: tshark's data files linked, the name tables empty */
    CHECK(ts->data_ok && ts->profile_fd > 2);
    snprintf(file, sizeof(file), "%s/data/manuf", dir);
    CHECK(lstat(file, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0);
    snprintf(file, sizeof(file), "%s/data/enterprises.tsv", dir);
    CHECK(lstat(file, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0);
    snprintf(file, sizeof(file), "%s/data/radius", dir);
    CHECK(lstat(file, &st) == 0 && S_ISLNK(st.st_mode) && stat(file, &st) == 0 &&
          S_ISDIR(st.st_mode));

    /*
     * tshark reads it: with the profile no protocol above frame is dissected
     * (frame.protocols is empty), without it http.cap is eth:ethertype:ip:tcp
     */
    {
        char cfg[700], cap[4096];
        const char *env[] = {"PATH=/usr/bin:/bin", "LC_ALL=C", "TZ=UTC0", cfg, NULL};
        const char *argv[] = {ts->path, "-n", "-r",     cap,  "-c",
                              "1",      "-T", "fields", "-e", "frame.protocols",
                              NULL};
        int k;

        snprintf(cfg, sizeof(cfg), "WIRESHARK_CONFIG_DIR=%s", dir);
        snprintf(cap, sizeof(cap), "%s/dev/http.cap", getenv("CAPTURES_DIR"));
        for (k = 0; k < 2; k++) {
            struct child ch = CHILD_INIT;
            struct child_spec spec = CHILD_SPEC_INIT;
            char out[256];
            size_t len = 0;
            ssize_t n;

            if (k == 1)
                env[3] = NULL;
            spec.argv = argv;
            spec.envp = env;
            spec.deadline_ms = mono_now_ms() + 60000;
            CHECK(child_start(&ch, &spec, &err) == 0);
            while ((n = child_read(&ch, out + len, sizeof(out) - 1 - len, &err)) > 0)
                len += (size_t)n;
            out[len] = '\0';
            CHECK(child_finish(&ch) == 0);
            CHECK(strcmp(out, k == 0 ? "\n" : "eth:ethertype:ip:tcp\n") == 0);
        }
    }

    /* again over the same dir (a restart); a loose mode is tightened */
    CHECK(chmod(dir, 0777) == 0);
    CHECK(profile_fill(ts, dir, &err) == 0);
    CHECK(lstat(dir, &st) == 0 && (st.st_mode & 07777) == 0755);
    snprintf(file, sizeof(file), "%s/disabled_protos.tmp", dir);
    CHECK(access(file, F_OK) == -1);

    /* a dir that cannot be made */
    {
        struct tshark t2 = *ts;
        t2.profile_fd = -1; /* ts keeps owning it */
        err.status = 0;
        CHECK(profile_fill(&t2, "/nonexistent/x/y", &err) == -1);
        CHECK(err.status == 500 && t2.profile_dir[0] == '\0');
    }
}

/* profile_make's private directory, filled, then removed by profile_remove. */
static void test_profile_make(const struct tshark *ts) {
    struct tshark t2 = *ts;
    struct err err = ERR_INIT;
    char dir[MAX_PATH_BYTES], file[MAX_PATH_BYTES + 32], prefix[600];
    struct stat st;
    struct dirent *de;
    DIR *d;
    int left = 0;

    t2.profile_fd = -1; /* ts keeps owning its own */
    snprintf(prefix, sizeof(prefix), "%s/pcapchart-profile-", tmpdir);
    CHECK(profile_make(&t2, tmpdir, dir, sizeof(dir), &err) == 0);
    CHECK(strncmp(dir, prefix, strlen(prefix)) == 0 && strlen(dir) == strlen(prefix) + 6);
    CHECK(strcmp(t2.profile_dir, dir) == 0 && t2.profile_fd > 2 && t2.data_ok);
    CHECK(lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0755);
    snprintf(file, sizeof(file), "%s/disabled_protos", dir);
    CHECK(lstat(file, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0);
    snprintf(file, sizeof(file), "%s/data/manuf", dir);
    CHECK(lstat(file, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0);
    close(t2.profile_fd); /* what tshark_release would, without ts's pool */
    profile_remove(dir);
    CHECK(access(dir, F_OK) == -1 && errno == ENOENT);
    profile_remove(""); /* nothing made: nothing done */

    /* no temp dir: -1, nothing made */
    t2 = *ts;
    t2.profile_fd = -1;
    err.status = 0;
    CHECK(profile_make(&t2, "/nonexistent/pcapchart", dir, sizeof(dir), &err) == -1);
    CHECK(err.status == 500 && dir[0] == '\0' && t2.profile_fd == -1);
    CHECK(strstr(err.msg, "cannot create a profile directory in '/nonexistent/") != NULL);

    /* a fill that fails after the directory was made: it is removed again */
    t2.path[0] = '\0';
    err.status = 0;
    CHECK(profile_make(&t2, tmpdir, dir, sizeof(dir), &err) == -1);
    CHECK(err.status == 500 && dir[0] == '\0' && t2.profile_fd == -1);
    if ((d = opendir(tmpdir)) != NULL) {
        while ((de = readdir(d)) != NULL)
            left += strncmp(de->d_name, "pcapchart-profile-", 18) == 0;
        closedir(d);
    }
    CHECK(left == 0);
}

/*
 * Every dev capture: tshark_run with the frame-only profile and without it
 * both equal `-T fields` (which runs with every protocol enabled).
 */
static void test_dev(struct tshark *ts, const char *capdir) {
    char profile[MAX_PATH_BYTES];
    size_t i;

    memcpy(profile, ts->profile_dir, sizeof(profile));
    for (i = 0; i < N_DEV_CAPTURES; i++) {
        char path[4096];
        struct pkts ref = {0}, fast = {0}, full = {0};
        struct tshark_result res;
        struct tshark_job job = {path, DISPLAY, NULL, -1, NULL, 0, NULL, NULL};
        struct err err = ERR_INIT;
        int ok;

        snprintf(path, sizeof(path), "%s/dev/%s", capdir, dev_captures[i]);
        CHECK(fields_ref(ts->path, path, NULL, &ref) == 0);

        memcpy(ts->profile_dir, profile, sizeof(profile));
        CHECK(tshark_run(ts, &job, collect, &fast, &res, &err) == 0);
        CHECK(res.packets == ref.n && !res.damaged && !res.stopped &&
              res.exit_status == 0);
        CHECK(res.reason[0] == '\0');
        ok = pkts_equal(&ref, &fast);
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "  %s with profile: %zu packets, fields %zu\n",
                    dev_captures[i], fast.n, ref.n);

        ts->profile_dir[0] = '\0';
        CHECK(tshark_run(ts, &job, collect, &full, &res, &err) == 0);
        ok = pkts_equal(&ref, &full) && pkts_equal(&fast, &full);
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "  %s without profile differs\n", dev_captures[i]);
        pkts_release(&ref);
        pkts_release(&fast);
        pkts_release(&full);
    }
    memcpy(ts->profile_dir, profile, sizeof(profile));
}

/* column index of name in the MANIFEST header, -1 if absent */
static int column(char *header, const char *name) {
    int i = 0;
    char *p = header;

    while (p != NULL) {
        char *tab = strchr(p, '\t');
        size_t len = tab != NULL ? (size_t)(tab - p) : strcspn(p, "\r\n");
        if (len == strlen(name) && strncmp(p, name, len) == 0)
            return i;
        p = tab != NULL ? tab + 1 : NULL;
        i++;
    }
    return -1;
}

static const char *field_at(const char *line, int col, char *out, size_t outsz) {
    const char *p = line;
    size_t len;
    int i;

    for (i = 0; i < col && p != NULL; i++)
        if ((p = strchr(p, '\t')) != NULL)
            p++;
    if (p == NULL)
        return NULL;
    len = strcspn(p, "\t\r\n");
    if (len >= outsz)
        len = outsz - 1;
    memcpy(out, p, len);
    out[len] = '\0';
    return out;
}

/* Every bad/ capture: what MANIFEST.tsv says tshark does with it. */
static void test_bad(struct tshark *ts, const char *capdir) {
    char path[4096], header[8192], *line = NULL;
    size_t cap = 0;
    FILE *f;
    int c_cat, c_file, c_rc, c_count, seen = 0, n422 = 0, ndamaged = 0, nok = 0;

    snprintf(path, sizeof(path), "%s/MANIFEST.tsv", capdir);
    if ((f = fopen(path, "r")) == NULL) {
        CHECK(!"MANIFEST.tsv missing");
        return;
    }
    if (fgets(header, sizeof(header), f) == NULL) {
        fclose(f);
        CHECK(!"MANIFEST.tsv empty");
        return;
    }
    c_cat = column(header, "category");
    c_file = column(header, "file");
    c_rc = column(header, "tshark_rc");
    c_count = column(header, "tshark_count");
    CHECK(c_cat >= 0 && c_file >= 0 && c_rc >= 0 && c_count >= 0);
    while (getline(&line, &cap, f) > 0) {
        char cat[32], file[512], rcs[32], counts[32], capture[4096];
        struct pkts got = {0};
        struct tshark_result res;
        struct tshark_job job = {capture, DISPLAY, NULL, -1, NULL, 0, NULL, NULL};
        struct err err = ERR_INIT;
        unsigned long long want;
        int rc, want_rc, ok;

        if (field_at(line, c_cat, cat, sizeof(cat)) == NULL || strcmp(cat, "bad") != 0)
            continue;
        if (field_at(line, c_file, file, sizeof(file)) == NULL ||
            field_at(line, c_rc, rcs, sizeof(rcs)) == NULL ||
            field_at(line, c_count, counts, sizeof(counts)) == NULL)
            continue;
        want_rc = atoi(rcs);
        want = strtoull(counts, NULL, 10);
        snprintf(capture, sizeof(capture), "%s/%s", capdir, file);
        seen++;
        rc = tshark_run(ts, &job, collect, &got, &res, &err);
        if (want_rc == 0) {
            ok = rc == 0 && res.packets == want && !res.damaged && res.exit_status == 0;
            nok += ok;
        } else if (want == 0) {
            ok = rc == -1 && err.status == 422 && clean_msg(err.msg, capture) &&
                 strstr(err.msg, "\"" DISPLAY "\"") != NULL && got.n == 0;
            n422 += ok;
        } else {
            ok = rc == 0 && res.damaged && res.packets == want && got.n == want &&
                 clean_msg(res.reason, capture) &&
                 strstr(res.reason, "\"" DISPLAY "\"") != NULL;
            ndamaged += ok;
        }
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "  %s: rc %d status %d '%s' packets %llu damaged %d '%s'\n",
                    file, rc, err.status, err.msg, (unsigned long long)res.packets,
                    res.damaged, res.reason);
        if (strcmp(file, "bad/png_renamed.pcap") == 0) /* one frame without a time */
            CHECK(got.n == 1 && !got.v[0].has_time && got.v[0].has_len &&
                  got.v[0].len == 11240 && got.v[0].number == 1);
        if (strcmp(file, "bad/pcapng_truncated_mid_block.pcapng") == 0)
            CHECK(strcmp(res.reason, "The file \"" DISPLAY "\" appears to have been cut "
                                     "short in the middle of a packet.") == 0);
        if (strcmp(file, "bad/pcap-invalid-version-1.pcap") == 0)
            CHECK(strcmp(err.msg, "The file \"" DISPLAY "\" contains record data that "
                                  "TShark doesn't support. (pcap: major version 1 "
                                  "unsupported)") == 0);
        pkts_release(&got);
    }
    free(line);
    fclose(f);
    CHECK(seen == 28);
    printf("bad/: %d files: %d accepted, %d damaged with packets, %d refused (422)\n",
           seen, nok, ndamaged, n422);
}

static void test_filter(struct tshark *ts, const char *capdir) {
    char path[4096];
    struct err err = ERR_INIT;
    struct pkts ref = {0}, got = {0};
    struct tshark_result res;
    struct tshark_job job = {path, DISPLAY, "tcp.len > 0", -1, NULL, 0, NULL, NULL};
    static const char *const bad[] = {
        "ip.src ==", "foo.bar", "frame contains \"a", "tcp.port == 99999999999",
        "((ip)",     "-V"};
    size_t i;

    snprintf(path, sizeof(path), "%s/dev/http.cap", capdir);
    CHECK(tshark_check_filter(ts, NULL, &err) == 0);
    CHECK(tshark_check_filter(ts, "", &err) == 0);
    CHECK(tshark_check_filter(ts, "tcp.len > 0 && ip.addr == 10.0.0.1", &err) == 0);
    CHECK(tshark_check_filter(ts, "frame.time_epoch > 0", &err) == 0);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err.status = 0;
        err.msg[0] = '\0';
        CHECK(tshark_check_filter(ts, bad[i], &err) == -1);
        CHECK(err.status == 400 && clean_msg(err.msg, path));
    }
    CHECK(tshark_check_filter(ts, "foo.bar", &err) == -1);
    CHECK(strcmp(err.msg, "foo.bar is neither a field nor a protocol name.") == 0);

    /* a filtered run equals -T fields -Y; the profile is not used with a filter */
    CHECK(fields_ref(ts->path, path, job.filter, &ref) == 0);
    CHECK(ref.n > 0 && ref.n < 43);
    CHECK(tshark_run(ts, &job, collect, &got, &res, &err) == 0);
    CHECK(pkts_equal(&ref, &got) && res.packets == ref.n && !res.stopped);
    pkts_release(&got);
    pkts_release(&ref);

    /* a bad filter in a run is a 400, not a 422 */
    job.filter = "ip.src ==";
    err.status = 0;
    CHECK(tshark_run(ts, &job, collect, &got, &res, &err) == -1);
    CHECK(err.status == 400 && clean_msg(err.msg, path) && got.n == 0);
    /* a good filter on a file tshark refuses is still a 422 */
    snprintf(path, sizeof(path), "%s/bad/packetout.pcap", capdir);
    job.filter = "tcp";
    err.status = 0;
    CHECK(tshark_run(ts, &job, collect, &got, &res, &err) == -1);
    CHECK(err.status == 422 && clean_msg(err.msg, path));
}

static void test_limit(struct tshark *ts, const char *capdir) {
    char path[4096];
    struct err err = ERR_INIT;
    struct pkts got = {0};
    struct tshark_result res;
    struct tshark_job job = {path, DISPLAY, NULL, -1, NULL, 0, NULL, NULL};
    static const struct {
        uint64_t max;
        const char *filter;
    } c[] = {{10, NULL},  {42, NULL}, {43, NULL}, {44, NULL},
             {100, NULL}, {1, NULL},  {3, "tcp"}, {1000, "tcp"}};
    struct pkts tcp = {0};
    size_t i;

    snprintf(path, sizeof(path), "%s/dev/http.cap", capdir); /* 43 packets */
    CHECK(fields_ref(ts->path, path, "tcp", &tcp) == 0 && tcp.n > 3 && tcp.n < 43);
    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        uint64_t all = c[i].filter != NULL ? tcp.n : 43;
        uint64_t want = c[i].max < all ? c[i].max : all;
        char reason[64];

        ts->max_packets = c[i].max;
        job.filter = c[i].filter;
        CHECK(tshark_run(ts, &job, collect, &got, &res, &err) == 0);
        CHECK(res.packets == want && got.n == want && res.stopped == (c[i].max < all));
        snprintf(reason, sizeof(reason), "stopped after %llu packets",
                 (unsigned long long)want);
        CHECK(strcmp(res.reason, c[i].max < all ? reason : "") == 0);
        CHECK(got.n == 0 || got.v[got.n - 1].number != 0);
        pkts_release(&got);
    }
    pkts_release(&tcp);
    ts->max_packets = 0;
    job.filter = NULL;

    /* the caller's callback stops (1) or fails (-1) */
    got.stop_at = 5;
    CHECK(tshark_run(ts, &job, collect, &got, &res, &err) == 0);
    CHECK(res.stopped && res.packets == 5 && got.n == 5);
    CHECK(strcmp(res.reason, "stopped after 5 packets") == 0);
    pkts_release(&got);
    got.fail_at = 7;
    CHECK(tshark_run(ts, &job, collect, &got, &res, &err) == -1);
    CHECK(err.status == 418 && got.n == 7);
    pkts_release(&got);

    /* a missing capture: a 422 without the path */
    snprintf(path, sizeof(path), "%s/no-such-file.pcap", tmpdir);
    CHECK(tshark_run(ts, &job, collect, &got, &res, &err) == -1);
    CHECK(err.status == 422 && clean_msg(err.msg, path));
    CHECK(strstr(err.msg, "\"" DISPLAY "\" doesn't exist") != NULL);
    pkts_release(&got);
}

/* a "capture" for the fake: its first line picks the mode */
static void mode_file(char *path, size_t n, const char *mode) {
    FILE *f;

    snprintf(path, n, "%s/capture-%s.pcap", tmpdir, mode);
    if ((f = fopen(path, "w")) != NULL) {
        fprintf(f, "FAKE_TSHARK_MODE=%s\n", mode);
        fclose(f);
    }
}

static int fake_run(struct tshark *ts, const char *mode, struct pkts *got,
                    struct tshark_result *res, struct err *err, int64_t *ms) {
    char path[512];
    struct tshark_job job = {path, DISPLAY, NULL, -1, NULL, 0, NULL, NULL};
    int64_t t0 = mono_now_ms();
    int rc;

    mode_file(path, sizeof(path), mode);
    err->status = 0;
    err->msg[0] = '\0';
    rc = tshark_run(ts, &job, collect, got, res, err);
    if (ms != NULL)
        *ms = mono_now_ms() - t0;
    if (rc == -1 && !clean_msg(err->msg, path))
        CHECK(!"fake: message not clean");
    if (res->reason[0] != '\0' && !clean_msg(res->reason, path))
        CHECK(!"fake: reason not clean");
    return rc;
}

static void test_fake(const char *tests_dir) {
    struct tshark ts;
    struct err err = ERR_INIT;
    struct pkts got = {0};
    struct tshark_result res;
    char prog[512];
    int64_t ms;

    snprintf(prog, sizeof(prog), "%s/fake-tshark.sh", tests_dir);
    CHECK(tshark_init(&ts, prog, 1, &err) == 0);
    {
        char dir[512];
        snprintf(dir, sizeof(dir), "%s/fake-profile", tmpdir);
        CHECK(profile_fill(&ts, dir, &err) == 0);
    }

    CHECK(fake_run(&ts, "ok", &got, &res, &err, NULL) == 0);
    CHECK(got.n == 3 && res.packets == 3 && got.v[1].len == 1514 &&
          got.v[2].t_ns == 1250000000);
    pkts_release(&got);

    /* hangs with SIGTERM ignored: 504, killed and reaped within timeout + grace */
    CHECK(fake_run(&ts, "hang", &got, &res, &err, &ms) == -1);
    CHECK(err.status == 504 && got.n == 0);
    CHECK(ms >= 1000 && ms < 1000 + KILL_GRACE_MS + 1000);
    CHECK(fake_run(&ts, "grandchild", &got, &res, &err, &ms) == -1);
    CHECK(err.status == 504 && ms < 1000 + KILL_GRACE_MS + 1000);
    /* hangs after packets: they stand, stopped */
    CHECK(fake_run(&ts, "hang_after", &got, &res, &err, &ms) == 0);
    CHECK(res.stopped && !res.damaged && res.packets == 2 && got.n == 2);
    CHECK(strcmp(res.reason,
                 "stopped after 1 s, the time limit of the analysis (--timeout)") == 0);
    pkts_release(&got);
    /* closes stdout but does not exit: the deadline still holds in finish */
    CHECK(fake_run(&ts, "closed_hang", &got, &res, &err, &ms) == 0);
    CHECK(res.stopped && res.packets == 2 && res.exit_status == 128 + 9);
    CHECK(ms < 1000 + KILL_GRACE_MS + 1000);
    pkts_release(&got);

    CHECK(fake_run(&ts, "crash", &got, &res, &err, NULL) == -1);
    CHECK(err.status == 502 && strcmp(err.msg, "tshark crashed (signal 11)") == 0);
    CHECK(res.exit_status == 139);
    pkts_release(&got);
    CHECK(fake_run(&ts, "garbage", &got, &res, &err, NULL) == -1);
    CHECK(err.status == 502 && strstr(err.msg, "not valid JSON") != NULL && got.n == 0);
    CHECK(fake_run(&ts, "garbage_mid", &got, &res, &err, NULL) == -1);
    CHECK(err.status == 502 && got.n == 1);
    pkts_release(&got);
    CHECK(fake_run(&ts, "cut", &got, &res, &err, NULL) == -1);
    CHECK(err.status == 502 && got.n == 2);
    pkts_release(&got);

    /* exits 2 after packets: damaged, with its reason, our path replaced */
    CHECK(fake_run(&ts, "exit_mid", &got, &res, &err, NULL) == 0);
    CHECK(res.damaged && res.packets == 2 && res.exit_status == 2);
    CHECK(strcmp(res.reason, "The file \"" DISPLAY "\" appears to have been cut short in "
                             "the middle of a packet.") == 0);
    pkts_release(&got);
    /* exits 2 before any packet: 422, one line */
    CHECK(fake_run(&ts, "exit2", &got, &res, &err, NULL) == -1);
    CHECK(err.status == 422);
    CHECK(strcmp(err.msg, "The file \"" DISPLAY "\" appears to be damaged or corrupt. "
                          "(pcap: File has 2147483647-byte packet, bigger than maximum "
                          "of 262144)") == 0);

    CHECK(fake_run(&ts, "noisy_exit2", &got, &res, &err, NULL) == -1);
    CHECK(err.status == 422);
    CHECK(strcmp(err.msg, "The file \"" DISPLAY "\" appears to be damaged or corrupt. "
                          "(pcap: File has 2147483647-byte packet, bigger than maximum "
                          "of 262144)") == 0);

    /* endless output: the packet limit stops it */
    ts.max_packets = 1000;
    CHECK(fake_run(&ts, "endless", &got, &res, &err, &ms) == 0);
    CHECK(res.stopped && res.packets == 1000 && got.n == 1000 && ms < 15000);
    CHECK(strcmp(res.reason, "stopped after 1000 packets") == 0);
    pkts_release(&got);
    ts.max_packets = 0;
    /* ... and without one, the timeout does, keeping what was read */
    CHECK(fake_run(&ts, "endless", &got, &res, &err, &ms) == 0);
    CHECK(res.stopped && res.packets > 1000 &&
          strcmp(res.reason,
                 "stopped after 1 s, the time limit of the analysis (--timeout)") == 0);
    pkts_release(&got);

    /* a flood of stderr does not block */
    CHECK(fake_run(&ts, "stderr", &got, &res, &err, NULL) == 0);
    CHECK(res.packets == 3 && !res.damaged);
    pkts_release(&got);

    /* the client goes away: 499, at once */
    {
        char path[512];
        struct tshark_job job = {path, DISPLAY, NULL, -1, NULL, 0, NULL, NULL};
        int sv[2];
        int64_t t0;

        ts.timeout_s = 30;
        mode_file(path, sizeof(path), "hang");
        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
        close(sv[1]);
        job.cancel_fd = sv[0];
        t0 = mono_now_ms();
        CHECK(tshark_run(&ts, &job, collect, &got, &res, &err) == -1);
        CHECK(err.status == 499);
        CHECK(mono_now_ms() - t0 < 15000); /* ended, not hung */
        close(sv[0]);
    }
    /* the binary disappears after init: 500, no server path in the message */
    {
        char copy[512], path[512];
        struct tshark_job job = {path, DISPLAY, NULL, -1, NULL, 0, NULL, NULL};
        struct tshark t2 = ts;

        snprintf(copy, sizeof(copy), "%s/gone-tshark", tmpdir);
        snprintf(t2.path, sizeof(t2.path), "%s", copy);
        mode_file(path, sizeof(path), "ok");
        CHECK(tshark_run(&t2, &job, collect, &got, &res, &err) == -1);
        CHECK(err.status == 500 && strcmp(err.msg, "cannot run tshark: No such file or "
                                                   "directory") == 0);
    }
    tshark_release(&ts);
}

/* MHD runs one thread per connection: runs at once must not disturb each other */
struct job_thread {
    const struct tshark *ts;
    char capture[4096];
    uint64_t want;
    int rc_want;
    int bad;
};

static void *job_thread(void *arg) {
    struct job_thread *jt = arg;
    int i;

    for (i = 0; i < 3; i++) {
        struct tshark_job job = {jt->capture, DISPLAY, NULL, -1, NULL, 0, NULL, NULL};
        struct pkts got = {0};
        struct tshark_result res;
        struct err err = ERR_INIT;
        int rc = tshark_run(jt->ts, &job, collect, &got, &res, &err);

        if (rc != jt->rc_want ||
            (rc == 0 && (res.packets != jt->want || got.n != jt->want)))
            jt->bad++;
        pkts_release(&got);
    }
    return NULL;
}

static void test_threads(const struct tshark *ts, const struct tshark *fake,
                         const char *capdir) {
    static const struct {
        const char *file;
        uint64_t n;
    } files[] = {
        {"dev/http.cap", 43}, {"dev/snmp_usm.pcap", 144}, {"dev/vlan.cap.gz", 395}};
    struct job_thread jt[4];
    pthread_t t[4];
    int i;

    memset(jt, 0, sizeof(jt));
    for (i = 0; i < 3; i++) {
        jt[i].ts = ts;
        snprintf(jt[i].capture, sizeof(jt[i].capture), "%s/%s", capdir, files[i].file);
        jt[i].want = files[i].n;
    }
    jt[3].ts = fake; /* a hung tshark among them: three timeouts, ~2 s each */
    mode_file(jt[3].capture, sizeof(jt[3].capture), "hang");
    jt[3].rc_want = -1;
    for (i = 0; i < 4; i++)
        CHECK(pthread_create(&t[i], NULL, job_thread, &jt[i]) == 0);
    for (i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK(jt[i].bad == 0);
    }
}

/* tmpdir and all in it (the profile and its data/ of symlinks) */
static void rm_tmpdir(void) {
    rm_tree(tmpdir);
}

int main(void) {
    const char *capdir = getenv("CAPTURES_DIR");
    const char *tests_dir = getenv("TESTS_DIR");
    struct tshark ts;
    struct err err = ERR_INIT;
    int fds = count_fds();

    if (capdir == NULL || tests_dir == NULL || access(capdir, R_OK | X_OK) != 0) {
        fprintf(stderr, "CAPTURES_DIR or TESTS_DIR unset or missing: skipped\n");
        return 77;
    }
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_tshark.XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    if (tshark_init(&ts, "tshark", 120, &err) == -1) {
        fprintf(stderr, "no tshark (%s): skipped\n", err.msg);
        rmdir(tmpdir);
        return 77;
    }
    /* as the server runs it: a user per run when we are root */
    CHECK(tshark_run_as(&ts, NULL, &err) == 0);
    /* and in its sandbox: the output below must not change */
    CHECK(tshark_sandbox(&ts, NULL, 8, 0, &err) == 0);
    test_run_as(&ts);
    test_init(tests_dir);
    test_fake(tests_dir);
    test_profile(&ts);
    test_profile_make(&ts);
    test_dev(&ts, capdir);
    test_bad(&ts, capdir);
    test_filter(&ts, capdir);
    test_limit(&ts, capdir);
    {
        struct tshark fake;
        char prog[512];

        snprintf(prog, sizeof(prog), "%s/fake-tshark.sh", tests_dir);
        CHECK(tshark_init(&fake, prog, 1, &err) == 0);
        test_threads(&ts, &fake, capdir);
    }
    tshark_release(&ts);
    rm_tmpdir();

    CHECK(count_fds() == fds);
    errno = 0;
    CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
    return CHECK_DONE();
}
