/* sha256.c - see sha256.h (the hashing itself is nettle's) */
#include "base/escape.h"
#include "base/sha256.h"
#include "banned.h"

void sha256_final(struct sha256_ctx *c, unsigned char out[SHA256_BYTES]) {
    sha256_digest(c, SHA256_BYTES, out);
}

char *sha256_hex(const unsigned char d[SHA256_BYTES], char hex[SHA256_HEX_BYTES]) {
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < SHA256_BYTES; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[2 * SHA256_BYTES] = '\0';
    return hex;
}

/* A lower-case hex digit's value, or -1: the id's hex form is canonical. */
static int nibble(char c) {
    return c >= 'A' && c <= 'F' ? -1 : hex_value((unsigned char)c);
}

int sha256_parse_hex(const char *s, size_t len, unsigned char d[SHA256_BYTES]) {
    int hi, lo;
    size_t i;

    if (len != 2 * SHA256_BYTES)
        return -1;
    for (i = 0; i < SHA256_BYTES; i++) {
        if ((hi = nibble(s[2 * i])) == -1 || (lo = nibble(s[2 * i + 1])) == -1)
            return -1;
        d[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}
