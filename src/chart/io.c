/* io.c - see io.h */
#include <string.h>

#include "chart/io.h"
#include "chart/names.h"
#include "banned.h"

double chart_io_plain(const struct chart *c, size_t si, size_t k) {
    struct io_bin b = chart_io_bin(c, si, k);
    double per_s = 1e9 / (double)(c->io_interval_ns > 0 ? c->io_interval_ns : 1);

    switch (c->io_y) {
    case IO_BYTES:
    case IO_SUM:
        return (double)b.bytes;
    case IO_BITS:
        return (double)b.bytes * 8;
    case IO_PACKETS_PS:
        return (double)b.count * per_s;
    case IO_BYTES_PS:
        return (double)b.bytes * per_s;
    case IO_BITS_PS:
        return (double)b.bytes * 8 * per_s;
    case IO_MIN:
        return (double)b.min;
    case IO_MAX:
        return (double)b.max;
    case IO_AVG:
        return b.count == 0 ? 0 : (double)b.bytes / (double)b.count;
    case IO_PACKETS:
    default:
        return (double)b.count;
    }
}

void chart_io_begin(struct io_values *v, const struct chart *c, size_t si) {
    memset(v, 0, sizeof(*v));
    v->c = c;
    v->si = si;
    v->integral = c->sma == 0 && chart_io_y(c->io_y)->integral;
}

double chart_io_next(struct io_values *v) {
    const struct chart *c = v->c;
    size_t k = v->k++, h = c->sma / 2, lo, hi;

    if (c->sma == 0)
        return chart_io_plain(c, v->si, k);
    /* Wireshark's window: h before k, max(h, 1) from k on (see io.h) */
    lo = k >= h ? k - h : 0;
    hi = k + (h > 0 ? h : 1);
    if (hi > c->io_count)
        hi = c->io_count;
    for (; v->hi < hi; v->hi++)
        v->sum += chart_io_plain(c, v->si, v->hi);
    for (; v->lo < lo; v->lo++)
        v->sum -= chart_io_plain(c, v->si, v->lo);
    return hi > lo ? v->sum / (double)(hi - lo) : 0;
}
