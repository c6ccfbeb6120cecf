/*
 * split.h - split=FIELD&top=N: one series per value of a field, "top
 * talkers over time", in two tshark runs.
 *
 *   1. tshark -Y FILTER -e frame.len -e FIELD: every packet's first value of
 *      FIELD (as tshark prints it) with its bytes, counted exactly in a hash
 *      table of at most SPLIT_MAX_VALUES distinct values of at most
 *      SPLIT_VALUE_BYTES (longer ones are cut; past the table's size, new
 *      values are counted as one "not counted" lump, and a warning says the
 *      top is the top among the first SPLIT_MAX_VALUES seen). Memory: at most
 *      SPLIT_MAX_VALUES x (SPLIT_VALUE_BYTES + 40) bytes, whatever the count.
 *   2. The top values by bytes (ties: the first seen first) become series
 *      0..k-1, named by their value, each with the display filter that
 *      selects it (`FIELD#1 == VALUE`, the first occurrence, quoted for
 *      string fields, after FILTER when there is one); series k, "other",
 *      has every other packet, those without the field included
 *      (`!(FIELD#1 == V1 || ...)`: tshark 4.0 takes no set after a layer).
 *      One more run (-e FIELD and the series' own
 *      field=, if any) adds each packet to the series of its first value.
 * So the top values are exact, and every packet is in exactly one series.
 *
 * Threads: as pipeline.h's.
 */
#ifndef PIPELINE_SPLIT_H
#define PIPELINE_SPLIT_H

#include <stdint.h>

#include "base/err.h"
#include "chart/chart.h"
#include "tshark/tshark.h"

/*
 * The two runs on capture for c (view_apply'd: c->split, c->top, series 0
 * the template: its filter and field), under job's deadline and cancel fd
 * (job: capture, display name, cancel fd, deadline; its filter, field and
 * split are set here). c's series become the split's. res: the second
 * run's. 0, or -1 with err as tshark_run's.
 */
int split_chart(const struct tshark *ts, struct tshark_job *job, struct chart *c,
                struct tshark_result *res, struct err *err);

#endif
