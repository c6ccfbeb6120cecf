/*
 * fmt.h - numbers as text for every output: seconds, thousands separators,
 * values with a bounded number of digits. Pure functions; '.' is the point
 * whatever the locale (the server never calls setlocale).
 *
 * Each writes at most n bytes of dst (always NUL-terminated when n > 0;
 * 32 bytes are enough for any seconds or grouped count) and returns dst.
 */
#ifndef FMT_H
#define FMT_H

#include <stddef.h>
#include <stdint.h>

/*
 * ns as seconds: the 9 decimals of the fraction cut to max_dec, then trailing
 * zeros dropped down to min_dec (0 <= min_dec <= max_dec <= 9; no point when
 * no decimal is left). Exact, also for INT64_MIN. For example:
 *   (9, 9) "-0.011267000" (tshark's frame.time_relative)
 *   (0, 9) "1.5", "3", "-0.000000001"
 *   (1, 9) "0.1", "1.0"
 *   (6, 9) "1.500000", "1.500000001"
 *   (2, 2) "1.50"; (0, 0) "1"
 */
char *fmt_seconds(char *dst, size_t n, int64_t ns, int min_dec, int max_dec);

/* fmt_seconds of an unsigned ns count (a span that may not fit int64_t). */
char *fmt_seconds_u(char *dst, size_t n, uint64_t ns, int min_dec, int max_dec);

/*
 * num (borrowed: a decimal number as text, "-1234567.25") with thousands
 * separators in its integer part ("-1,234,567.25"), cut to fit.
 */
char *fmt_group_digits(char *dst, size_t n, const char *num);

/* v with thousands separators, "3,005,226"; as fmt_group_digits. */
char *fmt_thousands(char *dst, size_t n, uint64_t v);

/*
 * v as the exports print it: "%.0f" when integral, else at most 15
 * significant digits and 9 decimals, trailing zeros dropped but one kept
 * ("12.5", "3.0"); not finite: "0". 32 bytes are enough below 1e20.
 */
char *fmt_value(char *dst, size_t n, double v, int integral);

#endif
