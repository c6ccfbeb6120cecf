/* test_store.c - content-addressed store: put, acquire, LRU eviction, expiry, files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "store/store.h"
#include "check.h"
#include "banned.h"

static char base[256]; /* private temp directory of this test */

/* Write n bytes of fill into base/name, its SHA-256 into id; the path into path. */
static void make_file(const char *name, size_t n, int fill,
                      unsigned char id[SHA256_BYTES], char *path, size_t pn) {
    unsigned char buf[4096];
    struct sha256_ctx s;
    FILE *fp;
    size_t k;

    snprintf(path, pn, "%s/%s", base, name);
    fp = fopen(path, "wb");
    CHECK(fp != NULL);
    if (fp == NULL)
        return;
    memset(buf, fill, sizeof(buf));
    sha256_init(&s);
    for (; n > 0; n -= k) {
        k = n < sizeof(buf) ? n : sizeof(buf);
        CHECK(fwrite(buf, 1, k, fp) == k);
        sha256_update(&s, k, buf);
    }
    CHECK(fclose(fp) == 0);
    sha256_final(&s, id);
}

static void pause_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static int exists(const char *path) {
    struct stat st;

    return lstat(path, &st) == 0;
}

static int entries_in(const char *dir) {
    struct dirent *e;
    DIR *d = opendir(dir);
    int n = 0;

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void stored_path(const char *dir, const unsigned char id[SHA256_BYTES], char *dst,
                        size_t n) {
    char hex[SHA256_HEX_BYTES];

    snprintf(dst, n, "%s/%s", dir, sha256_hex(id, hex));
}

static void test_put_acquire(void) {
    char dir[MAX_PATH_BYTES], src[MAX_PATH_BYTES], path[MAX_PATH_BYTES],
        want[MAX_PATH_BYTES];
    unsigned char id[SHA256_BYTES], other[SHA256_BYTES];
    struct err err = ERR_INIT;
    struct store_ref *ref = NULL, *ref2 = NULL;
    struct store *st;
    struct stat sb;
    uint64_t bytes;
    size_t n;

    snprintf(dir, sizeof(dir), "%s/store", base);
    st = store_open(dir, 1 << 20, 60, &err);
    CHECK(st != NULL);
    if (st == NULL)
        return;
    CHECK(strcmp(store_dir(st), dir) == 0 && store_ttl(st) == 60);
    CHECK(stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode) && (sb.st_mode & 0777) == 0700);

    make_file("a.pcap", 1000, 'a', id, src, sizeof(src));
    CHECK(store_put(st, src, id, &err) == 0);
    stored_path(dir, id, want, sizeof(want));
    CHECK(stat(want, &sb) == 0 && (sb.st_mode & 0777) == 0600 && sb.st_size == 1000);
    CHECK(exists(src));                       /* the source is never touched */
    CHECK(store_put(st, src, id, &err) == 0); /* again: only refreshed */
    store_stats(st, &n, &bytes);
    CHECK(n == 1 && bytes == 1000);

    CHECK(store_acquire(st, id, &ref, path, sizeof(path), &err) == 0 && ref != NULL);
    CHECK(strcmp(path, want) == 0);
    CHECK(store_acquire(st, id, &ref2, path, sizeof(path), &err) ==
          0); /* twice at once */
    store_release(st, ref2);
    store_release(st, ref);
    store_release(st, NULL);

    memset(other, 0x5a, sizeof(other));
    err.status = 0;
    CHECK(store_acquire(st, other, &ref, path, sizeof(path), &err) == -1 && ref == NULL);
    CHECK(err.status == 404 && strstr(err.msg, "5a5a5a5a5a5a") != NULL);
    CHECK(store_acquire(st, id, &ref, path, 10, &err) == -1 && err.status == 500);

    /* a source that is not there */
    CHECK(store_put(st, "/nonexistent/x", other, &err) == -1 && err.status == 500);

    store_close(st);
    CHECK(!exists(want));
    CHECK(!exists(dir)); /* created by the store, removed by it */
    unlink(src);
}

