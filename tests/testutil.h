/*
 * testutil.h - helpers the C tests share. Header-only: each test is one
 * program. A test that includes it defines _XOPEN_SOURCE 700 first (nftw).
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static int testutil_rm_entry(const char *path, const struct stat *st, int flag,
                             struct FTW *ftw) {
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Remove dir and everything in it (symlinks are removed, not followed). */
static inline void rm_tree(const char *dir) {
    nftw(dir, testutil_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Open descriptors of this process (for leak checks), or -1. */
static inline int count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own fd */
}

#endif
