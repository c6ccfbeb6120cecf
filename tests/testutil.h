/*
 * testutil.h - helpers the C tests share. Header-only: each test is one
 * program. A test that includes it defines _XOPEN_SOURCE 700 first (nftw).
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "proc/child.h"
#include "config.h"

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

/* Run a command (argv) with a minimal environment; stdout into out. */
static inline int run_cmd(const char *const *argv, struct buf *out) {
    static const char *const env[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C",
                                      "TZ=UTC0", "HOME=/nonexistent", NULL};
    struct child ch = CHILD_INIT;
    struct child_spec spec = CHILD_SPEC_INIT;
    struct err err = ERR_INIT;
    char *chunk = malloc(READ_CHUNK_BYTES);
    ssize_t n = -1;
    int st;

    spec.argv = argv;
    spec.envp = env;
    spec.deadline_ms = mono_now_ms() + 120000;
    if (chunk != NULL && child_start(&ch, &spec, &err) == 0)
        while ((n = child_read(&ch, chunk, READ_CHUNK_BYTES, &err)) > 0)
            if (buf_append(out, chunk, (size_t)n) == -1)
                break;
    st = child_finish(&ch);
    free(chunk);
    if (n != 0)
        fprintf(stderr, "running %s failed: %s\n", argv[0], err.msg);
    return n == 0 ? st : -1;
}

/* The captures of tests/captures/dev (names in that directory). */
static const char *const dev_captures[] = {
    "220614_ip_flags_google.pcapng",
    "RawPacketIPv6Tunnel-UK6x.cap",
    "dhcp-nanosecond.pcap",
    "dhcpfo.pcapng",
    "empty.pcap",
    "hari.pcap",
    "http.cap",
    "nfs_bad_stalls.cap",
    "of13_ericsson.pcapng",
    "pcapng-example.pcapng",
    "ptg_le_test011_spb_epb_mix.pcapng",
    "snmp_usm.pcap",
    "vlan.cap.gz",
    "wpa-Induction.pcap",
};
#define N_DEV_CAPTURES (sizeof(dev_captures) / sizeof(dev_captures[0]))

#endif