static void test_evict(void) {
    char dir[MAX_PATH_BYTES], sa[MAX_PATH_BYTES], sb_[MAX_PATH_BYTES], sc[MAX_PATH_BYTES],
        sd[MAX_PATH_BYTES], big[MAX_PATH_BYTES], path[MAX_PATH_BYTES];
    unsigned char a[SHA256_BYTES], b[SHA256_BYTES], c[SHA256_BYTES], d[SHA256_BYTES],
        e[SHA256_BYTES];
    struct err err = ERR_INIT;
    struct store_ref *ra = NULL, *rb = NULL;
    struct store *st;
    size_t n;
    uint64_t bytes;

    snprintf(dir, sizeof(dir), "%s/evict", base);
    st = store_open(dir, 250, 60, &err);
    CHECK(st != NULL);
    if (st == NULL)
        return;
    make_file("ea", 100, 1, a, sa, sizeof(sa));
    make_file("eb", 100, 2, b, sb_, sizeof(sb_));
    make_file("ec", 100, 3, c, sc, sizeof(sc));
    make_file("ed", 200, 4, d, sd, sizeof(sd));
    make_file("ee", 251, 5, e, big, sizeof(big));

    CHECK(store_put(st, sa, a, &err) == 0);
    pause_ms(2); /* distinct last-use times */
    CHECK(store_put(st, sb_, b, &err) == 0);
    pause_ms(2);
    CHECK(store_acquire(st, a, &ra, path, sizeof(path), &err) == 0); /* a: newest use */
    CHECK(store_put(st, sc, c, &err) == 0); /* evicts b, the least recently used */
    CHECK(store_acquire(st, b, &rb, path, sizeof(path), &err) == -1);
    CHECK(err.status == 410 && strstr(err.msg, "room") != NULL);
    store_stats(st, &n, &bytes);
    CHECK(n == 2 && bytes == 200);

    /* d (200) fits only without a, which is in use: refused, nothing evicted for it */
    err.status = 0;
    CHECK(store_put(st, sd, d, &err) == -1 && err.status == 507);
    store_release(st, ra);
    CHECK(store_put(st, sd, d, &err) == 0); /* now a and c go */
    store_stats(st, &n, &bytes);
    CHECK(n == 1 && bytes == 200);
    CHECK(store_acquire(st, a, &ra, path, sizeof(path), &err) == -1 && err.status == 410);

    /* larger than the whole store */
    err.status = 0;
    CHECK(store_put(st, big, e, &err) == -1 && err.status == 507);
    CHECK(entries_in(dir) == 2); /* d and .lock */

    /* a re-upload of an evicted capture is found again */
    CHECK(store_put(st, sb_, b, &err) == 0);
    CHECK(store_acquire(st, b, &rb, path, sizeof(path), &err) == 0);
    store_release(st, rb);
    store_close(st);
    unlink(sa);
    unlink(sb_);
    unlink(sc);
    unlink(sd);
    unlink(big);
}

