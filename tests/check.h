/*
 * check.h - the whole unit-test framework (after redis' testhelp.h).
 *
 * CHECK(cond) reports file:line and the condition when it is false and
 * counts the failure; CHECK_DONE() prints "N passed, N failed" and is the
 * return value of main.
 */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (cond) {                                                                      \
            check_passed++;                                                              \
        } else {                                                                         \
            check_failed++;                                                              \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);     \
        }                                                                                \
    } while (0)

#define CHECK_DONE()                                                                     \
    (printf("%d passed, %d failed\n", check_passed, check_failed),                       \
     check_failed == 0 ? 0 : 1)

#endif
