/* test_axis.c - nice ticks and unit-aware labels. */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "render/axis.h"
#include "check.h"
#include "banned.h"

/* step is 1, 2 or 5 x 10^k */
static int nice_step(double step) {
    double e = floor(log10(step)), m = step / pow(10, e);

    return fabs(m - 1) < 1e-9 || fabs(m - 2) < 1e-9 || fabs(m - 5) < 1e-9 ||
           fabs(m - 10) < 1e-9;
}

/* The invariants of every axis: covers [lo, hi], even ticks, few enough. */
static int axis_ok(const struct axis *a, double lo, double hi, size_t max_ticks) {
    size_t i;

    if (a->nticks < 2 || a->nticks > max_ticks || a->nticks > AXIS_MAX_TICKS)
        return 0;
    if (!(a->step > 0) || !nice_step(a->step))
        return 0;
    if (a->lo != a->ticks[0] || a->hi != a->ticks[a->nticks - 1])
        return 0;
    if (isfinite(lo) && isfinite(hi) && (a->lo > lo || a->hi < hi))
        return 0;
    for (i = 1; i < a->nticks; i++)
        if (fabs(a->ticks[i] - a->ticks[i - 1] - a->step) > a->step * 1e-6)
            return 0;
    return 1;
}

static int label_is(char *(*fn)(char *, size_t, double, double), double v, double step,
                    const char *want) {
    char got[64];

    fn(got, sizeof(got), v, step);
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "label of %g (step %g) is '%s', want '%s'\n", v, step, got, want);
        return 0;
    }
    return 1;
}

static void test_nice(void) {
    struct axis a;

    axis_nice(&a, 0, 30.39, 8);
    CHECK(axis_ok(&a, 0, 30.39, 8) && a.step == 5 && a.lo == 0 && a.hi == 35);
    CHECK(a.nticks == 8 && a.ticks[3] == 15);

    axis_nice(&a, -0.011, 3069.05, 8);
    CHECK(axis_ok(&a, -0.011, 3069.05, 8) && a.step == 1000 && a.lo == -1000);
    axis_nice(&a, -0.011, 3069.05, 9);
    CHECK(axis_ok(&a, -0.011, 3069.05, 9) && a.step == 500 && a.lo == -500 &&
          a.hi == 3500);
    axis_nice_time(&a, -0.011, 3069.05, 8);
    CHECK(a.step == 600 && a.lo == -600 && a.hi == 3600 && a.nticks == 8); /* 10 min */
    axis_nice_time(&a, 0, 30.39, 8);
    CHECK(a.step == 5); /* below a minute: seconds */
    axis_nice_time(&a, 0, 300, 4);
    CHECK(a.step == 120 && a.hi == 360); /* 2 min, not 100 s */

    axis_nice(&a, 0, 1e-6, 6);
    CHECK(axis_ok(&a, 0, 1e-6, 6) && fabs(a.step - 2e-7) < 1e-20 && a.hi >= 1e-6);
    axis_nice(&a, 0, 1e-9, 11);
    CHECK(axis_ok(&a, 0, 1e-9, 11) && fabs(a.step - 1e-10) < 1e-22);

    axis_nice(&a, 5, 5, 8); /* one value: a small range around it */
    CHECK(axis_ok(&a, 5, 5, 8) && a.lo < 5 && a.hi > 5 && a.hi - a.lo <= 2);
    axis_nice(&a, 0, 0, 8);
    CHECK(axis_ok(&a, 0, 0, 8) && a.lo < 0 && a.hi > 0);
    axis_nice(&a, 1e9, 1e9 + 1e-9, 8); /* below double resolution: one value */
    CHECK(axis_ok(&a, 1e9, 1e9, 8));

    axis_nice(&a, NAN, 3, 8);
    CHECK(a.lo == 0 && a.hi == 1 && axis_ok(&a, 0, 1, 8));
    axis_nice(&a, 0, INFINITY, 8);
    CHECK(a.lo == 0 && a.hi == 1);
    axis_nice(&a, -1e308, 1e308, 8); /* the span overflows */
    CHECK(a.lo == 0 && a.hi == 1);

    axis_nice(&a, 10, -10, 5); /* reversed */
    CHECK(axis_ok(&a, -10, 10, 5) && a.lo == -10 && a.hi == 10);
    axis_nice(&a, -0.5, 0.5, 2); /* 2 counts as 3 */
    CHECK(axis_ok(&a, -0.5, 0.5, 3) && a.nticks == 3);
    axis_nice(&a, 0, 1514, 100); /* capped */
    CHECK(axis_ok(&a, 0, 1514, AXIS_MAX_TICKS));
    axis_nice(&a, 0.3, 0.9, 8); /* 0.3 / 0.1 is 2.9999...: no extra step */
    CHECK(axis_ok(&a, 0.3, 0.9, 8) && fabs(a.lo - 0.3) < 1e-12 &&
          fabs(a.hi - 0.9) < 1e-12);
    axis_nice(&a, -1105855669.595, 0.117, 8);
    CHECK(axis_ok(&a, -1105855669.595, 0.117, 8));
    axis_nice(&a, 0, 65535, 6);
    CHECK(axis_ok(&a, 0, 65535, 6) && a.step == 20000);
}

