/*
 * sha256.h - the SHA-256 that names captures in the store, from nettle.
 *
 * The hashing is nettle's (<nettle/sha2.h>, FIPS 180-4): a struct
 * sha256_ctx, sha256_init(&c), then sha256_update(&c, n, data) on every
 * chunk written while the upload streams (nettle's order: length before
 * data). What is ours is the form of a capture's id: sha256_final() for its
 * 32 bytes, and its canonical text, 64 lower-case hex digits.
 * No allocation; a struct sha256_ctx belongs to one thread at a time.
 */
#ifndef SHA256_H
#define SHA256_H

#include <stddef.h>

#include <nettle/sha2.h>

#define SHA256_BYTES SHA256_DIGEST_SIZE         /* 32 */
#define SHA256_HEX_BYTES (2 * SHA256_BYTES + 1) /* 64 hex digits and the NUL */

/*
 * Finish: write the 32-byte digest of everything c was given to out. c is
 * reset as by sha256_init() (nettle's sha256_digest does that) and may be
 * used again.
 */
void sha256_final(struct sha256_ctx *c, unsigned char out[SHA256_BYTES]);

/* The digest as 64 lower-case hex digits and a NUL in hex. Returns hex. */
char *sha256_hex(const unsigned char d[SHA256_BYTES], char hex[SHA256_HEX_BYTES]);

/*
 * 64 lower-case hex digits (s, len bytes, borrowed) into d. 0, or -1 when
 * s is anything else (upper case included: the hex form is canonical).
 */
int sha256_parse_hex(const char *s, size_t len, unsigned char d[SHA256_BYTES]);

#endif
