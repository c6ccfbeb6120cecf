/*
 * capinfo.h - the file format and link types of a capture, as the
 * capinfos of tshark's own Wireshark install reports them, for the summary.
 *
 * capinfos runs through child.c like tshark: argv only (the path one
 * element), stdin /dev/null, a deadline (CAPINFOS_TIMEOUT_MS), the client
 * socket as cancel fd, at most MAX_CAPINFOS_BYTES of stdout kept. Its file
 * name line (our temp path) is never kept. Nothing here is fatal: a chart is
 * answered without these facts when capinfos is missing or fails.
 */
#ifndef CAPINFO_H
#define CAPINFO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"
#include "proc/sandbox.h"

struct capinfo {
    char format[128]; /* "Wireshark/tcpdump/... - pcap (gzip compressed)"; "" unknown */
    char encap[256];  /* "Ethernet", or per packet: "Ethernet (453), Raw IP (12)" */
};

/*
 * The capinfos beside the tshark at tshark_path (borrowed, absolute) into
 * dst (n bytes). 0, or -1 when there is none that we may run.
 */
int capinfo_find(const char *tshark_path, char *dst, size_t n);

/*
 * Run capinfos (borrowed path) -t -E on file (borrowed; opened by us and
 * given as its stdin) as uid/gid ((uid_t)-1: as we run), in the sandbox sb
 * (borrowed, NULL: none; tshark's, so capinfos is held like tshark and
 * gets a user of its own when sb gives one) and fill ci. 0 when
 * at least the format was read (also from a damaged file: capinfos reports
 * what it saw), or -1 with err (500 could not run, 504 timeout, 499 client
 * gone, 422 nothing read). ci is empty strings on -1.
 */
int capinfo_read(const char *capinfos, const char *file, int cancel_fd, uid_t uid,
                 gid_t gid, const struct sandbox *sb, struct capinfo *ci,
                 struct err *err);

/* capinfo_read, stopped at deadline_ms as well (0: none; a request's deadline). */
int capinfo_read_until(const char *capinfos, const char *file, int cancel_fd, uid_t uid,
                       gid_t gid, const struct sandbox *sb, int64_t deadline_ms,
                       struct capinfo *ci, struct err *err);

#endif
