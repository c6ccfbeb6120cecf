/* test_upload.c - temp file name, mode, CLOEXEC, byte cap, close, unlink. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/upload.h"
#include "check.h"
#include "banned.h"

static char dir[MAX_PATH_BYTES];

/* Number of entries in d besides . and .. (-1 if it cannot be read). */
static int entries(const char *d) {
    DIR *dp = opendir(d);
    struct dirent *e;
    int n = 0;

    if (dp == NULL)
        return -1;
    while ((e = readdir(dp)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    }
    closedir(dp);
    return n;
}

static long long file_size(const char *path) {
    struct stat st;

    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static void test_name_and_mode(void) {
    struct upload u = UPLOAD_INIT, v = UPLOAD_INIT;
    struct err err = ERR_INIT;
    struct stat st;
    const char *base;
    size_t i;
    int fl;

    CHECK(upload_open(&u, dir, 100, &err) == 0);
    CHECK(u.fd >= 0);
    CHECK(strncmp(u.path, dir, strlen(dir)) == 0 && u.path[strlen(dir)] == '/');
    base = u.path + strlen(dir) + 1;
    CHECK(strncmp(base, UPLOAD_PREFIX, strlen(UPLOAD_PREFIX)) == 0);
    CHECK(strlen(base) == strlen(UPLOAD_PREFIX) + 6);
    for (i = strlen(UPLOAD_PREFIX); base[i] != '\0'; i++)
        CHECK(isalnum((unsigned char)base[i]));
    CHECK(strcmp(base, UPLOAD_PREFIX "XXXXXX") != 0); /* the template was filled */
    CHECK(stat(u.path, &st) == 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(st.st_uid == geteuid());
    fl = fcntl(u.fd, F_GETFD);
    CHECK(fl != -1 && (fl & FD_CLOEXEC) != 0);

    /* a second upload gets a different file */
    CHECK(upload_open(&v, dir, 100, &err) == 0);
    CHECK(strcmp(u.path, v.path) != 0);
    CHECK(entries(dir) == 2);
    upload_release(&u);
    upload_release(&v);
    CHECK(entries(dir) == 0);
}

static void test_mode_with_open_umask(void) {
    struct upload u = UPLOAD_INIT;
    struct stat st;
    mode_t old = umask(0);

    CHECK(upload_open(&u, dir, 10, NULL) == 0);
    CHECK(stat(u.path, &st) == 0 && (st.st_mode & 07777) == 0600);
    upload_release(&u);
    umask(old);
}

static void test_cap(void) {
    struct upload u = UPLOAD_INIT;
    struct err err = ERR_INIT;
    char path[MAX_PATH_BYTES];

    CHECK(upload_open(&u, dir, 16, &err) == 0);
    CHECK(upload_write(&u, "0123456789", 10, &err) == 0);
    CHECK(u.bytes == 10);
    CHECK(upload_write(&u, "", 0, &err) == 0);
    CHECK(upload_write(&u, "abcdef", 6, &err) == 0); /* exactly the cap is fine */
    CHECK(u.bytes == 16);
    CHECK(upload_write(&u, "x", 1, &err) == -1);
    CHECK(err.status == 413);
    CHECK(strcmp(err.msg, "upload larger than 16 bytes") == 0);
    CHECK(u.bytes == 16);
    CHECK(file_size(u.path) == 16); /* nothing of the refused chunk was written */
    /* once over, it stays over, even for an empty write */
    err.status = 0;
    CHECK(upload_write(&u, "", 0, &err) == -1 && err.status == 413);
    CHECK(upload_write(&u, "y", 1, NULL) == -1);

    snprintf(path, sizeof(path), "%s", u.path);
    CHECK(upload_close(&u, &err) == 0);
    CHECK(u.fd == -1);
    CHECK(file_size(path) == 16);       /* close keeps the file */
    CHECK(upload_close(&u, &err) == 0); /* twice is fine */
    upload_release(&u);
    CHECK(access(path, F_OK) == -1 && errno == ENOENT);
    CHECK(u.fd == -1 && u.path[0] == '\0' && u.bytes == 0);
    upload_release(&u); /* idempotent */
}

static void test_big_chunk_over_cap(void) {
    struct upload u = UPLOAD_INIT;
    struct err err = ERR_INIT;
    static char chunk[64 * 1024];

    memset(chunk, 'a', sizeof(chunk));
    CHECK(upload_open(&u, dir, 100000, &err) == 0);
    CHECK(upload_write(&u, chunk, sizeof(chunk), &err) == 0);
    CHECK(upload_write(&u, chunk, sizeof(chunk), &err) == -1 && err.status == 413);
    CHECK(strcmp(err.msg, "upload larger than 100000 bytes") == 0);
    CHECK(file_size(u.path) == (long long)sizeof(chunk));
    upload_release(&u);
    CHECK(entries(dir) == 0);
}

static void test_sentinels_and_errors(void) {
    struct upload u = UPLOAD_INIT;
    struct err err = ERR_INIT;
    char missing[MAX_PATH_BYTES + 16];

    upload_release(&u); /* UPLOAD_INIT */
    CHECK(u.fd == -1);
    CHECK(upload_close(&u, &err) == 0);
    err.status = 0;
    CHECK(upload_write(&u, "a", 1, &err) == -1 && err.status == 500);

    snprintf(missing, sizeof(missing), "%s/no/such/dir", dir);
    err.status = 0;
    CHECK(upload_open(&u, missing, 10, &err) == -1);
    CHECK(err.status == 500);
    CHECK(strstr(err.msg, missing) == NULL); /* our paths never reach the client */
    CHECK(u.fd == -1 && u.path[0] == '\0');
    CHECK(upload_open(&u, missing, 10, NULL) == -1); /* err may be NULL */
    upload_release(&u);
}

static void test_prepare_dir(void) {
    struct err err = ERR_INIT;
    char sub[MAX_PATH_BYTES + 16], file[MAX_PATH_BYTES + 16];
    struct stat st;
    FILE *fp;

    snprintf(sub, sizeof(sub), "%s/sub", dir);
    CHECK(upload_prepare_dir(sub, &err) == 0);
    CHECK(stat(sub, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700);
    CHECK(upload_prepare_dir(sub, &err) == 0); /* exists: fine */
    CHECK(rmdir(sub) == 0);

    snprintf(file, sizeof(file), "%s/plain", dir);
    fp = fopen(file, "w");
    CHECK(fp != NULL);
    if (fp != NULL)
        fclose(fp);
    err.status = 0;
    CHECK(upload_prepare_dir(file, &err) == -1 && err.status == 500);
    CHECK(upload_prepare_dir(file, NULL) == -1);
    CHECK(unlink(file) == 0);
}

int main(void) {
    const char *base = getenv("TMPDIR");
    int n;

    n = snprintf(dir, sizeof(dir), "%s/test_upload-XXXXXX",
                 base != NULL && base[0] != '\0' ? base : "/tmp");
    if (n < 0 || (size_t)n >= sizeof(dir) || mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_name_and_mode();
    test_mode_with_open_umask();
    test_cap();
    test_big_chunk_over_cap();
    test_sentinels_and_errors();
    test_prepare_dir();
    CHECK(entries(dir) == 0); /* nothing left behind */
    rmdir(dir);
    return CHECK_DONE();
}
