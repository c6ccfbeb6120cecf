/*
 * fuzz_escape.c - libFuzzer harness of esc_xml, esc_json and esc_csv.
 *
 * The input (up to its first NUL) is escaped three ways. Each output must be
 * valid UTF-8 (checked here by a strict decoder of our own: no overlong
 * forms, surrogates or code points past U+10FFFF) and must mean what the
 * input meant, with every invalid byte and control character as U+FFFD:
 *   xml   no raw < > " ' and no control byte; every & starts an entity;
 *         decoding the entities gives the expected text (tab -> space);
 *   json  jansson reads it back as one string equal to the expected text
 *         (\n \r \t kept), and no raw '<' is left (safe inside <script>);
 *   csv   one field: unquoted only when it holds none of , " CR LF; quoted
 *         with "" doubled otherwise; a leading = + - @ gets a "' prefix.
 * Then the same with a tiny buf cap: must fail cleanly (-1), never overflow.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/escape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FFFD "\xEF\xBF\xBD"

static void fail(const char *what, const char *in, const struct buf *out) {
    size_t i;

    fprintf(stderr, "fuzz_escape: %s\n  input: ", what);
    for (i = 0; in[i] != '\0'; i++)
        fprintf(stderr, "\\x%02x", (unsigned char)in[i]);
    fprintf(stderr, "\n  output: ");
    for (i = 0; out != NULL && i < out->len; i++)
        fprintf(stderr, "\\x%02x", (unsigned char)out->data[i]);
    fprintf(stderr, "\n");
    abort();
}

/* Length of the valid UTF-8 sequence at s[0..n), 0 when invalid. */
static size_t u8len(const unsigned char *s, size_t n, uint32_t *cp_out) {
    uint32_t cp, min;
    size_t len, i;

    if (n == 0)
        return 0;
    if (s[0] < 0x80) {
        *cp_out = s[0];
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0) {
        len = 2, cp = s[0] & 0x1F, min = 0x80;
    } else if ((s[0] & 0xF0) == 0xE0) {
        len = 3, cp = s[0] & 0x0F, min = 0x800;
    } else if ((s[0] & 0xF8) == 0xF0) {
        len = 4, cp = s[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    *cp_out = cp;
    return len;
}

static int valid_utf8(const char *s, size_t n) {
    size_t i = 0, l;
    uint32_t cp;

    while (i < n) {
        if ((l = u8len((const unsigned char *)s + i, n - i, &cp)) == 0)
            return 0;
        i += l;
    }
    return 1;
}

/*
 * The text the output must stand for: in with invalid bytes and controls as
 * U+FFFD, except the controls keep[] names (mapped to map[] of them).
 */
static void expected(struct buf *e, const char *in, const char *keep, const char *map) {
    const unsigned char *p = (const unsigned char *)in;
    size_t n = strlen(in), i = 0, l;
    uint32_t cp;
    const char *k;

    while (i < n) {
        l = u8len(p + i, n - i, &cp);
        if (l == 0) {
            buf_puts(e, FFFD);
            i++;
            continue;
        }
        if (l == 1 && (cp < 0x20 || cp == 0x7F)) {
            k = cp != 0 ? strchr(keep, (int)cp) : NULL;
            if (k != NULL)
                buf_append(e, map + (k - keep), 1);
            else
                buf_puts(e, FFFD);
        } else {
            buf_append(e, p + i, l);
        }
        i += l;
    }
}

static void check_xml(const char *in, size_t cap) {
    struct buf out = BUF_INIT(cap), dec = BUF_INIT(cap), want = BUF_INIT(cap);
    static const char *const ent[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
    static const char lit[] = "&<>\"'";
    size_t i, k;

    if (esc_xml(&out, in) == -1)
        fail("esc_xml failed with room to spare", in, &out);
    if (!valid_utf8(out.data ? out.data : "", out.len))
        fail("esc_xml output is not valid UTF-8", in, &out);
    for (i = 0; i < out.len; i++) {
        unsigned char c = (unsigned char)out.data[i];
        if (c < 0x20 || c == 0x7F || c == '<' || c == '>' || c == '"' || c == '\'')
            fail("esc_xml output holds a raw special or control byte", in, &out);
        if (c != '&') {
            buf_append(&dec, &out.data[i], 1);
            continue;
        }
        for (k = 0; k < 5; k++)
            if (strncmp(out.data + i, ent[k], strlen(ent[k])) == 0)
                break;
        if (k == 5)
            fail("esc_xml output has an '&' that starts no known entity", in, &out);
        buf_append(&dec, &lit[k], 1);
        i += strlen(ent[k]) - 1;
    }
    expected(&want, in, "\t", " ");
    if (dec.len != want.len || (dec.len > 0 && memcmp(dec.data, want.data, dec.len) != 0))
        fail("esc_xml output does not decode to the input", in, &out);
    buf_release(&out);
    buf_release(&dec);
    buf_release(&want);
}

static void check_json(const char *in, size_t cap) {
    struct buf out = BUF_INIT(cap), want = BUF_INIT(cap);
    json_error_t jerr;
    json_t *v;

    if (esc_json(&out, in) == -1)
        fail("esc_json failed with room to spare", in, &out);
    if (!valid_utf8(out.data, out.len))
        fail("esc_json output is not valid UTF-8", in, &out);
    if (memchr(out.data, '<', out.len) != NULL)
        fail("esc_json output holds a raw '<'", in, &out);
    v = json_loadb(out.data, out.len, JSON_DECODE_ANY, &jerr);
    if (v == NULL || !json_is_string(v))
        fail("esc_json output is not one JSON string", in, &out);
    expected(&want, in, "\t\n\r", "\t\n\r");
    if (json_string_length(v) != want.len ||
        (want.len > 0 && memcmp(json_string_value(v), want.data, want.len) != 0))
        fail("esc_json output does not decode to the input", in, &out);
    json_decref(v);
    buf_release(&out);
    buf_release(&want);
}

static void check_csv(const char *in, size_t cap) {
    struct buf out = BUF_INIT(cap), dec = BUF_INIT(cap), want = BUF_INIT(cap);
    int formula = in[0] != '\0' && strchr("=+-@", in[0]) != NULL;
    size_t i;

    if (esc_csv(&out, in) == -1)
        fail("esc_csv failed with room to spare", in, &out);
    if (out.len > 0 && !valid_utf8(out.data, out.len))
        fail("esc_csv output is not valid UTF-8", in, &out);
    if (formula)
        buf_puts(&want, "'");
    expected(&want, in, "\n\r", "\n\r");
    if (out.len == 0 || out.data[0] != '"') {
        if (formula)
            fail("esc_csv left a leading = + - @ unquoted", in, &out);
        for (i = 0; i < out.len; i++)
            if (strchr(",\"\r\n", out.data[i]) != NULL && out.data[i] != '\0')
                fail("esc_csv output holds , \" CR or LF unquoted", in, &out);
        buf_append(&dec, out.data ? out.data : "", out.len);
    } else {
        if (out.len < 2 || out.data[out.len - 1] != '"')
            fail("esc_csv quoted field does not end with a quote", in, &out);
        for (i = 1; i + 1 < out.len; i++) {
            if (out.data[i] == '"') {
                if (out.data[i + 1] != '"' || i + 2 >= out.len)
                    fail("esc_csv quoted field holds a lone quote", in, &out);
                i++;
            }
            buf_append(&dec, &out.data[i], 1);
        }
    }
    if (dec.len != want.len || (dec.len > 0 && memcmp(dec.data, want.data, dec.len) != 0))
        fail("esc_csv field does not decode to the input", in, &out);
    buf_release(&out);
    buf_release(&dec);
    buf_release(&want);
}

/* A cap too small for the output: -1, and nothing written past the cap. */
static void check_small_cap(const char *in, size_t cap) {
    int (*const fn[3])(struct buf *, const char *) = {esc_xml, esc_json, esc_csv};
    size_t i;

    for (i = 0; i < 3; i++) {
        struct buf out = BUF_INIT(cap);
        int rc = fn[i](&out, in);
        if (out.len > cap)
            fail("escaped output passed the buf cap", in, &out);
        if (rc != 0 && rc != -1)
            fail("escape function returned neither 0 nor -1", in, &out);
        buf_release(&out);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *in = malloc(size + 1);
    size_t cap;

    if (in == NULL)
        return 0;
    memcpy(in, data, size);
    in[size] = '\0';
    cap = 16 * size + 64; /* the longest escape is 8 bytes per input byte */
    check_xml(in, cap);
    check_json(in, cap);
    check_csv(in, cap);
    check_small_cap(in, size > 0 ? (size_t)data[0] % (size + 1) : 0);
    free(in);
    return 0;
}
