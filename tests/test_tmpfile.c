/* test_tmpfile.c - name, mode 0600, CLOEXEC, two never alike, errors leave nothing. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "base/tmpfile.h"
#include "check.h"
#include "banned.h"

static char dir[256]; /* private temp directory of this test */

static void test_create(void) {
    char a[MAX_PATH_BYTES], b[MAX_PATH_BYTES], want[MAX_PATH_BYTES];
    struct stat st;
    int fa, fb;

    umask(022); /* 0600 must not depend on it */
    fa = tmpfile_create(dir, "t-", a, sizeof(a));
    fb = tmpfile_create(dir, "t-", b, sizeof(b));
    CHECK(fa > STDERR_FILENO && fb > STDERR_FILENO);
    snprintf(want, sizeof(want), "%s/t-", dir);
    CHECK(strncmp(a, want, strlen(want)) == 0 && strlen(a) == strlen(want) + 6);
    CHECK(strcmp(a, b) != 0);
    CHECK(stat(a, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600);
    CHECK((fcntl(fa, F_GETFD) & FD_CLOEXEC) != 0);
    CHECK(write(fa, "x", 1) == 1);
    close(fa);
    close(fb);
    CHECK(unlink(a) == 0 && unlink(b) == 0);
}

static void test_errors(void) {
    char small[16], path[MAX_PATH_BYTES], missing[MAX_PATH_BYTES];

    /* the path does not fit: ENAMETOOLONG, "" */
    memset(small, 'z', sizeof(small));
    errno = 0;
    CHECK(tmpfile_create(dir, "t-", small, sizeof(small)) == -1);
    CHECK(errno == ENAMETOOLONG && small[0] == '\0');
    /* no such directory: mkostemp's errno, "" */
    snprintf(missing, sizeof(missing), "%s/none", dir);
    errno = 0;
    CHECK(tmpfile_create(missing, "t-", path, sizeof(path)) == -1);
    CHECK(errno == ENOENT && path[0] == '\0');
}

int main(void) {
    const char *tmp = getenv("TMPDIR");

    snprintf(dir, sizeof(dir), "%s/pcc-tmpfile-XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_create();
    test_errors();
    CHECK(rmdir(dir) == 0); /* nothing left behind */
    return CHECK_DONE();
}
