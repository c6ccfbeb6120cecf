/* clock.c - the monotonic clock and deadline arithmetic (see clock.h) */
#include <stdint.h>
#include <time.h>

#include "base/clock.h"
#include "banned.h"

int64_t mono_now_ms(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_deadline(int64_t from_ms, int64_t timeout_ms) {
    int64_t d;

    if (timeout_ms <= 0)
        return 0;
    d = from_ms > INT64_MAX - timeout_ms ? INT64_MAX : from_ms + timeout_ms;
    return d == 0 ? 1 : d; /* 0 would mean none */
}

int64_t clock_sooner(int64_t a_ms, int64_t b_ms) {
    if (a_ms == 0)
        return b_ms;
    if (b_ms == 0)
        return a_ms;
    return a_ms < b_ms ? a_ms : b_ms;
}

int64_t clock_left_ms(int64_t deadline_ms, int64_t now_ms) {
    if (deadline_ms == 0)
        return INT64_MAX;
    if (now_ms >= deadline_ms)
        return 0;
    /* both are mono times: the difference of two non-negative values fits */
    return deadline_ms - now_ms;
}

int clock_passed(int64_t deadline_ms, int64_t now_ms) {
    return deadline_ms != 0 && now_ms >= deadline_ms;
}
