/*
 * testutil.h - helpers the C tests share. Header-only: each test is one
 * program. A test that includes it defines _XOPEN_SOURCE 700 first (nftw).
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

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

#endif
