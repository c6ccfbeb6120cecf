/*
 * axis.h - "nice" tick values and unit-aware tick labels. Pure functions.
 */
#ifndef AXIS_H
#define AXIS_H

#include <stddef.h>
#include <stdint.h>

#define AXIS_MAX_TICKS 16

struct axis {
    double lo, hi; /* data range after widening to whole steps */
    double step;   /* 1, 2 or 5 times a power of ten (of the unit) */
    size_t nticks;
    double ticks[AXIS_MAX_TICKS]; /* lo, lo+step, ... <= hi */
};

/*
 * Choose ticks for [lo, hi] with at most max_ticks (2..AXIS_MAX_TICKS) ticks,
 * widening the range to whole steps. lo == hi gives a small range around it;
 * non-finite input gives [0, 1]. max_ticks below 3 counts as 3 (a range
 * around 0 always has -step, 0 and step).
 */
void axis_nice(struct axis *a, double lo, double hi, size_t max_ticks);

/*
 * axis_nice for a time range in seconds: steps of 1, 2 or 5 x 10^k seconds
 * up to 50 s, of 1, 2 or 5 x 10^k minutes above (60 s, 120 s, 300 s...).
 */
void axis_nice_time(struct axis *a, double lo_s, double hi_s, size_t max_ticks);

/*
 * Tick labels, the three below: no trailing zeros ("1.5 s", not "1.50 s"),
 * never "-0", and '.' as the point whatever the locale. A step <= 0 means
 * "no step": the unit follows the value, with about three significant
 * digits ("30.4 s", "51.2 min", "1.51 kB"), for summaries.
 */

/*
 * Label a time tick in seconds using the unit that fits step: "µs", "ms",
 * "s", or "min" (e.g. "250 ms", "1.5 s", "-10 µs"). Writes at most n bytes
 * of dst (always NUL-terminated). Returns dst.
 */
char *axis_fmt_time(char *dst, size_t n, double seconds, double step);

/*
 * Label a byte count tick: "0 B", "512 B", "1.5 kB", "2 MB" (1 kB = 1000 B).
 * The unit follows the value, the decimals the step.
 */
char *axis_fmt_bytes(char *dst, size_t n, double bytes, double step);

/* Label a count tick: "950", "1.2k", "3M". The unit follows the value. */
char *axis_fmt_count(char *dst, size_t n, double count, double step);

/*
 * Label a value with an SI prefix up to T (1000-based) and unit (borrowed):
 * unit "" gives "950", "1.2k", "3G"; unit "B" gives "512 B", "1.5 kB",
 * "2 GB". The prefix follows the value, the decimals the step.
 */
char *axis_fmt_si(char *dst, size_t n, double v, double step, const char *unit);

#endif
