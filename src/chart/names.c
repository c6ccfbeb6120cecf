/* names.c - see names.h */
#include <string.h>

#include "chart/names.h"
#include "banned.h"

const struct kind_names CHART_KINDS[CHART_NKINDS] = {
    [CHART_SIZE] = {"size", "Packet sizes over time", "Packet sizes"},
    [CHART_IO] = {"io", "I/O graph", "I/O graph"},
    [CHART_HIST] = {"hist", "Packet lengths histogram", "Packet lengths"},
};

const struct io_y_names IO_YS[IO_NY] = {
    [IO_PACKETS] = {"packets", "Packets", "packets", 0, 0, 1, 0},
    [IO_BYTES] = {"bytes", "Bytes", "B", 1, 0, 1, 0},
    [IO_BITS] = {"bits", "Bits", "bits", 0, 0, 1, 0},
    [IO_PACKETS_PS] = {"packets/s", "Packets/s", "packets/s", 0, 1, 0, 0},
    [IO_BYTES_PS] = {"bytes/s", "Bytes/s", "B/s", 1, 1, 0, 0},
    [IO_BITS_PS] = {"bits/s", "Bits/s", "bits/s", 0, 1, 0, 0},
    [IO_SUM] = {"sum", "SUM(frame.len)", "B", 1, 0, 1, 1},
    [IO_MIN] = {"min", "MIN(frame.len)", "B", 1, 0, 1, 1},
    [IO_MAX] = {"max", "MAX(frame.len)", "B", 1, 0, 1, 1},
    [IO_AVG] = {"avg", "AVG(frame.len)", "B", 1, 0, 0, 1},
    [IO_COUNT] = {"count", "COUNT(frame.len)", "values", 0, 0, 1, 1},
    [IO_SUM_PS] = {"sum/s", "SUM(frame.len)/s", "B/s", 1, 1, 0, 1},
};

/*
 * Ordered so that the first ones keep a contrast of at least 3:1 (WCAG,
 * graphical objects) on white and on the dark background of the SVG style:
 * blue, vermillion, bluish green, reddish purple.
 */
const char *const CHART_PALETTE[MAX_SERIES] = {
    "#0072B2", "#D55E00", "#009E73", "#CC79A7",
    "#E69F00", "#56B4E9", "#F0E442", "#999999",
};

const char *chart_kind_name(enum chart_kind k) {
    return (size_t)k < CHART_NKINDS ? CHART_KINDS[k].name : CHART_KINDS[CHART_SIZE].name;
}

const struct io_y_names *chart_io_y(enum io_y y) {
    return (size_t)y < IO_NY ? &IO_YS[y] : &IO_YS[IO_PACKETS];
}

const char *chart_io_y_name(enum io_y y) {
    return chart_io_y(y)->name;
}

/* 1 when the len bytes of s are name. */
static int is_name(const char *name, const char *s, size_t len) {
    return strlen(name) == len && memcmp(name, s, len) == 0;
}

int chart_kind_parse(const char *s, size_t len, enum chart_kind *out) {
    size_t i;

    for (i = 0; i < CHART_NKINDS; i++) {
        if (is_name(CHART_KINDS[i].name, s, len)) {
            *out = (enum chart_kind)i;
            return 0;
        }
    }
    return -1;
}

int chart_io_y_parse(const char *s, size_t len, enum io_y *out) {
    size_t i;

    for (i = 0; i < IO_NY; i++) {
        if (is_name(IO_YS[i].name, s, len)) {
            *out = (enum io_y)i;
            return 0;
        }
    }
    return -1;
}
