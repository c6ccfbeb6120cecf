/* fmt.c - see fmt.h */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/fmt.h"
#include "banned.h"

#define NS_PER_S UINT64_C(1000000000)
#define NS_DIGITS 9

static int clamp_dec(int d) {
    return d < 0 ? 0 : d > NS_DIGITS ? NS_DIGITS : d;
}

static char *put_seconds(char *dst, size_t n, const char *sign, uint64_t u, int min_dec,
                         int max_dec) {
    char frac[NS_DIGITS + 1];
    int len;

    max_dec = clamp_dec(max_dec);
    min_dec = clamp_dec(min_dec) > max_dec ? max_dec : clamp_dec(min_dec);
    snprintf(frac, sizeof(frac), "%09" PRIu64, u % NS_PER_S);
    len = max_dec;
    frac[len] = '\0';
    while (len > min_dec && frac[len - 1] == '0')
        frac[--len] = '\0';
    snprintf(dst, n, "%s%" PRIu64 "%s%s", sign, u / NS_PER_S, len > 0 ? "." : "", frac);
    return dst;
}

char *fmt_seconds(char *dst, size_t n, int64_t ns, int min_dec, int max_dec) {
    /* -(ns + 1) + 1 avoids negating INT64_MIN */
    if (ns < 0)
        return put_seconds(dst, n, "-", (uint64_t)(-(ns + 1)) + 1, min_dec, max_dec);
    return put_seconds(dst, n, "", (uint64_t)ns, min_dec, max_dec);
}

char *fmt_seconds_u(char *dst, size_t n, uint64_t ns, int min_dec, int max_dec) {
    return put_seconds(dst, n, "", ns, min_dec, max_dec);
}

char *fmt_group_digits(char *dst, size_t n, const char *num) {
    const char *dot = strchr(num, '.');
    size_t ilen = dot != NULL ? (size_t)(dot - num) : strlen(num);
    size_t start = num[0] == '-', i, j = 0;

    if (n == 0)
        return dst;
    for (i = 0; num[i] != '\0' && j + 2 < n; i++) {
        if (i > start && i < ilen && (ilen - i) % 3 == 0)
            dst[j++] = ',';
        dst[j++] = num[i];
    }
    dst[j] = '\0';
    return dst;
}

char *fmt_thousands(char *dst, size_t n, uint64_t v) {
    char raw[32];

    snprintf(raw, sizeof(raw), "%" PRIu64, v);
    return fmt_group_digits(dst, n, raw);
}

char *fmt_value(char *dst, size_t n, double v, int integral) {
    int digits = 1, dec;
    size_t len;

    if (!isfinite(v)) {
        snprintf(dst, n, "0");
        return dst;
    }
    if (integral) {
        snprintf(dst, n, "%.0f", v);
        return dst;
    }
    if (fabs(v) >= 1)
        digits = (int)floor(log10(fabs(v))) + 1;
    dec = 15 - digits;
    dec = dec < 1 ? 1 : dec > 9 ? 9 : dec;
    snprintf(dst, n, "%.*f", dec, v);
    /* the point is '.' (no setlocale); keep one decimal */
    len = strlen(dst);
    while (len > 2 && dst[len - 1] == '0' && dst[len - 2] != '.')
        dst[--len] = '\0';
    if (strcmp(dst, "-0.0") == 0)
        snprintf(dst, n, "0.0");
    return dst;
}
