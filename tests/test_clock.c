/* test_clock.c - deadline arithmetic: one deadline per request, what is left of it. */
#include <stdint.h>

#include "base/clock.h"
#include "check.h"
#include "banned.h"

static void test_deadline(void) {
    /* none without a timeout */
    CHECK(clock_deadline(1000, 0) == 0);
    CHECK(clock_deadline(1000, -5) == 0);
    CHECK(clock_deadline(1000, 5000) == 6000);
    /* saturates, and is never 0 (that means none) */
    CHECK(clock_deadline(INT64_MAX - 10, 100) == INT64_MAX);
    CHECK(clock_deadline(-5000, 5000) == 1);
}

static void test_sooner(void) {
    CHECK(clock_sooner(0, 0) == 0);
    CHECK(clock_sooner(0, 7) == 7);
    CHECK(clock_sooner(7, 0) == 7);
    CHECK(clock_sooner(7, 9) == 7);
    CHECK(clock_sooner(9, 7) == 7);
}

static void test_left(void) {
    CHECK(clock_left_ms(0, 123) == INT64_MAX);
    CHECK(clock_left_ms(5000, 1000) == 4000);
    CHECK(clock_left_ms(5000, 5000) == 0);
    CHECK(clock_left_ms(5000, 9000) == 0);
    CHECK(!clock_passed(0, INT64_MAX));
    CHECK(!clock_passed(5000, 4999));
    CHECK(clock_passed(5000, 5000));
    CHECK(clock_passed(5000, 6000));
}

/*
 * One request, 8 series, --timeout 3: the deadline is set once; each run
 * gets what is left, so the whole takes 3 s whatever the series count (the
 * old way, a deadline per run, gave 8 x 3 s).
 */
static void test_shared(void) {
    int64_t start = 100000, deadline = clock_deadline(start, 3000), now = start;
    int64_t run_ms = 1000; /* each run would take 1 s */
    int runs = 0, i;

    for (i = 0; i < 8; i++) {
        int64_t left;

        if (clock_passed(deadline, now))
            break; /* the series left are not run */
        left = clock_left_ms(deadline, now);
        now += run_ms < left ? run_ms : left;
        runs++;
    }
    CHECK(runs == 3 && now == start + 3000);
    /* a filter check's own limit: the sooner one wins */
    CHECK(clock_sooner(deadline, now + 30000) == deadline);
}

int main(void) {
    test_deadline();
    test_sooner();
    test_left();
    test_shared();
    return CHECK_DONE();
}
