/* io.c - see io.h */
#include <string.h>

#include "chart/io.h"
#include "chart/names.h"
#include "banned.h"

double chart_io_plain(const struct chart *c, size_t si, size_t k) {
    struct io_bin b = chart_io_bin(c, si, k);
    double per_s = 1e9 / (double)(c->io_interval_ns > 0 ? c->io_interval_ns : 1);
    /* a field kept in nano-units (times, floats): its values in its own units */
    double unit = si < c->nseries && c->series[si].field_nano ? 1e-9 : 1;

    switch (c->io_y) {
    case IO_BYTES:
        return (double)b.bytes;
    case IO_SUM:
        return (double)b.bytes * unit;
    case IO_BITS:
        return (double)b.bytes * 8;
    case IO_PACKETS_PS:
        return (double)b.count * per_s;
    case IO_BYTES_PS:
        return (double)b.bytes * per_s;
    case IO_SUM_PS:
        return (double)b.bytes * unit * per_s;
    case IO_BITS_PS:
        return (double)b.bytes * 8 * per_s;
    case IO_MIN:
        return (double)b.min * unit;
    case IO_MAX:
        return (double)b.max * unit;
    case IO_AVG:
        return b.count == 0 ? 0 : (double)b.bytes * unit / (double)b.count;
    case IO_COUNT:
    case IO_PACKETS:
    default:
        return (double)b.count;
    }
}

void chart_io_begin(struct io_values *v, const struct chart *c, size_t si) {
    memset(v, 0, sizeof(*v));
    v->c = c;
    v->si = si;
    v->integral = c->sma == 0 && chart_io_y(c->io_y)->integral &&
                  !(c->io_y != IO_COUNT && si < c->nseries && c->series[si].field_nano);
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
