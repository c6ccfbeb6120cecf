/*
 * sha256.h - SHA-256 (FIPS 180-4), small and dependency-free.
 *
 * Used to name captures in the store by their content while the upload
 * streams: sha256_update() on every chunk written, sha256_final() once.
 * No allocation; a struct sha256 belongs to one thread at a time.
 */
#ifndef SHA256_H
#define SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_BYTES 32
#define SHA256_HEX_BYTES (2 * SHA256_BYTES + 1) /* 64 hex digits and the NUL */

struct sha256 {
    uint32_t h[8];         /* chaining state */
    uint64_t bytes;        /* message length so far */
    unsigned char blk[64]; /* the partial block */
    size_t nblk;           /* bytes in blk */
};

/* Start a new digest. */
void sha256_init(struct sha256 *s);

/* Add n bytes of data (borrowed). Any split of the message gives the same digest. */
void sha256_update(struct sha256 *s, const void *data, size_t n);

/*
 * Finish: write the 32-byte digest to out. s must be sha256_init'ed again
 * before another use.
 */
void sha256_final(struct sha256 *s, unsigned char out[SHA256_BYTES]);

/* The digest as 64 lower-case hex digits and a NUL in hex. Returns hex. */
char *sha256_hex(const unsigned char d[SHA256_BYTES], char hex[SHA256_HEX_BYTES]);

/*
 * 64 lower-case hex digits (s, len bytes, borrowed) into d. 0, or -1 when
 * s is anything else (upper case included: the hex form is canonical).
 */
int sha256_parse_hex(const char *s, size_t len, unsigned char d[SHA256_BYTES]);

#endif
