/* clock.h - the one monotonic clock of the program. */
#ifndef BASE_CLOCK_H
#define BASE_CLOCK_H

#include <stdint.h>

/* Milliseconds of CLOCK_MONOTONIC: only differences mean something. */
int64_t mono_now_ms(void);

#endif
