/*
 * profile.h - the frame-only tshark profile: one private directory, made,
 * filled and removed here, that unfiltered runs use.
 *
 * The directory holds a disabled_protos file listing every protocol of
 * `tshark -G protocols` but frame, and a data directory (TSHARK_PROFILE_DATA)
 * linking tshark's own data files but with empty name tables (manuf,
 * enterprises.tsv, services, wka), which tshark would otherwise parse again
 * for every capture (~30 ms, the most of a warm run on a small capture). An
 * unfiltered run then prints the same times and lengths, several times
 * faster (test_tshark proves it on every dev capture). The runner reaches it
 * through ts->profile_fd (see tshark.h); nothing here is needed for a
 * correct chart, so every failure only costs speed.
 *
 * Called once at start, before threads use ts.
 */
#ifndef TSHARK_PROFILE_H
#define TSHARK_PROFILE_H

#include <stddef.h>

#include "base/err.h"
#include "tshark/tshark.h"

/*
 * Make a private directory <tmpdir>/pcapchart-profile-XXXXXX, fill it
 * (profile_fill) and have ts use it. dir (n bytes, owned by the caller)
 * gets its path, for profile_remove. 0, or -1 with err (500) and dir "":
 * nothing is left behind (ts is unchanged when the directory cannot be
 * made, and without a profile when it cannot be filled).
 */
int profile_make(struct tshark *ts, const char *tmpdir, char *dir, size_t n,
                 struct err *err);

/*
 * Write the frame-only profile into dir (borrowed; created 0755 if missing,
 * and made 0755: tshark may run as another user, nothing in it is secret).
 * On success ts->profile_dir (dir made absolute), ts->profile_fd (a previous
 * one of ts is closed) and ts->data_ok are set; a data directory that cannot
 * be made is logged and left out (data_ok 0). -1 with err (500) otherwise,
 * with ts->profile_dir "" (the files already written stay, for the caller).
 */
int profile_fill(struct tshark *ts, const char *dir, struct err *err);

/*
 * Remove a directory profile_make made (dir borrowed; "" does nothing): its
 * files and its data directory of links. Failures are logged. Call after
 * tshark_release, when no tshark uses it any more.
 */
void profile_remove(const char *dir);

#endif
