/*
 * growfile.h - a file one thread is still writing while another reads it:
 * an upload fed to tshark as it arrives, so upload and dissection overlap.
 *
 * The writer reports how many bytes of the file are written
 * (growfile_add) and, once, whether the file is complete or abandoned
 * (growfile_end). The reader asks how far it may read (growfile_state),
 * polls wake_fd for changes (readable after each report; growfile_drain
 * empties it) or blocks until the end (growfile_wait_end).
 *
 * Threads: one writer and one reader at once; every call is thread-safe.
 * The file itself (its descriptor and path) is the caller's.
 *
 * It stands alone (base only): proc/child.h uses it for child_feed_growing,
 * never the other way round.
 */
#ifndef GROWFILE_H
#define GROWFILE_H

#include <pthread.h>
#include <stdint.h>

#include "base/err.h"

enum grow_state { GROW_WRITING = 0, GROW_DONE, GROW_FAILED };

struct growfile {
    pthread_mutex_t lock;
    pthread_cond_t ended;  /* signalled by growfile_end */
    uint64_t written;      /* bytes that may be read */
    enum grow_state state; /* GROW_WRITING until growfile_end */
    int64_t end_ms;        /* mono_now_ms() of growfile_end; 0 before it */
    int wake_fd;           /* owned: eventfd, readable after each report; -1 if none */
    int ready;             /* growfile_init succeeded (a zeroed struct is not ready) */
};

/* 0, or -1 with err (500) when no eventfd can be made. */
int growfile_init(struct growfile *g, struct err *err);

/* The writer: written bytes of the file may now be read (a total, not a step). */
void growfile_add(struct growfile *g, uint64_t written);

/* The writer, once: the file is complete (ok) or abandoned (!ok). */
void growfile_end(struct growfile *g, int ok);

/* The reader: the state now, and in *written how many bytes may be read. */
enum grow_state growfile_state(struct growfile *g, uint64_t *written);

/*
 * The reader: when the writer called growfile_end (mono_now_ms() time), or 0
 * while it writes. An analysis' deadline counts from there.
 */
int64_t growfile_end_ms(struct growfile *g);

/* The reader: empty wake_fd after it polled readable. */
void growfile_drain(struct growfile *g);

/* The reader: block until growfile_end; returns the final state. */
enum grow_state growfile_wait_end(struct growfile *g);

/*
 * Free what init made; no other thread may use g any more. Safe twice, and
 * on a zeroed struct or one whose init failed.
 */
void growfile_release(struct growfile *g);

#endif
