/* test_fmt.c - seconds, thousands separators and values as text (base/fmt.h). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/fmt.h"
#include "check.h"
#include "banned.h"

static int secs_is(int64_t ns, int lo, int hi, const char *want) {
    char got[32];

    fmt_seconds(got, sizeof(got), ns, lo, hi);
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "%lld ns (%d, %d) as '%s', want '%s'\n", (long long)ns, lo, hi,
                got, want);
        return 0;
    }
    return 1;
}

/* every seconds formatter of the tree, one function */
static void test_seconds(void) {
    char d[32];

    /* exports: 9 decimals, as tshark prints frame.time_relative */
    CHECK(secs_is(0, 9, 9, "0.000000000"));
    CHECK(secs_is(-11267000, 9, 9, "-0.011267000"));
    CHECK(secs_is(INT64_MIN, 9, 9, "-9223372036.854775808"));
    CHECK(secs_is(INT64_MAX, 9, 9, "9223372036.854775807"));
    /* query strings and labels: trailing zeros and a bare point dropped */
    CHECK(secs_is(0, 0, 9, "0"));
    CHECK(secs_is(-1, 0, 9, "-0.000000001"));
    CHECK(secs_is(1500000000, 0, 9, "1.5"));
    CHECK(secs_is(-2000000000, 0, 9, "-2"));
    CHECK(secs_is(INT64_MIN, 0, 9, "-9223372036.854775808"));
    /* the JSON's interval: one decimal kept */
    CHECK(secs_is(100000000, 1, 9, "0.1"));
    CHECK(secs_is(1000000000, 1, 9, "1.0"));
    CHECK(secs_is(1000, 1, 9, "0.000001"));
    /* tooltips: 6 to 9 decimals */
    CHECK(secs_is(1500000000, 6, 9, "1.500000"));
    CHECK(secs_is(1500000001, 6, 9, "1.500000001"));
    CHECK(secs_is(1500000010, 6, 9, "1.50000001"));
    /* cut (not rounded) to a number of decimals */
    CHECK(secs_is(1999999999, 2, 2, "1.99"));
    CHECK(secs_is(1999999999, 0, 0, "1"));
    CHECK(secs_is(-1999999999, 3, 3, "-1.999"));
    /* out-of-range decimals are clamped */
    CHECK(secs_is(1500000000, -3, 12, "1.5"));
    CHECK(secs_is(1500000000, 5, 2, "1.50"));
    CHECK(strcmp(fmt_seconds_u(d, sizeof(d), UINT64_MAX, 9, 9),
                 "18446744073.709551615") == 0);
    CHECK(strcmp(fmt_seconds(d, 5, 1500000000, 9, 9), "1.50") == 0); /* cut to n */
}

/* thousands separators: in the integer part only, after a sign, cut to fit */
static void test_thousands(void) {
    char d[32];

    CHECK(strcmp(fmt_thousands(d, sizeof(d), 0), "0") == 0);
    CHECK(strcmp(fmt_thousands(d, sizeof(d), 999), "999") == 0);
    CHECK(strcmp(fmt_thousands(d, sizeof(d), 1000), "1,000") == 0);
    CHECK(strcmp(fmt_thousands(d, sizeof(d), 3005226), "3,005,226") == 0);
    CHECK(strcmp(fmt_thousands(d, sizeof(d), UINT64_MAX), "18,446,744,073,709,551,615") ==
          0);
    CHECK(strcmp(fmt_group_digits(d, sizeof(d), "-1234567.2500"), "-1,234,567.2500") ==
          0);
    CHECK(strcmp(fmt_group_digits(d, sizeof(d), "-123.4567"), "-123.4567") == 0);
    CHECK(strcmp(fmt_group_digits(d, 6, "1234567"), "1,23") == 0); /* within n */
}

static void test_value(void) {
    char d[64];

    CHECK(strcmp(fmt_value(d, sizeof(d), 12, 1), "12") == 0);
    CHECK(strcmp(fmt_value(d, sizeof(d), 12.5, 0), "12.5") == 0);
    CHECK(strcmp(fmt_value(d, sizeof(d), 3, 0), "3.0") == 0);
    CHECK(strcmp(fmt_value(d, sizeof(d), -0.0, 0), "0.0") == 0);
    CHECK(strcmp(fmt_value(d, sizeof(d), 1.0 / 3, 0), "0.333333333") == 0);
    CHECK(strcmp(fmt_value(d, sizeof(d), 123456789.123456789, 0), "123456789.123457") ==
          0);
    CHECK(strcmp(fmt_value(d, sizeof(d), NAN, 0), "0") == 0);
    CHECK(strcmp(fmt_value(d, sizeof(d), INFINITY, 1), "0") == 0);
}

int main(void) {
    test_seconds();
    test_thousands();
    test_value();
    return CHECK_DONE();
}
