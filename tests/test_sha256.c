/* test_sha256.c - FIPS 180-4 vectors, block boundaries, any split, hex round trip. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sha256.h"
#include "check.h"
#include "banned.h"

/* The hex digest of n bytes of data fed in pieces of step bytes (0: at once). */
static const char *digest(const void *data, size_t n, size_t step) {
    static char hex[SHA256_HEX_BYTES];
    unsigned char d[SHA256_BYTES];
    const unsigned char *p = data;
    struct sha256_ctx s;
    size_t off, k;

    sha256_init(&s);
    if (step == 0) {
        sha256_update(&s, n, p);
    } else {
        for (off = 0; off < n; off += k) {
            k = n - off < step ? n - off : step;
            sha256_update(&s, k, p + off);
        }
    }
    sha256_final(&s, d);
    return sha256_hex(d, hex);
}

static void test_vectors(void) {
    static const char *const v[][2] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmn"
         "opqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    };
    size_t i, step;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        for (step = 0; step <= 7; step++)
            CHECK(strcmp(digest(v[i][0], strlen(v[i][0]), step), v[i][1]) == 0);
}

static void test_million_a(void) {
    char *a = malloc(1000000);

    CHECK(a != NULL);
    if (a == NULL)
        return;
    memset(a, 'a', 1000000);
    CHECK(strcmp(digest(a, 1000000, 0),
                 "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") ==
          0);
    CHECK(strcmp(digest(a, 1000000, 4093),
                 "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") ==
          0);
    free(a);
}

/* Lengths around the padding boundaries (56 and 64 mod 64), from Python's hashlib. */
static void test_boundaries(void) {
    static const struct {
        size_t n;
        const char *hex;
    } v[] = {
        {55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b"},
        {56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27"},
        {57, "35df609437dcfea3279283ab79fd554e2bf78f8f7ae2de532d8ee300b09e8f73"},
        {63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055"},
        {64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241"},
        {65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e"},
        {119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e"},
        {120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5"},
        {127, "a8d23e75d936f303d248888d9b165ee543f4cbafcad3c9dd2a79bd84faa11d07"},
        {128, "d2742f1f4ac6bb7ca2b239ee18402ba8b3f9f8e652d2a72973c2b9ba11c08cf6"},
        {129, "307f8fc2c1622b92762e818d39a185d4d667ad49a4b07ceae1f4afa008a93ec4"},
    };
    unsigned char buf[129];
    size_t i, step;

    for (i = 0; i < sizeof(buf); i++)
        buf[i] = (unsigned char)((i * 7 + 3) & 255);
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        for (step = 0; step <= 65; step += (step < 3 ? 1 : 31))
            CHECK(strcmp(digest(buf, v[i].n, step), v[i].hex) == 0);
}

static void test_hex(void) {
    static const char ok[] =
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    unsigned char d[SHA256_BYTES];
    char hex[SHA256_HEX_BYTES], bad[sizeof(ok)];

    CHECK(sha256_parse_hex(ok, strlen(ok), d) == 0);
    CHECK(d[0] == 0xba && d[31] == 0xad);
    CHECK(strcmp(sha256_hex(d, hex), ok) == 0);
    CHECK(sha256_parse_hex(ok, strlen(ok) - 1, d) == -1);
    CHECK(sha256_parse_hex(ok, 0, d) == -1);
    memcpy(bad, ok, sizeof(ok));
    bad[10] = 'A'; /* upper case is not the canonical form */
    CHECK(sha256_parse_hex(bad, strlen(bad), d) == -1);
    bad[10] = 'g';
    CHECK(sha256_parse_hex(bad, strlen(bad), d) == -1);
    bad[10] = '/';
    CHECK(sha256_parse_hex(bad, strlen(bad), d) == -1);
}

/* A real capture, when CAPTURES_DIR holds it: capinfos printed this digest. */
static void test_capture_file(void) {
    const char *dir = getenv("CAPTURES_DIR");
    char path[4096], hex[SHA256_HEX_BYTES], buf[777];
    unsigned char d[SHA256_BYTES];
    struct sha256_ctx s;
    size_t n;
    FILE *fp;

    if (dir == NULL || snprintf(path, sizeof(path), "%s/dev/http.cap", dir) >= 4096 ||
        (fp = fopen(path, "rb")) == NULL)
        return;
    sha256_init(&s);
    while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
        sha256_update(&s, n, (const uint8_t *)buf);
    fclose(fp);
    sha256_final(&s, d);
    CHECK(strcmp(sha256_hex(d, hex),
                 "25a72bdf10339f2c29916920c8b9501d294923108de8f29b19aba7cc001ab60d") ==
          0);
}

int main(void) {
    test_vectors();
    test_million_a();
    test_boundaries();
    test_hex();
    test_capture_file();
    return CHECK_DONE();
}
