/* axis.c - see axis.h */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "render/axis.h"
#include "banned.h"

/* Below this span relative to the values, the range counts as a single value. */
#define REL_EPS 1e-12
/* Slack when a value divided by the step should be a whole number. */
#define IDX_EPS 1e-12
#define IDX_REL_EPS 1e-14
/* Largest number of decimals a label gets. */
#define MAX_DECIMALS 9

static double pow10i(int e) {
    double p = 1;

    for (; e > 0; e--)
        p *= 10;
    return p;
}

/* m * 10^e, computed so that e < 0 divides by an exact power of ten. */
static double scaled(double m, int e) {
    return e >= 0 ? m * pow10i(e) : m / pow10i(-e);
}

void axis_nice(struct axis *a, double lo, double hi, size_t max_ticks) {
    static const int MULT[] = {1, 2, 5};
    double span, mag, k0, k1, step = 1;
    int e, i, m = 1;
    size_t n;

    if (max_ticks < 3)
        max_ticks = 3; /* a range around 0 needs -step, 0, step */
    if (max_ticks > AXIS_MAX_TICKS)
        max_ticks = AXIS_MAX_TICKS;
    if (!isfinite(lo) || !isfinite(hi) || !isfinite(hi - lo)) {
        lo = 0;
        hi = 1;
    }
    if (lo > hi) {
        double t = lo;

        lo = hi;
        hi = t;
    }
    mag = fmax(fabs(lo), fabs(hi));
    if (hi - lo <= mag * REL_EPS || hi - lo < 1e-280) {
        double d = mag > 0 ? mag * 0.1 : 1;

        lo -= d;
        hi += d;
    }
    span = hi - lo;

    /* smallest 1/2/5 x 10^e step with which the widened range has few enough ticks */
    e = (int)floor(log10(span / (double)(max_ticks - 1)));
    for (i = 0;; i++) {
        m = MULT[i % 3];
        step = scaled(m, e + i / 3);
        k0 = lo / step;
        k1 = hi / step;
        /* 0.3 / 0.1 is 2.9999999999999996: absorb rounding, not real overhang */
        k0 = floor(k0 + fmax(IDX_EPS, fabs(k0) * IDX_REL_EPS));
        k1 = ceil(k1 - fmax(IDX_EPS, fabs(k1) * IDX_REL_EPS));
        if (k1 - k0 + 1 <= (double)max_ticks)
            break;
    }
    e += i / 3;
    n = (size_t)(k1 - k0 + 1);
    a->step = step;
    a->nticks = n;
    for (i = 0; (size_t)i < n; i++)
        a->ticks[i] = scaled((k0 + i) * m, e);
    a->lo = a->ticks[0];
    a->hi = a->ticks[n - 1];
}

void axis_nice_time(struct axis *a, double lo_s, double hi_s, size_t max_ticks) {
    size_t i;

    axis_nice(a, lo_s, hi_s, max_ticks);
    if (a->step <= 50)
        return;
    /* past 50 s, steps of 1, 2, 5, 10... minutes read better than 100 s */
    axis_nice(a, lo_s / 60, hi_s / 60, max_ticks);
    a->lo *= 60;
    a->hi *= 60;
    a->step *= 60;
    for (i = 0; i < a->nticks; i++)
        a->ticks[i] *= 60;
}

/* Decimals that show multiples of step exactly (step > 0), at most MAX_DECIMALS. */
static int decimals_for(double step) {
    double p = 1;
    int d;

    for (d = 0; d < MAX_DECIMALS; d++, p *= 10) {
        double x = step * p;

        if (fabs(x - nearbyint(x)) <= x * 1e-6)
            break;
    }
    return d;
}

/* Decimals that give about three significant digits of v. */
static int decimals_sig3(double v) {
    int d;

    v = fabs(v);
    if (v == 0 || !isfinite(v))
        return 0;
    d = 2 - (int)floor(log10(v));
    return d < 0 ? 0 : d > MAX_DECIMALS ? MAX_DECIMALS : d;
}

/*
 * Write v with dec decimals, trailing zeros and a bare point removed, "-0"
 * written as "0". Integer arithmetic, so no locale can change the point.
 */