static void test_expiry(void) {
    char dir[MAX_PATH_BYTES], sa[MAX_PATH_BYTES], sb_[MAX_PATH_BYTES],
        path[MAX_PATH_BYTES], pa[MAX_PATH_BYTES], pb[MAX_PATH_BYTES];
    unsigned char a[SHA256_BYTES], b[SHA256_BYTES];
    struct err err = ERR_INIT;
    struct store_ref *rb = NULL, *ra = NULL;
    struct store *st;
    int64_t t0;
    size_t n;

    snprintf(dir, sizeof(dir), "%s/expire", base);
    st = store_open(dir, 1 << 20, 1, &err);
    CHECK(st != NULL);
    if (st == NULL)
        return;
    make_file("xa", 10, 'x', a, sa, sizeof(sa));
    make_file("xb", 10, 'y', b, sb_, sizeof(sb_));
    CHECK(store_put(st, sa, a, &err) == 0);
    CHECK(store_put(st, sb_, b, &err) == 0);
    stored_path(dir, a, pa, sizeof(pa));
    stored_path(dir, b, pb, sizeof(pb));
    CHECK(store_acquire(st, b, &rb, path, sizeof(path), &err) == 0);

    /* a time of our choice: a is past its ttl, b is in use and stays */
    store_sweep(st, mono_now_ms() + 5000);
    CHECK(!exists(pa) && exists(pb));
    err.status = 0;
    CHECK(store_acquire(st, a, &ra, path, sizeof(path), &err) == -1);
    CHECK(err.status == 410 && strstr(err.msg, "expired") != NULL &&
          strstr(err.msg, "1 second") != NULL);
    store_release(st, rb); /* b's last use is now */
    store_sweep(st, mono_now_ms() + 500);
    CHECK(exists(pb));

    /* the sweeper thread removes it without any call (ttl 1 s, sweeps every 250 ms) */
    t0 = mono_now_ms();
    while (exists(pb) && mono_now_ms() - t0 < 5000)
        pause_ms(50);
    CHECK(!exists(pb));
    CHECK(mono_now_ms() - t0 >= 900);
    store_stats(st, &n, NULL);
    CHECK(n == 0);
    CHECK(store_acquire(st, b, &rb, path, sizeof(path), &err) == -1 && err.status == 410);
    store_close(st);
    unlink(sa);
    unlink(sb_);
}

static void test_dir_rules(void) {
    char dir[MAX_PATH_BYTES], p[MAX_PATH_BYTES + 80], link_[MAX_PATH_BYTES];
    struct err err = ERR_INIT;
    struct store *st, *st2;
    int status;
    pid_t pid;
    FILE *fp;

    /* an existing directory: leftovers of the store go at open, other files stay */
    snprintf(dir, sizeof(dir), "%s/existing", base);
    CHECK(mkdir(dir, 0700) == 0);
    snprintf(p, sizeof(p), "%s/%s", dir,
             "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    fp = fopen(p, "w");
    CHECK(fp != NULL && fclose(fp) == 0);
    snprintf(p, sizeof(p), "%s/.in-Ab12Cd", dir);
    fp = fopen(p, "w");
    CHECK(fp != NULL && fclose(fp) == 0);
    snprintf(p, sizeof(p), "%s/notes.txt", dir);
    fp = fopen(p, "w");
    CHECK(fp != NULL && fclose(fp) == 0);
    st = store_open(dir, 100, 10, &err);
    CHECK(st != NULL);
    CHECK(entries_in(dir) == 2); /* notes.txt and .lock */

    /* a second server (process: fcntl locks are per process) is refused */
    pid = fork();
    if (pid == 0) {
        st2 = store_open(dir, 100, 10, &err);
        _exit(st2 == NULL && strstr(err.msg, "in use") != NULL ? 0 : 1);
    }
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
          WEXITSTATUS(status) == 0);
    store_close(st);
    CHECK(exists(dir) && exists(p) && entries_in(dir) == 1); /* not ours to remove */
    unlink(p);
    rmdir(dir);

    /* writable by others, a symbolic link, a file: refused */
    snprintf(dir, sizeof(dir), "%s/open", base);
    CHECK(mkdir(dir, 0700) == 0 && chmod(dir, 0777) == 0);
    CHECK(store_open(dir, 100, 10, &err) == NULL && strstr(err.msg, "nobody else"));
    snprintf(link_, sizeof(link_), "%s/link", base);
    CHECK(symlink(dir, link_) == 0);
    CHECK(store_open(link_, 100, 10, &err) == NULL);
    unlink(link_);
    rmdir(dir);
    snprintf(p, sizeof(p), "%s/plainfile", base);
    fp = fopen(p, "w");
    CHECK(fp != NULL && fclose(fp) == 0);
    CHECK(store_open(p, 100, 10, &err) == NULL && strstr(err.msg, "not a directory"));
    unlink(p);
    CHECK(store_open("/nonexistent/a/b", 100, 10, &err) == NULL && err.status == 500);
    store_close(NULL);
}