static void test_labels(void) {
    CHECK(label_is(axis_fmt_time, 0.25, 0.05, "250 ms"));
    CHECK(label_is(axis_fmt_time, 1.5, 0.5, "1.5 s"));
    CHECK(label_is(axis_fmt_time, 1.0, 0.5, "1 s"));
    CHECK(label_is(axis_fmt_time, 0, 0.5, "0 s"));
    CHECK(label_is(axis_fmt_time, -1e-5, 5e-6, "-10 \xC2\xB5s"));
    CHECK(label_is(axis_fmt_time, 2e-7, 2e-7, "0.2 \xC2\xB5s"));
    CHECK(label_is(axis_fmt_time, 120, 120, "2 min"));
    CHECK(label_is(axis_fmt_time, -600, 600, "-10 min"));
    CHECK(label_is(axis_fmt_time, 30, 5, "30 s"));
    CHECK(label_is(axis_fmt_time, 0.3, 0.1, "0.3 s"));
    CHECK(label_is(axis_fmt_time, 0.0015, 0.0005, "1500 \xC2\xB5s"));
    CHECK(label_is(axis_fmt_time, 0.012, 0.002, "12 ms"));
    CHECK(label_is(axis_fmt_time, -1e-18, 0.5, "0 s")); /* never "-0" */
    /* no step: the unit follows the value, three digits (summaries) */
    CHECK(label_is(axis_fmt_time, 30.393704, 0, "30.4 s"));
    CHECK(label_is(axis_fmt_time, 3069.061190, 0, "51.2 min"));
    CHECK(label_is(axis_fmt_time, 0.002, 0, "2 ms"));
    CHECK(label_is(axis_fmt_time, 0.070345, 0, "70.3 ms"));
    CHECK(label_is(axis_fmt_time, 0, 0, "0 s"));

    CHECK(label_is(axis_fmt_bytes, 0, 500, "0 B"));
    CHECK(label_is(axis_fmt_bytes, 500, 500, "500 B"));
    CHECK(label_is(axis_fmt_bytes, 1000, 500, "1 kB"));
    CHECK(label_is(axis_fmt_bytes, 1500, 500, "1.5 kB"));
    CHECK(label_is(axis_fmt_bytes, 512, 1, "512 B"));
    CHECK(label_is(axis_fmt_bytes, 2e6, 1e6, "2 MB"));
    CHECK(label_is(axis_fmt_bytes, 60000, 20000, "60 kB"));
    CHECK(label_is(axis_fmt_bytes, 1400, 200, "1.4 kB"));
    CHECK(label_is(axis_fmt_bytes, 1514, 0, "1.51 kB"));
    CHECK(label_is(axis_fmt_bytes, 993.7, 0, "994 B"));
    CHECK(label_is(axis_fmt_bytes, 1342177281, 0, "1342 MB")); /* MB is the largest */

    CHECK(label_is(axis_fmt_count, 950, 50, "950"));
    CHECK(label_is(axis_fmt_count, 1200, 100, "1.2k"));
    CHECK(label_is(axis_fmt_count, 3e6, 1e6, "3M"));
    CHECK(label_is(axis_fmt_count, 0, 1, "0"));
    CHECK(label_is(axis_fmt_count, -2500, 500, "-2.5k"));

    /* NaN and a tiny destination do not break anything */
    {
        char small[4];

        CHECK(strcmp(axis_fmt_time(small, sizeof(small), 123456, 1), "123") == 0);
        axis_fmt_bytes(small, 0, 1, 1); /* n == 0: nothing written */
        CHECK(label_is(axis_fmt_bytes, NAN, 1, "nan B"));
    }
}

/* The labels do not follow LC_NUMERIC, should anything ever set it. */
static void test_locale(void) {
    static const char *const LOCALES[] = {"de_DE.UTF-8", "fr_FR.UTF-8", "C.UTF-8"};
    size_t i;

    for (i = 0; i < sizeof(LOCALES) / sizeof(LOCALES[0]); i++) {
        if (setlocale(LC_NUMERIC, LOCALES[i]) == NULL)
            continue;
        CHECK(label_is(axis_fmt_time, 1.5, 0.5, "1.5 s"));
        CHECK(label_is(axis_fmt_bytes, 1500, 500, "1.5 kB"));
    }
    setlocale(LC_NUMERIC, "C");
}

int main(void) {
    test_nice();
    test_labels();
    test_locale();
    return CHECK_DONE();
}
