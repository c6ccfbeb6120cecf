/*
 * store.h - the capture store: uploads kept by content (SHA-256) so that
 * later views (GET /c/<sha256>?...) need no new upload.
 *
 * Bounded three ways: total bytes (max_bytes; an entry that cannot fit after
 * evicting the least recently used unused ones is not stored), number of
 * entries (STORE_MAX_ENTRIES), and time (an entry expires ttl_s after its
 * last use: its upload, or the end of a view of it). A background thread
 * removes expired entries, so a capture is gone from the disk at most
 * ttl_s plus a sweep period (ttl/4, at most STORE_SWEEP_MAX_MS) after its
 * last use even when no request comes. The ids of removed entries are kept
 * (at most STORE_MAX_GONE of them) so a view of one answers 410, not 404.
 *
 * Files are <dir>/<64 hex digits>, mode 0600, in a directory of their own
 * (created 0700; an existing one must be ours and writable by nobody else).
 * It is locked (fcntl on <dir>/.lock) against a second server, emptied of
 * store files at open (leftovers of a crash) and at close, and removed at
 * close when store_open created it. An entry in use (store_acquire) is never
 * evicted or expired until store_release.
 *
 * Disk: max_bytes is lowered at open to STORE_DISK_SHARE_PERCENT of the
 * space free on the store's file system, and the store evicts unused
 * entries (least recently used first) whenever that file system has less
 * free than STORE_MIN_FREE_PERCENT of its size (at most STORE_MIN_FREE_BYTES) -- after
 * each put, at each sweep, and when an upload on it runs out of space (store_free_disk).
 *
 * Threads: every function but store_open/store_close may be called from any
 * number of threads at once (one mutex).
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/sha256.h"

struct store;
struct store_ref; /* an entry held in use */

/*
 * Open the store in dir (borrowed). max_bytes 0 keeps nothing (every put is
 * refused); ttl_s >= 1. Starts the sweeping thread. Returns the store
 * (owned; end it with store_close) or NULL with err (500, naming dir;
 * start-up only).
 */
struct store *store_open(const char *dir, uint64_t max_bytes, int ttl_s, struct err *err);

/*
 * Stop the sweeper, delete every stored file, unlock, and remove the
 * directory if store_open created it. No entry may be held. Accepts NULL.
 * Takes st.
 */
void store_close(struct store *st);

/*
 * An upload at path ran out of space: evict unused entries, least recently
 * used first, until the file system has need bytes plus the floor free.
 * Returns how many were evicted: 0 when none could be (all in use, or path
 * is on another file system), and the write should not be retried.
 */
int store_free_disk(struct store *st, const char *path, uint64_t need);

/* The directory (borrowed from st). */
const char *store_dir(const struct store *st);

/*
 * Keep the file at src (borrowed path of a complete, closed file whose
 * SHA-256 is id) as entry id: a hard link when src is on the same file
 * system, a copy otherwise. An entry already there is only refreshed (its
 * last use is now). 0, or -1 with err: 507 when it cannot fit (bigger than
 * max_bytes, or the space is held by entries in use), 500 on I/O errors.
 * src is never changed or removed.
 */
int store_put(struct store *st, const char *src, const unsigned char id[SHA256_BYTES],
              struct err *err);

/*
 * Hold entry id in use: *ref gets the handle (give it back with
 * store_release) and path (n bytes) the file's path. 0, or -1 with err:
 * 404 when the store never had it (or forgot), 410 when it expired or was
 * evicted (the message says which), 500 when path is too small.
 */
int store_acquire(struct store *st, const unsigned char id[SHA256_BYTES],
                  struct store_ref **ref, char *path, size_t n, struct err *err);

/* End a store_acquire: its last use is now. Accepts NULL. Takes ref. */
void store_release(struct store *st, struct store_ref *ref);

/*
 * Remove the entries unused for more than ttl at time now_ms (mono_now_ms()
 * clock). The sweeper calls it; tests call it with a time of their choice.
 */
void store_sweep(struct store *st, int64_t now_ms);

/* Entries and bytes held now (for tests and the log). */
void store_stats(struct store *st, size_t *entries, uint64_t *bytes);

/* The expiry time in seconds (as given to store_open). */
int store_ttl(const struct store *st);

/* The most bytes kept: max_bytes as store_open lowered it to the free space. */
uint64_t store_max(const struct store *st);

#endif
