/*
 * clock.h - the one monotonic clock of the program, and deadlines on it.
 *
 * A deadline is a mono_now_ms() time; 0 means none. One analysis has one
 * deadline, set once (pipeline) and handed down to every child it runs,
 * each of which gets what is left.
 */
#ifndef BASE_CLOCK_H
#define BASE_CLOCK_H

#include <stdint.h>

/* Milliseconds of CLOCK_MONOTONIC (from an arbitrary start). */
int64_t mono_now_ms(void);

/*
 * The deadline timeout_ms after from_ms (saturated, never 0); 0 (none) when
 * timeout_ms <= 0.
 */
int64_t clock_deadline(int64_t from_ms, int64_t timeout_ms);

/* The sooner of two deadlines, either of which may be 0 (none). */
int64_t clock_sooner(int64_t a_ms, int64_t b_ms);

/*
 * Milliseconds left at now_ms until deadline_ms: 0 once it passed,
 * INT64_MAX when there is none (0).
 */
int64_t clock_left_ms(int64_t deadline_ms, int64_t now_ms);

/* 1 when deadline_ms is set and now_ms is at or past it, else 0. */
int clock_passed(int64_t deadline_ms, int64_t now_ms);

#endif
