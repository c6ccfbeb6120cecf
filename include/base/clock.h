/*
 * clock.h - the one monotonic clock of the tree.
 *
 * Deadlines (a child's, a warm pool's retry, a store entry's last use) are
 * times of this clock: it never jumps when the wall clock is set.
 * Thread-safe.
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

/* Milliseconds of CLOCK_MONOTONIC (from an arbitrary start). */
int64_t mono_now_ms(void);

#endif
