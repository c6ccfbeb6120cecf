/* escape.c - see escape.h */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/escape.h"
#include "banned.h"

static const char REPLACEMENT[] = "\xEF\xBF\xBD"; /* U+FFFD */

/*
 * Length of the valid UTF-8 sequence at s (1-4), or 0 if it is not valid
 * (overlong forms, surrogates and code points past U+10FFFF are invalid).
 */
static size_t utf8_len(const unsigned char *s) {
    uint32_t cp;
    size_t n, i;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        n = 2;
        cp = s[0] & 0x1F;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        n = 3;
        cp = s[0] & 0x0F;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        n = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0; /* also stops at the NUL */
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/*
 * Walk s, appending runs of plain bytes as they are and asking repl() for
 * every ASCII byte it wants replaced (repl returns NULL to keep the byte).
 * Invalid UTF-8 and C0 controls other than those repl handles become U+FFFD.
 */
static int walk(struct buf *b, const char *s, const char *(*repl)(unsigned char c)) {
    const unsigned char *p = (const unsigned char *)s;
    const char *r;
    size_t n;

    while (*p != '\0') {
        n = utf8_len(p);
        if (n == 0) {
            if (buf_puts(b, REPLACEMENT) == -1)
                return -1;
            p++;
            continue;
        }
        if (n == 1 && (r = repl(*p)) != NULL) {
            if (buf_puts(b, r) == -1)
                return -1;
        } else if (n == 1 && (*p < 0x20 || *p == 0x7F)) {
            if (buf_puts(b, REPLACEMENT) == -1)
                return -1;
        } else if (buf_append(b, p, n) == -1) {
            return -1;
        }
        p += n;
    }
    return 0;
}

static const char *xml_repl(unsigned char c) {
    switch (c) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '"':
        return "&quot;";
    case '\'':
        return "&#39;";
    case '\t':
        return " ";
    default:
        return NULL;
    }
}

static const char *json_repl(unsigned char c) {
    switch (c) {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\t':
        return "\\t";
    case '<':
        return "\\u003c"; /* keeps "</script>" inert if JSON is ever inlined */
    default:
        return NULL;
    }
}

static const char *csv_repl(unsigned char c) {
    switch (c) {
    case '"':
        return "\"\"";
    case '\n':
        return "\n";
    case '\r':
        return "\r";
    default:
        return NULL;
    }
}

int esc_xml(struct buf *b, const char *s) {
    return walk(b, s, xml_repl);
}

int esc_json(struct buf *b, const char *s) {
    if (buf_puts(b, "\"") == -1 || walk(b, s, json_repl) == -1)
        return -1;
    return buf_puts(b, "\"");
}

int esc_csv(struct buf *b, const char *s) {
    int quote = strpbrk(s, ",\"\r\n") != NULL;

    /* a leading = + - @ would make spreadsheets run a formula: quote and prefix */
    if (strchr("=+-@", s[0]) != NULL && s[0] != '\0') {
        if (buf_puts(b, "\"'") == -1 || walk(b, s, csv_repl) == -1)
            return -1;
        return buf_puts(b, "\"");
    }
    if (!quote)
        return walk(b, s, csv_repl);
    if (buf_puts(b, "\"") == -1 || walk(b, s, csv_repl) == -1)
        return -1;
    return buf_puts(b, "\"");
}

int hex_value(int c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