/* Copy instead of link when the source is on another file system (if there is one). */
static void test_copy(void) {
    const char *shm = "/dev/shm";
    char dir[MAX_PATH_BYTES], src[MAX_PATH_BYTES], want[MAX_PATH_BYTES];
    unsigned char id[SHA256_BYTES];
    struct err err = ERR_INIT;
    struct stat s1, s2, s3;
    struct sha256_ctx s;
    struct store *st;
    char buf[3000];
    int fd;

    if (stat(shm, &s1) == -1 || stat(base, &s2) == -1 || s1.st_dev == s2.st_dev) {
        printf("test_copy: no second file system, skipped\n");
        return;
    }
    snprintf(src, sizeof(src), "%s/pcc-store-XXXXXX", shm);
    if ((fd = mkstemp(src)) == -1)
        return;
    memset(buf, 'q', sizeof(buf));
    CHECK(write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf));
    close(fd);
    sha256_init(&s);
    sha256_update(&s, sizeof(buf), (const uint8_t *)buf);
    sha256_final(&s, id);
    snprintf(dir, sizeof(dir), "%s/copy", base);
    st = store_open(dir, 1 << 20, 60, &err);
    CHECK(st != NULL);
    if (st != NULL) {
        CHECK(store_put(st, src, id, &err) == 0);
        stored_path(dir, id, want, sizeof(want));
        CHECK(stat(want, &s3) == 0 && s3.st_size == 3000 && (s3.st_mode & 0777) == 0600);
        CHECK(entries_in(dir) == 2); /* no .in- copy left */
        store_close(st);
    }
    unlink(src);
}

struct worker {
    struct store *st;
    const unsigned char *ids;
    char (*srcs)[MAX_PATH_BYTES];
    int failures;
};

static void *hammer(void *arg) {
    struct worker *w = arg;
    char path[MAX_PATH_BYTES];
    struct store_ref *ref;
    int i, k;

    for (i = 0; i < 300; i++) {
        k = (i * 7 + (int)((size_t)w % 5)) % 6;
        if (store_put(w->st, w->srcs[k], w->ids + k * SHA256_BYTES, NULL) == -1)
            continue; /* no room: the others hold theirs */
        if (store_acquire(w->st, w->ids + k * SHA256_BYTES, &ref, path, sizeof(path),
                          NULL) == 0) {
            if (!exists(path))
                w->failures++;
            store_release(w->st, ref);
        }
    }
    return NULL;
}

/* Several threads at once: an entry in use is never removed under its user. */
static void test_threads(void) {
    char dir[MAX_PATH_BYTES], srcs[6][MAX_PATH_BYTES], name[16];
    unsigned char ids[6 * SHA256_BYTES];
    struct worker w[4];
    pthread_t th[4];
    struct err err = ERR_INIT;
    struct store *st;
    int i;

    snprintf(dir, sizeof(dir), "%s/threads", base);
    st = store_open(dir, 300, 60, &err); /* room for 3 of the 6 */
    CHECK(st != NULL);
    if (st == NULL)
        return;
    for (i = 0; i < 6; i++) {
        snprintf(name, sizeof(name), "t%d", i);
        make_file(name, 100, 'a' + i, ids + i * SHA256_BYTES, srcs[i], sizeof(srcs[i]));
    }
    for (i = 0; i < 4; i++) {
        w[i].st = st;
        w[i].ids = ids;
        w[i].srcs = srcs;
        w[i].failures = 0;
        CHECK(pthread_create(&th[i], NULL, hammer, &w[i]) == 0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK(w[i].failures == 0);
    }
    store_close(st);
    CHECK(!exists(dir));
    for (i = 0; i < 6; i++)
        unlink(srcs[i]);
}

int main(void) {
    const char *tmp = getenv("TMPDIR");

    snprintf(base, sizeof(base), "%s/pcc-test-store-XXXXXX",
             tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
    if (mkdtemp(base) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_put_acquire();
    test_evict();
    test_expiry();
    test_dir_rules();
    test_copy();
    test_threads();
    CHECK(entries_in(base) == 0);
    rmdir(base);
    return CHECK_DONE();
}