static void fmt_fixed(char *dst, size_t n, double v, int dec, const char *unit) {
    char num[64];
    double scale = pow10i(dec), r;
    uint64_t ip, fp, u;
    size_t len;
    int neg, i;

    if (!isfinite(v)) {
        snprintf(dst, n, "%s%s", isnan(v) ? "nan" : v < 0 ? "-inf" : "inf", unit);
        return;
    }
    r = nearbyint(fabs(v) * scale);
    if (r >= 9e15) {
        /* no decimals worth writing at this size; %.0f has no point to localise */
        snprintf(num, sizeof(num), "%.0f", v);
    } else {
        u = (uint64_t)r;
        neg = v < 0 && u != 0;
        ip = u / (uint64_t)scale;
        fp = u % (uint64_t)scale;
        snprintf(num, sizeof(num), "%s%" PRIu64, neg ? "-" : "", ip);
        len = strlen(num);
        if (dec > 0 && fp != 0 && len + (size_t)dec + 2 <= sizeof(num)) {
            /* dec digits of fp, zero-padded, then the trailing zeros dropped */
            num[len] = '.';
            for (i = dec; i > 0; i--, fp /= 10)
                num[len + (size_t)i] = (char)('0' + fp % 10);
            len += (size_t)dec + 1;
            while (num[len - 1] == '0')
                len--;
            num[len] = '\0';
        }
    }
    snprintf(dst, n, "%s%s", num, unit);
}

char *axis_fmt_time(char *dst, size_t n, double seconds, double step) {
    double div;
    const char *unit;
    int dec, nostep;

    if (n == 0)
        return dst;
    step = fabs(step);
    nostep = !(step > 0) || !isfinite(step);
    if (nostep) {
        /* the unit follows the value: 2 ms, 30.4 s, 51.2 min */
        step = seconds == 0 || fabs(seconds) >= 1 ? 1
               : fabs(seconds) < 1e-3             ? 1e-6
                                                  : 1e-3;
        if (fabs(seconds) >= 120)
            step = 60;
    }
    if (step < 1e-3) {
        div = 1e-6;
        unit = " \xC2\xB5s";
    } else if (step < 0.1) {
        div = 1e-3;
        unit = " ms";
    } else if (step < 60) {
        div = 1;
        unit = " s";
    } else {
        div = 60;
        unit = " min";
    }
    dec = nostep ? decimals_sig3(seconds / div) : decimals_for(step / div);
    fmt_fixed(dst, n, seconds / div, dec, unit);
    return dst;
}

/* Per-value SI unit (1000-based) with decimals from step, or 3 digits without one. */
static char *fmt_si(char *dst, size_t n, double v, double step,
                    const char *const units[3], const char *sep) {
    char unit[16];
    double div = 1;
    int u = 0, dec;

    if (n == 0)
        return dst;
    if (fabs(v) >= 1e6 - 0.5) {
        div = 1e6;
        u = 2;
    } else if (fabs(v) >= 1e3 - 0.5) {
        div = 1e3;
        u = 1;
    }
    step = fabs(step);
    if (step > 0 && isfinite(step))
        dec = decimals_for(step / div);
    else
        dec = decimals_sig3(v / div);
    snprintf(unit, sizeof(unit), "%s%s", units[u][0] != '\0' ? sep : "", units[u]);
    fmt_fixed(dst, n, v / div, dec, unit);
    return dst;
}

char *axis_fmt_bytes(char *dst, size_t n, double bytes, double step) {
    static const char *const UNITS[3] = {"B", "kB", "MB"};

    return fmt_si(dst, n, bytes, step, UNITS, " ");
}

char *axis_fmt_count(char *dst, size_t n, double count, double step) {
    static const char *const UNITS[3] = {"", "k", "M"};

    return fmt_si(dst, n, count, step, UNITS, "");
}

char *axis_fmt_si(char *dst, size_t n, double v, double step, const char *unit) {
    static const char *const PREFIX[5] = {"", "k", "M", "G", "T"};
    char u[32];
    double div = 1;
    int p = 0, dec;

    if (n == 0)
        return dst;
    while (p < 4 && fabs(v) >= div * 1e3 - 0.5) {
        div *= 1e3;
        p++;
    }
    step = fabs(step);
    if (step > 0 && isfinite(step))
        dec = decimals_for(step / div);
    else
        dec = decimals_sig3(v / div);
    snprintf(u, sizeof(u), "%s%s%s", unit[0] != '\0' ? " " : "", PREFIX[p], unit);
    fmt_fixed(dst, n, v / div, dec, u);
    return dst;
}
