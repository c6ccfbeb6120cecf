/*
 * tsjson.h - streaming parser of `tshark -T json -e ...` output.
 *
 * tshark writes one JSON array of packet objects. This parser is fed the
 * bytes as they arrive, finds each top-level array element with a small
 * scanner (strings, escapes, nesting), parses that element's "layers"
 * object with jansson (json_loadb; the whole element when it has no such
 * key), reads each field of fields.h's table from it and hands a flat
 * struct pkt to a callback. It never holds more
 * than one element (at most MAX_ELEMENT_BYTES), whatever the capture size.
 */
#ifndef TSJSON_H
#define TSJSON_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "tshark/fields.h"

/*
 * Called once per packet, in capture order. p is borrowed for the call.
 * Return 0 to go on, 1 to stop parsing without error (e.g. packet limit
 * reached), -1 (with err set) to fail.
 */
typedef int (*tsjson_cb)(void *ctx, const struct pkt *p, struct err *err);

struct tsjson {
    int state; /* scanner state: before '[', between elements, in one, done */
    int depth; /* object/array nesting inside the current element */
    int in_string;
    int escaped;
    uint64_t elements; /* packets delivered so far */
    struct buf elem;   /* bytes of the current element (cap MAX_ELEMENT_BYTES) */
    const char *extra; /* borrowed; NULL: none. One more field whose every value
                          each struct pkt carries (vals), set before the first feed */
    const char **vals; /* owned: room for MAX_FIELD_VALUES values of extra */
    const char *split; /* borrowed; NULL: none. A field whose first value each struct
                          pkt carries (split), set before the first feed */
};

void tsjson_init(struct tsjson *p);
void tsjson_release(struct tsjson *p);

/*
 * Feed n bytes of tshark's stdout (borrowed). Returns 0 to go on, 1 when the
 * callback asked to stop, -1 with err on malformed output (502 "tshark
 * output is not valid JSON ..."), an element over MAX_ELEMENT_BYTES (502), or
 * a callback failure (its err).
 */
int tsjson_feed(struct tsjson *p, const char *data, size_t n, tsjson_cb cb, void *ctx,
                struct err *err);

/*
 * At EOF: 0 when the document was complete (the closing ']' seen) or empty
 * (no bytes at all, as tshark writes when it fails before the first packet);
 * -1 with err (502) when it stopped inside an element or before ']'.
 * p->elements still says how many packets were delivered.
 */
int tsjson_finish(struct tsjson *p, struct err *err);

#endif
