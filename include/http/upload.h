/*
 * upload.h - spool one uploaded file to a private temp file.
 *
 * The file is created with mkostemp(O_CLOEXEC) as <tmpdir>/pcapchart-XXXXXX,
 * mode 0600, and is never named after the client's file name. Writes are
 * bounded by a hard byte cap, and hashed (SHA-256) as they are written, so
 * the store can name the capture by its content without reading it again.
 * upload_release() closes and unlinks it; http.c calls it from MHD's completed callback,
 * so no temp file outlives its request whatever happened.
 *
 * Threads: one struct upload belongs to one request (one thread at a time).
 */
#ifndef UPLOAD_H
#define UPLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "base/err.h"
#include "base/sha256.h"

struct upload {
    int fd;                    /* -1 when closed */
    char path[MAX_PATH_BYTES]; /* "" when no file exists (never created, or unlinked) */
    uint64_t bytes;            /* bytes written so far */
    uint64_t max_bytes;        /* hard cap of bytes */
    int over;                  /* the cap was passed; every later write fails */
    struct sha256_ctx sha;     /* of the bytes written */
    int digested;              /* digest below is final */
    unsigned char digest[SHA256_BYTES];
    /*
     * Out of space: room(room_ctx, path, need) may free some (evicting kept
     * captures) and returns how much it did, > 0 to retry the write. NULL:
     * none. Set after upload_open.
     */
    int (*room)(void *room_ctx, const char *path, uint64_t need);
    void *room_ctx;
};

/* every other member zero, nettle's context included (its layout is nettle's) */
#define UPLOAD_INIT                                                                      \
    { .fd = -1 }

/* The prefix of every temp file's base name (followed by 6 random characters). */
#define UPLOAD_PREFIX "pcapchart-"

/*
 * Create dir (borrowed) with mode 0700 when it does not exist yet; an
 * existing directory is used as it is. 0, or -1 with err (500) when it cannot
 * be created or is not a directory. Called once at start.
 */
int upload_prepare_dir(const char *dir, struct err *err);

/*
 * Create the temp file in tmpdir (borrowed) for at most max_bytes bytes.
 * u must be UPLOAD_INIT or released. 0, or -1 with err (500, without our
 * path in the message; errno tells the cause) and u left released.
 */
int upload_open(struct upload *u, const char *tmpdir, uint64_t max_bytes,
                struct err *err);

/*
 * Append n bytes of data (borrowed) to the file. 0, or -1 with err:
 * 413 "upload larger than N bytes" when the cap would be passed (nothing of
 * this chunk is written, and every later call fails the same way), 507 when
 * the disk is full, 500 on other write errors or when u is not open. These
 * functions never log: on -1, errno still holds the cause for the caller.
 */
int upload_write(struct upload *u, const void *data, size_t n, struct err *err);

/*
 * The SHA-256 of every byte written (call it once the last one is). Returns
 * the 32 bytes (borrowed from u; valid until upload_release).
 */
const unsigned char *upload_digest(struct upload *u);

/*
 * Close the file descriptor but keep the file (so a reader such as tshark
 * sees every byte). Accepts a closed upload. 0, or -1 with err (500).
 */
int upload_close(struct upload *u, struct err *err);

/*
 * Close and unlink the file and reset u to UPLOAD_INIT. Accepts UPLOAD_INIT
 * and may be called any number of times.
 */
void upload_release(struct upload *u);

#endif
