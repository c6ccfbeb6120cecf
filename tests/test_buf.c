/* test_buf.c - buf and escape: caps, growth, detach, escaping. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/escape.h"
#include "check.h"
#include "banned.h"

static void test_cap(void) {
    struct buf b = BUF_INIT(8);

    CHECK(buf_puts(&b, "1234") == 0);
    CHECK(buf_printf(&b, "%d", 5678) == 0);
    CHECK(b.len == 8 && strcmp(b.data, "12345678") == 0);
    errno = 0;
    CHECK(buf_puts(&b, "9") == -1 && errno == E2BIG);
    CHECK(b.len == 8 && strcmp(b.data, "12345678") == 0);
    buf_consume(&b, 3);
    CHECK(strcmp(b.data, "45678") == 0);
    buf_release(&b);
    CHECK(b.data == NULL && b.len == 0);
    buf_release(&b); /* twice is fine */
}

static void test_detach(void) {
    struct buf b = BUF_INIT(1 << 20);
    size_t len = 99;
    char *p;
    int i;

    for (i = 0; i < 10000; i++)
        CHECK(buf_printf(&b, "%d,", i % 10) == 0);
    CHECK(b.len == 20000);
    p = buf_detach(&b, &len);
    CHECK(p != NULL && len == 20000 && p[20000] == '\0');
    CHECK(b.data == NULL && b.len == 0 && b.max == (1 << 20));
    free(p);
    p = buf_detach(&b, &len); /* empty buf still gives a string */
    CHECK(p != NULL && len == 0 && p[0] == '\0');
    free(p);
}

static int esc_eq(int (*fn)(struct buf *, const char *), const char *in,
                  const char *want) {
    struct buf b = BUF_INIT(4096);
    int ok = fn(&b, in) == 0 && b.data != NULL && strcmp(b.data, want) == 0;

    if (!ok)
        fprintf(stderr, "escape of '%s' gave '%s', want '%s'\n", in,
                b.data ? b.data : "(null)", want);
    buf_release(&b);
    return ok;
}

static void test_escape(void) {
    CHECK(esc_eq(esc_xml, "<script>alert('x')</script>&\"",
                 "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"));
    CHECK(esc_eq(esc_xml, "caf\xC3\xA9 \xE2\x82\xAC", "caf\xC3\xA9 \xE2\x82\xAC"));
    /* invalid UTF-8: lone continuation, overlong '/', surrogate, control */
    CHECK(esc_eq(esc_xml, "a\x80z", "a\xEF\xBF\xBDz"));
    CHECK(esc_eq(esc_xml, "\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD"));
    CHECK(esc_eq(esc_xml, "\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"));
    CHECK(esc_eq(esc_xml,
                 "a\x01"
                 "b",
                 "a\xEF\xBF\xBD"
                 "b"));
    CHECK(esc_eq(esc_json, "a\"b\\c\nd</x>", "\"a\\\"b\\\\c\\nd\\u003c/x>\""));
    CHECK(esc_eq(esc_csv, "plain.pcap", "plain.pcap"));
    CHECK(esc_eq(esc_csv, "a,b\"c", "\"a,b\"\"c\""));
    CHECK(esc_eq(esc_csv, "=cmd()", "\"'=cmd()\""));
}

int main(void) {
    test_cap();
    test_detach();
    test_escape();
    return CHECK_DONE();
}
